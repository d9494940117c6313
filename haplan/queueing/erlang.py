r"""Erlang B and C, evaluated in log space for server counts up to 10⁶.

Erlang B is the truncated-Poisson ratio B(c, a) = P(X = c) / P(X ≤ c), X ~ Poisson(a): the
Poisson probability in Loader's saddle-point form, P(X ≤ c) from the regularised upper
incomplete gamma function, and a short series for 1/B where P(X ≤ c) underflows (heavy
overload). Erlang C and 1 − C follow from B without cancellation. Also the ``servers``
validation shared by the M/M/c functions.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from haplan._numeric import check_range, restore

__all__ = ["erlang_b", "erlang_c", "erlang_b_and_c"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Below this P(X <= c) the log of the incomplete gamma function loses digits (subnormals):
# the series for 1/B is used instead (it converges fast there because a >> c).
_LOG_CDF_FLOOR = math.log(1e-280)
# Where log P(X > c) is below this, log P(X <= c) is 0 to double precision (see _log_erlang_b).
_LOG_TAIL_NEGLIGIBLE = -42.0
# stirlerr(n) for n = 1..15, where the series in _stirling_error is not yet accurate; index 0
# unused. Loader (2000) tabulates these (R's nmath/stirlerr.c, sferr_halves); recomputed here
# with 40-digit mpmath and rounded to double (see tests).
_STIRLING_ERROR_TABLE = np.array(
    [
        math.nan,
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ]
)


# --------------------------------------------------------------------------------------------
# Log-space Poisson probability (Loader 2000)
# --------------------------------------------------------------------------------------------


def _stirling_error(n: np.ndarray) -> np.ndarray:
    """log(n!) − [(n + ½) log n − n + ½ log 2π] for whole n ≥ 1 (Loader 2000, ``stirlerr``)."""
    nn = n * n
    s0, s1, s2, s3, s4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
    out = (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n
    small = np.flatnonzero(n <= 15)
    out[small] = _STIRLING_ERROR_TABLE[n[small].astype(np.intp)]
    return out


def _deviance_term(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x log(x/m) + m − x without cancellation (Loader 2000, ``bd0``); x ≥ 1, m > 0."""
    out = np.empty_like(x)
    diff = x - m
    total = x + m
    near = np.abs(diff) < 0.1 * total
    far = ~near
    xf, mf = x[far], m[far]
    with np.errstate(over="ignore", divide="ignore"):
        log_ratio = np.log(xf / mf)
    # x/m overflows only for subnormal m; there the difference of logs is exact enough
    overflow = np.flatnonzero(np.isinf(log_ratio))
    log_ratio[overflow] = np.log(xf[overflow]) - np.log(mf[overflow])
    out[far] = xf * log_ratio + mf - xf
    v = diff[near] / total[near]
    value = diff[near] * v
    term = 2.0 * x[near] * v
    v2 = v * v
    for j in range(1, 60):  # |v| < 0.1: each term is < 1/100 of the previous one
        term = term * v2
        updated = value + term / (2 * j + 1)
        if np.array_equal(updated, value):
            break
        value = updated
    out[near] = value
    return out


