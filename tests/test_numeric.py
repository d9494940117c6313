"""The shared input helpers: range checks and keeping the input's kind."""

import numpy as np
import pandas as pd
import pytest

from haplan._numeric import check_range, restore, to_float_array


@pytest.mark.parametrize(
    ("value", "rule", "message"),
    [
        (0, dict(low=1, integer=True), r"^x=0 is out of range: must be a whole number >= 1$"),
        (1.5, dict(low=0, integer=True), r"^x=1.5 is out of range: must be a whole number >= 0$"),
        (0, dict(low=0, low_open=True), r"^x=0 is out of range: must be a number > 0$"),
        (2, dict(high=1), r"^x=2 is out of range: must be a number <= 1$"),
        (1, dict(low=0, high=1, high_open=True), r"^x=1 is out of range: .* >= 0 and < 1$"),
        (np.inf, dict(low=0), r"^x=inf is out of range"),
        ([1, np.nan, -1], dict(low=0), r"^x=nan is out of range"),  # first bad value
        ("3", dict(), r"^x='3' is not numeric"),
        ([1, "a"], dict(), r"is not numeric"),
    ],
)
def test_check_range_names_value_and_range(value, rule, message):
    with pytest.raises(ValueError, match=message):
        check_range("x", value, **rule)


def test_check_range_accepts_and_returns_float_arrays():
    assert check_range("x", np.inf, low=0, allow_inf=True) == np.inf
    out = check_range("x", [1, 2], low=1, integer=True)
    assert out.dtype == float and out.tolist() == [1.0, 2.0]
    assert to_float_array("x", pd.Series([1, 2])).tolist() == [1.0, 2.0]


def test_restore_keeps_the_kind():
    assert restore(np.asarray(2.0), 1, 2.0) == 2.0 and isinstance(
        restore(np.asarray(2.0), 1), float
    )
    assert isinstance(restore(np.array([1.0, 2.0]), [1, 2]), np.ndarray)
    series = pd.Series([1, 2], index=["a", "b"])
    out = restore(np.array([3.0, 4.0]), 1, series)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b"]


def test_series_with_different_indexes_are_refused_not_combined_by_position():
    from haplan import document

    a = pd.Series([3, 4], index=["a", "b"])
    b = pd.Series([1, 2], index=["b", "a"])
    with pytest.raises(ValueError, match=r"Series inputs have different indexes"):
        document.balancer_load(a, b, 100)
    aligned_a, aligned_b = a.align(b)
    out = document.balancer_load(aligned_a, aligned_b, 100)
    assert out.to_dict() == {"a": 150.0, "b": 400.0}


def test_binomial_helpers_match_scipy_stats_at_the_edges():
    # the start-up-light helpers must equal scipy.stats.binom where the models call them
    from scipy import stats

    from haplan._numeric import binomial_cdf, binomial_pmf, binomial_sf

    k = np.array([-1, 0, 1, 2, 2.5, 4, 5, 7])
    for trials, p in ((5, 0.3), (5, 0.0), (5, 1.0), (0, 0.4), (5, 1 - 1e-12)):
        np.testing.assert_allclose(binomial_cdf(k, trials, p), stats.binom.cdf(k, trials, p))
        np.testing.assert_allclose(binomial_sf(k, trials, p), stats.binom.sf(k, trials, p))
        np.testing.assert_allclose(
            binomial_pmf(k, trials, p), stats.binom.pmf(k, trials, p), rtol=1e-12, atol=0
        )
