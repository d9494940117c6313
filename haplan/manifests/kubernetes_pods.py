"""The pod template of a Kubernetes workload: probes, tolerations, placement, resources.

The readiness probe gives the recovery overrides ``probe_initial_delay_s``, ``probe_period_s``
and ``probe_success_threshold``; a NoExecute toleration of the unreachable taint gives
``eviction_s``. The liveness probe, probe timeouts and failure thresholds and the termination
grace period are reported, not modelled. topologySpreadConstraints and podAntiAffinity terms
that select the workload's own pods give its placement rules, and ``zones`` when a required
zone spread demands a number of zones. Container resources are reported in cores and bytes.

References
----------
.. [1] Kubernetes API, core/v1 Probe (initialDelaySeconds 0, periodSeconds 10, timeoutSeconds
   1, successThreshold 1, failureThreshold 3) and PodSpec (terminationGracePeriodSeconds 30).
   github.com/kubernetes/api, core/v1/types.go.
.. [2] "Taints and Tolerations", section "Taint based evictions":
   kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/.
.. [3] "Pod Topology Spread Constraints", section "Internal default constraints":
   hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
   kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/.
.. [4] Kubernetes resource quantities: k8s.io/apimachinery/pkg/api/resource, quantity.go.
"""

from __future__ import annotations

import math
from typing import Any

from haplan.manifests.documents import ManifestError, Workload, mapping, sequence, whole
from haplan.manifests.selectors import selector_matches
from haplan.manifests.units import parse_quantity

# Kubernetes defaults, core/v1 Probe and PodSpec [1].
_PROBE_DEFAULTS = {
    "initialDelaySeconds": 0,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "successThreshold": 1,
    "failureThreshold": 3,
}
_TERMINATION_GRACE_DEFAULT_S = 30.0


_HOSTNAME_KEYS = ("kubernetes.io/hostname",)
_ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


def _probe_values(probe: Any, where: str, what: str) -> dict[str, int]:
    probe = mapping(probe, where, what)
    values = {}
    for key, default in _PROBE_DEFAULTS.items():
        low = 0 if key == "initialDelaySeconds" else 1
        values[key] = whole(probe.get(key, default), where, f"{what}.{key}", low=low)
    return values


