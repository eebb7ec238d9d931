"""Contract a compiled network with input vectors attached, on a choice of
engines (one registry), and evaluate circuits with JAX.

Three tiers: the engines are plain functions ``engine(net, arrays, X, *,
optimize, max_intermediate) -> (N, ...) array`` that trust their inputs;
:func:`contract_network` validates (spec, parameters, inputs, options) and
then calls one; the jitted JAX code (``tnrnn.contract._jax``) holds no checks.

JAX is imported only when the ``"jax"`` engine or :func:`evaluate_jax` runs,
and tensornetwork only when the ``"tensornetwork"`` engine runs.

Examples
--------
>>> import numpy as np
>>> from tnrnn.circuit import RAC, evaluate, init_params, random_inputs
>>> from tnrnn.compile import compile_network
>>> spec = RAC(depth=2, hidden=2, input_dim=3, length=3)
>>> params, X = init_params(spec, seed=0), random_inputs(spec, 4, seed=1)
>>> y = contract_network(compile_network(spec), spec, params, X, engine="numpy")
>>> y.shape, bool(np.allclose(y, evaluate(spec, params, X)))
((4, 1), True)
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np

from ..circuit import TTRNN, check_inputs
from ..compile import check_network_spec, tensor_arrays
from ..errors import MissingDependencyError, SpecError, check_positive_int
from ..network import Network
from ._checks import check_float_inputs, check_float_params
from .cost import DEFAULT_MAX_INTERMEDIATE
from .plan import plan_contraction, run_plan

__all__ = ["ENGINES", "get_engine", "contract_network", "evaluate_jax",
           "clear_caches"]


def _weights(plan, arrays):
    return [arrays[p] for p in plan.slot_tensors]


def _pairwise(eq: str, a, b):
    """``einsum(eq, a, b)`` by transposes and one batched ``matmul``, for
    steps over more distinct indices than ``numpy.einsum`` has letters (52).
    Needs no repeated index within an operand (true of plan steps)."""
    ins, res = eq.split("->")
    ta, tb = ins.split(",")
    both = [i for i in ta if i in tb]
    batch = [i for i in both if i in res]
    summed = [i for i in both if i not in res]
    # Indices on one side only: sum them out now unless the result keeps them.
    a = a.sum(axis=tuple(k for k, i in enumerate(ta) if i not in tb and i not in res))
    b = b.sum(axis=tuple(k for k, i in enumerate(tb) if i not in ta and i not in res))
    ta = [i for i in ta if i in tb or i in res]
    tb = [i for i in tb if i in ta or i in res]
    keep_a = [i for i in ta if i not in tb]
    keep_b = [i for i in tb if i not in ta]
    dims = {**dict(zip(ta, a.shape)), **dict(zip(tb, b.shape))}

    def size(ix):
        return int(np.prod([dims[i] for i in ix], dtype=np.int64))

    a = a.transpose([ta.index(i) for i in batch + keep_a + summed]).reshape(
        size(batch), size(keep_a), size(summed))
    b = b.transpose([tb.index(i) for i in batch + summed + keep_b]).reshape(
        size(batch), size(summed), size(keep_b))
    order = batch + keep_a + keep_b
    out = (a @ b).reshape([dims[i] for i in order])
    return out.transpose([order.index(i) for i in res])


def _numpy_einsum(eq: str, *operands):
    """``opt_einsum.contract`` (BLAS where it applies), or :func:`_pairwise`
    for a two-operand step over more than 52 distinct indices."""
    import opt_einsum

    if len(operands) == 2 and len(set(eq) - set(",->")) > 52:
        return _pairwise(eq, *operands)
    return opt_einsum.contract(eq, *operands)


def numpy_engine(net: Network, arrays, X, *, optimize="auto",
                 max_intermediate=DEFAULT_MAX_INTERMEDIATE) -> np.ndarray:
    """Eager numpy: each step of the plan runs through ``opt_einsum.contract``
    (BLAS ``tensordot`` where it applies); a step over more than 52 distinct
    indices, more than ``numpy.einsum`` has letters for, runs as transposes
    and one batched ``matmul`` instead."""
    plan = plan_contraction(net, batch=X.shape[0], optimize=optimize,
                            max_intermediate=max_intermediate)
    return run_on("numpy", plan, _weights(plan, arrays), X)


def run_on(engine: str, plan, weights, X) -> np.ndarray:
    """Run ``plan`` with one array per weight slot and inputs ``X`` (or
    ``None`` for a plan without input operands) on ``"numpy"`` (eager,
    :func:`_numpy_einsum` per step) or ``"jax"`` (jitted, cached per
    program); the one place the plan-running engines share."""
    if engine == "numpy":
        return np.asarray(run_plan(plan.program, weights, X, _numpy_einsum))
    from . import _jax

    return _jax.contract(plan, weights, X)


def jax_engine(net: Network, arrays, X, *, optimize="auto",
               max_intermediate=DEFAULT_MAX_INTERMEDIATE) -> np.ndarray:
    """The same plan traced once under ``jax.jit`` in float64; the compiled
    function is cached per program (network structure and path) and
    re-specialised by JAX per batch shape. Repeated blocks of the program
    (the steps of one time step along a chain) run under ``jax.lax.scan``
    (:mod:`tnrnn.contract.reroll`): depth 1, ``R = M = 8``, ``T = 1024``:
    first call 0.46 s instead of 20.8 s unrolled, then 11 ms instead of 26."""
    plan = plan_contraction(net, batch=X.shape[0], optimize=optimize,
                            max_intermediate=max_intermediate)
    return run_on("jax", plan, _weights(plan, arrays), X)


def tensornetwork_engine(net: Network, arrays, X, *, optimize="auto",
                         max_intermediate=DEFAULT_MAX_INTERMEDIATE) -> np.ndarray:
    """tensornetwork 0.4.6: ``Network.to_tensornetwork`` (copy tensors as
    ``CopyNode``), one ``Node`` per input vector joined with ``^``, and
    ``tensornetwork.contractors.contract_path`` along the path found by
    ``optimize`` on the unfolded view. One sequence at a time (a Python loop
    over the batch)."""
    try:
        import tensornetwork as tn
    except ImportError as exc:
        raise MissingDependencyError(
            "the 'tensornetwork' engine needs tensornetwork: pip install "
            "tensornetwork==0.4.6") from exc
    plan = plan_contraction(net, batch=1, optimize=optimize, fold_copies=False,
                            max_intermediate=max_intermediate)
    path = [tuple(s) for s in plan.cost.path]
    out = []
    for n in range(X.shape[0]):
        nodes, open_edges = net.to_tensornetwork(arrays)
        inputs, outputs = [], []
        for leg, edge in zip(net.legs, open_edges):
            if leg.role == "input":
                node = tn.Node(np.asarray(X[n, leg.time - 1]), name=f"x:{leg.index}")
                node[0] ^ edge
                inputs.append(node)
            else:
                outputs.append(edge)
        result = tn.contractors.contract_path(path, list(nodes) + inputs, outputs)
        out.append(np.asarray(result.tensor))
    return np.stack(out)


#: The contraction engines, by name.
ENGINES: dict[str, Callable] = {
    "jax": jax_engine,
    "numpy": numpy_engine,
    "tensornetwork": tensornetwork_engine,
}


def get_engine(name: str) -> Callable:
    """The contraction engine registered under ``name``.

    Parameters
    ----------
    name : {"jax", "numpy", "tensornetwork"}
        The engine.

    Returns
    -------
    callable
        ``engine(net, arrays, X, ...)``.

    Examples
    --------
    >>> get_engine("numpy") is numpy_engine
    True
    >>> get_engine("torch")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown engine 'torch'; valid names: 'jax', 'numpy', 'tensornetwork'
    """
    try:
        return ENGINES[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in ENGINES)
        raise SpecError(f"unknown engine {name!r}; valid names: {valid}") from None


def contract_network(net: Network, spec, params, X, *, engine: str = "jax",
                     optimize="auto",
                     max_intermediate: int = DEFAULT_MAX_INTERMEDIATE) -> np.ndarray:
    """Contract a compiled network with ``X[:, t-1]`` on every copy of input
    leg ``t``, for a batch of sequences.

    Parameters
    ----------
    net : Network
        From :func:`tnrnn.compile.compile_network` applied to ``spec``.
    spec : RAC or TTRNN
    params : RACParams or TTParams
    X : array of shape (N, T, M) or (T, M)
        Input vectors; all copies of ``x_t`` get the same vector.
    engine : {"jax", "numpy", "tensornetwork"}
        See :data:`ENGINES`.
    optimize : str, callable or path
        Path finder name (:data:`tnrnn.contract.paths.PATH_FINDERS`; default
        ``"auto"``, the tree order on compiled networks), a finder function,
        or an explicit linear path for the engine's view (folded copies and
        batch index for ``"jax"``/``"numpy"``; explicit copy tensors for
        ``"tensornetwork"``).
    max_intermediate : int
        Refuse, before any array work, a contraction whose largest
        intermediate would hold more entries (default
        :data:`~tnrnn.contract.cost.DEFAULT_MAX_INTERMEDIATE`).

    Returns
    -------
    numpy array of shape (N, K)
        Equal to :func:`tnrnn.circuit.evaluate` up to rounding.

    Raises
    ------
    SpecError
        Unknown engine or path finder, wrong shapes, a network compiled
        from another spec, integer weights (``init_params_modp``: the float
        contraction would overflow to inf/nan), or inputs that are not finite
        numbers.
    TooLargeError
        When the largest intermediate exceeds ``max_intermediate`` (with the
        estimate and the limit).

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(hidden=3, input_dim=2, length=5)
    >>> p, X = init_params(spec, seed=2), random_inputs(spec, 3, seed=3)
    >>> y = contract_network(compile_network(spec), spec, p, X)
    >>> bool(np.allclose(y, evaluate(spec, p, X)))
    True
    """
    run = get_engine(engine)
    max_intermediate = check_positive_int("max_intermediate", max_intermediate)
    check_float_params(spec, params, where="contract_network")
    if not isinstance(net, Network):
        raise SpecError(f"net must be a Network; got {type(net).__name__}")
    check_network_spec(net, spec)
    X = check_inputs(spec, check_float_inputs(X, where="contract_network"))
    if run in (jax_engine, numpy_engine) and not callable(optimize):
        # The plan (cached per network for a name or an explicit path) reads
        # one tensor per weight slot: build only those arrays. Building all
        # of them is a Python loop over the network on every call (8.5 ms of
        # a 15 ms call at depth 3, T = 40, 37,882 tensors; the jitted
        # contraction itself takes 0.8 ms).
        plan = plan_contraction(net, batch=X.shape[0], optimize=optimize,
                                max_intermediate=max_intermediate)
        arrays = _slot_arrays(net, spec, params, plan.slot_tensors)
    else:
        arrays = tensor_arrays(net, spec, params)
    return run(net, arrays, X, optimize=optimize, max_intermediate=max_intermediate)


class _Tensors(NamedTuple):
    """The part of a :class:`~tnrnn.network.Network` that
    :func:`tnrnn.compile.tensor_arrays` reads, for a subset of its tensors."""

    tensors: tuple
    sizes: Mapping
    meta: Mapping


def _slot_arrays(net: Network, spec, params, positions) -> dict:
    """``{position: array}`` for the tensors at ``positions`` only, filled
    by :func:`tnrnn.compile.tensor_arrays`; the caller has validated
    ``params`` and checked that ``net`` was compiled from ``spec``."""
    sub = _Tensors(tuple(net.tensors[p] for p in positions), net.sizes, net.meta)
    return dict(zip(positions, tensor_arrays(sub, spec, params, check=False)))


def evaluate_jax(spec, params, X) -> np.ndarray:
    """Step-by-step evaluation of the circuit in JAX: ``jax.jit`` over a
    ``jax.lax.scan`` over time, batched over sequences, in float64.

    Same contract as :func:`tnrnn.circuit.evaluate` (without ``modulus``);
    inputs are validated here, before the jitted code, which holds no checks.
    The first call imports JAX; the computation runs inside
    ``jax.enable_x64(True)`` (float64) without changing the process setting.

    Parameters
    ----------
    spec : RAC (any depth) or TTRNN
    params : RACParams or TTParams
    X : array of shape (N, T, M) or (T, M)

    Returns
    -------
    numpy float64 array of shape (N, K)

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import RAC, evaluate, init_params, random_inputs
    >>> spec = RAC(depth=3, hidden=2, input_dim=2, length=4, outputs=2)
    >>> p, X = init_params(spec, seed=0), random_inputs(spec, 5, seed=1)
    >>> y = evaluate_jax(spec, p, X)
    >>> y.shape, y.dtype, bool(np.allclose(y, evaluate(spec, p, X), rtol=1e-12))
    ((5, 2), dtype('float64'), True)
    """
    check_float_params(spec, params, where="evaluate_jax")
    X = check_inputs(spec, check_float_inputs(X, where="evaluate_jax"))
    from . import _jax

    return _jax.evaluate(params, X, tt=isinstance(spec, TTRNN))


def clear_caches() -> None:
    """Forget cached contraction plans and jitted programs.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.contract import plan_contraction
    >>> net = compile_network(TTRNN(2, 2, 3))
    >>> plan = plan_contraction(net, batch=2)
    >>> plan_contraction(net, batch=2) is plan          # cached
    True
    >>> clear_caches()
    >>> plan_contraction(net, batch=2) is plan          # planned again
    False
    """
    import sys

    from .plan import clear_plan_cache

    clear_plan_cache()
    mod = sys.modules.get(__package__ + "._jax")
    if mod is not None:
        mod.clear_cache()
