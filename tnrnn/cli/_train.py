"""tnrnn train: training sweeps of recurrent cells on memory tasks, and their report."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import CONTEXT, _console, _console_err, _progress_bar, cli, comma_list, emit_json
from ._executors import (check_executor_options, executor_options, open_executor,
                         retries_option, run_executor_tasks, wants_parallel, worker_path)
from ..errors import OutputPathError, SpecError, TooLargeError, check_output_path

_FIG_SUFFIXES = (".png", ".svg", ".pdf")
#: task options the command line exposes, by task
_TASK_OPTIONS = {"ses": ("block", "alphabet", "classes"),
                 "copying": ("word_length", "alphabet"), "pmnist": ()}


def _ints(option: str, text: str | None) -> list:
    """The integers of an optional comma list (``[]`` when the option is not given)."""
    return [] if text is None else comma_list(text, option, kind=int)


def _parse_options(pairs) -> dict:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"--cell-option must be NAME=VALUE; got {pair!r}")
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"--cell-option {name}: the value must be a number; "
                            f"got {value!r}") from None
        out[name.strip()] = int(number) if number.is_integer() and "." not in value else number
    return out


@cli.group("train", context_settings=CONTEXT, invoke_without_command=True)
@click.option("--task", type=click.Choice(["ses", "copying", "pmnist"]), default=None,
              help="Memory task: Start-End Similarity, Copying Memory, permuted MNIST.")
@click.option("--protocol", type=click.Choice(["tnrnn", "paper"]), default="tnrnn",
              show_default=True,
              help="Training protocol: 'paper' is the depth paper's code value by value "
                   "(scoRNN variant, RMSProp 1e-3 unclipped + 1e-4 on the recurrence with L-inf "
                   "rescaling, validation every 1,000 steps with min_delta, cap 50,000, "
                   "validation/test 4,992/9,984); 'tnrnn' the earlier defaults. Options given "
                   "below override it and are recorded as overrides.")
@click.option("--cell", "cells", default="scornn", show_default=True,
              help="Cell kind(s), comma-separated: scornn, exprnn, lstm, gru, tanh, relu, rac, "
                   "mi-rnn, linear.")
@click.option("--depth", "depths", default="1", show_default=True, metavar="L1,L2,...",
              help="Depths, comma-separated.")
@click.option("--params-budget", "budget", type=int, default=None,
              help="Parameter budget: each depth gets the width whose count is closest "
                   "(within 5%).")
@click.option("--hidden", type=int, default=None,
              help="Width of every layer (instead of a budget).")
@click.option("-T", "--length", "sizes", default=None, metavar="T1,T2,...",
              help="ses: sequence lengths T (comma-separated). Not for copying (use --delay) "
                   "or pmnist (T = 784).")
@click.option("--delay", "delays", default=None, metavar="B1,B2,...",
              help="copying: delays B between the word and the recall (T = 2M + B).")
@click.option("--seeds", default="0", show_default=True, metavar="S1,S2,...",
              help="Seeds (weights, batches and the validation set).")
@click.option("--steps", type=int, default=None,
              help="Largest number of optimiser steps per run (the cap) [default: 2,000; "
                   "paper: 50,000].")
@click.option("--eval-every", type=int, default=None,
              help="Validate every this many steps [default: 1,000].")
@click.option("--batch", type=int, default=None, help="Batch size [default: 128].")
@click.option("--lr", type=float, default=None, help="Learning rate [default: 1e-3].")
@click.option("--lr-recurrent", type=float, default=None,
              help="scoRNN: learning rate of the recurrence's own RMSProp [paper: 1e-4; "
                   "tnrnn: none, the recurrence trains with --lr].")
@click.option("--optimizer", default=None,
              help="rmsprop (the paper's, decay 0.9), adam or sgd [default: rmsprop].")
@click.option("--patience", type=int, default=None,
              help="Validations without a new best before the learning rate drops 10x "
                   "(second time: stop) [default: 10; paper: more than 10].")
@click.option("--val-size", type=int, default=None,
              help="Validation sequences [default: 1,000; paper: 4,992].")
@click.option("--test-size", type=int, default=None,
              help="Test sequences [default: 1,000; paper: 9,984].")
@click.option("--block", type=int, default=None, help="ses: block length m [default: 30].")
@click.option("--alphabet", type=int, default=None, help="ses/copying: alphabet n [default: 32].")
@click.option("--classes", type=int, default=None, help="ses: number of classes [default: 3].")
@click.option("--word-length", type=int, default=None,
              help="copying: word length M [default: 30].")
@click.option("--cell-option", "cell_option", multiple=True, metavar="NAME=VALUE",
              help="Cell option, e.g. --cell-option sigma=0.01 for a RAC's initial spread "
                   "(repeatable; values are numbers).")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float32",
              show_default=True)
@click.option("--max-memory-gb", type=float, default=8.0, show_default=True,
              help="Refuse runs whose activations would need more than this.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Sweep folder (created if its parent exists); one sub-folder per run.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with each task's baseline).")
@executor_options("runs")
@retries_option("run")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar with ETA on stderr.")
@click.pass_context
def train(ctx, task, protocol, cells, depths, budget, hidden, sizes, delays, seeds, steps,
          eval_every,
          batch, lr, lr_recurrent, optimizer, patience, val_size, test_size, block, alphabet,
          classes, word_length,
          cell_option, dtype, max_memory_gb, out, as_json, workers, scheduler, scheduler_file,
          connect_timeout, retries, progress):
    """Train stacks of recurrent cells on memory tasks: a sweep, one run per combination.

    Every combination of cell, depth, size and seed is one run in its own
    folder under --out (config.json, metrics.jsonl, checkpoint.npz,
    params.npz, result.json). Finished runs are skipped and an interrupted
    run resumes from its checkpoint, so rerunning the same command continues
    a sweep. Defaults follow the depth paper (RMSProp 1e-3, decay 0.9, batch
    128, clipping at 10, learning rate x0.1 at the first plateau, stop at
    the second, best weights restored).

    With --workers N (local processes) or --scheduler / --scheduler-file (a
    Dask cluster) the runs are tasks, most expensive first (estimated from
    T x parameters x steps x batch), under one progress bar with ETA; the
    results are those of the serial sweep. A run whose worker dies is
    started again (--retries) and resumes from the checkpoint in its
    folder: on a cluster, --out must be on a file system every worker sees.

    \b
    Examples:
      tnrnn train --task ses --cell scornn --depth 1,2,3 --params-budget 5000 \\
          -T 20,40,80 --block 5 --alphabet 8 --seeds 0,1,2 --steps 2000 --out runs/ses
      tnrnn train --task copying --cell lstm --hidden 64 --delay 10,20 --out runs/copy --json
      tnrnn train --task ses --cell lstm --depth 1,2,3 --hidden 32 -T 20,40 \\
          --seeds 0,1,2 --out runs/ses --workers 4
      tnrnn train --task ses --cell lstm --depth 1,2,3 --hidden 32 -T 20,40 \\
          --out /shared/runs/ses --scheduler tcp://head:8786
      tnrnn train report runs/ses --figure ses.png
    """
    if ctx.invoked_subcommand is not None:
        return
    if task is None:
        raise SpecError("--task is required (ses, copying or pmnist); see tnrnn train --help")
    if out is None:
        raise SpecError("--out is required: the sweep folder (one sub-folder per run)")
    check_executor_options(workers, scheduler, scheduler_file, connect_timeout, retries)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"--out: {str(out)!r} exists and is not a folder")
    check_output_path(out / "result.json", option="--out") if out.is_dir() else \
        check_output_path(out, option="--out")
    if task == "copying":
        if sizes is not None:
            raise SpecError(f"copying is sized by its delay: give --delay B (T = 2M + B), not "
                            f"-T (got -T {sizes})")
        size_list = _ints("--delay", delays)
        if not size_list:
            raise SpecError("--delay is required for copying (comma-separated delays B)")
    else:
        if delays is not None:
            raise SpecError(f"--delay applies to the copying task only; {task} got "
                            f"--delay {delays}")
        size_list = _ints("-T/--length", sizes)
        if task == "pmnist":
            if size_list:
                raise SpecError(f"pmnist has a fixed length (T = 784); drop -T (got {sizes!r})")
            size_list = [None]
        elif not size_list:
            raise SpecError(f"-T/--length is required for {task} (comma-separated lengths)")
    given = {"block": block, "alphabet": alphabet, "classes": classes,
             "word_length": word_length}
    task_options = {}
    for name, value in given.items():
        if value is None:
            continue
        if name not in _TASK_OPTIONS[task]:
            flag = "--" + name.replace("_", "-")
            own = ", ".join("--" + o.replace("_", "-") for o in _TASK_OPTIONS[task])
            raise SpecError(f"{flag} does not apply to the {task} task; its options: "
                            f"{own or 'none'}")
        task_options[name] = value
    from ..tasks import make_task
    from ..train import run_sweep, summarize, sweep_configs

    from ..train import memory_estimate

    cell_options = _parse_options(cell_option)
    if not (max_memory_gb > 0 and max_memory_gb < float("inf")):
        raise SpecError(f"--max-memory-gb must be a finite number > 0; got {max_memory_gb!r}")
    given = dict(steps=steps, eval_every=eval_every, batch=batch, lr=lr,
                 lr_recurrent=lr_recurrent, optimizer=optimizer, patience=patience,
                 val_size=val_size, test_size=test_size)
    common = {k: v for k, v in given.items() if v is not None}
    if protocol == "tnrnn":
        common.setdefault("steps", 2000)
    if cell_options:
        common["cell_options"] = cell_options
    # absolute: a Dask worker runs in its own folder, where a relative path names another place
    configs = sweep_configs(task=task, cells=comma_list(cells, "--cell"),
                            depths=comma_list(depths, "--depth", kind=int),
                            sizes=size_list, seeds=comma_list(seeds, "--seeds", kind=int),
                            out=worker_path(out),
                            budget=budget, hidden=hidden, dtype=dtype, protocol=protocol,
                            task_options=task_options, **common)
    lengths = {}
    for c in configs:  # refuse before any run starts
        t = make_task(c["task"], c["size"], **c["task_options"])
        lengths[c["name"]] = t.length
        need = memory_estimate(c, t)
        if need > max_memory_gb * 2**30:
            raise TooLargeError(
                f"run {c['name']} would need about {need / 2**30:.1f} GiB (parameters, "
                f"optimiser state, activations of batch {c['batch']} x T {t.length} x depth "
                f"{c['depth']} x width {c['hidden']}, evaluation sets); the limit is "
                f"{max_memory_gb:g} GiB: lower --batch or the width, or raise --max-memory-gb",
                estimate=need, limit=max_memory_gb * 2**30)
    executor = None
    if wants_parallel(workers, scheduler, scheduler_file):  # reach the scheduler first
        executor = open_executor(workers, scheduler, scheduler_file, connect_timeout)
    try:
        out.mkdir(exist_ok=True)
    except BaseException:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        raise
    total = len(configs)
    err = _console_err()
    counter = {"i": 0}

    def on_result(c, r, before, console=err):
        counter["i"] += 1
        if not as_json:
            metric = "data_accuracy" if c["task"] == "copying" else "accuracy"
            state = "done before" if before else f"{r.fit['steps']} steps"
            console.print(f"[{counter['i']}/{total}] {c['name']}: test {metric} "
                          f"{r.test[metric]:.3f} ({state})", highlight=False)

    # one sweep path (tnrnn.train.run_sweep: finished runs skipped, results in order);
    # serial, or on the executor through a mapper that prints each run as it ends
    mapper, report, display = None, on_result, None
    if executor is None:
        display = _RunBar if progress else None
    else:
        mapper, report = _executor_mapper(configs, executor, lengths=lengths, retries=retries,
                                          show=bool(progress) and not as_json,
                                          on_result=on_result, out=out)
    try:
        results = run_sweep(configs, mapper=mapper, on_result=report, progress=display)
    finally:  # the mapper shuts the executor down; it is not called when a finished run
        # of another config is refused first
        if executor is not None and not mapper.called:
            executor.shutdown(wait=False, cancel_futures=True)
    rows = summarize(results)
    if as_json:
        emit_json({"out": str(out), "runs": [{"name": c["name"], "config": r.config,
                                              "test": r.test, "fit": r.fit,
                                              "baseline": r.task["baseline"]}
                                             for c, r in zip(configs, results)],
                    "summary": rows})
        return
    _print_table(rows)


class _RunBar:
    """The display of one training run (``progress`` of :func:`tnrnn.train.fit`):
    the command line's bar (:func:`._app._progress_bar`) with the step count,
    the last validation, time elapsed and ETA; transient."""

    def __init__(self, label: str, total: int, done: int):
        self.bar = _progress_bar(True, fields=("note",))
        self.bar.start()
        self.task = self.bar.add_task(label, total=total, completed=done, note="")

    def advance(self):
        self.bar.advance(self.task)

    def note(self, record):
        acc = record.get("val_accuracy")
        loss = record.get("val_loss")
        text = "val loss -" if loss is None else f"val loss {loss:.4f}"
        self.bar.update(self.task, note=text + (f" acc {acc:.3f}" if acc is not None else ""))

    def close(self):
        self.bar.stop()


def run_cost(config: dict, length: int) -> float:
    """Estimated cost of one run, in multiply-adds up to a constant factor.

    Each step's forward and backward passes touch every parameter once per
    time step and sequence (3 x batch x T x params); validations and the
    test evaluation add a forward pass over their sets. Early stopping can
    only make a run cheaper, so this is an upper estimate; only the order
    of the runs and the ETA depend on it.

    Examples
    --------
    >>> run_cost({"params": 100, "steps": 10, "batch": 4, "eval_every": 5,
    ...           "val_size": 8, "test_size": 8}, 20)
    288000.0
    """
    evals = config["steps"] // config["eval_every"]
    per_seq = float(length) * config["params"]
    return per_seq * (3 * config["steps"] * config["batch"] + evals * config["val_size"]
                      + config["test_size"])


def _executor_mapper(configs: list, executor, *, lengths: dict, retries: int, show: bool,
                     on_result, out):
    """``(mapper, report)`` for :func:`tnrnn.train.run_sweep` on ``executor``.

    ``mapper(run, todo)`` runs the unfinished runs as tasks (most expensive
    first, estimated by :func:`run_cost`; under one progress bar with ETA; a
    run whose worker died is rerun up to ``retries`` times and resumes from
    its checkpoint), prints each as it ends and returns their results in the
    order of ``todo``; ``report`` is ``on_result`` for the runs finished
    before (the others were printed as they ended).
    """
    by_name = {c["name"]: c for c in configs}
    printed: set = set()

    def mapper(fn, todo):
        mapper.called = True
        tasks = {c["name"]: ({**c, "progress": False},) for c in todo}
        costs = {name: run_cost(cfg, lengths[name]) for name, (cfg,) in tasks.items()}

        def finished(res, console):
            printed.add(res.key)
            on_result(by_name[res.key], res.value, False, console)

        def interrupted(new):
            done = len(configs) - len(todo) + len(new)
            return (f"interrupted: {done} of {len(configs)} runs are finished in {out}; rerun "
                    "the same command to continue (unfinished runs resume from their "
                    "checkpoints)")

        results = run_executor_tasks(fn, tasks, executor=executor, costs=costs, retries=retries,
                                     show=show, unit="runs", on_result=finished,
                                     interrupted=interrupted)
        return [results[c["name"]] for c in todo]

    def report(c, r, before):
        if c["name"] not in printed:
            on_result(c, r, before)

    mapper.called = False
    return mapper, report


def _print_table(rows: list) -> None:
    from rich.table import Table

    from ..train import largest_solved

    table = Table(title="test accuracy over seeds (mean ± sd \\[min, max]; best of k: the seed "
                        "with the best validation loss); copying: word steps")
    for col in ("task", "cell", "depth", "width", "params", "size", "T", "accuracy",
                "best of k", "solved", "stopped", "chance"):
        table.add_column(col, justify="left" if col in ("task", "cell") else "right")
    for r in rows:
        acc = (f"{r['mean']:.3f} ± {r['sd']:.3f} [{r['min']:.2f}, {r['max']:.2f}]"
               if r["mean"] is not None else "-")
        best = "-" if r.get("best_of_k") is None else f"{r['best_of_k']:.3f}"
        stops = ", ".join(f"{k} {v}" for k, v in (r.get("stopped") or {}).items())
        if r.get("still_improving"):
            stops += f" ({r['still_improving']} still improving)"
        table.add_row(r["task"], r["cell"], str(r["depth"]),
                      ",".join(map(str, r["hidden"])), ",".join(map(str, r["params"])),
                      "-" if r["size"] is None else str(r["size"]), str(r["length"]), acc,
                      best, f"{r['solved_seeds']}/{r['seeds']}", stops, f"{r['chance']:.3f}")
    con = _console()
    con.print(table)
    for e in largest_solved(rows):
        con.print(f"{e['task']} {e['cell']} depth {e['depth']}: largest size solved "
                  f"(mean accuracy >= 0.9): {e['largest_solved'] or 'none'} "
                  f"(sizes {', '.join('-' if s is None else str(s) for s in e['sizes'])})",
                  highlight=False)


@train.command("report", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--figure", "figure", type=click.Path(dir_okay=False), default=None,
              help="Figure file (png, svg or pdf) [default: FOLDER/accuracy_vs_size.png].")
@click.option("--no-figure", is_flag=True, help="Print the table only.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the summary table as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def report(folder, figure, no_figure, csv_path, as_json):
    """Table and figure of a sweep folder: accuracy against size, one line per depth.

    Reads every finished run (FOLDER/*/result.json); unfinished runs are left out.

    \b
    Examples:
      tnrnn train report runs/ses
      tnrnn train report runs/ses --figure figures/depth_ses.png --csv ses.csv
    """
    from ..train import collect, depth_differences, largest_solved, summarize

    if not Path(folder).is_dir():
        raise SpecError(f"{folder!r} is not a folder of training runs")
    fig_path = None
    if not no_figure:
        fig_path = check_output_path(figure or Path(folder) / "accuracy_vs_size.png",
                                     option="--figure", suffixes=_FIG_SUFFIXES)
    if csv_path is not None:
        csv_path = check_output_path(csv_path, option="--csv", suffixes=(".csv",))
    results = collect(folder)
    if not results:
        raise SpecError(f"{folder!r} holds no finished run (no */result.json)")
    rows = summarize(results)
    diffs = depth_differences(results)
    if csv_path is not None:
        _write_csv(rows, csv_path)
    if fig_path is not None:
        from ..render.training_figures import draw_report

        draw_report(rows, fig_path)
    if as_json:
        emit_json({"summary": rows, "largest_solved": largest_solved(rows),
                    "depth_differences": diffs, "runs": len(results),
                    "figure": None if fig_path is None else str(fig_path)})
        return
    _print_table(rows)
    _print_differences(diffs)
    if fig_path is not None:
        _console().print(f"figure: {fig_path}", highlight=False)


def _print_differences(diffs: list) -> None:
    if not diffs:
        return
    from rich.table import Table

    table = Table(title="depth minus depth 1: mean test accuracy, with a 95% bootstrap "
                        "interval over seeds")
    for col in ("task", "cell", "size", "depth", "difference", "interval", "seeds"):
        table.add_column(col, justify="left" if col in ("task", "cell") else "right")
    for d in diffs:
        interval = ("fewer than 2 seeds" if d["low"] is None
                    else f"[{d['low']:+.3f}, {d['high']:+.3f}]")
        table.add_row(d["task"], d["cell"], "-" if d["size"] is None else str(d["size"]),
                      str(d["depth"]), f"{d['difference']:+.3f}", interval,
                      f"{d['seeds']} vs {d['reference_seeds']}")
    _console().print(table)


def _write_csv(rows: list, path) -> None:
    import csv

    cols = ["task", "cell", "depth", "size", "length", "metric", "mean", "sd", "min", "max",
            "best_of_k", "best_of_k_seed", "seeds", "solved_seeds", "still_improving", "hidden",
            "params", "free_params", "test_loss", "chance", "memoryless_loss"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            w.writerow([";".join(map(str, r[c])) if isinstance(r[c], list) else r[c]
                        for c in cols])
    return path
