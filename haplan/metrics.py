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


def _group_codes(frame: pd.DataFrame, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Codes mapping each row to its unique combination of ``names``, and one row per code."""
    if len(frame) <= 1:
        return np.zeros(len(frame), dtype=np.int64), np.arange(len(frame))
    codes = frame.groupby(list(names), sort=False, dropna=False).ngroup().to_numpy()
    _, first_rows = np.unique(codes, return_index=True)
    return codes, first_rows


def _evaluate(group: MetricGroup, frame: pd.DataFrame) -> Columns:
    if not group.deduplicate:
        return group.compute({name: frame[name].to_numpy() for name in group.inputs})
    codes, first_rows = _group_codes(frame, group.inputs)
    unique = {name: frame[name].to_numpy()[first_rows] for name in group.inputs}
    result = group.compute(unique)
    return {name: np.asarray(values)[codes] for name, values in result.items()}


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
    outputs: Columns = {}
    for group in METRIC_GROUPS:
        result = _evaluate(group, work)
        for name in group.outputs:
            column = np.asarray(result[name])
            outputs[name] = column
            work[name] = column
    extra = [c for c in frame.columns if c not in INPUT_NAMES]
    metric_frame = pd.DataFrame(outputs, index=frame.index)
    return pd.concat([frame[list(INPUT_NAMES) + extra], metric_frame], axis=1)
