"""Rolling updates: a Deployment's, a StatefulSet's and a Docker Swarm service's, in waves.

Each rollout is simulated event by event (a pod created, scheduled, ready, available; an old
pod removed) and turned into the step function of the instances that serve,
``time_s`` → ``instances_ready``, judged against the scenario's SLO by
:func:`haplan.disruptions.timeline.make_timeline`. The Timeline's totals give the dip
(``fewest_ready``), the time below target and the share of the 30-day error budget one
rollout spends (``budget_spent_min``, ``budget_share_30d``); the functions here add the
rollout's own totals (``rollout_s``, ``waves``, ``dip``, ``blocked`` …).

Deployment (``RollingUpdate``)
    the new ReplicaSet is scaled up by the surge room (at most C + maxSurge pods), the old one
    down by the unavailability room (at least C − maxUnavailable available), again and again
    as new pods become available;
StatefulSet (``RollingUpdate``)
    one pod at a time from the highest ordinal: deleted, recreated, Running and Ready;
Docker Swarm (``update_config``)
    ``parallelism`` tasks at a time, ``delay`` after each, ``stop-first`` or ``start-first``.

Conventions
-----------
* A new pod is ready ``pod_ready_s`` after it is created (default :func:`pod_start_s`: the
  orchestrator's scheduling, image pull, container start and readiness for one fresh pod).
* Old pods stop serving the moment they are scaled down or deleted (their graceful
  termination serves no new requests and is not counted), and their resources are free at once.
* The rollout's pods are identical: no crash, no failed probe, no rollback.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import replace
from numbers import Integral, Real

import pandas as pd

from haplan.disruptions.timeline import Timeline, make_timeline
from haplan.recovery import node_failure_stages

__all__ = [
    "deployment_rollout",
    "statefulset_rollout",
    "swarm_rollout",
    "resolve_fenceposts",
    "pod_start_s",
    "rollout_budget_min",
    "SWARM_ORDERS",
]

#: Docker Swarm ``update_config.order`` values.
SWARM_ORDERS: tuple[str, ...] = ("stop-first", "start-first")

#: The stages of a fresh pod's start, from :func:`haplan.recovery.node_failure_stages`.
_START_STAGES = ("scheduling", "image_pull", "container_start", "readiness")


# -- validation at the edge -------------------------------------------------------------------


def number(name: str, value, valid: str = "must be a finite number >= 0") -> float:
    """A finite number ≥ 0; ValueError naming the parameter, the value and the valid range."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return number


def whole(name: str, value, low: int, high: float, valid: str) -> int:
    """A whole number in [low, high]; ValueError naming the parameter, value and range."""
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if not math.isfinite(number) or number != round(number) or not low <= number <= high:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return int(number)


def at_rate(scenario, at_rps):
    """The scenario, at ``at_rps`` [req/s] if given."""
    if at_rps is None:
        return scenario
    rate = number("at_rps", at_rps, "must be a finite number >= 0 [req/s]")
    return scenario.with_overrides(request_rate_rps=rate)


def pod_start_s(scenario, pod_ready_s=None) -> float:
    """Time from a new pod's creation until it is ready [s].

    Parameters
    ----------
    scenario : haplan.Scenario
        Its ``orchestrator`` (a preset name or a :class:`haplan.recovery.RecoveryPipeline`).
    pod_ready_s : float, optional
        If given, returned as it is (validated: a finite number ≥ 0) [s].

    Returns
    -------
    float
        scheduling + image_pull + container_start + readiness of
        ``haplan.recovery.node_failure_stages(orchestrator, instances_to_move=1)`` [s]: a fresh
        pod on a node **without** the image (the pipeline's ``image_cached``, False in every
        preset, decides), because a rollout's new image version is on no node yet. The
        detection and eviction stages of a node failure do not apply. Stock Kubernetes:
        0.02 + 2 + 2 + 10 = 14.02 s; Docker Swarm (no HEALTHCHECK): 0.02 + 2 + 2 + 0 = 4.02 s.
        Pass ``pod_ready_s`` for a pre-pulled image or a measured start.

    References
    ----------
    .. [1] ``data/orchestrators.csv`` (the presets' stage timings and their sources).
    """
    if pod_ready_s is not None:
        return number("pod_ready_s", pod_ready_s, "must be a finite number >= 0 [s]")
    stages = node_failure_stages(scenario.orchestrator, instances_to_move=1)
    return float(sum(stages[name] for name in _START_STAGES))


