"""The article's formulas: hand-computed values, every input kind, and error messages."""

import numpy as np
import pandas as pd
import pytest

from haplan import document


def test_hand_computed_values():
    # The article's example: Deployment replicas: 3 on 3 nodes -> R = 1; P = 100 req/s, S = 30 s.
    assert document.total_containers(3, 1) == 3.0
    assert document.balancer_load(3, 1, 100) == 300.0
    assert document.recovery_time(3, 1, 30) == 90.0
    # N = 10, R = 4: C = 40, L = 10/4 x 200 = 500, T = 10/4 x 12 = 30 (exact in binary).
    assert document.total_containers(10, 4) == 40.0
    assert document.balancer_load(10, 4, 200) == 500.0
    assert document.recovery_time(10, 4, 12) == 30.0


def test_letters_are_aliases():
    assert document.C is document.total_containers
    assert document.L is document.balancer_load
    assert document.T is document.recovery_time


def test_scalar_in_float_out():
    result = document.balancer_load(4, 2, 10)
    assert isinstance(result, float)
    assert result == 20.0


def test_list_and_ndarray_broadcast():
    expected = np.array([100.0, 200.0, 300.0])
    assert isinstance(document.balancer_load([1, 2, 3], 1, 100), np.ndarray)
    np.testing.assert_array_equal(document.balancer_load([1, 2, 3], 1, 100), expected)
    np.testing.assert_array_equal(document.balancer_load(np.array([1, 2, 3]), 1.0, 100), expected)
    grid = document.total_containers(np.array([[1], [2]]), np.array([1, 2, 3]))
    assert grid.shape == (2, 3)
    np.testing.assert_array_equal(grid, [[1, 2, 3], [2, 4, 6]])


def test_series_keeps_index():
    nodes = pd.Series([2, 4], index=["a", "b"])
    result = document.recovery_time(nodes, 2, 10)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["a", "b"]
    np.testing.assert_array_equal(result.to_numpy(), [10.0, 20.0])


def test_balancer_load_grows_with_nodes_and_is_not_per_node():
    # The docstring's warning, as a check: for fixed P and R, L rises with N, P / N falls.
    loads = document.balancer_load(np.arange(1, 10), 1, 100)
    assert np.all(np.diff(loads) > 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: document.total_containers(0, 1), r"nodes=0 is out of range: must be .*>= 1"),
        (lambda: document.total_containers(3, 0), r"replicas=0 is out of range: must be .*> 0"),
        (lambda: document.total_containers(3, -1), r"replicas=-1 is out of range"),
        (lambda: document.balancer_load(3, 1, -5), r"request_rate=-5 is out of range: .*>= 0"),
        (lambda: document.recovery_time(3, 1, -1), r"recovery_speed=-1 is out of range"),
        (lambda: document.total_containers(np.nan, 1), r"nodes=nan is out of range"),
        (lambda: document.total_containers([3, np.nan], 1), r"nodes=nan"),
        (lambda: document.total_containers("three", 1), r"nodes='three' is not numeric"),
        (lambda: document.balancer_load(3, 1, None), r"request_rate=None is not numeric"),
        (lambda: document.total_containers([1, 0.5], 1), r"nodes=0.5 is out of range"),
    ],
)
def test_invalid_input_names_parameter_value_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()
