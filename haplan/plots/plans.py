"""The planner's candidates: cost against availability and the Pareto frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import (
    _GREY,
    _WARN,
    NINES_AXIS_CAP,
    PALETTE,
    _footer,
    _is_nines,
    _mark_label,
    _mark_point,
    _matching,
    _nines_axis,
    _nines_cap,
    _numeric,
    _require,
    _short,
    _target_nines,
    axis_label,
)

__all__ = ["pareto_frontier"]


def pareto_frontier(
    frame: pd.DataFrame,
    front: pd.DataFrame,
    *,
    x: str = "cost",
    y: str = "slo_nines",
    target_availability: float | None = None,
    mark: dict | None = None,
    cap: float = NINES_AXIS_CAP,
) -> Figure:
    """Every candidate as a point and the Pareto frontier as a step line.

    Parameters
    ----------
    frame : pandas.DataFrame
        All candidates (e.g. ``haplan.plan(...).candidates`` or a sweep with a ``cost``
        column). With a ``feasible`` column, rejected candidates are drawn as grey crosses.
    front : pandas.DataFrame
        The frontier over the feasible candidates, e.g.
        ``haplan.pareto(frame[frame["feasible"]], {"cost": "min", "slo_nines": "max"})``.
        Rows of ``front`` with ``feasible`` False are left out: a frontier of rejected
        candidates answers no question.
    x, y : str
        Columns on the axes; ``y`` defaults to the load-aware headline, ``slo_nines``.
    target_availability : float, optional
        Availability target [fraction], drawn as a dashed line when ``y`` is nines.
    mark : dict, optional
        The user's configuration as column values (``{"nodes": 3, "replicas": 1}``): its
        candidate is circled and labelled; a note says when no candidate matches.
    cap : float
        The nines axis stops here (or two above the target); points beyond are drawn on the
        top edge, with a note.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the frontier is a post-step line (the best ``y`` reachable for each ``x``)
        with its points labelled by nodes and replicas when the frame has them and the
        frontier has at most 15 points. Rows with NaN or infinite ``x`` are left out, with a
        note. For nines, the band beyond five nines is shaded.
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
    if "feasible" in front.columns:
        front = front[front["feasible"].to_numpy(dtype=bool)]
    nines = _is_nines(y)
    target = _target_nines(target_availability) if nines else None
    top = _nines_cap(target, cap)
    figure = Figure(figsize=(7.5, 4.8), layout="constrained")
    ax = figure.add_subplot()
    xs, ys = _numeric(frame, x), _numeric(frame, y)
    beyond = np.zeros(len(frame), dtype=bool)
    if nines:  # beyond the cap: counted in a note, not drawn (their nines mean nothing)
        beyond = np.isfinite(xs) & ~np.isnan(ys) & (ys > top)
    shown = np.isfinite(xs) & np.isfinite(ys) & ~beyond
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
    hidden = int((~shown & ~beyond).sum())
    front_sorted = front.sort_values(x, kind="stable")
    fx, fy = _numeric(front_sorted, x, "front"), _numeric(front_sorted, y, "front")
    on = np.isfinite(fx) & ~np.isnan(fy)
    if nines and (on & (fy > top)).any():
        # the frontier stops at its first point beyond the cap, drawn on the top edge
        first = int(np.flatnonzero(on & (fy > top))[0])
        on[first + 1 :] = False
        fy = np.minimum(fy, top)
        ax.plot(
            [fx[first]],
            [top],
            linestyle="none",
            marker="^",
            markersize=10,
            color=_WARN,
            clip_on=False,
            zorder=4,
        )
    on &= np.isfinite(fy)
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
    mine = _matching(frame, mark) & shown
    if mine.any():
        i = int(np.flatnonzero(mine)[0])
        _mark_point(ax, xs[i], ys[i], mark)
    notes = []
    if mark and not mine.any():
        notes.append(f"{_mark_label(mark)} is not among the candidates")
    if hidden:
        notes.append(f"{hidden} candidate(s) with non-finite {x} or {y} not shown")
    if not on.any():
        notes.append("the frontier is empty")
    if nines:
        _nines_axis(ax, target_nines=target, cap=top)
        if beyond.any():
            notes.append(
                f"{int(beyond.sum())} candidate(s) beyond {top:g} nines not drawn (from cost "
                f"{np.min(xs[beyond]):.3g}); ▲ the frontier goes on beyond the top"
                if (on & (fy >= top)).any()
                else f"{int(beyond.sum())} candidate(s) beyond {top:g} nines not drawn"
            )
    _footer(figure, notes)
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.set_title(f"Trade-off: {_short(x)} vs {_short(y)}")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure
