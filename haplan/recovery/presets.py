"""Presets: the Kubernetes, Docker Swarm and Nomad pipelines with their default timings.

Every default comes from ``data/orchestrators.csv`` (value, unit and source on every row; the
file's comment header defines its columns and source codes). Reading that file once is the
package's only I/O.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math

import pandas as pd

from haplan._data import data_path
from haplan.recovery.pipeline import RecoveryPipeline

__all__ = ["PRESETS", "orchestrator_defaults", "preset_names", "preset", "resolve_preset"]

#: Names of the built-in presets; ``kubernetes`` is v1.32 and later.
PRESETS: tuple[str, ...] = ("kubernetes", "kubernetes-1.31", "swarm", "nomad")

_CSV_COLUMNS = ("orchestrator", "parameter", "value", "unit", "source", "note")


# -- presets from data/orchestrators.csv ----------------------------------------------------


#: Lines of ``data/orchestrators.csv`` starting with this are its comment header (the columns
#: and source codes, defined in the file itself); a value may contain "#" (``PR #126287``),
#: so pandas' ``comment=`` option, which cuts any line at the character, is not used.
_COMMENT = "#"


@functools.cache
def _load_defaults() -> pd.DataFrame:
    """Read ``data/orchestrators.csv`` once (the module's only I/O), skipping its comment lines."""
    text = data_path("orchestrators.csv").read_text(encoding="utf-8")
    rows = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(_COMMENT))
    table = pd.read_csv(io.StringIO(rows), dtype={"value": float})
    if tuple(table.columns) != _CSV_COLUMNS:
        raise ValueError(
            f"orchestrators.csv has columns {list(table.columns)}; expected {list(_CSV_COLUMNS)}"
        )
    return table


def orchestrator_defaults() -> pd.DataFrame:
    """Return the preset parameters with their units and sources, one row per parameter.

    Returns
    -------
    pandas.DataFrame
        Columns ``orchestrator, parameter, value, unit, source, note`` as in
        ``data/orchestrators.csv`` (a copy: editing it changes no preset).
    """
    return _load_defaults().copy()


def preset_names() -> tuple[str, ...]:
    """Return the names :func:`preset` accepts: ``kubernetes`` (v1.32+), ``kubernetes-1.31``,
    ``swarm``, ``nomad``."""
    return PRESETS


def _values(name: str) -> dict[str, float]:
    rows = _load_defaults()
    rows = rows[rows["orchestrator"] == name]
    return dict(zip(rows["parameter"], rows["value"], strict=True))


def _startup(v: dict[str, float]) -> dict[str, float]:
    """The stages every orchestrator shares after eviction: scheduling, image pull, start,
    readiness (each preset's own row of data/orchestrators.csv)."""
    return dict(
        scheduling_rate_per_s=v["scheduling_rate"],
        image_size_mb=v["image_size"],
        registry_bandwidth_mb_per_s=v["registry_bandwidth"],
        image_cached=bool(v["image_cached"]),
        container_start_s=v["container_start"],
        probe_initial_delay_s=v["probe_initial_delay"],
        probe_period_s=v["probe_period"],
        probe_success_threshold=int(v["probe_success_threshold"]),
    )


def _kubernetes(name: str, v: dict[str, float]) -> RecoveryPipeline:
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=v["node_lease_renew_interval"],
        node_down_after_s=v["node_monitor_grace_period"],
        monitor_period_s=v["node_monitor_period"],
        eviction_s=v["default_unreachable_toleration_seconds"],
        eviction_rate_nodes_per_s=v["node_eviction_rate"],
        **_startup(v),
        restart_delay_s=v["restart_backoff_initial"],
        restart_backoff_factor=v["restart_backoff_factor"],
        restart_max_delay_s=v["restart_backoff_max"],
        restart_first_immediate=bool(v["restart_first_immediate"]),
    )


def _swarm(name: str, v: dict[str, float]) -> RecoveryPipeline:
    period = v["dispatcher_heartbeat_period"]
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=period,
        node_down_after_s=period * v["heartbeat_grace_multiplier"],
        monitor_period_s=0.0,  # a per-node timer fires when the grace expires
        eviction_s=v["restart_delay"],  # the restart supervisor delays replacement tasks too
        eviction_rate_nodes_per_s=math.inf,
        **_startup(v),
        restart_delay_s=v["restart_delay"],
        restart_backoff_factor=1.0,
        restart_max_delay_s=math.inf,
        restart_first_immediate=False,
        restart_attempts=math.inf if v["restart_max_attempts"] == 0 else v["restart_max_attempts"],
        restart_exhausted="stop",
        crash_replaces_task=True,
    )


