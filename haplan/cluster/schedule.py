"""Placing pods on nodes as the Kubernetes scheduler does: requests, pod limits and spread.

:func:`schedule` binds the pods of each workload one at a time, in the order given. For each
pod it keeps the nodes that pass the filters — the requests fit in what the node has left
(NodeResourcesFit), the pod limit, a ``max_per_node`` anti-affinity, and every
``DoNotSchedule`` spread rule: placing the pod must not make the count in its domain exceed
the smallest count over the eligible domains by more than ``maxSkew`` (PodTopologySpread) —
and the node's taints: the pod must tolerate every ``NoSchedule`` and ``NoExecute`` one
(TaintToleration) — and among them takes the one with the fewest ``PreferNoSchedule`` taints
it does not tolerate, then the one that spreads the workload most (fewest of its pods in the
node's zone, then on the node), then the least allocated node, then the first by name. A
pod no node admits stays Pending.

Taints and spread: as Kubernetes does by default (``nodeTaintsPolicy: Ignore``), every node
counts as a spread domain, including those whose taints the pod does not tolerate (their
count of its pods stays 0, which a ``DoNotSchedule`` rule measures the skew against);
``nodeTaintsPolicy: Honor`` is not modelled. The ``PreferNoSchedule`` preference comes first
in the ranking because kube-scheduler weighs TaintToleration (3) above PodTopologySpread (2)
and the resource scores (1); the ranking is lexicographic, not a weighted sum.

:func:`reschedule` replaces the pods of nodes that are lost on the survivors by the same
rules, which answers "after losing a node (or a zone), is there room for the displaced pods?".
:func:`even_spread_exists` decides exactly, with ``scipy.optimize.milp``, whether the pool can
hold every workload spread evenly (within one pod per node) when the greedy order cannot.

References
----------
.. [1] Kubernetes documentation, "Pod Topology Spread Constraints" (the skew rule:
   ``matchNum + selfMatchNum - globalMin <= maxSkew`` over eligible domains, and the internal
   default constraints), kubernetes.io/docs/concepts/scheduling-eviction/
   topology-spread-constraints/; "Resource Management for Pods and Containers" (requests
   against allocatable); "Scheduling Framework" (filter, then score); "Taints and
   Tolerations" (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
.. [2] kube-scheduler source, pkg/scheduler/framework/plugins/podtopologyspread/filtering.go,
   plugins/tainttoleration/taint_toleration.go, apis/config/v1/default_plugins.go (weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan.cluster.pool import Pool, WorkloadSpec

__all__ = ["Placement", "schedule", "reschedule", "even_spread_exists"]

_EPS = 1e-9


@dataclass(frozen=True)
class Placement:
    """Where every pod of every workload runs.

    Attributes
    ----------
    pool : Pool
        The nodes.
    workloads : tuple of WorkloadSpec
        The workloads, in the order they were placed.
    counts : numpy.ndarray
        Pods of each workload on each node, shape (nodes, workloads) [count].
    pending : numpy.ndarray
        Pods of each workload that no node admitted [count].
    """

    pool: Pool
    workloads: tuple[WorkloadSpec, ...]
    counts: np.ndarray
    pending: np.ndarray

    @property
    def complete(self) -> bool:
        """Every pod is bound."""
        return not self.pending.any()

    def eligible(self) -> np.ndarray:
        """Per node and workload: the node's taints admit the workload's pods, shape (nodes,
        workloads) [bool]."""
        return _eligible(self.pool, self.workloads)

    def used(self) -> dict[str, np.ndarray]:
        """Per node: requested CPU [cores], memory [GiB] and pods [count], DaemonSets included."""
        cpu = np.array([w.cpu_request for w in self.workloads])
        memory = np.array([w.memory_request_gib for w in self.workloads])
        pool = self.pool
        return {
            "cpu": self.counts @ cpu + pool.daemonset_cpu,
            "memory_gib": self.counts @ memory + pool.daemonset_memory_gib,
            "pods": self.counts.sum(axis=1) + pool.daemonset_pods,
        }

    def headroom(self) -> pd.DataFrame:
        """One row per node: zone, pods of each workload, used and free CPU, memory and pods."""
        pool = self.pool
        used = self.used()
        table = pd.DataFrame(
            {
                "node": list(pool.node_names),
                "zone": [pool.zone_names[z] for z in pool.zone],
                "node_type": pool.node_type,
            }
        )
        for j, workload in enumerate(self.workloads):
            table[f"pods_{workload.name}"] = self.counts[:, j]
        table["cpu_requested"] = used["cpu"]
        table["cpu_allocatable"] = pool.allocatable_cpu
        table["cpu_free"] = pool.allocatable_cpu - used["cpu"]
        table["memory_requested_gib"] = used["memory_gib"]
        table["memory_allocatable_gib"] = pool.allocatable_memory_gib
        table["memory_free_gib"] = pool.allocatable_memory_gib - used["memory_gib"]
        table["pods_used"] = used["pods"]
        table["pods_max"] = pool.max_pods
        table["pods_free"] = pool.max_pods - used["pods"]
        return table

    def zone_counts(self) -> np.ndarray:
        """Pods of each workload in each zone, shape (zones, workloads) [count]."""
        out = np.zeros((self.pool.zones, len(self.workloads)), dtype=int)
        np.add.at(out, self.pool.zone, self.counts)
        return out

    def is_even(self) -> np.ndarray:
        """Per workload: its pods differ by at most one between any two nodes it may use."""
        eligible = self.eligible()
        out = np.zeros(len(self.workloads), dtype=bool)
        for j in range(len(self.workloads)):
            counts = self.counts[eligible[:, j], j]
            out[j] = len(counts) > 0 and counts.max() - counts.min() <= 1
        return out

    def room(self) -> np.ndarray:
        """Per workload: the most of its pods any node could hold with today's neighbours.

        The smallest, over the nodes it may use (their taints), of the pods it has there
        plus the pods that still fit in what the node has left [count]; the room
        rescheduling finds (``max_instances_per_node``). 0 when no node admits it.
        """
        used = self.used()
        pool = self.pool
        free_cpu = pool.allocatable_cpu - used["cpu"]
        free_memory = pool.allocatable_memory_gib - used["memory_gib"]
        free_pods = pool.max_pods - used["pods"]
        eligible = self.eligible()
        rooms = []
        for j, w in enumerate(self.workloads):
            with np.errstate(divide="ignore", invalid="ignore"):
                fit = np.minimum.reduce(
                    [
                        np.where(w.cpu_request > 0, free_cpu / max(w.cpu_request, _EPS), np.inf),
                        np.where(
                            w.memory_request_gib > 0,
                            free_memory / max(w.memory_request_gib, _EPS),
                            np.inf,
                        ),
                        free_pods.astype(float),
                    ]
                )
            room = np.minimum(
                self.counts[:, j] + np.floor(np.maximum(fit, 0) + _EPS), w.per_node_cap
            )[eligible[:, j]]
            rooms.append(float(room.min()) if len(room) else 0.0)
        return np.array(rooms)


def _per_workload(pool: Pool, workloads: Sequence[WorkloadSpec], per_node, empty) -> np.ndarray:
    """``per_node(tolerations)`` of each workload as the columns of a (nodes, workloads)
    array; ``empty`` everywhere on a pool without taints."""
    out = np.full((pool.nodes, len(workloads)), empty)
    if pool.tainted:
        for j, workload in enumerate(workloads):
            out[:, j] = per_node(workload.tolerations)
    return out


def _eligible(pool: Pool, workloads: Sequence[WorkloadSpec]) -> np.ndarray:
    """Per node and workload: the node's taints admit the workload's pods [bool]."""
    return _per_workload(pool, workloads, pool.eligible, True)


def _place(
    pool: Pool,
    workloads: Sequence[WorkloadSpec],
    counts: np.ndarray,
    todo: Sequence[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Bind ``todo[j]`` more pods of workload j onto ``pool`` holding ``counts``."""
    counts = counts.copy()
    pending = np.zeros(len(workloads), dtype=int)
    cpu = np.array([w.cpu_request for w in workloads])
    memory = np.array([w.memory_request_gib for w in workloads])
    free_cpu = pool.allocatable_cpu - pool.daemonset_cpu - counts @ cpu
    free_memory = pool.allocatable_memory_gib - pool.daemonset_memory_gib - counts @ memory
    free_pods = pool.max_pods - pool.daemonset_pods - counts.sum(axis=1)
    zone = pool.zone
    live_zones = np.unique(zone)  # zones with a node are the eligible domains
    capacity = np.maximum(pool.allocatable_cpu, _EPS)
    index = np.arange(pool.nodes)
    eligible = _eligible(pool, workloads)
    disfavoured = _per_workload(pool, workloads, pool.disfavoured, 0)  # PreferNoSchedule
    for j, workload in enumerate(workloads):
        zone_rule, node_rule = workload.spread("zones"), workload.spread("nodes")
        for _ in range(int(todo[j])):
            on_node = counts[:, j]
            in_zone = np.bincount(zone, weights=on_node, minlength=pool.zones)
            fits = (
                (free_cpu >= cpu[j] - _EPS) & (free_memory >= memory[j] - _EPS) & (free_pods >= 1)
            )
            fits &= on_node < workload.per_node_cap
            fits &= eligible[:, j]
            if zone_rule.hard:
                fits &= in_zone[zone] + 1 - in_zone[live_zones].min() <= zone_rule.max_skew
            if node_rule.hard:
                fits &= on_node + 1 - on_node.min() <= node_rule.max_skew
            if not fits.any():
                pending[j] += 1
                continue
            allocated = 1.0 - free_cpu / capacity
            order = np.lexsort((index, allocated, on_node, in_zone[zone], disfavoured[:, j]))
            chosen = order[fits[order]][0]
            counts[chosen, j] += 1
            free_cpu[chosen] -= cpu[j]
            free_memory[chosen] -= memory[j]
            free_pods[chosen] -= 1
    return counts, pending


