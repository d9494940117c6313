"""Render a scenario's metrics as a report: terminal text, Markdown or JSON.

The report formats an :class:`haplan.analysis.Analysis` (computed once by
``haplan.analysis.analyse``): it leads with the load-aware SLO headline and the verdict
lines, then picks rows from the metrics row, labels them and formats numbers. Nothing here
computes a model.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from haplan.analysis import SIMULATION_HORIZON_H, SIMULATION_SEED, Analysis
from haplan.scenario import INPUT_NAMES

__all__ = [
    "SECTIONS",
    "SLO_SECTION",
    "report_sections",
    "verdict_lines",
    "render_text",
    "render_markdown",
    "render_json",
    "verdict_json",
    "render_plan",
    "render_simulation_text",
    "render_simulation_json",
    "render_fit_text",
    "render_fit_json",
    "render_timeline_text",
    "timeline_json",
    "timeline_total_lines",
]


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    unit: str
    kind: str = "number"  # "number" or "percent" (a probability shown as a percentage)
    optional: bool = False  # left out when the value is missing (a target not set)


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]
    note: str = ""


#: The SLO headline's section; it leads every report, right after the verdict lines.
SLO_SECTION = Section(
    "SLO headline (load-aware)",
    (
        Row("slo_availability", "P(enough instances up for k and for the load)", "%", "percent"),
        Row("slo_nines", "SLO nines, -log10(SLO unavailability)", "nines"),
        Row("slo_downtime_min_per_30d", "expected downtime per 30 days", "min/30 d"),
        Row("slo_downtime_min_per_year", "expected downtime per 365.25-day year", "min/yr"),
        Row("target_availability", "availability target", "%", "percent", optional=True),
        Row("error_budget_min_per_30d", "error budget per 30 days", "min/30 d", optional=True),
        Row(
            "planned_downtime_min_per_30d",
            "spent by planned rollouts and upgrades",
            "min/30 d",
        ),
        Row(
            "slo_budget_spent_min_per_30d",
            "spent in all: failures and planned disruptions",
            "min/30 d",
        ),
        Row(
            "availability_margin_min_per_30d",
            "budget left (negative: over budget)",
            "min/30 d",
            optional=True,
        ),
        Row("target_p99_ms", "p99 target", "ms", optional=True),
        Row("p99_margin_ms", "p99 margin (negative: missed)", "ms", optional=True),
        Row("target_recovery_s", "recovery target", "s", optional=True),
        Row("recovery_margin_s", "recovery margin (negative: missed)", "s", optional=True),
        Row("slo_met", "every target set is met", "flag"),
        Row("service_model", "model", "—"),
    ),
    "SLO availability is the probability that at least max(k, instances needed) instances "
    "are up: min_instances for the service and enough to carry the request rate under "
    "max_utilization. Its two components, service-only and capacity, are in the "
    "availability section. The error budget is (1 - target) x 30 days.",
)

SECTIONS: tuple[Section, ...] = (
    SLO_SECTION,
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
        "Availability components (service-only and capacity)",
        (
            Row("node_unavailability", "node unavailability, MTTR/(MTTF+MTTR)", "probability"),
            Row("instance_unavailability", "container unavailability", "probability"),
            Row("zone_unavailability", "zone unavailability", "probability"),
            Row("service_unavailability", "service-only: P(fewer than k up)", "probability"),
            Row(
                "capacity_unavailability",
                "capacity: P(too few up to carry P)",
                "probability",
            ),
            Row("slo_unavailability", "SLO: P(either), the headline", "probability"),
            Row("service_availability", "service-only availability", "%", "percent"),
            Row("nines", "service-only nines", "nines"),
            Row("downtime_min_per_year", "service-only downtime per year", "min/yr"),
            Row("service_mttf_h", "service-only: mean up time between outages", "h"),
            Row("outage_frequency_per_year", "service-only: outages per year", "1/yr"),
            Row("mean_outage_duration_min", "service-only: mean outage length", "min"),
            Row("service_model", "model", "—"),
        ),
        "Nodes, containers and zones fail and are repaired independently (exponential, "
        "steady state); with fewer repair crews than nodes, failed nodes wait for a crew. "
        "Instances are spread as evenly as an anti-affinity scheduler would. With reschedule, "
        "a node unreachable for the recovery pipeline's time (recovery_node_failure_s) has "
        "its instances evicted onto the reachable nodes' free slots, at most "
        "max_instances_per_node per node, until it is back. The model row names the model: "
        "'exact: placement convolution' (independent repairs, no rescheduling), 'exact: "
        "CTMC' (crews or rescheduling, a Markov chain small enough to solve) or "
        "'approximate: ...' (larger clusters; see haplan.service). Outages per year x mean "
        "length = the service-only unavailability.",
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
        "Headroom under the utilisation ceiling",
        (
            Row("instances_needed", "instances that carry P under the ceiling", "count"),
            Row("failures_tolerated", "node failures the survivors absorb", "nodes"),
        ),
        "Both under the max_utilization ceiling; -1 failures tolerated means the cluster "
        "is overloaded with every node up. Headroom does not limit rescheduling: evicted "
        "instances find room up to max_instances_per_node on each reachable node.",
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


def format_row(item: Row, value) -> str:
    """Format one report row's value by its kind."""
    return format_percent(value) if item.kind == "percent" else format_number(value)


