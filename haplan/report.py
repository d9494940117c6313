"""Render a scenario's metrics as a report: terminal text, Markdown or JSON.

The report is a thin shell over ``haplan.metrics``: it picks rows from the metrics table,
labels them and formats numbers. Nothing here computes a model.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from haplan.availability import nines
from haplan.scenario import INPUT_NAMES

__all__ = [
    "ReportData",
    "build_report",
    "SECTIONS",
    "report_sections",
    "render_text",
    "render_markdown",
    "render_json",
    "render_plan",
    "render_simulation_text",
    "render_simulation_json",
]


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    unit: str
    kind: str = "number"  # "number" or "percent" (a probability shown as a percentage)


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]
    note: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "The article's formulas (verbatim)",
        (
            Row("doc_total_containers", "C = N × R, total container instances", "count"),
            Row("doc_balancer_load_rps", "L = N / R × P, 'load of the load balancer'", "req/s"),
            Row("doc_recovery_time_s", "T = N / R × S, 'failure recovery time'", "s"),
        ),
        "L grows with N and is not a per-node load; T is a time only because haplan reads S "
        "as seconds per unit of N/R. haplan's own models below are what the planner uses.",
    ),
    Section(
        "Load under even balancing",
        (
            Row("per_node_load_rps", "requests per node", "req/s"),
            Row("per_instance_load_rps", "requests per instance", "req/s"),
            Row("utilization", "instance utilisation", "fraction"),
        ),
    ),
    Section(
        "Availability (k-of-C over the placement)",
        (
            Row("node_unavailability", "node unavailability, MTTR/(MTTF+MTTR)", "probability"),
            Row("instance_unavailability", "container unavailability", "probability"),
            Row("zone_unavailability", "zone unavailability", "probability"),
            Row("service_unavailability", "P(fewer than k instances up)", "probability"),
            Row("service_availability", "service availability", "%", "percent"),
            Row("nines", "nines, -log10(unavailability)", "nines"),
            Row("downtime_min_per_year", "expected downtime per 365.25-day year", "min/yr"),
            Row("service_mttf_h", "mean up time between outages", "h"),
            Row("outage_frequency_per_year", "outages per year", "1/yr"),
            Row("mean_outage_duration_min", "mean outage length", "min"),
        ),
        "Nodes, containers and zones fail independently (with fewer repair crews than "
        "nodes, failed nodes queue for repair); instances are spread as evenly as an "
        "anti-affinity scheduler would. With independent repairs, outages per year x mean "
        "length = unavailability exactly; with queued repairs or rescheduling they come from "
        "a birth-death chain over node failures only, the most loaded nodes failing first.",
    ),
    Section(
        "Latency behind the balancer",
        (
            Row("overloaded", "arrivals at or above total capacity", "flag"),
            Row("wait_probability", "P(a request waits)", "probability"),
            Row("mean_response_ms", "mean response time", "ms"),
            Row("p99_response_ms", "99th percentile response time", "ms"),
        ),
        "Poisson arrivals, exponential service at instance_capacity_rps per instance, "
        "the scenario's balancing strategy; an overloaded queue shows ∞.",
    ),
    Section(
        "Headroom and availability at load",
        (
            Row("failures_tolerated", "node failures the survivors absorb", "nodes"),
            Row("capacity_unavailability", "P(too few instances up to carry P)", "probability"),
        ),
        "Both under the max_utilization ceiling; -1 failures tolerated means the cluster "
        "is overloaded with every node up.",
    ),
    Section(
        "Recovery (the orchestrator's pipeline)",
        (
            Row("recovery_node_failure_s", "node failure: until moved instances are ready", "s"),
            Row("recovery_container_crash_s", "container crash: until ready again", "s"),
            Row("doc_recovery_time_s", "the article's T = N/R × S, for comparison", "s"),
        ),
    ),
)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, computed once through the public API.

    Attributes
    ----------
    scenario : Scenario
        The scenario reported on.
    row : pandas.Series
        The scenario's metrics row (inputs then metrics).
    stages : pandas.DataFrame
        The recovery pipeline's stages (``haplan.recovery.stages_table``).
    notes : tuple of str
        Notes shown at the end: how the article's T compares with the pipeline, and the
        assumptions made reading manifests.
    manifest : ManifestInputs or None
        What was read from Kubernetes / compose manifests, if the scenario came from some.
    plan : Plan or None
        The planner's recommendation for the scenario's load and the report's target.
    simulation : pandas.DataFrame or None
        ``haplan.simulate.compare_with_analytic`` for the scenario, when asked for.
    """

    scenario: object
    row: pd.Series
    stages: pd.DataFrame
    notes: tuple[str, ...] = ()
    manifest: object = None
    plan: object = None
    simulation: pd.DataFrame | None = None
    simulation_replications: int | None = None

    #: Monte Carlo settings of ``build_report``'s cross-check [h], seed.
    SIMULATION_HORIZON_H = 8766.0
    SIMULATION_SEED = 0

    @property
    def name(self) -> str:
        return self.scenario.name


