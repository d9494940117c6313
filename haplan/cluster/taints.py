"""Node taints and pod tolerations: which nodes a pod may run on.

A node's taint (``spec.taints[]``: key, value, effect) repels every pod that does not tolerate
it; a pod's toleration (``spec.tolerations[]``: key, operator, value, effect) lets it onto
nodes with matching taints. A toleration matches a taint when the effects agree (an empty
effect matches every effect), the keys agree (an empty key, which needs operator ``Exists``,
matches every key) and, for operator ``Equal`` (the default), the values agree; ``Exists``
matches any value.

========================  ====================================================================
taint effect              haplan
========================  ====================================================================
``NoSchedule``            a filter: the pod goes on the node only if it tolerates the taint
``NoExecute``             a filter too (running pods that do not tolerate it are evicted); a
                          toleration with ``tolerationSeconds`` only delays the eviction, so
                          it does not count: the pod cannot stay on the node
``PreferNoSchedule``      a preference: the scheduler ranks nodes without such a taint (that
                          the pod does not tolerate) first
========================  ====================================================================

DaemonSet pods get the tolerations the DaemonSet controller adds to them
(:data:`DAEMONSET_TOLERATIONS`) on top of their own.

References
----------
.. [1] Kubernetes documentation, "Taints and Tolerations" (matching rules, effects, taint
   based evictions): kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/.
.. [2] Kubernetes API reference, core/v1 ``Taint`` and ``Toleration`` (an empty key needs
   operator ``Exists``; with ``Exists`` the value must be empty; ``tolerationSeconds`` applies
   to ``NoExecute`` only).
.. [3] Kubernetes documentation, "DaemonSet", section "Taints and tolerations" (the
   tolerations the controller adds): kubernetes.io/docs/concepts/workloads/controllers/
   daemonset/.
.. [4] kube-scheduler TaintToleration plugin: filters on NoSchedule and NoExecute taints,
   scores by the count of intolerable PreferNoSchedule taints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from haplan._safe import quote
from haplan.manifests.documents import ManifestError, sequence

__all__ = [
    "EFFECTS",
    "HARD_EFFECTS",
    "OPERATORS",
    "Taint",
    "Toleration",
    "DAEMONSET_TOLERATIONS",
    "untolerated",
    "read_taints",
    "read_tolerations",
]

#: Taint effects Kubernetes knows.
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: The effects that keep a pod off a node it does not tolerate.
HARD_EFFECTS = ("NoSchedule", "NoExecute")
#: Toleration operators.
OPERATORS = ("Equal", "Exists")


@dataclass(frozen=True)
class Taint:
    """A node's taint.

    Attributes
    ----------
    key : str
        The taint's key (not empty).
    effect : str
        ``NoSchedule``, ``PreferNoSchedule`` or ``NoExecute``.
    value : str
        The taint's value ("" when it has none).
    """

    key: str
    effect: str
    value: str = ""

    def __post_init__(self):
        if not self.key:
            raise ValueError("a taint needs a key")
        if self.effect not in EFFECTS:
            raise ValueError(
                f"taint effect={quote(self.effect)} is not valid; choose one of "
                f"{', '.join(EFFECTS)}"
            )

    def __str__(self) -> str:
        """``key=value:effect`` (``key:effect`` without a value), as ``kubectl taint`` writes it."""
        return (
            f"{self.key}={self.value}:{self.effect}" if self.value else f"{self.key}:{self.effect}"
        )


@dataclass(frozen=True)
class Toleration:
    """A pod's toleration.

    Attributes
    ----------
    key : str
        The taint key it applies to; "" (with operator ``Exists``) matches every key.
    operator : str
        ``Equal`` (the values must agree) or ``Exists`` (any value).
    value : str
        The value ``Equal`` compares with; "" under ``Exists``.
    effect : str
        The taint effect it matches; "" matches every effect.
    seconds : float or None
        ``tolerationSeconds``: how long a ``NoExecute`` taint is tolerated before the pod is
        evicted (None: for ever); ignored for the other effects.
    """

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    seconds: float | None = None

    def __post_init__(self):
        if self.operator not in OPERATORS:
            raise ValueError(
                f"toleration operator={quote(self.operator)} is not valid; choose one of "
                f"{', '.join(OPERATORS)}"
            )
        if self.effect and self.effect not in EFFECTS:
            raise ValueError(
                f"toleration effect={quote(self.effect)} is not valid; choose one of "
                f"{', '.join(EFFECTS)}, or leave it out to match every effect"
            )
        if not self.key and self.operator != "Exists":
            raise ValueError("a toleration without a key needs operator Exists")
        if self.operator == "Exists" and self.value:
            raise ValueError(
                f"a toleration with operator Exists takes no value (got {quote(self.value)})"
            )

    def matches(self, taint: Taint) -> bool:
        """Whether this toleration matches ``taint`` by Kubernetes' rule (effect, key, then
        value under ``Equal``), ``tolerationSeconds`` aside."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value

    def tolerates(self, taint: Taint) -> bool:
        """Whether a pod with this toleration can stay on a node with ``taint``: it matches,
        and it is no ``NoExecute`` toleration that runs out after ``tolerationSeconds``."""
        if taint.effect == "NoExecute" and self.seconds is not None:
            return False
        return self.matches(taint)


