"""The HorizontalPodAutoscaler control loop, step by step against the algorithm by hand.

Every case uses pods of 100 req/s, a 50 % CPU target and pods ready 20 s after the HPA
creates them, so 400 req/s on 8 pods is exactly on target (50 %) and the desired count is
ceil(ratio × ready) with ratio = utilisation / 50 %.
"""

import dataclasses
import math

import pandas as pd
import pytest

from haplan import Scenario, balancing
from haplan.autoscaling.hpa import (
    HPA_COLUMNS,
    HpaResult,
    default_scale_down,
    default_scale_up,
    simulate_hpa,
)
from haplan.recovery import node_failure_stages

MU = 100.0  # instance capacity [req/s]
READY = 20.0  # pod_ready_s of every hand computation [s]


@pytest.fixture
def web():
    return Scenario(nodes=4, instances=8, instance_capacity_rps=MU)


def run(scenario, profile, **options):
    settings = dict(
        min_replicas=2,
        max_replicas=30,
        target_utilization=0.5,
        pod_ready_s=READY,
        initial_replicas=8,
    )
    settings.update(options)
    return simulate_hpa(scenario, pd.Series(profile), **settings)


def at(result, time_s, column="replicas"):
    frame = result.frame
    return frame.loc[frame["time_s"] == time_s, column].item()


def trajectory(result, until):
    frame = result.frame[result.frame["time_s"] <= until]
    return list(
        zip(
            frame["time_s"],
            frame["desired_replicas"],
            frame["replicas"],
            frame["ready_replicas"],
            strict=True,
        )
    )


STEP = {0.0: 400.0, 60.0: 1000.0, 600.0: 400.0}


def test_step_up_follows_the_algorithm_sync_by_sync(web):
    result = run(web, STEP, horizon_s=1000.0)
    assert trajectory(result, 105.0) == [
        # 400 req/s on 8 pods: 50 % = target, ratio 1: nothing to do.
        (0.0, 8, 8, 8),
        (15.0, 8, 8, 8),
        (30.0, 8, 8, 8),
        (45.0, 8, 8, 8),
        # 1,000 req/s on 8 ready pods: 125 %, ratio 2.5, desired ⌈2.5 × 8⌉ = 20; the
        # default scale-up limit is max(8 + 4, 2 × 8) = 16 per 15 s.
        (60.0, 20, 16, 8),
        # 8 ready at 125 %, 8 not ready counted at 0 %: 1,000 / 1,600 = 62 % (truncated),
        # ratio 1.25, ⌈1.25 × 16⌉ = 20 (not ⌈2.5 × 16⌉ = 40); limit max(16 + 4, 32) = 32.
        (75.0, 20, 20, 8),
        # the 8 pods created at 60 s are ready at 60 + 20 s.
        (80.0, 20, 20, 16),
        # 16 ready at 62 %: ratio 1.24 > 1 with 4 not ready; over all 20 pods 50 %, ratio 1
        # inside the tolerance: no change.
        (90.0, 20, 20, 16),
        (95.0, 20, 20, 20),
        (105.0, 20, 20, 20),
    ]
    assert result.frame["utilization"].tolist()[4:9] == [1.25, 1.25, 0.625, 0.625, 0.5]


