"""Write diagrams to files: DOT text as is, or SVG/PNG/PDF through Graphviz.

Only :func:`render` touches Graphviz, and only when asked for an image
format; it imports the ``graphviz`` package inside the call and checks for
the ``dot`` binary first, so ``import tnrnn.render`` stays light.

Examples
--------
>>> import pathlib, tempfile
>>> from tnrnn.circuit import RAC
>>> from tnrnn.compile import compile_network
>>> with tempfile.TemporaryDirectory() as d:
...     p = draw(compile_network(RAC(1, 2, 2, 3)), pathlib.Path(d) / "mps.dot")
...     p.name, p.read_text().startswith("graph tnrnn {")
('mps.dot', True)
"""

from __future__ import annotations

import pathlib
import shutil

from ..errors import MissingDependencyError, OutputPathError, SpecError, check_output_path
from ..network import Network
from .dot import DEFAULT_MAX_NODES, to_dot

__all__ = ["FORMATS", "render", "draw", "check_image_path"]

#: Output formats :func:`render` writes; ``"dot"`` is the text itself.
FORMATS = ("svg", "png", "pdf", "dot")

_INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: "
                 "brew install graphviz; conda: conda install graphviz), or write "
                 "the DOT text itself with format='dot'")


def _format(path: pathlib.Path, format: str | None, *, option: str = "path",
            format_option: str = "format") -> str:
    suffix = path.suffix[1:].lower()
    if format is None:
        fmt = suffix
        if not fmt:
            raise SpecError(f"cannot tell the format of {str(path)!r}: give a suffix "
                            f"or {format_option}, one of {FORMATS}")
        if fmt not in FORMATS:
            raise SpecError(f"{option} {str(path)!r}: the suffix '.{fmt}' is not a format "
                            f"tnrnn writes; allowed: {', '.join('.' + f for f in FORMATS)}")
    else:
        fmt = str(format).lower().lstrip(".")
    if fmt not in FORMATS:
        raise SpecError(f"{format_option} must be one of {FORMATS}; got {fmt!r}")
    if suffix in FORMATS and suffix != fmt:
        raise OutputPathError(
            f"{option} {str(path)!r} has the suffix '.{suffix}' but {format_option} is "
            f"{fmt!r}: they must agree (name the file '{path.stem}.{fmt}', or drop "
            f"{format_option})")
    return fmt


def check_image_path(path, format: str | None = None, *, option: str = "path",
                     format_option: str = "format") -> tuple:
    """``(Path, format)`` for a diagram file, checked before any work: the
    folder exists and is writable (none is created), and the suffix and
    ``format`` agree.

    Parameters
    ----------
    path : str or os.PathLike
        The image or DOT file; its folder must exist and be writable.
    format : {"svg", "png", "pdf", "dot"}, optional
        Default: from the suffix of ``path``.
    option : str, default "path"
        The name of the path argument, for messages.
    format_option : str, default "format"
        The name of the format argument, for messages.

    Returns
    -------
    tuple
        ``(pathlib.Path, format)``.

    Examples
    --------
    >>> check_image_path("a.svg", "png", option="-o", format_option="--format")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: -o 'a.svg' has the suffix '.svg' but --format is 'png': they must agree (name the file 'a.png', or drop --format)
    >>> check_image_path("net.dot")
    (PosixPath('net.dot'), 'dot')
    """
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise SpecError(f"{option} must be a file name (str or os.PathLike); got "
                        f"{type(path).__name__} {path!r:.40}")
    p = pathlib.Path(path)
    fmt = _format(p, format, option=option, format_option=format_option)
    return check_output_path(p, option=option), fmt


def render(dot_text: str, path, *, format: str | None = None) -> pathlib.Path:
    """Write ``dot_text`` to ``path`` as an image (or as DOT text).

    Parameters
    ----------
    dot_text : str
        DOT text, e.g. from :func:`tnrnn.render.to_dot`. Its ``layout``
        attribute picks the Graphviz engine.
    path : str or os.PathLike
        Where to write. Its folder must exist (none is created).
    format : {"svg", "png", "pdf", "dot"}, optional
        Default: from the suffix of ``path``; when both are given they must
        agree.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    SpecError
        Unknown format, or Graphviz rejected the DOT text.
    OutputPathError
        The folder does not exist or is not writable, or the suffix and
        ``format`` disagree (checked before Graphviz runs).
    MissingDependencyError
        An image format was asked for and the Graphviz ``dot`` binary (or
        the ``graphviz`` Python package) is missing.

    Examples
    --------
    >>> render("graph g {}", "out.gif")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: path 'out.gif': the suffix '.gif' is not a format tnrnn writes; allowed: .svg, .png, .pdf, .dot
    """
    if not isinstance(dot_text, str):
        raise SpecError(f"dot_text must be a str of DOT text; got {type(dot_text).__name__}")
    path, fmt = check_image_path(path, format)
    if fmt == "dot":
        path.write_text(dot_text, encoding="utf-8")
        return path
    if shutil.which("dot") is None:
        raise MissingDependencyError(
            f"rendering to {fmt} needs the Graphviz 'dot' binary on PATH, which was "
            f"not found: {_INSTALL_HINT}")
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingDependencyError(
            f"rendering to {fmt} needs the graphviz Python package: pip install "
            f"graphviz (and the Graphviz binaries: {_INSTALL_HINT})") from exc
    try:
        data = graphviz.Source(dot_text).pipe(format=fmt, quiet=True)
    except graphviz.CalledProcessError as exc:
        err = exc.stderr.decode(errors="replace").strip() if isinstance(
            exc.stderr, bytes) else str(exc.stderr or "").strip()
        raise SpecError(f"Graphviz could not render the DOT text: {err}") from None
    path.write_bytes(data)
    return path


def draw(net: Network, path, *, format: str | None = None, partition=None,
         highlight=(), caption: str | None = None, collapse="auto",
         max_nodes: int = DEFAULT_MAX_NODES) -> pathlib.Path:
    """``render(to_dot(net, ...), path, format=format)`` in one call.

    See :func:`tnrnn.render.to_dot` for the drawing options and
    :func:`render` for the formats and errors.

    Parameters
    ----------
    net : Network
        The network drawn.
    path : str or os.PathLike
        Where to write (its folder must exist).
    format : {"svg", "png", "pdf", "dot"}, optional
        Default: from the suffix of ``path``.
    partition : str or Partition, optional
        Colour the input legs by side and draw the partition line.
    highlight : iterable of str
        Index names drawn bold red (a cut).
    caption : str, optional
        A line added to the caption.
    collapse : {"auto", True, False}
        The collapsed view: above ``max_nodes`` drawn nodes, always, or never.
    max_nodes : int, default DEFAULT_MAX_NODES
        The threshold of ``collapse="auto"``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(2, 2, 2, 4))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     text = draw(net, pathlib.Path(d) / "net.dot", partition="start-end").read_text()
    >>> text == to_dot(net, partition="start-end")
    True
    """
    text = to_dot(net, partition=partition, highlight=highlight, caption=caption,
                  collapse=collapse, max_nodes=max_nodes)
    return render(text, path, format=format)
