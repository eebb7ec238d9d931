"""Exact costs, the unit order, and the problems the benchmarks run.

Costs (exact integers, opt_einsum's convention: a multiply-add counts 2)
-------------------------------------------------------------------------
**[derived]** The recurrence (``tnrnn.circuit.evaluate``) on ``N`` sequences
does, per layer ``l`` and step, ``h W_H^T`` (``2NR^2``), ``below W_I^T``
(``2NR d_l`` with ``d_1 = M``, ``d_l = R`` above) and their Hadamard product
(``NR``), then the read-out ``2NKR``::

    F_rec = N (T sum_l (2R^2 + 2R d_l + R) + 2KR).

**[derived]** The *unit order* on the duplicated network (form ``"cp"``,
copies folded, batch ``N``; :func:`unit_order_path`) contracts every unit
copy as the recurrence computes a unit: ``W_I`` with what is below it
(``2NR d_l``), ``W_H`` with the previous state (``2NR^2``, or ``2R^2`` when
that state is ``h0``, which carries no batch index), their Hadamard product
(``NR``, nothing summed: the hyperedge is still carried by the consumer),
and the read-out ``W_O`` last (``2NKR``). With ``n_l = C(T+L-l, L-l+1)``
copies of layer-``l`` units, of which ``s_l = C(T-1+L-l, L-l)`` sit at
``t = 1``::

    F_unit = sum_l [n_l (2NR d_l + NR) + (n_l - s_l) 2NR^2 + s_l 2R^2] + 2NKR.

For ``L = 1``: ``F_unit = T (2NRM + NR) + (T-1) 2NR^2 + 2R^2 + 2NKR``, the
recurrence's cost less ``2(N-1)R^2``. For deep networks
``F_unit / F_rec -> (C(T+L, L) - 1) / (T L)`` (copies over units, for
``M = R``): the duplication factor, which no contraction order removes, since
every order must combine every copy's weights with its input at least once
(XLA's common-subexpression elimination merges the copies in the jitted
engines: a compiled program, not a contraction order).

Examples
--------
>>> from tnrnn.circuit import RAC
>>> recurrence_flops(RAC(1, 2, 3, 4), 5)
460
>>> unit_order_flops(RAC(1, 2, 3, 4), 5)
428
"""

from __future__ import annotations

import math

import numpy as np

from ..circuit import RAC, one_hot
from ..errors import SpecError
from ..network import Network

# --------------------------------------------------------------------------
# Closed forms and the unit order
# --------------------------------------------------------------------------
def recurrence_flops(spec: RAC, batch: int) -> int:
    """``F_rec`` of the module docstring: what ``tnrnn.circuit.evaluate``
    does on ``batch`` sequences.

    Parameters
    ----------
    spec : RAC
    batch : int
        Sequences evaluated together (``N``).

    Returns
    -------
    int

    Examples
    --------
    Depth 1, ``R = 2, M = 3, T = 4``, one output: per step ``2 R^2`` (``W_H h``),
    ``2 R M`` (``W_I x``) and ``R`` (the product), then ``2 K R`` for the
    readout, per sequence:

    >>> from tnrnn.circuit import RAC
    >>> recurrence_flops(RAC(1, 2, 3, 4), 5) == 5 * (4 * (2 * 4 + 2 * 6 + 2) + 2 * 2)
    True
    """
    R, K, T = spec.hidden, spec.outputs, spec.length
    per_step = sum(2 * R * R + 2 * R * spec.layer_input_dim(l) + R
                   for l in range(1, spec.depth + 1))
    return batch * (T * per_step + 2 * K * R)


def unit_order_flops(spec: RAC, batch: int) -> int:
    """``F_unit`` of the module docstring: the unit order on the duplicated
    network (closed form; :func:`unit_order_path` builds the path).

    Parameters
    ----------
    spec : RAC
    batch : int
        Sequences evaluated together (``N``).

    Returns
    -------
    int

    Examples
    --------
    At depth 1 there is no duplication: the unit order runs the recurrence's
    products, except that the first ``W_H h0`` is shared by the batch:

    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(1, 2, 3, 4)
    >>> recurrence_flops(spec, 5) - unit_order_flops(spec, 5) == (5 - 1) * 2 * 2 * 2
    True
    """
    T, L, R, K, N = spec.length, spec.depth, spec.hidden, spec.outputs, batch
    total = 2 * N * K * R
    for l in range(1, L + 1):
        n = math.comb(T + L - l, L - l + 1)
        s = math.comb(T - 1 + L - l, L - l)
        d = spec.layer_input_dim(l)
        total += n * (2 * N * R * d + N * R) + (n - s) * 2 * N * R * R + s * 2 * R * R
    return total


