"""Recovery after a node failure, stage by stage, per orchestrator."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import _GREY, _WARN, PALETTE, _numeric, _require, _x_data

__all__ = ["recovery_breakdown"]


def recovery_breakdown(
    stages: pd.DataFrame,
    *,
    article_time_s: float | None = None,
    target_recovery_s: float | None = None,
    mark: str | None = None,
) -> Figure:
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
    target_recovery_s : float, optional
        The recovery target [s], a dashed vertical line.
    mark : str, optional
        The user's orchestrator (a value of the ``orchestrator`` column): its label is bold
        and reads "(yours)".

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
    labels = [
        f"{name} (yours)" if mark is not None and name == str(mark) else name for name in rows
    ]
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
    for tick in ax.get_yticklabels():
        if tick.get_text().endswith("(yours)"):
            tick.set_fontweight("bold")
    target = None
    if target_recovery_s is not None and math.isfinite(target_recovery_s):
        target = float(target_recovery_s)
        ax.axvline(target, color=_WARN, linestyle="--", linewidth=1.4, label="target")
        ax.text(
            target,
            1.0,
            f"target {target:.4g} s",
            transform=_x_data(ax),
            ha="center",
            va="bottom",
            color=_WARN,
            fontsize="small",
        )
    right = max(float(left.max()), float(article_time_s or 0.0), target or 0.0)
    ax.set_xlim(0, 1.15 * right if right > 0 else 1.0)
    ax.set_xlabel("time after a node failure [s]")
    ax.set_ylabel("orchestrator")
    ax.set_title("Recovery after a node failure, stage by stage")
    ax.grid(True, axis="x", alpha=0.3)
    figure.legend(
        fontsize="small",
        loc="outside lower center",
        ncols=min(4, len(stage_names) + (article_time_s is not None) + (target is not None)),
        frameon=False,
    )
    return figure
