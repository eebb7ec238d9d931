"""Region maps: over a 2-D grid of parameter scales, the largest Lyapunov
exponent, the Lipschitz bound, the empirical Jacobian norm along the orbit and
the loss smoothness, all vmapped over grid points."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, Inputs, _real_array, as_inputs, as_states, cached, check_limit,
                    check_map, check_nonneg_int, check_seed, fields_dict, flat_map, scan_steps,
                    x64)
from .landscape import MAX_ITERS, sharpness_core
from .lipschitz import region
from .lyapunov import _lyapunov_core_flags, largest_lyapunov_core
from ..errors import SpecError, TooLargeError, check_positive_int

__all__ = ["RegionMap", "region_map", "region_map_work"]


@dataclasses.dataclass(frozen=True, eq=False)
class RegionMap:
    """Results on the grid ``a_values x b_values`` (arrays of shape ``(na, nb)``).

    Parameters
    ----------
    a, b : numpy.ndarray
        The grid coordinates, 1-D.
    lyapunov : numpy.ndarray
        The largest exponent (nats/step; NaN where undefined because the
        orbit left the float range, ``-inf`` where the tangent vector
        collapsed).
    sup_norm : numpy.ndarray or None
        The largest ``||D_x f(x_k, u_k)||_2`` over the steps taken (``None``
        unless asked; NaN where the orbit left the float range).
    bound : numpy.ndarray or None
        The analytic Lipschitz bound (``None`` unless a ``bound`` function
        was given).
    sharpness, grad_norm : numpy.ndarray or None
        The top Hessian eigenvalue of the loss and its gradient norm
        (``None`` without a loss).
    seconds : float
        The wall time.
    lyapunov_stderr : numpy.ndarray or None
        The standard error of ``lyapunov`` by batch means over ``blocks``
        blocks (``None`` unless ``blocks`` was given; then ``lyapunov`` is
        computed as :func:`lyapunov_spectrum` with ``k = 1`` computes it).

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import RegionMap
    >>> rm = RegionMap(np.array([0.5]), np.array([1.0]), np.array([[-0.7]]), np.array([[0.5]]),
    ...                None, None, None, 0.0)
    >>> rm.regions().tolist(), rm.to_dict()["sup_norm"]
    ([['contracting']], [[0.5]])
    """

    a: np.ndarray
    b: np.ndarray
    lyapunov: np.ndarray
    sup_norm: np.ndarray | None
    bound: np.ndarray | None
    sharpness: np.ndarray | None
    grad_norm: np.ndarray | None
    seconds: float
    lyapunov_stderr: np.ndarray | None = None

    def to_dict(self) -> dict:
        """The result as JSON-able Python (arrays as nested lists, absent parts as None).

        Returns
        -------
        dict
            One entry per field, under the field's name.

        Examples
        --------
        >>> import numpy as np
        >>> from tnrnn.dynamics import RegionMap
        >>> RegionMap(np.zeros(1), np.ones(1), np.full((1, 1), -1.0), None, None, None, None,
        ...           0.1).to_dict()["lyapunov"]
        [[-1.0]]
        """
        return fields_dict(self)

    def regions(self, *, tol: float = 0.02, by: str = "lipschitz") -> np.ndarray:
        """Region labels per grid point: by the empirical Lipschitz constant
        (``by='lipschitz'``: ``sup_norm``, else ``bound``) or by
        ``exp(lambda_max)`` (``by='lyapunov'``).

        Parameters
        ----------
        tol : float
            Half-width of the ``'boundary'`` band around 1 (see :func:`region`).
        by : str
            ``'lipschitz'`` or ``'lyapunov'``.

        Returns
        -------
        numpy.ndarray
            ``(na, nb)`` labels.

        Examples
        --------
        >>> import numpy as np
        >>> from tnrnn.dynamics import RegionMap
        >>> rm = RegionMap(np.zeros(1), np.zeros(2), np.array([[-1.0, 0.5]]), None, None, None,
        ...                None, 0.0)
        >>> rm.regions(by="lyapunov").tolist()
        [['contracting', 'expanding']]
        """
        if by == "lyapunov":
            return region(np.exp(self.lyapunov), tol=tol)
        if by != "lipschitz":
            raise SpecError(f"by must be 'lipschitz' or 'lyapunov'; got {by!r}")
        L = self.sup_norm if self.sup_norm is not None else self.bound
        if L is None:
            raise SpecError("no Lipschitz values in this map: compute it with norm_every > 0 or "
                            "a bound function, or use by='lyapunov'")
        return region(L, tol=tol)


def region_map_work(n_points: int, d: int, steps: int, burn: int, norm_every: int = 0,
                    chunk: int = 500) -> float:
    """Multiply-adds a region map costs (dense state maps): two matrix-vector
    products per step for the exponent, an SVD (~10 d^3) per norm, and the
    fixed cost of every sequential step of each batch of ``chunk`` points.

    Parameters
    ----------
    n_points : int
        Grid points.
    d : int
        State dimension.
    steps, burn : int
        Steps averaged over and steps run first.
    norm_every : int
        Jacobian norm every this many kept steps (0: none).
    chunk : int
        Grid points per vmapped batch.

    Returns
    -------
    float
        The estimate :func:`region_map` compares with ``max_work``.

    Examples
    --------
    >>> region_map_work(100, 2, 1000, 0)
    2800000.0
    """
    work = n_points * (burn + steps) * 2.0 * d * d
    work += -(-n_points // chunk) * (burn + steps) * LOOP_COST
    if norm_every:
        work += n_points * (steps // norm_every) * (10.0 * d ** 3 + (norm_every + 1) * d * d)
    return work


def _sup_norm_core(g, x0, us, burn, steps, every, inputs):
    """Largest ``||D_x f(x_k, u_k)||_2`` over the kept steps ``k = burn + j every``.

    Each Jacobian is the one of a step actually taken: at the state ``x_k``
    with the input ``u_k`` that moves it to ``x_{k+1}`` (step ``k`` computes
    ``x_{k+1} = f(x_k, u_k)``). NaN if the orbit left the float range.
    """
    us_burn = None if us is None else us[:burn]
    nb = steps // every
    us_keep = None if us is None else us[burn:burn + nb * every].reshape(
        (nb, every) + us.shape[1:])

    def body(x, u):
        return g(x, u), None

    x, _ = scan_steps(g, x0, us_burn, burn, inputs, body)

    def block(carry, us_blk):
        x, best, ok = carry
        u0 = None if inputs.kind == "none" else (
            jnp.asarray(inputs.value) if inputs.kind == "const" else us_blk[0])
        J = jax.jacfwd(lambda s: g(s, u0))(x)
        ok = ok & jnp.all(jnp.isfinite(x)) & jnp.all(jnp.isfinite(J))
        best = jnp.maximum(best, jnp.linalg.norm(jnp.where(jnp.isfinite(J), J, 0.0), 2))
        x, _ = scan_steps(g, x, us_blk, every, inputs, body)
        return (x, best, ok), None

    init = (x, jnp.zeros((), x0.dtype), jnp.all(jnp.isfinite(x)))
    if inputs.kind == "seq":
        (_, best, ok), _ = jax.lax.scan(block, init, us_keep)
    else:
        (_, best, ok), _ = jax.lax.scan(lambda c, _: block(c, None), init, None, length=nb)
    return jnp.where(ok, best, jnp.nan)


def _region_program(family, point, loss, scalar, kind, burn, steps, blocks, norm_every,
                    hessian_iters):
    """The compiled :func:`region_map` for one family: ``run(pairs, keys, x0, u,
    us)``, vmapped over the grid points (state and inputs are arguments)."""
    from jax.flatten_util import ravel_pytree

    def per_point(ab, key, x, uc, us):
        inp = Inputs(kind, uc)
        p = point(ab[0], ab[1])
        g = flat_map(family(p), scalar, kind != "none")
        if blocks is None:
            out = {"lyapunov": largest_lyapunov_core(g, x, us, burn, steps, inp)}
        else:
            bl = steps // blocks
            ub = None if us is None else us[burn:burn + bl * blocks].reshape(
                (blocks, bl) + us.shape[1:])
            sums, fl = _lyapunov_core_flags(g, x, None if us is None else us[:burn], ub,
                                            burn, blocks, bl, 1, inp, 10)
            means = sums[:, 0] / bl
            ok = jnp.all(fl)
            out = {"lyapunov": jnp.where(ok, jnp.mean(means), jnp.nan),
                   "lyapunov_stderr": jnp.where(
                       ok, jnp.std(means, ddof=1) / jnp.sqrt(blocks), jnp.nan)}
        if norm_every:
            out["sup_norm"] = _sup_norm_core(g, x, us, burn, steps, norm_every, inp)
        if loss is not None:
            flat, unravel = ravel_pytree(jax.tree_util.tree_map(
                lambda z: jnp.asarray(z, jnp.float64), p))
            lam, gn = sharpness_core(lambda z: loss(unravel(z)), flat, hessian_iters, key)
            out["sharpness"], out["grad_norm"] = lam, gn
        return out

    return jax.jit(jax.vmap(per_point, in_axes=(0, 0, None, None, None)))


def region_map(family: Callable, point: Callable, a_values, b_values, x0, *, steps: int,
               burn: int = 0, u=None, inputs=None, norm_every: int = 0,
               bound: Callable | None = None, loss: Callable | None = None,
               hessian_iters: int = 20, chunk: int = 500, progress: Callable | None = None,
               max_work: float = 1e12, seed: int = 0, blocks: int | None = None) -> RegionMap:
    """Dynamics and smoothness over a 2-D grid of parameters, vmapped.

    Parameters
    ----------
    family : callable
        ``family(p) -> f``: the map at parameters ``p`` (``f(x)``, or
        ``f(x, u)`` with ``u`` or ``inputs``). JAX-traceable in ``p``.
    point : callable
        ``point(a, b) -> p``: the parameters at grid coordinates ``(a, b)``
        (e.g. recurrent gain and input scale), JAX-traceable.
    a_values, b_values : array_like
        1-D grid coordinates.
    x0 : array_like
        The initial state (shared by all grid points).
    steps, burn : int
        Steps averaged over for the exponent, after ``burn`` discarded ones.
    u, inputs : array_like, optional
        A constant input or one input per step (``burn + steps``).
    norm_every : int
        If > 0, ``sup_norm``: the largest ``||D_x f(x_k, u_k)||_2`` over
        the kept steps ``k = burn, burn + norm_every, ...`` (one SVD each),
        each the Jacobian of the step taken from ``x_k`` with its own input.
    bound : callable, optional
        ``bound(p) -> float`` (numpy, called per point), e.g. from
        :func:`lipschitz_bound`.
    loss : callable, optional
        ``loss(p) -> scalar``, JAX-traceable: its sharpness (top Hessian
        eigenvalue by ``hessian_iters`` Hessian-vector products) and gradient
        norm at each grid point.
    hessian_iters : int
        Power-iteration steps for the sharpness (at most ``MAX_ITERS``).
    chunk : int
        Grid points per vmapped batch (memory; progress granularity).
    progress : callable, optional
        ``progress(done, total)`` after each chunk.
    max_work : float
        Refuse (``TooLargeError``) if :func:`region_map_work` exceeds it.
    seed : int
        Seed of the power iteration's start vectors.
    blocks : int, optional
        If given (>= 2), also the standard error of ``lambda_max`` by batch
        means: the kept ``steps`` cut into ``blocks`` blocks (the remainder
        dropped), renormalised every 10 steps, as :func:`lyapunov_spectrum`
        does with ``k = 1``, so that ``lambda_max > 0`` can be called only
        above its error.

    Returns
    -------
    RegionMap

    Examples
    --------
    >>> import numpy as np
    >>> import jax.numpy as jnp
    >>> from tnrnn.dynamics import region_map
    >>> rm = region_map(lambda p: (lambda x: jnp.tanh(p * x)), lambda a, b: a * b,
    ...                 [0.5], [1.0], 0.1, steps=200, burn=100)
    >>> round(float(rm.lyapunov[0, 0]), 6)  # ln 0.5: the orbit sits at 0
    -0.693147
    """
    check_map(family, "family")
    check_map(point, "point")
    a = _real_array(a_values, "a_values", "grid coordinates").ravel()
    b = _real_array(b_values, "b_values", "grid coordinates").ravel()
    if a.size == 0 or b.size == 0 or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise SpecError("a_values and b_values must be non-empty arrays of finite numbers")
    steps = check_positive_int("steps", steps)
    burn = check_nonneg_int("burn", burn)
    norm_every = check_nonneg_int("norm_every", norm_every)
    if norm_every > steps:
        raise SpecError(f"norm_every must be <= steps ({steps}); got {norm_every}")
    chunk = check_positive_int("chunk", chunk)
    hessian_iters = check_positive_int("hessian_iters", hessian_iters)
    if hessian_iters > MAX_ITERS:
        raise SpecError(f"hessian_iters must be <= {MAX_ITERS:,}; got {hessian_iters:,}")
    seed = check_seed("seed", seed)
    max_work = check_limit("max_work", max_work)
    if blocks is not None:
        blocks = check_positive_int("blocks", blocks, minimum=2)
        if steps < blocks:
            raise SpecError(f"steps must be >= blocks ({blocks}) for the error estimate; "
                            f"got {steps}")
    if bound is not None:
        check_map(bound, "bound")
    if loss is not None:
        check_map(loss, "loss")
    st = as_states(x0, allow_batch=False)
    d = st.batch.shape[1]
    n = a.size * b.size
    work = region_map_work(n, d, steps, burn, norm_every, chunk)
    if work > max_work:
        raise TooLargeError(
            f"region map of {a.size} x {b.size} points, d = {d}, {burn} + {steps} steps"
            f"{f', norms every {norm_every}' if norm_every else ''}: about {work:.3g} "
            f"multiply-adds, over max_work = {max_work:.3g}; raise max_work or use fewer "
            "points or steps", estimate=work, limit=max_work)
    inp = as_inputs(u, inputs, burn + steps)
    A, B = np.meshgrid(a, b, indexing="ij")
    pairs = np.stack([A.ravel(), B.ravel()], axis=1)
    t0 = time.perf_counter()
    with x64():
        x = jnp.asarray(st.batch[0])
        us = jnp.asarray(inp.value) if inp.kind == "seq" else None
        uc = jnp.asarray(inp.value) if inp.kind == "const" else None
        static = (point, loss, st.scalar, inp.kind, burn, steps, blocks, norm_every,
                  hessian_iters)
        run = cached(family, ("region_map",) + static,
                     lambda fw: _region_program(fw, *static))
        keys = jax.random.split(jax.random.PRNGKey(seed), n)
        parts: dict[str, list] = {}
        size = min(chunk, n)
        for start in range(0, n, size):
            sl = pairs[start:start + size]
            ks = keys[start:start + size]
            m = sl.shape[0]
            if m < size:  # pad, so that every chunk reuses one compiled program
                sl = np.concatenate([sl, np.repeat(sl[-1:], size - m, axis=0)])
                ks = jnp.concatenate([ks, jnp.repeat(ks[-1:], size - m, axis=0)])
            res = run(jnp.asarray(sl), ks, x, uc, us)
            for name, val in res.items():
                parts.setdefault(name, []).append(np.asarray(val)[:m])
            if progress is not None:
                progress(min(start + size, n), n)
        bnd = None
        if bound is not None:
            vals = []
            for ai, bi in pairs:
                v = bound(jax.tree_util.tree_map(np.asarray,
                                                 point(jnp.float64(ai), jnp.float64(bi))))
                try:
                    vals.append(float(v))
                except (TypeError, ValueError):
                    raise SpecError(f"bound must return a number; got {type(v).__name__} at "
                                    f"({ai:g}, {bi:g})") from None
            bnd = np.array(vals)
    shape = (a.size, b.size)
    res = {k: np.concatenate(v).reshape(shape) for k, v in parts.items()}
    return RegionMap(a, b, res["lyapunov"], res.get("sup_norm"),
                     None if bnd is None else bnd.reshape(shape), res.get("sharpness"),
                     res.get("grad_norm"), time.perf_counter() - t0, res.get("lyapunov_stderr"))
