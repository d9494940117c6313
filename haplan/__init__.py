"""haplan: capacity planning for highly available container clusters.

The public API: ``Scenario`` (inputs), ``metrics`` (the tidy metrics table) and the model
modules ``document``, ``availability``, ``markov``, ``queueing``, ``balancing``, ``load``,
``recovery`` and ``simulate``.
"""

from haplan import document
from haplan.export import write_csv
from haplan.metrics import METRIC_NAMES, metrics
from haplan.scenario import INPUT_NAMES, Scenario

__version__ = "0.1.0"

__all__ = ["Scenario", "metrics", "write_csv", "document", "INPUT_NAMES", "METRIC_NAMES"]
