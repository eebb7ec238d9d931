"""Three executors behind the :class:`concurrent.futures.Executor` interface.

``serial`` runs each task in this process when it is submitted; ``processes``
is a :class:`~concurrent.futures.ProcessPoolExecutor` started with the
*spawn* method and one BLAS/OpenMP thread per worker; ``dask`` submits to a
running ``dask.distributed`` scheduler. All three hand back
:class:`concurrent.futures.Future` objects, so :func:`concurrent.futures.wait`
and :func:`~concurrent.futures.as_completed` work on any of them; on top of
the standard ``submit``/``shutdown`` each has ``capacity()`` (tasks it runs at
once), ``pending_limit()`` (tasks worth submitting ahead), ``recover(exc)``
(restart after a broken pool) and ``description``; ``submit`` takes a
``priority`` keyword (higher first), which Dask honours and the others, run
in submission order, ignore.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing.context
import os
import re
import threading
import time
from pathlib import Path

from ..errors import MissingDependencyError, SpecError, TnrnnError

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "SchedulerError",
           "EXECUTORS", "get_executor_kind", "make_executor", "parse_scheduler_address",
           "check_timeout", "max_local_workers", "THREAD_ENV", "DEFAULT_CONNECT_TIMEOUT",
           "MAX_CONNECT_TIMEOUT", "MAX_WORKERS_PER_CORE"]

#: Environment of every local worker process: one thread per BLAS/OpenMP
#: library, so that N workers use N cores (Dask's nanny sets the same).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}
#: Seconds to wait for a Dask scheduler (or its scheduler file) before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: The longest wait for a scheduler that is accepted (one day).
MAX_CONNECT_TIMEOUT = 86400.0


class SchedulerError(TnrnnError, ConnectionError):
    """A Dask scheduler could not be reached (or its scheduler file read)."""


# ---------------------------------------------------------------------- serial
class SerialExecutor(cf.Executor):
    """Runs each task in this process at ``submit`` time (the reference run).

    Examples
    --------
    >>> with SerialExecutor() as ex:
    ...     ex.submit(pow, 2, 10).result()
    1024
    """

    description = "serial (this process)"

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """Run ``fn(*args, **kwargs)`` now; ``priority`` is ignored."""
        fut = cf.Future()
        fut.set_running_or_notify_cancel()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, as a pool would
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            fut.set_exception(exc)
        return fut

    def capacity(self) -> int:
        return 1

    def pending_limit(self) -> int:
        return 1

    def recover(self, exc: BaseException) -> bool:
        return False


# ------------------------------------------------------------------- processes
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


#: Most local worker processes per core: the tasks are CPU-bound, so more
#: only compete for the cores (and each process holds its own interpreter).
MAX_WORKERS_PER_CORE = 4


def max_local_workers() -> int:
    """The most local worker processes :class:`ProcessExecutor` accepts here:
    :data:`MAX_WORKERS_PER_CORE` per core this process may run on."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return MAX_WORKERS_PER_CORE * max(1, cores)