def _nomad(name: str, v: dict[str, float]) -> RecoveryPipeline:
    # TTL = base + uniform[0, base): mean 1.5 × base; the node is down after TTL + grace.
    mean_ttl = 1.5 * v["min_heartbeat_ttl"]
    return RecoveryPipeline(
        name=name,
        heartbeat_interval_s=mean_ttl,
        node_down_after_s=mean_ttl + v["heartbeat_grace"],
        monitor_period_s=0.0,  # a per-node timer fires when TTL + grace expires
        eviction_s=v["lost_allocation_delay"],
        eviction_rate_nodes_per_s=math.inf,
        **_startup(v),
        restart_delay_s=v["restart_delay"],
        restart_backoff_factor=1.0,
        restart_max_delay_s=math.inf,
        restart_first_immediate=False,
        restart_attempts=v["restart_attempts"],
        reschedule_delay_s=v["reschedule_delay"],
        reschedule_backoff_factor=v["reschedule_delay_factor"],
        reschedule_max_delay_s=v["reschedule_max_delay"],
    )


_BUILDERS = {
    "kubernetes": _kubernetes,
    "kubernetes-1.31": _kubernetes,
    "swarm": _swarm,
    "nomad": _nomad,
}


@functools.cache
def _preset_from_csv(name: str) -> RecoveryPipeline:
    return _BUILDERS[name](name, _values(name))


def preset(name: str, **overrides) -> RecoveryPipeline:
    """Return an orchestrator's recovery pipeline with its default timings.

    Parameters
    ----------
    name : str
        ``"kubernetes"`` (v1.32 and later, node-monitor-grace-period 50 s),
        ``"kubernetes-1.31"`` (40 s), ``"swarm"`` or ``"nomad"``; case-insensitive.
    **overrides
        Any :class:`RecoveryPipeline` field, e.g. ``eviction_s=30`` for a Kubernetes cluster
        whose pods tolerate an unreachable node for 30 s, or ``image_cached=True``. Unless
        ``name`` is among them, the pipeline is named ``"<preset> (tuned)"`` so tables never
        show tuned timings under a stock preset's name.

    Returns
    -------
    RecoveryPipeline

    Notes
    -----
    Values and sources are in ``data/orchestrators.csv`` (see :func:`orchestrator_defaults`).
    Nomad's heartbeat TTL is max(10 s, nodes / 50 per s) plus a random stagger of up to one
    TTL; the preset uses the 10 s floor, exact up to 500 nodes. For a larger cluster pass
    ``heartbeat_interval_s=1.5 * b, node_down_after_s=1.5 * b + 10`` with ``b = nodes / 50``.
    """
    if not isinstance(name, str) or name.strip().lower() not in _BUILDERS:
        raise ValueError(f"preset={name!r} is not known: valid presets are {', '.join(PRESETS)}")
    base = _preset_from_csv(name.strip().lower())
    if not overrides:
        return base
    fields = {f.name for f in dataclasses.fields(RecoveryPipeline)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(
            f"{unknown[0]}= is not a recovery pipeline field: valid fields are "
            f"{', '.join(sorted(fields))}"
        )
    overrides.setdefault("name", f"{base.name} (tuned)")
    return dataclasses.replace(base, **overrides)


def resolve_preset(pipeline) -> RecoveryPipeline:
    """Return the pipeline a preset argument names: a name is looked up, a pipeline kept.

    Parameters
    ----------
    pipeline : str or RecoveryPipeline
        A preset name (see :func:`preset_names`; case-insensitive) or a pipeline.

    Returns
    -------
    RecoveryPipeline
        ``preset(pipeline)`` for a name, ``pipeline`` itself for a pipeline.

    Raises
    ------
    ValueError
        For an unknown name or any other type, naming the valid presets.
    """
    if isinstance(pipeline, RecoveryPipeline):
        return pipeline
    if isinstance(pipeline, str):
        return preset(pipeline)
    raise ValueError(
        f"preset={pipeline!r} is not valid: pass a preset name ({', '.join(PRESETS)}) "
        "or a RecoveryPipeline"
    )