def format_input(name: str, value) -> str:
    """Format an input value; an unset ``repair_crews`` reads "unlimited", an unset target
    "none"."""
    if _missing(value) and name == "repair_crews":
        return "unlimited"
    if _missing(value) and name.startswith("target_"):
        return "none"
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


def _missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def report_sections(
    row: pd.Series, extra: dict | None = None
) -> list[tuple[Section, list[tuple[Row, object]]]]:
    """The sections whose metrics are present in ``row`` (and ``extra``, e.g.
    ``Analysis.slo``), with each row's value; optional rows without a value are left out."""
    values = {**(row.to_dict() if isinstance(row, pd.Series) else dict(row)), **(extra or {})}
    out = []
    for section in SECTIONS:
        present = [
            (r, values[r.name])
            for r in section.rows
            if r.name in values and not (r.optional and _missing(values[r.name]))
        ]
        if present:
            out.append((section, present))
    return out


#: Shown under the headline when no target is set.
NO_TARGET_HINT = (
    "No target set: give --target-availability, --target-p99-ms or --target-recovery-s "
    "(or target_* inputs) for pass/fail lines."
)


def verdict_lines(verdicts) -> list[tuple[str, str]]:
    """(status, message) per verdict line: "" for the headline, then "PASS" or "FAIL"."""
    return [
        ("" if v.name == "headline" else ("PASS" if v.passed else "FAIL"), v.message)
        for v in verdicts
    ]


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
    if manifest.rollout:
        lines.append("rollout: " + ", ".join(f"{k} {v}" for k, v in manifest.rollout.items()))
    for name, value in manifest.recovery_overrides.items():
        lines.append(f"recovery pipeline: {name} = {format_number(value)}")
    return lines


def _stage_lines(data: Analysis, event: str) -> list[tuple[str, float]]:
    part = data.stages[data.stages["event"] == event]
    return list(zip(part["stage"], part["seconds"], strict=True))


def _print_section(console: Console, section: Section, rows) -> None:
    table = Table(title=section.title, title_justify="left", show_header=True)
    table.add_column("metric", no_wrap=True)
    table.add_column("meaning")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for item, value in rows:
        table.add_row(item.name, item.label, format_row(item, value), item.unit)
    console.print(table)
    if section.note:
        console.print(section.note)


def uncertainty_title(data: Analysis) -> str:
    """The uncertainty section's first line: samples and the inputs given as distributions."""
    result = data.uncertainty
    laws = ", ".join(f"{name} {law}" for name, law in result.distributions.items())
    return f"{len(result.samples):,} samples of the uncertain inputs: {laws}"


#: The tornado table's columns: (column of ``Analysis.sensitivity``, header).
TORNADO_COLUMNS = (
    ("input", "input"),
    ("distribution", "distribution"),
    ("value_low", "5 % value"),
    ("value_high", "95 % value"),
    ("metric_low", "SLO nines at 5 %"),
    ("metric_high", "SLO nines at 95 %"),
    ("swing", "swing"),
)


