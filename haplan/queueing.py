r"""Erlang B and C, and the M/M/c queue: wait probability, mean and percentile waits and
response times.

Requests arrive as a Poisson stream of rate λ [1/s] to ``servers`` identical instances, each
serving at rate μ [1/s] with exponential service times, one shared FCFS queue (the pool behind
a balancer that hands a request to the first free instance). The offered load is a = λ/μ
[Erlang] and the utilisation ρ = a/c. Times are returned in seconds when rates are per second
(any consistent time unit works).

Numerics: Erlang B is evaluated in closed form as the truncated-Poisson ratio
B(c, a) = P(X = c) / P(X ≤ c), X ~ Poisson(a), in log space (Loader's saddle-point form of the
Poisson probability and the regularised upper incomplete gamma function), so mixed server
counts from 1 to 10⁶ in one array cost the same per element and never overflow. Where
P(X ≤ c) underflows (heavy overload) a short series for 1/B takes over.

An overloaded queue (λ ≥ c·μ, equivalently a ≥ c) has no steady state: waits, response times
and their quantiles are ``inf`` and the wait probability is 1, per element, so a sweep with some
overloaded rows still completes; :func:`is_overloaded` flags those rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from haplan._numeric import check_range, restore

__all__ = [
    "erlang_b",
    "erlang_c",
    "is_overloaded",
    "mmc_wait_probability",
    "mmc_mean_wait",
    "mmc_mean_response",
    "mmc_wait_cdf",
    "mmc_response_cdf",
    "mmc_wait_quantile",
    "mmc_response_quantile",
    "mmc_summary",
    "erlang_b_and_c",
    "exponential_quantile",
    "sojourn_quantile",
    "solve_decreasing",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Below this P(X <= c) the log of the incomplete gamma function loses digits (subnormals):
# the series for 1/B is used instead (it converges fast there because a >> c).
_LOG_CDF_FLOOR = math.log(1e-280)
# Where log P(X > c) is below this, log P(X <= c) is 0 to double precision (see _log_erlang_b).
_LOG_TAIL_NEGLIGIBLE = -42.0
# Where C ≤ this × (1 − q), the q-quantile of the response time is the service quantile.
_NEGLIGIBLE_WAIT = 2.0**-56
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


# --------------------------------------------------------------------------------------------
# M/M/c
# --------------------------------------------------------------------------------------------


class _Queue:
    """Validated, broadcast M/M/c parameters as flat arrays, with Erlang C evaluated once."""

    def __init__(self, arrival_rate, service_rate, servers, *extra):
        lam = check_range("arrival_rate", arrival_rate, low=0)
        mu = check_range("service_rate", service_rate, low=0, low_open=True)
        c = _servers(servers)
        arrays = np.broadcast_arrays(lam, mu, c, *extra)
        self.shape = arrays[0].shape
        self.lam, self.mu, self.c = (x.ravel().astype(float) for x in arrays[:3])
        self.extra = [x.ravel().astype(float) for x in arrays[3:]]
        self.load = self.lam / self.mu
        self.overloaded = self.load >= self.c
        _, self.wait_probability, self.no_wait_probability = _erlang_b_and_c(self.c, self.load)
        with np.errstate(invalid="ignore"):
            # c·μ − λ > 0 where stable; meaningless (and unused) where overloaded
            self.drain_rate = np.where(self.overloaded, 0.0, self.c * self.mu - self.lam)


def is_overloaded(arrival_rate, service_rate, servers):
    r"""Flag rows where the queue has no steady state: λ ≥ c·μ (utilisation ρ ≥ 1).

    Parameters
    ----------
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, requests one server completes per unit time when busy [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        ``True`` where λ/μ ≥ c [bool]; a bool, bool ndarray or bool Series.

    Notes
    -----
    These are the rows where this module returns ``inf`` waits and quantiles and a wait
    probability of 1. c = 0 is always overloaded.

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, section 3.5.
    """
    queue = _Queue(arrival_rate, service_rate, servers)
    return restore(queue.overloaded.reshape(queue.shape), arrival_rate, service_rate, servers)


def mmc_wait_probability(arrival_rate, service_rate, servers):
    r"""Probability that a request waits for a server in an M/M/c queue (Erlang C).

    Parameters
    ----------
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        P(W > 0) = C(c, λ/μ) [probability]; 1 where overloaded; same kind as the inputs.

    Notes
    -----
    See :func:`erlang_c`. By PASTA an arrival sees the time-stationary state, so this is also
    the long-run share of time all servers are busy.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
       Theory*, 4th ed., Wiley, 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers)
    result = queue.wait_probability.reshape(queue.shape)
    return restore(result, arrival_rate, service_rate, servers)


