"""The report's sections and the pieces every format shares: the SLO headline and the
metric sections (:class:`Row`, :class:`Section`), the verdict lines, the inputs table,
the uncertainty title and tornado rows, and what was read from manifests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from haplan._numeric import is_missing
from haplan.analysis import Analysis
from haplan.report.formatting import format_input, format_number, format_percent
from haplan.scenario import INPUT_NAMES

__all__ = [
    "Row",
    "Section",
    "SLO_SECTION",
    "SECTIONS",
    "format_row",
    "report_sections",
    "NO_TARGET_HINT",
    "verdict_lines",
    "manifest_lines",
    "uncertainty_title",
    "TORNADO_COLUMNS",
    "tornado_rows",
    "input_rows",
]


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    unit: str
    kind: str = "number"  # "number", "percent" (a probability near 1 shown with its nines)
    # or "share" (a fraction such as utilisation, shown as a percentage)
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
            Row("doc_replicas_per_node", "R = C / N, instances per node (derived)", "count"),
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
            Row("utilization", "instance utilisation (busy share)", "%", "share"),
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
        "is above that ceiling with every node up (overloaded only at 100 % utilisation, "
        "see the latency section). Headroom does not limit rescheduling: evicted "
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


def format_row(item: Row, value) -> str:
    """Format one report row's value by its kind."""
    if item.kind == "share":  # a fraction such as utilisation, shown as a percentage
        return "n/a" if is_missing(value) else f"{100 * float(value):.3g} %"
    return format_percent(value) if item.kind == "percent" else format_number(value)


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
            if r.name in values and not (r.optional and is_missing(values[r.name]))
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
