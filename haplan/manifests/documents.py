"""Manifest documents: loading the YAML, classifying each document, choosing the workload.

Every document of the files given is loaded with ``yaml.safe_load_all`` and classified: a
Kubernetes workload (``WORKLOAD_KINDS``), an object read for what it says about a workload
(``SUPPORTING_KINDS``: PodDisruptionBudgets, Services, HorizontalPodAutoscalers), an object
skipped with a note (``IGNORED_KINDS``), or a compose / swarm stack file, each of whose
``services`` is a workload. One workload is then chosen by name.

This module also holds what the other modules of :mod:`haplan.manifests` share: the error
(:class:`ManifestError`), the result (:class:`ManifestInputs`), the records of the documents
read, and the checks of mappings, whole numbers, counts-or-percentages and durations behind
their one-line messages.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from haplan._safe import (
    MAX_COUNT,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    check_file_size,
    escape_controls,
    quote,
)
from haplan.manifests.units import parse_duration_s

#: Kubernetes kinds that become a workload (instances, probes, placement).
WORKLOAD_KINDS = ("Deployment", "StatefulSet")
#: Kubernetes kinds read and reported that give no inputs of their own.
SUPPORTING_KINDS = ("PodDisruptionBudget", "Service", "HorizontalPodAutoscaler")
#: Kubernetes kinds that commonly sit beside a workload; accepted and ignored with a note.
IGNORED_KINDS = (
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Ingress",
    "NetworkPolicy",
    "PersistentVolumeClaim",
)


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
    rollout : dict
        How the workload is updated (reported, not a scenario input; see
        :mod:`haplan.manifests.rollout`), the orchestrator's defaults where the manifest is
        silent. ``kind`` says which keys follow:

        - ``"deployment"``: ``strategy`` (``"RollingUpdate"`` or ``"Recreate"``: all old pods
          stop before the new ones start), ``max_surge`` and ``max_unavailable`` (a count
          [pods] or a percentage string as written, e.g. ``"25%"``; RollingUpdate only),
          ``min_ready_s`` [s];
        - ``"statefulset"``: ``strategy`` (``"RollingUpdate"`` or ``"OnDelete"``),
          ``partition`` [ordinal] (RollingUpdate only), ``max_unavailable`` (only when given),
          ``min_ready_s`` [s];
        - ``"swarm"``: ``parallelism`` [tasks per batch, 0 = all at once], ``delay_s`` [s],
          ``order`` (``"stop-first"`` or ``"start-first"``), ``failure_action``
          (``"pause"``, ``"continue"`` or ``"rollback"``), ``monitor_s`` [s].

        Empty when built by hand without one.
    hpa : dict
        The HorizontalPodAutoscaler that scales the workload (reported, not a scenario input;
        see :mod:`haplan.manifests.autoscaler`), Kubernetes' defaults where it is silent:
        ``min_replicas``, ``max_replicas`` [count], ``target_utilization`` (a fraction of the
        CPU request; absent when the HPA scales on no CPU Utilization metric), ``scale_up``
        and ``scale_down`` (each ``stabilization_window_s`` [s], ``select_policy``
        (``"Max"``, ``"Min"`` or ``"Disabled"``) and ``policies``, a list of (type ``"Pods"``
        or ``"Percent"``, value, period_s [s])): the keyword arguments of
        :func:`haplan.autoscaling.hpa.simulate_hpa`. Empty when no HPA scales the workload.
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
    rollout: dict[str, Any] = field(default_factory=dict)
    hpa: dict[str, Any] = field(default_factory=dict)


@dataclass
class Workload:
    name: str
    kind: str  # "Deployment", "StatefulSet" or "compose service"
    where: str  # "web.yaml (document 2)" for messages
    path: Path
    namespace: str
    body: dict[str, Any]  # the whole Kubernetes object, or the compose service mapping
    pod_labels: dict[str, str]


@dataclass
class ParsedFiles:
    workloads: list[Workload] = field(default_factory=list)
    pdbs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    services: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    hpas: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- loading and classifying -------------------------------------------------------------------


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with limits: nesting depth (:data:`~haplan._safe.MAX_YAML_DEPTH`)
    and the number of nodes a document expands to, each alias counted as the nodes it
    stands for (:data:`~haplan._safe.MAX_YAML_NODES`), so an alias bomb is refused before
    anything walks it."""

    def __init__(self, stream, where: str):
        super().__init__(stream)
        self.where = where
        # Without aliases a document cannot hold more values than the file has characters.
        self.most = max(MAX_YAML_NODES, len(stream))
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_document(self):
        self._sizes = {}
        try:
            return super().compose_document()
        finally:
            self._sizes = {}

    def compose_node(self, parent, index):
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise ManifestError(
                f"{self.where}: is nested more than {MAX_YAML_DEPTH} levels deep; no manifest "
                "is: check the file"
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            else:
                children = []
            size = 1 + sum(self._sizes.get(id(child), 1) for child in children)
            self._sizes[id(node)] = size
            if size > self.most:
                raise ManifestError(
                    f"{self.where}: expands to more than {self.most:,} values (its "
                    "aliases repeat anchors); no manifest does: check the file's '*' aliases"
                )
        return node


#: Documents a caller read already (path → what :func:`load_documents` returned for it).
_read: contextvars.ContextVar[Mapping[Path, list[tuple[int, Any]]] | None] = contextvars.ContextVar(
    "haplan_documents_read", default=None
)


@contextmanager
def documents_read(documents: Mapping[Path, list[tuple[int, Any]]]) -> Iterator[None]:
    """Inside ``with``, :func:`load_documents` gives these files' documents (path → what it
    returned for that path before) instead of reading and parsing the files again: a caller
    that read them passes them on. The documents are shared, so nothing may change them."""
    token = _read.set(documents)
    try:
        yield
    finally:
        _read.reset(token)


def load_documents(path: Path) -> list[tuple[int, Any]]:
    """The file's non-empty YAML documents, numbered from 1; bounded as :class:`_BoundedLoader`
    says. Inside :func:`documents_read`, the ones already read."""
    known = _read.get()
    if known is not None and path in known:
        return list(known[path])
    try:
        check_file_size(path, "manifest")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a directory; pass the YAML files in it") from None
    except ManifestError:
        raise
    except ValueError as error:  # too big
        raise ManifestError(str(error)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot be read ({error}); pass a UTF-8 YAML file") from None
    loader = _BoundedLoader(text, escape_controls(path))
    try:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
    except RecursionError:
        raise ManifestError(
            f"{path}: is nested too deeply; no manifest is: check the file"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = escape_controls(getattr(error, "problem", None) or "syntax error")
        raise ManifestError(
            f"{path}: is not valid YAML{where}: {problem}; fix the indentation or quoting there"
        ) from None
    finally:
        loader.dispose()
    return [(i, doc) for i, doc in enumerate(documents, start=1) if doc is not None]


def _where(path: Path, index: int) -> str:
    return f"{path} (document {index})"


def classify(parsed: ParsedFiles, path: Path, index: int, document: Any) -> None:
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
    name = metadata(document).get("name")
    if kind in WORKLOAD_KINDS:
        parsed.workloads.append(_kubernetes_workload(path, where, document))
    elif kind == "PodDisruptionBudget":
        parsed.pdbs.append((where, document))
    elif kind == "Service":
        parsed.services.append((where, document))
    elif kind == "HorizontalPodAutoscaler":
        parsed.hpas.append((where, document))
    elif kind in IGNORED_KINDS:
        parsed.notes.append(f"{where}: {kind} {name!r} ignored: it gives no planning inputs.")
    else:
        raise ManifestError(
            f"{where}: kind {kind!r} is not supported; haplan reads "
            f"{', '.join(WORKLOAD_KINDS + SUPPORTING_KINDS)} (and skips "
            f"{', '.join(IGNORED_KINDS)}); remove that document or describe the workload as a "
            "Deployment"
        )


def sequence(value: Any, where: str, what: str) -> list[Any]:
    """A YAML list (None: empty); anything else is a one-line ManifestError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ManifestError(
            f"{where}: {what}={quote(value)} is not a list; write one '- item' per line under it"
        )
    return value


def metadata(document: dict[str, Any]) -> dict[str, Any]:
    metadata = document.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def mapping(value: Any, where: str, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: {what} is not a mapping; indent its fields under it")
    return value


def whole(value: Any, where: str, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
        raise ManifestError(
            f"{where}: {what}={quote(value)} is not valid; write a whole number >= {low}"
            + (f" and <= {MAX_COUNT:g}" if isinstance(value, int) and value > MAX_COUNT else "")
        )
    return value


def int_or_percent(value: Any, where: str, what: str) -> tuple[int, bool]:
    """(number, is_percent) from an IntOrString; percentages must be whole, as in Kubernetes."""
    if isinstance(value, str):
        match = re.fullmatch(r"(\d+)%", value.strip())
        if not match:
            raise ManifestError(
                f"{where}: {what}={value!r} is not valid; write a whole number or a whole "
                "percentage such as '80%'"
            )
        return int(match[1]), True
    return whole(value, where, what), False


def duration_s(value: Any, where: str, what: str) -> float:
    """A compose / Go duration [s]; a value that is not one raises a one-line ManifestError."""
    try:
        return parse_duration_s(value)
    except ValueError as error:
        raise ManifestError(f"{where}: {what}: {error}") from None


def _kubernetes_workload(path: Path, where: str, document: dict[str, Any]) -> Workload:
    kind = document["kind"]
    name = metadata(document).get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{where}: {kind} has no metadata.name; give it a name")
    spec = mapping(document.get("spec"), where, f"{kind} {name!r} spec")
    template = mapping(spec.get("template"), where, f"{kind} {name!r} spec.template")
    labels = mapping(metadata(template).get("labels"), where, "spec.template.metadata.labels")
    pod_spec = mapping(template.get("spec"), where, f"{kind} {name!r} spec.template.spec")
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        raise ManifestError(
            f"{where}: {kind} {name!r} has no spec.template.spec.containers; "
            "list at least one container"
        )
    namespace = metadata(document).get("namespace") or "default"
    return Workload(name, kind, where, path, str(namespace), document, dict(labels))


def _add_compose_services(parsed: ParsedFiles, path: Path, where: str, services: dict) -> None:
    for name, service in services.items():
        service = mapping(service, where, f"compose service {name!r}")
        parsed.workloads.append(
            Workload(str(name), "compose service", where, path, "", service, {})
        )


def select_workload(workloads: list[Workload], paths: list[Path], wanted: str | None) -> Workload:
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
