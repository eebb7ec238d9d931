"""Lyapunov spectra by the QR (Benettin) method with Jacobians from autodiff."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (LOOP_COST, Inputs, as_inputs, as_states, cached, check_limit, check_map,
                    check_nonneg_int, fields_dict, flat_map, probe, refuse_if_over, scan_steps,
                    x64)
from .simulate import _const, _probe_input
from ..errors import SpecError, check_positive_int

__all__ = ["LyapunovResult", "lyapunov_spectrum", "STATUS"]


@dataclasses.dataclass(frozen=True, eq=False)
class LyapunovResult:
    """Lyapunov exponents in nats per step.

    Parameters
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
    status : str or numpy.ndarray
        ``'ok'``, or why the exponents are undefined (NaN): ``'diverged'``
        (the orbit left the float range) or ``'overflow'`` (the tangent
        vectors did, between re-orthonormalisations); one per initial state
        for a batch. See :data:`STATUS`.

    Notes
    -----
    An exponent is ``-inf`` (with ``stderr`` 0) where a tangent direction
    collapsed to exactly zero: a Jacobian along the orbit annihilated it, as
    for the zero map or a superstable orbit. It is NaN only where the status
    is not ``'ok'``, never a verdict computed from an overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import LyapunovResult
    >>> r = LyapunovResult(np.array([0.5, -1.0]), np.zeros(2), np.zeros((1, 2)), 10, 0)
    >>> float(r.max), r.to_dict()["exponents"], r.status
    (0.5, [0.5, -1.0], 'ok')
    """

    exponents: np.ndarray
    stderr: np.ndarray
    running: np.ndarray
    steps: int
    burn: int
    status: object = "ok"

    @property
    def max(self):
        """The largest exponent (per initial state for a batch)."""
        return self.exponents[..., 0]

    def to_dict(self) -> dict:
        """The result as JSON-able Python (arrays as lists; ``-inf`` and NaN as floats).

        Returns
        -------
        dict
            One entry per field, under the field's name.

        Examples
        --------
        >>> import numpy as np
        >>> from tnrnn.dynamics import LyapunovResult
        >>> d = LyapunovResult(np.array([-np.inf]), np.zeros(1), np.zeros((2, 1)), 20, 0).to_dict()
        >>> sorted(d), d["exponents"]
        (['burn', 'exponents', 'running', 'status', 'stderr', 'steps'], [-inf])
        """
        return fields_dict(self)


def _advance(g, x, Q, us, n: int, inputs, k: int, m: int, flags=None):
    """``n`` steps of the state and of the tangent frame ``Q`` (d, k),
    re-orthonormalising every ``m`` steps (the last group may be shorter).

    Returns the state, the frame, the sum of ``log |diag R|`` of the QR
    factorisations (for ``k = 1``: of the norms) and two flags: the orbit
    stayed finite, the tangent frame stayed finite between
    re-orthonormalisations. Between re-orthonormalisations the frame is only
    multiplied by ``Df`` (one Jacobian-vector product per column, from
    ``jax.jvp`` or ``jax.linearize``), which lets XLA run a few fused
    operations per step. A tangent vector that becomes exactly zero (a
    singular Jacobian along it) contributes ``log 0 = -inf`` and stays zero:
    its exponent is ``-inf``, not NaN.
    """
    if flags is None:
        flags = jnp.ones(2, bool)

    def tstep(c, u):
        x, Q, fl = c
        if k == 1:
            y, z = jax.jvp(lambda s: g(s, u), (x,), (Q[:, 0],))
            Z = z[:, None]
        else:
            y, lin = jax.linearize(lambda s: g(s, u), x)
            Z = jax.vmap(lin, in_axes=1, out_axes=1)(Q)
        fl = fl.at[0].set(fl[0] & jnp.all(jnp.isfinite(y)))
        return (y, Z, fl), None

    def renorm(Q, fl):
        fl = fl.at[1].set(fl[1] & jnp.all(jnp.isfinite(Q)))
        if k == 1:
            r = jnp.linalg.norm(Q[:, 0])
            Q = jnp.where(r > 0, Q / jnp.where(r > 0, r, 1.0), Q)
            return Q, jnp.log(r)[None], fl
        Qn, R = jnp.linalg.qr(Q)
        return Qn, jnp.log(jnp.abs(jnp.diagonal(R))), fl

    def group(c, us_g, length):
        x, Q, acc, fl = c
        (x, Q, fl), _ = scan_steps(g, (x, Q, fl), us_g, length, inputs, tstep)
        Q, logs, fl = renorm(Q, fl)
        return (x, Q, acc + logs, fl)

    acc = jnp.zeros(k, x.dtype)
    ng, rem = divmod(n, m)
    seq = inputs.kind == "seq"
    c = (x, Q, acc, flags)
    if ng:
        if seq:
            main = us[:ng * m].reshape((ng, m) + us.shape[1:])
            c, _ = jax.lax.scan(lambda c, ug: (group(c, ug, m), None), c, main)
        else:
            c, _ = jax.lax.scan(lambda c, _: (group(c, None, m), None), c, None, length=ng)
    if rem:
        c = group(c, us[ng * m:] if seq else None, rem)
    return c


def _lyapunov_core_flags(g, x0, us_burn, us_blocks, burn, blocks, block_len, k, inputs, m=1):
    """Block sums of ``log |diag R|`` (blocks, k) for one flat state, and the
    two flags of :func:`_advance` (pure, jittable).

    ``us_blocks`` is ``(blocks, block_len, ...)`` for an input sequence.
    """
    d = x0.shape[0]
    Q0 = jnp.eye(d, k, dtype=x0.dtype)
    x, Q, _, fl = _advance(g, x0, Q0, us_burn, burn, inputs, k, m)

    def block(carry, us):
        x, Q, fl = carry
        x, Q, acc, fl = _advance(g, x, Q, us, block_len, inputs, k, m, fl)
        return (x, Q, fl), acc

    if inputs.kind == "seq":
        (_, _, fl), sums = jax.lax.scan(block, (x, Q, fl), us_blocks)
    else:
        (_, _, fl), sums = jax.lax.scan(lambda c, _: block(c, None), (x, Q, fl), None,
                                        length=blocks)
    return sums, fl


def _lyapunov_core(g, x0, us_burn, us_blocks, burn, blocks, block_len, k, inputs, m=1):
    """Block sums of ``log |diag R|`` (blocks, k) for one flat state (pure, jittable)."""
    return _lyapunov_core_flags(g, x0, us_burn, us_blocks, burn, blocks, block_len, k, inputs,
                                m)[0]


def largest_lyapunov_core(g, x0, us, burn: int, steps: int, inputs, m: int = 10):
    """The largest exponent of one flat state (pure; for vmapped grids).

    ``us`` is the whole per-step input sequence (``'seq'``) or ``None``; the
    tangent vector is renormalised every ``m`` steps. NaN where the result is
    undefined (the orbit or the tangent vector left the float range);
    ``-inf`` where the tangent vector collapsed to zero.
    """
    us_burn = None if us is None else us[:burn]
    us_keep = None if us is None else us[burn:]
    d = x0.shape[0]
    q0 = (jnp.ones(d, x0.dtype) / jnp.sqrt(d))[:, None]
    x, q, _, fl = _advance(g, x0, q0, us_burn, burn, inputs, 1, m)
    _, _, acc, fl = _advance(g, x, q, us_keep, steps, inputs, 1, m, fl)
    return jnp.where(jnp.all(fl), acc[0] / steps, jnp.nan)


def _lyapunov_program(f, scalar, kind, burn, blocks, block_len, k, m):
    """The compiled :func:`lyapunov_spectrum` for one map:
    ``run(X, u, us_burn, us_blocks)``, vmapped over the initial states ``X``."""
    g = flat_map(f, scalar, kind != "none")

    def one(x, u, us_burn, us_blocks):
        return _lyapunov_core_flags(g, x, us_burn, us_blocks, burn, blocks, block_len, k,
                                    Inputs(kind, u), m)

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, None)))


#: What :attr:`LyapunovResult.status` says, and why the exponents are NaN when it is not ``'ok'``.
STATUS = {
    "ok": "defined",
    "diverged": "undefined: the orbit left the domain (a state became infinite or NaN)",
    "overflow": "undefined: the tangent vectors left the float range between "
                "re-orthonormalisations (lower renorm_every)",
}


def lyapunov_spectrum(f, x0, *, steps: int, burn: int = 0, u=None, inputs=None,
                      k: int | None = None, blocks: int = 20,
                      renorm_every: int | None = None, max_work: float = 1e12) -> LyapunovResult:
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
    max_work : float
        Refuse (before any work) a run estimated above this many
        multiply-adds.

    Returns
    -------
    LyapunovResult
        ``exponents`` sorted descending, ``stderr``, ``running``.

    Raises
    ------
    SpecError
        On bad sizes, ``k`` outside ``1..d``, or ``steps < blocks``.
    TooLargeError
        If the work, about ``(burn + steps) (n (k d^2 + 2 d k^2) + 2000)``
        multiply-adds for ``n`` initial states, exceeds ``max_work``.

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

    Written here, with no library, because none fits: the JAX libraries
    (diffrax, optimistix, lineax) integrate, solve and factorise but have no
    Lyapunov routine; DynamicalSystems.jl has one, in Julia; the Python
    packages (nolds, for one) estimate the largest exponent from a time
    series, without the map's Jacobians, and cannot be traced, vmapped over
    grids or differentiated. The method itself is a dozen lines of
    ``jax.linearize`` and ``jnp.linalg.qr`` inside ``lax.scan``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import lyapunov_spectrum
    >>> A = np.array([[2.0, 1.0], [0.0, 0.5]])
    >>> res = lyapunov_spectrum(lambda x: A @ x, [1.0, 1.0], steps=100)
    >>> np.round(res.exponents, 10)  # log 2, log 0.5
    array([ 0.69314718, -0.69314718])
    >>> lyapunov_spectrum(lambda x: 0.0 * x, 1.0, steps=100).exponents  # the zero map
    array([-inf])
    >>> res = lyapunov_spectrum(lambda x: 5.0 * x * (1.0 - x), 0.3, steps=2000)
    >>> res.status, res.exponents  # the orbit escapes to -infinity
    ('diverged', array([nan]))
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
    max_work = check_limit("max_work", max_work)
    n = st.batch.shape[0]
    refuse_if_over((burn + steps) * (n * (k * d * d + 2.0 * d * k * k) + LOOP_COST), max_work,
                   f"Lyapunov spectrum of {n} state(s), d = {d}, k = {k}, {burn} + {steps} "
                   "steps: multiply-adds", "max_work",
                   "raise max_work or use fewer steps, states or a smaller k")
    block_len = steps // blocks
    used = block_len * blocks
    inp = as_inputs(u, inputs, burn + steps)
    with x64():
        probe(flat_map(f, st.scalar, inp.driven), st.batch[0], _probe_input(inp),
              f=f, key=(st.scalar, inp.driven))
        us_burn = us_blocks = None
        if inp.kind == "seq":
            us_burn = inp.value[:burn]
            keep = inp.value[burn:burn + used]
            us_blocks = keep.reshape((blocks, block_len) + keep.shape[1:])
        static = (st.scalar, inp.kind, burn, blocks, block_len, k, m)
        run = cached(f, ("lyapunov",) + static, lambda fw: _lyapunov_program(fw, *static))
        sums, flags = run(st.batch, _const(inp), us_burn, us_blocks)
        sums, flags = np.asarray(sums), np.asarray(flags)  # (n, blocks, k), (n, 2)
    status = np.where(~flags[:, 0], "diverged", np.where(~flags[:, 1], "overflow", "ok"))
    bad = status != "ok"
    sums = np.where(bad[:, None, None], np.nan, sums)
    means = sums / block_len
    with np.errstate(invalid="ignore"):
        exps = sums.sum(axis=1) / used
        stderr = means.std(axis=1, ddof=1) / np.sqrt(blocks)
        running = np.cumsum(sums, axis=1) / (block_len * np.arange(1, blocks + 1))[None, :, None]
    stderr = np.where(exps == -np.inf, 0.0, stderr)  # a collapsed tangent: exactly -inf
    order = np.argsort(-exps, axis=1, kind="stable")
    exps = np.take_along_axis(exps, order, axis=1)
    stderr = np.take_along_axis(stderr, order, axis=1)
    running = np.take_along_axis(running, order[:, None, :], axis=2)
    return LyapunovResult(st.unbatch(exps), st.unbatch(stderr), st.unbatch(running), used, burn,
                          str(status[0]) if st.single else status)