# -- Kubernetes maxSurge / maxUnavailable -----------------------------------------------------


def _int_or_percent(name: str, value, replicas: int, round_up: bool, max_percent=None):
    """Kubernetes ``intstr.GetScaledValueFromIntOrPercent``: a count, or "N%" of ``replicas``."""
    valid = 'must be a whole number >= 0 or a percentage such as "25%"'
    if max_percent is not None:
        valid += f" (at most {max_percent}%)"
    if isinstance(value, str):
        text = value.strip()
        digits = text[:-1].strip()
        if not text.endswith("%") or not digits.isdigit():
            raise ValueError(f"{name}={value!r} is not valid: {valid}")
        percent = int(digits)
        if max_percent is not None and percent > max_percent:
            raise ValueError(f"{name}={value!r} is out of range: {valid}")
        scaled = percent * replicas
        return (-(-scaled // 100) if round_up else scaled // 100), percent == 0
    count = whole(name, value, 0, math.inf, valid)
    return count, count == 0


def resolve_fenceposts(max_surge, max_unavailable, replicas) -> tuple[int, int]:
    """A Deployment's maxSurge and maxUnavailable as pod counts, the way Kubernetes resolves them.

    Parameters
    ----------
    max_surge, max_unavailable : int or str
        A count ≥ 0, or a whole percentage of ``replicas`` such as ``"25%"`` (maxUnavailable
        at most ``"100%"``). Both explicitly zero is invalid.
    replicas : int
        The Deployment's ``spec.replicas`` [count], ≥ 1.

    Returns
    -------
    (int, int)
        (surge, unavailable) [count]: a percentage of maxSurge rounds **up**, one of
        maxUnavailable **down** (25 % of 10 replicas: surge 3, unavailable 2); when both resolve
        to 0 (e.g. ``"0%"`` and ``"10%"`` of 4) maxUnavailable becomes 1; maxUnavailable is
        capped at ``replicas``.

    Raises
    ------
    ValueError
        A malformed value, a maxUnavailable above 100 %, or both zero as written (the API
        server refuses it: "may not be 0 when `maxSurge` is 0").

    References
    ----------
    .. [1] Kubernetes documentation, "Deployments: Max Surge, Max Unavailable",
       https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-surge
       ("calculated from the percentage by rounding up" / "by rounding down").
    .. [2] kubernetes/kubernetes, pkg/controller/deployment/util/deployment_util.go
       (``ResolveFenceposts``, ``MaxUnavailable``) and pkg/apis/apps/validation/validation.go
       (``ValidateRollingUpdateDeployment``).
    """
    c = whole("replicas", replicas, 1, math.inf, "must be a whole number >= 1")
    surge, surge_zero = _int_or_percent("max_surge", max_surge, c, round_up=True)
    unavailable, unavailable_zero = _int_or_percent(
        "max_unavailable", max_unavailable, c, round_up=False, max_percent=100
    )
    if surge_zero and unavailable_zero:
        raise ValueError(
            f"max_unavailable={max_unavailable!r} is out of range: may not be 0 when "
            f"max_surge={max_surge!r} is 0 (Kubernetes validation)"
        )
    if surge == 0 and unavailable == 0:
        unavailable = 1  # both rounded to 0: Kubernetes lets one pod go to make progress
    return surge, min(unavailable, c)


# -- shared plumbing --------------------------------------------------------------------------


def _steps_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows (time, ready, pending, stage) → steps; a row equal to the previous one but for its
    time is dropped, and of several rows at one time the last is kept."""
    kept: list[tuple] = []
    for row in rows:
        if kept and kept[-1][0] == row[0]:
            kept[-1] = row
        elif not kept or kept[-1][1:] != row[1:]:
            kept.append(row)
    columns = ["time_s", "instances_ready", "instances_pending", "stage"]
    frame = pd.DataFrame(kept, columns=columns)
    frame["time_s"] = frame["time_s"].astype(float)
    return frame


def finish(event: str, rows, scenario, horizon_s: float, extra: dict) -> Timeline:
    timeline = make_timeline(event, _steps_frame(rows), scenario, horizon_s=horizon_s)
    frame = timeline.frame
    short = frame["instances_ready"].to_numpy() < scenario.instances
    totals = {
        **timeline.totals,
        "dip": max(0, scenario.instances - timeline.totals["fewest_ready"]),
        "time_short_s": float(frame["duration_s"].to_numpy()[short].sum()),
        **extra,
    }
    return replace(timeline, totals=totals)


def fmt_s(seconds: float) -> str:
    if math.isinf(seconds):
        return "never"
    return f"{seconds:,.6g} s"


def plural(count: int, word: str) -> str:
    suffix = "" if count == 1 else ("es" if word.endswith("ch") else "s")
    return f"{count} {word}{suffix}"


def rate_text(scenario) -> str:
    rate = float(scenario.request_rate_rps)
    return f"{rate:,.0f}" if rate == round(rate) or rate >= 100 else f"{rate:,.3g}"


def rollout_budget_min(timeline: Timeline) -> float:
    """The SLO error budget one rollout (or drain) spends [min].

    The time its Timeline spends below the SLO target (``totals["budget_spent_min"]``,
    :func:`haplan.disruptions.timeline.summarize`); ``totals["budget_share_30d"]`` is its share
    of the 30-day budget of ``target_availability``. A blocked rollout's figure covers only the
    time until it stuck, and the shortfall lasts for ever after.
    """
    return float(timeline.totals["budget_spent_min"])


# -- Kubernetes Deployment --------------------------------------------------------------------


def deployment_rollout(
    scenario,
    *,
    max_surge="25%",
    max_unavailable="25%",
    min_ready_s=0.0,
    pod_ready_s=None,
    at_rps=None,
) -> Timeline:
    """A Deployment's RollingUpdate of its C = ``scenario.instances`` replicas, wave by wave.

    Parameters
    ----------
    scenario : haplan.Scenario
        C = ``instances``; room for the surge: ``nodes × max_instances_per_node`` pods; the
        load, balancer and targets the timeline is judged against.
    max_surge, max_unavailable : int or str
        ``spec.strategy.rollingUpdate``: a count or a percentage of C such as ``"25%"``
        (defaults 25 % and 25 %, Kubernetes' own); see :func:`resolve_fenceposts`.
    min_ready_s : float
        ``spec.minReadySeconds`` [s], ≥ 0: a ready pod counts as available (for the controller)
        this long after it became ready.
    pod_ready_s : float, optional
        Creation → ready of a new pod [s]; default :func:`pod_start_s` (with image pull).
    at_rps : float, optional
        Request rate to judge the rollout at [req/s]; default the scenario's.

    Returns
    -------
    Timeline
        Steps of ``instances_ready`` (pods that serve: the old ones not yet scaled down and
        the new ones that are ready) and ``instances_pending`` (new pods without room). Besides
        :func:`~haplan.disruptions.timeline.summarize`'s totals: ``rollout_s`` [s] (until
        every new pod is available and no old pod is left; inf when blocked), ``waves``
        [count] (moments new pods are created), ``dip`` [count] (C − fewest ready),
        ``time_short_s`` [s] (fewer than C ready), ``max_surge``, ``max_unavailable`` [count],
        ``pod_ready_s`` [s], ``blocked`` and ``blocked_reason``.

    Notes
    -----
    Event-driven, as the controller's ``rolloutRolling`` runs after every pod change, until
    nothing changes at that instant:

    * scale up: new replicas += min(C + surge − (old + new replicas), C − new replicas);
    * scale down: old replicas −= min(old, old + new − (C − unavailable) − (new not yet
      available)).

    A new pod is scheduled when the cluster has a free slot (``nodes ×
    max_instances_per_node``, all old and new pods counted), ready ``pod_ready_s`` later and
    available ``min_ready_s`` after that; a Service sends it traffic from ready on, so during
    ``minReadySeconds`` more than C pods may serve. With 4 replicas and pods ready in P:
    25 %/25 % (surge 1, unavailable 1) takes 2 waves, 2P, dipping to 3; 1/0 takes 4P, no
    dip; 0/1 takes 4P dipping to 3; 100 %/0 one wave, P, no dip. A rollout whose surge pods
    never find room and that may not lose a pod (maxUnavailable 0) never finishes: reported
    as ``blocked``, not raised. ``progressDeadlineSeconds`` only marks a stuck rollout as
    failed, so it is not modelled; neither are pods that crash or fail their probes.

    References
    ----------
    .. [1] Kubernetes documentation, "Deployments: Rolling Update Deployment" and "Max
       Surge, Max Unavailable",
       https://kubernetes.io/docs/concepts/workloads/controllers/deployment/ .
    .. [2] kubernetes/kubernetes, pkg/controller/deployment/rolling.go
       (``reconcileNewReplicaSet``, ``reconcileOldReplicaSets``) and
       pkg/controller/deployment/util/deployment_util.go (``NewRSNewReplicas``).
    """
    scenario = at_rate(scenario, at_rps)
    c = scenario.instances
    surge, unavailable = resolve_fenceposts(max_surge, max_unavailable, c)
    min_ready = number("min_ready_s", min_ready_s, "must be a finite number >= 0 [s]")
    ready_s = pod_start_s(scenario, pod_ready_s)
    slots = scenario.nodes * scenario.max_instances_per_node  # may be inf

    old = c
    new_total = 0  # the new ReplicaSet's spec.replicas
    unscheduled = 0  # new pods waiting for a slot
    ready_at: list[float] = []  # new pods scheduled: when each is ready
    available_at: list[float] = []
    events: list[float] = []  # future times something changes
    waves: list[float] = []
    rows: list[tuple] = []
    t = 0.0
    while True:
        changed = True
        while changed:
            changed = False
            up = min(c + surge - (old + new_total), c - new_total)
            if up > 0:
                new_total += up
                unscheduled += up
                if not waves or waves[-1] != t:
                    waves.append(t)
                changed = True
            new_available = sum(1 for a in available_at if a <= t)
            down = min(old, old + new_total - (c - unavailable) - (new_total - new_available))
            if down > 0:
                old -= down
                changed = True
            free = slots - (old + len(ready_at))
            place = int(min(unscheduled, max(free, 0)))
            if place > 0:
                unscheduled -= place
                for _ in range(place):
                    ready_at.append(t + ready_s)
                    available_at.append(t + ready_s + min_ready)
                    heapq.heappush(events, t + ready_s)
                    heapq.heappush(events, t + ready_s + min_ready)
                changed = True
        serving = old + sum(1 for r in ready_at if r <= t)
        done = old == 0 and new_total == c and all(a <= t for a in available_at)
        stage = "" if done else f"wave {len(waves)}"
        rows.append((t, serving, unscheduled, stage))
        while events and events[0] <= t:
            heapq.heappop(events)
        if done or not events:
            break
        t = heapq.heappop(events)

    extra = {
        "rollout_s": t if done else math.inf,
        "waves": len(waves),
        "max_surge": surge,
        "max_unavailable": unavailable,
        "pod_ready_s": ready_s,
        "blocked": not done,
        "blocked_reason": "",
    }
    head = (
        f"rolling update of a Deployment of {c} replicas (maxSurge {surge}, maxUnavailable "
        f"{unavailable}, pods ready {ready_s:g} s after creation"
        + (f", minReadySeconds {min_ready:g}" if min_ready else "")
        + f") at {rate_text(scenario)} req/s"
    )
    if done:
        event = f"{head}: {plural(len(waves), 'wave')}, done in {fmt_s(t)}"
    else:
        reason = (
            f"{plural(unscheduled, 'new pod')} {'finds' if unscheduled == 1 else 'find'} "
            f"no room (max_instances_per_node "
            f"{scenario.max_instances_per_node:g} on {scenario.nodes} nodes) and maxUnavailable "
            f"{unavailable} lets no old pod go: the rollout never finishes"
        )
        extra["blocked_reason"] = reason
        event = f"{head}: {reason}"
    return finish(event, rows, scenario, t, extra)


# -- Kubernetes StatefulSet -------------------------------------------------------------------


def statefulset_rollout(scenario, *, pod_ready_s=None, partition=0, at_rps=None) -> Timeline:
    """A StatefulSet's RollingUpdate: one pod at a time, from the highest ordinal down.

    Parameters
    ----------
    scenario : haplan.Scenario
        C = ``instances`` pods, ordinals 0 … C − 1; load and targets.
    pod_ready_s : float, optional
        Deletion → the recreated pod Running and Ready [s]; default :func:`pod_start_s`.
    partition : int
        ``updateStrategy.rollingUpdate.partition`` [count], 0 ≤ partition ≤ C: only ordinals
        ≥ partition are updated.
    at_rps : float, optional
        Request rate to judge the rollout at [req/s]; default the scenario's.

    Returns
    -------
    Timeline
        C − 1 ready for (C − partition) × ``pod_ready_s``, stage ``"pod i"`` while ordinal i
        restarts, then C. Totals as :func:`deployment_rollout` (``waves`` = pods updated,
        ``rollout_s`` = waves × ``pod_ready_s``).

    Notes
    -----
    The controller deletes the highest ordinal whose revision is old, waits until its
    replacement (same name, same volumes) is Running and Ready, then moves to the next; a
    StatefulSet has no surge. ``minReadySeconds`` does not hold the update back (the
    controller checks Running and Ready only); the ``maxUnavailable`` of the
    MaxUnavailableStatefulSet feature gate (alpha) is not modelled.

    References
    ----------
    .. [1] Kubernetes documentation, "StatefulSets: Rolling Updates" and "Partitioned rolling
       updates", https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ .
    .. [2] kubernetes/kubernetes, pkg/controller/statefulset/stateful_set_control.go
       (``updateStatefulSet``: "we terminate the Pod with the largest ordinal that does not
       match the update revision"; "wait for unhealthy Pods on update").
    """
    scenario = at_rate(scenario, at_rps)
    c = scenario.instances
    ready_s = pod_start_s(scenario, pod_ready_s)
    first = whole("partition", partition, 0, c, f"must be a whole number in [0, {c}]")
    ordinals = list(range(c - 1, first - 1, -1))
    rows = [(i * ready_s, c - 1, 0, f"pod {ordinal}") for i, ordinal in enumerate(ordinals)]
    end = len(ordinals) * ready_s
    rows.append((end, c, 0, ""))
    extra = {
        "rollout_s": end,
        "waves": len(ordinals),
        "pod_ready_s": ready_s,
        "blocked": False,
        "blocked_reason": "",
    }
    event = (
        f"rolling update of a StatefulSet of {c} pods (one at a time, ordinal {c - 1} first"
        + (f", partition {first}" if first else "")
        + f"; each ready {ready_s:g} s after deletion) at {rate_text(scenario)} req/s: "
        f"{plural(len(ordinals), 'pod')} updated, done in {fmt_s(end)}"
    )
    return finish(event, rows, scenario, end, extra)


# -- Docker Swarm -----------------------------------------------------------------------------


def swarm_rollout(
    scenario,
    *,
    parallelism=1,
    delay_s=0.0,
    order="stop-first",
    monitor_s=5.0,
    pod_ready_s=None,
    at_rps=None,
) -> Timeline:
    """A Docker Swarm service update (``docker service update``, ``deploy.update_config``).

    Parameters
    ----------
    scenario : haplan.Scenario
        C = ``instances`` tasks; load and targets.
    parallelism : int
        Tasks updated at once [count], ≥ 0; 0 updates them all at once (Docker's default is 1).
    delay_s : float
        ``delay`` [s], ≥ 0: each update worker waits this long after its task is running
        before it takes the next (default 0).
    order : {"stop-first", "start-first"}
        ``stop-first`` (default): the old task is stopped, then the new one started;
        ``start-first``: the new task is started and the old one stopped once it runs.
    monitor_s : float
        ``monitor`` [s], ≥ 0: after the last task the updater watches for failures this long
        before it declares the update complete (default 5 s).
    pod_ready_s : float, optional
        Task created → running [s] (with a HEALTHCHECK, healthy); default :func:`pod_start_s`.
    at_rps : float, optional
        Request rate to judge the rollout at [req/s]; default the scenario's.

    Returns
    -------
    Timeline
        Batches of b = min(parallelism, C) tasks (the last one C mod b when b does not divide
        C), k = ⌈C/b⌉ of them: batch j starts at j × (P + delay). stop-first: C − (tasks of
        the batch) ready while a batch starts (dip b), C during the delays; start-first: C
        throughout (b extra tasks starting: surge, not dip). ``rollout_s`` = k × (P + delay)
        + monitor, the update's completion; full strength at k × P + (k − 1) × delay.

    Notes
    -----
    swarmkit starts ``parallelism`` workers; each takes a slot, replaces its task, waits for
    the new task to reach RUNNING, sleeps ``delay`` and takes the next slot; when all are
    done the updater monitors for ``monitor`` more. With equal task start times the workers
    move in lock-step, hence the batches. ``failure_action`` (pause, continue, rollback) and
    ``max_failure_ratio`` are not modelled: every new task starts. Room for start-first's
    extra tasks (``max_replicas_per_node``) is assumed.

    References
    ----------
    .. [1] Docker documentation, "Compose file deploy reference: update_config"
       (parallelism, delay, failure_action, monitor, max_failure_ratio, order),
       https://docs.docker.com/reference/compose-file/deploy/#update_config , and
       "docker service update" (``--update-parallelism`` default 1, ``--update-delay`` 0,
       ``--update-monitor`` 5s, ``--update-order`` stop-first),
       https://docs.docker.com/reference/cli/docker/service/update/ .
    .. [2] moby/swarmkit, manager/orchestrator/update/updater.go (``Run``, ``worker``,
       ``updateTask``).
    """
    scenario = at_rate(scenario, at_rps)
    c = scenario.instances
    p = whole("parallelism", parallelism, 0, math.inf, "must be a whole number >= 0")
    delay = number("delay_s", delay_s, "must be a finite number >= 0 [s]")
    monitor = number("monitor_s", monitor_s, "must be a finite number >= 0 [s]")
    if order not in SWARM_ORDERS:
        raise ValueError(f"order={order!r} is not valid: must be one of {', '.join(SWARM_ORDERS)}")
    ready_s = pod_start_s(scenario, pod_ready_s)
    batch = c if p == 0 else min(p, c)
    batches = math.ceil(c / batch)
    period = ready_s + delay
    rows = []
    for j in range(batches):
        size = min(batch, c - j * batch)
        start = j * period
        down = size if order == "stop-first" else 0
        rows.append((start, c - down, 0, f"batch {j + 1}"))
        if delay:
            rows.append((start + ready_s, c, 0, "delay"))
    last_ready = batches * ready_s + (batches - 1) * delay
    end = batches * period + monitor
    if not delay:
        rows.append((last_ready, c, 0, ""))
    if monitor:
        rows.append((batches * period, c, 0, "monitor"))
    rows.append((end, c, 0, ""))
    extra = {
        "rollout_s": end,
        "waves": batches,
        "pod_ready_s": ready_s,
        "parallelism": batch,
        "blocked": False,
        "blocked_reason": "",
    }
    event = (
        f"Docker Swarm update of {c} tasks ({order}, parallelism {p}, delay {delay:g} s, "
        f"monitor {monitor:g} s; tasks running {ready_s:g} s after creation) at "
        f"{rate_text(scenario)} req/s: {plural(batches, 'batch')}, done in {fmt_s(end)}"
    )
    return finish(event, rows, scenario, end, extra)
