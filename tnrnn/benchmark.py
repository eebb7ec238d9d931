"""Contraction-cost benchmarks: tnrnn's engines against other libraries and
against the step-by-step recurrence, on the same networks and inputs.

Presentation layer: it consumes :mod:`tnrnn.contract` (the only package that
imports JAX, tensornetwork, cotengra and quimb, see
:mod:`tnrnn.contract.compare`), :mod:`tnrnn.compile` and :mod:`tnrnn.circuit`,
and draws with matplotlib (imported only when the figure is drawn). The
command line calls :func:`run_benchmarks`; ``benchmarks/README.md`` says how
to read the results.

Workloads
---------
``output``
    One output value per sequence for a batch of ``N`` sequences: the
    compiled network (form ``"cp"``, copy tensors folded into hyperedges)
    with the input vectors ``X[:, t]`` on every copy of input leg ``t``. For
    depth 1, 2, 3, ``T`` grows until a limit refuses the next point.
``grid``
    The outputs on every one-hot sequence, the tensor ``A[s_1..s_T]`` whose
    Start-End matricization (rows ``s_1..s_{T/2}``, columns the rest) is the
    grid matrix of the rank analyses. Two sound routes, both exact: evaluate
    all ``M^T`` one-hot sequences as one batch (``tnrnn``, ``tnrnn-numpy``,
    ``tensornetwork-jax``, the recurrences), or contract once with the copies
    of each input leg joined into one open index (``tnrnn-open``,
    ``cotengra``, ``quimb``; :func:`tnrnn.contract.compare.grid_view`).

Engines (:data:`ENGINES`): ``tnrnn`` (the default of
:func:`tnrnn.contract.contract_network`), ``tnrnn-numpy``,
``tensornetwork-jax``, ``cotengra``, ``quimb`` (when installed), and the
recurrences ``recurrence-jax`` (:func:`tnrnn.contract.evaluate_jax`) and
``recurrence-numpy`` (:func:`tnrnn.circuit.evaluate`), which never build the
duplicated network. Every engine's result is compared with
``recurrence-numpy`` before it is timed; a mismatch is recorded and the
engine is not timed.

Costs (exact integers, opt_einsum's convention: a multiply-add counts 2)
-------------------------------------------------------------------------
**[derived]** The recurrence (``tnrnn.circuit.evaluate``) on ``N`` sequences
does, per layer ``l`` and step, ``h W_H^T`` (``2NR^2``), ``below W_I^T``
(``2NR d_l`` with ``d_1 = M``, ``d_l = R`` above) and their Hadamard product
(``NR``), then the read-out ``2NKR``::

    F_rec = N (T sum_l (2R^2 + 2R d_l + R) + 2KR).

**[derived]** The *unit order* on the duplicated network (form ``"cp"``,
copies folded, batch ``N``; :func:`unit_order_path`) contracts every unit
copy as the recurrence computes a unit: ``W_I`` with what is below it
(``2NR d_l``), ``W_H`` with the previous state (``2NR^2``, or ``2R^2`` when
that state is ``h0``, which carries no batch index), their Hadamard product
(``NR``, nothing summed: the hyperedge is still carried by the consumer),
and the read-out ``W_O`` last (``2NKR``). With ``n_l = C(T+L-l, L-l+1)``
copies of layer-``l`` units, of which ``s_l = C(T-1+L-l, L-l)`` sit at
``t = 1``::

    F_unit = sum_l [n_l (2NR d_l + NR) + (n_l - s_l) 2NR^2 + s_l 2R^2] + 2NKR.

For ``L = 1``: ``F_unit = T (2NRM + NR) + (T-1) 2NR^2 + 2R^2 + 2NKR``, the
recurrence's cost less ``2(N-1)R^2``. For deep networks
``F_unit / F_rec -> (C(T+L, L) - 1) / (T L)`` (copies over units, for
``M = R``): the duplication factor, which no contraction order removes, since
every order must combine every copy's weights with its input at least once.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> recurrence_flops(RAC(1, 2, 3, 4), 5)
460
>>> unit_order_flops(RAC(1, 2, 3, 4), 5)
428
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import pathlib
import platform
import time
from typing import Callable

import numpy as np

from .circuit import RAC, evaluate, one_hot
from .compile import compile_network, estimate_size
from .errors import SpecError, TooLargeError
from .network import Network

__all__ = [
    "ENGINES",
    "MODES",
    "Settings",
    "settings_for",
    "run_benchmarks",
    "machine_info",
    "matmul_rates",
    "recurrence_flops",
    "unit_order_flops",
    "unit_order_path",
    "benchmark_problem",
    "log_abs_outputs",
    "one_hot_sequences",
    "markdown_report",
    "plot_cost_vs_T",
]

#: Engines, in report order, with what each runs.
ENGINES = {
    "tnrnn": "tnrnn default: contract_network(engine='jax', optimize='auto'), "
             "jitted JAX along the cached plan",
    "tnrnn-numpy": "contract_network(engine='numpy'): the same plan, eager, "
                   "opt_einsum per step",
    "tnrnn-open": "grid only: tnrnn's plan on the open-leg view, jitted JAX",
    "tensornetwork-jax": "tensornetwork 0.4.6, jax backend, jit+vmap over the "
                         "batch, explicit copy tensors",
    "cotengra": "cotengra HyperOptimizer path (seeded, greedy trials) + "
                "ContractionTree.contract on numpy",
    "quimb": "quimb TensorNetwork.contract with the same cotengra tree",
    "recurrence-jax": "evaluate_jax: jit + lax.scan, no network built",
    "recurrence-numpy": "tnrnn.circuit.evaluate: numpy loop, no network built "
                        "(the reference)",
}
_RECURRENCES = ("recurrence-jax", "recurrence-numpy")
#: What ``gflops`` and ``fraction_of_peak`` mean (also in the JSON).
RATE_NOTE = ("gflops = the exact FLOPs of the engine's path / median seconds; "
             "fraction_of_peak = gflops / matmul.peak_gflops. Values above 1 "
             "(jitted JAX on deep networks) mean the compiled program does fewer "
             "operations than the path: XLA's common-subexpression elimination "
             "merges duplicated unit copies, which compute equal values.")
MODES = ("smoke", "quick", "full")


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures and its limits.

    ``output`` and ``grid`` hold ``(depth, hidden R, input_dim M, batch N or
    None, lengths)`` sweeps (``None``: ``N = M^T``, all one-hot sequences).
    ``budget_s`` caps the predicted seconds of one engine at one point (first
    call plus repeats, extrapolated from the previous points of the sweep);
    ``max_tensors`` and ``max_bytes`` refuse points before they are built.
    """

    mode: str
    output: tuple
    grid: tuple
    engines: tuple
    repeat: int
    budget_s: float
    cotengra_repeats: int
    cotengra_budget_s: float
    max_tensors: int
    max_bytes: int
    matmul_sizes: tuple
    matmul_repeat: int


