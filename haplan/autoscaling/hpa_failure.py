"""Failures under autoscaling: nodes or a zone lost during the profile while the HPA runs.

Part of :mod:`haplan.autoscaling.hpa` (the ``failure`` argument of
:func:`~haplan.autoscaling.hpa.simulate_hpa`, which re-exports :data:`FAILURE_EVENTS`): the
failure's validation, the pods lost and the ReplicaSet's replacements.

``failure`` loses nodes (or a zone) at one instant of the profile, as the what-ifs of
:mod:`haplan.disruptions.whatif` do at t = 0, while the HPA keeps running:

* **Which pods.** The R pods of the scale at that instant are spread over
  ``scenario.nodes`` N nodes (⌈R/N⌉ on the first R mod N nodes, ⌊R/N⌋ on the others,
  :func:`haplan.availability.instances_per_node`), node i in zone i mod Z. ``"nodes"``
  loses the first ``count`` nodes (the most loaded), ``"zone"`` every node of the zone.
  The lost pods stop serving at once; they are taken among the ready pods first (the
  earliest ready), then among the not-ready ones.
* **The ReplicaSet.** The lost pods stay in the scale (``replicas``, instance-hours) and
  count as not ready. After detection + eviction of
  :func:`haplan.recovery.node_failure_stages` (``failed_nodes`` = the nodes lost) the
  ReplicaSet creates their replacements; those that fit in the room left become ready
  after scheduling + image pull + container start + readiness, taken for the number
  placed, all at the end of readiness (the last one's time, as in the what-ifs); the rest
  first wait ``node_provision_s`` for a node, then go through the same stages for their
  number (never ready when ``node_provision_s`` is inf).
* **The room left.** From the failure on, the room is the surviving nodes' share of it:
  ⌊``node_room`` × (N − lost nodes) / N⌋, which is (N − lost nodes) ×
  ``max_instances_per_node`` for the default room (0 when no node survives). Pods the HPA
  creates meanwhile take room before the replacements created after them.
* **The HPA.** It sees the ready pods' higher utilisation, but the lost pods and their
  replacements count as not ready: on a scale-up they count as 0 % of their request, so
  when the scale was on target before the failure the HPA does *not* scale up for it (the
  average over all pods is unchanged); it scales up only when the load grows beyond the
  tolerance meanwhile. (Kubernetes' controller treats the pods of an unreachable node as
  pods without metrics, 0 % on a scale-up but 100 % on a scale-down, then, once they are
  evicted, ignores them and counts their pending replacements as not ready; the model
  leaves them out of a scale-down, as every not-ready pod.) On a scale-down the lost pods
  awaiting replacement are removed first.
* **Not modelled.** The lost nodes do not come back within the profile; Kubernetes' slower
  evictions for partially unhealthy zones and small clusters, and a zone-level
  ``topologySpreadConstraints`` keeping replacements pending, are not modelled (as in the
  what-ifs).

"""

from __future__ import annotations

import math

import numpy as np

from haplan.autoscaling.hpa_rules import _EPS, _real, _whole
from haplan.availability import instances_per_node
from haplan.recovery import node_failure_stages

__all__ = ["FAILURE_EVENTS"]

#: ``failure["event"]`` values of :func:`~haplan.autoscaling.hpa.simulate_hpa`.
FAILURE_EVENTS: tuple[str, ...] = ("nodes", "zone")
_FAILURE_KEYS = ("at_s", "event", "count", "zone")
_START_STAGES = ("scheduling", "image_pull", "container_start", "readiness")


# -- validation -------------------------------------------------------------------------------


