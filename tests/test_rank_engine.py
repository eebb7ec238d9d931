"""The BLAS elimination (tnrnn.rank.blas) and the bordered, overlapped search
(tnrnn.rank.pipeline) against independent ground truth: FLINT's nmod_mat
rank, exact integer products, and the plain search's ranks and certificates."""

from __future__ import annotations

import numpy as np
import pytest

from tnrnn.circuit import RAC
from tnrnn.errors import SpecError
from tnrnn.partition import odd_even, start_end
from tnrnn.rank import check_certificate, separation_rank
from tnrnn.rank import blas as B
from tnrnn.rank.bordered import Bordered
from tnrnn.rank.pipeline import blas_threads, bordered_search, choose_engine
from tnrnn.rank.rounds import modp_params

flint = pytest.importorskip("flint")

PRIMES = [7, 101, 65537, 8_388_593, 67_108_859, 2_147_483_647]


def flint_rank(Y, p):
    Y = np.mod(np.asarray(Y, dtype=object), p)
    return flint.nmod_mat(Y.shape[0], Y.shape[1], [int(v) for v in Y.ravel()], p).rank()


def mulmod(A, C, p):
    """A @ C mod p in exact int64 arithmetic (entries in [0, p), p < 2**31, at
    most 2**15 inner indices): C split into 16-bit halves keeps every sum of
    products below 2**15 * 2**31 * 2**16 = 2**62. Fast where object arithmetic
    is cubic in Python (3-5 s at 300 x 299 x 300); checked against it below."""
    A, C = np.asarray(A, dtype=np.int64), np.asarray(C, dtype=np.int64)
    assert A.shape[1] <= 2 ** 15 and p < 2 ** 31
    assert A.min(initial=0) >= 0 and C.min(initial=0) >= 0
    lo, hi = (A @ (C & 0xFFFF)) % p, (A @ (C >> 16)) % p
    return (hi * 2 ** 16 + lo) % p


def low_rank(rng, m, n, r, p):
    A = rng.integers(0, p, (m, r))
    C = rng.integers(0, p, (r, n))
    return mulmod(A, C, p)


def exact(X):
    return np.asarray(X).astype(np.int64).astype(object)


def test_mulmod_helper_equals_object_arithmetic():
    rng = np.random.default_rng(0)
    for p in (7, 2_147_483_647):
        A = rng.integers(0, p, (9, 40))
        C = rng.integers(0, p, (40, 11))
        A[0], C[:, 0] = p - 1, p - 1                 # the extremes
        assert (mulmod(A, C, p) == (exact(A) @ exact(C)) % p).all()


@pytest.mark.parametrize("p", PRIMES)
def test_block_size_is_exact_by_the_bound(p):
    H = (p - 1) // 2 + 3
    k = B.block_size(p)
    # split: C - G_lo - 2**16 (G_hi mod p) with |C|, |G_hi mod p| <= H
    base, per_term = (H * (1 + 2 ** 16), H * 2 ** 15) if B.split_mode(p) else (H, H * H)
    assert base + k * per_term <= 2 ** 53 - p < base + (k + 1) * per_term
    assert k >= B.MIN_DIRECT_BLOCK or B.split_mode(p)


@pytest.mark.parametrize("p", PRIMES)
def test_matmul_sub_is_exact_at_the_extremes(p):
    rng = np.random.default_rng(p)
    k = min(3 * B.block_size(p) + 5, 3000)   # several blocks of inner indices (large p)
    h = (p - 1) // 2
    # entries at the balanced extremes +-(p-1)/2 and near p - 1
    A = rng.choice([h, -h, h - 1, -1, 1], size=(4, k)).astype(np.float64)
    Bm = rng.choice([h, -h, -h + 1, -1], size=(k, 3)).astype(np.float64)
    C = rng.choice([h, -h, 0], size=(4, 3)).astype(np.float64)
    want = (exact(C) - exact(A) @ exact(Bm)) % p
    got = B.matmul_sub(C.copy(), A, Bm, p)
    assert np.abs(got).max() <= h + 3
    assert (np.mod(exact(got), p) == want).all()


