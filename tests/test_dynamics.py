"""tnrnn.dynamics against known dynamical systems (ground truth in closed form).

Every expected value here comes from mathematics or an independent
computation (integer arithmetic, mpmath root finding, numpy step-by-step
evaluation), never from the code under test, except the values marked
REGRESSION (our own earlier output, kept to catch changes).
"""

import math

import mpmath
import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from tnrnn.dynamics import (chaotic_lstm, fixed_points, get_preset, logistic_map,  # noqa: E402
                            lstm_map, lyapunov_spectrum, orbit_diagram, region_map,
                            sensitivity, simulate, stack_params, tanh_map)
from tnrnn.errors import SpecError, TooLargeError  # noqa: E402


def tanh_root(w):
    """The positive root of x = tanh(w x) for w > 1 (mpmath, 30 digits)."""
    with mpmath.workdps(30):
        return float(mpmath.findroot(lambda x: x - mpmath.tanh(w * x), 1.0))


# ----------------------------------------------------------------- linear maps
def test_simulate_linear_map_is_exact_powers():
    # integer matrix and state: every product is an exact float64 integer
    A = np.array([[2, 1, 0], [0, -1, 3], [1, 0, 1]])
    x0 = [1, -2, 3]
    traj = simulate(lambda x: jnp.asarray(A, jnp.float64) @ x, x0, steps=20)
    expect, x = [], [int(v) for v in x0]
    for _ in range(21):
        expect.append(list(x))
        x = [sum(int(A[i, j]) * x[j] for j in range(3)) for i in range(3)]
    assert max(abs(v) for row in expect for v in row) < 2 ** 53
    assert np.array_equal(traj, np.array(expect, dtype=float))


def test_simulate_batch_and_burn():
    A = np.array([[0.5, 0.0], [0.0, 2.0]])
    X0 = np.array([[1.0, 1.0], [2.0, -1.0]])
    traj = simulate(lambda x: A @ x, X0, steps=3, burn=2)
    assert traj.shape == (2, 4, 2)
    for i in range(2):
        for n in range(4):
            assert np.allclose(traj[i, n], np.linalg.matrix_power(A, n + 2) @ X0[i], rtol=0,
                               atol=1e-15)


def test_simulate_inputs_sequence_and_constant():
    # x[k+1] = x[k] / 2 + u[k]: closed form by hand
    us = np.array([1.0, 0.0, 2.0, 0.5])
    traj = simulate(lambda x, u: 0.5 * x + u, 0.0, steps=4, inputs=us)
    x, expect = 0.0, [0.0]
    for u in us:
        x = 0.5 * x + u
        expect.append(x)
    assert np.array_equal(traj, expect)
    const = simulate(lambda x, u: 0.5 * x + u, 0.0, steps=60, u=1.0)
    assert abs(const[-1] - 2.0) < 1e-15  # the fixed point 2 u


def test_lyapunov_triangular_linear_map_exact():
    # upper triangular: the QR frame stays the identity, R = A; exponents log|a_ii|
    A = np.array([[3.0, 1.0, -2.0], [0.0, -0.5, 4.0], [0.0, 0.0, 0.25]])
    res = lyapunov_spectrum(lambda x: A @ x, np.ones(3), steps=200)
    assert np.allclose(res.exponents, np.log([3.0, 0.5, 0.25]), rtol=0, atol=1e-10)
    assert res.exponents.shape == (3,) and np.all(res.stderr < 1e-10)
    top = lyapunov_spectrum(lambda x: A @ x, np.ones(3), steps=200, k=1)
    assert abs(top.max - np.log(3.0)) < 1e-2  # from a generic start, O(1/steps)


def test_lyapunov_diagonalizable_linear_map():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((4, 4))
    lam = np.array([1.5, -0.9, 0.6, 0.2])
    A = V @ np.diag(lam) @ np.linalg.inv(V)
    # 1,600 steps: 1.5^1600 ~ 1e282 stays in float64 range (an orbit that overflows is
    # reported as diverged, its exponents undefined)
    res = lyapunov_spectrum(lambda x: A @ x, rng.standard_normal(4), steps=1400, burn=200)
    assert res.status == "ok"
    assert np.allclose(res.exponents, np.sort(np.log(np.abs(lam)))[::-1], atol=5e-3)
    over = lyapunov_spectrum(lambda x: A @ x, np.ones(4), steps=4000, burn=200)
    assert over.status == "diverged" and np.all(np.isnan(over.exponents))


