"""Render a scenario's metrics as a report: terminal text, Markdown or JSON.

The report is a thin shell over ``haplan.metrics``: it picks rows from the metrics table,
labels them and formats numbers. Nothing here computes a model.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from haplan.scenario import INPUT_NAMES

__all__ = ["SECTIONS", "report_sections", "render_text", "render_markdown", "render_json"]


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    unit: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]
    note: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "The article's formulas (verbatim)",
        (
            Row("doc_total_containers", "C = N × R, total container instances", "count"),
            Row("doc_balancer_load_rps", "L = N / R × P, 'load of the load balancer'", "req/s"),
            Row("doc_recovery_time_s", "T = N / R × S, 'failure recovery time'", "s"),
        ),
        "L grows with N and is not a per-node load; T is a time only because haplan reads S "
        "as seconds per unit of N/R. haplan's own models below are what the planner uses.",
    ),
    Section(
        "Load under even balancing",
        (
            Row("per_node_load_rps", "requests per node", "req/s"),
            Row("per_instance_load_rps", "requests per instance", "req/s"),
            Row("utilization", "instance utilisation", "fraction"),
        ),
    ),
)


def format_input(name: str, value) -> str:
    """Format an input value; an unset ``repair_crews`` reads "unlimited"."""
    if name == "repair_crews" and (
        value is None or (isinstance(value, float) and math.isnan(value))
    ):
        return "unlimited"
    return format_number(value)


def format_number(value) -> str:
    """Format a metric for people: integers plainly, tiny probabilities in scientific form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    if abs(value) < 1e-3 or abs(value) >= 1e9:
        return f"{value:.3e}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.1f}"


def report_sections(row: pd.Series) -> list[tuple[Section, list[tuple[Row, object]]]]:
    """The sections whose metrics are present in ``row``, with each row's value."""
    values = row.to_dict()
    out = []
    for section in SECTIONS:
        present = [(r, values[r.name]) for r in section.rows if r.name in values]
        if present:
            out.append((section, present))
    return out


def _title(name: str) -> str:
    return f"haplan report — {name}" if name else "haplan report"


def render_text(row: pd.Series, *, name: str = "", width: int = 100) -> str:
    """Terminal report: an inputs table, then one table per section (rich, no colour)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    console.print(_title(name))
    inputs = Table(title="Inputs", title_justify="left", show_header=True)
    inputs.add_column("input")
    inputs.add_column("value", justify="right")
    for name in INPUT_NAMES:
        inputs.add_row(name, format_input(name, row[name]))
    console.print(inputs)
    for section, rows in report_sections(row):
        table = Table(title=section.title, title_justify="left", show_header=True)
        table.add_column("metric")
        table.add_column("meaning")
        table.add_column("value", justify="right")
        table.add_column("unit")
        for item, value in rows:
            table.add_row(item.name, item.label, format_number(value), item.unit)
        console.print(table)
        if section.note:
            console.print(section.note)
    return buffer.getvalue()


def render_markdown(row: pd.Series, *, name: str = "") -> str:
    """Markdown report with the same sections as the terminal one."""
    lines = [f"# {_title(name)}", "", "## Inputs", "", "| input | value |", "|---|---:|"]
    lines += [f"| `{name}` | {format_input(name, row[name])} |" for name in INPUT_NAMES]
    for section, rows in report_sections(row):
        lines += ["", f"## {section.title}", "", "| metric | meaning | value | unit |"]
        lines += ["|---|---|---:|---|"]
        for item, value in rows:
            lines.append(f"| `{item.name}` | {item.label} | {format_number(value)} | {item.unit} |")
        if section.note:
            lines += ["", section.note]
    return "\n".join(lines) + "\n"


def json_value(value):
    """A JSON-safe scalar: numpy types to Python, inf as the string "inf", NaN as null."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return value


def render_json(row: pd.Series) -> str:
    """One JSON object ``{"inputs": {...}, "metrics": {...}}`` with vocabulary names."""
    inputs = {name: json_value(row[name]) for name in INPUT_NAMES}
    metric_names = [c for c in row.index if c not in INPUT_NAMES]
    metrics = {name: json_value(row[name]) for name in metric_names}
    return json.dumps({"inputs": inputs, "metrics": metrics}, indent=2, allow_nan=False) + "\n"
