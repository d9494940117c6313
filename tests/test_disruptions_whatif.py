"""Deterministic what-ifs: step times are the cumulative stage sums, counts by hand."""

import math
from itertools import accumulate

import pytest

from haplan import Scenario
from haplan.disruptions import Timeline
from haplan.disruptions.whatif import WHATIF_EVENTS, whatif
from haplan.recovery import (
    NODE_FAILURE_STAGES,
    container_crash_recovery_s,
    container_crash_stages,
    node_failure_recovery_s,
    node_failure_stages,
    stages_table,
)


def _node_stage_seconds(orchestrator, moved, failed):
    table = stages_table(orchestrator, instances_to_move=moved, failed_nodes=failed)
    rows = table[table["event"] == "node_failure"]
    assert tuple(rows["stage"]) == NODE_FAILURE_STAGES
    return rows["seconds"].tolist()


# Hand values, 2 instances moved from 1 failed node (data/orchestrators.csv):
# Kubernetes 1.32+: detection 50 - 10/2 + 5/2 = 47.5, toleration 300, 2 / 50 per s = 0.04,
#   2 pulls x 200 MB / 100 MB/s = 4, start 2, readiness 0 + 10 x 1 = 10;
# Swarm: 15 - 5/2 = 12.5, restart delay 5, 0.04, 4, 2, no readiness gate;
# Nomad: 25 - 15/2 = 17.5, no eviction wait, 0.04, 4, 2, no readiness gate.
HAND_TIMES = {
    "kubernetes": [0.0, 47.5, 347.5, 347.54, 351.54, 353.54, 363.54],
    "swarm": [0.0, 12.5, 17.5, 17.54, 21.54, 23.54, 23.54],
    "nomad": [0.0, 17.5, 17.5, 17.54, 21.54, 23.54, 23.54],
}


@pytest.mark.parametrize("orchestrator", sorted(HAND_TIMES))
def test_one_node_lost_step_by_step(orchestrator):
    scenario = Scenario(nodes=3, instances=6, orchestrator=orchestrator)  # 2 a node
    timeline = whatif(scenario, "nodes")
    assert isinstance(timeline, Timeline)
    frame = timeline.frame
    seconds = _node_stage_seconds(orchestrator, 2, 1)
    # Each step starts where the previous stages end: exactly the cumulative stage sums.
    assert frame["time_s"].tolist() == [0.0, *accumulate(seconds)]
    assert frame["time_s"].tolist() == pytest.approx(HAND_TIMES[orchestrator], abs=1e-12)
    assert frame["stage"].tolist() == [*NODE_FAILURE_STAGES, ""]
    # 2 of 6 down from t = 0 until readiness ends; room everywhere, nothing pending.
    assert frame["instances_ready"].tolist() == [4] * 6 + [6]
    assert frame["instances_pending"].tolist() == [0] * 7
    totals = timeline.totals
    full = node_failure_recovery_s(orchestrator, instances_to_move=2)
    assert totals["time_to_full_strength_s"] == pytest.approx(full, rel=1e-15)
    assert totals["fewest_ready"] == 4 and totals["never_placed"] == 0
    # Default horizon: full strength + 10 %.
    assert totals["duration_s"] == pytest.approx(1.1 * full, rel=1e-12)
    assert timeline.event == f"lose 1 node (2 instances) at 100 req/s on {orchestrator}"


def test_the_most_loaded_nodes_go_first_and_evictions_are_rate_limited():
    # 7 instances on 3 nodes: [3, 2, 2]; losing 2 nodes loses 3 + 2 = 5.
    scenario = Scenario(nodes=3, instances=7)
    frame = whatif(scenario, "nodes", count=2).frame
    assert frame["instances_ready"].tolist() == [2] * 6 + [7]
    stages = node_failure_stages("kubernetes", instances_to_move=5, failed_nodes=2)
    # Kubernetes taints the second node 10 s after the first: eviction 300 + 10 s.
    assert stages["eviction"] == 310.0
    assert frame["time_s"].tolist() == [0.0, *accumulate(stages.values())]
    assert frame["time_s"].iloc[-1] == pytest.approx(47.5 + 310 + 0.1 + 10 + 2 + 10, abs=1e-12)
    # One node: the heaviest, 3 instances.
    assert whatif(scenario, "nodes").frame["instances_ready"].iloc[0] == 4


@pytest.fixture
def zonal():
    # 9 nodes in 3 zones, 18 pods of 150 req/s (2 a node), 80 % ceiling, p99 <= 200 ms.
    return Scenario(
        nodes=9,
        zones=3,
        instances=18,
        instance_capacity_rps=150.0,
        request_rate_rps=1000.0,
        max_utilization=0.8,
        target_p99_ms=200.0,
        target_availability=0.9995,
    )