def tornado_rows(data: Analysis) -> list[list[str]]:
    """The tornado (inputs that move the SLO nines most first), formatted."""
    return [
        [
            str(row[c]) if c in ("input", "distribution") else format_number(row[c])
            for c, _ in TORNADO_COLUMNS
        ]
        for _, row in data.sensitivity.iterrows()
    ]


def input_rows(data: Analysis) -> list[tuple[str, str, str]]:
    """(input, formatted value, where it came from) for the Inputs table."""
    return [
        (name, format_input(name, data.row[name]), data.sources.get(name, ""))
        for name in INPUT_NAMES
    ]


def render_text(data: Analysis, *, width: int = 100) -> str:
    """Terminal report: the verdict lines and the SLO headline first, then the inputs and
    one table per section (rich, no colour)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    row = data.row
    console.print(_title(data.name))
    console.print("Verdict")
    lines = verdict_lines(data.verdict)
    for status, message in lines:
        text = f"  {status}  {message}" if status else f"  {message}"
        console.print(text, markup=False, soft_wrap=True)
    if len(lines) == 1:
        console.print(f"  {NO_TARGET_HINT}", markup=False, soft_wrap=True)
    if data.uncertainty is not None:
        console.print("Uncertainty")
        console.print(f"  {uncertainty_title(data)}", markup=False, soft_wrap=True)
        for line in data.uncertainty.verdict_lines():
            console.print(f"  {line}", markup=False, soft_wrap=True)
        tornado = Table(
            title="What moves the SLO nines most", title_justify="left", show_header=True
        )
        for _, header in TORNADO_COLUMNS:
            tornado.add_column(escape(header))
        for cells in tornado_rows(data):
            tornado.add_row(*cells)
        console.print(tornado)
    inputs = Table(title="Inputs", title_justify="left", show_header=True)
    inputs.add_column("input")
    inputs.add_column("value", justify="right")
    if data.sources:
        inputs.add_column("from")
    for name, value, source in input_rows(data):
        inputs.add_row(name, value, *([source] if data.sources else []))
    sections = report_sections(row, data.slo)
    _print_section(console, *sections[0])
    console.print(inputs)
    for section, rows in sections[1:]:
        _print_section(console, section, rows)
    stages = Table(title="Recovery stages", title_justify="left", show_header=True)
    stages.add_column("event")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for event in ("node_failure", "container_crash"):
        for stage, seconds in _stage_lines(data, event):
            stages.add_row(event, stage, format_number(seconds))
    console.print(stages)
    if data.disruptions:
        console.print("Disruptions")
        for timeline in data.disruptions:
            console.print(f"  {timeline.event}", markup=False, soft_wrap=True)
            for line in timeline_total_lines(timeline):
                console.print(f"    {line}", markup=False, soft_wrap=True)
    if data.manifest is not None:
        console.print("From the manifests")
        for line in manifest_lines(data.manifest):
            console.print(f"  {line}")
    if data.plan is not None:
        target = 100 * data.plan.target_availability
        console.print(f"Recommendation for {target:.6g} % availability")
        console.print(render_plan(data.plan).rstrip("\n"), markup=False, soft_wrap=True)
    for note in data.notes:
        console.print(note)
    text = buffer.getvalue()
    if data.simulation is not None:
        text += _simulation_text(data)
    return text


def render_markdown(data: Analysis, *, figures: dict[str, str] | None = None) -> str:
    """Markdown report with the same sections as the terminal one, the verdict first.

    ``figures`` maps a figure's title to an image path to link under the tables.
    """
    row = data.row
    lines = [f"# {_title(data.name)}", "", "## Verdict", ""]
    verdicts = verdict_lines(data.verdict)
    lines += [
        f"- **{status}** {message}" if status else f"- {message}" for status, message in verdicts
    ]
    if len(verdicts) == 1:
        lines.append(f"- {NO_TARGET_HINT}")
    if data.uncertainty is not None:
        lines += ["", "## Uncertainty", "", uncertainty_title(data) + ".", ""]
        lines += [f"- {line}" for line in data.uncertainty.verdict_lines()]
        lines += ["", "| " + " | ".join(h for _, h in TORNADO_COLUMNS) + " |"]
        lines += ["|" + "---|" * len(TORNADO_COLUMNS)]
        lines += ["| " + " | ".join(cells) + " |" for cells in tornado_rows(data)]
    sections = report_sections(row, data.slo)

    def section_lines(section: Section, rows) -> list[str]:
        out = ["", f"## {section.title}", "", "| metric | meaning | value | unit |"]
        out += ["|---|---|---:|---|"]
        out += [
            f"| `{item.name}` | {item.label} | {format_row(item, value)} | {item.unit} |"
            for item, value in rows
        ]
        return out + (["", section.note] if section.note else [])

    lines += section_lines(*sections[0])
    if data.sources:
        lines += ["", "## Inputs", "", "| input | value | from |", "|---|---:|---|"]
        lines += [f"| `{name}` | {value} | {source} |" for name, value, source in input_rows(data)]
    else:
        lines += ["", "## Inputs", "", "| input | value |", "|---|---:|"]
        lines += [f"| `{name}` | {value} |" for name, value, _ in input_rows(data)]
    for section, rows in sections[1:]:
        lines += section_lines(section, rows)
    lines += ["", "## Recovery stages", "", "| event | stage | seconds |", "|---|---|---:|"]
    for event in ("node_failure", "container_crash"):
        lines += [
            f"| {event} | {st} | {format_number(sec)} |" for st, sec in _stage_lines(data, event)
        ]
    if data.disruptions:
        lines += ["", "## Disruptions", ""]
        for timeline in data.disruptions:
            lines.append(f"- **{timeline.event}**")
            lines += [f"  - {line}" for line in timeline_total_lines(timeline)]
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


def verdict_json(verdicts) -> list[dict[str, object]]:
    """Verdict lines as JSON-safe objects (name, value, target, unit, passed, margin,
    message)."""
    fields = ("name", "value", "target", "unit", "passed", "margin", "message")
    return [{f: json_value(getattr(v, f)) for f in fields} for v in verdicts]


def render_json(data: Analysis) -> str:
    """One JSON object ``{"verdict": [...], "slo": {...}, "inputs": {...}, "metrics":
    {...}}`` with vocabulary names: the verdict lines, the SLO headline with the 30-day error
    budget, then every input and metric of the row."""
    row = data.row
    inputs = {name: json_value(row[name]) for name in INPUT_NAMES}
    metric_names = [c for c in row.index if c not in INPUT_NAMES]
    metrics = {name: json_value(row[name]) for name in metric_names}
    document = {
        "verdict": verdict_json(data.verdict),
        "slo": {name: json_value(value) for name, value in data.slo.items()},
        "inputs": inputs,
        "metrics": metrics,
    }
    if data.sources:
        document["input_sources"] = dict(data.sources)
    if data.plan is not None:
        document["plan"] = plan_json(data.plan)
    if data.simulation is not None:
        document["simulation"] = json.loads(render_simulation_json(data.simulation))
    if data.uncertainty is not None:
        document["uncertainty"] = uncertainty_json(data)
    if data.disruptions:
        document["disruptions"] = [timeline_json(t) for t in data.disruptions]
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def uncertainty_json(data: Analysis) -> dict[str, object]:
    """The propagated uncertainty as JSON: the input laws, quantiles of each metric, the
    probability of meeting each target, the verdict lines and the tornado."""
    result = data.uncertainty

    def record(frame: pd.DataFrame) -> dict[str, dict]:
        return {
            str(index): {c: json_value(row[c]) for c in frame.columns}
            for index, row in frame.iterrows()
        }

    return {
        "samples": len(result.samples),
        "inputs": {name: str(law) for name, law in result.distributions.items()},
        "summary": record(result.summary),
        "probabilities": record(result.probabilities),
        "lines": list(result.verdict_lines()),
        "sensitivity": [
            {c: json_value(row[c]) for c, _ in TORNADO_COLUMNS}
            for _, row in data.sensitivity.iterrows()
        ],
    }


#: The columns of a planner candidate in JSON.
PLAN_COLUMNS = ("nodes", "replicas", "instances", "cost", "slo_nines", "p99_response_ms")


def plan_json(result) -> dict[str, object]:
    """The planner's answer as JSON: the target, the best candidate (or null) and the
    cheaper candidates with the reason each fails."""
    best = result.best
    return {
        "target_availability": json_value(result.target_availability),
        "best": None if best is None else {name: json_value(best[name]) for name in PLAN_COLUMNS},
        "cheaper_rejected": [
            {**{name: json_value(r[name]) for name in PLAN_COLUMNS}, "reason": r["reason"]}
            for _, r in result.cheaper_rejected().iterrows()
        ],
    }


def _searched(result) -> list[str]:
    """Inputs besides nodes and replicas that vary over the candidates: the search's other
    axes (e.g. ``--set zones=1,3``), named on each candidate's line."""
    table = result.candidates
    return [
        name
        for name in INPUT_NAMES
        if name not in ("nodes", "replicas", "instances")
        and name in table
        and table[name].dropna().map(str).nunique() > 1
    ]


