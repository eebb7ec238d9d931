"""The suite: run every sweep, summarise the targets, write JSON, Markdown
and the figure."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import time
from typing import Callable

from .._io import atomic_write_text, json_safe
from ..errors import SpecError
from ._common import (_CONTRACTION_PEERS, ENGINES, RATE_NOTE, Settings, _flops_of,
                      _steady, settings_for)
from ._measure import _sweep, machine_info, matmul_rates
from ._report import markdown_report, plot_cost_vs_T

def _gmean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def _stats(xs) -> dict:
    return {"geomean": _gmean(xs), "min": min(xs) if xs else None,
            "max": max(xs) if xs else None,
            "points_at_or_below_1": sum(x <= 1.0 for x in xs), "points": len(xs)}


def _summarize(workloads) -> dict:
    """Ratios of the default to each engine (time, steady state) and FLOP
    ratios against cotengra and the recurrence, per point and per workload.

    *Other engines* are ``tnrnn-numpy``, ``tensornetwork-jax``, ``cotengra``
    and ``quimb``; the recurrences (which build no network) and
    ``tnrnn-batch`` (tnrnn's batched route over all one-hot sequences, on the
    grid) are reported apart."""
    per_point, ratios = [], {}
    for w in workloads:
        kind = w["kind"]
        for p in w["points"]:
            t0 = _steady(p, "tnrnn")
            if t0 is None:
                continue
            entry = {"kind": kind, "depth": w["depth"], "T": p["T"], "ratio": {}}
            for e in ENGINES:
                te = _steady(p, e)
                if e != "tnrnn" and te:
                    entry["ratio"][e] = t0 / te
                    ratios.setdefault((kind, e), []).append(t0 / te)
            peers = [_steady(p, e) for e in _CONTRACTION_PEERS if _steady(p, e)]
            if peers:
                entry["ratio_vs_best_other"] = t0 / min(peers)
            fa, fb = _flops_of(p, "tnrnn"), _flops_of(p, "cotengra")
            if fa and fb:
                entry["flops_vs_cotengra"] = fa / fb
            if fa:
                entry["flops_vs_recurrence"] = fa / p["flops"]["recurrence"]
            fx = p["flops"].get("tnrnn_executed")
            if fx:
                entry["executed_vs_recurrence"] = fx / p["flops"]["recurrence"]
                if fb:
                    entry["executed_vs_cotengra"] = fx / fb
                entry["unit_order_vs_recurrence"] = (p["flops"]["unit_order"]
                                                     / p["flops"]["recurrence"])
            per_point.append(entry)

    def pick(key, kind):
        return [p[key] for p in per_point if p["kind"] == kind and key in p]

    flops = {k: _stats(pick("flops_vs_cotengra", k)) for k in ("output", "grid")}
    for v in flops.values():
        v["within_1.5x"] = v["points"] > 0 and v["max"] <= 1.5
    return {
        "per_point": per_point,
        "ratio_tnrnn_over_engine": {f"{k}:{e}": _stats(v) for (k, e), v in ratios.items()},
        "ratio_vs_best_other": {k: _stats(pick("ratio_vs_best_other", k))
                                for k in ("output", "grid")},
        "flops_vs_cotengra": flops,
        "flops_vs_recurrence": {k: _stats(pick("flops_vs_recurrence", k))
                                for k in ("output", "grid")},
        "executed_vs_recurrence": {k: _stats(pick("executed_vs_recurrence", k))
                                   for k in ("output", "grid")},
        "executed_vs_cotengra": {k: _stats(pick("executed_vs_cotengra", k))
                                 for k in ("output", "grid")},
    }


def run_benchmarks(out_dir, *, quick: bool = False, smoke: bool = False,
                   progress: Callable | None = None,
                   figure_dir="figures", settings: Settings | None = None) -> dict:
    """Run the suite and write ``contract[-quick|-smoke].{json,md}`` into
    ``out_dir`` and ``bench_cost_vs_T[-quick|-smoke].{png,svg}`` into
    ``figure_dir`` (``None``: no figure).

    Parameters
    ----------
    out_dir : path
        An existing folder, or a new one inside an existing folder (checked
        before any measurement; parents are never created).
    quick : bool
        The quick subset (< 3 minutes on 2 cores).
    smoke : bool
        A tiny subset (< 20 s) that exercises every code path; wins over
        ``quick``.
    progress : callable, optional
        ``progress(done, total, label)`` after each point.
    figure_dir : path or None
    settings : Settings, optional
        Replace the mode's settings (:func:`settings_for`), e.g. to change a
        limit; the files are still named after the mode.

    Returns
    -------
    dict
        ``{"json": path, "markdown": path, "figure": path or None,
        "results": the JSON data}``.

    Examples
    --------
    >>> run_benchmarks("/nonexistent/results", smoke=True)
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: out_dir: cannot write into '/nonexistent/results': its parent folder '/nonexistent' does not exist (tnrnn creates only the last folder of the path)
    """
    mode = "smoke" if smoke else "quick" if quick else "full"
    if settings is None:
        settings = settings_for(mode)
    elif not isinstance(settings, Settings):
        raise SpecError(f"settings must be a Settings; got {type(settings).__name__}")
    # Before any measurement: both folders must be writable (only their last
    # component may be new; parents are never created).
    from ..errors import check_output_dir

    out = check_output_dir(out_dir, option="out_dir")
    fig_dir = None if figure_dir is None else check_output_dir(figure_dir, option="figure_dir")
    started = time.perf_counter()
    configs = [("output", c) for c in settings.output] + [("grid", c) for c in settings.grid]
    total = 1 + sum(len(c[4]) for _, c in configs)
    done = [0]

    def tick(label):
        done[0] += 1
        if progress is not None:
            progress(done[0], total, label)

    info = machine_info()
    rates = matmul_rates(settings.matmul_sizes, settings.matmul_repeat)
    tick("dense matmul rate")
    workloads = [_sweep(kind, cfg, settings, rates["peak_gflops"], tick)
                 for kind, cfg in configs]
    suffix = "" if mode == "full" else f"-{mode}"
    results = {
        "benchmark": "contract", "mode": mode,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": info, "matmul": rates,
        "settings": {k: v for k, v in dataclasses.asdict(settings).items()},
        "engines": {e: ENGINES[e] for e in settings.engines},
        "tolerance": "max|y - y_rec| / max|y_rec| <= 1e-9 (float64)",
        "rate_note": RATE_NOTE,
        "flop_convention": "opt_einsum opt_cost: product of the sizes of every index "
                           "in a step, times 2 when an index is summed",
        "workloads": workloads,
        "summary": _summarize(workloads),
    }
    results["elapsed_s"] = time.perf_counter() - started
    out.mkdir(exist_ok=True)
    figure = None
    if fig_dir is not None:
        fig_dir.mkdir(exist_ok=True)
        figure = plot_cost_vs_T(results, fig_dir / f"bench_cost_vs_T{suffix}")
        results["figure"] = str(figure)
    jpath, mpath = out / f"contract{suffix}.json", out / f"contract{suffix}.md"
    atomic_write_text(jpath, json.dumps(json_safe(results), indent=1, allow_nan=False) + "\n",
                      what="the benchmark results")
    atomic_write_text(mpath, markdown_report(results), what="the benchmark report")
    return {"json": jpath, "markdown": mpath, "figure": figure, "results": results}
