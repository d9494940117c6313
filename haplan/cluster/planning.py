"""The cluster planner: the cheapest (node type, node count, pods per workload) that passes.

:func:`plan_cluster` orders the candidate pools — every node type of the table, every node
count of the search that is a whole number of nodes per zone — by price, and for each one
looks for the fewest pods per workload that make the cluster pass :func:`assess`: every pod
placed, every workload's SLO targets met, and the planned-for failure survived. The first
pool that passes is the answer; every cheaper pool keeps the reason it fails.

The search for pods is in two steps. First the service model is evaluated for every (node
count, pod count) of each workload at once (:func:`haplan.metrics` over the grid), with the
room for rescheduling the scenario allows: the smallest pod count meeting the workload's
targets there is a lower bound, because the room a full pool leaves can only be smaller.
Then each pool is assessed with those counts, and a workload that still falls short gets one
pod more at a time until it passes or reaches the end of its range; a pod that finds no
node ends the pool (more pods need more room, not less).

Taints: the candidate pools are built by :meth:`Pool.uniform` and carry none, so every
workload may use every node whatever its tolerations, and every DaemonSet runs on every node
(``daemonset_*`` are per-node figures for an untainted node). A workload that today runs on a
dedicated, tainted node pool of an export is thus planned as if it shared one pool with the
others; the export itself (the "today" line of ``haplan plan``) is assessed with its taints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan.cluster.assess import ClusterAssessment, assess
from haplan.cluster.node_types import monthly_cost_usd
from haplan.cluster.pool import Pool, WorkloadSpec
from haplan.planner import CandidateTable
from haplan.table import metrics

__all__ = ["ClusterPlan", "plan_cluster", "default_instances"]


@dataclass(frozen=True)
class ClusterPlan(CandidateTable):
    """The cluster planner's answer.

    Attributes
    ----------
    best : ClusterAssessment or None
        The cheapest passing cluster, assessed (None when no candidate passes).
    candidates : pandas.DataFrame
        One row per candidate pool, cheapest first: ``node_type``, ``nodes``, ``zones``,
        ``cost_per_hour_usd``, ``cost_per_month_usd``, ``instances_<workload>`` [pods],
        ``feasible``, ``reason`` (empty for passing rows) and ``search_capped`` (the
        candidate failed at the end of a pod range, so more pods might pass).
    warnings : tuple of str
        Where the answer sits on an edge of the search beyond which a cheaper cluster may lie.
    """

    best: ClusterAssessment | None
    candidates: pd.DataFrame
    warnings: tuple[str, ...] = ()


def default_instances(workload: WorkloadSpec) -> range:
    """The pod counts searched when none are given: 1 to the larger of 3× today's and 30."""
    return range(1, max(3 * workload.instances, 30) + 1)


def _lower_bounds(
    workloads: Sequence[WorkloadSpec], node_counts: Sequence[int], zones: int, search: dict
) -> dict[str, dict[int, tuple[int | None, str]]]:
    """Per workload and node count: the fewest pods meeting its targets, or why none does."""
    out: dict[str, dict[int, tuple[int | None, str]]] = {}
    for w in workloads:
        counts = np.array(sorted(search[w.name]), dtype=int)
        base = w.scenario.to_frame()
        rows = []
        for n in node_counts:  # pods the workload's own rules admit on n nodes
            usable = counts[(counts >= w.scenario.min_instances) & (counts <= n * w.per_node_cap)]
            frame = pd.DataFrame({"nodes": n, "instances": usable})
            rows.append(frame)
        grid = pd.concat(rows, ignore_index=True)
        fixed = base.drop(columns=["nodes", "replicas", "instances", "zones"]).iloc[0].to_dict()
        for name, value in fixed.items():
            grid[name] = [value] * len(grid)
        grid["zones"] = zones
        table = metrics(grid) if len(grid) else grid.assign(slo_met=[])
        per_node: dict[int, tuple[int | None, str]] = {}
        for n, group in table.groupby("nodes", sort=False):
            met = group[group["slo_met"].astype(bool)]
            if len(met):
                per_node[int(n)] = (int(met["instances"].min()), "")
            else:
                top = group.iloc[-1] if len(group) else None
                per_node[int(n)] = (None, _none_meets(w, counts, top))
        for n in node_counts:
            per_node.setdefault(
                int(n),
                (
                    None,
                    f"{w.name}: no pod count searched is both ≥ min_instances and within its "
                    "per-node limit on this many nodes",
                ),
            )
        out[w.name] = per_node
    return out


