"""Executor options shared by the sweep commands (``table``, ``train``).

``--workers`` / ``--scheduler`` / ``--scheduler-file`` / ``--connect-timeout``
(:func:`executor_options`) and ``--retries`` (:func:`retries_option`) as
click decorators; :func:`check_executor_options` checks every value before
any work; :func:`open_executor` makes the executor
(:func:`tnrnn.parallel.make_executor`; every failure is a
:class:`~tnrnn.errors.TnrnnError`, so exit status 2); :func:`run_executor_tasks`
runs a sweep's tasks on it with a progress bar and ETA, and on Ctrl-C stops
the workers, prints how to continue and exits with status 130
(:func:`interrupted_exit`); :class:`SweepBar` is that bar;
:func:`worker_path` makes a path that workers use absolute.
"""

from __future__ import annotations

import click

from ._app import _console_err, _progress_bar

__all__ = ["executor_options", "retries_option", "check_retries", "check_executor_options",
           "open_executor", "run_executor_tasks", "interrupted_exit", "worker_path", "SweepBar",
           "clock", "MAX_RETRIES", "EXIT_INTERRUPTED"]

#: The most reruns ``--retries`` allows (a task that kills its worker every
#: time must not run for ever).
MAX_RETRIES = 100
#: Exit status after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


