"""tnrnn.cells: step functions against hand-written numpy, the RAC stack against
tnrnn.evaluate, scoRNN's Cayley parametrisation, parameter counts and budgets."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from tnrnn import RAC, RACParams, evaluate  # noqa: E402
from tnrnn.cells import (cayley, cayley_grad, cell_names, count_params, get_cell,  # noqa: E402
                         init_cell, make_apply, outside_grads, outside_refresh, stack,
                         stack_param_count, trainable_mask, width_for_budget)
from tnrnn.errors import SpecError  # noqa: E402


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------ RAC = evaluate


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_rac_stack_equals_circuit_evaluate(depth):
    H, M, T, K = 3, 4, 7, 2
    with jax.enable_x64(True):
        params, apply = stack("rac", depth=depth, hidden=H, input_dim=M, outputs=K, seed=depth,
                              dtype="float64")
        # move the weights away from the near-identity start (any weights must agree)
        rng = np.random.default_rng(10)
        for layer in params.layers:
            layer["W_H"] = rng.standard_normal(layer["W_H"].shape)
            layer["W_I"] = rng.standard_normal(layer["W_I"].shape)
            layer["h0"] = rng.standard_normal(H)
        X = rng.standard_normal((5, T, M))
        got = np.asarray(apply(params, X))
    spec = RAC(depth=depth, hidden=H, input_dim=M, length=T, outputs=K)
    rp = RACParams(W_H=tuple(l["W_H"] for l in params.layers),
                   W_I=tuple(l["W_I"] for l in params.layers),
                   W_O=params.readout["W_O"], h0=tuple(l["h0"] for l in params.layers))
    want = evaluate(spec, rp, X)
    assert got.dtype == np.float64
    assert rel_err(got, want) < 1e-12


# ------------------------------------------------------------------ steps vs numpy


def _np_lstm(p, h, c, x):
    g = p["W_ih"] @ x + p["W_hh"] @ h + p["b"]
    H = h.shape[0]
    i, f, gg, o = g[:H], g[H:2 * H], g[2 * H:3 * H], g[3 * H:]
    c2 = sig(f) * c + sig(i) * np.tanh(gg)
    return sig(o) * np.tanh(c2), c2


def _np_gru(p, h, x):
    H = h.shape[0]
    Wi, Wh, bi, bh = p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"]
    r = sig(Wi[:H] @ x + bi[:H] + Wh[:H] @ h + bh[:H])
    z = sig(Wi[H:2 * H] @ x + bi[H:2 * H] + Wh[H:2 * H] @ h + bh[H:2 * H])
    n = np.tanh(Wi[2 * H:] @ x + bi[2 * H:] + r * (Wh[2 * H:] @ h + bh[2 * H:]))
    return (1 - z) * n + z * h


def test_lstm_step_equals_numpy():
    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        p = init_cell("lstm", input_dim=3, hidden=5, seed=2, dtype="float64")
        cell = get_cell("lstm")
        h, c = rng.standard_normal(5), rng.standard_normal(5)
        hj, cj = np.asarray(h), np.asarray(c)
        for t in range(6):
            x = rng.standard_normal(3)
            h, c = _np_lstm(p, h, c, x)
            hj, cj = cell.step(p, (hj, cj), x)
        assert rel_err(hj, h) < 1e-12 and rel_err(cj, c) < 1e-12
        # a batch of states gives the same rows
        X = rng.standard_normal((4, 3))
        hb, cb = cell.step(p, (np.zeros((4, 5)), np.zeros((4, 5))), X)
        for n in range(4):
            hn, cn = _np_lstm(p, np.zeros(5), np.zeros(5), X[n])
            assert rel_err(hb[n], hn) < 1e-12 and rel_err(cb[n], cn) < 1e-12


def test_gru_step_equals_numpy():
    rng = np.random.default_rng(3)
    with jax.enable_x64(True):
        p = init_cell("gru", input_dim=2, hidden=4, seed=5, dtype="float64")
        cell = get_cell("gru")
        h = rng.standard_normal(4)
        hj = h.copy()
        for t in range(6):
            x = rng.standard_normal(2)
            h = _np_gru(p, h, x)
            hj = cell.step(p, hj, x)
        assert rel_err(hj, h) < 1e-12


@pytest.mark.parametrize("kind", ["tanh", "relu", "mi-rnn", "linear", "scornn", "rac"])
def test_other_steps_equal_numpy(kind):
    rng = np.random.default_rng(4)
    with jax.enable_x64(True):
        p = init_cell(kind, input_dim=3, hidden=4, seed=1, dtype="float64")
        h, x = rng.standard_normal(4), rng.standard_normal(3)
        got = np.asarray(get_cell(kind).step(p, h, x))
    if kind in ("tanh", "relu"):
        z = p["W_ih"] @ x + p["W_hh"] @ h + p["b"]
        want = np.tanh(z) if kind == "tanh" else np.maximum(z, 0)
    elif kind == "mi-rnn":
        want = np.tanh((p["W_H"] @ h) * (p["W_I"] @ x) + p["b"])
    elif kind == "rac":
        want = (p["W_H"] @ h) * (p["W_I"] @ x)
    elif kind == "linear":
        want = p["A"] @ h + p["B"] @ x
    else:
        z = p["U"] @ x + p["W"] @ h
        want = np.sign(z) * np.maximum(np.abs(z) + p["b"], 0)
    assert rel_err(got, want) < 1e-12


def test_stack_runs_layers_in_sequence():
    """A depth-2 tanh stack equals the step-by-step numpy recurrence."""
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        params, apply = stack("tanh", depth=2, hidden=3, input_dim=2, outputs=2, seed=1,
                              dtype="float64")
        X = rng.standard_normal((2, 5, 2))
        got = np.asarray(apply(params, X))
        every = np.asarray(make_apply("tanh", every_step=True)(params, X))
    for n in range(2):
        hs = [np.zeros(3), np.zeros(3)]
        outs = []
        for t in range(5):
            inp = X[n, t]
            for l, p in enumerate(params.layers):
                hs[l] = np.tanh(p["W_ih"] @ inp + p["W_hh"] @ hs[l] + p["b"])
                inp = hs[l]
            outs.append(params.readout["W_O"] @ inp + params.readout["b_O"])
        assert rel_err(got[n], outs[-1]) < 1e-12
        assert rel_err(every[n], np.array(outs)) < 1e-12


# ------------------------------------------------------------------ scoRNN


def test_cayley_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    H = 5
    B = rng.standard_normal((H, H))
    A = (B - B.T) / 4
    D = np.array([1, 1, -1, 1, -1.0])
    G = rng.standard_normal((H, H))  # loss = sum(G * W)  =>  dL/dW = G

    def loss(A_):
        return float(np.sum(G * cayley(A_, D)))

    W = cayley(A, D)
    gA = cayley_grad(A, D, W, G)
    assert np.allclose(gA, -gA.T)
    # directional derivatives along skew directions
    for _ in range(3):
        E = rng.standard_normal((H, H))
        E = E - E.T
        eps = 1e-6
        fd = (loss(A + eps * E) - loss(A - eps * E)) / (2 * eps)
        # <gA, E> counts each free entry twice (E and gA skew): use half the Frobenius product
        assert abs(0.5 * np.sum(gA * E) - fd) < 1e-6 * max(1, abs(fd))


def test_scornn_W_stays_orthogonal_after_updates():
    with jax.enable_x64(True):
        params, apply = stack("scornn", depth=2, hidden=6, input_dim=3, outputs=2, seed=0,
                              dtype="float64")
        X = np.random.default_rng(0).standard_normal((4, 5, 3))

        def loss(p):
            return jax.numpy.sum(apply(p, X) ** 2)

        grad = jax.jit(jax.grad(loss))  # one compilation for the 5 updates
        for _ in range(5):
            g = outside_grads(params, jax.tree.map(np.asarray, grad(params)))
            params = jax.tree.map(lambda a, b: np.asarray(a) - 0.01 * np.asarray(b), params, g)
            params = outside_refresh(params)
    for layer in params.layers:
        W, A = layer["W"], layer["A"]
        assert np.max(np.abs(W.T @ W - np.eye(6))) < 1e-12
        assert np.max(np.abs(A + A.T)) == 0.0
        assert np.any(np.abs(A) > 0)


# ------------------------------------------------------------------ counts, budgets


@pytest.mark.parametrize("kind", ["rac", "mi-rnn", "tanh", "relu", "lstm", "gru", "scornn",
                                  "linear"])
def test_count_params_closed_forms(kind):
    I, H, K, L = 5, 7, 3, 3
    per_layer = {  # trained scalars of one layer, written out by hand
        "rac": lambda i: H * H + H * i, "mi-rnn": lambda i: H * H + H * i + H,
        "tanh": lambda i: H * i + H * H + H, "relu": lambda i: H * i + H * H + H,
        "lstm": lambda i: 4 * H * i + 4 * H * H + 4 * H,
        "gru": lambda i: 3 * H * i + 3 * H * H + 6 * H,
        "scornn": lambda i: H * i + H * (H - 1) // 2 + H, "linear": lambda i: H * H + H * i}
    readout = K * H + (0 if kind == "rac" else K)
    want = per_layer[kind](I) + (L - 1) * per_layer[kind](H) + readout
    params, _ = stack(kind, depth=L, hidden=H, input_dim=I, outputs=K)
    assert count_params(params) == want
    assert stack_param_count(kind, depth=L, hidden=H, input_dim=I, outputs=K) == want


@pytest.mark.parametrize("kind", cell_names())
def test_width_for_budget_within_5_percent(kind):
    for depth in (1, 2, 3):
        H = width_for_budget(kind, depth=depth, budget=20_000, input_dim=34, outputs=34)
        params, _ = stack(kind, depth=depth, hidden=H, input_dim=34, outputs=34)
        assert abs(count_params(params) - 20_000) <= 0.05 * 20_000


def test_trainable_mask_freezes_scornn_W_D():
    params, _ = stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1)
    assert trainable_mask(params).layers[0] == {"U": True, "A": True, "D": False,
                                                   "W": False, "b": True}


# ------------------------------------------------------------------ errors


def test_errors():
    with pytest.raises(SpecError, match="unknown cell kind 'xyz'; valid kinds: exprnn, gru"):
        get_cell("xyz")
    with pytest.raises(SpecError, match="cell kind must be a string; got 3"):
        get_cell(3)
    with pytest.raises(SpecError, match="dtype must be one of float32, float64; got 'int8'"):
        stack("lstm", depth=1, hidden=2, input_dim=2, outputs=1, dtype="int8")
    with pytest.raises(SpecError, match=r"cell 'lstm' has no option\(s\) \['bogus'\]"):
        stack("lstm", depth=1, hidden=2, input_dim=2, outputs=1, options={"bogus": 1})
    with pytest.raises(SpecError, match="depth must be an integer >= 1; got 0"):
        stack("gru", depth=0, hidden=2, input_dim=2, outputs=1)
    with pytest.raises(SpecError, match="scornn option negative must be in"):
        init_cell("scornn", input_dim=2, hidden=3, negative=5)
    with pytest.raises(SpecError, match="comes within 5% of the budget 10 parameters"):
        width_for_budget("gru", depth=2, budget=10, input_dim=4, outputs=4)
    with pytest.raises(SpecError, match="params must be a Model or a stack's or a cell's dict; got list"):
        count_params([1, 2])
