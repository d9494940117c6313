"""The HPA's scaling rules and the controller's arithmetic under them.

Part of :mod:`haplan.autoscaling.hpa`, which re-exports the public names and describes the
algorithm in its module docstring: the ``behavior`` field's scaling rules (stabilisation
windows, policies, ``selectPolicy``), their defaults (:func:`default_scale_up`,
:func:`default_scale_down`) and validation, the validation of the other inputs at the edge
(numbers, the load profile), and the controller's steps (metric, recommendation,
stabilisation, rate limits and bounds).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd

__all__ = [
    "default_scale_up",
    "default_scale_down",
    "POLICY_TYPES",
    "SELECT_POLICIES",
]

#: ``HPAScalingPolicy.type`` values.
POLICY_TYPES: tuple[str, ...] = ("Pods", "Percent")
#: ``HPAScalingRules.selectPolicy`` values.
SELECT_POLICIES: tuple[str, ...] = ("Max", "Min", "Disabled")
_RULE_KEYS = ("stabilization_window_s", "policies", "select_policy")
_MAX_WINDOW_S = 3600.0  # HPAScalingRules.stabilizationWindowSeconds ≤ 3600
_MAX_PERIOD_S = 1800.0  # HPAScalingPolicy.periodSeconds ≤ 1800
_EPS = 1e-9  # time comparisons [s] and the utilisation percentage's truncation


def default_scale_up() -> dict:
    """The default ``behavior.scaleUp``: no stabilisation; +100 % or +4 pods per 15 s, Max.

    Returns
    -------
    dict
        ``stabilization_window_s`` 0.0 [s], ``policies`` [("Pods", 4, 15.0),
        ("Percent", 100, 15.0)] (type, value, period [s]), ``select_policy`` "Max".

    References
    ----------
    .. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", *Default Behavior*.
    """
    return {
        "stabilization_window_s": 0.0,
        "policies": [("Pods", 4, 15.0), ("Percent", 100, 15.0)],
        "select_policy": "Max",
    }


def default_scale_down() -> dict:
    """The default ``behavior.scaleDown``: a 300 s window; −100 % per 15 s, Max.

    Returns
    -------
    dict
        ``stabilization_window_s`` 300.0 [s] (kube-controller-manager's
        ``--horizontal-pod-autoscaler-downscale-stabilization``), ``policies``
        [("Percent", 100, 15.0)], ``select_policy`` "Max".

    References
    ----------
    .. [1] Kubernetes documentation, "Horizontal Pod Autoscaling", *Default Behavior*.
    """
    return {
        "stabilization_window_s": 300.0,
        "policies": [("Percent", 100, 15.0)],
        "select_policy": "Max",
    }


# -- validation at the edge -------------------------------------------------------------------


def _real(name: str, value, *, low=0.0, low_open=False, high=math.inf, allow_inf=False, valid):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    bad = math.isnan(number) or (math.isinf(number) and not allow_inf)
    bad = bad or number < low or (low_open and number == low) or number > high
    if bad:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return number


def _whole(name: str, value, *, low: int, high=math.inf, allow_inf=False, valid):
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise ValueError(f"{name}={value!r} is not valid: {valid}")
    number = float(value)
    if math.isinf(number) and allow_inf and number > 0:
        return math.inf
    if not math.isfinite(number) or number != round(number) or not low <= number <= high:
        raise ValueError(f"{name}={value!r} is out of range: {valid}")
    return int(number)


def _rules(name: str, given, default: dict) -> dict:
    """A behaviour direction: ``given`` keys over the defaults, validated."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ValueError(f"{name}={given!r} is not valid: must be a dict with keys {_RULE_KEYS}")
    unknown = [key for key in given if key not in _RULE_KEYS]
    if unknown:
        raise ValueError(
            f"{name} key {unknown[0]!r} is not valid: valid keys are {', '.join(_RULE_KEYS)}"
        )
    rules = {**default, **given}
    window = _real(
        f"{name}['stabilization_window_s']",
        rules["stabilization_window_s"],
        high=_MAX_WINDOW_S,
        valid=f"must be a number of seconds in [0, {_MAX_WINDOW_S:g}]",
    )
    select = rules["select_policy"]
    if select not in SELECT_POLICIES:
        raise ValueError(
            f"{name}['select_policy']={select!r} is not valid: must be one of "
            f"{', '.join(SELECT_POLICIES)}"
        )
    raw = rules["policies"]
    if isinstance(raw, (str, bytes, dict)) or not hasattr(raw, "__iter__"):
        raise ValueError(
            f"{name}['policies']={raw!r} is not valid: must be a list of (type, value, period_s)"
        )
    policies = []
    for i, policy in enumerate(raw):
        where = f"{name}['policies'][{i}]"
        if isinstance(policy, dict):
            unknown = set(policy) - {"type", "value", "period_s"}
            if unknown or len(policy) != 3:
                raise ValueError(
                    f"{where}={policy!r} is not valid: give the keys type, value and period_s"
                )
            policy = (policy["type"], policy["value"], policy["period_s"])
        if isinstance(policy, (str, bytes)) or len(tuple(policy)) != 3:
            raise ValueError(f"{where}={policy!r} is not valid: must be (type, value, period_s)")
        kind, value, period = tuple(policy)
        if kind not in POLICY_TYPES:
            raise ValueError(
                f"{where} type={kind!r} is not valid: must be one of {', '.join(POLICY_TYPES)}"
            )
        value = _whole(
            f"{where} value", value, low=1, valid="must be a whole number >= 1 (pods or percent)"
        )
        period = _real(
            f"{where} period_s",
            period,
            low_open=True,
            high=_MAX_PERIOD_S,
            valid=f"must be a number of seconds in (0, {_MAX_PERIOD_S:g}]",
        )
        policies.append((kind, value, period))
    if not policies and select != "Disabled":
        raise ValueError(
            f"{name}['policies']=[] is not valid: give at least one policy "
            "(or select_policy 'Disabled')"
        )
    return {"stabilization_window_s": window, "policies": policies, "select_policy": select}


