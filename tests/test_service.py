"""The one service model: exact against brute-force chains it shares no code with, invariants
over every combination of switches, and the outage identity frequency × duration = U."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haplan import availability, markov, service

YEAR_H = 8766.0


def brute_force(
    nodes,
    instances,
    k,
    node_mttf,
    node_mttr,
    *,
    crews=math.inf,
    zones=1,
    zone_mttf=math.inf,
    zone_mttr=0.0,
    instance_mttf=math.inf,
    instance_mttr=0.0,
    reschedule=False,
    pipeline_h=1.0,
    max_per_node=math.inf,
    order="fcfs",
):
    """Unavailability and outage frequency [1/h] from an explicit chain over every node,
    zone and container, with the repair queue kept in order. Dense, for a handful of units."""
    per_node = [instances // nodes + (1 if i < instances % nodes else 0) for i in range(nodes)]
    owner = [i for i in range(nodes) for _ in range(per_node[i])]
    zone_of = [i % zones for i in range(nodes)]
    zones_fail = math.isfinite(zone_mttf) and zone_mttr > 0
    containers_fail = math.isfinite(instance_mttf) and instance_mttr > 0
    lam, mu = 1 / node_mttf, 1 / node_mttr

    def serving(state):
        queue, evicted, zone_down, containers = state
        reach = [i not in queue and not zone_down[zone_of[i]] for i in range(nodes)]
        free = sum(max_per_node - per_node[i] for i in range(nodes) if reach[i])
        moved = sum(per_node[i] for i in range(nodes) if evicted[i])
        running = [j for j in range(instances) if reach[owner[j]]]
        waiting = [j for j in range(instances) if evicted[owner[j]]]
        running += waiting[: int(min(moved, free))]
        return sum(containers[j] for j in running)

    def moves(state):
        queue, evicted, zone_down, containers = state
        out = []
        for i in range(nodes):
            unreachable = i in queue or zone_down[zone_of[i]]
            if i not in queue:
                out.append(((queue + (i,), evicted, zone_down, containers), lam))
            if reschedule and unreachable and not evicted[i]:
                e = list(evicted)
                e[i] = True
                out.append(((queue, tuple(e), zone_down, containers), 1 / pipeline_h))
        in_service = queue[: int(min(crews, len(queue)))] if order == "fcfs" else queue
        share = 1.0 if order == "fcfs" else min(crews, len(queue)) / max(len(queue), 1)
        for i in in_service:
            rest = tuple(x for x in queue if x != i)
            e = list(evicted)
            if not zone_down[zone_of[i]]:
                e[i] = False
            out.append(((rest, tuple(e), zone_down, containers), mu * share))
        if zones_fail:
            for z in range(zones):
                d = list(zone_down)
                d[z] = not d[z]
                e = list(evicted)
                if zone_down[z]:
                    for i in range(nodes):
                        if zone_of[i] == z and i not in queue:
                            e[i] = False
                rate = 1 / zone_mttr if zone_down[z] else 1 / zone_mttf
                out.append(((queue, tuple(e), tuple(d), containers), rate))
        if containers_fail:
            for j in range(instances):
                c = list(containers)
                c[j] = 1 - c[j]
                rate = 1 / instance_mttr if containers[j] == 0 else 1 / instance_mttf
                out.append(((queue, evicted, zone_down, tuple(c)), rate))
        return out

    start = ((), (False,) * nodes, (False,) * zones, (1,) * instances)
    index, states, edges = {start: 0}, [start], []
    for state in states:
        for target, rate in moves(state):
            if target not in index:
                index[target] = len(states)
                states.append(target)
            edges.append((index[state], index[target], rate))
    size = len(states)
    q = np.zeros((size, size))
    for a, b, rate in edges:
        q[a, b] += rate
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T[1:], np.ones(size)])
    pi = np.linalg.solve(a, np.r_[np.zeros(size - 1), 1.0])
    up = np.array([serving(s) >= k for s in states])
    unavailability = pi[~up].sum()
    frequency = sum(pi[a] * rate for a, b, rate in edges if up[a] and not up[b])
    return unavailability, frequency


def figures(nodes, instances, k, node_mttf, node_mttr, **options):
    """service_figures for one scenario, as scalars."""
    result = service.service_figures(nodes, instances, k, 0, node_mttf, node_mttr, **options)
    return {name: values[0] for name, values in result.items()}


CASES = [
    # Limited crews, uneven placement (C not a multiple of N).
    dict(nodes=4, instances=7, k=4, node_mttf=100.0, node_mttr=10.0, crews=1),
    # Crews with zones and container crashes.
    dict(
        nodes=3,
        instances=4,
        k=3,
        node_mttf=50.0,
        node_mttr=5.0,
        crews=1,
        zones=2,
        zone_mttf=200.0,
        zone_mttr=4.0,
        instance_mttf=30.0,
        instance_mttr=1.0,
    ),
    # Rescheduling, unlimited room, harsh failure rates (MTTR/MTTF = 50 %).
    dict(nodes=3, instances=3, k=2, node_mttf=20.0, node_mttr=10.0, reschedule=True),
    # Rescheduling with room for one node's instances and container crashes.
    dict(
        nodes=3,
        instances=6,
        k=5,
        node_mttf=40.0,
        node_mttr=8.0,
        reschedule=True,
        max_per_node=3,
        pipeline_h=0.5,
    ),
    # Rescheduling out of failed zones, with crews.
    dict(
        nodes=4,
        instances=4,
        k=3,
        node_mttf=60.0,
        node_mttr=6.0,
        crews=2,
        zones=2,
        zone_mttf=100.0,
        zone_mttr=10.0,
        reschedule=True,
        pipeline_h=0.3,
    ),
]


def _rest(case):
    """The brute force's keyword options of a case."""
    positional = ("nodes", "instances", "k", "node_mttf", "node_mttr")
    return {key: value for key, value in case.items() if key not in positional}


