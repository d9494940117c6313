"""Tests of haplan.cluster: packing, spread, rescheduling, placement availability, the planner.

Every check is against something computed independently here: hand-worked numbers, a brute
force over every candidate cluster, every arrangement or every up/down state, or the
scheduler's stated rule re-applied pod by pod with exact fractions.
"""

import itertools
import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from haplan import Scenario
from haplan.availability import instances_per_node, service_unavailability
from haplan.cluster import (
    Pool,
    Spread,
    WorkloadSpec,
    assess,
    even_spread_exists,
    load_cluster,
    placement_unavailability,
    plan_cluster,
    pods_per_node,
    read_node_types,
    reschedule,
    schedule,
)
from haplan.cluster.taints import Taint, Toleration, read_taints, read_tolerations, untolerated
from haplan.manifests import ManifestError
from haplan.table import metrics

# ---------------------------------------------------------------------------------------
# helpers


def make_pool(cpu, memory=None, max_pods=None, zone=None, zones=None, ds=(0.0, 0.0, 0), taints=()):
    """A pool built node by node (zones may be uneven); memory and pods plentiful unless given;
    ``taints``: per node, a tuple of Taint (none by default)."""
    cpu = np.asarray(cpu, dtype=float)
    n = len(cpu)
    memory = np.full(n, 64.0) if memory is None else np.asarray(memory, dtype=float)
    max_pods = np.full(n, 110) if max_pods is None else np.asarray(max_pods, dtype=int)
    zone = np.zeros(n, dtype=int) if zone is None else np.asarray(zone, dtype=int)
    zones = int(zone.max()) + 1 if zones is None else zones
    return Pool(
        allocatable_cpu=cpu,
        allocatable_memory_gib=memory,
        max_pods=max_pods,
        zone=zone,
        zone_names=tuple(f"z{i}" for i in range(zones)),
        node_type=np.full(n, "t", dtype=object),
        price_per_hour_usd=np.zeros(n),
        daemonset_cpu=ds[0],
        daemonset_memory_gib=ds[1],
        daemonset_pods=ds[2],
        taints=tuple(taints),
    )


def workload(name, instances, cpu=0.0, memory=0.0, **kwargs):
    return WorkloadSpec(name, Scenario(instances=instances), cpu, memory, **kwargs)


HAND_TYPES = pd.DataFrame(
    {
        "name": ["small", "medium", "large", "highmem"],
        "vcpu": [1, 2, 4, 2],
        "memory_gib": [4, 8, 16, 16],
        "allocatable_cpu": [1.0, 2.0, 4.0, 2.0],
        "allocatable_memory_gib": [3.0, 7.0, 15.0, 15.0],
        "max_pods": [110, 110, 110, 110],
        # 2 × small = 1 × medium exactly: the tie goes to more nodes
        "price_per_hour_usd": [0.05, 0.10, 0.20, 0.125],
    }
).set_index("name")

WEB = WorkloadSpec(
    "web",
    Scenario(
        instances=3,
        request_rate_rps=300,
        instance_capacity_rps=150,
        target_availability=0.999,
        target_p99_ms=200,
    ),
    cpu_request=0.5,
    memory_request_gib=0.5,
)
API = WorkloadSpec(
    "api",
    Scenario(
        instances=2,
        request_rate_rps=100,
        instance_capacity_rps=100,
        target_availability=0.99,
        target_p99_ms=300,
    ),
    cpu_request=0.25,
    memory_request_gib=2.0,
)
DB = WorkloadSpec(
    "db",
    Scenario(
        instances=2,
        min_instances=2,
        request_rate_rps=50,
        instance_capacity_rps=100,
        target_availability=0.999,
    ),
    cpu_request=0.75,
    memory_request_gib=3.0,
    zone_spread=Spread(1, hard=True),
)


# ---------------------------------------------------------------------------------------
# 1. the planner against a brute force over every candidate


def brute_force_plan(
    workloads, node_types, nodes, zones, instances, planned_failure, ds=None, errors_fail=False
):
    """Every (type, nodes, pod vector) in price order until a pool passes.

    ``ds``: DaemonSet keyword arguments of Pool.uniform; ``errors_fail``: a ValueError from
    assess (inputs the cluster cannot hold) counts as failing.

    Returns ((type, nodes, pods) or None, [(type, nodes, feasible) for every pool examined]).
    """
    pools = []
    for name, row in node_types.iterrows():
        for n in nodes:
            if n >= zones and n % zones == 0:
                pools.append((float(row["price_per_hour_usd"]) * n, -n, str(name), n, row))
    pools.sort(key=lambda p: p[:3])
    examined = []
    for _, _, name, n, row in pools:
        pool = Pool.uniform(row, n, zones, **(ds or {}))
        passing = []
        for vector in itertools.product(*(instances[w.name] for w in workloads)):
            if any(c < w.scenario.min_instances for w, c in zip(workloads, vector, strict=True)):
                continue  # not a workload the scenario can describe
            try:
                sized = [w.with_instances(c) for w, c in zip(workloads, vector, strict=True)]
                ok = assess(pool, sized, planned_failure).ok
            except ValueError:
                if not errors_fail:
                    raise
                ok = False
            if ok:
                passing.append(vector)
        examined.append((name, n, bool(passing)))
        if passing:
            return (name, n, min(passing, key=lambda v: (sum(v), v))), examined
    return None, examined


_REAL = ["m7g.large", "m6i.large", "Standard_D2s_v5"]
_WEB8 = {"web": range(1, 9)}
_TWO = {"web": range(1, 6), "api": range(1, 5)}
_THREE = {"web": range(2, 6), "api": range(1, 4), "db": range(2, 4)}
# case: (workloads, node types, CPU request override, zones, planned failure, pods searched)
PLANNER_CASES = {
    # 2 pods of 0.9 cores per 1.93-core node: packing binds, N+1 over nodes
    "single-packing-node": ([WEB], _REAL, 0.9, 1, "node", _WEB8),
    # equal prices (m6i.large and Standard_D2s_v5 at 0.096): ties go by name; 1.9/0.95 = 2 exact
    "single-tie-2zones": ([WEB], ["m6i.large", "Standard_D2s_v5"], 0.95, 2, "node", _WEB8),
    # one pod of 1.5 cores per node, a whole zone lost out of 3
    "single-zone-failure": ([WEB], _REAL, 1.5, 3, "zone", _WEB8),
    "single-no-failure": ([WEB], "hand", None, 1, "none", _WEB8),
    "multi-2-zone-failure": ([WEB, API], "hand", None, 2, "zone", _TWO),
    "multi-2-node": ([WEB, API], "hand", None, 2, "node", _TWO),
    "multi-2-none": ([WEB, API], "hand", None, 1, "none", _TWO),
    "multi-3-zone-failure": ([WEB, API, DB], "hand", None, 3, "zone", _THREE),
}


