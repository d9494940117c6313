"""Maximum-likelihood fits of one lifetime family to censored durations.

Three families, each with exact, right-censored and left-censored observations:

- ``exponential`` (mean θ): the closed-form MLE θ = total time / events, and, when no
  observation is left-censored, the exact χ² interval for time-censored data,
  ``[2T / χ²(1 − α/2; 2r + 2), 2T / χ²(α/2; 2r)]`` (Meeker & Escobar, *Statistical Methods
  for Reliability Data*, Wiley 1998, ch. 7; NIST/SEMATECH e-Handbook of Statistical Methods,
  ch. 8 "Assessing product reliability", exponential MTBF confidence bounds);
- ``weibull`` (shape k, scale λ): MLE of the censored log-likelihood with scipy.optimize
  (BFGS on log k, log λ, analytic gradient); mean λ·Γ(1 + 1/k);
- ``lognormal`` (μ, σ of log duration): MLE likewise on (μ, log σ); mean exp(μ + σ²/2).

Intervals of the mean (and of the Weibull shape) of the two-parameter families use the
observed-information delta method on the log scale: the inverse Hessian of the negative
log-likelihood at the MLE (central differences of the analytic gradient) gives the covariance
of the unconstrained parameters, and ``exp(log m ± z·se(log m))`` is the interval (Meeker &
Escobar 1998, ch. 8; the log scale keeps the bounds positive and is the scale of the
``lognormal(median, sigma)`` uncertainty strings).

Log-likelihoods are those of the durations themselves (densities in hours, with the Jacobian
of the log for the log-normal), so AIC = 2p − 2ℓ compares the families directly.

Censoring codes: ``EXACT`` (the duration ended with the event), ``RIGHT`` (still running at
the end of observation: the duration is a lower bound), ``LEFT`` (the event happened but the
recorded duration is zero: the true duration is below the recording resolution, the value
given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

EXACT, RIGHT, LEFT = 0, 1, 2
FAMILIES = ("exponential", "weibull", "lognormal")
FAMILY_LABELS = {"exponential": "exponential", "weibull": "Weibull", "lognormal": "log-normal"}
_MAX_EXPONENT = 700.0  # keeps exp() finite while the optimiser explores


@dataclass(frozen=True)
class FamilyFit:
    """One family fitted to one set of durations.

    Attributes
    ----------
    family : str
        ``"exponential"``, ``"weibull"`` or ``"lognormal"``.
    parameters : dict of str to float
        ``{"mean_h"}``, ``{"shape", "scale_h"}`` or ``{"mu", "sigma"}`` (μ, σ of the natural
        log of the duration in hours).
    mean_h, mean_low_h, mean_high_h : float
        Mean duration [h] and its two-sided interval at ``confidence``.
    log_se : float
        Standard error of log(mean) (dimensionless): σ of the log-normal approximation of the
        estimator's sampling distribution.
    interval_method : str
        ``"chi-square exact (time-censored)"`` or ``"delta method, log scale"``.
    loglik : float
        Maximised log-likelihood (durations in hours).
    n_params : int
        Number of fitted parameters.
    aic : float
        Akaike information criterion 2p − 2ℓ.
    shape_low, shape_high : float
        Interval of the Weibull shape (delta method on log k); NaN for other families.
    robust_log_se : float
        Exponential only: the sandwich (Huber–White) standard error of log(mean), valid
        whatever the true distribution of independent durations (clustered by ``groups``
        when given); NaN for other families.
    n_events, n_censored : int
        Observations that ended with the event (exact or left-censored) and right-censored ones.
    total_h : float
        Sum of all durations [h] (the exposure, for lifetimes).
    confidence : float
        Two-sided confidence level of the intervals.
    """

    family: str
    parameters: dict[str, float]
    mean_h: float
    mean_low_h: float
    mean_high_h: float
    log_se: float
    interval_method: str
    loglik: float
    n_params: int
    aic: float
    n_events: int
    n_censored: int
    total_h: float
    confidence: float
    shape_low: float = math.nan
    shape_high: float = math.nan
    robust_log_se: float = math.nan
    covariance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def describe(self) -> str:
        """Return the parameters as a short text, e.g. ``"shape=0.71, scale=812 h"``."""
        p = self.parameters
        if self.family == "exponential":
            return f"mean={p['mean_h']:.4g} h"
        if self.family == "weibull":
            return f"shape={p['shape']:.4g}, scale={p['scale_h']:.4g} h"
        return f"mu={p['mu']:.4g}, sigma={p['sigma']:.4g} (log h)"


def exponential_mean_interval(
    total_h: float, failures: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Exact two-sided interval of an exponential mean from time-censored data.

    Parameters
    ----------
    total_h : float
        Total time on test, failed and censored units together [h]; > 0.
    failures : int
        Number of failures r; >= 0.
    confidence : float
        Two-sided confidence level, in (0, 1).

    Returns
    -------
    (low_h, high_h) : tuple of float
        ``2T / χ²(1 − α/2; 2r + 2)`` and ``2T / χ²(α/2; 2r)`` [h]; the upper bound is
        infinite when r = 0.

    Notes
    -----
    The bounds for a test stopped at a fixed time (time-censored, "Type I"): the lower bound
    uses 2r + 2 degrees of freedom, the upper 2r. Sources: Meeker & Escobar (1998), ch. 7;
    NIST/SEMATECH e-Handbook of Statistical Methods, ch. 8.
    """
    _check_confidence(confidence)
    if not (math.isfinite(total_h) and total_h > 0):
        raise ValueError(f"total_h={total_h!r} must be a finite number > 0 [h]")
    if int(failures) != failures or failures < 0:
        raise ValueError(f"failures={failures!r} must be a whole number >= 0")
    alpha = 1.0 - confidence
    low = 2.0 * total_h / stats.chi2.ppf(1.0 - alpha / 2.0, 2 * failures + 2)
    high = math.inf if failures == 0 else 2.0 * total_h / stats.chi2.ppf(alpha / 2.0, 2 * failures)
    return float(low), float(high)


