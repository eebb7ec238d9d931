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

Warm starts alone can stall in a local minimum: on the delayed kernel
``e^{-t} + e^{-(t-2)} 1[t > 2]`` they give ``L_3 = 0.260`` where gradient
descent reaches 0.198, and on the Lorenz-96 kernels (tabulated) 0.749 where
it reaches 0.733. Three more kinds of start close that gap, all opt-in
(``scan``, ``inits``): at ``m = 1`` a grid of 64 rates over ``rate_range``;
at every ``m``, ``scan`` random log-uniform rate vectors over
``rate_range`` (seeded); and rate vectors given by the caller (e.g. the final
rates of trained runs), each polished as well as projected unpolished. The
optimum may lie where rates coalesce (``t^k e^{-w t}`` terms, the confluent
limit); with these starts, polished rates closer than 1e-5 in ``ln w`` are
pulled apart to that gap (otherwise they would be discarded), so the rates
returned are distinct, and the error reported is the exact error of the rates
and coefficients returned.

Tables (:func:`tnrnn.linear_rnn.tabulated`) are piecewise linear with a kink
at every sample, which the double-exponential grid does not resolve (about
2e-3 of the loss on the Lorenz-96 kernels); the search grid of a kernel with
a table has Gauss-Legendre panels between its samples instead (the reported
errors are exact either way).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import TooLargeError, check_positive_int
from ._special import de_rule, gauss_panels
from ._tabulated import _Tabulated
from .approx import _grid, l1_error, project
from .kernels import parse_kernel

__all__ = ["BestSum", "best_exponential_sum", "polish_exponential_sum"]


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


def _search_grid(kernel):
    """Nodes and weights of the search objective: the double-exponential grid, or for a
    kernel with a table, 8-point Gauss-Legendre panels between the samples (geometric
    panels from 1e-12 up to the first sample) and an exp-sinh tail past the last cut."""
    knots = set()
    for _, a in kernel.terms:
        if isinstance(a, _Tabulated):
            knots |= set((a.step * np.arange(len(a.values))).tolist())
    if not knots:
        return _grid(kernel)
    cuts = np.array(sorted(knots | {float(b) for b in kernel.breaks if b > 0} | {0.0}))
    first = cuts[1] if cuts.size > 1 else 1.0
    head = np.concatenate([[0.0], first * np.geomspace(1e-12, 1.0, 25)])
    edges = np.concatenate([head, cuts[2:]])
    t, q = gauss_panels(edges, order=8)
    tt, qt = de_rule((float(cuts[-1]),))
    tail = tt > cuts[-1]
    return np.concatenate([t, tt[tail]]), np.concatenate([q, qt[tail]])


def _scan_starts(m, n, rate_range, rng):
    lo, hi = np.log(rate_range)
    return [np.sort(rng.uniform(lo, hi, size=m)) for _ in range(n)]


def _spread(theta, gap=1e-5):
    """Sorted log-rates at least ``gap`` apart (rates that coalesce towards the confluent
    optimum are pulled apart just enough to stay distinct; the error is recomputed)."""
    th = np.sort(np.asarray(theta, float))
    for i in range(1, th.size):
        th[i] = max(th[i], th[i - 1] + gap)
    return th


def _best_on_grid(rates, t, sq, r0):
    vals = [_objective(np.array([np.log(w)]), t, sq, r0)[0] for w in rates]
    return [np.array([np.log(rates[int(np.argmin(vals))])])]


def _check_range(rate_range):
    from ..errors import SpecError

    try:
        lo, hi = (float(x) for x in rate_range)
    except (TypeError, ValueError):
        raise SpecError(f"rate_range must be two numbers (low, high); got {rate_range!r:.60}") \
            from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi <= 1e12 and lo >= 1e-12):
        raise SpecError(f"rate_range must satisfy 1e-12 <= low < high <= 1e12; got "
                        f"({lo!r}, {hi!r})")
    return lo, hi


def _check_inits(inits, max_m):
    """``{m: [log-rate vectors]}`` from the caller's rate vectors (checked)."""
    from ..errors import SpecError
    from ._checks import real_vector

    out = {}
    if inits is None:
        return out
    if isinstance(inits, (str, bytes)) or not hasattr(inits, "__iter__"):
        raise SpecError(f"inits must be a sequence of rate vectors; got {inits!r:.60}")
    for i, w in enumerate(inits):
        if i >= 10_000:
            raise TooLargeError("best_exponential_sum: more than 10000 inits",
                                estimate=i + 1, limit=10_000)
        w = real_vector(f"inits[{i}]", w, max_len=max_m)
        if np.any(w <= 0) or np.unique(w).size != w.size:
            raise SpecError(f"inits[{i}]: rates must be distinct and positive; got "
                            f"{w.tolist()!r:.80}")
        out.setdefault(w.size, []).append(np.sort(np.log(w)))
    return out


def _candidates(theta, coefs, starts):
    out = [np.sort(np.append(theta, theta.min() - 1.5)),
           np.sort(np.append(theta, theta.max() + 1.5))]
    for k in np.argsort(-np.abs(coefs)):
        out.append(np.sort(np.concatenate([np.delete(theta, k), [theta[k] - 0.3,
                                                                 theta[k] + 0.3]])))
    return out[:starts]


