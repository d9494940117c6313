"""Balancing strategies: hand-derived values, a seeded dispatch simulator for every strategy,
overload, input kinds, errors and ordering invariants."""

import heapq

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from haplan import balancing, queueing

# --------------------------------------------------------------------------- simulator


def _simulate(strategy, lam, mu, c, jobs, seed, weights=None):
    """Response times of ``jobs`` Poisson arrivals dispatched to c FCFS exponential instances.

    Instance i serves at c·μ·w_i/Σw (all μ without weights). round_robin, random and weighted
    are simulated per instance with the vectorised Lindley recursion
    D_k = S_k + max_{j≤k}(A_j − S_{j−1}); least_connections and power_of_two need the queue
    lengths at each arrival, kept with a heap of departure times.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, jobs))
    work = rng.exponential(1.0, jobs)
    share = np.ones(c) / c if weights is None else np.asarray(weights, float) / np.sum(weights)
    rates = c * mu * share
    response = np.empty(jobs)
    if strategy in ("round_robin", "random", "weighted"):
        target = np.arange(jobs) % c if strategy == "round_robin" else rng.choice(c, jobs, p=share)
        for i in range(c):
            rows = np.flatnonzero(target == i)
            service = work[rows] / rates[i]
            done = np.cumsum(service)
            before = np.concatenate(([0.0], done[:-1]))
            departures = done + np.maximum.accumulate(arrivals[rows] - before)
            response[rows] = departures - arrivals[rows]
        return response
    length = [0] * c
    free_at = [0.0] * c
    departures = []
    first = rng.integers(0, c, jobs)
    second = rng.integers(0, c - 1, jobs)
    second += second >= first  # two distinct instances
    for k in range(jobs):
        now = arrivals[k]
        while departures and departures[0][0] <= now:
            length[heapq.heappop(departures)[1]] -= 1
        if strategy == "least_connections":
            i = min(range(c), key=length.__getitem__)
        else:
            i, j = first[k], second[k]
            i = i if length[i] <= length[j] else j
        start = max(now, free_at[i])
        free_at[i] = start + work[k] / rates[i]
        length[i] += 1
        heapq.heappush(departures, (free_at[i], i))
        response[k] = free_at[i] - now
    return response


def _batch_mean(values, batches=20):
    """Mean and batch-means standard error (successive requests are correlated)."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return values.mean(), means.std(ddof=1) / np.sqrt(batches)


# (strategy, c, ρ, weights, requests, allowed model error of the mean, allowed error of
# P(T ≤ t_q)). Exact models get no allowance, only 4 batch-means standard errors (a false
# alarm has probability ~1e-3). least_connections: Nelson & Philips' approximation, measured
# +2.9 % at c = 4, ρ = 0.7 in a long run; power_of_two: mean-field limit, measured 1.6 % low at
# c = 50, ρ = 0.8 (finite-c bias); their quantiles are within 0.015 of q (median) in long runs.
SIMULATED = [
    ("random", 4, 0.8, None, 600_000, 0.0, 0.0),
    ("round_robin", 3, 0.8, None, 600_000, 0.0, 0.0),
    ("weighted", 3, 0.8, [1.0, 2.0, 5.0], 600_000, 0.0, 0.0),
    ("least_connections", 4, 0.7, None, 250_000, 0.04, 0.02),
    ("power_of_two", 50, 0.8, None, 250_000, 0.03, 0.02),
]


