"""The ``haplan`` command line: a thin shell over the public API.

Every error a user can cause (a bad flag, an out-of-range input, an unreadable file) ends as
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from haplan.export import write_csv
from haplan.metrics import metrics
from haplan.report import render_json, render_markdown, render_text
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
    table = metrics(scenario)
    row = table.iloc[0]
    if csv_path is not None:
        write_csv(table, csv_path)
    if output_format == "json":
        click.echo(render_json(row), nl=False)
    elif output_format == "markdown":
        click.echo(render_markdown(row, name=scenario.name), nl=False)
    else:
        click.echo(render_text(row, name=scenario.name), nl=False)


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
