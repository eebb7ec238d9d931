"""The click application: the command group, shared options and output helpers."""

from __future__ import annotations

import json

import click

from .._io import json_safe
from ..errors import TnrnnError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _OneLineError(click.ClickException):
    """A usage error shown as one ``error: ...`` line (exit status 2), with
    no "Usage:" block: the same shape as tnrnn's own errors."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _usage_message(exc: click.UsageError) -> str:
    msg = exc.format_message().rstrip(".")
    ctx = exc.ctx
    if ctx is not None:
        path = ctx.command_path
        return f"{path}: {msg}; see '{path} --help'"
    return msg


_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """Turns tnrnn's own errors and click's usage errors (a bad number, an
    unknown option, a missing argument) into one ``error: ...`` line and exit
    status 2."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _NO_ARGS:  # bare `tnrnn`: the help text, as click shows it
            raise
        except click.UsageError as exc:
            raise _OneLineError(_usage_message(exc)) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _NO_ARGS:
            raise
        except click.UsageError as exc:
            raise _OneLineError(_usage_message(exc)) from None
        except TnrnnError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


def _spec_options(func):
    """-L/-R/-M/-T/-K and --arch, shared by every subcommand."""
    options = [
        click.option("-L", "--depth", type=int, default=None,
                     help="Number of recurrent layers L  [default: 2; a TT-RNN has depth 1]."),
        click.option("-R", "--hidden", type=int, default=3, show_default=True,
                     help="Hidden width R (bond dimension)."),
        click.option("-M", "--input-dim", type=int, default=3, show_default=True,
                     help="Input dimension M (alphabet size for one-hot inputs)."),
        click.option("-T", "--length", type=int, default=6, show_default=True,
                     help="Sequence length T (even for the Start-End partition)."),
        click.option("-K", "--outputs", type=int, default=1, show_default=True,
                     help="Number of outputs K (analyses use one output)."),
        click.option("--arch", type=click.Choice(["rac", "ttrnn"]), default="rac",
                     show_default=True,
                     help="rac: Recurrent Arithmetic Circuit; ttrnn: tensor-train RNN "
                          "with a general R x M x R core."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _make_spec(depth, hidden, input_dim, length, outputs, arch):
    from ..circuit import RAC, TTRNN

    from ..errors import SpecError

    if arch == "ttrnn":
        if depth not in (None, 1):
            raise SpecError(f"a tensor-train RNN has depth 1; got --depth {depth}")
        return TTRNN(hidden=hidden, input_dim=input_dim, length=length, outputs=outputs)
    return RAC(depth=2 if depth is None else depth, hidden=hidden, input_dim=input_dim, length=length,
               outputs=outputs)


def _console():
    from rich.console import Console

    con = Console(highlight=False)
    if not con.is_terminal:  # logs, pipes, READMEs: do not squeeze tables into 80 columns
        con = Console(highlight=False, width=150)
    return con


#: ``--big-int string`` writes integers beyond this as decimal strings: the
#: largest integer that every JSON reader holds exactly (IEEE doubles, as in
#: JavaScript's JSON.parse; RFC 8259, section 6).
SAFE_JSON_INT = 2**53 - 1
#: Python's default limit on converting integers to and from text
#: (``sys.get_int_max_str_digits()``); ``json.loads`` refuses longer ones.
PYTHON_INT_DIGITS = 4300


def json_text(data, big_int: str = "number", *, indent: int | None = 2,
              digits: int | None = None) -> str:
    """``data`` as JSON text that standard parsers read: the one JSON writer
    of the command line (stdout and files).

    Integers of any size are written exactly (``big_int='number'``; Python
    refuses to convert integers above 4,300 digits to text unless asked: the
    bounds' size limits keep them to about 315,000 digits) or, beyond 2^53 - 1,
    as decimal strings with their log2 beside them (``'string'``,
    :func:`_stringify`); NaN is written as ``null`` (undefined) and the
    infinities as the strings ``"inf"`` and ``"-inf"``, numpy values as Python
    ones, tuples and sets as lists (:func:`tnrnn._io.json_safe`, the one
    conversion), never a ``NaN`` token. ``indent=None`` writes one compact line;
    ``digits`` rounds every float to that many significant digits.

    Examples
    --------
    >>> json_text({"v": 2**60}, "string").split()
    ['{', '"v":', '"1152921504606846976",', '"v_log2":', '60.0', '}']
    >>> json_text({"x": [float("nan"), float("-inf"), 1 / 3]}, indent=None, digits=3)
    '{"x":[null,"-inf",0.333]}'
    """
    data = json_safe(data)
    if big_int == "string":
        data = _stringify(data)
    if digits is not None:
        data = _round_floats(data, digits)
    separators = (",", ":") if indent is None else None
    with _AnyDigits():
        return json.dumps(data, indent=indent, separators=separators, allow_nan=False)


def emit_json(data, big_int: str = "number") -> None:
    """Print :func:`json_text` on stdout; with ``number``, a note on stderr
    when a value is too long for Python's ``json.loads`` as it comes."""
    click.echo(json_text(data, big_int))
    if big_int == "number" and _has_long_int(data):
        click.echo(f"note: some integers have more than {PYTHON_INT_DIGITS:,} digits; "
                   f"Python's json.loads reads them only after sys.set_int_max_str_digits(0), "
                   f"or give --big-int string", err=True)


#: The name the commands used before the JSON writers were merged.
_emit_json = emit_json


def _round_floats(obj, digits: int):
    """Every float of ``obj`` (finite, after :func:`tnrnn._io.json_safe`) to ``digits``
    significant digits."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: _round_floats(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_floats(v, digits) for v in obj]
    return obj


def _stringify(obj):
    """``obj`` with every integer beyond :data:`SAFE_JSON_INT` as a decimal
    string; a dict that gains one under ``k`` gains ``k_log2`` too (bounds
    already carry ``log2`` beside ``value``).

    Examples
    --------
    >>> _stringify({"value": 2**64, "log2": 64.0, "rank": 5, "min_cut": -2**60})
    {'value': '18446744073709551616', 'log2': 64.0, 'rank': 5, 'min_cut': '-1152921504606846976', 'min_cut_log2': 60.0}
    """
    from ..bounds import log2_int

    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out[k] = _stringify(v)
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > SAFE_JSON_INT \
                    and not (k == "value" and "log2" in obj) and f"{k}_log2" not in obj:
                out[f"{k}_log2"] = round(log2_int(abs(v)), 6)
        return out
    if isinstance(obj, (list, tuple)):
        return [_stringify(v) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) > SAFE_JSON_INT:
        with _AnyDigits():
            return str(obj)
    return obj


def _has_long_int(obj) -> bool:
    """Whether ``obj`` holds an integer of more than :data:`PYTHON_INT_DIGITS` digits."""
    if isinstance(obj, dict):
        return any(_has_long_int(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_has_long_int(v) for v in obj)
    return isinstance(obj, int) and abs(obj) >= 10 ** PYTHON_INT_DIGITS


class _AnyDigits:
    """Integers of any length convert to text inside the block."""

    def __enter__(self):
        import sys

        self.old = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)

    def __exit__(self, *exc):
        import sys

        sys.set_int_max_str_digits(self.old)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(package_name="tnrnn", prog_name="tnrnn")
def cli():
    """tnrnn: how much long-term memory can a recurrent network express?

    Compiles Recurrent Arithmetic Circuits (RACs) of any depth and tensor-train
    RNNs into tensor networks, and bounds or certifies their separation rank
    (Start-End by default): the theorem bounds, min-cut and duplication-aware
    bounds, and ranks certified by exact arithmetic over a prime field.

    Start with `tnrnn demo`, or `tnrnn COMMAND --help`.
    """


def _progress_bar(enabled: bool, *, count: bool = True, fields: tuple = (),
                  remaining: bool = True):
    """The one progress bar of the command line (stderr, transient): done of
    total (``count``), the text of the task fields named in ``fields`` (each
    task is added with them: ``add_task(..., rows="0/4 rows")``), time elapsed
    and rich's ETA (``remaining``; a caller with a better estimate passes it as
    a field instead); a :class:`_NoBar` (rich is not even imported) when not
    ``enabled``."""
    if not enabled:
        return _NoBar()
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    if count:
        columns.append(MofNCompleteColumn())
    columns += [TextColumn(f"{{task.fields[{name}]}}") for name in fields]
    columns.append(TimeElapsedColumn())
    if remaining:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, transient=True, console=_console_err())


class _NoBar:
    """What :func:`_progress_bar` returns when disabled: the same calls, no output."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *args, **kwargs):
        return 0

    def update(self, *args, **kwargs):
        pass


class _EtaProgress:
    """``progress(stage, done, total)`` of :func:`tnrnn.rank.separation_rank`
    on a task of a :func:`_progress_bar`, with the time remaining."""

    def __init__(self, bar, label: str):
        self.bar, self.label = bar, label
        self.task = bar.add_task(label, total=None)

    def __call__(self, stage, done, total):
        desc = f"{self.label}: {'evaluating' if stage == 'evaluate' else 'rank mod p'}"
        self.bar.update(self.task, description=desc, completed=done, total=total or None)


class _StageBar:
    """Stages of a run on a :func:`_progress_bar` whose total is the
    estimated time in seconds (``stage_bar(stage, seconds)`` after each
    stage), so that it shows an ETA; a no-op when disabled."""

    def __init__(self, enabled: bool, seconds: float, label: str):
        self.total = seconds + 1.0
        self.done = 0.0
        self.last = 0.0
        self.label = label
        self.progress = _progress_bar(enabled, count=False)

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task(self.label, total=self.total)
        return self

    def __call__(self, stage: str, seconds: float) -> None:
        self.done += self.last
        self.last = seconds
        self.progress.update(self.task, completed=self.done, description=f"{self.label}: {stage}")

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)
        return False


