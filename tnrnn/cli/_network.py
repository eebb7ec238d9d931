"""Commands on networks: compile, draw, grid."""

from __future__ import annotations

import time

import click

from ._app import CONTEXT, _console, _make_spec, _spec_options, _StageBar, cli, emit_json
from ._bounds import _fmt_int



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
@click.option("--export", "export", default=None, metavar="PREFIX",
              help="Also write PREFIX.json (einsum expression, operand shapes) and "
                   "PREFIX.npz (the tensors) for other tools; checked before compiling.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random (Gaussian) weights written by --export.")
@click.option("--max-entries", type=int, default=2**27, show_default=True,
              help="With --export: refuse tensors holding more entries in all.")
@click.option("--output", "output", type=int, default=None,
              help="With --export: keep only this output of a K > 1 circuit (0..K-1); "
                   "default: all K outputs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def compile_cmd(depth, hidden, input_dim, length, outputs, arch, form, max_tensors,
                cost, export, seed, max_entries, output, as_json):
    """Compile a circuit into its tensor network and summarise it.

    A depth-1 RAC or a TT-RNN becomes a matrix product state; a deep RAC
    becomes a tree in which the sub-network computing each hidden state is
    duplicated once per use (unit (t,l) appears C(T-t+L-l, L-l) times).

    --export writes the network with seeded random weights for other tools:
    contract PREFIX.json's "einsum" with opt_einsum.contract, passing
    npz[operand["array"]] for each tensor and x_t for each operand of kind
    "input" (time t).

    \b
    Example:
      tnrnn compile -L 2 -R 3 -M 3 -T 6
      tnrnn compile -L 3 -T 10 --json
      tnrnn compile -L 2 -T 4 --export net     # net.json + net.npz
    """
    from ..compile import compile_network, estimate_size
    from ..errors import SpecError, check_output_path

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    if output is not None:
        from ._bounds import _check_output_index

        _check_output_index(spec, output)
        if export is None:
            raise SpecError("--output picks the output that --export writes; give --export "
                            "PREFIX too")
    if seed < 0:
        raise SpecError(f"--seed must be an integer >= 0; got {seed}")
    if export is not None:
        from ..errors import TooLargeError, check_positive_int

        check_positive_int("--max-entries", max_entries)
        for ext in (".json", ".npz"):
            check_output_path(f"{export}{ext}", option="--export")
        n = estimate_size(spec, form).entries
        if n > max_entries:
            raise TooLargeError(
                f"--export: the tensors would hold {n:,} entries ({_bytes(8 * n)} as float64); "
                f"the limit is --max-entries {max_entries:,}", estimate=n, limit=max_entries)
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
    if export is not None:
        from ..circuit import init_params
        from ..compile import export_network

        paths = export_network(net, spec, init_params(spec, seed=seed), export, output=output,
                               max_entries=max_entries)
        data["export"] = {"json": str(paths[0]), "npz": str(paths[1]), "seed": seed,
                          "output": output}
    if as_json:
        emit_json(data)
        return
    _print_compile(spec, data)
    if export is not None:
        click.echo(f"wrote {data['export']['json']} and {data['export']['npz']}")


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
@click.option("--output-index", type=int, default=0, show_default=True,
              help="Which output of a K > 1 circuit (0..K-1) to draw (its row of W_O).")
