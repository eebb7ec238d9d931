"""The numba kernels of :mod:`tnrnn.rank._fused` (imported only when the
fused path runs: importing numba takes a noticeable fraction of a second).
The arithmetic and its no-overflow proof are in :mod:`tnrnn.rank._fused`."""

import numba
import numpy as np


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
