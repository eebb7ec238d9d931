"""Bad and unusual inputs to training (``tnrnn train``, ``train report``,
``tnrnn.cells``, ``tnrnn.tasks``, ``tnrnn.train``), and faults on its files.

Every case asserts the class of the answer: a one-line ``error:`` and exit
status 2 for the command line, a :class:`~tnrnn.errors.TnrnnError` with a
message naming what was given for the API. The table of inputs tried and of
what came out (wrong numbers, tracebacks, hangs, memory blow-ups: 0 of each)
is ``tests/data/edges_train.json``, rewritten by
``python tests/test_edges_train.py``.
"""

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import invoke, one_error_line

jax = pytest.importorskip("jax")

from tnrnn.cells import init_cell, stack, width_for_budget  # noqa: E402
from tnrnn.errors import OutputPathError, SpecError, TooLargeError  # noqa: E402
from tnrnn.tasks import copying_memory, make_task, start_end_similarity  # noqa: E402
from tnrnn.train import collect, fit, load_weights, make_optimizer, run  # noqa: E402

TINY = ["--task", "ses", "--cell", "gru", "--hidden", "4", "-T", "8", "--block", "2",
        "--alphabet", "3", "--seeds", "0", "--steps", "4", "--eval-every", "2",
        "--val-size", "16", "--test-size", "16", "--no-progress"]

