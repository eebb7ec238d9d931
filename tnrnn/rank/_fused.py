"""A fused, compiled kernel (numba) for the sample matrix of a prefix |
suffix split of a RAC of depth >= 2: every circuit step of a pair in one
pass, reduced mod ``p`` in registers, with no intermediate arrays.

Arithmetic, and why nothing overflows: residues are below ``p < 2**31``, so
a product of two is below ``2**62`` and a residue plus three products is
below ``2**31 + 3 * 2**62 < 2**64``: uint64 holds it exactly. Such an
``x < 2**64`` is reduced by ``q = trunc(float(x) * (1 / p))`` and
``r = x - q p``: the float quotient has relative error below ``3 * 2**-53``
and the true quotient is below ``2**64 / p``, so for every ``p`` in
``[2**17, 2**31)`` the absolute error is below ``2**47 * 3 * 2**-53 < 1``
and ``q`` is ``floor(x / p)`` or off by one: ``r`` lies in ``[-p, 2p)``
(computed in wrapping 64-bit arithmetic and read as signed) and one
conditional correction each way puts it in ``[0, p)``. Smaller primes
are never passed here (the caller uses the numpy engine).

Used by :func:`tnrnn.rank.sample_matrix` for large matrices when numba
imports (it is optional); the numpy engine (``_engine.py``) is the
reference the tests compare it with.
"""

from __future__ import annotations

import numpy as np

__all__ = ["available", "linear_rows", "MIN_PRIME"]

#: Smallest prime the float-quotient reduction is proved for (see above).
MIN_PRIME = 2**17

_KERNEL: list = []


def available() -> bool:
    """Whether numba imports (the kernel is compiled on first use)."""
    return _kernel() is not None


def _kernel():
    if _KERNEL:
        return _KERNEL[0]
    try:
        from ._fused_kernels import rows
    except ImportError:  # pragma: no cover - numba missing
        rows = None
    _KERNEL.append(rows)
    return rows


def linear_rows(b1: np.ndarray, init: np.ndarray, C: np.ndarray, WH: np.ndarray,
                WI: np.ndarray, wo: np.ndarray, p: int, Y: np.ndarray) -> None:
    """Fill ``Y[i, j]`` (``NP x NQ`` uint64) for rows ``i`` of ``b1``.

    Parameters
    ----------
    b1 : (NP, R) uint64
        Boundary states of layer 1 (one per row).
    init : (L - 1, R, NP) uint64
        Boundary states of layers 2..L.
    C : (S, R, R, NQ) uint64
        ``C_t = W_I[2] P_t`` for the ``S`` suffix steps: the input of layer 2
        at step ``t`` is ``C_t[:, :, j] @ b1[i]``.
    WH, WI : (L - 1, R, R) uint64
        ``W_H`` and ``W_I`` of layers 2..L (``WI[0]`` is not used).
    wo : (R,) uint64
        The chosen output row.
    p : int
        A prime in ``[MIN_PRIME, 2**31)``.
    """
    _kernel()(b1, init, C, WH, WI, wo, np.uint64(p), Y)
