"""The ``paper`` protocol against the depth paper's code, rule by rule.

Every expected value is computed here, independently of tnrnn's training
code: the initialisation from the code's formulas, a forward pass written
with numpy in the code's row-vector convention, TensorFlow 1's RMSProp
update written out, the Cayley gradient by least squares as the code does it
(``Cayley_Transform_Deriv``, ``makeW``), and the plateau steps counted from
the rule "more than ``patience`` checks without an improvement above
``min_delta``".
"""

import json

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from tnrnn.cells import count_params, needs_key, stack  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402
from tnrnn.tasks import derive_seed, make_task  # noqa: E402
from tnrnn.train import fit, get_protocol, resolve_config  # noqa: E402
from tnrnn.train.checkpoint import load_checkpoint  # noqa: E402

H, K = 6, 3


def _task():
    return make_task("ses", 6, block=2, alphabet=3)


def _paper_stack(depth=1, seed=0, hidden=H):
    task = _task()
    return task, *stack("scornn", depth=depth, hidden=hidden, input_dim=task.input_dim,
                        outputs=K, seed=seed, options={"variant": "paper"})


def _make_w(A, D):  # the code's makeW: lstsq(I + A, I - A) @ diag(D)
    eye = np.eye(A.shape[0])
    return np.linalg.lstsq(eye + A, eye - A, rcond=None)[0] @ np.diag(D)


def _cayley_deriv(grads, A, W, D):  # the code's Cayley_Transform_Deriv
    eye = np.eye(grads.shape[0])
    update = np.linalg.lstsq((eye + A).T, grads @ (np.diag(D) + W.T), rcond=None)[0]
    return update.T - update


def _forward(params, X, states):
    """The code's scoRNN stack in numpy: h' = modReLU(x U + h W), row vectors."""
    inp = np.asarray(X, np.float64)
    for layer, s in zip(params.layers, states):
        U, W, b = (np.asarray(layer[k], np.float64) for k in ("U", "W", "b"))
        h = np.asarray(s, np.float64)
        outs = []
        for t in range(inp.shape[1]):
            z = inp[:, t] @ U.T + h @ W
            h = np.sign(z) * np.maximum(np.abs(z) + b, 0.0)
            outs.append(h)
        inp = np.stack(outs, axis=1)
    r = params.readout
    return inp[:, -1] @ np.asarray(r["W_O"], np.float64).T + np.asarray(r["b_O"], np.float64)


