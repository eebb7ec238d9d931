"""Free-rate exponential sums: variable projection with warm starts and rate splits.

For given log-rates ``theta`` the coefficients solve a linear least-squares
problem on the double-exponential grid of the kernel; the residual is formed
by Householder QR with one re-orthogonalisation (no singular values are
dropped, unlike ``lstsq`` with a cut-off, which silently removes nearly
dependent exponentials). The log-rates move by L-BFGS-B on ``ln f``, the
logarithm of the squared error, with the envelope-theorem gradient
``d f / d w_k = 2 a_k sum_t r(t) t e^{-w_k t} q(t)``: on ``f`` itself
L-BFGS-B's stopping rule ``(f_k - f_{k+1}) / max(|f_k|, 1) < ftol`` is an
*absolute* test once ``f < 1``, which is what stalled the earlier optimiser
(``(1+t)^-2``: 1.3e-5 relative at m = 10, 1.1e-5 at m = 12).

Warm starts: the search for ``m`` starts from the ``m - 1`` optimum with one
rate added below the smallest, one above the largest, and every rate split
in two (``theta_k +- 0.3``; the splits of the largest coefficients first),
``starts`` candidates in all. Each candidate's error is recomputed by the
exact projection (:func:`tnrnn.linear_rnn.project`), and the unoptimised
warm start is kept if every candidate did worse, so the reported error never
increases with ``m``. It is an **upper bound** on the best error with ``m``
free rates; ``benchmarks/results/memory-rates.json`` brackets it from below
where a lower bound is known.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import TooLargeError, check_positive_int
from .approx import _grid, l1_error, project
from .kernels import parse_kernel

__all__ = ["BestSum", "best_exponential_sum"]


@dataclass(frozen=True)
class BestSum:
    """Free-rate exponential sums for ``m = 1..max_m`` (variable projection).

    ``l2_sq_error[k]`` is the exact squared L2 error of the rates found for
    ``m = k + 1`` (projection by the exact route), so it is an **upper bound**
    on the best error with ``m`` free rates; it never increases with ``m``.

    Parameters
    ----------
    kernel : str
        The target's spec.
    m : tuple of int
        The widths ``1..max_m``.
    rates : tuple of tuple of float
        The rates found for each width.
    coefs : tuple of tuple of float
        Their best coefficients.
    l2_sq_error : tuple of float
        Squared L2 errors (upper bounds on the best with ``m`` free rates).
    l1 : tuple of float or None
        L1 errors of those coefficients (None where not computed).
    seconds : tuple of float
        Wall time per width.

    Examples
    --------
    >>> from tnrnn.linear_rnn import BestSum
    >>> b = BestSum("exponential:2", (1,), ((2.0,),), ((1.0,),), (0.0,), (None,), (0.1,))
    >>> d = b.to_dict()
    >>> d["rates"], d["l1_error"], d["label"]
    ([[2.0]], [None], 'upper bound on the best error with m free rates')
    """

    kernel: str
    m: tuple = ()
    rates: tuple = ()
    coefs: tuple = ()
    l2_sq_error: tuple = ()
    l1: tuple = ()
    seconds: tuple = ()

    def to_dict(self) -> dict:
        """JSON-able fields (tuples as lists; ``l1`` under the key ``"l1_error"``)."""
        return {"kernel": self.kernel, "m": list(self.m),
                "rates": [list(r) for r in self.rates], "coefs": [list(c) for c in self.coefs],
                "l2_sq_error": list(self.l2_sq_error), "l1_error": list(self.l1),
                "seconds": list(self.seconds),
                "label": "upper bound on the best error with m free rates"}


@dataclass
class _GridFit:
    rates: np.ndarray
    coefs: np.ndarray
    l2_sq_error: float


def _objective(theta, t, sq, r0):
    """``(ln f, d ln f / d theta)`` with ``f`` the squared residual after the best coefficients."""
    from scipy.linalg import solve_triangular

    w = np.exp(theta)
    E = sq[:, None] * np.exp(-np.multiply.outer(t, w))
    s = np.linalg.norm(E, axis=0)
    s = np.where(s > 0, s, 1.0)
    Q, R = np.linalg.qr(E / s)
    y = Q.T @ r0
    r = r0 - Q @ y
    y2 = Q.T @ r
    r = r - Q @ y2
    y = y + y2
    with np.errstate(all="ignore"):
        try:
            a = solve_triangular(R, y) / s
        except np.linalg.LinAlgError:   # two columns equal in float64 (e.g. e^{-w t} = 0 past t = 0)
            a = np.linalg.lstsq(R, y, rcond=None)[0] / s
    f = float(r @ r)
    if not np.isfinite(f) or f <= 0 or not np.all(np.isfinite(a)):
        return 0.0 if f <= 0 else 1e300, np.zeros_like(theta)
    grad = 2 * a * ((r * t * sq) @ (E / sq[:, None])) * w
    return float(np.log(f)), grad / f


def _polish(theta0, t, sq, r0, maxiter):
    from scipy.optimize import minimize

    res = minimize(_objective, theta0, args=(t, sq, r0), jac=True, method="L-BFGS-B",
                   bounds=[(-30.0, 30.0)] * len(theta0),
                   options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10})
    return np.sort(res.x)


def _candidates(theta, coefs, starts):
    out = [np.sort(np.append(theta, theta.min() - 1.5)),
           np.sort(np.append(theta, theta.max() + 1.5))]
    for k in np.argsort(-np.abs(coefs)):
        out.append(np.sort(np.concatenate([np.delete(theta, k), [theta[k] - 0.3,
                                                                 theta[k] + 0.3]])))
    return out[:starts]


def best_exponential_sum(kernel, max_m: int, *, starts: int = 8, maxiter: int = 500,
                         l1: bool = True, grid=None, progress=None) -> BestSum:
    """Free rates and coefficients for ``m = 1..max_m`` (an upper bound on the best error).

    Parameters
    ----------
    kernel : Kernel or str
    max_m : int
        Largest number of exponentials (at most 40).
    starts : int
        Warm-start candidates tried for each ``m`` (module docstring).
    maxiter : int
        L-BFGS-B iterations per candidate.
    l1 : bool
        Also compute the L1 error of each sum's (L2-best) coefficients.
    grid : (t, q) arrays, optional
        Minimise ``sum_j q_j (rho(t_j) - sum_i a_i e^{-w_i t_j})^2`` on this grid
        instead of the L2 norm (e.g. a discrete loss); the errors are then the
        float64 residuals on the grid (no exact re-projection), and ``l1`` is off.
    progress : callable, optional
        Called as ``progress(m, max_m)`` after each width.

    Returns
    -------
    BestSum

    Examples
    --------
    >>> from tnrnn.linear_rnn import best_exponential_sum
    >>> res = best_exponential_sum("exponential:1+exponential:5", 2, l1=False, starts=1,
    ...                            maxiter=100)
    >>> res.l2_sq_error[1] < 1e-18 and res.l2_sq_error[0] > 1e-3   # two rates: exact
    True
    >>> [round(w, 6) for w in sorted(res.rates[1])]
    [1.0, 5.0]
    """
    kernel = parse_kernel(kernel)
    max_m = check_positive_int("max_m", max_m)
    starts = check_positive_int("starts", starts)
    maxiter = check_positive_int("maxiter", maxiter)
    if max_m > 40:
        raise TooLargeError(f"best_exponential_sum: max_m={max_m} > 40 (each m runs up to "
                            f"{starts} optimisations of m log-rates); use at most 40",
                            estimate=max_m, limit=40)
    if starts > 64 or maxiter > 100_000:
        raise TooLargeError(f"best_exponential_sum: starts={starts} (<= 64) or "
                            f"maxiter={maxiter} (<= 100000) too large",
                            estimate=max(starts, maxiter), limit=64 if starts > 64 else 100_000)
    if grid is None:
        t, q = _grid(kernel)
    else:
        from ._checks import real_vector

        t = real_vector("grid times", grid[0], max_len=1_000_000)
        q = real_vector("grid weights", grid[1], max_len=1_000_000)
        if t.shape != q.shape or np.any(q < 0):
            from ..errors import SpecError

            raise SpecError("grid: times and weights must have the same length, weights >= 0")
        l1 = False
    sq = np.sqrt(q)
    r0 = sq * kernel.value(t)

    def project_(w):
        if grid is None:
            return project(kernel, w)
        f, _ = _objective(np.log(w), t, sq, r0)
        from scipy.linalg import lstsq

        a = lstsq(sq[:, None] * np.exp(-np.multiply.outer(t, w)), r0)[0]
        return _GridFit(np.asarray(w), a, float(np.exp(f)))

    out = {"m": [], "rates": [], "coefs": [], "l2_sq_error": [], "l1": [], "seconds": []}
    theta = np.zeros(0)
    coefs = np.zeros(0)
    for m in range(1, max_m + 1):
        t_start = time.perf_counter()
        if m == 1:
            inits = [np.array([x]) for x in np.log([0.1, 1.0, 10.0])]
        else:
            inits = _candidates(theta, coefs, max(starts, 1))
        best = None
        for init in inits:
            th = _polish(init, t, sq, r0, maxiter)
            w = np.exp(th)
            if np.unique(w).size != w.size or (w.size > 1 and np.min(np.diff(th)) < 1e-6):
                continue
            p = project_(w)
            if best is None or p.l2_sq_error < best.l2_sq_error:
                best = p
        if m > 1:
            p0 = project_(np.exp(inits[0]))
            if best is None or p0.l2_sq_error < best.l2_sq_error:
                best = p0
        theta = np.log(best.rates)
        coefs = best.coefs
        out["m"].append(m)
        out["rates"].append(tuple(best.rates.tolist()))
        out["coefs"].append(tuple(best.coefs.tolist()))
        out["l2_sq_error"].append(best.l2_sq_error)
        out["l1"].append(l1_error(kernel, best.coefs, best.rates).value if l1 else None)
        out["seconds"].append(time.perf_counter() - t_start)
        if progress is not None:
            progress(m, max_m)
    return BestSum(kernel.spec, **{k: tuple(v) for k, v in out.items()})
