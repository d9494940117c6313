"""The ``haplan`` command line: a thin shell over the public API.

Every error a user can cause (a bad flag, an out-of-range input, an unreadable file) ends as
one line on stderr and exit status 2, never a traceback. ``haplan report --check`` exits 1
when a verdict line fails; every other report exits 0 whatever its verdict.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import click

from haplan.export import write_csv, write_text
from haplan.report import build_report, render_json, render_markdown, render_text
from haplan.scenario import BALANCERS, ORCHESTRATORS, Scenario

__all__ = ["cli", "main"]

EXIT_USAGE = 2
#: ``haplan report --check`` when a verdict line fails.
EXIT_FAILED_CHECK = 1


def parse_setting(item: str) -> tuple[str, object]:
    """``NAME=VALUE`` from ``--set``: a number, true/false, or a word (orchestrator, balancer)."""
    name, sep, text = item.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name or not text:
        raise ValueError(f"--set {item!r} is not valid: use NAME=VALUE, e.g. node_mttf_h=8760")
    if text.lower() in ("true", "false"):
        return name, text.lower() == "true"
    try:
        number = float(text)
    except ValueError:
        return name, text
    return name, int(number) if number.is_integer() and "." not in text else number


def scenario_options(function):
    """Options shared by commands that take one scenario: the article's letters and friends."""
    options = [
        click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path)),
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
        click.option("--workload", help="Which workload of the manifests to plan for."),
        click.option(
            "--target-availability",
            type=float,
            metavar="PERCENT",
            help="SLO availability target in percent, e.g. 99.95 (the input "
            "target_availability is the fraction 0.9995).",
        ),
        click.option("--target-p99-ms", type=float, help="SLO p99 response-time target [ms]."),
        click.option(
            "--target-recovery-s", type=float, help="SLO node-failure recovery target [s]."
        ),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="NAME=VALUE",
            help="Any other input, e.g. --set node_mttf_h=8760 (repeatable).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


_FLAG_NAMES = {
    "nodes": "nodes",
    "replicas": "replicas",
    "instances": "instances",
    "request_rate": "request_rate_rps",
    "recovery_speed": "recovery_speed_s",
    "min_instances": "min_instances",
    "orchestrator": "orchestrator",
    "balancer": "balancer",
    "target_availability": "target_availability",
    "target_p99_ms": "target_p99_ms",
    "target_recovery_s": "target_recovery_s",
}


def availability_fraction(percent: float, flag: str = "--target-availability") -> float:
    """A percentage from the command line as the fraction the scenario holds.

    Every availability flag takes a percentage in [1, 100), like ``plan --target``: 99.95
    means 99.95 %. A value below 1 is refused rather than guessed at (0.9995 % is never
    meant); ``--set target_availability=0.9995`` takes the fraction. The decimal point is
    shifted in the text, so 99.95 becomes exactly the float nearest 0.9995.
    """
    if not 1 <= percent < 100:
        raise ValueError(
            f"{flag}={percent:g} is out of range: must be a percentage in [1, 100), e.g. 99.95 "
            "(or --set target_availability=0.9995 as a fraction)"
        )
    return float(f"{percent!r}e-2")


def load_inputs(inputs=(), workload=None, settings=(), **flags):
    """The scenario from INPUTS (one TOML file, or Kubernetes/compose YAML manifests, or
    nothing for the built-in default) with flag overrides; and the manifests read, if any.
    """
    overrides = dict(parse_setting(item) for item in settings)
    if flags.get("target_availability") is not None:
        flags = {
            **flags,
            "target_availability": availability_fraction(flags["target_availability"]),
        }
    overrides.update(
        {_FLAG_NAMES[k]: v for k, v in flags.items() if k in _FLAG_NAMES and v is not None}
    )
    paths = [Path(p) for p in inputs]
    manifests = [p for p in paths if p.suffix.lower() in (".yaml", ".yml")]
    tomls = [p for p in paths if p.suffix.lower() == ".toml"]
    other = [p for p in paths if p not in manifests and p not in tomls]
    if other:
        raise ValueError(
            f"input {str(other[0])!r} is not known: give a .toml scenario or .yaml manifests"
        )
    if tomls and manifests or len(tomls) > 1:
        raise ValueError("give one .toml scenario, or .yaml manifests, not both or several")
    if workload is not None and not manifests:
        raise ValueError("--workload selects a workload in .yaml manifests: give some")
    if not manifests:
        base = Scenario.from_toml(tomls[0]) if tomls else Scenario.default()
        return base.with_overrides(**overrides), None
    from haplan.manifests import scenario_from_manifests
    from haplan.recovery import RecoveryPipeline, preset

    # Pipeline stages: the manifests' first, then the user's --set ones on top.
    fields = {f.name for f in dataclasses.fields(RecoveryPipeline)} - {"name"}
    stages = {k: overrides.pop(k) for k in list(overrides) if k in fields}
    scenario, read = scenario_from_manifests(manifests, workload=workload, **overrides)
    stages = {**read.recovery_overrides, **stages}
    if stages and isinstance(scenario.orchestrator, str):
        tuned = dataclasses.replace(
            preset(scenario.orchestrator, **stages),
            name=f"{scenario.orchestrator} ({read.workload_name} manifest)",
        )
        scenario = scenario.with_overrides(orchestrator=tuned)
    return scenario, read


