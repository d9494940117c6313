"""Pieces of :func:`haplan.markov.crew_service_unavailability`: the chain's π vectorised over
rate ratios, exact hypergeometric probabilities, P(down | instances lost), zone enumeration.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special


@functools.lru_cache(maxsize=256)
def _binomial_row(n):
    """C(n, m) for m = 0 … n as (mantissa, exponent) with C = mantissa · 2**exponent.

    Built from exact integers, so each coefficient is correctly rounded to ~1 ulp whatever its
    size (C(2000, 1000) ≈ 2·10⁶⁰⁰ has no float); the arrays are read-only (cached).
    """
    values = [1]
    for m in range(n):
        values.append(values[-1] * (n - m) // (m + 1))
    shifts = [max(v.bit_length() - 63, 0) for v in values]
    mantissa = np.array([float(v >> s) for v, s in zip(values, shifts, strict=True)])
    exponent = np.array(shifts, dtype=np.int64)
    mantissa.flags.writeable = False
    exponent.flags.writeable = False
    return mantissa, exponent


def _hypergeometric(total, marked, drawn, hits):
    """H[a, b]: probability that hits[b] of drawn[a] items drawn from ``total`` are marked.

    ``marked`` of the ``total`` items are marked; ``drawn`` and ``hits`` are ranges. Each
    entry is C(marked, i)·C(total − marked, j − i)/C(total, j) from correctly rounded
    coefficients, so it is within a few ulps (no log-space cancellation); entries below
    ~1e-308 underflow to 0.
    """
    top_m, top_e = _binomial_row(marked)
    rest_m, rest_e = _binomial_row(total - marked)
    all_m, all_e = _binomial_row(total)
    drawn = np.asarray(drawn)[:, None]
    hit = np.asarray(hits)[None, :]
    missed = drawn - hit
    valid = (missed >= 0) & (missed <= total - marked) & (hit <= marked)
    missed = np.where(valid, missed, 0)
    hit = np.where(valid, hit, 0)
    mantissa = top_m[hit] * rest_m[missed] / all_m[drawn]
    exponent = top_e[hit] + rest_e[missed] - all_e[drawn]
    return np.where(valid, np.ldexp(mantissa, exponent), 0.0)


def _chain_probabilities(units, crews, ratio):
    """Stationary π_j of the birth–death chain, one row per λ/μ in ``ratio`` (≥ 0).

    Same product form as :class:`BirthDeath` (log ratios summed outward from each row's mode,
    so the states near the mode carry no accumulated rounding), vectorised over rows.
    """
    state = np.arange(units)
    base = np.log(units - state) - np.log(np.minimum(state + 1, crews))
    with np.errstate(divide="ignore"):
        step = base[None, :] + np.log(ratio)[:, None]  # log π_{j+1}/π_j; −inf when λ = 0
    rising = np.where(step > 0, step, 0.0)
    falling = np.where(step > 0, 0.0, step)
    log_pi = np.zeros((ratio.size, units + 1))
    log_pi[:, 1:] = np.cumsum(falling, axis=1)
    log_pi[:, :-1] -= np.cumsum(rising[:, ::-1], axis=1)[:, ::-1]
    pi = np.exp(log_pi)  # π_j / π_mode in [0, 1]
    return pi / pi.sum(axis=1, keepdims=True)


def _down_given_lost(instances, needed, q_instance):
    """g[r, L] = P(fewer than k_r instances up | L instances sit on down nodes or zones).

    The M = C − L others are up unless they fail on their own, independently with
    probability q_r: g = P(Bin(M, q_r) ≥ M − k_r + 1) = I_q(M − k_r + 1, k_r), the
    regularised incomplete beta function summed from the small side (``betainc``, Boost's,
    ~1e-14 relative where cephes' ``bdtrc`` loses digits for thousands of trials), and 1
    when M < k_r.
    """
    on_up_nodes = (instances - np.arange(instances + 1))[None, :]
    k = needed[:, None]
    inside = on_up_nodes >= k
    failures_needed = np.where(inside, on_up_nodes - k + 1, 1.0)
    tail = special.betainc(failures_needed, k, q_instance[:, None])
    return np.where(inside, tail, 1.0)


def _zone_kinds(nodes, heavy_nodes, zones):
    """[(zones of this kind, heavy nodes in each, light nodes in each)], round-robin layout.

    Node j is in zone j mod Z and the heavy (⌈C/N⌉) nodes are 0 … e − 1, as in
    :mod:`haplan.availability`; only the Z' = min(Z, N) zones with nodes are listed.
    """
    zone = np.arange(min(zones, nodes))
    in_zone = (nodes - zone + zones - 1) // zones
    heavy = np.where(zone < heavy_nodes, (heavy_nodes - zone + zones - 1) // zones, 0)
    layout = np.stack([heavy, in_zone - heavy], axis=1)
    kinds, counts = np.unique(layout, axis=0, return_counts=True)
    return [(int(n), int(h), int(light)) for (h, light), n in zip(kinds, counts, strict=True)]


def _zone_level(kinds, failed):
    """{(heavy, light nodes in failed zones): log(number of ways)} with ``failed`` zones down."""
    level = {}

    def visit(index, left, heavy, light, log_ways):
        if index == len(kinds):
            if left == 0:
                key = (heavy, light)
                level[key] = np.logaddexp(level[key], log_ways) if key in level else log_ways
            return
        count, h, light_each = kinds[index]
        room = sum(kind[0] for kind in kinds[index + 1 :])
        for d in range(max(0, left - room), min(count, left) + 1):
            ways = math.log(math.comb(count, d))
            visit(index + 1, left - d, heavy + d * h, light + d * light_each, log_ways + ways)

    visit(0, failed, 0, 0, 0.0)
    return level


def _given_failed_zones(pi, first, down_given_lost, nodes, per_node, heavy_nodes, down):
    """P(service down | the zones holding ``down`` = (heavy, light) nodes are down).

    ``pi[r, a]`` is π of state ``first + a`` (states where every row's π underflows are left
    out). Returns (π_up, G): π_up[r, a] = P(i failed nodes lie in up zones) and G[q, a] =
    P(service down | i random up-zone nodes failed) for i = i_first + a, so the answer is
    π_up @ G.T.
    """
    heavy_down, light_down = down
    up_nodes = nodes - heavy_down - light_down
    up_heavy = heavy_nodes - heavy_down
    lost_in_zones = heavy_down * (per_node + 1) + light_down * per_node
    last = first + pi.shape[1] - 1
    if up_nodes == nodes:
        pi_up, i_first, i_last = pi, first, last
    else:  # j failed nodes uniformly among all N: i of them in up zones is hypergeometric
        i_first, i_last = max(0, first - (nodes - up_nodes)), min(last, up_nodes)
        states, up = range(first, last + 1), range(i_first, i_last + 1)
        pi_up = pi @ _hypergeometric(nodes, up_nodes, states, up)
    # i failed among the up-zone nodes: x of them heavy (hypergeometric), L = lost + i·b + x
    width = min(up_heavy, i_last) + 1
    spread = _hypergeometric(up_nodes, up_heavy, range(i_first, i_last + 1), range(width))
    if per_node == 0:
        window = down_given_lost[:, lost_in_zones : lost_in_zones + width]
        return pi_up, window @ spread.T
    start = lost_in_zones + i_first * per_node
    stop = lost_in_zones + i_last * per_node + 1
    windows = sliding_window_view(down_given_lost, width, axis=1)[:, start:stop:per_node]
    return pi_up, np.einsum("qiw,iw->qi", windows, spread)
