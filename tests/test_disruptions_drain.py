"""Node drains through the PodDisruptionBudget: drain times, dips and blocks by hand."""

import math

import pytest

from haplan import Scenario
from haplan.disruptions.drain import drain, pdb_min_available
from haplan.disruptions.rollout import rollout_budget_min

P, U = 10.0, 100.0  # pod_ready_s and node_upgrade_s of every hand computation


def run(scenario, **kwargs):
    return drain(scenario, pod_ready_s=P, node_upgrade_s=U, **kwargs)


def test_three_nodes_of_two_pods_min_available_four():
    # t=0: node 0's 2 pods go at once (6 -> 4 >= 4), to nodes 1 and 2 (3 pods each); 6 ready
    # at P. t=U: node 0 back; node 1: 2 go at once (to node 0), the third waits until they
    # are ready (P), node 1 empty at U + P; node 2 likewise from 2U + P: done at 3U + 2P.
    timeline = run(Scenario(nodes=3, instances=6), min_available=4)
    frame = timeline.frame
    assert frame["time_s"].tolist() == [0, 10, 100, 110, 120, 210, 220, 230, 320]
    assert frame["instances_ready"].tolist() == [4, 6, 4, 5, 6, 4, 5, 6, 6]
    assert frame["stage"].tolist()[:3] == ["upgrade node 0", "upgrade node 0", "drain node 1"]
    totals = timeline.totals
    assert totals["drain_s"] == 3 * U + 2 * P == totals["upgrade_s"]
    assert totals["fewest_ready"] == 4 and totals["dip"] == 2
    assert totals["time_short_s"] == P + 2 * P + 2 * P
    assert totals["nodes_drained"] == 3 and totals["min_available"] == 4
    assert totals["blocked"] is False and totals["blocked_reason"] == ""
    assert timeline.event.endswith("done in 320 s")


def test_a_budget_of_all_replicas_blocks_the_drain():
    # minAvailable 3 of 3 (the scenario's min_instances): disruptionsAllowed = 0.
    timeline = drain(Scenario(nodes=3, instances=3, min_instances=3))
    totals = timeline.totals
    assert totals["blocked"] is True
    assert totals["blocked_reason"] == (
        "the PodDisruptionBudget (minAvailable 3 of 3) allows no eviction: "
        "the drain of node 0 never finishes"
    )
    assert timeline.event.endswith(totals["blocked_reason"])
    assert math.isinf(totals["drain_s"]) and math.isinf(totals["upgrade_s"])
    assert totals["nodes_drained"] == 0 and totals["fewest_ready"] == 3
    # The same as a percentage; one fewer lets it through.
    assert run(Scenario(nodes=3, instances=3), min_available="100%").totals["blocked"]
    assert not run(Scenario(nodes=3, instances=3), min_available=2).totals["blocked"]


def test_no_room_keeps_evicted_pods_pending_until_the_node_returns():
    # Two slots a node, all full: node 0's pods wait for node 0 itself (U), start (P); each
    # next drain waits P for them to be ready before it may evict: 3U + 3P, 4 ready throughout.
    timeline = run(Scenario(nodes=3, instances=6, max_instances_per_node=2), min_available=4)
    frame = timeline.frame
    assert frame["time_s"].tolist() == [0, 100, 110, 210, 220, 320, 330]
    assert frame["instances_ready"].tolist() == [4, 4, 4, 4, 4, 4, 6]
    assert frame["instances_pending"].tolist() == [2, 0, 2, 0, 2, 0, 0]
    assert timeline.totals["drain_s"] == 3 * U + 3 * P
    assert timeline.totals["upgrade_s"] == 3 * U + 2 * P
    assert timeline.totals["time_short_s"] == 3 * U + 3 * P


def test_a_surge_node_shortens_the_dip():
    # An empty fourth node takes node 0's pods at once; each upgraded node takes the next
    # node's pods: the dip lasts P a node, and the upgrade takes 3U.
    tight = Scenario(nodes=3, instances=6, max_instances_per_node=2)
    timeline = run(tight, min_available=4, surge_nodes=1)
    assert timeline.frame["instances_ready"].tolist() == [4, 6, 4, 6, 4, 6, 6]
    totals = timeline.totals
    assert totals["drain_s"] == 3 * U and totals["time_short_s"] == 3 * P
    assert totals["never_placed"] == 0
    assert "1 surge node" in timeline.event


