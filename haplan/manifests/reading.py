"""Reading manifests: the public entry points of :mod:`haplan.manifests`.

:func:`read_manifests` loads and classifies the documents of the files given, chooses one
workload and reads its inputs (:mod:`~haplan.manifests.kubernetes` or
:mod:`~haplan.manifests.compose`); :func:`scenario_from_manifests` puts those inputs between a
base :class:`~haplan.scenario.Scenario` and the caller's overrides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from haplan._safe import escape_controls, quote
from haplan.manifests.autoscaler import workload_hpa
from haplan.manifests.compose import compose_inputs
from haplan.manifests.documents import (
    ManifestError,
    ManifestInputs,
    ParsedFiles,
    classify,
    load_documents,
    select_workload,
)
from haplan.manifests.kubernetes import kubernetes_inputs
from haplan.manifests.selectors import check_pdbs_select_something
from haplan.scenario import Scenario

__all__ = ["read_manifests", "scenario_from_manifests"]


def read_manifests(
    paths: str | Path | Iterable[str | Path], *, workload: str | None = None
) -> ManifestInputs:
    """Read Kubernetes manifests and/or compose stack files into the inputs of one workload.

    Parameters
    ----------
    paths : path or iterable of paths
        YAML files; each may hold several documents (``---``). Kubernetes kinds read:
        Deployment, StatefulSet, PodDisruptionBudget, Service, HorizontalPodAutoscaler
        (``autoscaling/v2`` or ``v1``); others in ``IGNORED_KINDS`` are skipped with a note.
        A document with a top-level ``services:`` mapping is a Docker compose / swarm stack
        file; each of its services is a workload.
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
        ``minAvailable`` above the replicas, two HorizontalPodAutoscalers scaling the workload,
        or a value Kubernetes/Docker would reject (e.g. an HPA's minReplicas above its
        maxReplicas).
    """
    path_list = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not path_list:
        raise ManifestError("no manifest files given; pass at least one YAML file")
    parsed = ParsedFiles()
    for path in path_list:
        for index, document in load_documents(path):
            classify(parsed, path, index, document)
    try:
        check_pdbs_select_something(parsed)
        chosen = select_workload(parsed.workloads, path_list, workload)
        notes = list(parsed.notes)
        if chosen.kind == "compose service":
            inputs = compose_inputs(chosen, notes)
        else:
            inputs = kubernetes_inputs(chosen, parsed, notes)
        # The HPA's notes follow the workload's.
        hpa = workload_hpa(chosen, parsed, inputs.notes, inputs.scenario_values["instances"])
    except (TypeError, AttributeError, KeyError, OverflowError) as error:
        # A field of an unexpected shape that no specific check caught: still one line.
        files = ", ".join(str(p) for p in path_list)
        raise ManifestError(
            escape_controls(
                f"{files}: a field has a shape haplan cannot read ({type(error).__name__}: "
                f"{quote(str(error))}); check the manifest against the Kubernetes / compose "
                "reference"
            )
        ) from None
    # Names are data: the workload's name reaches reports and the scenario's name with its
    # control characters (escape sequences, newlines) shown as escapes.
    inputs = replace(inputs, workload_name=escape_controls(inputs.workload_name))
    return replace(inputs, hpa=hpa) if hpa else inputs


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
            if "max_instances_per_node" not in overrides:  # the room rescheduling finds
                scenario = scenario.with_overrides(max_instances_per_node=per_node)
    return scenario, inputs


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