@pytest.mark.parametrize(
    ("strategy", "c", "rho", "weights", "requests", "mean_tol", "cdf_tol"), SIMULATED
)
def test_against_simulation(strategy, c, rho, weights, requests, mean_tol, cdf_tol):
    mu = 2.0
    lam = rho * c * mu
    response = _simulate(strategy, lam, mu, c, requests, seed=2024, weights=weights)
    response = response[requests // 10 :]  # drop the warm-up from an empty system
    mean, se = _batch_mean(response)
    theory = balancing.mean_response_time(strategy, lam, mu, c, weights=weights)
    assert abs(mean - theory) <= mean_tol * theory + 4 * se
    for q in (0.5, 0.9, 0.99):
        t_q = balancing.response_time_quantile(strategy, q, lam, mu, c, weights=weights)
        share, se = _batch_mean((response <= t_q).astype(float))
        assert abs(share - q) <= cdf_tol + 4 * se


def test_simulation_tells_strategies_apart():
    # the check above can fail: JSQ's simulated mean is far from random balancing's formula
    lam, mu, c = 5.6, 2.0, 4
    response = _simulate("least_connections", lam, mu, c, 50_000, seed=1)[5_000:]
    assert response.mean() < 0.6 * balancing.mean_response_time("random", lam, mu, c)


# --------------------------------------------------------------------------- hand-derived values


def test_random_is_mm1_per_instance():
    # Poisson splitting: each instance is M/M/1 with λ/c; E[T] = 1/(μ − λ/c), T ~ Exp(μ − λ/c)
    assert balancing.mean_response_time("random", 6.0, 2.0, 4) == pytest.approx(2.0)
    assert balancing.wait_probability("random", 6.0, 2.0, 4) == pytest.approx(0.75)
    assert balancing.response_time_quantile("random", 0.99, 6.0, 2.0, 4) == pytest.approx(
        2.0 * np.log(100)
    )


def test_round_robin_two_instances_golden_ratio():
    # E_2/M/1 with λ = μ = 1: σ = (1/(2 − σ))², i.e. (σ − 1)(σ² − 3σ + 1) = 0, so
    # σ = (3 − √5)/2 and E[T] = 1/(1 − σ) = (1 + √5)/2, the golden ratio.
    golden = (1 + np.sqrt(5)) / 2
    assert balancing.wait_probability("round_robin", 1.0, 1.0, 2) == pytest.approx(
        (3 - np.sqrt(5)) / 2, rel=1e-12
    )
    assert balancing.mean_response_time("round_robin", 1.0, 1.0, 2) == pytest.approx(
        golden, rel=1e-12
    )
    assert balancing.response_time_quantile("round_robin", 0.9, 1.0, 1.0, 2) == pytest.approx(
        golden * np.log(10), rel=1e-12
    )


def test_round_robin_sigma_solves_its_equation():
    rng = np.random.default_rng(3)
    c = rng.integers(1, 500, 300).astype(float)
    rho = np.concatenate([rng.uniform(0.001, 0.999, 299), [1 - 1e-9]])
    mu = rng.uniform(0.1, 10, 300)
    lam = rho * c * mu
    sigma = balancing.wait_probability("round_robin", lam, mu, c)
    residual = sigma - (lam / (lam + mu * (1 - sigma))) ** c
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)
    assert np.all((sigma > 0) & (sigma < 1))
    assert np.all(sigma <= rho * (1 + 1e-12))  # regular arrivals wait less than Poisson ones


def test_one_instance_is_mm1_for_every_strategy():
    for strategy in balancing.STRATEGIES:
        assert balancing.mean_response_time(strategy, 0.75, 1.0, 1) == pytest.approx(4.0)
        assert balancing.wait_probability(strategy, 0.75, 1.0, 1) == pytest.approx(0.75)
        t = balancing.response_time_quantile(strategy, 0.99, 0.75, 1.0, 1)
        assert t == pytest.approx(4.0 * np.log(100), rel=1e-10)


def test_least_connections_two_instances_formula():
    # Nelson & Philips with c = 2: E[T] = 1/μ + C/(μ(1 − ρ²)), C = 2ρ²/(1 + ρ) (Erlang C, c = 2)
    rho, mu = 0.6, 3.0
    expected = 1 / mu + (2 * rho**2 / (1 + rho)) / (mu * (1 - rho**2))
    result = balancing.mean_response_time("least_connections", 2 * rho * mu, mu, 2)
    assert result == pytest.approx(expected, rel=1e-13)


def test_power_of_two_mean_field_sum():
    # Mitzenmacher (2001): E[T]·μ = Σ_{i≥1} ρ^{2^i − 2}, summed here term by term
    rho, mu, c = 0.9, 1.0, 1000
    expected = sum(rho ** (2**i - 2) for i in range(1, 40))
    result = balancing.mean_response_time("power_of_two", rho * c * mu, mu, c)
    assert result == pytest.approx(expected, rel=1e-13)
    assert balancing.wait_probability("power_of_two", rho * c * mu, mu, c) == pytest.approx(0.81)


def test_power_of_two_quantile_mixture():
    # mean-field: joins a queue of k with probability ρ^{2^{k+1}−2}(1 − ρ^{2^{k+1}}), then
    # Erlang(k + 1, μ); check P(T > t_q) = 1 − q with an independent sum of Erlang tails.
    from scipy import stats

    rho, mu, c = 0.85, 2.0, 500
    for q in (0.5, 0.99):
        t = balancing.response_time_quantile("power_of_two", q, rho * c * mu, mu, c)
        k = np.arange(60)
        p = rho ** (2.0 ** (k + 1) - 2) * (1 - rho ** (2.0 ** (k + 1)))
        tail = np.sum(p * stats.gamma.sf(t, k + 1, scale=1 / mu))
        assert tail == pytest.approx(1 - q, rel=1e-9)


def test_weighted_mean_and_tail():
    # λ_i = λ w_i/Σw, μ_i = cμ w_i/Σw: every instance at ρ, M/M/1; mean c/(cμ − λ) whatever
    # the weights, tail P(T > t) = Σ p_i exp(−p_i (cμ − λ) t), p = w/Σw.
    lam, mu, c, w = 3.0, 1.5, 3, np.array([1.0, 2.0, 5.0])
    assert balancing.mean_response_time("weighted", lam, mu, c, weights=w) == pytest.approx(
        c / (c * mu - lam)
    )
    assert balancing.mean_response_time("weighted", lam, mu, c) == pytest.approx(
        balancing.mean_response_time("random", lam, mu, c)
    )
    p = w / w.sum()
    for q in (0.1, 0.9, 0.999):
        t = balancing.response_time_quantile("weighted", q, lam, mu, c, weights=w)
        assert np.sum(p * np.exp(-p * (c * mu - lam) * t)) == pytest.approx(1 - q, rel=1e-11)
    # heterogeneity fattens the tail relative to identical instances
    equal = balancing.response_time_quantile("weighted", 0.99, lam, mu, c)
    assert balancing.response_time_quantile("weighted", 0.99, lam, mu, c, weights=w) > equal


