"""Speed of ``haplan.simulate`` on every path against an equivalent SimPy model of each.

One cluster (10 nodes, 20 instances, k = 14, 16 instances needed for the load, exponential
node lifetimes of 100 h and repairs of 10 h, a 2000 h window) and five paths of the
simulator, each adding one mechanism:

* ``nodes only``   independent node failures (the integer-clock fast path);
* ``containers``   plus container crashes (each instance: MTTF 200 h, MTTR 1 h);
* ``zones``        plus 3 failure zones (MTTF 500 h, MTTR 5 h), nodes round-robin over them;
* ``1 crew``       node repairs queue (first failed, first served) for one repair crew;
* ``reschedule``   plus rescheduling: after Kubernetes' recovery time the instances of a down
  node run on the free slots of the others (at most 3 per node), H + min(E, F) serve.

Each SimPy baseline is the same model, written as a good engineer would write it in SimPy
(one process per node, container and zone, a ``simpy.Resource`` for the crews, state kept in
counters updated as events happen, stationary start like the simulator's; the crews' queue
starts from its chain's stationary state, as the simulator's does), and both sides
print their estimates so one can see they simulate the same thing. Target: per simulated
node-year, ``haplan.simulate`` is at least 50x faster on every path.

Both sides are warmed up, then timed as the best of several runs taken in turn (one of each
per round), so a machine busy for a while penalises neither more; the time is this process's
CPU time (both sides run on one thread), so other programs taking turns on the CPU do not
count against either. The vectorised side covers ten times the node-years of the SimPy side;
rates are compared per simulated node-year (SimPy's cost is per event, so it scales linearly
with the node-years; running it 10x longer would only make the benchmark slower). With
rescheduling both sides also simulate the simulator's short warm-up (1 h here) before the
window, and count only the window's node-years.

Run: ``python benchmarks/bench_simulate.py`` (about 30 s).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import numpy as np
import simpy
from _targets import target

from haplan import load
from haplan.availability import instances_per_node
from haplan.scenario import Scenario
from haplan.simulate import Exponential, compare_with_analytic, simulate
from haplan.simulate.model import build_model

TARGET_RATIO = 50.0
BASE = Scenario(
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
REPLICATIONS = 2000  # vectorised: 10 nodes x 2000 x 2000 h = 4563 node-years
SIMPY_REPLICATIONS = 200  # a tenth of the node-years, compared per node-year
ROUNDS = 9


class Tracker:
    """Instances serving over time in a SimPy run: downtime, shortfall, outages in a window."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, up: int, start_h: float):
        self.env = env
        self.k = scenario.min_instances
        self.needed = float(
            load.instances_needed(
                scenario.request_rate_rps, scenario.instance_capacity_rps, scenario.max_utilization
            )
        )
        self.start_h = start_h
        self.up = up
        self.changed = 0.0
        self.down_h = self.short_h = 0.0
        self.outages = 0

    def set(self, up: int) -> None:
        """The instances serving are now ``up``."""
        now = self.env.now
        elapsed = now - max(self.changed, self.start_h)
        if elapsed > 0:
            if self.up < self.k:
                self.down_h += elapsed
            if self.up < self.needed:
                self.short_h += elapsed
        if self.up >= self.k > up and now > self.start_h:
            self.outages += 1
        self.up = up
        self.changed = now

    def add(self, delta: int) -> None:
        self.set(self.up + delta)

    def result(self, end_h: float) -> tuple[float, float, int]:
        self.env.run(until=end_h)
        self.set(self.up)  # close the last interval at the end
        return self.down_h, self.short_h, self.outages


def _alternating(env, rnd, mttf, mttr, on_fail, on_repair):
    """A unit failing and being repaired, exponentially, from a stationary start."""
    if rnd.random() < mttr / (mttf + mttr):
        on_fail()
        yield env.timeout(rnd.expovariate(1.0 / mttr))
        on_repair()
    while True:
        yield env.timeout(rnd.expovariate(1.0 / mttf))
        on_fail()
        yield env.timeout(rnd.expovariate(1.0 / mttr))
        on_repair()