def executor_options(what: str = "rows"):
    """Decorator: --workers / --scheduler / --scheduler-file / --connect-timeout.

    ``what`` names the tasks in the help texts ("rows", "runs").
    """
    def decorate(func):
        options = [
            click.option("--workers", type=int, default=None,
                         help=f"Run the {what} on N local worker processes (spawned, one BLAS "
                              "thread each)  [default: serial, in this process]."),
            click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
                         help=f"Run the {what} on the Dask cluster of this scheduler "
                              "(needs tnrnn[distributed])."),
            click.option("--scheduler-file", type=click.Path(dir_okay=False), default=None,
                         help="Run on the Dask cluster named in this scheduler file "
                              "(dask scheduler --scheduler-file FILE; HPC jobs)."),
            click.option("--connect-timeout", type=float, default=10.0, show_default=True,
                         help="Seconds to wait for the Dask scheduler (or its file); a server "
                              "that does not answer as a scheduler within it is an error "
                              "(at most 86400)."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return decorate


def retries_option(what: str = "row"):
    """Decorator: --retries (default 2)."""
    return click.option("--retries", type=int, default=2, show_default=True,
                        help=f"Reruns of a {what} whose worker died or that failed (0-100); "
                             f"a dead worker costs one rerun of the {what} it was running.")


def check_retries(retries) -> int:
    """``retries`` itself, or a SpecError naming --retries.

    Examples
    --------
    >>> check_retries(2)
    2
    >>> check_retries(-1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --retries must be an integer >= 0; got -1
    >>> check_retries(10**6)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --retries must be an integer <= 100 (a task that fails every time would run that often); got 1000000
    """
    from ..errors import SpecError

    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SpecError(f"--retries must be an integer >= 0; got {retries!r}")
    if retries > MAX_RETRIES:
        raise SpecError(f"--retries must be an integer <= {MAX_RETRIES} (a task that fails "
                        f"every time would run that often); got {retries}")
    return retries


def check_executor_options(workers, scheduler, scheduler_file, connect_timeout,
                           retries=None) -> None:
    """Check the executor options before any work (nothing is started).

    ``--workers`` is an integer in 1..(4 per core), at most one of the three
    executor options is given, a scheduler address is ``tcp://HOST:PORT``,
    ``--connect-timeout`` is a finite number of seconds in (0, 86400] (also
    when no scheduler is given: a bad value is a mistake either way) and
    ``--retries`` an integer in 0..100.

    Examples
    --------
    >>> check_executor_options(2, None, None, 10.0, 2)
    >>> check_executor_options(None, None, None, float("inf"))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --connect-timeout must be a number of seconds > 0 and <= 86400 (one day); got inf
    """
    from ..errors import SpecError, check_positive_int
    from ..parallel import check_timeout, max_local_workers, parse_scheduler_address

    check_timeout(connect_timeout, "--connect-timeout")
    if retries is not None:
        check_retries(retries)
    given = [name for name, v in (("--workers", workers), ("--scheduler", scheduler),
                                  ("--scheduler-file", scheduler_file)) if v is not None]
    if len(given) > 1:
        raise SpecError(f"give at most one of workers, scheduler and scheduler_file "
                        f"(--workers, --scheduler, --scheduler-file); got "
                        f"{' and '.join(given)}")
    if workers is not None:
        check_positive_int("--workers", workers)
        most = max_local_workers()
        if workers > most:
            raise SpecError(f"--workers must be an integer in 1..{most} (4 per core on the "
                            f"{most // 4} cores here: more only compete for them); got "
                            f"{workers}")
    if scheduler is not None:
        parse_scheduler_address(scheduler)
    if scheduler_file is not None:
        from pathlib import Path

        p = Path(scheduler_file)
        if p.exists() and not p.is_file():
            raise SpecError(f"--scheduler-file: {scheduler_file!r} is not a regular file; give "
                            f"the JSON file that `dask scheduler --scheduler-file FILE` writes")


def worker_path(path):
    """``path`` made absolute (``~`` expanded) here, before it is sent to
    workers: a Dask worker runs in its own folder, where a relative path
    would name another place.

    Examples
    --------
    >>> import os
    >>> worker_path("runs/ses") == os.path.join(os.getcwd(), "runs", "ses")
    True
    """
    import os

    return os.path.abspath(os.path.expanduser(str(path)))


def interrupted_exit(message: str | None):
    """After Ctrl-C: print ``message`` (how to continue) on stderr and exit
    with status 130, with no traceback and no click "Aborted!"."""
    if message:
        click.echo(message, err=True)
    raise click.exceptions.Exit(EXIT_INTERRUPTED)


def wants_parallel(workers, scheduler, scheduler_file) -> bool:
    """Whether the options ask for anything but this process."""
    return scheduler is not None or scheduler_file is not None or \
        (workers is not None and workers != 1)


def open_executor(workers, scheduler, scheduler_file, connect_timeout):
    """The executor the options ask for (serial when none is given).

    Conflicting options, a bad worker count, address or timeout, a scheduler
    file that does not appear or a scheduler that does not answer within
    ``connect_timeout`` seconds, and a missing ``dask.distributed`` all raise
    a :class:`~tnrnn.errors.TnrnnError` (``error: ...``, exit status 2)
    before any work starts.
    """
    from ..parallel import make_executor

    check_executor_options(workers, scheduler, scheduler_file, connect_timeout)
    return make_executor(workers, scheduler, scheduler_file, timeout=connect_timeout)


def run_executor_tasks(fn, tasks: dict, *, executor, costs: dict, retries: int, show: bool,
                       unit: str = "rows", log=None, on_result=None, interrupted=None):
    """Run ``tasks`` through :func:`tnrnn.parallel.iter_tasks` on ``executor``
    with a :class:`SweepBar`; return ``{key: value}``.

    ``on_result(result, console)`` is called as each task finishes (print
    with ``console`` so that lines appear above the bar). On Ctrl-C the
    workers are stopped, ``interrupted(results)`` (a message: how to
    continue) is printed and the command exits with status 130. The
    executor is shut down in every case.
    """
    from ..parallel import iter_tasks

    results = {}
    try:
        with SweepBar(show, len(tasks), executor.description, unit=unit) as bar:
            for res in iter_tasks(fn, tasks, executor=executor, cost=costs, retries=retries,
                                  progress=bar.update, log=log):
                results[res.key] = res.value
                if on_result is not None:
                    on_result(res, bar.console)
    except KeyboardInterrupt:
        if hasattr(executor, "terminate"):
            executor.terminate()
        interrupted_exit(None if interrupted is None else interrupted(results))
    finally:
        if log is not None:
            log.close()
        executor.shutdown(wait=False, cancel_futures=True)
    return results


class SweepBar:
    """The sweep's progress bar: :func:`._app._progress_bar` over the
    estimated cost, with the tasks done, the time elapsed and the ETA of
    :func:`tnrnn.parallel.iter_tasks` (from the cost run in this session, so
    that rows resumed from a log do not make it optimistic). ``console`` prints
    above the bar (stderr), also when the bar is not shown."""

    def __init__(self, show: bool, total: int, where: str, unit: str = "rows"):
        self.unit = unit
        self.progress = _progress_bar(show, count=False, fields=("rows", "eta"),
                                      remaining=False)
        self.console = self.progress.console if show else _console_err()
        self.task = self.progress.add_task(f"sweep ({where})", total=None,
                                           rows=f"0/{total} {unit}", eta="")

    def update(self, p) -> None:
        eta = "" if p.eta_s is None else f"ETA {clock(p.eta_s)}"
        last = "" if p.last is None else f", last {p.last.key}"
        self.progress.update(self.task, total=p.cost_total or None, completed=p.cost_done,
                             rows=f"{p.done}/{p.total} {self.unit}{last}", eta=eta)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)


def clock(seconds: float) -> str:
    """``H:MM:SS``.

    Examples
    --------
    >>> clock(3725.4)
    '1:02:05'
    """
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
