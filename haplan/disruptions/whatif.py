"""Deterministic what-ifs: lose nodes, a zone, a share of the pool, or crash instances at once.

:func:`whatif` turns one failure at t = 0 into a step function of the instances ready over
time, through the orchestrator's recovery stages (:mod:`haplan.recovery`), and judges it
against the scenario's SLO with :func:`haplan.disruptions.timeline.make_timeline`: how long
the service stays below target, how bad p99 gets, when it is back to full strength, and how
much of the 30-day error budget that costs.

node events (``"nodes"``, ``"zone"``, ``"share"``)
    detection → eviction → scheduling → image pull → container start → readiness; the lost
    instances are down from t = 0 and come back on the surviving nodes where those have room.
crash storm (``"crash"``)
    restart delay → [scheduling → image pull] → container start → readiness; the instances
    restart in place.
"""

from __future__ import annotations

import math
from itertools import accumulate
from numbers import Integral, Real

import numpy as np
import pandas as pd

from haplan.availability import instances_per_node
from haplan.disruptions.timeline import Timeline, make_timeline
from haplan.recovery import container_crash_stages, node_failure_stages

__all__ = ["whatif", "WHATIF_EVENTS", "DEFAULT_HORIZON_NEVER_S", "HORIZON_MARGIN"]

#: The events :func:`whatif` knows.
WHATIF_EVENTS: tuple[str, ...] = ("nodes", "zone", "share", "crash")
#: Default horizon of a what-if that never returns to full strength [s].
DEFAULT_HORIZON_NEVER_S = 600.0
#: Default horizon beyond the return to full strength [fraction of that time].
HORIZON_MARGIN = 0.10


def _whole(name: str, value, low: int, high: int, valid: str) -> int:
    """A whole number in [low, high]; ValueError naming the parameter, value and range."""
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if not math.isfinite(number) or number != round(number) or not low <= number <= high:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return int(number)


def _number(name: str, value, valid: str, ok) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if math.isnan(number) or not ok(number):
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return number


def _failed_nodes(scenario, event: str, count: int, zone: int, share: float | None):
    """Indices of the nodes an event takes down (node i holds ``per_node[i]``, zone i mod Z)."""
    nodes = scenario.nodes
    if event == "nodes":
        return np.arange(count)
    if event == "zone":
        return np.flatnonzero(np.arange(nodes) % scenario.zones == zone)
    # ⌈share × N⌉, with a relative tolerance so that 0.3 × 10 = 3.0000000000000004 gives 3.
    lost = max(1, math.ceil(share * nodes * (1.0 - 1e-12)))
    return np.arange(lost)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _rate_text(rate: float) -> str:
    if rate == round(rate) or rate >= 100:
        return f"{rate:,.0f}"
    return f"{rate:,.3g}"


def _node_steps(scenario, failed: np.ndarray) -> tuple[list, int, int, dict]:
    """Steps of a node event: (rows, lost, placed, stage durations)."""
    per_node = instances_per_node(scenario.nodes, scenario.instances)
    total = scenario.instances
    down = np.zeros(scenario.nodes, dtype=bool)
    down[failed] = True
    lost = int(per_node[down].sum())
    survivors = per_node[~down]
    room_per_node = scenario.max_instances_per_node
    if len(survivors) == 0:
        room = 0.0
    elif math.isinf(room_per_node):
        room = math.inf
    else:
        room = float(np.maximum(room_per_node - survivors, 0).sum())
    placed = int(min(lost, room))
    stages = node_failure_stages(
        scenario.orchestrator, instances_to_move=max(placed, 1), failed_nodes=len(failed)
    )
    names = list(stages) if placed > 0 else ["detection", "eviction"]
    ends = list(accumulate(stages[name] for name in names))
    starts = [0.0, *ends[:-1]]
    waiting = lost - placed
    rows = [
        (start, name, total - lost, waiting if i >= 2 else 0)
        for i, (start, name) in enumerate(zip(starts, names, strict=True))
    ]
    rows.append((ends[-1], "", total - lost + placed, waiting))
    return rows, lost, placed, {name: stages[name] for name in names}


def _crash_steps(scenario, count: int) -> tuple[list, dict]:
    """Steps of a crash storm: ``count`` instances restart in place, each its first crash."""
    stages = container_crash_stages(scenario.orchestrator, crash_count=1)
    ends = list(accumulate(stages.values()))
    starts = [0.0, *ends[:-1]]
    total = scenario.instances
    rows = [(start, name, total - count, 0) for start, name in zip(starts, stages, strict=True)]
    rows.append((ends[-1], "", total, 0))
    return rows, stages