def mmc_mean_wait(arrival_rate, service_rate, servers):
    r"""Mean time a request waits in the queue of an M/M/c system, before service starts.

    Parameters
    ----------
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        E[W] [s]; ``inf`` where overloaded; same kind as the inputs.

    Notes
    -----
    .. math:: E[W] = \frac{C(c, \lambda/\mu)}{c\mu - \lambda}

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers)
    result = np.full_like(queue.lam, np.inf)
    ok = ~queue.overloaded
    result[ok] = queue.wait_probability[ok] / queue.drain_rate[ok]
    return restore(result.reshape(queue.shape), arrival_rate, service_rate, servers)


def mmc_mean_response(arrival_rate, service_rate, servers):
    r"""Mean response (sojourn) time of an M/M/c system: queueing wait plus service.

    Parameters
    ----------
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        E[T] = E[W] + 1/μ [s]; ``inf`` where overloaded; same kind as the inputs.

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers)
    result = _mean_response(queue)
    return restore(result.reshape(queue.shape), arrival_rate, service_rate, servers)


def mmc_wait_cdf(time, arrival_rate, service_rate, servers):
    r"""Share of requests that start service within ``time``: P(W ≤ t) in an M/M/c queue.

    Parameters
    ----------
    time : numeric
        t, waiting-time threshold [s], ≥ 0.
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        P(W ≤ t) [probability]; 0 where overloaded (the queue grows without bound, so in the
        long run no request starts within a finite t); same kind as the inputs.

    Notes
    -----
    .. math:: P(W \le t) = 1 - C\, e^{-(c\mu - \lambda) t}

    evaluated as :math:`(1 - C) - C\,\mathrm{expm1}(-(c\mu-\lambda)t)` so both terms are
    positive. This is the call-centre "service level" (share answered within t).

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers, check_range("time", time, low=0))
    (t,) = queue.extra
    result = np.zeros_like(t)
    ok = ~queue.overloaded
    result[ok] = queue.no_wait_probability[ok] - queue.wait_probability[ok] * np.expm1(
        -queue.drain_rate[ok] * t[ok]
    )
    return restore(result.reshape(queue.shape), time, arrival_rate, service_rate, servers)


def _sojourn_log_sf(t, wait_probability, wait_rate, service_rate, no_wait_probability):
    """log P(T > t) and d/dt log P(T > t) for T = W + S.

    W is 0 with probability 1 − C, else Exp(θ); S ~ Exp(μ). With m = min(μ, θ),
    φ(x) = (1 − e^{−x})/x, E = e^{−(μ − m)t} and Y = C μ t φ(|θ − μ| t),

        P(T > t) = e^{−mt} (E + Y)
        f(t)     = e^{−mt} ((1 − C) μ E + θ Y)

    All terms are positive and the factor e^{−mt} stays in log space, so nothing overflows;
    log(E + Y) is taken as log1p((E − 1) + Y) so that small t (q near 0) keeps full relative
    accuracy; θ = μ is the limit φ = 1, no special branch needed. E + Y underflows only where
    P(T > t) is below the smallest double anyway (log → −inf).
    """
    mu, theta = service_rate, wait_rate
    m = np.minimum(mu, theta)
    gap = np.abs(theta - mu) * t
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        phi = np.where(gap > 0, -np.expm1(-gap) / gap, 1.0)
        decay_minus_one = np.expm1((m - mu) * t)
        mixed = wait_probability * mu * t * phi
        bracket_minus_one = decay_minus_one + mixed  # log1p keeps small t (small q) exact
        log_sf = np.log1p(bracket_minus_one) - m * t
        hazard = (no_wait_probability * mu * (1.0 + decay_minus_one) + theta * mixed) / (
            1.0 + bracket_minus_one
        )
    return log_sf, -hazard


def solve_decreasing(
    func: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    start: np.ndarray | None = None,
    rtol: float = 1e-13,
    max_iter: int = 200,
) -> np.ndarray:
    """Root of a decreasing function per row: vectorised, safeguarded Newton in a bracket.

    A numerical kernel shared by this module's quantiles and :mod:`haplan.balancing`: it
    works on flat float arrays the caller has validated (no range check, no kind restored).

    Parameters
    ----------
    func : callable
        ``func(x, rows) -> (g, g_prime)``: the function g and its derivative at ``x`` [any
        unit] for the rows of the original arrays given by the integer index array ``rows``
        (``x`` holds only those rows). g must be decreasing in x with g(lower) ≥ 0 ≥ g(upper).
    lower, upper : numpy.ndarray
        Bracket per row [unit of x], 1-D, lower ≤ upper.
    start : numpy.ndarray, optional
        First iterate per row [unit of x]; default ``lower``; clipped into the bracket.
    rtol : float, default 1e-13
        Relative tolerance on x [dimensionless]: a row stops when a step or its bracket is
        below ``rtol`` times x.
    max_iter : int, default 200
        Iteration cap [count].

    Returns
    -------
    numpy.ndarray
        The root per row [unit of x].

    Notes
    -----
    Newton steps that leave the current bracket are replaced by bisection, so each row
    converges (quadratically near the root, never slower than bisection); each row stops on
    its own, and the working arrays shrink to the rows still running. This is the safeguarded
    Newton–bisection hybrid of [1]_ (``rtsafe``).

    References
    ----------
    .. [1] W. H. Press, S. A. Teukolsky, W. T. Vetterling and B. P. Flannery, *Numerical
       Recipes*, 3rd ed., Cambridge University Press, 2007, section 9.4.
    """
    lo = np.array(lower, dtype=float)
    hi = np.array(upper, dtype=float)
    x = lo.copy() if start is None else np.clip(start, lo, hi)
    result = x.copy()
    rows = np.arange(x.size)
    for _ in range(max_iter):
        if rows.size == 0:
            break
        g, slope = func(x, rows)
        lo = np.where(g > 0, x, lo)
        hi = np.where(g < 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = x - g / slope
        new = np.where((new > lo) & (new < hi), new, 0.5 * (lo + hi))
        root = g == 0
        new[root] = x[root]
        done = (np.abs(new - x) <= rtol * np.abs(new)) | root | (hi - lo <= rtol * hi)
        result[rows] = new
        running = ~done
        x, lo, hi, rows = new[running], lo[running], hi[running], rows[running]
    return result


def exponential_quantile(q, rate):
    r"""Quantile of an exponential distribution, −log(1 − q)/rate.

    A numerical kernel (no range check, no kind restored), shared with
    :mod:`haplan.balancing`.

    Parameters
    ----------
    q : numpy.ndarray or float
        Quantile level [probability], in [0, 1).
    rate : numpy.ndarray or float
        Rate of the exponential distribution [1/s, or 1/any time unit], > 0.

    Returns
    -------
    numpy.ndarray or float
        :math:`t_q = -\log(1 - q)/\text{rate}` [s, or the time unit of 1/rate], computed with
        ``log1p`` so that small q keeps its digits.

    References
    ----------
    .. [1] S. M. Ross, *Introduction to Probability Models*, 12th ed., Academic Press, 2019,
       §5.2 (the exponential distribution).
    """
    return -np.log1p(-q) / rate


def _wait_quantile(q, wait_probability, wait_rate):
    """Quantile of W: 0 with probability 1 − C, else Exp(θ)."""
    with np.errstate(divide="ignore"):
        value = (np.log(wait_probability) - np.log1p(-q)) / wait_rate
    return np.maximum(value, 0.0)


def sojourn_quantile(q, wait_probability, no_wait_probability, wait_rate, service_rate):
    r"""Quantile of a response time T = W + S: a wait that is 0 or exponential, plus service.

    The M/M/c response time has this form (W = 0 with probability 1 − C, else Exp(θ) with
    θ = cμ − λ; S ~ Exp(μ)), and so do the dispatching models of :mod:`haplan.balancing`. A
    numerical kernel on flat float arrays of equal length, for stable rows only (θ > 0); no
    range check, no kind restored.

    Parameters
    ----------
    q : numpy.ndarray
        Quantile level [probability], in [0, 1).
    wait_probability : numpy.ndarray
        C = P(W > 0) [probability], in [0, 1].
    no_wait_probability : numpy.ndarray
        1 − C [probability], passed separately so that it keeps its digits when C ≈ 1.
    wait_rate : numpy.ndarray
        θ, rate of the exponential wait of a request that waits [1/s], > 0.
    service_rate : numpy.ndarray
        μ, service rate [1/s], > 0.

    Returns
    -------
    numpy.ndarray
        t with P(T ≤ t) = q [s, or the time unit of 1/rate].

    Notes
    -----
    P(T > t) = e^{−mt}(E + Y) with m = min(μ, θ) (see ``_sojourn_log_sf``), solved for
    log P(T > t) = log(1 − q) by :func:`solve_decreasing` between the wait's and the sum of
    the two halves' quantiles. Where C ≤ 2⁻⁵⁶ (1 − q) the wait moves the quantile of S by less
    than 2⁻⁵⁶ relative, so the service quantile −log(1 − q)/μ is returned as it is. Elsewhere
    Newton starts from the quantile of the dominant exponential term of P(T > t); most rows
    need 1–3 steps, rows with θ ≈ μ up to 5.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris, *Fundamentals of
       Queueing Theory*, 4th ed., Wiley, 2008, section 2.3 (M/M/c waiting and response time
       distributions).
    """
    result = exponential_quantile(q, service_rate)
    rows = np.flatnonzero(wait_probability > _NEGLIGIBLE_WAIT * (1.0 - q))
    if rows.size == 0:
        return result
    q, cw, no_wait, theta, mu = (
        x[rows] for x in (q, wait_probability, no_wait_probability, wait_rate, service_rate)
    )
    log_target = np.log1p(-q)
    half = 0.5 * (1.0 + q)  # P(W > w) ≤ (1−q)/2 and P(S > s) ≤ (1−q)/2 give T ≤ w + s
    lower = np.maximum(_wait_quantile(q, cw, theta), result[rows])
    upper = _wait_quantile(half, cw, theta) + exponential_quantile(half, mu)
    # P(T > t) → K e^{−mt}: K = Cμ/(μ − θ), m = θ if θ < μ; K = 1 + Cμ/(θ − μ), m = μ if θ > μ
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = cw * mu / (theta - mu)
        start = np.where(
            theta < mu, (np.log(-ratio) - log_target) / theta, (np.log1p(ratio) - log_target) / mu
        )
    start = np.where(np.isfinite(start), start, lower)

    def residual(t, active):
        log_sf, slope = _sojourn_log_sf(t, cw[active], theta[active], mu[active], no_wait[active])
        return log_sf - log_target[active], slope

    result[rows] = solve_decreasing(residual, lower, upper, start=start)
    return result


def _mean_response(queue: _Queue) -> np.ndarray:
    """E[T] = C/(cμ − λ) + 1/μ per flat row; ``inf`` where overloaded."""
    result = np.full_like(queue.lam, np.inf)
    ok = ~queue.overloaded
    result[ok] = queue.wait_probability[ok] / queue.drain_rate[ok] + 1.0 / queue.mu[ok]
    return result


def _response_quantile(queue: _Queue, level: np.ndarray) -> np.ndarray:
    """Response-time quantile per flat row at quantile levels ``level``; ``inf`` if overloaded."""
    result = np.full_like(level, np.inf)
    ok = ~queue.overloaded
    result[ok] = sojourn_quantile(
        level[ok],
        queue.wait_probability[ok],
        queue.no_wait_probability[ok],
        queue.drain_rate[ok],
        queue.mu[ok],
    )
    return result


def mmc_response_cdf(time, arrival_rate, service_rate, servers):
    r"""Share of requests completed within ``time`` of arrival: P(T ≤ t) in an M/M/c queue.

    Parameters
    ----------
    time : numeric
        t, response-time threshold [s], ≥ 0.
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        P(T ≤ t) [probability]; 0 where overloaded; same kind as the inputs.

    Notes
    -----
    T = W + S with W the FCFS wait (0 with probability 1 − C, else exponential with rate
    θ = cμ − λ) and S ~ Exp(μ) independent of W. With m = min(μ, θ) and
    φ(x) = (1 − e^{−x})/x,

    .. math:: P(T > t) = e^{-\mu t} + C\,\mu t\, e^{-m t}\,\varphi(|\theta - \mu|\, t)

    which equals the textbook mixture
    :math:`(1-C)e^{-\mu t} + C\,(\theta e^{-\mu t} - \mu e^{-\theta t})/(\theta - \mu)` and its
    limit :math:`(1 - C)e^{-\mu t} + C (1 + \mu t) e^{-\mu t}` at θ = μ (cμ − λ = μ), but has
    no cancellation near θ = μ. Returned as −expm1(log P(T > t)).

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3
       (sojourn-time distribution of M/M/c, including the case cμ − λ = μ).
    """
    queue = _Queue(arrival_rate, service_rate, servers, check_range("time", time, low=0))
    (t,) = queue.extra
    result = np.zeros_like(t)
    ok = ~queue.overloaded
    log_sf, _ = _sojourn_log_sf(
        t[ok],
        queue.wait_probability[ok],
        queue.drain_rate[ok],
        queue.mu[ok],
        queue.no_wait_probability[ok],
    )
    result[ok] = -np.expm1(log_sf)
    return restore(result.reshape(queue.shape), time, arrival_rate, service_rate, servers)


def _quantile_level(q):
    return check_range("q", q, low=0, high=1, high_open=True)


def mmc_wait_quantile(q, arrival_rate, service_rate, servers):
    r"""q-quantile of the queueing wait W in an M/M/c queue (e.g. q = 0.99 for p99).

    Parameters
    ----------
    q : numeric
        Quantile level [probability], 0 ≤ q < 1.
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        w_q [s]: 0 when 1 − q ≥ C (more than a share q of requests do not wait at all),
        ``inf`` where overloaded; same kind as the inputs.

    Notes
    -----
    .. math:: w_q = \max\left(0, \frac{\ln C - \ln(1 - q)}{c\mu - \lambda}\right)

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers, _quantile_level(q))
    (level,) = queue.extra
    result = np.full_like(level, np.inf)
    ok = ~queue.overloaded
    result[ok] = _wait_quantile(level[ok], queue.wait_probability[ok], queue.drain_rate[ok])
    return restore(result.reshape(queue.shape), q, arrival_rate, service_rate, servers)


