"""Rank of an integer matrix modulo a prime: one registry of routines.

Every routine is a plain function ``routine(Y, prime) -> int`` taking an
integer numpy array (entries reduced modulo ``prime`` first) and returning its
rank over ``GF(prime)``. Pick one by name with :func:`get_rank_routine`:

``"flint"``
    python-flint's ``nmod_mat(...).rank()`` (FLINT's LU over ``Z/pZ``); the
    fast choice, needs the optional dependency ``python-flint``.
``"numpy"``
    vectorised Gaussian elimination mod p in int64 numpy (no dependency; a
    few times slower).
``"auto"``
    ``"flint"`` when python-flint imports, else ``"numpy"``.

Examples
--------
>>> import numpy as np
>>> Y = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
>>> get_rank_routine("numpy")(Y, 7)
2
>>> rank_modp(Y, 7) == 2
True
>>> get_rank_routine("svd")
Traceback (most recent call last):
...
tnrnn.errors.SpecError: unknown rank routine 'svd'; valid names: 'auto', 'flint', 'numpy'
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingDependencyError, SpecError
from .modp import check_prime

__all__ = ["RANK_ROUTINES", "get_rank_routine", "resolve_rank_routine",
           "rank_modp", "rank_flint", "rank_numpy", "flint_available"]


def flint_available() -> bool:
    """Whether python-flint can be imported."""
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


def _as_residues(Y, p: int) -> np.ndarray:
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise SpecError(f"a rank needs a 2-D matrix; got an array of shape {Y.shape}")
    if Y.dtype == object:
        return np.array([int(v) % p for v in Y.ravel()], dtype=np.int64).reshape(Y.shape)
    if not np.issubdtype(Y.dtype, np.integer):
        raise SpecError(f"a rank mod p needs an integer matrix; got dtype {Y.dtype}")
    return np.mod(Y.astype(np.int64), p)


def rank_flint(Y, prime: int) -> int:
    """Rank over ``GF(prime)`` with python-flint's ``nmod_mat``.

    Examples
    --------
    >>> rank_flint(np.array([[1, 1], [1, 1]]), 5)
    1
    """
    try:
        import flint
    except ImportError as exc:
        raise MissingDependencyError(
            "rank routine 'flint' needs python-flint (pip install 'tnrnn[exact]'); "
            "use rank_method='numpy' instead") from exc
    p = check_prime(prime)
    A = _as_residues(Y, p)
    n, m = A.shape
    if n == 0 or m == 0:
        return 0
    return int(flint.nmod_mat(n, m, A.ravel().tolist(), p).rank())


def rank_numpy(Y, prime: int) -> int:
    """Rank over ``GF(prime)`` by Gaussian elimination, vectorised in int64.

    Each pivot step updates the remaining block at once:
    ``B + outer(-col, row) mod p``; both factors are residues below
    ``2**31``, so every product is below ``2**62`` and, with ``B < 2**31``
    added, still fits in int64 before the reduction.

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


RANK_ROUTINES = {"flint": rank_flint, "numpy": rank_numpy}


def resolve_rank_routine(name: str = "auto") -> str:
    """The concrete routine name ``name`` stands for (``"auto"`` resolved).

    >>> resolve_rank_routine("numpy")
    'numpy'
    """
    valid = ("auto",) + tuple(RANK_ROUTINES)
    if name not in valid:
        raise SpecError(f"unknown rank routine {name!r}; valid names: "
                        + ", ".join(repr(v) for v in valid))
    if name == "auto":
        return "flint" if flint_available() else "numpy"
    if name == "flint" and not flint_available():
        raise MissingDependencyError(
            "rank routine 'flint' needs python-flint (pip install 'tnrnn[exact]'); "
            "use 'numpy' or 'auto' instead")
    return name


def get_rank_routine(name: str = "auto"):
    """The rank routine called ``name`` (see the module docstring).

    Raises
    ------
    SpecError
        For an unknown name; the message lists the valid ones.
    MissingDependencyError
        For ``"flint"`` when python-flint is not installed.
    """
    return RANK_ROUTINES[resolve_rank_routine(name)]


def rank_modp(Y, prime: int, method: str = "auto") -> int:
    """Rank of the integer matrix ``Y`` over ``GF(prime)``.

    A rank ``r`` mod ``p`` means some ``r x r`` minor is non-zero mod ``p``,
    hence non-zero as an integer: the rank of ``Y`` over the rationals is
    at least ``r``.
    """
    return get_rank_routine(method)(Y, prime)
