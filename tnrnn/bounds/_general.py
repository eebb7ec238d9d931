"""The partition-general closed-form bounds: ``U_sym`` (prefix
partitions), the grid cap, the polynomial cap and the input-side cap (any
partition). Public through :mod:`tnrnn.bounds.closed_forms`.
"""

from __future__ import annotations

import math

from ..errors import PartitionError, check_positive_int
from ..partition import Partition, parse_partition
from ._degrees import boundary_degrees, input_degrees, multiset, prefix_length


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
