"""Hostile and mistaken input: the CLI and the loaders fuzzed, and the classes of issue 20.

Every input path answers a bad input with exit status 2 and exactly one line on stderr (no
traceback), never writes a raw control character to the terminal, and never replaces a file
when it fails. The hypothesis runs are kept small (``max_examples``) so the whole module
runs in well under a minute.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haplan._safe import escape_controls, markdown_escape, quote
from haplan.cli import main
from haplan.export import write_csv, write_text
from haplan.inputs import load_inputs
from haplan.manifests import read_manifests
from haplan.manifests.units import parse_duration_s, parse_quantity
from haplan.scenario import INPUT_NAMES, Scenario

#: HAPLAN_FUZZ_EXAMPLES=2000 (and HAPLAN_FUZZ_RANDOM=1) for a longer, exploring run.
FUZZ = settings(
    max_examples=int(os.environ.get("HAPLAN_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not os.environ.get("HAPLAN_FUZZ_RANDOM"),
    database=None,
)
# Control characters a terminal would act on (a newline and a tab are text).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SENTINEL = "precious contents\n"


def toml_value(value) -> str:
    """One TOML value (inline): strings, numbers, booleans, arrays, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(type(value))


def toml_dumps(values: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in values.items())


def invoke(*args) -> tuple[int, str, str]:
    """Run ``haplan ARGS`` in-process (click's CliRunner isolation): status, stdout, stderr."""
    runner = CliRunner()
    with runner.isolation() as streams:
        code = main([str(a) for a in args])
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def assert_clean(code: int, out: str, err: str) -> None:
    """Exit 0 or 2; for 2 one line on stderr; no traceback; no raw control characters."""
    assert code in (0, 2), (code, err[-2000:])
    assert "Traceback" not in out + err
    assert not RAW_CONTROL.search(out), repr(RAW_CONTROL.search(out))
    assert not RAW_CONTROL.search(err), repr(err)
    if code == 2:
        assert err.count("\n") == 1 and err.endswith("\n"), err
        assert err.startswith("haplan: error: "), err


# -- strategies --------------------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "svc [/]",
        "prod [eu-west]",
        "[bold red]x[/bold red]",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "web\n## forged heading",
        "x\nhaplan: error: forged",
        "\x1b[31mred\x1b[0m",
        "\x1b]0;title\x07",
        "\x1b[2J\x1b[H",
        "a\rb",
        "\u202egnp.exe",
        "tab\there",
        "| a | b |",
        "*bold* _it_ `code`",
        "",
        " ",
        "é😀",
        "x" * 300,
    ]
)
NUMBER_TEXT = st.sampled_from(
    [
        "0",
        "1",
        "3",
        "-1",
        "0.5",
        "2.5",
        "inf",
        "-inf",
        "nan",
        "1e400",
        "-1e400",
        "1e308",
        "1e15",
        "99999999999999999999999",
        "1:3",
        "1:1e400",
        "1:inf",
        "3:1",
        "1:10:0",
        "1:10000000",
        "1,2,nan",
        "1,,2",
        ":",
        "1:2:3:4",
        "0x10",
        "1_000",
        "lognormal(718, 0.5)",
        "lognormal(1e400, 0.5)",
        "gamma(-1, 2)",
        "true",
        "kubernetes",
        "swarm,kubernetes",
    ]
)
VALUE_TEXT = st.one_of(NUMBER_TEXT, HOSTILE_TEXT)
FLAGS = [
    "-N",
    "-R",
    "--instances",
    "-P",
    "-S",
    "-k",
    "--orchestrator",
    "--balancer",
    "--target-availability",
    "--target-p99-ms",
    "--target-recovery-s",
    "--workload",
]
SET_NAMES = [*INPUT_NAMES, "eviction_s", "image_size_mb", "restart_attempts", "name", "bogus", ""]


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(["report", "sweep", "plan", "simulate", "whatif", "autoscale"]))
    args = [command]
    for _ in range(draw(st.integers(0, 3))):
        args += [draw(st.sampled_from(FLAGS)), draw(VALUE_TEXT)]
    for _ in range(draw(st.integers(0, 2))):
        args += ["--set", f"{draw(st.sampled_from(SET_NAMES))}={draw(VALUE_TEXT)}"]
    extra = {
        "report": [
            ["--format", "json"],
            ["--format", "markdown"],
            ["--format", "html"],
            ["--simulate", "-1"],
            ["--samples", "0"],
            ["--format", "json", "--simulate", "1000000000"],
        ],
        "sweep": [["--csv", "/nonexistent/folder/x.csv"], ["--progress"], ["-R", "1e308"]],
        "plan": [
            ["--node-cost", "nan"],
            ["--node-cost", "inf"],
            ["--runners-up", "-1"],
            ["--confidence", "2"],
            ["--instance-cost", "-1"],
        ],
        "whatif": [
            ["--event", "drain", "--surge-nodes", "99999999999"],
            ["--event", "drain", "-N", "100000"],
            ["--event", "share", "--share", "nan"],
            ["--event", "rollout", "--max-surge", "1e400"],
            ["--event", "crash", "--count", "-1"],
            ["--at-rps", "inf"],
        ],
        "autoscale": [
            ["--days", "100000000"],
            ["--days", "0"],
            ["--peak-to-mean", "nan"],
            ["--min-replicas", "-1"],
            ["--target-utilization", "inf"],
            ["--node-provision-s", "nan"],
        ],
        "simulate": [
            ["--horizon-h", "1e308"],
            ["--horizon-h", "nan"],
            ["--horizon-h", "1e15"],
            ["--replications", "0"],
            ["--seed", "-1"],
        ],
    }[command]
    if draw(st.booleans()):
        args += draw(st.sampled_from(extra))
    if command == "simulate" and "--replications" not in args:
        args += ["--replications", "3", "--horizon-h", "100"]
    if command in ("plan", "sweep") and not any(a in args for a in ("-N", "-R", "--instances")):
        args += ["-N", "2:4", "-R", "1:2"]
    return args


