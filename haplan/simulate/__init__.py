"""Monte Carlo: an independent, vectorised simulation of failures, repairs and rescheduling.

Every analytic availability number in haplan has a closed form behind it; this module checks
them by brute force and answers where the closed forms stop (Weibull or log-normal lifetimes,
deterministic repairs, a limited number of repair crews, rescheduling after the orchestrator's
recovery time).

The model
---------
* Each node alternates up and down: lifetimes from ``node_lifetime``, repairs from
  ``node_repair`` (default exponential with the scenario's ``node_mttf_h``/``node_mttr_h``).
  With ``repair_crews`` set, failed nodes queue (first failed, first served) for a crew.
* Zones (when ``zone_mttf_h`` is finite) alternate up and down the same way, exponentially; a
  zone that is down takes every node in it down. Nodes are spread round-robin over zones.
* Container crashes (when ``instance_mttf_h`` is finite and ``instance_mttr_h`` > 0): each
  instance alternates up and down exponentially, independently of its node.
* Instances are placed as ``haplan.availability.service_unavailability`` places them: spread as
  evenly as possible (7 on 3 nodes -> 3, 2, 2, the heavy nodes first); node i is in zone
  i mod Z. A node is *reachable* while it and its zone are up.
* Without rescheduling an instance serves while its home node is reachable and its own
  container is up.
* Rescheduling (``scenario.reschedule``) simulates what the orchestrator does, with no rule
  borrowed from an analytic model. For each maximal interval [a, b) during which node i is
  unreachable (node down, zone down or both), its p_i home instances are *evicted* during
  [a + d, b) when a + d < b, d being the recovery pipeline's time, drawn afresh for each
  interval from ``recovery_time`` (default: ``haplan.recovery.node_failure_recovery_s`` for
  ⌈C/N⌉ instances, fixed). A node runs at most M = ``max_instances_per_node`` instances, so
  the reachable nodes have F = Σ (M − p_i) free slots, and E = Σ p_i evicted instances wait
  for them: min(E, F) of them run (the scheduler places pending instances the moment there
  is room, lowest instance index first, and moves them back home when their node is
  reachable again). Each instance keeps its own container process wherever it runs, and a
  running instance serves while its container is up.
* The service is down while fewer than ``min_instances`` instances serve; capacity is short
  while fewer serve than ``haplan.load.instances_needed`` for the request rate; the SLO is
  missed while fewer serve than the larger of the two.

Every process starts in its stationary state (the phase in progress at time 0 is drawn
length-biased and cut at a uniform point, Cox 1962, ch. 7), so the estimates carry no start-up
bias. Repair crews (all nodes start up) and rescheduling (an interval in progress at time 0
seems to start there) add a warm-up period before the measured window.

Independent repairs are simulated without a per-event Python loop: each unit's alternating
renewal sequence is drawn in bulk and cumulated, and the service's timeline comes from merging
all event times with one sort and cumulative counts, vectorised over replications. Each path
covers one mechanism on an integer clock (durations rounded to ticks, unbiased; an event is one
sort key, its tick above a code):

* only node failures (``fastpath``): ticks of at most 1e-5 of the shortest mean duration ÷
  nodes (else 2^-40 of the window), the code carrying the change in instances up;
* container crashes or zones (``packed``): the code says which bit field of a packed state an
  event changes (per node: node up, containers up; per zone: zone up, instances on its up
  nodes); one cumulative sum gives every field after each event and small tables the
  instances serving;
* rescheduling (``layered``): evictions are events too, and one cumulative sum of packed
  (H, E, F) gives H + min(E, F);
* repair crews with exponential lifetimes and repairs (``crews``): the queue is a Markov chain
  started in its stationary state and stepped event by event, vectorised over replications.

With container crashes, zones or rescheduling the keys are 32-bit when at most 0.02 pairs of
events per replication are expected to share a tick (they are then read together). Other
combinations (and crews with other distributions, which step through a FIFO queue after a
warm-up) combine per-unit timelines (``general``, ``rescheduling``), several times slower per
event.

References
----------
D. R. Cox, *Renewal Theory*, Methuen 1962, ch. 7 (alternating renewal processes, the
stationary start and A = MTTF / (MTTF + MTTR) for any distributions).
M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed., Wiley 2004, ch. 8
(Markov models of repairable systems, outage frequency and mean down time).
"""

from haplan.simulate.compare import compare_with_analytic
from haplan.simulate.distributions import Deterministic, Exponential, LogNormal, Weibull
from haplan.simulate.estimates import METRICS, YEAR_H, SimulationResult
from haplan.simulate.runner import simulate

__all__ = [
    "Exponential",
    "Weibull",
    "LogNormal",
    "Deterministic",
    "SimulationResult",
    "simulate",
    "compare_with_analytic",
    "YEAR_H",
    "METRICS",
]
