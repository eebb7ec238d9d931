"""Writing files so that a failure is an error, never a lost result.

Every file tnrnn writes goes through :func:`atomic_write_bytes` (or its text
and ``.npz`` forms): the bytes go to a temporary file in the target folder,
which is then renamed over the target (``os.replace``, atomic on POSIX). A
crash, a full disk or a killed process leaves the old file or none, never a
truncated one. When the target cannot be written, the result is kept in a
rescue file under the system's temporary folder and the
:class:`~tnrnn.errors.OutputPathError` names it, so hours of work are never
lost to a bad path.

:func:`probe_folder` (defined in :mod:`tnrnn.errors`, which checks output
paths with it, and re-exported here) answers "can a file be created here?"
by creating one.

:func:`json_safe` is the one JSON convention of every tnrnn writer (NaN as
null, the infinities as ``"inf"``/``"-inf"`` or null, numpy values as Python
ones).

:func:`machine_info` is the one description of the machine that results
record (CPU, cores, memory, platform, package versions, devices); it imports
none of the packages it names, so every layer may call it.

Examples
--------
>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     p = atomic_write_text(pathlib.Path(d) / "r.json", '{"a": 1}\\n')
...     p.read_text(), sorted(x.name for x in pathlib.Path(d).iterdir())
('{"a": 1}\\n', ['r.json'])
>>> atomic_write_text("/proc/r.json", "{}", what="the result")
Traceback (most recent call last):
...
tnrnn.errors.OutputPathError: cannot write the result to '/proc/r.json' (...); it was kept in ...
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from pathlib import Path

from .errors import OutputPathError, probe_folder

__all__ = ["probe_folder", "atomic_write_bytes", "atomic_write_text", "atomic_savez",
           "cpu_model", "machine_info", "machine_line", "json_safe"]


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, or 0o666 less the umask for a new one."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """This process's umask, read without changing it (Linux), else 0o022."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _rescue(data: bytes, name: str) -> str | None:
    try:
        fd, path = tempfile.mkstemp(prefix="tnrnn-rescued-", suffix="-" + name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path
    except OSError:
        return None


def atomic_write_bytes(path, data: bytes, *, what: str = "the output",
                       rescue: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Raises :class:`~tnrnn.errors.OutputPathError` when the write fails (the
    target is left as it was); with ``rescue`` the bytes are first kept in a
    file under the system's temporary folder, named in the message.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=folder)
        os.chmod(tmp, _file_mode(path))  # mkstemp's 0600 -> what an ordinary write gives
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        kept = _rescue(data, path.name) if rescue else None
        where = f"; it was kept in {kept}" if kept else ""
        raise OutputPathError(f"cannot write {what} to {str(path)!r} ({reason}){where}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def atomic_write_text(path, text: str, *, what: str = "the output", rescue: bool = True) -> Path:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"), what=what, rescue=rescue)


def atomic_savez(path, arrays: dict, *, what: str = "the arrays", rescue: bool = True) -> Path:
    """``numpy.savez`` through :func:`atomic_write_bytes` (the archive is built in memory).

    Examples
    --------
    >>> import numpy as np, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = atomic_savez(pathlib.Path(d) / "w.npz", {"a": np.arange(3)})
    ...     np.load(p)["a"].tolist()
    [0, 1, 2]
    """
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue(), what=what, rescue=rescue)


# --------------------------------------------------------------------------
# The machine a result was computed on
# --------------------------------------------------------------------------
def cpu_model() -> str:
    """The CPU's model name.

    Read from ``/proc/cpuinfo`` (Linux); else ``platform.processor()``; else
    ``'unknown'``.

    Returns
    -------
    str
        The model name, e.g. ``'AMD EPYC 7B13'``.

    Examples
    --------
    >>> name = cpu_model()
    >>> isinstance(name, str) and len(name) > 0
    True
    """
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@functools.lru_cache(maxsize=1)
def _module_distributions() -> dict:
    """``{top-level module: [distributions]}`` (a scan of every installed
    package's metadata, done once)."""
    from importlib import metadata

    return metadata.packages_distributions()


def _version(module: str) -> str | None:
    """The installed version of the distribution that provides ``module``
    (read from its metadata: the module is not imported), or ``None``."""
    from importlib import metadata

    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        pass
    for dist in _module_distributions().get(module, ()):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - listed but gone
            continue
    return None


def machine_info(*, packages=("numpy",), devices=None) -> dict:
    """The machine a result was computed on: the one description that
    benchmarks, experiments and training runs record.

    Nothing named is imported: versions come from the installed packages'
    metadata, so that the exact core, which imports no JAX, may call it too;
    the devices are given by a caller that has JAX at hand.

    Parameters
    ----------
    packages : iterable of str, optional
        Modules whose installed versions to record (beside Python's); a
        module that is not installed gets ``None``.
    devices : iterable of str, optional
        The platforms JAX sees (``sorted({d.platform for d in
        jax.devices()})``); ``None`` when JAX was not asked.

    Returns
    -------
    dict
        ``cpu`` (model name), ``cores``, ``memory_bytes`` (``None`` where
        ``/proc/meminfo`` is absent), ``platform``, ``versions``
        (``{"python": ..., package: version or None}``), ``jax_devices``
        (sorted, or ``None``), ``gpu`` (``"none (JAX sees no GPU)"``, ``"JAX
        on gpu"``, or ``None`` when ``devices`` is ``None``) and
        ``load_average`` (1, 5, 15 minutes, or ``None``).

    Examples
    --------
    >>> import os, platform
    >>> info = machine_info(packages=("numpy", "no_such_module"), devices=["cpu"])
    >>> info["cores"] == os.cpu_count(), info["cpu"] == cpu_model()
    (True, True)
    >>> info["versions"]["python"] == platform.python_version()
    True
    >>> info["versions"]["no_such_module"], info["jax_devices"], info["gpu"]
    (None, ['cpu'], 'none (JAX sees no GPU)')
    >>> machine_info(devices=["gpu", "cpu"])["gpu"]
    'JAX on gpu'
    """
    import platform

    versions = {"python": platform.python_version()}
    for module in packages:
        versions[str(module)] = _version(str(module))
    if devices is None:
        found, gpu = None, None
    else:
        found = sorted({str(d) for d in devices})
        others = [d for d in found if d != "cpu"]
        gpu = "JAX on " + ", ".join(others) if others else "none (JAX sees no GPU)"
    try:
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "memory_bytes": _memory_bytes(),
            "platform": platform.platform(), "versions": versions, "jax_devices": found,
            "gpu": gpu, "load_average": load}


