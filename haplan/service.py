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

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy import stats
from scipy.sparse.linalg import spsolve

from haplan import availability, markov

__all__ = [
    "service_figures",
    "chain_states",
    "MAX_CHAIN_STATES",
    "FIGURES",
    "HOURS_PER_YEAR",
    "SLO_PERIOD_DAYS",
    "Verdict",
    "verdict",
    "min_stable_instances",
]

#: Hours in a 365.25-day year, the calendar of every per-year figure.
HOURS_PER_YEAR = availability.HOURS_PER_YEAR
#: The SLO's rolling window [days]: error budgets and the headline downtime are per 30 days.
SLO_PERIOD_DAYS = availability.MONTH_DAYS
#: Largest Markov chain :func:`service_figures` solves exactly; beyond it, an approximation.
MAX_CHAIN_STATES = 5_000
#: The figures :func:`service_figures` returns, in order.
FIGURES = (
    "service_unavailability",
    "capacity_unavailability",
    "slo_unavailability",
    "outage_frequency_per_year",
    "mean_outage_duration_min",
    "service_mttf_h",
    "service_model",
)

EXACT_CONVOLUTION = "exact: placement convolution"
EXACT_CHAIN = "exact: CTMC"
APPROX_CREWS = "approximate: outage frequency from the worst-case node-count chain"
APPROX_RESCHEDULE = (
    "approximate: independent nodes and zones with rescheduling (crews, room limits ignored)"
)


# --------------------------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Structure:
    """Node groups of one cluster: (zone, instances per node, node count) and the switches."""

    zone: np.ndarray  # per group
    per_node: np.ndarray  # per group
    size: np.ndarray  # per group
    zones: int
    reschedule: bool
    zones_fail: bool


def _structure(nodes: int, instances: int, zones: int, reschedule: bool, zones_fail: bool):
    per_node = availability.instances_per_node(nodes, instances)
    zone_of = np.arange(nodes) % zones
    keys = {}
    for z, p in zip(zone_of.tolist(), per_node.tolist(), strict=True):
        keys[(z, p)] = keys.get((z, p), 0) + 1
    ordered = sorted(keys)
    return _Structure(
        zone=np.array([z for z, _ in ordered], dtype=np.int64),
        per_node=np.array([p for _, p in ordered], dtype=np.int64),
        size=np.array([keys[key] for key in ordered], dtype=np.int64),
        zones=zones,
        reschedule=reschedule,
        zones_fail=zones_fail,
    )


def _group_counts(size: int, reschedule: bool, zone_down: bool) -> np.ndarray:
    """Every (down pending, down evicted, up evicted) triple one group can be in."""
    s = np.arange(size + 1)
    if not reschedule:
        return np.stack([s, np.zeros_like(s), np.zeros_like(s)], axis=1)
    dp, de, ue = np.meshgrid(s, s, s if zone_down else np.zeros(1, dtype=np.int64), indexing="ij")
    keep = dp + de + ue <= size
    return np.stack([dp[keep], de[keep], ue[keep]], axis=1)


def _cartesian(blocks: list[np.ndarray]) -> np.ndarray:
    """Rows of every combination of one row from each block (blocks side by side)."""
    out = np.zeros((1, 0), dtype=np.int64)
    for block in blocks:
        out = np.concatenate(
            [np.repeat(out, len(block), axis=0), np.tile(block, (len(out), 1))], axis=1
        )
    return out


def _count_states(structure: _Structure) -> int:
    total = 1
    for z in range(structure.zones):
        sizes = structure.size[structure.zone == z]
        up = math.prod(len(_group_counts(int(s), structure.reschedule, False)) for s in sizes)
        down = 0
        if structure.zones_fail:
            down = math.prod(len(_group_counts(int(s), structure.reschedule, True)) for s in sizes)
        total *= up + down
    return total


