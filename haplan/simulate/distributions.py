"""Duration distributions of the simulator [h], and the checks of scalar arguments.

Each distribution has a ``mean`` [h], a ``variance`` [h²], ``sample(rng, size)`` and
``_length_biased(rng, size)``: draws from the length-biased density x f(x) / mean, which the
stationary start of a renewal process needs (Cox 1962, §7.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from haplan._numeric import check_range


def check_scalar(name: str, value, **rule) -> float:
    """``value`` as a float, checked by ``haplan._numeric.check_range`` and to be a scalar."""
    array = check_range(name, value, **rule)
    if array.ndim != 0:
        raise ValueError(f"{name}={value!r} is not valid: must be a single number")
    return float(array)


@dataclass(frozen=True)
class Exponential:
    """Exponential durations with the given mean [h] (≥ 0; inf means the event never happens)."""

    mean: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", check_scalar("mean", self.mean, low=0, allow_inf=True))

    @property
    def variance(self) -> float:
        """Variance [h²]: mean²."""
        return self.mean**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return rng.exponential(self.mean, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # density x f(x) / mean: Gamma(2, mean).
        return rng.gamma(2.0, self.mean, size)


@dataclass(frozen=True)
class Weibull:
    """Weibull durations with the given mean [h] (> 0) and shape (> 0).

    Shape < 1 gives a decreasing hazard (infant mortality, Schroeder & Gibson, DSN 2006),
    shape > 1 wear-out; shape 1 is exponential. The scale is mean / Γ(1 + 1/shape).
    """

    mean: float
    shape: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", check_scalar("mean", self.mean, low=0, low_open=True))
        object.__setattr__(self, "shape", check_scalar("shape", self.shape, low=0, low_open=True))

    @property
    def scale(self) -> float:
        """Weibull scale λ [h] = mean / Γ(1 + 1/shape)."""
        return self.mean / math.gamma(1.0 + 1.0 / self.shape)

    @property
    def variance(self) -> float:
        """Variance [h²] = λ² (Γ(1 + 2/k) − Γ(1 + 1/k)²)."""
        k = self.shape
        ratio = math.exp(special.gammaln(1 + 2 / k) - 2 * special.gammaln(1 + 1 / k))
        return self.mean**2 * (ratio - 1.0)

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return self.scale * rng.weibull(self.shape, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # x f(x) / mean: (X / λ)^k ~ Gamma(1 + 1/k).
        return self.scale * rng.gamma(1.0 + 1.0 / self.shape, 1.0, size) ** (1.0 / self.shape)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal durations with the given mean [h] (> 0) and log-space ``sigma`` (> 0).

    log X ~ Normal(log(mean) − sigma²/2, sigma), so E[X] = mean. Repair times in HPC systems
    are log-normal (Schroeder & Gibson, DSN 2006).
    """

    mean: float
    sigma: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", check_scalar("mean", self.mean, low=0, low_open=True))
        object.__setattr__(self, "sigma", check_scalar("sigma", self.sigma, low=0, low_open=True))

    @property
    def variance(self) -> float:
        """Variance [h²] = mean² (exp(sigma²) − 1)."""
        return self.mean**2 * math.expm1(self.sigma**2)

    @property
    def _mu(self) -> float:
        return math.log(self.mean) - 0.5 * self.sigma**2

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` durations [h] with ``rng``."""
        return rng.lognormal(self._mu, self.sigma, size)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        # x f(x) / mean: log-normal with mu + sigma².
        return rng.lognormal(self._mu + self.sigma**2, self.sigma, size)


@dataclass(frozen=True)
class Deterministic:
    """A fixed duration [h] (≥ 0)."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_scalar("value", self.value, low=0))

    @property
    def mean(self) -> float:
        """Mean [h]: the value."""
        return self.value

    @property
    def variance(self) -> float:
        """Variance [h²]: 0."""
        return 0.0

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Return ``size`` copies of the value [h] (``rng`` is not used)."""
        return np.full(size, self.value)

    def _length_biased(self, rng: np.random.Generator, size) -> np.ndarray:
        return np.full(size, self.value)


DISTRIBUTIONS = (Exponential, Weibull, LogNormal, Deterministic)
Distribution = Exponential | Weibull | LogNormal | Deterministic


def check_distribution(name: str, value, default: Distribution | None) -> Distribution | None:
    """``value`` if it is one of the distributions, ``default`` if it is None."""
    if value is None:
        return default
    if not isinstance(value, DISTRIBUTIONS):
        raise ValueError(
            f"{name}={value!r} is not valid: pass haplan.simulate.Exponential, Weibull, "
            "LogNormal or Deterministic"
        )
    return value
