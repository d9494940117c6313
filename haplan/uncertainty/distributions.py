"""Uncertain inputs: distribution specs such as ``lognormal(0.26, 0.5)``, parsed and bounded.

A :class:`Distribution` is one of five parametric families (or a plain number), optionally
truncated to an interval. Every draw is an inverse-transform draw, ``ppf(u)`` with ``u``
uniform over the kept probability, so truncation to an input's valid range is exact and is
the same as redrawing every sample that falls outside it (Devroye, *Non-Uniform Random
Variate Generation*, 1986, §II.2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from haplan.scenario import INPUT_NAMES, NUMERIC_RULES, TARGET_NAMES

__all__ = [
    "Distribution",
    "parse_distribution",
    "split_uncertain",
    "check_uncertain",
    "UNCERTAIN_INPUTS",
    "INTEGER_INPUTS",
    "FORMS",
]

#: The spec forms :func:`parse_distribution` accepts, for error messages and help texts.
FORMS = (
    "a number",
    "lognormal(MEDIAN, SIGMA)",
    "gamma(SHAPE, SCALE)",
    "uniform(LOW, HIGH)",
    "normal(MEAN, SD)",
    "triangular(LOW, MODE, HIGH)",
)

#: Inputs that may be given as distributions: the numeric ones that describe the cluster and
#: its service. Targets are what the service must meet, not something uncertain, and
#: orchestrator, balancer and reschedule are choices.
UNCERTAIN_INPUTS: tuple[str, ...] = tuple(
    name for name in INPUT_NAMES if name in NUMERIC_RULES and name not in TARGET_NAMES
)

#: Inputs counted in whole numbers: their samples are rounded to the nearest whole number.
INTEGER_INPUTS: tuple[str, ...] = tuple(
    name for name in UNCERTAIN_INPUTS if NUMERIC_RULES[name].get("integer")
)

_ARITY = {"lognormal": 2, "gamma": 2, "uniform": 2, "normal": 2, "triangular": 3}
_SPEC = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Distribution:
    """An uncertain input's distribution, optionally truncated to ``[low, high]``.

    Parameters
    ----------
    kind : {"lognormal", "gamma", "uniform", "normal", "triangular", "fixed"}
        The family. ``"fixed"`` is a plain number: every draw is ``params[0]``.
    params : tuple of float
        In the input's unit: lognormal (median e^μ, σ of the logarithm [dimensionless]);
        gamma (shape [dimensionless], scale); uniform (low, high); normal (mean, standard
        deviation); triangular (low, mode, high); fixed (value,).
    low, high : float
        Truncation bounds, in the input's unit (default: none). Draws are conditioned on
        ``low ≤ x ≤ high``, i.e. a draw outside is redrawn; :meth:`bounded` sets them.

    Notes
    -----
    Draws are by inversion, ``ppf(F(low) + u (F(high) − F(low)))`` with ``u ~ U(0, 1)``: one
    uniform per draw, so the same generator state gives the same samples whatever the family.
    """

    kind: str
    params: tuple[float, ...]
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(float(p) for p in self.params))
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        reason = _check_params(self.kind, self.params)
        if reason:
            raise ValueError(f"{self} is not a valid distribution: {reason}")
        if not self.low <= self.high:
            raise ValueError(f"{self} has empty bounds [{self.low:g}, {self.high:g}]")
        if self.mass <= 0.0:
            raise ValueError(
                f"{self} has no probability in [{self.low:g}, {self.high:g}]: move it into range"
            )

    # -- the family ------------------------------------------------------------------------
    def _frozen(self):
        from scipy import stats  # only when a distribution is used: 0.5 s of start-up

        p = self.params
        if self.kind == "lognormal":
            return stats.lognorm(s=p[1], scale=p[0])
        if self.kind == "gamma":
            return stats.gamma(a=p[0], scale=p[1])
        if self.kind == "uniform":
            return stats.uniform(loc=p[0], scale=p[1] - p[0])
        if self.kind == "normal":
            return stats.norm(loc=p[0], scale=p[1])
        if self.kind == "triangular":
            return stats.triang(c=(p[1] - p[0]) / (p[2] - p[0]), loc=p[0], scale=p[2] - p[0])
        raise AssertionError(self.kind)

    def _untruncated_cdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.kind == "fixed":
            return (x >= self.params[0]).astype(float)
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            return self._frozen().cdf(x)

    @property
    def _kept(self) -> tuple[float, float]:
        """F(low) and F(high) of the untruncated family."""
        if self.kind == "fixed":
            return 0.0, 1.0
        lo, hi = self._untruncated_cdf([self.low, self.high])
        return float(lo), float(hi)

    @property
    def mass(self) -> float:
        """Probability the untruncated family puts in ``[low, high]`` [probability]."""
        if self.kind == "fixed":
            return float(self.low <= self.params[0] <= self.high)
        lo, hi = self._kept
        return hi - lo

    @property
    def truncated(self) -> bool:
        """True when the bounds cut off some probability."""
        return self.mass < 1.0

    # -- the (truncated) distribution ------------------------------------------------------
    def ppf(self, q):
        """Quantile function [input unit] at ``q`` [probability], of the truncated law."""
        q = np.asarray(q, dtype=float)
        if self.kind == "fixed":
            return np.full_like(q, self.params[0]) if q.ndim else self.params[0]
        lo, hi = self._kept
        x = self._frozen().ppf(lo + q * (hi - lo))
        x = np.clip(x, self.low, self.high)  # F⁻¹(F(b)) may round a hair past b
        return x if np.ndim(x) else float(x)

    def cdf(self, x):
        """Cumulative probability of the truncated law at ``x`` [input unit]."""
        lo, hi = self._kept
        inside = (self._untruncated_cdf(x) - lo) / (hi - lo)
        result = np.clip(inside, 0.0, 1.0)
        return result if np.ndim(result) else float(result)

    @property
    def median(self) -> float:
        """The median [input unit] (of the truncated law)."""
        return float(self.ppf(0.5))

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draw ``size`` values [input unit] with ``rng`` by inversion of the truncated law."""
        if self.kind == "fixed":
            return np.full(size, self.params[0])
        return np.asarray(self.ppf(rng.random(size)), dtype=float)

    def bounded(self, low: float = -math.inf, high: float = math.inf) -> Distribution:
        """This distribution conditioned on ``low ≤ x ≤ high`` (intersected with its bounds).

        Raises ``ValueError`` when no probability is left.
        """
        return Distribution(self.kind, self.params, max(self.low, low), min(self.high, high))

    # -- text ------------------------------------------------------------------------------
    def __str__(self) -> str:
        args = ", ".join(f"{p:g}" for p in self.params)
        return args if self.kind == "fixed" else f"{self.kind}({args})"

    def describe(self) -> str:
        """One line: the spec, its median and 90 % interval, and any truncation.

        Example: ``"gamma(4, 200): median 735, 90 % interval 275–1,550"``.
        """
        if self.kind == "fixed":
            return f"{self} (fixed)"
        p05, p95 = self.ppf([0.05, 0.95])
        text = f"{self}: median {_num(self.median)}, 90 % interval {_num(p05)}–{_num(p95)}"
        if self.truncated:
            text += f" (truncated to [{_num(self.low)}, {_num(self.high)}], {self.mass:.1%} kept)"
        return text