@pytest.mark.parametrize("p", PRIMES)
def test_reduce_balanced_near_two_to_the_53(p):
    xs = np.array([2 ** 53 - p, -(2 ** 53 - p), 2 ** 52 + 12345, p * 1000 + (p - 1),
                   -(p - 1), p, 0], dtype=np.float64)
    want = [int(x) % p for x in xs]
    r = B.reduce_balanced(xs.copy(), p)
    assert np.abs(r).max() <= (p - 1) // 2 + 3
    assert [int(v) % p for v in r] == want


@pytest.mark.parametrize("p", [101, 65537, 8_388_593, 2_147_483_647])
@pytest.mark.parametrize("shape,r", [((60, 60), 60), ((110, 150), 90), ((130, 200), 77),
                                     ((300, 300), 299), ((97, 97), 0), ((5, 400), 5)])
def test_rank_and_plu_against_flint(p, shape, r):
    rng = np.random.default_rng(shape[0] * 7 + r)
    Y = low_rank(rng, *shape, r, p) if r else np.zeros(shape, dtype=np.int64)
    assert B.rank_blas(Y, p) == flint_rank(Y, p) == r
    if shape[0] * shape[1] > 30000:
        return                                     # plu is checked on the smaller shapes
    k, perm, L, U = B.plu(B.to_balanced(Y, p), p)
    assert k == r and sorted(perm) == list(range(shape[0]))
    residues = [np.mod(np.asarray(X).astype(np.int64), p) for X in (L, U, Y[perm])]
    assert (mulmod(residues[0], residues[1], p) == residues[2]).all()
    assert (np.triu(exact(L[:k]), 1) == 0).all() and (np.diag(L[:k]) == 1).all()


def test_adversarial_pivots_and_vanishing_rows():
    p = 2_147_483_647
    rng = np.random.default_rng(1)
    n = 150
    Y = rng.integers(0, p, (n, n))
    # a pivot that is 0 mod p but not over the integers, in the first column
    Y[:, 0] = 0
    Y[5, 0] = p                                    # = 0 mod p
    Y[9, 0] = 3
    # rows that vanish only after reduction: combinations of earlier rows
    Y[20] = (2 * Y[1] + 5 * Y[2]) % p
    Y[21] = (Y[3] * (p - 1)) % p                   # -Y[3]: entries near p - 1
    Y[100:110] = (Y[30:40] * 7 + Y[40:50]) % p     # a block vanishing in a later panel
    # a column that vanishes after the first panel (a multiple of column 1)
    Y[:, 70] = (Y[:, 1] * (p - 2)) % p
    want = flint_rank(Y, p)
    assert B.rank_blas(Y, p) == want
    assert B.rank_blas(Y.T.copy(), p) == want
    assert B.rank_blas(Y + p, p) == want           # unreduced entries


@pytest.mark.parametrize("p", [8_388_593, 2_147_483_647])
def test_panels_without_flint_agree(monkeypatch, p):
    rng = np.random.default_rng(2)
    Y = low_rank(rng, 180, 170, 111, p)
    from tnrnn.rank import _lu

    monkeypatch.setattr(_lu, "_panel_flint", lambda A, p: None)
    assert B.rank_blas(Y, p) == flint_rank(Y, p) == 111


def test_entries_near_p_minus_1():
    p = 8_388_593
    Y = np.full((120, 120), p - 1, dtype=np.int64)
    Y[np.arange(120), np.arange(120)] = p - 2      # -I - J: rank 120 unless 121 = 0
    assert B.rank_blas(Y, p) == flint_rank(Y, p) == 120


