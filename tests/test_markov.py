"""Tests for haplan.markov: closed forms, dense-matrix solves, mpmath, binomial agreement."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from haplan import availability as av
from haplan import markov
from haplan.markov import (
    HOURS_PER_YEAR,
    BirthDeath,
    crew_service_unavailability,
    service_outage_metrics,
)

SETTINGS = settings(max_examples=50, deadline=None)

rates = st.floats(-4, 1).map(lambda e: 10.0**e)


# --------------------------------------------------------------------------- independent models


def generator(units, failure_rate, repair_rate, crews):
    """Generator matrix Q of the chain (state j = units failed) in high precision.

    The dense systems are ill-conditioned (π spans up to ~1e-75 over 25 states), so they are
    built and solved with 60 + 4·units digits; rounding only the diagonal to float64 already
    moves the answers by ~1e-7."""
    mpmath.mp.dps = 60 + 4 * units
    c = units if crews is None else crews
    lam, mu = mpmath.mpf(failure_rate), mpmath.mpf(repair_rate)
    q = mpmath.zeros(units + 1, units + 1)
    for j in range(units + 1):
        if j < units:
            q[j, j + 1] = (units - j) * lam
        if j > 0:
            q[j, j - 1] = min(j, c) * mu
        q[j, j] = -(q[j, j + 1] if j < units else 0) - (q[j, j - 1] if j > 0 else 0)
    return q


def dense_stationary(q):
    a = q.T
    for column in range(q.cols):
        a[q.rows - 1, column] = 1  # replace one balance equation by Σπ = 1
    b = mpmath.matrix([0] * (q.rows - 1) + [1])
    return np.array([float(x) for x in mpmath.lu_solve(a, b)])


def dense_mean_passage(q, first, last):
    """Mean time to leave states first … last−1, starting in ``first``: −Q_SS m = 1."""
    block = -q[first:last, first:last]
    return float(mpmath.lu_solve(block, mpmath.matrix([1] * block.rows))[0])


def mp_chain(units, failure_rate, repair_rate, crews, min_up):
    """Stationary tail and MTTF by the product form and the τ recursion, 50 digits."""
    mpmath.mp.dps = 50
    lam, mu = mpmath.mpf(failure_rate), mpmath.mpf(repair_rate)
    c = units if crews is None else crews
    weights = [mpmath.mpf(1)]
    for j in range(units):
        weights.append(weights[-1] * (units - j) * lam / (min(j + 1, c) * mu))
    first = units - min_up + 1
    unavailability = mpmath.fsum(weights[first:]) / mpmath.fsum(weights)
    tau, mttf = mpmath.mpf(0), mpmath.mpf(0)
    for j in range(first):
        tau = (1 + min(j, c) * mu * tau) / ((units - j) * lam)
        mttf += tau
    return unavailability, mttf


# --------------------------------------------------------------------------- published values


@pytest.mark.parametrize(("lam", "mu"), [(0.01, 1.0), (1e-4, 0.25), (2.0, 3.0)])
def test_two_units_one_crew_textbook(lam, mu):
    # Any reliability textbook (re-derivable by hand): MTTF = (3λ+μ)/(2λ²),
    # A = (μ²+2λμ)/(μ²+2λμ+2λ²); only float rounding separates us: rtol 1e-12.
    chain = BirthDeath(2, lam, mu, crews=1)
    assert chain.mttf(1) == pytest.approx((3 * lam + mu) / (2 * lam**2), rel=1e-12)
    denominator = mu**2 + 2 * lam * mu + 2 * lam**2
    assert chain.availability(1) == pytest.approx((mu**2 + 2 * lam * mu) / denominator, rel=1e-12)
    assert chain.unavailability(1) == pytest.approx(2 * lam**2 / denominator, rel=1e-12)


def test_one_unit_is_the_component_formula():
    # one unit: U = λ/(λ+μ) = MTTR/(MTTF+MTTR), MTTF = 1/λ, outage = 1/μ, frequency = λ·A
    chain = BirthDeath(1, 1 / 8766, 1 / 4)
    assert chain.unavailability(1) == pytest.approx(av.steady_state_unavailability(8766, 4), 1e-14)
    assert chain.mttf(1) == pytest.approx(8766, rel=1e-14)
    assert chain.mean_outage_duration(1) == pytest.approx(4, rel=1e-14)
    assert chain.outage_frequency(1) == pytest.approx(1 / (8766 + 4), rel=1e-14)


# --------------------------------------------------------------------------- high precision


@pytest.mark.parametrize(
    ("units", "lam", "mu", "crews", "min_up"),
    [
        (6, 1e-6, 1.0, 1, 1),  # all six down: 6!·(λ/μ)^6 ≈ 7e-34
        (20, 1e-5, 0.5, 3, 16),  # ≈ 1e-21
        (10, 0.3, 1.0, 2, 6),  # ordinary magnitudes
        (2000, 1e-3, 0.25, 10, 1990),  # larger chain, tail ≈ 1e-6
        (300, 1e-4, 1.0, None, 290),  # unlimited crews
    ],
)
def test_against_mpmath(units, lam, mu, crews, min_up):
    unavailability, mttf = mp_chain(units, lam, mu, crews, min_up)
    chain = BirthDeath(units, lam, mu, crews)
    assert chain.unavailability(min_up) == pytest.approx(float(unavailability), rel=1e-9)
    assert chain.mttf(min_up) == pytest.approx(float(mttf), rel=1e-9)


# --------------------------------------------------------------------------- dense matrices


@st.composite
def small_chains(draw):
    units = draw(st.integers(1, 25))
    crews = draw(st.one_of(st.none(), st.integers(1, units)))
    min_up = draw(st.integers(1, units))
    return units, draw(rates), draw(rates), crews, min_up


@given(small_chains())
@SETTINGS
def test_against_dense_generator(case):
    units, lam, mu, crews, min_up = case
    chain = BirthDeath(units, lam, mu, crews)
    q = generator(units, lam, mu, crews)
    first = units - min_up + 1
    pi = dense_stationary(q)
    np.testing.assert_allclose(chain.state_probabilities, pi, rtol=1e-9, atol=1e-300)
    mttf = chain.mttf(min_up)
    assert mttf == pytest.approx(dense_mean_passage(q, 0, first), rel=1e-9)
    duration = dense_mean_passage(q, first, units + 1)
    assert chain.mean_outage_duration(min_up) == pytest.approx(duration, rel=1e-9)
    # identity: frequency × mean outage duration = unavailability (duration from the dense solve)
    product = chain.outage_frequency(min_up) * duration
    assert product == pytest.approx(chain.unavailability(min_up), rel=1e-9, abs=1e-300)
    assert 0.0 <= chain.unavailability(min_up) <= 1.0
    assert chain.unavailability(min_up) + chain.availability(min_up) == pytest.approx(1, abs=1e-12)


# --------------------------------------------------------------------------- invariants


@given(st.integers(1, 400), rates, rates, st.data())
@SETTINGS
def test_unlimited_crews_is_binomial(units, lam, mu, data):
    chain = BirthDeath(units, lam, mu)
    p = av.steady_state_unavailability(1 / lam, 1 / mu)  # λ/(λ+μ)
    expected = stats.binom.pmf(np.arange(units + 1), units, p)
    big = expected > 1e-280
    np.testing.assert_allclose(chain.state_probabilities[big], expected[big], rtol=1e-9)
    min_up = data.draw(st.integers(-1, units))
    binomial = av.k_of_n_unavailability(min_up, units, p)
    assert chain.unavailability(min_up) == pytest.approx(binomial, rel=1e-9, abs=1e-300)
    # crews >= units is the same chain
    assert BirthDeath(units, lam, mu, crews=units).unavailability(min_up) == pytest.approx(
        binomial, rel=1e-9, abs=1e-300
    )


@given(st.integers(2, 60), rates, rates, st.data())
@SETTINGS
def test_more_crews_never_hurt(units, lam, mu, data):
    min_up = data.draw(st.integers(1, units))
    crews = data.draw(st.integers(1, units - 1))
    fewer, more = BirthDeath(units, lam, mu, crews), BirthDeath(units, lam, mu, crews + 1)
    assert more.unavailability(min_up) <= fewer.unavailability(min_up) * (1 + 1e-9)
    assert more.mttf(min_up) >= fewer.mttf(min_up) * (1 - 1e-9)


def test_min_up_at_most_zero_means_never_down():
    chain = BirthDeath(5, 0.1, 1.0, crews=2)
    assert chain.unavailability(0) == 0.0
    assert chain.availability(-1) == 1.0
    assert chain.mttf(0) == math.inf
    assert chain.outage_frequency(-2) == 0.0
    assert math.isnan(chain.mean_outage_duration(0))


def test_large_chains_keep_tails():
    # 1e5 units with unlimited crews against scipy's binomial (independent code), deep tail
    units, lam, mu = 100_000, 1 / 8766, 1 / 4
    chain = BirthDeath(units, lam, mu)
    p = lam / (lam + mu)
    assert chain.state_probabilities.sum() == pytest.approx(1.0, rel=1e-12)
    for min_up in (units - 20, units - 80, units - 200):
        expected = stats.binom.sf(units - min_up, units, p)
        assert chain.unavailability(min_up) == pytest.approx(expected, rel=1e-8)
    assert 0 < chain.unavailability(units - 200) < 1e-60  # binomial tail, 45.6 failed on average
    # 1e6 units, 600 crews (456 failed on average, repairs queue beyond 600 with ratio
    # ~114/150 per state): finite, normalised, a deep but non-zero tail, outage identity holds
    chain = BirthDeath(1_000_000, lam, mu, crews=600)
    assert chain.state_probabilities.sum() == pytest.approx(1.0, rel=1e-12)
    min_up = 1_000_000 - 1000
    u = chain.unavailability(min_up)
    assert 1e-70 < u < 1e-45
    product = chain.outage_frequency(min_up) * chain.mean_outage_duration(min_up)
    assert product == pytest.approx(u, rel=1e-9)
    assert math.isfinite(chain.mttf(min_up))


def test_vectorised_min_up_and_kinds():
    chain = BirthDeath(8, 0.05, 1.0, crews=2)
    single = [chain.mttf(m) for m in (8, 5, 1)]
    assert isinstance(single[0], float)
    together = chain.mttf([8, 5, 1])
    assert isinstance(together, np.ndarray)
    np.testing.assert_array_equal(together, single)
    np.testing.assert_array_equal(chain.mttf(np.array([8, 5, 1])), single)
    series = chain.unavailability(pd.Series([8, 5], index=["x", "y"]))
    assert isinstance(series, pd.Series) and list(series.index) == ["x", "y"]


# --------------------------------------------------------------------------- service metrics


def test_service_outage_metrics_matches_chain():
    # 5 nodes, 7 instances ([2, 2, 1, 1, 1]), need 4: worst case 3 survivors of the least
    # loaded hold 3 < 4, so m = 4 nodes must be up (by hand)
    out = service_outage_metrics(5, 7, 4, 8766.0, 4.0, repair_crews=2)
    chain = BirthDeath(5, 1 / 8766, 1 / 4, crews=2)
    assert out["service_mttf_h"] == pytest.approx(chain.mttf(4), rel=1e-15)
    assert out["outage_frequency_per_year"] == pytest.approx(
        chain.outage_frequency(4) * 8766, rel=1e-15
    )
    assert out["mean_outage_duration_min"] == pytest.approx(
        chain.mean_outage_duration(4) * 60, rel=1e-15
    )
    assert HOURS_PER_YEAR == 8766.0


def test_service_outage_metrics_equal_loads_agree_with_placement_model():
    # C = N×R and no crashes: "fewer than m nodes up" is exact, so with unlimited crews the
    # chain's U = frequency × duration equals the placement model's unavailability.
    nodes, replicas, k, mttf, mttr = 6, 3, 12, 1000.0, 10.0
    out = service_outage_metrics(nodes, nodes * replicas, k, mttf, mttr)
    u = out["outage_frequency_per_year"] / HOURS_PER_YEAR * out["mean_outage_duration_min"] / 60
    q = av.steady_state_unavailability(mttf, mttr)
    assert u == pytest.approx(av.service_unavailability(nodes, nodes * replicas, k, q), rel=1e-9)


def test_service_outage_metrics_vectorised():
    nodes = np.array([3, 5, 5, 5, 3])
    crews = [None, 2, np.nan, math.inf, 1]
    out = service_outage_metrics(nodes, [3, 7, 7, 7, 3], [2, 1, 1, 0, 2], 8766.0, 4.0, crews)
    assert set(out) == {"service_mttf_h", "outage_frequency_per_year", "mean_outage_duration_min"}
    for column in out.values():
        assert isinstance(column, np.ndarray) and column.shape == (5,)
    # None, NaN and inf all mean unlimited crews, which beat 2 crews when 5 nodes must fail
    assert out["service_mttf_h"][2] > out["service_mttf_h"][1]
    unlimited = service_outage_metrics(5, 7, 1, 8766.0, 4.0)
    assert out["service_mttf_h"][2] == pytest.approx(unlimited["service_mttf_h"], rel=1e-15)
    # min_instances 0: never down
    assert out["service_mttf_h"][3] == math.inf
    assert out["outage_frequency_per_year"][3] == 0.0
    assert math.isnan(out["mean_outage_duration_min"][3])
    # with 3 nodes and 3 instances, 1 crew: the two-of-three over nodes (independent check)
    chain = BirthDeath(3, 1 / 8766, 1 / 4, crews=1)
    assert out["service_mttf_h"][4] == pytest.approx(chain.mttf(2), rel=1e-15)
    series = service_outage_metrics(pd.Series([3, 4], index=[10, 20]), 4, 2, 8766.0, 4.0)
    assert list(series["service_mttf_h"].index) == [10, 20]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: BirthDeath(0, 0.1, 1.0), r"units=0 is out of range"),
        (lambda: BirthDeath(2.5, 0.1, 1.0), r"units=2.5"),
        (lambda: BirthDeath(3, -0.1, 1.0), r"failure_rate=-0.1"),
        (lambda: BirthDeath(3, 0.1, 0.0), r"repair_rate=0"),
        (lambda: BirthDeath(3, math.nan, 1.0), r"failure_rate=nan"),
        (lambda: BirthDeath(3, 0.1, 1.0, crews=0), r"crews=0"),
        (lambda: BirthDeath(3, 0.1, 1.0, crews=1.5), r"crews=1.5"),
        (lambda: BirthDeath([3, 4], 0.1, 1.0), r"units=.* single number"),
        (lambda: BirthDeath(3, 0.1, 1.0).mttf(4), r"min_up=4 is out of range"),
        (lambda: BirthDeath(3, 0.1, 1.0).unavailability(1.5), r"min_up=1.5"),
        (lambda: service_outage_metrics(3, 2, 3, 100.0, 1.0), r"min_instances=3"),
        (lambda: service_outage_metrics(3, 3, 2, -100.0, 1.0), r"node_mttf_h=-100"),
        (lambda: service_outage_metrics(3, 3, 2, 100.0, 1.0, 0), r"repair_crews=0"),
        (lambda: service_outage_metrics(3, 3, 2, 100.0, 1.0, "two"), r"repair_crews=.*two"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- service with crews


def down_given_up_instances(up, needed, q_instance):
    """P(fewer than ``needed`` of ``up`` instances survive their own failures), by hand."""
    return sum(
        math.comb(up, alive) * (1 - q_instance) ** alive * q_instance ** (up - alive)
        for alive in range(min(needed, up + 1))
    )


def stationary(states, transitions):
    """Stationary distribution of a CTMC given as {state: [(next state, rate), ...]}."""
    index = {state: i for i, state in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for state in states:
        for target, rate in transitions(state):
            q[index[state], index[target]] += rate
            q[index[state], index[state]] -= rate
    a = q.T.copy()
    a[-1, :] = 1.0  # replace one balance equation by Σπ = 1
    b = np.zeros(len(states))
    b[-1] = 1.0
    return dict(zip(states, np.linalg.solve(a, b), strict=True))


def fifo_chain(nodes, failure_rate, repair_rate, crews):
    """P(failed set) when crews repair nodes first-come-first-served; state = failure order."""
    states = [order for f in range(nodes + 1) for order in itertools.permutations(range(nodes), f)]

    def transitions(order):
        out = [(order + (node,), failure_rate) for node in range(nodes) if node not in order]
        for position in range(min(crews, len(order))):  # the first `crews` are in repair
            out.append((order[:position] + order[position + 1 :], repair_rate))
        return out

    failed = {}
    for order, p in stationary(states, transitions).items():
        failed[frozenset(order)] = failed.get(frozenset(order), 0.0) + p
    return failed


def random_order_chain(nodes, failure_rate, repair_rate, crews):
    """P(failed set) when a freed crew picks a waiting node at random.

    State = (failed set, set in repair)."""
    states = []
    for f in range(nodes + 1):
        for failed in itertools.combinations(range(nodes), f):
            for repairing in itertools.combinations(failed, min(f, crews)):
                states.append((frozenset(failed), frozenset(repairing)))

    def transitions(state):
        failed, repairing = state
        out = []
        for node in set(range(nodes)) - failed:
            busy = repairing | {node} if len(repairing) < crews else repairing
            out.append(((failed | {node}, busy), failure_rate))
        waiting = failed - repairing
        for node in repairing:
            if waiting:
                for picked in waiting:
                    next_state = (failed - {node}, (repairing - {node}) | {picked})
                    out.append((next_state, repair_rate / len(waiting)))
            else:
                out.append(((failed - {node}, repairing - {node}), repair_rate))
        return out

    failed = {}
    for (failed_set, _), p in stationary(states, transitions).items():
        failed[failed_set] = failed.get(failed_set, 0.0) + p
    return failed


def brute_force_service(failed_sets, nodes, instances, needed, q_instance, zones=1, q_zone=0.0):
    """U by enumerating every failed node set (from a subset CTMC) and every down zone set."""
    load = av.instances_per_node(nodes, instances)
    total = 0.0
    for down_zones in itertools.product([False, True], repeat=zones):
        p_zones = math.prod(q_zone if down else 1 - q_zone for down in down_zones)
        for failed, p in failed_sets.items():
            up = sum(
                int(load[node])
                for node in range(nodes)
                if node not in failed and not down_zones[node % zones]
            )
            total += p_zones * p * down_given_up_instances(up, needed, q_instance)
    return total


@pytest.mark.parametrize(
    ("chain", "nodes", "instances", "needed", "crews"),
    [
        (fifo_chain, 4, 7, 5, 1),  # loads [2, 2, 2, 1]
        (fifo_chain, 4, 7, 3, 2),
        (fifo_chain, 5, 7, 4, 2),  # loads [2, 2, 1, 1, 1]
        (random_order_chain, 6, 9, 6, 2),  # loads [2, 2, 2, 1, 1, 1]
        (random_order_chain, 6, 4, 2, 3),  # loads [1, 1, 1, 1, 0, 0]
    ],
)
def test_crew_service_against_subset_chain(chain, nodes, instances, needed, crews):
    # The subset CTMC knows which nodes are down and never assumes the failed set is uniform;
    # rates chosen so that the dense float solve is well conditioned: rtol 1e-12.
    lam, mu, q_instance = 0.3, 1.0, 0.05
    failed_sets = chain(nodes, lam, mu, crews)
    expected = brute_force_service(failed_sets, nodes, instances, needed, q_instance)
    u = crew_service_unavailability(nodes, instances, needed, 1 / lam, 1 / mu, crews, q_instance)
    assert u == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("nodes", "instances", "needed", "crews", "zones"),
    [
        (5, 7, 4, 1, 2),  # zone 0: nodes 0, 2, 4 (4 instances); zone 1: nodes 1, 3 (3)
        (5, 7, 2, 2, 2),
        (6, 8, 5, 2, 4),  # zones of 2, 2, 1, 1 nodes
        (4, 6, 3, 1, 5),  # more zones than nodes: the fifth is empty
    ],
)
def test_crew_service_with_zones_against_enumeration(nodes, instances, needed, crews, zones):
    # every zone up/down pattern × the subset CTMC (random-order crews): exact, rtol 1e-12
    lam, mu, q_instance, q_zone = 0.2, 1.0, 0.05, 0.1
    failed_sets = random_order_chain(nodes, lam, mu, crews)
    expected = brute_force_service(failed_sets, nodes, instances, needed, q_instance, zones, q_zone)
    u = crew_service_unavailability(
        nodes, instances, needed, 1 / lam, 1 / mu, crews, q_instance, zones, q_zone
    )
    assert u == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("lam", "mu"), [(0.01, 1.0), (1e-4, 0.25), (2.0, 3.0)])
def test_crew_service_two_units_one_crew_textbook(lam, mu):
    # 1-of-2 with one crew, the textbook two-unit repairable system (Trivedi, Probability and
    # Statistics with Reliability, Queuing, and Computer Science Applications, 2nd ed., 2016,
    # ch. 8): U = 2λ²/(μ²+2λμ+2λ²), rtol 1e-12
    u = crew_service_unavailability(2, 2, 1, 1 / lam, 1 / mu, repair_crews=1)
    assert u == pytest.approx(2 * lam**2 / (mu**2 + 2 * lam * mu + 2 * lam**2), rel=1e-12)


def mp_crew_service(nodes, instances, needed, ratio, crews, q_instance):
    """U = Σ_j π_j Σ_x H(x) g(jb + x) in 50-digit arithmetic (zones = 1)."""
    mpmath.mp.dps = 50
    ratio, q = mpmath.mpf(ratio), mpmath.mpf(q_instance)
    weights = [mpmath.mpf(1)]
    for j in range(nodes):
        weights.append(weights[-1] * (nodes - j) * ratio / min(j + 1, crews))
    norm = mpmath.fsum(weights)
    per_node, heavy = divmod(instances, nodes)
    total = mpmath.mpf(0)
    for j in range(nodes + 1):
        for x in range(max(0, j - (nodes - heavy)), min(j, heavy) + 1):
            h = mpmath.mpf(math.comb(heavy, x) * math.comb(nodes - heavy, j - x))
            h /= math.comb(nodes, j)
            up = instances - j * per_node - x
            g = mpmath.fsum(
                mpmath.binomial(up, alive) * (1 - q) ** alive * q ** (up - alive)
                for alive in range(min(needed, up + 1))
            )
            total += weights[j] / norm * h * g
    return total


@pytest.mark.parametrize(
    ("nodes", "instances", "needed", "ratio", "crews", "q_instance"),
    [
        (6, 9, 2, 5e-5, 2, 1e-7),  # ≈ 7e-21: five nodes down, or four and a crash
        (8, 13, 10, 1e-3, 1, 1e-4),  # ordinary magnitude, uneven loads
    ],
)
def test_crew_service_against_mpmath(nodes, instances, needed, ratio, crews, q_instance):
    expected = mp_crew_service(nodes, instances, needed, ratio, crews, q_instance)
    u = crew_service_unavailability(nodes, instances, needed, 1.0 / ratio, 1.0, crews, q_instance)
    assert u == pytest.approx(float(expected), rel=1e-9)
    if ratio == 5e-5:
        assert 1e-21 < u < 1e-19


@st.composite
def placements(draw):
    nodes = draw(st.integers(1, 10))
    instances = draw(st.integers(1, 30))
    needed = draw(st.integers(0, instances))
    zones = draw(st.integers(1, 4))
    q_instance = draw(st.one_of(st.just(0.0), st.floats(1e-6, 0.5)))
    q_zone = draw(st.one_of(st.just(0.0), st.floats(1e-6, 0.5)))
    return nodes, instances, needed, zones, q_instance, q_zone


@given(placements(), rates, rates, st.sampled_from([None, math.nan, math.inf, "nodes"]))
@SETTINGS
def test_crew_service_unlimited_is_the_placement_model(case, lam, mu, unlimited):
    # independent nodes (binomial) summed by availability's convolutions: rtol 1e-12
    nodes, instances, needed, zones, q_instance, q_zone = case
    crews = nodes if unlimited == "nodes" else unlimited
    u = crew_service_unavailability(
        nodes, instances, needed, 1 / lam, 1 / mu, crews, q_instance, zones, q_zone
    )
    q = av.steady_state_unavailability(1 / lam, 1 / mu)
    expected = av.service_unavailability(nodes, instances, needed, q, q_instance, zones, q_zone)
    assert u == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(placements(), rates, rates)
@SETTINGS
def test_crew_service_fewer_crews_never_help(case, lam, mu):
    nodes, instances, needed, zones, q_instance, q_zone = case
    crews = [*range(1, nodes), None]
    u = crew_service_unavailability(
        nodes, instances, needed, 1 / lam, 1 / mu, crews, q_instance, zones, q_zone
    )
    assert np.all((u >= 0) & (u <= 1))
    assert np.all(u[:-1] >= u[1:] * (1 - 1e-12))


def test_crew_service_equal_loads_is_the_chain_tail():
    # C = N×R, no crashes, no zones: down exactly when fewer than m nodes are up, so U is
    # BirthDeath's tail (an independent code path: state probabilities vs. the mode sums)
    nodes, replicas, needed = 12, 3, 25  # m = ⌈25/3⌉ = 9 nodes
    for crews in (1, 3, None):
        chain = BirthDeath(nodes, 1 / 500.0, 1 / 6.0, crews)
        u = crew_service_unavailability(nodes, nodes * replicas, needed, 500.0, 6.0, crews)
        assert u == pytest.approx(chain.unavailability(9), rel=1e-12)


def test_crew_service_limits():
    # never-failing nodes: only crashes, k of C (binomial); zones without failures do nothing
    u = crew_service_unavailability(5, 10, 8, math.inf, 4.0, 1, 0.01)
    assert u == pytest.approx(av.k_of_n_unavailability(8, 10, 0.01), rel=1e-12)
    assert crew_service_unavailability(5, 10, 8, 100.0, 0.0, 1, 0.01) == pytest.approx(u, 1e-15)
    one_zone = crew_service_unavailability(5, 10, 8, 100.0, 4.0, 2, 0.01)
    assert crew_service_unavailability(5, 10, 8, 100.0, 4.0, 2, 0.01, 3, 0.0) == one_zone
    assert crew_service_unavailability(5, 10, 0, 100.0, 4.0, 1, 0.5, 2, 0.5) == 0.0
    # one zone holding every node: U = q_z + (1 − q_z)·U_nodes
    with_zone = crew_service_unavailability(5, 10, 8, 100.0, 4.0, 2, 0.01, 1, 0.02)
    assert with_zone == pytest.approx(0.02 + 0.98 * one_zone, rel=1e-12)


def test_crew_service_large_cluster():
    # 1000 nodes in 3 rarely failing zones, unlimited crews against the placement model,
    # rtol 1e-12: a deep tail (≈4e-24) where the crash binomial has ~2400 trials (cephes'
    # bdtrc is off by ~1e-12 there). Ten crews: 1 failure/h against 2.5 repairs/h, so
    # repairs queue and the same service is billions of times worse.
    args = (1000, 2500, 2400, 1000.0, 4.0)
    q = av.steady_state_unavailability(1000.0, 4.0)
    expected = av.service_unavailability(1000, 2500, 2400, q, 1e-3, 3, 1e-25)
    assert 1e-24 < expected < 1e-23
    assert crew_service_unavailability(*args, None, 1e-3, 3, 1e-25) == pytest.approx(
        expected, rel=1e-12
    )
    assert crew_service_unavailability(*args, 10, 1e-3, 3, 1e-25) > 1e9 * expected


def test_crew_service_vectorised_and_kinds():
    single = crew_service_unavailability(5, 7, 4, 800.0, 4.0, 1, 0.01, 2, 0.001)
    assert isinstance(single, float)
    crews = [None, 1, math.nan, math.inf, 2]
    together = crew_service_unavailability([5, 5, 5, 4, 6], 7, [4, 4, 4, 3, 6], 800.0, 4.0, crews)
    assert isinstance(together, np.ndarray) and together.shape == (5,)
    assert together[1] == pytest.approx(crew_service_unavailability(5, 7, 4, 800.0, 4.0, 1), 1e-15)
    assert together[0] == together[2]  # None and NaN both mean unlimited
    assert together[4] == pytest.approx(crew_service_unavailability(6, 7, 6, 800.0, 4.0, 2), 1e-15)
    array = crew_service_unavailability(np.array([5, 6]), 7, 4, 800.0, 4.0, 1)
    assert isinstance(array, np.ndarray)
    series = crew_service_unavailability(
        pd.Series([5, 6], index=["a", "b"]), 7, 4, 800.0, 4.0, 1, 0.01
    )
    assert isinstance(series, pd.Series) and list(series.index) == ["a", "b"]
    assert series["b"] == pytest.approx(crew_service_unavailability(6, 7, 4, 800.0, 4.0, 1, 0.01))


def test_crew_service_budget_gives_an_upper_bound(monkeypatch):
    args = (30, 30, 20, 50.0, 1.0, 2, 0.01, 30, 0.05)
    exact = crew_service_unavailability(*args)
    monkeypatch.setattr(markov.crews, "_ZONE_WORK_BUDGET", 100)
    with pytest.warns(UserWarning, match="upper bounds"):
        bounded = crew_service_unavailability(*args)
    assert exact < bounded <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(nodes=0), r"nodes=0 is out of range"),
        (dict(instances=2.5), r"instances=2.5"),
        (dict(min_instances=8), r"min_instances=8 is out of range: must be <= instances=7"),
        (dict(node_mttf_h=0.0), r"node_mttf_h=0"),
        (dict(node_mttr_h=-1.0), r"node_mttr_h=-1"),
        (dict(repair_crews=0), r"repair_crews=0"),
        (dict(instance_unavailability=1.5), r"instance_unavailability=1.5"),
        (dict(zones=0), r"zones=0"),
        (dict(zone_unavailability=-0.1), r"zone_unavailability=-0.1"),
    ],
)
def test_crew_service_bad_input(kwargs, message):
    args = dict(nodes=5, instances=7, min_instances=4, node_mttf_h=100.0, node_mttr_h=1.0)
    with pytest.raises(ValueError, match=message):
        crew_service_unavailability(**{**args, **kwargs})
