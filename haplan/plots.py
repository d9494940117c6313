"""Figures for the metrics table: trade-offs over N, R, P, S, recovery stages, plans, Monte Carlo.

Every function takes a table haplan produced (``haplan.sweep``, ``haplan.plan(...).candidates``,
``haplan.recovery.stages_table``, ``haplan.simulate.compare_with_analytic``) and returns a
:class:`matplotlib.figure.Figure`. Figures are built with ``Figure()`` directly, never through
``pyplot``: nothing is shown, no global state is touched, and the functions work headless and
from several threads. In Jupyter a figure displays as the last expression of a cell (after
``%matplotlib inline``); elsewhere call ``fig.savefig("out.png")``.

Axes are labelled with units; colours come from the Okabe–Ito palette, which stays
distinguishable for the common forms of colour blindness (Okabe and Ito, "Color Universal
Design", 2008), with a different marker per series as a second cue. Rows whose value cannot be
drawn (an overloaded queue's infinite p99, infinitely many nines when U underflows to 0, NaN)
are left out and the figure says so in a note.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps, transforms
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "axis_label",
    "availability_vs_replicas",
    "load_and_latency",
    "recovery_breakdown",
    "heatmap",
    "pareto_frontier",
    "simulation_vs_analytic",
    "tornado",
    "timeline",
]

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


# -- shared helpers -------------------------------------------------------------------------


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


# -- availability vs replicas ---------------------------------------------------------------


def availability_vs_replicas(
    frame: pd.DataFrame, *, by: str | None = "nodes", value: str = "slo_nines"
) -> Figure:
    """Nines against replicas R, one line per value of ``by``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Metrics table with ``replicas``, ``value`` and the ``by`` column, e.g.
        ``haplan.sweep(nodes=range(3, 8), replicas=[1, 2, 3])``; one row per
        (``by``, replicas) pair.
    by : str or None
        Column whose values get one line each (default ``"nodes"``); None draws one line.
    value : str
        The nines to draw: ``"slo_nines"`` (default), the load-aware headline, which reads 0
        for a service too small for its load; ``"nines"`` draws the service-only component
        (``min_instances`` up, whatever the load) and is labelled as such.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x replicas [instances per node], y ``value`` [nines]. Rows with
        infinite nines (U below float range) or NaN are left out, with a note.

    Raises
    ------
    ValueError
        When a column is missing or a (``by``, replicas) pair has several rows.
    """
    columns = ["replicas", value] + ([by] if by is not None else [])
    _require(frame, columns)
    keys = [by] if by is not None else []
    if frame.duplicated(subset=[*keys, "replicas"]).any():
        raise ValueError(
            f"frame has several rows for one ({', '.join([*keys, 'replicas'])}) pair: filter it "
            "to one value of every other input, or pass by=<the input that varies>"
        )
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = figure.add_subplot()
    hidden = 0
    for index, (_, part) in enumerate(_groups(frame.sort_values("replicas"), keys)):
        x = _numeric(part, "replicas")
        y = _numeric(part, value)
        finite = np.isfinite(y)
        hidden += int((~finite).sum())
        ax.plot(
            x[finite],
            y[finite],
            label=_format_value(part[by].iloc[0]) if by is not None else None,
            linewidth=1.8,
            **_style(index),
        )
    _integer_ticks(ax, _numeric(frame, "replicas"))
    ax.set_xlabel(axis_label("replicas"))
    ax.set_ylabel(axis_label(value))
    ax.set_title(f"{_short(value)} vs replicas" + (f", one line per {by}" if by else ""))
    ax.grid(True, alpha=0.3)
    if by is not None:
        ax.legend(title=axis_label(by), fontsize="small", ncols=1 + (len(ax.lines) > 8))
    if hidden:
        _note(ax, f"{hidden} point(s) with U = 0 to float precision (∞ nines) not shown")
    return figure


# -- load and latency -----------------------------------------------------------------------

_SERIES_INPUTS = (
    "replicas",
    "instances",
    "request_rate_rps",
    "instance_capacity_rps",
    "balancer",
    "max_utilization",
)


def load_and_latency(frame: pd.DataFrame, *, max_utilization: float | None = None) -> Figure:
    """Per-node load, utilisation and p99 latency against the number of nodes.

    Parameters
    ----------
    frame : pandas.DataFrame
        Metrics table with ``nodes``, ``per_node_load_rps``, ``utilization`` and
        ``p99_response_ms`` (e.g. ``haplan.sweep(nodes=range(2, 13), replicas=[1, 2])``).
        Inputs that vary besides ``nodes`` (replicas, request rate, balancer, ...) give one
        line each.
    max_utilization : float, optional
        Utilisation ceiling [fraction], in (0, 1]; drawn as a line on the utilisation panel.
        Default: the frame's ``max_utilization`` when it holds a single value.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels sharing the x axis (nodes): per-node load [requests/s], utilisation
        [%] with the ceiling and the points above it marked, p99 response time [ms].
        Overloaded rows (utilisation ≥ 1, p99 = ∞) are drawn as triangles on the top edge
        of the latency panel, with a note.
    """
    _require(frame, ["nodes", "per_node_load_rps", "utilization", "p99_response_ms"])
    if max_utilization is not None and not (
        isinstance(max_utilization, numbers.Real)
        and not isinstance(max_utilization, bool)
        and 0 < max_utilization <= 1
    ):
        raise ValueError(f"max_utilization={max_utilization!r} is out of range: must be in (0, 1]")
    if max_utilization is not None:
        row_ceiling = np.full(len(frame), float(max_utilization))
    elif "max_utilization" in frame:
        row_ceiling = _numeric(frame, "max_utilization")
        ceilings = np.unique(row_ceiling)
        max_utilization = float(ceilings[0]) if len(ceilings) == 1 else None
    else:
        row_ceiling = np.full(len(frame), np.inf)
    keys = _series_keys(frame, "nodes", _SERIES_INPUTS)
    if not _unique_within(frame, "nodes", keys):
        raise ValueError(
            "frame has several rows for one value of nodes on one line: filter it to one value "
            "of every input other than nodes, replicas, request_rate_rps, "
            "instance_capacity_rps, balancer and max_utilization"
        )
    frame = frame.assign(_ceiling=row_ceiling)
    figure = Figure(figsize=(7.5, 8.0), layout="constrained")
    load_ax, util_ax, latency_ax = figure.subplots(3, 1, sharex=True)
    edge = transforms.blended_transform_factory(latency_ax.transData, latency_ax.transAxes)
    overloaded_nodes: set[float] = set()
    above = 0
    for index, (label, part) in enumerate(_groups(frame.sort_values("nodes"), keys)):
        style = _style(index)
        nodes = _numeric(part, "nodes")
        load_ax.plot(nodes, _numeric(part, "per_node_load_rps"), label=label or None, **style)
        utilization = _numeric(part, "utilization")
        util_ax.plot(nodes, 100 * utilization, **style)
        over = utilization > part["_ceiling"].to_numpy()
        if over.any():
            above += int(over.sum())
            util_ax.plot(
                nodes[over],
                100 * utilization[over],
                linestyle="none",
                marker="o",
                markersize=11,
                markerfacecolor="none",
                markeredgecolor=_WARN,
            )
        p99 = _numeric(part, "p99_response_ms")
        overloaded = ~np.isfinite(p99)
        if "overloaded" in part:
            overloaded |= part["overloaded"].to_numpy(dtype=bool)
        latency_ax.plot(nodes[~overloaded], p99[~overloaded], **style)
        if overloaded.any():
            overloaded_nodes.update(nodes[overloaded].tolist())
            latency_ax.plot(
                nodes[overloaded],
                np.ones(overloaded.sum()),
                transform=edge,
                clip_on=False,
                linestyle="none",
                marker="^",
                markersize=9,
                color=style["color"],
                markeredgecolor=_WARN,
            )
    if max_utilization is not None:
        util_ax.axhline(100 * max_utilization, color=_WARN, linestyle="--", linewidth=1.2)
        util_ax.text(
            0.99,
            100 * max_utilization,
            f"ceiling {100 * max_utilization:.0f} %",
            transform=transforms.blended_transform_factory(util_ax.transAxes, util_ax.transData),
            ha="right",
            va="bottom",
            color=_WARN,
            fontsize="small",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0},
        )
        if above:
            _note(util_ax, f"circled: {above} point(s) above the ceiling")
    finite_p99 = _numeric(frame, "p99_response_ms")
    finite_p99 = finite_p99[np.isfinite(finite_p99) & (finite_p99 > 0)]
    if len(finite_p99) and finite_p99.max() / finite_p99.min() > 20:
        latency_ax.set_yscale("log")
    if overloaded_nodes:
        listed = _ranges(sorted(overloaded_nodes))
        _note(latency_ax, f"▲ overloaded (utilisation ≥ 1, p99 = ∞) at N = {listed}")
    load_ax.set_ylabel(axis_label("per_node_load_rps"))
    util_ax.set_ylabel("utilisation [%]")
    latency_ax.set_ylabel(axis_label("p99_response_ms"))
    latency_ax.set_xlabel(axis_label("nodes"))
    _integer_ticks(latency_ax, _numeric(frame, "nodes"))
    load_ax.set_title("Load per node, utilisation and p99 latency vs nodes")
    for ax in (load_ax, util_ax, latency_ax):
        ax.grid(True, alpha=0.3)
    if keys:
        load_ax.legend(fontsize="small", ncols=1 + (len(load_ax.lines) > 6))
    return figure


# -- recovery breakdown ---------------------------------------------------------------------


def recovery_breakdown(stages: pd.DataFrame, *, article_time_s: float | None = None) -> Figure:
    """Stacked bars of each orchestrator's recovery stages after a node failure.

    Parameters
    ----------
    stages : pandas.DataFrame
        Columns ``orchestrator``, ``event``, ``stage``, ``seconds``: the concatenation of
        ``haplan.recovery.stages_table(preset, ...)`` for several presets. Only the
        ``node_failure`` rows are drawn.
    article_time_s : float, optional
        The article's T = N/R × S [s] (``metrics`` column ``doc_recovery_time_s``), drawn as
        its own bar and a dotted vertical line.

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per orchestrator, one segment per stage in pipeline order, the
        total [s] written at the end of each bar.
    """
    _require(stages, ["orchestrator", "event", "stage", "seconds"], "stages")
    node = stages[stages["event"] == "node_failure"]
    if node.empty:
        raise ValueError("stages has no 'node_failure' rows: pass haplan.recovery.stages_table()")
    if node.duplicated(subset=["orchestrator", "stage"]).any():
        raise ValueError(
            "stages has several node_failure rows for one (orchestrator, stage): pass one "
            "stages_table per orchestrator"
        )
    seconds = _numeric(node, "seconds", "stages")
    if not np.all(np.isfinite(seconds)) or np.any(seconds < 0):
        raise ValueError("stages column 'seconds' is out of range: must be finite and >= 0")
    if article_time_s is not None and not (
        isinstance(article_time_s, numbers.Real)
        and not isinstance(article_time_s, bool)
        and math.isfinite(article_time_s)
        and article_time_s >= 0
    ):
        raise ValueError(
            f"article_time_s={article_time_s!r} is out of range: must be a finite number >= 0"
        )
    orchestrators = list(pd.unique(node["orchestrator"].astype(str)))
    stage_names = list(pd.unique(node["stage"]))
    table = node.assign(orchestrator=node["orchestrator"].astype(str)).pivot(
        index="orchestrator", columns="stage", values="seconds"
    )
    table = table.reindex(index=orchestrators, columns=stage_names).fillna(0.0)
    rows = list(reversed(orchestrators))  # first orchestrator on top
    labels = rows.copy()
    if article_time_s is not None:
        labels = ["article: T = N/R × S"] + labels
    figure = Figure(figsize=(8.0, 1.8 + 0.6 * len(labels)), layout="constrained")
    ax = figure.add_subplot()
    positions = np.arange(len(labels), dtype=float)
    bar_positions = positions[len(labels) - len(rows) :]
    left = np.zeros(len(rows))
    for index, stage in enumerate(stage_names):
        widths = table.loc[rows, stage].to_numpy(dtype=float)
        ax.barh(
            bar_positions,
            widths,
            left=left,
            height=0.6,
            color=PALETTE[index % len(PALETTE)],
            edgecolor="white",
            label=str(stage).replace("_", " "),
        )
        left += widths
    for y, total in zip(bar_positions, left, strict=True):
        ax.text(total, y, f" {total:.4g} s", va="center", ha="left", fontsize="small")
    if article_time_s is not None:
        ax.barh(
            positions[0],
            article_time_s,
            height=0.6,
            color="white",
            edgecolor=_GREY,
            hatch="//",
            label="article's T",
        )
        ax.text(
            article_time_s, positions[0], f" {article_time_s:.4g} s", va="center", fontsize="small"
        )
        ax.axvline(article_time_s, color=_GREY, linestyle=":", linewidth=1.5)
    ax.set_yticks(positions)
    ax.set_yticklabels(labels)
    right = max(float(left.max()), float(article_time_s or 0.0))
    ax.set_xlim(0, 1.15 * right if right > 0 else 1.0)
    ax.set_xlabel("time after a node failure [s]")
    ax.set_ylabel("orchestrator")
    ax.set_title("Recovery after a node failure, stage by stage")
    ax.grid(True, axis="x", alpha=0.3)
    figure.legend(
        fontsize="small",
        loc="outside lower center",
        ncols=min(4, len(stage_names) + (article_time_s is not None)),
        frameon=False,
    )
    return figure


# -- heatmap --------------------------------------------------------------------------------


def _category_labels(values) -> list[str]:
    return [_format_value(v) for v in values]


def heatmap(
    frame: pd.DataFrame, *, value: str = "slo_nines", x: str = "replicas", y: str = "nodes"
) -> Figure:
    """A grid of ``value`` over the values of ``x`` and ``y``, every cell annotated.

    Parameters
    ----------
    frame : pandas.DataFrame
        Metrics table (or a plan's candidates) with columns ``x``, ``y`` and ``value``, one
        row per (x, y) pair.
    value : str
        Numeric column to colour by: ``slo_nines`` (default, the load-aware headline),
        ``nines`` (the service-only component), ``cost``, ``p99_response_ms``, ...
    x, y : str
        Columns along the horizontal and vertical axes; numbers or categories (e.g.
        ``x="balancer"``).

    Returns
    -------
    matplotlib.figure.Figure
        One axes with a colour bar labelled with ``value``'s unit. Infinite and missing cells
        are grey and read ∞ / n/a. A positive value spanning more than three decades is
        coloured on a log scale. Cells are annotated when there are at most 400.

    Raises
    ------
    ValueError
        When a column is missing, ``value`` is not numeric, or an (x, y) pair has several
        rows (filter the frame to one value of every other input first).
    """
    _require(frame, [x, y, value])
    if x == y:
        raise ValueError(f"x={x!r} and y={y!r} are the same column: pick two different ones")
    if frame.duplicated(subset=[x, y]).any():
        raise ValueError(
            f"frame has several rows for one ({x}, {y}) pair: filter it to one value of every "
            "other input first"
        )
    numbers = _numeric(frame, value)
    grid = (
        frame.assign(**{value: numbers})
        .pivot(index=y, columns=x, values=value)
        .sort_index(axis=0)
        .sort_index(axis=1)
    )
    cells = grid.to_numpy(dtype=float)
    finite = np.isfinite(cells)
    x_labels = _category_labels(grid.columns)
    long_labels = max(len(label) for label in x_labels) > 6
    column_width = 1.1 if long_labels else 0.8
    figure = Figure(
        figsize=(
            max(5.0, 2.0 + column_width * grid.shape[1]),
            max(3.5, 1.2 + 0.45 * grid.shape[0] + (0.6 if long_labels else 0.0)),
        ),
        layout="constrained",
    )
    ax = figure.add_subplot()
    cmap = colormaps[_SEQUENTIAL].with_extremes(bad="#DDDDDD")
    norm = None
    if finite.any():
        low, high = cells[finite].min(), cells[finite].max()
        if low > 0 and high / low > 1e3:
            norm = mcolors.LogNorm(vmin=low, vmax=high)
        elif low == high:
            norm = mcolors.Normalize(vmin=low - 0.5, vmax=high + 0.5)
        else:
            norm = mcolors.Normalize(vmin=low, vmax=high)
    image = ax.imshow(
        np.ma.masked_invalid(cells), aspect="auto", origin="lower", cmap=cmap, norm=norm
    )
    if cells.size <= _MAX_ANNOTATED_CELLS:
        size = "small" if cells.size <= 100 else "x-small"
        for (row, column), cell in np.ndenumerate(cells):
            if np.isfinite(cell):
                red, green, blue, _ = cmap(norm(cell))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                color = "white" if dark else "black"
            else:
                color = "black"
            ax.text(
                column,
                row,
                _format_value(cell),
                ha="center",
                va="center",
                color=color,
                fontsize=size,
            )
    ax.set_xticks(np.arange(grid.shape[1]))
    if long_labels:
        ax.set_xticklabels(x_labels, rotation=30, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels(x_labels)
    ax.set_yticks(np.arange(grid.shape[0]))
    ax.set_yticklabels(_category_labels(grid.index))
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(f"{_short(value)} by {_short(x)} and {_short(y)}")
    colorbar = figure.colorbar(image, ax=ax)
    colorbar.set_label(axis_label(value))
    return figure


# -- Pareto frontier ------------------------------------------------------------------------


def pareto_frontier(
    frame: pd.DataFrame, front: pd.DataFrame, *, x: str = "cost", y: str = "slo_nines"
) -> Figure:
    """Every candidate as a point and the Pareto frontier as a step line.

    Parameters
    ----------
    frame : pandas.DataFrame
        All candidates (e.g. ``haplan.plan(...).candidates`` or a sweep with a ``cost``
        column). With a ``feasible`` column, rejected candidates are drawn as grey crosses.
    front : pandas.DataFrame
        The frontier, e.g. ``haplan.pareto(frame, {"cost": "min", "slo_nines": "max"})``.
    x, y : str
        Columns on the axes; ``y`` defaults to the load-aware headline, ``slo_nines``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the frontier is a post-step line (the best ``y`` reachable for each ``x``)
        with its points labelled by nodes and replicas when the frame has them and the
        frontier has at most 15 points. Rows with non-finite ``x`` or ``y`` are left out,
        with a note.
    """
    _require(frame, [x, y])
    if not isinstance(front, pd.DataFrame):
        raise ValueError(
            f"front={type(front).__name__} is not valid: pass a pandas.DataFrame "
            "(haplan.pareto(frame, ...))"
        )
    for column in (x, y):
        if column not in front.columns:
            raise ValueError(f"front has no column {column!r}: it needs the columns {x!r}, {y!r}")
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = figure.add_subplot()
    xs, ys = _numeric(frame, x), _numeric(frame, y)
    shown = np.isfinite(xs) & np.isfinite(ys)
    if "feasible" in frame:
        feasible = frame["feasible"].to_numpy(dtype=bool)
        groups = [(feasible, "feasible", PALETTE[5], "o"), (~feasible, "rejected", _GREY, "x")]
    else:
        groups = [(np.ones(len(frame), dtype=bool), "candidates", PALETTE[5], "o")]
    for rows, label, color, marker in groups:
        rows = rows & shown
        if rows.any():
            ax.scatter(
                xs[rows],
                ys[rows],
                s=22,
                color=color,
                marker=marker,
                label=label,
                alpha=0.8,
                zorder=2,
            )
    hidden = int((~shown).sum())
    front_sorted = front.sort_values(x, kind="stable")
    fx, fy = _numeric(front_sorted, x, "front"), _numeric(front_sorted, y, "front")
    on = np.isfinite(fx) & np.isfinite(fy)
    if on.any():
        ax.step(
            fx[on],
            fy[on],
            where="post",
            color=_WARN,
            linewidth=2.0,
            zorder=3,
            label="Pareto frontier",
        )
        ax.plot(fx[on], fy[on], linestyle="none", marker="D", color=_WARN, zorder=4)
        if {"nodes", "replicas"} <= set(front_sorted.columns) and on.sum() <= 15:
            nodes = front_sorted["nodes"].to_numpy()[on]
            replicas = front_sorted["replicas"].to_numpy()[on]
            for px, py, n, r in zip(fx[on], fy[on], nodes, replicas, strict=True):
                ax.annotate(
                    f"N={n:g} R={r:g}",
                    (px, py),
                    textcoords="offset points",
                    xytext=(4, -10),
                    fontsize="x-small",
                )
    notes = []
    if hidden:
        notes.append(f"{hidden} candidate(s) with non-finite {x} or {y} not shown")
    if not on.any():
        notes.append("the frontier is empty")
    if notes:
        _note(ax, "; ".join(notes))
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(f"Trade-off: {_short(x)} vs {_short(y)}")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return figure


# -- simulation vs analytic -----------------------------------------------------------------


def simulation_vs_analytic(comparison: pd.DataFrame) -> Figure:
    """Monte Carlo estimates with confidence intervals beside the analytic values.

    Parameters
    ----------
    comparison : pandas.DataFrame
        ``haplan.simulate.compare_with_analytic(...)``: indexed by metric (or with a
        ``metric`` column), columns ``simulated``, ``ci_low``, ``ci_high``, ``analytic``
        (and optionally ``z``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric (metrics have different units): the simulated estimate with
        its interval as an error bar, the analytic value as a diamond and a dashed line.
        A NaN analytic value is written "no closed form"; a NaN estimate "no estimate".
    """
    _require(comparison, ["simulated", "ci_low", "ci_high", "analytic"], "comparison")
    table = comparison
    if "metric" in table.columns:
        table = table.set_index("metric")
    count = len(table)
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax in axes[count:]:
        figure.delaxes(ax)
    simulated = _numeric(table, "simulated", "comparison")
    low = _numeric(table, "ci_low", "comparison")
    high = _numeric(table, "ci_high", "comparison")
    analytic = _numeric(table, "analytic", "comparison")
    z = _numeric(table, "z", "comparison") if "z" in table else np.full(count, np.nan)
    for i, (ax, metric) in enumerate(zip(axes, table.index, strict=False)):
        if np.isfinite(simulated[i]):
            error = np.array([[simulated[i] - low[i]], [high[i] - simulated[i]]])
            ax.errorbar(
                [0.0],
                [simulated[i]],
                yerr=np.clip(np.nan_to_num(error), 0.0, None),
                fmt="o",
                color=PALETTE[0],
                capsize=6,
                label="simulated (CI)",
            )
        else:
            ax.text(0.0, 0.5, "no estimate", transform=_x_data(ax), ha="center", color=_GREY)
        if np.isfinite(analytic[i]):
            ax.axhline(analytic[i], color=PALETTE[3], linestyle="--", linewidth=1.0)
            ax.plot(
                [1.0],
                [analytic[i]],
                marker="D",
                color=PALETTE[3],
                linestyle="none",
                label="analytic",
            )
        else:
            ax.text(
                1.0,
                0.5,
                "no closed\nform",
                transform=_x_data(ax),
                ha="center",
                va="center",
                color=_GREY,
            )
        if np.isfinite(z[i]):
            _note(ax, f"z = {z[i]:+.2f}", right=True)
        ax.set_xlim(-0.6, 1.6)
        ax.set_xticks([0.0, 1.0])
        ax.set_xticklabels(["simulated", "analytic"])
        ax.set_title(_short(str(metric)), fontsize="medium")
        ax.set_ylabel(axis_label(str(metric)))
        ax.grid(True, axis="y", alpha=0.3)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    figure.suptitle("Monte Carlo vs analytic (error bars: confidence interval)")
    return figure


def tornado(sensitivity: pd.DataFrame) -> Figure:
    """A tornado: how far each uncertain input moves a metric, largest swing on top.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        ``haplan.uncertainty.sensitivity(...)``: columns ``input``, ``value_low``,
        ``value_high``, ``metric_low``, ``metric_high``, ``baseline`` (and ``attrs["metric"]``
        naming the metric).

    Returns
    -------
    matplotlib.figure.Figure
        One bar per input from the metric at the input's low point to its high point (the
        others at their medians), the baseline (every input at its median) as a line. A
        swing that cannot be drawn (NaN or infinite) is left out with a note.
    """
    _require(
        sensitivity,
        ["input", "value_low", "value_high", "metric_low", "metric_high", "baseline"],
        "sensitivity",
    )
    metric = sensitivity.attrs.get("metric", "slo_nines")
    low = _numeric(sensitivity, "metric_low", "sensitivity")
    high = _numeric(sensitivity, "metric_high", "sensitivity")
    drawable = np.isfinite(low) & np.isfinite(high)
    table = sensitivity[drawable].iloc[::-1]  # largest swing on top
    figure = Figure(figsize=(7.0, 1.2 + 0.55 * max(len(table), 1)), layout="constrained")
    ax = figure.subplots()
    for y, (_, row) in enumerate(table.iterrows()):
        left, right = sorted((row["metric_low"], row["metric_high"]))
        ax.barh(y, right - left, left=left, color=PALETTE[0], height=0.6)
        for value, point in (
            (row["metric_low"], row["value_low"]),
            (row["metric_high"], row["value_high"]),
        ):
            ax.annotate(
                _format_value(point),
                (value, y),
                xytext=(4 if value == right else -4, 0),
                textcoords="offset points",
                ha="left" if value == right else "right",
                va="center",
                fontsize="small",
            )
    baseline = _numeric(sensitivity, "baseline", "sensitivity")
    if len(baseline) and np.isfinite(baseline[0]):
        ax.axvline(baseline[0], color=PALETTE[3], linestyle="--", linewidth=1.0, label="medians")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_yticks(range(len(table)))
    ax.set_yticklabels([_short(str(name)) for name in table["input"]])
    ax.set_xlabel(axis_label(metric))
    ax.grid(True, axis="x", alpha=0.3)
    ax.use_sticky_edges = False  # room for the labels beyond the bars' ends
    ax.margins(x=0.2)
    if (~drawable).any():
        _note(ax, f"{int((~drawable).sum())} input(s) left out: swing not finite")
    ax.set_title("Inputs at their 5 % and 95 % points, the others at their medians")
    return figure


def _stage_labels(stages, width: float, least: float = 0.06) -> list[tuple[str, float, float]]:
    """Stage names to print: consecutive stages shorter than ``least`` of the width share one
    label ("scheduling–readiness"), so short stages do not print over each other."""
    labels: list[list] = []
    for name, start, stop in stages:
        short = (stop - start) < least * width
        if short and labels and labels[-1][3]:
            labels[-1][1] = labels[-1][1].split("–")[0] + "–" + name
            labels[-1][2][1] = stop
        else:
            labels.append([None, name, [start, stop], short])
    return [(name, span[0], span[1]) for _, name, span, _ in labels]


def timeline(frame: pd.DataFrame, *, title: str = "", stages=()) -> Figure:
    """A disruption over time: instances ready and capacity, p99, the stages shaded.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``Timeline.frame`` of :mod:`haplan.disruptions` (``time_s``, ``duration_s``,
        ``instances_ready``, ``p99_response_ms``, ``slo_ok``).
    title : str
        The event, e.g. ``Timeline.event``.
    stages : sequence of (str, float, float)
        ``Timeline.stages``: (stage, start [s], end [s]) spans to shade and name.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels over time [s]: instances ready as a step line (time below the SLO
        target shaded red), and p99 [ms] on a log scale (infinite while overloaded: drawn at
        the top with a note).
    """
    _require(frame, ["time_s", "duration_s", "instances_ready", "p99_response_ms", "slo_ok"])
    time = _numeric(frame, "time_s")
    end = time + _numeric(frame, "duration_s")
    ready = _numeric(frame, "instances_ready")
    p99 = _numeric(frame, "p99_response_ms")
    figure = Figure(figsize=(8.0, 5.0), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    edges = np.append(time, end[-1])
    top.stairs(ready, edges, color=PALETTE[0], linewidth=2.0, label="instances ready")
    for start, stop, ok in zip(time, end, frame["slo_ok"].to_numpy(), strict=True):
        if not ok and stop > start:
            top.axvspan(start, stop, color=_WARN, alpha=0.15, linewidth=0)
    top.set_ylabel("instances ready [count]")
    top.set_ylim(0, max(1.0, float(np.nanmax(ready))) * 1.15)
    shades = ("#EEEEEE", "#DDDDDD")
    for i, (_name, start, stop) in enumerate(stages):
        for ax in (top, bottom):
            ax.axvspan(start, stop, color=shades[i % 2], zorder=0, linewidth=0)
    for name, start, stop in _stage_labels(stages, float(end[-1])):
        top.text(
            (start + stop) / 2,
            1.0,
            name,
            transform=_x_data(top),
            ha="center",
            va="bottom",
            fontsize="x-small",
        )
    finite = np.isfinite(p99)
    ceiling = float(np.nanmax(p99[finite])) * 3.0 if finite.any() else 1e3
    shown = np.where(finite, p99, ceiling)
    bottom.stairs(shown, edges, color=PALETTE[3], linewidth=2.0)
    bottom.set_yscale("log")
    bottom.set_ylabel(axis_label("p99_response_ms"))
    bottom.set_xlabel("time since the event [s]")
    if (~finite).any():
        _note(bottom, "overloaded (p99 unbounded) drawn at the top")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, float(end[-1]) if end[-1] > 0 else 1.0)
    top.legend(loc="lower right", fontsize="small")
    figure.suptitle(title or "Disruption timeline (red: below the SLO target)")
    return figure


def _x_data(ax):
    """x in data coordinates, y in axes coordinates."""
    return transforms.blended_transform_factory(ax.transData, ax.transAxes)
