"""One result convention (issue 19): ``tnrnn.train.run`` returns a frozen
:class:`~tnrnn.train.RunResult` and ``tnrnn.dynamics.training.train_lstm`` a
frozen :class:`~tnrnn.dynamics.training.LSTMTraining`, each with ``to_dict()``
giving exactly the record the previous version returned or wrote.

The ground truth is the previous version's own output: the run folders and
the numbers in ``tests/data/pinned`` were written by the code before the
redesign, so a record that is not byte for byte (or value for value) the same
fails here. Reading a result by key still works for one release, with a
``DeprecationWarning`` that names the attribute to use.
"""

import dataclasses
import json
import shutil
import warnings
from pathlib import Path

import pytest
from pinned_helpers import copy_finished

pytest.importorskip("jax")

from tnrnn.errors import SpecError  # noqa: E402
from tnrnn.train import RunResult, run  # noqa: E402
from tnrnn.train.run import finished_result, resolve_config  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "pinned"
TINY = {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3}, "cell": "gru",
        "hidden": 4, "steps": 4, "eval_every": 2, "batch": 8, "val_size": 16,
        "test_size": 16}


@pytest.mark.parametrize("kind", ["scornn", "rac"])
def test_a_result_written_by_the_old_code_reads_back_to_the_same_bytes(kind, tmp_path):
    """``from_dict`` then ``to_dict`` of a ``result.json`` written by the previous
    version serialises to exactly its bytes (the field order is the file's)."""
    text = (DATA / "finished" / kind / "result.json").read_text()
    r = RunResult.from_dict(json.loads(text))
    assert json.dumps(r.to_dict(), indent=1) + "\n" == text
    assert [f.name for f in dataclasses.fields(RunResult)] == list(json.loads(text))
    # finished_result on a copy of that folder returns the same record as a RunResult
    folder, given = copy_finished(kind, tmp_path)
    got = finished_result({**resolve_config(given), "out": str(folder)})
    assert isinstance(got, RunResult) and got.to_dict() == json.loads(text)
    assert run({**given, "out": str(folder)}) == got  # finished: nothing trains
    assert (folder / "result.json").read_text() == text


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """TINY trained once for the module: its folder and the result ``run`` returned."""
    out = tmp_path_factory.mktemp("tiny") / "r"
    return out, run({**TINY, "out": str(out)})


def test_run_returns_a_frozen_result_whose_dict_is_the_file(tiny_run):
    out, r = tiny_run
    assert isinstance(r, RunResult)
    assert (out / "result.json").read_text() == json.dumps(r.to_dict(), indent=1) + "\n"
    assert r.config == json.loads((out / "config.json").read_text())
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.test = {}
    # the history the loop wrote ends at the steps the result reports
    records = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == r.fit["steps"] == 4
    assert r.val["loss"] == min(rec["val_loss"] for rec in records)
    # rerun: the finished run is read back, equal field by field
    again = run({**TINY, "out": str(out)})
    assert isinstance(again, RunResult) and again == r and again.to_dict() == r.to_dict()


