"""A failure-history fit (``haplan.fit.FitResult``) as text and as JSON."""

from __future__ import annotations

import io
import json

import pandas as pd
from rich.console import Console
from rich.table import Table

from haplan.report.formatting import format_number, json_value

__all__ = ["FIT_COLUMNS", "render_fit_text", "render_fit_json"]


#: The columns of a fit table a report shows.
FIT_COLUMNS = ("family", "parameters", "mean_h", "ci_low_h", "ci_high_h", "aic", "delta_aic")


def render_fit_text(result, *, prefix: str = "node", distributions: bool = False) -> str:
    """A failure-history fit (``haplan.fit.FitResult``) as text: the statement, the
    lifetime and repair tables, and the TOML snippet of scenario inputs."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False, emoji=False)
    console.print(f"Fit of {result.source}: {result.n_units} units", markup=False)
    console.print(result.statement, markup=False, soft_wrap=True)
    for title, table in (("Lifetimes (up periods)", result.lifetimes), ("Repairs", result.repairs)):
        out = Table(title=title, title_justify="left", show_header=True)
        for column in FIT_COLUMNS:
            out.add_column(
                column, justify="left" if column in ("family", "parameters") else "right"
            )
        for _, row in table.iterrows():
            out.add_row(
                *(
                    str(row[c]) if c in ("family", "parameters") else format_number(row[c])
                    for c in FIT_COLUMNS
                )
            )
        console.print(out)
    console.print(
        result.toml(prefix, distributions=distributions), markup=False, end="", soft_wrap=True
    )
    return buffer.getvalue()


def render_fit_json(result, *, prefix: str = "node") -> str:
    """A failure-history fit as JSON: the point values, their intervals and distributions,
    the statement and both tables."""

    def rows(table: pd.DataFrame) -> list[dict]:
        return [{c: json_value(row[c]) for c in table.columns} for _, row in table.iterrows()]

    document = {
        "source": result.source,
        "units": result.n_units,
        "confidence": result.confidence,
        "statement": result.statement,
        "values": {k: json_value(v) for k, v in result.scenario_values(prefix).items()},
        "intervals": {
            f"{prefix}_mttf_h": [json_value(result.mttf_low_h), json_value(result.mttf_high_h)],
            f"{prefix}_mttr_h": [json_value(result.mttr_low_h), json_value(result.mttr_high_h)],
        },
        "distributions": result.uncertainty(prefix),
        "lifetimes": rows(result.lifetimes),
        "repairs": rows(result.repairs),
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
