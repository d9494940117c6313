"""Load profiles: request rate over time, and a fixed-size service evaluated over one.

A *profile* is a ``pandas.Series`` of request rate [requests/s] indexed by time [s from the
start], strictly increasing, usually in regular steps (60 s for a trace reduced per minute,
15 s for the generators, the Kubernetes HorizontalPodAutoscaler's default sync period). It is
piecewise constant: the rate at ``t[i]`` holds until ``t[i + 1]``; the last point holds for
one more step of the same length as the one before it.

Build one from a CSV (:func:`read_profile`), from a generator (:func:`diurnal`, :func:`step`,
:func:`ramp`), from the shipped real trace (:func:`nasa_trace`, a week of the NASA-HTTP 1995
logs, ``data/traces/README.md``), and rescale it with :func:`scale_to_peak`.
:func:`over_profile` evaluates a scenario with a *fixed* number of instances at every interval
of a profile with one ``haplan.metrics`` call.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from haplan import availability
from haplan._data import data_path
from haplan._numeric import check_range
from haplan.scenario import Scenario

__all__ = [
    "validate_profile",
    "read_profile",
    "diurnal",
    "step",
    "ramp",
    "scale_to_peak",
    "nasa_trace",
    "NASA_TRACE_FILE",
    "ProfileResult",
    "over_profile",
]

DAY_S = 86_400.0
#: The shipped trace, relative to the data directory (``haplan._data.data_path``).
NASA_TRACE_FILE = ("traces", "nasa-http-1995-per-minute.csv")

_TIME_COLUMNS = ("time", "time_s")
_RATE_COLUMNS = ("rps", "requests_per_s")


# -- validation -------------------------------------------------------------------------------


def validate_profile(profile: Any, name: str = "profile") -> pd.Series:
    """Check a load profile and return it as a float Series with a float index.

    Parameters
    ----------
    profile : pandas.Series
        Request rate [requests/s], finite and ≥ 0, indexed by time [s from the start], finite
        and strictly increasing; at least one point.
    name : str
        The parameter name used in error messages.

    Returns
    -------
    pandas.Series
        A copy: float values named ``rps``, float index named ``time_s``.

    Raises
    ------
    ValueError
        Naming the parameter, the first offending value (and its time) and the valid range.
    """
    if not isinstance(profile, pd.Series):
        raise ValueError(
            f"{name}={type(profile).__name__} is not valid: pass a pandas.Series of request "
            "rate [req/s] indexed by time [s]"
        )
    if len(profile) == 0:
        raise ValueError(f"{name} is empty: give at least one (time_s, rps) point")
    try:
        times = np.asarray(profile.index, dtype=float)
        rates = np.asarray(profile.to_numpy(), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} is not valid: its index must be time [s] and its values request rates "
            "[req/s], both numeric (read_profile converts timestamps)"
        ) from None
    bad_time = ~np.isfinite(times)
    if bad_time.any():
        raise ValueError(f"{name} time={times[bad_time][0]} is out of range: must be finite [s]")
    if len(times) > 1:
        back = np.flatnonzero(np.diff(times) <= 0)
        if back.size:
            i = back[0]
            raise ValueError(
                f"{name} time={times[i + 1]:g} s (point {i + 1}) is out of range: times must "
                f"be strictly increasing (the point before is at {times[i]:g} s)"
            )
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{name} rps={rates[i]} at time {times[i]:g} s is out of range: must be a finite "
            "number >= 0 [req/s]"
        )
    return pd.Series(rates, index=pd.Index(times, name="time_s"), name="rps")


def _check_grid(duration_s: float, step_s: float) -> int:
    """Number of steps for a generator; ValueError unless duration_s is a multiple of step_s."""
    check_range("step_s", step_s, low=0, low_open=True)
    check_range("duration_s", duration_s, low=0, low_open=True)
    n = duration_s / step_s
    if abs(n - round(n)) > 1e-9 * max(n, 1.0) or round(n) < 1:
        raise ValueError(
            f"duration_s={duration_s:g} is out of range: must be a whole multiple (>= 1) of "
            f"step_s={step_s:g}"
        )
    return round(n)


def _series(times: np.ndarray, rates: np.ndarray) -> pd.Series:
    return pd.Series(rates, index=pd.Index(times.astype(float), name="time_s"), name="rps")


# -- reading ----------------------------------------------------------------------------------


def read_profile(path: str | Path) -> pd.Series:
    """Read a load profile from a CSV file.

    Parameters
    ----------
    path : str or Path
        A CSV with a header row naming a time column, ``time`` or ``time_s`` (seconds from
        any origin, or ISO 8601 timestamps, all with or all without a UTC offset), and a rate
        column, ``rps`` or ``requests_per_s`` [requests/s]; other columns are ignored, lines
        starting with ``#`` are comments.

    Returns
    -------
    pandas.Series
        Request rate [requests/s] indexed by time [s from the first row] (see
        :func:`validate_profile`).

    Raises
    ------
    ValueError
        For a missing file or column, or a bad value, naming the column, the file's line
        number and the value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"profile file {str(path)!r} does not exist") from None
    lines = text.splitlines(keepends=True)
    kept = [n for n, line in enumerate(lines, start=1) if not line.lstrip().startswith("#")]
    if not kept:
        raise ValueError(f"profile file {str(path)!r} is empty: expected a header row")
    body = "".join(lines[n - 1] for n in kept)
    try:
        table = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"profile file {str(path)!r} is not a valid CSV: {error}") from None
    table.columns = [str(c).strip() for c in table.columns]
    line_of = np.asarray(kept[1 : len(table) + 1])  # file line number of each data row

    def column(names: tuple[str, ...]) -> str:
        found = [c for c in names if c in table.columns]
        if not found:
            raise ValueError(
                f"profile file {str(path)!r} has no {' or '.join(names)} column: its columns "
                f"are {', '.join(table.columns)}"
            )
        return found[0]

    time_col, rate_col = column(_TIME_COLUMNS), column(_RATE_COLUMNS)
    if len(table) == 0:
        raise ValueError(f"profile file {str(path)!r} has no data rows")
    raw_time = table[time_col].str.strip()
    raw_rate = table[rate_col].str.strip()

    def bad(col: str, i: int, value: str, why: str) -> ValueError:
        return ValueError(
            f"profile file {str(path)!r} line {line_of[i]}: {col}={value!r} is not valid: {why}"
        )

    rates = pd.to_numeric(raw_rate, errors="coerce").to_numpy(dtype=float)
    wrong = ~np.isfinite(rates) | (rates < 0)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise bad(rate_col, i, raw_rate.iloc[i], "must be a finite number >= 0 [req/s]")

    seconds = pd.to_numeric(raw_time, errors="coerce").to_numpy(dtype=float)
    numeric = np.isfinite(seconds)
    if numeric.all():
        times = seconds - seconds[0]
    elif not numeric.any():
        parsed = pd.to_datetime(raw_time, errors="coerce", format="ISO8601", utc=True)
        aware = raw_time.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        if aware.any() and not aware.all():
            i = int(np.flatnonzero(aware.to_numpy() != aware.iloc[0])[0])
            raise bad(time_col, i, raw_time.iloc[i], "mixes timestamps with and without offset")
        missing = parsed.isna().to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise bad(time_col, i, raw_time.iloc[i], "must be seconds or an ISO 8601 timestamp")
        times = (parsed - parsed.iloc[0]).dt.total_seconds().to_numpy(dtype=float)
    else:
        i = int(np.flatnonzero(~numeric)[0] if numeric[0] else np.flatnonzero(numeric)[0])
        raise bad(time_col, i, raw_time.iloc[i], "mixes seconds and timestamps in one column")
    steps = np.diff(times)
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise bad(time_col, i, raw_time.iloc[i], "times must be strictly increasing")
    return _series(times, rates)


