"""How a workload is rolled out: a Deployment's strategy, a StatefulSet's, a swarm service's.

:func:`kubernetes_rollout` reads a Deployment's ``spec.strategy`` and ``spec.minReadySeconds``
or a StatefulSet's ``spec.updateStrategy``; :func:`compose_rollout` reads a compose / swarm
stack service's ``deploy.update_config``. Each returns ``ManifestInputs.rollout``, a dict in
haplan's vocabulary (times in seconds), with the orchestrator's defaults where the manifest is
silent; the defaults taken are written to the notes. Rollout settings are reported, not
scenario inputs.

========================================  =================================================
manifest                                  ``rollout``
========================================  =================================================
Deployment ``spec.strategy.type``           ``strategy``: ``RollingUpdate`` (default) or
                                            ``Recreate`` (all old pods stop, then the new
                                            ones start)
``strategy.rollingUpdate.maxSurge``         ``max_surge``: a count, or ``"25%"`` as written
                                            (default ``"25%"``; RollingUpdate only)
``strategy.rollingUpdate.maxUnavailable``   ``max_unavailable``: likewise (default ``"25%"``)
Deployment ``spec.minReadySeconds``         ``min_ready_s`` (default 0)
StatefulSet ``spec.updateStrategy.type``    ``strategy``: ``RollingUpdate`` (default; one pod
                                            at a time, highest ordinal first) or ``OnDelete``
``updateStrategy.rollingUpdate.partition``  ``partition`` (default 0; RollingUpdate only)
``rollingUpdate.maxUnavailable``            ``max_unavailable``, only when given
StatefulSet ``spec.minReadySeconds``        ``min_ready_s`` (default 0)
compose ``deploy.update_config``            ``parallelism`` (default 1, 0 = all at once),
                                            ``delay_s`` (0), ``order`` (``stop-first``),
                                            ``failure_action`` (``pause``), ``monitor_s`` (5)
========================================  =================================================

References
----------
.. [1] Kubernetes API, apps/v1 DeploymentStrategy (type default RollingUpdate; maxSurge and
   maxUnavailable default 25%; minReadySeconds default 0) and StatefulSetUpdateStrategy
   (type default RollingUpdate; partition default 0; maxUnavailable honoured only where the
   MaxUnavailableStatefulSet feature gate is on). github.com/kubernetes/api, apps/v1/types.go.
.. [2] Kubernetes API validation, ``ValidateDeploymentStrategy``,
   ``ValidateRollingUpdateDeployment`` (both values non-negative, maxUnavailable at most
   100 %, "may not be 0 when `maxSurge` is 0", no rollingUpdate with Recreate) and
   ``ValidateStatefulSetSpec`` (partition non-negative, rollingUpdate "only allowed for
   updateStrategy 'RollingUpdate'"). github.com/kubernetes/kubernetes,
   pkg/apis/apps/validation/validation.go.
.. [3] Compose file reference, ``deploy.update_config``: parallelism, delay, failure_action
   (continue, rollback or pause; default pause), monitor, order (stop-first or start-first;
   default stop-first). docs.docker.com/reference/compose-file/deploy/. ``docker service
   update``: --update-parallelism default 1, --update-delay 0s, --update-monitor 5s,
   --update-failure-action pause, --update-order stop-first.
   docs.docker.com/reference/cli/docker/service/update/.
.. [4] ``docker stack deploy`` sets parallelism 1 when update_config omits it
   (github.com/docker/cli, cli/compose/convert/service.go, ``convertUpdateConfig``); the
   daemon sends a monitor of 0 as unset (github.com/moby/moby,
   daemon/cluster/convert/service.go, ``updateConfigToGRPC``) and swarmkit then applies its
   default of 5 s (github.com/moby/swarmkit, api/defaults/service.go).
"""

from __future__ import annotations

from typing import Any

from haplan.manifests.documents import (
    ManifestError,
    Workload,
    duration_s,
    int_or_percent,
    mapping,
    whole,
)

