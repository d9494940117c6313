"""The cheapest HorizontalPodAutoscaler settings that keep the targets through a profile.

:func:`recommend` searches (minReplicas, maxReplicas, target CPU utilisation) with
:func:`haplan.autoscaling.simulate_hpa` over a load profile, and keeps the candidates under
which the service never falls below its targets, neither over the profile nor when it loses
a node at the profile's peak (the planned-for failure, simulated with the HPA reacting and
the ReplicaSet replacing the lost pods). The cheapest in instance-hours wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from haplan import load
from haplan.autoscaling.hpa import simulate_hpa
from haplan.autoscaling.profiles import validate_profile

__all__ = ["recommend", "Recommendation", "DEFAULT_TARGETS"]

#: Target CPU utilisations searched by default [fraction].
DEFAULT_TARGETS = (0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Recommendation:
    """The HPA settings :func:`recommend` chose and every candidate it tried.

    Attributes
    ----------
    best : pandas.Series or None
        The cheapest candidate that keeps every target (None when none does):
        ``min_replicas``, ``max_replicas``, ``target_utilization``, ``instance_hours``, ...
    candidates : pandas.DataFrame
        Every candidate, cheapest first, with ``reason`` ("" when it keeps every target).
    """

    best: pd.Series | None
    candidates: pd.DataFrame


def recommend(
    scenario,
    profile: pd.Series,
    *,
    min_replicas=None,
    max_replicas: int | None = None,
    targets=DEFAULT_TARGETS,
    survive_node_loss: bool = True,
    **hpa_options,
) -> Recommendation:
    """The cheapest (minReplicas, maxReplicas, target utilisation) for a load profile.

    Parameters
    ----------
    scenario : haplan.Scenario
        The service (capacity per pod, ``max_utilization``, ``min_instances``, balancer, the
        p99 target, nodes for the failure check).
    profile : pandas.Series
        Request rate [req/s] over time [s] (:mod:`haplan.autoscaling.profiles`).
    min_replicas : iterable of int, optional
        minReplicas searched (default: four values spaced geometrically from
        ``min_instances`` to the pods that carry the peak under the ceiling).
    max_replicas : int, optional
        maxReplicas [count] for every candidate (default: the pods that carry the peak at
        the lowest target searched, plus a node's share for the failure).
    targets : iterable of float
        Target CPU utilisations searched [fraction], in (0, 1].
    survive_node_loss : bool
        Also require that the targets hold when one node is lost at the profile's peak (the
        first time of the highest rate): each candidate that keeps the targets is simulated
        again with ``failure={"at_s": peak time, "event": "nodes", "count": 1}``
        (:func:`haplan.autoscaling.simulate_hpa`) and must stay on target in that run too.
    **hpa_options
        Passed to :func:`haplan.autoscaling.simulate_hpa` (``pod_ready_s``, ``sync_s``,
        ``node_provision_s``, …), but not ``failure``.

    Returns
    -------
    Recommendation

    Notes
    -----
    A candidate keeps the targets when, over the whole profile, the ready pods never fall
    below what ``min_instances``, the load under ``max_utilization`` and the p99 target need
    (``HpaResult.totals["time_below_target_s"] == 0``). The cost is the instance-hours the
    HPA creates without the failure. The failure check is dynamic: one node's share of the
    pods stops serving at the peak; the HPA keeps reacting by its rules (it counts the lost
    pods as not ready, at 0 % on a scale-up, so it does not scale up for the loss alone) and
    the ReplicaSet's replacements are ready after detection + eviction + scheduling + image
    pull + start + readiness (stock Kubernetes: about 6 minutes), where the surviving nodes
    have room. The candidate's ``failure_below_target_s`` is that run's time below target
    (NaN when the candidate already fails without the failure or the check is off), and the
    reason names it ("losing a node at the peak: below target for 312 s ...").
    """
    if "failure" in hpa_options:
        raise ValueError(
            "failure is not valid for recommend: survive_node_loss=True loses a node at the peak"
        )
    profile = validate_profile(profile)
    capacity, ceiling = scenario.instance_capacity_rps, scenario.max_utilization
    peak_rps = float(profile.max())
    peak_at = float(profile.idxmax())
    targets = tuple(float(t) for t in targets)
    if not targets or any(not 0 < t <= 1 for t in targets):
        raise ValueError(f"targets={targets!r} is out of range: each must be in (0, 1]")
    floor = max(1, scenario.min_instances)
    if min_replicas is None:
        # From the floor to the pods the peak needs, geometrically: on a bursty profile the
        # HPA cannot follow a jump, so the minimum it may fall to is what matters.
        top = max(floor, int(load.instances_needed(peak_rps, capacity, ceiling)))
        min_replicas = np.unique(np.round(np.geomspace(floor, top, 4)).astype(int))
    min_replicas = sorted({int(m) for m in min_replicas})
    if max_replicas is None:
        peak_pods = math.ceil(peak_rps / (capacity * min(targets)))
        max_replicas = peak_pods + math.ceil(peak_pods / max(scenario.nodes, 1)) + 1
    rows = []
    for target in targets:
        for low in min_replicas:
            if low > max_replicas:
                continue
            result = simulate_hpa(
                scenario,
                profile,
                min_replicas=low,
                max_replicas=max_replicas,
                target_utilization=target,
                **hpa_options,
            )
            frame = result.frame
            at_peak = frame.loc[frame["rps"] >= peak_rps, "ready_replicas"]
            ready_at_peak = float(at_peak.min()) if len(at_peak) else math.nan
            reason = ""
            failure_below = math.nan
            if result.totals["time_below_target_s"] > 0:
                reason = (
                    f"below target for {result.totals['time_below_target_s']:,.0f} s "
                    f"(worst p99 {result.totals['worst_p99_ms']:.4g} ms)"
                )
            elif survive_node_loss:
                hit = simulate_hpa(
                    scenario,
                    profile,
                    min_replicas=low,
                    max_replicas=max_replicas,
                    target_utilization=target,
                    failure={"at_s": peak_at, "event": "nodes", "count": 1},
                    **hpa_options,
                )
                failure_below = hit.totals["time_below_target_s"]
                if failure_below > 0:
                    lost = hit.settings["failure"]["lost"]
                    reason = (
                        f"losing a node at the peak: below target for {failure_below:,.0f} s "
                        f"({lost} pods lost; worst p99 {hit.totals['worst_p99_ms']:.4g} ms)"
                    )
            rows.append(
                {
                    "min_replicas": low,
                    "max_replicas": max_replicas,
                    "target_utilization": target,
                    "instance_hours": result.totals["instance_hours"],
                    "mean_replicas": result.totals["mean_replicas"],
                    "ready_at_peak": ready_at_peak,
                    "time_below_target_s": result.totals["time_below_target_s"],
                    "failure_below_target_s": failure_below,
                    "worst_p99_ms": result.totals["worst_p99_ms"],
                    "scaling_events": result.totals["scaling_events"],
                    "reason": reason,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return Recommendation(None, table)
    table = table.sort_values(
        ["instance_hours", "min_replicas", "target_utilization"], kind="stable"
    ).reset_index(drop=True)
    feasible = np.flatnonzero(table["reason"].to_numpy() == "")
    best = table.iloc[feasible[0]] if len(feasible) else None
    return Recommendation(best, table)
