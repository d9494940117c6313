"""Number formatting shared by every report: metrics, percentages, nines, inputs and
JSON-safe scalars.
"""

from __future__ import annotations

import math

import numpy as np

from haplan._numeric import is_missing

__all__ = ["format_number", "format_percent", "format_nines", "format_input", "json_value"]


def format_percent(probability) -> str:
    """A probability near 1 as a percentage with enough digits to show its nines."""
    value = float(probability)
    if math.isnan(value):
        return "n/a"
    shortfall = 1.0 - value
    if shortfall <= 0:
        return "100 %"
    digits = min(max(int(math.ceil(-math.log10(shortfall))), 2), 15)
    return f"{100 * value:.{digits}f} %"


def format_nines(value) -> str:
    """Nines to three significant digits, as the verdict's headline writes them."""
    value = float(value)
    return format_number(value) if not math.isfinite(value) else f"{value:.3g}"


def format_input(name: str, value) -> str:
    """Format an input value; an unset ``repair_crews`` reads "unlimited", an unset target
    "none"."""
    if is_missing(value) and name == "repair_crews":
        return "unlimited"
    if is_missing(value) and name.startswith("target_"):
        return "none"
    if name in FRACTION_INPUTS and not is_missing(value):  # a fraction: say it in % too
        return f"{format_number(value)} ({100 * float(value):.6g} %)"
    return format_number(value)


#: Inputs given as fractions; the reports show them with their percentage beside.
FRACTION_INPUTS = ("max_utilization", "target_availability")


def format_number(value) -> str:
    """Format a metric for people: integers plainly, tiny probabilities in scientific form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    if abs(value) < 1e-3 or abs(value) >= 1e9:
        return f"{value:.3e}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.1f}"


def json_value(value):
    """A JSON-safe scalar: numpy types to Python, inf as the string "inf", NaN as null."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return str(value)  # strings, and a tuned RecoveryPipeline shown by its name
