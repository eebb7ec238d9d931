"""Lipschitz bounds, Jacobian norms, regions, loss slices, sharpness and the
Miller-Hardt projection, against closed forms and step-by-step numpy."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from tnrnn.dynamics import (BOUNDS, MILLER_HARDT, cell_map, elman_map,  # noqa: E402
                            jacobian_norms, lipschitz_bound, loss_slice, loss_slice_2d, lstm_map,
                            region, sharpness, simulate, stabilize_lstm)
from tnrnn.errors import SpecError  # noqa: E402

cells = pytest.importorskip("tnrnn.cells")


# ---------------------------------------------------------------- Elman bound
def test_elman_bound_is_spectral_norm_attained_at_zero_preactivation():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 6))
    U = rng.standard_normal((6, 2))
    b = rng.standard_normal(6)
    p = {"W_hh": W, "W_ih": U, "b": b}
    bd = lipschitz_bound("tanh", p)
    assert bd.value == float(np.linalg.norm(W, 2)) and bd.attained
    f = elman_map(p)
    # zero pre-activation: choose x with W x + U u + b = 0 (u = 0)
    x_star = np.linalg.solve(W, -b)
    at_zero = jacobian_norms(lambda x: f(x, np.zeros(2)), x_star)
    assert abs(at_zero - bd.value) < 1e-12 * bd.value
    # along visited states, never above the bound
    us = rng.standard_normal((300, 2))
    traj = simulate(f, rng.standard_normal(6), steps=300, inputs=us)
    norms = jacobian_norms(f, traj[:-1], inputs=us)  # state x_k with the input it meets
    assert np.all(norms <= bd.value * (1 + 1e-12))
    assert np.all(jacobian_norms(lambda x: f(x, np.zeros(2)), traj) <= bd.value * (1 + 1e-12))


def test_elman_jacobian_matches_closed_form():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4, 4))
    f = lambda x: jnp.tanh(W @ x)  # noqa: E731
    X = rng.standard_normal((5, 4))
    got = jacobian_norms(f, X)
    expect = [np.linalg.norm(np.diag(1 - np.tanh(W @ x) ** 2) @ W, 2) for x in X]
    assert np.allclose(got, expect, rtol=1e-12)


def test_linear_and_scornn_bounds():
    A = np.array([[0.5, 2.0], [0.0, 0.1]])
    bd = lipschitz_bound("linear", {"A": A, "B": np.ones((2, 1))})
    assert bd.value == float(np.linalg.norm(A, 2)) and bd.attained
    p = cells.init_cell("scornn", input_dim=2, hidden=6, seed=0)
    assert abs(lipschitz_bound("scornn", p).value - 1.0) < 1e-6  # orthogonal W (float32)


# ---------------------------------------------------------------- gated and RAC bounds
@pytest.mark.parametrize("kind", ["lstm", "gru", "rac", "mi-rnn", "tanh", "relu", "scornn",
                                  "linear"])
def test_bounds_cover_visited_states(kind):
    """Empirical ||Df|| along orbits driven by inputs in the ball never exceeds the bound."""
    rng = np.random.default_rng(2)
    p = cells.init_cell(kind, input_dim=3, hidden=5, seed=3)
    if kind in ("lstm", "gru", "tanh", "relu"):  # larger weights: the bound is tested harder
        p = {k: 3 * np.asarray(v, np.float64) for k, v in p.items()}
    f, x0 = cell_map(kind, p)
    bd = lipschitz_bound(kind, p, input_radius=1.0)
    us = rng.uniform(-1, 1, (200, 3))
    traj = simulate(f, x0, steps=200, inputs=us)
    worst = np.max(jacobian_norms(f, traj[:-1], inputs=us))
    assert worst <= bd.value * (1 + 1e-9), (kind, worst, bd.value)


def test_rac_bound_grows_with_input_and_onehot_is_tighter():
    p = cells.init_cell("rac", input_dim=3, hidden=4, seed=0)
    small = lipschitz_bound("rac", p, input_radius=1.0)
    big = lipschitz_bound("rac", p, input_radius=2.0)
    onehot = lipschitz_bound("rac", p, onehot=True)
    assert abs(big.value - 2 * small.value) < 1e-12 * big.value
    assert onehot.value <= small.value
    assert "grows with the input" in small.note and not small.attained
    # one-hot inputs: Df = diag(W_I e_k) W_H, the bound is max_k ||diag(W_I e_k)||...
    W_H = np.asarray(p["W_H"], np.float64)
    W_I = np.asarray(p["W_I"], np.float64)
    exact = max(np.linalg.norm(np.diag(W_I[:, k]) @ W_H, 2) for k in range(3))
    assert exact <= onehot.value * (1 + 1e-12)


def test_lstm_bound_covers_the_chaotic_lstm():
    from tnrnn.dynamics import chaotic_lstm

    p = chaotic_lstm()
    bd = lipschitz_bound("lstm", p.params)
    traj = simulate(p.f, p.x0, steps=2000)
    assert np.max(np.abs(traj[:, 2:])) <= float(bd.domain.split("|c| <= ")[1].split(" ")[0])
    assert np.max(jacobian_norms(p.f, traj)) <= bd.value


# ---------------------------------------------------------------- cell maps
def test_cell_map_matches_presets_and_numpy():
    rng = np.random.default_rng(4)
    p = {"W_ih": rng.standard_normal((8, 1)), "W_hh": rng.standard_normal((8, 2)),
         "b": rng.standard_normal(8)}
    f, x0 = cell_map("lstm", p)
    assert np.array_equal(x0, np.zeros(4))
    x, u = rng.standard_normal(4), rng.standard_normal(1)
    a = simulate(f, x, steps=3, u=u)
    b = simulate(lstm_map(p), x, steps=3, u=u)
    assert np.allclose(a, b, rtol=1e-13, atol=1e-14)
    fe, _ = cell_map("elman", {"W_ih": p["W_ih"][:2], "W_hh": p["W_hh"][:2], "b": p["b"][:2]})
    xe = rng.standard_normal(2)
    expect = np.tanh(p["W_hh"][:2] @ xe + p["W_ih"][:2] @ u + p["b"][:2])
    assert np.allclose(simulate(fe, xe, steps=1, u=u)[1], expect, rtol=1e-13)


def test_cell_map_of_a_stack():
    params, _ = cells.stack("tanh", depth=2, hidden=3, input_dim=2, outputs=1, seed=0)
    f, x0 = cell_map("tanh", params)
    assert x0.shape == (6,)
    l0, l1 = ({k: np.asarray(v, np.float64) for k, v in lay.items()} for lay in params.layers)
    x, u = np.arange(6) / 10.0, np.array([0.3, -0.2])
    h0 = np.tanh(l0["W_hh"] @ x[:3] + l0["W_ih"] @ u + l0["b"])
    h1 = np.tanh(l1["W_hh"] @ x[3:] + l1["W_ih"] @ h0 + l1["b"])
    assert np.allclose(simulate(f, x, steps=1, u=u)[1], np.concatenate([h0, h1]), rtol=1e-12)


# ---------------------------------------------------------------- regions
def test_region_labels():
    assert region(0.97) == "contracting" and region(1.0) == "boundary"
    assert region(1.03) == "expanding" and region(1.03, tol=0.05) == "boundary"
    assert list(region([0.5, np.nan])) == ["contracting", "undefined"]


# ---------------------------------------------------------------- loss slices
def test_loss_slice_end_points_exact_and_parabola():
    rng = np.random.default_rng(5)
    t0 = {"a": rng.standard_normal(3), "b": rng.standard_normal((2, 2))}
    t1 = {"a": rng.standard_normal(3), "b": rng.standard_normal((2, 2))}
    H = np.diag([1.0, 2.0, 3.0])
    loss = lambda t: 0.5 * t["a"] @ H @ t["a"] + jnp.sum(t["b"] ** 3)  # noqa: E731
    # the end points are theta0 and theta1 bit for bit: read every coordinate back
    for key, shape in (("a", (3,)), ("b", (2, 2))):
        for idx in np.ndindex(shape):
            ends = loss_slice(lambda t, key=key, idx=idx: t[key][idx], t0, t1, [0.0, 1.0])
            assert ends[0] == t0[key][idx] and ends[1] == t1[key][idx]
    ends = loss_slice(loss, t0, t1, [0.0, 1.0])
    expect = [0.5 * t["a"] @ H @ t["a"] + np.sum(t["b"] ** 3) for t in (t0, t1)]
    assert np.allclose(ends, expect, rtol=1e-13)
    quad = lambda t: 0.5 * t["a"] @ H @ t["a"]  # noqa: E731
    s = np.linspace(-1, 2, 31)
    d = t1["a"] - t0["a"]
    parab = 0.5 * (t0["a"] @ H @ t0["a"]) + s * (t0["a"] @ H @ d) + 0.5 * s ** 2 * (d @ H @ d)
    assert np.allclose(loss_slice(quad, t0, t1, s), parab, rtol=1e-12, atol=1e-12)


def test_loss_slice_2d_is_the_plane_each_point_once():
    rng = np.random.default_rng(6)
    t0, t1, t2 = (rng.standard_normal(4) for _ in range(3))
    s1, s2 = np.linspace(-0.5, 1.5, 7), np.linspace(0.0, 1.0, 5)
    L = loss_slice_2d(lambda t: jnp.sum(jnp.sin(t)), t0, t1, t2, s1, s2)
    assert L.shape == (7, 5)
    for i, a in enumerate(s1):
        for j, b in enumerate(s2):
            th = t0 + a * (t1 - t0) + b * (t2 - t0)
            assert abs(L[i, j] - np.sum(np.sin(th))) < 1e-12
    for k in range(4):  # the three corners are the points bit for bit
        c = loss_slice_2d(lambda t, k=k: t[k], t0, t1, t2, [0.0, 1.0], [0.0, 1.0])
        assert c[0, 0] == t0[k] and c[1, 0] == t1[k] and c[0, 1] == t2[k]
    # the published construction (theta0 counted twice) is a different surface
    wrong = [np.sum(np.sin(a * t1 + (1 - a) * t0 + b * t2 + (1 - b) * t0)) for a in s1
             for b in s2]
    assert np.max(np.abs(np.ravel(L) - wrong)) > 0.1


def test_sharpness_quadratic():
    rng = np.random.default_rng(7)
    Q = rng.standard_normal((5, 5))
    H = Q @ np.diag([5.0, 2.0, 1.0, 0.5, -1.0]) @ Q.T
    H = (H + H.T) / 2
    top = np.max(np.abs(np.linalg.eigvalsh(H)))
    got = sharpness(lambda t: 0.5 * t @ H @ t, np.ones(5), iters=300)
    assert abs(abs(got) - top) < 1e-8 * top


# ---------------------------------------------------------------- Miller-Hardt
def test_stabilize_lstm_column_sums_and_idempotent():
    rng = np.random.default_rng(8)
    H, I = 3, 2
    p = {"W_hh": rng.standard_normal((4 * H, H)), "W_ih": rng.standard_normal((4 * H, I)),
         "b": rng.standard_normal(4 * H)}
    p["W_hh"][:H, 1] = 0.0  # an all-zero column in W_hi stays zero
    original = {k: v.copy() for k, v in p.items()}
    q = stabilize_lstm(p)
    for g, key in enumerate("ifgo"):
        sums = np.abs(q["W_hh"][g * H:(g + 1) * H]).sum(axis=0)
        for col in range(H):
            want = 0.0 if (key == "i" and col == 1) else MILLER_HARDT[key]
            assert abs(sums[col] - want) <= 4 * np.finfo(float).eps
    assert np.allclose(np.abs(q["W_ih"][H:2 * H]).sum(axis=0), 0.25, rtol=0, atol=1e-15)
    for g in (0, 2, 3):  # other input blocks and the bias are untouched
        assert np.array_equal(q["W_ih"][g * H:(g + 1) * H], p["W_ih"][g * H:(g + 1) * H])
    assert np.array_equal(q["b"], p["b"])
    for k in p:
        assert np.array_equal(p[k], original[k])  # the input is not modified
    r = stabilize_lstm(q)
    for k in q:
        assert np.allclose(r[k], q[k], rtol=4 * np.finfo(float).eps, atol=0)
    # signs and directions are kept: each column is a positive multiple of the original
    ratio = q["W_hh"][H:2 * H] / p["W_hh"][H:2 * H]
    assert np.all(ratio > 0) and np.allclose(ratio, ratio[0:1], rtol=1e-12)


# ---------------------------------------------------------------- errors
def test_lipschitz_errors():
    with pytest.raises(SpecError, match="no Lipschitz bound for cell 'foo'; valid names"):
        lipschitz_bound("foo", {})
    with pytest.raises(SpecError, match="cell must be a cell name"):
        lipschitz_bound(3, {})
    with pytest.raises(SpecError, match="params must be a dict"):
        lipschitz_bound("tanh", [1])
    with pytest.raises(SpecError, match="one layer's weights"):
        lipschitz_bound("tanh", {"layers": []})
    with pytest.raises(SpecError, match="input_radius must be >= 0"):
        lipschitz_bound("tanh", {"W_hh": np.eye(2)}, input_radius=-1.0)
    with pytest.raises(SpecError, match="tanh parameters need 'W_hh'"):
        lipschitz_bound("tanh", {"A": np.eye(2)})
    with pytest.raises(SpecError, match="tol must be >= 0"):
        region(1.0, tol=-0.1)
    with pytest.raises(SpecError, match="cell must be a cell name"):
        cell_map(3, {})
    with pytest.raises(SpecError, match="params must be a dict"):
        cell_map("tanh", [1])
    with pytest.raises(SpecError, match="stabilize_lstm needs a dict of LSTM weights"):
        stabilize_lstm({"W": 1})
    with pytest.raises(SpecError, match="W_hh must have shape \\(4H, H\\)"):
        stabilize_lstm({"W_hh": np.ones((3, 2))})
    with pytest.raises(SpecError, match="W_ih must have shape \\(4H, I\\)"):
        stabilize_lstm({"W_hh": np.ones((4, 1)), "W_ih": np.ones((3, 1))})
    with pytest.raises(SpecError, match="nonlinearity must be 'tanh' or 'relu'"):
        elman_map({"W_hh": np.eye(1)}, nonlinearity="sigmoid")
    with pytest.raises(SpecError, match="s must be a non-empty 1-D array"):
        loss_slice(lambda t: t.sum(), np.zeros(1), np.ones(1), [[0.0]])
    with pytest.raises(SpecError, match="s must be a 1-D array of real numbers"):
        loss_slice(lambda t: t.sum(), np.zeros(1), np.ones(1), "ab")
    with pytest.raises(SpecError, match="theta1 must have the structure and shapes of theta0"):
        loss_slice(lambda t: t.sum(), np.zeros(1), np.ones(2), [0.0])
    with pytest.raises(SpecError, match="loss must be a callable"):
        sharpness(None, np.zeros(1))
    assert set(BOUNDS) >= {"tanh", "lstm", "gru", "rac", "mi-rnn", "scornn", "linear", "relu"}
