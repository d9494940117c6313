"""The one-zone placement model for many structures at once (package-internal).

:mod:`haplan.availability.placement` and :mod:`haplan.availability.outages` loop over the
distinct (N, C, Z) structures, because a structure fixes how many node distributions are
convolved. When every row has a single zone (Z = 1, or one node), the structures differ only
in the per-node load ⌊C/N⌋ and the counts of heavy and light nodes, so rows of *different*
structures can share one pass: each row's node distribution is built with its own load, and
the N-fold convolution runs as binary powering where every row multiplies in the powers its
own count asks for (the others multiply by the distribution of 0, which is exact). The
arithmetic per row is the same as the looped code's: sums and products of non-negative
numbers on truncated rows (:mod:`haplan.availability._truncated`), so tiny probabilities keep
their digits.

Rows are batched by the truncation size (rounded up to a few fixed sizes, reading a threshold
from a longer truncated row gives the same probability), and by the side counted. Some cases
need no powering: nodes that hold one instance each sum to a binomial, built directly;
k = 1 counted up (out only when nothing is up, the default) is a product over the nodes
(:func:`nothing_up`); and U and A without the outage frequency condition on the nodes down
(:mod:`haplan.availability._nodes_down`), which :func:`solve` prefers where it applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from scipy.special import bdtr

from haplan._numeric import rarely_repeated, rows_of
from haplan.availability import _nodes_down
from haplan.availability._truncated import binomial_pmf, convolve_columns

__all__ = ["one_zone", "bucket_sizes", "single_zone_rows", "solve", "distinct_keys", "MAX_SIZE"]

_BUCKETS = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512])
#: Largest truncation size the batched path takes; beyond it rows go to the looped path.
MAX_SIZE = int(_BUCKETS[-1])


def single_zone_rows(nodes, zones):
    """True where the placement has one zone in effect (Z = 1 or N = 1)."""
    return (zones == 1) | (nodes == 1)


def bucket_sizes(size: np.ndarray) -> np.ndarray:
    """The batch size of each row: its truncation size rounded up to a fixed bucket."""
    return _BUCKETS[np.searchsorted(_BUCKETS, size)]


def _node_columns(load, q_node, q_instance, size, count_up):
    """``node_down`` with one load per column (load 0 gives the distribution of 0).

    Entries below ``size`` are binomial terms in log space, as ``node_down`` forms them; the
    lumped last entry P(X ≥ size) is a regularised incomplete beta function (scipy ``bdtr``,
    relative accuracy ~1e-14), or for ``size`` 1 on the up side 1 − q_inst^L via ``expm1``,
    so no column is summed over all its L + 1 terms. Returns (size + 1, distributions).
    """
    columns = load.size
    width = min(int(load.max()) + 1, size)
    count = np.arange(width, dtype=float)[:, None]  # instances down (or up, with count_up)
    with np.errstate(divide="ignore"):  # q = 0 or 1: log 0 = −inf
        log_q, log_p = np.log(q_instance), np.log1p(-q_instance)
    if count_up:  # up ~ Bin(L, 1 − q): the roles of q and 1 − q swap
        log_q, log_p = log_p, log_q
    # log 0 = −inf as −1e300 instead: 0 · it is 0 (0^0 = 1), a count ≥ 1 times it underflows
    # exp to 0, and any log that matters (> −746) is unchanged
    log_q, log_p = (np.maximum(x, -1e300)[None, :] for x in (log_q, log_p))
    with np.errstate(over="ignore"):
        log_pmf = (
            _log_binomial_rows(load, width).T  # −inf beyond L
            + count * log_q
            + (load[None, :] - count) * log_p
        )
    out = np.zeros((size + 1, columns))
    out[:width] = np.exp(log_pmf) * (1.0 - q_node)[None, :]
    # the node down: all L down (or none up)
    at = np.zeros(columns, dtype=np.int64) if count_up else np.minimum(load, size)
    big = load >= size
    if big.any():
        L, q = load[big], q_instance[big]
        if count_up and size == 1:  # P(up ≥ 1) = 1 − q^L
            with np.errstate(divide="ignore"):
                tail = -np.expm1(L * np.log(q))
        elif count_up:  # P(up ≥ size) = P(down ≤ L − size)
            tail = special.bdtr(L - size, L, q)
        else:  # P(down ≥ size)
            tail = special.bdtrc(size - 1, L, q)
        out[size, big] += tail * (1.0 - q_node[big])
    out[at, np.arange(columns)] += q_node
    return out


def _log_binomial_rows(load: np.ndarray, width: int) -> np.ndarray:
    """log C(L, j), j = 0 … ``width`` − 1, for each column's load L: one row per column.

    Below ``_TABLE_LOADS`` from a table of every load 0 … max (:func:`_log_binomial_coefficients`);
    otherwise for the distinct loads only (a binomial over a million nodes needs one row, not a
    million), as sums of log((L − i)/(i + 1)): log L! − log j! − log (L − j)! loses about
    log(L!)·2⁻⁵³ to cancellation (1e-9 relative at L = 1e6), the sums about j·2⁻⁵³.
    """
    most = int(load.max())
    if most < _TABLE_LOADS:
        return _log_binomial_coefficients(np.arange(most + 1), width)[load]
    distinct, which = np.unique(load, return_inverse=True)
    loads, step = distinct[:, None].astype(float), np.arange(width - 1, dtype=float)[None, :]
    out = np.empty((distinct.size, width))
    out[:, 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # j > L: log of ≤ 0 → −inf below
        np.cumsum(np.log((loads - step) / (step + 1.0)), axis=1, out=out[:, 1:])
    out[np.arange(width)[None, :] > distinct[:, None]] = -np.inf
    return out[which.ravel()]


#: Loads below which :func:`_log_binomial_rows` tabulates every load (cheaper than sorting).
_TABLE_LOADS = 4096


def _log_binomial_coefficients(loads: np.ndarray, width: int) -> np.ndarray:
    """log C(L, j) for L in ``loads`` (rows) and j = 0 … ``width`` − 1, −inf where j > L:
    log L! − log j! − log (L − j)!, the factorials as ``node_down`` forms them."""
    load, count = loads[:, None], np.arange(width)[None, :]
    inside = count <= load

    def log_factorial(x):
        return special.gammaln(x + 1.0)

    table = (
        log_factorial(load)
        - log_factorial(count)
        - log_factorial(np.where(inside, load - count, 0))
    )
    return np.where(inside, table, -np.inf)


def _delta(size, columns):
    out = np.zeros((size + 1, columns))
    out[0] = 1.0
    return out


def _power_columns(x, counts, size, width=None):
    """Distribution of the sum of ``counts[r]`` copies of column r of ``x`` (0 copies: δ₀).

    Binary powering over the columns sorted by count, largest first, so that the columns
    still being squared are a leading block; each column multiplies in the powers its own
    count asks for, and the first power it takes is copied, not convolved with δ₀ (which
    would give the same numbers). ``width``: entries of ``x`` from there on below ``size``
    are 0; the powers' widths follow, and the convolutions skip their zeros.
    """
    order = np.argsort(-counts, kind="stable")
    counts = counts[order].astype(np.int64)
    x = x[:, order]
    result = _delta(size, counts.size)
    x_width, result_width = size if width is None else min(width, size), 1
    started = np.zeros(counts.size, dtype=bool)
    live = int(np.count_nonzero(counts))
    while live:
        odd = (counts[:live] & 1).astype(bool)
        more = np.flatnonzero(odd & started[:live])
        widths = (result_width, x_width)
        if more.size == live:
            result[:, :live] = convolve_columns(result[:, :live], x[:, :live], size, widths)
        elif more.size:
            result[:, more] = convolve_columns(result[:, more], x[:, more], size, widths)
        first = np.flatnonzero(odd & ~started[:live])
        result[:, first] = x[:, first]
        result_width = min(size, max(result_width + x_width - 1, x_width))
        started[:live] |= odd
        counts[:live] >>= 1
        live = int(np.count_nonzero(counts[:live]))  # halving keeps the order: still a prefix
        if live:
            widths = (x_width, x_width)
            x[:, :live] = convolve_columns(x[:, :live], x[:, :live], size, widths)
            x_width = min(size, 2 * x_width - 1)
    out = np.empty_like(result)
    out[:, order] = result
    return out


#: Powered columns of size > 8 are grouped by a node's width (load + 1) up to these, so that
#: the convolutions of nodes holding few instances skip the zeros of their short rows.
_WIDTH_GROUPS = (3, 5, 9, 17)


def _sum_of_nodes(load, count, q_node, q_instance, size, count_up, node=None):
    """Distribution of the instances down (or up) on ``count[r]`` nodes of load ``load[r]``.

    Nodes that hold one instance each sum to a binomial: that instance is down when it or its
    node is, with probability q = q_node + (1 − q_node) q_inst, independently per node. Those
    columns are built as Bin(count, q) directly (as ``_node_columns`` builds a node's
    binomial), the others by binary powering of one node's distribution (``node``, or built
    here for those columns only). Only for q ≤ 1/2, where 1 − q keeps its relative digits.
    """
    q_one = q_node + (1.0 - q_node) * q_instance
    binomial = (load == 1) & (q_one <= 0.5)
    powered = np.flatnonzero(~binomial)
    out = np.empty((size + 1, load.size))
    if powered.size:
        one = (
            _node_columns(load[powered], q_node[powered], q_instance[powered], size, count_up)
            if node is None
            else node[:, powered]
        )
        width = np.minimum(load[powered] + 1, size)
        # short rows gain less than the extra passes cost: one group
        group = np.searchsorted(_WIDTH_GROUPS, width) if size > 8 else np.zeros(width.size)
        for g in np.unique(group):
            these = np.flatnonzero(group == g)
            out[:, powered[these]] = _power_columns(
                one[:, these], count[powered[these]], size, int(width[these].max())
            )
    if binomial.any():
        out[:, binomial] = _node_columns(
            count[binomial], np.zeros(np.count_nonzero(binomial)), q_one[binomial], size, count_up
        )
    return out


def _critical_columns(rest, which, threshold, weights):
    """Σ_j rest[T − j, w] · weights[j − 1, w] over j = 1 … rows of ``weights`` with T − j ≥ 0,
    for each row's distribution w = ``which`` and threshold T."""
    pad = weights.shape[0]
    padded = np.concatenate([np.zeros((pad, rest.shape[1])), rest], axis=0)
    total = np.zeros(which.size)
    for j in range(1, pad + 1):
        total += padded[threshold - j + pad, which] * weights[j - 1, which]
    return total