def fit_durations(
    durations_h,
    kinds=None,
    *,
    family: str,
    confidence: float = 0.95,
    groups=None,
) -> FamilyFit:
    """Fit one family by maximum likelihood to censored durations.

    Parameters
    ----------
    durations_h : array_like of float
        Durations [h], > 0 (for a left-censored observation: the resolution it is below).
    kinds : array_like of int, optional
        Per duration ``EXACT`` (0), ``RIGHT`` (1, right-censored) or ``LEFT`` (2,
        left-censored); all exact when omitted.
    family : {"exponential", "weibull", "lognormal"}
        The family to fit.
    confidence : float
        Two-sided confidence level of the intervals, in (0, 1).
    groups : array_like, optional
        Exponential only: a label per duration (the unit) to cluster the sandwich standard
        error by; used when there are at least 10 groups, else per duration.

    Returns
    -------
    FamilyFit

    Raises
    ------
    ValueError
        On a bad family, confidence, duration or code, with no event at all, or (Weibull,
        log-normal) with fewer than two distinct event durations.
    """
    if family not in FAMILIES:
        raise ValueError(f"family={family!r} must be one of {', '.join(FAMILIES)}")
    _check_confidence(confidence)
    t = np.asarray(durations_h, dtype=float).ravel()
    k = np.zeros(t.shape, dtype=int) if kinds is None else np.asarray(kinds, dtype=int).ravel()
    if k.shape != t.shape:
        raise ValueError(f"kinds has {k.size} entries but durations_h has {t.size}")
    bad = ~(np.isfinite(t) & (t > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"durations_h[{i}]={float(t[i])!r} must be a finite number > 0 [h]")
    if not np.isin(k, (EXACT, RIGHT, LEFT)).all():
        i = int(np.flatnonzero(~np.isin(k, (EXACT, RIGHT, LEFT)))[0])
        raise ValueError(f"kinds[{i}]={k[i]!r} must be 0 (exact), 1 (right) or 2 (left)")
    n_events = int(np.count_nonzero(k != RIGHT))
    if n_events == 0:
        raise ValueError(
            f"no events among {t.size} durations (all right-censored): the mean cannot be "
            "estimated, only bounded below"
        )
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    common = dict(
        n_events=n_events,
        n_censored=int(np.count_nonzero(k == RIGHT)),
        total_h=float(t.sum()),
        confidence=confidence,
    )
    if family == "exponential":
        if groups is not None and len(groups) != t.size:
            raise ValueError(f"groups has {len(groups)} entries but durations_h has {t.size}")
        return _fit_exponential(t, k, z, common, groups)
    exact_like = np.unique(t[k != RIGHT])
    if exact_like.size < 2:
        raise ValueError(
            f"a {family} fit needs at least two distinct event durations; got {exact_like.size}"
        )
    nll, grad, start, to_params, log_mean = _MODELS[family](t, k)
    x = _minimise(nll, grad, start)
    cov = _inverse_hessian(grad, x)
    value, dlog = log_mean(x)
    log_se = float(math.sqrt(max(dlog @ cov @ dlog, 0.0)))
    mean = math.exp(value)
    fit = dict(
        family=family,
        parameters=to_params(x),
        mean_h=mean,
        mean_low_h=mean * math.exp(-z * log_se),
        mean_high_h=mean * math.exp(z * log_se),
        log_se=log_se,
        interval_method="delta method, log scale",
        loglik=float(-nll(x)),
        n_params=2,
        aic=float(2 * 2 + 2 * nll(x)),
        covariance=cov,
        **common,
    )
    if family == "weibull":
        se = math.sqrt(max(cov[0, 0], 0.0))
        fit["shape_low"] = math.exp(x[0] - z * se)
        fit["shape_high"] = math.exp(x[0] + z * se)
    return FamilyFit(**fit)


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence={confidence!r} must be a number > 0 and < 1")


def _fit_exponential(t: np.ndarray, k: np.ndarray, z: float, common: dict, groups) -> FamilyFit:
    left = k == LEFT
    r = int(np.count_nonzero(k == EXACT))
    total = float(t[~left].sum())
    if not left.any():
        theta = total / r
        loglik = -r * (math.log(theta) + 1.0)
        low, high = exponential_mean_interval(float(t.sum()), r, common["confidence"])
        log_se = 1.0 / math.sqrt(r)
        method = "chi-square exact (time-censored)"
    else:
        # Left-censored events contribute log(1 − exp(−c/θ)); maximise over log θ.
        def nll(a: float) -> float:
            a = float(np.clip(a, -_MAX_EXPONENT, _MAX_EXPONENT))
            theta = math.exp(a)
            return r * a + total / theta - float(np.log(-np.expm1(-t[left] / theta)).sum())

        guess = math.log((total + 0.5 * t[left].sum()) / (r + left.sum()))
        res = optimize.minimize_scalar(nll, bracket=(guess - 1.0, guess + 1.0))
        a = float(res.x)
        h = 1e-4
        curvature = (nll(a + h) - 2 * nll(a) + nll(a - h)) / h**2
        theta = math.exp(a)
        loglik = -nll(a)
        log_se = 1.0 / math.sqrt(curvature)
        low, high = theta * math.exp(-z * log_se), theta * math.exp(z * log_se)
        method = "delta method, log scale"
    robust = _robust_log_se(t, k, theta, groups)
    return FamilyFit(
        family="exponential",
        parameters={"mean_h": theta},
        mean_h=theta,
        mean_low_h=low,
        mean_high_h=high,
        log_se=log_se,
        interval_method=method,
        loglik=float(loglik),
        n_params=1,
        aic=float(2 - 2 * loglik),
        covariance=np.array([[log_se**2]]),
        robust_log_se=robust,
        **common,
    )


def _robust_log_se(t: np.ndarray, k: np.ndarray, theta: float, groups) -> float:
    """Sandwich standard error of log θ for the exponential MLE.

    Scores per duration with respect to log θ: exact ``t/θ − 1``, right-censored ``t/θ``,
    left-censored ``−(c/θ)/expm1(c/θ)``; variance ``Σ U² / I²`` with I the observed
    information, the scores summed per group first (cluster-robust, with the G/(G − 1)
    small-sample factor) when ``groups`` has at least 10 distinct labels. For recurrent
    failures of several units this is the robust rate variance of J. F. Lawless & C. Nadeau,
    "Some simple robust methods for the analysis of recurrent events", Technometrics 37
    (1995) 158-168.
    """
    x = t / theta
    score = np.where(k == EXACT, x - 1.0, x)
    left = k == LEFT
    if left.any():
        score[left] = -x[left] / np.expm1(x[left])
    # Observed information for log θ: Σ_exact+right t/θ plus the left-censored terms.
    info = float(x[~left].sum())
    if left.any():
        xl = x[left]
        # d/dlogθ of −xl/expm1(xl) is xl/expm1(xl) − xl² e^{xl}/expm1(xl)²; info = −Σ of it.
        info -= float((xl / np.expm1(xl) - xl**2 * np.exp(xl) / np.expm1(xl) ** 2).sum())
    factor = 1.0
    if groups is not None:
        codes = pd.factorize(np.asarray(groups, dtype=object))[0]
        n_groups = int(codes.max()) + 1 if codes.size else 0
        if n_groups >= 10:
            score = np.bincount(codes, weights=score, minlength=n_groups)
            factor = n_groups / (n_groups - 1.0)
    return float(math.sqrt(factor * float((score**2).sum())) / info)


def _weibull(t: np.ndarray, k: np.ndarray):
    """Negative log-likelihood and gradient in x = (log shape, log scale)."""
    log_t = np.log(t)
    ex, ri, le = k == EXACT, k == RIGHT, k == LEFT
    sum_log_exact = float(log_t[ex].sum())
    n_exact = int(ex.sum())

    def parts(x):
        shape = math.exp(x[0])
        u = log_t - x[1]
        z = np.exp(np.clip(shape * u, -_MAX_EXPONENT, _MAX_EXPONENT))
        return shape, u, z

    def nll(x):
        shape, u, z = parts(x)
        ll = n_exact * x[0] - sum_log_exact + shape * float(u[ex].sum()) - float(z[~le].sum())
        ll += float(np.log(-np.expm1(-z[le])).sum())
        return -ll

    def grad(x):
        shape, u, z = parts(x)
        ku = shape * u
        da = n_exact + float(ku[ex].sum()) - float((z * ku)[~le].sum())
        db = -shape * n_exact + shape * float(z[~le].sum())
        if le.any():
            w = z[le] / np.expm1(z[le])
            da += float((ku[le] * w).sum())
            db -= shape * float(w.sum())
        return -np.array([da, db])

    # Start: Menon's moment estimate of the shape from the event log-durations, then the
    # scale that maximises the likelihood for that shape when nothing is left-censored.
    events = log_t[~ri]
    sd = float(events.std()) if events.size > 1 else 1.0
    shape0 = min(max(math.pi / math.sqrt(6.0) / max(sd, 1e-6), 0.05), 50.0)
    scale_log = (special.logsumexp(shape0 * log_t) - math.log(max(int((~ri).sum()), 1))) / shape0
    start = np.array([math.log(shape0), scale_log])
    del ri

    def to_params(x):
        return {"shape": math.exp(x[0]), "scale_h": math.exp(x[1])}

    def log_mean(x):
        shape = math.exp(x[0])
        value = x[1] + special.gammaln(1.0 + 1.0 / shape)
        return value, np.array([-special.digamma(1.0 + 1.0 / shape) / shape, 1.0])

    return nll, grad, start, to_params, log_mean


def _lognormal(t: np.ndarray, k: np.ndarray):
    """Negative log-likelihood and gradient in x = (μ, log σ)."""
    log_t = np.log(t)
    ex, ri, le = k == EXACT, k == RIGHT, k == LEFT
    const = float(log_t[ex].sum()) + 0.5 * math.log(2 * math.pi) * int(ex.sum())

    def nll(x):
        sigma = math.exp(x[1])
        z = (log_t - x[0]) / sigma
        ll = -const - int(ex.sum()) * x[1] - 0.5 * float((z[ex] ** 2).sum())
        ll += float(stats.norm.logsf(z[ri]).sum()) + float(stats.norm.logcdf(z[le]).sum())
        return -ll

    def grad(x):
        sigma = math.exp(x[1])
        z = (log_t - x[0]) / sigma
        dmu = float(z[ex].sum()) / sigma
        dls = -int(ex.sum()) + float((z[ex] ** 2).sum())
        if ri.any():
            h = np.exp(stats.norm.logpdf(z[ri]) - stats.norm.logsf(z[ri]))
            dmu += float(h.sum()) / sigma
            dls += float((z[ri] * h).sum())
        if le.any():
            h = np.exp(stats.norm.logpdf(z[le]) - stats.norm.logcdf(z[le]))
            dmu -= float(h.sum()) / sigma
            dls -= float((z[le] * h).sum())
        return -np.array([dmu, dls])

    events = log_t[~ri]
    sd = float(events.std()) if events.size > 1 else 1.0
    start = np.array([float(events.mean()), math.log(max(sd, 1e-3))])

    def to_params(x):
        return {"mu": float(x[0]), "sigma": math.exp(x[1])}

    def log_mean(x):
        sigma2 = math.exp(2 * x[1])
        return x[0] + sigma2 / 2.0, np.array([1.0, sigma2])

    return nll, grad, start, to_params, log_mean


_MODELS = {"weibull": _weibull, "lognormal": _lognormal}


def _minimise(nll, grad, start: np.ndarray) -> np.ndarray:
    res = optimize.minimize(nll, start, jac=grad, method="BFGS", options={"gtol": 1e-9})
    x = res.x
    if not np.all(np.isfinite(x)) or np.max(np.abs(grad(x))) > 1e-4 * max(1.0, abs(nll(x))):
        # A rough start or a flat ridge: polish with a derivative-free search.
        res2 = optimize.minimize(
            nll,
            x if np.all(np.isfinite(x)) else start,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
        )
        if res2.fun < nll(x) or not np.all(np.isfinite(x)):
            x = res2.x
    return np.asarray(x, dtype=float)


def _inverse_hessian(grad, x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    n = x.size
    hess = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = step
        hess[:, j] = (grad(x + e) - grad(x - e)) / (2 * step)
    hess = 0.5 * (hess + hess.T)
    try:
        return np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full((n, n), math.nan)
