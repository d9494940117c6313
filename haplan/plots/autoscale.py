"""A load profile through the HorizontalPodAutoscaler: load, replicas and p99 over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from haplan.plots.common import _OVERLOAD, _WARN, PALETTE, _note, _numeric, _require, axis_label

__all__ = ["autoscaling"]


def _runs(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same step function with runs of equal values merged (a week of minutes draws in
    a fraction of the time, and looks the same)."""
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep], np.append(edges[:-1][keep], edges[-1])


def autoscaling(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """The HPA over a load profile: the request rate, the replicas it asks for and the ready
    ones, and p99, with the time below the SLO target shaded.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``HpaResult.frame`` of :func:`haplan.autoscaling.simulate_hpa` (``time_s``,
        ``duration_s``, ``rps``, ``replicas``, ``ready_replicas``, ``p99_response_ms``,
        ``meets_targets``).
    title : str
        A title, e.g. the HPA's settings.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels over time [h]: request rate [req/s]; replicas created and ready
        [count]; p99 [ms] on a log scale (while overloaded, p99 is unbounded: the span is
        shaded, with a note).
    """
    columns = ["time_s", "duration_s", "rps", "replicas", "ready_replicas", "p99_response_ms"]
    _require(frame, [*columns, "meets_targets"])
    hours = _numeric(frame, "time_s") / 3600.0
    edges = np.append(hours, hours[-1] + _numeric(frame, "duration_s")[-1] / 3600.0)
    figure = Figure(figsize=(8.5, 6.5), layout="constrained")
    load, pods, latency = figure.subplots(3, 1, sharex=True)
    load.stairs(*_runs(_numeric(frame, "rps"), edges), color=PALETTE[6], baseline=None)
    load.set_ylabel(axis_label("request_rate_rps"))
    pods.stairs(
        *_runs(_numeric(frame, "replicas"), edges),
        color=PALETTE[1],
        baseline=None,
        label="created",
    )
    pods.stairs(
        *_runs(_numeric(frame, "ready_replicas"), edges),
        color=PALETTE[0],
        baseline=None,
        linewidth=2.0,
        label="ready",
    )
    pods.set_ylabel("replicas [count]")
    pods.legend(loc="upper left", fontsize="small")
    p99 = _numeric(frame, "p99_response_ms")
    finite = np.isfinite(p99)
    values, spans = _runs(np.where(finite, p99, np.nan), edges)
    known = ~np.isnan(values)
    for i in np.flatnonzero(known):
        latency.hlines(values[i], spans[i], spans[i + 1], color=PALETTE[3])
    steps = np.flatnonzero(known[:-1] & known[1:])
    latency.vlines(
        spans[steps + 1], values[steps], values[steps + 1], color=PALETTE[3], linewidth=1.0
    )
    over = ~known
    for i in np.flatnonzero(over):
        latency.axvspan(spans[i], spans[i + 1], color=_OVERLOAD, zorder=0, linewidth=0)
    if finite.any() and np.nanmax(p99[finite]) > 0:
        latency.set_yscale("log")
    else:
        latency.set_ylim(0, 1)
        latency.set_yticks([])
    latency.set_ylabel(axis_label("p99_response_ms"))
    latency.set_xlabel("time [h]")
    if over.any():
        hours_over = float(np.sum(np.diff(spans)[over]))
        _note(latency, f"shaded: overloaded, p99 unbounded ({hours_over:.3g} h)")
    below, spans = _runs((~frame["meets_targets"].to_numpy(dtype=bool)).astype(float), edges)
    for start, stop in zip(spans[:-1][below > 0], spans[1:][below > 0], strict=True):
        for ax in (load, pods, latency):
            ax.axvspan(start, stop, color=_WARN, alpha=0.2, linewidth=0)
    for ax in (load, pods, latency):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(edges[0], edges[-1])
    figure.suptitle(title or "The HPA over the load profile (red: below the SLO target)")
    return figure
