"""The Scenario: one cluster and service described in the shared input vocabulary.

A Scenario is validated once, at construction; models downstream trust its values. It loads
from TOML (``Scenario.from_toml``) and the built-in default lives in
``data/scenarios/default.toml``. ``haplan.metrics`` turns a Scenario (or a DataFrame of them)
into the tidy metrics table.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from haplan._data import data_path
from haplan._numeric import check_range
from haplan._safe import (
    MAX_COUNT,
    MAX_YAML_DEPTH,
    check_file_size,
    escape_controls,
    quote,
    quote_path,
)
from haplan.recovery import PRESETS, RecoveryPipeline, preset

__all__ = [
    "Scenario",
    "INPUT_NAMES",
    "validate_inputs",
    "validated_columns",
    "check_input_values",
    "ORCHESTRATORS",
    "BALANCERS",
    "TARGET_NAMES",
    "NUMERIC_RULES",
    "PIPELINE_FIELDS",
    "read_toml",
    "relation_problems",
]

#: Recovery presets a scenario may name (see ``haplan.recovery``).
ORCHESTRATORS = PRESETS
#: Balancing strategies a scenario may name (see ``haplan.balancing``).
BALANCERS = ("round_robin", "random", "weighted", "least_connections", "power_of_two")

# name -> keyword arguments for check_range; one table for a Scenario and for DataFrame columns.
NUMERIC_RULES: dict[str, dict[str, Any]] = {
    "nodes": dict(low=1, integer=True),
    "replicas": dict(low=0, low_open=True),
    "instances": dict(low=1, integer=True),
    "request_rate_rps": dict(low=0),
    "recovery_speed_s": dict(low=0),
    "min_instances": dict(low=0, integer=True),
    "instance_capacity_rps": dict(low=0, low_open=True),
    "max_utilization": dict(low=0, high=1, low_open=True),
    "node_mttf_h": dict(low=0, low_open=True),
    "node_mttr_h": dict(low=0, low_open=True),
    "instance_mttf_h": dict(low=0, low_open=True, allow_inf=True),
    "instance_mttr_h": dict(low=0),
    "zones": dict(low=1, integer=True),
    "zone_mttf_h": dict(low=0, low_open=True, allow_inf=True),
    "zone_mttr_h": dict(low=0),
    "repair_crews": dict(low=1, integer=True),
    "max_instances_per_node": dict(low=1, integer=True, allow_inf=True),
    "rollouts_per_week": dict(low=0),
    "upgrades_per_year": dict(low=0),
    "target_availability": dict(low=0, high=1, low_open=True, high_open=True),
    "target_p99_ms": dict(low=0, low_open=True, allow_inf=True),
    "target_recovery_s": dict(low=0, low_open=True, allow_inf=True),
}
_CHOICES: dict[str, tuple[str, ...]] = {"orchestrator": ORCHESTRATORS, "balancer": BALANCERS}
#: Inputs that may be None (unset): the other of replicas / instances, crews, targets.
_MAY_BE_NONE = frozenset(
    {
        "replicas",
        "instances",
        "repair_crews",
        *("target_availability", "target_p99_ms", "target_recovery_s"),
    }
)

#: Every input, in the order of the metrics table's first columns.
INPUT_NAMES: tuple[str, ...] = (
    "nodes",
    "replicas",
    "instances",
    "request_rate_rps",
    "recovery_speed_s",
    "min_instances",
    "instance_capacity_rps",
    "max_utilization",
    "node_mttf_h",
    "node_mttr_h",
    "instance_mttf_h",
    "instance_mttr_h",
    "zones",
    "zone_mttf_h",
    "zone_mttr_h",
    "repair_crews",
    "orchestrator",
    "balancer",
    "reschedule",
    "max_instances_per_node",
    "rollouts_per_week",
    "upgrades_per_year",
    "target_availability",
    "target_p99_ms",
    "target_recovery_s",
)

#: Inputs that state what the service must meet rather than describe it (NaN: no target).
TARGET_NAMES: tuple[str, ...] = ("target_availability", "target_p99_ms", "target_recovery_s")


PIPELINE_FIELDS = frozenset(f.name for f in dataclasses.fields(RecoveryPipeline)) - {"name"}


def _check_names(values: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Unknown input names are an error naming the first one and the valid ones."""
    for key in values:
        if key not in INPUT_NAMES and key not in extra:
            raise ValueError(
                f"unknown scenario input {quote(key)}: valid names are "
                f"{', '.join(INPUT_NAMES)}, or a recovery pipeline field (e.g. eviction_s)"
            )


