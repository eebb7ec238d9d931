"""Certified separation ranks (tnrnn.rank): exact evaluation mod p, sample
matrices, rank routines, the adaptive search, certificates.

Ground truths used here are independent of the code under test:
``tnrnn.circuit.evaluate`` on object arrays of Python ints (step-by-step,
arbitrary precision), sympy polynomial expansion for coefficient matrices,
and the published check values of docs/theory.md section 5.
"""
import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from check_values import CHECK_VALUES

from tnrnn.circuit import (DEFAULT_PRIME, RAC, TTRNN, evaluate, init_params_modp,
                           one_hot)
from tnrnn.errors import (CertificateError, PartitionError, SpecError, TnrnnError,
                          TooLargeError)
from tnrnn.partition import explicit, odd_even, parse_partition, start_end
from tnrnn.rank import (RANK_ROUTINES, RankResult, check_certificate, check_prime,
                        evaluate_modp, get_rank_routine, is_prime, matmul_mod,
                        merge_halves, modp_params, mul_mod, one_hot_halves,
                        random_halves, rank_flint, rank_modp, rank_numpy,
                        resolve_rank_routine, sample_cap, sample_matrix,
                        separation_rank)

P = DEFAULT_PRIME


def obj(a):
    """An object array of Python ints (exact arithmetic)."""
    return np.asarray(a).astype(object)


def obj_params(params):
    """The same parameters as object arrays, so that the reference evaluator
    never multiplies two int64 arrays (which could overflow)."""
    return type(params)(*[tuple(obj(a) for a in v) if isinstance(v, tuple) else obj(v)
                          for v in params])


# ----------------------------------------------------------- exact kernels
def test_matmul_mod_worst_case_values_and_long_sums():
    # All entries p - 1, inner dimensions around the exact float block (32).
    for K in (1, 31, 32, 33, 64, 65, 200):
        S = np.full((3, K), P - 1, dtype=np.int64)
        W = np.full((K, 5), P - 1, dtype=np.int64)
        assert (matmul_mod(S, W, P) == (obj(S) @ obj(W)) % P).all()


def test_matmul_mod_random_against_python_ints():
    rng = np.random.default_rng(0)
    for p in (2, 3, 101, 65537, P):
        S = rng.integers(0, p, (7, 33))
        W = rng.integers(0, p, (33, 4))
        assert (matmul_mod(S, W, p) == (obj(S) @ obj(W)) % p).all()


def test_matmul_mod_refuses_mismatched_shapes():
    with pytest.raises(SpecError, match=r"matmul_mod needs \(n, K\) @ \(K, J\) matrices; got shapes \(2, 3\) and \(4, 1\)"):
        matmul_mod(np.ones((2, 3), dtype=int), np.ones((4, 1), dtype=int), P)


def test_mul_mod_extremes():
    a = np.array([P - 1, P - 2, 0, 1])
    assert mul_mod(a.copy(), a, P).tolist() == [int(v) * int(v) % P for v in a]


@pytest.mark.parametrize("spec", [
    RAC(1, 3, 2, 5), RAC(2, 3, 4, 6, outputs=2), RAC(3, 2, 3, 5), RAC(4, 3, 2, 4),
    TTRNN(3, 2, 5, outputs=2), TTRNN(9, 8, 3),          # R*M = 72 > 32: blocked sums
    RAC(2, 40, 3, 3),                                   # R = 40 > 32: blocked sums
])
@pytest.mark.parametrize("prime", [101, P])
def test_evaluate_modp_matches_python_int_evaluation(spec, prime):
    params = init_params_modp(spec, prime, seed=3)
    rng = np.random.default_rng(4)
    X = rng.integers(0, prime, (6, spec.length, spec.input_dim))
    X[0] = prime - 1                                    # largest residues
    ref = evaluate(spec, obj_params(params), obj(X), modulus=prime)
    got = evaluate_modp(spec, params, X, prime)
    assert got.dtype == np.int64
    assert (got == ref).all()


