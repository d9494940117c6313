"""The prose note on how the article's T = N/R × S differs from the recovery pipeline."""

from __future__ import annotations

import math

from haplan._numeric import check_range
from haplan.recovery.presets import resolve_preset
from haplan.recovery.stages import node_failure_stages

__all__ = ["document_recovery_note"]


# -- the article's T = N/R × S beside the pipeline ------------------------------------------


def document_recovery_note(preset="kubernetes", nodes=None, replicas=None, recovery_speed_s=None):
    """A short note on how the article's T = N/R × S differs from the recovery pipeline.

    Parameters
    ----------
    preset : str or RecoveryPipeline
        The orchestrator to compare with.
    nodes, replicas, recovery_speed_s : float, optional
        N, R [count] and S [s] of one scenario; when all three are given the note quotes T and
        the pipeline time for the ⌈R⌉ instances of one failed node.

    Returns
    -------
    str
        Plain text, a few sentences, for reports and notebooks.

    Notes
    -----
    T is ``haplan.document.recovery_time`` (the article, section 3.3); the pipeline is
    :func:`node_failure_recovery_s`.
    """
    p = resolve_preset(preset)
    given = [v is not None for v in (nodes, replicas, recovery_speed_s)]
    moved = 1
    opening = "The article's T = N/R × S"
    if all(given):
        n = float(check_range("nodes", nodes, low=1))
        r = float(check_range("replicas", replicas, low=0, low_open=True))
        s = float(check_range("recovery_speed_s", recovery_speed_s, low=0))
        # ⌈R⌉ = ⌈C/N⌉, the rule of instances_to_move; taken from R here, which may be a
        # fractional C/N (N × R need not round back to a whole C).
        moved = max(1, math.ceil(r))
        opening = f"The article's T = N/R × S = {n:g}/{r:g} × {s:g} s = {n / r * s:g} s"
    elif any(given):
        raise ValueError("pass all of nodes, replicas and recovery_speed_s, or none of them")
    stages = node_failure_stages(p, moved)
    total = sum(stages.values())
    waiting = stages["detection"] + stages["eviction"]
    rate = p.scheduling_rate_per_s
    return (
        f"{opening} scales with N/R (it falls as R grows) and has no detection or grace "
        f"term. {p.name}'s pipeline after a node failure takes {total:.4g} s for "
        f"{moved} instance{'s' if moved != 1 else ''}; detection ({stages['detection']:.4g} s) "
        f"and the eviction wait ({stages['eviction']:.4g} s) make up "
        f"{100 * waiting / total:.0f} % of it, and it barely depends on N. It grows with the "
        f"instances to move only through scheduling ({rate:g} instances/s) and image pulls "
        f"({p.image_pull_per_instance_s:.3g} s each); more instances per node means more to "
        "move after a node failure, not less."
    )
