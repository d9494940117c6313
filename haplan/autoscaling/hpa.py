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
``failure`` loses nodes (or a zone) at one instant of the profile while the HPA keeps
running: which pods are lost, the ReplicaSet's replacements, the room left and what the HPA
sees are in :mod:`haplan.autoscaling.hpa_failure`.

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

from dataclasses import dataclass, field

import pandas as pd

from haplan.autoscaling.hpa_failure import FAILURE_EVENTS, _failure, _lose_nodes, _replace
from haplan.autoscaling.hpa_frame import HPA_COLUMNS, _frame_and_totals
from haplan.autoscaling.hpa_rules import (
    _EPS,
    POLICY_TYPES,
    SELECT_POLICIES,
    _normalize,
    _profile,
    _real,
    _recommend,
    _rules,
    _whole,
    default_scale_down,
    default_scale_up,
)
from haplan.disruptions import pod_start_s

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
        Nodes lost during the profile while the HPA runs (the model:
        :mod:`haplan.autoscaling.hpa_failure`): ``at_s`` (required) the time [s] in
        [start, horizon); ``event`` ``"nodes"`` (default: lose the first ``count`` nodes,
        1 ≤ ``count`` ≤ ``scenario.nodes``, default 1) or ``"zone"`` (lose every node i with
        i mod ``scenario.zones`` = ``zone``, 0 ≤ ``zone`` < zones, default 0). E.g.
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

    frame, totals = _frame_and_totals(scenario, rows, start, end, capacity, n_up, n_down)
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