@pytest.mark.parametrize("case", list(PLANNER_CASES))
def test_planner_matches_brute_force(case):
    """The cheapest passing (type, nodes) and its fewest pods, and every cheaper pool's verdict."""
    workloads, types, cpu, zones, failure, ranges = PLANNER_CASES[case]
    nodes = range(1, 7)
    node_types = HAND_TYPES if types == "hand" else read_node_types().loc[types]
    if cpu is not None:
        workloads = [
            WorkloadSpec(w.name, w.scenario, cpu, 1.0, w.zone_spread, w.node_spread)
            for w in workloads
        ]
    expected, examined = brute_force_plan(workloads, node_types, nodes, zones, ranges, failure)
    plan = plan_cluster(
        workloads, node_types, nodes=nodes, zones=zones, instances=ranges, planned_failure=failure
    )
    assert expected is not None, "the case should have a passing cluster"
    assert plan.best is not None
    got = (
        str(plan.best.pool.node_type[0]),
        plan.best.pool.nodes,
        tuple(int(plan.best.rows.loc[w.name, "instances"]) for w in workloads),
    )
    assert got == expected
    assert plan.best.ok
    seen = plan.candidates.iloc[: len(examined)]
    listed = list(
        zip(
            seen["node_type"], seen["nodes"].astype(int), seen["feasible"].astype(bool), strict=True
        )
    )
    assert listed == examined
    assert len(plan.cheaper_rejected()) == len(examined) - 1
    assert (plan.cheaper_rejected()["reason"].str.len() > 0).all()


def test_planner_no_passing_cluster_matches_brute_force():
    """Too few pods searched (web needs ≥ 3 for its load): no pool passes, both agree."""
    node_types = read_node_types().loc[["m7g.large", "m6i.large"]]
    ranges = {"web": range(1, 3)}
    expected, examined = brute_force_plan([WEB], node_types, range(1, 4), 1, ranges, "node")
    plan = plan_cluster([WEB], node_types, nodes=range(1, 4), instances=ranges)
    assert expected is None and plan.best is None
    assert not any(f for _, _, f in examined)
    assert len(plan.candidates) == len(examined) == 6
    assert not plan.candidates["feasible"].any()


def test_planner_with_daemonsets_matches_brute_force():
    """DaemonSets take 0.5 core and 2 pods a node: a medium node holds (2 − 0.5) / 0.5 = 3 web."""
    ds = dict(daemonset_cpu=0.5, daemonset_memory_gib=0.5, daemonset_pods=2)
    types = HAND_TYPES.loc[["small", "medium"]]
    ranges = {"web": range(1, 9)}
    expected, examined = brute_force_plan([WEB], types, range(1, 7), 1, ranges, "node", ds)
    plan = plan_cluster([WEB], types, nodes=range(1, 7), instances=ranges, **ds)
    assert expected is not None and plan.best is not None
    got = (
        str(plan.best.pool.node_type[0]),
        plan.best.pool.nodes,
        (plan.best.rows.loc["web", "instances"],),
    )
    assert got == expected
    seen = plan.candidates.iloc[: len(examined)]
    assert list(zip(seen["node_type"], seen["nodes"], seen["feasible"], strict=True)) == examined
    assert plan.best.placement.used()["pods"].max() <= 110


def test_planner_survives_max_instances_per_node_below_spread():
    """max_instances_per_node = 2: 1 node cannot hold 3 pods; 2 or 3 nodes can."""
    web = WorkloadSpec("web", WEB.scenario.with_overrides(max_instances_per_node=2), 0.25, 0.5)
    types = HAND_TYPES.loc[["small"]]
    ranges = {"web": range(1, 7)}  # ≤ 2 × the scenario's 3 nodes
    expected, examined = brute_force_plan(
        [web], types, range(1, 4), 1, ranges, "node", errors_fail=True
    )
    plan = plan_cluster([web], types, nodes=range(1, 4), instances=ranges)  # raises
    got = (
        str(plan.best.pool.node_type[0]),
        plan.best.pool.nodes,
        (plan.best.rows.loc["web", "instances"],),
    )
    assert got == expected


def test_planner_fixed_pool_matches_brute_force():
    """A held pool ("how many pods on my 4 nodes?"): one candidate, fewest pods per workload."""
    types = HAND_TYPES.loc[["medium"]]
    expected, examined = brute_force_plan([WEB, API], types, [4], 2, _TWO, "node")
    plan = plan_cluster([WEB, API], types, nodes=[4], zones=2, instances=_TWO)
    assert len(plan.candidates) == 1 and examined == [("medium", 4, True)]
    got = tuple(int(plan.best.rows.loc[w, "instances"]) for w in ("web", "api"))
    assert ("medium", 4, got) == expected


def test_planner_edge_warnings():
    """An answer limited by the search range says so, and widening it finds a cheaper cluster."""
    # web searched only up to 3 pods: medium × 1 (3 pods) passes, but small × 2 (same price,
    # more nodes, so ranked first) needs 4 pods
    narrow = plan_cluster(
        [WEB], HAND_TYPES, nodes=range(1, 7), instances={"web": range(1, 4)}, planned_failure="none"
    )
    assert (narrow.best.pool.node_type[0], narrow.best.pool.nodes) == ("medium", 1)
    assert any(w.startswith("web: the search stopped at 3 pods") for w in narrow.warnings)
    wide = plan_cluster(
        [WEB], HAND_TYPES, nodes=range(1, 7), instances=_WEB8, planned_failure="none"
    )
    assert (wide.best.pool.node_type[0], wide.best.pool.nodes) == ("small", 2)
    assert not wide.warnings
    # the answer at the fewest nodes searched
    low = plan_cluster(
        [WEB], HAND_TYPES, nodes=range(2, 7), instances=_WEB8, planned_failure="none"
    )
    assert low.best.pool.nodes == 2
    assert any("fewest searched" in w for w in low.warnings)


def test_planner_tie_more_nodes_first():
    """2 small nodes cost exactly 1 medium node (0.10 USD/h): the 2-node pool comes first."""
    plan = plan_cluster([WEB], HAND_TYPES, nodes=range(1, 3), instances={"web": range(1, 9)})
    first = plan.candidates.iloc[:3]
    assert list(zip(first["node_type"], first["nodes"], strict=True)) == [
        ("small", 1),
        ("small", 2),
        ("medium", 1),
    ]


# ---------------------------------------------------------------------------------------
# 2. packing, hand-checked


def test_pods_per_node_by_cpu():
    # m6i.xlarge 3.92 cores / 0.5 = 7.84 → 7; memory 15.03 / 1 = 15; pods 58 → 7 (CPU binds)
    assert pods_per_node(3.92, 15.03, 58, 0.5, 1.0) == 7


def test_pods_per_node_by_memory():
    # c6i.xlarge: CPU 3.92 / 0.25 = 15.68 → 15; memory 7.03 / 2 = 3.515 → 3 (memory binds)
    assert pods_per_node(3.92, 7.03, 58, 0.25, 2.0) == 3


def test_pods_per_node_by_max_pods():
    # m6i.large: CPU 1.93 / 0.01 = 193; memory 7.342 / 0.05 = 146.8; max pods 29 binds
    assert pods_per_node(1.93, 7.342, 29, 0.01, 0.05) == 29
    # no requests at all: only the pod limit
    assert pods_per_node(1.93, 7.342, 29, 0.0, 0.0) == 29


