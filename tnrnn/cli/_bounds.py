"""The bounds command and the helpers that other commands share (partition,
inputs, payloads, output files). The JSON writer (``json_text``,
``emit_json``) lives in :mod:`._app` and is re-exported here."""

from __future__ import annotations

import click

from ._app import (CONTEXT, PYTHON_INT_DIGITS, SAFE_JSON_INT, _console,  # noqa: F401
                   _make_spec, _spec_options, cli, emit_json, json_text)

def _big_int_option(func):
    return click.option(
        "--big-int", type=click.Choice(["number", "string"]), default="number",
        show_default=True,
        help="How --json writes integers: 'number' keeps every value an exact JSON integer "
             "(Python's json.loads reads one above 4,300 digits only after "
             "sys.set_int_max_str_digits(0)); 'string' writes every integer beyond 2^53 - 1 "
             "as a decimal string, which every JSON reader takes, with its log2 beside it.")(
        func)


def check_output_file(path, *, option: str, others=()):
    """:func:`tnrnn.errors.check_output_path`, and also: an existing ``path``
    must be a regular file (a device such as /dev/null or /dev/stdout would
    be replaced by the rename that makes writes atomic), and must not be a
    file that another option reads or writes (``others``: ``(option,
    path)`` pairs).

    Examples
    --------
    >>> check_output_file("/dev/null", option="--json")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: --json: '/dev/null' is not a regular file (a device, pipe or socket); give a file name ('-' for stdout where the option takes it)
    """
    from pathlib import Path

    from ..errors import OutputPathError, check_output_path

    p = Path(path)
    check_output_path(path, option=option)
    for other_option, other in others:
        if other is not None and str(other) != "-" and _same_file(path, other):
            raise OutputPathError(f"{option} and {other_option} name the same file "
                                  f"{str(path)!r}; give each its own file")
    return p


