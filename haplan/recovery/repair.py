"""Recovery feeding availability: how long a failed node's instances stay down."""

from __future__ import annotations

import numpy as np

from haplan._numeric import check_range, restore

__all__ = ["effective_repair_h"]


# -- recovery feeding availability ----------------------------------------------------------

_NODE_REPAIR = ("exponential", "fixed")


def _check_node_repair(node_repair) -> str:
    if node_repair not in _NODE_REPAIR:
        raise ValueError(
            f"node_repair={node_repair!r} is not valid: must be one of {', '.join(_NODE_REPAIR)}"
        )
    return node_repair


def _still_down_fraction(recovery_h, node_mttr_h, node_repair):
    """Share of a node's down time during which its instances are not yet back elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = recovery_h / node_mttr_h
        if node_repair == "fixed":
            share = np.minimum(ratio, 1.0)
        else:
            share = -np.expm1(-ratio)
    # A node that is never down (MTTR = 0) contributes nothing; any share will do.
    return np.where(node_mttr_h > 0, share, 1.0)


def effective_repair_h(recovery_s, node_mttr_h, node_repair="exponential"):
    r"""Mean time a failed node's instances stay down when they can move elsewhere [h].

    Parameters
    ----------
    recovery_s : numeric
        The orchestrator's recovery time after a node failure [s], ≥ 0 (e.g.
        :func:`node_failure_recovery_s`).
    node_mttr_h : numeric
        Mean time to repair the node [h], ≥ 0.
    node_repair : {"exponential", "fixed"}
        Distribution of the node's repair time X with mean MTTR.

    Returns
    -------
    numeric
        :math:`E[\min(X, d)]` [h] with d the recovery time: the instances are back at the
        recovery time or at the node's repair, whichever comes first. Exponential X gives
        :math:`\mathrm{MTTR}\,(1 - e^{-d/\mathrm{MTTR}})`; fixed X gives
        :math:`\min(d, \mathrm{MTTR})`. Both are ≈ d when d ≪ MTTR.

    References
    ----------
    .. [1] S. M. Ross, *Introduction to Probability Models*, 12th ed., Academic Press, 2019,
       §5.2 (exponential distribution); :math:`E[\min(X, d)] = \int_0^d P(X > t)\,dt`.
    """
    node_repair = _check_node_repair(node_repair)
    d = check_range("recovery_s", recovery_s, low=0) / 3600.0
    m = check_range("node_mttr_h", node_mttr_h, low=0)
    result = m * _still_down_fraction(d, m, node_repair)
    return restore(np.where(m > 0, result, 0.0), recovery_s, node_mttr_h)
