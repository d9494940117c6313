r"""The M/M/c queue's validated parameters, overload flag, wait probability and mean times."""

from __future__ import annotations

import functools

import numpy as np

from haplan._numeric import check_range, restore
from haplan.queueing.erlang import _erlang_b_and_c, _servers

__all__ = ["is_overloaded", "mmc_wait_probability", "mmc_mean_wait", "mmc_mean_response"]


class _Queue:
    """Validated, broadcast M/M/c parameters as flat arrays, with Erlang C evaluated once,
    when first asked for (the overload flag needs none)."""

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
        with np.errstate(invalid="ignore"):
            # c·μ − λ > 0 where stable; meaningless (and unused) where overloaded
            self.drain_rate = np.where(self.overloaded, 0.0, self.c * self.mu - self.lam)

    @functools.cached_property
    def _erlang(self) -> tuple[np.ndarray, np.ndarray]:
        _, wait, no_wait = _erlang_b_and_c(self.c, self.load)
        return wait, no_wait

    @property
    def wait_probability(self) -> np.ndarray:
        """Erlang C: P(a request waits) [probability]."""
        return self._erlang[0]

    @property
    def no_wait_probability(self) -> np.ndarray:
        """1 − Erlang C, without cancellation [probability]."""
        return self._erlang[1]


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
    These are the rows where :mod:`haplan.queueing` returns ``inf`` waits and quantiles and a
    wait probability of 1. c = 0 is always overloaded.

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


def _mean_response(queue: _Queue) -> np.ndarray:
    """E[T] = C/(cμ − λ) + 1/μ per flat row; ``inf`` where overloaded."""
    result = np.full_like(queue.lam, np.inf)
    ok = ~queue.overloaded
    result[ok] = queue.wait_probability[ok] / queue.drain_rate[ok] + 1.0 / queue.mu[ok]
    return result


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
