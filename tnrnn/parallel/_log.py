"""A resumable results log: one JSON line per finished task.

The first line is a header ``{"tnrnn_results_log": 1, "meta": {...}}``; each
further line is ``{"key": ..., "result": ..., "cpu_s": ..., "wall_s": ...,
"thread_cpu_s": ..., "attempts": ..., "worker": ...}``, written and flushed as soon as the task
finishes, so that an interrupted sweep loses at most the tasks that were
running. Results must be JSON values; Python's ``json`` writes integers of
any size exactly and floats by their shortest round-tripping repr, so a
result read back equals the one written (tuples come back as lists).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import OutputPathError, SpecError

__all__ = ["ResultsLog", "LOG_FORMAT"]

LOG_FORMAT = 1


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
        Without it an existing file is replaced.

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

    def __init__(self, path, meta: dict, *, resume: bool = False):
        self.path = Path(path)
        self.meta = json.loads(json.dumps(meta))  # as it will read back
        self.done: dict = {}
        self.records: dict = {}
        good = 0
        if resume and self.path.exists():
            good = self._read()
        self._fh = open(self.path, "r+b" if good else "wb")
        if good:
            self._fh.seek(good)
            self._fh.truncate()  # drop a line cut short by the interruption
        else:
            self._append({"tnrnn_results_log": LOG_FORMAT, "meta": self.meta})

    def _read(self) -> int:
        """Read the header and finished rows; return the byte offset after
        the last complete line (0 when the file holds no valid header)."""
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        offset, good = 0, 0
        for i, line in enumerate(lines[:-1]):  # the last piece has no newline
            offset += len(line) + 1
            try:
                rec = json.loads(line)
            except ValueError:
                break
            if i == 0:
                if not isinstance(rec, dict) or rec.get("tnrnn_results_log") != LOG_FORMAT:
                    raise OutputPathError(
                        f"--resume: {str(self.path)!r} is not a tnrnn results log "
                        f"(format {LOG_FORMAT}); give a log written by an earlier run")
                self._check_meta(rec.get("meta"))
            else:
                if not isinstance(rec, dict) or "key" not in rec:
                    break
                self.done[rec["key"]] = rec.get("result")
                self.records[rec["key"]] = rec
            good = offset
        if good == 0 and raw:
            raise OutputPathError(f"--resume: {str(self.path)!r} is not a tnrnn results "
                                  f"log (format {LOG_FORMAT})")
        return good

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
        self._fh.write((json.dumps(record, separators=(",", ":")) + "\n").encode())
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def write(self, key, result, *, cpu_s: float | None = None, wall_s: float | None = None,
              thread_cpu_s: float | None = None, attempts: int = 1,
              worker: str | None = None) -> None:
        """Append one finished task (flushed to disk before returning)."""
        rec = {"key": key, "result": result, "cpu_s": cpu_s, "wall_s": wall_s,
               "thread_cpu_s": thread_cpu_s, "attempts": attempts, "worker": worker}
        self._append(rec)
        self.done[key] = json.loads(json.dumps(result))
        self.records[key] = rec

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
