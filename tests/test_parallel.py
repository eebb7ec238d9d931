"""tnrnn.parallel: serial and local-process executors, retries, the results log.

Ground truth: the probe tasks are deterministic (``spin`` against the
closed form of its generator); a parallel run is compared with the serial
one value for value.
"""
import json
import os
import sys
import time

import pytest

from tnrnn.errors import MissingDependencyError, OutputPathError, SpecError
from tnrnn.parallel import (THREAD_ENV, ProcessExecutor, ResultsLog, SerialExecutor,
                            TaskFailedError, get_executor_kind, iter_tasks, make_executor,
                            ordered_map, parse_scheduler_address, run_tasks)
from tnrnn.parallel import WorkerDiedError, WorkerStartError
from tnrnn.parallel.probes import (crash_always, crash_once, environment, fail_always,
                                   lcg_closed_form, nap, nap_or_crash, refuse, spin)

SPIN_TASKS = {f"t{i}": (1000 * (i % 4), i) for i in range(10)}


class _DyingContext:
    """A multiprocessing context whose processes exit at once (as a script
    without the ``__main__`` guard does in a spawned child)."""

    def Process(self, target, args, daemon):
        import multiprocessing

        return multiprocessing.get_context("spawn").Process(target=crash_always, args=(1,),
                                                            daemon=daemon)


@pytest.fixture(scope="module")
def pool():
    ex = ProcessExecutor(2)
    yield ex
    ex.shutdown()


# ---------------------------------------------------------------------- serial
def test_serial_runs_longest_first_ties_in_given_order():
    order = []
    tasks = {"a": (1,), "b": (2,), "c": (3,), "d": (4,)}
    cost = {"a": 1, "b": 5, "c": 1, "d": 5}
    for r in iter_tasks(str, tasks, cost=cost, progress=lambda p: order.append(p.last.key)):
        assert r.value == tasks[r.key][0].__str__()
    assert order == ["b", "d", "a", "c"]


def test_run_tasks_equals_closed_form_and_keeps_task_order():
    out = run_tasks(spin, SPIN_TASKS, cost={k: a[0] for k, a in SPIN_TASKS.items()})
    assert list(out) == list(SPIN_TASKS)
    assert out == {k: lcg_closed_form(*a) for k, a in SPIN_TASKS.items()}


def test_ordered_map_keeps_input_order(pool):
    items = [1000 * (i % 3) + i for i in range(7)]
    out = list(ordered_map(spin, items, executor=pool, cost=lambda n: n))
    assert out == [lcg_closed_form(n) for n in items]


def test_keyword_tasks_and_cost_callable():
    tasks = {"x": {"steps": 5, "seed": 2}, "y": {"steps": 0, "seed": 9}}
    out = run_tasks(spin, tasks, cost=lambda key, steps, seed: steps)
    assert out == {"x": lcg_closed_form(5, 2), "y": 9}


def test_progress_counts_costs_and_eta():
    seen = []
    run_tasks(spin, {"a": (10,), "b": (30,), "c": (60,)}, cost={"a": 1, "b": 3, "c": 6},
              progress=seen.append)
    assert [p.done for p in seen] == [1, 2, 3]
    assert [p.cost_done for p in seen] == [6.0, 9.0, 10.0]  # c, b, a: longest first
    assert all(p.total == 3 and p.cost_total == 10.0 for p in seen)
    assert seen[-1].eta_s == 0.0 and all(p.eta_s >= 0 for p in seen)
    assert all(p.last.cpu_s >= 0 and p.last.wall_s >= 0 for p in seen)


def test_task_results_record_cpu_time_and_worker():
    (r,) = iter_tasks(spin, {"a": (200_000,)})
    assert r.cpu_s > 0 and r.wall_s > 0 and r.attempts == 1
    assert 0 < r.thread_cpu_s <= r.cpu_s + 1e-3
    assert r.worker.endswith(f":{os.getpid()}")  # serial: this process


def test_refusal_is_raised_at_once_not_retried():
    with pytest.raises(SpecError, match="no such thing"):
        run_tasks(refuse, {"a": ("no such thing",)}, retries=5)


def test_failing_task_gives_up_after_retries():
    with pytest.raises(TaskFailedError, match=r"task 'a' failed 3 times \(retries=2\); "
                                              r"last error: RuntimeError: boom"):
        run_tasks(fail_always, {"a": ("boom",)}, retries=2)


