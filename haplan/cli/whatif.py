"""``haplan whatif``: one disruption as a timeline."""

from __future__ import annotations

from pathlib import Path

import click

from haplan.cli.group import cli
from haplan.cli.options import (
    check_output_paths,
    check_whatif_size,
    load,
    one_each,
    save_png,
    scenario_options,
    settings_from,
)

__all__ = ["whatif_command"]


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

    loaded = load(
        inputs, workload, one_each(settings_from(flags, settings), "whatif"), command="whatif"
    )
    scenario = loaded.scenario
    check_output_paths(figure_path, inputs=inputs)
    check_whatif_size(scenario, event, surge_nodes, count, zone, share, at_rps)
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
        save_png(figure, figure_path)
