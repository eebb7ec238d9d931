"""Small tasks sent to an executor in batches (one submission, many tasks).

A Dask submission costs about 2 ms of client and scheduler CPU, whatever the
task; tasks of a few milliseconds would spend more on being sent than on
running. :func:`~tnrnn.parallel.iter_tasks` therefore sends such tasks
together when the executor asks for it (``executor.batch_seconds() > 0``):
the worker runs :func:`timed_batch`, one task after the other, and hands back
every task's outcome at once.

How many go together is measured, not guessed: a batch is only formed once
a few tasks of this run have finished, and holds about ``batch_seconds`` of
work at the longest recent task's wall time (tasks go longest first, so the
recent ones bound those still queued), at most a share of what is left so
that the workers finish together, and at most :data:`MAX_BATCH` tasks. A task
that takes ``batch_seconds / 2`` or more goes alone.
"""

from __future__ import annotations

import collections
import math
import os
import socket
import time

from ..errors import SpecError

__all__ = ["timed_call", "timed_batch", "BatchSizer", "check_batch_seconds", "MAX_BATCH",
           "MAX_BATCH_SECONDS"]

#: The most tasks in one submission.
MAX_BATCH = 1000
#: The longest batch that can be asked for (seconds of work per submission).
MAX_BATCH_SECONDS = 60.0


def timed_call(fn, args: tuple, kwargs: dict) -> tuple:
    """Call ``fn(*args, **kwargs)`` in a worker, timed.

    Parameters
    ----------
    fn : callable
        The task function.
    args : tuple
        Positional arguments.
    kwargs : dict
        Keyword arguments.

    Returns
    -------
    tuple
        ``(value, cpu_s, wall_s, worker, thread_cpu_s)``: what ``fn``
        returned, the process CPU time, wall time and calling thread's CPU
        time of the call, and ``host:pid``.

    Examples
    --------
    >>> import os
    >>> value, cpu_s, wall_s, worker, thread_s = timed_call(divmod, (7, 2), {})
    >>> value, worker.endswith(f":{os.getpid()}"), min(cpu_s, wall_s, thread_s) >= 0
    ((3, 1), True, True)
    """
    c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
    value = fn(*args, **kwargs)
    c1, t1, w1 = time.process_time(), time.thread_time(), time.perf_counter()
    return value, c1 - c0, w1 - w0, _worker_name(), t1 - t0


_WORKER: list = []


def _worker_name() -> str:
    """``host:pid`` of this process (computed once per process)."""
    if not _WORKER or _WORKER[0][0] != os.getpid():
        _WORKER[:] = [(os.getpid(), f"{socket.gethostname()}:{os.getpid()}")]
    return _WORKER[0][1]


def timed_batch(fn, calls: list) -> list:
    """Run ``fn`` on every ``(args, kwargs)`` of ``calls`` in this worker, in
    order; one ``(True, timed_call(...))`` or ``(False, exception)`` per call.

    An exception (anything but a ``BaseException`` outside ``Exception``)
    fails its own call only; the later calls still run.

    Examples
    --------
    >>> out = timed_batch(divmod, [((7, 2), {}), ((1, 0), {})])
    >>> out[0][0], out[0][1][0], out[1][0], type(out[1][1]).__name__
    (True, (3, 1), False, 'ZeroDivisionError')
    """
    out = []
    for args, kwargs in calls:
        try:
            out.append((True, timed_call(fn, args, kwargs)))
        except Exception as exc:  # noqa: BLE001 - handed back as this call's outcome
            out.append((False, exc))
    return out


def check_batch_seconds(seconds) -> float:
    """``seconds`` of work per batch as a float in ``[0, MAX_BATCH_SECONDS]``
    (0: no batching), or a SpecError.

    Examples
    --------
    >>> check_batch_seconds(0.1)
    0.1
    >>> check_batch_seconds(-1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: batch_seconds must be a number of seconds >= 0 (0: one task per submission) and <= 60; got -1
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
            or not math.isfinite(seconds) or not 0 <= seconds <= MAX_BATCH_SECONDS:
        raise SpecError("batch_seconds must be a number of seconds >= 0 (0: one task per "
                        f"submission) and <= {MAX_BATCH_SECONDS:g}; got {seconds!r}")
    return float(seconds)


class BatchSizer:
    """How many queued tasks to send in the next submission.

    ``target`` seconds of work per batch (0: always 1); ``measured(wall_s)``
    after each finished task; ``size(queued, in_flight)`` then says how many
    of the ``queued`` tasks to send together.

    Examples
    --------
    >>> s = BatchSizer(0.1)
    >>> s.size(500, 2)  # nothing measured yet: one at a time
    1
    >>> for _ in range(4):
    ...     s.measured(0.001)
    >>> s.size(500, 2)  # 1 ms tasks: 100 make a batch
    100
    >>> s.size(40, 2)  # near the end: a quarter of what is left per worker pair
    10
    >>> s.measured(0.08)  # a long task among the recent ones: alone again
    >>> s.size(500, 2)
    1
    """

    #: Tasks measured before any batch is formed; the estimate is the longest
    #: of the last ``2 * WARM_UP`` wall times.
    WARM_UP = 4

    def __init__(self, target: float):
        self.target = float(target)
        self.recent: collections.deque = collections.deque(maxlen=2 * self.WARM_UP)
        self.seen = 0

    def measured(self, wall_s) -> None:
        if wall_s is not None:
            self.recent.append(float(wall_s))
            self.seen += 1

    def size(self, queued: int, in_flight: int) -> int:
        if self.target <= 0 or self.seen < self.WARM_UP or queued <= 1:
            return 1
        longest = max(max(self.recent), 1e-6)
        if longest >= self.target / 2:  # long tasks go alone
            return 1
        by_time = int(self.target / longest)
        share = math.ceil(queued / (2 * max(1, in_flight)))  # the workers end together
        return max(1, min(by_time, share, MAX_BATCH))
