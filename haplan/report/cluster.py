"""A cluster as text, Markdown, HTML and JSON: the pool, every workload's verdict, headroom.

Formats a :class:`haplan.cluster.ClusterAssessment` and a :class:`haplan.cluster.ClusterPlan`;
nothing here computes a model.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd

from haplan._safe import escape_controls, markdown_escape
from haplan.report.formatting import format_nines, format_number, format_percent, json_value
from haplan.report.tables import html_table, markdown_table

__all__ = [
    "cluster_tables",
    "render_cluster",
    "cluster_json",
    "render_cluster_plan",
    "cluster_plan_json",
    "CLUSTER_CSV_COLUMNS",
]

#: The per-workload columns a cluster CSV leads with (the metrics columns follow).
CLUSTER_CSV_COLUMNS = (
    "workload",
    "instances",
    "doc_replicas_per_node",
    "pods_per_node_min",
    "pods_per_node_max",
    "pending",
    "slo_met",
    "slo_availability",
    "slo_nines",
    "target_availability",
    "p99_response_ms",
    "target_p99_ms",
    "survives_failure",
    "after_failure_running",
    "after_failure_needed",
    "room_per_node",
    "placement_unavailability",
)


def _money(value: float) -> str:
    return "unpriced" if not np.isfinite(value) else f"${value:,.2f}"


def _pool_line(assessment) -> str:
    pool = assessment.pool
    types = pd.Series(pool.node_type).value_counts()
    shape = ", ".join(f"{count} × {name}" for name, count in types.items())
    zones = ", ".join(f"{z} {n}" for z, n in assessment.nodes_per_zone().items())
    cost = f"{_money(pool.cost_per_hour_usd())}/h, {_money(pool.cost_per_month_usd())}/month"
    return f"{pool.nodes} nodes ({shape}) over {pool.zones} zone(s) [{zones}]; {cost}"


def _verdict_line(assessment) -> str:
    failure = {
        "none": "",
        "node": " and survives losing any node",
        "zone": " and survives losing any zone",
    }[assessment.planned_failure]
    if assessment.ok:
        return f"PASS: every pod fits, every workload meets its targets{failure}."
    return "FAIL: " + "; ".join(assessment.reasons()) + "."


def _target(value, percent=False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_percent(value) if percent else format_number(value)


def cluster_tables(assessment) -> dict[str, pd.DataFrame]:
    """The report's two tables as text cells: ``workloads`` and ``nodes``."""
    rows = assessment.rows
    workloads = pd.DataFrame(
        {
            "workload": rows.index,
            "pods": rows["instances"].astype(int).to_numpy(),
            "per node": [
                f"{int(a)}–{int(b)}" if a != b else f"{int(a)}"
                for a, b in zip(rows["pods_per_node_min"], rows["pods_per_node_max"], strict=True)
            ],
            "pending": rows["pending"].astype(int).to_numpy(),
            "SLO availability": [format_percent(v) for v in rows["slo_availability"]],
            "nines": [format_nines(v) for v in rows["slo_nines"]],
            "target": [_target(v, percent=True) for v in rows["target_availability"]],
            "p99 ms": [format_number(v) for v in rows["p99_response_ms"]],
            "p99 target": [_target(v) for v in rows["target_p99_ms"]],
            f"after losing a {assessment.planned_failure}": [
                f"{int(r)} run, {int(n)} needed"
                for r, n in zip(
                    rows["after_failure_running"], rows["after_failure_needed"], strict=True
                )
            ],
            "verdict": [
                "pass" if ok else "FAIL"
                for ok in (
                    rows["slo_met"].astype(bool)
                    & rows["survives_failure"].astype(bool)
                    & (rows["pending"] == 0)
                )
            ],
        }
    )
    head = assessment.placement.headroom()
    names = list(rows.index)
    nodes = pd.DataFrame(
        {
            "node": head["node"],
            "zone": head["zone"],
            "pods": [
                " ".join(f"{n}:{int(c)}" for n, c in zip(names, counts, strict=True) if c) or "—"
                for counts in head[[f"pods_{n}" for n in names]].to_numpy()
            ],
            "CPU free": [
                f"{f:.2f} of {a:.2f}"
                for f, a in zip(head["cpu_free"], head["cpu_allocatable"], strict=True)
            ],
            "memory free GiB": [
                f"{f:.2f} of {a:.2f}"
                for f, a in zip(
                    head["memory_free_gib"], head["memory_allocatable_gib"], strict=True
                )
            ],
            "pods free": [
                f"{int(f)} of {int(m)}"
                for f, m in zip(head["pods_free"], head["pods_max"], strict=True)
            ],
        }
    )
    return {"workloads": workloads, "nodes": nodes}


def _text_table(table: pd.DataFrame) -> list[str]:
    cells = [list(map(str, table.columns))] + [
        [escape_controls(v) for v in row] for row in table.astype(str).to_numpy().tolist()
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    ]


def _cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return list(map(str, table.columns)), table.astype(str).to_numpy().tolist()