# -- the CLI, fuzzed ---------------------------------------------------------------------------


@FUZZ
@given(args=command_lines())
def test_cli_random_flags_answer_cleanly(args):
    assert_clean(*invoke(*args))


@FUZZ
@given(name=HOSTILE_TEXT, output_format=st.sampled_from(["text", "markdown", "json"]))
def test_hostile_scenario_names_are_data(tmp_path_factory, name, output_format):
    folder = tmp_path_factory.mktemp("names")
    scenario = folder / "s.toml"
    scenario.write_text(toml_dumps({"name": name, "nodes": 3}), encoding="utf-8")
    code, out, err = invoke("report", scenario, "--format", output_format)
    assert_clean(code, out, err)
    assert code == 0, err
    visible = escape_controls(name)
    if output_format == "text":
        assert visible.strip()[:40] in out  # printed intact, not read as rich markup
    if output_format == "markdown":
        title = out.splitlines()[0]
        assert title.startswith("# haplan report")
        assert "<script" not in out and "<img" not in out
        assert not re.search(r"\]\(javascript:", out, re.I)
        assert "## forged" not in out


@FUZZ
@given(
    bad=st.sampled_from(
        [
            ["-N", "abc"],
            ["-N", "inf"],
            ["-k", "99"],
            ["--set", "nodes=nan"],
            ["--set", "zones=5"],  # more zones than nodes
            ["--samples", "0"],
            ["--set", "bogus=1"],
        ]
    )
)
def test_failed_run_replaces_no_file(tmp_path_factory, bad):
    folder = tmp_path_factory.mktemp("keep")
    out_path, csv_path = folder / "report.txt", folder / "row.csv"
    for path in (out_path, csv_path):
        path.write_text(SENTINEL)
    code, out, err = invoke("report", *bad, "--out", out_path, "--csv", csv_path)
    assert_clean(code, out, err)
    assert code == 2
    assert out_path.read_text() == SENTINEL and csv_path.read_text() == SENTINEL
    assert sorted(p.name for p in folder.iterdir()) == ["report.txt", "row.csv"]


# -- the loaders, fuzzed -----------------------------------------------------------------------

LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
    NUMBER_TEXT,
)
TREE = st.recursive(
    LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "spec", "name", "5", "eviction_s", "image_cached"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=8,
)


