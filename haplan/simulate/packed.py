"""One sort and one cumulative sum of packed unit states: container crashes and zones.

Every unit (node, container, zone) alternates up and down; its renewal events are drawn in
bulk on the integer clock (``ticks.renewal_ticks``) and each becomes one integer key, its
tick above a code (32-bit keys on a coarser clock when few events could share a tick, see
``ticks.narrow_shift``). The code says which bit field of a packed state the event changes
and by how much: with container crashes, node i owns a field u_i (node up, 1 bit) and c_i
(its containers up, 0..p_i); with zones, zone z owns Z_z (1 bit) and W_z (instances on its
up nodes). One sort per replication merges all events, one cumulative sum of the packed
changes gives every field after each event (each field stays within its bits, so the
integer sum never carries from one field into the next; only inside a group of events
sharing a tick can a field pass its range for a moment, and ``ticks.level_metrics`` reads
such a group at its end), and the instances serving, Σ_i u_i c_i or Σ_z Z_z W_z, are read
from a few small tables indexed by groups of fields. Everything is vectorised over
replications and units; there is no per-event Python loop.

Used when the fields fit in 62 bits (e.g. up to 20 nodes of 2 instances with container
crashes); otherwise ``layered`` merges in two sorts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from haplan.simulate import layered
from haplan.simulate.distributions import Distribution
from haplan.simulate.fastpath import _scratch as scratch
from haplan.simulate.model import Model
from haplan.simulate.ticks import (
    SPAN_TICKS,
    level_metrics,
    main_width,
    narrow_shift,
    pack_rows,
    renewal_ticks,
    tick_h,
    trim_sorted,
    window_start,
)
from haplan.simulate.timelines import cycles_needed

_STATE_BITS = 62
_GROUP_BITS = 15  # index bits of one level table (2^15 int32: 128 KiB, in cache)


@dataclass(frozen=True)
class _Kind:
    """Units alike but for the field they change: distributions and their packed changes."""

    up: Distribution
    down: Distribution
    repair_delta: np.ndarray  # (units,) packed change of a repair; a failure undoes it


@dataclass(frozen=True)
class _Layout:
    """The packed state: codes of the units' events, their changes and the level tables."""

    kinds: tuple
    codes: np.ndarray  # (units,) code of each unit's repair (its failure: code + repair_codes)
    repair_codes: int  # codes below this are repairs: at equal ticks they sort first
    deltas: np.ndarray  # packed change per code; the last code changes nothing
    code_bits: int
    groups: tuple  # (shift, bits, table) per group of fields


def _pairs(count_bits) -> tuple[list[int], int] | None:
    """Shifts of the pairs (count field, state bit), packed from bit 0; None if too wide."""
    shifts, shift = [], 0
    for bits in count_bits:
        shifts.append(shift)
        shift += bits + 1
    return (shifts, shift) if shift <= _STATE_BITS else None


def _layout(kinds, count_bits, shifts) -> _Layout:
    """Codes and level tables for pairs (count field of ``count_bits``, state bit).

    The level is Σ_j state_j × count_j; consecutive pairs share a table of at most
    2^_GROUP_BITS entries (a pair wider than that gets its own).
    """
    groups, members = [], []
    ends = [shift + bits + 1 for shift, bits in zip(shifts, count_bits, strict=True)]
    for j in range(len(shifts) + 1):
        if members and (j == len(shifts) or ends[j] - shifts[members[0]] > _GROUP_BITS):
            start, width = shifts[members[0]], ends[members[-1]] - shifts[members[0]]
            index = np.arange(1 << width, dtype=np.int64)
            level = np.zeros(len(index), np.int64)
            for m in members:
                count = (index >> (shifts[m] - start)) & ((1 << count_bits[m]) - 1)
                level += count * ((index >> (shifts[m] - start + count_bits[m])) & 1)
            groups.append((start, width, level.astype(np.int32)))
            members = []
        if j < len(shifts):
            members.append(j)
    deltas = np.concatenate([kind.repair_delta for kind in kinds])
    unique, inverse = np.unique(deltas, return_inverse=True)
    n = len(unique)
    code_bits = int(2 * n).bit_length()
    # The state fits int32 when its fields take at most 31 bits (half the memory traffic).
    total = max(shift + bits + 1 for shift, bits in zip(shifts, count_bits, strict=True))
    table = np.zeros(1 << code_bits, np.int32 if total <= 31 else np.int64)
    table[:n], table[n : 2 * n] = unique, -unique
    return _Layout(tuple(kinds), inverse.astype(np.int64), n, table, code_bits, tuple(groups))