def render_cluster(assessment, output_format: str = "text", notes=()) -> str:
    """The cluster report in ``"text"``, ``"markdown"`` or ``"html"``."""
    tables = cluster_tables(assessment)
    all_notes = [*notes, *assessment.notes]
    pool, verdict = _pool_line(assessment), _verdict_line(assessment)
    if output_format == "html":
        items = "".join(f"<li>{html.escape(escape_controls(n))}</li>" for n in all_notes)
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>haplan cluster report</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>"
            f"<h1>Cluster</h1><p><strong>{html.escape(verdict)}</strong></p>"
            f"<p>{html.escape(pool)}</p><h2>Workloads</h2>{html_table(*_cells(tables['workloads']))}"
            f"<h2>Nodes: what each runs and has left</h2>{html_table(*_cells(tables['nodes']))}"
            + (f"<h2>Notes</h2><ul>{items}</ul>" if items else "")
            + "</body></html>\n"
        )
    if output_format == "markdown":
        lines = [
            "# Cluster",
            "",
            f"**{markdown_escape(verdict)}**",
            "",
            markdown_escape(pool),
            "",
            "## Workloads",
            "",
            *markdown_table(*_cells(tables["workloads"])),
            "",
            "## Nodes: what each runs and has left",
            "",
            *markdown_table(*_cells(tables["nodes"])),
        ]
        if all_notes:
            lines += ["", "## Notes", "", *(f"- {markdown_escape(n)}" for n in all_notes)]
        return "\n".join(lines) + "\n"
    lines = [
        escape_controls(verdict),
        f"Cluster: {escape_controls(pool)}",
        "Workloads:",
        *_text_table(tables["workloads"]),
        "Nodes (free = allocatable − requests, DaemonSets included):",
        *_text_table(tables["nodes"]),
    ]
    if all_notes:
        lines += ["Notes:", *(f"  - {escape_controls(n)}" for n in all_notes)]
    return "\n".join(lines) + "\n"


def cluster_json(assessment, notes=()) -> dict:
    """The cluster report as a JSON-ready dict."""
    rows = assessment.rows
    head = assessment.placement.headroom()
    return {
        "ok": assessment.ok,
        "verdict": _verdict_line(assessment),
        "planned_failure": assessment.planned_failure,
        "nodes_per_zone": assessment.nodes_per_zone(),
        "cost_per_hour_usd": json_value(assessment.pool.cost_per_hour_usd()),
        "workloads": [
            {
                "workload": name,
                **{k: json_value(v) for k, v in row.items() if k in CLUSTER_CSV_COLUMNS},
            }
            for name, row in rows.iterrows()
        ],
        "nodes": [{k: json_value(v) for k, v in r.items()} for _, r in head.iterrows()],
        "notes": [*notes, *assessment.notes],
    }


def render_cluster_json(assessment, notes=()) -> str:
    """:func:`cluster_json` as indented JSON text."""
    return json.dumps(cluster_json(assessment, notes), indent=2, ensure_ascii=False) + "\n"


def cluster_csv_frame(assessment) -> pd.DataFrame:
    """One row per workload: the cluster columns first, then every metric."""
    rows = assessment.rows.reset_index().rename(columns={"index": "workload"})
    first = [c for c in CLUSTER_CSV_COLUMNS if c in rows.columns]
    return rows[first + [c for c in rows.columns if c not in first]]


def today_line(assessment) -> str:
    """One line on the cluster as it runs: its pool, price and verdict."""
    return f"Today: {_pool_line(assessment)}\n  {_verdict_line(assessment)}\n"


def _candidate_line(row: pd.Series, workloads) -> str:
    pods = ", ".join(
        f"{w} {int(row[f'instances_{w}'])}" for w in workloads if pd.notna(row[f"instances_{w}"])
    )
    per_zone = int(row["nodes"]) // int(row["zones"])
    zones = f" ({per_zone} per zone × {int(row['zones'])})" if row["zones"] > 1 else ""
    text = (
        f"{int(row['nodes'])} × {row['node_type']}{zones}: {_money(row['cost_per_hour_usd'])}/h, "
        f"{_money(row['cost_per_month_usd'])}/month"
    )
    return text + (f"; pods {pods}" if pods else "")


def render_cluster_plan(plan, runners_up: int = 3, rejected: int = 8) -> str:
    """The cluster planner's answer as terminal text."""
    workloads = [
        c[len("instances_") :] for c in plan.candidates.columns if c.startswith("instances_")
    ]
    lines = []
    if plan.best is None:
        lines.append("No candidate cluster meets every target.")
    else:
        best = plan.feasible.iloc[0]
        failure = plan.best.planned_failure
        survive = "" if failure == "none" else f" and surviving the loss of any {failure}"
        lines += [
            f"Cheapest cluster meeting every workload's targets{survive}:",
            f"  {escape_controls(_candidate_line(best, workloads))}",
        ]
        for name, row in plan.best.rows.iterrows():
            lines.append(
                f"  {escape_controls(name)}: {int(row['instances'])} pods "
                f"({int(row['pods_per_node_min'])}–{int(row['pods_per_node_max'])} per node), "
                f"SLO availability {format_percent(row['slo_availability'])}, "
                f"p99 {format_number(row['p99_response_ms'])} ms, after losing a {failure}: "
                f"{int(row['after_failure_running'])} run / "
                f"{int(row['after_failure_needed'])} needed"
            )
        ups = plan.runners_up(runners_up)
        if len(ups):
            lines.append("Runners-up:")
            lines += [
                f"  {escape_controls(_candidate_line(r, workloads))}" for _, r in ups.iterrows()
            ]
    cheaper = plan.cheaper_rejected()
    if len(cheaper):
        lines.append(f"Cheaper candidates and why they fail ({len(cheaper)}):")
        for _, row in cheaper.head(rejected).iterrows():
            lines.append(
                f"  {escape_controls(_candidate_line(row, []))}: {escape_controls(row['reason'])}"
            )
        if len(cheaper) > rejected:
            lines.append(f"  … and {len(cheaper) - rejected} more (the CSV lists every candidate)")
    lines += [f"Warning: {escape_controls(w)}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def cluster_plan_json(plan) -> dict:
    """The cluster planner's answer as a JSON-ready dict."""
    return {
        "best": None if plan.best is None else cluster_json(plan.best),
        "candidates": [
            {k: json_value(v) for k, v in r.items()} for _, r in plan.candidates.iterrows()
        ],
        "warnings": list(plan.warnings),
    }
