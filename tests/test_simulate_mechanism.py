"""Tests for the simulator's rescheduling mechanism against references built here, by hand.

Nothing here comes from another haplan model: the references are closed forms (independent
nodes, binomial containers) and small Markov chains whose generators are written out in
this file (numpy only). The mechanism (``haplan.simulate`` module docstring): a node that
stays unreachable for the pipeline time d has its p_i home instances evicted; min(E, F) of
the E evicted instances run on the F free slots (M − p_i per reachable node), and an
instance serves while it runs and its container is up.

Statistical checks use fixed seeds and allow 4 standard errors (a correct simulator fails
one such check in ~16 000).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from haplan.scenario import Scenario
from haplan.simulate import (
    YEAR_H,
    Deterministic,
    Exponential,
    compare_with_analytic,
    rescheduling,
    simulate,
)
from haplan.simulate.model import build_model, default_recovery_time

INF = math.inf
Z_LIMIT = 4.0
# No load: capacity needs no instance (the SLO is then the service).
BASE = dict(instance_mttf_h=INF, request_rate_rps=0.0, reschedule=True)


def z_score(estimate: float, se: float, expected: float) -> float:
    return (estimate - expected) / se


def assert_close(estimate: float, se: float, expected: float) -> None:
    assert se > 0
    z = z_score(estimate, se, expected)
    assert abs(z) < Z_LIMIT, f"estimate {estimate:.6g} ± {se:.2g}, expected {expected:.6g}"


# -- small Markov chains, written out here --------------------------------------------------


def stationary(generator: np.ndarray) -> np.ndarray:
    """Stationary distribution π of a CTMC generator: π Q = 0, Σ π = 1."""
    n = len(generator)
    assert np.allclose(generator.sum(axis=1), 0.0)
    system = np.vstack([generator.T, np.ones(n)])
    right = np.zeros(n + 1)
    right[-1] = 1.0
    return np.linalg.lstsq(system, right, rcond=None)[0]


def chain_figures(generator: np.ndarray, down: np.ndarray) -> tuple[float, float]:
    """Unavailability and outage frequency [1/h] (flow from up states into down states)."""
    pi = stationary(generator)
    up = ~down
    frequency = float(pi[up] @ generator[np.ix_(up, down)].sum(axis=1))
    return float(pi[down].sum()), frequency


def node_chain(lam: float, mu: float, nu: float):
    """One node: states (reachable, evicted) U = (1, 0), D = (0, 0), X = (0, 1).

    U -> D at λ (failure), D -> U at μ (repair), D -> X at ν (pipeline done), X -> U at μ.
    """
    states = [(1, 0), (0, 0), (0, 1)]
    q = np.array(
        [
            [-lam, lam, 0.0],
            [mu, -(mu + nu), nu],
            [mu, 0.0, -mu],
        ]
    )
    return states, q


def node_and_zone_chain(lam: float, mu: float, lam_z: float, mu_z: float, nu: float):
    """One node alone in its zone: states (node up, zone up, evicted).

    The node and the zone fail and are repaired independently; the node is reachable while
    both are up. While unreachable (one interval, whatever its cause) the pipeline finishes
    at rate ν; becoming reachable again clears the eviction.
    """
    states = [(1, 1, 0)] + [(n, z, e) for n, z in [(0, 1), (1, 0), (0, 0)] for e in (0, 1)]
    index = {s: i for i, s in enumerate(states)}
    q = np.zeros((len(states), len(states)))

    def add(source, target, rate):
        n, z, _ = target
        if n and z:
            target = (1, 1, 0)
        q[index[source], index[target]] += rate

    for n, z, e in states:
        add((n, z, e), (1 - n, z, e), lam if n else mu)
        add((n, z, e), (n, 1 - z, e), lam_z if z else mu_z)
        if not (n and z) and not e:
            add((n, z, e), (n, z, 1), nu)
    np.fill_diagonal(q, -q.sum(axis=1))
    return [(n * z, e) for n, z, e in states], q


def independent_nodes(local_chains):
    """Joint chain of independent nodes (Kronecker sum) and each joint state's node states."""
    generator = np.zeros((1, 1))
    for _, q in local_chains:
        generator = np.kron(generator, np.eye(len(q))) + np.kron(np.eye(len(generator)), q)
    joint = list(itertools.product(*(states for states, _ in local_chains)))
    return generator, joint


