"""``compare_with_analytic``: the simulation beside the analytic service model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from haplan.scenario import Scenario
from haplan.simulate.distributions import Exponential
from haplan.simulate.estimates import METRICS
from haplan.simulate.model import default_recovery_time
from haplan.simulate.runner import simulate
from haplan.table import metrics


def compare_with_analytic(
    scenario: Scenario,
    horizon_h: float,
    replications: int,
    seed: int | None = None,
    **options,
) -> pd.DataFrame:
    """Simulate the scenario (exponential durations) beside haplan's analytic values.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster and service.
    horizon_h : float
        Measured window of each replication [h], > 0.
    replications : int
        Independent replications, ≥ 2.
    seed : int, optional
        Seed for the simulation.
    **options
        Passed to :func:`simulate`: ``rng``, ``client``, ``progress``, ``chunk_size``. The
        pipeline time is exponential with the orchestrator's mean recovery time for ⌈C/N⌉
        instances (the analytic models assume it), so ``recovery_time`` is refused.

    Returns
    -------
    pandas.DataFrame
        Index ``metric`` (:data:`METRICS`); columns ``simulated``, ``se``, ``ci_low``,
        ``ci_high`` (95 %), ``analytic``, ``z`` = (simulated − analytic) / se and
        ``analytic_model`` (``haplan.service`` and the model it chose for the scenario:
        exact placement convolution, exact CTMC, or a named approximation). z is 0 where
        the two agree exactly and NaN where se = 0 (nothing happened in the simulation) but
        they differ.

    Notes
    -----
    Every analytic value is the row of :func:`haplan.metrics`, i.e. ``haplan.service``:
    the simulator shares none of its code (it moves instances as events happen), so a z
    beyond a few units points at the model, not at arithmetic.
    """
    for name in ("node_lifetime", "node_repair", "recovery_time", "per_replication"):
        if name in options:
            raise ValueError(
                f"{name} is not accepted here: the analytic models assume exponential "
                "lifetimes, repairs and recovery times; call simulate() directly"
            )
    recovery_time = Exponential(default_recovery_time(scenario).mean)
    result = simulate(
        scenario, horizon_h, replications, seed=seed, recovery_time=recovery_time, **options
    )
    table = result.summary()
    analytic = _analytic(scenario)
    table["analytic"] = [analytic[name][0] for name in METRICS]
    difference = (table["simulated"] - table["analytic"]).to_numpy()
    se = table["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, difference / se, np.nan)
    z[difference == 0] = 0.0
    table["z"] = z
    table["analytic_model"] = [analytic[name][1] for name in METRICS]
    return table


def _analytic(s: Scenario) -> dict[str, tuple[float, str]]:
    """The service model's value of each metric for ``s`` and the model behind it."""
    row = metrics(s).iloc[0]
    model = f"haplan.service ({row['service_model']})"
    return {name: (float(row[name]), model) for name in METRICS}
