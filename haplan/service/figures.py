"""``service_figures``: which model answers which inputs, and the approximations beyond
the exact chain's size (see :mod:`haplan.service`)."""

from __future__ import annotations

import math

import numpy as np

from haplan import availability, markov
from haplan._numeric import rows_of
from haplan.availability import _rows
from haplan.availability.outages import _outages_of, _validated_inputs
from haplan.availability.placement import _service_probabilities
from haplan.service.chain import (
    Rates,
    chain_figures,
    container_process,
    count_states,
    structure,
)

__all__ = [
    "service_figures",
    "MAX_CHAIN_STATES",
    "FIGURES",
    "HOURS_PER_YEAR",
    "EXACT_CONVOLUTION",
    "EXACT_CHAIN",
    "APPROX_CREWS",
    "APPROX_RESCHEDULE",
]

#: Hours in a 365.25-day year, the calendar of every per-year figure.
HOURS_PER_YEAR = availability.HOURS_PER_YEAR
#: Largest Markov chain :func:`service_figures` solves exactly; beyond it, an approximation.
MAX_CHAIN_STATES = 5_000
#: The figures :func:`service_figures` returns, in order.
FIGURES = (
    "service_unavailability",
    "capacity_unavailability",
    "slo_unavailability",
    "outage_frequency_per_year",
    "mean_outage_duration_min",
    "service_mttf_h",
    "service_model",
)

EXACT_CONVOLUTION = "exact: placement convolution"
EXACT_CHAIN = "exact: CTMC"
APPROX_CREWS = "approximate: outage frequency from the worst-case node-count chain"
APPROX_RESCHEDULE = (
    "approximate: independent nodes and zones with rescheduling (crews, room limits ignored)"
)


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------
def _thresholds(min_instances, instances_needed, instances):
    """k for service, capacity (inf when more are needed than exist) and the SLO."""
    needed = np.where(instances_needed > instances, np.inf, np.ceil(instances_needed))
    return min_instances.astype(float), needed, np.maximum(min_instances, needed)


def _convolution_rows(c: dict, rows: np.ndarray, out: dict) -> None:
    """Independent repairs, no rescheduling: the exact placement model, vectorised.

    One pass gives the outage figures and the service unavailability (threshold k); the
    capacity and SLO thresholds reuse it, or each other, where they are equal. Rows with the
    same N, C and probabilities share their distributions (integer keys, no sorting).
    """
    take = {name: rows_of(c[name], rows) for name in _INPUTS[:11]}
    _, (_, _, service_k, _), rates = _validated_inputs(
        *(take[name] for name in ("nodes", "instances", "min_instances")),
        *(take[name] for name in _INPUTS[4:11]),
    )
    n, inst, z = take["nodes"], take["instances"], take["zones"]  # whole numbers, as int64
    (qn, _, _), (qi, _, _), (qz, _, _) = rates
    _, capacity_k, slo_k = _thresholds(service_k, take["instances_needed"], inst)
    key = _rows.distinct_keys(n * (int(inst.max()) + 1) + inst, qn, qi, qz, z)
    frequency, u_service, a_service = _outages_of(n, inst, service_k, z, *rates, key=key)
    u_capacity = _thresholds_unavailability(
        n, inst, capacity_k, qn, qi, z, qz, key, service_k, u_service
    )
    same = slo_k == capacity_k
    u_slo = (
        np.where(same, u_capacity, u_service)
        if (same | (slo_k == service_k)).all()
        else (_thresholds_unavailability(n, inst, slo_k, qn, qi, z, qz, key, service_k, u_service))
    )
    out["service_unavailability"][rows] = u_service
    out["capacity_unavailability"][rows] = u_capacity
    out["slo_unavailability"][rows] = u_slo
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # as service_outages
        outages = frequency > 0
        duration = np.where(outages, u_service / frequency, np.where(u_service > 0, np.inf, np.nan))
        up_time = np.where(outages, a_service / frequency, np.where(a_service > 0, np.inf, 0.0))
    out["outage_frequency_per_year"][rows] = frequency * HOURS_PER_YEAR
    out["mean_outage_duration_min"][rows] = duration * 60.0
    out["service_mttf_h"][rows] = up_time
    out["service_model"][rows] = EXACT_CONVOLUTION