def draw_cmd(depth, hidden, input_dim, length, outputs, arch, output, fmt, form,
             partition, cut, collapse, max_tensors, output_index):
    """Draw the compiled network: time left to right, layers bottom to top.

    Duplicated sub-networks are shaded by copy number; bonds are labelled with
    their dimension; input legs are coloured by the side of the partition.
    Large networks collapse to one box per unit type.

    The suffix of -o picks the format; --format, when given, must agree
    with it. The folder of -o must exist.

    \b
    Example:
      tnrnn draw -L 2 -R 3 -M 3 -T 6 -o net.svg --cut
    """
    from ..compile import compile_network
    from ..partition import parse_partition
    from ..render import draw
    from ..render.output import check_image_path
    from ._bounds import _check_output_index

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    output_index = _check_output_index(spec, output_index, option="--output-index")
    check_image_path(output, fmt, option="-o/--output", format_option="--format")
    part = parse_partition(partition, spec.length)
    net = compile_network(spec, form=form, max_tensors=max_tensors)
    highlight, caption = (), None
    if cut:
        from ..bounds import min_cut

        c = min_cut(net, part)
        highlight = tuple(ix for ix, _ in c.edges)
        sizes = sorted({s for _, s in c.edges})
        factors = " * ".join(f"{s}^{sum(1 for _, z in c.edges if z == s)}" for s in sizes)
        caption = f"min-cut bound ({part.name}): {factors} = {_fmt_int(c.value)}"
    if spec.outputs > 1:
        caption = (caption + "; " if caption else "") + (
            f"output {output_index} of K={spec.outputs}: its row of W_O; every output "
            f"has the same network")
    path = draw(net, output, format=fmt, partition=part, highlight=highlight,
                caption=caption, collapse={"yes": True, "no": False}.get(collapse, "auto"))
    click.echo(f"wrote {path}" + (f"  ({caption})" if caption else ""))


# ------------------------------------------------------------------------ grid
#: Rough costs on the 2-core reference machine (docs: estimates, not promises).
_PLAN_SECONDS_PER_TENSOR = 4e-3   # path search (auto and refine) per tensor
_FIRST_CALL_SECONDS = 5.0         # tracing and compiling the jitted plan
_SVD_SECONDS_PER_FLOP = 6e-9      # singular values of an m x n matrix: m n^2 flops
_FLOP_SECONDS = 1e-9              # executed contraction FLOPs


def _grid_estimate(spec, form, part, max_entries: int) -> dict:
    """Memory and time of `tnrnn grid`, estimated before anything is built;
    a grid or a weight array above --max-entries is refused here."""
    from ..compile import estimate_size
    from ..errors import TooLargeError

    R, M, K = spec.hidden, spec.input_dim, spec.outputs
    weights = K * R + sum(R * R + R * spec.layer_input_dim(l) + R
                          for l in range(1, spec.depth + 1))
    if spec.kind == "ttrnn":
        weights = R * M * R + R + K * R
    grid = M ** spec.length * K
    for what, n in (("the random weights", weights), ("the one-hot grid M^T K", grid)):
        if n > max_entries:
            raise TooLargeError(
                f"{what} would hold {n:,} float64 entries ({_bytes(8 * n)}); the limit is "
                f"--max-entries {max_entries:,} ({_bytes(8 * max_entries)})",
                estimate=n, limit=max_entries)
    tensors = estimate_size(spec, form).tensors
    rows = M ** len(part.A)
    cols = M ** len(part.B)
    big, small = max(rows, cols), min(rows, cols)
    est = {"entries": grid, "weights": weights, "tensors": tensors,
           "bytes": 8 * (2 * grid + weights),
           "plan_seconds": tensors * _PLAN_SECONDS_PER_TENSOR,
           "first_call_seconds": _FIRST_CALL_SECONDS,
           "svd_seconds": big * small * small * _SVD_SECONDS_PER_FLOP,
           "matrix": [rows, cols]}
    est["seconds"] = est["plan_seconds"] + est["first_call_seconds"] + est["svd_seconds"]
    return est


def _bytes(n: float) -> str:
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} B"


def _seconds(s: float) -> str:
    from ..bounds import human_seconds

    return human_seconds(s)


def _check_seconds(est: dict, max_seconds: float, extra: str = "") -> None:
    from ..errors import TooLargeError

    if est["seconds"] > max_seconds:
        rows, cols = est["matrix"]
        raise TooLargeError(
            f"this grid is estimated to take about {_seconds(est['seconds'])} (path search "
            f"over {est['tensors']:,} tensors ~{_seconds(est['plan_seconds'])}, float SVD of "
            f"the {rows:,} x {cols:,} matrix ~{_seconds(est['svd_seconds'])}{extra}); the "
            f"limit is --max-seconds {max_seconds:g}",
            estimate=est["seconds"], limit=max_seconds)


