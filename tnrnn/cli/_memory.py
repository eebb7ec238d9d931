"""tnrnn memory: the curse of memory in linear RNNs (kernels, approximation, plateaus)."""

from __future__ import annotations

import math

import click

from ..errors import SpecError
from ._app import CONTEXT, _console, _progress_bar, cli, comma_list, emit_json

KERNEL_HELP = ("Target kernel: exponential:BETA, polynomial:OMEGA, delayed:T0[:BETA], airy:T0, "
               "smooth:ALPHA[:T0[:BETA]], sums with '+', scalings 'C*...' (e.g. "
               "'exp:1+delayed:2').")


def _parse_ms(text: str, limit: int = 256) -> list[int]:
    """``--m``: distinct integer widths 1..``limit``, sorted (the one
    comma-list parser, :func:`tnrnn.cli._app.comma_list`, which refuses a
    width of more than 12 digits before converting it)."""
    ms = comma_list(text, "--m", kind=int, minimum=1, maximum=limit, limit=limit,
                    noun="width", unit="exponentials")
    return sorted(set(ms))


def _finite(name: str, value: float, *, positive: bool = True) -> float:
    import math as _m

    if not _m.isfinite(value) or (positive and value <= 0):
        raise SpecError(f"{name} must be a finite number{' > 0' if positive else ''}; "
                        f"got {value!r}")
    return value


def _save_figure(draw, path, *args, **kw):
    """Draw into a temporary folder, then write each file atomically to its target."""
    import tempfile
    from pathlib import Path

    from .._io import atomic_write_bytes

    target = Path(path)
    with tempfile.TemporaryDirectory() as d:
        written = draw(*args, Path(d) / target.name, **kw)
        out = []
        for p in written:
            p = Path(p)
            dest = target.with_suffix(p.suffix)
            atomic_write_bytes(dest, p.read_bytes(), what="the figure")
            out.append(str(dest))
    return out


def _parse_norms(text: str) -> list[str]:
    """``--norm``: l2 and/or l1 (:func:`tnrnn.cli._app.comma_list`)."""
    return comma_list(text, "--norm", choices=("l2", "l1"), noun="norm")


@cli.group("memory", context_settings=CONTEXT)
def memory():
    """The curse of memory in linear RNNs (Li, Han, E, Li, arXiv 2009.07799).

    A linear RNN's kernel is a sum of exponentials; a target with long memory
    (slowly decaying kernel) needs many of them, and gradient descent on the
    white-noise loss stalls on plateaus that lengthen with the memory.

    \b
    Examples:
      tnrnn memory approx --kernel polynomial:0.5 --m 1,2,4,8,16 --norm l2,l1
      tnrnn memory flow --kernel exp:1+delayed:4 --m 3 --steps 100000 --param log
      tnrnn memory dataset --kernel delayed:2 --n 64 --T 200 --out data.npz
    """


# ----------------------------------------------------------------------- approx
@memory.command("approx", context_settings=CONTEXT)
@click.option("--kernel", "kernel_text", required=True, help=KERNEL_HELP)
@click.option("--m", "ms", default="1,2,4,8,16", show_default=True,
              help="Numbers of exponentials (comma-separated).")
@click.option("--norm", "norms", default="l2,l1", show_default=True,
              help="Errors to report: l2 (white-noise loss), l1 (uniform functional error).")
@click.option("--rates", type=click.Choice(["sinc", "geometric", "free"]), default="sinc",
              show_default=True,
              help="Fixed rates exp(pi (k-(m-1)/2)/sqrt(m)) (sinc), geometric on [1e-2, 1e2], "
                   "or free rates optimised by variable projection (an upper bound; m <= 40).")
@click.option("--route", type=click.Choice(["exact", "qr"]), default="exact", show_default=True,
              help="Projection route for fixed rates: exact (mpmath Cauchy solve) or qr "
                   "(float64, accurate to 1e-12 only for small m).")