def _poisson_log_pmf(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """log P(X = k), X ~ Poisson(mean), for whole k ≥ 1 and mean > 0, accurate for k ~ 10⁶."""
    return -_stirling_error(k) - _deviance_term(k, mean) - 0.5 * np.log(2.0 * math.pi * k)


# --------------------------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------------------------


def _inverse_b_series(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    """1/B(c, a) = Σ_k c!/((c−k)! a^k); used only where a >> c so few terms are needed."""
    total = np.ones_like(a)
    term = np.ones_like(a)
    active = np.arange(a.size)
    k = 0
    while active.size:
        k += 1
        term[active] *= np.maximum(c[active] - (k - 1), 0.0) / a[active]
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
    return total


def _log_erlang_b(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log B(c, a) for flat float arrays of whole c ≥ 0 and a ≥ 0."""
    out = np.zeros_like(a)  # B(0, a) = 1
    out[(c >= 1) & (a == 0)] = -np.inf
    pos = np.flatnonzero((c >= 1) & (a > 0))
    cc, aa = c[pos], a[pos]
    log_pmf = _poisson_log_pmf(cc, aa)
    # log P(X <= c) = log(1 − P(X > c)), and P(X > c) ≤ p_c · a/(c + 1 − a) for a < c + 1
    # (the terms p_{c+j}/p_c ≤ (a/(c+1))^j sum geometrically). Where that bound is below
    # e^-42 ≈ 6e-19, log P(X <= c) rounds to 0 next to log p_c: skip the incomplete gamma.
    log_cdf = np.zeros_like(aa)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_tail_bound = log_pmf + np.log(aa) - np.log(cc + 1.0 - aa)
    tail = np.flatnonzero(~(log_tail_bound < _LOG_TAIL_NEGLIGIBLE))  # NaN where a ≥ c + 1
    with np.errstate(divide="ignore"):
        log_cdf[tail] = np.log(special.gammaincc(cc[tail] + 1.0, aa[tail]))  # P(X <= c)
    log_b = log_pmf - log_cdf
    deep = np.flatnonzero(~(log_cdf > _LOG_CDF_FLOOR))
    if deep.size:
        log_b[deep] = -np.log(_inverse_b_series(cc[deep], aa[deep]))
    out[pos] = np.minimum(log_b, 0.0)
    return out


def _erlang_b_and_c(c: np.ndarray, a: np.ndarray):
    """(B, C, 1 − C) for flat arrays; C = 1 and 1 − C = 0 where a ≥ c."""
    b = np.exp(_log_erlang_b(c, a))
    over = a >= c
    with np.errstate(divide="ignore", invalid="ignore"):  # only in rows replaced below
        rho = a / c
        slack = (c - a) / c  # 1 − ρ, > 0 where not overloaded
        denominator = slack + rho * b
        wait = b / denominator
        no_wait = slack * (1.0 - b) / denominator  # 1 − C without cancellation
    wait[over] = 1.0
    no_wait[over] = 0.0
    return b, wait, no_wait


def _servers(servers):
    return check_range("servers", servers, low=0, integer=True)


def erlang_b(servers, offered_load):
    r"""Erlang B: blocking probability of c servers with no queue (M/M/c/c) at offered load a.

    Parameters
    ----------
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.
    offered_load : numeric
        a = λ/μ, offered traffic [Erlang], ≥ 0.

    Returns
    -------
    numeric
        B(c, a) in [0, 1] [probability]; same kind as the inputs (float, ndarray or Series).
        B(0, a) = 1; B(c, 0) = 0 for c ≥ 1.

    Notes
    -----
    .. math:: B(c, a) = \frac{a^c / c!}{\sum_{k=0}^{c} a^k / k!}
              = \frac{P(X = c)}{P(X \le c)}, \quad X \sim \mathrm{Poisson}(a)

    evaluated as :math:`\exp(\log p_c - \log Q(c+1, a))` with :math:`p_c` from Loader's
    saddle-point form (no factorials, no cancellation for c ~ 10⁶) and Q the regularised upper
    incomplete gamma function. Where :math:`P(X \le c) < 10^{-280}` (a far above c) the series
    :math:`1/B = \sum_k c!/((c-k)!\,a^k)` is summed instead; it converges geometrically there.
    Where the bound :math:`P(X > c) \le p_c\, a/(c + 1 - a)` is below e⁻⁴², Q rounds to 1
    and is not evaluated. Each element costs the same whatever c is, so arrays of mixed server
    counts need no loop up to max(c). Agrees with a 50-digit mpmath evaluation to 1e-9
    relative or better for c up to 10⁶ (see the tests).

    References
    ----------
    .. [1] A. K. Erlang, "Solution of some problems in the theory of probabilities of
       significance in automatic telephone exchanges", Elektroteknikeren 13, 1917.
    .. [2] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, section 3.7 (M/M/m/m).
    .. [3] C. Loader, "Fast and accurate computation of binomial probabilities", 2000.
    """
    c = _servers(servers)
    a = check_range("offered_load", offered_load, low=0)
    cb, ab = np.broadcast_arrays(c, a)
    result = np.exp(_log_erlang_b(cb.ravel(), ab.ravel())).reshape(cb.shape)
    return restore(result, servers, offered_load)


def erlang_c(servers, offered_load):
    r"""Erlang C: probability that an arrival waits in an M/M/c queue at offered load a.

    Parameters
    ----------
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.
    offered_load : numeric
        a = λ/μ, offered traffic [Erlang], ≥ 0.

    Returns
    -------
    numeric
        C(c, a) in [0, 1] [probability]; 1 where a ≥ c (overloaded: every arrival waits);
        same kind as the inputs.

    Notes
    -----
    From Erlang B with ρ = a/c < 1:

    .. math:: C(c, a) = \frac{B}{1 - \rho + \rho B}

    (every term positive, no cancellation). C ≥ B always. B itself is evaluated in log space
    (see :func:`erlang_b`), so c up to 10⁶ is exact and finite.

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, section 3.5 (M/M/m).
    .. [2] M. Harchol-Balter, *Performance Modeling and Design of Computer Systems*,
       Cambridge University Press, 2013, chapter 14.
    """
    c = _servers(servers)
    a = check_range("offered_load", offered_load, low=0)
    cb, ab = np.broadcast_arrays(c, a)
    _, wait, _ = _erlang_b_and_c(cb.ravel(), ab.ravel())
    return restore(wait.reshape(cb.shape), servers, offered_load)


def erlang_b_and_c(servers, offered_load):
    r"""Erlang B, Erlang C and 1 − C from one evaluation, the last without cancellation.

    Parameters
    ----------
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.
    offered_load : numeric
        a = λ/μ, offered traffic [Erlang], ≥ 0.

    Returns
    -------
    tuple of numeric
        ``(B, C, 1 − C)`` [probabilities]: the blocking probability of :func:`erlang_b`, the
        wait probability of :func:`erlang_c` and the probability of not waiting; C = 1 and
        1 − C = 0 where a ≥ c. Each has the kind of the inputs.

    Notes
    -----
    With ρ = a/c < 1 and d = 1 − ρ + ρB (every term positive):
    :math:`C = B/d` and :math:`1 - C = (1 - \rho)(1 - B)/d`, so 1 − C keeps its digits when
    C is close to 1 (a model that needs P(no wait), such as the join-the-shortest-queue
    approximation in :mod:`haplan.balancing`, uses it directly).

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, sections 3.5 and
       3.7 (M/M/m, M/M/m/m).
    """
    c = _servers(servers)
    a = check_range("offered_load", offered_load, low=0)
    cb, ab = np.broadcast_arrays(c, a)
    b, wait, no_wait = _erlang_b_and_c(cb.ravel(), ab.ravel())
    return tuple(restore(x.reshape(cb.shape), servers, offered_load) for x in (b, wait, no_wait))
