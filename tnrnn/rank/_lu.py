"""Rank mod p by elimination: FLINT's LU (called on a numpy buffer) and
int64 numpy Gaussian elimination, with the helpers :mod:`tnrnn.rank.blas`
shares (its thin panels run on FLINT's LU).

The public names are re-exported by :mod:`tnrnn.rank.routines`, the
registry; this module imports no other module of the package but
:mod:`~tnrnn.rank.modp`, so the registry and the BLAS engine both build on it
without importing each other. The leaves of the BLAS engine's recursive LU
(thin panels, by FLINT's LU or numpy) and FLINT's small inverses live here.
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingDependencyError, SpecError
from .modp import check_prime

__all__ = ["flint_available", "rank_flint", "rank_numpy"]


def flint_available() -> bool:
    """Whether python-flint is installed (found without importing it: the
    rank routine calls FLINT's library directly, which keeps start-up fast).

    Returns
    -------
    bool
        Whether ``import flint`` would find the package.

    Examples
    --------
    >>> import importlib.util
    >>> flint_available() == (importlib.util.find_spec("flint") is not None)
    True
    """
    import importlib.util

    try:
        return importlib.util.find_spec("flint") is not None
    except (ImportError, ValueError):  # pragma: no cover
        return False


def _as_residues(Y, p: int) -> np.ndarray:
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise SpecError(f"a rank needs a 2-D matrix; got an array of shape {Y.shape}")
    if Y.dtype == object:
        return np.array([int(v) % p for v in Y.ravel()], dtype=np.int64).reshape(Y.shape)
    if not np.issubdtype(Y.dtype, np.integer):
        raise SpecError(f"a rank mod p needs an integer matrix; got dtype {Y.dtype}")
    return np.mod(Y.astype(np.int64), p)


_FLINT_LIB: list = []


def _flint_lib():
    """FLINT's shared library as shipped inside python-flint, with
    ``nmod_mat_lu`` ready to call on a numpy buffer, or None.

    The ``nmod_mat_struct`` layout of FLINT >= 3.3 (``entries, r, c,
    stride, mod = {n, ninv, norm}``) is checked on a matrix FLINT itself
    initialises; any mismatch disables this path (python-flint's list
    constructor is used then)."""
    if _FLINT_LIB:
        return _FLINT_LIB[0]
    lib = None
    try:
        import ctypes
        import glob
        import importlib.util
        import os

        spec = importlib.util.find_spec("flint")
        site = os.path.dirname(os.path.dirname(spec.origin))
        paths = sorted(glob.glob(os.path.join(site, "python_flint.libs", "libflint*.so*")))
        if paths:
            cand = ctypes.CDLL(paths[0])
            probe = (ctypes.c_uint64 * 16)()
            cand.nmod_mat_init(ctypes.byref(probe), ctypes.c_long(3), ctypes.c_long(5),
                               ctypes.c_ulong(7))
            ok = list(probe)[1:5] == [3, 5, 5, 7]
            cand.nmod_mat_clear(ctypes.byref(probe))
            if ok:
                cand.nmod_mat_lu.restype = ctypes.c_long
                lib = cand
    except Exception:  # pragma: no cover - no usable shared library
        lib = None
    _FLINT_LIB.append(lib)
    return lib


def _lu_rank_inplace(lib, A: np.ndarray, p: int) -> int:
    """FLINT's ``nmod_mat_lu`` on the uint64 C-contiguous buffer ``A`` (its
    residues are overwritten by the factors): no copy, no Python list."""
    return _lu_rank_inplace_perm(lib, A, p)[0]


_MAT_TYPE: list = []


def _mat_type():
    """The ctypes ``nmod_mat_struct`` (built once)."""
    if not _MAT_TYPE:
        import ctypes

        class _Nmod(ctypes.Structure):
            _fields_ = [("n", ctypes.c_ulong), ("ninv", ctypes.c_ulong),
                        ("norm", ctypes.c_ulong)]

        class _Mat(ctypes.Structure):
            _fields_ = [("entries", ctypes.c_void_p), ("r", ctypes.c_long),
                        ("c", ctypes.c_long), ("stride", ctypes.c_long), ("mod", _Nmod)]

        _MAT_TYPE.append(_Mat)
    return _MAT_TYPE[0]


def _nmod_mat(lib, A: np.ndarray, p: int):
    """An ``nmod_mat_struct`` viewing the uint64 C-contiguous buffer ``A``
    (FLINT >= 3.3 layout, checked by :func:`_flint_lib`)."""
    import ctypes

    n, m = A.shape
    mat = _mat_type()()
    mat.entries, mat.r, mat.c, mat.stride = A.ctypes.data, n, m, m
    lib.nmod_init(ctypes.byref(mat.mod), ctypes.c_ulong(p))
    return mat


def _lu_rank_inplace_perm(lib, A: np.ndarray, p: int) -> tuple:
    """:func:`_lu_rank_inplace` returning ``(rank, perm)`` too: ``A[perm]``
    (the rows before the call) equals ``L U`` (FLINT's generalised LU: ``L``
    in the strict lower part of the first ``rank`` columns with an implicit
    unit diagonal, ``U`` in row-echelon form in the first ``rank`` rows)."""
    import ctypes

    mat = _nmod_mat(lib, A, p)
    perm = np.zeros(A.shape[0], dtype=np.int64)
    r = int(lib.nmod_mat_lu(perm.ctypes.data_as(ctypes.c_void_p), ctypes.byref(mat), 0))
    return r, perm


def _inverse_flint(lib, A: np.ndarray, p: int) -> np.ndarray | None:
    """FLINT's ``nmod_mat_inv`` of the square uint64 C-contiguous residues
    ``A`` (left unchanged): a new uint64 array, or None when ``A`` is
    singular mod ``p``."""
    import ctypes

    X = np.zeros_like(A)
    Ain = np.array(A, dtype=np.uint64, order="C")
    ok = lib.nmod_mat_inv(ctypes.byref(_nmod_mat(lib, X, p)),
                          ctypes.byref(_nmod_mat(lib, Ain, p)))
    return X if ok else None


def rank_flint(Y, prime: int, *, overwrite: bool = False) -> int:
    """Rank over ``GF(prime)`` with FLINT (LU of ``nmod_mat``).

    FLINT's ``nmod_mat_lu`` runs directly on a uint64 copy of ``Y`` (or on
    ``Y`` itself with ``overwrite=True`` when it is a C-contiguous uint64
    array of residues), through the library python-flint ships: no Python
    list is built. Falls back to python-flint's ``nmod_mat(...).rank()``
    when that library cannot be used.

    Parameters
    ----------
    Y : array_like of int
        A 2-D integer matrix.
    prime : int
        A prime below ``2**31``.
    overwrite : bool
        Let FLINT overwrite ``Y`` (a C-contiguous uint64 array of residues).

    Returns
    -------
    int
        The rank over ``GF(prime)``.

    Examples
    --------
    >>> rank_flint(np.array([[1, 1], [1, 1]]), 5)
    1
    """
    if not flint_available():
        raise MissingDependencyError(
            "rank routine 'flint' needs python-flint (pip install 'tnrnn[exact]'); "
            "use rank_method='numpy' instead")
    p = check_prime(prime)
    if overwrite and isinstance(Y, np.ndarray) and Y.dtype == np.uint64 \
            and Y.ndim == 2 and Y.flags.c_contiguous:
        A = Y
    else:
        A = _as_residues(Y, p)
    n, m = A.shape
    if n == 0 or m == 0:
        return 0
    lib = _flint_lib()
    if lib is not None:
        if A is not Y:
            A = np.ascontiguousarray(A, dtype=np.uint64)
        return _lu_rank_inplace(lib, A, p)
    import flint  # pragma: no cover

    return int(flint.nmod_mat(n, m, A.ravel().tolist(), p).rank())  # pragma: no cover


def rank_numpy(Y, prime: int) -> int:
    """Rank over ``GF(prime)`` by Gaussian elimination, vectorised in int64.

    Each pivot step updates the remaining block at once:
    ``B + outer(-col, row) mod p``; both factors are residues below
    ``2**31``, so every product is below ``2**62`` and, with ``B < 2**31``
    added, still fits in int64 before the reduction.

    Parameters
    ----------
    Y : array_like of int
        A 2-D integer matrix.
    prime : int
        A prime below ``2**31``.

    Returns
    -------
    int
        The rank over ``GF(prime)``.

    Examples
    --------
    >>> rank_numpy(np.array([[1, 1], [1, 1]]), 5)
    1
    >>> rank_numpy(np.array([[1, 2], [3, 4]]), 2)   # det = -2 = 0 mod 2
    1
    """
    p = check_prime(prime)
    A = _as_residues(Y, p)
    if A.shape[0] < A.shape[1]:
        A = A.T
    A = A.copy()
    n, m = A.shape
    rank = 0
    for col in range(m):
        if rank == n:
            break
        nz = np.flatnonzero(A[rank:, col])
        if nz.size == 0:
            continue
        piv = rank + int(nz[0])
        if piv != rank:
            A[[rank, piv]] = A[[piv, rank]]
        inv = pow(int(A[rank, col]), p - 2, p)
        row = A[rank, col + 1:] * inv % p
        if rank + 1 < n and row.size:
            block = A[rank + 1:, col + 1:]
            neg = (p - A[rank + 1:, col]) % p            # -(column below the pivot)
            update = np.multiply.outer(neg, row)         # < 2**62
            update += block                              # < 2**62 + 2**31
            np.remainder(update, p, out=block)
        A[rank + 1:, col] = 0
        rank += 1
    return rank


# ------------------------------------------ leaves of tnrnn.rank.blas.plu
def _panel_flint(A: np.ndarray, p: int):
    """FLINT's ``nmod_mat_lu`` on the panel ``A`` (balanced float64 residues,
    ``|A| < p``, ``m x w``): ``(k, perm, L, U)`` with ``A[perm] = L U`` mod
    ``p`` (``L`` ``m x k`` with unit diagonal on top, ``U`` ``k x w`` in
    echelon form, both balanced float64), or None when FLINT's library is
    not usable."""
    lib = _flint_lib()
    if lib is None:
        return None
    R = A.astype(np.int64)
    R += (R >> 63) & p                  # residues in [0, p)
    R = np.ascontiguousarray(R.view(np.uint64))
    k, perm = _lu_rank_inplace_perm(lib, R, p)
    F = R[:, :k].astype(np.int64)
    L = np.tril(F, -1).astype(np.float64)
    L[np.arange(k), np.arange(k)] = 1.0
    L[L > (p - 1) // 2] -= p
    U = np.triu(R[:k].astype(np.int64)).astype(np.float64)
    U[U > (p - 1) // 2] -= p
    return k, perm, L, U


def _panel_numpy(A: np.ndarray, p: int):
    """The same as :func:`_panel_flint` by Gaussian elimination in int64
    (products of residues below ``2**62``)."""
    m, w = A.shape
    W = np.mod(A.astype(np.int64), p)
    perm = np.arange(m)
    Lcols = []
    k = 0
    for col in range(w):
        if k == m:
            break
        nz = np.flatnonzero(W[k:, col])
        if nz.size == 0:
            continue
        piv = k + int(nz[0])
        if piv != k:
            W[[k, piv]] = W[[piv, k]]
            perm[[k, piv]] = perm[[piv, k]]
            for c in Lcols:
                c[[k, piv]] = c[[piv, k]]
        inv = pow(int(W[k, col]), p - 2, p)
        lc = np.zeros(m, dtype=np.int64)
        lc[k] = 1
        lc[k + 1:] = W[k + 1:, col] * inv % p
        W[k + 1:] = (W[k + 1:] - np.multiply.outer(lc[k + 1:], W[k]) % p) % p
        Lcols.append(lc)
        k += 1
    L = (np.stack(Lcols, axis=1) if Lcols else np.zeros((m, 0), np.int64)).astype(np.float64)
    U = W[:k].astype(np.float64)
    for X in (L, U):
        X[X > (p - 1) // 2] -= p
    return k, perm, L, U


def _panel(A, p):
    """A leaf of :func:`tnrnn.rank.blas.plu`: :func:`_panel_flint`, or
    :func:`_panel_numpy` without python-flint."""
    if flint_available():
        got = _panel_flint(A, p)
        if got is not None:
            return got
    return _panel_numpy(A, p)
