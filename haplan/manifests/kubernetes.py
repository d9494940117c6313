"""Kubernetes workloads: a Deployment or StatefulSet, its PodDisruptionBudget and Services.

:func:`kubernetes_inputs` gathers a workload's :class:`~haplan.manifests.ManifestInputs`:
``instances`` from ``spec.replicas``, ``min_instances`` from the PodDisruptionBudget that
selects its pods, the Services; what its pod template says (probes, tolerations, placement,
resources) is read by :mod:`haplan.manifests.kubernetes_pods`, its update strategy by
:mod:`haplan.manifests.rollout`.

References
----------
.. [1] Kubernetes API, apps/v1 DeploymentSpec and StatefulSetSpec (``replicas`` defaults to
   1): github.com/kubernetes/api, apps/v1/types.go.
.. [2] Kubernetes disruption controller, ``getExpectedPodCount``: both ``minAvailable`` and
   ``maxUnavailable`` percentages are scaled with
   ``intstr.GetScaledValueFromIntOrPercent(..., roundUp=true)``, and
   desiredHealthy = expected − maxUnavailable is clamped at 0.
   github.com/kubernetes/kubernetes, pkg/controller/disruption/disruption.go.
.. [3] "Specifying a Disruption Budget for your Application", section "Rounding logic when
   specifying percentages": 7 pods with minAvailable "50%" need 4 available.
   kubernetes.io/docs/tasks/run-application/configure-pdb/.
"""

from __future__ import annotations

from typing import Any

from haplan.manifests.documents import (
    ManifestError,
    ManifestInputs,
    ParsedFiles,
    Workload,
    int_or_percent,
    mapping,
    metadata,
    sequence,
    whole,
)
from haplan.manifests.kubernetes_pods import (
    kubernetes_placement,
    kubernetes_probes,
    kubernetes_resources,
)
from haplan.manifests.rollout import kubernetes_rollout
from haplan.manifests.selectors import pdb_selects


def kubernetes_inputs(chosen: Workload, parsed: ParsedFiles, notes: list[str]) -> ManifestInputs:
    where, name, kind = chosen.where, chosen.name, chosen.kind
    spec = chosen.body["spec"]
    pod_spec = spec["template"]["spec"]
    if spec.get("replicas") is None:
        replicas = 1
        notes.append(f"{kind} {name!r} sets no replicas: Kubernetes' default of 1 is used.")
    else:
        replicas = whole(spec["replicas"], where, f"{kind} {name!r} spec.replicas")
        if replicas == 0:
            raise ManifestError(
                f"{where}: {kind} {name!r} has replicas: 0 (scaled to zero); "
                "give the number of replicas it runs in production"
            )
    values: dict[str, Any] = {"instances": replicas, "orchestrator": "kubernetes"}

    matching = [(w, pdb) for w, pdb in parsed.pdbs if pdb_selects(pdb, chosen, w)]
    if len(matching) > 1:
        names = ", ".join(repr(metadata(p).get("name")) for _, p in matching)
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

    overrides, details = kubernetes_probes(pod_spec, kind, name, where, notes)
    placement, zones = kubernetes_placement(pod_spec, chosen, replicas, notes)
    if zones is not None:
        values["zones"] = zones
    rollout = kubernetes_rollout(chosen, notes)
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
        resources=kubernetes_resources(pod_spec, name, where),
        services=services,
        workload_name=name,
        workload_kind=kind,
        source=str(chosen.path),
        notes=notes,
        rollout=rollout,
    )


_PDB_AS_K = (
    "; the budget, which only limits voluntary evictions, is taken as the instances the "
    "service needs up"
)


def _pdb_min_instances(pdb: dict[str, Any], replicas: int, where: str) -> tuple[int | None, str]:
    """min_instances from a PDB, rounding percentages up as the disruption controller does [2]."""
    name = metadata(pdb).get("name")
    spec = pdb["spec"]
    has_min, has_max = "minAvailable" in spec, "maxUnavailable" in spec
    if has_min and has_max:
        raise ManifestError(
            f"{where}: PodDisruptionBudget {name!r} sets both minAvailable and maxUnavailable; "
            "Kubernetes allows only one, keep one of them"
        )
    if has_min:
        number, percent = int_or_percent(spec["minAvailable"], where, "minAvailable")
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
        number, percent = int_or_percent(spec["maxUnavailable"], where, "maxUnavailable")
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


def _kubernetes_services(parsed: ParsedFiles, notes: list[str]) -> list[dict[str, Any]]:
    services = []
    for where, document in parsed.services:
        spec = mapping(document.get("spec"), where, "Service spec")
        selector = mapping(spec.get("selector"), where, "Service spec.selector")
        namespace = metadata(document).get("namespace") or "default"
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
        for port in sequence(spec.get("ports"), where, "Service spec.ports"):
            port = mapping(port, where, "a Service port")
            ports.append(
                {
                    "port": port.get("port"),
                    "target_port": port.get("targetPort", port.get("port")),
                    "protocol": port.get("protocol", "TCP"),
                    "node_port": port.get("nodePort"),
                }
            )
        name = metadata(document).get("name")
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
