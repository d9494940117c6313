"""The planner's candidates: cost against availability and the Pareto frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import _GREY, _WARN, PALETTE, _note, _numeric, _require, _short, axis_label

__all__ = ["pareto_frontier"]


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
