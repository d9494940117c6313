"""The fast path: only nodes fail, repaired independently, merged on an integer clock.

Durations are rounded to whole ticks of the window so that each event is one sort key (its
tick above a code carrying its change in instances up); one sort per replication merges all
nodes, and ``_window_metrics`` reads the metrics off the sorted keys. See
``independent_nodes``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass

import numpy as np

from haplan.simulate.distributions import Deterministic, Exponential
from haplan.simulate.timelines import cycles_needed

# The fast path (independent repairs, see independent_nodes) runs on an integer clock: the
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
FAST_CHUNK_ELEMENTS = 250_000
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
def reused_memory():
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


def _clock(model, slots: int) -> _Clock:
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
class FastPlan:
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


def fast_plan(model) -> FastPlan:
    """The fast path's settings for ``model`` (``model.fast`` caches them)."""
    up, down = model.node_lifetime, model.node_repair
    slots = 2 * cycles_needed(up, down, model.horizon_h, _FAST_SPREADS)
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
    return FastPlan(slots, clock, c_max, codes, encoding, scales, first)


def _durations(rng, model, out: np.ndarray) -> np.ndarray:
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


def independent_nodes(model, rng: np.random.Generator, replications: int):
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


def _more_cycles(model, rng, last: np.ndarray):
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


def _window_metrics(keys: np.ndarray, model) -> np.ndarray:
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
