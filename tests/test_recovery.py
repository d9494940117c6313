"""Tests for haplan.recovery: presets from data/orchestrators.csv, stage timings, back-off,
and the rescheduling-aware availability model."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from haplan import recovery
from haplan.recovery import (
    container_crash_recovery_s,
    container_crash_stages,
    node_failure_recovery_s,
    node_failure_stages,
    preset,
    restart_delay_s,
)

# Assumption rows of data/orchestrators.csv, shared by every preset: scheduling 50 /s,
# image 200 MB over 100 MB/s (not cached), container start 2 s.
SCHEDULING_ONE_S = 1 / 50
PULL_ONE_S = 200 / 100
START_S = 2.0


# -- the CSV --------------------------------------------------------------------------------


def test_csv_every_row_has_value_unit_and_source():
    table = recovery.orchestrator_defaults()
    assert list(table.columns) == ["orchestrator", "parameter", "value", "unit", "source", "note"]
    assert table["value"].notna().all()
    assert np.isfinite(table["value"].to_numpy(dtype=float)).all()
    for column in ("unit", "source", "note"):
        assert table[column].map(lambda text: isinstance(text, str) and text.strip() != "").all()
    assert not table.duplicated(["orchestrator", "parameter"]).any()
    assert set(table["orchestrator"]) == set(recovery.PRESETS) == set(recovery.preset_names())


def test_csv_only_deployment_values_are_assumptions():
    table = recovery.orchestrator_defaults()
    assumed = set(table.loc[table["source"] == "assumption", "parameter"])
    # Orchestrator defaults always carry a real source; only deployment-dependent values
    # (and Swarm/Nomad's absent readiness gate) may be assumptions.
    allowed = {
        "scheduling_rate",
        "image_size",
        "registry_bandwidth",
        "image_cached",
        "container_start",
        "probe_initial_delay",
        "probe_period",
        "probe_success_threshold",
    }
    assert assumed <= allowed
    k8s = table[table["orchestrator"] == "kubernetes"]
    assert "assumption" not in set(k8s.loc[k8s["parameter"].str.startswith("probe"), "source"])


def test_orchestrator_defaults_is_a_copy():
    table = recovery.orchestrator_defaults()
    table.loc[:, "value"] = -1.0
    assert preset("kubernetes").eviction_s == 300.0


# -- preset totals against hand sums of the documented defaults -----------------------------


def test_kubernetes_132_node_failure_hand_sum():
    # detection: grace 50 s - half the 10 s lease renewal + half the 5 s monitor period
    detection = 50 - 10 / 2 + 5 / 2
    toleration = 300  # default NoExecute tolerationSeconds
    readiness = 0 + 10 * 1  # initialDelaySeconds + periodSeconds x successThreshold
    stages = node_failure_stages("kubernetes")
    assert stages["detection"] == pytest.approx(47.5, rel=1e-12)
    assert stages["eviction"] == toleration
    # "about 50 s + 300 s before eviction starts (plus up to the 5 s monitor period)",
    # measured from the last heartbeat; from the failure instant it is 347.5 s on average.
    assert 340 <= stages["detection"] + stages["eviction"] <= 355
    expected = detection + toleration + SCHEDULING_ONE_S + PULL_ONE_S + START_S + readiness
    assert node_failure_recovery_s("kubernetes") == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(361.52, rel=1e-12)


def test_kubernetes_131_node_failure_hand_sum():
    detection = 40 - 10 / 2 + 5 / 2  # grace 40 s up to v1.31
    expected = detection + 300 + SCHEDULING_ONE_S + PULL_ONE_S + START_S + 10
    assert node_failure_recovery_s("kubernetes-1.31") == pytest.approx(expected, rel=1e-12)
    gap = node_failure_recovery_s("kubernetes") - node_failure_recovery_s("kubernetes-1.31")
    assert gap == pytest.approx(10.0, rel=1e-12)  # 50 s vs 40 s grace


def test_swarm_node_failure_hand_sum():
    detection = 3 * 5 - 5 / 2  # three missed 5 s heartbeats (~15 s), minus half a period
    restart_delay = 5  # the restart supervisor delays the replacement task
    expected = detection + restart_delay + SCHEDULING_ONE_S + PULL_ONE_S + START_S + 0
    assert node_failure_recovery_s("swarm") == pytest.approx(expected, rel=1e-12)
    assert preset("swarm").detection_time_s == pytest.approx(12.5, rel=1e-12)


def test_nomad_node_failure_hand_sum():
    mean_ttl = 10 * 1.5  # min_heartbeat_ttl + uniform stagger [0, ttl)
    detection = (mean_ttl + 10) - mean_ttl / 2  # down after TTL + 10 s grace
    expected = detection + 0 + SCHEDULING_ONE_S + PULL_ONE_S + START_S + 0  # lost: no delay
    assert node_failure_recovery_s("nomad") == pytest.approx(expected, rel=1e-12)
    assert detection == pytest.approx(17.5, rel=1e-12)


def test_stock_kubernetes_is_much_slower_than_swarm_and_nomad():
    # The 300 s toleration dominates: more than 80 % of the Kubernetes pipeline.
    stages = node_failure_stages("kubernetes")
    assert stages["eviction"] / sum(stages.values()) > 0.8
    assert node_failure_recovery_s("kubernetes") > 10 * node_failure_recovery_s("swarm")


def test_eviction_rate_limit_for_simultaneous_node_failures():
    # Kubernetes taints one node at once, then one per 1/0.1 = 10 s: the third waits 20 s.
    stages = node_failure_stages("kubernetes", instances_to_move=1, failed_nodes=3)
    assert stages["eviction"] == pytest.approx(300 + 2 * 10, rel=1e-12)
    # Swarm has no such limit.
    assert node_failure_stages("swarm", failed_nodes=3)["eviction"] == 5.0


def test_node_failure_grows_only_through_scheduling_and_pulls():
    one = node_failure_stages("kubernetes", 1)
    ten = node_failure_stages("kubernetes", 10)
    for stage in ("detection", "eviction", "container_start", "readiness"):
        assert ten[stage] == one[stage]
    assert ten["scheduling"] == pytest.approx(10 * SCHEDULING_ONE_S, rel=1e-12)
    assert ten["image_pull"] == pytest.approx(10 * PULL_ONE_S, rel=1e-12)
    cached = preset("kubernetes", image_cached=True)
    assert node_failure_stages(cached, 10)["image_pull"] == 0.0


# -- container crashes ----------------------------------------------------------------------


def test_kubernetes_backoff_sequence():
    # First crash restarts at once; then 10, 20, 40, ... s, capped at 300 s.
    delays = restart_delay_s("kubernetes", np.arange(1, 11))
    expected = [0, 10, 20, 40, 80, 160, 300, 300, 300, 300]
    np.testing.assert_allclose(delays, expected, rtol=1e-12)
    for crash in range(2, 11):
        assert delays[crash - 1] == min(10 * 2 ** (crash - 2), 300)


def test_backoff_does_not_overflow_for_huge_crash_counts():
    assert restart_delay_s("kubernetes", 10_000) == 300.0
    # Nomad's reschedule delay doubles without bound until its 3600 s cap.
    assert restart_delay_s("nomad", 3 * 5000) == 3600.0


def test_swarm_restart_delay_is_constant():
    np.testing.assert_allclose(restart_delay_s("swarm", [1, 2, 7, 100]), 5.0, rtol=0)


def test_nomad_restarts_twice_then_reschedules_with_exponential_delay():
    # restart: 15 s, 2 attempts, mode fail; reschedule: 30 s doubling, max 3600 s
    delays = restart_delay_s("nomad", np.arange(1, 10))
    np.testing.assert_allclose(delays, [15, 15, 30, 15, 15, 60, 15, 15, 120], rtol=1e-12)
    assert restart_delay_s("nomad", 3 * 8) == 3600.0  # 30 * 2**7 = 3840 -> cap
    stages = container_crash_stages("nomad", 3)
    # A rescheduled allocation goes through the scheduler and pulls the image elsewhere.
    assert stages["scheduling"] == pytest.approx(SCHEDULING_ONE_S, rel=1e-12)
    assert stages["image_pull"] == pytest.approx(PULL_ONE_S, rel=1e-12)
    assert container_crash_recovery_s("nomad", 3) == pytest.approx(
        30 + SCHEDULING_ONE_S + PULL_ONE_S + START_S, rel=1e-12
    )
    assert container_crash_recovery_s("nomad", 1) == pytest.approx(15 + START_S, rel=1e-12)


def test_crash_recovery_hand_sums():
    # Kubernetes, 2nd crash: 10 s back-off + 2 s start + 10 s readiness probe period.
    assert container_crash_recovery_s("kubernetes", 2) == pytest.approx(22.0, rel=1e-12)
    # Swarm: 5 s restart delay + a new task through the scheduler + 2 s start, no probe.
    assert container_crash_recovery_s("swarm") == pytest.approx(
        5 + SCHEDULING_ONE_S + START_S, rel=1e-12
    )


# -- overrides ------------------------------------------------------------------------------


def test_override_toleration():
    tuned = preset("kubernetes", eviction_s=30)
    assert tuned.eviction_s == 30.0
    stock = node_failure_recovery_s("kubernetes")
    assert node_failure_recovery_s(tuned) == pytest.approx(stock - 270, rel=1e-12)
    replaced = dataclasses.replace(preset("kubernetes"), eviction_s=30)
    assert dataclasses.replace(replaced, name="kubernetes (tuned)") == tuned
    assert tuned.name == "kubernetes (tuned)" and str(tuned) == "kubernetes (tuned)"
    assert preset("kubernetes").eviction_s == 300.0  # the stock preset is unchanged


def test_override_derived_stages():
    fast = preset("kubernetes", detection_s=5.0, readiness_s=1.0, monitor_period_s=0)
    stages = node_failure_stages(fast)
    assert stages["detection"] == 5.0
    assert stages["readiness"] == 1.0
    shorter_grace = preset("kubernetes", node_down_after_s=20)
    assert shorter_grace.detection_time_s == pytest.approx(20 - 5 + 2.5, rel=1e-12)


def test_preset_name_is_case_insensitive_and_pipelines_pass_through():
    assert preset("Kubernetes") == preset("kubernetes")
    pipeline = preset("swarm")
    assert node_failure_recovery_s(pipeline) == node_failure_recovery_s("swarm")


def test_bad_overrides_raise():
    with pytest.raises(ValueError, match="eviction_s=-1 is out of range"):
        preset("kubernetes", eviction_s=-1)
    with pytest.raises(ValueError, match="tolerations= is not a recovery pipeline field"):
        preset("kubernetes", tolerations=30)
    with pytest.raises(ValueError, match="node_down_after_s=5 is out of range"):
        preset("kubernetes", node_down_after_s=5)
    with pytest.raises(ValueError, match="image_cached=1 is not valid"):
        preset("kubernetes", image_cached=1)
    with pytest.raises(ValueError, match="restart_backoff_factor=0.5 is out of range"):
        preset("kubernetes", restart_backoff_factor=0.5)


# -- input kinds and errors -----------------------------------------------------------------


def test_input_kinds():
    assert isinstance(node_failure_recovery_s("swarm", 2), float)
    as_list = node_failure_recovery_s("swarm", [1, 2])
    assert isinstance(as_list, np.ndarray) and as_list.shape == (2,)
    as_array = container_crash_recovery_s("kubernetes", np.array([[1, 2], [3, 4]]))
    assert as_array.shape == (2, 2)
    series = pd.Series([1, 2, 3], index=["a", "b", "c"])
    out = node_failure_recovery_s("kubernetes", series)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c"]
    stages = node_failure_stages("kubernetes", series)
    assert all(isinstance(v, pd.Series) for v in stages.values())
    assert list(stages) == list(recovery.NODE_FAILURE_STAGES)
    total = sum(stages.values())
    pd.testing.assert_series_equal(total, out, check_exact=False, rtol=1e-12)
    crash = container_crash_stages("swarm", [1, 2])
    assert list(crash) == list(recovery.CONTAINER_CRASH_STAGES)
    assert all(v.shape == (2,) for v in crash.values())


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match=r"preset='k3s' is not known: .*kubernetes-1\.31.*nomad"):
        preset("k3s")
    with pytest.raises(ValueError, match="preset=3 is not valid"):
        node_failure_recovery_s(3)
    with pytest.raises(ValueError, match="instances_to_move=0 is out of range"):
        node_failure_recovery_s("kubernetes", 0)
    with pytest.raises(ValueError, match="crash_count=1.5 is out of range"):
        container_crash_recovery_s("kubernetes", 1.5)
    with pytest.raises(ValueError, match="failed_nodes=nan is out of range"):
        node_failure_stages("kubernetes", 1, float("nan"))
    with pytest.raises(ValueError, match="stages_table takes one value"):
        recovery.stages_table("kubernetes", instances_to_move=[1, 2])


def test_stages_table_adds_up():
    table = recovery.stages_table("nomad", instances_to_move=3, crash_count=3)
    sums = table.groupby("event")["seconds"].sum()
    assert sums["node_failure"] == pytest.approx(node_failure_recovery_s("nomad", 3), rel=1e-12)
    assert sums["container_crash"] == pytest.approx(
        container_crash_recovery_s("nomad", 3), rel=1e-12
    )
    assert set(table["orchestrator"]) == {"nomad"}


# -- recovery feeding availability ----------------------------------------------------------


def test_effective_repair():
    # E[min(X, d)] for exponential X with mean 6 h and d = 6 h: 6 (1 - e^-1) h.
    assert recovery.effective_repair_h(6 * 3600, 6.0) == pytest.approx(
        6 * (1 - math.exp(-1)), rel=1e-12
    )
    assert recovery.effective_repair_h(6 * 3600, 6.0, "fixed") == 6.0
    # Recovery much shorter than repair: the instances are down for about the recovery time.
    assert recovery.effective_repair_h(360, 6.0) == pytest.approx(0.1, rel=0.01)
    assert recovery.effective_repair_h(360, 0.0) == 0.0


# -- the article's T beside the pipeline ----------------------------------------------------


def test_document_note():
    note = recovery.document_recovery_note("kubernetes", nodes=5, replicas=2, recovery_speed_s=30)
    assert "= 75 s" in note  # 5 / 2 x 30 s
    assert "no detection" in note
    total = node_failure_recovery_s("kubernetes", 2)
    assert f"{total:.4g} s" in note
    assert "kubernetes" in recovery.document_recovery_note()
    with pytest.raises(ValueError, match="pass all of nodes, replicas and recovery_speed_s"):
        recovery.document_recovery_note("swarm", nodes=5)


def test_swarm_stops_restarting_after_max_attempts():
    # restart_policy.max_attempts: 3 -> crashes 1-3 restart after the 5 s delay, the 4th
    # leaves the task down for good (swarmkit's restart supervisor gives up).
    swarm = preset("swarm", restart_attempts=3)
    delays = restart_delay_s(swarm, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(delays, [5.0, 5.0, 5.0, np.inf, np.inf])
    assert np.isinf(container_crash_recovery_s(swarm, crash_count=4))
    assert np.isfinite(container_crash_recovery_s(swarm, crash_count=3))


def test_restart_exhausted_is_validated():
    with pytest.raises(ValueError, match=r"restart_exhausted='retry' is not valid"):
        preset("nomad", restart_exhausted="retry")


# -- one rule, one layout -------------------------------------------------------------------


def test_instances_to_move_is_the_most_loaded_node():
    from haplan.availability import instances_per_node

    for nodes in range(1, 8):
        for instances in range(1, 30):
            moved = recovery.instances_to_move(nodes, instances)
            assert moved == instances_per_node(nodes, instances).max() == -(-instances // nodes)
            assert isinstance(moved, float)
    got = recovery.instances_to_move(np.array([3, 5, 4]), np.array([3, 3, 10]))
    np.testing.assert_array_equal(got, [1.0, 1.0, 3.0])
    series = recovery.instances_to_move(pd.Series([2, 4], index=["a", "b"]), 7)
    assert list(series.index) == ["a", "b"] and list(series) == [4.0, 2.0]
    for bad in ((0, 3), (2, 0), (2.5, 3), (2, 3.5)):
        with pytest.raises(ValueError, match="nodes|instances"):
            recovery.instances_to_move(*bad)


def test_resolve_preset():
    pipeline = recovery.preset("swarm")
    assert recovery.resolve_preset("SWARM") is pipeline
    assert recovery.resolve_preset(pipeline) is pipeline
    with pytest.raises(ValueError, match="preset"):
        recovery.resolve_preset(3)


def test_package_reexports_every_public_name_of_its_modules():
    from haplan.recovery import note, pipeline, presets, repair, stages

    exported = set(recovery.__all__)
    for module in (note, pipeline, presets, repair, stages):
        assert set(module.__all__) <= exported
        for name in module.__all__:
            assert getattr(recovery, name) is getattr(module, name)
    assert len(recovery.__all__) == len(exported)


def test_csv_defines_its_columns_and_source_codes_in_its_header():
    from haplan._data import data_path

    lines = data_path("orchestrators.csv").read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    body = [line for line in lines if not line.startswith("#")]
    assert lines[0].startswith("#") and body[0].startswith("orchestrator,")
    for column in body[0].split(","):
        assert f"#   {column} " in header
    table = recovery.orchestrator_defaults()
    assert len(table) == len(body) - 1  # comment lines are skipped, data rows all kept
    codes = {source.split()[0] for source in table["source"]}
    for code in codes & {"K-API", "KUBELET", "K-WEB", "SWK", "NMD"}:
        assert f"#   {code} " in header and "https://" in header
    assert codes >= {"K-API", "KUBELET", "K-WEB", "SWK", "NMD", "assumption"}
    assert "PR #126287" in " ".join(table["source"])  # a "#" inside a value survives