def test_scale_down_is_held_by_the_300_s_window_then_applied(web):
    result = run(web, STEP, horizon_s=1000.0)
    frame = result.frame.set_index("time_s")
    # from 600 s: 400 req/s on 20 pods, 20 %, ratio 0.4, recommendation ⌈0.4 × 20⌉ = 8; the
    # window (now − 300 s, now] holds the recommendations of 20 made up to 585 s.
    assert (frame.loc[600.0:870.0, "desired_replicas"] == 8).all()
    assert (frame.loc[600.0:870.0, "replicas"] == 20).all()
    # at 885 s the window (585, 885] holds only 8s: down to 8 (−100 % per 15 s allows it).
    assert at(result, 885.0) == 8 and at(result, 885.0, "ready_replicas") == 8
    assert (frame.loc[885.0:, "replicas"] == 8).all()
    totals = result.totals
    assert (totals["scale_ups"], totals["scale_downs"], totals["scaling_events"]) == (2, 1, 3)
    assert totals["max_replicas"] == 20
    # short of capacity (ready < ⌈1,000 / 70⌉ = 15) from 60 s until 16 are ready at 80 s.
    assert totals["time_short_s"] == 20.0 and totals["short_share"] == 20.0 / 1000.0
    assert totals["worst_p99_ms"] == math.inf
    # created pods × time: 8 × 60 + 16 × 15 + 20 × (885 − 75) + 8 × (1000 − 885) s.
    pod_seconds = 8 * 60 + 16 * 15 + 20 * 810 + 8 * 115
    assert totals["instance_hours"] == pytest.approx(pod_seconds / 3600.0, rel=1e-12)
    assert totals["mean_replicas"] == pytest.approx(pod_seconds / 1000.0, rel=1e-12)


def test_no_window_scales_down_at_once_and_pods_policy_paces_it(web):
    result = run(web, STEP, horizon_s=1000.0, scale_down={"stabilization_window_s": 0})
    assert at(result, 585.0) == 20 and at(result, 600.0) == 8
    # 4 pods per 60 s, counted from the scale at the start of the period: 20 → 16 at 885 s,
    # the event at 885 s leaves the period (t − 60, t] only at 945 s: 12, then 8 at 1,005 s.
    paced = run(web, STEP, horizon_s=1100.0, scale_down={"policies": [("Pods", 4, 60)]})
    assert [at(paced, t) for t in (870.0, 885.0, 900.0, 930.0, 945.0, 990.0, 1005.0)] == [
        20,
        16,
        16,
        16,
        12,
        12,
        8,
    ]


def test_scale_up_policy_limits_per_period(web):
    # 2 pods per 60 s: 8 → 10 at 60 s; the period (t − 60, t] holds that event until 120 s.
    result = run(web, STEP, horizon_s=300.0, scale_up={"policies": [("Pods", 2, 60.0)]})
    assert [at(result, t) for t in (45.0, 60.0, 75.0, 105.0, 120.0, 180.0)] == [
        8,
        10,
        10,
        10,
        12,
        14,
    ]
    # Min of +4 pods and +100 %: +4 per 15 s.
    slow = run(web, STEP, horizon_s=120.0, scale_up={"select_policy": "Min"})
    assert [at(slow, t) for t in (60.0, 75.0, 90.0)] == [12, 16, 20]


def test_a_ratio_inside_the_tolerance_does_nothing(web):
    # 440 req/s: 55 %, ratio 1.1 (the tolerance's edge, inclusive); 360 req/s: 45 %, 0.9.
    for rate in (440.0, 360.0, 420.0):
        result = run(web, {0.0: 400.0, 30.0: rate}, horizon_s=900.0)
        assert set(result.frame["replicas"]) == {8}
        assert set(result.frame["desired_replicas"]) == {8}
        assert result.totals["scaling_events"] == 0
    # 450 req/s: 56 % (56.25 truncated), ratio 1.12, ⌈1.12 × 8⌉ = 9.
    result = run(web, {0.0: 400.0, 30.0: 450.0}, horizon_s=120.0)
    assert at(result, 15.0) == 8 and at(result, 30.0) == 9
    # tolerance 0.2: 56 % is inside.
    assert (
        run(web, {0.0: 400.0, 30.0: 450.0}, horizon_s=120.0, tolerance=0.2).totals["scaling_events"]
        == 0
    )


