"""Contraction-path finders, in one registry.

A *path finder* is a plain function ``finder(inputs, output, size_dict) ->
path`` in opt_einsum's vocabulary: ``inputs`` is a sequence of index tuples
(one per operand), ``output`` the indices kept, ``size_dict`` the size of
every index, and ``path`` a *linear* contraction path: a list of tuples of
positions in the current operand list; the operands named by a step are
removed and their result is appended at the end (``opt_einsum`` convention).

Finders registered in :data:`PATH_FINDERS` (see :func:`get_path_finder`):

``"auto"``
    on tree-shaped networks the cheaper of ``"tree"`` and ``"greedy"`` (by
    exact FLOPs), else opt_einsum's ``"auto"`` (:func:`auto_path`).
``"tree"``
    leaves toward the root, structure-aware; for tree-shaped networks only
    (:func:`tree_path`).
``"greedy"``
    opt_einsum's greedy finder.
``"optimal"``
    opt_einsum's exhaustive search; refused above
    :data:`MAX_OPTIMAL_OPERANDS` operands.
``"cotengra"``
    cotengra's hyper-optimiser, seeded and serial (needs ``cotengra``).
``"refine"``
    the ``"auto"`` path, then cotengra's subtree reconfiguration (needs
    ``cotengra``; :func:`refine_path`): the default of
    :func:`tnrnn.contract.contract_grid`, where open input legs make the
    leaves-to-root order up to 1.6x dearer than cotengra's search.

This module imports numpy and opt_einsum only (cotengra lazily, on use).

Examples
--------
A matrix chain ``A B C`` applied to a vector ``v``:

>>> inputs = [("i", "j"), ("j", "k"), ("k", "l"), ("l",)]
>>> sizes = {"i": 2, "j": 3, "k": 4, "l": 5}
>>> tree_path(inputs, ("i",), sizes)
[(2, 3), (1, 2), (0, 1)]
>>> get_path_finder("greedy")(inputs, ("i",), sizes)
[(2, 3), (1, 2), (0, 1)]
"""

from __future__ import annotations

import itertools
from typing import Callable, Mapping, Sequence

import opt_einsum

from ..errors import MissingDependencyError, SpecError, TooLargeError
from .pathutils import linear_to_ssa, simulate, ssa_to_linear, step_flops, validate_path
from .tree import is_tree_shaped, tree_path

__all__ = [
    "PATH_FINDERS",
    "MAX_OPTIMAL_OPERANDS",
    "get_path_finder",
    "find_path",
    "validate_path",
    "is_tree_shaped",
    "tree_path",
    "greedy_path",
    "optimal_path",
    "auto_path",
    "cotengra_path",
    "refine_path",
    "REFINE_SUBTREE_SIZE",
    "linear_to_ssa",
    "ssa_to_linear",
    "step_flops",
]

#: ``"optimal"`` refuses more operands than this (its search is exponential).
MAX_OPTIMAL_OPERANDS = 10


# --------------------------------------------------------------------------
# Other finders
# --------------------------------------------------------------------------
def _sets(inputs, output):
    return [set(t) for t in inputs], set(output)


def greedy_path(inputs, output, size_dict) -> list[tuple[int, ...]]:
    """opt_einsum's greedy path (``opt_einsum.paths.greedy``).

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.

    Returns
    -------
    list of tuple of int
        A linear path.

    Examples
    --------
    >>> greedy_path([("i", "j"), ("j",)], ("i",), {"i": 2, "j": 3})
    [(0, 1)]
    """
    if len(inputs) <= 1:
        return [(0,)] if inputs and set(inputs[0]) != set(output) else []
    ins, out = _sets(inputs, output)
    return [tuple(s) for s in opt_einsum.paths.greedy(ins, out, dict(size_dict))]


def optimal_path(inputs, output, size_dict, *,
                 max_operands: int = MAX_OPTIMAL_OPERANDS) -> list[tuple[int, ...]]:
    """opt_einsum's exhaustive search (``opt_einsum.paths.optimal``).

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.
    max_operands : int
        Refused above this many operands (exhaustive search).

    Returns
    -------
    list of tuple of int
        A cheapest linear path.

    Raises
    ------
    TooLargeError
        With more than ``max_operands`` operands (the search is exponential).

    Examples
    --------
    >>> optimal_path([("i", "j"), ("j", "k"), ("k",)], ("i",),
    ...              {"i": 9, "j": 9, "k": 2})
    [(1, 2), (0, 1)]
    """
    n = len(inputs)
    if n > max_operands:
        raise TooLargeError(
            f"the 'optimal' path finder searches exhaustively and is refused "
            f"above {max_operands} operands; this network has {n} (use 'tree', "
            f"'greedy' or 'cotengra')", estimate=n, limit=max_operands)
    if n <= 1:
        return greedy_path(inputs, output, size_dict)
    ins, out = _sets(inputs, output)
    return [tuple(s) for s in opt_einsum.paths.optimal(ins, out, dict(size_dict))]


