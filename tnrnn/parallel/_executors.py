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
           "THREAD_ENV", "DEFAULT_CONNECT_TIMEOUT"]

#: Environment of every local worker process: one thread per BLAS/OpenMP
#: library, so that N workers use N cores (Dask's nanny sets the same).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}
#: Seconds to wait for a Dask scheduler (or its scheduler file) before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0


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


class ProcessExecutor(cf.Executor):
    """A pool of ``workers`` spawned processes, one BLAS/OpenMP thread each.

    Spawned, never forked: after JAX (or any threaded library) has run in the
    parent, forked children can hang. Task functions and arguments must be
    picklable and importable (module-level functions). When a worker dies,
    the pool breaks; :meth:`recover` starts a new one so that the caller can
    resubmit what was lost.

    Examples
    --------
    >>> with ProcessExecutor(2) as ex:  # doctest: +SKIP
    ...     ex.submit(pow, 2, 10).result()
    1024
    """

    def __init__(self, workers: int):
        from ..errors import check_positive_int

        self.workers = check_positive_int("workers", workers)
        self.description = f"{self.workers} local worker processes (spawn, 1 thread each)"
        self._pool = self._new_pool()
        self.restarts = 0

    def _new_pool(self):
        return cf.ProcessPoolExecutor(self.workers, mp_context=_OneThreadSpawnContext(),
                                      initializer=_init_worker)

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """``fn(*args, **kwargs)`` in a worker (``priority`` is ignored: the
        queue is first in, first out). A pool found broken (a worker died
        since the last call) is replaced first."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._restart()
            return self._pool.submit(fn, *args, **kwargs)

    def capacity(self) -> int:
        return self.workers

    def pending_limit(self) -> int:
        """Tasks submitted ahead: the pool runs its queue first in, first out,
        so a short queue keeps the caller's order."""
        return 2 * self.workers

    def recover(self, exc: BaseException) -> bool:
        """Start a fresh pool if ``exc`` says this one broke (a worker died)."""
        from concurrent.futures.process import BrokenProcessPool

        if not isinstance(exc, BrokenProcessPool):
            return False
        if getattr(self._pool, "_broken", True):  # not yet replaced (no public flag)
            self._restart()
        return True

    def _restart(self) -> None:
        old = self._pool
        self._pool = self._new_pool()
        self.restarts += 1
        old.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """Stop the workers now (after Ctrl-C): running tasks are lost."""
        procs = list(getattr(self._pool, "_processes", {}).values())  # no public handle
        self._pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()


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


class DaskExecutor(cf.Executor):
    """Tasks on a ``dask.distributed`` cluster, through a ``Client``.

    Give ``address`` (``tcp://HOST:PORT``), ``scheduler_file`` or an existing
    ``client``. The scheduler unpickles task functions itself, so they must
    be importable from an installed package (the same tnrnn version on every
    node). A worker that dies mid-task is replaced by the scheduler and its
    tasks rerun elsewhere; a task that kills several workers fails with
    ``KilledWorker``.
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
            if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) \
                    or timeout <= 0:
                raise SpecError(f"timeout must be a number of seconds > 0; got {timeout!r}")
            if scheduler_file is not None:
                address = _read_scheduler_file(scheduler_file, timeout)
            else:
                address = parse_scheduler_address(address)
            try:
                client = distributed.Client(address, timeout=f"{timeout}s",
                                            set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise SchedulerError(
                    f"cannot reach a Dask scheduler at {address} within {timeout:g} s "
                    f"({type(exc).__name__}); start one with `dask scheduler --host HOST "
                    f"--port PORT` and workers with `dask worker tcp://HOST:PORT`") from None
        self.client = client
        self._executor = client.get_executor(pure=False)
        self.description = f"Dask scheduler {client.scheduler.address}"
        self._nthreads, self._checked = 1, 0.0

    def submit(self, fn, /, *args, priority: int = 0, **kwargs):
        """``fn(*args, **kwargs)`` on the cluster; higher ``priority`` runs first."""
        return self._executor.submit(fn, *args, priority=priority, **kwargs)

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
        """Tasks submitted ahead: many, since the scheduler orders them by the
        ``priority`` given to :meth:`submit` (a round trip per task would
        cost more than the scheduling itself)."""
        return 2 * self.capacity() + 512

    def recover(self, exc: BaseException) -> bool:
        return False

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False):
        self._executor.shutdown(wait=wait and not cancel_futures)
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
