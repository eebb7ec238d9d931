"""Exact min-cut of the duplicated RAC network by a tree dynamic programme,
without building the network.

The compiled depth-``L`` RAC network (:func:`tnrnn.compile.compile_network`)
is a tree rooted at the output with ``~T^L / L!`` nodes, but all copies of
unit ``(t, l)`` root identical sub-trees. The cheapest way to cut the
sub-tree of unit ``(t, l)``, given the side of its top tensor, is therefore
one number per ``(t, l, side)``: ``O(T L)`` states, each with exact integer
products of bond sizes (no logarithms).

Examples
--------
Depth 2, ``R = 3``, Start-End at ``T = 8``: a cut through bonds costs
``R^(T/2+1) = 243``; with ``M = 2`` cutting some input legs is cheaper.

>>> tree_min_cut(2, 3, 3, 8).value
243
>>> c = tree_min_cut(2, 3, 2, 8)
>>> c.value, c.cut_bonds, c.cut_legs
(162, 4, 1)
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict

from ..errors import PartitionError, SpecError, TooLargeError, check_positive_int
from ..network import Network
from ..partition import Partition, parse_partition
from ._records import Cut, TreeCut, log2_int
from ._sizes import DEFAULT_MAX_SECONDS, check_work

__all__ = ["tree_min_cut", "explicit_tree_cut", "DEFAULT_MAX_LOG2", "TREE_FORMS"]

TREE_FORMS = ("cp", "core")

#: :func:`tree_min_cut` refuses, before computing, min-cut values above
#: ``2**DEFAULT_MAX_LOG2`` (exact integers of more than this many bits).
DEFAULT_MAX_LOG2 = 2 ** 20


def _tables(L: int, T: int, in_a, r, m, one, mul, form: str):
    """The programme. Sides are 0 (A) and 1 (B).

    ``F[t, l][s]``: least cost of the sub-tree below unit ``(t, l)`` when its
    top tensor (copy tensor ``D`` in form ``"cp"``, core ``G`` in ``"core"``)
    is on side ``s``, not counting the bond to its parent.
    ``P[t, l][s]`` / ``Q[t, l][s]``: least cost of what hangs off the time /
    depth input of the unit, seen from the tensor it attaches to (``W_H`` /
    ``W_I`` in ``"cp"``, ``G`` in ``"core"``) on side ``s``.

    Every internal bond has size ``R`` (cost ``r``), an input leg ``M``
    (cost ``m``); an initial-state tensor is a free leaf (cost ``one``).
    Children of a node are independent given its side, and costs are
    positive, so the least product is the product of the children's least
    costs.
    """
    F: dict = {}
    P: dict = {}
    Q: dict = {}

    def via(c):  # attach a sub-tree of costs c through one R-bond
        return (min(c[0], mul(r, c[1])), min(c[1], mul(r, c[0])))

    for l in range(1, L + 1):
        for t in range(1, T + 1):
            p = via(F[t - 1, l]) if t > 1 else (one, one)
            if l > 1:
                q = via(F[t, l - 1])
            else:
                q = (one, m) if in_a(t) else (m, one)
            P[t, l], Q[t, l] = p, q
            if form == "cp":  # D -(R)- W_H -> p ; D -(R)- W_I -> q
                p, q = via(p), via(q)
            F[t, l] = (mul(p[0], q[0]), mul(p[1], q[1]))
    return F, P, Q


def _choose(costs, parent_side: int, r, mul) -> int:
    """Side of a node attached by an R-bond to a parent on ``parent_side``;
    ties keep the parent's side."""
    s = parent_side
    return s if costs[s] <= mul(r, costs[1 - s]) else 1 - s


