"""The ``haplan`` command line: a thin shell over the public API.

Every error a user can cause (a bad flag, an out-of-range input, an unreadable file) ends as
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from haplan.export import write_csv
from haplan.report import build_report, render_json, render_markdown, render_text
from haplan.scenario import BALANCERS, ORCHESTRATORS, Scenario

__all__ = ["cli", "main"]

EXIT_USAGE = 2


def scenario_options(function):
    """Options shared by commands that take one scenario: the article's letters and friends."""
    options = [
        click.argument(
            "scenario_file", required=False, type=click.Path(dir_okay=False, path_type=Path)
        ),
        click.option("-N", "--nodes", type=int, help="N, number of nodes."),
        click.option("-R", "--replicas", type=float, help="R, instances per node."),
        click.option("--instances", type=int, help="C, total instances (instead of -R)."),
        click.option("-P", "--request-rate", type=float, help="P, requests/s."),
        click.option(
            "-S", "--recovery-speed", type=float, help="S, the article's recovery speed [s]."
        ),
        click.option("-k", "--min-instances", type=int, help="Instances the service needs up."),
        click.option("--orchestrator", type=click.Choice(ORCHESTRATORS), help="Recovery preset."),
        click.option("--balancer", type=click.Choice(BALANCERS), help="Balancing strategy."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def load_scenario(scenario_file, **flags) -> Scenario:
    """The scenario file (or the built-in default) with command-line overrides applied."""
    base = Scenario.from_toml(scenario_file) if scenario_file else Scenario.default()
    return base.with_overrides(
        nodes=flags.get("nodes"),
        replicas=flags.get("replicas"),
        instances=flags.get("instances"),
        request_rate_rps=flags.get("request_rate"),
        recovery_speed_s=flags.get("recovery_speed"),
        min_instances=flags.get("min_instances"),
        orchestrator=flags.get("orchestrator"),
        balancer=flags.get("balancer"),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="haplan")
def cli():
    """haplan: capacity planning for highly available container clusters."""


@cli.command()
@scenario_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Report format on stdout.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the metrics row to this CSV file.",
)
def report(scenario_file, output_format, csv_path, **flags):
    """Report on SCENARIO_FILE (TOML), or on the built-in default scenario.

    Flags override the file's inputs: the article's N, R, P, S as -N, -R, -P, -S.
    """
    scenario = load_scenario(scenario_file, **flags)
    data = build_report(scenario)
    if csv_path is not None:
        write_csv(data.row.to_frame().T, csv_path)
    if output_format == "json":
        click.echo(render_json(data), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(data), nl=False)
    else:
        click.echo(render_text(data), nl=False)


@cli.command("sweep")
@click.argument("scenario_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-N", "--nodes", "nodes", help="N axis, e.g. 3:20.")
@click.option("-R", "--replicas", "replicas", help="R axis (instances per node), e.g. 1,2,3.")
@click.option("--instances", "instances", help="C axis (total instances), instead of -R.")
@click.option("-P", "--request-rate", "request_rate_rps", help="P axis [req/s], e.g. 100,1000.")
@click.option("-S", "--recovery-speed", "recovery_speed_s", help="S axis [s].")
@click.option(
    "--set",
    "extra_axes",
    multiple=True,
    metavar="NAME=VALUES",
    help="Any other input as an axis, e.g. --set min_instances=1:3 (repeatable).",
)
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
def sweep_command(scenario_file, csv_path, dask_address, progress, extra_axes, **axis_text):
    """Sweep inputs over a grid and write every metric, one row per scenario.

    Inputs not swept come from SCENARIO_FILE or the built-in default.
    """
    from haplan.sweep import parse_axis, sweep

    integer_inputs = {"nodes", "instances", "min_instances", "zones", "repair_crews"}
    axes = {}
    for name, text in axis_text.items():
        if text is not None:
            axes[name] = parse_axis(text, integer=name in integer_inputs)
    for item in extra_axes:
        name, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r} is not valid: use NAME=VALUES, e.g. zones=1:3")
        name = name.strip()
        if name in ("orchestrator", "balancer"):
            axes[name] = [v.strip() for v in text.split(",")]
        elif name == "reschedule":
            axes[name] = [v.strip().lower() in ("1", "true", "yes") for v in text.split(",")]
        else:
            axes[name] = parse_axis(text, integer=name in integer_inputs)
    options = {"progress": progress, "base": load_scenario(scenario_file)}
    if dask_address:
        options["backend"] = "dask"
        options["client"] = None if dask_address == "local" else dask_address
    table = sweep(**axes, **options)
    if csv_path is None:
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        write_csv(table, csv_path)
        click.echo(f"wrote {len(table):,} scenarios x {table.shape[1]} columns to {csv_path}")


@cli.command("plan")
@click.argument("scenario_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--target",
    "target_percent",
    type=float,
    required=True,
    help="Availability target in percent, e.g. 99.99.",
)
@click.option("-P", "--request-rate", type=float, required=True, help="Load to carry [req/s].")
@click.option("--max-p99-ms", type=float, help="Ceiling on p99 response time [ms].")
@click.option("--max-recovery-s", type=float, help="Ceiling on node-failure recovery [s].")
@click.option("--node-cost", type=float, default=1.0, show_default=True)
@click.option("--instance-cost", type=float, default=0.0, show_default=True)
@click.option(
    "-N", "--nodes", "nodes_axis", default="1:20", show_default=True, help="Candidate node counts."
)
@click.option(
    "-R",
    "--replicas",
    "replicas_axis",
    default="1:5",
    show_default=True,
    help="Candidate instances per node.",
)
@click.option("--runners-up", type=int, default=3, show_default=True)
def plan_command(
    scenario_file,
    target_percent,
    request_rate,
    max_p99_ms,
    max_recovery_s,
    node_cost,
    instance_cost,
    nodes_axis,
    replicas_axis,
    runners_up,
):
    """The cheapest (nodes, replicas) meeting an availability target at a load."""
    from haplan.plan import plan
    from haplan.report import render_plan
    from haplan.sweep import parse_axis

    if not 0 < target_percent < 100:
        raise ValueError(
            f"--target={target_percent:g} is out of range: must be a percentage in (0, 100)"
        )
    result = plan(
        target_percent / 100.0,
        request_rate,
        max_p99_response_ms=max_p99_ms,
        max_recovery_s=max_recovery_s,
        node_cost=node_cost,
        instance_cost=instance_cost,
        search={
            "nodes": parse_axis(nodes_axis, integer=True),
            "replicas": parse_axis(replicas_axis),
        },
        base=load_scenario(scenario_file),
    )
    click.echo(render_plan(result, runners_up=runners_up), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage and input errors become one line on stderr and exit status 2."""
    try:
        cli.main(args=argv, prog_name="haplan", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.exceptions.Abort:
        click.echo("haplan: error: aborted", err=True)
        return 1
    except click.ClickException as error:
        click.echo(f"haplan: error: {error.format_message()}", err=True)
        return EXIT_USAGE
    except (ValueError, OSError) as error:
        click.echo(f"haplan: error: {error}", err=True)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
