"""Disruptions in time: what-if failures, rolling updates and node drains.

Each disruption is a step function of the instances that serve over time, through the
orchestrator's stages, judged against the scenario's SLO by :mod:`~haplan.disruptions.timeline`.
"""

from haplan.disruptions.timeline import STEP_COLUMNS, Timeline, evaluate, make_timeline, summarize
from haplan.disruptions.whatif import WHATIF_EVENTS, whatif

__all__ = [
    "Timeline",
    "evaluate",
    "summarize",
    "make_timeline",
    "STEP_COLUMNS",
    "whatif",
    "WHATIF_EVENTS",
]
