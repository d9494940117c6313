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

from haplan import availability, balancing, document, load, markov, queueing, recovery
from haplan.scenario import Scenario, validated_columns

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
    with np.errstate(over="ignore"):  # an absurd load is an infinite utilisation, not an error
        utilization = per_instance / c["instance_capacity_rps"]
    return {
        "per_node_load_rps": c["request_rate_rps"] / c["nodes"],
        "per_instance_load_rps": per_instance,
        "utilization": utilization,
    }


def _unavailabilities(c: Columns) -> Columns:
    return {
        "node_unavailability": availability.steady_state_unavailability(
            c["node_mttf_h"], c["node_mttr_h"]
        ),
        "instance_unavailability": availability.steady_state_unavailability(
            c["instance_mttf_h"], c["instance_mttr_h"]
        ),
        "zone_unavailability": availability.steady_state_unavailability(
            c["zone_mttf_h"], c["zone_mttr_h"]
        ),
    }


def _by_orchestrator(c: Columns, evaluate: Callable[..., Columns]) -> Columns:
    """Run ``evaluate(preset, rows)`` once per distinct orchestrator and stitch the results."""
    orchestrators = c["orchestrator"]
    out: Columns = {}
    for name in pd.unique(orchestrators):
        rows = np.flatnonzero(orchestrators == name)
        part = evaluate(name, rows)
        for column, values in part.items():
            if column not in out:
                out[column] = np.empty(len(orchestrators), dtype=float)
            out[column][rows] = values
    return out


def _recovery(c: Columns) -> Columns:
    moved = np.ceil(c["instances"] / c["nodes"])

    def evaluate(preset, rows):
        return {
            "recovery_node_failure_s": recovery.node_failure_recovery_s(
                preset, instances_to_move=moved[rows]
            ),
            "recovery_container_crash_s": np.broadcast_to(
                recovery.container_crash_recovery_s(preset, crash_count=1), rows.shape
            ),
        }

    return _by_orchestrator(c, evaluate)


def _headroom(c: Columns) -> Columns:
    return {
        "failures_tolerated": load.failures_tolerated(
            c["nodes"],
            c["replicas"],
            c["request_rate_rps"],
            c["instance_capacity_rps"],
            c["max_utilization"],
        ).astype(np.int64)
    }


def _needed(c: Columns) -> Columns:
    needed = load.instances_needed(
        c["request_rate_rps"], c["instance_capacity_rps"], c["max_utilization"]
    )
    return {"instances_needed": np.asarray(needed, dtype=float)}  # may exceed int64


def _service(c: Columns) -> Columns:
    """Service and capacity unavailability from one evaluation of the placement model.

    Capacity unavailability is ``load.capacity_unavailability``: k = instances needed for
    the load, 1 when more are needed than exist. Both k values go through one call so each
    placement's distribution is built once. With fewer repair crews than nodes, both come
    from ``markov.crew_service_unavailability``; with ``reschedule``, the service column
    from ``recovery.rescheduling_service_unavailability`` (independent node repairs).
    """
    rows = len(c["nodes"])
    needed = c["instances_needed"]
    both = availability.service_unavailability(
        np.tile(c["nodes"], 2),
        np.tile(c["instances"], 2),
        np.concatenate([c["min_instances"], np.minimum(needed, c["instances"])]),
        np.tile(c["node_unavailability"], 2),
        np.tile(c["instance_unavailability"], 2),
        np.tile(c["zones"], 2),
        np.tile(c["zone_unavailability"], 2),
    )
    service, capacity = both[:rows].copy(), both[rows:].copy()
    crews = c["repair_crews"].astype(float)
    queued = np.flatnonzero(crews < c["nodes"])  # NaN (unlimited) compares False
    if queued.size:  # failed nodes wait for a crew: the birth-death chain, not the binomial
        r = np.tile(queued, 2)
        k = np.concatenate([c["min_instances"][queued], np.minimum(needed, c["instances"])[queued]])
        both = markov.crew_service_unavailability(
            c["nodes"][r],
            c["instances"][r],
            k,
            c["node_mttf_h"][r],
            c["node_mttr_h"][r],
            crews[r],
            c["instance_unavailability"][r],
            c["zones"][r],
            c["zone_unavailability"][r],
        )
        service[queued], capacity[queued] = both[: queued.size], both[queued.size :]
    moved = c["reschedule"].astype(bool)
    if moved.any():
        r = np.flatnonzero(moved)
        names = ("nodes", "instances", "min_instances", "node_mttf_h", "node_mttr_h")
        names += ("recovery_node_failure_s", "failures_tolerated", "instance_unavailability")
        # Rows that differ only in inputs this model ignores (the load, say) share one value.
        keys, which = np.unique(
            np.stack([c[name][r].astype(float) for name in names], axis=1),
            axis=0,
            return_inverse=True,
        )
        n, inst, k, mttf, mttr, recovery_s, tolerated, q_instance = keys.T
        service[r] = recovery.rescheduling_service_unavailability(
            n.astype(np.int64),
            inst.astype(np.int64),
            k.astype(np.int64),
            mttf,
            mttr,
            recovery_s,
            failures_tolerated=tolerated.astype(np.int64),
            instance_unavailability=q_instance,
        )[which.ravel()]
        # Rescheduling has no zone term: add the outages zone failures cause on their own
        # (nodes and containers perfect). P(A or B) <= P(A) + P(B), exact to first order.
        zoned = r[c["zone_unavailability"][r] > 0]
        if zoned.size:
            service[zoned] += availability.service_unavailability(
                c["nodes"][zoned],
                c["instances"][zoned],
                c["min_instances"][zoned],
                0.0,
                0.0,
                c["zones"][zoned],
                c["zone_unavailability"][zoned],
            )
            service[zoned] = np.minimum(service[zoned], 1.0)
    return {
        "service_unavailability": service,
        "capacity_unavailability": np.where(needed > c["instances"], 1.0, capacity),
    }


