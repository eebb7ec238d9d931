"""The float path (tnrnn.contract.approx): JAX float64 sample matrices and
SVD ranks, always labelled approximate, and a computed case where float SVD
disagrees with the certified exact rank (docs/theory.md section 3)."""
import json

import numpy as np
import pytest

pytest.importorskip("jax")

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params  # noqa: E402
from tnrnn.contract.approx import (APPROX_METHOD, ApproxRankResult,  # noqa: E402
                                   approx_separation_rank, float_halves,
                                   float_sample_matrix, svd_rank)
from tnrnn.errors import PartitionError, SpecError, TooLargeError  # noqa: E402
from tnrnn.partition import parse_partition  # noqa: E402
from tnrnn.rank import merge_halves, separation_rank  # noqa: E402


@pytest.mark.parametrize("spec,part", [
    (RAC(2, 3, 2, 6), "start-end"), (RAC(3, 2, 3, 5), "odd-even"),
    (TTRNN(3, 2, 5), "A:2,4"),
])
def test_float_sample_matrix_matches_numpy_evaluation(spec, part):
    part = parse_partition(part, spec.length)
    params = init_params(spec, seed=1)
    XA = float_halves(1, "A", 0, 7, len(part.A), spec.input_dim)
    XB = float_halves(1, "B", 0, 3, len(part.B), spec.input_dim)
    Y = float_sample_matrix(spec, params, part, XA, XB)
    full = merge_halves(part, XA[:, None], XB[None, :]).reshape(21, spec.length, -1)
    np.testing.assert_allclose(Y.ravel(), evaluate(spec, params, full)[:, 0],
                               rtol=1e-10, atol=0)


def test_result_is_always_labelled_approximate():
    res = approx_separation_rank(RAC(1, 3, 3, 6))
    assert isinstance(res, ApproxRankResult)
    assert res.approximate is True and res.exact is False
    assert res.method == APPROX_METHOD and "approximate" in res.method
    assert "not certified" in res.describe() and "approximate" in res.describe()
    d = res.to_dict()
    assert d["approximate"] is True and d["exact"] is False
    json.dumps(d)
    assert res.rank == 3                                    # depth 1: float is fine
    s = res.singular_values
    assert list(s) == sorted(s, reverse=True) and res.tol > 0


def test_depth_one_agrees_with_the_exact_rank():
    for spec in (RAC(1, 4, 2, 8), RAC(1, 2, 3, 6), TTRNN(3, 2, 6)):
        assert approx_separation_rank(spec).rank == separation_rank(spec).rank


def test_float_svd_disagrees_with_the_certified_rank_at_depth_two():
    """Depth 2, R = M = 3, T = 10: exact arithmetic certifies the rank; the
    float64 SVD with the standard tolerance counts fewer, because the
    singular values of the sample matrix fall smoothly over dozens of orders
    of magnitude (no gap to put a tolerance in)."""
    spec = RAC(2, 3, 3, 10)
    exact = separation_rank(spec)
    approx = approx_separation_rank(spec)
    assert exact.complete
    assert approx.samples[0] > exact.rank               # enough samples to see it all
    assert approx.rank != exact.rank
    s = np.array(approx.singular_values)
    assert s[0] / s[exact.rank - 1] > 1e15              # beyond float64 resolution


def test_float_svd_also_misses_at_depth_three():
    spec = RAC(3, 2, 2, 8)
    exact, approx = separation_rank(spec), approx_separation_rank(spec)
    assert exact.complete and approx.rank != exact.rank


def test_explicit_tolerance_and_one_hot():
    spec = RAC(2, 2, 2, 4)
    loose = approx_separation_rank(spec, tol=1e300)
    assert loose.rank == 0 and loose.tol == 1e300
    grid = approx_separation_rank(RAC(2, 4, 4, 4), inputs="one-hot")
    assert grid.samples == (16, 16) and grid.inputs == "one-hot" and grid.approximate


def test_svd_rank_default_tolerance():
    Y = np.diag([1.0, 1e-3, 1e-20])
    r, tol, s = svd_rank(Y)
    assert r == 2 and tol == pytest.approx(3 * np.finfo(float).eps)
    assert svd_rank(np.zeros((0, 3)))[0] == 0


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"tol": -1.0}, SpecError, r"tol must be None or a finite real number >= 0; got -1.0"),
    ({"tol": float("nan")}, SpecError, r"tol must be None or a finite real number >= 0; got nan"),
    ({"tol": "1e-9"}, SpecError, r"tol must be None or a finite real number >= 0; got '1e-9'"),
    ({"inputs": "binary"}, SpecError, r"inputs must be one of 'continuous', 'one-hot'; got 'binary'"),
    ({"seed": -2}, SpecError, r"seed must be a non-negative integer; got -2"),
    ({"output": 2}, SpecError, r"output must be an integer in \[0, 1\)"),
    ({"max_samples": 0}, SpecError, r"max_samples must be an integer >= 1; got 0"),
    ({"partition": "A:0"}, PartitionError, r"time steps must be integers in 1..6; got \[0\]"),
])
def test_validation(kwargs, exc, match):
    kwargs = dict(kwargs)
    part = kwargs.pop("partition", "start-end")
    with pytest.raises(exc, match=match):
        approx_separation_rank(RAC(2, 2, 2, 6), part, **kwargs)


def test_missing_jax_is_a_clear_error(monkeypatch):
    import sys

    from tnrnn.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(MissingDependencyError, match=r"approx_separation_rank needs jax \(pip install 'tnrnn\[jax\]'\)"):
        approx_separation_rank(RAC(1, 2, 2, 4))


def test_one_hot_too_large():
    with pytest.raises(TooLargeError, match=r"the limit is max_samples=100 per side"):
        approx_separation_rank(RAC(2, 2, 3, 10), inputs="one-hot", max_samples=100)
