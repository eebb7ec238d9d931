"""Helpers of the closed-form bounds: multiset coefficients, prefix
partitions and the degrees of the RAC output in its boundary states and
inputs. Public through :mod:`tnrnn.bounds.closed_forms`.
"""

from __future__ import annotations

import math

from ..errors import PartitionError, check_positive_int
from ..partition import Partition


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
