"""Rolling updates: Deployment, StatefulSet and Docker Swarm waves, durations and dips by hand."""

import math

import pytest

from haplan import Scenario
from haplan.disruptions.rollout import (
    deployment_rollout,
    pod_start_s,
    resolve_fenceposts,
    rollout_budget_min,
    statefulset_rollout,
    swarm_rollout,
)

P = 10.0  # pod_ready_s of every hand computation


def steps(timeline):
    frame = timeline.frame
    return list(zip(frame["time_s"], frame["instances_ready"], frame["stage"], strict=True))


@pytest.fixture
def four():
    return Scenario(nodes=4, instances=4)


# -- Deployment -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_surge", "max_unavailable", "waves", "fewest"),
    [
        # 25 % of 4: surge ⌈1⌉ = 1, unavailable ⌊1⌋ = 1. t=0: new +1, old −1, new +1 (3
        # serve); t=P: 2 new ready, old −2, new +2 (3 serve); t=2P: 4 new, old −1: done.
        ("25%", "25%", 2, 3),
        # 1/0: one new pod at a time, an old one goes only when it is available: 4 waves.
        (1, 0, 4, 4),
        # 0/1: an old pod goes first, then its replacement starts: 4 waves, 3 serve.
        (0, 1, 4, 3),
        # 100 %/0: all 4 new pods at once (8 pods), the old 4 go when they are ready.
        ("100%", 0, 1, 4),
    ],
)
def test_deployment_waves_duration_and_dip(four, max_surge, max_unavailable, waves, fewest):
    timeline = deployment_rollout(
        four, max_surge=max_surge, max_unavailable=max_unavailable, pod_ready_s=P
    )
    totals = timeline.totals
    assert totals["waves"] == waves
    assert totals["rollout_s"] == waves * P
    assert totals["duration_s"] == waves * P
    assert totals["fewest_ready"] == fewest
    assert totals["dip"] == 4 - fewest
    assert totals["time_short_s"] == (waves * P if fewest < 4 else 0.0)
    assert totals["blocked"] is False and totals["blocked_reason"] == ""
    assert f"done in {waves * P:g} s" in timeline.event


def test_deployment_25_percent_steps(four):
    timeline = deployment_rollout(four, pod_ready_s=P)
    assert steps(timeline) == [(0.0, 3, "wave 1"), (10.0, 3, "wave 2"), (20.0, 4, "")]
    assert (timeline.totals["max_surge"], timeline.totals["max_unavailable"]) == (1, 1)
    assert timeline.event.startswith(
        "rolling update of a Deployment of 4 replicas (maxSurge 1, maxUnavailable 1, pods "
        "ready 10 s after creation) at 100 req/s: 2 waves, done in 20 s"
    )


def test_percentages_round_surge_up_and_unavailable_down():
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)  # 2.5 -> 3 and 2
    assert resolve_fenceposts("25%", "25%", 4) == (1, 1)
    assert resolve_fenceposts("10%", "0%", 4) == (1, 0)  # 0.4 -> 1
    # Both round to 0: Kubernetes sets maxUnavailable to 1 to make progress.
    assert resolve_fenceposts("0%", "10%", 4) == (0, 1)
    assert resolve_fenceposts(2, "100%", 3) == (2, 3)
    assert resolve_fenceposts(1, 7, 4) == (1, 4)  # maxUnavailable capped at the replicas
    assert resolve_fenceposts("150%", 0, 4) == (6, 0)  # maxSurge may exceed 100 %


def test_ten_replicas_at_25_percent():
    # Surge 3, unavailable 2: t=0 new +3, old −2 (8), new +2; t=P 5 ready, old −5 (3), new
    # +5, 8 serve; t=2P all 10 ready, old −3: done in 2 waves, never fewer than 8.
    timeline = deployment_rollout(Scenario(nodes=5, instances=10), pod_ready_s=P)
    assert steps(timeline) == [(0.0, 8, "wave 1"), (10.0, 8, "wave 2"), (20.0, 10, "")]
    assert timeline.totals["rollout_s"] == 20.0 and timeline.totals["dip"] == 2


def test_min_ready_seconds_delays_scale_down_but_ready_pods_serve(four):
    # 25 %/25 %, ready at P = 10, available at 15: 2 new pods serve from 10 (5 serve), the
    # old ones go at 15, the last 2 new pods serve from 25 and are available at 30.
    timeline = deployment_rollout(four, pod_ready_s=P, min_ready_s=5.0)
    assert steps(timeline) == [
        (0.0, 3, "wave 1"),
        (10.0, 5, "wave 1"),
        (15.0, 3, "wave 2"),
        (25.0, 5, "wave 2"),
        (30.0, 4, ""),
    ]
    assert timeline.totals["rollout_s"] == 30.0
    assert "minReadySeconds 5" in timeline.event


