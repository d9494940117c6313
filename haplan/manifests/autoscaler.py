"""A workload's HorizontalPodAutoscaler: its replica bounds, CPU target and scaling behaviour.

:func:`workload_hpa` finds the HorizontalPodAutoscaler (``autoscaling/v2`` or
``autoscaling/v1``) whose ``spec.scaleTargetRef`` (kind, name, in the HPA's namespace) names the
chosen Deployment or StatefulSet and returns ``ManifestInputs.hpa``: the keyword arguments of
:func:`haplan.autoscaling.hpa.simulate_hpa`, with Kubernetes' defaults where the manifest is
silent; the defaults taken are written to the notes. The HPA is reported, not a scenario
input: ``instances`` stays the workload's ``spec.replicas``.

==========================================  ===============================================
manifest                                    ``hpa``
==========================================  ===============================================
``spec.minReplicas``                          ``min_replicas`` (default 1)
``spec.maxReplicas``                          ``max_replicas`` (required)
v2 ``spec.metrics``: a ``Resource`` metric    ``target_utilization`` = averageUtilization /
named ``cpu``, ``target.type: Utilization``   100 (a fraction of the CPU request; no
                                              metrics: 80 %); other metrics are noted as not
                                              modelled
v1 ``spec.targetCPUUtilizationPercentage``    ``target_utilization`` = it / 100 (default 80 %)
v2 ``spec.behavior.scaleUp`` / ``scaleDown``  ``scale_up`` / ``scale_down``:
                                              ``stabilization_window_s`` [s],
                                              ``select_policy`` (Max, Min or Disabled),
                                              ``policies`` [(type Pods or Percent, value,
                                              period_s [s]), ...]
==========================================  ===============================================

Defaults (behaviour is defaulted field by field [1], [3]): scale up: window 0 s, policies
Percent 100 per 15 s and Pods 4 per 15 s, select Max; scale down: window 300 s, policy Percent
100 per 15 s, select Max. ``autoscaling/v1`` has no ``behavior``: both directions take the
defaults.

An HPA whose target is another workload of the files, or a workload not in them, is noted and
skipped; two HPAs scaling the chosen workload are an error (Kubernetes would let them fight
over its replicas).

References
----------
.. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", sections "Support for
   configurable scaling behavior" and "Default Behavior" (the defaults above).
   https://kubernetes.io/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale/
.. [2] Kubernetes API reference, HorizontalPodAutoscaler (autoscaling/v2):
   HorizontalPodAutoscalerSpec (minReplicas default 1, maxReplicas required), MetricSpec
   (types Resource, Pods, Object, External, ContainerResource), MetricTarget
   (``averageUtilization``, a percentage of the pods' request), HPAScalingRules
   (``stabilizationWindowSeconds`` 0–3600, ``selectPolicy`` Max/Min/Disabled) and
   HPAScalingPolicy (type Pods/Percent, value > 0, 0 < periodSeconds ≤ 1800); autoscaling/v1
   HorizontalPodAutoscalerSpec (``targetCPUUtilizationPercentage``).
   https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/
.. [3] Kubernetes defaulting, ``SetDefaults_HorizontalPodAutoscaler`` (minReplicas 1; no
   metrics -> CPU Utilization 80 %) and ``GenerateHPAScaleUpRules`` /
   ``GenerateHPAScaleDownRules`` (each unset field of a rule takes the default).
   github.com/kubernetes/kubernetes, pkg/apis/autoscaling/v2/defaults.go.
.. [4] Kubernetes validation, ``ValidateHorizontalPodAutoscalerSpec``: minReplicas ≥ 1,
   maxReplicas ≥ 1 and ≥ minReplicas, averageUtilization > 0, at least one policy per rule.
   github.com/kubernetes/kubernetes, pkg/apis/autoscaling/validation/validation.go.
"""

from __future__ import annotations

from typing import Any

from haplan.manifests.documents import (
    ManifestError,
    ParsedFiles,
    Workload,
    mapping,
    metadata,
    whole,
)

