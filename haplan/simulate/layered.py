"""Vectorised paths on the integer clock: container crashes, zones and rescheduling.

Each path draws every unit's renewal events in bulk (``ticks.renewal_ticks``), turns each
event into one int64 key (tick above a code) and reads the metrics off sorted keys and
cumulative sums, vectorised over replications and units: no per-event Python loop.

* Two levels (``containers_path``, ``zones_path``): the instances serving are
  Σ_g O_g Σ_{u ∈ g} w_u I_u, O_g the state of an outer unit (a node, or a zone) and I_u of the
  inner units in its group (its containers of weight 1, or its nodes of weight p_i). A first
  sort orders each replication's events by group, then time; a segmented cumulative sum gives
  O_g and W_g = Σ w_u I_u after each event, hence each event's change of O_g W_g; a second
  sort merges those changes in time.
* Rescheduling (``rescheduling_path``): each down interval [a, b) of a node gets a pipeline
  time d and an eviction event at a + d when a + d < b. One sort merges failures, evictions
  and repairs; one cumulative sum of packed (ΔH, ΔE, ΔF) gives the home instances of up
  nodes H, the evicted E and the free slots F after each event, and H + min(E, F) serve.
"""

from __future__ import annotations

import numpy as np

from haplan.simulate.model import Model
from haplan.simulate.ticks import (
    SPAN_TICKS,
    TIME_BITS,
    level_metrics,
    narrow_shift,
    pack_rows,
    renewal_ticks,
    tick_h,
    to_ticks,
    trim_sorted,
    window_start,
)

_CODE_BITS = 3
# Rescheduling: 4 codes per class (2 classes), and one that changes nothing; packed fields
# of (H, E, F) in one int64, 21 bits each.
_RESCHEDULE_CODE_BITS = 4
_NOTHING = 8
_FIELD_BITS = 21


def _unit_keys(main: np.ndarray, codes: np.ndarray, extra, extra_codes) -> tuple:
    """Keys tick << 3 | code of a renewal draw; loose keys of ``extra`` with their units.

    ``codes`` (units × 2): code of a repair and of a failure of each unit; events past the
    span are clipped to its end.
    """
    keys = np.minimum(main, SPAN_TICKS)
    keys <<= _CODE_BITS
    keys[:, 0::2] |= codes[:, :1]
    keys[:, 1::2] |= codes[:, 1:]
    units, loose = [], []
    for which, block in extra:
        inside = block < SPAN_TICKS
        block = block << _CODE_BITS
        block[:, 0::2] |= extra_codes[which, 1:]  # a block starts with a failure
        block[:, 1::2] |= extra_codes[which, :1]
        units.append(np.broadcast_to(which[:, None], block.shape)[inside])
        loose.append(block[inside])
    if units:
        return keys, np.concatenate(units), np.concatenate(loose)
    return keys, np.zeros(0, np.int64), np.zeros(0, np.int64)


