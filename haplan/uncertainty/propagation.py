"""Monte Carlo propagation of uncertain inputs through the metrics table.

``propagate(scenario, {"node_mttf_h": "gamma(4, 200)"})`` draws the uncertain inputs, builds
one scenario per draw, evaluates them all with one ``haplan.metrics`` call and summarises the
metrics: quantiles with their standard errors, and the probability of meeting each target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from haplan.scenario import Scenario, relation_problems
from haplan.table import metrics
from haplan.uncertainty.distributions import INTEGER_INPUTS, Distribution, check_uncertain

__all__ = ["UncertainResult", "propagate", "quantile_se", "SUMMARY_METRICS"]

#: Metrics :func:`propagate` summarises by default (those present and numeric).
SUMMARY_METRICS: tuple[str, ...] = (
    "slo_availability",
    "slo_unavailability",
    "slo_nines",
    "slo_downtime_min_per_30d",
    "service_unavailability",
    "capacity_unavailability",
    "nines",
    "outage_frequency_per_year",
    "mean_outage_duration_min",
    "p99_response_ms",
    "mean_response_ms",
    "utilization",
    "recovery_node_failure_s",
)

#: target input -> (label, margin column, unit) for the probabilities of meeting targets.
_TARGETS = {
    "target_availability": ("availability", "availability_margin_min_per_30d", "fraction"),
    "target_p99_ms": ("p99", "p99_margin_ms", "ms"),
    "target_recovery_s": ("recovery", "recovery_margin_s", "s"),
}
_MAX_REDRAW_ROUNDS = 200
_SIZING = ("nodes", "replicas", "instances")


# --------------------------------------------------------------------------------------------
# Quantiles and their standard errors
# --------------------------------------------------------------------------------------------
def quantile_se(values, q: float) -> tuple[float, float]:
    """The sample ``q`` quantile and its standard error, from the order statistics.

    Parameters
    ----------
    values : array_like
        Samples (NaN ignored; ±inf allowed).
    q : float
        Probability level, in (0, 1).

    Returns
    -------
    quantile : float
        The order statistic x₍⌈nq⌉₎ (the inverse of the empirical CDF: no interpolation, so
        an increasing function of the samples has the function's quantile, and infinite
        samples need no arithmetic).
    se : float
        Half the distance between the order statistics x₍r₎ and x₍s₎ with
        r, s = nq ∓ √(nq(1 − q)): the distribution-free interval [x₍r₎, x₍s₎] covers the true
        quantile with the binomial probability P(r ≤ B < s), B ~ Bin(n, q), about 68 %,
        so its half width is one standard error (David & Nagaraja, *Order Statistics*, 3rd
        ed., 2003, §7.1). 0 when both are equal (also both infinite).
    """
    x = np.asarray(values, dtype=float).ravel()
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return math.nan, math.nan
    spread = math.sqrt(n * q * (1.0 - q))
    j = min(max(math.ceil(n * q), 1), n)
    r = min(max(math.floor(n * q - spread), 1), n)
    s = min(max(math.ceil(n * q + spread), 1), n)
    low, high = x[r - 1], x[s - 1]
    se = 0.0 if low == high else (high - low) / 2.0
    return float(x[j - 1]), float(se)


def _summary(table: pd.DataFrame, names) -> pd.DataFrame:
    rows = {}
    for name in names:
        if name not in table or not pd.api.types.is_numeric_dtype(table[name]):
            continue
        if pd.api.types.is_bool_dtype(table[name]):
            continue
        x = table[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        row: dict[str, float] = {}
        for label, q in (("p05", 0.05), ("median", 0.5), ("p95", 0.95)):
            row[label], row[f"{label}_se"] = quantile_se(x, q)
        with np.errstate(invalid="ignore", over="ignore"):
            finite = np.isfinite(x).all()
            row["mean"] = float(np.mean(x)) if len(x) else math.nan
            row["mean_se"] = (
                float(np.std(x, ddof=1) / math.sqrt(len(x))) if finite and len(x) > 1 else math.nan
            )
        row["samples"] = len(x)
        rows[name] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "metric"
    return summary


def _probabilities(table: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    n = len(table)
    rows = {}
    for target_name, (label, margin, unit) in _TARGETS.items():
        target = getattr(scenario, target_name)
        if target is None:
            continue
        met = table[margin].to_numpy(dtype=float) >= 0  # NaN: not met
        rows[label] = (target_name, float(target), unit, margin, met)
    if rows:
        met = table["slo_met"].to_numpy(dtype=bool)
        rows["all"] = ("all targets", math.nan, "", "slo_met", met)
    out = {}
    for label, (target_name, target, unit, margin, met) in rows.items():
        p = float(np.mean(met))
        out[label] = {
            "target_input": target_name,
            "target": target,
            "unit": unit,
            "criterion": f"{margin} >= 0" if margin != "slo_met" else "slo_met",
            "probability": p,
            "se": math.sqrt(p * (1.0 - p) / n),
            "samples": n,
        }
    columns = ["target_input", "target", "unit", "criterion", "probability", "se", "samples"]
    frame = pd.DataFrame.from_dict(out, orient="index", columns=columns)
    frame.index.name = "target"
    return frame


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
def _percent(a: float) -> str:
    """Availability as a percentage with two significant digits of its unavailability."""
    if not a < 1.0:
        return "100"
    if a <= 0.0:
        return "0"
    decimals = max(0, 1 - math.floor(math.log10(100.0 * (1.0 - a))))
    text = f"{100.0 * a:.{min(decimals, 12)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _probability_text(p: float, se: float, n: int) -> str:
    if p >= 1.0:
        return f"in all {n:,} samples (probability ≥ {1 - 3 / n:.4g} at 95 % confidence)"
    if p <= 0.0:
        return f"in none of {n:,} samples (probability ≤ {3 / n:.2g} at 95 % confidence)"
    decimals = max(2, -math.floor(math.log10(se)))
    return f"with probability {p:.{decimals}f} (± {se:.1g})"


@dataclass(frozen=True, eq=False)
class UncertainResult:
    """What :func:`propagate` found.

    Attributes
    ----------
    scenario : Scenario
        The scenario at the uncertain inputs' medians (whole-number inputs rounded).
    distributions : dict of str to Distribution
        The uncertain inputs, truncated to their valid ranges.
    samples : pandas.DataFrame
        One metrics row per draw (``haplan.metrics`` of the sampled inputs).
    summary : pandas.DataFrame
        Per metric (index): ``p05``, ``median``, ``p95`` (order statistics) with their
        standard errors ``*_se`` (:func:`quantile_se`), ``mean`` and ``mean_se`` (NaN
        when a sample is infinite), ``samples``.
    probabilities : pandas.DataFrame
        Per target set on the scenario (index ``availability``, ``p99``, ``recovery``, then
        ``all``): the target, the criterion (its margin ≥ 0; ``slo_met`` for ``all``), the
        probability of meeting it and its binomial standard error √(p(1 − p)/n).
    inputs : pandas.DataFrame
        Per uncertain input: the spec, median, 5th and 95th percentiles, and the probability
        kept by the truncation to the input's valid range.
    redrawn : int
        Draws redrawn because, together, they described no scenario (e.g. more zones than
        nodes); 0 when every draw did.
    """

    scenario: Scenario
    distributions: dict[str, Distribution]
    samples: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    probabilities: pd.DataFrame = field(repr=False)
    inputs: pd.DataFrame = field(repr=False)
    redrawn: int = 0

    def verdict_lines(self) -> list[str]:
        """The uncertain headline and one line per target, as a report prints them.

        Example::

            SLO availability 99.987 % (90 % interval 99.95–99.995 %)
            SLO downtime 5.6 min per 30 days (90 % interval 2.2–22 min; mean 8.1 min)
            availability meets 99.95 % with probability 0.83 (± 0.01)
        """
        n = len(self.samples)
        lines = []
        if "slo_availability" in self.summary.index:
            a = self.summary.loc["slo_availability"]
            lines.append(
                f"SLO availability {_percent(a['median'])} % (90 % interval "
                f"{_percent(a['p05'])}–{_percent(a['p95'])} %)"
            )
        if "slo_downtime_min_per_30d" in self.summary.index:
            d = self.summary.loc["slo_downtime_min_per_30d"]
            lines.append(
                f"SLO downtime {d['median']:.3g} min per 30 days (90 % interval "
                f"{d['p05']:.3g}–{d['p95']:.3g} min; mean {d['mean']:.3g} min)"
            )
        for label, row in self.probabilities.iterrows():
            chance = _probability_text(row["probability"], row["se"], n)
            if label == "availability":
                lines.append(f"availability meets {_percent(row['target'])} % {chance}")
            elif label == "p99":
                lines.append(f"p99 meets {row['target']:.4g} ms {chance}")
            elif label == "recovery":
                lines.append(f"recovery after a node failure meets {row['target']:.4g} s {chance}")
            elif len(self.probabilities) > 2:
                lines.append(f"every target met {chance}")
        return lines


# --------------------------------------------------------------------------------------------
# Building and checking the sampled scenarios
# --------------------------------------------------------------------------------------------
def draw(laws: Mapping[str, Distribution], n: int, rng: np.random.Generator) -> dict:
    """``n`` draws of each law, in the mapping's order [input units]."""
    return {name: law.sample(rng, n) for name, law in laws.items()}


