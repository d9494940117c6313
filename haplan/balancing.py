r"""Response time behind a load balancer, per balancing strategy.

A balancer receives a Poisson stream of requests of rate λ [1/s] and dispatches each one
immediately to one of c instances; every instance has its own FCFS queue and serves with
exponential service times of rate μ [1/s]. Unlike :mod:`haplan.queueing` (one shared queue,
M/M/c) a request cannot move to another instance once dispatched, so how it is dispatched
matters. The strategies:

=====================  ==========================================================  ===========
strategy               model                                                       mean / tail
=====================  ==========================================================  ===========
``round_robin``        E_c/M/1 at each instance (Erlang-c interarrival times)      exact/exact
``random``             M/M/1 at each instance with rate λ/c                        exact/exact
``weighted``           weighted random over instances of different capacity        exact/exact
``least_connections``  join-the-shortest-queue, Nelson & Philips approximation     approx.
``power_of_two``       two random choices, mean-field (supermarket) model          approx.
=====================  ==========================================================  ===========

The article names round robin, random and weighted balancing; least connections (JSQ) and
power of two choices are what modern proxies (HAProxy ``leastconn``, NGINX
``random two least_conn``, Envoy ``LEAST_REQUEST``) actually offer. For all strategies the
per-instance utilisation is ρ = λ/(cμ); an overloaded pool (ρ ≥ 1) gives ``inf``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from haplan import queueing
from haplan._numeric import check_range, restore
from haplan.queueing import exponential_quantile, sojourn_quantile, solve_decreasing

__all__ = ["STRATEGIES", "wait_probability", "mean_response_time", "response_time_quantile"]

#: Balancing strategies understood by :func:`mean_response_time` and
#: :func:`response_time_quantile`.
STRATEGIES = ("round_robin", "random", "weighted", "least_connections", "power_of_two")


def _check_strategy(strategy, weights):
    if strategy not in STRATEGIES:
        raise ValueError(
            f"strategy={strategy!r} is not valid: must be one of {', '.join(STRATEGIES)}"
        )
    if weights is not None and strategy != "weighted":
        raise ValueError(
            f"weights is only used by strategy='weighted', not strategy={strategy!r}; "
            "pass weights=None"
        )


class _Pool:
    """Validated flat arrays of λ, μ, c (and q), with ρ and the overload mask."""

    def __init__(self, arrival_rate, service_rate, servers, *extra, lead_shape=()):
        lam = check_range("arrival_rate", arrival_rate, low=0)
        mu = check_range("service_rate", service_rate, low=0, low_open=True)
        c = check_range("servers", servers, low=1, integer=True)
        shapes = (lam.shape, mu.shape, c.shape, lead_shape, *(e.shape for e in extra))
        shape = self.shape = np.broadcast_shapes(*shapes)
        self.lam, self.mu, self.c, *rest = (
            np.broadcast_to(x, shape).ravel().astype(float) for x in (lam, mu, c, *extra)
        )
        self.extra = rest
        self.rho = self.lam / (self.c * self.mu)
        self.overloaded = self.rho >= 1.0
        self.ok = ~self.overloaded


# --------------------------------------------------------------------------------------------
# round robin: E_c/M/1
# --------------------------------------------------------------------------------------------


def _round_robin_log_sigma(lam, mu, c):
    r"""u = −ln σ where σ ∈ (0, 1) solves σ = (λ / (λ + μ(1 − σ)))^c; stable rows, λ > 0.

    Solved for u: F(u) = c·ln(1 + μ(1 − e^{−u})/λ) − u = 0. F is decreasing on the bracket
    [−ln σ_max, c·ln(1 + μ/λ)], σ_max = (λ + μ)/((c + 1)μ) the maximiser of the concave
    ln σ − c ln(λ/(λ + μ(1 − σ))), whose other zero is the trivial σ = 1.
    """
    tau_min = (c * mu - lam) / ((c + 1.0) * mu)  # 1 − σ_max, > 0 when ρ < 1
    lower = -np.log1p(-tau_min)
    upper = c * np.log1p(mu / lam)

    def residual(u, rows):
        tau = -np.expm1(-u)
        ratio = mu[rows] / lam[rows]
        value = c[rows] * np.log1p(ratio * tau) - u
        slope = c[rows] * ratio * np.exp(-u) / (1.0 + ratio * tau) - 1.0
        return value, slope

    return solve_decreasing(residual, lower, upper)


def _round_robin_sigma(pool):
    """(σ, 1 − σ) of the E_c/M/1 queue at each instance, for the stable rows of ``pool``."""
    lam, mu, c = pool.lam[pool.ok], pool.mu[pool.ok], pool.c[pool.ok]
    u = np.full_like(lam, np.inf)  # λ = 0: σ = 0
    with np.errstate(divide="ignore"):
        log_ratio = np.log(mu) - np.log(lam)
    # σ → (λ/μ)^c as λ/μ → 0, to relative O(σ); used where μ/λ would overflow
    tiny = (lam > 0) & (log_ratio > 600.0)
    u[tiny] = c[tiny] * log_ratio[tiny]
    busy = (lam > 0) & ~tiny
    u[busy] = _round_robin_log_sigma(lam[busy], mu[busy], c[busy])
    return np.exp(-u), -np.expm1(-u)


def _round_robin_rate(pool):
    """Rate μ(1 − σ) of the exponential response time under round robin (stable rows)."""
    return pool.mu[pool.ok] * _round_robin_sigma(pool)[1]


# --------------------------------------------------------------------------------------------
# least connections: Nelson & Philips
# --------------------------------------------------------------------------------------------


def _jsq_wait_parameters(pool):
    """(P(wait), 1 − P(wait), conditional wait rate) of the Nelson–Philips JSQ model."""
    lam, mu, c, rho = (x[pool.ok] for x in (pool.lam, pool.mu, pool.c, pool.rho))
    _, wait, no_wait = queueing.erlang_b_and_c(c, lam / mu)
    with np.errstate(divide="ignore"):
        one_minus_rho_c = -np.expm1(c * np.log(rho))  # 1 − ρ^c, = 1 at ρ = 0
    return wait, no_wait, mu * one_minus_rho_c


# --------------------------------------------------------------------------------------------
# power of two choices: mean-field supermarket model
# --------------------------------------------------------------------------------------------


def _power_of_two_mean(rho, mu):
    r"""(1/μ) Σ_{i≥1} ρ^{2^i − 2} for ρ < 1 (Mitzenmacher 2001, d = 2)."""
    with np.errstate(divide="ignore"):
        log_rho = np.log(rho)
    total = np.ones_like(rho)
    rows = np.flatnonzero(rho > 0)
    i = 1
    while rows.size and i < 1100:
        i += 1
        term = np.exp((2.0**i - 2.0) * log_rho[rows])
        total[rows] += term
        rows = rows[term > 1e-17 * total[rows]]
    return total / mu


def _power_of_two_queue_probabilities(rho, levels):
    """P(an arrival joins a queue holding k requests), k = 0..levels−1, mean-field d = 2.

    s_k = ρ^{2^k − 1} is the share of queues with ≥ k requests; the arrival samples two and
    joins the shorter, so P(join k) = s_k² − s_{k+1}² = ρ^{2^{k+1} − 2} (1 − ρ^{2^{k+1}}).
    """
    k = np.arange(levels, dtype=float)
    log_rho = np.log(rho)[:, None]
    power = 2.0 ** (k + 1.0)
    return np.exp((power - 2.0) * log_rho) * -np.expm1(power * log_rho)


def _power_of_two_quantile(q, rho, mu):
    """Quantile of the mean-field response time: a mixture of Erlang(k + 1, μ), ρ in (0, 1)."""
    if q.size == 0:
        return q.copy()
    log_target = np.log1p(-q)
    # truncate the mixture where the left-out mass s_K² < 1e-17 (1 − q)
    needed = -np.log(1e-17) - log_target
    levels = int(np.ceil(np.log2(1.0 + needed / (2.0 * -np.log(rho))).max())) + 2
    probabilities = _power_of_two_queue_probabilities(rho, levels)
    shapes = np.arange(1, levels + 1, dtype=float)
    lower = exponential_quantile(q, mu)  # T ≥ one service time
    upper = exponential_quantile(q, mu * (1.0 - rho))  # T ≤st random balancing's M/M/1

    def residual(t, rows):
        x = (mu[rows] * t)[:, None]
        p = probabilities[rows]
        sf = np.sum(p * special.gammaincc(shapes, x), axis=1)
        log_erlang_pdf = special.xlogy(shapes - 1.0, x) - x - special.gammaln(shapes)
        pdf = mu[rows] * np.sum(p * np.exp(log_erlang_pdf), axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # sf underflows far right: bisect
            return np.log(sf) - log_target[rows], -pdf / sf

    return solve_decreasing(residual, lower, upper)


# --------------------------------------------------------------------------------------------
# weighted random
# --------------------------------------------------------------------------------------------


def _check_weights(weights):
    w = check_range("weights", weights, low=0)
    if w.ndim == 0:
        raise ValueError(
            f"weights={weights!r} is not valid: pass one relative capacity per instance "
            "(a sequence, or an array whose last axis lists the instances)"
        )
    if not (w > 0).any(axis=-1).all():
        raise ValueError("weights is not valid: every row needs at least one positive weight")
    return w


def _weighted_pool(arrival_rate, service_rate, servers, weights, *extra):
    """The pool and each row's traffic shares w_i/Σw (rows × instances)."""
    w = _check_weights(weights)
    pool = _Pool(arrival_rate, service_rate, servers, *extra, lead_shape=w.shape[:-1])
    w_rows = np.broadcast_to(w, pool.shape + w.shape[-1:]).reshape(-1, w.shape[-1])
    counts = (w_rows > 0).sum(axis=1)
    if not np.array_equal(counts, pool.c):
        bad = np.flatnonzero(counts != pool.c)[0]
        raise ValueError(
            f"servers={pool.c[bad]:g} does not match weights: {counts[bad]} positive weights; "
            "give one positive weight per instance (zeros pad rows of different length)"
        )
    return pool, w_rows / w_rows.sum(axis=1, keepdims=True)