def _loads_cleanly(action) -> None:
    """``action()`` succeeds or raises one ValueError line without raw control characters."""
    try:
        action()
    except ValueError as error:
        message = str(error)
        assert "\n" not in message and not RAW_CONTROL.search(message), repr(message)


def _toml_value(value):
    """TOML has no null, and a TOML list holds no None either."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return [_toml_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _toml_value(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return float(value)
    return value


@FUZZ
@given(
    values=st.dictionaries(
        st.sampled_from([*INPUT_NAMES, "name", "recovery", "scenario", "bogus"]),
        TREE,
        max_size=4,
    )
)
def test_random_toml_trees_load_or_fail_in_one_line(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("toml") / "s.toml"
    path.write_text(toml_dumps(_toml_value(values)), encoding="utf-8")
    _loads_cleanly(lambda: load_inputs([path]))


def _deployment():
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "x",
                            "ports": [{"containerPort": 80}],
                            "resources": {"requests": {"cpu": "500m", "memory": "128Mi"}},
                            "readinessProbe": {"periodSeconds": 5},
                        }
                    ],
                    "tolerations": [{"key": "k", "effect": "NoExecute"}],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "labelSelector": {
                                "matchExpressions": [
                                    {"key": "app", "operator": "In", "values": ["web"]}
                                ]
                            },
                        }
                    ],
                    "affinity": {
                        "podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"app": "web"}},
                                }
                            ]
                        }
                    },
                },
            },
        },
    }


def _compose():
    return {
        "services": {
            "web": {
                "image": "x",
                "deploy": {
                    "replicas": 3,
                    "restart_policy": {"condition": "any", "delay": "5s", "window": "30s"},
                    "placement": {
                        "max_replicas_per_node": 1,
                        "preferences": [{"spread": "node.labels.zone"}],
                    },
                    "resources": {"limits": {"cpus": "0.5", "memory": "512m"}},
                },
                "healthcheck": {"test": ["CMD", "true"], "interval": "10s", "retries": 3},
            }
        }
    }


def _paths(tree, prefix=()):
    yield prefix
    if isinstance(tree, (dict, list)):
        children = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, child in children:
            yield from _paths(child, (*prefix, key))


def _replace(tree, path, value):
    if not path:
        return value
    *parents, last = path
    node = tree
    for key in parents:
        node = node[key]
    node[last] = value
    return tree


@FUZZ
@given(
    kind=st.sampled_from(["deployment", "compose"]),
    choice=st.integers(min_value=0),
    value=TREE,
)
def test_random_yaml_trees_load_or_fail_in_one_line(tmp_path_factory, kind, choice, value):
    document = _deployment() if kind == "deployment" else _compose()
    paths = list(_paths(document))
    document = _replace(document, paths[choice % len(paths)], value)
    path = tmp_path_factory.mktemp("yaml") / "m.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _loads_cleanly(lambda: read_manifests([path]))
    _loads_cleanly(lambda: load_inputs([path]))


@FUZZ
@given(
    rows=st.lists(
        st.tuples(st.one_of(NUMBER_TEXT, HOSTILE_TEXT), st.one_of(NUMBER_TEXT, HOSTILE_TEXT)),
        max_size=4,
    ),
    header=st.sampled_from(["time_s,rps", "time,rps", "t,rps", "time_s,requests_per_s"]),
)
def test_random_profile_csv_answers_cleanly(tmp_path_factory, rows, header):
    path = tmp_path_factory.mktemp("csv") / "profile.csv"
    lines = [header, *(f"{a},{b}" for a, b in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_clean(*invoke("autoscale", "--profile", path, "--format", "json"))


@FUZZ
@given(name=st.sampled_from([*INPUT_NAMES, "name"]), value=TREE)
def test_python_api_scenario_raises_value_error(name, value):
    _loads_cleanly(lambda: Scenario(**{name: value}))


@FUZZ
@given(text=st.one_of(st.text(max_size=30), NUMBER_TEXT, st.from_regex(r"[0-9]{1,400}[smh]")))
def test_durations_and_quantities_are_finite_or_refused(text):
    for parse in (parse_duration_s, parse_quantity):
        try:
            value = parse(text)
        except ValueError as error:
            assert "\n" not in str(error)
        else:
            assert math.isfinite(value) and value >= 0


# -- the classes of issue 20, one example each -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "-N", "1,inf"],
        ["sweep", "-N", "1:1e400"],
        ["plan", "-N", "1,nan", "--target-availability", "99.9"],
        ["report", "-R", "1e308"],
        ["simulate", "--horizon-h", "1e308"],
        ["report", "-N", "99999999999999999999999"],
        ["plan", "--node-cost", "nan", "--target-availability", "99.9"],
        ["plan", "--runners-up", "-1", "--target-availability", "99.9"],
        ["sweep", "-N", "1:10000000", "-R", "1:100", "-P", "1:100"],
        ["sweep", "-N", "1:100000", "-R", "1:100"],
        ["plan", "-N", "1:100000000", "--target-availability", "99.9"],
        ["report", "--instances", "1000000000"],
        ["simulate", "--horizon-h", "1e15"],
        ["report", "--simulate", "100000", "--instances", "100000"],
        ["report", "-N", "100000", "--format", "html", "--out", "x.html"],
        ["--max-input-mb", "nan", "report"],
        ["report", "--out", "r.txt", "--csv", "./r.txt"],
        [
            "plan",
            "--target-availability",
            "99",
            "--confidence",
            "0.9",
            "--set",
            "node_mttf_h=lognormal(700, 3)",
            "--samples",
            "1000000",
        ],
        ["whatif", "--event", "drain", "-N", "100000"],
        ["whatif", "--event", "drain", "--surge-nodes", "99999999999"],
        ["autoscale", "--days", "100000000"],
        ["sweep", "-N", "1000", "--instances", "10000000"],
    ],
)
def test_refused_in_one_line(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(*args)
    assert_clean(code, out, err)
    assert code == 2
    assert list(tmp_path.iterdir()) == []


def test_big_requests_state_their_size():
    _, _, err = invoke("sweep", "-N", "1:100000", "-R", "1:100")
    assert "10,000,000 scenarios" in err and "out=DIR" in err
    _, _, err = invoke("simulate", "--horizon-h", "1e15")
    assert "events" in err and "--horizon-h" in err
    _, _, err = invoke("report", "--instances", "1000000000")
    assert "1,000,000,000" in err


def test_a_profile_too_long_to_step_through_is_refused(tmp_path):
    path = tmp_path / "profile.csv"
    path.write_text("time_s,rps\n0,1\n1e15,1\n")
    code, out, err = invoke("autoscale", "--profile", path)
    assert_clean(code, out, err)
    assert code == 2 and "spans" in err and "shorter profile" in err


def test_bare_haplan_prints_the_help_summary():
    code, out, err = invoke()
    assert (code, err) == (0, "")
    assert out.startswith("Usage: haplan") and "report" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("scenario = 5\n", "must be a table"),
        ("scenario = [1, 2]\n", "must be a table"),
        ("[nodes]\na = 1\n", "must be a single number"),
        ("nodes = [1, 2]\n", "must be a single number"),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("name = [1]\n", "name="),
    ],
)
def test_toml_structure_errors(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    code, out, err = invoke("report", path)
    assert_clean(code, out, err)
    assert code == 2 and message in err


DEPLOYMENT_HEAD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (
            DEPLOYMENT_HEAD + "      containers: [{name: c, image: x}]\n"
            "      topologySpreadConstraints: 5\n",
            "topologySpreadConstraints=5 is not a list",
        ),
        (
            DEPLOYMENT_HEAD + "      containers: [{name: c, image: x}]\n"
            "      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution:"
            " [{topologyKey: kubernetes.io/hostname, labelSelector: {matchExpressions: 5}}]}}\n",
            "matchExpressions=5 is not a list",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
            "spec: {selector: {app: web}, ports: 5}\n---\n"
            + DEPLOYMENT_HEAD
            + "      containers: [{name: c, image: x}]\n",
            "ports=5 is not a list",
        ),
        (
            "services:\n  web:\n    image: x\n    deploy:\n      placement:\n"
            "        preferences: 3\n",
            "preferences=3 is not a list",
        ),
        ("services: " + "[" * 3000 + "]" * 3000 + "\n", "nested more than"),
    ],
)
def test_yaml_structure_errors(tmp_path, text, message):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    code, out, err = invoke("report", path)
    assert_clean(code, out, err)
    assert code == 2 and message in err


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for letter in "bcdefghij":
        lines.append(f"{letter}: &{letter} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = letter
    return (
        "\n".join(lines) + f"\nservices:\n  web:\n    image: x\n    container_name: *{previous}\n"
    )


def test_yaml_alias_bomb_is_refused_before_expansion(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb())
    code, out, err = invoke("report", path)
    assert_clean(code, out, err)
    assert code == 2 and "aliases" in err


def test_ordinary_aliases_still_load(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(
        "x-deploy: &deploy {replicas: 4}\nservices:\n  web: {image: x, deploy: *deploy}\n"
    )
    assert read_manifests([path]).scenario_values["instances"] == 4


def test_input_size_limit_and_how_to_raise_it(tmp_path, monkeypatch):
    padding = "#" * (2 * 2**20) + "\n"
    manifest, scenario = tmp_path / "big.yaml", tmp_path / "big.toml"
    manifest.write_text("services:\n  web: {image: x}\n" + padding)
    scenario.write_text("nodes = 4\n" + padding)
    monkeypatch.setenv("HAPLAN_MAX_INPUT_MB", "1")
    for path in (manifest, scenario):
        code, out, err = invoke("report", path)
        assert_clean(code, out, err)
        assert code == 2 and "--max-input-mb" in err and "HAPLAN_MAX_INPUT_MB" in err
    code, out, err = invoke("--max-input-mb", "5", "report", scenario, "--format", "json")
    assert (code, err) == (0, "")
    monkeypatch.setenv("HAPLAN_MAX_INPUT_MB", "5")
    assert read_manifests([manifest]).scenario_values["instances"] == 1


def test_markup_in_names_is_printed_intact(tmp_path):
    for name in ("svc [/]", "prod [eu-west]"):
        path = tmp_path / "s.toml"
        path.write_text(toml_dumps({"name": name}))
        code, out, err = invoke("report", path)
        assert (code, err) == (0, "")
        assert f"haplan report — {name}" in out


def test_a_name_cannot_forge_an_error_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(toml_dumps({"name": "x", "orchestrator": "k\nhaplan: error: forged"}))
    code, out, err = invoke("report", path)
    assert code == 2 and err.count("\n") == 1 and "\\nhaplan: error: forged" in err


def test_markdown_escapes_names():
    text = markdown_escape("<script>x</script> [a](javascript:b) \n## h | c")
    assert "<" not in text and "\n" not in text and not re.search(r"(?<!\\)\]\(", text)
    assert "\\|" in text and "\\#\\#" in text


def test_quote_escapes_and_cuts():
    shown = quote("a\x1b[31m\n" * 100)
    assert "\x1b" not in shown and "\n" not in shown and "characters)" in shown
    assert len(shown) < 100
    assert quote(10**5000).startswith("<int>") or "characters" in quote(10**5000)


def test_python_api_refuses_none_and_huge():
    with pytest.raises(ValueError, match="nodes=None"):
        Scenario(nodes=None)
    with pytest.raises(ValueError, match="nodes="):
        Scenario(nodes=10**400)
    with pytest.raises(ValueError, match="replicas="):
        Scenario(replicas=1e308)
    with pytest.raises(ValueError, match="duration"):
        parse_duration_s("1" + "0" * 400 + "s")


def test_dask_without_the_extra_names_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    for command in (["sweep", "-N", "2,3"], ["simulate", "--replications", "2"]):
        code, out, err = invoke(*command, "--dask", "local")
        assert code == 2 and "pip install 'haplan[dask]'" in err, err


# -- output files ------------------------------------------------------------------------------


def test_out_and_csv_naming_one_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "same.out").write_text(SENTINEL)
    os.symlink("same.out", tmp_path / "link.out")
    for csv in ("same.out", "./same.out", str(tmp_path / "same.out"), "link.out"):
        code, out, err = invoke("report", "--out", "same.out", "--csv", csv)
        assert_clean(code, out, err)
        assert code == 2 and "same file" in err
    assert (tmp_path / "same.out").read_text() == SENTINEL


def test_overwrite_keeps_mode_and_follows_symlinks(tmp_path):
    target = tmp_path / "private.csv"
    target.write_text("old\n")
    target.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    import pandas as pd

    write_csv(pd.DataFrame({"a": [1]}), link)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_text() == "a\n1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "private.csv"]


def test_failed_write_leaves_no_temp_file_and_names_the_path(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text(SENTINEL)

    def explode(handle):
        handle.write("half")
        raise KeyboardInterrupt

    from haplan import export

    with pytest.raises(KeyboardInterrupt):
        export._atomic_write(target, explode)
    assert target.read_text() == SENTINEL
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    if os.geteuid() != 0:  # root writes anywhere
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        try:
            with pytest.raises(OSError) as raised:
                write_text("x", folder / "report.txt")
            assert raised.value.filename == str(folder / "report.txt")
            assert ".tmp" not in str(raised.value)
        finally:
            folder.chmod(0o700)


def test_sigterm_during_a_write_removes_the_temp_file(tmp_path):
    import signal

    target = tmp_path / "out.txt"

    def killed(handle):
        handle.write("half")
        os.kill(os.getpid(), signal.SIGTERM)

    from haplan import export

    with pytest.raises(SystemExit):
        export._atomic_write(target, killed)
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_numpy_scalar_names_and_values_pass():
    scenario = Scenario(nodes=np.int64(4), replicas=np.float64(2.0), name="n")
    assert (scenario.nodes, scenario.instances) == (4, 8)


HOSTILE_MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: "web[/]\\e[31m<script>", namespace: "ns\\e[2J"}
spec:
  replicas: 3
  selector: {matchLabels: {app: "w\\e]0;t\\a"}}
  template:
    metadata: {labels: {app: "w\\e]0;t\\a"}}
    spec:
      containers:
        - name: "c[/]\\e[1m\\n## h"
          image: x
          resources: {requests: {cpu: 100m, memory: 64Mi}}
          readinessProbe: {periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: "svc\\e[31m[/]", namespace: "ns\\e[2J"}
spec:
  type: "Load\\e[5mBalancer"
  selector: {app: "w\\e]0;t\\a"}
  ports: [{port: 80, protocol: "T\\e[0mCP"}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: "pdb\\e[31m[/]", namespace: "ns\\e[2J"}
spec: {minAvailable: 2, selector: {matchLabels: {app: "w\\e]0;t\\a"}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: "hpa\\e[31m", namespace: "ns\\e[2J"}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: "web[/]\\e[31m<script>"}
  minReplicas: 3
  maxReplicas: 6
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "cm\\e[31m\\n[/]"}
"""


