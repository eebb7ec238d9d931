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

from ..errors import PartitionError, check_positive_int
from ..partition import Partition, parse_partition

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


# ----------------------------------------------------------------- helpers
def multiset(n: int, k: int) -> int:
    """Multiset coefficient ``C(n + k - 1, k)``: monomials of degree ``k`` in
    ``n`` variables (the dimension of the ``k``-th symmetric power of an
    ``n``-dimensional space).

    Parameters
    ----------
    n : int
        Number of variables, ``>= 0``.
    k : int
        Degree, ``>= 0``.

    Returns
    -------
    int

    Examples
    --------
    >>> multiset(3, 2), multiset(1, 10), multiset(4, 0)
    (6, 1, 1)

    >>> import itertools
    >>> sum(1 for _ in itertools.combinations_with_replacement(range(3), 4)) == multiset(3, 4)
    True
    """
    # comb(n+k-1, k) == comb(n+k-1, n-1); math.comb works on the smaller one,
    # so huge degrees k with a small n stay cheap.
    n = check_positive_int("n", n, minimum=0)
    k = check_positive_int("k", k, minimum=0)
    return math.comb(n + k - 1, n - 1) if n >= 1 else int(k == 0)


def _half(T: int) -> int:
    T = check_positive_int("length T", T, minimum=2)
    if T % 2:
        raise PartitionError(f"this bound is stated for the start-end partition, "
                             f"which needs an even length T; got T={T}")
    return T // 2


def prefix_length(partition: Partition) -> int | None:
    """``k`` if one side of ``partition`` is the prefix ``{1..k}``, else ``None``.

    Parameters
    ----------
    partition : Partition

    Returns
    -------
    int or None

    Examples
    --------
    >>> from tnrnn.partition import start_end, odd_even, explicit
    >>> prefix_length(start_end(6)), prefix_length(explicit([4, 5, 6], 6))
    (3, 3)
    >>> prefix_length(odd_even(6)) is None
    True
    """
    for side in (partition.A, partition.B):
        if side == tuple(range(1, len(side) + 1)):
            return len(side)
    return None


def is_start_end(partition: Partition) -> bool:
    """Whether ``partition`` is Start-End or its swap.

    Parameters
    ----------
    partition : Partition

    Returns
    -------
    bool

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> is_start_end(start_end(4)), is_start_end(start_end(4).swapped())
    (True, True)
    """
    T = partition.length
    return T % 2 == 0 and prefix_length(partition) == T // 2


def boundary_degrees(L: int, T: int, k: int | None = None) -> tuple:
    """Degrees ``(D_1, .., D_L)`` of the output in the boundary states
    ``b_l = h[k, l]`` for the prefix split ``A = {1..k}`` (default
    ``k = T/2``, Start-End).

    ``D_l = C(T - k - 1 + L - l, L - l)``; for ``k = T/2`` this is
    ``C(T/2 + L - l - 1, L - l)`` (``D_L = 1``, ``D_{L-1} = T/2``).

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    k : int, optional
        The prefix length, ``1 <= k <= T - 1``; default ``T/2`` (``T`` even).

    Returns
    -------
    tuple of int
        ``(D_1, .., D_L)``.

    Notes
    -----
    **[derived]** Treat ``b_1..b_L`` as independent variables. For ``t > k``
    every unit ``h[t,l] = (W_H h[t-1,l]) * (W_I h[t,l-1])`` is bilinear in
    its two children, so its degree ``d(t,l)`` in ``b_j`` obeys
    ``d(t,l) = d(t-1,l) + d(t,l-1)``, with ``d(k,l) = [l = j]`` and
    ``d(t,0) = 0`` (inputs carry no ``b``). The solution counts monotone
    lattice paths that leave ``(k, j)`` by a time step -- the use of ``b_j``
    at unit ``(k+1, j)``; its use at ``(k, j+1)`` lies inside ``A`` and is
    already the variable ``b_{j+1}`` -- and then walk to ``(T, L)``:
    ``C((T-k-1) + (L-j), L-j)`` paths. ``y = W_O h[T,L]`` is linear in
    ``h[T,L]``, so ``y`` is homogeneous of degree ``D_j`` in ``b_j``.

    Examples
    --------
    >>> boundary_degrees(2, 8)
    (4, 1)
    >>> boundary_degrees(3, 8), boundary_degrees(3, 8, k=6)
    ((10, 4, 1), (3, 2, 1))
    >>> boundary_degrees(2, 8, k=8)
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the prefix split needs 1 <= k <= T-1 = 7; got k=8
    """
    L = check_positive_int("depth L", L)
    if k is None:
        k = _half(T)
    T = check_positive_int("length T", T, minimum=2)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= T - 1:
        raise PartitionError(f"the prefix split needs 1 <= k <= T-1 = {T - 1}; got k={k!r}")
    return tuple(math.comb(T - k - 1 + L - l, L - l) for l in range(1, L + 1))


