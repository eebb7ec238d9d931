"""tnrnn.parallel: short tasks sent in batches (issue 22, part 3).

A thread pool stands in for a cluster that asks for batches; a task that
raises :class:`_Die` plays a task that kills its worker: the whole
submission it was part of fails with WorkerDiedError, as on Dask. (The
same on a real two-worker Dask cluster is in test_parallel_dask.py.)
Ground truth: the serial run, and the attempts each task was charged.
"""
import concurrent.futures as cf

import pytest

from tnrnn.errors import SpecError
from tnrnn.parallel import (DaskExecutor, ResultsLog, TaskFailedError, WorkerDiedError,
                            iter_tasks, run_tasks)
from tnrnn.parallel._batch import MAX_BATCH, BatchSizer, check_batch_seconds, timed_batch


class _Die(BaseException):
    """The worker process died (simulated: not an Exception, so it ends the
    whole batch, as a dead process does)."""


def square(i):
    return i * i


def die_at(i, bad):
    if i == bad:
        raise _Die
    return i * i


def die_once_at(i, bad, dead):
    if i == bad and not dead:
        dead.append(i)
        raise _Die
    return i * i


def fail_once_at(i, bad, seen, error=RuntimeError):
    if i == bad and not seen:
        seen.append(i)
        raise error(f"task {i} failed")
    return i * i


def refuse_at(i, bad):
    if i == bad:
        raise SpecError(f"task {i} refused")
    return i * i


class _Cluster:
    """A thread pool with the executor interface and ``batch_seconds``;
    records the task arguments of every submission."""

    def __init__(self, workers=2, batch_seconds=0.1):
        self.pool = cf.ThreadPoolExecutor(workers)
        self.workers, self.seconds = workers, batch_seconds
        self.submissions = []

    def submit(self, fn, /, *args, priority=0, **kwargs):
        batch = fn is timed_batch
        self.submissions.append([a for a, _ in args[1]] if batch else [args[1]])
        out = cf.Future()
        inner = self.pool.submit(fn, *args, **kwargs)

        def done(f):
            if not out.set_running_or_notify_cancel():
                return
            exc = f.exception()
            if isinstance(exc, _Die):
                out.set_exception(WorkerDiedError("its worker died while running it"))
            elif exc is not None:
                out.set_exception(exc)
            else:
                out.set_result(f.result())

        inner.add_done_callback(done)
        return out

    def pending_limit(self):
        return self.workers

    def recover(self, exc):
        return isinstance(exc, WorkerDiedError)

    def batch_seconds(self):
        return self.seconds

    def sizes(self):
        return [len(s) for s in self.submissions]

    def shutdown(self):
        self.pool.shutdown()


@pytest.fixture
def cluster():
    # 10 s of work per batch: a task delayed by the machine's load (tens of
    # ms) must not keep the tiny tasks here from being batched
    c = _Cluster(batch_seconds=10.0)
    yield c
    c.shutdown()


def _tasks(n, *extra):
    return {f"t{i}": (i, *extra) for i in range(n)}


def test_short_tasks_go_in_batches_longest_first_equal_to_serial(cluster, tmp_path):
    tasks = _tasks(400)
    cost = {f"t{i}": (i * 7) % 13 for i in range(400)}  # many ties
    seen = []
    log = ResultsLog(tmp_path / "log.jsonl", {"sweep": "squares"})
    results = list(iter_tasks(square, tasks, executor=cluster, cost=cost, log=log,
                              progress=seen.append))
    log.close()
    assert {r.key: r.value for r in results} == run_tasks(square, tasks, cost=cost)
    assert [r.attempts for r in results] == [1] * 400
    sizes = cluster.sizes()
    assert sizes[:BatchSizer.WARM_UP] == [1] * BatchSizer.WARM_UP  # measured first
    assert max(sizes) > 10 and len(sizes) < 400 / 5 and sum(sizes) == 400
    # the batches keep the longest-first order (ties in the given order)
    order = sorted(tasks, key=lambda k: -cost[k])
    assert [f"t{i}" for s in cluster.submissions for (i,) in s] == order
    assert [p.done for p in seen] == list(range(1, 401))
    assert seen[-1].cost_done == sum(cost.values()) and seen[-1].eta_s == 0.0
    assert ResultsLog(tmp_path / "log.jsonl", {"sweep": "squares"}, resume=True).done == \
        {r.key: r.value for r in results}


