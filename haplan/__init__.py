"""haplan: capacity planning for highly available container clusters.

The public API:

- ``Scenario`` — one cluster and service in the shared input vocabulary;
- ``metrics(scenario_or_frame)`` — the tidy metrics table, one row per scenario;
- ``sweep(**axes)`` — the metrics table over a grid of inputs (numpy or Dask);
- ``plan(target_availability, request_rate_rps, ...)`` and ``pareto(frame, objectives)``;
- ``whatif(scenario, event, ...)`` — a disruption's timeline (``haplan.disruptions`` also
  has rollouts and drains);
- model modules: ``document`` (the article's formulas), ``availability``, ``markov``,
  ``queueing``, ``balancing``, ``load``, ``recovery``, ``simulate``; ``service`` (their one
  composition and the SLO verdict); ``manifests`` for Kubernetes and compose inputs,
  ``fit`` for failure histories, ``uncertainty`` for inputs given as distributions,
  ``disruptions`` for what-ifs, rollouts and drains, ``autoscaling`` for load profiles and
  the HPA, ``cluster`` for node types, several workloads, spread and cost,
  ``plots`` for figures;
- ``explore(scenario)`` — sliders in Jupyter that redraw the headline, verdict and trade-offs.
"""

from haplan import (
    availability,
    balancing,
    disruptions,
    document,
    load,
    markov,
    queueing,
    recovery,
    service,
)
from haplan.disruptions import whatif
from haplan.explore import explore
from haplan.export import write_csv
from haplan.planner import pareto, plan
from haplan.scenario import INPUT_NAMES, Scenario
from haplan.sweeps import sweep
from haplan.table import METRIC_NAMES, metrics

__version__ = "0.1.0"

#: Modules imported on first use (matplotlib, YAML and the simulator stay out of start-up).
_LAZY_MODULES = (
    "plots",
    "simulate",
    "manifests",
    "fit",
    "uncertainty",
    "autoscaling",
    "cluster",
)


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        import importlib

        module = importlib.import_module(f"haplan.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'haplan' has no attribute {name!r}")


__all__ = [
    "Scenario",
    "metrics",
    "sweep",
    "plan",
    "pareto",
    "whatif",
    "explore",
    "write_csv",
    "document",
    "availability",
    "markov",
    "queueing",
    "balancing",
    "load",
    "recovery",
    "service",
    "disruptions",
    "simulate",
    "manifests",
    "plots",
    "fit",
    "uncertainty",
    "autoscaling",
    "cluster",
    "INPUT_NAMES",
    "METRIC_NAMES",
]
