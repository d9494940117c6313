"""What every figure shares: the Okabe–Ito palette and markers, axis labels with units,
and the helpers that check tables, split them into series and write notes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import transforms

__all__ = ["PALETTE", "axis_label"]


#: Okabe–Ito colours, ordered for contrast on white (yellow last).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_GREY = "#999999"
_WARN = "#D55E00"
_SEQUENTIAL = "viridis"  # perceptually uniform and colour-blind safe
_MAX_ANNOTATED_CELLS = 400

_LABELS = {
    "nodes": "nodes N [count]",
    "replicas": "replicas R [instances per node]",
    "instances": "instances C [count]",
    "request_rate_rps": "request rate P [requests/s]",
    "recovery_speed_s": "recovery speed S [s]",
    "min_instances": "min instances k [count]",
    "instance_capacity_rps": "instance capacity [requests/s]",
    "max_utilization": "utilisation ceiling [fraction]",
    "zones": "zones [count]",
    "repair_crews": "repair crews [count]",
    "node_mttf_h": "node MTTF [h]",
    "node_mttr_h": "node MTTR [h]",
    "instance_mttf_h": "instance MTTF [h]",
    "instance_mttr_h": "instance MTTR [h]",
    "zone_mttf_h": "zone MTTF [h]",
    "zone_mttr_h": "zone MTTR [h]",
    "orchestrator": "orchestrator",
    "balancer": "balancing strategy",
    "reschedule": "reschedule",
    "doc_total_containers": "article's C = N×R [instances]",
    "doc_balancer_load_rps": "article's L = N/R×P [requests/s]",
    "doc_recovery_time_s": "article's T = N/R×S [s]",
    "per_node_load_rps": "per-node load [requests/s]",
    "per_instance_load_rps": "per-instance load [requests/s]",
    "utilization": "utilisation [fraction]",
    "slo_availability": "SLO availability (load-aware) [fraction]",
    "slo_unavailability": "SLO unavailability (load-aware) [probability]",
    "slo_nines": "SLO nines (load-aware) [−log10 U]",
    "slo_downtime_min_per_30d": "SLO downtime [min per 30 days]",
    "slo_downtime_min_per_year": "SLO downtime [min/yr]",
    "service_availability": "service-only availability, a component [fraction]",
    "nines": "service-only nines, a component [−log10 U]",
    "planned_nines": "planned availability [nines = −log10 U]",
    "downtime_min_per_year": "service-only downtime, a component [min/yr]",
    "service_mttf_h": "service MTTF [h]",
    "outage_frequency_per_year": "outages [1/yr]",
    "mean_outage_duration_min": "mean outage duration [min]",
    "wait_probability": "P(wait) [probability]",
    "mean_response_ms": "mean response time [ms]",
    "p99_response_ms": "p99 response time [ms]",
    "failures_tolerated": "node failures tolerated [count]",
    "cost": "cost [cost units]",
}
_SUFFIX_UNITS = (
    ("_min_per_year", "min/yr"),
    ("_per_year", "1/yr"),
    ("_rps", "requests/s"),
    ("_ms", "ms"),
    ("_min", "min"),
    ("_s", "s"),
    ("_h", "h"),
)


def axis_label(column: str) -> str:
    """An axis label with its unit for a vocabulary column name (``"p99_response_ms"`` →
    ``"p99 response [ms]"``); names it does not know get their unit from the suffix."""
    if column in _LABELS:
        return _LABELS[column]
    name = str(column)
    if "unavailability" in name:
        return f"{name.replace('_', ' ')} [probability]"
    for suffix, unit in _SUFFIX_UNITS:
        if name.endswith(suffix):
            return f"{name[: -len(suffix)].replace('_', ' ')} [{unit}]"
    return name.replace("_", " ")


def _short(column: str) -> str:
    """The label of ``column`` without its unit, for titles."""
    return axis_label(column).split(" [")[0]


def _require(frame, columns: Sequence[str], argument: str = "frame") -> pd.DataFrame:
    """Check ``frame`` is a non-empty DataFrame holding ``columns``; name what is missing."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"{argument}={type(frame).__name__} is not valid: pass a pandas.DataFrame "
            "(e.g. from haplan.sweep)"
        )
    for column in columns:
        if column not in frame.columns:
            raise ValueError(
                f"{argument} has no column {column!r}: it needs the columns "
                f"{', '.join(repr(c) for c in columns)}"
            )
    if frame.empty:
        raise ValueError(f"{argument} is empty: pass at least one row")
    return frame


def _numeric(frame: pd.DataFrame, column: str, argument: str = "frame") -> np.ndarray:
    try:
        return frame[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{argument} column {column!r} is not numeric") from None


def _style(index: int) -> dict:
    return {
        "color": PALETTE[index % len(PALETTE)],
        "marker": _MARKERS[index % len(_MARKERS)],
    }


def _format_value(value) -> str:
    """A short text for an axis category or a cell: 3 significant digits, ∞ for inf."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-2):
            return f"{v:.2g}"
        return f"{v:.3g}"
    return str(value)


def _note(ax, text: str, *, right: bool = False) -> None:
    """A small grey note in the lower left (or right) corner of ``ax``."""
    ax.text(
        0.99 if right else 0.01,
        0.01,
        text,
        transform=ax.transAxes,
        fontsize="small",
        color="#555555",
        ha="right" if right else "left",
        va="bottom",
    )


def _integer_ticks(ax, values: np.ndarray) -> None:
    """Put ticks on the data's values when they are few whole numbers."""
    finite = np.unique(values[np.isfinite(values)])
    if 0 < len(finite) <= 12 and np.all(finite == np.round(finite)):
        ax.set_xticks(finite)
        ax.set_xticklabels([f"{v:g}" for v in finite])


def _ranges(values: list[float]) -> str:
    """Sorted numbers as text, whole-number runs joined: [2, 3, 4, 7] → "2–4, 7"."""
    parts: list[str] = []
    start = previous = None
    for value in [*values, None]:
        if value is not None and previous is not None and value == previous + 1 == round(value):
            previous = value
            continue
        if start is not None:
            parts.append(f"{start:g}" if start == previous else f"{start:g}–{previous:g}")
        start = previous = value
    return ", ".join(parts)


def _series_keys(frame: pd.DataFrame, along: str, candidates: Sequence[str]) -> list[str]:
    """Columns that vary across ``frame`` besides ``along`` and split it into lines.

    Starts from every varying candidate column and drops ``instances`` or ``replicas`` when
    the others already make ``along`` unique within each line (one of the two is derived from
    ``nodes`` and the other).
    """
    keys = [c for c in candidates if c in frame and c != along and frame[c].nunique() > 1]
    for derived in ("instances", "replicas"):
        rest = [k for k in keys if k != derived]
        if derived in keys and _unique_within(frame, along, rest):
            keys = rest
    return keys


def _unique_within(frame: pd.DataFrame, along: str, keys: list[str]) -> bool:
    if not keys:
        return frame[along].is_unique
    return not frame.duplicated(subset=[*keys, along]).any()


def _groups(frame: pd.DataFrame, keys: list[str]):
    """(label, sub-frame) per combination of ``keys``, sorted by the keys."""
    if not keys:
        yield "", frame
        return
    for values, part in frame.groupby(keys, sort=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={_format_value(v)}" for k, v in zip(keys, values, strict=True))
        yield label, part


def _category_labels(values) -> list[str]:
    return [_format_value(v) for v in values]


def _x_data(ax):
    """x in data coordinates, y in axes coordinates."""
    return transforms.blended_transform_factory(ax.transData, ax.transAxes)
