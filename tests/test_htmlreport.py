"""HTML and Markdown reports: content, self-containment, manifests through the CLI, and a
real headless browser rendering the page."""

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from haplan.analysis import analyse
from haplan.cli import main
from haplan.htmlreport import render_html, report_figures
from haplan.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "data" / "manifests" / "article-deployment.yaml"
SECTIONS = (  # in page order
    "Verdict",
    "SLO headline (load-aware)",
    "Recommendation for 99.99 % availability",
    "Inputs",
    "From the manifests",
    "The article&#x27;s formulas (verbatim)",
    "Load under even balancing",
    "Availability components (service-only and capacity)",
    "Latency behind the balancer",
    "Headroom under the utilisation ceiling",
    "Recovery (the orchestrator&#x27;s pipeline)",
    "Recovery stages",
    "Figures",
    "Assumptions and notes",
)


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def article_html(tmp_path_factory):
    # With an availability target: the page recommends a cluster and plots the candidates.
    out = tmp_path_factory.mktemp("report") / "r.html"
    args = ["report", str(ARTICLE), "--nodes", "3", "--target-availability", "99.99"]
    assert main([*args, "--format", "html", "--out", str(out)]) == 0
    return out


def test_html_has_every_section_and_embedded_pngs(article_html):
    text = article_html.read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f">{title}</h2>" in text, title
    positions = [text.index(f">{title}</h2>") for title in SECTIONS]
    assert positions == sorted(positions)
    assert text.index("<h2>") == text.index("<h2>Verdict</h2>")  # the verdict leads
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 8  # 5, and a timeline for each of the 3 disruptions
    from matplotlib.image import imread

    for data in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = imread(io.BytesIO(png), format="png")  # decodes: a real picture
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300 and pixels.std() > 0.01
    # Self-contained: nothing is fetched (no remote or relative resource references).
    assert not re.search(r'(src|href)="(?!data:)', text)
    assert "my-deployment" in text and "my-service" in text
    assert "kubernetes (my-deployment manifest)" in text
    # The Inputs table says where each value came from.
    inputs = text[text.index("<h2>Inputs</h2>") : text.index("<h2>From the manifests</h2>")]
    assert "<thead><tr><th>input</th><th>value</th><th>from</th></tr></thead>" in inputs
    for name, value, source in [
        ("nodes", "3", "command line"),
        ("instances", "3", "manifest"),
        ("orchestrator", "kubernetes (my-deployment manifest)", "manifest"),
        ("node_mttf_h", "718.2", "default"),
        ("target_availability", "0.9999 (99.99 %)", "command line"),
        ("max_utilization", "0.7 (70 %)", "default"),
    ]:
        assert f'<tr><td>{name}</td><td class="num">{value}</td><td>{source}</td></tr>' in inputs


@pytest.mark.parametrize(
    ("target", "figures"),
    # A target adds the planner's figure; the three disruptions add a timeline each.
    [([], 7), (["--target-availability", "99.99"], 8)],
)
def test_markdown_writes_figures_beside_it(tmp_path, capsys, target, figures):
    out = tmp_path / "report.md"
    code, stdout, err = run(capsys, "report", *target, "--format", "markdown", "--out", out)
    assert (code, err) == (0, "")
    assert stdout == f"wrote markdown report to {out}\n"
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links == [f"report_figures/figure_{n}.png" for n in range(1, figures + 1)]
    for link in links:
        assert (tmp_path / link).read_bytes()[:4] == b"\x89PNG"
    assert ("## Recommendation for 99.99 % availability" in text) == bool(target)
    assert "| input | value | from |" in text


def test_report_from_manifest_uses_its_replicas_and_probes(capsys):
    code, out, _ = run(capsys, "report", ARTICLE, "--nodes", "5", "--format", "json")
    assert code == 0
    import json

    inputs = json.loads(out)["inputs"]
    assert (inputs["nodes"], inputs["instances"]) == (5, 3)  # spec.replicas: 3
    assert inputs["orchestrator"] == "kubernetes (my-deployment manifest)"


