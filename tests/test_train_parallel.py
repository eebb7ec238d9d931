"""`tnrnn train` on local worker processes and on a Dask cluster (127.0.0.1 only).

The reference is the serial sweep of the same command: every run's
``result.json`` must hold the same content, timings aside (and
``resumed_from``, which says that a run was resumed, not what it computed).
A run's weights, batches and validation set depend only on its config and
seed, and a checkpoint holds the whole training state, so a run resumed
from its checkpoint ends where an uninterrupted one does (tests/test_train.py
checks this for the training loop itself); here the runs are resumed by
the sweep after their worker is gone.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("jax")

from click.testing import CliRunner  # noqa: E402

from tnrnn.cli import cli  # noqa: E402

TINY = ["--task", "ses", "-T", "8", "--block", "2", "--alphabet", "3", "--cell", "tanh",
        "--hidden", "4", "--steps", "20", "--eval-every", "5", "--batch", "8", "--val-size",
        "16", "--test-size", "16", "--seeds", "0"]
DEPTHS = ["--depth", "1,2,3"]
NAMES = [f"ses-T8-tanh-L{d}-H4-s0" for d in (1, 2, 3)]
#: what differs between two runs of the same config: timings, the machine, resumption
TIMING = {"train_time_s", "compile_time_s", "ms_per_step", "wall_s", "machine", "resumed_from"}


def _untimed(x):
    if isinstance(x, dict):
        return {k: _untimed(v) for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [_untimed(v) for v in x]
    return x


def _train(*args, code=0):
    res = CliRunner().invoke(cli, ["train", *args, "--no-progress"], catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res


def _results(out: Path, names=NAMES) -> dict:
    return {n: json.loads((out / n / "result.json").read_text()) for n in names}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The serial sweep (the reference): its folder and the --json output."""
    out = tmp_path_factory.mktemp("serial") / "runs"
    data = json.loads(_train(*TINY, *DEPTHS, "--out", str(out), "--json").output)
    return out, data


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_workers_2_equal_serial_skip_finished_and_resume_a_checkpoint(serial, tmp_path):
    """Three runs on two local workers: depth 1 finished before (skipped,
    untouched), depth 2 interrupted at step 10 (resumed from its
    checkpoint), depth 3 fresh; every result equals the serial sweep's."""
    ref_out, ref_json = serial
    out = tmp_path / "runs"
    out.mkdir()
    shutil.copytree(ref_out / NAMES[0], out / NAMES[0])
    before = (out / NAMES[0] / "result.json").stat().st_mtime_ns
    # an interrupted run: the same config stopped after 10 of its 20 steps, as a
    # run killed after its second validation leaves it (checkpoint, metrics, config)
    part = tmp_path / "part"
    _train(*TINY, "--depth", "2", "--steps", "10", "--out", str(part))
    run = part / NAMES[1]
    (run / "result.json").unlink()
    (run / "params.npz").unlink()
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["steps"] == 10
    (run / "config.json").write_text(json.dumps({**cfg, "steps": 20}, indent=1,
                                                sort_keys=True) + "\n")
    shutil.move(str(run), str(out / NAMES[1]))

    data = json.loads(_train(*TINY, *DEPTHS, "--out", str(out), "--json",
                             "--workers", "2").output)
    got, ref = _results(out), _results(ref_out)
    assert _untimed(got) == _untimed(ref)
    assert _untimed(data["runs"]) == _untimed(ref_json["runs"])
    assert data["summary"] == ref_json["summary"]
    assert (out / NAMES[0] / "result.json").stat().st_mtime_ns == before  # not rerun
    assert got[NAMES[1]]["fit"]["resumed_from"] == 10
    assert got[NAMES[2]]["fit"]["resumed_from"] is None
    steps = [json.loads(x)["step"]
             for x in (out / NAMES[1] / "metrics.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 15, 20]
    # the results are not the same by accident: the depths differ
    assert len({json.dumps(r["test"]) for r in got.values()}) == 3


def test_run_cost_orders_by_length_params_and_steps():
    """The estimate is linear in T, the parameter count and the steps
    (3 x batch x T x params per step: forward and backward), so the largest
    of these runs first."""
    from tnrnn.cli._train import run_cost

    base = {"params": 50, "steps": 100, "batch": 8, "eval_every": 1000, "val_size": 0,
            "test_size": 0}
    assert run_cost(base, 10) == 3 * 100 * 8 * 10 * 50
    assert run_cost(base, 20) == 2 * run_cost(base, 10)
    assert run_cost({**base, "params": 100}, 10) == 2 * run_cost(base, 10)
    assert run_cost({**base, "eval_every": 50, "val_size": 16, "test_size": 4}, 10) == \
        10 * 50 * (3 * 100 * 8 + 2 * 16 + 4)


def test_unreachable_scheduler_exits_2_quickly_and_trains_nothing(tmp_path):
    pytest.importorskip("distributed")
    port = _closed_port()
    out = tmp_path / "runs"
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["train", *TINY, "--depth", "1", "--out", str(out),
                                   "--scheduler", f"tcp://127.0.0.1:{port}",
                                   "--connect-timeout", "1"])
    assert res.exit_code == 2
    assert f"error: cannot reach a Dask scheduler at tcp://127.0.0.1:{port} within 1 s" \
        in res.stderr
    assert time.monotonic() - t0 < 20
    assert not out.exists()


@pytest.mark.parametrize("extra, message", [
    (["--scheduler-file", "{tmp}/none.json", "--connect-timeout", "0.3"],
     "did not appear within 0.3 s"),
    (["--scheduler", "http://head:8786"], "scheduler address must be tcp://HOST:PORT"),
    (["--workers", "0"], "workers must be an integer >= 1; got 0"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "give at most one of workers, scheduler and scheduler_file"),
    (["--workers", "2", "--retries", "-1"], "--retries must be an integer >= 0; got -1"),
])
def test_bad_executor_options_exit_2_before_training(tmp_path, extra, message):
    if any("scheduler" in e for e in extra):
        pytest.importorskip("distributed")
    out = tmp_path / "runs"
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]
    res = CliRunner().invoke(cli, ["train", *TINY, "--depth", "1", "--out", str(out), *extra])
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


