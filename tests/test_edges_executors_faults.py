"""Issue 18: faults injected into the sweeps, each retried. Killed workers,
Ctrl-C then the same command, a locked log, a full disk: the results equal
the uninterrupted run's, and nothing the user made is overwritten.

(Killed Dask workers and dead or mute schedulers are in
test_parallel_dask.py and test_edges_executors.py.)
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tnrnn.cli import cli
from tnrnn.parallel import ResultsLog

SMALL = ["--depth", "1,2,3", "--hidden", "2,3", "--input-dim", "2", "--length", "2,4,6"]


def _table(*args, ok=True):
    res = CliRunner().invoke(cli, ["table", *args, "--no-progress"])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def _rows(path):
    return [{k: v for k, v in r.items() if k != "seconds"}
            for r in json.loads(path.read_text())["rows"]]


def _log_rows(path):
    return [json.loads(x) for x in path.read_text().splitlines()[1:]]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "serial.json"
    _table(*SMALL, "--json", str(path))
    return path


def _spawned_children(pid):
    import psutil

    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if "spawn_main" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


def test_killed_pool_worker_costs_one_attempt_of_its_own_row(serial, tmp_path):
    """SIGKILL to one worker of a running `table --workers 2`: the rows equal
    the serial run's and at most one row (the one it was running) took a
    second attempt."""
    log = tmp_path / "log.jsonl"
    out = tmp_path / "p.json"
    cmd = [sys.executable, "-m", "tnrnn.cli", "table", *SMALL, "--workers", "2", "--log",
           str(log), "--json", str(out), "--no-progress", "--retries", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        kids = _spawned_children(proc.pid)
        if len(kids) == 2 and log.exists() and len(log.read_text().splitlines()) >= 3:
            killed = kids[0].pid
            os.kill(killed, signal.SIGKILL)
            break
        time.sleep(0.01)
    _, err = proc.communicate(timeout=120)
    if killed is None:
        pytest.skip("the sweep finished before a worker could be killed")
    assert proc.returncode == 0, err
    assert _rows(out) == _rows(serial)
    attempts = [r["attempts"] for r in _log_rows(log)]
    assert len(attempts) == 18 and sum(attempts) - len(attempts) in (0, 1)


@pytest.mark.slow
def test_ctrl_c_then_the_same_command(serial, tmp_path):
    """SIGINT exits 130 with the way on; the same command (--log) then
    refuses to replace the log; --resume finishes it equal to the serial run."""
    log = tmp_path / "log.jsonl"
    big = ["--depth", "1,2,3", "--hidden", "2,3", "--input-dim", "2,3", "--length", "2,4,6,8"]
    cmd = [sys.executable, "-m", "tnrnn.cli", "table", *big, "--workers", "2", "--log",
           str(log), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 4:
            break
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the sweep finished before the interruption could be sent")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"rerun with --resume {log}" in err and "Traceback" not in err
    kept = log.read_bytes()
    res = _table(*big, "--log", str(log), ok=False)  # the same command again
    assert res.exit_code == 2 and "already holds" in res.stderr
    assert log.read_bytes() == kept  # not replaced
    _table(*big, "--workers", "2", "--resume", str(log), "--json", str(tmp_path / "r.json"))
    _table(*big, "--json", str(tmp_path / "s.json"))
    assert _rows(tmp_path / "r.json") == _rows(tmp_path / "s.json")
    assert log.read_bytes().startswith(kept)
    assert len(_log_rows(log)) == 48


def test_a_log_in_use_is_refused_and_left_alone(tmp_path):
    log = tmp_path / "log.jsonl"
    meta = {"command": "table", "partition": "start-end", "inputs": "continuous", "seed": 0,
            "max_samples": None}
    with ResultsLog(log, meta, resume=True):  # another run holds the lock
        before = log.read_bytes()
        for opt in ("--resume", "--log"):
            res = _table(*SMALL, opt, str(log), ok=False)
            assert res.exit_code == 2
            assert f"the log '{log}' is in use by another run" in res.stderr
        assert log.read_bytes() == before
    _table(*SMALL, "--resume", str(log))  # free again


@pytest.fixture
def tiny_disk(tmp_path):
    """A 16 KiB tmpfs (needs root and mount); skipped where it cannot be made."""
    where = tmp_path / "disk"
    where.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(where)],
                         capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_full_disk_keeps_the_rows_and_resume_finishes(serial, tiny_disk, tmp_path):
    log = tiny_disk / "log.jsonl"
    res = _table(*SMALL, "--log", str(log), ok=False)
    assert res.exit_code == 2, res.output
    line = res.stderr.strip()
    assert line.startswith(f"error: cannot append to the log '{log}' (No space left on "
                           f"device); the ") and line.endswith(f"rerun with --resume {log}")
    kept = _log_rows(log)  # every line whole: the failed row left nothing behind
    assert 0 < len(kept) < 18
    assert subprocess.run(["mount", "-o", "remount,size=1m", str(tiny_disk)]).returncode == 0
    _table(*SMALL, "--resume", str(log), "--json", str(tmp_path / "r.json"))
    assert _rows(tmp_path / "r.json") == _rows(serial)
    assert _log_rows(log)[:len(kept)] == kept


def test_full_disk_at_the_last_write_keeps_the_table(serial, tiny_disk):
    filler = tiny_disk / "filler"
    with open(filler, "wb") as fh:
        try:
            fh.write(b"x" * 32 * 1024)
        except OSError:
            pass
    target = tiny_disk / "rows.json"
    res = _table(*SMALL, "--json", str(target), ok=False)
    assert res.exit_code == 2
    line = res.stderr.strip()
    assert line.startswith(f"error: cannot write the table (JSON) to '{target}' (No space "
                           f"left on device); it was kept in ")
    rescued = line.rsplit(" ", 1)[1]
    try:
        assert _rows(Path(rescued)) == _rows(serial)
    finally:
        os.unlink(rescued)
    assert not target.exists()
    assert not [p for p in tiny_disk.iterdir() if p.name.endswith(".tmp")]


def test_ctrl_c_in_a_serial_table_exits_130_and_says_nothing_was_kept(monkeypatch):
    import tnrnn.rank.executor_tasks as tasks

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(tasks, "rank_row", interrupt)
    res = _table(*SMALL, ok=False)
    assert res.exit_code == 130
    assert res.stderr.strip() == ("interrupted: 0 of 18 rows had finished and none was kept; "
                                  "give --log FILE to keep each row as it finishes (then "
                                  "--resume FILE continues)")


def test_ctrl_c_in_rank_exits_130(monkeypatch, tmp_path):
    import tnrnn.rank as rank

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(rank, "separation_rank", interrupt)
    res = CliRunner().invoke(cli, ["rank", "-L", "2", "-T", "4", "--no-progress", "--save",
                                   str(tmp_path / "c.json")])
    assert res.exit_code == 130
    assert "interrupted: the rank was not finished and nothing was written" in res.stderr
    assert not (tmp_path / "c.json").exists()
