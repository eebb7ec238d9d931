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


def _advance(g, x, Q, us, n: int, inputs, k: int, m: int):
    """``n`` steps of the state and of the tangent frame ``Q`` (d, k),
    re-orthonormalising every ``m`` steps (the last group may be shorter).

    Returns the state, the frame and the sum of ``log |diag R|`` of the QR
    factorisations (for ``k = 1``: of the norms). Between re-orthonormalisations
    the frame is only multiplied by ``Df`` (one Jacobian-vector product per
    column, from ``jax.jvp`` or ``jax.linearize``), which lets XLA run a few
    fused operations per step.
    """

    def tstep(c, u):
        x, Q = c
        if k == 1:
            y, z = jax.jvp(lambda s: g(s, u), (x,), (Q[:, 0],))
            return (y, z[:, None]), None
        y, lin = jax.linearize(lambda s: g(s, u), x)
        return (y, jax.vmap(lin, in_axes=1, out_axes=1)(Q)), None

    def renorm(Q):
        if k == 1:
            r = jnp.linalg.norm(Q[:, 0])
            return Q / r, jnp.log(r)[None]
        Qn, R = jnp.linalg.qr(Q)
        return Qn, jnp.log(jnp.abs(jnp.diagonal(R)))

    def group(c, us_g, length):
        x, Q, acc = c
        (x, Q), _ = scan_steps(g, (x, Q), us_g, length, inputs, tstep)
        Q, logs = renorm(Q)
        return (x, Q, acc + logs)

    acc = jnp.zeros(k, x.dtype)
    ng, rem = divmod(n, m)
    seq = inputs.kind == "seq"
    if ng:
        if seq:
            main = us[:ng * m].reshape((ng, m) + us.shape[1:])
            (x, Q, acc), _ = jax.lax.scan(lambda c, ug: (group(c, ug, m), None), (x, Q, acc),
                                          main)
        else:
            (x, Q, acc), _ = jax.lax.scan(lambda c, _: (group(c, None, m), None), (x, Q, acc),
                                          None, length=ng)
    if rem:
        x, Q, acc = group((x, Q, acc), us[ng * m:] if seq else None, rem)
    return x, Q, acc


def _lyapunov_core(g, x0, us_burn, us_blocks, burn, blocks, block_len, k, inputs, m=1):
    """Block sums of ``log |diag R|`` (blocks, k) for one flat state (pure, jittable).

    ``us_blocks`` is ``(blocks, block_len, ...)`` for an input sequence.
    """
    d = x0.shape[0]
    Q0 = jnp.eye(d, k, dtype=x0.dtype)
    x, Q, _ = _advance(g, x0, Q0, us_burn, burn, inputs, k, m)

    def block(carry, us):
        x, Q = carry
        x, Q, acc = _advance(g, x, Q, us, block_len, inputs, k, m)
        return (x, Q), acc

    if inputs.kind == "seq":
        _, sums = jax.lax.scan(block, (x, Q), us_blocks)
    else:
        _, sums = jax.lax.scan(lambda c, _: block(c, None), (x, Q), None, length=blocks)
    return sums


def largest_lyapunov_core(g, x0, us, burn: int, steps: int, inputs, m: int = 10):
    """The largest exponent of one flat state (pure; for vmapped grids).

    ``us`` is the whole per-step input sequence (``'seq'``) or ``None``; the
    tangent vector is renormalised every ``m`` steps.
    """
    us_burn = None if us is None else us[:burn]
    us_keep = None if us is None else us[burn:]
    d = x0.shape[0]
    q0 = (jnp.ones(d, x0.dtype) / jnp.sqrt(d))[:, None]
    x, q, _ = _advance(g, x0, q0, us_burn, burn, inputs, 1, m)
    _, _, acc = _advance(g, x, q, us_keep, steps, inputs, 1, m)
    return acc[0] / steps


def lyapunov_spectrum(f, x0, *, steps: int, burn: int = 0, u=None, inputs=None,
                      k: int | None = None, blocks: int = 20,
                      renorm_every: int | None = None) -> LyapunovResult:
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
    renorm_every : int, optional
        Re-orthonormalise the tangent frame every this many steps (default:
        10 for ``k = 1``, 1 otherwise). Between two, tangent vectors grow or
        shrink like ``exp(lambda m)``: keep ``m |lambda|`` and ``m`` times the
        gap between exponents well below ~700 (float64 range) and ~30
        (precision) respectively.

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
    Jacobian-vector products; ``k = 1`` needs one JVP per step and a norm
    every ``renorm_every`` steps). Exponents
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
    if renorm_every is None:
        m = 10 if k == 1 else 1
    else:
        m = check_positive_int("renorm_every", renorm_every)
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
                                                        block_len, k, inp, m)))
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