def test_lyapunov_logistic_map_ln2():
    p = logistic_map(4.0)
    res = lyapunov_spectrum(p.f, 0.3, steps=20000, burn=100)
    assert abs(res.max - math.log(2.0)) < 2e-3
    assert 0 < res.stderr[0] < 1e-2
    assert res.running.shape == (20, 1)
    batch = lyapunov_spectrum(p.f, [[0.1], [0.3], [0.7]], steps=20000, burn=100)
    assert batch.exponents.shape == (3, 1)
    assert np.all(np.abs(batch.exponents - math.log(2.0)) < 2e-3)


# ---------------------------------------------------------------- tanh map
# one w per property in the default run (each fixed-point search compiles for
# its map, seconds apiece); the others run with -m slow
@pytest.mark.parametrize("w", [-0.7, pytest.param(0.95, marks=pytest.mark.slow)])
def test_tanh_map_contracting(w):
    p = tanh_map(w)
    fp = fixed_points(p.f, np.linspace(-3, 3, 7)[:, None])
    assert np.allclose(fp.points, [0.0], atol=1e-12) and fp.stability == ["stable"]
    assert np.allclose(fp.eigenvalues.real, [[w]], atol=1e-12)
    res = lyapunov_spectrum(p.f, 0.3, steps=2000, burn=3000)
    assert abs(res.max - math.log(abs(w))) < 1e-6


@pytest.mark.parametrize("w", [1.5, pytest.param(3.0, marks=pytest.mark.slow)])
def test_tanh_map_pitchfork_branch(w):
    xs = tanh_root(w)
    fp = fixed_points(tanh_map(w).f, np.linspace(-3, 3, 13)[:, None])
    assert np.allclose(fp.points[:, 0], [-xs, 0.0, xs], rtol=0, atol=1e-12)
    assert fp.stability == ["stable", "unstable", "stable"]
    assert np.allclose(fp.eigenvalues[[0, 2], 0].real, w * (1 - xs ** 2), atol=1e-12)
    assert abs(fp.eigenvalues[1, 0].real - w) < 1e-12
    res = lyapunov_spectrum(tanh_map(w).f, 0.7, steps=1000, burn=200)
    assert abs(res.max - math.log(abs(w * (1 - xs ** 2)))) < 1e-9


def test_tanh_map_pitchfork_at_one():
    below = fixed_points(tanh_map(0.999).f, np.linspace(-2, 2, 9)[:, None])
    assert len(below.points) == 1
    above = fixed_points(tanh_map(1.01).f, np.linspace(-2, 2, 9)[:, None])
    assert len(above.points) == 3
    assert abs(above.points[2, 0] - tanh_root(1.01)) < 1e-10


@pytest.mark.parametrize("w", [-1.5])
def test_tanh_map_flip_period_two(w):
    xs = tanh_root(-w)  # x -> tanh(w x) maps x* to -x* and back
    fp = fixed_points(tanh_map(w).f, np.linspace(-3, 3, 7)[:, None])
    assert np.allclose(fp.points, [0.0], atol=1e-12) and fp.stability == ["unstable"]
    traj = simulate(tanh_map(w).f, 0.3, steps=6, burn=400)
    assert np.allclose(np.abs(traj), xs, atol=1e-12)
    assert np.all(np.sign(traj[1:]) == -np.sign(traj[:-1]))
    res = lyapunov_spectrum(tanh_map(w).f, 0.3, steps=1000, burn=400)
    assert abs(res.max - math.log(abs(w * (1 - xs ** 2)))) < 1e-9
    od = orbit_diagram(lambda p: (lambda x: jnp.tanh(p * x)), np.array([w]), n_init=3,
                       init_std=2.0, dim=1, steps=4, burn=400, seed=1)
    assert np.allclose(np.abs(od), xs, atol=1e-12)