def chain_states(nodes, instances, zones=1, reschedule=False, zones_fail=False) -> int:
    """Number of states of the service chain for one cluster [count].

    Parameters
    ----------
    nodes, instances, zones : int
        N, C and Z [count].
    reschedule : bool
        Whether evicted instances move (three node states instead of two).
    zones_fail : bool
        Whether zones fail (adds each zone's down states).

    Returns
    -------
    int
        States of the chain :func:`service_figures` would solve; it solves exactly up to
        :data:`MAX_CHAIN_STATES`.
    """
    return _count_states(
        _structure(int(nodes), int(instances), int(zones), bool(reschedule), bool(zones_fail))
    )


def _states(structure: _Structure) -> np.ndarray:
    """All states: per group (dp, de, ue), then per zone 1 if down; one row per state."""
    per_zone = []
    for z in range(structure.zones):
        groups = np.flatnonzero(structure.zone == z)
        options = []
        for zone_down in (False, True) if structure.zones_fail else (False,):
            block = _cartesian(
                [
                    _group_counts(int(structure.size[g]), structure.reschedule, zone_down)
                    for g in groups
                ]
            )
            options.append(
                np.concatenate([block, np.full((len(block), 1), int(zone_down))], axis=1)
            )
        per_zone.append(np.concatenate(options, axis=0))
    rows = _cartesian(per_zone)
    # Reorder columns: zone blocks are [groups of zone z ..., zone flag]; keep a column map.
    return rows


def _layout(structure: _Structure) -> tuple[np.ndarray, np.ndarray]:
    """Column of each group's first variable and of each zone's flag in ``_states`` rows."""
    group_column = np.empty(len(structure.size), dtype=np.int64)
    zone_column = np.empty(structure.zones, dtype=np.int64)
    column = 0
    for z in range(structure.zones):
        for g in np.flatnonzero(structure.zone == z):
            group_column[g] = column
            column += 3
        zone_column[z] = column
        column += 1
    return group_column, zone_column


@dataclass(frozen=True)
class _Rates:
    node_failure: float  # 1/h
    node_repair: float  # 1/h, one crew
    crews: float  # inf: unlimited
    eviction: float  # 1/h, 1/pipeline time
    zone_failure: float
    zone_repair: float