def simpy_nodes(scenario: Scenario, seed: int) -> tuple[float, float, int]:
    """Independent node failures."""
    env, rnd = simpy.Environment(), random.Random(seed)
    tracker = Tracker(env, scenario, scenario.instances, 0.0)
    for p in instances_per_node(scenario.nodes, scenario.instances):
        p = int(p)
        env.process(
            _alternating(
                env,
                rnd,
                scenario.node_mttf_h,
                scenario.node_mttr_h,
                lambda p=p: tracker.add(-p),
                lambda p=p: tracker.add(p),
            )
        )
    return tracker.result(HORIZON_H)


def simpy_containers(scenario: Scenario, seed: int) -> tuple[float, float, int]:
    """Node failures and container crashes: an instance serves while both are up."""
    env, rnd = simpy.Environment(), random.Random(seed)
    tracker = Tracker(env, scenario, scenario.instances, 0.0)
    per_node = [int(p) for p in instances_per_node(scenario.nodes, scenario.instances)]
    node_up = [True] * len(per_node)
    running = list(per_node)  # containers up, per node

    def node_fail(i):
        node_up[i] = False
        tracker.add(-running[i])

    def node_repair(i):
        node_up[i] = True
        tracker.add(running[i])

    def crash(i):
        running[i] -= 1
        if node_up[i]:
            tracker.add(-1)

    def restart(i):
        running[i] += 1
        if node_up[i]:
            tracker.add(1)

    mttf, mttr = scenario.node_mttf_h, scenario.node_mttr_h
    for i, p in enumerate(per_node):
        env.process(
            _alternating(env, rnd, mttf, mttr, lambda i=i: node_fail(i), lambda i=i: node_repair(i))
        )
        for _ in range(p):
            env.process(
                _alternating(
                    env,
                    rnd,
                    scenario.instance_mttf_h,
                    scenario.instance_mttr_h,
                    lambda i=i: crash(i),
                    lambda i=i: restart(i),
                )
            )
    return tracker.result(HORIZON_H)


def simpy_zones(scenario: Scenario, seed: int) -> tuple[float, float, int]:
    """Node and zone failures: node i (in zone i mod Z) is reachable while both are up."""
    env, rnd = simpy.Environment(), random.Random(seed)
    tracker = Tracker(env, scenario, scenario.instances, 0.0)
    per_node = [int(p) for p in instances_per_node(scenario.nodes, scenario.instances)]
    zones = scenario.zones
    zone_up = [True] * zones
    on_up_nodes = [0] * zones  # instances on up nodes, per zone
    for i, p in enumerate(per_node):
        on_up_nodes[i % zones] += p

    def node_change(i, delta):
        z = i % zones
        on_up_nodes[z] += delta
        if zone_up[z]:
            tracker.add(delta)

    def zone_change(z, up):
        zone_up[z] = up
        tracker.add(on_up_nodes[z] if up else -on_up_nodes[z])

    mttf, mttr = scenario.node_mttf_h, scenario.node_mttr_h
    for i, p in enumerate(per_node):
        env.process(
            _alternating(
                env,
                rnd,
                mttf,
                mttr,
                lambda i=i, p=p: node_change(i, -p),
                lambda i=i, p=p: node_change(i, p),
            )
        )
    for z in range(zones):
        env.process(
            _alternating(
                env,
                rnd,
                scenario.zone_mttf_h,
                scenario.zone_mttr_h,
                lambda z=z: zone_change(z, False),
                lambda z=z: zone_change(z, True),
            )
        )
    return tracker.result(HORIZON_H)


def _crew_queue_stationary(nodes: int, crews: int, mttf: float, mttr: float) -> np.ndarray:
    """Stationary distribution of the number of failed nodes (machine-repairman chain)."""
    weights = [1.0]
    for failed in range(nodes):
        weights.append(weights[-1] * (nodes - failed) / mttf / (min(crews, failed + 1) / mttr))
    weights = np.array(weights)
    return weights / weights.sum()


