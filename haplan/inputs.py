"""Inputs from files and flags: a TOML scenario, Kubernetes / compose manifests, overrides.

The edge where a user's files become one validated :class:`~haplan.scenario.Scenario`. A TOML
scenario gives the cluster's facts (nodes, failure and repair times, load), manifests give the
workload (instances, disruption budget, probes, spread rules), and overrides (command-line
flags and ``--set``) win over both. :func:`load_inputs` also says where each input came from,
for the report's Inputs table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haplan.scenario import INPUT_NAMES, PIPELINE_FIELDS, Scenario, read_toml, tune_pipeline

__all__ = ["LoadedInputs", "load_inputs", "SOURCES"]

#: Where an input can come from, weakest first.
SOURCES = ("default", "scenario file", "manifest", "command line")


@dataclass(frozen=True)
class LoadedInputs:
    """A scenario with what was read to build it.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    manifest : haplan.manifests.ManifestInputs or None
        What the manifests said, when some were given.
    sources : dict
        Input name → one of :data:`SOURCES`, for every input.
    distributions : dict
        Inputs given as distributions (``"lognormal(718, 0.5)"``) → their
        :class:`haplan.uncertainty.Distribution`; the scenario holds their medians.
    """

    scenario: Scenario
    manifest: object = None
    sources: dict[str, str] = field(default_factory=dict)
    distributions: dict = field(default_factory=dict)


def _split_paths(paths: Iterable[str | Path]) -> tuple[Path | None, list[Path]]:
    paths = [Path(p) for p in paths]
    paths = [  # a directory stands for the manifests in it
        q
        for p in paths
        for q in (
            sorted(x for x in p.iterdir() if x.suffix.lower() in (".yaml", ".yml"))
            if p.is_dir()
            else [p]
        )
    ]
    manifests = [p for p in paths if p.suffix.lower() in (".yaml", ".yml")]
    tomls = [p for p in paths if p.suffix.lower() == ".toml"]
    other = [p for p in paths if p not in manifests and p not in tomls]
    if other:
        raise ValueError(
            f"input {str(other[0])!r} is not known: give a .toml scenario and/or .yaml manifests"
        )
    if len(tomls) > 1:
        raise ValueError(
            f"give at most one .toml scenario, not {len(tomls)}: "
            + ", ".join(str(p) for p in tomls)
        )
    return (tomls[0] if tomls else None), manifests


def _toml_names(values: dict) -> set[str]:
    """Input names a TOML scenario sets (its ``[recovery]`` table sets the orchestrator)."""
    names = {name for name in values if name in INPUT_NAMES}
    if "recovery" in values:
        names.add("orchestrator")
    if "replicas" in names or "instances" in names:
        names |= {"replicas", "instances"}
    return names


def load_inputs(
    paths: Iterable[str | Path] = (),
    *,
    workload: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedInputs:
    """Build the scenario from files and overrides, and say where each input came from.

    Parameters
    ----------
    paths : iterable of path
        At most one ``.toml`` scenario and any number of ``.yaml`` / ``.yml`` manifests;
        none means the built-in default (``Scenario.default()``).
    workload : str, optional
        The workload to describe when the manifests hold several.
    overrides : mapping, optional
        Input names (or recovery pipeline fields such as ``eviction_s``) → values; they win
        over the files. None values are ignored.

    Returns
    -------
    LoadedInputs

    Raises
    ------
    ValueError
        An unknown file kind, several TOML files, ``workload`` without manifests, or an input
        out of range (naming it).
    """
    toml, manifests = _split_paths(paths)
    if workload is not None and not manifests:
        raise ValueError("--workload selects a workload in .yaml manifests: give some")
    from haplan.uncertainty import split_uncertain

    overrides, distributions = split_uncertain(
        {k: v for k, v in (overrides or {}).items() if v is not None}
    )
    plain = {name for name in overrides if name not in distributions}
    stages = {k: overrides.pop(k) for k in list(overrides) if k in PIPELINE_FIELDS}
    sources = dict.fromkeys(INPUT_NAMES, "default")
    if toml is not None:
        values, name = read_toml(toml)
        values, in_file = split_uncertain(values)
        # A plain value on the command line wins over a distribution in the file.
        distributions = {
            **{k: v for k, v in in_file.items() if k not in plain},
            **distributions,
        }
        base = Scenario.from_dict(values, name=name)
        sources.update(dict.fromkeys(_toml_names(values), "scenario file"))
    else:
        base = Scenario.default()
    manifest = None
    if manifests:
        from haplan.manifests import scenario_from_manifests

        scenario, manifest = scenario_from_manifests(
            manifests, base, workload=workload, **overrides
        )
        given = set(manifest.scenario_values) | {"name"}
        if "instances" in given:
            given.add("replicas")
        if manifest.recovery_overrides:
            given.add("orchestrator")
        if scenario.max_instances_per_node != base.max_instances_per_node:
            given.add("max_instances_per_node")
        sources.update({name: "manifest" for name in given if name in sources})
        # The pipeline: the manifests' stages, then the user's on top, as one tuning.
        stages = {**manifest.recovery_overrides, **stages}
    else:
        scenario = base.with_overrides(**overrides)
    if stages:
        tuned = tune_pipeline(scenario.orchestrator, **stages)
        if manifest is not None and isinstance(scenario.orchestrator, str):
            from dataclasses import replace

            tuned = replace(
                tuned, name=f"{scenario.orchestrator} ({manifest.workload_name} manifest)"
            )
        scenario = scenario.with_overrides(orchestrator=tuned)
    sources.update({name: "command line" for name in overrides if name in sources})
    # One of C and R is given, the other follows: say so rather than repeat the first's source.
    derived = "replicas" if scenario.sized_by == "instances" else "instances"
    if derived not in overrides:
        sources[derived] = "derived: C / N" if derived == "replicas" else "derived: N × R"
    if stages and "orchestrator" not in overrides and not manifest:
        sources["orchestrator"] = "command line"
    return LoadedInputs(scenario, manifest, sources, distributions)