@functools.cache
def _nasa_trace() -> pd.Series:
    return read_profile(data_path(*NASA_TRACE_FILE))


def nasa_trace() -> pd.Series:
    """One week of real web traffic: the NASA-HTTP trace, 1995-07-10 to 07-17, per minute.

    Returns
    -------
    pandas.Series
        Mean request rate of each minute [requests/s], 10,080 points indexed by time [s]
        from Monday 1995-07-10 00:00 EDT (0, 60, …, 604,740 s). Mean 0.9218 req/s, peak
        6.75 req/s (Thursday 13 July 09:49 EDT, the launch of STS-70), 557,495 requests.
        Scale it to a service with :func:`scale_to_peak`.

    References
    ----------
    .. [1] NASA Kennedy Space Center WWW server logs, July–August 1995, collected by
       J. Dumoulin, contributed by M. Arlitt and C. Williamson to the Internet Traffic Archive
       (NASA-HTTP); per-second counts from the public repository
       ``reconfigurable-ml-pipeline/web-service-datasets``. Reduction, terms and totals:
       ``data/traces/README.md``.
    .. [2] M. F. Arlitt and C. L. Williamson, "Web server workload characterization: the
       search for invariants", Proc. ACM SIGMETRICS 1996.
    """
    return _nasa_trace().copy()


