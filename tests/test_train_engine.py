"""tnrnn.train.train_steps, the one training loop: against closed forms."""

import numpy as np
import pytest

pytest.importorskip("jax")
import optax  # noqa: E402

from tnrnn.train import (cross_entropy, make_update, mean_squared_error,  # noqa: E402
                         train_steps)


def test_gradient_descent_on_a_quadratic_follows_the_closed_form():
    """loss(p) = |p - x|^2 under SGD(lr): p_k = x (1 - (1 - 2 lr)^k) from p_0 = 0."""
    x, lr = np.array([3.0, -1.0]), 0.1
    opt = optax.sgd(lr)
    upd = make_update(lambda p, t: mean_squared_error(p, t) * p.size, opt)
    losses = []
    r = train_steps(np.zeros(2), upd, lambda s: (x,), steps=7, opt_state=opt.init(np.zeros(2)),
                    callbacks=[lambda st: losses.append(float(st.loss))])
    k = np.arange(7)
    want_p = x * (1 - (1 - 2 * lr) ** 7)
    np.testing.assert_allclose(np.asarray(r.params), want_p, rtol=1e-6)
    # the loss of step k is measured before its update: |x|^2 (1 - 2 lr)^(2k)
    np.testing.assert_allclose(losses, (x @ x) * (1 - 2 * lr) ** (2 * k), rtol=1e-5)
    assert r.step == 7 and r.stopped is None


def test_resumed_loop_reads_the_batches_of_its_steps_and_callbacks_stop_it():
    seen = []
    opt = optax.sgd(0.0)
    upd = make_update(lambda p, b: p * b, opt)

    def stop_at_4(st):
        seen.append(st.step)
        if st.step == 4:
            st.stopped = "enough"

    r = train_steps(np.float32(1.0), upd, lambda s: (np.float32(s),), steps=10, start=2,
                    opt_state=opt.init(np.float32(1.0)), callbacks=[stop_at_4])
    assert seen == [3, 4] and r.step == 4 and r.stopped == "enough"


def test_mask_freezes_leaves():
    opt = optax.sgd(1.0)
    p = {"a": np.ones(2), "b": np.ones(2)}
    upd = make_update(lambda q, t: ((q["a"] - t) ** 2).sum() + ((q["b"] - t) ** 2).sum(), opt,
                      mask={"a": True, "b": False})
    p2, _, _ = upd(p, opt.init(p), (np.zeros(2),))
    np.testing.assert_array_equal(np.asarray(p2["b"]), p["b"])
    np.testing.assert_allclose(np.asarray(p2["a"]), -np.ones(2))  # 1 - 1.0 * 2 (1 - 0)


def test_losses_against_numpy():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert float(cross_entropy(logits, y)) == pytest.approx(-np.mean(np.log(p[np.arange(5), y])),
                                                            rel=1e-6)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    assert float(mean_squared_error(a, b)) == pytest.approx(np.mean((a - b) ** 2), rel=1e-6)


def test_fit_runs_on_the_loop_and_on_step_can_stop_it():
    from tnrnn.cells import stack
    from tnrnn.tasks import make_task
    from tnrnn.train import fit

    task = make_task("ses", 8, block=2, alphabet=3)
    m, apply = stack("gru", depth=1, hidden=4, input_dim=task.input_dim, outputs=task.outputs)
    seen = []

    def stop_at_5(st):
        seen.append((st.step, float(st.loss)))
        if st.step == 5:
            st.stopped = "enough"

    r = fit(m, apply, task, steps=20, eval_every=2, batch=8, val_size=16, on_step=stop_at_5)
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5]
    assert r.summary["steps"] == 5 and r.summary["stopped"] == "enough"
    # the validation records' training loss is the mean of the steps' losses since the last
    assert r.history[0]["train_loss"] == pytest.approx(np.mean([l for _, l in seen[:2]]))
    assert r.history[1]["train_loss"] == pytest.approx(np.mean([l for _, l in seen[2:4]]))
