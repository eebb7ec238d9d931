"""The serial executor: each task runs in this process at ``submit`` time
(the reference run, and what :func:`~tnrnn.parallel.iter_tasks` uses when no
executor is given)."""

from __future__ import annotations

import concurrent.futures as cf

__all__ = ["SerialExecutor"]


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