def _transitions(states: np.ndarray, structure: _Structure, rates: _Rates):
    """Source index, target state, rate for every transition of the chain."""
    group_column, zone_column = _layout(structure)
    zone_down = states[:, zone_column]  # (n, Z)
    down_total = np.zeros(len(states), dtype=np.int64)
    for col in group_column:
        down_total += states[:, col] + states[:, col + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_down_repair = np.where(
            down_total > 0,
            rates.node_repair * np.minimum(rates.crews, down_total) / down_total,
            0.0,
        )
    sources, targets, values = [], [], []

    def add(mask, rate, change):
        rows = np.flatnonzero(mask & (rate > 0))
        if rows.size:
            target = states[rows].copy()
            for col, delta in change:
                if delta is None:
                    target[:, col] = 0
                else:
                    target[:, col] += delta
            sources.append(rows)
            targets.append(target)
            values.append(np.broadcast_to(rate, mask.shape)[rows])

    for g, col in enumerate(group_column):
        dp, de, ue = states[:, col], states[:, col + 1], states[:, col + 2]
        zdown = zone_down[:, structure.zone[g]] == 1
        up_waiting = structure.size[g] - dp - de - ue  # up; pending if its zone is down
        every = np.ones(len(states), dtype=bool)
        add(every, rates.node_failure * up_waiting, [(col, 1)])
        add(zdown, rates.node_failure * ue, [(col + 2, -1), (col + 1, 1)])
        add(every, per_down_repair * dp, [(col, -1)])
        add(~zdown, per_down_repair * de, [(col + 1, -1)])
        add(zdown, per_down_repair * de, [(col + 1, -1), (col + 2, 1)])
        if structure.reschedule:
            add(every, rates.eviction * dp, [(col, -1), (col + 1, 1)])
            add(zdown, rates.eviction * up_waiting, [(col + 2, 1)])
    if structure.zones_fail:
        for z, col in enumerate(zone_column):
            zdown = zone_down[:, z] == 1
            add(~zdown, np.full(len(states), rates.zone_failure), [(col, 1)])
            cleared = [(group_column[g] + 2, None) for g in np.flatnonzero(structure.zone == z)]
            add(zdown, np.full(len(states), rates.zone_repair), [(col, -1), *cleared])
    return np.concatenate(sources), np.concatenate(targets), np.concatenate(values)


def _running(states: np.ndarray, structure: _Structure, max_per_node: float) -> np.ndarray:
    """Instances running in each state: home on reachable nodes plus placed evicted ones."""
    group_column, zone_column = _layout(structure)
    home = np.zeros(len(states), dtype=np.int64)
    reachable = np.zeros(len(states), dtype=np.int64)
    free = np.zeros(len(states), dtype=float)
    evicted = np.zeros(len(states), dtype=np.int64)
    for g, col in enumerate(group_column):
        dp, de, ue = states[:, col], states[:, col + 1], states[:, col + 2]
        zup = states[:, zone_column[structure.zone[g]]] == 0
        live = np.where(zup, structure.size[g] - dp - de, 0)
        p = structure.per_node[g]
        home += live * p
        reachable += live
        if math.isfinite(max_per_node):
            free += live * (max_per_node - p)
        evicted += (de + ue) * p
    if not math.isfinite(max_per_node):
        free = np.where(reachable > 0, np.inf, 0.0)
    return home + np.minimum(evicted, free).astype(np.int64)


def _stationary(size: int, sources, target_index, values) -> np.ndarray:
    """Stationary distribution of the chain, with state 0 (everything up) pinned first."""
    if size == 1:
        return np.ones(1)
    keep = sources != target_index
    q = sparse.csr_matrix((values[keep], (sources[keep], target_index[keep])), shape=(size, size))
    out_rate = np.asarray(q.sum(axis=1)).ravel()
    generator_t = (q - sparse.diags(out_rate)).T.tocsc()
    # π Q = 0 with π_0 = 1: the other balance equations, solved for π_1.. (then normalised).
    rest = generator_t[1:, 1:]
    rhs = -generator_t[1:, 0].toarray().ravel()
    solution = np.atleast_1d(spsolve(rest, rhs))
    pi = np.concatenate([[1.0], np.maximum(solution, 0.0)])
    return pi / math.fsum(pi)


@dataclass(frozen=True)
class _Container:
    """Instances' own up/down process: availability and crash rate."""

    up: float  # probability [1]
    down: float  # probability [1], computed directly
    crash_rate: float  # 1/h


def _binomial_below(k, trials, c: _Container):
    """P(fewer than k of ``trials`` containers up)."""
    trials = np.asarray(trials)
    if c.down == 0:
        return (trials < k).astype(float)
    return stats.binom.cdf(k - 1, trials, c.up)


def _binomial_at_least(k, trials, c: _Container):
    trials = np.asarray(trials)
    if c.down == 0:
        return (trials >= k).astype(float)
    return stats.binom.sf(k - 1, trials, c.up)


def _crossing(k: int, before: np.ndarray, after: np.ndarray, c: _Container) -> np.ndarray:
    """P(≥ k serving among ``before`` running, < k among the ``after`` ⊂ ``before`` left)."""
    if c.down == 0:
        return ((before >= k) & (after < k)).astype(float)
    pairs, which = np.unique(np.stack([before, after], axis=1), axis=0, return_inverse=True)
    j = np.arange(k)
    kept = stats.binom.pmf(j[None, :], pairs[:, 1:2], c.up)
    lost = stats.binom.sf(k - j[None, :] - 1, (pairs[:, 0:1] - pairs[:, 1:2]), c.up)
    return (kept * lost).sum(axis=1)[which.ravel()]


def _chain_figures(
    structure: _Structure,
    rates: _Rates,
    max_per_node: float,
    container: _Container,
    thresholds: tuple[float, ...],
    instances: int,
) -> tuple[list[float], float, float]:
    """Unavailability at each threshold; outage frequency [1/h] and up share at the first."""
    states = _states(structure)
    radix = np.concatenate([[1], np.cumprod(states.max(axis=0) + 1)[:-1]])
    codes = states @ radix
    order = np.argsort(codes)
    sources, targets, values = _transitions(states, structure, rates)
    target_index = order[np.searchsorted(codes[order], targets @ radix)]
    pi = _stationary(len(states), sources, target_index, values)
    running = _running(states, structure, max_per_node)
    out = []
    for k in thresholds:
        if k <= 0:
            out.append(0.0)
        elif k > instances:
            out.append(1.0)
        else:
            out.append(float(np.dot(pi, _binomial_below(int(k), running, container))))
    k = thresholds[0]
    if k <= 0 or k > instances:
        return out, 0.0, 1.0 - out[0] if k <= 0 else 0.0
    k = int(k)
    before, after = running[sources], running[target_index]
    falls = after < before
    flux = math.fsum(
        pi[sources[falls]] * values[falls] * _crossing(k, before[falls], after[falls], container)
    )
    if container.crash_rate > 0:
        at_k = stats.binom.pmf(k, running, container.up) * (running >= k)
        flux += math.fsum(pi * at_k * k * container.crash_rate)
    up_share = float(np.dot(pi, _binomial_at_least(k, running, container)))
    return out, flux, up_share


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------
def _rate(mean_h):
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(mean_h) & (mean_h > 0), 1.0 / mean_h, 0.0)


