"""Reports with figures: a self-contained HTML page, and Markdown with PNG files beside it.

Renderers of an :class:`haplan.analysis.Analysis`: the page leads with the verdict and the SLO
headline; the figures are ``haplan.plots`` drawn from the analysis' figure tables (computed
once by ``haplan.analysis.analyse(..., figures=True)``). The HTML page embeds every figure
as a PNG data URI and loads nothing from the network. The figures are made and encoded one
at a time (:func:`haplan.plots._png.png_all`: one Agg draw each, where savefig makes two).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from haplan import plots
from haplan.analysis import SIMULATION_HORIZON_H, SIMULATION_SEED, Analysis
from haplan.export import write_bytes, write_text
from haplan.plots._png import png_all
from haplan.report import (
    NO_TARGET_HINT,
    TORNADO_COLUMNS,
    autoscale_lines,
    format_nines,
    format_number,
    format_row,
    input_rows,
    render_markdown,
    report_sections,
    timeline_total_lines,
    tornado_rows,
    uncertainty_title,
    verdict_lines,
)
from haplan.report.captions import figure_caption
from haplan.report.plan import REJECTED_LISTED, rejected_groups
from haplan.report.tables import html_table

__all__ = ["figure_caption", "report_figures", "render_html", "write_markdown_report"]


def report_figures(data: Analysis) -> dict[str, object]:
    """The report's figures (title → matplotlib Figure), drawn from ``data.figures``."""
    return {title: make() for title, make in _figure_makers(data).items()}


def _figure_makers(data: Analysis) -> dict[str, Callable[[], object]]:
    """What :func:`report_figures` draws: title → a call that makes the figure (so the pages
    can make and encode them one at a time, or share them out)."""
    tables = data.figures
    if tables is None:
        raise ValueError(
            "the analysis has no figure tables: call haplan.analysis.analyse(..., figures=True)"
        )
    s = data.scenario
    target = data.row.get("target_availability")
    target = None if target is None or pd.isna(target) else float(target)
    p99 = data.row.get("target_p99_ms")
    p99 = None if p99 is None or pd.isna(p99) else float(p99)
    recovery = data.row.get("target_recovery_s")
    recovery = None if recovery is None or pd.isna(recovery) else float(recovery)
    mark = {"nodes": s.nodes, "replicas": s.replicas}
    figures: dict[str, Callable[[], object]] = {
        "SLO nines against replicas per node": partial(
            plots.availability_vs_replicas,
            tables.by_replicas,
            value="slo_nines",
            target_availability=target,
            mark=mark,
        ),
        "SLO nines over nodes and replicas": partial(
            plots.heatmap,
            tables.by_replicas,
            value="slo_nines",
            target_availability=target,
            mark=mark,
        ),
        "Load, latency and SLO nines against nodes": partial(
            plots.load_and_latency,
            tables.by_nodes,
            max_utilization=s.max_utilization,
            target_availability=target,
            target_p99_ms=p99,
            mark={"nodes": s.nodes},
        ),
        "Recovery after a node failure, by orchestrator": partial(
            plots.recovery_breakdown,
            tables.stages,
            article_time_s=tables.article_time_s,
            target_recovery_s=recovery,
            mark=s.orchestrator if isinstance(s.orchestrator, str) else None,
        ),
    }
    if tables.candidates is not None:
        figures["Cost against SLO nines: the planner's candidates"] = partial(
            plots.pareto_frontier,
            tables.candidates,
            tables.front,
            y="slo_nines",
            target_availability=target,
            mark=mark,
        )
    if data.simulation is not None:
        figures["Monte Carlo against the analytic models"] = partial(
            plots.simulation_vs_analytic, data.simulation
        )
    for timeline in data.disruptions:
        figures[f"Timeline: {timeline.event}"] = partial(
            plots.timeline, timeline.frame, title=timeline.event, stages=timeline.stages
        )
    if data.autoscaling is not None:
        settings = data.autoscaling.hpa.settings
        figures[
            f"The HPA ({settings['min_replicas']}–{settings['max_replicas']} replicas at "
            f"{100 * settings['target_utilization']:.3g} % CPU) over "
            f"{data.autoscaling.profile_name}"
        ] = partial(plots.autoscaling, data.autoscaling.hpa.frame)
    if data.sensitivity is not None:
        figures["What moves the SLO nines most (inputs at their 5 % and 95 % points)"] = partial(
            plots.tornado, data.sensitivity, target_availability=target
        )
    return figures


