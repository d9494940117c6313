"""Limited repair crews with exponential lifetimes and repairs: the queue as a Markov chain.

With exponential lifetimes (rate λ) and repairs (rate μ), N nodes and c crews serving the
failed nodes first come, first served, the cluster is a continuous-time Markov chain whose
state is the queue of failed nodes, oldest first (the first min(c, f) of the f failed are in
repair). From a state with f failed the next event comes after an exponential time of rate
λ (N − f) + μ min(c, f); it is a failure of one of the N − f up nodes, each alike, with
probability λ (N − f) / rate, which joins the end of the queue, else the repair of one of
the nodes in repair, each alike, which leaves it. This is the machine-repairman model
(Trivedi 2016, ch. 8) with the nodes kept apart, so uneven placement counts.

``crews_path`` steps this chain, vectorised over replications: one step is a handful of
numpy operations on arrays of one value per replication (times, failed counts, queue heads)
and, with uneven placement, a swap in a ring of node indices per replication (up nodes in
any order, then the queue). The chain starts in its stationary state: f from the
birth–death stationary distribution, and which nodes are down and in which order uniformly
(the nodes are alike), so no warm-up is needed.

Other distributions queue in ``timelines.crew_timelines`` (general path, with a warm-up).
"""

from __future__ import annotations

import numpy as np

from haplan.simulate.distributions import Exponential
from haplan.simulate.model import Model
from haplan.simulate.ticks import SPAN_TICKS, level_metrics

# Steps whose random numbers are drawn at once.
_BLOCK_STEPS = 64


def crews_apply(model: Model) -> bool:
    """True when ``crews_path`` simulates ``model`` (only nodes fail, exponentially, crews)."""
    return (
        model.repair_crews is not None
        and model.zone_lifetime is None
        and model.instance_lifetime is None
        and model.recovery_time is None
        and isinstance(model.node_lifetime, Exponential)
        and isinstance(model.node_repair, Exponential)
        and model.nodes_fail
    )


def stationary_failed(nodes: int, crews: int, mttf_h: float, mttr_h: float) -> np.ndarray:
    """Stationary distribution of the number of failed nodes, 0..N (birth–death chain)."""
    log_weights = np.zeros(nodes + 1)
    failed = np.arange(nodes)
    steps = np.log((nodes - failed) / mttf_h) - np.log(np.minimum(crews, failed + 1) / mttr_h)
    log_weights[1:] = np.cumsum(steps)
    weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


def crews_path(model: Model, rng: np.random.Generator, replications: int) -> np.ndarray:
    """Rows of (downtime [h], shortfall [h], outages) over the window, per replication.

    The window starts at time 0, in the chain's stationary state (``build_model`` adds no
    warm-up for this path).
    """
    nodes, crews = model.nodes, int(model.repair_crews)
    fail_rate, repair_rate = 1.0 / model.node_lifetime.mean, 1.0 / model.node_repair.mean
    horizon = model.horizon_h
    counts = model.instances_per_node.astype(np.int64)
    even = bool((counts == counts[0]).all())
    failed_range = np.arange(nodes + 1)
    failures = fail_rate * (nodes - failed_range)  # rate of a failure, by f
    rates = failures + repair_rate * np.minimum(crews, failed_range)
    mean_step = 1.0 / rates
    # Stationary start.
    cdf = np.cumsum(stationary_failed(nodes, crews, model.node_lifetime.mean, 1.0 / repair_rate))
    failed = np.minimum(np.searchsorted(cdf, rng.random(replications) * cdf[-1]), nodes)
    rows = np.arange(replications)
    if even:
        level = model.instances - counts[0] * failed
        ring = head = None
    else:
        ring = np.argsort(rng.random((replications, nodes)), axis=1)  # queue first
        down = np.arange(nodes)[None, :] < failed[:, None]
        level = model.instances - (counts[ring] * down).sum(axis=1)
        head = np.zeros(replications, np.int64)
        flat_ring = ring.reshape(-1)
        base = rows * nodes
    initial_level = level.copy()
    now = np.zeros(replications)
    times, changes = [], []
    step = _BLOCK_STEPS
    while True:
        if step == _BLOCK_STEPS:
            if now.min() >= horizon:
                break
            waits = rng.standard_exponential((_BLOCK_STEPS, replications))
            uniforms = rng.random((_BLOCK_STEPS, replications))
            step = 0
        rate = rates[failed]
        now += waits[step] * mean_step[failed]
        u = uniforms[step] * rate
        threshold = failures[failed]
        is_failure = u < threshold
        if even:
            change = np.where(is_failure, -counts[0], counts[0])
        else:
            # A failure: the r-th up node (r = ⌊u / λ⌋) swaps with the first up slot, which
            # becomes the queue's end. A repair: the j-th node in repair (j = ⌊(u − λ(N−f))
            # / μ⌋) swaps with the head of the queue, which then leaves it.
            up_start = head + failed
            in_repair = np.minimum(((u - threshold) / repair_rate).astype(np.int64), crews - 1)
            up_pick = np.minimum((u / fail_rate).astype(np.int64), nodes - 1 - failed)
            pick = np.where(is_failure, up_start + up_pick, head + in_repair) % nodes + base
            slot = np.where(is_failure, up_start, head) % nodes + base
            node = flat_ring[pick]
            flat_ring[pick] = flat_ring[slot]
            flat_ring[slot] = node
            change = np.where(is_failure, -counts[node], counts[node])
            head = np.where(is_failure, head, head + 1) % nodes
        failed += np.where(is_failure, 1, -1)
        times.append(now.copy())
        changes.append(change)
        step += 1
    if not times:
        times, changes = [np.full(replications, horizon)], [np.zeros(replications, np.int64)]
    hours = np.stack(times, axis=1)
    levels = initial_level[:, None] + np.cumsum(np.stack(changes, axis=1), axis=1)
    # On the integer clock of ``ticks`` (window = the whole span, no warm-up).
    ticks = np.minimum(hours * (SPAN_TICKS / horizon), SPAN_TICKS).astype(np.int64)
    return level_metrics(ticks, levels, model, 0, SPAN_TICKS, initial_level)