def mmc_response_quantile(q, arrival_rate, service_rate, servers):
    r"""q-quantile of the response (sojourn) time T = W + S in an M/M/c queue (p99: q = 0.99).

    Parameters
    ----------
    q : numeric
        Quantile level [probability], 0 ≤ q < 1.
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.

    Returns
    -------
    numeric
        t_q with P(T ≤ t_q) = q [s]; ``inf`` where overloaded; same kind as the inputs.

    Notes
    -----
    The exact sojourn-time distribution (see :func:`mmc_response_cdf`) is inverted
    numerically: a vectorised Newton iteration on log P(T > t) = log(1 − q), safeguarded by the
    bracket max(w_q, s_q) ≤ t_q ≤ w_{(1+q)/2} + s_{(1+q)/2} (w, s the wait and service
    quantiles; the upper bound is the union bound), to 1e-13 relative. Newton starts at the
    quantile of the dominant exponential term of P(T > t), so most rows need 1–3 steps; where
    C ≤ 2⁻⁵⁶ (1 − q) the result is the service quantile −ln(1 − q)/μ (the wait moves it by less
    than a rounding). It is **not** the sum of the wait and service quantiles, which overstates
    t_q.

    References
    ----------
    .. [1] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3.
    """
    queue = _Queue(arrival_rate, service_rate, servers, _quantile_level(q))
    result = _response_quantile(queue, queue.extra[0])
    return restore(result.reshape(queue.shape), q, arrival_rate, service_rate, servers)


