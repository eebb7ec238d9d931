"""Approximation by sums of exponentials: project, best_exponential_sum, l1_error,
rnn_kernel, against closed forms and independent mpmath computations."""
import math

import mpmath as mp
import numpy as np
import pytest

from tnrnn.errors import SpecError, TooLargeError
from tnrnn.linear_rnn import (best_exponential_sum, exp_sum, get_project_route, l1_error,
                              parse_kernel, project, rate_grid, rnn_kernel, rnn_kernel_discrete)


def _ex(z):
    """e^{-z}, 0 past z = 3000 (mpmath is slow on huge arguments)."""
    return mp.exp(-z) if z < 3000 else mp.mpf(0)


def _mp_reference(spec_f, rates, dps=60):
    """min_a ||rho - sum a_i e^{-w_i t}||^2 by Gaussian elimination on the full Gram
    matrix at ``dps`` digits, with b_i and ||rho||^2 by mpmath quadrature."""
    with mp.workdps(dps):
        w = [mp.mpf(float(x)) for x in rates]
        quad = lambda g: mp.quad(lambda u: g(mp.expm1(u)) * mp.exp(u) if u < 3000 else mp.mpf(0),  # noqa: E731
                                 [0, 1, 3, 10, 40, mp.inf])
        b = mp.matrix([quad(lambda t, x=x: spec_f(t) * _ex(x * t)) for x in w])
        G = mp.matrix(len(w), len(w))
        for i in range(len(w)):
            for j in range(len(w)):
                G[i, j] = 1 / (w[i] + w[j])
        a = mp.lu_solve(G, b)
        rho2 = quad(lambda t: spec_f(t) ** 2)
        err = rho2 - sum(a[i] * b[i] for i in range(len(w)))
        return np.array([float(x) for x in a]), float(err)


CASES = [
    ("exponential:1", lambda t: _ex(t)),
    ("polynomial:0.2", lambda t: (1 + t) ** mp.mpf(-1.2)),
    ("polynomial:1", lambda t: (1 + t) ** -2),
]


@pytest.mark.parametrize("spec, f", CASES)
@pytest.mark.parametrize("m", [1, 4, pytest.param(12, marks=pytest.mark.slow)])
def test_exact_route_against_gaussian_elimination_at_60_digits(spec, f, m):
    w = rate_grid(m, "sinc")
    a_ref, e_ref = _mp_reference(f, w)
    p = project(spec, w)
    assert p.l2_sq_error == pytest.approx(e_ref, rel=1e-12)
    assert np.allclose(p.coefs, a_ref, rtol=1e-12, atol=1e-12 * np.abs(a_ref).max())
    if m <= 4:  # the float64 route, where it is accurate
        q = project(spec, w, "qr")
        assert q.l2_sq_error == pytest.approx(e_ref, rel=1e-12)
        assert np.allclose(q.coefs, a_ref, rtol=1e-10, atol=1e-12 * np.abs(a_ref).max())


@pytest.mark.slow
def test_exact_route_at_m_32_against_gaussian_elimination():
    w = rate_grid(32, "sinc")
    a_ref, e_ref = _mp_reference(CASES[1][1], w, dps=90)
    p = project("polynomial:0.2", w)
    assert p.l2_sq_error == pytest.approx(e_ref, rel=1e-12)
    assert np.allclose(p.coefs, a_ref, rtol=1e-12, atol=1e-12 * np.abs(a_ref).max())


def test_m1_closed_form():
    # rho = e^{-v t}: a*(w) = 2w/(v+w), loss (v-w)^2 / (2v(v+w)^2)
    for v, w in [(1.0, 3.0), (2.0, 0.5), (0.3, 0.31)]:
        for route in ("exact", "qr"):
            p = project(f"exponential:{v}", [w], route)
            assert p.coefs[0] == pytest.approx(2 * w / (v + w), rel=1e-13)
            assert p.l2_sq_error == pytest.approx((v - w) ** 2 / (2 * v * (v + w) ** 2), rel=1e-9)


def test_target_among_rates_gives_zero_error():
    p = project("exponential:0.7+2*exponential:3", [0.1, 0.7, 3.0, 10.0])
    assert abs(p.l2_sq_error) < 1e-40
    assert np.allclose(p.coefs, [0, 1, 2, 0], atol=1e-14)
    assert p.relative_l2_error < 1e-19


def test_project_errors():
    with pytest.raises(SpecError, match="rates must be distinct"):
        project("exponential:1", [1.0, 1.0])
    with pytest.raises(SpecError, match=r"rates must be finite and > 0; got \[1.0, -2.0\]"):
        project("exponential:1", [1.0, -2.0])
    with pytest.raises(SpecError, match="rates must be a non-empty"):
        project("exponential:1", [])
    with pytest.raises(SpecError, match="unknown projection route 'lu'; valid: exact, qr"):
        project("exponential:1", [1.0], "lu")
    with pytest.raises(TooLargeError, match="300 rates exceed max_m=256"):
        project("exponential:1", np.arange(1.0, 301.0))
    assert get_project_route("qr").__name__ == "_project_qr"