def test_set_stages_apply_on_top_of_the_manifest(capsys):
    # The manifest has no readiness probe (0 s); --set eviction_s=30 shortens the eviction
    # wait: 47.5 s detection + 30 s + 0.02 s scheduling + 2 s pull + 2 s start = 81.52 s.
    code, out, _ = run(capsys, "report", ARTICLE, "--set", "eviction_s=30", "--format", "json")
    assert code == 0
    import json

    assert json.loads(out)["metrics"]["recovery_node_failure_s"] == pytest.approx(81.52, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "html"], "--format html needs --out PATH (a single self-contained page)"),
        (["x.txt"], "input 'x.txt' is not known: give a .toml scenario and/or .yaml manifests"),
        (["--workload", "web"], "--workload selects a workload in .yaml manifests: give some"),
        (
            ["--target-availability", "100"],
            "--target-availability=100 is out of range: must be a percentage in [1, 100), e.g. "
            "99.95 (or --set target_availability=0.9995 as a fraction)",
        ),
        (
            ["--format", "html", "--out", "never.html", "-N", "3,4"],
            "nodes has 2 values but haplan report takes one: use haplan sweep or haplan plan for "
            "several",
        ),
    ],
)
def test_report_input_errors(capsys, tmp_path, args, message):
    out = tmp_path / "never.html"
    args = [out if a == "never.html" else a for a in args]
    code, stdout, err = run(capsys, "report", *args)
    assert (code, stdout, err) == (2, "", f"haplan: error: {message}\n")
    assert not out.exists()


