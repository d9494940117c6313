r"""Headroom and availability at load: how many instances the traffic needs, how many node
failures the survivors absorb, and the probability that too few instances are up.

An instance serves at most ``instance_capacity`` requests/s at 100 % busy; operators cap the
planned utilisation at ``max_utilization`` (e.g. 0.7) to keep queueing delay and tail latency
in check (see :mod:`haplan.queueing`). The load P then needs
⌈P / (capacity × max_utilization)⌉ instances up. Instances are spread over nodes as a
scheduler with anti-affinity places them (per-node counts differ by at most one), so a node
failure takes all of its instances down together.
"""

from __future__ import annotations

import numpy as np

from haplan import availability
from haplan._numeric import check_range, restore

__all__ = ["instances_needed", "failures_tolerated", "capacity_unavailability"]

# Relative slack for float rounding in P / (capacity × u): quotients such as
# 9.8 / (7 × 0.7) = 2.0000000000000004 land a few ulp above a whole number and must not demand
# one more instance.
_WHOLE_TOLERANCE = 1e-12


def _load_inputs(request_rate, instance_capacity, max_utilization):
    p = check_range("request_rate", request_rate, low=0)
    cap = check_range("instance_capacity", instance_capacity, low=0, low_open=True)
    u = check_range("max_utilization", max_utilization, low=0, high=1, low_open=True)
    return p, cap, u


def _needed(p, cap, u):
    with np.errstate(over="ignore"):  # beyond float range: infinitely many instances needed
        return np.ceil(p / (cap * u) * (1.0 - _WHOLE_TOLERANCE))


def instances_needed(request_rate, instance_capacity, max_utilization):
    r"""Fewest instances that carry the load without exceeding the utilisation ceiling.

    Parameters
    ----------
    request_rate : numeric
        P, request rate the service must carry [requests/s], ≥ 0.
    instance_capacity : numeric
        Requests one instance serves per second at 100 % busy [requests/s], > 0.
    max_utilization : numeric
        Utilisation ceiling u_max [fraction], 0 < u_max ≤ 1.

    Returns
    -------
    numeric
        n = ⌈P / (capacity × u_max)⌉ [count] (a whole number as float; 0 for P = 0); same kind
        as the inputs.

    Notes
    -----
    A quotient within 1e-12 (relative) above a whole number is treated as that number, so
    float rounding (9.8 / (7 × 0.7) = 2.0000000000000004 in binary floating point) does not
    add an instance.

    References
    ----------
    .. [1] B. Beyer et al. (eds.), *Site Reliability Engineering*, O'Reilly, 2016, ch. 18
       ("Software Engineering in SRE": intent-based capacity planning, N + 2 provisioning).
    """
    p, cap, u = _load_inputs(request_rate, instance_capacity, max_utilization)
    return restore(_needed(p, cap, u), request_rate, instance_capacity, max_utilization)