@pytest.mark.parametrize("kwargs,message", [
    ({"tasks": [1, 2]}, "tasks must be a mapping key -> arguments; got list"),
    ({"tasks": {1: (2,)}}, "task keys must be strings"),
    ({"tasks": {"a": 3}}, "the arguments of task 'a' must be a tuple"),
    ({"cost": {"a": -1}}, "the cost estimate of task 'a' must be a number >= 0; got -1"),
    ({"cost": {}}, "the cost estimate of task 'a' must be a number >= 0; got None"),
    ({"retries": -1}, "retries must be an integer >= 0; got -1"),
    ({"progress": 3}, "progress must be a callable"),
])
def test_bad_arguments(kwargs, message):
    kwargs = {"tasks": {"a": (1,)}, **kwargs}
    with pytest.raises(SpecError, match=message):
        list(iter_tasks(str, **kwargs))


# ------------------------------------------------------------------- executors
def test_make_executor_kinds_and_conflicts():
    assert isinstance(make_executor(), SerialExecutor)
    assert isinstance(make_executor(workers=1), SerialExecutor)
    assert get_executor_kind("processes") is ProcessExecutor
    with pytest.raises(SpecError, match="give at most one of workers, scheduler"):
        make_executor(workers=2, scheduler_file="x.json")
    with pytest.raises(SpecError, match="workers must be an integer >= 1; got 0"):
        make_executor(workers=0)
    with pytest.raises(SpecError, match="executor must be one of 'serial', 'processes', "
                                        "'dask'; got 'ray'"):
        get_executor_kind("ray")


@pytest.mark.parametrize("address", ["head", "http://head:8786", "tcp://head:0",
                                     "tcp://head:70000", "tcp://:8786", 8786])
def test_bad_scheduler_addresses(address):
    with pytest.raises(SpecError, match="scheduler address must be tcp://HOST:PORT"):
        parse_scheduler_address(address)


def test_scheduler_addresses_normalised():
    assert parse_scheduler_address(" 127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert parse_scheduler_address("tls://head.example:443") == "tls://head.example:443"
    assert parse_scheduler_address("tcp://[::1]:8786") == "tcp://[::1]:8786"


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'tnrnn\[distributed\]'"):
        make_executor(scheduler="tcp://127.0.0.1:8786")


def test_process_pool_equals_serial(pool):
    serial = run_tasks(spin, SPIN_TASKS)
    assert run_tasks(spin, SPIN_TASKS, executor=pool,
                     cost={k: a[0] for k, a in SPIN_TASKS.items()}) == serial


def test_process_workers_start_with_one_thread_each(pool):
    before = {k: os.environ.get(k) for k in THREAD_ENV}
    out = run_tasks(environment, {"a": (sorted(THREAD_ENV),), "b": (sorted(THREAD_ENV),)},
                    executor=pool)
    for env in out.values():
        assert env["start"] == THREAD_ENV  # in the environment at exec, before numpy
        assert env["now"] == THREAD_ENV
        assert env["pid"] != os.getpid()
    assert {k: os.environ.get(k) for k in THREAD_ENV} == before  # parent unchanged


def test_killed_process_worker_loses_nothing(tmp_path):
    tasks = {"c0": (str(tmp_path / "m0"), 0)}  # kills its worker the first time
    tasks.update({f"s{i}": (str(tmp_path / "never"), 100 + i) for i in range(4)})
    (tmp_path / "never").write_text("")  # these never crash
    with ProcessExecutor(2) as ex:
        results = list(iter_tasks(crash_once, tasks, executor=ex, retries=3))
        assert ex.restarts >= 1
    assert {r.key: r.value for r in results} == {k: a[1] for k, a in tasks.items()}
    assert all(r.attempts >= 2 for r in results if r.key.startswith("c"))
    assert (tmp_path / "m0").exists()


def test_a_dead_worker_costs_only_its_own_task(tmp_path):
    """Two workers: one runs a healthy task, the other dies. Only the task
    that killed its worker is charged an attempt; the healthy one is not
    restarted (attempts == 1) and the pool keeps its healthy worker."""
    with ProcessExecutor(2) as ex:
        run_tasks(nap, {"warm": (0.0,), "warm2": (0.0,)}, executor=ex)  # both workers up
        results = {}
        futs = {"slow": ex.submit(nap, 1.5, "slow-done")}
        time.sleep(0.3)  # the slow task is running
        futs["crash"] = ex.submit(crash_once, str(tmp_path / "m"), "crash-done")
        with pytest.raises(WorkerDiedError, match=r"its worker process \d+ died while "
                                                  r"running it \(exit code 13\)"):
            futs["crash"].result(timeout=60)
        results["slow"] = futs["slow"].result(timeout=60)
        assert ex.restarts == 1
    assert results == {"slow": "slow-done"}


def test_retries_0_blames_the_task_that_killed_its_worker():
    tasks = {f"h{i}": (0.6, i) for i in range(3)}
    tasks["bad"] = (13,)
    with ProcessExecutor(2) as ex:
        with pytest.raises(TaskFailedError, match=r"task 'bad' failed 1 times \(retries=0\); "
                                                  r"last error: WorkerDiedError: its worker "
                                                  r"process \d+ died while running it "
                                                  r"\(exit code 13\)"):
            list(iter_tasks(nap_or_crash, tasks, executor=ex, retries=0,
                            cost={"h0": 3, "h1": 2, "bad": 1, "h2": 0}))


def test_retries_1_reruns_only_the_dead_workers_task(tmp_path):
    (tmp_path / "never").write_text("")
    tasks = {f"h{i}": (str(tmp_path / "never"), i) for i in range(4)}
    tasks["c"] = (str(tmp_path / "m"), "c")
    with ProcessExecutor(2) as ex:
        results = {r.key: r for r in iter_tasks(crash_once, tasks, executor=ex, retries=1)}
    assert {k: r.value for k, r in results.items()} == {k: a[1] for k, a in tasks.items()}
    assert {k: r.attempts for k, r in results.items()} == {"h0": 1, "h1": 1, "h2": 1,
                                                           "h3": 1, "c": 2}


def test_workers_that_die_while_starting_stop_the_pool(monkeypatch):
    import tnrnn.parallel._pool as pool_mod

    ex = ProcessExecutor(2)
    monkeypatch.setattr(ex._pool, "_context", _DyingContext())
    with pytest.raises(WorkerStartError, match=r"3 worker processes died while starting .*"
                                               r"if __name__ == \"__main__\":"):
        run_tasks(spin, {"a": (1,)}, executor=ex)
    ex.shutdown()
    assert pool_mod.MAX_START_FAILURES == 3


def test_too_many_local_workers_refused():
    from tnrnn.parallel import max_local_workers

    with pytest.raises(SpecError, match=r"workers must be an integer in 1\.\.\d+ \(4 per "
                                        r"core on the \d+ cores here"):
        ProcessExecutor(max_local_workers() + 1)


# ------------------------------------------------------------------ results log
def test_log_reads_back_exactly(tmp_path):
    path = tmp_path / "log.jsonl"
    values = {"big": 3 ** 200, "float": 0.1 + 0.2, "row": {"a": [1, 2], "b": None}}
    with ResultsLog(path, {"seed": 0}) as log:
        for k, v in values.items():
            log.write(k, v, cpu_s=0.5, wall_s=0.25, worker="h:1")
    assert ResultsLog(path, {"seed": 0}, resume=True).done == values
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"tnrnn_results_log": 1, "meta": {"seed": 0}}
    assert len(lines) == 4