def _weighted_quantile(q, share, drain):
    """Quantile of Σ_i p_i Exp(p_i·drain): p = traffic shares (rows), drain = cμ − λ."""
    log_target = np.log1p(-q)
    with np.errstate(divide="ignore"):
        log_share = np.log(share)
    positive = np.where(share > 0, share, np.nan)
    lower = exponential_quantile(q, np.nanmax(positive, axis=1) * drain)
    upper = exponential_quantile(q, np.nanmin(positive, axis=1) * drain)

    def residual(t, rows):
        rates = share[rows] * drain[rows, None]
        exponent = log_share[rows] - rates * t[:, None]
        log_sf = special.logsumexp(exponent, axis=1)
        with np.errstate(divide="ignore"):
            log_pdf = special.logsumexp(exponent + np.log(rates), axis=1)
        return log_sf - log_target[rows], -np.exp(log_pdf - log_sf)

    return solve_decreasing(residual, lower, upper)


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------


def wait_probability(strategy, arrival_rate, service_rate, servers, weights=None):
    r"""Probability that a request finds its instance busy and has to wait.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    arrival_rate : numeric
        λ, total request rate reaching the balancer [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one instance [1/s], > 0 (mean over instances for ``weighted``).
    servers : numeric
        c, number of instances [count], a whole number ≥ 1.
    weights : array_like, optional
        ``weighted`` only; see :func:`mean_response_time` (does not change the result: every
        instance runs at the same utilisation).

    Returns
    -------
    numeric
        P(wait) [probability]; 1 where ρ = λ/(cμ) ≥ 1; same kind as the inputs.

    Notes
    -----
    * ``random``, ``weighted`` — ρ (M/M/1 at each instance, PASTA).
    * ``round_robin`` — σ, the probability that an arrival finds its instance busy in the
      E_c/M/1 queue (GI/M/1 theory; see :func:`mean_response_time`).
    * ``least_connections`` — Erlang C, C(c, cρ): JSQ sends a request to an idle instance
      whenever there is one (the Nelson & Philips approximation treats "all busy" like the
      central queue; in fact JSQ can leave an instance idle while others queue, so this is
      approximate).
    * ``power_of_two`` — ρ², both sampled instances busy (mean-field, c → ∞), or the
      ``least_connections`` value if that is larger (see :func:`mean_response_time`).

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, section 3.2 and chapter 6.
    .. [2] R. D. Nelson, T. K. Philips, Performance Evaluation, 1993.
    .. [3] M. Mitzenmacher, IEEE TPDS 12(10):1094–1104, 2001.
    """
    _check_strategy(strategy, weights)
    if strategy == "weighted" and weights is not None:
        pool, _ = _weighted_pool(arrival_rate, service_rate, servers, weights)
    else:
        pool = _Pool(arrival_rate, service_rate, servers)
    result = np.ones_like(pool.lam)
    rho = pool.rho[pool.ok]
    if strategy in ("random", "weighted"):
        value = rho
    elif strategy == "round_robin":
        value = _round_robin_sigma(pool)[0]
    elif strategy == "least_connections":
        value = _jsq_wait_parameters(pool)[0]
    else:  # power_of_two
        value = np.maximum(rho * rho, _jsq_wait_parameters(pool)[0])
    result[pool.ok] = value
    return restore(result.reshape(pool.shape), arrival_rate, service_rate, servers)


