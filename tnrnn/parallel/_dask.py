"""The Dask executor: tasks on a ``dask.distributed`` cluster.

Reaching the scheduler is checked within a timeout (a server that accepts
TCP but never answers as a scheduler is an error, not a hang), and a
worker's death is handled as on local processes: the future of the task it
was running fails with :class:`~tnrnn.parallel.WorkerDiedError`, so that
:func:`~tnrnn.parallel.iter_tasks` retries it within its ``retries``.
``dask.distributed`` is imported only when an executor is made.
"""

from __future__ import annotations

import concurrent.futures as cf
import queue
import threading
import time

from ..errors import SpecError, TnrnnError
from ._connect import (DEFAULT_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT, SchedulerError,
                       _import_distributed, _probe_scheduler, _read_scheduler_file, _within,
                       check_timeout, parse_scheduler_address)

__all__ = ["DaskExecutor", "SchedulerError", "ExecutorDiedError", "parse_scheduler_address",
           "check_timeout",
           "DEFAULT_CONNECT_TIMEOUT", "MAX_CONNECT_TIMEOUT", "DEFAULT_BATCH_SECONDS"]

#: Seconds of work per submission when tasks are short (a submission costs
#: about 2 ms of client and scheduler CPU; 0.1 s of work makes that < 2 %).
DEFAULT_BATCH_SECONDS = 0.1


#: Seconds between the checks of :meth:`DaskExecutor._watch`.
WATCH_SECONDS = 2.0


def _msg_unseen(event) -> bool:
    """Whether ``event`` is one :meth:`DaskExecutor._watch` made up (not the
    scheduler's: not handed on to a previous handler)."""
    try:
        return bool(event[1].get("unseen"))
    except (TypeError, AttributeError, IndexError, KeyError):
        return False


#: Seconds one wait for a result may last before the fetcher checks that the
#: task is still where it was (not moved off a worker that died holding it).
FETCH_POLL_SECONDS = 0.5
#: Results of one task lost with their worker (it died after the task
#: finished, before the result was fetched) that are run again at no cost;
#: one more fails the task with :class:`~tnrnn.parallel.WorkerDiedError`.
MAX_LOST_RESULTS = 3


class ExecutorDiedError(TnrnnError, RuntimeError):
    """The executor can run nothing more (its Dask client was closed, or lost
    its scheduler): :func:`~tnrnn.parallel.iter_tasks` stops waiting for the
    tasks in flight with this error instead of waiting for ever; the tasks
    that finished are in the log.

    Examples
    --------
    >>> issubclass(ExecutorDiedError, TnrnnError) and issubclass(ExecutorDiedError, RuntimeError)
    True
    """


class _Task:
    """One submission of a :class:`DaskExecutor`: the call, the concurrent
    future handed to the caller, and the Dask future and worker of its
    current submission (a task moved off a departed worker is submitted
    again under a new key, to the same concurrent future); ``finished``:
    that submission finished on its worker (its result not fetched yet);
    ``lost``: results of this task lost with their worker so far."""

    __slots__ = ("fn", "args", "kwargs", "priority", "fut", "dfut", "worker", "finished",
                 "lost")

    def __init__(self, fn, args, kwargs, priority):
        self.fn, self.args, self.kwargs, self.priority = fn, args, kwargs, priority
        self.fut: cf.Future = cf.Future()
        self.dfut = self.worker = None
        self.finished, self.lost = False, 0


