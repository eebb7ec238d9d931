"""Specs, parameters and the step-by-step evaluator."""
import itertools

import numpy as np
import pytest

from tnrnn.circuit import (RAC, TTRNN, RACParams, TTParams, evaluate, init_params,
                           init_params_modp, one_hot, rac_core, random_inputs,
                           validate_params)
from tnrnn.errors import SpecError


@pytest.mark.parametrize("field", ["depth", "hidden", "input_dim", "length", "outputs"])
@pytest.mark.parametrize("bad", [0, -2, 2.0, "3", True, None])
def test_rac_rejects_non_positive_or_non_integer_sizes(field, bad):
    sizes = dict(depth=2, hidden=3, input_dim=3, length=4, outputs=1)
    sizes[field] = bad
    with pytest.raises(SpecError, match=rf"{field} must be an integer >= 1; got"):
        RAC(**sizes)


def test_ttrnn_rejects_bad_size():
    with pytest.raises(SpecError, match=r"length must be an integer >= 1; got -1"):
        TTRNN(hidden=2, input_dim=2, length=-1)


def test_specs_are_immutable_and_hashable():
    spec = RAC(2, 3, 3, 6)
    with pytest.raises(AttributeError):
        spec.depth = 3
    assert {spec: 1}[RAC(2, 3, 3, 6)] == 1
    assert spec.replace(length=8).length == 8


def test_numpy_integer_sizes_accepted():
    assert RAC(np.int64(2), 3, 3, 4).depth == 2


def test_param_shapes_and_default_h0():
    spec = RAC(3, 4, 2, 5, outputs=2)
    p = init_params(spec, seed=1)
    assert [w.shape for w in p.W_H] == [(4, 4)] * 3
    assert [w.shape for w in p.W_I] == [(4, 2), (4, 4), (4, 4)]
    assert p.W_O.shape == (2, 4)
    assert all(np.array_equal(h, np.ones(4)) for h in p.h0)


def test_seeded_params_reproducible_and_distinct():
    spec = RAC(2, 3, 3, 4)
    a, b, c = init_params(spec, 5), init_params(spec, 5), init_params(spec, 6)
    assert np.array_equal(a.W_H[1], b.W_H[1])
    assert not np.array_equal(a.W_H[1], c.W_H[1])


def test_modp_params_in_range():
    p = init_params_modp(RAC(2, 3, 2, 4), prime=13, seed=0)
    for w in (*p.W_H, *p.W_I, p.W_O):
        assert w.dtype == np.int64 and w.min() >= 0 and w.max() < 13


def test_modp_rejects_large_prime():
    with pytest.raises(SpecError, match=r"prime must be below 2\*\*31"):
        init_params_modp(RAC(1, 2, 2, 2), prime=2**31 + 11)


def test_settable_h0_per_layer():
    spec = RAC(2, 2, 2, 3)
    p = init_params(spec, h0=[[1, 2], [3, 4]])
    assert np.array_equal(p.h0[1], [3.0, 4.0])
    with pytest.raises(SpecError, match=r"h0 must be one vector of length 2"):
        init_params(spec, h0=np.ones((2, 2, 2)))


def test_zero_h0_refused():
    with pytest.raises(SpecError, match=r"h0 of layer 1 is all zeros"):
        init_params(RAC(1, 2, 2, 3), h0=[0, 0])


def test_validate_params_wrong_shape_names_the_array():
    spec = RAC(2, 3, 2, 4)
    p = init_params(spec)
    bad = p._replace(W_I=(p.W_I[0], np.ones((3, 2))))
    with pytest.raises(SpecError, match=r"W_I\[1\] must have shape \(3, 3\); got shape \(3, 2\)"):
        validate_params(spec, bad)
    with pytest.raises(SpecError, match=r"W_H must be a tuple of 2 arrays"):
        validate_params(spec, p._replace(W_H=p.W_H[:1]))
    with pytest.raises(SpecError, match=r"params for a RAC must be RACParams; got TTParams"):
        validate_params(spec, TTParams(np.ones((3, 2, 3)), np.ones((1, 3)), np.ones(3)))


def test_inputs_shape_checked():
    spec = RAC(1, 2, 3, 4)
    with pytest.raises(SpecError, match=r"inputs must have shape \(N, 4, 3\)"):
        evaluate(spec, init_params(spec), np.ones((2, 4, 2)))


def test_one_hot_range_checked():
    with pytest.raises(SpecError, match=r"symbols must be integers in \[0, 3\)"):
        one_hot([[0, 3]], 3)