def test_long_tasks_and_batch_seconds_0_go_one_per_submission():
    import time

    slow = _Cluster(batch_seconds=0.1)
    try:
        out = run_tasks(time.sleep, {f"s{i}": (0.06,) for i in range(10)}, executor=slow)
        assert out == {f"s{i}": None for i in range(10)} and set(slow.sizes()) == {1}
    finally:
        slow.shutdown()
    off = _Cluster(batch_seconds=0)
    try:
        assert run_tasks(square, _tasks(50), executor=off) == run_tasks(square, _tasks(50))
        assert off.sizes() == [1] * 50
    finally:
        off.shutdown()


def test_a_lost_batch_charges_no_task_and_the_killer_is_named(cluster):
    with pytest.raises(TaskFailedError, match=r"task 't150' failed 1 times \(retries=0\); "
                                              r"last error: WorkerDiedError: its worker died"):
        list(iter_tasks(die_at, _tasks(300, 150), executor=cluster, retries=0))
    batches = [s for s in cluster.submissions if (150, 150) in s]
    assert len(batches[0]) > 1  # it died in a batch first (not charged) ...
    assert batches[-1] == [(150, 150)]  # ... then alone, charged and named
    lost = batches[0]  # those ahead of it in the lost batch ran alone before it
    ahead = lost[:lost.index((150, 150))]
    assert all(cluster.submissions.count([t]) == 1 for t in ahead)


def test_a_lost_batch_is_rerun_one_by_one_with_true_attempts(cluster):
    dead = []
    tasks = _tasks(300, 150, dead)
    results = {r.key: r for r in iter_tasks(die_once_at, tasks, executor=cluster,
                                            retries=0)}
    assert dead == [150]  # one worker died, in a batch: no task pays for it
    assert {k: r.value for k, r in results.items()} == {f"t{i}": i * i for i in range(300)}
    assert {r.attempts for r in results.values()} == {1}
    lost = next(s for s in cluster.submissions if len(s) > 1 and (150, 150, dead) in s)
    alone = [s[0] for s in cluster.submissions if len(s) == 1]
    assert all(t in alone for t in lost)


def test_an_error_inside_a_batch_costs_its_own_task_one_attempt(cluster):
    seen = []
    results = {r.key: r for r in iter_tasks(fail_once_at, _tasks(300, 150, seen),
                                            executor=cluster, retries=1)}
    assert seen == [150]
    assert {k: r.value for k, r in results.items()} == {f"t{i}": i * i for i in range(300)}
    assert {k: r.attempts for k, r in results.items() if r.attempts != 1} == {"t150": 2}
    with pytest.raises(TaskFailedError, match=r"task 't150' failed 1 times \(retries=0\); "
                                              r"last error: RuntimeError: task 150 failed"):
        list(iter_tasks(fail_once_at, _tasks(300, 150, []), executor=cluster, retries=0))


def test_a_refusal_inside_a_batch_is_raised_as_it_is(cluster):
    with pytest.raises(SpecError, match="task 150 refused"):
        list(iter_tasks(refuse_at, _tasks(300, 150), executor=cluster, retries=3))
    assert any(len(s) > 1 and (150, 150) in s for s in cluster.submissions)


def test_batch_sizes_follow_measured_times():
    s = BatchSizer(0.1)
    assert s.size(1000, 2) == 1
    for _ in range(BatchSizer.WARM_UP):
        s.measured(0.002)
    assert s.size(1000, 2) == 50  # 0.1 s / 2 ms
    assert s.size(12, 2) == 3  # a quarter of what is left, with 2 in flight
    assert s.size(1, 2) == 1
    s.measured(0.05)  # a task of half the target among the last ones: alone
    assert s.size(1000, 2) == 1
    quick = BatchSizer(10.0)
    for _ in range(BatchSizer.WARM_UP):
        quick.measured(0.0)
    assert quick.size(10 ** 6, 1) == MAX_BATCH
    assert BatchSizer(0).size(1000, 2) == 1


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), 61, "0.1", True, None])
def test_bad_batch_seconds(bad):
    with pytest.raises(SpecError, match=r"batch_seconds must be a number of seconds >= 0 "
                                        r"\(0: one task per submission\) and <= 60; got "):
        check_batch_seconds(bad)
    with pytest.raises(SpecError, match=r"batch_seconds must be a number of seconds >= 0"):
        DaskExecutor("127.0.0.1:8786", batch_seconds=bad)  # refused before any connection


def test_timed_batch_keeps_going_after_an_error():
    out = timed_batch(divmod, [((7, 2), {}), ((1, 0), {}), ((9,), {"b": 4})])
    assert [ok for ok, _ in out] == [True, False, False]
    assert out[0][1][0] == (3, 1) and isinstance(out[1][1], ZeroDivisionError)
    assert isinstance(out[2][1], TypeError)
