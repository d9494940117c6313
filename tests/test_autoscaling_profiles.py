"""Load profiles: generators, CSV reading, the shipped NASA trace, a fixed service over them."""

import math

import numpy as np
import pandas as pd
import pytest

import haplan
from haplan.autoscaling import (
    ProfileResult,
    diurnal,
    nasa_trace,
    over_profile,
    ramp,
    read_profile,
    scale_to_peak,
    step,
    validate_profile,
)

# -- generators -------------------------------------------------------------------------------


@pytest.mark.parametrize("ratio", [1.0, 1.25, 1.5, 2.0])
def test_diurnal_peak_and_peak_to_mean_are_exact(ratio):
    profile = diurnal(300.0, peak_to_mean=ratio, days=2, step_s=60, peak_hour=14)
    assert len(profile) == 2 * 1440
    assert profile.index[1] - profile.index[0] == 60.0
    assert profile.max() == 300.0
    assert profile.mean() == pytest.approx(300.0 / ratio, rel=1e-12)
    assert profile.max() / profile.mean() == pytest.approx(ratio, rel=1e-12)
    peaks = profile.index[profile == 300.0]
    if ratio > 1:  # ratio 1 is a constant load: every point is the peak
        assert list(peaks) == [14 * 3600.0, 86_400 + 14 * 3600.0]
    # a raised cosine: trough 12 h after the peak, at peak × (2 − ratio) / ratio
    assert profile.loc[2 * 3600.0] == pytest.approx(300.0 * (2 - ratio) / ratio, abs=1e-9)
    assert profile.min() >= 0.0


def test_diurnal_shape_is_a_raised_cosine():
    profile = diurnal(10.0, peak_to_mean=1.5, step_s=900, peak_hour=6)
    t = profile.index.to_numpy()
    expected = 10.0 / 1.5 * (1 + 0.5 * np.cos(2 * np.pi * (t - 6 * 3600) / 86_400))
    np.testing.assert_allclose(profile.to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        (dict(peak_to_mean=2.5), "peak_to_mean=2.5"),
        (dict(peak_to_mean=0.9), "peak_to_mean=0.9"),
        (dict(days=0), "days=0"),
        (dict(step_s=7), "step_s=7"),
        (dict(step_s=0), "step_s=0"),
        (dict(peak_hour=24), "peak_hour=24"),
        (dict(peak_hour=14.01), "peak_hour=14.01"),
    ],
)
def test_diurnal_rejects_bad_inputs(kwargs, named):
    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        diurnal(100.0, **kwargs)
    with pytest.raises(ValueError, match="peak_rps=-1"):
        diurnal(-1.0)


def test_step_and_ramp():
    s = step(10.0, 40.0, at_s=60, duration_s=150, step_s=15)
    assert list(s.index) == [0, 15, 30, 45, 60, 75, 90, 105, 120, 135]
    assert list(s) == [10.0] * 4 + [40.0] * 6
    r = ramp(10.0, 40.0, start_s=30, ramp_s=60, duration_s=150, step_s=15)
    assert list(r) == [10.0, 10.0, 10.0, 17.5, 25.0, 32.5, 40.0, 40.0, 40.0, 40.0]
    assert list(ramp(1.0, 2.0, start_s=30, ramp_s=0, duration_s=60)) == [1.0, 1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="duration_s=100 is out of range.*step_s=15"):
        step(1.0, 2.0, at_s=0, duration_s=100)
    with pytest.raises(ValueError, match="at_s=200 is out of range"):
        step(1.0, 2.0, at_s=200, duration_s=150)
    with pytest.raises(ValueError, match="ramp_s=-1 is out of range"):
        ramp(1.0, 2.0, start_s=0, ramp_s=-1, duration_s=150)


def test_scale_to_peak_keeps_the_shape():
    profile = diurnal(3.0, peak_to_mean=1.7)
    scaled = scale_to_peak(profile, 1234.5)
    assert scaled.max() == 1234.5
    np.testing.assert_allclose(scaled / profile, 1234.5 / 3.0, rtol=1e-14)
    assert scaled.max() / scaled.mean() == pytest.approx(1.7, rel=1e-12)
    with pytest.raises(ValueError, match="peak is 0"):
        scale_to_peak(profile * 0, 10.0)
    with pytest.raises(ValueError, match="peak_rps=-2"):
        scale_to_peak(profile, -2.0)