def test_min_and_max_replicas_bound_the_result(web):
    capped = run(web, STEP, horizon_s=1000.0, max_replicas=12)
    assert at(capped, 60.0) == 12 and at(capped, 60.0, "desired_replicas") == 20
    assert capped.totals["max_replicas"] == 12
    floored = run(web, STEP, horizon_s=1000.0, min_replicas=10)
    assert at(floored, 885.0) == 10 and at(floored, 885.0, "desired_replicas") == 8
    # a scale outside the bounds is brought to them at the first sync, without a metric;
    # the controller starts with the profile (no earlier recommendation), so at 15 s 400
    # req/s on 30 pods (13 %, ratio 0.26, ⌈7.8⌉ = 8) goes to 8 at once.
    over = run(web, {0.0: 400.0, 60.0: 400.0}, initial_replicas=40)
    assert [at(over, t) for t in (0.0, 15.0, 30.0)] == [30, 8, 8]
    assert over.totals["scale_downs"] == 2


def test_node_room_delays_pods_by_the_node_provisioning_time(web):
    # room for 10 pods: of the 8 created at 60 s, 2 fit (ready at 80 s), 6 wait 60 s for a
    # node (ready at 140 s); the 4 created at 75 s are beyond the room (ready at 155 s).
    result = run(web, STEP, horizon_s=300.0, node_room=10, node_provision_s=60.0)
    ready = result.frame.set_index("time_s")["ready_replicas"]
    assert [ready[t] for t in (60.0, 75.0, 80.0, 135.0, 140.0, 150.0, 155.0)] == [
        8,
        8,
        10,
        10,
        16,
        16,
        20,
    ]
    # at 90 s: 10 ready at 100 %, 10 not ready: over all 20 pods 50 %, ratio 1: no change.
    assert at(result, 90.0) == 20
    assert result.totals["time_short_s"] == 140.0 - 60.0
    # the default room (4 nodes × unlimited pods per node) delays nothing.
    assert run(web, STEP, horizon_s=300.0, node_provision_s=60.0).settings["node_room"] == (
        math.inf
    )


def test_a_constant_profile_on_the_right_scale_gives_no_event_and_the_static_p99(web):
    result = run(web, {0.0: 400.0, 3600.0: 400.0})
    frame = result.frame
    assert result.totals["scaling_events"] == 0
    assert set(frame["replicas"]) == {8} and set(frame["ready_replicas"]) == {8}
    static = 1e3 * balancing.response_time_quantile(web.balancer, 0.99, 400.0, MU, 8)
    assert result.totals["worst_p99_ms"] == pytest.approx(static, rel=1e-12)
    # random balancing: Exp(μ − λ/c) = Exp(50 /s), p99 = ln(100) / 50 s.
    assert static == pytest.approx(1e3 * math.log(100.0) / 50.0, rel=1e-12)
    assert frame["meets_targets"].all() and result.totals["time_short_s"] == 0.0
    assert result.totals["duration_s"] == 7200.0
    assert result.totals["instance_hours"] == pytest.approx(16.0, rel=1e-12)
    assert result.frame["time_s"].tolist() == [15.0 * k for k in range(480)]


def test_the_p99_target_joins_meets_targets(web):
    strict = web.with_overrides(target_p99_ms=100.0)
    result = run(strict, STEP, horizon_s=300.0)
    frame = result.frame.set_index("time_s")
    # 16 ready at 1,000 req/s: p99 = ln(100) / (100 − 62.5) s = 122.8 ms > 100 ms.
    assert frame.loc[80.0, "p99_response_ms"] == pytest.approx(1e3 * math.log(100) / 37.5)
    assert not frame.loc[80.0, "meets_targets"] and frame.loc[95.0, "meets_targets"]
    assert result.totals["time_below_target_s"] == 95.0 - 60.0
    assert result.totals["time_short_s"] == 80.0 - 60.0


def test_disabled_scale_down_never_removes_a_pod(web):
    result = run(web, STEP, horizon_s=1500.0, scale_down={"select_policy": "Disabled"})
    assert result.frame["replicas"].iloc[-1] == 20 and result.totals["scale_downs"] == 0


