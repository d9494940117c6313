"""Read Kubernetes manifests and Docker compose / swarm stack files into scenario inputs.

Users describe a service in the files they deploy, not in haplan's vocabulary. This module
reads those files (YAML, one or many documents per file, ``yaml.safe_load_all`` only) and
maps what they say onto the shared inputs:

========================================  =================================================
manifest                                  haplan
========================================  =================================================
Deployment / StatefulSet ``spec.replicas``  ``instances`` (Kubernetes' default 1 if absent)
PodDisruptionBudget ``minAvailable``        ``min_instances`` = the number, or
                                            ceil(p % × replicas)
PodDisruptionBudget ``maxUnavailable``      ``min_instances`` = replicas − the number, or
                                            replicas − ceil(p % × replicas), at least 0
readinessProbe                              recovery overrides ``probe_initial_delay_s``,
                                            ``probe_period_s``, ``probe_success_threshold``
podAntiAffinity / topologySpreadConstraints  ``placement`` (and ``zones`` when a zone spread
                                            demands a number of zones)
compose ``deploy.replicas``                 ``instances``; ``orchestrator`` = ``swarm``
compose ``deploy.restart_policy``           recovery overrides ``restart_delay_s``,
                                            ``eviction_s``, ``restart_attempts``
compose ``healthcheck``                     the readiness probe overrides
========================================  =================================================

Everything else a manifest says that matters to a reader (liveness probes, probe timeouts
and failure thresholds, grace periods, restart windows, container resources, Services) is
reported, not modelled. The recovery overrides are :class:`haplan.recovery.RecoveryPipeline`
field names, so ``haplan.recovery.preset(orchestrator, **inputs.recovery_overrides)`` applies
them. Every assumption made along the way is written to ``ManifestInputs.notes``.

A file that cannot be used raises :class:`ManifestError` (a ``ValueError``) with one line:
the file, what is wrong and how to fix it.

References
----------
.. [1] Kubernetes API, apps/v1 DeploymentSpec and StatefulSetSpec (``replicas`` defaults to
   1); core/v1 Probe (initialDelaySeconds 0, periodSeconds 10, timeoutSeconds 1,
   successThreshold 1, failureThreshold 3) and PodSpec (terminationGracePeriodSeconds 30).
   github.com/kubernetes/api, apps/v1/types.go and core/v1/types.go.
.. [2] Kubernetes disruption controller, ``getExpectedPodCount``: both ``minAvailable`` and
   ``maxUnavailable`` percentages are scaled with
   ``intstr.GetScaledValueFromIntOrPercent(..., roundUp=true)``, and
   desiredHealthy = expected − maxUnavailable is clamped at 0.
   github.com/kubernetes/kubernetes, pkg/controller/disruption/disruption.go.
.. [3] "Specifying a Disruption Budget for your Application", section "Rounding logic when
   specifying percentages": 7 pods with minAvailable "50%" need 4 available.
   kubernetes.io/docs/tasks/run-application/configure-pdb/.
.. [4] "Pod Topology Spread Constraints", section "Internal default constraints":
   hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
   kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/.
.. [5] Compose file reference, ``deploy`` (replicas default 1; restart_policy condition
   default ``any``, max_attempts default unlimited, window default 0) and ``healthcheck``;
   docs.docker.com/reference/compose-file/deploy/. Swarm's task restart delay default 5 s
   and stop grace period 10 s: github.com/moby/swarmkit, api/defaults/service.go.
.. [6] Dockerfile reference, HEALTHCHECK: interval 30 s, timeout 30 s, start period 0 s,
   retries 3; the first check runs one interval after the container starts.
.. [7] Kubernetes resource quantities (``500m``, ``128Mi``, ``1G``, ``1e3``):
   k8s.io/apimachinery/pkg/api/resource, quantity.go. Compose memory sizes (``512m``,
   ``1g``) are binary multiples: github.com/docker/go-units, ``RAMInBytes``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from haplan.scenario import Scenario

__all__ = [
    "ManifestError",
    "ManifestInputs",
    "read_manifests",
    "scenario_from_manifests",
    "parse_quantity",
    "parse_duration_s",
    "parse_compose_memory",
]

#: Kubernetes kinds that become a workload (instances, probes, placement).
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
#: Kubernetes kinds read and reported that give no inputs of their own.
SUPPORTING_KINDS = ("PodDisruptionBudget", "Service")
#: Kubernetes kinds that commonly sit beside a workload; accepted and ignored with a note.
IGNORED_KINDS = (
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Ingress",
    "NetworkPolicy",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
)

# Kubernetes defaults, core/v1 Probe and PodSpec [1].
_PROBE_DEFAULTS = {
    "initialDelaySeconds": 0,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "successThreshold": 1,
    "failureThreshold": 3,
}
_TERMINATION_GRACE_DEFAULT_S = 30.0

# Docker defaults: HEALTHCHECK [6]; swarm restart delay and stop grace period [5].
_HEALTHCHECK_DEFAULTS = {"interval": 30.0, "timeout": 30.0, "start_period": 0.0, "retries": 3}
_SWARM_RESTART_DELAY_S = 5.0
_SWARM_STOP_GRACE_S = 10.0

_HOSTNAME_KEYS = ("kubernetes.io/hostname",)
_ZONE_KEYS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


class ManifestError(ValueError):
    """A manifest that cannot be read or mapped; the message is one line naming the file."""


@dataclass(frozen=True)
class ManifestInputs:
    """What a set of manifests says about one workload, in haplan's vocabulary.

    Attributes
    ----------
    scenario_values : dict
        Scenario inputs the manifests determine: ``instances`` [count], ``orchestrator``, and
        when given ``min_instances`` [count] and ``zones`` [count].
    recovery_overrides : dict
        :class:`haplan.recovery.RecoveryPipeline` fields the manifests determine (times [s]).
    recovery_details : dict
        Recovery-related settings reported but not modelled (liveness probe, probe timeouts and
        failure thresholds, termination grace period, restart condition and window) [s, count].
    placement : list of dict
        Spread rules of the workload's own pods: ``over`` (``nodes``, ``zones`` or the
        topology key), ``rule``, ``required``, ``max_skew`` / ``max_per_domain`` when known.
    resources : list of dict
        One dict per container: ``cpu_request_cores``, ``cpu_limit_cores`` [cores],
        ``memory_request_bytes``, ``memory_limit_bytes`` [bytes]; None where not set.
    services : list of dict
        Kubernetes Services: name, type, ports, selector and the workloads they select.
    workload_name, workload_kind, source : str
        The workload the inputs describe and the file it came from.
    notes : list of str
        Assumptions made, one human-readable sentence each.
    """

    scenario_values: dict[str, Any]
    recovery_overrides: dict[str, Any]
    recovery_details: dict[str, Any]
    placement: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    services: list[dict[str, Any]]
    workload_name: str
    workload_kind: str
    source: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Workload:
    name: str
    kind: str  # "Deployment", "StatefulSet" or "compose service"
    where: str  # "web.yaml (document 2)" for messages
    path: Path
    namespace: str
    body: dict[str, Any]  # the whole Kubernetes object, or the compose service mapping
    pod_labels: dict[str, str]


@dataclass
class _Parsed:
    workloads: list[_Workload] = field(default_factory=list)
    pdbs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    services: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- public API --------------------------------------------------------------------------------


def read_manifests(
    paths: str | Path | Iterable[str | Path], *, workload: str | None = None
) -> ManifestInputs:
    """Read Kubernetes manifests and/or compose stack files into the inputs of one workload.

    Parameters
    ----------
    paths : path or iterable of paths
        YAML files; each may hold several documents (``---``). Kubernetes kinds read:
        Deployment, StatefulSet, PodDisruptionBudget, Service (others in ``IGNORED_KINDS``
        are skipped with a note). A document with a top-level ``services:`` mapping is a
        Docker compose / swarm stack file; each of its services is a workload.
    workload : str, optional
        Name of the workload to describe when the files hold several.

    Returns
    -------
    ManifestInputs

    Raises
    ------
    ManifestError
        A file that does not exist or is not valid YAML, an unknown kind, no workload or
        several without ``workload=``, a PodDisruptionBudget that selects no workload, a
        ``minAvailable`` above the replicas, or a value Kubernetes/Docker would reject.
    """
    path_list = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not path_list:
        raise ManifestError("no manifest files given; pass at least one YAML file")
    parsed = _Parsed()
    for path in path_list:
        for index, document in _load_documents(path):
            _classify(parsed, path, index, document)
    _check_pdbs_select_something(parsed)
    chosen = _select_workload(parsed.workloads, path_list, workload)
    notes = list(parsed.notes)
    if chosen.kind == "compose service":
        return _compose_inputs(chosen, notes)
    return _kubernetes_inputs(chosen, parsed, notes)


def scenario_from_manifests(
    paths: str | Path | Iterable[str | Path],
    base: Scenario | None = None,
    *,
    workload: str | None = None,
    **overrides: Any,
) -> tuple[Scenario, ManifestInputs]:
    """Build a Scenario from manifests: ``base`` < what the manifests say < ``overrides``.

    Parameters
    ----------
    paths : path or iterable of paths
        As for :func:`read_manifests`.
    base : Scenario, optional
        Inputs the manifests do not give (nodes, failure rates, request rate…);
        ``Scenario.default()`` when omitted.
    workload : str, optional
        As for :func:`read_manifests`.
    **overrides
        Scenario inputs that win over the manifests (e.g. ``nodes=5`` from the command
        line); None values are ignored.

    Returns
    -------
    (Scenario, ManifestInputs)
        The scenario is named after the workload unless ``name`` is overridden.

    Raises
    ------
    ManifestError
        As :func:`read_manifests`, or when the combined inputs are invalid (e.g. a PDB's
        ``min_instances`` above an overridden ``instances``, ``zones`` above ``nodes``, or a
        required one-pod-per-node anti-affinity on fewer nodes than instances).
    """
    inputs = read_manifests(paths, workload=workload)
    base = Scenario.default() if base is None else base
    overrides = {k: v for k, v in overrides.items() if v is not None}
    values: dict[str, Any] = {"name": inputs.workload_name, **inputs.scenario_values}
    if "replicas" in overrides and "instances" not in overrides:
        values.pop("instances")  # R per node given by the user: C = N x R, not the manifest's
    values.update(overrides)
    try:
        scenario = base.with_overrides(**values)
    except ValueError as error:
        raise ManifestError(
            f"{inputs.source}: workload {inputs.workload_name!r} gives "
            f"{_describe(inputs.scenario_values)}, which does not fit the other inputs: {error}"
        ) from None
    for rule in inputs.placement:
        per_node = rule.get("max_per_domain")
        if rule["over"] == "nodes" and rule["required"] and per_node is not None:
            needed = math.ceil(scenario.instances / per_node)
            if scenario.nodes < needed:
                raise ManifestError(
                    f"{inputs.source}: workload {inputs.workload_name!r} allows at most "
                    f"{per_node} instance(s) per node ({rule['rule']}), so its "
                    f"{scenario.instances} instances need at least {needed} nodes but "
                    f"nodes={scenario.nodes}; add nodes or relax the rule"
                )
    return scenario, inputs


# -- value parsers -----------------------------------------------------------------------------

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]))?"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_EXPONENT = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(value: Any) -> float:
    """Parse a Kubernetes resource quantity: ``"500m"`` → 0.5, ``"128Mi"`` → 134217728.

    Parameters
    ----------
    value : str or number
        A quantity as Kubernetes writes it: a number with an optional binary suffix
        (Ki, Mi, Gi, Ti, Pi, Ei: powers of 1024), decimal suffix (n, u, m, k, M, G, T, P, E:
        powers of 1000) or exponent (``1e3``). CPU quantities are in cores, memory in bytes.

    Returns
    -------
    float
        The quantity in base units [cores or bytes], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a valid non-negative quantity.

    References
    ----------
    k8s.io/apimachinery/pkg/api/resource, quantity.go (the serialization format).
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"quantity {value!r} is not valid: write e.g. 500m, 2, 128Mi or 1G")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _QUANTITY.fullmatch(str(value).strip())
        if not match:
            raise ValueError(f"quantity {value!r} is not valid: write e.g. 500m, 2, 128Mi or 1G")
        number = float(match["number"])
        if match["binary"]:
            number *= _BINARY[match["binary"]]
        elif match["exponent"] or match["decimal"]:
            exponent = (
                int(match["exponent"][1:])
                if match["exponent"]
                else _DECIMAL_EXPONENT[match["decimal"]]
            )
            # Divide for negative powers so that 100m is exactly the float nearest 0.1.
            number = number * 10.0**exponent if exponent >= 0 else number / 10.0**-exponent
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"quantity {value!r} is not valid: must be a finite number >= 0")
    return number


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNIT_S = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration_s(value: Any) -> float:
    """Parse a compose / Go duration: ``"5s"`` → 5.0, ``"1m30s"`` → 90.0, ``"250ms"`` → 0.25.

    Parameters
    ----------
    value : str or 0
        A sequence of numbers each with a unit (ns, us, ms, s, m, h), as Go's
        ``time.ParseDuration`` and the compose specification write durations; a bare
        ``0`` is accepted.

    Returns
    -------
    float
        The duration [s], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a duration (a bare number other than 0 has no unit).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    text = value.strip() if isinstance(value, str) else ""
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match[1]) * _DURATION_UNIT_S[match[2]]
        position = match.end()
    if not text or position != len(text):
        raise ValueError(
            f"duration {value!r} is not valid: write numbers with units (h, m, s, ms), "
            "e.g. '5s' or '1m30s'"
        )
    return total


_COMPOSE_MEMORY = re.compile(r"(\d+(?:\.\d+)?) ?([kmgtp])?i?b?", re.IGNORECASE)


def parse_compose_memory(value: Any) -> float:
    """Parse a compose memory size: ``"512m"`` → 536870912, ``"1g"`` → 1073741824.

    Parameters
    ----------
    value : str or int
        A number of bytes, or a number with a unit b, k, m, g, t, p (optionally followed by
        ``b`` or ``ib``; case-insensitive); every unit is a power of 1024, as Docker reads it.

    Returns
    -------
    float
        The size [bytes], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a size.

    References
    ----------
    github.com/docker/go-units, ``RAMInBytes`` (binary multiples for k, m, g, t, p).
    """
    if not isinstance(value, bool) and isinstance(value, int) and value >= 0:
        return float(value)
    match = _COMPOSE_MEMORY.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"memory size {value!r} is not valid: write e.g. 512m or 1g")
    power = " kmgtp".index(match[2].lower()) if match[2] else 0
    return float(match[1]) * 1024.0**power


# -- loading and classifying -------------------------------------------------------------------


def _load_documents(path: Path) -> list[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a directory; pass the YAML files in it") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot be read ({error}); pass a UTF-8 YAML file") from None
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ManifestError(
            f"{path}: is not valid YAML{where}: {problem}; fix the indentation or quoting there"
        ) from None
    return [(i, doc) for i, doc in enumerate(documents, start=1) if doc is not None]


def _where(path: Path, index: int) -> str:
    return f"{path} (document {index})"


def _classify(parsed: _Parsed, path: Path, index: int, document: Any) -> None:
    where = _where(path, index)
    if not isinstance(document, dict):
        raise ManifestError(
            f"{where}: is a {type(document).__name__}, not a mapping; a manifest document "
            "starts with 'apiVersion:' and 'kind:', a stack file with 'services:'"
        )
    kind = document.get("kind")
    if kind is None:
        if isinstance(document.get("services"), dict):
            _add_compose_services(parsed, path, where, document["services"])
            return
        raise ManifestError(
            f"{where}: has no 'kind' and no 'services' mapping; add the Kubernetes kind "
            "(e.g. 'kind: Deployment') or use a compose file with 'services:'"
        )
    name = _metadata(document).get("name")
    if kind in WORKLOAD_KINDS:
        parsed.workloads.append(_kubernetes_workload(path, where, document))
    elif kind == "PodDisruptionBudget":
        parsed.pdbs.append((where, document))
    elif kind == "Service":
        parsed.services.append((where, document))
    elif kind in IGNORED_KINDS:
        parsed.notes.append(f"{where}: {kind} {name!r} ignored: it gives no planning inputs.")
    else:
        raise ManifestError(
            f"{where}: kind {kind!r} is not supported; haplan reads "
            f"{', '.join(WORKLOAD_KINDS + SUPPORTING_KINDS)} (and skips "
            f"{', '.join(IGNORED_KINDS)}); remove that document or describe the workload as a "
            "Deployment"
        )


def _metadata(document: dict[str, Any]) -> dict[str, Any]:
    metadata = document.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _mapping(value: Any, where: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: {what} is not a mapping; indent its fields under it")
    return value


def _kubernetes_workload(path: Path, where: str, document: dict[str, Any]) -> _Workload:
    kind = document["kind"]
    name = _metadata(document).get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{where}: {kind} has no metadata.name; give it a name")
    spec = _mapping(document.get("spec"), where, f"{kind} {name!r} spec")
    template = _mapping(spec.get("template"), where, f"{kind} {name!r} spec.template")
    labels = _mapping(_metadata(template).get("labels"), where, "spec.template.metadata.labels")
    pod_spec = _mapping(template.get("spec"), where, f"{kind} {name!r} spec.template.spec")
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        raise ManifestError(
            f"{where}: {kind} {name!r} has no spec.template.spec.containers; "
            "list at least one container"
        )
    namespace = _metadata(document).get("namespace") or "default"
    return _Workload(name, kind, where, path, str(namespace), document, dict(labels))


def _add_compose_services(parsed: _Parsed, path: Path, where: str, services: dict) -> None:
    for name, service in services.items():
        service = _mapping(service, where, f"compose service {name!r}")
        parsed.workloads.append(
            _Workload(str(name), "compose service", where, path, "", service, {})
        )


def _select_workload(
    workloads: list[_Workload], paths: list[Path], wanted: str | None
) -> _Workload:
    files = ", ".join(str(p) for p in paths)
    if not workloads:
        raise ManifestError(
            f"{files}: no workload found; add a Deployment, StatefulSet or a compose file "
            "with 'services:'"
        )
    listed = ", ".join(f"{w.name} ({w.kind}, {w.path})" for w in workloads)
    if wanted is not None:
        matches = [w for w in workloads if w.name == wanted]
        if len(matches) != 1:
            problem = "no workload" if not matches else "several workloads"
            raise ManifestError(f"{files}: {problem} named {wanted!r}; the files define {listed}")
        return matches[0]
    if len(workloads) > 1:
        raise ManifestError(
            f"{files}: {len(workloads)} workloads found ({listed}); choose one by name "
            "(--workload NAME on the command line, workload= in Python)"
        )
    return workloads[0]


# -- label selectors ---------------------------------------------------------------------------


def _selector_matches(selector: dict[str, Any], labels: dict[str, str], where: str) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a pod template's labels."""
    match_labels = _mapping(selector.get("matchLabels"), where, "selector.matchLabels")
    for key, value in match_labels.items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for expression in selector.get("matchExpressions") or []:
        expression = _mapping(expression, where, "a matchExpressions item")
        key = expression.get("key")
        operator = expression.get("operator")
        values = [str(v) for v in expression.get("values") or []]
        present = key in labels
        if operator == "In":
            ok = present and str(labels[key]) in values
        elif operator == "NotIn":
            ok = not present or str(labels[key]) not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:
            raise ManifestError(
                f"{where}: matchExpressions operator {operator!r} is not valid; use In, NotIn, "
                "Exists or DoesNotExist"
            )
        if not ok:
            return False
    return True


