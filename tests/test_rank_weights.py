"""Separation ranks of given weights (issue 10): exact images in GF(p),
weight files, and known answers proved below.

Known answers (each is a short proof, independent of the code under test):

* **Separable weights -> 1.** Depth 2 with ``W_H[1] = W_H[2] = I``, ``W_I[2]``
  diagonal (``d``) and ``W_O = e_1``: ``h[t,1] = h0_1 * prod_{s<=t} u_s`` with
  ``u_s = W_I[1] x_s``; ``h[T,2]_1 = h0_2[1] prod_t d_1 h[t,1]_1
  = c * prod_s u_s[1]^{T-s+1}``: a product of one factor per step, so the
  output is ``f(x_A) g(x_B)``: separation rank 1 (it is non-zero, so not 0).
* **Rank-1 W_H at depth 1 -> 1.** ``W_H = a b^T``: ``W_H h = a (b . h)``, so
  ``y = (b . h_{T-1}) (w_O . (a * u_T))`` and, recursively,
  ``b . h_t = (b . h_{t-1}) (b . (a * u_t))``: ``y = (b . h0) prod_{t<T}
  (b . (a * u_t)) (w_O . (a * u_T))``, a product of one factor per step.
* **Zeroed recurrence -> 0.** ``W_H[l] = 0`` makes ``h[t,l] = 0`` for every
  ``t >= 1``, so the output is identically zero: rank 0.
* **Identity recurrence at depth 1 -> min(R, C(M + k - 1, k)).** With
  ``W_H = I`` and ``T = 2k``, ``y = sum_j c_j prod_t <w_j, x_t>`` with ``w_j``
  the rows of ``W_I``: the Start-End matrix is ``F diag(c) F^T`` with
  ``F``'s columns the symmetric tensors ``w_j^{(x)k}`` in a space of dimension
  ``C(M + k - 1, k)``; for generic ``w_j`` (Gaussian weights) its rank is
  ``min(R, C(M + k - 1, k))``.
"""
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from tnrnn.circuit import (RAC, TTRNN, RACParams, evaluate, init_params, load_params,
                           param_names, save_params)
from tnrnn.errors import CertificateError, OutputPathError, SpecError
from tnrnn.rank import (check_certificate, evaluate_modp, params_to_field, separation_rank,
                        to_field, weights_hash)

P = 2_147_483_647


def _frac_params(params):
    conv = lambda a: np.array([Fraction(float(v)) for v in np.ravel(a)],  # noqa: E731
                              dtype=object).reshape(np.shape(a))
    return type(params)(*[tuple(conv(a) for a in f) if isinstance(f, tuple) else conv(f)
                          for f in params])


# ------------------------------------------------------- exact field images
def test_floats_map_to_their_exact_rationals():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(50), [0.0, -0.0, 1e-300, -3.5e200, 2.0**-1074]])
    got = to_field(x, P)
    want = [Fraction(float(v)).numerator * pow(Fraction(float(v)).denominator, -1, P) % P
            for v in x]
    assert got.tolist() == want


def test_fraction_and_int_images_and_refusals():
    a = np.array([Fraction(2, 3), -7, Fraction(-1, 6)], dtype=object)
    assert to_field(a, 101).tolist() == [2 * pow(3, -1, 101) % 101, 94,
                                         (-1) * pow(6, -1, 101) % 101]
    with pytest.raises(SpecError, match=r"array has the entry 1/101, whose denominator is "
                                        r"divisible by the prime 101"):
        to_field(np.array([Fraction(1, 101)], dtype=object), 101)
    with pytest.raises(SpecError, match=r"W must hold numbers \(int, float, Fraction\); got str"):
        to_field(np.array(["a"], dtype=object), 101, "W")
    with pytest.raises(SpecError, match=r"W_O has non-finite entries"):
        to_field(np.array([np.inf]), 101, "W_O")
    with pytest.raises(SpecError, match="float weights need an odd prime"):
        to_field(np.array([0.5]), 2)
    with pytest.raises(SpecError, match="must be a real numeric array .* got dtype complex128"):
        to_field(np.array([1j]), 7)


def test_modp_evaluation_of_float_weights_is_the_exact_rational_value():
    """evaluate() on Fractions (exact rational arithmetic) reduced mod p
    equals the mod-p evaluation of the float weights' images."""
    spec = RAC(2, 3, 2, 4)
    params = init_params(spec, seed=4)
    X = np.random.default_rng(1).integers(-5, 6, (3, 4, 2))
    exact = evaluate(spec, _frac_params(params), X.astype(object))
    want = [int(v.numerator * pow(v.denominator, -1, P) % P) for v in exact[:, 0]]
    got = evaluate_modp(spec, params_to_field(spec, params, P), X)[:, 0]
    assert got.tolist() == want