def _exact_grid_rank(spec, part, params, output, max_seconds):
    """The exact one-hot rank of the same grid (these float weights, mapped
    exactly into GF(p)), or the reason it was skipped."""
    from ..errors import TnrnnError
    from ..rank import separation_rank

    try:
        r = separation_rank(spec, part, inputs="one-hot", params=params, output=output,
                            max_seconds=max_seconds)
    except TnrnnError as exc:
        return {"rank": None, "skipped": str(exc)}
    return {"rank": r.rank, "claim": r.claim(), "certainty": r.certainty,
            "failure_probability": r.failure_probability, "prime": r.prime,
            "method": r.method, "weights": "these float weights, exactly in GF(p)"}


@cli.command("grid", context_settings=CONTEXT)
@_spec_options
@click.option("--form", type=click.Choice(["cp", "core"]), default=None,
              help="RAC unit as copy tensor + W_H + W_I ('cp') or one fused core ('core').")
@click.option("--engine", type=click.Choice(["jax", "numpy"]), default="jax",
              show_default=True, help="Run the plan jitted (JAX) or eagerly (numpy).")
@click.option("--partition", default="start-end", show_default=True,
              help="Matricize the grid by this partition: start-end, odd-even, or A:1,2,5.")
@click.option("--output", "output", type=int, default=0, show_default=True,
              help="Which output of a K > 1 circuit (0..K-1) to matricize.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random (Gaussian) weights (an integer >= 0).")
@click.option("--exact/--no-exact", default=True, show_default=True,
              help="Also certify the exact one-hot rank of the same grid (the same float "
                   "weights, exactly mod p) and flag a float rank that disagrees.")
@click.option("--max-entries", type=int, default=2**27, show_default=True,
              help="Refuse a grid, a weight array or an intermediate with more entries.")
@click.option("--max-seconds", type=float, default=120, show_default=True,
              help="Refuse a grid whose estimated time (path search, float SVD) is longer.")
