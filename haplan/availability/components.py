"""One repairable component and k-of-n structures of identical independent units.

Unavailabilities are computed directly (never as 1 − A); every function broadcasts and
returns the kind of its inputs (see :func:`haplan._numeric.restore`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import bdtr, bdtrc

from haplan._numeric import check_range, restore

__all__ = [
    "steady_state_unavailability",
    "steady_state_availability",
    "k_of_n_unavailability",
    "k_of_n_availability",
]


# --------------------------------------------------------------------------- one component


def steady_state_unavailability(mttf, mttr):
    r"""Steady-state unavailability of one repairable component, MTTR / (MTTF + MTTR).

    Parameters
    ----------
    mttf : numeric
        Mean time to failure [any time unit, e.g. h], > 0; ``inf`` means never fails.
    mttr : numeric
        Mean time to repair [same unit as ``mttf``], ≥ 0.

    Returns
    -------
    numeric
        Long-run fraction of time the component is down [probability].

    Notes
    -----
    For an alternating renewal process (up periods with mean MTTF, down periods with mean
    MTTR, any distributions) the long-run fraction of time down is
    :math:`U = \mathrm{MTTR} / (\mathrm{MTTF} + \mathrm{MTTR})` [1]_.

    References
    ----------
    .. [1] R. E. Barlow and F. Proschan, *Mathematical Theory of Reliability*, Wiley, 1965,
       ch. 3 (alternating renewal processes); K. S. Trivedi, *Probability and Statistics with
       Reliability, Queuing, and Computer Science Applications*, 2nd ed., Wiley, 2016, §8.2.
    """
    f = check_range("mttf", mttf, low=0, low_open=True, allow_inf=True)
    r = check_range("mttr", mttr, low=0)
    return restore(r / (f + r), mttf, mttr)


def steady_state_availability(mttf, mttr):
    r"""Steady-state availability of one repairable component, MTTF / (MTTF + MTTR).

    Parameters
    ----------
    mttf : numeric
        Mean time to failure [any time unit, e.g. h], > 0; ``inf`` means never fails.
    mttr : numeric
        Mean time to repair [same unit as ``mttf``], ≥ 0.

    Returns
    -------
    numeric
        Long-run fraction of time the component is up [probability].

    Notes
    -----
    :math:`A = \mathrm{MTTF} / (\mathrm{MTTF} + \mathrm{MTTR})`; see
    :func:`steady_state_unavailability` for the source. Use the unavailability when A is
    close to 1.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 3.
    """
    f = check_range("mttf", mttf, low=0, low_open=True, allow_inf=True)
    r = check_range("mttr", mttr, low=0)
    f, r = np.broadcast_arrays(f, r)
    with np.errstate(invalid="ignore"):
        result = np.where(np.isinf(f), 1.0, f / (f + r))
    return restore(result, mttf, mttr)


# --------------------------------------------------------------------------- k of n


def _ints(values):
    return values.astype(np.int64)


def _k_n_q(k, n, unit_unavailability):
    kk = check_range("k", k, integer=True)
    nn = check_range("n", n, low=1, integer=True)
    q = check_range("unit_unavailability", unit_unavailability, low=0, high=1)
    kk, nn, q = np.broadcast_arrays(kk, nn, q)
    too_many = kk > nn
    if too_many.any():
        first = np.flatnonzero(too_many.ravel())[0]
        raise ValueError(
            f"k={kk.flat[first]:.0f} is out of range: must be <= n={nn.flat[first]:.0f} "
            "(the service cannot need more units than it has)"
        )
    return kk, nn, q


def k_of_n_unavailability(k, n, unit_unavailability):
    r"""Probability that fewer than k of n independent identical units are up.

    Parameters
    ----------
    k : numeric
        Units needed for the system to be up [count], a whole number ≤ n; k ≤ 0 means the
        system is always up.
    n : numeric
        Units [count], a whole number ≥ 1.
    unit_unavailability : numeric
        Probability that one unit is down [probability], in [0, 1]. Pass the unavailability,
        not the availability, so that 1e-9 keeps its digits.

    Returns
    -------
    numeric
        System unavailability [probability].

    Notes
    -----
    With D ~ Binomial(n, q) the number of units down, the system is down when more than
    n − k units are down: :math:`U = P(D > n-k) = \sum_{j=n-k+1}^{n} \binom{n}{j} q^j
    (1-q)^{n-j}`, evaluated as the binomial survival function (``scipy.special.bdtrc``, a
    regularised incomplete beta function accurate to a few ulps), which sums the small side
    directly [1]_.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 2 (k-out-of-n
       structures); worked example "k out of n": 3-of-4 with unit availability 0.9 gives
       0.9477 (reliabilityanalytics.com).
    """
    kk, nn, q = _k_n_q(k, n, unit_unavailability)
    down_tolerated = np.maximum(nn - kk, 0.0)
    result = np.where(kk <= 0, 0.0, bdtrc(_ints(np.minimum(down_tolerated, nn)), _ints(nn), q))
    return restore(result, k, n, unit_unavailability)


def k_of_n_availability(k, n, unit_unavailability):
    r"""Probability that at least k of n independent identical units are up.

    Parameters
    ----------
    k : numeric
        Units needed [count], a whole number ≤ n; k ≤ 0 means always up.
    n : numeric
        Units [count], a whole number ≥ 1.
    unit_unavailability : numeric
        Probability that one unit is down [probability], in [0, 1].

    Returns
    -------
    numeric
        System availability [probability].

    Notes
    -----
    :math:`A = P(D \le n-k)` with D ~ Binomial(n, q) the units down (``scipy.special.bdtr``);
    see :func:`k_of_n_unavailability`.

    References
    ----------
    .. [1] Barlow and Proschan, *Mathematical Theory of Reliability*, 1965, ch. 2.
    """
    kk, nn, q = _k_n_q(k, n, unit_unavailability)
    down_tolerated = np.maximum(nn - kk, 0.0)
    result = np.where(kk <= 0, 1.0, bdtr(_ints(np.minimum(down_tolerated, nn)), _ints(nn), q))
    return restore(result, k, n, unit_unavailability)