def test_log_resume_drops_a_cut_line_and_continues(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {"n": 1}) as log:
        log.write("a", 1)
        log.write("b", 2)
    with open(path, "ab") as fh:
        fh.write(b'{"key":"c","res')  # the run died while writing c
    with ResultsLog(path, {"n": 1}, resume=True) as log:
        assert log.done == {"a": 1, "b": 2}
        log.write("c", 3)
    assert ResultsLog(path, {"n": 1}, resume=True).done == {"a": 1, "b": 2, "c": 3}
    assert len(path.read_text().splitlines()) == 4


def test_log_without_resume_replaces_and_resume_creates(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {}) as log:
        log.write("a", 1)
    assert ResultsLog(path, {}).done == {}
    assert len(path.read_text().splitlines()) == 1
    fresh = tmp_path / "fresh.jsonl"
    ResultsLog(fresh, {}, resume=True).close()
    assert fresh.exists()


def test_log_refuses_another_sweep_or_another_file(tmp_path):
    path = tmp_path / "log.jsonl"
    ResultsLog(path, {"seed": 0, "inputs": "continuous"}).close()
    with pytest.raises(SpecError, match=r"written for another sweep \(seed: 0 in the log, "
                                        r"1 now\)"):
        ResultsLog(path, {"seed": 1, "inputs": "continuous"}, resume=True)
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(OutputPathError, match="is not a tnrnn results log"):
        ResultsLog(other, {}, resume=True)
    other.write_text('{"x": 1}\n')
    with pytest.raises(OutputPathError, match="is not a tnrnn results log"):
        ResultsLog(other, {}, resume=True)


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path):
    path = tmp_path / "log.jsonl"
    serial = run_tasks(spin, SPIN_TASKS)
    with ResultsLog(path, {"sweep": "spin"}) as log:
        it = iter_tasks(spin, SPIN_TASKS, log=log)
        first = [next(it) for _ in range(4)]
        it.close()  # interrupted after 4 rows
    assert len(path.read_text().splitlines()) == 5
    with ResultsLog(path, {"sweep": "spin"}, resume=True) as log:
        results = list(iter_tasks(spin, SPIN_TASKS, log=log))
    resumed = {r.key for r in results if r.resumed}
    assert resumed == {r.key for r in first}
    assert {r.key: r.value for r in results} == serial
    assert ResultsLog(path, {"sweep": "spin"}, resume=True).done == serial


