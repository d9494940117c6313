"""Docker compose / swarm stack services: replicas, restart policy, healthcheck, placement.

Each service of a stack file is a workload: ``deploy.replicas`` (or ``scale``) gives
``instances`` and the orchestrator is ``swarm``; ``deploy.restart_policy`` gives the recovery
overrides ``restart_delay_s``, ``eviction_s`` and ``restart_attempts``; the ``healthcheck``
gives the readiness probe overrides; ``deploy.placement`` and ``deploy.resources`` are
reported, and ``deploy.update_config`` is read by :mod:`haplan.manifests.rollout`.

References
----------
.. [1] Compose file reference, ``deploy`` (replicas default 1; restart_policy condition
   default ``any``, max_attempts default unlimited, window default 0) and ``healthcheck``;
   docs.docker.com/reference/compose-file/deploy/. Swarm's task restart delay default 5 s
   and stop grace period 10 s: github.com/moby/swarmkit, api/defaults/service.go.
.. [2] Dockerfile reference, HEALTHCHECK: interval 30 s, timeout 30 s, start period 0 s,
   retries 3; the first check runs one interval after the container starts.
.. [3] Compose memory sizes (``512m``, ``1g``) are binary multiples:
   github.com/docker/go-units, ``RAMInBytes``.
"""

from __future__ import annotations

import math
from typing import Any

from haplan import recovery
from haplan.manifests.documents import (
    ManifestError,
    ManifestInputs,
    Workload,
    duration_s,
    mapping,
    sequence,
    whole,
)
from haplan.manifests.rollout import compose_rollout
from haplan.manifests.units import parse_compose_memory, parse_quantity

# Docker defaults: HEALTHCHECK [2]; swarm restart delay and stop grace period [1].
_HEALTHCHECK_DEFAULTS = {"interval": 30.0, "timeout": 30.0, "start_period": 0.0, "retries": 3}
_SWARM_RESTART_DELAY_S = 5.0
_SWARM_STOP_GRACE_S = 10.0


