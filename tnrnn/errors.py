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
    "probe_folder",
]


class TnrnnError(Exception):
    """Base class of every error tnrnn raises on purpose.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> try:
    ...     RAC(depth=0, hidden=2, input_dim=2, length=4)
    ... except TnrnnError as exc:
    ...     print(type(exc).__name__)
    SpecError
    """


class SpecError(TnrnnError, ValueError):
    """A size, a weight array or an option is not one that is allowed.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> RAC(depth=2, hidden=0, input_dim=2, length=4)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: hidden must be an integer >= 1; got 0
    >>> issubclass(SpecError, ValueError)
    True
    """


class PartitionError(SpecError):
    """A partition of time steps is not valid for the given sequence length.

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> start_end(5)
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the start-end partition needs an even length T; got T=5
    """


class TooLargeError(TnrnnError, MemoryError):
    """A computation would not fit the configured memory or time limit.

    Raised *before* any work is done; the message carries the estimate and the
    limit, and the attributes ``estimate`` and ``limit`` hold them as numbers.

    Parameters
    ----------
    message : str
        What was asked, the estimate and the limit, in words.
    estimate : int or float, optional
        The estimated size or time.
    limit : int or float, optional
        The limit it exceeds.

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> try:
    ...     start_end(10 ** 9)
    ... except TooLargeError as exc:
    ...     print(exc.estimate, exc.limit, isinstance(exc, MemoryError))
    1000000000 10000000 True
    """

    def __init__(self, message: str, *, estimate: int | float | None = None,
                 limit: int | float | None = None):
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit


class MissingDependencyError(TnrnnError, ImportError):
    """An optional dependency (jax, graphviz, python-flint, ...) is missing.

    Examples
    --------
    >>> err = MissingDependencyError("the figures need matplotlib: pip install matplotlib")
    >>> isinstance(err, ImportError) and isinstance(err, TnrnnError)
    True
    """


class CertificateError(TnrnnError, ValueError):
    """A rank certificate is malformed or does not re-run to its stated rank.

    Examples
    --------
    >>> issubclass(CertificateError, ValueError) and issubclass(CertificateError, TnrnnError)
    True
    """


class OutputPathError(TnrnnError, ValueError):
    """A file tnrnn was asked to write cannot be written there.

    Examples
    --------
    >>> check_output_path("/nonexistent/dir/out.csv", option="--out")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: --out: cannot write '/nonexistent/dir/out.csv': the folder '/nonexistent/dir' does not exist
    """


def probe_folder(folder) -> str | None:
    """Whether a file can be created in ``folder``, found by creating one.

    ``os.access`` cannot answer it: root passes ``os.access`` on ``/proc``
    and ``/sys`` and on read-only mounts, and only the write itself fails.
    The probe file is removed at once. :func:`check_output_path`,
    :func:`check_output_dir` and :mod:`tnrnn._io` use it.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder (``""`` means the current folder).

    Returns
    -------
    str or None
        ``None`` if a file can be created (and removed) there, else the
        reason given by the operating system.

    Examples
    --------
    >>> import tempfile
    >>> probe_folder(tempfile.gettempdir()) is None
    True
    >>> probe_folder("/nonexistent/folder")
    'No such file or directory'
    """
    import os
    import tempfile
    from pathlib import Path

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


def check_output_path(path, *, option: str, suffixes: tuple[str, ...] | None = None):
    """Return ``path`` as a :class:`~pathlib.Path` if a file can be written there.

    Checked before any work starts, so that a long computation never ends in
    an unwritable path. The folder must already exist (tnrnn never creates
    folders the user did not ask for), must be writable, and ``path`` must
    not be a folder; ``suffixes``, when given, lists the allowed endings.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written (``-`` passes, for options that take stdout).
    option : str
        The option or argument name, for the message.
    suffixes : tuple of str, optional
        Allowed lower-case endings, e.g. ``(".npz",)``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputPathError
        Naming the path and why it cannot be written.

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

    Parameters
    ----------
    path : str or os.PathLike
        The folder.
    option : str
        The option or argument name, for the message.

    Returns
    -------
    pathlib.Path
        Not created here; the caller creates it when it writes.

    Raises
    ------
    OutputPathError
        Naming the folder and why nothing can be written into it.

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
    reason = probe_folder(parent)
    if reason is not None:
        raise OutputPathError(f"{option}: cannot create the folder {str(p)!r}: "
                              f"{reason.lower()} in {str(parent)!r}")
    return p


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Booleans and floats are refused, even ``3.0``: sizes are counts.

    Parameters
    ----------
    name : str
        What the value is, for the message (``"hidden"``, ``"length T"``).
    value : object
        The value given.
    minimum : int, default 1
        The smallest value allowed.

    Returns
    -------
    int

    Raises
    ------
    SpecError
        Saying what was given and what is allowed.

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