def _thresholds(min_instances, instances_needed, instances):
    """k for service, capacity (inf when more are needed than exist) and the SLO."""
    needed = np.where(instances_needed > instances, np.inf, np.ceil(instances_needed))
    return min_instances.astype(float), needed, np.maximum(min_instances, needed)


def _convolution_rows(c: dict, rows: np.ndarray, out: dict) -> None:
    """Independent repairs, no rescheduling: the exact placement model, vectorised."""
    n, inst, z = c["nodes"][rows], c["instances"][rows], c["zones"][rows]
    qn = availability.steady_state_unavailability(c["node_mttf_h"][rows], c["node_mttr_h"][rows])
    qi = availability.steady_state_unavailability(
        c["instance_mttf_h"][rows], c["instance_mttr_h"][rows]
    )
    qz = availability.steady_state_unavailability(c["zone_mttf_h"][rows], c["zone_mttr_h"][rows])
    service_k, capacity_k, slo_k = _thresholds(
        c["min_instances"][rows], c["instances_needed"][rows], inst
    )
    # One call over the stacked thresholds: each placement's distribution is built once.
    ks = np.concatenate([service_k, capacity_k, slo_k])
    finite = np.isfinite(ks)
    u = np.ones(len(ks))
    if finite.any():
        u[finite] = availability.service_unavailability(
            np.tile(n, 3)[finite],
            np.tile(inst, 3)[finite],
            ks[finite],
            np.tile(qn, 3)[finite],
            np.tile(qi, 3)[finite],
            np.tile(z, 3)[finite],
            np.tile(qz, 3)[finite],
        )
    m = len(rows)
    out["service_unavailability"][rows] = u[:m]
    out["capacity_unavailability"][rows] = u[m : 2 * m]
    out["slo_unavailability"][rows] = u[2 * m :]
    o = availability.service_outages(
        n,
        inst,
        c["min_instances"][rows],
        c["node_mttf_h"][rows],
        c["node_mttr_h"][rows],
        c["instance_mttf_h"][rows],
        c["instance_mttr_h"][rows],
        z,
        c["zone_mttf_h"][rows],
        c["zone_mttr_h"][rows],
    )
    out["outage_frequency_per_year"][rows] = o["outage_frequency"] * HOURS_PER_YEAR
    out["mean_outage_duration_min"][rows] = o["mean_outage_duration"] * 60.0
    out["service_mttf_h"][rows] = o["mean_up_time"]
    out["service_model"][rows] = EXACT_CONVOLUTION


def _container(mttf_h: float, mttr_h: float) -> _Container:
    down = float(availability.steady_state_unavailability(mttf_h, mttr_h))
    up = float(availability.steady_state_availability(mttf_h, mttr_h))
    crash = 1.0 / mttf_h if math.isfinite(mttf_h) and mttr_h > 0 else 0.0
    return _Container(up=up, down=down, crash_rate=crash)