def _thresholds_unavailability(n, inst, k, qn, qi, z, qz, key, known_k, known_u):
    """U at thresholds ``k`` (inf: never enough, U = 1), reusing ``known_u`` where k is
    ``known_k``."""
    u = np.ones(len(k))
    reuse = k == known_k
    u[reuse] = known_u[reuse]
    todo = np.flatnonzero(np.isfinite(k) & ~reuse)
    if todo.size:
        u[todo], _ = _service_probabilities(
            n[todo],
            inst[todo],
            k[todo],
            qn[todo],
            qi[todo],
            z[todo],
            qz[todo],
            key=None if key is None else key[todo],
            want_up=False,
        )
    return u


def _set_unavailabilities(out, index, u) -> None:
    """The service, capacity and SLO unavailabilities of one row (thresholds in that order)."""
    for name, value in zip(FIGURES[:3], u, strict=True):
        out[name][index] = value


def _set_outages(out, index, u, flux_h, up_share) -> None:
    if flux_h > 0:
        out["outage_frequency_per_year"][index] = flux_h * HOURS_PER_YEAR
        out["mean_outage_duration_min"][index] = u / flux_h * 60.0
        out["service_mttf_h"][index] = up_share / flux_h
    else:
        out["outage_frequency_per_year"][index] = 0.0
        out["mean_outage_duration_min"][index] = np.inf if u > 0 else np.nan
        out["service_mttf_h"][index] = 0.0 if up_share == 0 else np.inf


def _evicting(mttf_h: float, mttr_h: float, pipeline_h: float) -> tuple[float, float]:
    """A unit whose instances are evicted after the pipeline, as an equivalent two-state unit.

    The unit's chain up → pending (1/MTTF), pending → up (1/MTTR), pending → evicted
    (1/pipeline), evicted → up (1/MTTR) has its instances down only while pending. The
    two-state unit with the same down probability and the same rate of entering it has
    repair rate 1/MTTR + 1/pipeline and failure rate P(up)/(MTTF (1 − P(pending))) [h].
    """
    lam, mu = 1.0 / mttf_h, 1.0 / mttr_h
    nu = 1.0 / pipeline_h if pipeline_h > 0 else 1e12
    pending_per_up = lam / (mu + nu)
    up = 1.0 / (1.0 + pending_per_up + pending_per_up * nu / mu)
    pending = up * pending_per_up
    return (1.0 - pending) / (up * lam), 1.0 / (mu + nu)


