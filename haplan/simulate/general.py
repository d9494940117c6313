"""The general path: zones, container crashes or repair crews, without rescheduling.

The units' timelines (nodes, zones, containers) are combined per instance where needed and
merged into the service's timeline with one sort of int64 keys per replication.
"""

from __future__ import annotations

import numpy as np

from haplan.simulate.model import Model, node_timelines
from haplan.simulate.timelines import combine_timelines, renewal_timeline


def general_path(model: Model, rng: np.random.Generator, replications: int) -> np.ndarray:
    """Simulate ``replications`` replications: rows of (downtime_h, shortfall_h, outages)."""
    total = model.warmup_h + model.horizon_h
    nodes = node_timelines(model, rng, replications)
    if model.instance_lifetime is None:
        classes, counts = _node_classes(model)
        times, deltas = nodes
        codes = (deltas + 1) + 3 * classes[None, :, None]
        table = (np.arange(3)[None, :] - 1) * counts[:, None]
    else:
        node_of_instance = np.repeat(np.arange(model.nodes), model.instances_per_node)
        lead = (replications, model.instances)
        containers = renewal_timeline(
            rng, model.instance_lifetime, model.instance_repair, lead, total
        )
        hosts = tuple(x[:, node_of_instance, :] for x in nodes)
        times, deltas = combine_timelines([hosts, containers], [1, 1], np.multiply)
        codes = deltas + 1
        table = np.array([-1, 0, 1])
    parts = [(times.reshape(replications, -1), codes.reshape(replications, -1))]
    return _service_timeline(parts, table.ravel(), model)


def _node_classes(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Class (0 heavy, 1 light) of each node and the instance count of each class."""
    counts = model.instances_per_node
    classes = (counts != counts[0]).astype(np.int64)
    return classes, np.array([counts[0], counts[-1]], dtype=np.int64)


def _service_timeline(parts, table: np.ndarray, model: Model) -> np.ndarray:
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
