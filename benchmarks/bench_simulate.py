"""Speed of ``haplan.simulate`` against an equivalent SimPy model of the same cluster.

Target: for equal simulated node-years, the vectorised simulator is at least 100x faster than
a discrete-event SimPy model of the same cluster (nodes failing and being repaired
independently, exponential lifetimes and repairs, stationary start, instances spread evenly,
service down below ``min_instances``, capacity short below the instances the load needs,
outages counted). Both are timed in this run on the same machine; both estimates are printed
so one can see they simulate the same thing.

Both sides are warmed up, then timed as the best of fifteen runs taken in turn (one of each
per round), so a machine busy for a while penalises neither more. The vectorised side
covers ten times the node-years of the SimPy side; rates are compared per simulated
node-year (SimPy's cost is per event, so it scales linearly).

Run: ``python benchmarks/bench_simulate.py`` (about 5 s).
"""

from __future__ import annotations

import math
import random
import time

import numpy as np
import simpy

from haplan import load
from haplan.availability import (
    instances_per_node,
    service_unavailability,
    steady_state_unavailability,
)
from haplan.scenario import Scenario
from haplan.simulate import simulate

TARGET_RATIO = 100.0
SCENARIO = Scenario(
    nodes=10,
    instances=20,
    min_instances=14,
    node_mttf_h=100.0,
    node_mttr_h=10.0,
    instance_mttf_h=math.inf,
    request_rate_rps=1100.0,
    instance_capacity_rps=100.0,
    max_utilization=0.7,
)
HORIZON_H = 2000.0
REPLICATIONS = 2000  # vectorised run: 10 nodes x 2000 x 2000 h = 4563 node-years
SIMPY_REPLICATIONS = 200  # a tenth of the node-years, scaled up (SimPy's cost is per event)
ROUNDS = 15


def simpy_replication(scenario: Scenario, horizon_h: float, seed: int) -> tuple[float, float, int]:
    """One replication as a SimPy model: (downtime_h, capacity_shortfall_h, outages)."""
    env = simpy.Environment()
    rnd = random.Random(seed)
    per_node = [int(c) for c in instances_per_node(scenario.nodes, scenario.instances)]
    needed = float(
        load.instances_needed(
            scenario.request_rate_rps, scenario.instance_capacity_rps, scenario.max_utilization
        )
    )
    mttf, mttr, k = scenario.node_mttf_h, scenario.node_mttr_h, scenario.min_instances
    state = {"up": scenario.instances, "changed": 0.0, "down": 0.0, "short": 0.0, "outages": 0}

    def change(delta: int) -> None:
        elapsed = env.now - state["changed"]
        if state["up"] < k:
            state["down"] += elapsed
        if state["up"] < needed:
            state["short"] += elapsed
        was_up = state["up"] >= k
        state["up"] += delta
        state["changed"] = env.now
        if was_up and state["up"] < k and env.now > 0:
            state["outages"] += 1

    def node(instances: int):
        # Stationary start: down with probability MTTR / (MTTF + MTTR), memoryless residuals.
        if rnd.random() < mttr / (mttf + mttr):
            change(-instances)
            yield env.timeout(rnd.expovariate(1.0 / mttr))
            change(instances)
        while True:
            yield env.timeout(rnd.expovariate(1.0 / mttf))
            change(-instances)
            yield env.timeout(rnd.expovariate(1.0 / mttr))
            change(instances)

    for instances in per_node:
        env.process(node(instances))
    env.run(until=horizon_h)
    change(0)  # close the last interval at the horizon
    return state["down"], state["short"], state["outages"]


def run_simpy(replications: int) -> np.ndarray:
    """``replications`` SimPy replications (seeds 0, 1, ...): rows of their results."""
    return np.array(
        [simpy_replication(SCENARIO, HORIZON_H, seed) for seed in range(replications)],
        dtype=float,
    )


def main() -> None:
    node_years = SCENARIO.nodes * HORIZON_H / 8766.0
    # Import and first-call costs (imports, work arrays) out of the timing, on both sides.
    simulate(SCENARIO, HORIZON_H, REPLICATIONS, seed=0)
    run_simpy(2)
    best = simpy_seconds = math.inf
    for repeat in range(ROUNDS):
        start = time.perf_counter()
        result = simulate(SCENARIO, HORIZON_H, REPLICATIONS, seed=repeat)
        best = min(best, time.perf_counter() - start)
        start = time.perf_counter()
        rows = run_simpy(SIMPY_REPLICATIONS)
        simpy_seconds = min(simpy_seconds, time.perf_counter() - start)
    fast_rate = REPLICATIONS * node_years / best
    simpy_rate = SIMPY_REPLICATIONS * node_years / simpy_seconds
    ratio = fast_rate / simpy_rate
    print(
        f"cluster: {SCENARIO.nodes} nodes, {SCENARIO.instances} instances, "
        f"k={SCENARIO.min_instances}, MTTF {SCENARIO.node_mttf_h:g} h, "
        f"MTTR {SCENARIO.node_mttr_h:g} h, horizon {HORIZON_H:g} h"
    )
    print(
        f"haplan.simulate: {REPLICATIONS} replications in {best:.3f} s "
        f"({fast_rate:,.0f} node-years/s); service unavailability "
        f"{result.service_unavailability:.5f} ± {result.service_unavailability_se:.5f}, "
        f"capacity {result.capacity_unavailability:.4f}"
    )
    print(
        f"SimPy:           {SIMPY_REPLICATIONS} replications in {simpy_seconds:.3f} s "
        f"({simpy_rate:,.0f} node-years/s); service unavailability "
        f"{rows[:, 0].mean() / HORIZON_H:.5f} ± "
        f"{rows[:, 0].std(ddof=1) / HORIZON_H / math.sqrt(len(rows)):.5f}, "
        f"capacity {rows[:, 1].mean() / HORIZON_H:.4f}"
    )
    q = steady_state_unavailability(SCENARIO.node_mttf_h, SCENARIO.node_mttr_h)
    exact = service_unavailability(SCENARIO.nodes, SCENARIO.instances, SCENARIO.min_instances, q)
    print(f"analytic:        service unavailability {exact:.5f}")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"speed-up for equal node-years: {ratio:.0f}x (target >= {TARGET_RATIO:.0f}x: {verdict})")


if __name__ == "__main__":
    main()
