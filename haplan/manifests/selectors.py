"""Kubernetes label selectors: which workload's pods a PodDisruptionBudget or a rule selects.

A selector is matched against the labels of a workload's pod template
(``spec.template.metadata.labels``), the labels its pods will carry.

References
----------
.. [1] Kubernetes API, meta/v1 LabelSelector (``matchLabels`` and ``matchExpressions`` with
   In, NotIn, Exists, DoesNotExist): github.com/kubernetes/apimachinery,
   pkg/apis/meta/v1/types.go; policy/v1 PodDisruptionBudgetSpec (a null selector selects no
   pods): github.com/kubernetes/api, policy/v1/types.go.
"""

from __future__ import annotations

from typing import Any

from haplan.manifests.documents import (
    ManifestError,
    ParsedFiles,
    Workload,
    mapping,
    metadata,
    sequence,
)


def selector_matches(selector: dict[str, Any], labels: dict[str, str], where: str) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against a pod template's labels."""
    match_labels = mapping(selector.get("matchLabels"), where, "selector.matchLabels")
    for key, value in match_labels.items():
        if str(labels.get(key)) != str(value) or key not in labels:
            return False
    for expression in sequence(
        selector.get("matchExpressions"), where, "selector.matchExpressions"
    ):
        expression = mapping(expression, where, "a matchExpressions item")
        key = expression.get("key")
        operator = expression.get("operator")
        values = [
            str(v) for v in sequence(expression.get("values"), where, "matchExpressions values")
        ]
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


def pdb_selects(pdb: dict[str, Any], workload: Workload, where: str) -> bool:
    if workload.kind == "compose service":
        return False
    namespace = metadata(pdb).get("namespace") or "default"
    if namespace != workload.namespace:
        return False
    selector = mapping(pdb.get("spec"), where, "PodDisruptionBudget spec").get("selector")
    if selector is None:  # a null selector selects no pods (policy/v1)
        return False
    return selector_matches(mapping(selector, where, "spec.selector"), workload.pod_labels, where)


def check_pdbs_select_something(parsed: ParsedFiles) -> None:
    for where, pdb in parsed.pdbs:
        if not any(pdb_selects(pdb, w, where) for w in parsed.workloads):
            name = metadata(pdb).get("name")
            selector = mapping(pdb.get("spec"), where, "spec").get("selector")
            raise ManifestError(
                f"{where}: PodDisruptionBudget {name!r} selects no workload's pods "
                f"(selector {selector!r}); make spec.selector.matchLabels match the "
                "workload's spec.template.metadata.labels"
            )
