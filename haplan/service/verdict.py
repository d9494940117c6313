"""The SLO verdict: the headline and one pass/fail line per target, as data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from haplan import availability
from haplan._numeric import is_missing

__all__ = ["Verdict", "verdict", "min_stable_instances", "SLO_PERIOD_DAYS"]

#: The SLO's rolling window [days]: error budgets and the headline downtime are per 30 days.
SLO_PERIOD_DAYS = availability.MONTH_DAYS


# --------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """One line of the SLO verdict: a target, the value it is judged on, pass or fail.

    ``target`` and ``margin`` are NaN for the headline line (no target); ``margin`` is in
    ``unit`` and positive when the target holds with room to spare.
    """

    name: str  # "availability", "p99", "recovery" or "headline"
    value: float
    target: float
    unit: str
    passed: bool
    margin: float
    message: str


def min_stable_instances(request_rate_rps, instance_capacity_rps):
    """Fewest instances that keep the queue stable, ρ < 1 [count]: ⌊P / μ⌋ + 1.

    Parameters
    ----------
    request_rate_rps : numeric
        P, requests arriving [requests/s], ≥ 0.
    instance_capacity_rps : numeric
        μ, requests one instance serves at 100 % busy [requests/s], > 0.

    Returns
    -------
    numeric
        The smallest C with P / (C μ) < 1 (M/M/c stability; Kleinrock, *Queueing Systems*
        vol. 1, 1975, §3.5).
    """
    with np.errstate(over="ignore"):
        return np.floor(np.asarray(request_rate_rps) / np.asarray(instance_capacity_rps)) + 1


def _percent(availability_value: float) -> str:
    if availability_value >= 1.0:
        return "100 %"
    digits = max(2, min(12, int(math.floor(-math.log10(max(1.0 - availability_value, 1e-15))))))
    return f"{100 * availability_value:.{digits}f} %"


def _minutes(value: float) -> str:
    if math.isinf(value):
        return "unbounded"
    if value >= 100:
        return f"{value:,.0f} min"
    return f"{value:.3g} min"


def _planned_text(row) -> str:
    planned = float(row.get("planned_downtime_min_per_30d", 0.0) or 0.0)
    if planned <= 0:
        return ""
    if math.isinf(planned):
        return (
            " (planned upgrades cannot finish: the disruption budget, min_instances, allows "
            "no eviction — see haplan whatif --event drain)"
        )
    return f" (planned rollouts and upgrades spend {_minutes(planned)} of it)"


def verdict(row) -> list[Verdict]:
    """The SLO verdict for one metrics row: the headline, then one line per target set.

    Parameters
    ----------
    row : mapping
        One row of :func:`haplan.metrics` (a pandas Series or a dict of its columns).

    Returns
    -------
    list of Verdict
        First the load-aware headline (``slo_availability``: enough instances up both for
        ``min_instances`` and for the request rate under ``max_utilization``), then, for each
        of ``target_availability``, ``target_p99_ms`` and ``target_recovery_s`` that is set,
        pass or fail with the margin. An overloaded service's p99 line says how many
        instances would keep the queue stable and how many meet the utilisation ceiling.
    """
    lines = []
    u = float(row["slo_unavailability"])
    a = float(row["slo_availability"])
    k, needed = int(row["min_instances"]), float(row["instances_needed"])
    rate = float(row["request_rate_rps"])
    ceiling = float(row["max_utilization"])
    overloaded = bool(row["overloaded"])
    stable = float(min_stable_instances(rate, float(row["instance_capacity_rps"])))
    load = f"{rate:,.4g} req/s"
    if needed > row["instances"]:
        why = (
            f"{int(row['instances'])} instances cannot carry {load} under "
            f"{ceiling:.0%} utilisation: {needed:,.0f} are needed"
        )
    else:
        why = (
            f"P(at least {max(k, int(needed))} of {int(row['instances'])} instances up: "
            f"{k} for the service, {needed:,.0f} to carry {load} under {ceiling:.0%} "
            "utilisation)"
        )
    lines.append(
        Verdict(
            "headline",
            a,
            math.nan,
            "fraction",
            u < 1.0,
            math.nan,
            f"SLO availability {_percent(a)} ({float(row['slo_nines']):.3g} nines, "
            f"{_minutes(float(row['slo_downtime_min_per_30d']))} down per 30 days) — {why}",
        )
    )
    target = row.get("target_availability", math.nan)
    if not is_missing(target):
        margin = float(row["availability_margin_min_per_30d"])
        passed = margin >= 0
        spare = "to spare" if passed else "over budget"
        lines.append(
            Verdict(
                "availability",
                a,
                float(target),
                "min per 30 days",
                passed,
                margin,
                f"availability {_percent(a)} {'meets' if passed else 'misses'} the "
                f"{_percent(float(target))} target: {_minutes(abs(margin))} per 30 days "
                f"{spare}" + _planned_text(row),
            )
        )
    target = row.get("target_p99_ms", math.nan)
    if not is_missing(target):
        p99 = float(row["p99_response_ms"])
        margin = float(row["p99_margin_ms"])
        passed = margin >= 0
        if overloaded:
            message = (
                f"p99 ∞ ms: the service is overloaded at {load} — it needs at least "
                f"{stable:,.0f} instances to be stable, {needed:,.0f} to stay under "
                f"{ceiling:.0%} utilisation"
            )
        else:
            message = (
                f"p99 {p99:.4g} ms {'meets' if passed else 'misses'} the {float(target):.4g} "
                f"ms target by {abs(margin):.3g} ms"
            )
        lines.append(Verdict("p99", p99, float(target), "ms", passed, margin, message))
    target = row.get("target_recovery_s", math.nan)
    if not is_missing(target):
        value = float(row["recovery_node_failure_s"])
        margin = float(row["recovery_margin_s"])
        passed = margin >= 0
        lines.append(
            Verdict(
                "recovery",
                value,
                float(target),
                "s",
                passed,
                margin,
                f"recovery after a node failure {value:.4g} s "
                f"{'meets' if passed else 'misses'} the {float(target):.4g} s target by "
                f"{abs(margin):.3g} s",
            )
        )
    return lines