def _nines(c: Columns) -> Columns:
    u = c["service_unavailability"]
    return {
        "service_availability": 1.0 - u,  # A from U loses nothing; U from A would
        "nines": availability.nines(u),
        "downtime_min_per_year": availability.downtime_minutes(u, availability.YEAR_DAYS),
    }


_OUTAGE_OUTPUTS = ("service_mttf_h", "outage_frequency_per_year", "mean_outage_duration_min")
_OUTAGE_INPUTS = (
    "nodes",
    "instances",
    "min_instances",
    "node_mttf_h",
    "node_mttr_h",
    "instance_mttf_h",
    "instance_mttr_h",
    "zones",
    "zone_mttf_h",
    "zone_mttr_h",
)


def _outages(c: Columns) -> Columns:
    """Outage frequency, mean outage length and mean up time between outages.

    - Independent repairs (repair crews unlimited): the exact frequency over the placement
      with node, container and zone failures (``availability.service_outages``), so
      frequency × duration = ``service_unavailability``.
    - Fewer crews than nodes: the node-count birth–death chain
      (``markov.service_outage_metrics``: node failures only, most loaded nodes first).

    Rows with ``reschedule`` are revised afterwards by :func:`_rescheduled_outages`.
    """
    rows = len(c["nodes"])
    crews = c["repair_crews"].astype(float)
    queued = crews < c["nodes"]  # NaN (unlimited) compares False
    out = {
        "service_mttf_h": np.empty(rows),
        "outage_frequency_per_year": np.empty(rows),
        "mean_outage_duration_min": np.empty(rows),
    }
    exact = np.flatnonzero(~queued)
    if exact.size:
        o = availability.service_outages(*(c[name][exact] for name in _OUTAGE_INPUTS))
        out["service_mttf_h"][exact] = o["mean_up_time"]
        out["outage_frequency_per_year"][exact] = o["outage_frequency"] * markov.HOURS_PER_YEAR
        out["mean_outage_duration_min"][exact] = o["mean_outage_duration"] * 60.0
    chain = np.flatnonzero(queued)
    if chain.size:
        o = markov.service_outage_metrics(
            c["nodes"][chain],
            c["instances"][chain],
            c["min_instances"][chain],
            c["node_mttf_h"][chain],
            c["node_mttr_h"][chain],
            crews[chain],
        )
        frequency = o["outage_frequency_per_year"]
        duration_h = o["mean_outage_duration_min"] / 60.0
        with np.errstate(divide="ignore", invalid="ignore"):
            # The same quantity as above: the mean up period, cycle length minus outage.
            up_h = np.where(frequency > 0, markov.HOURS_PER_YEAR / frequency - duration_h, np.inf)
        out["service_mttf_h"][chain] = up_h
        out["outage_frequency_per_year"][chain] = frequency
        out["mean_outage_duration_min"][chain] = o["mean_outage_duration_min"]
    return out


