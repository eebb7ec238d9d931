"""The bounds command and the helpers that other commands share (partition, inputs, payloads)."""

from __future__ import annotations

import click

from ._app import CONTEXT, _console, _emit_json, _make_spec, _spec_options, cli



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


def _bounds_payload(spec, partition, inputs) -> dict:
    from ..bounds import all_bounds
    from ..partition import parse_partition

    part = parse_partition(partition, spec.length)
    bounds = all_bounds(spec, part, inputs)
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
    s = f"{v:,}"
    if len(s) > 22:
        import math
        return f"~10^{math.log10(v):.1f}"
    return s


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
@click.option("--symbolic", is_flag=True,
              help="Also print the closed forms as sympy expressions in T, R, M, L.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def bounds_cmd(depth, hidden, input_dim, length, outputs, arch, partition, inputs,
               symbolic, as_json):
    """Bounds on the separation rank, each labelled with its status.

    Lists every bound that applies to the partition: the published theorems
    (as stated in Levine et al.), derived bounds (duplication-aware U_sym,
    input-side caps, the min-cut of the compiled network, found without
    building it), empirical values and conjectures. Upper bounds of status
    theorem/derived hold for all weights; lower bounds for almost all weights.

    \b
    Example:
      tnrnn bounds -L 2 -R 3 -M 3 -T 8
      tnrnn bounds -L 3 -R 2 -M 2 -T 10 --partition odd-even --json
    """
    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    payload = _bounds_payload(spec, partition, inputs)
    if symbolic:
        from ..bounds import symbolic_bounds
        from ..partition import parse_partition

        if parse_partition(partition, spec.length).is_start_end:
            payload["symbolic"] = {k: str(v) for k, v in symbolic_bounds().items()}
        else:
            payload["symbolic"] = {k: str(v) for k, v in symbolic_bounds(prefix=True).items()}
    if as_json:
        _emit_json(payload)
        return
    con = _console()
    con.print(_spec_line(spec, payload))
    con.print(_bounds_table(payload))
    if symbolic:
        con.print("[bold]closed forms[/] (Start-End: T/2; prefix partitions: k = |A|)")
        for k, v in payload["symbolic"].items():
            con.print(f"  {k} = {v}")