def tune_pipeline(orchestrator, **stages) -> RecoveryPipeline:
    """The orchestrator's pipeline (a preset name or a pipeline) with some stages replaced.

    Unknown fields raise ``ValueError``; the result is named "<name> (tuned)".
    """
    unknown = sorted(set(stages) - PIPELINE_FIELDS)
    if unknown:
        raise ValueError(
            f"{unknown[0]}= is not a recovery pipeline field: valid fields are "
            f"{', '.join(sorted(PIPELINE_FIELDS))}"
        )
    if isinstance(orchestrator, RecoveryPipeline):
        name = orchestrator.name if orchestrator.name.endswith("(tuned)") else None
        return dataclasses.replace(
            orchestrator, **stages, name=name or f"{orchestrator.name} (tuned)"
        )
    return preset(orchestrator, **stages)


def _check_choice(name: str, values: Any) -> None:
    valid = _CHOICES[name]
    for value in pd.unique(np.asarray(values, dtype=object).ravel()):
        if name == "orchestrator" and isinstance(value, RecoveryPipeline):
            continue  # a tuned pipeline (e.g. from a manifest's probes) stands for a preset
        if not isinstance(value, str) or value not in valid:
            raise ValueError(
                f"{name}={quote(value)} is not known: must be one of {', '.join(valid)}"
            )


def _too_big(rule: dict[str, Any]) -> str:
    return f"must be at most {MAX_COUNT:g}" + (" or inf" if rule.get("allow_inf") else "")


#: Inputs that count something: at most MAX_COUNT (1e15), so they stay exact in a float and
#: in int64 and their products (nodes x replicas) stay finite.
COUNT_INPUTS = frozenset(
    {"nodes", "replicas", "instances", "min_instances", "zones", "repair_crews"}
    | {"max_instances_per_node"}
)


def _check_magnitude(name: str, values, rule: dict[str, Any]) -> None:
    """A count is at most MAX_COUNT (other inputs need only be finite, or inf where the
    rule allows it: the models carry them)."""
    if name not in COUNT_INPUTS:
        return
    array = np.asarray(values, dtype=float)
    big = np.isfinite(array) & (np.abs(array) > MAX_COUNT)
    if rule.get("allow_inf") is not True:
        big |= np.isinf(array)
    if big.any():
        first = array[big].flat[0] if array.ndim else float(array)
        raise ValueError(f"{name}={first:g} is out of range: {_too_big(rule)}")


def _describe_rule(rule: dict[str, Any]) -> str:
    from haplan._numeric import _describe_range

    return _describe_range(
        rule.get("low"),
        rule.get("high"),
        rule.get("low_open", False),
        rule.get("high_open", False),
        rule.get("integer", False),
    )


def relation_problems(nodes, instances, min_instances, zones, max_per_node=math.inf) -> np.ndarray:
    """Why each scenario is not one the inputs can describe ('' when it is); arrays broadcast.

    The checks that tie two inputs together: at least as many nodes as zones, at least
    ``min_instances`` instances, and room for ⌈instances / nodes⌉ on a node. Grids and samples
    use it to leave such rows out instead of failing whole; a Scenario raises on them.
    """
    nodes, instances, min_instances, zones, max_per_node = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=float)
            for x in (nodes, instances, min_instances, zones, max_per_node)
        )
    )
    reasons = np.full(nodes.shape, "", dtype=object)
    reasons[max_per_node < np.ceil(instances / nodes)] = (
        "more instances per node than max_instances_per_node"
    )
    reasons[nodes < zones] = "fewer nodes than zones"
    reasons[instances < min_instances] = "fewer instances than min_instances"
    return reasons