def unit_order_path(net: Network) -> list:
    """The unit order (module docstring) as a linear path for
    ``network_view(net, batch=N)`` (form ``"cp"``, copies folded).

    Parameters
    ----------
    net : Network
        Compiled in form ``"cp"``.

    Returns
    -------
    list of tuple
        Linear contraction path (pairs of positions), opt_einsum's format.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.contract import network_view
    >>> net = compile_network(RAC(2, 2, 2, 3))
    >>> path = unit_order_path(net)
    >>> len(path) == len(network_view(net, batch=1).inputs) - 1  # every operand joined once
    True
    """
    from ..contract import network_view
    from ..contract.pathutils import ssa_to_linear

    if net.meta.get("form") != "cp":
        raise SpecError("the unit order is defined for form 'cp' networks")
    v = network_view(net, batch=1)
    pos = {net.tensors[p].name: k for k, (kind, p) in enumerate(v.sources)
           if kind == "tensor"}
    n_t = len(pos)
    leg_op = {}
    for leg in net.legs:
        if leg.role == "input":
            leg_op[leg.index] = n_t + len(leg_op)
    ssa: list = []
    fresh = [len(v.inputs)]

    def join(a, b):
        ssa.append((a, b))
        fresh[0] += 1
        return fresh[0] - 1

    by_name = {t.name: t for t in net.tensors}
    done: dict = {}
    root = next(t for t in net.tensors if t.kind == "W_O")
    top = root.indices[1][1:]  # "h{T}.{L}#0" -> tag
    stack = [top]
    while stack:
        tag = stack[-1]
        H, I = by_name[f"H{tag}"], by_name[f"I{tag}"]
        prev, below = H.indices[1], I.indices[1]
        need = [ix[1:] for ix in (prev, below) if ix.startswith("h") and ix[1:] not in done]
        if need:
            stack.extend(need)
            continue
        stack.pop()
        if tag in done:
            continue
        if below.startswith("x"):
            b = join(pos[I.name], leg_op[below])
        else:
            b = join(pos[I.name], done[below[1:]])
        if prev.startswith("s"):
            h = join(pos[H.name], pos[f"S{prev[1:]}"])
        else:
            h = join(pos[H.name], done[prev[1:]])
        done[tag] = join(h, b)
    join(pos[root.name], done[top])
    return ssa_to_linear(ssa, len(v.inputs))


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------
def log_abs_outputs(spec: RAC, params, X) -> np.ndarray:
    """``log |y|`` per sequence (largest output), by a recurrence whose
    states are renormalised every step (their logarithmic scales carried
    apart), so it neither under- nor overflows however long the sequence.

    Parameters
    ----------
    spec : RAC
    params : RACParams
    X : array of shape (N, T, M)

    Returns
    -------
    array of shape (N,)
        ``log |y|`` of the largest output of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import RAC, evaluate, init_params, random_inputs
    >>> spec = RAC(2, 3, 2, 5)
    >>> p, X = init_params(spec, seed=0), random_inputs(spec, 4, seed=1)
    >>> bool(np.allclose(log_abs_outputs(spec, p, X), np.log(np.abs(evaluate(spec, p, X)).max(axis=1))))
    True
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    below = [X[:, t] for t in range(spec.length)]
    below_log = [np.zeros(n) for _ in range(spec.length)]
    for l in range(spec.depth):
        h = np.broadcast_to(params.h0[l], (n, spec.hidden)).astype(float)
        hlog = np.zeros(n)
        out, out_log = [], []
        for t in range(spec.length):
            h = (h @ params.W_H[l].T) * (below[t] @ params.W_I[l].T)
            norm = np.linalg.norm(h, axis=1)
            norm = np.where(norm > 0, norm, 1.0)
            h = h / norm[:, None]
            hlog = hlog + below_log[t] + np.log(norm)
            out.append(h)
            out_log.append(hlog)
        below, below_log = out, out_log
    y = np.abs(below[-1] @ params.W_O.T).max(axis=1)
    return below_log[-1] + np.log(np.where(y > 0, y, np.finfo(float).tiny))


def benchmark_problem(spec: RAC, kind: str, batch: int, *, seed: int = 0,
                      max_log_range: float = 40.0):
    """Weights and inputs ``(params, X, delta)`` whose values stay of order
    one, however long or deep the circuit.

    Generic Gaussian weights do not: the output is a polynomial of degree
    ``C(T+L-1, L)`` in the inputs, and products of that many Gaussian
    factors drift by about ``-1.3`` (natural log) per factor and spread
    across sequences like ``T^(L-1/2)``: float64 under- or overflows within
    a few hundred steps at depth 1 and a few dozen at depth 3, which makes
    comparing results vacuous, and subnormal numbers slow the arithmetic
    down. So every factor is kept near 1: ``h0 = 1``, ``W_H = I + delta
    G / sqrt(R)``, ``W_I[1] = 1 + delta G / sqrt(M)`` (``R x M`` ones plus
    noise), ``W_I[l] = (1 + delta G) / R`` above, ``W_O = G / sqrt(R)``, and
    inputs ``x = (1 + delta g) / M`` (``kind="output"``) or every one-hot
    sequence (``kind="grid"``, ``batch`` ignored), with ``G, g`` standard
    normal. The states stay near the all-ones vector; ``delta`` starts at
    0.5 and is halved until ``log |y|`` spans less than ``max_log_range``
    over the batch (:func:`log_abs_outputs`). Timings do not depend on the
    values otherwise (dense float64 arithmetic).

    Parameters
    ----------
    spec : RAC
    kind : {"output", "grid"}
        The workload.
    batch : int
        Sequences (``"output"`` only).
    seed : int
        Seed of the weights and inputs.
    max_log_range : float, default 40.0
        Largest spread of ``log |y|`` over the batch.

    Returns
    -------
    tuple
        ``(params, X, delta)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(3, 4, 4, 40)
    >>> params, X, delta = benchmark_problem(spec, "output", 8)
    >>> logy = log_abs_outputs(spec, params, X)
    >>> X.shape, bool(np.ptp(logy) < 40.0 and np.abs(logy).max() < 300), 0 < delta <= 0.5
    ((8, 40, 4), True, True)
    """
    from ..circuit import RACParams

    rng = np.random.default_rng(seed)
    R, M, T, L, K = spec.hidden, spec.input_dim, spec.length, spec.depth, spec.outputs
    G_H = [rng.standard_normal((R, R)) for _ in range(L)]
    G_I = [rng.standard_normal((R, spec.layer_input_dim(l + 1))) for l in range(L)]
    W_O = rng.standard_normal((K, R)) / math.sqrt(R)
    if kind == "grid":
        X = one_hot_sequences(T, M)
    else:
        g = np.random.default_rng(seed + 1).standard_normal((batch, T, M))
    delta = 0.5
    while True:
        if kind != "grid":
            X = (1.0 + delta * g) / M
        W_I = [np.ones((R, M)) + delta * G_I[0] / math.sqrt(M)]
        W_I += [(np.ones((R, R)) + delta * G_I[l]) / R for l in range(1, L)]
        params = RACParams(
            W_H=tuple(np.eye(R) + delta * G / math.sqrt(R) for G in G_H),
            W_I=tuple(W_I), W_O=W_O, h0=tuple(np.ones(R) for _ in range(L)))
        logy = log_abs_outputs(spec, params, X)
        spread = float(np.max(logy) - np.min(logy))
        if (np.all(np.isfinite(logy)) and spread < max_log_range
                and np.max(np.abs(logy)) < 300) or delta < 1e-6:
            return params, X, delta
        delta /= 2


def one_hot_sequences(T: int, M: int) -> np.ndarray:
    """All ``M^T`` one-hot sequences ``(M^T, T, M)`` in lexicographic order
    (sequence ``k`` has digits ``s_1 .. s_T`` of ``k`` in base ``M``), so the
    outputs reshape to ``A[s_1, ..., s_T]``.

    Parameters
    ----------
    T : int
        Sequence length.
    M : int
        Alphabet size.

    Returns
    -------
    array of shape (M^T, T, M)

    Examples
    --------
    >>> X = one_hot_sequences(2, 3)
    >>> X.shape, [tuple(int(i) for i in x.argmax(axis=1)) for x in X[:4]]
    ((9, 2, 3), [(0, 0), (0, 1), (0, 2), (1, 0)])
    """
    digits = np.indices((M,) * T).reshape(T, -1).T
    return one_hot(digits, M)
