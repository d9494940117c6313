"""The Monte Carlo cross-check (``haplan.simulate.compare_with_analytic``) as text and
as JSON.
"""

from __future__ import annotations

import io
import json

import pandas as pd
from rich.console import Console
from rich.table import Table

from haplan.analysis import SIMULATION_HORIZON_H, SIMULATION_SEED, Analysis
from haplan.report.formatting import format_number, json_value

__all__ = ["render_simulation_text", "render_simulation_json"]


def _simulation_text(data: Analysis) -> str:
    return render_simulation_text(
        data.simulation,
        SIMULATION_HORIZON_H,
        data.simulation_replications,
        SIMULATION_SEED,
    )


def render_simulation_text(table: pd.DataFrame, horizon_h: float, replications: int, seed) -> str:
    """The Monte Carlo comparison as a terminal table, with a note when nothing happened."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, no_color=True, highlight=False, emoji=False)
    grid = Table(
        title=f"Monte Carlo: {replications} replications x {horizon_h:g} h, seed {seed}",
        title_justify="left",
    )
    for column in ("metric", "simulated", "95 % CI", "analytic", "z"):
        grid.add_column(column, justify="left" if column == "metric" else "right")
    for metric, row in table.iterrows():
        interval = f"{format_number(row['ci_low'])} – {format_number(row['ci_high'])}"
        grid.add_row(
            str(metric),
            format_number(row["simulated"]),
            interval,
            format_number(row["analytic"]),
            "n/a" if pd.isna(row["z"]) else f"{row['z']:+.2f}",
        )
    console.print(grid)
    warning = _nothing_simulated(table)
    if warning:
        console.print(warning)
    models = sorted(set(table["analytic_model"].dropna()) - {"none", ""})
    console.print(
        "analytic values from: " + (", ".join(models) or "none (no closed form for this case)")
    )
    return buffer.getvalue()


def _never(table: pd.DataFrame, metric: str) -> bool:
    """Whether no replication saw ``metric`` happen (estimate and spread both 0)."""
    return (
        metric in table.index
        and table.loc[metric, "simulated"] == 0
        and table.loc[metric, "se"] == 0
    )


def _nothing_simulated(table: pd.DataFrame) -> str:
    """A warning when the run saw no service outage, or no capacity shortfall either."""
    outage = _never(table, "service_unavailability")
    shortfall = not _never(table, "capacity_unavailability")
    if outage and not shortfall:
        return (
            "No outage was simulated: lengthen --horizon-h or add --replications before "
            "reading these numbers."
        )
    if outage:
        return (
            "No service outage (fewer than min_instances up) was simulated, but capacity "
            "shortfalls were: lengthen --horizon-h or add --replications before reading the "
            "service-only numbers."
        )
    return ""


def render_simulation_json(table: pd.DataFrame) -> str:
    """The Monte Carlo comparison as JSON: one object per metric."""
    document = {
        str(metric): {name: json_value(value) for name, value in row.items()}
        for metric, row in table.iterrows()
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
