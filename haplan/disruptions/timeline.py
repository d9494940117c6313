"""The timeline of a disruption: instances ready over time, judged against the SLO.

Every disruption (a what-if failure, a rollout, a drain) is described the same way: a step
function of the instances that serve, ``time_s`` → ``instances_ready`` (and, where the
survivors lack room, ``instances_pending``), with the stage of the disruption in effect.
:func:`evaluate` adds what the load sees at each step — capacity, utilisation, p99 through the
scenario's balancer — and whether each SLO target holds; :func:`summarize` gives the totals:
time below target, worst p99, the fewest instances ready, the time until full strength, and
the share of the 30-day error budget the disruption spends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from haplan import balancing, load, service
from haplan.availability import error_budget_minutes

__all__ = ["Timeline", "evaluate", "summarize", "make_timeline", "STEP_COLUMNS"]

#: The columns a disruption's step function gives (``stage`` and ``instances_pending`` may be
#: left out: "" and 0).
STEP_COLUMNS = ("time_s", "instances_ready", "instances_pending", "stage")


@dataclass(frozen=True)
class Timeline:
    """A disruption's timeline and its totals.

    Attributes
    ----------
    event : str
        What happened, in words ("lose 1 node at 2,000 req/s", "rolling update ...").
    frame : pandas.DataFrame
        One row per step: ``time_s`` [s] from the event, ``duration_s`` [s] until the next
        step (the last step lasts until ``horizon_s``), ``stage``, ``instances_ready``,
        ``instances_pending`` [count], ``capacity_rps`` [req/s], ``utilization``, ``overloaded``,
        ``p99_response_ms`` [ms] (inf when overloaded), ``enough_for_service`` (≥
        ``min_instances`` ready), ``carries_load`` (≥ ``instances_needed``), ``p99_ok``, and
        ``slo_ok`` (all three).
    totals : dict
        :func:`summarize` of the frame.
    stages : tuple of (str, float, float)
        (stage, start [s], end [s]) spans for figures.
    """

    event: str
    frame: pd.DataFrame
    totals: dict = field(default_factory=dict)
    stages: tuple = ()


def _steps(steps: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(steps).copy()
    for name in ("time_s", "instances_ready"):
        if name not in frame:
            raise ValueError(f"steps has no {name!r} column: give time_s and instances_ready")
    if "instances_pending" not in frame:
        frame["instances_pending"] = 0
    if "stage" not in frame:
        frame["stage"] = ""
    time = frame["time_s"].to_numpy(dtype=float)
    if len(time) == 0 or time[0] != 0 or np.any(np.diff(time) < 0):
        raise ValueError("steps.time_s must start at 0 and never decrease")
    if (frame["instances_ready"] < 0).any():
        raise ValueError("steps.instances_ready must be >= 0")
    return frame[list(STEP_COLUMNS)].reset_index(drop=True)


def evaluate(steps: pd.DataFrame, scenario, horizon_s: float | None = None) -> pd.DataFrame:
    """What the load sees at each step of a disruption.

    Parameters
    ----------
    steps : pandas.DataFrame
        ``time_s`` [s] (from 0, non-decreasing), ``instances_ready`` [count], optionally
        ``instances_pending`` [count] and ``stage`` (see :data:`STEP_COLUMNS`).
    scenario : haplan.Scenario
        Load, instance capacity, balancer, ``min_instances``, ``max_utilization`` and targets.
    horizon_s : float, optional
        End of the timeline [s]; default the last step's time (the last step then lasts 0 s).

    Returns
    -------
    pandas.DataFrame
        The columns of :attr:`Timeline.frame`.

    Notes
    -----
    Each step is judged in steady state at its instance count: p99 of the scenario's balancing
    strategy with ``instances_ready`` servers (``haplan.balancing``); queues that build up
    during a dip and drain after it are not modelled, so the p99 of a short dip is pessimistic
    while the dip lasts and optimistic just after it.
    """
    frame = _steps(steps)
    time = frame["time_s"].to_numpy(dtype=float)
    end = float(time[-1] if horizon_s is None else horizon_s)
    if end < time[-1]:
        raise ValueError(f"horizon_s={end:g} is out of range: must be >= the last step's time")
    frame["duration_s"] = np.diff(np.append(time, end))
    ready = frame["instances_ready"].to_numpy(dtype=float)
    rate = float(scenario.request_rate_rps)
    capacity = float(scenario.instance_capacity_rps)
    frame["capacity_rps"] = ready * capacity
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        frame["utilization"] = np.where(ready > 0, rate / (ready * capacity), np.inf)
        served = np.maximum(ready, 1.0)
        p99 = 1e3 * np.asarray(
            balancing.response_time_quantile(scenario.balancer, 0.99, rate, capacity, served),
            dtype=float,
        )
    frame["overloaded"] = (ready <= 0) | (rate >= ready * capacity)
    frame["p99_response_ms"] = np.where(frame["overloaded"], np.inf, p99)
    needed = float(load.instances_needed(rate, capacity, scenario.max_utilization))
    frame["enough_for_service"] = ready >= scenario.min_instances
    frame["carries_load"] = ready >= needed
    target = scenario.target_p99_ms
    if target is None or math.isnan(target):
        frame["p99_ok"] = True
    else:
        frame["p99_ok"] = frame["p99_response_ms"] <= target
    frame["slo_ok"] = frame["enough_for_service"] & frame["carries_load"] & frame["p99_ok"]
    return frame


def summarize(frame: pd.DataFrame, scenario) -> dict:
    """The totals of an evaluated timeline.

    Returns
    -------
    dict
        ``duration_s`` [s] (the timeline's span), ``time_below_target_s`` [s] (steps where
        ``slo_ok`` is false), ``fewest_ready`` [count], ``worst_p99_ms`` [ms],
        ``time_to_full_strength_s`` [s] (from the event until ``instances_ready`` is back to
        the scenario's instances for good; inf if never), ``never_placed`` [count]
        (instances still pending at the end), ``budget_spent_min`` [min] (= time below
        target) and ``budget_share_30d`` (its share of the 30-day error budget of
        ``target_availability``; NaN without a target); ``cut_at_horizon`` is true when the
        service is still below target at the end of the timeline, so the budget figures only
        count up to the horizon.
    """
    time = frame["time_s"].to_numpy(dtype=float)
    duration = frame["duration_s"].to_numpy(dtype=float)
    ready = frame["instances_ready"].to_numpy()
    below = float(duration[~frame["slo_ok"].to_numpy()].sum())
    short = np.flatnonzero(ready < scenario.instances)
    if len(short) == 0:
        full = 0.0
    elif short[-1] + 1 < len(frame):
        full = float(time[short[-1] + 1])
    else:
        full = math.inf
    target = scenario.target_availability
    share = math.nan
    if target is not None and not math.isnan(target):
        budget = float(error_budget_minutes(target, service.SLO_PERIOD_DAYS))
        share = (below / 60.0) / budget if budget > 0 else math.inf
    return {
        "duration_s": float(time[-1] + duration[-1]),
        "time_below_target_s": below,
        "fewest_ready": int(ready.min()),
        "worst_p99_ms": float(frame["p99_response_ms"].max()),
        "time_to_full_strength_s": full,
        "never_placed": int(frame["instances_pending"].iloc[-1]),
        "budget_spent_min": below / 60.0,
        "budget_share_30d": share,
        "cut_at_horizon": bool(not frame["slo_ok"].iloc[-1] and duration[-1] > 0),
    }


def _stage_spans(frame: pd.DataFrame) -> tuple:
    spans = []
    for _, row in frame.iterrows():
        start, end = float(row["time_s"]), float(row["time_s"] + row["duration_s"])
        if spans and spans[-1][0] == row["stage"]:
            spans[-1] = (row["stage"], spans[-1][1], end)
        else:
            spans.append((row["stage"], start, end))
    return tuple(span for span in spans if span[0])


def make_timeline(event: str, steps: pd.DataFrame, scenario, horizon_s=None) -> Timeline:
    """Evaluate ``steps`` (:func:`evaluate`) and wrap them with their totals and stages."""
    frame = evaluate(steps, scenario, horizon_s)
    return Timeline(event, frame, summarize(frame, scenario), _stage_spans(frame))
