"""Fixed points of a map: solve ``f(x) = x`` from many starts with optimistix
(Levenberg-Marquardt on ``||f(x) - x||^2 / 2``, then Newton), de-duplicate,
classify by the eigenvalues of the Jacobian."""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, as_inputs, as_states, cached, check_float, check_limit, check_map,
                    fields_dict, flat_map, probe, progress_every, refuse_if_over, step_cost, x64)
from ..errors import check_positive_int

__all__ = ["FixedPoints", "fixed_points", "fixed_points_work"]


@dataclasses.dataclass(frozen=True, eq=False)
class FixedPoints:
    """Distinct fixed points found, sorted by their coordinates, and how each start fared.

    Parameters
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
        divergence, too few steps).
    converged : numpy.ndarray
        ``(n,)`` bool, one per start: the solve from it reached
        ``||f(x) - x|| <= tol`` (the convergence criterion).
    start_residuals : numpy.ndarray
        ``(n,)``: ``||f(x) - x||`` where the solve from each start ended
        (``inf`` where it is not finite).
    assignment : numpy.ndarray
        ``(n,)`` int: the row of ``points`` each start converged to, ``-1``
        where it did not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import FixedPoints
    >>> fp = FixedPoints(np.array([[2.0]]), np.array([[0.5 + 0j]]), ["stable"], np.zeros(1),
    ...                  np.array([1]), 1, np.array([True, False]), np.array([0.0, 0.7]),
    ...                  np.array([0, -1]))
    >>> int(fp.counts.sum()) + fp.n_failed == fp.converged.size
    True
    """

    points: np.ndarray
    eigenvalues: np.ndarray
    stability: list
    residuals: np.ndarray
    counts: np.ndarray
    n_failed: int
    converged: np.ndarray
    start_residuals: np.ndarray
    assignment: np.ndarray

    def to_dict(self) -> dict:
        """The result as JSON-able Python: arrays as lists, eigenvalues as
        ``[real, imaginary]`` pairs, infinities as ``float('inf')``.

        Returns
        -------
        dict
            One entry per field, under the field's name.

        Examples
        --------
        >>> import numpy as np
        >>> from tnrnn.dynamics import FixedPoints
        >>> fp = FixedPoints(np.zeros((1, 1)), np.array([[0.5 + 0j]]), ["stable"], np.zeros(1),
        ...                  np.array([1]), 0, np.array([True]), np.zeros(1), np.zeros(1, int))
        >>> fp.to_dict()["eigenvalues"], fp.to_dict()["converged"]
        ([[[0.5, 0.0]]], [True])
        """
        return fields_dict(self)


def _solve_core(g, x0, u, lm_steps, newton_steps, xtol=1e-12):
    """Solve ``F(x) = f(x) - x = 0`` from ``x0`` (pure, jittable): optimistix's
    Levenberg-Marquardt on ``||F||^2 / 2`` for at most ``lm_steps`` steps,
    then Newton on ``F = 0`` for at most ``newton_steps`` (kept only where it
    lowers the residual), both stopping once a step changes ``x`` and the
    objective by less than ``xtol`` (absolute and relative).

    Returns the point and ``||F||`` there (``inf`` where it is not finite)."""
    import optimistix as optx

    def F(x, args):
        return g(x, args) - x

    def resid(x):
        r = F(x, u)
        n = jnp.sqrt(jnp.dot(r, r))
        return jnp.where(jnp.isfinite(n), n, jnp.inf)

    x = x0
    if lm_steps:
        sol = optx.least_squares(F, optx.LevenbergMarquardt(rtol=xtol, atol=xtol), x0, args=u,
                                 max_steps=lm_steps, throw=False)
        x = jnp.where(jnp.all(jnp.isfinite(sol.value)), sol.value, x0)
    if newton_steps:
        sol = optx.root_find(F, optx.Newton(rtol=xtol, atol=xtol), x, args=u,
                             max_steps=newton_steps, throw=False)
        better = jnp.all(jnp.isfinite(sol.value)) & (resid(sol.value) <= resid(x))
        x = jnp.where(better, sol.value, x)
    return x, resid(x)


def _solve_program(f, scalar: bool, driven: bool, lm_steps: int, newton_steps: int,
                   xtol: float):
    """The compiled solver of :func:`fixed_points` for one map: ``run(X, u)``
    vmapped over the starts ``X``, and ``jac(P, u)``, the Jacobians at ``P``."""
    g = flat_map(f, scalar, driven)
    run = jax.jit(jax.vmap(lambda x, u: _solve_core(g, x, u, lm_steps, newton_steps, xtol),
                           in_axes=(0, None)))
    jac = jax.jit(jax.vmap(lambda x, u: jax.jacfwd(lambda s: g(s, u))(x), in_axes=(0, None)))
    return run, jac


