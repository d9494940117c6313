"""One line per speed target, the same in every benchmark, for ``run.py`` to collect.

Format (one line, nothing after the verdict)::

    TARGET <name>: <measured> vs <target> — met|MISSED

``<measured>`` and ``<target>`` are free text with units (``0.31 s``, ``3.2e6/s``,
``< 1.5 s``, ``>= 200x``); ``<name>`` has no colon.
"""

from __future__ import annotations

PREFIX = "TARGET "


def target(name: str, measured: str, goal: str, met: bool) -> bool:
    """Print the target line and return ``met``."""
    print(f"{PREFIX}{name}: {measured} vs {goal} — {'met' if met else 'MISSED'}", flush=True)
    return met
