"""Separation-rank bounds: closed forms, min-cuts, the duplication-aware bound.

Everything returns exact integers; logarithms are base 2 and named so. Each
:class:`Bound` says what it is (upper/lower), its status as ``docs/theory.md``
labels it (theorem / derived / empirical / conjecture), for which weights it
holds (all / almost all) and for which input space (continuous / one-hot /
both).

* :mod:`~tnrnn.bounds.closed_forms` -- formulas in plain ints ``L, R, M, T``
  (most are Start-End only; ``u_sym`` takes any prefix partition; the caps
  any partition), and :func:`symbolic_bounds` (sympy, imported lazily).
* :func:`min_cut` / :func:`validate_cut` -- networkx max-flow on any built
  network, with a checkable cut certificate.
* :func:`tree_min_cut` -- the exact min-cut of the duplicated RAC network by
  an ``O(T L)`` tree programme, without building it;
  :func:`explicit_tree_cut` gives its edges on a built network.
* :func:`all_bounds` -- every bound that applies, labelled; refused up front
  (with the estimate) when a value or the work would be too large.
* :func:`symbolic_for` -- the closed forms of those bounds, each checked by
  substitution; :func:`format_int` prints integers of any size.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.bounds import all_bounds, tightest
>>> bs = all_bounds(RAC(depth=2, hidden=4, input_dim=4, length=8))
>>> tightest(bs, "lower").value, tightest(bs, "upper").value
(35, 140)
"""

from ._records import Bound, Cut, TreeCut, format_int, log2_int
from ._sizes import DEFAULT_MAX_SECONDS, check_work, human_seconds
from .closed_forms import (
    boundary_degrees,
    conjecture_degree,
    conjectured_lower,
    depth1_generic,
    depth1_upper,
    depth2_empirical,
    depth2_lower,
    depth2_upper,
    grid_cap,
    input_degrees,
    is_start_end,
    multiset,
    poly_cap,
    poly_cap_sides,
    input_cap,
    input_cap_sides,
    input_width,
    prefix_length,
    symbolic_bounds,
    u_sym,
)
from .collect import INPUT_SPACES, SCOPES, all_bounds, tightest
from .symbolic import symbolic_for
from .mincut import CAPACITY_SCALE, min_cut, validate_cut
from .treecut import DEFAULT_MAX_LOG2, explicit_tree_cut, tree_min_cut

__all__ = [
    "Bound",
    "Cut",
    "TreeCut",
    "all_bounds",
    "tightest",
    "SCOPES",
    "INPUT_SPACES",
    "min_cut",
    "validate_cut",
    "CAPACITY_SCALE",
    "tree_min_cut",
    "explicit_tree_cut",
    "DEFAULT_MAX_LOG2",
    "boundary_degrees",
    "input_degrees",
    "prefix_length",
    "is_start_end",
    "multiset",
    "depth1_upper",
    "depth1_generic",
    "depth2_lower",
    "depth2_upper",
    "depth2_empirical",
    "conjecture_degree",
    "conjectured_lower",
    "u_sym",
    "grid_cap",
    "poly_cap",
    "poly_cap_sides",
    "input_width",
    "input_cap",
    "input_cap_sides",
    "symbolic_bounds",
    "symbolic_for",
    "format_int",
    "log2_int",
    "check_work",
    "human_seconds",
    "DEFAULT_MAX_SECONDS",
]