#: command-line cases: (name, arguments after ``tnrnn``, regex of the error line)
CLI_CASES = [
    ("lr inf", ["train", *TINY, "--lr", "inf", "--out", "X"], r"lr must be a finite number > 0; got inf"),
    ("lr nan", ["train", *TINY, "--lr", "nan", "--out", "X"], r"lr must be a finite number > 0; got nan"),
    ("lr negative", ["train", *TINY, "--lr", "-1", "--out", "X"], r"lr must be a finite number > 0"),
    ("lr zero", ["train", *TINY, "--lr", "0", "--out", "X"], r"lr must be a finite number > 0"),
    ("lr-recurrent inf", ["train", *TINY, "--cell", "scornn", "--lr-recurrent", "inf", "--out", "X"],
     r"lr_recurrent must be a finite number > 0"),
    ("sigma nan", ["train", *TINY, "--cell", "rac", "--cell-option", "sigma=nan", "--out", "X"],
     r"cell option sigma must be a finite number; got nan"),
    ("sigma inf", ["train", *TINY, "--cell", "rac", "--cell-option", "sigma=inf", "--out", "X"],
     r"cell option sigma must be a finite number; got inf"),
    ("sigma negative", ["train", *TINY, "--cell", "rac", "--cell-option", "sigma=-1", "--out", "X"],
     r"cell option sigma must be >= 0"),
    ("forget_bias nan", ["train", *TINY, "--cell", "lstm", "--cell-option", "forget_bias=nan",
                         "--out", "X"], r"forget_bias must be a finite number"),
    ("radius zero", ["train", *TINY, "--cell", "linear", "--cell-option", "radius=0", "--out", "X"],
     r"radius must be > 0"),
    ("classes > block + 1", ["train", *TINY, "--classes", "100", "--out", "X"],
     r"classes must be at most block \+ 1 = 3"),
    ("classes 1", ["train", *TINY, "--classes", "1", "--out", "X"], r"classes must be an integer >= 2"),
    ("odd T", ["train", *TINY[:6], "-T", "9", "--block", "2", "--out", "X"], r"length must be even"),
    ("block too long", ["train", *TINY[:6], "-T", "8", "--block", "5", "--out", "X"],
     r"block must be at most length / 2 = 4"),
    ("steps 0", ["train", *TINY, "--steps", "0", "--out", "X"], r"steps must be an integer >= 1; got 0"),
    ("steps negative", ["train", *TINY, "--steps", "-3", "--out", "X"], r"steps must be an integer >= 1"),
    ("batch 0", ["train", *TINY, "--batch", "0", "--out", "X"], r"batch must be an integer >= 1; got 0"),
    ("eval-every 0", ["train", *TINY, "--eval-every", "0", "--out", "X"], r"eval_every must be an integer >= 1"),
    ("patience 0", ["train", *TINY, "--patience", "0", "--out", "X"], r"patience must be an integer >= 1"),
    ("val-size 0", ["train", *TINY, "--val-size", "0", "--out", "X"], r"val_size must be an integer >= 1"),
    ("test-size 0", ["train", *TINY, "--test-size", "0", "--out", "X"], r"test_size must be an integer >= 1"),
    ("val-size huge", ["train", *TINY, "--val-size", "100000000000", "--out", "X"],
     r"would need about .* GiB"),
    ("hidden huge", ["train", *TINY[:4], "--hidden", "100000", *TINY[6:], "--out", "X"],
     r"would need about .* GiB"),
    ("budget 1e18", ["train", *TINY[:4], "--params-budget", "1000000000000000000", *TINY[6:],
                     "--out", "X"], r"would need about .* GiB"),
    ("hidden 0", ["train", *TINY[:4], "--hidden", "0", *TINY[6:], "--out", "X"],
     r"hidden must be an integer >= 1; got 0"),
    ("depth 0", ["train", *TINY, "--depth", "0", "--out", "X"], r"depth must be an integer >= 1; got 0"),
    ("depth list junk", ["train", *TINY, "--depth", "1,a", "--out", "X"],
     r"--depth must be integers separated by commas; got '1,a'"),
    ("depth list empty", ["train", *TINY, "--depth", ",", "--out", "X"],
     r"--depth must list at least one of the integers"),
    ("cell list empty", ["train", *TINY, "--cell", " , ", "--out", "X"],
     r"--cell must list at least one of the names"),
    ("seeds list junk", ["train", *TINY, "--seeds", "0;1", "--out", "X"],
     r"--seeds must be integers separated by commas; got '0;1'"),
    ("seeds negative", ["train", *TINY, "--seeds", "-1", "--out", "X"], r"seed must be an integer >= 0"),
    ("optimizer unknown", ["train", *TINY, "--optimizer", "lbfgs", "--out", "X"],
     r"unknown optimizer 'lbfgs'"),
    ("max-memory nan", ["train", *TINY, "--max-memory-gb", "nan", "--out", "X"],
     r"--max-memory-gb must be a finite number > 0"),
    ("max-memory negative", ["train", *TINY, "--max-memory-gb", "-1", "--out", "X"],
     r"--max-memory-gb must be a finite number > 0"),
    ("variant via cell-option", ["train", *TINY, "--cell", "scornn", "--cell-option", "negative=99",
                                 "--out", "X"], r"negative must be in \[0, 4\]"),
    ("out in /proc", ["train", *TINY, "--out", "/proc/tnrnn-runs"], r"--out: cannot write"),
    ("out in /sys", ["train", *TINY, "--out", "/sys/tnrnn-runs"], r"--out: cannot write"),
    ("out is a file", ["train", *TINY, "--out", "afile"], r"'afile' is a file"),
    ("out parent missing", ["train", *TINY, "--out", "no/such/x"], r"does not exist"),
    ("copying with -T", ["train", "--task", "copying", "--hidden", "4", "-T", "10", "--out", "X"],
     r"copying is sized by its delay: give --delay B"),
    ("ses with --delay", ["train", *TINY, "--delay", "10", "--out", "X"],
     r"--delay applies to the copying task only"),
    ("copying without delay", ["train", "--task", "copying", "--hidden", "4", "--out", "X"],
     r"--delay is required for copying"),
    ("connect-timeout nan", ["train", *TINY, "--connect-timeout", "nan", "--out", "X"],
     r"--connect-timeout"),
    ("workers 0", ["train", *TINY, "--workers", "0", "--out", "X"], r"--workers"),
    ("retries negative", ["train", *TINY, "--retries", "-1", "--out", "X"], r"--retries"),
    ("protocol unknown", ["train", *TINY, "--protocol", "keras", "--out", "X"], r"keras"),
    ("report not a folder", ["train", "report", "afile"], r"'afile' is a file"),
    ("report figure suffix", ["train", "report", ".", "--figure", "x.txt"], r"suffix"),
]


def _tiny_config(tmp_path, **extra):
    return {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
            "cell": "gru", "hidden": 4, "steps": 4, "eval_every": 2, "batch": 8,
            "val_size": 16, "test_size": 16, "out": str(tmp_path / "run"), **extra}