def _run(model: Model, rng, replications: int, layout: _Layout) -> np.ndarray:
    """Merge all units' events, cumulate the packed state and read the metrics."""
    span_h = model.warmup_h + model.horizon_h
    tick = tick_h(model)
    bits, repairs = layout.code_bits, layout.repair_codes
    events = 2.0 * sum(
        len(k.repair_delta) * cycles_needed(k.up, k.down, span_h, 0.0) for k in layout.kinds
    )
    coarse = narrow_shift(bits, events)
    dtype = np.int64 if coarse is None else np.uint32
    coarse = coarse or 0
    end = SPAN_TICKS >> coarse
    pad = (end << bits) | ((1 << bits) - 1)
    widths = [main_width(kind.up, kind.down, span_h) for kind in layout.kinds]
    sizes = [len(kind.repair_delta) for kind in layout.kinds]
    dense = scratch("packed_dense", (replications, sum(np.multiply(widths, sizes))), dtype)
    rows, loose = [], []
    first = offset = 0
    for kind, units, width in zip(layout.kinds, sizes, widths, strict=True):
        codes = layout.codes[first : first + units]
        main, extra = renewal_ticks(
            rng, kind.up, kind.down, replications * units, span_h, tick, name="packed_main"
        )
        # Events past the span keep their code at its end tick: they change the state only
        # there, after every event inside (the window's metrics never read it).
        np.minimum(main, SPAN_TICKS, out=main)
        if coarse:
            main >>= coarse
        main <<= bits
        grid = codes[:, None] + repairs * (np.arange(width) % 2)  # repair, failure, ...
        target = dense[:, offset : offset + units * width]
        offset += units * width
        np.bitwise_or(
            main.reshape(replications, units, width),
            grid[None],
            out=target.reshape(replications, units, width),
            casting="unsafe",
        )
        first += units
        for which, block in extra:
            inside = block < SPAN_TICKS
            if coarse:
                block >>= coarse
            block <<= bits
            block[:, 0::2] |= codes[which % units, None] + repairs  # blocks start failing
            block[:, 1::2] |= codes[which % units, None]
            rows.append(np.broadcast_to((which // units)[:, None], block.shape)[inside])
            loose.append(block[inside].astype(dtype))
    if rows:
        dense = pack_rows(dense, np.concatenate(rows), np.concatenate(loose), pad)
    dense.sort(axis=1)
    keys = trim_sorted(dense, end << bits)
    field = scratch("packed_field", keys.shape, np.intp)
    np.bitwise_and(keys, dtype((1 << bits) - 1), out=field)
    state = scratch("packed_state", keys.shape, layout.deltas.dtype)
    np.take(layout.deltas, field, out=state)
    np.cumsum(state, axis=1, out=state)
    levels = scratch("packed_levels", keys.shape, np.int32)
    for number, (shift, width, table) in enumerate(layout.groups):
        if shift == 0:
            np.bitwise_and(state, (1 << width) - 1, out=field, casting="unsafe")
        else:  # (masked even at the top: a tie group may carry past it for a moment)
            np.right_shift(state, shift, out=field, casting="unsafe")
            field &= (1 << width) - 1
        if number == 0:
            np.take(table, field, out=levels)
        else:
            levels += np.take(table, field)
    times = keys >> dtype(bits)
    return level_metrics(times, levels, model, window_start(model) >> coarse, end)


def containers_layout(model: Model) -> _Layout | None:
    """Pairs (c_i containers up, u_i node up) per node: level Σ u_i c_i."""
    counts = model.instances_per_node.astype(np.int64)
    count_bits = [int(c).bit_length() for c in counts]
    placed = _pairs(count_bits)
    if placed is None or max(count_bits) >= 20:
        return None
    shifts = np.array(placed[0], np.int64)
    nodes = np.int64(1) << (shifts + count_bits)
    containers = np.repeat(np.int64(1) << shifts, counts)
    kinds = [
        _Kind(model.node_lifetime, model.node_repair, nodes),
        _Kind(model.instance_lifetime, model.instance_repair, containers),
    ]
    return _layout(kinds, count_bits, list(placed[0]))


def zones_layout(model: Model) -> _Layout | None:
    """Pairs (W_z instances on up nodes, Z_z zone up) per zone: level Σ Z_z W_z."""
    counts = model.instances_per_node.astype(np.int64)
    per_zone = np.bincount(model.zone_of_node, weights=counts, minlength=model.zones)
    count_bits = [int(w).bit_length() for w in per_zone.astype(np.int64)]
    placed = _pairs(count_bits)
    if placed is None or max(count_bits) >= 20:
        return None
    shifts = np.array(placed[0], np.int64)
    zones = np.int64(1) << (shifts + count_bits)
    nodes = counts << shifts[model.zone_of_node]
    kinds = [
        _Kind(model.zone_lifetime, model.zone_repair, zones),
        _Kind(model.node_lifetime, model.node_repair, nodes),
    ]
    return _layout(kinds, count_bits, list(placed[0]))


def containers_path(model: Model, rng, replications: int) -> np.ndarray:
    """Node failures and container crashes: metric rows (``layered`` when too wide)."""
    layout = _cached_layout(model, containers_layout)
    if layout is None:
        return layered.containers_path(model, rng, replications)
    return _run(model, rng, replications, layout)


def zones_path(model: Model, rng, replications: int) -> np.ndarray:
    """Node and zone failures: metric rows (``layered`` when too wide)."""
    layout = _cached_layout(model, zones_layout)
    if layout is None:
        return layered.zones_path(model, rng, replications)
    return _run(model, rng, replications, layout)


def _cached_layout(model: Model, layout_of) -> _Layout | None:
    """``layout_of(model)``, computed once per model (kept in its ``__dict__``)."""
    cache = model.__dict__.setdefault("_packed_layouts", {})
    if layout_of.__name__ not in cache:
        cache[layout_of.__name__] = layout_of(model)
    return cache[layout_of.__name__]
