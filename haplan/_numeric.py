"""Shared helpers for numeric inputs: broadcasting, type preservation and range checks.

Every public model function accepts "numeric" inputs (Python scalars, lists, numpy arrays or
pandas Series) and returns the same kind: a float for all-scalar input, a Series carrying the
first Series' index when any input is a Series, otherwise an ndarray.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def to_float_array(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float ndarray; ``ValueError`` naming ``name`` if not numeric."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{name}={value!r} is not numeric; pass a number or an array of numbers")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}={value!r} is not numeric; pass a number or an array of numbers"
        ) from None
    return array


def _describe_range(low, high, low_open, high_open, integer) -> str:
    kind = "a whole number" if integer else "a number"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    if not parts:
        return f"must be {kind}"
    return f"must be {kind} " + " and ".join(parts)


def check_range(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Validate every element of ``value`` and return it as a float ndarray.

    Raises ``ValueError`` naming the parameter, the first offending value and the valid range.
    NaN is always rejected; infinity only when ``allow_inf`` is false.
    """
    array = to_float_array(name, value)
    valid = _describe_range(low, high, low_open, high_open, integer)
    bad = np.isnan(array)
    if not allow_inf:
        bad |= np.isinf(array)
    with np.errstate(invalid="ignore"):
        if low is not None:
            bad |= (array <= low) if low_open else (array < low)
        if high is not None:
            bad |= (array >= high) if high_open else (array > high)
        if integer:
            finite = np.isfinite(array)
            bad |= finite & (array != np.round(array))
    if bad.any():
        first = array[bad].flat[0] if array.ndim else float(array)
        shown = _format_value(first)
        raise ValueError(f"{name}={shown} is out of range: {valid}")
    return array


def _format_value(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}"


def restore(result: Any, *inputs: Any):
    """Return ``result`` as the inputs' kind: float, Series (first Series' index) or ndarray."""
    series = [item for item in inputs if isinstance(item, pd.Series)]
    if series:
        index = series[0].index
        if any(not other.index.equals(index) for other in series[1:]):
            # numpy combined them by position; pandas users expect alignment by label.
            raise ValueError(
                "Series inputs have different indexes: align them first, e.g. a, b = a.align(b)"
            )
        return pd.Series(np.asarray(result), index=index)
    result = np.asarray(result)
    if all(np.ndim(item) == 0 and not isinstance(item, (list, tuple)) for item in inputs):
        return result.item() if result.ndim == 0 else result
    return result


#: Below this many rows a column is simply hashed: sampling would save too little.
SAMPLED_FROM_ROWS = 1 << 16


def rarely_repeated(values: np.ndarray) -> bool:
    """True when a fixed pseudo-random sample of ``values`` holds at most one repeat.

    A sample of m = 4·√n of n rows in which a fraction f of the rows share their value with
    another row holds about f·m²/(2n) = 8f repeated pairs; at most one means few rows repeat,
    so finding the repeats (hashing every row) would cost more than it saves. Only a guide
    for skipping deduplication, never for a result. False for short or non-numeric columns.
    """
    rows = values.size
    if rows < SAMPLED_FROM_ROWS or values.dtype.kind not in "fiub":
        return False
    picks = np.unique(np.random.default_rng(0).integers(0, rows, 4 * math.isqrt(rows)))
    return picks.size - np.unique(values.ravel()[picks]).size <= 1


def rows_of(values, rows: np.ndarray):
    """``values[rows]`` for sorted, distinct ``rows``; ``values`` itself, no copy, when
    ``rows`` is every one of its rows (0 … n − 1, the usual case); None stays None."""
    if values is None or rows.size == len(values):
        return values
    return values[rows]


def is_missing(value) -> bool:
    """True for None and NaN (a target or crew count left unset)."""
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


# -- binomial probabilities without importing scipy.stats (about 0.5 s of start-up) --------


def binomial_cdf(k, trials, p):
    """P(X ≤ k) for X ~ Binomial(trials, p), 0 below 0 and 1 from ``trials`` up."""
    from scipy.special import bdtr

    k, trials = np.asarray(k), np.asarray(trials)
    inside = bdtr(np.clip(k, 0, trials), trials, p)
    return np.where(k < 0, 0.0, np.where(k >= trials, 1.0, inside))


def binomial_sf(k, trials, p):
    """P(X > k) for X ~ Binomial(trials, p), 1 below 0 and 0 from ``trials`` up."""
    from scipy.special import bdtrc

    k, trials = np.asarray(k), np.asarray(trials)
    inside = bdtrc(np.clip(k, 0, trials), trials, p)
    return np.where(k < 0, 1.0, np.where(k >= trials, 0.0, inside))


def binomial_pmf(k, trials, p):
    """P(X = k) for X ~ Binomial(trials, p), in log space (0 outside 0 … trials)."""
    from scipy.special import gammaln, xlog1py, xlogy

    k, trials = np.asarray(k, dtype=float), np.asarray(trials, dtype=float)
    inside = (k >= 0) & (k <= trials) & (k == np.floor(k))
    kk = np.where(inside, k, 0.0)
    log_pmf = (
        gammaln(trials + 1)
        - gammaln(kk + 1)
        - gammaln(trials - kk + 1)
        + xlogy(kk, p)
        + xlog1py(trials - kk, -p)
    )
    return np.where(inside, np.exp(log_pmf), 0.0)
