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
    Python (about 0.1 us each; no BLAS, no threads)."""
    a, c, m = LCG
    x = seed
    for _ in range(steps):
        x = (a * x + c) % m
    return x


def lcg_closed_form(steps: int, seed: int = 0) -> int:
    """What :func:`spin` returns, from ``x_n = a^n x_0 + c (a^n - 1)/(a - 1)``
    evaluated mod ``m (a - 1)`` so that the division is exact."""
    a, c, m = LCG
    big = m * (a - 1)
    an = pow(a, steps, big)
    return (an * seed + c * ((an - 1) // (a - 1))) % m


def nap(seconds: float, value=None):
    """Sleep, then return ``value`` (a task that takes wall time, no CPU)."""
    time.sleep(seconds)
    return value


def crash_once(marker: str, value):
    """Kill the worker process the first time (when ``marker`` does not exist
    yet: it is created first); return ``value`` on any later attempt."""
    if not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(13)
    return value


def crash_always(code: int = 13):
    """Kill the worker process on every attempt (``os._exit(code)``)."""
    os._exit(code)


def crash_when(marker: str, seconds: float, value):
    """Sleep ``seconds``; then kill the worker process if ``marker`` exists
    (a test creates it to kill whichever worker is running this task at
    that moment); else return ``value``. The marker is removed first, so
    only one worker dies."""
    time.sleep(seconds)
    try:
        os.unlink(marker)
    except FileNotFoundError:
        return value
    os._exit(13)


def crash_times(log: str, times: int, value):
    """Kill the worker process on each of the first ``times`` calls (each
    appends its process id to the file ``log`` first, so the file counts the
    calls that died); return ``value`` once ``log`` holds ``times`` lines."""
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
    one, ``crash_times(log, times, value)`` for three."""
    return {1: crash_always, 2: nap, 3: crash_times}[len(args)](*args)


def fail_always(message: str):
    """Raise ``RuntimeError(message)`` on every attempt."""
    raise RuntimeError(message)


def refuse(message: str):
    """Raise a :class:`~tnrnn.errors.SpecError` (a deliberate refusal)."""
    from ..errors import SpecError

    raise SpecError(message)


def environment(names) -> dict:
    """The worker's view of environment variables ``names``: ``{"start":
    {...}, "now": {...}}``, ``start`` from ``/proc/self/environ`` (the
    environment the interpreter was started with; Linux) or ``None``."""
    try:
        with open("/proc/self/environ", "rb") as fh:
            pairs = [kv.split(b"=", 1) for kv in fh.read().split(b"\0") if b"=" in kv]
        start = {k.decode(): v.decode() for k, v in pairs}
        start = {n: start.get(n) for n in names}
    except OSError:
        start = None
    return {"start": start, "now": {n: os.environ.get(n) for n in names},
            "pid": os.getpid()}
