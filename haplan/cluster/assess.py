"""A cluster judged as a whole: every workload's SLO verdict, the pool's headroom, and N+k.

:func:`assess` composes the pieces for one pool and its workloads: the scheduler's placement
(:mod:`~haplan.cluster.schedule`), each workload's figures from the service model
(:func:`haplan.metrics`, with the nodes and zones it may use — those whose taints it
tolerates, :meth:`Pool.eligible <haplan.cluster.Pool.eligible>` — and the room its
neighbours leave there for rescheduling), a check of the placement against the even spread
the service model assumes (:func:`~haplan.cluster.availability.placement_unavailability`),
and the planned-for failure: after losing the worst node (or zone), do the displaced pods
find room on the survivors, and do enough pods still run for the load?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan.availability import instances_per_node, steady_state_unavailability
from haplan.cluster.availability import placement_unavailability
from haplan.cluster.pool import Pool, WorkloadSpec
from haplan.cluster.schedule import Placement, even_spread_exists, reschedule, schedule
from haplan.cluster.taints import untolerated
from haplan.service import verdict
from haplan.table import metrics

__all__ = ["ClusterAssessment", "assess", "PLANNED_FAILURES"]

#: The failures a cluster can be planned to survive.
PLANNED_FAILURES = ("none", "node", "zone")


@dataclass(frozen=True)
class ClusterAssessment:
    """What :func:`assess` found.

    Attributes
    ----------
    placement : Placement
        Where the pods run.
    rows : pandas.DataFrame
        One metrics row per workload (index: workload name), with the cluster's columns:
        ``pending`` [pods], ``pods_per_node_min``/``_max`` [pods], ``room_per_node``
        [pods], ``placement_even`` and ``placement_unavailability`` (independent failures
        over the actual placement [fraction]), then the planned failure's
        ``after_failure_running`` [pods], ``after_failure_pending`` [pods],
        ``after_failure_needed`` [pods] and ``survives_failure``.
    planned_failure : str
        ``"none"``, ``"node"`` or ``"zone"``.
    notes : tuple of str
        Findings worth a sentence (uneven placement, pending pods, a zone spread that a lost
        zone blocks).
    """

    placement: Placement
    rows: pd.DataFrame
    planned_failure: str
    notes: tuple[str, ...] = ()

    @property
    def pool(self) -> Pool:
        """The nodes."""
        return self.placement.pool

    @property
    def ok(self) -> bool:
        """Every pod placed, every workload's targets met, and the planned failure survived."""
        rows = self.rows
        return bool(
            self.placement.complete and rows["slo_met"].all() and rows["survives_failure"].all()
        )

    def reasons(self) -> list[str]:
        """Why the cluster falls short, one phrase per problem (empty when :attr:`ok`)."""
        out = []
        usable = dict(
            zip(
                (w.name for w in self.placement.workloads),
                self.placement.eligible().sum(axis=0).tolist(),
                strict=True,
            )
        )
        for name, row in self.rows.iterrows():
            if row["pending"] and not usable[name]:
                out.append(
                    f"{name}: {int(row['pending'])} of {int(row['instances'])} pods do not fit "
                    f"(no node tolerates its taints: {_blocking(self.placement, name)})"
                )
            elif row["pending"]:
                out.append(
                    f"{name}: {int(row['pending'])} of {int(row['instances'])} pods do not fit "
                    f"(the nodes hold {_span(row)} of them; an even spread needs "
                    f"{-(-int(row['instances']) // usable[name])} per node)"
                )
            elif not row["slo_met"]:
                out.append(f"{name}: {_failed_target(row)}")
            elif not row["survives_failure"]:
                out.append(
                    f"{name}: after losing a {self.planned_failure}, "
                    f"{int(row['after_failure_running'])} pod(s) run "
                    f"< {int(row['after_failure_needed'])} needed"
                )
        return out

    def nodes_per_zone(self) -> dict[str, int]:
        """Nodes in each zone [count]."""
        pool = self.pool
        return dict(zip(pool.zone_names, pool.nodes_per_zone().tolist(), strict=True))


def _blocking(placement: Placement, name: str) -> str:
    """The taints that keep workload ``name`` off the nodes it may not use, with how many
    nodes carry each: ``dedicated=gpu:NoSchedule on 2 nodes``."""
    workload = next(w for w in placement.workloads if w.name == name)
    counts: dict[str, int] = {}
    for taints in placement.pool.taints:
        for taint in dict.fromkeys(untolerated(taints, workload.tolerations)):
            counts[str(taint)] = counts.get(str(taint), 0) + 1
    return "; ".join(f"{t} on {n} node{'s' if n != 1 else ''}" for t, n in counts.items())


