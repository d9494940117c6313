"""The JSON report: one document with the verdict, the SLO headline, inputs, metrics and
the optional plan, simulation, uncertainty and disruptions.
"""

from __future__ import annotations

import json

import pandas as pd

from haplan.analysis import Analysis
from haplan.report.autoscale import autoscale_json
from haplan.report.formatting import json_value
from haplan.report.plan import plan_json
from haplan.report.sections import TORNADO_COLUMNS
from haplan.report.simulation import render_simulation_json
from haplan.report.timeline import timeline_json
from haplan.scenario import INPUT_NAMES

__all__ = ["render_json", "verdict_json", "uncertainty_json"]


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
    if data.autoscaling is not None:
        a = data.autoscaling
        document["autoscaling"] = {
            "profile": a.profile_name,
            **autoscale_json(a.fixed, a.hpa, a.recommendation),
        }
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