_API_VERSIONS = ("autoscaling/v2", "autoscaling/v1")
_DEFAULT_CPU_PERCENT = 80  # [3]
_MAX_WINDOW_S = 3600  # HPAScalingRules.stabilizationWindowSeconds [2]
_MAX_PERIOD_S = 1800  # HPAScalingPolicy.periodSeconds [2]
_POLICY_TYPES = ("Pods", "Percent")
_SELECT_POLICIES = ("Max", "Min", "Disabled")
_METRIC_SOURCES = {  # MetricSpec.type -> the field holding its source [2]
    "Resource": "resource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
    "ContainerResource": "containerResource",
}
# The defaults of behavior.scaleUp / scaleDown [1], [3].
_DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "scaleUp": {
        "stabilization_window_s": 0,
        "select_policy": "Max",
        "policies": [("Percent", 100, 15), ("Pods", 4, 15)],
    },
    "scaleDown": {
        "stabilization_window_s": 300,
        "select_policy": "Max",
        "policies": [("Percent", 100, 15)],
    },
}


def workload_hpa(
    chosen: Workload, parsed: ParsedFiles, notes: list[str], replicas: int
) -> dict[str, Any]:
    """``ManifestInputs.hpa`` of the chosen workload; {} when no HPA scales it.

    HPAs that scale another workload, or one not in the files, are noted and skipped.
    """
    mine = []
    for where, document in parsed.hpas:
        what = _what(where, document)
        spec = mapping(document.get("spec"), where, f"{what} spec")
        ref = mapping(spec.get("scaleTargetRef"), where, f"{what} spec.scaleTargetRef")
        kind, target = ref.get("kind"), ref.get("name")
        if not (isinstance(kind, str) and kind and isinstance(target, str) and target):
            raise ManifestError(
                f"{where}: {what} spec.scaleTargetRef needs a kind and a name; name the "
                "Deployment or StatefulSet it scales"
            )
        namespace = str(metadata(document).get("namespace") or "default")
        key = (kind, target, namespace)
        if (chosen.kind, chosen.name, chosen.namespace) == key:
            mine.append((where, document))
        elif any((w.kind, w.name, w.namespace) == key for w in parsed.workloads):
            notes.append(
                f"{where}: {what} scales {kind} {target!r}, not the chosen workload: skipped."
            )
        else:
            place = "" if namespace == "default" else f" in namespace {namespace!r}"
            notes.append(
                f"{where}: {what} scales {kind} {target!r}{place}, which is not in the files "
                "given: skipped."
            )
    if not mine:
        return {}
    if len(mine) > 1:
        listed = ", ".join(f"{_what(w, d)} ({w})" for w, d in mine)
        raise ManifestError(
            f"{chosen.where}: {chosen.kind} {chosen.name!r} is scaled by several "
            f"HorizontalPodAutoscalers ({listed}); they would fight over its replicas, keep one"
        )
    where, document = mine[0]
    return _read_hpa(chosen, where, document, notes, replicas)


def _what(where: str, document: dict[str, Any]) -> str:
    name = metadata(document).get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(
            f"{where}: HorizontalPodAutoscaler has no metadata.name; give it a name"
        )
    return f"HorizontalPodAutoscaler {name!r}"