def test_validate_profile_names_the_problem():
    with pytest.raises(ValueError, match="pandas.Series"):
        validate_profile([1.0, 2.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        validate_profile(pd.Series([1.0, 2.0], index=[0.0, 0.0]))
    with pytest.raises(ValueError, match="rps=-1.0 at time 60 s"):
        validate_profile(pd.Series([1.0, -1.0], index=[0.0, 60.0]))
    with pytest.raises(ValueError, match="empty"):
        validate_profile(pd.Series([], dtype=float))


# -- reading CSV ------------------------------------------------------------------------------


def test_read_profile_seconds_and_timestamps(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("# a comment\ntime,rps,note\n100,1.5,a\n160,2.5,b\n220,0,c\n")
    profile = read_profile(path)
    assert list(profile.index) == [0.0, 60.0, 120.0]
    assert list(profile) == [1.5, 2.5, 0.0]
    path.write_text(
        "time,requests_per_s\n2024-03-01T23:59:00Z,3\n2024-03-02T00:00:00Z,4\n"
        "2024-03-02T00:01:30Z,5\n"
    )
    profile = read_profile(path)
    assert list(profile.index) == [0.0, 60.0, 150.0]
    assert list(profile) == [3.0, 4.0, 5.0]
    path.write_text("time,rps\n2024-03-01T12:00:00+02:00,1\n2024-03-01T11:00:30+01:00,2\n")
    assert list(read_profile(path).index) == [0.0, 30.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("t,rps\n0,1\n", "no time or time_s column"),
        ("time,load\n0,1\n", "no rps or requests_per_s column"),
        ("time,rps\n", "no data rows"),
        ("time,rps\n0,1\n60,abc\n", "line 3: rps='abc' is not valid"),
        ("# c\ntime,rps\n0,1\n60,-2\n", "line 4: rps='-2' is not valid"),
        ("time,rps\n0,1\n60,\n", "line 3: rps='' is not valid"),
        ("time,rps\n0,1\n0,1\n", "line 3: time='0' is not valid: times must be strictly"),
        ("time,rps\n0,1\n2024-01-01T00:00,1\n", "line 3: time='2024-01-01T00:00'.*mixes"),
        ("time,rps\n2024-01-01T00:00,1\nnot-a-date,1\n", "line 3: time='not-a-date'"),
        ("time,rps\n2024-01-01T00:00Z,1\n2024-01-01T00:01,1\n", "line 3.*with and without"),
    ],
)
def test_read_profile_errors_name_column_and_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_profile(path)


def test_read_profile_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_profile(tmp_path / "nope.csv")


# -- the shipped trace ------------------------------------------------------------------------


def test_nasa_trace_has_the_documented_totals():
    """The figures in data/traces/README.md."""
    trace = nasa_trace()
    assert len(trace) == 10_080
    np.testing.assert_array_equal(trace.index, 60.0 * np.arange(10_080))
    assert round(float((trace * 60).sum())) == 557_495
    assert trace.mean() == pytest.approx(557_495 / 604_800, abs=1e-6)
    assert round(trace.mean(), 6) == 0.921784
    assert trace.max() == 6.75
    assert trace.idxmax() == 294_540.0
    assert int((trace == 0).sum()) == 47
    daily = np.round(trace.to_numpy().reshape(7, 1440).sum(axis=1) * 60)
    assert list(daily) == [72_860, 80_407, 92_536, 134_203, 84_103, 45_532, 47_854]
    hourly = trace.to_numpy().reshape(7, 24, 60).mean(axis=(0, 2))
    assert hourly.argmax() == 14 and hourly.argmin() == 4
    assert hourly.max() / hourly.mean() == pytest.approx(1.54, abs=0.005)
    trace.iloc[0] = 99.0  # a copy: the cached trace is not changed
    assert nasa_trace().iloc[0] == pytest.approx(0.583333)


# -- a fixed service over a profile -----------------------------------------------------------

STATIC = ("utilization", "p99_response_ms", "slo_unavailability", "instances_needed")


@pytest.mark.parametrize("rate", [0.0, 120.0, 250.0])
def test_constant_profile_gives_the_static_figures_exactly(rate):
    scenario = haplan.Scenario.default().with_overrides(
        nodes=4, instances=4, request_rate_rps=rate, target_p99_ms=60.0
    )
    row = haplan.metrics(scenario).iloc[0]
    profile = pd.Series(rate, index=60.0 * np.arange(30))
    result = over_profile(scenario, profile)
    assert isinstance(result, ProfileResult)
    for name in STATIC:
        assert (result.frame[name] == row[name]).all(), name
    totals = result.totals
    assert totals["slo_unavailability"] == row["slo_unavailability"]
    assert totals["slo_availability"] == row["slo_availability"]
    assert totals["slo_nines"] == row["slo_nines"]
    assert totals["worst_p99_ms"] == row["p99_response_ms"]
    assert totals["peak_utilization"] == row["utilization"]
    assert totals["duration_s"] == 1800.0
    assert totals["instance_hours"] == 4 * 0.5
    met = row["instances_needed"] <= 4 and row["p99_response_ms"] <= 60.0
    assert result.frame["meets_targets"].all() == met
    assert totals["share_below_target"] == (0.0 if met else 1.0)


def test_two_step_profile_is_time_weighted_by_hand():
    scenario = haplan.Scenario.default().with_overrides(
        nodes=3, instances=3, instance_capacity_rps=100.0, max_utilization=0.7
    )
    # 50 req/s for 45 min, then 250 req/s for the last 15 min (needs 4 instances: fails)
    profile = pd.Series([50.0, 250.0], index=[0.0, 2700.0])
    result = over_profile(scenario, profile, last_duration_s=900.0)
    low = haplan.metrics(scenario.with_overrides(request_rate_rps=50.0)).iloc[0]
    high = haplan.metrics(scenario.with_overrides(request_rate_rps=250.0)).iloc[0]
    frame = result.frame
    assert list(frame["duration_s"]) == [2700.0, 900.0]
    assert list(frame["meets_targets"]) == [True, False]
    assert high["instances_needed"] == 4
    u = 0.75 * low["slo_unavailability"] + 0.25 * high["slo_unavailability"]
    totals = result.totals
    assert totals["slo_unavailability"] == pytest.approx(u, rel=1e-14)
    assert totals["slo_availability"] == pytest.approx(1 - u, rel=1e-14)
    assert totals["slo_nines"] == pytest.approx(-math.log10(u), rel=1e-12)
    assert totals["time_below_target_s"] == 900.0
    assert totals["share_below_target"] == 0.25
    assert totals["minutes_below_target_per_day"] == 360.0
    assert totals["worst_p99_ms"] == max(low["p99_response_ms"], high["p99_response_ms"])
    assert totals["mean_rps"] == pytest.approx(0.75 * 50 + 0.25 * 250, rel=1e-14)
    assert totals["instance_hours"] == 3.0
    # without last_duration_s the last interval repeats the step before it
    assert list(over_profile(scenario, profile).frame["duration_s"]) == [2700.0, 2700.0]


def test_over_profile_p99_target_and_overload():
    scenario = haplan.Scenario.default().with_overrides(
        nodes=2, instances=2, instance_capacity_rps=100.0, max_utilization=1.0, target_p99_ms=50
    )
    profile = pd.Series([10.0, 150.0, 200.0, 10.0], index=[0.0, 60.0, 120.0, 180.0])
    frame = over_profile(scenario, profile).frame
    assert list(frame["overloaded"]) == [False, False, True, False]
    assert frame["p99_response_ms"].iloc[2] == math.inf
    p99 = frame["p99_response_ms"].to_numpy()
    assert list(frame["meets_targets"]) == [p99[0] <= 50, p99[1] <= 50, False, p99[3] <= 50]
    assert frame["meets_targets"].iloc[0] and not frame["meets_targets"].iloc[1]


def test_over_profile_uses_one_metrics_call_per_profile(monkeypatch):
    calls = []
    real = haplan.table.metrics

    def counting(frame):
        calls.append(len(frame))
        return real(frame)

    monkeypatch.setattr(haplan.table, "metrics", counting)
    trace = scale_to_peak(nasa_trace(), 400.0)
    result = over_profile(haplan.Scenario.default(), trace)
    assert calls == [trace.nunique()]
    assert len(result.frame) == 10_080
    assert result.totals["peak_rps"] == 400.0


def test_over_profile_rejects_bad_inputs():
    scenario = haplan.Scenario.default()
    with pytest.raises(ValueError, match="scenario=dict"):
        over_profile({}, pd.Series([1.0], index=[0.0]))
    with pytest.raises(ValueError, match="last_duration_s"):
        over_profile(scenario, pd.Series([1.0], index=[0.0]))
    with pytest.raises(ValueError, match="last_duration_s=0 is out of range"):
        over_profile(scenario, pd.Series([1.0], index=[0.0]), last_duration_s=0)