def test_tanh_map_flip_at_minus_one():
    # for -1 < w < 0 the orbit spirals into 0; for w < -1 it settles on +-x*
    assert np.max(np.abs(simulate(tanh_map(-0.9).f, 0.5, steps=2, burn=400))) < 1e-15
    assert np.min(np.abs(simulate(tanh_map(-1.1).f, 0.5, steps=2, burn=2000))) > 0.4


# ----------------------------------------------------------- affine, contraction
def test_affine_fixed_point_exact():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    A *= 1.7 / np.max(np.abs(np.linalg.eigvals(A)))  # unstable: Newton finds it anyway
    b = rng.standard_normal(4)
    fp = fixed_points(lambda x: A @ x + b, rng.standard_normal((5, 4)))
    truth = np.linalg.solve(np.eye(4) - A, b)
    assert len(fp.points) == 1 and fp.counts[0] == 5
    assert np.allclose(fp.points[0], truth, rtol=1e-12, atol=1e-12)
    assert np.allclose(np.sort(np.abs(fp.eigenvalues[0])), np.sort(np.abs(np.linalg.eigvals(A))))
    assert fp.stability == ["unstable"]


def test_contraction_converges_from_every_start():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((5, 5))
    W *= 0.8 / np.linalg.norm(W, 2)
    b = rng.standard_normal(5)
    f = lambda x: jnp.tanh(W @ x + b)  # noqa: E731
    X0 = 5 * rng.standard_normal((6, 5))
    traj = simulate(f, X0, steps=60)
    L = 0.8
    for i in range(1, 6):
        gap = np.linalg.norm(traj[i] - traj[0], axis=1)
        bound = L ** np.arange(61) * gap[0]
        assert np.all(gap <= bound * (1 + 1e-12) + 1e-15)
    fp = fixed_points(f, X0)
    assert len(fp.points) == 1 and fp.stability == ["stable"]
    assert np.allclose(traj[:, -1], fp.points[0], atol=1e-5)


def test_sensitivity_linear_is_power_norm():
    A = np.array([[0.9, 0.5], [0.0, 0.7]])
    s = sensitivity(lambda x: A @ x, [1.0, 2.0], 10)
    expect = [np.linalg.norm(np.linalg.matrix_power(A, n), 2) for n in range(11)]
    assert np.allclose(s, expect, rtol=1e-12)
    driven = sensitivity(lambda x, u: A @ x + u, [1.0, 2.0], 3, inputs=np.ones((3, 2)))
    assert np.allclose(driven, expect[:4], rtol=1e-12)


# ---------------------------------------------------------------- the LSTM
def numpy_lstm_step(W_hh, h, c):
    """PyTorch's LSTM equations, zero input, no bias, step by step in numpy."""
    def sig(z):
        return 1 / (1 + np.exp(-z))
    H = len(h)
    z = W_hh @ h
    i, f, g, o = (z[k * H:(k + 1) * H] for k in range(4))
    c = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def test_chaotic_lstm_matches_numpy_equations():
    p = chaotic_lstm()
    assert p.params["W_hh"][0:2].tolist() == [[-1, -4], [-3, -2]]
    assert p.params["W_hh"][6:8].tolist() == [[4, 1], [-9, -7]]
    assert np.all(p.params["W_ih"] == 0) and np.all(p.x0 == 0.5)
    traj = simulate(p.f, p.x0, steps=30)
    h, c = np.full(2, 0.5), np.full(2, 0.5)
    for n in range(31):
        assert np.allclose(traj[n], np.concatenate([h, c]), rtol=1e-12, atol=1e-13)
        h, c = numpy_lstm_step(p.params["W_hh"], h, c)


def test_chaotic_lstm_exponent_positive_regression():
    p = get_preset("chaotic-lstm")
    res = lyapunov_spectrum(p.f, p.x0, steps=20000, burn=500)
    assert res.max > 0.05 and res.max > 5 * res.stderr[0]
    # the state volume contracts: the exponents sum to a negative number
    assert res.exponents.sum() < 0
    # REGRESSION: our own value (float64, steps=20000, burn=500); not from the paper
    assert abs(res.max - 0.1682) < 0.01


