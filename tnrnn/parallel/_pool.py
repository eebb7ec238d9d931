"""A pool of spawned worker processes in which a dead worker costs only its own task.

:class:`concurrent.futures.ProcessPoolExecutor` breaks as a whole when one
of its workers dies: every pending future fails with ``BrokenProcessPool``
and the healthy workers are killed, so a caller that retries cannot tell
which task killed its worker (with no retries left it blames whichever
failed future it sees first). Here each worker runs one task at a time and
the pool knows which: when a worker dies, only the future of the task it
was running fails, with :class:`WorkerDiedError`, a fresh worker takes its
place, and the other workers carry on undisturbed.

Workers are started on demand (at most ``workers`` of them), each with the
thread limits of :data:`~tnrnn.parallel.THREAD_ENV` in its environment from
the start, and with SIGINT ignored: Ctrl-C reaches the parent, which stops
them (:meth:`ProcessPool.terminate`).
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures as cf
import multiprocessing.context
import os
import pickle
import signal
import threading
import weakref

from ..errors import TnrnnError

__all__ = ["ProcessPool", "WorkerDiedError", "WorkerStartError", "THREAD_ENV"]

#: Environment of every local worker process: one thread per BLAS/OpenMP
#: library, so that N workers use N cores (Dask's nanny sets the same).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}

_ENV_LOCK = threading.Lock()


class _OneThreadProcess(multiprocessing.context.SpawnProcess):
    """A spawned process whose interpreter starts with :data:`THREAD_ENV`.

    The variables must be in the environment at ``exec`` time: numpy's
    OpenBLAS reads them when numpy is imported, which happens while the child
    unpickles its task function, before any initializer runs. The parent's
    ``os.environ`` is changed only for the instant of the spawn, under a lock.
    """

    def start(self):
        with _ENV_LOCK:
            saved = {k: os.environ.get(k) for k in THREAD_ENV}
            os.environ.update(THREAD_ENV)
            try:
                super().start()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v


class _OneThreadSpawnContext(multiprocessing.context.SpawnContext):
    Process = _OneThreadProcess


def _init_worker() -> None:
    """Worker initializer: the thread limits for libraries loaded later
    (numba, OpenMP); python-flint, if loaded, to one thread."""
    os.environ.update(THREAD_ENV)


class WorkerDiedError(RuntimeError):
    """The worker process running a task died (killed, out of memory,
    ``os._exit``) before the task returned. Not a
    :class:`~tnrnn.errors.TnrnnError`: a task that meets it is retried.

    Examples
    --------
    >>> from tnrnn.errors import TnrnnError
    >>> issubclass(WorkerDiedError, RuntimeError), issubclass(WorkerDiedError, TnrnnError)
    (True, False)
    """


class WorkerStartError(TnrnnError, RuntimeError):
    """Worker processes die while starting, before running any task (a
    refusal: the tasks waiting for them are not retried).

    Examples
    --------
    >>> from tnrnn.errors import TnrnnError
    >>> issubclass(WorkerStartError, TnrnnError)
    True
    """


_GUARD = ("in a script, start workers under `if __name__ == \"__main__\":` (spawned workers "
          "re-import the script), and check that tnrnn imports in a fresh interpreter")

#: Workers that may die while starting, one after the other, before the pool
#: gives up (a script without ``if __name__ == "__main__":``, a broken install).
MAX_START_FAILURES = 3


def _worker_main(conn) -> None:
    """The loop of one worker process: receive ``(tid, pickled call)``, run it,
    send ``(tid, ok, value or exception)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _init_worker()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        tid, payload = msg
        try:
            fn, args, kwargs = pickle.loads(payload)
            out = (tid, True, fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent's future
            out = (tid, False, exc)
        try:
            conn.send(out)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
            conn.send((tid, False, RuntimeError(
                f"the task's {'result' if out[1] else 'exception'} could not be sent back "
                f"from the worker: {type(exc).__name__}: {exc}")))


def _exit_text(code) -> str:
    if code is None:
        return "unknown exit status"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Worker:
    def __init__(self, context):
        import multiprocessing

        self.conn, child = multiprocessing.Pipe(duplex=True)
        self.proc = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task = None  # (future, tid) while running one


_LIVE: "weakref.WeakSet[ProcessPool]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - interpreter exit
    for pool in list(_LIVE):
        pool.terminate()


class ProcessPool:
    """Run calls in up to ``workers`` spawned processes, one task each at a time.

    Parameters
    ----------
    workers : int
    context : multiprocessing context
        Its ``Process`` class starts the workers (spawn, with the thread
        limits in the environment).

    Attributes
    ----------
    restarts : int
        Workers replaced after dying.

    Examples
    --------
    >>> from tnrnn.parallel._pool import _OneThreadSpawnContext
    >>> pool = ProcessPool(2, _OneThreadSpawnContext())  # doctest: +SKIP
    >>> pool.submit(pow, 2, 10).result()  # doctest: +SKIP
    1024
    >>> pool.shutdown()  # doctest: +SKIP
    """

    def __init__(self, workers: int, context):
        self.workers = workers
        self.restarts = 0
        self._context = context
        self._lock = threading.Lock()
        self._pending: collections.deque = collections.deque()
        self._pool: list = []
        self._next_tid = 0
        self._shutdown = False
        self._start_failures = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)  # a full pipe already wakes the manager
        self._thread = None
        _LIVE.add(self)

    # ------------------------------------------------------------ public side
    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        fut: cf.Future = cf.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            try:
                payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - as a process pool reports it
                fut.set_exception(exc)
                return fut
            self._next_tid += 1
            self._pending.append((fut, self._next_tid, payload))
            if self._thread is None:
                self._thread = threading.Thread(target=self._manage, daemon=True,
                                                name="tnrnn-process-pool")
                self._thread.start()
        self._wake()
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._pending:
                    fut, _, _ = self._pending.popleft()
                    fut.cancel()
            thread = self._thread
        self._wake()
        if thread is None:
            self._close_pipe()
        elif wait:
            thread.join()

    def terminate(self) -> None:
        """Stop every worker now (running tasks are lost) and drop the queue."""
        with self._lock:
            self._shutdown = True
            while self._pending:
                fut, _, _ = self._pending.popleft()
                fut.cancel()
            procs = [w.proc for w in self._pool]
        for p in procs:
            if p.is_alive():
                p.terminate()
        self._wake()

    # ----------------------------------------------------------- the manager
    def _wake(self) -> None:
        with self._lock:  # never write to a closed (and perhaps reused) descriptor
            if self._wake_w is not None:
                try:
                    os.write(self._wake_w, b"x")
                except OSError:
                    pass

    def _close_pipe(self) -> None:
        with self._lock:
            fds, self._wake_r, self._wake_w = (self._wake_r, self._wake_w), None, None
        for fd in fds:
            if fd is not None:
                os.close(fd)
        _LIVE.discard(self)

    def _dispatch(self) -> None:
        """Hand pending tasks to idle ready workers; start workers as needed."""
        with self._lock:
            for w in self._pool:
                if not self._pending:
                    break
                if w.ready and w.task is None and w.proc.is_alive():
                    while self._pending:
                        fut, tid, payload = self._pending.popleft()
                        if fut.set_running_or_notify_cancel():
                            break
                    else:
                        break
                    try:
                        w.conn.send((tid, payload))
                    except OSError:  # it died meanwhile: the sentinel will tell
                        pass
                    w.task = (fut, tid)
            waiting = len(self._pending) - sum(1 for w in self._pool if not w.ready)
            while waiting > 0 and len(self._pool) < self.workers and not self._shutdown:
                self._pool.append(_Worker(self._context))
                waiting -= 1

    def _manage(self) -> None:
        from multiprocessing.connection import wait

        try:
            while True:
                try:
                    self._dispatch()
                except Exception as exc:  # noqa: BLE001 - a worker cannot be started
                    with self._lock:
                        self._fail_all(WorkerStartError(
                            f"cannot start a worker process ({type(exc).__name__}: "
                            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''})"
                            f"; {_GUARD}"))
                with self._lock:
                    idle = not self._pending and all(w.task is None for w in self._pool)
                    if self._shutdown and idle:
                        break
                    pool = list(self._pool)
                    wake = self._wake_r
                objs = [wake] + [w.conn for w in pool] + [w.proc.sentinel for w in pool]
                ready = set(wait(objs))
                if wake in ready:
                    os.read(wake, 4096)
                for w in pool:
                    if w.conn in ready:
                        self._receive(w)
                for w in pool:
                    if w.proc.sentinel in ready or not w.proc.is_alive():
                        self._buried(w)
        finally:
            self._stop_workers()
            self._close_pipe()

    def _receive(self, w) -> bool:
        """Handle one message from ``w``; ``False`` at the end of its pipe."""
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return False  # the worker died; its sentinel says so
        except Exception as exc:  # noqa: BLE001 - a result that does not unpickle here
            msg = (w.task[1] if w.task else None, False, RuntimeError(
                f"the task's result could not be read from the worker: "
                f"{type(exc).__name__}: {exc}"))
        if msg[0] == "ready":
            w.ready = True
            self._start_failures = 0
            return True
        tid, ok, value = msg
        if w.task is None or w.task[1] != tid:
            return True
        fut, _ = w.task
        w.task = None
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
        return True

    def _buried(self, w) -> None:
        """``w`` has exited: read what it sent last, fail its task, replace it."""
        try:
            while w.conn.poll() and self._receive(w):
                pass
        except (EOFError, OSError):  # half a message from a dying worker
            pass
        w.proc.join(timeout=1)
        code = w.proc.exitcode
        with self._lock:
            if w in self._pool:
                self._pool.remove(w)
            w.conn.close()
            if w.task is not None:
                fut, _ = w.task
                w.task = None
                fut.set_exception(WorkerDiedError(
                    f"its worker process {w.proc.pid} died while running it "
                    f"({_exit_text(code)})"))
                if not self._shutdown:
                    self.restarts += 1
            elif not w.ready and not self._shutdown:
                self._start_failures += 1
                if self._start_failures >= MAX_START_FAILURES:
                    self._fail_all(WorkerStartError(
                        f"{self._start_failures} worker processes died while starting "
                        f"(the last: {_exit_text(code)}); {_GUARD}"))

    def _fail_all(self, exc) -> None:
        self._shutdown = True
        while self._pending:
            fut, _, _ = self._pending.popleft()
            if fut.set_running_or_notify_cancel():
                fut.set_exception(exc)

    def _stop_workers(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
        for w in pool:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in pool:
            w.proc.join(timeout=5)
            if w.proc.is_alive():
                w.proc.terminate()
                w.proc.join(timeout=5)
            if w.task is not None and not w.task[0].done():
                w.task[0].set_exception(WorkerDiedError(
                    f"its worker process {w.proc.pid} was stopped while running it"))
            w.conn.close()