def mean_response_time(strategy, arrival_rate, service_rate, servers, weights=None):
    r"""Mean response time (wait + service) of a request behind a load balancer.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    arrival_rate : numeric
        λ, total request rate reaching the balancer [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one instance [1/s], > 0. For ``weighted``, the *mean* service rate
        over the instances (total capacity c·μ).
    servers : numeric
        c, number of instances [count], a whole number ≥ 1.
    weights : array_like, optional
        ``weighted`` only: relative capacities of the instances, ≥ 0, along the last axis (a
        list of c numbers, or a 2-D array with one row per scenario, zero-padded when rows have
        different c; the number of positive weights must equal ``servers``). Instance i serves
        at rate c·μ·w_i/Σw and receives the share w_i/Σw of the traffic. ``None`` means equal
        capacities (then ``weighted`` equals ``random``).

    Returns
    -------
    numeric
        E[T] [s]; ``inf`` where ρ = λ/(cμ) ≥ 1; same kind as the inputs (``weights`` does
        not count as an input for the kind).

    Notes
    -----
    All strategies: Poisson arrivals, exponential service, FCFS at each instance, no
    jockeying, a balancer that adds no delay.

    * ``round_robin`` — instance j receives every c-th request, so its interarrival times are
      Erlang(c, λ): an E_c/M/1 queue, solved exactly (GI/M/1 theory). σ is the root in (0, 1)
      of :math:`\sigma = A^*(\mu(1-\sigma))` with :math:`A^*(s) = (\lambda/(\lambda+s))^c` the
      Laplace–Stieltjes transform of the interarrival time; the response time is exponential
      with rate μ(1 − σ), so :math:`E[T] = 1/(\mu(1-\sigma))`. σ is found by a safeguarded
      Newton iteration; c = 1 gives σ = ρ (M/M/1).
    * ``random`` — Poisson splitting: each instance is M/M/1 with rate λ/c,
      :math:`E[T] = 1/(\mu - \lambda/c)`.
    * ``weighted`` — weighted random: instance i gets rate λ_i = λ w_i/Σw and serves at
      μ_i = cμ w_i/Σw, so every instance runs at the same ρ and is M/M/1; averaged over
      requests :math:`E[T] = \sum_i (\lambda_i/\lambda)/(\mu_i - \lambda_i) = c/(c\mu-\lambda)`
      — splitting traffic in proportion to capacity gives the same *mean* as identical
      instances of the same total capacity; heterogeneity shows in the tail (see
      :func:`response_time_quantile`). Smooth weighted round robin (NGINX) is more regular and
      somewhat faster; this is its random counterpart.
    * ``least_connections`` — join the shortest queue (ties at random). No closed form is
      known; haplan uses the Nelson & Philips approximation for Poisson arrivals and
      exponential service,
      :math:`E[T] \approx 1/\mu + C(c, c\rho)/(\mu(1-\rho^c))` with C the Erlang C formula
      (exact for c = 1; Nelson & Philips' general-distribution formula with squared
      coefficients of variation 1). It lies between the central-queue M/M/c and random
      balancing. The authors report errors of a few per cent for c ≤ 8. Measured against a
      seeded join-the-shortest-queue simulation (tests/test_balancing.py's simulator,
      5.5e5 requests, batch-means standard errors 0.2–2 %): within ±2 % at c ≤ 4 or
      ρ = 0.5; high (conservative) by 4–6 % at c = 8, 9 % at c = 16 and 9–13 % at c = 24 for
      ρ = 0.8–0.9. It never underestimates by more than the simulation's noise (−1.2 %).
    * ``power_of_two`` — each request samples two instances and joins the one with fewer
      requests. The mean-field (c → ∞) supermarket result with d = 2,
      :math:`E[T] = (1/\mu)\sum_{i\ge1}\rho^{(d^i-d)/(d-1)} = (1/\mu)\sum_{i\ge1}\rho^{2^i-2}`,
      exact as c → ∞. For finite c the true mean is higher: in haplan's simulations the
      formula is 0.5–4 % low at c = 50, 1–8 % low at c = 20 and 5–17 % low at c = 4–8
      (ρ = 0.5–0.9), so treat it as optimistic below c ≈ 20. Since no dispatcher beats join
      the shortest queue (Winston 1977), haplan returns the larger of this and the
      ``least_connections`` estimate; that makes c = 1 exact (M/M/1) and c = 2 (two distinct
      choices of two *is* JSQ) as good as the JSQ approximation.

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, chapter 6 (G/M/1:
       σ = A*(μ − μσ), exponential sojourn time).
    .. [2] D. Gross et al., *Fundamentals of Queueing Theory*, 4th ed., Wiley, 2008 (GI/M/1).
    .. [3] R. D. Nelson, T. K. Philips, "An approximation to the response time for shortest
       queue routing", ACM SIGMETRICS Performance Evaluation Review 17(1), 1989; and "An
       approximation for the mean response time for shortest queue routing with general
       interarrival and service times", Performance Evaluation, 1993.
    .. [4] M. Mitzenmacher, "The power of two choices in randomized load balancing", IEEE
       Trans. Parallel and Distributed Systems 12(10):1094–1104, 2001.
    .. [5] N. D. Vvedenskaya, R. L. Dobrushin, F. I. Karpelevich, "Queueing system with
       selection of the shortest of two queues: an asymptotic approach", Problems of
       Information Transmission 32(1):15–27, 1996.
    .. [6] W. Winston, "Optimality of the shortest line discipline", Journal of Applied
       Probability 14(1):181–189, 1977.
    """
    _check_strategy(strategy, weights)
    if strategy == "weighted" and weights is not None:
        pool, _ = _weighted_pool(arrival_rate, service_rate, servers, weights)
    else:
        pool = _Pool(arrival_rate, service_rate, servers)
    result = np.full_like(pool.lam, np.inf)
    ok = pool.ok
    lam, mu, c, rho = pool.lam[ok], pool.mu[ok], pool.c[ok], pool.rho[ok]
    if strategy in ("random", "weighted"):
        value = c / (c * mu - lam)
    elif strategy == "round_robin":
        value = 1.0 / _round_robin_rate(pool)
    elif strategy == "least_connections":
        wait, _, wait_rate = _jsq_wait_parameters(pool)
        value = 1.0 / mu + wait / wait_rate
    else:  # power_of_two
        wait, _, wait_rate = _jsq_wait_parameters(pool)
        value = np.maximum(_power_of_two_mean(rho, mu), 1.0 / mu + wait / wait_rate)
    result[ok] = value
    return restore(result.reshape(pool.shape), arrival_rate, service_rate, servers)


