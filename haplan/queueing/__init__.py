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

Layout (one topic a module; every public name is importable from ``haplan.queueing``):

- :mod:`~haplan.queueing.erlang` — Erlang B and C in log space (Loader's Poisson probability);
- :mod:`~haplan.queueing.mmc` — the M/M/c parameters, :func:`is_overloaded`, wait probability
  and mean wait and response times;
- :mod:`~haplan.queueing.distributions` — wait and response-time CDFs and quantiles;
- :mod:`~haplan.queueing.summary` — :func:`mmc_summary`, the one-pass sweep;
- :mod:`~haplan.queueing.sojourn` — kernels for T = W + S (shared with :mod:`haplan.balancing`);
- :mod:`~haplan.queueing.solver` — :func:`solve_decreasing`, the safeguarded Newton root finder.
"""

from haplan.queueing.distributions import (
    mmc_response_cdf,
    mmc_response_quantile,
    mmc_wait_cdf,
    mmc_wait_quantile,
)
from haplan.queueing.erlang import _stirling_error as _stirling_error  # used by the tests
from haplan.queueing.erlang import erlang_b, erlang_b_and_c, erlang_c
from haplan.queueing.mmc import (
    is_overloaded,
    mmc_mean_response,
    mmc_mean_wait,
    mmc_wait_probability,
)
from haplan.queueing.sojourn import exponential_quantile, sojourn_quantile
from haplan.queueing.solver import solve_decreasing
from haplan.queueing.summary import mmc_summary

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