def schedule(pool: Pool, workloads: Sequence[WorkloadSpec]) -> Placement:
    """Place every workload's pods on an empty pool as the scheduler would.

    Parameters
    ----------
    pool : Pool
        The nodes (DaemonSet pods already running on each).
    workloads : sequence of WorkloadSpec
        The workloads, placed in this order, each its ``instances`` pods one at a time.

    Returns
    -------
    Placement
        Pods per node and workload, and the pods left Pending.
    """
    workloads = tuple(workloads)
    empty = np.zeros((pool.nodes, len(workloads)), dtype=int)
    counts, pending = _place(pool, workloads, empty, [w.instances for w in workloads])
    return Placement(pool, workloads, counts, pending)


def reschedule(placement: Placement, lost: np.ndarray) -> tuple[Placement, np.ndarray]:
    """Replace the pods of the lost nodes on the surviving nodes.

    Parameters
    ----------
    placement : Placement
        Where the pods run before the loss.
    lost : numpy.ndarray of bool
        Per node of ``placement.pool``: lost.

    Returns
    -------
    (Placement, numpy.ndarray)
        The placement on the survivors (pods that find no room stay Pending, together with
        the ones already pending), and the pods of each workload the loss displaced [count].

    Notes
    -----
    The lost nodes leave the cluster (deleted by the cloud controller or the node
    lifecycle controller), so they are no spread domain any more: a zone lost whole no
    longer holds back a ``DoNotSchedule`` zone spread.
    """
    lost = np.asarray(lost, dtype=bool)
    displaced = placement.counts[lost].sum(axis=0)
    survivors = placement.pool.without(lost)
    counts, pending = _place(
        survivors, placement.workloads, placement.counts[~lost], displaced + placement.pending
    )
    return Placement(survivors, placement.workloads, counts, pending), displaced


