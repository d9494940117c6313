"""The metrics table: wiring to the public model functions, and contracts over every metric."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import haplan
from haplan import availability, balancing, load, markov, recovery, service, sweeps, table
from haplan.scenario import INPUT_NAMES, Scenario

PROBABILITIES = (
    "node_unavailability",
    "instance_unavailability",
    "zone_unavailability",
    "service_unavailability",
    "service_availability",
    "wait_probability",
    "capacity_unavailability",
    "slo_unavailability",
    "slo_availability",
)


def test_columns_are_inputs_then_every_metric():
    table = haplan.metrics(Scenario.default())
    assert list(table.columns) == list(INPUT_NAMES) + list(haplan.METRIC_NAMES)
    design_names = {
        "doc_total_containers", "doc_balancer_load_rps", "doc_recovery_time_s",
        "per_node_load_rps", "per_instance_load_rps", "utilization", "node_unavailability",
        "service_unavailability", "service_availability", "nines", "downtime_min_per_year",
        "service_mttf_h", "outage_frequency_per_year", "mean_outage_duration_min",
        "wait_probability", "mean_response_ms", "p99_response_ms", "failures_tolerated",
        "capacity_unavailability", "recovery_node_failure_s", "recovery_container_crash_s",
    }  # fmt: skip
    assert design_names <= set(haplan.METRIC_NAMES)


def test_wiring_matches_the_public_functions():
    s = Scenario(
        nodes=5,
        instances=7,
        min_instances=3,
        request_rate_rps=400.0,
        instance_capacity_rps=90.0,
        node_mttf_h=2000.0,
        node_mttr_h=20.0,
        instance_mttf_h=500.0,
        instance_mttr_h=0.5,
        zones=2,
        zone_mttf_h=10_000.0,
        zone_mttr_h=4.0,
        repair_crews=1,
        orchestrator="swarm",
        balancer="round_robin",
    )
    row = haplan.metrics(s).iloc[0]
    qn = availability.steady_state_unavailability(2000.0, 20.0)
    qi = availability.steady_state_unavailability(500.0, 0.5)
    qz = availability.steady_state_unavailability(10_000.0, 4.0)
    assert row["node_unavailability"] == qn
    # One repair crew for five nodes: failed nodes queue, so the crew model applies.
    # The table sends both k values (service and capacity) through one call, so sums may
    # differ from a separate call in the last bit: 1e-13 relative, here and below.
    u = markov.crew_service_unavailability(5, 7, 3, 2000.0, 20.0, 1, qi, 2, qz)
    assert row["service_unavailability"] == pytest.approx(u, rel=1e-13)
    assert u > availability.service_unavailability(5, 7, 3, qn, qi, 2, qz)
    assert row["nines"] == pytest.approx(availability.nines(u), rel=1e-13)
    assert row["downtime_min_per_year"] == pytest.approx(u * 365.25 * 1440, rel=1e-14)
    # Queued repairs: outages from the service model's exact chain (placement, zones and
    # crashes included; tests/test_service.py checks it against a brute-force chain).
    assert row["service_model"] == service.EXACT_CHAIN
    assert row["outage_frequency_per_year"] / 8766.0 * row["mean_outage_duration_min"] / 60.0 == (
        pytest.approx(row["service_unavailability"], rel=1e-12)
    )
    assert row["mean_response_ms"] == 1e3 * balancing.mean_response_time(
        "round_robin", 400.0, 90.0, 7
    )
    assert row["p99_response_ms"] == 1e3 * balancing.response_time_quantile(
        "round_robin", 0.99, 400.0, 90.0, 7
    )
    assert row["wait_probability"] == balancing.wait_probability("round_robin", 400.0, 90.0, 7)
    assert row["failures_tolerated"] == load.failures_tolerated(5, 7 / 5, 400.0, 90.0, 0.7)
    # One placement distribution serves both k values in the table, so the tail sum may
    # differ from a separate call in the last bit: 1e-13 relative.
    needed = load.instances_needed(400.0, 90.0, 0.7)  # 400 / 63 -> 7 instances
    assert row["capacity_unavailability"] == pytest.approx(
        markov.crew_service_unavailability(5, 7, needed, 2000.0, 20.0, 1, qi, 2, qz), rel=1e-13
    )
    unlimited = haplan.metrics(s.with_overrides(repair_crews=5)).iloc[0]  # crews = nodes
    exact = availability.service_outages(5, 7, 3, 2000.0, 20.0, 500.0, 0.5, 2, 10_000.0, 4.0)
    assert unlimited["outage_frequency_per_year"] == exact["outage_frequency"] * 8766.0
    assert unlimited["mean_outage_duration_min"] == exact["mean_outage_duration"] * 60.0
    assert unlimited["service_mttf_h"] == exact["mean_up_time"]
    # Frequency x duration is the unavailability: the columns tell one story.
    assert unlimited["outage_frequency_per_year"] / 8766.0 * (
        unlimited["mean_outage_duration_min"] / 60.0
    ) == pytest.approx(unlimited["service_unavailability"], rel=1e-12)
    assert unlimited["service_unavailability"] == availability.service_unavailability(
        5, 7, 3, qn, qi, 2, qz
    )
    assert unlimited["capacity_unavailability"] == pytest.approx(
        load.capacity_unavailability(5, 7, 400.0, 90.0, 0.7, qn, qi, 2, qz), rel=1e-13
    )
    assert row["recovery_node_failure_s"] == recovery.node_failure_recovery_s("swarm", 2)
    assert row["recovery_container_crash_s"] == recovery.container_crash_recovery_s("swarm", 1)


def test_rescheduling_uses_the_service_model():
    s = Scenario(nodes=4, instances=8, min_instances=6, node_mttf_h=500.0, node_mttr_h=24.0)
    plain = haplan.metrics(s).iloc[0]
    moved = haplan.metrics(s.with_overrides(reschedule=True)).iloc[0]
    expected = service.service_figures(
        4,
        8,
        6,
        plain["instances_needed"],
        500.0,
        24.0,
        s.instance_mttf_h,
        s.instance_mttr_h,
        reschedule=True,
        recovery_node_failure_s=plain["recovery_node_failure_s"],
    )
    assert moved["service_unavailability"] == expected["service_unavailability"][0]
    assert moved["service_model"] == service.EXACT_CHAIN
    assert moved["service_unavailability"] < plain["service_unavailability"] / 10


def test_headline_is_load_aware(overloaded_checkout):
    # 6 pods of 150 req/s at a 2,000 req/s peak: the service-only figure has many nines,
    # the headline none: the load needs 20 instances.
    s = overloaded_checkout
    row = haplan.metrics(s.with_overrides(target_availability=0.9995)).iloc[0]
    assert row["nines"] > 6
    assert row["slo_unavailability"] == 1.0 and row["slo_nines"] == 0.0
    assert not row["slo_met"] and row["availability_margin_min_per_30d"] < 0
    # With enough instances the headline is the stricter of the two components.
    big = haplan.metrics(s.with_overrides(instances=24, target_p99_ms=200.0)).iloc[0]
    assert big["slo_unavailability"] >= max(
        big["service_unavailability"], big["capacity_unavailability"]
    )
    assert big["p99_margin_ms"] == 200.0 - big["p99_response_ms"]
    assert big["slo_met"]
    assert big["slo_downtime_min_per_30d"] == pytest.approx(
        big["slo_unavailability"] * 30 * 1440, rel=1e-12
    )


def test_overloaded_rows_are_flagged_and_infinite_without_stopping_the_table():
    frame = pd.DataFrame({"nodes": [3, 3], "instances": [3, 3], "request_rate_rps": [100, 400]})
    table = haplan.metrics(frame)
    assert table["overloaded"].tolist() == [False, True]
    assert math.isinf(table["p99_response_ms"].iloc[1])
    assert math.isinf(table["mean_response_ms"].iloc[1])
    assert table["wait_probability"].iloc[1] == 1.0
    assert table["failures_tolerated"].iloc[1] == -1
    assert table["capacity_unavailability"].iloc[1] == 1.0


def test_frame_keeps_its_index_and_matches_scenarios():
    frame = pd.DataFrame({"nodes": [3, 6], "replicas": [2, 1]}, index=["a", "b"])
    table = haplan.metrics(frame)
    assert list(table.index) == ["a", "b"]
    single = haplan.metrics(Scenario(nodes=6, replicas=1)).iloc[0]
    for name in haplan.METRIC_NAMES:
        if pd.isna(single[name]):
            assert pd.isna(table.loc["b", name]), name
        else:
            assert table.loc["b", name] == single[name], name


def test_bad_argument():
    with pytest.raises(ValueError, match=r"scenario_or_frame=dict is not valid"):
        haplan.metrics({"nodes": 3})
    with pytest.raises(ValueError, match=r"scenario_or_frame has no rows"):
        haplan.metrics(pd.DataFrame({"nodes": []}))


scenarios = st.builds(
    dict,
    nodes=st.integers(1, 12),
    replicas=st.integers(1, 4),
    min_fraction=st.floats(0, 1),
    request_rate_rps=st.floats(0, 2000),
    node_mttf_h=st.floats(10, 1e6),
    node_mttr_h=st.floats(0.1, 100),
    zones=st.integers(1, 3),
    repair_crews=st.one_of(st.none(), st.integers(1, 3)),
    reschedule=st.booleans(),
    orchestrator=st.sampled_from(recovery.PRESETS),
    balancer=st.sampled_from(balancing.STRATEGIES[:2] + balancing.STRATEGIES[3:]),
)


@settings(max_examples=40, deadline=None)
@given(scenarios)
def test_contracts_over_every_metric(values):
    min_fraction = values.pop("min_fraction")
    values["zones"] = min(values["zones"], values["nodes"])
    instances = values["nodes"] * values["replicas"]
    values["min_instances"] = int(round(min_fraction * instances))
    table = haplan.metrics(Scenario(**values))
    row = table.iloc[0]
    for name in PROBABILITIES:
        assert 0.0 <= row[name] <= 1.0, name
    u = row["service_unavailability"]
    assert row["service_availability"] == pytest.approx(1.0 - u, abs=1e-15)
    assert row["nines"] >= 0
    assert row["downtime_min_per_year"] >= 0
    assert row["service_mttf_h"] > 0
    assert row["recovery_node_failure_s"] > 0 and row["recovery_container_crash_s"] >= 0
    if not row["overloaded"]:
        assert 0 < row["mean_response_ms"] <= row["p99_response_ms"] < math.inf
    # More instances per node never hurts with min_instances fixed, within one model. (With
    # rescheduling a node failure moves more instances, so the pipeline is longer: that can
    # cost more than the extra instance gives, and is the mechanism, not a fault.)
    more = haplan.metrics(Scenario(**{**values, "replicas": values["replicas"] + 1})).iloc[0]
    if not values["reschedule"] and more["service_model"] == row["service_model"]:
        assert more["service_unavailability"] <= u * (1 + 1e-9) + 1e-300
        assert more["capacity_unavailability"] <= (
            row["capacity_unavailability"] * (1 + 1e-9) + 1e-300
        )
    # The headline never beats either component.
    assert row["slo_unavailability"] >= row["service_unavailability"] * (1 - 1e-12)
    assert row["slo_unavailability"] >= row["capacity_unavailability"] * (1 - 1e-12)


def test_unavailability_keeps_its_digits_far_below_one_minus_a():
    # 6 nodes, one instance each, all needed down to 1: U = q^6 with q = 1e-4 / (1 + 1e-4).
    s = Scenario(nodes=6, instances=6, node_mttf_h=1e4, node_mttr_h=1.0, instance_mttf_h=math.inf)
    row = haplan.metrics(s).iloc[0]
    q = 1.0 / 10001.0
    assert row["service_unavailability"] == pytest.approx(q**6, rel=1e-12)
    assert row["nines"] == pytest.approx(-6 * math.log10(q), rel=1e-12)
    assert np.isfinite(row["nines"])


def test_rescheduling_moves_instances_out_of_failed_zones_where_there_is_room():
    # 6 nodes in 3 zones, k = 4: one zone down leaves 4 instances, two leave 2. With room
    # on the survivors, a failed zone's instances restart elsewhere after the pipeline, so
    # U drops below the zone-only part; with no room (2 per node, all taken) nothing moves
    # and the chain equals the placement convolution.
    s = Scenario(nodes=6, instances=12, min_instances=9, zones=3, zone_mttf_h=8766.0)
    plain = haplan.metrics(s).iloc[0]
    moved = haplan.metrics(s.with_overrides(reschedule=True)).iloc[0]
    zone_only = availability.service_unavailability(
        6, 12, 9, 0.0, 0.0, 3, moved["zone_unavailability"]
    )
    assert moved["service_unavailability"] < zone_only < plain["service_unavailability"]
    full = haplan.metrics(s.with_overrides(reschedule=True, max_instances_per_node=2)).iloc[0]
    assert full["service_unavailability"] == pytest.approx(
        plain["service_unavailability"], rel=1e-10
    )


def test_absurd_loads_stay_unavailable_not_overflowed():
    s = Scenario(request_rate_rps=1e300, instance_capacity_rps=1e-10)
    row = haplan.metrics(s).iloc[0]
    assert row["capacity_unavailability"] == 1.0 and row["overloaded"]
    assert math.isinf(row["instances_needed"])
    assert row["wait_probability"] == 1.0 and math.isinf(row["p99_response_ms"])


def test_rescheduled_outage_columns_agree_with_the_simulator():
    # Rescheduling shortens node-caused outages to the recovery pipeline: 4 nodes x 2
    # instances, k = 7, MTTR 24 h. The chain is exact for an exponential pipeline, which
    # compare_with_analytic simulates: within 4 standard errors.
    from haplan import simulate

    s = Scenario(nodes=4, instances=8, min_instances=7, node_mttf_h=2000.0, node_mttr_h=24.0)
    s = s.with_overrides(reschedule=True)
    row = haplan.metrics(s).iloc[0]
    table = simulate.compare_with_analytic(s, 8766.0, 300, seed=11)
    assert abs(table.loc["outage_frequency_per_year", "z"]) < 4
    assert frequency_times_duration(row) == pytest.approx(row["service_unavailability"], rel=1e-12)
    # Far shorter outages than without rescheduling (24 h repairs).
    plain = haplan.metrics(s.with_overrides(reschedule=False)).iloc[0]
    assert row["mean_outage_duration_min"] < plain["mean_outage_duration_min"] / 10


def frequency_times_duration(row):
    return row["outage_frequency_per_year"] / 8766.0 * row["mean_outage_duration_min"] / 60.0


def test_planned_disruptions_spend_budget_and_a_blocked_upgrade_is_unbounded():
    from haplan.disruptions import disruption

    s = Scenario(instances=6, target_availability=0.999, rollouts_per_week=7, upgrades_per_year=4)
    row = haplan.metrics(s).iloc[0]
    rollout = disruption(s, "rollout").totals["budget_spent_min"]
    upgrade = disruption(s, "drain").totals["budget_spent_min"]
    expected = 7 * 30 / 7 * rollout + 4 * 30 / 365.25 * upgrade
    assert row["planned_downtime_min_per_30d"] == pytest.approx(expected, rel=1e-12)
    assert row["slo_budget_spent_min_per_30d"] == pytest.approx(
        row["slo_downtime_min_per_30d"] + expected, rel=1e-12
    )
    # min_instances = instances: the disruption budget allows no eviction, so the upgrades
    # can never finish: the planned spend is unbounded and the verdict says why.
    blocked = haplan.metrics(s.with_overrides(min_instances=6)).iloc[0]
    assert math.isinf(blocked["planned_downtime_min_per_30d"])
    assert not blocked["slo_met"]
    line = service.verdict(blocked)[1].message
    assert "planned upgrades cannot finish" in line and "unbounded per 30 days" in line


def test_per_node_load_is_the_busiest_node_of_the_placement():
    # 3 instances on 9 nodes: the scheduler runs one pod on each of 3 nodes, so the busiest
    # node carries P/3, not P/9; 7 on 3 nodes holds [3, 2, 2]: 3/7 of P; C = N × R: P/N.
    frame = pd.DataFrame({"nodes": [9, 3, 4], "instances": [3, 7, 8], "request_rate_rps": 90.0})
    table = haplan.metrics(frame)
    busiest = [availability.instances_per_node(n, c).max() / c for n, c in ((9, 3), (3, 7))]
    np.testing.assert_allclose(table["per_node_load_rps"][:2], 90.0 * np.array(busiest))
    assert table["per_node_load_rps"].iloc[2] == 90.0 / 4


def test_string_columns_are_categorical_with_fixed_categories():
    table = haplan.metrics(Scenario(nodes=3, replicas=1))
    for name in ("orchestrator", "balancer", "service_model"):
        assert isinstance(table[name].dtype, pd.CategoricalDtype), name
    sweep = haplan.sweep(nodes=[3, 4], orchestrator=["kubernetes", "swarm"], progress=False)
    assert list(sweep["orchestrator"]) == ["kubernetes", "swarm", "kubernetes", "swarm"]
    assert sweep["orchestrator"].dtype == table["orchestrator"].dtype


def test_sweep_grid_codes_give_the_same_numbers_as_a_plain_frame():
    # the sweep passes its grid positions as codes (no hashing); a frame of the same rows,
    # hashed, must give the same table
    swept = haplan.sweep(nodes=range(2, 6), replicas=[1, 2], request_rate_rps=[50.0, 400.0])
    plain = haplan.metrics(
        sweeps.grid(nodes=range(2, 6), replicas=[1, 2], request_rate_rps=[50.0, 400.0])
    )
    pd.testing.assert_frame_equal(swept, plain, check_exact=False, rtol=1e-13)


def test_parts_computed_in_threads_equal_the_whole_computed_at_once():
    # A frame of at least 2 × PARALLEL_PART_ROWS rows is split into parts computed in
    # threads, each deduplicating its own rows; forced to 3 parts here (whatever the machine's
    # processors), the table equals the one computed in one piece, row for row (rtol 1e-13:
    # the same sums, batched differently). A sweep's grid codes are split with the rows.
    rng = np.random.default_rng(8)
    rows = 3 * table.PARALLEL_PART_ROWS + 17
    frame = pd.DataFrame(
        {
            "nodes": rng.integers(1, 12, rows),
            "replicas": rng.integers(1, 4, rows).astype(float),
            "node_mttf_h": rng.choice([500.0, 2000.0, 8000.0], rows),
            "request_rate_rps": rng.choice(np.arange(0.0, 900.0, 25.0), rows),
            "orchestrator": rng.choice(["kubernetes", "swarm"], rows),
            "zones": 1,
        }
    )
    _assert_same_table(table._metrics(frame, workers=3), table._metrics(frame, workers=1))
    axes = {"nodes": range(1, 45), "replicas": [1, 2, 3], "request_rate_rps": range(0, 1000, 1)}
    grid = sweeps.grid(**axes)
    assert len(grid) >= 2 * table.PARALLEL_PART_ROWS
    swept = sweeps._chunk_metrics(sweeps._axes(axes), 0, len(grid), workers=2)
    _assert_same_table(swept, table._metrics(grid, workers=1))


def _assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, categoricals code for code, numbers to rtol 1e-13 (NaN where NaN)."""
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected)
    for name in got.columns:
        a, b = got[name].array, expected[name].array
        if isinstance(a, pd.Categorical):
            assert a.dtype == b.dtype and np.array_equal(a.codes, b.codes), name
        else:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, err_msg=name)


