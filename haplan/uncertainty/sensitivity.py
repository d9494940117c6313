"""Which uncertain input matters: a one-at-a-time tornado and first-order / total Sobol indices."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from haplan.scenario import Scenario
from haplan.table import metrics
from haplan.uncertainty.distributions import Distribution, check_uncertain
from haplan.uncertainty.propagation import input_frame, make_rng, undescribable

__all__ = ["sensitivity", "sobol", "sobol_indices"]


def _metric_of(scenario: Scenario, columns: dict, n: int, metric: str) -> np.ndarray:
    """``metric`` for ``n`` input rows; NaN where the row describes no scenario."""
    frame = input_frame(scenario, columns, n)
    ok = undescribable(frame) == ""
    out = np.full(n, np.nan)
    if ok.any():
        table = metrics(frame[ok])
        if metric not in table:
            raise ValueError(f"metric={metric!r} is not a column of haplan.metrics")
        out[ok] = table[metric].to_numpy(dtype=float)
    return out


def sensitivity(
    scenario: Scenario,
    distributions: Mapping[str, Distribution | str],
    *,
    metric: str = "slo_nines",
    low: float = 0.05,
    high: float = 0.95,
) -> pd.DataFrame:
    """One-at-a-time sensitivity (a tornado): each input at two quantiles, the others central.

    Parameters
    ----------
    scenario : Scenario
        The fixed inputs.
    distributions : mapping of str to Distribution or str
        The uncertain inputs (as for :func:`~haplan.uncertainty.propagate`).
    metric : str
        A numeric column of ``haplan.metrics`` (default ``slo_nines``).
    low, high : float
        The quantile levels each input is moved to [probability], 0 < low < high < 1.

    Returns
    -------
    pandas.DataFrame
        One row per uncertain input, largest swing first: ``input``, ``distribution``,
        ``value_low`` and ``value_high`` (the input's ``low`` and ``high`` quantiles
        [input unit]), ``metric_low`` and ``metric_high`` (the metric there, every other
        uncertain input at its median), ``baseline`` (all at their medians) and ``swing``
        = |metric_high − metric_low|. A combination that describes no scenario (e.g. more
        zones than nodes) gives NaN and sorts last. ``attrs["metric"]`` names the metric.

    Notes
    -----
    One-at-a-time swings ignore interactions and the inputs' joint spread; see
    :func:`sobol_indices` for variance-based indices (Saltelli et al., *Global Sensitivity
    Analysis: The Primer*, Wiley, 2008, §1.2.3 and ch. 4).
    """
    if not 0.0 < low < high < 1.0:
        raise ValueError(f"low={low!r}, high={high!r} are out of range: need 0 < low < high < 1")
    laws = check_uncertain(distributions)
    names = list(laws)
    medians = {name: law.median for name, law in laws.items()}
    n = 2 * len(names) + 1
    columns = {name: np.full(n, value) for name, value in medians.items()}
    for i, name in enumerate(names):
        columns[name][2 * i + 1] = laws[name].ppf(low)
        columns[name][2 * i + 2] = laws[name].ppf(high)
    values = _metric_of(scenario, columns, n, metric)
    rows = []
    for i, name in enumerate(names):
        at_low, at_high = values[2 * i + 1], values[2 * i + 2]
        with np.errstate(invalid="ignore"):
            swing = abs(at_high - at_low)
        rows.append(
            {
                "input": name,
                "distribution": str(laws[name]),
                "value_low": float(laws[name].ppf(low)),
                "value_high": float(laws[name].ppf(high)),
                "metric_low": at_low,
                "metric_high": at_high,
                "baseline": values[0],
                "swing": swing,
            }
        )
    columns_out = [
        "input",
        "distribution",
        "value_low",
        "value_high",
        "metric_low",
        "metric_high",
        "baseline",
        "swing",
    ]
    table = pd.DataFrame(rows, columns=columns_out)
    table = table.sort_values("swing", ascending=False, na_position="last", kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["metric"] = metric
    return table


def sobol(
    model: Callable[[np.ndarray], np.ndarray],
    distributions: Sequence[Distribution],
    *,
    samples: int = 1024,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``model`` by the Saltelli / Jansen estimators.

    Parameters
    ----------
    model : callable
        Maps an (m, k) array of inputs to m outputs.
    distributions : sequence of Distribution
        The k independent inputs' laws (drawn by inversion of the truncated laws).
    samples : int
        N, base sample size [count] ≥ 2; the model is evaluated N (k + 2) times.
    seed, rng
        As for :func:`~haplan.uncertainty.propagate`.

    Returns
    -------
    pandas.DataFrame
        Index 0..k−1; ``first_order`` Sᵢ, ``total`` Sᵀᵢ [fraction of the output variance]
        and their standard errors ``*_se`` (the spread of the estimators' summands over √N,
        the variance taken as known).

    Notes
    -----
    With A, B two independent N × k samples and A_B⁽ⁱ⁾ A with column i from B, and V the
    variance of f over A and B together (f centred on its mean over A and B, which leaves
    the estimators' expectations unchanged and reduces their variance):

    - Sᵢ = (1/N) Σⱼ f(B)ⱼ (f(A_B⁽ⁱ⁾)ⱼ − f(A)ⱼ) / V (Saltelli et al. 2010, Table 2 (b));
    - Sᵀᵢ = (1/2N) Σⱼ (f(A)ⱼ − f(A_B⁽ⁱ⁾)ⱼ)² / V (Jansen 1999; Saltelli et al. 2010,
      Table 2 (f)).

    A. Saltelli, P. Annoni, I. Azzini, F. Campolongo, M. Ratto and S. Tarantola, "Variance
    based sensitivity analysis of model output. Design and estimator for the total
    sensitivity index", *Computer Physics Communications* 181 (2010) 259–270.
    """
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise ValueError(f"samples={samples!r} is out of range: must be a whole number >= 2")
    laws = list(distributions)
    k = len(laws)
    if k == 0:
        raise ValueError("sobol needs at least one input distribution")
    generator = make_rng(seed, rng)
    u = generator.random((2, samples, k))
    a = np.column_stack([law.ppf(u[0, :, i]) for i, law in enumerate(laws)])
    b = np.column_stack([law.ppf(u[1, :, i]) for i, law in enumerate(laws)])
    stacked = [a, b]
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        stacked.append(ab)
    y = np.asarray(model(np.concatenate(stacked)), dtype=float).reshape(k + 2, samples)
    if not np.isfinite(y).all():
        raise ValueError("the model gave non-finite outputs: Sobol indices need finite ones")
    y = y - np.mean(y[:2])  # centring leaves both estimators' expectations, cuts their noise
    f_a, f_b = y[0], y[1]
    variance = np.var(y[:2], ddof=1)
    rows = []
    for i in range(k):
        f_ab = y[2 + i]
        first = f_b * (f_ab - f_a)
        total = 0.5 * (f_a - f_ab) ** 2
        if variance > 0:
            rows.append(
                {
                    "first_order": first.mean() / variance,
                    "first_order_se": first.std(ddof=1) / math.sqrt(samples) / variance,
                    "total": total.mean() / variance,
                    "total_se": total.std(ddof=1) / math.sqrt(samples) / variance,
                }
            )
        else:
            rows.append(dict.fromkeys(("first_order", "first_order_se", "total", "total_se"), 0.0))
    return pd.DataFrame(rows)


