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

Layout (one topic a module; every public name is importable from ``haplan.availability``):

- :mod:`~haplan.availability.components` — one repairable component; k-of-n units;
- :mod:`~haplan.availability.placement` — instances on nodes and zones, the service's
  unavailability over that placement;
- :mod:`~haplan.availability.outages` — outage frequency, mean outage length, mean up time;
- :mod:`~haplan.availability.budgets` — the calendar (``YEAR_DAYS``, ``HOURS_PER_YEAR``,
  ``MONTH_DAYS``: defined there and nowhere else), nines, downtime and error budgets.
"""

from haplan.availability.budgets import (
    HOURS_PER_YEAR,
    MINUTES_PER_DAY,
    MONTH_DAYS,
    WINDOW_28_DAYS,
    YEAR_DAYS,
    downtime_minutes,
    error_budget_minutes,
    nines,
    remaining_error_budget_minutes,
    unavailability_from_nines,
)
from haplan.availability.components import (
    k_of_n_availability,
    k_of_n_unavailability,
    steady_state_availability,
    steady_state_unavailability,
)
from haplan.availability.outages import service_outage_frequency, service_outages
from haplan.availability.placement import (
    instances_per_node,
    min_nodes_up,
    service_availability,
    service_unavailability,
)

__all__ = [
    "YEAR_DAYS",
    "HOURS_PER_YEAR",
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