def _read_hpa(
    chosen: Workload, where: str, document: dict[str, Any], notes: list[str], replicas: int
) -> dict[str, Any]:
    what = _what(where, document)
    api = document.get("apiVersion")
    if api not in _API_VERSIONS:
        raise ManifestError(
            f"{where}: {what} apiVersion={api!r} is not read; use autoscaling/v2 "
            "(or autoscaling/v1)"
        )
    spec = mapping(document.get("spec"), where, f"{what} spec")
    taken: list[str] = []
    if spec.get("minReplicas") is None:
        low = 1
        taken.append("minReplicas 1")
    else:
        low = whole(spec["minReplicas"], where, f"{what} spec.minReplicas", low=1)
    if spec.get("maxReplicas") is None:
        raise ManifestError(
            f"{where}: {what} has no spec.maxReplicas; Kubernetes requires it, give the most "
            "replicas the HPA may create"
        )
    high = whole(spec["maxReplicas"], where, f"{what} spec.maxReplicas", low=1)
    if low > high:
        raise ManifestError(
            f"{where}: {what} spec.minReplicas={low} is above spec.maxReplicas={high}; "
            "lower minReplicas or raise maxReplicas"
        )
    hpa: dict[str, Any] = {"min_replicas": low, "max_replicas": high}
    if api == "autoscaling/v1":
        field = f"{what} spec.targetCPUUtilizationPercentage"
        if spec.get("targetCPUUtilizationPercentage") is None:
            percent: int | None = _DEFAULT_CPU_PERCENT
            taken.append(f"targetCPUUtilizationPercentage {_DEFAULT_CPU_PERCENT}")
        else:
            percent = whole(spec["targetCPUUtilizationPercentage"], where, field, low=1)
        for key in ("metrics", "behavior"):
            if key in spec:
                notes.append(
                    f"{where}: {what} spec.{key} is not a field of autoscaling/v1: ignored "
                    "(write the HPA as autoscaling/v2 to use it)."
                )
        behavior: dict[str, Any] = {}
    else:
        percent = _cpu_percent(spec, where, what, notes, taken)
        behavior = mapping(spec.get("behavior"), where, f"{what} spec.behavior")
    if percent is not None:
        hpa["target_utilization"] = percent / 100
    for key, direction in (("scale_up", "scaleUp"), ("scale_down", "scaleDown")):
        hpa[key] = _rules(behavior.get(direction), direction, where, what, taken, notes)
    if taken:
        notes.append(
            f"{what} of {chosen.kind} {chosen.name!r}: Kubernetes' defaults taken for "
            f"{', '.join(taken)}."
        )
    target = "" if percent is None else f" at {percent}% CPU utilisation"
    bound = min(max(replicas, low), high)
    outside = (
        "" if bound == replicas else f"; the HPA moves spec.replicas {replicas} to {bound} at once"
    )
    notes.append(
        f"{what} scales {chosen.kind} {chosen.name!r} between {low} and {high} replicas"
        f"{target}: reported in hpa, not a scenario input (instances stays {replicas}"
        f"{outside})."
    )
    return hpa


def _cpu_percent(
    spec: dict[str, Any], where: str, what: str, notes: list[str], taken: list[str]
) -> int | None:
    """The averageUtilization [%] of the first CPU Utilization Resource metric; None if none."""
    metrics = spec.get("metrics")
    if metrics is None or metrics == []:
        taken.append(f"metrics (CPU averageUtilization {_DEFAULT_CPU_PERCENT}%)")
        return _DEFAULT_CPU_PERCENT
    if not isinstance(metrics, list):
        raise ManifestError(
            f"{where}: {what} spec.metrics is not a list; write one '- type: Resource' entry "
            "per metric"
        )
    percent = None
    others = []
    for i, metric in enumerate(metrics):
        field = f"{what} spec.metrics[{i}]"
        metric = mapping(metric, where, field)
        kind = metric.get("type")
        if kind not in _METRIC_SOURCES:
            raise ManifestError(
                f"{where}: {field}.type={kind!r} is not valid; use "
                f"{', '.join(list(_METRIC_SOURCES)[:-1])} or {list(_METRIC_SOURCES)[-1]}"
            )
        source = mapping(
            metric.get(_METRIC_SOURCES[kind]), where, f"{field}.{_METRIC_SOURCES[kind]}"
        )
        target = mapping(source.get("target"), where, f"{field}.{_METRIC_SOURCES[kind]}.target")
        if kind == "Resource" and source.get("name") == "cpu" and percent is None:
            if target.get("type") == "Utilization":
                percent = whole(
                    target.get("averageUtilization"),
                    where,
                    f"{field}.resource.target.averageUtilization",
                    low=1,
                )
                continue
        if kind in ("Resource", "ContainerResource"):
            name = source.get("name")
        else:
            name = mapping(source.get("metric"), where, f"{field}.{_METRIC_SOURCES[kind]}.metric")
            name = name.get("name")
        others.append(f"{kind} {name!r} ({target.get('type')})")
    if others:
        consequence = (
            "the HPA also scales on them, taking the largest recommendation"
            if percent is not None
            else "no target_utilization is given"
        )
        notes.append(
            f"{where}: {what} metrics {', '.join(others)} are not modelled (haplan models one "
            f"CPU Resource Utilization target): {consequence}."
        )
    return percent


