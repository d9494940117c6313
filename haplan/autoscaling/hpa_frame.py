"""The HPA trajectory's frame and totals, from the control loop's rows.

Part of :mod:`haplan.autoscaling.hpa` (which re-exports :data:`HPA_COLUMNS`): each row of
:func:`~haplan.autoscaling.hpa.simulate_hpa` is judged in steady state at its ready count
(utilisation, p99 through the scenario's balancer, the scenario's SLO targets), and the
totals add the rows up over time.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from haplan import balancing, load

__all__ = ["HPA_COLUMNS"]

#: The columns of :attr:`HpaResult.frame`.
HPA_COLUMNS: tuple[str, ...] = (
    "time_s",
    "duration_s",
    "rps",
    "desired_replicas",
    "replicas",
    "ready_replicas",
    "utilization",
    "p99_response_ms",
    "meets_targets",
)


def _frame_and_totals(scenario, rows, start, end, capacity, n_up, n_down):
    """(frame, totals) of :class:`~haplan.autoscaling.hpa.HpaResult` from the loop's rows.

    ``rows`` holds (time [s], rps, desired replicas, replicas, ready replicas) per instant,
    each holding until the next one (the last one until ``end`` [s]); ``start`` [s] is the
    profile's start, ``capacity`` μ [req/s], ``n_up`` and ``n_down`` the syncs that scaled.
    """
    frame = pd.DataFrame(rows, columns=["time_s", "rps", "desired_replicas", "replicas", "ready"])
    frame = frame.rename(columns={"ready": "ready_replicas"})
    time = frame["time_s"].to_numpy(dtype=float)
    frame.insert(1, "duration_s", np.diff(np.append(time, end)))
    rps = frame["rps"].to_numpy(dtype=float)
    ready = frame["ready_replicas"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        served = np.maximum(ready, 1.0)
        frame["utilization"] = np.where(ready > 0, rps / (served * capacity), np.inf)
        p99 = 1e3 * np.asarray(
            balancing.response_time_quantile(scenario.balancer, 0.99, rps, capacity, served),
            dtype=float,
        )
    overloaded = (ready <= 0) | (rps >= ready * capacity)
    frame["p99_response_ms"] = np.where(overloaded, np.inf, p99)
    needed = np.asarray(load.instances_needed(rps, capacity, scenario.max_utilization), float)
    enough = ready >= np.maximum(float(scenario.min_instances), needed)
    target_p99 = scenario.target_p99_ms
    if target_p99 is None or math.isnan(target_p99):
        p99_ok = np.ones(len(frame), dtype=bool)
    else:
        p99_ok = frame["p99_response_ms"].to_numpy() <= target_p99
    frame["meets_targets"] = enough & p99_ok
    frame = frame[list(HPA_COLUMNS)]

    duration = frame["duration_s"].to_numpy(dtype=float)
    span = float(end - start)
    replicas = frame["replicas"].to_numpy(dtype=float)
    short = float(duration[~enough].sum())
    below = float(duration[~frame["meets_targets"].to_numpy()].sum())
    totals = {
        "duration_s": span,
        "time_short_s": short,
        "short_share": short / span,
        "time_below_target_s": below,
        "below_target_share": below / span,
        "worst_p99_ms": float(frame["p99_response_ms"].max()),
        "mean_replicas": float((replicas * duration).sum() / span),
        "mean_ready_replicas": float((ready * duration).sum() / span),
        "max_replicas": int(replicas.max()),
        "instance_hours": float((replicas * duration).sum() / 3600.0),
        "scaling_events": n_up + n_down,
        "scale_ups": n_up,
        "scale_downs": n_down,
    }
    return frame, totals