def even_spread_exists(pool: Pool, workloads: Sequence[WorkloadSpec]) -> bool:
    """Whether every workload fits spread evenly over the nodes, decided exactly.

    Each workload with C pods on the N nodes it may use (their taints admit it) puts ⌊C/N⌋ on
    every one of them and one more on C mod N of them; which nodes take the extra pods is a
    small integer programme (binary y[n, w], zero on the nodes it may not use,
    Σ_n y[n, w] = C mod N, every node's requests and pods within allocatable, every
    ``DoNotSchedule`` zone spread kept over the zones with nodes) solved with
    ``scipy.optimize.milp``.

    Parameters
    ----------
    pool : Pool
    workloads : sequence of WorkloadSpec

    Returns
    -------
    bool
        False too when a workload with pods may use no node.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    workloads = tuple(workloads)
    n, w = pool.nodes, len(workloads)
    eligible = _eligible(pool, workloads)
    usable = eligible.sum(axis=0)
    if any(x.instances and not m for x, m in zip(workloads, usable, strict=True)):
        return False
    usable = np.maximum(usable, 1)
    base = np.array([x.instances // m for x, m in zip(workloads, usable, strict=True)])
    extra = np.array([x.instances % m for x, m in zip(workloads, usable, strict=True)])
    cpu = np.array([x.cpu_request for x in workloads])
    memory = np.array([x.memory_request_gib for x in workloads])
    ones = np.ones(w)
    placed = eligible * base  # the ⌊C/N⌋ pods of each workload on each node it may use
    free = {
        "cpu": (pool.allocatable_cpu - pool.daemonset_cpu - placed @ cpu, cpu),
        "memory": (
            pool.allocatable_memory_gib - pool.daemonset_memory_gib - placed @ memory,
            memory,
        ),
        "pods": (pool.max_pods - pool.daemonset_pods - placed.sum(axis=1), ones),
    }
    for x, b, m in zip(workloads, base, usable, strict=True):
        if b + (x.instances % m > 0) > x.per_node_cap:
            return False
    if any((left < -_EPS).any() for left, _ in free.values()):
        return False
    # variables y[node, workload], row-major
    rows, lower, upper = [], [], []
    for j in range(w):  # each workload's extra pods go to exactly extra[j] nodes
        row = np.zeros((n, w))
        row[:, j] = 1
        rows.append(row.ravel())
        lower.append(extra[j])
        upper.append(extra[j])
    for left, per_pod in free.values():
        for i in range(n):
            row = np.zeros((n, w))
            row[i, :] = per_pod
            rows.append(row.ravel())
            lower.append(-np.inf)
            upper.append(left[i] + _EPS)
    live = np.flatnonzero(pool.nodes_per_zone())  # a zone without nodes is no domain
    for j, x in enumerate(workloads):  # DoNotSchedule zone spread between every two zones
        rule = x.spread("zones")
        if not rule.hard:
            continue
        # nodes the workload may not use still make their zone a domain (nodeTaintsPolicy
        # Ignore), holding none of its pods
        per_zone = np.bincount(pool.zone[eligible[:, j]], minlength=pool.zones)
        for a in live:
            for b in live:
                if a == b:
                    continue
                row = np.zeros((n, w))
                row[(pool.zone == a) & eligible[:, j], j] = 1
                row[(pool.zone == b) & eligible[:, j], j] = -1
                rows.append(row.ravel())
                lower.append(-np.inf)
                upper.append(rule.max_skew - base[j] * (per_zone[a] - per_zone[b]))
    result = milp(
        c=np.zeros(n * w),
        constraints=LinearConstraint(np.array(rows), lower, upper),
        integrality=np.ones(n * w),
        bounds=Bounds(0, eligible.ravel().astype(float)),
    )
    return bool(result.status == 0)