def _none_meets(workload: WorkloadSpec, counts: np.ndarray, top: pd.Series | None) -> str:
    span = f"{counts.min()}–{counts.max()}"
    if top is None:
        return f"{workload.name}: no pod count in {span} is ≥ min_instances"
    if bool(top["overloaded"]) or top["utilization"] > top["max_utilization"]:
        return (
            f"{workload.name}: even {int(top['instances'])} pods run above the utilisation ceiling"
        )
    return (
        f"{workload.name}: no pod count in {span} meets its targets "
        f"(at {int(top['instances'])} pods: SLO availability {top['slo_availability']:.4%})"
    )


def _assess_candidate(pool, workloads, start, search, planned_failure):
    """The fewest pods per workload from ``start`` up that make ``pool`` pass, or the reason."""
    counts = dict(start)
    limits = {w.name: max(search[w.name]) for w in workloads}
    best_after = dict.fromkeys(counts, -1)
    stalled = dict.fromkeys(counts, 0)
    while True:
        sized = [w.with_instances(counts[w.name]) for w in workloads]
        result = assess(pool, sized, planned_failure)
        if result.ok:
            return result, counts, "", False
        rows = result.rows
        if rows["pending"].any():  # more pods need more room, not less
            return result, counts, "; ".join(result.reasons()), False
        if planned_failure == "node" and pool.nodes == 1:  # no pod count survives that
            return result, counts, "losing the only node stops every pod", False
        short = [
            name
            for name, row in rows.iterrows()
            if not (row["slo_met"] and row["survives_failure"])
        ]
        for name in short:  # pods that never survive the failure: no more will
            running = int(rows.loc[name, "after_failure_running"])
            stalled[name] = stalled[name] + 1 if running <= best_after[name] else 0
            best_after[name] = max(best_after[name], running)
        if any(stalled[name] >= pool.nodes for name in short):
            return result, counts, "; ".join(result.reasons()), False
        if any(counts[name] >= limits[name] for name in short):
            return result, counts, "; ".join(result.reasons()), True
        for name in short:
            counts[name] += 1


