"""Other libraries' contraction engines run on tnrnn networks, and the
open-leg (one-hot grid) view, for side-by-side comparison.

Used by :mod:`tnrnn.benchmark`; kept here because this package is the only
one of tnrnn that imports JAX (and it imports tensornetwork, cotengra and
quimb too, each lazily, on first use).

Every *runner* built here is a closure ``run(X) -> numpy array`` over one
network, its weights and a contraction path fixed in advance, so that a
benchmark times the contraction alone; the path, its exact :class:`Cost`
(tnrnn's cost model, whatever the library's own convention) and the seconds
spent finding it are returned beside it (:class:`Runner`).

Views
-----
``"batch"``
    :func:`tnrnn.contract.cost.network_view`: one ``(N, M)`` operand per
    input leg, a shared batch index; the result is ``(N, K)``.
``"grid"``
    :func:`tnrnn.contract.grid.grid_view` (re-exported here): no input operands; all copies of input ``x_t`` are
    joined into one open index ``s_t`` (a hyperedge kept to the end), so the
    result is the tensor ``A[s_1, ..., s_T, k]`` of the outputs on every
    one-hot sequence: ``y(e_{s_1}, ..., e_{s_T})``. This is exact because
    the duplicated network is multilinear in the input *copies* and every
    copy of ``x_t`` receives the same basis vector ``e_{s_t}``; contracting
    a copy leg with ``e_s`` selects entry ``s``, which is what sharing one
    index does.

Examples
--------
>>> import numpy as np
>>> from tnrnn.circuit import RAC, evaluate, init_params, one_hot
>>> from tnrnn.compile import compile_network
>>> spec = RAC(depth=2, hidden=2, input_dim=2, length=3)
>>> net, p = compile_network(spec), init_params(spec, seed=0)
>>> run = cotengra_runner(net, spec, p, view="grid", optimize="tree")
>>> A = run.run(None)
>>> A.shape
(2, 2, 2, 1)
>>> bool(np.isclose(A[1, 0, 1, 0], evaluate(spec, p, one_hot([[1, 0, 1]], 2))[0, 0]))
True
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np

from .._jax import x64
from ..compile import tensor_arrays
from ..errors import MissingDependencyError, SpecError
from ..network import Network
from .cost import Cost, View, network_view, path_cost
from .grid import grid_view
from .paths import find_path

__all__ = [
    "VIEWS",
    "Runner",
    "grid_view",
    "make_view",
    "tensornetwork_jax_runner",
    "cotengra_runner",
    "quimb_runner",
    "dense_matmul_seconds",
]

VIEWS = ("batch", "grid")


@dataclasses.dataclass(frozen=True)
class Runner:
    """A prepared contraction: ``run(X)`` returns the result as numpy.

    ``cost`` is tnrnn's exact cost of the path the runner follows (on the
    view it contracts, ``view``), ``path_s`` the seconds spent finding that
    path, ``route`` a one-line description of what runs.

    Parameters
    ----------
    run : callable
        ``run(X)``: the outputs as numpy.
    cost : Cost
        tnrnn's cost of the runner's path.
    path_s : float
        Seconds spent finding the path.
    view : str
        The view contracted.
    route : str
        What runs.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(2, 2, 3)
    >>> p, X = init_params(spec), random_inputs(spec, 1)
    >>> r = cotengra_runner(compile_network(spec), spec, p, optimize="auto")
    >>> isinstance(r, Runner), r.view, bool(np.allclose(r.run(X), evaluate(spec, p, X)))
    (True, 'batch', True)
    """

    run: Callable
    cost: Cost
    path_s: float
    view: str
    route: str

    def to_dict(self) -> dict:
        """Plain data (JSON-ready), ``run`` left out (a function).

        Returns
        -------
        dict
            ``cost`` (:meth:`Cost.to_dict`), ``path_s``, ``view`` and
            ``route``.

        Examples
        --------
        >>> c = Cost(flops=8, max_intermediate=2, memory_written=2, path=((0, 1),),
        ...          optimize="explicit", num_operands=2)
        >>> d = Runner(lambda X: X, c, 0.5, "batch", "numpy").to_dict()
        >>> sorted(d), d["cost"]["path"]
        (['cost', 'path_s', 'route', 'view'], [[0, 1]])
        """
        return {"cost": self.cost.to_dict(), "path_s": self.path_s, "view": self.view,
                "route": self.route}


# --------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------
def make_view(net: Network, view: str, *, batch: int = 1,
              fold_copies: bool = True) -> View:
    """``"batch"`` (:func:`~tnrnn.contract.cost.network_view`) or ``"grid"``
    (:func:`grid_view`).

    Parameters
    ----------
    net : Network
        The compiled network.
    view : {"batch", "grid"}
        Which view.
    batch : int
        Sequences (``"batch"`` only).
    fold_copies : bool
        Fold copy tensors into hyperedges.

    Returns
    -------
    View
        The einsum view.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(TTRNN(2, 2, 3))
    >>> make_view(net, "grid").output, make_view(net, "batch", batch=5).size_dict["_batch"]
    (('s1', 's2', 's3', 'y'), 5)
    >>> make_view(net, "dense")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: view must be one of ('batch', 'grid'); got 'dense'
    """
    if view == "batch":
        return network_view(net, batch=batch, fold_copies=fold_copies)
    if view == "grid":
        return grid_view(net, fold_copies=fold_copies)
    raise SpecError(f"view must be one of {VIEWS}; got {view!r}")


def _operands(v: View, arrays, X):
    return [arrays[w] if kind == "tensor" else X[:, w - 1] for kind, w in v.sources]


def _timed_path(v: View, optimize):
    t0 = time.perf_counter()
    path, label = find_path(v.inputs, v.output, v.size_dict, optimize)
    seconds = time.perf_counter() - t0
    return path, path_cost(v.inputs, v.output, v.size_dict, path, optimize=label), seconds


# --------------------------------------------------------------------------
# tensornetwork, jax backend: jit + vmap over the batch
# --------------------------------------------------------------------------
def tensornetwork_jax_runner(net: Network, spec, params, *, optimize="auto"
                             ) -> Runner:
    """tensornetwork 0.4.6 with its ``"jax"`` backend: the network as
    ``Node``/``CopyNode`` objects, one input ``Node`` per input leg, and
    ``contractors.contract_path`` along tnrnn's path for the *unfolded* view
    (explicit copy tensors, batch 1), traced once per sequence shape under
    ``jax.jit(jax.vmap(...))`` in float64. Only the ``"batch"`` view.

    Parameters
    ----------
    net : Network
        The compiled network.
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Float weights.
    optimize : str, callable or path
        tnrnn's path finder.

    Returns
    -------
    Runner
        The prepared contraction.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(2, 2, 3)
    >>> p, X = init_params(spec), random_inputs(spec, 1)
    >>> r = tensornetwork_jax_runner(compile_network(spec), spec, p)  # doctest: +SKIP
    >>> r.view, bool(np.allclose(r.run(X), evaluate(spec, p, X)))    # doctest: +SKIP
    ('batch-unfolded', True)
    """
    try:
        import tensornetwork as tn
    except ImportError as exc:
        raise MissingDependencyError(
            "the tensornetwork runner needs tensornetwork: pip install "
            "tensornetwork==0.4.6") from exc
    import jax
    import jax.numpy as jnp

    v = network_view(net, batch=1, fold_copies=False)
    path, cost, seconds = _timed_path(v, optimize)
    path = [tuple(s) for s in path]
    arrays = [np.asarray(a, dtype=np.float64) for a in tensor_arrays(net, spec, params)]

    def one(arrs, x):
        nodes, open_edges = net.to_tensornetwork(arrs, backend="jax")
        inputs, outputs = [], []
        for leg, edge in zip(net.legs, open_edges):
            if leg.role == "input":
                node = tn.Node(x[leg.time - 1], backend="jax")
                node[0] ^ edge
                inputs.append(node)
            else:
                outputs.append(edge)
        return tn.contractors.contract_path(path, list(nodes) + inputs, outputs).tensor

    fn = jax.jit(jax.vmap(one, in_axes=(None, 0)))
    with x64():
        dev = [jnp.asarray(a) for a in arrays]

    def run(X):
        with x64():
            return np.asarray(fn(dev, np.asarray(X, dtype=np.float64)))

    return Runner(run, cost, seconds, "batch-unfolded",
                  f"tensornetwork {tn.__version__} jax backend, jit+vmap, "
                  f"{cost.optimize} path on explicit copy tensors")


# --------------------------------------------------------------------------
# cotengra and quimb
# --------------------------------------------------------------------------
def _symbols(v: View):
    import opt_einsum

    names = {ix: opt_einsum.get_symbol(k) for k, ix in enumerate(v.size_dict)}
    ins = [tuple(names[i] for i in t) for t in v.inputs]
    out = tuple(names[i] for i in v.output)
    sizes = {names[i]: s for i, s in v.size_dict.items()}
    return ins, out, sizes


def _cotengra_tree(v: View, path):
    try:
        import cotengra as ctg
    except ImportError as exc:
        raise MissingDependencyError(
            "the cotengra runner needs cotengra: pip install "
            "'cotengra>=0.7,<0.9'") from exc
    ins, out, sizes = _symbols(v)
    return ctg.ContractionTree.from_path(ins, out, sizes, path=path), ins, out


def cotengra_runner(net: Network, spec, params, *, view: str = "batch",
                    batch: int = 1, optimize="cotengra") -> Runner:
    """cotengra: the hyper-optimised path (tnrnn's ``"cotengra"`` finder:
    seeded, serial ``HyperOptimizer``) as a ``ContractionTree`` on
    single-character indices, contracted by ``tree.contract`` with the numpy
    backend (pairwise ``tensordot``/``einsum``).

    Parameters
    ----------
    net : Network
        The compiled network.
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Float weights.
    view : {"batch", "grid"}
        Which view to contract.
    batch : int
        Sequences per call (``"batch"``).
    optimize : str, callable or path
        tnrnn's path finder (``"cotengra"``: its hyper-optimiser).

    Returns
    -------
    Runner
        The prepared contraction.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, init_params
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.contract import contract_grid
    >>> spec = TTRNN(2, 2, 3)
    >>> net, p = compile_network(spec), init_params(spec)
    >>> r = cotengra_runner(net, spec, p, view="grid", optimize="auto")
    >>> bool(np.allclose(r.run(None), contract_grid(net, spec, p)))
    True
    """
    v = make_view(net, view, batch=batch)
    path, cost, seconds = _timed_path(v, optimize)
    tree, _, _ = _cotengra_tree(v, path)
    arrays = tensor_arrays(net, spec, params)
    import cotengra as ctg

    def run(X):
        return np.asarray(tree.contract(_operands(v, arrays, X), backend="numpy"))

    return Runner(run, cost, seconds, view,
                  f"cotengra {ctg.__version__} ContractionTree.contract, numpy "
                  f"backend, {cost.optimize} path")


def quimb_runner(net: Network, spec, params, *, view: str = "batch",
                 batch: int = 1, optimize="cotengra") -> Runner:
    """quimb: a ``TensorNetwork`` of ``Tensor`` objects built per call (the
    input vectors change per call) and ``contract(output_inds=...,
    optimize=tree)`` with the same cotengra tree as :func:`cotengra_runner`
    (numpy arrays).

    Parameters
    ----------
    net : Network
        The compiled network.
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Float weights.
    view : {"batch", "grid"}
        Which view to contract.
    batch : int
        Sequences per call (``"batch"``).
    optimize : str, callable or path
        tnrnn's path finder.

    Returns
    -------
    Runner
        The prepared contraction.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(2, 2, 3)
    >>> p, X = init_params(spec), random_inputs(spec, 1)
    >>> try:
    ...     r = quimb_runner(compile_network(spec), spec, p, optimize="auto")
    ... except MissingDependencyError:                    # quimb is optional
    ...     r = cotengra_runner(compile_network(spec), spec, p, optimize="auto")
    >>> bool(np.allclose(r.run(X), evaluate(spec, p, X)))
    True
    """
    try:
        import quimb
        import quimb.tensor as qtn
    except ImportError as exc:
        raise MissingDependencyError(
            "the quimb runner needs quimb: pip install quimb==1.15.0") from exc
    v = make_view(net, view, batch=batch)
    path, cost, seconds = _timed_path(v, optimize)
    tree, ins, out = _cotengra_tree(v, path)
    arrays = tensor_arrays(net, spec, params)

    def run(X):
        tnet = qtn.TensorNetwork([qtn.Tensor(a, inds=t) for a, t in
                                  zip(_operands(v, arrays, X), ins)], virtual=True)
        res = tnet.contract(output_inds=out, optimize=tree)
        return np.asarray(getattr(res, "data", res))

    return Runner(run, cost, seconds, view,
                  f"quimb {quimb.__version__} TensorNetwork.contract, same "
                  f"cotengra tree")


# --------------------------------------------------------------------------
# Dense matrix product: the reference rate
# --------------------------------------------------------------------------
def dense_matmul_seconds(n: int, *, engine: str = "numpy", repeat: int = 5,
                         seed: int = 0) -> dict:
    """Time float64 ``(n, n) @ (n, n)`` products (``2 n^3`` flops each).

    Returns ``{"n", "flops", "first_s", "median_s", "best_s", "repeat"}``;
    ``first_s`` includes JAX's compilation. ``engine`` is ``"numpy"``
    (BLAS) or ``"jax"`` (jitted, float64, result blocked on).

    Parameters
    ----------
    n : int
        The matrices' order.
    engine : {"numpy", "jax"}
        Who multiplies.
    repeat : int
        Timed products after the first.
    seed : int
        Seed of the random matrices.

    Returns
    -------
    dict
        ``n``, ``flops``, ``first_s``, ``median_s``, ``best_s``, ``repeat``.

    Examples
    --------
    >>> t = dense_matmul_seconds(32, repeat=3)
    >>> t["flops"] == 2 * 32**3, t["best_s"] <= t["median_s"], t["repeat"]
    (True, True, 3)
    """
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    if engine == "numpy":
        def call():
            return a @ b
    elif engine == "jax":
        import jax
        import jax.numpy as jnp

        with x64():
            fn = jax.jit(jnp.matmul)
            ja, jb = jnp.asarray(a), jnp.asarray(b)

        def call():
            with x64():
                return fn(ja, jb).block_until_ready()
    else:
        raise SpecError(f"engine must be 'numpy' or 'jax'; got {engine!r}")
    t0 = time.perf_counter()
    call()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return {"n": n, "flops": 2 * n**3, "first_s": first,
            "median_s": float(np.median(times)), "best_s": min(times),
            "repeat": repeat}