def _check_args(L, R, M, T, partition, form):
    L = check_positive_int("depth L", L)
    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    T = check_positive_int("length T", T, minimum=2)
    if form not in TREE_FORMS:
        raise SpecError(f"form must be one of {TREE_FORMS}; got {form!r}")
    # O(T L) Python steps: refuse what would run for minutes, before the
    # partition (a list of all T steps) is built.
    check_work(L, T, max_seconds=DEFAULT_MAX_SECONDS, what="the min-cut")
    return L, R, M, T, parse_partition(partition, T)


def tree_min_cut(L: int, R: int, M: int, T: int, partition="start-end", *,
                 form: str = "cp", max_log2: float = DEFAULT_MAX_LOG2) -> TreeCut:
    """Minimum cut of the duplicated depth-``L`` RAC network for
    ``partition``, computed exactly without building the network.

    Parameters
    ----------
    L, R, M, T : int
        Depth, hidden width, input dimension, length.
    partition : str or Partition, default "start-end"
        Any partition of ``1..T`` (see :func:`tnrnn.partition.parse_partition`).
    form : {"cp", "core"}
        The compile form: ``"cp"`` (copy tensor + ``W_H`` + ``W_I`` per unit,
        all internal bonds of size ``R``) or ``"core"`` (one fused core per
        unit). A TT-RNN is ``L = 1``, ``"core"``.
    max_log2 : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`) when a float pass
        estimates the bound above ``2**max_log2``; ``T L`` steps estimated
        above :data:`tnrnn.bounds._sizes.DEFAULT_MAX_SECONDS` are refused too.

    Returns
    -------
    TreeCut
        The exact value ``R**cut_bonds * M**cut_legs`` and the numbers of
        cut bonds and input legs over all copies.

    Notes
    -----
    Equal to :func:`tnrnn.bounds.min_cut` on
    ``compile_network(RAC(L, R, M, T), form=form)`` (tested on a grid), in
    ``O(T L)`` big-integer operations. Every cut in the ``"core"`` network is
    one of the ``"cp"`` network (put ``D, W_H, W_I`` with their core), so
    the ``"cp"`` value is never larger. Use :func:`explicit_tree_cut` for the
    cut edges of a built network.

    Examples
    --------
    >>> tree_min_cut(1, 5, 2, 4).value          # min(R, M^(T/2)) at depth 1
    4
    >>> c = tree_min_cut(3, 3, 3, 8)
    >>> c.value == 3 ** 14, c.cut_bonds, c.cut_legs
    (True, 13, 1)
    >>> tree_min_cut(2, 3, 3, 8, "odd-even").log2 > tree_min_cut(2, 3, 3, 8).log2
    True
    >>> tree_min_cut(2, 3, 3, 7)
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the start-end partition needs an even length T; got T=7
    """
    L, R, M, T, p = _check_args(L, R, M, T, partition, form)
    a = frozenset(p.A)
    in_a = a.__contains__
    est_F, _, _ = _tables(L, T, in_a, math.log2(R), math.log2(M), 0.0,
                          operator.add, form)
    estimate = min(est_F[T, L])
    if estimate > max_log2:
        raise TooLargeError(
            f"the min-cut bound of the depth-{L}, T={T} network is about "
            f"2^{estimate:,.0f}; the limit is max_log2={max_log2:,.0f} bits",
            estimate=estimate, limit=max_log2)
    F, P, Q = _tables(L, T, in_a, R, M, 1, operator.mul, form)
    value = min(F[T, L])
    mul = operator.mul
    # Top-down count of copies per (unit, side), following the argmins.
    N: dict = defaultdict(lambda: [0, 0])
    N[T, L][0 if F[T, L][0] <= F[T, L][1] else 1] = 1
    bonds = legs = 0
    for l in range(L, 0, -1):
        for t in range(T, 0, -1):
            if (t, l) not in N:
                continue
            for s, count in enumerate(N[t, l]):
                if not count:
                    continue
                for raw, child in ((P[t, l], (t - 1, l) if t > 1 else None),
                                   (Q[t, l], (t, l - 1) if l > 1 else "leg")):
                    side = s
                    if form == "cp":  # the W_H / W_I tensor between
                        side = _choose(raw, s, R, mul)
                        bonds += count * (side != s)
                    if child is None:  # initial state: a free leaf
                        continue
                    if child == "leg":
                        legs += count * (side != (0 if in_a(t) else 1))
                        continue
                    cs = _choose(F[child], side, R, mul)
                    bonds += count * (cs != side)
                    N[child][cs] += count
    assert R ** bonds * M ** legs == value, "tree programme traceback mismatch"
    return TreeCut(value=value, log2=log2_int(value), cut_bonds=bonds, cut_legs=legs,
                   sizes={"L": L, "R": R, "M": M, "T": T}, form=form,
                   partition=p.to_dict())


