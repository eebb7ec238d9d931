"""tnrnn.parallel on a real Dask cluster (two worker processes on 127.0.0.1).

Nothing here reaches any address but 127.0.0.1. The tasks are the
deterministic probes; the table rows are compared with a serial run.
"""
import faulthandler
import json
import os
import signal
import socket
import time

import pytest

distributed = pytest.importorskip("distributed")

from click.testing import CliRunner  # noqa: E402

from tnrnn.cli import cli  # noqa: E402
from tnrnn.parallel import (DaskExecutor, ExecutorDiedError, SchedulerError,  # noqa: E402
                            iter_tasks, make_executor, run_tasks)
from tnrnn.parallel import TaskFailedError  # noqa: E402
from tnrnn.parallel.probes import (crash_once, crash_times, lcg_closed_form, nap,  # noqa: E402
                                   nap_or_crash, spin)


#: Seconds any one test here may take (a loaded machine's worst is ~60 s).
TEST_LIMIT_S = 300
#: Seconds a nanny may take to bring back a killed worker (a spawned process
#: importing tnrnn: over 60 s once, on 2 cores loaded 4x, at nice 10).
RESTART_S = 120


@pytest.fixture(autouse=True)
def watchdog():
    """No test here can hang the suite: past :data:`TEST_LIMIT_S`, every
    thread's stack is printed and the test process exits (pytest-timeout is
    not a dependency)."""
    faulthandler.dump_traceback_later(TEST_LIMIT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster, set_as_default=False) as c:
        yield c


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _table(*args):
    res = CliRunner().invoke(cli, ["table", *args, "--no-progress"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def _rows(path):
    rows = json.loads(path.read_text())["rows"]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_dask_equals_serial_by_address(cluster):
    tasks = {f"t{i}": (5000 * i, i) for i in range(8)}
    with make_executor(scheduler=cluster.scheduler_address) as ex:
        assert isinstance(ex, DaskExecutor) and ex.capacity() == 2
        out = run_tasks(spin, tasks, executor=ex, cost={k: a[0] for k, a in tasks.items()})
    assert out == {k: lcg_closed_form(*a) for k, a in tasks.items()}


def test_dask_by_scheduler_file(cluster, tmp_path):
    path = tmp_path / "scheduler.json"
    path.write_text(json.dumps({"address": cluster.scheduler_address, "type": "Scheduler"}))
    with make_executor(scheduler_file=str(path)) as ex:
        assert run_tasks(spin, {"a": (10, 3)}, executor=ex) == {"a": lcg_closed_form(10, 3)}


def test_killed_dask_worker_loses_nothing(client):
    pids = client.run(os.getpid)
    assert len(pids) == 2
    killed = []

    def kill_one(p):
        if not killed:  # both workers are busy: one of them dies mid-task
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    tasks = {f"n{i}": (0.4, i) for i in range(8)}
    ex = DaskExecutor(client=client)
    results = list(iter_tasks(nap, tasks, executor=ex, progress=kill_one))
    assert killed
    assert sorted(r.key for r in results) == sorted(tasks)
    assert {r.key: r.value for r in results} == {k: a[1] for k, a in tasks.items()}
    assert killed[0] not in client.run(os.getpid).values()  # it did die


def test_dead_dask_worker_costs_one_attempt_of_its_own_task(client, tmp_path):
    """--retries means what it means on local processes: the task that killed
    its worker took 2 attempts (reported), the others 1."""
    client.wait_for_workers(2, timeout=RESTART_S)
    (tmp_path / "never").write_text("")
    tasks = {f"h{i}": (str(tmp_path / "never"), i) for i in range(3)}
    tasks["c"] = (str(tmp_path / "m"), "c")
    ex = DaskExecutor(client=client)
    results = {r.key: r for r in iter_tasks(crash_once, tasks, executor=ex, retries=1,
                                            cost={"c": 10, "h0": 1, "h1": 1, "h2": 1})}
    ex.shutdown()
    assert {k: r.value for k, r in results.items()} == {k: a[1] for k, a in tasks.items()}
    assert {k: r.attempts for k, r in results.items()} == {"h0": 1, "h1": 1, "h2": 1, "c": 2}


# slow: on the shared cluster of this module, under heavy load, the nanny of a worker killed by an
# earlier test sometimes closes itself and the cluster is left with one worker (3 of 5 stressed runs
# failed with WorkerStartTimeoutError, none hung); the cause is not found yet, so this test runs
# under `make test-slow` until it gets a cluster of its own
@pytest.mark.slow
def test_dead_dask_worker_with_retries_0_blames_its_task(client):
    client.wait_for_workers(2, timeout=RESTART_S)
    tasks = {"h0": (1.0, 0), "bad": (13,), "h1": (0.2, 1)}
    ex = DaskExecutor(client=client)
    with pytest.raises(TaskFailedError, match=r"task 'bad' failed 1 times \(retries=0\); last "
                                              r"error: WorkerDiedError: its Dask worker "
                                              r"tcp://127\.0\.0\.1:\d+ died while running it"):
        list(iter_tasks(nap_or_crash, tasks, executor=ex, retries=0,
                        cost={"h0": 3, "bad": 2, "h1": 1}))
    ex.shutdown()
    client.wait_for_workers(2, timeout=RESTART_S)


def _recording(ex):
    """``ex`` with every submission's task arguments recorded (a list per
    submission: one for a single task, many for a batch)."""
    from tnrnn.parallel._batch import timed_batch

    submitted, submit = [], ex.submit

    def record(fn, /, *args, **kwargs):
        submitted.append([a for a, _ in args[1]] if fn is timed_batch else [args[1]])
        return submit(fn, *args, **kwargs)

    ex.submit = record
    return submitted


def test_dask_sends_short_tasks_in_batches(client):
    tasks = {f"t{i}": (0, i) for i in range(300)}
    default = DaskExecutor(client=client)
    assert default.batch_seconds() == 0.1
    default.shutdown()
    ex = DaskExecutor(client=client, batch_seconds=10)  # a loaded machine's delays: batched still
    submitted = _recording(ex)
    results = list(iter_tasks(spin, tasks, executor=ex))
    ex.shutdown()
    assert {r.key: r.value for r in results} == {f"t{i}": i for i in range(300)}
    assert {r.attempts for r in results} == {1}
    assert sum(map(len, submitted)) == 300 and len(submitted) < 60
    off = DaskExecutor(client=client, batch_seconds=0)
    submitted = _recording(off)
    assert run_tasks(spin, dict(list(tasks.items())[:20]), executor=off) == \
        {f"t{i}": i for i in range(20)}
    assert len(submitted) == 20


@pytest.fixture
def own_client():
    """A two-worker cluster of its own, for tests whose tasks kill workers
    (the nannies restart them, which takes a while)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        with Client(c, set_as_default=False) as cl:
            cl.wait_for_workers(2, timeout=RESTART_S)
            # warm workers, as on a cluster in use: a cold worker's first task
            # waits for tnrnn's import, and a worker that dies just after
            # finishing it, before telling the scheduler, has it charged
            import importlib

            cl.run(importlib.import_module, "tnrnn.parallel.probes")
            yield cl


def test_a_dask_batch_that_kills_its_worker_blames_the_killer(own_client):
    """The batch dies with its worker: no task is charged; its tasks run
    again one by one, and the one that kills its worker again is named."""
    client = own_client
    tasks = {f"n{i}": (0.3, i) for i in range(16)}
    tasks = {**dict(list(tasks.items())[:8]), "bad": (13,), **dict(list(tasks.items())[8:])}
    ex = DaskExecutor(client=client, batch_seconds=10)
    submitted = _recording(ex)
    with pytest.raises(TaskFailedError, match=r"task 'bad' failed 1 times \(retries=0\); last "
                                              r"error: WorkerDiedError: its Dask worker "
                                              r"tcp://127\.0\.0\.1:\d+ died while running it"):
        list(iter_tasks(nap_or_crash, tasks, executor=ex, retries=0))
    ex.shutdown()
    with_bad = [s for s in submitted if (13,) in s]
    assert len(with_bad[0]) > 1 and with_bad[-1] == [(13,)]


def _deaths(log) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_task_that_kills_its_worker_is_not_rerun_by_the_scheduler(own_client, tmp_path):
    """Each submission is pinned to its worker: when the worker dies, the
    scheduler does not run the task on the other (idle) worker on its own;
    only tnrnn's retries run it again, and with retries=0 nothing does."""
    log = tmp_path / "deaths"
    ex = DaskExecutor(client=own_client, batch_seconds=0)
    with pytest.raises(TaskFailedError, match=r"task 'bad' failed 1 times \(retries=0\)"):
        list(iter_tasks(crash_times, {"bad": (str(log), 5, "ok")}, executor=ex, retries=0))
    time.sleep(2.0)  # ample time for a rerun by the scheduler, were there one
    ex.shutdown()
    assert _deaths(log) == 1


def test_a_dead_worker_is_charged_only_for_its_own_tasks(own_client, tmp_path):
    """A task that kills its worker twice, among short tasks on both workers:
    it takes exactly its 3 attempts (the log counts 2 deaths, both tnrnn's
    attempts: no rerun by the scheduler), and no other task is charged."""
    log = tmp_path / "deaths"
    tasks = {"bad": (str(log), 2, "survived")}
    tasks.update({f"h{i}": (0.3, i) for i in range(8)})
    cost = {"bad": 10, **{f"h{i}": 1 for i in range(8)}}

    ex = DaskExecutor(client=own_client, batch_seconds=0)
    results = {r.key: r for r in iter_tasks(nap_or_crash, tasks, executor=ex,
                                            retries=2, cost=cost)}
    ex.shutdown()
    assert {k: r.value for k, r in results.items()} == \
        {"bad": "survived", **{f"h{i}": i for i in range(8)}}
    assert {k: r.attempts for k, r in results.items()} == \
        {"bad": 3, **{f"h{i}": 1 for i in range(8)}}
    assert _deaths(log) == 2


def test_a_worker_gone_without_an_event_fails_its_task_instead_of_hanging(own_client):
    """The pin's safety net: with the scheduler's events cut off (as if the
    remove-worker event were lost), a task whose worker died is failed by the
    executor's watch (WorkerDiedError, named) within seconds; pinned to a
    worker that is gone, it would otherwise wait for ever."""
    import threading

    ex = DaskExecutor(client=own_client, batch_seconds=0)
    own_client.unsubscribe_topic("all")           # no remove-worker event reaches ex
    out: dict = {}

    def run():
        try:
            list(iter_tasks(nap_or_crash, {"bad": (13,)}, executor=ex, retries=0))
        except TaskFailedError as exc:
            out["error"] = str(exc)

    t0 = time.monotonic()
    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(60)
    ex.shutdown(wait=False)
    assert not th.is_alive(), "the task of a dead worker was never failed"
    assert "task 'bad' failed 1 times (retries=0); last error: WorkerDiedError" in out["error"]
    assert time.monotonic() - t0 < 60


def _kill_and_wait(client, address, pids, killed: list) -> None:
    """SIGKILL the worker at ``address`` (its pid appended to ``killed``);
    return once the scheduler no longer lists it."""
    pid = pids[address]
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)
    deadline = time.monotonic() + 60
    while address in client.nthreads():
        assert time.monotonic() < deadline, f"worker {address} still listed 60 s after SIGKILL"
        time.sleep(0.1)


def test_a_result_lost_with_its_worker_is_run_again_not_waited_for(own_client, monkeypatch):
    """The worker holding a finished task's result dies before the result is
    fetched (the fetch is held back until then). The task is pinned to that
    worker, so nothing would recompute it: the result is not waited for (it
    used to be, for ever, in Dask's callback thread); the task runs again on
    the other worker at no cost. With no lost result allowed, the same loss
    is a WorkerDiedError, charged as a death is and named."""
    from tnrnn.parallel import _dask

    client = own_client
    pids = client.run(os.getpid)
    killed: list = []

    def holding_back(ex):
        real = ex._outcome

        def outcome(dfut):
            if not killed:  # the first fetch: kill the worker holding the result first
                holder, = client.who_has(dfut)[dfut.key]
                _kill_and_wait(client, holder, pids, killed)
            return real(dfut)
        ex._outcome = outcome

    ex = DaskExecutor(client=client, batch_seconds=0)
    holding_back(ex)
    t0 = time.monotonic()
    res, = iter_tasks(spin, {"a": (1000, 7)}, executor=ex, retries=0)
    ex.shutdown()
    assert killed and time.monotonic() - t0 < 120
    assert (res.key, res.value, res.attempts) == ("a", lcg_closed_form(1000, 7), 1)
    assert res.worker.rsplit(":", 1)[1] != str(killed[0])  # computed again, elsewhere
    assert killed[0] not in client.run(os.getpid).values()  # it did die

    client.wait_for_workers(2, timeout=RESTART_S)
    pids, killed[:] = client.run(os.getpid), []
    monkeypatch.setattr(_dask, "MAX_LOST_RESULTS", 0)
    ex = DaskExecutor(client=client, batch_seconds=0)
    holding_back(ex)
    with pytest.raises(TaskFailedError, match=r"task 'a' failed 1 times \(retries=0\); last "
                                              r"error: WorkerDiedError: its Dask worker "
                                              r"tcp://127\.0\.0\.1:\d+ died holding its result "
                                              r"\(1 results lost so far\)"):
        list(iter_tasks(spin, {"a": (1000, 7)}, executor=ex, retries=0))
    ex.shutdown()
    assert len(killed) == 1


def test_a_closed_client_is_a_named_error_not_a_wait(cluster):
    """check_alive, which iter_tasks calls while it waits, names a Dask
    executor whose client is closed (nothing in flight can finish)."""
    from distributed import Client

    c = Client(cluster, set_as_default=False)
    ex = DaskExecutor(client=c)
    assert ex.check_alive() is None
    c.close()
    with pytest.raises(ExecutorDiedError, match=r"the Dask executor can run nothing more "
                                                r"\(shut down: False; client closed; Dask "
                                                r"scheduler tcp://127\.0\.0\.1:\d+\)"):
        ex.check_alive()


def test_unreachable_scheduler_fails_within_timeout():
    port = _closed_port()
    t0 = time.monotonic()
    with pytest.raises(SchedulerError, match=rf"cannot reach a Dask scheduler at "
                                             rf"tcp://127.0.0.1:{port} within 1 s"):
        make_executor(scheduler=f"127.0.0.1:{port}", timeout=1.0)
    assert time.monotonic() - t0 < 20


def test_scheduler_file_missing_or_bad(tmp_path):
    with pytest.raises(SchedulerError, match="did not appear within 0.3 s"):
        make_executor(scheduler_file=str(tmp_path / "none.json"), timeout=0.3)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(SchedulerError, match="holds no scheduler address"):
        make_executor(scheduler_file=str(bad), timeout=0.3)


def test_bad_timeout():
    from tnrnn.errors import SpecError

    for bad in (0, -1, float("nan"), float("inf"), 1e300, "10", True):
        with pytest.raises(SpecError, match=r"timeout must be a number of seconds > 0 and "
                                            r"<= 86400 \(one day\); got "):
            make_executor(scheduler="127.0.0.1:8786", timeout=bad)


# ------------------------------------------------------------------ the table
TABLE = ["--depth", "1,2,3", "--hidden", "2,3", "--input-dim", "2", "--length", "2,4,6"]


def test_table_on_dask_equals_serial(cluster, tmp_path):
    _table(*TABLE, "--json", str(tmp_path / "serial.json"))
    _table(*TABLE, "--json", str(tmp_path / "dask.json"),
           "--scheduler", cluster.scheduler_address, "--log", str(tmp_path / "log.jsonl"))
    assert _rows(tmp_path / "dask.json") == _rows(tmp_path / "serial.json")
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 18


def test_table_unreachable_scheduler_exits_2_quickly():
    port = _closed_port()
    t0 = time.monotonic()
    res = CliRunner().invoke(cli, ["table", "--depth", "1", "--hidden", "2", "--input-dim",
                                   "2", "--length", "2", "--scheduler",
                                   f"tcp://127.0.0.1:{port}", "--connect-timeout", "1"])
    assert res.exit_code == 2
    assert f"error: cannot reach a Dask scheduler at tcp://127.0.0.1:{port} within 1 s" \
        in res.stderr
    assert time.monotonic() - t0 < 20


@pytest.mark.slow
def test_table_on_a_cluster_started_from_the_command_line(tmp_path):
    """`dask scheduler` and `dask worker` as the docs start them (on 127.0.0.1),
    joined through a scheduler file: the real scheduler and workers import
    the task function from tnrnn; nothing listens beyond 127.0.0.1."""
    import subprocess
    import sys
    from pathlib import Path

    import psutil

    dask = str(Path(sys.executable).with_name("dask"))
    sched_file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                               str(sched_file)], **quiet)]
    try:
        procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(sched_file),
                                       "--nworkers", "2", "--nthreads", "1", "--host",
                                       "127.0.0.1", "--dashboard-address", "127.0.0.1:0"],
                                      **quiet))
        with make_executor(scheduler_file=str(sched_file), timeout=60) as ex:
            ex.client.wait_for_workers(2, timeout=RESTART_S)
            listening = set()
            for p in procs:
                for q in [psutil.Process(p.pid), *psutil.Process(p.pid).children(True)]:
                    listening |= {c.laddr.ip for c in q.net_connections("inet")
                                  if c.status == psutil.CONN_LISTEN}
            assert listening == {"127.0.0.1"}
        _table(*TABLE, "--json", str(tmp_path / "serial.json"))
        _table(*TABLE, "--json", str(tmp_path / "cluster.json"), "--scheduler-file",
               str(sched_file))
        assert _rows(tmp_path / "cluster.json") == _rows(tmp_path / "serial.json")
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=30)
