"""Executor options shared by the sweep commands (``table``, ``train``).

``--workers`` / ``--scheduler`` / ``--scheduler-file`` / ``--connect-timeout``
(:func:`executor_options`) and ``--retries`` (:func:`retries_option`) as
click decorators; :func:`open_executor` checks them and makes the executor
(:func:`tnrnn.parallel.make_executor`; every failure is a
:class:`~tnrnn.errors.TnrnnError`, so exit status 2); :func:`run_executor_tasks`
runs a sweep's tasks on it with a progress bar and ETA, stopping the workers
on Ctrl-C; :class:`SweepBar` is that bar.
"""

from __future__ import annotations

import click

from ._app import _console_err

__all__ = ["executor_options", "retries_option", "check_retries", "open_executor",
           "run_executor_tasks", "SweepBar", "clock"]


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
                         help="Seconds to wait for the Dask scheduler (or its file)."),
        ]
        for option in reversed(options):
            func = option(func)
        return func
    return decorate


def retries_option(what: str = "row"):
    """Decorator: --retries (default 2)."""
    return click.option("--retries", type=int, default=2, show_default=True,
                        help=f"Reruns of a {what} whose worker died or failed.")


def check_retries(retries) -> int:
    """``retries`` itself, or a SpecError naming --retries."""
    from ..errors import SpecError

    if isinstance(retries, int) and retries < 0:
        raise SpecError(f"--retries must be an integer >= 0; got {retries}")
    return retries


def wants_parallel(workers, scheduler, scheduler_file) -> bool:
    """Whether the options ask for anything but this process."""
    return scheduler is not None or scheduler_file is not None or \
        (workers is not None and workers != 1)


def open_executor(workers, scheduler, scheduler_file, connect_timeout):
    """The executor the options ask for (serial when none is given).

    Conflicting options, a bad worker count or address, a scheduler file
    that does not appear or a scheduler that does not answer within
    ``connect_timeout`` seconds, and a missing ``dask.distributed`` all raise
    a :class:`~tnrnn.errors.TnrnnError` (``error: ...``, exit status 2)
    before any work starts.
    """
    from ..parallel import make_executor

    return make_executor(workers, scheduler, scheduler_file, timeout=connect_timeout)


def run_executor_tasks(fn, tasks: dict, *, executor, costs: dict, retries: int, show: bool,
                       unit: str = "rows", log=None, on_result=None, interrupted=None):
    """Run ``tasks`` through :func:`tnrnn.parallel.iter_tasks` on ``executor``
    with a :class:`SweepBar`; return ``{key: value}``.

    ``on_result(result, console)`` is called as each task finishes (print
    with ``console`` so that lines appear above the bar). On Ctrl-C the
    workers are stopped, ``interrupted(results)`` (a message) is printed and
    the interrupt re-raised. The executor is shut down in every case.
    """
    from ..parallel import iter_tasks

    results = {}
    try:
        with SweepBar(show, len(tasks), executor.description, unit=unit) as bar:
            for res in iter_tasks(fn, tasks, executor=executor, cost=costs, retries=retries,
                                  progress=bar.update, log=log):
                results[res.key] = res.value
                if on_result is not None:
                    on_result(res, bar.progress.console)
    except KeyboardInterrupt:
        if hasattr(executor, "terminate"):
            executor.terminate()
        message = None if interrupted is None else interrupted(results)
        if message:
            click.echo(message, err=True)
        raise
    finally:
        if log is not None:
            log.close()
        executor.shutdown(wait=False, cancel_futures=True)
    return results


class SweepBar:
    """A rich progress bar over the estimated cost, with tasks done and ETA."""

    def __init__(self, show: bool, total: int, where: str, unit: str = "rows"):
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        self.unit = unit
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), TextColumn("{task.fields[rows]}"),
                                 TextColumn("{task.fields[eta]}"), transient=True,
                                 disable=not show, console=_console_err())
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
