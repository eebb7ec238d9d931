"""numba kernels of :mod:`tnrnn.rank.blas` (imported only when a large
product runs: importing numba takes a noticeable fraction of a second).

Each kernel makes, element by element, the same IEEE float64 operations as
the numpy code it replaces (no ``fastmath``), so the exactness proof of
:mod:`tnrnn.rank.blas` (steps 2 and 3) holds unchanged; it only fuses the
passes over memory into one.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def fold(out, G, p, pinv):
    """``out <- (out - G_lo - 2**16 (G_hi mod p)) mod p``, balanced, with
    ``G = [G_lo | G_hi]`` (``m x 2n``): step 3 of :mod:`tnrnn.rank.blas`."""
    m, n = out.shape
    for i in range(m):
        for j in range(n):
            h = G[i, n + j]
            h = h - np.rint(h * pinv) * p
            x = out[i, j] - G[i, j] - h * 65536.0
            out[i, j] = x - np.rint(x * pinv) * p


@numba.njit(cache=True, nogil=True)
def digits(B, D):
    """``D = [B_lo | B_hi]`` with ``B = 2**16 B_hi + B_lo``, ``|B_lo| <=
    2**15`` (``B`` ``k x n``, ``D`` ``k x 2n``)."""
    k, n = B.shape
    for i in range(k):
        for j in range(n):
            b = B[i, j]
            hi = np.rint(b * (1.0 / 65536.0))
            D[i, j] = b - hi * 65536.0
            D[i, n + j] = hi
