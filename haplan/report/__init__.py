"""Render a scenario's metrics as a report: terminal text, Markdown or JSON.

The report formats an :class:`haplan.analysis.Analysis` (computed once by
``haplan.analysis.analyse``): it leads with the load-aware SLO headline and the verdict
lines, then picks rows from the metrics row, labels them and formats numbers. Nothing here
computes a model.

Layout (one topic a module; every public name of each is importable from ``haplan.report``):

- :mod:`~haplan.report.formatting` — numbers, percentages, nines, inputs, JSON-safe scalars;
- :mod:`~haplan.report.sections` — the SLO headline and metric sections, verdict lines, the
  inputs table, the uncertainty title and tornado rows, manifest lines;
- :mod:`~haplan.report.text` — the terminal report;
- :mod:`~haplan.report.markdown` — the Markdown report;
- :mod:`~haplan.report.jsondoc` — the JSON report;
- :mod:`~haplan.report.plan` — the planner's answer as text and JSON;
- :mod:`~haplan.report.simulation` — the Monte Carlo cross-check as text and JSON;
- :mod:`~haplan.report.fit` — a failure-history fit as text and JSON;
- :mod:`~haplan.report.timeline` — a disruption's timeline as text and JSON.
- :mod:`~haplan.report.autoscale` — a load profile through fixed replicas and the HPA.
"""

from haplan.report.autoscale import autoscale_json, autoscale_lines, render_autoscale_text
from haplan.report.fit import FIT_COLUMNS as FIT_COLUMNS
from haplan.report.fit import render_fit_json, render_fit_text
from haplan.report.formatting import format_input as format_input
from haplan.report.formatting import format_nines as format_nines
from haplan.report.formatting import format_number as format_number
from haplan.report.formatting import format_percent as format_percent
from haplan.report.formatting import json_value as json_value
from haplan.report.jsondoc import render_json, verdict_json
from haplan.report.jsondoc import uncertainty_json as uncertainty_json
from haplan.report.markdown import render_markdown
from haplan.report.plan import PLAN_COLUMNS as PLAN_COLUMNS
from haplan.report.plan import plan_json as plan_json
from haplan.report.plan import render_plan
from haplan.report.sections import NO_TARGET_HINT as NO_TARGET_HINT
from haplan.report.sections import SECTIONS, SLO_SECTION, report_sections, verdict_lines
from haplan.report.sections import TORNADO_COLUMNS as TORNADO_COLUMNS
from haplan.report.sections import Row as Row
from haplan.report.sections import Section as Section
from haplan.report.sections import format_row as format_row
from haplan.report.sections import input_rows as input_rows
from haplan.report.sections import manifest_lines as manifest_lines
from haplan.report.sections import tornado_rows as tornado_rows
from haplan.report.sections import uncertainty_title as uncertainty_title
from haplan.report.simulation import render_simulation_json, render_simulation_text
from haplan.report.text import render_text
from haplan.report.timeline import TIMELINE_COLUMNS as TIMELINE_COLUMNS
from haplan.report.timeline import render_timeline_text, timeline_json, timeline_total_lines

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
    "render_autoscale_text",
    "autoscale_json",
    "autoscale_lines",
    "timeline_total_lines",
]
