"""The tornado: how far each uncertain input moves a metric."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import (
    _BAND,
    _WARN,
    CREDIBLE_NINES,
    PALETTE,
    _format_value,
    _is_nines,
    _note,
    _numeric,
    _require,
    _short,
    _target_nines,
    axis_label,
)

__all__ = ["tornado"]


def tornado(sensitivity: pd.DataFrame, *, target_availability: float | None = None) -> Figure:
    """A tornado: how far each uncertain input moves a metric, largest swing on top.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        ``haplan.uncertainty.sensitivity(...)``: columns ``input``, ``value_low``,
        ``value_high``, ``metric_low``, ``metric_high``, ``baseline`` (and ``attrs["metric"]``
        naming the metric).

    target_availability : float, optional
        Availability target [fraction], a dashed line when the metric is nines.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per input from the metric at the input's low point to its high point (the
        others at their medians), the baseline (every input at its median) as a line. A
        swing that cannot be drawn (NaN or infinite) is left out with a note. For nines, the
        part of the axis beyond five nines is shaded.
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
    if _is_nines(metric):
        target = _target_nines(target_availability)
        if target is not None:
            ax.axvline(target, color=_WARN, linestyle="--", linewidth=1.4, label="target")
        left, right = ax.get_xlim()
        if target is not None:
            left, right = min(left, target - 0.2), max(right, target + 0.2)
        if right > CREDIBLE_NINES:
            ax.axvspan(
                max(CREDIBLE_NINES, left),
                right,
                color=_BAND,
                zorder=0,
                linewidth=0,
                label="beyond ~5 nines: independent-failure models only",
            )
        ax.set_xlim(left, right)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    if (~drawable).any():
        _note(ax, f"{int((~drawable).sum())} input(s) left out: swing not finite")
    ax.set_title("Inputs at their 5 % and 95 % points, the others at their medians")
    return figure
