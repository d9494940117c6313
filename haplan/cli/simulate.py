"""``haplan simulate``: the Monte Carlo cross-check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from haplan.analysis import SIMULATION_HORIZON_H
from haplan.cli.group import cli
from haplan.cli.options import (
    check_finite,
    check_output_paths,
    check_simulation_size,
    dask_backend,
    load,
    one_each,
    scenario_options,
    settings_from,
)
from haplan.export import write_csv

__all__ = ["simulate_command"]


@cli.command("simulate")
@scenario_options
@click.option(
    "--horizon-h",
    type=float,
    default=SIMULATION_HORIZON_H,
    show_default=True,
    help="Measured time per replication [h].",
)
@click.option("--replications", type=int, default=200, show_default=True)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed: same seed, same numbers."
)
@click.option(
    "--dask", "dask_address", metavar="ADDRESS", help="Run replications on this Dask scheduler."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the comparison table to this CSV file.",
)
def simulate_command(
    inputs,
    workload,
    settings,
    horizon_h,
    replications,
    seed,
    dask_address,
    output_format,
    csv_path,
    **flags,
):
    """Monte Carlo cross-check: simulated metrics beside haplan's analytic values."""
    from haplan import simulate
    from haplan.report import render_simulation_json, render_simulation_text

    check_output_paths(csv_path, inputs=inputs)
    check_finite("--horizon-h", horizon_h, low=0, open_ends=True)
    check_finite("--replications", replications, low=1, high=1_000_000)
    check_finite("--seed", seed, low=0, high=2**63 - 1)
    scenario = load(
        inputs, workload, one_each(settings_from(flags, settings), "simulate"), command="simulate"
    )
    check_simulation_size(scenario.scenario, horizon_h, replications)
    client = None
    if dask_address:
        dask_backend()
        from dask.distributed import Client

        client = Client(dask_address)
    try:
        table = simulate.compare_with_analytic(
            scenario.scenario,
            horizon_h,
            replications,
            seed=seed,
            client=client,
            progress=sys.stderr.isatty(),
        )
    finally:
        if client is not None:
            client.close()
    if csv_path is not None:
        write_csv(table.reset_index(), csv_path)
    if output_format == "json":
        click.echo(render_simulation_json(table), nl=False)
    else:
        click.echo(render_simulation_text(table, horizon_h, replications, seed), nl=False)
