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
        import numba
    except ImportError:  # pragma: no cover
        _KERNEL.append(None)
        return None

    @numba.njit(cache=True, nogil=True)
    def red(x, p, pinv):
        q = np.uint64(np.float64(x) * pinv)
        r = np.int64(x - q * p)
        if r < 0:
            r += np.int64(p)
        if r >= np.int64(p):
            r -= np.int64(p)
        return np.uint64(r)

    @numba.njit(cache=True, nogil=True)
    def matvec(W, h, out, R, NQ, p, pinv):
        # out[r, j] = sum_s W[r, s] h[s, j] mod p, three products per reduction
        for r in range(R):
            for j in range(NQ):
                out[r, j] = 0
            s = 0
            while s < R:
                w0 = W[r, s]
                w1 = W[r, s + 1] if s + 1 < R else np.uint64(0)
                w2 = W[r, s + 2] if s + 2 < R else np.uint64(0)
                s1 = min(s + 1, R - 1)
                s2 = min(s + 2, R - 1)
                for j in range(NQ):
                    x = out[r, j] + w0 * h[s, j] + w1 * h[s1, j] + w2 * h[s2, j]
                    out[r, j] = red(x, p, pinv)
                s += 3

    @numba.njit(cache=True, nogil=True)
    def rows(b1, init, C, WH, WI, wo, p, Y):
        NP, R = b1.shape
        S, NQ = C.shape[0], C.shape[3]
        L1 = init.shape[0]
        pinv = 1.0 / np.float64(p)
        H = np.empty((L1, R, NQ), np.uint64)
        U = np.empty((R, NQ), np.uint64)
        A = np.empty((R, NQ), np.uint64)
        for i in range(NP):
            for l in range(L1):
                for r in range(R):
                    v = init[l, r, i]
                    for j in range(NQ):
                        H[l, r, j] = v
            for t in range(S):
                # input of layer 2: U[r, j] = sum_s C[t, r, s, j] b1[i, s]
                for r in range(R):
                    for j in range(NQ):
                        U[r, j] = 0
                    s = 0
                    while s < R:
                        c0 = b1[i, s]
                        c1 = b1[i, s + 1] if s + 1 < R else np.uint64(0)
                        c2 = b1[i, s + 2] if s + 2 < R else np.uint64(0)
                        s1 = min(s + 1, R - 1)
                        s2 = min(s + 2, R - 1)
                        for j in range(NQ):
                            x = (U[r, j] + C[t, r, s, j] * c0 + C[t, r, s1, j] * c1
                                 + C[t, r, s2, j] * c2)
                            U[r, j] = red(x, p, pinv)
                        s += 3
                for l in range(L1):
                    if l > 0:
                        matvec(WI[l], H[l - 1], U, R, NQ, p, pinv)
                    matvec(WH[l], H[l], A, R, NQ, p, pinv)
                    for r in range(R):
                        for j in range(NQ):
                            H[l, r, j] = red(A[r, j] * U[r, j], p, pinv)
            top = H[L1 - 1]
            for j in range(NQ):
                acc = np.uint64(0)
                for r in range(R):
                    acc = red(acc + wo[r] * top[r, j], p, pinv)
                Y[i, j] = acc

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