def test_lstm_map_input_and_bias():
    rng = np.random.default_rng(5)
    params = {"W_hh": rng.standard_normal((8, 2)), "W_ih": rng.standard_normal((8, 3)),
              "b": rng.standard_normal(8)}
    x, u = rng.standard_normal(4), rng.standard_normal(3)

    def sig(z):
        return 1 / (1 + np.exp(-z))
    z = params["W_hh"] @ x[:2] + params["W_ih"] @ u + params["b"]
    c = sig(z[2:4]) * x[2:] + sig(z[:2]) * np.tanh(z[4:6])
    expect = np.concatenate([sig(z[6:]) * np.tanh(c), c])
    got = simulate(lstm_map(params), x, steps=1, u=u)[1]
    assert np.allclose(got, expect, rtol=1e-12)


# ---------------------------------------------------------------- orbits
def test_orbit_diagram_checkpoints_and_inputs():
    # f(x, u) = a x + u: the only attractor is u / (1 - a)
    ps = stack_params([{"a": np.array(0.5)}, {"a": np.array(-0.5)}])
    od = orbit_diagram(lambda p: (lambda x, u: p["a"] * x + u), ps,
                       u_values=np.array([[1.0], [3.0]]), n_init=2, dim=1, steps=3, burn=200)
    assert od.shape == (2, 2, 2, 3, 1)
    for i, a in enumerate([0.5, -0.5]):
        for j, u in enumerate([1.0, 3.0]):
            assert np.allclose(od[i, :, j], u / (1 - a), atol=1e-12)
    obs = orbit_diagram(lambda a: (lambda x: a * x), np.array([0.0]), x0=[[1.0, 2.0]],
                        n_init=1, steps=2, burn=0, observe=lambda x: x[1:])
    assert obs.shape == (1, 1, 1, 2, 1) and np.all(obs == 0)


# ---------------------------------------------------------------- region map
def test_region_map_scalar_tanh_family():
    ws = np.array([0.5, -0.8, 2.0])  # times 1.0 and 0.6: never 1 (the bifurcation)
    rm = region_map(lambda p: (lambda x: jnp.tanh(p * x)), lambda a, b: a * b, ws,
                    [1.0, 0.6], 0.3, steps=1000, burn=2000, norm_every=100,
                    bound=lambda p: abs(float(p)))
    for i, w in enumerate(ws):
        for j, s in enumerate([1.0, 0.6]):
            ww = w * s
            expect = (math.log(abs(ww)) if abs(ww) < 1
                      else math.log(abs(ww * (1 - tanh_root(abs(ww)) ** 2))))
            assert abs(rm.lyapunov[i, j] - expect) < 1e-6
            assert rm.bound[i, j] == abs(ww)
            assert rm.sup_norm[i, j] <= rm.bound[i, j] * (1 + 1e-12)
    assert rm.regions(by="lyapunov")[0, 0] == "contracting"
    assert rm.regions()[2, 0] == "contracting"  # w = 2 sits where tanh' is small
    assert rm.regions()[2, 0] != region_of_bound(rm.bound[2, 0])


def region_of_bound(L):
    from tnrnn.dynamics import region
    return region(L)


def test_region_map_driven_and_loss():
    rng = np.random.default_rng(0)
    us = rng.standard_normal((300, 1))
    fam = lambda p: (lambda x, u: jnp.tanh(p["w"] * x + p["s"] * u))  # noqa: E731
    pt = lambda a, b: {"w": a, "s": b}  # noqa: E731
    loss = lambda p: 3.0 * p["w"] ** 2 + 0.5 * p["s"] ** 2 + p["w"] * p["s"]  # noqa: E731
    rm = region_map(fam, pt, [0.5, 1.5], [0.0, 1.0], [0.1], steps=200, burn=100, inputs=us,
                    loss=loss, hessian_iters=40)
    H = np.array([[6.0, 1.0], [1.0, 1.0]])
    assert np.allclose(rm.sharpness, np.max(np.linalg.eigvalsh(H)), rtol=1e-9)
    assert np.allclose(rm.grad_norm[1, 1], np.linalg.norm(H @ [1.5, 1.0]), rtol=1e-12)
    # zero input scale is the autonomous map
    assert abs(rm.lyapunov[0, 0] - math.log(0.5)) < 1e-2