class DaskExecutor(cf.Executor):
    """Tasks on a ``dask.distributed`` cluster, through a ``Client``.

    Give ``address`` (``tcp://HOST:PORT``), ``scheduler_file`` or an existing
    ``client``. The scheduler unpickles task functions itself, so they must
    be importable from an installed package (the same tnrnn version on every
    node).

    A worker that dies mid-task is handled as on local processes: the future
    of each task that was running on it fails with
    :class:`~tnrnn.parallel.WorkerDiedError`, so that
    :func:`~tnrnn.parallel.iter_tasks` retries it within its ``retries`` and
    counts the attempt. Each submission is pinned to one worker with a
    thread free of this executor's tasks (``workers=[address]``,
    ``allow_other_workers=False``), and at most one task per worker thread
    is submitted at a time (:meth:`pending_limit`). So the scheduler never
    reruns a dead worker's task elsewhere on its own (a task that kills its
    worker kills no other before tnrnn decides), and a worker is only ever
    given a task once this executor has the results of all the tasks it ran
    before: a death is charged to the tasks the worker was running, and to
    no other. A worker that leaves on purpose (retired, scaled down) costs
    nothing: its tasks are submitted again to the other workers.

    Each submission costs about 2 ms of client and scheduler CPU, so
    :func:`~tnrnn.parallel.iter_tasks` sends short tasks in batches of about
    ``batch_seconds`` of work each (:meth:`batch_seconds`; 0 sends every
    task on its own); a batch whose worker dies costs none of its tasks an
    attempt, and its tasks are rerun one per submission.

    Parameters
    ----------
    address : str, optional
        ``tcp://HOST:PORT`` of the scheduler.
    scheduler_file : path, optional
        A scheduler file (``dask scheduler --scheduler-file FILE``) instead.
    client : distributed.Client, optional
        An existing client instead (it is not closed by :meth:`shutdown`).
    timeout : float
        Seconds to wait for the scheduler (:func:`check_timeout`).
    batch_seconds : float
        Seconds of work per submission for short tasks (0: no batching).

    Examples
    --------
    >>> DaskExecutor()
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: give exactly one of a scheduler address or a scheduler file; got address=None, scheduler_file=None
    >>> DaskExecutor("127.0.0.1:8786", batch_seconds=-1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: batch_seconds must be a number of seconds >= 0 (0: one task per submission) and <= 60; got -1
    """

    def __init__(self, address: str | None = None, *, scheduler_file=None, client=None,
                 timeout: float = DEFAULT_CONNECT_TIMEOUT,
                 batch_seconds: float = DEFAULT_BATCH_SECONDS):
        from ._batch import check_batch_seconds

        self._batch_seconds = check_batch_seconds(batch_seconds)
        distributed = _import_distributed()
        self._owns = client is None
        if client is None:
            if (address is None) == (scheduler_file is None):
                raise SpecError("give exactly one of a scheduler address or a scheduler "
                                f"file; got address={address!r}, "
                                f"scheduler_file={scheduler_file!r}")
            timeout = check_timeout(timeout)
            if scheduler_file is not None:
                address = _read_scheduler_file(scheduler_file, timeout)
            else:
                address = parse_scheduler_address(address)
            if address.startswith("tcp://"):
                _probe_scheduler(address, timeout)

            def connect():
                return distributed.Client(address, timeout=f"{timeout}s",
                                          set_as_default=False)

            try:
                client = _within(timeout + 5.0, connect,
                                 f"the Dask scheduler at {address} did not accept a client "
                                 f"within {timeout:g} s")
            except (OSError, TimeoutError) as exc:
                raise SchedulerError(
                    f"cannot reach a Dask scheduler at {address} within {timeout:g} s "
                    f"({type(exc).__name__}); start one with `dask scheduler --host HOST "
                    f"--port PORT` and workers with `dask worker tcp://HOST:PORT`") from None
        self.client = client
        self.description = f"Dask scheduler {client.scheduler.address}"
        self._threads, self._checked = None, 0.0
        self._gone: set = set()  # workers seen leaving
        self._lock = threading.Lock()
        self._running: dict = {}  # Dask key -> _Task
        self._closed = False
        self._previous = getattr(client, "_event_handlers", {}).get("all")
        client.subscribe_topic("all", self._on_event)
        self._watcher = None
        self._fetch_q: queue.SimpleQueue = queue.SimpleQueue()

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """``fn(*args, **kwargs)`` on the cluster; higher ``priority`` runs first.

        The submission is pinned to one worker (:meth:`_pick_worker`: one
        with a thread free of this executor's tasks), so that the scheduler
        cannot move it to another worker on its own: if its worker dies, it
        waits there until this executor fails it (:meth:`_on_event`).
        """
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        task = _Task(fn, args, kwargs, priority)
        task.fut.add_done_callback(self._cancelled(task))
        self._send(task)
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, daemon=True,
                                             name="tnrnn-dask-watch")
            self._watcher.start()
            threading.Thread(target=self._fetch, daemon=True, name="tnrnn-dask-fetch").start()
        return task.fut

    def _send(self, task) -> None:
        """Submit ``task`` (again: a new Dask key each time) on a worker picked
        now; a worker known to be gone is never picked, and one that left
        before the submission was registered is caught by :meth:`_on_event`
        or here."""
        import uuid

        name = getattr(task.fn, "__name__", "task")
        key = f"tnrnn-{name}-{uuid.uuid4().hex}"
        threads = self._worker_threads()  # not under the lock: it waits on the client's loop
        with self._lock:
            worker = self._pick_worker(threads)
            pin = {} if worker is None else {"workers": [worker],
                                             "allow_other_workers": False}
            dfut = self.client.submit(task.fn, *task.args, key=key, pure=False,
                                      priority=task.priority, **pin, **task.kwargs)
            task.dfut, task.worker, task.finished = dfut, worker, False
            self._running[key] = task
            gone = worker is not None and worker in self._gone
        dfut.add_done_callback(self._finished)
        if gone:  # the worker left between the pick and the registration
            with self._lock:
                self._running.pop(key, None)
            threading.Thread(target=self._cancel_and_move, args=([dfut], [task]),
                             daemon=True).start()

    def _cancelled(self, task):
        def cancelled(f):
            if f.cancelled():
                with self._lock:
                    dfut = task.dfut
                    if dfut is not None:
                        self._running.pop(dfut.key, None)
                if dfut is not None:
                    dfut.cancel()
        return cancelled

    def _pick_worker(self, threads: dict):
        """Of the workers ``threads`` (``{address: threads}``), the one with
        the most threads free of this executor's running tasks (the first
        such in address order), or None when no worker is known (the
        submission is then left to the scheduler). Called under the lock."""
        threads = {w: n for w, n in threads.items() if w not in self._gone}
        if not threads:
            return None
        busy: dict = {}
        for task in self._running.values():
            busy[task.worker] = busy.get(task.worker, 0) + 1
        return max(sorted(threads), key=lambda w: threads[w] - busy.get(w, 0))

    def _worker_threads(self) -> dict:
        """``{address: threads}`` of the workers alive (re-read at most once a
        second, and at once after a worker left); workers seen leaving are
        left out. Not called under the lock (it waits on the client's event
        loop, which may be waiting for the lock in :meth:`_on_event`)."""
        now = time.monotonic()
        if now - self._checked > 1.0 or self._threads is None:
            try:
                self._threads = dict(self.client.nthreads())
            except Exception:  # noqa: BLE001 - keep the last count if the call fails
                self._threads = self._threads or {}
            self._checked = now
        gone = set(self._gone)
        return {w: n for w, n in self._threads.items() if w not in gone}

    def _finished(self, dfut) -> None:
        """Dask's callback thread (one for all futures of the process): hand
        the Dask future to :meth:`_fetch`. It never waits here for a result
        (a result held by a worker that died waits for ever, and would stop
        the callbacks of every future); the task stays among those running
        on its worker until its result is fetched, so that a worker that dies
        holding it has it run again (:meth:`_on_event`)."""
        with self._lock:
            task = self._running.get(dfut.key)
            if task is None or task.dfut is not dfut:  # failed, moved, cancelled
                return
            task.finished = dfut.status == "finished"
        self._fetch_q.put((task, dfut))

    def _fetch(self) -> None:
        """The fetcher (a daemon thread, from the first submission to
        :meth:`shutdown`): the outcome of each finished Dask future, handed to
        its concurrent future. A wait lasts at most :data:`FETCH_POLL_SECONDS`
        at a time: a task moved meanwhile (its worker died before the result
        was fetched: :meth:`_on_event`) is left to its new submission."""
        while True:
            try:
                task, dfut = self._fetch_q.get(timeout=WATCH_SECONDS)
            except queue.Empty:
                if self._closed:
                    return
                continue
            try:
                self._deliver(task, dfut)
            except Exception as exc:  # noqa: BLE001 - never lose the fetcher, nor the task
                with self._lock:
                    mine = self._running.get(dfut.key) is task
                    if mine:
                        del self._running[dfut.key]
                if mine and task.fut.set_running_or_notify_cancel():
                    task.fut.set_exception(exc)

    def _deliver(self, task, dfut) -> None:
        """The outcome of ``dfut`` to ``task``'s future, unless the task was
        taken meanwhile (moved or failed by :meth:`_on_event`, cancelled):
        whoever takes a task out of ``_running`` (under the lock) settles it."""
        while task.dfut is dfut and not task.fut.done():
            outcome = self._outcome(dfut)
            if outcome is None:  # not fetched yet: check again whether it moved
                continue
            with self._lock:
                if self._running.get(dfut.key) is not task:  # taken meanwhile
                    return
                del self._running[dfut.key]
            if task.fut.set_running_or_notify_cancel():
                ok, value = outcome
                (task.fut.set_result if ok else task.fut.set_exception)(value)
            return

    @staticmethod
    def _outcome(dfut):
        """``(True, value)``, ``(False, exception)``, or None when not known
        within :data:`FETCH_POLL_SECONDS` (the fetch or the recomputation of
        a lost result takes longer)."""
        try:
            status = dfut.status
            if status == "error":
                return False, dfut.exception(timeout=FETCH_POLL_SECONDS)
            if status == "cancelled":
                return False, RuntimeError("the task was cancelled on the cluster")
            return True, dfut.result(timeout=FETCH_POLL_SECONDS)
        except TimeoutError:
            return None  # (a task's own TimeoutError: status "error" next time)
        except cf.CancelledError:
            return False, RuntimeError("the task was cancelled on the cluster")
        except Exception as exc:  # noqa: BLE001 - the task's error, fetched with result()
            return False, exc

    def _on_event(self, event):
        """Scheduler events (topic ``all``). A worker removed without notice
        fails the futures of the tasks it was running with
        :class:`~tnrnn.parallel.WorkerDiedError`; every other task pinned to
        a removed worker (one that left on purpose, or was not running yet)
        is submitted again elsewhere, at no cost. The scheduler never reruns
        a task itself (each is pinned to its worker), so a task that kills
        its worker kills no other, and a worker's death is charged only to
        the tasks it was running."""
        try:
            _, msg = event
            if isinstance(msg, dict) and msg.get("action") == "remove-worker":
                address = msg.get("worker")
                processing = set(msg.get("processing-tasks", ()))
                died = not msg.get("expected")
                lost, moved = [], []
                with self._lock:
                    self._gone.add(address)
                    for key, task in list(self._running.items()):
                        if task.worker != address:
                            continue
                        del self._running[key]
                        running = not task.finished and (key in processing
                                                         or msg.get("unseen", False))
                        if died and task.finished:  # its result died with the worker
                            task.lost += 1
                            running = task.lost > MAX_LOST_RESULTS
                        (lost if died and running else moved).append(task)
                for task in lost:
                    if task.fut.set_running_or_notify_cancel():
                        from ._pool import WorkerDiedError

                        what = "died while running it" if not task.finished else \
                            f"died holding its result ({task.lost} results lost so far)"
                        task.fut.set_exception(WorkerDiedError(
                            f"its Dask worker {address or '?'} {what}"))
                stale = [t.dfut for t in lost + moved]
                if stale:  # not from the scheduler's event loop
                    threading.Thread(target=self._cancel_and_move, args=(stale, moved),
                                     daemon=True).start()
        finally:
            if self._previous is not None and not _msg_unseen(event):
                return self._previous(event)

    def _watch(self) -> None:
        """The safety net of the pinning (a daemon thread, from the first
        submission to :meth:`shutdown`): every :data:`WATCH_SECONDS`, the
        workers that hold tasks of this executor and that the scheduler no
        longer lists, twice in a row (so the ``remove-worker`` event has had
        seconds to arrive), are taken as dead without notice: their tasks
        fail with :class:`~tnrnn.parallel.WorkerDiedError` (charged, as a
        death is), instead of waiting for ever on a worker that is gone."""
        missing_before: set = set()
        while not self._closed:
            time.sleep(WATCH_SECONDS)
            with self._lock:
                pinned = {t.worker for t in self._running.values() if t.worker is not None}
            if not pinned or self._closed:
                missing_before = set()
                continue
            try:
                alive = set(self.client.nthreads())
            except Exception:  # noqa: BLE001 - the client is closing or busy: next time
                continue
            missing = pinned - alive
            for address in missing & missing_before:
                self._on_event((time.time(), {"action": "remove-worker", "worker": address,
                                              "expected": False, "unseen": True}))
            missing_before = missing

    def _cancel_and_move(self, dfuts, moved) -> None:
        self._cancel(dfuts)
        for task in moved:
            if task.fut.done() or self._closed:
                continue
            try:
                self._send(task)
            except Exception as exc:  # noqa: BLE001 - the client is closing
                if task.fut.set_running_or_notify_cancel():
                    task.fut.set_exception(exc)

    def _cancel(self, dfuts) -> None:
        try:
            self.client.cancel(dfuts)
        except Exception:  # noqa: BLE001 - the client may be closing
            pass

    def check_alive(self) -> None:
        """Raise :class:`ExecutorDiedError` if this executor can run nothing
        more: shut down, or its client closed (the scheduler is gone).
        :func:`~tnrnn.parallel.iter_tasks` calls it while it waits."""
        status = str(getattr(self.client, "status", "running"))
        if self._closed or status in ("closing", "closed", "failed"):
            raise ExecutorDiedError(
                f"the Dask executor can run nothing more (shut down: {self._closed}; "
                f"client {status}; {self.description}); "
                f"{len(self._running)} task(s) in flight will not finish")

    def capacity(self) -> int:
        """Threads on the cluster's workers now (re-read at most once a second,
        as workers join and leave); at least 1."""
        return max(1, sum(self._worker_threads().values()))

    def batch_seconds(self) -> float:
        """Seconds of work :func:`~tnrnn.parallel.iter_tasks` puts in one
        submission when tasks are short (0: one task per submission)."""
        return self._batch_seconds

    def pending_limit(self) -> int:
        """Tasks submitted ahead: one per worker thread, so that a worker
        holds only the task it runs, and a worker's death is charged to that
        task alone (the scheduler still orders them by ``priority``)."""
        return self.capacity()

    def recover(self, exc: BaseException) -> bool:
        from ._pool import WorkerDiedError

        return isinstance(exc, WorkerDiedError)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False):
        self._closed = True
        with self._lock:
            futs = [task.fut for task in self._running.values()]
        if cancel_futures:
            for fut in futs:
                fut.cancel()
        elif wait:
            cf.wait(futs)
        try:
            if self._previous is not None:
                self.client.subscribe_topic("all", self._previous)
            elif self.client.status == "running":
                self.client.unsubscribe_topic("all")
        except Exception:  # noqa: BLE001 - a client already closed
            pass
        if self._owns:
            self.client.close()