def build_report(
    scenario, *, manifest=None, target_availability=None, simulation_replications=None
) -> ReportData:
    """Compute a scenario's report data: metrics, recovery stages, notes; when
    ``target_availability`` is given, the planner's recommendation at the scenario's load;
    when ``simulation_replications`` is given, a seeded Monte Carlo cross-check of that many
    one-year replications.
    """
    from haplan import recovery
    from haplan.metrics import metrics
    from haplan.plan import plan

    row = metrics(scenario).iloc[0]
    moved = math.ceil(scenario.instances / scenario.nodes)
    stages = recovery.stages_table(scenario.orchestrator, instances_to_move=moved)
    comparison = recovery.document_recovery_note(
        scenario.orchestrator, scenario.nodes, scenario.replicas, scenario.recovery_speed_s
    )
    notes = [comparison]
    if row["nines"] > 5:
        notes.append(
            f"{row['nines']:.3g} nines assume independent failures. Real clusters see "
            "correlated ones (37 % of node failures arrive in bursts, Ford et al., OSDI 2010; "
            "racks, PDUs, zones, bad rollouts), which cap availability well below that: "
            "model zones (zones, zone_mttf_h) before trusting more than about five nines."
        )
    notes += list(manifest.notes) if manifest is not None else []
    recommendation = None
    if target_availability is not None:
        recommendation = plan(target_availability, scenario.request_rate_rps, base=scenario)
    simulation = None
    if simulation_replications is not None:
        from haplan import simulate

        simulation = simulate.compare_with_analytic(
            scenario,
            ReportData.SIMULATION_HORIZON_H,
            simulation_replications,
            seed=ReportData.SIMULATION_SEED,
        )
    return ReportData(
        scenario,
        row,
        stages,
        tuple(notes),
        manifest,
        recommendation,
        simulation,
        simulation_replications,
    )


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


def format_row(item: Row, value) -> str:
    """Format one report row's value by its kind."""
    return format_percent(value) if item.kind == "percent" else format_number(value)


def format_input(name: str, value) -> str:
    """Format an input value; an unset ``repair_crews`` reads "unlimited"."""
    if name == "repair_crews" and (
        value is None or (isinstance(value, float) and math.isnan(value))
    ):
        return "unlimited"
    return format_number(value)


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


def report_sections(row: pd.Series) -> list[tuple[Section, list[tuple[Row, object]]]]:
    """The sections whose metrics are present in ``row``, with each row's value."""
    values = row.to_dict()
    out = []
    for section in SECTIONS:
        present = [(r, values[r.name]) for r in section.rows if r.name in values]
        if present:
            out.append((section, present))
    return out


def _title(name: str) -> str:
    return f"haplan report — {name}" if name else "haplan report"