def auto_path(inputs, output, size_dict) -> list[tuple[int, ...]]:
    """The default: on tree-shaped networks, the cheaper (exact FLOPs, then
    largest intermediate; ties to ``"tree"``) of ``"tree"`` and
    ``"greedy"``; on other networks, opt_einsum's ``"auto"``.

    Why both on trees: the tree order is far cheaper than greedy once the
    batch is large (greedy carries many open input legs and builds
    intermediates thousands of times larger: depth 2, ``R = 3, M = 2, T =
    10``, ``N = 64``: 1.2e5 against 2.8e6 flops), but it is not uniformly
    at least as cheap: on short sequences with a large batch, contracting
    the weights first into a tensor over the few input legs wins (depth 2,
    ``R = 4, M = 2, T = 2, N = 64``: greedy 2,352 against 7,952), and in
    form ``"cp"`` with a small batch greedy is sometimes a few percent
    cheaper. Both paths are found in time linear in the network, and the
    cost model is exact, so keeping the cheaper costs little.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.

    Returns
    -------
    list of tuple of int
        A linear path.

    Examples
    --------
    >>> auto_path([("i", "j"), ("j",)], ("i",), {"i": 2, "j": 3})
    [(0, 1)]
    """
    if is_tree_shaped(inputs, output):
        candidates = [tree_path(inputs, output, size_dict),
                      greedy_path(inputs, output, size_dict)]
        best, best_key = None, None
        n = len(inputs)
        for path in candidates:
            flops, largest, _, _ = simulate(inputs, output, size_dict,
                                            linear_to_ssa(path, n))
            if best_key is None or (flops, largest) < best_key:
                best, best_key = path, (flops, largest)
        return best
    ins, out = _sets(inputs, output)
    fn = opt_einsum.paths.get_path_fn("auto")
    return [tuple(s) for s in fn(ins, out, dict(size_dict))]


def cotengra_path(inputs, output, size_dict, *, seed: int = 0,
                  max_repeats: int = 32, methods: Sequence[str] = ("greedy",)
                  ) -> list[tuple[int, ...]]:
    """cotengra's ``HyperOptimizer`` path, seeded and serial.

    Indices are renamed to single characters (``opt_einsum.get_symbol``)
    first, so multi-character names never reach cotengra (a pitfall with
    ``cotengrust``). ``parallel=False`` because cotengra's default process
    pool deadlocks once JAX is loaded.

    Determinism: in cotengra 0.8.3 the greedy trials' own noise (size
    jitter, Gumbel temperature) comes from unseeded generators, so it is
    switched off (``random_strength = temperature = 0``); the remaining
    hyper-parameter (``costmod``) is drawn by the ``"random"`` optimiser
    seeded with ``seed``. Other ``methods`` may not be reproducible.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.
    seed : int
        The hyper-optimiser's seed.
    max_repeats : int
        Trials of the hyper-optimiser.
    methods : sequence of str
        Its methods.

    Returns
    -------
    list of tuple of int
        A linear path.

    Raises
    ------
    MissingDependencyError
        If cotengra is not installed.

    Examples
    --------
    >>> cotengra_path([("ij", "jk"), ("jk",)], ("ij",), {"ij": 2, "jk": 3})
    [(0, 1)]
    """
    ctg = _import_cotengra("cotengra")
    if len(inputs) <= 1:
        return greedy_path(inputs, output, size_dict)
    ins, out, sizes = _ctg_names(inputs, output, size_dict)
    constants = {"greedy": {"random_strength": 0.0, "temperature": 0.0}}
    opt = ctg.HyperOptimizer(methods=list(methods), max_repeats=max_repeats,
                             parallel=False, optlib="random", seed=seed,
                             progbar=False, on_trial_error="raise",
                             constants={m: constants.get(m, {}) for m in methods})
    tree = opt.search(ins, out, sizes)
    return [tuple(s) for s in tree.get_path()]


#: Leaves per subtree that :func:`refine_path` re-optimises exhaustively.
REFINE_SUBTREE_SIZE = 6


def _ctg_names(inputs, output, size_dict):
    """Indices renamed to single characters for cotengra."""
    names = {ix: opt_einsum.get_symbol(k)
             for k, ix in enumerate(dict.fromkeys(itertools.chain(*inputs, output)))}
    return ([tuple(names[i] for i in t) for t in inputs],
            tuple(names[i] for i in output),
            {names[i]: size_dict[i] for i in names})


def _import_cotengra(finder: str):
    try:
        import cotengra as ctg
    except ImportError as exc:
        raise MissingDependencyError(
            f"the {finder!r} path finder needs cotengra: pip install "
            f"'cotengra>=0.7,<0.9' (or use 'auto', 'tree' or 'greedy')") from exc
    return ctg


