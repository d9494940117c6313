"""Manifests: Kubernetes / compose files mapped to scenario inputs, with exact expected values.

Every expected number is derived by hand in a comment from the manifest text and the rule the
module cites (Kubernetes API defaults, the disruption controller's rounding, Docker defaults).
"""

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haplan.manifests import (
    ManifestError,
    ManifestInputs,
    parse_compose_memory,
    parse_duration_s,
    parse_quantity,
    read_manifests,
    scenario_from_manifests,
)
from haplan.manifests.kubernetes import _pdb_min_instances
from haplan.recovery import preset
from haplan.scenario import Scenario

MANIFESTS = Path(__file__).resolve().parent.parent / "data" / "manifests"


def deployment(
    name="web", replicas="3", labels="app: web", extra_pod_spec="", container="", extra_spec=""
):
    """A minimal Deployment; ``replicas=None`` leaves the field out; ``extra_spec`` goes in spec."""
    replicas_line = "" if replicas is None else f"  replicas: {replicas}\n"
    return (
        "apiVersion: apps/v1\nkind: Deployment\n"
        f"metadata:\n  name: {name}\n"
        f"spec:\n{replicas_line}{extra_spec}"
        f"  selector:\n    matchLabels:\n      {labels}\n"
        f"  template:\n    metadata:\n      labels:\n        {labels}\n"
        f"    spec:\n{extra_pod_spec}"
        f"      containers:\n        - name: main\n          image: img\n{container}"
    )


def pdb(rule, labels="app: web", name="web-pdb"):
    return (
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
        f"metadata:\n  name: {name}\n"
        f"spec:\n  {rule}\n  selector:\n    matchLabels:\n      {labels}\n"
    )


def write(tmp_path, *documents, name="app.yaml"):
    path = tmp_path / name
    path.write_text("---\n".join(documents))
    return path


# -- the bundled examples ---------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(MANIFESTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_manifest_parses_and_builds_a_scenario(path):
    workloads = {"swarm-stack.yaml": ["api", "cache"]}.get(path.name, [None])
    for workload in workloads:
        scenario, inputs = scenario_from_manifests(path, workload=workload, nodes=6)
        assert isinstance(inputs, ManifestInputs)
        assert scenario.instances == inputs.scenario_values["instances"]
        assert inputs.notes, "every mapping states its assumptions"
        assert path.read_text().startswith("#"), "each example starts with a comment header"


def test_article_example():
    inputs = read_manifests(MANIFESTS / "article-deployment.yaml")
    # Deployment my-deployment, replicas: 3; no PDB, so min_instances is left to the base.
    assert inputs.workload_name == "my-deployment"
    assert inputs.workload_kind == "Deployment"
    assert inputs.scenario_values == {"instances": 3, "orchestrator": "kubernetes"}
    # No readinessProbe: a pod is ready once started (successThreshold 0 = no readiness gate).
    assert inputs.recovery_overrides == {
        "probe_initial_delay_s": 0.0,
        "probe_period_s": 0.0,
        "probe_success_threshold": 0,
    }
    # terminationGracePeriodSeconds absent: PodSpec default 30 s.
    assert inputs.recovery_details == {"termination_grace_period_s": 30.0}
    assert inputs.placement == []
    assert any("default spreading" in note for note in inputs.notes)
    # Service my-service: LoadBalancer, TCP 80 -> 8080, selects app: my-app = my-deployment.
    assert inputs.services == [
        {
            "name": "my-service",
            "type": "LoadBalancer",
            "ports": [{"port": 80, "target_port": 8080, "protocol": "TCP", "node_port": None}],
            "selector": {"app": "my-app"},
            "workloads": ["my-deployment"],
        }
    ]
    assert inputs.resources == [
        {
            "workload": "my-deployment",
            "container": "my-container",
            "cpu_request_cores": None,
            "cpu_limit_cores": None,
            "memory_request_bytes": None,
            "memory_limit_bytes": None,
        }
    ]


def test_article_example_on_five_nodes():
    scenario, _ = scenario_from_manifests(MANIFESTS / "article-deployment.yaml", nodes=5)
    # C = 3 instances on N = 5 nodes: R = 3/5 = 0.6; min_instances from the default base (1).
    assert (scenario.nodes, scenario.instances, scenario.min_instances) == (5, 3, 1)
    assert scenario.replicas == pytest.approx(0.6, rel=1e-15)
    assert scenario.name == "my-deployment"
    assert scenario.orchestrator == "kubernetes"


def test_web_zonal_example():
    inputs = read_manifests(MANIFESTS / "web-zonal.yaml")
    # replicas 6; minAvailable "80%": ceil(0.8 x 6 = 4.8) = 5; zone spread with minDomains 3.
    assert inputs.scenario_values == {
        "instances": 6,
        "orchestrator": "kubernetes",
        "min_instances": 5,
        "zones": 3,
    }
    # readinessProbe initialDelaySeconds 5, periodSeconds 5, successThreshold 2.
    assert inputs.recovery_overrides == {
        "probe_initial_delay_s": 5.0,
        "probe_period_s": 5.0,
        "probe_success_threshold": 2,
    }
    # timeoutSeconds / failureThreshold absent: Probe defaults 1 s and 3; liveness period 10.
    assert inputs.recovery_details == {
        "readiness_timeout_s": 1.0,
        "readiness_failure_threshold": 3,
        "liveness_initial_delay_s": 0.0,
        "liveness_period_s": 10.0,
        "liveness_timeout_s": 1.0,
        "liveness_failure_threshold": 3,
        "termination_grace_period_s": 45.0,
    }
    assert [(r["over"], r["required"], r["max_skew"]) for r in inputs.placement] == [
        ("zones", True, 1),
        ("nodes", False, 1),
    ]
    # 250m = 0.25 cores, "1" = 1 core, 256Mi = 256 x 2^20 = 268435456 B, 512Mi = 536870912 B.
    (row,) = inputs.resources
    assert (row["cpu_request_cores"], row["cpu_limit_cores"]) == (0.25, 1.0)
    assert (row["memory_request_bytes"], row["memory_limit_bytes"]) == (268435456.0, 536870912.0)
    assert inputs.services[0]["workloads"] == ["web"]


def test_statefulset_example():
    inputs = read_manifests(MANIFESTS / "etcd-statefulset.yaml")
    # replicas 3; maxUnavailable 1: 3 - 1 = 2.
    assert inputs.scenario_values == {
        "instances": 3,
        "orchestrator": "kubernetes",
        "min_instances": 2,
    }
    # Only periodSeconds 5 given: initialDelaySeconds 0 and successThreshold 1 are defaults.
    assert inputs.recovery_overrides == {
        "probe_initial_delay_s": 0.0,
        "probe_period_s": 5.0,
        "probe_success_threshold": 1,
    }
    assert inputs.placement == [
        {
            "over": "nodes",
            "topology_key": "kubernetes.io/hostname",
            "rule": "podAntiAffinity",
            "required": True,
            "max_per_domain": 1,
        }
    ]
    # 500m = 0.5 cores; 1Gi = 2^30 = 1073741824 B.
    assert inputs.resources[0]["cpu_request_cores"] == 0.5
    assert inputs.resources[0]["memory_request_bytes"] == 1073741824.0
    assert any("StatefulSet" in note and "force-deleted" in note for note in inputs.notes)


