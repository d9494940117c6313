"""Stage timings after a node failure and after a container crash, and the instances moved.

node failure (the node's instances move to other nodes)
    detection → eviction → scheduling → image pull → container start → readiness
container crash (the instance restarts, in place or as a new task)
    restart delay (back-off) → [scheduling → image pull] → container start → readiness
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from haplan._numeric import check_range, restore
from haplan.recovery.pipeline import RecoveryPipeline
from haplan.recovery.presets import resolve_preset

__all__ = [
    "instances_to_move",
    "restart_delay_s",
    "node_failure_stages",
    "node_failure_recovery_s",
    "container_crash_stages",
    "container_crash_recovery_s",
    "stages_table",
]


# -- instances a node failure moves ----------------------------------------------------------


def instances_to_move(nodes, instances):
    r"""Instances a node failure moves to other nodes: those of the most loaded node, ⌈C/N⌉.

    The one statement of this rule; the recovery time a scenario quotes for a node failure
    (``recovery_node_failure_s``, the report's stage table, the simulator's recovery time) is
    :func:`node_failure_recovery_s` for this many instances.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C of the service [count], a whole number ≥ 1.

    Returns
    -------
    numeric
        :math:`\lceil C/N \rceil` [count], ≥ 1, a whole number stored as float; same kind as
        the inputs (a Python float for scalars: use ``int(...)`` where an int is needed).

    Notes
    -----
    A spreading scheduler puts ⌈C/N⌉ or ⌊C/N⌋ instances on every node
    (:func:`haplan.availability.instances_per_node`); the node that fails is taken to be a most
    loaded one, so its ⌈C/N⌉ instances must all be started elsewhere before the last of them
    is ready (exact when N divides C, as with C = N × R, and the worst case otherwise) [1]_.
    C/N is a correctly rounded division of whole numbers below 2⁵³, so its ceiling is exact.

    References
    ----------
    .. [1] Kubernetes documentation, "Pod Topology Spread Constraints",
       https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/ ;
       Docker documentation, "Deploy services to a swarm" (``spread`` placement preference),
       https://docs.docker.com/engine/swarm/services/ .
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    return restore(np.ceil(c / n), nodes, instances)


# -- stage timings --------------------------------------------------------------------------


def _capped_geometric(first_s, factor, cap_s, index):
    """first × factor**(index − 1), capped; 0 where index == 0 (overflow runs into the cap)."""
    index = np.asarray(index, dtype=float)
    if first_s == 0.0:
        return np.zeros(index.shape)
    with np.errstate(over="ignore"):
        grown = first_s * np.power(factor, np.maximum(index - 1, 0.0))
    return np.where(index == 0, 0.0, np.minimum(grown, cap_s))


def _crash_plan(p: RecoveryPipeline, crashes: np.ndarray):
    """Return (delay [s], rescheduled [bool]) of the restart after the ``crashes``-th crash."""
    if math.isinf(p.restart_attempts):
        index = crashes - 1 if p.restart_first_immediate else crashes
        delay = _capped_geometric(
            p.restart_delay_s, p.restart_backoff_factor, p.restart_max_delay_s, index
        )
        return delay, np.zeros(crashes.shape, dtype=bool)
    if p.restart_exhausted == "stop":  # Swarm: after max_attempts the task stays down
        index = crashes - 1 if p.restart_first_immediate else crashes
        delay = _capped_geometric(
            p.restart_delay_s, p.restart_backoff_factor, p.restart_max_delay_s, index
        )
        return np.where(crashes > p.restart_attempts, np.inf, delay), np.zeros(
            crashes.shape, dtype=bool
        )
    cycle = p.restart_attempts + 1  # attempts restarts in place, then one reschedule
    position = np.mod(crashes - 1, cycle) + 1
    rescheduled = position > p.restart_attempts
    in_place_index = position - 1 if p.restart_first_immediate else position
    in_place = _capped_geometric(
        p.restart_delay_s,
        p.restart_backoff_factor,
        p.restart_max_delay_s,
        np.where(rescheduled, 1, in_place_index),
    )
    reschedule_index = np.floor((crashes - 1) / cycle) + 1
    moved = _capped_geometric(
        p.reschedule_delay_s,
        p.reschedule_backoff_factor,
        p.reschedule_max_delay_s,
        reschedule_index,
    )
    return np.where(rescheduled, moved, in_place), rescheduled