def simpy_crews(scenario: Scenario, seed: int) -> tuple[float, float, int]:
    """Node failures, repairs by ``repair_crews`` crews in order of failure.

    Stationary start: the number of failed nodes is drawn from the chain's stationary
    distribution, which nodes and their order in the queue uniformly (the nodes are alike).
    """
    env, rnd = simpy.Environment(), random.Random(seed)
    per_node = [int(p) for p in instances_per_node(scenario.nodes, scenario.instances)]
    crews = simpy.Resource(env, capacity=scenario.repair_crews)
    mttf, mttr = scenario.node_mttf_h, scenario.node_mttr_h
    weights = _crew_queue_stationary(scenario.nodes, scenario.repair_crews, mttf, mttr)
    failed = rnd.choices(range(len(weights)), weights=weights)[0]
    order = list(range(scenario.nodes))
    rnd.shuffle(order)  # the first `failed` are down, in the queue's order
    down_at_start = sum(per_node[i] for i in order[:failed])
    tracker = Tracker(env, scenario, scenario.instances - down_at_start, 0.0)

    def node(p: int, down: bool):
        while True:
            if not down:
                yield env.timeout(rnd.expovariate(1.0 / mttf))
                tracker.add(-p)
            down = False
            with crews.request() as request:
                yield request
                yield env.timeout(rnd.expovariate(1.0 / mttr))
            tracker.add(p)

    for rank, i in enumerate(order):  # started in queue order: requests queue in this order
        env.process(node(per_node[i], rank < failed))
    return tracker.result(HORIZON_H)


def simpy_rescheduling(scenario: Scenario, seed: int) -> tuple[float, float, int]:
    """Node failures with rescheduling: H + min(E, F) instances serve.

    A node down for longer than the pipeline time d has its p instances evicted at a + d; the
    up nodes have F = Σ (M − p) free slots. The interval in progress at time 0 counts as
    starting at 0; the simulator's warm-up is run first and not measured, as in haplan.
    """
    model = build_model(
        scenario, HORIZON_H, Exponential(scenario.node_mttf_h), Exponential(scenario.node_mttr_h)
    )
    pipeline_h, warmup_h, room = model.recovery_time.value, model.warmup_h, model.max_per_node
    env, rnd = simpy.Environment(), random.Random(seed)
    per_node = [int(p) for p in model.instances_per_node]
    state = {"home": scenario.instances, "evicted": 0, "free": sum(room - p for p in per_node)}
    tracker = Tracker(env, scenario, scenario.instances, warmup_h)

    def update(home=0, evicted=0, free=0):
        state["home"] += home
        state["evicted"] += evicted
        state["free"] += free
        tracker.set(state["home"] + min(state["evicted"], state["free"]))

    mttf, mttr = scenario.node_mttf_h, scenario.node_mttr_h

    def down(p: int):
        update(home=-p, free=-(room - p))
        repair = rnd.expovariate(1.0 / mttr)
        if pipeline_h < repair:
            yield env.timeout(pipeline_h)
            update(evicted=p)
            yield env.timeout(repair - pipeline_h)
            update(home=p, evicted=-p, free=room - p)
        else:
            yield env.timeout(repair)
            update(home=p, free=room - p)

    def node(p: int):
        if rnd.random() < mttr / (mttf + mttr):
            yield from down(p)
        while True:
            yield env.timeout(rnd.expovariate(1.0 / mttf))
            yield from down(p)

    for p in per_node:
        env.process(node(p))
    return tracker.result(warmup_h + HORIZON_H)


@dataclass(frozen=True)
class Path:
    name: str
    scenario: Scenario
    simpy_replication: object


PATHS = [
    Path("nodes only", BASE, simpy_nodes),
    Path(
        "containers",
        BASE.with_overrides(instance_mttf_h=200.0, instance_mttr_h=1.0),
        simpy_containers,
    ),
    Path("zones", BASE.with_overrides(zones=3, zone_mttf_h=500.0, zone_mttr_h=5.0), simpy_zones),
    Path("1 crew", BASE.with_overrides(repair_crews=1), simpy_crews),
    Path(
        "reschedule",
        BASE.with_overrides(reschedule=True, max_instances_per_node=3),
        simpy_rescheduling,
    ),
]