#: The tolerations the DaemonSet controller adds to every DaemonSet pod (the
#: ``node.kubernetes.io/network-unavailable`` one only for host-network pods).
DAEMONSET_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", effect="NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", effect="NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule"),
)
_HOST_NETWORK_TOLERATION = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", effect="NoSchedule"
)


def untolerated(
    taints: Iterable[Taint],
    tolerations: Iterable[Toleration],
    effects: Iterable[str] = HARD_EFFECTS,
) -> tuple[Taint, ...]:
    """The taints with one of ``effects`` that no toleration tolerates.

    Parameters
    ----------
    taints : iterable of Taint
        A node's taints.
    tolerations : iterable of Toleration
        A pod's tolerations.
    effects : iterable of str, default :data:`HARD_EFFECTS`
        The effects to look at (``("PreferNoSchedule",)`` for the scheduler's preference).

    Returns
    -------
    tuple of Taint
        Empty when the pod may go on the node (for the hard effects).
    """
    tolerations = tuple(tolerations)
    wanted = tuple(effects)
    return tuple(
        t for t in taints if t.effect in wanted and not any(x.tolerates(t) for x in tolerations)
    )


def _text(item: dict, field: str, where: str, what: str, valid: str) -> str:
    value = item.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ManifestError(f"{where}: {what}.{field}={quote(value)} is not valid; {valid}")
    return value


def _items(value: Any, where: str, what: str) -> list[dict]:
    items = sequence(value, where, what)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ManifestError(
                f"{where}: {what}[{i}]={quote(item)} is not a mapping; give key, value and effect"
            )
    return items


def read_taints(value: Any, where: str, what: str = "spec.taints") -> tuple[Taint, ...]:
    """A Node's ``spec.taints`` list, checked.

    Parameters
    ----------
    value : Any
        What the document holds there (None: no taints).
    where : str
        The file and document, for messages (``"export.yaml (document 1.3) Node 'n1'"``).
    what : str, default "spec.taints"
        The field's path, for messages.

    Returns
    -------
    tuple of Taint

    Raises
    ------
    haplan.manifests.ManifestError
        (a ValueError) Not a list of mappings, a missing key, or an unknown effect; the
        message names the file, the field, the value and what is valid.
    """
    out = []
    for i, item in enumerate(_items(value, where, what)):
        field = f"{what}[{i}]"
        key = _text(item, "key", where, field, "write the taint's key as a string")
        if not key:
            raise ManifestError(f"{where}: {field}.key is missing; every taint has a key")
        text = _text(item, "value", where, field, "write the taint's value as a string")
        effect = item.get("effect")
        if effect not in EFFECTS:
            raise ManifestError(
                f"{where}: {field}.effect={quote(effect)} is not valid; write one of "
                f"{', '.join(EFFECTS)}"
            )
        out.append(Taint(key, effect, text))
    return tuple(out)


def read_tolerations(
    value: Any,
    where: str,
    what: str = "spec.template.spec.tolerations",
    *,
    daemonset: bool = False,
    host_network: bool = False,
) -> tuple[Toleration, ...]:
    """A pod template's ``tolerations`` list, checked.

    Parameters
    ----------
    value : Any
        What the document holds there (None: no tolerations).
    where : str
        The file and document, for messages.
    what : str, default "spec.template.spec.tolerations"
        The field's path, for messages.
    daemonset : bool, default False
        A DaemonSet's pods: add :data:`DAEMONSET_TOLERATIONS` (and, with ``host_network``,
        the ``network-unavailable`` one).
    host_network : bool, default False
        The pods use the host's network (``hostNetwork: true``).

    Returns
    -------
    tuple of Toleration

    Raises
    ------
    haplan.manifests.ManifestError
        (a ValueError) Not a list of mappings, an unknown operator or effect, an empty key without
        ``Exists``, a value with ``Exists``, or a ``tolerationSeconds`` that is no whole
        number.
    """
    out = []
    for i, item in enumerate(_items(value, where, what)):
        field = f"{what}[{i}]"
        key = _text(item, "key", where, field, "write the taint key as a string")
        operator = item.get("operator") or "Equal"
        if operator not in OPERATORS:
            raise ManifestError(
                f"{where}: {field}.operator={quote(operator)} is not valid; write Equal (the "
                "default) or Exists"
            )
        text = _text(item, "value", where, field, "write the taint value as a string")
        effect = item.get("effect") or ""
        if effect and effect not in EFFECTS:
            raise ManifestError(
                f"{where}: {field}.effect={quote(effect)} is not valid; write one of "
                f"{', '.join(EFFECTS)}, or leave it out to match every effect"
            )
        if not key and operator != "Exists":
            raise ManifestError(
                f"{where}: {field} has no key and operator {operator}; a toleration without a "
                "key needs operator: Exists (it then tolerates every taint)"
            )
        if operator == "Exists" and text:
            raise ManifestError(
                f"{where}: {field}.value={quote(text)} is not valid with operator Exists; leave "
                "the value out, or use operator: Equal"
            )
        seconds = item.get("tolerationSeconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
            raise ManifestError(
                f"{where}: {field}.tolerationSeconds={quote(seconds)} is not valid; write a "
                "whole number of seconds"
            )
        out.append(
            Toleration(key, operator, text, effect, None if seconds is None else float(seconds))
        )
    if daemonset:
        out.extend(DAEMONSET_TOLERATIONS)
        if host_network:
            out.append(_HOST_NETWORK_TOLERATION)
    return tuple(out)