def input_degrees(L: int, T: int) -> tuple:
    """Degrees ``(n_1, .., n_T)`` of the output in each input,
    ``n_t = C(T - t + L - 1, L - 1)`` (also the number of copies of ``x_t``
    in the duplicated network).

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    T : int
        Sequence length, ``>= 1``.

    Returns
    -------
    tuple of int
        ``(n_1, .., n_T)``.

    Examples
    --------
    >>> input_degrees(1, 4), input_degrees(2, 4), input_degrees(3, 4)
    ((1, 1, 1, 1), (4, 3, 2, 1), (10, 6, 3, 1))

    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(3, 2, 2, 4))
    >>> tuple(net.input_leaves()[t] for t in range(1, 5)) == input_degrees(3, 4)
    True
    """
    L = check_positive_int("depth L", L)
    T = check_positive_int("length T", T)
    return tuple(math.comb(T - t + L - 1, L - 1) for t in range(1, T + 1))


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


# ------------------------------------------------------ partition-general
def _partition(partition, T: int) -> Partition:
    T = check_positive_int("length T", T, minimum=2)
    return parse_partition(partition, T)


def u_sym(L: int, R: int, T: int, partition="start-end") -> int:
    """**[derived]** Duplication-aware bound ``U_sym = prod_l C(R + D_l - 1, D_l)``
    for a prefix partition ``A = {1..k}`` (or its swap), all weights, any
    inputs; ``D_l`` from :func:`boundary_degrees` (``k = T/2``: Start-End).

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    R : int
        Hidden width, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.
        Must be a prefix partition ``A = {1..k}`` or its swap.

    Returns
    -------
    int

    Notes
    -----
    All dependence on ``x_1..x_k`` flows through the boundary states
    ``b_l = h[k, l]``, ``l = 1..L``. ``y`` is homogeneous of degree ``D_l``
    in ``b_l`` (:func:`boundary_degrees`), so
    ``y = sum_mu mu(b(x_A)) c_mu(x_B)`` over the monomials ``mu`` of
    multidegree ``(D_1..D_L)`` in the ``L R`` entries of the ``b_l``: there
    are ``prod_l C(R + D_l - 1, D_l)`` of them, each a product of a function
    of ``x_A`` and one of ``x_B``. In the duplicated tensor network the
    ``D_l`` copies of the bond carrying ``b_l`` hold the same vector, so only
    its symmetric power is reached; plain min-cut counts ``R^(D_l)`` instead.

    A non-prefix partition (odd-even, ...) has no such boundary: use the
    min-cut bound there.

    Examples
    --------
    ``L = 3, R = 3, T = 8``: ``D = (10, 4, 1)``, so
    ``C(12, 10) * C(6, 4) * C(3, 1) = 66 * 15 * 3 = 2970``.

    >>> u_sym(3, 3, 8), u_sym(1, 5, 8), u_sym(2, 3, 8, "A:1,2,3,4,5,6")
    (2970, 5, 18)
    >>> u_sym(2, 3, 8, "odd-even")
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: U_sym needs a prefix partition A = {1..k} (or its swap); got A=[1, 3, 5, 7], B=[2, 4, 6, 8]
    """
    R = check_positive_int("hidden R", R)
    p = _partition(partition, T)
    k = prefix_length(p)
    if k is None:
        raise PartitionError(f"U_sym needs a prefix partition A = {{1..k}} (or its "
                             f"swap); got A={list(p.A)}, B={list(p.B)}")
    return math.prod(multiset(R, d) for d in boundary_degrees(L, T, k))


