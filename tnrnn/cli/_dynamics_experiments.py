"""tnrnn dynamics: the experiments (reduced reproductions of Ribeiro et al.) and their
figures, drawn from the data they write."""

from __future__ import annotations

import click

from ._app import CONTEXT, comma_list, emit_json, json_text
from ._dynamics_common import _bar, _count, _finite, _pyplot, _seed, dynamics
from ..errors import SpecError, check_output_path


# ------------------------------------------------------------------ experiments
_EXPERIMENTS = ("chaotic-lstm", "regions", "sine", "seqclass")


@dynamics.command("experiments", context_settings=CONTEXT)
@click.option("--only", default=",".join(_EXPERIMENTS), show_default=True,
              help="Which experiments, comma-separated.")
@click.option("--out", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder for the data (dynamics_*.json).")
@click.option("--quick", is_flag=True, help="Tiny sizes, to check the code path (seconds).")
@click.option("--seed", type=int, default=0, show_default=True)
def experiments_cmd(only, out, quick, seed):
    """Run the paper's experiments (reduced) and write their data as JSON.

    \b
    chaotic-lstm  the 2-unit LSTM: attractor, spectrum, lambda_max and loss
                  along s * theta, 2-D loss slice
    regions       tanh RNN (32 units): lambda_max, L_x, loss sharpness over
                  gain x input scale
    sine          LSTM sine generator trained from scratch: orbit diagrams,
                  lambda_max, L_x and sharpness at every checkpoint
    seqclass      LSTM on the sequence-classification task (length 200),
                  the same analyses

    Draw them with `tnrnn dynamics figures`.

    \b
    Example:
      tnrnn dynamics experiments --only regions --out figures
    """
    import os

    from ..dynamics import experiments as ex
    from ..dynamics import training

    names = comma_list(only, "--only", choices=tuple(_EXPERIMENTS), noun="experiment")
    seed = _seed(seed)
    if seed + 3 >= 2 ** 32:
        raise SpecError(f"--seed must be below 2^32 - 3 (the experiments use seed .. seed + 2); "
                        f"got {seed}")
    paths = {n: check_output_path(os.path.join(out, f"dynamics_{n.replace('-', '_')}.json"),
                                  option="--out") for n in names}
    import jax

    from .._io import machine_info, machine_line

    devices = sorted({d.platform for d in jax.devices()})
    machine = {"machine": machine_line(machine_info(packages=("jax",), devices=devices)),
               "quick": quick}
    for name in names:
        with _bar() as bar:
            task = bar.add_task(name, total=None)
            prog = (lambda d, t, task=task: bar.update(task, completed=d, total=t))
            if name == "chaotic-lstm":
                data = (ex.chaotic_lstm_experiment(n_s=101, lyap_steps=500, attractor_steps=500,
                                                   grid_2d=11, seed=seed) if quick
                        else ex.chaotic_lstm_experiment(seed=seed))
            elif name == "regions":
                data = (ex.region_experiment(grid=6, steps=200, burn=50, loss_grid=3, loss_T=30,
                                             hessian_iters=3, seed=seed, progress=prog) if quick
                        else ex.region_experiment(seed=seed, progress=prog))
            elif name == "sine":
                data = training.sine_experiment(quick=quick, seed=seed + 2, progress=prog)
            else:
                data = training.seqclass_experiment(quick=quick, seed=seed + 2, progress=prog)
        data = data.to_dict()
        data.update(machine)
        _write_json(paths[name], data)
        click.echo(f"wrote {paths[name]}")


def _write_json(path, data) -> None:
    """The experiment's data as one line of JSON, floats to 7 digits
    (:func:`._app.json_text`), through an atomic write (a failed write names
    the file the data was kept in)."""
    from .._io import atomic_write_text

    atomic_write_text(path, json_text(data, indent=None, digits=7) + "\n",
                      what="the experiment's data")


@dynamics.command("figures", context_settings=CONTEXT)
@click.option("--data", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder holding dynamics_*.json from `tnrnn dynamics experiments`.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the figures (PNG and SVG) [default: --data].")
def figures_cmd(data, out):
    """Draw the experiments' figures from their data.

    A data file that is not valid JSON, or holds another experiment or
    misses what its figure needs, is refused with its path.

    \b
    Example:
      tnrnn dynamics figures --data figures
    """
    import os

    from ..render.dynamics_figures import (EXPERIMENT_FIGURES, draw_experiment,
                                           read_experiment, save_figure)

    out = data if out is None else out
    found = [name for name in EXPERIMENT_FIGURES
             if os.path.exists(os.path.join(data, f"dynamics_{name}.json"))]
    if not found:
        raise SpecError(f"--data: no dynamics_*.json in {data!r}; run `tnrnn dynamics "
                        "experiments` first")
    for name in found:
        for ext in (".png", ".svg"):
            check_output_path(os.path.join(out, f"dynamics_{name}{ext}"), option="--out")
    payloads = {name: read_experiment(os.path.join(data, f"dynamics_{name}.json"), name)
                for name in found}
    plt = _pyplot()
    for name in found:
        fig = draw_experiment(plt, name, payloads[name],
                              os.path.join(data, f"dynamics_{name}.json"))
        for ext in (".png", ".svg"):
            path = os.path.join(out, f"dynamics_{name}{ext}")
            save_figure(fig, path)
            click.echo(f"wrote {path}")
        plt.close(fig)


@dynamics.command("region-stats", context_settings=CONTEXT)
@click.option("--data", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder holding dynamics_regions.json from `tnrnn dynamics experiments`.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for dynamics_regions_stats.json [default: --data].")
@click.option("--blocks", type=int, default=20, show_default=True,
              help="Blocks of the batch-means standard error of lambda_max.")
def region_stats_cmd(data, out, blocks):
    """Classes of lambda_max called against its standard error, counted against sharpness.

    On the loss grid of the committed region map, lambda_max is recomputed
    with its standard error; a point is chaotic when lambda_max > z stderr,
    contracting when lambda_max < -z stderr, boundary otherwise (z = 1 and
    2); the points of each class with |sharpness| above 1e3 and 1e5 are
    counted. Draw with `tnrnn dynamics figures`.

    \b
    Example:
      tnrnn dynamics region-stats --data figures
    """
    import os

    from ..dynamics.region_stats import region_stats_experiment
    from ..render.dynamics_figures import read_experiment

    blocks = _count("--blocks", blocks, minimum=2)
    out = data if out is None else out
    src = os.path.join(data, "dynamics_regions.json")
    if not os.path.exists(src):
        raise SpecError(f"--data: no dynamics_regions.json in {data!r}; run `tnrnn dynamics "
                        "experiments --only regions` first")
    path = check_output_path(os.path.join(out, "dynamics_regions_stats.json"), option="--out")
    regions = read_experiment(src, "regions")
    with _bar() as bar:
        task = bar.add_task("region stats", total=None)
        res = region_stats_experiment(regions, blocks=blocks, thresholds=(1e3, 1e5),
                                      progress=lambda d, t: bar.update(task, completed=d, total=t))
    res = res.to_dict()
    res["machine"] = regions.get("machine")
    _write_json(path, res)
    click.echo(f"wrote {path}")


@dynamics.command("paper-summary", context_settings=CONTEXT)
@click.option("--root", type=click.Path(file_okay=False), required=True,
              help="Folder of the runs of `tnrnn dynamics paper-train`.")
@click.option("--out", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="Folder for dynamics_paper_<task>.json.")
def paper_summary_cmd(root, out):
    """Collect the smoothness paper's runs (sine generator, sequence classification)
    into dynamics_paper_sine.json / dynamics_paper_seqclass.json.

    \b
    Example:
      tnrnn dynamics paper-summary --root benchmarks/results/experiments/smoothness
    """
    import os

    from ..dynamics.paper_runs import paper_summary

    tasks = [t for t in ("sine", "seqclass") if os.path.isdir(os.path.join(root, t))]
    if not tasks:
        raise SpecError(f"--root: no sine/ or seqclass/ runs in {root!r}")
    for t in tasks:
        path = check_output_path(os.path.join(out, f"dynamics_paper_{t}.json"), option="--out")
        _write_json(path, paper_summary(root, t).to_dict())
        click.echo(f"wrote {path}")


# ------------------------------------------------- the paper's own setups, resumable
_PAPER_TASKS = ("sine", "seqclass")


def _log(line: str) -> None:
    """A progress line of the paper runs (stderr, at once: a long run's log)."""
    click.echo(line, err=True)


@dynamics.command("paper-train", context_settings=CONTEXT)
@click.option("--root", type=click.Path(file_okay=False), required=True,
              help="Folder of the runs (<root>/<task>/<model>-s<seed>/; created if missing).")
@click.option("--tasks", default="sine", show_default=True,
              help="Tasks, comma-separated: sine, seqclass.")
@click.option("--models", default="lstm,lstm-stable,exprnn", show_default=True,
              help="Models, comma-separated: lstm, lstm-stable, exprnn.")
@click.option("--seeds", default="0,1,2", show_default=True, help="Seeds, comma-separated.")
@click.option("--chunk", type=int, default=10, show_default=True,
              help="Epochs per turn (five times as many for seqclass).")
@click.option("--seconds", type=float, default=3600.0, show_default=True,
              help="Time allowed; checked between turns (a turn under way is finished).")
@click.option("--until", type=int, default=None,
              help="Stop each run at this epoch  [default: the authors' total].")
def paper_train_cmd(root, tasks, models, seeds, chunk, seconds, until):
    """Train the smoothness paper's runs at the authors' sizes and schedule, resumably.

    Every combination of --tasks, --models and --seeds is one run in its own
    folder; a run with a resume.pkl continues from it. The runs advance in
    turns of --chunk epochs, the least advanced first, so that a stopped
    sweep has them all at about the same epoch. One line per turn goes to
    stderr; the epoch each run reached is printed as JSON.

    \b
    Example:
      tnrnn dynamics paper-train --root benchmarks/results/experiments/smoothness \\
          --tasks sine --seeds 0,1,2 --seconds 1800
    """
    import os

    from ..dynamics import paper_setups as ps
    from ..dynamics.paper_runs import train_runs

    tasks = comma_list(tasks, "--tasks", choices=_PAPER_TASKS, noun="task")
    models = comma_list(models, "--models", choices=tuple(ps.MODELS), noun="model")
    seeds = comma_list(seeds, "--seeds", kind=int, minimum=0)
    chunk = _count("--chunk", chunk)
    seconds = _finite("--seconds", seconds, minimum=0.0)
    until = None if until is None else _count("--until", until)
    parent = os.path.dirname(os.path.abspath(root))
    if not os.path.isdir(parent):
        raise SpecError(f"--root: the folder {parent!r} does not exist")
    emit_json(train_runs(root, tasks=tasks, models=models, seeds=seeds, chunk=chunk,
                         seconds=seconds, until=until, log=_log))


@dynamics.command("paper-analyse", context_settings=CONTEXT)
@click.option("--root", type=click.Path(file_okay=False), required=True,
              help="Folder of the runs of `tnrnn dynamics paper-train`.")
@click.option("--tasks", default="sine,seqclass", show_default=True,
              help="Tasks, comma-separated: sine, seqclass.")
@click.option("--which", type=click.Choice(["last", "first", "all"]), default="all",
              show_default=True,
              help="Which kept checkpoints: each run's latest, its first (epoch 0), or all.")
def paper_analyse_cmd(root, tasks, which):
    """Analyse the smoothness paper's runs: Lyapunov spectra, sup ||Df||, the
    Lipschitz bound and the sharpness at their kept checkpoints.

    Each run's results are added to its analysis.json (checkpoints already
    there are skipped, so a stopped analysis resumes). One line per
    checkpoint goes to stderr; the epochs asked for, per run, are printed as
    JSON. Collect them with `tnrnn dynamics paper-summary`.

    \b
    Example:
      tnrnn dynamics paper-analyse --root benchmarks/results/experiments/smoothness --which last
    """
    from ..dynamics.paper_runs import analyse_runs

    tasks = comma_list(tasks, "--tasks", choices=_PAPER_TASKS, noun="task")
    done = analyse_runs(root, tasks=tasks, which=which, log=_log)
    if not done:
        raise SpecError(f"--root: no runs in {root!r} (folders {'|'.join(tasks)}/<model>-s<seed> "
                        "holding a resume.pkl); train them with `tnrnn dynamics paper-train`")
    emit_json(done)
