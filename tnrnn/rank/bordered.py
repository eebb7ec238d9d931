"""Bordering: the LU factors of a growing matrix, extended instead of
factored again (:class:`Bordered`), on the exact float64 BLAS arithmetic of
:mod:`tnrnn.rank.blas`.

The search grows its sample matrix round by round
(:func:`tnrnn.rank.pipeline.bordered_search`); with the factors of the
previous round kept, a round costs the Schur complement of its new rows and
columns, and the whole search about one LU of its final matrix.
"""

from __future__ import annotations

import numpy as np

from .blas import _check_p, _UpperSolver, matmul_sub, plu, to_balanced, trsm_lower_unit

__all__ = ["Bordered"]


class Bordered:
    """The LU factors of a growing square matrix whose leading blocks are
    non-singular, extended by bordering instead of factoring again.

    After :meth:`extend` with the blocks of
    ``Y' = [[Y, B], [C, D]]`` (``Y`` the matrix so far, ``n x n``, with
    ``Y[perm] = L U``): ``W = L^{-1} B[perm]``, ``Z = C U^{-1}``, the Schur
    complement ``S = D - Z W`` and ``rank Y' = n + rank S``. When ``S`` is
    non-singular the factors grow to ``L' = [[L, 0], [Z[perm_S], L_S]]``,
    ``U' = [[U, W], [0, U_S]]``; otherwise the object is *closed* (the rank
    is final; a search stops there). Work: the LU of the final matrix, once.

    :meth:`extend` takes the blocks in pieces (``B``, then rows of
    ``[C | D]`` as they are evaluated), so elimination can run while the
    next rows are computed.

    Parameters
    ----------
    p : int
        A prime, ``7 <= p < 2**31``.

    Examples
    --------
    >>> Y = np.array([[1, 2, 0], [3, 4, 1], [5, 6, 3]])
    >>> b = Bordered(101)
    >>> b.extend(np.zeros((0, 2)), [Y[:2, :2]])     # 0 x 0 -> the leading 2 x 2 block
    2
    >>> b.extend(Y[:2, 2:], [Y[2:]])                 # border it to 3 x 3
    3
    """

    def __init__(self, p: int):
        self.p = _check_p(p)
        self.n = 0
        self.perm = np.zeros(0, dtype=np.int64)
        self.L = np.zeros((0, 0))
        self.U = np.zeros((0, 0))
        self.rank = 0
        self.closed = False
        self._solve_u = None        # C -> C U^{-1}, prepared once per U

    def start(self, B) -> np.ndarray:
        """``W = L^{-1} B[perm]`` for the new columns ``B`` (``n x m``) of the
        old rows."""
        if self.closed:
            raise RuntimeError("this factorization is closed (a singular border)")
        Bb = to_balanced(np.asarray(B), self.p)
        return trsm_lower_unit(self.L, Bb[self.perm], self.p)

    def schur_rows(self, rows, W: np.ndarray) -> np.ndarray:
        """Rows of ``S = D - C U^{-1} W`` for new rows ``[C | D]``; also
        returns ``Z = C U^{-1}`` for them: ``(S_rows, Z_rows)``."""
        return self.schur_function(W)(rows)

    def schur_function(self, W: np.ndarray):
        """:meth:`schur_rows` for this round's ``W``, as a function of the
        rows alone that holds the current factors: safe to call from another
        thread while this object grows (the search's helper thread computes
        some rows' Schur complement beside the elimination)."""
        n, p = self.n, self.p
        solve = None
        if n:
            if self._solve_u is None:
                self._solve_u = _UpperSolver(self.U, p)
            solve = self._solve_u

        def schur(rows):
            R = to_balanced(np.asarray(rows), p)
            C, D = R[:, :n], R[:, n:]
            Z = solve(C) if n else C
            return matmul_sub(D, Z, W, p), Z

        return schur

    def finish(self, W: np.ndarray, S: np.ndarray, Z: np.ndarray, *,
               keep: bool = True) -> int:
        """Factor ``S`` and grow the factors (when non-singular and ``keep``);
        returns the rank of the bordered matrix."""
        if self.closed:
            raise RuntimeError("this factorization is closed (a singular border)")
        m = S.shape[0]
        k, Ps, Ls, Us = plu(S, self.p, want_u=keep)
        self.rank = self.n + k
        if k < m or not keep:
            self.closed = True
            self.L = self.U = self._solve_u = None
            return self.rank
        n = self.n
        L = np.zeros((n + m, n + m))
        L[:n, :n] = self.L
        L[n:, :n] = Z[Ps]
        L[n:, n:] = Ls
        U = np.zeros((n + m, n + m))
        U[:n, :n] = self.U
        U[:n, n:] = W
        U[n:, n:] = Us
        self.L, self.U = L, U
        self._solve_u = None
        self.perm = np.concatenate([self.perm, n + Ps])
        self.n = n + m
        return self.rank

    def extend(self, B, row_blocks, *, keep: bool = True) -> int:
        """Border with ``B`` (old rows, new columns) and the new rows
        ``[C | D]`` given as an iterable of row blocks; the new rank."""
        W = self.start(B)
        parts = [self.schur_rows(r, W) for r in row_blocks]
        S = np.concatenate([s for s, _ in parts]) if parts else np.zeros((0, W.shape[1]))
        Z = np.concatenate([z for _, z in parts]) if parts else np.zeros((0, self.n))
        return self.finish(W, S, Z, keep=keep)