@click.option("--save", type=click.Path(dir_okay=False), default=None,
              help="Write the grid A[s_1..s_T, k] to this .npy file (checked first).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress with an ETA on stderr for runs estimated over 3 s.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def grid_cmd(depth, hidden, input_dim, length, outputs, arch, form, engine, partition,
             output, seed, exact, max_entries, max_seconds, save, progress, as_json):
    """The outputs on every one-hot sequence, by one contraction.

    Contracts the compiled network with its input legs left open (all copies
    of x_t joined into one index s_t), giving the grid A[s_1..s_T, k] of
    M^T K numbers, and reports its cost and the singular values of its
    matricization by the partition. The float rank (SVD) is approximate and
    under-counts deep circuits badly; beside it tnrnn prints the exact rank
    of the same matrix (the same weights, mod p) and flags any disagreement.
    Time and memory are estimated first; runs above --max-seconds or
    --max-entries are refused with the estimate.

    \b
    Example:
      tnrnn grid -L 2 -R 4 -M 2 -T 12
        float rank 45, exact rank = 64 (the float rank disagrees)
      tnrnn grid -L 3 -R 2 -M 2 -T 10 --partition odd-even --save A.npy --json
        float rank 4, exact rank = 32
    """
    import numpy as np

    from ..circuit import init_params
    from ..compile import compile_network
    from ..contract import contract_grid, grid_matrix, plan_grid
    from ..contract.approx import svd_rank
    from ..errors import SpecError, check_output_path, check_positive_int
    from ..partition import parse_partition
    from ._bounds import _check_output_index

    spec = _make_spec(depth, hidden, input_dim, length, outputs, arch)
    output = _check_output_index(spec, output)
    if seed < 0:
        raise SpecError(f"--seed must be an integer >= 0; got {seed}")
    check_positive_int("--max-entries", max_entries)
    if not max_seconds > 0:
        raise SpecError(f"--max-seconds must be a positive number; got {max_seconds:g}")
    if save is not None:
        check_output_path(save, option="--save", suffixes=(".npy",))
    part = parse_partition(partition, spec.length)
    est = _grid_estimate(spec, form, part, max_entries)
    _check_seconds(est, max_seconds)
    show = progress and est["seconds"] > 3 and not as_json
    with _StageBar(show, est["seconds"], "grid") as bar:
        bar("compile and plan", est["plan_seconds"])
        net = compile_network(spec, form=form)
        t0 = time.perf_counter()
        plan = plan_grid(net, max_intermediate=max_entries)
        path_s = time.perf_counter() - t0
        est["contract_seconds"] = plan.executed_flops * _FLOP_SECONDS
        params = init_params(spec, seed=seed)
        bar("contract", est["first_call_seconds"] + est["contract_seconds"])
        t0 = time.perf_counter()
        A = contract_grid(net, spec, params, engine=engine, max_intermediate=max_entries)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        contract_grid(net, spec, params, engine=engine, max_intermediate=max_entries)
        again_s = time.perf_counter() - t0
        Y = grid_matrix(A, part, output=output)
        bar("float SVD", est["svd_seconds"])
        rank, tol, sv = svd_rank(Y)
        bar("exact rank mod p", 1.0)
        exact_rank = (_exact_grid_rank(spec, part, params, output, max_seconds)
                      if exact else {"rank": None, "skipped": "--no-exact"})
    agree = None if exact_rank["rank"] is None else rank == exact_rank["rank"]
    data = {
        "spec": spec.to_dict(), "form": net.meta["form"], "engine": engine,
        "partition": part.to_dict(), "seed": seed, "output": output,
        "shape": list(A.shape), "entries": int(A.size),
        "max_abs": float(np.abs(A).max()),
        "path_finder": plan.cost.optimize, "path_flops": plan.cost.flops,
        "executed_flops": plan.executed_flops, "path_steps": len(plan.cost.path),
        "executed_steps": len(plan.steps), "max_intermediate": plan.cost.max_intermediate,
        "path_seconds": round(path_s, 4), "first_call_seconds": round(first_s, 4),
        "call_seconds": round(again_s, 6),
        "estimate": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in est.items()},
        "matrix_shape": list(Y.shape),
        "float_rank": {"rank": rank, "tol": tol, "approximate": True,
                       "method": "float64 SVD, tol = s_max * max(shape) * eps"},
        "exact_rank": exact_rank,
        "agree": agree,
        "singular_values": [float(v) for v in sv[:min(len(sv), 64)]],
        "saved": None,
    }
    if save is not None:
        np.save(save, A)
        data["saved"] = str(save)
    if as_json:
        emit_json(data)
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
    out_txt = f" (output {output})" if spec.outputs > 1 else ""
    con.print(f"  {part.name} matricization{out_txt} {Y.shape[0]:,} x {Y.shape[1]:,}: float "
              f"rank {rank} (approximate; tol {tol:.2g}); top singular values "
              + ", ".join(f"{v:.3g}" for v in sv[:6]))
    if exact_rank["rank"] is not None:
        con.print(f"  exact rank of the same matrix (these weights, mod p="
                  f"{exact_rank['prime']}): {exact_rank['claim']}")
        if not agree:
            con.print(f"  [bold red]float rank {rank} disagrees with the exact rank[/]: "
                      f"the SVD {'under' if rank < exact_rank['rank'] else 'over'}-counts; "
                      f"trust the exact one")
    else:
        con.print(f"  exact rank not computed: {exact_rank['skipped']}")
    if not 1e-150 < data["max_abs"] < 1e150:
        con.print("  [yellow]warning[/yellow]: the values are near the ends of the float64 "
                  "range (generic Gaussian weights on a long or deep circuit); the float "
                  "rank is unreliable")
    if save is not None:
        con.print(f"  wrote {save}")
