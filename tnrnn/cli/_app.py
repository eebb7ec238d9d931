"""The click application: the command group, shared options and output helpers."""

from __future__ import annotations

import json

import click

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


def _emit_json(data) -> None:
    """Print ``data`` as JSON that standard parsers read: integers of any size
    written exactly (Python refuses to convert integers above 4,300 digits to
    text unless asked: the bounds' size limits keep them to about 315,000
    digits), NaN as ``null`` (undefined) and infinities as the strings
    ``"inf"`` and ``"-inf"`` (:func:`_json_safe`), never a ``NaN`` token."""
    import sys

    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        text = json.dumps(_json_safe(data), indent=2, sort_keys=False, default=_json_default,
                          allow_nan=False)
    finally:
        sys.set_int_max_str_digits(old)
    click.echo(text)


def _json_safe(obj):
    """``obj`` with every NaN as None (null: undefined) and every infinity as
    the string ``"inf"`` or ``"-inf"``: JSON that any standard parser reads."""
    import math

    import numpy as np

    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return _json_safe(obj.tolist())
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


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


def _progress_bar(enabled: bool, *, count: bool = True):
    """The one progress bar of the command line (stderr, transient): done of
    total (``count``), time elapsed and the ETA."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn, TimeRemainingColumn)

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn()]
    if count:
        columns.append(MofNCompleteColumn())
    columns += [TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, transient=True, disable=not enabled, console=_console_err())


def _console_err():
    from rich.console import Console

    return Console(stderr=True)
