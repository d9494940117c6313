"""Tail probabilities of the instances down for very many instances (package-internal).

The truncated direct convolutions of :mod:`haplan.availability._truncated` cost
O(min(k, C − k + 1)²) per structure: too slow when a service of 1e5 instances needs half of
them. Here the whole distribution of the instances down, D over 0 … C, is built with one FFT
of length ≥ C + 1, after an exponential tilt (Esscher transform) that moves its centre onto
the threshold T:

    p_θ(x) = P(D = x) e^{θx} / M(θ),   M(θ) = E e^{θD},
    P(D ≥ T) = M(θ) e^{−θT} Σ_{x ≥ T} p_θ(x) e^{−θ(x − T)}.

θ minimises log M(θ) − θT (the saddle point), so p_θ has its mass around T and the entries
the sum reads are of the order of its largest ones: the FFT's rounding, absolute and of the
order of 1e-16 × (number of factors) of the largest entry, is then a relative error near
1e-11 of the tail, however small the tail (1e-300 keeps its digits; [1]_). Tilting factors
over independent parts, so every node and zone stays a proper distribution (a mixture of the
tilted binomial of its instances and the tilted point mass of "all down"), transformed once
and raised to its count in the frequency domain. log M(θ) is summed in log space.

References
----------
.. [1] J. L. Jensen, *Saddlepoint Approximations*, Oxford University Press, 1995, ch. 1
   (exponential tilting); C. Hipp, "Efficient simulation and computation of tail
   probabilities by exponential tilting", 1980s actuarial literature on FFT with tilting
   (Grübel and Hermesmeier, "Computation of compound distributions II: discretization errors
   and Richardson extrapolation", ASTIN Bulletin 30, 2000).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from haplan.availability._truncated import zone_layout

__all__ = ["down_tail"]


def _log(q: float) -> float:
    return math.log(q) if q > 0 else -math.inf


def _log1m(q: float) -> float:
    return math.log1p(-q) if q < 1 else -math.inf


def _logaddexp(a, b):
    with np.errstate(invalid="ignore"):  # −inf + −inf
        return np.logaddexp(a, b)


class _Model:
    """One structure with its probabilities: its parts, log MGFs and supports.

    Every log MGF is kept relative to the part's largest count (log E e^{θ(X − max X)}),
    which stays of the order of the log probabilities even at large θ: the objective
    log M(θ) − θT is then summed without cancelling large terms.
    """

    def __init__(self, nodes, instances, zones, qn, qi, qz):
        base, zone_types = zone_layout(nodes, instances, zones)
        self.base, self.instances = base, instances
        self.qn, self.qi, self.qz = qn, qi, qz
        self.zones = []  # (count, heavy, light, instances held)
        for count, heavy, light in zone_types:
            held = heavy * (base + 1) + light * base
            if held:
                self.zones.append((count, heavy, light if base > 0 else 0, held))
        self.lqn, self.lpn = _log(qn), _log1m(qn)
        self.lqi, self.lpi = _log(qi), _log1m(qi)
        self.lqz, self.lpz = _log(qz), _log1m(qz)

    def _instance(self, theta):
        """log E e^{θ(X − 1)} of one instance's down indicator on an up node."""
        return _logaddexp(self.lpi - theta, self.lqi)

    def _node(self, load, theta):
        """log E e^{θ(X − L)} of a node holding ``load`` instances."""
        return _logaddexp(self.lpn + load * self._instance(theta), self.lqn)

    def _inside(self, heavy, light, theta):
        total = 0.0 * theta
        if heavy:
            total = total + heavy * self._node(self.base + 1, theta)
        if light:
            total = total + light * self._node(self.base, theta)
        return total

    def objective(self, theta, threshold):
        """log M(θ) − θT: the log of the Chernoff bound the saddle point minimises."""
        total = 0.0 * theta
        for count, heavy, light, _ in self.zones:
            zone = _logaddexp(self.lpz + self._inside(heavy, light, theta), self.lqz)
            total = total + count * zone
        return total + theta * (self.instances - threshold)

    def support(self):
        """(smallest, largest) number of instances down with positive probability."""
        low = high = 0
        for count, heavy, light, held in self.zones:
            node_low = node_high = 0
            for number, load in ((heavy, self.base + 1), (light, self.base)):
                node_low += number * (load if (self.qn == 1 or self.qi == 1) else 0)
                node_high += number * (load if (self.qn > 0 or self.qi > 0) else 0)
            low += count * (held if self.qz == 1 else node_low)
            high += count * (held if self.qz > 0 else node_high)
        return low, high

    def tilted_pmf(self, theta):
        """p_θ over 0 … C (non-negative, sums to 1 up to rounding)."""
        from scipy import fft  # only for very large services: keep imports light

        length = fft.next_fast_len(self.instances + 1, real=True)
        omega = np.arange(length // 2 + 1)
        # the tilted Bin(L, q) is Bin(L, q'), q' = q e^θ / (1 − q + q e^θ), a logistic
        shift = self.lqi + theta - self.lpi if self.qi < 1 else math.inf
        log_q = -_logaddexp(0.0, -shift)
        log_p = -_logaddexp(0.0, shift)
        transforms = {}
        for load in {self.base + 1, self.base} - {0}:
            x = np.arange(load + 1)
            with np.errstate(invalid="ignore"):
                log_pmf = (
                    special.gammaln(load + 1.0)
                    - special.gammaln(x + 1.0)
                    - special.gammaln(load - x + 1.0)
                    + np.where(x > 0, x * log_q, 0.0)
                    + np.where(load - x > 0, (load - x) * log_p, 0.0)
                )
            # node down (all L down) against up, as tilted odds
            odds = self.lqn - self.lpn - load * self._instance(theta)
            pmf = np.exp(log_pmf) * special.expit(-odds)
            pmf[load] += special.expit(odds)
            transforms[load] = fft.rfft(pmf, length)
        log_size = np.zeros(length // 2 + 1)  # the product of the zones' transforms, as
        phase = np.zeros(length // 2 + 1)  # log-modulus and angle (zone ** count, exact zeros)
        for count, heavy, light, held in self.zones:
            up = np.ones(length // 2 + 1, dtype=complex)
            if heavy:
                up = up * transforms[self.base + 1] ** heavy
            if light:
                up = up * transforms[self.base] ** light
            odds = self.lqz - self.lpz - self._inside(heavy, light, theta)
            down = np.exp(-2j * np.pi * omega * held / length)
            zone = special.expit(-odds) * up + special.expit(odds) * down
            with np.errstate(divide="ignore"):
                log_size = log_size + count * np.log(np.abs(zone))
            phase = phase + count * np.angle(zone)
        total = np.exp(log_size) * (np.cos(phase) + 1j * np.sin(phase))
        pmf = fft.irfft(total, length)[: self.instances + 1]
        return np.maximum(pmf, 0.0)


def down_tail(nodes, instances, zones, qn, qi, qz, threshold, upper=True):
    """P(D ≥ threshold) (``upper``) or P(D ≤ threshold) for one structure [probability].

    D is the number of instances down over the placement of
    :func:`haplan.availability.service_unavailability` (nodes round-robin over zones,
    instances round-robin over nodes), all failures independent.
    """
    model = _Model(int(nodes), int(instances), int(zones), float(qn), float(qi), float(qz))
    t = int(threshold)
    low, high = model.support()
    if upper:
        if t > high:
            return 0.0
        if t <= low:
            return 1.0
    else:
        if t >= high:
            return 1.0
        if t < low:
            return 0.0
    from scipy import optimize  # only for very large services: keep imports light

    bound = 700.0
    result = optimize.minimize_scalar(
        lambda theta: model.objective(theta, t),
        bounds=(0.0, bound) if upper else (-bound, 0.0),
        method="bounded",
        options={"xatol": 1e-6},
    )
    theta = float(result.x)
    pmf = model.tilted_pmf(theta)
    x = np.arange(pmf.size)
    part = slice(t, None) if upper else slice(0, t + 1)
    with np.errstate(over="ignore"):
        weights = np.exp(-theta * (x[part] - t))
    total = float(np.sum(pmf[part] * weights))
    if total <= 0:
        return 0.0
    log_p = float(model.objective(theta, t)) + math.log(total)
    return min(math.exp(log_p), 1.0) if log_p > -745.2 else 0.0
