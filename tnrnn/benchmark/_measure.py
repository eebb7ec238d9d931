"""Measuring: the machine, the reference matmul rate, every engine at one
point (checked against the recurrence, then timed), and a sweep over T
with refusals up front."""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from ..circuit import RAC, evaluate
from ..compile import compile_network, estimate_size
from .._io import cpu_model  # noqa: F401  (re-exported by tnrnn.benchmark)
from .._io import machine_info as _machine_info
from ..errors import SpecError, TooLargeError
from ._common import ENGINES, _flops_of, _has
from ._costs import benchmark_problem, log_abs_outputs, recurrence_flops, unit_order_flops

# --------------------------------------------------------------------------
# Machine and reference rate
# --------------------------------------------------------------------------
#: The packages whose versions a benchmark records (beside Python's).
BENCH_PACKAGES = ("numpy", "jax", "jaxlib", "opt_einsum", "cotengra", "tensornetwork", "quimb")


def machine_info() -> dict:
    """The machine a benchmark ran on: :func:`tnrnn._io.machine_info` with
    the versions of the contraction engines and the platforms JAX sees
    (``gpu`` says whether JAX ran on one; numpy, cotengra and quimb always
    run on the CPU).

    Returns
    -------
    dict
        ``cpu``, ``cores``, ``memory_bytes``, ``platform``, ``versions``,
        ``jax_devices``, ``gpu`` and ``load_average``.

    Examples
    --------
    >>> import os
    >>> info = machine_info()
    >>> info["cores"] == os.cpu_count(), info["cpu"] == cpu_model(), info["versions"]["numpy"] == np.__version__
    (True, True, True)
    """
    try:
        import jax

        devices = sorted({d.platform for d in jax.devices()})
    except Exception:  # noqa: BLE001
        devices = []
    info = _machine_info(packages=BENCH_PACKAGES, devices=devices)
    gpus = [d for d in devices if d != "cpu"]
    info["gpu"] = ("JAX engines on " + ", ".join(gpus) + "; numpy, cotengra and quimb on the CPU"
                   if gpus else "none (JAX sees no GPU; every engine ran on the CPU)")
    return info


def matmul_rates(sizes=(512, 1024), repeat: int = 3) -> dict:
    """Dense float64 matrix-product rates (GFLOP/s, ``2n^3`` flops over the
    median time) with numpy and with jitted JAX; ``peak_gflops`` is the best
    of them, the reference of every *fraction of peak* in the report.

    Parameters
    ----------
    sizes : tuple of int, default (512, 1024)
        Matrix sizes ``n``.
    repeat : int, default 3
        Timed calls per size (the median is kept).

    Returns
    -------
    dict
        ``{"numpy": rows, "jax": rows, "peak_gflops", "peak_engine", "peak_n"}``,
        a row per size with ``n``, ``flops``, ``median_s`` and ``gflops``.

    Examples
    --------
    >>> r = matmul_rates((32,), repeat=1)
    >>> row = r["numpy"][0]
    >>> row["flops"] == 2 * 32 ** 3, r["peak_gflops"] == max(x["gflops"] for e in ("numpy", "jax") for x in r[e])
    (True, True)
    """
    from ..contract.compare import dense_matmul_seconds

    out: dict = {}
    for engine in ("numpy", "jax"):
        rows = []
        for n in sizes:
            r = dense_matmul_seconds(n, engine=engine, repeat=repeat)
            r["gflops"] = r["flops"] / r["median_s"] / 1e9
            rows.append(r)
        out[engine] = rows
    best = max((r["gflops"], e, r["n"]) for e in ("numpy", "jax") for r in out[e])
    out["peak_gflops"], out["peak_engine"], out["peak_n"] = best
    return out


# --------------------------------------------------------------------------
# Engines on one point
# --------------------------------------------------------------------------
def _cotengra_finder(repeats: int) -> Callable:
    from ..contract.paths import cotengra_path

    def finder(inputs, output, size_dict):
        return cotengra_path(inputs, output, size_dict, seed=0, max_repeats=repeats)
    return finder


