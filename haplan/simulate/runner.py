"""``simulate``: chunks of replications with their own seeds, run locally or on Dask."""

from __future__ import annotations

import math
import sys

import numpy as np

from haplan.scenario import Scenario
from haplan.simulate.crews import crews_apply, crews_path
from haplan.simulate.distributions import (
    Distribution,
    Exponential,
    check_distribution,
    check_scalar,
)
from haplan.simulate.estimates import SimulationResult, result_from_rows
from haplan.simulate.fastpath import FAST_CHUNK_ELEMENTS, independent_nodes, reused_memory
from haplan.simulate.general import general_path
from haplan.simulate.layered import rescheduling_fits, rescheduling_path
from haplan.simulate.model import Model, build_model
from haplan.simulate.packed import containers_path, zones_path
from haplan.simulate.rescheduling import rescheduled

# Array elements a chunk of replications aims at: small enough to stay in the CPU cache,
# large enough that numpy's per-call overhead does not dominate.
_CHUNK_ELEMENTS = 60_000


def _root_seed(seed, rng) -> np.random.SeedSequence:
    if seed is not None and rng is not None:
        raise ValueError("seed and rng were both given: pass only one of them")
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng={rng!r} is not valid: pass a numpy.random.Generator")
        return np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
    if isinstance(seed, np.random.SeedSequence):  # a copy: spawning must not change it
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed={seed!r} is out of range: must be a whole number >= 0")
        return np.random.SeedSequence(int(seed))
    return np.random.SeedSequence()


