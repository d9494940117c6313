"""Estimates of the metrics from the replications' rows, and ``SimulationResult``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from haplan.availability import HOURS_PER_YEAR
from haplan.simulate.distributions import check_scalar

#: Hours in a year (365.25 days), the unit of ``outage_frequency_per_year``.
YEAR_H = HOURS_PER_YEAR
#: The metrics a simulation estimates, in the shared vocabulary.
METRICS = (
    "slo_unavailability",
    "service_unavailability",
    "capacity_unavailability",
    "outage_frequency_per_year",
    "mean_outage_duration_min",
)


@dataclass(frozen=True)
class SimulationResult:
    """Estimates from ``simulate``, named as the metric vocabulary, each with a ``_se`` twin.

    Attributes
    ----------
    service_unavailability, capacity_unavailability : float
        Share of time the service is down / short of capacity [fraction].
    slo_unavailability : float
        Share of time fewer instances serve than max(``min_instances``, instances needed)
        [fraction]: the two sets nest, so per replication it is the larger of the two.
    outage_frequency_per_year : float
        Service outages starting per year [1/yr] (year = 8766 h).
    mean_outage_duration_min : float
        Mean length of a service outage [min]: total downtime / outages (NaN if none seen).
    horizon_h : float
        Measured window per replication [h].
    n_replications : int
        Independent replications.
    outages : int
        Service outages seen in all replications together.
    replications : pandas.DataFrame or None
        With ``per_replication=True``: one row per replication (``replication``,
        ``service_downtime_h``, ``capacity_downtime_h``, ``outages``,
        ``service_unavailability``, ``capacity_unavailability``,
        ``outage_frequency_per_year``, ``slo_downtime_h``, ``slo_unavailability``).
    """

    service_unavailability: float
    service_unavailability_se: float
    capacity_unavailability: float
    capacity_unavailability_se: float
    slo_unavailability: float
    slo_unavailability_se: float
    outage_frequency_per_year: float
    outage_frequency_per_year_se: float
    mean_outage_duration_min: float
    mean_outage_duration_min_se: float
    horizon_h: float
    n_replications: int
    outages: int
    replications: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Estimates with standard errors and Student-t confidence intervals.

        Parameters
        ----------
        confidence : float
            Two-sided confidence level [fraction], in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Index ``metric`` (``METRICS``); columns ``simulated``, ``se``, ``ci_low``,
            ``ci_high``. Intervals are estimate ± t(n−1) × se, clipped to [0, 1] for the
            unavailabilities and at 0 for the others.
        """
        level = check_scalar("confidence", confidence, low=0, high=1, low_open=True, high_open=True)
        quantile = stats.t.ppf(0.5 + level / 2.0, self.n_replications - 1)
        estimate = np.array([getattr(self, name) for name in METRICS])
        se = np.array([getattr(self, name + "_se") for name in METRICS])
        upper = np.array([1.0, 1.0, 1.0, np.inf, np.inf])
        return pd.DataFrame(
            {
                "simulated": estimate,
                "se": se,
                "ci_low": np.clip(estimate - quantile * se, 0.0, upper),
                "ci_high": np.clip(estimate + quantile * se, 0.0, upper),
            },
            index=pd.Index(METRICS, name="metric"),
        )


def result_from_rows(rows: np.ndarray, horizon_h: float, per_replication: bool) -> SimulationResult:
    """The estimates and their standard errors from the replications' rows.

    Parameters
    ----------
    rows : numpy.ndarray
        One row per replication: service downtime [h], capacity shortfall [h] and outages
        started in the window.
    horizon_h : float
        Measured window of each replication [h].
    per_replication : bool
        Keep the rows in ``SimulationResult.replications``.

    Returns
    -------
    SimulationResult
    """
    downtime, short, outages = rows.T
    n = len(rows)

    def mean_se(values: np.ndarray) -> tuple[float, float]:
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(n))

    # Fewer than max(k, needed) serve iff fewer than k or fewer than needed serve, and the
    # two sets of times nest (one threshold is below the other): the SLO's downtime is the
    # larger of the two, exactly.
    slo_down = np.maximum(downtime, short)
    service, service_se = mean_se(downtime / horizon_h)
    capacity, capacity_se = mean_se(short / horizon_h)
    slo, slo_se = mean_se(slo_down / horizon_h)
    frequency, frequency_se = mean_se(outages / horizon_h * YEAR_H)
    total_outages = int(outages.sum())
    if total_outages:
        # Ratio estimator (downtime / outages) with its delta-method standard error.
        ratio = downtime.sum() / total_outages
        residual = downtime - ratio * outages
        ratio_se = math.sqrt((residual**2).sum() / (n * (n - 1))) / outages.mean()
        duration, duration_se = 60.0 * ratio, 60.0 * ratio_se
    else:
        duration = duration_se = math.nan
    frame = None
    if per_replication:
        frame = pd.DataFrame(
            {
                "replication": np.arange(n),
                "service_downtime_h": downtime,
                "capacity_downtime_h": short,
                "outages": outages.astype(np.int64),
                "service_unavailability": downtime / horizon_h,
                "capacity_unavailability": short / horizon_h,
                "outage_frequency_per_year": outages / horizon_h * YEAR_H,
                "slo_downtime_h": slo_down,
                "slo_unavailability": slo_down / horizon_h,
            }
        )
    return SimulationResult(
        service_unavailability=service,
        service_unavailability_se=service_se,
        capacity_unavailability=capacity,
        capacity_unavailability_se=capacity_se,
        slo_unavailability=slo,
        slo_unavailability_se=slo_se,
        outage_frequency_per_year=frequency,
        outage_frequency_per_year_se=frequency_se,
        mean_outage_duration_min=duration,
        mean_outage_duration_min_se=duration_se,
        horizon_h=horizon_h,
        n_replications=n,
        outages=total_outages,
        replications=frame,
    )