def _pdb_selects(pdb: dict[str, Any], workload: _Workload, where: str) -> bool:
    if workload.kind == "compose service":
        return False
    namespace = _metadata(pdb).get("namespace") or "default"
    if namespace != workload.namespace:
        return False
    selector = _mapping(pdb.get("spec"), where, "PodDisruptionBudget spec").get("selector")
    if selector is None:  # a null selector selects no pods (policy/v1)
        return False
    return _selector_matches(_mapping(selector, where, "spec.selector"), workload.pod_labels, where)


def _check_pdbs_select_something(parsed: _Parsed) -> None:
    for where, pdb in parsed.pdbs:
        if not any(_pdb_selects(pdb, w, where) for w in parsed.workloads):
            name = _metadata(pdb).get("name")
            selector = _mapping(pdb.get("spec"), where, "spec").get("selector")
            raise ManifestError(
                f"{where}: PodDisruptionBudget {name!r} selects no workload's pods "
                f"(selector {selector!r}); make spec.selector.matchLabels match the "
                "workload's spec.template.metadata.labels"
            )


# -- Kubernetes --------------------------------------------------------------------------------


def _whole(value: Any, where: str, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ManifestError(
            f"{where}: {what}={value!r} is not valid; write a whole number >= {low}"
        )
    return value


def _kubernetes_inputs(chosen: _Workload, parsed: _Parsed, notes: list[str]) -> ManifestInputs:
    where, name, kind = chosen.where, chosen.name, chosen.kind
    spec = chosen.body["spec"]
    pod_spec = spec["template"]["spec"]
    if spec.get("replicas") is None:
        replicas = 1
        notes.append(f"{kind} {name!r} sets no replicas: Kubernetes' default of 1 is used.")
    else:
        replicas = _whole(spec["replicas"], where, f"{kind} {name!r} spec.replicas")
        if replicas == 0:
            raise ManifestError(
                f"{where}: {kind} {name!r} has replicas: 0 (scaled to zero); "
                "give the number of replicas it runs in production"
            )
    values: dict[str, Any] = {"instances": replicas, "orchestrator": "kubernetes"}

    matching = [(w, pdb) for w, pdb in parsed.pdbs if _pdb_selects(pdb, chosen, w)]
    if len(matching) > 1:
        names = ", ".join(repr(_metadata(p).get("name")) for _, p in matching)
        raise ManifestError(
            f"{where}: {kind} {name!r} is selected by several PodDisruptionBudgets ({names}); "
            "Kubernetes refuses to evict such pods, keep one"
        )
    if matching:
        pdb_where, pdb = matching[0]
        min_instances, note = _pdb_min_instances(pdb, replicas, pdb_where)
        if min_instances is not None:
            values["min_instances"] = min_instances
        notes.append(note)
    else:
        notes.append(
            f"No PodDisruptionBudget selects {kind} {name!r}: min_instances is not set by the "
            "manifests (the base scenario's value is kept)."
        )

    overrides, details = _kubernetes_probes(pod_spec, kind, name, where, notes)
    placement, zones = _kubernetes_placement(pod_spec, chosen, replicas, notes)
    if zones is not None:
        values["zones"] = zones
    if kind == "StatefulSet":
        notes.append(
            f"StatefulSet {name!r}: a pod on an unreachable node is not replaced until the node "
            "is deleted or the pod force-deleted (at most one pod per identity), so node-failure "
            "recovery takes longer than the Deployment pipeline haplan models."
        )
    services = _kubernetes_services(parsed, notes)
    return ManifestInputs(
        scenario_values=values,
        recovery_overrides=overrides,
        recovery_details=details,
        placement=placement,
        resources=_kubernetes_resources(pod_spec, name, where),
        services=services,
        workload_name=name,
        workload_kind=kind,
        source=str(chosen.path),
        notes=notes,
    )


def _int_or_percent(value: Any, where: str, what: str) -> tuple[int, bool]:
    """(number, is_percent) from an IntOrString; percentages must be whole, as in Kubernetes."""
    if isinstance(value, str):
        match = re.fullmatch(r"(\d+)%", value.strip())
        if not match:
            raise ManifestError(
                f"{where}: {what}={value!r} is not valid; write a whole number or a whole "
                "percentage such as '80%'"
            )
        return int(match[1]), True
    return _whole(value, where, what), False


_PDB_AS_K = (
    "; the budget, which only limits voluntary evictions, is taken as the instances the "
    "service needs up"
)


def _pdb_min_instances(pdb: dict[str, Any], replicas: int, where: str) -> tuple[int | None, str]:
    """min_instances from a PDB, rounding percentages up as the disruption controller does [2]."""
    name = _metadata(pdb).get("name")
    spec = pdb["spec"]
    has_min, has_max = "minAvailable" in spec, "maxUnavailable" in spec
    if has_min and has_max:
        raise ManifestError(
            f"{where}: PodDisruptionBudget {name!r} sets both minAvailable and maxUnavailable; "
            "Kubernetes allows only one, keep one of them"
        )
    if has_min:
        number, percent = _int_or_percent(spec["minAvailable"], where, "minAvailable")
        if percent:
            if number > 100:
                raise ManifestError(
                    f"{where}: PodDisruptionBudget {name!r} minAvailable={number}% is above "
                    "100%; lower it"
                )
            k = -((-number * replicas) // 100)  # ceil(number % of replicas), exact in integers
            how = f"minAvailable {number}% of {replicas} replicas, rounded up"
        else:
            if number > replicas:
                raise ManifestError(
                    f"{where}: PodDisruptionBudget {name!r} minAvailable={number} is above the "
                    f"workload's {replicas} replicas; lower minAvailable or raise replicas"
                )
            k, how = number, f"minAvailable {number}"
        return k, f"PodDisruptionBudget {name!r}: min_instances = {k} ({how}){_PDB_AS_K}."
    if has_max:
        number, percent = _int_or_percent(spec["maxUnavailable"], where, "maxUnavailable")
        if percent:
            if number > 100:
                raise ManifestError(
                    f"{where}: PodDisruptionBudget {name!r} maxUnavailable={number}% is above "
                    "100%; lower it"
                )
            down = -((-number * replicas) // 100)
            how = f"{replicas} replicas − maxUnavailable {number}% rounded up to {down}"
        else:
            down, how = number, f"{replicas} replicas − maxUnavailable {number}"
        k = max(0, replicas - down)
        return k, (
            f"PodDisruptionBudget {name!r}: min_instances = {k} ({how}, at least 0){_PDB_AS_K}."
        )
    return None, (
        f"PodDisruptionBudget {name!r} sets neither minAvailable nor maxUnavailable: it "
        "protects nothing, min_instances is not set by it."
    )


def _probe_values(probe: Any, where: str, what: str) -> dict[str, int]:
    probe = _mapping(probe, where, what)
    values = {}
    for key, default in _PROBE_DEFAULTS.items():
        low = 0 if key == "initialDelaySeconds" else 1
        values[key] = _whole(probe.get(key, default), where, f"{what}.{key}", low=low)
    return values


def _kubernetes_probes(
    pod_spec: dict[str, Any], kind: str, name: str, where: str, notes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    containers = pod_spec["containers"]
    readiness = []
    liveness = []
    for container in containers:
        container = _mapping(container, where, "a container")
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
            _whole(grace, where, "terminationGracePeriodSeconds")
        )
    return overrides, details


_UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def _toleration_overrides(pod_spec, where, name, overrides, notes) -> None:
    """A NoExecute toleration of the unreachable taint sets how long pods stay bound to a
    failed node (``eviction_s``); without one, the API server's default 300 s applies.

    Source: Kubernetes docs, concepts/scheduling-eviction/taint-and-toleration ("taint based
    evictions"); a toleration without ``tolerationSeconds`` keeps the pod bound for ever.
    """
    tolerations = pod_spec.get("tolerations") or []
    if not isinstance(tolerations, list):
        raise ManifestError(f"{where}: spec.template.spec.tolerations must be a list")
    for toleration in tolerations:
        toleration = _mapping(toleration, where, "a toleration")
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
            overrides["eviction_s"] = float(_whole(seconds, where, "tolerationSeconds"))
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


def _kubernetes_placement(
    pod_spec: dict[str, Any], chosen: _Workload, replicas: int, notes: list[str]
) -> tuple[list[dict[str, Any]], int | None]:
    where, name = chosen.where, chosen.name
    rules: list[dict[str, Any]] = []
    zones_needed: list[tuple[int, str]] = []

    def own_pods(selector: Any) -> bool:
        if selector is None:  # a null labelSelector selects no pods
            return False
        return _selector_matches(
            _mapping(selector, where, "labelSelector"), chosen.pod_labels, where
        )

    for constraint in pod_spec.get("topologySpreadConstraints") or []:
        constraint = _mapping(constraint, where, "a topologySpreadConstraint")
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
            "max_skew": _whole(constraint.get("maxSkew"), where, "maxSkew", low=1),
        }
        if constraint.get("minDomains") is not None:
            rule["min_domains"] = _whole(constraint["minDomains"], where, "minDomains", low=1)
            if required and rule["over"] == "zones":
                zones_needed.append((rule["min_domains"], "minDomains of the required zone spread"))
        rules.append(rule)

    anti = _mapping(
        _mapping(pod_spec.get("affinity"), where, "affinity").get("podAntiAffinity"),
        where,
        "podAntiAffinity",
    )
    terms = [(t, True) for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []]
    terms += [
        (_mapping(t, where, "a preferred term").get("podAffinityTerm"), False)
        for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    ]
    for term, required in terms:
        term = _mapping(term, where, "a podAntiAffinity term")
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


def _kubernetes_resources(pod_spec: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    rows = []
    for container in pod_spec["containers"]:
        resources = _mapping(container.get("resources"), where, "resources")
        requests = _mapping(resources.get("requests"), where, "resources.requests")
        limits = _mapping(resources.get("limits"), where, "resources.limits")
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


def _kubernetes_services(parsed: _Parsed, notes: list[str]) -> list[dict[str, Any]]:
    services = []
    for where, document in parsed.services:
        spec = _mapping(document.get("spec"), where, "Service spec")
        selector = _mapping(spec.get("selector"), where, "Service spec.selector")
        namespace = _metadata(document).get("namespace") or "default"
        selected = [
            w.name
            for w in parsed.workloads
            if w.kind != "compose service"
            and w.namespace == namespace
            and selector
            and all(
                str(w.pod_labels.get(k)) == str(v) and k in w.pod_labels
                for k, v in selector.items()
            )
        ]
        ports = []
        for port in spec.get("ports") or []:
            port = _mapping(port, where, "a Service port")
            ports.append(
                {
                    "port": port.get("port"),
                    "target_port": port.get("targetPort", port.get("port")),
                    "protocol": port.get("protocol", "TCP"),
                    "node_port": port.get("nodePort"),
                }
            )
        name = _metadata(document).get("name")
        services.append(
            {
                "name": name,
                "type": spec.get("type", "ClusterIP"),
                "ports": ports,
                "selector": dict(selector),
                "workloads": selected,
            }
        )
        if selector and not selected:
            notes.append(f"Service {name!r} selects none of the workloads given.")
    return services


# -- Docker compose / swarm stack --------------------------------------------------------------


def _duration(value: Any, where: str, what: str) -> float:
    try:
        return parse_duration_s(value)
    except ValueError as error:
        raise ManifestError(f"{where}: {what}: {error}") from None


def _compose_inputs(chosen: _Workload, notes: list[str]) -> ManifestInputs:
    where, name, service = chosen.where, chosen.name, chosen.body
    deploy = _mapping(service.get("deploy"), where, f"service {name!r} deploy")
    what = f"service {name!r}"
    mode = deploy.get("mode", "replicated")
    if mode != "replicated":
        raise ManifestError(
            f"{where}: {what} deploy.mode={mode!r} is not supported (a global service runs one "
            "task per node); use mode: replicated with replicas"
        )
    if deploy.get("replicas") is not None:
        replicas = _whole(deploy["replicas"], where, f"{what} deploy.replicas", low=1)
    elif service.get("scale") is not None:
        replicas = _whole(service["scale"], where, f"{what} scale", low=1)
    else:
        replicas = 1
        notes.append(f"Compose {what} sets no deploy.replicas: the default of 1 is used.")
    values = {"instances": replicas, "orchestrator": "swarm"}

    overrides: dict[str, Any] = {}
    details: dict[str, Any] = {}
    policy = _mapping(deploy.get("restart_policy"), where, f"{what} deploy.restart_policy")
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
        delay = _duration(policy["delay"], where, f"{what} restart_policy.delay")
        # Swarm's restart supervisor delays both restarts and replacements of lost tasks.
        overrides.update(restart_delay_s=delay, eviction_s=delay)
    else:
        notes.append(
            f"Compose {what} sets no restart_policy.delay: swarm's default of "
            f"{_SWARM_RESTART_DELAY_S:g} s applies."
        )
    if "max_attempts" in policy:
        attempts = _whole(policy["max_attempts"], where, f"{what} restart_policy.max_attempts")
        overrides["restart_attempts"] = math.inf if attempts == 0 else attempts
    details["restart_window_s"] = _duration(
        policy.get("window", 0), where, f"{what} restart_policy.window"
    )

    health = _mapping(service.get("healthcheck"), where, f"{what} healthcheck")
    test = health.get("test")
    disabled = health.get("disable") is True or test in ("NONE", ["NONE"])
    if health and not disabled:
        hc = {
            key: _duration(health[key], where, f"{what} healthcheck.{key}")
            if key in health
            else default
            for key, default in _HEALTHCHECK_DEFAULTS.items()
            if key != "retries"
        }
        retries = _whole(
            health.get("retries", _HEALTHCHECK_DEFAULTS["retries"]),
            where,
            f"{what} healthcheck.retries",
            low=1,
        )
        period = hc["interval"]
        if hc["start_period"] > 0 and "start_interval" in health:
            period = _duration(
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
        notes.append(
            f"Compose {what} healthcheck: a task counts as ready after its first passing "
            f"check; first check {period:g} s after start, then every {period:g} s."
        )
    else:
        overrides.update(probe_initial_delay_s=0.0, probe_period_s=0.0, probe_success_threshold=0)
        notes.append(
            f"Compose {what} has no healthcheck: a task counts as ready when its container starts."
        )
    details["stop_grace_period_s"] = (
        _duration(service["stop_grace_period"], where, f"{what} stop_grace_period")
        if "stop_grace_period" in service
        else _SWARM_STOP_GRACE_S
    )

    placement = []
    rules = _mapping(deploy.get("placement"), where, f"{what} deploy.placement")
    if rules.get("max_replicas_per_node") is not None:
        per_node = _whole(rules["max_replicas_per_node"], where, "max_replicas_per_node", low=1)
        placement.append(
            {
                "over": "nodes",
                "topology_key": "node",
                "rule": "max_replicas_per_node",
                "required": True,
                "max_per_domain": per_node,
            }
        )
    for preference in rules.get("preferences") or []:
        spread = _mapping(preference, where, "a placement preference").get("spread")
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
    )


def _compose_resources(deploy: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    resources = _mapping(deploy.get("resources"), where, "deploy.resources")
    limits = _mapping(resources.get("limits"), where, "deploy.resources.limits")
    reservations = _mapping(resources.get("reservations"), where, "deploy.resources.reservations")
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


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