def _usable(pool: Pool, eligible: np.ndarray) -> tuple[int, int]:
    """The nodes and zones a workload may use (the pool's own when it may use every node)."""
    if eligible.all():
        return pool.nodes, pool.zones
    return int(eligible.sum()), len(np.unique(pool.zone[eligible]))


def _taint_notes(placement: Placement, names: list[str]) -> list[str]:
    """Which nodes the workloads ``names`` may use, and the taints that keep them off the
    others; one note per set of nodes, the workloads in their order."""
    pool = placement.pool
    eligible = dict(zip((w.name for w in placement.workloads), placement.eligible().T, strict=True))
    groups: dict[tuple[tuple[bool, ...], str], list[str]] = {}
    for name in names:
        key = (tuple(eligible[name].tolist()), _blocking(placement, name))
        groups.setdefault(key, []).append(name)
    out = []
    for (usable, blocking), group in groups.items():
        nodes, zones = _usable(pool, np.array(usable))
        one = len(group) == 1
        use = (
            f"may use {nodes} of the {pool.nodes} nodes ({zones} zone(s)), the service "
            f"model's nodes for {'it' if one else 'them'}"
            if nodes
            else f"may use none of the {pool.nodes} nodes"
        )
        out.append(
            f"{', '.join(group)}: {'its' if one else 'their'} pods {use}; "
            f"{'it does' if one else 'they do'} not tolerate {blocking}."
        )
    return out


def _span(row: pd.Series) -> str:
    low, high = int(row["pods_per_node_min"]), int(row["pods_per_node_max"])
    return f"{low}" if low == high else f"{low}–{high}"


#: How a failed target of :func:`haplan.service.verdict` reads in a cluster's reasons.
_FAILED_TEXT = {
    "availability": "SLO availability {slo_availability:.4%} < target {target_availability:.4%} "
    "({serving_needed:.0f} of its {instances:.0f} pods must serve)",
    "p99": "p99 {p99_response_ms:.4g} ms > {target_p99_ms:g} ms",
    "recovery": "recovery {recovery_node_failure_s:.4g} s > {target_recovery_s:g} s",
}


def _failed_target(row: pd.Series) -> str:
    """The first target the service's verdict (the one rule) says the row misses."""
    if bool(row["overloaded"]):
        return "overloaded"
    failed = [v.name for v in verdict(row) if not v.passed and v.name in _FAILED_TEXT]
    if not failed:
        return "a target is not met"
    values = row.to_dict()
    values["serving_needed"] = max(row["min_instances"], row["instances_needed"])
    return _FAILED_TEXT[failed[0]].format(**values)