def _prepare(engine, ctx):
    """``(run, cost dict, path seconds, route)`` for one engine at one point."""
    from ..contract import compare, evaluate_jax, plan_contraction, plan_grid, prepare

    spec, net, params, N, kind = ctx["spec"], ctx["net"], ctx["params"], ctx["N"], ctx["kind"]
    if engine in ("tnrnn", "tnrnn-numpy", "tnrnn-batch"):
        # The public route, prepared once (parameters checked, weights
        # filled) as every peer keeps its prepared weights between calls.
        eng = "numpy" if engine == "tnrnn-numpy" else "jax"
        grid = kind == "grid" and engine != "tnrnn-batch"
        t0 = time.perf_counter()
        plan = plan_grid(net) if grid else plan_contraction(net, batch=N)
        path_s = time.perf_counter() - t0
        ctx.setdefault("executed", {})[engine] = plan.executed_flops
        run = prepare(net, spec, params, engine=eng)
        if grid:
            return ((lambda X: run.grid()), plan.cost, path_s,
                    f"prepare(engine={eng!r}).grid() (= contract_grid)")
        return (run, plan.cost, path_s,
                f"prepare(engine={eng!r})(X) (= contract_network)")
    if engine == "tensornetwork-jax":
        r = compare.tensornetwork_jax_runner(net, spec, params)
        return r.run, r.cost, r.path_s, r.route
    if engine in ("cotengra", "quimb"):
        view = "batch" if kind == "output" else "grid"
        if ctx.get("ctg_path") is None:
            v = compare.make_view(net, view, batch=N)
            from ..contract import find_path

            t0 = time.perf_counter()
            path, _ = find_path(v.inputs, v.output, v.size_dict,
                                _cotengra_finder(ctx["settings"].cotengra_repeats))
            ctx["ctg_path"], ctx["ctg_s"] = path, time.perf_counter() - t0
        make = compare.cotengra_runner if engine == "cotengra" else compare.quimb_runner
        r = make(net, spec, params, view=view, batch=N, optimize=ctx["ctg_path"])
        fn = r.run if kind == "output" else (lambda X: r.run(None))
        return fn, r.cost, ctx["ctg_s"], r.route
    if engine == "recurrence-jax":
        return (lambda X: evaluate_jax(spec, params, X)), None, 0.0, "evaluate_jax"
    if engine == "recurrence-numpy":
        return (lambda X: evaluate(spec, params, X)), None, 0.0, "circuit.evaluate"
    raise SpecError(f"unknown engine {engine!r}; valid names: {', '.join(ENGINES)}")


def _rel_err(y, ref) -> tuple:
    """Normwise ``max|y - ref| / max|ref|`` (the check) and the largest
    per-sequence relative error (reported only: an output near zero by
    cancellation has a large one whatever the engine)."""
    y = np.asarray(y, dtype=float).reshape(ref.shape)
    scale = float(np.max(np.abs(ref))) or 1.0
    diff = np.abs(y - ref)
    rows = diff.reshape(len(ref), -1).max(axis=1) / np.maximum(
        np.abs(ref).reshape(len(ref), -1).max(axis=1), np.finfo(float).tiny)
    return float(diff.max()) / scale, float(rows.max())


def _time_engine(engine, ctx, X, ref, repeat, peak) -> dict:
    run, cost, path_s, route = _prepare(engine, ctx)
    t0 = time.perf_counter()
    y = run(X)
    first = time.perf_counter() - t0
    err, row_err = _rel_err(y, ref)
    rec = {"status": "ok", "route": route, "path_s": path_s, "first_s": first,
           "max_rel_err": err, "max_row_rel_err": row_err,
           "checked_against": "recurrence-numpy"}
    if cost is None:
        rec.update(flops=recurrence_flops(ctx["spec"], ctx["N"]), max_intermediate=None,
                   path="recurrence (closed form F_rec)")
    else:
        rec.update(flops=cost.flops, max_intermediate=cost.max_intermediate,
                   path=cost.optimize)
        executed = ctx.get("executed", {}).get(engine)
        if executed is not None:
            rec["executed_flops"] = executed
    if not err <= ctx["tol"]:
        rec.update(status="mismatch", checked=False)
        return rec
    rec["checked"] = True
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(X)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    rec.update(median_s=med, min_s=min(times), repeat=repeat,
               gflops=rec["flops"] / med / 1e9 if med > 0 else None)
    rec["fraction_of_peak"] = rec["gflops"] / peak if rec["gflops"] else None
    return rec


def _predict(history, size):
    """Seconds predicted at ``size`` from ``[(size, seconds), ...]``: a power
    law through the last two points (exponent clamped to [1, 3]), linear from
    one point."""
    if not history:
        return None
    (n2, t2) = history[-1]
    alpha = 1.0
    if len(history) >= 2:
        n1, t1 = history[-2]
        if n2 > n1 and t1 > 0 and t2 > 0:
            alpha = min(3.0, max(1.0, math.log(t2 / t1) / math.log(n2 / n1)))
    return t2 * (size / n2) ** alpha


def _refusal(kind: str, message: str, *, estimate, limit) -> TooLargeError:
    exc = TooLargeError(message, estimate=estimate, limit=limit)
    exc.kind = kind
    return exc


