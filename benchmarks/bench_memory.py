"""Benchmark of tnrnn.linear_rnn (issue: the curse of memory in linear RNNs).

1. ``project`` accuracy against an independent mpmath reference (Gaussian
   elimination on the full Cauchy Gram matrix at 40 + log10 cond digits, with
   ``<rho, e^{-w t}>`` from mpmath's expint / exp, and quadrature for Airy)
   for m up to 64, for both routes; the largest m at which each route stays
   within 1e-12 relative (error and coefficients).
2. Fixed-rate error curves, m = 1..64, over 10 kernels: wall time (exact route,
   and qr route for comparison).
3. ``best_exponential_sum``: time per m.
4. Gradient descent on the white-noise loss: time per 1e5 steps, jitted JAX
   (``lax.scan``) against a plain NumPy loop with the closed-form gradient,
   same process, same start, final parameters compared.

Usage::

    python benchmarks/bench_memory.py [--quick] [--out benchmarks/results]

Writes ``memory-bench.json`` and ``memory-bench.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from tnrnn._io import machine_info

KERNELS_ACC = ["exponential:1", "polynomial:0.2", "polynomial:1", "delayed:2",
               "exponential:1+delayed:3"]
KERNELS_CURVES = ["exponential:1", "exponential:0.1", "polynomial:0.1", "polynomial:0.2",
                  "polynomial:0.5", "polynomial:1", "polynomial:2", "delayed:1", "delayed:4",
                  "exponential:1+delayed:3"]


def reference(kernel, w, mp):
    """Independent: full Gram matrix, mpmath LU, at 40 + cond digits."""
    from tnrnn.linear_rnn.approx import cond_digits

    dps = int(40 + 1.2 * cond_digits(w))
    with mp.workdps(dps):
        wm = [mp.mpf(float(x)) for x in w]
        b = mp.matrix([kernel.inner_exp_mp(x, mp.mp) for x in wm])
        G = mp.matrix(len(w), len(w))
        for i in range(len(w)):
            for j in range(len(w)):
                G[i, j] = 1 / (wm[i] + wm[j])
        a = mp.lu_solve(G, b)
        err = kernel.l2_sq_mp(mp.mp) - sum(a[i] * b[i] for i in range(len(w)))
        return np.array([float(x) for x in a]), float(err)


def bench_accuracy(ms):
    import mpmath

    from tnrnn.linear_rnn import parse_kernel, project, rate_grid

    rows = []
    for spec in KERNELS_ACC:
        k = parse_kernel(spec)
        for m in ms:
            w = rate_grid(m, "sinc")
            a_ref, e_ref = reference(k, w, mpmath)
            row = {"kernel": spec, "m": m, "ref_l2_sq_error": e_ref}
            for route in ("exact", "qr"):
                t0 = time.perf_counter()
                p = project(k, w, route)
                dt = time.perf_counter() - t0
                row[route] = {
                    "rel_err_error": abs(p.l2_sq_error - e_ref) / abs(e_ref) if e_ref else
                    abs(p.l2_sq_error),
                    "rel_err_coefs": float(np.max(np.abs(p.coefs - a_ref)) / np.max(np.abs(a_ref))),
                    "seconds": dt}
            rows.append(row)
            print(f"  accuracy {spec:28s} m={m:3d}  exact {row['exact']['rel_err_error']:.1e}/"
                  f"{row['exact']['rel_err_coefs']:.1e}  qr {row['qr']['rel_err_error']:.1e}/"
                  f"{row['qr']['rel_err_coefs']:.1e}", flush=True)
    claims = {}
    for route in ("exact", "qr"):
        ok_m = []
        for spec in KERNELS_ACC:
            good = [r["m"] for r in rows if r["kernel"] == spec]
            bad = [r["m"] for r in rows if r["kernel"] == spec and
                   max(r[route]["rel_err_error"], r[route]["rel_err_coefs"]) > 1e-12]
            first_bad = min(bad) if bad else None
            ok_m.append(max([m for m in good if first_bad is None or m < first_bad], default=0))
        claims[route] = {"largest_m_within_1e-12_all_kernels": min(ok_m),
                         "per_kernel": dict(zip(KERNELS_ACC, ok_m))}
    return rows, claims


def bench_curves(max_m):
    from tnrnn.linear_rnn import parse_kernel, project, rate_grid

    out = {}
    for route in ("exact", "qr"):
        t0 = time.perf_counter()
        per = {}
        for spec in KERNELS_CURVES:
            k = parse_kernel(spec)
            t1 = time.perf_counter()
            errs = [project(k, rate_grid(m, "sinc"), route).l2_sq_error for m in range(1, max_m + 1)]
            per[spec] = {"seconds": time.perf_counter() - t1, "l2_sq_error_at_max_m": errs[-1]}
        out[route] = {"seconds": time.perf_counter() - t0, "kernels": per}
        print(f"  curves m=1..{max_m} x {len(KERNELS_CURVES)} kernels, {route}: "
              f"{out[route]['seconds']:.1f} s", flush=True)
    return out


def bench_best(max_m):
    from tnrnn.linear_rnn import best_exponential_sum

    out = {}
    for spec in ("polynomial:0.2", "delayed:2"):
        r = best_exponential_sum(spec, max_m, l1=False)
        out[spec] = {"m": r.m, "seconds": r.seconds, "l2_sq_error": r.l2_sq_error}
        print(f"  best_exponential_sum {spec}: " +
              " ".join(f"m={m}:{s:.2f}s" for m, s in zip(r.m, r.seconds)), flush=True)
    return out


def numpy_gd(kernel, a, w, lr, steps):
    from tnrnn.linear_rnn import white_noise_grad

    a, w = a.copy(), w.copy()
    for _ in range(steps):
        _, ga, gw = white_noise_grad(kernel, a, w)
        a -= lr * ga
        w -= lr * gw
    return a, w


def bench_gd(steps_numpy):
    from tnrnn.linear_rnn import gradient_flow, initial_point, parse_kernel

    k = parse_kernel("exponential:1+delayed:4")
    a0, w0 = initial_point(3, seed=0)
    gradient_flow(k, a0, w0, lr=0.1, steps=1000, chunk=1000)  # compile for the chunk shape?
    t0 = time.perf_counter()
    gradient_flow(k, a0, w0, lr=0.1, steps=100_000, chunk=20_000)  # includes one compile
    jax_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = gradient_flow(k, a0, w0, lr=0.1, steps=100_000, chunk=20_000)
    jax_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    a, w = numpy_gd(k, a0, w0, 0.1, steps_numpy)
    np_s = (time.perf_counter() - t0) * (100_000 / steps_numpy)
    agree = None
    if steps_numpy == 100_000:
        agree = float(max(np.max(np.abs(a - r.a)), np.max(np.abs(w - r.w))))
    print(f"  GD per 1e5 steps: jax {jax_s:.2f} s (first call {jax_first:.2f} s), numpy "
          f"{np_s:.2f} s, ratio {np_s / jax_s:.1f}x", flush=True)
    return {"kernel": k.spec, "m": 3, "jax_seconds_per_1e5": jax_s,
            "jax_first_call_seconds_per_1e5": jax_first,
            "numpy_seconds_per_1e5": np_s, "numpy_steps_timed": steps_numpy,
            "ratio_numpy_over_jax": np_s / jax_s, "max_abs_param_difference": agree}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small m, fewer steps (a smoke run)")
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        sys.exit(f"error: --out folder {str(out)!r} does not exist")
    ms = [1, 2, 4, 8] if args.quick else [1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64]
    info = machine_info(packages=())
    res = {"machine": {"host": platform.node(), "cpu": info["cpu"],
                       "python": info["versions"]["python"],
                       "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       "note": "2 cores shared with other jobs; timings are noisy"},
           "quick": args.quick}
    print("project accuracy against mpmath", flush=True)
    res["accuracy"], res["claims"] = bench_accuracy(ms)
    print("fixed-rate error curves", flush=True)
    res["curves"] = bench_curves(8 if args.quick else 64)
    print("best_exponential_sum", flush=True)
    res["best"] = bench_best(3 if args.quick else 12)
    print("gradient descent", flush=True)
    res["gd"] = bench_gd(2000 if args.quick else 100_000)
    name = "memory-bench-quick" if args.quick else "memory-bench"
    (out / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    lines = [f"# tnrnn.linear_rnn benchmark ({res['machine']['date']}, {res['machine']['host']})",
             "", "## project against mpmath (max relative error: squared L2 error / coefficients)",
             "", "| kernel | m | exact | qr |", "|---|---:|---|---|"]
    for r in res["accuracy"]:
        lines.append(f"| {r['kernel']} | {r['m']} | {r['exact']['rel_err_error']:.1e} / "
                     f"{r['exact']['rel_err_coefs']:.1e} | {r['qr']['rel_err_error']:.1e} / "
                     f"{r['qr']['rel_err_coefs']:.1e} |")
    lines += ["", "Largest m within 1e-12 (all kernels): " + ", ".join(
        f"{k}: {v['largest_m_within_1e-12_all_kernels']}" for k, v in res["claims"].items()), ""]
    c = res["curves"]
    lines += [f"## Fixed-rate curves m = 1..{8 if args.quick else 64}, {len(KERNELS_CURVES)} kernels",
              "", f"exact route {c['exact']['seconds']:.1f} s, qr route {c['qr']['seconds']:.1f} s",
              "", "## best_exponential_sum, seconds per m", ""]
    for spec, b in res["best"].items():
        lines.append(f"- {spec}: " + ", ".join(f"m={m}: {s:.2f}" for m, s in zip(b["m"], b["seconds"])))
    g = res["gd"]
    lines += ["", "## Gradient descent, seconds per 1e5 steps (m = 3)", "",
              f"jax (jit, lax.scan) {g['jax_seconds_per_1e5']:.2f} s; NumPy loop "
              f"{g['numpy_seconds_per_1e5']:.2f} s; ratio {g['ratio_numpy_over_jax']:.1f}x; "
              f"max parameter difference {g['max_abs_param_difference']}", ""]
    (out / f"{name}.md").write_text("\n".join(lines))
    print(f"wrote {out / (name + '.json')} and {out / (name + '.md')}")


if __name__ == "__main__":
    main()