def test_one_pod_per_node_needs_enough_nodes():
    path = MANIFESTS / "etcd-statefulset.yaml"
    assert scenario_from_manifests(path, nodes=3)[0].nodes == 3
    with pytest.raises(ManifestError, match=r"etcd-statefulset\.yaml.*need at least 3 nodes"):
        scenario_from_manifests(path, nodes=2)


def test_swarm_stack_example():
    inputs = read_manifests(MANIFESTS / "swarm-stack.yaml", workload="api")
    assert inputs.scenario_values == {"instances": 4, "orchestrator": "swarm"}
    # delay 10s -> restart and replacement delay 10 s; max_attempts 3; healthcheck interval
    # 15s -> first check 15 s after start, ready after it passes.
    assert inputs.recovery_overrides == {
        "restart_delay_s": 10.0,
        "eviction_s": 10.0,
        "restart_attempts": 3,
        "probe_initial_delay_s": 15.0,
        "probe_period_s": 15.0,
        "probe_success_threshold": 1,
    }
    # window 2m = 120 s; stop_grace_period absent: swarm default 10 s; start_period default 0.
    assert inputs.recovery_details == {
        "restart_condition": "on-failure",
        "restart_window_s": 120.0,
        "healthcheck_interval_s": 15.0,
        "healthcheck_timeout_s": 3.0,
        "healthcheck_start_period_s": 0.0,
        "healthcheck_retries": 3,
        "stop_grace_period_s": 10.0,
    }
    assert inputs.placement[0]["max_per_domain"] == 1
    # cpus "0.5"/"0.25"; 512M = 512 x 2^20 = 536870912 B, 256M = 268435456 B (Docker: binary).
    assert inputs.resources == [
        {
            "workload": "api",
            "container": "api",
            "cpu_request_cores": 0.25,
            "cpu_limit_cores": 0.5,
            "memory_request_bytes": 268435456.0,
            "memory_limit_bytes": 536870912.0,
        }
    ]


def test_swarm_service_without_deploy_takes_the_defaults():
    inputs = read_manifests(MANIFESTS / "swarm-stack.yaml", workload="cache")
    assert inputs.scenario_values == {"instances": 1, "orchestrator": "swarm"}
    assert inputs.recovery_overrides == {
        "probe_initial_delay_s": 0.0,
        "probe_period_s": 0.0,
        "probe_success_threshold": 0,
    }
    assert inputs.recovery_details == {
        "restart_condition": "any",
        "restart_window_s": 0.0,
        "stop_grace_period_s": 10.0,
    }
    assert any("default of 5 s" in note for note in inputs.notes)


@pytest.mark.parametrize(
    ("path", "workload", "readiness_s"),
    [
        ("article-deployment.yaml", None, 0.0),  # no probe
        ("web-zonal.yaml", None, 15.0),  # 5 + 5 x 2
        ("etcd-statefulset.yaml", None, 5.0),  # 0 + 5 x 1
        ("swarm-stack.yaml", "api", 30.0),  # 15 + 15 x 1
    ],
)
def test_recovery_overrides_are_recovery_pipeline_fields(path, workload, readiness_s):
    inputs = read_manifests(MANIFESTS / path, workload=workload)
    pipeline = preset(inputs.scenario_values["orchestrator"], **inputs.recovery_overrides)
    assert pipeline.readiness_time_s == readiness_s


# -- PodDisruptionBudget --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicas", "rule", "expected"),
    [
        (6, 'minAvailable: "80%"', 5),  # ceil(4.8)
        (7, 'minAvailable: "50%"', 4),  # ceil(3.5): the Kubernetes docs' own example
        (3, 'minAvailable: "100%"', 3),
        (5, "minAvailable: 0", 0),
        (3, "minAvailable: 3", 3),
        (3, "maxUnavailable: 1", 2),
        (7, 'maxUnavailable: "30%"', 4),  # 7 - ceil(2.1) = 7 - 3
        (10, 'maxUnavailable: "25%"', 7),  # 10 - ceil(2.5) = 10 - 3
        (4, 'maxUnavailable: "25%"', 3),  # 4 - 1, exact
        (3, "maxUnavailable: 5", 0),  # 3 - 5 clamped at 0, as the disruption controller does
    ],
)
def test_pdb_gives_min_instances(tmp_path, replicas, rule, expected):
    path = write(tmp_path, deployment(replicas=replicas), pdb(rule))
    inputs = read_manifests(path)
    assert inputs.scenario_values["min_instances"] == expected


@settings(max_examples=60, deadline=None)
@given(replicas=st.integers(1, 500), percent=st.integers(0, 100))
def test_pdb_percentages_round_as_kubernetes(replicas, percent):
    spec = {"metadata": {"name": "p"}, "spec": {"minAvailable": f"{percent}%"}}
    k_min, _ = _pdb_min_instances(spec, replicas, "x")
    # minAvailable: the smallest whole k with k >= percent % of replicas.
    assert 100 * k_min >= percent * replicas > 100 * (k_min - 1)
    spec["spec"] = {"maxUnavailable": f"{percent}%"}
    k_max, _ = _pdb_min_instances(spec, replicas, "x")
    down = replicas - k_max
    # maxUnavailable: the smallest whole number of pods down >= percent % of replicas.
    assert 100 * down >= percent * replicas > 100 * (down - 1)
    assert 0 <= k_max <= replicas


def test_pdb_in_another_file_and_match_expressions(tmp_path):
    write(tmp_path, deployment(replicas=5), name="deploy.yaml")
    rule = (
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n"
        "spec:\n  maxUnavailable: 2\n  selector:\n    matchExpressions:\n"
        "      - {key: app, operator: In, values: [web, api]}\n"
        "      - {key: canary, operator: DoesNotExist}\n"
    )
    write(tmp_path, rule, name="pdb.yaml")
    inputs = read_manifests([tmp_path / "deploy.yaml", tmp_path / "pdb.yaml"])
    assert inputs.scenario_values["min_instances"] == 3  # 5 - 2


def test_no_pdb_leaves_min_instances_to_the_base(tmp_path):
    base = Scenario(nodes=3, instances=3, min_instances=2)
    scenario, inputs = scenario_from_manifests(write(tmp_path, deployment(replicas=4)), base)
    assert "min_instances" not in inputs.scenario_values
    assert (scenario.instances, scenario.min_instances) == (4, 2)


def test_replicas_per_node_override_replaces_the_manifests_instances(tmp_path):
    path = write(tmp_path, deployment(replicas=6))
    scenario, _ = scenario_from_manifests(path, nodes=4, replicas=2)
    assert (scenario.nodes, scenario.instances) == (4, 8)  # C = N x R = 4 x 2


def test_overrides_win_over_the_manifest(tmp_path):
    path = write(tmp_path, deployment(replicas=6), pdb('minAvailable: "80%"'))
    scenario, _ = scenario_from_manifests(path, nodes=4, min_instances=4, name="mine")
    assert (scenario.nodes, scenario.instances, scenario.min_instances) == (4, 6, 4)
    assert scenario.name == "mine"


# -- probes, defaults, placement --------------------------------------------------------------


def test_replicas_default_to_one(tmp_path):
    inputs = read_manifests(write(tmp_path, deployment(replicas=None)))
    assert inputs.scenario_values["instances"] == 1
    assert any("default of 1" in note for note in inputs.notes)