def refine_path(inputs, output, size_dict, *, start=None,
                subtree_size: int = REFINE_SUBTREE_SIZE) -> list[tuple[int, ...]]:
    """A path improved by cotengra's subtree reconfiguration.

    Starting from ``start`` (a linear path; by default :func:`auto_path`),
    ``cotengra.ContractionTree.subtree_reconfigure`` re-contracts every
    subtree of ``subtree_size`` leaves in its locally optimal order
    (exhaustively; subtrees picked largest cost first, deterministic), for
    FLOPs. The result is kept only if tnrnn's exact cost model prices it
    below the start (FLOPs, then largest intermediate), so the refined path
    is never dearer than ``start``.

    Why: the leaves-to-root order (:func:`tree_path`) is within a few
    percent of cotengra's hyper-optimised path when every input leg carries
    a batched vector, but on the open-leg grid view (:func:`tnrnn.contract.
    grid_view`) it pushes each sub-network's open legs all the way up to its
    consumer: depth 2, ``R = 4, M = 2, T = 16``: 1.04e7 FLOPs against
    cotengra's 6.51e6 (1.59x). Reconfiguring subtrees of 6 brings it to
    7.3e6 (1.12x) in 0.2 s, where cotengra's own search took 43 s.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.
    start : linear path, optional
        Where to start (default :func:`auto_path`).
    subtree_size : int
        Leaves per reconfigured subtree.

    Returns
    -------
    list of tuple of int
        A linear path no dearer than ``start``.

    Raises
    ------
    MissingDependencyError
        If cotengra is not installed.

    Examples
    --------
    >>> inputs = [("i", "j"), ("j", "k"), ("k", "l"), ("l",)]
    >>> sizes = {"i": 20, "j": 3, "k": 4, "l": 5}
    >>> refine_path(inputs, ("i",), sizes, start=[(0, 1), (0, 1), (0, 1)])
    [(2, 3), (1, 2), (0, 1)]
    """
    ctg = _import_cotengra("refine")
    n = len(inputs)
    start = (auto_path(inputs, output, size_dict) if start is None
             else validate_path(start, n))
    if n <= 2:
        return start
    ins, out, sizes = _ctg_names(inputs, output, size_dict)
    tree = ctg.ContractionTree.from_path(ins, out, sizes, path=start)
    tree.subtree_reconfigure_(subtree_size=subtree_size, minimize="flops")
    new = validate_path([tuple(s) for s in tree.get_path()], n)
    key_new, key_old = (simulate(inputs, output, size_dict, linear_to_ssa(p, n))[:2]
                        for p in (new, start))
    return new if key_new < key_old else start


#: The path finders, by name.
PATH_FINDERS: dict[str, Callable] = {
    "auto": auto_path,
    "tree": tree_path,
    "greedy": greedy_path,
    "optimal": optimal_path,
    "cotengra": cotengra_path,
    "refine": refine_path,
}


def get_path_finder(name: str) -> Callable:
    """The path finder registered under ``name``.

    Parameters
    ----------
    name : {"auto", "tree", "greedy", "optimal", "cotengra", "refine"}
        The finder.

    Returns
    -------
    callable
        ``finder(inputs, output, size_dict) -> linear path``.

    Examples
    --------
    >>> get_path_finder("tree") is tree_path
    True
    >>> get_path_finder("best")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown path finder 'best'; valid names: 'auto', 'tree', 'greedy', 'optimal', 'cotengra', 'refine'
    """
    try:
        return PATH_FINDERS[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in PATH_FINDERS)
        raise SpecError(f"unknown path finder {name!r}; valid names: {valid}") from None


def find_path(inputs, output, size_dict: Mapping, optimize="auto"
              ) -> tuple[list[tuple[int, ...]], str]:
    """Resolve ``optimize`` and return ``(linear path, label)``.

    ``optimize`` is a registered name, a callable finder, or an explicit
    linear path (validated). The label is the name, ``"callable"`` or
    ``"explicit"``.

    Parameters
    ----------
    inputs : sequence of tuple
        The operands' indices.
    output : tuple
        The result's indices.
    size_dict : mapping
        Index sizes.
    optimize : str, callable or path
        A finder's name, a finder, or an explicit linear path.

    Returns
    -------
    tuple
        ``(linear path, label)``.

    Examples
    --------
    >>> find_path([("i",), ("i",)], (), {"i": 2}, [(0, 1)])
    ([(0, 1)], 'explicit')
    """
    n = len(inputs)
    if isinstance(optimize, str):
        finder, label = get_path_finder(optimize), optimize
    elif callable(optimize):
        finder, label = optimize, "callable"
    else:
        return validate_path(optimize, n), "explicit"
    return validate_path(finder(inputs, output, size_dict), n), label
