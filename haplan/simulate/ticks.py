"""An integer clock for the vectorised paths: renewal events as int64 ticks, packed rows, metrics.

The span simulated (warm-up and window) is 2^40 ticks; durations are rounded to whole ticks
(a tick is 1e-12 of the span; exponential durations are drawn in single precision, relative
error ~1e-7, as on the fast path), so sums are exact integers and an event becomes one sort
key: its tick shifted above a few bits of code (with 32-bit keys, a coarser tick, see
``narrow_shift``). Every unit counts as *down* before time 0 and has a repair event r0 ≥ 0
(0 when it is up at time 0), so all levels start at 0 and need no special case.
"""

from __future__ import annotations

import math

import numpy as np

from haplan.simulate.distributions import Distribution, Exponential
from haplan.simulate.fastpath import _scratch as scratch
from haplan.simulate.timelines import cycles_needed

#: Ticks in the simulated span (warm-up and window).
TIME_BITS = 40
SPAN_TICKS = 1 << TIME_BITS
# Longest duration kept [ticks]: longer ones end past the span anyway, and sums of up to 2^21
# of them stay below 2^62.
_CLIP_TICKS = float(1 << (TIME_BITS + 1))
# Expected pairs of events sharing a coarse tick per row, at most, for 32-bit keys.
_NARROW_TIES = 0.02
# Cycles in the main block, in standard deviations above the mean count.
_MAIN_SPREADS = 1.0


def narrow_shift(code_bits: int, events_per_row: float) -> int | None:
    """Right shift of the ticks that lets a key fit 32 bits, or None (keep 64-bit keys).

    32-bit keys sort about 2.5x faster. They hold 31 − ``code_bits`` bits of time, so a
    coarse tick is 2^shift ticks; events sharing a coarse tick are ordered repairs first and
    read together (see ``level_metrics``), which at worst merges two outages less than a
    coarse tick apart. Used when a row of ``events_per_row`` events expects at most
    ``_NARROW_TIES`` such pairs.
    """
    time_bits = 31 - code_bits
    if time_bits < 20 or events_per_row**2 / 2.0 ** (time_bits + 1) > _NARROW_TIES:
        return None
    return TIME_BITS - time_bits


def tick_h(model) -> float:
    """Length of one tick [h] for ``model`` (its warm-up and window over 2^40 ticks)."""
    return (model.warmup_h + model.horizon_h) / SPAN_TICKS


def window_start(model) -> int:
    """The tick at which the measured window starts (the end of the warm-up)."""
    return int(round(model.warmup_h / tick_h(model)))


def to_ticks(hours: np.ndarray, tick: float) -> np.ndarray:
    """Durations [h] as whole ticks (int64), rounded to nearest and clipped (see module)."""
    scaled = np.multiply(hours, 1.0 / tick)
    np.minimum(scaled, _CLIP_TICKS, out=scaled)
    np.rint(scaled, out=scaled)
    return scaled.astype(np.int64)


def _draw(rng, distribution: Distribution, out: np.ndarray, tick: float) -> None:
    """Draw durations of ``distribution`` into ``out`` as whole ticks (int64, see module)."""
    if isinstance(distribution, Exponential):
        scaled = rng.standard_exponential(out.shape)
        scaled *= distribution.mean / tick
        longest = 40.0 * distribution.mean / tick  # draws beyond 40 means: p ~ 4e-18
    else:
        scaled = distribution.sample(rng, out.shape)
        scaled *= 1.0 / tick
        longest = math.inf
    if longest > _CLIP_TICKS:
        np.minimum(scaled, _CLIP_TICKS, out=scaled)
    scaled += 0.5  # rounded to nearest by the truncation below
    np.copyto(out, scaled, casting="unsafe")


