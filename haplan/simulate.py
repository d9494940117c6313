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
all event times with one sort and cumulative counts, vectorised over replications. With only
node failures (the fast path) durations are rounded to integer ticks of the window (at most
1e-5 of the shortest mean duration ÷ nodes, else 2^-40 of the window; unbiased) so that each
event is one 32-bit sort key carrying its change in instances up; zones and container crashes
first combine per-unit timelines, several times slower per event; rescheduling merges the
nodes' reachability and eviction events, reads E, F and the instances running off cumulative
sums (per instance, by rank among the evicted, when containers crash) and merges again. Only
the repair-crew queue steps event by event (still vectorised over replications).

References
----------
D. R. Cox, *Renewal Theory*, Methuen 1962, ch. 7 (alternating renewal processes, the
stationary start and A = MTTF / (MTTF + MTTR) for any distributions).
M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed., Wiley 2004, ch. 8
(Markov models of repairable systems, outage frequency and mean down time).
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from haplan import availability, load, recovery
from haplan._numeric import check_range
from haplan.metrics import metrics
from haplan.scenario import Scenario

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

#: Hours in a year (365.25 days), the unit of ``outage_frequency_per_year``.
YEAR_H = 8766.0
#: The metrics a simulation estimates, in the shared vocabulary.
METRICS = (
    "slo_unavailability",
    "service_unavailability",
    "capacity_unavailability",
    "outage_frequency_per_year",
    "mean_outage_duration_min",
)
# Array elements a chunk of replications aims at: small enough to stay in the CPU cache,
# large enough that numpy's per-call overhead does not dominate.
_CHUNK_ELEMENTS = 60_000
# Renewal cycles drawn at once, in standard deviations above the mean count; the units that
# need more get them in a second, smaller draw.
_MAIN_SPREADS = 0.5


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------
def _check_scalar(name: str, value, **rule) -> float:
    array = check_range(name, value, **rule)
    if array.ndim != 0:
        raise ValueError(f"{name}={value!r} is not valid: must be a single number")
    return float(array)