def test_probe_defaults_and_the_slowest_container(tmp_path):
    containers = (
        "          readinessProbe:\n            httpGet: {path: /, port: 80}\n"
        "        - name: sidecar\n          image: img\n"
        "          readinessProbe:\n            initialDelaySeconds: 20\n"
        "            periodSeconds: 2\n            successThreshold: 3\n"
    )
    inputs = read_manifests(write(tmp_path, deployment(container=containers)))
    # main: 0 + 10 x 1 = 10 s (all defaults); sidecar: 20 + 2 x 3 = 26 s -> the pod waits for it.
    assert inputs.recovery_overrides == {
        "probe_initial_delay_s": 20.0,
        "probe_period_s": 2.0,
        "probe_success_threshold": 3,
    }
    assert any("sidecar" in note for note in inputs.notes)


def test_zone_anti_affinity_demands_one_zone_per_replica(tmp_path):
    affinity = (
        "      affinity:\n        podAntiAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            - topologyKey: topology.kubernetes.io/zone\n"
        "              labelSelector: {matchLabels: {app: web}}\n"
        "          preferredDuringSchedulingIgnoredDuringExecution:\n"
        "            - weight: 100\n              podAffinityTerm:\n"
        "                topologyKey: kubernetes.io/hostname\n"
        "                labelSelector: {matchLabels: {app: other}}\n"
    )
    inputs = read_manifests(write(tmp_path, deployment(replicas=3, extra_pod_spec=affinity)))
    assert inputs.scenario_values["zones"] == 3  # one pod per zone, 3 replicas
    assert [r["over"] for r in inputs.placement] == ["zones"]  # the other pods' term is ignored
    assert any("keeps away other pods" in note for note in inputs.notes)
    with pytest.raises(ManifestError, match=r"app\.yaml.*zones=3 is out of range"):
        scenario_from_manifests(tmp_path / "app.yaml", nodes=2)


def test_soft_zone_spread_demands_no_zone_count(tmp_path):
    spread = (
        "      topologySpreadConstraints:\n"
        "        - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone,"
        " whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n"
    )
    inputs = read_manifests(write(tmp_path, deployment(extra_pod_spec=spread)))
    assert "zones" not in inputs.scenario_values
    assert inputs.placement[0]["required"] is False
    assert any("pass zones" in note for note in inputs.notes)


def test_ignored_kinds_are_noted(tmp_path):
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n"
    inputs = read_manifests(write(tmp_path, config, deployment()))
    assert any("ConfigMap 'settings' ignored" in note for note in inputs.notes)


def test_compose_restart_policy_variants(tmp_path):
    stack = (
        "services:\n  job:\n    image: img\n    stop_grace_period: 1m30s\n"
        "    deploy:\n      replicas: 2\n"
        "      restart_policy: {condition: none, max_attempts: 0}\n"
    )
    inputs = read_manifests(write(tmp_path, stack, name="stack.yml"))
    # max_attempts 0 means unlimited; 1m30s = 90 s; condition none is noted.
    assert inputs.recovery_overrides["restart_attempts"] == math.inf
    assert inputs.recovery_details["stop_grace_period_s"] == 90.0
    assert any("condition none" in note for note in inputs.notes)


# -- errors ---------------------------------------------------------------------------------


def test_error_file_not_found(tmp_path):
    with pytest.raises(ManifestError, match=r"missing\.yaml: file not found"):
        read_manifests(tmp_path / "missing.yaml")


def test_error_malformed_yaml(tmp_path):
    path = write(tmp_path, "kind: Deployment\nspec:\n  replicas: [3\n", name="bad.yaml")
    with pytest.raises(ManifestError, match=r"bad\.yaml: is not valid YAML at line \d+"):
        read_manifests(path)


def test_error_unknown_kind(tmp_path):
    daemonset = deployment().replace("kind: Deployment", "kind: DaemonSet")
    with pytest.raises(ManifestError, match=r"app\.yaml \(document 1\): kind 'DaemonSet'"):
        read_manifests(write(tmp_path, daemonset))


def test_error_not_a_manifest(tmp_path):
    with pytest.raises(ManifestError, match=r"notes\.yaml \(document 1\): has no 'kind'"):
        read_manifests(write(tmp_path, "title: my notes\n", name="notes.yaml"))


def test_error_pdb_selects_nothing(tmp_path):
    path = write(tmp_path, deployment(), pdb("minAvailable: 1", labels="app: webb"))
    with pytest.raises(ManifestError, match=r"app\.yaml \(document 2\).*'web-pdb' selects no"):
        read_manifests(path)


def test_error_pdb_in_another_namespace_selects_nothing(tmp_path):
    other = pdb("minAvailable: 1").replace("name: web-pdb", "name: web-pdb\n  namespace: prod")
    with pytest.raises(ManifestError, match="selects no workload"):
        read_manifests(write(tmp_path, deployment(), other))


def test_error_min_available_above_replicas(tmp_path):
    path = write(tmp_path, deployment(replicas=3), pdb("minAvailable: 4"))
    with pytest.raises(ManifestError, match=r"app\.yaml.*minAvailable=4 is above .* 3 replicas"):
        read_manifests(path)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('minAvailable: "12.5%"', r"minAvailable='12.5%' is not valid"),
        ('maxUnavailable: "150%"', r"maxUnavailable=150% is above 100%"),
        ("minAvailable: 1\n  maxUnavailable: 1", "sets both minAvailable and maxUnavailable"),
    ],
)
def test_error_invalid_pdb(tmp_path, rule, message):
    with pytest.raises(ManifestError, match=r"app\.yaml.*" + message):
        read_manifests(write(tmp_path, deployment(), pdb(rule)))


def test_error_two_pdbs_for_one_workload(tmp_path):
    path = write(tmp_path, deployment(), pdb("minAvailable: 1"), pdb("minAvailable: 2", name="b"))
    with pytest.raises(ManifestError, match="several PodDisruptionBudgets"):
        read_manifests(path)


def test_error_no_workload(tmp_path):
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: {a: b}\n"
    with pytest.raises(ManifestError, match=r"svc\.yaml: no workload found"):
        read_manifests(write(tmp_path, service, name="svc.yaml"))


def test_error_several_workloads_need_a_choice(tmp_path):
    path = write(tmp_path, deployment("web"), deployment("api", labels="app: api"))
    with pytest.raises(ManifestError, match=r"2 workloads found \(web .*api .*workload="):
        read_manifests(path)
    assert read_manifests(path, workload="api").workload_name == "api"
    with pytest.raises(ManifestError, match="no workload named 'db'"):
        read_manifests(path, workload="db")


def test_error_spread_without_topology_key(tmp_path):
    spread = "      topologySpreadConstraints:\n        - {maxSkew: 1, labelSelector: {}}\n"
    with pytest.raises(ManifestError, match=r"app\.yaml.*topologyKey=None; set it"):
        read_manifests(write(tmp_path, deployment(extra_pod_spec=spread)))


def test_error_zero_replicas(tmp_path):
    with pytest.raises(ManifestError, match="replicas: 0"):
        read_manifests(write(tmp_path, deployment(replicas=0)))


def test_error_bad_quantity(tmp_path):
    resources = "          resources:\n            requests: {memory: 12 MB}\n"
    with pytest.raises(ManifestError, match=r"app\.yaml.*'main' memory: quantity '12 MB'"):
        read_manifests(write(tmp_path, deployment(container=resources)))


