"""Autoscaling: load profiles over time and a service's size following them.

- ``profiles`` — load profiles (request rate over time): read from CSV, generated (diurnal,
  step, ramp), the shipped NASA-HTTP 1995 week, scaled to a peak; ``over_profile`` evaluates
  a scenario with fixed instances at every interval of a profile;
- ``hpa`` — the HorizontalPodAutoscaler's control loop (autoscaling/v2) over a profile:
  replicas, ready pods and p99 over time, time short of capacity, instance-hours;
- ``recommend`` — the cheapest HPA settings that keep the targets through a profile.
"""

from haplan.autoscaling.hpa import (
    HPA_COLUMNS,
    POLICY_TYPES,
    SELECT_POLICIES,
    HpaResult,
    default_scale_down,
    default_scale_up,
    hpa_settings,
    simulate_hpa,
)
from haplan.autoscaling.profiles import (
    NASA_TRACE_FILE,
    ProfileResult,
    diurnal,
    nasa_trace,
    over_profile,
    ramp,
    read_profile,
    scale_to_peak,
    step,
    validate_profile,
)
from haplan.autoscaling.recommend import DEFAULT_TARGETS, Recommendation, recommend

__all__ = [
    "validate_profile",
    "read_profile",
    "diurnal",
    "step",
    "ramp",
    "scale_to_peak",
    "nasa_trace",
    "NASA_TRACE_FILE",
    "ProfileResult",
    "over_profile",
    "simulate_hpa",
    "hpa_settings",
    "HpaResult",
    "default_scale_up",
    "default_scale_down",
    "HPA_COLUMNS",
    "POLICY_TYPES",
    "SELECT_POLICIES",
    "recommend",
    "Recommendation",
    "DEFAULT_TARGETS",
]