def running(joint_state, per_node, max_per_node) -> int:
    """Instances running: home instances of reachable nodes plus min(E, F)."""
    home = sum(p for (r, _), p in zip(joint_state, per_node, strict=True) if r)
    evicted = sum(p for (_, e), p in zip(joint_state, per_node, strict=True) if e)
    reachable = [p for (r, _), p in zip(joint_state, per_node, strict=True) if r]
    free = sum(max_per_node - p for p in reachable) if reachable else 0
    return home + min(evicted, free)


# -- a hand-made timeline -----------------------------------------------------------------------


def timeline(*intervals_per_unit):
    """One replication's timeline: for each unit, its down intervals [h] (up before 0)."""
    width = 2 * max(1, *(len(unit) for unit in intervals_per_unit))
    times = np.full((1, len(intervals_per_unit), width), np.inf)
    deltas = np.zeros(times.shape, np.int8)
    for u, unit in enumerate(intervals_per_unit):
        for j, (start, end) in enumerate(unit):
            times[0, u, 2 * j : 2 * j + 2] = start, end
            deltas[0, u, 2 * j : 2 * j + 2] = -1, 1
    return times, deltas


# Three nodes with one instance each, at most 2 per node (one free slot per reachable node),
# pipeline time 1 h. Node 0 is unreachable 10-20 h, node 1 30-50 h, node 2 35-45 h.
# 10-11: node 0's instance waits (2 serve); 11-20: it runs elsewhere (3).
# 30-31: node 1's waits (2); 31-35: it runs elsewhere (3); 35-36: node 2 lost too, one free
# slot (on node 0) for node 1's instance (2 serve); 36-45: both evicted, one slot (2 serve);
# 45-50: node 2 back, two slots (3 serve).
NODES_DOWN = [[(10.0, 20.0)], [(30.0, 50.0)], [(35.0, 45.0)]]


@pytest.mark.parametrize("crashes", [False, True], ids=["no-crashes", "crashes"])
def test_hand_made_timeline_is_read_as_the_mechanism_says(monkeypatch, crashes):
    scenario = Scenario(
        nodes=3,
        instances=3,
        min_instances=3,
        node_mttf_h=100.0,
        node_mttr_h=1.0,
        instance_mttf_h=100.0 if crashes else INF,
        instance_mttr_h=1.0,
        max_instances_per_node=2,
        request_rate_rps=140.0,  # 2 needed
        reschedule=True,
    )
    if crashes:
        scenario = scenario.with_overrides(min_instances=2, request_rate_rps=210.0)
    model = build_model(scenario, 100.0, Exponential(100.0), Exponential(1.0), Deterministic(1.0))
    model = dataclasses.replace(model, warmup_h=0.0)
    monkeypatch.setattr(rescheduling, "node_timelines", lambda *_: timeline(*NODES_DOWN))
    # Instance 1 (node 1's) crashes 37-40 h. While nodes 1 and 2 are both evicted (36-45)
    # the one free slot goes to the lower instance index, 1: so 1 serves 37-40 h.
    containers = timeline([], [(37.0, 40.0)], [])
    monkeypatch.setattr(rescheduling, "renewal_timeline", lambda *_: containers)
    rng = np.random.default_rng(0)
    downtime, shortfall, outages = rescheduling.rescheduled(model, rng, 1)[0]
    if crashes:  # k = 2, 3 needed
        assert (downtime, outages) == (3.0, 1)
        assert shortfall == pytest.approx(1.0 + 1.0 + 10.0)
    else:  # k = 3, 2 needed
        assert downtime == pytest.approx(1.0 + 1.0 + 10.0)
        assert (shortfall, outages) == (0.0, 3)


# -- closed forms ----------------------------------------------------------------------------


