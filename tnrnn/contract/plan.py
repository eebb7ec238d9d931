"""Contraction plans: a network, a batch size and a path turned into a flat
program of einsum steps that any array library can run (no JAX here).

A :class:`Plan` is plain, hashable data: where every operand comes from
(a weight *slot* or an input time step), and one einsum string per step with
indices re-lettered locally (``opt_einsum.get_symbol``), so no step needs
more letters than the indices it touches, however large the network.

Examples
--------
>>> from tnrnn.circuit import TTRNN
>>> from tnrnn.compile import compile_network
>>> plan = plan_contraction(compile_network(TTRNN(2, 3, 2)), batch=4)
>>> plan.sources
(('w', 0), ('w', 1), ('w', 2), ('w', 1), ('x', 1), ('x', 2))
>>> plan.steps[0]
((1, 0), 'abc,dc->abd')

Step 0 joins the last core (operand 1) and the read-out ``W_O`` (operand 0)
before any input vector: that product carries no batch index.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from typing import Callable, Sequence

from ..errors import SpecError
from ..network import Network
from .cost import DEFAULT_MAX_INTERMEDIATE, Cost, check_max_intermediate, network_view
from .paths import find_path
from .pathutils import linear_to_ssa, merge_equal_steps, simulate

__all__ = ["Plan", "plan_contraction", "build_plan", "run_plan", "clear_plan_cache"]


@dataclasses.dataclass(frozen=True)
class Plan:
    """A contraction program for one network structure and batch size.

    Parameters
    ----------
    sources : tuple
        Per operand: ``("w", slot)`` (a weight array) or ``("x", t)`` (the
        input vectors of time step ``t``, shape ``(N, M)``).
    slot_tensors : tuple of int
        For each weight slot, the position of one tensor holding it (tensors
        with the same ``param`` share a slot: every copy of ``W_H[l]`` is
        passed once).
    steps : tuple of ((int, ...), str)
        Operand ids read and the einsum string of the step; operands are
        ``0..n-1``, the result of step ``j`` is ``n + j``; the last step
        produces the output ``(batch, output legs...)`` in that order.
        Steps that would recompute an equal sub-result (a duplicated copy
        contracted the same way as another) are left out and their readers
        read the first result instead
        (:func:`~tnrnn.contract.pathutils.merge_equal_steps`), so an id
        may be read by several steps.
    cost : Cost
        The exact cost of the whole path, every step counted (the
        convention of opt_einsum and cotengra).
    executed_flops : int
        FLOPs of the steps the plan runs (equal sub-results once).

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> plan = plan_contraction(compile_network(TTRNN(2, 2, 3)), batch=2)
    >>> isinstance(plan, Plan), len(plan.steps) <= len(plan.sources) - 1
    (True, True)
    >>> plan.executed_flops <= plan.cost.flops
    True
    >>> d = plan.to_dict()
    >>> d["steps"][0] == [list(plan.steps[0][0]), plan.steps[0][1]]
    True
    >>> d["cost"] == plan.cost.to_dict()
    True
    """

    sources: tuple
    slot_tensors: tuple
    steps: tuple
    cost: Cost
    executed_flops: int = -1

    def to_dict(self) -> dict:
        """Plain data (JSON-ready): the fields with tuples as lists.

        Returns
        -------
        dict
            ``sources`` (``[kind, slot or t]`` per operand), ``slot_tensors``,
            ``steps`` (``[[operand ids...], einsum string]`` per step), ``cost``
            (:meth:`Cost.to_dict`) and ``executed_flops``.

        Examples
        --------
        >>> import json
        >>> from tnrnn.circuit import RAC
        >>> from tnrnn.compile import compile_network
        >>> plan = plan_contraction(compile_network(RAC(1, 2, 2, 3)), batch=2)
        >>> d = json.loads(json.dumps(plan.to_dict()))
        >>> len(d["steps"]) == len(plan.steps), d["executed_flops"] == plan.executed_flops
        (True, True)
        """
        return {"sources": [list(s) for s in self.sources],
                "slot_tensors": list(self.slot_tensors),
                "steps": [[list(ids), eq] for ids, eq in self.steps],
                "cost": self.cost.to_dict(),
                "executed_flops": self.executed_flops}

    @property
    def program(self) -> tuple:
        """The hashable part that determines the computation (for caches)."""
        return (self.sources, self.steps)

    @functools.cached_property
    def program_key(self) -> "_ProgramKey":
        """:attr:`program` with its hash computed once, the key of the jitted
        program cache. Hashing the program itself costs time linear in its
        steps on every call (1.8 ms for the 37,000 steps of a depth-3,
        T = 40 network, whose jitted contraction takes 0.8 ms)."""
        return _ProgramKey(self.program)


class _ProgramKey:
    """A program with a cached hash; equal to another key of an equal
    program (compared by identity first)."""

    __slots__ = ("program", "_hash")

    def __init__(self, program: tuple):
        self.program = program
        self._hash = hash(program)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, _ProgramKey)
                                 and self._hash == other._hash
                                 and self.program == other.program)


_PLANS: "weakref.WeakKeyDictionary[Network, dict]" = weakref.WeakKeyDictionary()


def clear_plan_cache() -> None:
    """Forget cached plans (they are also dropped with their networks).

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(TTRNN(2, 2, 3))
    >>> plan = plan_contraction(net, batch=3)
    >>> clear_plan_cache()
    >>> again = plan_contraction(net, batch=3)
    >>> again is plan, again.steps == plan.steps
    (False, True)
    """
    _PLANS.clear()


def _slot_key(net: Network, pos: int):
    t = net.tensors[pos]
    if t.param is not None:
        return ("param", t.kind, tuple(t.param))
    if t.kind == "copy":
        return ("copy", tuple(net.sizes[i] for i in t.indices))
    return ("tensor", pos)


def plan_contraction(net: Network, *, batch: int, optimize="auto",
                     fold_copies: bool = True,
                     max_intermediate: int | None = DEFAULT_MAX_INTERMEDIATE) -> Plan:
    """Plan the contraction of ``net`` with input vectors on every input leg.

    Parameters
    ----------
    net : Network
    batch : int
        Number of sequences (size of the shared batch index).
    optimize : str, callable or path
        See :func:`tnrnn.contract.cost.contraction_cost`.
    fold_copies : bool
        Fold copy tensors into hyperedges.
    max_intermediate : int or None
        Refuse (``TooLargeError``) a plan whose largest intermediate holds
        more entries; ``None`` for no limit.

    Returns
    -------
    Plan
        The program (:func:`run_plan` runs it).

    Notes
    -----
    Plans for a string ``optimize`` or an explicit path are cached per
    network object (networks are immutable; the cache holds them weakly), so
    repeated calls skip the path search.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(2, 2, 2, 3))
    >>> plan = plan_contraction(net, batch=8)

    9 unit copies of two weight tensors each (copy tensors folded), ``W_O``,
    4 copies of the initial states and 6 input vectors: 29 operands, but
    only 7 distinct weight arrays (``W_H``, ``W_I``, ``h0`` per layer, and
    ``W_O``) are passed.

    >>> len(plan.slot_tensors), plan.cost.num_operands, len(plan.cost.path)
    (7, 29, 28)

    The path has 28 steps, but 7 of them would recompute a sub-result of
    another copy of the same sub-network (the layer-1 chain up to ``t``
    is duplicated under each consumer): the plan runs 21 and reads those
    results twice.

    >>> len(plan.steps), plan.executed_flops < plan.cost.flops
    (21, True)
    >>> plan_contraction(net, batch=8) is plan
    True
    >>> plan_contraction(net, batch=8, max_intermediate=10)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the contraction's largest intermediate would hold 16 entries (2^4.0); the limit is max_intermediate=10 entries
    """
    from ..errors import check_positive_int

    batch = check_positive_int("batch", batch)
    cache_key = None
    if isinstance(optimize, str):
        cache_key = (batch, optimize, fold_copies)
    elif not callable(optimize):
        try:
            cache_key = (batch, tuple(tuple(s) for s in optimize), fold_copies)
        except TypeError:
            cache_key = None
    plan = _PLANS.get(net, {}).get(cache_key) if cache_key is not None else None
    if plan is None:
        plan = _build_plan(net, batch, optimize, fold_copies)
        if cache_key is not None:
            _PLANS.setdefault(net, {})[cache_key] = plan
    if max_intermediate is not None:
        check_max_intermediate(plan.cost, max_intermediate)
    return plan


def _build_plan(net, batch, optimize, fold_copies) -> Plan:
    view = network_view(net, batch=batch, fold_copies=fold_copies)
    return build_plan(net, view, optimize)


def build_plan(net: Network, view, optimize, *, layout: str = "appearance") -> Plan:
    """The :class:`Plan` of an einsum view of ``net`` (any
    :class:`~tnrnn.contract.cost.View` whose sources are tensors of ``net``
    and input time steps): find the path, price it, write its steps with
    the given index ``layout`` (:func:`~tnrnn.contract.pathutils.simulate`),
    give copies of one weight tensor one slot, and leave out the steps that
    recompute an equal sub-result.

    Parameters
    ----------
    net : Network
        The compiled network.
    view : View
        An einsum view of ``net``.
    optimize : str, callable or path
        The path finder.
    layout : {"appearance", "output"}
        Index order of intermediate results
        (:func:`~tnrnn.contract.pathutils.simulate`).

    Returns
    -------
    Plan
        The program.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.contract.cost import network_view
    >>> net = compile_network(TTRNN(2, 2, 3))
    >>> plan = build_plan(net, network_view(net, batch=2), "auto")
    >>> plan.steps == plan_contraction(net, batch=2).steps
    True
    """
    path, label = find_path(view.inputs, view.output, view.size_dict, optimize)
    n = len(view.inputs)
    ssa = linear_to_ssa(path, n)
    costs: list = []
    flops, largest, written, steps = simulate(
        view.inputs, view.output, view.size_dict, ssa, equations=True,
        layout=layout, step_costs=costs)
    cost = Cost(flops=flops, max_intermediate=largest, memory_written=written,
                path=tuple(path), optimize=label, num_operands=n)
    slots: dict = {}
    slot_tensors: list = []
    sources = []
    for kind, where in view.sources:
        if kind == "tensor":
            key = _slot_key(net, where)
            if key not in slots:
                slots[key] = len(slot_tensors)
                slot_tensors.append(where)
            sources.append(("w", slots[key]))
        else:
            if not isinstance(where, int) or where < 1:
                raise SpecError(f"input legs must carry a 1-based time step; "
                                f"got time={where!r}")
            sources.append(("x", where))
    kept, executed = merge_equal_steps(sources, steps, costs)
    return Plan(sources=tuple(sources), slot_tensors=tuple(slot_tensors),
                steps=tuple(kept), cost=cost, executed_flops=executed)


def run_plan(plan_program: tuple, weights: Sequence, X, einsum: Callable):
    """Run a plan's program with an einsum function of any array library.

    ``weights`` holds one array per slot, ``X`` the inputs ``(N, T, M)``.
    This loop is what the ``"numpy"`` engine runs eagerly and what the
    ``"jax"`` engine traces once under ``jax.jit``.

    Parameters
    ----------
    plan_program : tuple
        ``(sources, steps)`` of a :class:`Plan`.
    weights : sequence of array
        One array per weight slot.
    X : array, shape (N, T, M)
        The inputs.
    einsum : callable
        ``einsum(equation, *operands)`` of the array library.

    Returns
    -------
    array
        The outputs ``(N, K)``.

    Examples
    --------
    >>> import numpy as np, opt_einsum
    >>> from tnrnn.circuit import TTRNN, evaluate, init_params, random_inputs
    >>> from tnrnn.compile import compile_network, tensor_arrays
    >>> spec = TTRNN(2, 3, 4)
    >>> net, p, X = compile_network(spec), init_params(spec), random_inputs(spec, 5)
    >>> plan = plan_contraction(net, batch=5)
    >>> arrays = tensor_arrays(net, spec, p)
    >>> y = run_plan(plan.program, [arrays[k] for k in plan.slot_tensors], X,
    ...              opt_einsum.contract)
    >>> bool(np.allclose(y, evaluate(spec, p, X)))
    True
    """
    sources, steps = plan_program
    n = len(sources)
    last = {}
    for j, (ids, _) in enumerate(steps):
        for i in ids:
            last[i] = j
    vals = {}
    for k, (kind, where) in enumerate(sources):
        if k in last:
            vals[k] = weights[where] if kind == "w" else X[:, where - 1, :]
    for j, (ids, eq) in enumerate(steps):
        vals[n + j] = einsum(eq, *[vals[i] for i in ids])
        for i in set(ids):
            if last[i] == j:
                del vals[i]
    return vals[n + len(steps) - 1]
