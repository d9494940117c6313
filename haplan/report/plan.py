"""The planner's answer (``haplan.plan``) as text and as JSON."""

from __future__ import annotations

import math

import pandas as pd

from haplan.availability import instances_per_node
from haplan.report.formatting import format_input, format_nines, format_number, json_value
from haplan.scenario import INPUT_NAMES

__all__ = ["PLAN_COLUMNS", "plan_json", "render_plan"]


#: The columns of a planner candidate in JSON.
PLAN_COLUMNS = ("nodes", "replicas", "instances", "cost", "slo_nines", "p99_response_ms")


def plan_json(result) -> dict[str, object]:
    """The planner's answer as JSON: the target, the best candidate (or null) and the
    cheaper candidates with the reason each fails."""
    best = result.best
    document = {
        "target_availability": json_value(result.target_availability),
        "best": None if best is None else {name: json_value(best[name]) for name in PLAN_COLUMNS},
        "cheaper_rejected": [
            {**{name: json_value(r[name]) for name in PLAN_COLUMNS}, "reason": r["reason"]}
            for _, r in result.cheaper_rejected().iterrows()
        ],
    }
    if result.warnings:  # the best sits on the edge of the search
        document["warnings"] = list(result.warnings)
    return document


def _searched(result) -> list[str]:
    """Inputs besides nodes and replicas that vary over the candidates: the search's other
    axes (e.g. ``--set zones=1,3``), named on each candidate's line."""
    table = result.candidates
    return [
        name
        for name in INPUT_NAMES
        if name not in ("nodes", "replicas", "instances")
        and name in table
        and table[name].dropna().map(str).nunique() > 1
    ]


def _axes_text(row: pd.Series, names) -> str:
    return "".join(f", {name} {format_input(name, row[name])}" for name in names)


def _per_node(row: pd.Series) -> str:
    """Instances per node as the scheduler spreads them: "2", or "2–3" for 23 on 9 nodes."""
    counts = instances_per_node(int(row["nodes"]), int(row["instances"]))
    low, high = int(counts.min()), int(counts.max())
    return f"{low}" if low == high else f"{low}–{high}"


def _size(row: pd.Series) -> str:
    instances, nodes = int(row["instances"]), int(row["nodes"])
    return f"{instances} instances on {nodes} nodes ({_per_node(row)} per node)"


def _candidate_line(row: pd.Series, axes=()) -> str:
    parts = [
        f"{_size(row)}{_axes_text(row, axes)}",
        f"cost {format_number(row['cost'])}",
    ]
    slo_nines = row.get("slo_nines", math.nan)
    if not pd.isna(slo_nines):
        parts.append(f"SLO nines {format_nines(slo_nines)}")
    if "p99_response_ms" in row and not pd.isna(row["p99_response_ms"]):
        parts.append(f"p99 {format_number(row['p99_response_ms'])} ms")
    if "recovery_node_failure_s" in row and not pd.isna(row["recovery_node_failure_s"]):
        parts.append(f"recovery {format_number(row['recovery_node_failure_s'])} s")
    if "utilization" in row and not pd.isna(row["utilization"]):
        parts.append(f"utilisation {100 * row['utilization']:.0f} %")
    if "probability_met" in row and not pd.isna(row["probability_met"]):
        parts.append(f"meets the targets with probability {row['probability_met']:.3g}")
    return ", ".join(parts)


def render_plan(result, *, runners_up: int = 3) -> str:
    """The planner's answer as text: the best candidate, runners-up, and cheaper rejects."""
    target = 100 * result.target_availability
    axes = _searched(result)
    lines = []
    if result.best is None:
        lines.append(f"No candidate in the search grid meets {target:.6g} % availability.")
    else:
        lines.append(f"Cheapest cluster meeting {target:.6g} % availability:")
        lines.append(f"  {_candidate_line(result.best, axes)}")
        lines += [f"  warning: {text}" for text in result.warnings]
        others = result.runners_up(runners_up)
        if len(others):
            lines.append("Runners-up:")
            lines += [f"  {_candidate_line(row, axes)}" for _, row in others.iterrows()]
    lines += rejected_lines(result, axes)
    return "\n".join(lines) + "\n"


