"""Birth–death Markov model of n repairable units with a limited number of repair crews.

State j is the number of failed units. A unit fails at rate λ, so the chain leaves j upwards
at rate (n − j)·λ; c crews repair one unit each at rate μ, so it leaves j downwards at rate
min(j, c)·μ (the machine-repair model, M/M/c//n). From it: the stationary distribution, the
unavailability of a "at least k up" service, the mean time to its first failure (MTTF), how
often it enters an outage and how long an outage lasts. :func:`crew_service_unavailability`
puts the chain under the instance placement of :mod:`haplan.availability` (uneven loads,
instance crashes, zones) for the service's unavailability with limited crews.

Rates are per hour by convention (any time unit works; outputs use the same unit). The chain
is computed in O(n) with vectorised numpy, in log space where products of rates could
overflow, so 10⁶ units take a few tens of milliseconds and tail probabilities down to float
underflow (~1e-300) keep their digits.

Layout (one topic a module; every public name is importable from ``haplan.markov``):

- :mod:`~haplan.markov.birth_death` — the :class:`BirthDeath` chain: stationary
  distribution, unavailability, MTTF, outage frequency and duration;
- :mod:`~haplan.markov.outages` — :func:`service_outage_metrics`, the node-count chain's
  outages for a service;
- :mod:`~haplan.markov.crews` — :func:`crew_service_unavailability`, the chain under the
  instance placement and zones (its hypergeometric and zone-enumeration pieces are in
  :mod:`~haplan.markov._placement`).
"""

from haplan.availability import HOURS_PER_YEAR
from haplan.markov.birth_death import BirthDeath
from haplan.markov.crews import crew_service_unavailability
from haplan.markov.outages import service_outage_metrics

__all__ = [
    "BirthDeath",
    "service_outage_metrics",
    "crew_service_unavailability",
    "HOURS_PER_YEAR",  # re-exported: the one definition is haplan.availability.HOURS_PER_YEAR
]
