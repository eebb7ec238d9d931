"""The expRNN cell: W = expm(skew A) against scipy, orthogonality, the gradient
through A against finite differences, and its use everywhere a cell is used."""

import numpy as np
import pytest
import scipy.linalg

from tnrnn.cells import (count_params, exprnn_grad, exprnn_matrix, init_cell, outside_grads,
                         outside_refresh, skew, stack, stack_param_count, trainable_mask,
                         needs_outside_update, get_cell)
from tnrnn.errors import SpecError


def _A(H, seed=0):
    return np.random.default_rng(seed).standard_normal((H, H))


def test_matrix_is_scipy_expm_of_the_skew_part_and_orthogonal():
    A = _A(9)
    S = np.triu(A, 1) - np.triu(A, 1).T
    W = exprnn_matrix(A)
    assert np.array_equal(skew(A), S)
    np.testing.assert_allclose(W, scipy.linalg.expm(S), rtol=0, atol=1e-13)
    assert np.max(np.abs(W.T @ W - np.eye(9))) < 1e-10
    assert np.max(np.abs(W @ W.T - np.eye(9))) < 1e-10


def test_init_is_expm_of_henaff_blocks_and_orthogonal():
    p = init_cell("exprnn", input_dim=3, hidden=8, seed=1, dtype="float64")
    A = p["A"]
    assert np.array_equal(A, -A.T)
    off = A.copy()
    for k in range(4):
        off[2 * k, 2 * k + 1] = off[2 * k + 1, 2 * k] = 0
    assert np.all(off == 0) and np.all(np.abs(np.diag(A, 1)[::2]) <= np.pi)
    np.testing.assert_allclose(p["W"], scipy.linalg.expm(A), atol=1e-13)
    assert np.max(np.abs(p["W"].T @ p["W"] - np.eye(8))) < 1e-10
    assert np.all(np.abs(p["b"]) <= 0.01)
    q = init_cell("exprnn", input_dim=3, hidden=8, seed=1, dtype="float64", init="cayley")
    assert np.max(np.abs(q["W"].T @ q["W"] - np.eye(8))) < 1e-10


def test_gradient_through_A_matches_finite_differences():
    H = 5
    A = _A(H, 2)
    G = np.random.default_rng(3).standard_normal((H, H))

    def L(a):
        return float(np.sum(G * exprnn_matrix(a)))

    gA = exprnn_grad(A, G)
    eps = 1e-6
    fd = np.zeros_like(A)
    for i in range(H):
        for j in range(H):
            E = np.zeros_like(A)
            E[i, j] = eps
            fd[i, j] = (L(A + E) - L(A - E)) / (2 * eps)
    np.testing.assert_allclose(gA, fd, atol=1e-8)
    assert np.all(np.tril(gA) == 0)  # the lower triangle is not a parameter


def test_gradient_matches_jax_autodiff_through_expm():
    import jax
    import jax.numpy as jnp

    H = 6
    A = _A(H, 4)
    G = np.random.default_rng(5).standard_normal((H, H))
    with jax.enable_x64(True):
        def L(a):
            T = jnp.triu(a, 1)
            return jnp.sum(G * jax.scipy.linalg.expm(T - T.T))

        gj = np.asarray(jax.grad(L)(jnp.asarray(A)))
    np.testing.assert_allclose(exprnn_grad(A, G), gj, atol=1e-10)


def test_stack_counts_mask_and_outside_update():
    p, apply = stack("exprnn", depth=2, hidden=6, input_dim=2, outputs=3, dtype="float64")
    assert count_params(p) == stack_param_count("exprnn", depth=2, hidden=6, input_dim=2,
                                                outputs=3)
    assert count_params(p) == (6 * 2 + 15 + 6) + (36 + 15 + 6) + 3 * 6 + 3
    assert trainable_mask(p).layers[1] == {"U": True, "A": True, "W": False, "b": True}
    assert needs_outside_update("exprnn") and needs_outside_update("scornn")
    g = {"layers": [{k: np.ones_like(v) for k, v in l.items()} for l in p.layers],
         "readout": p.readout}
    out = outside_grads(p, g)
    for l, gl in zip(p.layers, out["layers"]):
        np.testing.assert_allclose(gl["A"], exprnn_grad(l["A"], np.ones_like(l["W"])))
        assert np.all(gl["W"] == 0)
    moved = {"layers": [dict(l, A=l["A"] + 0.1) for l in p.layers], "readout": p.readout}
    ref = outside_refresh(moved, kind="exprnn")
    for l in ref["layers"]:
        np.testing.assert_allclose(l["W"], exprnn_matrix(l["A"]), atol=1e-14)


def test_recurrence_is_modrelu_of_row_vector_product():
    p = init_cell("exprnn", input_dim=1, hidden=4, seed=0, dtype="float64")
    c = get_cell("exprnn")
    h = np.array([0.3, -0.2, 0.5, 0.1])
    x = np.array([0.7])
    z = p["U"] @ x + h @ p["W"]
    want = np.sign(z) * np.maximum(np.abs(z) + p["b"], 0)
    import jax

    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(c.step(p, h, x)), want, atol=1e-14)


def test_dynamics_map_and_bound():
    from tnrnn.dynamics import cell_map, jacobian_norms, lipschitz_bound

    p = init_cell("exprnn", input_dim=1, hidden=6, seed=0, dtype="float64")
    b = lipschitz_bound("exprnn", p)
    assert abs(b.value - 1.0) < 1e-12
    f, x0 = cell_map("exprnn", p)
    states = np.random.default_rng(0).standard_normal((5, 6))
    assert np.all(jacobian_norms(f, states, u=np.ones(1)) <= b.value + 1e-12)


def test_bad_option_is_refused():
    with pytest.raises(SpecError, match="exprnn option init must be 'henaff' or 'cayley'"):
        init_cell("exprnn", input_dim=1, hidden=4, init="haar")
    with pytest.raises(SpecError, match="has no option"):
        init_cell("exprnn", input_dim=1, hidden=4, sigma=0.1)


def test_exprnn_trains_through_tnrnn_train(tmp_path):
    """tnrnn.train.fit with kind='exprnn': W stays expm(skew A), orthogonal, and A moved
    (fit trains in float32 unless x64 is on: W is stored in float32, so 1e-6)."""
    pytest.importorskip("optax")
    from tnrnn.tasks import make_task
    from tnrnn.train import fit

    task = make_task("ses", size=8, block=2, alphabet=3)
    p, apply = stack("exprnn", depth=1, hidden=6, input_dim=task.input_dim,
                     outputs=task.outputs, seed=0, dtype="float64")
    res = fit(p, apply, task, kind="exprnn", steps=5, eval_every=5, batch=8, val_size=16,
              lr=0.01)
    layer = res.params.layers[0]
    A, W = np.asarray(layer["A"], np.float64), np.asarray(layer["W"], np.float64)
    np.testing.assert_allclose(W, exprnn_matrix(A), atol=1e-6)
    assert np.max(np.abs(W.T @ W - np.eye(6))) < 1e-6
    assert not np.allclose(A, p.layers[0]["A"])
