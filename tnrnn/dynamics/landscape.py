"""Loss landscapes: affine slices through parameter space and the sharpness
(largest Hessian eigenvalue) of a loss, by Hessian-vector products."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (cached, check_finite_tree, check_limit, check_map, check_seed,
                    progress_every, refuse_if_over, x64)
from ..errors import SpecError, check_positive_int

__all__ = ["loss_slice", "loss_slice_2d", "sharpness"]


def _as_s(name, s):
    try:
        arr = np.asarray(s, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a 1-D array of real numbers; got {s!r}") from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} must be a non-empty 1-D array of finite numbers; got shape "
                        f"{arr.shape}")
    return arr


def _check_trees(*trees):
    structs = [jax.tree_util.tree_structure(t) for t in trees]
    shapes = [[np.shape(x) for x in jax.tree_util.tree_leaves(t)] for t in trees]
    for i in range(1, len(trees)):
        if structs[i] != structs[0] or shapes[i] != shapes[0]:
            raise SpecError(f"theta{i} must have the structure and shapes of theta0; got "
                            f"{structs[i]} with shapes {shapes[i]} against {structs[0]} with "
                            f"shapes {shapes[0]}")


def _f64(tree):
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), tree)


def _np64(tree):
    """Every leaf as a float64 numpy array (arguments of compiled programs)."""
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


#: Most power-iteration steps :func:`sharpness` (and region maps) take: it has
#: converged, or stalled on two eigenvalues of equal modulus, long before.
MAX_ITERS = 100_000


def _check_points(*trees):
    for i, t in enumerate(trees):
        check_finite_tree(f"theta{i}", t)


def _chunked(fn, args, n: int, chunk: int, progress):
    """``fn`` (vmapped over the leading axis of every array in ``args``) in
    batches of ``chunk`` (the last padded, so one program serves all)."""
    size = min(chunk, n)
    outs = []
    for start in range(0, n, size):
        k = min(size, n - start)
        part = [a[start:start + k] for a in args]
        if k < size:
            part = [np.concatenate([a, np.repeat(a[-1:], size - k, axis=0)]) for a in part]
        outs.append(np.asarray(fn(*part))[:k])
        progress_every(progress, start + k, n)
    return np.concatenate(outs)


def loss_slice(loss, theta0, theta1, s, *, chunk: int = 1024, progress=None) -> np.ndarray:
    """The loss along the line ``theta(s) = (1 - s) theta0 + s theta1``.

    Parameters
    ----------
    loss : callable
        A JAX-traceable ``loss(theta) -> scalar``; ``theta`` any pytree.
    theta0, theta1 : pytree
        Two parameter points with the same structure.
    s : array_like
        1-D positions; ``s = 0`` is ``theta0``, ``s = 1`` is ``theta1``.
    chunk : int
        Positions evaluated per vmapped batch (memory; progress granularity).
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    numpy.ndarray
        ``loss(theta(s_i))`` for each ``s_i`` (vmapped), float64.

    Notes
    -----
    Written as ``(1 - s) theta0 + s theta1`` (the same line as
    ``theta0 + s (theta1 - theta0)``), so that ``s = 0`` and ``s = 1`` give
    ``theta0`` and ``theta1`` bit for bit, without special cases.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import loss_slice
    >>> loss_slice(lambda t: (t["w"] ** 2).sum(), {"w": np.zeros(2)}, {"w": np.ones(2)},
    ...            [0.0, 0.5, 1.0])
    array([0. , 0.5, 2. ])
    """
    check_map(loss, "loss")
    s = _as_s("s", s)
    chunk = check_positive_int("chunk", chunk)
    _check_trees(theta0, theta1)
    _check_points(theta0, theta1)
    with x64():
        t0, t1 = _np64(theta0), _np64(theta1)
        run = cached(loss, ("loss_slice",), _slice_program)
        return _chunked(lambda sp: run(t0, t1, sp), [s], s.size, chunk, progress)


def _slice_program(loss):
    """The compiled :func:`loss_slice` for one loss: ``run(theta0, theta1, s)``,
    vmapped over ``s`` (the end points are arguments, not constants)."""
    def at(t0, t1, si):
        th = jax.tree_util.tree_map(lambda a, b: (1.0 - si) * a + si * b, t0, t1)
        return jnp.asarray(loss(th), jnp.float64).reshape(())

    return jax.jit(jax.vmap(at, in_axes=(None, None, 0)))


def _plane_program(loss):
    """The compiled :func:`loss_slice_2d` for one loss: ``run(theta0, theta1,
    theta2, a, b)``, vmapped over the grid coordinates ``a, b``."""
    def at(t0, t1, t2, a, b):
        th = jax.tree_util.tree_map(lambda x, y, z: (1.0 - a - b) * x + a * y + b * z,
                                    t0, t1, t2)
        return jnp.asarray(loss(th), jnp.float64).reshape(())

    return jax.jit(jax.vmap(at, in_axes=(None, None, None, 0, 0)))


def loss_slice_2d(loss, theta0, theta1, theta2, s1, s2, *, chunk: int = 1024, progress=None,
                  max_bytes: float = 2 ** 30) -> np.ndarray:
    """The loss on the plane ``theta0 + s1 (theta1 - theta0) + s2 (theta2 - theta0)``.

    Parameters
    ----------
    loss : callable
        ``loss(theta) -> scalar``, JAX-traceable.
    theta0, theta1, theta2 : pytree
        Three points with the same structure: ``(s1, s2) = (0, 0)`` is
        ``theta0``, ``(1, 0)`` is ``theta1``, ``(0, 1)`` is ``theta2``.
    s1, s2 : array_like
        1-D coordinates.
    chunk : int
        Grid points evaluated per vmapped batch (memory; progress granularity).
    progress : callable, optional
        ``progress(done, total)`` after each batch.
    max_bytes : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`, before any work) a grid
        whose result needs more than this many bytes.

    Returns
    -------
    numpy.ndarray
        ``(len(s1), len(s2))``: entry ``[i, j]`` is the loss at
        ``(s1[i], s2[j])``; every grid point evaluated once.

    Notes
    -----
    Computed as ``(1 - s1 - s2) theta0 + s1 theta1 + s2 theta2``, whose
    weights add up to one. The code of Ribeiro et al. (2020) builds the
    points as ``s1 theta1 + (1 - s1) theta0 + s2 theta2 + (1 - s2) theta0``,
    which counts ``theta0`` twice (weights adding to two) everywhere except
    at the three corners it special-cases, so its slice is not a plane and
    jumps at the corners.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import loss_slice_2d
    >>> L = loss_slice_2d(lambda t: t.sum(), np.zeros(1), np.ones(1), 2 * np.ones(1),
    ...                   [0.0, 1.0], [0.0, 1.0])
    >>> L
    array([[0., 2.],
           [1., 3.]])
    """
    check_map(loss, "loss")
    s1, s2 = _as_s("s1", s1), _as_s("s2", s2)
    chunk = check_positive_int("chunk", chunk)
    refuse_if_over(8.0 * 3 * s1.size * s2.size, check_limit("max_bytes", max_bytes),
                   f"loss on a {s1.size} x {s2.size} grid: bytes", "max_bytes",
                   "raise max_bytes or use fewer points")
    _check_trees(theta0, theta1, theta2)
    _check_points(theta0, theta1, theta2)
    with x64():
        t0, t1, t2 = _np64(theta0), _np64(theta1), _np64(theta2)
        run = cached(loss, ("loss_slice_2d",), _plane_program)
        A, B = np.meshgrid(s1, s2, indexing="ij")
        vals = _chunked(lambda a, b: run(t0, t1, t2, a, b), [A.ravel(), B.ravel()], A.size,
                        chunk, progress)
        return vals.reshape(A.shape)


def sharpness_core(loss, theta, iters: int, key):
    """Largest-magnitude Hessian eigenvalue by power iteration (pure, vmappable).

    ``theta`` a flat float64 vector. Returns (eigenvalue, gradient norm).
    """
    grad = jax.grad(loss)
    v = jax.random.normal(key, theta.shape, theta.dtype)
    v = v / jnp.linalg.norm(v)

    def hvp(v):
        return jax.jvp(grad, (theta,), (v,))[1]

    def body(v, _):
        w = hvp(v)
        n = jnp.linalg.norm(w)
        return jnp.where(n > 0, w / jnp.where(n > 0, n, 1.0), v), None

    v, _ = jax.lax.scan(body, v, None, length=iters)
    return jnp.dot(v, hvp(v)), jnp.linalg.norm(grad(theta))


def sharpness(loss, theta, *, iters: int = 50, seed: int = 0) -> float:
    """The largest-magnitude eigenvalue of the Hessian of ``loss`` at ``theta``.

    Parameters
    ----------
    loss : callable
        A JAX-traceable scalar ``loss(theta)``; ``theta`` any pytree.
    theta : pytree
        Where the Hessian is taken.
    iters : int
        Power-iteration steps (each one Hessian-vector product,
        forward-over-reverse).
    seed : int
        Seed of the random start vector.

    Returns
    -------
    float
        The Rayleigh quotient ``v . H v`` of the final unit vector: the
        dominant eigenvalue (in modulus) once the iteration has converged,
        a smoothness measure of the loss (a gradient step larger than
        ``2 / sharpness`` is unstable).

    Notes
    -----
    Power iteration on Hessian-vector products (forward-over-reverse), by
    hand: ``scipy.sparse.linalg.eigsh`` with a ``LinearOperator`` would find
    the same eigenvalue but runs outside ``jit`` and cannot be ``vmap``-ed
    over the points of a region map, where this core runs per grid point;
    no JAX library offers a matrix-free eigensolver for a pytree loss.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import sharpness
    >>> round(sharpness(lambda t: 3.0 * t[0] ** 2 + 0.5 * t[1] ** 2, np.ones(2)), 8)
    6.0
    """
    from jax.flatten_util import ravel_pytree

    check_map(loss, "loss")
    iters = check_positive_int("iters", iters)
    if iters > MAX_ITERS:
        raise SpecError(f"iters must be <= {MAX_ITERS:,}; got {iters:,}")
    seed = check_seed("seed", seed)
    check_finite_tree("theta", theta)
    with x64():
        flat, unravel = ravel_pytree(_f64(theta))
        run = cached(loss, ("sharpness", iters, _Unravel(unravel, flat.shape)),
                     lambda lw: jax.jit(lambda t, key: sharpness_core(
                         lambda z: lw(unravel(z)), t, iters, key)))
        lam, _ = run(flat, jax.random.PRNGKey(seed))
        return float(lam)


class _Unravel:
    """A cache key for the structure ``ravel_pytree`` flattened: the tree
    structure and the leaves' shapes and dtypes (two ``unravel`` functions
    for equal keys are interchangeable)."""

    def __init__(self, unravel, shape):
        probe = unravel(jnp.zeros(shape, jnp.float64))
        leaves, tree = jax.tree_util.tree_flatten(probe)
        self.key = (tree, tuple((np.shape(x), str(jnp.asarray(x).dtype)) for x in leaves))

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _Unravel) and self.key == other.key