def _num(x: float) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if abs(x) >= 1e4 or (x != 0 and abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:,.4g}"


def _check_params(kind: str, p: tuple[float, ...]) -> str:
    """Why ``p`` does not define a ``kind`` distribution ('' when it does)."""
    if kind == "fixed":
        return "" if len(p) == 1 and not math.isnan(p[0]) else "give one number"
    if kind not in _ARITY:
        return f"unknown family {kind!r}"
    if len(p) != _ARITY[kind]:
        return f"{kind} takes {_ARITY[kind]} parameters, got {len(p)}"
    if not all(math.isfinite(v) for v in p):
        return "parameters must be finite numbers"
    if kind == "lognormal" and not (p[0] > 0 and p[1] > 0):
        return "MEDIAN and SIGMA must be > 0"
    if kind == "gamma" and not (p[0] > 0 and p[1] > 0):
        return "SHAPE and SCALE must be > 0"
    if kind == "uniform" and not p[0] < p[1]:
        return "LOW must be < HIGH"
    if kind == "normal" and not p[1] > 0:
        return "SD must be > 0"
    if kind == "triangular" and not (p[0] <= p[1] <= p[2] and p[0] < p[2]):
        return "LOW ≤ MODE ≤ HIGH with LOW < HIGH"
    return ""


def parse_distribution(text: str | float | Distribution) -> Distribution:
    """Parse a distribution spec or a plain number.

    Parameters
    ----------
    text : str, float or Distribution
        ``lognormal(MEDIAN, SIGMA)`` (median e^μ in the input's unit, σ of the natural
        logarithm), ``gamma(SHAPE, SCALE)`` (mean SHAPE × SCALE), ``uniform(LOW, HIGH)``,
        ``normal(MEAN, SD)``, ``triangular(LOW, MODE, HIGH)``, or a plain number (``"0.26"``,
        ``"inf"``). Family names are case-insensitive. A Distribution is returned as is.

    Returns
    -------
    Distribution
        Untruncated; a plain number is ``Distribution("fixed", (value,))``. A normal law puts
        probability below 0: :func:`split_uncertain` and :func:`haplan.uncertainty.propagate`
        truncate every distribution to its input's valid range (for a positive input, a
        normal truncated at 0).

    Raises
    ------
    ValueError
        Naming the text, what is wrong and the valid forms.

    Examples
    --------
    >>> parse_distribution("gamma(4, 200)").median  # doctest: +ELLIPSIS
    734.4...
    """
    if isinstance(text, Distribution):
        return text
    if isinstance(text, (int, float, np.number)) and not isinstance(text, bool):
        return Distribution("fixed", (float(text),))
    forms = "; valid forms: " + ", ".join(FORMS)
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a distribution spec{forms}")
    try:
        return Distribution("fixed", (float(text),))
    except ValueError:
        pass
    match = _SPEC.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a valid distribution{forms}")
    kind = match.group(1).lower()
    if kind not in _ARITY:
        raise ValueError(f"{text!r} is not a valid distribution: unknown family {kind!r}{forms}")
    try:
        params = tuple(float(arg) for arg in match.group(2).split(","))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a valid distribution: parameters must be numbers{forms}"
        ) from None
    reason = _check_params(kind, params)
    if reason:
        raise ValueError(f"{text!r} is not a valid distribution: {reason}{forms}")
    return Distribution(kind, params)