def test_weighted_rows_of_different_length():
    weights = np.array([[1.0, 1.0, 0.0], [1.0, 2.0, 3.0]])  # zero pads the 2-instance row
    result = balancing.response_time_quantile(
        "weighted", 0.9, [1.0, 2.0], 1.0, [2, 3], weights=weights
    )
    assert result[0] == pytest.approx(balancing.response_time_quantile("random", 0.9, 1, 1, 2))
    single = balancing.response_time_quantile("weighted", 0.9, 2.0, 1.0, 3, weights=[1, 2, 3])
    assert result[1] == pytest.approx(single)


# --------------------------------------------------------------------------- overload


@pytest.mark.parametrize("strategy", balancing.STRATEGIES)
def test_overload_is_inf_per_element(strategy):
    lam = np.array([1.0, 3.9, 4.0, 9.0])  # c·μ = 4
    mean = balancing.mean_response_time(strategy, lam, 1.0, 4)
    tail = balancing.response_time_quantile(strategy, 0.99, lam, 1.0, 4)
    assert np.all(np.isfinite(mean[:2])) and np.all(np.isinf(mean[2:]))
    assert np.all(np.isfinite(tail[:2])) and np.all(np.isinf(tail[2:]))
    np.testing.assert_array_equal(balancing.wait_probability(strategy, lam, 1.0, 4)[2:], 1.0)


# --------------------------------------------------------------------------- kinds and errors


def test_input_kinds():
    assert isinstance(balancing.mean_response_time("round_robin", 1.0, 1.0, 3), float)
    assert isinstance(balancing.mean_response_time("random", [1.0, 2.0], 1.0, 3), np.ndarray)
    rates = pd.Series([1.0, 2.0], index=["x", "y"])
    result = balancing.response_time_quantile("least_connections", 0.99, rates, 1.0, 3)
    assert isinstance(result, pd.Series)
    assert list(result.index) == ["x", "y"]
    grid = balancing.response_time_quantile(
        "power_of_two", np.array([[0.5], [0.9]]), np.array([1.0, 5.0, 9.0]), 1.0, 10
    )
    assert grid.shape == (2, 3)
    assert np.all(grid[1] > grid[0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: balancing.mean_response_time("fastest", 1, 1, 2), r"strategy='fastest' is not"),
        (
            lambda: balancing.mean_response_time("random", 1, 1, 2, weights=[1, 2]),
            r"weights is only used by strategy='weighted'",
        ),
        (
            lambda: balancing.mean_response_time("weighted", 1, 1, 3, weights=[1, 2]),
            r"servers=3 does not match weights: 2 positive weights",
        ),
        (
            lambda: balancing.mean_response_time("weighted", 1, 1, 2, weights=[1, -2]),
            r"weights=-2 is out of range",
        ),
        (lambda: balancing.mean_response_time("random", 1, 1, 0), r"servers=0 is out of range"),
        (
            lambda: balancing.response_time_quantile("random", 1.5, 1, 1, 2),
            r"q=1\.5 is out of range",
        ),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None)
@given(
    c=st.integers(min_value=1, max_value=200),
    rho=st.floats(min_value=0.0, max_value=0.995),
    mu=st.floats(min_value=0.01, max_value=100.0),
)
def test_ordering_of_strategies(c, rho, mu):
    lam = rho * c * mu
    means = {s: balancing.mean_response_time(s, lam, mu, c) for s in balancing.STRATEGIES}
    central = queueing.mmc_mean_response(lam, mu, c)
    slack = 1 + 1e-9
    assert 1 / mu <= central * slack
    assert central <= means["least_connections"] * slack  # no dispatcher beats a shared queue
    assert means["least_connections"] <= means["power_of_two"] * slack
    assert means["power_of_two"] <= means["random"] * slack
    assert means["round_robin"] <= means["random"] * slack
    assert means["weighted"] == pytest.approx(means["random"])


@settings(max_examples=40, deadline=None)
@given(
    strategy=st.sampled_from(balancing.STRATEGIES),
    c=st.integers(min_value=1, max_value=100),
    rho=st.floats(min_value=0.0, max_value=0.99),
    q1=st.floats(min_value=0.0, max_value=0.9999),
    q2=st.floats(min_value=0.0, max_value=0.9999),
)
def test_quantile_monotone_in_q(strategy, c, rho, q1, q2):
    lo, hi = sorted((q1, q2))
    t = balancing.response_time_quantile(strategy, [lo, hi], rho * c, 1.0, c)
    assert 0.0 <= t[0] <= t[1] * (1 + 1e-12)
    assert t[1] >= -np.log1p(-hi) * (1 - 1e-12)  # at least one service time, μ = 1