class ProcessExecutor(cf.Executor):
    """A pool of ``workers`` spawned processes, one BLAS/OpenMP thread each.

    Spawned, never forked: after JAX (or any threaded library) has run in the
    parent, forked children can hang. Task functions and arguments must be
    picklable and importable (module-level functions). Each worker runs one
    task at a time; when a worker dies, only the task it was running fails
    (:class:`~tnrnn.parallel.WorkerDiedError`, which :func:`iter_tasks`
    retries), a fresh worker replaces it and the others carry on.

    Examples
    --------
    >>> with ProcessExecutor(2) as ex:  # doctest: +SKIP
    ...     ex.submit(pow, 2, 10).result()
    1024
    >>> ProcessExecutor(10**6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: workers must be an integer in ... (4 per core on the ... cores here: more only compete for them); got 1000000
    """

    def __init__(self, workers: int):
        from ..errors import check_positive_int
        from ._pool import ProcessPool

        self.workers = check_positive_int("workers", workers)
        most = max_local_workers()
        if self.workers > most:
            raise SpecError(f"workers must be an integer in 1..{most} "
                            f"({MAX_WORKERS_PER_CORE} per core on the "
                            f"{most // MAX_WORKERS_PER_CORE} cores here: more only compete "
                            f"for them); got {self.workers}")
        self.description = f"{self.workers} local worker processes (spawn, 1 thread each)"
        self._pool = ProcessPool(self.workers, _OneThreadSpawnContext())

    @property
    def restarts(self) -> int:
        """Workers replaced after dying."""
        return self._pool.restarts

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """``fn(*args, **kwargs)`` in a worker (``priority`` is ignored: the
        queue is first in, first out)."""
        return self._pool.submit(fn, *args, **kwargs)

    def capacity(self) -> int:
        return self.workers

    def pending_limit(self) -> int:
        """Tasks submitted ahead: the pool runs its queue first in, first out,
        so a short queue keeps the caller's order."""
        return 2 * self.workers

    def recover(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a worker's death (already replaced: nothing to do)."""
        from ._pool import WorkerDiedError

        return isinstance(exc, WorkerDiedError)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """Stop the workers now (after Ctrl-C): running tasks are lost."""
        self._pool.terminate()


# ------------------------------------------------------------------------ dask
_ADDRESS = re.compile(r"^(?:(?P<scheme>tcp|tls)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)"
                      r":(?P<port>[0-9]{1,5})$")


def parse_scheduler_address(address: str) -> str:
    """``address`` as ``tcp://HOST:PORT`` (or ``tls://``), or a SpecError.

    Examples
    --------
    >>> parse_scheduler_address("127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    >>> parse_scheduler_address("http://head:8786")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: scheduler address must be tcp://HOST:PORT or tls://HOST:PORT (port 1-65535); got 'http://head:8786'
    """
    m = _ADDRESS.match(str(address).strip()) if isinstance(address, str) else None
    if m is None or not 1 <= int(m["port"]) <= 65535:
        raise SpecError("scheduler address must be tcp://HOST:PORT or tls://HOST:PORT "
                        f"(port 1-65535); got {address!r}")
    return f"{m['scheme'] or 'tcp'}://{m['host']}:{int(m['port'])}"


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "running on a Dask cluster needs dask.distributed, which is not installed: "
            "pip install 'tnrnn[distributed]'") from exc
    return distributed


def _read_scheduler_file(path, timeout: float) -> str:
    """The address in a Dask scheduler file, waiting up to ``timeout`` s for
    the file to appear (batch jobs start the scheduler and the client together)."""
    p = Path(path)
    deadline = time.monotonic() + timeout
    while not p.exists():
        if time.monotonic() >= deadline:
            raise SchedulerError(f"scheduler file {str(p)!r} did not appear within "
                                 f"{timeout:g} s; start the scheduler with "
                                 f"`dask scheduler --scheduler-file {p}`")
        time.sleep(0.05)
    while True:
        try:
            address = json.loads(p.read_text())["address"]
            break
        except (ValueError, KeyError, TypeError, OSError) as exc:
            if time.monotonic() >= deadline:
                raise SchedulerError(f"scheduler file {str(p)!r} holds no scheduler "
                                     f"address (expected JSON with an 'address' field): "
                                     f"{exc}") from None
            time.sleep(0.05)
    return parse_scheduler_address(address)


def check_timeout(timeout, name: str = "timeout") -> float:
    """``timeout`` as seconds in ``(0, MAX_CONNECT_TIMEOUT]``, or a SpecError.

    Examples
    --------
    >>> check_timeout(2)
    2.0
    >>> check_timeout(float("nan"), "--connect-timeout")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --connect-timeout must be a number of seconds > 0 and <= 86400 (one day); got nan
    """
    import math

    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not math.isfinite(timeout) or not 0 < timeout <= MAX_CONNECT_TIMEOUT:
        raise SpecError(f"{name} must be a number of seconds > 0 and <= "
                        f"{MAX_CONNECT_TIMEOUT:g} (one day); got {timeout!r}")
    return float(timeout)


def _within(seconds: float, fn, what: str):
    """``fn()`` in a helper thread, or a SchedulerError after ``seconds``
    (a server that accepts TCP but never answers must not hang the caller;
    the helper thread is abandoned, a daemon)."""
    box: dict = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=call, daemon=True, name="tnrnn-connect")
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise SchedulerError(what)
    if "error" in box:
        raise box["error"]
    return box["value"]