def test_region_map_refuses_large_work():
    with pytest.raises(TooLargeError, match="raise max_work"):
        region_map(lambda p: (lambda x: p * x), lambda a, b: a, np.ones(100), np.ones(100),
                   np.ones(32), steps=2000, max_work=1e6)


# ---------------------------------------------------------------- float64 hygiene
def test_x64_does_not_leak():
    before = jax.config.jax_enable_x64
    simulate(lambda x: 0.5 * x, 1.0, steps=2)
    lyapunov_spectrum(lambda x: 0.5 * x, 1.0, steps=20)
    assert jax.config.jax_enable_x64 == before
    assert simulate(lambda x: x / 3, 1.0, steps=1).dtype == np.float64


# ---------------------------------------------------------------- bad input
def test_bad_inputs_raise_with_messages():
    f = lambda x: x  # noqa: E731
    with pytest.raises(SpecError, match="must be a callable map"):
        simulate(3, 1.0, steps=1)
    with pytest.raises(SpecError, match="steps must be an integer >= 0"):
        simulate(f, 1.0, steps=-1)
    with pytest.raises(SpecError, match="x0 must have shape"):
        simulate(f, np.zeros((2, 2, 2)), steps=1)
    with pytest.raises(SpecError, match="x0 is empty"):
        simulate(f, [], steps=1)
    with pytest.raises(SpecError, match="x0 contains NaN"):
        simulate(f, [np.nan], steps=1)
    with pytest.raises(SpecError, match="x0 must be a real array"):
        simulate(f, "abc", steps=1)
    with pytest.raises(SpecError, match="not both"):
        simulate(lambda x, u: x, 1.0, steps=1, u=1.0, inputs=[1.0])
    with pytest.raises(SpecError, match="one input per step run"):
        simulate(lambda x, u: x, 1.0, steps=3, inputs=[1.0])
    with pytest.raises(SpecError, match="for a constant input use u="):
        simulate(lambda x, u: x, 1.0, steps=1, inputs=1.0)
    with pytest.raises(SpecError, match="inputs contains NaN"):
        simulate(lambda x, u: x, 1.0, steps=1, inputs=[np.inf])
    with pytest.raises(SpecError, match="u contains NaN"):
        simulate(lambda x, u: x, 1.0, steps=1, u=np.nan)
    with pytest.raises(SpecError, match="u must be a real array"):
        simulate(lambda x, u: x, 1.0, steps=1, u="x")
    with pytest.raises(SpecError, match="inputs must be a real array"):
        simulate(lambda x, u: x, 1.0, steps=1, inputs="x")
    with pytest.raises(SpecError, match="could not be evaluated on a state of shape"):
        simulate(lambda x: x[:1], [1.0, 2.0], steps=1)
    with pytest.raises(SpecError, match="k must be between 1 and the state dimension 2"):
        lyapunov_spectrum(f, [1.0, 2.0], steps=40, k=3)
    with pytest.raises(SpecError, match="steps must be >= blocks"):
        lyapunov_spectrum(f, [1.0], steps=5)
    with pytest.raises(SpecError, match="tol must be a finite real number"):
        fixed_points(f, [1.0], tol=float("nan"))
    with pytest.raises(SpecError, match="tol must be > 0"):
        fixed_points(f, [1.0], tol=0.0)
    with pytest.raises(SpecError, match="give dim"):
        orbit_diagram(lambda p: f, np.ones(2))
    with pytest.raises(SpecError, match="x0 must have shape \\(n_init, dim\\)"):
        orbit_diagram(lambda p: f, np.ones(2), x0=np.ones(3), n_init=2)
    with pytest.raises(SpecError, match="stacked along a leading axis"):
        orbit_diagram(lambda p: f, 1.0, dim=1)
    with pytest.raises(SpecError, match="ps is empty"):
        orbit_diagram(lambda p: f, {}, dim=1)
    with pytest.raises(SpecError, match="u_values must have a leading axis"):
        orbit_diagram(lambda p: (lambda x, u: x), np.ones(2), dim=1, u_values=1.0)
    with pytest.raises(SpecError, match="could not be evaluated"):
        orbit_diagram(lambda p: (lambda x: x @ np.ones((3, 3))), np.ones(2), dim=2)
    with pytest.raises(TooLargeError, match="raise max_bytes"):
        orbit_diagram(lambda p: f, np.ones(2), dim=1, max_bytes=10)
    with pytest.raises(SpecError, match="checkpoints is empty"):
        stack_params([])
    with pytest.raises(SpecError, match="share one structure"):
        stack_params([{"a": np.zeros(2)}, {"a": np.zeros(3)}])
    with pytest.raises(SpecError, match="a_values and b_values must be non-empty"):
        region_map(lambda p: f, lambda a, b: a, [], [1.0], [1.0], steps=10)
    with pytest.raises(SpecError, match="norm_every must be <= steps"):
        region_map(lambda p: f, lambda a, b: a, [1.0], [1.0], [1.0], steps=10, norm_every=20)
    with pytest.raises(SpecError, match="by must be 'lipschitz' or 'lyapunov'"):
        region_map(lambda p: f, lambda a, b: a, [1.0], [1.0], [1.0], steps=10).regions(by="x")
    with pytest.raises(SpecError, match="no Lipschitz values"):
        region_map(lambda p: f, lambda a, b: a, [1.0], [1.0], [1.0], steps=10).regions()
    with pytest.raises(SpecError, match="unknown preset 'henon'; valid names"):
        get_preset("henon")
    with pytest.raises(SpecError, match="preset 'tanh': bad options"):
        get_preset("tanh", r=3)


