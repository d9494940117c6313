"""A cluster's inputs from files: several workloads, and the nodes of a running cluster.

:func:`load_cluster` reads what :func:`haplan.inputs.load_inputs` reads — a TOML scenario,
Kubernetes manifests and compose stack files, command-line overrides — but keeps every
workload instead of choosing one, and also reads what ``kubectl get
nodes,deployments,statefulsets,daemonsets,pdb,hpa -A -o yaml`` prints (a ``kind: List``):

============================================  ===============================================
the files                                     haplan
============================================  ===============================================
Node ``status.allocatable`` cpu, memory,      the pool's nodes (:class:`Pool`); control-plane
pods; labels ``topology.kubernetes.io/zone``,   nodes (``node-role.kubernetes.io/control-plane``
``node.kubernetes.io/instance-type``          label) and cordoned ones are left out
Node ``spec.taints``                          each node's taints (:mod:`haplan.cluster.taints`):
                                              a pod goes only on nodes whose ``NoSchedule``
                                              and ``NoExecute`` taints it tolerates, and
                                              prefers nodes without ``PreferNoSchedule`` ones
DaemonSet pod template requests, tolerations  per-node overhead: on every node whose taints
                                              the DaemonSet tolerates (its own tolerations
                                              and the ones its controller adds)
Deployment / StatefulSet / compose service    one :class:`WorkloadSpec` each: instances, PDB,
                                              probes and spread as :mod:`haplan.manifests`
                                              reads them; requests summed over containers;
                                              ``spec.template.spec.tolerations`` (a compose
                                              service tolerates nothing)
annotations ``haplan.io/<input>`` on a        that workload's scenario inputs, e.g.
workload (``request_rate_rps`` …)              ``haplan.io/request_rate_rps: "2000"``
TOML ``[workloads.<name>]`` tables            the same, from the scenario file
============================================  ===============================================

Not read: DaemonSets' ``nodeSelector`` and node affinity (a DaemonSet is on every node its
taints admit), the workloads' node selectors and node affinity, and a spread constraint's
``nodeTaintsPolicy`` (taken as its default, Ignore: see :mod:`haplan.cluster.schedule`).

Reading and building are apart: :class:`ClusterFiles` reads and parses each file once (the
bounded YAML reading of :mod:`haplan.manifests`), :func:`build_cluster` builds the pool and the
workloads from what they hold; :func:`load_cluster` does both. The command line builds twice
from one :class:`ClusterFiles` (to decide on cluster mode, then with its options) and hands
the parsed documents on to the single-workload reading.

Precedence, lowest first: the scenario (TOML or the default), what the manifests say, the
workload's annotations, its ``[workloads.<name>]`` table, the command line (which applies to
every workload).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from haplan.cluster.pool import Pool, Spread, WorkloadSpec
from haplan.cluster.taints import Toleration, read_taints, read_tolerations, untolerated
from haplan.manifests.autoscaler import workload_hpa
from haplan.manifests.compose import compose_inputs
from haplan.manifests.documents import (
    ManifestError,
    ParsedFiles,
    classify,
    load_documents,
    mapping,
    metadata,
)
from haplan.manifests.kubernetes import kubernetes_inputs
from haplan.manifests.kubernetes_pods import kubernetes_resources
from haplan.manifests.selectors import check_pdbs_select_something
from haplan.manifests.units import parse_quantity
from haplan.scenario import INPUT_NAMES, Scenario, read_toml, tune_pipeline

__all__ = ["ClusterInputs", "ClusterFiles", "load_cluster", "build_cluster", "ANNOTATION_PREFIX"]

#: Workload annotations with this prefix give that workload's scenario inputs.
ANNOTATION_PREFIX = "haplan.io/"
_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
_CONTROL_PLANE = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_GIB = 2.0**30


@dataclass(frozen=True)
class ClusterInputs:
    """What the files and flags say about a cluster.

    Attributes
    ----------
    workloads : tuple of WorkloadSpec
        Every workload, in file order.
    pool : Pool or None
        The nodes, when the files list some (a cluster export); else None.
    daemonsets : dict
        DaemonSet overhead on a node without taints (every DaemonSet runs there): ``cpu``
        [cores], ``memory_gib`` [GiB], ``pods`` [count]. The pool's own per-node figures
        leave out the DaemonSets a node's taints keep off.
    base : Scenario
        The scenario the workloads start from.
    notes : tuple of str
        Assumptions made while reading.
    """

    workloads: tuple[WorkloadSpec, ...]
    pool: Pool | None
    daemonsets: dict[str, float]
    base: Scenario
    notes: tuple[str, ...] = ()


def _expand(paths: Iterable[str | Path]) -> tuple[Path | None, list[Path]]:
    toml, yamls = None, []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml"))
            if not found:
                raise ValueError(f"{path}: the directory holds no .yaml or .yml files")
            yamls.extend(found)
        elif path.suffix.lower() == ".toml":
            if toml is not None:
                raise ValueError(f"give one .toml scenario, not {toml} and {path}")
            toml = path
        elif path.suffix.lower() in (".yaml", ".yml"):
            yamls.append(path)
        else:
            raise ValueError(
                f"input {str(path)!r} is not known: give a .toml scenario, .yaml manifests or "
                "a directory of them"
            )
    return toml, yamls


class ClusterFiles:
    """The files of a cluster's inputs, each read and parsed once: when first needed, then
    kept for whoever needs it next (:func:`build_cluster` again, or the single-workload
    reading through :attr:`documents_read`).

    Parameters
    ----------
    paths : iterable of path
        As for :func:`load_cluster`. Nothing is read, nor a directory listed, until asked for,
        so errors come where :func:`load_cluster` meets them.
    """

    def __init__(self, paths: Iterable[str | Path] = ()):
        self.paths = tuple(paths)
        self._expanded: tuple[Path | None, list[Path]] | None = None
        self._scenario: tuple[dict[str, Any], str] | None = None
        self._documents: dict[Path, list[tuple[int, Any]]] = {}

    def expand(self) -> tuple[Path | None, list[Path]]:
        """The ``.toml`` scenario (or None) and the YAML files, directories listed."""
        if self._expanded is None:
            self._expanded = _expand(self.paths)
        return self._expanded

    def scenario_values(self) -> tuple[dict[str, Any], str]:
        """:func:`~haplan.scenario.read_toml` of the ``.toml`` scenario: a fresh dict each
        time (the caller may take its tables out)."""
        if self._scenario is None:
            self._scenario = read_toml(self.expand()[0])
        values, name = self._scenario
        return dict(values), name

    def documents(self, path: Path) -> list[tuple[int, Any]]:
        """The YAML file's documents as :func:`haplan.manifests.documents.load_documents`
        reads them (bounded by :mod:`haplan._safe`'s limits); read-only."""
        if path not in self._documents:
            self._documents[path] = load_documents(path)
        return self._documents[path]

    @property
    def documents_read(self) -> Mapping[Path, list[tuple[int, Any]]]:
        """The YAML files read so far → their documents, for
        :func:`haplan.manifests.documents.documents_read`."""
        return MappingProxyType(self._documents)


def _documents(path: Path, documents: list[tuple[int, Any]]) -> list[tuple[Any, Any]]:
    """The file's documents, with the items of a ``kind: List`` as documents of their own."""
    out = []
    for index, document in documents:
        if isinstance(document, dict) and document.get("kind") == "List":
            items = document.get("items")
            if not isinstance(items, list):
                raise ManifestError(f"{path} (document {index}): a List has no 'items' list")
            out.extend((f"{index}.{i}", item) for i, item in enumerate(items, start=1))
        else:
            out.append((index, document))
    return out


def _quantity(value: Any, where: str, what: str) -> float:
    try:
        return parse_quantity(value)
    except ValueError as error:
        raise ManifestError(f"{where}: {what}: {error}") from None


def _node(document: dict, where: str) -> dict | None:
    meta = metadata(document)
    labels = mapping(meta.get("labels"), where, "metadata.labels")
    if any(label in labels for label in _CONTROL_PLANE):
        return None
    spec = mapping(document.get("spec"), where, "spec")
    if spec.get("unschedulable") is True:
        return None  # cordoned: takes no new pods
    allocatable = mapping(
        mapping(document.get("status"), where, "status").get("allocatable"),
        where,
        "status.allocatable",
    )
    for key in ("cpu", "memory", "pods"):
        if key not in allocatable:
            raise ManifestError(
                f"{where}: Node {meta.get('name')!r} has no status.allocatable.{key}"
            )
    zone = next((labels[k] for k in _ZONE_LABELS if k in labels), "(no zone label)")
    taints = read_taints(spec.get("taints"), f"{where}: Node {meta.get('name')!r}")
    return {
        "name": str(meta.get("name", "?")),
        "zone": str(zone),
        "type": str(next((labels[k] for k in _TYPE_LABELS if k in labels), "(unknown type)")),
        "cpu": _quantity(allocatable["cpu"], where, "allocatable cpu"),
        "memory_gib": _quantity(allocatable["memory"], where, "allocatable memory") / _GIB,
        "pods": int(_quantity(allocatable["pods"], where, "allocatable pods")),
        "taints": taints,
    }


def _requests(resources: list[dict[str, Any]]) -> tuple[float, float]:
    """A pod's CPU [cores] and memory [GiB] requests: its containers' (``ManifestInputs.resources``
    rows) summed, 0 where none is set."""
    cpu = sum(r.get("cpu_request_cores") or 0.0 for r in resources)
    memory = sum(r.get("memory_request_bytes") or 0.0 for r in resources) / _GIB
    return cpu, memory


def _daemonset_load(nodes: list[dict], daemonsets: list[dict]) -> dict[str, Any]:
    """Per node: the DaemonSets whose tolerations admit it, their requests summed; one
    number each when every DaemonSet runs on every node."""
    runs = np.array(
        [[not untolerated(n["taints"], d["tolerations"]) for d in daemonsets] for n in nodes],
        dtype=bool,
    ).reshape(len(nodes), len(daemonsets))
    if runs.all():
        return {
            "daemonset_cpu": sum(d["cpu"] for d in daemonsets),
            "daemonset_memory_gib": sum(d["memory_gib"] for d in daemonsets),
            "daemonset_pods": len(daemonsets),
        }
    return {
        "daemonset_cpu": runs @ np.array([d["cpu"] for d in daemonsets]),
        "daemonset_memory_gib": runs @ np.array([d["memory_gib"] for d in daemonsets]),
        "daemonset_pods": runs.sum(axis=1),
    }


def _pool(nodes: list[dict], node_types: pd.DataFrame | None, daemonsets: list[dict]) -> Pool:
    zones = sorted({n["zone"] for n in nodes})
    prices = []
    for n in nodes:
        known = node_types is not None and n["type"] in node_types.index
        prices.append(float(node_types.loc[n["type"], "price_per_hour_usd"]) if known else np.nan)
    return Pool(
        allocatable_cpu=np.array([n["cpu"] for n in nodes]),
        allocatable_memory_gib=np.array([n["memory_gib"] for n in nodes]),
        max_pods=np.array([n["pods"] for n in nodes]),
        zone=np.array([zones.index(n["zone"]) for n in nodes]),
        zone_names=tuple(zones),
        node_type=np.array([n["type"] for n in nodes], dtype=object),
        price_per_hour_usd=np.array(prices),
        node_names=tuple(n["name"] for n in nodes),
        taints=tuple(n["taints"] for n in nodes),
        **_daemonset_load(nodes, daemonsets),
    )


def _daemonset_note(nodes: list[dict], daemonsets: list[dict]) -> str:
    """What the notes say of the DaemonSets: on every node, or where their tolerations admit."""
    cpu = sum(d["cpu"] for d in daemonsets)
    memory = sum(d["memory_gib"] for d in daemonsets)
    text = (
        f"{len(daemonsets)} DaemonSet(s) assumed on every node: {cpu:.3g} cores, "
        f"{memory:.3g} GiB and {len(daemonsets)} pod(s) per node."
    )
    kept_off = []
    for d in daemonsets:
        blocked = [n for n in nodes if untolerated(n["taints"], d["tolerations"])]
        if blocked:
            taints = dict.fromkeys(
                str(t) for n in blocked for t in untolerated(n["taints"], d["tolerations"])
            )
            kept_off.append(
                f"{d['name']!r} not on {len(blocked)} of the {len(nodes)} nodes (it does not "
                f"tolerate {', '.join(taints)})"
            )
    if not kept_off:
        return text
    return (
        f"{len(daemonsets)} DaemonSet(s) on the nodes whose taints they tolerate, at most "
        f"{cpu:.3g} cores, {memory:.3g} GiB and {len(daemonsets)} pod(s) per node: "
        + "; ".join(kept_off)
        + "."
    )


def _annotations(body: dict, where: str) -> dict[str, Any]:
    annotations = mapping(metadata(body).get("annotations"), where, "metadata.annotations")
    out = {}
    for key, value in annotations.items():
        if not str(key).startswith(ANNOTATION_PREFIX):
            continue
        name = str(key)[len(ANNOTATION_PREFIX) :]
        if name not in INPUT_NAMES:
            raise ManifestError(
                f"{where}: annotation {key!r} names no scenario input; valid: "
                f"{ANNOTATION_PREFIX}<one of {', '.join(INPUT_NAMES)}>"
            )
        try:
            out[name] = float(value) if name not in ("orchestrator", "balancer") else str(value)
        except (TypeError, ValueError):
            raise ManifestError(f"{where}: annotation {key}={value!r} is not a number") from None
    return out


def _tolerations(body: dict, where: str, name: str) -> tuple[Toleration, ...]:
    """A Deployment's or StatefulSet's pod template tolerations."""
    spec = mapping(body.get("spec"), where, "spec")
    template = mapping(spec.get("template"), where, "spec.template")
    pod_spec = mapping(template.get("spec"), where, "spec.template.spec")
    return read_tolerations(pod_spec.get("tolerations"), f"{where}: workload {name!r}")


def _spreads(placement: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule in placement:
        if rule["over"] == "zones" and rule.get("max_skew") is not None:
            out["zone_spread"] = Spread(int(rule["max_skew"]), hard=bool(rule["required"]))
        elif rule["over"] == "nodes":
            if rule.get("max_per_domain") is not None and rule["required"]:
                out["max_per_node"] = int(rule["max_per_domain"])
            elif rule.get("max_skew") is not None:
                out["node_spread"] = Spread(int(rule["max_skew"]), hard=bool(rule["required"]))
    return out


def load_cluster(
    paths: Iterable[str | Path] = (),
    overrides: dict[str, Any] | None = None,
    *,
    node_types: pd.DataFrame | None = None,
    cpu_request: float | None = None,
    memory_request_gib: float | None = None,
) -> ClusterInputs:
    """Read a cluster: a TOML scenario, manifests (files or directories), a cluster export.

    Parameters
    ----------
    paths : iterable of path
        At most one ``.toml`` scenario, any ``.yaml``/``.yml`` files and directories of them.
    overrides : dict, optional
        Scenario inputs from the command line; they apply to every workload.
    node_types : pandas.DataFrame, optional
        Node types (:func:`~haplan.cluster.read_node_types`) to price the export's nodes by
        their instance-type label.
    cpu_request, memory_request_gib : float, optional
        The pod's requests [cores, GiB] for a workload described without manifests (the
        scenario alone), or to replace the manifests' for every workload.

    Returns
    -------
    ClusterInputs

    Raises
    ------
    ValueError
        An unreadable file, two workloads with one name, or inputs out of range.
    """
    return build_cluster(
        ClusterFiles(paths),
        overrides,
        node_types=node_types,
        cpu_request=cpu_request,
        memory_request_gib=memory_request_gib,
    )


def build_cluster(
    files: ClusterFiles,
    overrides: dict[str, Any] | None = None,
    *,
    node_types: pd.DataFrame | None = None,
    cpu_request: float | None = None,
    memory_request_gib: float | None = None,
) -> ClusterInputs:
    """:func:`load_cluster` from :class:`ClusterFiles`: the same cluster, built from what the
    files hold, each file read only the first time it is needed."""
    toml, yamls = files.expand()
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    tables: dict[str, dict] = {}
    if toml is not None:
        values, name = files.scenario_values()
        tables = values.pop("workloads", {}) or {}
        if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
            raise ValueError(f"{toml}: [workloads.<name>] must be tables of scenario inputs")
        base = Scenario.from_dict(values, name=name)
    else:
        base = Scenario.default()
    parsed = ParsedFiles()
    nodes: list[dict] = []
    daemonsets: list[dict[str, Any]] = []
    notes: list[str] = []
    for path in yamls:
        for index, document in _documents(path, files.documents(path)):
            where = f"{path} (document {index})"
            kind = document.get("kind") if isinstance(document, dict) else None
            if kind == "Node":
                node = _node(document, where)
                if node is None:
                    notes.append(
                        f"{where}: node {metadata(document).get('name')!r} left out: a "
                        "control-plane or cordoned node takes no workload pods."
                    )
                else:
                    nodes.append(node)
            elif kind == "DaemonSet":
                spec = mapping(
                    mapping(document.get("spec"), where, "spec").get("template"),
                    where,
                    "spec.template",
                )
                pod_spec = mapping(spec.get("spec"), where, "spec.template.spec")
                name = str(metadata(document).get("name", "?"))
                containers = pod_spec.get("containers")
                cpu, memory = _requests(
                    kubernetes_resources(pod_spec, name, where) if containers else []
                )
                tolerations = read_tolerations(
                    pod_spec.get("tolerations"),
                    f"{where}: DaemonSet {name!r}",
                    daemonset=True,
                    host_network=pod_spec.get("hostNetwork") is True,
                )
                daemonsets.append(
                    {"name": name, "cpu": cpu, "memory_gib": memory, "tolerations": tolerations}
                )
            else:
                classify(parsed, path, index, document)
    check_pdbs_select_something(parsed)
    notes.extend(parsed.notes)
    if daemonsets:
        notes.append(_daemonset_note(nodes, daemonsets))
    workloads = []
    for chosen in parsed.workloads:
        local: list[str] = []
        if chosen.kind == "compose service":
            inputs = compose_inputs(chosen, local)
            annotated: dict[str, Any] = {}
            tolerations: tuple[Toleration, ...] = ()
        else:
            inputs = kubernetes_inputs(chosen, parsed, local)
            annotated = _annotations(chosen.body, chosen.where)
            tolerations = _tolerations(chosen.body, chosen.where, chosen.name)
        cpu, memory = _requests(inputs.resources)
        hpa = workload_hpa(chosen, parsed, local, inputs.scenario_values["instances"])
        values = {
            **inputs.scenario_values,
            **annotated,
            **tables.get(chosen.name, {}),
            **overrides,
        }
        values.pop("zones", None)  # the pool's zones, not the spread's demand
        try:
            scenario = base.with_overrides(name=chosen.name, **values)
            if inputs.recovery_overrides:
                scenario = scenario.with_overrides(
                    orchestrator=tune_pipeline(scenario.orchestrator, **inputs.recovery_overrides)
                )
        except ValueError as error:
            raise ManifestError(f"{chosen.where}: workload {chosen.name!r}: {error}") from None
        if not cpu and not memory and cpu_request is None:
            local.append(f"{chosen.name} requests no CPU or memory: only the pod limit bounds it.")
        workloads.append(
            WorkloadSpec(
                chosen.name,
                scenario,
                cpu_request=cpu if cpu_request is None else cpu_request,
                memory_request_gib=memory if memory_request_gib is None else memory_request_gib,
                notes=tuple(local),
                tolerations=tolerations,
                **_spreads(inputs.placement),
            )
        )
        if hpa:
            notes.append(
                f"{chosen.name}: an HPA scales it between {hpa['min_replicas']} and "
                f"{hpa['max_replicas']} pods; planned at its current {scenario.instances}."
            )
    if not workloads and (yamls or nodes):
        raise ManifestError(
            f"{', '.join(str(p) for p in yamls)}: no Deployment, StatefulSet or compose service "
            "found; a cluster is judged by its workloads (export them too, e.g. kubectl get "
            "nodes,deployments,statefulsets,daemonsets,pdb,hpa -A -o yaml)"
        )
    if not workloads:
        scenario = base.with_overrides(**overrides)
        workloads.append(
            WorkloadSpec(scenario.name, scenario, cpu_request or 0.0, memory_request_gib or 0.0)
        )
    names = [w.name for w in workloads]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"workload {duplicated[0]!r} is defined twice; give each workload once")
    unknown = sorted(set(tables) - set(names))
    if unknown:
        raise ValueError(
            f"[workloads.{unknown[0]}] names no workload; workloads: {', '.join(names)}"
        )
    pool = _pool(nodes, node_types, daemonsets) if nodes else None
    workloads = [replace(w, notes=w.notes) for w in workloads]
    overhead = {
        "cpu": sum(d["cpu"] for d in daemonsets),
        "memory_gib": sum(d["memory_gib"] for d in daemonsets),
        "pods": len(daemonsets),
    }
    return ClusterInputs(tuple(workloads), pool, overhead, base, tuple(notes))