def input_frame(scenario: Scenario, columns: Mapping[str, np.ndarray], n: int) -> pd.DataFrame:
    """``n`` copies of the scenario's inputs with some columns replaced.

    Whole-number inputs are rounded to the nearest whole number (half to even). When a
    sizing input (``nodes``, ``replicas``, ``instances``) is replaced, the rows are sized
    by ``instances``: a sampled ``replicas`` R gives max(1, round(N × R)) instances, and a
    scenario sized by replicas keeps its R with a sampled N the same way; ``replicas`` is
    then derived by ``haplan.metrics`` as instances / nodes.
    """
    base = scenario.to_frame()
    data = {name: np.repeat(base[name].to_numpy(), n) for name in base.columns}
    for name, values in columns.items():
        values = np.asarray(values, dtype=float)
        data[name] = np.round(values) if name in INTEGER_INPUTS else values
    if any(name in columns for name in _SIZING):
        nodes = data["nodes"].astype(float)
        if "replicas" in columns:
            instances = np.maximum(1.0, np.round(nodes * data["replicas"]))
        elif "instances" in columns or scenario.sized_by == "instances":
            instances = data["instances"].astype(float)
        else:
            instances = np.maximum(1.0, np.round(nodes * scenario.replicas))
        data["instances"] = instances
        del data["replicas"]
    return pd.DataFrame(data)


