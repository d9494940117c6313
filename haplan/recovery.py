"""Recovery after failures: the pipeline an orchestrator really runs, with sourced timings.

The article's third mechanism, automatic failure detection and recovery, gives one formula,
T = N/R × S (``haplan.document.recovery_time``). What Kubernetes, Docker Swarm and Nomad do is a
sequence of stages, each with its own default timing:

node failure (the node's instances move to other nodes)
    detection → eviction → scheduling → image pull → container start → readiness
container crash (the instance restarts, in place or as a new task)
    restart delay (back-off) → [scheduling → image pull] → container start → readiness

Every default comes from ``data/orchestrators.csv`` (value, unit and source on every row;
deployment-dependent values such as the image size carry "assumption" as their source). A
preset is a frozen :class:`RecoveryPipeline`; any stage can be overridden with
``preset("kubernetes", eviction_s=30)`` or :func:`dataclasses.replace`.

Conventions
-----------
* Times are means measured from the failure instant [s]. The failure falls at a uniformly
  random moment between two heartbeats and the health check runs periodically, so detection is
  ``down_after − heartbeat_interval / 2 + monitor_period / 2``.
* A node failure's recovery time is the time until the *last* moved instance is ready; stages
  are summed as if sequential (scheduling and image pulls of different instances overlap in
  practice, so the sum is slightly pessimistic when many instances move).

The node-failure recovery time is what :mod:`haplan.service` waits before a failed node's
instances are evicted and restarted on the survivors (where they have room).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan._data import data_path
from haplan._numeric import check_range, restore

__all__ = [
    "PRESETS",
    "NODE_FAILURE_STAGES",
    "CONTAINER_CRASH_STAGES",
    "RecoveryPipeline",
    "orchestrator_defaults",
    "preset_names",
    "preset",
    "restart_delay_s",
    "node_failure_stages",
    "node_failure_recovery_s",
    "container_crash_stages",
    "container_crash_recovery_s",
    "stages_table",
    "effective_repair_h",
    "document_recovery_note",
]

#: Names of the built-in presets; ``kubernetes`` is v1.32 and later.
PRESETS: tuple[str, ...] = ("kubernetes", "kubernetes-1.31", "swarm", "nomad")
#: Stages of a node failure, in order.
NODE_FAILURE_STAGES: tuple[str, ...] = (
    "detection",
    "eviction",
    "scheduling",
    "image_pull",
    "container_start",
    "readiness",
)
#: Stages of a container crash, in order.
CONTAINER_CRASH_STAGES: tuple[str, ...] = (
    "restart_delay",
    "scheduling",
    "image_pull",
    "container_start",
    "readiness",
)

_CSV_COLUMNS = ("orchestrator", "parameter", "value", "unit", "source", "note")


# -- the pipeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryPipeline:
    """An orchestrator's recovery pipeline: the parameters behind each stage's duration.

    Build one with :func:`preset`; override any field with ``preset(name, field=value)`` or
    :func:`dataclasses.replace`. Every time is in seconds, every rate per second.

    Parameters
    ----------
    name : str
        Label shown in tables and notes.
    heartbeat_interval_s : float
        Time between two node heartbeats [s] (Kubernetes: Lease renewal; Swarm: dispatcher
        heartbeat; Nomad: mean heartbeat TTL).
    node_down_after_s : float
        Silence after the last heartbeat before the control plane declares the node down [s]
        (Kubernetes: node-monitor-grace-period; Swarm: 3 heartbeat periods; Nomad: TTL + grace).
    monitor_period_s : float
        Period of the control plane's node health check [s]; 0 when a timer fires at once.
    eviction_s : float
        Wait between the node being declared down and its instances being replaced [s]
        (Kubernetes: NoExecute ``tolerationSeconds``; Swarm: restart delay; Nomad: 0).
    eviction_rate_nodes_per_s : float
        Nodes whose instances are evicted per second when several fail at once [nodes/s];
        ``inf`` for no limit.
    scheduling_rate_per_s : float
        Replacement instances created, placed and bound per second [instances/s], > 0.
    image_size_mb : float
        Image size a node without it must pull [MB].
    registry_bandwidth_mb_per_s : float
        Registry bandwidth shared by concurrent pulls [MB/s], > 0.
    image_cached : bool
        Whether a replacement on another node finds the image already there.
    container_start_s : float
        Container creation and process start [s].
    probe_initial_delay_s, probe_period_s : float
        Readiness probe ``initialDelaySeconds`` and ``periodSeconds`` [s].
    probe_success_threshold : int
        Readiness probe ``successThreshold`` [count]; 0 means no readiness gate.
    restart_delay_s : float
        Delay before the first delayed restart after a crash [s].
    restart_backoff_factor : float
        Growth of the restart delay per further crash [factor], ≥ 1 (1 = constant delay).
    restart_max_delay_s : float
        Cap on the restart delay [s]; ``inf`` for none.
    restart_first_immediate : bool
        Whether the first crash restarts at once (Kubernetes) before the back-off starts.
    restart_attempts : float
        Restarts in place before the restart policy is used up [count]; ``inf`` to restart
        in place forever (Kubernetes, Swarm's default ``max_attempts: 0``).
    restart_exhausted : {"reschedule", "stop"}
        What happens once ``restart_attempts`` are used up: the instance is rescheduled
        elsewhere (Nomad's ``mode = "fail"`` with a reschedule policy) or stays down for
        good (Swarm's ``restart_policy.max_attempts``: the task is not restarted again).
    crash_replaces_task : bool
        Whether a crash creates a new task that goes through the scheduler (Swarm) rather than
        restarting the container in place (Kubernetes, Nomad).
    reschedule_delay_s, reschedule_backoff_factor, reschedule_max_delay_s : float
        Reschedule policy once ``restart_attempts`` are used up (Nomad): first delay [s],
        growth per reschedule [factor] and cap [s].
    detection_s : float or None
        If given, replaces the detection time derived from the heartbeat fields [s].
    readiness_s : float or None
        If given, replaces the readiness time derived from the probe fields [s].
    """

    name: str
    heartbeat_interval_s: float
    node_down_after_s: float
    monitor_period_s: float
    eviction_s: float
    eviction_rate_nodes_per_s: float
    scheduling_rate_per_s: float
    image_size_mb: float
    registry_bandwidth_mb_per_s: float
    image_cached: bool
    container_start_s: float
    probe_initial_delay_s: float
    probe_period_s: float
    probe_success_threshold: int
    restart_delay_s: float
    restart_backoff_factor: float
    restart_max_delay_s: float
    restart_first_immediate: bool
    restart_attempts: float = math.inf
    restart_exhausted: str = "reschedule"
    crash_replaces_task: bool = False
    reschedule_delay_s: float = 0.0
    reschedule_backoff_factor: float = 1.0
    reschedule_max_delay_s: float = math.inf
    detection_s: float | None = None
    readiness_s: float | None = None

    def __str__(self) -> str:
        return self.name

    def __post_init__(self) -> None:
        rules = {
            "heartbeat_interval_s": dict(low=0),
            "node_down_after_s": dict(low=0),
            "monitor_period_s": dict(low=0),
            "eviction_s": dict(low=0, allow_inf=True),
            "eviction_rate_nodes_per_s": dict(low=0, low_open=True, allow_inf=True),
            "scheduling_rate_per_s": dict(low=0, low_open=True, allow_inf=True),
            "image_size_mb": dict(low=0),
            "registry_bandwidth_mb_per_s": dict(low=0, low_open=True, allow_inf=True),
            "container_start_s": dict(low=0),
            "probe_initial_delay_s": dict(low=0),
            "probe_period_s": dict(low=0),
            "probe_success_threshold": dict(low=0, integer=True),
            "restart_delay_s": dict(low=0),
            "restart_backoff_factor": dict(low=1),
            "restart_max_delay_s": dict(low=0, allow_inf=True),
            "restart_attempts": dict(low=0, integer=True, allow_inf=True),
            "reschedule_delay_s": dict(low=0),
            "reschedule_backoff_factor": dict(low=1),
            "reschedule_max_delay_s": dict(low=0, allow_inf=True),
        }
        if self.restart_exhausted not in ("reschedule", "stop"):
            raise ValueError(
                f"restart_exhausted={self.restart_exhausted!r} is not valid: "
                "must be 'reschedule' or 'stop'"
            )
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name={self.name!r} is not valid: must be a non-empty string")
        for field_name, rule in rules.items():
            value = getattr(self, field_name)
            if np.ndim(value) != 0 or isinstance(value, bool):
                raise ValueError(f"{field_name}={value!r} is not valid: must be a single number")
            checked = float(check_range(field_name, value, **rule))
            object.__setattr__(self, field_name, checked)
        for field_name in ("detection_s", "readiness_s"):
            value = getattr(self, field_name)
            if value is not None:
                if np.ndim(value) != 0 or isinstance(value, bool):
                    raise ValueError(f"{field_name}={value!r} is not valid: must be a number")
                object.__setattr__(self, field_name, float(check_range(field_name, value, low=0)))
        for field_name in ("image_cached", "restart_first_immediate", "crash_replaces_task"):
            value = getattr(self, field_name)
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{field_name}={value!r} is not valid: must be True or False")
            object.__setattr__(self, field_name, bool(value))
        object.__setattr__(self, "probe_success_threshold", int(self.probe_success_threshold))
        if self.node_down_after_s < self.heartbeat_interval_s:
            raise ValueError(
                f"node_down_after_s={self.node_down_after_s:g} is out of range: must be >= "
                f"heartbeat_interval_s={self.heartbeat_interval_s:g}, or every heartbeat "
                "interval would mark the node down"
            )

    @property
    def detection_time_s(self) -> float:
        """Mean time from a node failure to the node being declared down [s].

        ``node_down_after_s − heartbeat_interval_s / 2 + monitor_period_s / 2`` unless
        ``detection_s`` overrides it: the failure falls uniformly between two heartbeats, and
        the periodic health check notices the expired grace half a period later on average.
        """
        if self.detection_s is not None:
            return self.detection_s
        return self.node_down_after_s - self.heartbeat_interval_s / 2 + self.monitor_period_s / 2

    @property
    def readiness_time_s(self) -> float:
        """Time from container start to the instance being ready [s].

        ``probe_initial_delay_s + probe_period_s × probe_success_threshold`` unless
        ``readiness_s`` overrides it: the probe's first run at the initial delay is assumed to
        find the application not yet ready, and readiness needs ``successThreshold``
        consecutive successes, one period apart.
        """
        if self.readiness_s is not None:
            return self.readiness_s
        return self.probe_initial_delay_s + self.probe_period_s * self.probe_success_threshold

    @property
    def image_pull_per_instance_s(self) -> float:
        """Time to pull the image once at the full registry bandwidth [s]; 0 if cached."""
        if self.image_cached:
            return 0.0
        return self.image_size_mb / self.registry_bandwidth_mb_per_s


# -- presets from data/orchestrators.csv ----------------------------------------------------


@functools.cache
def _load_defaults() -> pd.DataFrame:
    """Read ``data/orchestrators.csv`` once (the module's only I/O)."""
    table = pd.read_csv(data_path("orchestrators.csv"), dtype={"value": float})
    if tuple(table.columns) != _CSV_COLUMNS:
        raise ValueError(
            f"orchestrators.csv has columns {list(table.columns)}; expected {list(_CSV_COLUMNS)}"
        )
    return table


def orchestrator_defaults() -> pd.DataFrame:
    """Return the preset parameters with their units and sources, one row per parameter.

    Returns
    -------
    pandas.DataFrame
        Columns ``orchestrator, parameter, value, unit, source, note`` as in
        ``data/orchestrators.csv`` (a copy: editing it changes no preset).
    """
    return _load_defaults().copy()


def preset_names() -> tuple[str, ...]:
    """Return the names :func:`preset` accepts: ``kubernetes`` (v1.32+), ``kubernetes-1.31``,
    ``swarm``, ``nomad``."""
    return PRESETS


def _values(name: str) -> dict[str, float]:
    rows = _load_defaults()
    rows = rows[rows["orchestrator"] == name]
    return dict(zip(rows["parameter"], rows["value"], strict=True))


def _kubernetes(name: str, v: dict[str, float]) -> RecoveryPipeline:
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=v["node_lease_renew_interval"],
        node_down_after_s=v["node_monitor_grace_period"],
        monitor_period_s=v["node_monitor_period"],
        eviction_s=v["default_unreachable_toleration_seconds"],
        eviction_rate_nodes_per_s=v["node_eviction_rate"],
        scheduling_rate_per_s=v["scheduling_rate"],
        image_size_mb=v["image_size"],
        registry_bandwidth_mb_per_s=v["registry_bandwidth"],
        image_cached=bool(v["image_cached"]),
        container_start_s=v["container_start"],
        probe_initial_delay_s=v["probe_initial_delay"],
        probe_period_s=v["probe_period"],
        probe_success_threshold=int(v["probe_success_threshold"]),
        restart_delay_s=v["restart_backoff_initial"],
        restart_backoff_factor=v["restart_backoff_factor"],
        restart_max_delay_s=v["restart_backoff_max"],
        restart_first_immediate=bool(v["restart_first_immediate"]),
    )


def _swarm(name: str, v: dict[str, float]) -> RecoveryPipeline:
    period = v["dispatcher_heartbeat_period"]
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=period,
        node_down_after_s=period * v["heartbeat_grace_multiplier"],
        monitor_period_s=0.0,  # a per-node timer fires when the grace expires
        eviction_s=v["restart_delay"],  # the restart supervisor delays replacement tasks too
        eviction_rate_nodes_per_s=math.inf,
        scheduling_rate_per_s=v["scheduling_rate"],
        image_size_mb=v["image_size"],
        registry_bandwidth_mb_per_s=v["registry_bandwidth"],
        image_cached=bool(v["image_cached"]),
        container_start_s=v["container_start"],
        probe_initial_delay_s=v["probe_initial_delay"],
        probe_period_s=v["probe_period"],
        probe_success_threshold=int(v["probe_success_threshold"]),
        restart_delay_s=v["restart_delay"],
        restart_backoff_factor=1.0,
        restart_max_delay_s=math.inf,
        restart_first_immediate=False,
        restart_attempts=math.inf if v["restart_max_attempts"] == 0 else v["restart_max_attempts"],
        restart_exhausted="stop",
        crash_replaces_task=True,
    )


def _nomad(name: str, v: dict[str, float]) -> RecoveryPipeline:
    # TTL = base + uniform[0, base): mean 1.5 × base; the node is down after TTL + grace.
    mean_ttl = 1.5 * v["min_heartbeat_ttl"]
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=mean_ttl,
        node_down_after_s=mean_ttl + v["heartbeat_grace"],
        monitor_period_s=0.0,  # a per-node timer fires when TTL + grace expires
        eviction_s=v["lost_allocation_delay"],
        eviction_rate_nodes_per_s=math.inf,
        scheduling_rate_per_s=v["scheduling_rate"],
        image_size_mb=v["image_size"],
        registry_bandwidth_mb_per_s=v["registry_bandwidth"],
        image_cached=bool(v["image_cached"]),
        container_start_s=v["container_start"],
        probe_initial_delay_s=v["probe_initial_delay"],
        probe_period_s=v["probe_period"],
        probe_success_threshold=int(v["probe_success_threshold"]),
        restart_delay_s=v["restart_delay"],
        restart_backoff_factor=1.0,
        restart_max_delay_s=math.inf,
        restart_first_immediate=False,
        restart_attempts=v["restart_attempts"],
        reschedule_delay_s=v["reschedule_delay"],
        reschedule_backoff_factor=v["reschedule_delay_factor"],
        reschedule_max_delay_s=v["reschedule_max_delay"],
    )


_BUILDERS = {
    "kubernetes": _kubernetes,
    "kubernetes-1.31": _kubernetes,
    "swarm": _swarm,
    "nomad": _nomad,
}


@functools.cache
def _preset_from_csv(name: str) -> RecoveryPipeline:
    return _BUILDERS[name](name, _values(name))


def preset(name: str, **overrides) -> RecoveryPipeline:
    """Return an orchestrator's recovery pipeline with its default timings.

    Parameters
    ----------
    name : str
        ``"kubernetes"`` (v1.32 and later, node-monitor-grace-period 50 s),
        ``"kubernetes-1.31"`` (40 s), ``"swarm"`` or ``"nomad"``; case-insensitive.
    **overrides
        Any :class:`RecoveryPipeline` field, e.g. ``eviction_s=30`` for a Kubernetes cluster
        whose pods tolerate an unreachable node for 30 s, or ``image_cached=True``. Unless
        ``name`` is among them, the pipeline is named ``"<preset> (tuned)"`` so tables never
        show tuned timings under a stock preset's name.

    Returns
    -------
    RecoveryPipeline

    Notes
    -----
    Values and sources are in ``data/orchestrators.csv`` (see :func:`orchestrator_defaults`).
    Nomad's heartbeat TTL is max(10 s, nodes / 50 per s) plus a random stagger of up to one
    TTL; the preset uses the 10 s floor, exact up to 500 nodes. For a larger cluster pass
    ``heartbeat_interval_s=1.5 * b, node_down_after_s=1.5 * b + 10`` with ``b = nodes / 50``.
    """
    if not isinstance(name, str) or name.strip().lower() not in _BUILDERS:
        raise ValueError(f"preset={name!r} is not known: valid presets are {', '.join(PRESETS)}")
    base = _preset_from_csv(name.strip().lower())
    if not overrides:
        return base
    fields = {f.name for f in dataclasses.fields(RecoveryPipeline)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(
            f"{unknown[0]}= is not a recovery pipeline field: valid fields are "
            f"{', '.join(sorted(fields))}"
        )
    overrides.setdefault("name", f"{base.name} (tuned)")
    return dataclasses.replace(base, **overrides)


def _resolve(pipeline) -> RecoveryPipeline:
    if isinstance(pipeline, RecoveryPipeline):
        return pipeline
    if isinstance(pipeline, str):
        return preset(pipeline)
    raise ValueError(
        f"preset={pipeline!r} is not valid: pass a preset name ({', '.join(PRESETS)}) "
        "or a RecoveryPipeline"
    )


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
    p = _resolve(preset)
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
    p = _resolve(preset)
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
    p = _resolve(preset)
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
    p = _resolve(preset)
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
    p = _resolve(preset)
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
    p = _resolve(preset)
    rows = []
    node = node_failure_stages(p, instances_to_move, failed_nodes)
    rows += [(p.name, "node_failure", stage, seconds) for stage, seconds in node.items()]
    crash = container_crash_stages(p, crash_count)
    rows += [(p.name, "container_crash", stage, seconds) for stage, seconds in crash.items()]
    return pd.DataFrame(rows, columns=["orchestrator", "event", "stage", "seconds"])


# -- recovery feeding availability ----------------------------------------------------------

_NODE_REPAIR = ("exponential", "fixed")


def _check_node_repair(node_repair) -> str:
    if node_repair not in _NODE_REPAIR:
        raise ValueError(
            f"node_repair={node_repair!r} is not valid: must be one of {', '.join(_NODE_REPAIR)}"
        )
    return node_repair


def _still_down_fraction(recovery_h, node_mttr_h, node_repair):
    """Share of a node's down time during which its instances are not yet back elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = recovery_h / node_mttr_h
        if node_repair == "fixed":
            share = np.minimum(ratio, 1.0)
        else:
            share = -np.expm1(-ratio)
    # A node that is never down (MTTR = 0) contributes nothing; any share will do.
    return np.where(node_mttr_h > 0, share, 1.0)


def effective_repair_h(recovery_s, node_mttr_h, node_repair="exponential"):
    r"""Mean time a failed node's instances stay down when they can move elsewhere [h].

    Parameters
    ----------
    recovery_s : numeric
        The orchestrator's recovery time after a node failure [s], ≥ 0 (e.g.
        :func:`node_failure_recovery_s`).
    node_mttr_h : numeric
        Mean time to repair the node [h], ≥ 0.
    node_repair : {"exponential", "fixed"}
        Distribution of the node's repair time X with mean MTTR.

    Returns
    -------
    numeric
        :math:`E[\min(X, d)]` [h] with d the recovery time: the instances are back at the
        recovery time or at the node's repair, whichever comes first. Exponential X gives
        :math:`\mathrm{MTTR}\,(1 - e^{-d/\mathrm{MTTR}})`; fixed X gives
        :math:`\min(d, \mathrm{MTTR})`. Both are ≈ d when d ≪ MTTR.

    References
    ----------
    .. [1] S. M. Ross, *Introduction to Probability Models*, 12th ed., Academic Press, 2019,
       §5.2 (exponential distribution); :math:`E[\min(X, d)] = \int_0^d P(X > t)\,dt`.
    """
    node_repair = _check_node_repair(node_repair)
    d = check_range("recovery_s", recovery_s, low=0) / 3600.0
    m = check_range("node_mttr_h", node_mttr_h, low=0)
    result = m * _still_down_fraction(d, m, node_repair)
    return restore(np.where(m > 0, result, 0.0), recovery_s, node_mttr_h)


# -- the article's T = N/R × S beside the pipeline ------------------------------------------


def document_recovery_note(preset="kubernetes", nodes=None, replicas=None, recovery_speed_s=None):
    """A short note on how the article's T = N/R × S differs from the recovery pipeline.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        The orchestrator to compare with.
    nodes, replicas, recovery_speed_s : float, optional
        N, R [count] and S [s] of one scenario; when all three are given the note quotes T and
        the pipeline time for the ⌈R⌉ instances of one failed node.

    Returns
    -------
    str
        Plain text, a few sentences, for reports and notebooks.

    Notes
    -----
    T is ``haplan.document.recovery_time`` (the article, section 3.3); the pipeline is
    :func:`node_failure_recovery_s`.
    """
    p = _resolve(preset)
    given = [v is not None for v in (nodes, replicas, recovery_speed_s)]
    moved = 1
    opening = "The article's T = N/R × S"
    if all(given):
        n = float(check_range("nodes", nodes, low=1))
        r = float(check_range("replicas", replicas, low=0, low_open=True))
        s = float(check_range("recovery_speed_s", recovery_speed_s, low=0))
        moved = max(1, math.ceil(r))
        opening = f"The article's T = N/R × S = {n:g}/{r:g} × {s:g} s = {n / r * s:g} s"
    elif any(given):
        raise ValueError("pass all of nodes, replicas and recovery_speed_s, or none of them")
    stages = node_failure_stages(p, moved)
    total = sum(stages.values())
    waiting = stages["detection"] + stages["eviction"]
    rate = p.scheduling_rate_per_s
    return (
        f"{opening} scales with N/R (it falls as R grows) and has no detection or grace "
        f"term. {p.name}'s pipeline after a node failure takes {total:.4g} s for "
        f"{moved} instance{'s' if moved != 1 else ''}; detection ({stages['detection']:.4g} s) "
        f"and the eviction wait ({stages['eviction']:.4g} s) make up "
        f"{100 * waiting / total:.0f} % of it, and it barely depends on N. It grows with the "
        f"instances to move only through scheduling ({rate:g} instances/s) and image pulls "
        f"({p.image_pull_per_instance_s:.3g} s each); more instances per node means more to "
        "move after a node failure, not less."
    )