# --------------------------------------------------------- known answers
def test_separable_weights_give_rank_one():
    spec = RAC(2, 3, 3, 6)
    p = init_params(spec, seed=1)
    params = p._replace(W_H=(np.eye(3), np.eye(3)),
                        W_I=(p.W_I[0], np.diag([0.5, -1.5, 2.0])),
                        W_O=np.array([[1.0, 0.0, 0.0]]))
    generic = separation_rank(spec, params=p)
    res = separation_rank(spec, params=params)
    assert res.rank == 1 and res.relation == "=" and generic.rank > 1
    assert res.weights == weights_hash(spec, params)


def test_rank_one_recurrence_at_depth_one_gives_rank_one():
    spec = RAC(1, 4, 3, 8)
    p = init_params(spec, seed=2)
    a, b = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.25, 1.0, -1.0, 2.0])
    res = separation_rank(spec, params=p._replace(W_H=(np.outer(a, b),)))
    assert res.rank == 1 and res.relation == "="


def test_zeroed_recurrence_gives_rank_zero():
    spec = RAC(2, 3, 3, 6)
    p = init_params(spec, seed=3)
    res = separation_rank(spec, params=p._replace(W_H=(p.W_H[0], np.zeros((3, 3)))))
    assert res.rank == 0


@pytest.mark.parametrize("R,M,T", [(4, 2, 4), (2, 3, 6), (5, 2, 6), (3, 3, 4)])
def test_identity_recurrence_closed_form(R, M, T):
    spec = RAC(1, R, M, T)
    p = init_params(spec, seed=5)
    res = separation_rank(spec, params=p._replace(W_H=(np.eye(R),)))
    k = T // 2
    assert res.rank == min(R, math.comb(M + k - 1, k))
    assert res.relation == "="


def test_float_weights_agree_with_the_same_weights_as_fractions():
    spec = RAC(2, 3, 3, 6)
    p = init_params(spec, seed=6)
    a = separation_rank(spec, params=p)
    b = separation_rank(spec, params=_frac_params(p))
    assert a.rank == b.rank and a.weights == b.weights
    assert a.certificate["weights"] == b.certificate["weights"]


def test_trained_like_weights_rank_is_at_most_generic():
    spec = RAC(2, 2, 2, 8)
    assert separation_rank(spec, params=init_params(spec, seed=9)).rank <= \
        separation_rank(spec).rank


def test_given_weights_with_one_hot_inputs_claim_lower_bound_only():
    """Nothing is random then: no probability applies, only >= r (unless the
    rank reaches the proven upper bound)."""
    spec = RAC(1, 4, 3, 8)
    p = init_params(spec, seed=2)
    a, b = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.25, 1.0, -1.0, 2.0])
    res = separation_rank(spec, params=p._replace(W_H=(np.outer(a, b),)), inputs="one-hot")
    assert res.rank == 1 and res.upper_bound == 4
    assert res.failure_probability is None and res.relation == ">="
    assert "nothing in this computation is random" in res.describe()


def test_ttrnn_weights_and_certificate_with_weights():
    spec = TTRNN(3, 2, 6)
    p = init_params(spec, seed=2)
    res = separation_rank(spec, params=p)
    assert res.rank == 3
    cert = json.loads(json.dumps(res.certificate))
    assert check_certificate(cert, params=p).rank == 3
    with pytest.raises(CertificateError, match=r"made with given weights .*pass the same weights"):
        check_certificate(cert)
    other = init_params(spec, seed=3)
    with pytest.raises(CertificateError, match=r"the weights given hash to .* but the certificate was made with"):
        check_certificate(cert, params=other)
    plain = json.loads(json.dumps(separation_rank(spec).certificate))
    with pytest.raises(CertificateError, match="made with seeded random weights; do not pass weights"):
        check_certificate(plain, params=p)


def test_given_weights_shapes_and_values_are_checked():
    spec = RAC(2, 3, 3, 6)
    p = init_params(spec)
    with pytest.raises(SpecError, match=r"W_O must have shape \(1, 3\); got shape \(1, 4\)"):
        separation_rank(spec, params=p._replace(W_O=np.ones((1, 4))))
    with pytest.raises(SpecError, match=r"W_O must be a real numeric array .* got dtype <U1"):
        separation_rank(spec, params=p._replace(W_O=np.array([["a", "b", "c"]])))
    with pytest.raises(SpecError, match=r"W_O has non-finite entries \(nan or inf\)"):
        separation_rank(spec, params=p._replace(W_O=np.array([[np.nan, 1.0, 2.0]])))


