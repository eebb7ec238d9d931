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
``"blas"``
    :func:`tnrnn.rank.blas.rank_blas`: recursive LU whose Schur updates are
    float64 BLAS products, exact by construction (proof in
    :mod:`tnrnn.rank.blas`); thin panels by FLINT (numpy without it). About
    twice FLINT's speed at ``p = 2**31 - 1`` and sizes of a few thousand here,
    three times for ``p < 2**24`` (``benchmarks/results/rank-engine.md``).
``"auto"``
    ``"flint"`` when python-flint imports, else ``"numpy"``, for one matrix;
    the search (:func:`tnrnn.rank.separation_rank`) picks between ``"flint"``
    and ``"blas"`` by timing both (:func:`choose_engine`).

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
tnrnn.errors.SpecError: unknown rank routine 'svd'; valid names: 'auto', 'flint', 'numpy', 'blas'
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - the examples' np

from ..errors import MissingDependencyError, SpecError
from ._lu import flint_available, rank_flint, rank_numpy
from .blas import rank_blas as _rank_blas

__all__ = ["RANK_ROUTINES", "get_rank_routine", "resolve_rank_routine",
           "rank_modp", "rank_flint", "rank_numpy", "rank_blas", "flint_available"]


def rank_blas(Y, prime: int) -> int:
    """Rank over ``GF(prime)`` by exact float64 BLAS elimination
    (:func:`tnrnn.rank.blas.rank_blas`).

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
    >>> rank_blas(np.array([[1, 1], [1, 1]]), 5)
    1
    """
    return _rank_blas(Y, prime)


RANK_ROUTINES = {"flint": rank_flint, "numpy": rank_numpy, "blas": rank_blas}


def resolve_rank_routine(name: str = "auto") -> str:
    """The concrete routine name ``name`` stands for (``"auto"`` resolved).

    Parameters
    ----------
    name : str
        ``"auto"`` or a routine name.

    Returns
    -------
    str
        ``"flint"`` or ``"numpy"`` for ``"auto"`` (whether python-flint is
        installed), else ``name``.

    Examples
    --------
    >>> resolve_rank_routine("numpy")
    'numpy'
    >>> resolve_rank_routine("auto") == ("flint" if flint_available() else "numpy")
    True
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

    Parameters
    ----------
    name : {"auto", "flint", "numpy", "blas"}
        The routine.

    Returns
    -------
    callable
        ``routine(Y, prime) -> int``.

    Raises
    ------
    SpecError
        For an unknown name; the message lists the valid ones.
    MissingDependencyError
        For ``"flint"`` when python-flint is not installed.

    Examples
    --------
    >>> get_rank_routine("numpy")(np.array([[1, 2], [2, 4]]), 7)
    1
    >>> get_rank_routine("gauss")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown rank routine 'gauss'; valid names: 'auto', 'flint', 'numpy', 'blas'
    """
    return RANK_ROUTINES[resolve_rank_routine(name)]


def rank_modp(Y, prime: int, method: str = "auto") -> int:
    """Rank of the integer matrix ``Y`` over ``GF(prime)``.

    A rank ``r`` mod ``p`` means some ``r x r`` minor is non-zero mod ``p``,
    hence non-zero as an integer: the rank of ``Y`` over the rationals is
    at least ``r``.

    Parameters
    ----------
    Y : array_like of int
        A 2-D integer matrix (entries reduced mod ``prime`` first).
    prime : int
        A prime below ``2**31``.
    method : str
        The rank routine (:func:`get_rank_routine`).

    Returns
    -------
    int
        The rank over ``GF(prime)``.

    Examples
    --------
    >>> Y = np.array([[1, 2], [3, 4]])            # det = -2
    >>> rank_modp(Y, 7), rank_modp(Y, 2, "numpy")
    (2, 1)
    """
    return get_rank_routine(method)(Y, prime)
