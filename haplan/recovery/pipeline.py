"""The recovery pipeline: the parameters behind each stage's duration, and the stage names.

A :class:`RecoveryPipeline` is frozen; :func:`haplan.recovery.preset` builds one from the
orchestrators' defaults, and :mod:`haplan.recovery.stages` turns it into stage timings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from haplan._numeric import check_range

__all__ = ["NODE_FAILURE_STAGES", "CONTAINER_CRASH_STAGES", "RecoveryPipeline"]

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
