"""Prepared contractions: everything but the inputs done once, for callers
that contract the same network with the same weights many times (a sweep
over input batches, a benchmark, an optimisation loop) -- tnrnn's analogue
of ``opt_einsum.contract_expression``.

:func:`contract_network` and :func:`~tnrnn.contract.grid.contract_grid`
validate the parameters, check that the network was compiled from the spec
and fill the weight arrays on every call: on a small network that is a
third of the call (depth 1, ``R = M = 8``, ``T = 8``, ``N = 256``: about
0.1 ms of 0.3 ms). :func:`prepare` does it once; the returned
:class:`Prepared` then only checks the shape of each batch of inputs.

Examples
--------
>>> import numpy as np
>>> from tnrnn.circuit import RAC, evaluate, init_params, random_inputs
>>> from tnrnn.compile import compile_network
>>> spec = RAC(depth=2, hidden=2, input_dim=3, length=4)
>>> params = init_params(spec, seed=0)
>>> run = prepare(compile_network(spec), spec, params, engine="numpy")
>>> X = random_inputs(spec, 6, seed=1)
>>> bool(np.allclose(run(X), evaluate(spec, params, X)))
True
>>> run.grid().shape
(3, 3, 3, 3, 1)
>>> run(np.ones((6, 5, 3)))
Traceback (most recent call last):
...
tnrnn.errors.SpecError: inputs must have shape (N, 4, 3) (batch, length T, input_dim M); got shape (6, 5, 3)
"""

from __future__ import annotations

import numpy as np

from ..circuit import check_inputs
from ..compile import check_network_spec
from ..errors import SpecError, check_positive_int
from ..network import Network
from .cost import DEFAULT_MAX_INTERMEDIATE
from .grid import GRID_ENGINES, plan_grid
from .plan import plan_contraction

__all__ = ["Prepared", "prepare", "PREPARED_ENGINES"]

#: Engines a prepared contraction runs on.
PREPARED_ENGINES = ("jax", "numpy")


class Prepared:
    """A network, its weights and an engine, checked and filled once.

    Call it with inputs ``X`` (``(N, T, M)`` or ``(T, M)``) for the outputs
    ``(N, K)``, as :func:`~tnrnn.contract.contract_network`; call
    :meth:`grid` for the grid of every one-hot sequence, as
    :func:`~tnrnn.contract.grid.contract_grid`. Plans are found on first use
    per batch size and cached with the network.

    The parameter arrays are copied when prepared: changing ``params``
    afterwards does not change a prepared contraction (prepare again).

    Parameters
    ----------
    net : Network
        The compiled network of ``spec``.
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Float weights (copied).
    engine : {"jax", "numpy"}
        The contraction engine.
    optimize : str, callable or path
        Path finder of the batched contraction.
    grid_optimize : str, callable, path or None
        Path finder of the grid.
    max_intermediate : int
        The largest intermediate allowed (entries).

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(2, 2, 3)
    >>> p, X = init_params(spec), random_inputs(spec, 4)
    >>> pc = Prepared(compile_network(spec), spec, p, "numpy", "auto", None, 2**27)
    >>> bool(np.allclose(pc(X), evaluate(spec, p, X)))
    True
    """

    def __init__(self, net: Network, spec, params, engine: str, optimize,
                 grid_optimize, max_intermediate: int):
        self.net, self.spec, self.engine = net, spec, engine
        self.optimize, self.grid_optimize = optimize, grid_optimize
        self.max_intermediate = max_intermediate
        # One float64 copy per parameter array (not per tensor: the copies
        # of a unit in a duplicated network share their weights).
        self._params = type(params)(*(
            tuple(np.array(a, dtype=np.float64) for a in v) if isinstance(v, tuple)
            else np.array(v, dtype=np.float64) for v in params))
        self._weights: dict = {}

    def _weights_of(self, plan) -> list:
        """One array per weight slot of ``plan``, filled on first use."""
        key = plan.slot_tensors
        w = self._weights.get(key)
        if w is None:
            from .engines import _slot_arrays

            arrays = _slot_arrays(self.net, self.spec, self._params, key)
            w = self._weights[key] = [arrays[p] for p in key]
        return w

    def _run(self, plan, X):
        from .engines import run_on

        return run_on(self.engine, plan, self._weights_of(plan), X)

    def __call__(self, X) -> np.ndarray:
        X = check_inputs(self.spec, X)
        plan = plan_contraction(self.net, batch=X.shape[0], optimize=self.optimize,
                                max_intermediate=self.max_intermediate)
        return self._run(plan, X)

    def grid(self) -> np.ndarray:
        """``A[s_1, ..., s_T, k]``, the outputs on every one-hot sequence."""
        plan = plan_grid(self.net, optimize=self.grid_optimize,
                         max_intermediate=self.max_intermediate)
        return self._run(plan, None).astype(np.float64, copy=False)

    def __repr__(self) -> str:
        return (f"Prepared({self.spec!r}, engine={self.engine!r}, "
                f"tensors={self.net.num_tensors:,})")


def prepare(net: Network, spec, params, *, engine: str = "jax", optimize="auto",
            grid_optimize=None,
            max_intermediate: int = DEFAULT_MAX_INTERMEDIATE) -> Prepared:
    """Check ``params`` against ``spec`` and ``net`` once, fill the weight
    arrays once, and return a :class:`Prepared` contraction.

    Parameters
    ----------
    net : Network
        From :func:`tnrnn.compile.compile_network` applied to ``spec``.
    spec : RAC or TTRNN
    params : RACParams or TTParams
    engine : {"jax", "numpy"}
    optimize : str, callable or path
        Path finder of the batched contraction (as ``contract_network``).
    grid_optimize : str, callable, path or None
        Path finder of the grid (as ``contract_grid``; ``None``: its default).
    max_intermediate : int

    Returns
    -------
    Prepared
        Call it with inputs for the outputs; :meth:`Prepared.grid` for the grid.

    Raises
    ------
    SpecError
        Unknown engine, wrong parameter shapes, or a network compiled from
        another spec.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, init_params
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(2, 2, 3)
    >>> prepare(compile_network(spec), spec, init_params(spec), engine="tensornetwork")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: prepare's engine must be one of 'jax', 'numpy'; got 'tensornetwork'
    """
    if engine not in PREPARED_ENGINES:
        raise SpecError(f"prepare's engine must be one of "
                        f"{', '.join(repr(e) for e in PREPARED_ENGINES)}; got {engine!r}")
    assert set(PREPARED_ENGINES) <= set(GRID_ENGINES)
    max_intermediate = check_positive_int("max_intermediate", max_intermediate)
    if not isinstance(net, Network):
        raise SpecError(f"net must be a Network; got {type(net).__name__}")
    from ._checks import check_float_params

    check_float_params(spec, params, where="prepare")
    check_network_spec(net, spec)
    return Prepared(net, spec, params, engine, optimize, grid_optimize, max_intermediate)
