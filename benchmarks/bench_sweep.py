"""Sweeps with every metric into a DataFrame vs a per-row loop over the public scalar functions.

Three workloads, each against the loop (timed on a random sample of rows and scaled up, in
the same run), targets from issue 17:

1. the README's grid (N 1-100, R 1-10, P 0-990 req/s, S 10-100 s; 1e6 rows, many of which
   share their availability inputs): at least 3e6 scenarios/s;
2. a grid with request rates up to 1e4 req/s (P 0-9,900 step 100; more distinct queue sizes
   and thresholds): at least 200x the per-row loop;
3. 1e6 rows that are all distinct (random node and instance MTTF/MTTR, request rates and
   recovery speeds, N 1-50, C 1-50 instances, N <= C): at least 1e6 scenarios/s.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from _targets import target

import haplan
from haplan import availability, balancing, document, load, markov, recovery

README_GRID = {
    "nodes": range(1, 101),
    "replicas": range(1, 11),
    "request_rate_rps": np.arange(0.0, 1000.0, 10.0),
    "recovery_speed_s": np.arange(10.0, 110.0, 10.0),
}
HIGH_RATE_GRID = {**README_GRID, "request_rate_rps": np.arange(0.0, 10_000.0, 100.0)}
DISTINCT_ROWS = 1_000_000
LOOP_SAMPLE = 300


def distinct_rows(rows: int, seed: int = 0) -> pd.DataFrame:
    """Scenarios that share no input combination (uncertain MTTF/MTTR and load)."""
    rng = np.random.default_rng(seed)
    instances = rng.integers(1, 51, rows)
    return pd.DataFrame(
        {
            "nodes": np.minimum(rng.integers(1, 51, rows), instances),
            "instances": instances,
            "request_rate_rps": rng.uniform(0.0, 3000.0, rows),
            "recovery_speed_s": rng.uniform(5.0, 120.0, rows),
            "node_mttf_h": rng.uniform(100.0, 5000.0, rows),
            "node_mttr_h": rng.uniform(0.1, 24.0, rows),
            "instance_mttf_h": rng.uniform(50.0, 2000.0, rows),
            "instance_mttr_h": rng.uniform(0.01, 1.0, rows),
        }
    )


def one_row(s: haplan.Scenario) -> dict:
    """Every metric of one scenario, from the public scalar functions."""
    qn = availability.steady_state_unavailability(s.node_mttf_h, s.node_mttr_h)
    qi = availability.steady_state_unavailability(s.instance_mttf_h, s.instance_mttr_h)
    qz = availability.steady_state_unavailability(s.zone_mttf_h, s.zone_mttr_h)
    u = availability.service_unavailability(
        s.nodes, s.instances, s.min_instances, qn, qi, s.zones, qz
    )
    rate, cap, c = s.request_rate_rps, s.instance_capacity_rps, s.instances
    row = {
        "doc_total_containers": document.total_containers(s.nodes, s.replicas),
        "doc_balancer_load_rps": document.balancer_load(s.nodes, s.replicas, rate),
        "doc_recovery_time_s": document.recovery_time(s.nodes, s.replicas, s.recovery_speed_s),
        "service_unavailability": u,
        "nines": availability.nines(u),
        "downtime_min_per_year": availability.downtime_minutes(u),
        "wait_probability": balancing.wait_probability(s.balancer, rate, cap, c),
        "mean_response_ms": 1e3 * balancing.mean_response_time(s.balancer, rate, cap, c),
        "p99_response_ms": 1e3 * balancing.response_time_quantile(s.balancer, 0.99, rate, cap, c),
        "failures_tolerated": load.failures_tolerated(
            s.nodes, s.replicas, rate, cap, s.max_utilization
        ),
        "capacity_unavailability": load.capacity_unavailability(
            s.nodes, c, rate, cap, s.max_utilization, qn, qi, s.zones, qz
        ),
        "recovery_node_failure_s": recovery.node_failure_recovery_s(
            s.orchestrator, math.ceil(c / s.nodes)
        ),
        "recovery_container_crash_s": recovery.container_crash_recovery_s(s.orchestrator),
    }
    row.update(
        markov.service_outage_metrics(
            s.nodes, c, s.min_instances, s.node_mttf_h, s.node_mttr_h, s.repair_crews
        )
    )
    return row


def best_of(function, repeats):
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def loop_seconds(table: pd.DataFrame, columns: tuple[str, ...]) -> float:
    """The per-row loop over ``LOOP_SAMPLE`` random rows of ``table``, scaled to all rows [s]."""
    rng = np.random.default_rng(0)
    sample = table.iloc[rng.choice(len(table), LOOP_SAMPLE, replace=False)]
    whole = ("nodes", "instances")
    scenarios = [
        haplan.Scenario(
            **{n: int(v) if n in whole else float(v) for n, v in zip(columns, values, strict=True)}
        )
        for values in sample[list(columns)].itertuples(index=False)
    ]
    start = time.perf_counter()
    for scenario in scenarios:
        one_row(scenario)
    return (time.perf_counter() - start) * len(table) / LOOP_SAMPLE


def report(label: str, rows: int, seconds: float, loop_s: float, columns: int) -> None:
    print(f"{label}: {rows:,} scenarios, {columns} columns: best {seconds:.2f} s")
    print(f"  {rows / seconds:,.0f} scenarios/s; per-row loop {loop_s:,.0f} s for {rows:,} rows")
    print(f"  ({rows / loop_s:,.0f} scenarios/s, timed on {LOOP_SAMPLE} random rows and scaled)")
    print(f"  ratio loop/sweep: {loop_s / seconds:,.0f}x")


def main() -> None:
    haplan.sweep(nodes=[3], replicas=[1])  # import and first-call costs out of the timing
    grid_columns = ("nodes", "replicas", "request_rate_rps", "recovery_speed_s")

    total = math.prod(len(v) for v in README_GRID.values())
    best, table = best_of(lambda: haplan.sweep(**README_GRID, progress=False), 5)
    loop_s = loop_seconds(table, grid_columns)
    report("README grid", total, best, loop_s, table.shape[1])
    rate = total / best
    target("sweep README grid", f"{rate / 1e6:.2f}e6 scenarios/s", ">= 3e6/s", rate >= 3e6)

    best, table = best_of(lambda: haplan.sweep(**HIGH_RATE_GRID, progress=False), 5)
    loop_s = loop_seconds(table, grid_columns)
    report("grid with request rates to 1e4 req/s", total, best, loop_s, table.shape[1])
    ratio = loop_s / best
    target("sweep high-rate grid vs per-row loop", f"{ratio:,.0f}x", ">= 200x", ratio >= 200)

    frame = distinct_rows(DISTINCT_ROWS)
    best, table = best_of(lambda: haplan.metrics(frame), 2)
    loop_s = loop_seconds(table, tuple(frame.columns))
    report("distinct rows", DISTINCT_ROWS, best, loop_s, table.shape[1])
    rate = DISTINCT_ROWS / best
    target("sweep distinct rows", f"{rate / 1e6:.2f}e6 scenarios/s", ">= 1e6/s", rate >= 1e6)


if __name__ == "__main__":
    main()