def _check_relations(nodes, instances, min_instances, zones, max_per_node=math.inf) -> None:
    """Checks that involve two inputs; arrays broadcast."""
    crowded = np.asarray(max_per_node) < np.ceil(np.asarray(instances) / np.asarray(nodes))
    if crowded.any():
        m = np.broadcast_to(max_per_node, crowded.shape)[crowded].flat[0]
        c = np.broadcast_to(instances, crowded.shape)[crowded].flat[0]
        n = np.broadcast_to(nodes, crowded.shape)[crowded].flat[0]
        raise ValueError(
            f"max_instances_per_node={m:g} is out of range: {c:g} instances on {n:g} nodes "
            f"need at least {math.ceil(c / n)} per node"
        )
    too_many = np.asarray(min_instances) > np.asarray(instances)
    if too_many.any():
        k = np.broadcast_to(min_instances, too_many.shape)[too_many].flat[0]
        c = np.broadcast_to(instances, too_many.shape)[too_many].flat[0]
        raise ValueError(
            f"min_instances={k:g} is out of range: must be <= instances ({c:g}); "
            "lower min_instances or add replicas"
        )
    zones_over = np.asarray(zones) > np.asarray(nodes)
    if zones_over.any():
        z = np.broadcast_to(zones, zones_over.shape)[zones_over].flat[0]
        n = np.broadcast_to(nodes, zones_over.shape)[zones_over].flat[0]
        raise ValueError(f"zones={z:g} is out of range: must be <= nodes ({n:g})")


def _derive_sizing(nodes, replicas, instances):
    """Return (replicas, instances) from whichever is given; arrays broadcast."""
    if instances is None:
        with np.errstate(over="ignore"):
            exact = np.asarray(nodes, dtype=float) * np.asarray(replicas, dtype=float)
        over = ~(exact <= MAX_COUNT)
        if np.any(over):
            bad_r = np.broadcast_to(replicas, over.shape)[over].flat[0]
            bad_n = np.broadcast_to(nodes, over.shape)[over].flat[0]
            raise ValueError(
                f"replicas={bad_r:g} is out of range: nodes x replicas = {bad_n * bad_r:g} "
                f"instances, more than the {MAX_COUNT:g} haplan holds"
            )
        rounded = np.round(exact)
        off = np.abs(exact - rounded) > 1e-9 * np.maximum(1.0, exact)
        if np.any(off):
            bad_r = np.broadcast_to(replicas, off.shape)[off].flat[0]
            bad_n = np.broadcast_to(nodes, off.shape)[off].flat[0]
            raise ValueError(
                f"replicas={bad_r:g} is out of range: nodes x replicas must be a whole number "
                f"of instances (nodes={bad_n:g} gives {bad_n * bad_r:g}); give instances instead"
            )
        return replicas, rounded
    derived = np.asarray(instances, dtype=float) / np.asarray(nodes, dtype=float)
    if replicas is not None and not np.allclose(derived, replicas, rtol=1e-12, atol=0):
        raise ValueError(
            f"replicas={replicas} and instances={instances} disagree: "
            "instances must equal nodes x replicas; give only one of them"
        )
    return derived, instances