def kubernetes_probes(
    pod_spec: dict[str, Any], kind: str, name: str, where: str, notes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    containers = pod_spec["containers"]
    readiness = []
    liveness = []
    for container in containers:
        container = mapping(container, where, "a container")
        cname = container.get("name", "?")
        if container.get("readinessProbe") is not None:
            probe = _probe_values(container["readinessProbe"], where, f"{cname}.readinessProbe")
            readiness.append((cname, probe))
        if container.get("livenessProbe") is not None:
            probe = _probe_values(container["livenessProbe"], where, f"{cname}.livenessProbe")
            liveness.append((cname, probe))
        if container.get("startupProbe") is not None:
            notes.append(
                f"Container {cname!r} has a startupProbe: readiness checks start only after it "
                "succeeds; that wait is not included in the readiness time."
            )
    details: dict[str, Any] = {}
    if readiness:
        # The pod is ready when its slowest container is: largest initialDelay + period × success.
        def ready_at(item):
            p = item[1]
            return p["initialDelaySeconds"] + p["periodSeconds"] * p["successThreshold"]

        cname, probe = max(readiness, key=ready_at)
        overrides = {
            "probe_initial_delay_s": float(probe["initialDelaySeconds"]),
            "probe_period_s": float(probe["periodSeconds"]),
            "probe_success_threshold": probe["successThreshold"],
        }
        details["readiness_timeout_s"] = float(probe["timeoutSeconds"])
        details["readiness_failure_threshold"] = probe["failureThreshold"]
        which = f"container {cname!r}'s" if len(containers) > 1 else "the"
        notes.append(
            f"Readiness: {which} readinessProbe (initialDelaySeconds "
            f"{probe['initialDelaySeconds']}, periodSeconds {probe['periodSeconds']}, "
            f"successThreshold {probe['successThreshold']}; Kubernetes defaults where absent)."
        )
    else:
        overrides = {
            "probe_initial_delay_s": 0.0,
            "probe_period_s": 0.0,
            "probe_success_threshold": 0,
        }
        notes.append(
            f"{kind} {name!r} has no readinessProbe: a pod counts as ready as soon as its "
            "containers start (no readiness wait)."
        )
    if liveness:
        # The liveness probe that notices a hung container last sets the detection time.
        def detect_after(item):
            p = item[1]
            return p["initialDelaySeconds"] + p["periodSeconds"] * p["failureThreshold"]

        cname, probe = max(liveness, key=detect_after)
        details.update(
            liveness_initial_delay_s=float(probe["initialDelaySeconds"]),
            liveness_period_s=float(probe["periodSeconds"]),
            liveness_timeout_s=float(probe["timeoutSeconds"]),
            liveness_failure_threshold=probe["failureThreshold"],
        )
    else:
        notes.append(
            f"{kind} {name!r} has no livenessProbe: a hung container that does not exit is "
            "not restarted (only crashes are)."
        )
    _toleration_overrides(pod_spec, where, name, overrides, notes)
    grace = pod_spec.get("terminationGracePeriodSeconds")
    if grace is None:
        details["termination_grace_period_s"] = _TERMINATION_GRACE_DEFAULT_S
    else:
        details["termination_grace_period_s"] = float(
            whole(grace, where, "terminationGracePeriodSeconds")
        )
    return overrides, details


_UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def _toleration_overrides(pod_spec, where, name, overrides, notes) -> None:
    """A NoExecute toleration of the unreachable taint sets how long pods stay bound to a
    failed node (``eviction_s``); without one, the API server's default 300 s applies.

    Source: Kubernetes docs, concepts/scheduling-eviction/taint-and-toleration ("taint based
    evictions"); a toleration without ``tolerationSeconds`` keeps the pod bound for ever.
    """
    tolerations = sequence(pod_spec.get("tolerations"), where, "spec.template.spec.tolerations")
    for toleration in tolerations:
        toleration = mapping(toleration, where, "a toleration")
        key, effect = toleration.get("key"), toleration.get("effect")
        if effect not in (None, "NoExecute"):
            continue
        if key not in (_UNREACHABLE_TAINT, None) or (
            key is None and toleration.get("operator") != "Exists"
        ):
            continue
        seconds = toleration.get("tolerationSeconds")
        if seconds is None:
            overrides["eviction_s"] = math.inf
            notes.append(
                f"{name!r} tolerates {_UNREACHABLE_TAINT} with no tolerationSeconds: its pods "
                "are never evicted from a failed node, so they come back only with the node."
            )
        else:
            overrides["eviction_s"] = float(whole(seconds, where, "tolerationSeconds"))
            notes.append(
                f"{name!r} tolerates {_UNREACHABLE_TAINT} for {seconds} s: pods leave a failed "
                "node after that instead of the default 300 s."
            )
        return


def _topology_target(key: Any, where: str) -> str:
    if not isinstance(key, str) or not key:
        raise ManifestError(
            f"{where}: a spread or anti-affinity rule has topologyKey={key!r}; set it, e.g. "
            "kubernetes.io/hostname or topology.kubernetes.io/zone"
        )
    if key in _HOSTNAME_KEYS:
        return "nodes"
    if key in _ZONE_KEYS:
        return "zones"
    return key


def kubernetes_placement(
    pod_spec: dict[str, Any], chosen: Workload, replicas: int, notes: list[str]
) -> tuple[list[dict[str, Any]], int | None]:
    where, name = chosen.where, chosen.name
    rules: list[dict[str, Any]] = []
    zones_needed: list[tuple[int, str]] = []

    def own_pods(selector: Any) -> bool:
        if selector is None:  # a null labelSelector selects no pods
            return False
        return selector_matches(mapping(selector, where, "labelSelector"), chosen.pod_labels, where)

    for constraint in sequence(
        pod_spec.get("topologySpreadConstraints"), where, "topologySpreadConstraints"
    ):
        constraint = mapping(constraint, where, "a topologySpreadConstraint")
        key = constraint.get("topologyKey")
        if not own_pods(constraint.get("labelSelector")):
            notes.append(f"A topologySpreadConstraint on {key!r} spreads other pods; ignored.")
            continue
        required = constraint.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
        rule = {
            "over": _topology_target(key, where),
            "topology_key": key,
            "rule": "topologySpreadConstraints",
            "required": required,
            "max_skew": whole(constraint.get("maxSkew"), where, "maxSkew", low=1),
        }
        if constraint.get("minDomains") is not None:
            rule["min_domains"] = whole(constraint["minDomains"], where, "minDomains", low=1)
            if required and rule["over"] == "zones":
                zones_needed.append((rule["min_domains"], "minDomains of the required zone spread"))
        rules.append(rule)

    anti = mapping(
        mapping(pod_spec.get("affinity"), where, "affinity").get("podAntiAffinity"),
        where,
        "podAntiAffinity",
    )
    required_key = "requiredDuringSchedulingIgnoredDuringExecution"
    preferred_key = "preferredDuringSchedulingIgnoredDuringExecution"
    terms = [
        (t, True)
        for t in sequence(anti.get(required_key), where, f"podAntiAffinity.{required_key}")
    ]
    terms += [
        (mapping(t, where, "a preferred term").get("podAffinityTerm"), False)
        for t in sequence(anti.get(preferred_key), where, f"podAntiAffinity.{preferred_key}")
    ]
    for term, required in terms:
        term = mapping(term, where, "a podAntiAffinity term")
        key = term.get("topologyKey")
        if not own_pods(term.get("labelSelector")):
            notes.append(f"A podAntiAffinity term on {key!r} keeps away other pods; ignored.")
            continue
        rule = {
            "over": _topology_target(key, where),
            "topology_key": key,
            "rule": "podAntiAffinity",
            "required": required,
            "max_per_domain": 1,
        }
        if required and rule["over"] == "zones":
            zones_needed.append((replicas, "required podAntiAffinity: one pod per zone"))
        rules.append(rule)

    for rule in rules:
        strength = "required" if rule["required"] else "preferred"
        if rule["rule"] == "podAntiAffinity":
            what = f"at most one pod per {rule['topology_key']} domain ({strength})"
        else:
            what = f"maxSkew {rule['max_skew']} over {rule['topology_key']} ({strength})"
        notes.append(f"Placement of {name!r}: {what}.")
    if not rules:
        notes.append(
            f"{chosen.kind} {name!r} sets no topologySpreadConstraints or podAntiAffinity: the "
            "scheduler's default spreading (hostname maxSkew 3, zone maxSkew 5, both "
            "ScheduleAnyway) is assumed to place instances as evenly as haplan's model does."
        )
    elif not any(r["over"] == "zones" for r in rules):
        notes.append("No zone spread is set: zones are not given by the manifests.")
    zones = None
    if zones_needed:
        zones, reason = max(zones_needed)
        notes.append(
            f"zones = {zones} ({reason}): on fewer zones not every replica can be scheduled."
        )
    elif any(r["over"] == "zones" for r in rules):
        notes.append(
            "A zone spread is set but demands no number of zones: pass zones for the "
            "cluster's zone count."
        )
    return rules, zones


def kubernetes_resources(pod_spec: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    rows = []
    for container in pod_spec["containers"]:
        container = mapping(container, where, "a container")
        resources = mapping(container.get("resources"), where, "resources")
        requests = mapping(resources.get("requests"), where, "resources.requests")
        limits = mapping(resources.get("limits"), where, "resources.limits")
        row: dict[str, Any] = {"workload": name, "container": container.get("name", "?")}
        for column, table, key in (
            ("cpu_request_cores", requests, "cpu"),
            ("cpu_limit_cores", limits, "cpu"),
            ("memory_request_bytes", requests, "memory"),
            ("memory_limit_bytes", limits, "memory"),
        ):
            value = table.get(key)
            try:
                row[column] = None if value is None else parse_quantity(value)
            except ValueError as error:
                raise ManifestError(
                    f"{where}: container {row['container']!r} {key}: {error}"
                ) from None
        rows.append(row)
    return rows