def test_pods_per_node_with_daemonsets():
    # 2 cores − 0.5 = 1.5 / 0.25 = 6; memory 8 − 1 = 7 / 0.5 = 14; pods 10 − 3 = 7 → 6
    assert pods_per_node(2.0, 8.0, 10, 0.25, 0.5, 0.5, 1.0, 3) == 6
    # without DaemonSets: 8, 16, 10 → 8
    assert pods_per_node(2.0, 8.0, 10, 0.25, 0.5) == 8
    # DaemonSet pods bind: 10 − 5 = 5 < 6
    assert pods_per_node(2.0, 8.0, 10, 0.25, 0.5, 0.5, 1.0, 5) == 5
    # DaemonSets larger than the node: none, never negative
    assert pods_per_node(1.0, 8.0, 10, 0.25, 0.5, 1.5) == 0


def test_pods_per_node_exact_fill_and_broadcast():
    # 0.9 / 0.3 = 2.9999999999999996 in floats: 3 pods fill the node exactly
    assert pods_per_node(0.9, 8.0, 110, 0.3, 0.0) == 3
    got = pods_per_node(np.array([1.0, 2.0, 4.0]), 16.0, 110, 0.25, 1.0)
    np.testing.assert_array_equal(got, [4, 8, 16])


def test_schedule_one_workload_fills_the_nodes():
    """6 pods of 1 core fill three 2-core nodes; the next workload's pods stay pending."""
    pool = make_pool([2.0, 2.0, 2.0])
    fill = workload("fill", 6, cpu=1.0)
    late = workload("late", 2, cpu=0.5)
    placement = schedule(pool, [fill, late])
    np.testing.assert_array_equal(placement.counts, [[2, 0], [2, 0], [2, 0]])
    np.testing.assert_array_equal(placement.pending, [0, 2])
    assert not placement.complete
    # 1.5-core pods: one per 2-core node, the 4th pending; the 0.25-core pods fill the rest
    a = workload("a", 4, cpu=1.5)
    b = workload("b", 7, cpu=0.25)
    placement = schedule(pool, [a, b])
    np.testing.assert_array_equal(placement.counts[:, 0], [1, 1, 1])
    np.testing.assert_array_equal(placement.counts[:, 1], [2, 2, 2])  # 0.5 / 0.25 = 2 each
    np.testing.assert_array_equal(placement.pending, [1, 1])
    headroom = placement.headroom()
    np.testing.assert_allclose(headroom["cpu_free"], 0.0, atol=1e-12)


def test_schedule_respects_daemonsets_and_max_pods():
    # 4 cores − 1 DaemonSet core = 3 / 0.5 = 6 by CPU; pods 8 − 3 = 5 bind → 5 per node
    pool = make_pool([4.0, 4.0], max_pods=[8, 8], ds=(1.0, 0.0, 3))
    placement = schedule(pool, [workload("w", 12, cpu=0.5)])
    np.testing.assert_array_equal(placement.counts[:, 0], [5, 5])
    assert placement.pending[0] == 2


def test_infeasible_pack_is_a_clear_error():
    """A pod of 8 cores on 2-core nodes: every pod pending, the reason names the workload."""
    pool = make_pool([2.0, 2.0, 2.0])
    big = WorkloadSpec("bigpod", Scenario(instances=3), cpu_request=8.0, memory_request_gib=1.0)
    result = assess(pool, [big], "none")
    assert result.placement.pending[0] == 3
    assert result.placement.counts.sum() == 0
    assert not result.ok
    reasons = result.reasons()
    assert len(reasons) == 1
    assert "bigpod" in reasons[0] and "do not fit" in reasons[0]
    assert any("bigpod" in note and "Pending" in note for note in result.notes)
    # the planner reports the same reason for every pool and finds nothing
    plan = plan_cluster([big], HAND_TYPES, nodes=range(1, 3), instances={"bigpod": range(1, 4)})
    assert plan.best is None
    assert plan.candidates["reason"].str.contains("bigpod: .* do not fit", regex=True).all()


# ---------------------------------------------------------------------------------------
# 3. spread: the scheduler's rule re-applied pod by pod


def _k8s_tolerates(toleration, taint):
    """The documented rule, written out again: effect ("" = all), key ("" = all), value."""
    key, operator, value, effect, seconds = toleration
    t_key, t_value, t_effect = taint
    if effect not in ("", t_effect) or key not in ("", t_key):
        return False
    if t_effect == "NoExecute" and seconds is not None:
        return False  # evicted after tolerationSeconds: it cannot stay
    return operator == "Exists" or value == t_value


def _taint_filters(pool, w, i):
    """(the pod may go on node i, its untolerated PreferNoSchedule taints there)."""
    tolerations = [(x.key, x.operator, x.value, x.effect, x.seconds) for x in w.tolerations]
    bad = {"hard": 0, "soft": 0}
    for taint in pool.taints[i]:
        triple = (taint.key, taint.value, taint.effect)
        if not any(_k8s_tolerates(x, triple) for x in tolerations):
            bad["soft" if taint.effect == "PreferNoSchedule" else "hard"] += 1
    return bad["hard"] == 0, bad["soft"]


def _admits(pool, workloads, counts, j):
    """Per node: the filters for one more pod of workload j (exact fractions)."""
    w = workloads[j]
    n = pool.nodes
    ok = []
    live = sorted(set(int(z) for z in pool.zone))
    in_zone = {z: sum(int(counts[i, j]) for i in range(n) if pool.zone[i] == z) for z in live}
    ds = {
        name: np.broadcast_to(getattr(pool, name), n)
        for name in ("daemonset_cpu", "daemonset_memory_gib", "daemonset_pods")
    }
    for i in range(n):
        used_cpu = Fraction(float(ds["daemonset_cpu"][i])) + sum(
            Fraction(int(counts[i, m])) * Fraction(x.cpu_request) for m, x in enumerate(workloads)
        )
        used_mem = Fraction(float(ds["daemonset_memory_gib"][i])) + sum(
            Fraction(int(counts[i, m])) * Fraction(x.memory_request_gib)
            for m, x in enumerate(workloads)
        )
        used_pods = int(ds["daemonset_pods"][i]) + int(counts[i].sum())
        fits = (
            used_cpu + Fraction(w.cpu_request) <= Fraction(float(pool.allocatable_cpu[i]))
            and used_mem + Fraction(w.memory_request_gib)
            <= Fraction(float(pool.allocatable_memory_gib[i]))
            and used_pods + 1 <= pool.max_pods[i]
        )
        if w.max_per_node is not None:
            fits = fits and counts[i, j] < w.max_per_node
        tolerated, disfavoured = _taint_filters(pool, w, i)
        fits = fits and tolerated
        zr, nr = w.spread("zones"), w.spread("nodes")
        if zr.hard:
            fits = fits and in_zone[int(pool.zone[i])] + 1 - min(in_zone.values()) <= zr.max_skew
        if nr.hard:
            fits = fits and counts[i, j] + 1 - counts[:, j].min() <= nr.max_skew
        key = (
            disfavoured,
            in_zone[int(pool.zone[i])],
            int(counts[i, j]),
            used_cpu / Fraction(float(pool.allocatable_cpu[i])),
            i,
        )
        ok.append((fits, key))
    return ok


