"""The one-hot grid: the outputs on every one-hot sequence at once, by
contracting the compiled network with its input legs left open.

For one-hot inputs the function a circuit computes is the tensor
``A[s_1, ..., s_T, k] = y_k(e_{s_1}, ..., e_{s_T})`` (``M^T K`` numbers),
and its matricization by a partition of the time steps is the matrix whose
rank is the separation rank over one-hot inputs (``docs/theory.md``).
:func:`contract_grid` computes ``A`` by one contraction of the *grid view*
(:func:`grid_view`): every copy of input ``x_t`` in the duplicated network
is joined into one open index ``s_t``. This is exact: the network is
multilinear in the input copies and every copy of ``x_t`` receives the same
basis vector, and contracting a leg with ``e_s`` selects entry ``s``, which
is what sharing one index does.

Why not evaluate the ``M^T`` sequences one by one (or as one batch): the
contraction shares every prefix and suffix computation between sequences.
Depth 2, ``R = 4, M = 2, T = 16``: 7.3e6 FLOPs on the grid view (the
``"refine"`` path) against 1.3e8 for the recurrence over the batch of all
65,536 sequences.

Two choices make the contraction fast (measured in ``benchmarks/``):

* the path: ``"auto"`` (the structure-aware order) or ``"refine"``
  (:func:`tnrnn.contract.paths.refine_path`: improved by cotengra's subtree
  reconfiguration, when cotengra is installed), whichever runs fewer FLOPs;
* sharing: copies of a unit share one weight argument, and a step that
  would recompute the sub-result of another copy of a duplicated
  sub-network is left out (:func:`tnrnn.contract.plan.build_plan`);
* the layout: every intermediate puts its bonds first and its open indices
  after them, in time order (``simulate(..., layout="output")``), so the
  big late steps are matrix products writing contiguous memory and the
  result needs no transpose (depth 1, ``R = 4, M = 2, T = 20``: 0.73 ms jitted, against
  2.9 ms with indices in order of appearance).

Examples
--------
>>> import numpy as np
>>> from tnrnn.circuit import RAC, evaluate, init_params, one_hot
>>> from tnrnn.compile import compile_network
>>> spec = RAC(depth=2, hidden=3, input_dim=2, length=4)
>>> net, p = compile_network(spec), init_params(spec, seed=0)
>>> A = contract_grid(net, spec, p, engine="numpy")
>>> A.shape
(2, 2, 2, 2, 1)
>>> y = evaluate(spec, p, one_hot([[1, 0, 0, 1]], 2))
>>> bool(np.isclose(A[1, 0, 0, 1, 0], y[0, 0]))
True
>>> grid_matrix(A, "start-end").shape
(4, 4)
"""

from __future__ import annotations

import importlib.util
import math
import weakref

import numpy as np

from ..compile import check_network_spec
from ..errors import SpecError, TooLargeError, check_positive_int
from ..network import Network
from ..partition import Partition, parse_partition
from .cost import DEFAULT_MAX_INTERMEDIATE, View, check_max_intermediate
from .plan import Plan, build_plan

__all__ = ["grid_view", "plan_grid", "contract_grid", "grid_matrix",
           "default_grid_optimize", "GRID_ENGINES"]

#: Engines :func:`contract_grid` runs its plan on.
GRID_ENGINES = ("jax", "numpy")


def grid_view(net: Network, *, fold_copies: bool = True) -> View:
    """The einsum view whose result is the outputs on every one-hot sequence.

    All copies of input ``x_t`` become one index ``s_t`` of size ``M`` (put
    in the output, in time order, before the output legs), so the result has
    shape ``(M,) * T + (K,)``; ``sources`` are all ``("tensor", position)``.

    Parameters
    ----------
    net : Network
        A compiled network.
    fold_copies : bool
        Fold copy tensors into hyperedges.

    Returns
    -------
    View
        The einsum view.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> v = grid_view(compile_network(RAC(2, 2, 3, 2)))
    >>> v.output, v.size_dict["s1"]
    (('s1', 's2', 'y'), 3)
    """
    inputs, output, sizes = net.einsum_view(fold_copies=fold_copies)
    positions = (net.folded_tensor_positions() if fold_copies
                 else list(range(net.num_tensors)))
    times = sorted({leg.time for leg in net.legs if leg.role == "input"})
    if not times:
        raise SpecError("the network has no input legs to join into a grid")
    taken = set(sizes)
    name = {}
    for t in times:
        base = f"s{t}"
        while base in taken:
            base += "_"
        name[t] = base
        taken.add(base)
    rename = {}
    for leg, ix in zip(net.legs, output):
        if leg.role == "input":
            rename[ix] = name[leg.time]
    new_sizes = {rename.get(i, i): s for i, s in sizes.items()}
    new_inputs = [tuple(rename.get(i, i) for i in term) for term in inputs]
    kept = tuple(ix for leg, ix in zip(net.legs, output) if leg.role != "input")
    return View(new_inputs, tuple(name[t] for t in times) + kept, new_sizes,
                tuple(("tensor", p) for p in positions), None)