def mmc_summary(arrival_rate, service_rate, servers, q=0.99) -> dict:
    r"""Wait probability, mean and q-quantile response time of an M/M/c queue in one pass.

    The same numbers as :func:`mmc_wait_probability`, :func:`mmc_mean_response` and
    :func:`mmc_response_quantile` (identical code paths), with Erlang C evaluated once per row
    instead of three times; use it for large sweeps.

    Parameters
    ----------
    arrival_rate : numeric
        λ, request arrival rate [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one server [1/s], > 0.
    servers : numeric
        c, number of servers [count], a whole number ≥ 0.
    q : numeric
        Quantile level of the response time [probability], 0 ≤ q < 1; default 0.99 (p99).

    Returns
    -------
    dict
        ``"wait_probability"``: P(W > 0) = C(c, λ/μ) [probability], 1 where overloaded;
        ``"mean_response_s"``: E[T] = C/(cμ − λ) + 1/μ [s], ``inf`` where overloaded;
        ``"response_quantile_s"``: t_q with P(T ≤ t_q) = q [s], ``inf`` where overloaded;
        ``"overloaded"``: λ ≥ cμ [bool]. Each value has the broadcast shape and kind of the
        inputs (float/bool, ndarray or Series).

    Notes
    -----
    Erlang C as in :func:`erlang_c` (log-space Erlang B, exact for c up to 10⁶); the mean
    from Little's law; the quantile by inverting the exact sojourn-time distribution (see
    :func:`mmc_response_quantile`). Rows whose wait probability is below 2⁻⁵⁶ (1 − q) get the
    service quantile −ln(1 − q)/μ directly (the wait changes it by less than one rounding);
    the others need 1–3 Newton steps from the quantile of the dominant exponential term. About
    0.3–0.5 s per 10⁶ mixed rows with c up to 10⁵ on one core (``benchmarks/bench_queueing.py``).

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
       Theory*, 4th ed., Wiley, 2008, section 2.3.
    .. [2] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, section 3.5.
    """
    queue = _Queue(arrival_rate, service_rate, servers, _quantile_level(q))
    columns = {
        "wait_probability": queue.wait_probability,
        "mean_response_s": _mean_response(queue),
        "response_quantile_s": _response_quantile(queue, queue.extra[0]),
        "overloaded": queue.overloaded,
    }
    inputs = (arrival_rate, service_rate, servers, q)
    return {k: restore(v.reshape(queue.shape), *inputs) for k, v in columns.items()}