def test_defaults_and_the_result_shape(web):
    result = simulate_hpa(web, pd.Series({0.0: 100.0, 60.0: 100.0}), min_replicas=1, max_replicas=5)
    settings = result.settings
    assert settings["pod_ready_s"] == pytest.approx(14.02)
    assert settings["target_utilization"] == 0.7 and settings["sync_s"] == 15.0
    assert settings["scale_up"] == default_scale_up()
    assert settings["scale_down"] == default_scale_down()
    assert settings["initial_replicas"] == 5  # scenario.instances = 8 brought to max 5
    assert settings["horizon_s"] == 120.0
    assert tuple(result.frame.columns) == HPA_COLUMNS
    assert isinstance(result, HpaResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.frame = None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_replicas": 0}, "min_replicas=0"),
        ({"max_replicas": 1}, "max_replicas=1 is out of range"),
        ({"target_utilization": 0}, "target_utilization=0"),
        ({"sync_s": -15}, "sync_s=-15"),
        ({"tolerance": 1.5}, "tolerance=1.5"),
        ({"pod_ready_s": -1}, "pod_ready_s=-1"),
        ({"node_room": 2.5}, "node_room=2.5"),
        ({"node_provision_s": -1.0}, "node_provision_s=-1.0"),
        ({"node_provision_s": math.nan}, "node_provision_s=nan"),
        ({"failure": 100.0}, "failure=100.0 is not valid"),
        ({"failure": {"at": 100.0}}, "failure key 'at'"),
        ({"failure": {"event": "nodes"}}, "failure has no 'at_s'"),
        ({"failure": {"at_s": 1140.0}}, "failure['at_s']=1140.0 is out of range"),
        ({"failure": {"at_s": -5.0}}, "failure['at_s']=-5.0 is out of range"),
        ({"failure": {"at_s": 100.0, "event": "share"}}, "failure['event']='share'"),
        ({"failure": {"at_s": 100.0, "count": 5}}, "failure['count']=5 is out of range"),
        ({"failure": {"at_s": 100.0, "zone": 1}}, "failure['zone']=1 is not valid"),
        ({"failure": {"at_s": 100.0, "event": "zone", "zone": 1}}, "failure['zone']=1 is out"),
        ({"failure": {"at_s": 100.0, "event": "zone", "count": 2}}, "failure['count']=2"),
        ({"initial_replicas": 0}, "initial_replicas=0"),
        ({"horizon_s": 0.0}, "horizon_s=0.0 is out of range"),
        ({"scale_up": {"window": 0}}, "scale_up key 'window'"),
        ({"scale_up": {"stabilization_window_s": 4000}}, "stabilization_window_s']=4000"),
        ({"scale_up": {"select_policy": "max"}}, "select_policy']='max'"),
        ({"scale_down": {"policies": [("Replicas", 1, 15)]}}, "type='Replicas'"),
        ({"scale_down": {"policies": [("Pods", 0, 15)]}}, "value=0"),
        ({"scale_down": {"policies": [("Pods", 1, 3600)]}}, "period_s=3600"),
        ({"scale_down": {"policies": []}}, "at least one policy"),
    ],
)
def test_validation_names_parameter_value_and_range(web, options, message):
    with pytest.raises(ValueError) as error:
        run(web, STEP, **options)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ([400.0, 500.0], "must be a pandas Series"),
        (pd.Series(dtype=float), "profile is empty"),
        (pd.Series({0.0: 400.0, -1.0: 500.0}), "increasing"),
        (pd.Series({0.0: -1.0, 60.0: 500.0}), "profile value -1.0"),
        (pd.Series({0.0: 400.0}), "horizon_s=None"),
    ],
)
def test_profile_validation(web, profile, message):
    with pytest.raises(ValueError) as error:
        simulate_hpa(web, profile, min_replicas=1, max_replicas=10)
    assert message in str(error.value)