def test_instant_rescheduling_is_down_only_when_every_node_is_down():
    # Pipeline time 0 and unlimited room: every instance runs while one node is reachable,
    # so even with all 6 instances needed the service is down only when all 3 nodes are:
    # U = q^3 and outages start at rate 3 λ q^2 (1 − q) (independent nodes). Harsh nodes
    # (MTTR / MTTF = 0.3) make q^3 measurable.
    lam, mu = 1 / 10.0, 1 / 3.0
    q = lam / (lam + mu)
    scenario = Scenario(
        nodes=3, instances=6, min_instances=6, node_mttf_h=10.0, node_mttr_h=3.0, **BASE
    )
    result = simulate(scenario, 2000.0, 200, seed=1, recovery_time=Deterministic(0.0))
    assert_close(result.service_unavailability, result.service_unavailability_se, q**3)
    frequency = 3 * lam * q**2 * (1 - q) * YEAR_H
    assert_close(result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency)
    # Mean outage: all three down, left at rate 3 μ.
    assert_close(result.mean_outage_duration_min, result.mean_outage_duration_min_se, 60 / (3 * mu))


def test_instant_rescheduling_with_container_crashes_is_binomial():
    # Pipeline time 0, unlimited room: all C instances run unless every node is down, and
    # each serves while its own container is up (independent of the nodes), so
    # U = q^N + (1 − q^N) P(Binomial(C, a) < k), a the containers' availability.
    q = 2.0 / 12.0
    a = 10.0 / 11.0
    scenario = Scenario(
        nodes=3,
        instances=5,
        min_instances=4,
        node_mttf_h=10.0,
        node_mttr_h=2.0,
        instance_mttf_h=10.0,
        instance_mttr_h=1.0,
        request_rate_rps=0.0,
        reschedule=True,
    )
    result = simulate(scenario, 1000.0, 100, seed=2, recovery_time=Deterministic(0.0))
    expected = q**3 + (1 - q**3) * stats.binom.cdf(3, 5, a)
    assert_close(result.service_unavailability, result.service_unavailability_se, expected)


def test_zone_outages_are_rescheduled_after_a_fixed_pipeline_time():
    # Nodes that (nearly) never fail, two zones of two nodes, 2 instances per node, 7 of 8
    # needed. A zone outage evicts its 4 instances d after it starts, and the other zone
    # (room unlimited) runs them: the service is down while a zone is down for less than d,
    # or both are. For one zone with exponential repairs the age of an outage in progress is
    # exponential, so P(down, age < d) = π_down (1 − e^{−μ d}) and U = 1 − (π_up² + 2 π_up
    # π_evicted). Without rescheduling it is down whenever a zone is: 1 − π_up².
    lam_z, mu_z, d = 1 / 20.0, 1 / 2.0, 0.5
    up = mu_z / (lam_z + mu_z)
    pending = (1 - up) * (1 - math.exp(-mu_z * d))
    evicted = 1 - up - pending
    zones = dict(
        nodes=4,
        instances=8,
        min_instances=7,
        node_mttf_h=1e12,
        node_mttr_h=1.0,
        zones=2,
        zone_mttf_h=20.0,
        zone_mttr_h=2.0,
    )
    moved = simulate(Scenario(**zones, **BASE), 2000.0, 200, seed=3, recovery_time=Deterministic(d))
    assert_close(
        moved.service_unavailability, moved.service_unavailability_se, 1 - up**2 - 2 * up * evicted
    )
    plain = simulate(
        Scenario(**zones, instance_mttf_h=INF, request_rate_rps=0.0), 2000.0, 200, seed=3
    )
    assert_close(plain.service_unavailability, plain.service_unavailability_se, 1 - up**2)
    assert moved.service_unavailability < plain.service_unavailability / 3


# -- hand-written chains ---------------------------------------------------------------------