@dataclass(frozen=True)
class Scenario:
    """One cluster and the service running on it, in the shared input vocabulary.

    Give either ``replicas`` (the article's R, instances per node) or ``instances`` (C, total
    instances; a Kubernetes Deployment's ``replicas``); the other is derived as
    C = N × R. Every value is validated at construction: a bad one raises ``ValueError``
    naming the parameter, the value and the valid range.

    Parameters
    ----------
    nodes : int
        N, number of nodes [count], ≥ 1.
    replicas : float, optional
        R, instances per node [count], > 0; may be fractional when ``instances`` is given.
    instances : int, optional
        C, total instances [count], ≥ 1.
    request_rate_rps : float
        P, requests arriving at the service [requests/s], ≥ 0.
    recovery_speed_s : float
        S of the article's T = N/R × S [s], ≥ 0.
    min_instances : int
        k, instances that must be up for the service to count as up [count], 0 ≤ k ≤ C.
    instance_capacity_rps : float
        Requests one instance serves at 100 % busy [requests/s], > 0.
    max_utilization : float
        Utilisation ceiling for headroom and availability at load [fraction], in (0, 1].
    node_mttf_h, node_mttr_h : float
        Node mean time to failure and to repair [h], both finite and > 0.
    instance_mttf_h, instance_mttr_h : float
        Container mean time to crash [h] (> 0, may be inf) and to restart [h] (≥ 0).
    zones : int
        Failure zones the nodes are spread over [count], 1 ≤ zones ≤ nodes.
    zone_mttf_h, zone_mttr_h : float
        Zone mean time to failure [h] (> 0, inf = zones never fail) and to repair [h].
    repair_crews : int or None
        Nodes repaired at once [count]; None means unlimited.
    orchestrator : str or RecoveryPipeline
        Recovery preset: one of ``ORCHESTRATORS``, or a tuned
        ``haplan.recovery.RecoveryPipeline`` (``recovery.preset("kubernetes", eviction_s=30)``).
    balancer : str
        Balancing strategy: one of ``BALANCERS``.
    reschedule : bool
        When true, a failed (or unreachable) node's instances restart on the reachable nodes
        after the orchestrator's recovery time (``haplan.recovery``), where those have room,
        and return when the node does (``haplan.service``).
    max_instances_per_node : float
        Most instances one node can run [count], a whole number ≥ 1 or inf (the node's size,
        its max-pods limit or a one-per-node anti-affinity): the room rescheduled instances
        find on the survivors. inf means the survivors always have room.
    rollouts_per_week : float
        Rolling updates a week [1/week], ≥ 0: each spends the SLO budget
        ``haplan.disruptions`` finds for one rollout (the orchestrator's default strategy).
    upgrades_per_year : float
        Cluster upgrades a year [1/yr], ≥ 0: each drains every node once, honouring
        ``min_instances`` as the disruption budget.
    target_availability : float or None
        SLO availability target [fraction], in (0, 1), e.g. 0.9995; None: no target.
    target_p99_ms : float or None
        SLO p99 response-time target [ms], > 0; None: no target.
    target_recovery_s : float or None
        SLO target for the recovery after a node failure [s], > 0; None: no target.
    """

    nodes: int = 3
    replicas: float | None = None
    instances: int | None = None
    request_rate_rps: float = 100.0
    recovery_speed_s: float = 30.0
    min_instances: int = 1
    instance_capacity_rps: float = 100.0
    max_utilization: float = 0.7
    node_mttf_h: float = 718.2  # hardware failures + monthly reboots: data/scenarios/default.toml
    node_mttr_h: float = 0.2641
    instance_mttf_h: float = 720.0
    instance_mttr_h: float = 0.1
    zones: int = 1
    zone_mttf_h: float = math.inf
    zone_mttr_h: float = 6.0
    repair_crews: int | None = None
    orchestrator: str | RecoveryPipeline = "kubernetes"
    balancer: str = "random"
    reschedule: bool = False
    max_instances_per_node: float = math.inf
    rollouts_per_week: float = 0.0
    upgrades_per_year: float = 0.0
    target_availability: float | None = None
    target_p99_ms: float | None = None
    target_recovery_s: float | None = None
    name: str = field(default="", compare=False)
    sized_by: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.replicas is None and self.instances is None:
            object.__setattr__(self, "replicas", 1.0)
        if not isinstance(self.name, str):
            raise ValueError(f"name={quote(self.name)} is not valid: must be a string")
        # A name is data: control characters (escape sequences, newlines) shown as escapes.
        object.__setattr__(self, "name", escape_controls(self.name))
        sized_by = "instances" if self.instances is not None else "replicas"
        for name, rule in NUMERIC_RULES.items():
            value = getattr(self, name)
            if value is None:
                if name in _MAY_BE_NONE:
                    continue
                raise ValueError(f"{name}=None is not valid: {_describe_rule(rule)}")
            if isinstance(value, (str, bytes)):
                raise ValueError(f"{name}={quote(value)} is not numeric; pass a number")
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ValueError(f"{name}={quote(value)} is not valid: must be a single number")
            if isinstance(value, int) and abs(value) > (
                MAX_COUNT if name in COUNT_INPUTS else 2**1000
            ):
                raise ValueError(f"{name}={quote(value)} is out of range: {_too_big(rule)}")
            check_range(name, value, **rule)
            _check_magnitude(name, value, rule)
        for name in _CHOICES:
            value = getattr(self, name)
            if not isinstance(value, str) and not (
                name == "orchestrator" and isinstance(value, RecoveryPipeline)
            ):
                raise ValueError(
                    f"{name}={value!r} is not valid: must be one of {', '.join(_CHOICES[name])}"
                )
            _check_choice(name, value)
        if not isinstance(self.reschedule, bool):
            raise ValueError(f"reschedule={self.reschedule!r} is not valid: must be true or false")
        replicas, instances = _derive_sizing(self.nodes, self.replicas, self.instances)
        object.__setattr__(self, "nodes", int(self.nodes))
        object.__setattr__(self, "replicas", float(replicas))
        object.__setattr__(self, "instances", int(instances))
        object.__setattr__(self, "min_instances", int(self.min_instances))
        object.__setattr__(self, "zones", int(self.zones))
        if self.repair_crews is not None:
            object.__setattr__(self, "repair_crews", int(self.repair_crews))
        object.__setattr__(self, "sized_by", self.sized_by or sized_by)
        object.__setattr__(self, "max_instances_per_node", float(self.max_instances_per_node))
        _check_relations(
            self.nodes, self.instances, self.min_instances, self.zones, self.max_instances_per_node
        )

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict[str, Any], *, name: str = "") -> Scenario:
        """Build a Scenario from a mapping of vocabulary names; unknown keys are an error.

        A ``recovery`` mapping tunes the orchestrator's pipeline, e.g.
        ``{"orchestrator": "kubernetes", "recovery": {"eviction_s": 30}}``.
        """
        values = dict(values)
        stages = values.pop("recovery", None)
        _check_names(values, extra=("name", "sized_by"))
        scenario = cls(**{"name": name, **values})
        if stages is None:
            return scenario
        if not isinstance(stages, dict):
            raise ValueError(
                f"recovery={stages!r} is not valid: give a table of pipeline fields, "
                "e.g. [recovery] eviction_s = 30"
            )
        return scenario.with_overrides(orchestrator=tune_pipeline(scenario.orchestrator, **stages))

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Load a Scenario from a TOML file whose keys are the vocabulary's input names."""
        values, name = read_toml(path)
        return cls.from_dict(values, name=name)

    @classmethod
    def default(cls) -> Scenario:
        """The built-in default: the article's example Deployment on a 3-node cluster."""
        return cls.from_toml(data_path("scenarios", "default.toml"))

    def with_overrides(self, **overrides: Any) -> Scenario:
        """Return a copy with some inputs replaced (None values are ignored).

        Overriding ``nodes`` keeps whichever of ``replicas``/``instances`` the scenario was
        sized by; overriding one of those re-derives the other.
        """
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if not overrides:
            return self
        stages = {k: overrides.pop(k) for k in list(overrides) if k in PIPELINE_FIELDS}
        _check_names(overrides, extra=("name",))
        values = self.inputs()
        values["name"] = self.name
        sized_by = self.sized_by
        if "instances" in overrides and "replicas" not in overrides:
            sized_by = "instances"
        elif "replicas" in overrides and "instances" not in overrides:
            sized_by = "replicas"
        values.update(overrides)
        if not ("replicas" in overrides and "instances" in overrides):
            values.pop("replicas" if sized_by == "instances" else "instances")
        if stages:
            values["orchestrator"] = tune_pipeline(values["orchestrator"], **stages)
        return Scenario(**values)

    # -- views ----------------------------------------------------------------------------
    def inputs(self) -> dict[str, Any]:
        """The inputs as a dict in vocabulary order."""
        return {name: getattr(self, name) for name in INPUT_NAMES}

    @classmethod
    def from_row(cls, row) -> Scenario:
        """The Scenario of one row of scenario inputs (a metrics row or a dict of arrays'
        elements): NaN crews or targets become None."""
        values = {name: row[name] for name in INPUT_NAMES}
        for name in ("repair_crews", *TARGET_NAMES):
            value = values[name]
            if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
                values[name] = None
        for name in ("nodes", "instances", "min_instances", "zones"):
            values[name] = int(values[name])
        if values["repair_crews"] is not None:
            values["repair_crews"] = int(values["repair_crews"])
        values["reschedule"] = bool(values["reschedule"])
        values.pop("replicas")
        return cls(**{k: (v.item() if isinstance(v, np.generic) else v) for k, v in values.items()})

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame of the inputs (``repair_crews`` None becomes NaN)."""
        row = self.inputs()
        for name in ("repair_crews", *TARGET_NAMES):
            if row[name] is None:
                row[name] = np.nan
        return pd.DataFrame([row])


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """The raw values of a TOML scenario file (its ``[scenario]`` table, if it has one) and
    its name (``name``, else the file's stem); ValueError for a missing or invalid file."""
    path = Path(path)
    shown = quote_path(path)
    check_file_size(path, "scenario file")
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"scenario file {shown} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"scenario file {shown} is a directory; give a .toml file") from None
    except UnicodeDecodeError:
        raise ValueError(f"scenario file {shown} is not UTF-8 text; give a TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(
            f"scenario file {shown} is not valid TOML: {escape_controls(error)}"
        ) from None
    except RecursionError:
        raise ValueError(
            f"scenario file {shown} is nested too deeply: at most {MAX_YAML_DEPTH} levels"
        ) from None
    _check_depth(values, shown)
    if "scenario" in values:
        values = values["scenario"]
        if not isinstance(values, dict):
            raise ValueError(
                f"scenario file {shown}: scenario={quote(values)} is not valid: must be a "
                "table, [scenario] followed by NAME = VALUE lines"
            )
    values = dict(values)
    name = values.pop("name", path.stem)
    if isinstance(name, bool) or not isinstance(name, (str, int, float)):
        raise ValueError(
            f"scenario file {shown}: name={quote(name)} is not valid: must be a string"
        )
    return values, escape_controls(name)


def _check_depth(values: Any, shown: str, depth: int = 0) -> None:
    """Refuse a TOML tree nested deeper than any scenario is (a hostile or broken file)."""
    if depth > MAX_YAML_DEPTH:
        raise ValueError(
            f"scenario file {shown} is nested too deeply: at most {MAX_YAML_DEPTH} levels"
        )
    children = values.values() if isinstance(values, dict) else values
    if isinstance(values, (dict, list)):
        for child in children:
            _check_depth(child, shown, depth + 1)


def check_input_values(name: str, values) -> None:
    """Check one input's values on their own (range, whole numbers, known names).

    Checks that tie two inputs together (``min_instances`` ≤ instances, zones ≤ nodes,
    whole instances) need whole scenarios: :func:`validated_columns` does them.
    """
    values = np.asarray(values)
    if name in _CHOICES:
        _check_choice(name, values)
    elif name == "reschedule":
        if values.dtype != bool:
            raise ValueError("reschedule is not valid: must hold true or false")
    elif name in NUMERIC_RULES:
        if name in ("repair_crews", *TARGET_NAMES):
            values = values[~pd.isna(values)]
        # every value is checked where it stands: a few vectorised passes cost less than
        # hashing the column to check each distinct value once
        check_range(name, values, **NUMERIC_RULES[name])
        _check_magnitude(name, values, NUMERIC_RULES[name])


def validated_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validate and complete scenario inputs, returning one array per column.

    Missing columns take the Scenario defaults; ``replicas``/``instances`` are derived from
    each other as in ``Scenario``. The dict holds every input, in vocabulary order, then any
    extra columns the caller passed. Raises ``ValueError`` like ``Scenario`` does, naming the
    first bad value.
    """
    unknown = [c for c in frame.columns if c not in INPUT_NAMES and c != "name"]
    if unknown:
        raise ValueError(
            f"unknown scenario input {unknown[0]!r}: valid names are {', '.join(INPUT_NAMES)}"
        )
    rows = len(frame)
    given = {name: frame[name].to_numpy() for name in frame.columns}
    defaults = Scenario(replicas=1.0)
    out: dict[str, np.ndarray] = {}
    for name in INPUT_NAMES:
        if name in given:
            out[name] = given[name]
        elif name not in ("replicas", "instances"):
            value = getattr(defaults, name)
            value = np.asarray(
                np.nan if value is None else value, dtype=object if isinstance(value, str) else None
            )
            out[name] = np.broadcast_to(value, (rows,))  # a default: one value, no copy
    for name in given:
        if name in INPUT_NAMES:
            check_input_values(name, given[name])
    if "replicas" not in out and "instances" not in out:
        out["replicas"] = np.ones(rows)
    nodes = out["nodes"].astype(float)
    replicas, instances = _derive_sizing(
        nodes,
        out["replicas"].astype(float) if "replicas" in out else None,
        out["instances"].astype(float) if "instances" in out else None,
    )
    out["replicas"] = np.asarray(replicas, dtype=float)
    out["instances"] = np.asarray(instances, dtype=float).astype(np.int64)
    for name in ("nodes", "min_instances", "zones"):
        out[name] = out[name].astype(float).astype(np.int64)
    for name in ("repair_crews", "max_instances_per_node", *TARGET_NAMES):
        out[name] = out[name].astype(float)
    _check_relations(
        out["nodes"],
        out["instances"],
        out["min_instances"],
        out["zones"],
        out["max_instances_per_node"],
    )
    ordered = {name: out[name] for name in INPUT_NAMES}
    ordered.update({c: given[c] for c in frame.columns if c not in INPUT_NAMES})
    return ordered


def validate_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate and complete a DataFrame of scenario inputs, one scenario per row.

    The frame form of :func:`validated_columns`: every input column in vocabulary order,
    then any extra columns the caller passed; the index is kept.
    """
    return pd.DataFrame(validated_columns(frame), index=frame.index, copy=False)
