"""Fixed points of a map: minimise ``||f(x) - x||^2 / 2``, polish with Newton, de-duplicate."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._core import as_inputs, as_states, check_float, check_map, flat_map, probe, x64
from ..errors import check_positive_int

__all__ = ["FixedPoints", "fixed_points"]


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
        ``'stable'`` (every ``|eig| < 1``), ``'unstable'`` (some ``|eig| > 1``)
        or ``'marginal'`` (the largest ``|eig|`` within ``1e-9`` of 1).
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
    """Levenberg-Marquardt on q(x) = ||F(x)||^2/2, F = f(x) - x, then Newton (pure)."""
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
    return x, jnp.sqrt(jnp.dot(r, r)), jax.jacfwd(lambda s: g(s, u))(x)


def fixed_points(f, starts, *, u=None, tol: float = 1e-10, lm_steps: int = 200,
                 newton_steps: int = 20, dedupe: float = 1e-7) -> FixedPoints:
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
    count in ``n_failed``. Stability is read off the eigenvalues of the
    Jacobian ``Df`` at the point.

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
    st = as_states(starts, name="starts")
    inp = as_inputs(u, None, None)
    with x64():
        g = flat_map(f, st.scalar, inp.driven)
        uu = None if inp.kind == "none" else jnp.asarray(inp.value)
        probe(g, jnp.asarray(st.batch[0]), uu)
        run = jax.jit(jax.vmap(lambda x: _solve_core(g, x, uu, lm_steps, newton_steps)))
        xs, res, jacs = (np.asarray(a) for a in run(jnp.asarray(st.batch)))
    ok = np.isfinite(res) & (res <= tol)
    points, counts, best = [], [], []
    for i in np.flatnonzero(ok):
        x = xs[i]
        for j, p in enumerate(points):
            if np.max(np.abs(x - p)) <= dedupe * max(1.0, np.max(np.abs(p))):
                counts[j] += 1
                if res[i] < res[best[j]]:
                    best[j] = i
                break
        else:
            points.append(x)
            counts.append(1)
            best.append(i)
    d = st.batch.shape[1]
    order = sorted(range(len(points)), key=lambda j: tuple(xs[best[j]]))
    pts = np.array([xs[best[j]] for j in order]).reshape(len(order), d)
    eig = np.zeros((len(order), d), dtype=complex)
    stability = []
    for row, j in enumerate(order):
        ev = np.linalg.eigvals(jacs[best[j]])
        ev = ev[np.argsort(-np.abs(ev), kind="stable")]
        eig[row] = ev
        rho = np.abs(ev[0])
        stability.append("marginal" if abs(rho - 1.0) <= 1e-9 else
                         ("stable" if rho < 1.0 else "unstable"))
    if st.scalar:
        pts = pts[:, 0]
    return FixedPoints(pts, eig, stability, np.array([res[best[j]] for j in order]),
                       np.array([counts[j] for j in order], dtype=int), int(np.sum(~ok)))