def test_surge_without_room_slows_the_rollout():
    # 3 replicas on 3 nodes of one slot each, maxSurge 1, maxUnavailable 1. t=0: the surge
    # pod has no slot until an old pod goes, the second new pod waits (pending 1); t=P: one
    # new available, one old goes, the pending pod is placed; t=2P: the last old goes, the
    # last new pod is placed; t=3P: done. With room everywhere it takes 2P.
    tight = Scenario(nodes=3, instances=3, max_instances_per_node=1)
    timeline = deployment_rollout(tight, max_surge=1, max_unavailable=1, pod_ready_s=P)
    frame = timeline.frame
    assert frame["time_s"].tolist() == [0.0, 10.0, 20.0, 30.0]
    assert frame["instances_ready"].tolist() == [2, 2, 2, 3]
    assert frame["instances_pending"].tolist() == [1, 1, 0, 0]
    assert timeline.totals["rollout_s"] == 30.0
    roomy = deployment_rollout(Scenario(nodes=3, instances=3), max_surge=1, max_unavailable=1)
    assert roomy.totals["rollout_s"] == pytest.approx(2 * pod_start_s(Scenario()), rel=1e-12)


def test_a_surge_that_never_finds_room_blocks_the_rollout():
    tight = Scenario(nodes=3, instances=3, max_instances_per_node=1)
    timeline = deployment_rollout(tight, max_surge=1, max_unavailable=0, pod_ready_s=P)
    totals = timeline.totals
    assert totals["blocked"] is True and math.isinf(totals["rollout_s"])
    assert totals["never_placed"] == 1 and totals["fewest_ready"] == 3
    assert totals["blocked_reason"] == (
        "1 new pod finds no room (max_instances_per_node 1 on 3 nodes) and maxUnavailable 0 "
        "lets no old pod go: the rollout never finishes"
    )
    assert timeline.event.endswith(totals["blocked_reason"])


def test_default_pod_start_is_the_pipelines_fresh_pod_with_image_pull(four):
    # Kubernetes: scheduling 1/50 + pull 200 MB at 100 MB/s + start 2 + readiness 10 s.
    assert pod_start_s(four) == pytest.approx(0.02 + 2.0 + 2.0 + 10.0, rel=1e-12)
    swarm = four.with_overrides(orchestrator="swarm")
    assert pod_start_s(swarm) == pytest.approx(0.02 + 2.0 + 2.0, rel=1e-12)
    assert pod_start_s(four, 3.5) == 3.5
    timeline = deployment_rollout(four)
    assert timeline.totals["rollout_s"] == pytest.approx(2 * 14.02, rel=1e-12)


def test_the_budget_one_rollout_spends():
    # 250 req/s on 100 req/s pods under 70 %: 4 needed, so 3 ready is below target for the
    # whole 25 %/25 % rollout, 2 × 30 s = 1 min: 1/21.6 of the 99.95 % budget.
    scenario = Scenario(nodes=4, instances=4, request_rate_rps=250.0, target_availability=0.9995)
    timeline = deployment_rollout(scenario, pod_ready_s=30.0)
    assert timeline.totals["time_below_target_s"] == 60.0
    assert rollout_budget_min(timeline) == 1.0
    assert timeline.totals["budget_share_30d"] == pytest.approx(1.0 / 21.6, rel=1e-12)
    # At a lower rate the dip costs nothing.
    quiet = deployment_rollout(scenario, pod_ready_s=30.0, at_rps=100.0)
    assert rollout_budget_min(quiet) == 0.0
    assert "at 100 req/s" in quiet.event


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(max_surge=0, max_unavailable=0), r"max_unavailable=0 is out of range: may not"),
        (dict(max_surge="0%", max_unavailable=0), "may not be 0 when max_surge='0%' is 0"),
        (dict(max_unavailable="150%"), r"max_unavailable='150%' is out of range"),
        (dict(max_surge="25"), r"max_surge='25' is not valid: must be a whole number"),
        (dict(max_surge=1.5), r"max_surge=1.5 is out of range"),
        (dict(max_surge=-1), r"max_surge=-1 is out of range"),
        (dict(max_surge=True), r"max_surge=True is not valid"),
        (dict(min_ready_s=-1.0), r"min_ready_s=-1.0 is out of range: must be a finite"),
        (dict(pod_ready_s=math.nan), r"pod_ready_s=nan is out of range"),
        (dict(at_rps=-5.0), r"at_rps=-5.0 is out of range"),
    ],
)
def test_deployment_inputs_are_checked(four, kwargs, message):
    with pytest.raises(ValueError, match=message):
        deployment_rollout(four, **kwargs)