def settings_for(mode: str) -> Settings:
    """The settings of ``"smoke"`` (< 20 s), ``"quick"`` (< 3 min on 2
    cores) or ``"full"``."""
    base = ("tnrnn", "tnrnn-numpy", "tnrnn-open", "tensornetwork-jax",
            "cotengra", "quimb", "recurrence-jax", "recurrence-numpy")
    if mode == "smoke":
        return Settings(mode, output=((1, 3, 2, 8, (4,)), (2, 2, 2, 8, (3,))),
                        grid=((2, 2, 2, None, (4,)),),
                        engines=tuple(e for e in base if e != "quimb"), repeat=2,
                        budget_s=5.0, cotengra_repeats=2, cotengra_budget_s=3.0,
                        max_tensors=2_000, max_bytes=2**28, matmul_sizes=(128,),
                        matmul_repeat=2)
    if mode == "quick":
        return Settings(mode,
                        output=((1, 8, 8, 256, (8, 32, 128, 512)),
                                (2, 8, 8, 256, (4, 8, 16, 32)),
                                (3, 8, 8, 256, (4, 8, 16, 24))),
                        grid=((1, 4, 2, None, (12,)), (2, 4, 2, None, (10,)),
                              (3, 3, 2, None, (8,))),
                        engines=tuple(e for e in base if e != "quimb"), repeat=3,
                        budget_s=6.0, cotengra_repeats=4, cotengra_budget_s=8.0,
                        max_tensors=5_000, max_bytes=2**30,
                        matmul_sizes=(512, 1024), matmul_repeat=3)
    if mode == "full":
        return Settings(mode,
                        output=((1, 8, 8, 256, (8, 16, 32, 64, 128, 256, 512, 1024,
                                                2048, 4096)),
                                (2, 8, 8, 256, (4, 8, 16, 32, 48, 64, 96, 128, 192,
                                                256)),
                                (3, 8, 8, 256, (4, 8, 12, 16, 20, 24, 32, 40, 48,
                                                64))),
                        grid=((1, 4, 2, None, (8, 12, 16, 20, 32)),
                              (2, 4, 2, None, (8, 12, 16, 32)),
                              (3, 3, 2, None, (8, 12, 16, 32))),
                        engines=base, repeat=7, budget_s=60.0, cotengra_repeats=32,
                        cotengra_budget_s=90.0, max_tensors=60_000,
                        max_bytes=2**32, matmul_sizes=(256, 512, 1024, 2048),
                        matmul_repeat=5)
    raise SpecError(f"mode must be one of {MODES}; got {mode!r}")


