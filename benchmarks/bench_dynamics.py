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

3. Compiled once (issue 19): the second call of the public ``simulate``,
   ``lyapunov_spectrum``, ``fixed_points`` and ``loss_slice`` (the map
   defined once; validation, the cached program, post-processing) against
   the compiled core alone (the same jitted, vmapped core called directly,
   compiled beforehand), in the same process, interleaved, median of
   ``repeat`` calls. Target: within 3x. The first call (tracing and
   compilation) is reported beside it.

Writes ``benchmarks/results/dynamics.json`` and ``dynamics.md`` (1 and 2) and
``benchmarks/results/bench_dynamics_compiled.json`` and ``.md`` (3).

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_dynamics.py [--quick] [--out DIR]
    nice -n 10 .venv/bin/python benchmarks/bench_dynamics.py --compiled-only

``--quick`` shrinks the grid to 30 x 30 and the run lengths (a smoke run);
``--compiled-only`` runs part 3 alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from tnrnn._jax import x64  # noqa: E402  (the one float64 switch)


def machine() -> dict:
    """The one machine description (:func:`tnrnn._io.machine_info`), taken at the start."""
    import jax

    from tnrnn._io import machine_info

    return machine_info(packages=("numpy", "jax"),
                        devices=sorted({d.platform for d in jax.devices()}))


