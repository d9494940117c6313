"""Outage frequency, mean outage length and mean up time of the service over its placement.

The frequency of entries into the down set is summed over the components (nodes, instances,
zones) as failure frequency × Birnbaum importance, each importance a sum of non-negative
products (derivation in the comments below).
"""

from __future__ import annotations

import numpy as np
from scipy.special import bdtr

from haplan._numeric import check_range, restore, rows_of
from haplan.availability import _rows
from haplan.availability._truncated import (
    binomial_pmf,
    check_min_instances,
    convolve,
    delta,
    node_down,
    power,
    zone_layout,
)
from haplan.availability.placement import _structures

__all__ = ["service_outage_frequency", "service_outages"]


# --------------------------------------------------------------------------- outage frequency
#
# Frequency of entries into the down set, ν = Σ_i f_i · I_i over independent two-state
# components: f_i = 1/(MTTF_i + MTTR_i) is component i's failure frequency and
# I_i = U(i down) − U(i up) its Birnbaum importance: the probability that i is critical, i.e.
# that the service is up with i up and down with i down. Each I_i is computed as a sum of
# non-negative products (never a difference of unavailabilities), counting on whichever side
# ``service_unavailability`` counts (instances down or up, whichever gives shorter rows).
#
# Down side. D_rest = instances down among everything but component i, T = C − k + 1 the
# first down count that is an outage. With i up the component adds X_up down, with i down
# X_down ≥ X_up; i is critical when D_rest + X_up < T ≤ D_rest + X_down. Put j = T − D_rest:
#   node with load L (its zone up; X_up ~ Bin(L, q_inst), X_down = L):
#       a_zone · Σ_{j=1..L} P(D_rest = T−j) · P(Bin(L, q_inst) < j)
#   instance on such a node (node and zone up; X_up = 0, X_down = 1): critical when
#   D_others + V = T − 1, with D_others down among the other nodes and zones and
#   V ~ Bin(L−1, q_inst) down among the node's other instances; with j = T − D_others:
#       a_zone · a_node · Σ_{j=1..L} P(D_others = T−j) · P(Bin(L−1, q_inst) = j−1)
#   zone holding M instances (X_up = W, its down count with the zone up; X_down = M):
#       Σ_{j=1..M} P(D_rest = T−j) · P(W < j).
#
# Up side. R_rest = instances up among everything but component i; the service is down when
# up ≤ k − 1. With i up the component adds Y_up up, with i down Y_down = 0 (a down node, zone
# or instance adds no instance up); i is critical when R_rest ≤ k − 1 < R_rest + Y_up. With
# j = k − R_rest ∈ {1, …, k}: critical ⇔ R_rest = k − j and Y_up ≥ j, so
# I_i = Σ_j P(R_rest = k−j) · P(Y_up ≥ j):
#   node with load L (zone up; Y_up = L − Bin(L, q_inst) ~ Bin(L, 1 − q_inst)):
#       a_zone · Σ_{j=1..L} P(R_rest = k−j) · P(Bin(L, q_inst) ≤ L − j)
#   instance on such a node (node and zone up; Y_up = 1): critical when
#   R_others + V = k − 1, with R_others up among the other nodes and zones and V up among
#   the node's other L − 1 instances (V = j − 1 ⇔ L − j of them down); with j = k − R_others:
#       a_zone · a_node · Σ_{j=1..L} P(R_others = k−j) · P(Bin(L−1, q_inst) = L − j)
#   zone holding M instances (Y_up = W, its up count with the zone up):
#       Σ_{j=1..M} P(R_rest = k−j) · P(W ≥ j).
# The rest rows are truncated at `size` ≥ T (or ≥ k) and only entries T−j ≤ T−1 (k−j ≤ k−1)
# are read, never the lumped tail; j beyond the threshold reads zeros (``_critical`` pads).


def _component_times(mttf_name, mttf, mttr_name, mttr):
    """Validated (MTTF, MTTR) of one kind of component."""
    f = check_range(mttf_name, mttf, low=0, low_open=True, allow_inf=True)
    r = check_range(mttr_name, mttr, low=0)
    return f, r