def test_recommend_takes_the_cheapest_setting_that_keeps_every_target():
    from haplan.autoscaling import diurnal, recommend

    scenario = Scenario(nodes=6, instances=6, instance_capacity_rps=150.0, target_p99_ms=200.0)
    advice = recommend(scenario, diurnal(3000.0), targets=(0.5, 0.6, 0.7))
    table = advice.candidates
    assert list(table["instance_hours"]) == sorted(table["instance_hours"])
    keeps = table[table["reason"] == ""]
    assert advice.best is not None and advice.best.name == keeps.index[0]
    # Every cheaper candidate fails for a stated reason: too slow to keep up at 70 %, or,
    # at 60 %, too few pods at the peak to lose a node's share (29 of them carry 3,000 req/s
    # under the 70 % ceiling).
    cheaper = table.loc[: advice.best.name].iloc[:-1]
    assert (cheaper["reason"] != "").all()
    assert any(r.startswith("losing a node at the peak") for r in cheaper["reason"])
    assert advice.best["time_below_target_s"] == 0.0
    assert advice.best["ready_at_peak"] - math.ceil(advice.best["ready_at_peak"] / 6) >= 29


# -- a failure while the HPA runs -------------------------------------------------------------
# Stock Kubernetes (data/orchestrators.csv): detection 47.5 s, eviction 300 s (+ 10 s per
# further node), then per replacement 0.02 s of scheduling and 2 s of image pull, and 2 s of
# container start + 10 s of readiness for the lot.


def ready_steps(result):
    """(time, replicas, ready) at every change of the scale or of the ready pods."""
    frame = result.frame
    changed = (frame["replicas"].diff() != 0) | (frame["ready_replicas"].diff() != 0)
    return [
        (t, int(r), int(k))
        for t, r, k in frame.loc[changed, ["time_s", "replicas", "ready_replicas"]].to_numpy()
    ]


def test_a_lost_node_on_a_constant_profile_is_replaced_after_the_pipeline(web):
    result = run(web, {0.0: 400.0}, horizon_s=900.0, failure={"at_s": 100.0})
    # 8 pods on 4 nodes, 2 a node: node 0 takes 2 ready pods at 100 s (between two syncs);
    # their replacements are created after 47.5 + 300 s and ready after 0.04 + 4 + 2 + 10 s.
    pipeline = 47.5 + 300.0 + 2 * 0.02 + 2 * 2.0 + 2.0 + 10.0
    assert pipeline == pytest.approx(sum(node_failure_stages("kubernetes", 2, 1).values()))
    back = pytest.approx(100.0 + pipeline)
    assert ready_steps(result) == [(0.0, 8, 8), (100.0, 8, 6), (back, 8, 8)]
    # The first sync after it, at 105 s: 400 req/s on 6 ready pods is 66 % (66.7 truncated),
    # ratio 1.32 > 1 with 2 pods not ready; over all 8 pods (those at 0 %) 50 %, ratio 1,
    # inside the tolerance: no change. The HPA does not scale up for the lost node alone.
    assert at(result, 105.0, "desired_replicas") == 8 and at(result, 105.0) == 8
    assert at(result, 105.0, "utilization") == pytest.approx(400.0 / 600.0)
    assert result.totals["scaling_events"] == 0
    # 6 pods still carry 400 req/s under 70 % (⌈400 / 70⌉ = 6): no time below target.
    assert result.totals["time_below_target_s"] == 0.0
    # the lost pods stay in the scale: 8 pods created all along.
    assert result.totals["instance_hours"] == pytest.approx(8 * 900.0 / 3600.0, rel=1e-12)
    failure = result.settings["failure"]
    assert (failure["lost"], failure["placed"], failure["pending"]) == (2, 2, 0)
    assert failure["replaced_at_s"] == 447.5
    assert failure["placed_ready_at_s"] == pytest.approx(100.0 + pipeline)
    assert failure["stages"] == {"detection": 47.5, "eviction": 300.0}


