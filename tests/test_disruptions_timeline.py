"""The disruption timeline: steps judged against the SLO, totals by hand."""

import math

import pandas as pd
import pytest

from haplan import Scenario, balancing
from haplan.disruptions import evaluate, make_timeline


@pytest.fixture
def six_pods():
    # 6 pods of 100 req/s at 400 req/s, 70 % ceiling: 6 instances needed (400/70 -> 5.7).
    return Scenario(
        nodes=3,
        instances=6,
        request_rate_rps=400.0,
        target_p99_ms=200.0,
        target_availability=0.9995,
    )


def test_a_dip_is_judged_step_by_step_and_totalled(six_pods):
    steps = pd.DataFrame(
        {
            "time_s": [0.0, 47.5, 347.5, 360.0],
            "instances_ready": [4, 4, 5, 6],
            "stage": ["detection", "eviction", "start", ""],
        }
    )
    timeline = make_timeline("lose 1 node", steps, six_pods, horizon_s=600.0)
    frame = timeline.frame
    assert frame["duration_s"].tolist() == [47.5, 300.0, 12.5, 240.0]
    # 4 ready at 400 req/s: exactly saturated, overloaded (rho = 1) -> p99 inf.
    assert frame["overloaded"].tolist() == [True, True, False, False]
    assert math.isinf(frame["p99_response_ms"].iloc[0])
    expected = 1e3 * balancing.response_time_quantile("random", 0.99, 400.0, 100.0, 5)
    assert frame["p99_response_ms"].iloc[2] == pytest.approx(expected, rel=1e-12)
    # 6 needed under the 70 % ceiling: below target until all 6 are back at 360 s.
    assert frame["slo_ok"].tolist() == [False, False, False, True]
    totals = timeline.totals
    assert totals["time_below_target_s"] == 360.0
    assert totals["time_to_full_strength_s"] == 360.0
    assert totals["fewest_ready"] == 4 and totals["never_placed"] == 0
    assert totals["budget_spent_min"] == 6.0
    # 99.95 % over 30 days allows 21.6 min: 6 min is 27.8 % of it.
    assert totals["budget_share_30d"] == pytest.approx(6.0 / 21.6, rel=1e-12)
    assert timeline.stages == (
        ("detection", 0.0, 47.5),
        ("eviction", 47.5, 347.5),
        ("start", 347.5, 360.0),
    )


def test_never_back_to_full_strength_and_pending_instances(six_pods):
    steps = pd.DataFrame(
        {"time_s": [0.0, 60.0], "instances_ready": [4, 5], "instances_pending": [2, 1]}
    )
    totals = make_timeline("no room", steps, six_pods, horizon_s=120.0).totals
    assert math.isinf(totals["time_to_full_strength_s"])
    assert totals["never_placed"] == 1


def test_bad_steps_are_refused(six_pods):
    with pytest.raises(ValueError, match="start at 0"):
        evaluate(pd.DataFrame({"time_s": [5.0], "instances_ready": [3]}), six_pods)
    with pytest.raises(ValueError, match="no 'instances_ready' column"):
        evaluate(pd.DataFrame({"time_s": [0.0]}), six_pods)
    with pytest.raises(ValueError, match="horizon_s=1 is out of range"):
        evaluate(pd.DataFrame({"time_s": [0.0, 5.0], "instances_ready": [3, 3]}), six_pods, 1.0)