# --------------------------------------------------------------------------
# Machine and reference rate
# --------------------------------------------------------------------------
def machine_info() -> dict:
    """CPU model (``/proc/cpuinfo``), cores, memory, versions; GPU: none used
    (every engine runs on the CPU: JAX is the CPU build)."""
    cpu, mem = None, None
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("jax", "jaxlib", "opt_einsum", "cotengra", "tensornetwork", "quimb"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional peers, any failure = absent
            versions[mod] = None
    try:
        import jax

        devices = sorted({d.platform for d in jax.devices()})
    except Exception:  # noqa: BLE001
        devices = []
    return {"cpu": cpu or platform.processor() or "unknown",
            "cores": os.cpu_count(), "memory_bytes": mem,
            "platform": platform.platform(), "versions": versions,
            "jax_devices": devices,
            "gpu": "none (no GPU on this machine; every engine ran on the CPU)",
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def matmul_rates(sizes=(512, 1024), repeat: int = 3) -> dict:
    """Dense float64 matrix-product rates (GFLOP/s, ``2n^3`` flops over the
    median time) with numpy and with jitted JAX; ``peak_gflops`` is the best
    of them, the reference of every *fraction of peak* in the report."""
    from .contract.compare import dense_matmul_seconds

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
# Closed forms and the unit order
# --------------------------------------------------------------------------
def recurrence_flops(spec: RAC, batch: int) -> int:
    """``F_rec`` of the module docstring: what ``tnrnn.circuit.evaluate``
    does on ``batch`` sequences."""
    R, K, T = spec.hidden, spec.outputs, spec.length
    per_step = sum(2 * R * R + 2 * R * spec.layer_input_dim(l) + R
                   for l in range(1, spec.depth + 1))
    return batch * (T * per_step + 2 * K * R)


def unit_order_flops(spec: RAC, batch: int) -> int:
    """``F_unit`` of the module docstring: the unit order on the duplicated
    network (closed form; :func:`unit_order_path` builds the path)."""
    T, L, R, K, N = spec.length, spec.depth, spec.hidden, spec.outputs, batch
    total = 2 * N * K * R
    for l in range(1, L + 1):
        n = math.comb(T + L - l, L - l + 1)
        s = math.comb(T - 1 + L - l, L - l)
        d = spec.layer_input_dim(l)
        total += n * (2 * N * R * d + N * R) + (n - s) * 2 * N * R * R + s * 2 * R * R
    return total


def unit_order_path(net: Network) -> list:
    """The unit order (module docstring) as a linear path for
    ``network_view(net, batch=N)`` (form ``"cp"``, copies folded)."""
    from .contract import network_view
    from .contract.pathutils import ssa_to_linear

    if net.meta.get("form") != "cp":
        raise SpecError("the unit order is defined for form 'cp' networks")
    v = network_view(net, batch=1)
    pos = {net.tensors[p].name: k for k, (kind, p) in enumerate(v.sources)
           if kind == "tensor"}
    n_t = len(pos)
    leg_op = {}
    for leg in net.legs:
        if leg.role == "input":
            leg_op[leg.index] = n_t + len(leg_op)
    ssa: list = []
    fresh = [len(v.inputs)]

    def join(a, b):
        ssa.append((a, b))
        fresh[0] += 1
        return fresh[0] - 1

    by_name = {t.name: t for t in net.tensors}
    done: dict = {}
    root = next(t for t in net.tensors if t.kind == "W_O")
    top = root.indices[1][1:]  # "h{T}.{L}#0" -> tag
    stack = [top]
    while stack:
        tag = stack[-1]
        H, I = by_name[f"H{tag}"], by_name[f"I{tag}"]
        prev, below = H.indices[1], I.indices[1]
        need = [ix[1:] for ix in (prev, below) if ix.startswith("h") and ix[1:] not in done]
        if need:
            stack.extend(need)
            continue
        stack.pop()
        if tag in done:
            continue
        if below.startswith("x"):
            b = join(pos[I.name], leg_op[below])
        else:
            b = join(pos[I.name], done[below[1:]])
        if prev.startswith("s"):
            h = join(pos[H.name], pos[f"S{prev[1:]}"])
        else:
            h = join(pos[H.name], done[prev[1:]])
        done[tag] = join(h, b)
    join(pos[root.name], done[top])
    return ssa_to_linear(ssa, len(v.inputs))


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------
def log_abs_outputs(spec: RAC, params, X) -> np.ndarray:
    """``log |y|`` per sequence (largest output), by a recurrence whose
    states are renormalised every step (their logarithmic scales carried
    apart), so it neither under- nor overflows however long the sequence."""
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    below = [X[:, t] for t in range(spec.length)]
    below_log = [np.zeros(n) for _ in range(spec.length)]
    for l in range(spec.depth):
        h = np.broadcast_to(params.h0[l], (n, spec.hidden)).astype(float)
        hlog = np.zeros(n)
        out, out_log = [], []
        for t in range(spec.length):
            h = (h @ params.W_H[l].T) * (below[t] @ params.W_I[l].T)
            norm = np.linalg.norm(h, axis=1)
            norm = np.where(norm > 0, norm, 1.0)
            h = h / norm[:, None]
            hlog = hlog + below_log[t] + np.log(norm)
            out.append(h)
            out_log.append(hlog)
        below, below_log = out, out_log
    y = np.abs(below[-1] @ params.W_O.T).max(axis=1)
    return below_log[-1] + np.log(np.where(y > 0, y, np.finfo(float).tiny))


def benchmark_problem(spec: RAC, kind: str, batch: int, *, seed: int = 0,
                      max_log_range: float = 40.0):
    """Weights and inputs ``(params, X, delta)`` whose values stay of order
    one, however long or deep the circuit.

    Generic Gaussian weights do not: the output is a polynomial of degree
    ``C(T+L-1, L)`` in the inputs, and products of that many Gaussian
    factors drift by about ``-1.3`` (natural log) per factor and spread
    across sequences like ``T^(L-1/2)``: float64 under- or overflows within
    a few hundred steps at depth 1 and a few dozen at depth 3, which makes
    comparing results vacuous, and subnormal numbers slow the arithmetic
    down. So every factor is kept near 1: ``h0 = 1``, ``W_H = I + delta
    G / sqrt(R)``, ``W_I[1] = 1 + delta G / sqrt(M)`` (``R x M`` ones plus
    noise), ``W_I[l] = (1 + delta G) / R`` above, ``W_O = G / sqrt(R)``, and
    inputs ``x = (1 + delta g) / M`` (``kind="output"``) or every one-hot
    sequence (``kind="grid"``, ``batch`` ignored), with ``G, g`` standard
    normal. The states stay near the all-ones vector; ``delta`` starts at
    0.5 and is halved until ``log |y|`` spans less than ``max_log_range``
    over the batch (:func:`log_abs_outputs`). Timings do not depend on the
    values otherwise (dense float64 arithmetic).
    """
    from .circuit import RACParams

    rng = np.random.default_rng(seed)
    R, M, T, L, K = spec.hidden, spec.input_dim, spec.length, spec.depth, spec.outputs
    G_H = [rng.standard_normal((R, R)) for _ in range(L)]
    G_I = [rng.standard_normal((R, spec.layer_input_dim(l + 1))) for l in range(L)]
    W_O = rng.standard_normal((K, R)) / math.sqrt(R)
    if kind == "grid":
        X = one_hot_sequences(T, M)
    else:
        g = np.random.default_rng(seed + 1).standard_normal((batch, T, M))
    delta = 0.5
    while True:
        if kind != "grid":
            X = (1.0 + delta * g) / M
        W_I = [np.ones((R, M)) + delta * G_I[0] / math.sqrt(M)]
        W_I += [(np.ones((R, R)) + delta * G_I[l]) / R for l in range(1, L)]
        params = RACParams(
            W_H=tuple(np.eye(R) + delta * G / math.sqrt(R) for G in G_H),
            W_I=tuple(W_I), W_O=W_O, h0=tuple(np.ones(R) for _ in range(L)))
        logy = log_abs_outputs(spec, params, X)
        spread = float(np.max(logy) - np.min(logy))
        if (np.all(np.isfinite(logy)) and spread < max_log_range
                and np.max(np.abs(logy)) < 300) or delta < 1e-6:
            return params, X, delta
        delta /= 2


def one_hot_sequences(T: int, M: int) -> np.ndarray:
    """All ``M^T`` one-hot sequences ``(M^T, T, M)`` in lexicographic order
    (sequence ``k`` has digits ``s_1 .. s_T`` of ``k`` in base ``M``), so the
    outputs reshape to ``A[s_1, ..., s_T]``."""
    digits = np.indices((M,) * T).reshape(T, -1).T
    return one_hot(digits, M)


# --------------------------------------------------------------------------
# Engines on one point
# --------------------------------------------------------------------------
def _cotengra_finder(repeats: int) -> Callable:
    from .contract.paths import cotengra_path

    def finder(inputs, output, size_dict):
        return cotengra_path(inputs, output, size_dict, seed=0, max_repeats=repeats)
    return finder


def _prepare(engine, ctx):
    """``(run, cost dict, path seconds, route)`` for one engine at one point."""
    from .contract import compare, contract_network, evaluate_jax, plan_contraction

    spec, net, params, N, kind = ctx["spec"], ctx["net"], ctx["params"], ctx["N"], ctx["kind"]
    if engine in ("tnrnn", "tnrnn-numpy"):
        t0 = time.perf_counter()
        plan = plan_contraction(net, batch=N)
        path_s = time.perf_counter() - t0
        eng = "jax" if engine == "tnrnn" else "numpy"
        return (lambda X: contract_network(net, spec, params, X, engine=eng),
                plan.cost, path_s, f"contract_network(engine={eng!r})")
    if engine == "tnrnn-open":
        r = compare.program_runner(net, spec, params, view="grid", engine="jax")
        return (lambda X: r.run(None)), r.cost, r.path_s, r.route
    if engine == "tensornetwork-jax":
        r = compare.tensornetwork_jax_runner(net, spec, params)
        return r.run, r.cost, r.path_s, r.route
    if engine in ("cotengra", "quimb"):
        view = "batch" if kind == "output" else "grid"
        if ctx.get("ctg_path") is None:
            v = compare.make_view(net, view, batch=N)
            from .contract import find_path

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
        if engine == "tnrnn-open" and kind != "grid":
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
    row["flops"]["cotengra"] = _flops_of(row, "cotengra")
    return row


def _flops_of(row, engine):
    rec = row["engines"].get(engine, {})
    return rec.get("flops") if rec.get("status") in ("ok", "mismatch") else None


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --------------------------------------------------------------------------
# Sweeps and summary
# --------------------------------------------------------------------------
_CONTRACTION_PEERS = ("tnrnn-numpy", "tensornetwork-jax", "cotengra", "quimb")


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


def _steady(row, engine):
    rec = row["engines"].get(engine, {})
    return rec.get("median_s") if rec.get("status") == "ok" else None


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
    ``tnrnn-open`` (tnrnn's own plan on the open-leg grid view, not a public
    route) are reported apart."""
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
                if _steady(p, "tnrnn-open"):
                    entry["open_vs_best_other"] = _steady(p, "tnrnn-open") / min(peers)
            ref = "tnrnn-open" if kind == "grid" else "tnrnn"
            fa, fb = _flops_of(p, ref), _flops_of(p, "cotengra")
            if fa and fb:
                entry["flops_vs_cotengra"] = fa / fb
            if _flops_of(p, ref):
                entry["flops_vs_recurrence"] = _flops_of(p, ref) / p["flops"]["recurrence"]
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
        "open_grid_vs_best_other": _stats(pick("open_vs_best_other", "grid")),
        "flops_vs_cotengra": flops,
        "flops_vs_recurrence": {k: _stats(pick("flops_vs_recurrence", k))
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
    """
    mode = "smoke" if smoke else "quick" if quick else "full"
    if settings is None:
        settings = settings_for(mode)
    elif not isinstance(settings, Settings):
        raise SpecError(f"settings must be a Settings; got {type(settings).__name__}")
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
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figure = None
    if figure_dir is not None:
        figure = plot_cost_vs_T(results, pathlib.Path(figure_dir) / f"bench_cost_vs_T{suffix}")
        results["figure"] = str(figure)
    jpath, mpath = out / f"contract{suffix}.json", out / f"contract{suffix}.md"
    jpath.write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    mpath.write_text(markdown_report(results))
    return {"json": jpath, "markdown": mpath, "figure": figure, "results": results}


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


# --------------------------------------------------------------------------
# Presentation: Markdown and the figure
# --------------------------------------------------------------------------
def _fmt_s(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} us"


def _cell(row, engine, ref_engine, field="median_s"):
    rec = row["engines"].get(engine)
    if rec is None:
        return "n/a"
    st = rec.get("status")
    if st == "refused":
        return f"refused (est. {rec['estimate_s']:.1f} s)"
    if st in ("absent", "error", "mismatch"):
        return st + (f" ({rec['max_rel_err']:.1e})" if st == "mismatch" else "")
    val = rec.get(field)
    ref = row["engines"].get(ref_engine, {}).get(field)
    if engine == ref_engine or not ref or not val:
        return f"**{_fmt_s(val)}**" if engine == ref_engine else _fmt_s(val)
    return f"{_fmt_s(val)} ({ref / val:.2f})"


_FLAG = {"full": "", "quick": " --quick", "smoke": " --smoke"}


def _pct(x):
    return "-" if not x else f"{100 * x:.2g}%"


def _sci(x):
    return "-" if x is None else f"{x:.3g}"


def markdown_report(results: dict) -> str:
    """The readable report: machine, reference rate, targets, then per
    workload and depth the steady-state and first-call tables (engines as
    columns, ``tnrnn / engine`` ratios beside each time) and the FLOP table."""
    m, mm, s = results["machine"], results["matmul"], results["settings"]
    v = m["versions"]
    lines = [f"# Contraction-cost benchmark (`{results['mode']}` run)", "",
             "Generated by `tnrnn.benchmark.run_benchmarks` (`tnrnn bench"
             f"{_FLAG[results['mode']]}` or `benchmarks/bench_contract.py"
             f"{_FLAG[results['mode']]}`) on {results['created']}, "
             f"{results['elapsed_s']:.0f} s in all.", "",
             f"**Machine**: {m['cpu']}, {m['cores']} cores, "
             f"{(m['memory_bytes'] or 0) / 2**30:.0f} GiB; {m['platform']}; Python "
             f"{v['python']}, numpy {v['numpy']}, jax {v['jax']} (devices: "
             f"{', '.join(m['jax_devices']) or '?'}), opt_einsum {v['opt_einsum']}, "
             f"cotengra {v['cotengra']}, tensornetwork {v['tensornetwork']}, quimb "
             f"{v['quimb']}. **GPU: none** -- every engine ran on the CPU.", "",
             "**Dense float64 matmul** (median of "
             f"{s['matmul_repeat']}): " + "; ".join(
                 f"{e} " + ", ".join(f"n={r['n']}: {r['gflops']:.1f}" for r in mm[e])
                 for e in ("numpy", "jax")) + " GFLOP/s. Reference peak for the "
             f"*% of peak* columns: **{mm['peak_gflops']:.1f} GFLOP/s** ({mm['peak_engine']}, "
             f"n={mm['peak_n']}).", "",
             "**Method**: every engine's result is compared with the recurrence "
             f"(`recurrence-numpy`, {results['tolerance']}) before it is timed; then "
             f"one first call (JAX tracing and compilation included; path search "
             f"reported apart) and the **median of {s['repeat']} further calls**. Times "
             "in brackets are ratios *tnrnn time / engine time* (below 1: tnrnn "
             "faster). FLOPs are exact (tnrnn's cost model, "
             f"{results['flop_convention']}). Per engine and point the time is "
             "predicted from the previous points of the sweep; an engine is refused "
             f"above {s['budget_s']:.0f} s (cotengra's path search above "
             f"{s['cotengra_budget_s']:.0f} s; {s['cotengra_repeats']} greedy trials), a "
             f"network above {s['max_tensors']:,} tensors, a batch above "
             f"{s['max_bytes'] / 2**20:,.0f} MiB.", ""]
    summ = results["summary"]
    lines += ["## Targets", ""]
    names = {"output": "one output per sequence", "grid": "one-hot grid"}
    for kind, rk in summ["ratio_vs_best_other"].items():
        if rk["points"]:
            lines.append(
                f"- {names[kind]}: tnrnn default / best other contraction engine "
                f"(steady state; other = tnrnn-numpy, tensornetwork-jax, cotengra, quimb): "
                f"geometric mean **{rk['geomean']:.2g}**, range {rk['min']:.2g} to "
                f"{rk['max']:.3g}; <= 1.0 at {rk['points_at_or_below_1']} of "
                f"{rk['points']} points (goal: <= 1.0).")
    og = summ["open_grid_vs_best_other"]
    if og["points"]:
        lines.append(f"- one-hot grid, tnrnn's plan on the open-leg view (`tnrnn-open`) "
                     f"/ best other engine: geometric mean **{og['geomean']:.2g}**, range "
                     f"{og['min']:.2g} to {og['max']:.3g}.")
    for kind, fc in summ["flops_vs_cotengra"].items():
        if fc["points"]:
            lines.append(
                f"- {names[kind]}: FLOPs of tnrnn's path / cotengra's hyper-optimised "
                f"path on the same view: {fc['min']:.3f} to **{fc['max']:.3f}** over "
                f"{fc['points']} points (goal: <= 1.5: "
                f"{'met' if fc['within_1.5x'] else 'NOT met'}).")
    fr = summ["flops_vs_recurrence"]["output"]
    if fr["points"]:
        lines.append(f"- one output per sequence: FLOPs of tnrnn's path / the "
                     f"recurrence's: {fr['min']:.2f} to {fr['max']:.2f} (the duplication "
                     "gap; see the FLOP tables).")
    lines += ["", "*GFLOP/s and % of peak* divide the path's exact FLOPs by the median "
              "time. Above 100% (the jitted default on deep networks) is no measurement "
              "error: XLA's common-subexpression elimination merges the duplicated "
              "copies of a unit, which compute the same values from the same weights "
              "and inputs, so the compiled program does far fewer operations than the "
              "duplicated network's path (depth 2, T = 16: 457 einsum steps, 65 dot "
              "products after XLA's optimisation; depth 3, T = 12: 1,363 steps, 73 "
              "dots), close to the recurrence's. The eager engines (numpy, cotengra, "
              "quimb) do every operation of their path.", ""]
    for key, val in sorted(summ["ratio_tnrnn_over_engine"].items()):
        lines.append(f"- tnrnn / {key.split(':')[1]} ({key.split(':')[0]}): geometric "
                     f"mean {val['geomean']:.2g} (range {val['min']:.2g} to "
                     f"{val['max']:.3g}, {val['points']} points)")
    lines.append("")
    for w in results["workloads"]:
        lines += _workload_md(w, results)
    return "\n".join(lines) + "\n"


def _workload_md(w, results) -> list:
    engines = [e for e in results["engines"]
               if not (e == "tnrnn-open" and w["kind"] != "grid")]
    kind = w["kind"]
    title = ("one output per sequence" if kind == "output"
             else "one-hot grid A[s_1..s_T] (Start-End matricization)")
    lines = [f"## {kind}: {title}, depth {w['depth']} (R={w['hidden']}, "
             f"M={w['input_dim']}, N={w['batch']})", ""]
    st = w["stopped"]
    lines.append(f"Largest T with the default engine timed: **{w['largest_T']}**; "
                 + (f"stopped at T={st['T']}: {st['reason']}." if st["T"] is not None
                    else st["reason"] + "."))
    lines.append("")
    if not w["points"]:
        return lines
    head = "| T | tensors | " + " | ".join(engines) + " |"
    sep = "|---:|---:|" + "---:|" * len(engines)
    lines += ["Steady state per call (median):", "", head, sep]
    for p in w["points"]:
        lines.append(f"| {p['T']} | {p['tensors']:,} | " + " | ".join(
            _cell(p, e, "tnrnn") for e in engines) + " |")
    lines += ["", "First call (tracing/compilation included), path search apart:", "",
              head, sep]
    for p in w["points"]:
        cells = []
        for e in engines:
            c = _cell(p, e, "tnrnn", "first_s")
            ps = p["engines"].get(e, {}).get("path_s")
            cells.append(c + (f" + path {_fmt_s(ps)}" if ps and ps > 1e-3 else ""))
        lines.append(f"| {p['T']} | {p['tensors']:,} | " + " | ".join(cells) + " |")
    ref = "tnrnn-open" if kind == "grid" else "tnrnn"
    note = ("*default* = tnrnn's path (auto), *unit order* and *recurrence* the "
            "closed forms F_unit and F_rec" if kind == "output" else
            "*default* = tnrnn-open's path on the open-leg view, compared with "
            "cotengra's on the same view; *unit order* and *recurrence* are the "
            "closed forms of the batched route over all M^T one-hot sequences")
    lines += ["", f"FLOPs (exact) and rate; {note}:", "",
              "| T | default path | cotengra path | default / cotengra | unit order | "
              "recurrence | default / recurrence | (C(T+L,L)-1)/(TL) | default GFLOP/s "
              "(path FLOPs / s) | % of peak |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in w["points"]:
        fa, fb = _flops_of(p, ref), _flops_of(p, "cotengra")
        rec = p["engines"].get(ref, {})
        fr = p["flops"]
        lines.append(
            f"| {p['T']} | {_sci(fa)} | {_sci(fb)} | "
            f"{fa / fb:.3f} | " if fa and fb else f"| {p['T']} | {_sci(fa)} | {_sci(fb)} | - | ")
        lines[-1] += (f"{_sci(fr['unit_order'])} | {_sci(fr['recurrence'])} | "
                      f"{(fa / fr['recurrence']) if fa else 0:.2f} | "
                      f"{fr['duplication_closed_form']:.2f} | "
                      f"{_sci(rec.get('gflops'))} | "
                      + _pct(rec.get("fraction_of_peak"))
                      + " |")
    lines.append("")
    return lines


def plot_cost_vs_T(results: dict, stem) -> pathlib.Path:
    """Log-scale FLOPs (top) and seconds per call (bottom) against ``T``
    for depth 1, 2, 3 of the ``output`` workload; writes ``stem.png`` and
    ``stem.svg`` and returns the PNG path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    stem = pathlib.Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    ws = [w for w in results["workloads"] if w["kind"] == "output"]
    fig = Figure(figsize=(4.0 * max(1, len(ws)) + 2.4, 7.6), dpi=150)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, max(1, len(ws)), squeeze=False)
    styles = {"tnrnn": ("C0", "o", "-"), "tnrnn-numpy": ("C1", "s", "-"),
              "tensornetwork-jax": ("C2", "^", "-"), "cotengra": ("C3", "D", "-"),
              "quimb": ("C4", "v", "-"), "recurrence-jax": ("C7", "x", "--"),
              "recurrence-numpy": ("k", "+", "--")}
    for j, w in enumerate(ws):
        pts = w["points"]
        Ts = [p["T"] for p in pts]
        ax = axes[0][j]
        series = [("tnrnn path", [_flops_of(p, "tnrnn") for p in pts], "C0", "o", "-"),
                  ("cotengra path", [_flops_of(p, "cotengra") for p in pts], "C3", "D", ":"),
                  ("unit order (closed form)", [p["flops"]["unit_order"] for p in pts],
                   "C5", "", "-."),
                  ("recurrence (closed form)", [p["flops"]["recurrence"] for p in pts],
                   "k", "+", "--")]
        for label, ys, c, mk, ls in series:
            xy = [(t, y) for t, y in zip(Ts, ys) if y]
            if xy:
                ax.plot(*zip(*xy), color=c, marker=mk, ls=ls, label=label, ms=5)
        ax.set_title(f"depth {w['depth']}  (R={w['hidden']}, M={w['input_dim']}, "
                     f"N={w['batch']})", fontsize=10)
        ax.set_ylabel("FLOPs per call" if j == 0 else "")
        ax2 = axes[1][j]
        for e, (c, mk, ls) in styles.items():
            xy = [(p["T"], _steady(p, e)) for p in pts if _steady(p, e)]
            if xy:
                ax2.plot(*zip(*xy), color=c, marker=mk, ls=ls, label=e, ms=5)
        xy = [(p["T"], p["engines"]["tnrnn"]["first_s"]) for p in pts
              if p["engines"].get("tnrnn", {}).get("status") == "ok"]
        if xy:
            ax2.plot(*zip(*xy), color="C0", ls=":", alpha=0.6,
                     label="tnrnn first call (jit)")
        ax2.set_ylabel("seconds per call (median)" if j == 0 else "")
        st = w["stopped"]
        if st["T"] is not None:
            for a in (ax, ax2):
                a.axvline(st["T"], color="0.6", lw=0.8, ls="--")
            ax2.annotate(f"stop T={st['T']} ({st['kind']})", (st["T"], 0.02),
                         xycoords=("data", "axes fraction"), rotation=90,
                         fontsize=7, color="0.4", ha="right", va="bottom")
        from matplotlib.ticker import FixedLocator, NullLocator

        ticks = sorted(set(Ts) | ({st["T"]} if st["T"] is not None else set()))
        for a in (ax, ax2):
            a.set_xscale("log")
            a.set_yscale("log")
            a.xaxis.set_major_locator(FixedLocator(ticks))
            a.xaxis.set_minor_locator(NullLocator())
            a.set_xticklabels([str(t) for t in ticks], fontsize=7.5, rotation=45)
            a.set_xlabel("sequence length T")
            a.grid(True, which="major", alpha=0.3)
    fig.suptitle("Contraction cost against T, one output per sequence "
                 f"({results['machine']['cpu']}, {results['machine']['cores']} cores, "
                 "no GPU). Top: exact FLOPs; bottom: seconds per call", fontsize=11)
    h0, l0 = axes[0][0].get_legend_handles_labels()
    h1, l1 = axes[1][0].get_legend_handles_labels()
    for a, (h, lab) in ((axes[0][-1], (h0, l0)), (axes[1][-1], (h1, l1))):
        a.legend(h, lab, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                 borderaxespad=0.0, frameon=False)
    fig.tight_layout()
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png)
    fig.savefig(svg)
    return png
