"""Commands that write files for people: figures, bench."""

from __future__ import annotations


import click

from ._app import CONTEXT, _progress_bar, cli



# --------------------------------------------------------------------- figures
@cli.command("figures", context_settings=CONTEXT)
@click.option("--out", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder to write the figures (PNG, SVG, CSV and a README) into; it "
                   "may be new, its parent must exist.")
@click.option("--quick", is_flag=True, help="Fewer points (for a fast check).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of every certified rank.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
def figures_cmd(out, quick, seed, progress):
    """Regenerate every figure from scratch.

    \b
    1. Start-End separation rank against T for depth 1, 2, 3 with the bounds
    2. the shallow RAC as an MPS and the depth-2 RAC as its duplicated network
    3. continuous against one-hot (grid) rank for deep RACs
    4. the gap between the min-cut bound and the duplication-aware bound

    \b
    Example:
      tnrnn figures --out figures/
    """
    from ..errors import SpecError, check_output_dir
    from ..render import make_figures

    if seed < 0:
        raise SpecError(f"--seed must be an integer >= 0; got {seed}")
    check_output_dir(out, option="--out")
    with _progress_bar(progress) as bar:
        task = bar.add_task("figures", total=None)

        def cb(done, total, label):
            bar.update(task, completed=done, total=total, description=str(label))

        paths = make_figures(out, quick=quick, progress=cb, seed=seed)
    for path in paths:
        click.echo(f"wrote {path}")


# ----------------------------------------------------------------------- bench
@cli.command("bench", context_settings=CONTEXT)
@click.option("--out", type=click.Path(file_okay=False), default="benchmarks/results",
              show_default=True, help="Folder for the results (JSON and a Markdown table); it "
                                      "may be new, its parent must exist.")
@click.option("--figure-dir", type=click.Path(file_okay=False), default="figures",
              show_default=True, help="Folder for the plot of cost against T.")
@click.option("--quick", is_flag=True, help="A smaller suite (under 3 minutes on 2 cores).")
@click.option("--smoke", is_flag=True, help="A tiny subset, to check the code path (seconds).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on stderr.")
def bench_cmd(out, figure_dir, quick, smoke, progress):
    """Benchmark contraction: engines side by side on the same networks.

    tnrnn's jitted JAX contraction, opt_einsum on numpy, tensornetwork,
    cotengra's hyper-optimised path and the step-by-step recurrence, for
    depth 1, 2, 3 with T growing; exact FLOP counts beside the timings, and
    the machine's dense matmul rate. Writes JSON, a Markdown table and a plot.

    \b
    Example:
      tnrnn bench --quick
    """
    from ..benchmark import run_benchmarks
    from ..errors import check_output_dir

    check_output_dir(out, option="--out")
    check_output_dir(figure_dir, option="--figure-dir")
    with _progress_bar(progress) as bar:
        task = bar.add_task("bench", total=None)

        def cb(done, total, label):
            bar.update(task, completed=done, total=total, description=str(label))

        res = run_benchmarks(out, quick=quick, smoke=smoke, progress=cb,
                             figure_dir=figure_dir)
    for key in ("json", "markdown", "figure"):
        if res.get(key):
            click.echo(f"wrote {res[key]}")