def check_scheduler_rule(pool, workloads):
    """Re-run schedule with 0..C pods of the last workload; each pod must follow the rule."""
    j = len(workloads) - 1
    last = workloads[j]
    previous = schedule(pool, [*workloads[:j], last.with_instances(1)])
    # the pod of a 1-pod run and of every longer run: check against an empty last column
    empty = previous.counts.copy()
    empty[:, j] = 0
    states = [(empty, 0)]
    for c in range(1, last.instances + 1):
        placement = schedule(pool, [*workloads[:j], last.with_instances(c)])
        np.testing.assert_array_equal(placement.counts[:, :j], empty[:, :j])
        states.append((placement.counts, int(placement.pending[j])))
    for (before, pend_before), (after, pend_after) in itertools.pairwise(states):
        options = _admits(pool, workloads, before, j)
        admitted = [key for fits, key in options if fits]
        diff = after[:, j] - before[:, j]
        if not admitted:
            assert pend_after == pend_before + 1 and not diff.any()
            continue
        assert pend_after == pend_before and diff.sum() == 1 and diff.min() == 0
        chosen = int(np.flatnonzero(diff)[0])
        assert options[chosen][0], "the pod went to a node the filters reject"
        assert options[chosen][1] == min(admitted), "not the best-scoring node"
    final = states[-1][0]
    zones_live = sorted(set(int(z) for z in pool.zone))
    per_zone = [int(final[pool.zone == z, j].sum()) for z in zones_live]
    if last.spread("zones").hard:
        assert max(per_zone) - min(per_zone) <= last.spread("zones").max_skew
    if last.spread("nodes").hard:
        assert final[:, j].max() - final[:, j].min() <= last.spread("nodes").max_skew
    return states[-1]


def test_spread_ten_pods_five_nodes_three_zones():
    """5 nodes over 3 zones (2, 2, 1), zone maxSkew 1 hard: 10 pods → zones {4, 3, 3}."""
    pool = make_pool([8.0] * 5, zone=[0, 1, 2, 0, 1])
    w = workload("w", 10, cpu=0.5, zone_spread=Spread(1, True))
    counts, pending = check_scheduler_rule(pool, [w])
    assert pending == 0
    placement = schedule(pool, [w])
    assert sorted(placement.zone_counts()[:, 0].tolist()) == [3, 3, 4]
    assert placement.zone_counts()[0, 0] == 4  # ties go to the first zone


def test_spread_full_single_node_zone_blocks_hard_skew():
    """Each node holds 2 pods; the 1-node zone fills at 2: maxSkew 1 places 3+3+2, then pends."""
    pool = make_pool([1.0] * 5, zone=[0, 1, 2, 0, 1])
    hard1 = workload("w", 10, cpu=0.5, zone_spread=Spread(1, True))
    placement = schedule(pool, [hard1])
    assert placement.zone_counts()[:, 0].tolist() == [3, 3, 2]
    assert placement.pending[0] == 2
    check_scheduler_rule(pool, [hard1])
    # maxSkew 2: zones reach 4, 4, 2 and all 10 fit (the pool's whole capacity)
    hard2 = workload("w", 10, cpu=0.5, zone_spread=Spread(2, True))
    placement = schedule(pool, [hard2])
    assert placement.zone_counts()[:, 0].tolist() == [4, 4, 2]
    assert placement.pending[0] == 0
    check_scheduler_rule(pool, [hard2])
    # ScheduleAnyway: the rule only ranks, capacity alone limits
    soft = workload("w", 11, cpu=0.5, zone_spread=Spread(1, False))
    placement = schedule(pool, [soft])
    assert placement.pending[0] == 1 and placement.counts.sum() == 10


def test_spread_node_max_skew_hard():
    """Hostname maxSkew 1 hard on nodes of unequal size: the small node caps everyone at +1."""
    pool = make_pool([0.5, 4.0, 4.0])  # node 0 holds one 0.5-core pod
    w = workload("w", 6, cpu=0.5, node_spread=Spread(1, True))
    placement = schedule(pool, [w])
    np.testing.assert_array_equal(placement.counts[:, 0], [1, 2, 2])
    assert placement.pending[0] == 1
    check_scheduler_rule(pool, [w])


@pytest.mark.parametrize("seed", range(12))
def test_spread_random_pools_follow_the_rule(seed):
    """2–4 zones, uneven nodes per zone, capacity-limited nodes, maxSkew 1 and 2."""
    rng = np.random.default_rng(seed)
    zones = int(rng.integers(2, 5))
    n = int(rng.integers(zones, zones + 4))
    zone = np.concatenate([np.arange(zones), rng.integers(0, zones, n - zones)])
    cpu = rng.choice([1.0, 1.5, 2.0, 3.0], n)
    pool = make_pool(cpu, max_pods=rng.integers(3, 8, n), zone=zone, ds=(0.25, 0.0, 1))
    skew = int(rng.integers(1, 3))
    node_rule = Spread(int(rng.integers(1, 3)), True) if seed % 3 == 0 else None
    first = workload("first", int(rng.integers(0, 4)) or 1, cpu=0.5)
    last = workload(
        "last",
        int(rng.integers(6, 16)),
        cpu=float(rng.choice([0.25, 0.5])),
        zone_spread=Spread(skew, True),
        node_spread=node_rule,
        max_per_node=3 if seed % 4 == 1 else None,
    )
    check_scheduler_rule(pool, [first, last])


# ---------------------------------------------------------------------------------------
# 4. even_spread_exists against every arrangement of the extra pods


def even_brute_force(pool, workloads):
    n = pool.nodes
    live = sorted(set(int(z) for z in pool.zone))
    options = [itertools.combinations(range(n), w.instances % n) for w in workloads]
    for extras in itertools.product(*[list(o) for o in options]):
        counts = np.zeros((n, len(workloads)), dtype=int)
        for j, (w, chosen) in enumerate(zip(workloads, extras, strict=True)):
            counts[:, j] = w.instances // n
            counts[list(chosen), j] += 1
        cpu = counts @ np.array([w.cpu_request for w in workloads]) + pool.daemonset_cpu
        mem = counts @ np.array([w.memory_request_gib for w in workloads])
        mem = mem + pool.daemonset_memory_gib
        pods = counts.sum(axis=1) + pool.daemonset_pods
        if (cpu > pool.allocatable_cpu + 1e-9).any() or (
            mem > pool.allocatable_memory_gib + 1e-9
        ).any():
            continue
        if (pods > pool.max_pods).any():
            continue
        good = True
        for j, w in enumerate(workloads):
            if w.max_per_node is not None and counts[:, j].max() > w.max_per_node:
                good = False
            rule = w.spread("zones")
            if rule.hard:
                per_zone = [counts[pool.zone == z, j].sum() for z in live]
                good = good and max(per_zone) - min(per_zone) <= rule.max_skew
        if good:
            return True
    return False


@pytest.mark.parametrize("seed", range(40))
def test_even_spread_exists_matches_brute_force(seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(2, 6))
    zones = int(rng.integers(1, min(n, 3) + 1))
    zone = np.concatenate([np.arange(zones), rng.integers(0, zones, n - zones)])
    pool = make_pool(rng.choice([1.0, 1.5, 2.0], n), rng.choice([2.0, 4.0], n), zone=zone)
    workloads = [
        workload(
            f"w{j}",
            int(rng.integers(1, 2 * n + 1)),
            cpu=float(rng.choice([0.25, 0.5, 0.75])),
            memory=float(rng.choice([0.5, 1.0])),
            zone_spread=Spread(int(rng.integers(1, 3)), bool(rng.integers(0, 2))),
            max_per_node=2 if rng.random() < 0.2 else None,
        )
        for j in range(int(rng.integers(1, 3)))
    ]
    assert even_spread_exists(pool, workloads) == even_brute_force(pool, workloads)


