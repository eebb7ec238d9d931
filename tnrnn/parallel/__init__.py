"""Run independent tasks serially, on local processes or on a Dask cluster.

One interface (the :mod:`concurrent.futures` vocabulary: ``submit`` returns a
:class:`concurrent.futures.Future`) over three executors, chosen by
:func:`make_executor`: ``serial`` (this process), ``processes`` (spawned
workers, one BLAS/OpenMP thread each) and ``dask`` (a running
``dask.distributed`` scheduler; the optional extra ``tnrnn[distributed]``).
:func:`iter_tasks` runs a mapping of tasks on any of them: most expensive
first by a cost the caller estimates, results as they finish, failed tasks
retried (a worker that dies costs one attempt of the task it was running,
and nothing else), short tasks sent many to a submission where a submission
is dear (Dask), a progress callback with an ETA,
and a :class:`ResultsLog` (JSON lines) that a resumed run continues.

This package knows nothing of what the tasks compute and imports nothing
from tnrnn but :mod:`tnrnn.errors`; dask is imported only when a Dask
executor is made.

Examples
--------
>>> from tnrnn.parallel import make_executor, run_tasks
>>> with make_executor() as ex:
...     run_tasks(pow, {"small": (2, 3), "big": (2, 100)}, executor=ex,
...               cost={"small": 1, "big": 100})
{'small': 8, 'big': 1267650600228229401496703205376}
"""

from ._executors import (DEFAULT_CONNECT_TIMEOUT, EXECUTORS, MAX_CONNECT_TIMEOUT,
                         MAX_WORKERS_PER_CORE, THREAD_ENV, DaskExecutor, ProcessExecutor,
                         SchedulerError, SerialExecutor, check_timeout, get_executor_kind,
                         make_executor, max_local_workers, parse_scheduler_address)
from ._dask import ExecutorDiedError
from ._log import LOG_FORMAT, ResultsLog
from ._pool import WorkerDiedError, WorkerStartError
from .runner import (Progress, TaskFailedError, TaskResult, iter_tasks, ordered_map, run_tasks,
                   timed_call)

__all__ = [
    "make_executor",
    "iter_tasks",
    "run_tasks",
    "ordered_map",
    "TaskResult",
    "Progress",
    "ResultsLog",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "EXECUTORS",
    "get_executor_kind",
    "parse_scheduler_address",
    "SchedulerError",
    "TaskFailedError",
    "WorkerDiedError",
    "WorkerStartError",
    "ExecutorDiedError",
    "check_timeout",
    "max_local_workers",
    "timed_call",
    "THREAD_ENV",
    "DEFAULT_CONNECT_TIMEOUT",
    "MAX_CONNECT_TIMEOUT",
    "MAX_WORKERS_PER_CORE",
    "LOG_FORMAT",
]
