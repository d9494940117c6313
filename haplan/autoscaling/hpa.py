"""The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) control loop on a load profile.

:func:`simulate_hpa` replays a request-rate profile through the HPA controller of
kube-controller-manager with one CPU ``Resource`` metric (``target.averageUtilization``) and
the ``behavior`` field, and records the replicas it creates, the replicas that are ready, and
what the load sees: utilisation, p99 through the scenario's balancer, and whether the
scenario's SLO targets hold.

The controller, every ``sync_s`` (``--horizontal-pod-autoscaler-sync-period``, 15 s):

1. **Metric.** CPU utilisation of the ready pods, as a whole percentage of their request
   (the controller truncates it): a pod serving r req/s at capacity μ uses r/μ of its
   request, and the balancer spreads the rate evenly, so utilisation = rate / (ready × μ).
2. **Recommendation.** ratio = utilisation / target. Inside the tolerance
   (1 − tolerance ≤ ratio ≤ 1 + tolerance) the recommendation is the current scale;
   otherwise ``ceil(ratio × ready)``. On a scale-up (ratio > 1) with pods that are not ready
   yet, those pods count as using 0 % of their request: the ratio is recomputed over all
   pods, and the controller does not scale when the new ratio is inside the tolerance or
   points the other way. On a scale-down, not-ready pods are left out.
3. **Stabilisation.** The recommendation is stored; the scale moves up to at least the
   lowest recommendation of the scale-up window and down to at most the highest
   recommendation of the scale-down window (default 0 s and 300 s).
4. **Rate limits and bounds.** The scaling policies limit the change from the scale at the
   start of each policy's period (default up: +100 % or +4 pods per 15 s, whichever is more;
   down: −100 % per 15 s); ``maxReplicas`` caps a scale-up and ``minReplicas`` floors a
   scale-down; a scale outside [min, max] is brought to the bound without a metric.

Conventions of the model
------------------------
* A pod the HPA creates is ready ``pod_ready_s`` later (default
  :func:`haplan.disruptions.pod_start_s`: scheduling, image pull, container start and
  readiness of one fresh pod); a pod beyond ``node_room`` waits ``node_provision_s`` first
  for a node from the cluster autoscaler. A pod removed on a scale-down stops serving at
  once; not-ready pods are removed first, then the most recently ready (the ReplicaSet's
  deletion order).
* The metric is the instantaneous utilisation at the sync: the metrics pipeline's scrape
  lag and averaging window, and ``--horizontal-pod-autoscaler-cpu-initialization-period`` /
  ``initial-readiness-delay`` (which may keep a just-ready pod's sample out for one metric
  window), are not modelled: a pod's CPU counts from the moment it is ready.
* Utilisation is not capped by a CPU limit: an overloaded pod reports r/μ > 100 %.
* The controller starts with the profile: no recommendations and no scale events before it.
* At one instant, pods becoming ready and the rate changing come before the sync.
* Nodes the cluster autoscaler adds for pods beyond ``node_room`` are not remembered: every
  pod beyond the room waits ``node_provision_s`` (pessimistic once the new nodes exist);
  ``node_provision_s`` = inf stands for no cluster autoscaler: such a pod stays pending.

Failures under autoscaling
--------------------------
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

References
----------
.. [1] Kubernetes documentation, "Horizontal Pod Autoscaling": algorithm details,
   tolerance, not-ready pods, stabilisation window, scaling policies, default behaviour.
   https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/
.. [2] Kubernetes API reference, HorizontalPodAutoscaler (autoscaling/v2):
   ``HPAScalingRules`` (stabilizationWindowSeconds ≤ 3600, selectPolicy Max/Min/Disabled)
   and ``HPAScalingPolicy`` (type Pods/Percent, value > 0, 0 < periodSeconds ≤ 1800).
.. [3] kube-controller-manager flags: ``--horizontal-pod-autoscaler-sync-period`` (15 s),
   ``--horizontal-pod-autoscaler-tolerance`` (0.1),
   ``--horizontal-pod-autoscaler-downscale-stabilization`` (5 m).
.. [4] kubernetes/kubernetes ``pkg/controller/podautoscaler`` (``horizontal.go``:
   stabilisation and ``calculateScale{Up,Down}Limit``; ``replica_calculator.go``:
   ``GetResourceReplicas``), the reading behind the details above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd

from haplan import balancing, load
from haplan.availability import instances_per_node
from haplan.disruptions import pod_start_s
from haplan.recovery import node_failure_stages

__all__ = [
    "HpaResult",
    "simulate_hpa",
    "default_scale_up",
    "default_scale_down",
    "HPA_COLUMNS",
    "POLICY_TYPES",
    "SELECT_POLICIES",
    "FAILURE_EVENTS",
    "hpa_settings",
]

#: ``HPAScalingPolicy.type`` values.
POLICY_TYPES: tuple[str, ...] = ("Pods", "Percent")
#: ``HPAScalingRules.selectPolicy`` values.
SELECT_POLICIES: tuple[str, ...] = ("Max", "Min", "Disabled")
#: ``failure["event"]`` values of :func:`simulate_hpa`.
FAILURE_EVENTS: tuple[str, ...] = ("nodes", "zone")
#: The columns of :attr:`HpaResult.frame`.
HPA_COLUMNS: tuple[str, ...] = (
    "time_s",
    "duration_s",
    "rps",
    "desired_replicas",
    "replicas",
    "ready_replicas",
    "utilization",
    "p99_response_ms",
    "meets_targets",
)

_RULE_KEYS = ("stabilization_window_s", "policies", "select_policy")
_FAILURE_KEYS = ("at_s", "event", "count", "zone")
_START_STAGES = ("scheduling", "image_pull", "container_start", "readiness")
_MAX_WINDOW_S = 3600.0  # HPAScalingRules.stabilizationWindowSeconds ≤ 3600
_MAX_PERIOD_S = 1800.0  # HPAScalingPolicy.periodSeconds ≤ 1800
_EPS = 1e-9  # time comparisons [s] and the utilisation percentage's truncation


def default_scale_up() -> dict:
    """The default ``behavior.scaleUp``: no stabilisation; +100 % or +4 pods per 15 s, Max.

    Returns
    -------
    dict
        ``stabilization_window_s`` 0.0 [s], ``policies`` [("Pods", 4, 15.0),
        ("Percent", 100, 15.0)] (type, value, period [s]), ``select_policy`` "Max".

    References
    ----------
    .. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", *Default Behavior*.
    """
    return {
        "stabilization_window_s": 0.0,
        "policies": [("Pods", 4, 15.0), ("Percent", 100, 15.0)],
        "select_policy": "Max",
    }


def default_scale_down() -> dict:
    """The default ``behavior.scaleDown``: a 300 s window; −100 % per 15 s, Max.

    Returns
    -------
    dict
        ``stabilization_window_s`` 300.0 [s] (kube-controller-manager's
        ``--horizontal-pod-autoscaler-downscale-stabilization``), ``policies``
        [("Percent", 100, 15.0)], ``select_policy`` "Max".

    References
    ----------
    .. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", *Default Behavior*.
    """
    return {
        "stabilization_window_s": 300.0,
        "policies": [("Percent", 100, 15.0)],
        "select_policy": "Max",
    }


@dataclass(frozen=True)
class HpaResult:
    """The HPA's trajectory over a load profile and its totals.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per instant something may change (a sync, a rate change, a pod becoming
        ready), each holding until the next row (the last one until the horizon):
        ``time_s`` [s] (the profile's clock), ``duration_s`` [s], ``rps`` [req/s],
        ``desired_replicas`` [count] (the metric's recommendation at the latest sync, before
        stabilisation, policies and bounds), ``replicas`` [count] (the scale the HPA set:
        pods created), ``ready_replicas`` [count], ``utilization`` (rps / (ready ×
        capacity); inf with no ready pod), ``p99_response_ms`` [ms] (inf when overloaded),
        ``meets_targets`` (ready ≥ max(``min_instances``, instances needed at
        ``max_utilization``) and p99 ≤ ``target_p99_ms`` if set).
    totals : dict
        ``duration_s`` [s]; ``time_short_s`` [s] and ``short_share`` (ready below
        max(``min_instances``, instances needed)); ``time_below_target_s`` [s] and
        ``below_target_share`` (``meets_targets`` false); ``worst_p99_ms`` [ms];
        ``mean_replicas`` and ``mean_ready_replicas`` (time-weighted) and ``max_replicas``
        [count]; ``instance_hours`` [h] (created pods × time); ``scaling_events``,
        ``scale_ups`` and ``scale_downs`` [count] (syncs that changed the scale).
    settings : dict
        The resolved inputs: replica bounds, target, sync period, tolerance, both scaling
        rules, ``pod_ready_s``, ``node_room``, ``node_provision_s``, ``initial_replicas``,
        ``horizon_s``, and ``failure`` (None, or the failure and what it did: ``at_s``,
        ``event``, ``count``, ``zone``, ``failed_nodes`` [count], ``node_room_after``,
        ``lost`` [pods], ``stages`` (detection and eviction [s]), ``replaced_at_s`` [s]
        (the replacements' creation), ``placed`` and ``pending`` [pods] (in the room left,
        beyond it), ``placed_ready_at_s`` and ``pending_ready_at_s`` [s] (inf: never; NaN:
        none), ``start_stages`` and ``pending_start_stages`` (scheduling … readiness [s])).
    """

    frame: pd.DataFrame
    totals: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)


# -- validation at the edge -------------------------------------------------------------------


def _real(name: str, value, *, low=0.0, low_open=False, high=math.inf, allow_inf=False, valid):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    bad = math.isnan(number) or (math.isinf(number) and not allow_inf)
    bad = bad or number < low or (low_open and number == low) or number > high
    if bad:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return number


def _whole(name: str, value, *, low: int, high=math.inf, allow_inf=False, valid):
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if math.isinf(number) and allow_inf and number > 0:
        return math.inf
    if not math.isfinite(number) or number != round(number) or not low <= number <= high:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return int(number)


def _rules(name: str, given, default: dict) -> dict:
    """A behaviour direction: ``given`` keys over the defaults, validated."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"{name}={given!r} is not valid: must be a dict with keys {_RULE_KEYS}")
    unknown = [key for key in given if key not in _RULE_KEYS]
    if unknown:
        raise ValueError(
            f"{name} key {unknown[0]!r} is not valid: valid keys are {', '.join(_RULE_KEYS)}"
        )
    rules = {**default, **given}
    window = _real(
        f"{name}['stabilization_window_s']",
        rules["stabilization_window_s"],
        high=_MAX_WINDOW_S,
        valid=f"must be a number of seconds in [0, {_MAX_WINDOW_S:g}]",
    )
    select = rules["select_policy"]
    if select not in SELECT_POLICIES:
        raise ValueError(
            f"{name}['select_policy']={select!r} is not valid: must be one of "
            f"{', '.join(SELECT_POLICIES)}"
        )
    raw = rules["policies"]
    if isinstance(raw, (str, bytes, dict)) or not hasattr(raw, "__iter__"):
        raise ValueError(
            f"{name}['policies']={raw!r} is not valid: must be a list of (type, value, period_s)"
        )
    policies = []
    for i, policy in enumerate(raw):
        where = f"{name}['policies'][{i}]"
        if isinstance(policy, dict):
            unknown = set(policy) - {"type", "value", "period_s"}
            if unknown or len(policy) != 3:
                raise ValueError(
                    f"{where}={policy!r} is not valid: give the keys type, value and period_s"
                )
            policy = (policy["type"], policy["value"], policy["period_s"])
        if isinstance(policy, (str, bytes)) or len(tuple(policy)) != 3:
            raise ValueError(f"{where}={policy!r} is not valid: must be (type, value, period_s)")
        kind, value, period = tuple(policy)
        if kind not in POLICY_TYPES:
            raise ValueError(
                f"{where} type={kind!r} is not valid: must be one of {', '.join(POLICY_TYPES)}"
            )
        value = _whole(
            f"{where} value", value, low=1, valid="must be a whole number >= 1 (pods or percent)"
        )
        period = _real(
            f"{where} period_s",
            period,
            low_open=True,
            high=_MAX_PERIOD_S,
            valid=f"must be a number of seconds in (0, {_MAX_PERIOD_S:g}]",
        )
        policies.append((kind, value, period))
    if not policies and select != "Disabled":
        raise ValueError(
            f"{name}['policies']=[] is not valid: give at least one policy "
            "(or select_policy 'Disabled')"
        )
    return {"stabilization_window_s": window, "policies": policies, "select_policy": select}


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


def _profile(profile, horizon_s):
    """(times [s], rates [req/s], end [s]) of a piecewise-constant rate profile."""
    if not isinstance(profile, pd.Series):
        raise ValueError(
            f"profile of type {type(profile).__name__} is not valid: must be a pandas Series "
            "of request rate [req/s] indexed by time [s]"
        )
    if len(profile) == 0:
        raise ValueError("profile is empty: give at least one (time [s], rate [req/s]) sample")
    try:
        times = np.asarray(profile.index, dtype=float)
        rates = np.asarray(profile.to_numpy(), dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "profile is not valid: its index must be time [s] and its values req/s, numbers"
        ) from error
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ValueError("profile index is out of range: times [s] must be finite and increasing")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        bad = float(rates[~(np.isfinite(rates) & (rates >= 0))][0])
        raise ValueError(f"profile value {bad!r} is out of range: rates must be finite and >= 0")
    if horizon_s is None:
        if len(times) < 2:
            raise ValueError(
                "horizon_s=None is not valid for a one-sample profile: give horizon_s [s]"
            )
        end = float(times[-1] + (times[-1] - times[-2]))
    else:
        end = _real(
            "horizon_s",
            horizon_s,
            low=float(times[0]),
            low_open=True,
            valid=f"must be a finite time [s] > the profile's start ({times[0]:g})",
        )
    return times, rates, end


# -- the controller ---------------------------------------------------------------------------


def _utilization_pct(rate: float, pods: int, capacity: float) -> int:
    """The controller's utilisation: a whole percentage of the request, truncated."""
    exact = 100.0 * rate / (pods * capacity)
    return int(math.floor(exact * (1.0 + _EPS)))


def _recommend(rate, ready, unready, current, capacity, target_pct, tolerance):
    """``GetResourceReplicas``: the metric's replica count, or None with no ready pod."""
    if ready == 0:
        return None  # "did not receive metrics for targeted pods (pods might be unready)"
    ratio = _utilization_pct(rate, ready, capacity) / target_pct

    def within(value):  # inclusive, as the controller's tolerance check
        return 1.0 - tolerance - _EPS <= value <= 1.0 + tolerance + _EPS

    if unready == 0 or ratio <= 1.0:
        if within(ratio):
            return current
        return int(math.ceil(ratio * ready - _EPS))
    # a scale-up with not-ready pods: they count as 0 % of their request
    total = ready + unready
    new_ratio = _utilization_pct(rate, total, capacity) / target_pct
    if within(new_ratio) or new_ratio < 1.0:
        return current
    proposed = int(math.ceil(new_ratio * total - _EPS))
    return current if proposed < current else proposed


def _changed(events, period, now):
    """Replicas changed by the events of the policy's period (strictly after now − period)."""
    return sum(change for time, change in events if time > now - period + _EPS)


def _scale_up_limit(current, now, ups, downs, rules):
    if rules["select_policy"] == "Disabled":
        return current
    pick = min if rules["select_policy"] == "Min" else max
    proposals = []
    for kind, value, period in rules["policies"]:
        start = current - _changed(ups, period, now) + _changed(downs, period, now)
        if kind == "Pods":
            proposals.append(start + value)
        else:
            proposals.append(int(math.ceil(start * (1.0 + value / 100.0) - _EPS)))
    return pick(proposals)


def _scale_down_limit(current, now, ups, downs, rules):
    if rules["select_policy"] == "Disabled":
        return current
    pick = max if rules["select_policy"] == "Min" else min
    proposals = []
    for kind, value, period in rules["policies"]:
        start = current - _changed(ups, period, now) + _changed(downs, period, now)
        if kind == "Pods":
            proposals.append(start - value)
        else:
            proposals.append(int(start * (1.0 - value / 100.0) + _EPS))
    return pick(proposals)


def _normalize(desired, current, now, history, ups, downs, up_rules, down_rules, low, high):
    """Stabilise the recommendation, then limit it by the policies and the bounds."""
    history.append((now, desired))
    up_cut = now - up_rules["stabilization_window_s"]
    down_cut = now - down_rules["stabilization_window_s"]
    up_floor = min([r for t, r in history if t > up_cut + _EPS] + [desired])
    down_ceiling = max([r for t, r in history if t > down_cut + _EPS] + [desired])
    longest = max(up_rules["stabilization_window_s"], down_rules["stabilization_window_s"])
    history[:] = [(t, r) for t, r in history if t > now - longest - 1.0]
    stabilized = min(max(current, up_floor), down_ceiling)
    if stabilized > current:
        limit = max(_scale_up_limit(current, now, ups, downs, up_rules), current)
        return min(stabilized, high, limit)
    if stabilized < current:
        limit = min(_scale_down_limit(current, now, ups, downs, down_rules), current)
        return max(stabilized, low, limit)
    return stabilized


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


# -- the simulation ---------------------------------------------------------------------------


def simulate_hpa(
    scenario,
    profile: pd.Series,
    *,
    min_replicas,
    max_replicas,
    target_utilization=0.7,
    sync_s=15.0,
    tolerance=0.1,
    scale_up=None,
    scale_down=None,
    pod_ready_s=None,
    node_room=None,
    node_provision_s=0.0,
    initial_replicas=None,
    horizon_s=None,
    failure=None,
) -> HpaResult:
    """Replay a request-rate profile through the HorizontalPodAutoscaler's control loop.

    Parameters
    ----------
    scenario : haplan.Scenario
        ``instance_capacity_rps`` (μ [req/s]: a pod at μ req/s uses 100 % of its CPU
        request), ``balancer``, ``min_instances``, ``max_utilization``, ``target_p99_ms``,
        ``orchestrator`` (for the default ``pod_ready_s``), ``nodes`` and
        ``max_instances_per_node`` (for the default ``node_room``) and ``instances`` (for the
        default ``initial_replicas``). Its ``request_rate_rps`` is not used.
    profile : pandas.Series
        Request rate [req/s], ≥ 0, indexed by time [s] (increasing); piecewise constant: each
        rate holds until the next time. Steps may be longer or shorter than ``sync_s``.
    min_replicas, max_replicas : int
        ``spec.minReplicas`` ≥ 1 and ``spec.maxReplicas`` ≥ ``min_replicas`` [count].
    target_utilization : float, default 0.7
        ``target.averageUtilization`` as a fraction of the CPU request, > 0 (0.7 = 70 %;
        Kubernetes takes a whole percentage).
    sync_s : float, default 15.0
        ``--horizontal-pod-autoscaler-sync-period`` [s], > 0.
    tolerance : float, default 0.1
        ``--horizontal-pod-autoscaler-tolerance``, in [0, 1): no scaling while
        1 − tolerance ≤ utilisation / target ≤ 1 + tolerance.
    scale_up, scale_down : dict, optional
        ``behavior.scaleUp`` / ``scaleDown``: ``stabilization_window_s`` [s] in [0, 3600],
        ``policies`` (a list of (type "Pods" | "Percent", value ≥ 1, period_s in (0, 1800])),
        ``select_policy`` ("Max" | "Min" | "Disabled"). Missing keys take the defaults of
        :func:`default_scale_up` / :func:`default_scale_down`.
    pod_ready_s : float, optional
        Time from a pod's creation until it is ready [s], ≥ 0; default
        :func:`haplan.disruptions.pod_start_s` (stock Kubernetes: 14.02 s).
    node_room : int or inf, optional
        The most pods the current nodes hold [count], ≥ 0; default ``scenario.nodes ×
        scenario.max_instances_per_node`` (inf: no limit).
    node_provision_s : float, default 0.0
        Extra wait of a pod beyond ``node_room`` for a new node [s], ≥ 0 (0: the cluster
        autoscaler adds nodes at once); inf: no cluster autoscaler, a pod beyond the room
        stays pending and never becomes ready.
    initial_replicas : int, optional
        Pods running and ready at the profile's start [count], ≥ 1; default
        ``scenario.instances`` brought into [min_replicas, max_replicas]. A value outside
        the bounds is brought to them at the first sync, as the controller does.
    horizon_s : float, optional
        End of the simulation [s] (the profile's clock), > the profile's start; a horizon
        before the profile's last time cuts it. Default the last time plus the last step's
        length (required for a one-sample profile).
    failure : dict, optional
        Nodes lost during the profile while the HPA runs (module docstring, *Failures under
        autoscaling*): ``at_s`` (required) the time [s] in [start, horizon); ``event``
        ``"nodes"`` (default: lose the first ``count`` nodes, 1 ≤ ``count`` ≤
        ``scenario.nodes``, default 1) or ``"zone"`` (lose every node i with i mod
        ``scenario.zones`` = ``zone``, 0 ≤ ``zone`` < zones, default 0). E.g.
        ``{"at_s": 50400.0, "event": "nodes", "count": 1}``. The lost nodes do not come back
        within the profile.

    Returns
    -------
    HpaResult
        The trajectory (``frame``), its ``totals`` and the resolved ``settings``.

    Raises
    ------
    ValueError
        An input out of range, naming the parameter, its value and the valid range.

    Notes
    -----
    The algorithm and the model's conventions are in the module docstring
    (:mod:`haplan.autoscaling.hpa`). Each row is judged in steady state at its ready count
    (p99 of ``scenario.balancer`` with ``ready_replicas`` servers,
    :func:`haplan.balancing.response_time_quantile`): queues built up while overloaded are
    not carried over.

    References
    ----------
    .. [1] Kubernetes documentation, "Horizontal Pod Autoscaling".
       https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/
    .. [2] Kubernetes API reference, HorizontalPodAutoscaler (autoscaling/v2).
    .. [3] kube-controller-manager command-line flags (``--horizontal-pod-autoscaler-*``).
    """
    times, rates, end = _profile(profile, horizon_s)
    low = _whole("min_replicas", min_replicas, low=1, valid="must be a whole number >= 1")
    high = _whole(
        "max_replicas",
        max_replicas,
        low=low,
        valid=f"must be a whole number >= min_replicas ({low})",
    )
    target = _real(
        "target_utilization",
        target_utilization,
        low_open=True,
        valid="must be a finite fraction of the CPU request > 0 (0.7 = 70 %)",
    )
    sync = _real("sync_s", sync_s, low_open=True, valid="must be a finite number of seconds > 0")
    tolerance = _real("tolerance", tolerance, high=1.0 - 1e-12, valid="must be in [0, 1)")
    up_rules = _rules("scale_up", scale_up, default_scale_up())
    down_rules = _rules("scale_down", scale_down, default_scale_down())
    ready_delay = pod_start_s(scenario, pod_ready_s)
    if node_room is None:
        room = float(scenario.nodes) * float(scenario.max_instances_per_node)
    else:
        room = _whole(
            "node_room",
            node_room,
            low=0,
            allow_inf=True,
            valid="must be a whole number >= 0 or inf",
        )
    provision = _real(
        "node_provision_s",
        node_provision_s,
        allow_inf=True,
        valid="must be a number of seconds >= 0, or inf (no cluster autoscaler)",
    )
    if initial_replicas is None:
        initial = min(max(int(scenario.instances), low), high)
    else:
        initial = _whole(
            "initial_replicas", initial_replicas, low=1, valid="must be a whole number >= 1"
        )
    capacity = float(scenario.instance_capacity_rps)
    hit = _failure(failure, scenario, float(times[0]), end)
    target_pct = round(100.0 * target, 9)  # a percentage, without binary noise (0.57 × 100)

    longest_period = max(
        [period for rules in (up_rules, down_rules) for _, _, period in rules["policies"]],
        default=0.0,
    )
    start = float(times[0])
    pods = [start] * initial  # the time each pod is (or will be) ready [s]
    history: list = []  # (time, recommendation)
    ups: list = []  # (time, replicas added)
    downs: list = []  # (time, replicas removed)
    desired = initial
    rows = []
    n_up = n_down = 0
    sync_index = 0
    profile_index = 0
    room_now = room
    lost = 0  # pods of the lost nodes whose replacements are not created yet
    replace_at = None  # when the ReplicaSet creates them [s]
    failure_info = None
    now = start
    while now < end - _EPS:
        while profile_index + 1 < len(times) and times[profile_index + 1] <= now + _EPS:
            profile_index += 1
        rate = float(rates[profile_index])
        if hit is not None and failure_info is None and hit["at_s"] <= now + _EPS:
            failure_info, lost, replace_at, room_now = _lose_nodes(scenario, hit, pods, room)
        if replace_at is not None and replace_at <= now + _EPS:
            _replace(scenario, failure_info, pods, lost, room_now, provision)
            lost, replace_at = 0, None
        next_sync = start + sync_index * sync
        if abs(next_sync - now) <= _EPS:
            sync_index += 1
            current = len(pods) + lost
            ready = sum(1 for t in pods if t <= now + _EPS)
            if current > high or current < low:
                new = high if current > high else low
                desired = new
            else:
                recommendation = _recommend(
                    rate, ready, current - ready, current, capacity, target_pct, tolerance
                )
                desired = current if recommendation is None else recommendation
                new = current
                if recommendation is not None:
                    new = _normalize(
                        recommendation,
                        current,
                        now,
                        history,
                        ups,
                        downs,
                        up_rules,
                        down_rules,
                        low,
                        high,
                    )
            if new > current:
                for _ in range(new - current):
                    wait = provision if len(pods) + 1 > room_now else 0.0
                    pods.append(now + wait + ready_delay)
                ups.append((now, new - current))
                n_up += 1
            elif new < current:
                dropped = min(lost, current - new)  # the lost pods awaiting replacement first
                lost -= dropped
                pods.sort()
                del pods[new - lost :]  # then not-ready pods, then the most recently ready
                downs.append((now, current - new))
                n_down += 1
            for events in (ups, downs):  # only the longest policy period matters
                events[:] = [(t, n) for t, n in events if t > now - longest_period - 1.0]
        ready = sum(1 for t in pods if t <= now + _EPS)
        rows.append((now, rate, desired, len(pods) + lost, ready))
        upcoming = [start + sync_index * sync, end]
        if profile_index + 1 < len(times):
            upcoming.append(float(times[profile_index + 1]))
        if hit is not None and failure_info is None:
            upcoming.append(hit["at_s"])
        if replace_at is not None:
            upcoming.append(replace_at)
        upcoming.extend(t for t in pods if t > now + _EPS)
        now = min(upcoming)

    frame = pd.DataFrame(rows, columns=["time_s", "rps", "desired_replicas", "replicas", "ready"])
    frame = frame.rename(columns={"ready": "ready_replicas"})
    time = frame["time_s"].to_numpy(dtype=float)
    frame.insert(1, "duration_s", np.diff(np.append(time, end)))
    rps = frame["rps"].to_numpy(dtype=float)
    ready = frame["ready_replicas"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        served = np.maximum(ready, 1.0)
        frame["utilization"] = np.where(ready > 0, rps / (served * capacity), np.inf)
        p99 = 1e3 * np.asarray(
            balancing.response_time_quantile(scenario.balancer, 0.99, rps, capacity, served),
            dtype=float,
        )
    overloaded = (ready <= 0) | (rps >= ready * capacity)
    frame["p99_response_ms"] = np.where(overloaded, np.inf, p99)
    needed = np.asarray(load.instances_needed(rps, capacity, scenario.max_utilization), float)
    enough = ready >= np.maximum(float(scenario.min_instances), needed)
    target_p99 = scenario.target_p99_ms
    if target_p99 is None or math.isnan(target_p99):
        p99_ok = np.ones(len(frame), dtype=bool)
    else:
        p99_ok = frame["p99_response_ms"].to_numpy() <= target_p99
    frame["meets_targets"] = enough & p99_ok
    frame = frame[list(HPA_COLUMNS)]

    duration = frame["duration_s"].to_numpy(dtype=float)
    span = float(end - start)
    replicas = frame["replicas"].to_numpy(dtype=float)
    short = float(duration[~enough].sum())
    below = float(duration[~frame["meets_targets"].to_numpy()].sum())
    totals = {
        "duration_s": span,
        "time_short_s": short,
        "short_share": short / span,
        "time_below_target_s": below,
        "below_target_share": below / span,
        "worst_p99_ms": float(frame["p99_response_ms"].max()),
        "mean_replicas": float((replicas * duration).sum() / span),
        "mean_ready_replicas": float((ready * duration).sum() / span),
        "max_replicas": int(replicas.max()),
        "instance_hours": float((replicas * duration).sum() / 3600.0),
        "scaling_events": n_up + n_down,
        "scale_ups": n_up,
        "scale_downs": n_down,
    }
    settings = {
        "min_replicas": low,
        "max_replicas": high,
        "target_utilization": target,
        "sync_s": sync,
        "tolerance": tolerance,
        "scale_up": up_rules,
        "scale_down": down_rules,
        "pod_ready_s": ready_delay,
        "node_room": room,
        "node_provision_s": provision,
        "initial_replicas": initial,
        "horizon_s": end,
        "failure": failure_info,
    }
    return HpaResult(frame.reset_index(drop=True), totals, settings)


def hpa_settings(
    scenario,
    manifest_hpa: dict | None = None,
    *,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    target_utilization: float | None = None,
) -> dict:
    """The HPA settings to simulate: given values, else the manifest's HPA, else defaults.

    Parameters
    ----------
    scenario : haplan.Scenario
        The service; its ``instances`` set the default range.
    manifest_hpa : dict, optional
        ``ManifestInputs.hpa`` (``min_replicas``, ``max_replicas``, ``target_utilization``,
        ``scale_up``, ``scale_down``).
    min_replicas, max_replicas, target_utilization : optional
        Values that win over the manifest's.

    Returns
    -------
    dict
        Keyword arguments of :func:`simulate_hpa`: minReplicas (default 1), maxReplicas
        (default ten times the scenario's instances), target utilisation (default 0.5, below
        the usual ``max_utilization`` of 0.7 so the tolerance and pod start-up leave room),
        and the manifest's scaling rules.
    """
    hpa = dict(manifest_hpa or {})

    def pick(given, key, default):
        return given if given is not None else hpa.get(key, default)

    return {
        "min_replicas": pick(min_replicas, "min_replicas", 1),
        "max_replicas": pick(max_replicas, "max_replicas", max(scenario.instances, 1) * 10),
        "target_utilization": pick(target_utilization, "target_utilization", 0.5),
        "scale_up": hpa.get("scale_up"),
        "scale_down": hpa.get("scale_down"),
    }
