"""The metrics table: one tidy row per scenario, inputs then metrics, vocabulary names.

Each *metric group* declares the inputs it reads and the columns it writes. ``metrics``
evaluates a group once per unique combination of its own inputs and broadcasts the result to
every row, so a sweep over request rate does not recompute availability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan import document
from haplan.scenario import INPUT_NAMES, Scenario, validate_inputs

__all__ = ["metrics", "MetricGroup", "METRIC_GROUPS", "METRIC_NAMES"]

Columns = dict[str, np.ndarray]


@dataclass(frozen=True)
class MetricGroup:
    """A model family's contribution to the metrics table.

    ``compute`` takes a dict of input arrays (one element per unique combination of
    ``inputs``, plus earlier groups' outputs named in ``inputs``) and returns a dict of
    output arrays of the same length.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    compute: Callable[[Columns], Columns]
    deduplicate: bool = True


def _document(c: Columns) -> Columns:
    return {
        "doc_total_containers": document.total_containers(c["nodes"], c["replicas"]),
        "doc_balancer_load_rps": document.balancer_load(
            c["nodes"], c["replicas"], c["request_rate_rps"]
        ),
        "doc_recovery_time_s": document.recovery_time(
            c["nodes"], c["replicas"], c["recovery_speed_s"]
        ),
    }


def _even_load(c: Columns) -> Columns:
    per_instance = c["request_rate_rps"] / c["instances"]
    return {
        "per_node_load_rps": c["request_rate_rps"] / c["nodes"],
        "per_instance_load_rps": per_instance,
        "utilization": per_instance / c["instance_capacity_rps"],
    }


METRIC_GROUPS: list[MetricGroup] = [
    MetricGroup(
        "document",
        ("nodes", "replicas", "request_rate_rps", "recovery_speed_s"),
        ("doc_total_containers", "doc_balancer_load_rps", "doc_recovery_time_s"),
        _document,
        deduplicate=False,
    ),
    MetricGroup(
        "even_load",
        ("nodes", "instances", "request_rate_rps", "instance_capacity_rps"),
        ("per_node_load_rps", "per_instance_load_rps", "utilization"),
        _even_load,
        deduplicate=False,
    ),
]


def _metric_names() -> tuple[str, ...]:
    return tuple(name for group in METRIC_GROUPS for name in group.outputs)


METRIC_NAMES = _metric_names()


class _Codes:
    """Factorised input columns, shared by every group of one ``metrics`` call.

    A group's unique input combinations come from combining per-column codes (hash
    factorisation, O(rows)), not from sorting rows, so large sweeps stay linear.
    """

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self._columns: dict[str, tuple[np.ndarray, int]] = {}

    def column(self, name: str) -> tuple[np.ndarray, int]:
        if name not in self._columns:
            codes, uniques = pd.factorize(self._frame[name], use_na_sentinel=False)
            self._columns[name] = (codes.astype(np.int64), max(len(uniques), 1))
        return self._columns[name]

    def group(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Codes mapping each row to its unique combination of ``names``, and one row per code."""
        combined = np.zeros(len(self._frame), dtype=np.int64)
        span = 1
        for name in names:
            codes, size = self.column(name)
            if span * size >= 2**62:  # keep the mixed-radix code inside int64
                combined, _ = pd.factorize(combined)
                span = int(combined.max()) + 1 if len(combined) else 1
            combined = combined * size + codes
            span *= size
        codes, uniques = pd.factorize(combined)
        first_rows = np.empty(len(uniques), dtype=np.int64)
        first_rows[codes] = np.arange(len(codes))  # any row of a combination represents it
        return codes.astype(np.int64), first_rows


def _evaluate(group: MetricGroup, frame: pd.DataFrame, codes: _Codes) -> Columns:
    columns = {name: frame[name].to_numpy() for name in group.inputs}
    if not group.deduplicate:
        return group.compute(columns)
    row_codes, first_rows = codes.group(group.inputs)
    if len(first_rows) == len(frame):
        return group.compute(columns)
    unique = {name: values[first_rows] for name, values in columns.items()}
    result = group.compute(unique)
    return {name: np.asarray(values)[row_codes] for name, values in result.items()}


def metrics(scenario_or_frame: Scenario | pd.DataFrame) -> pd.DataFrame:
    """Compute every metric for one scenario or a DataFrame of scenarios.

    Parameters
    ----------
    scenario_or_frame : Scenario or pandas.DataFrame
        A Scenario, or a DataFrame whose columns are input names (missing inputs take the
        Scenario defaults; give ``replicas`` or ``instances``).

    Returns
    -------
    pandas.DataFrame
        One row per scenario: the inputs, then the metric columns named as in DESIGN.md.
        A DataFrame input keeps its index.

    Raises
    ------
    ValueError
        When an input is out of range, naming it.
    """
    if isinstance(scenario_or_frame, Scenario):
        frame = validate_inputs(scenario_or_frame.to_frame())
    elif isinstance(scenario_or_frame, pd.DataFrame):
        frame = validate_inputs(scenario_or_frame)
    else:
        raise ValueError(
            f"scenario_or_frame={type(scenario_or_frame).__name__} is not valid: "
            "pass a haplan.Scenario or a pandas.DataFrame of scenario inputs"
        )
    work = frame.copy()
    codes = _Codes(work)
    outputs: Columns = {}
    for group in METRIC_GROUPS:
        result = _evaluate(group, work, codes)
        for name in group.outputs:
            column = np.asarray(result[name])
            outputs[name] = column
            work[name] = column
    extra = [c for c in frame.columns if c not in INPUT_NAMES]
    metric_frame = pd.DataFrame(outputs, index=frame.index)
    return pd.concat([frame[list(INPUT_NAMES) + extra], metric_frame], axis=1)
