"""The JAX code of tnrnn.contract. Imported lazily, on first use.

Float64: JAX is float32 unless x64 is enabled. Every entry point here runs
its whole body (array conversion, tracing, execution) inside
``jax.enable_x64(True)`` through the one helper :func:`_x64`, so results are
float64 and agree with the numpy evaluator to float64 tolerance, while the
process-wide ``jax_enable_x64`` setting of the caller is left as it was.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from .plan import run_plan


def _x64():
    """The float64 context every JAX computation of tnrnn runs in."""
    return jax.enable_x64(True)

#: Jitted contraction programs kept (least recently used dropped first).
_MAX_PROGRAMS = 32
_PROGRAMS: "OrderedDict[tuple, object]" = OrderedDict()


def clear_cache() -> None:
    """Forget the jitted contraction programs."""
    _PROGRAMS.clear()


def _as_f64(a):
    """A float64 *numpy* array: the jitted functions take numpy arguments and
    transfer them in their C++ dispatch path, which costs a few microseconds
    per argument, where a ``jnp.asarray`` per weight costs tens (measured:
    a 26-step depth-1 contraction, 8 weight slots, N = 256: 560 us per call
    with ``jnp.asarray``, 260 us without)."""
    return np.asarray(a, dtype=np.float64)


# ----------------------------------------------------------------- evaluate
def _rac_forward(W_H, W_I, W_O, h0, X):
    """Depth-L RAC; ``X`` is (N, T, M); scan over time, layers unrolled."""
    N = X.shape[0]
    carry0 = tuple(jnp.broadcast_to(h, (N, h.shape[0])) for h in h0)

    def step(carry, x):
        below = x
        new = []
        for l in range(len(W_H)):
            h = (carry[l] @ W_H[l].T) * (below @ W_I[l].T)
            new.append(h)
            below = h
        return tuple(new), None

    carry, _ = jax.lax.scan(step, carry0, jnp.swapaxes(X, 0, 1))
    return carry[-1] @ W_O.T


def _tt_forward(G, W_O, h0, X):
    """TT-RNN with core ``G`` (R, M, R)."""
    N = X.shape[0]

    def step(h, x):
        return jnp.einsum("ni,idj,nd->nj", h, G, x), None

    h, _ = jax.lax.scan(step, jnp.broadcast_to(h0, (N, h0.shape[0])),
                        jnp.swapaxes(X, 0, 1))
    return h @ W_O.T


_rac_jit = jax.jit(_rac_forward)
_tt_jit = jax.jit(_tt_forward)


def evaluate(params, X, *, tt: bool) -> np.ndarray:
    """Run the jitted evaluator on validated inputs."""
    with _x64():
        X = _as_f64(X)
        if tt:
            out = _tt_jit(_as_f64(params.G), _as_f64(params.W_O),
                          _as_f64(params.h0), X)
        else:
            out = _rac_jit(tuple(_as_f64(w) for w in params.W_H),
                           tuple(_as_f64(w) for w in params.W_I),
                           _as_f64(params.W_O),
                           tuple(_as_f64(h) for h in params.h0), X)
        return np.asarray(out)


# ----------------------------------------------------------------- contract
def _program_fn(plan):
    """The jitted function of ``plan``'s program, cached by
    :attr:`~tnrnn.contract.plan.Plan.program_key` (hashed once per plan)."""
    key = plan.program_key
    fn = _PROGRAMS.get(key)
    if fn is None:
        program = plan.program

        def contract(weights, X):
            return run_plan(program, weights, X, jnp.einsum)

        fn = jax.jit(contract)
        _PROGRAMS[key] = fn
        while len(_PROGRAMS) > _MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    else:
        _PROGRAMS.move_to_end(key)
    return fn


def contract(plan, weights, X) -> np.ndarray:
    """Run ``plan`` under ``jax.jit`` (one compiled function per program);
    ``X`` is ``None`` for a plan without input operands (the grid view)."""
    fn = _program_fn(plan)
    with _x64():
        out = fn(tuple(_as_f64(w) for w in weights), None if X is None else _as_f64(X))
        return np.asarray(out)
