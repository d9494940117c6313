"""The ``haplan`` command line: a thin shell over the public API.

One grammar for every command: INPUTS (a TOML scenario and/or YAML manifests), the shared
options of :func:`scenario_options`, and ``--set NAME=VALUE[,VALUE…]`` for any input. A
command that takes one scenario (report, simulate) takes one value each; sweep and plan turn
several values into axes. Every error a user can cause ends as one line on stderr and exit
status 2; an internal error is one line saying it is a bug and exit status 1 (``haplan
--debug`` shows the traceback). ``haplan report --check`` exits 1 when a verdict line fails.
"""

from __future__ import annotations

import io
import math
import re
import sys
from pathlib import Path

import click

from haplan.analysis import SIMULATION_HORIZON_H, UNCERTAINTY_SAMPLES
from haplan.export import write_csv, write_text
from haplan.report import render_json, render_markdown, render_text

__all__ = ["cli", "main"]

EXIT_USAGE = 2
#: ``haplan report --check`` when a verdict line fails.
EXIT_FAILED_CHECK = 1
#: An internal error: a bug in haplan, not in the user's input.
EXIT_BUG = 1

#: Inputs that take whole numbers.
INTEGER_INPUTS = frozenset({"nodes", "instances", "min_instances", "zones", "repair_crews"})
#: Inputs that take words.
WORD_INPUTS = frozenset({"orchestrator", "balancer"})

# flag (click parameter name) -> input name; each takes VALUE[,VALUE...] like --set.
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


def parse_values(name: str, text: str) -> list:
    """The values of one input from the command line: ``VALUE``, ``V1,V2,…`` or a range
    ``START:STOP[:STEP]`` (inclusive); words for orchestrator and balancer, true/false for
    reschedule, ``inf`` where an input allows it."""
    text = str(text).strip()
    if not text:
        raise ValueError(f"{name}= has no value: give NAME=VALUE, e.g. node_mttf_h=8760")
    if re.fullmatch(r"[A-Za-z]+\s*\(.*\)", text):  # a distribution: lognormal(718, 0.5)
        return [text]
    if name in WORD_INPUTS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if name == "reschedule":
        words = [v.strip().lower() for v in text.split(",")]
        if not set(words) <= {"true", "false"}:
            raise ValueError(f"reschedule={text!r} is not valid: must be true or false")
        return [w == "true" for w in words]
    from haplan.sweeps import parse_axis

    try:
        return parse_axis(text, integer=name in INTEGER_INPUTS)
    except ValueError:
        raise ValueError(
            f"{name}={text!r} is not valid: give a number, a list V1,V2 or a range "
            "START:STOP[:STEP]"
        ) from None


