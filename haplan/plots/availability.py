"""Availability figures: nines against replicas, and a heatmap of a metric over two
inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps, patheffects
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from haplan.plots.common import (
    _MARK,
    _MAX_ANNOTATED_CELLS,
    _SEQUENTIAL,
    _WARN,
    CREDIBLE_NINES,
    NINES_AXIS_CAP,
    _category_labels,
    _clip_nines,
    _footer,
    _format_value,
    _groups,
    _integer_ticks,
    _is_nines,
    _mark_label,
    _mark_point,
    _matching,
    _nines_axis,
    _nines_cap,
    _numeric,
    _require,
    _short,
    _style,
    _target_nines,
    axis_label,
)

__all__ = ["availability_vs_replicas", "heatmap"]


def availability_vs_replicas(
    frame: pd.DataFrame,
    *,
    by: str | None = "nodes",
    value: str = "slo_nines",
    target_availability: float | None = None,
    mark: dict | None = None,
    cap: float = NINES_AXIS_CAP,
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
    target_availability : float, optional
        Availability target [fraction], drawn as a dashed line at its nines.
    mark : dict, optional
        The user's configuration as column values, e.g. ``{"nodes": 3, "replicas": 1}``:
        its point is circled and labelled "your cluster".
    cap : float
        The nines axis stops here (or two above the target); points beyond are drawn on the
        top edge as triangles, with a note.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x replicas [instances per node], y ``value`` [nines]. The band beyond five
        nines (:data:`~haplan.plots.common.CREDIBLE_NINES`), which independent-failure
        models cannot support, is shaded. Points with 0 nines (the instances cannot carry
        the load) are noted; NaN rows are left out, with a note.

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
    nines = _is_nines(value)
    target = _target_nines(target_availability) if nines else None
    top = _nines_cap(target, cap)
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = figure.add_subplot()
    missing = clipped = 0
    for index, (_, part) in enumerate(_groups(frame.sort_values("replicas"), keys)):
        x = _numeric(part, "replicas")
        y = _numeric(part, value)
        known = ~np.isnan(y)
        missing += int((~known).sum())
        shown, beyond = _clip_nines(y, top) if nines else (y, np.zeros(len(y), dtype=bool))
        beyond &= known
        clipped += int(beyond.sum())
        style = _style(index)
        ax.plot(
            x[known],
            shown[known],
            label=_format_value(part[by].iloc[0]) if by is not None else None,
            linewidth=1.8,
            **style,
        )
        if beyond.any():
            ax.plot(
                x[beyond],
                shown[beyond],
                linestyle="none",
                marker="^",
                markersize=9,
                color=style["color"],
                clip_on=False,
            )
    mine = _matching(frame, mark)
    if mine.any():
        row = frame[mine].iloc[0]
        my_y = float(row[value])
        _mark_point(
            ax, float(row["replicas"]), min(my_y, top) if nines else my_y, mark, clip_on=False
        )
    _integer_ticks(ax, _numeric(frame, "replicas"))
    ax.set_xlabel(axis_label("replicas"))
    ax.set_ylabel(axis_label(value))
    ax.set_title(f"{_short(value)} vs replicas" + (f", one line per {by}" if by else ""))
    ax.grid(True, alpha=0.3)
    notes = []
    if nines:
        notes.append(_nines_axis(ax, target_nines=target, cap=top, clipped=clipped))
    if by is not None or mine.any():
        ax.legend(
            title=axis_label(by) if by is not None else None,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    if mark and not mine.any():
        notes.append(f"{_mark_label(mark)} is not on this grid")
    if missing:
        notes.append(f"{missing} point(s) without a value not shown")
    if value == "slo_nines" and np.any(_numeric(frame, value) == 0):
        notes.append("0 nines: too few instances to carry the load under the utilisation ceiling")
    _footer(figure, notes)
    return figure


def _boundary(ax, inside: np.ndarray, **style) -> bool:
    """Draw the edges between cells in ``inside`` and cells outside it (grid edges left
    out); True when any edge was drawn."""
    segments = []
    rows, columns = inside.shape
    for r in range(rows):
        for c in range(columns):
            if c + 1 < columns and inside[r, c] != inside[r, c + 1]:
                segments.append(((c + 0.5, c + 0.5), (r - 0.5, r + 0.5)))
            if r + 1 < rows and inside[r, c] != inside[r + 1, c]:
                segments.append(((c - 0.5, c + 0.5), (r + 0.5, r + 0.5)))
    label = style.pop("label", None)
    for index, (xs, ys) in enumerate(segments):
        ax.plot(xs, ys, label=label if index == 0 else "_nolegend_", **style)
    return bool(segments)


def heatmap(
    frame: pd.DataFrame,
    *,
    value: str = "slo_nines",
    x: str = "replicas",
    y: str = "nodes",
    target_availability: float | None = None,
    mark: dict | None = None,
    cap: float = NINES_AXIS_CAP,
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
    target_availability : float, optional
        Availability target [fraction]: for a nines ``value``, a solid line separates the
        cells that meet it from those that miss it.
    mark : dict, optional
        The user's configuration as column values, e.g. ``{"nodes": 3, "replicas": 1}``:
        its cell is framed in black.
    cap : float
        For a nines ``value``, colours stop at this many nines (cells beyond read their
        value but share the top colour).

    Returns
    -------
    matplotlib.figure.Figure
        One axes with a colour bar labelled with ``value``'s unit. Infinite and missing cells
        are grey and read ∞ / n/a. A positive value spanning more than three decades is
        coloured on a log scale. Cells are annotated when there are at most 400. For nines,
        a dashed line separates the cells beyond five nines (which independent-failure
        models cannot support) from the rest.

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
    nines = _is_nines(value)
    target = _target_nines(target_availability) if nines else None
    if finite.any():
        low, high = cells[finite].min(), cells[finite].max()
        if nines:
            high = min(high, _nines_cap(target, cap))
            low = min(low, high)
        if nines:
            norm = mcolors.Normalize(vmin=low, vmax=high if high > low else low + 1.0)
        elif low > 0 and high / low > 1e3:
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
    if nines:
        known = ~np.isnan(cells)
        _boundary(
            ax,
            known & (cells > CREDIBLE_NINES),
            color="white",
            linestyle="--",
            linewidth=2.0,
            path_effects=[patheffects.withStroke(linewidth=3.5, foreground="#444444")],
            label="edge of the cells beyond ~5 nines (independent-failure models only)",
        )
        if target is not None:
            _boundary(
                ax,
                known & (cells >= target - 1e-9),
                color=_WARN,
                linestyle="-",
                linewidth=3.0,
                label=f"edge of the cells meeting the target ({target:.3g} nines)",
            )
    if mark:
        try:
            column = list(grid.columns).index(
                next(v for v in grid.columns if _same(v, mark.get(x)))
            )
            row = list(grid.index).index(next(v for v in grid.index if _same(v, mark.get(y))))
        except StopIteration:
            column = row = None
            _footer(
                figure, [f"{_mark_label({y: mark.get(y), x: mark.get(x)})} is not on this grid"]
            )
        if column is not None:
            ax.add_patch(
                Rectangle(
                    (column - 0.45, row - 0.45),
                    0.9,
                    0.9,
                    fill=False,
                    edgecolor=_MARK,
                    linewidth=3.0,
                    label=_mark_label({y: mark.get(y), x: mark.get(x)}),
                )
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
    colorbar = figure.colorbar(
        image,
        ax=ax,
        extend="max" if nines and finite.any() and cells[finite].max() > norm.vmax else "neither",
    )
    colorbar.set_label(axis_label(value))
    labelled = [
        artist for artist in [*ax.lines, *ax.patches] if not str(artist.get_label()).startswith("_")
    ]
    if labelled:
        figure.legend(
            handles=labelled,
            loc="outside lower center",
            fontsize="small",
            frameon=False,
            ncols=1,
        )
    return figure


def _same(a, b) -> bool:
    """Whether a grid label equals a mark's value (numbers compared as floats)."""
    try:
        return bool(np.isclose(float(a), float(b)))
    except (TypeError, ValueError):
        return str(a) == str(b)
