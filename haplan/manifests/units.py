"""Units in manifests: Kubernetes resource quantities, durations and compose memory sizes.

Each parser takes a value as YAML gives it (a string or a number) and returns it in base units:
a quantity in cores or bytes, a duration in seconds [s], a memory size in bytes. A value that is
not valid raises ``ValueError`` with a message saying what to write.

References
----------
.. [1] Kubernetes resource quantities (``500m``, ``128Mi``, ``1G``, ``1e3``):
   k8s.io/apimachinery/pkg/api/resource, quantity.go.
.. [2] Go durations (``5s``, ``1m30s``, ``250ms``), as compose writes them:
   pkg.go.dev/time#ParseDuration.
.. [3] Compose memory sizes (``512m``, ``1g``) are binary multiples:
   github.com/docker/go-units, ``RAMInBytes``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from haplan._safe import MAX_COUNT, quote

__all__ = ["parse_quantity", "parse_duration_s", "parse_compose_memory"]

_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]))?"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_EXPONENT = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_quantity(value: Any) -> float:
    """Parse a Kubernetes resource quantity: ``"500m"`` → 0.5, ``"128Mi"`` → 134217728.

    Parameters
    ----------
    value : str or number
        A quantity as Kubernetes writes it: a number with an optional binary suffix
        (Ki, Mi, Gi, Ti, Pi, Ei: powers of 1024), decimal suffix (n, u, m, k, M, G, T, P, E:
        powers of 1000) or exponent (``1e3``). CPU quantities are in cores, memory in bytes.

    Returns
    -------
    float
        The quantity in base units [cores or bytes], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a valid non-negative quantity.

    References
    ----------
    k8s.io/apimachinery/pkg/api/resource, quantity.go (the serialization format).
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"quantity {value!r} is not valid: write e.g. 500m, 2, 128Mi or 1G")
    try:
        number = _quantity_number(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"quantity {quote(value)} is not valid: must be a finite number >= 0")
    return number


def _quantity_number(value: Any) -> float:
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _QUANTITY.fullmatch(str(value).strip())
        if not match:
            raise ValueError(
                f"quantity {quote(value)} is not valid: write e.g. 500m, 2, 128Mi or 1G"
            )
        number = float(match["number"])
        if match["binary"]:
            number *= _BINARY[match["binary"]]
        elif match["exponent"] or match["decimal"]:
            exponent = (
                int(match["exponent"][1:])
                if match["exponent"]
                else _DECIMAL_EXPONENT[match["decimal"]]
            )
            # Divide for negative powers so that 100m is exactly the float nearest 0.1.
            number = number * 10.0**exponent if exponent >= 0 else number / 10.0**-exponent
    return number


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNIT_S = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration_s(value: Any) -> float:
    """Parse a compose / Go duration: ``"5s"`` → 5.0, ``"1m30s"`` → 90.0, ``"250ms"`` → 0.25.

    Parameters
    ----------
    value : str or 0
        A sequence of numbers each with a unit (ns, us, ms, s, m, h), as Go's
        ``time.ParseDuration`` and the compose specification write durations; a bare
        ``0`` is accepted.

    Returns
    -------
    float
        The duration [s], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a duration (a bare number other than 0 has no unit).
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    text = value.strip() if isinstance(value, str) else ""
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match[1]) * _DURATION_UNIT_S[match[2]]
        position = match.end()
    if not text or position != len(text):
        raise ValueError(
            f"duration {quote(value)} is not valid: write numbers with units (h, m, s, ms), "
            "e.g. '5s' or '1m30s'"
        )
    if not math.isfinite(total) or total > MAX_COUNT:
        raise ValueError(
            f"duration {quote(value)} is out of range: must be finite and at most {MAX_COUNT:g} s"
        )
    return total


_COMPOSE_MEMORY = re.compile(r"(\d+(?:\.\d+)?) ?([kmgtp])?i?b?", re.IGNORECASE)


def parse_compose_memory(value: Any) -> float:
    """Parse a compose memory size: ``"512m"`` → 536870912, ``"1g"`` → 1073741824.

    Parameters
    ----------
    value : str or int
        A number of bytes, or a number with a unit b, k, m, g, t, p (optionally followed by
        ``b`` or ``ib``; case-insensitive); every unit is a power of 1024, as Docker reads it.

    Returns
    -------
    float
        The size [bytes], ≥ 0.

    Raises
    ------
    ValueError
        If ``value`` is not a size.

    References
    ----------
    github.com/docker/go-units, ``RAMInBytes`` (binary multiples for k, m, g, t, p).
    """
    if not isinstance(value, bool) and isinstance(value, int) and value >= 0:
        return float(value)
    match = _COMPOSE_MEMORY.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"memory size {value!r} is not valid: write e.g. 512m or 1g")
    power = " kmgtp".index(match[2].lower()) if match[2] else 0
    return float(match[1]) * 1024.0**power
