"""Monte Carlo estimates beside the analytic values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import (
    _GREY,
    PALETTE,
    _note,
    _numeric,
    _require,
    _short,
    _x_data,
    axis_label,
)

__all__ = ["simulation_vs_analytic"]


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
            ax.text(
                0.0,
                0.5,
                "no estimate",
                transform=_x_data(ax),
                ha="center",
                color=_GREY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
            )
        if simulated[i] == 0 and low[i] == high[i] == 0:
            ax.annotate(
                "none in this run",
                (0.0, 0.0),
                xytext=(8, 6),
                textcoords="offset points",
                fontsize="small",
                color=_GREY,
            )
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
