"""Availability over an actual placement: any pods per node, any nodes per zone.

The service model (:mod:`haplan.service`) assumes the scheduler's even spread: pods within one
of each other per node and nodes dealt to zones in turn. A running cluster can differ (five
nodes over three zones, a pool too full to spread evenly), so :func:`placement_unavailability`
computes the probability that fewer than k pods serve for the placement as it is, with
independent node, zone and pod failures, by exact convolution.
"""

from __future__ import annotations

import numpy as np

from haplan._numeric import binomial_pmf

__all__ = ["placement_unavailability"]


def _node_up(pods: int, q_node: float, q_instance: float) -> np.ndarray:
    """Distribution of the pods serving on one node [probability per count 0..pods]."""
    up = np.zeros(pods + 1)
    up[0] += q_node
    if pods:
        up += (1.0 - q_node) * binomial_pmf(np.arange(pods + 1), pods, 1.0 - q_instance)
    else:
        up[0] += 1.0 - q_node
    return up


def placement_unavailability(
    pods_per_node,
    zone_of_node,
    min_instances: int,
    node_unavailability: float,
    instance_unavailability: float = 0.0,
    zone_unavailability: float = 0.0,
) -> float:
    """Probability that fewer than ``min_instances`` pods serve, for a given placement.

    Parameters
    ----------
    pods_per_node : array of int
        Pods on each node [count].
    zone_of_node : array of int
        Each node's zone (any labels; nodes with the same label share a zone).
    min_instances : int
        Pods the service needs, k [count], ≥ 1.
    node_unavailability, instance_unavailability, zone_unavailability : float
        Steady-state unavailability of a node, a pod and a zone [fraction], independent.

    Returns
    -------
    float
        P(pods serving < k) [fraction], summed over the failing counts directly (never as
        1 − A).

    Notes
    -----
    Per node the pods serving are 0 with probability q_node and otherwise Binomial(pods,
    1 − q_instance); a zone's nodes convolve, and the zone serves nothing with probability
    q_zone; zones convolve. Exact for independent failures without rescheduling (the
    service model's convolution, generalised to any placement; Barlow & Proschan,
    *Statistical Theory of Reliability and Life Testing*, 1975, ch. 2).
    """
    pods = np.asarray(pods_per_node, dtype=int)
    zones = np.asarray(zone_of_node)
    k = int(min_instances)
    if k > pods.sum():
        return 1.0
    total = np.array([1.0])
    for zone in np.unique(zones):
        in_zone = np.array([1.0])
        for count in pods[zones == zone]:
            in_zone = np.convolve(
                in_zone, _node_up(int(count), node_unavailability, instance_unavailability)
            )
        in_zone = (1.0 - zone_unavailability) * in_zone
        in_zone[0] += zone_unavailability
        total = np.convolve(total, in_zone)
    return float(np.sum(total[:k]))
