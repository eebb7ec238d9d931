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
import os

from ..errors import SpecError
from ._pool import THREAD_ENV, ProcessPool, WorkerDiedError, _OneThreadSpawnContext
from ._serial import SerialExecutor
from ._dask import (DEFAULT_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT, DaskExecutor, SchedulerError,
                    check_timeout, parse_scheduler_address)

__all__ = ["SerialExecutor", "ProcessExecutor", "DaskExecutor", "SchedulerError",
           "EXECUTORS", "get_executor_kind", "make_executor", "parse_scheduler_address",
           "check_timeout", "max_local_workers", "THREAD_ENV", "DEFAULT_CONNECT_TIMEOUT",
           "MAX_CONNECT_TIMEOUT", "MAX_WORKERS_PER_CORE"]

# ------------------------------------------------------------------- processes
#: Most local worker processes per core: the tasks are CPU-bound, so more
#: only compete for the cores (and each process holds its own interpreter).
MAX_WORKERS_PER_CORE = 4


def max_local_workers() -> int:
    """The most local worker processes :class:`ProcessExecutor` accepts here:
    :data:`MAX_WORKERS_PER_CORE` per core this process may run on.

    Returns
    -------
    int
        ``MAX_WORKERS_PER_CORE`` times the cores of this process's affinity.

    Examples
    --------
    >>> import os
    >>> max_local_workers() == MAX_WORKERS_PER_CORE * len(os.sched_getaffinity(0))
    True
    """
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

    Parameters
    ----------
    workers : int
        Worker processes, 1 to :func:`max_local_workers`.

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

        return isinstance(exc, WorkerDiedError)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """Stop the workers now (after Ctrl-C): running tasks are lost."""
        self._pool.terminate()


# -------------------------------------------------------------------- registry
#: The executor kinds, by name.
EXECUTORS = {"serial": SerialExecutor, "processes": ProcessExecutor, "dask": DaskExecutor}


def get_executor_kind(name: str):
    """The executor class registered as ``name``.

    Parameters
    ----------
    name : {"serial", "processes", "dask"}
        A key of :data:`EXECUTORS`.

    Returns
    -------
    type
        The executor class.

    Examples
    --------
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

    Returns
    -------
    SerialExecutor, ProcessExecutor or DaskExecutor
        Use it as a context manager (``with make_executor(...) as ex:``) so
        that its workers or client are closed.

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
