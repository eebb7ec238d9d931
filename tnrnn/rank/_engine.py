"""The hot loop of exact evaluation: many copies of a circuit stepped at
once, modulo a prime ``p < 2**31``, with preallocated work buffers.

Layout: a batch of ``n`` circuit copies is held feature-major, one
``(R, n)`` uint64 array of residues in ``[0, p)`` per layer, plus its
*split* float64 copy ``(2, R, n)`` (16-bit halves, below) that feeds BLAS.
Batches come in *tiles* ``(c, q)`` with ``n = c * q``: copy ``(i, j)`` takes
its first-layer inputs from half ``i`` of one side at some steps and from
half ``j`` of the other side at the others.

Arithmetic, and why nothing overflows or rounds:

* **Matrix products** ``W @ S mod p`` (``W`` is ``J x K``). Split the state
  ``S = hi * 2**16 + lo`` with ``0 <= lo < 2**16`` and ``0 <= hi < 2**15``
  (``S < p < 2**31``), and let ``W' = W * 2**16 mod p``. Then
  ``W @ S = W @ lo + W' @ hi (mod p)``: one float64 BLAS product of
  ``[W | W']`` (``J x 2K``) with ``[lo; hi]`` (``2K x n``). For a block of
  ``k <= 32`` inner indices each term is below ``2**31 * 2**16 = 2**47``
  (``lo`` terms) or ``2**46`` (``hi`` terms), so every partial sum is a
  non-negative integer below ``32 * (2**47 + 2**46) < 2**53``: exactly
  representable, hence computed *exactly* whatever the summation order or
  use of fused multiply-adds. Converted to uint64 and reduced; longer sums
  add reduced blocks (``< p + 2**53``).
* **Reduction** of ``0 <= x < 2**64``: ``x - (x // p) * p`` in uint64 (numpy
  divides by a scalar with a multiply-shift, about twice as fast as ``%``).
* **Elementwise products** of two residues: below ``2**62``, then reduced.

Nothing here validates its input; callers do (three tiers, STYLE.md).
"""

from __future__ import annotations

import numpy as np

#: Inner indices per exact float64 product: 32 * (2**47 + 2**46) < 2**53.
BLOCK = 32
_MASK = np.uint64(0xFFFF)
_SHIFT = np.uint64(16)


class SplitT:
    """Weights ``W`` (``J x K`` residues, acting as ``W @ s``) prepared for
    :meth:`Engine.matmul`: ``cat = [W | W * 2**16 mod p]`` (``J x 2K``,
    float64)."""

    __slots__ = ("J", "K", "cat")

    def __init__(self, W: np.ndarray, p: int):
        W = np.asarray(W, dtype=np.int64)
        self.J, self.K = W.shape
        W2 = (W << 16) % p                      # W < 2**31: W << 16 < 2**47
        self.cat = np.ascontiguousarray(np.concatenate([W, W2], axis=1), dtype=np.float64)


