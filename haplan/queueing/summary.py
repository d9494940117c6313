r"""The M/M/c summary for large sweeps: wait probability, mean and quantile response time."""

from __future__ import annotations

from haplan._numeric import restore
from haplan.queueing.distributions import _quantile_level, _response_quantile
from haplan.queueing.mmc import _mean_response, _Queue

__all__ = ["mmc_summary"]


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
