"""A 1e8-scenario sweep on a Dask LocalCluster writing Parquet chunks: peak memory and speed.

Issue 7's second speed requirement: "A 1e8-scenario sweep on a Dask LocalCluster writing
chunks to disk completes with peak memory under 2 GB (report the figure)."

The public API does the work: ``haplan.sweep(backend="dask", client=..., out=<dir>,
file_format="parquet", chunk_rows=..., **axes)`` on a LocalCluster of 2 worker processes with
one thread each. Grid: nodes 1 … 100 × replicas 1 … 10 × request_rate_rps (up to 1000 values)
× recovery_speed_s (as many values as ``--scenarios`` needs; 100 for 1e8).

Peak memory is that of the whole process tree: this process (driver, scheduler and nannies)
plus every child (the workers), RSS summed over all of them every 0.2 s in a background
thread; the reported figure is the largest sum. RSS counts shared library pages once per
process, so the sum overstates the memory really in use slightly. Also reported: wall time of
the sweep call, scenarios/s, files and bytes written, and a row count read back from the
Parquet footers. The output directory is deleted at the end.

``python benchmarks/bench_dask_sweep.py`` runs the 1e8 grid (minutes on 2 cores);
``--scenarios 1e7`` a tenth of it.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq
from _targets import target
from dask.distributed import Client, LocalCluster

import haplan

LIMIT_BYTES = 2 * 10**9  # "under 2 GB"
SAMPLE_EVERY_S = 0.2


class PeakMemory:
    """Largest summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, every_s: float = SAMPLE_EVERY_S):
        self.root = psutil.Process()
        self.every_s = every_s
        self.peak_bytes = 0
        self.peak_driver_bytes = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> int:
        processes = [self.root, *self.root.children(recursive=True)]
        total = 0
        for process in processes:
            try:
                rss = process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue  # a process that ended between listing and reading
            total += rss
            if process is self.root:
                self.peak_driver_bytes = max(self.peak_driver_bytes, rss)
        if total > self.peak_bytes:
            self.peak_bytes, self.peak_processes = total, len(processes)
        self.samples += 1
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def grid_axes(scenarios: int) -> dict[str, np.ndarray]:
    """nodes × replicas × request rates × recovery speeds with at least ``scenarios`` rows."""
    base = 100 * 10
    rates = min(1000, max(1, math.ceil(scenarios / base)))
    speeds = max(1, math.ceil(scenarios / (base * rates)))
    return {
        "nodes": np.arange(1, 101),
        "replicas": np.arange(1, 11),
        "request_rate_rps": np.linspace(10.0, 10_000.0, rates),
        "recovery_speed_s": np.linspace(1.0, 100.0, speeds),
    }


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=float, default=1e8, help="grid size (default 1e8)")
    parser.add_argument("--chunk-rows", type=int, default=250_000, help="scenarios per chunk")
    parser.add_argument("--memory-limit", default="1GiB", help="Dask memory_limit per worker")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to write chunks")
    args = parser.parse_args()

    axes = grid_axes(int(args.scenarios))
    total = math.prod(len(v) for v in axes.values())
    out = Path(tempfile.mkdtemp(prefix="haplan-dask-sweep-", dir=args.dir))
    free = shutil.disk_usage(out).free
    print(
        f"{total:,} scenarios ({' x '.join(str(len(v)) for v in axes.values())}), "
        f"chunks of {args.chunk_rows:,} rows, 2 workers x 1 thread, memory_limit "
        f"{args.memory_limit}/worker; {_gb(free)} free in {out.parent}"
    )
    try:
        with PeakMemory() as memory:
            before = memory.sample()
            start = time.perf_counter()
            cluster = LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                memory_limit=args.memory_limit,
                dashboard_address=None,
            )
            client = Client(cluster)
            startup_s = time.perf_counter() - start
            idle = memory.sample()
            try:
                start = time.perf_counter()
                files = haplan.sweep(
                    backend="dask",
                    client=client,
                    out=out,
                    file_format="parquet",
                    chunk_rows=args.chunk_rows,
                    progress=False,
                    **axes,
                )
                wall_s = time.perf_counter() - start
            finally:
                client.close()
                cluster.close()
        written = sum(Path(f).stat().st_size for f in files)
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        met = memory.peak_bytes < LIMIT_BYTES
        print(f"cluster start {startup_s:.1f} s; memory before {_gb(before)}, idle {_gb(idle)}")
        print(
            f"sweep: {wall_s:.1f} s, {total / wall_s:,.0f} scenarios/s; {len(files):,} files, "
            f"{_gb(written)} written, {rows:,} rows read back "
            f"({'complete' if rows == total else 'INCOMPLETE'})"
        )
        print(
            f"peak memory of the process tree: {_gb(memory.peak_bytes)} "
            f"({memory.peak_processes} processes; driver alone peaked at "
            f"{_gb(memory.peak_driver_bytes)}; {memory.samples} samples every {SAMPLE_EVERY_S} s)"
        )
        print(f"target peak < {_gb(LIMIT_BYTES)}: {'met' if met else 'NOT met'}")
        target("dask sweep peak memory", _gb(memory.peak_bytes), f"< {_gb(LIMIT_BYTES)}", met)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
