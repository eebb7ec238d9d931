"""`tnrnn table` in parallel: the same rows as the serial run, resumable logs,
clear errors before any work. (The Dask runs are in test_parallel_dask.py.)"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from tnrnn.cli import cli

SMALL = ["--depth", "1,2,3", "--hidden", "2,3", "--input-dim", "2,3", "--length", "2,4,6"]


def _table(*args, ok=True):
    res = CliRunner().invoke(cli, ["table", *args, "--no-progress"], catch_exceptions=False)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def _rows(path):
    """The rows without the measured seconds (the only field that differs)."""
    rows = json.loads(path.read_text())["rows"]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    path = tmp_path_factory.mktemp("serial") / "serial.json"
    _table(*SMALL, "--json", str(path))
    return path


def test_serial_rows_match_separation_rank(serial):
    from tnrnn.circuit import RAC
    from tnrnn.rank import separation_rank

    rows = _rows(serial)
    assert len(rows) == 36
    for r in rows[::7]:
        res = separation_rank(RAC(r["depth"], r["hidden"], r["input_dim"], r["length"]))
        assert (r["rank"], r["complete"]) == (res.rank, res.complete)
        if hasattr(res, "claim"):  # the claim the rank result itself makes
            assert r["claim"] == res.claim(thousands=True)
        else:
            assert r["claim"] == ("= " if res.complete else ">= ") + f"{res.rank:,}"


def test_workers_2_equals_serial(serial, tmp_path):
    _table(*SMALL, "--workers", "2", "--json", str(tmp_path / "p.json"), "--csv",
           str(tmp_path / "p.csv"))
    assert _rows(tmp_path / "p.json") == _rows(serial)
    assert (tmp_path / "p.csv").read_text().startswith("depth,hidden,input_dim,length")


def test_progress_bar_path_runs(tmp_path):
    res = CliRunner().invoke(cli, ["table", "--depth", "1,2", "--hidden", "2", "--input-dim",
                                   "2", "--length", "2,4", "--progress"],
                             catch_exceptions=False)
    assert res.exit_code == 0 and "every certified rank" in res.stdout


def test_printed_table_shows_claims(tmp_path):
    res = _table("--depth", "2", "--hidden", "2", "--input-dim", "2", "--length", "4,6",
                 "--max-samples", "4")
    assert ">= 4" in res.stdout          # cap reached: a lower bound only
    res = _table("--depth", "2", "--hidden", "2", "--input-dim", "2", "--length", "4")
    assert "= 6" in res.stdout and ">= 6" not in res.stdout


def test_resume_after_interruption_gives_the_same_rows(serial, tmp_path):
    log = tmp_path / "log.jsonl"
    _table(*SMALL, "--log", str(log), "--json", str(tmp_path / "full.json"))
    lines = log.read_text().splitlines()
    assert len(lines) == 1 + 36
    # an interrupted run: 10 rows finished, the 11th cut off mid-line
    log.write_text("\n".join(lines[:11]) + "\n" + lines[11][:25])
    res = _table(*SMALL, "--resume", str(log), "--json", str(tmp_path / "resumed.json"))
    assert "wrote " + str(log) in res.stdout
    assert _rows(tmp_path / "resumed.json") == _rows(serial)
    after = log.read_text().splitlines()
    assert after[:11] == lines[:11]       # finished rows kept, not recomputed
    assert len(after) == 1 + 36
    assert sorted(json.loads(x)["key"] for x in after[1:]) == \
        sorted(json.loads(x)["key"] for x in lines[1:])


def test_resume_of_another_sweep_is_refused(tmp_path):
    log = tmp_path / "log.jsonl"
    _table("--depth", "1", "--hidden", "2", "--input-dim", "2", "--length", "2",
           "--log", str(log))
    res = _table("--depth", "1", "--hidden", "2", "--input-dim", "2", "--length", "2",
                 "--seed", "3", "--resume", str(log), ok=False)
    assert res.exit_code == 2
    assert "written for another sweep (seed: 0 in the log, 3 now)" in res.stderr


@pytest.mark.parametrize("args,message", [
    (["--csv", "/nonexistent/dir/t.csv"], "--csv: cannot write '/nonexistent/dir/t.csv'"),
    (["--json", "/nonexistent/dir/t.json"], "--json: cannot write"),
    (["--log", "/nonexistent/dir/l.jsonl"], "--log: cannot write"),
    (["--log", "a.jsonl", "--resume", "b.jsonl"], "give --log or --resume, not both"),
    (["--workers", "0"], "workers must be an integer >= 1; got 0"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"],
     "give at most one of workers, scheduler and scheduler_file"),
    (["--scheduler", "http://127.0.0.1:8786"], "scheduler address must be tcp://HOST:PORT"),
    (["--scheduler", "127.0.0.1"], "scheduler address must be tcp://HOST:PORT"),
    (["--retries", "-1"], "--retries must be an integer >= 0; got -1"),
    (["--max-samples", "0"], "max_samples must be an integer >= 1; got 0"),
    (["--max-seconds", "0"], "--max-seconds must be a positive number; got 0.0"),
    (["--max-memory", "-1"], "--max-memory must be a positive number of GiB; got -1.0"),
])
def test_bad_options_exit_2_before_any_work(args, message, monkeypatch):
    import tnrnn.rank.executor_tasks as tasks

    def never(*a, **k):
        raise AssertionError("a rank was computed before the options were checked")

    monkeypatch.setattr(tasks, "rank_row", never)
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["table", "--depth", "1", "--hidden", "2", "--input-dim",
                                   "2", "--length", "2", *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert "Traceback" not in res.output
    assert time.monotonic() - t0 < 30


def test_too_large_row_refused_before_the_sweep(monkeypatch):
    import tnrnn.rank.executor_tasks as tasks

    def never(*a, **k):
        raise AssertionError("a rank was computed before the sweep was checked")

    monkeypatch.setattr(tasks, "rank_row", never)
    res = CliRunner().invoke(cli, ["table", "--depth", "1,3", "--hidden", "3", "--input-dim",
                                   "3", "--length", "8", "--max-seconds", "0.01"])
    assert res.exit_code == 2, res.output
    assert "error: row L=3 R=3 M=3 T=8: the rank search may take up to about" in res.stderr
    assert "--max-seconds" in res.stderr


@pytest.mark.slow
def test_ctrl_c_then_resume(serial, tmp_path):
    """A real interruption: SIGINT to a running `tnrnn table --workers 2`."""
    log = tmp_path / "log.jsonl"
    big = ["--depth", "1,2,3", "--hidden", "2,3", "--input-dim", "2,3", "--length", "2,4,6,8"]
    cmd = [sys.executable, "-m", "tnrnn.cli", "table", *big, "--workers", "2", "--log",
           str(log), "--no-progress"]
    # a shell without job control starts background jobs with SIGINT ignored,
    # and Python then installs no KeyboardInterrupt handler: restore the default
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for some rows, not all
        if log.exists() and len(log.read_text().splitlines()) >= 6:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("no rows within 120 s")
    if proc.poll() is not None:  # the sweep outran the poll: nothing left to interrupt
        pytest.skip("the sweep finished before the interruption could be sent")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun with --resume" in err
    kept = len(log.read_text().splitlines()) - 1
    assert 5 <= kept < 48
    _table(*big, "--workers", "2", "--resume", str(log), "--json", str(tmp_path / "r.json"))
    _table(*big, "--json", str(tmp_path / "s.json"))
    assert _rows(tmp_path / "r.json") == _rows(tmp_path / "s.json")
    assert len(log.read_text().splitlines()) == 1 + 48
    assert not [p for p in os.listdir(tmp_path) if p.startswith("core")]
