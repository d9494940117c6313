"""Disruptions in time: what-if failures, rolling updates and node drains.

Each disruption is a step function of the instances that serve over time, through the
orchestrator's stages, judged against the scenario's SLO by :mod:`~haplan.disruptions.timeline`.
"""

from haplan.disruptions.drain import drain, pdb_min_available
from haplan.disruptions.rollout import (
    SWARM_ORDERS,
    deployment_rollout,
    pod_start_s,
    resolve_fenceposts,
    rollout_budget_min,
    statefulset_rollout,
    swarm_rollout,
)
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
    "deployment_rollout",
    "statefulset_rollout",
    "swarm_rollout",
    "resolve_fenceposts",
    "pod_start_s",
    "rollout_budget_min",
    "SWARM_ORDERS",
    "drain",
    "pdb_min_available",
]
