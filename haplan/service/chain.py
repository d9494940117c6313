"""The service chain: a CTMC over the states that matter, solved exactly.

States: per (zone, instances-per-node) group the number of nodes down and pending, down and
evicted, up but unreachable and evicted; each zone up or down. See :mod:`haplan.service`
for the mechanism; :func:`chain_figures` gives unavailability at several thresholds and the
outage frequency (the flux from up to down states, container crashes included) from one
stationary distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import spsolve

from haplan import availability
from haplan._numeric import binomial_cdf, binomial_pmf, binomial_sf

__all__ = ["chain_states", "chain_figures", "structure", "count_states", "Rates", "Container"]


# --------------------------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Structure:
    """Node groups of one cluster: (zone, instances per node, node count) and the switches."""

    zone: np.ndarray  # per group
    per_node: np.ndarray  # per group
    size: np.ndarray  # per group
    zones: int
    reschedule: bool
    zones_fail: bool


def structure(nodes: int, instances: int, zones: int, reschedule: bool, zones_fail: bool):
    per_node = availability.instances_per_node(nodes, instances)
    zone_of = np.arange(nodes) % zones
    keys = {}
    for z, p in zip(zone_of.tolist(), per_node.tolist(), strict=True):
        keys[(z, p)] = keys.get((z, p), 0) + 1
    ordered = sorted(keys)
    return Structure(
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


def count_states(structure: Structure) -> int:
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
        :data:`haplan.service.MAX_CHAIN_STATES`.
    """
    return count_states(
        structure(int(nodes), int(instances), int(zones), bool(reschedule), bool(zones_fail))
    )


def _states(structure: Structure) -> np.ndarray:
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
    return _cartesian(per_zone)  # columns as _layout maps them


def _layout(structure: Structure) -> tuple[np.ndarray, np.ndarray]:
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
class Rates:
    node_failure: float  # 1/h
    node_repair: float  # 1/h, one crew
    crews: float  # inf: unlimited
    eviction: float  # 1/h, 1/pipeline time
    zone_failure: float
    zone_repair: float


def _transitions(states: np.ndarray, structure: Structure, rates: Rates):
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


def _running(states: np.ndarray, structure: Structure, max_per_node: float) -> np.ndarray:
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
class Container:
    """Instances' own up/down process: availability and crash rate."""

    up: float  # probability [1]
    down: float  # probability [1], computed directly
    crash_rate: float  # 1/h


def _binomial_below(k, trials, c: Container):
    """P(fewer than k of ``trials`` containers up)."""
    trials = np.asarray(trials)
    if c.down == 0:
        return (trials < k).astype(float)
    return binomial_cdf(k - 1, trials, c.up)


def binomial_at_least(k, trials, c: Container):
    trials = np.asarray(trials)
    if c.down == 0:
        return (trials >= k).astype(float)
    return binomial_sf(k - 1, trials, c.up)


def _crossing(k: int, before: np.ndarray, after: np.ndarray, c: Container) -> np.ndarray:
    """P(≥ k serving among ``before`` running, < k among the ``after`` ⊂ ``before`` left)."""
    if c.down == 0:
        return ((before >= k) & (after < k)).astype(float)
    pairs, which = np.unique(np.stack([before, after], axis=1), axis=0, return_inverse=True)
    j = np.arange(k)
    kept = binomial_pmf(j[None, :], pairs[:, 1:2], c.up)
    lost = binomial_sf(k - j[None, :] - 1, (pairs[:, 0:1] - pairs[:, 1:2]), c.up)
    return (kept * lost).sum(axis=1)[which.ravel()]


def chain_figures(
    structure: Structure,
    rates: Rates,
    max_per_node: float,
    container: Container,
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
        return out, 0.0, 1.0 if k <= 0 else 0.0  # never down, or never up
    k = int(k)
    before, after = running[sources], running[target_index]
    falls = after < before
    flux = math.fsum(
        pi[sources[falls]] * values[falls] * _crossing(k, before[falls], after[falls], container)
    )
    if container.crash_rate > 0:
        at_k = binomial_pmf(k, running, container.up) * (running >= k)
        flux += math.fsum(pi * at_k * k * container.crash_rate)
    up_share = float(np.dot(pi, binomial_at_least(k, running, container)))
    return out, flux, up_share


def container_process(mttf_h: float, mttr_h: float) -> Container:
    down = float(availability.steady_state_unavailability(mttf_h, mttr_h))
    up = float(availability.steady_state_availability(mttf_h, mttr_h))
    crash = 1.0 / mttf_h if math.isfinite(mttf_h) and mttr_h > 0 else 0.0
    return Container(up=up, down=down, crash_rate=crash)