def _point(kind, L, R, M, N, T, settings, state, peak) -> dict:
    """Measure every engine at one point; ``state`` carries each engine's
    history (for the time predictions) across the sweep."""
    spec = RAC(L, R, M, T)
    row: dict = {"T": T, "engines": {}}
    est = estimate_size(spec)
    row["tensors"] = est.tensors
    if est.tensors > settings.max_tensors:
        raise _refusal("size", 
            f"network of {est.tensors:,} tensors (estimate_size) exceeds "
            f"max_tensors={settings.max_tensors:,}", estimate=est.tensors,
            limit=settings.max_tensors)
    if N is None:
        N = M**T
    # Memory: inputs plus the batch route's largest state, or the grid itself.
    need = 8 * N * (T * M + 4 * R) * 2
    if need > settings.max_bytes:
        raise _refusal("memory", 
            f"about {need / 2**20:,.0f} MiB of inputs and states (N = {N:,} "
            f"sequences) exceeds max_bytes = {settings.max_bytes / 2**20:,.0f} MiB",
            estimate=need, limit=settings.max_bytes)
    net = compile_network(spec)
    params, X, delta = benchmark_problem(spec, kind, N, seed=0)
    logy = log_abs_outputs(spec, params, X)
    row["values"] = {"delta": delta, "log10_abs_y_min": float(logy.min() / math.log(10)),
                     "log10_abs_y_max": float(logy.max() / math.log(10))}
    ref = evaluate(spec, params, X)
    size = len(net.folded_tensor_positions()) + len(net.input_legs())
    row.update(batch=N, operands=size)
    row["flops"] = {"recurrence": recurrence_flops(spec, N),
                    "unit_order": unit_order_flops(spec, N),
                    "duplication_closed_form": (math.comb(T + L, L) - 1) / (T * L)}
    ctx = {"spec": spec, "net": net, "params": params, "N": N, "kind": kind,
           "settings": settings, "tol": 1e-9}
    for engine in settings.engines:
        if engine == "tnrnn-batch" and kind != "grid":
            continue
        if engine == "quimb" and not _has("quimb"):
            row["engines"][engine] = {"status": "absent", "reason": "quimb not installed"}
            continue
        hist = state.setdefault(engine, [])
        pred = _predict(hist, size)
        shared = engine in ("cotengra", "quimb")
        searched = shared and ctx.get("ctg_path") is not None
        if shared and not searched:
            # One search serves both engines; both are refused together.
            cpred = _predict(state.setdefault("cotengra-search", []), size)
            if cpred and cpred > settings.cotengra_budget_s:
                row["engines"][engine] = {
                    "status": "refused", "reason": "cotengra path search",
                    "estimate_s": cpred, "budget_s": settings.cotengra_budget_s}
                continue
        if pred is not None and pred > settings.budget_s:
            row["engines"][engine] = {"status": "refused", "reason": "time",
                                      "estimate_s": pred, "budget_s": settings.budget_s}
            continue
        try:
            t0 = time.perf_counter()
            rec = _time_engine(engine, ctx, X, ref, settings.repeat, peak)
            total = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
            row["engines"][engine] = {"status": "error",
                                      "error": f"{type(exc).__name__}: {exc}"}
            continue
        if shared and not searched:
            total -= ctx["ctg_s"]
            state["cotengra-search"].append((size, ctx["ctg_s"]))
        hist.append((size, total))
        row["engines"][engine] = rec
    row["flops"]["tnrnn"] = _flops_of(row, "tnrnn")
    row["flops"]["tnrnn_executed"] = row["engines"].get("tnrnn", {}).get("executed_flops")
    row["flops"]["cotengra"] = _flops_of(row, "cotengra")
    return row


def _sweep(kind, cfg, settings, peak, tick) -> dict:
    L, R, M, N, lengths = cfg
    state: dict = {}
    points, stopped = [], None
    for T in lengths:
        label = f"{kind} depth {L} T={T}"
        if stopped is not None:
            tick(label + " (skipped)")
            continue
        try:
            row = _point(kind, L, R, M, N, T, settings, state, peak)
        except TooLargeError as exc:
            stopped = {"T": T, "reason": str(exc), "estimate": exc.estimate,
                       "limit": exc.limit, "kind": getattr(exc, "kind", "size")}
        else:
            points.append(row)
            d = row["engines"].get("tnrnn", {})
            if d.get("status") == "refused":
                stopped = {"T": T, "kind": "time",
                           "reason": f"tnrnn default predicted {d['estimate_s']:.1f} s "
                                     f"(first call + {settings.repeat} repeats, "
                                     f"extrapolated) > budget {d['budget_s']:.0f} s",
                           "estimate": d["estimate_s"], "limit": d["budget_s"]}
        tick(label)
    if stopped is None:
        stopped = {"T": None, "kind": "none",
                   "reason": "end of the list of lengths (no limit reached)"}
    done = [p["T"] for p in points if p["engines"].get("tnrnn", {}).get("status") == "ok"]
    return {"kind": kind, "depth": L, "hidden": R, "input_dim": M,
            "batch": "M^T (all one-hot sequences)" if N is None else N,
            "points": points, "largest_T": max(done) if done else None,
            "stopped": stopped}
