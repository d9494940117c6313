"""Steady-state availability: components, k-of-n, replicas placed on nodes and zones, nines.

Every function computes the *unavailability* (the small number) directly from the
probabilities of the failure states, never as 1 − A, so 1e-30 keeps all its digits. All
functions broadcast over their arguments (scalars, lists, ndarrays, Series) and return the
kind they were given (see :func:`haplan._numeric.restore`).

Placement convention used throughout (``service_unavailability``, ``instances_per_node``):
C instances go round-robin over the N nodes (instance i on node i mod N), so every node holds
⌊C/N⌋ or ⌈C/N⌉ instances, the ⌈C/N⌉ ones first; the nodes go round-robin over the Z zones
(node j in zone j mod Z). Hence the instance-heavy nodes are dealt out over the zones in turn
and zone sizes (in nodes and in instances) differ as little as the counts allow — what
Kubernetes ``topologySpreadConstraints`` with ``maxSkew: 1`` on zone and hostname, or Docker
Swarm's ``spread`` placement preference, produce.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.special import bdtr, bdtrc

from haplan._numeric import check_range, restore

__all__ = [
    "YEAR_DAYS",
    "MONTH_DAYS",
    "WINDOW_28_DAYS",
    "MINUTES_PER_DAY",
    "steady_state_unavailability",
    "steady_state_availability",
    "k_of_n_unavailability",
    "k_of_n_availability",
    "instances_per_node",
    "min_nodes_up",
    "service_unavailability",
    "service_availability",
    "service_outage_frequency",
    "service_outages",
    "nines",
    "unavailability_from_nines",
    "downtime_minutes",
    "error_budget_minutes",
    "remaining_error_budget_minutes",
]

#: Mean Gregorian year [days] (the usual SLO year: 99.99 % allows 52.60 min).
YEAR_DAYS = 365.25
#: A 30-day month [days] (99.9 % allows 43.2 min).
MONTH_DAYS = 30.0
#: A rolling 28-day SLO window [days], four whole weeks.
WINDOW_28_DAYS = 28.0
#: Minutes in a day.
MINUTES_PER_DAY = 1440.0


# --------------------------------------------------------------------------- one component


def steady_state_unavailability(mttf, mttr):
    r"""Steady-state unavailability of one repairable component, MTTR / (MTTF + MTTR).

    Parameters
    ----------
    mttf : numeric
        Mean time to failure [any time unit, e.g. h], > 0; ``inf`` means never fails.
    mttr : numeric
        Mean time to repair [same unit as ``mttf``], ≥ 0.

    Returns
    -------
    numeric
        Long-run fraction of time the component is down [probability].

    Notes
    -----
    For an alternating renewal process (up periods with mean MTTF, down periods with mean
    MTTR, any distributions) the long-run fraction of time down is
    :math:`U = \mathrm{MTTR} / (\mathrm{MTTF} + \mathrm{MTTR})` [1]_.

    References
    ----------
    .. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965,
       ch. 3 (alternating renewal processes); K. S. Trivedi, *Probability and Statistics with
       Reliability, Queuing, and Computer Science Applications*, 2nd ed., Wiley, 2016, §8.2.
    """
    f = check_range("mttf", mttf, low=0, low_open=True, allow_inf=True)
    r = check_range("mttr", mttr, low=0)
    return restore(r / (f + r), mttf, mttr)


def steady_state_availability(mttf, mttr):
    r"""Steady-state availability of one repairable component, MTTF / (MTTF + MTTR).

    Parameters
    ----------
    mttf : numeric
        Mean time to failure [any time unit, e.g. h], > 0; ``inf`` means never fails.
    mttr : numeric
        Mean time to repair [same unit as ``mttf``], ≥ 0.

    Returns
    -------
    numeric
        Long-run fraction of time the component is up [probability].

    Notes
    -----
    :math:`A = \mathrm{MTTF} / (\mathrm{MTTF} + \mathrm{MTTR})`; see
    :func:`steady_state_unavailability` for the source. Use the unavailability when A is
    close to 1.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 3.
    """
    f = check_range("mttf", mttf, low=0, low_open=True, allow_inf=True)
    r = check_range("mttr", mttr, low=0)
    f, r = np.broadcast_arrays(f, r)
    with np.errstate(invalid="ignore"):
        result = np.where(np.isinf(f), 1.0, f / (f + r))
    return restore(result, mttf, mttr)


# --------------------------------------------------------------------------- k of n


def _ints(values):
    return values.astype(np.int64)


def _k_n_q(k, n, unit_unavailability):
    kk = check_range("k", k, integer=True)
    nn = check_range("n", n, low=1, integer=True)
    q = check_range("unit_unavailability", unit_unavailability, low=0, high=1)
    kk, nn, q = np.broadcast_arrays(kk, nn, q)
    too_many = kk > nn
    if too_many.any():
        first = np.flatnonzero(too_many.ravel())[0]
        raise ValueError(
            f"k={kk.flat[first]:.0f} is out of range: must be <= n={nn.flat[first]:.0f} "
            "(the service cannot need more units than it has)"
        )
    return kk, nn, q


def k_of_n_unavailability(k, n, unit_unavailability):
    r"""Probability that fewer than k of n independent identical units are up.

    Parameters
    ----------
    k : numeric
        Units needed for the system to be up [count], a whole number ≤ n; k ≤ 0 means the
        system is always up.
    n : numeric
        Units [count], a whole number ≥ 1.
    unit_unavailability : numeric
        Probability that one unit is down [probability], in [0, 1]. Pass the unavailability,
        not the availability, so that 1e-9 keeps its digits.

    Returns
    -------
    numeric
        System unavailability [probability].

    Notes
    -----
    With D ~ Binomial(n, q) the number of units down, the system is down when more than
    n − k units are down: :math:`U = P(D > n-k) = \sum_{j=n-k+1}^{n} \binom{n}{j} q^j
    (1-q)^{n-j}`, evaluated as the binomial survival function (``scipy.special.bdtrc``, a
    regularised incomplete beta function accurate to a few ulps), which sums the small side
    directly [1]_.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 2 (k-out-of-n
       structures); worked example "k out of n": 3-of-4 with unit availability 0.9 gives
       0.9477 (reliabilityanalytics.com).
    """
    kk, nn, q = _k_n_q(k, n, unit_unavailability)
    down_tolerated = np.maximum(nn - kk, 0.0)
    result = np.where(kk <= 0, 0.0, bdtrc(_ints(np.minimum(down_tolerated, nn)), _ints(nn), q))
    return restore(result, k, n, unit_unavailability)


def k_of_n_availability(k, n, unit_unavailability):
    r"""Probability that at least k of n independent identical units are up.

    Parameters
    ----------
    k : numeric
        Units needed [count], a whole number ≤ n; k ≤ 0 means always up.
    n : numeric
        Units [count], a whole number ≥ 1.
    unit_unavailability : numeric
        Probability that one unit is down [probability], in [0, 1].

    Returns
    -------
    numeric
        System availability [probability].

    Notes
    -----
    :math:`A = P(D \le n-k)` with D ~ Binomial(n, q) the units down (``scipy.special.bdtr``);
    see :func:`k_of_n_unavailability`.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 2.
    """
    kk, nn, q = _k_n_q(k, n, unit_unavailability)
    down_tolerated = np.maximum(nn - kk, 0.0)
    result = np.where(kk <= 0, 1.0, bdtr(_ints(np.minimum(down_tolerated, nn)), _ints(nn), q))
    return restore(result, k, n, unit_unavailability)


# --------------------------------------------------------------------------- placement


def instances_per_node(nodes, instances):
    """Instances on each node when a spreading scheduler places them, most loaded first.

    Parameters
    ----------
    nodes : int
        Nodes N [count], ≥ 1.
    instances : int
        Instances C [count], ≥ 0.

    Returns
    -------
    numpy.ndarray
        Integer array of length N, descending: C mod N nodes hold ⌈C/N⌉ instances, the rest
        ⌊C/N⌋. C = N × R puts R on every node; 3 instances on 5 nodes give [1, 1, 1, 0, 0];
        7 on 3 give [3, 2, 2].

    Notes
    -----
    Anti-affinity / spread scheduling (Kubernetes ``topologySpreadConstraints`` with
    ``maxSkew: 1`` on ``kubernetes.io/hostname``; Docker Swarm's default ``spread`` strategy)
    keeps per-node counts within one of each other [1]_.

    References
    ----------
    .. [1] Kubernetes documentation, "Pod Topology Spread Constraints",
       https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/ ;
       Docker documentation, "Deploy services to a swarm" (placement preferences).
    """
    n = int(check_range("nodes", nodes, low=1, integer=True))
    c = int(check_range("instances", instances, low=0, integer=True))
    base, extra = divmod(c, n)
    counts = np.full(n, base, dtype=np.int64)
    counts[:extra] += 1
    return counts


def min_nodes_up(nodes, instances, min_instances):
    """Fewest up nodes that keep at least ``min_instances`` instances up, whichever nodes fail.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, placed by :func:`instances_per_node`.
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; k ≤ 0 gives 0.

    Returns
    -------
    numeric
        m [count]: the smallest number of surviving nodes such that any m nodes hold at least
        k instances. In the worst case the failed nodes are the most loaded ones, so m is the
        smallest s whose s least-loaded nodes hold ≥ k instances. ``nodes - m`` node failures
        are always tolerated (ignoring container crashes).

    Notes
    -----
    With b = ⌊C/N⌋, e = C mod N and a = N − e nodes holding b instances:
    m = ⌈k/b⌉ if b ≥ 1 and k ≤ a·b, otherwise a + ⌈(k − a·b)/(b+1)⌉.
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    k = check_range("min_instances", min_instances, integer=True)
    n, c, k = np.broadcast_arrays(n, c, k)
    _check_k_le_c(k, c)
    base = np.floor(c / n)
    light_nodes = n - (c - base * n)
    light_total = light_nodes * base
    with np.errstate(divide="ignore", invalid="ignore"):
        on_light = np.ceil(k / base)
    on_heavy = light_nodes + np.ceil((k - light_total) / (base + 1))
    result = np.where(k <= 0, 0.0, np.where((base >= 1) & (k <= light_total), on_light, on_heavy))
    return restore(result, nodes, instances, min_instances)


def _check_k_le_c(k, c):
    too_many = k > c
    if too_many.any():
        first = np.flatnonzero(too_many.ravel())[0]
        raise ValueError(
            f"min_instances={k.flat[first]:.0f} is out of range: must be <= "
            f"instances={c.flat[first]:.0f} (the service cannot need more instances than it runs)"
        )


# --------------------------------------------------------------------------- service model
#
# Distributions of the number of instances DOWN, one row per scenario, truncated at `size`:
# column j < size holds P(down = j), column `size` holds P(down >= size). Only sums and
# products of non-negative numbers are formed, so tiny tail probabilities keep their digits.


def _convolve(x, y, size):
    """Distribution of X + Y for independent X, Y given as truncated rows (see above)."""
    if x is None:
        return y
    if y is None:
        return x
    if size == 1:  # two entries (k = 1 counted up): the general branch's sums, without overhead
        out = np.empty_like(x)
        out[:, 0] = x[:, 0] * y[:, 0]
        out[:, 1] = x[:, 1] + x[:, 0] * y[:, 1]
        return out
    tail_y = np.cumsum(y[:, ::-1], axis=1)[:, ::-1]  # tail_y[:, t] = P(Y >= t)
    out = np.empty_like(x)
    rows = x.shape[0]
    if rows < size:
        for row in range(rows):
            out[row, :size] = np.convolve(x[row, :size], y[row, :size])[:size]
            out[row, size] = x[row, size] + np.dot(x[row, :size], tail_y[row, size:0:-1])
    else:
        out[:] = 0.0
        for i in range(size):
            out[:, i:size] += x[:, i : i + 1] * y[:, : size - i]
        out[:, size] = x[:, size] + np.einsum("ij,ij->i", x[:, :size], tail_y[:, size:0:-1])
    return out


def _power(x, count, size):
    """Distribution of the sum of ``count`` independent copies (None = the sum is 0)."""
    if count < 0:  # a layout bug must fail loudly: a negative count would never end the loop
        raise RuntimeError(f"internal error: negative node count {count} in the placement")
    result = None
    while count:
        if count & 1:
            result = _convolve(result, x, size)
        count >>= 1
        if count:
            x = _convolve(x, x, size)
    return result


def _node_down(load, q_node, q_instance, size, count_up=False):
    """Instances down on one node holding ``load`` instances (node or instance failures).

    With ``count_up``, the distribution of the instances *up* instead (a down node has none
    up): the same numbers in reverse order, truncated at ``size`` from the other end.
    """
    down = np.arange(load + 1)
    q = q_instance[:, None]
    # Binomial pmf in log space (exact to ~1e-14 relative, and far cheaper than scipy.stats
    # for the thousands of small calls a sweep makes): C(L, d) q^d (1 - q)^(L - d).
    log_factorial = special.gammaln(down + 1)  # log d!, d = 0 … L
    with np.errstate(divide="ignore"):
        log_pmf = (
            log_factorial[load]
            - log_factorial
            - log_factorial[::-1]
            + special.xlogy(down, q)
            + special.xlog1py(load - down, -q)
        )
    pmf = np.exp(log_pmf) * (1.0 - q_node)[:, None]
    pmf[:, load] += q_node
    if count_up:
        pmf = pmf[:, ::-1]
    out = np.zeros((q_node.shape[0], size + 1))
    kept = min(load + 1, size)
    out[:, :kept] = pmf[:, :kept]
    if load >= size:
        out[:, size] = pmf[:, size:].sum(axis=1)
    return out


def _zone_types(nodes, instances, zones):
    """(count, heavy nodes, light nodes) of each kind of zone under the round-robin layout."""
    base, extra = divmod(instances, nodes)
    if zones == 1:
        return base, [(1, extra, nodes - extra)]
    zone = np.arange(min(zones, nodes))
    nodes_in_zone = (nodes - zone + zones - 1) // zones
    heavy = np.where(zone < extra, (extra - zone + zones - 1) // zones, 0)
    pairs, counts = np.unique(
        np.stack([heavy, nodes_in_zone - heavy], axis=1), axis=0, return_counts=True
    )
    return base, [(int(n), int(h), int(light)) for (h, light), n in zip(pairs, counts, strict=True)]


def _down_distribution(nodes, instances, zones, q_node, q_instance, q_zone, size, count_up=False):
    """Truncated distribution of the instances down (or, with ``count_up``, up) in all."""
    base, zone_types = _zone_types(nodes, instances, zones)
    # only built when some node holds base + 1 (C not a multiple of N)
    heavy_node = (
        _node_down(base + 1, q_node, q_instance, size, count_up) if instances % nodes else None
    )
    light_node = _node_down(base, q_node, q_instance, size, count_up) if base > 0 else None
    total = None
    for count, heavy, light in zone_types:
        zone_instances = heavy * (base + 1) + light * base
        if zone_instances == 0:
            continue
        in_zone = _convolve(
            _power(heavy_node, heavy, size) if heavy else None,
            _power(light_node, light, size) if light_node is not None else None,
            size,
        )
        zone_dist = in_zone * (1.0 - q_zone)[:, None]
        zone_dist[:, 0 if count_up else min(zone_instances, size)] += q_zone  # zone down
        total = _convolve(total, _power(zone_dist, count, size), size)
    return total


def _service_inputs(
    nodes,
    instances,
    min_instances,
    node_unavailability,
    instance_unavailability,
    zones,
    zone_unavailability,
):
    arrays = (
        check_range("nodes", nodes, low=1, integer=True),
        check_range("instances", instances, low=1, integer=True),
        check_range("min_instances", min_instances, integer=True),
        check_range("node_unavailability", node_unavailability, low=0, high=1),
        check_range("instance_unavailability", instance_unavailability, low=0, high=1),
        check_range("zones", zones, low=1, integer=True),
        check_range("zone_unavailability", zone_unavailability, low=0, high=1),
    )
    arrays = np.broadcast_arrays(*arrays)
    _check_k_le_c(arrays[2], arrays[1])
    return arrays


def _side_probabilities(nodes, instances, zones, k, qn, qi, qz, rows, count_up):
    """(unavailability, availability) of ``rows`` of one structure, counting instances up
    (``count_up``) or down; both sides are sums of non-negative terms, never 1 − x."""
    # Counting down: out when down >= C - k + 1. Counting up: out when up <= k - 1.
    threshold = (k if count_up else instances - k + 1).astype(np.int64)
    size = int(threshold.max())
    # Rows that differ only in k share one distribution (a sweep over load does that).
    q = np.stack([qn[rows], qi[rows], qz[rows]], axis=1)
    if (q == q[0]).all():
        probabilities, which = q[:1], np.zeros(rows.size, dtype=np.int64)
    else:
        probabilities, which = np.unique(q, axis=0, return_inverse=True)
        which = which.ravel()
    dist = _down_distribution(
        nodes, instances, zones, *probabilities.T.copy(), size, count_up=count_up
    )
    tail = np.minimum(np.cumsum(dist[:, ::-1], axis=1)[:, ::-1], 1.0)  # P(X >= j)
    head = np.minimum(np.cumsum(dist, axis=1), 1.0)  # P(X <= j); rounding never exceeds 1
    if count_up:  # U = P(up <= k - 1), A = P(up >= k)
        return head[which, threshold - 1], tail[which, threshold]
    return tail[which, threshold], head[which, threshold - 1]


def _service_probabilities(n, c, k, qn, qi, z, qz):
    """(unavailability, availability) arrays for validated, broadcast inputs."""
    shape = n.shape
    n, c, k, qn, qi, z, qz = (a.ravel() for a in (n, c, k, qn, qi, z, qz))
    down = np.zeros(n.shape)
    up = np.ones(n.shape)
    active = np.flatnonzero(k > 0)
    if active.size:
        structure = np.stack([n[active], c[active], z[active]], axis=1)
        keys, group_of = np.unique(structure, axis=0, return_inverse=True)
        group_of = group_of.ravel()
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        for g, (nodes, instances, zones) in enumerate(keys.astype(np.int64)):
            group = active[order[bounds[g] : bounds[g + 1]]]
            # The service is down when at most k - 1 instances are up, i.e. at least
            # C - k + 1 are down: count whichever side is shorter, so the truncated
            # distributions hold min(k, C - k + 1) + 1 entries (k = 1 needs two).
            short_up = k[group] <= instances - k[group] + 1
            for rows, count_up in ((group[short_up], True), (group[~short_up], False)):
                if rows.size:
                    down[rows], up[rows] = _side_probabilities(
                        int(nodes), int(instances), int(zones), k[rows], qn, qi, qz, rows, count_up
                    )
    return down.reshape(shape), up.reshape(shape)


def service_unavailability(
    nodes,
    instances,
    min_instances,
    node_unavailability,
    instance_unavailability=0.0,
    zones=1,
    zone_unavailability=0.0,
):
    r"""Probability that fewer than ``min_instances`` instances are up, over the real placement.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C of the service [count], a whole number ≥ 1 (the article's C = N × R).
    min_instances : numeric
        Instances k the service needs to count as up [count], a whole number ≤ C; k ≤ 0
        means always up.
    node_unavailability : numeric
        Probability that a node is down [probability], in [0, 1]; a down node takes all its
        instances with it.
    instance_unavailability : numeric, default 0
        Probability that an instance on an up node is down on its own (crash, restart)
        [probability], in [0, 1].
    zones : numeric, default 1
        Failure zones Z [count], a whole number ≥ 1; nodes are dealt round-robin over the
        zones (zones beyond N stay empty and do not matter).
    zone_unavailability : numeric, default 0
        Probability that a zone is down [probability], in [0, 1]; a down zone takes all its
        nodes with it.

    Returns
    -------
    numeric
        Service unavailability [probability]; same kind as the inputs.

    Notes
    -----
    Placement: see the module docstring (instances round-robin over nodes, nodes round-robin
    over zones; e.g. 7 instances on 5 nodes in 2 zones: nodes hold [2, 2, 1, 1, 1], zone 0
    has nodes 0, 2, 4 with 4 instances, zone 1 nodes 1, 3 with 3).

    All failures are independent. The number of instances *down* on a node with r instances
    is r with probability q_node, else Binomial(r, q_instance); a zone's count is the
    convolution of its nodes' counts when the zone is up and its whole instance count with
    probability q_zone; the service's count D is the convolution over zones (generating
    functions, [1]_ §3.9). U = P(D ≥ C − k + 1). The same holds for the count of instances
    *up* (0 for a down node or zone), with U = P(up ≤ k − 1); each row is counted on the
    shorter side, truncated at min(k, C − k + 1) (one lumped tail entry), so the cost is
    O(min(k, C − k + 1)² · log N) per scenario, grouped over identical (N, C, Z). Direct
    (not FFT) convolution of non-negative numbers keeps relative precision at any magnitude
    down to float underflow (~1e-300).

    References
    ----------
    .. [1] K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., Wiley, 2016.
    .. [2] Kubernetes documentation, "Pod Topology Spread Constraints".
    """
    args = _service_inputs(
        nodes,
        instances,
        min_instances,
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )
    down, _ = _service_probabilities(*args)
    return restore(
        down,
        nodes,
        instances,
        min_instances,
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )


def service_availability(
    nodes,
    instances,
    min_instances,
    node_unavailability,
    instance_unavailability=0.0,
    zones=1,
    zone_unavailability=0.0,
):
    """Probability that at least ``min_instances`` instances are up, over the real placement.

    Same parameters and model as :func:`service_unavailability` (read its Notes); the result
    is summed from the up side of the same distribution [probability].

    References
    ----------
    .. [1] Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., 2016.
    """
    args = _service_inputs(
        nodes,
        instances,
        min_instances,
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )
    _, up = _service_probabilities(*args)
    return restore(
        up,
        nodes,
        instances,
        min_instances,
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )


# --------------------------------------------------------------------------- outage frequency
#
# Frequency of entries into the down set, ν = Σ_i f_i · I_i over independent two-state
# components: f_i = 1/(MTTF_i + MTTR_i) is component i's failure frequency and
# I_i = U(i down) − U(i up) its Birnbaum importance: the probability that i is critical, i.e.
# that the service is up with i up and down with i down. Each I_i is computed as a sum of
# non-negative products (never a difference of unavailabilities), counting on whichever side
# ``_service_probabilities`` counts (instances down or up, whichever gives shorter rows).
#
# Down side. D_rest = instances down among everything but component i, T = C − k + 1 the
# first down count that is an outage. With i up the component adds X_up down, with i down
# X_down ≥ X_up; i is critical when D_rest + X_up < T ≤ D_rest + X_down. Put j = T − D_rest:
#   node with load L (its zone up; X_up ~ Bin(L, q_inst), X_down = L):
#       a_zone · Σ_{j=1..L} P(D_rest = T−j) · P(Bin(L, q_inst) < j)
#   instance on such a node (node and zone up; X_up = 0, X_down = 1): critical when
#   D_others + V = T − 1, with D_others down among the other nodes and zones and
#   V ~ Bin(L−1, q_inst) down among the node's other instances; with j = T − D_others:
#       a_zone · a_node · Σ_{j=1..L} P(D_others = T−j) · P(Bin(L−1, q_inst) = j−1)
#   zone holding M instances (X_up = W, its down count with the zone up; X_down = M):
#       Σ_{j=1..M} P(D_rest = T−j) · P(W < j).
#
# Up side. R_rest = instances up among everything but component i; the service is down when
# up ≤ k − 1. With i up the component adds Y_up up, with i down Y_down = 0 (a down node, zone
# or instance adds no instance up); i is critical when R_rest ≤ k − 1 < R_rest + Y_up. With
# j = k − R_rest ∈ {1, …, k}: critical ⇔ R_rest = k − j and Y_up ≥ j, so
# I_i = Σ_j P(R_rest = k−j) · P(Y_up ≥ j):
#   node with load L (zone up; Y_up = L − Bin(L, q_inst) ~ Bin(L, 1 − q_inst)):
#       a_zone · Σ_{j=1..L} P(R_rest = k−j) · P(Bin(L, q_inst) ≤ L − j)
#   instance on such a node (node and zone up; Y_up = 1): critical when
#   R_others + V = k − 1, with R_others up among the other nodes and zones and V up among
#   the node's other L − 1 instances (V = j − 1 ⇔ L − j of them down); with j = k − R_others:
#       a_zone · a_node · Σ_{j=1..L} P(R_others = k−j) · P(Bin(L−1, q_inst) = L − j)
#   zone holding M instances (Y_up = W, its up count with the zone up):
#       Σ_{j=1..M} P(R_rest = k−j) · P(W ≥ j).
# The rest rows are truncated at `size` ≥ T (or ≥ k) and only entries T−j ≤ T−1 (k−j ≤ k−1)
# are read, never the lumped tail; j beyond the threshold reads zeros (``_critical`` pads).


def _component_times(mttf_name, mttf, mttr_name, mttr):
    """Validated (MTTF, MTTR) of one kind of component."""
    f = check_range(mttf_name, mttf, low=0, low_open=True, allow_inf=True)
    r = check_range(mttr_name, mttr, low=0)
    return f, r


def _rates_from_times(f, r):
    """(unavailability, availability, failure frequency 1/(MTTF + MTTR)) of a component."""
    never = np.isinf(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(never, 0.0, r / (f + r))
        a = np.where(never, 1.0, f / (f + r))
        # Instantaneous downs (MTTR = 0) are not outages: they add no downtime and no count.
        frequency = np.where(r > 0, 1.0 / (f + r), 0.0)
    return q, a, frequency


def _delta(rows, size):
    """Truncated distribution of the constant 0."""
    out = np.zeros((rows, size + 1))
    out[:, 0] = 1.0
    return out


def _critical(rest, which, threshold, weights):
    """Σ_j rest[which, T−j] · weights[which, j−1] for j = 1 … weights' columns, T−j ≥ 0."""
    pad = weights.shape[1]
    padded = np.concatenate([np.zeros((rest.shape[0], pad)), rest], axis=1)
    total = np.zeros(which.size)
    for j in range(1, pad + 1):
        total += padded[which, threshold - j + pad] * weights[which, j - 1]
    return total


def _binomial_pmf(trials, q, down):
    """P(Bin(trials, q) = d) for each d in ``down``, one row per q (log space, as
    ``_node_down``); 0 outside 0 … trials."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            special.gammaln(trials + 1)
            - special.gammaln(down + 1)
            - special.gammaln(np.maximum(trials - down, 0) + 1)
            + special.xlogy(down, q[:, None])
            + special.xlog1py(trials - down, -q[:, None])
        )
    return np.where((down >= 0) & (down <= trials), np.exp(log_pmf), 0.0)


def _group_outages(structure, q, which, threshold, frequencies, count_up):
    """Frequency, unavailability, availability for rows sharing (N, C, Z), counting
    instances up (``count_up``: threshold k, out when up < k) or down (threshold C − k + 1,
    out when down >= threshold); the critical weights of each side are derived above
    ``_component_times``."""
    nodes, instances, zones = structure
    qn, qi, qz, an, az = q.T.copy()
    f_node, f_instance, f_zone = frequencies
    rows, unique = which.size, q.shape[0]
    size = int(threshold.max())
    base, zone_types = _zone_types(nodes, instances, zones)
    heavy_node = _node_down(base + 1, qn, qi, size, count_up) if instances % nodes else None
    light_node = _node_down(base, qn, qi, size, count_up) if base > 0 else None
    kinds = []  # per zone type: count, heavy, light, load, up-zone dist, rest given a node
    for count, heavy, light in zone_types:
        load = heavy * (base + 1) + light * base
        if load == 0:
            continue  # holds nothing: never matters
        light = light if light_node is not None else 0
        heavy_less = _power(heavy_node, heavy - 1, size) if heavy else None
        light_less = _power(light_node, light - 1, size) if light else None
        heavy_all = _convolve(heavy_less, heavy_node, size) if heavy else None
        light_all = _convolve(light_less, light_node, size) if light else None
        up_zone = _convolve(heavy_all, light_all, size)
        zone_dist = up_zone * az[:, None]
        zone_dist[:, 0 if count_up else min(load, size)] += qz  # zone down: 0 up, all down
        zone_less = _power(zone_dist, count - 1, size)
        kinds.append(
            {
                "count": count,
                "heavy": heavy,
                "light": light,
                "load": load,
                "up_zone": up_zone,
                "rest_heavy": _convolve(heavy_less, light_all, size) if heavy else None,
                "rest_light": _convolve(heavy_all, light_less, size) if light else None,
                "zone_less": zone_less,
                "zones_all": _convolve(zone_less, zone_dist, size),
            }
        )
    prefix, suffix = [None], [None]
    for kind in kinds:
        prefix.append(_convolve(prefix[-1], kind["zones_all"], size))
    for kind in reversed(kinds):
        suffix.append(_convolve(suffix[-1], kind["zones_all"], size))
    suffix.reverse()  # suffix[t] = zones of types t, t+1, …

    frequency = np.zeros(rows)
    for t, kind in enumerate(kinds):
        outside = _convolve(prefix[t], suffix[t + 1], size)
        other_zones = _convolve(kind["zone_less"], outside, size)
        if np.any(f_zone > 0):  # a zone of this type fails
            columns = min(kind["load"], size)
            if count_up:  # P(W >= j), j = 1 … columns (the lumped last entry is W >= size)
                weights = np.cumsum(kind["up_zone"][:, ::-1], axis=1)[:, ::-1][:, 1 : columns + 1]
            else:  # P(W < j), j = 1 … columns
                weights = np.cumsum(kind["up_zone"][:, :columns], axis=1)
            rest = other_zones if other_zones is not None else _delta(unique, size)
            critical = _critical(rest, which, threshold, weights)
            frequency += kind["count"] * critical * f_zone
        for number, load, in_zone in (
            (kind["heavy"], base + 1, kind["rest_heavy"]),
            (kind["light"], base, kind["rest_light"]),
        ):
            if number == 0 or load == 0:
                continue
            rest = _convolve(in_zone, other_zones, size)
            rest = rest if rest is not None else _delta(unique, size)
            columns = min(load, size)
            j = np.arange(1, columns + 1)
            how_many = kind["count"] * number
            if np.any(f_node > 0):
                # Bin(load, q_inst) down on the up node: P(down <= load − j) (up side) or
                # P(down <= j − 1) (down side), for j = 1 … columns
                most_down = load - j if count_up else j - 1
                below = bdtr(most_down[None, :], load, qi[:, None]) * az[:, None]
                critical = _critical(rest, which, threshold, below)
                frequency += how_many * critical * f_node
            if np.any(f_instance > 0):
                # the node's other load − 1 instances: load − j down (up side) or j − 1 down
                pmf = _binomial_pmf(load - 1, qi, load - j if count_up else j - 1)
                critical = _critical(rest, which, threshold, pmf * (az * an)[:, None])
                frequency += how_many * load * critical * f_instance
    full = prefix[-1]
    tail = np.minimum(np.cumsum(full[:, ::-1], axis=1)[:, ::-1], 1.0)  # P(X >= j)
    head = np.minimum(np.cumsum(full, axis=1), 1.0)  # P(X <= j)
    if count_up:  # U = P(up <= k − 1), A = P(up >= k)
        return frequency, head[which, threshold - 1], tail[which, threshold]
    return frequency, tail[which, threshold], head[which, threshold - 1]


def _outage_columns(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf,
    instance_mttr,
    zones,
    zone_mttf,
    zone_mttr,
    count_up=None,
):
    """(frequency, unavailability, availability) arrays; ``count_up`` None counts each row on
    its shorter side (as ``_service_probabilities``), True/False forces a side (tests)."""
    arrays = np.broadcast_arrays(
        check_range("nodes", nodes, low=1, integer=True),
        check_range("instances", instances, low=1, integer=True),
        check_range("min_instances", min_instances, integer=True),
        *_component_times("node_mttf", node_mttf, "node_mttr", node_mttr),
        *_component_times("instance_mttf", instance_mttf, "instance_mttr", instance_mttr),
        check_range("zones", zones, low=1, integer=True),
        *_component_times("zone_mttf", zone_mttf, "zone_mttr", zone_mttr),
    )
    n, c, k, fn, rn, fi, ri, z, fz, rz = (a.ravel() for a in arrays)
    shape = arrays[0].shape
    _check_k_le_c(k, c)
    qn, an, nu_n = _rates_from_times(fn, rn)
    qi, _, nu_i = _rates_from_times(fi, ri)
    qz, az, nu_z = _rates_from_times(fz, rz)

    frequency = np.zeros(n.shape)
    down = np.zeros(n.shape)
    up = np.ones(n.shape)
    active = np.flatnonzero(k > 0)
    if active.size:
        structure = np.stack([n[active], c[active], z[active]], axis=1)
        keys, group_of = np.unique(structure, axis=0, return_inverse=True)
        group_of = group_of.ravel()
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        for g, key in enumerate(keys.astype(np.int64)):
            group = active[order[bounds[g] : bounds[g + 1]]]
            # Out when up <= k − 1, i.e. down >= C − k + 1: count the shorter side.
            if count_up is None:
                short_up = k[group] <= key[1] - k[group] + 1
            else:
                short_up = np.full(group.size, bool(count_up))
            for rows, up_side in ((group[short_up], True), (group[~short_up], False)):
                if not rows.size:
                    continue
                threshold = (k[rows] if up_side else key[1] - k[rows] + 1).astype(np.int64)
                q = np.stack([a[rows] for a in (qn, qi, qz, an, az)], axis=1)
                if (q == q[0]).all():
                    probabilities, which = q[:1], np.zeros(rows.size, dtype=np.int64)
                else:
                    probabilities, which = np.unique(q, axis=0, return_inverse=True)
                    which = which.ravel()
                frequency[rows], down[rows], up[rows] = _group_outages(
                    tuple(int(x) for x in key),
                    probabilities,
                    which,
                    threshold,
                    (nu_n[rows], nu_i[rows], nu_z[rows]),
                    up_side,
                )
    return frequency.reshape(shape), down.reshape(shape), up.reshape(shape)


def service_outage_frequency(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf=np.inf,
    instance_mttr=0.0,
    zones=1,
    zone_mttf=np.inf,
    zone_mttr=0.0,
):
    r"""Mean number of service outages per unit time, over the real placement.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, placed as in :func:`service_unavailability`.
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; k ≤ 0 means never down.
    node_mttf, node_mttr : numeric
        Node mean time to failure (> 0, ``inf`` = never fails) and to repair (≥ 0) [any
        time unit, e.g. h]; a down node takes its instances with it. Repairs are unlimited
        (every failed component is repaired at once, independently).
    instance_mttf, instance_mttr : numeric, default inf, 0
        The same for one instance on an up node (crash, restart) [same unit].
    zones : numeric, default 1
        Failure zones Z [count], a whole number ≥ 1, nodes dealt round-robin.
    zone_mttf, zone_mttr : numeric, default inf, 0
        The same for a zone [same unit]; a down zone takes its nodes with it.

    Returns
    -------
    numeric
        Outage frequency ν [1/time unit of the inputs: 1/h when the inputs are in hours]:
        the long-run number of transitions from "at least k instances up" to "fewer than k"
        per unit time. 0 when k ≤ 0.

    Notes
    -----
    Nodes, instances and zones are independent two-state components with alternating up and
    down times of means MTTF and MTTR (any distributions); the down-instance model is that of
    :func:`service_unavailability`. A system failure is caused by exactly one component
    failure, at a moment when that component is critical, so [1]_ [2]_

    .. math:: \nu = \sum_i \frac{I_i}{\mathrm{MTTF}_i + \mathrm{MTTR}_i}, \qquad
              I_i = U(i\ \mathrm{down}) - U(i\ \mathrm{up})
              = \frac{U(i\ \mathrm{down}) - U}{A_i},

    equivalently ν = Σ_i λ_i [U(i down) − U] with λ_i = 1/MTTF_i. By symmetry the sum runs
    over classes (a node of each zone type with ⌈C/N⌉ or ⌊C/N⌋ instances, an instance on
    each, a zone of each type) times the class sizes. Each I_i is computed as a sum of
    non-negative products of the truncated distribution of all other components and the
    component's own distribution, counting instances up or down, whichever side is shorter
    (as :func:`service_unavailability`; derivation in the module comments above
    ``_component_times``), so tiny frequencies (1e-25) keep their digits; no difference of
    unavailabilities is formed.

    A component with MTTR = 0 has instantaneous downs: they are counted as no outage at all
    (they add no downtime), so ν · (mean outage duration) = U holds exactly.

    The cost is a few times that of :func:`service_unavailability` for the same rows (one
    loop per unique (N, C, Z); rows with equal probabilities share their distributions).

    References
    ----------
    .. [1] C. Singh and R. Billinton, *System Reliability Modelling and Evaluation*,
       Hutchinson, 1977 (frequency and duration of system failure states: system failure
       frequency as the sum over components of Birnbaum importance × component failure
       frequency).
    .. [2] S. M. Ross, "On the calculation of asymptotic system reliability
       characteristics", in R. E. Barlow, J. B. Fussell and N. D. Singpurwalla (eds.),
       *Reliability and Fault Tree Analysis*, SIAM, 1975 (coherent systems of independent
       alternating renewal components).
    """
    frequency, _, _ = _outage_columns(
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )
    return restore(
        frequency,
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )


def service_outages(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf=np.inf,
    instance_mttr=0.0,
    zones=1,
    zone_mttf=np.inf,
    zone_mttr=0.0,
):
    r"""Outage frequency, mean outage length and mean up time between outages.

    Same parameters and model as :func:`service_outage_frequency` (read its Notes).

    Returns
    -------
    dict of numeric
        ``"outage_frequency"`` — ν [1/time unit: 1/h when the inputs are in hours];
        ``"mean_outage_duration"`` — U/ν, the mean length of an outage [time unit];
        ``"mean_up_time"`` — A/ν, the mean time the service stays up between outages
        [time unit]. k ≤ 0 (or no component that can fail) gives ν = 0, duration ``nan``
        and up time ``inf``; a service that is down for good gives duration ``inf`` and up
        time 0. Each has the kind of the inputs.

    Notes
    -----
    Over a long time the service alternates between up periods and outages; ν outages per
    unit time sharing the fraction U of the time give the mean outage length U/ν and the
    mean up period A/ν (renewal-reward, [1]_). U and A are both summed from their own side
    of the same distribution as :func:`service_unavailability` (A is never 1 − U). A/ν is
    the mean of all up periods, most of which start in a partly failed state, so it is not
    the mean time to the first outage from "everything up" (typically somewhat shorter).

    References
    ----------
    .. [1] C. Singh and R. Billinton, *System Reliability Modelling and Evaluation*,
       Hutchinson, 1977 (frequency and duration method: duration = probability /
       frequency).
    """
    inputs = (
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )
    frequency, down, up = _outage_columns(*inputs)
    outages = frequency > 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        duration = np.where(outages, down / frequency, np.where(down > 0, np.inf, np.nan))
        up_time = np.where(outages, up / frequency, np.where(up > 0, np.inf, 0.0))
    return {
        "outage_frequency": restore(frequency, *inputs),
        "mean_outage_duration": restore(duration, *inputs),
        "mean_up_time": restore(up_time, *inputs),
    }


# --------------------------------------------------------------------------- nines and budgets


def nines(unavailability):
    r"""Number of nines, −log10(U): U = 1e-3 is 3 nines (99.9 %), U = 0 is ``inf``.

    Parameters
    ----------
    unavailability : numeric
        Unavailability U [probability], in [0, 1].

    Returns
    -------
    numeric
        Nines [dimensionless], ≥ 0.

    References
    ----------
    .. [1] B. Beyer et al., *Site Reliability Engineering*, O'Reilly, 2016, ch. 3
       "Embracing Risk".
    """
    u = check_range("unavailability", unavailability, low=0, high=1)
    with np.errstate(divide="ignore"):
        result = -np.log10(u)
    return restore(result + 0.0, unavailability)  # + 0.0 turns -0.0 (U = 1) into 0.0


def unavailability_from_nines(nines_count):
    """Unavailability for a number of nines, 10^−nines (3 → 1e-3) [probability].

    Parameters
    ----------
    nines_count : numeric
        Nines [dimensionless], ≥ 0; ``inf`` gives 0.

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3.
    """
    n = check_range("nines_count", nines_count, low=0, allow_inf=True)
    return restore(10.0**-n, nines_count)


def _period_minutes(period_days):
    return check_range("period_days", period_days, low=0, low_open=True) * MINUTES_PER_DAY


def downtime_minutes(unavailability, period_days=YEAR_DAYS):
    """Expected downtime over a period, U × period [min].

    Parameters
    ----------
    unavailability : numeric
        Unavailability U [probability], in [0, 1].
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the period [days], > 0: ``YEAR_DAYS``, ``MONTH_DAYS`` (30),
        ``WINDOW_28_DAYS`` (28), 365, ...

    Returns
    -------
    numeric
        Expected minutes down per period [min].

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3; Google Cloud CRE blog,
       "Available … or not? That is the question" (99.9 % over 30 days = 43.2 min).
    """
    u = check_range("unavailability", unavailability, low=0, high=1)
    return restore(u * _period_minutes(period_days), unavailability, period_days)


def error_budget_minutes(target_availability, period_days=YEAR_DAYS):
    """Downtime an availability target allows over a period, (1 − target) × period [min].

    Parameters
    ----------
    target_availability : numeric
        SLO target as a fraction [probability], in [0, 1] (0.999 for 99.9 %).
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the SLO window [days], > 0.

    Returns
    -------
    numeric
        Error budget [min]: 99.9 % over 30 days is 43.2 min, 99.99 % over 365.25 days 52.60.

    Notes
    -----
    1 − target is exact for the decimal target up to the input's own float rounding
    (0.9999 is stored as 0.99990000000000001).

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3 ("error budgets").
    """
    target = check_range("target_availability", target_availability, low=0, high=1)
    budget = (1.0 - target) * _period_minutes(period_days)
    return restore(budget, target_availability, period_days)


def remaining_error_budget_minutes(target_availability, downtime_min, period_days=YEAR_DAYS):
    """Error budget left after ``downtime_min`` of downtime in the window [min].

    Parameters
    ----------
    target_availability : numeric
        SLO target as a fraction [probability], in [0, 1].
    downtime_min : numeric
        Downtime already spent in the window [min], ≥ 0.
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the SLO window [days], > 0.

    Returns
    -------
    numeric
        Budget left [min]; negative when the budget is overspent.

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3.
    """
    target = check_range("target_availability", target_availability, low=0, high=1)
    spent = check_range("downtime_min", downtime_min, low=0)
    left = (1.0 - target) * _period_minutes(period_days) - spent
    return restore(left, target_availability, downtime_min, period_days)
