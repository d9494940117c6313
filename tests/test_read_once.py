"""Each input file is read and parsed once per ``haplan report`` / ``haplan plan`` run.

Deciding on cluster mode reads the YAML inputs; the path chosen then (cluster mode, or one
workload through :mod:`haplan.manifests`) takes the documents already parsed instead of
reading the files again. The tests count every ``open`` of an input file and every YAML parse
of it (the bounded loader of :mod:`haplan.manifests.documents`).
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest

from haplan.cli import main
from haplan.cluster import load_cluster
from haplan.cluster.inputs import ClusterFiles, build_cluster
from haplan.manifests import documents

DATA = Path(__file__).resolve().parents[1] / "data"
EXPORT = DATA / "clusters" / "shop-export.yaml"
THREE = DATA / "manifests" / "three-workloads"
ONE = DATA / "manifests" / "api-rolling-update.yaml"
SCENARIO = DATA / "scenarios" / "default.toml"


@pytest.fixture
def reads(monkeypatch):
    """Counters of opens and YAML parses, by resolved path."""
    opens: Counter = Counter()
    parses: Counter = Counter()
    real_open = io.open

    def counting_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            opens[Path(file).resolve()] += 1
        return real_open(file, *args, **kwargs)

    class CountingLoader(documents._BoundedLoader):
        def __init__(self, stream, where):
            parses[Path(where).resolve()] += 1
            super().__init__(stream, where)

    monkeypatch.setattr(io, "open", counting_open)  # Path.open and read_text call io.open
    monkeypatch.setattr(documents, "_BoundedLoader", CountingLoader)
    return opens, parses


def _yamls(*inputs: Path) -> list[Path]:
    out = []
    for path in inputs:
        out.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return [p.resolve() for p in out if p.suffix == ".yaml"]


@pytest.mark.parametrize(
    "args, files",
    [
        # one workload: decided on the manifest, then read through haplan.manifests
        (("report", ONE), _yamls(ONE)),
        (("report", THREE, "--workload", "web"), _yamls(THREE)),
        # several workloads, an export: cluster mode
        (("report", THREE, "--node-type", "e2-standard-2", "-N", "9", "--set", "zones=3"),
         _yamls(THREE)),
        (("report", EXPORT), _yamls(EXPORT)),
        (("report", EXPORT, "--workload", "api"), _yamls(EXPORT)),
        (("report", SCENARIO, THREE, "--node-type", "e2-standard-2", "-N", "3"),
         [*_yamls(THREE), SCENARIO.resolve()]),
        # plan: cluster mode whenever manifests are given
        (("plan", ONE, "--node-type", "e2-standard-2", "--target-availability", "99.9"),
         _yamls(ONE)),
        (("plan", THREE, "--set", "zones=3", "--node-type", "e2-standard-2"), _yamls(THREE)),
        (("plan", EXPORT, "-N", "9", "--node-type", "m6i.xlarge"), _yamls(EXPORT)),
    ],
    ids=[
        "report-manifest",
        "report-directory-one-workload",
        "report-directory",
        "report-export",
        "report-export-one-workload",
        "report-scenario-and-directory",
        "plan-manifest",
        "plan-directory",
        "plan-export",
    ],
)  # fmt: skip
def test_each_input_file_is_read_and_parsed_once(capsys, reads, args, files):
    opens, parses = reads
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    assert captured.out
    assert {f: opens[f] for f in files} == dict.fromkeys(files, 1)
    yamls = [f for f in files if f.suffix == ".yaml"]
    assert {f: parses[f] for f in yamls} == dict.fromkeys(yamls, 1)
    assert set(parses) == set(yamls)  # and no other file parsed as YAML
    assert documents._read.get() is None  # the parsed documents are handed on only inside


def test_several_workloads_without_nodes_fail_as_before_after_one_read(capsys, reads):
    # cluster mode decided on the files, then refused for want of nodes
    opens, parses = reads
    code = main(["report", str(THREE)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith("haplan: error: a cluster report needs nodes")
    files = _yamls(THREE)
    assert {f: (opens[f], parses[f]) for f in files} == dict.fromkeys(files, (1, 1))


def test_one_workload_beside_a_scenario_reads_its_manifest_once(capsys, reads):
    # The .toml is read by haplan.inputs.load_inputs itself as well; the manifest once.
    opens, parses = reads
    code = main(["report", str(SCENARIO), str(ONE)])
    assert code == 0 and capsys.readouterr().err == ""
    assert (opens[ONE.resolve()], parses[ONE.resolve()]) == (1, 1)


def test_a_broken_manifest_fails_as_before_and_is_read_once(capsys, reads, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Deployment\n  metadata: [\n", encoding="utf-8")
    opens, parses = reads
    opens.clear()  # the write above
    code = main(["report", str(bad)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith(f"haplan: error: {bad}: is not valid YAML at line 2")
    assert (opens[bad.resolve()], parses[bad.resolve()]) == (1, 1)


def test_building_twice_from_one_read_gives_load_clusters_cluster(reads):
    opens, parses = reads
    files = ClusterFiles([SCENARIO, EXPORT])
    first = build_cluster(files)
    second = build_cluster(files, {"request_rate_rps": 500.0})
    assert (opens[EXPORT], parses[EXPORT], opens[SCENARIO]) == (1, 1, 1)
    assert set(files.documents_read) == {EXPORT}
    again = load_cluster([SCENARIO, EXPORT])
    assert first.workloads == again.workloads and first.notes == again.notes
    assert first.daemonsets == again.daemonsets and first.base == again.base
    assert first.pool.node_names == again.pool.node_names
    assert [w.scenario.request_rate_rps for w in second.workloads] == [500.0] * 3
    assert second.workloads != first.workloads


def test_handed_on_documents_replace_the_read_only_inside(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text("kind: Service\nmetadata: {name: web}\n", encoding="utf-8")
    read = documents.load_documents(path)
    path.write_text("kind: Service\nmetadata: {name: changed}\n", encoding="utf-8")
    with documents.documents_read({path: read}):
        assert documents.load_documents(path) == read
    assert documents.load_documents(path)[0][1]["metadata"]["name"] == "changed"