def one_zone(
    n, c, qn, qi, qz, threshold, size, count_up, an=None, az=None, frequencies=None, which=None
):
    """(unavailability, availability[, outage frequency]) of one-zone rows, one batch.

    ``n`` … ``qz``, ``an``, ``az`` describe the distinct distributions; row r reads
    distribution ``which[r]`` (default: row r) at ``threshold[r]``, which is k (``count_up``:
    out when up ≤ k − 1) or C − k + 1 (out when down ≥ it), ≤ ``size``. With
    ``frequencies`` (per row: node, instance, zone failure frequencies 1/(MTTF + MTTR)) and
    the availabilities ``an``, ``az``, the outage frequency is returned too, summed as in
    :func:`haplan.availability.outages._group_outages` for one zone. The distributions are
    the columns of (size + 1, distributions) arrays.
    """
    dists = n.size
    which = np.arange(dists) if which is None else which
    base, extra = np.divmod(c, n)
    heavy, light = extra, np.where(base > 0, n - extra, 0)
    if frequencies is None:
        heavy_all = _sum_of_nodes(base + 1, heavy, qn, qi, size, count_up)
        light_all = _sum_of_nodes(base, light, qn, qi, size, count_up)
    else:
        heavy_node = _node_columns(base + 1, qn, qi, size, count_up)
        light_node = _node_columns(base, qn, qi, size, count_up)
        heavy_less = _sum_of_nodes(
            base + 1, np.maximum(heavy - 1, 0), qn, qi, size, count_up, heavy_node
        )
        light_less = _sum_of_nodes(
            base, np.maximum(light - 1, 0), qn, qi, size, count_up, light_node
        )
        heavy_all = np.where(heavy > 0, convolve_columns(heavy_less, heavy_node, size), heavy_less)
        light_all = np.where(light > 0, convolve_columns(light_less, light_node, size), light_less)
    up_zone = convolve_columns(heavy_all, light_all, size)
    full = up_zone * (1.0 - qz if az is None else az)
    at = np.zeros(dists, dtype=np.int64) if count_up else np.minimum(c, size)
    full[at, np.arange(dists)] += qz  # zone down: nothing up, everything down
    if count_up:  # P(X <= T − 1), P(X >= T)
        down = np.minimum(np.cumsum(full, axis=0), 1.0)[threshold - 1, which]
        up = np.minimum(np.cumsum(full[::-1], axis=0)[::-1], 1.0)[threshold, which]
    else:  # P(X >= T), P(X <= T − 1)
        down = np.minimum(np.cumsum(full[::-1], axis=0)[::-1], 1.0)[threshold, which]
        up = np.minimum(np.cumsum(full, axis=0), 1.0)[threshold - 1, which]
    if frequencies is None:
        return down, up
    f_node, f_instance, f_zone = frequencies
    frequency = np.zeros(which.size)
    if np.any(f_zone > 0):  # the zone fails: rest is the distribution of 0
        held = np.minimum(c, size)
        columns = int(held.max())
        if count_up:
            weights = np.cumsum(up_zone[::-1], axis=0)[::-1][1 : columns + 1]
        else:
            weights = np.cumsum(up_zone[:columns], axis=0)
        weights = np.where(np.arange(1, columns + 1)[:, None] <= held[None, :], weights, 0.0)
        frequency += _critical_columns(_delta(size, dists), which, threshold, weights) * f_zone
    for number, load, rest_of in (
        (heavy, base + 1, (heavy_less, light_all)),
        (light, base, (heavy_all, light_less)),
    ):
        live = (number > 0) & (load > 0)
        if not live.any():
            continue
        rest = convolve_columns(*rest_of, size)
        columns = int(np.minimum(load[live], size).max())
        j = np.arange(1, columns + 1)[:, None]
        used = live[None, :] & (j <= np.minimum(load, size)[None, :])
        load_ = load[None, :]
        if np.any(f_node > 0):
            most_down = load_ - j if count_up else j - 1
            below = bdtr(np.where(used, most_down, 0), np.where(used, load_, 1), qi[None, :])
            below = np.where(used, below * az[None, :], 0.0)
            critical = _critical_columns(rest, which, threshold, below)
            frequency += number[which] * critical * f_node
        if np.any(f_instance > 0):
            pmf = binomial_pmf(  # as rows (one q each), read as columns
                np.maximum(load - 1, 0)[:, None], qi, (load_ - j if count_up else j - 1).T
            ).T
            weights = np.where(used, pmf * (az * an)[None, :], 0.0)
            critical = _critical_columns(rest, which, threshold, weights)
            frequency += (number * load)[which] * critical * f_instance
    return down, up, frequency