def _api_cases():
    """API cases: (name, callable, exception class, regex)."""
    task = make_task("ses", 8, block=2, alphabet=3)
    p, ap = stack("gru", depth=1, hidden=4, input_dim=task.input_dim, outputs=3)
    sp, sap = stack("scornn", depth=1, hidden=4, input_dim=task.input_dim, outputs=3)
    ep, eap = stack("exprnn", depth=1, hidden=4, input_dim=task.input_dim, outputs=3)
    return [
        ("fit lr inf", lambda: fit(p, ap, task, steps=2, lr=math.inf), SpecError, r"lr must be a finite number"),
        ("fit decay 1", lambda: fit(p, ap, task, steps=2, decay=1.0), SpecError, r"decay must be a finite number > 0 and < 1"),
        ("fit clip nan", lambda: fit(p, ap, task, steps=2, clip=math.nan), SpecError, r"clip must be a finite number"),
        ("fit min_delta negative", lambda: fit(p, ap, task, steps=2, min_delta=-1.0), SpecError, r"min_delta must be a finite number >= 0"),
        ("fit patience_rule", lambda: fit(p, ap, task, steps=2, patience_rule="often"), SpecError, r"patience_rule must be"),
        ("fit steps float", lambda: fit(p, ap, task, steps=2.5), SpecError, r"steps must be an integer"),
        ("fit protocol", lambda: fit(p, ap, task, steps=2, protocol="keras"), SpecError, r"unknown protocol 'keras'"),
        # a Model says its kind (it trains: test_orthogonal_models_train_A); a plain dict does not
        ("fit scornn dict no kind", lambda: fit(sp.to_dict(), sap, task, steps=2), SpecError, r"pass kind="),
        ("fit exprnn dict no kind", lambda: fit(ep.to_dict(), eap, task, steps=2), SpecError, r"pass kind="),
        ("fit lr_recurrent on gru", lambda: fit(p, ap, task, steps=2, kind="gru", lr_recurrent=1e-4), SpecError, r"scoRNN stacks only"),
        ("fit lr_factor 2", lambda: fit(p, ap, task, steps=2, lr_factor=2.0), SpecError, r"lr_factor must be"),
        ("make_optimizer lr inf", lambda: make_optimizer(lr=math.inf), SpecError, r"lr must be a positive number \(finite\)"),
        ("stack sigma nan", lambda: stack("rac", depth=1, hidden=2, input_dim=2, outputs=1, options={"sigma": math.nan}), SpecError, r"sigma must be a finite number"),
        ("init_cell bad option", lambda: init_cell("gru", input_dim=2, hidden=2, colour=1), SpecError, r"has no option"),
        ("stack variant", lambda: stack("scornn", depth=1, hidden=2, input_dim=2, outputs=1, options={"variant": "v2"}), SpecError, r"variant must be 'tnrnn' or 'paper'"),
        ("stack paper + negative", lambda: stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1, options={"variant": "paper", "negative": 1}), SpecError, r"cannot be set with variant='paper'"),
        ("paper apply without key", lambda: stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1, options={"variant": "paper"})[1](
            stack("scornn", depth=1, hidden=4, input_dim=2, outputs=1, options={"variant": "paper"})[0], np.zeros((1, 3, 2), np.float32)),
         SpecError, r"pass key="),
        ("budget 1e18", lambda: run({"task": "ses", "size": 8, "cell": "gru", "budget": 10**18,
                                     "task_options": {"block": 2}}), TooLargeError, r"would need about"),
        ("val_size 1e11", lambda: run({"task": "ses", "size": 8, "cell": "gru", "hidden": 4,
                                       "val_size": 10**11, "task_options": {"block": 2}}), TooLargeError, r"would need about"),
        ("width_for_budget tiny", lambda: width_for_budget("lstm", depth=3, budget=10, input_dim=3, outputs=3), SpecError, r"within 5%"),
        ("ses classes 100 block 2", lambda: start_end_similarity(4, length=8, block=2, classes=100), SpecError, r"classes must be at most block \+ 1"),
        ("copying marker", lambda: copying_memory(2, delay=3, marker="middle"), SpecError, r"marker must be one of"),
        ("run config not a dict", lambda: run([1, 2]), SpecError, r"config must be a dict"),
        ("run unknown key", lambda: run({"colour": "red"}), SpecError, r"unknown config key"),
        ("run cell_options not dict", lambda: run({"cell_options": 3, "hidden": 2, "size": 8}), SpecError, r"cell_options must be a dict"),
        ("run lr string", lambda: run({"task": "ses", "size": 8, "cell": "gru", "hidden": 2, "lr": "fast",
                                       "task_options": {"block": 2}}), SpecError, r"lr must be a finite number"),
        ("load_weights missing", lambda: load_weights("/no/such/w.npz"), SpecError, r"does not exist"),
    ]


