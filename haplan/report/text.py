"""The terminal report (rich tables, no colour)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from haplan._safe import escape_controls
from haplan.analysis import Analysis
from haplan.report.autoscale import autoscale_lines
from haplan.report.formatting import format_number
from haplan.report.plan import render_plan
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
from haplan.report.timeline import timeline_total_lines

__all__ = ["render_text"]


def _print_section(console: Console, section: Section, rows) -> None:
    table = Table(title=section.title, title_justify="left", show_header=True)
    table.add_column("metric", no_wrap=True)
    table.add_column("meaning")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for item, value in rows:
        table.add_row(item.name, item.label, format_row(item, value), item.unit)
    console.print(table)
    if section.note:
        console.print(section.note)


def render_text(data: Analysis, *, width: int = 100) -> str:
    """Terminal report: the verdict lines and the SLO headline first, then the inputs and
    one table per section (rich, no colour)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    row = data.row
    console.print(_title(data.name), markup=False, soft_wrap=True)
    console.print("Verdict")
    lines = verdict_lines(data.verdict)
    for status, message in lines:
        text = f"  {status}  {message}" if status else f"  {message}"
        console.print(text, markup=False, soft_wrap=True)
    if len(lines) == 1:
        console.print(f"  {NO_TARGET_HINT}", markup=False, soft_wrap=True)
    if data.uncertainty is not None:
        console.print("Uncertainty")
        console.print(f"  {uncertainty_title(data)}", markup=False, soft_wrap=True)
        for line in data.uncertainty.verdict_lines():
            console.print(f"  {line}", markup=False, soft_wrap=True)
        tornado = Table(
            title="What moves the SLO nines most", title_justify="left", show_header=True
        )
        for _, header in TORNADO_COLUMNS:
            tornado.add_column(escape(header))
        for cells in tornado_rows(data):
            tornado.add_row(*cells)
        console.print(tornado)
    inputs = Table(title="Inputs", title_justify="left", show_header=True)
    inputs.add_column("input")
    inputs.add_column("value", justify="right")
    if data.sources:
        inputs.add_column("from")
    for name, value, source in input_rows(data):
        inputs.add_row(escape(name), escape(value), *([escape(source)] if data.sources else []))
    sections = report_sections(row, data.slo)
    _print_section(console, *sections[0])
    console.print(inputs)
    for section, rows in sections[1:]:
        _print_section(console, section, rows)
    stages = Table(title="Recovery stages", title_justify="left", show_header=True)
    stages.add_column("event")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for event in ("node_failure", "container_crash"):
        for stage, seconds in _stage_lines(data, event):
            stages.add_row(event, escape(stage), format_number(seconds))
    console.print(stages)
    if data.disruptions:
        console.print("Disruptions")
        for timeline in data.disruptions:
            console.print(f"  {timeline.event}", markup=False, soft_wrap=True)
            for line in timeline_total_lines(timeline):
                console.print(f"    {line}", markup=False, soft_wrap=True)
    if data.autoscaling is not None:
        a = data.autoscaling
        console.print(f"Autoscaling over {a.profile_name}", markup=False)
        for line in autoscale_lines(a.fixed, a.hpa, a.recommendation):
            console.print(f"  {line}", markup=False, soft_wrap=True)
    if data.manifest is not None:
        console.print("From the manifests")
        for line in manifest_lines(data.manifest):
            console.print(f"  {escape_controls(line)}", markup=False, soft_wrap=True)
    if data.plan is not None:
        target = 100 * data.plan.target_availability
        console.print(f"Recommendation for {target:.6g} % availability")
        console.print(render_plan(data.plan).rstrip("\n"), markup=False, soft_wrap=True)
    for note in data.notes:
        console.print(escape_controls(note), markup=False)
    text = buffer.getvalue()
    if data.simulation is not None:
        text += _simulation_text(data)
    return text