# -- generators -------------------------------------------------------------------------------


def diurnal(
    peak_rps: float,
    *,
    peak_to_mean: float = 2.0,
    days: int = 1,
    step_s: float = 60.0,
    peak_hour: float = 14.0,
) -> pd.Series:
    r"""A smooth daily cycle: a raised cosine with its peak at ``peak_hour`` every day.

    .. math:: r(t) = \bar r \left(1 + a \cos\frac{2\pi (t - t_p)}{86400\,\mathrm{s}}\right),
              \quad a = \mathrm{peak\_to\_mean} - 1,\ \bar r = \mathrm{peak\_rps} / (1 + a)

    so the peak is ``peak_rps``, the trough ``peak_rps × (2 − peak_to_mean) / peak_to_mean``
    and the mean over whole days ``peak_rps / peak_to_mean`` (the cosine sums to zero over
    the regular samples of a whole period).

    Parameters
    ----------
    peak_rps : float
        Highest request rate [requests/s], ≥ 0.
    peak_to_mean : float
        Peak / mean [ratio], in [1, 2]: 1 is a constant load, 2 a trough of zero (a
        raised cosine cannot go further without going negative). For scale: the mean day of
        the shipped NASA week (:func:`nasa_trace`), in hourly means, has peak/mean 1.54 and
        its peak at 14:00 local time.
    days : int
        Whole days [count], ≥ 1.
    step_s : float
        Step [s], > 0, dividing a day (86,400 s) into at least 2 whole steps.
    peak_hour : float
        Hour of the daily peak [h], in [0, 24), on the ``step_s`` grid.

    Returns
    -------
    pandas.Series
        Request rate [requests/s] at 0, step_s, …, days × 86,400 − step_s [s].
    """
    check_range("peak_rps", peak_rps, low=0)
    check_range("peak_to_mean", peak_to_mean, low=1, high=2)
    check_range("days", days, low=1, integer=True)
    check_range("step_s", step_s, low=0, low_open=True)
    check_range("peak_hour", peak_hour, low=0, high=24, high_open=True)
    per_day = round(DAY_S / step_s)
    if per_day < 2 or abs(DAY_S / step_s - per_day) > 1e-9 * per_day:
        raise ValueError(
            f"step_s={step_s:g} is out of range: must divide a day (86400 s) into at least 2 "
            "whole steps"
        )
    peak_step = peak_hour * 3600.0 / step_s
    if abs(peak_step - round(peak_step)) > 1e-9 * max(peak_step, 1.0):
        raise ValueError(
            f"peak_hour={peak_hour:g} is out of range: the peak time {peak_hour * 3600:g} s must "
            f"be a whole multiple of step_s={step_s:g}"
        )
    k = np.arange(int(days) * per_day)
    phase = 2.0 * np.pi * ((k - round(peak_step)) % per_day) / per_day
    a = float(peak_to_mean) - 1.0
    rates = float(peak_rps) / (1.0 + a) * (1.0 + a * np.cos(phase))
    rates[(k - round(peak_step)) % per_day == 0] = float(peak_rps)  # the peak exactly
    return _series(k * float(step_s), np.maximum(rates, 0.0))


def step(
    before_rps: float, after_rps: float, *, at_s: float, duration_s: float, step_s: float = 15.0
) -> pd.Series:
    """A step change: ``before_rps`` until ``at_s``, ``after_rps`` from then on.

    Parameters
    ----------
    before_rps, after_rps : float
        Request rate before and from ``at_s`` [requests/s], ≥ 0.
    at_s : float
        Time of the step [s], in [0, duration_s].
    duration_s : float
        Length of the profile [s], > 0, a whole multiple of ``step_s``.
    step_s : float
        Step [s], > 0 (default 15 s, the HPA's sync period).

    Returns
    -------
    pandas.Series
        Request rate [requests/s] at 0, step_s, …, duration_s − step_s [s]; a point at
        t ≥ at_s has ``after_rps``.
    """
    check_range("before_rps", before_rps, low=0)
    check_range("after_rps", after_rps, low=0)
    n = _check_grid(duration_s, step_s)
    check_range("at_s", at_s, low=0, high=duration_s)
    times = np.arange(n) * float(step_s)
    return _series(times, np.where(times < at_s, float(before_rps), float(after_rps)))