def test_initialisation_matches_the_code():
    task, params, _ = _paper_stack(depth=2, hidden=7)
    for l, layer in enumerate(params.layers):
        Hh = 7
        # D: H // 2 signs +1, then H - H // 2 signs -1 (RNN_wrapper.py)
        assert layer["D"].tolist() == [1.0] * (Hh // 2) + [-1.0] * (Hh - Hh // 2)
        A = np.asarray(layer["A"], np.float64)
        assert np.array_equal(A, -A.T)
        # the code's A: np.diag(s, k=1) with s = -sqrt((1 - cos)/(1 + cos)) <= 0 on even rows
        assert all(A[2 * k, 2 * k + 1] <= 0 for k in range(Hh // 2))
        assert np.count_nonzero(A) == 2 * (Hh // 2)
        assert np.allclose(layer["W"], _make_w(A, layer["D"]), atol=1e-6)
        assert np.abs(layer["U"]).max() <= 0.01
        assert not np.any(layer["b"])
        assert float(layer["s0"]) == pytest.approx(np.sqrt(3.0 / Hh))
    bound = np.sqrt(6.0 / (7 + K))  # Xavier-uniform readout, zero bias
    assert np.abs(params.readout["W_O"]).max() <= bound
    assert not np.any(params.readout["b_O"])
    # the paper's count: W as H x H (TensorFlow trainable variables), A not counted
    I = task.input_dim
    expected = (7 * I + 7 * 7 + 7) + (7 * 7 + 7 * 7 + 7) + (7 * K + K)
    assert count_params(params, convention="paper") == expected
    assert count_params(params) == expected - 2 * (49 - 21)


def test_random_initial_state_every_forward_pass():
    task, params, apply = _paper_stack(depth=2)
    assert needs_key(params)
    X, _ = task.batch(5, seed=0, index=0)
    with pytest.raises(SpecError, match="pass key="):
        apply(params, X)
    key = jax.random.key(3)
    b = float(params.layers[0]["s0"])
    # the states the stack must draw: layer l from fold_in(key, l), U(-b, b)
    states = [np.asarray(jax.random.uniform(jax.random.fold_in(key, l), (5, H),
                                            minval=-b, maxval=b)) for l in range(2)]
    assert all(np.abs(s).max() <= b for s in states)
    assert not np.allclose(states[0], states[1])
    got = np.asarray(apply(params, X, key))
    assert np.allclose(got, _forward(params, X, states), atol=1e-5)
    other = np.asarray(apply(params, X, jax.random.key(4)))
    assert not np.allclose(got, other)  # a new state, a new output


def _one_step(params, apply, task, tmp_path, **kw):
    ckpt = tmp_path / "ckpt.npz"
    fit(params, apply, task, kind="scornn", protocol="paper", steps=1, batch=8, val_size=16,
        checkpoint_path=ckpt, seed=0, **kw)
    p0 = jax.tree.map(np.asarray, params)
    from tnrnn.train import make_optimizer

    opt = {"main": make_optimizer("rmsprop", clip=None).init(p0),
           "recurrent": make_optimizer("rmsprop", lr=1e-4, clip=None).init(
               [l["A"] for l in p0.layers])}
    after, _, _, state = load_checkpoint(ckpt, p0, opt)
    return after, state


def _reference_grads(params, task):
    """dL/dparams of the first batch, with the first step's states, by jax.grad
    of the numpy-convention forward written again in jax.numpy."""
    X, y = task.batch(8, seed=0, index=0)
    key = jax.random.fold_in(jax.random.key(derive_seed(0, 3) % 2**31), 0)

    def loss(p):
        inp = jnp.asarray(X)
        for l, layer in enumerate(p.layers):
            b = layer["s0"]
            h = jax.random.uniform(jax.random.fold_in(key, l), (8, H), minval=-b, maxval=b)
            outs = []
            for t in range(inp.shape[1]):
                z = inp[:, t] @ layer["U"].T + h @ layer["W"]
                h = jnp.sign(z) * jax.nn.relu(jnp.abs(z) + layer["b"])
                outs.append(h)
            inp = jnp.stack(outs, axis=1)
        logits = inp[:, -1] @ p.readout["W_O"].T + p.readout["b_O"]
        return jnp.mean(jax.nn.logsumexp(logits, -1)
                        - jnp.take_along_axis(logits, jnp.asarray(y)[:, None], -1)[:, 0])

    return jax.grad(loss)(params)


def _tf_rmsprop(p, g, lr, decay=0.9, eps=1e-10):
    """TensorFlow 1's RMSPropOptimizer, first step (accumulator starts at 1)."""
    ms = decay * 1.0 + (1 - decay) * g * g
    return p - lr * g / np.sqrt(ms + eps)


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_one_step_learning_rates_and_linf_rescaling(tmp_path, scale):
    task, params, apply = _paper_stack()
    params.readout["W_O"] = params.readout["W_O"] * np.float32(scale)
    after, _ = _one_step(params, apply, task, tmp_path)
    g = jax.tree.map(lambda a: np.asarray(a, np.float64), _reference_grads(params, task))
    p0 = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
    # U, b and the readout: RMSProp at 1e-3, unclipped
    for key in ("U", "b"):
        want = _tf_rmsprop(p0.layers[0][key], g.layers[0][key], 1e-3)
        assert np.allclose(after.layers[0][key], want, rtol=1e-4, atol=1e-6), key
    for key in ("W_O", "b_O"):
        want = _tf_rmsprop(p0.readout[key], g.readout[key], 1e-3)
        assert np.allclose(after.readout[key], want, rtol=1e-4, atol=1e-6 * scale), key
    # the recurrence: dL/dW rescaled to L-inf norm 10, Cayley, RMSProp at 1e-4 on A
    gW = g.layers[0]["W"]
    norm = np.abs(gW).max()
    if scale > 1:
        assert norm > 10  # the rescaling is exercised
    gW = gW * (10 / norm) if norm > 10 else gW
    A, D, W = (p0.layers[0][k] for k in ("A", "D", "W"))
    dA = _cayley_deriv(gW, A, W, D)
    A1 = _tf_rmsprop(A, dA, 1e-4)
    assert np.allclose(after.layers[0]["A"], A1, atol=2e-7)
    assert not np.allclose(A1, A)  # A moved
    assert np.allclose(after.layers[0]["W"], _make_w(A1, D), atol=1e-5)
    assert np.allclose(after.layers[0]["D"], D)


def test_plateau_steps_follow_the_more_than_rule(tmp_path):
    task, params, apply = _paper_stack()
    metrics = tmp_path / "m.jsonl"
    # min_delta 1.0: no check after the first can improve, so the plateaus come
    # after exactly patience + 1 = 11 checks each: steps 11 and 22 (the stop)
    res = fit(params, apply, task, kind="scornn", protocol="paper", eval_every=1, batch=8,
              val_size=16, min_delta=1.0, metrics_path=metrics)
    recs = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [r["step"] for r in recs] == list(range(23))  # checks at 0 (the code's j = 0) .. 22
    assert [r["step"] for r in recs if "plateau" in r] == [11, 22]
    assert res.summary["stopped"] == "plateau" and res.summary["steps"] == 22
    assert res.summary["best_step"] == 0
    lrs = {r["step"]: (r["lr"], r["lr_recurrent"]) for r in recs}
    assert lrs[11] == pytest.approx((1e-3, 1e-4))  # recorded before the drop
    assert lrs[12] == pytest.approx((1e-4, 1e-5))  # both rates x 0.1
    # the same under the tnrnn rule ("at least patience"): plateaus at 10 and 20
    res2 = fit(params, apply, task, kind="scornn", protocol="paper", eval_every=1, batch=8,
               val_size=16, min_delta=1.0, patience_rule="at-least")
    assert res2.summary["steps"] == 20


def test_improvement_needs_more_than_min_delta(tmp_path):
    task, params, apply = _paper_stack()
    metrics = tmp_path / "m.jsonl"
    fit(params, apply, task, kind="scornn", protocol="paper", eval_every=2, steps=40,
        batch=16, val_size=64, metrics_path=metrics, min_delta=0.01)
    recs = [json.loads(line) for line in metrics.read_text().splitlines()]
    best, bad = float("inf"), 0
    for r in recs:  # replay the rule on the recorded losses
        if best - r["val_loss"] > 0.01:
            best, bad = r["val_loss"], 0
        else:
            bad += 1
            if bad > 10:
                assert r.get("plateau"), r
                bad = 0
                continue
        assert "plateau" not in r, r


def test_run_config_records_the_protocol(tmp_path):
    from tnrnn.train import run

    r = run({"protocol": "paper", "task": "copying", "size": 3,
             "task_options": {"word_length": 2, "alphabet": 3}, "cell": "scornn", "depth": 2,
             "hidden": 4, "steps": 3, "val_size": 16, "test_size": 16,
             "out": str(tmp_path / "run")})
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    for key in ("protocol", "lr_recurrent", "min_delta", "eval_every", "patience",
                "max_plateaus", "steps", "val_size", "test_size", "batch", "params",
                "free_params"):
        assert key in cfg, key
    assert cfg["protocol"] == "paper" and cfg["lr_recurrent"] == 1e-4
    assert cfg["min_delta"] == pytest.approx(1e-3 * 2 / 7)  # 1e-3 M / T on copying
    assert cfg["task_options"]["marker"] == "at-recall"
    assert cfg["overrides"] == ["steps", "test_size", "val_size"]
    assert cfg["params"] > cfg["free_params"]
    assert r.fit["stopped"] == "steps"  # the cap, said so
    proto = get_protocol("paper")
    assert (proto["val_size"], proto["test_size"]) == (4992, 9984)


def test_paper_defaults_resolve():
    c = resolve_config({"protocol": "paper", "task": "ses", "size": 80, "cell": "scornn",
                        "depth": 3, "budget": 5000})
    assert c["steps"] == 50000 and c["val_size"] == 4992 and c["test_size"] == 9984
    assert c["overrides"] == [] and c["clip"] is None and c["recurrent_clip"] == 10.0
    assert abs(c["params"] - 5000) <= 250


def test_fit_refuses_a_scornn_dict_without_kind():
    """A plain dict does not say its kind: refused (never trained with A frozen).
    The model that stack returns says it (tests/test_model.py trains it)."""
    task = _task()
    params, apply = stack("scornn", depth=2, hidden=4, input_dim=task.input_dim, outputs=K)
    with pytest.raises(SpecError, match="plain dict of weights.*pass kind="):
        fit(params.to_dict(), apply, task, steps=2)
    with pytest.raises(SpecError, match="params is a 'scornn' model; kind='gru' was given"):
        fit(params, apply, task, steps=2, kind="gru")
