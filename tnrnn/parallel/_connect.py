"""Reaching a Dask scheduler: its address or scheduler file checked, and
the scheduler asked who it is within a timeout (a server that accepts TCP
but never answers as a scheduler is an error, not a hang).
``dask.distributed`` is imported only when an executor is made.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from ..errors import MissingDependencyError, SpecError, TnrnnError

__all__ = ["SchedulerError", "parse_scheduler_address", "check_timeout",
           "DEFAULT_CONNECT_TIMEOUT", "MAX_CONNECT_TIMEOUT"]

#: Seconds to wait for a Dask scheduler (or its scheduler file) before giving up.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: The longest wait for a scheduler that is accepted (one day).
MAX_CONNECT_TIMEOUT = 86400.0


class SchedulerError(TnrnnError, ConnectionError):
    """A Dask scheduler could not be reached (or its scheduler file read).

    Examples
    --------
    >>> from tnrnn.errors import TnrnnError
    >>> issubclass(SchedulerError, TnrnnError) and issubclass(SchedulerError, ConnectionError)
    True
    """


_ADDRESS = re.compile(r"^(?:(?P<scheme>tcp|tls)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)"
                      r":(?P<port>[0-9]{1,5})$")


def parse_scheduler_address(address: str) -> str:
    """``address`` as ``tcp://HOST:PORT`` (or ``tls://``), or a SpecError.

    Parameters
    ----------
    address : str
        ``HOST:PORT``, ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (an IPv6
        host in brackets).

    Returns
    -------
    str
        The address with its scheme.

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

    Parameters
    ----------
    timeout : float
        Seconds.
    name : str
        How the error names the value (an option, say).

    Returns
    -------
    float
        ``timeout``.

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
