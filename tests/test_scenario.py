"""Scenario: defaults, derivation of replicas/instances, TOML loading, validation."""

import math

import numpy as np
import pandas as pd
import pytest

from haplan.scenario import INPUT_NAMES, Scenario, validate_inputs


def test_default_is_the_articles_deployment():
    s = Scenario.default()
    assert (s.nodes, s.instances, s.replicas) == (3, 3, 1.0)
    assert s.name == "article-example"
    assert s.orchestrator == "kubernetes"
    assert s.repair_crews is None
    assert math.isinf(s.zone_mttf_h)


def test_instances_derive_from_replicas_and_back():
    assert Scenario(nodes=4, replicas=2).instances == 8
    assert Scenario(nodes=5, instances=3).replicas == pytest.approx(0.6, rel=1e-15)
    assert Scenario(nodes=4, replicas=0.5).instances == 2


def test_overrides_keep_the_sizing_the_scenario_was_given():
    by_instances = Scenario(nodes=3, instances=3)
    assert by_instances.with_overrides(nodes=5).instances == 3
    by_replicas = Scenario(nodes=3, replicas=2)
    assert by_replicas.with_overrides(nodes=5).instances == 10
    assert by_instances.with_overrides(replicas=2).instances == 6
    assert by_instances.with_overrides(nodes=None) is by_instances


def test_from_toml(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text('nodes = 4\nreplicas = 2\nrequest_rate_rps = 50.0\norchestrator = "swarm"\n')
    s = Scenario.from_toml(path)
    assert (s.nodes, s.instances, s.request_rate_rps, s.orchestrator) == (4, 8, 50.0, "swarm")
    assert s.name == "small"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nodes = 0\n", r"nodes=0 is out of range: must be a whole number >= 1"),
        ("nodes = 3\nreplicas = 0.5\n", r"replicas=0.5 is out of range: nodes x replicas"),
        ("nodes = 3\ninstances = 3\nmin_instances = 4\n", r"min_instances=4 is out of range"),
        ("max_utilization = 1.5\n", r"max_utilization=1.5 is out of range: .*<= 1"),
        ("node_mttf_h = -1\n", r"node_mttf_h=-1 is out of range"),
        ("orchestrator = 'k3s'\n", r"orchestrator='k3s' is not known: must be one of kubernetes"),
        ("balancer = 'fastest'\n", r"balancer='fastest' is not known"),
        ("zones = 4\nnodes = 3\n", r"zones=4 is out of range: must be <= nodes"),
        ("repair_crews = 0\n", r"repair_crews=0 is out of range"),
        ("colour = 'blue'\n", r"unknown scenario input 'colour'"),
        ("nodes = = 3\n", r"is not valid TOML"),
        ("nodes = 'three'\n", r"nodes='three' is not numeric"),
        ("nodes = 2\nreplicas = 1\ninstances = 3\n", r"disagree"),
        ("nodes = [3, 4]\n", r"nodes=\[3, 4\] is not valid: must be a single number"),
        ("balancer = ['random']\n", r"balancer=\['random'\] is not valid: must be one of"),
        ("[orchestrator]\neviction_s = 30\n", r"orchestrator=\{'eviction_s': 30\} is not valid"),
        ("[recovery]\ncolour = 1\n", r"colour= is not a recovery pipeline field"),
        ("recovery = 3\n", r"recovery=3 is not valid: give a table of pipeline fields"),
    ],
)
def test_bad_toml_values(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        Scenario.from_toml(path)


def test_missing_file():
    with pytest.raises(ValueError, match=r"does not exist"):
        Scenario.from_toml("/no/such/file.toml")


def test_frozen():
    with pytest.raises(AttributeError):
        Scenario().nodes = 5  # type: ignore[misc]


def test_validate_inputs_fills_defaults_and_derives():
    frame = validate_inputs(pd.DataFrame({"nodes": [3, 5], "replicas": [1, 2]}))
    assert list(frame.columns) == list(INPUT_NAMES)
    np.testing.assert_array_equal(frame["instances"], [3, 10])
    assert frame["orchestrator"].tolist() == ["kubernetes", "kubernetes"]
    assert frame["repair_crews"].isna().all()


def test_validate_inputs_names_first_bad_value():
    with pytest.raises(ValueError, match=r"nodes=0 is out of range"):
        validate_inputs(pd.DataFrame({"nodes": [3, 0], "replicas": [1, 1]}))
    with pytest.raises(ValueError, match=r"unknown scenario input 'speed'"):
        validate_inputs(pd.DataFrame({"speed": [1]}))


def test_frame_and_scenario_agree():
    s = Scenario(nodes=5, instances=7, min_instances=2, repair_crews=2)
    row = validate_inputs(s.to_frame()).iloc[0]
    for name in INPUT_NAMES:
        value = getattr(s, name)
        if value is None:  # an unset target: NaN in a frame
            assert pd.isna(row[name]), name
        else:
            assert row[name] == value, name


def test_one_set_of_defaults():
    # Scenario(), Scenario.default() and data/scenarios/default.toml are the same scenario,
    # so the API, the CLI and a sweep start from the same place.
    assert Scenario() == Scenario.default()
    assert Scenario().inputs() == Scenario.default().inputs()


def test_recovery_table_tunes_the_pipeline(tmp_path):
    path = tmp_path / "tuned.toml"
    path.write_text('orchestrator = "kubernetes"\n[recovery]\neviction_s = 30\n')
    s = Scenario.from_toml(path)
    assert s.orchestrator.name == "kubernetes (tuned)" and s.orchestrator.eviction_s == 30
    # with_overrides takes pipeline fields too, and keeps one "(tuned)" in the name.
    again = s.with_overrides(probe_period_s=5)
    assert again.orchestrator.name == "kubernetes (tuned)"
    assert (again.orchestrator.eviction_s, again.orchestrator.probe_period_s) == (30, 5)


def test_overriding_replicas_and_instances_together_must_agree():
    with pytest.raises(ValueError, match=r"disagree"):
        Scenario(nodes=3, instances=3).with_overrides(replicas=1, instances=4)
    assert Scenario(nodes=3, instances=3).with_overrides(replicas=2, instances=6).instances == 6