def test_evaluate_modp_reduces_negative_integers():
    spec = RAC(2, 2, 2, 3)
    params = init_params_modp(spec, 101, seed=0)
    params = params._replace(W_O=params.W_O - 500)
    X = np.array([[[-3, 7], [2, -1], [0, 5]]])
    assert (evaluate_modp(spec, params, X, 101)
            == evaluate(spec, obj_params(params), obj(X), modulus=101)).all()


def test_evaluate_modp_refuses_floats():
    spec = RAC(1, 2, 2, 2)
    params = init_params_modp(spec, 101)
    with pytest.raises(SpecError, match="exact evaluation needs integer inputs; got dtype float64"):
        evaluate_modp(spec, params, np.zeros((1, 2, 2)), 101)
    bad = params._replace(W_O=params.W_O.astype(float))
    with pytest.raises(SpecError, match="exact evaluation needs integer parameters; got dtype float64"):
        evaluate_modp(spec, bad, np.zeros((1, 2, 2), dtype=int), 101)


def test_is_prime_and_check_prime():
    small = [n for n in range(200) if is_prime(n)]
    assert small == [n for n in range(200) if n > 1 and all(n % d for d in range(2, n))]
    assert is_prime(P) and not is_prime(P - 2) and is_prime(2_147_483_629)
    with pytest.raises(SpecError, match=r"prime must be a prime number in \[2, 2\*\*31\); got 91, which is not prime"):
        check_prime(91)
    with pytest.raises(SpecError, match=r"so that a product of two residues fits in int64; got 2147483659"):
        check_prime(2_147_483_659)
    with pytest.raises(SpecError, match=r"prime must be an integer >= 2; got 1"):
        check_prime(1)
    with pytest.raises(SpecError, match=r"prime must be an integer >= 2; got 7.0"):
        check_prime(7.0)


# ---------------------------------------------------------- sample matrices
PARTITION_CASES = [
    (RAC(1, 3, 2, 6), "start-end"),      # depth 1: one matrix product
    (RAC(2, 3, 2, 6), "start-end"),      # layer 1 folded into transfers
    (RAC(3, 2, 3, 6), "start-end"),
    (RAC(2, 3, 2, 6), "A:1,2"),          # prefix | suffix, not the middle
    (RAC(2, 3, 2, 6), "A:4,5,6"),        # B holds step 1: computed transposed
    (RAC(2, 3, 2, 5), "odd-even"),       # general partition
    (RAC(3, 2, 2, 6), "A:1,2,5"),
    (TTRNN(3, 2, 6, outputs=2), "start-end"),
    (TTRNN(3, 2, 5), "A:2,3"),
    (RAC(2, 33, 2, 4), "start-end"),     # R > 32: blocked sums in every kernel
    (RAC(3, 33, 2, 4), "odd-even"),
    (TTRNN(6, 6, 4), "A:1,3"),           # R*M = 36 > 32
]


@pytest.mark.parametrize("spec,part", PARTITION_CASES)
def test_sample_matrix_matches_merged_sequences(spec, part):
    part = parse_partition(part, spec.length)
    params = modp_params(spec, P, seed=2)
    XA = random_halves(2, "A", 0, 5, len(part.A), spec.input_dim)
    XB = random_halves(2, "B", 0, 4, len(part.B), spec.input_dim)
    output = spec.outputs - 1
    Y = sample_matrix(spec, params, part, XA, XB, output=output)
    full = merge_halves(part, XA[:, None], XB[None, :]).reshape(20, spec.length, -1)
    ref = evaluate(spec, obj_params(params), obj(full), modulus=P)[:, output]
    assert Y.shape == (5, 4)
    assert (Y.ravel() == ref).all()


def test_sample_matrix_tiles_and_threads_do_not_change_the_result(monkeypatch):
    import tnrnn.rank.sampling as sampling

    spec, part = RAC(2, 3, 3, 6), start_end(6)
    params = modp_params(spec, P, seed=0)
    XA = random_halves(0, "A", 0, 40, 3, 3)
    XB = random_halves(0, "B", 0, 30, 3, 3)
    Y = sample_matrix(spec, params, part, XA, XB)
    monkeypatch.setattr(sampling, "TILE_PAIRS", 7)       # many ragged tiles
    assert (sample_matrix(spec, params, part, XA, XB, workers=2) == Y).all()
    Yg = sample_matrix(spec, params, odd_even(6), XA, XB, workers=3)
    monkeypatch.setattr(sampling, "TILE_PAIRS", 8192)
    assert (sample_matrix(spec, params, odd_even(6), XA, XB) == Yg).all()


