"""The last leftovers of the two toolkits (issue 19), each checked against an
independent account of what it must do:

- ``LipschitzBound`` has no NamedTuple ``_asdict`` any more (``to_dict`` only);
- the training loop imports no terminal library: the progress display is a
  callback passed in (counted here against the steps and the validation
  records the loop writes), and ``tnrnn train`` draws it;
- scoRNN's recurrence comes from the model's static options, not from the
  keys of a layer: the paper variant's row-vector recurrence and the tnrnn
  variant's column-vector one, each against a step-by-step numpy evaluation;
- a ``Model`` read like a dict warns (deprecated), and training a model
  through ``fit`` and ``run`` uses no deprecated path inside tnrnn;
- the benchmark scripts record the one machine description
  (``tnrnn._io.machine_info``).
"""

import ast
import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from tnrnn.cells import CELLS, Model, layer_options, make_apply, stack  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- item 2


def test_lipschitz_bound_has_to_dict_only():
    from tnrnn.dynamics import LipschitzBound, lipschitz_bound

    b = lipschitz_bound("linear", {"A": np.diag([0.5, 3.0]), "B": np.ones((2, 1))})
    assert b.to_dict() == {"value": 3.0, "cell": "linear", "domain": b.domain,
                           "attained": True, "note": b.note}
    assert not hasattr(LipschitzBound, "_asdict")


# --------------------------------------------------------------------------- item 3


