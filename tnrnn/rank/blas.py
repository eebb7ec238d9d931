"""Exact elimination mod ``p`` on float64 BLAS: rank, LU and bordering.

FLINT eliminates mod a 31-bit prime at a few GFLOP/s here; the machine's
float64 matrix product runs an order of magnitude faster. This module does
the heavy part of modular elimination (the Schur-complement updates of a
recursive LU, and the triangular solves) as float64 matrix products whose
every partial sum is an integer below ``2**53`` -- hence computed *exactly*,
whatever BLAS does -- with the reductions mod ``p`` delayed to the end of
each block of inner indices, as fflas-ffpack does. FLINT's ``nmod_mat_lu``
(or a numpy loop when python-flint is missing) factors only the thin panels
at the leaves of the recursion.

Exactness **[derived]**
-----------------------
Residues are held *balanced*: as float64 integers ``v`` with
``|v| <= H = (p - 1) / 2 + 3`` (:func:`reduce_balanced` returns that; the
``+ 3`` absorbs the rounding of its quotient).

1. *Products.* For ``C - A @ B`` with ``|C|, |A|, |B| <= H`` and inner
   dimension ``k``, every partial sum of every order of summation (with or
   without fused multiply-adds) is an integer of magnitude at most
   ``H + k H**2``. When ``H + k H**2 <= 2**53 - p`` (``k <= kmax(p)``,
   :func:`block_size`) all of them are exactly representable, so the float64
   result is the exact integer. Longer inner dimensions are cut into blocks
   of ``kmax`` with a reduction after each.
2. *Reduction* of an integer ``|x| <= 2**53 - p``: ``q = rint(fl(x * fl(1/p)))``
   and ``r = x - q p``. Two roundings of relative size ``2**-53`` each put
   ``fl(x * fl(1/p))`` within ``|x/p| 2**-52 (1 + 2**-53) < 2.01 / p`` of
   ``x/p``, so ``|q - x/p| < 1/2 + 2.01/p``; hence ``|q p| < |x| + p/2 + 3
   <= 2**53`` (exact), ``x - q p`` is an exact integer, and
   ``|r| < p/2 + 2.01``, i.e. ``|r| <= H`` and ``r = x mod p``.
   ``r`` is zero mod ``p`` exactly when ``r == 0`` (``H < p`` for ``p >= 7``),
   so pivots are tested exactly.
3. *Large primes.* When ``kmax(p) < 64`` (``p`` above about ``2**24``) the
   right factor is split into 16-bit digits, ``B = 2**16 B_hi + B_lo`` with
   ``|B_lo| <= 2**15`` and ``|B_hi| <= (H + 2**15) / 2**16``, and one product
   ``A [B_lo | B_hi]`` gives ``G_lo = A B_lo`` and ``G_hi = A B_hi``, each
   term at most ``H 2**15``. Only ``G_hi`` is reduced (``|G_hi mod p| <=
   H``); then ``C - G_lo - 2**16 (G_hi mod p)`` is an integer of magnitude at
   most ``H (1 + 2**16) + k H 2**15``, every intermediate of it too, so
   blocks of ``k <= (2**53 - p - H (1 + 2**16)) / (H 2**15)`` (253 for
   ``p < 2**31``) are exact by step 1 and the sum is reduced once by step 2.
   Twice the multiply-adds, any ``p < 2**31``; two reductions of ``m x n``
   per block of inner indices, fused into one pass over memory by a numba
   kernel for large products (:mod:`tnrnn.rank._blas_kernels`: the same
   float64 operations, element by element).

The rank mod ``p`` does not depend on how it is computed: the tests compare
every routine here with FLINT's ``nmod_mat`` on random, rank-deficient and
adversarial matrices.

Examples
--------
>>> import numpy as np
>>> Y = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
>>> rank_blas(Y, 7)
2
>>> block_size(8_388_593), block_size(2_147_483_647)   # direct, and 16-bit split
(512, 253)
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from ..errors import SpecError
from ._lu import _panel
from ._threads import _openblas, blas_threads  # noqa: F401 - re-exported

__all__ = ["rank_blas", "blas_threads", "block_size", "split_mode", "reduce_balanced",
           "to_balanced", "matmul_sub", "plu", "trsm_lower_unit", "solve_right_upper",
           "MIN_DIRECT_BLOCK", "PANEL"]

_TWO53 = 2 ** 53
#: Below this many exact inner indices per product the 16-bit split is used.
MIN_DIRECT_BLOCK = 64
#: Width of the panels FLINT (or the numpy loop) factors at the leaves.
PANEL = 48
#: Triangular solves below this order run row by row.
_TRSM_BASE = 48


def _H(p: int) -> int:
    return (p - 1) // 2 + 3


def split_mode(p: int) -> bool:
    """Whether products mod ``p`` use the 16-bit split (step 3 of the
    module docstring): when fewer than :data:`MIN_DIRECT_BLOCK` inner
    indices fit in one exact product.

    Parameters
    ----------
    p : int
        A prime below ``2**31``.

    Returns
    -------
    bool
        Whether the 16-bit split is used.

    Examples
    --------
    >>> split_mode(8_388_593), split_mode(2_147_483_647)
    (False, True)
    """
    H = _H(p)
    return (_TWO53 - p - H) // (H * H) < MIN_DIRECT_BLOCK


def block_size(p: int) -> int:
    """Inner indices per exact float64 product mod ``p`` (``kmax``): the
    largest ``k`` with ``H + k H**2 <= 2**53 - p``, or with the split,
    ``H (1 + 2**16) + k H 2**15 <= 2**53 - p`` (module docstring, step 3).

    Parameters
    ----------
    p : int
        A prime below ``2**31``.

    Returns
    -------
    int
        ``kmax``.

    Examples
    --------
    >>> p = 8_388_593
    >>> H = (p - 1) // 2 + 3
    >>> k = block_size(p)
    >>> H + k * H**2 <= 2**53 - p < H + (k + 1) * H**2 or k == 512
    True
    """
    H = _H(p)
    if split_mode(p):
        return (_TWO53 - p - H * (1 + 2 ** 16)) // (H * 2 ** 15)
    return (_TWO53 - p - H) // (H * H)


@functools.lru_cache(maxsize=32)
def _plan(p: int) -> tuple:
    """``(block_size(p), split_mode(p))``, computed once per prime."""
    return block_size(p), split_mode(p)


def _check_p(p: int) -> int:
    if not 7 <= p < 2 ** 31:
        raise SpecError(f"the BLAS elimination needs a prime in [7, 2**31); got {p}")
    return int(p)


def reduce_balanced(x: np.ndarray, p: int, tmp: np.ndarray | None = None) -> np.ndarray:
    """``x mod p`` in place, balanced (``|r| <= (p-1)/2 + 3``), for float64
    integers ``|x| <= 2**53 - p`` (proof: module docstring, step 2).

    Parameters
    ----------
    x : ndarray of float64
        Integers, ``|x| <= 2**53 - p``; overwritten.
    p : int
        The prime.
    tmp : ndarray, optional
        Scratch of ``x``'s shape.

    Returns
    -------
    ndarray
        ``x``, reduced.

    Examples
    --------
    >>> x = np.array([2.0**52, -7.0, 12.0])
    >>> r = reduce_balanced(x.copy(), 11)
    >>> np.mod(r, 11).tolist() == [2**52 % 11, 4, 1], bool((abs(r) <= 8).all())
    (True, True)
    """
    t = np.multiply(x, 1.0 / p, out=tmp if tmp is not None and tmp.shape == x.shape
                    else None)
    np.rint(t, out=t)
    t *= p
    x -= t
    return x


def to_balanced(Y, p: int) -> np.ndarray:
    """Integer residues (any integer dtype) as a balanced float64 array.

    Parameters
    ----------
    Y : array_like of int
        Integers (reduced mod ``p`` first).
    p : int
        The prime.

    Returns
    -------
    ndarray of float64
        Residues in ``[-(p-1)/2, (p-1)/2]``.

    Examples
    --------
    >>> to_balanced([[0, 1, 6, 10]], 11).tolist()
    [[0.0, 1.0, -5.0, -1.0]]
    """
    Y = np.asarray(Y)
    if Y.size and Y.dtype.kind in "iu" and 0 <= Y.min() and Y.max() < p:
        pass                    # already residues (what the evaluation returns)
    elif Y.dtype == np.uint64:
        Y = (Y % np.uint64(p)).astype(np.int64)
    else:
        Y = np.mod(Y.astype(np.int64, copy=False), p)
    Y = Y.astype(np.float64)
    Y[Y > (p - 1) // 2] -= p
    return Y


def to_residues(X: np.ndarray, p: int) -> np.ndarray:
    """A balanced float64 array (``|X| < p``) as uint64 residues in ``[0, p)``."""
    R = X.astype(np.int64)
    R += (R >> 63) & p          # + p where negative
    return R.view(np.uint64)


#: Products with at least this many output entries use the compiled kernels.
_KERNEL_FROM = 1 << 14
_KERNELS: list = []


def _kernels():
    """:mod:`tnrnn.rank._blas_kernels`, or None: without numba, and while
    numba is not imported yet (importing it and starting its compiler costs
    about 1 s of CPU, more than the fused passes save below n ~ 4,000; the
    certification's evaluation kernel imports it anyway)."""
    if not _KERNELS:
        if "numba" not in sys.modules:
            return None
        try:
            from . import _blas_kernels as kern
        except ImportError:  # pragma: no cover - numba missing
            kern = None
        _KERNELS.append(kern)
    return _KERNELS[0]


def _digits(B: np.ndarray) -> np.ndarray:
    """``[B_lo | B_hi]`` with ``B = 2**16 B_hi + B_lo``, ``|B_lo| <= 2**15``."""
    hi = np.rint(B * (1.0 / 65536.0))
    lo = B - hi * 65536.0
    return np.concatenate([lo, hi], axis=1)


def matmul_sub(C: np.ndarray | None, A: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    """``(C - A @ B) mod p`` balanced (``-A @ B`` when ``C`` is None); ``C``
    is overwritten when given. Exact by steps 1-3 of the module docstring.

    Parameters
    ----------
    C : ndarray of float64 or None
        Balanced residues, overwritten; ``None`` for zero.
    A, B : ndarray of float64
        Balanced residues, ``m x k`` and ``k x n``.
    p : int
        The prime.

    Returns
    -------
    ndarray of float64
        ``(C - A @ B) mod p``, balanced (``C`` itself when given).

    Examples
    --------
    >>> A = to_balanced([[3, 4]], 11); B = to_balanced([[5], [6]], 11)
    >>> int(np.mod(matmul_sub(None, A, B, 11), 11)[0, 0])   # -(15 + 24) mod 11
    5
    """
    m, k = A.shape
    n = B.shape[1]
    out = np.zeros((m, n)) if C is None else C
    if m == 0 or n == 0 or k == 0:
        return out
    kb, split = _plan(p)
    tmp = np.empty((m, n))
    if not split:
        for k0 in range(0, k, kb):
            np.matmul(A[:, k0:k0 + kb], B[k0:k0 + kb], out=tmp)
            out -= tmp
            reduce_balanced(out, p, tmp)
        return out
    kern = _kernels() if m * n >= _KERNEL_FROM else None
    if kern is not None:
        D = np.empty((k, 2 * n))
        kern.digits(np.ascontiguousarray(B), D)
    else:
        D = _digits(B)                   # k x 2n: [B_lo | B_hi]
    G = np.empty((m, 2 * n))
    lo, hi = G[:, :n], G[:, n:]
    for k0 in range(0, k, kb):
        np.matmul(A[:, k0:k0 + kb], D[k0:k0 + kb], out=G)
        if kern is not None:
            kern.fold(out, G, float(p), 1.0 / p)     # the four lines below, fused
            continue
        reduce_balanced(hi, p, tmp)      # |hi| <= H
        hi *= 65536.0
        out -= lo                        # |out| <= H (1 + 2**16) + k H 2**15
        out -= hi
        reduce_balanced(out, p, tmp)
    return out


def _mul_elementwise(a: np.ndarray, b: np.ndarray, p: int) -> np.ndarray:
    """``a * b mod p`` balanced, through int64 (``|a b| <= H**2 < 2**62``)."""
    r = np.mod(a.astype(np.int64) * b.astype(np.int64), p).astype(np.float64)
    r[r > (p - 1) // 2] -= p
    return r


def _inverse(v: np.ndarray, p: int) -> np.ndarray:
    return np.array([pow(int(x) % p, p - 2, p) for x in v], dtype=np.float64)


def trsm_lower_unit(L: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    """``X = L^{-1} B mod p`` for ``L`` unit lower triangular (``k x k``, its
    diagonal ignored), by halves: ``X_1 = L_11^{-1} B_1``,
    ``X_2 = L_22^{-1} (B_2 - L_21 X_1)``. Returns a new array.

    Parameters
    ----------
    L : ndarray of float64
        ``k x k``, balanced; its strict lower part is used.
    B : ndarray of float64
        ``k x n``, balanced.
    p : int
        The prime.

    Returns
    -------
    ndarray of float64
        ``X``, balanced.

    Examples
    --------
    >>> L = to_balanced([[1, 0], [3, 1]], 7); B = to_balanced([[2], [5]], 7)
    >>> X = trsm_lower_unit(L, B, 7)
    >>> np.mod(np.array([[1, 0], [3, 1]]) @ np.mod(X, 7), 7).ravel().tolist()
    [2.0, 5.0]
    """
    X = np.array(B, dtype=np.float64, copy=True)
    _trsm(L, X, p)
    return X


def _neg_inverse_lower_unit(L: np.ndarray, p: int) -> np.ndarray:
    """``-L^{-1} mod p`` (balanced) for a small unit lower triangular ``L``
    (its diagonal and upper part ignored): FLINT's ``nmod_mat_inv`` when its
    library is usable, else row by row, ``row_i(L^{-1}) = e_i - L[i, :i]
    L^{-1}[:i]``."""
    from ._lu import _flint_lib, _inverse_flint, flint_available

    k = L.shape[0]
    lib = _flint_lib() if flint_available() else None
    if lib is not None:
        T = to_residues(np.tril(L, -1), p)
        T[np.arange(k), np.arange(k)] = 1
        inv = _inverse_flint(lib, T, p)          # unit triangular: never singular
        N = np.subtract(0.0, inv.astype(np.float64))   # -L^{-1}, in (-p, 0]
        N[N < -((p - 1) // 2)] += p
        return N
    N = np.zeros((k, k))
    N[np.arange(k), np.arange(k)] = -1.0
    for i in range(1, k):
        # -inv[i] = -e_i + L[i, :i] inv[:i] = -e_i - L[i, :i] (-inv[:i])
        matmul_sub(N[i:i + 1], L[i:i + 1, :i], N[:i], p)
    return N


def _trsm(L, X, p, cache=None, at=0):
    """``X <- L^{-1} X`` in place; ``cache`` (a dict, or None) keeps the
    inverses of the diagonal blocks, keyed by their offset ``at`` and size,
    for later solves with the same ``L``."""
    k = L.shape[0]
    if k <= _TRSM_BASE:
        if k > 1:
            N = None if cache is None else cache.get((at, k))
            if N is None:
                N = _neg_inverse_lower_unit(L, p)
                if cache is not None:
                    cache[(at, k)] = N
            X[:] = matmul_sub(None, N, X, p)     # 0 - (-L^{-1}) X
        return
    h = k // 2
    _trsm(L[:h, :h], X[:h], p, cache, at)
    matmul_sub(X[h:], L[h:, :h], X[:h], p)
    _trsm(L[h:, h:], X[h:], p, cache, at + h)


class _UpperSolver:
    """``C -> C U^{-1} mod p`` for one upper triangular ``U`` with non-zero
    diagonal, prepared once for many ``C`` (the row blocks of a bordered
    round): ``U = D U_1`` with ``U_1`` unit, ``Z^T = D^{-1} U_1^{-T} C^T``;
    ``D^{-1}``, ``U_1^T`` and the inverses of its diagonal blocks are kept."""

    def __init__(self, U: np.ndarray, p: int):
        self.p = p
        self.d = _inverse(np.diag(U), p)
        self.U1T = np.ascontiguousarray(_mul_elementwise(U, self.d[:, None], p).T)
        self.cache: dict = {}

    def __call__(self, C: np.ndarray) -> np.ndarray:
        ZT = np.array(C.T, dtype=np.float64, order="C")
        _trsm(self.U1T, ZT, self.p, self.cache)
        return np.ascontiguousarray(_mul_elementwise(ZT, self.d[:, None], self.p).T)


def solve_right_upper(U: np.ndarray, C: np.ndarray, p: int) -> np.ndarray:
    """``Z = C U^{-1} mod p`` for ``U`` upper triangular with non-zero
    diagonal: ``U = D U_1`` (``U_1`` unit), so ``Z^T = D^{-1} U_1^{-T} C^T``.

    Parameters
    ----------
    U : ndarray of float64
        ``k x k`` upper triangular, non-zero diagonal mod ``p``.
    C : ndarray of float64
        ``m x k``, balanced.
    p : int
        The prime.

    Returns
    -------
    ndarray of float64
        ``Z``, balanced.

    Examples
    --------
    >>> U = to_balanced([[2, 1], [0, 3]], 7); C = to_balanced([[4, 5]], 7)
    >>> Z = solve_right_upper(U, C, 7)
    >>> np.mod(np.mod(Z, 7) @ np.array([[2, 1], [0, 3]]), 7).ravel().tolist()
    [4.0, 5.0]
    """
    return _UpperSolver(U, p)(C)


# ------------------------------------------------------------------- PLU
def plu(A: np.ndarray, p: int, *, want_u: bool = True):
    """Rank-revealing LU of a balanced float64 matrix mod ``p``.

    Returns ``(r, perm, L, U)``: ``A[perm] = L U (mod p)`` with ``L``
    (``m x r``) unit lower triangular on its top ``r x r`` block and ``U``
    (``r x n``) in row-echelon form; ``U`` is None unless ``want_u``.

    Recursive on columns (FLINT's ``nmod_mat_lu_recursive`` scheme): factor
    the left half, apply its row order to the right half,
    ``X = L_11^{-1} A_1[:r_0]`` and ``S = A_1[r_0:] - L_21 X`` (the products
    of :func:`matmul_sub`), factor ``S``; ``rank A = r_0 + rank S`` because
    the Schur complement of the left half's pivot block vanishes on the left
    half's other columns.

    Parameters
    ----------
    A : ndarray of float64
        Balanced residues, ``m x n``.
    p : int
        The prime.
    want_u : bool
        Whether to build ``U``.

    Returns
    -------
    tuple
        ``(r, perm, L, U)``.

    Examples
    --------
    >>> r, perm, L, U = plu(to_balanced([[2, 4], [1, 2], [0, 1]], 7), 7)
    >>> r, bool((np.mod(L @ U, 7) == np.mod(to_balanced([[2, 4], [1, 2], [0, 1]], 7)[perm], 7)).all())
    (2, True)
    """
    m, n = A.shape
    if m == 0 or n == 0:
        return 0, np.arange(m), np.zeros((m, 0)), (np.zeros((0, n)) if want_u else None)
    if n <= PANEL:
        k, perm, L, U = _panel(A, p)          # FLINT's LU (or numpy) on the leaf
        return k, perm, L, (U if want_u else None)
    n0 = max(PANEL, (n // 2) // PANEL * PANEL)
    k0, P0, L0, U0 = plu(A[:, :n0], p, want_u=want_u)
    A1 = A[P0, n0:]
    X = A1[:k0]
    _trsm(L0[:k0], X, p)
    S = matmul_sub(A1[k0:], L0[k0:], X, p)
    k1, P1, L1, U1 = plu(S, p, want_u=want_u)
    perm = np.concatenate([P0[:k0], P0[k0:][P1]])
    L = np.zeros((m, k0 + k1))
    L[:k0, :k0] = L0[:k0]
    L[k0:, :k0] = L0[k0:][P1]
    L[k0:, k0:] = L1
    U = None
    if want_u:
        U = np.zeros((k0 + k1, n))
        U[:k0, :n0] = U0
        U[:k0, n0:] = X
        U[k0:, n0:] = U1
    return k0 + k1, perm, L, U


def rank_blas(Y, prime: int) -> int:
    """Rank over ``GF(prime)`` by :func:`plu` (float64 BLAS products, exact
    by the module docstring; thin panels by FLINT or numpy), on one BLAS
    thread (:func:`blas_threads`: on the shared 2-core machine a second
    thread made it slower and up to 4x more variable).

    Parameters
    ----------
    Y : array_like of int
        A 2-D integer matrix.
    prime : int
        A prime, ``7 <= prime < 2**31`` (smaller ones go to
        :func:`~tnrnn.rank.rank_numpy`).

    Returns
    -------
    int
        The rank over ``GF(prime)``.

    Examples
    --------
    >>> rank_blas(np.array([[1, 2], [3, 4]]), 2)     # det = -2 = 0 mod 2
    1
    """
    from .modp import check_prime
    from ._lu import _as_residues

    p = check_prime(prime)
    if p < 7:
        from ._lu import rank_numpy

        return rank_numpy(Y, p)
    _check_p(p)
    A = _as_residues(Y, p)
    if A.shape[0] < A.shape[1]:
        A = A.T
    with blas_threads(1):
        return plu(to_balanced(A, p), p, want_u=False)[0]
