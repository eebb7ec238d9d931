"""Closed-form separation-rank bounds (``docs/theory.md`` sections 4-5).

Every function takes plain integers -- depth ``L``, hidden width ``R``,
input dimension ``M``, length ``T`` -- and, where the bound is defined for
more than one partition, the partition. Each formula applies only to the
partitions it was proved for:

=====================  =========================  ===================
function               partitions                 status
=====================  =========================  ===================
``depth1_upper``       Start-End                  theorem (depth 1)
``depth1_generic``     Start-End                  theorem (depth 1)
``depth2_lower``       Start-End                  theorem (depth 2)
``depth2_upper``       Start-End                  derived (depth 2)
``depth2_empirical``   Start-End                  empirical (depth 2)
``conjectured_lower``  Start-End                  conjecture
``u_sym``              prefix ``A = {1..k}``      derived
``grid_cap``           any                        derived
``poly_cap``           any                        derived
``input_cap``          any                        derived
=====================  =========================  ===================

Start-End functions need an even ``T``; a partition and its swap have the
same separation rank, so "Start-End" includes ``A = {T/2+1..T}``.

Examples
--------
Depth 2, ``M = R = 3``, ``T = 8`` (the public check value is 45):

>>> depth2_lower(3, 3, 8), depth2_upper(3, 8), u_sym(2, 3, 8)
(15, 45, 45)
>>> u_sym(3, 3, 8), boundary_degrees(3, 8)
(2970, (10, 4, 1))
"""

from __future__ import annotations

import math

from ..errors import check_positive_int
from ._degrees import (_half, boundary_degrees, input_degrees, is_start_end, multiset,
                       prefix_length)
from ._general import (grid_cap, input_cap, input_cap_sides, input_width, poly_cap,
                       poly_cap_sides, u_sym)

__all__ = [
    "boundary_degrees",
    "input_degrees",
    "prefix_length",
    "is_start_end",
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
    "multiset",
    "symbolic_bounds",
]


# ------------------------------------------------------- Start-End formulas
def depth1_upper(R: int) -> int:
    """**[thm]** Depth 1, Start-End: ``sep <= R`` for all weights, as stated
    in Levine et al. (one bond of size ``R`` joins the two halves of the MPS).

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.

    Returns
    -------
    int

    Examples
    --------
    >>> depth1_upper(3)
    3
    """
    return check_positive_int("hidden R", R)


def depth1_generic(R: int, M: int, T: int) -> int:
    """**[thm]** Depth 1, Start-End: ``sep = min(R, M^(T/2))`` for almost all
    weights, as stated in Levine et al. A shallow RAC is multilinear, so the
    one-hot grid rank is the same number.

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Examples
    --------
    >>> depth1_generic(3, 3, 6), depth1_generic(10, 2, 6)
    (3, 8)
    """
    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    return min(R, M ** _half(T))


def depth2_lower(R: int, M: int, T: int) -> int:
    """**[thm]** Depth 2, Start-End: ``sep >= C(min(M,R) + T/2 - 1, T/2)``
    for almost all weights, as stated in Levine et al. (arXiv 1710.09431).

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Examples
    --------
    ``M = R = 3, T = 8``: ``C(3 + 4 - 1, 4) = C(6, 4) = 15``.

    >>> depth2_lower(3, 3, 8), depth2_lower(4, 2, 8)
    (15, 5)
    """
    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    return multiset(min(M, R), _half(T))


def depth2_upper(R: int, T: int) -> int:
    """**[derived]** Depth 2, Start-End: ``sep <= R * C(R + T/2 - 1, T/2)``
    for all weights: :func:`u_sym` at ``L = 2`` (``D_2 = 1``, ``D_1 = T/2``).

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Examples
    --------
    >>> depth2_upper(3, 8), depth2_upper(4, 8), depth2_upper(2, 8)
    (45, 140, 10)

    >>> depth2_upper(3, 8) == u_sym(2, 3, 8)
    True
    """
    R = check_positive_int("hidden R", R)
    return R * multiset(R, _half(T))


def depth2_empirical(R: int, M: int, T: int) -> int:
    """**[empirical]** Depth 2, Start-End, continuous inputs, ``M >= R``: the
    generic separation rank observed with exact arithmetic is the least of the
    proved upper bounds -- ``R * C(R + T/2 - 1, T/2)`` (:func:`depth2_upper`)
    unless the input-side cap :func:`poly_cap` or the min-cut bound binds.
    Not proven.

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= R``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Notes
    -----
    The min-cut binds at ``T = 2``: ``x_2`` enters only through the
    ``R``-vector ``W_I x_2``, so ``sep <= R`` while ``R * C(R, 1) = R^2``
    (exact ranks mod p: 2 for ``R = 2, M = 4``; 3 for ``R = 3, M = 3, 5``).

    Examples
    --------
    >>> depth2_empirical(3, 3, 8), depth2_empirical(4, 4, 4), depth2_empirical(2, 4, 2)
    (45, 40, 2)
    >>> depth2_empirical(3, 2, 8)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: the empirical depth-2 value was observed for M >= R only; got M=2, R=3
    """
    from ..errors import SpecError
    from .treecut import tree_min_cut

    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    if M < R:
        raise SpecError(f"the empirical depth-2 value was observed for M >= R only; "
                        f"got M={M}, R={R}")
    return min(depth2_upper(R, T), poly_cap(2, M, T), tree_min_cut(2, R, M, T).value)