# ------------------------------------------------------------ weight files
def test_save_and_load_round_trip_and_layout(tmp_path):
    spec = RAC(2, 3, 2, 4)
    p = init_params(spec, seed=1)
    path = save_params(tmp_path / "w.npz", spec, p)
    with np.load(path) as data:
        assert sorted(data.files) == sorted(param_names(spec))
        assert np.array_equal(data["W_I1"], p.W_I[0]) and np.array_equal(data["h0_2"], p.h0[1])
    q = load_params(path, spec)
    assert weights_hash(spec, p) == weights_hash(spec, q)


def test_load_params_errors(tmp_path):
    spec = RAC(1, 2, 2, 4)
    path = tmp_path / "w.npz"
    np.savez(path, W_H1=np.ones((2, 2)), W_I1=np.ones((2, 3)), W_O=np.ones((1, 2)))
    with pytest.raises(SpecError, match=r"W_I\[0\] must have shape \(2, 2\); got shape \(2, 3\)"):
        load_params(path, spec)
    np.savez(path, W_H1=np.ones((2, 2)), W_I1=np.ones((2, 2)), W_O=np.ones((1, 2)),
             W_X=np.ones(1))
    with pytest.raises(SpecError, match="has arrays W_X that RAC.* does not use"):
        load_params(path, spec)
    with pytest.raises(SpecError, match="weights file '/nonexistent/w.npz' does not exist"):
        load_params("/nonexistent/w.npz", spec)
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(SpecError, match="is not a readable .npz file"):
        load_params(bad, spec)
    np.savez(path, W_H1=np.ones((2, 2)), W_I1=np.ones((2, 2)), W_O=np.ones((1, 2)))
    assert load_params(path, spec).h0[0].tolist() == [1.0, 1.0]


def test_save_params_refusals(tmp_path):
    spec = RAC(1, 2, 2, 4)
    p = init_params(spec)
    with pytest.raises(OutputPathError, match="the folder '/nonexistent/d' does not exist"):
        save_params("/nonexistent/d/w.npz", spec, p)
    with pytest.raises(OutputPathError, match=r"has the suffix '.txt'; allowed: .npz"):
        save_params(tmp_path / "w.txt", spec, p)
    with pytest.raises(SpecError, match="save_params stores float or integer arrays; W_O has dtype object"):
        save_params(tmp_path / "w.npz", spec, p._replace(W_O=p.W_O.astype(object)))


# ----------------------------------------------------- circuit edge cases
def test_init_params_refuses_integer_dtype_and_bad_seeds():
    with pytest.raises(SpecError, match="dtype must be a floating dtype .* got int64"):
        init_params(RAC(1, 2, 2, 2), dtype=np.int64)
    with pytest.raises(SpecError, match=r"dtype must be a floating dtype .* got 'nonsense'"):
        init_params(RAC(1, 2, 2, 2), dtype="nonsense")
    for seed in (-1, 1.5, "a", True):
        with pytest.raises(SpecError, match=r"seed must be a non-negative integer; got"):
            init_params(RAC(1, 2, 2, 2), seed=seed)
    assert init_params(RAC(1, 2, 2, 2), dtype=np.float32).W_H[0].dtype == np.float32


def test_evaluate_integer_weights_is_exact():
    """The issue's case: init_params_modp weights with int64 inputs. The
    value is checked against a step-by-step Python-int recurrence."""
    from tnrnn.circuit import init_params_modp

    spec = RAC(3, 3, 3, 6)
    p = init_params_modp(spec, seed=0)
    X = np.random.default_rng(0).integers(0, 2**31, (1, 6, 3))
    got = evaluate(spec, p, X)[0, 0]
    # reference: plain Python lists
    seq = [[int(v) for v in X[0, t]] for t in range(6)]
    for l in range(3):
        h = [int(v) for v in p.h0[l]]
        WH = [[int(v) for v in row] for row in p.W_H[l]]
        WI = [[int(v) for v in row] for row in p.W_I[l]]
        out = []
        for t in range(6):
            a = [sum(w * x for w, x in zip(row, h)) for row in WH]
            b = [sum(w * x for w, x in zip(row, seq[t])) for row in WI]
            h = [u * v for u, v in zip(a, b)]
            out.append(h)
        seq = out
    want = sum(int(w) * x for w, x in zip(p.W_O[0], seq[-1]))
    assert got == want and len(str(want)) > 500
