"""The cheapest HorizontalPodAutoscaler settings that keep the targets through a profile.

:func:`recommend` searches (minReplicas, maxReplicas, target CPU utilisation) with
:func:`haplan.autoscaling.simulate_hpa` over a load profile, and keeps the candidates under
which the service never falls below its targets and still has room for the planned-for
failure at the profile's peak. The cheapest in instance-hours wins.
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


def _failure_room(scenario, peak_rps: float, ready_at_peak: float) -> tuple[bool, str]:
    """Whether the pods the HPA holds at the peak still carry it after losing one node.

    The planned-for failure is one node, holding ⌈ready / N⌉ pods (the scheduler spreads the
    pods), lost at the peak before the HPA or the rescheduler can react: the survivors must
    carry the peak under ``max_utilization``.
    """
    lost = math.ceil(ready_at_peak / scenario.nodes) if scenario.nodes > 1 else ready_at_peak
    needed = float(
        load.instances_needed(peak_rps, scenario.instance_capacity_rps, scenario.max_utilization)
    )
    left = ready_at_peak - lost
    if left >= needed:
        return True, ""
    return False, (
        f"losing a node at the peak leaves {left:g} of {ready_at_peak:g} pods; "
        f"{needed:g} carry {peak_rps:,.4g} req/s"
    )


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
        minReplicas searched (default: from ``min_instances`` up to the pods that carry the
        profile's lowest rate under the ceiling, and twice that).
    max_replicas : int, optional
        maxReplicas [count] for every candidate (default: the pods that carry the peak at
        the lowest target searched, plus a node's share for the failure).
    targets : iterable of float
        Target CPU utilisations searched [fraction], in (0, 1].
    survive_node_loss : bool
        Also require that the pods held at the peak carry it after losing one node.
    **hpa_options
        Passed to :func:`haplan.autoscaling.simulate_hpa` (``pod_ready_s``, ``sync_s``, …).

    Returns
    -------
    Recommendation

    Notes
    -----
    A candidate keeps the targets when, over the whole profile, the ready pods never fall
    below what ``min_instances``, the load under ``max_utilization`` and the p99 target need
    (``HpaResult.totals["time_below_target_s"] == 0``). The cost is the instance-hours the
    HPA creates. The failure check is static (the pods held at the peak, one node's share
    gone at once); a full what-if under autoscaling is not modelled.
    """
    profile = validate_profile(profile)
    capacity, ceiling = scenario.instance_capacity_rps, scenario.max_utilization
    low_rps, peak_rps = float(profile.min()), float(profile.max())
    targets = tuple(float(t) for t in targets)
    if not targets or any(not 0 < t <= 1 for t in targets):
        raise ValueError(f"targets={targets!r} is out of range: each must be in (0, 1]")
    floor = max(1, scenario.min_instances)
    if min_replicas is None:
        base = max(floor, int(load.instances_needed(low_rps, capacity, ceiling)))
        min_replicas = sorted({floor, base, 2 * base})
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
            if result.totals["time_below_target_s"] > 0:
                reason = (
                    f"below target for {result.totals['time_below_target_s']:,.0f} s "
                    f"(worst p99 {result.totals['worst_p99_ms']:.4g} ms)"
                )
            elif survive_node_loss:
                ok, why = _failure_room(scenario, peak_rps, ready_at_peak)
                reason = "" if ok else why
            rows.append(
                {
                    "min_replicas": low,
                    "max_replicas": max_replicas,
                    "target_utilization": target,
                    "instance_hours": result.totals["instance_hours"],
                    "mean_replicas": result.totals["mean_replicas"],
                    "ready_at_peak": ready_at_peak,
                    "time_below_target_s": result.totals["time_below_target_s"],
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