def ramp(
    from_rps: float,
    to_rps: float,
    *,
    start_s: float,
    ramp_s: float,
    duration_s: float,
    step_s: float = 15.0,
) -> pd.Series:
    """A linear ramp from ``from_rps`` to ``to_rps`` between ``start_s`` and ``start_s + ramp_s``.

    Parameters
    ----------
    from_rps, to_rps : float
        Request rate before and after the ramp [requests/s], ≥ 0.
    start_s : float
        Start of the ramp [s], in [0, duration_s].
    ramp_s : float
        Length of the ramp [s], ≥ 0 (0 is a step at ``start_s``).
    duration_s : float
        Length of the profile [s], > 0, a whole multiple of ``step_s``.
    step_s : float
        Step [s], > 0 (default 15 s).

    Returns
    -------
    pandas.Series
        Request rate [requests/s] at 0, step_s, …, duration_s − step_s [s]: at each point t,
        from + (to − from) × clip((t − start_s) / ramp_s, 0, 1).
    """
    check_range("from_rps", from_rps, low=0)
    check_range("to_rps", to_rps, low=0)
    n = _check_grid(duration_s, step_s)
    check_range("start_s", start_s, low=0, high=duration_s)
    check_range("ramp_s", ramp_s, low=0)
    times = np.arange(n) * float(step_s)
    if ramp_s == 0:
        share = (times >= start_s).astype(float)
    else:
        share = np.clip((times - start_s) / ramp_s, 0.0, 1.0)
    rates = float(from_rps) + (float(to_rps) - float(from_rps)) * share
    rates[share == 1.0] = float(to_rps)  # the end value exactly
    return _series(times, rates)


def scale_to_peak(profile: pd.Series, peak_rps: float) -> pd.Series:
    """Multiply a profile so its peak equals ``peak_rps``, keeping its shape.

    Parameters
    ----------
    profile : pandas.Series
        A load profile (see :func:`validate_profile`) with a peak > 0.
    peak_rps : float
        The new peak [requests/s], ≥ 0.

    Returns
    -------
    pandas.Series
        ``profile × peak_rps / max(profile)``: daily and weekly cycles, bursts and the
        peak/mean ratio kept; the peak points are exactly ``peak_rps``.
    """
    profile = validate_profile(profile)
    check_range("peak_rps", peak_rps, low=0)
    top = float(profile.max())
    if top <= 0:
        raise ValueError("profile's peak is 0 req/s: a profile of zeros cannot be scaled")
    scaled = profile * (float(peak_rps) / top)
    scaled[profile.to_numpy() == top] = float(peak_rps)
    return scaled


# -- a fixed-size service over a profile ------------------------------------------------------


@dataclass(frozen=True)
class ProfileResult:
    """A scenario with fixed instances evaluated over a load profile (:func:`over_profile`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per interval: ``time_s`` [s], ``duration_s`` [s], ``rps`` [requests/s],
        ``utilization`` [fraction], ``p99_response_ms`` [ms] (inf when overloaded),
        ``overloaded`` [bool], ``instances_needed`` [count], ``meets_targets`` [bool] and
        ``slo_unavailability`` [probability], the static model's value at that rate.
    totals : dict
        ``duration_s`` [s]; ``instances`` [count]; ``mean_rps`` (time-weighted) and
        ``peak_rps`` [requests/s]; ``peak_utilization`` [fraction]; ``time_below_target_s``
        [s], ``share_below_target`` [fraction] and ``minutes_below_target_per_day``
        [min/day]: time in intervals that miss the targets; ``worst_p99_ms`` [ms];
        ``slo_unavailability`` [probability], the time-weighted mean of the intervals',
        with ``slo_availability`` [fraction] and ``slo_nines`` [nines]; ``instance_hours``
        [instance·h], instances × total duration.
    """

    frame: pd.DataFrame
    totals: dict[str, float]