def failures_tolerated(nodes, replicas, request_rate, instance_capacity, max_utilization):
    r"""Node failures the surviving instances absorb under the utilisation ceiling (N + k).

    Parameters
    ----------
    nodes : numeric
        N, number of nodes [count], a whole number ≥ 1.
    replicas : numeric
        R, instances per node as the article defines it [count], > 0; the service runs
        C = round(N × R) instances (so a fractional R from a given C round-trips).
    request_rate : numeric
        P, request rate [requests/s], ≥ 0.
    instance_capacity : numeric
        Requests one instance serves per second at 100 % busy [requests/s], > 0.
    max_utilization : numeric
        Utilisation ceiling u_max [fraction], 0 < u_max ≤ 1.

    Returns
    -------
    numeric
        f [count]: the largest number of node failures after which the surviving instances,
        at u_max, still carry P — counting the worst case, in which the most loaded nodes fail
        first. N when even losing every node is "tolerated" (P = 0, or instances only on some
        nodes and the rest empty). **−1 means overloaded with all nodes up**: C instances
        cannot carry P even before any failure. Same kind as the inputs.

    Notes
    -----
    Instances are spread like a scheduler with anti-affinity / spread constraints places them:
    e = C mod N nodes hold b + 1 instances and N − e hold b = ⌊C/N⌋ (7 on 3 nodes → 3, 2, 2;
    3 on 5 nodes → 1, 1, 1, 0, 0). With n = :func:`instances_needed` and the spare
    s = C − n ≥ 0, losing the f most loaded nodes removes (b + 1)·min(f, e) + b·max(0, f − e)
    instances, so

    .. math:: f = \begin{cases} \lfloor s/(b+1) \rfloor & s < e(b+1) \\
              e + \lfloor (s - e(b+1))/b \rfloor & \text{otherwise } (N \text{ if } b = 0)
              \end{cases}

    capped at N. The surviving instances are assumed to take over the failed nodes' traffic
    (the balancer stops sending to them); rescheduling onto survivors is not counted on.

    References
    ----------
    .. [1] B. Beyer et al. (eds.), *Site Reliability Engineering*, O'Reilly, 2016, ch. 18
       (N + 2 provisioning).
    .. [2] Kubernetes documentation, "Pod Topology Spread Constraints".
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    r = check_range("replicas", replicas, low=0, low_open=True)
    p, cap, u = _load_inputs(request_rate, instance_capacity, max_utilization)
    n, r, p, cap, u = np.broadcast_arrays(n, r, p, cap, u)
    total = np.floor(n * r + 0.5)
    base = np.floor(total / n)
    heavy = total - base * n
    spare = total - _needed(p, cap, u)
    heavy_instances = heavy * (base + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        among_heavy = np.floor(spare / (base + 1.0))
        beyond_heavy = np.where(
            base > 0, heavy + np.floor((spare - heavy_instances) / base), np.inf
        )
    result = np.where(spare < heavy_instances, among_heavy, beyond_heavy)
    result = np.where(spare < 0, -1.0, np.minimum(result, n))
    return restore(result, nodes, replicas, request_rate, instance_capacity, max_utilization)


def capacity_unavailability(
    nodes,
    instances,
    request_rate,
    instance_capacity,
    max_utilization,
    node_unavailability,
    instance_unavailability=0.0,
    zones=1,
    zone_unavailability=0.0,
):
    r"""Probability that too few instances are up to carry the load under the ceiling.

    Parameters
    ----------
    nodes : numeric
        N, number of nodes [count], a whole number ≥ 1.
    instances : numeric
        C, instances of the service [count], a whole number ≥ 1.
    request_rate : numeric
        P, request rate [requests/s], ≥ 0.
    instance_capacity : numeric
        Requests one instance serves per second at 100 % busy [requests/s], > 0.
    max_utilization : numeric
        Utilisation ceiling u_max [fraction], 0 < u_max ≤ 1.
    node_unavailability : numeric
        Probability that a node is down [probability], in [0, 1].
    instance_unavailability : numeric, default 0
        Probability that an instance on an up node is down on its own [probability].
    zones : numeric, default 1
        Failure zones above the nodes [count], a whole number ≥ 1.
    zone_unavailability : numeric, default 0
        Probability that a zone is down [probability], in [0, 1].

    Returns
    -------
    numeric
        P(instances up < :func:`instances_needed`) [probability]; 1.0 where even all C
        instances are not enough (overloaded with everything up); 0.0 for P = 0. Same kind as
        the inputs.

    Notes
    -----
    This is :func:`haplan.availability.service_unavailability` with
    k = ⌈P / (capacity × u_max)⌉: the same placement over nodes and zones, the same
    independent failures, computed directly (not as 1 − A) so small values keep their digits.
    It answers "how often is the service up but too small for its traffic", which the plain
    k-of-C availability (k = 1) hides.

    References
    ----------
    .. [1] K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., Wiley, 2016 (performability).
    """
    c = check_range("instances", instances, low=1, integer=True)
    p, cap, u = _load_inputs(request_rate, instance_capacity, max_utilization)
    needed = _needed(p, cap, u)
    c, needed = np.broadcast_arrays(c, needed)
    unavailable = availability.service_unavailability(
        nodes,
        c,
        np.minimum(needed, c),
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )
    result = np.where(needed > c, 1.0, unavailable)
    return restore(
        result,
        nodes,
        instances,
        request_rate,
        instance_capacity,
        max_utilization,
        node_unavailability,
        instance_unavailability,
        zones,
        zone_unavailability,
    )
