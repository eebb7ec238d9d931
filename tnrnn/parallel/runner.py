"""Run independent tasks on any executor: longest first, results as they
finish, failed tasks retried, progress with an ETA, a resumable log."""

from __future__ import annotations

import dataclasses
import queue as queue_mod
import time
from typing import Callable, Iterator, Mapping

from ..errors import SpecError, TnrnnError
from ._batch import BatchSizer, timed_batch, timed_call
from ._serial import SerialExecutor

__all__ = ["TaskResult", "TaskFailedError", "Progress", "iter_tasks", "run_tasks",
           "ordered_map", "timed_call"]


class TaskFailedError(TnrnnError, RuntimeError):
    """A task failed on every attempt it was allowed.

    Examples
    --------
    >>> from tnrnn.parallel.probes import fail_always
    >>> list(iter_tasks(fail_always, {"t": ("boom",)}, retries=1))
    Traceback (most recent call last):
    ...
    tnrnn.parallel.runner.TaskFailedError: task 't' failed 2 times (retries=1); last error: RuntimeError: boom
    """


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One finished task.

    Parameters
    ----------
    key : str
        The task's key.
    value : object
        What the task function returned (read back from the log when resumed).
    cpu_s, wall_s : float or None
        Process CPU time and wall time of the call, measured inside the
        worker (``None`` for rows taken from a resumed log that lacks them).
        The process time includes whatever other threads the worker runs
        meanwhile (a Dask worker's event loop and profiler).
    attempts : int
        1 unless the task was retried (0: taken from a resumed log).
    worker : str or None
        ``host:pid`` of the process that ran it.
    thread_cpu_s : float or None
        CPU time of the thread that ran the call (the task's own share of
        ``cpu_s``).

    Examples
    --------
    >>> res = next(iter_tasks(pow, {"p": (2, 5)}))
    >>> res.key, res.value, res.attempts, res.resumed, res.wall_s >= 0
    ('p', 32, 1, False, True)
    """

    key: str
    value: object
    cpu_s: float | None = None
    wall_s: float | None = None
    attempts: int = 1
    worker: str | None = None
    thread_cpu_s: float | None = None

    @property
    def resumed(self) -> bool:
        """Whether the result was read back from a resumed log (not run here)."""
        return self.attempts == 0

    def to_dict(self) -> dict:
        """The fields as a dict (``value`` as the task returned it).

        Returns
        -------
        dict
            ``key``, ``value``, ``cpu_s``, ``wall_s``, ``attempts``, ``worker``,
            ``thread_cpu_s``.

        Examples
        --------
        >>> TaskResult("k", 3, attempts=2).to_dict()["attempts"]
        2
        """
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Progress:
    """Handed to the ``progress`` callback after each finished task.

    ``done``/``total`` count tasks (resumed ones included); ``cost_done``/
    ``cost_total`` add up the caller's cost estimates; ``eta_s`` is the
    remaining estimated cost divided by the cost finished per second so
    far in this run (``None`` until a task has finished here).

    Parameters
    ----------
    done, total : int
        Tasks finished (resumed ones included) and in all.
    cost_done, cost_total : float
        The caller's cost estimates, finished and in all.
    elapsed_s : float
        Seconds since the run started.
    eta_s : float or None
        Estimated seconds left.
    last : TaskResult or None
        The task that just finished.

    Examples
    --------
    >>> seen = []
    >>> _ = run_tasks(pow, {"a": (2, 3), "b": (2, 4)}, cost={"a": 1, "b": 3},
    ...               progress=seen.append)
    >>> [(p.done, p.total, p.cost_done, p.cost_total) for p in seen]
    [(1, 2, 3.0, 4.0), (2, 2, 4.0, 4.0)]
    >>> seen[-1].eta_s, seen[-1].last.key
    (0.0, 'a')
    """

    done: int
    total: int
    cost_done: float
    cost_total: float
    elapsed_s: float
    eta_s: float | None
    last: TaskResult | None

    def to_dict(self) -> dict:
        """The fields as a dict, ``last`` as its own ``to_dict()`` (or None).

        Returns
        -------
        dict
            ``done``, ``total``, ``cost_done``, ``cost_total``, ``elapsed_s``,
            ``eta_s``, ``last``.

        Examples
        --------
        >>> Progress(1, 2, 1.0, 3.0, 0.5, 1.0, TaskResult("a", 8)).to_dict()["last"]["value"]
        8
        """
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["last"] = None if self.last is None else self.last.to_dict()
        return out


def _normalise_tasks(tasks) -> dict:
    if not isinstance(tasks, Mapping):
        raise SpecError(f"tasks must be a mapping key -> arguments; got {type(tasks).__name__}")
    out = {}
    for key, args in tasks.items():
        if not isinstance(key, str):
            raise SpecError(f"task keys must be strings (they are written to the log); "
                            f"got {key!r}")
        if isinstance(args, dict):
            out[key] = ((), args)
        elif isinstance(args, tuple):
            out[key] = (args, {})
        else:
            raise SpecError(f"the arguments of task {key!r} must be a tuple (positional) or "
                            f"a dict (keywords); got {type(args).__name__}")
    return out


def _costs(cost, tasks: dict) -> dict:
    if cost is None:
        return {k: 1.0 for k in tasks}
    out = {}
    for key, (args, kwargs) in tasks.items():
        c = cost(key, *args, **kwargs) if callable(cost) else cost.get(key, None)
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not c >= 0:
            raise SpecError(f"the cost estimate of task {key!r} must be a number >= 0; "
                            f"got {c!r}")
        out[key] = float(c)
    return out


class _Plain:
    """Any :class:`concurrent.futures.Executor` (a ThreadPoolExecutor, say)
    seen through the interface of this package's executors."""

    def __init__(self, executor):
        if not callable(getattr(executor, "submit", None)):
            raise SpecError("executor must be a concurrent.futures.Executor or come from "
                            f"make_executor; got {type(executor).__name__}")
        self.executor = executor
        self.limit = 2 * int(getattr(executor, "_max_workers", 1) or 1)

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        return self.executor.submit(fn, *args, **kwargs)

    def pending_limit(self) -> int:
        return self.limit

    def recover(self, exc) -> bool:
        return False


#: Seconds iter_tasks waits for a finished task before it asks the executor
#: whether it is still alive (``executor.check_alive()``, where it has one).
LIVENESS_SECONDS = 5.0


def _next_finished(finished_q, executor):
    """The next finished future; every :data:`LIVENESS_SECONDS` without one,
    ``executor.check_alive()`` (where there is one) raises if the executor
    can finish nothing more, instead of a wait for ever."""
    check = getattr(executor, "check_alive", None)
    while True:
        try:
            return finished_q.get(timeout=LIVENESS_SECONDS)
        except queue_mod.Empty:
            if callable(check):
                check()


def _adapt(executor):
    if all(callable(getattr(executor, name, None))
           for name in ("submit", "pending_limit", "recover")):
        return executor
    return _Plain(executor)


def iter_tasks(fn: Callable, tasks: Mapping, *, executor=None, cost=None, retries: int = 2,
               progress: Callable | None = None, log=None) -> Iterator[TaskResult]:
    """Run ``fn`` on every task; yield a :class:`TaskResult` as each finishes.

    Parameters
    ----------
    fn : callable
        A module-level function (process pools and Dask pickle it by name):
        ``fn(*args)`` or ``fn(**kwargs)``. It must return a JSON value when
        a ``log`` is given; returning plain ints, strings and dicts keeps
        results identical whatever ran them.
    tasks : mapping
        ``key -> args`` (a tuple) or ``key -> kwargs`` (a dict); keys are
        strings.
    executor : optional
        From :func:`make_executor` (``None`` runs serially here), or any
        :class:`concurrent.futures.Executor` (run in submission order, at
        most twice its workers ahead).
    cost : mapping or callable, optional
        Estimated cost of each task (``cost[key]`` or ``cost(key, *args,
        **kwargs)``), in any unit: tasks are submitted most expensive first
        (ties in the order given), and the ETA is cost-weighted.
    retries : int
        Attempts allowed after the first when a task raises anything but a
        :class:`~tnrnn.errors.TnrnnError` (a refusal, which is deterministic),
        e.g. when its worker died; a broken process pool is restarted.
    progress : callable, optional
        ``progress(Progress)`` after each finished task.
    log : ResultsLog, optional
        Finished tasks are appended as they finish; tasks already in
        ``log.done`` (a resumed log) are not run again and come first.

    Yields
    ------
    TaskResult
        In the order the tasks finish.

    Raises
    ------
    TaskFailedError
        A task failed ``retries + 1`` times; what finished is in the log.
    TnrnnError
        Raised by a task: not retried.
    ExecutorDiedError
        The executor can finish nothing more (``executor.check_alive()``,
        asked every :data:`LIVENESS_SECONDS` without a finished task: a Dask
        client closed, say); what finished is in the log.

    Notes
    -----
    At most ``executor.pending_limit()`` tasks are in flight (twice the
    workers for a process pool, whose queue is first in, first out; a few
    hundred for Dask, whose scheduler orders them by the ``priority`` each
    is submitted with), so the longest-first order holds on any executor
    and the client holds a bounded number of futures however long the
    sweep.

    An executor with a ``batch_seconds()`` above 0 (Dask's, where one
    submission costs milliseconds of CPU) gets short tasks in batches: once
    a few tasks have finished, queued tasks go together in one submission,
    about ``batch_seconds()`` of work at the longest recent task's wall time
    (see the batching notes of :class:`~tnrnn.parallel.DaskExecutor`); long tasks still go one at a time.
    Each task of a batch is a task as any other: its own result, attempt,
    log row and progress report, all when the batch comes back. A batch lost
    as a whole (its worker died) costs none of its tasks an attempt; they
    are run again one per submission, so a task that kills its worker is
    charged for it, and named when it runs out of ``retries``.

    Examples
    --------
    >>> from tnrnn.parallel import iter_tasks
    >>> [r.value for r in iter_tasks(pow, {"a": (2, 3), "b": (2, 10)},
    ...                              cost={"a": 1, "b": 5})]
    [1024, 8]
    """
    tasks = _normalise_tasks(tasks)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SpecError(f"retries must be an integer >= 0; got {retries!r}")
    if progress is not None and not callable(progress):
        raise SpecError(f"progress must be a callable progress(Progress); got "
                        f"{type(progress).__name__}")
    costs = _costs(cost, tasks)
    executor = SerialExecutor() if executor is None else _adapt(executor)
    total, cost_total = len(tasks), sum(costs.values())
    done = cost_done = 0
    start = time.perf_counter()
    cost_here = 0.0

    def report(last):
        if progress is None:
            return
        elapsed = time.perf_counter() - start
        eta = None
        if cost_here > 0:
            eta = (cost_total - cost_done) * elapsed / cost_here
        elif done == total:
            eta = 0.0
        progress(Progress(done, total, cost_done, cost_total, elapsed, eta, last))

    finished = dict(log.done) if log is not None else {}
    for key in tasks:
        if key in finished:
            rec = log.records.get(key, {})
            res = TaskResult(key, finished[key], rec.get("cpu_s"), rec.get("wall_s"), 0,
                             rec.get("worker"), rec.get("thread_cpu_s"))
            done += 1
            cost_done += costs[key]
            report(res)
            yield res
    # most expensive first; Python's sort is stable, so ties keep their order
    queue = sorted((k for k in tasks if k not in finished), key=lambda k: -costs[k])
    queue.reverse()  # pop() from the end
    attempts = {k: 0 for k in queue}
    priority = {k: len(queue) - i for i, k in enumerate(reversed(queue))}
    running: dict = {}  # future -> (keys, batched)
    finished_q: queue_mod.SimpleQueue = queue_mod.SimpleQueue()
    sizer = BatchSizer(_batch_seconds(executor))
    alone: set = set()  # tasks of a lost batch: from now on one per submission

    def submit():
        limit = executor.pending_limit()
        key = queue.pop()
        keys = [key]
        if key not in alone:
            n = sizer.size(len(queue) + 1, limit)
            while queue and len(keys) < n and queue[-1] not in alone:
                keys.append(queue.pop())
        if len(keys) == 1:
            args, kwargs = tasks[key]
            attempts[key] += 1
            fut = executor.submit(timed_call, fn, args, kwargs, priority=priority[key])
            running[fut] = (keys, False)
        else:  # attempts are counted as each task's outcome comes back
            fut = executor.submit(timed_batch, fn, [tasks[k] for k in keys],
                                  priority=priority[key])
            running[fut] = (keys, True)
        fut.add_done_callback(finished_q.put)  # O(1) per task, unlike cf.wait

    try:
        while queue or running:
            while queue and len(running) < executor.pending_limit():
                submit()
            fut = _next_finished(finished_q, executor)
            keys, batched = running.pop(fut)
            exc = fut.exception()
            if batched and exc is not None:
                # lost as a whole (its worker died): no task is charged; each
                # runs alone from now on, so whichever kills its worker again
                # is the one charged (and named when out of retries)
                executor.recover(exc)
                alone.update(keys)
                queue.extend(reversed(keys))  # next to run, in their order
                continue
            if batched:
                outcomes = zip(keys, fut.result())
            else:
                outcomes = [(keys[0], (True, fut.result()) if exc is None else (False, exc))]
            for key, (ok, out) in outcomes:
                if batched:
                    attempts[key] += 1
                if not ok:
                    if isinstance(out, TnrnnError):
                        raise out
                    if attempts[key] > retries:
                        raise TaskFailedError(
                            f"task {key!r} failed {attempts[key]} times (retries={retries}); "
                            f"last error: {type(out).__name__}: {out}") from out
                    executor.recover(out)
                    alone.add(key)
                    queue.append(key)  # next to run: it was among the longest
                    continue
                value, cpu_s, wall_s, worker, thread_s = out
                sizer.measured(wall_s)
                res = TaskResult(key, value, cpu_s, wall_s, attempts[key], worker, thread_s)
                if log is not None:
                    log.write(key, value, cpu_s=cpu_s, wall_s=wall_s, thread_cpu_s=thread_s,
                              attempts=attempts[key], worker=worker)
                done += 1
                cost_done += costs[key]
                cost_here += costs[key]
                report(res)
                yield res
    finally:
        for fut in running:
            fut.cancel()


def _batch_seconds(executor) -> float:
    """Seconds of work the executor wants per submission (0: one task each)."""
    get = getattr(executor, "batch_seconds", None)
    return float(get()) if callable(get) else 0.0


def run_tasks(fn: Callable, tasks: Mapping, **options) -> dict:
    """:func:`iter_tasks` to completion: ``{key: value}`` in the order of
    ``tasks``, whatever order they finished in.

    Parameters
    ----------
    fn : callable
        The task function (as for :func:`iter_tasks`).
    tasks : mapping
        ``key -> args`` (tuple) or ``key -> kwargs`` (dict).
    **options
        ``executor``, ``cost``, ``retries``, ``progress``, ``log``: as for
        :func:`iter_tasks`.

    Returns
    -------
    dict
        ``{key: value}``.

    Examples
    --------
    >>> from tnrnn.parallel import run_tasks
    >>> run_tasks(divmod, {"x": (7, 2), "y": (9, 4)})
    {'x': (3, 1), 'y': (2, 1)}
    """
    results = {r.key: r.value for r in iter_tasks(fn, tasks, **options)}
    return {k: results[k] for k in tasks}


def ordered_map(fn: Callable, items, *, executor=None, cost: Callable | None = None,
                **options) -> Iterator:
    """``fn(item)`` for every item, computed through :func:`iter_tasks`
    (most expensive first by ``cost(item)``, retries, ...) and yielded in the
    order of ``items``: a drop-in for ``map`` where a caller wants one, e.g.
    the ``mapper`` of :func:`tnrnn.train.run_sweep`
    (``mapper=functools.partial(ordered_map, executor=ex)``).

    Parameters
    ----------
    fn : callable
        A module-level function of one item.
    items : iterable
        The items (all read before the first is computed).
    executor : optional
        As for :func:`iter_tasks` (``None``: serially, here).
    cost : callable, optional
        ``cost(item)``: an estimate, most expensive first.
    **options
        ``retries``, ``progress``, ``log``: as for :func:`iter_tasks`.

    Yields
    ------
    object
        ``fn(item)``, in the order of ``items``.

    Examples
    --------
    >>> from tnrnn.parallel import ordered_map
    >>> list(ordered_map(abs, [-3, 1, -2], cost=abs))
    [3, 1, 2]
    """
    items = list(items)
    tasks = {str(i): (item,) for i, item in enumerate(items)}
    costs = None if cost is None else {str(i): cost(item) for i, item in enumerate(items)}
    pending: dict = {}
    nxt = 0
    for res in iter_tasks(fn, tasks, executor=executor, cost=costs, **options):
        pending[int(res.key)] = res.value
        while nxt in pending:
            yield pending.pop(nxt)
            nxt += 1
