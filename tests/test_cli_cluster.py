"""``haplan report`` and ``haplan plan`` in cluster mode: node types, several workloads, exports.

Exact output for the issue's example and the shipped export; the numbers behind it are checked
against brute force and hand calculations in ``test_cluster.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from haplan.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
EXPORT = DATA / "clusters" / "shop-export.yaml"
THREE = DATA / "manifests" / "three-workloads"
EXAMPLE = (
    "-N", "9", "--set", "zones=3", "-P", "2000", "--set", "instance_capacity_rps=150",
    "--target-p99-ms", "200", "--target-availability", "99.95",
    "--pod-cpu", "500m", "--pod-memory", "1Gi",
)  # fmt: skip


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_the_issue_example_on_a_held_pool(capsys):
    # 2000 / 150 / 0.7 = 19.05 -> 20 pods carry the load; 23 keep 99.95 % once a node is lost.
    code, out, err = run(capsys, "plan", *EXAMPLE, "--node-type", "m6i.xlarge")
    assert (code, err) == (0, "")
    assert out == (
        "Cheapest cluster meeting every workload's targets and surviving the loss of any node:\n"
        "  9 × m6i.xlarge (3 per zone × 3): $1.73/h, $1,262.30/month; pods article-example 23\n"
        "  article-example: 23 pods (2–3 per node), SLO availability 99.999006 %, p99 73.05 ms, "
        "after losing a node: 23 run / 20 needed\n"
    )


def test_plan_over_node_types_is_priced_and_explains_cheaper_pools(capsys, tmp_path):
    csv = tmp_path / "candidates.csv"
    code, out, err = run(capsys, "plan", *EXAMPLE[2:], "--node-types", "--csv", csv)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1] == (
        "  9 × e2-standard-2 (3 per zone × 3): $0.60/h, $440.57/month; pods article-example 23"
    )
    table = pd.read_csv(csv)
    # every candidate, cheapest first; nodes a multiple of the 3 zones
    assert table["cost_per_hour_usd"].is_monotonic_increasing
    assert (table["nodes"] % 3 == 0).all() and len(table) == 12 * 10
    first = table.index[table["feasible"]][0]
    assert (table.loc[: first - 1, "reason"].str.len() > 0).all()
    assert table.loc[first, ["node_type", "nodes"]].tolist() == ["e2-standard-2", 9]
    assert table.loc[first, "cost_per_month_usd"] == pytest.approx(0.06701142 * 9 * 730.5)


def test_report_on_a_cluster_export(capsys, tmp_path):
    csv = tmp_path / "workloads.csv"
    code, out, err = run(capsys, "report", EXPORT, "--csv", csv)
    assert (code, err) == (0, "")
    assert out.splitlines()[:8] == [
        "FAIL: api: SLO availability 99.5037% < target 99.9500% (12 of its 12 pods must serve).",
        "Cluster: 9 nodes (9 × m6i.xlarge) over 3 zone(s) [us-east-1a 3, us-east-1b 3, "
        "us-east-1c 3]; $1.73/h, $1,262.30/month",
        "Workloads:",
        "  workload  pods  per node  pending  SLO availability  nines  target     p99 ms  "
        "p99 target  after losing a node  verdict",
        "  web       6     0–1       0        99.999616 %       5.42   99.9500 %  46.05   "
        "250         6 run, 5 needed      pass",
        "  api       12    1–2       0        99.504 %          2.3    99.9500 %  92.1    "
        "200         12 run, 12 needed    FAIL",
        "  cache     3     0–1       0        99.9999231 %      6.11   99.900 %   3.07    "
        "—           3 run, 2 needed      pass",
        "Nodes (free = allocatable − requests, DaemonSets included):",
    ]
    # nine workers (the control-plane node left out), each with its headroom
    assert sum(line.startswith("  ip-10-0-") for line in out.splitlines()) == 9
    assert "node 'ip-10-0-0-10.ec2.internal' left out: a control-plane" in out
    table = pd.read_csv(csv)
    assert table["workload"].tolist() == ["web", "api", "cache"]
    assert table["instances"].tolist() == [6, 12, 3]
    assert table["slo_met"].tolist() == [True, False, True]


def test_report_json_and_check(capsys):
    code, out, _ = run(capsys, "report", EXPORT, "--format", "json", "--check")
    assert code == 1  # --check: api misses its target
    document = json.loads(out)
    assert document["ok"] is False
    assert document["nodes_per_zone"] == {"us-east-1a": 3, "us-east-1b": 3, "us-east-1c": 3}
    assert [w["workload"] for w in document["workloads"]] == ["web", "api", "cache"]
    assert len(document["nodes"]) == 9
    requests = {"web": 0.25, "api": 0.5, "cache": 1.0}  # cores, from the export
    for node in document["nodes"]:  # 3.92 allocatable − 0.125 of DaemonSets − the pods'
        used = sum(node[f"pods_{name}"] * cpu for name, cpu in requests.items())
        assert node["cpu_free"] == pytest.approx(3.92 - 0.125 - used, abs=1e-12)
    assert sum(node["pods_api"] for node in document["nodes"]) == 12


def test_plan_three_workloads_from_a_manifest_directory(capsys):
    code, out, err = run(
        capsys, "plan", THREE, "--set", "zones=3", "--node-types", "--planned-failure", "zone"
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[:2] == [
        "Cheapest cluster meeting every workload's targets and surviving the loss of any zone:",
        "  9 × e2-standard-2 (3 per zone × 3): $0.60/h, $440.57/month; pods api 14, cache 3, web 6",
    ]


def test_plan_on_an_export_compares_with_today(capsys):
    code, out, _ = run(capsys, "plan", EXPORT, "-N", "9", "--node-type", "m6i.xlarge")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Today: 9 nodes (9 × m6i.xlarge)")
    assert lines[1].startswith("  FAIL: api:")
    assert lines[3].endswith("pods web 6, api 14, cache 3")


def test_report_pod_larger_than_any_node(capsys):
    code, out, _ = run(capsys, "report", "--node-type", "m6i.large", "-N", "3", "--pod-cpu", "8")
    assert code == 0
    assert out.splitlines()[0] == (
        "FAIL: article-example: 3 of 3 pods do not fit (the nodes hold 0 of them; an even "
        "spread needs 1 per node)."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("plan", "--node-type", "nope"),
            "haplan: error: --node-type 'nope' is not in the node types file; known: ",
        ),
        (
            ("plan", "--node-types", "/nonexistent/types.csv"),
            "haplan: error: node types file '/nonexistent/types.csv' does not exist\n",
        ),
        (
            ("plan", "--node-types", "-R", "1:3"),
            "haplan: error: plan over node types searches total pods: give --instances "
            "(e.g. --instances 6:30), not -R\n",
        ),
        (
            ("report", "--pod-cpu", "500m"),
            "haplan: error: a cluster report needs nodes: give a cluster export with Nodes, or "
            "--node-type NAME with -N NODES (and --set zones=Z)\n",
        ),
        (
            ("plan", "--node-types", "--pod-cpu", "lots"),
            "haplan: error: --pod-cpu: ",
        ),
    ],
)
def test_cluster_mode_errors_are_one_line(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_an_export_without_workloads_is_refused(capsys, tmp_path):
    # a cluster is judged by its workloads: none exported is an error, not the default scenario
    text = EXPORT.read_text(encoding="utf-8")
    nodes_only = tmp_path / "nodes.yaml"
    document = yaml.safe_load(text)
    document["items"] = [i for i in document["items"] if i["kind"] == "Node"]
    nodes_only.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out, err = run(capsys, "report", nodes_only)
    assert (code, out) == (2, "")
    assert "no Deployment, StatefulSet or compose service found" in err and err.count("\n") == 1


def test_cordoned_nodes_take_no_pods(capsys, tmp_path):
    document = yaml.safe_load(EXPORT.read_text(encoding="utf-8"))
    workers = [i for i in document["items"] if i["kind"] == "Node"][1:]
    workers[0]["spec"]["unschedulable"] = True  # kubectl cordon
    cordoned = tmp_path / "cordoned.yaml"
    cordoned.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out, _ = run(capsys, "report", cordoned)
    assert code == 0
    assert "Cluster: 8 nodes (8 × m6i.xlarge)" in out
    assert f"node '{workers[0]['metadata']['name']}' left out" in out


def test_report_zones_come_from_the_command_line(capsys):
    args = ("report", THREE, "--node-type", "m6i.large", "-N", "9")
    code, out, _ = run(capsys, *args, "--set", "zones=3")
    assert code == 0
    assert "over 3 zone(s) [zone-a 3, zone-b 3, zone-c 3]" in out.splitlines()[1]
    code, out, err = run(capsys, *args, "--set", "zones=4")
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: nodes=9 over zones=4: a zonal node pool has the same")


def test_one_workload_of_an_export_is_judged_beside_the_others(capsys):
    code, out, _ = run(capsys, "report", EXPORT, "--workload", "api")
    assert code == 0
    lines = out.splitlines()
    assert lines[3].split()[0] == "workload" and lines[4].split()[:2] == ["api", "12"]
    assert lines[5] == "Nodes (free = allocatable − requests, DaemonSets included):"
    # web and cache still hold their requests: 3.92 − 0.125 − 1 (cache) − 0.5 (api) on node 1
    assert "2.29 of 3.92" in lines[7]


def test_plan_refuses_a_zone_failure_in_one_zone(capsys):
    code, out, err = run(capsys, "plan", THREE, "--node-types", "--planned-failure", "zone")
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: planned_failure='zone' needs zones >= 2 (got zones=1)")


def test_plan_says_why_one_node_never_survives_and_warns_only_when_it_should(capsys):
    manifest = DATA / "manifests" / "api-rolling-update.yaml"
    code, out, _ = run(capsys, "plan", manifest, "--node-types", "--target-availability", "99.9")
    assert code == 0
    assert "1 × e2-standard-2: $0.07/h, $48.95/month: losing the only node stops every pod" in out
    assert "Warning" not in out  # no pod range cut a cheaper pool short


def test_plan_on_an_export_searches_its_provider_and_needs_targets(capsys):
    code, out, _ = run(capsys, "plan", EXPORT)
    assert code == 0
    lines = out.splitlines()
    assert lines[2].startswith("Node types searched: the aws ones of the table")
    assert lines[4].startswith("  9 × m7g.large (3 per zone × 3)")
    code, out, err = run(
        capsys, "plan", DATA / "manifests" / "etcd-statefulset.yaml", "--node-types"
    )
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: plan needs a target for every workload; etcd has none")


TAINTED = Path(__file__).resolve().parent / "data" / "shop-tainted-export.yaml"


def test_report_on_an_export_with_a_tainted_node_pool(capsys):
    """shop-export plus two m6i.2xlarge nodes tainted dedicated=batch:NoSchedule and a
    Deployment (reports) that tolerates them: web, api and cache keep their nine nodes and
    their figures of the untainted export; reports uses all eleven."""
    code, out, err = run(capsys, "report", TAINTED)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    _, untainted, _ = run(capsys, "report", EXPORT)
    same = untainted.splitlines()
    assert lines[:9] == [
        same[0],
        "Cluster: 11 nodes (9 × m6i.xlarge, 2 × m6i.2xlarge) over 3 zone(s) [us-east-1a 4, "
        "us-east-1b 4, us-east-1c 3]; $2.50/h, $1,823.33/month",
        *same[2:7],  # the header, web, api and cache as on the untainted export
        "  reports   4     0–1       0        99.999846 %       5.81   99.900 %   460.5   "
        "—           4 run, 3 needed      pass",
        same[7],
    ]
    # the batch nodes hold reports only; their DaemonSet is aws-node alone (25m of 7.91)
    batch = [line for line in lines if line.startswith(("  ip-10-0-1-40", "  ip-10-0-2-41"))]
    assert [line.split()[2:6] for line in batch] == [["reports:1", "4.88", "of", "7.91"]] * 2
    assert (
        "  - 2 DaemonSet(s) on the nodes whose taints they tolerate, at most 0.125 cores, 0.188 "
        "GiB and 2 pod(s) per node: 'fluent-bit' not on 2 of the 11 nodes (it does not tolerate "
        "dedicated=batch:NoSchedule)."
    ) in lines
    assert lines[-1] == (
        "  - web, api, cache: their pods may use 9 of the 11 nodes (3 zone(s)), the service "
        "model's nodes for them; they do not tolerate dedicated=batch:NoSchedule on 2 nodes."
    )


def test_report_when_no_node_tolerates_a_workload(capsys, tmp_path):
    document = yaml.safe_load(TAINTED.read_text(encoding="utf-8"))
    for item in document["items"]:  # every worker under maintenance
        if item["kind"] == "Node":
            item["spec"].setdefault("taints", []).append(
                {"key": "maintenance", "effect": "NoExecute"}
            )
    tainted = tmp_path / "maintenance.yaml"
    tainted.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out, _ = run(capsys, "report", tainted, "--workload", "reports")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "FAIL: reports: 4 of 4 pods do not fit (no node tolerates its taints: "
        "maintenance:NoExecute on 11 nodes)."
    )
    assert lines[-1] == (
        "  - reports: its 4 pods find no node: every node has a taint it does not tolerate; "
        "they stay Pending."
    )


def test_a_malformed_taint_is_a_one_line_error(capsys, tmp_path):
    document = yaml.safe_load(TAINTED.read_text(encoding="utf-8"))
    document["items"][1]["spec"]["taints"] = [{"key": "x", "effect": "Sometimes"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out, err = run(capsys, "report", bad)
    assert (code, out) == (2, "")
    assert err == (
        f"haplan: error: {bad} (document 1.2): Node 'ip-10-0-1-20.ec2.internal': "
        "spec.taints[0].effect='Sometimes' is not valid; write one of NoSchedule, "
        "PreferNoSchedule, NoExecute\n"
    )


def test_a_daemonset_flag_on_an_export_replaces_only_its_own_figure(capsys):
    # --daemonset-pods 3 sets every node's DaemonSet pods; the CPU and memory DaemonSets take
    # stay per node (fluent-bit does not run on the two tainted nodes, aws-node does)
    _, before, _ = run(capsys, "report", TAINTED)
    code, after, err = run(capsys, "report", TAINTED, "--daemonset-pods", "3")
    assert (code, err) == (0, "")
    row = {line.split()[0]: line for line in before.splitlines() if "ip-10-0-" in line}
    changed = {line.split()[0]: line for line in after.splitlines() if "ip-10-0-" in line}
    assert row["ip-10-0-1-40.ec2.internal"].endswith("56 of 58")
    assert changed["ip-10-0-1-40.ec2.internal"] == (
        row["ip-10-0-1-40.ec2.internal"].removesuffix("56 of 58") + "54 of 58"
    )