# Kubernetes defaults, apps/v1 [1].
_K8S_MAX_SURGE = "25%"
_K8S_MAX_UNAVAILABLE = "25%"
# Swarm's update defaults [3], [4].
_SWARM_UPDATE_DEFAULTS: dict[str, Any] = {
    "parallelism": 1,
    "delay_s": 0.0,
    "order": "stop-first",
    "failure_action": "pause",
    "monitor_s": 5.0,
}
_SWARM_ORDERS = ("stop-first", "start-first")
_SWARM_FAILURE_ACTIONS = ("pause", "continue", "rollback")


def _count_or_percent(
    value: Any, where: str, what: str, *, low: int = 0, at_most_100: bool = False
) -> int | str:
    """A whole count, or a whole percentage kept as written (``"25%"``), at least ``low``."""
    if isinstance(value, str):
        number, percent = int_or_percent(value, where, what)  # "12.5%", "-1" are refused there
    elif isinstance(value, int) and not isinstance(value, bool):
        number, percent = value, False
    else:
        number, percent = None, False
    if number is None or number < low:
        raise ManifestError(
            f"{where}: {what}={value!r} is not valid; write a whole number >= {low} or a "
            f"whole percentage such as '25%'"
        )
    if percent and at_most_100 and number > 100:
        raise ManifestError(f"{where}: {what}={number}% is above 100%; lower it")
    return f"{number}%" if percent else number


def _is_zero(value: int | str) -> bool:
    return value in (0, "0%")


def _min_ready_s(spec: dict[str, Any], where: str, what: str, taken: list[str]) -> float:
    if spec.get("minReadySeconds") is None:
        taken.append("minReadySeconds 0")
        return 0.0
    return float(whole(spec["minReadySeconds"], where, f"{what} spec.minReadySeconds"))


def _strategy(spec, where: str, what: str, key: str, other: str, taken: list[str]):
    """The strategy type (RollingUpdate or ``other``, default RollingUpdate) and its
    ``rollingUpdate`` block, which Kubernetes forbids with ``other``."""
    strategy = mapping(spec.get(key), where, f"{what} spec.{key}")
    kind = strategy.get("type")
    if kind is None:
        kind = "RollingUpdate"
        taken.append(f"{key} RollingUpdate")
    elif kind not in ("RollingUpdate", other):
        raise ManifestError(
            f"{where}: {what} spec.{key}.type={kind!r} is not valid; use RollingUpdate or {other}"
        )
    rolling = strategy.get("rollingUpdate")
    if kind == other and rolling is not None:
        raise ManifestError(
            f"{where}: {what} sets spec.{key}.rollingUpdate with type {other}; Kubernetes "
            "forbids that, remove rollingUpdate or use type RollingUpdate"
        )
    return kind, rolling


def kubernetes_rollout(chosen: Workload, notes: list[str]) -> dict[str, Any]:
    """``ManifestInputs.rollout`` of a Deployment or StatefulSet, defaults from [1]."""
    if chosen.kind == "StatefulSet":
        return _statefulset_rollout(chosen, notes)
    where, what = chosen.where, f"Deployment {chosen.name!r}"
    spec = chosen.body["spec"]
    taken: list[str] = []
    kind, rolling = _strategy(spec, where, what, "strategy", "Recreate", taken)
    rollout: dict[str, Any] = {"kind": "deployment", "strategy": kind}
    if kind != "Recreate":
        rolling = mapping(rolling, where, f"{what} spec.strategy.rollingUpdate")
        field = f"{what} spec.strategy.rollingUpdate"
        if rolling.get("maxSurge") is None:
            surge: int | str = _K8S_MAX_SURGE
            taken.append(f"maxSurge {_K8S_MAX_SURGE}")
        else:
            surge = _count_or_percent(rolling["maxSurge"], where, f"{field}.maxSurge")
        if rolling.get("maxUnavailable") is None:
            unavailable: int | str = _K8S_MAX_UNAVAILABLE
            taken.append(f"maxUnavailable {_K8S_MAX_UNAVAILABLE}")
        else:
            unavailable = _count_or_percent(
                rolling["maxUnavailable"], where, f"{field}.maxUnavailable", at_most_100=True
            )
        if _is_zero(surge) and _is_zero(unavailable):
            raise ManifestError(
                f"{where}: {field} has maxSurge and maxUnavailable both 0, so no pod could "
                "be replaced; Kubernetes rejects it, raise one of them"
            )
        rollout.update(max_surge=surge, max_unavailable=unavailable)
    rollout["min_ready_s"] = _min_ready_s(spec, where, what, taken)
    if taken:
        notes.append(f"{what} rollout: Kubernetes' defaults taken for {', '.join(taken)}.")
    return rollout