def test_even_spread_exists_hand_cases():
    # 5 pods of 1 core on 2-core nodes ×3: 2+2+1 fits; 7 pods need a node with 3 → no
    pool = make_pool([2.0, 2.0, 2.0])
    assert even_spread_exists(pool, [workload("w", 5, cpu=1.0)])
    assert not even_spread_exists(pool, [workload("w", 7, cpu=1.0)])
    # two workloads whose extra pods must go to different nodes: 1.5 + 0.5 on 2-core nodes
    a, b = workload("a", 1, cpu=1.5), workload("b", 2, cpu=0.5)
    assert even_spread_exists(make_pool([2.0, 2.0]), [a, b])
    assert not even_spread_exists(make_pool([2.0, 2.0]), [a, workload("b", 3, cpu=0.75)])


def test_even_spread_exists_ignores_a_zone_without_nodes():
    """A zone lost whole is no spread domain (as schedule/reschedule treat it).

    3 zones × 1 node, zone 0 lost: 3 pods on the 2 survivors (2 + 1), zone maxSkew 1 hard.
    """
    pool = make_pool([4.0, 4.0, 4.0], zone=[0, 1, 2]).without(np.array([True, False, False]))
    w = workload("w", 3, cpu=0.5, zone_spread=Spread(1, True))
    assert schedule(pool, [w]).complete  # the scheduler places them 2 + 1
    assert even_brute_force(pool, [w])
    assert even_spread_exists(pool, [w])  # got False


def test_even_spread_exists_checks_zone_skew_without_extra_pods():
    """Nodes in zones (a, a, b), 6 pods → 2 per node → zones 4 vs 2 > maxSkew 1: no even spread."""
    pool = make_pool([2.0, 2.0, 2.0], zone=[0, 0, 1])
    w = workload("w", 6, cpu=0.5, zone_spread=Spread(1, True))
    assert not even_brute_force(pool, [w])
    assert not even_spread_exists(pool, [w])  # got True


# ---------------------------------------------------------------------------------------
# 5. availability over a placement


@pytest.mark.parametrize("zones", [1, 2, 3])
def test_placement_unavailability_matches_service_model_for_even_spread(zones):
    q_node, q_inst, q_zone = 0.02, 0.01, 0.005
    for n in range(zones, 7):
        for c in range(1, 11):
            layout = instances_per_node(n, c)
            zone_of = np.arange(n) % zones
            for k in range(1, c + 1):
                got = placement_unavailability(layout, zone_of, k, q_node, q_inst, q_zone)
                want = service_unavailability(n, c, k, q_node, q_inst, zones, q_zone)
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


def enumerate_unavailability(pods, zone_of, k, q_node, q_inst, q_zone):
    """Σ over every zone, node and pod up/down state of P(state) · [pods up < k]."""
    pods = list(pods)
    zones = sorted(set(zone_of))
    total = 0.0
    for zone_up in itertools.product([True, False], repeat=len(zones)):
        p_zone = math.prod((1 - q_zone) if u else q_zone for u in zone_up)
        up_zone = dict(zip(zones, zone_up, strict=True))
        for node_up in itertools.product([True, False], repeat=len(pods)):
            p_node = math.prod((1 - q_node) if u else q_node for u in node_up)
            serving = [
                c if (u and up_zone[z]) else 0
                for c, u, z in zip(pods, node_up, zone_of, strict=True)
            ]
            # the pods on serving nodes: every up/down pattern
            m = sum(serving)
            for pod_up in itertools.product([True, False], repeat=m):
                if sum(pod_up) < k:
                    p_pods = math.prod((1 - q_inst) if u else q_inst for u in pod_up)
                    total += p_zone * p_node * p_pods
    return total


@pytest.mark.parametrize(
    "pods, zone_of",
    [([3, 0, 2, 1], [0, 0, 1, 2]), ([2, 2, 1, 1, 1], [0, 0, 0, 1, 1]), ([4, 1], [5, 7])],
)
def test_placement_unavailability_matches_enumeration(pods, zone_of):
    q_node, q_inst, q_zone = 0.1, 0.05, 0.02
    for k in range(1, sum(pods) + 2):
        got = placement_unavailability(pods, zone_of, k, q_node, q_inst, q_zone)
        want = enumerate_unavailability(pods, zone_of, k, q_node, q_inst, q_zone)
        if k > sum(pods):
            assert got == 1.0
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_placement_unavailability_one_node_closed_form():
    # one node, one zone, 3 pods, k = 2: q_n + (1 − q_n)·P(Bin(3, 0.95) ≤ 1)
    got = placement_unavailability([3], [0], 2, 0.1, 0.05)
    want = 0.1 + 0.9 * stats.binom.cdf(1, 3, 0.95)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ---------------------------------------------------------------------------------------
# 6. reschedule and the planned failure


def test_reschedule_moves_pods_to_survivors_with_room():
    pool = make_pool([2.0, 2.0, 2.0])  # 4 pods of 0.5 per node
    placement = schedule(pool, [workload("w", 6, cpu=0.5)])
    np.testing.assert_array_equal(placement.counts[:, 0], [2, 2, 2])
    after, displaced = reschedule(placement, np.array([True, False, False]))
    np.testing.assert_array_equal(displaced, [2])
    np.testing.assert_array_equal(after.counts[:, 0], [3, 3])
    assert after.complete and after.pool.nodes == 2


def test_reschedule_zone_lost_with_hard_zone_spread():
    """3 zones × 2 nodes, 6 pods, zone maxSkew 1 hard; zone 0 lost: its 2 pods go to b and c."""
    pool = make_pool([4.0] * 6, zone=[0, 1, 2, 0, 1, 2])
    w = workload("w", 6, cpu=0.5, zone_spread=Spread(1, True))
    placement = schedule(pool, [w])
    assert placement.zone_counts()[:, 0].tolist() == [2, 2, 2]
    after, displaced = reschedule(placement, pool.zone == 0)
    assert displaced.tolist() == [2]
    assert after.complete
    assert after.zone_counts()[:, 0].tolist() == [0, 3, 3]


def test_reschedule_full_pool_leaves_pods_pending():
    pool = make_pool([1.0, 1.0, 1.0])  # 2 pods of 0.5 per node
    w = WorkloadSpec(
        "w", Scenario(instances=6, request_rate_rps=100, instance_capacity_rps=100), 0.5, 0.0
    )
    placement = schedule(pool, [w])
    after, displaced = reschedule(placement, np.array([False, True, False]))
    assert displaced.tolist() == [2]
    assert after.pending.tolist() == [2]
    assert after.counts.sum() == 4
    result = assess(pool, [w], "node")
    row = result.rows.loc["w"]
    assert row["after_failure_running"] == 4
    assert row["after_failure_pending"] == 2
    needed = math.ceil(max(row["min_instances"], row["instances_needed"]))
    assert row["after_failure_needed"] == needed
    assert bool(row["survives_failure"]) == (4 >= needed)


