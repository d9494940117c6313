"""``haplan sweep`` and ``haplan plan``: grids of scenarios and the cheapest one."""

from __future__ import annotations

import math
from pathlib import Path

import click

from haplan._safe import escape_controls
from haplan.cli.cluster import cluster_options, cluster_plan, wants_cluster
from haplan.cli.group import cli
from haplan.cli.options import (
    check_finite,
    check_grid_instances,
    check_grid_size,
    check_output_paths,
    check_sampled_grid,
    dask_backend,
    load,
    parse_values,
    scenario_options,
    settings_from,
    split_values,
)
from haplan.export import csv_columns, write_csv

__all__ = ["sweep_command", "plan_command", "PLAN_AXES"]


@cli.command("sweep")
@scenario_options
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the table here (default: CSV on stdout).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Run on this Dask scheduler ('local' starts one here).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
def sweep_command(inputs, workload, settings, csv_path, dask_address, progress, **flags):
    """Sweep inputs over a grid and write every metric, one row per scenario.

    Any option given several values (-N 3:20, --set zones=1,3) is an axis of the grid; the
    other inputs come from INPUTS (a TOML scenario and/or YAML manifests) or the default.
    """
    from haplan.sweeps import sweep

    check_output_paths(csv_path, inputs=inputs)
    single, axes = split_values(settings_from(flags, settings))
    check_grid_size(axes, "sweep")
    base = load(inputs, workload, single, command="sweep").scenario
    if not axes:  # one value each: a one-row table of the scenario itself
        axes = {"nodes": [base.nodes]}
    check_grid_instances(axes, base)
    options = {"progress": progress, "base": base}
    if dask_address:
        dask_backend()
        options["backend"] = "dask"
        options["client"] = None if dask_address == "local" else dask_address
    table = sweep(**axes, **options)
    if csv_path is None:
        click.echo(csv_columns(table).to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        write_csv(table, csv_path)
        click.echo(
            f"wrote {len(table):,} scenarios x {table.shape[1]} columns to "
            f"{escape_controls(csv_path)}"
        )


#: The planner's search when -N or -R is not given several values.
PLAN_AXES = {"nodes": "1:20", "replicas": "1:5"}


@cli.command("plan")
@scenario_options
@cluster_options
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every candidate, with its cost and the reason it fails, to this CSV.",
)
@click.option("--node-cost", type=float, default=1.0, show_default=True)
@click.option("--instance-cost", type=float, default=0.0, show_default=True)
@click.option("--runners-up", type=int, default=3, show_default=True)
@click.option(
    "--confidence",
    type=float,
    help="With inputs given as distributions: meet the targets with at least this "
    "probability, e.g. 0.9.",
)
@click.option(
    "--samples",
    type=int,
    default=500,
    show_default=True,
    help="Samples of the distributions per candidate (with --confidence).",
)
def plan_command(
    inputs,
    workload,
    settings,
    node_cost,
    instance_cost,
    runners_up,
    confidence,
    samples,
    csv_path,
    **flags,
):
    """The cheapest cluster meeting the SLO targets at the scenario's load.

    The availability target comes from --target-availability (or the scenario's
    target_availability), the p99 and recovery ceilings from --target-p99-ms and
    --target-recovery-s. Options with several values are the search grid (default
    -N 1:20 -R 1:5). With inputs given as distributions, --confidence asks for the targets to
    be met with at least that probability.

    With --node-types (or --node-type, --pod-cpu, --pod-memory), or inputs holding several
    workloads or a cluster export's Nodes, it plans the cluster: node type, node count (a
    multiple of --set zones=Z) and pods per workload, priced per hour and month, packed by
    requests and spread as the scheduler would, surviving --planned-failure. -N holds or
    searches the node count; --instances searches pods.
    """
    from haplan.planner import plan
    from haplan.report import render_plan

    check_finite("--node-cost", node_cost, low=0)
    check_finite("--instance-cost", instance_cost, low=0)
    check_finite("--runners-up", runners_up, low=0, high=1000)
    if confidence is not None:
        check_finite("--confidence", confidence, low=0, high=1, open_ends=True)
    check_finite("--samples", samples, low=1, high=1_000_000)
    check_output_paths(csv_path, inputs=inputs)
    cluster, files = wants_cluster(inputs, workload, flags, command="plan")
    values = settings_from(flags, settings)
    if cluster is not None:
        click.echo(cluster_plan(files, values, cluster, runners_up, csv_path), nl=False)
        return
    for name, text in PLAN_AXES.items():
        if name not in values and not (name == "replicas" and "instances" in values):
            values[name] = parse_values(name, text)
    single, axes = split_values(values)
    for name in ("nodes", "replicas", "instances"):
        if name in single and name in values and len(values[name]) == 1:
            axes[name] = [single.pop(name)]  # a one-value search axis, not a base override
    rows = check_grid_size(axes, "plan")
    loaded = load(inputs, workload, single, distributions_allowed=True)
    scenario = loaded.scenario
    check_grid_instances(axes, scenario)
    if loaded.distributions and confidence is not None:
        check_sampled_grid(rows, samples)
    if loaded.distributions and confidence is None:
        name, law = next(iter(loaded.distributions.items()))
        raise ValueError(
            f"{name}={law} is a distribution: give plan --confidence (e.g. 0.9), the "
            "probability with which the plan must meet the targets"
        )
    target = scenario.target_availability
    if target is None or math.isnan(target):
        raise ValueError(
            "plan needs an availability target: give --target-availability PERCENT "
            "(e.g. 99.99) or target_availability in the scenario"
        )

    def ceiling(value):
        return None if value is None or math.isnan(value) else float(value)

    result = plan(
        target,
        scenario.request_rate_rps,
        max_p99_response_ms=ceiling(scenario.target_p99_ms),
        max_recovery_s=ceiling(scenario.target_recovery_s),
        node_cost=node_cost,
        instance_cost=instance_cost,
        search=axes,
        base=scenario,
        distributions=loaded.distributions or None,
        confidence=confidence,
        samples=samples,
    )
    if csv_path is not None:
        write_csv(result.candidates, csv_path)
    click.echo(render_plan(result, runners_up=runners_up), nl=False)