def grid_cap(M: int, T: int, partition="start-end") -> int:
    """**[derived]** One-hot grid rank ``<= M^min(|A|, |B|)``: the grid
    tensor matricized by ``(A, B)`` is an ``M^|A| x M^|B|`` matrix. Any
    partition, all weights, one-hot (grid) inputs only.

    Parameters
    ----------
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.

    Returns
    -------
    int

    Examples
    --------
    >>> grid_cap(3, 8), grid_cap(2, 8, "A:1")
    (81, 2)
    """
    M = check_positive_int("input_dim M", M)
    p = _partition(partition, T)
    return M ** min(len(p.A), len(p.B))


def poly_cap_sides(L: int, M: int, T: int, partition="start-end") -> tuple:
    """``(cap_A, cap_B)``: ``prod_{t in side} C(M + n_t - 1, n_t)`` for each
    side, with ``n_t`` from :func:`input_degrees`.

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.

    Returns
    -------
    tuple of int
        ``(cap_A, cap_B)``.

    Examples
    --------
    >>> poly_cap_sides(2, 4, 4)
    (700, 40)

    >>> min(poly_cap_sides(2, 4, 4)) == poly_cap(2, 4, 4)
    True
    """
    M = check_positive_int("input_dim M", M)
    p = _partition(partition, T)
    n = input_degrees(L, p.length)
    return tuple(_product([multiset(M, n[t - 1]) for t in side])
                 for side in (p.A, p.B))


def _product(values: list) -> int:
    """Product of many big integers by a balanced tree (fast multiplication
    of equal-sized halves, instead of ``math.prod``'s growing left operand).

    >>> _product([2, 3, 5, 7]), _product([])
    (210, 1)
    """
    values = list(values)
    while len(values) > 1:
        values = [values[i] * values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0] if values else 1


def poly_cap(L: int, M: int, T: int, partition="start-end") -> int:
    """**[derived]** Continuous separation rank
    ``<= min over the two sides of prod_{t in side} C(M + n_t - 1, n_t)``,
    ``n_t = C(T - t + L - 1, L - 1)``. Any partition, all weights; it bounds
    the grid rank too (grid rank <= continuous rank).

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.

    Returns
    -------
    int

    Notes
    -----
    ``y`` is homogeneous of degree ``n_t`` in ``x_t`` (count the lattice
    paths from unit ``(t, 1)`` to ``(T, L)``), so
    ``y = sum_mu mu(x_A) c_mu(x_B)`` over the products ``mu`` of one degree-
    ``n_t`` monomial in each ``x_t``, ``t in A``: ``prod_{t in A}
    C(M + n_t - 1, n_t)`` terms. The same holds with ``A`` and ``B``
    swapped. At depth 1 (``n_t = 1``) it is ``M^min(|A|, |B|)``.

    Examples
    --------
    Depth 2, ``M = 4``, ``T = 4``: the End side has ``n_3 = 2``, ``n_4 = 1``,
    so ``C(5, 2) * C(4, 1) = 10 * 4 = 40`` (the Start side gives 700).

    >>> poly_cap(2, 4, 4), poly_cap(1, 3, 6)
    (40, 27)
    """
    return min(poly_cap_sides(L, M, T, partition))


def input_width(R: int, M: int, arch: str = "rac") -> int:
    """How many numbers an input ``x_t`` reaches the circuit through:
    ``min(M, R)`` for a RAC (the ``R``-vector ``W_I[1] x_t``), ``min(M, R^2)``
    for a tensor-train RNN (the ``R x R`` matrix ``sum_d G[:, d, :] x_t[d]``).

    Parameters
    ----------
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    arch : {"rac", "ttrnn"}, default "rac"
        The circuit: a RAC or a tensor-train RNN.

    Returns
    -------
    int

    Examples
    --------
    >>> input_width(4, 5), input_width(4, 3), input_width(2, 5, "ttrnn")
    (4, 3, 4)
    >>> input_width(2, 5, "lstm")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: arch must be 'rac' or 'ttrnn'; got 'lstm'
    """
    from ..errors import SpecError

    R = check_positive_int("hidden R", R)
    M = check_positive_int("input_dim M", M)
    if arch not in ("rac", "ttrnn"):
        raise SpecError(f"arch must be 'rac' or 'ttrnn'; got {arch!r}")
    return min(M, R) if arch == "rac" else min(M, R * R)