def exponential_ticks(rng: np.random.Generator, scales: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (int64, … × columns) with exponential durations of means ``scales`` [ticks].

    By inversion, −mean log U with U = k / 2^32 for odd 32-bit k, two per 64 random bits, in
    single precision (as ``fastpath._durations``): relative error ~1e-7 per duration, the
    tail cut beyond 22 means (p ~ 3e-10).
    """
    size = out.size
    bits = rng.bit_generator.random_raw((size + 1) // 2)
    bits |= 0x0000000100000001  # both halves odd
    logs = np.empty(out.shape, np.float32)
    uniforms = bits.view(np.uint32)[:size].reshape(out.shape)
    np.multiply(uniforms, np.float32(2.0**-32), out=logs, dtype=np.float32, casting="unsafe")
    np.log(logs, out=logs)
    logs *= -scales
    if 23.0 * float(scales.max()) > _CLIP_TICKS:
        np.minimum(logs, np.float32(_CLIP_TICKS), out=logs)
    np.copyto(out, logs, casting="unsafe")


def _row_cumsum(ticks: np.ndarray) -> None:
    """Cumulative sums along the rows of ``ticks`` (int64, C order), in place.

    One flat cumulative sum (a single long loop, several times faster than many short ones)
    less each row's predecessors' total; integer sums wrap around exactly, so this is exact.
    """
    flat = ticks.reshape(-1)
    np.cumsum(flat, out=flat)
    before = np.empty(len(ticks), np.int64)
    before[0] = 0
    before[1:] = ticks[:-1, -1]
    ticks -= before[:, None]


def main_width(up: Distribution, down: Distribution, span_h: float) -> int:
    """Events per unit in the main block of ``renewal_ticks``: r0 and m (failure, repair)."""
    return 1 + 2 * max(1, cycles_needed(up, down, span_h, _MAIN_SPREADS) - 1)


def renewal_ticks(
    rng: np.random.Generator,
    up: Distribution,
    down: Distribution,
    units: int,
    span_h: float,
    tick: float,
    name: str | None = None,
):
    """Stationary alternating renewal events of ``units`` independent units, in ticks.

    Returns ``(main, extra)``. ``main`` (units × (1 + 2m), int64, increasing along a row) holds
    r0, f1, r1, ..., f_m, r_m: repairs at even and failures at odd columns, r0 = 0 for a unit
    up at time 0, else its residual repair; the up time after it is residual too (stationary
    start, Cox 1962, §7.2). ``extra`` lists ``(units, block)`` for the units whose last repair
    still falls inside the span: further pairs f, r, ... (block: len(units) × 2k). Events past
    the span are not cut; the caller clips them. With ``name``, ``main`` is a work array
    reused from call to call (``fastpath._scratch``).
    """
    end = SPAN_TICKS
    starts_up = rng.random(units) < up.mean / (up.mean + down.mean)
    shape = (units, main_width(up, down, span_h))
    ticks = np.empty(shape, np.int64) if name is None else scratch(name, shape, np.int64)
    if isinstance(up, Exponential) and isinstance(down, Exponential):
        scales = np.empty(ticks.shape[1], np.float32)
        scales[0::2], scales[1::2] = down.mean / tick, up.mean / tick
        exponential_ticks(rng, scales, ticks)
        ticks[starts_up, 0] = 0  # memoryless: residuals are plain draws
    else:
        residual_up = rng.random(units) * up._length_biased(rng, units)
        residual_down = rng.random(units) * down._length_biased(rng, units)
        ticks[:, 0] = to_ticks(np.where(starts_up, 0.0, residual_down), tick)
        _draw(rng, up, ticks[:, 1::2], tick)
        ticks[starts_up, 1] = to_ticks(residual_up[starts_up], tick)
        _draw(rng, down, ticks[:, 2::2], tick)
    _row_cumsum(ticks)
    extra = []
    which = np.flatnonzero(ticks[:, -1] < end)
    last = ticks[which, -1]
    while which.size:
        left_h = (end - int(last.min())) * tick
        more = max(1, cycles_needed(up, down, left_h, 2.0))
        block = np.empty((which.size, 2 * more), np.int64)
        _draw(rng, up, block[:, 0::2], tick)
        _draw(rng, down, block[:, 1::2], tick)
        block[:, 0] += last
        np.cumsum(block, axis=1, out=block)
        extra.append((which, block))
        short = block[:, -1] < end
        which, last = which[short], block[short, -1]
    return ticks, extra


def pack_rows(dense: np.ndarray, rows: np.ndarray, keys: np.ndarray, pad: int) -> np.ndarray:
    """``dense`` (rows × width) with the loose ``keys`` of each row appended, padded by ``pad``.

    ``rows`` gives the row of each loose key; rows with fewer loose keys than the most are
    filled with ``pad``.
    """
    count, width = dense.shape
    if rows.size == 0:
        return dense
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    per_row = np.bincount(rows, minlength=count)
    total = width + int(per_row.max())
    out = np.empty((count, total), dense.dtype)
    out[:, :width] = dense
    out[:, width:] = pad
    position = rows * total - (np.cumsum(per_row) - per_row)[rows]
    position += np.arange(width, width + rows.size)
    out.reshape(-1)[position] = keys[order]
    return out


def trim_sorted(keys: np.ndarray, end_key: int) -> np.ndarray:
    """Sorted rows without their trailing columns that hold only keys ≥ ``end_key``."""
    low, high = 1, keys.shape[1]
    while low < high:
        middle = (low + high) // 2
        if keys[:, middle].min() >= end_key:
            high = middle
        else:
            low = middle + 1
    return keys[:, :low]


def _at_group_ends(times: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``levels`` with each event given the level after the last event at its tick."""
    width = times.shape[1]
    last = np.ones(times.shape, bool)
    last[:, :-1] = times[:, 1:] != times[:, :-1]
    index = np.where(last, np.arange(width), width)
    ends = np.minimum.accumulate(index[:, ::-1], axis=1)[:, ::-1]
    return np.take_along_axis(levels, ends, axis=1)


def level_metrics(
    times: np.ndarray,
    levels: np.ndarray,
    model,
    start: int,
    end: int = SPAN_TICKS,
    initial_level: int | np.ndarray = 0,
) -> np.ndarray:
    """Downtime [h], capacity shortfall [h] and outages per replication, from sorted events.

    Parameters
    ----------
    times : numpy.ndarray
        Event times in ticks (replications × events, integers, sorted along a row, at most
        ``end``; events at ``end`` change nothing inside the window).
    levels : numpy.ndarray
        Instances serving after each event (integers); overwritten where events share a tick.
    model : haplan.simulate.model.Model
        Thresholds (``min_instances``, ``instances_needed``) and the window [h].
    start, end : int
        The measured window in ticks of ``times``: [start, end].
    initial_level : int or numpy.ndarray
        Instances serving before the first event (per replication).

    Returns
    -------
    numpy.ndarray
        Rows of (downtime [h], shortfall [h], outages started strictly inside the window).
    """
    count = len(times)
    if start > 0:
        times = np.maximum(times, times.dtype.type(start))
    lengths = scratch("metrics_lengths", times.shape, times.dtype)
    np.subtract(times[:, 1:], times[:, :-1], out=lengths[:, :-1])
    np.subtract(end, times[:, -1], out=lengths[:, -1])
    head = times[:, 0] - start
    initial = np.broadcast_to(np.asarray(initial_level), (count,))
    # Inside: strictly after the start and before the end (unsigned wrap-around test).
    shifted = scratch("metrics_product", times.shape, _unsigned(times.dtype))
    np.subtract(times, times.dtype.type(start + 1), out=shifted.view(times.dtype))
    inside = scratch("metrics_inside", times.shape, bool)
    np.less(shifted, end - start - 1, out=inside)
    # Events sharing a tick inside the window act together: each takes the level after the
    # last of them, so no outage of zero length is counted (rare; only rows with ties).
    tied = scratch("metrics_tied", (count, times.shape[1] - 1), bool)
    np.equal(lengths[:, :-1], 0, out=tied)
    tied &= inside[:, :-1]
    rows = np.flatnonzero(tied.any(axis=1))
    if rows.size:  # (``levels`` is the caller's work array: changed in place)
        levels[rows] = _at_group_ends(times[rows], levels[rows])
    out = np.empty((count, 3))
    needed = model.instances_needed
    short_threshold = math.ceil(needed) if math.isfinite(needed) else np.iinfo(np.int32).max
    below = scratch("metrics_below", times.shape, bool)
    product = scratch("metrics_product", times.shape, times.dtype)
    for column, threshold in ((0, model.min_instances), (1, short_threshold)):
        np.less(levels, threshold, out=below)
        np.multiply(lengths, below, out=product)
        out[:, column] = product.sum(axis=1, dtype=np.int64)
        out[:, column] += np.where(initial < threshold, head, 0)
        if column == 0:
            starts = inside
            starts[:, 1:] &= np.greater(below[:, 1:], below[:, :-1], out=tied)
            starts[:, 0] &= below[:, 0] & (initial >= threshold)
            out[:, 2] = starts.view(np.uint8).sum(axis=1, dtype=np.int32)
    out[:, :2] *= model.horizon_h / (end - start)
    return out


def _unsigned(dtype) -> type:
    return np.uint32 if np.dtype(dtype).itemsize == 4 else np.uint64
