"""The planner against brute force, and the Pareto frontier against a direct definition."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import haplan
from haplan.planner import pareto, plan
from haplan.scenario import Scenario

BASE = Scenario(
    nodes=3,
    instances=3,
    min_instances=1,
    instance_capacity_rps=100.0,
    max_utilization=0.7,
    node_mttf_h=2000.0,
    node_mttr_h=24.0,
)


def brute_force(target, rate, max_p99, max_recovery, node_cost, instance_cost, nodes, replicas):
    """Evaluate every candidate one Scenario at a time and keep the cheapest that passes."""
    best = None
    for n, r in itertools.product(nodes, replicas):
        c = n * r
        if c < BASE.min_instances:
            continue
        row = haplan.metrics(BASE.with_overrides(nodes=n, replicas=r, request_rate_rps=rate)).iloc[
            0
        ]
        unavailable = max(row["service_unavailability"], row["capacity_unavailability"])
        ok = row["utilization"] <= row["max_utilization"] and unavailable <= 1 - target
        if max_p99 is not None:
            ok = ok and row["p99_response_ms"] <= max_p99
        if max_recovery is not None:
            ok = ok and row["recovery_node_failure_s"] <= max_recovery
        key = (node_cost * n + instance_cost * c, n, c)
        if ok and (best is None or key < best):
            best = key
    return best


@settings(max_examples=25, deadline=None)
@given(
    target=st.sampled_from([0.99, 0.999, 0.9999, 0.99999]),
    rate=st.floats(10, 1500),
    max_p99=st.one_of(st.none(), st.floats(20, 200)),
    max_recovery=st.one_of(st.none(), st.floats(300, 400)),
    instance_cost=st.sampled_from([0.0, 0.1, 0.5]),
)
def test_planner_equals_brute_force(target, rate, max_p99, max_recovery, instance_cost):
    nodes, replicas = range(1, 9), [1, 2, 3]
    result = plan(
        target,
        rate,
        max_p99_response_ms=max_p99,
        max_recovery_s=max_recovery,
        instance_cost=instance_cost,
        search={"nodes": nodes, "replicas": replicas},
        base=BASE,
    )
    expected = brute_force(target, rate, max_p99, max_recovery, 1.0, instance_cost, nodes, replicas)
    if expected is None:
        assert result.best is None
        assert not result.candidates["feasible"].any()
        return
    best = result.best
    assert (best["cost"], best["nodes"], best["instances"]) == pytest.approx(expected)
    # Every cheaper candidate fails, and says why.
    assert (result.cheaper_rejected()["reason"] != "").all()
    assert (result.cheaper_rejected()["cost"] <= best["cost"]).all()


def test_reasons_name_the_failed_constraint():
    search = {"nodes": range(1, 7), "replicas": range(1, 6)}
    result = plan(0.9999, 1000.0, max_p99_response_ms=100.0, search=search)
    reasons = result.candidates.set_index(["nodes", "replicas"])["reason"]
    assert reasons[(1, 1.0)] == "utilisation 1000% > ceiling 70%"
    # 6 x 3: survives a node loss (15 of the 15 instances needed) but each instance runs at
    # 1000/18 req/s of 100: random balancing's p99 is ln(100) / (100 - 55.6) s = 103.6 ms.
    assert reasons[(6, 3.0)] == "p99 103.6 ms > 100 ms"
    assert result.best is not None and result.best["reason"] == ""
    assert len(result.runners_up(2)) == 2


def test_candidates_with_too_few_instances_are_rejected_not_errors():
    base = BASE.with_overrides(min_instances=3)
    # 3-of-3 nodes, each down 24/2024 of the time: available 96.4 %, so a 90 % target.
    result = plan(0.9, 10.0, search={"nodes": [1, 2, 3], "replicas": [1]}, base=base)
    reasons = result.candidates.set_index("nodes")["reason"]
    assert reasons[1] == reasons[2] == "fewer instances than min_instances"
    assert result.best["nodes"] == 3


def test_candidates_with_fewer_nodes_than_zones_are_rejected():
    result = plan(
        0.99, 10.0, search={"nodes": [1, 2, 3], "replicas": [1]}, base=BASE.with_overrides(zones=3)
    )
    reasons = result.candidates.set_index("nodes")["reason"]
    assert reasons[1] == reasons[2] == "fewer nodes than zones"
    assert result.best["nodes"] == 3


def test_no_feasible_candidate():
    result = plan(0.999999999, 5000.0, search={"nodes": [1, 2], "replicas": [1]})
    assert result.best is None
    assert len(result.cheaper_rejected()) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_availability": 99.99}, r"target_availability=99.99 is out of range"),
        ({"max_p99_response_ms": -1}, r"max_p99_response_ms=-1 is out of range"),
        ({"node_cost": -1}, r"node_cost=-1 is out of range"),
        ({"search": {"nodes": [0, 1]}}, r"nodes=0 is out of range: must be a whole number >= 1"),
    ],
)
def test_plan_errors(kwargs, message):
    args = {"target_availability": 0.999, "request_rate_rps": 100.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        plan(**args)


def dominated_directly(points):
    """Row i is dominated if some j is <= everywhere and < somewhere (all minimised)."""
    out = []
    for i, p in enumerate(points):
        out.append(any(np.all(q <= p) and np.any(q < p) for j, q in enumerate(points) if j != i))
    return np.array(out)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)), min_size=1))
def test_pareto_matches_definition(rows):
    frame = pd.DataFrame(rows, columns=["cost", "nines", "p99"])
    front = pareto(frame, {"cost": "min", "nines": "max", "p99": "min"})
    points = np.column_stack([frame["cost"], -frame["nines"], frame["p99"]])
    expected = frame.index[~dominated_directly(points)]
    assert sorted(front.index) == sorted(expected)
    assert front["cost"].is_monotonic_increasing


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40))
def test_pareto_two_objectives_matches_definition(rows):
    # Two objectives take the O(n log n) path; the definition is checked directly.
    frame = pd.DataFrame(rows, columns=["cost", "nines"])
    front = pareto(frame, {"cost": "min", "nines": "max"})
    points = np.column_stack([frame["cost"], -frame["nines"]])
    assert sorted(front.index) == sorted(frame.index[~dominated_directly(points)])


def test_pareto_is_fast_on_a_large_sweep():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"cost": rng.integers(1, 100, 200_000), "nines": rng.random(200_000)})
    front = pareto(frame, {"cost": "min", "nines": "max"})
    assert front["nines"].is_monotonic_increasing and len(front) <= 99


def test_pareto_of_a_sweep_trades_cost_for_nines():
    table = haplan.sweep(nodes=range(2, 8), replicas=[1, 2], base=BASE)
    front = pareto(table.assign(cost=table["nodes"]), {"cost": "min", "nines": "max"})
    assert front["nines"].is_monotonic_increasing
    assert not math.isnan(front["nines"].iloc[0])


def test_pareto_errors():
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match=r"objective 'b' is not a column"):
        pareto(frame, {"b": "min"})
    with pytest.raises(ValueError, match=r"objective a='up' is not valid"):
        pareto(frame, {"a": "up"})


def test_confidence_plan_probability_matches_the_analytic_one():
    # k = 1 of N single-instance nodes, no load, no container crashes: U = q^N with
    # q = MTTR / (MTTF + MTTR), so U <= 1 - A* iff MTTF >= MTTR (1/q* - 1), q* = (1 - A*)^(1/N).
    # With MTTF ~ gamma(4, 100) the probability of meeting A* is gamma.sf at that bound.
    from scipy import stats

    from haplan.uncertainty import split_uncertain

    point, laws = split_uncertain({"node_mttf_h": "gamma(4, 100)"})
    base = Scenario.default().with_overrides(
        **point, node_mttr_h=5.0, instance_mttf_h=math.inf, instance_mttr_h=0.0
    )
    samples = 4000
    result = plan(
        0.9995,
        0.0,
        base=base,
        search={"nodes": [2, 3, 4], "replicas": [1]},
        distributions=laws,
        confidence=0.9,
        samples=samples,
        seed=3,
    )
    for _, row in result.candidates.iterrows():
        q_star = (5e-4) ** (1.0 / row["nodes"])
        expected = stats.gamma.sf(5.0 * (1.0 / q_star - 1.0), 4, scale=100.0)
        se = math.sqrt(expected * (1 - expected) / samples) or 1.0 / samples
        # 4 binomial standard errors: the draws are random, the rule is exact.
        assert abs(row["probability_met"] - expected) <= 4 * se, (row["nodes"], expected)
    # The plan takes the cheapest candidate whose probability reaches 0.9: 3 nodes, where
    # at the median MTTF (367 h) 2 would do (they meet 99.95 % with probability 0.82 only).
    probable = result.candidates[result.candidates["probability_met"] >= 0.9]
    assert result.best["nodes"] == probable["nodes"].min() == 3
    at_median = plan(0.9995, 0.0, base=base, search={"nodes": [2, 3, 4], "replicas": [1]})
    assert at_median.best["nodes"] == 2


def test_confidence_needs_distributions_and_no_searched_uncertain_input():
    from haplan.uncertainty import split_uncertain

    with pytest.raises(ValueError, match="confidence needs distributions"):
        plan(0.999, 100.0, confidence=0.9)
    point, laws = split_uncertain({"nodes": "uniform(2, 6)"})
    with pytest.raises(ValueError, match="nodes is both searched and uncertain"):
        plan(0.999, 100.0, distributions=laws, confidence=0.9)


def test_the_best_on_the_edge_of_the_search_is_warned_about():
    # The default search stops at 5 replicas per node; at 1,000 req/s the best uses all 5:
    # more per node might allow fewer nodes.
    result = plan(0.9999, 1000.0)
    assert result.best["replicas"] == 5
    assert result.warnings == (
        "the best candidate has the largest replicas searched (5): more per node might allow "
        "fewer nodes; search replicas beyond 5",
    )
    wider = plan(0.9999, 1000.0, search={"nodes": range(1, 21), "replicas": range(1, 11)})
    assert wider.best["cost"] <= result.best["cost"]
    # Nothing to say when the best sits at a natural bound (1 node) and inside the replicas.
    inside = plan(0.999, 100.0, search={"nodes": range(1, 6), "replicas": range(1, 6)})
    assert (inside.best["nodes"], inside.best["replicas"]) == (1, 2)
    assert inside.warnings == ()
    # The same answer with the search starting at 2 nodes: fewer might do.
    above = plan(0.999, 100.0, search={"nodes": range(2, 6), "replicas": range(1, 6)})
    assert above.warnings == (
        "the best candidate has the smallest nodes searched (2): search nodes below 2",
    )