def _set_outages(out, index, u, flux_h, up_share) -> None:
    if flux_h > 0:
        out["outage_frequency_per_year"][index] = flux_h * HOURS_PER_YEAR
        out["mean_outage_duration_min"][index] = u / flux_h * 60.0
        out["service_mttf_h"][index] = up_share / flux_h
    else:
        out["outage_frequency_per_year"][index] = 0.0
        out["mean_outage_duration_min"][index] = np.inf if u > 0 else np.nan
        out["service_mttf_h"][index] = 0.0 if up_share == 0 else np.inf


def _evicting(mttf_h: float, mttr_h: float, pipeline_h: float) -> tuple[float, float]:
    """A unit whose instances are evicted after the pipeline, as an equivalent two-state unit.

    The unit's chain up → pending (1/MTTF), pending → up (1/MTTR), pending → evicted
    (1/pipeline), evicted → up (1/MTTR) has its instances down only while pending. The
    two-state unit with the same down probability and the same rate of entering it has
    repair rate 1/MTTR + 1/pipeline and failure rate P(up)/(MTTF (1 − P(pending))) [h].
    """
    lam, mu = 1.0 / mttf_h, 1.0 / mttr_h
    nu = 1.0 / pipeline_h if pipeline_h > 0 else 1e12
    pending_per_up = lam / (mu + nu)
    up = 1.0 / (1.0 + pending_per_up + pending_per_up * nu / mu)
    pending = up * pending_per_up
    return (1.0 - pending) / (up * lam), 1.0 / (mu + nu)


def _approximate_row(v: dict, out: dict, index: np.ndarray) -> None:
    """Beyond the chain's size: the approximations the module docstring describes."""
    n, inst, k = v["nodes"], v["instances"], v["min_instances"]
    qi = availability.steady_state_unavailability(v["instance_mttf_h"], v["instance_mttr_h"])
    qz = availability.steady_state_unavailability(v["zone_mttf_h"], v["zone_mttr_h"])
    ks = _thresholds(np.array(k), np.array(v["instances_needed"]), inst)
    if not v["reschedule"]:
        crews = v["repair_crews"]
        u = [
            1.0
            if not math.isfinite(kk)
            else float(
                markov.crew_service_unavailability(
                    n, inst, kk, v["node_mttf_h"], v["node_mttr_h"], crews, qi, v["zones"], qz
                )
            )
            for kk in (float(x) for x in ks)
        ]
        o = markov.service_outage_metrics(n, inst, k, v["node_mttf_h"], v["node_mttr_h"], crews)
        flux_h = float(o["outage_frequency_per_year"]) / HOURS_PER_YEAR
        label = APPROX_CREWS
        a = 1.0 - u[0]
    else:
        pipeline_h = v["recovery_node_failure_s"] / 3600.0
        node_mttf, node_mttr = _evicting(v["node_mttf_h"], v["node_mttr_h"], pipeline_h)
        zone_mttf, zone_mttr = v["zone_mttf_h"], v["zone_mttr_h"]
        if math.isfinite(zone_mttf) and zone_mttr > 0:
            zone_mttf, zone_mttr = _evicting(zone_mttf, zone_mttr, pipeline_h)
        q_node = float(availability.steady_state_unavailability(node_mttf, node_mttr))
        q_zone = float(availability.steady_state_unavailability(zone_mttf, zone_mttr))
        u = [
            1.0
            if not math.isfinite(kk)
            else float(
                availability.service_unavailability(n, inst, kk, q_node, qi, v["zones"], q_zone)
            )
            for kk in (float(x) for x in ks)
        ]
        o = availability.service_outages(
            n,
            inst,
            k,
            node_mttf,
            node_mttr,
            v["instance_mttf_h"],
            v["instance_mttr_h"],
            v["zones"],
            zone_mttf,
            zone_mttr,
        )
        a = float(availability.service_availability(n, inst, k, q_node, qi, v["zones"], q_zone))
        flux_h = float(o["outage_frequency"])
        # With every node down, evicted instances have nowhere to run, but the equivalent
        # units count them up. Add that corner (nodes all down, independent of the rest) and
        # the rate of entering it, where the equivalent model had the service up.
        q_down = float(availability.steady_state_unavailability(v["node_mttf_h"], v["node_mttr_h"]))
        corner = q_down**n
        u = [x + corner * (1.0 - x) for x in u]
        flux_h += n * q_down ** (n - 1) / (v["node_mttf_h"] + v["node_mttr_h"]) * a
        a -= corner * a
        label = APPROX_RESCHEDULE
    out["service_unavailability"][index] = u[0]
    out["capacity_unavailability"][index] = u[1]
    out["slo_unavailability"][index] = u[2]
    _set_outages(out, index, u[0], flux_h, a if k > 0 else 1.0)
    out["service_model"][index] = label