def conjecture_degree(L: int, T: int) -> int:
    """``D = C(T/2 + L - 2, L - 1)`` of the conjectured depth-``L`` bound
    (equal to ``D_1`` of :func:`boundary_degrees` at Start-End).

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Examples
    --------
    >>> conjecture_degree(2, 8), conjecture_degree(3, 8)
    (4, 10)

    >>> conjecture_degree(3, 8) == boundary_degrees(3, 8)[0]
    True
    """
    L = check_positive_int("depth L", L)
    return math.comb(_half(T) + L - 2, L - 1)


def conjectured_lower(L: int, R: int, M: int, T: int) -> int:
    """**[conj]** Depth ``L``, Start-End: the published conjecture
    ``sep >= C(min(M,R) + D - 1, D)``, ``D = C(T/2 + L - 2, L - 1)``, for
    almost all weights and continuous inputs. Its exact form is unverified;
    report it, never assert it. At ``L = 2`` it is :func:`depth2_lower`.

    For one-hot inputs it can exceed the grid cap ``M^(T/2)`` (``L = 3``,
    ``M = R = 4``, ``T = 4``: 20 > 16), so it is stated for continuous
    inputs only.

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, even (Start-End).

    Returns
    -------
    int

    Examples
    --------
    >>> conjectured_lower(3, 3, 3, 8), conjectured_lower(2, 3, 3, 8)
    (66, 15)
    """
    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    return multiset(min(M, R), conjecture_degree(L, T))


# ---------------------------------------------------------------- symbolic
def symbolic_bounds(*, prefix: bool = False) -> dict:
    """The closed forms as sympy expressions in ``T, R, M, L`` (plain
    ``sympy.Symbol``\\ s, no assumptions) for the Start-End partition.

    With ``prefix=True`` the prefix-partition bounds are in terms of a
    further symbol ``k`` (``A = {1..k}``) instead of ``T/2``; only
    ``"u-sym"`` and ``"grid-cap"`` (``M^min(k, T-k)``) are then returned.
    Products over layers or time steps are unevaluated ``sympy.Product``\\ s:
    substitute integers and call ``.doit()``. Multiset coefficients inside
    them are written ``C(n + k - 1, n - 1)`` (equal to ``C(n + k - 1, k)``):
    sympy 1.14's ``Product.doit`` returns 0 for some of the other spelling.

    Needs sympy (imported here, not at module import).

    Parameters
    ----------
    prefix : bool, default False
        Bounds of a prefix partition ``A = {1..k}`` in a symbol ``k``.

    Returns
    -------
    dict
        Bound name -> sympy expression.

    Examples
    --------
    >>> import sympy
    >>> e = symbolic_bounds()
    >>> T, R, M, L = sympy.symbols("T R M L")
    >>> e["depth2-upper"]
    R*binomial(R + T/2 - 1, T/2)
    >>> int(e["u-sym"].subs({T: 8, R: 3, L: 3}).doit())
    2970
    """
    import sympy

    T, R, M, L = sympy.symbols("T R M L")
    l, t, k = sympy.symbols("l t k")
    C = sympy.binomial
    if prefix:
        D = C(T - k - 1 + L - l, L - l)
        return {"u-sym": sympy.Product(C(R + D - 1, R - 1), (l, 1, L)),
                "grid-cap": M ** sympy.Min(k, T - k)}
    h = T / 2
    m = sympy.Min(M, R)
    Dl = C(h + L - l - 1, L - l)
    Dc = C(h + L - 2, L - 1)
    n_t = C(T - t + L - 1, L - 1)
    return {
        "depth1-upper": R,
        "depth1-generic": sympy.Min(R, M ** h),
        "depth2-lower": C(m + h - 1, h),
        "depth2-upper": R * C(R + h - 1, h),
        "depthL-conjecture": C(m + Dc - 1, Dc),
        "u-sym": sympy.Product(C(R + Dl - 1, R - 1), (l, 1, L)),
        "grid-cap": M ** h,
        # The End side has the smaller degrees n_t, hence the smaller product.
        "poly-cap": sympy.Product(C(M + n_t - 1, M - 1), (t, h + 1, T)),
    }