def test_two_nodes_one_instance_each_match_the_hand_written_chain():
    # N = 2, C = 2, k = 2, room unlimited, exponential failures λ, repairs μ, pipeline ν.
    # States: UU, UD, UX, DD, DX, XX (U up, D down not yet evicted, X down and evicted).
    # The service is up in UU and in UX (the evicted instance runs on the up node).
    lam, mu, nu = 1 / 5.0, 1.0, 4.0
    generator = np.array(
        [
            # UU     UD       UX    DD         DX       XX
            [-2 * lam, 2 * lam, 0.0, 0.0, 0.0, 0.0],  # UU
            [mu, -(mu + nu + lam), nu, lam, 0.0, 0.0],  # UD
            [mu, 0.0, -(mu + lam), 0.0, lam, 0.0],  # UX
            [0.0, 2 * mu, 0.0, -(2 * mu + 2 * nu), 2 * nu, 0.0],  # DD
            [0.0, mu, mu, 0.0, -(2 * mu + nu), nu],  # DX
            [0.0, 0.0, 2 * mu, 0.0, 0.0, -2 * mu],  # XX
        ]
    )
    down = np.array([False, True, False, True, True, True])
    unavailability, frequency = chain_figures(generator, down)
    # The generic builder below gives the same numbers (a check of the test's own helper).
    joint_q, joint = independent_nodes([node_chain(lam, mu, nu)] * 2)
    joint_down = np.array([running(s, [1, 1], INF) < 2 for s in joint])
    assert chain_figures(joint_q, joint_down) == pytest.approx((unavailability, frequency))

    scenario = Scenario(
        nodes=2, instances=2, min_instances=2, node_mttf_h=5.0, node_mttr_h=1.0, **BASE
    )
    result = simulate(scenario, 2000.0, 200, seed=4, recovery_time=Exponential(1 / nu))
    assert_close(result.service_unavailability, result.service_unavailability_se, unavailability)
    assert_close(
        result.outage_frequency_per_year,
        result.outage_frequency_per_year_se,
        frequency * YEAR_H,
    )


def test_limited_room_and_uneven_placement_match_the_chain():
    # 4 instances on 3 nodes -> 2, 1, 1 (the heavy node first); at most 2 per node, so the
    # free slots are 0, 1, 1. The heavy node's instances fit on the other two; a light
    # node's on the other light one; two nodes lost leave room for at most one more.
    # Service needs all 4 (k = 4), capacity 3 (210 req/s at 100 req/s x 0.7).
    lam, mu, nu = 1 / 8.0, 1.0, 3.0
    per_node = [2, 1, 1]
    generator, joint = independent_nodes([node_chain(lam, mu, nu)] * 3)
    serving = np.array([running(s, per_node, 2) for s in joint])
    service, frequency = chain_figures(generator, serving < 4)
    capacity, _ = chain_figures(generator, serving < 3)
    assert 0 < capacity < service  # the two thresholds differ
    scenario = Scenario(
        nodes=3,
        instances=4,
        min_instances=4,
        node_mttf_h=8.0,
        node_mttr_h=1.0,
        max_instances_per_node=2,
        instance_mttf_h=INF,
        request_rate_rps=210.0,
        reschedule=True,
    )
    result = simulate(scenario, 2000.0, 200, seed=5, recovery_time=Exponential(1 / nu))
    assert_close(result.service_unavailability, result.service_unavailability_se, service)
    assert_close(result.capacity_unavailability, result.capacity_unavailability_se, capacity)
    assert_close(
        result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency * YEAR_H
    )


def test_node_and_zone_failures_match_the_chain():
    # Two nodes, each alone in its zone: an unreachable interval (node down, zone down or
    # both, overlapping) evicts once, after one exponential pipeline time. 2 instances per
    # node, 3 needed, room unlimited.
    lam, mu, lam_z, mu_z, nu = 1 / 10.0, 1 / 2.0, 1 / 20.0, 1.0, 2.0
    generator, joint = independent_nodes([node_and_zone_chain(lam, mu, lam_z, mu_z, nu)] * 2)
    serving = np.array([running(s, [2, 2], INF) for s in joint])
    unavailability, frequency = chain_figures(generator, serving < 3)
    scenario = Scenario(
        nodes=2,
        instances=4,
        min_instances=3,
        node_mttf_h=10.0,
        node_mttr_h=2.0,
        zones=2,
        zone_mttf_h=20.0,
        zone_mttr_h=1.0,
        **BASE,
    )
    result = simulate(scenario, 2000.0, 200, seed=6, recovery_time=Exponential(1 / nu))
    assert_close(result.service_unavailability, result.service_unavailability_se, unavailability)
    assert_close(
        result.outage_frequency_per_year, result.outage_frequency_per_year_se, frequency * YEAR_H
    )