# ---------------------------------------------------------------- issue 18: pairing, float64
def test_region_map_sup_norm_pairs_each_state_with_its_own_input():
    """sup ||D_x f(x_k, u_k)|| over the steps taken, x_{k+1} = tanh(x_k + u_k); the
    reference is computed apart, with plain numpy: the derivative of the step taken from
    x_k is 1 - tanh(x_k + u_k)^2."""
    us = np.array([[2.0], [0.0], [0.0]])
    rm = region_map(lambda p: (lambda x, u: jnp.tanh(p * x + u[0])), lambda a, b: a, [1.0],
                    [1.0], 0.0, steps=3, inputs=us, norm_every=1)
    x, derivs = 0.0, []
    for u in us[:, 0]:
        derivs.append(1.0 - np.tanh(x + u) ** 2)
        x = np.tanh(x + u)
    assert abs(max(derivs) - 0.5995675578926022) < 1e-15  # the 0.5996
    assert abs(rm.sup_norm[0, 0] - max(derivs)) < 1e-14
    # the old pairing (state after the step, input of the step before) gave 0.6864
    assert abs(rm.sup_norm[0, 0] - 0.6864) > 0.05


def test_region_map_sup_norm_every_second_step_and_burn():
    """norm_every = 2, burn = 1: the Jacobians of the steps from x_1 and x_3 (numpy)."""
    rng = np.random.default_rng(3)
    us = rng.standard_normal((5, 1))
    rm = region_map(lambda p: (lambda x, u: jnp.tanh(p * x + u[0])), lambda a, b: a, [1.3],
                    [1.0], 0.2, steps=4, burn=1, inputs=us, norm_every=2)
    xs = [0.2]
    for u in us[:, 0]:
        xs.append(np.tanh(1.3 * xs[-1] + u))
    ref = max(1.3 * (1.0 - np.tanh(1.3 * xs[k] + us[k, 0]) ** 2) for k in (1, 3))
    assert abs(rm.sup_norm[0, 0] - ref) < 1e-14


def test_cell_map_is_float64_outside_enable_x64():
    from tnrnn.cells import init_cell
    from tnrnn.dynamics import cell_map

    p = init_cell("tanh", input_dim=1, hidden=3, seed=0, dtype="float64")
    f, x0 = cell_map("tanh", p)
    x = np.array([0.1, -0.2, 0.3])
    with jax.enable_x64(False):  # JAX's float32 default, whatever the process set
        y = f(x, np.array([1.0 / 3.0]))
    assert y.dtype == np.float64
    ref = np.tanh(p["W_ih"] @ [1.0 / 3.0] + p["b"] + p["W_hh"] @ x)  # numpy, float64
    assert np.max(np.abs(np.asarray(y) - ref)) < 1e-15