def _rescheduled_outages(c: Columns) -> Columns:
    """Outage columns of rows with ``reschedule`` and unlimited crews; other rows unchanged.

    The frequency is ``availability.service_outages`` with each node failure lasting
    ``recovery.effective_repair_h`` for its instances while the survivors have room
    (``failures_tolerated`` ≥ 1): an approximation, within a few per cent of the simulator
    while node failures are rare against repairs (tested at MTTR/MTTF ≈ 1 %), up to ~20 %
    high when several nodes are often down at once. The duration is
    ``service_unavailability`` / frequency so the columns agree with the rescheduling model.
    Evaluated only on those rows (a sweep without rescheduling pays nothing).
    """
    out = {name: c[name].copy() for name in _OUTAGE_OUTPUTS}
    moved = np.flatnonzero(
        c["reschedule"].astype(bool) & ~(c["repair_crews"].astype(float) < c["nodes"])
    )
    if not moved.size:
        return out
    names = (*_OUTAGE_INPUTS, "recovery_node_failure_s", "failures_tolerated")
    names += ("service_unavailability",)
    keys, which = np.unique(
        np.stack([c[name][moved].astype(float) for name in names], axis=1),
        axis=0,
        return_inverse=True,
    )
    inputs = dict(zip(names, keys.T, strict=True))
    room = inputs["failures_tolerated"] >= 1
    inputs["node_mttr_h"] = np.where(
        room,
        recovery.effective_repair_h(inputs["recovery_node_failure_s"], inputs["node_mttr_h"]),
        inputs["node_mttr_h"],
    )
    o = availability.service_outages(*(inputs[name] for name in _OUTAGE_INPUTS))
    frequency_h = np.asarray(o["outage_frequency"], dtype=float)
    u = inputs["service_unavailability"]
    with np.errstate(divide="ignore", invalid="ignore"):
        duration_h = np.where(frequency_h > 0, u / frequency_h, o["mean_outage_duration"])
        up_h = np.where(frequency_h > 0, (1.0 - u) / frequency_h, o["mean_up_time"])
    which = which.ravel()
    out["service_mttf_h"][moved] = up_h[which]
    out["outage_frequency_per_year"][moved] = (frequency_h * markov.HOURS_PER_YEAR)[which]
    out["mean_outage_duration_min"][moved] = (duration_h * 60.0)[which]
    return out


def _latency(c: Columns) -> Columns:
    with np.errstate(over="ignore", invalid="ignore"):  # loads beyond float range: inf
        return _latency_columns(c)


def _latency_columns(c: Columns) -> Columns:
    rate, capacity, servers = c["request_rate_rps"], c["instance_capacity_rps"], c["instances"]
    strategies = c["balancer"]
    out = {
        "overloaded": queueing.is_overloaded(rate, capacity, servers),
        "wait_probability": np.empty(len(rate)),
        "mean_response_ms": np.empty(len(rate)),
        "p99_response_ms": np.empty(len(rate)),
    }
    for strategy in pd.unique(strategies):
        rows = np.flatnonzero(strategies == strategy)
        args = (rate[rows], capacity[rows], servers[rows])
        out["wait_probability"][rows] = balancing.wait_probability(strategy, *args)
        out["mean_response_ms"][rows] = 1e3 * balancing.mean_response_time(strategy, *args)
        out["p99_response_ms"][rows] = 1e3 * balancing.response_time_quantile(strategy, 0.99, *args)
    return out


_SIZE = ("nodes", "instances")
_LOAD = ("request_rate_rps", "instance_capacity_rps", "max_utilization")
_MTTX = (
    "node_mttf_h",
    "node_mttr_h",
    "instance_mttf_h",
    "instance_mttr_h",
    "zone_mttf_h",
    "zone_mttr_h",
)
_UNAVAILABILITIES = ("node_unavailability", "instance_unavailability", "zone_unavailability")

