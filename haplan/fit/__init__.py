"""Fitting a unit's MTTF and MTTR, with confidence intervals, from a failure history.

Pure functions (numpy, scipy, pandas; no printing or plotting):

- :func:`read_history` — read an outage or interval history CSV (the edge: ``ValueError``
  naming the column and row on bad input);
- :func:`history_periods` — each unit's up periods (window start → first outage, outage end →
  next start, last end → window end, right-censored) and down periods (outage lengths, open
  outages censored);
- :func:`fit_durations` — one family (exponential, Weibull, log-normal) fitted by maximum
  likelihood to censored durations; :func:`exponential_mean_interval` — the exact χ²
  interval of an exponential mean from time-censored data;
- :func:`fit_history` — all of it: lifetimes (up periods) and repairs (down periods), each
  fitted by every family, AIC, the likelihood-ratio test of the exponential within the
  Weibull, a one-line statement, and :class:`FitResult` with the scenario values, a TOML
  snippet and the estimators' uncertainty as ``lognormal(MEDIAN, SIGMA)`` strings.

Units of all the fits are pooled: the history is taken as that of identical, independent
units, each a renewal process (repairs restore the unit to as good as new).

Sources: W. Q. Meeker & L. A. Escobar, *Statistical Methods for Reliability Data*, Wiley
1998 (censored likelihoods, ch. 7–8; likelihood-ratio tests); NIST/SEMATECH e-Handbook of
Statistical Methods, ch. 8 "Assessing product reliability"; H. Akaike, "A new look at the
statistical model identification", IEEE Trans. Automatic Control 19 (1974) (AIC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from haplan.fit._families import (
    EXACT,
    FAMILIES,
    FAMILY_LABELS,
    LEFT,
    RIGHT,
    FamilyFit,
    exponential_mean_interval,
    fit_durations,
)
from haplan.fit._history import history_periods, read_history

__all__ = [
    "FitResult",
    "FamilyFit",
    "fit_history",
    "fit_durations",
    "exponential_mean_interval",
    "history_periods",
    "read_history",
    "FAMILIES",
    "EXACT",
    "RIGHT",
    "LEFT",
]

TABLE_COLUMNS = [
    "family",
    "parameters",
    "mean_h",
    "ci_low_h",
    "ci_high_h",
    "log_se",
    "robust_log_se",
    "robust_low_h",
    "robust_high_h",
    "loglik",
    "n_params",
    "aic",
    "delta_aic",
    "interval_method",
    "n_events",
    "n_censored",
    "total_h",
]


@dataclass(frozen=True, eq=False)
class FitResult:
    """MTTF and MTTR of a unit fitted from a failure history.

    Attributes
    ----------
    lifetimes, repairs : pandas.DataFrame
        One row per family fitted to the up periods (lifetimes) and to the down periods
        (repairs): ``family``, ``parameters`` (text), ``mean_h`` [h], ``ci_low_h`` and
        ``ci_high_h`` [h] (the mean's interval at ``confidence`` under that family),
        ``log_se`` (standard error of log mean), ``robust_log_se``, ``robust_low_h``,
        ``robust_high_h`` (exponential row: the sandwich interval, valid whatever the
        distribution; NaN elsewhere), ``loglik``, ``n_params``, ``aic``, ``delta_aic`` (AIC
        minus the best), ``interval_method``, ``n_events``, ``n_censored``, ``total_h`` [h].
        A family that could not be fitted (too few events) is absent.
    statement : str
        One line: the Weibull shape and what it says of the hazard, the likelihood-ratio test
        of the exponential, the MTTF and MTTR with intervals and the best family by AIC.
    mttf_h, mttf_low_h, mttf_high_h, mttf_log_se : float
        The point value [h], its interval [h] and the standard error of its log.
    mttr_h, mttr_low_h, mttr_high_h, mttr_log_se : float
        Likewise for the repairs.
    mttf_method, mttr_method : str
        How the point value was made: ``"exposure / events"`` (the default) or a family's
        mean (``"weibull"``, ``"lognormal"``, ...), with the interval method.
    best_lifetime_family, best_repair_family : str
        Lowest AIC.
    weibull_shape, weibull_shape_low, weibull_shape_high : float
        Weibull shape of the lifetimes and its interval (delta method on log shape).
    exponential_p_value : float
        p-value of the likelihood-ratio test of exponential lifetimes (Weibull shape = 1):
        D = 2(ℓ_Weibull − ℓ_exponential) against χ² with 1 degree of freedom.
    periods : pandas.DataFrame
        The up and down periods fitted (see :func:`history_periods`).
    n_units : int
        Units in the history.
    confidence : float
        Two-sided confidence level of every interval.
    source : str
        Where the history came from (a path, or ``"DataFrame"``).
    """

    lifetimes: pd.DataFrame
    repairs: pd.DataFrame
    statement: str
    mttf_h: float
    mttf_low_h: float
    mttf_high_h: float
    mttf_log_se: float
    mttf_method: str
    mttr_h: float
    mttr_low_h: float
    mttr_high_h: float
    mttr_log_se: float
    mttr_method: str
    best_lifetime_family: str
    best_repair_family: str
    weibull_shape: float
    weibull_shape_low: float
    weibull_shape_high: float
    exponential_p_value: float
    periods: pd.DataFrame
    n_units: int
    confidence: float
    source: str

    def scenario_values(self, prefix: str = "node") -> dict[str, float]:
        """Point values in the scenario vocabulary: ``{"node_mttf_h": ..., "node_mttr_h": ...}``.

        Parameters
        ----------
        prefix : str
            ``"node"``, ``"instance"`` or ``"zone"`` (any identifier is accepted).
        """
        _check_prefix(prefix)
        return {f"{prefix}_mttf_h": self.mttf_h, f"{prefix}_mttr_h": self.mttr_h}

    def uncertainty(self, prefix: str = "node") -> dict[str, str]:
        """The estimators' uncertainty as distributions for propagation.

        Returns ``{"node_mttf_h": "lognormal(MEDIAN, SIGMA)", "node_mttr_h": ...}``: the
        log-normal approximation of each estimator's sampling distribution, median = the
        point estimate [h], σ = the standard error of log(mean) behind its interval.
        """
        _check_prefix(prefix)
        return {
            f"{prefix}_mttf_h": f"lognormal({_number(self.mttf_h)}, {self.mttf_log_se:.4g})",
            f"{prefix}_mttr_h": f"lognormal({_number(self.mttr_h)}, {self.mttr_log_se:.4g})",
        }

    def toml(self, prefix: str = "node", *, distributions: bool = False) -> str:
        """A TOML snippet with the point values, and comments with intervals and source.

        With ``distributions=True`` the values are the estimates' uncertainty
        (:meth:`uncertainty`, e.g. ``"lognormal(310.922, 0.2048)"``), which ``haplan report``
        propagates to the headline's interval.
        """
        _check_prefix(prefix)
        pct = f"{100 * self.confidence:g} %"
        spread = self.uncertainty(prefix)
        lines = [
            f"# Fitted by haplan.fit from {self.source}: {self.n_units} units, "
            f"{pct} confidence intervals."
        ]
        for name, value, low, high, method, table in (
            (
                f"{prefix}_mttf_h",
                self.mttf_h,
                self.mttf_low_h,
                self.mttf_high_h,
                self.mttf_method,
                self.lifetimes,
            ),
            (
                f"{prefix}_mttr_h",
                self.mttr_h,
                self.mttr_low_h,
                self.mttr_high_h,
                self.mttr_method,
                self.repairs,
            ),
        ):
            lines.append(
                f"# {name}: {value:.4g} h ({pct} CI {low:.4g}-{high:.4g} h), {method}; "
                f"uncertainty {spread[name]}"
            )
            lines.append(
                "#   by family: "
                + "; ".join(
                    f"{FAMILY_LABELS[r.family]} {r.mean_h:.4g} h "
                    f"({r.ci_low_h:.4g}-{r.ci_high_h:.4g}), dAIC {r.delta_aic:.1f}"
                    for r in table.itertuples()
                )
            )
        lines.append(f"# {self.statement}")
        if distributions:
            lines += [f'{name} = "{law}"' for name, law in spread.items()]
        else:
            lines += [f"{n} = {_number(v)}" for n, v in self.scenario_values(prefix).items()]
        return "\n".join(lines) + "\n"


def _check_prefix(prefix: str) -> None:
    if not (isinstance(prefix, str) and prefix.isidentifier()):
        raise ValueError(f"prefix={prefix!r} must be an identifier such as 'node'")


def _number(value: float) -> str:
    """Six significant digits, always with a decimal point or exponent (a TOML float)."""
    return repr(float(f"{float(value):.6g}"))


def _format_p(p: float) -> str:
    if p == 0.0:
        return "p < 1e-300"
    if p >= 1e-3:
        return f"p = {p:.2g}"
    mantissa, exponent = f"{p:.0e}".split("e")
    return f"p = {mantissa}e{int(exponent)}"


def _table(fits: list[FamilyFit]) -> pd.DataFrame:
    rows = [
        dict(
            family=f.family,
            parameters=f.describe(),
            mean_h=f.mean_h,
            ci_low_h=f.mean_low_h,
            ci_high_h=f.mean_high_h,
            log_se=f.log_se,
            robust_log_se=f.robust_log_se,
            robust_low_h=f.mean_h * math.exp(-_z(f.confidence) * f.robust_log_se),
            robust_high_h=f.mean_h * math.exp(_z(f.confidence) * f.robust_log_se),
            loglik=f.loglik,
            n_params=f.n_params,
            aic=f.aic,
            delta_aic=math.nan,
            interval_method=f.interval_method,
            n_events=f.n_events,
            n_censored=f.n_censored,
            total_h=f.total_h,
        )
        for f in fits
    ]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    if len(table):
        table["delta_aic"] = table["aic"] - table["aic"].min()
    return table


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _fit_all(t, k, groups, confidence: float, what: str) -> list[FamilyFit]:
    fits = []
    for family in FAMILIES:
        try:
            extra = {"groups": groups} if family == "exponential" else {}
            fits.append(fit_durations(t, k, family=family, confidence=confidence, **extra))
        except ValueError:
            if family == "exponential":
                raise ValueError(
                    f"the history has no {what} that ended (all {t.size} are censored): "
                    "nothing to fit"
                ) from None
    return fits


POINT_CHOICES = ("exposure", "aic") + FAMILIES


def _point(table: pd.DataFrame, choice: str, name: str, confidence: float):
    """(value, low, high, log_se, method) of the point value chosen by ``choice``."""
    if choice not in POINT_CHOICES:
        raise ValueError(f"{name}={choice!r} must be one of {', '.join(POINT_CHOICES)}")
    rows = table.set_index("family")
    if choice == "exposure":
        row = rows.loc["exponential"]
        return (
            float(row["mean_h"]),
            float(row["robust_low_h"]),
            float(row["robust_high_h"]),
            float(row["robust_log_se"]),
            "exposure / events (exponential MLE), sandwich interval on the log scale",
        )
    family = str(table.loc[table["aic"].idxmin(), "family"]) if choice == "aic" else choice
    if family not in rows.index:
        raise ValueError(f"{name}={choice!r}: the {family} family could not be fitted")
    row = rows.loc[family]
    return (
        float(row["mean_h"]),
        float(row["ci_low_h"]),
        float(row["ci_high_h"]),
        float(row["log_se"]),
        f"{FAMILY_LABELS[family]} mean, {row['interval_method']}",
    )


def fit_history(
    frame: pd.DataFrame,
    *,
    window_start=None,
    window_end=None,
    unit_column: str = "unit",
    confidence: float = 0.95,
    units=None,
    resolution_h: float = 1.0 / 60.0,
    mttf_from: str = "exposure",
    mttr_from: str = "exposure",
    source: str | None = None,
) -> FitResult:
    """Estimate a unit's MTTF and MTTR, with intervals, from a failure history.

    Parameters
    ----------
    frame : pandas.DataFrame
        Outages (``unit``, ``start``, ``end``: timestamps or hours; empty ``end`` = still
        open) or intervals (``unit``, ``state`` up/down, ``duration_h`` [h], ``censored``);
        see :func:`read_history`.
    window_start, window_end : timestamp or float, optional
        Observation window of an outage history (same kind as ``start``/``end``); taken from
        ``frame.attrs`` (set by :func:`read_history` from ``# window_start: ...`` lines)
        when omitted. Required for outages, ignored for intervals.
    unit_column : str
        Column naming the unit.
    confidence : float
        Two-sided confidence level of the intervals, in (0, 1); default 0.95.
    units : iterable, optional
        All units observed, including those that never failed (outage histories).
    resolution_h : float
        Recording resolution [h], > 0: a zero-length outage (or period) is taken as
        left-censored below it. Default 1/60 h (one minute).
    mttf_from, mttr_from : {"exposure", "aic", "exponential", "weibull", "lognormal"}
        What the point values are. ``"exposure"`` (default): total time / events, the
        exponential MLE, which is also the long-run mean of any renewal process and makes
        MTTR / (MTTF + MTTR) the history's observed unavailability; its interval is the
        sandwich one, valid whatever the distribution. ``"aic"``: the mean of the family
        with the lowest AIC, with that family's interval; or a family named. A fitted
        family's mean extrapolates its tail: on heavy-tailed repairs the log-normal mean can
        be well below the observed mean downtime (LANL system 16: 2.4 h against 9.3 h).
    source : str, optional
        Where the history came from, for the TOML comment; default ``frame.attrs["source"]``
        or ``"DataFrame"``.

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        On bad input (naming the parameter or column and row), or when no up period or no
        down period ended (nothing to fit).

    Notes
    -----
    Lifetimes: exponential (MTTF = total exposure / failures, exact χ² interval with 2r and
    2r + 2 degrees of freedom for time-censored data), Weibull and log-normal (censored MLE,
    delta-method intervals on the log scale). Repairs: the same three families (the
    log-normal is the usual repair model; the exponential is there for comparison). The
    likelihood-ratio test of exponential lifetimes within the Weibull (shape = 1) uses
    χ²(1) (Meeker & Escobar 1998, ch. 8, likelihood-ratio tests).
    """
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence={confidence!r} must be a number > 0 and < 1")
    periods = history_periods(
        frame,
        window_start=window_start,
        window_end=window_end,
        unit_column=unit_column,
        units=units,
        resolution_h=resolution_h,
    )
    up = periods[periods["state"] == "up"]
    down = periods[periods["state"] == "down"]
    if up.empty:
        raise ValueError("the history has no up periods: nothing to fit for the lifetimes")
    if down.empty:
        raise ValueError("the history has no outages: nothing to fit for the repairs")
    life_fits = _fit_all(
        up["duration_h"].to_numpy(),
        up["kind"].to_numpy(),
        up["unit"].to_numpy(),
        confidence,
        "up period",
    )
    repair_fits = _fit_all(
        down["duration_h"].to_numpy(),
        down["kind"].to_numpy(),
        down["unit"].to_numpy(),
        confidence,
        "outage",
    )
    lifetimes, repairs = _table(life_fits), _table(repair_fits)
    mttf = _point(lifetimes, mttf_from, "mttf_from", confidence)
    mttr = _point(repairs, mttr_from, "mttr_from", confidence)
    by_family = {f.family: f for f in life_fits}
    weib, expo = by_family.get("weibull"), by_family["exponential"]
    if weib is not None:
        shape = weib.parameters["shape"]
        shape_low, shape_high = weib.shape_low, weib.shape_high
        lr = max(2.0 * (weib.loglik - expo.loglik), 0.0)
        p_value = float(stats.chi2.sf(lr, 1))
    else:
        shape = shape_low = shape_high = p_value = math.nan
    source = source or str(frame.attrs.get("source", "DataFrame"))
    statement = _statement(
        shape, shape_low, shape_high, p_value, confidence, lifetimes, repairs, mttf, mttr
    )
    return FitResult(
        lifetimes=lifetimes,
        repairs=repairs,
        statement=statement,
        mttf_h=mttf[0],
        mttf_low_h=mttf[1],
        mttf_high_h=mttf[2],
        mttf_log_se=mttf[3],
        mttf_method=mttf[4],
        mttr_h=mttr[0],
        mttr_low_h=mttr[1],
        mttr_high_h=mttr[2],
        mttr_log_se=mttr[3],
        mttr_method=mttr[4],
        best_lifetime_family=str(lifetimes.loc[lifetimes["aic"].idxmin(), "family"]),
        best_repair_family=str(repairs.loc[repairs["aic"].idxmin(), "family"]),
        weibull_shape=float(shape),
        weibull_shape_low=float(shape_low),
        weibull_shape_high=float(shape_high),
        exponential_p_value=p_value,
        periods=periods,
        n_units=int(periods["unit"].nunique()),
        confidence=float(confidence),
        source=source,
    )


def _statement(shape, low, high, p, confidence, lifetimes, repairs, mttf, mttr) -> str:
    parts = []
    if math.isfinite(shape):
        if high < 1.0:
            hazard = "decreasing hazard"
        elif low > 1.0:
            hazard = "increasing hazard"
        else:
            hazard = "hazard consistent with constant"
        verdict = "rejected" if p < 1.0 - confidence else "not rejected"
        parts.append(
            f"Weibull shape {shape:.2f} ({low:.2f}-{high:.2f}): {hazard}, "
            f"exponential {verdict}, {_format_p(p)}"
        )
    for label, table, point in (("MTTF", lifetimes, mttf), ("MTTR", repairs, mttr)):
        best = table.loc[table["aic"].idxmin()]
        parts.append(
            f"{label} {point[0]:.4g} h ({point[1]:.4g}-{point[2]:.4g}); best by AIC "
            f"{FAMILY_LABELS[best['family']]} (mean {best['mean_h']:.4g} h)"
        )
    return "; ".join(parts) + "."