def test_the_hpa_scales_up_by_its_policy_while_the_replacements_are_on_their_way(web):
    result = run(web, {0.0: 400.0, 120.0: 600.0}, horizon_s=900.0, failure={"at_s": 100.0})
    assert trajectory(result, 150.0) == [
        (0.0, 8, 8, 8),
        (15.0, 8, 8, 8),
        (30.0, 8, 8, 8),
        (45.0, 8, 8, 8),
        (60.0, 8, 8, 8),
        (75.0, 8, 8, 8),
        (90.0, 8, 8, 8),
        (100.0, 8, 8, 6),  # node 0's 2 pods lost
        (105.0, 8, 8, 6),  # 66 %; 50 % over all 8 pods: inside the tolerance
        # 600 req/s on 6 ready pods: 100 %, ratio 2 > 1 with 2 not ready; over 8 pods 75 %,
        # ratio 1.5, ⌈1.5 × 8⌉ = 12, within the limit max(8 + 4, 2 × 8) = 16.
        (120.0, 12, 12, 6),
        # 6 ready at 100 %, 6 not ready: over 12 pods 50 %, ratio 1: no change.
        (135.0, 12, 12, 6),
        (140.0, 12, 12, 10),  # the 4 new pods ready 20 s later, on the surviving nodes
        # 10 ready at 60 %, ratio 1.2 > 1 with the 2 lost pods not ready: over 12, 50 %.
        (150.0, 12, 12, 10),
    ]
    pipeline = sum(node_failure_stages("kubernetes", 2, 1).values())
    assert ready_steps(result)[-1] == (pytest.approx(100.0 + pipeline), 12, 12)
    assert result.totals["scale_ups"] == 1 and result.totals["scale_downs"] == 0
    # short of ⌈600 / 70⌉ = 9 ready pods from 120 s until the 4 new ones are ready at 140 s.
    assert result.totals["time_short_s"] == 20.0


def test_a_scale_down_removes_the_lost_pods_first(web):
    result = run(
        web,
        {0.0: 400.0, 100.0: 100.0},
        horizon_s=900.0,
        scale_down={"stabilization_window_s": 0},
        failure={"at_s": 100.0},
    )
    # 105 s: 100 req/s on 6 ready pods, 16 %, ratio 0.32, ⌈0.32 × 6⌉ = 2: the 2 lost pods go
    # first, then 4 of the ready ones; nothing is left to replace.
    assert ready_steps(result) == [(0.0, 8, 8), (100.0, 8, 6), (105.0, 2, 2)]
    assert result.settings["failure"]["placed"] == 0
    assert result.settings["failure"]["pending"] == 0


def test_without_room_the_replacements_wait_for_the_cluster_autoscaler():
    # 2 pods a node at most: the 3 surviving nodes hold 6, full with the 6 survivors.
    full = Scenario(nodes=4, instances=8, instance_capacity_rps=MU, max_instances_per_node=2)
    options = dict(horizon_s=900.0, failure={"at_s": 100.0})
    start = 2 * 0.02 + 2 * 2.0 + 2.0 + 10.0  # scheduling … readiness of the 2 replacements
    never = run(full, {0.0: 400.0}, node_provision_s=math.inf, **options)
    assert ready_steps(never) == [(0.0, 8, 8), (100.0, 8, 6)]
    failure = never.settings["failure"]
    assert (failure["node_room_after"], failure["placed"], failure["pending"]) == (6, 0, 2)
    assert failure["pending_ready_at_s"] == math.inf
    slow = run(full, {0.0: 400.0}, node_provision_s=60.0, **options)
    assert ready_steps(slow)[-1] == (pytest.approx(100.0 + 347.5 + 60.0 + start), 8, 8)
    # node_provision_s = 0 (the default) is a cluster autoscaler that adds nodes at once.
    instant = run(full, {0.0: 400.0}, **options)
    assert ready_steps(instant)[-1] == (pytest.approx(100.0 + 347.5 + start), 8, 8)
    # with no cluster autoscaler the HPA's own pods beyond the room never start either.
    capped = run(full, STEP, horizon_s=300.0, node_provision_s=math.inf)
    assert set(capped.frame["ready_replicas"]) == {8}


