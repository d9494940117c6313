"""The haplan CLI, driven in-process; json and csv outputs compared exactly."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from haplan.cli import main
from haplan.export import csv_columns
from haplan.scenario import INPUT_NAMES

ROOT = Path(__file__).resolve().parents[1]
WEB_ZONAL = ROOT / "data" / "manifests" / "web-zonal.yaml"

VERDICT_FIELDS = ("name", "value", "target", "unit", "passed", "margin", "message")

DEFAULT_INPUTS = {
    "nodes": 3,
    "replicas": 1.0,
    "instances": 3,
    "request_rate_rps": 100.0,
    "recovery_speed_s": 30.0,
    "min_instances": 1,
    "instance_capacity_rps": 100.0,
    "max_utilization": 0.7,
    "node_mttf_h": 718.2,
    "node_mttr_h": 0.2641,
    "instance_mttf_h": 720.0,
    "instance_mttr_h": 0.1,
    "zones": 1,
    "zone_mttf_h": "inf",
    "zone_mttr_h": 6.0,
    "repair_crews": None,
    "orchestrator": "kubernetes",
    "balancer": "random",
    "reschedule": False,
    "max_instances_per_node": "inf",
    "rollouts_per_week": 0.0,
    "upgrades_per_year": 0.0,
    "target_availability": None,
    "target_p99_ms": None,
    "target_recovery_s": None,
}


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_report_json_inputs_exact(capsys):
    code, out, err = run(capsys, "report", "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["inputs"] == DEFAULT_INPUTS
    # the default scenario gives C; the article's R = C / N follows from it
    assert document["input_sources"] == dict.fromkeys(INPUT_NAMES, "default") | {
        "replicas": "derived: C / N"
    }
    assert list(document) == ["verdict", "slo", "inputs", "metrics", "input_sources", "disruptions"]


def test_report_json_article_metrics_exact(capsys):
    # N = 4, R = 2, P = 80, S = 10: C = 8, L = 4/2 x 80 = 160, T = 4/2 x 10 = 20,
    # per node 80/4 = 20, per instance 80/8 = 10, utilisation 10/100 = 0.1.
    code, out, _ = run(
        capsys, "report", "-N", "4", "-R", "2", "-P", "80", "-S", "10", "--format", "json"
    )
    assert code == 0
    metrics = json.loads(out)["metrics"]
    expected = {
        "doc_total_containers": 8.0,
        "doc_balancer_load_rps": 160.0,
        "doc_recovery_time_s": 20.0,
        "per_node_load_rps": 20.0,
        "per_instance_load_rps": 10.0,
        "utilization": 0.1,
    }
    assert {k: metrics[k] for k in expected} == expected


def test_report_csv_exact(capsys, tmp_path):
    path = tmp_path / "out.csv"
    code, _, err = run(
        capsys, "report", "-N", "4", "-R", "2", "-P", "80", "-S", "10", "--csv", str(path)
    )
    assert (code, err) == (0, "")
    header, row, *rest = path.read_text().split("\n")
    assert rest == [""]
    columns = header.split(",")
    values = dict(zip(columns, row.split(","), strict=True))
    assert columns[:3] == ["nodes", "replicas", "instances"]
    assert values["doc_total_containers"] == "8.0"
    assert values["doc_balancer_load_rps"] == "160.0"
    assert values["doc_recovery_time_s"] == "20.0"
    assert values["zone_mttf_h"] == "inf"
    assert values["repair_crews"] == ""
    assert values["orchestrator"] == "kubernetes"
    assert not list(tmp_path.glob(".*.tmp"))


def test_report_text_names_scenario_and_formulas(capsys):
    code, out, _ = run(capsys, "report")
    assert code == 0
    assert out.startswith("haplan report — article-example\n")
    assert (
        "│ doc_balancer_load_rps │ L = N / R × P, 'load of the load balancer' │   300 │ req/s │"
        in out
    )


def test_report_markdown(capsys):
    code, out, _ = run(capsys, "report", "--format", "markdown", "--instances", "6")
    assert code == 0
    assert out.startswith("# haplan report — article-example\n")
    assert "| `doc_total_containers` | C = N × R, total container instances | 6 | count |" in out


def test_report_reads_toml(capsys, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("nodes = 6\nreplicas = 2\n")
    code, out, _ = run(capsys, "report", str(path), "--format", "json")
    assert code == 0
    assert json.loads(out)["inputs"]["instances"] == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "-N", "0"], "nodes=0 is out of range: must be a whole number >= 1"),
        (["report", "-R", "-1"], "replicas=-1 is out of range: must be a number > 0"),
        (
            ["report", "-N", "x"],
            "nodes='x' is not valid: give a number, a list V1,V2 or a range START:STOP[:STEP]",
        ),
        (["report", "missing.toml"], "scenario file 'missing.toml' does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, args, message):
    path = tmp_path / "never.csv"
    code, out, err = run(capsys, *args, "--csv", str(path))
    assert (code, out, err) == (2, "", f"haplan: error: {message}\n")
    assert not path.exists()


@pytest.mark.parametrize("args", [["report", "--bogus"], ["report", "--format", "pdf"]])
def test_usage_errors_are_one_line_naming_the_flag(capsys, args):
    # click words these differently across versions; the one line must name what was wrong.
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: ") and err.count("\n") == 1
    assert args[-1] in err


def test_csv_into_missing_directory_is_an_error(capsys, tmp_path):
    code, out, err = run(capsys, "report", "--csv", str(tmp_path / "no" / "x.csv"))
    assert code == 2
    assert "does not exist" in err and out == ""


def test_help_and_version(capsys):
    assert run(capsys, "--help")[0] == 0
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "0.1.0" in out


def test_sweep_csv_to_stdout_matches_the_api_exactly(capsys):
    from haplan.scenario import Scenario
    from haplan.sweeps import sweep

    code, out, err = run(capsys, "sweep", "-N", "3:5", "-R", "1,2", "-P", "100,1000", "-S", "30")
    assert (code, err) == (0, "")
    expected = (
        sweep(
            base=Scenario.default(),
            nodes=[3, 4, 5],
            replicas=[1.0, 2.0],
            request_rate_rps=[100.0, 1000.0],
            recovery_speed_s=[30.0],
        )
        .pipe(csv_columns)
        .to_csv(index=False, lineterminator="\n")
    )
    assert out == expected
    assert out.count("\n") == 1 + 12


def test_sweep_writes_csv_and_says_so(capsys, tmp_path):
    path = tmp_path / "grid.csv"
    code, out, _ = run(
        capsys, "sweep", "-N", "3:4", "--set", "min_instances=1:2", "--csv", str(path)
    )
    assert code == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 5
    assert out == f"wrote 4 scenarios x {len(lines[0].split(','))} columns to {path}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sweep", "-N", "5:3"],
            "nodes='5:3' is not valid: give a number, a list V1,V2 or a range START:STOP[:STEP]",
        ),
        (
            ["sweep", "--set", "zones"],
            "--set 'zones' is not valid: use NAME=VALUE, e.g. node_mttf_h=8760",
        ),
        (
            ["sweep", "--set", "zones="],
            "zones= has no value: give NAME=VALUE, e.g. node_mttf_h=8760",
        ),
        (
            ["sweep", "--set", "colour=1,2"],
            "sweep axis 'colour' is not an input: valid names are " + ", ".join(INPUT_NAMES),
        ),
        (  # one value: an override of the base scenario, which names the stages too
            ["sweep", "--set", "colour=1"],
            "unknown scenario input 'colour': valid names are "
            + ", ".join(INPUT_NAMES)
            + ", or a recovery pipeline field (e.g. eviction_s)",
        ),
        (
            ["sweep", "--set", "reschedule=maybe"],
            "reschedule='maybe' is not valid: must be true or false",
        ),
    ],
)
def test_sweep_errors_are_one_line(capsys, args, message):
    assert run(capsys, *args) == (2, "", f"haplan: error: {message}\n")


def test_plan_prints_the_answer_runners_up_and_rejects_exactly(capsys):
    from haplan.planner import plan
    from haplan.report import render_plan
    from haplan.scenario import Scenario

    args = ("plan", "--target-availability", "99.9", "-P", "300", "-N", "2:4", "-R", "1:2")
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    base = Scenario.default().with_overrides(request_rate_rps=300.0, target_availability=0.999)
    expected = plan(0.999, 300.0, search={"nodes": [2, 3, 4], "replicas": [1.0, 2.0]}, base=base)
    assert out == render_plan(expected)
    lines = out.splitlines()
    assert lines[0] == "Cheapest cluster meeting 99.9 % availability:"
    assert lines[1].startswith("  8 instances on 4 nodes (2 per node), cost 4, SLO nines ")
    # 3 x 2 carries 300 req/s with all nodes up (50 % busy) but not with one node down:
    # it needs 300 / (100 x 0.7) -> 5 instances and a node holds 2 of the 6.
    assert lines[-5:] == [
        "  2 on 2 nodes (cost 2): utilisation 150% > ceiling 70%",
        "  4 on 2 nodes (cost 2): utilisation 75% > ceiling 70%",
        "  3 on 3 nodes (cost 3): utilisation 100% > ceiling 70%",
        "  6 on 3 nodes (cost 3): availability 99.8897% < target 99.9%",
        "  4 on 4 nodes (cost 4): utilisation 75% > ceiling 70%",
    ]


def test_plan_target_must_be_a_percentage(capsys):
    assert run(capsys, "plan", "--target-availability", "0", "-P", "10") == (
        2,
        "",
        "haplan: error: --target-availability=0 is out of range: must be a percentage in "
        "[1, 100), e.g. 99.95 (or --set target_availability=0.9995 as a fraction)\n",
    )


def test_plan_needs_an_availability_target(capsys):
    assert run(capsys, "plan", "-P", "10") == (
        2,
        "",
        "haplan: error: plan needs an availability target: give --target-availability PERCENT "
        "(e.g. 99.99) or target_availability in the scenario\n",
    )


def test_plan_takes_its_targets_from_the_scenario_and_the_target_flags(capsys, tmp_path):
    from haplan.planner import plan
    from haplan.report import render_plan
    from haplan.scenario import Scenario

    toml = tmp_path / "s.toml"
    toml.write_text("target_availability = 0.999\nrequest_rate_rps = 300\n")
    search = {"nodes": [2, 3, 4], "replicas": [1.0, 2.0]}
    code, out, err = run(capsys, "plan", toml, "-N", "2:4", "-R", "1:2")
    assert (code, err) == (0, "")
    assert out == render_plan(plan(0.999, 300.0, search=search, base=Scenario.from_toml(toml)))
    # The p99 and recovery ceilings: --target-p99-ms and --target-recovery-s.
    args = ("plan", toml, "-N", "2:4", "-R", "1:2", "--target-p99-ms", "50")
    code, out, err = run(capsys, *args, "--target-recovery-s", "600")
    assert (code, err) == (0, "")
    base = Scenario.from_toml(toml).with_overrides(target_p99_ms=50.0, target_recovery_s=600.0)
    expected = plan(
        0.999, 300.0, max_p99_response_ms=50.0, max_recovery_s=600.0, search=search, base=base
    )
    assert out == render_plan(expected)
    assert out.splitlines() == [
        "No candidate in the search grid meets 99.9 % availability.",
        "Candidates and why they fail:",
        "  2 on 2 nodes (cost 2): utilisation 150% > ceiling 70%",
        "  4 on 2 nodes (cost 2): utilisation 75% > ceiling 70%",
        "  3 on 3 nodes (cost 3): utilisation 100% > ceiling 70%",
        "  6 on 3 nodes (cost 3): availability 99.8897% < target 99.9%",
        "  4 on 4 nodes (cost 4): utilisation 75% > ceiling 70%",
        "  8 on 4 nodes (cost 4): p99 73.68 ms > 50 ms",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--target", "99.9"],
        ["plan", "--target-availability", "99.9", "--max-p99-ms", "100"],
        ["plan", "--target-availability", "99.9", "--max-recovery-s", "600"],
        ["report", "--target", "99.9"],
    ],
)
def test_the_old_target_flags_are_gone(capsys, args):
    # click words "no such option" differently across versions: one line naming the flag.
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: ") and err.count("\n") == 1
    flag = re.escape(args[-2])
    assert "No such option" in err and re.search(rf"(?<![\w-]){flag}(?![\w-])", err)


@pytest.mark.parametrize(
    ("setting", "name", "expected"),
    [
        ("min_instances=2", "min_instances", 2),
        ("nodes=5", "nodes", 5),
        ("orchestrator=swarm", "orchestrator", "swarm"),
        ("request_rate_rps=500", "request_rate_rps", 500),
        ("eviction_s=30", "orchestrator", "kubernetes (tuned)"),
        ("reschedule=true", "reschedule", True),
    ],
)
def test_set_overrides_any_input(capsys, setting, name, expected):
    code, out, _ = run(capsys, "report", "--set", setting, "--format", "json")
    assert code == 0
    assert json.loads(out)["inputs"][name] == expected


def test_flags_win_over_set(capsys):
    for args in (("--set", "nodes=5", "-N", "4"), ("-N", "4", "--set", "nodes=5")):
        code, out, err = run(capsys, "report", *args, "--format", "json")
        assert (code, err) == (0, "")
        document = json.loads(out)
        assert document["inputs"]["nodes"] == 4
        assert document["input_sources"]["nodes"] == "command line"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "foo=1"], "unknown scenario input 'foo'"),
        (["--set", "min_instances=9"], "min_instances=9 is out of range: must be <= instances (3)"),
        (["-N", "3", "-R", "1", "--instances", "4"], "disagree"),
        (["--set", "eviction_s=-1"], "eviction_s"),
    ],
)
def test_bad_settings_are_one_line(capsys, args, message):
    code, out, err = run(capsys, "report", *args)
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: ") and err.count("\n") == 1 and message in err


def test_failed_report_writes_no_csv(capsys, tmp_path):
    csv = tmp_path / "c.csv"
    code, _, err = run(
        capsys,
        "report",
        "--csv",
        str(csv),
        "--format",
        "html",
        "--out",
        str(tmp_path / "no" / "r.html"),
    )
    assert code == 2 and "its directory does not exist" in err
    assert not csv.exists()


def test_report_json_equals_the_metrics_row_exactly(capsys):
    # The whole document, not a sample: every input and metric of the API's row, JSON-safe.
    from haplan import metrics, service
    from haplan.analysis import SLO_NAMES, planned_disruptions
    from haplan.report import json_value, timeline_json
    from haplan.scenario import Scenario

    code, out, _ = run(
        capsys, "report", "-N", "5", "--instances", "7", "-k", "3", "--format", "json"
    )
    assert code == 0
    row = metrics(Scenario.default().with_overrides(nodes=5, instances=7, min_instances=3)).iloc[0]
    expected = {
        "verdict": [
            {f: json_value(getattr(v, f)) for f in VERDICT_FIELDS} for v in service.verdict(row)
        ],
        "slo": {name: json_value(row[name]) for name in SLO_NAMES},
        "inputs": {name: json_value(row[name]) for name in INPUT_NAMES},
        "metrics": {name: json_value(row[name]) for name in row.index if name not in INPUT_NAMES},
        "input_sources": dict.fromkeys(INPUT_NAMES, "default")
        | dict.fromkeys(("nodes", "instances", "min_instances"), "command line")
        | {"replicas": "derived: C / N"},
        "disruptions": [timeline_json(t) for t in planned_disruptions(Scenario.from_row(row))],
    }
    document = json.loads(out)
    assert document == expected
    assert list(document) == list(expected)
    assert list(document["slo"]) == list(SLO_NAMES)
    assert document["slo"]["error_budget_min_per_30d"] is None  # no target, no budget


def test_report_csv_equals_the_metrics_row_exactly(capsys, tmp_path):
    from haplan import metrics
    from haplan.scenario import Scenario

    path = tmp_path / "row.csv"
    assert run(capsys, "report", "-N", "4", "-R", "2", "--csv", str(path))[0] == 0
    row = metrics(Scenario.default().with_overrides(nodes=4, replicas=2))
    expected = csv_columns(row.astype(object)).to_csv(index=False, lineterminator="\n")
    assert "utilization_fraction" in expected.splitlines()[0].split(",")  # the unit in the name
    assert path.read_text() == expected


SIM_ARGS = ("-N", "5", "--instances", "5", "-k", "3", "--set", "node_mttf_h=100")
SIM_ARGS += ("--set", "node_mttr_h=10", "--set", "instance_mttf_h=inf")


def test_simulate_prints_the_comparison_exactly(capsys):
    from haplan import simulate
    from haplan.report import render_simulation_text
    from haplan.scenario import Scenario

    code, out, err = run(
        capsys, "simulate", *SIM_ARGS, "--horizon-h", "500", "--replications", "20", "--seed", "7"
    )
    assert (code, err) == (0, "")
    scenario = Scenario.default().with_overrides(
        nodes=5, instances=5, min_instances=3, node_mttf_h=100, node_mttr_h=10,
        instance_mttf_h=float("inf"),
    )  # fmt: skip
    table = simulate.compare_with_analytic(scenario, 500.0, 20, seed=7)
    assert out == render_simulation_text(table, 500.0, 20, 7)
    assert "service_unavailability" in out and "No outage was simulated" not in out


def test_simulate_json_and_same_seed_same_numbers(capsys):
    args = ("simulate", *SIM_ARGS, "--horizon-h", "300", "--replications", "10", "--format", "json")
    first = run(capsys, *args)
    second = run(capsys, *args)
    assert first == second and first[0] == 0
    document = json.loads(first[1])
    assert set(document) == {
        "slo_unavailability",
        "service_unavailability",
        "capacity_unavailability",
        "outage_frequency_per_year",
        "mean_outage_duration_min",
    }
    assert 0 < document["service_unavailability"]["simulated"] < 1


def test_simulate_says_when_nothing_happened(capsys):
    code, out, _ = run(capsys, "simulate", "--horizon-h", "1", "--replications", "2")
    assert code == 0
    assert "No outage was simulated: lengthen --horizon-h or add --replications" in out


def test_simulate_tells_capacity_shortfalls_from_outages(capsys):
    # 150 req/s needs all 3 instances under the 70 % ceiling: one instance down is a capacity
    # shortfall, while an outage (no instance up) is too rare to be simulated in this run.
    code, out, _ = run(
        capsys, "simulate", "-P", "150", "--horizon-h", "2000", "--replications", "4"
    )
    assert code == 0
    text = " ".join(out.split())
    assert "No outage was simulated" not in text
    assert (
        "No service outage (fewer than min_instances up) was simulated, but capacity "
        "shortfalls were" in text
    )


def test_report_says_over_the_ceiling_not_overloaded(capsys):
    code, out, _ = run(capsys, "report", "-P", "250")  # 83 % utilisation: over 70 %, not 100 %
    assert code == 0
    text = " ".join(out.split())
    assert "-1 failures tolerated means the cluster is above that ceiling" in text
    assert "overloaded with every node up" not in text


def test_report_with_simulation_section(capsys):
    code, out, _ = run(capsys, "report", *SIM_ARGS, "--simulate", "5", "--format", "markdown")
    assert code == 0
    assert "## Monte Carlo cross-check" in out and "Monte Carlo: 5 replications x 8766 h" in out


def test_simulate_rejects_bad_replications(capsys):
    code, out, err = run(capsys, "simulate", "--replications", "1")
    assert (code, out) == (2, "")
    assert err.startswith("haplan: error: replications=1")


def test_every_command_has_help(capsys):
    from haplan.cli import cli

    # The scenario commands share their options (below); fit reads a failure history.
    assert set(cli.commands) == {
        "report",
        "sweep",
        "plan",
        "simulate",
        "whatif",
        "autoscale",
        "fit",
    }
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), name
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and out.startswith(f"Usage: haplan {name} "), name
        for parameter in command.params:
            if isinstance(parameter, click.Option) and parameter.name not in ("help",):
                assert parameter.help or parameter.show_default, (name, parameter.name)


# -- the SLO headline and the verdict ---------------------------------------------------------

# 6 pods of 150 req/s at 2,000 req/s: overloaded (it needs 14 to be stable, 20 under 70 %).
OVERLOADED = ("--instances", "6", "--set", "instance_capacity_rps=150")
OVERLOADED += ("--set", "request_rate_rps=2000")
TARGETS = ("--target-availability", "99.95", "--target-p99-ms", "200")
HEADLINE_OVERLOADED = (
    "SLO availability 0.00 % (0 nines, 43,200 min down per 30 days) — 6 instances cannot "
    "carry 2,000 req/s under 70% utilisation: 20 are needed"
)
FAIL_AVAILABILITY = (
    "availability 0.00 % misses the 99.950 % target: 43,178 min per 30 days over budget"
)
FAIL_P99 = (
    "p99 ∞ ms: the service is overloaded at 2,000 req/s — it needs at least 14 instances to "
    "be stable, 20 to stay under 70% utilisation"
)


def test_text_report_leads_with_the_failing_verdict(capsys):
    code, out, err = run(capsys, "report", *OVERLOADED, *TARGETS)
    assert (code, err) == (0, "")  # a report exits 0 whatever its verdict
    assert [line.rstrip() for line in out.splitlines()[:6]] == [
        "haplan report — article-example",
        "Verdict",
        f"  {HEADLINE_OVERLOADED}",
        f"  FAIL  {FAIL_AVAILABILITY}",
        f"  FAIL  {FAIL_P99}",
        "SLO headline (load-aware)",
    ]
    assert out.index("SLO headline (load-aware)") < out.index("Inputs")
    assert "│ slo_nines " in out and "│ error_budget_min_per_30d " in out
    assert "│ service_model " in out and "exact: placement" in out


def test_text_report_without_targets_says_how_to_set_them(capsys):
    code, out, _ = run(capsys, "report")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "Verdict"
    assert lines[2].startswith("  SLO availability 99.99992")
    assert lines[3].startswith("  No target set: give --target-availability")
    assert "error_budget_min_per_30d" not in out and "p99_margin_ms" not in out


def test_markdown_report_leads_with_the_verdict(capsys):
    code, out, _ = run(capsys, "report", *OVERLOADED, *TARGETS, "--format", "markdown")
    assert code == 0
    assert out.split("\n")[:8] == [
        "# haplan report — article-example",
        "",
        "## Verdict",
        "",
        f"- {HEADLINE_OVERLOADED}",
        f"- **FAIL** {FAIL_AVAILABILITY}",
        f"- **FAIL** {FAIL_P99}",
        "",
    ]
    assert out.index("## SLO headline (load-aware)") < out.index("## Inputs")
    assert "| `error_budget_min_per_30d` | error budget per 30 days | 21.6 | min/30 d |" in out
    assert "| `service_model` | model | exact: placement convolution | — |" in out


def test_json_report_leads_with_the_verdict_and_the_slo(capsys):
    code, out, _ = run(capsys, "report", *OVERLOADED, *TARGETS, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert list(document) == [
        "verdict",
        "slo",
        "inputs",
        "metrics",
        "input_sources",
        "plan",
        "disruptions",
    ]
    assert [(v["name"], v["passed"], v["message"]) for v in document["verdict"]] == [
        ("headline", False, HEADLINE_OVERLOADED),
        ("availability", False, FAIL_AVAILABILITY),
        ("p99", False, FAIL_P99),
    ]
    p99 = document["verdict"][2]
    assert (p99["value"], p99["target"], p99["unit"], p99["margin"]) == ("inf", 200.0, "ms", "-inf")
    slo = document["slo"]
    assert (slo["slo_unavailability"], slo["slo_nines"], slo["slo_met"]) == (1.0, 0.0, False)
    assert slo["error_budget_min_per_30d"] == pytest.approx(21.6, rel=1e-12)
    assert slo["service_model"] == "exact: placement convolution"
    assert document["inputs"]["target_availability"] == 0.9995  # 99.95 % as a fraction


def test_passing_targets_and_check(capsys):
    args = ("report", "--target-availability", "99.9", "--target-recovery-s", "600")
    code, out, _ = run(capsys, *args, "--check")
    assert code == 0
    lines = out.splitlines()
    assert lines[3].startswith("  PASS  availability 99.99992")
    assert lines[3].endswith("per 30 days to spare")
    assert lines[4] == (
        "  PASS  recovery after a node failure 361.5 s meets the 600 s target by 238 s"
    )


def test_check_exits_1_on_a_failed_verdict_and_still_reports(capsys, tmp_path):
    path = tmp_path / "r.json"
    args = ("report", *OVERLOADED, *TARGETS, "--format", "json", "--out", str(path))
    code, out, err = run(capsys, *args, "--check")
    assert (code, out, err) == (1, f"wrote json report to {path}\n", "")
    assert json.loads(path.read_text())["slo"]["slo_met"] is False
    assert run(capsys, *args)[0] == 0  # without --check: 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.9995", "--target-availability=0.9995 is out of range: must be a percentage in "),
        ("100", "--target-availability=100 is out of range: must be a percentage in [1, 100)"),
    ],
)
def test_target_availability_is_a_percentage(capsys, value, message):
    code, out, err = run(capsys, "report", "--target-availability", value)
    assert (code, out) == (2, "")
    assert err.startswith(f"haplan: error: {message}") and err.count("\n") == 1


def test_target_flags_set_the_scenario_inputs(capsys):
    flags = ("--target-availability", "99.999", "--target-p99-ms", "80")
    flags += ("--target-recovery-s", "90")
    by_flag = json.loads(run(capsys, "report", *flags, "--format", "json")[1])
    by_set = ("--set", "target_availability=0.99999", "--set", "target_p99_ms=80")
    by_set += ("--set", "target_recovery_s=90")
    assert json.loads(run(capsys, "report", *by_set, "--format", "json")[1]) == by_flag
    assert by_flag["inputs"]["target_availability"] == 0.99999


def test_planner_target_follows_the_availability_target(capsys, tmp_path):
    code, out, _ = run(capsys, "report", "--target-availability", "99.95", "--format", "markdown")
    assert code == 0 and "## Recommendation for 99.95 % availability" in out
    out = run(capsys, "report", "--set", "target_availability=0.999", "--format", "markdown")[1]
    assert "## Recommendation for 99.9 % availability" in out
    toml = tmp_path / "t.toml"
    toml.write_text("target_availability = 0.9999\n")
    assert "\nRecommendation for 99.99 % availability\n" in run(capsys, "report", toml)[1]
    # No availability target, no plan: the report only recommends against a target.
    for output_format in ("text", "markdown", "json"):
        code, out, _ = run(capsys, "report", "--target-p99-ms", "100", "--format", output_format)
        assert code == 0 and "Recommendation" not in out and '"plan"' not in out


@pytest.mark.parametrize("request_rate", [2000.0, 500.0])  # overloaded, and carried
def test_api_report_sweep_and_plan_give_the_same_numbers(capsys, tmp_path, request_rate):
    import haplan
    from haplan.report import render_plan

    scenario = haplan.Scenario.default().with_overrides(
        nodes=3, instances=6, instance_capacity_rps=150.0, request_rate_rps=request_rate
    )
    names = ("slo_unavailability", "service_unavailability", "p99_response_ms")
    api = haplan.metrics(scenario).iloc[0]
    expected = {name: float(api[name]) for name in names}
    flags = ("-N", "3", "--instances", "6", "--set", "instance_capacity_rps=150")
    flags += ("--set", f"request_rate_rps={request_rate:g}")
    metrics = json.loads(run(capsys, "report", *flags, "--format", "json")[1])["metrics"]
    assert {name: float(metrics[name]) for name in names} == expected
    path = tmp_path / "one.csv"
    assert run(capsys, "sweep", *flags, "--csv", str(path))[0] == 0
    header, row, *rest = path.read_text().split("\n")
    assert rest == [""]
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert {name: float(values[name]) for name in names} == expected
    toml = tmp_path / "s.toml"
    toml.write_text("nodes = 3\ninstances = 6\ninstance_capacity_rps = 150\n")
    args = ("plan", toml, "--target-availability", "99", "-P", f"{request_rate:g}", "-N", "3")
    code, out, _ = run(capsys, *args, "-R", "2")
    base = haplan.Scenario.from_toml(toml).with_overrides(target_availability=0.99)
    result = haplan.plan(0.99, request_rate, search={"nodes": [3], "replicas": [2.0]}, base=base)
    assert code == 0 and out == render_plan(result)
    (candidate,) = [r for _, r in result.candidates.iterrows() if r["instances"] == 6]
    assert {name: float(candidate[name]) for name in names} == expected
    if request_rate == 2000.0:
        assert expected["slo_unavailability"] == 1.0 and expected["p99_response_ms"] == math.inf
        assert "  6 on 3 nodes (cost 3): utilisation 222% > ceiling 70%" in out
    else:
        assert f"SLO nines {api['slo_nines']:.3g}" in out


def test_api_and_cli_sweeps_share_their_defaults(capsys):
    import haplan

    code, out, _ = run(capsys, "sweep", "-N", "3", "-R", "1")
    assert code == 0
    header, row = out.splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    api = haplan.sweep(nodes=[3], replicas=[1]).iloc[0]
    assert float(values["p99_response_ms"]) == api["p99_response_ms"]
    assert values["balancer"] == api["balancer"] == "random"
    assert float(values["slo_unavailability"]) == api["slo_unavailability"]


# -- INPUTS: a TOML scenario and manifests together -------------------------------------------

CLUSTER_TOML = (
    'name = "cluster"\nnodes = 6\ninstances = 12\nmin_instances = 2\nzones = 2\n'
    "node_mttf_h = 2000\n"
)


def test_toml_and_manifests_together(capsys, tmp_path):
    # The TOML gives the cluster's facts, the manifest the workload: its 6 replicas, its PDB's
    # min_instances 5 and its 3 zones win over the TOML's 12, 2 and 2; the TOML's nodes and
    # node_mttf_h stay; a flag wins over both.
    from haplan.analysis import analyse
    from haplan.inputs import load_inputs
    from haplan.report import render_json

    toml = tmp_path / "cluster.toml"
    toml.write_text(CLUSTER_TOML)
    code, out, err = run(
        capsys, "report", toml, WEB_ZONAL, "--set", "node_mttr_h=1", "--format", "json"
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["inputs"] == DEFAULT_INPUTS | {
        "nodes": 6,
        "replicas": 1.0,
        "instances": 6,
        "min_instances": 5,
        "zones": 3,
        "node_mttf_h": 2000,
        "node_mttr_h": 1,
        "orchestrator": "kubernetes (web manifest)",
    }
    assert document["input_sources"] == dict.fromkeys(INPUT_NAMES, "default") | {
        "nodes": "scenario file",
        "node_mttf_h": "scenario file",
        "replicas": "derived: C / N",
        "instances": "manifest",
        "min_instances": "manifest",
        "zones": "manifest",
        "orchestrator": "manifest",
        "node_mttr_h": "command line",
    }
    # The order of INPUTS does not matter, and the CLI's JSON is the API's, exactly.
    loaded = load_inputs([toml, WEB_ZONAL], overrides={"node_mttr_h": 1.0})
    expected = render_json(
        analyse(loaded.scenario, manifest=loaded.manifest, sources=loaded.sources)
    )
    assert out == expected
    swapped = ("report", WEB_ZONAL, toml, "--set", "node_mttr_h=1", "--format", "json")
    assert run(capsys, *swapped) == (0, expected, "")


def test_text_and_markdown_inputs_say_where_each_value_came_from(capsys, tmp_path):
    toml = tmp_path / "cluster.toml"
    toml.write_text(CLUSTER_TOML)
    code, out, _ = run(capsys, "report", toml, WEB_ZONAL, "-P", "300")
    assert code == 0
    assert out.startswith("haplan report — web\n")
    table = out[out.index("\nInputs") + 1 :]
    assert [line.rstrip() for line in table.splitlines()[:14]] == [
        "Inputs",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓",
        "┃ input                  ┃                     value ┃ from           ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩",
        "│ nodes                  │                         6 │ scenario file  │",
        "│ replicas               │                         1 │ derived: C / N │",
        "│ instances              │                         6 │ manifest       │",
        "│ request_rate_rps       │                       300 │ command line   │",
        "│ recovery_speed_s       │                        30 │ default        │",
        "│ min_instances          │                         5 │ manifest       │",
        "│ instance_capacity_rps  │                       100 │ default        │",
        "│ max_utilization        │                0.7 (70 %) │ default        │",
        "│ node_mttf_h            │                     2,000 │ scenario file  │",
        "│ node_mttr_h            │                    0.2641 │ default        │",
    ]
    code, out, _ = run(capsys, "report", toml, WEB_ZONAL, "-P", "300", "--format", "markdown")
    assert code == 0
    inputs = out[out.index("## Inputs") :].split("\n")
    assert inputs[:7] == [
        "## Inputs",
        "",
        "| input | value | from |",
        "|---|---:|---|",
        "| `nodes` | 6 | scenario file |",
        "| `replicas` | 1 | derived: C / N |",
        "| `instances` | 6 | manifest |",
    ]
    assert "| `zones` | 3 | manifest |" in inputs
    assert "| `request_rate_rps` | 300 | command line |" in inputs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.toml", "b.toml"], "give at most one .toml scenario, not 2: a.toml, b.toml"),
        (["x.txt"], "input 'x.txt' is not known: give a .toml scenario and/or .yaml manifests"),
    ],
)
def test_inputs_errors_are_one_line(capsys, args, message):
    assert run(capsys, "report", *args) == (2, "", f"haplan: error: {message}\n")


# -- one grammar for every command -----------------------------------------------------------

SHARED_OPTIONS = (
    "--workload TEXT",
    "-N, --nodes VALUE[,…]",
    "-R, --replicas VALUE[,…]",
    "--instances VALUE[,…]",
    "-P, --request-rate VALUE[,…]",
    "-S, --recovery-speed VALUE[,…]",
    "-k, --min-instances VALUE[,…]",
    "--orchestrator VALUE[,…]",
    "--balancer VALUE[,…]",
    "--target-availability PERCENT",
    "--target-p99-ms VALUE[,…]",
    "--target-recovery-s VALUE[,…]",
    "--set NAME=VALUE[,…]",
)


@pytest.mark.parametrize("command", ["report", "sweep", "plan", "simulate", "whatif", "autoscale"])
def test_every_command_takes_every_shared_option(capsys, command):
    from haplan.cli import cli

    code, out, err = run(capsys, command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"Usage: haplan {command} [OPTIONS] [INPUTS]...\n")
    lines = [line.strip() for line in out.splitlines()]
    for option in SHARED_OPTIONS:
        assert any(line.startswith(option) for line in lines), (command, option)
    shared = [p.name for p in cli.commands["report"].params][: len(SHARED_OPTIONS) + 1]
    assert [p.name for p in cli.commands[command].params][: len(shared)] == shared


def test_set_with_several_values_is_an_axis_of_sweep(capsys):
    from haplan.scenario import Scenario
    from haplan.sweeps import sweep

    code, out, err = run(capsys, "sweep", "-N", "3", "--set", "node_mttr_h=0.25,24")
    assert (code, err) == (0, "")
    base = Scenario.default().with_overrides(nodes=3)
    table = csv_columns(sweep(base=base, node_mttr_h=[0.25, 24.0]))
    expected = table.to_csv(index=False, lineterminator="\n")
    assert out == expected
    header, *rows = out.splitlines()
    column = header.split(",").index("node_mttr_h")
    assert [row.split(",")[column] for row in rows] == ["0.25", "24.0"]


def test_set_with_several_values_is_an_axis_of_plan(capsys):
    from haplan.planner import plan
    from haplan.report import render_plan
    from haplan.scenario import Scenario

    args = ("plan", "--target-availability", "99.99", "-N", "2:3", "-R", "1:2")
    code, out, err = run(capsys, *args, "--set", "node_mttr_h=0.25,24")
    assert (code, err) == (0, "")
    base = Scenario.default().with_overrides(target_availability=0.9999)
    search = {"node_mttr_h": [0.25, 24.0], "nodes": [2, 3], "replicas": [1.0, 2.0]}
    result = plan(0.9999, 100.0, search=search, base=base)
    assert len(result.candidates) == 8
    assert out == render_plan(result)
    # Each line names the searched input beside nodes and replicas.
    assert out.splitlines() == [
        "Cheapest cluster meeting 99.99 % availability:",
        "  4 instances on 2 nodes (2 per node), node_mttr_h 0.25, cost 2, SLO nines 6.5, "
        "p99 61.4 ms, recovery 363.5 s, utilisation 25 %",
        # The best sits on two edges of the small grid: the planner says a wider one may do
        # better.
        "  warning: the best candidate has the smallest nodes searched (2): search nodes below 2",
        "  warning: the best candidate has the largest replicas searched (2): more per node "
        "might allow fewer nodes; search replicas beyond 2",
        "Runners-up:",
        "  3 instances on 3 nodes (1 per node), node_mttr_h 0.25, cost 3, SLO nines 6.15, "
        "p99 69.08 ms, recovery 361.5 s, utilisation 33 %",
        "  6 instances on 3 nodes (2 per node), node_mttr_h 0.25, cost 3, SLO nines 9.84, "
        "p99 55.26 ms, recovery 363.5 s, utilisation 17 %",
        "  6 instances on 3 nodes (2 per node), node_mttr_h 24, cost 3, SLO nines 4.46, "
        "p99 55.26 ms, recovery 363.5 s, utilisation 17 %",
        "Cheaper candidates and why they fail:",
        "  2 on 2 nodes, node_mttr_h 0.25 (cost 2): availability 99.9027% < target 99.99%",
        "  2 on 2 nodes, node_mttr_h 24 (cost 2): availability 93.6113% < target 99.99%",
    ]


@pytest.mark.parametrize("command", ["report", "simulate"])
@pytest.mark.parametrize(
    ("args", "name", "count"),
    [
        (["--set", "node_mttr_h=0.25,24"], "node_mttr_h", 2),
        (["-N", "3:5"], "nodes", 3),
        (["--balancer", "random,round_robin"], "balancer", 2),
        (["--target-p99-ms", "100,200"], "target_p99_ms", 2),
    ],
)
def test_several_values_are_refused_where_one_scenario_is_taken(capsys, command, args, name, count):
    assert run(capsys, command, *args) == (
        2,
        "",
        f"haplan: error: {name} has {count} values but haplan {command} takes one: use haplan "
        "sweep or haplan plan for several\n",
    )


# -- exit statuses: a bug in haplan is not a usage error --------------------------------------

BUG_LINE = (
    "haplan: internal error: RuntimeError: boom. This is a bug in haplan; run the same command "
    "with haplan --debug to see the traceback.\n"
)


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("haplan.analysis.analyse", ["report"]),
        ("haplan.analysis.metrics", ["report", "--format", "json"]),  # deep in the analysis
        ("haplan.sweeps.sweep", ["sweep", "-N", "3:4"]),
        ("haplan.planner.plan", ["plan", "--target-availability", "99.9"]),
        ("haplan.simulate.compare_with_analytic", ["simulate", "--replications", "2"]),
    ],
)
def test_an_internal_error_is_one_line_and_exit_1(capsys, monkeypatch, target, args):
    monkeypatch.setattr(target, _boom)
    assert run(capsys, *args) == (1, "", BUG_LINE)
    with pytest.raises(RuntimeError, match="^boom$"):
        main(["--debug", *args])


def test_debug_shows_the_traceback_of_an_internal_error():
    program = (
        "import sys\n"
        "import haplan.analysis\n"
        "def boom(*args, **kwargs):\n"
        "    raise RuntimeError('boom')\n"
        "haplan.analysis.analyse = boom\n"
        "from haplan.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )

    def haplan(*args):
        done = subprocess.run(
            [sys.executable, "-c", program, *args], capture_output=True, text=True, timeout=120
        )
        return done.returncode, done.stdout, done.stderr

    assert haplan("report") == (1, "", BUG_LINE)
    code, out, err = haplan("--debug", "report")
    assert (code, out) == (1, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert "in boom\n" in err and err.endswith("RuntimeError: boom\n")


# -- the planner's recommendation, and the same numbers in every format -----------------------

RECOMMENDATION_9995 = [
    "Recommendation for 99.95 % availability",
    "Cheapest cluster meeting 99.95 % availability:",
    "  3 instances on 1 nodes (3 per node), cost 1, SLO nines 3.43, p99 69.08 ms, recovery "
    "365.6 s, utilisation 33 %",
    "Runners-up:",
    "  4 instances on 1 nodes (4 per node), cost 1, SLO nines 3.43, p99 61.4 ms, recovery "
    "367.6 s, utilisation 25 %",
    "  5 instances on 1 nodes (5 per node), cost 1, SLO nines 3.43, p99 57.56 ms, recovery "
    "369.6 s, utilisation 20 %",
    "  4 instances on 2 nodes (2 per node), cost 2, SLO nines 6.47, p99 61.4 ms, recovery "
    "363.5 s, utilisation 25 %",
    "Cheaper candidates and why they fail:",
    "  1 on 1 nodes (cost 1): utilisation 100% > ceiling 70%",
    "  2 on 1 nodes (cost 1): availability 99.9355% < target 99.95%",
]


def _default_analysis_at_9995():
    from haplan.analysis import analyse
    from haplan.inputs import load_inputs

    loaded = load_inputs(overrides={"target_availability": 0.9995})
    return analyse(loaded.scenario, target_availability=0.9995, sources=loaded.sources)


def test_text_report_shows_the_recommendation_exactly(capsys):
    from haplan.report import render_text

    code, out, err = run(capsys, "report", "--target-availability", "99.95")
    assert (code, err) == (0, "")
    assert out == render_text(_default_analysis_at_9995())
    lines = out.splitlines()
    start = lines.index(RECOMMENDATION_9995[0])
    assert lines[start : start + len(RECOMMENDATION_9995)] == RECOMMENDATION_9995
    assert out.index("Recovery stages") < out.index(RECOMMENDATION_9995[0])


def test_a_long_rejected_list_is_grouped_by_reason(capsys):
    code, out, err = run(capsys, "report", "-P", "1000", "--target-availability", "99.999")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index(
        "Cheaper candidates and why they fail (19, grouped by reason; the 2 nearest the answer "
        "of each shown):"
    )
    assert lines[start + 1 : start + 8] == [
        "  over the utilisation ceiling: 17 candidates",
        "    8 on 4 nodes (cost 4): utilisation 125% > ceiling 70%",
        "    12 on 4 nodes (cost 4): utilisation 83% > ceiling 70%",
        "    … and 15 more, cheaper",
        "  below the availability target: 2 candidates",
        "    15 on 3 nodes (cost 3): availability 99.6819% < target 99.999%",
        "    16 on 4 nodes (cost 4): availability 99.8528% < target 99.999%",
    ]


def test_json_report_shows_the_recommendation_exactly(capsys):
    from haplan.planner import plan
    from haplan.report import render_json
    from haplan.scenario import Scenario

    code, out, err = run(capsys, "report", "--target-availability", "99.95", "--format", "json")
    assert (code, err) == (0, "")
    assert out == render_json(_default_analysis_at_9995())
    document = json.loads(out)
    assert list(document) == [
        "verdict",
        "slo",
        "inputs",
        "metrics",
        "input_sources",
        "plan",
        "disruptions",
    ]
    base = Scenario.default().with_overrides(target_availability=0.9995)
    best = plan(0.9995, 100.0, base=base).best
    assert document["plan"] == {
        "target_availability": 0.9995,
        "best": {
            "nodes": 1,
            "replicas": 3.0,
            "instances": 3,
            "cost": 1.0,
            "slo_nines": float(best["slo_nines"]),
            "p99_response_ms": float(best["p99_response_ms"]),
        },
        "cheaper_rejected": [
            {
                "nodes": 1,
                "replicas": 1.0,
                "instances": 1,
                "cost": 1.0,
                "slo_nines": 0.0,
                "p99_response_ms": "inf",
                "reason": "utilisation 100% > ceiling 70%",
            },
            {
                "nodes": 1,
                "replicas": 2.0,
                "instances": 2,
                "cost": 1.0,
                "slo_nines": document["plan"]["cheaper_rejected"][1]["slo_nines"],
                "p99_response_ms": document["plan"]["cheaper_rejected"][1]["p99_response_ms"],
                "reason": "availability 99.9355% < target 99.95%",
            },
        ],
    }
    assert document["input_sources"]["target_availability"] == "command line"


def test_every_format_shows_the_same_headline_numbers():
    from haplan.htmlreport import render_html
    from haplan.report import format_nines, render_json, render_markdown, render_text

    data = _default_analysis_at_9995()
    row = data.row
    # The default scenario: 6.114 SLO nines, 99.9999231 % available, p99 69.08 ms; its plan
    # is 1 node x 3 instances with 3.43 SLO nines.
    headline = (
        "SLO availability 99.999923 % (6.11 nines, 0.0332 min down per 30 days) — P(at least "
        "2 of 3 instances up: 1 for the service, 2 to carry 100 req/s under 70% utilisation)"
    )
    cells = {  # metric -> (meaning, value, unit) as every table shows it
        "slo_availability": ("P(enough instances up for k and for the load)", "99.9999231 %", "%"),
        "slo_nines": ("SLO nines, -log10(SLO unavailability)", "6.114", "nines"),
        "p99_response_ms": ("99th percentile response time", "69.08", "ms"),
    }
    text = render_text(data, width=200)  # wide: each row on one line
    markdown = render_markdown(data)
    document = json.loads(render_json(data))
    page = render_html(data, figures={})
    assert f"  {headline}\n" in text
    assert f"- {headline}\n" in markdown
    assert document["verdict"][0]["message"] == headline
    assert f'<p class="answer">{headline}</p>' in page
    for name, (meaning, value, unit) in cells.items():
        assert any(
            [c.strip() for c in line.split("│")[1:-1]] == [name, meaning, value, unit]
            for line in text.splitlines()
        ), name
        assert f"| `{name}` | {meaning} | {value} | {unit} |" in markdown, name
        assert (
            f'<td>{name}</td><td>{meaning}</td><td class="num">{value}</td><td>{unit}</td>'
        ) in page, name
    assert document["slo"]["slo_nines"] == row["slo_nines"]
    assert document["slo"]["slo_availability"] == row["slo_availability"]
    assert document["metrics"]["p99_response_ms"] == row["p99_response_ms"]
    assert f"{100 * document['slo']['slo_availability']:.7f} %" == "99.9999231 %"
    assert (format_nines(document["slo"]["slo_nines"]), row["p99_response_ms"]) == (
        "6.11",
        pytest.approx(69.08, abs=0.005),
    )
    # The recommendation: the same cluster and numbers in every format.
    best = document["plan"]["best"]
    assert (best["nodes"], best["replicas"], best["instances"], best["cost"]) == (1, 3.0, 3, 1.0)
    assert format_nines(best["slo_nines"]) == "3.43"
    assert "  3 instances on 1 nodes (3 per node), cost 1, SLO nines 3.43, p99 69.08 ms" in text
    # Markdown: the recommendation is prose right under the verdict, not a code block
    assert (
        "**The cheapest cluster that carries 100 req/s at 99.95 %: 1 nodes × 3 instances per "
        "node = 3 instances** — cost 1, SLO nines 3.43, p99 69.08 ms"
    ) in markdown
    assert (
        markdown.index("## Verdict")
        < markdown.index("## Recommendation for 99.95 % availability")
        < markdown.index("## SLO headline")
    )
    assert "```" not in markdown
    assert (
        "<strong>1 nodes × 3 instances per node = 3 instances</strong> (cost 1, 3.43 SLO nines, "
        "p99 69.08 ms)"
    ) in page


# -- failure histories and uncertain inputs --------------------------------------------------

LANL = ROOT / "data" / "history" / "lanl-system16-outages.csv"


def test_fit_prints_the_fit_and_toml_that_report_reads(capsys, tmp_path):
    from haplan.fit import fit_history, read_history
    from haplan.report import render_fit_text

    code, out, err = run(capsys, "fit", LANL)
    assert (code, err) == (0, "")
    assert out == render_fit_text(fit_history(read_history(LANL)))
    assert out.splitlines()[1].startswith("Weibull shape 0.58 (0.56-0.60): decreasing hazard")
    # --format toml --distributions: a scenario file haplan report propagates.
    code, toml, _ = run(capsys, "fit", LANL, "--format", "toml", "--distributions")
    assert code == 0
    assert toml.splitlines()[-2:] == [
        'node_mttf_h = "lognormal(310.922, 0.2048)"',
        'node_mttr_h = "lognormal(9.32822, 0.3584)"',
    ]
    scenario = tmp_path / "fitted.toml"
    scenario.write_text("nodes = 16\ninstances = 16\nmin_instances = 12\n" + toml)
    code, out, err = run(capsys, "report", scenario, "--format", "json", "--samples", "400")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["inputs"]["node_mttf_h"] == 310.922  # the median
    assert document["input_sources"]["node_mttf_h"] == "scenario file"
    assert document["uncertainty"]["samples"] == 400
    assert document["uncertainty"]["inputs"] == {
        "node_mttf_h": "lognormal(310.922, 0.2048)",
        "node_mttr_h": "lognormal(9.32822, 0.3584)",
    }
    summary = document["uncertainty"]["summary"]["slo_availability"]
    assert summary["p05"] < document["slo"]["slo_availability"] < summary["p95"]
    assert [row["input"] for row in document["uncertainty"]["sensitivity"]] == [
        "node_mttr_h",
        "node_mttf_h",
    ]


def test_fit_json_holds_values_intervals_and_distributions(capsys):
    code, out, err = run(capsys, "fit", LANL, "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    # Exposure / events of LANL system 16 (tests/test_fit.py checks it against the data).
    assert document["values"]["node_mttf_h"] == pytest.approx(310.922, rel=1e-5)
    assert document["values"]["node_mttr_h"] == pytest.approx(9.32822, rel=1e-5)
    low, high = document["intervals"]["node_mttr_h"]
    assert low < document["values"]["node_mttr_h"] < high
    assert [row["family"] for row in document["repairs"]] == ["exponential", "weibull", "lognormal"]


def test_a_distribution_on_the_command_line_is_one_value(capsys):
    # The commas inside lognormal(...) do not make an axis; report propagates it.
    code, out, err = run(
        capsys,
        "report",
        "--set",
        "node_mttr_h=lognormal(0.26, 0.5)",
        "--target-availability",
        "99.9999",
        "--samples",
        "300",
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    start = lines.index("Uncertainty")
    assert lines[start + 1] == (
        "  300 samples of the uncertain inputs: node_mttr_h lognormal(0.26, 0.5)"
    )
    assert lines[start + 4].startswith("  availability meets 99.9999 % with probability 0.")


def test_plan_with_a_distribution_needs_a_confidence(capsys):
    args = ("plan", "--set", "node_mttf_h=gamma(4, 200)", "--target-availability", "99.9")
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        "haplan: error: node_mttf_h=gamma(4, 200) is a distribution: give plan --confidence "
        "(e.g. 0.9), the probability with which the plan must meet the targets\n"
    )
    code, out, err = run(capsys, *args, "-N", "1:6", "--confidence", "0.9", "--samples", "200")
    assert (code, err) == (0, "")
    assert "meets the targets with probability " in out.splitlines()[1]


@pytest.mark.parametrize("command", ["sweep", "simulate"])
def test_commands_that_do_not_propagate_refuse_a_distribution(capsys, command):
    code, out, err = run(
        capsys, command, "--set", "node_mttf_h=gamma(4, 200)", "--target-availability", "99.9"
    )
    assert (code, out) == (2, "")
    assert err == (
        "haplan: error: node_mttf_h=gamma(4, 200) is a distribution, which haplan "
        f"{command} does not propagate: give a number, or use haplan report for the "
        "headline's interval\n"
    )


# -- disruptions -----------------------------------------------------------------------------


def test_whatif_prints_the_api_timeline_exactly(capsys):
    from haplan.disruptions import whatif
    from haplan.report import render_timeline_text
    from haplan.scenario import Scenario

    code, out, err = run(capsys, "whatif", "--event", "zone", "-N", "6", "--set", "zones=3")
    assert (code, err) == (0, "")
    expected = whatif(Scenario.default().with_overrides(nodes=6, zones=3), "zone")
    assert out == render_timeline_text(expected)
    assert out.splitlines()[0] == "lose zone 0 (2 nodes, 1 instance) at 100 req/s on kubernetes"


def test_whatif_json_and_csv_hold_every_step(capsys):
    code, out, err = run(capsys, "whatif", "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert list(document) == ["event", "totals", "steps"]
    assert [s["stage"] for s in document["steps"]][:2] == ["detection", "eviction"]
    code, csv, _ = run(capsys, "whatif", "--format", "csv")
    assert csv.splitlines()[0].startswith("time_s,instances_ready,instances_pending,stage")
    assert len(csv.splitlines()) == len(document["steps"]) + 1


def test_whatif_rollout_reads_the_manifests_strategy(capsys):
    from haplan.disruptions import deployment_rollout
    from haplan.inputs import load_inputs

    manifest = ROOT / "data" / "manifests" / "api-rolling-update.yaml"
    code, out, err = run(capsys, "whatif", "--event", "rollout", manifest)
    assert (code, err) == (0, "")
    loaded = load_inputs([manifest])  # the manifest's probes tune the pods' readiness
    scenario, read = loaded.scenario, loaded.manifest
    assert read.rollout["max_surge"] == 1 and read.rollout["max_unavailable"] == 0
    expected = deployment_rollout(scenario, max_surge=1, max_unavailable=0, min_ready_s=10.0)
    assert out.splitlines()[0] == expected.event
    # Flags win over the manifest.
    code, out, _ = run(capsys, "whatif", "--event", "rollout", manifest, "--max-unavailable", "1")
    assert "maxSurge 1, maxUnavailable 1" in out.splitlines()[0]


def test_whatif_drain_finds_a_blocking_pdb(capsys):
    code, out, err = run(capsys, "whatif", "--event", "drain", "--instances", "6", "-k", "6")
    assert (code, err) == (0, "")
    assert (
        "  the PodDisruptionBudget (minAvailable 6 of 6) allows no eviction: the drain of "
        "node 0 never finishes"
    ) in out.splitlines()


def test_whatif_figure_is_a_png(capsys, tmp_path):
    path = tmp_path / "timeline.png"
    code, _, err = run(capsys, "whatif", "--figure", path)
    assert (code, err) == (0, "")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- autoscaling -----------------------------------------------------------------------------


def test_autoscale_compares_fixed_replicas_with_the_hpa(capsys):
    from haplan import autoscaling
    from haplan.report import render_autoscale_text
    from haplan.scenario import Scenario

    args = ("autoscale", "-P", "3000", "--set", "instance_capacity_rps=150", "-N", "6")
    code, out, err = run(capsys, *args, "--instances", "6")
    assert (code, err) == (0, "")
    scenario = Scenario.default().with_overrides(
        request_rate_rps=3000.0, instance_capacity_rps=150.0, nodes=6, instances=6
    )
    profile = autoscaling.diurnal(3000.0)
    fixed = autoscaling.over_profile(scenario, profile)
    hpa = autoscaling.simulate_hpa(
        scenario, profile, min_replicas=1, max_replicas=60, target_utilization=0.5
    )
    assert out == render_autoscale_text(fixed, hpa)
    assert out.splitlines()[0] == "fixed 6 instances over 24 h (mean 1,500 req/s, peak 3,000):"


def test_autoscale_takes_the_manifests_hpa_and_recommends(capsys):
    manifest = ROOT / "data" / "manifests" / "web-hpa.yaml"
    code, out, err = run(capsys, "autoscale", manifest, "-P", "400", "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    settings = document["hpa"]["settings"]
    assert (settings["min_replicas"], settings["max_replicas"]) == (3, 12)
    assert settings["target_utilization"] == 0.6
    code, out, err = run(capsys, "autoscale", "-P", "400", "--recommend", "--format", "json")
    assert (code, err) == (0, "")
    best = json.loads(out)["recommendation"]["best"]
    assert best["reason"] == "" and best["worst_p99_ms"] < math.inf


def test_autoscale_refuses_two_profiles(capsys, tmp_path):
    path = tmp_path / "load.csv"
    path.write_text("time,rps\n0,10\n60,20\n")
    code, out, err = run(capsys, "autoscale", "--profile", path, "--nasa")
    assert (code, out, err) == (2, "", "haplan: error: give --profile or --nasa, not both\n")


def test_autoscale_figure_is_a_png(capsys, tmp_path):
    path = tmp_path / "hpa.png"
    code, _, err = run(capsys, "autoscale", "--figure", path)
    assert (code, err) == (0, "")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_has_an_autoscaling_section_for_a_manifest_hpa_or_a_profile(capsys, tmp_path):
    from haplan import autoscaling
    from haplan.inputs import load_inputs

    manifest = ROOT / "data" / "manifests" / "web-hpa.yaml"
    code, out, err = run(capsys, "report", manifest, "--format", "json")
    assert (code, err) == (0, "")
    section = json.loads(out)["autoscaling"]
    assert section["profile"] == ("a diurnal day peaking at the scenario's load (peak / mean 2)")
    loaded = load_inputs([manifest])
    expected = autoscaling.simulate_hpa(
        loaded.scenario,
        autoscaling.diurnal(loaded.scenario.request_rate_rps),
        **autoscaling.hpa_settings(loaded.scenario, loaded.manifest.hpa),
    )
    assert section["hpa"]["totals"]["instance_hours"] == expected.totals["instance_hours"]
    assert section["recommendation"]["best"]["reason"] == ""
    # A profile file adds the section to a scenario without an HPA.
    path = tmp_path / "load.csv"
    path.write_text("time,rps\n0,50\n3600,150\n7200,80\n")
    code, out, err = run(capsys, "report", "--profile", path)
    assert (code, err) == (0, "")
    assert f"Autoscaling over {path}" in out.splitlines()
    code, out, _ = run(capsys, "report")
    assert "Autoscaling over" not in out


def test_swarm_healthcheck_note_states_the_readiness_stage():
    # The note's number is the pipeline's readiness stage (first check assumed to fail:
    # ready at the second check, 2 x 15 s), not the healthcheck interval.
    from haplan import recovery
    from haplan.inputs import load_inputs

    stack = ROOT / "data" / "manifests" / "swarm-stack.yaml"
    loaded = load_inputs([stack], workload="api", overrides={"nodes": 4})
    (note,) = [n for n in loaded.manifest.notes if "healthcheck:" in n]
    stages = recovery.stages_table(loaded.scenario.orchestrator, instances_to_move=1)
    ready = stages[(stages["event"] == "node_failure") & (stages["stage"] == "readiness")]
    assert ready["seconds"].iloc[0] == 30.0
    assert note == (
        "Compose service 'api' healthcheck: a task counts as ready after its first passing "
        "check; checks run every 15 s from start and the first is assumed to find the task not "
        "yet ready, so the readiness stage is 30 s."
    )