def _rules(
    value: Any, direction: str, where: str, what: str, taken: list[str], notes: list[str]
) -> dict[str, Any]:
    """One direction of ``spec.behavior``, each unset field from the defaults [1], [3]."""
    default = _DEFAULT_RULES[direction]
    if value is None:
        taken.append(f"behavior.{direction} ({_describe(default)})")
        return {**default, "policies": list(default["policies"])}
    field = f"{what} spec.behavior.{direction}"
    rules = mapping(value, where, field)
    result: dict[str, Any] = {}
    window = rules.get("stabilizationWindowSeconds")
    if window is None:
        result["stabilization_window_s"] = default["stabilization_window_s"]
        taken.append(
            f"behavior.{direction}.stabilizationWindowSeconds {default['stabilization_window_s']}"
        )
    else:
        result["stabilization_window_s"] = _bounded(
            window, where, f"{field}.stabilizationWindowSeconds", 0, _MAX_WINDOW_S
        )
    select = rules.get("selectPolicy")
    if select is None:
        result["select_policy"] = default["select_policy"]
        taken.append(f"behavior.{direction}.selectPolicy {default['select_policy']}")
    elif select not in _SELECT_POLICIES:
        raise ManifestError(
            f"{where}: {field}.selectPolicy={select!r} is not valid; use Max, Min or Disabled"
        )
    else:
        result["select_policy"] = select
    policies = rules.get("policies")
    if policies is None:
        result["policies"] = list(default["policies"])
        taken.append(f"behavior.{direction}.policies ({_policies(default['policies'])})")
    else:
        result["policies"] = _read_policies(policies, where, f"{field}.policies")
    if rules.get("tolerance") is not None:
        notes.append(
            f"{where}: {field}.tolerance is not read: the controller's tolerance is a "
            "simulation setting (simulate_hpa's tolerance=)."
        )
    return result


def _read_policies(policies: Any, where: str, field: str) -> list[tuple[str, int, int]]:
    if not isinstance(policies, list) or not policies:
        raise ManifestError(
            f"{where}: {field} is not a non-empty list; list at least one policy "
            "('- {type: Pods, value: 4, periodSeconds: 15}') or leave the field out for "
            "Kubernetes' default"
        )
    read = []
    for i, policy in enumerate(policies):
        item = f"{field}[{i}]"
        policy = mapping(policy, where, item)
        kind = policy.get("type")
        if kind not in _POLICY_TYPES:
            raise ManifestError(f"{where}: {item}.type={kind!r} is not valid; use Pods or Percent")
        number = whole(policy.get("value"), where, f"{item}.value", low=1)
        period = _bounded(
            policy.get("periodSeconds"), where, f"{item}.periodSeconds", 1, _MAX_PERIOD_S
        )
        read.append((kind, number, period))
    return read


def _bounded(value: Any, where: str, what: str, low: int, high: int) -> int:
    number = whole(value, where, what, low=low)
    if number > high:
        raise ManifestError(
            f"{where}: {what}={number} is above {high}; write a whole number from {low} to {high}"
        )
    return number


def _policies(policies: list[tuple[str, int, int]]) -> str:
    return ", ".join(f"{kind} {value} per {period} s" for kind, value, period in policies)


def _describe(rules: dict[str, Any]) -> str:
    return (
        f"window {rules['stabilization_window_s']} s; {_policies(rules['policies'])}; "
        f"select {rules['select_policy']}"
    )