def test_a_zone_lost_at_peak(zonal):
    timeline = whatif(zonal, "zone", zone=0, at_rps=2000.0)
    assert timeline.event == "lose zone 0 (3 nodes, 6 instances) at 2,000 req/s on kubernetes"
    frame = timeline.frame
    # Zone 0 holds nodes 0, 3, 6 (6 pods); 3 nodes tainted one per 10 s: eviction 320 s.
    assert frame["time_s"].tolist() == pytest.approx(
        [0.0, 47.5, 367.5, 367.62, 379.62, 381.62, 391.62], abs=1e-12
    )
    assert frame["instances_ready"].tolist() == [12] * 6 + [18]
    # 12 pods x 150 = 1,800 req/s < 2,000: overloaded, p99 inf, until the 6 are back.
    assert frame["overloaded"].tolist() == [True] * 6 + [False]
    totals = timeline.totals
    assert math.isinf(totals["worst_p99_ms"])
    assert totals["time_below_target_s"] == pytest.approx(391.62, abs=1e-12)
    assert totals["time_to_full_strength_s"] == pytest.approx(391.62, abs=1e-12)
    # Back at 18: random balancing, each pod M/M/1 at 2000/18 req/s: p99 = ln 100 / (mu - lam).
    p99 = 1e3 * math.log(100.0) / (150.0 - 2000.0 / 18.0)
    assert frame["p99_response_ms"].iloc[-1] == pytest.approx(p99, rel=1e-12)
    assert frame["slo_ok"].iloc[-1]
    # 99.95 % over 30 days allows 21.6 min; 391.62 s is 6.527 min of it.
    assert totals["budget_spent_min"] == pytest.approx(6.527, rel=1e-12)
    assert totals["budget_share_30d"] == pytest.approx(6.527 / 21.6, rel=1e-12)


def test_a_zone_lost_off_peak_is_slow_but_not_overloaded(zonal):
    timeline = whatif(zonal, "zone", zone=1, at_rps=1500.0)
    # 12 pods at 1,500 req/s: 125 req/s each, p99 = ln 100 / 25 s = 184.2 ms (under 200 ms),
    # but 1,500 / (0.8 x 150) = 12.5 -> 13 pods needed: below target all the same.
    p99 = 1e3 * math.log(100.0) / (150.0 - 125.0)
    assert timeline.totals["worst_p99_ms"] == pytest.approx(p99, rel=1e-12)
    assert timeline.frame["p99_ok"].all()
    assert timeline.totals["time_below_target_s"] == pytest.approx(391.62, abs=1e-12)


def test_at_rps_defaults_to_the_scenario_rate(zonal):
    timeline = whatif(zonal, "zone")
    assert "at 1,000 req/s" in timeline.event
    assert timeline.frame["utilization"].iloc[0] == pytest.approx(1000.0 / 1800.0, rel=1e-15)


def test_no_room_on_the_survivors_leaves_instances_pending():
    scenario = Scenario(nodes=3, instances=6, max_instances_per_node=2)
    timeline = whatif(scenario, "nodes")
    assert timeline.event == "lose 1 node (2 instances, no room for 2) at 100 req/s on kubernetes"
    frame = timeline.frame
    # Nothing placed: detection, eviction, then the replacements wait for good.
    assert frame["time_s"].tolist() == [0.0, 47.5, 347.5]
    assert frame["stage"].tolist() == ["detection", "eviction", ""]
    assert frame["instances_ready"].tolist() == [4, 4, 4]
    assert frame["instances_pending"].tolist() == [0, 0, 2]
    totals = timeline.totals
    assert totals["never_placed"] == 2
    assert math.isinf(totals["time_to_full_strength_s"])
    assert totals["duration_s"] == 600.0  # never back: the 600 s default horizon


def test_some_room_places_what_fits_and_times_the_stages_for_those():
    # 8 on 4 nodes (2 each), at most 3 a node: losing 2 nodes frees room for 2 of the 4.
    scenario = Scenario(nodes=4, instances=8, max_instances_per_node=3)
    frame = whatif(scenario, "nodes", count=2).frame
    stages = node_failure_stages("kubernetes", instances_to_move=2, failed_nodes=2)
    assert frame["time_s"].tolist() == [0.0, *accumulate(stages.values())]
    assert frame["instances_ready"].tolist() == [4] * 6 + [6]
    assert frame["instances_pending"].tolist() == [0, 0, 2, 2, 2, 2, 2]
    timeline = whatif(scenario, "nodes", count=2)
    assert timeline.totals["never_placed"] == 2
    assert math.isinf(timeline.totals["time_to_full_strength_s"])


def test_a_share_of_the_pool():
    scenario = Scenario(nodes=10, instances=20)
    # 0.3 x 10 is 3.0000000000000004 in floating point: still 3 nodes.
    timeline = whatif(scenario, "share", share=0.3)
    assert timeline.event == (
        "lose 30 % of the nodes (3 of 10 nodes, 6 instances) at 100 req/s on kubernetes"
    )
    assert timeline.frame["instances_ready"].tolist() == [14] * 6 + [20]
    stages = node_failure_stages("kubernetes", instances_to_move=6, failed_nodes=3)
    assert timeline.frame["time_s"].tolist() == [0.0, *accumulate(stages.values())]
    # 0.31 x 10 rounds up to 4 nodes.
    assert whatif(scenario, "share", share=0.31).frame["instances_ready"].iloc[0] == 12


