"""Parameter sweeps: the metrics table over a Cartesian grid of inputs, on numpy or Dask.

``sweep(nodes=range(3, 21), replicas=[1, 2, 3], request_rate_rps=[100, 1000])`` evaluates
every combination. Each model is evaluated once per unique combination of its own inputs
(``haplan.metrics``), so a sweep over request rate and recovery speed does not recompute
availability. The Dask backend cuts the grid into row ranges that workers build and evaluate
themselves; both backends give identical numbers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from haplan.export import write_csv
from haplan.scenario import INPUT_NAMES, Scenario, check_input_values, relation_problems
from haplan.table import _metrics

__all__ = ["sweep", "grid", "grid_size", "grid_instances", "undescribable", "dask_client"]

DEFAULT_CHUNK_ROWS = 1_000_000  # numpy backend: one chunk per 1e6 scenarios
#: Dask workers hold a chunk and its metrics (about 0.5 GB per 1e6 rows): smaller chunks keep
#: a 1e8-scenario sweep under 1.1 GB in all (benchmarks/bench_dask_sweep.py).
DEFAULT_DASK_CHUNK_ROWS = 250_000


def _axis_values(name: str, value: Any) -> np.ndarray:
    if name not in INPUT_NAMES:
        raise ValueError(
            f"sweep axis {name!r} is not an input: valid names are {', '.join(INPUT_NAMES)}"
        )
    if isinstance(value, (str, bytes, bool)) or np.ndim(value) == 0:
        values = np.asarray([value], dtype=object if isinstance(value, str) else None)
    else:
        values = np.asarray(list(value) if not isinstance(value, np.ndarray) else value)
    values = values.ravel()
    if values.size == 0:
        raise ValueError(f"sweep axis {name}=[] is empty: give at least one value")
    return values


def _axes(axes: Mapping[str, Any], base: Scenario | None = None) -> dict[str, np.ndarray]:
    if not axes:
        raise ValueError("sweep needs at least one input, e.g. sweep(nodes=range(3, 10))")
    if "replicas" in axes and "instances" in axes:
        raise ValueError("sweep over replicas or over instances, not both")
    prepared = {name: _axis_values(name, value) for name, value in axes.items()}
    if base is None:
        return prepared
    return {**prepared, **{k: _axis_values(k, v) for k, v in fixed_inputs(base, axes).items()}}


def fixed_inputs(base: Scenario, axes: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of ``base`` that ``axes`` do not sweep, ready to be single-valued axes.

    ``base`` keeps whichever of ``replicas``/``instances`` it was sized by, unless the axes
    sweep one of them; an unlimited ``repair_crews`` becomes NaN.
    """
    fixed = {k: v for k, v in base.inputs().items() if k not in axes}
    if "instances" in axes or "replicas" in axes:
        fixed.pop("instances", None)
        fixed.pop("replicas", None)
    else:
        fixed.pop("replicas" if base.sized_by == "instances" else "instances")
    if fixed.get("repair_crews", 0) is None:
        fixed["repair_crews"] = np.nan
    return fixed


def grid_size(**axes: Any) -> int:
    """Number of scenarios in the Cartesian grid of ``axes``."""
    return math.prod(len(v) for v in _axes(axes).values())


def _grid_columns(
    axes: dict[str, np.ndarray], start: int, stop: int, writable: bool = False
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, int]]]:
    """Rows ``start:stop`` of the Cartesian grid (first axis varies slowest), and each swept
    axis's integer codes (its grid positions) for :func:`haplan.table.metrics`.

    A single-valued axis is one broadcast value (no copy) unless ``writable``; a string axis
    is categorical.
    """
    rows = stop - start
    swept = {name: len(values) for name, values in axes.items() if len(values) > 1}
    index = np.arange(start, stop, dtype=np.int64)
    unravelled = np.unravel_index(index, tuple(swept.values())) if swept else ()
    positions = dict(zip(swept, unravelled, strict=True))
    columns, codes = {}, {}
    for name, values in axes.items():
        if name in _STRING_AXES:
            columns[name] = _string_column(name, values, positions.get(name), rows)
        elif name in positions:
            columns[name] = values.take(positions[name])
            codes[name] = (positions[name], len(values))
        else:
            columns[name] = np.broadcast_to(values[:1], (rows,))
            if writable:
                columns[name] = columns[name].copy()
    frame = pd.DataFrame(columns, index=pd.RangeIndex(start, stop), copy=False)
    parts = [codes[name] for name in ("nodes", "replicas") if name in codes]
    if "instances" not in axes and "replicas" in axes and parts:
        combined, span = parts[0]  # C = round(N × R): a function of the swept ones
        for part, size in parts[1:]:
            combined, span = combined * size + part, span * size
        codes["instances"] = (combined, span)
    return frame, codes