def test_sample_matrix_progress_reaches_total():
    calls = []
    spec = RAC(2, 2, 2, 4)
    sample_matrix(spec, modp_params(spec), start_end(4), random_halves(0, "A", 0, 6, 2, 2),
                  random_halves(0, "B", 0, 5, 2, 2), progress=lambda *a: calls.append(a))
    assert calls and calls[-1] == ("evaluate", 30, 30)


def test_sample_matrix_validation():
    spec = RAC(2, 2, 2, 4)
    params = modp_params(spec)
    XA = random_halves(0, "A", 0, 3, 2, 2)
    with pytest.raises(SpecError, match=r"XB must have shape \(N, 2, 2\); got \(3, 3, 2\)"):
        sample_matrix(spec, params, start_end(4), XA, random_halves(0, "B", 0, 3, 3, 2))
    with pytest.raises(SpecError, match="the partition covers 6 steps but the spec has length T=4"):
        sample_matrix(spec, params, start_end(6), XA, XA)
    with pytest.raises(SpecError, match=r"output must be an integer in \[0, 1\); got 1"):
        sample_matrix(spec, params, start_end(4), XA, XA, output=1)
    with pytest.raises(SpecError, match="workers must be an integer >= 1; got 0"):
        sample_matrix(spec, params, start_end(4), XA, XA, workers=0)
    assert sample_matrix(spec, params, start_end(4), XA[:0], XA).shape == (0, 3)


def test_random_halves_are_stable_prefixes_and_one_hot_is_complete():
    a = random_halves(5, "B", 0, 130, 2, 3)
    assert (random_halves(5, "B", 64, 70, 2, 3) == a[64:70]).all()
    assert not (random_halves(5, "A", 0, 130, 2, 3) == a).all()
    assert a.min() >= 0 and a.max() < P
    oh = one_hot_halves(3, 2)
    assert oh.shape == (8, 3, 2) and (oh.sum(axis=2) == 1).all()
    assert len({tuple(r.argmax(axis=1)) for r in oh}) == 8
    with pytest.raises(TooLargeError, match=r"needs 3\^5 = 243 halves; the limit is 100"):
        one_hot_halves(5, 3, limit=100)


# ------------------------------------------------------------ rank routines
def _low_rank(rng, n, m, r, p):
    A = rng.integers(0, p, (n, r))
    B = rng.integers(0, p, (r, m))
    return ((obj(A) @ obj(B)) % p).astype(np.int64)


@pytest.mark.parametrize("p", [2, 3, 101, P])
def test_rank_routines_agree_on_random_and_deficient_matrices(p):
    rng = np.random.default_rng(p % 1000)
    cases = [rng.integers(0, p, (n, m)) for n, m in [(1, 1), (5, 9), (9, 5), (30, 30)]]
    cases += [_low_rank(rng, n, m, r, p) for n, m, r in [(20, 20, 7), (25, 12, 5), (12, 40, 11)]]
    cases += [np.zeros((4, 6), dtype=np.int64), np.eye(6, dtype=np.int64)]
    for Y in cases:
        assert rank_numpy(Y, p) == rank_flint(Y, p)
    if p == P:  # generic low-rank products have exactly their inner rank
        assert rank_numpy(cases[4], p) == 7 and rank_flint(cases[5], p) == 5


