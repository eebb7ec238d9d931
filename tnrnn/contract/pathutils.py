"""Path plumbing shared by the path finders and the cost model: linear and
SSA paths, path validation, and the cost of one step (opt_einsum's
convention). Imports nothing beyond the standard library and tnrnn.errors.

A *linear* path (opt_einsum's) is a list of tuples of positions in the
current operand list; the operands a step names are removed and their result
is appended at the end. An *SSA* path names operands by id instead: inputs
are ``0..n-1`` and the result of step ``k`` is ``n + k``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Sequence

from ..errors import SpecError

__all__ = ["ssa_to_linear", "linear_to_ssa", "validate_path", "step_flops", "simulate",
           "merge_equal_steps"]


# --------------------------------------------------------------------------
# Linear <-> SSA paths (Fenwick tree: O(log n) per operand, not O(n)).
# --------------------------------------------------------------------------
class _Fenwick:
    """Prefix counts of alive operand ids (1 = alive)."""

    def __init__(self, n: int, alive: int):
        self.n = n
        self.tree = [0] * (n + 1)
        for i in range(alive):
            self.add(i, 1)

    def add(self, i: int, delta: int) -> None:
        i += 1
        while i <= self.n:
            self.tree[i] += delta
            i += i & -i

    def prefix(self, i: int) -> int:
        """Number of alive ids ``< i``."""
        s = 0
        while i > 0:
            s += self.tree[i]
            i -= i & -i
        return s

    def kth(self, k: int) -> int:
        """The id of the ``k``-th alive id (0-based)."""
        pos, rem = 0, k + 1
        step = 1 << self.n.bit_length()
        while step:
            nxt = pos + step
            if nxt <= self.n and self.tree[nxt] < rem:
                pos = nxt
                rem -= self.tree[nxt]
            step >>= 1
        return pos


def ssa_to_linear(ssa_path: Sequence[Sequence[int]], num_operands: int
                  ) -> list[tuple[int, ...]]:
    """Convert an SSA path (operands ``0..n-1``, then each result gets the
    next id) into opt_einsum's linear path.

    Parameters
    ----------
    ssa_path : sequence of tuple of int
        An SSA path.
    num_operands : int
        Operands at the start.

    Returns
    -------
    list of tuple of int
        The linear path.

    Examples
    --------
    >>> ssa_to_linear([(2, 3), (1, 4), (0, 5)], 4)
    [(2, 3), (1, 2), (0, 1)]
    """
    total = num_operands + len(ssa_path)
    fw = _Fenwick(total, num_operands)
    out = []
    new = num_operands
    for step in ssa_path:
        out.append(tuple(fw.prefix(i) for i in step))
        for i in step:
            fw.add(i, -1)
        fw.add(new, 1)
        new += 1
    return out


def linear_to_ssa(path: Sequence[Sequence[int]], num_operands: int
                  ) -> list[tuple[int, ...]]:
    """Convert a linear path into SSA form (inverse of :func:`ssa_to_linear`).

    Parameters
    ----------
    path : linear path
        opt_einsum's convention (positions in the shrinking list).
    num_operands : int
        Operands at the start.

    Returns
    -------
    list of tuple of int
        The SSA path (ids: operands ``0..n-1``, step ``j``'s result ``n + j``).

    Examples
    --------
    >>> linear_to_ssa([(2, 3), (1, 2), (0, 1)], 4)
    [(2, 3), (1, 4), (0, 5)]
    """
    total = num_operands + len(path)
    fw = _Fenwick(total, num_operands)
    out = []
    new = num_operands
    for step in path:
        ids = tuple(fw.kth(p) for p in step)
        out.append(ids)
        for i in ids:
            fw.add(i, -1)
        fw.add(new, 1)
        new += 1
    return out


def validate_path(path, num_operands: int) -> list[tuple[int, ...]]:
    """Check that ``path`` is a complete linear path for ``num_operands``
    operands and return it as a list of int tuples.

    Parameters
    ----------
    path : sequence of sequence of int
        A linear path (opt_einsum's convention).
    num_operands : int
        Operands at the start.

    Returns
    -------
    list of tuple of int
        The path.

    Raises
    ------
    SpecError
        If a step is empty, repeats a position, names a position out of
        range, or the path does not end with exactly one operand.

    Examples
    --------
    >>> validate_path([[0, 1], (0, 1)], 3)
    [(0, 1), (0, 1)]
    >>> validate_path([(0, 3)], 3)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: path step 0 (0, 3) names a position outside 0..2 (3 operands remain)
    """
    try:
        steps = [tuple(int(p) for p in step) for step in path]
    except (TypeError, ValueError) as exc:
        raise SpecError(f"a path is a sequence of tuples of operand positions; "
                        f"got {path!r}") from exc
    remaining = num_operands
    for k, step in enumerate(steps):
        if not step:
            raise SpecError(f"path step {k} is empty")
        if len(set(step)) != len(step):
            raise SpecError(f"path step {k} {step} repeats a position")
        if min(step) < 0 or max(step) >= remaining:
            raise SpecError(f"path step {k} {step} names a position outside "
                            f"0..{remaining - 1} ({remaining} operands remain)")
        remaining += 1 - len(step)
    if remaining != 1:
        raise SpecError(f"path must contract {num_operands} operands down to one; "
                        f"it leaves {remaining}")
    return steps


# --------------------------------------------------------------------------
# Cost of one step (opt_einsum convention), shared with tnrnn.contract.cost.
# --------------------------------------------------------------------------
def step_flops(indices, removed: bool, num_terms: int, size_dict) -> int:
    """Cost of one step: ``prod(sizes of all indices involved) *
    (max(1, num_terms - 1) + (1 if an index is summed))``, as opt_einsum's
    ``helpers.flop_count``.

    Parameters
    ----------
    indices : iterable
        The indices the step involves.
    removed : bool
        Whether the step sums an index.
    num_terms : int
        Operands of the step.
    size_dict : mapping
        Index sizes.

    Returns
    -------
    int
        The step's FLOPs.

    Examples
    --------
    A matrix product ``(2 x 3) @ (3 x 4)``: 24 multiply-adds, 48 flops.

    >>> step_flops("ijk", True, 2, {"i": 2, "j": 3, "k": 4})
    48
    """
    op_factor = max(1, num_terms - 1) + (1 if removed else 0)
    return math.prod(size_dict[i] for i in indices) * op_factor


def simulate(inputs: Sequence, output: Sequence, size_dict, ssa_path,
              *, equations: bool = False, layout: str = "appearance",
              step_costs: list | None = None):
    """The pure core loop: walk an SSA path, return ``(flops, largest,
    written, steps)``; ``steps`` holds per-step ``(ids, einsum string)``
    with locally re-lettered indices when ``equations`` is true (letters
    from ``opt_einsum.get_symbol``, so a step over more than 52 indices gets
    non-ASCII letters: ``jax.numpy.einsum`` and ``opt_einsum.contract``
    accept them, ``numpy.einsum`` does not). The last step writes the
    output indices in ``output`` order. ``layout`` orders the indices of
    the other results: ``"appearance"`` (as they appear in the step's
    operands) or ``"output"`` (indices not in ``output`` first, in order of
    appearance, then those in ``output`` in its order: what the grid view
    wants, see :mod:`tnrnn.contract.grid`). ``step_costs``, a list, gets
    each step's FLOPs appended.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : sequence
        The result's indices.
    size_dict : mapping
        Index sizes.
    ssa_path : sequence of tuple of int
        The steps.
    equations : bool
        Write each step's einsum string.
    layout : {"appearance", "output"}
        Index order of intermediate results.
    step_costs : list, optional
        Gets each step's FLOPs.

    Returns
    -------
    tuple
        ``(flops, largest, written, steps)``.

    Examples
    --------
    >>> simulate([("i", "j"), ("j", "k"), ("k",)], ("i",),
    ...          {"i": 2, "j": 3, "k": 4}, [(1, 2), (0, 3)], equations=True)
    (36, 3, 5, [((1, 2), 'ab,b->a'), ((0, 3), 'ab,b->a')])
    """
    from opt_einsum import get_symbol

    if layout not in ("appearance", "output"):
        raise SpecError(f"layout must be 'appearance' or 'output'; got {layout!r}")
    out = frozenset(output)
    rank = {ix: k for k, ix in enumerate(output)}
    terms = {k: tuple(t) for k, t in enumerate(inputs)}
    count: dict = defaultdict(int)
    for t in terms.values():
        for ix in set(t):
            count[ix] += 1
    flops, largest, written = 0, 1 if not ssa_path else 0, 0
    steps = []
    new = len(inputs)
    last = len(ssa_path) - 1
    for s, ids in enumerate(ssa_path):
        picked = [terms.pop(i) for i in ids]
        involved = list(dict.fromkeys(ix for t in picked for ix in t))
        for t in picked:
            for ix in set(t):
                count[ix] -= 1
        if s == last:
            result = tuple(output)
        else:
            result = tuple(ix for ix in involved if ix in out or count[ix] > 0)
            if layout == "output":
                result = tuple(sorted(result, key=lambda ix: rank.get(ix, -1)))
        f = step_flops(involved, len(result) < len(involved), len(ids), size_dict)
        flops += f
        if step_costs is not None:
            step_costs.append(f)
        size = math.prod(size_dict[ix] for ix in result)
        largest = max(largest, size)
        written += size
        for ix in result:
            count[ix] += 1
        terms[new] = result
        new += 1
        if equations:
            sym = {ix: get_symbol(k) for k, ix in enumerate(involved)}
            eq = ",".join("".join(sym[i] for i in t) for t in picked)
            steps.append((tuple(ids), eq + "->" + "".join(sym[i] for i in result)))
    return flops, largest, written, steps


# --------------------------------------------------------------------------
# Equal sub-results computed once
# --------------------------------------------------------------------------
def merge_equal_steps(leaf_keys: Sequence, steps: Sequence, step_costs: Sequence
                      ) -> tuple[list, int]:
    """Drop the steps that recompute a result already computed.

    ``leaf_keys[k]`` identifies the *value* of operand ``k`` (operands with
    equal keys hold equal arrays: copies of one weight tensor, copies of
    one input vector); ``steps`` are ``(SSA ids, einsum string)`` as
    :func:`simulate` writes them (locally re-lettered, so the string
    carries the wiring of the step and nothing of the index names).

    A step's value is a function of its operands' values and its string
    alone. So, by induction over the steps, two steps whose strings are
    equal and whose operands are, position by position, the same value
    produce the same array: the second is dropped and its result is read
    from the first. This is exactly what makes the duplicated network of
    a deep RAC cheap to contract: each duplicated sub-network, contracted
    in the same order as its other copies, is contracted once.

    Returns ``(kept, flops)``: the kept steps as ``(ids, string)`` with ids
    renumbered (operands ``0..n-1`` as before, the ``j``-th *kept* step's
    result ``n + j``; an id may now be read by several steps), and the FLOPs
    of the kept steps. The last step (the root, read by nothing) is always
    kept.

    Parameters
    ----------
    leaf_keys : sequence
        A key per operand (equal keys: equal arrays).
    steps : sequence
        ``(SSA ids, einsum string)`` per step.
    step_costs : sequence of int
        FLOPs per step.

    Returns
    -------
    tuple
        ``(steps kept, renumbered, FLOPs they run)``.

    Examples
    --------
    Two copies of ``W @ x`` (operands 0, 2 are copies of ``W``; 1, 3 of
    ``x``) then their Hadamard product: the second copy is not recomputed.

    >>> steps = [((0, 1), "ab,b->a"), ((2, 3), "ab,b->a"), ((4, 5), "a,a->a")]
    >>> merge_equal_steps(["W", "x", "W", "x"], steps, [12, 12, 2])
    ([((0, 1), 'ab,b->a'), ((4, 4), 'a,a->a')], 14)
    """
    n = len(leaf_keys)
    rep: list = []
    first: dict = {}
    for k, key in enumerate(leaf_keys):
        rep.append(first.setdefault(("leaf", key), k))
    kept, flops, seen = [], 0, {}
    for s, ((ids, eq), cost) in enumerate(zip(steps, step_costs)):
        args = tuple(rep[i] for i in ids)
        key = (eq, args)
        if key in seen and s < len(steps) - 1:
            rep.append(seen[key])
            continue
        new = n + len(kept)
        seen[key] = new
        rep.append(new)
        kept.append((args, eq))
        flops += cost
    return kept, flops