def test_help_names_the_executor_options():
    res = _train("--help")
    for option in ("--workers", "--scheduler", "--scheduler-file", "--connect-timeout",
                   "--retries", "shared"):
        assert option in res.output


@pytest.mark.slow
def test_dask_cluster_equals_serial(serial, tmp_path):
    distributed = pytest.importorskip("distributed")

    ref_out, ref_json = serial
    out = tmp_path / "runs"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as c:
        data = json.loads(_train(*TINY, *DEPTHS, "--out", str(out), "--json",
                                 "--scheduler", c.scheduler_address).output)
    assert _untimed(_results(out)) == _untimed(_results(ref_out))
    assert _untimed(data["runs"]) == _untimed(ref_json["runs"])


LONG = ["--task", "ses", "-T", "8", "--block", "2", "--alphabet", "3", "--cell", "tanh",
        "--hidden", "4", "--steps", "300", "--eval-every", "10", "--patience", "1000",
        "--batch", "8", "--val-size", "16", "--test-size", "16", "--seeds", "0",
        "--depth", "1,2"]


LONG_NAMES = ["ses-T8-tanh-L1-H4-s0", "ses-T8-tanh-L2-H4-s0"]


@pytest.fixture(scope="module")
def long_serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("long") / "ser"
    _train(*LONG, "--out", str(out))
    return _untimed(_results(out, LONG_NAMES))


def _start(out: Path, *extra) -> subprocess.Popen:
    """`tnrnn train LONG --workers 2` in a subprocess; returns once a run has
    written a checkpoint."""
    proc = subprocess.Popen([sys.executable, "-m", "tnrnn.cli", "train", *LONG, "--out",
                             str(out), "--workers", "2", "--no-progress", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # SIGINT may be ignored when the suite runs as a background
                            # job; Python then installs no KeyboardInterrupt handler
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not any((out / n / "checkpoint.npz").exists() for n in LONG_NAMES):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no checkpoint appeared: {proc.communicate()}")
        time.sleep(0.02)
    return proc


@pytest.mark.slow
def test_ctrl_c_then_the_same_command_continues(long_serial, tmp_path):
    """SIGINT to a running `tnrnn train --workers 2`: it stops with a message,
    keeps the checkpoints, and the same command finishes the sweep equal to
    the serial one."""
    out = tmp_path / "par"
    proc = _start(out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "rerun the same command to continue" in err
    assert not all((out / n / "result.json").exists() for n in LONG_NAMES)
    _train(*LONG, "--out", str(out), "--workers", "2")
    got = _results(out, LONG_NAMES)
    assert _untimed(got) == long_serial
    assert any(got[n]["fit"]["resumed_from"] for n in LONG_NAMES)


@pytest.mark.slow
def test_killed_workers_runs_resume_from_their_checkpoints(long_serial, tmp_path):
    """Both local workers are killed (SIGKILL) once a run has written a
    checkpoint; the pool restarts and the runs resume from their folders,
    ending equal to the serial sweep."""
    psutil = pytest.importorskip("psutil")

    names = LONG_NAMES
    out = tmp_path / "par"
    proc = _start(out, "--retries", "3")
    try:
        workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
                   if "spawn_main" in " ".join(p.cmdline())]
        assert workers
        killed_at = {n: _checkpoint_step(out / n) for n in names}
        for p in workers:
            os.kill(p.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert any(s is not None for s in killed_at.values())
    got = _results(out, names)
    resumed = [n for n in names if got[n]["fit"]["resumed_from"] is not None]
    assert resumed  # at least one run was resumed, not started over
    for n in resumed:
        assert got[n]["fit"]["resumed_from"] >= (killed_at[n] or 0)
    assert _untimed(got) == long_serial
    assert all(got[n]["fit"]["steps"] == 300 for n in names)


def _checkpoint_step(folder: Path):
    import numpy as np

    try:
        with np.load(folder / "checkpoint.npz") as z:
            return json.loads(str(z["__meta__"]))["state"]["step"]
    except (OSError, KeyError, ValueError):
        return None
