"""Figures for the metrics table: trade-offs over N, R, P, S, recovery stages, plans, Monte Carlo.

Every function takes a table haplan produced (``haplan.sweep``, ``haplan.plan(...).candidates``,
``haplan.recovery.stages_table``, ``haplan.simulate.compare_with_analytic``) and returns a
:class:`matplotlib.figure.Figure`. Figures are built with ``Figure()`` directly, never through
``pyplot``: nothing is shown, no global state is touched, and the functions work headless and
from several threads. In Jupyter a figure displays as the last expression of a cell (after
``%matplotlib inline``); elsewhere call ``fig.savefig("out.png")``.

Axes are labelled with units; colours come from the Okabe–Ito palette, which stays
distinguishable for the common forms of colour blindness (Okabe and Ito, "Color Universal
Design", 2008), with a different marker per series as a second cue.

What every figure of availability shares (so each reads right without its caption): the
load-aware SLO nines by default; the band beyond about five nines, which independent-failure
models cannot support, shaded (:data:`CREDIBLE_NINES`, caveat text :data:`NINES_CAVEAT`); a
nines axis that stops at ten (or two above the target) with larger values, ∞ included, drawn
on the edge and counted in a note; the target as a dashed line (``target_availability``,
``target_p99_ms``, ``target_recovery_s``); the user's configuration marked (``mark``). An
overloaded queue's infinite p99 becomes a shaded, labelled region, never an empty panel or
a made-up value; NaN rows are left out with a note.

Layout (one topic a module; every public name is importable from ``haplan.plots``):

- :mod:`~haplan.plots.common` — the palette, axis labels and the helpers every figure shares;
- :mod:`~haplan.plots.availability` — nines against replicas, and the heatmap;
- :mod:`~haplan.plots.load` — load and latency against nodes;
- :mod:`~haplan.plots.recovery` — recovery stages per orchestrator;
- :mod:`~haplan.plots.plans` — the planner's candidates and the Pareto frontier;
- :mod:`~haplan.plots.simulation` — Monte Carlo against the analytic models;
- :mod:`~haplan.plots.uncertainty` — the tornado of uncertain inputs;
- :mod:`~haplan.plots.timeline` — a disruption over time;
- :mod:`~haplan.plots.autoscale` — the HPA over a load profile.
"""

from haplan.plots.autoscale import autoscaling
from haplan.plots.availability import availability_vs_replicas, heatmap
from haplan.plots.common import CREDIBLE_NINES, NINES_CAVEAT, PALETTE, axis_label
from haplan.plots.load import load_and_latency
from haplan.plots.plans import pareto_frontier
from haplan.plots.recovery import recovery_breakdown
from haplan.plots.simulation import simulation_vs_analytic
from haplan.plots.timeline import timeline
from haplan.plots.uncertainty import tornado

__all__ = [
    "PALETTE",
    "CREDIBLE_NINES",
    "NINES_CAVEAT",
    "axis_label",
    "availability_vs_replicas",
    "load_and_latency",
    "recovery_breakdown",
    "heatmap",
    "pareto_frontier",
    "simulation_vs_analytic",
    "tornado",
    "timeline",
    "autoscaling",
]