def test_assess_survives_failure_consistent_with_reschedule():
    """For every lost node/zone, the worst bound count equals after_failure_running."""
    pool = make_pool([2.0] * 6, zone=[0, 1, 2, 0, 1, 2])
    ws = [
        WorkloadSpec(
            "a",
            Scenario(instances=6, request_rate_rps=400, instance_capacity_rps=150),
            1.0,
            0.0,
        ),
        WorkloadSpec(
            "b",
            Scenario(instances=5, request_rate_rps=100, instance_capacity_rps=100),
            0.5,
            0.0,
            zone_spread=Spread(1, True),
        ),
    ]
    for failure, cases in (
        ("node", [np.arange(6) == i for i in range(6)]),
        ("zone", [pool.zone == z for z in range(3)]),
    ):
        result = assess(pool, ws, failure)
        worst = np.array([w.instances for w in ws])
        for lost in cases:
            after, _ = reschedule(result.placement, lost)
            worst = np.minimum(worst, after.counts.sum(axis=0))
        rows = result.rows
        np.testing.assert_array_equal(rows["after_failure_running"].to_numpy(), worst)
        needed = np.ceil(np.maximum(rows["min_instances"], rows["instances_needed"]))
        np.testing.assert_array_equal(rows["survives_failure"].to_numpy(), worst >= needed)
        assert result.ok == bool(
            result.placement.complete and rows["slo_met"].all() and (worst >= needed).all()
        )


# ---------------------------------------------------------------------------------------
# 7. node types


def gke_allocatable(vcpu, memory_gib):
    """GKE reservations as data/node_types.md states them, plus 100 MiB eviction."""
    cpu_tiers = [(1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025)]
    mem_tiers = [(4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (math.inf, 0.02)]

    def reserved(amount, tiers):
        out, left = 0.0, amount
        for width, share in tiers:
            take = min(left, width)
            out += take * share
            left -= take
        return out

    memory_reserved = 255 / 1024 if memory_gib < 1 else reserved(memory_gib, mem_tiers)
    return vcpu - reserved(vcpu, cpu_tiers), memory_gib - memory_reserved - 100 / 1024


def test_bundled_node_types_load():
    table = read_node_types()
    assert len(table) == 12
    assert table.index.is_unique
    assert (table["allocatable_cpu"] <= table["vcpu"]).all()
    assert (table["allocatable_memory_gib"] <= table["memory_gib"]).all()
    assert table["price_per_hour_usd"].is_monotonic_increasing
    assert table.loc["m6i.xlarge", "max_pods"] == 58


def test_gke_allocatable_matches_documented_tiers():
    table = read_node_types()
    gke = table[table["provider"] == "gcp"]
    assert len(gke) == 4
    for name, row in gke.iterrows():
        cpu, memory = gke_allocatable(row["vcpu"], row["memory_gib"])
        assert row["allocatable_cpu"] == pytest.approx(cpu, abs=0.001), name
        assert row["allocatable_memory_gib"] == pytest.approx(memory, abs=0.001), name
        assert row["max_pods"] == 110
    # hand: e2-standard-2 memory 8 − (1 + 0.8) − 0.0977 = 6.102
    assert gke_allocatable(2, 8)[1] == pytest.approx(6.102, abs=0.001)


_GOOD = (
    "name,vcpu,memory_gib,allocatable_cpu,allocatable_memory_gib,max_pods,price_per_hour_usd\n"
    "a,2,8,1.9,7.0,110,0.1\n"
)


@pytest.mark.parametrize(
    "text, match",
    [
        (
            "name,vcpu,memory_gib,allocatable_cpu,max_pods,price_per_hour_usd\na,2,8,1.9,110,0.1\n",
            "allocatable_memory_gib",
        ),
        (_GOOD.replace("a,2,8,1.9,", "a,2,8,2.5,"), "allocatable_cpu=2.5 of 'a' is above"),
        (_GOOD.replace("7.0,110", "9.0,110"), "allocatable_memory_gib=9 of 'a' is above"),
        (_GOOD + "a,4,16,3.9,15,110,0.2\n", "'a' appears twice"),
        (_GOOD.replace("0.1\n", "-0.1\n"), "price_per_hour_usd"),
        (_GOOD.replace("110", "abc"), "max_pods"),
    ],
    ids=["missing-column", "cpu-over", "memory-over", "duplicate", "negative-price", "text"],
)
def test_bad_node_type_csv_raises(tmp_path, text, match):
    path = tmp_path / "types.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_node_types(path)


def test_own_node_type_csv_loads(tmp_path):
    path = tmp_path / "types.csv"
    path.write_text(_GOOD)
    table = read_node_types(path)
    assert table.loc["a", "max_pods"] == 110
    assert read_node_types(path).index.tolist() == ["a"]


# ---------------------------------------------------------------------------------------
# 8. taints and tolerations

GPU = Taint("dedicated", "NoSchedule", "gpu")
TAINTED_EXPORT = Path(__file__).resolve().parent / "data" / "shop-tainted-export.yaml"


KEY1 = Taint("key1", "NoSchedule", "value1")  # kubectl taint nodes node1 key1=value1:NoSchedule
KEY1_EVICT = Taint("key1", "NoExecute")


# The examples of "Taints and Tolerations" (kubernetes.io/docs/concepts/scheduling-eviction/
# taint-and-toleration/) and the API reference's field rules, one row each.
@pytest.mark.parametrize(
    ("toleration", "taint", "tolerates"),
    [
        # key1=value1:NoSchedule, tolerated by Equal with the value, or by Exists
        (Toleration("key1", "Equal", "value1", "NoSchedule"), KEY1, True),
        (Toleration("key1", "Exists", effect="NoSchedule"), KEY1, True),
        # operator defaults to Equal
        (Toleration("key1", value="value1", effect="NoSchedule"), KEY1, True),
        # value mismatch; Equal with no value against a taint with one
        (Toleration("key1", "Equal", "value2", "NoSchedule"), KEY1, False),
        (Toleration("key1", "Equal", "", "NoSchedule"), KEY1, False),
        (Toleration("key1", "Equal", "", "NoSchedule"), Taint("key1", "NoSchedule"), True),
        # effect mismatch; an empty effect matches every effect
        (Toleration("key1", "Equal", "value1", "NoExecute"), KEY1, False),
        (Toleration("key1", "Equal", "value1"), Taint("key1", "NoExecute", "value1"), True),
        (Toleration("key1", "Exists"), Taint("key1", "PreferNoSchedule", "v"), True),
        # key mismatch
        (Toleration("key2", "Exists"), KEY1, False),
        # an empty key with Exists tolerates everything; with an effect, that effect only
        (Toleration("", "Exists"), Taint("any", "NoExecute", "thing"), True),
        (Toleration("", "Exists", effect="NoSchedule"), Taint("any", "NoSchedule"), True),
        (Toleration("", "Exists", effect="NoSchedule"), Taint("any", "NoExecute"), False),
        # tolerationSeconds: a NoExecute toleration that runs out cannot keep the pod there
        (Toleration("key1", "Exists", effect="NoExecute", seconds=60), KEY1_EVICT, False),
        (Toleration("key1", "Exists", seconds=60), Taint("key1", "NoSchedule"), True),
    ],
)  # fmt: skip
def test_toleration_matching_rule(toleration, taint, tolerates):
    assert toleration.tolerates(taint) is tolerates
    triple = (toleration.key, toleration.operator, toleration.value, toleration.effect)
    assert _k8s_tolerates(
        (*triple, toleration.seconds), (taint.key, taint.value, taint.effect)
    ) is (tolerates)
    assert toleration.matches(taint) is (tolerates or toleration.seconds is not None)


def test_documented_three_taint_example():
    """The docs' node with key1=value1:NoSchedule, key1=value1:NoExecute, key2=value2:NoSchedule
    and a pod tolerating the first two: key2 keeps it off the node."""
    taints = (
        Taint("key1", "NoSchedule", "value1"),
        Taint("key1", "NoExecute", "value1"),
        Taint("key2", "NoSchedule", "value2"),
    )
    tolerations = (
        Toleration("key1", "Equal", "value1", "NoSchedule"),
        Toleration("key1", "Equal", "value1", "NoExecute"),
    )
    assert untolerated(taints, tolerations) == (taints[2],)
    assert str(taints[2]) == "key2=value2:NoSchedule"
    pool = make_pool([2.0, 2.0], taints=[taints, ()])
    assert pool.eligible(tolerations).tolist() == [False, True]
    assert pool.eligible((*tolerations, Toleration("key2", "Exists"))).tolist() == [True, True]
    with pytest.raises(ValueError, match="taints: 1 entries for 2 nodes"):
        make_pool([2.0, 2.0], taints=[taints])
    with pytest.raises(ValueError, match="a toleration without a key needs operator Exists"):
        Toleration("", "Equal", "v")


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (read_taints, "dedicated", "x.yaml: spec.taints='dedicated' is not a list"),
        (read_taints, [{"key": "a"}], "x.yaml: spec.taints[0].effect=None is not valid; write "
         "one of NoSchedule, PreferNoSchedule, NoExecute"),
        (read_taints, [{"key": "a", "effect": "Sometimes"}], "x.yaml: spec.taints[0].effect="
         "'Sometimes' is not valid; write one of NoSchedule, PreferNoSchedule, NoExecute"),
        (read_taints, [{"effect": "NoSchedule"}], "x.yaml: spec.taints[0].key is missing"),
        (read_taints, [{"key": "a", "value": 1, "effect": "NoSchedule"}],
         "x.yaml: spec.taints[0].value=1 is not valid; write the taint's value as a string"),
        (read_tolerations, ["a"], "x.yaml: spec.template.spec.tolerations[0]='a' is not a mapping"),
        (read_tolerations, [{"key": "a", "operator": "In"}], "x.yaml: spec.template.spec."
         "tolerations[0].operator='In' is not valid; write Equal (the default) or Exists"),
        (read_tolerations, [{"key": "a", "effect": "Never"}], "x.yaml: spec.template.spec."
         "tolerations[0].effect='Never' is not valid; write one of NoSchedule, "
         "PreferNoSchedule, NoExecute, or leave it out to match every effect"),
        (read_tolerations, [{"value": "b"}], "x.yaml: spec.template.spec.tolerations[0] has no "
         "key and operator Equal; a toleration without a key needs operator: Exists"),
        (read_tolerations, [{"key": "a", "operator": "Exists", "value": "b"}],
         "x.yaml: spec.template.spec.tolerations[0].value='b' is not valid with operator Exists"),
        (read_tolerations, [{"key": "a", "tolerationSeconds": "1h"}], "x.yaml: spec.template."
         "spec.tolerations[0].tolerationSeconds='1h' is not valid; write a whole number"),
    ],
)  # fmt: skip
def test_malformed_taints_and_tolerations_are_refused(read, value, message):
    with pytest.raises(ManifestError) as error:
        read(value, "x.yaml")
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_tainted_nodes_take_only_tolerating_pods_pod_by_pod():
    """Node 1 dedicated=gpu:NoSchedule, node 3 spot:PreferNoSchedule: plain pods never land on
    node 1 and take node 3 last; gpu pods may use every node."""
    spot = Taint("spot", "PreferNoSchedule")
    pool = make_pool([2.0] * 4, zone=[0, 0, 1, 1], taints=[(), (GPU,), (), (spot,)])
    plain = workload("plain", 7, cpu=0.5)
    counts, pending = check_scheduler_rule(pool, [plain])
    assert pending == 0
    np.testing.assert_array_equal(counts[:, 0], [4, 0, 3, 0])  # node 3 only when needed
    more = workload("plain", 9, cpu=0.5)
    counts, pending = check_scheduler_rule(pool, [more])
    np.testing.assert_array_equal(counts[:, 0], [4, 0, 4, 1])
    gpu = workload("gpu", 5, cpu=0.5, tolerations=(Toleration("dedicated", "Exists"),))
    counts, pending = check_scheduler_rule(pool, [plain.with_instances(3), gpu])
    assert pending == 0 and counts[1, 1] > 0  # the tolerating workload may use node 1
    # nobody tolerates a NoExecute taint it only tolerates for a while
    evict = Taint("maintenance", "NoExecute")
    pool = make_pool([2.0] * 3, taints=[(evict,), (), ()])
    brief = workload(
        "w", 6, cpu=0.5, tolerations=(Toleration("maintenance", "Exists", seconds=60),)
    )
    counts, pending = check_scheduler_rule(pool, [brief])
    np.testing.assert_array_equal(counts[:, 0], [0, 3, 3])