def _approximate_row(v: dict, out: dict, index: np.ndarray) -> None:
    """Beyond the chain's size: the approximations the module docstring describes."""
    n, inst, k = v["nodes"], v["instances"], v["min_instances"]
    qi = availability.steady_state_unavailability(v["instance_mttf_h"], v["instance_mttr_h"])
    qz = availability.steady_state_unavailability(v["zone_mttf_h"], v["zone_mttr_h"])
    ks = _thresholds(np.array(k), np.array(v["instances_needed"]), inst)
    if not v["reschedule"]:
        crews = v["repair_crews"]
        u = [
            1.0
            if not math.isfinite(kk)
            else float(
                markov.crew_service_unavailability(
                    n, inst, kk, v["node_mttf_h"], v["node_mttr_h"], crews, qi, v["zones"], qz
                )
            )
            for kk in (float(x) for x in ks)
        ]
        o = markov.service_outage_metrics(n, inst, k, v["node_mttf_h"], v["node_mttr_h"], crews)
        flux_h = float(o["outage_frequency_per_year"]) / HOURS_PER_YEAR
        label = APPROX_CREWS
        a = 1.0 - u[0]
    else:
        pipeline_h = v["recovery_node_failure_s"] / 3600.0
        node_mttf, node_mttr = _evicting(v["node_mttf_h"], v["node_mttr_h"], pipeline_h)
        zone_mttf, zone_mttr = v["zone_mttf_h"], v["zone_mttr_h"]
        if math.isfinite(zone_mttf) and zone_mttr > 0:
            zone_mttf, zone_mttr = _evicting(zone_mttf, zone_mttr, pipeline_h)
        q_node = float(availability.steady_state_unavailability(node_mttf, node_mttr))
        q_zone = float(availability.steady_state_unavailability(zone_mttf, zone_mttr))
        u = [
            1.0
            if not math.isfinite(kk)
            else float(
                availability.service_unavailability(n, inst, kk, q_node, qi, v["zones"], q_zone)
            )
            for kk in (float(x) for x in ks)
        ]
        o = availability.service_outages(
            n,
            inst,
            k,
            node_mttf,
            node_mttr,
            v["instance_mttf_h"],
            v["instance_mttr_h"],
            v["zones"],
            zone_mttf,
            zone_mttr,
        )
        a = float(availability.service_availability(n, inst, k, q_node, qi, v["zones"], q_zone))
        flux_h = float(o["outage_frequency"])
        # With every node down, evicted instances have nowhere to run, but the equivalent
        # units count them up. Add that corner (nodes all down, independent of the rest) and
        # the rate of entering it, where the equivalent model had the service up.
        q_down = float(availability.steady_state_unavailability(v["node_mttf_h"], v["node_mttr_h"]))
        corner = q_down**n
        u = [x + corner * (1.0 - x) for x in u]
        flux_h += n * q_down ** (n - 1) / (v["node_mttf_h"] + v["node_mttr_h"]) * a
        a -= corner * a
        label = APPROX_RESCHEDULE
    _set_unavailabilities(out, index, u)
    _set_outages(out, index, u[0], flux_h, a if k > 0 else 1.0)
    out["service_model"][index] = label


_INPUTS = (
    "nodes",
    "instances",
    "min_instances",
    "instances_needed",
    "node_mttf_h",
    "node_mttr_h",
    "instance_mttf_h",
    "instance_mttr_h",
    "zones",
    "zone_mttf_h",
    "zone_mttr_h",
    "repair_crews",
    "reschedule",
    "recovery_node_failure_s",
    "max_instances_per_node",
)


