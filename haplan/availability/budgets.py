"""The calendar of every per-year and per-month figure, nines, downtime and error budgets.

The one place haplan defines its year (365.25 days, 8766 h) and its month (30 days); every
other module takes these constants from here (``haplan.availability.YEAR_DAYS``, ...).
"""

from __future__ import annotations

import numpy as np

from haplan._numeric import check_range, restore

__all__ = [
    "YEAR_DAYS",
    "HOURS_PER_YEAR",
    "MONTH_DAYS",
    "WINDOW_28_DAYS",
    "MINUTES_PER_DAY",
    "nines",
    "unavailability_from_nines",
    "downtime_minutes",
    "error_budget_minutes",
    "remaining_error_budget_minutes",
]

#: Mean Gregorian year [days] (the usual SLO year: 99.99 % allows 52.60 min).
YEAR_DAYS = 365.25
#: Hours in a mean Gregorian year, YEAR_DAYS × 24 = 8766 [h]: the year of every
#: ``*_per_year`` figure.
HOURS_PER_YEAR = YEAR_DAYS * 24.0
#: A 30-day month [days] (99.9 % allows 43.2 min).
MONTH_DAYS = 30.0
#: A rolling 28-day SLO window [days], four whole weeks.
WINDOW_28_DAYS = 28.0
#: Minutes in a day.
MINUTES_PER_DAY = 1440.0


# --------------------------------------------------------------------------- nines and budgets


def nines(unavailability):
    r"""Number of nines, −log10(U): U = 1e-3 is 3 nines (99.9 %), U = 0 is ``inf``.

    Parameters
    ----------
    unavailability : numeric
        Unavailability U [probability], in [0, 1].

    Returns
    -------
    numeric
        Nines [dimensionless], ≥ 0.

    References
    ----------
    .. [1] B. Beyer et al., *Site Reliability Engineering*, O'Reilly, 2016, ch. 3
       "Embracing Risk".
    """
    u = check_range("unavailability", unavailability, low=0, high=1)
    with np.errstate(divide="ignore"):
        result = -np.log10(u)
    return restore(result + 0.0, unavailability)  # + 0.0 turns -0.0 (U = 1) into 0.0


def unavailability_from_nines(nines_count):
    """Unavailability for a number of nines, 10^−nines (3 → 1e-3) [probability].

    Parameters
    ----------
    nines_count : numeric
        Nines [dimensionless], ≥ 0; ``inf`` gives 0.

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3.
    """
    n = check_range("nines_count", nines_count, low=0, allow_inf=True)
    return restore(10.0**-n, nines_count)


def _period_minutes(period_days):
    return check_range("period_days", period_days, low=0, low_open=True) * MINUTES_PER_DAY


def downtime_minutes(unavailability, period_days=YEAR_DAYS):
    """Expected downtime over a period, U × period [min].

    Parameters
    ----------
    unavailability : numeric
        Unavailability U [probability], in [0, 1].
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the period [days], > 0: ``YEAR_DAYS``, ``MONTH_DAYS`` (30),
        ``WINDOW_28_DAYS`` (28), 365, ...

    Returns
    -------
    numeric
        Expected minutes down per period [min].

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3; Google Cloud CRE blog,
       "Available … or not? That is the question" (99.9 % over 30 days = 43.2 min).
    """
    u = check_range("unavailability", unavailability, low=0, high=1)
    return restore(u * _period_minutes(period_days), unavailability, period_days)


def error_budget_minutes(target_availability, period_days=YEAR_DAYS):
    """Downtime an availability target allows over a period, (1 − target) × period [min].

    Parameters
    ----------
    target_availability : numeric
        SLO target as a fraction [probability], in [0, 1] (0.999 for 99.9 %).
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the SLO window [days], > 0.

    Returns
    -------
    numeric
        Error budget [min]: 99.9 % over 30 days is 43.2 min, 99.99 % over 365.25 days 52.60.

    Notes
    -----
    1 − target is exact for the decimal target up to the input's own float rounding
    (0.9999 is stored as 0.99990000000000001).

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3 ("error budgets").
    """
    target = check_range("target_availability", target_availability, low=0, high=1)
    budget = (1.0 - target) * _period_minutes(period_days)
    return restore(budget, target_availability, period_days)


def remaining_error_budget_minutes(target_availability, downtime_min, period_days=YEAR_DAYS):
    """Error budget left after ``downtime_min`` of downtime in the window [min].

    Parameters
    ----------
    target_availability : numeric
        SLO target as a fraction [probability], in [0, 1].
    downtime_min : numeric
        Downtime already spent in the window [min], ≥ 0.
    period_days : numeric, default ``YEAR_DAYS`` (365.25)
        Length of the SLO window [days], > 0.

    Returns
    -------
    numeric
        Budget left [min]; negative when the budget is overspent.

    References
    ----------
    .. [1] Beyer et al., *Site Reliability Engineering*, 2016, ch. 3.
    """
    target = check_range("target_availability", target_availability, low=0, high=1)
    spent = check_range("downtime_min", downtime_min, low=0)
    left = (1.0 - target) * _period_minutes(period_days) - spent
    return restore(left, target_availability, downtime_min, period_days)