def test_rank_routines_known_values_and_registry():
    Y = np.array([[1, 2], [3, 4]])                         # det -2
    assert rank_numpy(Y, 2) == rank_flint(Y, 2) == 1
    assert rank_numpy(Y, 3) == rank_flint(Y, 3) == 2
    assert rank_modp(obj([[10**30, 1], [0, 0]]), 7) == 1  # Python ints reduced first
    assert rank_numpy(np.zeros((0, 3), dtype=int), 5) == rank_flint(np.zeros((3, 0), dtype=int), 5) == 0
    assert set(RANK_ROUTINES) == {"flint", "numpy", "blas"}
    assert get_rank_routine("numpy") is rank_numpy
    assert resolve_rank_routine("auto") == "flint"
    with pytest.raises(SpecError, match=r"unknown rank routine 'gauss'; valid names: 'auto', 'flint', 'numpy', 'blas'"):
        get_rank_routine("gauss")
    with pytest.raises(SpecError, match=r"a rank needs a 2-D matrix; got an array of shape \(3,\)"):
        rank_numpy(np.arange(3), 5)
    with pytest.raises(SpecError, match="a rank mod p needs an integer matrix; got dtype float64"):
        rank_flint(np.ones((2, 2)), 5)


def test_missing_flint_falls_back_to_numpy(monkeypatch):
    from tnrnn.errors import MissingDependencyError

    cert = separation_rank(RAC(2, 2, 2, 6)).certificate
    monkeypatch.setitem(sys.modules, "flint", None)        # import flint -> ImportError
    assert resolve_rank_routine("auto") == "numpy"
    with pytest.raises(MissingDependencyError, match="rank routine 'flint' needs python-flint"):
        resolve_rank_routine("flint")
    with pytest.raises(MissingDependencyError, match="rank routine 'flint' needs python-flint"):
        rank_flint(np.eye(2, dtype=int), 5)
    res = separation_rank(RAC(2, 2, 2, 6))
    assert res.method == "modp-numpy" and res.rank == 8
    again = check_certificate(cert)                        # states method 'flint'
    assert again.rank == 8 and again.method == "modp-numpy"


# --------------------------------- sampled rank vs independent ground truth
def _coefficient_rank(spec, part, params, p):
    """Rank mod p of the full coefficient matrix of y (rows: monomials in the
    A-inputs, columns: monomials in the B-inputs), expanded with sympy."""
    import sympy

    T, M = spec.length, spec.input_dim
    xs = [[sympy.Symbol(f"x{t}_{d}") for d in range(M)] for t in range(1, T + 1)]
    gens = [v for row in xs for v in row]

    def const(c):
        return sympy.Poly(int(c), *gens, modulus=p)

    def lin(W, vec):  # W @ vec for a vector of Polys
        return [sum((const(W[j, i]) * vec[i] for i in range(len(vec))), const(0))
                for j in range(W.shape[0])]

    xvec = [[sympy.Poly(v, *gens, modulus=p) for v in row] for row in xs]
    if isinstance(spec, TTRNN):
        h = [const(v) for v in params.h0]
        for t in range(T):
            h = [sum((const(params.G[i, d, j]) * h[i] * xvec[t][d]
                      for i in range(spec.hidden) for d in range(M)), const(0))
                 for j in range(spec.hidden)]
    else:
        seq = xvec
        for l in range(spec.depth):
            h = [const(v) for v in params.h0[l]]
            out = []
            for t in range(T):
                a, b = lin(params.W_H[l], h), lin(params.W_I[l], seq[t])
                h = [ai * bi for ai, bi in zip(a, b)]
                out.append(h)
            seq = out
    y = lin(params.W_O[:1], h)[0]
    a_idx = [(t - 1) * M + d for t in part.A for d in range(M)]
    b_idx = [(t - 1) * M + d for t in part.B for d in range(M)]
    rows, cols, entries = {}, {}, []
    for monom, coeff in y.terms():
        ra = tuple(monom[i] for i in a_idx)
        cb = tuple(monom[i] for i in b_idx)
        entries.append((rows.setdefault(ra, len(rows)), cols.setdefault(cb, len(cols)),
                        int(coeff) % p))
    C = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for i, j, c in entries:
        C[i, j] = c
    return rank_flint(C, p)