def test_large_tables_keep_freed_memory_once_and_only_on_request(monkeypatch):
    # glibc (this machine's C library) accepts both thresholds; the attempt is made once per
    # process, and HAPLAN_MALLOC=default leaves the allocator alone.
    from haplan import _memory

    calls = []
    monkeypatch.setattr(_memory, "_tried", False)
    monkeypatch.setenv("HAPLAN_MALLOC", "default")
    assert _memory.retain_freed_memory() is False
    assert _memory._tried is False  # the variable is read again on the next large table
    monkeypatch.delenv("HAPLAN_MALLOC")
    assert _memory.retain_freed_memory() is True
    monkeypatch.setattr(_memory.ctypes, "CDLL", lambda name: calls.append(name))
    assert _memory.retain_freed_memory() is True  # tried already: no second attempt
    assert calls == []
    small = pd.DataFrame({"nodes": [3, 4], "replicas": [2, 2]})
    monkeypatch.setattr(_memory, "_tried", False)
    haplan.metrics(small)  # a small table does not touch the allocator
    assert _memory._tried is False


def test_a_refused_mmap_threshold_leaves_the_trim_threshold_alone(monkeypatch):
    # A glibc that refuses the 32 MiB mmap threshold (32-bit builds) keeps its own settings:
    # setting only the trim threshold would freeze the mmap threshold at 128 KiB.
    from haplan import _memory

    asked = []

    class FakeLibc:
        @staticmethod
        def mallopt(option, value):
            asked.append(option)
            return 0 if option == _memory._M_MMAP_THRESHOLD else 1

    monkeypatch.setattr(_memory, "_tried", False)
    monkeypatch.setattr(_memory, "_set", False)
    monkeypatch.setattr(_memory.ctypes, "CDLL", lambda name: FakeLibc())
    assert _memory.retain_freed_memory() is False
    assert asked == [_memory._M_MMAP_THRESHOLD]
    assert _memory.retain_freed_memory() is False  # not tried again
    assert asked == [_memory._M_MMAP_THRESHOLD]


def test_a_caller_that_sets_the_threads_leaves_the_allocator_alone(monkeypatch):
    # A Dask task computes its chunk with workers=1: its worker's memory limit would count
    # freed memory kept for reuse, so only haplan's own threaded tables ask for it.
    asked = []
    monkeypatch.setattr(table, "retain_freed_memory", lambda: asked.append(True))
    frame = pd.DataFrame({"nodes": np.full(2 * table.PARALLEL_PART_ROWS, 3), "replicas": 2})
    table._metrics(frame, workers=1)
    assert asked == []
    table._metrics(frame)
    assert asked == [True]