def run_simpy(path: Path, replications: int) -> np.ndarray:
    """``replications`` SimPy replications: rows of their results.

    Replication i seeds ``random.Random`` with 128 bits of ``numpy.random.SeedSequence(i)``
    (hashed, so neighbouring replications' streams are unrelated).
    """
    seeds = [
        int.from_bytes(np.random.SeedSequence(i).generate_state(4).tobytes(), "little")
        for i in range(replications)
    ]
    return np.array([path.simpy_replication(path.scenario, seed) for seed in seeds], dtype=float)


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def bench(path: Path) -> bool:
    """Time both sides on ``path``, print both estimates and the ratio; True if met."""
    scenario = path.scenario
    node_years = scenario.nodes * HORIZON_H / 8766.0
    simulate(scenario, HORIZON_H, REPLICATIONS, seed=0)  # first-call costs out of the timing
    run_simpy(path, 2)
    best = simpy_seconds = math.inf
    for repeat in range(ROUNDS):
        start = time.process_time()
        result = simulate(scenario, HORIZON_H, REPLICATIONS, seed=repeat)
        best = min(best, time.process_time() - start)
        start = time.process_time()
        rows = run_simpy(path, SIMPY_REPLICATIONS)
        simpy_seconds = min(simpy_seconds, time.process_time() - start)
    ours_rate = REPLICATIONS * node_years / best
    simpy_rate = SIMPY_REPLICATIONS * node_years / simpy_seconds
    ratio = ours_rate / simpy_rate
    service, service_se = _mean_se(rows[:, 0] / HORIZON_H)
    capacity, capacity_se = _mean_se(rows[:, 1] / HORIZON_H)
    frequency, frequency_se = _mean_se(rows[:, 2] / HORIZON_H * 8766.0)
    analytic = compare_with_analytic(scenario, HORIZON_H, 2, seed=0)["analytic"]
    print(f"-- {path.name}")
    print(
        f"   haplan.simulate: {REPLICATIONS} replications in {best:.3f} s CPU "
        f"({ours_rate:,.0f} node-years/s); service unavailability "
        f"{result.service_unavailability:.5f} ± {result.service_unavailability_se:.5f}, "
        f"capacity {result.capacity_unavailability:.4f} ± "
        f"{result.capacity_unavailability_se:.4f}, outages/yr "
        f"{result.outage_frequency_per_year:.2f} ± {result.outage_frequency_per_year_se:.2f}"
    )
    print(
        f"   SimPy:           {SIMPY_REPLICATIONS} replications in {simpy_seconds:.3f} s CPU "
        f"({simpy_rate:,.0f} node-years/s); service unavailability "
        f"{service:.5f} ± {service_se:.5f}, capacity {capacity:.4f} ± {capacity_se:.4f}, "
        f"outages/yr {frequency:.2f} ± {frequency_se:.2f}"
    )
    print(
        f"   analytic:        service unavailability "
        f"{analytic['service_unavailability']:.5f}, capacity "
        f"{analytic['capacity_unavailability']:.4f}, outages/yr "
        f"{analytic['outage_frequency_per_year']:.2f}"
    )
    # The two must simulate the same system: every estimate within 4 combined standard errors.
    pairs = (
        (result.service_unavailability, result.service_unavailability_se, service, service_se),
        (result.capacity_unavailability, result.capacity_unavailability_se, capacity, capacity_se),
        (
            result.outage_frequency_per_year,
            result.outage_frequency_per_year_se,
            frequency,
            frequency_se,
        ),
    )
    z = max(abs(a - b) / math.hypot(sa, sb) if sa or sb else 0.0 for a, sa, b, sb in pairs)
    agree = z < 4.0
    print(f"   estimates agree: largest |z| {z:.2f} ({'yes' if agree else 'NO'}, < 4 required)")
    met = ratio >= TARGET_RATIO and agree
    verdict = "target met" if met else "TARGET MISSED"
    print(
        f"   speed-up per simulated node-year: {ratio:.0f}x "
        f"(target >= {TARGET_RATIO:.0f}x with agreeing estimates: {verdict})"
    )
    return target(
        f"simulate {path.name} vs SimPy, per node-year",
        f"{ratio:.0f}x (|z| {z:.1f})",
        f">= {TARGET_RATIO:.0f}x, |z| < 4",
        met,
    )


def main() -> None:
    print(
        f"cluster: {BASE.nodes} nodes, {BASE.instances} instances, k={BASE.min_instances}, "
        f"node MTTF {BASE.node_mttf_h:g} h, MTTR {BASE.node_mttr_h:g} h, "
        f"horizon {HORIZON_H:g} h"
    )
    met = [bench(path) for path in PATHS]
    missed = [path.name for path, ok in zip(PATHS, met, strict=True) if not ok]
    print("all paths: target met" if not missed else f"TARGET MISSED on: {', '.join(missed)}")


if __name__ == "__main__":
    main()