def machine_line(info: dict) -> str:
    """One line for people from a :func:`machine_info` record.

    Parameters
    ----------
    info : dict
        A :func:`machine_info` record.

    Returns
    -------
    str
        ``'<cpu>, <cores> cores, python <version>'``, then each recorded
        package version and, when known, the JAX devices in parentheses.

    Examples
    --------
    >>> info = {"cpu": "Xeon", "cores": 2, "versions": {"python": "3.12.1", "jax": "0.4.30"},
    ...         "jax_devices": ["cpu"]}
    >>> machine_line(info)
    'Xeon, 2 cores, python 3.12.1, jax 0.4.30 (cpu)'
    """
    versions = dict(info.get("versions") or {})
    parts = [str(info.get("cpu")), f"{info.get('cores')} cores",
             f"python {versions.pop('python', None)}"]
    parts += [f"{name} {version}" for name, version in versions.items()]
    line = ", ".join(parts)
    if info.get("jax_devices"):
        line += f" ({', '.join(info['jax_devices'])})"
    return line


def json_safe(obj, *, infinity: str = "string", floats: str = "all"):
    """``obj`` as standard JSON values: the one JSON convention of every tnrnn
    writer (the command line's ``json_text``, the benchmarks' results, a
    training run's ``result.json``).

    NaN becomes ``None`` (null: undefined), the infinities the strings
    ``"inf"`` and ``"-inf"`` (JSON has no token for either; standard parsers
    refuse ``NaN``/``Infinity``), numpy scalars and arrays Python numbers and
    lists, tuples, sets and frozensets lists (a set in its iteration order);
    dicts and lists are converted item by item and anything else is returned
    as it is. The result may be written with ``json.dumps(..., allow_nan=False)``.

    Parameters
    ----------
    obj : object
        A float, numpy scalar or array, or a dict, list, tuple or set holding
        them (nested to any depth); other values pass through unchanged.
    infinity : {"string", "null"}
        How the infinities are written: ``"inf"``/``"-inf"`` (the default) or
        ``None`` like NaN (a training run's ``result.json``, whose readers
        skip ``None``).
    floats : {"all", "numpy"}
        Which floats are converted: every one (the default), or only numpy
        floats that are not Python floats (``float32``, ``float16``; the
        values of arrays of those types): Python floats and ``float64`` are
        left as they are. ``"numpy"`` is how a run's ``result.json`` has always
        been written (``json.dumps`` then writes a non-finite Python float as
        its ``NaN``/``Infinity`` token).

    Returns
    -------
    object
        ``obj`` with the conversions above (new dicts and lists; ``obj`` is
        not modified).

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> safe = json_safe({"r": (np.float64("nan"), np.inf, -np.inf), "n": np.int64(3),
    ...                   "a": np.array([0.5, 1.5]), "ok": np.bool_(True), "s": "x"})
    >>> safe
    {'r': [None, 'inf', '-inf'], 'n': 3, 'a': [0.5, 1.5], 'ok': True, 's': 'x'}
    >>> json.dumps(safe, allow_nan=False)
    '{"r": [null, "inf", "-inf"], "n": 3, "a": [0.5, 1.5], "ok": true, "s": "x"}'
    >>> json_safe([np.float32("inf"), float("inf"), {2}], infinity="null", floats="numpy")
    [None, inf, [2]]
    >>> json_safe(1.0, infinity="none")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: infinity must be 'string' or 'null'; got 'none'
    """
    if infinity not in ("string", "null"):
        from .errors import SpecError

        raise SpecError(f"infinity must be 'string' or 'null'; got {infinity!r}")
    if floats not in ("all", "numpy"):
        from .errors import SpecError

        raise SpecError(f"floats must be 'all' or 'numpy'; got {floats!r}")
    return _json_safe(obj, infinity == "null", floats == "numpy")


def _json_safe(obj, inf_null: bool, numpy_only: bool):
    import math

    import numpy as np

    if isinstance(obj, (float, np.floating)):
        if numpy_only and isinstance(obj, float):  # a Python float (float64 is one): as it is
            return obj
        v = float(obj)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return None if inf_null else ("inf" if v > 0 else "-inf")
        return v
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        # an array's values are treated as its scalars: with numpy_only, those of a
        # float array other than float64 are converted, float64's left as they are
        sub = numpy_only and not (obj.dtype.kind == "f" and obj.dtype != np.float64)
        return _json_safe(obj.tolist(), inf_null, sub)
    if isinstance(obj, dict):
        return {k: _json_safe(v, inf_null, numpy_only) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_json_safe(v, inf_null, numpy_only) for v in obj]
    return obj
