"""Inputs at the edge: a TOML scenario, manifests and overrides into one scenario, with the
source of each input and the inputs given as distributions."""

import pytest

from haplan import Scenario
from haplan.inputs import load_inputs

TOML = """
name = "uncertain"
nodes = 5
instances = 10
node_mttf_h = "lognormal(718, 0.5)"
node_mttr_h = "gamma(4, 0.066)"
"""


@pytest.fixture
def uncertain_toml(tmp_path):
    path = tmp_path / "uncertain.toml"
    path.write_text(TOML)
    return path


def test_distributions_in_a_scenario_file_hold_their_medians(uncertain_toml):
    loaded = load_inputs([uncertain_toml])
    laws = loaded.distributions
    assert list(laws) == ["node_mttf_h", "node_mttr_h"]
    assert loaded.scenario.node_mttf_h == 718.0  # a log-normal's median is its first number
    assert loaded.scenario.node_mttr_h == pytest.approx(laws["node_mttr_h"].median, rel=1e-15)
    assert loaded.scenario.nodes == 5 and loaded.scenario.name == "uncertain"
    assert loaded.sources["node_mttf_h"] == "scenario file"


def test_a_plain_override_wins_over_a_distribution_and_the_other_way(uncertain_toml):
    plain = load_inputs([uncertain_toml], overrides={"node_mttf_h": 500.0})
    assert plain.scenario.node_mttf_h == 500.0
    assert list(plain.distributions) == ["node_mttr_h"]
    assert plain.sources["node_mttf_h"] == "command line"
    spread = load_inputs([], overrides={"node_mttf_h": "uniform(300, 900)"})
    assert spread.scenario.node_mttf_h == 600.0
    assert str(spread.distributions["node_mttf_h"]) == "uniform(300, 900)"
    assert spread.sources["node_mttf_h"] == "command line"


def test_without_distributions_the_scenario_is_the_one_scenario_builds():
    loaded = load_inputs([], overrides={"nodes": 4, "eviction_s": 30.0})
    assert loaded.distributions == {}
    assert loaded.scenario == Scenario.default().with_overrides(nodes=4, eviction_s=30.0)
    assert loaded.sources["nodes"] == "command line"
    assert loaded.sources["orchestrator"] == "command line"  # a tuned pipeline stage


def test_bad_inputs_name_themselves(tmp_path):
    with pytest.raises(ValueError, match=r"input 'x.txt' is not known"):
        load_inputs(["x.txt"])
    with pytest.raises(ValueError, match=r"at most one .toml scenario"):
        load_inputs(["a.toml", "b.toml"])
    with pytest.raises(ValueError, match=r"--workload selects a workload"):
        load_inputs([], workload="web")
    with pytest.raises(ValueError, match=r"target_availability"):
        load_inputs([], overrides={"target_availability": "uniform(0.99, 0.999)"})
