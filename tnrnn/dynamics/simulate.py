"""Trajectories of a map and the memory profile ``||d x_n / d x_0||``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, Inputs, as_inputs, as_states, cached, check_limit, check_map,
                    check_nonneg_int, flat_map, probe, refuse_if_over, scan_steps, step_cost, x64)
from ..errors import check_positive_int

__all__ = ["simulate", "sensitivity"]


def _simulate_core(g, x0, us_burn, us_keep, burn, steps, inputs):
    """Trajectory ``x[burn], ..., x[burn + steps]`` of one flat state (pure, jittable)."""

    def burn_body(x, u):
        return g(x, u), None

    def keep_body(x, u):
        y = g(x, u)
        return y, y

    x, _ = scan_steps(g, x0, us_burn, burn, inputs, burn_body)
    _, traj = scan_steps(g, x, us_keep, steps, inputs, keep_body)
    if traj is None:
        return x[None]
    return jnp.concatenate([x[None], traj], axis=0)


def simulate(f, x0, *, steps: int, burn: int = 0, u=None, inputs=None,
             max_work: float = 1e12, max_bytes: float = 2 ** 30) -> np.ndarray:
    """Trajectories of ``x[k+1] = f(x[k])`` (or ``f(x[k], u)``) under ``lax.scan``.

    Parameters
    ----------
    f : callable
        A JAX-traceable map ``f(x)``, or ``f(x, u)`` when ``u`` or ``inputs``
        is given.
    x0 : array_like
        One state (shape ``()`` or ``(d,)``) or a batch ``(n, d)``; a batch is
        run under ``jax.vmap``.
    steps : int
        Number of steps recorded after the burn-in (>= 0).
    burn : int
        Steps run first and discarded.
    u : array_like, optional
        A constant input passed at every step.
    inputs : array_like, optional
        One input per step, leading axis ``burn + steps``.
    max_work, max_bytes : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`, before any work) runs
        estimated above this many multiply-adds, ``(burn + steps) (n (2 d^2 +
        64) + 2000)``, or trajectories larger than this many bytes.

    Returns
    -------
    numpy.ndarray
        ``(steps + 1, d)`` for one state (``(steps + 1,)`` for a scalar
        state), ``(n, steps + 1, d)`` for a batch: the states ``x[burn]``,
        ..., ``x[burn + steps]``, float64. An orbit that leaves the float
        range shows infinities or NaN from there on.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import simulate
    >>> simulate(lambda x: 0.5 * x, 8.0, steps=3)
    array([8., 4., 2., 1.])
    >>> A = np.array([[1.0, 1.0], [0.0, 2.0]])
    >>> simulate(lambda x: A @ x, [1.0, 1.0], steps=2)
    array([[1., 1.],
           [2., 2.],
           [4., 4.]])
    """
    check_map(f)
    steps = check_nonneg_int("steps", steps)
    burn = check_nonneg_int("burn", burn)
    st = as_states(x0)
    n, d = st.batch.shape
    refuse_if_over((burn + steps) * (n * step_cost(d) + LOOP_COST),
                   check_limit("max_work", max_work),
                   f"simulating {n} state(s) of dimension {d} for {burn} + {steps} steps: "
                   "multiply-adds", "max_work", "raise max_work or use fewer steps")
    refuse_if_over(8.0 * n * (steps + 1) * d, check_limit("max_bytes", max_bytes),
                   f"{n} trajectories of {steps + 1} states of dimension {d}: bytes",
                   "max_bytes", "raise max_bytes or keep fewer steps")
    inp = as_inputs(u, inputs, burn + steps)
    with x64():
        probe(flat_map(f, st.scalar, inp.driven), st.batch[0], _probe_input(inp), f=f,
              key=(st.scalar, inp.driven))
        us_burn, us_keep = inp.split(burn)
        run = cached(f, ("simulate", st.scalar, inp.kind, burn, steps),
                     lambda fw: _simulate_program(fw, st.scalar, inp.kind, burn, steps))
        out = np.asarray(run(st.batch, _const(inp), us_burn, us_keep))
    if st.scalar:
        out = out[..., 0]
    return st.unbatch(out)


def _simulate_program(f, scalar: bool, kind: str, burn: int, steps: int):
    """The compiled :func:`simulate` for one map: ``run(X, u, us_burn, us_keep)``,
    vmapped over the states ``X`` (the inputs are arguments, not constants)."""
    g = flat_map(f, scalar, kind != "none")

    def one(x, u, us_burn, us_keep):
        return _simulate_core(g, x, us_burn, us_keep, burn, steps, Inputs(kind, u))

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, None)))


def _const(inp):
    """The constant input as an argument of a compiled program (None otherwise)."""
    return inp.value if inp.kind == "const" else None


def _probe_input(inp):
    if inp.kind == "seq":
        return inp.value[0]
    if inp.kind == "const":
        return inp.value
    return None


def _sensitivity_core(g, x0, us, n, inputs):
    """Spectral norms of the Jacobian products ``d x_k / d x_0``, k = 1..n."""
    d = x0.shape[0]

    def body(carry, u):
        x, P = carry
        y, lin = jax.linearize(lambda z: g(z, u), x)
        P = jax.vmap(lin, in_axes=1, out_axes=1)(P)
        return (y, P), jnp.linalg.norm(P, ord=2)

    _, norms = scan_steps(g, (x0, jnp.eye(d)), us, n, inputs, body)
    return norms


def sensitivity(f, x0, n: int, *, u=None, inputs=None, max_work: float = 1e12) -> np.ndarray:
    """The memory profile ``||d x_k / d x_0||_2`` for ``k = 0, ..., n``.

    How strongly the state after ``k`` steps still depends on the initial
    state: it decays like ``L^k`` for a contraction with Lipschitz constant
    ``L < 1`` (fading memory) and grows like ``exp(lambda_max k)`` in a
    chaotic regime.

    Parameters
    ----------
    f : callable
        A JAX-traceable map ``f(x)`` or ``f(x, u)``.
    x0 : array_like
        One state (shape ``()`` or ``(d,)``).
    n : int
        Number of steps (>= 1).
    u, inputs : array_like, optional
        A constant input, or one input per step (leading axis ``n``).
    max_work : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`, before any work) runs
        estimated above this many multiply-adds, ``n (d^3 + 2 d^2 + 2064)``.

    Returns
    -------
    numpy.ndarray
        ``(n + 1,)`` float64, the spectral norm of the Jacobian of ``x[k]``
        with respect to ``x[0]``; entry 0 is 1 (the identity).

    Notes
    -----
    The Jacobian product is carried forward step by step,
    ``P[k+1] = Df(x[k]) P[k]``, each factor from ``jax.linearize``; its
    entries overflow to ``inf`` once they pass ~1e308 (chaotic maps, n of a
    few hundred at lambda ~ 1).

    Examples
    --------
    >>> from tnrnn.dynamics import sensitivity
    >>> sensitivity(lambda x: 0.5 * x, 1.0, 3)
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    check_map(f)
    n = check_positive_int("n", n)
    st = as_states(x0, allow_batch=False)
    d = st.batch.shape[1]
    refuse_if_over(n * (d ** 3 + step_cost(d) + LOOP_COST), check_limit("max_work", max_work),
                   f"sensitivity over {n} steps, d = {d}: multiply-adds", "max_work",
                   "raise max_work or use fewer steps")
    inp = as_inputs(u, inputs, n)
    with x64():
        x = st.batch[0]
        probe(flat_map(f, st.scalar, inp.driven), x, _probe_input(inp), f=f,
              key=(st.scalar, inp.driven))
        us = None if inp.kind != "seq" else inp.value
        run = cached(f, ("sensitivity", st.scalar, inp.kind, n),
                     lambda fw: _sensitivity_program(fw, st.scalar, inp.kind, n))
        norms = run(x, _const(inp), us)
        out = np.concatenate([[1.0], np.asarray(norms)])
    return out


def _sensitivity_program(f, scalar: bool, kind: str, n: int):
    """The compiled :func:`sensitivity` for one map: ``run(x, u, us)``."""
    g = flat_map(f, scalar, kind != "none")
    return jax.jit(lambda x, u, us: _sensitivity_core(g, x, us, n, Inputs(kind, u)))