def _same_file(a, b) -> bool:
    import os
    from pathlib import Path

    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def write_output(path, text: str, *, what: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`tnrnn._io.atomic_write_text`):
    on failure the old file is left as it was, the text is kept in a rescue
    file, and the :class:`~tnrnn.errors.OutputPathError` names it."""
    from .._io import atomic_write_text

    atomic_write_text(path, text, what=what)


# ---------------------------------------------------------------------- bounds
def _partition_option(func):
    return click.option(
        "--partition", default="start-end", show_default=True,
        help="Split of the time steps: start-end (needs even T), odd-even, or an "
             "explicit A side such as A:1,2,5.")(func)


def _inputs_option(func):
    return click.option(
        "--inputs", type=click.Choice(["continuous", "one-hot"]), default="continuous",
        show_default=True,
        help="Which separation rank: of the polynomial (continuous inputs) or of the "
             "one-hot grid tensor.")(func)


def _bounds_limit_options(func):
    """--max-bits and --max-seconds: the limits of :func:`_bounds_payload`."""
    func = click.option(
        "--max-seconds", "max_bound_seconds", type=float, default=None,
        help="Refuse bounds whose min-cut programme is estimated to take longer  "
             "[default: 30].")(func)
    return click.option(
        "--max-bits", type=float, default=None,
        help="Refuse bounds estimated above 2^max-bits (exact integers that large "
             "take long to print)  [default: 1048576].")(func)


def _output_option(func):
    return click.option(
        "--output", "output", type=int, default=0, show_default=True,
        help="Which output of a K > 1 circuit (0..K-1); every output has the same "
             "bounds.")(func)


def _check_output_index(spec, output, option="--output") -> int:
    from ..errors import SpecError

    if output is None:
        return 0
    if not 0 <= output < spec.outputs:
        raise SpecError(f"{option} must be an output index in 0..{spec.outputs - 1} "
                        f"(-K {spec.outputs}); got {output}")
    return output


def _bounds_payload(spec, partition, inputs, *, max_bits=None, max_seconds=None) -> dict:
    """JSON-ready bounds; a size or time refusal names the CLI options."""
    from ..bounds import all_bounds
    from ..bounds import DEFAULT_MAX_SECONDS, check_work
    from ..bounds.treecut import DEFAULT_MAX_LOG2
    from ..errors import SpecError, TooLargeError
    from ..partition import parse_partition

    for opt, value in (("--max-bits", max_bits), ("--max-seconds", max_seconds)):
        if value is not None and not value > 0:
            raise SpecError(f"{opt} must be a positive number; got {value:g}")
    try:
        check_work(spec.depth, spec.length, what="the bounds",
                   max_seconds=DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds)
        part = parse_partition(partition, spec.length)
        bounds = all_bounds(spec, part, inputs,
                            max_log2=DEFAULT_MAX_LOG2 if max_bits is None else max_bits,
                            max_seconds=DEFAULT_MAX_SECONDS if max_seconds is None
                            else max_seconds)
    except TooLargeError as exc:
        text = (str(exc).replace("max_log2=", "--max-bits ")
                .replace("max_seconds=", "--max-seconds "))
        raise TooLargeError(f"{text}; `tnrnn bounds` raises the limit with that option",
                            estimate=exc.estimate, limit=exc.limit) from None
    return {
        "spec": spec.to_dict(),
        "partition": part.to_dict(),
        "inputs": inputs,
        "bounds": [_bound_dict(b) for b in bounds],
    }


def _bound_dict(b) -> dict:
    d = b.to_dict()
    d["log2"] = round(d["log2"], 6)
    return d


_STATUS_STYLE = {"theorem": "green", "derived": "cyan", "empirical": "yellow",
                 "conjecture": "magenta"}


def _bounds_table(payload, *, contradicted=()):
    from rich.table import Table

    tab = Table(title=None, header_style="bold")
    for col in ("bound", "kind", "value", "log2", "status", "holds for", "inputs", "formula"):
        tab.add_column(col, justify="right" if col in ("value", "log2") else "left",
                       overflow="fold")
    for b in payload["bounds"]:
        value = _fmt_int(b["value"])
        flag = " [bold red]CONTRADICTED[/]" if b["name"] in contradicted else ""
        style = _STATUS_STYLE.get(b["status"], "")
        tab.add_row(b["name"], b["kind"], value + flag, f"{b['log2']:.2f}",
                    f"[{style}]{b['status']}[/]", b["holds_for"], b["inputs"], b["formula"])
    return tab


def _fmt_int(v: int) -> str:
    """``12,345`` up to 16 digits, then ``2^952.3`` (never converts a huge
    integer to decimal text)."""
    from ..bounds import format_int

    return format_int(v, commas=True, max_digits=16)


def _spec_line(spec, payload) -> str:
    kind = "TT-RNN" if spec.kind == "ttrnn" else f"depth-{spec.depth} RAC"
    p = payload["partition"]
    return (f"[bold]{kind}[/] R={spec.hidden} M={spec.input_dim} T={spec.length}; "
            f"partition {p['name']}: A={_steps(p['A'])} B={_steps(p['B'])}; "
            f"{payload['inputs']} inputs")


def _steps(steps) -> str:
    return "{" + ",".join(map(str, steps)) + "}"


@cli.command("bounds", context_settings=CONTEXT)
@_spec_options
@_partition_option
@_inputs_option
@_output_option
@click.option("--symbolic", is_flag=True,
              help="Also print the closed forms (sympy, in T, R, M, L) of the bounds "
                   "listed, each checked against its exact value.")
@_bounds_limit_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_big_int_option
def bounds_cmd(depth, hidden, input_dim, length, outputs, arch, partition, inputs,
               output, symbolic, max_bits, max_bound_seconds, as_json, big_int):
    """Bounds on the separation rank, each labelled with its status.

    Lists every bound that applies to the partition: the published theorems
    (as stated in Levine et al.), derived bounds (duplication-aware U_sym,
    input-side caps, the min-cut of the compiled network, found without
    building it), empirical values and conjectures. Upper bounds of status
    theorem/derived hold for all weights; lower bounds for almost all weights.

    Values above 16 digits print as 2^x in the table; --json keeps every
    value exact (integers of any size). Python's json.loads refuses integers
    above 4,300 digits unless sys.set_int_max_str_digits(0) is called first,
    and JavaScript reads integers above 2^53 inexactly: --big-int string
    writes those as decimal strings, each with its log2 beside it.

    \b
    Example:
      tnrnn bounds -L 2 -R 3 -M 3 -T 8
      tnrnn bounds -L 3 -R 2 -M 2 -T 10 --partition odd-even --json
      tnrnn bounds -L 4 -R 4 -M 4 -T 128 --json --big-int string
      tnrnn bounds -L 3 -R 2 -M 3 -T 6 --partition A:3,4,5,6 --symbolic
    """
    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    output = _check_output_index(spec, output)
    payload = _bounds_payload(spec, partition, inputs, max_bits=max_bits,
                              max_seconds=max_bound_seconds)
    payload["output"] = output
    if symbolic:
        from ..bounds import all_bounds
        from ..bounds.symbolic import symbolic_for
        from ..partition import parse_partition

        part = parse_partition(partition, spec.length)
        names = {b["name"] for b in payload["bounds"]}
        bs = [b for b in all_bounds(spec, part, inputs, max_log2=max_bits or 2 ** 20,
                                    max_seconds=max_bound_seconds or 30.0)
              if b.name in names]
        payload["symbolic"] = symbolic_for(spec, part, bs)
    if as_json:
        emit_json(payload, big_int)
        return
    con = _console()
    con.print(_spec_line(spec, payload)
              + (f"; output {output} of K={spec.outputs}" if spec.outputs > 1 else ""))
    con.print(_bounds_table(payload))
    if symbolic:
        sym = payload["symbolic"]
        where = ", ".join(f"{k} = {sym['substitution'][k]} ({v})"
                          for k, v in sym["symbols"].items())
        con.print("[bold]closed forms[/] of the bounds above"
                  + (f", with {where}" if where else "")
                  + ("; each reproduces the value in the table" if sym["verified"]
                     else "; not checked by substitution at this T"))
        for k, v in sym["forms"].items():
            con.print(f"  {k} = {v}")
        if sym["no_closed_form"]:
            con.print("  no closed form here: " + ", ".join(sym["no_closed_form"]))