def manifest_lines(manifest) -> list[str]:
    """What was read from manifests, as plain lines (workload, resources, services, rules)."""
    lines = [f"{manifest.workload_kind} {manifest.workload_name} from {manifest.source}"]
    for r in manifest.resources:
        lines.append(
            f"container {r.get('container', '?')}: cpu request "
            f"{format_number(r.get('cpu_request_cores'))} / limit "
            f"{format_number(r.get('cpu_limit_cores'))} cores, memory request "
            f"{format_number(r.get('memory_request_bytes'))} / limit "
            f"{format_number(r.get('memory_limit_bytes'))} bytes"
        )
    for v in manifest.services:
        lines.append(f"service {v.get('name', '?')} ({v.get('type', '?')}): ports {v.get('ports')}")
    for p in manifest.placement:
        kind = "required" if p.get("required") else "preferred"
        lines.append(
            f"placement over {p.get('over')} ({p.get('topology_key')}): {p.get('rule')}, {kind}"
        )
    for name, value in manifest.recovery_overrides.items():
        lines.append(f"recovery pipeline: {name} = {format_number(value)}")
    return lines


def _stage_lines(data: ReportData, event: str) -> list[tuple[str, float]]:
    part = data.stages[data.stages["event"] == event]
    return list(zip(part["stage"], part["seconds"], strict=True))


def render_text(data: ReportData, *, width: int = 100) -> str:
    """Terminal report: an inputs table, then one table per section (rich, no colour)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    row = data.row
    console.print(_title(data.name))
    inputs = Table(title="Inputs", title_justify="left", show_header=True)
    inputs.add_column("input")
    inputs.add_column("value", justify="right")
    for name in INPUT_NAMES:
        inputs.add_row(name, format_input(name, row[name]))
    console.print(inputs)
    for section, rows in report_sections(row):
        table = Table(title=section.title, title_justify="left", show_header=True)
        table.add_column("metric")
        table.add_column("meaning")
        table.add_column("value", justify="right")
        table.add_column("unit")
        for item, value in rows:
            table.add_row(item.name, item.label, format_row(item, value), item.unit)
        console.print(table)
        if section.note:
            console.print(section.note)
    stages = Table(title="Recovery stages", title_justify="left", show_header=True)
    stages.add_column("event")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for event in ("node_failure", "container_crash"):
        for stage, seconds in _stage_lines(data, event):
            stages.add_row(event, stage, format_number(seconds))
    console.print(stages)
    if data.manifest is not None:
        console.print("From the manifests")
        for line in manifest_lines(data.manifest):
            console.print(f"  {line}")
    for note in data.notes:
        console.print(note)
    text = buffer.getvalue()
    if data.simulation is not None:
        text += _simulation_text(data)
    return text


def render_markdown(data: ReportData, *, figures: dict[str, str] | None = None) -> str:
    """Markdown report with the same sections as the terminal one.

    ``figures`` maps a figure's title to an image path to link under the tables.
    """
    row = data.row
    lines = [f"# {_title(data.name)}", "", "## Inputs", "", "| input | value |", "|---|---:|"]
    lines += [f"| `{name}` | {format_input(name, row[name])} |" for name in INPUT_NAMES]
    for section, rows in report_sections(row):
        lines += ["", f"## {section.title}", "", "| metric | meaning | value | unit |"]
        lines += ["|---|---|---:|---|"]
        for item, value in rows:
            lines.append(
                f"| `{item.name}` | {item.label} | {format_row(item, value)} | {item.unit} |"
            )
        if section.note:
            lines += ["", section.note]
    lines += ["", "## Recovery stages", "", "| event | stage | seconds |", "|---|---|---:|"]
    for event in ("node_failure", "container_crash"):
        lines += [
            f"| {event} | {st} | {format_number(sec)} |" for st, sec in _stage_lines(data, event)
        ]
    if data.manifest is not None:
        lines += ["", "## From the manifests", ""]
        lines += [f"- {line}" for line in manifest_lines(data.manifest)]
    if data.plan is not None:
        target = 100 * data.plan.target_availability
        lines += ["", f"## Recommendation for {target:.6g} % availability", "", "```"]
        lines += render_plan(data.plan).rstrip("\n").split("\n") + ["```"]
    if data.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in data.notes]
    if data.simulation is not None:
        lines += ["", "## Monte Carlo cross-check", "", "```"]
        lines += _simulation_text(data).rstrip("\n").split("\n") + ["```"]
    for title, path in (figures or {}).items():
        lines += ["", f"![{title}]({path})"]
    return "\n".join(lines) + "\n"


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


def render_json(data: ReportData) -> str:
    """One JSON object ``{"inputs": {...}, "metrics": {...}}`` with vocabulary names."""
    row = data.row
    inputs = {name: json_value(row[name]) for name in INPUT_NAMES}
    metric_names = [c for c in row.index if c not in INPUT_NAMES]
    metrics = {name: json_value(row[name]) for name in metric_names}
    return json.dumps({"inputs": inputs, "metrics": metrics}, indent=2, allow_nan=False) + "\n"


def _candidate_line(row: pd.Series) -> str:
    parts = [
        f"{int(row['nodes'])} nodes x {format_number(row['replicas'])} replicas "
        f"= {int(row['instances'])} instances",
        f"cost {format_number(row['cost'])}",
    ]
    planned = row.get("planned_unavailability", math.nan)
    if not pd.isna(planned):
        parts.append(f"nines {format_number(nines(planned))}")
    if "p99_response_ms" in row and not pd.isna(row["p99_response_ms"]):
        parts.append(f"p99 {format_number(row['p99_response_ms'])} ms")
    if "recovery_node_failure_s" in row and not pd.isna(row["recovery_node_failure_s"]):
        parts.append(f"recovery {format_number(row['recovery_node_failure_s'])} s")
    if "utilization" in row and not pd.isna(row["utilization"]):
        parts.append(f"utilisation {100 * row['utilization']:.0f} %")
    return ", ".join(parts)


def render_plan(result, *, runners_up: int = 3) -> str:
    """The planner's answer as text: the best candidate, runners-up, and cheaper rejects."""
    target = 100 * result.target_availability
    lines = []
    if result.best is None:
        lines.append(f"No candidate in the search grid meets {target:.6g} % availability.")
    else:
        lines.append(f"Cheapest cluster meeting {target:.6g} % availability:")
        lines.append(f"  {_candidate_line(result.best)}")
        others = result.runners_up(runners_up)
        if len(others):
            lines.append("Runners-up:")
            lines += [f"  {_candidate_line(row)}" for _, row in others.iterrows()]
    rejected = result.cheaper_rejected()
    if len(rejected):
        lines.append(
            "Cheaper candidates and why they fail:"
            if result.best is not None
            else "Candidates and why they fail:"
        )
        for _, row in rejected.iterrows():
            lines.append(
                f"  {int(row['nodes'])} x {format_number(row['replicas'])} "
                f"(cost {format_number(row['cost'])}): {row['reason']}"
            )
    return "\n".join(lines) + "\n"