def explicit_tree_cut(net: Network, partition: Partition) -> Cut:
    """The minimum cut found by :func:`tree_min_cut`, as explicit edges of a
    built network (a certificate :func:`tnrnn.bounds.validate_cut` accepts).

    ``net`` must come from :func:`tnrnn.compile.compile_network` (its
    ``meta`` names the spec and form).

    Parameters
    ----------
    net : Network
        Compiled by :func:`tnrnn.compile.compile_network` from a RAC.
    partition : str or Partition
        As in :func:`tnrnn.partition.parse_partition`.

    Returns
    -------
    Cut
        With ``method="tree-dp"``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.bounds import validate_cut
    >>> net = compile_network(RAC(2, 3, 2, 4))
    >>> cut = explicit_tree_cut(net, start_end(4))
    >>> cut.value == tree_min_cut(2, 3, 2, 4).value, validate_cut(net, start_end(4), cut)
    (True, True)
    """
    from .mincut import _check, _cut_from_side, analysis_graph

    spec = dict(getattr(net, "meta", {}).get("spec") or {})
    form = getattr(net, "meta", {}).get("form")
    keys = ("depth", "hidden", "input_dim", "length")
    if not all(k in spec for k in keys) or form not in TREE_FORMS:
        raise SpecError("explicit_tree_cut needs a network built by "
                        "tnrnn.compile.compile_network (meta with spec and form); "
                        f"got meta={dict(getattr(net, 'meta', {}))!r}")
    L, R, M, T = (spec[k] for k in keys)
    partition = _check(net, partition)
    if partition.length != T:
        raise PartitionError(f"the partition covers {partition.length} steps but the "
                             f"network has length T={T}")
    L, R, M, T, p = _check_args(L, R, M, T, partition, form)
    in_a = frozenset(p.A).__contains__
    F, P, Q = _tables(L, T, in_a, R, M, 1, operator.mul, form)
    mul = operator.mul
    g, a_legs, b_legs = analysis_graph(net, p)
    roots = [n for n, d in g.nodes(data=True) if d.get("kind") == "W_O"]
    if len(roots) != 1:
        raise SpecError(f"expected one W_O tensor at the root; found {len(roots)}")
    side = {roots[0]: 0 if F[T, L][0] <= F[T, L][1] else 1}
    stack = [roots[0]]
    while stack:
        u = stack.pop()
        for v in g.neighbors(u):
            if v in side:
                continue
            d = g.nodes[v]
            kind, ps = d.get("kind"), side[u]
            if kind == "leg":
                side[v] = 0 if v in a_legs else 1
                continue
            if kind in ("copy", "core"):
                side[v] = _choose(F[d["unit"]], ps, R, mul)
            elif kind == "W_H":
                side[v] = _choose(P[d["unit"]], ps, R, mul)
            elif kind == "W_I":
                side[v] = _choose(Q[d["unit"]], ps, R, mul)
            else:  # initial state: follows its parent
                side[v] = ps
            stack.append(v)
    cut = _cut_from_side(g, {n for n, s in side.items() if s == 0}, "tree-dp")
    assert cut.value == min(F[T, L]), "explicit cut differs from the programme's value"
    return cut