def sobol_indices(
    scenario: Scenario,
    distributions: Mapping[str, Distribution | str],
    *,
    metric: str = "slo_nines",
    samples: int = 1024,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """Sobol indices of a metric with respect to each uncertain input.

    Parameters
    ----------
    scenario : Scenario
        The fixed inputs.
    distributions : mapping of str to Distribution or str
        The uncertain inputs (as for :func:`~haplan.uncertainty.propagate`).
    metric : str
        A numeric column of ``haplan.metrics``; it must be finite for every draw.
    samples : int
        N [count]: N (k + 2) scenarios are evaluated in one ``haplan.metrics`` call.
    seed, rng
        As for :func:`~haplan.uncertainty.propagate`.

    Returns
    -------
    pandas.DataFrame
        Index: the inputs; columns as :func:`sobol`, sorted by total index, largest first.

    Raises
    ------
    ValueError
        When a combination of draws describes no scenario (the estimator cannot redraw one
        row alone), or the metric is not finite.
    """
    laws = check_uncertain(distributions)
    names = list(laws)

    def model(x: np.ndarray) -> np.ndarray:
        columns = {name: x[:, i] for i, name in enumerate(names)}
        values = _metric_of(scenario, columns, len(x), metric)
        if np.isnan(values).any():
            raise ValueError(
                "some draws describe no scenario (e.g. fewer nodes than zones): "
                "Sobol indices need every combination to be one"
            )
        return values

    table = sobol(model, [laws[n] for n in names], samples=samples, seed=seed, rng=rng)
    table.index = pd.Index(names, name="input")
    table = table.sort_values("total", ascending=False, kind="stable")
    table.attrs["metric"] = metric
    return table
