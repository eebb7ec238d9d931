"""Sweeps: one run per combination, one folder per run, and their tables.

A sweep is a list of run configs (:func:`sweep_configs`); :func:`run_sweep`
runs them one after another (or through any ``executor.map``-like callable),
skipping finished ones (their folder holds ``result.json``), so an interrupted
sweep keeps its finished runs and resumes the unfinished one from its
checkpoint. :func:`collect` reads a sweep folder back; :func:`summarize`
groups the runs by task, cell, depth and size (mean and spread over seeds)
and :func:`largest_solved` gives the largest size solved per depth.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Callable, Iterable

from ..errors import SpecError
from .run import RunResult, finished_result, resolve_config, run

__all__ = ["sweep_configs", "run_sweep", "collect", "summarize", "largest_solved",
           "primary_metric", "SOLVED_THRESHOLD", "depth_differences"]

#: Accuracy at or above which a size counts as solved.
SOLVED_THRESHOLD = 0.9


def primary_metric(task: str) -> str:
    """The accuracy a sweep reports: ``data_accuracy`` for copying (blank
    steps are trivial), ``accuracy`` otherwise.

    Parameters
    ----------
    task : str

    Returns
    -------
    str

    Examples
    --------
    >>> primary_metric("copying"), primary_metric("ses")
    ('data_accuracy', 'accuracy')
    """
    return "data_accuracy" if task == "copying" else "accuracy"


def sweep_configs(*, task: str, cells: Iterable[str], depths: Iterable[int],
                  sizes: Iterable[int | None], seeds: Iterable[int], out,
                  budget: int | None = None, hidden: int | None = None, **common) -> list:
    """Resolved configs for every (size, seed, cell, depth), each with its folder.

    ``out`` is the sweep folder; each run writes ``out/<run_name>``. The
    order runs the small sizes first, all depths of one seed together, so a
    partial sweep already compares depths.

    Parameters
    ----------
    task : str
    cells, depths, sizes, seeds : iterables
        The grid (``sizes``: ``None`` for pMNIST).
    out : path
        The sweep folder.
    budget : int, optional
        A parameter count per run (the width follows), or
    hidden : int, optional
        one width for every run.
    **common
        Other config keys, the same for every run.

    Returns
    -------
    list of dict
        Resolved configs with ``out``.

    Examples
    --------
    >>> cs = sweep_configs(task="ses", cells=["gru"], depths=[1, 2], sizes=[20], seeds=[0],
    ...                    out="/tmp/sw", budget=2000, steps=10,
    ...                    task_options={"block": 5, "alphabet": 8})
    >>> [c["name"] for c in cs]
    ['ses-T20-gru-L1-H20-s0', 'ses-T20-gru-L2-H13-s0']
    """
    out = Path(out)
    configs = []
    for size, seed, cell, depth in itertools.product(list(sizes), list(seeds), list(cells),
                                                     list(depths)):
        c = resolve_config({"task": task, "size": size, "cell": cell, "depth": depth,
                            "seed": seed, "budget": budget, "hidden": hidden, **common})
        c["out"] = str(out / c["name"])
        configs.append(c)
    names = [c["name"] for c in configs]
    if len(set(names)) != len(names):
        raise SpecError("two runs of the sweep share a folder name; give distinct sizes, "
                        "seeds, cells and depths")
    return configs


def run_sweep(configs: list, *, mapper: Callable | None = None,
              on_result: Callable | None = None, skip_finished: bool = True,
              progress: Callable | None = None) -> list:
    """Run every config (skipping finished ones); return their results in order.

    The one sweep path: serially here, or on a process pool or a Dask
    cluster through ``mapper`` (``tnrnn train --workers`` / ``--scheduler``
    pass one that runs the runs as tasks with a progress bar and retries).

    Parameters
    ----------
    configs : list of dict
        Resolved configs with ``out`` folders (:func:`sweep_configs`).
    mapper : callable, optional
        ``mapper(run, todo)``: the results of ``run`` on each unfinished
        config, in order (``map``, ``functools.partial(tnrnn.parallel.ordered_map,
        executor=ex)``, a Dask client's ``map`` gathered, ...). Default: one
        after another, here.
    on_result : callable, optional
        ``on_result(config, result, finished_before)``, as each result arrives
        (in the order of ``configs`` for the finished ones, then of ``todo``).
    skip_finished : bool
        Return the stored result of a run whose folder holds ``result.json``
        (a finished run of another config is refused before any work).
    progress : callable, optional
        A progress display for each run (:func:`tnrnn.train.fit`'s
        ``progress``), serial sweeps only: a display does not travel to
        workers, so it cannot be given with ``mapper``.

    Returns
    -------
    list of RunResult
        The results of :func:`tnrnn.train.run`, in the order of ``configs``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     cs = sweep_configs(task="ses", cells=["gru"], depths=[1], sizes=[6], seeds=[0, 1],
    ...                        out=d, hidden=3, steps=2, eval_every=2, batch=4, val_size=8,
    ...                        test_size=8, task_options={"block": 2, "alphabet": 3})
    ...     first = run_sweep(cs, mapper=lambda f, xs: list(map(f, xs)))
    ...     seen = []
    ...     again = run_sweep(cs, on_result=lambda c, r, before: seen.append(before))
    >>> again == first, seen
    (True, [True, True])
    """
    if progress is not None and mapper is not None:
        raise SpecError("progress is a display for serial sweeps; it cannot be given with "
                        "a mapper (it does not travel to workers)")
    results: dict = {}
    todo = []
    for c in configs:  # a finished run of another config is refused here, before any work
        old = finished_result(c) if skip_finished else None
        if old is None:
            todo.append(c)
            continue
        results[c["name"]] = old
        if on_result is not None:
            on_result(c, old, True)
    if mapper is None:
        for c in todo:
            results[c["name"]] = run(c, progress=progress)
            if on_result is not None:
                on_result(c, results[c["name"]], False)
    else:
        for c, r in zip(todo, mapper(run, todo)):
            results[c["name"]] = r
            if on_result is not None:
                on_result(c, r, False)
    return [results[c["name"]] for c in configs]


def collect(folder) -> list:
    """Every finished run (``*/result.json``) under a sweep folder, sorted by name.

    A result file that is not valid JSON or lacks a run's fields is refused
    with its path (never skipped silently: a table without it would be wrong).

    Parameters
    ----------
    folder : path

    Returns
    -------
    list of dict
        Results, each with ``run`` (its folder's name).

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     run = pathlib.Path(d) / "r1"; run.mkdir()
    ...     _ = (run / "result.json").write_text(json.dumps(
    ...         {"config": {}, "test": {}, "task": {}, "fit": {}}))
    ...     [r["run"] for r in collect(d)]
    ['r1']
    """
    from .run import _read_json

    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError(f"{str(folder)!r} is not a folder of training runs")
    rows = []
    for f in sorted(folder.glob("*/result.json")):
        r = _read_json(f, "result")
        missing = [k for k in ("config", "test", "task", "fit") if not isinstance(r, dict)
                   or not isinstance(r.get(k), dict)]
        if missing:
            raise SpecError(f"{str(f)!r} is not a tnrnn training result (no {missing}); "
                            f"delete the folder {str(f.parent)!r} to train this run again")
        r["run"] = f.parent.name
        rows.append(r)
    return rows


def _record(r) -> dict:
    """A run's record: a :class:`RunResult` as its dict, a dict (a row of
    :func:`collect`) as it is."""
    return r.to_dict() if isinstance(r, RunResult) else r


def _mean_sd(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, sd


def summarize(results: list, *, threshold: float = SOLVED_THRESHOLD) -> list:
    """One row per (task, cell, depth, size): mean, sample sd, min and max of the
    primary test accuracy over seeds, seeds solved, widths and parameter counts.

    Parameters
    ----------
    results : list of RunResult or dict
        Results of :func:`tnrnn.train.run` (or the records of :func:`collect`).
    threshold : float
        Accuracy at or above which a seed counts as solved.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> r = lambda d, s, a: {"config": {"task": "ses", "cell": "gru", "depth": d, "size": 20,
    ...     "seed": s, "hidden": 8, "params": 100}, "test": {"accuracy": a, "loss": 0.5},
    ...     "task": {"length": 20, "baseline": {"chance_accuracy": 1 / 3}}}
    >>> row = summarize([r(1, 0, 0.5), r(1, 1, 0.7)])[0]
    >>> row["depth"], round(row["mean"], 3), round(row["sd"], 4), row["seeds"]
    (1, 0.6, 0.1414, 2)
    """
    groups: dict = {}
    for r in map(_record, results):
        c = r["config"]
        key = (c["task"], c["cell"], c["depth"], c["size"])
        groups.setdefault(key, []).append(r)
    rows = []
    for (task, cell, depth, size), rs in sorted(groups.items(),
                                                key=lambda kv: tuple(str(x) for x in kv[0])):
        metric = primary_metric(task)
        accs = [r["test"].get(metric) for r in rs]
        mean, sd = _mean_sd(accs)
        # the paper's aggregation: the seed with the best validation loss
        with_val = [r for r in rs if (r.get("val") or {}).get("loss") is not None]
        chosen = min(with_val, key=lambda r: r["val"]["loss"]) if with_val else None
        stops = [(r.get("fit") or {}).get("stopped", "steps") for r in rs]
        fits = [r.get("fit") or {} for r in rs]
        rows.append({
            "task": task, "cell": cell, "depth": depth, "size": size,
            "length": rs[0]["task"]["length"], "metric": metric,
            "protocol": sorted({r["config"].get("protocol", "tnrnn") for r in rs}),
            "mean": mean, "sd": sd, "min": min(accs), "max": max(accs),
            "best_of_k": None if chosen is None else chosen["test"].get(metric),
            "best_of_k_seed": None if chosen is None else chosen["config"]["seed"],
            "stopped": {k: stops.count(k) for k in sorted(set(stops))},
            "still_improving": sum(f.get("best_step") is not None and f.get("steps") is not None
                                   and f["best_step"] >= f["steps"] for f in fits),
            "seeds": len(rs), "solved_seeds": sum(a >= threshold for a in accs),
            "hidden": sorted({r["config"]["hidden"] for r in rs}),
            "params": sorted({r["config"]["params"] for r in rs}),
            "free_params": sorted({r["config"].get("free_params", r["config"]["params"])
                                   for r in rs}),
            "test_loss": _mean_sd([r["test"].get("loss") for r in rs])[0],
            "chance": rs[0]["task"]["baseline"].get(
                "chance_data_accuracy" if task == "copying" else "chance_accuracy"),
            "memoryless_loss": rs[0]["task"]["baseline"].get("memoryless_loss"),
        })
    return sorted(rows, key=lambda r: (r["task"], r["cell"], r["depth"], r["size"] or 0))


def largest_solved(rows: list, *, threshold: float = SOLVED_THRESHOLD) -> list:
    """Per (task, cell, depth): the largest size whose mean accuracy is at
    least ``threshold`` (None if none), and the sizes tried.

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`summarize`.
    threshold : float

    Returns
    -------
    list of dict

    Examples
    --------
    >>> rows = [{"task": "ses", "cell": "gru", "depth": 1, "size": s, "mean": a}
    ...         for s, a in [(20, 0.95), (40, 0.92), (80, 0.5)]]
    >>> largest_solved(rows)[0]["largest_solved"]
    40
    """
    out: dict = {}
    for r in rows:
        key = (r["task"], r["cell"], r["depth"])
        e = out.setdefault(key, {"task": key[0], "cell": key[1], "depth": key[2],
                                 "largest_solved": None, "sizes": []})
        e["sizes"].append(r["size"])
        if r["mean"] is not None and r["mean"] >= threshold and r["size"] is not None:
            if e["largest_solved"] is None or r["size"] > e["largest_solved"]:
                e["largest_solved"] = r["size"]
    return list(out.values())


def depth_differences(results: list, *, reference: int = 1, draws: int = 10000,
                      level: float = 0.95, seed: int = 0) -> list:
    """Mean test accuracy of each depth minus that of depth ``reference``, per
    (task, cell, size), with a percentile bootstrap interval over seeds.

    Each bootstrap draw resamples the seeds of the two depths independently
    (with replacement) and takes the difference of the means; the interval
    holds the central ``level`` of ``draws`` such differences. With three
    seeds a depth has only 10 distinct resamples, so the interval is coarse:
    it describes the spread of these seeds, not a population. With fewer
    than two seeds on either side there is no spread to resample: ``low``
    and ``high`` are ``None``.

    Parameters
    ----------
    results : list of RunResult or dict
        Results of :func:`tnrnn.train.run` (or the records of :func:`collect`).
    reference : int
        The depth subtracted.
    draws : int
        Bootstrap draws.
    level : float
        Central mass of the interval.
    seed : int
        Seed of the bootstrap's generator.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> r = lambda d, s, a: {"config": {"task": "ses", "cell": "gru", "depth": d, "size": 20,
    ...     "seed": s}, "test": {"accuracy": a}}
    >>> rows = depth_differences([r(1, 0, 0.5), r(1, 1, 0.6), r(2, 0, 0.9), r(2, 1, 0.8)])
    >>> rows[0]["depth"], round(rows[0]["difference"], 3), rows[0]["low"] > 0
    (2, 0.3, True)
    >>> depth_differences([r(1, 0, 0.5), r(1, 1, 0.6), r(2, 0, 0.9)])[0]["low"] is None
    True
    """
    import numpy as np

    groups: dict = {}
    for r in map(_record, results):
        c = r["config"]
        acc = r["test"].get(primary_metric(c["task"]))
        if acc is not None:
            groups.setdefault((c["task"], c["cell"], c["size"]), {}).setdefault(
                c["depth"], []).append(acc)
    rng = np.random.default_rng(seed)
    out = []
    for (task, cell, size), by_depth in sorted(groups.items(),
                                               key=lambda kv: tuple(str(x) for x in kv[0])):
        if reference not in by_depth:
            continue
        ref = np.asarray(by_depth[reference])
        for depth in sorted(d for d in by_depth if d != reference):
            acc = np.asarray(by_depth[depth])
            lo = hi = None
            if acc.size >= 2 and ref.size >= 2:
                boot = (rng.choice(acc, (draws, acc.size)).mean(1)
                        - rng.choice(ref, (draws, ref.size)).mean(1))
                lo, hi = (float(q) for q in np.quantile(boot, [(1 - level) / 2,
                                                                (1 + level) / 2]))
            out.append({"task": task, "cell": cell, "size": size, "depth": depth,
                        "reference": reference, "difference": float(acc.mean() - ref.mean()),
                        "low": lo, "high": hi, "level": level,
                        "seeds": int(acc.size), "reference_seeds": int(ref.size)})
    return out