_STRING_AXES = ("orchestrator", "balancer")


def _string_column(name, values, positions, rows) -> pd.Categorical:
    from haplan.table import CATEGORIES

    categories = list(CATEGORIES[name])
    axis_codes = np.array([categories.index(v) if v in categories else -1 for v in values])
    if (axis_codes < 0).any():  # not a known name: let validation name it
        return pd.Categorical(values[positions] if positions is not None else [values[0]] * rows)
    codes = axis_codes[positions] if positions is not None else np.full(rows, axis_codes[0])
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=categories)


def _grid_rows(axes: dict[str, np.ndarray], start: int, stop: int) -> pd.DataFrame:
    """Rows ``start:stop`` of the Cartesian grid (first axis varies slowest)."""
    return _grid_columns(axes, start, stop, writable=True)[0]


def grid(base: Scenario | None = None, **axes: Any) -> pd.DataFrame:
    """The Cartesian grid of ``axes`` as a DataFrame of inputs (no metrics).

    With ``base``, every input the axes do not sweep takes ``base``'s value.
    """
    prepared = _axes(axes, base)
    return _grid_rows(prepared, 0, math.prod(len(v) for v in prepared.values()))


def grid_instances(frame: pd.DataFrame) -> np.ndarray:
    """Total instances C of each row of a grid, given or as round(N × R) [count]."""
    if "instances" in frame:
        return frame["instances"].to_numpy(dtype=float)
    return np.round(frame["nodes"].to_numpy(float) * frame["replicas"].to_numpy(float))


def undescribable(frame: pd.DataFrame) -> np.ndarray:
    """Why each row of a grid is not a scenario the inputs can describe ('' when it is).

    A grid over nodes and replicas can hold cells with fewer nodes than zones, fewer
    instances than ``min_instances`` or more per node than ``max_instances_per_node``
    (:func:`haplan.scenario.relation_problems`); the planner rejects them with this reason and
    the report's figures leave them out, instead of the whole grid failing.
    """
    return relation_problems(
        frame["nodes"].to_numpy(),
        grid_instances(frame),
        frame["min_instances"].to_numpy(),
        frame["zones"].to_numpy(),
        frame["max_instances_per_node"].to_numpy() if "max_instances_per_node" in frame else np.inf,
    )


def _chunk_metrics(
    axes: dict[str, np.ndarray], start: int, stop: int, workers: int | None = None
) -> pd.DataFrame:
    """Rows ``start`` … ``stop`` − 1 of the grid, over ``workers`` threads (None: one per
    processor; a Dask task takes one, its cluster shares out the processors)."""
    frame, codes = _grid_columns(axes, start, stop)
    return _metrics(frame, codes, workers)


def _chunk_to_file(
    axes, start, stop, directory: str, file_format: str, workers: int | None = None
) -> str:
    table = _chunk_metrics(axes, start, stop, workers)
    path = Path(directory) / f"sweep-{start:012d}.{file_format}"
    if file_format == "csv":
        write_csv(table, path)
    else:
        table.to_parquet(path, index=False)
    return str(path)


def _progress(enabled: bool | None, total: int):
    from rich.progress import Progress

    if enabled is None:
        enabled = sys.stderr.isatty()
    progress = Progress(disable=not enabled, transient=True)
    return progress


def _ranges(total: int, chunk_rows: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk_rows, total)) for s in range(0, total, chunk_rows)]


def dask_client(client):
    """A ``dask.distributed.Client`` and whether the caller owns it (must close it).

    Parameters
    ----------
    client : Client, str or None
        An existing client (returned as is, not owned), a scheduler address (connected,
        owned), or None (a LocalCluster in this process: one worker, two threads, owned).
    """
    from dask.distributed import Client, LocalCluster

    if client is None:
        cluster = LocalCluster(processes=False, n_workers=1, threads_per_worker=2)
        return Client(cluster), True
    if isinstance(client, str):
        return Client(client), True
    return client, False


