"""Inputs as distributions: propagation of input uncertainty and sensitivity analysis.

An input measured loosely (a node MTTF from a few incidents, an MTTR from a runbook) can be
given as a distribution instead of a number::

    from haplan import Scenario
    from haplan.uncertainty import propagate, sensitivity, split_uncertain

    point, laws = split_uncertain({"node_mttf_h": "gamma(4, 200)",
                                   "node_mttr_h": "lognormal(0.26, 0.5)",
                                   "target_availability": 0.9995})
    scenario = Scenario.from_dict(point)           # the inputs at their medians
    result = propagate(scenario, laws, samples=2000, seed=1)
    result.summary                                 # quantiles with standard errors
    result.verdict_lines()                         # "availability meets 99.95 % with ..."
    sensitivity(scenario, laws, metric="slo_nines")  # the tornado

- :mod:`~haplan.uncertainty.distributions`: the spec grammar, :class:`Distribution`
  (truncated to each input's valid range: a draw outside is redrawn), :func:`split_uncertain`;
- :mod:`~haplan.uncertainty.propagation`: :func:`propagate`, :class:`UncertainResult`,
  quantile standard errors from order statistics;
- :mod:`~haplan.uncertainty.sensitivity`: the one-at-a-time tornado, Sobol indices.
"""

from haplan.uncertainty.distributions import (
    FORMS,
    INTEGER_INPUTS,
    UNCERTAIN_INPUTS,
    Distribution,
    parse_distribution,
    split_uncertain,
)
from haplan.uncertainty.propagation import (
    SUMMARY_METRICS,
    UncertainResult,
    propagate,
    quantile_se,
)
from haplan.uncertainty.sensitivity import sensitivity, sobol, sobol_indices

__all__ = [
    "Distribution",
    "parse_distribution",
    "split_uncertain",
    "propagate",
    "UncertainResult",
    "quantile_se",
    "sensitivity",
    "sobol",
    "sobol_indices",
    "FORMS",
    "UNCERTAIN_INPUTS",
    "INTEGER_INPUTS",
    "SUMMARY_METRICS",
]
