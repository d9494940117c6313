"""A disruption over time: instances ready, p99 and the orchestrator's stages."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import (
    _WARN,
    PALETTE,
    _footer,
    _numeric,
    _require,
    _x_data,
    axis_label,
)

__all__ = ["timeline"]


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


def _true_runs(flags: np.ndarray, edges: np.ndarray) -> list[tuple[float, float]]:
    """(start, stop) of each run of True in ``flags`` over steps with these ``edges``."""
    runs = []
    start = None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = edges[i]
        elif not flag and start is not None:
            runs.append((float(start), float(edges[i])))
            start = None
    return runs


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
        target shaded red), and p99 [ms] on a log scale; while the queue is overloaded (p99
        unbounded) the span is shaded and labelled instead of drawn at a made-up value.
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
    for start, stop in _true_runs(finite, edges):
        part = (time >= start) & (time < stop)
        bottom.stairs(
            p99[part],
            np.append(time[part], end[part][-1]),
            color=PALETTE[3],
            linewidth=2.0,
            baseline=None,
        )
    overloaded_s = 0.0
    for start, stop in _true_runs(~finite, edges):
        bottom.axvspan(start, stop, color=_WARN, alpha=0.25, zorder=0.5, linewidth=0)
        overloaded_s += stop - start
        if stop - start >= 0.12 * float(end[-1]):
            bottom.text(
                (start + stop) / 2,
                0.5,
                "overloaded:\np99 unbounded",
                transform=_x_data(bottom),
                ha="center",
                va="center",
                color=_WARN,
                fontsize="small",
            )
    if overloaded_s:
        note = f"red in the p99 panel: overloaded, p99 unbounded ({overloaded_s:.4g} s)"
        _footer(figure, [note])
    if finite.any() and np.nanmax(p99[finite]) > 0:
        bottom.set_yscale("log")
    else:
        bottom.set_ylim(0, 1)
        bottom.set_yticks([])
    if "instances_needed" in frame:
        needed = _numeric(frame, "instances_needed")
        top.stairs(needed, edges, color=_WARN, linestyle="--", label="needed", baseline=None)
    bottom.set_ylabel(axis_label("p99_response_ms"))
    bottom.set_xlabel("time since the event [s]")
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, float(end[-1]) if end[-1] > 0 else 1.0)
    top.legend(loc="lower right", fontsize="small")
    figure.suptitle(
        textwrap.fill(title, 110) if title else "Disruption timeline (red: below the SLO target)"
    )
    return figure