def test_spread_domains_include_nodes_the_pod_may_not_use():
    """nodeTaintsPolicy Ignore (the default): a zone whose only node is tainted is a domain
    holding 0, so a DoNotSchedule zone maxSkew 1 lets each other zone take one pod only."""
    pool = make_pool([4.0] * 3, zone=[0, 1, 2], taints=[(), (), (GPU,)])
    w = workload("w", 4, cpu=0.5, zone_spread=Spread(1, True))
    counts, pending = check_scheduler_rule(pool, [w])
    np.testing.assert_array_equal(counts[:, 0], [1, 1, 0])
    assert pending == 2


def test_no_tolerated_node_leaves_every_pod_pending_with_the_reason():
    dedicated = Taint("dedicated", "NoExecute", "db")
    pool = make_pool([4.0] * 3, taints=[(GPU,), (GPU,), (dedicated,)])
    w = WorkloadSpec(
        "web", Scenario(instances=3, request_rate_rps=100, instance_capacity_rps=100), 0.5, 0.0
    )
    placement = schedule(pool, [w])
    assert placement.pending.tolist() == [3] and placement.counts.sum() == 0
    result = assess(pool, [w], "node")
    assert not result.ok
    assert result.reasons() == [
        "web: 3 of 3 pods do not fit (no node tolerates its taints: dedicated=gpu:NoSchedule on "
        "2 nodes; dedicated=db:NoExecute on 1 node)"
    ]
    assert result.notes == (
        "web: its pods may use none of the 3 nodes; it does not tolerate dedicated=gpu:NoSchedule "
        "on 2 nodes; dedicated=db:NoExecute on 1 "
        "node.",
        "web: its 3 pods find no node: every node has a taint it does not tolerate; they stay "
        "Pending.",
    )
    row = result.rows.loc["web"]
    assert (row["pending"], row["after_failure_running"], row["room_per_node"]) == (3, 0, 0)
    assert not even_spread_exists(pool, [w])


