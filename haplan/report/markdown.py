"""The Markdown report: the terminal report's sections as Markdown tables and lists."""

from __future__ import annotations

from haplan._safe import markdown_escape
from haplan.analysis import Analysis
from haplan.report.autoscale import autoscale_lines
from haplan.report.captions import figure_caption
from haplan.report.formatting import format_number
from haplan.report.plan import plan_markdown
from haplan.report.sections import (
    NO_TARGET_HINT,
    TORNADO_COLUMNS,
    Section,
    _stage_lines,
    _title,
    format_row,
    input_rows,
    manifest_lines,
    report_sections,
    tornado_rows,
    uncertainty_title,
    verdict_lines,
)
from haplan.report.simulation import _simulation_text
from haplan.report.tables import markdown_table
from haplan.report.timeline import timeline_total_lines

__all__ = ["render_markdown"]


def render_markdown(data: Analysis, *, figures: dict[str, str] | None = None) -> str:
    """Markdown report with the same sections as the terminal one, the verdict first.

    ``figures`` maps a figure's title to an image path to link under the tables.
    """
    row = data.row
    lines = [f"# {markdown_escape(_title(data.name))}", "", "## Verdict", ""]
    verdicts = verdict_lines(data.verdict)
    lines += [
        f"- **{status}** {markdown_escape(message)}" if status else f"- {markdown_escape(message)}"
        for status, message in verdicts
    ]
    if len(verdicts) == 1:
        lines.append(f"- {NO_TARGET_HINT}")
    if data.plan is not None:
        target = 100 * data.plan.target_availability
        lines += ["", f"## Recommendation for {target:.6g} % availability", ""]
        lines += plan_markdown(data.plan, data.scenario.request_rate_rps)
    if data.uncertainty is not None:
        lines += ["", "## Uncertainty", "", uncertainty_title(data) + ".", ""]
        lines += [f"- {line}" for line in data.uncertainty.verdict_lines()]
        lines += ["", *markdown_table([h for _, h in TORNADO_COLUMNS], tornado_rows(data))]
    sections = report_sections(row, data.slo)

    def section_lines(section: Section, rows) -> list[str]:
        out = ["", f"## {section.title}", "", "| metric | meaning | value | unit |"]
        out += ["|---|---|---:|---|"]
        out += [
            f"| `{item.name}` | {item.label} | {format_row(item, value)} | {item.unit} |"
            for item, value in rows
        ]
        return out + (["", section.note] if section.note else [])

    lines += section_lines(*sections[0])
    if data.sources:
        lines += ["", "## Inputs", "", "| input | value | from |", "|---|---:|---|"]
        lines += [
            f"| `{name}` | {markdown_escape(value)} | {source} |"
            for name, value, source in input_rows(data)
        ]
    else:
        lines += ["", "## Inputs", "", "| input | value |", "|---|---:|"]
        lines += [f"| `{name}` | {markdown_escape(value)} |" for name, value, _ in input_rows(data)]
    for section, rows in sections[1:]:
        lines += section_lines(section, rows)
    lines += ["", "## Recovery stages", "", "| event | stage | seconds |", "|---|---|---:|"]
    for event in ("node_failure", "container_crash"):
        lines += [
            f"| {event} | {markdown_escape(st)} | {format_number(sec)} |"
            for st, sec in _stage_lines(data, event)
        ]
    if data.disruptions:
        lines += ["", "## Disruptions", ""]
        for timeline in data.disruptions:
            lines.append(f"- **{markdown_escape(timeline.event)}**")
            lines += [f"  - {markdown_escape(line)}" for line in timeline_total_lines(timeline)]
    if data.autoscaling is not None:
        a = data.autoscaling
        lines += ["", f"## Autoscaling over {markdown_escape(a.profile_name)}", ""]
        lines += [f"- {x}" for x in autoscale_lines(a.fixed, a.hpa, a.recommendation)]
    if data.manifest is not None:
        lines += ["", "## From the manifests", ""]
        lines += [f"- {markdown_escape(line)}" for line in manifest_lines(data.manifest)]
    if data.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {markdown_escape(note)}" for note in data.notes]
    if data.simulation is not None:
        lines += ["", "## Monte Carlo cross-check", "", "```"]
        lines += _simulation_text(data).rstrip("\n").split("\n") + ["```"]
    if figures:
        lines += ["", "## Figures"]
    for title, path in (figures or {}).items():
        lines += ["", f"![{title}]({path})", "", f"*{figure_caption(title)}*"]
    return "\n".join(lines) + "\n"