def _statefulset_rollout(chosen: Workload, notes: list[str]) -> dict[str, Any]:
    where, what = chosen.where, f"StatefulSet {chosen.name!r}"
    spec = chosen.body["spec"]
    taken: list[str] = []
    kind, rolling = _strategy(spec, where, what, "updateStrategy", "OnDelete", taken)
    rollout: dict[str, Any] = {"kind": "statefulset", "strategy": kind}
    if kind != "OnDelete":
        rolling = mapping(rolling, where, f"{what} spec.updateStrategy.rollingUpdate")
        field = f"{what} spec.updateStrategy.rollingUpdate"
        if rolling.get("partition") is None:
            rollout["partition"] = 0
            taken.append("partition 0")
        else:
            rollout["partition"] = whole(rolling["partition"], where, f"{field}.partition")
        if rolling.get("maxUnavailable") is not None:
            rollout["max_unavailable"] = _count_or_percent(
                rolling["maxUnavailable"],
                where,
                f"{field}.maxUnavailable",
                low=1,
                at_most_100=True,
            )
            notes.append(
                f"{what} rollout: maxUnavailable is honoured only where the cluster enables "
                "the MaxUnavailableStatefulSet feature gate; elsewhere pods are updated one at "
                "a time."
            )
    rollout["min_ready_s"] = _min_ready_s(spec, where, what, taken)
    if taken:
        notes.append(f"{what} rollout: Kubernetes' defaults taken for {', '.join(taken)}.")
    return rollout


def compose_rollout(chosen: Workload, deploy: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """``ManifestInputs.rollout`` of a compose / swarm service, swarm's defaults [3], [4]."""
    where, what = chosen.where, f"service {chosen.name!r}"
    field = f"{what} deploy.update_config"
    update = mapping(deploy.get("update_config"), where, field)
    rollout: dict[str, Any] = {"kind": "swarm"}
    taken = []
    for key, name in (
        ("parallelism", "parallelism"),
        ("delay_s", "delay"),
        ("order", "order"),
        ("failure_action", "failure_action"),
        ("monitor_s", "monitor"),
    ):
        value = update.get(name)
        if value is None:
            rollout[key] = _SWARM_UPDATE_DEFAULTS[key]
            taken.append(f"{name} {_show(rollout[key], key)}")
        elif key == "parallelism":
            rollout[key] = whole(value, where, f"{field}.parallelism")
        elif key in ("delay_s", "monitor_s"):
            rollout[key] = duration_s(value, where, f"{field}.{name}")
        else:
            allowed = _SWARM_ORDERS if key == "order" else _SWARM_FAILURE_ACTIONS
            if value not in allowed:
                raise ManifestError(
                    f"{where}: {field}.{name}={value!r} is not valid; use "
                    f"{', '.join(allowed[:-1])} or {allowed[-1]}"
                )
            rollout[key] = value
    if "monitor" in update and rollout["monitor_s"] == 0:
        rollout["monitor_s"] = _SWARM_UPDATE_DEFAULTS["monitor_s"]
        notes.append(
            f"Compose {what} update_config.monitor is 0: Docker sends it as unset, so swarm's "
            "default of 5 s applies."
        )
    if taken:
        notes.append(f"Compose {what} rollout: swarm's defaults taken for {', '.join(taken)}.")
    return rollout


def _show(value: Any, key: str) -> str:
    return f"{value:g} s" if key.endswith("_s") else str(value)