def response_time_quantile(strategy, q, arrival_rate, service_rate, servers, weights=None):
    r"""q-quantile of the response time behind a load balancer (p99: q = 0.99).

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    q : numeric
        Quantile level [probability], 0 ≤ q < 1.
    arrival_rate : numeric
        λ, total request rate reaching the balancer [1/s], ≥ 0.
    service_rate : numeric
        μ, service rate of one instance [1/s], > 0 (mean over instances for ``weighted``).
    servers : numeric
        c, number of instances [count], a whole number ≥ 1.
    weights : array_like, optional
        ``weighted`` only; see :func:`mean_response_time`.

    Returns
    -------
    numeric
        t_q [s]; ``inf`` where ρ = λ/(cμ) ≥ 1; same kind as the inputs.

    Notes
    -----
    Same assumptions as :func:`mean_response_time`.

    * ``random`` — exact: exponential with rate μ − λ/c, t_q = −ln(1 − q)/(μ − λ/c).
    * ``round_robin`` — exact: exponential with rate μ(1 − σ) (GI/M/1 sojourn time).
    * ``weighted`` — exact: a request goes to instance i with probability p_i = w_i/Σw and
      then spends an Exp(μ_i − λ_i) = Exp(p_i(cμ − λ)) time, so
      :math:`P(T > t) = \sum_i p_i e^{-p_i (c\mu - \lambda) t}`, inverted numerically
      (vectorised safeguarded Newton). Slow instances dominate the tail.
    * ``least_connections`` — approximation: the M/M/c sojourn-time form with the waiting
      probability C(c, cρ) (Erlang C) and a conditional wait that is exponential with rate
      μ(1 − ρ^c), i.e. the Nelson & Philips mean wait C/(μ(1 − ρ^c)) spread as an exponential;
      exact for c = 1. Checked against simulation at p90 and p99 in haplan's tests.
    * ``power_of_two`` — mean-field approximation (exact as c → ∞): an arrival joins a queue
      holding k requests with probability s_k² − s_{k+1}², s_k = ρ^{2^k − 1}, and then waits
      for k + 1 exponential services, so T is a mixture of Erlang(k + 1, μ) distributions;
      inverted numerically; the larger of this and the ``least_connections`` quantile is
      returned (as for the mean).

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, chapter 6 (G/M/1).
    .. [2] R. D. Nelson, T. K. Philips, Performance Evaluation, 1993.
    .. [3] M. Mitzenmacher, IEEE TPDS 12(10):1094–1104, 2001, section 3 (fixed point s_k).
    """
    _check_strategy(strategy, weights)
    level = check_range("q", q, low=0, high=1, high_open=True)
    share = None
    if strategy == "weighted" and weights is not None:
        pool, share = _weighted_pool(arrival_rate, service_rate, servers, weights, level)
    else:
        pool = _Pool(arrival_rate, service_rate, servers, level)
    (level_rows,) = pool.extra
    result = np.full_like(pool.lam, np.inf)
    ok = pool.ok
    lam, mu, c, rho, qk = (x[ok] for x in (pool.lam, pool.mu, pool.c, pool.rho, level_rows))
    if strategy == "random" or (strategy == "weighted" and share is None):
        value = exponential_quantile(qk, mu - lam / c)
    elif strategy == "weighted":
        value = _weighted_quantile(qk, share[ok], c * mu - lam)
    elif strategy == "round_robin":
        value = exponential_quantile(qk, _round_robin_rate(pool))
    elif strategy == "least_connections":
        wait, no_wait, wait_rate = _jsq_wait_parameters(pool)
        value = sojourn_quantile(qk, wait, no_wait, wait_rate, mu)
    else:  # power_of_two
        wait, no_wait, wait_rate = _jsq_wait_parameters(pool)
        value = sojourn_quantile(qk, wait, no_wait, wait_rate, mu)
        busy = rho > 0  # ρ = 0 (λ = 0, or λ so small it underflows): T is Exp(μ)
        value[busy] = np.maximum(value[busy], _power_of_two_quantile(qk[busy], rho[busy], mu[busy]))
    result[ok] = value
    return restore(result.reshape(pool.shape), q, arrival_rate, service_rate, servers)