def _options(case):
    case = dict(case)
    keys = ("nodes", "instances", "k", "node_mttf", "node_mttr")
    args = [case.pop(name) for name in keys]
    renamed = dict(
        repair_crews=case.get("crews", math.inf),
        zones=case.get("zones", 1),
        zone_mttf_h=case.get("zone_mttf", math.inf),
        zone_mttr_h=case.get("zone_mttr", 0.0),
        instance_mttf_h=case.get("instance_mttf", math.inf),
        instance_mttr_h=case.get("instance_mttr", 0.0),
        reschedule=case.get("reschedule", False),
        recovery_node_failure_s=case.get("pipeline_h", 1.0) * 3600.0,
        max_instances_per_node=case.get("max_per_node", math.inf),
    )
    return args, renamed


@pytest.mark.parametrize("case", CASES)
def test_exact_chain_equals_a_brute_force_chain_over_every_unit(case):
    # The brute force keeps every node, zone and container and the repair queue in order;
    # with random-order repair it is the same model, so agreement is to rounding (1e-9).
    args, options = _options(case)
    got = figures(*args, **options)
    assert got["service_model"] == service.EXACT_CHAIN
    u, frequency = brute_force(*args, **_rest(case), order="random")
    assert got["service_unavailability"] == pytest.approx(u, rel=1e-9)
    assert got["outage_frequency_per_year"] / YEAR_H == pytest.approx(frequency, rel=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_random_order_repair_matches_first_come_first_served(case):
    # Exchangeable nodes: without rescheduling the repair order does not change which nodes
    # are down, so FCFS gives the same figures (to rounding). With rescheduling and queued
    # repairs the order matters a little: within 3 % in these harsh cases.
    args, options = _options(case)
    got = figures(*args, **options)
    u, frequency = brute_force(*args, **_rest(case), order="fcfs")
    both = case.get("reschedule") and case.get("crews", math.inf) < case["nodes"]
    tolerance = 0.03 if both else 1e-9
    assert got["service_unavailability"] == pytest.approx(u, rel=tolerance)
    assert got["outage_frequency_per_year"] / YEAR_H == pytest.approx(frequency, rel=tolerance)


def test_published_crew_case_from_the_issue():
    # 5 nodes, 7 instances, k = 4, MTTF 100 h, MTTR 10 h, one crew: the exact FCFS
    # repair-queue CTMC gives 34.2 outages a year (the worst-case node-count chain 98.9).
    got = figures(5, 7, 4, 100.0, 10.0, repair_crews=1)
    assert got["outage_frequency_per_year"] == pytest.approx(34.2097, abs=1e-4)
    worst = markov.service_outage_metrics(5, 7, 4, 100.0, 10.0, 1)["outage_frequency_per_year"]
    assert worst == pytest.approx(98.87, abs=0.01)
    # The unavailability is the crew model's, computed by other code.
    crew = markov.crew_service_unavailability(5, 7, 4, 100.0, 10.0, 1)
    assert got["service_unavailability"] == pytest.approx(crew, rel=1e-12)


def test_no_room_means_rescheduling_changes_nothing():
    # Every node already runs its maximum: evicted instances have nowhere to go, so the chain
    # (with rescheduling) must equal the convolution (without), which is other code.
    plain = figures(6, 12, 9, 300.0, 12.0, zones=3, zone_mttf_h=2000.0, zone_mttr_h=5.0)
    full = figures(
        6,
        12,
        9,
        300.0,
        12.0,
        zones=3,
        zone_mttf_h=2000.0,
        zone_mttr_h=5.0,
        reschedule=True,
        recovery_node_failure_s=300.0,
        max_instances_per_node=2,
    )
    assert plain["service_model"] == service.EXACT_CONVOLUTION
    assert full["service_model"] == service.EXACT_CHAIN
    for name in ("service_unavailability", "outage_frequency_per_year", "service_mttf_h"):
        assert full[name] == pytest.approx(plain[name], rel=1e-10), name


def test_tiny_unavailabilities_keep_their_digits_in_the_chain():
    # 8 single-instance nodes, k = 1, q ≈ 1e-6: U = q^8 ≈ 1e-48, far below 1 − A.
    got = figures(8, 8, 1, 1e5, 0.1, repair_crews=7)
    exact = markov.crew_service_unavailability(8, 8, 1, 1e5, 0.1, 7)
    assert got["service_unavailability"] == pytest.approx(exact, rel=1e-12)
    assert 1e-49 < got["service_unavailability"] < 1e-47


def test_large_clusters_fall_back_to_a_named_approximation():
    assert service.chain_states(40, 60, 1, True, False) > service.MAX_CHAIN_STATES
    got = figures(40, 60, 50, 500.0, 10.0, reschedule=True, recovery_node_failure_s=300.0)
    assert got["service_model"] == service.APPROX_RESCHEDULE
    zoned = dict(zones=6, zone_mttf_h=1e4, zone_mttr_h=4.0)
    crews = figures(60, 61, 50, 500.0, 10.0, repair_crews=2, **zoned)
    assert service.chain_states(60, 61, 6, False, True) > service.MAX_CHAIN_STATES
    assert crews["service_model"] == service.APPROX_CREWS
    # The crew approximation keeps the exact unavailability and frequency × duration = U.
    qz = availability.steady_state_unavailability(1e4, 4.0)
    exact = markov.crew_service_unavailability(60, 61, 50, 500.0, 10.0, 2, 0.0, 6, qz)
    assert crews["service_unavailability"] == pytest.approx(exact, rel=1e-12)


APPROXIMATED = [
    # (nodes, instances, k, node MTTF, MTTR [h], zones, zone MTTF [h], pipeline [s]), bounds
    ((4, 8, 6, 500.0, 24.0, 1, math.inf, 360.0), 0.002, 0.005),
    ((8, 16, 12, 500.0, 10.0, 1, math.inf, 300.0), 0.002, 0.005),
    ((5, 10, 9, 200.0, 5.0, 1, math.inf, 600.0), 0.002, 0.005),
    ((6, 6, 4, 100.0, 10.0, 3, 1000.0, 600.0), 1.0, 0.5),
    ((6, 12, 9, 50.0, 2.0, 3, 500.0, 300.0), 1.0, 0.5),
]


@pytest.mark.parametrize(("case", "u_bound", "f_bound"), APPROXIMATED)
def test_rescheduling_approximation_within_its_stated_error(monkeypatch, case, u_bound, f_bound):
    # The docstring's claim: within 0.2 % of the exact chain without zone failures; with them
    # up to 100 % high in U and 50 % high in frequency (never low: it is conservative there).
    nodes, instances, k, mttf, mttr, zones, zone_mttf, pipeline_s = case
    options = dict(
        zones=zones,
        zone_mttf_h=zone_mttf,
        zone_mttr_h=4.0,
        reschedule=True,
        recovery_node_failure_s=pipeline_s,
    )
    exact = figures(nodes, instances, k, mttf, mttr, **options)
    assert exact["service_model"] == service.EXACT_CHAIN
    monkeypatch.setattr(service.figures, "MAX_CHAIN_STATES", 1)
    approximate = figures(nodes, instances, k, mttf, mttr, **options)
    assert approximate["service_model"] == service.APPROX_RESCHEDULE
    for name, bound in (
        ("service_unavailability", u_bound),
        ("outage_frequency_per_year", f_bound),
    ):
        ratio = approximate[name] / exact[name] - 1
        assert -0.002 <= ratio <= bound, (name, ratio)


switches = st.fixed_dictionaries(
    dict(
        nodes=st.integers(1, 6),
        per_node=st.integers(1, 3),
        extra=st.integers(0, 5),
        k_fraction=st.floats(0, 1),
        needed=st.integers(0, 20),
        node_mttf_h=st.floats(5, 1e5),
        node_mttr_h=st.floats(0.05, 50),
        crews=st.sampled_from([math.inf, 1, 2]),
        reschedule=st.booleans(),
        recovery_node_failure_s=st.floats(10, 1e5),
        zones=st.integers(1, 3),
        zone_mttf_h=st.sampled_from([math.inf, 500.0, 5e4]),
        containers=st.booleans(),
        room=st.sampled_from([0, 1, math.inf]),
    )
)


def _scenario(v):
    nodes = v["nodes"]
    instances = nodes * v["per_node"] - min(v["extra"], nodes - 1)
    k = int(round(v["k_fraction"] * instances))
    options = dict(
        repair_crews=v["crews"],
        reschedule=v["reschedule"],
        recovery_node_failure_s=v["recovery_node_failure_s"],
        zones=min(v["zones"], nodes),
        zone_mttf_h=v["zone_mttf_h"],
        zone_mttr_h=4.0,
        instance_mttf_h=200.0 if v["containers"] else math.inf,
        instance_mttr_h=0.2 if v["containers"] else 0.0,
        max_instances_per_node=math.ceil(instances / nodes) + v["room"],
    )
    return nodes, instances, k, options


@settings(max_examples=60, deadline=None)
@given(switches)
def test_invariants_over_every_combination_of_switches(v):
    nodes, instances, k, options = _scenario(v)
    result = service.service_figures(
        nodes, instances, k, v["needed"], v["node_mttf_h"], v["node_mttr_h"], **options
    )
    got = {name: values[0] for name, values in result.items()}
    for name in ("service_unavailability", "capacity_unavailability", "slo_unavailability"):
        assert 0.0 <= got[name] <= 1.0, name
    # The headline is never better than either component.
    assert got["slo_unavailability"] >= got["service_unavailability"] * (1 - 1e-12)
    assert got["slo_unavailability"] >= got["capacity_unavailability"] * (1 - 1e-12)
    # Frequency × duration = unavailability (both from one model).
    u, f = got["service_unavailability"], got["outage_frequency_per_year"]
    if f > 0 and math.isfinite(got["mean_outage_duration_min"]):
        assert f / YEAR_H * got["mean_outage_duration_min"] / 60 == pytest.approx(u, rel=1e-9)
    if got["service_model"] != service.APPROX_CREWS:
        assert got["service_mttf_h"] > 0 or u == 1.0
    # One more instance (unlimited room) never lowers availability, k fixed, within one
    # model (an approximation may differ from the exact chain by its stated error).
    roomy = options | {"max_instances_per_node": math.inf}
    before = service.service_figures(
        nodes, instances, k, 0, v["node_mttf_h"], v["node_mttr_h"], **roomy
    )
    after = service.service_figures(
        nodes, instances + 1, k, 0, v["node_mttf_h"], v["node_mttr_h"], **roomy
    )
    if before["service_model"][0] == after["service_model"][0]:
        u_before, u_after = before["service_unavailability"][0], after["service_unavailability"][0]
        assert u_after <= u_before * (1 + 1e-9) + 1e-300


def test_rows_broadcast_and_repeat_once():
    result = service.service_figures(
        np.array([3, 3, 4]), 6, 2, 0, 500.0, [5.0, 5.0, 5.0], repair_crews=[1, 1, np.nan]
    )
    assert result["service_unavailability"][0] == result["service_unavailability"][1]
    assert list(result["service_model"]) == [service.EXACT_CHAIN] * 2 + [service.EXACT_CONVOLUTION]
    plain = availability.service_unavailability(
        4, 6, 2, availability.steady_state_unavailability(500.0, 5.0)
    )
    assert result["service_unavailability"][2] == pytest.approx(plain, rel=1e-13)


def test_every_combination_counted():
    # 2^4 combinations of crews × rescheduling × zones × containers all give exact rows for a
    # small cluster.
    for crews, moved, zoned, crashes in itertools.product(
        [math.inf, 1], [False, True], *[[0, 1]] * 2
    ):
        got = figures(
            4,
            6,
            4,
            200.0,
            8.0,
            repair_crews=crews,
            reschedule=moved,
            recovery_node_failure_s=600.0,
            zones=2,
            zone_mttf_h=1000.0 if zoned else math.inf,
            zone_mttr_h=5.0,
            instance_mttf_h=100.0 if crashes else math.inf,
            instance_mttr_h=0.5 if crashes else 0.0,
        )
        assert got["service_model"].startswith("exact")
