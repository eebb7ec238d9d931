"""benchmarks/bench_train_step.py: the FLOP count against a hand count and XLA's,
and the LSTM/GRU weight-gradient form (tnrnn.cells) against the plain ``x @ W.T``
implementation it replaced."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_train_step", ROOT / "benchmarks" / "bench_train_step.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_matmul_flops_hand_count(bench):
    # T = 3, H = 2, B = 5, I = 1, K = 1, LSTM (G = 4): forward per step the recurrent
    # (5 x 2) @ (2 x 8) = 2*5*2*8 = 160 and the projection (5 x 1) @ (1 x 8) = 80;
    # backward two products per recurrent one, one per projection (X needs no gradient);
    # readout (5 x 2) @ (2 x 1) = 20 forward, 40 backward
    f = bench.step_flops("lstm", T=3, hidden=2, batch=5, input_dim=1, outputs=1)
    assert f["matmul"] == 3 * (3 * 160 + 2 * 80) + 3 * 20
    g = bench.step_flops("tanh", T=3, hidden=2, batch=5, input_dim=1, outputs=1)
    assert g["matmul"] == 3 * (3 * 40 + 2 * 20) + 3 * 20
    assert f["total"] == f["matmul"] + f["elementwise"] + f["update"]


# the default run checks the tanh and LSTM counts (the GRU's, gates like the
# LSTM's, runs with -m slow)
@pytest.mark.parametrize("kind", ["tanh", "lstm", pytest.param("gru", marks=pytest.mark.slow)])
def test_flops_against_xla_cost_analysis(bench, kind):
    # XLA counts a while body once: one step's forward and backward times T is its
    # count of the scan; the analytic count (matmuls exact, elementwise by hand)
    # must agree within 10 %, and its matmul part alone must not exceed XLA's total
    T = 4
    rng = np.random.default_rng(0)
    X = rng.standard_normal((bench.BATCH, T, bench.INPUT)).astype(np.float32)
    y = rng.integers(0, bench.OUTPUTS, bench.BATCH)
    xla = bench.xla_step_costs(kind, X, y)
    f = bench.step_flops(kind, T=T)
    scan = f["total"] - f["update"] - 3 * 2 * bench.BATCH * bench.WIDTH * bench.OUTPUTS
    assert abs(xla["body_times_T_flops"] - scan) <= 0.10 * scan
    rec_proj = f["matmul"] - 3 * 2 * bench.BATCH * bench.WIDTH * bench.OUTPUTS
    assert rec_proj <= xla["body_times_T_flops"]


def _old_lstm(p, s, x):  # the implementation before issue 22: plain x @ W.T
    h, c = s
    g = x @ p["W_ih"].T + p["b"] + h @ p["W_hh"].T
    H = h.shape[-1]
    i, f, gg, o = (g[..., k * H:(k + 1) * H] for k in range(4))
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
    return (jax.nn.sigmoid(o) * jnp.tanh(c), c)


def _old_gru(p, h, x):
    u = x @ p["W_ih"].T + p["b_ih"]
    gh = h @ p["W_hh"].T + p["b_hh"]
    H = h.shape[-1]
    r = jax.nn.sigmoid(u[..., :H] + gh[..., :H])
    z = jax.nn.sigmoid(u[..., H:2 * H] + gh[..., H:2 * H])
    n = jnp.tanh(u[..., 2 * H:] + r * gh[..., 2 * H:])
    return (1.0 - z) * n + z * h


def _run(step, p, s, X):
    for t in range(X.shape[1]):
        s = step(p, s, X[:, t])
    return s


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cells_match_old_implementation(kind):
    from tnrnn.cells import get_cell, init_cell

    cell = get_cell(kind)
    old = _old_lstm if kind == "lstm" else _old_gru
    p = {k: jnp.asarray(v) for k, v in init_cell(kind, input_dim=3, hidden=5, seed=1).items()}
    X = jnp.asarray(np.random.default_rng(2).standard_normal((4, 6, 3)).astype(np.float32))
    s0 = cell.initial_state(p, 4)

    def loss(step, p):
        return jnp.sum(jnp.sin(cell.output(_run(step, p, s0, X))))

    assert np.allclose(loss(cell.step, p), loss(old, p), rtol=1e-6, atol=1e-6)
    g_new, g_old = jax.grad(lambda p: loss(cell.step, p))(p), jax.grad(lambda p: loss(old, p))(p)
    for k in p:
        np.testing.assert_allclose(g_new[k], g_old[k], rtol=1e-5, atol=1e-6)
    # the gradient is not trivially zero
    assert float(jnp.abs(g_new["W_hh"]).max()) > 1e-3
    # forward mode (the dynamics wing's jvp/linearize on the recurrence) and vmap
    h = jnp.asarray(np.random.default_rng(3).standard_normal(5).astype(np.float32))
    u = cell.project(p, X[0, 0])
    f_new = lambda h: cell.output(cell.recur(p, (h, h) if kind == "lstm" else h, u))  # noqa: E731
    f_old = lambda h: cell.output(old(p, (h, h) if kind == "lstm" else h, X[0, 0]))  # noqa: E731
    np.testing.assert_allclose(jax.jacfwd(f_new)(h), jax.jacfwd(f_old)(h), rtol=1e-5, atol=1e-6)
    Jw_new = jax.vmap(jax.grad(lambda x: jnp.sum(cell.output(cell.step(p, cell.initial_state(
        p, None), x)))))(X[:, 0])
    Jw_old = jax.vmap(jax.grad(lambda x: jnp.sum(cell.output(old(p, cell.initial_state(
        p, None), x)))))(X[:, 0])
    np.testing.assert_allclose(Jw_new, Jw_old, rtol=1e-5, atol=1e-6)


# every variant compiles for each cell: the LSTM's in the default run, the
# GRU's with -m slow
@pytest.mark.parametrize("kind", ["lstm", pytest.param("gru", marks=pytest.mark.slow)])
def test_variants_agree(bench, kind):
    # every profiled form gives the registered cell's forward value (float32 rounding)
    from tnrnn.cells import stack

    X = np.random.default_rng(0).standard_normal((3, 7, 2)).astype(np.float32)
    model, apply = stack(kind, depth=1, hidden=4, input_dim=2, outputs=2, seed=0)
    ref = np.asarray(apply(model, X))
    for name, kw in bench.VARIANTS.items():
        out = np.asarray(bench.variant_apply(kind, **kw)(model, X))
        np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6, err_msg=f"{kind} {name}")