def test_any_concurrent_futures_executor_works():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(3) as ex:
        assert run_tasks(spin, SPIN_TASKS, executor=ex) == \
            {k: lcg_closed_form(*a) for k, a in SPIN_TASKS.items()}
    with pytest.raises(SpecError, match="executor must be a concurrent.futures.Executor"):
        run_tasks(spin, SPIN_TASKS, executor=object())


def test_log_rows_checked_on_resume_with_line_numbers(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {"n": 1}) as log:
        log.write("a", 1)
        log.write("b", -2)

    def positive(key, result):
        return None if result > 0 else f"{result} is not positive"

    with pytest.raises(SpecError, match=r"line 3 \(row 'b'\): -2 is not positive; delete "
                                        r"that line \(its task is then run again\)"):
        ResultsLog(path, {"n": 1}, resume=True, check=positive)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n")
    with pytest.raises(SpecError, match=r"line 3 repeats the row 'a' of line 2"):
        ResultsLog(path, {"n": 1}, resume=True)
    path.write_text("\n".join([lines[0], "[1, 2]", lines[1]]) + "\n")
    with pytest.raises(SpecError, match=r"line 2 is not a row"):
        ResultsLog(path, {"n": 1}, resume=True)
    assert path.read_text().splitlines()[1] == "[1, 2]"  # refused, not truncated


def test_log_is_locked_while_open(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {}, resume=True):
        for resume in (True, False):
            with pytest.raises(OutputPathError, match="is in use by another run"):
                ResultsLog(path, {}, resume=resume)
    ResultsLog(path, {}, resume=True).close()


def test_log_never_replaces_rows_or_foreign_files_when_asked(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {}) as log:
        log.write("a", 1)
    with pytest.raises(OutputPathError, match=r"already holds 1 finished row\(s\)"):
        ResultsLog(path, {}, replace=False)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    with pytest.raises(OutputPathError, match="tnrnn does not overwrite it"):
        ResultsLog(notes, {})
    assert notes.read_text() == "mine\n"
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b'{"tnrnn_results_log":1,"me')  # died while writing the header
    with ResultsLog(cut, {"x": 1}, resume=True) as log:
        assert log.done == {}
    assert json.loads(cut.read_text().splitlines()[0])["meta"] == {"x": 1}


def test_log_keeps_integers_of_any_size(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultsLog(path, {}) as log:
        log.write("big", 7 ** 9000)  # 7,606 digits: beyond Python's default 4,300
    assert ResultsLog(path, {}, resume=True).done == {"big": 7 ** 9000}


class _NeverFinishes:
    """An executor whose futures never finish and whose check_alive reports
    it dead from its ``dead_after``-th call on (a cluster lost mid-run)."""

    def __init__(self, dead_after):
        self.checks, self.dead_after, self.submitted = 0, dead_after, 0

    def submit(self, fn, /, *args, priority=0, **kwargs):
        import concurrent.futures as cf

        self.submitted += 1
        return cf.Future()

    def pending_limit(self):
        return 1

    def recover(self, exc):
        return False

    def check_alive(self):
        from tnrnn.parallel import ExecutorDiedError

        self.checks += 1
        if self.checks >= self.dead_after:
            raise ExecutorDiedError(f"gone after {self.checks} checks")


def test_iter_tasks_asks_a_silent_executor_whether_it_is_alive(monkeypatch):
    """Waiting for a finished task is not a wait for ever: every
    LIVENESS_SECONDS without one, the executor's check_alive is asked, and
    its error ends the run (the executor's own, named)."""
    from tnrnn.parallel import ExecutorDiedError, runner

    monkeypatch.setattr(runner, "LIVENESS_SECONDS", 0.05)
    ex = _NeverFinishes(dead_after=3)
    t0 = time.monotonic()
    with pytest.raises(ExecutorDiedError, match=r"^gone after 3 checks$"):
        list(iter_tasks(spin, {"a": (1, 1), "b": (1, 2)}, executor=ex))
    assert time.monotonic() - t0 >= 3 * 0.05 - 0.01  # three waits, then the error
    assert (ex.checks, ex.submitted) == (3, 1)
