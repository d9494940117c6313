"""Reading a failure history and turning it into up and down periods per unit.

Two layouts are accepted:

- **outages**: one row per outage, columns ``unit``, ``start``, ``end`` (timestamps, or
  numbers in hours); an empty ``end`` is an outage still open at the end of observation. The
  observation window ``[window_start, window_end]`` must be known.
- **intervals**: one row per period, columns ``unit``, ``state`` (``up`` or ``down``),
  ``duration_h`` and ``censored`` (true when the period was still running when observation
  stopped).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from haplan.fit._families import EXACT, LEFT, RIGHT

OUTAGE_COLUMNS = ("start", "end")
INTERVAL_COLUMNS = ("state", "duration_h", "censored")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def read_history(path) -> pd.DataFrame:
    """Read a failure history CSV (outages or intervals layout).

    Leading comment lines of the form ``# key: value`` (for instance ``# window_start:
    1996-12-01``, ``# window_end: ...``, ``# source: ...``) are kept in ``frame.attrs``;
    :func:`haplan.fit.fit_history` takes the window from there when it is not given.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Outages: ``unit``, ``start``, ``end`` (datetime64 when the file has timestamps, else
        float hours). Intervals: ``unit``, ``state``, ``duration_h`` [h] (float),
        ``censored`` (bool).

    Raises
    ------
    ValueError
        When the file is missing, has neither layout's columns, or a cell cannot be parsed;
        the message names the column and the data row (1 = first row after the header).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path={str(path)!r} is not a file")
    attrs: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            key, sep, value = line[1:].partition(":")
            if sep and key.strip():
                attrs[key.strip()] = value.strip()
    frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.attrs.update(attrs)
    frame.attrs.setdefault("source", str(path))
    columns = set(frame.columns)
    if "unit" not in columns:
        raise ValueError(f"{path}: no 'unit' column (columns: {', '.join(frame.columns)})")
    if set(OUTAGE_COLUMNS) <= columns:
        for name in OUTAGE_COLUMNS:
            frame[name] = _parse_times(frame[name], name, allow_empty=name == "end")
        return frame
    if set(INTERVAL_COLUMNS) <= columns:
        frame["state"] = frame["state"].str.strip().str.lower()
        bad = ~frame["state"].isin(["up", "down"])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"column 'state', row {row + 1}: {frame['state'].iloc[row]!r} must be up or down"
            )
        frame["duration_h"] = _parse_numbers(frame["duration_h"], "duration_h")
        frame["censored"] = _parse_bools(frame["censored"], "censored")
        return frame
    raise ValueError(
        f"{path}: columns {', '.join(frame.columns)} are neither an outage history "
        "(unit, start, end) nor an interval history (unit, state, duration_h, censored)"
    )


def _parse_numbers(column: pd.Series, name: str) -> pd.Series:
    values = pd.to_numeric(column.str.strip(), errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {name!r}, row {row + 1}: {column.iloc[row]!r} is not a number")
    return values.astype(float)


def _parse_bools(column: pd.Series, name: str) -> pd.Series:
    text = column.str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {name!r}, row {row + 1}: {column.iloc[row]!r} must be true or false"
        )
    return text.isin(_TRUE)


def _parse_times(column: pd.Series, name: str, *, allow_empty: bool) -> pd.Series:
    text = column.str.strip()
    empty = text == ""
    if empty.any() and not allow_empty:
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(f"column {name!r}, row {row + 1}: empty")
    numbers = pd.to_numeric(text.where(~empty), errors="coerce")
    if (numbers.notna() | empty).all():
        return numbers.astype(float)
    times = pd.to_datetime(text.where(~empty), errors="coerce", format="ISO8601")
    bad = times.isna() & ~empty
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {name!r}, row {row + 1}: {column.iloc[row]!r} is neither an ISO 8601 "
            "timestamp nor a number of hours"
        )
    return times