def test_container_crashes_with_limited_room_are_binomial_given_the_node_states():
    # Which evicted instances run when room is short is the simulator's choice, but it
    # depends on node states only, and containers are independent of those: given r
    # instances running, the serving ones are Binomial(r, a). So U = Σ π(s) P(Bin(r(s), a)
    # < k) over the node chain above (2, 1, 1 instances, at most 2 per node).
    lam, mu, nu = 1 / 8.0, 1.0, 3.0
    a = 10.0 / 11.0
    generator, joint = independent_nodes([node_chain(lam, mu, nu)] * 3)
    pi = stationary(generator)
    serving = np.array([running(s, [2, 1, 1], 2) for s in joint])
    expected = float(pi @ stats.binom.cdf(2, serving, a))  # fewer than k = 3 serve
    scenario = Scenario(
        nodes=3,
        instances=4,
        min_instances=3,
        node_mttf_h=8.0,
        node_mttr_h=1.0,
        max_instances_per_node=2,
        instance_mttf_h=10.0,
        instance_mttr_h=1.0,
        request_rate_rps=0.0,
        reschedule=True,
    )
    result = simulate(scenario, 1000.0, 150, seed=7, recovery_time=Exponential(1 / nu))
    assert_close(result.service_unavailability, result.service_unavailability_se, expected)


# -- rescheduling that cannot happen changes nothing -------------------------------------------

CREWS_ZONES_CRASHES = dict(
    nodes=4,
    instances=8,
    min_instances=6,
    node_mttf_h=20.0,
    node_mttr_h=2.0,
    instance_mttf_h=30.0,
    instance_mttr_h=1.0,
    zones=2,
    zone_mttf_h=100.0,
    zone_mttr_h=2.0,
    repair_crews=1,
    request_rate_rps=490.0,  # 7 needed
)


@pytest.mark.parametrize(
    ("overrides", "pipeline"),
    [
        (dict(), Deterministic(1e9)),  # the pipeline never finishes before the repair
        (dict(max_instances_per_node=2), Deterministic(0.0)),  # M = p_i: no free slot
    ],
    ids=["pipeline-never-done", "no-free-slots"],
)
def test_rescheduling_that_cannot_move_anything_equals_no_rescheduling(overrides, pipeline):
    # Crews, zones and container crashes: the same seed, chunking and warm-up (the crews'
    # is the longer) draw the same timelines, so the mechanism must give the plain model's
    # numbers replication by replication, though computed another way.
    scenario = Scenario(**CREWS_ZONES_CRASHES, **overrides)
    options = dict(seed=8, chunk_size=5, per_replication=True)
    plain = simulate(scenario, 500.0, 20, **options)
    moved = simulate(
        scenario.with_overrides(reschedule=True), 500.0, 20, recovery_time=pipeline, **options
    )
    columns = ["service_downtime_h", "capacity_downtime_h", "outages", "slo_downtime_h"]
    assert plain.replications["outages"].sum() > 20
    pd.testing.assert_frame_equal(
        plain.replications[columns], moved.replications[columns], rtol=1e-9
    )


@pytest.mark.parametrize(
    ("overrides", "pipeline"),
    [
        (dict(), Deterministic(1e9)),
        (dict(max_instances_per_node=2), Exponential(0.1)),
    ],
    ids=["pipeline-never-done", "no-free-slots"],
)
def test_rescheduling_that_cannot_move_anything_agrees_with_the_fast_path(overrides, pipeline):
    # Nodes only: without rescheduling the integer-clock fast path runs, so this compares
    # two independent implementations statistically (difference within 4 combined SE).
    scenario = Scenario(
        nodes=3,
        instances=6,
        min_instances=5,
        node_mttf_h=10.0,
        node_mttr_h=2.0,
        instance_mttf_h=INF,
        request_rate_rps=0.0,
        **overrides,
    )
    plain = simulate(scenario, 2000.0, 200, seed=9)
    moved = simulate(
        scenario.with_overrides(reschedule=True), 2000.0, 200, seed=10, recovery_time=pipeline
    )
    for name in ("service_unavailability", "outage_frequency_per_year"):
        se = math.hypot(getattr(plain, name + "_se"), getattr(moved, name + "_se"))
        assert abs(getattr(plain, name) - getattr(moved, name)) < Z_LIMIT * se, name


def test_free_slots_make_the_difference():
    # The same cluster as the no-free-slot case above with room (M = 3): rescheduling now
    # cuts the downtime several-fold.
    common = dict(nodes=3, instances=6, min_instances=5, node_mttf_h=10.0, node_mttr_h=2.0)
    tight = Scenario(**common, max_instances_per_node=2, **BASE)
    roomy = Scenario(**common, max_instances_per_node=3, **BASE)
    pipeline = Exponential(0.1)
    full = simulate(tight, 1000.0, 50, seed=11, recovery_time=pipeline)
    free = simulate(roomy, 1000.0, 50, seed=11, recovery_time=pipeline)
    assert free.service_unavailability < full.service_unavailability / 3


