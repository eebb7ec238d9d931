"""Result files of the memory experiments: kind, version, config, atomic writes.

Every JSON file an experiment writes is a dict with

``kind``
    which experiment (``"memory-rates"``, ``"memory-plateau"``, ...);
``version``
    :data:`VERSION`, raised when the record layout changes;
``config``
    every setting that decides the records (resuming with another config is
    refused: the old records would be reported as the new ones);
``command``
    the command line that made it; ``machine``: where; ``records``: the data.

:func:`load_result` reads one back and checks all of that, so a file of
another experiment, a corrupt file or one made with other settings is
refused by path with the way out, never appended to or drawn from.

Examples
--------
>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "r.json"
...     data = new_result("memory-rates", {"m": 3})
...     _ = save_result(p, data)
...     load_result(p, "memory-rates", {"m": 3})["config"]
{'m': 3}
>>> from tnrnn.errors import SpecError
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "r.json"
...     _ = save_result(p, new_result("memory-train", {}))
...     try:
...         load_result(p, "memory-rates")
...     except SpecError as exc:
...         print(str(exc).split("'", 2)[2])
 holds a 'memory-train' result, not 'memory-rates'; give another --out, or delete ...
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from pathlib import Path

from ..errors import SpecError

__all__ = ["VERSION", "machine", "new_result", "load_result", "save_result", "resume_result"]

VERSION = 2


def machine() -> dict:
    """Where a result was computed: the host's name and the date beside the
    CPU, cores and Python of :func:`tnrnn._io.machine_info` (the one machine
    description).

    Returns
    -------
    dict
        ``host``, ``cpu`` (the CPU's model name), ``cores``, ``python`` and
        ``date`` (``'YYYY-MM-DD HH:MM UTC'``).

    Examples
    --------
    >>> import os, platform
    >>> from tnrnn._io import cpu_model
    >>> m = machine()
    >>> list(m)
    ['host', 'cpu', 'cores', 'python', 'date']
    >>> m["cpu"] == cpu_model(), m["cores"] == os.cpu_count(), m["python"] == platform.python_version()
    (True, True, True)
    """
    from .._io import machine_info

    info = machine_info(packages=())
    return {"host": platform.node(), "cpu": info["cpu"], "cores": info["cores"],
            "python": info["versions"]["python"],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _command() -> str:
    argv = list(sys.argv)
    if argv and argv[0].endswith("tnrnn"):
        argv[0] = "tnrnn"
    elif argv and argv[0].endswith(("linear_rnn/experiments.py", "linear_rnn/__main__.py")):
        argv[0] = "python -m tnrnn.linear_rnn.experiments"
    return " ".join(argv)


def new_result(kind: str, config: dict, command: str | None = None) -> dict:
    """An empty result of ``kind`` with its ``config``."""
    return {"kind": kind, "version": VERSION, "config": _jsonable(config),
            "command": command or _command(), "machine": machine(), "records": []}


def _jsonable(x):
    return json.loads(json.dumps(x, default=_default))


def _default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON: {type(obj).__name__}")


def _clean(x):
    """NaN and inf become None (strict JSON has no tokens for them)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def load_result(path, kind: str, config: dict | None = None) -> dict:
    """Read a memory experiment's result file and check its kind, version
    and (if given) config.

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file.
    kind : str
        The experiment it must hold (``"memory-rates"``, ``"memory-plateau"``, ...).
    config : dict, optional
        The settings it must have been made with (compared after a JSON
        round trip); ``None``: any.

    Returns
    -------
    dict
        The result: ``kind``, ``version``, ``config``, ``command``,
        ``machine`` and ``records``.

    Raises
    ------
    tnrnn.errors.SpecError
        Naming the file and the way out (another ``--out``, or delete the
        file to start over) when it cannot be read, is not JSON, holds no
        ``records`` list, another kind or version, or other settings.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_result(pathlib.Path(d) / "w.json", new_result("memory-width", {"eps": (0.1,)}))
    ...     data = load_result(p, "memory-width", {"eps": [0.1]})
    ...     try:
    ...         load_result(p, "memory-width", {"eps": [0.2]})
    ...     except SpecError as exc:
    ...         print(str(exc).split("(")[1].split(")")[0])
    differing: eps
    >>> data["kind"], data["version"] == VERSION, data["records"]
    ('memory-width', True, [])
    """
    path = Path(path)
    way = f"give another --out, or delete {str(path)!r} to start over"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {str(path)!r} ({getattr(exc, 'strerror', None) or exc}); "
                        f"{way}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{str(path)!r} is not a valid JSON result file ({exc.msg} at line "
                        f"{exc.lineno}); {way}") from None
    if not isinstance(data, dict) or "records" not in data or not isinstance(
            data.get("records"), list):
        raise SpecError(f"{str(path)!r} is not a tnrnn memory result (no 'records' list); {way}")
    got = data.get("kind")
    if got != kind:
        raise SpecError(f"{str(path)!r} holds a {got!r} result, not {kind!r}; {way}")
    if data.get("version") != VERSION:
        raise SpecError(f"{str(path)!r} was written by result version {data.get('version')!r}; "
                        f"this tnrnn reads version {VERSION}; {way}")
    if not all(isinstance(r, dict) for r in data["records"]):
        raise SpecError(f"{str(path)!r} has records that are not objects; {way}")
    if config is not None and data.get("config") != _jsonable(config):
        diff = sorted(k for k in set(data.get("config") or {}) | set(_jsonable(config))
                      if (data.get("config") or {}).get(k) != _jsonable(config).get(k))
        raise SpecError(f"{str(path)!r} was made with other settings (differing: "
                        f"{', '.join(diff)}); resuming would mix them; {way}")
    return data


def resume_result(path, kind: str, config: dict) -> dict:
    """The result at ``path`` if it exists (checked by :func:`load_result`), else a new one."""
    path = Path(path)
    if path.exists():
        return load_result(path, kind, config)
    return new_result(kind, config)


def save_result(path, data: dict) -> Path:
    """Write ``data`` as strict JSON through a temporary file and a rename."""
    from .._io import atomic_write_text

    text = json.dumps(_clean(_jsonable(data)), indent=1, allow_nan=False) + "\n"
    return atomic_write_text(path, text, what="the result")
