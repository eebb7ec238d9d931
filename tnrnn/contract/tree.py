"""A structure-aware contraction order for tree-shaped networks.

Compiled RAC and TT-RNN networks are trees (``docs/theory.md`` section
4): the duplicated multilayer network is a tree rooted at the output, and the
shallow one is a chain. Attaching input vectors with a shared batch index
keeps them trees once output indices are set aside (they never join two
sub-results). Folding copy tensors turns some bonds into hyperedges (one
index on three tensors); the incidence graph of tensors and summed indices
is still a tree.

Imports nothing beyond the standard library and tnrnn.

Examples
--------
>>> is_tree_shaped([("i", "j"), ("j", "k")], ("i",))
True
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict

from ..errors import SpecError
from .pathutils import ssa_to_linear

__all__ = ["is_tree_shaped", "tree_path"]

#: Merges of at most this many local operands are searched exhaustively.
_LOCAL_EXHAUSTIVE = 5
#: Every operand is tried as the root only when no operand meets more
#: than this many local operands (else the preferred root is used).
_REROOT_MAX_LOCALS = 8


def _owners(inputs, output):
    """Operands carrying each summed index, or None if the incidence graph
    of operands and summed indices (output indices left out) has a cycle."""
    out = set(output)
    owners: dict = {}
    parent = list(range(len(inputs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, term in enumerate(inputs):
        for ix in dict.fromkeys(term):
            if ix in out:
                continue
            if ix in owners:
                a, b = find(owners[ix][0]), find(k)
                if a == b:
                    return None
                parent[b] = a
                owners[ix].append(k)
            else:
                owners[ix] = [k]
    return owners


def is_tree_shaped(inputs, output) -> bool:
    """Whether the incidence graph of operands and summed indices is a forest.

    Output indices (kept to the end, such as a batch index shared by every
    input vector) are left out: they never join two sub-results. Hyperedges
    (an index on three or more operands, as folded copy tensors give) are
    allowed.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.

    Returns
    -------
    bool
        Whether the graph has no cycle.

    Examples
    --------
    >>> is_tree_shaped([("i", "j"), ("j", "k"), ("k", "i")], ())
    False
    >>> is_tree_shaped([("b", "i", "j"), ("b", "j")], ("b",))
    True
    """
    return _owners(inputs, output) is not None


# --------------------------------------------------------------------------
# Local merges: a node and its children's results, in the cheapest order.
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=16384)
def _solve_canonical(terms: tuple, sizes: tuple, kept: frozenset):
    """Cheapest pairwise order of a few operands given as tuples of local
    index numbers. Returns ``(flops, peak, steps, result)`` with ``steps``
    pairs of local SSA ids (operands ``0..k-1``, results ``k, k+1, ...``)."""
    k = len(terms)

    def step(ta, tb, rest):
        keep = set(kept)
        for t in rest:
            keep.update(t)
        involved = tuple(dict.fromkeys(ta + tb))
        result = tuple(i for i in involved if i in keep)
        flops = math.prod(sizes[i] for i in involved) * (
            2 if len(result) < len(involved) else 1)
        return flops, math.prod(sizes[i] for i in result), result

    if k <= _LOCAL_EXHAUSTIVE:
        best = None

        def rec(ops, flops, peak, steps, fresh):
            nonlocal best
            if len(ops) == 1:
                if best is None or (flops, peak) < best[:2]:
                    best = (flops, peak, tuple(steps), ops[0][1])
                return
            for a, b in itertools.combinations(range(len(ops)), 2):
                rest = [t for j, (_, t) in enumerate(ops) if j != a and j != b]
                f, size, result = step(ops[a][1], ops[b][1], rest)
                if best is not None and (flops + f, max(peak, size)) >= best[:2]:
                    continue
                steps.append((ops[a][0], ops[b][0]))
                rest_ops = [op for j, op in enumerate(ops) if j != a and j != b]
                rec(rest_ops + [(fresh, result)], flops + f, max(peak, size),
                    steps, fresh + 1)
                steps.pop()

        rec([(i, t) for i, t in enumerate(terms)], 0, 0, [], k)
        return best
    # Greedy: the cheapest step first.
    ops = [(i, t) for i, t in enumerate(terms)]
    flops = peak = 0
    steps = []
    fresh = k
    while len(ops) > 1:
        choice = None
        for a, b in itertools.combinations(range(len(ops)), 2):
            rest = [t for j, (_, t) in enumerate(ops) if j != a and j != b]
            f, size, result = step(ops[a][1], ops[b][1], rest)
            if choice is None or (f, size) < choice[:2]:
                choice = (f, size, a, b, result)
        f, size, a, b, result = choice
        flops, peak = flops + f, max(peak, size)
        steps.append((ops[a][0], ops[b][0]))
        ops = [op for j, op in enumerate(ops) if j != a and j != b] + [(fresh, result)]
        fresh += 1
    return flops, peak, tuple(steps), ops[0][1]


def _solve(terms, kept, size_dict):
    """Local merge of operands given by index-name tuples; ``kept`` are the
    names needed outside. Returns ``(flops, steps, result names)``."""
    number: dict = {}
    canon = tuple(tuple(number.setdefault(ix, len(number)) for ix in t) for t in terms)
    names = list(number)
    sizes = tuple(size_dict[ix] for ix in names)
    kept_c = frozenset(number[ix] for ix in names if ix in kept)
    flops, _, steps, result = _solve_canonical(canon, sizes, kept_c)
    return flops, steps, tuple(names[i] for i in result)


# --------------------------------------------------------------------------
# The finder
# --------------------------------------------------------------------------
def tree_path(inputs, output, size_dict, *, root: int | None = None,
              lookahead: bool = True) -> list[tuple[int, int]]:
    """Structure-aware path for tree-shaped networks: leaves toward a root.

    Every operand is contracted as soon as the sub-trees hanging below it are
    done: visiting the tree from the leaves up, each operand is merged with
    the (already contracted) results of its children, in the cheapest order
    of that handful of local operands (exhaustive search over at most five,
    greedy above). With ``lookahead``, a child whose own children are all
    leaves joins its parent's merge together with those leaves (while the
    merge stays within five operands), so that the search also weighs, for
    instance, joining the read-out and the last weights before the batched
    input vector, or two weight tensors before their input vectors. The
    root is the operand that makes the whole cheapest: all roots are priced
    at once by re-rooting (each directed sub-tree is priced once), so the
    search is linear in the network size.

    Parameters
    ----------
    inputs, output, size_dict
        The einsum view (opt_einsum vocabulary). Output indices do not link
        operands (a batch index shared by all input vectors is fine).
    root : int, optional
        Force the root (an operand position) instead of searching for it.
    lookahead : bool
        Let a neighbour whose own neighbours are leaves join its parent's
        local merge (see below). With ``False`` and a fixed ``root``, the
        order is the plain one: each operand merged with the finished
        results of its children, nothing else.

    Returns
    -------
    list of (int, int)
        A linear path of pairwise steps.

    Raises
    ------
    SpecError
        If the network is not tree-shaped (see :func:`is_tree_shaped`) or
        ``root`` is not an operand position.

    Notes
    -----
    Why this is good for trees: in a tree, the result of contracting a
    sub-tree carries only the indices that leave it, namely the bond to its
    parent (plus output indices such as the batch index). Contracting
    bottom-up therefore never builds an intermediate larger than a node
    joined to its children's boundary vectors, and each step's cost is local:
    for a compiled RAC with a batch of ``N`` sequences each step costs
    ``O(N R^2)`` or ``O(N M R^2)``. Which end a sweep starts from matters
    because of the batch index: a sub-tree without input vectors (the
    read-out ``W_O`` with the last core, or ``h0`` with the first) carries
    no batch index, so the best root is where the sweeps meet, and it is
    found exactly. The order is deterministic and needs no search over the
    whole network. A general-purpose greedy finder does not know which
    indices will be summed later: with a large batch it carries open input
    legs and builds intermediates thousands of times larger (see
    :func:`tnrnn.contract.paths.auto_path` for measured cases, and for the
    short-sequence cases where contracting all weights first is cheaper,
    which this order never does; ``"auto"`` keeps the cheaper of the two).

    Ties between roots go to an operand that alone carries an output index
    (the read-out ``W_O`` holding ``y``), then to the lowest position.
    Components of a forest are contracted separately, then multiplied.

    Examples
    --------
    A star: the centre ``C`` carries the output ``y``. Each leaf vector is
    absorbed into its arm; at ``C`` the two arm vectors meet first (an outer
    product, 9 flops) and then ``C`` (36 flops), cheaper than absorbing them
    one at a time (36 + 12).

    >>> inputs = [("y", "a", "b"), ("a", "p"), ("p",), ("b", "q"), ("q",)]
    >>> tree_path(inputs, ("y",), {"y": 2, "a": 3, "b": 3, "p": 4, "q": 4})
    [(1, 2), (1, 2), (1, 2), (0, 1)]
    """
    owners = _owners(inputs, output)
    if owners is None:
        raise SpecError("the 'tree' path finder needs a tree-shaped network "
                        "(no cycle through summed indices); use 'greedy' or "
                        "'auto' for this one")
    n = len(inputs)
    if root is not None and (isinstance(root, bool) or not isinstance(root, int)
                             or not 0 <= root < n):
        raise SpecError(f"root must be an operand position in 0..{n - 1}; got {root!r}")
    if n <= 1:
        return []
    out = frozenset(output)
    terms = [tuple(dict.fromkeys(t)) for t in inputs]
    links = [tuple(ix for ix in terms[u] if ix in owners and len(owners[ix]) > 1)
             for u in range(n)]
    sole = sorted({ks[0] for ks in _carriers(terms, out).values() if len(ks) == 1})

    def bfs(r):
        order, plink = [r], {r: None}
        head = 0
        while head < len(order):
            u = order[head]
            head += 1
            for ix in links[u]:
                if ix == plink[u]:
                    continue
                for v in owners[ix]:
                    if v != u:
                        plink[v] = ix
                        order.append(v)
        return order, plink

    seen = [False] * n
    roots = []
    for start in sole + list(range(n)):
        if seen[start]:
            continue
        order, plink = bfs(start)
        for u in order:
            seen[u] = True
        if root is not None and root in plink:
            roots.append(root)
        else:
            roots.append(_best_root(order, plink, terms, links, owners, out,
                                    size_dict, set(sole), lookahead))

    ssa: list = []
    current = {k: terms[k] for k in range(n)}
    next_id = n

    def emit(ids, kept):
        nonlocal next_id
        _, steps, _ = _solve([current[i] for i in ids], kept, size_dict)
        local = list(ids)
        for a, b in steps:
            ga, gb = local[a], local[b]
            ta, tb = current.pop(ga), current.pop(gb)
            rest = set()
            for i in local:
                if i in current:
                    rest.update(current[i])
            involved = tuple(dict.fromkeys(ta + tb))
            current[next_id] = tuple(ix for ix in involved if ix in kept or ix in rest)
            ssa.append((ga, gb))
            local.append(next_id)
            next_id += 1
        return local[-1]

    finals = []
    for r in roots:
        order, plink = bfs(r)
        plans = {u: _gather_plan(u, plink[u], links, owners, lookahead)
                 for u in order}
        absorbed = {e[1] for p in plans.values() for e in p if e[0] == "flat"}
        result_of = {}
        for u in reversed(order):
            if u in absorbed:
                continue
            ids = [u]
            for entry in plans[u]:
                if entry[0] == "sub":
                    ids.append(result_of[entry[1]])
                else:
                    ids.append(entry[1])
                    if entry[0] == "flat":
                        ids.extend(entry[3])
            kept = out | {plink[u]} if plink[u] is not None else out
            result_of[u] = emit(ids, kept) if len(ids) > 1 else u
        finals.append(result_of[r])
    if len(finals) > 1:
        emit(finals, out)
    return ssa_to_linear(ssa, n)


def _is_leaf(v, toward, links):
    """Whether operand ``v`` has no link other than ``toward``."""
    return all(ix == toward for ix in links[v])


def _gather_plan(u, exclude, links, owners, lookahead=True):
    """What joins the local merge at ``u`` when its link ``exclude`` leads
    to the parent: per neighbour ``v`` (across link ``ix``), ``("leaf", v,
    ix)``, ``("sub", v, ix)`` (the merged result of ``v``'s sub-tree) or
    ``("flat", v, ix, leaves)``.

    A neighbour whose own neighbours (away from ``u``) are all leaves is
    *flattened* while the local merge stays within ``_LOCAL_EXHAUSTIVE``
    operands: its term and its leaves' terms join the merge at ``u``, so the
    exhaustive local search also weighs merging ``u`` with that neighbour
    before the leaves (e.g. the read-out with the last weights before the
    batched input vector joins), besides the plain bottom-up order.
    """
    plan, count = [], 1
    for ix in links[u]:
        if ix == exclude:
            continue
        for v in owners[ix]:
            if v == u:
                continue
            if _is_leaf(v, ix, links):
                plan.append(("leaf", v, ix))
                count += 1
                continue
            leaves = [(w, j) for j in links[v] if j != ix for w in owners[j] if w != v]
            if (lookahead and count + 1 + len(leaves) <= _LOCAL_EXHAUSTIVE
                    and all(_is_leaf(w, j, links) for w, j in leaves)):
                plan.append(("flat", v, ix, tuple(w for w, _ in leaves)))
                count += 1 + len(leaves)
            else:
                plan.append(("sub", v, ix))
                count += 1
    return plan


def _carriers(terms, out):
    carriers: dict = defaultdict(list)
    for k, t in enumerate(terms):
        for ix in t:
            if ix in out:
                carriers[ix].append(k)
    return carriers


def _best_root(order, plink, terms, links, owners, out, size_dict, sole, lookahead):
    """The root of least total FLOPs, by re-rooting: the cost and result of
    every directed sub-tree ``(u, link toward the rest)`` is computed once,
    leaves up (links toward the first root), then top-down (the others)."""
    def n_locals(u):
        return 1 + sum(len(owners[ix]) - 1 for ix in links[u])

    if max(n_locals(u) for u in order) > _REROOT_MAX_LOCALS:
        return order[0]
    D: dict = {}

    def solve_at(u, exclude):
        ops, total = [terms[u]], 0
        for entry in _gather_plan(u, exclude, links, owners, lookahead):
            kind, v, ix = entry[:3]
            if kind == "sub":
                f, res = D[(v, ix)]
                ops.append(res)
                total += f
            else:
                ops.append(terms[v])
                if kind == "flat":
                    ops.extend(terms[w] for w in entry[3])
        if len(ops) == 1:
            return total, terms[u]
        kept = out | {exclude} if exclude is not None else out
        f, _, res = _solve(ops, kept, size_dict)
        return total + f, res

    for u in reversed(order):
        D[(u, plink[u])] = solve_at(u, plink[u])
    best = None
    for u in order:
        for ix in links[u]:
            if ix != plink[u]:
                D[(u, ix)] = solve_at(u, ix)
        key = (solve_at(u, None)[0], u not in sole, u)
        if best is None or key < best:
            best = key
    return best[2]
