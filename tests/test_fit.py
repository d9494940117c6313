"""Tests of haplan.fit: censored MLE fits, intervals, coverage, histories and the LANL data."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from haplan._data import data_path
from haplan.fit import (
    EXACT,
    LEFT,
    RIGHT,
    exponential_mean_interval,
    fit_durations,
    fit_history,
    history_periods,
    read_history,
)

LANL = data_path("history", "lanl-system16-outages.csv")


# --- exact values -------------------------------------------------------------------------


def test_exponential_interval_hand_case_one_failure():
    # r = 1, T = 1000 h, 95 %: upper 2T/χ²(0.025; 2) = T / -ln(0.975) in closed form; lower
    # 2T/χ²(0.975; 4), where χ²(4) has CDF 1 − e^{−q/2}(1 + q/2), so q = 2(−W₋₁(−α/(2e)) − 1).
    low, high = exponential_mean_interval(1000.0, 1, 0.95)
    assert high == pytest.approx(1000.0 / -math.log(0.975), rel=1e-12)  # 39,496.6 h
    q = 2.0 * (-special.lambertw(-0.025 / math.e, -1).real - 1.0)
    assert low == pytest.approx(2000.0 / q, rel=1e-10)
    assert low == pytest.approx(179.48, abs=0.01)  # χ²(0.975; 4) = 11.143


def test_exponential_interval_no_failures_is_one_sided():
    low, high = exponential_mean_interval(500.0, 0, 0.90)
    assert high == math.inf
    assert low == pytest.approx(500.0 / -math.log(0.05), rel=1e-12)


def test_censored_textbook_example_freireich_6mp():
    # Freireich et al., Blood 21 (1963) 699: remission times (weeks) of the 21 patients on
    # 6-MP, + = censored. The textbook exponential analysis (e.g. Lawless, Statistical Models
    # and Methods for Lifetime Data, 2003; Kalbfleisch & Prentice 2002): 9 relapses in 359
    # patient-weeks, so θ = 359/9 = 39.89 weeks (rate 0.0251 per week).
    times = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    relapsed = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    kinds = [EXACT if d else RIGHT for d in relapsed]
    fit = fit_durations(times, kinds, family="exponential")
    assert fit.n_events == 9 and fit.total_h == 359
    assert fit.mean_h == pytest.approx(359 / 9, rel=1e-12)
    assert fit.loglik == pytest.approx(-9 * (math.log(359 / 9) + 1), rel=1e-12)
    assert (fit.mean_low_h, fit.mean_high_h) == exponential_mean_interval(359, 9)
    # The same data through the Weibull and log-normal censored MLEs, against scipy's
    # independent censored fitter (scipy.stats.CensoredData).
    t = np.array(times, float)
    data = stats.CensoredData(
        uncensored=t[np.array(relapsed) == 1], right=t[np.array(relapsed) == 0]
    )
    shape, _, scale = stats.weibull_min.fit(data, floc=0)
    weib = fit_durations(times, kinds, family="weibull")
    assert weib.parameters["shape"] == pytest.approx(shape, rel=1e-4)
    assert weib.parameters["scale_h"] == pytest.approx(scale, rel=1e-4)
    sigma, _, median = stats.lognorm.fit(data, floc=0)
    logn = fit_durations(times, kinds, family="lognormal")
    assert logn.parameters["sigma"] == pytest.approx(sigma, rel=1e-4)
    assert logn.parameters["mu"] == pytest.approx(math.log(median), abs=1e-4)


def test_weibull_matches_scipy_on_uncensored_data():
    x = stats.weibull_min.rvs(0.7, scale=100.0, size=300, random_state=np.random.default_rng(1))
    fit = fit_durations(x, family="weibull")
    shape, _, scale = stats.weibull_min.fit(x, floc=0)
    assert fit.parameters["shape"] == pytest.approx(shape, rel=1e-5)
    assert fit.parameters["scale_h"] == pytest.approx(scale, rel=1e-5)
    assert fit.loglik == pytest.approx(stats.weibull_min.logpdf(x, shape, scale=scale).sum())
    assert fit.mean_h == pytest.approx(scale * math.gamma(1 + 1 / shape), rel=1e-5)


def test_lognormal_left_and_right_censoring_matches_scipy():
    rng = np.random.default_rng(2)
    y = rng.lognormal(1.0, 1.5, size=300)
    t = np.clip(y, 0.2, 20.0)
    kinds = np.where(y > 20.0, RIGHT, np.where(y < 0.2, LEFT, EXACT))
    fit = fit_durations(t, kinds, family="lognormal")
    data = stats.CensoredData(
        uncensored=t[kinds == EXACT], right=t[kinds == RIGHT], left=t[kinds == LEFT]
    )
    sigma, _, median = stats.lognorm.fit(data, floc=0)
    assert fit.parameters["sigma"] == pytest.approx(sigma, rel=1e-4)
    assert fit.parameters["mu"] == pytest.approx(math.log(median), abs=1e-4)
    assert fit.mean_h == pytest.approx(median * math.exp(sigma**2 / 2), rel=1e-3)


def test_exponential_observed_information_matches_exact_standard_error():
    x = np.random.default_rng(3).exponential(10.0, size=400)
    weib = fit_durations(x, family="weibull")
    expo = fit_durations(x, family="exponential")
    assert expo.log_se == pytest.approx(1 / 20)
    assert expo.robust_log_se == pytest.approx(1 / 20, rel=0.15)
    assert weib.shape_low < 1.0 < weib.shape_high


# --- coverage over seeded replications ----------------------------------------------------


def _renewal_history(rng, n_units, window_h, draw_up, draw_down):
    """Outages (unit, start, end in hours) of independent renewal processes in [0, window_h]."""
    rows = []
    for unit in range(n_units):
        clock = 0.0
        while True:
            clock += draw_up(rng)
            if clock >= window_h:
                break
            end = clock + draw_down(rng)
            rows.append((unit, clock, end if end < window_h else np.nan))
            clock = end
            if clock >= window_h:
                break
    return pd.DataFrame(rows, columns=["unit", "start", "end"])


def _binomial_band(n, p=0.95):
    sd = math.sqrt(p * (1 - p) / n)
    return p - 3 * sd, min(1.0, p + 3 * sd)


def test_interval_coverage_over_200_replications():
    # 12 units over 3,000 h, exponential lifetimes (MTTF 300 h) and log-normal repairs
    # (μ = 0, σ = 1, MTTR = e^0.5): the exponential χ² and sandwich MTTF intervals and the
    # log-normal MTTR interval each cover the truth in 95 % ± 3 binomial sd of 200 histories.
    rng = np.random.default_rng(20240518)
    true_mttf, true_mttr = 300.0, math.exp(0.5)
    hits = {"chi2": 0, "sandwich": 0, "lognormal": 0, "weibull": 0, "exp_not_rejected": 0}
    n = 200
    for _ in range(n):
        frame = _renewal_history(
            rng, 12, 3000.0, lambda r: r.exponential(true_mttf), lambda r: r.lognormal(0, 1)
        )
        res = fit_history(frame, window_start=0.0, window_end=3000.0, mttr_from="lognormal")
        life = res.lifetimes.set_index("family")
        hits["chi2"] += (
            life.loc["exponential", "ci_low_h"] <= true_mttf <= life.loc["exponential", "ci_high_h"]
        )
        hits["sandwich"] += res.mttf_low_h <= true_mttf <= res.mttf_high_h
        hits["weibull"] += (
            life.loc["weibull", "ci_low_h"] <= true_mttf <= life.loc["weibull", "ci_high_h"]
        )
        hits["lognormal"] += res.mttr_low_h <= true_mttr <= res.mttr_high_h
        hits["exp_not_rejected"] += res.exponential_p_value >= 0.05
    low, high = _binomial_band(n)
    for name, count in hits.items():
        assert low <= count / n <= high, (name, count)


def test_weibull_interval_coverage_with_decreasing_hazard():
    rng = np.random.default_rng(7)
    shape, scale = 0.7, 200.0
    true_mean = scale * math.gamma(1 + 1 / shape)
    n, cover_mean, cover_shape = 200, 0, 0
    for _ in range(n):
        x = scale * rng.weibull(shape, size=150)
        t = np.minimum(x, 1500.0)
        fit = fit_durations(t, np.where(x > 1500.0, RIGHT, EXACT), family="weibull")
        cover_mean += fit.mean_low_h <= true_mean <= fit.mean_high_h
        cover_shape += fit.shape_low <= shape <= fit.shape_high
    low, high = _binomial_band(n)
    assert low <= cover_mean / n <= high
    assert low <= cover_shape / n <= high


# --- histories ----------------------------------------------------------------------------


def test_history_periods_from_outages():
    frame = pd.DataFrame(
        {
            "unit": ["a", "a", "a", "b", "c"],
            "start": [10.0, 30.0, 35.0, 0.0, 90.0],
            "end": [12.0, 36.0, 40.0, 5.0, np.nan],
        }
    )
    p = history_periods(frame, window_start=0.0, window_end=100.0, units=["a", "b", "c", "d"])
    a = p[p["unit"] == "a"]
    # a: up 10 (failure), down 2, up 18, down 30→40 (two overlapping outages merged), up 60
    # censored.
    assert a["state"].tolist() == ["up", "down", "up", "down", "up"]
    assert a["duration_h"].tolist() == [10.0, 2.0, 18.0, 10.0, 60.0]
    assert a["kind"].tolist() == [EXACT, EXACT, EXACT, EXACT, RIGHT]
    assert p.attrs["merged_outages"] == 1
    # b fails at the window start: no up period before it.
    assert p[p["unit"] == "b"]["duration_h"].tolist() == [5.0, 95.0]
    # c's outage is still open: censored at the window end.
    c = p[p["unit"] == "c"]
    assert c["kind"].tolist() == [EXACT, RIGHT] and c["duration_h"].tolist() == [90.0, 10.0]
    # d never failed: one up period over the whole window, censored.
    assert p[p["unit"] == "d"][["duration_h", "kind"]].values.tolist() == [[100.0, RIGHT]]


def test_timestamps_intervals_and_zero_length_outages():
    frame = pd.DataFrame(
        {
            "unit": ["n1", "n1"],
            "start": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00"]),
            "end": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 03:00"]),
        }
    )
    p = history_periods(frame, window_start="2024-01-01", window_end="2024-01-03")
    assert p["duration_h"].tolist() == [10.0, 1 / 60, 14.0, 3.0, 21.0]
    assert p["kind"].tolist() == [EXACT, LEFT, EXACT, EXACT, RIGHT]
    intervals = pd.DataFrame(
        {
            "unit": ["n1"] * 5,
            "state": ["up", "down", "up", "down", "up"],
            "duration_h": [10.0, 0.0, 14.0, 3.0, 21.0],
            "censored": [False, False, False, False, True],
        }
    )
    q = history_periods(intervals)
    pd.testing.assert_frame_equal(p, q, check_like=True)


def test_result_outputs_and_toml():
    rng = np.random.default_rng(11)
    frame = _renewal_history(rng, 10, 5000.0, lambda r: r.exponential(400.0), lambda r: 2.0)
    res = fit_history(frame, window_start=0.0, window_end=5000.0)
    values = res.scenario_values("instance")
    assert set(values) == {"instance_mttf_h", "instance_mttr_h"}
    exposure = res.periods.query("state == 'up'")["duration_h"].sum()
    failures = (res.periods.query("state == 'up'")["kind"] == EXACT).sum()
    assert values["instance_mttf_h"] == pytest.approx(exposure / failures)
    spread = res.uncertainty()
    assert (
        spread["node_mttf_h"] == f"lognormal({float(f'{res.mttf_h:.6g}')!r}, {res.mttf_log_se:.4g})"
    )
    text = res.toml()
    import tomllib

    parsed = tomllib.loads(text)
    assert parsed["node_mttf_h"] == pytest.approx(res.mttf_h, rel=1e-5)
    assert parsed["node_mttr_h"] == pytest.approx(res.mttr_h, rel=1e-5)
    assert "95 % CI" in text and "DataFrame" in text
    assert res.statement.startswith("Weibull shape ")
    assert res.lifetimes["delta_aic"].min() == 0.0
    assert set(res.lifetimes["family"]) == {"exponential", "weibull", "lognormal"}
    # Every repair took exactly 2 h: the two-parameter families cannot be fitted and are absent.
    assert res.repairs["family"].tolist() == ["exponential"]
    assert res.mttr_h == pytest.approx(2.0)


# --- the LANL data (LA-UR-05-7318, system 16) ---------------------------------------------


def test_lanl_system16_reproduces_published_findings():
    # Schroeder & Gibson, DSN 2006: time between failures is not exponential but Weibull
    # with a decreasing hazard (shape < 1); repair times are best fitted by a log-normal.
    frame = read_history(LANL)
    assert frame.attrs["window_start"] == "1996-12-01T00:00"
    res = fit_history(frame)
    assert res.n_units == 16
    assert res.weibull_shape_high < 1.0
    assert 0.5 < res.weibull_shape < 0.7
    assert res.exponential_p_value < 1e-10
    assert "decreasing hazard, exponential rejected" in res.statement
    assert res.best_repair_family == "lognormal"
    life = res.lifetimes.set_index("family")
    assert life.loc["weibull", "aic"] < life.loc["exponential", "aic"]
    # Default point values are exposure / events, so MTTR / (MTTF + MTTR) is the observed
    # downtime fraction (to 1e-5: 2 zero-length outages are left-censored below 1 minute).
    up = res.periods.query("state == 'up'")["duration_h"].sum()
    down = res.periods.query("state == 'down'")["duration_h"].sum()
    assert res.mttr_h / (res.mttf_h + res.mttr_h) == pytest.approx(down / (up + down), rel=1e-5)
    assert (res.periods["kind"] == LEFT).sum() > 0


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(confidence=1.0), "confidence=1.0 must be"),
        (dict(confidence=0), "confidence=0 must be"),
        (dict(window_end=None, window_start=0.0), "window_start and window_end are required"),
        (dict(window_end=-5.0), "must be later than window_start"),
        (dict(resolution_h=0.0), "resolution_h=0.0"),
        (dict(unit_column="node"), "unit_column='node' is not a column"),
        (dict(mttf_from="gamma"), "mttf_from='gamma' must be one of"),
    ],
)
def test_bad_arguments(kwargs, message):
    frame = pd.DataFrame({"unit": [1, 1], "start": [1.0, 5.0], "end": [2.0, 6.0]})
    args = dict(window_start=0.0, window_end=10.0) | kwargs
    with pytest.raises(ValueError, match=message):
        fit_history(frame, **args)


def test_bad_rows_are_named():
    frame = pd.DataFrame({"unit": [1, 1], "start": [1.0, 5.0], "end": [2.0, 4.0]})
    with pytest.raises(ValueError, match=r"column 'end', row 2 .*before the start"):
        fit_history(frame, window_start=0.0, window_end=10.0)
    frame = pd.DataFrame({"unit": [1], "start": [12.0], "end": [13.0]})
    with pytest.raises(ValueError, match=r"column 'start', row 1 .*outside the window"):
        fit_history(frame, window_start=0.0, window_end=10.0)
    with pytest.raises(ValueError, match="durations_h\\[1\\]=-1.0"):
        fit_durations([1.0, -1.0], family="weibull")
    with pytest.raises(ValueError, match="no events"):
        fit_durations([1.0, 2.0], [RIGHT, RIGHT], family="exponential")
    with pytest.raises(ValueError, match="family='gamma'"):
        fit_durations([1.0, 2.0], family="gamma")


def test_read_history_errors(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("unit,start,end\na,2024-01-01T00:00,2024-01-01T01:00\na,yesterday,\n")
    with pytest.raises(ValueError, match=r"column 'start', row 2: 'yesterday'"):
        read_history(path)
    path.write_text("unit,state,duration_h,censored\na,up,3,false\na,sideways,1,false\n")
    with pytest.raises(ValueError, match=r"column 'state', row 2: 'sideways'"):
        read_history(path)
    path.write_text("unit,state,duration_h,censored\na,up,3,maybe\n")
    with pytest.raises(ValueError, match=r"column 'censored', row 1: 'maybe'"):
        read_history(path)
    path.write_text("unit,when\na,1\n")
    with pytest.raises(ValueError, match="neither an outage history"):
        read_history(path)
    with pytest.raises(ValueError, match="is not a file"):
        read_history(tmp_path / "missing.csv")