def best_exponential_sum(kernel, max_m: int, *, starts: int = 8, maxiter: int = 500,
                         l1: bool = True, grid=None, progress=None, scan: int = 0,
                         inits=None, rate_range=(1e-3, 1e2), seed: int = 0) -> BestSum:
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
    scan : int
        Random starts per width (log-uniform over ``rate_range``), and a grid of 64
        rates at ``m = 1`` (module docstring); 0 keeps the warm starts alone.
    inits : sequence of array_like, optional
        Further starting rate vectors (positive); one of length ``m`` is used at
        width ``m``, polished and unpolished.
    rate_range : (float, float)
        The range of the scan's rates.
    seed : int
        Seed of the scan.

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
    >>> given = best_exponential_sum("exponential:1+exponential:5", 2, l1=False, starts=1,
    ...                              maxiter=1, inits=[[1.0, 5.0]])   # a start at the answer
    >>> given.l2_sq_error[1] < 1e-18
    True
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
    scan = check_positive_int("scan", scan, minimum=0)
    if scan > 256:
        raise TooLargeError(f"best_exponential_sum: scan={scan} > 256 random starts per width",
                            estimate=scan, limit=256)
    rate_range = _check_range(rate_range)
    given = _check_inits(inits, max_m)
    rng = np.random.default_rng(check_positive_int("seed", seed, minimum=0))
    if grid is None:
        t, q = _search_grid(kernel)
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
            cands = [np.array([x]) for x in np.log([0.1, 1.0, 10.0])]
            if scan:
                cands += _best_on_grid(np.geomspace(*rate_range, 64), t, sq, r0)
        else:
            cands = _candidates(theta, coefs, max(starts, 1))
        cands = cands + _scan_starts(m, scan, rate_range, rng) + given.get(m, [])
        best = None
        for th_given in given.get(m, []):
            if m > 1 and np.min(np.diff(th_given)) < 1e-6:
                continue
            p = project_(np.exp(th_given))
            if best is None or p.l2_sq_error < best.l2_sq_error:
                best = p
        for init in cands:
            th = _polish(init, t, sq, r0, maxiter)
            if scan or given:
                th = _spread(th)
            w = np.exp(th)
            if np.unique(w).size != w.size or (w.size > 1 and np.min(np.diff(th)) < 1e-6):
                continue
            p = project_(w)
            if best is None or p.l2_sq_error < best.l2_sq_error:
                best = p
        if m > 1:
            p0 = project_(np.exp(cands[0]))
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


def polish_exponential_sum(kernel, rates, *, maxiter: int = 500):
    """The exact projection at ``rates`` or at the rates a local search reaches from them,
    whichever has the smaller error (an upper bound on the best error with
    ``len(rates)`` free rates that is never above the error of ``rates`` themselves).

    The search is the one of :func:`best_exponential_sum` (L-BFGS-B on the
    logarithm of the squared error after the best coefficients, on the search
    grid of the module docstring), its rates pulled apart to ``1e-5`` in ``ln w``
    where they coalesce; both candidates are projected by the exact route.

    Parameters
    ----------
    kernel : Kernel or str
        The target.
    rates : array_like
        Distinct positive starting rates (e.g. the final rates of a trained run).
    maxiter : int
        L-BFGS-B iterations.

    Returns
    -------
    Projection
        Of :func:`tnrnn.linear_rnn.project` (exact route).

    Examples
    --------
    >>> from tnrnn.linear_rnn import project
    >>> from tnrnn.linear_rnn.bestsum import polish_exponential_sum
    >>> start = project("exponential:1+exponential:5", [0.5, 3.0]).l2_sq_error
    >>> p = polish_exponential_sum("exponential:1+exponential:5", [0.5, 3.0])
    >>> start > 1e-4, p.l2_sq_error < 1e-18, [round(float(w), 6) for w in sorted(p.rates)]
    (True, True, [1.0, 5.0])
    """
    from ..errors import SpecError

    kernel = parse_kernel(kernel)
    maxiter = check_positive_int("maxiter", maxiter)
    if maxiter > 100_000:
        raise TooLargeError(f"polish_exponential_sum: maxiter={maxiter} > 100000",
                            estimate=maxiter, limit=100_000)
    from ._checks import real_vector

    w0 = real_vector("rates", rates, max_len=40)
    if np.any(w0 <= 0) or np.unique(w0).size != w0.size:
        raise SpecError(f"polish_exponential_sum: rates must be distinct and positive; got "
                        f"{w0.tolist()!r:.80}")
    th0 = np.sort(np.log(w0))
    best = project(kernel, np.exp(th0))
    t, q = _search_grid(kernel)
    sq = np.sqrt(q)
    th = _spread(_polish(th0, t, sq, kernel.value(t) * sq, maxiter))
    if np.unique(np.exp(th)).size == th.size:
        p = project(kernel, np.exp(th))
        if p.l2_sq_error < best.l2_sq_error:
            best = p
    return best
