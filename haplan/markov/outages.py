"""Service MTTF, outage frequency and outage length from the node-count birth–death chain."""

from __future__ import annotations

import math

import numpy as np

from haplan._numeric import check_range, restore
from haplan.availability import HOURS_PER_YEAR, min_nodes_up
from haplan.markov.birth_death import BirthDeath, _crews_array


def service_outage_metrics(
    nodes, instances, min_instances, node_mttf_h, node_mttr_h, repair_crews=None
):
    """Service MTTF, outage frequency and outage length from a node-level birth–death chain.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, spread as
        :func:`haplan.availability.instances_per_node` places them.
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; ≤ 0 means never down.
    node_mttf_h : numeric
        Node mean time to failure [h], > 0.
    node_mttr_h : numeric
        Node mean time to repair by one crew [h], > 0.
    repair_crews : numeric or None, default None
        Nodes repaired at once [count], a whole number ≥ 1; ``None``, NaN or ``inf`` (also
        per element) mean unlimited.

    Returns
    -------
    dict of numeric
        ``service_mttf_h`` — mean time from all nodes up to the first outage [h] (``inf`` if
        never down); ``outage_frequency_per_year`` — outages per 8766-h year [1/yr];
        ``mean_outage_duration_min`` — mean outage length [min] (``nan`` if never down).
        Each has the kind of the inputs (float, ndarray or Series).

    Notes
    -----
    The chain is :class:`BirthDeath` over the N nodes with λ = 1/``node_mttf_h`` and
    μ = 1/``node_mttr_h``. Its down set is "fewer than m nodes up", with m from
    :func:`haplan.availability.min_nodes_up`: the fewest surviving nodes that keep at least k
    instances up *in the worst case, where the failed nodes are the most loaded ones*. The
    chain counts failed nodes, not which ones, so when the loads differ by one (C not a
    multiple of N) this overstates outages slightly; when C = N × R it is exact. Container
    crashes and zone failures are not in this chain (use
    :func:`haplan.availability.service_unavailability` for those). The loop runs once per
    unique (N, MTTF, MTTR, crews); every k for one chain is evaluated at once.

    References
    ----------
    .. [1] Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, §2.7.
    .. [2] Karlin and Taylor, *A First Course in Stochastic Processes*, 2nd ed., 1975, ch. 4.
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    k = check_range("min_instances", min_instances, integer=True)
    mttf = check_range("node_mttf_h", node_mttf_h, low=0, low_open=True)
    mttr = check_range("node_mttr_h", node_mttr_h, low=0, low_open=True)
    crews = _crews_array(repair_crews)
    n, c, k, mttf, mttr, crews = np.broadcast_arrays(n, c, k, mttf, mttr, crews)
    needed = np.asarray(min_nodes_up(n, c, k), dtype=float).ravel()

    shape = n.shape
    mttf_h = np.empty(needed.size)
    frequency_per_h = np.empty(needed.size)
    duration_h = np.empty(needed.size)
    chains = np.stack([a.ravel() for a in (n, mttf, mttr, crews)], axis=1)
    keys, chain_of = np.unique(chains, axis=0, return_inverse=True)
    order = np.argsort(chain_of.ravel(), kind="stable")
    bounds = np.searchsorted(chain_of.ravel()[order], np.arange(len(keys) + 1))
    for index, (units, node_mttf, node_mttr, crew_count) in enumerate(keys):
        rows = order[bounds[index] : bounds[index + 1]]
        chain = BirthDeath(
            int(units),
            1.0 / node_mttf,
            1.0 / node_mttr,
            None if math.isinf(crew_count) else int(crew_count),
        )
        min_up = needed[rows]
        mttf_h[rows] = chain.mttf(min_up)
        frequency_per_h[rows] = chain.outage_frequency(min_up)
        duration_h[rows] = chain.mean_outage_duration(min_up)

    inputs = (nodes, instances, min_instances, node_mttf_h, node_mttr_h)
    if repair_crews is not None:
        inputs = (*inputs, repair_crews)
    return {
        "service_mttf_h": restore(mttf_h.reshape(shape), *inputs),
        "outage_frequency_per_year": restore(
            frequency_per_h.reshape(shape) * HOURS_PER_YEAR, *inputs
        ),
        "mean_outage_duration_min": restore(duration_h.reshape(shape) * 60.0, *inputs),
    }
