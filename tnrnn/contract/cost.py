"""Exact cost model of a network contraction (no JAX: numpy and opt_einsum only).

A command-line tool can import this module to price a contraction without
loading JAX. Costs are exact Python integers.

Conventions (those of opt_einsum's ``PathInfo``)
------------------------------------------------
A step contracting ``k`` operands whose indices together are ``I`` costs::

    prod(size[i] for i in I) * (max(1, k - 1) + (1 if an index is summed))

so a pairwise step that sums an index costs ``2 * prod(sizes)`` (one multiply
and one add per term) and a pairwise step that sums nothing (an outer or
Hadamard product) costs ``prod(sizes)``. ``flops`` is the sum over steps and
equals ``opt_einsum.contract_path(...)[1].opt_cost`` for the same path. An
index is summed at a step when it is neither an output index nor carried by
an operand outside the step (so a hyperedge, e.g. a folded copy tensor or a
batch index, stays until its last carrier is reached).

Examples
--------
>>> from tnrnn.circuit import TTRNN
>>> from tnrnn.compile import compile_network
>>> net = compile_network(TTRNN(hidden=2, input_dim=3, length=4))
>>> c = contraction_cost(net)
>>> c.flops, c.max_intermediate, len(c.path)
(124, 6, 9)

Here the default order costs as much as the plain tree order, whose closed
form (:func:`contraction_cost`, Notes) gives ``T (2 M R^2 + M R) + 2 K R =
4 * 30 + 4`` at ``N = 1``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from ..errors import SpecError, TooLargeError, check_positive_int
from ..network import Network
from .pathutils import linear_to_ssa, simulate, validate_path
from .paths import find_path

__all__ = [
    "DEFAULT_MAX_INTERMEDIATE",
    "Cost",
    "View",
    "network_view",
    "path_cost",
    "contraction_cost",
    "check_max_intermediate",
]

#: Default refusal threshold of a contraction: entries of its largest
#: intermediate (2**27 float64 numbers = 1 GiB).
DEFAULT_MAX_INTERMEDIATE = 2**27


@dataclasses.dataclass(frozen=True)
class Cost:
    """Exact cost of one contraction path.

    Parameters
    ----------
    flops : int
        Sum over steps of ``prod(sizes of the indices involved) * (max(1,
        k - 1) + [an index is summed])`` for a step over ``k`` operands: the
        convention of opt_einsum's ``PathInfo.opt_cost`` (a multiply-add
        counts 2).
    max_intermediate : int
        Entries of the largest tensor a step produces (inputs excluded),
        opt_einsum's ``largest_intermediate``; 1 for an empty path.
    memory_written : int
        Sum of the entries of every tensor the steps produce.
    path : tuple of tuple of int
        The linear contraction path (opt_einsum convention).
    optimize : str
        The path finder used, ``"explicit"`` or ``"callable"``.
    num_operands : int
        Operands of the einsum the path contracts.

    Examples
    --------
    >>> c = Cost(flops=1000, max_intermediate=64, memory_written=80,
    ...          path=((0, 1),), optimize="explicit", num_operands=2)
    >>> c.log2_max_intermediate, c.log10_flops
    (6.0, 3.0)
    """

    flops: int
    max_intermediate: int
    memory_written: int
    path: tuple
    optimize: str
    num_operands: int

    @property
    def log2_max_intermediate(self) -> float:
        """``log2(max_intermediate)``."""
        return math.log2(self.max_intermediate)

    @property
    def log10_flops(self) -> float:
        """``log10(flops)`` (``-inf`` for a free contraction)."""
        return math.log10(self.flops) if self.flops else -math.inf

    def to_dict(self) -> dict:
        """Plain data (JSON-ready), logarithms included and named by base."""
        d = dataclasses.asdict(self)
        d["path"] = [list(s) for s in self.path]
        d["log2_max_intermediate"] = self.log2_max_intermediate
        d["log10_flops"] = self.log10_flops
        return d


@dataclasses.dataclass(frozen=True)
class View:
    """An einsum view of a network with input vectors attached.

    ``sources[k]`` says what operand ``k`` is: ``("tensor", position in
    net.tensors)`` or ``("input", time step)``.

    Parameters
    ----------
    inputs : list of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : dict
        Index sizes.
    sources : tuple
        What each operand is.
    batch_index : str or None
        The batch index, when input vectors are attached.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN
    >>> from tnrnn.compile import compile_network
    >>> v = network_view(compile_network(TTRNN(2, 2, 3)), batch=4)
    >>> isinstance(v, View), v.batch_index, v.size_dict[v.batch_index]
    (True, '_batch', 4)
    >>> len(v.inputs) == len(v.sources)
    True
    >>> v.to_dict()["output"][0], v.to_dict()["sources"][0]
    ('_batch', ['tensor', 0])
    """

    inputs: list
    output: tuple
    size_dict: dict
    sources: tuple
    batch_index: str | None

    def to_dict(self) -> dict:
        """Plain data (JSON-ready): the fields with tuples as lists.

        Returns
        -------
        dict
            ``inputs`` (the indices of each operand), ``output``,
            ``size_dict``, ``sources`` (``[kind, position or time step]``
            per operand) and ``batch_index``.

        Examples
        --------
        >>> v = View([("a", "b"), ("b",)], ("a",), {"a": 2, "b": 3},
        ...          (("tensor", 0), ("input", 1)), None)
        >>> v.to_dict()
        {'inputs': [['a', 'b'], ['b']], 'output': ['a'], 'size_dict': {'a': 2, 'b': 3}, 'sources': [['tensor', 0], ['input', 1]], 'batch_index': None}
        """
        return {"inputs": [list(ix) for ix in self.inputs], "output": list(self.output),
                "size_dict": dict(self.size_dict),
                "sources": [list(src) for src in self.sources],
                "batch_index": self.batch_index}


def _fresh_name(base: str, taken) -> str:
    name = base
    while name in taken:
        name += "_"
    return name


def network_view(net: Network, *, batch: int = 1, fold_copies: bool = True,
                 attach_inputs: bool = True) -> View:
    """The einsum triple of ``net`` with an input vector on every input leg.

    Parameters
    ----------
    net : Network
    batch : int
        Size of the batch index shared by every input vector (a hyperedge)
        and put first in the output. Used only with ``attach_inputs``.
    fold_copies : bool
        Fold copy tensors into hyperedges (:meth:`Network.einsum_view`).
    attach_inputs : bool
        Attach one operand ``(batch, leg)`` per input leg; the output is then
        ``(batch,) + output legs``. With ``False`` the view is the bare
        network, whose output is every open leg.

    Returns
    -------
    View
        The einsum view.

    Raises
    ------
    SpecError
        If ``attach_inputs`` is set and the network has no input legs.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> v = network_view(compile_network(RAC(1, 2, 3, 1)), batch=5)
    >>> v.inputs[-1], v.output, v.sources[-1]
    (('_batch', 'x1#0'), ('_batch', 'y'), ('input', 1))
    """
    inputs, output, sizes = net.einsum_view(fold_copies=fold_copies)
    positions = (net.folded_tensor_positions() if fold_copies
                 else list(range(net.num_tensors)))
    sources = [("tensor", p) for p in positions]
    if not attach_inputs:
        return View(list(inputs), tuple(output), dict(sizes), tuple(sources), None)
    batch = check_positive_int("batch", batch)
    if not any(leg.role == "input" for leg in net.legs):
        raise SpecError("the network has no input legs to attach input vectors "
                        "to; use attach_inputs=False")
    b = _fresh_name("_batch", sizes)
    inputs = list(inputs)
    kept = []
    for leg, ix in zip(net.legs, output):
        if leg.role == "input":
            inputs.append((b, ix))
            sources.append(("input", leg.time))
        else:
            kept.append(ix)
    sizes = dict(sizes)
    sizes[b] = batch
    return View(inputs, (b, *kept), sizes, tuple(sources), b)


def path_cost(inputs: Sequence, output: Sequence, size_dict, path,
              *, optimize: str = "explicit") -> Cost:
    """Exact cost of contracting the einsum ``(inputs, output, size_dict)``
    along the linear ``path``.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : sequence
        The result's indices.
    size_dict : mapping
        Index sizes.
    path : linear path
        The order of the steps.
    optimize : str
        The label stored in the result.

    Returns
    -------
    Cost
        FLOPs, largest intermediate, entries written.

    Examples
    --------
    A matrix-vector product, ``i`` of size 2, ``j`` of size 3: one step over
    ``{i, j}`` summing ``j``: ``2 * 2 * 3 = 12``.

    >>> c = path_cost([("i", "j"), ("j",)], ("i",), {"i": 2, "j": 3}, [(0, 1)])
    >>> c.flops, c.max_intermediate, c.memory_written
    (12, 2, 2)
    """
    path = validate_path(path, len(inputs))
    flops, largest, written, _ = simulate(
        inputs, output, size_dict, linear_to_ssa(path, len(inputs)))
    return Cost(flops=flops, max_intermediate=largest, memory_written=written,
                path=tuple(path), optimize=optimize, num_operands=len(inputs))


def contraction_cost(net: Network, *, optimize="auto", fold_copies: bool = True,
                     batch: int = 1, attach_inputs: bool = True) -> Cost:
    """Exact cost of contracting ``net`` (by default with an input vector on
    every input leg, for a batch of ``batch`` sequences).

    Parameters
    ----------
    net : Network
    optimize : str, callable or path
        A path-finder name (:data:`tnrnn.contract.paths.PATH_FINDERS`), a
        finder ``f(inputs, output, size_dict) -> path``, or an explicit
        linear path.
    fold_copies : bool
        Price the view with copy tensors folded into hyperedges (what the
        ``"jax"`` and ``"numpy"`` engines contract) or with explicit copy
        tensors (what the ``"tensornetwork"`` engine contracts).
    batch : int
        Number of sequences contracted at once (size of the batch index).
    attach_inputs : bool
        ``False`` prices the bare network, whose result is the full tensor
        over every open leg (exponential in the number of input copies).

    Returns
    -------
    Cost

    Notes
    -----
    **[derived]** Closed form for the shallow chain (a TT-RNN, or a depth-1
    RAC in form ``"core"``) with the *plain* tree order (``tree_path(...,
    root=0, lookahead=False)``: rooted at the read-out ``W_O``, each operand
    merged with its children's finished results) and a batch of ``N``.
    Each site ``t`` joins three local operands: the core ``(R, M,
    R)``, the carried state (``(N, R)``, or ``h0`` of shape ``(R,)`` at
    ``t = 1``) and the input ``(N, M)``. For ``t >= 2`` the three orders
    cost ``2NMR^2 + 2NMR`` (core with state first), ``2NMR^2 + 2NR^2``
    (core with input first) and ``2NMR^2 + NMR`` (the two vectors first: an
    outer product, nothing summed), so a site costs
    ``2NMR^2 + N min(MR, 2R^2)``. At ``t = 1`` the first order becomes
    ``2MR^2 + 2NMR`` (``h0`` has no batch index). The read-out costs
    ``2NKR``. Hence::

        flops = c_1 + (T - 1) (2NMR^2 + N min(MR, 2R^2)) + 2NKR,
        c_1   = min(2MR^2 + 2NMR, 2NMR^2 + N min(MR, 2R^2)).

    With ``N = 1``, ``M <= 2R``: ``flops = T (2MR^2 + MR) + 2KR``. The
    default order is never dearer than this (it also searches the root and
    looks one level further) and is often cheaper; ``tests/test_contract.py``
    checks this closed form and the one of the ``"cp"`` chain.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(2, 2, 2, 4))
    >>> c = contraction_cost(net, batch=3)
    >>> c.flops == contraction_cost(net, batch=3, optimize=c.path).flops
    True
    """
    view = network_view(net, batch=batch, fold_copies=fold_copies,
                        attach_inputs=attach_inputs)
    path, label = find_path(view.inputs, view.output, view.size_dict, optimize)
    return path_cost(view.inputs, view.output, view.size_dict, path, optimize=label)


def check_max_intermediate(cost: Cost, limit: int) -> Cost:
    """Return ``cost`` if its largest intermediate fits ``limit`` entries.

    Parameters
    ----------
    cost : Cost
        A path's cost.
    limit : int
        The most entries allowed.

    Returns
    -------
    Cost
        ``cost``.

    Raises
    ------
    TooLargeError
        Carrying the estimate and the limit.

    Examples
    --------
    >>> c = path_cost([("i", "j"), ("j", "k")], ("i", "k"), {"i": 64, "j": 2, "k": 64}, [(0, 1)])
    >>> check_max_intermediate(c, 1000)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the contraction's largest intermediate would hold 4,096 entries (2^12.0); the limit is max_intermediate=1,000 entries
    """
    limit = check_positive_int("max_intermediate", limit)
    if cost.max_intermediate > limit:
        raise TooLargeError(
            f"the contraction's largest intermediate would hold "
            f"{cost.max_intermediate:,} entries (2^{cost.log2_max_intermediate:.1f}); "
            f"the limit is max_intermediate={limit:,} entries",
            estimate=cost.max_intermediate, limit=limit)
    return cost