def test_bordered_equals_full_rank_and_closes_on_a_singular_border():
    p = 2_147_483_647
    rng = np.random.default_rng(3)
    Y = rng.integers(0, p, (300, 300))
    b = Bordered(p)
    for a, n in ((0, 64), (64, 128), (128, 300)):
        rows = [Y[i:min(n, i + 50), :n] for i in range(a, n, 50)]
        assert b.extend(Y[:a, a:n], rows) == n
    Z = low_rank(rng, 200, 200, 150, p)
    b = Bordered(p)
    assert b.extend(np.zeros((0, 100)), [Z[:100, :100]]) == 100
    assert b.extend(Z[:100, 100:], [Z[100:]]) == 150 == flint_rank(Z, p)
    assert b.closed
    with pytest.raises(RuntimeError, match="closed"):
        b.extend(Z[:, :0], [])


def test_blas_refuses_a_large_prime():
    with pytest.raises(SpecError, match=r"prime in \[7, 2\*\*31\)"):
        Bordered(2 ** 31 + 11)


def test_blas_threads_restores():
    from tnrnn.rank.blas import _openblas

    lib = _openblas()
    if lib is None:
        pytest.skip("numpy does not use OpenBLAS here")
    before = lib[1]()
    with blas_threads(1):
        assert lib[1]() == 1
    assert lib[1]() == before


def test_choose_engine_by_size():
    from tnrnn.rank.pipeline import BLAS_FROM

    assert choose_engine(2_147_483_647, BLAS_FROM)["engine"] == "blas"
    assert choose_engine(2_147_483_647, BLAS_FROM - 1)["engine"] == "flint"
    assert choose_engine(2_147_483_647, 100, "blas")["engine"] == "blas"


# ------------------------------------------------------------- the search
CASES = [(RAC(1, 3, 3, 8), "= 3 (certain: equals the proven upper bound)"),
         (RAC(2, 3, 3, 8), "= 45 (certain: equals the proven upper bound)"),
         (RAC(3, 3, 3, 6), "= 759 (failure probability <= 9e-9)"),
         (RAC(3, 2, 2, 12), "= 304 (failure probability <= 4e-8)")]


@pytest.mark.parametrize("spec,claim", [
    *CASES[:2], pytest.param(*CASES[2], marks=pytest.mark.slow), CASES[3]])
def test_search_with_blas_equals_flint(spec, claim):
    a = separation_rank(spec, rank_method="flint")
    b = separation_rank(spec, rank_method="blas")
    assert a.claim() == b.claim() == claim
    assert b.method == "modp-blas" and b.certificate["method"] == "blas"
    ca, cb = dict(a.certificate), dict(b.certificate)
    ca.pop("method"), cb.pop("method")
    assert ca == cb
    # re-checkable with its own engine and with FLINT's
    assert check_certificate(b.certificate).rank == b.rank
    assert check_certificate(b.certificate, rank_method="flint").rank == b.rank
    assert check_certificate(a.certificate, rank_method="blas").rank == a.rank


def test_search_with_growth_rounds_equals_flint():
    spec = RAC(2, 5, 5, 12)                        # schedule 64, 128, 256, 512, 1050
    a = separation_rank(spec, rank_method="flint")
    b = separation_rank(spec, rank_method="blas")
    assert (a.rank, a.samples, a.rounds, a.claim()) == (b.rank, b.samples, b.rounds,
                                                       b.claim())
    assert b.rounds == 5 and b.claim() == "= 1050 (certain: equals the proven upper bound)"


def test_bordered_search_overlap_equals_serial_and_odd_even():
    p = 2_147_483_647
    for spec, part in ((RAC(2, 4, 4, 8), start_end(8)), (RAC(2, 3, 3, 7), odd_even(7))):
        w = modp_params(spec, p, 0, "random")
        kw = dict(chunk=37)
        x = bordered_search(spec, part, p, 0, 0, w, [32, 64, 200], 10 ** 6, **kw)
        y = bordered_search(spec, part, p, 0, 0, w, [32, 64, 200], 10 ** 6, overlap=False,
                            **kw)
        ref = separation_rank(spec, part, rank_method="flint", max_samples=200)
        assert x["rank"] == y["rank"]
        assert x["rank"] == ref.rank