def test_rac_evaluation_matches_explicit_recurrence():
    """Independent check: a literal per-sequence, per-unit loop."""
    spec = RAC(3, 2, 3, 4, outputs=2)
    p = init_params(spec, seed=2)
    X = random_inputs(spec, 3, seed=4)
    got = evaluate(spec, p, X)
    for n in range(3):
        h = {(0, l): p.h0[l - 1] for l in range(1, 4)}
        for t in range(1, 5):
            h[(t, 0)] = X[n, t - 1]
        for l in range(1, 4):
            for t in range(1, 5):
                h[(t, l)] = (p.W_H[l - 1] @ h[(t - 1, l)]) * (p.W_I[l - 1] @ h[(t, l - 1)])
        np.testing.assert_allclose(got[n], p.W_O @ h[(4, 3)], rtol=1e-12)


def test_rac_is_the_ttrnn_with_cp_core():
    spec = RAC(1, 3, 2, 5)
    p = init_params(spec, seed=1)
    tt = TTRNN(3, 2, 5)
    q = TTParams(G=rac_core(p.W_H[0], p.W_I[0]), W_O=p.W_O, h0=p.h0[0])
    X = random_inputs(spec, 4, seed=0)
    np.testing.assert_allclose(evaluate(spec, p, X), evaluate(tt, q, X), rtol=1e-12)


def test_output_degree_in_each_input():
    """y is homogeneous of degree C(T-t+L-1, L-1) in x_t: scaling x_t by c
    scales y by c**degree."""
    from math import comb
    spec = RAC(3, 2, 2, 4)
    p = init_params(spec, seed=0)
    X = random_inputs(spec, 1, seed=1)
    y = evaluate(spec, p, X)[0, 0]
    for t in range(1, 5):
        X2 = X.copy()
        X2[0, t - 1] *= 2.0
        deg = comb(4 - t + 3 - 1, 3 - 1)
        assert evaluate(spec, p, X2)[0, 0] == pytest.approx(y * 2.0**deg, rel=1e-10)


def test_modular_evaluation_with_python_ints_is_exact():
    spec = RAC(2, 2, 2, 3)
    prime = 1_000_003
    p = init_params_modp(spec, prime=prime, seed=3)
    X = np.random.default_rng(0).integers(0, prime, size=(2, 3, 2))
    exact = evaluate(spec, jax_free_object(p), X.astype(object))
    reduced = evaluate(spec, jax_free_object(p), X.astype(object), modulus=prime)
    assert [[int(v) % prime for v in row] for row in exact] == reduced.tolist()


def jax_free_object(p: RACParams) -> RACParams:
    obj = lambda a: np.asarray(a).astype(object)  # noqa: E731
    return RACParams(tuple(map(obj, p.W_H)), tuple(map(obj, p.W_I)), obj(p.W_O),
                     tuple(map(obj, p.h0)))


def test_partition_independent_shallow_output_is_rank_one_when_R_is_1():
    """R = 1: y factorises over time steps, so every 2x2 minor of the
    Start-End grid matrix vanishes."""
    spec = RAC(1, 1, 2, 4)
    p = init_params(spec, seed=0)
    rows = list(itertools.product(range(2), repeat=2))
    Y = np.array([[evaluate(spec, p, one_hot([list(a) + list(b)], 2))[0, 0]
                   for b in rows] for a in rows])
    assert np.linalg.matrix_rank(Y) == 1


def test_modular_evaluation_does_not_overflow_int64():
    """Random int64 residues near 2**31: int64 sums of products overflow, so
    the reduced result must equal the reduction of the exact big-int value."""
    spec = RAC(2, 4, 3, 3)
    prime = 2_147_483_647
    p = init_params_modp(spec, prime=prime, seed=1,
                         h0=np.full((2, 4), prime - 1, dtype=np.int64))
    X = np.random.default_rng(2).integers(0, prime, size=(2, 3, 3))
    exact = evaluate(spec, jax_free_object(p), X.astype(object))
    got = evaluate(spec, p, X, modulus=prime)
    assert got.tolist() == [[int(v) % prime for v in row] for row in exact]


def test_modular_evaluation_needs_integers():
    spec = RAC(1, 2, 2, 2)
    with pytest.raises(SpecError, match=r"modular evaluation needs integer parameters; got dtype float64"):
        evaluate(spec, init_params(spec), np.ones((1, 2, 2)), modulus=7)
