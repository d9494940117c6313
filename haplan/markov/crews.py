"""Service unavailability over the instance placement when failed nodes wait for repair crews.

:func:`crew_service_unavailability`: the placement model of
:func:`haplan.availability.service_unavailability` with the node states drawn from the
birth–death chain instead of independent nodes.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special
from scipy.special import bdtrc

from haplan._numeric import check_range, restore
from haplan.markov._placement import (
    _chain_probabilities,
    _down_given_lost,
    _given_failed_zones,
    _zone_kinds,
    _zone_level,
)
from haplan.markov.birth_death import _crews_array

# Zone states are enumerated by the number of failed zones; the enumeration stops once the
# probability of the states not yet visited is below this share of the sum so far (it bounds
# their contribution, so the rest cannot change the result beyond rounding).
_NEGLIGIBLE = 2.0**-56
# Work budget for enumerating zone states in one structure group, in hypergeometric-matrix
# elements (each is then used once per unique rate or (q_instance, k) pair); beyond it the
# rest is bounded from above (see crew_service_unavailability, Notes).
_ZONE_WORK_BUDGET = 40_000_000


def _group_unavailability(nodes, instances, zones, crews, ratio, q_instance, needed, q_zone):
    """Unavailability for rows sharing (N, C, Z', crews), all with k ≥ 1 (see the public docs).

    Returns (unavailability, exact) per row; ``exact`` is False where the zone enumeration hit
    its work budget and the value is the upper bound.
    """
    rows = ratio.size
    per_node, heavy_nodes = divmod(instances, nodes)
    ratios, ratio_row = np.unique(ratio, return_inverse=True)
    pi = _chain_probabilities(nodes, crews, ratios)
    present = np.flatnonzero(pi.max(axis=0) > 0)  # π is unimodal: an interval of states
    first, last = int(present[0]), int(present[-1])
    pi = pi[:, first : last + 1]
    pairs, pair_row = np.unique(np.stack([q_instance, needed], axis=1), axis=0, return_inverse=True)
    ratio_row, pair_row = ratio_row.ravel(), pair_row.ravel()
    down_given_lost = _down_given_lost(instances, pairs[:, 1], pairs[:, 0])
    kinds = _zone_kinds(nodes, heavy_nodes, zones)
    zone_count = sum(kind[0] for kind in kinds)
    as_matrix = ratios.size * pairs.shape[0] <= max(rows, 4096)

    total = np.zeros(rows)
    work = 0
    for failed in range(zone_count + 1):
        with np.errstate(divide="ignore"):
            log_zones = special.xlogy(failed, q_zone) + special.xlog1py(
                zone_count - failed, -q_zone
            )
        for (heavy_down, light_down), log_ways in _zone_level(kinds, failed).items():
            in_down_zones = heavy_down + light_down
            up_states = min(last, nodes - in_down_zones) - max(0, first - in_down_zones) + 1
            work += pi.shape[1] * up_states if in_down_zones else 0
            work += up_states * (min(heavy_nodes - heavy_down, last) + 1)
            if failed > 0 and work > _ZONE_WORK_BUDGET:  # bound the rest by its probability
                unvisited = bdtrc(failed - 1, zone_count, q_zone)
                return total + unvisited, unvisited <= _NEGLIGIBLE * total
            pi_up, given = _given_failed_zones(
                pi, first, down_given_lost, nodes, per_node, heavy_nodes, (heavy_down, light_down)
            )
            if as_matrix:
                value = (pi_up @ given.T)[ratio_row, pair_row]
            else:
                value = np.einsum("ri,ri->r", pi_up[ratio_row], given[pair_row])
            weight = np.exp(log_ways + log_zones)
            total += weight * value
        unvisited = bdtrc(failed, zone_count, q_zone)  # P(more than `failed` zones down)
        if (unvisited <= _NEGLIGIBLE * total).all():
            break
    return total, np.ones(rows, dtype=bool)


def crew_service_unavailability(
    nodes,
    instances,
    min_instances,
    node_mttf_h,
    node_mttr_h,
    repair_crews=None,
    instance_unavailability=0.0,
    zones=1,
    zone_unavailability=0.0,
):
    r"""Service unavailability over the placement when failed nodes wait for repair crews.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, placed as
        :func:`haplan.availability.instances_per_node` does (⌈C/N⌉ on the first C mod N
        nodes, ⌊C/N⌋ on the rest).
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; ≤ 0 means never down.
    node_mttf_h : numeric
        Node mean time to failure [h], > 0 (``inf``: nodes never fail).
    node_mttr_h : numeric
        Node mean time to repair by one crew [h], ≥ 0.
    repair_crews : numeric or None, default None
        Nodes repaired at once [count], a whole number ≥ 1; ``None``, NaN or ``inf`` (also
        per element), or a value ≥ N, mean unlimited.
    instance_unavailability : numeric, default 0
        Probability that an instance on an up node is down on its own [probability], in
        [0, 1].
    zones : numeric, default 1
        Failure zones Z [count], a whole number ≥ 1; node j is in zone j mod Z.
    zone_unavailability : numeric, default 0
        Probability that a zone is down [probability], in [0, 1]; a down zone takes all its
        nodes' instances with it.

    Returns
    -------
    numeric
        Steady-state probability that fewer than k instances are up [probability]; a float
        for scalar inputs, a Series if any input is a Series, else an ndarray.

    Notes
    -----
    **Nodes.** The number J of failed nodes is the birth–death chain of :class:`BirthDeath`
    (the machine-repair model [1]_ [2]_): failure rate (N − j)/MTTF, repair rate
    min(j, c)/MTTR with c crews. Its stationary π_j comes from the product form, summed
    outward from the mode.

    **Which nodes.** Let crews take waiting nodes first-come-first-served or in random order
    (any rule that ignores node identity), with exponential repairs. The full chain (failed
    set plus queue) is then unchanged in law by any relabelling of the nodes, and it is
    finite and irreducible, so its unique stationary distribution is relabelling-invariant:
    given J = j, the failed set is a uniformly random j-subset of the N nodes. (A rule that
    prefers particular nodes breaks this; the chain for J stays the same, the set does not.)

    **Instances.** With b = ⌊C/N⌋ and e = C mod N heavy nodes, j random failed nodes hold
    j·b + X instances, X ~ Hypergeometric(N, e, j). The C − L instances on up nodes each fail
    on their own with probability q_i, independently of the nodes [3]_, so
    :math:`g(L) = P(\mathrm{Bin}(C-L, q_i) > C-L-k)` (1 when C − L < k) and

    .. math::

        U = \sum_{j=0}^{N} \pi_j \sum_x H(x; N, e, j)\, g(jb + x).

    **Zones.** Zones fail independently of the node chain (nodes in a down zone keep failing
    and being repaired). The zones fall into at most three kinds (nodes, heavy nodes) under
    the round-robin layout; enumerating how many zones of each kind are down gives the
    heavy and light nodes D_h, D_l in down zones, which lose all D_h(b+1) + D_l·b of their
    instances. Given that, the j failed nodes put i in up zones with probability
    H(i; N, N − D_h − D_l, j), and those i are a uniform subset of the up-zone nodes, so the
    sum above applies to the up zones. Zone states are visited by number of failed zones and
    the visit stops when the probability of the rest is below 2⁻⁵⁶ of the sum so far (the
    conditional unavailability is at most 1, so the rest cannot change the result). Hence
    the result is exact, zones included, up to rounding.

    With unlimited crews π is Binomial(N, MTTR/(MTTF + MTTR)) and the result equals
    :func:`haplan.availability.service_unavailability`. Fewer crews make J stochastically
    larger (likelihood-ratio order of π) and P(down | j) grows with j, so U never falls
    when crews are removed.

    Numerics: all terms are non-negative and summed on the down side; binomial coefficients
    are exact integers correctly rounded, so results keep ~1e-13 relative precision (π's
    sums of logs add ~N·ε) down to float underflow (~1e-300). Cost per unique
    (N, C, Z, crews): O(C) incomplete beta values per unique (instance_unavailability, k)
    pair, O(N·e) per zone state, plus O(N²) per zone state with a failed zone, each times
    the unique MTTR/MTTF ratios and (instance_unavailability, k) pairs it serves; states
    whose π underflows in every row are skipped. A zone enumeration that would need more
    than 4·10⁷ hypergeometric entries (hundreds of zones that fail often) stops early and
    returns an upper bound, the sum so far plus the probability of the zone states not
    visited, with a ``UserWarning``.

    References
    ----------
    .. [1] K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., Wiley, 2016, ch. 8 (birth–death processes, repairable
       systems with limited repair facilities).
    .. [2] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
       Theory*, 4th ed., Wiley, 2008, §2.7 (the machine-repair model).
    .. [3] W. Feller, *An Introduction to Probability Theory and Its Applications*, vol. 1,
       3rd ed., Wiley, 1968, §II.6 (the hypergeometric distribution).

    Examples
    --------
    Two nodes, one instance each, one crew, need one: U = 2λ²/(μ² + 2λμ + 2λ²).

    >>> u = crew_service_unavailability(2, 2, 1, node_mttf_h=100.0, node_mttr_h=1.0,
    ...                                 repair_crews=1)
    >>> round(u / (2e-4 / (1 + 2e-2 + 2e-4)), 12)
    1.0
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    k = check_range("min_instances", min_instances, integer=True)
    mttf = check_range("node_mttf_h", node_mttf_h, low=0, low_open=True, allow_inf=True)
    mttr = check_range("node_mttr_h", node_mttr_h, low=0)
    crews = _crews_array(repair_crews)
    q_instance = check_range("instance_unavailability", instance_unavailability, low=0, high=1)
    z = check_range("zones", zones, low=1, integer=True)
    q_zone = check_range("zone_unavailability", zone_unavailability, low=0, high=1)
    arrays = np.broadcast_arrays(n, c, k, mttf, mttr, crews, q_instance, z, q_zone)
    shape = arrays[0].shape
    n, c, k, mttf, mttr, crews, q_instance, z, q_zone = (a.ravel() for a in arrays)
    too_many = k > c
    if too_many.any():
        first = np.flatnonzero(too_many)[0]
        raise ValueError(
            f"min_instances={k[first]:.0f} is out of range: must be <= instances={c[first]:.0f} "
            "(the service cannot need more instances than it runs)"
        )

    result = np.zeros(n.size)
    active = np.flatnonzero(k > 0)
    if active.size:
        ratio = mttr[active] / mttf[active]  # λ/μ; mttf = inf gives 0
        crews_used = np.minimum(crews[active], n[active])
        zones_used = np.where(q_zone[active] > 0, np.minimum(z[active], n[active]), 1.0)
        structure = np.stack([n[active], c[active], zones_used, crews_used], axis=1)
        keys, group_of = np.unique(structure, axis=0, return_inverse=True)
        group_of = group_of.ravel()
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        bounded = []
        for index, (units, count, zone_count, crew_count) in enumerate(keys.astype(np.int64)):
            picked = order[bounds[index] : bounds[index + 1]]
            rows = active[picked]
            value, exact = _group_unavailability(
                int(units),
                int(count),
                int(zone_count),
                int(crew_count),
                ratio[picked],
                q_instance[rows],
                k[rows],
                q_zone[rows],
            )
            result[rows] = np.minimum(value, 1.0)  # sums of probabilities may pass 1 by an ulp
            if not exact.all():
                bounded.append((int(units), int(zone_count)))
        if bounded:
            warnings.warn(
                "crew_service_unavailability: too many zone states to enumerate for "
                f"(nodes, zones) in {sorted(set(bounded))}; those rows are upper bounds",
                UserWarning,
                stacklevel=2,
            )

    inputs = (nodes, instances, min_instances, node_mttf_h, node_mttr_h)
    if repair_crews is not None:
        inputs = (*inputs, repair_crews)
    inputs = (*inputs, instance_unavailability, zones, zone_unavailability)
    return restore(result.reshape(shape), *inputs)
