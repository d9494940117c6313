"""``haplan fit``: MTTF and MTTR from a failure history."""

from __future__ import annotations

from pathlib import Path

import click

from haplan.cli.group import cli

__all__ = ["fit_command"]


@cli.command("fit")
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--window-start", help="Start of the observation window (default: the file's).")
@click.option("--window-end", help="End of the observation window (default: the file's).")
@click.option(
    "--prefix",
    type=click.Choice(["node", "zone", "instance"]),
    default="node",
    show_default=True,
    help="Which scenario inputs the fit gives (node_mttf_h, node_mttr_h, ...).",
)
@click.option("--confidence", type=float, default=0.95, show_default=True)
@click.option(
    "--distributions",
    is_flag=True,
    help="Write the TOML values as the estimates' distributions, for haplan report.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "toml"]),
    default="text",
    show_default=True,
)
def fit_command(
    history, window_start, window_end, prefix, confidence, distributions, output_format
):
    """Fit MTTF and MTTR from a failure HISTORY (CSV of outages: unit,start,end; or of
    intervals: unit,state,duration_h,censored), with confidence intervals, a goodness-of-fit
    statement and the scenario inputs as TOML."""
    from haplan.fit import fit_history, read_history
    from haplan.report import render_fit_json, render_fit_text

    def window(text):
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return text

    from haplan._safe import check_file_size

    check_file_size(history, "history file")
    result = fit_history(
        read_history(history),
        window_start=window(window_start),
        window_end=window(window_end),
        confidence=confidence,
    )
    if output_format == "json":
        click.echo(render_fit_json(result, prefix=prefix), nl=False)
    elif output_format == "toml":
        click.echo(result.toml(prefix, distributions=distributions), nl=False)
    else:
        click.echo(render_fit_text(result, prefix=prefix, distributions=distributions), nl=False)
