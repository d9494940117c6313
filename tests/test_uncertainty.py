"""Inputs as distributions: parsing, propagation against analytic answers, sensitivity."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import haplan
from haplan.uncertainty import (
    Distribution,
    parse_distribution,
    propagate,
    quantile_se,
    sensitivity,
    sobol,
    sobol_indices,
    split_uncertain,
)

# One node, one instance that never crashes: U = MTTR / (MTTF + MTTR) exactly.
SINGLE_NODE = dict(
    nodes=1,
    instances=1,
    min_instances=1,
    instance_mttf_h=math.inf,
    node_mttr_h=0.5,
    request_rate_rps=10.0,
)
SHAPE, SCALE = 3.0, 100.0  # node_mttf_h ~ gamma(3, 100): median 267 h


def single_node(**overrides) -> haplan.Scenario:
    return haplan.Scenario(**{**SINGLE_NODE, **overrides})


# --------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    "text, median",
    [
        ("lognormal(0.26, 0.5)", 0.26),
        ("gamma(4, 200)", stats.gamma(4, scale=200).median()),
        ("uniform(1, 3)", 2.0),
        ("normal(5, 2)", 5.0),
        ("triangular(0, 1, 2)", 1.0),
        (" LogNormal( 718.2 , 0.3 ) ", 718.2),
        ("0.26", 0.26),
        ("1e3", 1000.0),
        (2.5, 2.5),
    ],
)
def test_parse_distribution_forms_and_medians(text, median):
    law = parse_distribution(text)
    assert law.median == pytest.approx(median, rel=1e-12)
    assert parse_distribution(str(law)) == law  # str() is a spec that parses back
    assert str(law) in law.describe()


def test_plain_inf_is_a_fixed_value():
    law = parse_distribution("inf")
    assert law.kind == "fixed" and law.median == math.inf
    assert np.all(law.sample(np.random.default_rng(0), 3) == math.inf)


@pytest.mark.parametrize(
    "text",
    [
        "lognormal(1)",
        "gamma(-1, 2)",
        "uniform(2, 1)",
        "normal(1, 0)",
        "triangular(0, 5, 3)",
        "beta(1, 2)",
        "normal(1, x)",
        "lognormal(inf, 1)",
        "abc",
        "",
    ],
)
def test_parse_distribution_errors_name_the_text_and_the_forms(text):
    with pytest.raises(ValueError) as error:
        parse_distribution(text)
    message = str(error.value)
    assert repr(text) in message
    assert "lognormal(MEDIAN, SIGMA)" in message and "triangular(LOW, MODE, HIGH)" in message


@pytest.mark.parametrize(
    "text", ["lognormal(2, 0.7)", "gamma(2.5, 3)", "uniform(-1, 4)", "triangular(0, 1, 5)"]
)
def test_samples_follow_the_law(text):
    law = parse_distribution(text)
    draws = law.sample(np.random.default_rng(7), 4000)
    assert stats.kstest(draws, law.cdf).pvalue > 0.01
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(law.cdf(law.ppf(q)), q, rtol=1e-9)


def test_truncation_to_the_valid_range_is_the_conditional_law():
    _, laws = split_uncertain({"node_mttr_h": "normal(0.2, 0.2)"})
    law = laws["node_mttr_h"]
    base = stats.norm(0.2, 0.2)
    assert law.mass == pytest.approx(base.sf(0.0))
    assert law.median == pytest.approx(base.ppf((base.cdf(0.0) + 1) / 2))
    draws = law.sample(np.random.default_rng(1), 5000)
    assert draws.min() > 0
    assert stats.kstest(draws, law.cdf).pvalue > 0.01
    assert "truncated" in law.describe() and "84.1% kept" in law.describe()


# --------------------------------------------------------------------------- split_uncertain
def test_split_uncertain_gives_medians_and_laws():
    point, laws = split_uncertain(
        {
            "nodes": 5,
            "node_mttf_h": "gamma(4, 200)",
            "node_mttr_h": "lognormal(0.26, 0.5)",
            "zones": "uniform(1.6, 2.2)",
            "instance_mttr_h": "0.2",
            "orchestrator": "nomad",
            "target_availability": 0.9995,
        }
    )
    assert set(laws) == {"node_mttf_h", "node_mttr_h", "zones"}
    assert point["node_mttf_h"] == pytest.approx(stats.gamma(4, scale=200).median())
    assert point["node_mttr_h"] == pytest.approx(0.26)
    assert point["zones"] == 2 and isinstance(point["zones"], int)  # whole numbers rounded
    assert point["instance_mttr_h"] == 0.2 and point["orchestrator"] == "nomad"
    assert list(point) == ["nodes", *list(point)[1:]]  # order kept
    scenario = haplan.Scenario.from_dict(point)
    assert scenario.zones == 2


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"target_availability": "uniform(0.99, 0.999)"}, "a target"),
        ({"orchestrator": "lognormal(1, 1)"}, "a choice"),
        ({"reschedule": "uniform(0, 1)"}, "a choice"),
        ({"node_mtf_h": "gamma(1, 1)"}, "not a scenario input"),
        ({"replicas": "uniform(1, 2)", "instances": "uniform(3, 4)"}, "not both"),
        ({"node_mttr_h": "uniform(-2, -1)"}, "no probability"),
        ({"node_mttr_h": "gama(1, 2)"}, "node_mttr_h"),
        ({"node_mttr_h": "fast"}, "node_mttr_h"),
    ],
)
def test_split_uncertain_errors(values, fragment):
    with pytest.raises(ValueError, match=fragment):
        split_uncertain(values)


# ------------------------------------------------------------------------------- propagation
def test_single_node_quantiles_match_the_analytic_ones():
    result = propagate(
        single_node(), {"node_mttf_h": f"gamma({SHAPE}, {SCALE})"}, samples=2000, seed=11
    )
    samples = result.samples
    mttf, mttr = samples["node_mttf_h"], 0.5
    np.testing.assert_allclose(samples["service_unavailability"], mttr / (mttf + mttr), rtol=1e-12)
    mttf_law = stats.gamma(SHAPE, scale=SCALE)
    row = result.summary.loc["service_unavailability"]
    for label, q in (("p05", 0.05), ("median", 0.5), ("p95", 0.95)):
        exact = mttr / (mttf_law.ppf(1 - q) + mttr)  # U falls as MTTF rises
        assert row[f"{label}_se"] > 0
        assert abs(row[label] - exact) < 3 * row[f"{label}_se"], label
    # the headline is the same component here (one instance carries 10 req/s); A = 1 − U
    # falls as U rises, so its median is the neighbouring order statistic
    headline = result.summary.loc["slo_availability"]
    assert abs(headline["median"] - (1 - row["median"])) <= row["median_se"]


def test_no_distributions_gives_the_metrics_of_the_scenario():
    scenario = haplan.Scenario.default().with_overrides(target_availability=0.9995)
    result = propagate(scenario, {}, samples=5, seed=0)
    single = haplan.metrics(scenario)
    expected = pd.concat([single] * 5, ignore_index=True)
    pd.testing.assert_frame_equal(result.samples, expected)
    assert (result.summary["p05_se"] == 0).all() and (result.summary["median_se"] == 0).all()
    assert result.scenario == scenario


def test_probability_of_meeting_the_target_against_a_direct_computation():
    target = 0.998
    scenario = single_node(target_availability=target, target_recovery_s=1e4)
    result = propagate(scenario, {"node_mttf_h": f"gamma({SHAPE}, {SCALE})"}, seed=5)
    p = result.probabilities
    # U ≤ 1 − a  ⇔  MTTF ≥ MTTR · a / (1 − a)
    threshold = 0.5 * target / (1 - target)
    counted = np.mean(result.samples["node_mttf_h"] >= threshold)
    exact = stats.gamma(SHAPE, scale=SCALE).sf(threshold)
    assert p.loc["availability", "probability"] == pytest.approx(counted, abs=1e-12)
    se = p.loc["availability", "se"]
    assert se == pytest.approx(math.sqrt(counted * (1 - counted) / 2000))
    assert abs(counted - exact) < 3 * se
    assert p.loc["recovery", "probability"] == 1.0  # recovery does not depend on the MTTF
    assert p.loc["all", "probability"] == pytest.approx(counted, abs=1e-12)
    assert list(p.index) == ["availability", "recovery", "all"]
    lines = result.verdict_lines()
    assert lines[0].startswith("SLO availability ") and "(90 % interval " in lines[0]
    assert any(line.startswith("availability meets 99.8 % with probability ") for line in lines)
    assert any("recovery after a node failure meets 1e+04 s in all 2,000" in x for x in lines)


def test_percentages_keep_two_significant_digits_of_the_unavailability():
    from haplan.uncertainty.propagation import _percent

    assert [_percent(a) for a in (0.9995, 0.99987, 0.5, 0.0, 1.0)] == [
        "99.95",
        "99.987",
        "50",
        "0",
        "100",
    ]


def test_no_targets_no_probabilities():
    result = propagate(single_node(), {"node_mttf_h": "gamma(3, 100)"}, samples=50, seed=1)
    assert result.probabilities.empty
    assert len(result.verdict_lines()) == 2  # the headline and the downtime


def test_reproducible_with_the_same_seed_or_generator():
    laws = {"node_mttf_h": "gamma(4, 200)", "node_mttr_h": "lognormal(0.26, 0.5)"}
    scenario = haplan.Scenario.default()
    a = propagate(scenario, laws, samples=300, seed=42)
    b = propagate(scenario, laws, samples=300, rng=np.random.default_rng(42))
    c = propagate(scenario, laws, samples=300, seed=43)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not a.samples["node_mttf_h"].equals(c.samples["node_mttf_h"])
    assert a.samples["node_mttf_h"].nunique() == 300  # every row its own scenario
    swapped = propagate(scenario, dict(reversed(laws.items())), samples=300, seed=42)
    pd.testing.assert_frame_equal(a.samples, swapped.samples)  # drawn in vocabulary order
    with pytest.raises(ValueError, match="seed or rng"):
        propagate(scenario, laws, seed=1, rng=np.random.default_rng(1))


def test_undescribable_draws_are_redrawn_and_whole_numbers_rounded():
    scenario = haplan.Scenario(nodes=3, instances=6, node_mttf_h=500.0, node_mttr_h=1.0)
    result = propagate(scenario, {"zones": "uniform(0.6, 4.4)"}, samples=400, seed=3)
    zones = result.samples["zones"]
    assert set(zones) == {1, 2, 3}  # 4 zones on 3 nodes is no scenario: redrawn
    assert result.redrawn > 0
    # a sampled node count keeps the scenario's replicas per node
    sized = haplan.Scenario(nodes=3, replicas=2)
    nodes = propagate(sized, {"nodes": "uniform(2.5, 6.5)"}, samples=200, seed=4).samples
    assert set(nodes["nodes"]) == {3, 4, 5, 6}
    np.testing.assert_array_equal(nodes["instances"], 2 * nodes["nodes"])


def test_propagate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="samples"):
        propagate(single_node(), {}, samples=0)
    with pytest.raises(ValueError, match="backend"):
        propagate(single_node(), {}, backend="spark")
    with pytest.raises(ValueError, match="a target"):
        propagate(single_node(), {"target_p99_ms": "uniform(100, 200)"})


def test_dask_backend_gives_identical_numbers():
    pytest.importorskip("dask.distributed")
    laws = {"node_mttf_h": "gamma(4, 200)", "node_mttr_h": "lognormal(0.26, 0.5)"}
    scenario = haplan.Scenario.default()
    local = propagate(scenario, laws, samples=600, seed=9)
    remote = propagate(scenario, laws, samples=600, seed=9, backend="dask", chunk_rows=250)
    pd.testing.assert_frame_equal(local.samples, remote.samples)


# ---------------------------------------------------------------------------- quantile errors
def test_quantile_standard_error_from_order_statistics():
    q, se = quantile_se(np.arange(1.0, 1001.0), 0.5)
    assert q == 500.0 and se == (516 - 484) / 2  # r, s = 500 ∓ √250
    # calibrated: the spread of the sample median over replications matches the stated SE
    rng = np.random.default_rng(0)
    draws = rng.standard_normal((300, 2000))
    medians, errors = zip(*(quantile_se(row, 0.95) for row in draws), strict=True)
    assert np.std(medians) == pytest.approx(np.mean(errors), rel=0.2)
    assert quantile_se([np.inf, np.inf, np.inf], 0.5) == (np.inf, 0.0)


# ------------------------------------------------------------------------------- sensitivity
def test_tornado_puts_the_dominant_input_first():
    laws = {
        "node_mttf_h": "uniform(700, 720)",  # narrow: a few per cent of U
        "node_mttr_h": "lognormal(0.26, 1.0)",  # wide: U moves by e^±1.64
        "zone_mttr_h": "uniform(1, 10)",  # zones never fail: no effect
    }
    scenario = haplan.Scenario.default()
    table = sensitivity(scenario, laws, metric="service_unavailability")
    assert list(table["input"]) == ["node_mttr_h", "node_mttf_h", "zone_mttr_h"]
    assert table.loc[2, "swing"] == 0.0
    top = table.iloc[0]
    medians = {"node_mttf_h": 710.0, "zone_mttr_h": 5.5}
    direct = haplan.metrics(scenario.with_overrides(node_mttr_h=top["value_high"], **medians))
    assert top["metric_high"] == pytest.approx(direct["service_unavailability"].iloc[0])
    assert top["value_high"] == pytest.approx(0.26 * math.exp(stats.norm.ppf(0.95)))
    assert table.attrs["metric"] == "service_unavailability"
    assert table["baseline"].nunique() == 1


def test_sobol_ishigami_against_published_indices():
    # Ishigami & Homma (1990), a = 7, b = 0.1; indices from Sobol' & Levitan (1999) and
    # Saltelli et al. (2010): S = 0.3139, 0.4424, 0; S_T = 0.5576, 0.4424, 0.2437.
    law = Distribution("uniform", (-math.pi, math.pi))

    def ishigami(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    table = sobol(ishigami, [law] * 3, samples=20000, seed=2)
    for i, (first, total) in enumerate([(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)]):
        assert abs(table.loc[i, "first_order"] - first) < 4 * table.loc[i, "first_order_se"]
        assert abs(table.loc[i, "total"] - total) < 4 * table.loc[i, "total_se"]


def test_sobol_indices_of_a_metric():
    laws = {"node_mttr_h": "lognormal(0.26, 1.0)", "zone_mttr_h": "uniform(1, 10)"}
    table = sobol_indices(haplan.Scenario.default(), laws, metric="slo_nines", samples=256, seed=1)
    assert list(table.index) == ["node_mttr_h", "zone_mttr_h"]
    assert table.loc["zone_mttr_h", "total"] == 0.0  # zones never fail: no effect at all
    assert table.loc["node_mttr_h", "total"] == pytest.approx(1.0, abs=0.1)
