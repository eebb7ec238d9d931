"""The smoothness paper's setups: the Miller-Hardt projection against the authors'
formula, kept through training; data, schedule and resumable runs at small sizes."""

import json

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("optax")

from tnrnn.dynamics import paper_runs as pr  # noqa: E402
from tnrnn.dynamics import paper_setups as ps  # noqa: E402
from tnrnn.dynamics import stabilize_lstm  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402

SCALES = ps.MILLER_HARDT_SCALES


def _colsums(W_hh, W_ih):
    H = W_hh.shape[1]
    hh = [np.abs(W_hh[j * H:(j + 1) * H]).sum(axis=0) for j in range(4)]
    return hh, np.abs(W_ih[H:2 * H]).sum(axis=0)


def test_projection_equals_the_authors_formula_on_a_fixed_matrix():
    rng = np.random.default_rng(0)
    W_hh, W_ih = rng.standard_normal((20, 5)), rng.standard_normal((20, 3))
    want_hh, want_ih = ps.paper_stabilize_numpy(W_hh, W_ih)
    with jax.enable_x64(True):
        got = ps.stabilize({"W_hh": W_hh, "W_ih": W_ih, "b": np.zeros(20)})
    np.testing.assert_allclose(np.asarray(got["W_hh"]), want_hh, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(got["W_ih"]), want_ih, rtol=1e-14)
    # tnrnn.dynamics.stabilize_lstm (numpy) is the same map
    ref = stabilize_lstm({"W_hh": W_hh, "W_ih": W_ih})
    np.testing.assert_allclose(ref["W_hh"], want_hh, rtol=1e-14)
    np.testing.assert_allclose(ref["W_ih"], want_ih, rtol=1e-14)
    hh, ih = _colsums(want_hh, want_ih)
    for s, c in zip(SCALES, hh):
        np.testing.assert_allclose(c, s, rtol=1e-14)
    np.testing.assert_allclose(ih, 0.25, rtol=1e-14)


def test_stable_lstm_keeps_the_condition_through_training():
    U, Y, _ = ps.sine_data(6, 30)
    step, init = ps.make_train_step("sine", "lstm-stable", 0.25)
    p = jax.tree_util.tree_map(jax.numpy.asarray, ps.init_model("lstm-stable", 1, 1, 5, 0))
    before = np.asarray(p["cell"]["W_hh"]).copy()
    s = init(p)
    for i in range(12):
        p, s, _ = step(p, s, U[(i % 3) * 2:(i % 3) * 2 + 2], Y[(i % 3) * 2:(i % 3) * 2 + 2], 1e-2)
    W_hh, W_ih = np.asarray(p["cell"]["W_hh"]), np.asarray(p["cell"]["W_ih"])
    assert not np.allclose(W_hh, before)
    hh, ih = _colsums(W_hh, W_ih)
    for sc, c in zip(SCALES, hh):
        np.testing.assert_allclose(c, sc, rtol=1e-5)  # float32 training
    np.testing.assert_allclose(ih, 0.25, rtol=1e-5)
    # the plain LSTM is not projected
    step2, init2 = ps.make_train_step("sine", "lstm", 0.25)
    q = jax.tree_util.tree_map(jax.numpy.asarray, ps.init_model("lstm", 1, 1, 5, 0))
    q, _, _ = step2(q, init2(q), U[:2], Y[:2], 1e-2)
    assert abs(_colsums(np.asarray(q["cell"]["W_hh"]), np.asarray(q["cell"]["W_ih"]))[1][0]
               - 0.25) > 1e-3


def test_schedule_is_multisteplr_per_epoch_and_defaults_are_the_authors():
    assert ps.SINE["milestones"] == (500, 1000, 2000, 8000, 15000, 25000)
    assert ps.SINE["gamma"] == 0.1 and ps.SEQCLASS["gamma"] == 0.25
    assert (ps.SINE["hidden"], ps.SINE["batch"], ps.SINE["n_sequences"],
            ps.SINE["seq_len"]) == (200, 10, 100, 400)
    assert [ps.epoch_lr(e, 1e-3, ps.SINE["milestones"], 0.1) for e in (0, 499, 500, 999, 1000,
                                                                         2000, 8000)] == \
        pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-6, 1e-7])


def test_seqclass_data_places_symbols_in_the_windows():
    u, y = ps.seqclass_data(50, 200)
    rel = u[:, :, :2].sum(axis=2)
    pos = [np.nonzero(r)[0] for r in rel]
    assert all(len(p) == 2 and 9 <= p[0] <= 18 and 39 <= p[1] <= 48 for p in pos)
    first = np.array([np.argmax(u[i, p[0], :2]) for i, p in enumerate(pos)])
    second = np.array([np.argmax(u[i, p[1], :2]) for i, p in enumerate(pos)])
    assert np.array_equal(y, 2 * first + second)
    assert np.all(u.sum(axis=2) == 1)


def test_exprnn_model_forward_uses_an_orthogonal_matrix():
    p = ps.init_model("exprnn", 1, 1, 6, 0)
    with jax.enable_x64(True):
        W = np.asarray(ps.cell_params("exprnn", {k: np.asarray(v, np.float64)
                                                 for k, v in p["cell"].items()})["W"])
    assert np.max(np.abs(W.T @ W - np.eye(6))) < 1e-10


@pytest.mark.slow
def test_runs_resume_and_analyse(tmp_path):
    small = dict(hidden=6, n_sequences=10, seq_len=30, orbit_steps=40, orbit_burn=30,
                 orbit_inputs=3, epochs=20)
    for kind in ps.MODELS:
        assert pr.train_run("sine", kind, 0, tmp_path, epochs=10, config=small,
                            log=lambda m: None) == 10
        assert pr.train_run("sine", kind, 0, tmp_path, epochs=12, log=lambda m: None) == 12
        d = pr.run_dir(tmp_path, "sine", kind, 0)
        hist = pr.load_history(d)
        assert [h["epoch"] for h in hist] == list(range(1, 13))
        o = np.load(d / "orbits.npz")
        assert o["y"].shape == (2, 10, 4, 3, 1) and o["epochs"].tolist() == [0, 10]
        assert [e for e, _ in pr.load_checkpoints(d)] == [0, 10, 12]
        res = pr.analyse_run(d, lyap_burn=20, lyap_steps=40, blocks=4, norm_every=10,
                             hessian_iters=2, epochs={12}, log=lambda m: None)
        c = res["checkpoints"]["12"]
        assert len(c["lyapunov"]) == 3 and len(c["stderr"][0]) == 2
        assert json.loads((d / "analysis.json").read_text())["model"] == kind
    # the run stops at the authors' total (20 here)
    assert pr.train_run("sine", "exprnn", 0, tmp_path, epochs=99, log=lambda m: None) == 20


def test_bad_names_are_refused():
    with pytest.raises(SpecError, match="model must be one of lstm, lstm-stable, exprnn"):
        ps.init_model("gru", 1, 1, 4, 0)
    with pytest.raises(SpecError, match="task must be 'sine' or 'seqclass'"):
        ps.loss_fn("copy", "lstm")