# -- outputs, defaults, plumbing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_instances", "rate"), [(5, 210.0), (2, 350.0), (4, 1000.0)], ids=["k>n", "k<n", "n>C"]
)
def test_slo_is_missed_whenever_service_or_capacity_is(min_instances, rate):
    # Fewer than max(k, needed) serving = fewer than k or fewer than needed; with needed >
    # C (1000 req/s needs 15 of 6) the SLO is always missed.
    scenario = Scenario(
        nodes=3,
        instances=6,
        min_instances=min_instances,
        node_mttf_h=10.0,
        node_mttr_h=2.0,
        instance_mttf_h=20.0,
        instance_mttr_h=1.0,
        request_rate_rps=rate,
        max_instances_per_node=3,
        reschedule=True,
    )
    result = simulate(scenario, 300.0, 10, seed=12, per_replication=True)
    frame = result.replications
    worst = np.maximum(frame["service_unavailability"], frame["capacity_unavailability"])
    assert (frame["slo_unavailability"] >= worst - 1e-12).all()
    assert result.slo_unavailability == pytest.approx(frame["slo_unavailability"].mean())
    assert result.slo_unavailability_se > 0 or rate == 1000.0
    if rate == 1000.0:
        assert result.slo_unavailability == 1.0


def test_default_pipeline_time_is_the_orchestrators_recovery_time():
    from haplan import recovery

    scenario = Scenario(nodes=3, instances=7, min_instances=5, **BASE)
    model = build_model(scenario, 100.0, Exponential(100.0), Exponential(1.0))
    expected = recovery.node_failure_recovery_s("kubernetes", 3) / 3600.0  # ⌈7/3⌉
    assert model.recovery_time == Deterministic(expected)
    assert model.max_per_node == 7  # inf: as much room as C
    assert 0 < model.warmup_h <= 20.0
    plain = build_model(
        scenario.with_overrides(reschedule=False), 100.0, Exponential(100.0), Exponential(1.0)
    )
    assert plain.recovery_time is None and plain.independent_nodes_only


def test_bad_recovery_time_is_refused():
    scenario = Scenario(nodes=3, instances=6, min_instances=5, **BASE)
    with pytest.raises(ValueError, match="recovery_time=0.1 is not valid"):
        simulate(scenario, 100.0, 4, seed=0, recovery_time=0.1)
    with pytest.raises(ValueError, match="recovery_time is not accepted here"):
        compare_with_analytic(scenario, 100.0, 4, seed=0, recovery_time=Exponential(0.1))


def test_compare_with_analytic_simulates_an_exponential_pipeline():
    # compare_with_analytic draws exponential pipeline times with the orchestrator's mean:
    # the same as simulate() given that distribution, with the same seed.
    scenario = Scenario(
        nodes=3, instances=6, min_instances=5, node_mttf_h=5.0, node_mttr_h=1.0, **BASE
    )
    table = compare_with_analytic(scenario, 500.0, 20, seed=13)
    mean = default_recovery_time(scenario).mean
    direct = simulate(scenario, 500.0, 20, seed=13, recovery_time=Exponential(mean))
    assert table.loc["service_unavailability", "simulated"] == direct.service_unavailability
    assert table.loc["outage_frequency_per_year", "simulated"] == direct.outage_frequency_per_year


def test_dask_gives_the_same_result_as_local_with_rescheduling():
    distributed = pytest.importorskip("dask.distributed")
    scenario = Scenario(
        nodes=3,
        instances=7,
        min_instances=5,
        node_mttf_h=20.0,
        node_mttr_h=2.0,
        instance_mttf_h=30.0,
        instance_mttr_h=1.0,
        max_instances_per_node=3,
        reschedule=True,
    )
    local = simulate(scenario, 300.0, 20, seed=14, chunk_size=6, per_replication=True)
    client = distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    )
    try:
        remote = simulate(
            scenario, 300.0, 20, seed=14, chunk_size=6, per_replication=True, client=client
        )
    finally:
        client.close()
    pd.testing.assert_frame_equal(local.replications, remote.replications)
    assert local == remote
