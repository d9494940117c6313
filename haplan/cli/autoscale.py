"""``haplan autoscale``: a load profile through fixed replicas and the HPA."""

from __future__ import annotations

from pathlib import Path

import click

from haplan.cli.group import cli
from haplan.cli.options import (
    check_output_paths,
    load,
    one_each,
    profile_from,
    save_png,
    scenario_options,
    settings_from,
)

__all__ = ["autoscale_command"]


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

    check_output_paths(figure_path)
    loaded = load(
        inputs, workload, one_each(settings_from(flags, settings), "autoscale"), command="autoscale"
    )
    scenario = loaded.scenario
    profile, _ = profile_from(scenario, profile_path, nasa, peak_to_mean, days)
    options = autoscaling.hpa_settings(
        scenario,
        loaded.manifest.hpa if loaded.manifest is not None else None,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        target_utilization=target_utilization,
    )
    options["node_provision_s"] = node_provision_s
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
        save_png(plots.autoscaling(hpa_result.frame, title=title), figure_path)
