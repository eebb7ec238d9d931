"""Small task functions that test and measure the executors.

They live in the package (not in the tests) because spawned workers and Dask
schedulers import task functions by name. Each is deterministic, so a
parallel run can be compared with a serial one value for value.

Examples
--------
>>> spin(3, seed=1) == lcg_closed_form(3, seed=1)
True
"""

from __future__ import annotations

import os
import time

__all__ = ["spin", "lcg_closed_form", "LCG", "nap", "crash_once", "crash_always",
           "crash_when", "crash_times", "nap_or_crash", "fail_always", "refuse", "environment"]

#: The linear congruential generator ``x -> (a x + c) mod m`` that :func:`spin` iterates.
LCG = (6364136223846793005, 1442695040888963407, 2 ** 64)


def spin(steps: int, seed: int = 0) -> int:
    """Burn CPU: ``steps`` iterations of :data:`LCG` from ``seed``, in pure
    Python (about 0.1 us each; no BLAS, no threads).

    Parameters
    ----------
    steps : int
        Iterations of the generator.
    seed : int
        The starting value ``x_0``.

    Returns
    -------
    int
        ``x_steps``, which :func:`lcg_closed_form` gives without iterating.

    Examples
    --------
    >>> a, c, m = LCG
    >>> spin(2, seed=5) == (a * ((a * 5 + c) % m) + c) % m
    True
    """
    a, c, m = LCG
    x = seed
    for _ in range(steps):
        x = (a * x + c) % m
    return x