def _pngs(figures) -> list[bytes]:
    """Figures (or calls that make them) as PNG bytes at 100 dpi, in order."""
    return png_all(figures, dpi=100)  # constrained layout already fits


def _plan_html(data: Analysis) -> str:
    result = data.plan
    target = 100 * result.target_availability
    parts = [f"<h2>Recommendation for {target:.6g} % availability</h2>"]
    if result.best is None:
        parts.append("<p>No candidate in the search grid meets the target.</p>")
    else:
        best = result.best
        parts.append(
            f'<p class="answer">The cheapest cluster that carries '
            f"{format_number(data.scenario.request_rate_rps)} req/s at "
            f"{target:.6g} %: <strong>{int(best['nodes'])} nodes × "
            f"{format_number(best['replicas'])} instances per node = "
            f"{int(best['instances'])} instances</strong> (cost {format_number(best['cost'])}, "
            f"{format_nines(best['slo_nines'])} SLO nines, p99 "
            f"{format_number(best['p99_response_ms'])} ms).</p>"
        )
        others = result.runners_up(3)
        if len(others):
            rows = [
                [
                    str(int(r["nodes"])),
                    format_number(r["replicas"]),
                    format_number(r["cost"]),
                    format_nines(r["slo_nines"]),
                    format_number(r["p99_response_ms"]),
                ]
                for _, r in others.iterrows()
            ]
            parts.append("<h3>Runners-up</h3>")
            parts.append(
                html_table(
                    ["nodes", "replicas", "cost", "SLO nines", "p99 [ms]"], rows, {0, 1, 2, 3, 4}
                )
            )
    rejected = result.cheaper_rejected()
    if len(rejected) > REJECTED_LISTED:
        parts.append(
            f"<h3>Cheaper candidates and why they fail ({len(rejected)}, grouped by reason)</h3>"
        )
        rows = [
            [reason, str(count), "; ".join(shown)]
            for reason, count, shown in rejected_groups(result)
        ]
        parts.append(
            html_table(["fails", "candidates", "the nearest the answer (N x R)"], rows, {1})
        )
    elif len(rejected):
        rows = [
            [
                str(int(r["nodes"])),
                format_number(r["replicas"]),
                format_number(r["cost"]),
                r["reason"],
            ]
            for _, r in rejected.iterrows()
        ]
        parts.append("<h3>Cheaper candidates and why they fail</h3>")
        parts.append(html_table(["nodes", "replicas", "cost", "reason"], rows, {0, 1, 2}))
    return "\n".join(parts)


def _ports(ports) -> str:
    """Service ports as "80→8080/TCP" items."""
    if not isinstance(ports, list):
        return "" if ports is None else str(ports)
    items = []
    for p in ports:
        if isinstance(p, dict):
            target = p.get("target_port")
            arrow = f"→{target}" if target not in (None, p.get("port")) else ""
            items.append(f"{p.get('port')}{arrow}/{p.get('protocol') or 'TCP'}")
        else:
            items.append(str(p))
    return ", ".join(items)