def _profile(profile, horizon_s):
    """(times [s], rates [req/s], end [s]) of a piecewise-constant rate profile."""
    if not isinstance(profile, pd.Series):
        raise ValueError(
            f"profile of type {type(profile).__name__} is not valid: must be a pandas Series "
            "of request rate [req/s] indexed by time [s]"
        )
    if len(profile) == 0:
        raise ValueError("profile is empty: give at least one (time [s], rate [req/s]) sample")
    try:
        times = np.asarray(profile.index, dtype=float)
        rates = np.asarray(profile.to_numpy(), dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "profile is not valid: its index must be time [s] and its values req/s, numbers"
        ) from error
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise ValueError("profile index is out of range: times [s] must be finite and increasing")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0):
        bad = float(rates[~(np.isfinite(rates) & (rates >= 0))][0])
        raise ValueError(f"profile value {bad!r} is out of range: rates must be finite and >= 0")
    if horizon_s is None:
        if len(times) < 2:
            raise ValueError(
                "horizon_s=None is not valid for a one-sample profile: give horizon_s [s]"
            )
        end = float(times[-1] + (times[-1] - times[-2]))
    else:
        end = _real(
            "horizon_s",
            horizon_s,
            low=float(times[0]),
            low_open=True,
            valid=f"must be a finite time [s] > the profile's start ({times[0]:g})",
        )
    return times, rates, end


# -- the controller ---------------------------------------------------------------------------


def _utilization_pct(rate: float, pods: int, capacity: float) -> int:
    """The controller's utilisation: a whole percentage of the request, truncated."""
    exact = 100.0 * rate / (pods * capacity)
    return int(math.floor(exact * (1.0 + _EPS)))


def _recommend(rate, ready, unready, current, capacity, target_pct, tolerance):
    """``GetResourceReplicas``: the metric's replica count, or None with no ready pod."""
    if ready == 0:
        return None  # "did not receive metrics for targeted pods (pods might be unready)"
    ratio = _utilization_pct(rate, ready, capacity) / target_pct

    def within(value):  # inclusive, as the controller's tolerance check
        return 1.0 - tolerance - _EPS <= value <= 1.0 + tolerance + _EPS

    if unready == 0 or ratio <= 1.0:
        if within(ratio):
            return current
        return int(math.ceil(ratio * ready - _EPS))
    # a scale-up with not-ready pods: they count as 0 % of their request
    total = ready + unready
    new_ratio = _utilization_pct(rate, total, capacity) / target_pct
    if within(new_ratio) or new_ratio < 1.0:
        return current
    proposed = int(math.ceil(new_ratio * total - _EPS))
    return current if proposed < current else proposed


def _changed(events, period, now):
    """Replicas changed by the events of the policy's period (strictly after now − period)."""
    return sum(change for time, change in events if time > now - period + _EPS)


def _scale_up_limit(current, now, ups, downs, rules):
    if rules["select_policy"] == "Disabled":
        return current
    pick = min if rules["select_policy"] == "Min" else max
    proposals = []
    for kind, value, period in rules["policies"]:
        start = current - _changed(ups, period, now) + _changed(downs, period, now)
        if kind == "Pods":
            proposals.append(start + value)
        else:
            proposals.append(int(math.ceil(start * (1.0 + value / 100.0) - _EPS)))
    return pick(proposals)


def _scale_down_limit(current, now, ups, downs, rules):
    if rules["select_policy"] == "Disabled":
        return current
    pick = max if rules["select_policy"] == "Min" else min
    proposals = []
    for kind, value, period in rules["policies"]:
        start = current - _changed(ups, period, now) + _changed(downs, period, now)
        if kind == "Pods":
            proposals.append(start - value)
        else:
            proposals.append(int(start * (1.0 - value / 100.0) + _EPS))
    return pick(proposals)


def _normalize(desired, current, now, history, ups, downs, up_rules, down_rules, low, high):
    """Stabilise the recommendation, then limit it by the policies and the bounds."""
    history.append((now, desired))
    up_cut = now - up_rules["stabilization_window_s"]
    down_cut = now - down_rules["stabilization_window_s"]
    up_floor = min([r for t, r in history if t > up_cut + _EPS] + [desired])
    down_ceiling = max([r for t, r in history if t > down_cut + _EPS] + [desired])
    longest = max(up_rules["stabilization_window_s"], down_rules["stabilization_window_s"])
    history[:] = [(t, r) for t, r in history if t > now - longest - 1.0]
    stabilized = min(max(current, up_floor), down_ceiling)
    if stabilized > current:
        limit = max(_scale_up_limit(current, now, ups, downs, up_rules), current)
        return min(stabilized, high, limit)
    if stabilized < current:
        limit = min(_scale_down_limit(current, now, ups, downs, down_rules), current)
        return max(stabilized, low, limit)
    return stabilized
