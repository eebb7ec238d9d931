"""Commands on networks: compile, draw, grid."""

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
    """The default plan for one sequence: the whole path's exact cost, and
    the FLOPs the plan runs (each duplicated sub-result once)."""
    try:
        from ..contract.plan import plan_contraction
    except ImportError:  # pragma: no cover - contract package incomplete
        return None
    plan = plan_contraction(net, batch=1, max_intermediate=None)
    c = plan.cost
    return {"flops": c.flops, "log10_flops": round(_log10(c.flops), 3),
            "executed_flops": plan.executed_flops,
            "path_steps": len(c.path), "executed_steps": len(plan.steps),
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
        tab.add_row("plan run",
                    f"{c['executed_flops']:,} FLOPs in {c['executed_steps']:,} of "
                    f"{c['path_steps']:,} steps (each duplicated sub-result once)")
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


# ------------------------------------------------------------------------ grid
@cli.command("grid", context_settings=CONTEXT)
@_spec_options
@click.option("--form", type=click.Choice(["cp", "core"]), default=None,
              help="RAC unit as copy tensor + W_H + W_I ('cp') or one fused core ('core').")
@click.option("--engine", type=click.Choice(["jax", "numpy"]), default="jax",
              show_default=True, help="Run the plan jitted (JAX) or eagerly (numpy).")
@click.option("--partition", default="start-end", show_default=True,
              help="Matricize the grid by this partition: start-end, odd-even, or A:1,2,5.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random (Gaussian) weights.")
@click.option("--max-entries", type=int, default=2**27, show_default=True,
              help="Refuse a grid (or an intermediate) with more entries.")
@click.option("--save", type=click.Path(dir_okay=False), default=None,
              help="Write the grid A[s_1..s_T, k] to this .npy file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def grid_cmd(depth, hidden, input_dim, length, outputs, arch, form, engine, partition,
             seed, max_entries, save, as_json):
    """The outputs on every one-hot sequence, by one contraction.

    Contracts the compiled network with its input legs left open (all copies
    of x_t joined into one index s_t), giving the grid A[s_1..s_T, k] of
    M^T K numbers, and reports its cost and the singular values of its
    matricization by the partition. The float rank printed is approximate
    (SVD); `tnrnn rank --inputs one-hot` certifies the exact one.

    \b
    Example:
      tnrnn grid -L 2 -R 4 -M 2 -T 12
      tnrnn grid -L 3 -R 2 -M 2 -T 10 --partition odd-even --save A.npy --json
    """
    import numpy as np

    from ..circuit import init_params
    from ..compile import compile_network
    from ..contract import contract_grid, grid_matrix, plan_grid
    from ..contract.approx import svd_rank
    from ..errors import SpecError
    from ..partition import parse_partition

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    if save is not None and not str(save).endswith(".npy"):
        raise SpecError(f"--save writes a .npy file; got {save!r}")
    part = parse_partition(partition, spec.length)
    net = compile_network(spec, form=form)
    t0 = time.perf_counter()
    plan = plan_grid(net, max_intermediate=max_entries)
    path_s = time.perf_counter() - t0
    params = init_params(spec, seed=seed)
    t0 = time.perf_counter()
    A = contract_grid(net, spec, params, engine=engine, max_intermediate=max_entries)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    contract_grid(net, spec, params, engine=engine, max_intermediate=max_entries)
    again_s = time.perf_counter() - t0
    Y = grid_matrix(A, part)
    rank, tol, s = svd_rank(Y)
    data = {
        "spec": spec.to_dict(), "form": net.meta["form"], "engine": engine,
        "partition": part.to_dict(), "seed": seed,
        "shape": list(A.shape), "entries": int(A.size),
        "max_abs": float(np.abs(A).max()),
        "path_finder": plan.cost.optimize, "path_flops": plan.cost.flops,
        "executed_flops": plan.executed_flops, "path_steps": len(plan.cost.path),
        "executed_steps": len(plan.steps), "max_intermediate": plan.cost.max_intermediate,
        "path_seconds": round(path_s, 4), "first_call_seconds": round(first_s, 4),
        "call_seconds": round(again_s, 6),
        "matrix_shape": list(Y.shape),
        "float_rank": {"rank": rank, "tol": tol, "approximate": True,
                       "method": "float64 SVD, tol = s_max * max(shape) * eps"},
        "singular_values": [float(v) for v in s[:min(len(s), 64)]],
        "saved": None,
    }
    if save is not None:
        np.save(save, A)
        data["saved"] = str(save)
    if as_json:
        _emit_json(data)
        return
    con = _console()
    kind = "TT-RNN" if spec.kind == "ttrnn" else f"depth-{spec.depth} RAC"
    con.print(f"[bold]{kind}[/bold] R={spec.hidden} M={spec.input_dim} T={spec.length} "
              f"K={spec.outputs}: one-hot grid of shape {tuple(A.shape)} "
              f"({A.size:,} entries, max |A| = {data['max_abs']:.3g})")
    con.print(f"  plan: path '{plan.cost.optimize}', {plan.cost.flops:,} FLOPs over "
              f"{len(plan.cost.path):,} steps; runs {plan.executed_flops:,} FLOPs in "
              f"{len(plan.steps):,} steps (each duplicated sub-result once); largest "
              f"intermediate {plan.cost.max_intermediate:,} entries")
    con.print(f"  time ({engine}): path {path_s:.3f} s, first call {first_s:.3f} s, "
              f"then {again_s * 1e3:.2f} ms")
    con.print(f"  {part.name} matricization {Y.shape[0]:,} x {Y.shape[1]:,}: float rank "
              f"{rank} (approximate; tol {tol:.2g}); top singular values "
              + ", ".join(f"{v:.3g}" for v in s[:6]))
    if not 1e-150 < data["max_abs"] < 1e150:
        con.print("  [yellow]warning[/yellow]: the values are near the ends of the float64 "
                  "range (generic Gaussian weights on a long or deep circuit); the float "
                  "rank is unreliable")
    if save is not None:
        con.print(f"  wrote {save}")