def nothing_up(n, c, qn, qi, qz, an=None, az=None, frequencies=None):
    """``one_zone`` at k = 1 (out only when no instance is up), one row per distribution.

    A node of load L has nothing up with probability x_L = q_node + (1 − q_node) q_inst^L, so
    U = q_zone + A_zone x_heavy^h x_light^l and A = A_zone (1 − x_heavy^h x_light^l), the
    latter as −expm1(Σ log1p(−(1 − x_L))) with 1 − x_L = (1 − q_node)(−expm1(L log q_inst)).
    The outage frequency sums, as ``one_zone`` does at this threshold, the zone failing while
    something is up, a node failing that holds everything up, and an instance failing that is
    the last one up. Only products of non-negative numbers: tiny probabilities keep their
    digits.
    """
    base, extra = np.divmod(c, n)
    kinds = ((extra, base + 1), (np.where(base > 0, n - extra, 0), base))  # (count, load)
    az = 1.0 - qz if az is None else az
    with np.errstate(divide="ignore", invalid="ignore"):  # q = 0: log 0 = −inf, exp(−inf) = 0
        log_qi = np.log(qi)
        # P(a node has something up | node up) = 1 − q_inst^L (0 for load 0), P(nothing up)
        some_up = [np.where(load > 0, -np.expm1(load * log_qi), 0.0) for _, load in kinds]
        none_up = [qn + (1.0 - qn) * qi**load for _, load in kinds]
        log_all_none = sum(  # log P(no node has anything up); a count of 0 adds nothing
            np.where(count > 0, count * np.log1p(-(1.0 - qn) * some), 0.0)
            for (count, _), some in zip(kinds, some_up, strict=True)
        )
    (heavy, _), (light, _) = kinds
    down = qz + az * none_up[0] ** heavy * none_up[1] ** light
    up = az * -np.expm1(log_all_none)
    if frequencies is None:
        return down, up
    f_node, f_instance, f_zone = frequencies
    frequency = f_zone * -np.expm1(log_all_none)
    others = (  # P(nothing up on the other nodes) beside one node of each kind
        none_up[0] ** np.maximum(heavy - 1, 0) * none_up[1] ** light,
        none_up[0] ** heavy * none_up[1] ** np.maximum(light - 1, 0),
    )
    for (number, load), some, other in zip(kinds, some_up, others, strict=True):
        last = f_node * some + f_instance * an * load * qi ** np.maximum(load - 1, 0)
        frequency += np.where((number > 0) & (load > 0), number * az * other * last, 0.0)
    return down, up, frequency