def _axes_text(row: pd.Series, names) -> str:
    return "".join(f", {name} {format_input(name, row[name])}" for name in names)


def _candidate_line(row: pd.Series, axes=()) -> str:
    parts = [
        f"{int(row['nodes'])} nodes x {format_number(row['replicas'])} replicas "
        f"= {int(row['instances'])} instances{_axes_text(row, axes)}",
        f"cost {format_number(row['cost'])}",
    ]
    slo_nines = row.get("slo_nines", math.nan)
    if not pd.isna(slo_nines):
        parts.append(f"SLO nines {format_nines(slo_nines)}")
    if "p99_response_ms" in row and not pd.isna(row["p99_response_ms"]):
        parts.append(f"p99 {format_number(row['p99_response_ms'])} ms")
    if "recovery_node_failure_s" in row and not pd.isna(row["recovery_node_failure_s"]):
        parts.append(f"recovery {format_number(row['recovery_node_failure_s'])} s")
    if "utilization" in row and not pd.isna(row["utilization"]):
        parts.append(f"utilisation {100 * row['utilization']:.0f} %")
    if "probability_met" in row and not pd.isna(row["probability_met"]):
        parts.append(f"meets the targets with probability {row['probability_met']:.3g}")
    return ", ".join(parts)


def render_plan(result, *, runners_up: int = 3) -> str:
    """The planner's answer as text: the best candidate, runners-up, and cheaper rejects."""
    target = 100 * result.target_availability
    axes = _searched(result)
    lines = []
    if result.best is None:
        lines.append(f"No candidate in the search grid meets {target:.6g} % availability.")
    else:
        lines.append(f"Cheapest cluster meeting {target:.6g} % availability:")
        lines.append(f"  {_candidate_line(result.best, axes)}")
        others = result.runners_up(runners_up)
        if len(others):
            lines.append("Runners-up:")
            lines += [f"  {_candidate_line(row, axes)}" for _, row in others.iterrows()]
    rejected = result.cheaper_rejected()
    if len(rejected):
        lines.append(
            "Cheaper candidates and why they fail:"
            if result.best is not None
            else "Candidates and why they fail:"
        )
        for _, row in rejected.iterrows():
            lines.append(
                f"  {int(row['nodes'])} x {format_number(row['replicas'])}"
                f"{_axes_text(row, axes)} (cost {format_number(row['cost'])}): {row['reason']}"
            )
    return "\n".join(lines) + "\n"


