"""Timelines of units (nodes, zones, containers) that alternate up and down.

A unit's timeline is its event times [h] along the last axis (inf = no event) and the change
each event makes (-1 goes down, +1 comes back); every unit is up before time 0. Independent
units draw their alternating renewal sequences in bulk (``renewal_timeline``); nodes sharing
a limited number of repair crews step through a FIFO queue event by event
(``crew_timelines``); ``combine_timelines`` merges several 0/1 timelines into one.
"""

from __future__ import annotations

import math

import numpy as np

from haplan.simulate.distributions import Distribution

# Renewal cycles drawn at once, in standard deviations above the mean count; the units that
# need more get them in a second, smaller draw.
_MAIN_SPREADS = 0.5


def compact(times: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort events by time, drop those that change nothing, trim the common inf padding."""
    keep = deltas != 0
    times = np.where(keep, times, np.inf)
    order = np.argsort(times, axis=-1, kind="stable")
    times = np.take_along_axis(times, order, axis=-1)
    deltas = np.take_along_axis(np.where(keep, deltas, 0), order, axis=-1).astype(np.int8)
    width = max(int(keep.sum(axis=-1).max(initial=0)), 1)
    return times[..., :width], deltas[..., :width]


def combine_timelines(timelines, initial_states, combine) -> tuple[np.ndarray, np.ndarray]:
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
    return compact(times, deltas)


def cycles_needed(up: Distribution, down: Distribution, span_h, spreads: float) -> int:
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
    events = np.empty(lead + (2, 1 + cycles_needed(up, down, total_h, _MAIN_SPREADS)))
    events[..., 0, 0] = 0.0
    events[..., 1, 0] = first_repair
    start = _cycles(rng, up, down, start, events[..., 1:])
    extra = []
    units = np.flatnonzero(start <= total_h)
    start = start.ravel()[units]
    while units.size:
        more = np.empty((units.size, 2, cycles_needed(up, down, total_h - start.min(), 2.0)))
        start = _cycles(rng, up, down, start, more)
        extra.append((units, more))
        short = start <= total_h
        units, start = units[short], start[short]
    return events, extra


def renewal_timeline(rng, up, down, lead, total_h) -> tuple[np.ndarray, np.ndarray]:
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


def never_down(lead: tuple) -> tuple[np.ndarray, np.ndarray]:
    return np.full(lead + (1,), np.inf), np.zeros(lead + (1,), np.int8)


def crew_timelines(
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
        return never_down(shape)
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
    return compact(out_t, out_d)
