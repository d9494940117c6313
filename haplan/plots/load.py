"""Load and latency against the number of nodes."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from matplotlib import transforms
from matplotlib.figure import Figure

from haplan.plots.common import (
    _MARK,
    _OVERLOAD,
    _WARN,
    NINES_AXIS_CAP,
    _clip_nines,
    _footer,
    _format_value,
    _groups,
    _integer_ticks,
    _mark_label,
    _matching,
    _nines_axis,
    _nines_cap,
    _note,
    _numeric,
    _ranges,
    _require,
    _series_keys,
    _style,
    _target_nines,
    _unique_within,
    axis_label,
)

__all__ = ["load_and_latency"]

#: Utilisation above this [%] is drawn on the top edge: far past overloaded, its size tells
#: nothing more, and a 1000 % point would squeeze the ceiling and 100 % out of sight.
_UTIL_CAP = 200.0


_SERIES_INPUTS = (
    "replicas",
    "instances",
    "request_rate_rps",
    "instance_capacity_rps",
    "balancer",
    "max_utilization",
)


def load_and_latency(
    frame: pd.DataFrame,
    *,
    max_utilization: float | None = None,
    target_availability: float | None = None,
    target_p99_ms: float | None = None,
    mark: dict | None = None,
    cap: float = NINES_AXIS_CAP,
) -> Figure:
    """Per-node load, utilisation, p99 latency and the SLO nines against the number of nodes.

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
    target_availability : float, optional
        Availability target [fraction], a dashed line on the nines panel.
    target_p99_ms : float, optional
        p99 target [ms], a dashed line on the latency panel.
    mark : dict, optional
        The user's configuration, e.g. ``{"nodes": 3}``: a vertical line through every
        panel at its node count, labelled "your cluster".
    cap : float
        The nines axis stops here (or two above the target).

    Returns
    -------
    matplotlib.figure.Figure
        Panels sharing the x axis (nodes): per-node load [requests/s]; utilisation [%] with
        the ceiling, 100 % and the points above the ceiling marked; p99 response time [ms]
        with the node counts where the queue is overloaded (utilisation ≥ 1, p99 = ∞)
        shaded and labelled instead of left empty; and, when the frame has ``slo_nines``,
        the load-aware SLO nines with the band beyond five nines shaded.
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
    with_nines = "slo_nines" in frame
    figure = Figure(figsize=(7.5, 10.5 if with_nines else 8.0), layout="constrained")
    axes = figure.subplots(4 if with_nines else 3, 1, sharex=True)
    load_ax, util_ax, latency_ax = axes[:3]
    nines_ax = axes[3] if with_nines else None
    target = _target_nines(target_availability)
    top = _nines_cap(target, cap)
    edge = transforms.blended_transform_factory(latency_ax.transData, latency_ax.transAxes)
    overloaded_nodes: set[float] = set()
    every_line: dict[float, bool] = {}
    above = clipped = 0
    for index, (label, part) in enumerate(_groups(frame.sort_values("nodes"), keys)):
        style = _style(index)
        nodes = _numeric(part, "nodes")
        load_ax.plot(nodes, _numeric(part, "per_node_load_rps"), label=label or None, **style)
        utilization = _numeric(part, "utilization")
        util_ax.plot(nodes, np.minimum(100 * utilization, _UTIL_CAP), **style)
        over = utilization > part["_ceiling"].to_numpy()
        if over.any():
            above += int(over.sum())
            util_ax.plot(
                nodes[over],
                np.minimum(100 * utilization[over], _UTIL_CAP),
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
        for n, over_here in zip(nodes, overloaded, strict=True):
            every_line[n] = every_line.get(n, True) and bool(over_here)
        if nines_ax is not None:
            shown, beyond = _clip_nines(_numeric(part, "slo_nines"), top)
            clipped += int(beyond.sum())
            nines_ax.plot(nodes, shown, **style)
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
    util_ax.axhline(100, color="#555555", linestyle=":", linewidth=1.0)
    util_ax.text(
        0.01,
        100,
        "100 %: overloaded",
        transform=transforms.blended_transform_factory(util_ax.transAxes, util_ax.transData),
        ha="left",
        va="bottom",
        color="#555555",
        fontsize="x-small",
    )
    highest = float(np.nanmax(100 * _numeric(frame, "utilization")))
    util_ax.set_ylim(0, max(110.0, 1.04 * min(highest, _UTIL_CAP)))
    if highest > _UTIL_CAP:
        _note(
            util_ax,
            f"drawn at {_UTIL_CAP:.0f} %: up to {highest:.0f} % (overloaded)",
            right=True,
        )
    finite_p99 = _numeric(frame, "p99_response_ms")
    finite_p99 = finite_p99[np.isfinite(finite_p99) & (finite_p99 > 0)]
    if len(finite_p99) and finite_p99.max() / finite_p99.min() > 20:
        latency_ax.set_yscale("log")
    if target_p99_ms is not None and np.isfinite(target_p99_ms):
        latency_ax.axhline(target_p99_ms, color=_WARN, linestyle="--", linewidth=1.4)
        latency_ax.text(
            0.99,
            target_p99_ms,
            f"target {target_p99_ms:g} ms",
            transform=transforms.blended_transform_factory(
                latency_ax.transAxes, latency_ax.transData
            ),
            ha="right",
            va="bottom",
            color=_WARN,
            fontsize="small",
        )
    if not len(finite_p99) and target_p99_ms is None:
        latency_ax.set_ylim(0, 1)
        latency_ax.set_yticks([])
    everywhere = sorted(n for n, all_over in every_line.items() if all_over)
    for n in everywhere:
        latency_ax.axvspan(n - 0.5, n + 0.5, color=_OVERLOAD, zorder=0, linewidth=0)
    if everywhere:
        middle = (everywhere[0] + everywhere[-1]) / 2 if len(everywhere) > 1 else everywhere[0]
        whole = len(everywhere) == len(every_line)
        latency_ax.text(
            middle if not whole else 0.5,
            0.5,
            "overloaded: p99 unbounded\n(arrivals ≥ capacity)",
            transform=edge if not whole else latency_ax.transAxes,
            ha="center",
            va="center",
            color=_WARN,
            fontsize="small",
        )
    if overloaded_nodes:
        listed = _ranges(sorted(overloaded_nodes))
        _note(latency_ax, f"▲ overloaded (utilisation ≥ 100 %, p99 = ∞) at N = {listed}")
    if nines_ax is not None:
        nines_ax.set_ylabel("SLO nines\n(load-aware)")
        _footer(figure, [_nines_axis(nines_ax, target_nines=target, cap=top, clipped=clipped)])
        nines_ax.grid(True, alpha=0.3)
    mine = _matching(frame, mark)
    if mine.any():
        n = float(frame[mine]["nodes"].iloc[0])
        for ax in axes:
            ax.axvline(n, color=_MARK, linewidth=1.2, alpha=0.7, zorder=1)
        load_ax.text(
            n,
            1.0,
            f" {_mark_label({'nodes': n})}",
            transform=transforms.blended_transform_factory(load_ax.transData, load_ax.transAxes),
            ha="left",
            va="top",
            fontsize="small",
        )
    load_ax.set_ylabel(axis_label("per_node_load_rps"))
    util_ax.set_ylabel("utilisation [%]")
    latency_ax.set_ylabel(axis_label("p99_response_ms"))
    axes[-1].set_xlabel(axis_label("nodes"))
    _integer_ticks(axes[-1], _numeric(frame, "nodes"))
    held = ""
    if not keys and "instances" in frame and frame["instances"].nunique() == 1:
        held = f"\n{_format_value(frame['instances'].iloc[0])} instances held"
    elif not keys and "replicas" in frame and frame["replicas"].nunique() == 1:
        held = f"\n{_format_value(frame['replicas'].iloc[0])} instance(s) per node held"
    load_ax.set_title(
        "Load per node, utilisation, p99 latency"
        + (" and SLO nines" if with_nines else "")
        + " vs nodes"
        + held
    )
    for ax in (load_ax, util_ax, latency_ax):
        ax.grid(True, alpha=0.3)
    if keys:
        load_ax.legend(fontsize="small", ncols=1 + (len(load_ax.lines) > 6))
    return figure