def _to_hours(values, origin, name: str) -> np.ndarray:
    """Hours since ``origin`` for timestamps, or the numbers themselves for hours."""
    series = pd.Series(values)
    if origin is None:
        if pd.api.types.is_datetime64_any_dtype(series):
            raise ValueError(f"{name} holds timestamps: give window_start as a timestamp too")
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    if not pd.api.types.is_datetime64_any_dtype(series):
        if series.isna().all():
            return np.full(len(series), np.nan)
        try:
            series = pd.to_datetime(series, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{name} must hold timestamps like the window ({origin}): {exc}"
            ) from None
    try:
        return ((series - origin) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    except TypeError as exc:  # tz-aware against naive
        raise ValueError(f"{name} and window_start cannot be compared: {exc}") from None


def _window_value(value, name: str):
    """A window bound as (timestamp or None, hours or None)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            raise ValueError(f"{name}={value!r} must be a finite number of hours or a timestamp")
        return None, float(value)
    try:
        return pd.Timestamp(value), None
    except (ValueError, TypeError):
        raise ValueError(
            f"{name}={value!r} must be a timestamp (ISO 8601) or a number of hours"
        ) from None


def history_periods(
    frame: pd.DataFrame,
    *,
    window_start=None,
    window_end=None,
    unit_column: str = "unit",
    units=None,
    resolution_h: float = 1.0 / 60.0,
) -> pd.DataFrame:
    """Build each unit's up and down periods from a history.

    Parameters
    ----------
    frame : pandas.DataFrame
        Outages (``unit_column``, ``start``, ``end``) or intervals (``unit_column``,
        ``state``, ``duration_h``, ``censored``); see :func:`read_history`.
    window_start, window_end : timestamp or float, optional
        Observation window of an outage history (timestamps, or hours when ``start`` and
        ``end`` are hours). Taken from ``frame.attrs`` when omitted; required for outages.
    unit_column : str
        Column naming the unit.
    units : iterable, optional
        Every unit observed over the window, including those that never failed (each
        contributes one up period censored at the window's end). Default: the units in
        ``frame``.
    resolution_h : float
        Recording resolution [h], > 0: an outage of zero recorded length is taken as
        shorter than this (left-censored). Default one minute.

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``state`` (``up``/``down``), ``duration_h`` [h], ``kind`` (0 exact, 1
        right-censored, 2 left-censored: below ``resolution_h``, which is then the
        duration). ``attrs["merged_outages"]`` counts outages merged because they overlapped
        or touched another of the same unit.

    Notes
    -----
    Up periods: from the window start to the first outage, between the end of one outage
    and the next start, and from the last end to the window end (right-censored). An outage
    starting exactly at the window start has no observed up period before it. Down periods:
    outage durations; an outage open (empty ``end``) or ending after the window end is
    censored at the window end.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    if not (isinstance(resolution_h, (int, float)) and 0 < resolution_h < math.inf):
        raise ValueError(f"resolution_h={resolution_h!r} must be a finite number > 0 [h]")
    if unit_column not in frame.columns:
        raise ValueError(
            f"unit_column={unit_column!r} is not a column "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if frame.empty:
        raise ValueError("frame has no rows: an empty history cannot be fitted")
    if set(OUTAGE_COLUMNS) <= set(frame.columns):
        rows, merged = _outage_periods(
            frame, window_start, window_end, unit_column, units, resolution_h
        )
    elif set(INTERVAL_COLUMNS) <= set(frame.columns):
        rows, merged = _interval_periods(frame, unit_column, resolution_h), 0
    else:
        raise ValueError(
            f"frame columns {', '.join(map(str, frame.columns))} are neither outages "
            "(start, end) nor intervals (state, duration_h, censored)"
        )
    out = pd.DataFrame(rows, columns=["unit", "state", "duration_h", "kind"])
    out["duration_h"] = out["duration_h"].astype(float)
    out["kind"] = out["kind"].astype(int)
    out.attrs["merged_outages"] = int(merged)
    return out


def _interval_periods(frame, unit_column, resolution_h) -> list:
    state = frame["state"].astype(str).str.strip().str.lower()
    duration = pd.to_numeric(frame["duration_h"], errors="coerce")
    rows = []
    for pos, (label, unit, s, d, c) in enumerate(
        zip(frame.index, frame[unit_column], state, duration, frame["censored"], strict=True)
    ):
        where = f"row {pos + 1} (index {label!r})"
        if s not in ("up", "down"):
            raise ValueError(f"column 'state', {where}: {s!r} must be up or down")
        if not (math.isfinite(d) and d >= 0):
            raise ValueError(f"column 'duration_h', {where}: {d!r} must be a number >= 0 [h]")
        if not isinstance(c, (bool, np.bool_)):
            raise ValueError(f"column 'censored', {where}: {c!r} must be True or False")
        if d == 0:
            if c:
                continue  # a censored period of no length carries no information
            rows.append((unit, s, resolution_h, LEFT))
        else:
            rows.append((unit, s, float(d), RIGHT if c else EXACT))
    return rows


def _outage_periods(frame, window_start, window_end, unit_column, units, resolution_h):
    if window_start is None:
        window_start = frame.attrs.get("window_start")
    if window_end is None:
        window_end = frame.attrs.get("window_end")
    if window_start is None or window_end is None:
        raise ValueError(
            "window_start and window_end are required for an outage history (the observation "
            "window: the first up period starts at window_start, the last is censored at "
            "window_end)"
        )
    ts0, h0 = _window_value(window_start, "window_start")
    ts1, h1 = _window_value(window_end, "window_end")
    if (ts0 is None) != (ts1 is None):
        raise ValueError("window_start and window_end must both be timestamps or both hours")
    if ts0 is not None:
        start = _to_hours(frame["start"], ts0, "start")
        end = _to_hours(frame["end"], ts0, "end")
        try:
            length = (ts1 - ts0) / pd.Timedelta(hours=1)
        except TypeError as exc:
            raise ValueError(f"window_start and window_end cannot be compared: {exc}") from None
        w0, w1 = 0.0, float(length)
    else:
        start = _to_hours(frame["start"], None, "start")
        end = _to_hours(frame["end"], None, "end")
        w0, w1 = h0, h1
    if not w1 > w0:
        raise ValueError(
            f"window_end={window_end!r} must be later than window_start={window_start!r}"
        )
    labels = list(frame.index)
    for pos in range(len(frame)):
        where = f"row {pos + 1} (index {labels[pos]!r})"
        s, e = start[pos], end[pos]
        if not math.isfinite(s):
            raise ValueError(f"column 'start', {where}: missing or not finite")
        if not (w0 <= s <= w1):
            raise ValueError(
                f"column 'start', {where}: {frame['start'].iloc[pos]!r} is outside the window "
                f"[{window_start}, {window_end}]"
            )
        if math.isfinite(e) and e < s:
            raise ValueError(
                f"column 'end', {where}: {frame['end'].iloc[pos]!r} is before the start "
                f"{frame['start'].iloc[pos]!r}"
            )
    unit_values = frame[unit_column].to_numpy()
    rows: list = []
    merged = 0
    order = np.lexsort((start, pd.factorize(unit_values)[0]))
    groups: dict = {}
    for i in order:
        groups.setdefault(unit_values[i], []).append(i)
    for unit, idx in groups.items():
        # Merge overlapping or touching outages of the same unit.
        spans: list[list[float]] = []
        for i in idx:
            s, e = start[i], end[i]
            e = w1 if not math.isfinite(e) else e
            open_ = not math.isfinite(end[i]) or e > w1
            e = min(e, w1)
            if spans and s <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], e)
                spans[-1][2] = spans[-1][2] or open_
                merged += 1
            else:
                spans.append([s, e, open_])
        previous = w0
        for s, e, open_ in spans:
            if s > previous:
                rows.append((unit, "up", s - previous, EXACT))
            if e > s:
                rows.append((unit, "down", e - s, RIGHT if open_ else EXACT))
            elif not open_:
                rows.append((unit, "down", resolution_h, LEFT))
            previous = e
        if w1 > previous:
            rows.append((unit, "up", w1 - previous, RIGHT))
    if units is not None:
        for unit in units:
            if unit not in groups:
                rows.append((unit, "up", w1 - w0, RIGHT))
    return rows, merged
