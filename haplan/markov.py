"""Birth–death Markov model of n repairable units with a limited number of repair crews.

State j is the number of failed units. A unit fails at rate λ, so the chain leaves j upwards
at rate (n − j)·λ; c crews repair one unit each at rate μ, so it leaves j downwards at rate
min(j, c)·μ (the machine-repair model, M/M/c//n). From it: the stationary distribution, the
unavailability of a "at least k up" service, the mean time to its first failure (MTTF), how
often it enters an outage and how long an outage lasts. :func:`crew_service_unavailability`
puts the chain under the instance placement of :mod:`haplan.availability` (uneven loads,
instance crashes, zones) for the service's unavailability with limited crews.

Rates are per hour by convention (any time unit works; outputs use the same unit). The chain
is computed in O(n) with vectorised numpy, in log space where products of rates could
overflow, so 10⁶ units take a few tens of milliseconds and tail probabilities down to float
underflow (~1e-300) keep their digits.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import special
from scipy.special import bdtrc, logsumexp

from haplan._numeric import check_range, restore, to_float_array
from haplan.availability import HOURS_PER_YEAR, min_nodes_up

__all__ = [
    "BirthDeath",
    "service_outage_metrics",
    "crew_service_unavailability",
    "HOURS_PER_YEAR",  # re-exported: the one definition is haplan.availability.HOURS_PER_YEAR
]

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


def service_outage_metrics(
    nodes, instances, min_instances, node_mttf_h, node_mttr_h, repair_crews=None
):
    """Service MTTF, outage frequency and outage length from a node-level birth–death chain.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, spread as
        :func:`haplan.availability.instances_per_node` places them.
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; ≤ 0 means never down.
    node_mttf_h : numeric
        Node mean time to failure [h], > 0.
    node_mttr_h : numeric
        Node mean time to repair by one crew [h], > 0.
    repair_crews : numeric or None, default None
        Nodes repaired at once [count], a whole number ≥ 1; ``None``, NaN or ``inf`` (also
        per element) mean unlimited.

    Returns
    -------
    dict of numeric
        ``service_mttf_h`` — mean time from all nodes up to the first outage [h] (``inf`` if
        never down); ``outage_frequency_per_year`` — outages per 8766-h year [1/yr];
        ``mean_outage_duration_min`` — mean outage length [min] (``nan`` if never down).
        Each has the kind of the inputs (float, ndarray or Series).

    Notes
    -----
    The chain is :class:`BirthDeath` over the N nodes with λ = 1/``node_mttf_h`` and
    μ = 1/``node_mttr_h``. Its down set is "fewer than m nodes up", with m from
    :func:`haplan.availability.min_nodes_up`: the fewest surviving nodes that keep at least k
    instances up *in the worst case, where the failed nodes are the most loaded ones*. The
    chain counts failed nodes, not which ones, so when the loads differ by one (C not a
    multiple of N) this overstates outages slightly; when C = N × R it is exact. Container
    crashes and zone failures are not in this chain (use
    :func:`haplan.availability.service_unavailability` for those). The loop runs once per
    unique (N, MTTF, MTTR, crews); every k for one chain is evaluated at once.

    References
    ----------
    .. [1] Gross et al., *Fundamentals of Queueing Theory*, 4th ed., 2008, §2.7.
    .. [2] Karlin and Taylor, *A First Course in Stochastic Processes*, 2nd ed., 1975, ch. 4.
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    k = check_range("min_instances", min_instances, integer=True)
    mttf = check_range("node_mttf_h", node_mttf_h, low=0, low_open=True)
    mttr = check_range("node_mttr_h", node_mttr_h, low=0, low_open=True)
    crews = _crews_array(repair_crews)
    n, c, k, mttf, mttr, crews = np.broadcast_arrays(n, c, k, mttf, mttr, crews)
    needed = np.asarray(min_nodes_up(n, c, k), dtype=float).ravel()

    shape = n.shape
    mttf_h = np.empty(needed.size)
    frequency_per_h = np.empty(needed.size)
    duration_h = np.empty(needed.size)
    chains = np.stack([a.ravel() for a in (n, mttf, mttr, crews)], axis=1)
    keys, chain_of = np.unique(chains, axis=0, return_inverse=True)
    order = np.argsort(chain_of.ravel(), kind="stable")
    bounds = np.searchsorted(chain_of.ravel()[order], np.arange(len(keys) + 1))
    for index, (units, node_mttf, node_mttr, crew_count) in enumerate(keys):
        rows = order[bounds[index] : bounds[index + 1]]
        chain = BirthDeath(
            int(units),
            1.0 / node_mttf,
            1.0 / node_mttr,
            None if math.isinf(crew_count) else int(crew_count),
        )
        min_up = needed[rows]
        mttf_h[rows] = chain.mttf(min_up)
        frequency_per_h[rows] = chain.outage_frequency(min_up)
        duration_h[rows] = chain.mean_outage_duration(min_up)

    inputs = (nodes, instances, min_instances, node_mttf_h, node_mttr_h)
    if repair_crews is not None:
        inputs = (*inputs, repair_crews)
    return {
        "service_mttf_h": restore(mttf_h.reshape(shape), *inputs),
        "outage_frequency_per_year": restore(
            frequency_per_h.reshape(shape) * HOURS_PER_YEAR, *inputs
        ),
        "mean_outage_duration_min": restore(duration_h.reshape(shape) * 60.0, *inputs),
    }