def compose_inputs(chosen: Workload, notes: list[str]) -> ManifestInputs:
    where, name, service = chosen.where, chosen.name, chosen.body
    deploy = mapping(service.get("deploy"), where, f"service {name!r} deploy")
    what = f"service {name!r}"
    mode = deploy.get("mode", "replicated")
    if mode != "replicated":
        raise ManifestError(
            f"{where}: {what} deploy.mode={mode!r} is not supported (a global service runs one "
            "task per node); use mode: replicated with replicas"
        )
    if deploy.get("replicas") is not None:
        replicas = whole(deploy["replicas"], where, f"{what} deploy.replicas", low=1)
    elif service.get("scale") is not None:
        replicas = whole(service["scale"], where, f"{what} scale", low=1)
    else:
        replicas = 1
        notes.append(f"Compose {what} sets no deploy.replicas: the default of 1 is used.")
    values = {"instances": replicas, "orchestrator": "swarm"}

    overrides: dict[str, Any] = {}
    details: dict[str, Any] = {}
    policy = mapping(deploy.get("restart_policy"), where, f"{what} deploy.restart_policy")
    condition = policy.get("condition", "any")
    if condition not in ("none", "on-failure", "any"):
        raise ManifestError(
            f"{where}: {what} restart_policy.condition={condition!r} is not valid; use none, "
            "on-failure or any"
        )
    details["restart_condition"] = condition
    if condition == "none":
        notes.append(
            f"Compose {what} has restart_policy condition none: failed tasks are not replaced, "
            "which haplan's recovery pipeline does not model (it assumes restarts)."
        )
    if "delay" in policy:
        delay = duration_s(policy["delay"], where, f"{what} restart_policy.delay")
        # Swarm's restart supervisor delays both restarts and replacements of lost tasks.
        overrides.update(restart_delay_s=delay, eviction_s=delay)
    else:
        notes.append(
            f"Compose {what} sets no restart_policy.delay: swarm's default of "
            f"{_SWARM_RESTART_DELAY_S:g} s applies."
        )
    if "max_attempts" in policy:
        attempts = whole(policy["max_attempts"], where, f"{what} restart_policy.max_attempts")
        overrides["restart_attempts"] = math.inf if attempts == 0 else attempts
    details["restart_window_s"] = duration_s(
        policy.get("window", 0), where, f"{what} restart_policy.window"
    )

    health = mapping(service.get("healthcheck"), where, f"{what} healthcheck")
    test = health.get("test")
    disabled = health.get("disable") is True or test in ("NONE", ["NONE"])
    if health and not disabled:
        hc = {
            key: duration_s(health[key], where, f"{what} healthcheck.{key}")
            if key in health
            else default
            for key, default in _HEALTHCHECK_DEFAULTS.items()
            if key != "retries"
        }
        retries = whole(
            health.get("retries", _HEALTHCHECK_DEFAULTS["retries"]),
            where,
            f"{what} healthcheck.retries",
            low=1,
        )
        period = hc["interval"]
        if hc["start_period"] > 0 and "start_interval" in health:
            period = duration_s(
                health["start_interval"], where, f"{what} healthcheck.start_interval"
            )
        # Docker runs the first check one period after the container starts; like the
        # Kubernetes convention in haplan.recovery, that first run is assumed to fail.
        overrides.update(
            probe_initial_delay_s=period, probe_period_s=period, probe_success_threshold=1
        )
        details.update(
            healthcheck_interval_s=hc["interval"],
            healthcheck_timeout_s=hc["timeout"],
            healthcheck_start_period_s=hc["start_period"],
            healthcheck_retries=retries,
        )
        ready_s = recovery.preset(
            "swarm", probe_initial_delay_s=period, probe_period_s=period, probe_success_threshold=1
        ).readiness_time_s
        notes.append(
            f"Compose {what} healthcheck: a task counts as ready after its first passing "
            f"check; checks run every {period:g} s from start and the first is assumed to find "
            f"the task not yet ready, so the readiness stage is {ready_s:g} s."
        )
    else:
        overrides.update(probe_initial_delay_s=0.0, probe_period_s=0.0, probe_success_threshold=0)
        notes.append(
            f"Compose {what} has no healthcheck: a task counts as ready when its container starts."
        )
    details["stop_grace_period_s"] = (
        duration_s(service["stop_grace_period"], where, f"{what} stop_grace_period")
        if "stop_grace_period" in service
        else _SWARM_STOP_GRACE_S
    )

    placement = []
    rules = mapping(deploy.get("placement"), where, f"{what} deploy.placement")
    if rules.get("max_replicas_per_node") is not None:
        per_node = whole(rules["max_replicas_per_node"], where, "max_replicas_per_node", low=1)
        placement.append(
            {
                "over": "nodes",
                "topology_key": "node",
                "rule": "max_replicas_per_node",
                "required": True,
                "max_per_domain": per_node,
            }
        )
    for preference in sequence(rules.get("preferences"), where, f"{what} placement.preferences"):
        spread = mapping(preference, where, "a placement preference").get("spread")
        if spread:
            over = "zones" if "zone" in str(spread).lower() else str(spread)
            placement.append(
                {"over": over, "topology_key": str(spread), "rule": "spread", "required": False}
            )
    if not placement:
        notes.append(
            f"Compose {what} sets no placement rules: swarm's default spread (tasks to the "
            "nodes running fewest of the service's tasks) is assumed."
        )
    resources = _compose_resources(deploy, name, where)
    rollout = compose_rollout(chosen, deploy, notes)
    return ManifestInputs(
        scenario_values=values,
        recovery_overrides=overrides,
        recovery_details=details,
        placement=placement,
        resources=resources,
        services=[],
        workload_name=name,
        workload_kind=chosen.kind,
        source=str(chosen.path),
        notes=notes,
        rollout=rollout,
    )


def _compose_resources(deploy: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    resources = mapping(deploy.get("resources"), where, "deploy.resources")
    limits = mapping(resources.get("limits"), where, "deploy.resources.limits")
    reservations = mapping(resources.get("reservations"), where, "deploy.resources.reservations")
    row: dict[str, Any] = {"workload": name, "container": name}
    try:
        for column, table, key, parse in (
            ("cpu_request_cores", reservations, "cpus", parse_quantity),
            ("cpu_limit_cores", limits, "cpus", parse_quantity),
            ("memory_request_bytes", reservations, "memory", parse_compose_memory),
            ("memory_limit_bytes", limits, "memory", parse_compose_memory),
        ):
            value = table.get(key)
            row[column] = None if value is None else parse(value)
    except ValueError as error:
        raise ManifestError(f"{where}: service {name!r} deploy.resources: {error}") from None
    return [row]
