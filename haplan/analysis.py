"""The analysis layer: a scenario's report as plain data, computed once.

``analyse`` runs everything a report shows — the metrics row, the SLO verdict, the recovery
stages, the notes, the planner's recommendation, the simulation cross-check and the tables
behind the figures — and returns it as an :class:`Analysis`. Renderers (text, Markdown, HTML,
JSON, CSV, figures) only format that data; none of them computes a model.

Layers: models → ``haplan.service`` → ``haplan.table`` (the metrics table) → this module →
shells (``haplan.report``, ``haplan.htmlreport``, ``haplan.plots``, ``haplan.cli``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from haplan import recovery, service
from haplan.availability import HOURS_PER_YEAR
from haplan.disruptions import disruption
from haplan.planner import Plan, pareto, plan
from haplan.scenario import Scenario
from haplan.sweeps import grid, undescribable
from haplan.table import metrics

__all__ = [
    "Analysis",
    "Autoscaling",
    "FigureTables",
    "analyse",
    "SLO_NAMES",
    "SIMULATION_HORIZON_H",
    "SIMULATION_SEED",
]

#: Samples and seed of the propagation of uncertain inputs.
UNCERTAINTY_SAMPLES = 2000
UNCERTAINTY_SEED = 0
#: Monte Carlo settings of the report's cross-check: one-year replications, a fixed seed.
SIMULATION_HORIZON_H = HOURS_PER_YEAR
SIMULATION_SEED = 0

#: The SLO figures of a report, in order: the headline, the targets, budget and margins.
SLO_NAMES: tuple[str, ...] = (
    "slo_availability",
    "slo_unavailability",
    "slo_nines",
    "slo_downtime_min_per_30d",
    "slo_downtime_min_per_year",
    "target_availability",
    "error_budget_min_per_30d",
    "planned_downtime_min_per_30d",
    "slo_budget_spent_min_per_30d",
    "availability_margin_min_per_30d",
    "target_p99_ms",
    "p99_margin_ms",
    "target_recovery_s",
    "recovery_margin_s",
    "slo_met",
    "service_model",
)

FIVE_NINES_NOTE = (
    "{nines:.3g} SLO nines assume independent failures. Real clusters see correlated ones "
    "(37 % of node failures arrive in bursts, Ford et al., OSDI 2010; racks, PDUs, zones, bad "
    "rollouts), which cap availability well below that: model zones (zones, zone_mttf_h) "
    "before trusting more than about five nines."
)
APPROXIMATE_NOTE = (
    "The availability figures come from an approximation ({model}): the cluster is too large "
    "for the exact Markov chain. haplan.service's docstring says which way each approximation "
    "errs; haplan simulate checks it."
)


@dataclass(frozen=True)
class FigureTables:
    """The tables behind a report's figures (each a metrics table or a stage table).

    Attributes
    ----------
    by_replicas : pandas.DataFrame
        Metrics over nodes around the scenario's and replicas 1–4 (and the scenario's).
    by_nodes : pandas.DataFrame
        Metrics over node counts from the zone count to twice the scenario's, its instances
        per node (replicas) kept when a whole number, so the instances grow with the nodes;
        else its instances kept.
    stages : pandas.DataFrame
        Recovery stages after a node failure for every preset (and a tuned pipeline).
    candidates, front : pandas.DataFrame or None
        The planner's scored candidates and the Pareto front (cost, SLO nines) of the
        feasible ones.
    """

    by_replicas: pd.DataFrame
    by_nodes: pd.DataFrame
    stages: pd.DataFrame
    article_time_s: float
    candidates: pd.DataFrame | None = None
    front: pd.DataFrame | None = None


@dataclass(frozen=True)
class Autoscaling:
    """A load profile through fixed instances and through the HPA (``haplan.autoscaling``).

    Attributes
    ----------
    profile_name : str
        Where the profile came from ("a diurnal day", a file, "the NASA-HTTP 1995 week").
    fixed : haplan.autoscaling.ProfileResult
    hpa : haplan.autoscaling.HpaResult
    recommendation : haplan.autoscaling.Recommendation
    """

    profile_name: str
    fixed: object
    hpa: object
    recommendation: object


@dataclass(frozen=True)
class Analysis:
    """Everything a report shows about one scenario, as data.

    Attributes
    ----------
    scenario : Scenario
        The scenario analysed.
    row : pandas.Series
        Its metrics row (inputs, then every metric of ``haplan.METRIC_NAMES``).
    verdict : tuple of haplan.service.Verdict
        The headline, then one line per target set.
    stages : pandas.DataFrame
        The recovery pipeline's stages for this scenario.
    notes : tuple of str
        The article's T beside the pipeline, caveats, and what reading manifests assumed.
    manifest : haplan.manifests.ManifestInputs or None
        What was read from manifests, if anything.
    plan : haplan.planner.Plan or None
        The planner's recommendation at the scenario's load, when a target was given.
    simulation : pandas.DataFrame or None
        ``haplan.simulate.compare_with_analytic`` of the scenario, when asked for.
    simulation_replications : int or None
        Replications of that cross-check.
    figures : FigureTables or None
        The tables behind the figures, when asked for.
    sources : dict
        Where each input came from ("default", "scenario file", "manifest", "flag").
    disruptions : tuple of haplan.disruptions.Timeline
        The planned-for failure (one node lost at the scenario's load), one rolling update
        (the manifests' strategy, else the orchestrator's defaults) and one cluster upgrade
        (every node drained, honouring ``min_instances`` as the disruption budget).
    autoscaling : Autoscaling or None
        A load profile through the scenario's fixed instances and through the HPA (the
        manifests' HPA, else defaults), and the recommended HPA settings.
    uncertainty : haplan.uncertainty.UncertainResult or None
        The metrics propagated from the inputs given as distributions: the headline's median
        and 90 % interval, the probability of meeting each target.
    sensitivity : pandas.DataFrame or None
        The tornado: how far each uncertain input moves the SLO nines.
    """

    scenario: Scenario
    row: pd.Series
    verdict: tuple[service.Verdict, ...]
    stages: pd.DataFrame
    notes: tuple[str, ...] = ()
    manifest: object = None
    plan: Plan | None = None
    simulation: pd.DataFrame | None = None
    simulation_replications: int | None = None
    figures: FigureTables | None = None
    sources: dict = field(default_factory=dict)
    disruptions: tuple = ()
    autoscaling: Autoscaling | None = None
    uncertainty: object = None
    sensitivity: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def slo(self) -> dict[str, object]:
        """The SLO figures by vocabulary name, in :data:`SLO_NAMES` order."""
        return {name: self.row[name] for name in SLO_NAMES}

    @property
    def checks_passed(self) -> bool:
        """True when every verdict line passes (the headline fails only at 0 % available)."""
        return all(bool(line.passed) for line in self.verdict)


def _around(value: int, low: int = 1, span: int = 3) -> list[int]:
    return list(range(max(low, value - span), value + span + 1))


def _describable(base: Scenario, **axes) -> pd.DataFrame:
    """Metrics over a grid around ``base``, without the cells the inputs cannot describe."""
    frame = grid(base=base, **axes)
    return metrics(frame[undescribable(frame) == ""])


def figure_tables(scenario: Scenario, row: pd.Series, stages: pd.DataFrame, result) -> FigureTables:
    """The tables behind a report's figures (see :class:`FigureTables`)."""
    s = scenario
    replicas = sorted({1.0, 2.0, 3.0, 4.0, float(max(1, math.ceil(s.replicas)))})
    by_replicas = _describable(s, nodes=_around(s.nodes, low=s.zones), replicas=replicas)
    # a user adds nodes keeping the instances per node (a DaemonSet, a per-node quota): the
    # instances grow with N, so the figure shows what more nodes buy; with a fractional
    # number per node (a Deployment's replicas over more nodes) the instances are kept
    nodes = range(s.zones, max(2 * s.nodes, 6) + 1)
    if float(s.replicas).is_integer():
        by_nodes = _describable(s, nodes=nodes, replicas=[float(s.replicas)])
    else:
        by_nodes = _describable(s, nodes=nodes)
    moved = int(row["instances_moved"])
    tables = [recovery.stages_table(p, instances_to_move=moved) for p in recovery.PRESETS]
    if not isinstance(s.orchestrator, str):
        tables.append(stages)
    candidates = front = None
    if result is not None:
        scored = result.candidates.dropna(subset=["slo_nines"])
        candidates = scored
        front = pareto(scored[scored["feasible"]], {"cost": "min", "slo_nines": "max"})
    return FigureTables(
        by_replicas=by_replicas,
        by_nodes=by_nodes,
        stages=pd.concat(tables, ignore_index=True),
        article_time_s=float(row["doc_recovery_time_s"]),
        candidates=candidates,
        front=front,
    )


def analyse(
    scenario: Scenario,
    *,
    manifest=None,
    target_availability: float | None = None,
    simulation_replications: int | None = None,
    figures: bool = False,
    sources: dict | None = None,
    distributions: dict | None = None,
    samples: int = UNCERTAINTY_SAMPLES,
    seed: int = UNCERTAINTY_SEED,
    profile: pd.Series | None = None,
    profile_name: str = "",
) -> Analysis:
    """Compute a scenario's report data once.

    Parameters
    ----------
    scenario : Scenario
        The cluster and service.
    manifest : haplan.manifests.ManifestInputs, optional
        What was read from manifests (its notes join the report's).
    target_availability : float, optional
        Availability target [fraction] for the planner's recommendation at the scenario's
        load (``haplan.plan`` over its default grid, the scenario as base).
    simulation_replications : int, optional
        Add a seeded Monte Carlo cross-check of this many one-year replications.
    figures : bool
        Also compute the tables behind the figures (HTML and Markdown reports).
    sources : dict, optional
        Where each input came from, shown in the Inputs table.
    distributions : dict, optional
        Inputs given as distributions (:func:`haplan.uncertainty.split_uncertain`); the
        scenario holds their medians. Adds the propagated headline and the tornado.
    samples, seed : int
        Samples drawn for that propagation, and its seed.
    profile : pandas.Series, optional
        Request rate [req/s] over time [s]: adds the autoscaling section (also added, over a
        diurnal day peaking at the scenario's load, when the manifests have an HPA).
    profile_name : str
        Where ``profile`` came from, for the report.

    Returns
    -------
    Analysis
    """
    row = metrics(scenario).iloc[0]
    stages = recovery.stages_table(
        scenario.orchestrator, instances_to_move=int(row["instances_moved"])
    )
    notes = [
        recovery.document_recovery_note(
            scenario.orchestrator, scenario.nodes, scenario.replicas, scenario.recovery_speed_s
        )
    ]
    if row["slo_nines"] > 5:
        notes.append(FIVE_NINES_NOTE.format(nines=row["slo_nines"]))
    if str(row["service_model"]).startswith("approximate"):
        notes.append(APPROXIMATE_NOTE.format(model=row["service_model"]))
    if manifest is not None:
        notes += list(manifest.notes)
    result = None
    if target_availability is not None:
        result = plan(target_availability, scenario.request_rate_rps, base=scenario)
    simulation = None
    if simulation_replications is not None:
        from haplan import simulate

        simulation = simulate.compare_with_analytic(
            scenario, SIMULATION_HORIZON_H, simulation_replications, seed=SIMULATION_SEED
        )
    tables = figure_tables(scenario, row, stages, result) if figures else None
    events = planned_disruptions(scenario, manifest)
    scaling = autoscale(scenario, manifest, profile, profile_name)
    uncertain = spread = None
    if distributions:
        from haplan.uncertainty import propagate, sensitivity

        uncertain = propagate(scenario, distributions, samples=samples, seed=seed)
        spread = sensitivity(scenario, distributions, metric="slo_nines")
    return Analysis(
        scenario=scenario,
        row=row,
        verdict=tuple(service.verdict(row)),
        stages=stages,
        notes=tuple(notes),
        manifest=manifest,
        plan=result,
        simulation=simulation,
        simulation_replications=simulation_replications,
        figures=tables,
        sources=dict(sources or {}),
        disruptions=events,
        autoscaling=scaling,
        uncertainty=uncertain,
        sensitivity=spread,
    )


def autoscale(scenario: Scenario, manifest=None, profile=None, profile_name="") -> Autoscaling:
    """The report's autoscaling section, or None without a profile or a manifest HPA."""
    hpa = manifest.hpa if manifest is not None else None
    if profile is None and not hpa:
        return None
    from haplan import autoscaling

    if profile is None:
        profile = autoscaling.diurnal(scenario.request_rate_rps)
        profile_name = "a diurnal day peaking at the scenario's load (peak / mean 2)"
    settings = autoscaling.hpa_settings(scenario, hpa)
    return Autoscaling(
        profile_name=profile_name,
        fixed=autoscaling.over_profile(scenario, profile),
        hpa=autoscaling.simulate_hpa(scenario, profile, **settings),
        recommendation=autoscaling.recommend(scenario, profile),
    )


def planned_disruptions(scenario: Scenario, manifest=None) -> tuple:
    """The report's disruptions: one node lost (when there are survivors), one rollout and
    one upgrade drain, each at the scenario's load."""
    rollout = dict(manifest.rollout) if manifest is not None else {}
    events = []
    if scenario.nodes > 1:
        events.append(disruption(scenario, "nodes"))
    if rollout.get("strategy", "RollingUpdate") == "RollingUpdate":
        events.append(disruption(scenario, "rollout", rollout=rollout))
    events.append(disruption(scenario, "drain"))
    return tuple(events)