@pytest.mark.parametrize(
    "args",
    [
        ["report"],
        ["report", "--format", "markdown"],
        ["report", "--format", "json"],
        ["whatif"],
        ["whatif", "--event", "rollout"],
        ["autoscale"],
        ["plan", "--target-availability", "99.9"],
        ["simulate", "--replications", "3"],
        ["sweep", "-N", "3,4"],
        ["report", "--workload", "\x1b[31mnope\nhaplan: error: forged"],
    ],
)
def test_hostile_names_in_manifests_never_reach_the_terminal_raw(tmp_path, args):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_MANIFEST, encoding="utf-8")
    code, out, err = invoke(args[0], path, *args[1:])
    assert_clean(code, out, err)
    if "--workload" not in args:
        assert code == 0, err
    if "markdown" in args:
        assert "<script" not in out and "\n## h" not in out


def test_a_failed_rename_names_the_users_path_and_removes_the_temp_file(
    tmp_path, monkeypatch, capsys
):
    from haplan import export

    def refuse(source, target):
        raise PermissionError(13, "Permission denied", source)

    monkeypatch.setattr(export.os, "replace", refuse)
    target = tmp_path / "row.csv"
    with pytest.raises(OSError) as raised:
        write_text("x", target)
    assert raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []
    code = main(["report", "--csv", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert str(target) in err and ".tmp" not in err and "Permission denied" in err
