"""Orbit (bifurcation) diagrams: steady states along a parameter path or
across training checkpoints, from random initial states under constant inputs."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, _real_array, as_states, cached, check_finite_tree, check_float,
                    check_limit, check_map, check_nonneg_int, check_seed, progress_every,
                    refuse_if_over, step_cost, x64)
from ..errors import SpecError, TooLargeError, check_positive_int

__all__ = ["orbit_diagram", "orbit_sizes", "stack_params"]


def stack_params(checkpoints) -> dict:
    """Stack a list of parameter pytrees (e.g. training checkpoints) along a
    new leading axis, for :func:`orbit_diagram`.

    Parameters
    ----------
    checkpoints : iterable of pytree
        Parameter pytrees of one structure and shapes (at least one).

    Returns
    -------
    pytree
        The same structure, each leaf a numpy array with a new leading axis
        of length ``len(checkpoints)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import stack_params
    >>> stack_params([{"w": np.zeros(2)}, {"w": np.ones(2)}])["w"].shape
    (2, 2)
    """
    checkpoints = list(checkpoints)
    if not checkpoints:
        raise SpecError("checkpoints is empty; give at least one parameter pytree")
    try:
        return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]),
                                      *checkpoints)
    except ValueError as exc:
        raise SpecError(f"checkpoints must share one structure and shapes: {exc}") from None


def orbit_sizes(P: int, n_init: int, n_u: int, steps: int, burn: int, d: int,
                m: int | None = None, chunk: int = 64) -> tuple[float, float]:
    """``(multiply-adds, bytes)`` of :func:`orbit_diagram`'s runs and result.

    Parameters
    ----------
    P, n_init, n_u : int
        Parameters, initial states per parameter, constant inputs.
    steps, burn : int
        Steps kept and steps run first.
    d : int
        State dimension.
    m : int, optional
        Observed coordinates (``d`` by default).
    chunk : int
        Parameters run per batch (each batch pays the fixed cost per step).

    Returns
    -------
    tuple of float
        Multiply-adds charged and bytes of the result array.

    Examples
    --------
    >>> orbit_sizes(100, 4, 1, 400, 1200, 1)
    (48640000.0, 1280000.0)
    """
    m = d if m is None else m
    batches = -(-P // chunk)
    return ((burn + steps) * (P * n_init * n_u * step_cost(d) + batches * LOOP_COST),
            8.0 * P * n_init * n_u * steps * m)


def _observed_size(f_of_p, observe, driven: bool, p0, x0, u0) -> int:
    """How many coordinates ``observe`` records (one abstract evaluation); a
    SpecError if the map cannot be evaluated on the first parameter."""
    obs = observe if observe is not None else (lambda x: x)
    try:
        f0 = f_of_p(p0)
        return int(np.prod(jax.eval_shape(
            lambda x: obs(f0(x, u0) if driven else f0(x)), jnp.asarray(x0)).shape))
    except Exception as exc:
        raise SpecError(f"the map could not be evaluated on a state of shape "
                        f"{np.shape(x0)}: {type(exc).__name__}: {exc}") from None


def _orbit_program(f_of_p, observe, driven: bool, burn: int, steps: int):
    """The compiled :func:`orbit_diagram` for one family: ``run(ps, X0, U)``,
    vmapped over parameters, initial states and inputs."""
    obs = observe if observe is not None else (lambda x: x)

    def run_one(p, x, u):
        f = f_of_p(p)
        step = (lambda s: f(s, u)) if driven else f

        def burn_body(s, _):
            return step(s), None

        def keep_body(s, _):
            s = step(s)
            return s, jnp.ravel(obs(s))

        s, _ = jax.lax.scan(burn_body, x, None, length=burn)
        _, kept = jax.lax.scan(keep_body, s, None, length=steps)
        return kept

    over_u = jax.vmap(run_one, in_axes=(None, None, 0))
    over_x = jax.vmap(over_u, in_axes=(None, 0, None))
    return jax.jit(jax.vmap(over_x, in_axes=(0, None, None)))


def orbit_diagram(f_of_p: Callable, ps, *, u_values=None, n_init: int = 4,
                  init_std: float = 100.0, steps: int = 400, burn: int = 1200,
                  dim: int | None = None, x0=None, observe: Callable | None = None,
                  seed: int = 0, max_bytes: float = 2 ** 30, max_work: float = 1e12,
                  chunk: int = 64, progress: Callable | None = None) -> np.ndarray:
    """Steady states along a parameter path (or across checkpoints), vmapped.

    Parameters
    ----------
    f_of_p : callable
        ``f_of_p(p) -> f``: the map at parameter ``p``, ``f(x, u)`` (or
        ``f(x)`` when ``u_values`` is None). JAX-traceable in ``p``.
    ps : array_like or pytree
        The parameters, stacked along a leading axis of length ``P``: an array
        ``(P, ...)`` (e.g. a scale along a path) or a pytree of arrays
        (checkpoints, see :func:`stack_params`).
    u_values : array_like, optional
        ``(n_u, ...)`` constant inputs; each run holds one of them fixed.
    n_init : int
        Random initial states per parameter and input.
    init_std : float
        Their standard deviation (``N(0, init_std^2)`` per coordinate, the
        paper's 100: far outside the attractors, so that every basin is
        reached).
    steps, burn : int
        Each run takes ``burn + steps`` steps and keeps the last ``steps``.
        (The paper's code runs 1,600 steps and keeps the last 400: the
        defaults.)
    dim : int, optional
        State dimension for the random initial states.
    x0 : array_like, optional
        ``(n_init, dim)`` initial states instead of random ones.
    observe : callable, optional
        ``observe(x)`` records a function of the state (e.g. ``h`` out of
        ``[h, c]``); the state itself by default.
    seed : int
        Seed of the initial states (numpy ``default_rng``).
    max_bytes : float
        Refuse (``TooLargeError``) a result array larger than this.
    max_work : float
        Refuse (``TooLargeError``, before any work) runs estimated above
        this many multiply-adds (:func:`orbit_sizes`).
    chunk : int
        Parameters run per vmapped batch (memory; progress granularity).
    progress : callable, optional
        ``progress(done, total)`` after each batch of parameters.

    Returns
    -------
    numpy.ndarray
        ``(P, n_init, n_u, steps, m)``: parameter, initial state, input, kept
        step, observed coordinate (``n_u = 1`` without inputs). A run whose
        orbit leaves the float range holds infinities or NaN from there on:
        test ``numpy.isfinite`` before reading attractors off it.

    Examples
    --------
    >>> import numpy as np
    >>> import jax.numpy as jnp
    >>> from tnrnn.dynamics import orbit_diagram
    >>> od = orbit_diagram(lambda w: (lambda x: jnp.tanh(w * x)), np.array([0.5, -2.0]),
    ...                    n_init=2, init_std=1.0, dim=1, steps=2, burn=200)
    >>> od.shape
    (2, 2, 1, 2, 1)
    >>> np.round(np.abs(od[1, 0, 0, :, 0]), 6)  # w = -2: the period-2 orbit +-x*
    array([0.957504, 0.957504])
    """
    check_map(f_of_p, "f_of_p")
    if observe is not None:
        check_map(observe, "observe")
    n_init = check_positive_int("n_init", n_init)
    init_std = check_float("init_std", init_std, positive=True, maximum=1e150)
    steps = check_positive_int("steps", steps)
    burn = check_nonneg_int("burn", burn)
    seed = check_seed("seed", seed)
    max_bytes = check_limit("max_bytes", max_bytes)
    max_work = check_limit("max_work", max_work)
    chunk = check_positive_int("chunk", chunk)
    check_finite_tree("ps", ps)
    leaves = jax.tree_util.tree_leaves(ps)
    if not leaves:
        raise SpecError("ps is empty; give parameters stacked along a leading axis")
    P = np.shape(leaves[0])[0] if np.ndim(leaves[0]) else None
    if P is None or any(np.ndim(x) == 0 or np.shape(x)[0] != P for x in leaves):
        raise SpecError("ps must be stacked along a leading axis (every leaf of the same length)")
    if x0 is not None:
        X0 = as_states(x0).batch if np.ndim(x0) == 2 else _real_array(x0, "x0", "initial states")
        if X0.ndim != 2 or X0.shape[0] != n_init:
            raise SpecError(f"x0 must have shape (n_init, dim) = ({n_init}, dim); got {X0.shape}")
    else:
        if dim is None:
            raise SpecError("give dim (the state dimension) or x0 (the initial states)")
        dim = check_positive_int("dim", dim)
        refuse_if_over(8.0 * n_init * dim, max_bytes, f"{n_init} initial states of dimension "
                       f"{dim}: bytes", "max_bytes", "raise max_bytes or use fewer or smaller states")
        X0 = init_std * np.random.default_rng(seed).standard_normal((n_init, dim))
    driven = u_values is not None
    U = (_real_array(u_values, "u_values", "constant inputs, one per row") if driven
         else np.zeros((1, 1)))
    if U.ndim == 0 or U.shape[0] == 0:
        raise SpecError("u_values must have a leading axis (one constant input per row)")
    if not np.all(np.isfinite(U)):
        raise SpecError("u_values contains NaN or infinity")
    d = X0.shape[1]
    refuse_if_over(orbit_sizes(P, n_init, U.shape[0], steps, burn, d, chunk=chunk)[0], max_work,
                   f"orbit diagram of {P} x {n_init} x {U.shape[0]} runs of {burn} + {steps} "
                   f"steps, d = {d}: multiply-adds", "max_work",
                   "raise max_work or use fewer parameters, starts or steps")
    with x64():
        p0 = jax.tree_util.tree_map(lambda x: jnp.asarray(x)[0], ps)
        u0 = jnp.asarray(U[0]) if driven else None
        shapes = (jax.tree_util.tree_structure(ps),
                  tuple((np.shape(x)[1:], str(jnp.asarray(x).dtype))
                        for x in jax.tree_util.tree_leaves(ps)), X0.shape[1:],
                  U.shape[1:] if driven else None)
        m = cached(f_of_p, ("orbit-probe", driven, observe, shapes),
                   lambda fw: _observed_size(fw, observe, driven, p0, X0[0], u0))
        nbytes = 8.0 * P * n_init * U.shape[0] * steps * m
        if nbytes > max_bytes:
            raise TooLargeError(f"orbit diagram of {P} x {n_init} x {U.shape[0]} x {steps} x {m} "
                                f"values needs {nbytes / 2**20:.1f} MiB, over max_bytes = "
                                f"{max_bytes / 2**20:.1f} MiB; raise max_bytes or keep fewer "
                                "steps", estimate=nbytes, limit=max_bytes)

        over_p = cached(f_of_p, ("orbit", driven, observe, burn, steps),
                        lambda fw: _orbit_program(fw, observe, driven, burn, steps))
        size = min(chunk, P)
        out = np.empty((P, n_init, U.shape[0], steps, m))
        X0j, Uj = jnp.asarray(X0), jnp.asarray(U)
        for start in range(0, P, size):
            k = min(size, P - start)

            def part(x, start=start, k=k):
                x = np.asarray(x, np.float64)[start:start + k]
                if k < size:  # pad, so that every batch reuses one compiled program
                    x = np.concatenate([x, np.repeat(x[-1:], size - k, axis=0)])
                return jnp.asarray(x)

            res = over_p(jax.tree_util.tree_map(part, ps), X0j, Uj)
            out[start:start + k] = np.asarray(res)[:k]
            progress_every(progress, start + k, P)
        return out
