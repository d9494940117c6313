"""Autoscaling: load profiles over time and a service's size following them.

- ``profiles`` — load profiles (request rate over time): read from CSV, generated (diurnal,
  step, ramp), the shipped NASA-HTTP 1995 week, scaled to a peak; ``over_profile`` evaluates
  a scenario with fixed instances at every interval of a profile.
"""

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
]