@click.option("--figure", type=click.Path(dir_okay=False), default=None,
              help="Also draw the error against m (PNG or SVG).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def approx_cmd(kernel_text, ms, norms, rates, route, figure, as_json):
    """Best error of m exponentials against the kernel, for each m.

    Fixed rates are projected exactly (best coefficients, squared L2 error);
    free rates give an upper bound on the best error. Two L1 numbers: the L1
    error of the L2-best coefficients (an upper bound), and the best L1 error
    with those rates bracketed by linear programming (m <= 64).

    \b
    Examples:
      tnrnn memory approx --kernel polynomial:0.5 --m 1,2,4,8,16
      tnrnn memory approx --kernel delayed:2 --m 1,2,4,8 --rates free --json
    """
    from ..errors import TooLargeError, check_output_path
    from ..linear_rnn import (best_exponential_sum, l1_error, parse_kernel, project,
                              rate_grid)
    from ..linear_rnn.approx import cond_digits

    kernel = parse_kernel(kernel_text)
    ms = _parse_ms(ms)
    norms = _parse_norms(norms)
    if figure:
        check_output_path(figure, option="--figure", suffixes=(".png", ".svg", ".pdf"))
    if rates == "free" and ms[-1] > 40:
        raise TooLargeError(f"--rates free optimises every m up to max(--m) = {ms[-1]}; "
                            f"at most 40 are allowed", estimate=ms[-1], limit=40)
    rows = []
    if rates == "free":
        with _progress_bar(not as_json) as bar:
            task = bar.add_task("free rates", total=ms[-1])
            res = best_exponential_sum(kernel, ms[-1], l1="l1" in norms,
                                       progress=lambda i, n: bar.update(task, completed=i))
        for m in ms:
            i = m - 1
            rows.append({"m": m, "l2_sq_error": res.l2_sq_error[i], "l1_error": res.l1[i],
                         "min_rate": min(res.rates[i]), "log10_cond": cond_digits(res.rates[i]),
                         "rates": res.rates[i], "coefs": res.coefs[i],
                         "seconds": res.seconds[i]})
    else:
        for m in ms:
            w = rate_grid(m, rates)
            p = project(kernel, w, route)
            row = {"m": m, "l2_sq_error": p.l2_sq_error, "min_rate": float(w.min()),
                   "log10_cond": cond_digits(w), "rates": w.tolist(), "coefs": p.coefs.tolist()}
            row["l1_error"] = l1_error(kernel, p.coefs, w).value if "l1" in norms else None
            rows.append(row)
    if "l1" in norms:
        from ..linear_rnn import l1_bracket

        for r in rows:
            if r["m"] <= 64:
                b = l1_bracket(kernel, r["rates"])
                r["l1_best_lower"], r["l1_best_upper"] = b.lower, b.upper
    rho2 = kernel.l2_sq()
    for r in rows:
        r["relative_l2_error"] = math.sqrt(max(r["l2_sq_error"], 0.0) / rho2)
    payload = {"kernel": kernel.spec, "rates": rates,
               "route": route if rates != "free" else "free (upper bound)",
               "rho_l2_sq": rho2, "rho_l1": kernel.l1_norm(), "rows": rows}
    if figure:
        from ..render.memory_figures import draw_approx_rows

        _save_figure(draw_approx_rows, figure, payload)
        payload["figure"] = figure
    if as_json:
        emit_json(payload)
        return
    from rich.table import Table

    tab = Table(title=f"{kernel.spec}: {rates} rates"
                      + (" (upper bounds)" if rates == "free" else f", {route} projection"))
    tab.add_column("m", justify="right")
    if "l2" in norms:
        tab.add_column("||rho - rho_hat||_2^2", justify="right")
        tab.add_column("relative L2", justify="right")
    if "l1" in norms:
        tab.add_column("L1 of the L2-best", justify="right")
        tab.add_column("best L1 (LP bracket)", justify="right")
    tab.add_column("min rate", justify="right")
    tab.add_column("log10 1/pivot", justify="right")
    for r in rows:
        cells = [str(r["m"])]
        if "l2" in norms:
            cells += [f"{r['l2_sq_error']:.4e}", f"{r['relative_l2_error']:.3e}"]
        if "l1" in norms:
            cells.append(f"{r['l1_error']:.4e}")
            cells.append(f"[{r['l1_best_lower']:.4e}, {r['l1_best_upper']:.4e}]"
                         if "l1_best_lower" in r else "-")
        cells += [f"{r['min_rate']:.3g}", f"{r['log10_cond']:.1f}"]
        tab.add_row(*cells)
    con = _console()
    con.print(tab)
    con.print(f"||rho||_2^2 = {rho2:.6g}, ||rho||_1 = {payload['rho_l1']:.6g}")
    if figure:
        con.print(f"wrote {figure}")


# ------------------------------------------------------------------------- flow
@memory.command("flow", context_settings=CONTEXT)
@click.option("--kernel", "kernel_text", required=True, help=KERNEL_HELP)
@click.option("--m", "m", type=int, default=3, show_default=True,
              help="Number of exponentials (at most 2000).")
@click.option("--steps", type=int, default=100000, show_default=True,
              help="GD/Adam steps (ODE: flow time steps * lr).")
@click.option("--method", type=click.Choice(["gd", "adam", "ode"]), default="gd",
              show_default=True, help="Gradient descent, Adam, or the ODE gradient flow.")
@click.option("--lr", type=float, default=0.1, show_default=True, help="Step size.")
@click.option("--param", type=click.Choice(["rate", "log", "softplus"]), default="rate",
              show_default=True,
              help="Descend on the rates, on ln w, or on v with w = ln(1 + e^v) (the last two "
                   "keep the rates positive).")
@click.option("--start", type=click.Choice(["paper", "random"]), default="paper",
              show_default=True,
              help="paper: a = 0, rates 1 + 0.1 U(-1, 1); random: a = 0.1 N(0,1), "
                   "w = exp(0.5 N(0,1)).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the start.")
@click.option("--max-steps", type=int, default=100_000_000, show_default=True,
              help="Refuse --steps beyond this.")
@click.option("--figure", type=click.Path(dir_okay=False), default=None,
              help="Also draw the loss curve with its plateaus (PNG or SVG).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr (GD and Adam).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
def flow_cmd(kernel_text, m, steps, method, lr, param, start, seed, max_steps, figure,
             progress, as_json):
    """Gradient descent on the white-noise loss and the plateaus of its curve.

    Reports when the loss leaves each plateau, measured against the plateau's
    level and the level it falls to (tnrnn.linear_rnn.plateaus). A run whose
    loss leaves the finite range, grows 1000-fold or carries a rate through 0
    is reported as diverged, and no plateau is reported on it.

    \b
    Examples:
      tnrnn memory flow --kernel exp:1+delayed:6 --m 3 --steps 100000
      tnrnn memory flow --kernel airy:4 --m 8 --param log --start random --method ode --json
    """
    from ..errors import TooLargeError, check_output_path, check_positive_int
    from ..linear_rnn import gradient_flow, initial_point, parse_kernel, plateau_times
    from ..linear_rnn.flow import MAX_M, random_point

    kernel = parse_kernel(kernel_text)
    m = check_positive_int("--m", m)
    if m > MAX_M:
        raise TooLargeError(f"--m {m} exceeds {MAX_M} exponentials (the loss needs an m x m "
                            f"matrix)", estimate=m, limit=MAX_M)
    steps = check_positive_int("--steps", steps)
    max_steps = check_positive_int("--max-steps", max_steps)
    seed = check_positive_int("--seed", seed, minimum=0)
    lr = _finite("--lr", lr)
    if steps > max_steps:
        raise TooLargeError(f"--steps {steps} exceeds --max-steps {max_steps}; raise --max-steps",
                            estimate=steps, limit=max_steps)
    if figure:
        check_output_path(figure, option="--figure", suffixes=(".png", ".svg", ".pdf"))
    a0, w0 = initial_point(m, seed=seed) if start == "paper" else random_point(m, seed)
    with _progress_bar(progress and not as_json and method != "ode") as bar:
        task = bar.add_task(f"{method} on {kernel.spec}", total=steps)
        res = gradient_flow(kernel, a0, w0, method=method, lr=lr, steps=steps, param=param,
                            chunk=min(steps, 10000) if method != "ode" else 200_000,
                            max_steps=max_steps,
                            progress=lambda d, n: bar.update(task, completed=d))
    times = res.times / lr if method == "ode" else res.times
    pls = [] if res.diverged else plateau_times(times, res.loss)
    payload = {"kernel": kernel.spec, "m": m, "method": method, "lr": lr, "param": param,
               "start": start, "seed": seed, "steps": steps,
               "final_loss": float(res.loss[-1]), "initial_loss": float(res.loss[0]),
               "diverged": res.diverged, "divergence": res.info.get("diverged"),
               "stopped": res.info.get("stopped"),
               "rates": res.w.tolist(), "coefs": res.a.tolist(),
               "plateaus": [p.to_dict() for p in pls],
               "time_unit": "steps" if method != "ode" else "flow time / lr"}
    if figure:
        from ..render.memory_figures import draw_flow

        _save_figure(draw_flow, figure, times, res.loss, pls,
                     title=f"{method} on {kernel.spec}, m = {m}"
                     + (" (diverged)" if res.diverged else ""))
        payload["figure"] = figure
    if as_json:
        payload["curve"] = {"t": times.tolist(), "loss": res.loss.tolist()}
        emit_json(payload)
        return
    con = _console()
    con.print(f"[bold]{method}[/] on {kernel.spec}, m = {m}, lr = {lr}, param = {param}, "
              f"{start} start, seed = {seed}: loss {payload['initial_loss']:.5g} -> "
              f"{payload['final_loss']:.5g}")
    if res.diverged:
        d = res.info["diverged"]
        at = d.get("step", d.get("flow_time"))
        con.print(f"  [red]diverged[/] at {at:g}: {d['reason']}; no plateau is reported "
                  f"(lower --lr, or use --param log)")
    else:
        for p in pls:
            ex = "still on it at the end" if p.exit is None else f"left at {p.exit:g}"
            con.print(f"  plateau from {p.start:g} at loss {p.level:.5g}: {ex}")
        if not pls:
            con.print("  no plateau found")
    if res.info.get("stopped"):
        con.print(f"  {res.info['stopped']}")
    con.print(f"  rates {[round(x, 5) for x in res.w.tolist()]}, "
              f"coefficients {[round(x, 5) for x in res.a.tolist()]}")
    if figure:
        con.print(f"wrote {figure}")


# ---------------------------------------------------------------------- dataset
@memory.command("dataset", context_settings=CONTEXT)
@click.option("--kernel", "kernel_text", required=True, help=KERNEL_HELP)
@click.option("--n", "n", type=int, default=128, show_default=True, help="Number of sequences.")
@click.option("--T", "T", type=int, default=200, show_default=True, help="Sequence length.")
@click.option("--dt", type=float, default=0.1, show_default=True, help="Time step.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the inputs.")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Output file (.npz with x, y, weights, dt).")
@click.option("--max-entries", type=int, default=50_000_000, show_default=True,
              help="Refuse n * T beyond this.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def dataset_cmd(kernel_text, n, T, dt, seed, out, max_entries, as_json):
    """White-noise inputs and their outputs under a kernel (FFT convolution).

    x_k = xi_k / sqrt(dt) with xi standard normal; y_k = sum_j dt rho(j dt) x_{k-j}.

    \b
    Example:
      tnrnn memory dataset --kernel exp:1+delayed:3 --n 256 --T 400 --dt 0.05 --out d.npz
    """
    import numpy as np

    from ..errors import check_output_path
    from ..linear_rnn import linear_functional_dataset, parse_kernel

    from .._io import atomic_savez

    kernel = parse_kernel(kernel_text)
    dt = _finite("--dt", dt)
    path = check_output_path(out, option="--out", suffixes=(".npz",))
    d = linear_functional_dataset(kernel, n, T, dt, seed, max_entries=max_entries)
    atomic_savez(path, {"x": d.x, "y": d.y, "weights": d.weights, "dt": d.dt,
                        "kernel": d.kernel, "seed": d.seed, "kind": "memory-dataset"},
                 what="the dataset")
    payload = {"kernel": d.kernel, "n": n, "T": T, "dt": dt, "seed": seed, "out": str(path),
               "y_variance_last_step": float(d.y[:, -1].var()),
               "discrete_l2_sq": float(np.sum(d.weights ** 2) / dt),
               "rho_l2_sq": kernel.l2_sq()}
    if as_json:
        emit_json(payload)
        return
    _console().print(f"wrote {path}: {n} sequences of length {T} (dt = {dt}) for {d.kernel}; "
                     f"Var y_T = {payload['y_variance_last_step']:.4g} "
                     f"(||rho||_2^2 = {payload['rho_l2_sq']:.4g})")


# ------------------------------------------------------------------ experiments
@memory.command("experiment", context_settings=CONTEXT)
@click.argument("name", type=click.Choice(["approx", "rates", "width", "plateau",
                                           "plateau-delayed", "train"]))
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="JSON results file; an existing one of the same experiment and settings "
                   "is resumed (finished records kept); any other file is refused.")
@click.option("--quick", is_flag=True, help="A small version (seconds to a minute).")
def experiment_cmd(name, out, quick):
    """Run one of the memory experiments, writing data as it goes (resumable).

    \b
    approx   error against m: fixed sinc grids (exact) and free rates, L2, L1 brackets
    rates    approximation rates against smoothness alpha and decay beta
    width    width needed against epsilon for polynomial memory (three omegas)
    plateau  gradient flows from random starts on exponential sums, Airy, delayed memory
    plateau-delayed  the delayed family alone (ODE and GD at m = 3), t0 = 2..16
    train    trained diagonal/dense linear and tanh RNNs with the floor at their width

    \b
    Example:
      tnrnn memory experiment rates --out benchmarks/results/memory-rates.json
      tnrnn memory figures --results benchmarks/results --out figures
    """
    from ..errors import check_output_path
    from ..linear_rnn.experiments import run_experiment

    check_output_path(out, option="--out", suffixes=(".json",))
    with _progress_bar(True) as bar:
        task = bar.add_task(name, total=None)

        def pr(i, n, label=""):
            bar.update(task, completed=i, total=n, description=f"{name}: {label}"[:80])

        run_experiment(name, out, quick=quick, progress=pr)
    click.echo(f"wrote {out}")


@memory.command("figures", context_settings=CONTEXT)
@click.option("--results", type=click.Path(file_okay=False, exists=True),
              default="benchmarks/results", show_default=True,
              help="Folder with memory-*.json from `tnrnn memory experiment`.")
@click.option("--out", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder to draw the figures (PNG and SVG) into.")
def figures_cmd(results, out):
    """Draw the memory figures from the experiments' JSON files (those present).

    Each file is checked (kind, version) before anything is drawn.

    \b
    Example:
      tnrnn memory figures --results benchmarks/results --out figures
    """
    from ..errors import check_output_dir
    from ..render.memory_figures import draw_all

    check_output_dir(out, option="--out")
    from pathlib import Path

    Path(out).mkdir(exist_ok=True)
    for p in draw_all(results, out):
        click.echo(f"wrote {p}")