def _simulation_text(data: Analysis) -> str:
    return render_simulation_text(
        data.simulation,
        SIMULATION_HORIZON_H,
        data.simulation_replications,
        SIMULATION_SEED,
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


#: The columns of a fit table a report shows.
FIT_COLUMNS = ("family", "parameters", "mean_h", "ci_low_h", "ci_high_h", "aic", "delta_aic")


def render_fit_text(result, *, prefix: str = "node", distributions: bool = False) -> str:
    """A failure-history fit (``haplan.fit.FitResult``) as text: the statement, the
    lifetime and repair tables, and the TOML snippet of scenario inputs."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False, emoji=False)
    console.print(f"Fit of {result.source}: {result.n_units} units", markup=False)
    console.print(result.statement, markup=False, soft_wrap=True)
    for title, table in (("Lifetimes (up periods)", result.lifetimes), ("Repairs", result.repairs)):
        out = Table(title=title, title_justify="left", show_header=True)
        for column in FIT_COLUMNS:
            out.add_column(
                column, justify="left" if column in ("family", "parameters") else "right"
            )
        for _, row in table.iterrows():
            out.add_row(
                *(
                    str(row[c]) if c in ("family", "parameters") else format_number(row[c])
                    for c in FIT_COLUMNS
                )
            )
        console.print(out)
    console.print(
        result.toml(prefix, distributions=distributions), markup=False, end="", soft_wrap=True
    )
    return buffer.getvalue()


def render_fit_json(result, *, prefix: str = "node") -> str:
    """A failure-history fit as JSON: the point values, their intervals and distributions,
    the statement and both tables."""

    def rows(table: pd.DataFrame) -> list[dict]:
        return [{c: json_value(row[c]) for c in table.columns} for _, row in table.iterrows()]

    document = {
        "source": result.source,
        "units": result.n_units,
        "confidence": result.confidence,
        "statement": result.statement,
        "values": {k: json_value(v) for k, v in result.scenario_values(prefix).items()},
        "intervals": {
            f"{prefix}_mttf_h": [json_value(result.mttf_low_h), json_value(result.mttf_high_h)],
            f"{prefix}_mttr_h": [json_value(result.mttr_low_h), json_value(result.mttr_high_h)],
        },
        "distributions": result.uncertainty(prefix),
        "lifetimes": rows(result.lifetimes),
        "repairs": rows(result.repairs),
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


#: The timeline table's columns: (column of ``Timeline.frame``, header).
TIMELINE_COLUMNS = (
    ("time_s", "time [s]"),
    ("stage", "stage"),
    ("instances_ready", "ready"),
    ("instances_pending", "pending"),
    ("utilization", "utilisation"),
    ("p99_response_ms", "p99 [ms]"),
    ("slo_ok", "SLO"),
)


def timeline_total_lines(timeline) -> list[str]:
    """A disruption's totals as sentences."""
    t = timeline.totals
    lines = [
        f"below the SLO target for {format_number(t['time_below_target_s'])} s "
        f"({format_number(t['budget_spent_min'])} min of error budget"
        + (
            f", {100 * t['budget_share_30d']:.3g} % of the 30-day budget)"
            if not pd.isna(t["budget_share_30d"])
            else ")"
        ),
        f"fewest instances ready {t['fewest_ready']}, worst p99 "
        f"{format_number(t['worst_p99_ms'])} ms",
        f"back to full strength after {format_number(t['time_to_full_strength_s'])} s",
    ]
    if t.get("never_placed"):
        lines.append(f"{t['never_placed']} instance(s) never placed: the survivors lack room")
    if t.get("blocked"):
        lines.append(str(t.get("blocked_reason", "blocked")))
    return lines


def _timeline_cell(column: str, value) -> str:
    if column == "stage":
        return str(value) or "—"
    if column == "slo_ok":
        return "ok" if value else "below"
    if column == "utilization":
        return "∞" if not np.isfinite(value) else f"{100 * value:.0f} %"
    return format_number(value)


def render_timeline_text(timeline) -> str:
    """A disruption as text: the event, its totals, then the timeline step by step."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False, emoji=False)
    console.print(timeline.event, markup=False, soft_wrap=True)
    for line in timeline_total_lines(timeline):
        console.print(f"  {line}", markup=False, soft_wrap=True)
    table = Table(title="Timeline", title_justify="left", show_header=True)
    for column, header in TIMELINE_COLUMNS:
        table.add_column(escape(header), justify="left" if column == "stage" else "right")
    for _, row in timeline.frame.iterrows():
        table.add_row(*(_timeline_cell(c, row[c]) for c, _ in TIMELINE_COLUMNS))
    console.print(table)
    return buffer.getvalue()


def timeline_json(timeline) -> dict[str, object]:
    """A disruption as JSON: the event, its totals and every step."""
    return {
        "event": timeline.event,
        "totals": {k: json_value(v) for k, v in timeline.totals.items()},
        "steps": [
            {c: json_value(row[c]) for c in timeline.frame.columns}
            for _, row in timeline.frame.iterrows()
        ],
    }
