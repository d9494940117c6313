"""A disruption's timeline (``haplan.disruptions.Timeline``) as text and as JSON."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from haplan.report.formatting import format_number, json_value

__all__ = ["TIMELINE_COLUMNS", "timeline_total_lines", "render_timeline_text", "timeline_json"]


#: The timeline table's columns: (column of ``Timeline.frame``, header).
TIMELINE_COLUMNS = (
    ("time_s", "time [s]"),
    ("stage", "stage"),
    ("instances_ready", "ready"),
    ("instances_pending", "pending"),
    ("utilization", "utilisation"),
    ("p99_response_ms", "p99 [ms]"),
    ("slo_ok", "SLO"),
)


def _strength_line(t: dict) -> str:
    full = t["time_to_full_strength_s"]
    if full == 0:
        return "never below full strength"
    if np.isinf(full):
        return "not back to full strength within the timeline"
    return f"back to full strength after {format_number(full)} s"


def timeline_total_lines(timeline) -> list[str]:
    """A disruption's totals as sentences."""
    t = timeline.totals
    lines = [
        f"below the SLO target for {format_number(t['time_below_target_s'])} s "
        f"({format_number(t['budget_spent_min'])} min of error budget"
        + (
            f", {100 * t['budget_share_30d']:.3g} % of the 30-day budget)"
            if not pd.isna(t["budget_share_30d"])
            else ")"
        ),
        f"fewest instances ready {t['fewest_ready']}, worst p99 "
        f"{format_number(t['worst_p99_ms'])} ms",
        _strength_line(t),
    ]
    if t.get("never_placed"):
        lines.append(f"{t['never_placed']} instance(s) never placed: the survivors lack room")
    if t.get("cut_at_horizon"):
        lines.append("still below target when the timeline ends: the budget spent is a floor")
    if t.get("blocked"):
        lines.append(str(t.get("blocked_reason", "blocked")))
    return lines


def _timeline_cell(column: str, value) -> str:
    if column == "stage":
        return str(value) or "—"
    if column == "slo_ok":
        return "ok" if value else "below"
    if column == "utilization":
        return "∞" if not np.isfinite(value) else f"{100 * value:.0f} %"
    return format_number(value)


def render_timeline_text(timeline) -> str:
    """A disruption as text: the event, its totals, then the timeline step by step."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False, emoji=False)
    console.print(timeline.event, markup=False, soft_wrap=True)
    for line in timeline_total_lines(timeline):
        console.print(f"  {line}", markup=False, soft_wrap=True)
    table = Table(title="Timeline", title_justify="left", show_header=True)
    for column, header in TIMELINE_COLUMNS:
        table.add_column(escape(header), justify="left" if column == "stage" else "right")
    for _, row in timeline.frame.iterrows():
        table.add_row(*(_timeline_cell(c, row[c]) for c, _ in TIMELINE_COLUMNS))
    console.print(table)
    return buffer.getvalue()


def timeline_json(timeline) -> dict[str, object]:
    """A disruption as JSON: the event, its totals and every step."""
    return {
        "event": timeline.event,
        "totals": {k: json_value(v) for k, v in timeline.totals.items()},
        "steps": [
            {c: json_value(row[c]) for c in timeline.frame.columns}
            for _, row in timeline.frame.iterrows()
        ],
    }