def _probe_scheduler(address: str, timeout: float) -> None:
    """Ask ``address`` who it is (Dask's ``identity`` call) within ``timeout``
    seconds: an unreachable or silent server, or one that is not a Dask
    scheduler (a worker, say), is a SchedulerError."""
    import asyncio
    import socket

    from distributed.comm import connect

    host, port = address.split("://", 1)[1].rsplit(":", 1)
    state = {"connected": False}

    async def ask():
        deadline = time.monotonic() + timeout
        while True:  # plain TCP first: refused (not started yet?) or accepted
            try:
                with socket.create_connection((host.strip("[]"), int(port)),
                                              timeout=max(0.05, deadline - time.monotonic())):
                    break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.1)
        state["connected"] = True
        comm = await connect(address, timeout=max(0.05, deadline - time.monotonic()))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    def run():
        return asyncio.run(asyncio.wait_for(ask(), timeout))

    start = ("start one with `dask scheduler --host HOST --port PORT` and workers with "
             "`dask worker tcp://HOST:PORT`")
    silent = (f"the server at {address} accepted the connection but did not answer as a "
              f"Dask scheduler within {timeout:g} s; check the address and port ({start})")
    try:
        who = _within(timeout + 2.0, run, silent)
    except SchedulerError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a foreign server makes Dask raise
        if not state["connected"]:
            raise SchedulerError(f"cannot reach a Dask scheduler at {address} within "
                                 f"{timeout:g} s ({type(exc).__name__}); {start}") from None
        if isinstance(exc, TimeoutError) or "Timed out" in str(exc):
            raise SchedulerError(silent) from None
        raise SchedulerError(f"the server at {address} is not a Dask scheduler: it did not "
                             f"answer Dask's identity call ({type(exc).__name__}); "
                             f"check the address and port ({start})") from None
    kind = who.get("type") if isinstance(who, dict) else None
    if kind != "Scheduler":
        raise SchedulerError(f"the server at {address} is not a Dask scheduler (it says it "
                             f"is {kind or 'nothing Dask knows'}); give the scheduler's "
                             f"address, which `dask scheduler` prints when it starts")


class DaskExecutor(cf.Executor):
    """Tasks on a ``dask.distributed`` cluster, through a ``Client``.

    Give ``address`` (``tcp://HOST:PORT``), ``scheduler_file`` or an existing
    ``client``. The scheduler unpickles task functions itself, so they must
    be importable from an installed package (the same tnrnn version on every
    node).

    A worker that dies mid-task is handled as on local processes: the future
    of each task that was running on it fails with
    :class:`~tnrnn.parallel.WorkerDiedError` (the scheduler's own rerun of it
    is cancelled), so that :func:`~tnrnn.parallel.iter_tasks` retries it
    within its ``retries`` and counts the attempt. At most one task per
    worker thread is submitted at a time (:meth:`pending_limit`), so the
    tasks charged with a death are the ones that were running, not ones
    queued behind them. A worker that leaves on purpose (retired, scaled
    down) costs nothing: the scheduler moves its tasks.
    """

    def __init__(self, address: str | None = None, *, scheduler_file=None, client=None,
                 timeout: float = DEFAULT_CONNECT_TIMEOUT):
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
        self._nthreads, self._checked = 1, 0.0
        self._lock = threading.Lock()
        self._running: dict = {}  # Dask key -> (Dask future, concurrent future)
        self._closed = False
        self._previous = getattr(client, "_event_handlers", {}).get("all")
        client.subscribe_topic("all", self._on_event)

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """``fn(*args, **kwargs)`` on the cluster; higher ``priority`` runs first."""
        import uuid

        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        name = getattr(fn, "__name__", "task")
        key = f"tnrnn-{name}-{uuid.uuid4().hex}"
        fut: cf.Future = cf.Future()
        with self._lock:
            dfut = self.client.submit(fn, *args, key=key, pure=False, priority=priority,
                                      **kwargs)
            self._running[key] = (dfut, fut)

        def cancelled(f, dfut=dfut):
            if f.cancelled():
                with self._lock:
                    self._running.pop(dfut.key, None)
                dfut.cancel()

        fut.add_done_callback(cancelled)
        dfut.add_done_callback(self._finished)
        return fut

    def _finished(self, dfut) -> None:
        """Dask's callback thread: hand the outcome to the concurrent future."""
        with self._lock:
            entry = self._running.pop(dfut.key, None)
        if entry is None:  # failed already (its worker died) or cancelled
            return
        fut = entry[1]
        if not fut.set_running_or_notify_cancel():
            return
        try:
            if dfut.status == "finished":
                fut.set_result(dfut.result())
            elif dfut.status == "cancelled":
                fut.set_exception(RuntimeError("the task was cancelled on the cluster"))
            else:
                fut.set_exception(dfut.exception())
        except BaseException as exc:  # noqa: BLE001 - the result could not be fetched
            if not fut.done():
                fut.set_exception(exc)

    def _on_event(self, event):
        """Scheduler events (topic ``all``): a worker removed without notice
        fails the futures of the tasks it was running."""
        try:
            _, msg = event
            if isinstance(msg, dict) and msg.get("action") == "remove-worker" \
                    and not msg.get("expected"):
                lost = []
                with self._lock:
                    for key in msg.get("processing-tasks", ()):
                        entry = self._running.pop(key, None)
                        if entry is not None:
                            lost.append(entry)
                for dfut, fut in lost:
                    if fut.set_running_or_notify_cancel():
                        from ._pool import WorkerDiedError

                        fut.set_exception(WorkerDiedError(
                            f"its Dask worker {msg.get('worker', '?')} died while running it"))
                if lost:  # the scheduler reruns them: cancel that (not from its loop)
                    threading.Thread(target=self._cancel, args=([d for d, _ in lost],),
                                     daemon=True).start()
        finally:
            if self._previous is not None:
                return self._previous(event)

    def _cancel(self, dfuts) -> None:
        try:
            self.client.cancel(dfuts)
        except Exception:  # noqa: BLE001 - the client may be closing
            pass

    def capacity(self) -> int:
        """Threads on the cluster's workers now (re-read at most once a second,
        as workers join and leave); at least 1."""
        now = time.monotonic()
        if now - self._checked > 1.0:
            try:
                self._nthreads = max(1, sum(self.client.nthreads().values()))
            except Exception:  # noqa: BLE001 - keep the last count if the call fails
                pass
            self._checked = now
        return self._nthreads

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
            entries = list(self._running.values())
        if cancel_futures:
            for _, fut in entries:
                fut.cancel()
        elif wait:
            cf.wait([fut for _, fut in entries])
        try:
            if self._previous is not None:
                self.client.subscribe_topic("all", self._previous)
            elif self.client.status == "running":
                self.client.unsubscribe_topic("all")
        except Exception:  # noqa: BLE001 - a client already closed
            pass
        if self._owns:
            self.client.close()


