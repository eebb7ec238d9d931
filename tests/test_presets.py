"""tnrnn.dynamics' LSTM and Elman maps run tnrnn.cells' step functions (issue 19:
one implementation of each cell); checked against the equations in numpy."""

import numpy as np
import pytest

pytest.importorskip("jax")

from tnrnn.dynamics import elman_map, lstm_map, simulate, stabilize_lstm  # noqa: E402


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _np_lstm(p, x, u):
    H = p["W_hh"].shape[1]
    z = p["W_hh"] @ x[:H]
    if "W_ih" in p:
        z = z + p["W_ih"] @ u
    if "b" in p:
        z = z + p["b"]
    c = _sig(z[H:2 * H]) * x[H:] + _sig(z[:H]) * np.tanh(z[2 * H:3 * H])
    return np.concatenate([_sig(z[3 * H:]) * np.tanh(c), c])


@pytest.mark.parametrize("keys", [("W_hh",), ("W_hh", "b"), ("W_hh", "W_ih"),
                                  ("W_hh", "W_ih", "b")])
def test_lstm_map_is_the_lstm_equations(keys):
    rng = np.random.default_rng(1)
    full = {"W_hh": rng.standard_normal((12, 3)), "W_ih": rng.standard_normal((12, 2)),
            "b": rng.standard_normal(12)}
    p = stabilize_lstm({k: full[k] for k in keys}) if "b" in keys else {k: full[k] for k in keys}
    x, u = rng.standard_normal(6), rng.standard_normal(2)
    got = simulate(lstm_map(p), x, steps=20, u=u)
    want = [x]
    for _ in range(20):
        want.append(_np_lstm(p, want[-1], u))
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-14)
    assert got.dtype == np.float64


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("keys", [("W_hh",), ("W_hh", "W_ih"), ("W_hh", "W_ih", "b")])
def test_elman_map_is_the_elman_equations(nonlinearity, keys):
    rng = np.random.default_rng(2)
    full = {"W_hh": rng.standard_normal((3, 3)) / 2, "W_ih": rng.standard_normal((3, 2)),
            "b": rng.standard_normal(3)}
    p = {k: full[k] for k in keys}
    act = np.tanh if nonlinearity == "tanh" else (lambda z: np.maximum(z, 0.0))
    x, u = rng.standard_normal(3), rng.standard_normal(2)
    got = simulate(elman_map(p, nonlinearity=nonlinearity), x, steps=15, u=u)
    want = [x]
    for _ in range(15):
        z = p["W_hh"] @ want[-1] + (p["W_ih"] @ u if "W_ih" in p else 0) + p.get("b", 0)
        want.append(act(z))
    np.testing.assert_allclose(got, np.array(want), rtol=1e-12, atol=1e-14)