@pytest.mark.parametrize("spec,part", [
    (RAC(1, 2, 2, 4), "start-end"),
    (RAC(2, 2, 2, 4), "start-end"),
    (RAC(2, 2, 2, 6), "start-end"),
    (RAC(2, 3, 2, 4), "start-end"),
    (RAC(2, 2, 3, 4), "start-end"),
    (RAC(3, 2, 2, 4), "start-end"),
    (RAC(2, 2, 2, 5), "odd-even"),
    (RAC(2, 2, 2, 4), "A:1,3,4"),
    (TTRNN(2, 2, 4), "start-end"),
    (TTRNN(3, 2, 5), "odd-even"),
])
def test_sampled_rank_equals_full_coefficient_matrix_rank(spec, part):
    part = parse_partition(part, spec.length)
    res = separation_rank(spec, part, seed=1)
    assert res.complete
    assert res.rank == _coefficient_rank(spec, part, modp_params(spec, P, 1), P)


@pytest.mark.parametrize("spec,part", [
    (RAC(2, 2, 2, 6), "start-end"), (RAC(2, 4, 3, 4), "start-end"),
    (RAC(3, 2, 2, 6), "odd-even"), (RAC(2, 3, 2, 5), "A:2,5"), (TTRNN(3, 2, 6), "start-end"),
])
def test_one_hot_rank_equals_full_grid_rank(spec, part):
    part = parse_partition(part, spec.length)
    M, T = spec.input_dim, spec.length
    params = modp_params(spec, P, seed=4)
    seqs = np.array(list(itertools.product(range(M), repeat=T)))
    grid = evaluate(spec, obj_params(params), obj(one_hot(seqs, M, dtype=np.int64)),
                    modulus=P)[:, 0]
    tensor = grid.reshape((M,) * T)
    G = np.transpose(tensor, [t - 1 for t in part.A + part.B]).reshape(
        M ** len(part.A), M ** len(part.B))
    res = separation_rank(spec, part, inputs="one-hot", seed=4)
    assert res.samples == G.shape and res.complete
    assert res.rank == rank_flint(G.astype(np.int64), P)


