"""Tests for haplan.simulate: the Monte Carlo cross-check of the analytic availability models.

Statistical checks use fixed seeds and compare an estimate with the closed form within
3 standard errors (|z| < 3: a correct simulator fails one such check in ~370). Parameters are
chosen with frequent failures (MTTF ~100 h, MTTR ~10 h) so short runs give tight estimates.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haplan import availability, load, markov, recovery
from haplan import simulate as simulation
from haplan.scenario import Scenario
from haplan.simulate import (
    METRICS,
    YEAR_H,
    Deterministic,
    Exponential,
    LogNormal,
    SimulationResult,
    Weibull,
    compare_with_analytic,
    simulate,
)
from haplan.simulate.fastpath import _window_metrics
from haplan.simulate.model import build_model

INF = math.inf
# Only node failures, frequent enough for tight estimates in 2000 h.
NODES_ONLY = dict(node_mttf_h=100.0, node_mttr_h=10.0, instance_mttf_h=INF)
# Failures every 5 h, repairs of 1 h: rescheduling after ~6 min matters a lot.
RESCHEDULE = dict(node_mttf_h=5.0, node_mttr_h=1.0, instance_mttf_h=INF, reschedule=True)
#: 7 instances on 3 nodes (3, 2, 2), k = 5, with container crashes on top of node failures.
CRASHES_7_ON_3 = Scenario(
    nodes=3,
    instances=7,
    min_instances=5,
    node_mttf_h=100.0,
    node_mttr_h=10.0,
    instance_mttf_h=50.0,
    instance_mttr_h=2.0,
)
Z_LIMIT = 3.0


def z_score(estimate: float, se: float, expected: float) -> float:
    return (estimate - expected) / se


# -- distributions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "distribution",
    [
        Exponential(10.0),
        Weibull(100.0, 0.5),
        Weibull(100.0, 2.0),
        LogNormal(6.0, 1.0),
        Deterministic(4.0),
    ],
    ids=["exponential", "weibull-0.5", "weibull-2", "lognormal", "deterministic"],
)
def test_sample_moments_match_stated_moments(distribution):
    # Sample mean within 5 standard errors of the stated mean; sample variance within 5 of its
    # own standard errors, sqrt((m4 - s^4) / n) from the sample's fourth central moment.
    n = 400_000
    x = distribution.sample(np.random.default_rng(7), n)
    assert x.shape == (n,)
    assert np.all(x >= 0)
    if distribution.variance == 0:
        assert np.all(x == distribution.mean)
        return
    mean_se = math.sqrt(distribution.variance / n)
    assert abs(x.mean() - distribution.mean) < 5 * mean_se
    centred = x - x.mean()
    variance = centred.var(ddof=1)
    variance_se = math.sqrt((np.mean(centred**4) - variance**2) / n)
    assert abs(variance - distribution.variance) < 5 * variance_se


def test_distribution_moments_closed_forms():
    # Weibull shape 1 is exponential; shape 2 has variance mean^2 (4/pi - 1) (Gamma(2)/
    # Gamma(1.5)^2 = 4/pi); log-normal variance mean^2 (e^{sigma^2} - 1).
    assert Weibull(5.0, 1.0).variance == pytest.approx(25.0, rel=1e-12)
    assert Weibull(5.0, 2.0).variance == pytest.approx(25.0 * (4 / math.pi - 1), rel=1e-12)
    assert Weibull(5.0, 2.0).scale == pytest.approx(5.0 / math.gamma(1.5), rel=1e-12)
    assert LogNormal(3.0, 0.5).variance == pytest.approx(9.0 * math.expm1(0.25), rel=1e-12)
    assert Deterministic(2.5).mean == 2.5 and Deterministic(2.5).variance == 0.0


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: Exponential(-1.0), "mean=-1 is out of range"),
        (lambda: Weibull(10.0, 0.0), "shape=0 is out of range"),
        (lambda: Weibull(0.0, 2.0), "mean=0 is out of range"),
        (lambda: LogNormal(10.0, -0.5), "sigma=-0.5 is out of range"),
        (lambda: Deterministic(math.nan), "value=nan is out of range"),
        (lambda: Exponential([1.0, 2.0]), "must be a single number"),
    ],
)
def test_distribution_rejects_bad_parameters(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


# -- validation and reproducibility -------------------------------------------------------------


SMALL = Scenario(nodes=3, instances=6, min_instances=4, **NODES_ONLY)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(horizon_h=0.0), "horizon_h=0 is out of range"),
        (dict(horizon_h=-5.0), "horizon_h=-5 is out of range"),
        (dict(replications=1), "replications=1 is out of range"),
        (dict(replications=2.5), "replications=2.5 is out of range"),
        (dict(seed=1, rng=np.random.default_rng(1)), "seed and rng were both given"),
        (dict(seed=-3), "seed=-3 is out of range"),
        (dict(rng=42), "rng=42 is not valid"),
        (dict(node_lifetime=100.0), "node_lifetime=100.0 is not valid"),
        (dict(node_repair="exponential"), "node_repair='exponential' is not valid"),
        (dict(node_lifetime=Deterministic(0.0)), "node_lifetime has mean 0"),
        (dict(chunk_size=0), "chunk_size=0 is out of range"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs, match):
    arguments = dict(scenario=SMALL, horizon_h=100.0, replications=4, seed=0) | kwargs
    if "rng" in kwargs and "seed" not in kwargs:
        arguments.pop("seed")
    with pytest.raises(ValueError, match=match):
        simulate(**arguments)


def test_simulate_rejects_a_non_scenario():
    with pytest.raises(ValueError, match="scenario=dict is not valid"):
        simulate({"nodes": 3}, 100.0, 4, seed=0)


def test_same_seed_same_result_and_other_seed_differs():
    first = simulate(SMALL, 500.0, 20, seed=11, per_replication=True)
    again = simulate(SMALL, 500.0, 20, seed=11, per_replication=True)
    other = simulate(SMALL, 500.0, 20, seed=12)
    pd.testing.assert_frame_equal(first.summary(), again.summary())
    pd.testing.assert_frame_equal(first.replications, again.replications)
    assert first.service_unavailability != other.service_unavailability


def test_rng_is_used_and_reproducible():
    first = simulate(SMALL, 500.0, 20, rng=np.random.default_rng(5))
    again = simulate(SMALL, 500.0, 20, rng=np.random.default_rng(5))
    assert first == again
    # The generator's state advances, so a second draw from it is a different run.
    generator = np.random.default_rng(5)
    simulate(SMALL, 500.0, 20, rng=generator)
    assert simulate(SMALL, 500.0, 20, rng=generator) != first


def test_result_summary_and_per_replication_frame():
    result = simulate(SMALL, 1000.0, 30, seed=3, per_replication=True)
    assert isinstance(result, SimulationResult)
    table = result.summary()
    assert list(table.index) == list(METRICS)
    assert list(table.columns) == ["simulated", "se", "ci_low", "ci_high"]
    for name in METRICS:
        assert table.loc[name, "simulated"] == getattr(result, name)
        assert table.loc[name, "se"] == getattr(result, name + "_se")
        low, estimate, high = table.loc[name, ["ci_low", "simulated", "ci_high"]]
        assert low <= estimate <= high
    # 95 % interval: t quantile with n - 1 = 29 degrees of freedom (2.045, statistics tables).
    half_width = table.loc["service_unavailability", "ci_high"] - result.service_unavailability
    assert half_width == pytest.approx(2.0452 * result.service_unavailability_se, rel=1e-3)
    wider = result.summary(confidence=0.99)
    assert (wider["ci_high"] - wider["ci_low"] >= table["ci_high"] - table["ci_low"]).all()
    with pytest.raises(ValueError, match="confidence=1.5 is out of range"):
        result.summary(confidence=1.5)

    frame = result.replications
    assert len(frame) == 30 and frame["replication"].tolist() == list(range(30))
    assert frame["service_unavailability"].mean() == pytest.approx(result.service_unavailability)
    assert frame["outages"].sum() == result.outages
    assert (frame["service_downtime_h"] <= 1000.0).all()
    assert simulate(SMALL, 1000.0, 30, seed=3).replications is None


# -- agreement with the analytic models (exponential) -------------------------------------------


@pytest.mark.parametrize(
    "scenario",
    [
        # even placement: every metric has a closed form
        Scenario(nodes=3, instances=6, min_instances=4, request_rate_rps=350.0, **NODES_ONLY),
        # 7 on 3 nodes -> 3, 2, 2: losing the heavy node (not a light one) takes it down
        Scenario(nodes=3, instances=7, min_instances=5, request_rate_rps=300.0, **NODES_ONLY),
        # container crashes on top of node failures
        CRASHES_7_ON_3,
        # failure zones above the nodes (6 nodes round-robin over 3 zones)
        Scenario(
            nodes=6,
            instances=7,
            min_instances=4,
            zones=3,
            zone_mttf_h=200.0,
            zone_mttr_h=5.0,
            **NODES_ONLY,
        ),
        # one repair crew for four nodes: a queue builds up
        Scenario(
            nodes=4,
            instances=8,
            min_instances=6,
            repair_crews=1,
            request_rate_rps=400.0,
            **NODES_ONLY,
        ),
        # rescheduling after Kubernetes' recovery time; unlimited room, then room for one
        # node's instances only (3 per node, 2 at home), with 4 of 6 needed for the load
        Scenario(nodes=3, instances=6, min_instances=5, request_rate_rps=0.0, **RESCHEDULE),
        Scenario(
            nodes=3,
            instances=6,
            min_instances=5,
            request_rate_rps=280.0,
            max_instances_per_node=3,
            **RESCHEDULE,
        ),
    ],
    ids=["even", "uneven", "crashes", "zones", "one-crew", "reschedule", "reschedule-room"],
)
def test_simulation_agrees_with_analytic_models(scenario):
    table = compare_with_analytic(scenario, 2000.0, 150, seed=2024)
    assert list(table.columns) == [
        "simulated",
        "se",
        "ci_low",
        "ci_high",
        "analytic",
        "z",
        "analytic_model",
    ]
    exact = ~table["analytic_model"].str.contains("worst-case")
    checked = table[table["analytic"].notna() & (table["se"] > 0) & exact]
    assert len(checked) >= 1
    bad = checked[checked["z"].abs() >= Z_LIMIT]
    assert bad.empty, bad.to_string()


def test_analytic_values_come_from_the_model_modules():
    scenario = Scenario(nodes=3, instances=6, min_instances=4, request_rate_rps=350.0, **NODES_ONLY)
    table = compare_with_analytic(scenario, 200.0, 4, seed=1)
    q = availability.steady_state_unavailability(100.0, 10.0)
    # The table reads U off the outage pass (truncated convolutions); service_unavailability
    # sums over the nodes down: the same model by two exact algorithms, equal to rounding.
    assert table.loc["service_unavailability", "analytic"] == pytest.approx(
        availability.service_unavailability(3, 6, 4, q), rel=1e-14
    )
    assert table.loc["capacity_unavailability", "analytic"] == load.capacity_unavailability(
        3, 6, 350.0, 100.0, 0.7, q
    )
    # Outages: the exact frequency over the placement (the metrics table's columns).
    outages = availability.service_outages(3, 6, 4, 100.0, 10.0)
    assert table.loc["outage_frequency_per_year", "analytic"] == pytest.approx(
        outages["outage_frequency"] * 8766.0, rel=1e-12
    )
    assert table.loc["mean_outage_duration_min", "analytic"] == pytest.approx(
        outages["mean_outage_duration"] * 60.0, rel=1e-12
    )
    row = table.loc["service_unavailability"]
    assert row["z"] == pytest.approx((row["simulated"] - row["analytic"]) / row["se"])


@pytest.mark.parametrize(
    ("horizon_h", "narrow"),
    [(2000.0, True), (40_000.0, False)],
    ids=["32-bit-keys", "64-bit-keys"],
)
def test_integer_clock_is_fine_enough_and_agrees_with_theory(horizon_h, narrow):
    # Nodes only: events are merged on integer ticks of the window. 32-bit keys are used only
    # while a tick x nodes is at most 1e-5 of the shortest mean duration (10 h here); over
    # 40 000 h that fails (2^29 ticks of 7.5e-5 h x 3 nodes > 1e-4 h), so 64-bit keys with
    # 2^40 ticks take over. Both must agree with the closed forms.
    scenario = Scenario(nodes=3, instances=6, min_instances=4, request_rate_rps=350.0, **NODES_ONLY)
    model = build_model(scenario, horizon_h, Exponential(100.0), Exponential(10.0))
    clock = model.fast.clock
    assert clock.narrow == narrow
    if narrow:
        assert clock.tick_h * scenario.nodes <= 1e-5 * 10.0
    else:
        assert clock.tick_h == pytest.approx(horizon_h * 2.0**-40, rel=1e-9)
    table = compare_with_analytic(scenario, horizon_h, int(3e6 // horizon_h), seed=31)
    checked = table[table["se"] > 0]
    assert len(checked) == len(simulation.METRICS)
    assert (checked["z"].abs() < Z_LIMIT).all(), table.to_string()


def test_integer_clock_reads_a_hand_made_timeline_exactly():
    # Two nodes with one instance each, both needed for the service, one for capacity (70
    # req/s at 100 req/s x 0.7). Both up at 0; A fails at 100, B at 120, A is back at 150, B
    # at 300, A fails again at 500 (thousandths of the window). Service down 100-300 and
    # from 500 on (two outages), capacity short 120-150.
    scenario = Scenario(nodes=2, instances=2, min_instances=2, request_rate_rps=70.0, **NODES_ONLY)
    model = build_model(scenario, 1000.0, Exponential(100.0), Exponential(10.0))
    clock = model.fast.clock
    unit = clock.window // 1000
    repair, failure = 0, 2  # c_max -/+ 1 instance
    events = [(0, repair), (0, repair), (100, failure), (120, failure), (150, repair)]
    events += [(300, repair), (500, failure)]
    keys = [((t * unit) << clock.code_bits) + code for t, code in events]
    keys = np.array([keys + [model.fast.pad] * 3], dtype=clock.dtype)
    downtime_h, shortfall_h, outages = _window_metrics(keys, model)[0]
    hours_per_tick = 1000.0 / clock.window
    assert downtime_h == pytest.approx((200 * unit + clock.window - 500 * unit) * hours_per_tick)
    assert shortfall_h == pytest.approx(30 * unit * hours_per_tick)
    assert outages == 2


def test_queued_repairs_over_uneven_placement_are_exact_not_worst_case():
    # 7 instances on 3 nodes (3, 2, 2), 5 needed, one repair crew: only the heavy node's
    # failure (or two failures) is an outage. The old node-count chain assumed any failure
    # was one; the service model's chain knows the placement and agrees with the simulator.
    scenario = Scenario(nodes=3, instances=7, min_instances=5, repair_crews=1, **NODES_ONLY)
    table = compare_with_analytic(scenario, 2000.0, 150, seed=5)
    row = table.loc["outage_frequency_per_year"]
    assert row["analytic_model"] == "haplan.service (exact: CTMC)"
    assert abs(row["z"]) < Z_LIMIT
    worst = markov.service_outage_metrics(3, 7, 5, 100.0, 10.0, 1)["outage_frequency_per_year"]
    assert row["simulated"] + 3 * row["se"] < worst


def test_exact_outage_frequency_over_uneven_placement_agrees_with_simulation():
    # The same cluster with independent repairs: the exact frequency (only the heavy node's
    # failure, or two failures, take the service down) agrees with the simulator.
    scenario = Scenario(nodes=3, instances=7, min_instances=5, **NODES_ONLY)
    table = compare_with_analytic(scenario, 2000.0, 150, seed=5)
    row = table.loc["outage_frequency_per_year"]
    assert row["analytic_model"] == "haplan.service (exact: placement convolution)"
    assert abs(row["z"]) < Z_LIMIT


def test_crew_simulation_matches_birth_death_directly():
    # Two nodes, one crew (two-unit parallel system with one repair crew: K. S. Trivedi,
    # Probability and Statistics with Reliability, Queuing and Computer Science
    # Applications, 2nd ed., 2016, ch. 8):
    # availability (mu^2 + 2 lambda mu) / (mu^2 + 2 lambda mu + 2 lambda^2) for "1 of 2 up".
    lam, mu = 1 / 20.0, 1 / 10.0
    scenario = Scenario(
        nodes=2,
        instances=2,
        min_instances=1,
        node_mttf_h=20.0,
        node_mttr_h=10.0,
        instance_mttf_h=INF,
        repair_crews=1,
    )
    result = simulate(scenario, 2000.0, 200, seed=99)
    expected = 2 * lam**2 / (mu**2 + 2 * lam * mu + 2 * lam**2)
    chain = markov.BirthDeath(2, lam, mu, crews=1)
    assert chain.unavailability(1) == pytest.approx(expected, rel=1e-12)
    estimate, se = result.service_unavailability, result.service_unavailability_se
    assert abs(z_score(estimate, se, expected)) < Z_LIMIT
    frequency = chain.outage_frequency(1) * YEAR_H
    z = z_score(result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency)
    assert abs(z) < Z_LIMIT


def test_rescheduling_lowers_unavailability_toward_recovery_time():
    # Same cluster with and without rescheduling: instances back after ~6 min instead of
    # after the node's 1 h repair must cut the service's downtime well below the plain model.
    base = dict(nodes=3, instances=3, min_instances=2, node_mttf_h=5.0, node_mttr_h=1.0)
    plain = simulate(Scenario(**base, instance_mttf_h=INF, request_rate_rps=0.0), 500.0, 50, seed=4)
    moved = simulate(
        Scenario(**base, instance_mttf_h=INF, request_rate_rps=0.0, reschedule=True),
        500.0,
        50,
        seed=4,
    )
    q = availability.steady_state_unavailability(5.0, 1.0)
    assert (
        abs(
            z_score(
                plain.service_unavailability,
                plain.service_unavailability_se,
                availability.service_unavailability(3, 3, 2, q),
            )
        )
        < Z_LIMIT
    )
    assert moved.service_unavailability < plain.service_unavailability / 5
    recovery_s = recovery.node_failure_recovery_s("kubernetes", 1)
    assert 0 < recovery_s / 3600 < 1.0  # the premise: recovery is faster than repair


# -- non-exponential lifetimes: the alternating renewal result ----------------------------------


@pytest.mark.parametrize(
    ("lifetime", "repair"),
    [
        (Weibull(100.0, 0.5), LogNormal(10.0, 1.0)),
        (Weibull(100.0, 2.5), Exponential(10.0)),
        (LogNormal(100.0, 0.8), Deterministic(10.0)),
        (Deterministic(100.0), Weibull(10.0, 0.7)),
    ],
    ids=["weibull-0.5/lognormal", "weibull-2.5/exponential", "lognormal/fixed", "fixed/weibull"],
)
def test_alternating_renewal_availability_for_any_distribution(lifetime, repair):
    # One node: U = MTTR / (MTTF + MTTR) and failures per year 8766 / (MTTF + MTTR) whatever
    # the distributions (Cox, Renewal Theory, 1962, ch. 7).
    scenario = Scenario(nodes=1, instances=1, min_instances=1, **NODES_ONLY)
    result = simulate(scenario, 3000.0, 150, seed=17, node_lifetime=lifetime, node_repair=repair)
    expected = 10.0 / 110.0
    z = z_score(result.service_unavailability, result.service_unavailability_se, expected)
    assert abs(z) < Z_LIMIT
    frequency = YEAR_H / 110.0
    z = z_score(result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency)
    assert abs(z) < Z_LIMIT


@pytest.mark.parametrize(
    ("lifetime", "repair"),
    [(Weibull(100.0, 0.5), LogNormal(10.0, 1.0)), (Deterministic(100.0), Deterministic(10.0))],
    ids=["weibull/lognormal", "fixed/fixed"],
)
def test_start_is_stationary(lifetime, repair):
    # A window far shorter than one repair sees the process as it is at time 0: with a
    # stationary start the share of time down is MTTR / (MTTF + MTTR); starting "all up"
    # would give nearly 0.
    scenario = Scenario(nodes=1, instances=1, min_instances=1, **NODES_ONLY)
    result = simulate(scenario, 0.5, 4000, seed=8, node_lifetime=lifetime, node_repair=repair)
    z = z_score(result.service_unavailability, result.service_unavailability_se, 10.0 / 110.0)
    assert abs(z) < Z_LIMIT


# -- edge cases and invariants ------------------------------------------------------------------


def test_nothing_fails_nothing_is_down():
    scenario = Scenario(nodes=3, instances=3, min_instances=3, **NODES_ONLY)
    for override in (dict(node_lifetime=Exponential(INF)), dict(node_repair=Deterministic(0.0))):
        result = simulate(scenario, 100.0, 5, seed=0, **override)
        assert result.service_unavailability == 0.0 and result.outages == 0
        assert math.isnan(result.mean_outage_duration_min)
    zero_k = Scenario(nodes=3, instances=3, min_instances=0, **NODES_ONLY)
    assert simulate(zero_k, 500.0, 5, seed=0).service_unavailability == 0.0


def test_overloaded_cluster_is_always_short_of_capacity():
    # 1000 req/s at 100 req/s per instance and u_max 0.7 needs 15 instances; 6 exist.
    scenario = Scenario(
        nodes=3, instances=6, min_instances=1, request_rate_rps=1000.0, **NODES_ONLY
    )
    assert load.instances_needed(1000.0, 100.0, 0.7) == 15
    result = simulate(scenario, 500.0, 5, seed=0)
    assert result.capacity_unavailability == 1.0


@settings(max_examples=25, deadline=None)
@given(
    nodes=st.integers(1, 5),
    per_node=st.integers(1, 3),
    k_share=st.floats(0.0, 1.0),
    needed_extra=st.integers(0, 2),
    crash=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_pathwise_invariants(nodes, per_node, k_share, needed_extra, crash, seed):
    # Exact for every run: shares of time lie in [0, 1]; needing more instances for capacity
    # than for service means capacity is short at least whenever the service is down.
    instances = nodes * per_node
    k = max(1, round(k_share * instances))
    needed = min(instances, k + needed_extra)
    scenario = Scenario(
        nodes=nodes,
        instances=instances,
        min_instances=k,
        node_mttf_h=50.0,
        node_mttr_h=10.0,
        instance_mttf_h=30.0 if crash else INF,
        instance_mttr_h=3.0,
        request_rate_rps=needed * 70.0,  # 100 req/s per instance at 0.7 -> needs `needed`
    )
    result = simulate(scenario, 200.0, 3, seed=seed, per_replication=True)
    frame = result.replications
    assert ((frame["service_unavailability"] >= 0) & (frame["service_unavailability"] <= 1)).all()
    assert (frame["capacity_downtime_h"] >= frame["service_downtime_h"] - 1e-9).all()
    assert (frame["outages"] >= 0).all()


# -- Dask ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario",
    [
        CRASHES_7_ON_3,
        # nodes only: the integer-clock path, whose work arrays are kept per thread
        Scenario(nodes=4, instances=9, min_instances=6, **NODES_ONLY),
    ],
    ids=["crashes", "nodes-only"],
)
def test_dask_gives_the_same_result_as_local(scenario):
    distributed = pytest.importorskip("dask.distributed")
    local = simulate(scenario, 500.0, 40, seed=21, chunk_size=7, per_replication=True)
    client = distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    )
    try:
        remote = simulate(
            scenario, 500.0, 40, seed=21, chunk_size=7, per_replication=True, client=client
        )
    finally:
        client.close()
    pd.testing.assert_frame_equal(local.summary(), remote.summary())
    pd.testing.assert_frame_equal(local.replications, remote.replications)


def test_queued_repairs_with_crashes_and_zones_match_the_crew_model(harsh_cluster):
    # One crew for 4 nodes in 2 zones, container crashes on: the service model's exact chain,
    # within Z_LIMIT standard errors, and equal to the crew model (other code) to rounding.
    scenario = harsh_cluster.with_overrides(repair_crews=1)
    table = compare_with_analytic(scenario, 2000.0, 200, seed=17)
    row = table.loc["service_unavailability"]
    assert row["analytic_model"] == "haplan.service (exact: CTMC)"
    assert abs(row["z"]) < Z_LIMIT, table.to_string()
    q_instance = availability.steady_state_unavailability(50.0, 1.0)
    q_zone = availability.steady_state_unavailability(500.0, 5.0)
    crew = markov.crew_service_unavailability(4, 6, 4, 100.0, 10.0, 1, q_instance, 2, q_zone)
    assert row["analytic"] == pytest.approx(crew, rel=1e-12)


# -- the vectorised paths -----------------------------------------------------------------------


def _queue_chain(per_node, crews: int, lam: float, mu: float):
    """Generator of the crew queue (ordered tuples of failed nodes, oldest first), by hand.

    A failure of an up node appends it (rate λ each); each of the first min(c, f) nodes in
    the queue is repaired at rate μ and leaves it.
    """
    nodes = range(len(per_node))
    states = [s for f in range(len(per_node) + 1) for s in itertools.permutations(nodes, f)]
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for s in states:
        for i in set(nodes) - set(s):
            q[index[s], index[s + (i,)]] += lam
        for j in range(min(crews, len(s))):
            q[index[s], index[s[:j] + s[j + 1 :]]] += mu
    np.fill_diagonal(q, -q.sum(axis=1))
    serving = np.array([sum(per_node) - sum(per_node[i] for i in s) for s in states])
    return q, serving


def _chain_unavailability_and_frequency(q: np.ndarray, down: np.ndarray):
    system = np.vstack([q.T, np.ones(len(q))])
    right = np.zeros(len(q) + 1)
    right[-1] = 1.0
    pi = np.linalg.lstsq(system, right, rcond=None)[0]
    frequency = float(pi[~down] @ q[np.ix_(~down, down)].sum(axis=1))
    return float(pi[down].sum()), frequency


def test_each_single_mechanism_has_its_vectorised_path():
    from haplan.simulate import crews, packed
    from haplan.simulate.layered import rescheduling_path
    from haplan.simulate.runner import vectorised_path

    def path(**overrides):
        scenario = Scenario(nodes=4, instances=7, min_instances=5, **NODES_ONLY)
        model = build_model(
            scenario.with_overrides(**overrides), 500.0, Exponential(100.0), Exponential(10.0)
        )
        return vectorised_path(model)

    assert path(instance_mttf_h=50.0, instance_mttr_h=1.0) is packed.containers_path
    assert path(zones=2, zone_mttf_h=300.0, zone_mttr_h=5.0) is packed.zones_path
    assert path(repair_crews=1) is crews.crews_path
    assert path(reschedule=True) is rescheduling_path
    assert path() is None  # the fast path
    assert path(repair_crews=1, reschedule=True) is None  # combinations: the general path


@pytest.mark.parametrize(
    ("nodes", "instances", "min_instances", "crews"),
    [(4, 7, 5, 2), (3, 7, 5, 1), (5, 10, 6, 2)],
    ids=["uneven-2-crews", "uneven-1-crew", "even-2-crews"],
)
def test_crew_chain_path_matches_the_queue_chain_written_here(
    nodes, instances, min_instances, crews
):
    # Exponential nodes queueing for c crews (first failed, first served), instances
    # placed unevenly (2, 2, 2, 1): the exact queue chain, built by hand above.
    lam, mu = 1 / 20.0, 1 / 8.0
    per_node = [int(p) for p in availability.instances_per_node(nodes, instances)]
    q, serving = _queue_chain(per_node, crews, lam, mu)
    service, frequency = _chain_unavailability_and_frequency(q, serving < min_instances)
    capacity, _ = _chain_unavailability_and_frequency(q, serving < min_instances + 1)
    scenario = Scenario(
        nodes=nodes,
        instances=instances,
        min_instances=min_instances,
        node_mttf_h=20.0,
        node_mttr_h=8.0,
        instance_mttf_h=INF,
        repair_crews=crews,
        request_rate_rps=70.0 * min_instances + 10.0,  # needs one more than k
    )
    result = simulate(scenario, 2000.0, 300, seed=31)
    for estimate, se, expected in [
        (result.service_unavailability, result.service_unavailability_se, service),
        (result.capacity_unavailability, result.capacity_unavailability_se, capacity),
        (result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency * YEAR_H),
    ]:
        assert abs(z_score(estimate, se, expected)) < Z_LIMIT
    if len(set(per_node)) == 1:  # even placement: the birth–death chain of haplan.markov
        chain = markov.BirthDeath(nodes, lam, mu, crews=crews)
        assert service == pytest.approx(chain.unavailability(-(-min_instances // per_node[0])))


def test_container_crashes_on_nodes_that_never_fail_are_binomial():
    # Nodes (nearly) never fail: the instances serving are Binomial(C, a), a the containers'
    # availability; outages start when one of exactly k serving crashes.
    a = 10.0 / 11.0
    scenario = Scenario(
        nodes=3,
        instances=6,
        min_instances=5,
        node_mttf_h=1e9,
        node_mttr_h=1.0,
        instance_mttf_h=10.0,
        instance_mttr_h=1.0,
        request_rate_rps=0.0,
    )
    result = simulate(scenario, 1000.0, 200, seed=32)
    from scipy import stats

    expected = stats.binom.cdf(4, 6, a)
    assert (
        abs(z_score(result.service_unavailability, result.service_unavailability_se, expected))
        < Z_LIMIT
    )
    frequency = stats.binom.pmf(5, 6, a) * 5 / 10.0 * YEAR_H
    z = z_score(result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency)
    assert abs(z) < Z_LIMIT


def test_zone_failures_over_nodes_that_never_fail_take_a_third_each():
    # Three zones of four instances, 9 needed: down while any zone is, U = 1 − A³, and
    # outages start from "all up" at rate 3 λ_z A³.
    lam_z, mu_z = 1 / 50.0, 1 / 5.0
    up = mu_z / (lam_z + mu_z)
    scenario = Scenario(
        nodes=6,
        instances=12,
        min_instances=9,
        node_mttf_h=1e9,
        node_mttr_h=1.0,
        instance_mttf_h=INF,
        zones=3,
        zone_mttf_h=50.0,
        zone_mttr_h=5.0,
        request_rate_rps=0.0,
    )
    result = simulate(scenario, 2000.0, 200, seed=33)
    z = z_score(result.service_unavailability, result.service_unavailability_se, 1 - up**3)
    assert abs(z) < Z_LIMIT
    frequency = 3 * lam_z * up**3 * YEAR_H
    z = z_score(result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency)
    assert abs(z) < Z_LIMIT


def test_vectorised_rescheduling_agrees_with_the_mechanistic_reference():
    # Same model, independent code: haplan.simulate.rescheduling (merged timelines) against
    # the one-sort path with packed (H, E, F), limited room and an exponential pipeline.
    from haplan.simulate import rescheduling
    from haplan.simulate.estimates import result_from_rows
    from haplan.simulate.layered import rescheduling_path

    scenario = Scenario(
        nodes=4,
        instances=7,
        min_instances=6,
        node_mttf_h=10.0,
        node_mttr_h=2.0,
        instance_mttf_h=INF,
        request_rate_rps=350.0,
        max_instances_per_node=3,
        reschedule=True,
    )
    model = build_model(scenario, 1000.0, Exponential(10.0), Exponential(2.0), Exponential(0.5))
    ours = result_from_rows(rescheduling_path(model, np.random.default_rng(34), 400), 1000.0, False)
    reference = result_from_rows(
        rescheduling.rescheduled(model, np.random.default_rng(35), 400), 1000.0, False
    )
    for name in ("service_unavailability", "capacity_unavailability", "outage_frequency_per_year"):
        se = math.hypot(getattr(ours, name + "_se"), getattr(reference, name + "_se"))
        assert abs(getattr(ours, name) - getattr(reference, name)) < 4 * se, name


def test_events_sharing_a_tick_act_together():
    # Level 3 (k = 3) before; at tick 10 a failure and a repair (3 -> 2 -> 3: no outage);
    # down 20-30 (one outage). Window 0-100 ticks = 100 h.
    from types import SimpleNamespace

    from haplan.simulate.ticks import level_metrics, narrow_shift

    model = SimpleNamespace(min_instances=3, instances_needed=0.0, horizon_h=100.0)
    times = np.array([[10, 10, 20, 30]], np.int64)
    levels = np.array([[2, 3, 2, 3]], np.int32)
    downtime, shortfall, outages = level_metrics(times, levels, model, 0, 100, 3)[0]
    assert (downtime, shortfall, outages) == (10.0, 0.0, 1)
    # 32-bit keys only when few events could share a coarse tick.
    assert narrow_shift(3, 1000.0) is not None
    assert narrow_shift(3, 1e6) is None


def test_many_events_sharing_coarse_ticks_stay_exact(monkeypatch):
    # Force 32-bit keys on a long window (coarse ticks of ~11 s, ~20 ties per replication):
    # groups of events sharing a tick are read at their end, so the packed state never
    # leaks from one field into another and the binomial result holds.
    from scipy import stats

    from haplan.simulate import ticks

    monkeypatch.setattr(ticks, "_NARROW_TIES", 1e9)
    scenario = Scenario(
        nodes=3,
        instances=6,
        min_instances=5,
        node_mttf_h=1e9,
        node_mttr_h=1.0,
        instance_mttf_h=10.0,
        instance_mttr_h=1.0,
        request_rate_rps=0.0,
    )
    result = simulate(scenario, 1e5, 20, seed=36)
    expected = stats.binom.cdf(4, 6, 10.0 / 11.0)
    z = z_score(result.service_unavailability, result.service_unavailability_se, expected)
    assert abs(z) < Z_LIMIT
