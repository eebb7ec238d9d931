"""A resumable results log: one JSON line per finished task.

The first line is a header ``{"tnrnn_results_log": 1, "meta": {...}}``; each
further line is ``{"key": ..., "result": ..., "cpu_s": ..., "wall_s": ...,
"thread_cpu_s": ..., "attempts": ..., "worker": ...}``, written and flushed as
soon as the task finishes, so that an interrupted sweep loses at most the
tasks that were running. Results must be JSON values; Python's ``json``
writes integers of any size exactly and floats by their shortest
round-tripping repr, so a result read back equals the one written (tuples
come back as lists).

A log is locked (``fcntl.flock``) while a run writes it: a second run on
the same file is refused at once instead of interleaving or truncating its
rows. Read back, every row is checked: a line that is not a row, a key
given twice, or a result that the caller's ``check`` refuses stops the
resume with the line's number and the way out; only the last line may be
cut short (the run died while writing it), and it is dropped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import OutputPathError, SpecError

__all__ = ["ResultsLog", "LOG_FORMAT", "MAX_LINE_BYTES"]

LOG_FORMAT = 1
#: The longest line read back (a row of a table sweep is a few kB).
MAX_LINE_BYTES = 64 * 2**20


def _is_header(rec) -> bool:
    return isinstance(rec, dict) and "tnrnn_results_log" in rec


class ResultsLog:
    """Append finished tasks to ``path``; with ``resume``, first read the
    tasks already finished there.

    Parameters
    ----------
    path : path
    meta : dict
        JSON-able description of the sweep (its fixed arguments). A resumed
        log must have been written with equal ``meta``: its rows would
        otherwise belong to a different sweep.
    resume : bool
        Keep an existing file and its finished rows (created if missing).
        Without it an existing log is replaced (see ``replace``).
    check : callable, optional
        ``check(key, result)`` for every row read back on resume; it raises
        :class:`~tnrnn.errors.SpecError` (or returns a message) for a row
        that cannot be right, which stops the resume with the row's line.
    replace : bool
        Without ``resume``: whether an existing log that holds rows may be
        replaced (``False``: refused, so finished work is never thrown away
        by repeating a command). A file that is not a tnrnn results log is
        never replaced.

    Raises
    ------
    OutputPathError
        The file is not a results log, is in use by another run (locked), or
        cannot be written.
    SpecError
        On resume: the log was written for another sweep, or a row is
        malformed, duplicated or refused by ``check``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "log.jsonl")
    >>> with ResultsLog(path, {"seed": 0}) as log:
    ...     log.write("a", {"rank": 3}, cpu_s=0.1, wall_s=0.1)
    >>> ResultsLog(path, {"seed": 0}, resume=True).done
    {'a': {'rank': 3}}
    >>> ResultsLog(path, {"seed": 1}, resume=True)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: cannot resume ...: it was written for another sweep (seed: 0 in the log, 1 now)
    """

    def __init__(self, path, meta: dict, *, resume: bool = False, check=None,
                 replace: bool = True):
        self.path = Path(path)
        self.meta = json.loads(json.dumps(meta))  # as it will read back
        self.done: dict = {}
        self.records: dict = {}
        self.lines: dict = {}  # key -> line number (1-based) of a resumed row
        self._check = check
        if self.path.exists() and not self.path.is_file():
            raise OutputPathError(f"{str(self.path)!r} is not a regular file (a device, pipe "
                                  f"or socket); give a file name for the log")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputPathError(f"cannot open the log {str(self.path)!r}: "
                                  f"{exc.strerror or exc}") from None
        self._fh = os.fdopen(fd, "r+b", buffering=0)
        try:
            self._lock()
            good = self._read(resume, replace)
            self._fh.seek(good)
            self._fh.truncate()  # resume: drop a cut last line; else: start afresh
            self._size = good
            if not good:
                self._append({"tnrnn_results_log": LOG_FORMAT, "meta": self.meta})
        except BaseException:
            self._fh.close()
            raise

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputPathError(
                f"the log {str(self.path)!r} is in use by another run (it holds the file's "
                f"lock): wait for that run to finish or stop it, or give another file")
        except OSError:  # a file system without locks: go on unlocked
            pass

    def _lines(self):
        """``(number, bytes, ended)`` for each line, each at most MAX_LINE_BYTES."""
        with open(self.path, "rb") as fh:
            n = 0
            while True:
                line = fh.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                n += 1
                if len(line) > MAX_LINE_BYTES:
                    raise OutputPathError(f"{str(self.path)!r} line {n} is longer than "
                                          f"{MAX_LINE_BYTES // 2**20} MiB: this is not a "
                                          f"tnrnn results log")
                yield n, line, line.endswith(b"\n")

    def _read(self, resume: bool, replace: bool) -> int:
        """Read (and check) the header and the finished rows; return the byte
        offset to keep: after the last complete row on resume, 0 otherwise."""
        offset = 0
        rows = 0
        not_log = (f"{str(self.path)!r} is not a tnrnn results log (format {LOG_FORMAT}); "
                   f"tnrnn does not overwrite it: give another file name")
        for n, line, ended in self._lines():
            if n > 1 and not resume:
                rows += 1  # replacing: the rows are only counted
                continue
            if not ended:  # the run died while writing this line
                if n == 1:
                    if line.startswith(b'{"tnrnn_results_log"'):
                        return 0  # died while writing the header: an empty log
                    raise OutputPathError(not_log)
                break
            try:
                with _AnyDigits():
                    rec = json.loads(line)
            except ValueError:
                if n == 1:
                    raise OutputPathError(not_log) from None
                raise SpecError(self._bad(n, "is not a JSON row")) from None
            if n == 1:
                if not _is_header(rec):
                    raise OutputPathError(not_log)
                if rec.get("tnrnn_results_log") != LOG_FORMAT:
                    raise OutputPathError(
                        f"{str(self.path)!r} is a tnrnn results log of format "
                        f"{rec.get('tnrnn_results_log')!r}; this tnrnn reads format "
                        f"{LOG_FORMAT}: give another file name")
                if resume:
                    self._check_meta(rec.get("meta"))
            else:
                self._row(n, rec)
            offset += len(line)
        if not resume:
            if rows and not replace:
                raise OutputPathError(
                    f"the log {str(self.path)!r} already holds {rows} finished row(s); "
                    f"continue that sweep with --resume {self.path}, or give another file "
                    f"(tnrnn does not throw finished work away)")
            return 0
        return offset

    def _bad(self, n: int, problem: str) -> str:
        return (f"cannot resume {str(self.path)!r}: line {n} {problem}; delete that line "
                f"(its task is then run again) or start a new log")

    def _row(self, n: int, rec) -> None:
        if not isinstance(rec, dict) or "key" not in rec or "result" not in rec:
            raise SpecError(self._bad(n, "is not a row (a JSON object with 'key' and "
                                         "'result')"))
        key = rec["key"]
        if not isinstance(key, str):
            raise SpecError(self._bad(n, f"has a key that is not a string ({key!r})"))
        if key in self.lines:
            raise SpecError(self._bad(n, f"repeats the row {key!r} of line "
                                         f"{self.lines[key]}"))
        attempts = rec.get("attempts", 1)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
            raise SpecError(self._bad(n, f"has attempts {attempts!r} (an integer >= 0)"))
        if self._check is not None:
            try:
                problem = self._check(key, rec["result"])
            except SpecError as exc:
                problem = str(exc)
            if problem:
                raise SpecError(self._bad(n, f"(row {key!r}): {problem}"))
        self.lines[key] = n
        self.done[key] = rec["result"]
        self.records[key] = rec

    def _check_meta(self, old) -> None:
        if old == self.meta:
            return
        old = old if isinstance(old, dict) else {}
        diffs = [f"{k}: {old.get(k)!r} in the log, {self.meta.get(k)!r} now"
                 for k in sorted(set(old) | set(self.meta), key=str)
                 if old.get(k) != self.meta.get(k)]
        raise SpecError(f"cannot resume {str(self.path)!r}: it was written for another "
                        f"sweep ({'; '.join(diffs)})")

    def _append(self, record: dict) -> None:
        with _AnyDigits():  # exact integers of any size
            data = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        try:
            view = memoryview(data)
            while view:
                view = view[self._fh.write(view):]
            os.fsync(self._fh.fileno())
        except OSError as exc:
            try:  # leave no half line behind
                self._fh.truncate(self._size)
                self._fh.seek(self._size)
            except OSError:
                pass
            kept = len(self.records)
            raise OutputPathError(
                f"cannot append to the log {str(self.path)!r} "
                f"({exc.strerror or type(exc).__name__}); the {kept} row(s) finished before "
                f"are kept in it: make room and rerun with --resume {self.path}") from None
        self._size += len(data)

    def write(self, key, result, *, cpu_s: float | None = None, wall_s: float | None = None,
              thread_cpu_s: float | None = None, attempts: int = 1,
              worker: str | None = None) -> None:
        """Append one finished task (written through to disk before returning)."""
        rec = {"key": key, "result": result, "cpu_s": cpu_s, "wall_s": wall_s,
               "thread_cpu_s": thread_cpu_s, "attempts": attempts, "worker": worker}
        self._append(rec)
        with _AnyDigits():
            self.done[key] = json.loads(json.dumps(result))
        self.records[key] = rec

    def close(self) -> None:
        self._fh.close()  # releases the lock

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()



class _AnyDigits:
    """Integers of any size convert to and from text inside this block
    (Python refuses more than 4,300 digits by default)."""

    def __enter__(self):
        import sys

        self.old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)

    def __exit__(self, *exc):
        import sys

        sys.set_int_max_str_digits(self.old)
