"""Availability figures: nines against replicas, and a heatmap of a metric over two
inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from haplan.plots.common import (
    _MAX_ANNOTATED_CELLS,
    _SEQUENTIAL,
    _category_labels,
    _format_value,
    _groups,
    _integer_ticks,
    _note,
    _numeric,
    _require,
    _short,
    _style,
    axis_label,
)

__all__ = ["availability_vs_replicas", "heatmap"]


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
