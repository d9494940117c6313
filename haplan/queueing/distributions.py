r"""Distributions of the M/M/c wait and response time: their CDFs and quantiles."""

from __future__ import annotations

import numpy as np

from haplan._numeric import check_range, restore
from haplan.queueing.mmc import _Queue
from haplan.queueing.sojourn import _sojourn_log_sf, _wait_quantile, sojourn_quantile

__all__ = ["mmc_wait_cdf", "mmc_response_cdf", "mmc_wait_quantile", "mmc_response_quantile"]


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