def _rates_from_times(f, r):
    """(unavailability, availability, failure frequency 1/(MTTF + MTTR)) of a component."""
    never = np.isinf(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(never, 0.0, r / (f + r))
        a = np.where(never, 1.0, f / (f + r))
        # Instantaneous downs (MTTR = 0) are not outages: they add no downtime and no count.
        frequency = np.where(r > 0, 1.0 / (f + r), 0.0)
    return q, a, frequency


def _critical(rest, which, threshold, weights):
    """Σ_j rest[which, T−j] · weights[which, j−1] for j = 1 … weights' columns, T−j ≥ 0."""
    pad = weights.shape[1]
    padded = np.concatenate([np.zeros((rest.shape[0], pad)), rest], axis=1)
    total = np.zeros(which.size)
    for j in range(1, pad + 1):
        total += padded[which, threshold - j + pad] * weights[which, j - 1]
    return total


def _group_outages(structure, q, which, threshold, frequencies, count_up):
    """Frequency, unavailability, availability for rows sharing (N, C, Z), counting
    instances up (``count_up``: threshold k, out when up < k) or down (threshold C − k + 1,
    out when down >= threshold); the critical weights of each side are derived in the
    comments at the top of this module."""
    nodes, instances, zones = structure
    qn, qi, qz, an, az = q.T.copy()
    f_node, f_instance, f_zone = frequencies
    rows, unique = which.size, q.shape[0]
    size = int(threshold.max())
    base, zone_types = zone_layout(nodes, instances, zones)
    heavy_node = node_down(base + 1, qn, qi, size, count_up) if instances % nodes else None
    light_node = node_down(base, qn, qi, size, count_up) if base > 0 else None
    kinds = []  # per zone type: count, heavy, light, load, up-zone dist, rest given a node
    for count, heavy, light in zone_types:
        load = heavy * (base + 1) + light * base
        if load == 0:
            continue  # holds nothing: never matters
        light = light if light_node is not None else 0
        heavy_less = power(heavy_node, heavy - 1, size) if heavy else None
        light_less = power(light_node, light - 1, size) if light else None
        heavy_all = convolve(heavy_less, heavy_node, size) if heavy else None
        light_all = convolve(light_less, light_node, size) if light else None
        up_zone = convolve(heavy_all, light_all, size)
        zone_dist = up_zone * az[:, None]
        zone_dist[:, 0 if count_up else min(load, size)] += qz  # zone down: 0 up, all down
        zone_less = power(zone_dist, count - 1, size)
        kinds.append(
            {
                "count": count,
                "heavy": heavy,
                "light": light,
                "load": load,
                "up_zone": up_zone,
                "rest_heavy": convolve(heavy_less, light_all, size) if heavy else None,
                "rest_light": convolve(heavy_all, light_less, size) if light else None,
                "zone_less": zone_less,
                "zones_all": convolve(zone_less, zone_dist, size),
            }
        )
    prefix, suffix = [None], [None]
    for kind in kinds:
        prefix.append(convolve(prefix[-1], kind["zones_all"], size))
    for kind in reversed(kinds):
        suffix.append(convolve(suffix[-1], kind["zones_all"], size))
    suffix.reverse()  # suffix[t] = zones of types t, t+1, …

    frequency = np.zeros(rows)
    for t, kind in enumerate(kinds):
        outside = convolve(prefix[t], suffix[t + 1], size)
        other_zones = convolve(kind["zone_less"], outside, size)
        if np.any(f_zone > 0):  # a zone of this type fails
            columns = min(kind["load"], size)
            if count_up:  # P(W >= j), j = 1 … columns (the lumped last entry is W >= size)
                weights = np.cumsum(kind["up_zone"][:, ::-1], axis=1)[:, ::-1][:, 1 : columns + 1]
            else:  # P(W < j), j = 1 … columns
                weights = np.cumsum(kind["up_zone"][:, :columns], axis=1)
            rest = other_zones if other_zones is not None else delta(unique, size)
            critical = _critical(rest, which, threshold, weights)
            frequency += kind["count"] * critical * f_zone
        for number, load, in_zone in (
            (kind["heavy"], base + 1, kind["rest_heavy"]),
            (kind["light"], base, kind["rest_light"]),
        ):
            if number == 0 or load == 0:
                continue
            rest = convolve(in_zone, other_zones, size)
            rest = rest if rest is not None else delta(unique, size)
            columns = min(load, size)
            j = np.arange(1, columns + 1)
            how_many = kind["count"] * number
            if np.any(f_node > 0):
                # Bin(load, q_inst) down on the up node: P(down <= load − j) (up side) or
                # P(down <= j − 1) (down side), for j = 1 … columns
                most_down = load - j if count_up else j - 1
                below = bdtr(most_down[None, :], load, qi[:, None]) * az[:, None]
                critical = _critical(rest, which, threshold, below)
                frequency += how_many * critical * f_node
            if np.any(f_instance > 0):
                # the node's other load − 1 instances: load − j down (up side) or j − 1 down
                pmf = binomial_pmf(load - 1, qi, load - j if count_up else j - 1)
                critical = _critical(rest, which, threshold, pmf * (az * an)[:, None])
                frequency += how_many * load * critical * f_instance
    full = prefix[-1]
    tail = np.minimum(np.cumsum(full[:, ::-1], axis=1)[:, ::-1], 1.0)  # P(X >= j)
    head = np.minimum(np.cumsum(full, axis=1), 1.0)  # P(X <= j)
    if count_up:  # U = P(up <= k − 1), A = P(up >= k)
        return frequency, head[which, threshold - 1], tail[which, threshold]
    return frequency, tail[which, threshold], head[which, threshold - 1]


def _outage_columns(*inputs, count_up=None, key=None):
    """(frequency, unavailability, availability) arrays of ``inputs`` (N, C, k, node MTTF,
    MTTR, instance MTTF, MTTR, Z, zone MTTF, MTTR, as :func:`_validated_inputs` takes them);
    ``count_up`` None counts each row on its shorter side (as ``service_unavailability``),
    True/False forces a side (tests); rows with equal ``key`` (integers, optional) have
    equal N, C and probabilities."""
    shape, (n, c, k, z), rates = _validated_inputs(*inputs)
    return tuple(x.reshape(shape) for x in _outages_of(n, c, k, z, *rates, count_up, key))


def _validated_inputs(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf,
    instance_mttr,
    zones,
    zone_mttf,
    zone_mttr,
):
    """(broadcast shape, flat (N, C, k, Z), (q, a, frequency) of nodes, instances, zones),
    every input checked once."""
    arrays = np.broadcast_arrays(
        check_range("nodes", nodes, low=1, integer=True),
        check_range("instances", instances, low=1, integer=True),
        check_range("min_instances", min_instances, integer=True),
        *_component_times("node_mttf", node_mttf, "node_mttr", node_mttr),
        *_component_times("instance_mttf", instance_mttf, "instance_mttr", instance_mttr),
        check_range("zones", zones, low=1, integer=True),
        *_component_times("zone_mttf", zone_mttf, "zone_mttr", zone_mttr),
    )
    n, c, k, fn, rn, fi, ri, z, fz, rz = (a.ravel() for a in arrays)
    check_min_instances(k, c)
    rates = tuple(_rates_from_times(f, r) for f, r in ((fn, rn), (fi, ri), (fz, rz)))
    return arrays[0].shape, (n, c, k, z), rates


def _outages_of(n, c, k, z, node, instance, zone, count_up=None, key=None):
    """``_outage_columns`` of flat, checked inputs; ``node``, ``instance``, ``zone`` are each
    (unavailability, availability, failure frequency) arrays."""
    (qn, an, nu_n), (qi, _, nu_i), (qz, az, nu_z) = node, instance, zone
    active = np.flatnonzero(k > 0)
    # One-zone rows of any (N, C) share batched passes (``_rows``); the rest loop per structure.
    size = np.minimum(k, c - k + 1) if count_up is None else (k if count_up else c - k + 1)
    batched = active[
        _rows.single_zone_rows(n[active], z[active]) & (size[active] <= _rows.MAX_SIZE)
    ]
    if batched.size:
        down_b, up_b, frequency_b = _rows.solve(
            *(rows_of(a, batched).astype(np.int64, copy=False) for a in (n, c, k)),
            *(rows_of(a, batched) for a in (qn, qi, qz, an, az)),
            frequencies=tuple(rows_of(f, batched) for f in (nu_n, nu_i, nu_z)),
            count_up=count_up,
            key=rows_of(None if key is None else np.ravel(key), batched),
        )
        if batched.size == n.size:  # every row (the usual case): the results as they are
            return frequency_b, down_b, up_b
    frequency = np.zeros(n.shape)
    down = np.zeros(n.shape)
    up = np.ones(n.shape)
    if batched.size:
        down[batched], up[batched], frequency[batched] = down_b, up_b, frequency_b
        active = np.setdiff1d(active, batched, assume_unique=True)
    if active.size:
        keys, group_of = _structures(n[active], c[active], z[active])
        order = np.argsort(group_of, kind="stable")
        bounds = np.searchsorted(group_of[order], np.arange(len(keys) + 1))
        for g, structure in enumerate(keys):
            group = active[order[bounds[g] : bounds[g + 1]]]
            # Out when up <= k − 1, i.e. down >= C − k + 1: count the shorter side.
            if count_up is None:
                short_up = k[group] <= structure[1] - k[group] + 1
            else:
                short_up = np.full(group.size, bool(count_up))
            for rows, up_side in ((group[short_up], True), (group[~short_up], False)):
                if not rows.size:
                    continue
                threshold = (k[rows] if up_side else structure[1] - k[rows] + 1).astype(np.int64)
                q = np.stack([a[rows] for a in (qn, qi, qz, an, az)], axis=1)
                if (q == q[0]).all():
                    probabilities, which = q[:1], np.zeros(rows.size, dtype=np.int64)
                else:
                    probabilities, which = np.unique(q, axis=0, return_inverse=True)
                    which = which.ravel()
                frequency[rows], down[rows], up[rows] = _group_outages(
                    tuple(int(x) for x in structure),
                    probabilities,
                    which,
                    threshold,
                    (nu_n[rows], nu_i[rows], nu_z[rows]),
                    up_side,
                )
    return frequency, down, up


def service_outage_frequency(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf=np.inf,
    instance_mttr=0.0,
    zones=1,
    zone_mttf=np.inf,
    zone_mttr=0.0,
):
    r"""Mean number of service outages per unit time, over the real placement.

    Parameters
    ----------
    nodes : numeric
        Nodes N [count], a whole number ≥ 1.
    instances : numeric
        Instances C [count], a whole number ≥ 1, placed as in
        :func:`~haplan.availability.service_unavailability`.
    min_instances : numeric
        Instances k the service needs [count], a whole number ≤ C; k ≤ 0 means never down.
    node_mttf, node_mttr : numeric
        Node mean time to failure (> 0, ``inf`` = never fails) and to repair (≥ 0) [any
        time unit, e.g. h]; a down node takes its instances with it. Repairs are unlimited
        (every failed component is repaired at once, independently).
    instance_mttf, instance_mttr : numeric, default inf, 0
        The same for one instance on an up node (crash, restart) [same unit].
    zones : numeric, default 1
        Failure zones Z [count], a whole number ≥ 1, nodes dealt round-robin.
    zone_mttf, zone_mttr : numeric, default inf, 0
        The same for a zone [same unit]; a down zone takes its nodes with it.

    Returns
    -------
    numeric
        Outage frequency ν [1/time unit of the inputs: 1/h when the inputs are in hours]:
        the long-run number of transitions from "at least k instances up" to "fewer than k"
        per unit time. 0 when k ≤ 0.

    Notes
    -----
    Nodes, instances and zones are independent two-state components with alternating up and
    down times of means MTTF and MTTR (any distributions); the down-instance model is that of
    :func:`~haplan.availability.service_unavailability`. A system failure is caused by exactly
    one component failure, at a moment when that component is critical, so [1]_ [2]_

    .. math:: \nu = \sum_i \frac{I_i}{\mathrm{MTTF}_i + \mathrm{MTTR}_i}, \qquad
              I_i = U(i\ \mathrm{down}) - U(i\ \mathrm{up})
              = \frac{U(i\ \mathrm{down}) - U}{A_i},

    equivalently ν = Σ_i λ_i [U(i down) − U] with λ_i = 1/MTTF_i. By symmetry the sum runs
    over classes (a node of each zone type with ⌈C/N⌉ or ⌊C/N⌋ instances, an instance on
    each, a zone of each type) times the class sizes. Each I_i is computed as a sum of
    non-negative products of the truncated distribution of all other components and the
    component's own distribution, counting instances up or down, whichever side is shorter
    (as :func:`~haplan.availability.service_unavailability`; derivation in the comments at
    the top of :mod:`haplan.availability.outages`), so tiny frequencies (1e-25) keep their
    digits; no difference of unavailabilities is formed.

    A component with MTTR = 0 has instantaneous downs: they are counted as no outage at all
    (they add no downtime), so ν · (mean outage duration) = U holds exactly.

    The cost is a few times that of :func:`~haplan.availability.service_unavailability` for
    the same rows (one loop per unique (N, C, Z); rows with equal probabilities share their
    distributions).

    References
    ----------
    .. [1] C. Singh and R. Billinton, *System Reliability Modelling and Evaluation*,
       Hutchinson, 1977 (frequency and duration of system failure states: system failure
       frequency as the sum over components of Birnbaum importance × component failure
       frequency).
    .. [2] S. M. Ross, "On the calculation of asymptotic system reliability
       characteristics", in R. E. Barlow, J. B. Fussell and N. D. Singpurwalla (eds.),
       *Reliability and Fault Tree Analysis*, SIAM, 1975 (coherent systems of independent
       alternating renewal components).
    """
    frequency, _, _ = _outage_columns(
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )
    return restore(
        frequency,
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )


def service_outages(
    nodes,
    instances,
    min_instances,
    node_mttf,
    node_mttr,
    instance_mttf=np.inf,
    instance_mttr=0.0,
    zones=1,
    zone_mttf=np.inf,
    zone_mttr=0.0,
):
    r"""Outage frequency, mean outage length and mean up time between outages.

    Same parameters and model as :func:`service_outage_frequency` (read its Notes).

    Returns
    -------
    dict of numeric
        ``"outage_frequency"`` — ν [1/time unit: 1/h when the inputs are in hours];
        ``"mean_outage_duration"`` — U/ν, the mean length of an outage [time unit];
        ``"mean_up_time"`` — A/ν, the mean time the service stays up between outages
        [time unit]. k ≤ 0 (or no component that can fail) gives ν = 0, duration ``nan``
        and up time ``inf``; a service that is down for good gives duration ``inf`` and up
        time 0. Each has the kind of the inputs.

    Notes
    -----
    Over a long time the service alternates between up periods and outages; ν outages per
    unit time sharing the fraction U of the time give the mean outage length U/ν and the
    mean up period A/ν (renewal-reward, [1]_). U and A are both summed from their own side
    of the same distribution as :func:`~haplan.availability.service_unavailability` (A is
    never 1 − U). A/ν is the mean of all up periods, most of which start in a partly failed
    state, so it is not the mean time to the first outage from "everything up" (typically
    somewhat shorter).

    References
    ----------
    .. [1] C. Singh and R. Billinton, *System Reliability Modelling and Evaluation*,
       Hutchinson, 1977 (frequency and duration method: duration = probability /
       frequency).
    """
    inputs = (
        nodes,
        instances,
        min_instances,
        node_mttf,
        node_mttr,
        instance_mttf,
        instance_mttr,
        zones,
        zone_mttf,
        zone_mttr,
    )
    frequency, down, up = _outage_columns(*inputs)
    outages = frequency > 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        duration = np.where(outages, down / frequency, np.where(down > 0, np.inf, np.nan))
        up_time = np.where(outages, up / frequency, np.where(up > 0, np.inf, 0.0))
    return {
        "outage_frequency": restore(frequency, *inputs),
        "mean_outage_duration": restore(duration, *inputs),
        "mean_up_time": restore(up_time, *inputs),
    }
