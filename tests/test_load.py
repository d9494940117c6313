"""Headroom and availability at load: hand-worked placements, a brute-force check of the
N + k closed form, enumeration of node states for capacity unavailability, kinds and errors."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haplan import availability, load

# --------------------------------------------------------------------------- instances_needed


def test_instances_needed_values():
    # ⌈P / (capacity × u)⌉: 100 / (50 × 0.8) = 2.5 → 3; 120 / 40 = 3 → 3; P = 0 needs none
    result = load.instances_needed([0.0, 1e-20, 100.0, 120.0, 121.0], 50.0, 0.8)
    np.testing.assert_array_equal(result, [0, 1, 3, 3, 4])


def test_instances_needed_ignores_float_rounding():
    # in binary floating point 9.8 / (7 × 0.7) = 2.0000000000000004; two instances suffice
    assert 9.8 / (7 * 0.7) > 2
    assert load.instances_needed(9.8, 7, 0.7) == 2.0
    assert load.instances_needed(9.81, 7, 0.7) == 3.0


# --------------------------------------------------------------------------- failures_tolerated


def test_failures_tolerated_worked_examples():
    # 7 instances on 3 nodes → 3, 2, 2. P = 4, capacity 1, u = 1 needs 4: losing the 3-node
    # leaves 4 (ok), losing a 2-node too leaves 2 (not ok) → 1.
    assert load.failures_tolerated(3, 7 / 3, 4.0, 1.0, 1.0) == 1.0
    # 3 instances on 5 nodes → 1, 1, 1, 0, 0. Needing 1: two loaded nodes may fail.
    assert load.failures_tolerated(5, 0.6, 1.0, 1.0, 1.0) == 2.0
    # no load: every node may fail
    assert load.failures_tolerated(5, 0.6, 0.0, 1.0, 1.0) == 5.0
    # 10 nodes × 2 at 70 % of 100 rps carrying 1000 rps: needs 15, spare 5 → 2 nodes (N + 2)
    assert load.failures_tolerated(10, 2, 1000.0, 100.0, 0.7) == 2.0


def test_overloaded_with_all_nodes_up_is_minus_one():
    result = load.failures_tolerated(3, 1, [2.0, 3.0, 3.5], 1.0, 1.0)
    np.testing.assert_array_equal(result, [1.0, 0.0, -1.0])


def _tolerated_by_removal(nodes, instances, needed):
    """Remove the most loaded node one at a time while the rest still hold ``needed``."""
    if needed > instances:
        return -1
    counts = sorted(availability.instances_per_node(nodes, instances), reverse=True)
    up = instances
    for failed, count in enumerate(counts, start=1):
        up -= count
        if up < needed:
            return failed - 1
    return nodes


@settings(max_examples=100, deadline=None)
@given(
    nodes=st.integers(min_value=1, max_value=40),
    instances=st.integers(min_value=1, max_value=200),
    needed=st.integers(min_value=0, max_value=220),
)
def test_failures_tolerated_matches_removal(nodes, instances, needed):
    replicas = instances / nodes  # the article's R; round(N × R) gives the instances back
    result = load.failures_tolerated(nodes, replicas, float(needed), 1.0, 1.0)
    assert result == _tolerated_by_removal(nodes, instances, needed)


def test_failures_tolerated_kinds():
    assert isinstance(load.failures_tolerated(3, 1, 1.0, 1.0, 1.0), float)
    grid = load.failures_tolerated(np.array([[3], [6]]), 2, [1.0, 5.0, 13.0], 1.0, 1.0)
    np.testing.assert_array_equal(grid, [[2, 0, -1], [5, 3, -1]])
    rates = pd.Series([1.0, 2.0], index=["a", "b"])
    result = load.failures_tolerated(4, 1, rates, 1.0, 1.0)
    assert isinstance(result, pd.Series)
    assert list(result) == [3.0, 2.0]


# --------------------------------------------------------------------------- capacity


def _capacity_unavailability_by_enumeration(per_node, needed, q):
    """Sum P(state) over the 2^N up/down node states with fewer than ``needed`` up."""
    total = 0.0
    for state in itertools.product((0, 1), repeat=len(per_node)):
        up = sum(count for count, alive in zip(per_node, state, strict=True) if alive)
        if up < needed:
            down = len(state) - sum(state)
            total += q**down * (1 - q) ** sum(state)
    return total


@pytest.mark.parametrize(("rate", "needed"), [(30.0, 3), (45.0, 5), (60.0, 6)])
def test_capacity_unavailability_against_enumeration(rate, needed):
    # 6 instances on 4 nodes → 2, 2, 1, 1; capacity 10, u = 1 → needed = ⌈rate/10⌉
    assert load.instances_needed(rate, 10.0, 1.0) == needed
    expected = _capacity_unavailability_by_enumeration([2, 2, 1, 1], needed, 0.1)
    assert load.capacity_unavailability(4, 6, rate, 10.0, 1.0, 0.1) == pytest.approx(
        expected, rel=1e-12
    )


def test_capacity_unavailability_edges():
    # hand: 5 nodes × 2 instances, q = 0.01. Needing 2 fails only if all nodes are down: q⁵.
    assert load.capacity_unavailability(5, 10, 100.0, 50.0, 1.0, 0.01) == pytest.approx(1e-10)
    assert load.capacity_unavailability(5, 10, 0.0, 50.0, 1.0, 0.01) == 0.0
    assert load.capacity_unavailability(5, 10, 501.0, 50.0, 1.0, 0.01) == 1.0  # needs 11
    result = load.capacity_unavailability(
        5,
        10,
        [100.0, 450.0],
        50.0,
        1.0,
        0.01,
        instance_unavailability=0.001,
        zones=2,
        zone_unavailability=1e-4,
    )
    expected = availability.service_unavailability(5, 10, [2, 9], 0.01, 0.001, 2, 1e-4)
    np.testing.assert_allclose(result, expected, rtol=1e-15)


def test_capacity_unavailability_grows_with_load():
    rates = np.linspace(0.0, 1000.0, 41)
    result = load.capacity_unavailability(8, 16, rates, 70.0, 0.9, 0.02, 0.005)
    assert np.all(np.diff(result) >= 0)
    assert np.all((result >= 0) & (result <= 1))
    assert isinstance(load.capacity_unavailability(8, 16, 100.0, 70.0, 0.9, 0.02), float)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: load.instances_needed(-1.0, 10, 0.7), r"request_rate=-1 is out of range"),
        (lambda: load.instances_needed(1.0, 0, 0.7), r"instance_capacity=0 is out of range"),
        (lambda: load.instances_needed(1.0, 10, 1.2), r"max_utilization=1\.2 is out of range"),
        (lambda: load.instances_needed(1.0, 10, 0), r"max_utilization=0 is out of range"),
        (lambda: load.failures_tolerated(0, 1, 1.0, 1, 1), r"nodes=0 is out of range"),
        (lambda: load.failures_tolerated(2, 0, 1.0, 1, 1), r"replicas=0 is out of range"),
        (
            lambda: load.capacity_unavailability(3, 0, 1.0, 1, 1, 0.1),
            r"instances=0 is out of range",
        ),
        (
            lambda: load.capacity_unavailability(3, 3, 1.0, 1, 1, 1.5),
            r"node_unavailability=1\.5 is out of range",
        ),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