def _imports(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_training_package_imports_no_terminal_library():
    for path in sorted((ROOT / "tnrnn" / "train").glob("*.py")):
        assert not _imports(path) & {"rich", "click", "tqdm"}, path.name


class _Recorder:
    """A display that records what the loop told it."""

    opened: list = []

    def __init__(self, label, total, done):
        self.label, self.total, self.done = label, total, done
        self.advanced, self.notes, self.closed = 0, [], 0
        _Recorder.opened.append(self)

    def advance(self):
        self.advanced += 1

    def note(self, record):
        self.notes.append(record)

    def close(self):
        self.closed += 1


def test_fit_tells_its_display_every_step_and_every_validation():
    from tnrnn.tasks import make_task
    from tnrnn.train import fit

    task = make_task("ses", 6, block=2, alphabet=3)     # the smallest cell compiles fastest
    params, apply = stack("tanh", depth=1, hidden=3, input_dim=task.input_dim, outputs=3)
    _Recorder.opened = []
    res = fit(params, apply, task, steps=6, eval_every=3, batch=4, val_size=8,
              progress=_Recorder, label="tiny")
    (bar,) = _Recorder.opened
    assert (bar.label, bar.total, bar.done) == ("tiny", 6, 0)
    assert bar.advanced == res.summary["steps"] == 6
    assert bar.notes == res.history and [r["step"] for r in bar.notes] == [3, 6]
    assert bar.closed == 1


def test_a_bad_display_is_refused_and_true_is_deprecated():
    from tnrnn.tasks import make_task
    from tnrnn.train import fit

    task = make_task("ses", 6, block=2, alphabet=3)
    params, apply = stack("tanh", depth=1, hidden=3, input_dim=task.input_dim, outputs=3)
    with pytest.raises(SpecError, match="progress must be None or a callable"):
        fit(params, apply, task, steps=1, progress="yes")
    with pytest.raises(SpecError, match=r"without advance\(\), note\(\), close\(\)"):
        fit(params, apply, task, steps=1, progress=lambda *a: object())
    with pytest.warns(DeprecationWarning, match="no longer draws a bar"):
        fit(params, apply, task, steps=1, eval_every=1, batch=4, val_size=8, progress=True)


def test_training_in_a_fresh_process_loads_no_terminal_library():
    code = (
        "import sys\n"
        "from tnrnn.cells import stack\n"
        "from tnrnn.tasks import make_task\n"
        "from tnrnn.train import fit\n"
        "t = make_task('ses', 6, block=2, alphabet=3)\n"
        "p, a = stack('tanh', depth=1, hidden=3, input_dim=t.input_dim, outputs=3)\n"
        "fit(p, a, t, steps=2, eval_every=2, batch=4, val_size=8)\n"
        "print(sorted(m for m in ('rich', 'click', 'tqdm') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_cli_draws_the_bar_of_a_serial_sweep(tmp_path):
    """``tnrnn train`` passes its bar to the serial runs; what it reports is
    what the run wrote."""
    import json

    from click.testing import CliRunner

    from tnrnn.cli import cli

    args = ["train", "--task", "ses", "-T", "6", "--block", "2", "--alphabet", "3",
            "--cell", "tanh", "--hidden", "3", "--steps", "2", "--eval-every", "2",
            "--batch", "4", "--val-size", "8", "--test-size", "8", "--json", "--progress",
            "--out", str(tmp_path)]
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    (run,) = json.loads(res.stdout)["runs"]
    stored = json.loads((tmp_path / run["name"] / "result.json").read_text())
    assert run["test"] == stored["test"] and run["fit"]["steps"] == 2


# --------------------------------------------------------------------------- item 4


def _mod_relu(z, b):
    return np.sign(z) * np.maximum(np.abs(z) + b, 0.0)


def _numpy_stack(layers, X, h0s, rows: bool):
    """The scoRNN stack step by step in numpy: ``h' = modReLU(U x + W h, b)``
    (``rows``: the paper code's row vector ``h W``, i.e. ``W^T h``)."""
    hs = [np.asarray(h, np.float64) for h in h0s]
    for t in range(X.shape[1]):
        inp = X[:, t, :]
        for l, p in enumerate(layers):
            W = np.asarray(p["W"], np.float64)
            rec = hs[l] @ W if rows else hs[l] @ W.T
            hs[l] = _mod_relu(inp @ np.asarray(p["U"], np.float64).T + rec,
                              np.asarray(p["b"], np.float64))
            inp = hs[l]
    return hs[-1]


@pytest.mark.parametrize("variant", ["tnrnn", "paper"])
def test_the_scornn_recurrence_is_the_one_the_options_name(variant):
    with jax.enable_x64(True):
        m, apply = stack("scornn", depth=2, hidden=4, input_dim=3, outputs=2, seed=1,
                         dtype="float64", options={"variant": variant})
        assert dict(m.options).get("variant", "tnrnn") == variant
        X = np.random.default_rng(0).standard_normal((5, 6, 3))
        key = jax.random.key(7)
        got = np.asarray(apply(m, X, key=key))
        if variant == "paper":  # the initial states the forward pass draws, layer by layer
            h0s = [np.asarray(jax.random.uniform(jax.random.fold_in(key, l), (5, 4),
                                                 dtype=np.float64, minval=-l_["s0"],
                                                 maxval=l_["s0"]))
                   for l, l_ in enumerate(m.layers)]
        else:
            h0s = [np.zeros((5, 4)) for _ in m.layers]
    top = _numpy_stack(m.layers, X, h0s, rows=variant == "paper")
    r = m.readout
    np.testing.assert_allclose(got, top @ np.asarray(r["W_O"]).T + np.asarray(r["b_O"]),
                               rtol=1e-12, atol=1e-12)
    # the W of a scoRNN is not symmetric, so the two recurrences differ: the test can fail
    W = np.asarray(m.layers[0]["W"])
    assert np.abs(W - W.T).max() > 1e-3


def test_the_variant_comes_from_the_options_not_from_the_keys():
    m, _ = stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1,
                 options={"variant": "paper"})
    cell = CELLS["scornn"]
    paper_layer = m.layers[0]
    assert cell.recurrence(m.options) is not cell.recur
    assert m.recurrence is cell.recurrence({"variant": "paper"})
    # the tnrnn recurrence refuses a paper layer instead of guessing from its keys
    with pytest.raises(SpecError, match="holds 's0'"):
        cell.recur(paper_layer, np.zeros(4, np.float32), np.zeros(4, np.float32))
    # options that contradict the layers are refused where a dict becomes a model
    with pytest.raises(SpecError, match="holds the state bound 's0'"):
        Model.from_dict(m.to_dict(), kind="scornn", options={"variant": "tnrnn"})
    plain = {k: v for k, v in paper_layer.items() if k != "s0"}
    with pytest.raises(SpecError, match="lacks the state bound 's0'"):
        Model.from_dict({"layers": [plain], "readout": m.readout}, kind="scornn",
                        options={"variant": "paper"})
    # a model whose options say paper needs the bound as a value
    bad = Model(kind="scornn", layers=(plain,), readout=m.readout, options=m.options)
    with pytest.raises(SpecError, match="needs its state bound 's0'"):
        make_apply(bad)(bad, np.zeros((1, 2, 2), np.float32), key=jax.random.key(0))
    # a stored dict records the variant by its s0 entry: one reader, layer_options
    assert layer_options("scornn", paper_layer) == {"variant": "paper"}
    assert Model.from_dict(m.to_dict(), kind="scornn").options == m.options


def test_dynamics_cell_map_follows_the_model_options():
    """The dynamics' map of a paper-variant scoRNN stack is the row-vector
    recurrence (numpy, step by step), from the model and from its dict alike."""
    from tnrnn.dynamics import cell_map

    m, _ = stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1, seed=3,
                 options={"variant": "paper"})
    x = np.random.default_rng(1).standard_normal(4)
    u = np.array([0.3, -0.2])
    p = m.layers[0]
    want = _mod_relu(u @ np.asarray(p["U"], np.float64).T + x @ np.asarray(p["W"], np.float64),
                     np.asarray(p["b"], np.float64))
    for params in (m, m.to_dict(), p):
        f, _ = cell_map("scornn", params)
        np.testing.assert_allclose(np.asarray(f(x, u)), want, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- item 5


def test_reading_a_model_like_a_dict_is_deprecated():
    m, _ = stack("tanh", depth=1, hidden=2, input_dim=1, outputs=1)
    with pytest.warns(DeprecationWarning, match=r"use model\.layers"):
        assert m["layers"] is m.layers
    with pytest.warns(DeprecationWarning, match=r"model\.readout"):
        assert "readout" in m
    with pytest.raises(KeyError):
        m["weights"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert m.to_dict()["readout"] is not None and m.layers[0]["W_hh"].shape == (2, 2)


def test_training_a_model_uses_no_deprecated_path_inside_tnrnn(tmp_path):
    """``run`` (stack, fit, the scoRNN outside update, checkpoints, weights) with
    every DeprecationWarning raised inside tnrnn turned into an error."""
    from tnrnn.train import load_weights, run

    cfg = {"task": "ses", "size": 6, "task_options": {"block": 2, "alphabet": 3},
           "cell": "scornn", "cell_options": {"variant": "paper"}, "depth": 2, "hidden": 4,
           "steps": 2, "eval_every": 1, "batch": 4, "val_size": 8, "test_size": 8,
           "out": str(tmp_path / "r")}
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=DeprecationWarning, module="tnrnn")
        r = run(cfg)
        back, meta = load_weights(tmp_path / "r" / "params.npz")
    assert r.fit["steps"] == 2 and back.options == (("variant", "paper"),)
    assert meta["cell"] == "scornn"


# --------------------------------------------------------------------------- item 6


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_benchmarks_record_the_one_machine_description():
    from tnrnn._io import machine_info

    keys = set(machine_info())
    assert set(_script("bench_dynamics").machine()) == keys
    assert set(_script("bench_parallel")._machine()) == keys
    for name in ("bench_dynamics", "bench_parallel", "bench_train", "bench_train_cost",
                 "bench_train_step"):
        text = (ROOT / "benchmarks" / f"{name}.py").read_text()
        assert "cpu_count" not in text and "platform.platform" not in text, name
        assert "machine_info" in text, name