def _dedupe(xs: np.ndarray, res: np.ndarray, dedupe: float):
    """Group converged points: each row joins the first representative (in
    row order) within ``dedupe * max(1, ||p||_inf)`` of it (infinity norm).

    Returns ``(representative rows, best row per group, counts, group of
    each row)``; the
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
    return reps, best, counts, group


def fixed_points_work(n: int, d: int, lm_steps: int = 200, newton_steps: int = 20,
                      chunk: int = 4096) -> float:
    """Multiply-adds :func:`fixed_points` is charged for ``n`` starts in dimension ``d``
    (solved ``chunk`` at a time), every solver taking all its steps.

    Parameters
    ----------
    n : int
        Starts.
    d : int
        State dimension.
    lm_steps, newton_steps : int
        Most Levenberg-Marquardt and Newton steps.
    chunk : int
        Starts per vmapped batch.

    Returns
    -------
    float
        The estimate compared with ``max_work``.

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
        A start counts as converged when ``||f(x) - x|| <= tol`` where its
        solve ended.
    lm_steps, newton_steps : int
        Most Levenberg-Marquardt steps on ``q``, then most Newton steps on
        ``f(x) = x`` (each solver stops earlier once its steps no longer
        move ``x``; 0 skips it).
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
        The distinct points with their stability, and per start whether it
        converged (``converged``), its final residual and the point it
        reached (``assignment``).

    Notes
    -----
    As in Sussillo and Barak (2013), the fixed points are the zeros of
    ``q(x) = ||f(x) - x||^2 / 2``. ``q`` is minimised by optimistix's
    Levenberg-Marquardt solver (Gauss-Newton with a trust region, every
    accepted step decreasing ``q``), then the minimiser is polished with
    optimistix's Newton root finder on ``f(x) - x = 0`` (kept only if it does
    not increase the residual). Both stop when a step changes ``x`` and
    the objective by less than ``min(1e-12, tol / 100)`` (absolute plus
    relative), or after their step limits. Local minima of ``q`` above zero
    (slow points) are not fixed points and count in ``n_failed``, and so do
    starts whose residual is not finite. Stability is read off the
    eigenvalues of the Jacobian ``Df`` at the point.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import fixed_points
    >>> fp = fixed_points(lambda x: 0.5 * x + 1.0, [[0.0], [5.0]])
    >>> fp.points, fp.stability, fp.counts, fp.converged
    (array([[2.]]), ['stable'], array([2]), array([ True,  True]))
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
    refuse_if_over(8.0 * n * (d + 4), max_bytes, f"fixed points from {n} starts, d = {d}: "
                   "bytes of results", "max_bytes", "raise max_bytes or use fewer starts")
    inp = as_inputs(u, None, None)
    xtol = min(1e-12, 0.01 * tol)
    with x64():
        uu = None if inp.kind == "none" else inp.value
        probe(flat_map(f, st.scalar, inp.driven), st.batch[0], uu, f=f,
              key=(st.scalar, inp.driven))
        run, jac = cached(f, ("fixed_points", st.scalar, inp.driven, lm_steps, newton_steps,
                              xtol),
                          lambda fw: _solve_program(fw, st.scalar, inp.driven, lm_steps,
                                                    newton_steps, xtol))
        size = min(chunk, n)
        xs = np.empty((n, d))
        res = np.empty(n)
        for start in range(0, n, size):
            part = st.batch[start:start + size]
            m = part.shape[0]
            if m < size:  # pad, so that every chunk reuses one compiled program
                part = np.concatenate([part, np.repeat(part[-1:], size - m, axis=0)])
            x_c, r_c = run(part, uu)
            xs[start:start + m] = np.asarray(x_c)[:m]
            res[start:start + m] = np.asarray(r_c)[:m]
            progress_every(progress, start + m, n)
        ok = np.isfinite(res) & (res <= tol)
        idx = np.flatnonzero(ok)
        reps, best, counts, groups = _dedupe(xs[idx], res[idx], dedupe)
        best = [int(idx[b]) for b in best]
        order = sorted(range(len(reps)), key=lambda j: tuple(xs[best[j]]))
        pts = np.array([xs[best[j]] for j in order]).reshape(len(order), d)
        jacs = np.asarray(jac(pts, uu)) if len(order) else np.zeros((0, d, d))
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    assignment = np.full(n, -1)
    assignment[idx] = rank[groups] if len(order) else []
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
                       np.array([counts[j] for j in order], dtype=int), int(np.sum(~ok)),
                       ok, np.where(np.isfinite(res), res, np.inf), assignment)
