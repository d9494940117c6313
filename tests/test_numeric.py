"""The shared input helpers: range checks and keeping the input's kind."""

import numpy as np
import pandas as pd
import pytest

from haplan._numeric import check_range, rarely_repeated, restore, to_float_array


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


def test_rarely_repeated_reads_a_sample_of_long_numeric_columns():
    # a sample of 4·√n rows: with every row distinct it holds no repeat; with every value
    # twice it holds about 8 (so > 1 in practice, seeded); short or text columns are hashed
    rows = 1 << 17
    distinct = np.random.default_rng(1).random(rows)
    assert rarely_repeated(distinct)
    assert not rarely_repeated(np.concatenate([distinct[: rows // 2]] * 2))
    assert not rarely_repeated(np.arange(rows) % 5000)
    assert not rarely_repeated(distinct[:1000])
    assert not rarely_repeated(distinct.astype(str).astype(object))


def test_a_table_counted_distinct_equals_the_table_of_its_rows():
    # deduplication skipped on a sample's word must not change a number: a frame of 70,000
    # distinct scenarios gives, row for row, what its rows give on their own (rtol 1e-13:
    # the same sums, batched differently)
    import haplan

    rng = np.random.default_rng(5)
    rows = 70_000
    frame = pd.DataFrame(
        {
            "instances": rng.integers(1, 30, rows),
            "node_mttf_h": rng.uniform(100.0, 5000.0, rows),
            "node_mttr_h": rng.uniform(0.1, 24.0, rows),
            "request_rate_rps": rng.uniform(0.0, 2000.0, rows),
        }
    )
    frame["nodes"] = np.minimum(rng.integers(1, 30, rows), frame["instances"])
    assert rarely_repeated(frame["node_mttf_h"].to_numpy())
    whole = haplan.metrics(frame)
    picked = [0, 17, 4_321, 69_999]
    alone = haplan.metrics(frame.iloc[picked])
    pd.testing.assert_frame_equal(whole.iloc[picked], alone, check_exact=False, rtol=1e-13)