def _chunks(replications: int, chunk_size: int) -> list[int]:
    full, rest = divmod(replications, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


class _NoProgress:
    """Stands in for a rich progress bar when none is shown."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def advance(self, task, amount) -> None:
        return None


def _progress_bar(enabled: bool, total: int):
    """A rich progress bar on stderr when asked for and stderr is a terminal."""
    if not (enabled and sys.stderr.isatty()):
        return _NoProgress(), None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("simulating", total=total)
    return bar, task


def simulate(
    scenario: Scenario,
    horizon_h: float,
    replications: int,
    seed: int | np.random.SeedSequence | None = None,
    rng: np.random.Generator | None = None,
    node_lifetime: Distribution | None = None,
    node_repair: Distribution | None = None,
    client=None,
    progress: bool = False,
    per_replication: bool = False,
    chunk_size: int | None = None,
    recovery_time: Distribution | None = None,
) -> SimulationResult:
    """Simulate the scenario's cluster and estimate its availability metrics.

    Parameters
    ----------
    scenario : haplan.Scenario
        The cluster and service (placement, failure and repair means, zones, crews, load,
        orchestrator and ``reschedule``).
    horizon_h : float
        Measured window of each replication [h], > 0.
    replications : int
        Independent replications, ≥ 2 (the standard errors come from their spread).
    seed : int or numpy.random.SeedSequence, optional
        Seed; the same seed and chunking give the same result, locally or on Dask. Neither
        ``seed`` nor ``rng``: fresh entropy from the operating system.
    rng : numpy.random.Generator, optional
        Generator to draw the root seed from, instead of ``seed`` (its state advances).
    node_lifetime, node_repair : distribution, optional
        ``Exponential``, ``Weibull``, ``LogNormal`` or ``Deterministic`` [h]; default
        exponential with ``node_mttf_h`` / ``node_mttr_h``.
    client : dask.distributed.Client, optional
        Run the chunks of replications on this Dask client.
    progress : bool
        Show a progress bar (only when stderr is a terminal).
    per_replication : bool
        Keep one row per replication in ``result.replications``.
    chunk_size : int, optional
        Replications per chunk, ≥ 1. Each chunk draws from its own child seed
        (``SeedSequence.spawn``), so the chunking is part of what a seed reproduces. The
        default depends only on the scenario and horizon: chunks of about 6e4 array elements
        (2.5e5 on the vectorised paths, 2e6 for the crew chain, which steps through events for
        all replications of a chunk at once), which keeps the arrays in cache.
    recovery_time : distribution, optional
        Time [h] from a node becoming unreachable until its instances are evicted and can be
        placed elsewhere (the recovery pipeline), drawn for each unreachable interval; used
        only with ``scenario.reschedule``. Default: fixed at
        ``haplan.recovery.node_failure_recovery_s(orchestrator, ⌈C/N⌉)`` / 3600.

    Returns
    -------
    SimulationResult
        ``service_unavailability``, ``capacity_unavailability``, ``slo_unavailability``
        [fraction], ``outage_frequency_per_year`` [1/yr], ``mean_outage_duration_min`` [min],
        each with a ``_se`` standard error; ``summary()`` adds confidence intervals for
        :data:`METRICS`.

    Raises
    ------
    ValueError
        When an argument is out of range, naming it.

    Notes
    -----
    See the docstring of ``haplan.simulate`` for the model. Unavailability per replication is
    the measured share of the window the service is down; the estimate is the mean over
    replications and its standard error s / √n. The outage frequency counts down periods
    starting inside the window; the mean outage duration is total downtime / outages (for a
    stationary process this is the mean down time, U / f; Rausand & Høyland 2004, §8.8), its
    error by the delta method.
    """
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario={type(scenario).__name__} is not valid: pass a haplan.Scenario")
    horizon = check_scalar("horizon_h", horizon_h, low=0, low_open=True)
    count = int(check_scalar("replications", replications, low=2, integer=True))
    root = _root_seed(seed, rng)
    lifetime = check_distribution("node_lifetime", node_lifetime, Exponential(scenario.node_mttf_h))
    repair = check_distribution("node_repair", node_repair, Exponential(scenario.node_mttr_h))
    if lifetime.mean == 0:
        raise ValueError("node_lifetime has mean 0: node lifetimes must have a mean > 0")
    pipeline = check_distribution("recovery_time", recovery_time, None)
    model = build_model(scenario, horizon, lifetime, repair, pipeline)
    if chunk_size is None:
        budget = FAST_CHUNK_ELEMENTS if model.independent_nodes_only else _CHUNK_ELEMENTS
        budget = _PATH_CHUNK_ELEMENTS.get(vectorised_path(model), budget)
        size = int(max(1, min(count, budget // model.elements_per_replication())))
    else:
        size = int(check_scalar("chunk_size", chunk_size, low=1, integer=True))
    sizes = _chunks(count, size)
    seeds = root.spawn(len(sizes))
    bar, task = _progress_bar(progress, count)
    with bar:
        if client is None:
            parts = []
            with reused_memory():
                for child, n in zip(seeds, sizes, strict=True):
                    parts.append(_run_chunk(model, child, n))
                    bar.advance(task, n)
        else:
            parts = _run_on_dask(client, model, seeds, sizes, bar, task)
    return result_from_rows(np.concatenate(parts, axis=0), horizon, per_replication)


def _run_chunk(model: Model, seed: np.random.SeedSequence, replications: int) -> np.ndarray:
    """Simulate ``replications`` replications: rows of (downtime_h, shortfall_h, outages)."""
    rng = np.random.Generator(np.random.SFC64(seed))
    if model.independent_nodes_only:
        if not model.nodes_fail:
            return np.zeros((replications, 3))
        return independent_nodes(model, rng, replications)
    path = vectorised_path(model)
    if path is not None:
        return path(model, rng, replications)
    if model.recovery_time is not None:
        return rescheduled(model, rng, replications)
    return general_path(model, rng, replications)


# Array elements a chunk aims at on the vectorised paths. The crew chain steps through
# events one at a time for all replications of a chunk at once: the larger the chunk, the
# less numpy's per-call overhead weighs.
_PATH_CHUNK_ELEMENTS = {
    containers_path: 250_000,
    zones_path: 250_000,
    rescheduling_path: 250_000,
    crews_path: 2_000_000,
}


def vectorised_path(model: Model):
    """The integer-clock path for ``model``'s one extra mechanism, or None (general path)."""
    zones = model.zone_lifetime is not None
    crashes = model.instance_lifetime is not None
    crews = model.repair_crews is not None
    moves = model.recovery_time is not None
    if not model.nodes_fail or zones + crashes + crews + moves != 1:
        return None
    if crashes:
        return containers_path
    if zones:
        return zones_path
    if moves and rescheduling_fits(model):
        return rescheduling_path
    if crews and crews_apply(model):
        return crews_path
    return None


def _run_chunks(model: Model, jobs) -> np.ndarray:
    """Run several chunks one after another (a Dask task); ``jobs`` is [(seed, size)]."""
    with reused_memory():
        return np.concatenate([_run_chunk(model, seed, size) for seed, size in jobs], axis=0)


def _run_on_dask(client, model, seeds, sizes, bar, task) -> list[np.ndarray]:
    """Submit the chunks to ``client`` in batches and gather them in order."""
    from dask.distributed import as_completed

    workers = max(1, sum(client.nthreads().values()))
    per_task = max(1, math.ceil(len(sizes) / (4 * workers)))
    batches = [
        list(zip(seeds[i : i + per_task], sizes[i : i + per_task], strict=True))
        for i in range(0, len(sizes), per_task)
    ]
    remote_model = client.scatter(model, broadcast=True)
    futures = [client.submit(_run_chunks, remote_model, jobs, pure=False) for jobs in batches]
    position = {future.key: i for i, future in enumerate(futures)}
    parts: list[np.ndarray | None] = [None] * len(futures)
    for future in as_completed(futures):
        i = position[future.key]
        parts[i] = future.result()
        bar.advance(task, sum(size for _, size in batches[i]))
    return parts