def _simulation_text(data: ReportData) -> str:
    return render_simulation_text(
        data.simulation,
        data.SIMULATION_HORIZON_H,
        data.simulation_replications,
        data.SIMULATION_SEED,
    )


def render_simulation_text(table: pd.DataFrame, horizon_h: float, replications: int, seed) -> str:
    """The Monte Carlo comparison as a terminal table, with a note when nothing happened."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, no_color=True, highlight=False, emoji=False)
    grid = Table(
        title=f"Monte Carlo: {replications} replications x {horizon_h:g} h, seed {seed}",
        title_justify="left",
    )
    for column in ("metric", "simulated", "95 % CI", "analytic", "z"):
        grid.add_column(column, justify="left" if column == "metric" else "right")
    for metric, row in table.iterrows():
        interval = f"{format_number(row['ci_low'])} – {format_number(row['ci_high'])}"
        grid.add_row(
            str(metric),
            format_number(row["simulated"]),
            interval,
            format_number(row["analytic"]),
            "n/a" if pd.isna(row["z"]) else f"{row['z']:+.2f}",
        )
    console.print(grid)
    if table.loc["service_unavailability", "se"] == 0:
        console.print(
            "No outage was simulated: lengthen --horizon-h or add --replications before "
            "reading these numbers."
        )
    models = sorted(set(table["analytic_model"].dropna()) - {"none", ""})
    console.print(
        "analytic values from: " + (", ".join(models) or "none (no closed form for this case)")
    )
    return buffer.getvalue()


def render_simulation_json(table: pd.DataFrame) -> str:
    """The Monte Carlo comparison as JSON: one object per metric."""
    document = {
        str(metric): {name: json_value(value) for name, value in row.items()}
        for metric, row in table.iterrows()
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
