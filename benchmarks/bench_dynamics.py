"""Benchmark: tnrnn.dynamics (issue 11's speed targets).

1. ``region_map`` of a 32-unit tanh RNN: the largest Lyapunov exponent over a
   100 x 100 grid of (recurrent gain, input scale), 2,000 steps each (no
   burn-in), vmapped and jitted in chunks of 500 points. Target: under 2
   minutes on 2 cores. Against it: a Python loop calling one jitted
   single-point function (the same core, no vmap) point by point, timed on a
   subset of the grid and extrapolated to 10,000 points (said so in the
   output).
2. ``lyapunov_spectrum`` per step against ``simulate`` per step for a
   64-unit tanh RNN (k = 1, 8 and 64 exponents). Target: at most 3x,
   per step,
   measured on the jitted cores (compiled once, run in turn, median per
   step; both sides in the same process, the same way).

Writes ``benchmarks/results/dynamics.json`` and ``dynamics.md``.

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_dynamics.py [--quick] [--out DIR]

``--quick`` shrinks the grid to 30 x 30 and the run lengths (a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402


def machine() -> dict:
    import jax

    from tnrnn.benchmark import cpu_model

    cpu = cpu_model()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "jax": jax.__version__,
            "devices": [str(d) for d in jax.devices()],
            "load_average_at_start": list(os.getloadavg())}


def bench_region_map(grid: int, steps: int, loop_points: int) -> dict:
    import jax
    import jax.numpy as jnp

    from tnrnn.dynamics._core import as_inputs, flat_map
    from tnrnn.dynamics.experiments import tanh_region_map, tanh_rnn
    from tnrnn.dynamics.lyapunov import largest_lyapunov_core

    gains = np.linspace(0.2, 3.0, grid)
    scales = np.linspace(0.0, 3.0, grid)
    t0 = time.perf_counter()
    rm = tanh_region_map(hidden=32, gains=gains, scales=scales, steps=steps, burn=0, seed=0)
    vmapped = time.perf_counter() - t0

    # the per-point loop: the same core function, jitted for one point
    W, U = tanh_rnn(32, 0)
    us = np.random.default_rng(1).standard_normal((steps, 1))
    inp = as_inputs(None, us, steps)
    with jax.enable_x64(True):
        Wj, Uj, usj = jnp.asarray(W), jnp.asarray(U), jnp.asarray(us)

        x0 = jnp.asarray(0.1 * np.random.default_rng(2).standard_normal(32))

        def one(ab):
            g = flat_map(lambda x, u: jnp.tanh(ab[0] * (Wj @ x) + ab[1] * (Uj @ u)), False, True)
            return largest_lyapunov_core(g, x0, usj, 0, steps, inp)

        one_jit = jax.jit(one)
        batch_jit = jax.jit(jax.vmap(one))
        A, B = np.meshgrid(gains, scales, indexing="ij")
        pairs = np.stack([A.ravel(), B.ravel()], axis=1)
        rng = np.random.default_rng(2)
        pick = rng.choice(len(pairs), size=min(loop_points, len(pairs)), replace=False)
        sub = jnp.asarray(pairs[pick])
        t1 = time.perf_counter()
        float(one_jit(jnp.asarray(pairs[pick[0]])))  # the first call compiles
        compile_s = time.perf_counter() - t1
        jax.block_until_ready(batch_jit(sub))  # compile
        loop_t, batch_t = [], []
        for _ in range(3):  # interleaved, so that the machine's load hits both alike
            t2 = time.perf_counter()
            vals = [float(one_jit(jnp.asarray(pairs[i]))) for i in pick]
            loop_t.append(time.perf_counter() - t2)
            t3 = time.perf_counter()
            jax.block_until_ready(batch_jit(sub))
            batch_t.append(time.perf_counter() - t3)
        per_point = float(np.median(loop_t)) / len(pick)
        ratio_same_points = float(np.median(loop_t) / np.median(batch_t))
    vals = np.array(vals)
    ref = rm.lyapunov.ravel()[pick]
    regular = ref < -0.05
    agree = float(np.max(np.abs(vals - ref)[regular])) if regular.any() else float("nan")
    agree_chaotic = float(np.max(np.abs(vals - ref)[~regular])) if (~regular).any() else 0.0
    loop_total = compile_s + per_point * len(pairs)
    return {"grid": [grid, grid], "hidden": 32, "steps": steps, "burn": 0, "chunk": 500,
            "vmapped_seconds": vmapped, "target_seconds": 120.0, "meets_target": vmapped < 120.0,
            "loop_points_timed": int(len(pick)), "loop_compile_seconds": compile_s,
            "loop_seconds_per_point": per_point,
            "loop_seconds_extrapolated": loop_total, "loop_extrapolated": len(pick) < len(pairs),
            "speedup_vmapped_vs_loop": loop_total / vmapped,
            "speedup_same_points_interleaved": ratio_same_points,
            "same_points_loop_seconds": loop_t, "same_points_vmapped_seconds": batch_t,
            "max_abs_difference_loop_vs_vmapped": agree,
            "max_abs_difference_near_zero_or_chaotic": agree_chaotic,
            "lambda_max_range": [float(rm.lyapunov.min()), float(rm.lyapunov.max())],
            "fraction_positive": float(np.mean(rm.lyapunov > 0))}


def bench_lyapunov_vs_simulate(width: int, n: int, repeat: int) -> dict:
    """Per-step cost of the cores behind simulate and lyapunov_spectrum (one
    jitted program each, compiled once, then run ``repeat`` times in turn,
    interleaved; the public functions add one compilation per call)."""
    import jax
    import jax.numpy as jnp

    from tnrnn.dynamics._core import as_inputs, flat_map
    from tnrnn.dynamics.lyapunov import _lyapunov_core
    from tnrnn.dynamics.simulate import _simulate_core

    rng = np.random.default_rng(0)
    W = 1.5 * rng.standard_normal((width, width)) / np.sqrt(width)
    x0 = rng.standard_normal(width)
    inp = as_inputs(None, None, None)
    ks = (1, 8, width)
    with jax.enable_x64(True):
        Wj = jnp.asarray(W)
        g = flat_map(lambda x: jnp.tanh(Wj @ x), False, False)
        xj = jnp.asarray(x0)
        progs = {"simulate": jax.jit(lambda x: _simulate_core(g, x, None, None, 0, n, inp))}
        for k in ks:
            m = 10 if k == 1 else 1  # lyapunov_spectrum's default renorm_every
            progs[k] = jax.jit(lambda x, k=k, m=m: _lyapunov_core(g, x, None, None, 0, 20, n // 20,
                                                                  k, inp, m))
        for fn in progs.values():
            jax.block_until_ready(fn(xj))  # compile
        times = {name: [] for name in progs}
        for _ in range(repeat):
            for name, fn in progs.items():
                t = time.perf_counter()
                jax.block_until_ready(fn(xj))
                times[name].append((time.perf_counter() - t) / n)
    med = {name: float(np.median(v)) for name, v in times.items()}
    sim = med["simulate"]
    out = {"width": width, "steps": n, "repeat": repeat, "statistic": "median",
           "simulate_us_per_step": sim * 1e6, "target_ratio": 3.0, "lyapunov": []}
    for k in ks:
        out["lyapunov"].append({"k": k, "renorm_every": 10 if k == 1 else 1,
                                "us_per_step": med[k] * 1e6, "ratio": med[k] / sim,
                                "meets_target": med[k] / sim <= 3.0})
    return out


def to_markdown(res: dict) -> str:
    r, l = res["region_map"], res["lyapunov_vs_simulate"]
    m = res["machine"]
    lines = [
        "# tnrnn.dynamics benchmark", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy {m['numpy']}, "
        f"jax {m['jax']} ({', '.join(m['devices'])}); load average at start "
        f"{', '.join(f'{v:.1f}' for v in m['load_average_at_start'])} (shared machine).", "",
        f"## region_map: {r['grid'][0]} x {r['grid'][1]} grid, tanh RNN of {r['hidden']} units, "
        f"{r['steps']} steps", "",
        "| what | seconds |", "|---|---|",
        f"| vmapped + jitted (chunks of {r['chunk']}) | {r['vmapped_seconds']:.1f} |",
        f"| per-point Python loop over one jitted function"
        f"{' (extrapolated from ' + str(r['loop_points_timed']) + ' points)' if r['loop_extrapolated'] else ''}"
        f" | {r['loop_seconds_extrapolated']:.1f} |", "",
        f"Target < {r['target_seconds']:.0f} s: **{'met' if r['meets_target'] else 'missed'}**. "
        f"Speed-up of the vmapped map over the loop: **{r['speedup_vmapped_vs_loop']:.1f}x** "
        f"(whole grid against the extrapolated loop, measured minutes apart); on the same "
        f"{r['loop_points_timed']} points, one vmapped call against the loop, interleaved 3 times "
        f"(median): **{r['speedup_same_points_interleaved']:.1f}x** "
        f"(loop: {r['loop_seconds_per_point'] * 1e3:.2f} ms per point after a "
        f"{r['loop_compile_seconds']:.2f} s compile). Largest difference between the loop's "
        f"and the map's exponents on the timed points with lambda_max < -0.05: "
        f"{r['max_abs_difference_loop_vs_vmapped']:.1e}; on the others (near 0 or chaotic, where "
        f"the different rounding of a batched product makes the trajectories part): "
        f"{r['max_abs_difference_near_zero_or_chaotic']:.1e}.",
        "", f"## lyapunov_spectrum against simulate, width {l['width']}", "",
        f"Per-step cost of the jitted cores (compiled once; the public functions add a "
        f"compilation per call): runs of {l['steps']} steps, median of {l['repeat']}, "
        f"interleaved; "
        f"simulate: {l['simulate_us_per_step']:.2f} us/step.", "",
        "| k exponents | renormalised every | us/step | ratio to simulate | target <= 3x |",
        "|---|---|---|---|---|"]
    for e in l["lyapunov"]:
        lines.append(f"| {e['k']} | {e['renorm_every']} | {e['us_per_step']:.2f} | {e['ratio']:.2f} | "
                     f"{'met' if e['meets_target'] else 'missed'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="30 x 30 grid, shorter runs")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"error: --out: the folder {str(out)!r} does not exist", file=sys.stderr)
        return 2
    res = {"machine": machine(), "quick": args.quick}
    res["region_map"] = bench_region_map(30 if args.quick else 100, 500 if args.quick else 2000,
                                         20 if args.quick else 200)
    print(json.dumps(res["region_map"], indent=1), flush=True)
    res["lyapunov_vs_simulate"] = bench_lyapunov_vs_simulate(
        64, 4000 if args.quick else 20000, 3 if args.quick else 7)
    name = "dynamics-quick" if args.quick else "dynamics"
    (out / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    (out / f"{name}.md").write_text(to_markdown(res))
    print(to_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