def test_reading_a_result_by_key_warns_and_names_the_attribute():
    r = RunResult(config={"cell": "gru"}, task={}, fit={"steps": 3}, val={}, test={"loss": 0.5},
                  wall_s=1.0, machine={})
    with pytest.warns(DeprecationWarning, match=r"use result\.test"):
        assert r["test"] == {"loss": 0.5}
    with pytest.warns(DeprecationWarning, match=r"compare result\.to_dict\(\)"):
        assert r == r.to_dict()
    with pytest.raises(KeyError):
        r["colour"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert r.fit["steps"] == 3  # attributes: no warning


def test_a_damaged_result_file_is_refused_with_its_path(tiny_run, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(tiny_run[0], folder)              # a finished run, damaged below
    rec = json.loads((folder / "result.json").read_text())
    del rec["machine"]
    (folder / "result.json").write_text(json.dumps(rec))
    with pytest.raises(SpecError, match=r"result\.json.*missing machine.*delete the folder"):
        run({**TINY, "out": str(folder)})
    with pytest.raises(SpecError, match=r"needs the keys config, task, fit"):
        RunResult.from_dict([1, 2])


def test_the_sweep_tables_take_results_and_stored_records_alike(tmp_path):
    from tnrnn.train import collect, depth_differences, summarize, sweep_configs, run_sweep

    cs = sweep_configs(task="ses", cells=["tanh"], depths=[1, 2], sizes=[6], seeds=[0],
                       out=tmp_path, hidden=3, steps=2, eval_every=2, batch=4, val_size=8,
                       test_size=8, task_options={"block": 2, "alphabet": 3})
    results = run_sweep(cs)
    assert all(isinstance(r, RunResult) for r in results)
    stored = collect(tmp_path)
    assert summarize(results) == summarize(stored)
    assert depth_differences(results) == depth_differences(stored)
    # by hand from the result files: each depth's accuracy, and their difference
    acc = {r["config"]["depth"]: r["test"]["accuracy"] for r in stored}
    assert [row["mean"] for row in summarize(results)] == [acc[1], acc[2]]
    (diff,) = depth_differences(results)
    assert diff["difference"] == pytest.approx(acc[2] - acc[1]) and diff["low"] is None


def test_train_lstm_returns_the_old_record_as_a_frozen_result():
    """The pinned reference (written by the previous version's ``train_lstm``)
    holds the loss of every step and the settings: the frozen result has the
    same values under the same names."""
    import numpy as np

    from tnrnn.dynamics.training import LSTMTraining, sine_data, train_lstm

    ref = json.loads((DATA / "full.json").read_text())["dynamics_train_lstm"]["sine"]
    U, Y, _ = sine_data(4, 30)
    tr = train_lstm("sine", U, Y, outputs=1, hidden=4, steps=12, checkpoint_every=4,
                    milestones=(6,), seed=2)
    assert isinstance(tr, LSTMTraining)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tr.hidden = 5
    d = tr.to_dict()
    assert sorted(set(d) - {"history", "checkpoints"}) == sorted(ref["meta"])
    assert {k: d[k] for k in ref["meta"]} == ref["meta"]
    np.testing.assert_allclose(tr.history, ref["history"], rtol=1e-6)
    assert [s for s, _, _ in tr.checkpoints] == [c["step"] for c in ref["checkpoints"]]
    np.testing.assert_allclose([l for _, _, l in tr.checkpoints],
                               [c["loss"] for c in ref["checkpoints"]], rtol=1e-6)
    with pytest.warns(DeprecationWarning, match=r"use \.history"):
        assert tr["history"] is tr.history


def test_train_lm_returns_a_frozen_result_whose_first_loss_is_the_first_window():
    """The loss of step 1 is the loss of the initial weights (checkpoint 0) on
    the first batch of windows, drawn from ``default_rng(seed)`` as documented."""
    import numpy as np

    from tnrnn.dynamics import LMTraining, train_lm
    from tnrnn.dynamics.language import lm_loss

    toks = np.array([0, 1, 2, 3, 1, 2, 0, 3] * 6)
    res = train_lm(toks, "tanh", vocab=4, embed=3, hidden=3, steps=4, seq_len=5, batch=2,
                   checkpoint_every=2, seed=3)
    assert isinstance(res, LMTraining)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.vocab = 5
    assert [s for s, _ in res.checkpoints] == [0, 2, 4] and len(res.losses) == 4
    off = np.random.default_rng(3).integers(0, toks.size - 5 - 1, size=2)
    X = toks[off[:, None] + np.arange(6)[None, :]]
    first = float(lm_loss("tanh")(res.checkpoints[0][1], X))
    assert res.losses[0] == pytest.approx(first, rel=1e-5)
    assert res.to_dict()["chance"] == pytest.approx(np.log(4))
    with pytest.warns(DeprecationWarning, match=r"use \.losses"):
        assert res["losses"] is res.losses