def test_losing_a_zone_loses_its_nodes_pods_and_evicts_them_one_node_per_10_s():
    cluster = Scenario(nodes=6, zones=3, instances=9, instance_capacity_rps=MU)
    result = run(
        cluster,
        {0.0: 450.0},
        horizon_s=900.0,
        initial_replicas=9,
        failure={"at_s": 100.0, "event": "zone", "zone": 1},
    )
    # 9 pods on 6 nodes: [2, 2, 2, 1, 1, 1]; zone 1 = nodes 1 and 4: 2 + 1 = 3 pods.
    # Eviction: 300 s for the first node, + 10 s for the second; then 3 replacements.
    pipeline = 47.5 + 310.0 + 3 * 0.02 + 3 * 2.0 + 2.0 + 10.0
    assert pipeline == pytest.approx(sum(node_failure_stages("kubernetes", 3, 2).values()))
    back = pytest.approx(100.0 + pipeline)
    assert ready_steps(result) == [(0.0, 9, 9), (100.0, 9, 6), (back, 9, 9)]
    failure = result.settings["failure"]
    assert (failure["failed_nodes"], failure["lost"]) == (2, 3)
    # 450 req/s needs ⌈450 / 70⌉ = 7 ready pods: below target until the replacements.
    assert result.totals["time_below_target_s"] == pytest.approx(pipeline)


def test_recommend_simulates_losing_a_node_at_the_peak():
    from haplan.autoscaling import diurnal, recommend

    scenario = Scenario(nodes=6, instances=6, instance_capacity_rps=150.0, target_p99_ms=200.0)
    advice = recommend(scenario, diurnal(3000.0), min_replicas=(1, 2), targets=(0.5, 0.6, 0.7))
    table = advice.candidates
    # at 60 % the HPA holds 32 pods at the peak (14:00): losing a node takes ⌈32 / 6⌉ = 6;
    # 26 < ⌈3,000 / 105⌉ = 29 until the 6 replacements are ready, 47.5 + 300 + 6 × 0.02 +
    # 6 × 2 + 2 + 10 = 371.62 s later (the HPA does not scale up: the lost pods count at 0 %).
    at_60 = table[table["target_utilization"] == 0.6]
    assert (at_60["ready_at_peak"] == 32).all()
    assert at_60["failure_below_target_s"].to_numpy() == pytest.approx(371.62)
    assert all(
        r.startswith("losing a node at the peak: below target for 372 s (6 pods lost;")
        for r in at_60["reason"]
    )
    assert advice.best["failure_below_target_s"] == 0.0
    assert advice.best["target_utilization"] == 0.5
    # candidates already below target without the failure are not simulated with it.
    assert table.loc[table["time_below_target_s"] > 0, "failure_below_target_s"].isna().all()
    # without the check the cheaper 60 % wins.
    loose = recommend(
        scenario, diurnal(3000.0), min_replicas=(1, 2), targets=(0.5, 0.6), survive_node_loss=False
    )
    assert loose.best["target_utilization"] == 0.6
    with pytest.raises(ValueError, match="failure is not valid for recommend"):
        recommend(scenario, diurnal(3000.0), failure={"at_s": 0.0})


def test_losing_every_node_leaves_no_room():
    alone = Scenario(nodes=1, instances=2, instance_capacity_rps=MU)
    options = dict(min_replicas=2, initial_replicas=2, horizon_s=900.0, failure={"at_s": 0.0})
    never = run(alone, {0.0: 100.0}, node_provision_s=math.inf, **options)
    assert set(never.frame["ready_replicas"]) == {0}
    assert never.settings["failure"]["node_room_after"] == 0
    added = run(alone, {0.0: 100.0}, node_provision_s=90.0, **options)
    start = sum(node_failure_stages("kubernetes", 2, 1).values()) - 347.5
    assert ready_steps(added) == [(0.0, 2, 0), (pytest.approx(347.5 + 90.0 + start), 2, 2)]
