"""The work sharing of the bordered search and the pieces it relies on
(tnrnn.rank.blas small inverses and prepared upper solves, tnrnn.rank.pipeline
helper Schur rows and repetition schedules), against independent ground
truth: exact integer products, FLINT's nmod_mat rank, the serial search."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tnrnn.circuit import RAC
from tnrnn.partition import start_end
from tnrnn.rank import _lu
from tnrnn.rank import blas as B
from tnrnn.rank.pipeline import bordered_search, repetition_rank
from tnrnn.rank.rounds import certified_sample_rank, modp_params

flint = pytest.importorskip("flint")

P = 2_147_483_647


def exact(X, p):
    return np.mod(np.asarray(X).astype(np.int64).astype(object), p)


def flint_rank(Y, p):
    Y = np.mod(np.asarray(Y, dtype=object), p)
    return flint.nmod_mat(Y.shape[0], Y.shape[1], [int(v) for v in Y.ravel()], p).rank()


@pytest.mark.parametrize("p", [101, 8_388_593, P])
@pytest.mark.parametrize("use_flint", [True, False])
def test_small_negated_inverse_is_exact(monkeypatch, p, use_flint):
    if not use_flint:
        monkeypatch.setattr(_lu, "flint_available", lambda: False)
    rng = np.random.default_rng(p)
    L = B.to_balanced(rng.integers(0, p, (48, 48)), p)   # only the strict lower part counts
    N = B._neg_inverse_lower_unit(L, p)
    assert np.abs(N).max() <= (p - 1) // 2 + 3
    Lu = np.tril(exact(L, p), -1) + np.eye(48, dtype=np.int64).astype(object)
    assert ((Lu @ exact(N, p)) % p == (-np.eye(48, dtype=np.int64)) % p).all()


def test_prepared_upper_solver_is_exact_and_reusable():
    rng = np.random.default_rng(5)
    k = 150                                       # recursion below the 48-wide leaves
    U = np.triu(rng.integers(0, P, (k, k)))
    U[np.arange(k), np.arange(k)] = rng.integers(1, P, k)
    solve = B._UpperSolver(B.to_balanced(U, P), P)
    for m in (7, 64):                             # second call reuses the cached inverses
        C = rng.integers(0, P, (m, k))
        Z = solve(B.to_balanced(C, P))
        assert np.abs(Z).max() <= (P - 1) // 2 + 3
        assert ((exact(Z, P) @ exact(U, P)) % P == exact(C, P)).all()
    assert solve.cache                            # the leaf inverses were kept


def test_matmul_sub_split_without_c_over_many_blocks():
    rng = np.random.default_rng(9)
    h = (P - 1) // 2
    k = 4 * B.block_size(P) + 3
    A = rng.choice([h, -h, 1, -1], size=(3, k)).astype(np.float64)
    Bm = rng.choice([h, -h, -h + 1], size=(k, 5)).astype(np.float64)
    got = B.matmul_sub(None, A, Bm, P)
    assert np.abs(got).max() <= h + 3
    assert (exact(got, P) == (-(exact(A, P) @ exact(Bm, P))) % P).all()


def test_helper_computes_schur_rows_when_the_eliminating_thread_lags():
    spec, part = RAC(2, 4, 4, 8), start_end(8)
    w = modp_params(spec, P, 0, "random")

    def slow(stage, done, total):                  # this thread falls behind the helper
        if stage == "evaluate":
            time.sleep(0.03)

    x = bordered_search(spec, part, P, 0, 0, w, [24, 48, 200], 10 ** 6, chunk=16,
                        report=slow)
    y = bordered_search(spec, part, P, 0, 0, w, [24, 48, 200], 10 ** 6, chunk=16,
                        overlap=False)
    assert x["helper_schur_s"] > 0 and y["helper_schur_s"] == 0
    assert (x["rank"], x["samples"], x["rounds"]) == (y["rank"], y["samples"], y["rounds"])
    assert x["rank"] == certified_sample_rank(spec, part, "continuous", P, 0, 0, "random",
                                              x["samples"], x["samples"], "flint")[0]


@pytest.mark.parametrize("schedule", [None, [8, 16, 32], [64, 120]])
def test_repetition_rank_along_a_schedule(schedule):
    # generic rank 52 < 64: with [64, 120] the leading block is singular and the
    # whole matrix is ranked again; the rank is that of the plain evaluation
    spec, part, p, s = RAC(3, 2, 2, 6), start_end(6), 2_147_483_629, 1
    w = modp_params(spec, p, s)
    r, _, _ = repetition_rank(spec, part, p, s, 0, w, 120, schedule=schedule)
    want = certified_sample_rank(spec, part, "continuous", p, s, 0, "random", 120, 120,
                                 "flint")[0]
    assert r == want == 52


@pytest.mark.parametrize("with_c", [True, False])
def test_compiled_fold_is_exact_at_the_extremes(monkeypatch, with_c):
    # large enough for the numba kernels; checked against exact integers on a
    # sample of entries and against the numpy passes everywhere
    pytest.importorskip("numba")            # imported: the kernels are used from now on
    assert B._kernels() is not None
    rng = np.random.default_rng(11)
    h = (P - 1) // 2
    m, n, k = 130, 128, 2 * B.block_size(P) + 7
    assert m * n >= B._KERNEL_FROM
    A = rng.choice([h, -h, h - 1, -1, 1], size=(m, k)).astype(np.float64)
    Bm = rng.choice([h, -h, -h + 1, -1, 32768, -32768], size=(k, n)).astype(np.float64)
    C = rng.choice([h, -h, 0], size=(m, n)).astype(np.float64) if with_c else None
    got = B.matmul_sub(None if C is None else C.copy(), A, Bm, P)
    assert np.abs(got).max() <= h + 3
    for i, j in zip(rng.integers(0, m, 100), rng.integers(0, n, 100)):
        want = -sum(int(a) * int(b) for a, b in zip(A[i], Bm[:, j]))
        if C is not None:
            want += int(C[i, j])
        assert int(got[i, j]) % P == want % P
    monkeypatch.setattr(B, "_KERNEL_FROM", 1 << 62)               # numpy passes only
    ref = B.matmul_sub(None if C is None else C.copy(), A, Bm, P)
    assert (np.mod(got, P) == np.mod(ref, P)).all()


def test_eliminating_thread_evaluates_while_the_helper_lags():
    import threading

    from tnrnn.rank.sampling import sample_matrix

    spec, part = RAC(2, 4, 4, 8), start_end(8)
    w = modp_params(spec, P, 0, "random")

    def slow_helper(*args, **kwargs):           # the helper thread falls behind
        if threading.current_thread().name == "tnrnn-evaluate":
            time.sleep(0.05)
        return sample_matrix(*args, **kwargs)

    x = bordered_search(spec, part, P, 0, 0, w, [24, 48, 200], 10 ** 6, chunk=16,
                        evaluate=slow_helper, help_evaluate=True)
    hook = bordered_search(spec, part, P, 0, 0, w, [24, 48], 10 ** 6, chunk=16,
                           evaluate=slow_helper)      # a hook: called from one thread only
    assert hook["main_evaluate_s"] == 0
    y = bordered_search(spec, part, P, 0, 0, w, [24, 48, 200], 10 ** 6, chunk=16,
                        overlap=False)
    assert x["main_evaluate_s"] > 0
    assert (x["rank"], x["samples"], x["rounds"]) == (y["rank"], y["samples"], y["rounds"])
