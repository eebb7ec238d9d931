"""The JAX code of tnrnn.contract. Imported lazily, on first use.

Float64: JAX is float32 unless x64 is enabled. Every entry point here runs
its whole body (array conversion, tracing, execution) inside
``jax.enable_x64(True)`` through the one helper :func:`tnrnn._jax.x64`, so results are
float64 and agree with the numpy evaluator to float64 tolerance, while the
process-wide ``jax_enable_x64`` setting of the caller is left as it was.
"""

from __future__ import annotations

from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from .._jax import x64
from .plan import run_plan



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
    with x64():
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
#: Programs with fewer steps in repeated blocks than this run unrolled.
REROLL_MIN_STEPS = 24


def _program_fn(plan, reroll: bool = True):
    """The jitted function of ``plan``'s program, cached by
    :attr:`~tnrnn.contract.plan.Plan.program_key` (hashed once per plan).

    With ``reroll``, the repeated blocks of the program
    (:func:`tnrnn.contract.reroll.find_runs`) run under ``jax.lax.scan``,
    when they cover at least :data:`REROLL_MIN_STEPS` steps."""
    key = (plan.program_key, reroll)
    fn = _PROGRAMS.get(key)
    if fn is None:
        program = plan.program
        runs = []
        if reroll:
            from .reroll import find_runs

            runs = find_runs(*program)
            if sum(r.period * r.blocks for r in runs) < REROLL_MIN_STEPS:
                runs = []
        if runs:
            def contract(weights, X):
                return run_rerolled(program, runs, weights, X)
        else:
            def contract(weights, X):
                return run_plan(program, weights, X, jnp.einsum)

        fn = jax.jit(contract)
        _PROGRAMS[key] = fn
        while len(_PROGRAMS) > _MAX_PROGRAMS:
            _PROGRAMS.popitem(last=False)
    else:
        _PROGRAMS.move_to_end(key)
    return fn


def run_rerolled(program, runs, weights, X):
    """Trace ``program`` with each run of repeated blocks under
    ``jax.lax.scan`` (the other steps unrolled, as :func:`run_plan`).

    Block 0 of a run is unrolled (it reads the initial values); so are the
    next blocks while the carried values change shape from block to block
    (an initial state without the batch index, say): then the remaining
    blocks are one scan whose carry holds the carried results and the
    results read after the run in its last block only, and whose stacked
    outputs hold the results read after the run from earlier blocks.
    """
    sources, steps = program
    n = len(sources)
    vals: dict = {}
    stacked: dict = {}                   # id -> (stack, index)

    def get(v):
        if v in vals:
            return vals[v]
        if v in stacked:
            arr, i = stacked.pop(v)
            vals[v] = arr[i]
            return vals[v]
        kind, where = sources[v]
        vals[v] = weights[where] if kind == "w" else X[:, where - 1, :]
        return vals[v]

    def block(run, i, carry, xs):
        """Results of block ``i`` given the previous block's results
        ``carry`` (``None`` for block 0) and its inputs ``xs``."""
        res = {}
        for q, (eq, ops) in enumerate(zip(run.eqs, run.operands)):
            args = []
            for a, d in enumerate(ops):
                kind = d[0]
                if kind == "int":
                    args.append(res[d[1]])
                elif kind == "car":
                    args.append(get(run.initial[(q, a)]) if carry is None else carry[d[1]])
                elif kind == "w":
                    args.append(weights[d[1]])
                elif kind == "ext":
                    args.append(get(d[1]))
                else:
                    args.append(xs[(q, a)])
            res[q] = jnp.einsum(eq, *args)
        return res

    def x_at(run, i):
        return {(q, a): X[:, d[1] + i * d[2] - 1, :]
                for q, ops in enumerate(run.operands) for a, d in enumerate(ops)
                if d[0] == "x"}

    def store(run, i, res):
        base = n + run.start + i * run.period
        for q, v in res.items():
            vals[base + q] = v

    by_start = {r.start: r for r in runs}
    j = 0
    while j < len(steps):
        run = by_start.get(j)
        if run is None:
            ids, eq = steps[j]
            vals[n + j] = jnp.einsum(eq, *[get(v) for v in ids])
            j += 1
            continue
        carried = sorted({d[1] for ops in run.operands for d in ops if d[0] == "car"}
                         | set(run.last_only))
        for ops in run.operands:         # values from before the run, fetched
            for d in ops:                # here, outside the traces below
                if d[0] == "ext":
                    get(d[1])
        prev = block(run, 0, None, x_at(run, 0))
        store(run, 0, prev)
        i = 1
        while i < run.blocks:
            nxt = jax.eval_shape(lambda c: block(run, i, c, x_at(run, i)), prev)
            if all(nxt[q].shape == prev[q].shape and nxt[q].dtype == prev[q].dtype
                   for q in carried):
                break
            prev = block(run, i, prev, x_at(run, i))
            store(run, i, prev)
            i += 1
        if i < run.blocks:
            first = i
            idx = {key: np.arange(first, run.blocks) * d[2] + d[1] - 1
                   for key, d in ((((q, a)), d) for q, ops in enumerate(run.operands)
                                  for a, d in enumerate(ops) if d[0] == "x")}
            xs = {key: jnp.moveaxis(X[:, ix, :], 1, 0) for key, ix in idx.items()}

            def body(carry, x, run=run, carried=carried):
                res = block(run, None, dict(zip(carried, carry)), x)
                return (tuple(res[q] for q in carried),
                        tuple(res[q] for q in run.exported))

            carry, ys = jax.lax.scan(body, tuple(prev[q] for q in carried), xs)
            last = n + run.start + (run.blocks - 1) * run.period
            for q, v in zip(carried, carry):
                if q in run.last_only:
                    vals[last + q] = v
            for q, arr in zip(run.exported, ys):
                for k in range(first, run.blocks):
                    stacked[n + run.start + k * run.period + q] = (arr, k - first)
        j = run.stop
    return get(n + len(steps) - 1)


def contract(plan, weights, X, *, reroll: bool = True) -> np.ndarray:
    """Run ``plan`` under ``jax.jit`` (one compiled function per program and
    ``reroll`` setting); ``X`` is ``None`` for a plan without input operands
    (the grid view)."""
    fn = _program_fn(plan, reroll)
    with x64():
        out = fn(tuple(_as_f64(w) for w in weights), None if X is None else _as_f64(X))
        return np.asarray(out)