@pytest.mark.parametrize("name,args,match", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(name, args, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    line = one_error_line(invoke(*args))
    assert re.search(match, line), line
    assert not (tmp_path / "X").exists()  # refused before anything is created


@pytest.mark.parametrize("case", _api_cases(), ids=lambda c: c[0])
def test_api_bad_input(case):
    name, call, cls, match = case
    with pytest.raises(cls, match=match):
        call()


@pytest.mark.parametrize("kind", ["scornn", "exprnn"])
def test_orthogonal_models_train_A(kind):
    """The Model of the refused dict cases above trains without kind=: A moves
    (the silent case of issue 19 left it untouched) and W is A's matrix again."""
    from tnrnn.cells import cayley, exprnn_matrix

    task = make_task("ses", 8, block=2, alphabet=3)
    m, ap = stack(kind, depth=1, hidden=4, input_dim=task.input_dim, outputs=3, seed=0)
    got = fit(m, ap, task, steps=2, eval_every=2, batch=8, val_size=16, lr=1e-2).params
    A0, A1 = np.asarray(m.layers[0]["A"]), np.asarray(got.layers[0]["A"])
    assert got.kind == kind and np.max(np.abs(A1 - A0)) > 1e-5
    W = cayley(A1, got.layers[0]["D"]) if kind == "scornn" else exprnn_matrix(A1)
    np.testing.assert_allclose(got.layers[0]["W"], W, atol=1e-5)


# ------------------------------------------------------------- files and faults


def test_finished_run_with_another_config_is_refused(tmp_path, finished_run):
    folder, first = finished_run
    shutil.copytree(folder, tmp_path / "run")  # run(cfg) finished in this folder
    cfg = _tiny_config(tmp_path, steps=2)
    assert run(cfg) == first  # the same config: the finished result
    for change in ({"lr": 3e-3}, {"steps": 6}, {"batch": 4}, {"optimizer": "adam"},
                   {"val_size": 8}, {"dtype": "float64"}, {"protocol": "paper"}):
        with pytest.raises(SpecError, match="holds a finished run with another config"):
            run({**cfg, **change})


def test_cli_rerun_with_another_lr_is_refused(tmp_path):
    args = ["train", *TINY, "--out", tmp_path / "sw"]
    assert invoke(*args).exit_code == 0
    line = one_error_line(invoke(*args, "--lr", "0.003"))
    assert "holds a finished run with another config (differs in ['lr', 'overrides'" in line \
        or "differs in ['lr'" in line, line


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One finished tiny run (2 steps), trained once for the module: the
    damaged-file cases below work on copies of its folder."""
    base = tmp_path_factory.mktemp("finished")
    result = run(_tiny_config(base, steps=2))
    return base / "run", result


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated"])
def test_damaged_run_files_are_named(tmp_path, damage, finished_run):
    cfg = _tiny_config(tmp_path, steps=2)
    shutil.copytree(finished_run[0], tmp_path / "run")  # the run(cfg) of this config, finished
    assert run(cfg).fit["steps"] == 2  # read back as it is, nothing trained
    folder = tmp_path / "run"
    res = folder / "result.json"
    text = res.read_text()
    res.write_text({"empty": "", "garbage": "not json", "truncated": text[: len(text) // 2]}[damage])
    with pytest.raises(SpecError, match=r"cannot read the run's result .*delete the folder"):
        run(cfg)
    with pytest.raises(SpecError, match=r"cannot read the run's result"):
        collect(tmp_path)
    line = one_error_line(invoke("train", "report", tmp_path, "--no-figure"))
    assert "cannot read the run's result" in line


def test_foreign_result_in_report(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "result.json").write_text(json.dumps({"rank": 3}))
    line = one_error_line(invoke("train", "report", tmp_path, "--no-figure"))
    assert "is not a tnrnn training result" in line


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated", "foreign"])
def test_damaged_checkpoint_is_named_with_the_way_out(tmp_path, damage, finished_run):
    cfg = _tiny_config(tmp_path, steps=4)  # finished_run: the same config at 2 steps ran (warm)
    folder = tmp_path / "run"
    folder.mkdir()
    from tnrnn.train.run import resolve_config
    (folder / "config.json").write_text(json.dumps(
        {k: v for k, v in resolve_config(cfg).items() if k not in ("progress", "out")},
        indent=1, sort_keys=True))
    ck = folder / "checkpoint.npz"
    if damage == "empty":
        ck.write_bytes(b"")
    elif damage == "garbage":
        ck.write_bytes(b"PK\x03\x04 not a zip")
    elif damage == "foreign":
        np.savez(ck, a=np.ones(3))
    else:
        np.savez(ck, **{f"leaf_{i:05d}": np.ones(2) for i in range(3)})
        data = ck.read_bytes()
        ck.write_bytes(data[: len(data) // 2])
    with pytest.raises(SpecError, match=r"checkpoint .*(delete it|written by another)"):
        run(cfg)


@pytest.mark.parametrize("damage", ["empty", "garbage", "missing arrays"])
def test_damaged_weights_file(tmp_path, damage):
    f = tmp_path / "w.npz"
    if damage == "empty":
        f.write_bytes(b"")
    elif damage == "garbage":
        f.write_text("hello")
    else:
        np.savez(f, __meta__=np.array("{}"))
    with pytest.raises(SpecError, match=r"weights file"):
        load_weights(f)


def test_half_written_metrics_line_is_dropped_and_middle_damage_named(tmp_path):
    from tnrnn.train.loop import _sync_metrics
    m = tmp_path / "m.jsonl"
    m.write_text('{"step": 2}\n{"step": 4}\n{"step": 6, "val')
    assert [r["step"] for r in _sync_metrics(m, 4)] == [2, 4]
    m.write_text('{"step": 2}\ngarbage\n{"step": 4}\n')
    with pytest.raises(SpecError, match=r"damaged at line 2"):
        _sync_metrics(m, 4)


def test_diverging_training_stops_and_says_so():
    task = make_task("ses", 8, block=2, alphabet=3)
    p, ap = stack("rac", depth=3, hidden=4, input_dim=task.input_dim, outputs=3,
                  options={"sigma": 3.0})
    res = fit(p, ap, task, steps=200, eval_every=50, batch=16, val_size=32, lr=1.0, clip=None)
    assert res.summary["stopped"] == "diverged"
    assert res.summary["steps"] < 200


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True)
    return r.returncode == 0


@pytest.mark.slow
def test_full_disk_then_same_command_resumes(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "48k"):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        cfg = _tiny_config(disk, steps=40, eval_every=2, cell="gru", hidden=64)
        with pytest.raises(OutputPathError, match=r"No space left|cannot write|cannot append"):
            run(cfg)
        cf = disk / "run" / "config.json"
        if cf.exists():  # never an empty or half config
            json.loads(cf.read_text())
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# ------------------------------------------------------- the committed table


def _table():
    return {"what": "bad or unusual inputs to tnrnn train / train report and to the Python "
                    "API of tnrnn.cells, tnrnn.tasks and tnrnn.train; each must be refused "
                    "with a tnrnn error (CLI: one line, exit 2) before any work",
            "inputs": [{"kind": "cli", "name": n, "args": [str(a) for a in a_], "expect": m}
                       for n, a_, m in CLI_CASES]
                      + [{"kind": "api", "name": c[0], "expect": c[3]} for c in _api_cases()]
                      + [{"kind": "file", "name": n} for n in (
                          "finished run, another config (7 keys)", "cli rerun with another lr",
                          "result.json empty / garbage / truncated", "foreign result in report",
                          "checkpoint empty / garbage / truncated / foreign",
                          "weights empty / garbage / no arrays",
                          "metrics half line / damaged middle line", "diverging training",
                          "full disk (tmpfs 48k)")],
            "outcomes": {"wrong_numbers": 0, "tracebacks": 0, "hangs": 0, "memory_blowups": 0},
            "how": "python tests/test_edges_train.py (the test suite checks every case)"}


def test_committed_table_lists_every_case():
    data = json.loads((Path(__file__).parent / "data" / "edges_train.json").read_text())
    assert data["inputs"] == _table()["inputs"]
    assert data["outcomes"] == {"wrong_numbers": 0, "tracebacks": 0, "hangs": 0,
                                "memory_blowups": 0}
    assert len(data["inputs"]) >= 60


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "edges_train.json"
    out.write_text(json.dumps(_table(), indent=1) + "\n")
    print(f"{out}: {len(_table()['inputs'])} inputs")
