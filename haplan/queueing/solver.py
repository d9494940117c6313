"""A vectorised, safeguarded Newton root finder for decreasing functions, one root per row.

A numerical kernel shared by the quantiles of :mod:`haplan.queueing` and
:mod:`haplan.balancing`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["solve_decreasing"]


def solve_decreasing(
    func: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    start: np.ndarray | None = None,
    rtol: float = 1e-13,
    max_iter: int = 200,
) -> np.ndarray:
    """Root of a decreasing function per row: vectorised, safeguarded Newton in a bracket.

    A numerical kernel shared by the quantiles of :mod:`haplan.queueing` and
    :mod:`haplan.balancing`: it works on flat float arrays the caller has validated (no range
    check, no kind restored).

    Parameters
    ----------
    func : callable
        ``func(x, rows) -> (g, g_prime)``: the function g and its derivative at ``x`` [any
        unit] for the rows of the original arrays given by the integer index array ``rows``
        (``x`` holds only those rows). g must be decreasing in x with g(lower) ≥ 0 ≥ g(upper).
    lower, upper : numpy.ndarray
        Bracket per row [unit of x], 1-D, lower ≤ upper.
    start : numpy.ndarray, optional
        First iterate per row [unit of x]; default ``lower``; clipped into the bracket.
    rtol : float, default 1e-13
        Relative tolerance on x [dimensionless]: a row stops when a step or its bracket is
        below ``rtol`` times x.
    max_iter : int, default 200
        Iteration cap [count].

    Returns
    -------
    numpy.ndarray
        The root per row [unit of x].

    Notes
    -----
    Newton steps that leave the current bracket are replaced by bisection, so each row
    converges (quadratically near the root, never slower than bisection); each row stops on
    its own, and the working arrays shrink to the rows still running. This is the safeguarded
    Newton–bisection hybrid of [1]_ (``rtsafe``).

    References
    ----------
    .. [1] W. H. Press, S. A. Teukolsky, W. T. Vetterling and B. P. Flannery, *Numerical
       Recipes*, 3rd ed., Cambridge University Press, 2007, section 9.4.
    """
    lo = np.array(lower, dtype=float)
    hi = np.array(upper, dtype=float)
    x = lo.copy() if start is None else np.clip(start, lo, hi)
    result = x.copy()
    rows = np.arange(x.size)
    for _ in range(max_iter):
        if rows.size == 0:
            break
        g, slope = func(x, rows)
        lo = np.where(g > 0, x, lo)
        hi = np.where(g < 0, x, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = x - g / slope
        new = np.where((new > lo) & (new < hi), new, 0.5 * (lo + hi))
        root = g == 0
        new[root] = x[root]
        done = (np.abs(new - x) <= rtol * np.abs(new)) | root | (hi - lo <= rtol * hi)
        result[rows] = new
        running = ~done
        x, lo, hi, rows = new[running], lo[running], hi[running], rows[running]
    return result
