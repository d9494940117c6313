"""``haplan report``: the report on one scenario in every format."""

from __future__ import annotations

import math
from pathlib import Path

import click

from haplan._safe import escape_controls
from haplan.analysis import UNCERTAINTY_SAMPLES
from haplan.cli.cluster import (
    cluster_options,
    cluster_report,
    documents_passed_on,
    wants_cluster,
)
from haplan.cli.group import cli
from haplan.cli.options import (
    EXIT_FAILED_CHECK,
    check_finite,
    check_output_paths,
    check_report_size,
    load,
    one_each,
    profile_from,
    scenario_options,
    settings_from,
)
from haplan.export import write_csv, write_text
from haplan.report import render_json, render_markdown, render_text

__all__ = ["report"]


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
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Add an autoscaling section over this load profile CSV (time, rps).",
)
@click.option(
    "--nasa",
    is_flag=True,
    help="Add an autoscaling section over the NASA-HTTP 1995 week (peak: the scenario's).",
)
@cluster_options
def report(
    inputs,
    profile_path,
    nasa,
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
    read = (*inputs, *([profile_path] if profile_path is not None else []))
    check_output_paths(out_path, csv_path, inputs=read)
    if simulate_replications is not None:
        check_finite("--simulate", simulate_replications, low=1, high=100_000)
    check_finite("--samples", samples, low=1, high=1_000_000)
    cluster, files = wants_cluster(inputs, workload, flags)
    if cluster is not None:
        overrides = one_each(settings_from(flags, settings), "report")
        message, passed = cluster_report(
            files, overrides, cluster, output_format, out_path, csv_path
        )
        click.echo(message, nl=False)
        if check and not passed:
            raise click.exceptions.Exit(EXIT_FAILED_CHECK)
        return
    with documents_passed_on(files):  # the files read to decide on cluster mode: not again
        loaded = load(
            inputs,
            workload,
            one_each(settings_from(flags, settings), "report"),
            distributions_allowed=True,
        )
    scenario = loaded.scenario
    check_report_size(scenario, output_format, simulate_replications)
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
        **_profile(scenario, profile_path, nasa),
    )
    if output_format == "markdown" and out_path is not None:
        from haplan.htmlreport import write_markdown_report

        write_markdown_report(data, out_path)
        message = f"wrote markdown report to {escape_controls(out_path)}\n"
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
            message = f"wrote {output_format} report to {escape_controls(out_path)}\n"
    if csv_path is not None:  # last: a report that failed leaves no CSV behind
        write_csv(data.row.to_frame().T, csv_path)
    click.echo(message, nl=False)
    if check and not data.checks_passed:
        raise click.exceptions.Exit(EXIT_FAILED_CHECK)


def _profile(scenario, profile_path, nasa) -> dict:
    if profile_path is None and not nasa:
        return {}
    profile, name = profile_from(scenario, profile_path, nasa)
    return {"profile": profile, "profile_name": name}