def undescribable(frame: pd.DataFrame) -> np.ndarray:
    """Why each row of an input frame is no scenario ('' when it is one).

    The checks that tie two inputs together (``haplan.scenario``): min_instances ≤ instances,
    zones ≤ nodes, and max_instances_per_node ≥ ⌈instances / nodes⌉.
    """
    return relation_problems(
        *(
            frame[name].to_numpy(dtype=float)
            for name in ("nodes", "instances", "min_instances", "zones", "max_instances_per_node")
        )
    )


def sample_inputs(
    scenario: Scenario, laws: Mapping[str, Distribution], n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """``n`` sampled input rows that each describe a scenario, and how many were redrawn.

    A row whose draws together describe no scenario (:func:`undescribable`) is redrawn
    whole: the samples follow the joint law conditioned on describing a scenario. Raises
    ``ValueError`` when after 200 rounds some rows still fail.
    """
    columns = draw(laws, n, rng)
    frame = input_frame(scenario, columns, n)
    reasons = undescribable(frame)
    redrawn = 0
    for _ in range(_MAX_REDRAW_ROUNDS):
        bad = np.flatnonzero(reasons != "")
        if len(bad) == 0:
            return frame, redrawn
        redrawn += len(bad)
        fresh = draw(laws, len(bad), rng)
        for name in columns:
            columns[name][bad] = fresh[name]
        frame = input_frame(scenario, columns, n)
        reasons = undescribable(frame)
    raise ValueError(
        f"the distributions rarely describe a scenario ({reasons[reasons != ''][0]} in "
        f"{np.mean(reasons != ''):.0%} of draws after {_MAX_REDRAW_ROUNDS} redraws): "
        "narrow them or change the fixed inputs"
    )


def _evaluate(frame: pd.DataFrame, backend: str, client: Any, chunk_rows: int) -> pd.DataFrame:
    if backend == "numpy":
        return metrics(frame)
    from haplan.sweeps import dask_client

    client, owned = dask_client(client)
    try:
        starts = range(0, len(frame), chunk_rows)
        futures = [
            client.submit(metrics, frame.iloc[s : s + chunk_rows], pure=False) for s in starts
        ]
        parts = client.gather(futures)
    finally:
        if owned:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def make_rng(seed, rng) -> np.random.Generator:
    """``rng``, or a fresh ``numpy.random.default_rng(seed)``; not both."""
    if rng is not None and seed is not None:
        raise ValueError("give seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng={rng!r} is not valid: pass a numpy.random.Generator")
        return rng
    return np.random.default_rng(seed)


def median_scenario(scenario: Scenario, laws: Mapping[str, Distribution]) -> Scenario:
    """The scenario with each uncertain input at its median (whole numbers rounded)."""
    if not laws:
        return scenario
    frame = input_frame(scenario, {name: [law.median] for name, law in laws.items()}, 1)
    reasons = undescribable(frame)
    if reasons[0]:
        raise ValueError(f"the inputs' medians describe no scenario: {reasons[0]}")
    row = frame.iloc[0]
    overrides = {name: row[name].item() for name in laws if name != "replicas"}
    if "replicas" in laws or any(name in laws for name in _SIZING):
        overrides["instances"] = int(row["instances"])
    for name in INTEGER_INPUTS:
        if name in overrides:
            overrides[name] = int(overrides[name])
    return scenario.with_overrides(**overrides)


# --------------------------------------------------------------------------------------------
# propagate
# --------------------------------------------------------------------------------------------
def propagate(
    scenario: Scenario,
    distributions: Mapping[str, Distribution | str],
    *,
    samples: int = 2000,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    backend: str = "numpy",
    client: Any = None,
    chunk_rows: int = 250_000,
    summary_metrics: tuple[str, ...] = SUMMARY_METRICS,
) -> UncertainResult:
    """Propagate uncertain inputs through every metric by Monte Carlo.

    Parameters
    ----------
    scenario : Scenario
        The fixed inputs, and the targets whose probabilities are reported.
    distributions : mapping of str to Distribution or str
        Uncertain inputs by name, e.g. ``{"node_mttf_h": "gamma(4, 200)"}``
        (:func:`~haplan.uncertainty.parse_distribution` forms). Each is truncated to its
        input's valid range (a draw outside is redrawn: a normal MTTR never reaches 0), and
        whole-number inputs are rounded. An empty mapping gives ``samples`` copies of
        ``haplan.metrics(scenario)``.
    samples : int
        Draws [count], ≥ 1. The standard error of a probability is at most 0.5/√samples
        (0.011 at 2,000).
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the same seed gives the same result.
    rng : numpy.random.Generator, optional
        A generator to draw from instead of ``seed``.
    backend : {"numpy", "dask"}
        Evaluate here, or in chunks of ``chunk_rows`` on a ``dask.distributed`` cluster
        (identical numbers).
    client : dask.distributed.Client or str, optional
        For ``backend="dask"``, as in ``haplan.sweep``.
    chunk_rows : int
        Rows per Dask task [count].
    summary_metrics : tuple of str
        Metrics to summarise (default :data:`SUMMARY_METRICS`).

    Returns
    -------
    UncertainResult

    Raises
    ------
    ValueError
        For a bad distribution or input name, or inputs that rarely describe a scenario.

    Notes
    -----
    Draws are independent across inputs. Quantile errors are from order statistics
    (David & Nagaraja 2003, §7.1), probability errors binomial; both shrink as 1/√samples.
    """
    if backend not in ("numpy", "dask"):
        raise ValueError(f"backend={backend!r} is not known: must be 'numpy' or 'dask'")
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario={scenario!r} is not valid: pass a haplan.Scenario")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"samples={samples!r} is out of range: must be a whole number >= 1")
    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows={chunk_rows!r} is out of range: must be a whole number >= 1")
    laws = check_uncertain(distributions)
    generator = make_rng(seed, rng)
    center = median_scenario(scenario, laws)
    frame, redrawn = sample_inputs(scenario, laws, int(samples), generator)
    table = _evaluate(frame, backend, client, chunk_rows)
    inputs = pd.DataFrame.from_dict(
        {
            name: {
                "distribution": str(law),
                "median": law.median,
                "p05": float(law.ppf(0.05)),
                "p95": float(law.ppf(0.95)),
                "kept": law.mass,
                "describe": law.describe(),
            }
            for name, law in laws.items()
        },
        orient="index",
        columns=["distribution", "median", "p05", "p95", "kept", "describe"],
    )
    inputs.index.name = "input"
    return UncertainResult(
        scenario=center,
        distributions=dict(laws),
        samples=table,
        summary=_summary(table, summary_metrics),
        probabilities=_probabilities(table, scenario),
        inputs=inputs,
        redrawn=redrawn,
    )