def plan_cluster(
    workloads: Sequence[WorkloadSpec],
    node_types: pd.DataFrame,
    *,
    nodes: Iterable[int] | None = None,
    zones: int = 1,
    instances: Mapping[str, Iterable[int]] | None = None,
    planned_failure: str = "node",
    daemonset_cpu: float = 0.0,
    daemonset_memory_gib: float = 0.0,
    daemonset_pods: int = 0,
) -> ClusterPlan:
    """The cheapest cluster of one node type that runs every workload within its targets.

    Parameters
    ----------
    workloads : sequence of WorkloadSpec
        The workloads; each scenario's targets (``target_availability``,
        ``target_p99_ms``, ``target_recovery_s``) are what it must meet.
    node_types : pandas.DataFrame
        Candidate node types (:func:`~haplan.cluster.read_node_types`); one row holds the
        type.
    nodes : iterable of int, optional
        Node counts to search; those that are not a multiple of ``zones`` are skipped (a
        zonal node pool has the same number of nodes in every zone). Default: ``zones`` to
        30 nodes. One value holds the pool's size ("how many pods on my 9 nodes?").
    zones : int, default 1
        Zones the pool spans [count].
    instances : mapping of workload name to iterable of int, optional
        Pod counts to search per workload (default :func:`default_instances`).
    planned_failure : {"none", "node", "zone"}, default "node"
        The failure the cluster must survive (see :func:`~haplan.cluster.assess`).
    daemonset_cpu, daemonset_memory_gib, daemonset_pods
        DaemonSet pods on every node [cores, GiB, count].

    Returns
    -------
    ClusterPlan
        Candidates ordered by hourly price, then more nodes first (more failure domains for
        the same price), then node type name.

    Raises
    ------
    ValueError
        No workload, no node type, a node count list with no multiple of ``zones``, or an
        unknown workload name in ``instances``.
    """
    workloads = tuple(workloads)
    if not workloads:
        raise ValueError("workloads is empty: give at least one workload to plan for")
    if len(node_types) == 0:
        raise ValueError("node_types is empty: give at least one node type")
    zones = int(zones)
    if planned_failure == "zone" and zones < 2:
        raise ValueError(
            f"planned_failure='zone' needs zones >= 2 (got zones={zones}): a cluster in one zone "
            "cannot survive losing it; give the pool's zones (e.g. --set zones=3)"
        )
    node_counts = sorted({int(n) for n in (nodes if nodes is not None else range(1, 31))})
    node_counts = [n for n in node_counts if n >= zones and n % zones == 0]
    if not node_counts:
        raise ValueError(
            f"nodes: no node count searched is a multiple of zones={zones}; search e.g. "
            f"{zones}:{10 * zones}"
        )
    search = {w.name: list(default_instances(w)) for w in workloads}
    for name, values in (instances or {}).items():
        if name not in search:
            raise ValueError(
                f"instances: unknown workload {name!r}; workloads: {', '.join(search)}"
            )
        search[name] = sorted({int(v) for v in values})
        if not search[name] or search[name][0] < 1:
            raise ValueError(f"instances of {name!r} must be whole numbers >= 1")
    bounds = _lower_bounds(workloads, node_counts, zones, search)

    rows, assessed = [], {}
    pools = []
    for type_name, node_type in node_types.iterrows():
        for n in node_counts:
            price = float(node_type["price_per_hour_usd"]) * n
            pools.append((price, -n, str(type_name), n, node_type))
    pools.sort(key=lambda item: item[:3])
    for price, _, type_name, n, node_type in pools:
        row = {
            "node_type": type_name,
            "nodes": n,
            "zones": zones,
            "cost_per_hour_usd": price,
            "cost_per_month_usd": monthly_cost_usd(price),
        }
        start = {w.name: bounds[w.name][n][0] for w in workloads}
        missing = [bounds[w.name][n][1] for w in workloads if start[w.name] is None]
        if missing:
            row.update({f"instances_{w.name}": np.nan for w in workloads})
            row.update(feasible=False, reason="; ".join(missing), search_capped=True)
            rows.append(row)
            continue
        pool = Pool.uniform(
            node_type,
            n,
            zones,
            daemonset_cpu=daemonset_cpu,
            daemonset_memory_gib=daemonset_memory_gib,
            daemonset_pods=daemonset_pods,
        )
        result, counts, reason, capped = _assess_candidate(
            pool, workloads, start, search, planned_failure
        )
        row.update({f"instances_{w.name}": counts[w.name] for w in workloads})
        row.update(feasible=not reason, reason=reason, search_capped=capped)
        rows.append(row)
        if not reason:
            assessed[len(rows) - 1] = result
    candidates = pd.DataFrame(rows)
    feasible = np.flatnonzero(candidates["feasible"].to_numpy())
    best = assessed[int(feasible[0])] if len(feasible) else None
    plan = ClusterPlan(best, candidates)
    return ClusterPlan(best, candidates, _warnings(plan, node_counts, search, workloads))


def _warnings(plan: ClusterPlan, node_counts, search, workloads) -> tuple[str, ...]:
    out = []
    if plan.best is None:
        return ()
    best_nodes = plan.best.pool.nodes
    zones = plan.best.pool.zones
    if len(node_counts) > 1 and best_nodes == node_counts[0] and best_nodes > zones:
        out.append(
            f"the answer has {best_nodes} nodes, the fewest searched: a smaller cluster was not "
            "tried (widen the node range downwards)"
        )
    rejected = plan.cheaper_rejected()
    capped = rejected[rejected["search_capped"].astype(bool)]
    for w in workloads:
        top = max(search[w.name])
        blamed = capped["reason"].str.contains(rf"(?:^|; ){re.escape(w.name)}:", regex=True)
        if blamed.any():
            out.append(
                f"{w.name}: the search stopped at {top} pods; with more pods a cheaper cluster "
                "may pass (widen its pod range)"
            )
    return tuple(out)
