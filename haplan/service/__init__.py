r"""The service model: the one place that composes the models into the service's figures.

Everything haplan says about a service's availability — the service-only unavailability
(``min_instances`` up), the capacity unavailability (enough instances up to carry the load
under ``max_utilization``), the load-aware SLO headline (both at once), the outage frequency,
mean outage length and mean up time — comes from :func:`service_figures`. ``metrics``,
``plan``, the simulator's comparison and every report call it; nothing else chooses between
the models.

The mechanism
-------------
N nodes, node i in zone i mod Z, ⌈C/N⌉ instances on the first C mod N nodes and ⌊C/N⌋ on
the rest (:func:`haplan.availability.instances_per_node`). Nodes fail (exponential, mean
``node_mttf_h``) and are repaired (exponential, ``node_mttr_h``) by ``repair_crews`` crews
at once (unlimited: every failed node at once). Zones fail and are repaired independently of
the nodes. Each instance's container crashes and restarts on its own (exponential). A node
is *reachable* while it and its zone are up. Without rescheduling an instance serves while
its node is reachable and its container is up. With ``reschedule`` a node that has been
unreachable for the recovery pipeline's time (``recovery_node_failure_s``) has its
instances *evicted*: they run on the reachable nodes' free slots (each node runs at most
``max_instances_per_node`` instances) as far as those go, and return home when the node is
reachable again.

Which model, and how exact
--------------------------
``service_model`` names the model behind each row:

* ``"exact: placement convolution"`` — repairs independent (crews ≥ nodes) and no
  rescheduling: the exact distribution of instances up over the placement
  (:func:`haplan.availability.service_unavailability`) and the exact outage frequency
  (:func:`haplan.availability.service_outages`); any size.
* ``"exact: CTMC"`` — limited crews or rescheduling, when the chain has at most
  :data:`MAX_CHAIN_STATES` states (every case up to 16 nodes without zone failures; fewer
  nodes with zone failures and rescheduling): a continuous-time Markov chain over the
  states that matter — per (zone, instances-per-node) group the number of nodes down,
  down and evicted, up but unreachable and evicted; each zone up or down. Unavailability,
  outage frequency (the probability flux from up states to down states, container crashes
  included) and mean outage length all come from its one stationary distribution, so
  frequency × duration = unavailability holds by construction. Exact for exponential
  failures, repairs and pipeline times. Crews repair the failed nodes in random order: for
  exchangeable nodes this gives the same stationary distribution over which nodes are down
  as first-come-first-served, hence the same unavailability and outage frequency without
  rescheduling; with rescheduling and queued repairs the two orders differ slightly (a
  fresh failure is repaired first a little more often). A fixed pipeline time (what the
  orchestrator really has) is modelled by an exponential one of the same mean: for a single
  failure the instances are down E[min(d, X)] = d·MTTR/(d + MTTR) instead of
  MTTR (1 − e^{−d/MTTR}), the same to first order in d/MTTR.
* ``"approximate: ..."`` — beyond the chain's size. Limited crews without rescheduling:
  unavailability exact (:func:`haplan.markov.crew_service_unavailability`), outage frequency
  from the node-count birth–death chain with the most loaded nodes failing first
  (conservative: in tests 1–3× the exact frequency), duration = U / frequency. Rescheduling:
  each node as an independent up → pending → evicted chain, plus the corner where every
  node is down and evicted instances have nowhere to run (exact when crews are unlimited,
  ``max_instances_per_node`` is inf and zones never fail, to second order in that corner);
  zones get the same treatment (a failed zone's instances are down until one pipeline or
  the zone's repair ends, where the chain gives each of its nodes its own pipeline clock);
  nodes and zones are taken as independent, and crews and room limits are ignored
  (optimistic). Against the exact chain on clusters small enough for both: within 0.2 %
  without zone failures; with zone failures 5–100 % high in unavailability and up to 50 %
  high in outage frequency (tests/test_service.py holds these bounds).

References
----------
.. [1] K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
   Science Applications*, 2nd ed., Wiley, 2016, ch. 8–9 (CTMC availability models).
.. [2] C. Singh and R. Billinton, *System Reliability Modelling and Evaluation*, Hutchinson,
   1977 (frequency and duration: frequency = flux across the up/down boundary, duration =
   probability / frequency).
.. [3] M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed., Wiley, 2004, §8.8.
"""

from haplan.service.chain import chain_states
from haplan.service.figures import (
    APPROX_CREWS,
    APPROX_RESCHEDULE,
    EXACT_CHAIN,
    EXACT_CONVOLUTION,
    FIGURES,
    HOURS_PER_YEAR,
    MAX_CHAIN_STATES,
    service_figures,
)
from haplan.service.verdict import SLO_PERIOD_DAYS, Verdict, min_stable_instances, verdict

__all__ = [
    "service_figures",
    "chain_states",
    "MAX_CHAIN_STATES",
    "FIGURES",
    "HOURS_PER_YEAR",
    "SLO_PERIOD_DAYS",
    "EXACT_CONVOLUTION",
    "EXACT_CHAIN",
    "APPROX_CREWS",
    "APPROX_RESCHEDULE",
    "Verdict",
    "verdict",
    "min_stable_instances",
]