@pytest.mark.parametrize("R,M,T", list(itertools.product([1, 2, 3, 5], [1, 2, 3], [2, 4, 6])))
def test_depth_one_rank_is_min_R_and_M_to_the_half(R, M, T):
    want = min(R, M ** (T // 2))
    spec = RAC(1, R, M, T)
    assert separation_rank(spec).rank == want
    assert separation_rank(spec, inputs="one-hot").rank == want


# ------------------------------------------ docs/theory.md section 5 check values
@pytest.mark.parametrize("L,R,M,T,inputs,want", CHECK_VALUES)
def test_public_check_values(L, R, M, T, inputs, want):
    res = separation_rank(RAC(L, R, M, T), inputs=inputs)
    assert res.rank == want
    assert res.complete and res.inputs == inputs


def test_depth_two_start_end_rank_660_at_T16():
    """The issue's value: depth 2, R = M = 4, T = 16 -> R * C(R + 7, 8) = 660."""
    res = separation_rank(RAC(2, 4, 4, 16))
    assert res.rank == 660 == 4 * math.comb(11, 8)
    # the rank equals the proven upper bound: a 660 x 660 matrix proves it
    assert res.samples == (660, 660) and res.upper_bound == 660
    assert res.certainty == "upper-bound" and res.failure_probability == 0.0


def test_depth_two_matches_empirical_formula_when_M_at_least_R():
    for R, M, T in [(2, 3, 6), (3, 3, 6), (3, 4, 4), (2, 2, 10)]:
        want = R * math.comb(R + T // 2 - 1, T // 2)
        assert separation_rank(RAC(2, R, M, T)).rank == want


# ------------------------------------------------------- the search itself
def test_result_fields_and_timings():
    res = separation_rank(RAC(2, 3, 3, 6), seed=7)
    assert isinstance(res, RankResult)
    assert res.method == "modp-flint" and res.exact and res.prime == P and res.seed == 7
    assert res.partition == start_end(6) and res.output == 0
    assert set(res.timings) == {"evaluate", "rank", "repetitions", "total"}
    assert res.timings["total"] >= res.timings["evaluate"] + res.timings["rank"] > 0
    assert "certain: rank >= 30" in res.describe()
    assert res.claim() == "= 30 (certain: equals the proven upper bound)"
    json.dumps(res.to_dict())
    with pytest.raises(dataclasses_frozen_error()):
        res.rank = 3


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_cap_reached_gives_a_lower_bound_only():
    res = separation_rank(RAC(2, 4, 4, 8), max_samples=50)
    assert res.rank == 50 and res.samples == (50, 50)
    assert not res.complete and res.lower_bound_only
    assert res.certainty == "lower-bound" and res.failure_probability is None
    assert res.claim() == ">= 50" and "has full rank" in res.describe()
    assert res.certificate["complete"] is False
    assert check_certificate(res.certificate).rank == 50


def test_growth_path_does_not_matter(monkeypatch):
    # Start small so that the search needs several rounds (8, 16, 32, 84);
    # the sample matrix is fixed by (seed, n_A, n_B) alone, so the result is
    # the one-round result, and a certificate (one round) re-runs it.
    import tnrnn.rank.schedule as schedule

    direct = separation_rank(RAC(2, 3, 3, 12))
    monkeypatch.setattr(schedule, "_DIRECT_CAP", 0)
    monkeypatch.setattr(schedule, "INITIAL_SAMPLES", 8)
    grown = separation_rank(RAC(2, 3, 3, 12))
    assert direct.rounds == 1 and grown.rounds == 4
    assert grown.rank == direct.rank == 84 and grown.samples == direct.samples == (84, 84)
    assert grown.certificate == direct.certificate
    assert check_certificate(grown.certificate).rank == 84


def test_numpy_routine_and_h0_ones_and_other_outputs():
    spec = RAC(2, 3, 3, 8, outputs=2)
    a = separation_rank(spec, rank_method="numpy", output=1)
    assert a.rank == 45 and a.method == "modp-numpy"
    assert separation_rank(spec, h0="ones").rank == 45
    assert separation_rank(spec, prime=65537, seed=3).rank == 45


def test_progress_callback_sees_both_stages():
    seen = []
    separation_rank(RAC(2, 3, 3, 10), progress=lambda s, d, t: seen.append((s, d, t)))
    stages = {s for s, _, _ in seen}
    assert stages == {"evaluate", "rank"}
    assert all(0 <= d <= t for _, d, t in seen)


def test_modp_params_is_seeded_and_validated():
    spec = RAC(2, 3, 2, 4)
    a, b = modp_params(spec, P, 9), modp_params(spec, P, 9)
    assert all((x == y).all() for x, y in zip(a.W_H + a.h0, b.W_H + b.h0))
    assert (modp_params(spec, P, 9, h0="ones").h0[1] == 1).all()
    with pytest.raises(SpecError, match=r"h0 must be one of 'random', 'ones'; got 'one'"):
        modp_params(spec, P, 9, h0="one")


def test_sample_cap_values():
    assert sample_cap(RAC(2, 4, 4, 16), start_end(16)) == 660
    assert sample_cap(RAC(1, 7, 2, 4), start_end(4)) == 4          # M^2 monomials
    assert sample_cap(RAC(3, 2, 2, 8), start_end(8)) == 2 * math.comb(2 + 3, 4) * math.comb(2 + 9, 10)
    assert sample_cap(TTRNN(3, 5, 6), explicit([1, 2], 6)) == 3
    assert sample_cap(RAC(2, 4, 4, 8), start_end(8), "one-hot") == 140   # U_sym < 4^4


# -------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs,exc,match", [
    ({"inputs": "grid"}, SpecError, r"inputs must be one of 'continuous', 'one-hot'; got 'grid'"),
    ({"prime": 100}, SpecError, r"got 100, which is not prime"),
    ({"prime": 2**31 + 11}, SpecError, r"prime must be a prime number in \[2, 2\*\*31\)"),
    ({"seed": -1}, SpecError, r"seed must be a non-negative integer; got -1"),
    ({"seed": 1.5}, SpecError, r"seed must be a non-negative integer; got 1.5"),
    ({"output": 1}, SpecError, r"output must be an integer in \[0, 1\) \(the spec has K=1 outputs\); got 1"),
    ({"output": True}, SpecError, r"output must be an integer in \[0, 1\)"),
    ({"max_samples": 0}, SpecError, r"max_samples must be an integer >= 1; got 0"),
    ({"h0": "zeros"}, SpecError, r"h0 must be one of 'random', 'ones'; got 'zeros'"),
    ({"rank_method": "svd"}, SpecError, r"unknown rank routine 'svd'; valid names: 'auto', 'flint', 'numpy', 'blas'"),
    ({"progress": 3}, SpecError, r"progress must be None or a callable progress\(stage, done, total\); got int"),
    ({"partition": "middle"}, PartitionError, r"partition must be one of start-end, odd-even, A:<steps>; got 'middle'"),
    ({"partition": "A:1,9"}, PartitionError, r"time steps must be integers in 1..6; got \[9\]"),
])
def test_separation_rank_validates_arguments(kwargs, exc, match):
    kwargs = dict(kwargs)
    part = kwargs.pop("partition", "start-end")
    with pytest.raises(exc, match=match):
        separation_rank(RAC(2, 2, 2, 6), part, **kwargs)


def test_separation_rank_refuses_bad_spec_and_odd_length():
    with pytest.raises(SpecError, match="spec must be a tnrnn RAC or TTRNN; got dict"):
        separation_rank({"depth": 2})
    with pytest.raises(PartitionError, match="the start-end partition needs an even length T; got T=5"):
        separation_rank(RAC(2, 2, 2, 5))


def test_one_hot_too_large_is_refused_with_estimate_and_limit():
    with pytest.raises(TooLargeError, match=r"side A has M\^8 = 4\^8 = 65,536 halves "
                       r"\(65,536 x 65,536 matrix\); the limit is max_samples=4,096 per side") as info:
        separation_rank(RAC(2, 4, 4, 16), inputs="one-hot")
    assert info.value.estimate == 65536 and info.value.limit == 4096
    with pytest.raises(TooLargeError, match=r"side B has M\^3 = 3\^3 = 27 halves"):
        separation_rank(RAC(1, 2, 3, 5), "A:1,2", inputs="one-hot", max_samples=10)


# ------------------------------------------------------------ certificates
def test_certificate_round_trip_through_json():
    res = separation_rank(RAC(2, 2, 2, 6), "odd-even", seed=5)
    cert = json.loads(json.dumps(res.certificate))
    for key in ("format", "version", "tnrnn_version", "spec", "partition", "inputs",
                "prime", "seed", "output", "n_A", "n_B", "rank", "method"):
        assert key in cert
    assert cert["partition"]["A"] == [1, 3, 5] and cert["rank"] == res.rank
    again = check_certificate(cert)
    assert again.rank == res.rank and again.samples == res.samples
    assert again.partition.A == res.partition.A and again.spec == res.spec
    assert check_certificate(cert, rank_method="numpy").rank == res.rank


def test_certificate_one_hot_and_ttrnn_round_trip():
    for spec, inputs in [(RAC(2, 4, 4, 4), "one-hot"), (TTRNN(3, 2, 6), "continuous")]:
        res = separation_rank(spec, inputs=inputs)
        assert check_certificate(json.loads(json.dumps(res.certificate))).rank == res.rank


def _cert():
    return json.loads(json.dumps(separation_rank(RAC(2, 3, 3, 6), seed=2).certificate))


def test_tampered_certificates_are_rejected():
    cert = _cert()
    assert cert["rank"] == 30
    with pytest.raises(CertificateError, match=r"certificate rank 31 exceeds min\(n_A, n_B\) = 30 or the upper bound 30"):
        check_certificate({**cert, "rank": 31})
    with pytest.raises(CertificateError, match=r"states rank 29 but re-running it gives rank 30 \(30 x 30 sample matrix mod 2147483647\)"):
        check_certificate({**cert, "rank": 29})
    # A size the search would never use: the probability bound would not apply.
    with pytest.raises(CertificateError, match=r"sample size 40 x 30 is not a size of the search schedule \[30\]"):
        check_certificate({**cert, "n_A": 40})
    with pytest.raises(CertificateError, match=r"certificate rank 30 exceeds min\(n_A, n_B\) = 20"):
        check_certificate({**cert, "n_A": 20})
    with pytest.raises(CertificateError, match="certificate upper_bound 30 is not the proven upper bound 8"):
        check_certificate({**cert, "spec": {**cert["spec"], "hidden": 2}})
    with pytest.raises(CertificateError, match="certificate says complete=False but rank 30 of a 30 x 30 matrix .upper bound 30. means complete=True"):
        check_certificate({**cert, "complete": False})


@pytest.mark.parametrize("change,match", [
    ({"format": "other"}, r"certificate format must be 'tnrnn-rank-certificate'; got 'other'"),
    ({"version": 1}, r"certificate version 1 is not supported; this tnrnn reads version 2"),
    ({"spec": {"kind": "lstm"}}, r"spec kind must be 'rac' or 'ttrnn'; got 'lstm'"),
    ({"spec": {"kind": "rac", "depth": 0, "hidden": 2, "input_dim": 2, "length": 6, "outputs": 1}},
     r"is not valid: depth must be an integer >= 1; got 0"),
    ({"spec": {"kind": "rac", "width": 3}}, r"has unexpected fields"),
    ({"spec": {"kind": "ttrnn", "depth": 2, "hidden": 2, "input_dim": 2, "length": 6, "outputs": 1}},
     r"a ttrnn spec has depth 1; got 2"),
    ({"spec": [1, 2]}, r"spec must be a dict; got list"),
    ({"partition": {"A": [1, 2, 9], "B": [3, 4, 5, 6]}}, r"certificate partition is not valid: time steps must be integers in 1..6; got \[9\]"),
    ({"partition": {"A": [1, 2, 3], "B": [4, 5, 6], "name": "odd-even"}},
     r"certificate partition name 'odd-even' does not match its sides A=\[1, 2, 3\], B=\[4, 5, 6\] \(their name is 'A:1,2,3'\)"),
    ({"partition": {"A": [1, 2, 3], "B": [4, 5]}}, r"is not the complement of A"),
    ({"partition": "start-end"}, r"certificate partition must be a dict"),
    ({"inputs": "grid"}, r"certificate inputs must be one of \('continuous', 'one-hot'\); got 'grid'"),
    ({"h0": "zeros"}, r"certificate h0 must be one of \('random', 'ones'\); got 'zeros'"),
    ({"prime": 91}, r"certificate prime: prime must be a prime number .*91, which is not prime"),
    ({"seed": -3}, r"certificate field 'seed' must be an integer >= 0; got -3"),
    ({"n_B": 0}, r"certificate field 'n_B' must be an integer >= 1; got 0"),
    ({"rank": "30"}, r"certificate field 'rank' must be an integer >= 0; got '30'"),
    ({"output": 4}, r"certificate output 4 is out of range for K=1 outputs"),
    ({"method": "svd"}, r"certificate method must be one of \['blas', 'flint', 'numpy'\]; got 'svd'"),
    ({"inputs": "one-hot"}, r"a one-hot certificate enumerates all halves: n_A, n_B must be 27, 27; got 30, 30"),
    ({"max_failure": 0}, r"certificate max_failure must be in \(0, 1\]; got 0"),
    ({"repetitions": {}}, r"certificate repetitions must be a list; got \{\}"),
])
def test_malformed_certificates_are_rejected(change, match):
    with pytest.raises(CertificateError, match=match):
        check_certificate({**_cert(), **change})


def test_certificate_missing_fields_and_non_dict():
    cert = _cert()
    del cert["seed"], cert["n_A"]
    with pytest.raises(CertificateError, match=r"certificate is missing the fields \['seed', 'n_A'\]"):
        check_certificate(cert)
    with pytest.raises(CertificateError, match="a certificate must be a dict; got str"):
        check_certificate("rank 30")
    assert issubclass(CertificateError, TnrnnError)


# ------------------------------------------------------------ import rules
def test_rank_package_does_not_import_jax_or_plotting():
    code = ("import sys, tnrnn.rank; from tnrnn.circuit import RAC; "
            "tnrnn.rank.separation_rank(RAC(2, 2, 2, 4)); "
            "bad = [m for m in ('jax', 'graphviz', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