def _two_level(model: Model, rng, replications: int, outer, inner) -> np.ndarray:
    """Metrics of Σ_g O_g Σ_{u ∈ g} w_u I_u (see the module docstring).

    ``outer`` = (up, down, groups): the outer units' distributions and their number per
    replication; ``inner`` = (up, down, group_of_unit, weight_of_unit) per replication.
    """
    span_h = model.warmup_h + model.horizon_h
    tick = tick_h(model)
    out_up, out_down, groups = outer
    in_up, in_down, group_of, weight = inner
    units = len(group_of)
    classes, class_of = np.unique(weight, return_inverse=True)
    # Codes: 0..n-1 inner repair by class, n outer repair, n+1..2n inner failure, 2n+1 outer
    # failure; their changes of (O, W) packed as O << 32 | W.
    n = len(classes)
    d_outer = np.zeros(1 << _CODE_BITS, np.int64)  # unused codes change nothing
    d_inner = np.zeros(1 << _CODE_BITS, np.int64)
    d_inner[:n], d_outer[n] = classes, 1
    d_inner[n + 1 : 2 * n + 1], d_outer[2 * n + 1] = -classes, -1
    packed = (d_outer << 32) + d_inner
    group_shift = TIME_BITS + 1 + _CODE_BITS
    # Outer units.
    main, extra = renewal_ticks(rng, out_up, out_down, replications * groups, span_h, tick)
    codes = np.tile(np.array([[n, 2 * n + 1]], np.int64), (groups, 1))
    codes |= np.arange(groups, dtype=np.int64)[:, None] << group_shift
    codes = np.tile(codes, (replications, 1))
    outer_keys, outer_units, outer_loose = _unit_keys(main, codes, extra, codes)
    # Inner units.
    main, extra = renewal_ticks(rng, in_up, in_down, replications * units, span_h, tick)
    codes = np.stack([class_of, class_of + n + 1], axis=1).astype(np.int64)
    codes |= group_of.astype(np.int64)[:, None] << group_shift
    codes = np.tile(codes, (replications, 1))
    inner_keys, inner_units, inner_loose = _unit_keys(main, codes, extra, codes)
    dense = np.concatenate(
        [outer_keys.reshape(replications, -1), inner_keys.reshape(replications, -1)], axis=1
    )
    rows = np.concatenate([outer_units // groups, inner_units // units])
    pad = ((groups + 1) << group_shift) - 1  # past every group: changes nothing
    keys = pack_rows(dense, rows, np.concatenate([outer_loose, inner_loose]), pad)
    keys.sort(axis=1)
    # Segmented cumulative sum of the packed (O, W) per group.
    code = keys & ((1 << _CODE_BITS) - 1)
    is_pad = keys == pad
    delta = packed[code]
    delta[is_pad] = 0
    state = np.cumsum(delta, axis=1)
    group = keys >> group_shift
    first = np.ones(keys.shape, bool)
    first[:, 1:] = group[:, 1:] != group[:, :-1]
    base = np.zeros(keys.shape, np.int64)
    base[:, 1:] = np.where(first[:, 1:], state[:, :-1], 0)
    np.maximum.accumulate(base, axis=1, out=base)
    state -= base
    level = (state >> 32) * (state & 0xFFFFFFFF)
    change = np.empty_like(level)
    change[:, 1:] = level[:, 1:] - level[:, :-1]
    change[:, 0] = level[:, 0]
    change[first] = level[first]
    # Merge the changes in time: tick << bits | change + C.
    instances = model.instances
    bits = int(2 * instances).bit_length()
    times = (keys >> _CODE_BITS) & (SPAN_TICKS * 2 - 1)
    times[is_pad] = SPAN_TICKS
    merged = times << bits
    merged |= change + instances
    merged.sort(axis=1)
    levels = np.cumsum((merged & ((1 << bits) - 1)) - instances, axis=1)
    return level_metrics(merged >> bits, levels, model, window_start(model))


def containers_path(model: Model, rng, replications: int) -> np.ndarray:
    """Node failures and container crashes (no zones, crews or rescheduling): metric rows."""
    node_of_instance = np.repeat(np.arange(model.nodes), model.instances_per_node)
    outer = (model.node_lifetime, model.node_repair, model.nodes)
    inner = (
        model.instance_lifetime,
        model.instance_repair,
        node_of_instance,
        np.ones(model.instances, np.int64),
    )
    return _two_level(model, rng, replications, outer, inner)


def zones_path(model: Model, rng, replications: int) -> np.ndarray:
    """Node and zone failures (no container crashes, crews or rescheduling): metric rows."""
    outer = (model.zone_lifetime, model.zone_repair, model.zones)
    inner = (
        model.node_lifetime,
        model.node_repair,
        model.zone_of_node,
        model.instances_per_node.astype(np.int64),
    )
    return _two_level(model, rng, replications, outer, inner)


def rescheduling_fits(model: Model) -> bool:
    """True when H, E and F fit their packed fields and the codes their 3 bits (2 classes)."""
    classes = len(np.unique(model.instances_per_node))
    fields = model.nodes * model.max_per_node + model.instances < (1 << (_FIELD_BITS - 1))
    return fields and classes <= 2


def rescheduling_path(model: Model, rng, replications: int) -> np.ndarray:
    """Node failures with rescheduling (no zones, crashes or crews): metric rows.

    Each down interval [a, b) (the one in progress at time 0 taken as starting at 0) gets a
    pipeline time d from ``model.recovery_time``; its node's p_i instances are evicted during
    [a + d, b) when a + d < b. H + min(E, F) instances serve (see the module docstring).
    """
    span_h = model.warmup_h + model.horizon_h
    tick = tick_h(model)
    nodes = model.nodes
    counts = model.instances_per_node.astype(np.int64)
    classes, class_of = np.unique(counts, return_inverse=True)
    room = model.max_per_node
    bits = _RESCHEDULE_CODE_BITS
    # Codes per class c: 4c repair (not evicted), 4c + 1 repair (evicted), 4c + 2 eviction,
    # 4c + 3 failure. Changes of (H, E, F), packed 21 bits apiece.
    table = np.zeros((len(classes), 4, 3), np.int64)
    table[:, 0] = np.stack([classes, 0 * classes, room - classes], axis=1)
    table[:, 1] = np.stack([classes, -classes, room - classes], axis=1)
    table[:, 2, 1] = classes
    table[:, 3] = -table[:, 0]
    packed = np.zeros(1 << bits, np.int64)
    packed[: 4 * len(classes)] = (table << (np.arange(3) * _FIELD_BITS)).sum(axis=2).ravel()
    main, extra = renewal_ticks(
        rng, model.node_lifetime, model.node_repair, replications * nodes, span_h, tick
    )
    width = main.shape[1]
    events = nodes * (width + (width + 1) // 2)
    coarse = narrow_shift(bits, events) or 0
    dtype = np.uint32 if coarse else np.int64
    end = SPAN_TICKS >> coarse
    nothing = (end << bits) | _NOTHING
    base = 4 * class_of.astype(np.int64)
    units = np.tile(base, replications)[:, None]
    # Down intervals: [0, r0), then [f_j, r_j); evictions at their start + d.
    ends = main[:, 0::2]
    evict = to_ticks(model.recovery_time.sample(rng, ends.shape), tick)
    evict[:, 1:] += main[:, 1::2]
    evicted = evict < ends
    np.minimum(main, SPAN_TICKS, out=main)
    main >>= coarse
    main <<= bits
    main[:, 0::2] |= units + evicted
    main[:, 1::2] |= units + 3
    np.minimum(evict, SPAN_TICKS, out=evict)
    evict >>= coarse
    evict <<= bits
    evict |= units + 2
    evict[~evicted] = nothing
    dense = np.concatenate(
        [main.reshape(replications, nodes, -1), evict.reshape(replications, nodes, -1)], axis=2
    ).reshape(replications, -1)
    rows, loose = [], []
    for which, block in extra:
        failures, repairs = block[:, 0::2], block[:, 1::2]
        evict = failures + to_ticks(model.recovery_time.sample(rng, failures.shape), tick)
        evicted = evict < repairs
        own = base[which % nodes][:, None]
        for ticks, code, keep in (
            (failures, own + 3, failures < SPAN_TICKS),
            (repairs, own + evicted, repairs < SPAN_TICKS),
            (evict, own + 2, evicted & (evict < SPAN_TICKS)),
        ):
            code = np.broadcast_to(code, keep.shape)
            rows.append(np.broadcast_to((which // nodes)[:, None], keep.shape)[keep])
            loose.append(((ticks[keep] >> coarse) << bits) | code[keep])
    if rows:
        dense = pack_rows(dense, np.concatenate(rows), np.concatenate(loose), nothing)
    keys = dense.astype(dtype, copy=False)
    keys.sort(axis=1)
    keys = trim_sorted(keys, end << bits)
    state = np.take(packed, keys & dtype((1 << bits) - 1))
    np.cumsum(state, axis=1, out=state)
    mask = (1 << _FIELD_BITS) - 1
    evicted = (state >> _FIELD_BITS) & mask
    free = state >> (2 * _FIELD_BITS)
    state &= mask
    np.minimum(evicted, free, out=evicted)
    state += evicted  # H + min(E, F)
    times = keys >> dtype(bits)
    return level_metrics(times, state, model, window_start(model) >> coarse, end)