def distinct_keys(*columns) -> np.ndarray:
    """Integer codes of the rows' combinations of ``columns`` (equal codes ⇒ equal rows).

    Hash factorisation per column, skipped for a column holding one value; stops early once
    the rows are all distinct, or a sample shows a column rarely repeats (then deduplicating
    would cost more than it saves), and then returns None.
    """
    rows = columns[0].size
    if any(rarely_repeated(values) for values in columns):
        return None
    combined, span = np.zeros(rows, dtype=np.int64), 1
    for values in columns:
        if values[:1].size and (values == values[0]).all():
            continue
        codes, uniques = pd.factorize(values)
        if len(uniques) == rows:
            return None
        if span * len(uniques) >= 2**62:
            combined, uniques_ = pd.factorize(combined)
            span = len(uniques_)
        combined = combined * len(uniques) + codes
        span *= len(uniques)
        combined, uniques = pd.factorize(combined)
        span = len(uniques)
        if span == rows:
            return None
    return combined


def solve(
    n, c, k, qn, qi, qz, an=None, az=None, frequencies=None, count_up=None, key=None, want_up=True
):
    """(down, up[, frequency]) of one-zone rows of any sizes. Rows with equal ``key`` share N,
    C and the probabilities (computed here when None).

    Three paths: k = 1 counted up is a product over the nodes (:func:`nothing_up`); without
    outage frequencies, rows :func:`haplan.availability._nodes_down.eligible` condition on the
    nodes down (``want_up`` False: their A is not computed, and ``up`` is None); the others
    are counted on their shorter side (or on ``count_up``'s) by truncated convolutions
    (:func:`one_zone`), batched by truncation bucket, each distinct distribution built once
    and truncated at the largest of its rows' thresholds.
    """
    if count_up is None:
        short_up = k <= c - k + 1
    else:
        short_up = np.full(k.shape, bool(count_up))
    nothing = short_up & (k == 1)
    if frequencies is None and count_up is None:
        by_nodes = ~nothing & _nodes_down.eligible(n, c, k, qn, qi)
    else:
        by_nodes = np.zeros(k.shape, dtype=bool)
    out = [np.empty(k.size) for _ in range(2 if frequencies is None else 3)]

    def pick(rows, *arrays):
        return tuple(rows_of(x, rows) for x in arrays)

    def fill(rows, values):
        for i, value in enumerate(values):
            if value is None:
                continue
            if rows.size == k.size:  # every row: the result as it is
                out[i] = value
            else:
                out[i][rows] = value

    if nothing.any():
        rows = np.flatnonzero(nothing)
        freq = None if frequencies is None else pick(rows, *frequencies)
        fill(rows, nothing_up(*pick(rows, n, c, qn, qi, qz, an, az), freq))
    if by_nodes.any():
        rows = np.flatnonzero(by_nodes)
        fill(rows, _by_nodes_down(*pick(rows, n, c, k, qn, qi, qz, az, key), want_up))
    rest = np.flatnonzero(~(nothing | by_nodes))
    if rest.size:
        freq = None if frequencies is None else pick(rest, *frequencies)
        args = pick(rest, n, c, k, qn, qi, qz, an, az)
        fill(rest, _convolved(*args, freq, short_up[rest], None if key is None else key[rest]))
    if frequencies is None and not want_up:
        out[1] = None
    return tuple(out)