def default_grid_optimize() -> tuple:
    """The path finders :func:`plan_grid` tries by default: ``("auto",
    "refine")`` when cotengra is installed, else ``("auto",)``; it keeps the
    plan that runs the fewest FLOPs (equal sub-results counted once), then
    the one whose whole path is cheapest.

    Why both: ``"refine"`` cuts the path's FLOPs (depth 2, ``R = 4, M = 2,
    T = 16``: 7.3e6 against 1.04e7), but it reorders duplicated copies
    differently, so fewer of them are recognised as equal (depth 3, ``R =
    3, M = 2, T = 16``: 1.0e7 FLOPs run against 8.1e6 for ``"auto"``).

    Returns
    -------
    tuple of str
        The finders' names.

    Examples
    --------
    >>> default_grid_optimize()[0]
    'auto'
    """
    if importlib.util.find_spec("cotengra") is not None:
        return ("auto", "refine")
    return ("auto",)


def _entries(net: Network) -> int:
    """Entries of the grid tensor: ``M`` per input time step times the
    sizes of the output legs."""
    seen, total = set(), 1
    for leg in net.legs:
        key = ("s", leg.time) if leg.role == "input" else ("o", leg.index)
        if key not in seen:
            seen.add(key)
            total *= net.sizes[leg.index]
    return total


_GRID_PLANS: "weakref.WeakKeyDictionary[Network, dict]" = weakref.WeakKeyDictionary()


def plan_grid(net: Network, *, optimize=None,
              max_intermediate: int | None = DEFAULT_MAX_INTERMEDIATE) -> Plan:
    """Plan the contraction of the grid view of ``net``.

    The grid itself is refused first, before any path search, when it would
    hold more than ``max_intermediate`` entries; then the path's largest
    intermediate is checked against the same limit.

    Parameters
    ----------
    net : Network
    optimize : str, callable, path or None
        ``None``: the plan of the finders of :func:`default_grid_optimize`
        that runs the fewest FLOPs. Otherwise as
        :func:`tnrnn.contract.plan.plan_contraction` (plans for a name or an
        explicit path are cached per network).
    max_intermediate : int or None

    Returns
    -------
    Plan
        The program (:func:`~tnrnn.contract.plan.run_plan`).

    Raises
    ------
    TooLargeError
        With the number of entries and the limit.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(1, 2, 2, 3))
    >>> plan = plan_grid(net, optimize="tree")
    >>> plan.steps[-2:]
    (((2, 12), 'ab,acd->cbd'), ((11, 13), 'abc,ade->bcde'))
    >>> plan.cost.flops, plan.cost.max_intermediate
    (88, 8)

    The last step joins ``(bond, s1, s2)`` with ``(bond, s3, y)`` into
    ``(s1, s2, s3, y)``: a matrix product, the bond first on both sides.
    >>> plan_grid(compile_network(RAC(1, 2, 2, 40)))
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the one-hot grid of this network holds 1,099,511,627,776 entries (2^40.0, M^T K with M = 2, T = 40, K = 1); the limit is max_intermediate=134,217,728 entries
    """
    if not isinstance(net, Network):
        raise SpecError(f"net must be a Network; got {type(net).__name__}")
    if max_intermediate is not None:
        max_intermediate = check_positive_int("max_intermediate", max_intermediate)
        entries = _entries(net)
        if entries > max_intermediate:
            M = next((net.sizes[leg.index] for leg in net.legs if leg.role == "input"), 1)
            T = len({leg.time for leg in net.legs if leg.role == "input"})
            K = entries // (M**T) if M**T else 1
            raise TooLargeError(
                f"the one-hot grid of this network holds {entries:,} entries "
                f"(2^{math.log2(entries):.1f}, M^T K with M = {M}, T = {T}, K = {K}); "
                f"the limit is max_intermediate={max_intermediate:,} entries",
                estimate=entries, limit=max_intermediate)
    if optimize is None:
        plans = [plan_grid(net, optimize=name, max_intermediate=None)
                 for name in default_grid_optimize()]
        plan = min(plans, key=lambda p: (p.executed_flops, p.cost.flops))
        if max_intermediate is not None:
            check_max_intermediate(plan.cost, max_intermediate)
        return plan
    key = None
    if isinstance(optimize, str):
        key = optimize
    elif not callable(optimize):
        try:
            key = tuple(tuple(s) for s in optimize)
        except TypeError:
            key = None
    plan = _GRID_PLANS.get(net, {}).get(key) if key is not None else None
    if plan is None:
        plan = _build(net, optimize)
        if key is not None:
            _GRID_PLANS.setdefault(net, {})[key] = plan
    if max_intermediate is not None:
        check_max_intermediate(plan.cost, max_intermediate)
    return plan


def _build(net: Network, optimize) -> Plan:
    # Copies of a unit share one weight slot and equal sub-results are
    # computed once (build_plan): depth 3, R = 3, M = 2, T = 8, jitted: 0.3 ms
    # a call, against 1.6 ms with one argument per operand and every step.
    return build_plan(net, grid_view(net), optimize, layout="output")