def whatif(
    scenario,
    event: str,
    *,
    count: int = 1,
    zone: int = 0,
    share: float | None = None,
    at_rps: float | None = None,
    horizon_s: float | None = None,
) -> Timeline:
    r"""What the service goes through after one failure at t = 0, step by step.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster (N nodes, Z zones, C instances, ``max_instances_per_node``), the
        orchestrator whose recovery stages apply, the load and the SLO targets.
    event : {"nodes", "zone", "share", "crash"}
        ``"nodes"``: lose ``count`` nodes, the most loaded first (nodes hold ⌈C/N⌉ or ⌊C/N⌋
        instances, :func:`haplan.availability.instances_per_node`). ``"zone"``: lose zone
        ``zone`` — every node i with i mod Z = ``zone``. ``"share"``: lose ⌈``share`` × N⌉
        nodes, the most loaded first. ``"crash"``: a container crash storm — ``count``
        instances crash at once and restart in place.
    count : int, default 1
        Nodes lost [count], 1 ≤ count < N (``"nodes"``), or instances that crash [count],
        1 ≤ count ≤ C (``"crash"``); must stay 1 for the other events.
    zone : int, default 0
        The zone lost [index], 0 ≤ zone < Z (``"zone"`` only).
    share : float, optional
        Share of the node pool lost [fraction], 0 < share < 1 (``"share"`` only, required
        there). ⌈share × N⌉ may be all N nodes (0.9 of 3): nothing survives to take the
        instances.
    at_rps : float, optional
        Request rate during the disruption [req/s], ≥ 0 (e.g. the peak); default the
        scenario's ``request_rate_rps``.
    horizon_s : float, optional
        End of the timeline [s], > 0; steps after it are dropped (the totals then cover the
        horizon only: ``time_to_full_strength_s`` is inf if the return falls after it).
        Default: the last step (the
        return to full strength) + :data:`HORIZON_MARGIN` (10 %), or
        max(:data:`DEFAULT_HORIZON_NEVER_S`, 1.1 × the last step) when the service never
        returns to full strength.

    Returns
    -------
    haplan.disruptions.Timeline
        ``event`` in words ("lose 1 node (2 instances) at 2,000 req/s on kubernetes"), the
        judged ``frame`` (one row a stage boundary, ``stage`` the stage in effect from that
        time, "" once recovery is over; ``instances_ready`` = C − lost + placed-and-ready;
        ``instances_pending`` = the lost instances that found no room, from the scheduling
        stage on), its ``totals`` (``never_placed`` > 0 and ``time_to_full_strength_s`` inf
        when the survivors lack room) and the stage spans.

    Raises
    ------
    ValueError
        For an unknown ``event`` or a parameter out of its range (the message names the
        parameter, the value and the valid range).

    Notes
    -----
    Node events. The lost instances are down from t = 0 (their endpoints are removed once the
    node is declared down; requests sent to them before that are not modelled). After
    detection + eviction (``haplan.recovery.node_failure_stages`` with ``failed_nodes`` = the
    nodes lost, so Kubernetes' one-node-per-10-s eviction rate delays the last of them [1]_
    [2]_) the orchestrator creates replacements; the survivors take them only where they have
    room — each node runs at most ``max_instances_per_node`` instances (inf: always room) —
    and the rest stay pending for good. The placed ones become ready after scheduling + image
    pull + container start + readiness, those stages taken for the number actually placed
    (scheduling and image pulls scale with it), all together at the end of readiness (the
    pipeline's time for the *last* instance: pessimistic for the first ones). Each step time
    is the cumulative sum of the stage durations in pipeline order.

    A what-if models what the orchestrator does, so instances are rescheduled whatever the
    scenario's ``reschedule`` flag says (that flag selects the availability model in
    :mod:`haplan.service`): Kubernetes Deployments, Swarm services and Nomad jobs all
    reschedule [1]_ [3]_ [4]_. StatefulSet pods instead wait for their node to return, and
    PodDisruptionBudgets do not apply to failures; neither is modelled. The failed nodes
    come back only after the horizon: node repair is not modelled within it.

    Not modelled either: Kubernetes' node lifecycle controller slows evictions when at least
    55 % (and more than 2) of a zone's nodes are NotReady without the whole zone being down
    (``--unhealthy-zone-threshold``), and stops them in clusters of ≤ 50 nodes
    (``--large-cluster-size-threshold``) or when every zone is down [2]_; a zone-level
    ``topologySpreadConstraints`` with ``DoNotSchedule`` may keep replacements pending
    whatever the room. Each step is judged in steady state (:func:`~haplan.disruptions.evaluate`).

    Crash storm. The ``count`` instances crash at the same moment, each its first crash since
    the back-off reset, and restart in place through
    ``haplan.recovery.container_crash_stages(orchestrator, 1)`` (Kubernetes: at once;
    Swarm: a new task after 5 s; Nomad: after 15 s) [5]_. Swarm schedules the new tasks one
    at a time (0.02 s each); the stage is kept at one instance's time, as in the recovery
    module. A stage that never ends (a Swarm policy whose attempts are used up) leaves the
    instances down for the rest of the timeline.

    References
    ----------
    .. [1] Kubernetes documentation, "Taints and Tolerations" (taint-based evictions:
       ``node.kubernetes.io/unreachable`` and ``not-ready``, NoExecute,
       ``tolerationSeconds`` 300),
       https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/ .
    .. [2] Kubernetes documentation, "Nodes" (node heartbeats, node controller, rate limits
       on eviction), https://kubernetes.io/docs/concepts/architecture/nodes/ ;
       kube-controller-manager command-line reference.
    .. [3] moby/swarmkit, manager/dispatcher/dispatcher.go (heartbeat period and grace) and
       manager/orchestrator (tasks of a down node replaced on the others).
    .. [4] hashicorp/nomad, nomad/heartbeat.go and the ``reschedule`` block documentation.
    .. [5] Kubernetes documentation, "Pod Lifecycle: container restarts"; moby/swarmkit,
       manager/orchestrator/restart/restart.go; Nomad documentation, ``restart`` block.

    Examples
    --------
    >>> from haplan import Scenario
    >>> s = Scenario(nodes=9, zones=3, instances=18, instance_capacity_rps=150.0)
    >>> whatif(s, "zone", zone=0, at_rps=2000.0).event
    'lose zone 0 (3 nodes, 6 instances) at 2,000 req/s on kubernetes'
    """
    if not isinstance(event, str) or event not in WHATIF_EVENTS:
        raise ValueError(f"event={event!r} is not valid: must be one of {', '.join(WHATIF_EVENTS)}")
    nodes, instances, zones = scenario.nodes, scenario.instances, scenario.zones
    if event == "nodes":
        valid = f"must be a whole number >= 1 and < nodes ({nodes})"
        count = _whole("count", count, 1, nodes - 1, valid)
    elif event == "crash":
        valid = f"must be a whole number >= 1 and <= instances ({instances})"
        count = _whole("count", count, 1, instances, valid)
    elif count != 1:
        raise ValueError(f"count={count!r} is not valid: event={event!r} takes no count")
    if event == "zone":
        valid = f"must be a whole number >= 0 and < zones ({zones})"
        zone = _whole("zone", zone, 0, zones - 1, valid)
    elif zone != 0:
        raise ValueError(f"zone={zone!r} is not valid: only event='zone' takes a zone")
    if event == "share":
        if share is None:
            raise ValueError("share=None is not valid: event='share' needs 0 < share < 1")
        share = _number("share", share, "must be a number > 0 and < 1", lambda x: 0 < x < 1)
    elif share is not None:
        raise ValueError(f"share={share!r} is not valid: only event='share' takes a share")
    if at_rps is not None:
        at_rps = _number("at_rps", at_rps, "must be a number >= 0", lambda x: 0 <= x < math.inf)
        scenario = scenario.with_overrides(request_rate_rps=at_rps)
    if horizon_s is not None:
        horizon_s = _number(
            "horizon_s", horizon_s, "must be a number > 0", lambda x: 0 < x < math.inf
        )

    rate = _rate_text(float(scenario.request_rate_rps))
    where = f"at {rate} req/s on {scenario.orchestrator}"
    if event == "crash":
        rows, _ = _crash_steps(scenario, count)
        text = f"crash {_plural(count, 'instance')} at once {where}"
    else:
        failed = _failed_nodes(scenario, event, count, zone, share)
        rows, lost, placed, _ = _node_steps(scenario, failed)
        what = _plural(lost, "instance")
        if placed < lost:
            what += f", no room for {lost - placed}"
        if event == "nodes":
            text = f"lose {_plural(len(failed), 'node')} ({what}) {where}"
        elif event == "zone":
            text = f"lose zone {zone} ({_plural(len(failed), 'node')}, {what}) {where}"
        else:
            text = (
                f"lose {share * 100:g} % of the nodes ({len(failed)} of {nodes} nodes, "
                f"{what}) {where}"
            )

    steps = pd.DataFrame(rows, columns=["time_s", "stage", "instances_ready", "instances_pending"])
    steps = steps[np.isfinite(steps["time_s"].to_numpy(dtype=float))]  # stages that never end
    last = float(steps["time_s"].iloc[-1])
    back = int(steps["instances_ready"].iloc[-1]) >= instances
    if horizon_s is None:
        horizon_s = (1.0 + HORIZON_MARGIN) * last
        if not back:
            horizon_s = max(DEFAULT_HORIZON_NEVER_S, horizon_s)
    else:
        steps = steps[steps["time_s"] <= horizon_s]
    return make_timeline(text, steps.reset_index(drop=True), scenario, horizon_s)