def test_rate_grid():
    assert rate_grid(4, "geometric", lo=1.0, hi=8.0).tolist() == pytest.approx([1, 2, 4, 8])
    g = rate_grid(9)
    assert np.allclose(np.diff(np.log(g)), math.pi / 3) and g[4] == pytest.approx(1.0)
    with pytest.raises(SpecError, match="unknown kind 'cheb'"):
        rate_grid(3, "cheb")
    with pytest.raises(SpecError, match="need 0 < lo < hi"):
        rate_grid(3, "geometric", lo=2.0, hi=1.0)
    with pytest.raises(SpecError, match="m must be an integer >= 1; got 0"):
        rate_grid(0)


@pytest.mark.slow
def test_best_exponential_sum_is_monotone_upper_bound():
    res = best_exponential_sum("polynomial:0.5", 5, l1=False, starts=3)
    errs = np.array(res.l2_sq_error)
    assert np.all(np.diff(errs) <= 1e-14 * errs[:-1])
    # each reported error is the exact error of its rates (independent reference)
    a_ref, e_ref = _mp_reference(lambda t: (1 + t) ** mp.mpf(-1.5), res.rates[2])
    assert errs[2] == pytest.approx(e_ref, rel=1e-10)
    # free rates beat (or tie) the fixed grid of the same size
    assert errs[3] <= project("polynomial:0.5", rate_grid(4)).l2_sq_error
    # a two-exponential target is recovered at m = 2
    two = best_exponential_sum("exponential:1+exponential:4", 2, l1=False)
    assert two.l2_sq_error[1] < 1e-20
    assert sorted(two.rates[1]) == pytest.approx([1.0, 4.0], rel=1e-6)
    assert two.to_dict()["label"].startswith("upper bound")


def test_best_exponential_sum_refuses_large_m():
    with pytest.raises(TooLargeError, match="max_m=41 > 40"):
        best_exponential_sum("exponential:1", 41)
    with pytest.raises(SpecError, match="max_m must be an integer >= 1"):
        best_exponential_sum("exponential:1", 0)


def _mp_l1(f, a, w, pts):
    with mp.workdps(25):
        r = lambda t: f(t) - mp.fsum(mp.mpf(ai) * _ex(mp.mpf(wi) * t) for ai, wi in zip(a, w))  # noqa: E731
        # split at the sign changes, located by mpmath on a fine grid
        grid = [mp.mpf(x) for x in np.concatenate([[0], np.geomspace(1e-4, 200, 3000)])]
        vals = [r(x) for x in grid]
        cuts = [mp.mpf(0)]
        for x0, x1, v0, v1 in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
            if v0 * v1 < 0 and not any(x0 < p <= x1 for p in pts):  # a jump is no root
                cuts.append(mp.findroot(r, (x0, x1), solver="anderson"))
        cuts = sorted(set(cuts) | set(pts))
        us = [mp.log1p(c) for c in cuts]
        return float(mp.fsum(abs(mp.quad(lambda u: r(mp.expm1(u)) * mp.exp(u) if u < 3000 else 0, [u0, u1]))
                             for u0, u1 in zip(us, us[1:] + [mp.inf])))


def test_l1_error_against_mpmath():
    p = project("polynomial:1", rate_grid(4))
    got = l1_error("polynomial:1", p.coefs, p.rates)
    ref = _mp_l1(lambda t: (1 + t) ** -2, p.coefs, p.rates, [mp.mpf(0)])
    assert got.value == pytest.approx(ref, rel=1e-10)
    assert got.sign_changes >= 3 and got.bound < 1e-12
    q = project("delayed:2", rate_grid(3))
    got = l1_error("delayed:2", q.coefs, q.rates)
    ref = _mp_l1(lambda t: _ex(t - 2) if t > 2 else mp.mpf(0), q.coefs, q.rates,
                 [mp.mpf(2)])
    assert got.value == pytest.approx(ref, rel=1e-10)
    # no exponentials: ||rho||_1; the polynomial tail is included exactly
    assert l1_error("polynomial:0.1", [], []).value == pytest.approx(10.0, rel=1e-13)
    # a sum of both signs through Kernel.l1_norm
    k = parse_kernel("exponential:1+-1*exponential:2")  # e^-t - e^-2t >= 0
    assert k.l1_norm() == pytest.approx(0.5, rel=1e-13)
    with pytest.raises(SpecError, match="coefs and rates must have the same length; got 1 and 2"):
        l1_error("exponential:1", [1.0], [1.0, 2.0])