def contract_grid(net: Network, spec, params, *, engine: str = "jax", optimize=None,
                  max_intermediate: int = DEFAULT_MAX_INTERMEDIATE) -> np.ndarray:
    """The outputs on every one-hot sequence: ``A[s_1, ..., s_T, k]``.

    Parameters
    ----------
    net : Network
        From :func:`tnrnn.compile.compile_network` applied to ``spec``.
    spec : RAC or TTRNN
    params : RACParams or TTParams
    engine : {"jax", "numpy"}
        ``"jax"``: the plan traced once under ``jax.jit`` in float64 (cached
        per plan); ``"numpy"``: each step through ``opt_einsum.contract``.
    optimize : str, callable, path or None
        Path finder for the grid view; ``None``: the best plan of the
        finders of :func:`default_grid_optimize`.
    max_intermediate : int
        Refuse a grid, or a path with an intermediate, of more entries.

    Returns
    -------
    numpy float64 array of shape ``(M,) * T + (K,)``
        ``A[s_1, ..., s_T, k]`` equals ``evaluate(spec, params,
        one_hot([[s_1, ..., s_T]], M))[0, k]`` up to rounding.

    Raises
    ------
    SpecError
        Unknown engine, wrong parameter shapes, or a network compiled from
        another spec.
    TooLargeError
        Before any array work, when the grid or an intermediate would exceed
        ``max_intermediate`` entries.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, one_hot
    >>> from tnrnn.compile import compile_network
    >>> spec = TTRNN(hidden=2, input_dim=3, length=3)
    >>> p = init_params(spec, seed=1)
    >>> A = contract_grid(compile_network(spec), spec, p)
    >>> seqs = np.indices((3, 3, 3)).reshape(3, -1).T
    >>> bool(np.allclose(A.reshape(-1), evaluate(spec, p, one_hot(seqs, 3))[:, 0]))
    True
    >>> contract_grid(compile_network(spec), spec, p, engine="torch")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: contract_grid's engine must be one of 'jax', 'numpy'; got 'torch'
    """
    if engine not in GRID_ENGINES:
        raise SpecError(f"contract_grid's engine must be one of "
                        f"{', '.join(repr(e) for e in GRID_ENGINES)}; got {engine!r}")
    max_intermediate = check_positive_int("max_intermediate", max_intermediate)
    from ._checks import check_float_params

    check_float_params(spec, params, where="contract_grid")
    plan = plan_grid(net, optimize=optimize, max_intermediate=max_intermediate)
    check_network_spec(net, spec)
    from .engines import _slot_arrays, run_on

    arrays = _slot_arrays(net, spec, params, plan.slot_tensors)
    out = run_on(engine, plan, [arrays[p] for p in plan.slot_tensors], None)
    return out.astype(np.float64, copy=False)


def grid_matrix(A: np.ndarray, partition="start-end", *, output: int = 0) -> np.ndarray:
    """The matricization of a grid ``A[s_1, ..., s_T, k]`` by a partition:
    rows indexed by the inputs at the steps of side ``A`` (in time order,
    row-major), columns by those of side ``B``, for output ``k = output``.

    Its rank is the separation rank over one-hot inputs for that output
    (``docs/theory.md``); a float rank of it is approximate.

    Parameters
    ----------
    A : ndarray
        The grid, of shape ``(M,) * T + (K,)``.
    partition : Partition or str
        A :class:`~tnrnn.partition.Partition` of ``1..T`` or its text
        (``"start-end"``, ``"odd-even"``, ``"A:1,2,5"``).
    output : int
        Which output ``k`` to take.

    Returns
    -------
    ndarray
        The matrix, of shape ``(M ** len(A), M ** len(B))`` for the two
        sides ``A`` and ``B`` of the partition.

    Examples
    --------
    >>> A = np.arange(8.0).reshape(2, 2, 2, 1)
    >>> grid_matrix(A, "A:1,3")
    array([[0., 2.],
           [1., 3.],
           [4., 6.],
           [5., 7.]])
    >>> grid_matrix(A, "start-end")
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the start-end partition needs an even length T; got T=3
    """
    A = np.asarray(A)
    if A.ndim < 2:
        raise SpecError(f"a grid has shape (M,)*T + (K,) with T >= 1; got shape {A.shape}")
    T, K = A.ndim - 1, A.shape[-1]
    if not isinstance(output, (int, np.integer)) or not 0 <= output < K:
        raise SpecError(f"output must be an integer in 0..{K - 1}; got {output!r}")
    part = partition if isinstance(partition, Partition) else parse_partition(partition, T)
    if part.length != T:
        raise SpecError(f"the partition covers {part.length} time steps; the grid has T = {T}")
    a = A[..., output]
    order = [t - 1 for t in part.A] + [t - 1 for t in part.B]
    rows = math.prod(A.shape[t - 1] for t in part.A)
    return np.transpose(a, order).reshape(rows, -1)