def _by_nodes_down(n, c, k, qn, qi, qz, az, key, want_up):
    """``_nodes_down.one_zone_tails``, once per distinct (``key``, k) when keys are given."""
    if key is None:
        return _nodes_down.one_zone_tails(n, c, k, qn, qi, qz, az, want_up)
    which, first = _first_rows(key * (int(k.max()) + 1) + k)
    if first.size == which.size:
        return _nodes_down.one_zone_tails(n, c, k, qn, qi, qz, az, want_up)
    down, up = _nodes_down.one_zone_tails(
        *(x[first] for x in (n, c, k, qn, qi, qz)), None if az is None else az[first], want_up
    )
    return down[which], None if up is None else up[which]


def _convolved(n, c, k, qn, qi, qz, an, az, frequencies, short_up, key):
    """``one_zone`` over rows counted on the side ``short_up`` says, batched by truncation
    bucket; each distinct distribution (``key``) built once, truncated at the largest of its
    rows' thresholds."""
    threshold = np.where(short_up, k, c - k + 1).astype(np.int64)
    if key is None:
        key = distinct_keys(n * (int(c.max()) + 1) + c, qn, qi, qz)
    if key is None:  # every row its own distribution
        which = first = np.arange(k.size)
    else:
        which, first = _first_rows(key * 2 + short_up)
    if first.size == which.size:
        size = threshold[first]
    else:  # the largest threshold of each distribution's rows
        size = np.zeros(first.size, dtype=np.int64)
        np.maximum.at(size, which, threshold)
    bucket = bucket_sizes(size) * 2 + short_up[first]
    out = [np.empty(k.size) for _ in range(2 if frequencies is None else 3)]
    row_bucket = bucket[which]
    for value in np.unique(bucket):
        size = int(value // 2)
        dists = np.flatnonzero(bucket == value)
        rows = np.flatnonzero(row_bucket == value)
        local = np.empty(first.size, dtype=np.int64)
        local[dists] = np.arange(dists.size)
        # Pieces of about 2 MB per distribution array keep the working set in cache.
        piece = max(1, _PIECE_ENTRIES // (size + 1))
        row_piece = local[which[rows]] // piece
        order = np.argsort(row_piece, kind="stable") if dists.size > piece else None
        bounds = (
            np.searchsorted(row_piece[order], np.arange(dists.size // piece + 2))
            if order is not None
            else np.array([0, rows.size])
        )
        for p in range(len(bounds) - 1):
            part = rows if order is None else rows[order[bounds[p] : bounds[p + 1]]]
            if not part.size:
                continue
            reps = first[dists[p * piece : (p + 1) * piece]]
            result = one_zone(
                n[reps],
                c[reps],
                qn[reps],
                qi[reps],
                qz[reps],
                threshold[part],
                size,
                bool(value % 2),
                None if an is None else an[reps],
                None if az is None else az[reps],
                None if frequencies is None else tuple(f[part] for f in frequencies),
                which=local[which[part]] - p * piece,
            )
            for target, values in zip(out, result, strict=True):
                target[part] = values
    return tuple(out)


_PIECE_ENTRIES = 1 << 18


def _first_rows(codes):
    """(dense codes 0 … u − 1, the first row of each) for integer codes."""
    which, uniques = pd.factorize(codes)
    first = np.empty(len(uniques), dtype=np.int64)
    first[which[::-1]] = np.arange(which.size - 1, -1, -1)
    return which.astype(np.int64, copy=False), first