_INPUTS = (
    "nodes",
    "instances",
    "min_instances",
    "instances_needed",
    "node_mttf_h",
    "node_mttr_h",
    "instance_mttf_h",
    "instance_mttr_h",
    "zones",
    "zone_mttf_h",
    "zone_mttr_h",
    "repair_crews",
    "reschedule",
    "recovery_node_failure_s",
    "max_instances_per_node",
)


def service_figures(
    nodes,
    instances,
    min_instances,
    instances_needed,
    node_mttf_h,
    node_mttr_h,
    instance_mttf_h=np.inf,
    instance_mttr_h=0.0,
    zones=1,
    zone_mttf_h=np.inf,
    zone_mttr_h=0.0,
    repair_crews=np.inf,
    reschedule=False,
    recovery_node_failure_s=0.0,
    max_instances_per_node=np.inf,
) -> dict[str, np.ndarray]:
    r"""The service's availability figures from the one service model.

    Parameters
    ----------
    nodes, instances : numeric
        N nodes and C instances [count], whole numbers ≥ 1, placed as
        :func:`haplan.availability.instances_per_node` does.
    min_instances : numeric
        k, instances the service needs [count], 0 ≤ k ≤ C.
    instances_needed : numeric
        Instances that carry the load under ``max_utilization`` [count]
        (:func:`haplan.load.instances_needed`); more than C means never enough.
    node_mttf_h, node_mttr_h : numeric
        Node mean time to failure and to repair by one crew [h], > 0.
    instance_mttf_h, instance_mttr_h : numeric
        Container mean time to crash [h] (inf: never) and to restart [h].
    zones : numeric
        Z, zones the nodes are spread over round-robin [count].
    zone_mttf_h, zone_mttr_h : numeric
        Zone mean time to failure [h] (inf: never) and to repair [h].
    repair_crews : numeric
        Nodes repaired at once [count]; NaN or inf: unlimited.
    reschedule : bool or array of bool
        Evicted instances restart on reachable nodes with room (module docstring).
    recovery_node_failure_s : numeric
        The orchestrator's pipeline time before a node's instances are evicted [s].
    max_instances_per_node : numeric
        Most instances one node runs [count]; inf: always room.

    Returns
    -------
    dict of numpy.ndarray
        ``service_unavailability`` (fewer than k serving), ``capacity_unavailability``
        (fewer than ``instances_needed``), ``slo_unavailability`` (either: the load-aware
        headline) [probability]; ``outage_frequency_per_year`` [1/yr, 8766-h year],
        ``mean_outage_duration_min`` [min] and ``service_mttf_h`` (mean up time between
        outages) [h] of the service-only figure; ``service_model`` (str, the model behind
        the row). Every array has the broadcast shape of the inputs, flattened.

    Notes
    -----
    See the module docstring for the mechanism and which model answers which inputs.
    Unavailabilities are summed directly, never as 1 − A. Rows that share every input are
    computed once.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(x) for x in (nodes, instances, min_instances, instances_needed)),
        *(np.asarray(x, dtype=float) for x in (node_mttf_h, node_mttr_h)),
        *(np.asarray(x, dtype=float) for x in (instance_mttf_h, instance_mttr_h)),
        np.asarray(zones),
        *(np.asarray(x, dtype=float) for x in (zone_mttf_h, zone_mttr_h, repair_crews)),
        np.asarray(reschedule, dtype=bool),
        *(np.asarray(x, dtype=float) for x in (recovery_node_failure_s, max_instances_per_node)),
    )
    c = {name: np.ravel(a) for name, a in zip(_INPUTS, arrays, strict=True)}
    for name in ("nodes", "instances", "zones"):
        c[name] = c[name].astype(np.int64)
    c["min_instances"] = c["min_instances"].astype(float)
    c["instances_needed"] = c["instances_needed"].astype(float)
    rows = len(c["nodes"])
    out = {name: np.empty(rows) for name in FIGURES[:-1]}
    out["service_model"] = np.empty(rows, dtype=object)
    crews = np.where(np.isnan(c["repair_crews"]), np.inf, c["repair_crews"])
    c["repair_crews"] = crews
    independent = (crews >= c["nodes"]) & ~c["reschedule"]
    closed = np.flatnonzero(independent)
    if closed.size:
        _convolution_rows(c, closed, out)
    chained = np.flatnonzero(~independent)
    if chained.size:
        keys, which = np.unique(
            np.stack([c[name][chained].astype(float) for name in _INPUTS], axis=1),
            axis=0,
            return_inverse=True,
        )
        for j, key in enumerate(keys):
            v = dict(zip(_INPUTS, key.tolist(), strict=True))
            for name in ("nodes", "instances", "zones"):
                v[name] = int(v[name])
            v["reschedule"] = bool(v["reschedule"])
            _chain_row(v, out, chained[which.ravel() == j])
    return out


def _chain_row(v: dict, out: dict, index: np.ndarray) -> None:
    crews = v["repair_crews"]
    zones_fail = math.isfinite(v["zone_mttf_h"]) and v["zone_mttr_h"] > 0
    reschedule = v["reschedule"]
    structure = _structure(v["nodes"], v["instances"], v["zones"], reschedule, zones_fail)
    if _count_states(structure) > MAX_CHAIN_STATES:
        _approximate_row(v, out, index)
        return
    pipeline_s = v["recovery_node_failure_s"]
    rates = _Rates(
        node_failure=1.0 / v["node_mttf_h"],
        node_repair=1.0 / v["node_mttr_h"],
        crews=crews if crews < v["nodes"] else np.inf,
        eviction=(3600.0 / pipeline_s if pipeline_s > 0 else 1e12) if reschedule else 0.0,
        zone_failure=1.0 / v["zone_mttf_h"] if zones_fail else 0.0,
        zone_repair=1.0 / v["zone_mttr_h"] if zones_fail else 0.0,
    )
    container = _container(v["instance_mttf_h"], v["instance_mttr_h"])
    ks = _thresholds(np.array(v["min_instances"]), np.array(v["instances_needed"]), v["instances"])
    u, flux_h, up_share = _chain_figures(
        structure,
        rates,
        v["max_instances_per_node"],
        container,
        tuple(float(k) for k in ks),
        v["instances"],
    )
    out["service_unavailability"][index] = u[0]
    out["capacity_unavailability"][index] = u[1]
    out["slo_unavailability"][index] = u[2]
    _set_outages(out, index, u[0], flux_h, up_share)
    out["service_model"][index] = EXACT_CHAIN


# --------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """One line of the SLO verdict: a target, the value it is judged on, pass or fail.

    ``target`` and ``margin`` are NaN for the headline line (no target); ``margin`` is in
    ``unit`` and positive when the target holds with room to spare.
    """

    name: str  # "availability", "p99", "recovery" or "headline"
    value: float
    target: float
    unit: str
    passed: bool
    margin: float
    message: str


def min_stable_instances(request_rate_rps, instance_capacity_rps):
    """Fewest instances that keep the queue stable, ρ < 1 [count]: ⌊P / μ⌋ + 1.

    Parameters
    ----------
    request_rate_rps : numeric
        P, requests arriving [requests/s], ≥ 0.
    instance_capacity_rps : numeric
        μ, requests one instance serves at 100 % busy [requests/s], > 0.

    Returns
    -------
    numeric
        The smallest C with P / (C μ) < 1 (M/M/c stability; Kleinrock, *Queueing Systems*
        vol. 1, 1975, §3.5).
    """
    with np.errstate(over="ignore"):
        return np.floor(np.asarray(request_rate_rps) / np.asarray(instance_capacity_rps)) + 1


def _percent(availability_value: float) -> str:
    if availability_value >= 1.0:
        return "100 %"
    digits = max(2, min(12, int(math.floor(-math.log10(max(1.0 - availability_value, 1e-15))))))
    return f"{100 * availability_value:.{digits}f} %"


def _minutes(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f} min"
    return f"{value:.3g} min"


def verdict(row) -> list[Verdict]:
    """The SLO verdict for one metrics row: the headline, then one line per target set.

    Parameters
    ----------
    row : mapping
        One row of :func:`haplan.metrics` (a pandas Series or a dict of its columns).

    Returns
    -------
    list of Verdict
        First the load-aware headline (``slo_availability``: enough instances up both for
        ``min_instances`` and for the request rate under ``max_utilization``), then, for each
        of ``target_availability``, ``target_p99_ms`` and ``target_recovery_s`` that is set,
        pass or fail with the margin. An overloaded service's p99 line says how many
        instances would keep the queue stable and how many meet the utilisation ceiling.
    """
    lines = []
    u = float(row["slo_unavailability"])
    a = float(row["slo_availability"])
    k, needed = int(row["min_instances"]), float(row["instances_needed"])
    rate = float(row["request_rate_rps"])
    ceiling = float(row["max_utilization"])
    overloaded = bool(row["overloaded"])
    stable = float(min_stable_instances(rate, float(row["instance_capacity_rps"])))
    load = f"{rate:,.4g} req/s"
    if needed > row["instances"]:
        why = (
            f"{int(row['instances'])} instances cannot carry {load} under "
            f"{ceiling:.0%} utilisation: {needed:,.0f} are needed"
        )
    else:
        why = (
            f"P(at least {max(k, int(needed))} of {int(row['instances'])} instances up: "
            f"{k} for the service, {needed:,.0f} to carry {load} under {ceiling:.0%} "
            "utilisation)"
        )
    lines.append(
        Verdict(
            "headline",
            a,
            math.nan,
            "fraction",
            u < 1.0,
            math.nan,
            f"SLO availability {_percent(a)} ({float(row['slo_nines']):.3g} nines, "
            f"{_minutes(float(row['slo_downtime_min_per_30d']))} down per 30 days) — {why}",
        )
    )
    target = row.get("target_availability", math.nan)
    if target is not None and not _isna(target):
        margin = float(row["availability_margin_min_per_30d"])
        passed = margin >= 0
        spare = "to spare" if passed else "over budget"
        lines.append(
            Verdict(
                "availability",
                a,
                float(target),
                "min per 30 days",
                passed,
                margin,
                f"availability {_percent(a)} {'meets' if passed else 'misses'} the "
                f"{_percent(float(target))} target: {_minutes(abs(margin))} per 30 days "
                f"{spare}",
            )
        )
    target = row.get("target_p99_ms", math.nan)
    if target is not None and not _isna(target):
        p99 = float(row["p99_response_ms"])
        margin = float(row["p99_margin_ms"])
        passed = margin >= 0
        if overloaded:
            message = (
                f"p99 ∞ ms: the service is overloaded at {load} — it needs at least "
                f"{stable:,.0f} instances to be stable, {needed:,.0f} to stay under "
                f"{ceiling:.0%} utilisation"
            )
        else:
            message = (
                f"p99 {p99:.4g} ms {'meets' if passed else 'misses'} the {float(target):.4g} "
                f"ms target by {abs(margin):.3g} ms"
            )
        lines.append(Verdict("p99", p99, float(target), "ms", passed, margin, message))
    target = row.get("target_recovery_s", math.nan)
    if target is not None and not _isna(target):
        value = float(row["recovery_node_failure_s"])
        margin = float(row["recovery_margin_s"])
        passed = margin >= 0
        lines.append(
            Verdict(
                "recovery",
                value,
                float(target),
                "s",
                passed,
                margin,
                f"recovery after a node failure {value:.4g} s "
                f"{'meets' if passed else 'misses'} the {float(target):.4g} s target by "
                f"{abs(margin):.3g} s",
            )
        )
    return lines


def _isna(value) -> bool:
    """True for None and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))