def _machine_text(m: dict) -> str:
    from tnrnn._io import machine_line

    load = m.get("load_average")
    return (f"Machine: {machine_line(m)}; load average at start "
            f"{', '.join(f'{v:.1f}' for v in load) if load else 'unknown'} (shared machine).")


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
    with x64():
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
    interleaved; the public functions reuse the same kind of compiled program from
    their second call on, part 3)."""
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
    with x64():
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


def _median_time(fn, repeat: int) -> list:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_compiled_once(repeat: int) -> dict:
    """Second call of the public functions against their compiled cores."""
    import jax
    import jax.numpy as jnp

    import tnrnn.dynamics as D
    from tnrnn.dynamics._core import as_inputs, flat_map
    from tnrnn.dynamics.fixed_points import _solve_core
    from tnrnn.dynamics.lyapunov import _lyapunov_core_flags
    from tnrnn.dynamics.simulate import _simulate_core

    rng = np.random.default_rng(0)
    W = 1.2 * rng.standard_normal((8, 8)) / np.sqrt(8)
    lstm = D.chaotic_lstm()
    none = as_inputs(None, None, None)

    def tanh15(x):
        return jnp.tanh(1.5 * x)

    def tanh2(x):
        return jnp.tanh(2.0 * x)

    def rnn_loss(t):
        def body(x, _):
            x = jnp.tanh(t["W"] @ x)
            return x, x[0]
        _, ys = jax.lax.scan(body, jnp.ones(8) / 8.0, None, length=100)
        return jnp.mean(ys ** 2)

    starts = np.linspace(-3.0, 3.0, 64)[:, None]
    s_grid = np.linspace(-0.5, 1.5, 101)
    th0, th1 = {"W": np.zeros((8, 8))}, {"W": W}
    cases = {
        "simulate": dict(
            what="simulate(tanh(1.5 x), 0.3, steps=1000)",
            call=lambda: D.simulate(tanh15, 0.3, steps=1000)),
        "lyapunov_spectrum": dict(
            what="lyapunov_spectrum(chaotic 2-unit LSTM, steps=2000, k=4)",
            call=lambda: D.lyapunov_spectrum(lstm.f, lstm.x0, steps=2000)),
        "fixed_points": dict(
            what="fixed_points(tanh(2 x), 64 starts)",
            call=lambda: D.fixed_points(tanh2, starts)),
        "loss_slice": dict(
            what="loss_slice(8-unit tanh RNN loss over 100 steps, 101 points)",
            call=lambda: D.loss_slice(rnn_loss, th0, th1, s_grid)),
    }
    with x64():
        g_sim = flat_map(tanh15, True, False)
        g_lstm = flat_map(lstm.f, False, False)
        g_fp = flat_map(tanh2, False, False)
        sim = jax.jit(jax.vmap(lambda x: _simulate_core(g_sim, x, None, None, 0, 1000, none)))
        lyap = jax.jit(jax.vmap(lambda x: _lyapunov_core_flags(g_lstm, x, None, None, 0, 20,
                                                                100, 4, none, 1)))
        fp = jax.jit(jax.vmap(lambda x: _solve_core(g_fp, x, None, 200, 20, 1e-12)))

        def at(t0, t1, si):
            th = jax.tree_util.tree_map(lambda a, b: (1.0 - si) * a + si * b, t0, t1)
            return rnn_loss(th)

        sl = jax.jit(jax.vmap(at, in_axes=(None, None, 0)))
        X_sim, X_lstm = np.array([[0.3]]), lstm.x0[None, :]
        cores = {"simulate": lambda: jax.block_until_ready(sim(X_sim)),
                 "lyapunov_spectrum": lambda: jax.block_until_ready(lyap(X_lstm)),
                 "fixed_points": lambda: jax.block_until_ready(fp(starts)),
                 "loss_slice": lambda: jax.block_until_ready(sl(th0, th1, s_grid))}
        for fn in cores.values():
            fn()  # compile
    rows = []
    for name, case in cases.items():
        t = time.perf_counter()
        case["call"]()  # traces and compiles
        first = time.perf_counter() - t
        pub, core = [], []
        for _ in range(3):  # interleaved, so that the machine's load hits both alike
            pub += _median_time(case["call"], repeat)
            with x64():
                core += _median_time(cores[name], repeat)
        p, c = float(np.median(pub)), float(np.median(core))
        rows.append({"function": name, "what": case["what"], "first_call_s": first,
                     "second_call_s": p, "core_s": c, "ratio": p / c,
                     "target_ratio": 3.0, "meets_target": p / c <= 3.0,
                     "first_over_second": first / p})
    return {"repeat": 3 * repeat, "statistic": "median", "rows": rows}


def compiled_markdown(res: dict) -> str:
    m, c = res["machine"], res["compiled_once"]
    lines = [
        "# tnrnn.dynamics: compiled once", "",
        _machine_text(m), "",
        "The second call of each public function (the map defined once; argument checks, the "
        "cached compiled program, post-processing) against the compiled core alone (the same "
        "jitted, vmapped core called directly), interleaved, median of "
        f"{c['repeat']} calls each. The first call traces and compiles.", "",
        "| function | workload | first call (s) | second call (ms) | core alone (ms) | "
        "ratio | target <= 3x |", "|---|---|---|---|---|---|---|"]
    for r in c["rows"]:
        lines.append(f"| {r['function']} | {r['what']} | {r['first_call_s']:.2f} | "
                     f"{r['second_call_s'] * 1e3:.3f} | {r['core_s'] * 1e3:.3f} | "
                     f"{r['ratio']:.2f} | {'met' if r['meets_target'] else 'missed'} |")
    return "\n".join(lines) + "\n"


def to_markdown(res: dict) -> str:
    r, l = res["region_map"], res["lyapunov_vs_simulate"]
    m = res["machine"]
    lines = [
        "# tnrnn.dynamics benchmark", "",
        _machine_text(m), "",
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
        f"Per-step cost of the jitted cores (compiled once, as the public functions are "
        f"from their second call): runs of {l['steps']} steps, median of {l['repeat']}, "
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
    ap.add_argument("--compiled-only", action="store_true",
                    help="only the compiled-once rows (part 3)")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"error: --out: the folder {str(out)!r} does not exist", file=sys.stderr)
        return 2
    comp = {"machine": machine(), "compiled_once": bench_compiled_once(5 if args.quick else 30)}
    cname = "bench_dynamics_compiled" + ("-quick" if args.quick else "")
    (out / f"{cname}.json").write_text(json.dumps(comp, indent=1) + "\n")
    (out / f"{cname}.md").write_text(compiled_markdown(comp))
    print(compiled_markdown(comp), flush=True)
    if args.compiled_only:
        return 0
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