def shifted(C: np.ndarray, p: int) -> np.ndarray:
    """``[C, C * 2**16 mod p]`` stacked on a new axis 1, as float64: the
    per-column matrices of :meth:`Engine.matmul_rows`. ``C`` is uint64
    ``J x K x q``; the result is ``J x 2 x K x q``."""
    C2 = C << _SHIFT
    C2 -= (C2 // np.uint64(p)) * np.uint64(p)
    return np.stack([C, C2], axis=1).astype(np.float64)


class Engine:
    """Per-thread work buffers and the modular kernels that use them."""

    def __init__(self, p: int):
        self.p = p
        self.P = np.uint64(p)
        self._buffers: dict = {}

    def buf(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, np.dtype(dtype).str)
        b = self._buffers.get(key)
        if b is None:
            b = self._buffers[key] = np.empty(shape, dtype=dtype)
        return b

    def reduce(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``x mod p`` for uint64 ``x`` (into ``out``, default in place)."""
        q = self.buf("q", x.shape, np.uint64)
        np.floor_divide(x, self.P, out=q)
        np.multiply(q, self.P, out=q)
        return np.subtract(x, q, out=x if out is None else out)

    def split(self, S: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out[0] = S & 0xFFFF``, ``out[1] = S >> 16`` as float64 (``S``
        uint64 residues ``K x ...``, ``out`` ``2 x K x ...``)."""
        t = self.buf("t", S.shape, np.uint64)
        np.bitwise_and(S, _MASK, out=t)
        np.copyto(out[0], t, casting="unsafe")
        np.right_shift(S, _SHIFT, out=t)
        np.copyto(out[1], t, casting="unsafe")
        return out

    def matmul(self, W: SplitT, Ss: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out = W @ S mod p``; ``Ss`` is the split copy of residues ``S``
        (``2 x K x n``, see :meth:`split`), ``out`` a uint64 ``J x n`` array."""
        J, K = W.J, W.K
        n = Ss.shape[2]
        F = self.buf("F", (J, n), np.float64)
        if K <= BLOCK:
            np.matmul(W.cat, Ss.reshape(2 * K, n), out=F)
            np.copyto(out, F, casting="unsafe")
            return self.reduce(out)
        G = self.buf("G", (J, n), np.float64)
        U = self.buf("U", (J, n), np.uint64)
        out.fill(0)
        for k0 in range(0, K, BLOCK):
            k1 = min(K, k0 + BLOCK)
            np.matmul(W.cat[:, k0:k1], Ss[0, k0:k1], out=F)
            np.matmul(W.cat[:, K + k0:K + k1], Ss[1, k0:k1], out=G)
            F += G
            np.copyto(U, F, casting="unsafe")
            out += U
            self.reduce(out)
        return out

    def matmul_rows(self, Bs: np.ndarray, C2: np.ndarray, out: np.ndarray
                    ) -> np.ndarray:
        """``out[r, i, j] = sum_s C[r, s, j] B[i, s] mod p``: one matrix
        ``C[:, :, j]`` per column ``j`` applied to every row vector ``B[i]``.

        ``C2`` is :func:`shifted` ``(C)`` (``J x 2 x K x q``), ``Bs`` the
        split ``B`` laid out ``c x 2K`` (``[lo | hi]``), ``out`` uint64
        ``J x c x q``. Exact by the bounds of :meth:`matmul`.
        """
        J, _, K, q = C2.shape
        c = Bs.shape[0]
        F = self.buf("Fr", (J, c, q), np.float64)
        if K <= BLOCK:
            np.matmul(Bs, C2.reshape(J, 2 * K, q), out=F)
            np.copyto(out, F, casting="unsafe")
            return self.reduce(out)
        G = self.buf("Gr", (J, c, q), np.float64)
        U = self.buf("Ur", (J, c, q), np.uint64)
        out.fill(0)
        for k0 in range(0, K, BLOCK):
            k1 = min(K, k0 + BLOCK)
            np.matmul(Bs[:, k0:k1], C2[:, 0, k0:k1], out=F)
            np.matmul(Bs[:, K + k0:K + k1], C2[:, 1, k0:k1], out=G)
            F += G
            np.copyto(U, F, casting="unsafe")
            out += U
            self.reduce(out)
        return out

    def mul(self, a: np.ndarray, b, out: np.ndarray | None = None) -> np.ndarray:
        """``a * b mod p`` elementwise (broadcasting ``b``), into ``out`` or ``a``."""
        out = a if out is None else out
        np.multiply(a, b, out=out)
        return self.reduce(out)

    def product(self, W: SplitT, S: np.ndarray) -> np.ndarray:
        """``W @ S mod p`` for plain uint64 residues ``S`` (``K x n``); a fresh
        ``J x n`` uint64 array (not a work buffer)."""
        Ss = np.empty((2,) + S.shape, dtype=np.float64)
        self.split(S, Ss)
        return self.matmul(W, Ss, np.empty((W.J, S.shape[1]), dtype=np.uint64))


class Circuit:
    """Split weights of one circuit (read-only; shared by all threads).

    For a RAC: ``WH[l]``, ``WI[l]`` (layer ``l`` of ``L``), ``h0[l]``
    (uint64, shape (R,)). For a TT-RNN: ``G`` acting on the flattened outer
    product ``h (x) x`` (index ``i*M+d``). ``wo`` holds the chosen output
    row, or all of ``W_O`` when ``output`` is None.
    """

    def __init__(self, params, p: int, tt: bool, output: int | None):
        self.p = p
        self.tt = tt
        if tt:
            R, M, _ = params.G.shape
            self.R, self.M, self.L = R, M, 1
            self.G = SplitT(params.G.reshape(R * M, R).T, p)
            self.h0 = [np.asarray(params.h0, dtype=np.uint64)]
        else:
            self.L = len(params.W_H)
            self.R, self.M = params.W_I[0].shape
            self.WH = [SplitT(w, p) for w in params.W_H]
            self.WI = [SplitT(w, p) for w in params.W_I]
            self.h0 = [np.asarray(h, dtype=np.uint64) for h in params.h0]
        self.wo = SplitT(params.W_O if output is None else params.W_O[output:output + 1], p)

    def tile(self, cap: int) -> int:
        """Circuit copies per tile: at most ``cap``, and small enough that the
        largest BLAS product (``J x 2K`` times ``2K x n``) stays below about
        ``2**18`` multiply-adds, where OpenBLAS runs single-threaded (its
        threads only cost time at these sizes) and the work buffers stay in
        cache."""
        K = self.R * self.M if self.tt else self.R
        return max(1, min(cap, max(256, (1 << 18) // (2 * self.R * K))))

    def project(self, eng: Engine, X: np.ndarray) -> np.ndarray:
        """First-layer feed of halves ``X`` (``M x N`` residues): ``W_I[1] X``
        (``R x N``) for a RAC, ``X`` itself for a TT-RNN (uint64)."""
        Xu = np.ascontiguousarray(X, dtype=np.uint64)
        return Xu if self.tt else eng.product(self.WI[0], Xu)

    def _states(self, eng: Engine, init: list, layers: range, c: int, q: int):
        R, n = self.R, c * q
        H = [eng.buf(f"H{l}", (R, n), np.uint64) for l in layers]
        Hs = [eng.buf(f"Hs{l}", (2, R, n), np.float64) for l in layers]
        for h, hs, v in zip(H, Hs, init):
            np.copyto(h.reshape(R, c, q), v)
            eng.split(h, hs)
        return H, Hs

    def run_tile(self, eng: Engine, init: list, feeds: list, c: int, q: int,
                 want: str = "output") -> list:
        """Step ``n = c * q`` copies through the steps whose first-layer
        feeds are ``feeds`` (each broadcastable to ``(R or M, c, q)``).

        ``init[l]`` broadcasts to ``(R, c, q)``: the starting state of layer
        ``l``. Returns the outputs (``K' x n``) when ``want == "output"``,
        else the final states, one ``(R, n)`` uint64 array per layer (fresh).
        """
        R, L, n = self.R, self.L, c * q
        H, Hs = self._states(eng, init, range(L), c, q)
        A = eng.buf("A", (R, n), np.uint64)
        B = eng.buf("B", (R, n), np.uint64)
        if self.tt:
            M = self.M
            outer = eng.buf("O", (R, M, n), np.uint64)
            outer_s = eng.buf("Os", (2, R * M, n), np.float64)
            for x in feeds:
                np.multiply(H[0].reshape(R, 1, c, q), x.reshape(1, M, *x.shape[1:]),
                            out=outer.reshape(R, M, c, q))
                eng.reduce(outer)
                eng.split(outer.reshape(R * M, n), outer_s)
                eng.matmul(self.G, outer_s, H[0])
                eng.split(H[0], Hs[0])
        else:
            for u in feeds:
                eng.matmul(self.WH[0], Hs[0], H[0])
                eng.mul(H[0].reshape(R, c, q), u)
                eng.split(H[0], Hs[0])
                for l in range(1, L):
                    eng.matmul(self.WH[l], Hs[l], A)
                    eng.matmul(self.WI[l], Hs[l - 1], B)
                    eng.mul(A, B, out=H[l])
                    eng.split(H[l], Hs[l])
        if want == "output":
            return eng.matmul(self.wo, Hs[L - 1], np.empty((self.wo.J, n), dtype=np.uint64))
        return [h.copy() for h in H]

    # -- prefix | suffix splits: layer 1 is linear in its boundary state ------
    def layer1_transfer(self, eng: Engine, feeds: list) -> list:
        """For each later step ``t``, the matrices ``P_t[:, :, j]`` with
        ``h[t, 1] = P_t[:, :, j] @ h[k, 1]`` for suffix half ``j``:
        ``P_t = diag(u_t) W_H[1] P_{t-1}``, ``P_k = I`` (``u_t`` the
        first-layer feed, ``R x N``). Returns uint64 arrays ``R x R x N``.

        Valid when every step after ``k`` takes its input from the suffix
        side, so that ``u_t`` depends on ``j`` only.
        """
        R = self.R
        N = feeds[0].shape[1] if feeds else 0
        P = np.zeros((R, R, N), dtype=np.uint64)
        P[np.arange(R), np.arange(R)] = 1
        out = []
        for u in feeds:
            P = eng.product(self.WH[0], P.reshape(R, R * N)).reshape(R, R, N)
            eng.mul(P, u[:, None, :])
            out.append(P)
        return out

    def layer2_feeds(self, eng: Engine, transfers: list) -> list:
        """``C_t = W_I[2] P_t`` as :func:`shifted` arrays (``R x 2 x R x N``),
        ready for :meth:`Engine.matmul_rows`."""
        R = self.R
        return [shifted(eng.product(self.WI[1], P.reshape(R, -1)).reshape(P.shape), self.p)
                for P in transfers]

    def run_tile_linear(self, eng: Engine, b1s: np.ndarray, init: list, feeds2: list,
                        c: int, q: int) -> np.ndarray:
        """Like :meth:`run_tile` for layers ``2..L`` only (``L >= 2``): the
        input of layer 2 at each step is ``C_t[:, :, j] @ b1[i]`` (``feeds2``
        from :meth:`layer2_feeds`, sliced to the tile's columns; ``b1s`` the
        tile's split boundary states of layer 1, ``c x 2R``)."""
        R, L, n = self.R, self.L, c * q
        H, Hs = self._states(eng, init, range(1, L), c, q)
        A = eng.buf("A", (R, n), np.uint64)
        B = eng.buf("B", (R, n), np.uint64)
        for C2 in feeds2:
            eng.matmul_rows(b1s, C2, B.reshape(R, c, q))
            for l in range(L - 1):
                eng.matmul(self.WH[l + 1], Hs[l], A)
                if l:
                    eng.matmul(self.WI[l + 1], Hs[l - 1], B)
                eng.mul(A, B, out=H[l])
                eng.split(H[l], Hs[l])
        return eng.matmul(self.wo, Hs[-1], np.empty((self.wo.J, n), dtype=np.uint64))
