"""Disruptions in time: what-if failures, rolling updates and node drains.

Each disruption is a step function of the instances that serve over time, through the
orchestrator's stages, judged against the scenario's SLO by :mod:`~haplan.disruptions.timeline`.
"""

import math

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
    "disruption",
    "EVENTS",
    "planned_downtime_min_per_30d",
]

#: Every event :func:`disruption` takes.
EVENTS = (*WHATIF_EVENTS, "rollout", "drain")


def disruption(
    scenario,
    event: str,
    *,
    count: int = 1,
    zone: int = 0,
    share: float | None = None,
    at_rps: float | None = None,
    rollout: dict | None = None,
    surge_nodes: int = 0,
    min_available=None,
) -> Timeline:
    """One disruption of ``scenario`` by name: a what-if failure, a rollout or a drain.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster, service and load.
    event : str
        One of :data:`EVENTS`: ``nodes``, ``zone``, ``share``, ``crash`` (:func:`whatif`),
        ``rollout`` (``rollout["kind"]``: ``deployment`` (default; ``swarm`` when the
        orchestrator is swarm), ``statefulset`` or ``swarm`` with the strategy's settings, as
        ``haplan.manifests`` reads them) or ``drain`` (:func:`drain`, every node).
    count, zone, share : optional
        For :func:`whatif`.
    at_rps : float, optional
        The load [req/s] (default: the scenario's).
    rollout : dict, optional
        A workload's rollout strategy (``ManifestInputs.rollout``).
    surge_nodes, min_available : optional
        For :func:`drain`.

    Returns
    -------
    Timeline
    """
    if event in WHATIF_EVENTS:
        return whatif(scenario, event, count=count, zone=zone, share=share, at_rps=at_rps)
    if event == "drain":
        return drain(scenario, surge_nodes=surge_nodes, min_available=min_available, at_rps=at_rps)
    if event != "rollout":
        raise ValueError(f"event={event!r} is not valid: must be one of {', '.join(EVENTS)}")
    settings = dict(rollout or {})
    swarm = str(scenario.orchestrator).startswith("swarm")
    kind = settings.pop("kind", "swarm" if swarm else "deployment")
    strategy = settings.pop("strategy", "RollingUpdate")
    if strategy not in ("RollingUpdate",):
        raise ValueError(
            f"rollout strategy {strategy!r} is not modelled: haplan models RollingUpdate "
            "(Deployment, StatefulSet) and Swarm's update_config"
        )
    if kind == "deployment":
        keys = ("max_surge", "max_unavailable", "min_ready_s")
        return deployment_rollout(
            scenario, at_rps=at_rps, **{k: settings[k] for k in keys if k in settings}
        )
    if kind == "statefulset":
        return statefulset_rollout(
            scenario, at_rps=at_rps, partition=int(settings.get("partition", 0))
        )
    keys = ("parallelism", "delay_s", "order", "monitor_s")
    return swarm_rollout(scenario, at_rps=at_rps, **{k: settings[k] for k in keys if k in settings})


def planned_downtime_min_per_30d(scenario) -> float:
    """SLO budget planned disruptions spend in 30 days [min].

    ``rollouts_per_week`` × 30/7 rollouts (:func:`disruption` ``"rollout"``: the
    orchestrator's default strategy) and ``upgrades_per_year`` × 30/365.25 upgrades
    (``"drain"`` of every node, ``min_instances`` as the disruption budget), each spending its
    timeline's time below the SLO target. An upgrade the disruption budget blocks can never
    finish, so it spends without bound: inf (the verdict says why).

    Parameters
    ----------
    scenario : haplan.Scenario

    Returns
    -------
    float
        Expected minutes below the SLO target per 30 days from planned disruptions.
    """
    from haplan.availability import MONTH_DAYS, YEAR_DAYS

    total = 0.0
    if scenario.rollouts_per_week > 0:
        spent = disruption(scenario, "rollout").totals["budget_spent_min"]
        total += scenario.rollouts_per_week * MONTH_DAYS / 7.0 * spent
    if scenario.upgrades_per_year > 0:
        totals = disruption(scenario, "drain").totals
        if totals.get("blocked"):
            return math.inf
        total += scenario.upgrades_per_year * MONTH_DAYS / YEAR_DAYS * totals["budget_spent_min"]
    return total