#: The model families in evaluation order; a group may read earlier groups' outputs.
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
    MetricGroup("unavailabilities", _MTTX, _UNAVAILABILITIES, _unavailabilities),
    MetricGroup(
        "recovery",
        ("orchestrator", *_SIZE),
        ("recovery_node_failure_s", "recovery_container_crash_s"),
        _recovery,
    ),
    MetricGroup("headroom", (*_SIZE, "replicas", *_LOAD), ("failures_tolerated",), _headroom),
    MetricGroup("needed", _LOAD, ("instances_needed",), _needed, deduplicate=False),
    MetricGroup(
        "availability",
        (
            *_SIZE,
            "min_instances",
            "instances_needed",
            "zones",
            *_UNAVAILABILITIES,
            "reschedule",
            "node_mttf_h",
            "node_mttr_h",
            "recovery_node_failure_s",
            "failures_tolerated",
            "repair_crews",
        ),
        ("service_unavailability", "capacity_unavailability"),
        _service,
    ),
    MetricGroup(
        "nines",
        ("service_unavailability",),
        ("service_availability", "nines", "downtime_min_per_year"),
        _nines,
    ),
    MetricGroup(
        "outages",
        (*_SIZE, "min_instances", *_MTTX, "zones", "repair_crews"),
        _OUTAGE_OUTPUTS,
        _outages,
    ),
    MetricGroup(
        "rescheduled_outages",
        (*_OUTAGE_INPUTS, "repair_crews", "reschedule", "recovery_node_failure_s")
        + ("failures_tolerated", "service_unavailability", *_OUTAGE_OUTPUTS),
        _OUTAGE_OUTPUTS,
        _rescheduled_outages,
        deduplicate=False,
    ),
    MetricGroup(
        "latency",
        ("request_rate_rps", "instance_capacity_rps", "instances", "balancer"),
        ("overloaded", "wait_probability", "mean_response_ms", "p99_response_ms"),
        _latency,
    ),
]


def _metric_names() -> tuple[str, ...]:
    """Every output once, in order (a later group may revise an earlier group's column)."""
    return tuple(dict.fromkeys(name for group in METRIC_GROUPS for name in group.outputs))


METRIC_NAMES = _metric_names()


class _Codes:
    """Factorised columns, shared by every group of one ``metrics`` call.

    A group's unique input combinations come from combining per-column codes (hash
    factorisation, O(rows)), not from sorting rows, so large sweeps stay linear.
    """

    def __init__(self, columns: Columns, rows: int):
        self._data = columns
        self._rows = rows
        self._columns: dict[str, tuple[np.ndarray, int]] = {}

    def column(self, name: str) -> tuple[np.ndarray, int]:
        if name not in self._columns:
            values = self._data[name]
            if len(values) and (
                values.strides == (0,) or (values.dtype != object and (values == values[0]).all())
            ):
                self._columns[name] = (np.zeros(len(values), dtype=np.int64), 1)  # one value
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=False)
                self._columns[name] = (codes.astype(np.int64), max(len(uniques), 1))
        return self._columns[name]

    def group(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Codes mapping each row to its unique combination of ``names``, and one row per code."""
        combined = np.zeros(self._rows, dtype=np.int64)
        span = 1
        for name in names:
            codes, size = self.column(name)
            if span == 1:
                combined, span = codes, size
                continue
            if span * size >= 2**62:  # keep the mixed-radix code inside int64
                combined, uniques = pd.factorize(combined)
                span = len(uniques)
            combined = combined * size + codes
            span *= size
        if span <= 4 * self._rows:  # dense codes: relabel with a lookup table, no hashing
            present = np.bincount(combined, minlength=span) > 0
            label = np.cumsum(present) - 1
            codes, uniques = label[combined], np.flatnonzero(present)
        else:
            codes, uniques = pd.factorize(combined)
        first_rows = np.empty(len(uniques), dtype=np.int64)
        first_rows[codes] = np.arange(len(codes))  # any row of a combination represents it
        return codes.astype(np.int64), first_rows


def _evaluate(group: MetricGroup, data: Columns, codes: _Codes, rows: int) -> Columns:
    columns = {name: data[name] for name in group.inputs}
    if not group.deduplicate:
        return group.compute(columns)
    row_codes, first_rows = codes.group(group.inputs)
    if len(first_rows) == rows:
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
        frame = scenario_or_frame.to_frame()
    elif isinstance(scenario_or_frame, pd.DataFrame):
        frame = scenario_or_frame
    else:
        raise ValueError(
            f"scenario_or_frame={type(scenario_or_frame).__name__} is not valid: "
            "pass a haplan.Scenario or a pandas.DataFrame of scenario inputs"
        )
    if len(frame) == 0:
        raise ValueError("scenario_or_frame has no rows: give at least one scenario")
    data: Columns = validated_columns(frame)
    rows = len(frame)
    codes = _Codes(data, rows)
    for group in METRIC_GROUPS:
        result = _evaluate(group, data, codes, rows)
        for name in group.outputs:
            data[name] = np.asarray(result[name])
    return pd.DataFrame(data, index=frame.index, copy=False)
