r"""Kernels for a response time T = W + S: a wait W that is 0 or exponential, plus an
exponential service S.

The M/M/c response time has this form, and so do the dispatching models of
:mod:`haplan.balancing`: log P(T > t) and its slope, the exponential quantile, the wait quantile
and the quantile of T. They work on flat float arrays the caller has validated (no range check,
no kind restored).
"""

from __future__ import annotations

import numpy as np

from haplan.queueing.solver import solve_decreasing

__all__ = ["exponential_quantile", "sojourn_quantile"]

# Where C ≤ this × (1 − q), the q-quantile of the response time is the service quantile.
_NEGLIGIBLE_WAIT = 2.0**-56


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
    # q = 0: t = 0 exactly (S > 0, so P(T ≤ 0) = 0), where Newton would leave ~1e-76 of noise
    rows = np.flatnonzero((wait_probability > _NEGLIGIBLE_WAIT * (1.0 - q)) & (q > 0))
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