def _manifest_html(manifest) -> str:
    parts = [
        f"<h2>From the manifests</h2><p>{html.escape(manifest.workload_kind)} "
        f"<code>{html.escape(manifest.workload_name)}</code> in "
        f"<code>{html.escape(str(manifest.source))}</code>.</p>"
    ]
    if manifest.resources:
        rows = [
            [
                str(r.get("container", "")),
                format_number(r.get("cpu_request_cores")),
                format_number(r.get("cpu_limit_cores")),
                format_number(r.get("memory_request_bytes")),
                format_number(r.get("memory_limit_bytes")),
            ]
            for r in manifest.resources
        ]
        header = ["container", "cpu request", "cpu limit", "memory request [B]", "memory limit [B]"]
        parts.append("<h3>Resources per instance</h3>" + html_table(header, rows, {1, 2, 3, 4}))
    if manifest.services:
        rows = [
            [str(v.get("name", "")), str(v.get("type", "")), _ports(v.get("ports"))]
            for v in manifest.services
        ]
        parts.append("<h3>Services</h3>" + html_table(["name", "type", "ports"], rows))
    if manifest.placement:
        rows = [
            [
                str(p.get("over", "")),
                str(p.get("topology_key", "")),
                str(p.get("rule", "")),
                "required" if p.get("required") else "preferred",
            ]
            for p in manifest.placement
        ]
        parts.append(
            "<h3>Placement rules</h3>" + html_table(["over", "topology key", "rule", "kind"], rows)
        )
    return "\n".join(parts)


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 980px; color: #1a1a1a; line-height: 1.45; padding: 0 1rem; }
h1 { border-bottom: 3px solid #0072B2; padding-bottom: .3rem; }
h2 { margin-top: 2.2rem; color: #0b3d66; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; }
th { background: #f3f6f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
figcaption { font-size: .9rem; color: #555; }
.answer { background: #eef6fc; border-left: 4px solid #0072B2; padding: .6rem .9rem; }
.note { color: #444; font-size: .93rem; }
code { background: #f3f6f9; padding: 0 .2rem; }
ul.verdict { list-style: none; padding-left: 0; }
ul.verdict li { padding: .3rem .6rem; margin: .2rem 0; border-left: 4px solid #999; }
ul.verdict li.pass { border-color: #009E73; background: #eef8f4; }
ul.verdict li.fail { border-color: #D55E00; background: #fcf0ea; }
.status { font-weight: 700; margin-right: .4rem; }
"""


def _section_html(section, rows) -> list[str]:
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    parts.append(
        html_table(
            ["metric", "meaning", "value", "unit"],
            [[i.name, i.label, format_row(i, v), i.unit] for i, v in rows],
            {2},
        )
    )
    if section.note:
        parts.append(f'<p class="note">{html.escape(section.note)}</p>')
    return parts


def render_html(data: Analysis, figures: dict[str, object] | None = None) -> str:
    """The report as one self-contained HTML page (figures as PNG data URIs): the verdict and
    the SLO headline first."""
    figures = _figure_makers(data) if figures is None else figures
    row = data.row
    title = f"haplan report — {data.name}" if data.name else "haplan report"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    lines = verdict_lines(data.verdict)
    parts.append("<h2>Verdict</h2>")
    parts.append(f'<p class="answer">{html.escape(lines[0][1])}</p>')
    items = [
        f'<li class="{status.lower()}"><span class="status">{status}</span>'
        f"{html.escape(message)}</li>"
        for status, message in lines[1:]
    ]
    if not items:
        items = [f"<li>{html.escape(NO_TARGET_HINT)}</li>"]
    parts.append('<ul class="verdict">' + "".join(items) + "</ul>")
    parts.append(
        f'<p class="note">{int(row["nodes"])} nodes running {int(row["instances"])} '
        f"instances ({format_number(row['replicas'])} per node), needing "
        f"{int(row['min_instances'])} up for the service and "
        f"{format_number(row['instances_needed'])} to carry "
        f"{format_number(row['request_rate_rps'])} req/s; p99 "
        f"{format_number(row['p99_response_ms'])} ms; "
        f"{format_number(row['recovery_node_failure_s'])} s to recover from a node failure on "
        f"{html.escape(str(row['orchestrator']))}. Model: "
        f"{html.escape(str(row['service_model']))}.</p>"
    )
    if data.uncertainty is not None:
        parts.append("<h2>Uncertainty</h2>")
        parts.append(f'<p class="note">{html.escape(uncertainty_title(data))}.</p>')
        parts.append(
            "<ul>"
            + "".join(f"<li>{html.escape(x)}</li>" for x in data.uncertainty.verdict_lines())
            + "</ul>"
        )
        parts.append("<h3>What moves the SLO nines most</h3>")
        parts.append(
            html_table([h for _, h in TORNADO_COLUMNS], tornado_rows(data), {2, 3, 4, 5, 6})
        )
    sections = report_sections(row, data.slo)
    parts += _section_html(*sections[0])
    if data.plan is not None:
        parts.append(_plan_html(data))
    parts.append("<h2>Inputs</h2>")
    parts.append(
        html_table(
            ["input", "value", "from"] if data.sources else ["input", "value"],
            [[n, v, f] if data.sources else [n, v] for n, v, f in input_rows(data)],
            {1},
        )
    )
    if data.disruptions:
        parts.append("<h2>Disruptions</h2>")
        for timeline in data.disruptions:
            parts.append(f"<h3>{html.escape(timeline.event)}</h3>")
            parts.append(
                "<ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in timeline_total_lines(timeline))
                + "</ul>"
            )
    if data.autoscaling is not None:
        a = data.autoscaling
        parts.append(f"<h2>Autoscaling over {html.escape(a.profile_name)}</h2>")
        lines = autoscale_lines(a.fixed, a.hpa, a.recommendation)
        parts.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>")
    if data.manifest is not None:
        parts.append(_manifest_html(data.manifest))
    for section, rows in sections[1:]:
        parts += _section_html(section, rows)
    stages = data.stages
    parts.append("<h2>Recovery stages</h2>")
    parts.append(
        html_table(
            ["event", "stage", "seconds"],
            [
                [e, st, format_number(sec)]
                for e, st, sec in stages[["event", "stage", "seconds"]].itertuples(index=False)
            ],
            {2},
        )
    )
    if data.simulation is not None:
        parts.append("<h2>Monte Carlo cross-check</h2>")
        parts.append(
            f'<p class="note">{data.simulation_replications} seeded replications of '
            f"{SIMULATION_HORIZON_H:g} h (seed {SIMULATION_SEED}), exponential "
            "lifetimes and repairs; z = (simulated − analytic) / standard error.</p>"
        )
        rows = [
            [
                str(metric),
                format_number(r["simulated"]),
                f"{format_number(r['ci_low'])} – {format_number(r['ci_high'])}",
                format_number(r["analytic"]),
                "n/a" if pd.isna(r["z"]) else f"{r['z']:+.2f}",
            ]
            for metric, r in data.simulation.iterrows()
        ]
        parts.append(
            html_table(["metric", "simulated", "95 % CI", "analytic", "z"], rows, {1, 2, 3, 4})
        )
    parts.append("<h2>Figures</h2>")
    for caption, png in zip(figures, _pngs(figures.values()), strict=True):
        encoded = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(figure_caption(caption))}</figcaption></figure>"
        )
    parts.append("<h2>Assumptions and notes</h2><ul>")
    parts += [f"<li>{html.escape(note)}</li>" for note in data.notes]
    parts.append(
        "<li>Nodes, zones and containers fail independently with exponential lifetimes and "
        "repairs (steady state); the Monte Carlo (<code>haplan simulate</code>) checks these "
        "numbers and relaxes the distributions.</li>"
        "<li>Requests arrive as a Poisson stream and each instance serves at "
        "<code>instance_capacity_rps</code> with exponential service times.</li>"
        "</ul>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_markdown_report(data: Analysis, path: str | Path) -> Path:
    """Write the Markdown report to ``path`` and its figures as PNG files beside it."""
    path = Path(path)
    folder = path.with_name(path.stem + "_figures")
    folder.mkdir(exist_ok=True)
    links = {}
    figures = _figure_makers(data)
    pngs = _pngs(figures.values())
    for number, (caption, png) in enumerate(zip(figures, pngs, strict=True), start=1):
        image = folder / f"figure_{number}.png"
        write_bytes(png, image)
        links[caption] = f"{folder.name}/{image.name}"
    return write_text(render_markdown(data, figures=links), path)