def _failure(failure, scenario, start: float, end: float) -> dict | None:
    """The validated failure: at_s, event, count, zone and the failed node indices."""
    if failure is None:
        return None
    if not isinstance(failure, dict):
        raise ValueError(
            f"failure={failure!r} is not valid: must be a dict with keys {', '.join(_FAILURE_KEYS)}"
        )
    unknown = [key for key in failure if key not in _FAILURE_KEYS]
    if unknown:
        raise ValueError(
            f"failure key {unknown[0]!r} is not valid: valid keys are {', '.join(_FAILURE_KEYS)}"
        )
    if "at_s" not in failure:
        raise ValueError("failure has no 'at_s': give the time of the failure [s]")
    at = _real(
        "failure['at_s']",
        failure["at_s"],
        low=start,
        high=end,
        valid=f"must be a time [s] in [{start:g}, {end:g}) (the profile's span)",
    )
    if at >= end:
        raise ValueError(
            f"failure['at_s']={failure['at_s']!r} is out of range: must be a time [s] in "
            f"[{start:g}, {end:g}) (the profile's span)"
        )
    event = failure.get("event", "nodes")
    if not isinstance(event, str) or event not in FAILURE_EVENTS:
        raise ValueError(
            f"failure['event']={event!r} is not valid: must be one of {', '.join(FAILURE_EVENTS)}"
        )
    nodes, zones = int(scenario.nodes), int(scenario.zones)
    count, zone = failure.get("count", 1), failure.get("zone", 0)
    if event == "nodes":
        count = _whole(
            "failure['count']",
            count,
            low=1,
            high=nodes,
            valid=f"must be a whole number of nodes >= 1 and <= nodes ({nodes})",
        )
        if zone != 0:
            raise ValueError(f"failure['zone']={zone!r} is not valid: only event 'zone' takes one")
        failed = np.arange(count)
    else:
        if count != 1:
            raise ValueError(f"failure['count']={count!r} is not valid: event 'zone' takes none")
        zone = _whole(
            "failure['zone']",
            zone,
            low=0,
            high=zones - 1,
            valid=f"must be a whole number >= 0 and < zones ({zones})",
        )
        failed = np.flatnonzero(np.arange(nodes) % zones == zone)
    return {"at_s": at, "event": event, "count": count, "zone": zone, "failed": failed}


def _start_stages(orchestrator, pods: int, failed_nodes: int) -> dict:
    """Scheduling, image pull, container start and readiness of ``pods`` replacements [s]."""
    stages = node_failure_stages(orchestrator, instances_to_move=pods, failed_nodes=failed_nodes)
    return {name: float(stages[name]) for name in _START_STAGES}


# -- failures ---------------------------------------------------------------------------------


def _lose_nodes(scenario, hit: dict, pods: list, room):
    """Take the lost nodes' pods out of ``pods`` (in place).

    Returns (failure record, pods lost, replacement time [s] or None, room left).
    """
    nodes = int(scenario.nodes)
    failed = hit["failed"]
    per_node = instances_per_node(nodes, len(pods))
    lost = int(per_node[failed].sum())
    pods.sort()
    del pods[:lost]  # the ready pods first, the earliest ready first
    survivors = nodes - len(failed)
    if survivors == 0:
        room_after = 0  # nothing left to run on: every replacement waits for a new node
    elif math.isinf(room):
        room_after = room
    else:
        room_after = math.floor(room * survivors / nodes + _EPS)
    stages = node_failure_stages(
        scenario.orchestrator, instances_to_move=1, failed_nodes=len(failed)
    )
    detect = {name: float(stages[name]) for name in ("detection", "eviction")}
    replace_at = hit["at_s"] + sum(detect.values())
    record = {
        "at_s": hit["at_s"],
        "event": hit["event"],
        "count": hit["count"],
        "zone": hit["zone"],
        "failed_nodes": len(failed),
        "node_room_after": room_after,
        "lost": lost,
        "stages": detect,
        "replaced_at_s": replace_at,
        "placed": 0,
        "pending": 0,
        "placed_ready_at_s": math.nan,
        "pending_ready_at_s": math.nan,
        "start_stages": {},
        "pending_start_stages": {},
    }
    return record, lost, (replace_at if lost > 0 else None), room_after


def _replace(scenario, record: dict, pods: list, lost: int, room, provision: float) -> None:
    """The ReplicaSet's replacements of the ``lost`` pods still in the scale (in place)."""
    if lost <= 0:
        return
    now = record["replaced_at_s"]
    free = room - len(pods) if math.isinf(room) else max(int(room) - len(pods), 0)
    placed = int(min(lost, free))
    pending = lost - placed
    failed = record["failed_nodes"]
    record.update(placed=placed, pending=pending)
    if placed:
        stages = _start_stages(scenario.orchestrator, placed, failed)
        ready_at = now + sum(stages.values())
        pods.extend([ready_at] * placed)
        record.update(placed_ready_at_s=ready_at, start_stages=stages)
    if pending:
        stages = _start_stages(scenario.orchestrator, pending, failed)
        ready_at = now + provision + sum(stages.values())  # inf: no cluster autoscaler
        pods.extend([ready_at] * pending)
        record.update(pending_ready_at_s=ready_at, pending_start_stages=stages)