def over_profile(
    scenario: Scenario, profile: pd.Series, *, last_duration_s: float | None = None
) -> ProfileResult:
    """Evaluate a scenario with a fixed number of instances at every interval of a profile.

    The scenario's ``request_rate_rps`` is replaced by each distinct rate of the profile and
    all of them are evaluated with one ``haplan.metrics`` call; every interval takes the
    static (steady-state) figures at its rate.

    An interval *meets the targets* when the service has enough instances with every node up
    — ``max(min_instances, instances_needed) ≤ instances``, where ``instances_needed`` is
    ⌈rps / (instance_capacity_rps × max_utilization)⌉ — is not overloaded, and, when
    ``target_p99_ms`` is set, its p99 response time is ≤ the target. ``target_availability``
    is a long-run target, not a per-interval one: compare it with ``totals["slo_availability"]``,
    the time-weighted mean of the per-interval SLO unavailability.

    Parameters
    ----------
    scenario : Scenario
        The cluster and service; its ``request_rate_rps`` is ignored.
    profile : pandas.Series
        Request rate [requests/s] indexed by time [s] (see :func:`validate_profile`): the
        rate at ``t[i]`` holds until ``t[i + 1]``.
    last_duration_s : float, optional
        Length of the last interval [s], > 0; default the one before it (regular steps).
        Required for a one-point profile.

    Returns
    -------
    ProfileResult
        The per-interval frame and the totals.

    Notes
    -----
    Each interval is treated as if it lasted long enough to reach steady state — queueing
    within the interval and the failure/repair chain alike. That is a good approximation
    for the queue (it settles in milliseconds to seconds), and for availability it makes the
    headline the time-weighted mean of the unavailability at each load level, which is
    exact when failures are independent of load and the state probabilities are stationary.
    """
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario={type(scenario).__name__} is not valid: pass a haplan.Scenario")
    profile = validate_profile(profile)
    times = profile.index.to_numpy()
    if last_duration_s is None:
        if len(times) < 2:
            raise ValueError(
                "profile has one point: give last_duration_s (the length of its only interval)"
            )
        last = times[-1] - times[-2]
    else:
        last = float(check_range("last_duration_s", last_duration_s, low=0, low_open=True))
    durations = np.append(np.diff(times), last)

    from haplan.table import metrics  # the table imports the model families; keep start-up light

    rates = profile.to_numpy()
    codes, distinct = pd.factorize(rates)
    frame = scenario.to_frame()
    frame = frame.loc[np.zeros(len(distinct), dtype=int)].reset_index(drop=True)
    frame["request_rate_rps"] = distinct
    table = metrics(frame)

    needed = table["instances_needed"].to_numpy()
    p99 = table["p99_response_ms"].to_numpy()
    overloaded = table["overloaded"].to_numpy(dtype=bool)
    ok = (np.maximum(needed, scenario.min_instances) <= scenario.instances) & ~overloaded
    if scenario.target_p99_ms is not None:
        ok &= p99 <= scenario.target_p99_ms
    u = table["slo_unavailability"].to_numpy()

    per_rate_s = np.bincount(codes, weights=durations, minlength=len(distinct))
    total_s = float(per_rate_s.sum())
    share = per_rate_s / total_s
    u_mean = float(np.clip(np.sum(u * share), 0.0, 1.0))
    below_share = float(share[~ok].sum())
    result = pd.DataFrame(
        {
            "time_s": times,
            "duration_s": durations,
            "rps": rates,
            "utilization": table["utilization"].to_numpy()[codes],
            "p99_response_ms": p99[codes],
            "overloaded": overloaded[codes],
            "instances_needed": needed[codes],
            "meets_targets": ok[codes],
            "slo_unavailability": u[codes],
        }
    )
    totals = {
        "duration_s": total_s,
        "instances": scenario.instances,
        "mean_rps": float(np.sum(distinct * share)),
        "peak_rps": float(rates.max()),
        "peak_utilization": float(table["utilization"].max()),
        "time_below_target_s": float(per_rate_s[~ok].sum()),
        "share_below_target": below_share,
        "minutes_below_target_per_day": below_share * 1440.0,
        "worst_p99_ms": float(p99.max()),
        "slo_unavailability": u_mean,
        "slo_availability": 1.0 - u_mean,
        "slo_nines": float(availability.nines(u_mean)),
        "instance_hours": scenario.instances * total_s / 3600.0,
    }
    return ProfileResult(frame=result, totals=totals)