def restart_delay_s(preset, crash_count=1):
    r"""Delay between a container's crash and its restart [s], by consecutive crash number.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        Preset name (see :func:`preset_names`) or a pipeline.
    crash_count : numeric
        Which consecutive crash this is [count], a whole number ≥ 1 (crashes since the
        back-off last reset: 10 min of clean running on Kubernetes, the 30 min restart interval
        on Nomad).

    Returns
    -------
    numeric
        The delay [s]; same kind as ``crash_count``.

    Notes
    -----
    Kubernetes restarts the first crash at once, then waits 10, 20, 40, … s, capped at 300 s:
    :math:`d_c = \min(10 \cdot 2^{c-2}, 300)` for :math:`c \ge 2`. Swarm waits its restart
    delay (5 s) every time. Nomad restarts in place after 15 s twice, then fails the
    allocation and reschedules it elsewhere after 30 s, 60 s, … (capped at 3600 s), the new
    allocation again getting two restarts in place.

    References
    ----------
    .. [1] Kubernetes documentation, "Pod Lifecycle: container restarts"; M. Lukša,
       *Kubernetes in Action*, 2nd ed., section 6.2.1.
    .. [2] moby/swarmkit, api/defaults/service.go (restart delay 5 s).
    .. [3] hashicorp/nomad, nomad/structs/structs.go (restart and reschedule policies).
    """
    p = resolve_preset(preset)
    crashes = check_range("crash_count", crash_count, low=1, integer=True)
    delay, _ = _crash_plan(p, crashes)
    return restore(delay, crash_count)


def _stage_result(stages: dict[str, np.ndarray], shape, inputs) -> dict:
    return {
        name: restore(np.broadcast_to(np.asarray(value, dtype=float), shape).copy(), *inputs)
        for name, value in stages.items()
    }


def _node_failure_arrays(p: RecoveryPipeline, moved: np.ndarray, failed: np.ndarray):
    pull = p.image_pull_per_instance_s
    return {
        "detection": p.detection_time_s,
        # Nodes are tainted one at once, then one per 1/rate s: the last of `failed` waits.
        "eviction": p.eviction_s + (failed - 1) / p.eviction_rate_nodes_per_s,
        "scheduling": moved / p.scheduling_rate_per_s,
        # One pull per moved instance (each lands on a different node), sharing the registry.
        "image_pull": moved * pull,
        "container_start": p.container_start_s,
        "readiness": p.readiness_time_s,
    }


def node_failure_stages(preset, instances_to_move=1, failed_nodes=1) -> dict:
    r"""Duration of each stage of recovery from a node failure [s], in pipeline order.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        Preset name (see :func:`preset_names`) or a pipeline.
    instances_to_move : numeric
        Instances that ran on the failed node(s) and must start elsewhere [count], ≥ 1.
    failed_nodes : numeric
        Nodes that failed at the same moment [count], ≥ 1; matters only where evictions are
        rate-limited (Kubernetes: one node at once, then one per 10 s).

    Returns
    -------
    dict
        ``{stage: seconds}`` with the keys of :data:`NODE_FAILURE_STAGES` in order; each
        value has the kind of the numeric inputs. ``pandas.Series(result)`` plots directly.

    Notes
    -----
    For the last moved instance:

    * detection = down_after − heartbeat_interval / 2 + monitor_period / 2 (mean from failure);
    * eviction = toleration (or reschedule delay) + (failed_nodes − 1) / eviction_rate;
    * scheduling = instances_to_move / scheduling_rate;
    * image_pull = instances_to_move × image_size / registry_bandwidth (0 if cached);
    * container_start; readiness = initial_delay + period × success_threshold.

    Stock Kubernetes 1.32+: 50 − 5 + 2.5 = 47.5 s to detect, then the 300 s toleration.
    A replacement pod is created as soon as the old one is marked for deletion (a
    ReplicaSet does not count terminating pods); StatefulSet pods wait for the node instead.

    References
    ----------
    .. [1] Kubernetes documentation, "Taints and Tolerations" and "Nodes: node heartbeats";
       kube-controller-manager and kube-apiserver command-line references.
    .. [2] moby/swarmkit, manager/dispatcher/dispatcher.go (heartbeat period and grace).
    .. [3] hashicorp/nomad, nomad/heartbeat.go and the ``reschedule`` block documentation.
    """
    p = resolve_preset(preset)
    moved = check_range("instances_to_move", instances_to_move, low=1, integer=True)
    failed = check_range("failed_nodes", failed_nodes, low=1, integer=True)
    shape = np.broadcast_shapes(moved.shape, failed.shape)
    stages = _node_failure_arrays(p, moved, failed)
    return _stage_result(stages, shape, (instances_to_move, failed_nodes))