def test_rnn_kernel_diagonal_is_exponential_sum():
    w = np.array([0.5, 2.0, 3.0])
    U = np.array([1.0, -2.0, 0.5])
    c = np.array([2.0, 1.0, -1.0])
    t = np.array([0.0, 0.3, 1.7, 5.0])
    assert np.allclose(rnn_kernel(-np.diag(w), U, c, t), exp_sum(c * U, w, t), rtol=1e-13)


def test_rnn_kernel_dense_by_eigendecomposition():
    rng = np.random.default_rng(1)
    V = rng.standard_normal((3, 3))
    lam = np.array([-0.5, -1.0, -2.5])
    W = V @ np.diag(lam) @ np.linalg.inv(V)
    U, c = rng.standard_normal(3), rng.standard_normal(3)
    coefs = (c @ V) * (np.linalg.inv(V) @ U)
    t = np.array([0.0, 0.4, 2.0])
    assert np.allclose(rnn_kernel(W, U, c, t), exp_sum(coefs, -lam, t), rtol=1e-11)


def test_discrete_kernel_converges_to_continuous():
    W = np.array([[-1.0, 0.5], [0.0, -2.0]])
    U, c = np.array([1.0, 1.0]), np.array([1.0, -0.5])
    errs = []
    for dt in (0.1, 0.01, 0.001):
        n = int(round(2.0 / dt)) + 1
        d = rnn_kernel_discrete(np.eye(2) + dt * W, dt * U, c, n) / dt
        errs.append(abs(d[-1] - rnn_kernel(W, U, c, [2.0])[0]))
    assert errs[2] < errs[1] < errs[0] and errs[2] < 1e-3
    assert errs[0] / errs[1] == pytest.approx(10, rel=0.2)  # Euler: first order


def test_rnn_kernel_errors():
    with pytest.raises(SpecError, match=r"W must be a square matrix; got shape \(2, 3\)"):
        rnn_kernel(np.zeros((2, 3)), np.ones(2), np.ones(2), [0.0])
    with pytest.raises(SpecError, match=r"U must have shape \(2,\) or \(2, k\)"):
        rnn_kernel(np.zeros((2, 2)), np.ones(3), np.ones(2), [0.0])
    with pytest.raises(SpecError, match=r"c must have shape \(2,\)"):
        rnn_kernel_discrete(np.zeros((2, 2)), np.ones(2), np.ones(3), 4)
    with pytest.raises(SpecError, match="n must be an integer >= 1; got 0"):
        rnn_kernel_discrete(np.zeros((2, 2)), np.ones(2), np.ones(2), 0)


def test_results_are_frozen_dataclasses_with_to_dict():
    # issue 19: one result convention; each to_dict is JSON-able and matches the fields
    import dataclasses
    import json

    from tnrnn.linear_rnn import gradient_flow, l1_error, linear_functional_dataset
    from tnrnn.linear_rnn.experiments import fit_exponent

    p = project("exponential:1", [2.0])
    e = l1_error("exponential:1", [2.0], [1.0])
    b = best_exponential_sum("exponential:1+exponential:4", 2, l1=False, starts=2)
    d = linear_functional_dataset("exponential:1", n=2, T=4, dt=0.5, seed=0)
    f = fit_exponent([6, 7, 8, 9], [6.0 ** -2, 7.0 ** -2, 8.0 ** -2, 9.0 ** -2])
    results = [p, e, b, d, f]
    pytest.importorskip("jax")
    results.append(gradient_flow("exponential:1", [0.0], [1.0], lr=0.5, steps=20, chunk=10))
    for r in results:
        assert dataclasses.is_dataclass(r) and type(r).__dataclass_params__.frozen, type(r)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(r, dataclasses.fields(r)[0].name, None)
        json.dumps(r.to_dict())
    # the dicts say what the fields say (independent closed forms where known)
    assert p.to_dict()["l2_sq_error"] == pytest.approx(1 / 18, rel=1e-12)  # (v-w)^2/(2v(v+w)^2)
    assert p.to_dict()["rates"] == [2.0] and p.to_dict()["route"] == "exact"
    assert e.to_dict()["value"] == pytest.approx(1.0, rel=1e-12)
    assert e.to_dict()["sign_changes"] == 0
    assert b.to_dict()["m"] == [1, 2] and b.to_dict()["l2_sq_error"] == list(b.l2_sq_error)
    assert np.array_equal(np.array(d.to_dict()["y"]), d.y) and d.to_dict()["dt"] == 0.5
    assert f.to_dict()["exponent"] == pytest.approx(2.0, rel=1e-12) and f.points == 4