def _scenarios(placement: Placement) -> pd.DataFrame:
    pool = placement.pool
    rooms = placement.room()
    eligible = placement.eligible()
    frames = []
    for j, (workload, room) in enumerate(zip(placement.workloads, rooms, strict=True)):
        scenario = workload.scenario
        # the nodes and zones its pods may use; none: one, so that the row computes (its
        # pods are all pending, which fails the cluster anyway)
        nodes, zones = _usable(pool, eligible[:, j])
        nodes, zones = max(nodes, 1), max(zones, 1)
        # pending pods make room short of the spread itself; they fail the cluster anyway
        spread = -(-workload.instances // nodes)
        limit = max(min(float(scenario.max_instances_per_node), room), spread)
        frames.append(
            scenario.with_overrides(
                nodes=nodes, zones=zones, max_instances_per_node=limit
            ).to_frame()
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.index = pd.Index([w.name for w in placement.workloads], name="workload")
    return frame


def _placement_columns(placement: Placement, rows: pd.DataFrame) -> pd.DataFrame:
    pool = placement.pool
    eligible = placement.eligible()
    out = {
        k: []
        for k in (
            "pods_per_node_min",
            "pods_per_node_max",
            "placement_unavailability",
            "even_spread_unavailability",
        )
    }
    for j, workload in enumerate(placement.workloads):
        row = rows.iloc[j]
        q = (
            float(steady_state_unavailability(row["node_mttf_h"], row["node_mttr_h"])),
            float(row["instance_unavailability"]),
            float(row["zone_unavailability"]),
        )
        k = int(row["min_instances"])
        usable = eligible[:, j]
        counts = placement.counts[usable, j]  # the nodes it may use: the others hold none
        out["pods_per_node_min"].append(int(counts.min()) if len(counts) else 0)
        out["pods_per_node_max"].append(int(counts.max()) if len(counts) else 0)
        out["placement_unavailability"].append(
            placement_unavailability(counts, pool.zone[usable], k, *q)
        )
        nodes, zones = _usable(pool, usable)
        if nodes == 0:
            out["even_spread_unavailability"].append(1.0)
            continue
        even = instances_per_node(nodes, workload.instances)
        out["even_spread_unavailability"].append(
            placement_unavailability(even, np.arange(nodes) % zones, k, *q)
        )
    return pd.DataFrame(
        {
            "pending": placement.pending,
            "pods_per_node_min": out.pop("pods_per_node_min"),
            "pods_per_node_max": out.pop("pods_per_node_max"),
            "room_per_node": placement.room(),
            "placement_even": placement.is_even(),
            **out,
        },
        index=rows.index,
    )


def _failure_cases(pool: Pool, planned_failure: str) -> list[np.ndarray]:
    if planned_failure == "node":
        return [np.arange(pool.nodes) == i for i in range(pool.nodes)]
    if planned_failure == "zone":
        return [pool.zone == z for z in range(pool.zones) if (pool.zone == z).any()]
    return []


def _after_failure(placement: Placement, rows: pd.DataFrame, planned_failure: str) -> pd.DataFrame:
    """The worst case over every node (or zone) of the planned failure, per workload."""
    needed = np.maximum(rows["min_instances"], rows["instances_needed"]).to_numpy()
    running = np.array([w.instances for w in placement.workloads]) - placement.pending
    pending = placement.pending.copy()
    cases = _failure_cases(placement.pool, planned_failure)
    if planned_failure == "zone" and placement.pool.zones < 2:
        running = np.zeros_like(running)  # one zone lost is the whole cluster
    for lost in cases:
        if lost.all():
            running = np.zeros_like(running)
            continue
        after, _ = reschedule(placement, lost)
        bound = after.counts.sum(axis=0)
        worse = bound < running
        running = np.where(worse, bound, running)
        pending = np.maximum(pending, after.pending)
    return pd.DataFrame(
        {
            "after_failure_running": running,
            "after_failure_pending": pending,
            "after_failure_needed": np.ceil(needed),
            "survives_failure": running >= np.ceil(needed),
        },
        index=rows.index,
    )


def assess(
    pool: Pool, workloads: Sequence[WorkloadSpec], planned_failure: str = "node"
) -> ClusterAssessment:
    """Judge a cluster: place its workloads, compute each one's figures, try the failure.

    Parameters
    ----------
    pool : Pool
        The nodes.
    workloads : sequence of WorkloadSpec
        The workloads; their pods are placed largest CPU request first (then memory), the
        rows keep this order.
    planned_failure : {"none", "node", "zone"}, default "node"
        The failure the cluster must survive with room and capacity to spare (N+1 over nodes
        or over zones).

    Returns
    -------
    ClusterAssessment

    Raises
    ------
    ValueError
        An unknown ``planned_failure``, two workloads with one name, or a workload whose
        inputs do not fit the cluster (e.g. more zones than nodes).
    """
    if planned_failure not in PLANNED_FAILURES:
        raise ValueError(
            f"planned_failure={planned_failure!r} is not valid: choose one of "
            f"{', '.join(PLANNED_FAILURES)}"
        )
    names = [w.name for w in workloads]
    if len(set(names)) != len(names):
        raise ValueError(f"workload names must be unique; got {names}")
    # The largest pods first, as after a restart of the whole pool: first-fit decreasing, the
    # order that leaves the fewest pods pending for a greedy scheduler.
    order = sorted(workloads, key=lambda w: (-w.cpu_request, -w.memory_request_gib))
    placement = schedule(pool, order)
    rows = metrics(_scenarios(placement))
    rows = pd.concat(
        [
            rows,
            _placement_columns(placement, rows),
            _after_failure(placement, rows, planned_failure),
        ],
        axis=1,
    )
    rows = rows.loc[names]
    notes = []
    if not placement.complete and even_spread_exists(pool, workloads):
        notes.append(
            "Some pods find no node in the scheduler's order, yet an even spread of every "
            "workload fits (an exact check): a descheduler or another order could place them."
        )
    eligible = dict(zip((w.name for w in placement.workloads), placement.eligible().T, strict=True))
    notes.extend(_taint_notes(placement, [n for n in names if not eligible[n].all()]))
    for name, row in rows.iterrows():
        usable = eligible[name]
        if row["pending"] and not usable.any():
            notes.append(
                f"{name}: its {int(row['instances'])} pods find no node: every node has a "
                "taint it does not tolerate; they stay Pending."
            )
        elif row["pending"]:
            notes.append(
                f"{name}: {int(row['pending'])} of {int(row['instances'])} pods find no node "
                "(requests, pod limit or a DoNotSchedule spread rule); they stay Pending."
            )
        u_even, u_actual = row["even_spread_unavailability"], row["placement_unavailability"]
        if not row["pending"] and not np.isclose(u_actual, u_even, rtol=1e-9, atol=0):
            notes.append(
                f"{name}: the pods are not spread as the service model assumes (within one "
                f"per node, nodes dealt to zones in turn); over the actual placement the "
                f"independent-failure unavailability is {u_actual:.3g} against {u_even:.3g} "
                "for the even spread."
            )
    return ClusterAssessment(placement, rows, planned_failure, tuple(notes))