def input_bounds(name: str) -> tuple[float, float]:
    """The closed interval [input unit] an input's samples are truncated to.

    From the input's validity rule (``haplan.scenario``): an open bound ``> 0`` becomes the
    next float above 0, so a sampled MTTR is never 0. Continuous laws never draw ``inf``;
    a fixed ``inf`` is refused by the Scenario where the input does not allow it.
    """
    rule = NUMERIC_RULES[name]
    low = rule.get("low", -math.inf)
    high = rule.get("high", math.inf)
    if rule.get("low_open"):
        low = float(np.nextafter(low, math.inf))
    if rule.get("high_open"):
        high = float(np.nextafter(high, -math.inf))
    return float(low), float(high)


def _looks_like_spec(value: Any) -> bool:
    return isinstance(value, Distribution) or (isinstance(value, str) and "(" in value)


def check_uncertain(distributions: Mapping[str, Any]) -> dict[str, Distribution]:
    """Parse and check ``{input name: spec}``, truncating each to its input's valid range.

    Returns the laws in vocabulary order (``INPUT_NAMES``), so that draws made in this
    order do not depend on the order of the mapping. Raises ``ValueError`` for a name that
    is not an input that can be uncertain (naming them), for a bad spec (naming the
    input), for ``replicas`` and ``instances`` together, and for a distribution with no
    probability in its input's range.
    """
    out: dict[str, Distribution] = {}
    for name, spec in distributions.items():
        if name not in UNCERTAIN_INPUTS:
            if name in TARGET_NAMES:
                why = "a target is what the service must meet; set one value"
            elif name in INPUT_NAMES:
                why = "it is a choice, not a number"
            else:
                why = "it is not a scenario input"
            raise ValueError(
                f"{name}={spec!s} cannot be a distribution: {why}. Inputs that can: "
                + ", ".join(UNCERTAIN_INPUTS)
            )
        try:
            parsed = parse_distribution(spec)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        low, high = input_bounds(name)
        try:
            out[name] = parsed.bounded(low, high)
        except ValueError:
            raise ValueError(
                f"{name}={parsed} puts no probability in the input's valid range "
                f"[{_num(low)}, {_num(high)}]"
            ) from None
    if "replicas" in out and "instances" in out:
        raise ValueError("give replicas or instances as a distribution, not both")
    return {name: out[name] for name in UNCERTAIN_INPUTS if name in out}


def split_uncertain(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Distribution]]:
    """Split scenario inputs, some given as distribution specs, into point values and laws.

    Parameters
    ----------
    values : mapping
        Scenario inputs by vocabulary name (as for ``Scenario.from_dict``). A value that is
        a :class:`Distribution` or a string such as ``"lognormal(0.26, 0.5)"`` makes that
        input uncertain; a numeric string (``"0.26"``) is a plain value; anything else
        (numbers, orchestrator names, ``recovery`` tables, ``name``) passes through.

    Returns
    -------
    point_values : dict
        ``values`` with each uncertain input replaced by its distribution's median (rounded
        for whole-number inputs), ready for ``Scenario.from_dict``.
    distributions : dict of str to Distribution
        The uncertain inputs in vocabulary order, each truncated to its input's valid
        range (so the median is the truncated law's: a ``normal(0.2, 0.2)`` MTTR has
        median 0.24, not 0.2).

    Raises
    ------
    ValueError
        When a spec is malformed, or names an input that cannot be uncertain (targets,
        orchestrator, balancer, reschedule, unknown names).
    """
    point: dict[str, Any] = {}
    specs: dict[str, Any] = {}
    for name, value in values.items():
        if _looks_like_spec(value):
            specs[name] = value
        elif isinstance(value, str) and name in NUMERIC_RULES:
            try:
                point[name] = parse_distribution(value).params[0]  # a numeric string
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
        else:
            point[name] = value
    distributions = check_uncertain(specs)
    for name, law in distributions.items():
        point[name] = round(law.median) if name in INTEGER_INPUTS else law.median
    ordered = {name: point[name] for name in values}
    return ordered, distributions
