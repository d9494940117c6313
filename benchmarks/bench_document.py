"""The article's formulas over 1e6 scenarios: vectorised call vs a per-row Python loop.

Prints the ratio of the loop's time to the vectorised time, both measured in this run.
"""

from __future__ import annotations

import time

import numpy as np

from haplan import document

ROWS = 1_000_000
LOOP_ROWS = 20_000


def main() -> None:
    rng = np.random.default_rng(0)
    nodes = rng.integers(1, 100, ROWS).astype(float)
    replicas = rng.integers(1, 10, ROWS).astype(float)
    rate = rng.uniform(0, 1e4, ROWS)
    start = time.perf_counter()
    document.balancer_load(nodes, replicas, rate)
    vector_s = time.perf_counter() - start
    start = time.perf_counter()
    for n, r, p in zip(nodes[:LOOP_ROWS], replicas[:LOOP_ROWS], rate[:LOOP_ROWS], strict=True):
        document.balancer_load(float(n), float(r), float(p))
    loop_s = (time.perf_counter() - start) * ROWS / LOOP_ROWS
    print(f"balancer_load, {ROWS:,} rows: vectorised {vector_s * 1e3:.1f} ms")
    print(f"per-row loop (timed on {LOOP_ROWS:,} rows, scaled): {loop_s:.2f} s")
    print(f"ratio loop/vectorised: {loop_s / vector_s:,.0f}x")


if __name__ == "__main__":
    main()