# -- StatefulSet ------------------------------------------------------------------------------


def test_statefulset_updates_one_pod_at_a_time_from_the_highest_ordinal(four):
    timeline = statefulset_rollout(four, pod_ready_s=P)
    assert steps(timeline) == [
        (0.0, 3, "pod 3"),
        (10.0, 3, "pod 2"),
        (20.0, 3, "pod 1"),
        (30.0, 3, "pod 0"),
        (40.0, 4, ""),
    ]
    totals = timeline.totals
    assert totals["waves"] == 4 and totals["rollout_s"] == 40.0
    assert totals["dip"] == 1 and totals["time_short_s"] == 40.0
    assert timeline.stages[0] == ("pod 3", 0.0, 10.0)


def test_statefulset_partition_and_a_single_pod(four):
    partial = statefulset_rollout(four, pod_ready_s=P, partition=2)
    assert steps(partial) == [(0.0, 3, "pod 3"), (10.0, 3, "pod 2"), (20.0, 4, "")]
    alone = statefulset_rollout(Scenario(nodes=1, instances=1), pod_ready_s=P)
    assert alone.totals["fewest_ready"] == 0 and alone.totals["rollout_s"] == 10.0
    with pytest.raises(ValueError, match=r"partition=5 is out of range: must be a whole"):
        statefulset_rollout(four, partition=5)


# -- Docker Swarm -----------------------------------------------------------------------------


def test_swarm_stop_first_dips_by_parallelism_with_delays(four):
    # 4 tasks one at a time, ready in 10 s, 5 s delay after each, 5 s monitor at the end:
    # batch j starts at 15 j; full strength at 4 × 10 + 3 × 5 = 55 s; done at 4 × 15 + 5.
    timeline = swarm_rollout(four, parallelism=1, delay_s=5.0, pod_ready_s=P)
    assert steps(timeline) == [
        (0.0, 3, "batch 1"),
        (10.0, 4, "delay"),
        (15.0, 3, "batch 2"),
        (25.0, 4, "delay"),
        (30.0, 3, "batch 3"),
        (40.0, 4, "delay"),
        (45.0, 3, "batch 4"),
        (55.0, 4, "delay"),
        (60.0, 4, "monitor"),
        (65.0, 4, ""),
    ]
    totals = timeline.totals
    assert totals["rollout_s"] == 65.0 and totals["waves"] == 4
    assert totals["dip"] == 1 and totals["time_short_s"] == 40.0
    assert totals["time_to_full_strength_s"] == 55.0


def test_swarm_start_first_has_no_dip(four):
    timeline = swarm_rollout(four, parallelism=2, delay_s=5.0, order="start-first", pod_ready_s=P)
    totals = timeline.totals
    assert totals["fewest_ready"] == 4 and totals["dip"] == 0 and totals["time_short_s"] == 0
    assert totals["rollout_s"] == 2 * 15.0 + 5.0
    stop = swarm_rollout(four, parallelism=2, delay_s=5.0, pod_ready_s=P)
    assert stop.totals["dip"] == 2 and stop.totals["time_short_s"] == 20.0
    assert stop.totals["rollout_s"] == 35.0


def test_swarm_uneven_and_unlimited_parallelism(four):
    # parallelism 3 on 4 tasks: a batch of 3, then one of 1.
    uneven = swarm_rollout(four, parallelism=3, monitor_s=0.0, pod_ready_s=P)
    assert steps(uneven) == [(0.0, 1, "batch 1"), (10.0, 3, "batch 2"), (20.0, 4, "")]
    assert uneven.totals["rollout_s"] == 20.0
    # parallelism 0: all at once, every task down for P.
    everything = swarm_rollout(four, parallelism=0, pod_ready_s=P)
    assert everything.totals["fewest_ready"] == 0 and everything.totals["rollout_s"] == 15.0
    assert everything.totals["parallelism"] == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(order="rolling"), "order='rolling' is not valid: must be one of stop-first"),
        (dict(parallelism=1.5), r"parallelism=1.5 is out of range: must be a whole number"),
        (dict(parallelism=-1), r"parallelism=-1 is out of range"),
        (dict(delay_s=-1.0), r"delay_s=-1.0 is out of range"),
        (dict(monitor_s=math.inf), r"monitor_s=inf is out of range"),
    ],
)
def test_swarm_inputs_are_checked(four, kwargs, message):
    with pytest.raises(ValueError, match=message):
        swarm_rollout(four, **kwargs)
