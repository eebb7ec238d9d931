"""Fixed points of a map: minimise ``||f(x) - x||^2 / 2``, polish with Newton, de-duplicate."""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, as_inputs, as_states, check_float, check_limit, check_map, flat_map,
                    probe, progress_every, refuse_if_over, step_cost, x64)
from ..errors import check_positive_int

__all__ = ["FixedPoints", "fixed_points", "fixed_points_work"]


class FixedPoints(NamedTuple):
    """Distinct fixed points found, sorted by their first coordinate.

    Attributes
    ----------
    points : numpy.ndarray
        ``(m, d)`` (``(m,)`` for scalar states).
    eigenvalues : numpy.ndarray
        ``(m, d)`` complex: the eigenvalues of ``Df`` at each point, by
        decreasing modulus.
    stability : list of str
        ``'stable'`` (every ``|eig| < 1``), ``'unstable'`` (some ``|eig| > 1``),
        ``'marginal'`` (the largest ``|eig|`` within ``1e-9`` of 1) or
        ``'undefined'`` (``Df`` is not finite there; its eigenvalues NaN).
    residuals : numpy.ndarray
        ``||f(x) - x||`` at each point.
    counts : numpy.ndarray
        How many starts converged to each point.
    n_failed : int
        Starts that did not reach ``||f(x) - x|| <= tol`` (slow points,
        divergence).
    """

    points: np.ndarray
    eigenvalues: np.ndarray
    stability: list
    residuals: np.ndarray
    counts: np.ndarray
    n_failed: int


def _solve_core(g, x0, u, lm_steps, newton_steps):
    """Levenberg-Marquardt on q(x) = ||F(x)||^2/2, F = f(x) - x, then Newton (pure).

    Returns the point and ``||F||`` there (``inf`` where it is not finite)."""
    d = x0.shape[0]
    eye = jnp.eye(d, dtype=x0.dtype)

    def F(x):
        return g(x, u) - x

    def q(x):
        r = F(x)
        return 0.5 * jnp.dot(r, r)

    def lm(carry, _):
        x, mu = carry
        r = F(x)
        J = jax.jacfwd(F)(x)
        A = J.T @ J + mu * eye
        step = jnp.linalg.solve(A, J.T @ r)
        xn = x - step
        ok = jnp.isfinite(q(xn)) & (q(xn) < q(x))
        x = jnp.where(ok, xn, x)
        mu = jnp.where(ok, mu / 3.0, mu * 2.0)
        mu = jnp.clip(mu, 1e-12, 1e12)
        return (x, mu), None

    (x, _), _ = jax.lax.scan(lm, (x0, jnp.asarray(1e-2, x0.dtype)), None, length=lm_steps)

    def newton(x, _):
        r = F(x)
        J = jax.jacfwd(F)(x)
        xn = x - jnp.linalg.solve(J, r)
        better = jnp.all(jnp.isfinite(xn)) & (q(xn) <= q(x))
        return jnp.where(better, xn, x), None

    x, _ = jax.lax.scan(newton, x, None, length=newton_steps)
    r = F(x)
    res = jnp.sqrt(jnp.dot(r, r))
    return x, jnp.where(jnp.isfinite(res), res, jnp.inf)


def _dedupe(xs: np.ndarray, res: np.ndarray, dedupe: float):
    """Group converged points: each row joins the first representative (in
    row order) within ``dedupe * max(1, ||p||_inf)`` of it (infinity norm).

    Returns ``(representative rows, best row per group, counts)``; the
    groups are found by a sweep over the rows sorted by their first
    coordinate, so the cost is ``O(n log n)`` plus the rows near each
    representative, not ``O(n m)`` in Python.
    """
    n = xs.shape[0]
    group = np.full(n, -1)
    order = np.argsort(xs[:, 0], kind="stable")
    first = xs[order, 0]
    reps, best, counts = [], [], []
    i = 0
    while True:
        while i < n and group[i] >= 0:
            i += 1
        if i == n:
            break
        p = xs[i]
        tol = dedupe * max(1.0, float(np.max(np.abs(p))))
        lo = int(np.searchsorted(first, p[0] - tol, side="left"))
        hi = int(np.searchsorted(first, p[0] + tol, side="right"))
        cand = order[lo:hi]
        cand = cand[group[cand] < 0]
        near = cand[np.max(np.abs(xs[cand] - p), axis=1) <= tol]
        j = len(reps)
        group[near] = j
        group[i] = j
        members = np.union1d(near, [i])
        reps.append(i)
        best.append(int(members[np.argmin(res[members])]))
        counts.append(int(members.size))
    return reps, best, counts