def input_cap_sides(L: int, R: int, M: int, T: int, partition="start-end", *,
                    arch: str = "rac") -> tuple:
    """``(cap_A, cap_B)`` of :func:`input_cap`: :func:`poly_cap_sides` with
    ``M`` replaced by :func:`input_width`.

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.
    arch : {"rac", "ttrnn"}, default "rac"
        The circuit: a RAC or a tensor-train RNN.

    Returns
    -------
    tuple of int
        ``(cap_A, cap_B)``.

    Examples
    --------
    >>> input_cap_sides(2, 4, 5, 5, "odd-even")
    (4480, 350)

    >>> input_cap_sides(2, 4, 5, 5, "odd-even") == poly_cap_sides(2, 4, 5, "odd-even")
    True
    """
    m = input_width(R, M, arch)
    return poly_cap_sides(L, m, T, partition)


def input_cap(L: int, R: int, M: int, T: int, partition="start-end", *,
              arch: str = "rac") -> int:
    """**[derived]** The input-side cap with ``M`` replaced by the width
    ``m`` through which an input reaches the circuit (:func:`input_width`):
    ``sep <= min over the sides of prod_(t in side) C(m + n_t - 1, n_t)``,
    ``m = min(M, R)`` for a RAC, ``min(M, R^2)`` for a TT-RNN. Any
    partition, all weights; it bounds the one-hot grid rank too.

    Parameters
    ----------
    L : int
        Depth (number of layers), ``>= 1``.
    R : int
        Hidden width, ``>= 1``.
    M : int
        Input dimension, ``>= 1``.
    T : int
        Sequence length, ``>= 2``.
    partition : str or Partition, default "start-end"
        As in :func:`tnrnn.partition.parse_partition`.
    arch : {"rac", "ttrnn"}, default "rac"
        The circuit: a RAC or a tensor-train RNN.

    Returns
    -------
    int

    Notes
    -----
    Proof. In a RAC, ``x_t`` enters only through ``u_t = W_I[1] x_t`` in
    ``R^R`` (the input factor of unit ``(t, 1)``); every unit is bilinear in
    its two children, so ``y`` is a polynomial ``P`` in ``u_1..u_T``,
    homogeneous of degree ``n_t = C(T-t+L-1, L-1)`` in ``u_t`` (the same
    lattice-path count as for ``x_t``). Expanding ``P`` in the monomials of
    the ``u_t``, ``t in A``, gives ``y = sum_mu mu(u_A) c_mu(x_B)`` with one
    term per product of a degree-``n_t`` monomial in the ``R`` entries of
    each ``u_t``: ``prod_(t in A) C(R + n_t - 1, n_t)`` terms, each a
    function of ``x_A`` times one of ``x_B``. Expanding instead in the
    entries of ``x_t`` gives :func:`poly_cap`; for each ``t`` one may use
    whichever of ``x_t`` (``M`` entries) and ``u_t`` (``R`` entries) is
    shorter, and ``C(m + n - 1, n)`` grows with ``m``, hence ``min(M, R)``.
    The same holds with ``A`` and ``B`` swapped. In a TT-RNN ``y`` is linear
    in the ``R x R`` matrix ``G(x_t) = sum_d G[:, d, :] x_t[d]`` (``n_t = 1``),
    a linear image of ``x_t`` of dimension at most ``min(M, R^2)``. Grid
    (one-hot) ranks are at most continuous ones, so the cap bounds both.

    Examples
    --------
    Depth 2, ``R = 4``, ``M = 5``, ``T = 5``, odd-even: side
    ``B = {2, 4}`` has ``n_2 = 4``, ``n_4 = 2``, so
    ``C(4+4-1, 4) * C(4+2-1, 2) = 35 * 10 = 350`` (with ``M = 5``:
    ``70 * 15 = 1050``).

    >>> input_cap(2, 4, 5, 5, "odd-even"), poly_cap(2, 5, 5, "odd-even")
    (350, 1050)
    """
    return min(input_cap_sides(L, R, M, T, partition, arch=arch))


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
