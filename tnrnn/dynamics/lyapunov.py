"""Lyapunov spectra by the QR (Benettin) method with Jacobians from autodiff."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (as_inputs, as_states, check_map, check_nonneg_int, flat_map, probe,
                    scan_steps, x64)
from .simulate import _probe_input
from ..errors import SpecError, check_positive_int

__all__ = ["LyapunovResult", "lyapunov_spectrum"]


class LyapunovResult(NamedTuple):
    """Lyapunov exponents in nats per step.

    Attributes
    ----------
    exponents : numpy.ndarray
        The ``k`` largest exponents, sorted descending; ``(k,)`` for one
        initial state, ``(n, k)`` for a batch.
    stderr : numpy.ndarray
        Standard error of each exponent by batch means: the ``steps`` are cut
        into ``blocks`` equal blocks, and the spread of the block averages
        divided by ``sqrt(blocks)``; same shape as ``exponents``.
    running : numpy.ndarray
        The running average after each block, ``(blocks, k)`` (or
        ``(n, blocks, k)``): how the estimate settled.
    steps : int
        Steps averaged over (after the burn-in).
    burn : int
        Steps run first to settle the state and the frame, not averaged.
    """

    exponents: np.ndarray
    stderr: np.ndarray
    running: np.ndarray
    steps: int
    burn: int

    @property
    def max(self):
        """The largest exponent (per initial state for a batch)."""
        return self.exponents[..., 0]


def _tangent_step(g, x, Q, u, k):
    """One step of the state and of the orthonormal frame ``Q`` (d, k).

    Returns the new state, the new frame and ``log |diag R|`` of the QR
    factorisation of ``Df(x) Q``. For ``k = 1`` only a Jacobian-vector product
    and a norm are needed.
    """
    if k == 1:
        y, z = jax.jvp(lambda s: g(s, u), (x,), (Q[:, 0],))
        r = jnp.linalg.norm(z)
        return y, (z / r)[:, None], jnp.log(r)[None]
    y, lin = jax.linearize(lambda s: g(s, u), x)
    Z = jax.vmap(lin, in_axes=1, out_axes=1)(Q)
    Q, R = jnp.linalg.qr(Z)
    return y, Q, jnp.log(jnp.abs(jnp.diagonal(R)))


def _lyapunov_core(g, x0, us_burn, us_blocks, burn, blocks, block_len, k, inputs):
    """Block sums of ``log |diag R|`` (blocks, k) for one flat state (pure, jittable).

    ``us_blocks`` is ``(blocks, block_len, ...)`` for an input sequence.
    """
    d = x0.shape[0]
    Q0 = jnp.eye(d, k, dtype=x0.dtype)

    def burn_body(carry, u):
        x, Q = carry
        x, Q, _ = _tangent_step(g, x, Q, u, k)
        return (x, Q), None

    def keep_body(carry, u):
        x, Q, acc = carry
        x, Q, logs = _tangent_step(g, x, Q, u, k)
        return (x, Q, acc + logs), None

    (x, Q), _ = scan_steps(g, (x0, Q0), us_burn, burn, inputs, burn_body)

    def block(carry, us):
        x, Q = carry
        (x, Q, acc), _ = scan_steps(g, (x, Q, jnp.zeros(k, x0.dtype)), us, block_len, inputs,
                                    keep_body)
        return (x, Q), acc

    if inputs.kind == "seq":
        _, sums = jax.lax.scan(block, (x, Q), us_blocks)
    else:
        _, sums = jax.lax.scan(lambda c, _: block(c, None), (x, Q), None, length=blocks)
    return sums


def largest_lyapunov_core(g, x0, us, burn: int, steps: int, inputs):
    """The largest exponent of one flat state (pure; for vmapped grids).

    ``us`` is the whole per-step input sequence (``'seq'``) or ``None``.
    """
    us_burn = None if us is None else us[:burn]
    us_keep = None if us is None else us[burn:]
    d = x0.shape[0]
    q0 = jnp.ones(d, x0.dtype) / jnp.sqrt(d)

    def body(carry, u):
        x, q, acc = carry
        y, z = jax.jvp(lambda s: g(s, u), (x,), (q,))
        r = jnp.linalg.norm(z)
        return (y, z / r, acc + jnp.log(r)), None

    (x, q, _), _ = scan_steps(g, (x0, q0, jnp.zeros((), x0.dtype)), us_burn, burn, inputs, body)
    (_, _, acc), _ = scan_steps(g, (x, q, jnp.zeros((), x0.dtype)), us_keep, steps, inputs, body)
    return acc / steps


def lyapunov_spectrum(f, x0, *, steps: int, burn: int = 0, u=None, inputs=None,
                      k: int | None = None, blocks: int = 20) -> LyapunovResult:
    """The ``k`` largest Lyapunov exponents of a map, in nats per step.

    Parameters
    ----------
    f : callable
        A JAX-traceable map ``f(x)``, or ``f(x, u)`` with ``u`` or ``inputs``.
    x0 : array_like
        One initial state (shape ``()`` or ``(d,)``) or a batch ``(n, d)``
        (run under ``jax.vmap``).
    steps : int
        Steps averaged over; a multiple of ``blocks`` is used (the remainder,
        fewer than ``blocks`` steps, is dropped).
    burn : int
        Steps run first (state and frame settle), not averaged.
    u, inputs : array_like, optional
        A constant input, or one input per step (leading axis ``burn + steps``):
        for a driven system the exponents are those of the input-driven
        (conditional) dynamics.
    k : int, optional
        How many exponents (the largest ``k``); all ``d`` by default.
    blocks : int
        Blocks for the error estimate (>= 2).

    Returns
    -------
    LyapunovResult
        ``exponents`` sorted descending, ``stderr``, ``running``.

    Raises
    ------
    SpecError
        On bad sizes, ``k`` outside ``1..d``, or ``steps < blocks``.

    Notes
    -----
    Benettin's method: carry an orthonormal frame ``Q`` of ``k`` tangent
    vectors along the orbit, ``Z = Df(x[j]) Q[j]``, ``Q[j+1] R[j] = Z``
    (QR); the exponents are the averages of ``log |R[j]_ii|``. The
    Jacobian-matrix product comes from ``jax.linearize`` (``k``
    Jacobian-vector products; ``k = 1`` needs one JVP and a norm). Exponents
    of a linear map ``x -> A x`` are ``log |eig A|``; of the logistic map at
    r = 4, ``ln 2``. The error estimate is by batch means and assumes
    blocks longer than the correlation time; it does not include the bias
    of a finite burn-in.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import lyapunov_spectrum
    >>> A = np.array([[2.0, 1.0], [0.0, 0.5]])
    >>> res = lyapunov_spectrum(lambda x: A @ x, [1.0, 1.0], steps=100)
    >>> np.round(res.exponents, 10)  # log 2, log 0.5
    array([ 0.69314718, -0.69314718])
    """
    check_map(f)
    steps = check_positive_int("steps", steps)
    burn = check_nonneg_int("burn", burn)
    blocks = check_positive_int("blocks", blocks, minimum=2)
    if steps < blocks:
        raise SpecError(f"steps must be >= blocks ({blocks}) for the error estimate; got {steps}")
    st = as_states(x0)
    d = st.batch.shape[1]
    if k is None:
        k = d
    k = check_positive_int("k", k)
    if k > d:
        raise SpecError(f"k must be between 1 and the state dimension {d}; got {k}")
    block_len = steps // blocks
    used = block_len * blocks
    inp = as_inputs(u, inputs, burn + steps)
    with x64():
        g = flat_map(f, st.scalar, inp.driven)
        probe(g, jnp.asarray(st.batch[0]), _probe_input(inp))
        us_burn = us_blocks = None
        if inp.kind == "seq":
            us_burn = jnp.asarray(inp.value[:burn])
            keep = inp.value[burn:burn + used]
            us_blocks = jnp.asarray(keep.reshape((blocks, block_len) + keep.shape[1:]))
        run = jax.jit(jax.vmap(lambda x: _lyapunov_core(g, x, us_burn, us_blocks, burn, blocks,
                                                        block_len, k, inp)))
        sums = np.asarray(run(jnp.asarray(st.batch)))  # (n, blocks, k)
    means = sums / block_len
    exps = sums.sum(axis=1) / used
    stderr = means.std(axis=1, ddof=1) / np.sqrt(blocks)
    running = np.cumsum(sums, axis=1) / (block_len * np.arange(1, blocks + 1))[None, :, None]
    order = np.argsort(-exps, axis=1, kind="stable")
    exps = np.take_along_axis(exps, order, axis=1)
    stderr = np.take_along_axis(stderr, order, axis=1)
    running = np.take_along_axis(running, order[:, None, :], axis=2)
    return LyapunovResult(st.unbatch(exps), st.unbatch(stderr), st.unbatch(running), used, burn)