def parse_setting(item: str) -> tuple[str, list]:
    """``NAME=VALUE[,VALUE…]`` from ``--set``: the input's name and its values."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"--set {item!r} is not valid: use NAME=VALUE, e.g. node_mttf_h=8760")
    return name, parse_values(name, text)


def availability_fraction(percent: float, flag: str = "--target-availability") -> float:
    """A percentage from the command line as the fraction the scenario holds.

    Every availability flag takes a percentage in [1, 100): 99.95 means 99.95 %. A value
    below 1 is refused rather than guessed at (0.9995 % is never meant);
    ``--set target_availability=0.9995`` takes the fraction. The decimal point is shifted in
    the text, so 99.95 becomes exactly the float nearest 0.9995.
    """
    if not 1 <= percent < 100:
        raise ValueError(
            f"{flag}={percent:g} is out of range: must be a percentage in [1, 100), e.g. 99.95 "
            "(or --set target_availability=0.9995 as a fraction)"
        )
    return float(f"{percent!r}e-2")


def scenario_options(function):
    """The options every command shares: INPUTS, --workload, the article's letters and
    friends, the SLO targets and ``--set``. Each takes VALUE or, where the command sweeps or
    searches, V1,V2,… or START:STOP[:STEP]."""
    value = "VALUE[,…]"
    options = [
        click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--workload", help="Which workload of the manifests to use."),
        click.option("-N", "--nodes", metavar=value, help="N, number of nodes."),
        click.option("-R", "--replicas", metavar=value, help="R, instances per node."),
        click.option("--instances", metavar=value, help="C, total instances (instead of -R)."),
        click.option("-P", "--request-rate", metavar=value, help="P, requests/s."),
        click.option(
            "-S", "--recovery-speed", metavar=value, help="S, the article's recovery speed [s]."
        ),
        click.option("-k", "--min-instances", metavar=value, help="Instances the service needs."),
        click.option("--orchestrator", metavar=value, help="Recovery preset."),
        click.option("--balancer", metavar=value, help="Balancing strategy."),
        click.option(
            "--target-availability",
            metavar="PERCENT",
            help="SLO availability target in percent, e.g. 99.95 (the input "
            "target_availability is the fraction 0.9995).",
        ),
        click.option("--target-p99-ms", metavar=value, help="SLO p99 response-time target [ms]."),
        click.option(
            "--target-recovery-s", metavar=value, help="SLO node-failure recovery target [s]."
        ),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="NAME=VALUE[,…]",
            help="Any input or recovery stage, e.g. --set node_mttf_h=8760 (repeatable).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _settings(flags: dict, settings: tuple[str, ...]) -> dict[str, list]:
    """Every input given on the command line → its values (--set, then flags: a flag wins
    over a --set of the same input)."""
    out: dict[str, list] = {}
    for item in settings:
        name, values = parse_setting(item)
        out[name] = values
    for flag, name in _FLAG_NAMES.items():
        text = flags.get(flag)
        if text is None:
            continue
        if name == "target_availability":
            out[name] = [
                availability_fraction(float(v)) for v in parse_values("--target-availability", text)
            ]
        else:
            out[name] = parse_values(name, text)
    return out


def _one_each(values: dict[str, list], command: str) -> dict[str, object]:
    """A command that takes one scenario: one value per input."""
    for name, items in values.items():
        if len(items) != 1:
            raise ValueError(
                f"{name} has {len(items)} values but haplan {command} takes one: use "
                "haplan sweep or haplan plan for several"
            )
    return {name: items[0] for name, items in values.items()}


def _save_png(figure, path: Path) -> None:
    """Write a figure as PNG (atomically), refusing a path whose directory is missing."""
    from haplan.export import write_bytes

    if not path.parent.is_dir():
        raise ValueError(f"output path {str(path)!r} is not valid: its directory does not exist")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes(buffer.getvalue(), path)


def _loaded(inputs, workload, overrides, *, distributions_allowed=False, command="report"):
    from haplan.inputs import load_inputs

    loaded = load_inputs(inputs, workload=workload, overrides=overrides)
    if loaded.distributions and not distributions_allowed:
        name, law = next(iter(loaded.distributions.items()))
        raise ValueError(
            f"{name}={law} is a distribution, which haplan {command} does not propagate: "
            "give a number, or use haplan report for the headline's interval"
        )
    return loaded


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="haplan")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def cli(debug):
    """haplan: capacity planning for highly available container clusters.

    Every command takes INPUTS (one TOML scenario and/or Kubernetes / compose YAML
    manifests; none: the built-in default) and the same options: the article's N, R, P, S as
    -N, -R, -P, -S, the SLO targets, and any input as --set NAME=VALUE.
    """


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
@click.option(
    "--samples",
    type=int,
    default=UNCERTAINTY_SAMPLES,
    show_default=True,
    help="Samples drawn from inputs given as distributions (e.g. --set "
    "node_mttf_h='lognormal(718, 0.5)').",
)
def report(
    inputs,
    workload,
    settings,
    output_format,
    csv_path,
    out_path,
    check,
    simulate_replications,
    samples,
    **flags,
):
    """Report on INPUTS, or on the built-in default scenario.

    INPUTS is a TOML scenario (the cluster's facts) and/or Kubernetes / compose YAML
    manifests (the workload: Deployment, StatefulSet, PodDisruptionBudget, Service; docker
    stack files). Flags win over both.

    The report leads with the SLO verdict: the load-aware headline, then one pass/fail line
    per target set (--target-availability, --target-p99-ms, --target-recovery-s). With an
    availability target it recommends the cheapest cluster that meets it. The exit status is
    0 whatever the verdict, unless --check is given.
    """
    from haplan.analysis import analyse

    if output_format == "html" and out_path is None:
        raise ValueError("--format html needs --out PATH (a single self-contained page)")
    for path in (out_path, csv_path):
        if path is not None and not path.parent.is_dir():
            raise ValueError(
                f"output path {str(path)!r} is not valid: its directory does not exist"
            )
    loaded = _loaded(
        inputs,
        workload,
        _one_each(_settings(flags, settings), "report"),
        distributions_allowed=True,
    )
    scenario = loaded.scenario
    target = scenario.target_availability
    data = analyse(
        scenario,
        manifest=loaded.manifest,
        target_availability=None if target is None or math.isnan(target) else target,
        simulation_replications=simulate_replications,
        figures=output_format in ("html", "markdown") and out_path is not None,
        sources=loaded.sources,
        distributions=loaded.distributions,
        samples=samples,
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


def _split(values: dict[str, list]) -> tuple[dict[str, object], dict[str, list]]:
    """Single values (the base scenario's overrides) and lists (axes)."""
    single = {name: items[0] for name, items in values.items() if len(items) == 1}
    axes = {name: items for name, items in values.items() if len(items) > 1}
    return single, axes


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

    single, axes = _split(_settings(flags, settings))
    base = _loaded(inputs, workload, single, command="sweep").scenario
    if not axes:  # one value each: a one-row table of the scenario itself
        axes = {"nodes": [base.nodes]}
    options = {"progress": progress, "base": base}
    if dask_address:
        options["backend"] = "dask"
        options["client"] = None if dask_address == "local" else dask_address
    table = sweep(**axes, **options)
    if csv_path is None:
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        write_csv(table, csv_path)
        click.echo(f"wrote {len(table):,} scenarios x {table.shape[1]} columns to {csv_path}")


#: The planner's search when -N or -R is not given several values.
PLAN_AXES = {"nodes": "1:20", "replicas": "1:5"}


@cli.command("plan")
@scenario_options
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
    **flags,
):
    """The cheapest cluster meeting the SLO targets at the scenario's load.

    The availability target comes from --target-availability (or the scenario's
    target_availability), the p99 and recovery ceilings from --target-p99-ms and
    --target-recovery-s. Options with several values are the search grid (default
    -N 1:20 -R 1:5). With inputs given as distributions, --confidence asks for the targets to
    be met with at least that probability.
    """
    from haplan.planner import plan
    from haplan.report import render_plan

    values = _settings(flags, settings)
    for name, text in PLAN_AXES.items():
        if name not in values and not (name == "replicas" and "instances" in values):
            values[name] = parse_values(name, text)
    single, axes = _split(values)
    for name in ("nodes", "replicas", "instances"):
        if name in single and name in values and len(values[name]) == 1:
            axes[name] = [single.pop(name)]  # a one-value search axis, not a base override
    loaded = _loaded(inputs, workload, single, distributions_allowed=True)
    scenario = loaded.scenario
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
    click.echo(render_plan(result, runners_up=runners_up), nl=False)


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

    scenario = _loaded(
        inputs, workload, _one_each(_settings(flags, settings), "simulate"), command="simulate"
    )
    client = None
    if dask_address:
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


@cli.command("whatif")
@scenario_options
@click.option(
    "--event",
    type=click.Choice(["nodes", "zone", "share", "crash", "rollout", "drain"]),
    default="nodes",
    show_default=True,
    help="What happens at t = 0: lose nodes, lose a zone, lose a share of the node pool, a "
    "container crash storm, a rolling update (the manifests' strategy, else Kubernetes' "
    "defaults, or Swarm's on swarm), or a drain of every node for an upgrade.",
)
@click.option("--max-surge", help="Rollout: maxSurge, a count or a percentage (e.g. 25%).")
@click.option("--max-unavailable", help="Rollout: maxUnavailable, a count or a percentage.")
@click.option("--surge-nodes", type=int, default=0, show_default=True, help="Drain: new nodes.")
@click.option(
    "--min-available",
    help="Drain: the PodDisruptionBudget's minAvailable (default: min_instances).",
)
@click.option("--count", type=int, default=1, show_default=True, help="Nodes lost, or crashes.")
@click.option("--zone", type=int, default=0, show_default=True, help="The zone lost (from 0).")
@click.option("--share", type=float, help="Share of the node pool lost, in (0, 1).")
@click.option("--at-rps", type=float, help="The load at the event (default: the scenario's).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
)
@click.option(
    "--figure",
    "figure_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the timeline to this PNG file.",
)
def whatif_command(
    inputs,
    workload,
    settings,
    event,
    max_surge,
    max_unavailable,
    surge_nodes,
    min_available,
    count,
    zone,
    share,
    at_rps,
    output_format,
    figure_path,
    **flags,
):
    """What if EVENT happens at the scenario's load: the timeline through the orchestrator's
    stages (detection, eviction, scheduling where the survivors have room, image pull, start,
    readiness), and the time below the SLO target."""
    from haplan.disruptions import disruption
    from haplan.report import render_timeline_text, timeline_json

    loaded = _loaded(
        inputs, workload, _one_each(_settings(flags, settings), "whatif"), command="whatif"
    )
    scenario = loaded.scenario
    if figure_path is not None and not figure_path.parent.is_dir():
        raise ValueError(
            f"output path {str(figure_path)!r} is not valid: its directory does not exist"
        )
    rollout = dict(loaded.manifest.rollout) if loaded.manifest is not None else {}
    for key, value in (("max_surge", max_surge), ("max_unavailable", max_unavailable)):
        if value is not None:
            rollout[key] = int(value) if value.strip().isdigit() else value
    if min_available is not None:
        min_available = int(min_available) if min_available.strip().isdigit() else min_available
    timeline = disruption(
        scenario,
        event,
        count=count,
        zone=zone,
        share=share,
        at_rps=at_rps,
        rollout=rollout,
        surge_nodes=surge_nodes,
        min_available=min_available,
    )
    if output_format == "json":
        import json

        click.echo(json.dumps(timeline_json(timeline), indent=2, allow_nan=False))
    elif output_format == "csv":
        click.echo(timeline.frame.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        click.echo(render_timeline_text(timeline), nl=False)
    if figure_path is not None:
        from haplan import plots

        figure = plots.timeline(timeline.frame, title=timeline.event, stages=timeline.stages)
        _save_png(figure, figure_path)


@cli.command("autoscale")
@scenario_options
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load profile CSV (time, rps); default a diurnal day peaking at the scenario's load.",
)
@click.option("--nasa", is_flag=True, help="Use the shipped NASA-HTTP 1995 week as the profile.")
@click.option(
    "--peak-to-mean",
    type=float,
    default=2.0,
    show_default=True,
    help="Diurnal profile: peak / mean.",
)
@click.option("--days", type=int, default=1, show_default=True, help="Diurnal profile: days.")
@click.option("--min-replicas", type=int, help="HPA minReplicas (default: the manifest's HPA).")
@click.option("--max-replicas", type=int, help="HPA maxReplicas (default: the manifest's HPA).")
@click.option(
    "--target-utilization",
    type=float,
    help="HPA target CPU utilisation [fraction] (default: the manifest's HPA, else 0.5).",
)
@click.option(
    "--node-provision-s",
    type=float,
    default=0.0,
    show_default=True,
    help="Time the cluster autoscaler takes to add a node when pods do not fit [s].",
)
@click.option("--recommend", "recommend_settings", is_flag=True, help="Search HPA settings.")
@click.option(
    "--figure",
    "figure_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the HPA over the profile to this PNG file.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
)
def autoscale_command(
    inputs,
    workload,
    settings,
    profile_path,
    nasa,
    peak_to_mean,
    days,
    min_replicas,
    max_replicas,
    target_utilization,
    node_provision_s,
    recommend_settings,
    figure_path,
    output_format,
    **flags,
):
    """A load profile through the HorizontalPodAutoscaler: replicas, p99 and the time short
    of capacity, beside the scenario's fixed instances over the same profile; with
    --recommend, the cheapest HPA settings that keep the targets.

    The profile is a CSV (--profile), the NASA-HTTP 1995 week (--nasa), or a diurnal day;
    --nasa and diurnal profiles peak at the scenario's request rate (-P)."""
    from haplan import autoscaling
    from haplan.report import autoscale_json, render_autoscale_text

    loaded = _loaded(
        inputs, workload, _one_each(_settings(flags, settings), "autoscale"), command="autoscale"
    )
    scenario = loaded.scenario
    if profile_path is not None and nasa:
        raise ValueError("give --profile or --nasa, not both")
    if profile_path is not None:
        profile = autoscaling.read_profile(profile_path)
    elif nasa:
        profile = autoscaling.scale_to_peak(autoscaling.nasa_trace(), scenario.request_rate_rps)
    else:
        profile = autoscaling.diurnal(
            scenario.request_rate_rps, peak_to_mean=peak_to_mean, days=days
        )
    hpa = dict(loaded.manifest.hpa) if loaded.manifest is not None else {}
    options = {
        "min_replicas": min_replicas if min_replicas is not None else hpa.get("min_replicas", 1),
        "max_replicas": max_replicas
        if max_replicas is not None
        else hpa.get("max_replicas", max(scenario.instances, 1) * 10),
        "target_utilization": target_utilization
        if target_utilization is not None
        else hpa.get("target_utilization", 0.5),
        "scale_up": hpa.get("scale_up"),
        "scale_down": hpa.get("scale_down"),
        "node_provision_s": node_provision_s,
    }
    fixed = autoscaling.over_profile(scenario, profile)
    hpa_result = autoscaling.simulate_hpa(scenario, profile, **options)
    advice = None
    if recommend_settings:
        advice = autoscaling.recommend(scenario, profile, node_provision_s=node_provision_s)
    if output_format == "csv":
        click.echo(hpa_result.frame.to_csv(index=False, lineterminator="\n"), nl=False)
    elif output_format == "json":
        import json

        document = autoscale_json(fixed, hpa_result, advice)
        click.echo(json.dumps(document, indent=2, allow_nan=False))
    else:
        click.echo(render_autoscale_text(fixed, hpa_result, advice), nl=False)
    if figure_path is not None:
        from haplan import plots

        settings = hpa_result.settings
        title = (
            f"HPA {settings['min_replicas']}–{settings['max_replicas']} replicas at "
            f"{100 * settings['target_utilization']:.3g} % CPU (red: below the SLO target)"
        )
        _save_png(plots.autoscaling(hpa_result.frame, title=title), figure_path)


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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    A usage or input error (a bad flag, an out-of-range input, an unreadable file) is one
    line on stderr and exit status 2. Anything else is a bug in haplan: one line saying so and
    exit status 1; ``haplan --debug ...`` shows its traceback.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        # Without standalone mode click returns an Exit's code (e.g. --check) as the result.
        result = cli.main(args=args, prog_name="haplan", standalone_mode=False)
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
    except Exception as error:  # a bug: say so, and how to see it
        if "--debug" in args:
            raise
        click.echo(
            f"haplan: internal error: {type(error).__name__}: {error}. This is a bug in "
            "haplan; run the same command with haplan --debug to see the traceback.",
            err=True,
        )
        return EXIT_BUG
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
