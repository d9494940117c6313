"""The metrics table: one tidy row per scenario, inputs then metrics, vocabulary names.

Each *metric group* declares the inputs it reads and the columns it writes. ``metrics``
evaluates a group once per unique combination of its own inputs and broadcasts the result to
every row, so a sweep over request rate does not recompute availability (the mechanism:
:mod:`haplan.column_groups`); large frames are computed in parts on every processor.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from haplan import availability, balancing, document, load, queueing, recovery, service
from haplan._memory import retain_freed_memory
from haplan.column_groups import Codes, Columns, MetricGroup, evaluate
from haplan.scenario import (
    BALANCERS,
    INPUT_NAMES,
    ORCHESTRATORS,
    TARGET_NAMES,
    Scenario,
    check_input_values,
    validated_columns,
)
from haplan.service.figures import APPROX_CREWS, APPROX_RESCHEDULE, EXACT_CHAIN, EXACT_CONVOLUTION

__all__ = ["metrics", "MetricGroup", "METRIC_GROUPS", "METRIC_NAMES"]


def _document(c: Columns) -> Columns:
    return {
        # R as the article uses it, derived from the instances placed: C / N [per node]
        "doc_replicas_per_node": np.asarray(c["replicas"], dtype=float),
        "doc_total_containers": document.total_containers(c["nodes"], c["replicas"]),
        "doc_balancer_load_rps": document.balancer_load(
            c["nodes"], c["replicas"], c["request_rate_rps"]
        ),
        "doc_recovery_time_s": document.recovery_time(
            c["nodes"], c["replicas"], c["recovery_speed_s"]
        ),
    }


def _even_load(c: Columns) -> Columns:
    """Loads under even balancing over the instances as they are placed.

    ``per_node_load_rps`` is the load of the busiest node [req/s]: P × ⌈C/N⌉ / C, the
    share of the node holding the most instances as :func:`haplan.availability.
    instances_per_node` places them (P/N when C is a multiple of N; 3 instances on 9 nodes
    put P/3 on each of the 3 busy nodes and nothing on the other 6).
    """
    rate, nodes, instances = c["request_rate_rps"], c["nodes"], c["instances"]
    per_instance = rate / instances
    with np.errstate(over="ignore"):  # an absurd load is an infinite utilisation, not an error
        utilization = per_instance / c["instance_capacity_rps"]
    busiest = -(-instances // nodes)  # ⌈C/N⌉ instances on the most loaded node
    even = instances % nodes == 0
    per_node = (
        rate / nodes if even.all() else np.where(even, rate / nodes, rate * busiest / instances)
    )
    return {
        "per_node_load_rps": per_node,
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


def _by_orchestrator(c: Columns, per_preset: Callable[..., Columns]) -> Columns:
    """Run ``per_preset(preset, rows)`` once per distinct orchestrator and stitch the results."""
    orchestrators = c["orchestrator"]
    out: Columns = {}
    for name in pd.unique(orchestrators):
        rows = np.flatnonzero(orchestrators == name)
        part = per_preset(name, rows)
        for column, values in part.items():
            if column not in out:
                out[column] = np.empty(len(orchestrators), dtype=float)
            out[column][rows] = values
    return out


def _recovery(c: Columns) -> Columns:
    moved = np.asarray(recovery.instances_to_move(c["nodes"], c["instances"]), dtype=float)

    def per_preset(preset, rows):
        return {
            "recovery_node_failure_s": recovery.node_failure_recovery_s(
                preset, instances_to_move=moved[rows]
            ),
            "recovery_container_crash_s": np.broadcast_to(
                recovery.container_crash_recovery_s(preset, crash_count=1), rows.shape
            ),
        }

    out = _by_orchestrator(c, per_preset)
    out["instances_moved"] = moved
    return out


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
    """Every availability figure of the service, from the one service model."""
    return service.service_figures(*(c[name] for name in _SERVICE_INPUTS))


def _nines(c: Columns) -> Columns:
    u = c["service_unavailability"]
    return {
        "service_availability": 1.0 - u,  # A from U loses nothing; U from A would
        "nines": availability.nines(u),
        "downtime_min_per_year": availability.downtime_minutes(u, availability.YEAR_DAYS),
    }


def _planned_rows(c: Columns) -> np.ndarray:
    """Rows with planned rollouts or upgrades: the others spend nothing."""
    return np.flatnonzero((c["rollouts_per_week"] > 0) | (c["upgrades_per_year"] > 0))


def _planned(c: Columns) -> Columns:
    """SLO budget spent by planned rollouts and upgrades (``haplan.disruptions``)."""
    from haplan.disruptions import planned_downtime_min_per_30d

    out = np.zeros(len(c["nodes"]))
    for i in _planned_rows(c):
        row = {name: c[name][i] for name in INPUT_NAMES}
        out[i] = planned_downtime_min_per_30d(Scenario.from_row(row))
    return {"planned_downtime_min_per_30d": out}


def _slo(c: Columns) -> Columns:
    """The load-aware headline and the margin to each target (NaN where none is set)."""
    u = c["slo_unavailability"]
    downtime_30d = availability.downtime_minutes(u, service.SLO_PERIOD_DAYS)
    spent_30d = downtime_30d + c["planned_downtime_min_per_30d"]
    with np.errstate(invalid="ignore"):
        budget_30d = availability.error_budget_minutes(
            np.where(np.isnan(c["target_availability"]), 0.5, c["target_availability"]),
            service.SLO_PERIOD_DAYS,
        )
        budget_30d = np.where(np.isnan(c["target_availability"]), np.nan, budget_30d)
        margins = {
            "availability_margin_min_per_30d": np.where(
                np.isnan(c["target_availability"]), np.nan, budget_30d - spent_30d
            ),
            "p99_margin_ms": c["target_p99_ms"] - c["p99_response_ms"],
            "recovery_margin_s": c["target_recovery_s"] - c["recovery_node_failure_s"],
        }
    failed = np.zeros(len(u), dtype=bool)
    for margin in margins.values():
        failed |= margin < 0  # NaN (no target) compares False
    return {
        "slo_availability": 1.0 - u,
        "slo_nines": availability.nines(u),
        "slo_downtime_min_per_30d": downtime_30d,
        "slo_downtime_min_per_year": availability.downtime_minutes(u, availability.YEAR_DAYS),
        "error_budget_min_per_30d": budget_30d,
        "slo_budget_spent_min_per_30d": spent_30d,
        **margins,
        "slo_met": ~failed,
    }


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
_SERVICE_INPUTS = (
    *_SIZE,
    "min_instances",
    "instances_needed",
    *_MTTX[:4],
    "zones",
    *_MTTX[4:],
    "repair_crews",
    "reschedule",
    "recovery_node_failure_s",
    "max_instances_per_node",
)
_SLO_OUTPUTS = (
    "slo_availability",
    "slo_nines",
    "slo_downtime_min_per_30d",
    "slo_downtime_min_per_year",
    "error_budget_min_per_30d",
    "slo_budget_spent_min_per_30d",
    "availability_margin_min_per_30d",
    "p99_margin_ms",
    "recovery_margin_s",
    "slo_met",
)

#: The model families in evaluation order; a group may read earlier groups' outputs.
METRIC_GROUPS: list[MetricGroup] = [
    MetricGroup(
        "document",
        ("nodes", "replicas", "request_rate_rps", "recovery_speed_s"),
        (
            "doc_replicas_per_node",
            "doc_total_containers",
            "doc_balancer_load_rps",
            "doc_recovery_time_s",
        ),
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
        ("recovery_node_failure_s", "recovery_container_crash_s", "instances_moved"),
        _recovery,
    ),
    MetricGroup("headroom", (*_SIZE, "replicas", *_LOAD), ("failures_tolerated",), _headroom),
    MetricGroup("needed", _LOAD, ("instances_needed",), _needed, deduplicate=False),
    MetricGroup("service", _SERVICE_INPUTS, service.FIGURES, _service),
    MetricGroup(
        "nines",
        ("service_unavailability",),
        ("service_availability", "nines", "downtime_min_per_year"),
        _nines,
    ),
    MetricGroup(
        "latency",
        ("request_rate_rps", "instance_capacity_rps", "instances", "balancer"),
        ("overloaded", "wait_probability", "mean_response_ms", "p99_response_ms"),
        _latency,
    ),
    MetricGroup(
        "planned",
        INPUT_NAMES,
        ("planned_downtime_min_per_30d",),
        _planned,
        rows=_planned_rows,
    ),
    MetricGroup(
        "slo",
        ("slo_unavailability", *TARGET_NAMES, "p99_response_ms", "recovery_node_failure_s")
        + ("planned_downtime_min_per_30d",),
        _SLO_OUTPUTS,
        _slo,
        deduplicate=False,
    ),
]


def _metric_names() -> tuple[str, ...]:
    """Every output once: the SLO headline first, then the groups' outputs in order."""
    return tuple(
        dict.fromkeys(
            (*_SLO_OUTPUTS, "slo_unavailability")
            + tuple(name for group in METRIC_GROUPS for name in group.outputs)
        )
    )