def test_service_model_uses_the_nodes_a_workload_may_use():
    """Two tainted nodes in zones that keep untainted ones: for workloads that do not tolerate
    them, the assessment equals the one of the pool without them, row for row."""
    pool = make_pool(
        [2.0, 2.0, 2.0, 2.0, 8.0, 8.0], zone=[0, 1, 2, 0, 1, 2], taints=[()] * 4 + [(GPU,)] * 2
    )
    loads = {"a": (6, 400, 150, 0.5), "b": (5, 100, 100, 0.25)}  # pods, rps, rps/pod, cores
    ws = [
        WorkloadSpec(name, Scenario(instances=c, request_rate_rps=r, instance_capacity_rps=k), cpu)
        for name, (c, r, k, cpu) in loads.items()
    ]
    ws[0] = replace(ws[0], zone_spread=Spread(1, False))
    for failure in ("node", "zone"):
        tainted = assess(pool, ws, failure)
        alone = assess(pool.without(np.array([False] * 4 + [True] * 2)), ws, failure)
        pd.testing.assert_frame_equal(tainted.rows, alone.rows)
        assert tainted.rows["nodes"].tolist() == [4, 4]  # the eligible count, not 6
        assert tainted.rows["zones"].tolist() == [3, 3]
        assert tainted.placement.counts[4:].sum() == 0
    # except where the tainted nodes are spread domains: with maxSkew 1, losing node 1 (the
    # only one of zone 1 that "a" may use) leaves zone 1 a domain holding 0 of its pods
    # through tainted node 4, so its 2 displaced pods find no zone: 4 run, not 6
    strict = [replace(ws[0], zone_spread=Spread(1, True)), ws[1]]
    rows = assess(pool, strict, "node").rows
    alone = assess(pool.without(np.array([False] * 4 + [True] * 2)), strict, "node").rows
    assert (rows.loc["a", "after_failure_running"], alone.loc["a", "after_failure_running"]) == (
        4,
        6,
    )
    # the service model's figures are those of a scenario on the 4 nodes
    direct = metrics(ws[1].scenario.with_overrides(nodes=4, zones=3).to_frame())
    row = assess(pool, ws, "none").rows.loc["b"]
    assert row["slo_availability"] == pytest.approx(direct["slo_availability"].iloc[0])
    # a workload that tolerates the taint uses all six nodes (zone-b and -c gain one each)
    gpu = WorkloadSpec(
        "gpu",
        Scenario(instances=6, request_rate_rps=100, instance_capacity_rps=100),
        1.0,
        0.0,
        tolerations=(Toleration("dedicated", "Equal", "gpu", "NoSchedule"),),
    )
    rows = assess(pool, [*ws, gpu], "node").rows
    assert (rows.loc["gpu", "nodes"], rows.loc["gpu", "zones"]) == (6, 3)
    assert rows.loc["a", "nodes"] == 4


def test_reschedule_after_a_loss_respects_taints():
    """Three small untainted nodes and a large tainted one: the lost node's pods go to the
    untainted survivors (or stay pending), never to the tainted node."""
    pool = make_pool([2.0, 2.0, 2.0, 16.0], taints=[(), (), (), (GPU,)])
    plain = workload("plain", 6, cpu=0.5)
    placement = schedule(pool, [plain])
    np.testing.assert_array_equal(placement.counts[:, 0], [2, 2, 2, 0])
    after, displaced = reschedule(placement, np.array([True, False, False, False]))
    assert displaced.tolist() == [2] and after.complete
    np.testing.assert_array_equal(after.counts[:, 0], [3, 3, 0])
    # full survivors: the displaced pods stay pending beside an empty tainted node
    full = workload("plain", 12, cpu=0.5)
    placement = schedule(pool, [full])
    after, _ = reschedule(placement, np.array([True, False, False, False]))
    assert after.pending.tolist() == [4]
    np.testing.assert_array_equal(after.counts[:, 0], [4, 4, 0])
    # a tolerating workload moves there
    gpu = replace(full, tolerations=(Toleration("dedicated", "Exists"),))
    after, _ = reschedule(schedule(pool, [gpu]), np.array([True, False, False, False]))
    assert after.complete
    # assess agrees: losing node 0 leaves 8 of the 12 plain pods running
    row = assess(pool, [full], "node").rows.loc["plain"]
    assert (row["after_failure_running"], row["after_failure_pending"]) == (8, 4)


def test_even_spread_exists_over_the_nodes_a_workload_may_use():
    pool = make_pool([2.0, 2.0, 2.0], taints=[(), (), (GPU,)])
    assert even_spread_exists(pool, [workload("w", 4, cpu=1.0)])  # 2 + 2 on the two
    assert not even_spread_exists(pool, [workload("w", 5, cpu=1.0)])  # 3 on one: too many
    assert even_spread_exists(make_pool([2.0] * 3), [workload("w", 5, cpu=1.0)])
    tolerant = workload("w", 5, cpu=1.0, tolerations=(Toleration("", "Exists"),))
    assert even_spread_exists(pool, [tolerant])
    # zone spread: the tainted node's zone is a domain holding none of its pods
    pool = make_pool([4.0] * 3, zone=[0, 1, 2], taints=[(), (), (GPU,)])
    hard = dict(zone_spread=Spread(1, True))
    assert even_spread_exists(pool, [workload("w", 2, cpu=0.5, **hard)])
    assert not even_spread_exists(pool, [workload("w", 4, cpu=0.5, **hard)])


def test_export_taints_tolerations_and_daemonsets_per_node():
    read = load_cluster([TAINTED_EXPORT])
    pool = read.pool
    batch = [i for i, t in enumerate(pool.taints) if t]
    assert [pool.node_names[i] for i in batch] == [
        "ip-10-0-1-40.ec2.internal",
        "ip-10-0-2-41.ec2.internal",
    ]
    assert all(pool.taints[i] == (Taint("dedicated", "NoSchedule", "batch"),) for i in batch)
    # fluent-bit (0.1 cores, 128 Mi) tolerates nothing: only aws-node (25m, 64 Mi) on batch
    general = np.setdiff1d(np.arange(pool.nodes), batch)
    np.testing.assert_allclose(pool.daemonset_cpu[general], 0.125)
    np.testing.assert_allclose(pool.daemonset_cpu[batch], 0.025)
    np.testing.assert_allclose(pool.daemonset_memory_gib[batch], 64 / 1024)
    assert pool.daemonset_pods.tolist() == [2] * 9 + [1] * 2
    assert read.daemonsets == pytest.approx({"cpu": 0.125, "memory_gib": 0.1875, "pods": 2})
    tolerations = {w.name: w.tolerations for w in read.workloads}
    assert tolerations == {
        "web": (),
        "api": (),
        "cache": (),
        "reports": (Toleration("dedicated", "Equal", "batch", "NoSchedule"),),
    }
    # the survivors of a lost batch node keep their per-node DaemonSets
    survivors = pool.without(np.arange(pool.nodes) == batch[0])
    assert survivors.daemonset_pods.tolist() == [2] * 9 + [1]
    # every pod of web, api and cache on the general nodes, DaemonSets counted per node
    result = assess(pool, read.workloads, "node")
    head = result.placement.headroom()
    for name in ("web", "api", "cache"):
        assert head.loc[batch, f"pods_{name}"].sum() == 0
        assert result.rows.loc[name, "nodes"] == 9
    assert result.rows.loc["reports", "nodes"] == 11
    np.testing.assert_allclose(
        head["cpu_free"],
        pool.allocatable_cpu
        - pool.daemonset_cpu
        - result.placement.counts @ [w.cpu_request for w in result.placement.workloads],
    )