def fixed_points_work(n: int, d: int, lm_steps: int = 200, newton_steps: int = 20,
                      chunk: int = 4096) -> float:
    """Multiply-adds :func:`fixed_points` is charged for ``n`` starts in dimension ``d``
    (solved ``chunk`` at a time).

    Examples
    --------
    >>> fixed_points_work(1000, 1)
    15249000.0
    """
    batches = -(-n // chunk)
    return (lm_steps + newton_steps + 1.0) * (n * (d * step_cost(d) + d ** 3)
                                              + batches * LOOP_COST)


def fixed_points(f, starts, *, u=None, tol: float = 1e-10, lm_steps: int = 200,
                 newton_steps: int = 20, dedupe: float = 1e-7, chunk: int = 4096,
                 progress: Callable | None = None, max_work: float = 1e12,
                 max_bytes: float = 2 ** 30) -> FixedPoints:
    """Fixed points ``f(x) = x`` (or ``f(x, u) = x``) from many starts.

    Parameters
    ----------
    f : callable
        A JAX-traceable map ``f(x)`` or ``f(x, u)``.
    starts : array_like
        Initial guesses: ``(n, d)``, or one state ``(d,)`` / ``()``.
    u : array_like, optional
        A constant input.
    tol : float
        A start counts as converged when ``||f(x) - x|| <= tol``.
    lm_steps, newton_steps : int
        Levenberg-Marquardt steps on ``q``, then Newton steps on ``f(x) = x``.
    dedupe : float
        Points closer than ``dedupe * max(1, ||x||)`` (infinity norm) are one.
    chunk : int
        Starts solved per vmapped batch (memory; progress granularity).
    progress : callable, optional
        ``progress(done, total)`` after each chunk.
    max_work, max_bytes : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`, before any work) a run
        estimated above this many multiply-adds (:func:`fixed_points_work`),
        or whose results need more than this many bytes.

    Returns
    -------
    FixedPoints

    Notes
    -----
    As in Sussillo and Barak (2013), the fixed points are the zeros of
    ``q(x) = ||f(x) - x||^2 / 2``; ``q`` is minimised by Levenberg-Marquardt
    steps (Gauss-Newton with an adaptive damping, every step decreasing
    ``q``), then the minimiser is polished with Newton's method on
    ``f(x) - x = 0`` (a step is kept only if it does not increase ``q``).
    Local minima of ``q`` above zero (slow points) are not fixed points and
    count in ``n_failed``, and so do starts whose residual is not finite.
    Stability is read off the eigenvalues of the Jacobian ``Df`` at the
    point.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import fixed_points
    >>> fp = fixed_points(lambda x: 0.5 * x + 1.0, [[0.0], [5.0]])
    >>> fp.points, fp.stability, fp.counts
    (array([[2.]]), ['stable'], array([2]))
    """
    check_map(f)
    tol = check_float("tol", tol, positive=True)
    dedupe = check_float("dedupe", dedupe, positive=True)
    lm_steps = check_positive_int("lm_steps", lm_steps, minimum=0)
    newton_steps = check_positive_int("newton_steps", newton_steps, minimum=0)
    chunk = check_positive_int("chunk", chunk)
    max_work = check_limit("max_work", max_work)
    max_bytes = check_limit("max_bytes", max_bytes)
    st = as_states(starts, name="starts")
    n, d = st.batch.shape
    refuse_if_over(fixed_points_work(n, d, lm_steps, newton_steps, chunk), max_work,
                   f"fixed points from {n} starts, d = {d}, {lm_steps} + {newton_steps} steps: "
                   "multiply-adds", "max_work",
                   "raise max_work or use fewer starts or steps")
    refuse_if_over(8.0 * n * (d + 2), max_bytes, f"fixed points from {n} starts, d = {d}: "
                   "bytes of results", "max_bytes", "raise max_bytes or use fewer starts")
    inp = as_inputs(u, None, None)
    with x64():
        g = flat_map(f, st.scalar, inp.driven)
        uu = None if inp.kind == "none" else jnp.asarray(inp.value)
        probe(g, jnp.asarray(st.batch[0]), uu)
        run = jax.jit(jax.vmap(lambda x: _solve_core(g, x, uu, lm_steps, newton_steps)))
        size = min(chunk, n)
        xs = np.empty((n, d))
        res = np.empty(n)
        for start in range(0, n, size):
            part = st.batch[start:start + size]
            m = part.shape[0]
            if m < size:  # pad, so that every chunk reuses one compiled program
                part = np.concatenate([part, np.repeat(part[-1:], size - m, axis=0)])
            x_c, r_c = run(jnp.asarray(part))
            xs[start:start + m] = np.asarray(x_c)[:m]
            res[start:start + m] = np.asarray(r_c)[:m]
            progress_every(progress, start + m, n)
        ok = np.isfinite(res) & (res <= tol)
        idx = np.flatnonzero(ok)
        reps, best, counts = _dedupe(xs[idx], res[idx], dedupe)
        best = [int(idx[b]) for b in best]
        order = sorted(range(len(reps)), key=lambda j: tuple(xs[best[j]]))
        pts = np.array([xs[best[j]] for j in order]).reshape(len(order), d)
        jac = jax.jit(jax.vmap(jax.jacfwd(lambda s: g(s, uu))))
        jacs = np.asarray(jac(jnp.asarray(pts))) if len(order) else np.zeros((0, d, d))
    eig = np.zeros((len(order), d), dtype=complex)
    stability = []
    for row in range(len(order)):
        if not np.all(np.isfinite(jacs[row])):
            eig[row] = np.nan
            stability.append("undefined")
            continue
        ev = np.linalg.eigvals(jacs[row])
        ev = ev[np.argsort(-np.abs(ev), kind="stable")]
        eig[row] = ev
        rho = np.abs(ev[0])
        stability.append("marginal" if abs(rho - 1.0) <= 1e-9 else
                         ("stable" if rho < 1.0 else "unstable"))
    if st.scalar:
        pts = pts[:, 0]
    return FixedPoints(pts, eig, stability, np.array([res[best[j]] for j in order]),
                       np.array([counts[j] for j in order], dtype=int), int(np.sum(~ok)))
