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


#: Nines beyond which figures computed with independent failures stop meaning much: real
#: clusters see correlated failures (37 % of node failures arrive in bursts, Ford et al.,
#: "Availability in Globally Distributed Storage Systems", OSDI 2010), which cap availability
#: at about five nines unless zones and correlated causes are modelled.
CREDIBLE_NINES = 5.0
#: Nines axes stop here (or two above the target); larger values are drawn on the edge.
NINES_AXIS_CAP = 10.0
#: The caveat a caption of a nines figure carries (the figure shades the band itself).
NINES_CAVEAT = (
    "Shaded: beyond about five nines, where independent-failure figures stop meaning much — "
    "correlated failures (37 % of node failures arrive in bursts, Ford et al., OSDI 2010; "
    "racks, zones, bad rollouts) cap real clusters well below that."
)
_BAND = "#F2E6F7"  # the band beyond credible nines
_OVERLOAD = "#FBE3D6"  # an overloaded region
_MARK = "#000000"


def _is_nines(column: str) -> bool:
    return str(column).endswith("nines")


def _target_nines(target_availability) -> float | None:
    """The nines of an availability target [fraction], or None when no target is set."""
    if target_availability is None:
        return None
    try:
        target = float(target_availability)
    except (TypeError, ValueError):
        return None
    if not 0 < target < 1:
        return None
    return -math.log10(1.0 - target)


def _nines_cap(target_nines: float | None, cap: float = NINES_AXIS_CAP) -> float:
    return max(cap, (target_nines or 0.0) + 2.0)


def _clip_nines(values: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Values clipped to ``cap`` for drawing, and which were clipped (∞ included)."""
    values = np.asarray(values, dtype=float)
    clipped = values > cap
    return np.where(clipped, cap, values), clipped


def _footer(figure, notes: Sequence[str]) -> None:
    """Notes under the whole figure, small and grey, one a line (kept clear of the data)."""
    notes = [n for n in notes if n]
    if notes:
        figure.supxlabel("\n".join(notes), x=0.01, ha="left", fontsize="small", color="#555555")


def _nines_axis(
    ax, *, target_nines: float | None, cap: float, axis: str = "y", clipped: int = 0
) -> str:
    """Shade the band beyond :data:`CREDIBLE_NINES`, draw the target, fix the limits.

    ``axis`` is the axis holding nines ("y" or "x"). ``clipped`` counts points drawn on the
    edge because they lie beyond ``cap``; returns the note that says so ("" when none).
    """
    span = ax.axhspan if axis == "y" else ax.axvspan
    line = ax.axhline if axis == "y" else ax.axvline
    limit = ax.set_ylim if axis == "y" else ax.set_xlim
    top = cap * 1.04
    span(CREDIBLE_NINES, top, color=_BAND, zorder=0, linewidth=0)
    if axis == "y":
        ax.text(
            0.01,
            (CREDIBLE_NINES + top) / 2,
            "beyond ~5 nines: independent failures only;\ncorrelated ones cap real clusters lower",
            transform=transforms.blended_transform_factory(ax.transAxes, ax.transData),
            fontsize="x-small",
            color="#6A3D7A",
            va="center",
            ha="left",
        )
    else:
        ax.text(
            (CREDIBLE_NINES + top) / 2,
            0.99,
            "beyond ~5 nines:\nindependent-failure\nmodels only",
            transform=transforms.blended_transform_factory(ax.transData, ax.transAxes),
            fontsize="x-small",
            color="#6A3D7A",
            va="top",
            ha="center",
        )
    if target_nines is not None:
        line(target_nines, color=_WARN, linestyle="--", linewidth=1.4, zorder=1)
        label = f"target {target_nines:.3g} nines ({_percent(target_nines)})"
        if axis == "y":
            ax.text(
                0.99,
                target_nines,
                label,
                transform=transforms.blended_transform_factory(ax.transAxes, ax.transData),
                ha="right",
                va="bottom",
                color=_WARN,
                fontsize="small",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0},
            )
        else:
            ax.text(
                target_nines,
                0.01,
                " " + label,
                transform=transforms.blended_transform_factory(ax.transData, ax.transAxes),
                ha="left",
                va="bottom",
                rotation=90,
                color=_WARN,
                fontsize="small",
            )
    limit(-0.04 * cap, top)
    if not clipped:
        return ""
    where = "top" if axis == "y" else "right"
    return f"▲ {clipped} point(s) beyond {cap:g} nines drawn on the {where} edge"


def _percent(nines: float) -> str:
    """An availability of ``nines`` as a percentage with its significant nines."""
    unavailability = 10.0 ** (-nines)
    digits = max(0, math.ceil(nines - 1e-9) - 2)
    return f"{100 * (1 - unavailability):.{digits}f} %"


def _matching(frame: pd.DataFrame, mark) -> np.ndarray:
    """Rows of ``frame`` equal to every (column, value) of ``mark`` (columns it lacks are
    ignored); all False when ``mark`` is empty or names no column of the frame."""
    rows = np.zeros(len(frame), dtype=bool)
    if not mark:
        return rows
    known = {k: v for k, v in dict(mark).items() if k in frame.columns}
    if not known:
        return rows
    rows[:] = True
    for column, value in known.items():
        values = frame[column].to_numpy()
        try:
            rows &= np.isclose(values.astype(float), float(value))
        except (TypeError, ValueError):
            rows &= values.astype(str) == str(value)
    return rows


def _mark_label(mark) -> str:
    names = {"nodes": "N", "replicas": "R", "instances": "C"}
    parts = [f"{names.get(k, k)}={_format_value(v)}" for k, v in dict(mark).items()]
    return "your cluster (" + ", ".join(parts) + ")"


def _mark_point(ax, x: float, y: float, mark, **extra) -> None:
    """The user's configuration: a black ring at (x, y), labelled for the legend."""
    ax.plot(
        [x],
        [y],
        linestyle="none",
        marker="o",
        markersize=16,
        markerfacecolor="none",
        markeredgecolor=_MARK,
        markeredgewidth=2.0,
        label=_mark_label(mark),
        zorder=5,
        **extra,
    )
