"""A load profile through fixed replicas and through the HPA, and the HPA recommendation, as
text and as JSON."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from haplan.report.formatting import format_number, json_value

__all__ = ["render_autoscale_text", "autoscale_json", "autoscale_lines", "RECOMMEND_COLUMNS"]

#: The recommendation table's columns: (column of ``Recommendation.candidates``, header).
RECOMMEND_COLUMNS = (
    ("min_replicas", "min"),
    ("max_replicas", "max"),
    ("target_utilization", "target"),
    ("instance_hours", "instance-hours"),
    ("ready_at_peak", "ready at peak"),
    ("worst_p99_ms", "worst p99 [ms]"),
    ("reason", "why it fails"),
)


def _fixed_lines(fixed) -> list[str]:
    t = fixed.totals
    return [
        f"fixed {t['instances']} instances over {format_number(t['duration_s'] / 3600)} h "
        f"(mean {format_number(t['mean_rps'])} req/s, peak {format_number(t['peak_rps'])}):",
        f"  below target {format_number(t['minutes_below_target_per_day'])} min a day "
        f"({100 * t['share_below_target']:.3g} % of the time), worst p99 "
        f"{format_number(t['worst_p99_ms'])} ms, SLO availability weighted by time "
        f"{format_number(100 * t['slo_availability'])} % ({format_number(t['slo_nines'])} "
        f"nines), {format_number(t['instance_hours'])} instance-hours",
    ]


def _hpa_lines(result) -> list[str]:
    t, s = result.totals, result.settings
    return [
        f"HPA min {s['min_replicas']}, max {s['max_replicas']}, target "
        f"{100 * s['target_utilization']:.3g} % CPU:",
        f"  short of capacity {format_number(t['time_short_s'])} s "
        f"({100 * t['short_share']:.3g} %), below target "
        f"{format_number(t['time_below_target_s'])} s, worst p99 "
        f"{format_number(t['worst_p99_ms'])} ms",
        f"  replicas mean {format_number(t['mean_replicas'])}, most {t['max_replicas']}, "
        f"{t['scaling_events']} scaling events, {format_number(t['instance_hours'])} "
        "instance-hours",
    ]


def _advice_lines(advice) -> list[str]:
    if advice is None:
        return []
    if advice.best is None:
        return ["No HPA setting searched keeps every target through the profile."]
    b = advice.best
    return [
        f"Recommended HPA: minReplicas {int(b['min_replicas'])}, maxReplicas "
        f"{int(b['max_replicas'])}, target {100 * b['target_utilization']:.3g} % CPU "
        f"({format_number(b['instance_hours'])} instance-hours, worst p99 "
        f"{format_number(b['worst_p99_ms'])} ms, {format_number(b['ready_at_peak'])} pods "
        "ready at the peak)"
    ]


def autoscale_lines(fixed, result, advice=None) -> list[str]:
    """The fixed-instance and HPA totals and the recommendation, as lines."""
    return _fixed_lines(fixed) + _hpa_lines(result) + _advice_lines(advice)


def render_autoscale_text(fixed, result, advice=None) -> str:
    """The profile through fixed replicas (``over_profile``), through the HPA
    (``simulate_hpa``) and, when given, the recommendation (``recommend``) as text."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False, emoji=False)
    for line in _fixed_lines(fixed) + _hpa_lines(result) + _advice_lines(advice):
        console.print(line, markup=False, soft_wrap=True)
    if advice is not None and len(advice.candidates):
        table = Table(title="HPA settings searched", title_justify="left", show_header=True)
        for column, header in RECOMMEND_COLUMNS:
            table.add_column(escape(header), justify="left" if column == "reason" else "right")
        for _, row in advice.candidates.iterrows():
            table.add_row(
                *(
                    str(row[c]) or "keeps every target" if c == "reason" else format_number(row[c])
                    for c, _ in RECOMMEND_COLUMNS
                )
            )
        console.print(table)
    return buffer.getvalue()


def autoscale_json(fixed, result, advice=None) -> dict[str, object]:
    """The same as JSON: the fixed and HPA totals, the HPA settings, the recommendation."""

    def totals(values: dict) -> dict:
        return {k: json_value(v) for k, v in values.items()}

    settings = {
        k: (v if isinstance(v, (dict, list, tuple)) else json_value(v))
        for k, v in result.settings.items()
    }
    document = {
        "fixed": totals(fixed.totals),
        "hpa": {"settings": settings, "totals": totals(result.totals)},
    }
    if advice is not None:
        document["recommendation"] = {
            "best": None
            if advice.best is None
            else {c: json_value(advice.best[c]) for c, _ in RECOMMEND_COLUMNS},
            "candidates": [
                {c: json_value(row[c]) for c, _ in RECOMMEND_COLUMNS}
                for _, row in advice.candidates.iterrows()
            ],
        }
    return document