def test_error_duration_without_unit(tmp_path):
    stack = "services:\n  a:\n    image: i\n    deploy:\n      restart_policy: {delay: 5}\n"
    with pytest.raises(ManifestError, match=r"stack\.yml.*restart_policy\.delay.*'5s'"):
        read_manifests(write(tmp_path, stack, name="stack.yml"))


def test_error_global_swarm_service(tmp_path):
    stack = "services:\n  agent:\n    image: i\n    deploy: {mode: global}\n"
    with pytest.raises(ManifestError, match=r"stack\.yml.*mode='global' is not supported"):
        read_manifests(write(tmp_path, stack, name="stack.yml"))


def test_error_pdb_above_overridden_instances(tmp_path):
    path = write(tmp_path, deployment(replicas=6), pdb("minAvailable: 5"))
    with pytest.raises(ManifestError, match=r"app\.yaml.*min_instances=5 is out of range"):
        scenario_from_manifests(path, instances=4)


def test_manifest_error_is_a_value_error():
    assert issubclass(ManifestError, ValueError)


# -- value parsers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500m", 0.5),
        ("100m", 0.1),  # exactly the float nearest 0.1
        ("2", 2.0),
        (2, 2.0),
        (0.25, 0.25),
        ("128Mi", 134217728.0),  # 128 x 2^20
        ("1.5Gi", 1610612736.0),  # 1.5 x 2^30
        ("1G", 1e9),
        ("100k", 1e5),
        ("1e3", 1000.0),
        ("129e6", 129e6),
    ],
)
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["12 MB", "-1", "1Qi", "", None, True])
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError, match="quantity"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5s", 5.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0), ("1.5m", 90.0), (0, 0.0)],
)
def test_parse_duration(text, expected):
    assert parse_duration_s(text) == expected


