"""Truncated distributions of the instances down (or up), shared by the availability models.

Package-internal: :mod:`haplan.availability.placement` (service unavailability) and
:mod:`haplan.availability.outages` (outage frequency) build on these; users call those.

Distributions of the number of instances DOWN, one row per scenario, truncated at ``size``:
column j < size holds P(down = j), column ``size`` holds P(down >= size). Only sums and
products of non-negative numbers are formed, so tiny tail probabilities keep their digits.
``None`` stands for the distribution of the constant 0 (an empty sum). With ``count_up`` the
same rows count the instances *up* instead.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "check_min_instances",
    "convolve",
    "convolve_columns",
    "power",
    "node_down",
    "zone_layout",
    "down_distribution",
    "delta",
    "binomial_pmf",
]


def check_min_instances(k, c):
    too_many = k > c
    if too_many.any():
        first = np.flatnonzero(too_many.ravel())[0]
        raise ValueError(
            f"min_instances={k.flat[first]:.0f} is out of range: must be <= "
            f"instances={c.flat[first]:.0f} (the service cannot need more instances than it runs)"
        )


def convolve_columns(x, y, size, widths=(None, None)):
    """Distribution of X + Y for independent X, Y given as truncated *columns*.

    ``x`` and ``y`` are (size + 1, distributions): column r is one distribution, its entries
    as in the module docstring. out[j] = Σ_{i ≤ j} x[i] · y[j − i] for j < size, formed one
    shift i at a time over all columns (each step one multiply and one add over contiguous
    rows of the array), and out[size] = x[size] + Σ_{i < size} x[i] · P(Y ≥ size − i).
    ``widths`` (of x, of y; None: ``size``) says that below ``size`` every entry from there on
    is 0 in every column: those products are skipped, as adding 0 changes no sum.
    """
    if size == 1:  # two entries (k = 1 counted up): the general branch's sums, without overhead
        out = np.empty_like(x)
        np.multiply(x[0], y[0], out=out[0])
        np.multiply(x[0], y[1], out=out[1])
        out[1] += x[1]
        return out
    wx, wy = (size if w is None else min(w, size) for w in widths)
    out = np.zeros_like(x)
    scratch = np.empty((size, x.shape[1]))
    for i in range(wx):
        part = scratch[: min(wy, size - i)]
        np.multiply(x[i], y[: part.shape[0]], out=part)
        out[i : i + part.shape[0]] += part
    tail_y = np.cumsum(y[:0:-1], axis=0)[::-1]  # tail_y[t − 1] = P(Y ≥ t), t = 1 … size
    part = scratch[:wx]
    np.multiply(x[:wx], tail_y[: size - wx - 1 : -1] if wx < size else tail_y[::-1], out=part)
    out[size] = x[size] + part.sum(axis=0)
    return out


def convolve(x, y, size):
    """Distribution of X + Y for independent X, Y given as truncated rows (see above)."""
    if x is None:
        return y
    if y is None:
        return x
    rows = x.shape[0]
    if rows < size:  # few long rows: numpy's own convolution, row by row
        tail_y = np.cumsum(y[:, ::-1], axis=1)[:, ::-1]  # tail_y[:, t] = P(Y >= t)
        out = np.empty_like(x)
        for row in range(rows):
            out[row, :size] = np.convolve(x[row, :size], y[row, :size])[:size]
            out[row, size] = x[row, size] + np.dot(x[row, :size], tail_y[row, size:0:-1])
        return out
    return convolve_columns(np.ascontiguousarray(x.T), np.ascontiguousarray(y.T), size).T


def power(x, count, size):
    """Distribution of the sum of ``count`` independent copies (None = the sum is 0)."""
    if count < 0:  # a layout bug must fail loudly: a negative count would never end the loop
        raise RuntimeError(f"internal error: negative node count {count} in the placement")
    result = None
    while count:
        if count & 1:
            result = convolve(result, x, size)
        count >>= 1
        if count:
            x = convolve(x, x, size)
    return result


def node_down(load, q_node, q_instance, size, count_up=False):
    """Instances down on one node holding ``load`` instances (node or instance failures).

    With ``count_up``, the distribution of the instances *up* instead (a down node has none
    up): the same numbers in reverse order, truncated at ``size`` from the other end.
    """
    down = np.arange(load + 1)
    q = q_instance[:, None]
    # Binomial pmf in log space (exact to ~1e-14 relative, and far cheaper than scipy.stats
    # for the thousands of small calls a sweep makes): C(L, d) q^d (1 - q)^(L - d).
    log_factorial = special.gammaln(down + 1)  # log d!, d = 0 … L
    with np.errstate(divide="ignore"):
        log_pmf = (
            log_factorial[load]
            - log_factorial
            - log_factorial[::-1]
            + special.xlogy(down, q)
            + special.xlog1py(load - down, -q)
        )
    pmf = np.exp(log_pmf) * (1.0 - q_node)[:, None]
    pmf[:, load] += q_node
    if count_up:
        pmf = pmf[:, ::-1]
    out = np.zeros((q_node.shape[0], size + 1))
    kept = min(load + 1, size)
    out[:, :kept] = pmf[:, :kept]
    if load >= size:
        out[:, size] = pmf[:, size:].sum(axis=1)
    return out


def zone_layout(nodes, instances, zones):
    """(count, heavy nodes, light nodes) of each kind of zone under the round-robin layout."""
    base, extra = divmod(instances, nodes)
    if zones == 1:
        return base, [(1, extra, nodes - extra)]
    zone = np.arange(min(zones, nodes))
    nodes_in_zone = (nodes - zone + zones - 1) // zones
    heavy = np.where(zone < extra, (extra - zone + zones - 1) // zones, 0)
    pairs, counts = np.unique(
        np.stack([heavy, nodes_in_zone - heavy], axis=1), axis=0, return_counts=True
    )
    return base, [(int(n), int(h), int(light)) for (h, light), n in zip(pairs, counts, strict=True)]


def down_distribution(nodes, instances, zones, q_node, q_instance, q_zone, size, count_up=False):
    """Truncated distribution of the instances down (or, with ``count_up``, up) in all."""
    base, zone_types = zone_layout(nodes, instances, zones)
    # only built when some node holds base + 1 (C not a multiple of N)
    heavy_node = (
        node_down(base + 1, q_node, q_instance, size, count_up) if instances % nodes else None
    )
    light_node = node_down(base, q_node, q_instance, size, count_up) if base > 0 else None
    total = None
    for count, heavy, light in zone_types:
        zone_instances = heavy * (base + 1) + light * base
        if zone_instances == 0:
            continue
        in_zone = convolve(
            power(heavy_node, heavy, size) if heavy else None,
            power(light_node, light, size) if light_node is not None else None,
            size,
        )
        zone_dist = in_zone * (1.0 - q_zone)[:, None]
        zone_dist[:, 0 if count_up else min(zone_instances, size)] += q_zone  # zone down
        total = convolve(total, power(zone_dist, count, size), size)
    return total


def delta(rows, size):
    """Truncated distribution of the constant 0."""
    out = np.zeros((rows, size + 1))
    out[:, 0] = 1.0
    return out


def binomial_pmf(trials, q, down):
    """P(Bin(trials, q) = d) for each d in ``down``, one row per q (log space, as
    ``node_down``); 0 outside 0 … trials."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (
            special.gammaln(trials + 1)
            - special.gammaln(down + 1)
            - special.gammaln(np.maximum(trials - down, 0) + 1)
            + special.xlogy(down, q[:, None])
            + special.xlog1py(trials - down, -q[:, None])
        )
    return np.where((down >= 0) & (down <= trials), np.exp(log_pmf), 0.0)
