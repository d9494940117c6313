"""The birth–death chain of n repairable units with c repair crews (M/M/c//n).

:class:`BirthDeath` computes its stationary distribution in log space, the unavailability of a
"at least k up" service, the MTTF, the outage frequency and the mean outage duration. Also the
input checks the chain's users share (``_scalar``, ``_crews_array``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from haplan._numeric import check_range, restore, to_float_array

# Below this, a scaled probability is no longer trusted to full relative precision and the
# log-space path is used instead (normal doubles go down to 2.2e-308).
_TINY = 1e-280


def _scalar(name, value, **limits):
    array = check_range(name, value, **limits)
    if array.ndim != 0:
        raise ValueError(f"{name}={value!r} must be a single number, not an array")
    return float(array)


class BirthDeath:
    r"""n identical repairable units, failure rate λ each, c repair crews of rate μ each.

    Parameters
    ----------
    units : int
        Number of units n [count], a whole number ≥ 1.
    failure_rate : float
        λ, failure rate of one up unit [1/h], > 0 (1 / MTTF).
    repair_rate : float
        μ, repair rate of one crew working on one failed unit [1/h], > 0 (1 / MTTR).
    crews : int or None, default None
        Repair crews c [count], a whole number ≥ 1; ``None`` (or ``inf``) means every failed
        unit is repaired at once (units then fail and recover independently, so the state
        is Binomial(n, λ/(λ+μ))).

    Attributes
    ----------
    state_probabilities : numpy.ndarray
        Stationary probability of each state, index j = units failed [probability].

    Notes
    -----
    Birth rates :math:`\lambda_j = (n-j)\lambda`, death rates :math:`\mu_j = \min(j,c)\mu`.
    The stationary distribution has product form
    :math:`\pi_j \propto \prod_{i<j} \lambda_i / \mu_{i+1}` [1]_; it is built as a cumulative
    sum of log ratios outward from the mode (so partial sums stay small and precise) and
    normalised by its sum.

    For a service that is down when fewer than ``min_up`` units are up, let
    f = n − min_up + 1 be the first down state. Then

    - unavailability :math:`U = \sum_{j \ge f} \pi_j`, summed from the far end;
    - MTTF, the mean first-passage time from state 0 to f, is
      :math:`\sum_{j<f} \tau_j` with :math:`\tau_j = (1 + \mu_j \tau_{j-1})/\lambda_j` the mean
      time from j to j+1 [2]_, evaluated without a loop through the equivalent
      :math:`\tau_j = \sum_{i \le j} \pi_i / (\lambda_j \pi_j)`;
    - outage frequency (entries into the down set per unit time) is the probability flow
      :math:`\lambda_{f-1} \pi_{f-1}`;
    - mean outage duration is the mean first-passage time from f to f−1,
      :math:`\sum_{j \ge f}\pi_j / (\mu_f \pi_f)`, which equals U / frequency.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
       Theory*, 4th ed., Wiley, 2008, §2.7 (finite-source queues, the machine-repair model).
    .. [2] S. Karlin and H. M. Taylor, *A First Course in Stochastic Processes*, 2nd ed.,
       Academic Press, 1975, ch. 4 §7 (mean first-passage times of birth–death processes);
       K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., Wiley, 2016, ch. 8.

    Examples
    --------
    Two units, one crew: MTTF = (3λ + μ) / (2λ²).

    >>> chain = BirthDeath(2, failure_rate=0.01, repair_rate=1.0, crews=1)
    >>> round(chain.mttf(1), 6)
    5150.0
    """

    def __init__(self, units, failure_rate, repair_rate, crews=None):
        n = int(_scalar("units", units, low=1, integer=True))
        lam = _scalar("failure_rate", failure_rate, low=0, low_open=True)
        mu = _scalar("repair_rate", repair_rate, low=0, low_open=True)
        if crews is None:
            c = n
        else:
            c_value = _scalar("crews", crews, low=1, integer=True, allow_inf=True)
            c = n if math.isinf(c_value) else int(min(c_value, n))
        self.units = n
        self.failure_rate = lam
        self.repair_rate = mu
        self.crews = None if crews is None or c == n else c

        log_count = np.log(np.arange(1, n + 1, dtype=float))  # log 1 … log n
        # log of λ_j / λ for j = 0 … n−1 and of μ_j / μ for j = 1 … n
        self._log_failing = log_count[::-1].copy()
        self._log_repairing = np.empty(n)
        self._log_repairing[:c] = log_count[:c]
        self._log_repairing[c:] = math.log(c)
        ratio = self._log_failing - self._log_repairing + (math.log(lam) - math.log(mu))
        mode = int(np.count_nonzero(ratio > 0))  # ratio is decreasing: π rises, then falls
        log_pi = np.empty(n + 1)
        log_pi[mode] = 0.0
        np.cumsum(ratio[mode:], out=log_pi[mode + 1 :])
        log_pi[:mode] = -np.cumsum(ratio[:mode][::-1])[::-1]
        self._mode = mode
        self._log_pi = log_pi  # log of π_j / π_mode
        self._pi = np.exp(log_pi)  # π_j / π_mode, in [0, 1]
        self._log_norm = math.log(self._pi.sum())  # pairwise sum of numbers in [0, 1]
        self._probabilities = None

    def __repr__(self):
        return (
            f"BirthDeath(units={self.units}, failure_rate={self.failure_rate!r}, "
            f"repair_rate={self.repair_rate!r}, crews={self.crews!r})"
        )

    @property
    def state_probabilities(self) -> np.ndarray:
        """Stationary probability of j failed units, j = 0 … n [probability]."""
        if self._probabilities is None:
            self._probabilities = self._pi / math.exp(self._log_norm)
        return self._probabilities

    # ----------------------------------------------------------------------------- helpers

    def _first_down_state(self, min_up):
        """f = n − min_up + 1 as int array (n + 1 where min_up ≤ 0: never down)."""
        k = check_range("min_up", min_up, high=self.units, integer=True)
        return np.where(k <= 0, self.units + 1, self.units - k + 1).astype(np.int64)

    def _log_tail(self, first):
        """log Σ_{j ≥ f} π_j/π_mode for each f in ``first`` (all in 1 … n)."""
        lowest = int(first.min())
        tail = np.cumsum(self._pi[lowest:][::-1])[::-1]
        picked = tail[first - lowest]
        with np.errstate(divide="ignore"):
            result = np.log(picked)
        for f in np.unique(first[picked < _TINY]):
            result[first == f] = logsumexp(self._log_pi[f:])
        return result

    def _log_failure_rate(self, state):
        return self._log_failing[state] + math.log(self.failure_rate)

    def _log_repair_rate(self, state):
        return self._log_repairing[state - 1] + math.log(self.repair_rate)

    def _mean_passage_up(self, last):
        """τ_j, mean time from j to j+1 failed, for j = 0 … last−1 [h]."""
        pi = self._pi[:last]
        head = np.cumsum(pi)  # Σ_{i ≤ j} π_i / π_mode
        rate = (self.units - np.arange(last)) * self.failure_rate
        tau = np.empty(last)
        normal = pi >= _TINY
        with np.errstate(over="ignore"):
            tau[normal] = head[normal] / (rate[normal] * pi[normal])
            rising = np.flatnonzero(~normal & (np.arange(last) < self._mode))
            if rising.size:  # far below the mode: head and π both underflow, use logs
                end = rising[-1] + 1
                log_head = np.logaddexp.accumulate(self._log_pi[:end])
                tau[rising] = np.exp(log_head[rising] - self._log_pi[rising]) / rate[rising]
            falling = np.flatnonzero(~normal & (np.arange(last) > self._mode))
            if falling.size:  # far above the mode: head ≥ 1, π underflows
                tau[falling] = np.exp(
                    np.log(head[falling]) - self._log_pi[falling] - np.log(rate[falling])
                )
        return tau

    # ----------------------------------------------------------------------------- public

    def unavailability(self, min_up):
        """Probability that fewer than ``min_up`` units are up.

        Parameters
        ----------
        min_up : numeric
            Units needed [count], a whole number ≤ n; ≤ 0 means never down.

        Returns
        -------
        numeric
            Steady-state unavailability [probability]; same kind as ``min_up``.
        """
        first = self._first_down_state(min_up)
        result = np.zeros(first.shape)
        down = first <= self.units
        if down.any():
            tail = np.exp(self._log_tail(first[down]) - self._log_norm)
            result[down] = np.minimum(tail, 1.0)  # the two sums may differ in the last ulp
        return restore(result, min_up)

    def availability(self, min_up):
        """Probability that at least ``min_up`` units are up, summed from the up side.

        Parameters
        ----------
        min_up : numeric
            Units needed [count], a whole number ≤ n; ≤ 0 means always up.

        Returns
        -------
        numeric
            Steady-state availability [probability].
        """
        first = self._first_down_state(min_up)
        result = np.ones(first.shape)
        down = first <= self.units
        if down.any():
            head = np.cumsum(self._pi[: int(first[down].max())])
            result[down] = np.minimum(head[first[down] - 1] / math.exp(self._log_norm), 1.0)
        return restore(result, min_up)

    def mttf(self, min_up):
        """Mean time from all units up to the first time fewer than ``min_up`` are up.

        Parameters
        ----------
        min_up : numeric
            Units needed [count], a whole number ≤ n; ≤ 0 means never down (``inf``).

        Returns
        -------
        numeric
            Mean time to service failure [h if rates are per hour]; ``inf`` if never down or
            beyond the float range (~1e308).
        """
        first = self._first_down_state(min_up)
        result = np.full(first.shape, np.inf)
        down = first <= self.units
        if down.any():
            tau = self._mean_passage_up(int(first[down].max()))
            with np.errstate(over="ignore"):
                total = np.cumsum(tau)
            result[down] = total[first[down] - 1]
        return restore(result, min_up)

    def outage_frequency(self, min_up):
        """Mean number of entries into "fewer than ``min_up`` up" per unit time.

        Parameters
        ----------
        min_up : numeric
            Units needed [count], a whole number ≤ n; ≤ 0 means never down (0).

        Returns
        -------
        numeric
            Outage frequency [1/h if rates are per hour], λ_{f−1}·π_{f−1}.
        """
        first = self._first_down_state(min_up)
        result = np.zeros(first.shape)
        down = first <= self.units
        if down.any():
            entry = first[down] - 1
            log_flow = self._log_pi[entry] - self._log_norm + self._log_failure_rate(entry)
            result[down] = np.exp(log_flow)
        return restore(result, min_up)

    def mean_outage_duration(self, min_up):
        """Mean length of an outage (time from entering the down set until leaving it).

        Parameters
        ----------
        min_up : numeric
            Units needed [count], a whole number ≤ n; ≤ 0 means never down (``nan``: there
            are no outages).

        Returns
        -------
        numeric
            Mean outage duration [h if rates are per hour], Σ_{j≥f} π_j / (μ_f π_f).
        """
        first = self._first_down_state(min_up)
        result = np.full(first.shape, np.nan)
        down = first <= self.units
        if down.any():
            f = first[down]
            log_time = self._log_tail(f) - self._log_pi[f] - self._log_repair_rate(f)
            with np.errstate(over="ignore"):
                result[down] = np.exp(log_time)
        return restore(result, min_up)


def _crews_array(repair_crews):
    """None / NaN / inf → inf (unlimited); otherwise a whole number ≥ 1."""
    if repair_crews is None:
        return np.array(np.inf)
    values = np.array(repair_crews, dtype=object)
    values = np.where(np.equal(values, None), np.nan, values)
    try:
        values = values.astype(float)
    except (TypeError, ValueError):
        pass  # to_float_array below raises the ValueError naming the parameter
    crews = to_float_array("repair_crews", values)
    crews = np.where(np.isnan(crews), np.inf, crews)
    return check_range("repair_crews", crews, low=1, integer=True, allow_inf=True)