def _console_err():
    from rich.console import Console

    return Console(stderr=True)


def comma_list(text, option: str, *, kind=str, choices=None, minimum=None, maximum=None,
               limit: int | None = None, noun: str = "value", unit: str = "") -> list:
    """The one comma-list parser of the command line: ``'a, b,,c'`` ->
    ``['a', 'b', 'c']`` converted by ``kind``.

    Empty items are skipped; an empty list is refused. ``kind`` is ``str``,
    ``int`` or ``float`` (floats must be finite: click's float type and
    ``float()`` let 'nan' and 'inf' through); ``choices`` lists the allowed
    values, ``minimum`` the smallest allowed number and ``limit`` the most
    items (a longer list is a :class:`~tnrnn.errors.TooLargeError`);
    ``noun`` names an item in the messages. ``maximum`` is the largest
    allowed number (a larger one is a :class:`~tnrnn.errors.TooLargeError`
    saying ``exceeds <maximum> <unit>``); with ``kind=int`` an item of more
    than 12 digits is then refused before it is converted. Every refusal is
    one :class:`~tnrnn.errors.SpecError` naming ``option``, what was given and
    what is allowed.

    Examples
    --------
    >>> comma_list("1, 2.5,,-3", "--input", kind=float)
    [1.0, 2.5, -3.0]
    >>> comma_list("regions,sine", "--only", choices=("regions", "sine", "seqclass"))
    ['regions', 'sine']
    >>> comma_list("sine,nope", "--only", choices=("regions", "sine"), noun="experiment")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --only: unknown experiment(s) nope; valid: regions, sine
    >>> comma_list("1,x", "--m", kind=int)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --m must be integers separated by commas; got '1,x'
    >>> comma_list("1,nan", "--input", kind=float)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: --input must be finite numbers; got '1,nan'
    >>> comma_list("4,300", "--m", kind=int, maximum=256, unit="exponentials")
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: --m 300 exceeds 256 exponentials
    """
    import math

    from ..errors import SpecError, TooLargeError

    what = {int: "integers", float: "numbers"}.get(kind, "names")
    units = f" {unit}" if unit else ""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if kind is int and maximum is not None and any(len(t) > 12 for t in items):
        raise TooLargeError(f"{option} lists a {noun} of more than 12 digits; at most "
                            f"{maximum}{units}", estimate=max(len(t) for t in items), limit=12)
    if limit is not None and len(items) > limit:
        raise TooLargeError(f"{option} lists {len(items)} values; at most {limit}",
                            estimate=len(items), limit=limit)
    try:
        values = [kind(t) for t in items]
    except ValueError:
        raise SpecError(f"{option} must be {what} separated by commas; got {text!r}") from None
    if kind is float and not all(math.isfinite(v) for v in values):
        raise SpecError(f"{option} must be finite numbers; got {text!r}")
    if not values:
        raise SpecError(f"{option} must list at least one of the {what} separated by commas; "
                        f"got {text!r}")
    if choices is not None:
        bad = [v for v in values if v not in choices]
        if bad:
            raise SpecError(f"{option}: unknown {noun}(s) {', '.join(map(str, bad))}; valid: "
                            f"{', '.join(map(str, choices))}")
    if minimum is not None and min(values) < minimum:
        raise SpecError(f"{option} must be {what} >= {minimum}; got {text!r}")
    if maximum is not None and max(values) > maximum:
        raise TooLargeError(f"{option} {max(values)} exceeds {maximum}{units}",
                            estimate=max(values), limit=maximum)
    return values