def load_scenario(inputs=(), **flags) -> Scenario:
    """The scenario alone (see :func:`load_inputs`)."""
    return load_inputs(inputs, **flags)[0]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="haplan")
def cli():
    """haplan: capacity planning for highly available container clusters."""


@cli.command()
@scenario_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "html", "json"]),
    default="text",
    show_default=True,
    help="Report format (html needs --out).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the metrics row to this CSV file.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here instead of stdout (markdown writes its plots beside it).",
)
@click.option(
    "--target",
    "target_percent",
    type=float,
    default=None,
    help="Availability target [%] for the planner's recommendation (default: the "
    "scenario's target_availability, else 99.99).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Exit with status 1 when a verdict line fails (a target missed, or the service "
    "never up at its load); the report is written either way.",
)
@click.option(
    "--simulate",
    "simulate_replications",
    type=int,
    default=None,
    metavar="REPLICATIONS",
    help="Add a Monte Carlo cross-check: this many seeded one-year replications.",
)
def report(
    inputs,
    output_format,
    csv_path,
    out_path,
    target_percent,
    check,
    simulate_replications,
    **flags,
):
    """Report on INPUTS, or on the built-in default scenario.

    INPUTS is one TOML scenario, or Kubernetes / compose YAML manifests (Deployment,
    StatefulSet, PodDisruptionBudget, Service; docker stack files). Flags override them: the
    article's N, R, P, S as -N, -R, -P, -S, anything else with --set NAME=VALUE.

    The report leads with the SLO verdict: the load-aware headline, then one pass/fail line
    per target set (--target-availability, --target-p99-ms, --target-recovery-s). The exit
    status is 0 whatever the verdict, unless --check is given.
    """
    if target_percent is not None and not 0 < target_percent < 100:
        raise ValueError(
            f"--target={target_percent:g} is out of range: must be a percentage in (0, 100)"
        )
    scenario, manifest = load_inputs(inputs, **flags)
    if target_percent is not None:
        planner_target = target_percent / 100
    elif scenario.target_availability is not None and not math.isnan(scenario.target_availability):
        planner_target = float(scenario.target_availability)
    else:
        planner_target = 0.9999
    if output_format == "html" and out_path is None:
        raise ValueError("--format html needs --out PATH (a single self-contained page)")
    for path in (out_path, csv_path):
        if path is not None and not path.parent.is_dir():
            raise ValueError(
                f"output path {str(path)!r} is not valid: its directory does not exist"
            )
    data = build_report(
        scenario,
        manifest=manifest,
        target_availability=planner_target,
        simulation_replications=simulate_replications,
    )
    if output_format == "markdown" and out_path is not None:
        from haplan.htmlreport import write_markdown_report

        write_markdown_report(data, out_path)
        message = f"wrote markdown report to {out_path}\n"
    else:
        if output_format == "json":
            text = render_json(data)
        elif output_format == "markdown":
            text = render_markdown(data)
        elif output_format == "html":
            from haplan.htmlreport import render_html

            text = render_html(data)
        else:
            text = render_text(data)
        if out_path is None:
            message = text
        else:
            write_text(text, out_path)
            message = f"wrote {output_format} report to {out_path}\n"
    if csv_path is not None:  # last: a report that failed leaves no CSV behind
        write_csv(data.row.to_frame().T, csv_path)
    click.echo(message, nl=False)
    if check and not data.checks_passed:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)


@cli.command("sweep")
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workload", help="Which workload of the manifests to sweep around.")
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
def sweep_command(inputs, workload, csv_path, dask_address, progress, extra_axes, **axis_text):
    """Sweep inputs over a grid and write every metric, one row per scenario.

    Inputs not swept come from INPUTS (a TOML scenario or YAML manifests) or the default.
    """
    from haplan.sweeps import parse_axis, sweep

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
            words = [v.strip().lower() for v in text.split(",")]
            if not set(words) <= {"true", "false"}:
                raise ValueError(f"--set {item!r} is not valid: reschedule takes true,false")
            axes[name] = [w == "true" for w in words]
        else:
            axes[name] = parse_axis(text, integer=name in integer_inputs)
    options = {"progress": progress, "base": load_scenario(inputs, workload=workload)}
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
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workload", help="Which workload of the manifests to plan for.")
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
    inputs,
    workload,
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
    from haplan.planner import plan
    from haplan.report import render_plan
    from haplan.sweeps import parse_axis

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
        base=load_scenario(inputs, workload=workload),
    )
    click.echo(render_plan(result, runners_up=runners_up), nl=False)


@cli.command("simulate")
@scenario_options
@click.option(
    "--horizon-h",
    type=float,
    default=8766.0,
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
    inputs, horizon_h, replications, seed, dask_address, output_format, csv_path, **flags
):
    """Monte Carlo cross-check: simulated metrics beside haplan's analytic values."""
    from haplan import simulate
    from haplan.report import render_simulation_json, render_simulation_text

    scenario = load_scenario(inputs, **flags)
    client = None
    if dask_address:
        from dask.distributed import Client

        client = Client(dask_address)
    try:
        table = simulate.compare_with_analytic(
            scenario,
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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; usage and input errors become one line on stderr and exit status 2."""
    try:
        # Without standalone mode click returns an Exit's code (e.g. --check) as the result.
        result = cli.main(args=argv, prog_name="haplan", standalone_mode=False)
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
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
