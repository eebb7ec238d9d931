"""One exception hierarchy for tnrnn.

Every error raised on bad input says what was given and what is allowed.
Callers can catch :class:`TnrnnError` for everything tnrnn raises on purpose;
the more specific classes also derive from the matching built-in exception,
so ``except ValueError`` keeps working.

Examples
--------
>>> from tnrnn.errors import SpecError, TnrnnError
>>> issubclass(SpecError, ValueError) and issubclass(SpecError, TnrnnError)
True
"""

from __future__ import annotations

__all__ = [
    "TnrnnError",
    "SpecError",
    "PartitionError",
    "TooLargeError",
    "MissingDependencyError",
    "CertificateError",
    "OutputPathError",
    "check_output_path",
    "check_output_dir",
    "check_positive_int",
]


class TnrnnError(Exception):
    """Base class of every error tnrnn raises on purpose."""


class SpecError(TnrnnError, ValueError):
    """A size, a weight array or an option is not one that is allowed."""


class PartitionError(SpecError):
    """A partition of time steps is not valid for the given sequence length."""


class TooLargeError(TnrnnError, MemoryError):
    """A computation would not fit the configured memory or time limit.

    Raised *before* any work is done; the message carries the estimate and the
    limit, and the attributes ``estimate`` and ``limit`` hold them as numbers.
    """

    def __init__(self, message: str, *, estimate: int | float | None = None,
                 limit: int | float | None = None):
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit


class MissingDependencyError(TnrnnError, ImportError):
    """An optional dependency (jax, graphviz, python-flint, ...) is missing."""


class CertificateError(TnrnnError, ValueError):
    """A rank certificate is malformed or does not re-run to its stated rank."""


class OutputPathError(TnrnnError, ValueError):
    """A file tnrnn was asked to write cannot be written there."""


def check_output_path(path, *, option: str, suffixes: tuple[str, ...] | None = None):
    """Return ``path`` as a :class:`~pathlib.Path` if a file can be written there.

    Checked before any work starts, so that a long computation never ends in
    an unwritable path. The folder must already exist (tnrnn never creates
    folders the user did not ask for), must be writable, and ``path`` must
    not be a folder; ``suffixes``, when given, lists the allowed endings.

    Examples
    --------
    >>> check_output_path("/nonexistent/dir/A.npy", option="--save")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: --save: cannot write '/nonexistent/dir/A.npy': the folder '/nonexistent/dir' does not exist
    """
    import os
    from pathlib import Path

    if str(path).startswith("-") and str(path) != "-":
        raise OutputPathError(
            f"{option}: {str(path)!r} looks like an option, not a file name; to write a file "
            f"whose name starts with '-', give it as './{path}'")
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputPathError(f"{option}: cannot write {str(p)!r}: it is a folder; give a file name")
    if p.exists() and not p.is_file():
        raise OutputPathError(f"{option}: {str(p)!r} is not a regular file (a device, pipe or "
                              f"socket); give a file name ('-' for stdout where the option "
                              f"takes it)")
    if not parent.is_dir():
        raise OutputPathError(
            f"{option}: cannot write {str(p)!r}: the folder {str(parent)!r} does not exist")
    from ._io import probe_folder

    reason = probe_folder(parent)
    if reason is not None:
        raise OutputPathError(f"{option}: cannot write {str(p)!r}: no file can be created in "
                              f"{str(parent)!r} ({reason.lower()})")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputPathError(f"{option}: cannot write {str(p)!r}: permission denied")
    if suffixes is not None and p.suffix.lower() not in suffixes:
        allowed = ", ".join(suffixes)
        raise OutputPathError(
            f"{option}: {str(p)!r} has the suffix {p.suffix or '(none)'!r}; allowed: {allowed}")
    return p


def check_output_dir(path, *, option: str):
    """Return ``path`` as a :class:`~pathlib.Path` if files can be written
    into that folder.

    The folder may exist (then it must be a writable folder) or be new; a
    new folder is one the user named, so it may be created, but only inside
    a folder that exists and is writable (its parents are never created).
    Checked before any work starts.

    Examples
    --------
    >>> check_output_dir("/nonexistent/figures", option="--out")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: --out: cannot write into '/nonexistent/figures': its parent folder '/nonexistent' does not exist (tnrnn creates only the last folder of the path)
    """
    from pathlib import Path

    p = Path(path)
    if p.exists():
        if not p.is_dir():
            raise OutputPathError(f"{option}: {str(p)!r} is a file, not a folder")
        from ._io import probe_folder

        reason = probe_folder(p)
        if reason is not None:
            raise OutputPathError(f"{option}: cannot write into {str(p)!r}: no file can be "
                                  f"created there ({reason.lower()})")
        return p
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputPathError(
            f"{option}: cannot write into {str(p)!r}: its parent folder {str(parent)!r} does "
            f"not exist (tnrnn creates only the last folder of the path)")
    from ._io import probe_folder

    reason = probe_folder(parent)
    if reason is not None:
        raise OutputPathError(f"{option}: cannot create the folder {str(p)!r}: "
                              f"{reason.lower()} in {str(parent)!r}")
    return p


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Booleans and floats are refused, even ``3.0``: sizes are counts.

    Examples
    --------
    >>> check_positive_int("hidden", 3)
    3
    >>> check_positive_int("hidden", 0)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: hidden must be an integer >= 1; got 0
    """
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise SpecError(
            f"{name} must be an integer >= {minimum}; got {value!r} "
            f"({type(value).__name__})"
        )
    value = int(value)
    if value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum}; got {value}")
    return value