# -------------------------------------------------------------------- registry
#: The executor kinds, by name.
EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor, "dask": DaskExecutor}


def get_executor_kind(name: str):
    """The executor class registered as ``name``.

    >>> get_executor_kind("serial").__name__
    'SerialExecutor'
    >>> get_executor_kind("mpi")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: executor must be one of 'serial', 'processes', 'dask'; got 'mpi'
    """
    if name not in EXECUTORS:
        raise SpecError(f"executor must be one of {', '.join(map(repr, EXECUTORS))}; "
                        f"got {name!r}")
    return EXECUTORS[name]


def make_executor(workers: int | None = None, scheduler: str | None = None,
                  scheduler_file=None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT):
    """The executor the three command-line options ask for.

    Parameters
    ----------
    workers : int, optional
        Local worker processes; ``None`` or 1 runs serially in this process.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask scheduler.
    scheduler_file : path, optional
        A Dask scheduler file (``dask scheduler --scheduler-file FILE``).
    timeout : float
        Seconds to wait for the scheduler before :class:`SchedulerError`.

    Examples
    --------
    >>> make_executor().description
    'serial (this process)'
    >>> make_executor(workers=2, scheduler="tcp://head:8786")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: give at most one of workers, scheduler and scheduler_file; got workers=2, scheduler='tcp://head:8786', scheduler_file=None
    """
    given = [x is not None for x in (workers, scheduler, scheduler_file)]
    if sum(given) > 1:
        raise SpecError("give at most one of workers, scheduler and scheduler_file; got "
                        f"workers={workers!r}, scheduler={scheduler!r}, "
                        f"scheduler_file={scheduler_file!r}")
    if scheduler is not None or scheduler_file is not None:
        return DaskExecutor(scheduler, scheduler_file=scheduler_file, timeout=timeout)
    if workers is not None:
        from ..errors import check_positive_int

        if check_positive_int("workers", workers) > 1:
            return ProcessExecutor(workers)
    return SerialExecutor()
