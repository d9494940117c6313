"""Instances placed on nodes and zones: the layout, and the service's (un)availability over it.

The placement convention (instances round-robin over nodes, nodes round-robin over zones) is
stated once, in the :mod:`haplan.availability` package docstring. The truncated
distributions the service model convolves are in :mod:`haplan.availability._truncated`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from haplan._numeric import check_range, restore
from haplan.availability import _rows, _tilted
from haplan.availability._truncated import check_min_instances, down_distribution

__all__ = [
    "instances_per_node",
    "min_nodes_up",
    "service_unavailability",
    "service_availability",
]


#: Above this truncation length min(k, C − k + 1), ``service_unavailability`` sums the
#: tilted FFT distribution (O(C log C) per row) instead of truncated direct convolutions
#: (O(length² log N) per structure).
TILTED_SIZE = 2000

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
    check_min_instances(k, c)
    base = np.floor(c / n)
    light_nodes = n - (c - base * n)
    light_total = light_nodes * base
    with np.errstate(divide="ignore", invalid="ignore"):
        on_light = np.ceil(k / base)
    on_heavy = light_nodes + np.ceil((k - light_total) / (base + 1))
    result = np.where(k <= 0, 0.0, np.where((base >= 1) & (k <= light_total), on_light, on_heavy))
    return restore(result, nodes, instances, min_instances)


# --------------------------------------------------------------------------- service model


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
    check_min_instances(arrays[2], arrays[1])
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
    dist = down_distribution(
        nodes, instances, zones, *probabilities.T.copy(), size, count_up=count_up
    )
    tail = np.minimum(np.cumsum(dist[:, ::-1], axis=1)[:, ::-1], 1.0)  # P(X >= j)
    head = np.minimum(np.cumsum(dist, axis=1), 1.0)  # P(X <= j); rounding never exceeds 1
    if count_up:  # U = P(up <= k - 1), A = P(up >= k)
        return head[which, threshold - 1], tail[which, threshold]
    return tail[which, threshold], head[which, threshold - 1]


def _structures(n, c, z):
    """The distinct (N, C, Z) of the rows (integer codes, no sort) and each row's index."""
    n, c, z = (a.astype(np.int64) for a in (n, c, z))
    code = (n * (int(c.max()) + 1) + c) * (int(z.max()) + 1) + z
    group_of, uniques = pd.factorize(code)
    first = np.empty(len(uniques), dtype=np.int64)
    first[group_of[::-1]] = np.arange(group_of.size - 1, -1, -1)
    return np.stack([n[first], c[first], z[first]], axis=1), group_of


def _service_probabilities(n, c, k, qn, qi, z, qz, key=None, want_up=True):
    """(unavailability, availability) arrays for validated, broadcast inputs; rows with equal
    ``key`` (integers, optional) have equal N, C and probabilities. ``want_up`` False: the
    availability may be left uncomputed (then it is None)."""
    shape = n.shape
    n, c, k, qn, qi, z, qz = (a.ravel() for a in (n, c, k, qn, qi, z, qz))
    down = np.zeros(n.shape)
    up = np.ones(n.shape)
    active = np.flatnonzero(k > 0)
    # One-zone rows of any (N, C) share batched passes (``_rows``); the rest loop per structure.
    size = np.minimum(k, c - k + 1)
    batched = active[
        _rows.single_zone_rows(n[active], z[active]) & (size[active] <= _rows.MAX_SIZE)
    ]
    if batched.size:
        down[batched], batched_up = _rows.solve(
            *(a[batched].astype(np.int64) for a in (n, c, k)),
            qn[batched],
            qi[batched],
            qz[batched],
            key=None if key is None else key.ravel()[batched],
            want_up=want_up,
        )
        if want_up:
            up[batched] = batched_up
        active = np.setdiff1d(active, batched, assume_unique=True)
    # Very long truncated rows: the tilted FFT over all C + 1 counts (``_tilted``).
    tilted = active[size[active] > TILTED_SIZE]
    for row in tilted:
        args = (n[row], c[row], z[row], qn[row], qi[row], qz[row])
        down[row] = _tilted.down_tail(*args, c[row] - k[row] + 1, upper=True)
        up[row] = _tilted.down_tail(*args, c[row] - k[row], upper=False)
    if tilted.size:
        active = np.setdiff1d(active, tilted, assume_unique=True)
    if active.size:
        keys, group_of = _structures(n[active], c[active], z[active])
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        for g, (nodes, instances, zones) in enumerate(keys):
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
    return down.reshape(shape), up.reshape(shape) if want_up else None


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
    Placement: see the :mod:`haplan.availability` docstring (instances round-robin over
    nodes, nodes round-robin over zones; e.g. 7 instances on 5 nodes in 2 zones: nodes hold
    [2, 2, 1, 1, 1], zone 0 has nodes 0, 2, 4 with 4 instances, zone 1 nodes 1, 3 with 3).

    All failures are independent. The number of instances *down* on a node with r instances
    is r with probability q_node, else Binomial(r, q_instance); a zone's count is the
    convolution of its nodes' counts when the zone is up and its whole instance count with
    probability q_zone; the service's count D is the convolution over zones (generating
    functions, [1]_ §3.9). U = P(D ≥ C − k + 1). The same holds for the count of instances
    *up* (0 for a down node or zone), with U = P(up ≤ k − 1); each row is counted on the
    shorter side, truncated at min(k, C − k + 1) (one lumped tail entry), so the cost is
    O(min(k, C − k + 1)² · log N) per scenario, grouped over identical (N, C, Z) (one-zone
    rows of different N and C share batched passes). Direct (not FFT) convolution of
    non-negative numbers keeps relative precision at any magnitude down to float underflow
    (~1e-300). One-zone rows of at most 128 instances are summed instead over the nodes down:
    given d heavy and e light nodes down, the other instances fail independently, so
    U = Σ Bin(d) Bin(e) P(Binomial(C − s, q_instance) ≥ C − k + 1 − s) with s the instances
    on the down nodes, each tail built from the last by a non-negative step; the cost per
    row is the number of (d, e) pairs with s ≤ C − k plus C, and the relative error is
    below 2e-13, the error of scipy's ``bdtrc`` for the first tail (1.6e-14 the largest
    measured on 45,000 rows against 50-digit arithmetic; :mod:`._nodes_down`). When
    min(k, C − k + 1) exceeds ``TILTED_SIZE`` (2000), the whole distribution is built by
    one FFT of length ≥ C + 1 after an exponential tilt that centres it on the threshold
    (saddle point; :mod:`haplan.availability._tilted`), O(C log C) per row and a relative
    error below 1e-9 (checked against mpmath in the tests and
    ``benchmarks/bench_availability.py``): C = 1e5 takes tens of milliseconds at any k.

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
    down, _ = _service_probabilities(*args, want_up=False)
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