def test_bad_manifest_is_one_line_and_writes_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Deployment\nspec: [unclosed\n")
    out = tmp_path / "r.html"
    code, stdout, err = run(capsys, "report", bad, "--format", "html", "--out", out)
    assert (code, stdout) == (2, "")
    assert err.startswith("haplan: error: ") and err.count("\n") == 1 and "bad.yaml" in err
    assert not out.exists()


def chromium_or_skip() -> str:
    """The chromium binary; install Debian's where this machine allows it, else skip."""
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            timeout=900,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
    found = shutil.which("chromium")
    if not found:
        pytest.skip("chromium is not installed and could not be installed here")
    return found


def test_html_renders_in_a_real_browser(article_html, tmp_path):
    browser = chromium_or_skip()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: the page must be self-contained
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = article_html.as_uri()
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    ).stdout
    assert "<h1>haplan report — my-deployment</h1>" in dom
    assert dom.count("data:image/png;base64,") == 8
    # Every image decodes in the browser and takes room on the page: a copy of the page
    # with a script that counts them, read back from the DOM.
    probe = tmp_path / "probe.html"
    check = (
        "<script>window.addEventListener('load', () => document.body.setAttribute("
        "'data-shown', [...document.images].filter(i => i.complete && i.naturalWidth > 300 "
        "&& i.getBoundingClientRect().height > 100).length));</script></body>"
    )
    probe.write_text(
        article_html.read_text(encoding="utf-8").replace("</body>", check), encoding="utf-8"
    )
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert 'data-shown="8"' in dom
    shot = tmp_path / "page.png"
    subprocess.run(
        [browser, *flags, "--window-size=1100,4000", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] == 4000 and pixels.shape[1] == 1100
    # Something was drawn: the page is not one flat colour.
    assert pixels[..., :3].std() > 0.05


def test_report_on_a_zoned_manifest_with_a_pdb(tmp_path, capsys):
    # 6 replicas, PDB minAvailable 80 % (k = 5), 3 zones: the figures' sweeps around the
    # scenario (and the planner's grid, with a target) skip the cells that cannot hold 5
    # instances instead of failing.
    manifest = ROOT / "data" / "manifests" / "web-zonal.yaml"
    for target, figures in (([], 7), (["--target-availability", "99.9"], 8)):
        out = tmp_path / "web.html"
        args = ("report", manifest, "-N", "6", *target, "--format", "html", "--out", out)
        code, stdout, err = run(capsys, *args)
        assert (code, stdout, err) == (0, f"wrote html report to {out}\n", "")
        assert out.read_text(encoding="utf-8").count("data:image/png;base64,") == figures


def test_render_html_is_thin_over_analyse():
    data = analyse(Scenario.default(), target_availability=0.999)
    page = render_html(data, figures={})
    assert page.startswith("<!DOCTYPE html>")
    assert "Recommendation for 99.9 % availability" in page
    assert "<figure>" not in page


def test_html_leads_with_the_failing_verdict_of_an_overloaded_service(overloaded_checkout):
    # 6 pods of 150 req/s at 2,000 req/s, targets 99.95 % and p99 200 ms.
    scenario = overloaded_checkout.with_overrides(target_availability=0.9995, target_p99_ms=200.0)
    page = render_html(analyse(scenario), figures={})
    body = page[page.index("<body>") :]
    verdict = body[body.index("<h2>Verdict</h2>") : body.index("<h2>SLO headline")]
    assert body.index("<h2>Verdict</h2>") == body.index("<h2>")
    assert (
        '<p class="answer">SLO availability 0.00 % (0 nines, 43,200 min down per 30 days) '
        "— 6 instances cannot carry 2,000 req/s under 70% utilisation: 20 are needed</p>"
    ) in verdict
    assert verdict.count('<li class="fail"><span class="status">FAIL</span>') == 2
    assert (
        "p99 ∞ ms: the service is overloaded at 2,000 req/s — it needs at least 14 instances "
        "to be stable, 20 to stay under 70% utilisation</li>"
    ) in verdict
    assert "<td>service_model</td><td>model</td>" in body
    assert '<td class="num">exact: placement convolution</td>' in body


def test_report_figures_need_the_figure_tables():
    with pytest.raises(ValueError) as raised:
        report_figures(analyse(Scenario.default()))
    assert str(raised.value) == (
        "the analysis has no figure tables: call haplan.analysis.analyse(..., figures=True)"
    )
    with pytest.raises(ValueError, match="figures=True"):
        render_html(analyse(Scenario.default()))  # the page draws them unless given figures


def test_report_figures_plot_the_load_aware_headline(overloaded_checkout):
    scenario = overloaded_checkout
    data = analyse(scenario, figures=True)
    figures = report_figures(data)
    assert list(figures) == [
        "SLO nines against replicas per node",
        "SLO nines over nodes and replicas",
        "Load, latency and SLO nines against nodes",
        "Recovery after a node failure, by orchestrator",
        *(f"Timeline: {timeline.event}" for timeline in data.disruptions),
    ]
    first, second, third = list(figures)[:3]
    (ax,) = figures[first].axes
    assert ax.get_ylabel() == "SLO nines (load-aware) [−log10 U]"
    # Only 5 x 4 and 6 x 4 instances reach the 20 that carry 2,000 req/s under 70 %; every
    # other cell is 0 SLO nines, never the service-only component's ten-odd nines.
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    three = ax.lines[legend.index("3")]
    assert list(three.get_ydata()) == [0.0, 0.0, 0.0, 0.0]
    assert max(max(line.get_ydata()) for line in ax.lines) < 6
    # the user's cluster is circled, at its 0 nines
    mine = f"your cluster (N={scenario.nodes:g}, R={scenario.replicas:g})"
    assert mine in legend
    (circle,) = [line for line in ax.lines if line.get_label() == mine]
    assert circle.get_ydata()[0] == 0.0
    heat_ax = figures[second].axes[0]
    assert heat_ax.get_title().startswith("SLO nines (load-aware)")
    # figure 3 adds nodes with the instances per node held: the instances grow with N, so
    # utilisation falls and an overloaded cluster becomes a healthy one along the axis
    tables = data.figures.by_nodes
    assert (tables["instances"] == tables["nodes"] * scenario.replicas).all()
    assert tables["utilization"].is_monotonic_decreasing
    load_ax, util_ax, latency_ax, nines_ax = figures[third].axes
    assert latency_ax.patches  # the overloaded node counts: a shaded, labelled region
    assert "overloaded: p99 unbounded\n(arrivals ≥ capacity)" in [
        t.get_text() for t in latency_ax.texts
    ]
    assert max(max(line.get_ydata()) for line in nines_ax.lines if len(line.get_ydata())) > 0


def test_captions_carry_the_five_nines_caveat():
    from haplan.plots import NINES_CAVEAT
    from haplan.report.captions import figure_caption

    assert figure_caption("SLO nines over nodes and replicas").endswith(NINES_CAVEAT)
    assert NINES_CAVEAT not in figure_caption("Recovery after a node failure, by orchestrator")
    page = render_html(analyse(Scenario.default(), figures=True))
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", page)
    assert sum("beyond about five nines" in c for c in captions) == 3


def test_notes_follow_the_headline_and_the_model(overloaded_checkout):
    # The five-nines caution keys on the load-aware headline: an overloaded service has
    # about ten service-only nines but 0 SLO nines, so no caution.
    overloaded = analyse(overloaded_checkout)
    assert overloaded.row["nines"] > 9 and overloaded.row["slo_nines"] == 0
    assert not any("nines assume independent failures" in n for n in overloaded.notes)
    default = analyse(Scenario.default())
    assert any(n.startswith("6.11 SLO nines assume independent failures") for n in default.notes)
    # Beyond the exact chain: the report says the figures are approximate.
    big = analyse(
        Scenario.default().with_overrides(
            nodes=12, instances=12, zones=3, zone_mttf_h=8766.0, reschedule=True, repair_crews=1
        )
    )
    assert big.row["service_model"].startswith("approximate: ")
    assert any(
        n.startswith("The availability figures come from an approximation") for n in big.notes
    )