def test_a_share_may_take_every_node():
    # 0.9 x 3 -> 3 nodes: no survivor, every instance pending.
    totals = whatif(Scenario(nodes=3, instances=6), "share", share=0.9).totals
    assert totals["fewest_ready"] == 0 and totals["never_placed"] == 6


def test_a_zone_without_instances_changes_nothing():
    # 2 instances on 9 nodes: nodes 0 and 1; zone 2 (nodes 2, 5, 8) holds none.
    timeline = whatif(Scenario(nodes=9, zones=3, instances=2), "zone", zone=2)
    assert timeline.frame["instances_ready"].tolist() == [2, 2, 2]
    assert timeline.totals["time_to_full_strength_s"] == 0.0


@pytest.mark.parametrize("orchestrator", ["kubernetes", "swarm", "nomad"])
def test_a_crash_storm_restarts_in_the_crash_pipeline_time(orchestrator):
    scenario = Scenario(nodes=3, instances=6, orchestrator=orchestrator)
    timeline = whatif(scenario, "crash", count=4)
    assert timeline.event == f"crash 4 instances at once at 100 req/s on {orchestrator}"
    frame = timeline.frame
    stages = container_crash_stages(orchestrator, 1)
    assert frame["stage"].tolist() == [*stages, ""]
    assert frame["time_s"].tolist() == [0.0, *accumulate(stages.values())]
    assert frame["instances_ready"].tolist() == [2] * len(stages) + [6]
    full = container_crash_recovery_s(orchestrator, 1)
    assert timeline.totals["time_to_full_strength_s"] == pytest.approx(full, rel=1e-15)
    # Kubernetes: at once, 2 s start, 10 s readiness; Swarm: 5 s, a new task (1/50 s), 2 s;
    # Nomad: 15 s, 2 s.
    assert full == pytest.approx({"kubernetes": 12.0, "swarm": 7.02, "nomad": 17.0}[orchestrator])


def test_the_reschedule_flag_does_not_change_a_whatif():
    base = Scenario(nodes=3, instances=6)
    frames = [whatif(base.with_overrides(reschedule=r), "nodes").frame for r in (False, True)]
    assert frames[0].equals(frames[1])


def test_an_explicit_horizon_cuts_the_timeline():
    timeline = whatif(Scenario(nodes=3, instances=6), "nodes", horizon_s=100.0)
    assert timeline.frame["time_s"].tolist() == [0.0, 47.5]
    assert timeline.totals["duration_s"] == 100.0
    assert math.isinf(timeline.totals["time_to_full_strength_s"])  # not back within it


def test_a_stage_that_never_ends_leaves_the_instances_down():
    scenario = Scenario(nodes=3, instances=6).with_overrides(eviction_s=math.inf)
    timeline = whatif(scenario, "nodes")
    assert timeline.frame["time_s"].tolist() == [0.0, 47.5]
    assert timeline.event.endswith("on kubernetes (tuned)")
    assert math.isinf(timeline.totals["time_to_full_strength_s"])
    assert timeline.totals["duration_s"] == 600.0


@pytest.mark.parametrize(
    "event, kwargs, message",
    [
        ("rack", {}, r"event='rack' is not valid: must be one of nodes, zone, share, crash"),
        ("nodes", {"count": 0}, r"count=0 is out of range: .* >= 1 and < nodes \(3\)"),
        ("nodes", {"count": 3}, r"count=3 is out of range"),
        ("nodes", {"count": 1.5}, r"count=1.5 is out of range"),
        ("nodes", {"count": True}, r"count=True is not valid"),
        ("nodes", {"count": "2"}, r"count='2' is not valid"),
        ("crash", {"count": 7}, r"count=7 is out of range: .* <= instances \(6\)"),
        ("zone", {"zone": 3}, r"zone=3 is out of range: .* >= 0 and < zones \(3\)"),
        ("zone", {"zone": -1}, r"zone=-1 is out of range"),
        ("zone", {"count": 2}, r"count=2 is not valid: event='zone' takes no count"),
        ("nodes", {"zone": 1}, r"zone=1 is not valid: only event='zone'"),
        ("share", {}, r"share=None is not valid: event='share' needs 0 < share < 1"),
        ("share", {"share": 0.0}, r"share=0.0 is out of range: must be a number > 0 and < 1"),
        ("share", {"share": 1.0}, r"share=1.0 is out of range"),
        ("share", {"share": math.nan}, r"share=nan is out of range"),
        ("nodes", {"share": 0.5}, r"share=0.5 is not valid: only event='share'"),
        ("nodes", {"at_rps": -1.0}, r"at_rps=-1.0 is out of range: must be a number >= 0"),
        ("nodes", {"at_rps": math.inf}, r"at_rps=inf is out of range"),
        ("nodes", {"horizon_s": 0.0}, r"horizon_s=0.0 is out of range: must be a number > 0"),
    ],
)
def test_bad_inputs_are_refused(event, kwargs, message):
    scenario = Scenario(nodes=3, zones=3, instances=6)
    with pytest.raises(ValueError, match=message):
        whatif(scenario, event, **kwargs)


def test_the_events():
    assert WHATIF_EVENTS == ("nodes", "zone", "share", "crash")
