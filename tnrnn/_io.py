"""Writing files so that a failure is an error, never a lost result.

Every file tnrnn writes goes through :func:`atomic_write_bytes` (or its text
and ``.npz`` forms): the bytes go to a temporary file in the target folder,
which is then renamed over the target (``os.replace``, atomic on POSIX). A
crash, a full disk or a killed process leaves the old file or none, never a
truncated one. When the target cannot be written, the result is kept in a
rescue file under the system's temporary folder and the
:class:`~tnrnn.errors.OutputPathError` names it, so hours of work are never
lost to a bad path.

:func:`probe_folder` answers "can a file be created here?" by creating one.
``os.access`` cannot answer it: root passes ``os.access`` on ``/proc`` and
``/sys`` and on read-only mounts, and only the write itself fails.

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

import io
import os
import tempfile
from pathlib import Path

from .errors import OutputPathError

__all__ = ["probe_folder", "atomic_write_bytes", "atomic_write_text", "atomic_savez"]


def probe_folder(folder) -> str | None:
    """``None`` if a file can be created (and removed) in ``folder``, else the reason.

    Examples
    --------
    >>> probe_folder(tempfile.gettempdir()) is None
    True
    >>> probe_folder("/proc") is not None
    True
    """
    folder = Path(folder) if str(folder) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=".tnrnn-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    try:
        os.close(fd)
    finally:
        try:
            os.unlink(name)
        except OSError:
            pass
    return None


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
