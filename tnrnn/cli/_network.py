"""Commands on networks: compile, draw."""

from __future__ import annotations

import time

import click

from ._app import CONTEXT, _console, _emit_json, _make_spec, _spec_options, cli



# --------------------------------------------------------------------- compile
@cli.command("compile", context_settings=CONTEXT)
@_spec_options
@click.option("--form", type=click.Choice(["cp", "core"]), default=None,
              help="RAC unit as copy tensor + W_H + W_I ('cp', default) or one fused "
                   "core ('core'). A TT-RNN is always 'core'.")
@click.option("--max-tensors", type=int, default=200_000, show_default=True,
              help="Refuse (with the size estimate) networks with more tensors.")
@click.option("--cost/--no-cost", default=True, show_default=True,
              help="Estimate the contraction cost (FLOPs, largest intermediate).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def compile_cmd(depth, hidden, input_dim, length, outputs, arch, form, max_tensors,
                cost, as_json):
    """Compile a circuit into its tensor network and summarise it.

    A depth-1 RAC or a TT-RNN becomes a matrix product state; a deep RAC
    becomes a tree in which the sub-network computing each hidden state is
    duplicated once per use (unit (t,l) appears C(T-t+L-l, L-l) times).

    \b
    Example:
      tnrnn compile -L 2 -R 3 -M 3 -T 6
      tnrnn compile -L 3 -T 10 --json
    """
    from ..compile import compile_network, estimate_size

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    t0 = time.perf_counter()
    net = compile_network(spec, form=form, max_tensors=max_tensors)
    seconds = time.perf_counter() - t0
    summary = net.summary()
    est = estimate_size(spec, net.meta["form"])
    data = {
        "spec": spec.to_dict(),
        "form": net.meta["form"],
        "tensors": summary["tensors"],
        "bonds": summary["bonds"],
        "units": est.units,
        "input_leaves": summary["input_leaves"],
        "state_leaves": est.state_leaves,
        "max_bond": summary["max_bond"],
        "entries": est.entries,
        "kinds": summary["kinds"],
        "compile_seconds": round(seconds, 4),
    }
    if cost:
        data["contraction_cost"] = _cost_summary(net)
    if as_json:
        _emit_json(data)
        return
    _print_compile(spec, data)


def _cost_summary(net) -> dict | None:
    try:
        from ..contract.cost import contraction_cost
    except ImportError:  # pragma: no cover - contract package incomplete
        return None
    c = contraction_cost(net)
    return {"flops": c.flops, "log10_flops": round(_log10(c.flops), 3),
            "max_intermediate": c.max_intermediate,
            "log2_max_intermediate": round(c.log2_max_intermediate, 3),
            "memory_written": c.memory_written, "path_finder": c.optimize}


def _log10(n: int) -> float:
    import math

    return math.log10(n) if n > 0 else float("-inf")


def _print_compile(spec, data) -> None:
    from rich.table import Table

    con = _console()
    kind = "TT-RNN" if spec.kind == "ttrnn" else f"depth-{spec.depth} RAC"
    shape = "matrix product state" if spec.depth == 1 else "duplicated multilayer network (a tree)"
    con.print(f"[bold]{kind}[/bold] R={spec.hidden} M={spec.input_dim} T={spec.length} "
              f"K={spec.outputs} -> {shape}, form '{data['form']}'")
    tab = Table(show_header=False, box=None, pad_edge=False)
    tab.add_column(style="bold")
    tab.add_column()
    tab.add_row("tensors", f"{data['tensors']:,}  " + ", ".join(
        f"{k} {v:,}" for k, v in data["kinds"].items()))
    tab.add_row("bonds", f"{data['bonds']:,}")
    tab.add_row("RAC units", f"{data['units']:,} (with duplicates)")
    tab.add_row("input leaves", f"{sum(data['input_leaves'].values()):,}: " + "  ".join(
        f"x{t}:{n}" for t, n in data["input_leaves"].items()))
    tab.add_row("largest bond", str(data["max_bond"]))
    tab.add_row("stored entries", f"{data['entries']:,}")
    c = data.get("contraction_cost")
    if c:
        tab.add_row("contraction cost",
                    f"{c['flops']:,} FLOPs (10^{c['log10_flops']:.2f}), largest intermediate "
                    f"{c['max_intermediate']:,} entries (2^{c['log2_max_intermediate']:.1f}), "
                    f"path '{c['path_finder']}'")
    tab.add_row("compiled in", f"{data['compile_seconds']:.3f} s")
    con.print(tab)


# ------------------------------------------------------------------------ draw
@cli.command("draw", context_settings=CONTEXT)
@_spec_options
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="File to write (svg, png, pdf or dot; the suffix picks the format).")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]),
              default=None, help="Output format, when the suffix does not say.")
@click.option("--form", type=click.Choice(["cp", "core"]), default=None,
              help="RAC unit as copy tensor + W_H + W_I ('cp') or one fused core ('core').")
@click.option("--partition", default="start-end", show_default=True,
              help="Colour input legs by side: start-end, odd-even, or A:1,2,5.")
@click.option("--cut", is_flag=True,
              help="Highlight the min-cut edges for the partition and write the bound "
                   "in the caption.")
@click.option("--collapse", type=click.Choice(["auto", "yes", "no"]), default="auto",
              show_default=True,
              help="Collapsed view (one box per unit type with its multiplicity): "
                   "auto above the size threshold.")
@click.option("--max-tensors", type=int, default=20_000, show_default=True,
              help="Refuse networks with more tensors than this.")
def draw_cmd(depth, hidden, input_dim, length, outputs, arch, output, fmt, form,
             partition, cut, collapse, max_tensors):
    """Draw the compiled network: time left to right, layers bottom to top.

    Duplicated sub-networks are shaded by copy number; bonds are labelled with
    their dimension; input legs are coloured by the side of the partition.
    Large networks collapse to one box per unit type.

    \b
    Example:
      tnrnn draw -L 2 -R 3 -M 3 -T 6 -o net.svg --cut
    """
    from ..compile import compile_network
    from ..partition import parse_partition
    from ..render import draw

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    net = compile_network(spec, form=form, max_tensors=max_tensors)
    part = parse_partition(partition, spec.length)
    highlight, caption = (), None
    if cut:
        from ..bounds import min_cut

        c = min_cut(net, part)
        highlight = tuple(ix for ix, _ in c.edges)
        sizes = sorted({s for _, s in c.edges})
        factors = " * ".join(f"{s}^{sum(1 for _, z in c.edges if z == s)}" for s in sizes)
        caption = f"min-cut bound ({part.name}): {factors} = {c.value:,}"
    path = draw(net, output, format=fmt, partition=part, highlight=highlight,
                caption=caption, collapse={"yes": True, "no": False}.get(collapse, "auto"))
    click.echo(f"wrote {path}" + (f"  ({caption})" if caption else ""))
