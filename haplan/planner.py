"""The planner: the cheapest cluster that meets an availability, latency and recovery target.

``plan`` evaluates every candidate (nodes, replicas) of a search grid with ``haplan.sweep``,
orders them by cost and returns the cheapest one that meets every constraint, with the
reason each cheaper candidate fails. ``pareto`` extracts the non-dominated rows of any
metrics table (cost / availability / latency frontier).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from haplan.scenario import INPUT_NAMES, Scenario, check_input_values
from haplan.sweeps import grid, grid_instances, undescribable
from haplan.table import metrics

__all__ = ["plan", "pareto", "Plan", "CandidateTable", "DEFAULT_SEARCH", "edge_warnings"]

#: Candidates when ``search`` is not given: 1–20 nodes, 1–5 instances per node.
DEFAULT_SEARCH: dict[str, Any] = {"nodes": range(1, 21), "replicas": range(1, 6)}


class CandidateTable:
    """What a planner's answer offers over its ``candidates`` table (cheapest first, with a
    boolean ``feasible`` column; the best answer is the first feasible row)."""

    @property
    def feasible(self) -> pd.DataFrame:
        """The feasible candidates, cheapest first."""
        return self.candidates[self.candidates["feasible"]]

    def runners_up(self, count: int = 3) -> pd.DataFrame:
        """The next ``count`` feasible candidates after the best."""
        return self.feasible.iloc[1 : 1 + count]

    def cheaper_rejected(self) -> pd.DataFrame:
        """Candidates cheaper than the best (all, if none is feasible), with their reasons."""
        feasible = np.flatnonzero(self.candidates["feasible"].to_numpy())
        return self.candidates.iloc[: feasible[0]] if len(feasible) else self.candidates


@dataclass(frozen=True)
class Plan(CandidateTable):
    """The planner's answer.

    Attributes
    ----------
    best : pandas.Series or None
        The cheapest feasible candidate's metrics row (None when no candidate is feasible).
    candidates : pandas.DataFrame
        Every candidate, cheapest first, with columns ``cost``, ``planned_unavailability``,
        ``feasible`` and ``reason`` (empty for feasible rows, else the first failed
        constraint).
    target_availability : float
        The availability target [fraction].
    warnings : tuple of str
        Where the best candidate sits on the edge of the search, so that a wider search
        might find a cheaper cluster (:func:`edge_warnings`).
    """

    best: pd.Series | None
    candidates: pd.DataFrame
    target_availability: float
    warnings: tuple[str, ...] = ()


def _check_fraction(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(
            f"{name}={value!r} is out of range: must be a fraction in (0, 1), e.g. 0.9999"
        )
    return float(value)


def _check_positive_or_none(name: str, value: float | None) -> None:
    if value is not None and not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"{name}={value!r} is out of range: must be a number > 0 or None")


def _reasons(table: pd.DataFrame, target_unavailability: float, limits: dict) -> np.ndarray:
    """The first failed constraint of each row, as text ('' when every constraint holds)."""
    reasons = np.full(len(table), "", dtype=object)
    checks = [
        (
            table["utilization"].to_numpy() > table["max_utilization"].to_numpy(),
            lambda r: f"utilisation {r['utilization']:.0%} > ceiling {r['max_utilization']:.0%}",
        ),
        (
            table["planned_unavailability"].to_numpy() > target_unavailability,
            lambda r: (
                f"availability {100 * (1 - r['planned_unavailability']):.6g}% "
                f"< target {100 * (1 - target_unavailability):.6g}%"
            ),
        ),
    ]
    if limits["max_p99_response_ms"] is not None and "p99_response_ms" in table:
        checks.append(
            (
                table["p99_response_ms"].to_numpy() > limits["max_p99_response_ms"],
                lambda r: (
                    f"p99 {r['p99_response_ms']:.4g} ms > {limits['max_p99_response_ms']:g} ms"
                ),
            )
        )
    if limits["max_recovery_s"] is not None and "recovery_node_failure_s" in table:
        checks.append(
            (
                table["recovery_node_failure_s"].to_numpy() > limits["max_recovery_s"],
                lambda r: (
                    f"recovery {r['recovery_node_failure_s']:.4g} s "
                    f"> {limits['max_recovery_s']:g} s"
                ),
            )
        )
    for failed, describe in checks:
        todo = np.flatnonzero(failed & (reasons == ""))
        for i in todo:
            reasons[i] = describe(table.iloc[i])
    return reasons


def _probability_met(
    table: pd.DataFrame, target_unavailability: float, limits: dict, laws, samples, seed
) -> np.ndarray:
    """For each candidate row, the share of sampled inputs under which it meets every target.

    The same ``samples`` draws (seeded) serve every candidate; a draw that describes no
    scenario for a candidate counts as not met. Candidates the inputs cannot describe get NaN.
    """
    from haplan.uncertainty.propagation import draw

    draws = draw(laws, samples, np.random.default_rng(seed))
    rows = np.flatnonzero(table["service_unavailability"].notna().to_numpy())
    inputs = table.iloc[rows][[c for c in INPUT_NAMES if c in table.columns]]
    frame = inputs.loc[inputs.index.repeat(samples)].reset_index(drop=True)
    for name, values in draws.items():
        frame[name] = np.tile(values, len(rows))
    ok = undescribable(frame) == ""
    met = np.zeros(len(frame), dtype=bool)
    if ok.any():
        scored = metrics(frame[ok])
        good = scored["slo_unavailability"].to_numpy() <= target_unavailability
        if limits["max_p99_response_ms"] is not None:
            good &= scored["p99_response_ms"].to_numpy() <= limits["max_p99_response_ms"]
        if limits["max_recovery_s"] is not None:
            good &= scored["recovery_node_failure_s"].to_numpy() <= limits["max_recovery_s"]
        met[np.flatnonzero(ok)] = good
    out = np.full(len(table), np.nan)
    out[rows] = met.reshape(len(rows), samples).mean(axis=1)
    return out


def plan(
    target_availability: float,
    request_rate_rps: float,
    *,
    max_p99_response_ms: float | None = None,
    max_recovery_s: float | None = None,
    node_cost: float = 1.0,
    instance_cost: float = 0.0,
    search: dict[str, Any] | None = None,
    base: Scenario | None = None,
    distributions: dict | None = None,
    confidence: float | None = None,
    samples: int = 500,
    seed: int = 0,
) -> Plan:
    """Find the cheapest (nodes, replicas) that meets every target.

    Parameters
    ----------
    target_availability : float
        Required availability [fraction], e.g. 0.9999 for four nines.
    request_rate_rps : float
        Load the cluster must carry [requests/s].
    max_p99_response_ms : float, optional
        Ceiling on the 99th percentile response time [ms].
    max_recovery_s : float, optional
        Ceiling on the recovery time after a node failure [s].
    node_cost, instance_cost : float
        Cost of one node and of one instance [any currency]; cost = node_cost × N +
        instance_cost × C.
    search : dict, optional
        Sweep axes for the candidates (default ``DEFAULT_SEARCH``: nodes 1–20, replicas
        1–5); any other Scenario input may be added as an axis.
    base : Scenario, optional
        Inputs not searched over (default: the built-in default scenario).
    distributions : dict, optional
        Inputs given as distributions (:func:`haplan.uncertainty.split_uncertain`); ``base``
        holds their medians. With ``confidence``, a candidate must meet every target with at
        least that probability.
    confidence : float, optional
        Required probability of meeting the targets [fraction], in (0, 1), e.g. 0.9.
    samples, seed : int
        Samples of the distributions per candidate (the same draws for every candidate:
        common random numbers, so candidates are compared on equal terms) and their seed.

    Returns
    -------
    Plan
        The best candidate, every candidate with its cost and the reason it fails, cheapest
        first (ties: fewer nodes, then fewer instances).

    Notes
    -----
    A candidate is judged by the load-aware SLO headline, ``slo_unavailability`` of
    :mod:`haplan.service`: the probability that fewer instances are up than both
    ``min_instances`` and the load under ``max_utilization`` need (``planned_unavailability``
    repeats it under the planner's name). It must also carry the load with every node up
    under the utilisation ceiling. The search is
    exhaustive over the grid, so the answer is the true optimum *within the grid*.
    """
    target = _check_fraction("target_availability", target_availability)
    _check_positive_or_none("max_p99_response_ms", max_p99_response_ms)
    _check_positive_or_none("max_recovery_s", max_recovery_s)
    for name, value in (("node_cost", node_cost), ("instance_cost", instance_cost)):
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name}={value!r} is out of range: must be a number >= 0")
    base = base or Scenario.default()
    axes = dict(DEFAULT_SEARCH if search is None else search)
    base = base.with_overrides(request_rate_rps=request_rate_rps)
    frame = grid(base=base, **axes)
    for name in axes:
        check_input_values(name, frame[name].to_numpy())
    instances = grid_instances(frame)
    # Candidates the inputs cannot describe are rejected with a reason, not raised.
    impossible = undescribable(frame)
    bad = impossible != ""
    table = metrics(frame[~bad])
    if bad.any():
        table = pd.concat([table, frame[bad].assign(instances=instances[bad].astype(np.int64))])
    table["cost"] = node_cost * table["nodes"] + instance_cost * table["instances"]
    table["planned_unavailability"] = table["slo_unavailability"]
    limits = {"max_p99_response_ms": max_p99_response_ms, "max_recovery_s": max_recovery_s}
    if confidence is not None:
        confidence = _check_fraction("confidence", confidence)
        if not distributions:
            raise ValueError(
                "confidence needs distributions: give some inputs as distributions, e.g. "
                "node_mttf_h='lognormal(718, 0.5)'"
            )
        searched = sorted(set(distributions) & set(axes))
        if searched:
            raise ValueError(
                f"{searched[0]} is both searched and uncertain: give it one role or the other"
            )
        table["probability_met"] = _probability_met(
            table, 1.0 - target, limits, distributions, samples, seed
        )
        reasons = _reasons(table, 1.0, limits)  # availability is judged by probability
        short = (reasons == "") & (table["probability_met"].to_numpy() < confidence)
        for i in np.flatnonzero(short):
            reasons[i] = (
                f"meets the targets with probability {table['probability_met'].iloc[i]:.3g} "
                f"< {confidence:g}"
            )
    else:
        reasons = _reasons(table, 1.0 - target, limits)
    if bad.any():
        reasons[-int(bad.sum()) :] = impossible[bad]
    table["reason"] = reasons
    table["feasible"] = table["reason"] == ""
    table = table.sort_values(["cost", "nodes", "instances"], kind="stable").reset_index(drop=True)
    feasible = table.index[table["feasible"]]
    best = table.loc[feasible[0]] if len(feasible) else None
    warnings = edge_warnings(best, axes) if best is not None else ()
    return Plan(best=best, candidates=table, target_availability=target, warnings=warnings)


#: Axes where more per node can mean fewer nodes: a best at their largest value may hide a
#: cheaper cluster beyond the search.
DENSITY_AXES = ("replicas", "instances")


def edge_warnings(best: pd.Series, axes: dict) -> tuple[str, ...]:
    """Where the best candidate sits on the edge of the search in a way that matters.

    With costs that grow with nodes and instances, a cheaper cluster can lie beyond the
    search only below its smallest nodes or instances (when above 1), or above its largest
    replicas or instances per node (more per node may need fewer nodes).
    """
    out = []
    for name, values in axes.items():
        values = sorted({float(v) for v in np.atleast_1d(values)})
        if len(values) < 2 or name not in best.index:
            continue
        value = float(best[name])
        if name in DENSITY_AXES and value == values[-1]:
            out.append(
                f"the best candidate has the largest {name} searched ({value:g}): more per node "
                f"might allow fewer nodes; search {name} beyond {value:g}"
            )
        elif name in ("nodes", "instances") and value == values[0] and value > 1:
            out.append(
                f"the best candidate has the smallest {name} searched ({value:g}): search "
                f"{name} below {value:g}"
            )
    return tuple(out)


def pareto(frame: pd.DataFrame, objectives: dict[str, str]) -> pd.DataFrame:
    """The rows of ``frame`` that no other row dominates on ``objectives``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table with the objective columns, e.g. a sweep or ``Plan.candidates``.
    objectives : dict
        Column name → ``"min"`` or ``"max"``, e.g. ``{"cost": "min", "nines": "max"}``.

    Returns
    -------
    pandas.DataFrame
        The non-dominated rows (a row is dominated when another is at least as good on
        every objective and strictly better on one), sorted by the first objective; exact
        duplicates are all kept.
    """
    if not objectives:
        raise ValueError("objectives={} is empty: name at least one column, e.g. {'cost': 'min'}")
    columns = []
    for name, sense in objectives.items():
        if name not in frame.columns:
            raise ValueError(f"objective {name!r} is not a column of the frame")
        if sense not in ("min", "max"):
            raise ValueError(f"objective {name}={sense!r} is not valid: must be 'min' or 'max'")
        values = frame[name].to_numpy(dtype=float)
        columns.append(values if sense == "min" else -values)
    points = np.column_stack(columns)  # every objective is now "smaller is better"
    if points.shape[1] <= 2 and not np.isnan(points).any():
        keep = _skyline_2d(points)
    else:
        keep = _skyline(points)
    first = next(iter(objectives))
    result = frame[keep]
    return result.sort_values(first, ascending=objectives[first] == "min", kind="stable")


def _skyline_2d(points: np.ndarray) -> np.ndarray:
    """Non-dominated rows for one or two minimised objectives in O(n log n).

    Sorted by the first objective (ties by the second), a row is kept when its second value
    beats every row before it, or equals the best so far on both objectives (a duplicate).
    """
    if points.shape[1] == 1:
        return points[:, 0] == points[:, 0].min()
    x, y = points[:, 0], points[:, 1]
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(ys)[:-1]])
    keep_sorted = ys < best_before
    # A row equal on both objectives to a kept row is kept too (duplicates are not dominated).
    same_as_previous = np.concatenate([[False], (xs[1:] == xs[:-1]) & (ys[1:] == ys[:-1])])
    for i in np.flatnonzero(same_as_previous):
        keep_sorted[i] = keep_sorted[i - 1]
    keep = np.empty(len(points), dtype=bool)
    keep[order] = keep_sorted
    return keep


def _skyline(points: np.ndarray) -> np.ndarray:
    """Non-dominated rows for any number of minimised objectives, in blocks (O(n²))."""
    keep = np.ones(len(points), dtype=bool)
    block = 256
    for start in range(0, len(points), block):
        chunk = points[start : start + block]
        no_worse = (points[None, :, :] <= chunk[:, None, :]).all(axis=2)
        better = (points[None, :, :] < chunk[:, None, :]).any(axis=2)
        keep[start : start + block] = ~(no_worse & better).any(axis=1)
    return keep