def test_a_budget_waiting_for_room_deadlocks_and_a_surge_node_frees_it():
    # minAvailable 5 of 6, full nodes: one pod goes, its replacement has no room (node 0 is
    # cordoned), so the second eviction never becomes allowed.
    tight = Scenario(nodes=3, instances=6, max_instances_per_node=2)
    stuck = run(tight, min_available=5)
    assert stuck.totals["blocked"] is True and stuck.totals["never_placed"] == 1
    assert stuck.totals["blocked_reason"] == (
        "the PodDisruptionBudget (minAvailable 5 of 6) allows no further eviction while 1 "
        "evicted pod waits for room (max_instances_per_node 2, node 0 cordoned): the drain "
        "of node 0 never finishes"
    )
    # With a surge node the pods go one by one, P apart: each node empties P after its drain
    # starts and is back U later, 3 × (P + U); 5 ready for 2P a node.
    freed = run(tight, min_available=5, surge_nodes=1)
    assert freed.frame["time_s"].tolist() == [0, 10, 20, 110, 120, 130, 220, 230, 240, 330]
    assert freed.totals["drain_s"] == 3 * U + 3 * P
    assert freed.totals["fewest_ready"] == 5 and freed.totals["time_short_s"] == 6 * P


def test_chosen_nodes_and_not_ready_pods():
    # Drain node 2 then node 0 with a 5 s upgrade. t=0: node 2's pods go to nodes 0 and 1
    # (ready at 10). t=5: node 0 holds 2 old pods and 1 starting: the starting one may go
    # (4 healthy >= 4), the old ones wait for a pod to become ready: one at 10, one at 15;
    # node 0 is empty at 15, back at 20; the last replacement is ready at 25.
    timeline = drain(
        Scenario(nodes=3, instances=6),
        min_available=4,
        nodes_to_drain=[2, 0],
        pod_ready_s=P,
        node_upgrade_s=5.0,
    )
    assert timeline.frame["time_s"].tolist() == [0, 5, 15, 20, 25]
    assert timeline.frame["instances_ready"].tolist() == [4, 4, 4, 5, 6]
    assert timeline.totals["nodes_drained"] == 2
    assert (timeline.totals["drain_s"], timeline.totals["upgrade_s"]) == (25.0, 20.0)
    one = run(Scenario(nodes=3, instances=6), min_available=0, nodes_to_drain=1)
    assert one.totals["drain_s"] == U and one.totals["time_short_s"] == P


def test_the_budget_a_drain_spends():
    # 300 req/s on 100 req/s pods under 70 %: 5 needed. Below target while 4 are ready:
    # 3 × P = 30 s = 0.5 min of the 21.6 min a 99.95 % target allows in 30 days.
    scenario = Scenario(nodes=3, instances=6, request_rate_rps=300.0, target_availability=0.9995)
    timeline = run(scenario, min_available=4)
    assert timeline.totals["time_below_target_s"] == 30.0
    assert rollout_budget_min(timeline) == 0.5
    assert timeline.totals["budget_share_30d"] == pytest.approx(0.5 / 21.6, rel=1e-12)


def test_pdb_percentages_round_up():
    assert pdb_min_available("50%", 6) == 3
    assert pdb_min_available("34%", 3) == 2  # 1.02 -> 2
    assert pdb_min_available(0, 3) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(nodes_to_drain=4), r"nodes_to_drain=4 is out of range: must be a whole number"),
        (dict(nodes_to_drain=[0, 0]), r"nodes_to_drain=\[0, 0\] is not valid"),
        (dict(nodes_to_drain=[3]), r"nodes_to_drain=3 is out of range"),
        (dict(surge_nodes=-1), r"surge_nodes=-1 is out of range"),
        (dict(min_available=7), r"min_available=7 is out of range: must be a whole number in"),
        (dict(min_available="150%"), r"min_available='150%' is out of range"),
        (dict(min_available="half"), r"min_available='half' is not valid"),
        (dict(node_upgrade_s=math.inf), r"node_upgrade_s=inf is out of range"),
        (dict(pod_ready_s=-1.0), r"pod_ready_s=-1.0 is out of range"),
    ],
)
def test_drain_inputs_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        drain(Scenario(nodes=3, instances=6), **kwargs)