def test_bordered_search_passes_evaluation_errors():
    spec = RAC(2, 3, 3, 8)
    w = modp_params(spec, 101, 0, "random")

    def broken(*args, **kwargs):
        raise ValueError("evaluation failed")

    with pytest.raises(ValueError, match="evaluation failed"):
        bordered_search(spec, start_end(8), 2_147_483_647, 0, 0, w, [16, 32], 45,
                        evaluate=broken)


@pytest.mark.slow
def test_demo_2844_equals_flint():
    spec = RAC(3, 3, 3, 8)
    b = separation_rank(spec, rank_method="blas", max_samples=16384)
    assert b.claim() == "= 2844 (failure probability <= 8e-7)"
    assert check_certificate(b.certificate, rank_method="flint").rank == 2844


@pytest.mark.parametrize("spec, warm", [(RAC(2, 4, 4, 16), RAC(2, 4, 4, 8)),     # 660, one round
                                        (RAC(3, 3, 3, 6), RAC(3, 3, 3, 4))])    # 840 and a repetition
def test_blas_memory_estimate_bounds_the_measured_peak(spec, warm):
    """The up-front estimate of the BLAS search (what max_memory is compared
    with) bounds the peak of the arrays it allocates, measured by
    tracemalloc, within a factor 3 (benchmarks/results/rank-memory.md: 1.5-2.3
    at n = 660-2,176)."""
    import tracemalloc

    from tnrnn.rank import estimate_round, sample_cap, sample_schedule
    from tnrnn.rank.separation import DEFAULT_MAX_SAMPLES

    part = start_end(spec.length)
    separation_rank(warm, rank_method="blas")  # numba's compilation is not the search's
    tracemalloc.start()
    try:
        res = separation_rank(spec, rank_method="blas")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.method == "modp-blas"
    full = sample_schedule(sample_cap(spec, part), DEFAULT_MAX_SAMPLES)
    sizes = [n for n in full if n <= res.samples[0]]
    sizes += [rep["n_A"] for rep in res.certificate.get("repetitions", [])]
    est = max(estimate_round(spec, part, n, n, engine="blas", keep=n != full[-1])["bytes"]
              for n in sizes)
    assert peak <= est <= 3 * peak, (peak, est)


def test_blas_elimination_factors_bound_each_round():
    """The factors of the BLAS estimate (peak bytes of one round in units of
    8 n^2: 7 for a round that keeps its factors, 5 for the last) bound each
    round of a bordered elimination measured alone with tracemalloc, within
    2x; the 16 bytes an entry of the FLINT estimate would not (4.5-6 here)."""
    import tracemalloc

    from tnrnn.rank.checks import _BLAS_KEEP, _BLAS_LAST

    p = 2_147_483_647
    sched = [256, 512, 1024]
    Y = np.random.default_rng(0).integers(0, p, size=(sched[-1], sched[-1]))
    b, a, ratios, peaks = Bordered(p), 0, [], []
    tracemalloc.start()
    try:
        for k, n in enumerate(sched):
            keep = k < len(sched) - 1
            tracemalloc.reset_peak()
            rows = [Y[i:min(n, i + 512), :n] for i in range(a, n, 512)]
            assert b.extend(Y[:a, a:n], rows, keep=keep) == n
            peak = tracemalloc.get_traced_memory()[1]
            peaks.append(peak)
            ratios.append(8 * (_BLAS_KEEP if keep else _BLAS_LAST) * n * n / peak)
            a = n
    finally:
        tracemalloc.stop()
    assert all(1 <= r <= 2 for r in ratios), ratios
    assert all(16 * n * n < peak for n, peak in zip(sched, peaks)), peaks