METRIC_NAMES = _metric_names()


#: Fixed categories of the string columns, so every table (and every chunk of a sweep) has
#: the same categorical dtype.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "orchestrator": ORCHESTRATORS,
    "balancer": BALANCERS,
    "service_model": (EXACT_CONVOLUTION, EXACT_CHAIN, APPROX_CREWS, APPROX_RESCHEDULE),
}


def _categorical(name: str, values):
    """``values`` of a string column as a Categorical with the column's fixed categories, or
    unchanged when some value is not one of them (an orchestrator given as a tuned recovery
    pipeline)."""
    categories = CATEGORIES[name]
    if isinstance(values, pd.Categorical) and tuple(values.categories) == categories:
        return values
    values = np.asarray(values, dtype=object)
    if len(values) and (values.strides == (0,) or (values[:1] == values).all()):
        if isinstance(values[0], str) and values[0] in categories:  # one value: no hashing
            codes = np.full(len(values), categories.index(values[0]), dtype=np.int8)
            return pd.Categorical.from_codes(codes, categories=list(categories))
        return values
    known = np.array([isinstance(v, str) for v in pd.unique(values)])
    if not known.all():
        return values
    result = pd.Categorical(values, categories=list(categories))
    return values if (result.codes < 0).any() else result


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
        A DataFrame input keeps its index. The string columns (``orchestrator``,
        ``balancer``, ``service_model``) are categorical with fixed categories.

    Raises
    ------
    ValueError
        When an input is out of range, naming it.

    Notes
    -----
    A frame of 131,072 rows or more is split into parts computed side by side in threads, one
    per processor this process may use (numpy and scipy release the GIL in the array work);
    the numbers are those of one piece to rounding (each part deduplicates its own rows). A
    sweep's grid is computed in one piece: its rows share their inputs, and deduplicating
    over the whole grid saves more than a second processor gives. For such frames, on glibc,
    the process keeps up to 1 GiB of freed memory for the next temporary array instead of
    returning it to the kernel (``haplan._memory``; ``HAPLAN_MALLOC=default`` set before the
    first such frame turns this off; Dask workers of a sweep are left alone).
    """
    return _metrics(scenario_or_frame)


#: A frame of at least twice this many rows is split into parts of at least this many, computed
#: in one thread per processor: numpy and scipy release the GIL in the array work that
#: dominates, so the parts run side by side (each part deduplicates its own rows).
PARALLEL_PART_ROWS = 1 << 16


def _metrics(
    scenario_or_frame,
    known_codes: dict[str, tuple[np.ndarray, int]] | None = None,
    workers: int | None = None,
):
    """``metrics``, with codes a caller already has for some input columns (a sweep's grid),
    over at most ``workers`` threads (None: one per processor this process may use, or one
    for a grid: its rows share their inputs, and deduplicating over the whole grid saves more
    than a second processor gives)."""
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
    # Categorical string inputs are checked on their categories, not row by row.
    given = {
        name: frame[name].array
        for name in CATEGORIES
        if name in frame.columns and isinstance(frame[name].dtype, pd.CategoricalDtype)
    }
    for name, values in given.items():
        check_input_values(name, np.asarray(values.categories[np.unique(values.codes)], object))
    data: Columns = validated_columns(frame.drop(columns=list(given)) if given else frame)
    rows = len(frame)
    for name in ("orchestrator", "balancer"):
        data[name] = given[name] if name in given else _categorical(name, data[name])
    if given:
        data = {name: data[name] for name in (*INPUT_NAMES, *data)}  # vocabulary order
    derived = "instances" not in frame.columns and "replicas" in frame.columns
    if workers is None and rows >= 2 * PARALLEL_PART_ROWS:
        # many large temporaries: reuse their memory. Not where the caller sets the threads
        # (a Dask task: its worker's memory limit would count what is kept)
        retain_freed_memory()
    if workers is None:
        workers = 1 if known_codes else _processors()
    threads = min(workers, rows // PARALLEL_PART_ROWS)
    if threads > 1:
        # two parts a thread: smaller working sets, and a thread that finishes early takes
        # the next part instead of waiting for the other
        parts = min(2 * threads, rows // PARALLEL_PART_ROWS)
        bounds = [int(b) for b in np.linspace(0, rows, parts + 1)]
        with ThreadPoolExecutor(threads) as pool:
            results = list(
                pool.map(
                    lambda start, stop: _metric_columns(
                        {name: values[start:stop] for name, values in data.items()},
                        {n: (c[start:stop], size) for n, (c, size) in (known_codes or {}).items()},
                        stop - start,
                        derived,
                    ),
                    bounds[:-1],
                    bounds[1:],
                )
            )
        data.update({name: _concatenate([r[name] for r in results]) for name in results[0]})
    else:
        data.update(_metric_columns(data, known_codes or {}, rows, derived))
    order = [name for name in data if name not in METRIC_NAMES] + list(METRIC_NAMES)
    columns = {name: _writable(data[name]) for name in order}
    return pd.DataFrame(columns, index=frame.index, copy=False)


def _metric_columns(data: Columns, known_codes: dict, rows: int, derived: bool) -> Columns:
    """Every column the metric groups compute from the validated inputs ``data``."""
    inputs = set(data)
    data = dict(data)
    codes = Codes(data, rows)
    for name, (values, size) in known_codes.items():
        codes.set(name, values, size)
    if derived:
        codes.derive("instances", ("nodes", "replicas"))  # C = round(N × R)
    for group in METRIC_GROUPS:
        result = evaluate(group, data, codes, rows)
        for name in group.outputs:
            values = result[name]
            data[name] = values if isinstance(values, pd.Categorical) else np.asarray(values)
    data["service_model"] = _categorical("service_model", data["service_model"])
    return {name: values for name, values in data.items() if name not in inputs}


def _concatenate(parts: list):
    """One column from the parts' columns (categoricals keep their fixed categories)."""
    if isinstance(parts[0], pd.Categorical):
        codes = np.concatenate([part.codes for part in parts])
        return pd.Categorical.from_codes(codes, dtype=parts[0].dtype)
    return np.concatenate(parts)


def _processors() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _writable(values):
    """A column the returned frame owns: broadcast single values become real arrays."""
    if isinstance(values, np.ndarray) and not values.flags.writeable:
        return values.copy()
    return values