def lcg_closed_form(steps: int, seed: int = 0) -> int:
    """What :func:`spin` returns, from ``x_n = a^n x_0 + c (a^n - 1)/(a - 1)``
    evaluated mod ``m (a - 1)`` so that the division is exact.

    Parameters
    ----------
    steps : int
        Iterations of the generator (any size: ``O(log steps)`` work).
    seed : int
        The starting value ``x_0``.

    Returns
    -------
    int
        ``x_steps`` of :data:`LCG`.

    Examples
    --------
    >>> lcg_closed_form(0, seed=9), lcg_closed_form(1, seed=0) == LCG[1]
    (9, True)
    >>> lcg_closed_form(1000, seed=3) == spin(1000, seed=3)
    True
    """
    a, c, m = LCG
    big = m * (a - 1)
    an = pow(a, steps, big)
    return (an * seed + c * ((an - 1) // (a - 1))) % m


def nap(seconds: float, value=None):
    """Sleep, then return ``value`` (a task that takes wall time, no CPU).

    Parameters
    ----------
    seconds : float
        How long to sleep.
    value : object, optional
        What to return.

    Returns
    -------
    object
        ``value``.

    Examples
    --------
    >>> import time
    >>> t0 = time.perf_counter()
    >>> nap(0.02, "done"), time.perf_counter() - t0 >= 0.02
    ('done', True)
    """
    time.sleep(seconds)
    return value


def crash_once(marker: str, value):
    """Kill the worker process the first time (when ``marker`` does not exist
    yet: it is created first); return ``value`` on any later attempt.

    Parameters
    ----------
    marker : str
        Path of a file; its existence means "already crashed once".
    value : object
        Returned once the marker exists.

    Returns
    -------
    object
        ``value`` (the first call does not return: the process exits with
        status 13).

    Examples
    --------
    >>> import os, tempfile
    >>> marker = os.path.join(tempfile.mkdtemp(), "m")
    >>> import warnings
    >>> with warnings.catch_warnings():   # the child only exits: no thread of JAX runs in it
    ...     warnings.simplefilter("ignore", RuntimeWarning)
    ...     pid = os.fork()
    >>> if pid == 0:
    ...     crash_once(marker, 1)
    >>> os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), crash_once(marker, "second")
    (13, 'second')
    """
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(13)
    return value


def crash_always(code: int = 13):
    """Kill the worker process on every attempt (``os._exit(code)``).

    Parameters
    ----------
    code : int
        The exit status.

    Returns
    -------
    NoReturn
        It never returns.

    Examples
    --------
    >>> import os
    >>> import warnings
    >>> with warnings.catch_warnings():   # the child only exits: no thread of JAX runs in it
    ...     warnings.simplefilter("ignore", RuntimeWarning)
    ...     pid = os.fork()
    >>> if pid == 0:
    ...     crash_always(7)
    >>> os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    7
    """
    os._exit(code)


def crash_when(marker: str, seconds: float, value):
    """Sleep ``seconds``; then kill the worker process if ``marker`` exists
    (a test creates it to kill whichever worker is running this task at
    that moment); else return ``value``. The marker is removed first, so
    only one worker dies.

    Parameters
    ----------
    marker : str
        Path of a file that a test may create while the task sleeps.
    seconds : float
        How long to sleep first.
    value : object
        Returned when the marker does not exist.

    Returns
    -------
    object
        ``value`` (no return when the marker existed: exit status 13).

    Examples
    --------
    >>> import os, tempfile
    >>> marker = os.path.join(tempfile.mkdtemp(), "m")
    >>> crash_when(marker, 0.0, "alive")
    'alive'
    >>> open(marker, "w").close()
    >>> import warnings
    >>> with warnings.catch_warnings():   # the child only exits: no thread of JAX runs in it
    ...     warnings.simplefilter("ignore", RuntimeWarning)
    ...     pid = os.fork()
    >>> if pid == 0:
    ...     crash_when(marker, 0.0, "alive")
    >>> os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), os.path.exists(marker)
    (13, False)
    """
    time.sleep(seconds)
    try:
        os.unlink(marker)
    except FileNotFoundError:
        return value
    os._exit(13)


def crash_times(log: str, times: int, value):
    """Kill the worker process on each of the first ``times`` calls (each
    appends its process id to the file ``log`` first, so the file counts the
    calls that died); return ``value`` once ``log`` holds ``times`` lines.

    Parameters
    ----------
    log : str
        Path of the file that counts the deaths (one process id a line).
    times : int
        How many calls die.
    value : object
        Returned by every later call.

    Returns
    -------
    object
        ``value``, from call ``times + 1`` on.

    Examples
    --------
    >>> import os, tempfile
    >>> log = os.path.join(tempfile.mkdtemp(), "deaths")
    >>> import warnings
    >>> with warnings.catch_warnings():   # the child only exits: no thread of JAX runs in it
    ...     warnings.simplefilter("ignore", RuntimeWarning)
    ...     pid = os.fork()
    >>> if pid == 0:
    ...     crash_times(log, 1, "ok")
    >>> os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), crash_times(log, 1, "ok")
    (13, 'ok')
    >>> open(log).read() == f"{pid}\\n"
    True
    """
    try:
        with open(log) as fh:
            done = sum(1 for _ in fh)
    except FileNotFoundError:
        done = 0
    if done < times:
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        os._exit(13)
    return value


def nap_or_crash(*args):
    """``nap(seconds, value)`` for two arguments, ``crash_always(code)`` for
    one, ``crash_times(log, times, value)`` for three: one task function
    for a mix of tasks that sleep and tasks that kill their worker.

    Parameters
    ----------
    *args
        ``(code,)``, ``(seconds, value)`` or ``(log, times, value)``.

    Returns
    -------
    object
        What :func:`nap` or :func:`crash_times` returns.

    Examples
    --------
    >>> nap_or_crash(0.0, "slept")
    'slept'
    """
    return {1: crash_always, 2: nap, 3: crash_times}[len(args)](*args)


def fail_always(message: str):
    """Raise ``RuntimeError(message)`` on every attempt.

    Parameters
    ----------
    message : str
        The error's message.

    Returns
    -------
    NoReturn
        It always raises.

    Examples
    --------
    >>> fail_always("no")
    Traceback (most recent call last):
    ...
    RuntimeError: no
    """
    raise RuntimeError(message)


def refuse(message: str):
    """Raise a :class:`~tnrnn.errors.SpecError` (a deliberate refusal, which
    :func:`~tnrnn.parallel.iter_tasks` does not retry).

    Parameters
    ----------
    message : str
        The error's message.

    Returns
    -------
    NoReturn
        It always raises.

    Examples
    --------
    >>> refuse("too big")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: too big
    """
    from ..errors import SpecError

    raise SpecError(message)


def environment(names) -> dict:
    """The worker's view of environment variables ``names``: ``{"start":
    {...}, "now": {...}}``, ``start`` from ``/proc/self/environ`` (the
    environment the interpreter was started with; Linux) or ``None``.

    Parameters
    ----------
    names : iterable of str
        The variables to report.

    Returns
    -------
    dict
        ``start`` and ``now`` (``{name: value or None}``) and ``pid``.

    Examples
    --------
    >>> import os
    >>> env = environment(["PATH", "TNRNN_SURELY_UNSET"])
    >>> env["now"] == {"PATH": os.environ.get("PATH"), "TNRNN_SURELY_UNSET": None}
    True
    >>> env["pid"] == os.getpid()
    True
    """
    try:
        with open("/proc/self/environ", "rb") as fh:
            pairs = [kv.split(b"=", 1) for kv in fh.read().split(b"\0") if b"=" in kv]
        start = {k.decode(): v.decode() for k, v in pairs}
        start = {n: start.get(n) for n in names}
    except OSError:
        start = None
    return {"start": start, "now": {n: os.environ.get(n) for n in names},
            "pid": os.getpid()}