#: Up to this many rejected candidates are listed one a line; more are grouped by reason.
REJECTED_LISTED = 6
#: Candidates shown for each reason once grouped: the most expensive, nearest the answer.
REJECTED_PER_REASON = 2
_REASONS = {
    "utilisation": "over the utilisation ceiling",
    "availability": "below the availability target",
    "p99": "over the p99 target",
    "recovery": "over the recovery target",
}


def _rejected_line(row: pd.Series, axes) -> str:
    return (
        f"{int(row['instances'])} on {int(row['nodes'])} nodes"
        f"{_axes_text(row, axes)} (cost {format_number(row['cost'])}): {row['reason']}"
    )


def rejected_groups(result, axes=()) -> list[tuple[str, int, list[str]]]:
    """The rejected candidates grouped by the constraint they fail: (reason, how many,
    the lines of the :data:`REJECTED_PER_REASON` most expensive ones, nearest the answer)."""
    rejected = result.cheaper_rejected()
    kinds = rejected["reason"].astype(str).str.split().str[0]
    groups = []
    for kind in pd.unique(kinds):
        part = rejected[kinds == kind]
        shown = part.iloc[-REJECTED_PER_REASON:]
        groups.append(
            (
                _REASONS.get(kind, kind),
                len(part),
                [_rejected_line(row, axes) for _, row in shown.iterrows()],
            )
        )
    return groups


def rejected_lines(result, axes=None) -> list[str]:
    """The cheaper (or all, when none is feasible) rejected candidates: each on a line when
    few, else grouped by reason with a few of each shown."""
    axes = _searched(result) if axes is None else axes
    rejected = result.cheaper_rejected()
    if not len(rejected):
        return []
    lead = "Cheaper candidates" if result.best is not None else "Candidates"
    if len(rejected) <= REJECTED_LISTED:
        return [f"{lead} and why they fail:"] + [
            f"  {_rejected_line(row, axes)}" for _, row in rejected.iterrows()
        ]
    lines = [
        f"{lead} and why they fail ({len(rejected)}, grouped by reason; the "
        f"{REJECTED_PER_REASON} nearest the answer of each shown):"
    ]
    for reason, count, shown in rejected_groups(result, axes):
        lines.append(f"  {reason}: {count} candidate{'s' if count != 1 else ''}")
        lines += [f"    {line}" for line in shown]
        if count > len(shown):
            lines.append(f"    … and {count - len(shown)} more, cheaper")
    return lines


def plan_markdown(result, request_rate_rps: float) -> list[str]:
    """The planner's answer as Markdown paragraphs and lists (no code block)."""
    target = 100 * result.target_availability
    axes = _searched(result)
    lines = []
    if result.best is None:
        lines.append(f"**No candidate in the search grid meets {target:.6g} % availability.**")
    else:
        best = result.best
        lines.append(
            f"**The cheapest cluster that carries {format_number(request_rate_rps)} req/s at "
            f"{target:.6g} %: {int(best['nodes'])} nodes × {format_number(best['replicas'])} "
            f"instances per node = {int(best['instances'])} instances**"
            f"{_axes_text(best, axes)} — {_candidate_line(best, ()).split(', ', 1)[1]}."
        )
        lines += [f"\n> Warning: {text}" for text in result.warnings]
        others = result.runners_up(3)
        if len(others):
            lines += ["", "Runners-up:", ""]
            lines += [f"- {_candidate_line(row, axes)}" for _, row in others.iterrows()]
    rejected = rejected_lines(result, axes)
    if rejected:
        lines += ["", rejected[0], ""]
        for line in rejected[1:]:
            depth = (len(line) - len(line.lstrip(" "))) // 2 - 1
            lines.append("  " * depth + "- " + line.strip())
    return lines