# --------------------------------------------------------------------------- service with crews
#
# crew_service_unavailability: the placement model of haplan.availability.service_unavailability
# with the node states drawn from the birth–death chain instead of independent nodes.

# Zone states are enumerated by the number of failed zones; the enumeration stops once the
# probability of the states not yet visited is below this share of the sum so far (it bounds
# their contribution, so the rest cannot change the result beyond rounding).
_NEGLIGIBLE = 2.0**-56
# Work budget for enumerating zone states in one structure group, in hypergeometric-matrix
# elements (each is then used once per unique rate or (q_instance, k) pair); beyond it the
# rest is bounded from above (see crew_service_unavailability, Notes).
_ZONE_WORK_BUDGET = 40_000_000


@functools.lru_cache(maxsize=256)
def _binomial_row(n):
    """C(n, m) for m = 0 … n as (mantissa, exponent) with C = mantissa · 2**exponent.

    Built from exact integers, so each coefficient is correctly rounded to ~1 ulp whatever its
    size (C(2000, 1000) ≈ 2·10⁶⁰⁰ has no float); the arrays are read-only (cached).
    """
    values = [1]
    for m in range(n):
        values.append(values[-1] * (n - m) // (m + 1))
    shifts = [max(v.bit_length() - 63, 0) for v in values]
    mantissa = np.array([float(v >> s) for v, s in zip(values, shifts, strict=True)])
    exponent = np.array(shifts, dtype=np.int64)
    mantissa.flags.writeable = False
    exponent.flags.writeable = False
    return mantissa, exponent


def _hypergeometric(total, marked, drawn, hits):
    """H[a, b]: probability that hits[b] of drawn[a] items drawn from ``total`` are marked.

    ``marked`` of the ``total`` items are marked; ``drawn`` and ``hits`` are ranges. Each
    entry is C(marked, i)·C(total − marked, j − i)/C(total, j) from correctly rounded
    coefficients, so it is within a few ulps (no log-space cancellation); entries below
    ~1e-308 underflow to 0.
    """
    top_m, top_e = _binomial_row(marked)
    rest_m, rest_e = _binomial_row(total - marked)
    all_m, all_e = _binomial_row(total)
    drawn = np.asarray(drawn)[:, None]
    hit = np.asarray(hits)[None, :]
    missed = drawn - hit
    valid = (missed >= 0) & (missed <= total - marked) & (hit <= marked)
    missed = np.where(valid, missed, 0)
    hit = np.where(valid, hit, 0)
    mantissa = top_m[hit] * rest_m[missed] / all_m[drawn]
    exponent = top_e[hit] + rest_e[missed] - all_e[drawn]
    return np.where(valid, np.ldexp(mantissa, exponent), 0.0)


def _chain_probabilities(units, crews, ratio):
    """Stationary π_j of the birth–death chain, one row per λ/μ in ``ratio`` (≥ 0).

    Same product form as :class:`BirthDeath` (log ratios summed outward from each row's mode,
    so the states near the mode carry no accumulated rounding), vectorised over rows.
    """
    state = np.arange(units)
    base = np.log(units - state) - np.log(np.minimum(state + 1, crews))
    with np.errstate(divide="ignore"):
        step = base[None, :] + np.log(ratio)[:, None]  # log π_{j+1}/π_j; −inf when λ = 0
    rising = np.where(step > 0, step, 0.0)
    falling = np.where(step > 0, 0.0, step)
    log_pi = np.zeros((ratio.size, units + 1))
    log_pi[:, 1:] = np.cumsum(falling, axis=1)
    log_pi[:, :-1] -= np.cumsum(rising[:, ::-1], axis=1)[:, ::-1]
    pi = np.exp(log_pi)  # π_j / π_mode in [0, 1]
    return pi / pi.sum(axis=1, keepdims=True)


def _down_given_lost(instances, needed, q_instance):
    """g[r, L] = P(fewer than k_r instances up | L instances sit on down nodes or zones).

    The M = C − L others are up unless they fail on their own, independently with
    probability q_r: g = P(Bin(M, q_r) ≥ M − k_r + 1) = I_q(M − k_r + 1, k_r), the
    regularised incomplete beta function summed from the small side (``betainc``, Boost's,
    ~1e-14 relative where cephes' ``bdtrc`` loses digits for thousands of trials), and 1
    when M < k_r.
    """
    on_up_nodes = (instances - np.arange(instances + 1))[None, :]
    k = needed[:, None]
    inside = on_up_nodes >= k
    failures_needed = np.where(inside, on_up_nodes - k + 1, 1.0)
    tail = special.betainc(failures_needed, k, q_instance[:, None])
    return np.where(inside, tail, 1.0)


def _zone_kinds(nodes, heavy_nodes, zones):
    """[(zones of this kind, heavy nodes in each, light nodes in each)], round-robin layout.

    Node j is in zone j mod Z and the heavy (⌈C/N⌉) nodes are 0 … e − 1, as in
    :mod:`haplan.availability`; only the Z' = min(Z, N) zones with nodes are listed.
    """
    zone = np.arange(min(zones, nodes))
    in_zone = (nodes - zone + zones - 1) // zones
    heavy = np.where(zone < heavy_nodes, (heavy_nodes - zone + zones - 1) // zones, 0)
    layout = np.stack([heavy, in_zone - heavy], axis=1)
    kinds, counts = np.unique(layout, axis=0, return_counts=True)
    return [(int(n), int(h), int(light)) for (h, light), n in zip(kinds, counts, strict=True)]


def _zone_level(kinds, failed):
    """{(heavy, light nodes in failed zones): log(number of ways)} with ``failed`` zones down."""
    level = {}

    def visit(index, left, heavy, light, log_ways):
        if index == len(kinds):
            if left == 0:
                key = (heavy, light)
                level[key] = np.logaddexp(level[key], log_ways) if key in level else log_ways
            return
        count, h, light_each = kinds[index]
        room = sum(kind[0] for kind in kinds[index + 1 :])
        for d in range(max(0, left - room), min(count, left) + 1):
            ways = math.log(math.comb(count, d))
            visit(index + 1, left - d, heavy + d * h, light + d * light_each, log_ways + ways)

    visit(0, failed, 0, 0, 0.0)
    return level


def _given_failed_zones(pi, first, down_given_lost, nodes, per_node, heavy_nodes, down):
    """P(service down | the zones holding ``down`` = (heavy, light) nodes are down).

    ``pi[r, a]`` is π of state ``first + a`` (states where every row's π underflows are left
    out). Returns (π_up, G): π_up[r, a] = P(i failed nodes lie in up zones) and G[q, a] =
    P(service down | i random up-zone nodes failed) for i = i_first + a, so the answer is
    π_up @ G.T.
    """
    heavy_down, light_down = down
    up_nodes = nodes - heavy_down - light_down
    up_heavy = heavy_nodes - heavy_down
    lost_in_zones = heavy_down * (per_node + 1) + light_down * per_node
    last = first + pi.shape[1] - 1
    if up_nodes == nodes:
        pi_up, i_first, i_last = pi, first, last
    else:  # j failed nodes uniformly among all N: i of them in up zones is hypergeometric
        i_first, i_last = max(0, first - (nodes - up_nodes)), min(last, up_nodes)
        states, up = range(first, last + 1), range(i_first, i_last + 1)
        pi_up = pi @ _hypergeometric(nodes, up_nodes, states, up)
    # i failed among the up-zone nodes: x of them heavy (hypergeometric), L = lost + i·b + x
    width = min(up_heavy, i_last) + 1
    spread = _hypergeometric(up_nodes, up_heavy, range(i_first, i_last + 1), range(width))
    if per_node == 0:
        window = down_given_lost[:, lost_in_zones : lost_in_zones + width]
        return pi_up, window @ spread.T
    start = lost_in_zones + i_first * per_node
    stop = lost_in_zones + i_last * per_node + 1
    windows = sliding_window_view(down_given_lost, width, axis=1)[:, start:stop:per_node]
    return pi_up, np.einsum("qiw,iw->qi", windows, spread)


def _group_unavailability(nodes, instances, zones, crews, ratio, q_instance, needed, q_zone):
    """Unavailability for rows sharing (N, C, Z', crews), all with k ≥ 1 (see the public docs).

    Returns (unavailability, exact) per row; ``exact`` is False where the zone enumeration hit
    its work budget and the value is the upper bound.
    """
    rows = ratio.size
    per_node, heavy_nodes = divmod(instances, nodes)
    ratios, ratio_row = np.unique(ratio, return_inverse=True)
    pi = _chain_probabilities(nodes, crews, ratios)
    present = np.flatnonzero(pi.max(axis=0) > 0)  # π is unimodal: an interval of states
    first, last = int(present[0]), int(present[-1])
    pi = pi[:, first : last + 1]
    pairs, pair_row = np.unique(np.stack([q_instance, needed], axis=1), axis=0, return_inverse=True)
    ratio_row, pair_row = ratio_row.ravel(), pair_row.ravel()
    down_given_lost = _down_given_lost(instances, pairs[:, 1], pairs[:, 0])
    kinds = _zone_kinds(nodes, heavy_nodes, zones)
    zone_count = sum(kind[0] for kind in kinds)
    as_matrix = ratios.size * pairs.shape[0] <= max(rows, 4096)

    total = np.zeros(rows)
    work = 0
    for failed in range(zone_count + 1):
        with np.errstate(divide="ignore"):
            log_zones = special.xlogy(failed, q_zone) + special.xlog1py(
                zone_count - failed, -q_zone
            )
        for (heavy_down, light_down), log_ways in _zone_level(kinds, failed).items():
            in_down_zones = heavy_down + light_down
            up_states = min(last, nodes - in_down_zones) - max(0, first - in_down_zones) + 1
            work += pi.shape[1] * up_states if in_down_zones else 0
            work += up_states * (min(heavy_nodes - heavy_down, last) + 1)
            if failed > 0 and work > _ZONE_WORK_BUDGET:  # bound the rest by its probability
                unvisited = bdtrc(failed - 1, zone_count, q_zone)
                return total + unvisited, unvisited <= _NEGLIGIBLE * total
            pi_up, given = _given_failed_zones(
                pi, first, down_given_lost, nodes, per_node, heavy_nodes, (heavy_down, light_down)
            )
            if as_matrix:
                value = (pi_up @ given.T)[ratio_row, pair_row]
            else:
                value = np.einsum("ri,ri->r", pi_up[ratio_row], given[pair_row])
            weight = np.exp(log_ways + log_zones)
            total += weight * value
        unvisited = bdtrc(failed, zone_count, q_zone)  # P(more than `failed` zones down)
        if (unvisited <= _NEGLIGIBLE * total).all():
            break
    return total, np.ones(rows, dtype=bool)


def crew_service_unavailability(
    nodes,
    instances,
    min_instances,
    node_mttf_h,
    node_mttr_h,
    repair_crews=None,
    instance_unavailability=0.0,
    zones=1,
    zone_unavailability=0.0,
):
    r"""Service unavailability over the placement when failed nodes wait for repair crews.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, placed as
        :func:`haplan.availability.instances_per_node` does (⌈C/N⌉ on the first C mod N
        nodes, ⌊C/N⌋ on the rest).
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; ≤ 0 means never down.
    node_mttf_h : numeric
        Node mean time to failure [h], > 0 (``inf``: nodes never fail).
    node_mttr_h : numeric
        Node mean time to repair by one crew [h], ≥ 0.
    repair_crews : numeric or None, default None
        Nodes repaired at once [count], a whole number ≥ 1; ``None``, NaN or ``inf`` (also
        per element), or a value ≥ N, mean unlimited.
    instance_unavailability : numeric, default 0
        Probability that an instance on an up node is down on its own [probability], in
        [0, 1].
    zones : numeric, default 1
        Failure zones Z [count], a whole number ≥ 1; node j is in zone j mod Z.
    zone_unavailability : numeric, default 0
        Probability that a zone is down [probability], in [0, 1]; a down zone takes all its
        nodes' instances with it.

    Returns
    -------
    numeric
        Steady-state probability that fewer than k instances are up [probability]; a float
        for scalar inputs, a Series if any input is a Series, else an ndarray.

    Notes
    -----
    **Nodes.** The number J of failed nodes is the birth–death chain of :class:`BirthDeath`
    (the machine-repair model [1]_ [2]_): failure rate (N − j)/MTTF, repair rate
    min(j, c)/MTTR with c crews. Its stationary π_j comes from the product form, summed
    outward from the mode.

    **Which nodes.** Let crews take waiting nodes first-come-first-served or in random order
    (any rule that ignores node identity), with exponential repairs. The full chain (failed
    set plus queue) is then unchanged in law by any relabelling of the nodes, and it is
    finite and irreducible, so its unique stationary distribution is relabelling-invariant:
    given J = j, the failed set is a uniformly random j-subset of the N nodes. (A rule that
    prefers particular nodes breaks this; the chain for J stays the same, the set does not.)

    **Instances.** With b = ⌊C/N⌋ and e = C mod N heavy nodes, j random failed nodes hold
    j·b + X instances, X ~ Hypergeometric(N, e, j). The C − L instances on up nodes each fail
    on their own with probability q_i, independently of the nodes [3]_, so
    :math:`g(L) = P(\mathrm{Bin}(C-L, q_i) > C-L-k)` (1 when C − L < k) and

    .. math::

        U = \sum_{j=0}^{N} \pi_j \sum_x H(x; N, e, j)\, g(jb + x).

    **Zones.** Zones fail independently of the node chain (nodes in a down zone keep failing
    and being repaired). The zones fall into at most three kinds (nodes, heavy nodes) under
    the round-robin layout; enumerating how many zones of each kind are down gives the
    heavy and light nodes D_h, D_l in down zones, which lose all D_h(b+1) + D_l·b of their
    instances. Given that, the j failed nodes put i in up zones with probability
    H(i; N, N − D_h − D_l, j), and those i are a uniform subset of the up-zone nodes, so the
    sum above applies to the up zones. Zone states are visited by number of failed zones and
    the visit stops when the probability of the rest is below 2⁻⁵⁶ of the sum so far (the
    conditional unavailability is at most 1, so the rest cannot change the result). Hence
    the result is exact, zones included, up to rounding.

    With unlimited crews π is Binomial(N, MTTR/(MTTF + MTTR)) and the result equals
    :func:`haplan.availability.service_unavailability`. Fewer crews make J stochastically
    larger (likelihood-ratio order of π) and P(down | j) grows with j, so U never falls
    when crews are removed.

    Numerics: all terms are non-negative and summed on the down side; binomial coefficients
    are exact integers correctly rounded, so results keep ~1e-13 relative precision (π's
    sums of logs add ~N·ε) down to float underflow (~1e-300). Cost per unique
    (N, C, Z, crews): O(C) incomplete beta values per unique (instance_unavailability, k)
    pair, O(N·e) per zone state, plus O(N²) per zone state with a failed zone, each times
    the unique MTTR/MTTF ratios and (instance_unavailability, k) pairs it serves; states
    whose π underflows in every row are skipped. A zone enumeration that would need more
    than 4·10⁷ hypergeometric entries (hundreds of zones that fail often) stops early and
    returns an upper bound, the sum so far plus the probability of the zone states not
    visited, with a ``UserWarning``.

    References
    ----------
    .. [1] K. S. Trivedi, *Probability and Statistics with Reliability, Queuing, and Computer
       Science Applications*, 2nd ed., Wiley, 2016, ch. 8 (birth–death processes, repairable
       systems with limited repair facilities).
    .. [2] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
       Theory*, 4th ed., Wiley, 2008, §2.7 (the machine-repair model).
    .. [3] W. Feller, *An Introduction to Probability Theory and Its Applications*, vol. 1,
       3rd ed., Wiley, 1968, §II.6 (the hypergeometric distribution).

    Examples
    --------
    Two nodes, one instance each, one crew, need one: U = 2λ²/(μ² + 2λμ + 2λ²).

    >>> u = crew_service_unavailability(2, 2, 1, node_mttf_h=100.0, node_mttr_h=1.0,
    ...                                 repair_crews=1)
    >>> round(u / (2e-4 / (1 + 2e-2 + 2e-4)), 12)
    1.0
    """
    n = check_range("nodes", nodes, low=1, integer=True)
    c = check_range("instances", instances, low=1, integer=True)
    k = check_range("min_instances", min_instances, integer=True)
    mttf = check_range("node_mttf_h", node_mttf_h, low=0, low_open=True, allow_inf=True)
    mttr = check_range("node_mttr_h", node_mttr_h, low=0)
    crews = _crews_array(repair_crews)
    q_instance = check_range("instance_unavailability", instance_unavailability, low=0, high=1)
    z = check_range("zones", zones, low=1, integer=True)
    q_zone = check_range("zone_unavailability", zone_unavailability, low=0, high=1)
    arrays = np.broadcast_arrays(n, c, k, mttf, mttr, crews, q_instance, z, q_zone)
    shape = arrays[0].shape
    n, c, k, mttf, mttr, crews, q_instance, z, q_zone = (a.ravel() for a in arrays)
    too_many = k > c
    if too_many.any():
        first = np.flatnonzero(too_many)[0]
        raise ValueError(
            f"min_instances={k[first]:.0f} is out of range: must be <= instances={c[first]:.0f} "
            "(the service cannot need more instances than it runs)"
        )

    result = np.zeros(n.size)
    active = np.flatnonzero(k > 0)
    if active.size:
        ratio = mttr[active] / mttf[active]  # λ/μ; mttf = inf gives 0
        crews_used = np.minimum(crews[active], n[active])
        zones_used = np.where(q_zone[active] > 0, np.minimum(z[active], n[active]), 1.0)
        structure = np.stack([n[active], c[active], zones_used, crews_used], axis=1)
        keys, group_of = np.unique(structure, axis=0, return_inverse=True)
        group_of = group_of.ravel()
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        bounded = []
        for index, (units, count, zone_count, crew_count) in enumerate(keys.astype(np.int64)):
            picked = order[bounds[index] : bounds[index + 1]]
            rows = active[picked]
            value, exact = _group_unavailability(
                int(units),
                int(count),
                int(zone_count),
                int(crew_count),
                ratio[picked],
                q_instance[rows],
                k[rows],
                q_zone[rows],
            )
            result[rows] = np.minimum(value, 1.0)  # sums of probabilities may pass 1 by an ulp
            if not exact.all():
                bounded.append((int(units), int(zone_count)))
        if bounded:
            warnings.warn(
                "crew_service_unavailability: too many zone states to enumerate for "
                f"(nodes, zones) in {sorted(set(bounded))}; those rows are upper bounds",
                UserWarning,
                stacklevel=2,
            )

    inputs = (nodes, instances, min_instances, node_mttf_h, node_mttr_h)
    if repair_crews is not None:
        inputs = (*inputs, repair_crews)
    inputs = (*inputs, instance_unavailability, zones, zone_unavailability)
    return restore(result.reshape(shape), *inputs)
