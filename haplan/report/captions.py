"""Captions of the report's figures: the title, how to read the figure, and the caveat of
the nines it plots (the figures shade the band beyond about five nines; the caption says
why)."""

from __future__ import annotations

__all__ = ["figure_caption"]

#: What a caption adds to a figure's title (by title prefix): how to read it, and the caveat
#: of the nines it plots.
_READING = {
    "SLO nines against replicas": (
        "The load-aware headline (enough instances up for the service and for the load) as "
        "nines, one line per node count; 0 nines means too few instances to carry the load "
        "under the utilisation ceiling. Your cluster is circled; the dashed line is the "
        "availability target."
    ),
    "SLO nines over nodes and replicas": (
        "The load-aware headline as nines for each (nodes, replicas); your cluster is framed "
        "in black, the solid line encloses the cells meeting the target."
    ),
    "Load, latency and SLO nines": (
        "Nodes added with the instances per node held (the instances grow with the nodes; "
        "when that number is fractional, the instances are held instead). "
        "Utilisation above the ceiling is circled; at 100 % the queue is overloaded and p99 "
        "unbounded (shaded). The vertical line is your cluster."
    ),
    "Recovery after a node failure": (
        "Each orchestrator's pipeline after a node failure, stage by stage, beside the "
        "article's T = N/R × S; yours is in bold."
    ),
    "Cost against SLO nines": (
        "Every candidate of the planner (grey crosses: rejected) and the Pareto frontier over "
        "the feasible ones; your cluster is circled, the dashed line is the target."
    ),
    "Timeline": (
        "Red above: time below the SLO target; red in the p99 panel: overloaded (p99 unbounded)."
    ),
}


def figure_caption(title: str) -> str:
    """A figure's caption: its title, how to read it, and the caveat of the nines it plots."""
    from haplan.plots.common import NINES_CAVEAT  # matplotlib only when figures are drawn

    parts = [title + "."]
    for prefix, text in _READING.items():
        if title.startswith(prefix):
            parts.append(text)
    if "nines" in title.lower():
        parts.append(NINES_CAVEAT)
    return " ".join(parts)
