"""Load and latency against the number of nodes."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.figure import Figure

from haplan.plots.common import (
    _WARN,
    _groups,
    _integer_ticks,
    _note,
    _numeric,
    _ranges,
    _require,
    _series_keys,
    _style,
    _unique_within,
    axis_label,
)

__all__ = ["load_and_latency"]


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