@dataclass(frozen=True)
class Exponential:
    """Exponential durations with the given mean [h] (≥ 0; inf means the event never happens)."""

    mean: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _check_scalar("mean", self.mean, low=0, allow_inf=True))

    @property
    def variance(self) -> float:
        """Variance [h²]: mean²."""
        return self.mean**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return rng.exponential(self.mean, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # density x f(x) / mean: Gamma(2, mean).
        return rng.gamma(2.0, self.mean, size)


@dataclass(frozen=True)
class Weibull:
    """Weibull durations with the given mean [h] (> 0) and shape (> 0).

    Shape < 1 gives a decreasing hazard (infant mortality, Schroeder & Gibson, DSN 2006),
    shape > 1 wear-out; shape 1 is exponential. The scale is mean / Γ(1 + 1/shape).
    """

    mean: float
    shape: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _check_scalar("mean", self.mean, low=0, low_open=True))
        object.__setattr__(self, "shape", _check_scalar("shape", self.shape, low=0, low_open=True))

    @property
    def scale(self) -> float:
        """Weibull scale λ [h] = mean / Γ(1 + 1/shape)."""
        return self.mean / math.gamma(1.0 + 1.0 / self.shape)

    @property
    def variance(self) -> float:
        """Variance [h²] = λ² (Γ(1 + 2/k) − Γ(1 + 1/k)²)."""
        k = self.shape
        ratio = math.exp(special.gammaln(1 + 2 / k) - 2 * special.gammaln(1 + 1 / k))
        return self.mean**2 * (ratio - 1.0)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return self.scale * rng.weibull(self.shape, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # x f(x) / mean: (X / λ)^k ~ Gamma(1 + 1/k).
        return self.scale * rng.gamma(1.0 + 1.0 / self.shape, 1.0, size) ** (1.0 / self.shape)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal durations with the given mean [h] (> 0) and log-space ``sigma`` (> 0).

    log X ~ Normal(log(mean) − sigma²/2, sigma), so E[X] = mean. Repair times in HPC systems
    are log-normal (Schroeder & Gibson, DSN 2006).
    """

    mean: float
    sigma: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _check_scalar("mean", self.mean, low=0, low_open=True))
        object.__setattr__(self, "sigma", _check_scalar("sigma", self.sigma, low=0, low_open=True))

    @property
    def variance(self) -> float:
        """Variance [h²] = mean² (exp(sigma²) − 1)."""
        return self.mean**2 * math.expm1(self.sigma**2)

    @property
    def _mu(self) -> float:
        return math.log(self.mean) - 0.5 * self.sigma**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return rng.lognormal(self._mu, self.sigma, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # x f(x) / mean: log-normal with mu + sigma².
        return rng.lognormal(self._mu + self.sigma**2, self.sigma, size)


@dataclass(frozen=True)
class Deterministic:
    """A fixed duration [h] (≥ 0)."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _check_scalar("value", self.value, low=0))

    @property
    def mean(self) -> float:
        """Mean [h]: the value."""
        return self.value

    @property
    def variance(self) -> float:
        """Variance [h²]: 0."""
        return 0.0

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Return ``size`` copies of the value [h] (``rng`` is not used)."""
        return np.full(size, self.value)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        return np.full(size, self.value)


_DISTRIBUTIONS = (Exponential, Weibull, LogNormal, Deterministic)
Distribution = Exponential | Weibull | LogNormal | Deterministic


# --------------------------------------------------------------------------------------------
# Timelines. A unit's timeline is its event times [h] along the last axis (inf = no event) and
# the change each event makes (-1 goes down, +1 comes back); every unit is up before time 0.
# --------------------------------------------------------------------------------------------
def _compact(times: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort events by time, drop those that change nothing, trim the common inf padding."""
    keep = deltas != 0
    times = np.where(keep, times, np.inf)
    order = np.argsort(times, axis=-1, kind="stable")
    times = np.take_along_axis(times, order, axis=-1)
    deltas = np.take_along_axis(np.where(keep, deltas, 0), order, axis=-1).astype(np.int8)
    width = max(int(keep.sum(axis=-1).max(initial=0)), 1)
    return times[..., :width], deltas[..., :width]


def _combine(timelines, initial_states, combine) -> tuple[np.ndarray, np.ndarray]:
    """Timeline of ``combine(state, state, ...)`` of several 0/1 timelines (leads broadcast).

    Simultaneous events are applied together: only the state after the last of them counts,
    so two units changing at the same instant in opposite directions leave no zero-length
    blip behind.
    """
    lead = np.broadcast_shapes(*(t.shape[:-1] for t, _ in timelines))
    widths = [t.shape[-1] for t, _ in timelines]
    times = np.concatenate([np.broadcast_to(t, lead + t.shape[-1:]) for t, _ in timelines], -1)
    order = np.argsort(times, axis=-1, kind="stable")
    times = np.take_along_axis(times, order, axis=-1)
    states = []
    offset = 0
    for (_, deltas), initial, width in zip(timelines, initial_states, widths, strict=True):
        own = np.zeros(times.shape, np.int8)
        own[..., offset : offset + width] = deltas
        states.append(initial + np.cumsum(np.take_along_axis(own, order, axis=-1), axis=-1))
        offset += width
    state = combine(*states)
    before = combine(*initial_states)
    # Keep a change only at the last event of each group of equal times.
    last = np.ones(times.shape, bool)
    last[..., :-1] = times[..., 1:] != times[..., :-1]
    index = np.where(last, np.arange(times.shape[-1]), -1)
    previous_last = np.maximum.accumulate(index, axis=-1)
    previous_last = np.concatenate([np.full(lead + (1,), -1), previous_last[..., :-1]], axis=-1)
    state_before = np.where(
        previous_last >= 0,
        np.take_along_axis(state, np.maximum(previous_last, 0), axis=-1),
        before,
    )
    deltas = np.where(last, state - state_before, 0)
    return _compact(times, deltas)


def _cycles_needed(up: Distribution, down: Distribution, span_h, spreads: float) -> int:
    """Up/down cycles covering ``span_h`` with ``spreads`` standard deviations to spare."""
    cycle = up.mean + down.mean
    spread = math.sqrt(span_h * (up.variance + down.variance) / cycle**3)
    return int(math.ceil(span_h / cycle + spreads * spread)) + 1


def _cycles(rng, up, down, start: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (``start.shape + (2, cycles)``) with down/up cycles from failures ``start``.

    ``out[..., 0, j]`` is failure j and ``out[..., 1, j]`` the repair after it; returns the
    failure after the last cycle.
    """
    size = out.shape[:-2] + out.shape[-1:]
    downs = down.sample(rng, size)
    ends = up.sample(rng, size)
    ends += downs
    np.cumsum(ends, axis=-1, out=ends)
    ends += start[..., None]
    out[..., 0, 0] = start
    out[..., 0, 1:] = ends[..., :-1]
    np.add(out[..., 0, :], downs, out=out[..., 1, :])
    return ends[..., -1]


def _renewal(rng, up: Distribution, down: Distribution, lead: tuple, total_h: float):
    """Failure and repair times of stationary alternating renewal processes over ``total_h``.

    Returns ``(events, extra)``. ``events`` has shape ``lead + (2, cycles)``: row 0 failure
    times, row 1 the repair after each, both increasing. Failure 0 is at time 0 and repair 0
    at d0 ≥ 0, so a unit up at time 0 has a zero-length outage at 0 and one down at time 0
    stays down for d0. The phase in progress at time 0 is up with probability
    E[up] / (E[up] + E[down]); its remaining length is U × L with L length-biased and U
    uniform (Cox 1962, §7.2), which makes each process stationary from time 0.

    ``cycles`` covers the horizon for most units (the mean count plus half a standard
    deviation); units that need more get further cycles in ``extra``, a list of
    ``(units, events)`` with ``units`` flat indices into ``lead`` and ``events`` of shape
    ``(len(units), 2, more_cycles)``. Times past ``total_h`` are left for the caller to ignore.
    """
    starts_up = rng.random(lead) < up.mean / (up.mean + down.mean)
    residual = rng.random(lead) * np.where(
        starts_up, up._length_biased(rng, lead), down._length_biased(rng, lead)
    )
    first_repair = np.where(starts_up, 0.0, residual)
    start = first_repair + np.where(starts_up, residual, up.sample(rng, lead))
    events = np.empty(lead + (2, 1 + _cycles_needed(up, down, total_h, _MAIN_SPREADS)))
    events[..., 0, 0] = 0.0
    events[..., 1, 0] = first_repair
    start = _cycles(rng, up, down, start, events[..., 1:])
    extra = []
    units = np.flatnonzero(start <= total_h)
    start = start.ravel()[units]
    while units.size:
        more = np.empty((units.size, 2, _cycles_needed(up, down, total_h - start.min(), 2.0)))
        start = _cycles(rng, up, down, start, more)
        extra.append((units, more))
        short = start <= total_h
        units, start = units[short], start[short]
    return events, extra


def _renewal_timeline(rng, up, down, lead, total_h) -> tuple[np.ndarray, np.ndarray]:
    """``_renewal`` as a sorted timeline (-1 at failures, +1 at repairs) up to ``total_h``."""
    events, extra = _renewal(rng, up, down, lead, total_h)
    units = math.prod(lead)
    width = events.shape[-1] + sum(block.shape[-1] for _, block in extra)
    full = np.full((units, width, 2), np.inf)
    full[:, : events.shape[-1], :] = events.reshape(units, 2, -1).transpose(0, 2, 1)
    column = events.shape[-1]
    for rows, block in extra:
        full[rows, column : column + block.shape[-1], :] = block.transpose(0, 2, 1)
        column += block.shape[-1]
    times = full.reshape(lead + (2 * width,))
    pattern = np.tile(np.array([-1, 1], np.int8), width)
    inside = times <= total_h
    keep = int(inside.sum(axis=-1).max(initial=0)) + 1
    times, inside = times[..., :keep], inside[..., :keep]
    return np.where(inside, times, np.inf), np.where(inside, pattern[:keep], 0).astype(np.int8)


def _never_down(lead: tuple) -> tuple[np.ndarray, np.ndarray]:
    return np.full(lead + (1,), np.inf), np.zeros(lead + (1,), np.int8)


def _crew_timelines(
    rng: np.random.Generator,
    lifetime: Distribution,
    repair: Distribution,
    replications: int,
    nodes: int,
    crews: int,
    total_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Node timelines with at most ``crews`` repairs at once (FIFO queue), all up at time 0.

    Steps event by event, vectorised over replications. Lifetimes at time 0 are stationary
    residuals; the caller measures after a warm-up.
    """
    shape = (replications, nodes)
    rows = np.arange(replications)
    next_t = rng.random(shape) * lifetime._length_biased(rng, shape)
    status = np.zeros(shape, np.int8)  # 0 up, 1 waiting for a crew, 2 in repair
    failed_at = np.full(shape, np.inf)
    busy = np.zeros(replications, np.int64)
    times, which, deltas = [], [], []
    while True:
        node = np.argmin(next_t, axis=1)
        now = next_t[rows, node]
        active = now <= total_h
        if not active.any():
            break
        state = status[rows, node]
        failing = active & (state == 0)
        finishing = active & (state == 2)
        repair_draw = repair.sample(rng, replications)
        life_draw = lifetime.sample(rng, replications)
        queue_draw = repair.sample(rng, replications)
        # A failure starts a repair when a crew is free, else joins the queue.
        starts = failing & (busy < crews)
        waits = failing & ~starts
        next_t[rows[starts], node[starts]] = now[starts] + repair_draw[starts]
        status[rows[starts], node[starts]] = 2
        busy += starts
        next_t[rows[waits], node[waits]] = np.inf
        status[rows[waits], node[waits]] = 1
        failed_at[rows[waits], node[waits]] = now[waits]
        # A finished repair frees its crew for the longest-waiting node, if any.
        next_t[rows[finishing], node[finishing]] = now[finishing] + life_draw[finishing]
        status[rows[finishing], node[finishing]] = 0
        busy -= finishing
        waiting = np.where(status == 1, failed_at, np.inf)
        first = np.argmin(waiting, axis=1)
        served = finishing & np.isfinite(waiting[rows, first])
        next_t[rows[served], first[served]] = now[served] + queue_draw[served]
        status[rows[served], first[served]] = 2
        failed_at[rows[served], first[served]] = np.inf
        busy += served
        times.append(np.where(active, now, np.inf))
        which.append(node)
        deltas.append(np.where(failing, -1, np.where(finishing, 1, 0)).astype(np.int8))
    if not times:
        return _never_down(shape)
    # Regroup the events (one per step and replication) by node, keeping their time order.
    times, which, deltas = (np.stack(x, axis=1) for x in (times, which, deltas))
    order = np.argsort(which, axis=1, kind="stable")
    times, which, deltas = (np.take_along_axis(x, order, axis=1) for x in (times, which, deltas))
    counts = np.bincount((which + nodes * rows[:, None]).ravel(), minlength=replications * nodes)
    first = np.cumsum(counts.reshape(shape), axis=1) - counts.reshape(shape)
    slot = np.arange(which.shape[1])[None, :] - np.take_along_axis(first, which, axis=1)
    width = int(slot.max(initial=0)) + 1
    out_t = np.full(shape + (width,), np.inf)
    out_d = np.zeros(shape + (width,), np.int8)
    out_t[rows[:, None], which, slot] = times
    out_d[rows[:, None], which, slot] = deltas
    return _compact(out_t, out_d)


# --------------------------------------------------------------------------------------------
# One chunk of replications
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Model:
    """Everything a chunk needs, derived once from the scenario (picklable for Dask)."""

    instances_per_node: np.ndarray
    zone_of_node: np.ndarray
    zones: int
    min_instances: int
    instances_needed: float
    node_lifetime: Distribution
    node_repair: Distribution
    zone_lifetime: Distribution | None
    zone_repair: Distribution | None
    instance_lifetime: Distribution | None
    instance_repair: Distribution | None
    repair_crews: int | None
    recovery_time: Distribution | None  # pipeline time [h]; None: no rescheduling
    max_per_node: int  # M, capped at C (as much room as inf)
    warmup_h: float
    horizon_h: float

    @property
    def nodes(self) -> int:
        return len(self.instances_per_node)

    @functools.cached_property
    def fast(self) -> _FastPlan:
        """The fast path's settings (see ``_independent_nodes``), computed once."""
        return _fast_plan(self)

    @property
    def instances(self) -> int:
        return int(self.instances_per_node.sum())

    @property
    def nodes_fail(self) -> bool:
        return math.isfinite(self.node_lifetime.mean) and self.node_repair.mean > 0

    @property
    def independent_nodes_only(self) -> bool:
        """True when only independently repaired nodes fail (the sort-merge fast path)."""
        return (
            self.repair_crews is None
            and self.zone_lifetime is None
            and self.instance_lifetime is None
            and self.recovery_time is None
        )

    def elements_per_replication(self) -> float:
        """A rough count of array elements one replication needs (for chunk sizing)."""
        if self.independent_nodes_only and self.nodes_fail:
            return float(self.nodes * self.fast.slots)
        total = self.warmup_h + self.horizon_h
        per_node = 0.0
        if self.nodes_fail:
            per_node = 2.0 * _cycles_needed(self.node_lifetime, self.node_repair, total, 2.0)
        count = self.nodes * per_node
        if self.zone_lifetime is not None:
            count += (
                self.nodes * 2.0 * _cycles_needed(self.zone_lifetime, self.zone_repair, total, 2.0)
            )
        per_instance = 0.0
        if self.instance_lifetime is not None:
            per_instance = 2.0 * _cycles_needed(
                self.instance_lifetime, self.instance_repair, total, 2.0
            )
        if self.recovery_time is not None:
            events = 2.0 * count  # reachability and eviction events, merged
            if self.instance_lifetime is None:
                return max(events, 1.0)
            # Node states (int8) and instances running (bool) per event, then per-instance
            # timelines; small types, so about half an element each.
            count = events * (self.nodes + self.instances) / 2.0
            return max(count + 3.0 * self.instances * per_instance, 1.0)
        if self.instance_lifetime is not None:
            count = self.instances * (per_instance + count / self.nodes)
        return max(count, 1.0)


def _node_classes(model: _Model) -> tuple[np.ndarray, np.ndarray]:
    """Class (0 heavy, 1 light) of each node and the instance count of each class."""
    counts = model.instances_per_node
    classes = (counts != counts[0]).astype(np.int64)
    return classes, np.array([counts[0], counts[-1]], dtype=np.int64)


def _node_timelines(model: _Model, rng: np.random.Generator, replications: int):
    total = model.warmup_h + model.horizon_h
    shape = (replications, model.nodes)
    if not model.nodes_fail:
        nodes = _never_down(shape)
    elif model.repair_crews is None:
        nodes = _renewal_timeline(rng, model.node_lifetime, model.node_repair, shape, total)
    else:
        nodes = _crew_timelines(
            rng,
            model.node_lifetime,
            model.node_repair,
            replications,
            model.nodes,
            model.repair_crews,
            total,
        )
    if model.zone_lifetime is not None:
        lead = (replications, model.zones)
        zones = _renewal_timeline(rng, model.zone_lifetime, model.zone_repair, lead, total)
        zones = tuple(x[:, model.zone_of_node, :] for x in zones)
        nodes = _combine([nodes, zones], [1, 1], np.multiply)
    return nodes


def _evictions(model: _Model, rng, reach) -> tuple[np.ndarray, np.ndarray]:
    """Timeline of "the node's home instances are evicted" (0/1, 0 before time 0).

    ``reach`` is the nodes' reachability timeline. For each maximal unreachable interval
    [a, b) a pipeline time d is drawn from ``model.recovery_time``; the instances are evicted
    during [a + d, b) when a + d < b. Intervals still open at the end (b = inf) evict too.
    """
    times, _ = _compact(*reach)  # alternating -1, +1, ... from the first time unreachable
    if times.shape[-1] % 2:
        times = np.concatenate([times, np.full(times.shape[:-1] + (1,), np.inf)], axis=-1)
    went_down, came_back = times[..., 0::2], times[..., 1::2]
    evicted_at = went_down + model.recovery_time.sample(rng, went_down.shape)
    valid = evicted_at < came_back  # never for the inf padding
    return (
        np.concatenate(
            [np.where(valid, evicted_at, np.inf), np.where(valid, came_back, np.inf)], axis=-1
        ),
        np.concatenate([valid, -valid.astype(np.int8)], axis=-1).astype(np.int8),
    )


def _group_ends(times: np.ndarray) -> np.ndarray:
    """Index of the last event at the same time as each event (``times`` sorted, 2-D)."""
    width = times.shape[1]
    last = np.ones(times.shape, bool)
    last[:, :-1] = times[:, 1:] != times[:, :-1]
    index = np.where(last, np.arange(width), width)
    return np.minimum.accumulate(index[:, ::-1], axis=1)[:, ::-1]


def _node_events(reach, evict):
    """Merge the nodes' reachability and eviction timelines of each replication.

    Returns ``(times, node, reach_delta, evict_delta, ends)``, each (replications, events):
    event times [h] in order (events at inf dropped), the node each concerns, its change in
    reachability and in eviction (one of the two is 0), and ``_group_ends`` of the times.
    """
    replications, nodes = reach[0].shape[:2]
    parts = [tuple(np.broadcast_to(x, reach[0].shape) for x in reach), evict]
    times = np.concatenate([t.reshape(replications, -1) for t, _ in parts], axis=1)
    order = np.argsort(times, axis=1, kind="stable")
    times = np.take_along_axis(times, order, axis=1)
    width = max(int(np.isfinite(times).sum(axis=1).max(initial=0)), 1)
    order, times = order[:, :width], times[:, :width]
    node = np.concatenate([np.repeat(np.arange(nodes), t.shape[-1]) for t, _ in parts])[order]
    zero = [np.zeros((replications, nodes * t.shape[-1]), np.int8) for t, _ in parts]
    deltas = [d.reshape(replications, -1) for _, d in parts]
    reach_delta = np.take_along_axis(np.concatenate([deltas[0], zero[1]], axis=1), order, axis=1)
    evict_delta = np.take_along_axis(np.concatenate([zero[0], deltas[1]], axis=1), order, axis=1)
    return times, node, reach_delta, evict_delta, _group_ends(times)


def _rescheduled(model: _Model, rng, replications: int) -> np.ndarray:
    """Rescheduling, the mechanism of the module docstring: rows of _level_metrics.

    Without container crashes the instances serving after each node event are
    H + min(E, F): H the home instances of reachable nodes, E the evicted instances and F
    the free slots on reachable nodes, each a cumulative sum over the merged events. With
    crashes, instance j of node i runs while node i is reachable, or while it is evicted and
    its rank among the evicted (evicted instances of nodes before i, plus its place on node
    i) is below F; each instance's running timeline is then combined with its container's.
    (So a newly evicted instance with a lower index takes the slot of a running one with a
    higher index: the rule decides which instances run, never how many.)
    """
    reach = _node_timelines(model, rng, replications)
    evict = _evictions(model, rng, reach)
    times, node, reach_delta, evict_delta, ends = _node_events(reach, evict)
    counts = model.instances_per_node.astype(np.int32)
    nodes, instances, room = model.nodes, model.instances, model.max_per_node
    home = instances + np.cumsum(reach_delta * counts[node], axis=1, dtype=np.int32)
    evicted = np.cumsum(evict_delta * counts[node], axis=1, dtype=np.int32)
    free = nodes * room - instances + np.cumsum(reach_delta * (room - counts[node]), axis=1)
    if model.instance_lifetime is None:
        levels = home + np.minimum(evicted, free)
        return _level_metrics(times, np.take_along_axis(levels, ends, axis=1), model)
    # Per-node states after each event (node 0 .. N-1), read at the end of each group of
    # simultaneous events so that no instance blinks.
    rows = np.arange(replications)[:, None]
    columns = np.arange(times.shape[1])[None, :]
    states = np.zeros((2,) + times.shape + (nodes,), np.int8)
    states[0][rows, columns, node] = reach_delta
    states[1][rows, columns, node] = evict_delta
    np.cumsum(states, axis=2, out=states)
    states[0] += 1
    states = np.take_along_axis(states, ends[None, :, :, None], axis=2)
    free = np.take_along_axis(free, ends, axis=1)
    node_of_instance = np.repeat(np.arange(nodes), counts)
    place = np.arange(instances) - np.repeat(np.cumsum(counts) - counts, counts)
    before = np.cumsum(states[1] * counts, axis=2, dtype=np.int32) - states[1] * counts
    rank = before[..., node_of_instance] + place
    running = states[0][..., node_of_instance].astype(bool)
    running |= states[1][..., node_of_instance].astype(bool) & (rank < free[..., None])
    changes = np.diff(running.view(np.int8), axis=1, prepend=np.int8(1)).transpose(0, 2, 1)
    running_timeline = _pack(times, changes)
    total = model.warmup_h + model.horizon_h
    containers = _renewal_timeline(
        rng, model.instance_lifetime, model.instance_repair, (replications, instances), total
    )
    serving = _combine([running_timeline, containers], [1, 1], np.multiply)
    # One sort of int64 keys: a time's bits (times >= 0 sort as their bits do) with the
    # change (-1 / +1 as 0 / 2) in the two lowest, which moves a time by at most 3 units in
    # the last place; clearing them again gives the times, equal where they were.
    keys = serving[0].reshape(replications, -1).view(np.int64) & ~np.int64(3)
    keys |= serving[1].reshape(replications, -1) + 1
    keys.sort(axis=1)
    levels = instances + np.cumsum(keys & 3, axis=1) - np.arange(1, keys.shape[1] + 1)
    keys &= ~np.int64(3)
    serving_times = keys.view(np.float64)
    ends = _group_ends(serving_times)
    return _level_metrics(serving_times, np.take_along_axis(levels, ends, axis=1), model)


def _pack(times: np.ndarray, changes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Timelines (replications × units × events) of the nonzero ``changes`` at ``times``.

    ``times`` (replications × events) are sorted and shared by every unit, so keeping each
    unit's nonzero changes in order needs no sort.
    """
    keep = changes != 0
    slot = np.cumsum(keep, axis=-1, dtype=np.int32)
    width = max(int(slot[..., -1].max(initial=0)), 1)
    replication, unit, event = np.nonzero(keep)
    out_t = np.full(changes.shape[:2] + (width,), np.inf)
    out_d = np.zeros(changes.shape[:2] + (width,), np.int8)
    position = slot[replication, unit, event] - 1
    out_t[replication, unit, position] = times[replication, event]
    out_d[replication, unit, position] = changes[replication, unit, event]
    return out_t, out_d


def _level_metrics(times: np.ndarray, levels: np.ndarray, model: _Model) -> np.ndarray:
    """Downtime [h], capacity shortfall [h] and outages in the window, per replication.

    ``times`` are sorted event times [h] from the start of the warm-up (replications ×
    events, inf allowed) and ``levels`` the instances serving after each event, equal within
    each group of simultaneous events; before the first event all C serve. An outage starts
    at an event strictly inside the window taking the service from up to down.
    """
    horizon = model.horizon_h
    window = times - model.warmup_h
    np.clip(window, 0.0, horizon, out=window)
    lengths = np.empty_like(window)
    np.subtract(window[:, 1:], window[:, :-1], out=lengths[:, :-1])
    np.subtract(horizon, window[:, -1], out=lengths[:, -1])
    head = window[:, 0]  # before the first event
    down = levels < model.min_instances
    downtime = np.einsum("ij,ij->i", lengths, down)
    short = levels < model.instances_needed
    shortfall = np.einsum("ij,ij->i", lengths, short)
    if model.instances < model.instances_needed:
        shortfall += head
    if model.instances < model.min_instances:
        downtime += head
    starts = down.copy()
    starts[:, 1:] &= ~down[:, :-1]
    if model.instances < model.min_instances:
        starts[:, 0] = False
    starts &= (window > 0.0) & (window < horizon)
    outages = np.count_nonzero(starts, axis=1)
    return np.stack([downtime, shortfall, outages.astype(float)], axis=1)


# The fast path (independent repairs, see _independent_nodes) runs on an integer clock: the
# window is 2^time_bits − 1 ticks, and a sort key holds an event's tick above `code_bits`
# bits of code. 32-bit keys sort several times faster than 64-bit ones (rows of up to 512
# of them fastest of all); they are used when a tick × nodes is at most _NARROW_TOLERANCE
# of the shortest mean duration, else 64-bit keys with 2^40 ticks.
_NARROW_KEY_BITS = 32
_WIDE_TIME_BITS = 40
_NARROW_TOLERANCE = 1e-5
# Cycles per node in the main block, in standard deviations of the count above its mean
# (nodes that need more get them in further blocks), and array elements a chunk aims at.
_FAST_SPREADS = 0.5
_FAST_CHUNK_ELEMENTS = 250_000
# x + 1.5 × 2^52 holds round(x) in its low bits for |x| < 2^51 (round half to even): viewed
# as uint64 it reads _ROUNDER_BITS + round(x), a fast exact rounding of floats to integers.
# Tick arithmetic is done in uint64, which wraps around exactly.
_ROUNDER = 1.5 * 2.0**52
_ROUNDER_BITS = int(np.array(_ROUNDER).view(np.uint64))
# Work arrays of the fast path, per thread. Every chunk needs the same large arrays, and
# allocating them afresh makes the operating system map and zero new pages each time, which
# costs about as much as the work itself; so they are kept between runs, up to this size.
_SCRATCH = threading.local()
_SCRATCH_KEPT_BYTES = 16 * 2**20


def _scratch(name: str, shape: tuple, dtype) -> np.ndarray:
    """A work array of undefined contents, reused from call to call (one per name)."""
    store = getattr(_SCRATCH, "arrays", None)
    if store is None:
        store = _SCRATCH.arrays = {}
    size = math.prod(shape) * np.dtype(dtype).itemsize
    memory = store.get(name)
    if memory is None or memory.size < size:
        memory = store[name] = np.empty(max(size, 1), np.uint8)
    return memory[:size].view(dtype).reshape(shape)


@contextlib.contextmanager
def _reused_memory():
    """Release this thread's work arrays when the block ends if they are large."""
    try:
        yield
    finally:
        store = getattr(_SCRATCH, "arrays", None) or {}
        if sum(memory.size for memory in store.values()) > _SCRATCH_KEPT_BYTES:
            _SCRATCH.arrays = None


@dataclass(frozen=True)
class _Clock:
    """Ticks of the fast path: the window is ticks 0 .. ``window``; keys' layout and type."""

    tick_h: float
    window: int
    code_bits: int
    dtype: type
    clip: float | None  # longest duration [ticks] kept, where sums could otherwise overflow

    @property
    def narrow(self) -> bool:
        return self.dtype == np.uint32


def _clock(model: _Model, slots: int) -> _Clock:
    """Tick and key width for ``model`` when each node sums ``slots`` durations at a time."""
    life, repair = model.node_lifetime, model.node_repair
    code_bits = int(2 * model.instances_per_node.max()).bit_length()
    exact = isinstance(life, (Exponential, Deterministic)) and isinstance(
        repair, (Exponential, Deterministic)
    )
    time_bits = _NARROW_KEY_BITS - code_bits
    tick = model.horizon_h / (2**time_bits - 1)
    narrow = exact and tick * model.nodes <= _NARROW_TOLERANCE * min(life.mean, repair.mean)
    if not narrow:
        time_bits = min(_WIDE_TIME_BITS, 61 - code_bits)
        tick = model.horizon_h / (2**time_bits - 1)
    # Exponential draws stay below 37 means. Clip durations unless they stay below 2^50
    # ticks and a node's sums, shifted past the code, below 2^61.
    longest = 37.0 * max(life.mean, repair.mean) / tick
    safe = exact and longest < 2.0**50 and longest * slots * 2.0**code_bits < 2.0**61
    clip = None if safe else 2.0 ** (time_bits + 1)
    return _Clock(tick, 2**time_bits - 1, code_bits, np.uint32 if narrow else np.int64, clip)


@dataclass(frozen=True)
class _FastPlan:
    """What every chunk of the fast path reuses, derived once per model."""

    slots: int  # durations per node in the main block: repair, up, repair, ..., up
    clock: _Clock
    c_max: int  # most instances on a node
    codes: np.ndarray  # uint64 (nodes, slots): event codes c_max ∓ c (repair / failure)
    encoding: np.ndarray  # uint64 (slots,): (slot + 1) × _ROUNDER_BITS, added by cumulating
    scales: np.ndarray | None  # (slots,): −mean / tick, when both durations are exponential
    first_cycles: int  # cycles in the first further block (then doubling, up to slots / 2)

    @property
    def pad(self) -> int:
        """A key past the window that changes nothing."""
        return (self.clock.window << self.clock.code_bits) + self.c_max


def _fast_plan(model: _Model) -> _FastPlan:
    up, down = model.node_lifetime, model.node_repair
    slots = 2 * _cycles_needed(up, down, model.horizon_h, _FAST_SPREADS)
    clock = _clock(model, slots)
    repairs = np.arange(slots) % 2 == 0
    scales = None
    if isinstance(up, Exponential) and isinstance(down, Exponential):
        scales = np.where(repairs, -down.mean, -up.mean) / clock.tick_h
        if clock.narrow:  # drawn in single precision
            scales = scales.astype(np.float32)
    counts = model.instances_per_node.astype(np.int64)
    c_max = int(counts.max())
    codes = (c_max + counts[:, None] * np.where(repairs, -1, 1)).astype(np.uint64)
    encoding = np.arange(1, slots + 1, dtype=np.uint64) * np.uint64(_ROUNDER_BITS)
    spread = math.sqrt(model.horizon_h * (up.variance + down.variance))
    first = max(1, math.ceil(3.0 * spread / (up.mean + down.mean) ** 1.5))
    return _FastPlan(slots, clock, c_max, codes, encoding, scales, first)


def _durations(rng, model: _Model, out: np.ndarray) -> np.ndarray:
    """Draw repair (even columns) and up (odd columns) durations [ticks] into ``out``.

    Returns ``out`` viewed as uint64: _ROUNDER_BITS + each duration rounded to whole ticks
    (unbiased). Exponential durations are drawn by inversion, −mean log U. With 32-bit keys
    U = k / 2^32 for odd 32-bit k, two per 64 random bits, in single precision (relative
    error ~1e-7 per duration, tail cut beyond 22 means: p ~ 1e-10); else U = 1 − a 53-bit
    uniform, in double precision.
    """
    plan = model.fast
    clock = plan.clock
    width = out.shape[-1]
    if plan.scales is not None and clock.narrow:
        bits = rng.bit_generator.random_raw((out.size + 1) // 2)
        bits |= 0x0000000100000001  # both halves odd
        logs = _scratch("keys", out.shape, np.float32)  # free until the keys are made
        np.copyto(logs, bits.view(np.uint32)[: out.size].reshape(out.shape), "unsafe")
        logs *= np.float32(2.0**-32)
        np.log(logs, out=logs)
        logs *= plan.scales[:width]
        if clock.clip is not None:
            np.minimum(logs, clock.clip, out=logs)
        np.add(logs, _ROUNDER, out=out, dtype=np.float64)
        return out.view(np.uint64)
    if plan.scales is not None:
        rng.random(out=out)
        np.subtract(1.0, out, out=out)
        np.log(out, out=out)
        out *= plan.scales[:width]
    else:
        out[..., 0::2] = model.node_repair.sample(rng, out[..., 0::2].shape)
        out[..., 1::2] = model.node_lifetime.sample(rng, out[..., 1::2].shape)
        out *= 1.0 / clock.tick_h
    if clock.clip is not None:
        np.minimum(out, clock.clip, out=out)
    out += _ROUNDER
    return out.view(np.uint64)


def _to_ticks(hours: np.ndarray, clock: _Clock) -> np.ndarray:
    """Durations [h] as whole ticks, encoded as ``_durations`` returns them."""
    ticks = hours / clock.tick_h
    if clock.clip is not None:
        np.minimum(ticks, clock.clip, out=ticks)
    return (ticks + _ROUNDER).view(np.uint64)


def _independent_nodes(model: _Model, rng: np.random.Generator, replications: int):
    """The fast path: nodes repaired independently, merged on an integer clock.

    Each node's durations are drawn in bulk, rounded to whole ticks and cumulated (integer
    sums are exact: one flat cumulative sum over the chunk, less what the nodes before
    added) into its repair and failure times ``r0, f1, r1, f2, ...``. Before time 0 every
    node counts as down: r0 is 0 for a node up at time 0 and its residual repair otherwise,
    and the residual up time follows (stationary start, Cox 1962, §7.2). Each event becomes
    one sort key: its tick above the code ``c_max ∓ c`` for the repair / failure of a node
    carrying c instances (repairs sort first at equal ticks, so events sharing a tick never
    make a zero-length outage, at worst split one; events past the window become a key that
    changes nothing). One sort per replication merges all nodes, and ``_window_metrics``
    reads the metrics off the sorted keys.

    With 32-bit keys (exponential and fixed durations only) a tick × nodes is at most 1e-5
    of the shortest mean duration: rounding to the nearest tick is unbiased, and at most a
    share of that order of outages (those shorter than a tick) can be merged away. Other
    cases use 64-bit keys and 2^40 ticks per window. This path has no warm-up (needs none).
    """
    plan = model.fast
    clock, slots, bits = plan.clock, plan.slots, plan.clock.code_bits
    up, down = model.node_lifetime, model.node_repair
    lead = (replications, model.nodes)
    starts_up = rng.random(lead) < up.mean / (up.mean + down.mean)
    ticks = _durations(rng, model, _scratch("durations", lead + (slots,), np.float64))
    if plan.scales is not None:
        ticks[..., 0][starts_up] = _ROUNDER_BITS  # zero; memoryless, so residuals are draws
    else:
        residual_up = rng.random(lead) * up._length_biased(rng, lead)
        residual_down = rng.random(lead) * down._length_biased(rng, lead)
        ticks[..., 0] = _to_ticks(np.where(starts_up, 0.0, residual_down), clock)
        np.copyto(ticks[..., 1], _to_ticks(residual_up, clock), where=starts_up)
    flat = ticks.reshape(-1)
    np.cumsum(flat, out=flat)
    per_node = ticks.reshape(-1, slots)
    before = np.empty(len(per_node), np.uint64)
    before[0] = 0
    before[1:] = per_node[:-1, -1]
    per_node -= before[:, None]
    rows, extra_keys = _more_cycles(model, rng, per_node[:, -1] - plan.encoding[-1])
    # The further events go after the main block, packed row by row.
    width = model.nodes * slots
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    per_row = np.bincount(rows, minlength=replications)
    total = width + int(per_row.max(initial=0))
    keys = _scratch("keys", (replications, total), clock.dtype)
    keys[:, width:] = plan.pad
    position = rows * total - (np.cumsum(per_row) - per_row)[rows]  # row start, less theirs
    position += np.arange(width, width + rows.size)
    keys.reshape(-1)[position] = extra_keys[order]
    if clock.narrow:  # the shifted ticks stay below 2^61 (see _clock)
        ticks <<= bits
        ticks += plan.codes - (plan.encoding << bits)
    else:
        ticks -= plan.encoding
        np.minimum(ticks, clock.window + 1, out=ticks)
        ticks <<= bits
        ticks += plan.codes
    np.minimum(ticks.reshape(replications, width), plan.pad, out=keys[:, :width], casting="unsafe")
    keys.sort(axis=1)
    return _window_metrics(keys, model)


def _more_cycles(model: _Model, rng, last: np.ndarray):
    """Keys of the events inside the window after the main block, and their replications.

    ``last`` holds each node's last failure tick (flat over replications × nodes); nodes
    still inside the window get further blocks of repair/up cycles (twice as many each
    round, up to the main block's) until they leave it.
    """
    plan = model.fast
    window = plan.clock.window
    rows, keys = [np.zeros(0, np.int64)], [np.zeros(0, plan.clock.dtype)]
    units = np.flatnonzero(last < window)
    last = last[units]
    cycles = plan.first_cycles
    while units.size:
        width = 2 * min(cycles, plan.slots // 2)
        ticks = _durations(rng, model, np.empty((units.size, width)))
        ticks -= plan.encoding[0]  # plain ticks
        ticks[:, 0] += last
        np.cumsum(ticks, axis=1, out=ticks)  # repair, failure, ..., failure
        inside = ticks < window
        more = inside[:, -1]
        after = ticks[more, -1]
        np.minimum(ticks, window, out=ticks)
        ticks <<= plan.clock.code_bits
        ticks += plan.codes[units % model.nodes, :width]
        keys.append(ticks[inside].astype(plan.clock.dtype))  # row by row, in time order
        rows.append(units[np.flatnonzero(inside) // width] // model.nodes)
        units, last = units[more], after
        cycles *= 2
    return np.concatenate(rows), np.concatenate(keys)


def _window_metrics(keys: np.ndarray, model: _Model) -> np.ndarray:
    """Downtime [h], capacity shortfall [h] and outages per replication from sorted keys.

    Instances up after event j: c_max (j + 1) − Σ codes (all nodes down before time 0).
    Time below a threshold is Σ (t_{j+1} − t_j) over the events leaving it below (t past
    the last one: the window's end); an outage starts at an event taking the service from
    at least ``min_instances`` up to fewer. Only columns holding events inside the window
    are read (rows are sorted, so the others hold only keys at or past its end).
    """
    plan = model.fast
    clock, c_max = plan.clock, plan.c_max
    replications = keys.shape[0]
    # Columns up to the last one holding an event inside the window (rows are sorted).
    limit = clock.window << clock.code_bits
    low, high = 1, keys.shape[1]
    while low < high:
        middle = (low + high) // 2
        if keys[:, middle].min() >= limit:
            high = middle
        else:
            low = middle + 1
    width = low
    keys = keys[:, :width]
    shape = keys.shape
    signed = keys.view(np.int32 if clock.narrow else np.int64)
    counter = np.int32 if 2 * c_max * width < 2**31 else np.int64  # holds Σ codes
    # Work arrays in the memory of the durations (no longer needed) and of the keys (read
    # into codes and times before the lengths are written).
    codes = _scratch("durations", shape, counter)
    np.bitwise_and(signed, (1 << clock.code_bits) - 1, out=codes, casting="unsafe")
    np.cumsum(codes, axis=1, out=codes)
    times = _scratch("durations", (2,) + shape, keys.dtype)[1]
    np.right_shift(keys, clock.code_bits, out=times)
    lengths = _scratch("keys", shape, keys.dtype)
    np.subtract(times[:, 1:], times[:, :-1], out=lengths[:, :-1])
    np.subtract(clock.window, times[:, -1], out=lengths[:, -1])
    level = c_max * np.arange(1, width + 1, dtype=counter)  # instances up: level − codes
    needed = model.instances_needed
    most = model.instances + c_max + 1  # more than can ever be up
    capacity = min(math.ceil(needed), most) if math.isfinite(needed) else most
    out = np.empty((replications, 3))
    below = _scratch("below", shape, bool)
    product = _scratch("product", shape, keys.dtype)
    for column, threshold in ((1, capacity), (0, model.min_instances)):
        np.greater(codes, level - threshold, out=below)  # fewer than `threshold` up
        np.multiply(lengths, below, out=product)
        # Lengths below add up to at most the window: no overflow in the keys' type.
        out[:, column] = product.sum(axis=1, dtype=product.dtype)
        if threshold > 0:  # before the first event no instance is up
            out[:, column] += times[:, 0]
    out[:, :2] *= model.horizon_h / clock.window
    starts = np.greater(below[:, 1:], below[:, :-1], out=product.view(bool)[:, : width - 1])
    out[:, 2] = starts.view(np.uint8).sum(axis=1, dtype=np.uint16 if width < 2**17 else None)
    return out


def _run_chunk(model: _Model, seed: np.random.SeedSequence, replications: int) -> np.ndarray:
    """Simulate ``replications`` replications: rows of (downtime_h, shortfall_h, outages)."""
    rng = np.random.Generator(np.random.SFC64(seed))
    total = model.warmup_h + model.horizon_h
    if model.independent_nodes_only:
        if not model.nodes_fail:
            return np.zeros((replications, 3))
        return _independent_nodes(model, rng, replications)
    if model.recovery_time is not None:
        return _rescheduled(model, rng, replications)
    nodes = _node_timelines(model, rng, replications)
    if model.instance_lifetime is None:
        classes, counts = _node_classes(model)
        times, deltas = nodes
        codes = (deltas + 1) + 3 * classes[None, :, None]
        table = (np.arange(3)[None, :] - 1) * counts[:, None]
    else:
        node_of_instance = np.repeat(np.arange(model.nodes), model.instances_per_node)
        lead = (replications, model.instances)
        containers = _renewal_timeline(
            rng, model.instance_lifetime, model.instance_repair, lead, total
        )
        hosts = tuple(x[:, node_of_instance, :] for x in nodes)
        times, deltas = _combine([hosts, containers], [1, 1], np.multiply)
        codes = deltas + 1
        table = np.array([-1, 0, 1])
    parts = [(times.reshape(replications, -1), codes.reshape(replications, -1))]
    return _service_timeline(parts, table.ravel(), model)


def _service_timeline(parts, table: np.ndarray, model: _Model) -> np.ndarray:
    """Downtime [h], capacity shortfall [h] and outages in the window, per replication.

    ``parts`` is a list of ``(times, codes)``: unit event times (replications × events) and
    codes (same shape or broadcastable, values 0-7) indexing ``table``, the change in
    instances up each event makes. Events are merged by sorting int64 keys that hold a time's
    bits with its code in the three lowest bits (moving the time by at most 7 units in the
    last place, ~1e-15 relative), so one sort orders times and codes together. Before the
    first event every instance is up.
    """
    horizon = model.horizon_h
    replications = parts[0][0].shape[0]
    window = np.empty((replications, sum(times.shape[1] for times, _ in parts)))
    keys = window.view(np.int64)
    column = 0
    for times, codes in parts:
        part = window[:, column : column + times.shape[1]]
        if model.warmup_h > 0:
            np.subtract(times, model.warmup_h, out=part)
            np.clip(part, 0.0, horizon, out=part)
            part += 0.0  # -0.0 would sort before every positive time
        else:
            np.minimum(times, horizon, out=part)
        part_keys = keys[:, column : column + times.shape[1]]
        part_keys &= ~np.int64(7)
        part_keys |= codes
        column += times.shape[1]
    keys.sort(axis=1)
    up = np.take(table.astype(np.int32), keys & 7)
    np.cumsum(up, axis=1, out=up)  # change in instances up since all were up
    keys &= ~np.int64(7)
    lengths = np.empty_like(window)
    np.subtract(window[:, 1:], window[:, :-1], out=lengths[:, :-1])
    np.subtract(horizon, window[:, -1], out=lengths[:, -1])
    down = up < model.min_instances - model.instances
    downtime = np.einsum("ij,ij->i", lengths, down)
    short = up < model.instances_needed - model.instances
    shortfall = np.einsum("ij,ij->i", lengths, short)
    if model.instances < model.instances_needed:  # short even before the first event
        shortfall += window[:, 0]
    # An outage starts at an event strictly inside the window taking the service from up
    # to down (simultaneous events in one unit's timeline were merged, so no blips).
    inside = window > 0.0
    inside &= window < horizon
    inside[:, 1:] &= ~down[:, :-1]
    inside &= down
    outages = np.count_nonzero(inside, axis=1)
    return np.stack([downtime, shortfall, outages.astype(float)], axis=1)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimulationResult:
    """Estimates from ``simulate``, named as the metric vocabulary, each with a ``_se`` twin.

    Attributes
    ----------
    service_unavailability, capacity_unavailability : float
        Share of time the service is down / short of capacity [fraction].
    slo_unavailability : float
        Share of time fewer instances serve than max(``min_instances``, instances needed)
        [fraction]: the two sets nest, so per replication it is the larger of the two.
    outage_frequency_per_year : float
        Service outages starting per year [1/yr] (year = 8766 h).
    mean_outage_duration_min : float
        Mean length of a service outage [min]: total downtime / outages (NaN if none seen).
    horizon_h : float
        Measured window per replication [h].
    n_replications : int
        Independent replications.
    outages : int
        Service outages seen in all replications together.
    replications : pandas.DataFrame or None
        With ``per_replication=True``: one row per replication (``replication``,
        ``service_downtime_h``, ``capacity_downtime_h``, ``outages``,
        ``service_unavailability``, ``capacity_unavailability``,
        ``outage_frequency_per_year``, ``slo_downtime_h``, ``slo_unavailability``).
    """

    service_unavailability: float
    service_unavailability_se: float
    capacity_unavailability: float
    capacity_unavailability_se: float
    slo_unavailability: float
    slo_unavailability_se: float
    outage_frequency_per_year: float
    outage_frequency_per_year_se: float
    mean_outage_duration_min: float
    mean_outage_duration_min_se: float
    horizon_h: float
    n_replications: int
    outages: int
    replications: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and Student-t confidence intervals.

        Parameters
        ----------
        confidence : float
            Two-sided confidence level [fraction], in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Index ``metric`` (``METRICS``); columns ``simulated``, ``se``, ``ci_low``,
            ``ci_high``. Intervals are estimate ± t(n−1) × se, clipped to [0, 1] for the
            unavailabilities and at 0 for the others.
        """
        level = _check_scalar(
            "confidence", confidence, low=0, high=1, low_open=True, high_open=True
        )
        quantile = stats.t.ppf(0.5 + level / 2.0, self.n_replications - 1)
        estimate = np.array([getattr(self, name) for name in METRICS])
        se = np.array([getattr(self, name + "_se") for name in METRICS])
        upper = np.array([1.0, 1.0, 1.0, np.inf, np.inf])
        return pd.DataFrame(
            {
                "simulated": estimate,
                "se": se,
                "ci_low": np.clip(estimate - quantile * se, 0.0, upper),
                "ci_high": np.clip(estimate + quantile * se, 0.0, upper),
            },
            index=pd.Index(METRICS, name="metric"),
        )


def _estimates(rows: np.ndarray, horizon_h: float, per_replication: bool) -> SimulationResult:
    downtime, short, outages = rows.T
    n = len(rows)

    def mean_se(values: np.ndarray) -> tuple[float, float]:
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(n))

    # Fewer than max(k, needed) serve iff fewer than k or fewer than needed serve, and the
    # two sets of times nest (one threshold is below the other): the SLO's downtime is the
    # larger of the two, exactly.
    slo_down = np.maximum(downtime, short)
    service, service_se = mean_se(downtime / horizon_h)
    capacity, capacity_se = mean_se(short / horizon_h)
    slo, slo_se = mean_se(slo_down / horizon_h)
    frequency, frequency_se = mean_se(outages / horizon_h * YEAR_H)
    total_outages = int(outages.sum())
    if total_outages:
        # Ratio estimator (downtime / outages) with its delta-method standard error.
        ratio = downtime.sum() / total_outages
        residual = downtime - ratio * outages
        ratio_se = math.sqrt((residual**2).sum() / (n * (n - 1))) / outages.mean()
        duration, duration_se = 60.0 * ratio, 60.0 * ratio_se
    else:
        duration = duration_se = math.nan
    frame = None
    if per_replication:
        frame = pd.DataFrame(
            {
                "replication": np.arange(n),
                "service_downtime_h": downtime,
                "capacity_downtime_h": short,
                "outages": outages.astype(np.int64),
                "service_unavailability": downtime / horizon_h,
                "capacity_unavailability": short / horizon_h,
                "outage_frequency_per_year": outages / horizon_h * YEAR_H,
                "slo_downtime_h": slo_down,
                "slo_unavailability": slo_down / horizon_h,
            }
        )
    return SimulationResult(
        service_unavailability=service,
        service_unavailability_se=service_se,
        capacity_unavailability=capacity,
        capacity_unavailability_se=capacity_se,
        slo_unavailability=slo,
        slo_unavailability_se=slo_se,
        outage_frequency_per_year=frequency,
        outage_frequency_per_year_se=frequency_se,
        mean_outage_duration_min=duration,
        mean_outage_duration_min_se=duration_se,
        horizon_h=horizon_h,
        n_replications=n,
        outages=total_outages,
        replications=frame,
    )


# --------------------------------------------------------------------------------------------
# The public entry points
# --------------------------------------------------------------------------------------------
def _check_distribution(name: str, value, default: Distribution | None) -> Distribution | None:
    if value is None:
        return default
    if not isinstance(value, _DISTRIBUTIONS):
        raise ValueError(
            f"{name}={value!r} is not valid: pass haplan.simulate.Exponential, Weibull, "
            "LogNormal or Deterministic"
        )
    return value


def _placement(nodes: int, instances: int, zones: int) -> tuple[np.ndarray, np.ndarray]:
    """Instances per node and zone per node, as ``haplan.availability`` places them."""
    per_node = np.asarray(availability.instances_per_node(nodes, instances), dtype=np.int64)
    return per_node, np.arange(nodes) % zones


def _default_recovery_time(scenario: Scenario) -> Deterministic:
    """The orchestrator's recovery time [h] for ⌈C/N⌉ instances, as a fixed duration."""
    moved = math.ceil(scenario.instances / scenario.nodes)
    return Deterministic(
        float(recovery.node_failure_recovery_s(scenario.orchestrator, moved)) / 3600
    )


def _build_model(
    scenario: Scenario,
    horizon_h: float,
    node_lifetime: Distribution,
    node_repair: Distribution,
    recovery_time: Distribution | None = None,
) -> _Model:
    per_node, zone_of_node = _placement(scenario.nodes, scenario.instances, scenario.zones)
    needed = float(
        load.instances_needed(
            scenario.request_rate_rps, scenario.instance_capacity_rps, scenario.max_utilization
        )
    )
    zone_life = zone_repair = None
    if math.isfinite(scenario.zone_mttf_h) and scenario.zone_mttr_h > 0:
        zone_life, zone_repair = (
            Exponential(scenario.zone_mttf_h),
            Exponential(scenario.zone_mttr_h),
        )
    instance_life = instance_repair = None
    if math.isfinite(scenario.instance_mttf_h) and scenario.instance_mttr_h > 0:
        instance_life = Exponential(scenario.instance_mttf_h)
        instance_repair = Exponential(scenario.instance_mttr_h)
    pipeline = None
    warmup = 0.0
    if scenario.reschedule:
        pipeline = recovery_time if recovery_time is not None else _default_recovery_time(scenario)
        # An unreachable interval in progress at time 0 looks as if it began at 0, so its
        # eviction comes late. At the end of the warm-up W the simulated eviction state is
        # still right unless that interval is still open and its drawn pipeline time exceeds
        # W: W covers 10 (mean + sd) of the pipeline time, or 20 mean repairs (intervals
        # still open after that are negligible), whichever is shorter.
        repairs = [node_repair.mean if math.isfinite(node_lifetime.mean) else 0.0]
        repairs += [zone_repair.mean] if zone_repair is not None else []
        pipeline_span = 10.0 * (pipeline.mean + math.sqrt(pipeline.variance))
        warmup = min(pipeline_span, 20.0 * max(repairs))
    if scenario.repair_crews is not None:
        # All nodes start up; let the crew queue settle first (generous: the bias decays
        # within a few repair times).
        queue_depth = math.ceil(scenario.nodes / scenario.repair_crews)
        warmup = max(warmup, 20.0 * node_repair.mean * queue_depth)
    return _Model(
        instances_per_node=per_node,
        zone_of_node=zone_of_node,
        zones=scenario.zones,
        min_instances=scenario.min_instances,
        instances_needed=needed,
        node_lifetime=node_lifetime,
        node_repair=node_repair,
        zone_lifetime=zone_life,
        zone_repair=zone_repair,
        instance_lifetime=instance_life,
        instance_repair=instance_repair,
        repair_crews=scenario.repair_crews,
        recovery_time=pipeline,
        max_per_node=int(min(scenario.max_instances_per_node, scenario.instances)),
        warmup_h=warmup,
        horizon_h=horizon_h,
    )


def _root_seed(seed, rng) -> np.random.SeedSequence:
    if seed is not None and rng is not None:
        raise ValueError("seed and rng were both given: pass only one of them")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng={rng!r} is not valid: pass a numpy.random.Generator")
        return np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
    if isinstance(seed, np.random.SeedSequence):  # a copy: spawning must not change it
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed={seed!r} is out of range: must be a whole number >= 0")
        return np.random.SeedSequence(int(seed))
    return np.random.SeedSequence()


def _chunks(replications: int, chunk_size: int) -> list[int]:
    full, rest = divmod(replications, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


class _NoProgress:
    """Stands in for a rich progress bar when none is shown."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def advance(self, task, amount) -> None:
        return None


def _progress_bar(enabled: bool, total: int):
    """A rich progress bar on stderr when asked for and stderr is a terminal."""
    if not (enabled and sys.stderr.isatty()):
        return _NoProgress(), None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("simulating", total=total)
    return bar, task


def simulate(
    scenario: Scenario,
    horizon_h: float,
    replications: int,
    seed: int | np.random.SeedSequence | None = None,
    rng: np.random.Generator | None = None,
    node_lifetime: Distribution | None = None,
    node_repair: Distribution | None = None,
    client=None,
    progress: bool = False,
    per_replication: bool = False,
    chunk_size: int | None = None,
    recovery_time: Distribution | None = None,
) -> SimulationResult:
    """Simulate the scenario's cluster and estimate its availability metrics.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster and service (placement, failure and repair means, zones, crews, load,
        orchestrator and ``reschedule``).
    horizon_h : float
        Measured window of each replication [h], > 0.
    replications : int
        Independent replications, ≥ 2 (the standard errors come from their spread).
    seed : int or numpy.random.SeedSequence, optional
        Seed; the same seed and chunking give the same result, locally or on Dask. Neither
        ``seed`` nor ``rng``: fresh entropy from the operating system.
    rng : numpy.random.Generator, optional
        Generator to draw the root seed from, instead of ``seed`` (its state advances).
    node_lifetime, node_repair : distribution, optional
        ``Exponential``, ``Weibull``, ``LogNormal`` or ``Deterministic`` [h]; default
        exponential with ``node_mttf_h`` / ``node_mttr_h``.
    client : dask.distributed.Client, optional
        Run the chunks of replications on this Dask client.
    progress : bool
        Show a progress bar (only when stderr is a terminal).
    per_replication : bool
        Keep one row per replication in ``result.replications``.
    chunk_size : int, optional
        Replications per chunk, ≥ 1. Each chunk draws from its own child seed
        (``SeedSequence.spawn``), so the chunking is part of what a seed reproduces. The
        default depends only on the scenario and horizon: chunks of about 6e4 array elements
        (2.5e5 with only node failures), which keeps the arrays in cache.
    recovery_time : distribution, optional
        Time [h] from a node becoming unreachable until its instances are evicted and can be
        placed elsewhere (the recovery pipeline), drawn for each unreachable interval; used
        only with ``scenario.reschedule``. Default: fixed at
        ``haplan.recovery.node_failure_recovery_s(orchestrator, ⌈C/N⌉)`` / 3600.

    Returns
    -------
    SimulationResult
        ``service_unavailability``, ``capacity_unavailability``, ``slo_unavailability``
        [fraction], ``outage_frequency_per_year`` [1/yr], ``mean_outage_duration_min`` [min],
        each with a ``_se`` standard error; ``summary()`` adds confidence intervals for
        :data:`METRICS`.

    Raises
    ------
    ValueError
        When an argument is out of range, naming it.

    Notes
    -----
    See the module docstring for the model. Unavailability per replication is the measured
    share of the window the service is down; the estimate is the mean over replications and its
    standard error s / √n. The outage frequency counts down periods starting inside the window;
    the mean outage duration is total downtime / outages (for a stationary process this is the
    mean down time, U / f; Rausand & Høyland 2004, §8.8), its error by the delta method.
    """
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario={type(scenario).__name__} is not valid: pass a haplan.Scenario")
    horizon = _check_scalar("horizon_h", horizon_h, low=0, low_open=True)
    count = int(_check_scalar("replications", replications, low=2, integer=True))
    root = _root_seed(seed, rng)
    lifetime = _check_distribution(
        "node_lifetime", node_lifetime, Exponential(scenario.node_mttf_h)
    )
    repair = _check_distribution("node_repair", node_repair, Exponential(scenario.node_mttr_h))
    if lifetime.mean == 0:
        raise ValueError("node_lifetime has mean 0: node lifetimes must have a mean > 0")
    pipeline = _check_distribution("recovery_time", recovery_time, None)
    model = _build_model(scenario, horizon, lifetime, repair, pipeline)
    if chunk_size is None:
        budget = _FAST_CHUNK_ELEMENTS if model.independent_nodes_only else _CHUNK_ELEMENTS
        size = int(max(1, min(count, budget // model.elements_per_replication())))
    else:
        size = int(_check_scalar("chunk_size", chunk_size, low=1, integer=True))
    sizes = _chunks(count, size)
    seeds = root.spawn(len(sizes))
    bar, task = _progress_bar(progress, count)
    with bar:
        if client is None:
            parts = []
            with _reused_memory():
                for child, n in zip(seeds, sizes, strict=True):
                    parts.append(_run_chunk(model, child, n))
                    bar.advance(task, n)
        else:
            parts = _run_on_dask(client, model, seeds, sizes, bar, task)
    return _estimates(np.concatenate(parts, axis=0), horizon, per_replication)


def _run_chunks(model: _Model, jobs) -> np.ndarray:
    """Run several chunks one after another (a Dask task); ``jobs`` is [(seed, size)]."""
    with _reused_memory():
        return np.concatenate([_run_chunk(model, seed, size) for seed, size in jobs], axis=0)


def _run_on_dask(client, model, seeds, sizes, bar, task) -> list[np.ndarray]:
    """Submit the chunks to ``client`` in batches and gather them in order."""
    from dask.distributed import as_completed

    workers = max(1, sum(client.nthreads().values()))
    per_task = max(1, math.ceil(len(sizes) / (4 * workers)))
    batches = [
        list(zip(seeds[i : i + per_task], sizes[i : i + per_task], strict=True))
        for i in range(0, len(sizes), per_task)
    ]
    remote_model = client.scatter(model, broadcast=True)
    futures = [client.submit(_run_chunks, remote_model, jobs, pure=False) for jobs in batches]
    position = {future.key: i for i, future in enumerate(futures)}
    parts: list[np.ndarray | None] = [None] * len(futures)
    for future in as_completed(futures):
        i = position[future.key]
        parts[i] = future.result()
        bar.advance(task, sum(size for _, size in batches[i]))
    return parts


def compare_with_analytic(
    scenario: Scenario,
    horizon_h: float,
    replications: int,
    seed: int | None = None,
    **options,
) -> pd.DataFrame:
    """Simulate the scenario (exponential durations) beside haplan's analytic values.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster and service.
    horizon_h : float
        Measured window of each replication [h], > 0.
    replications : int
        Independent replications, ≥ 2.
    seed : int, optional
        Seed for the simulation.
    **options
        Passed to :func:`simulate`: ``rng``, ``client``, ``progress``, ``chunk_size``. The
        pipeline time is exponential with the orchestrator's mean recovery time for ⌈C/N⌉
        instances (the analytic models assume it), so ``recovery_time`` is refused.

    Returns
    -------
    pandas.DataFrame
        Index ``metric`` (:data:`METRICS`); columns ``simulated``, ``se``, ``ci_low``,
        ``ci_high`` (95 %), ``analytic``, ``z`` = (simulated − analytic) / se and
        ``analytic_model`` (``haplan.service`` and the model it chose for the scenario:
        exact placement convolution, exact CTMC, or a named approximation). z is 0 where
        the two agree exactly and NaN where se = 0 (nothing happened in the simulation) but
        they differ.

    Notes
    -----
    Every analytic value is the row of :func:`haplan.metrics`, i.e. ``haplan.service``:
    the simulator shares none of its code (it moves instances as events happen), so a z
    beyond a few units points at the model, not at arithmetic.
    """
    for name in ("node_lifetime", "node_repair", "recovery_time", "per_replication"):
        if name in options:
            raise ValueError(
                f"{name} is not accepted here: the analytic models assume exponential "
                "lifetimes, repairs and recovery times; call simulate() directly"
            )
    recovery_time = Exponential(_default_recovery_time(scenario).mean)
    result = simulate(
        scenario, horizon_h, replications, seed=seed, recovery_time=recovery_time, **options
    )
    table = result.summary()
    analytic = _analytic(scenario)
    table["analytic"] = [analytic[name][0] for name in METRICS]
    difference = (table["simulated"] - table["analytic"]).to_numpy()
    se = table["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, difference / se, np.nan)
    z[difference == 0] = 0.0
    table["z"] = z
    table["analytic_model"] = [analytic[name][1] for name in METRICS]
    return table


def _analytic(s: Scenario) -> dict[str, tuple[float, str]]:
    """The service model's value of each metric for ``s`` and the model behind it."""
    row = metrics(s).iloc[0]
    model = f"haplan.service ({row['service_model']})"
    return {name: (float(row[name]), model) for name in METRICS}