def node_failure_recovery_s(preset, instances_to_move=1, failed_nodes=1):
    """Time from a node failure until the last of its instances is ready elsewhere [s].

    The sum of :func:`node_failure_stages` (see it for parameters, formulas and sources).

    Returns
    -------
    numeric
        Recovery time [s]; same kind as the numeric inputs.
    """
    p = resolve_preset(preset)
    moved = check_range("instances_to_move", instances_to_move, low=1, integer=True)
    failed = check_range("failed_nodes", failed_nodes, low=1, integer=True)
    total = sum(_node_failure_arrays(p, moved, failed).values())
    shape = np.broadcast_shapes(moved.shape, failed.shape)
    return restore(np.broadcast_to(total, shape).copy(), instances_to_move, failed_nodes)


def _container_crash_arrays(p: RecoveryPipeline, crashes: np.ndarray):
    delay, rescheduled = _crash_plan(p, crashes)
    new_task = np.logical_or(rescheduled, p.crash_replaces_task)
    return {
        "restart_delay": delay,
        "scheduling": np.where(new_task, 1.0 / p.scheduling_rate_per_s, 0.0),
        # A rescheduled allocation goes to another node (Nomad prefers a new one); a Swarm
        # replacement task is assumed to land where the image is (the spread puts it back on
        # the node that lost a task).
        "image_pull": np.where(rescheduled, p.image_pull_per_instance_s, 0.0),
        "container_start": p.container_start_s,
        "readiness": p.readiness_time_s,
    }


def container_crash_stages(preset, crash_count=1) -> dict:
    """Duration of each stage of recovery from a container crash [s], in pipeline order.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        Preset name (see :func:`preset_names`) or a pipeline.
    crash_count : numeric
        Which consecutive crash this is [count], ≥ 1 (see :func:`restart_delay_s`).

    Returns
    -------
    dict
        ``{stage: seconds}`` with the keys of :data:`CONTAINER_CRASH_STAGES` in order; each
        value has the kind of ``crash_count``.

    Notes
    -----
    restart_delay is :func:`restart_delay_s`; scheduling (one instance) applies when the
    crash creates a new task (Swarm) or the allocation is rescheduled (Nomad, after its
    restart attempts); image_pull only when the instance moves to another node; then
    container_start and readiness as for a node failure. A crashed process is noticed at
    once (the container exits); a hung one found by a liveness probe takes a further
    ``periodSeconds × failureThreshold`` (30 s on Kubernetes defaults), not included here.

    References
    ----------
    .. [1] Kubernetes documentation, "Pod Lifecycle: container restarts".
    .. [2] moby/swarmkit, manager/orchestrator/restart/restart.go.
    .. [3] Nomad documentation, ``restart`` and ``reschedule`` blocks.
    """
    p = resolve_preset(preset)
    crashes = check_range("crash_count", crash_count, low=1, integer=True)
    return _stage_result(_container_crash_arrays(p, crashes), crashes.shape, (crash_count,))


def container_crash_recovery_s(preset, crash_count=1):
    """Time from a container crash until the instance is ready again [s].

    The sum of :func:`container_crash_stages` (see it for parameters, formulas and sources).

    Returns
    -------
    numeric
        Recovery time [s]; same kind as ``crash_count``.
    """
    p = resolve_preset(preset)
    crashes = check_range("crash_count", crash_count, low=1, integer=True)
    total = sum(_container_crash_arrays(p, crashes).values())
    return restore(np.broadcast_to(total, crashes.shape).copy(), crash_count)


def stages_table(preset, instances_to_move=1, crash_count=1, failed_nodes=1) -> pd.DataFrame:
    """Both pipelines' stages for one scenario, as a tidy table for reports and plots.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        Preset name or pipeline.
    instances_to_move, crash_count, failed_nodes : int
        Single values (see :func:`node_failure_stages` and :func:`container_crash_stages`).

    Returns
    -------
    pandas.DataFrame
        Columns ``orchestrator, event, stage, seconds``; ``event`` is ``node_failure`` or
        ``container_crash``; the rows of each event add up to its recovery time [s].
    """
    for name, value in (
        ("instances_to_move", instances_to_move),
        ("crash_count", crash_count),
        ("failed_nodes", failed_nodes),
    ):
        if np.ndim(value) != 0:
            raise ValueError(f"{name}={value!r} is not valid: stages_table takes one value")
    p = resolve_preset(preset)
    rows = []
    node = node_failure_stages(p, instances_to_move, failed_nodes)
    rows += [(p.name, "node_failure", stage, seconds) for stage, seconds in node.items()]
    crash = container_crash_stages(p, crash_count)
    rows += [(p.name, "container_crash", stage, seconds) for stage, seconds in crash.items()]
    return pd.DataFrame(rows, columns=["orchestrator", "event", "stage", "seconds"])
