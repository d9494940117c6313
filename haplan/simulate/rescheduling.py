"""Rescheduling: the orchestrator evicts the instances of unreachable nodes and places them.

The mechanism is the one of ``haplan.simulate``'s docstring: the nodes' reachability and
eviction timelines are merged, E (evicted), F (free slots on reachable nodes) and the
instances running are read off cumulative sums, and (with container crashes) each
instance's running timeline is combined with its container's before a second merge.
"""

from __future__ import annotations

import numpy as np

from haplan.simulate.model import Model, node_timelines
from haplan.simulate.timelines import combine_timelines, compact, renewal_timeline


def _evictions(model: Model, rng, reach) -> tuple[np.ndarray, np.ndarray]:
    """Timeline of "the node's home instances are evicted" (0/1, 0 before time 0).

    ``reach`` is the nodes' reachability timeline. For each maximal unreachable interval
    [a, b) a pipeline time d is drawn from ``model.recovery_time``; the instances are evicted
    during [a + d, b) when a + d < b. Intervals still open at the end (b = inf) evict too.
    """
    times, _ = compact(*reach)  # alternating -1, +1, ... from the first time unreachable
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


def rescheduled(model: Model, rng, replications: int) -> np.ndarray:
    """Rescheduling, the mechanism of ``haplan.simulate``'s docstring: rows of _level_metrics.

    Without container crashes the instances serving after each node event are
    H + min(E, F): H the home instances of reachable nodes, E the evicted instances and F
    the free slots on reachable nodes, each a cumulative sum over the merged events. With
    crashes, instance j of node i runs while node i is reachable, or while it is evicted and
    its rank among the evicted (evicted instances of nodes before i, plus its place on node
    i) is below F; each instance's running timeline is then combined with its container's.
    (So a newly evicted instance with a lower index takes the slot of a running one with a
    higher index: the rule decides which instances run, never how many.)
    """
    reach = node_timelines(model, rng, replications)
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
    containers = renewal_timeline(
        rng, model.instance_lifetime, model.instance_repair, (replications, instances), total
    )
    serving = combine_timelines([running_timeline, containers], [1, 1], np.multiply)
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


def _level_metrics(times: np.ndarray, levels: np.ndarray, model: Model) -> np.ndarray:
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