def service_figures(
    nodes,
    instances,
    min_instances,
    instances_needed,
    node_mttf_h,
    node_mttr_h,
    instance_mttf_h=np.inf,
    instance_mttr_h=0.0,
    zones=1,
    zone_mttf_h=np.inf,
    zone_mttr_h=0.0,
    repair_crews=np.inf,
    reschedule=False,
    recovery_node_failure_s=0.0,
    max_instances_per_node=np.inf,
) -> dict[str, np.ndarray]:
    r"""The service's availability figures from the one service model.

    Parameters
    ----------
    nodes, instances : numeric
        N nodes and C instances [count], whole numbers ≥ 1, placed as
        :func:`haplan.availability.instances_per_node` does.
    min_instances : numeric
        k, instances the service needs [count], 0 ≤ k ≤ C.
    instances_needed : numeric
        Instances that carry the load under ``max_utilization`` [count]
        (:func:`haplan.load.instances_needed`); more than C means never enough.
    node_mttf_h, node_mttr_h : numeric
        Node mean time to failure and to repair by one crew [h], > 0.
    instance_mttf_h, instance_mttr_h : numeric
        Container mean time to crash [h] (inf: never) and to restart [h].
    zones : numeric
        Z, zones the nodes are spread over round-robin [count].
    zone_mttf_h, zone_mttr_h : numeric
        Zone mean time to failure [h] (inf: never) and to repair [h].
    repair_crews : numeric
        Nodes repaired at once [count]; NaN or inf: unlimited.
    reschedule : bool or array of bool
        Evicted instances restart on reachable nodes with room (module docstring).
    recovery_node_failure_s : numeric
        The orchestrator's pipeline time before a node's instances are evicted [s].
    max_instances_per_node : numeric
        Most instances one node runs [count]; inf: always room.

    Returns
    -------
    dict of numpy.ndarray
        ``service_unavailability`` (fewer than k serving), ``capacity_unavailability``
        (fewer than ``instances_needed``), ``slo_unavailability`` (either: the load-aware
        headline) [probability]; ``outage_frequency_per_year`` [1/yr, 8766-h year],
        ``mean_outage_duration_min`` [min] and ``service_mttf_h`` (mean up time between
        outages) [h] of the service-only figure; ``service_model`` (str, the model behind
        the row). Every array has the broadcast shape of the inputs, flattened.

    Notes
    -----
    See the module docstring for the mechanism and which model answers which inputs.
    Unavailabilities are summed directly, never as 1 − A. Rows that share every input are
    computed once.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(x) for x in (nodes, instances, min_instances, instances_needed)),
        *(np.asarray(x, dtype=float) for x in (node_mttf_h, node_mttr_h)),
        *(np.asarray(x, dtype=float) for x in (instance_mttf_h, instance_mttr_h)),
        np.asarray(zones),
        *(np.asarray(x, dtype=float) for x in (zone_mttf_h, zone_mttr_h, repair_crews)),
        np.asarray(reschedule, dtype=bool),
        *(np.asarray(x, dtype=float) for x in (recovery_node_failure_s, max_instances_per_node)),
    )
    c = {name: np.ravel(a) for name, a in zip(_INPUTS, arrays, strict=True)}
    for name in ("nodes", "instances", "zones"):
        c[name] = c[name].astype(np.int64)
    c["min_instances"] = c["min_instances"].astype(float)
    c["instances_needed"] = c["instances_needed"].astype(float)
    rows = len(c["nodes"])
    out = {name: np.empty(rows) for name in FIGURES[:-1]}
    out["service_model"] = np.empty(rows, dtype=object)
    crews = np.where(np.isnan(c["repair_crews"]), np.inf, c["repair_crews"])
    c["repair_crews"] = crews
    independent = (crews >= c["nodes"]) & ~c["reschedule"]
    closed = np.flatnonzero(independent)
    if closed.size:
        _convolution_rows(c, closed, out)
    chained = np.flatnonzero(~independent)
    if chained.size:
        keys, which = np.unique(
            np.stack([c[name][chained].astype(float) for name in _INPUTS], axis=1),
            axis=0,
            return_inverse=True,
        )
        for j, key in enumerate(keys):
            v = dict(zip(_INPUTS, key.tolist(), strict=True))
            for name in ("nodes", "instances", "zones"):
                v[name] = int(v[name])
            v["reschedule"] = bool(v["reschedule"])
            _chain_row(v, out, chained[which.ravel() == j])
    return out


def _chain_row(v: dict, out: dict, index: np.ndarray) -> None:
    crews = v["repair_crews"]
    zones_fail = math.isfinite(v["zone_mttf_h"]) and v["zone_mttr_h"] > 0
    reschedule = v["reschedule"]
    cluster = structure(v["nodes"], v["instances"], v["zones"], reschedule, zones_fail)
    if count_states(cluster) > MAX_CHAIN_STATES:
        _approximate_row(v, out, index)
        return
    pipeline_s = v["recovery_node_failure_s"]
    rates = Rates(
        node_failure=1.0 / v["node_mttf_h"],
        node_repair=1.0 / v["node_mttr_h"],
        crews=crews if crews < v["nodes"] else np.inf,
        eviction=(3600.0 / pipeline_s if pipeline_s > 0 else 1e12) if reschedule else 0.0,
        zone_failure=1.0 / v["zone_mttf_h"] if zones_fail else 0.0,
        zone_repair=1.0 / v["zone_mttr_h"] if zones_fail else 0.0,
    )
    container = container_process(v["instance_mttf_h"], v["instance_mttr_h"])
    ks = _thresholds(np.array(v["min_instances"]), np.array(v["instances_needed"]), v["instances"])
    u, flux_h, up_share = chain_figures(
        cluster,
        rates,
        v["max_instances_per_node"],
        container,
        tuple(float(k) for k in ks),
        v["instances"],
    )
    _set_unavailabilities(out, index, u)
    _set_outages(out, index, u[0], flux_h, up_share)
    out["service_model"][index] = EXACT_CHAIN