@pytest.mark.parametrize("text", ["5", 5, "5x", "", "s", "5s 3m"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration_s(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512m", 536870912.0), ("1g", 1073741824.0), ("2GB", 2147483648.0), ("100b", 100.0)]
    + [(1024, 1024.0), ("1.5k", 1536.0)],
)
def test_parse_compose_memory(text, expected):
    assert parse_compose_memory(text) == expected


TOLERANT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 4
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      tolerations:
      - key: node.kubernetes.io/not-ready
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 60
      - key: node.kubernetes.io/unreachable
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 30
      containers:
      - {name: api, image: api:1}
"""


def test_unreachable_toleration_sets_the_eviction_wait(tmp_path):
    # The tuned case the recovery issue names: pods leave a dead node after 30 s, not 300 s.
    path = tmp_path / "api.yaml"
    path.write_text(TOLERANT)
    inputs = read_manifests([path])
    assert inputs.recovery_overrides["eviction_s"] == 30.0
    assert any("for 30 s" in note for note in inputs.notes)
    forever = TOLERANT.replace(
        "effect: NoExecute\n        tolerationSeconds: 30\n", "effect: NoExecute\n"
    )
    path.write_text(forever)
    assert read_manifests([path]).recovery_overrides["eviction_s"] == float("inf")


# -- rollout: spec.strategy, spec.updateStrategy, deploy.update_config ------------------------

K8S_DEFAULT_ROLLOUT = {
    "kind": "deployment",
    "strategy": "RollingUpdate",
    "max_surge": "25%",
    "max_unavailable": "25%",
    "min_ready_s": 0.0,
}
SWARM_DEFAULT_ROLLOUT = {
    "kind": "swarm",
    "parallelism": 1,
    "delay_s": 0.0,
    "order": "stop-first",
    "failure_action": "pause",
    "monitor_s": 5.0,
}


def statefulset(extra_spec=""):
    return deployment(name="db", labels="app: db", extra_spec=extra_spec).replace(
        "kind: Deployment", "kind: StatefulSet"
    )


def stack(update_config):
    """A one-service stack file; ``update_config`` is the YAML flow mapping (or None)."""
    deploy = "" if update_config is None else f"    deploy:\n      update_config: {update_config}\n"
    return f"services:\n  web:\n    image: img\n{deploy}"


@pytest.mark.parametrize(
    ("path", "workload", "expected"),
    [
        # No spec.strategy, no minReadySeconds: apps/v1 defaults RollingUpdate 25 % / 25 %, 0 s.
        ("article-deployment.yaml", None, K8S_DEFAULT_ROLLOUT),
        ("web-zonal.yaml", None, K8S_DEFAULT_ROLLOUT),
        # No updateStrategy: RollingUpdate, partition 0; maxUnavailable not given, not recorded.
        (
            "etcd-statefulset.yaml",
            None,
            {
                "kind": "statefulset",
                "strategy": "RollingUpdate",
                "partition": 0,
                "min_ready_s": 0.0,
            },
        ),
        # Neither service has update_config: swarm's defaults.
        ("swarm-stack.yaml", "api", SWARM_DEFAULT_ROLLOUT),
        ("swarm-stack.yaml", "cache", SWARM_DEFAULT_ROLLOUT),
        # maxSurge 1, maxUnavailable 0, minReadySeconds 10, all as written.
        (
            "api-rolling-update.yaml",
            None,
            {
                "kind": "deployment",
                "strategy": "RollingUpdate",
                "max_surge": 1,
                "max_unavailable": 0,
                "min_ready_s": 10.0,
            },
        ),
        # parallelism 2, delay 10s, start-first, rollback, monitor 30s.
        (
            "swarm-update.yaml",
            None,
            {
                "kind": "swarm",
                "parallelism": 2,
                "delay_s": 10.0,
                "order": "start-first",
                "failure_action": "rollback",
                "monitor_s": 30.0,
            },
        ),
    ],
)
def test_bundled_examples_rollout(path, workload, expected):
    inputs = read_manifests(MANIFESTS / path, workload=workload)
    assert inputs.rollout == expected
    # Rollout settings are reported, never scenario inputs.
    assert set(inputs.scenario_values) <= {"instances", "orchestrator", "min_instances", "zones"}


def test_bundled_examples_note_only_the_defaults_taken():
    article = read_manifests(MANIFESTS / "article-deployment.yaml")
    assert (
        "Deployment 'my-deployment' rollout: Kubernetes' defaults taken for strategy "
        "RollingUpdate, maxSurge 25%, maxUnavailable 25%, minReadySeconds 0."
    ) in article.notes
    etcd = read_manifests(MANIFESTS / "etcd-statefulset.yaml")
    assert (
        "StatefulSet 'etcd' rollout: Kubernetes' defaults taken for updateStrategy "
        "RollingUpdate, partition 0, minReadySeconds 0."
    ) in etcd.notes
    cache = read_manifests(MANIFESTS / "swarm-stack.yaml", workload="cache")
    assert (
        "Compose service 'cache' rollout: swarm's defaults taken for parallelism 1, delay 0 s, "
        "order stop-first, failure_action pause, monitor 5 s."
    ) in cache.notes
    # Everything stated: no rollout note.
    for path in ("api-rolling-update.yaml", "swarm-update.yaml"):
        assert not any("rollout" in note for note in read_manifests(MANIFESTS / path).notes)


def test_rollout_does_not_change_the_scenario(tmp_path):
    plain = write(tmp_path, deployment(), name="plain.yaml")
    strategy = "  strategy: {type: Recreate}\n  minReadySeconds: 30\n"
    recreate = write(tmp_path, deployment(extra_spec=strategy), name="recreate.yaml")
    assert scenario_from_manifests(plain)[0] == scenario_from_manifests(recreate)[0]


def test_manifest_inputs_rollout_defaults_to_empty():
    inputs = ManifestInputs({}, {}, {}, [], [], [], "w", "Deployment", "x.yaml")
    assert inputs.rollout == {}


@pytest.mark.parametrize(
    ("strategy", "expected", "defaults_noted"),
    [
        # Only maxSurge given: maxUnavailable and minReadySeconds take the defaults.
        (
            "  strategy:\n    rollingUpdate: {maxSurge: 2}\n",
            {"strategy": "RollingUpdate", "max_surge": 2, "max_unavailable": "25%"},
            "strategy RollingUpdate, maxUnavailable 25%, minReadySeconds 0",
        ),
        # Percentages are kept as written (whole numbers; " 50% " is trimmed); 0 % surge is fine
        # when maxUnavailable is not 0. maxSurge may exceed 100 %.
        (
            "  strategy:\n    type: RollingUpdate\n"
            '    rollingUpdate: {maxSurge: "0%", maxUnavailable: " 50% "}\n'
            "  minReadySeconds: 5\n",
            {"strategy": "RollingUpdate", "max_surge": "0%", "max_unavailable": "50%"},
            None,
        ),
        (
            "  strategy:\n    rollingUpdate: {maxSurge: 150%, maxUnavailable: 0}\n"
            "  minReadySeconds: 0\n",
            {"strategy": "RollingUpdate", "max_surge": "150%", "max_unavailable": 0},
            "strategy RollingUpdate",
        ),
        # Recreate: every old pod stops before the new ones start; no surge or unavailable.
        ("  strategy: {type: Recreate}\n", {"strategy": "Recreate"}, "minReadySeconds 0"),
    ],
)
def test_deployment_rollout(tmp_path, strategy, expected, defaults_noted):
    inputs = read_manifests(write(tmp_path, deployment(extra_spec=strategy)))
    min_ready = 5.0 if "minReadySeconds: 5" in strategy else 0.0
    assert inputs.rollout == {"kind": "deployment", **expected, "min_ready_s": min_ready}
    notes = [note for note in inputs.notes if "rollout" in note]
    if defaults_noted is None:
        assert notes == []
    else:
        assert notes == [
            f"Deployment 'web' rollout: Kubernetes' defaults taken for {defaults_noted}."
        ]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # Partition 2: only ordinals >= 2 are updated; maxUnavailable 50% kept as written.
        (
            "  updateStrategy:\n    type: RollingUpdate\n"
            '    rollingUpdate: {partition: 2, maxUnavailable: "50%"}\n'
            "  minReadySeconds: 20\n",
            {
                "strategy": "RollingUpdate",
                "partition": 2,
                "max_unavailable": "50%",
                "min_ready_s": 20.0,
            },
        ),
        (
            "  updateStrategy:\n    rollingUpdate: {maxUnavailable: 2}\n",
            {"strategy": "RollingUpdate", "partition": 0, "max_unavailable": 2, "min_ready_s": 0.0},
        ),
        # OnDelete: pods are replaced only when deleted; no partition applies.
        ("  updateStrategy: {type: OnDelete}\n", {"strategy": "OnDelete", "min_ready_s": 0.0}),
    ],
)
def test_statefulset_rollout(tmp_path, strategy, expected):
    inputs = read_manifests(write(tmp_path, statefulset(strategy)))
    assert inputs.rollout == {"kind": "statefulset", **expected}
    gate_noted = any("MaxUnavailableStatefulSet feature gate" in note for note in inputs.notes)
    assert gate_noted == ("max_unavailable" in expected)


def test_statefulset_rollout_defaults(tmp_path):
    inputs = read_manifests(write(tmp_path, statefulset()))
    assert inputs.rollout == {
        "kind": "statefulset",
        "strategy": "RollingUpdate",
        "partition": 0,
        "min_ready_s": 0.0,
    }
    assert (
        "StatefulSet 'db' rollout: Kubernetes' defaults taken for updateStrategy RollingUpdate, "
        "partition 0, minReadySeconds 0."
    ) in inputs.notes


@pytest.mark.parametrize(
    ("update_config", "expected", "defaults_noted"),
    [
        (
            None,
            SWARM_DEFAULT_ROLLOUT,
            "parallelism 1, delay 0 s, order stop-first, failure_action pause, monitor 5 s",
        ),
        # update_config given but empty: still all defaults (docker stack deploy sets
        # parallelism 1; swarmkit fills the rest).
        (
            "{}",
            SWARM_DEFAULT_ROLLOUT,
            "parallelism 1, delay 0 s, order stop-first, failure_action pause, monitor 5 s",
        ),
        # 1m30s = 90 s; 500ms = 0.5 s; parallelism 0 = all tasks at once, kept as 0.
        (
            "{parallelism: 0, delay: 1m30s, order: start-first, failure_action: continue, "
            "monitor: 500ms}",
            {
                **SWARM_DEFAULT_ROLLOUT,
                "parallelism": 0,
                "delay_s": 90.0,
                "order": "start-first",
                "failure_action": "continue",
                "monitor_s": 0.5,
            },
            None,
        ),
        (
            "{parallelism: 3, order: stop-first}",
            {**SWARM_DEFAULT_ROLLOUT, "parallelism": 3},
            "delay 0 s, failure_action pause, monitor 5 s",
        ),
    ],
)
def test_compose_rollout(tmp_path, update_config, expected, defaults_noted):
    inputs = read_manifests(write(tmp_path, stack(update_config), name="stack.yml"))
    assert inputs.rollout == expected
    notes = [note for note in inputs.notes if "rollout" in note]
    if defaults_noted is None:
        assert notes == []
    else:
        assert notes == [
            f"Compose service 'web' rollout: swarm's defaults taken for {defaults_noted}."
        ]


def test_compose_monitor_zero_means_the_default(tmp_path):
    # Docker sends a monitor of 0 as unset, and swarmkit then applies its 5 s default.
    config = "{parallelism: 1, delay: 0s, order: stop-first, failure_action: pause, monitor: 0}"
    inputs = read_manifests(write(tmp_path, stack(config), name="stack.yml"))
    assert inputs.rollout["monitor_s"] == 5.0
    assert (
        "Compose service 'web' update_config.monitor is 0: Docker sends it as unset, so swarm's "
        "default of 5 s applies."
    ) in inputs.notes


_SURGE = "Deployment 'web' spec.strategy.rollingUpdate"
_PARTITION = "StatefulSet 'db' spec.updateStrategy.rollingUpdate"


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            "  strategy:\n    rollingUpdate: {maxSurge: -1}\n",
            f"{_SURGE}.maxSurge=-1 is not valid; write a whole number >= 0 or a whole percentage "
            "such as '25%'",
        ),
        (
            '  strategy:\n    rollingUpdate: {maxSurge: "12.5%"}\n',
            f"{_SURGE}.maxSurge='12.5%' is not valid; write a whole number or a whole percentage "
            "such as '80%'",
        ),
        (
            "  strategy:\n    rollingUpdate: {maxUnavailable: 1.5}\n",
            f"{_SURGE}.maxUnavailable=1.5 is not valid; write a whole number >= 0 or a whole "
            "percentage such as '25%'",
        ),
        (
            '  strategy:\n    rollingUpdate: {maxUnavailable: "150%"}\n',
            f"{_SURGE}.maxUnavailable=150% is above 100%; lower it",
        ),
        (
            '  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: "0%"}\n',
            f"{_SURGE} has maxSurge and maxUnavailable both 0, so no pod could be replaced; "
            "Kubernetes rejects it, raise one of them",
        ),
        (
            "  strategy: {type: BlueGreen}\n",
            "Deployment 'web' spec.strategy.type='BlueGreen' is not valid; use RollingUpdate or "
            "Recreate",
        ),
        (
            "  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n",
            "Deployment 'web' sets spec.strategy.rollingUpdate with type Recreate; Kubernetes "
            "forbids that, remove rollingUpdate or use type RollingUpdate",
        ),
        (
            "  strategy: RollingUpdate\n",
            "Deployment 'web' spec.strategy is not a mapping; indent its fields under it",
        ),
        (
            "  minReadySeconds: -5\n",
            "Deployment 'web' spec.minReadySeconds=-5 is not valid; write a whole number >= 0",
        ),
    ],
)
def test_error_deployment_rollout(tmp_path, strategy, message):
    path = write(tmp_path, deployment(extra_spec=strategy))
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == f"{path} (document 1): {message}"


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (
            "  updateStrategy:\n    rollingUpdate: {partition: -1}\n",
            f"{_PARTITION}.partition=-1 is not valid; write a whole number >= 0",
        ),
        (
            "  updateStrategy:\n    rollingUpdate: {maxUnavailable: 0}\n",
            f"{_PARTITION}.maxUnavailable=0 is not valid; write a whole number >= 1 or a whole "
            "percentage such as '25%'",
        ),
        (
            '  updateStrategy:\n    rollingUpdate: {maxUnavailable: "101%"}\n',
            f"{_PARTITION}.maxUnavailable=101% is above 100%; lower it",
        ),
        (
            "  updateStrategy:\n    type: OnDelete\n    rollingUpdate: {partition: 1}\n",
            "StatefulSet 'db' sets spec.updateStrategy.rollingUpdate with type OnDelete; "
            "Kubernetes forbids that, remove rollingUpdate or use type RollingUpdate",
        ),
        (
            "  updateStrategy: {type: Recreate}\n",
            "StatefulSet 'db' spec.updateStrategy.type='Recreate' is not valid; use RollingUpdate "
            "or OnDelete",
        ),
    ],
)
def test_error_statefulset_rollout(tmp_path, strategy, message):
    path = write(tmp_path, statefulset(strategy))
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == f"{path} (document 1): {message}"


_UPDATE = "service 'web' deploy.update_config"


@pytest.mark.parametrize(
    ("update_config", "message"),
    [
        (
            "{order: sideways}",
            f"{_UPDATE}.order='sideways' is not valid; use stop-first or start-first",
        ),
        (
            "{failure_action: abort}",
            f"{_UPDATE}.failure_action='abort' is not valid; use pause, continue or rollback",
        ),
        (
            "{parallelism: -1}",
            f"{_UPDATE}.parallelism=-1 is not valid; write a whole number >= 0",
        ),
        (
            "{delay: 10}",
            f"{_UPDATE}.delay: duration 10 is not valid: write numbers with units (h, m, s, ms), "
            "e.g. '5s' or '1m30s'",
        ),
        (
            "{monitor: soon}",
            f"{_UPDATE}.monitor: duration 'soon' is not valid: write numbers with units "
            "(h, m, s, ms), e.g. '5s' or '1m30s'",
        ),
        ("[parallelism, 2]", f"{_UPDATE} is not a mapping; indent its fields under it"),
    ],
)
def test_error_compose_rollout(tmp_path, update_config, message):
    path = write(tmp_path, stack(update_config), name="stack.yml")
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == f"{path} (document 1): {message}"
    assert "\n" not in str(error.value)


# -- HorizontalPodAutoscaler: spec.minReplicas / maxReplicas, metrics, behavior ---------------

# Kubernetes' default behaviour ("Horizontal Pod Autoscaling", Default Behavior; autoscaling/v2
# defaults.go): scale up with no window, +100 % or +4 pods per 15 s, the larger; scale down
# with a 300 s window, -100 % per 15 s.
DEFAULT_SCALE_UP = {
    "stabilization_window_s": 0,
    "select_policy": "Max",
    "policies": [("Percent", 100, 15), ("Pods", 4, 15)],
}
DEFAULT_SCALE_DOWN = {
    "stabilization_window_s": 300,
    "select_policy": "Max",
    "policies": [("Percent", 100, 15)],
}
DEFAULT_BEHAVIOR_TAKEN = (
    "behavior.scaleUp (window 0 s; Percent 100 per 15 s, Pods 4 per 15 s; select Max), "
    "behavior.scaleDown (window 300 s; Percent 100 per 15 s; select Max)"
)
CPU_70 = (
    "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
    "        target: {type: Utilization, averageUtilization: 70}\n"
)


def hpa(
    spec="  minReplicas: 2\n  maxReplicas: 10\n" + CPU_70,
    target="web",
    kind="Deployment",
    name="web",
    api="autoscaling/v2",
    namespace="",
):
    """An HPA scaling ``kind``/``target``; ``spec`` is the YAML below scaleTargetRef."""
    namespace_line = f"  namespace: {namespace}\n" if namespace else ""
    return (
        f"apiVersion: {api}\nkind: HorizontalPodAutoscaler\n"
        f"metadata:\n  name: {name}\n{namespace_line}"
        f"spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {target}}}\n{spec}"
    )


def test_web_hpa_example():
    inputs = read_manifests(MANIFESTS / "web-hpa.yaml")
    # minReplicas 3, maxReplicas 12, cpu averageUtilization 60 % -> 0.6; scaleUp fully stated;
    # scaleDown without selectPolicy -> Kubernetes' Max.
    assert inputs.hpa == {
        "min_replicas": 3,
        "max_replicas": 12,
        "target_utilization": 0.6,
        "scale_up": {
            "stabilization_window_s": 0,
            "select_policy": "Max",
            "policies": [("Pods", 2, 30), ("Percent", 50, 30)],
        },
        "scale_down": {
            "stabilization_window_s": 600,
            "select_policy": "Max",
            "policies": [("Pods", 1, 60)],
        },
    }
    assert inputs.scenario_values == {"instances": 3, "orchestrator": "kubernetes"}
    assert (
        "HorizontalPodAutoscaler 'web' of Deployment 'web': Kubernetes' defaults taken for "
        "behavior.scaleDown.selectPolicy Max."
    ) in inputs.notes
    assert (
        "HorizontalPodAutoscaler 'web' scales Deployment 'web' between 3 and 12 replicas at 60% "
        "CPU utilisation: reported in hpa, not a scenario input (instances stays 3)."
    ) in inputs.notes
    assert not any("ignored" in note for note in inputs.notes)


def test_hpa_v2_with_behavior(tmp_path):
    behavior = (
        "  behavior:\n"
        "    scaleUp:\n      stabilizationWindowSeconds: 30\n      selectPolicy: Min\n"
        "      policies:\n        - {type: Percent, value: 20, periodSeconds: 60}\n"
        "        - {type: Pods, value: 3, periodSeconds: 45}\n"
        "    scaleDown:\n      stabilizationWindowSeconds: 120\n      selectPolicy: Disabled\n"
        "      policies: [{type: Pods, value: 1, periodSeconds: 1800}]\n"
    )
    spec = "  minReplicas: 2\n  maxReplicas: 10\n" + CPU_70 + behavior
    inputs = read_manifests(write(tmp_path, deployment(), hpa(spec)))
    assert inputs.hpa == {
        "min_replicas": 2,
        "max_replicas": 10,
        "target_utilization": 0.7,
        "scale_up": {
            "stabilization_window_s": 30,
            "select_policy": "Min",
            "policies": [("Percent", 20, 60), ("Pods", 3, 45)],
        },
        "scale_down": {
            "stabilization_window_s": 120,
            "select_policy": "Disabled",
            "policies": [("Pods", 1, 1800)],
        },
    }
    # Everything stated: no defaults note.
    assert not any("defaults taken" in note and "Autoscaler" in note for note in inputs.notes)


def test_hpa_v2_without_behavior_takes_the_defaults(tmp_path):
    spec = "  maxReplicas: 5\n" + CPU_70  # no minReplicas: 1
    inputs = read_manifests(write(tmp_path, deployment(replicas=3), hpa(spec)))
    assert inputs.hpa == {
        "min_replicas": 1,
        "max_replicas": 5,
        "target_utilization": 0.7,
        "scale_up": DEFAULT_SCALE_UP,
        "scale_down": DEFAULT_SCALE_DOWN,
    }
    assert (
        "HorizontalPodAutoscaler 'web' of Deployment 'web': Kubernetes' defaults taken for "
        f"minReplicas 1, {DEFAULT_BEHAVIOR_TAKEN}."
    ) in inputs.notes


def test_hpa_partial_behavior_is_defaulted_field_by_field(tmp_path):
    # Kubernetes fills each unset field of a rule from the default (GenerateHPAScaleUpRules):
    # a scaleUp with only a window keeps the default policies and Max; no scaleDown at all.
    behavior = "  behavior:\n    scaleUp: {stabilizationWindowSeconds: 60}\n"
    spec = "  minReplicas: 2\n  maxReplicas: 10\n" + CPU_70 + behavior
    inputs = read_manifests(write(tmp_path, deployment(), hpa(spec)))
    assert inputs.hpa["scale_up"] == {**DEFAULT_SCALE_UP, "stabilization_window_s": 60}
    assert inputs.hpa["scale_down"] == DEFAULT_SCALE_DOWN
    assert (
        "HorizontalPodAutoscaler 'web' of Deployment 'web': Kubernetes' defaults taken for "
        "behavior.scaleUp.selectPolicy Max, behavior.scaleUp.policies (Percent 100 per 15 s, "
        "Pods 4 per 15 s), behavior.scaleDown (window 300 s; Percent 100 per 15 s; select Max)."
    ) in inputs.notes


def test_hpa_v1(tmp_path):
    spec = "  minReplicas: 2\n  maxReplicas: 6\n  targetCPUUtilizationPercentage: 75\n"
    inputs = read_manifests(write(tmp_path, deployment(), hpa(spec, api="autoscaling/v1")))
    # 75 % -> 0.75; v1 has no behavior: both directions take the defaults.
    assert inputs.hpa == {
        "min_replicas": 2,
        "max_replicas": 6,
        "target_utilization": 0.75,
        "scale_up": DEFAULT_SCALE_UP,
        "scale_down": DEFAULT_SCALE_DOWN,
    }
    assert (
        "HorizontalPodAutoscaler 'web' of Deployment 'web': Kubernetes' defaults taken for "
        f"{DEFAULT_BEHAVIOR_TAKEN}."
    ) in inputs.notes


def test_hpa_without_a_cpu_target_takes_80_percent(tmp_path):
    # autoscaling/v2 with no metrics and v1 with no targetCPUUtilizationPercentage: CPU 80 %.
    v2 = read_manifests(write(tmp_path, deployment(), hpa("  maxReplicas: 4\n"), name="v2.yaml"))
    v1 = hpa("  maxReplicas: 4\n", api="autoscaling/v1")
    v1 = read_manifests(write(tmp_path, deployment(), v1, name="v1.yaml"))
    assert v2.hpa["target_utilization"] == v1.hpa["target_utilization"] == 0.8
    assert any("metrics (CPU averageUtilization 80%)" in note for note in v2.notes)
    assert any("targetCPUUtilizationPercentage 80" in note for note in v1.notes)


def test_hpa_non_cpu_metric_is_noted(tmp_path):
    metrics = (
        "  metrics:\n    - type: Pods\n      pods:\n        metric: {name: requests_per_second}\n"
        "        target: {type: AverageValue, averageValue: '100'}\n"
    )
    spec = "  minReplicas: 2\n  maxReplicas: 10\n" + metrics
    path = write(tmp_path, deployment(), hpa(spec))
    inputs = read_manifests(path)
    assert "target_utilization" not in inputs.hpa
    assert inputs.hpa["min_replicas"] == 2 and inputs.hpa["max_replicas"] == 10
    assert (
        f"{path} (document 2): HorizontalPodAutoscaler 'web' metrics Pods 'requests_per_second' "
        "(AverageValue) are not modelled (haplan models one CPU Resource Utilization target): "
        "no target_utilization is given."
    ) in inputs.notes
    assert (
        "HorizontalPodAutoscaler 'web' scales Deployment 'web' between 2 and 10 replicas: "
        "reported in hpa, not a scenario input (instances stays 3)."
    ) in inputs.notes


def test_hpa_cpu_and_memory_metrics(tmp_path):
    memory = (
        "    - type: Resource\n      resource:\n        name: memory\n"
        "        target: {type: Utilization, averageUtilization: 80}\n"
    )
    spec = "  minReplicas: 2\n  maxReplicas: 10\n" + CPU_70 + memory
    inputs = read_manifests(write(tmp_path, deployment(), hpa(spec)))
    assert inputs.hpa["target_utilization"] == 0.7
    assert any(
        "metrics Resource 'memory' (Utilization) are not modelled" in note
        and "taking the largest recommendation" in note
        for note in inputs.notes
    )


def test_hpa_replicas_outside_its_bounds_are_noted(tmp_path):
    inputs = read_manifests(write(tmp_path, deployment(replicas=12), hpa()))
    # spec.replicas 12 > maxReplicas 10: the HPA scales to 10; the scenario keeps 12.
    assert inputs.scenario_values["instances"] == 12
    assert any("moves spec.replicas 12 to 10 at once" in note for note in inputs.notes)


def test_hpa_of_a_statefulset(tmp_path):
    inputs = read_manifests(write(tmp_path, statefulset(), hpa(kind="StatefulSet", target="db")))
    assert inputs.workload_kind == "StatefulSet"
    assert inputs.hpa["max_replicas"] == 10


def test_hpa_for_another_workload_is_noted_and_skipped(tmp_path):
    other = deployment(name="api", labels="app: api")
    path = write(tmp_path, deployment(), other, hpa(target="api", name="api-hpa"))
    inputs = read_manifests(path, workload="web")
    assert inputs.hpa == {}
    assert (
        f"{path} (document 3): HorizontalPodAutoscaler 'api-hpa' scales Deployment 'api', not "
        "the chosen workload: skipped."
    ) in inputs.notes
    assert read_manifests(path, workload="api").hpa["max_replicas"] == 10


def test_hpa_for_a_workload_not_in_the_files_is_noted(tmp_path):
    path = write(
        tmp_path,
        deployment(),
        hpa(target="ghost", name="ghost-hpa"),
        hpa(name="web-prod", namespace="prod"),  # same name, other namespace
    )
    inputs = read_manifests(path)
    assert inputs.hpa == {}
    assert (
        f"{path} (document 2): HorizontalPodAutoscaler 'ghost-hpa' scales Deployment 'ghost', "
        "which is not in the files given: skipped."
    ) in inputs.notes
    assert (
        f"{path} (document 3): HorizontalPodAutoscaler 'web-prod' scales Deployment 'web' in "
        "namespace 'prod', which is not in the files given: skipped."
    ) in inputs.notes


def test_hpa_beside_a_compose_service_is_noted(tmp_path):
    path = write(tmp_path, stack(None), name="stack.yml")
    other = write(tmp_path, hpa(), name="hpa.yaml")
    inputs = read_manifests([path, other])
    assert inputs.hpa == {}
    assert any("'web', which is not in the files given: skipped" in n for n in inputs.notes)


def test_hpa_does_not_change_the_scenario(tmp_path):
    plain = write(tmp_path, deployment(), name="plain.yaml")
    scaled = write(tmp_path, deployment(), hpa(), name="scaled.yaml")
    assert scenario_from_manifests(plain)[0] == scenario_from_manifests(scaled)[0]
    assert read_manifests(plain).hpa == {}


def test_manifest_inputs_hpa_defaults_to_empty():
    inputs = ManifestInputs({}, {}, {}, [], [], [], "w", "Deployment", "x.yaml")
    assert inputs.hpa == {}


def test_hpa_is_read_not_ignored():
    from haplan.manifests import IGNORED_KINDS, SUPPORTING_KINDS

    assert "HorizontalPodAutoscaler" in SUPPORTING_KINDS
    assert "HorizontalPodAutoscaler" not in IGNORED_KINDS


def test_error_two_hpas_for_one_workload(tmp_path):
    path = write(tmp_path, deployment(), hpa(name="a"), hpa(name="b"))
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == (
        f"{path} (document 1): Deployment 'web' is scaled by several HorizontalPodAutoscalers "
        f"(HorizontalPodAutoscaler 'a' ({path} (document 2)), HorizontalPodAutoscaler 'b' "
        f"({path} (document 3))); they would fight over its replicas, keep one"
    )


_HPA = "HorizontalPodAutoscaler 'web'"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "  minReplicas: 5\n  maxReplicas: 3\n",
            f"{_HPA} spec.minReplicas=5 is above spec.maxReplicas=3; lower minReplicas or "
            "raise maxReplicas",
        ),
        (
            "  minReplicas: 0\n  maxReplicas: 3\n",
            f"{_HPA} spec.minReplicas=0 is not valid; write a whole number >= 1",
        ),
        (
            "  maxReplicas: 0\n",
            f"{_HPA} spec.maxReplicas=0 is not valid; write a whole number >= 1",
        ),
        (
            "  minReplicas: 2\n",
            f"{_HPA} has no spec.maxReplicas; Kubernetes requires it, give the most replicas "
            "the HPA may create",
        ),
        (
            "  maxReplicas: 3\n  metrics:\n    - type: Resource\n      resource:\n"
            "        name: cpu\n        target: {type: Utilization, averageUtilization: 0}\n",
            f"{_HPA} spec.metrics[0].resource.target.averageUtilization=0 is not valid; write a "
            "whole number >= 1",
        ),
        (
            "  maxReplicas: 3\n  metrics: [{type: Custom}]\n",
            f"{_HPA} spec.metrics[0].type='Custom' is not valid; use Resource, Pods, Object, "
            "External or ContainerResource",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 4000}\n",
            f"{_HPA} spec.behavior.scaleDown.stabilizationWindowSeconds=4000 is above 3600; "
            "write a whole number from 0 to 3600",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleUp: {selectPolicy: Average}\n",
            f"{_HPA} spec.behavior.scaleUp.selectPolicy='Average' is not valid; use Max, Min "
            "or Disabled",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleUp:\n"
            "      policies: [{type: Replicas, value: 1, periodSeconds: 15}]\n",
            f"{_HPA} spec.behavior.scaleUp.policies[0].type='Replicas' is not valid; use Pods "
            "or Percent",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleUp:\n"
            "      policies: [{type: Pods, value: 0, periodSeconds: 15}]\n",
            f"{_HPA} spec.behavior.scaleUp.policies[0].value=0 is not valid; write a whole "
            "number >= 1",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleDown:\n"
            "      policies: [{type: Percent, value: 10, periodSeconds: 3600}]\n",
            f"{_HPA} spec.behavior.scaleDown.policies[0].periodSeconds=3600 is above 1800; "
            "write a whole number from 1 to 1800",
        ),
        (
            "  maxReplicas: 3\n  behavior:\n    scaleDown: {policies: []}\n",
            f"{_HPA} spec.behavior.scaleDown.policies is not a non-empty list; list at least "
            "one policy ('- {type: Pods, value: 4, periodSeconds: 15}') or leave the field out "
            "for Kubernetes' default",
        ),
    ],
)
def test_error_invalid_hpa(tmp_path, spec, message):
    path = write(tmp_path, deployment(), hpa(spec))
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == f"{path} (document 2): {message}"
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("api", "spec", "message"),
    [
        (
            "autoscaling/v2beta1",
            "  maxReplicas: 3\n",
            f"{_HPA} apiVersion='autoscaling/v2beta1' is not read; use autoscaling/v2 "
            "(or autoscaling/v1)",
        ),
        (
            "autoscaling/v1",
            "  maxReplicas: 3\n  targetCPUUtilizationPercentage: 0\n",
            f"{_HPA} spec.targetCPUUtilizationPercentage=0 is not valid; write a whole number >= 1",
        ),
    ],
)
def test_error_invalid_hpa_version(tmp_path, api, spec, message):
    path = write(tmp_path, deployment(), hpa(spec, api=api))
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == f"{path} (document 2): {message}"


def test_error_hpa_without_a_target(tmp_path):
    document = (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
        "spec: {maxReplicas: 3, scaleTargetRef: {kind: Deployment}}\n"
    )
    path = write(tmp_path, deployment(), document)
    with pytest.raises(ManifestError) as error:
        read_manifests(path)
    assert str(error.value) == (
        f"{path} (document 2): {_HPA} spec.scaleTargetRef needs a kind and a name; name the "
        "Deployment or StatefulSet it scales"
    )


def test_hpa_v1_behavior_is_not_read(tmp_path):
    spec = "  maxReplicas: 3\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 10}\n"
    path = write(tmp_path, deployment(), hpa(spec, api="autoscaling/v1"))
    inputs = read_manifests(path)
    assert inputs.hpa["scale_down"] == DEFAULT_SCALE_DOWN
    assert (
        f"{path} (document 2): {_HPA} spec.behavior is not a field of autoscaling/v1: ignored "
        "(write the HPA as autoscaling/v2 to use it)."
    ) in inputs.notes