def sweep(
    *,
    base: Scenario | None = None,
    backend: str = "numpy",
    client: Any = None,
    chunk_rows: int | None = None,
    out: str | Path | None = None,
    file_format: str = "csv",
    lazy: bool = False,
    progress: bool | None = None,
    **axes: Any,
) -> pd.DataFrame | list[str]:
    """Evaluate every metric over the Cartesian grid of the given inputs.

    Parameters
    ----------
    base : Scenario, optional
        Values for the inputs that are not swept (default: each input's Scenario default,
        ``replicas`` 1 when neither it nor ``instances`` is swept).
    backend : {"numpy", "dask"}
        ``"numpy"`` evaluates here; ``"dask"`` evaluates chunks on a ``dask.distributed``
        cluster.
    client : dask.distributed.Client or str, optional
        A Client or a scheduler address (``"tcp://host:8786"``) for ``backend="dask"``;
        without one a LocalCluster in this process is started and closed afterwards.
    chunk_rows : int, optional
        Scenarios per chunk [count]; default 1,000,000 on numpy, 250,000 on Dask.
    out : path, optional
        A directory: each chunk is written there (CSV or Parquet) instead of being returned,
        for grids that do not fit in memory; the list of file paths is returned.
    file_format : {"csv", "parquet"}
        Format of the chunk files when ``out`` is given.
    lazy : bool
        With ``backend="dask"``: return a ``dask.dataframe.DataFrame`` whose partitions are
        the chunks, computed only when asked (``.compute()``, ``.to_parquet(...)``), for
        grids larger than memory. The client must stay open while it is used.
    progress : bool, optional
        Show a progress bar; default: only when stderr is a terminal.
    **axes
        Input names (``nodes``, ``replicas``, ``request_rate_rps``, ``recovery_speed_s`` or
        any other Scenario input) with a scalar or a sequence of values.

    Returns
    -------
    pandas.DataFrame, dask.dataframe.DataFrame or list of str
        One row per scenario, inputs then metrics (vocabulary names); a lazy dask frame of
        them (``lazy=True``); or the chunk files (``out``).

    Examples
    --------
    >>> table = sweep(nodes=range(3, 6), replicas=[1, 2], request_rate_rps=100)
    >>> len(table)
    6
    """
    if backend not in ("numpy", "dask"):
        raise ValueError(f"backend={backend!r} is not known: must be 'numpy' or 'dask'")
    if chunk_rows is None:
        chunk_rows = DEFAULT_DASK_CHUNK_ROWS if backend == "dask" or lazy else DEFAULT_CHUNK_ROWS
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows={chunk_rows!r} is out of range: must be a whole number >= 1")
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format={file_format!r} is not known: must be 'csv' or 'parquet'")
    prepared = _axes(axes, base)
    total = math.prod(len(v) for v in prepared.values())
    # Validate the whole grid's inputs once, before any work is sent anywhere.
    for name, values in prepared.items():
        check_input_values(name, values)
    ranges = _ranges(total, chunk_rows)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    if lazy:
        if backend != "dask" or out is not None:
            raise ValueError("lazy=True needs backend='dask' and no out= directory")
        return _sweep_lazy(prepared, ranges)
    if backend == "dask":
        return _sweep_dask(prepared, ranges, client, out, file_format)
    results = []
    with _progress(progress, total) as bar:
        task = bar.add_task("sweep", total=total)
        for start, stop in ranges:
            if out is None:
                results.append(_chunk_metrics(prepared, start, stop))
            else:
                results.append(_chunk_to_file(prepared, start, stop, str(out), file_format))
            bar.advance(task, stop - start)
    if out is not None:
        return results
    return pd.concat(results) if len(results) > 1 else results[0]


def _sweep_lazy(axes, ranges):
    import dask
    import dask.dataframe as dd

    meta = _chunk_metrics(axes, 0, 1).iloc[:0]
    parts = [dask.delayed(_chunk_metrics)(axes, s, e, 1) for s, e in ranges]
    divisions = [s for s, _ in ranges] + [ranges[-1][1] - 1]
    return dd.from_delayed(parts, meta=meta, divisions=divisions)


def _sweep_dask(axes, ranges, client, out, file_format):
    client, owned = dask_client(client)
    try:
        if out is None:
            futures = [client.submit(_chunk_metrics, axes, s, e, 1, pure=False) for s, e in ranges]
        else:
            futures = [
                client.submit(_chunk_to_file, axes, s, e, str(out), file_format, 1, pure=False)
                for s, e in ranges
            ]
        results = client.gather(futures)
    finally:
        if owned:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    if out is not None:
        return list(results)
    return pd.concat(results) if len(results) > 1 else results[0]


def parse_axis(text: str, *, integer: bool = False) -> list:
    """Parse a CLI axis: ``"3:20"`` (inclusive range, step 1), ``"1:10:3"``, ``"1,2,4"``, ``"7"``.

    Ranges are inclusive of both ends, as a user reads ``3:20``.
    """
    text = text.strip()
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) == 3 else 1.0
            if step <= 0 or stop < start:
                raise ValueError
            count = int(math.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(count)]
        else:
            values = [float(p) for p in text.split(",") if p.strip()]
            if not values:
                raise ValueError
    except ValueError:
        raise ValueError(
            f"axis {text!r} is not valid: use START:STOP[:STEP] or a comma-separated list"
        ) from None
    if integer:
        if any(v != round(v) for v in values):
            raise ValueError(f"axis {text!r} is not valid: must hold whole numbers")
        return [int(round(v)) for v in values]
    return values
