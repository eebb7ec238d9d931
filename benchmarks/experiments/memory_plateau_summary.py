"""Issue 21: the tables of docs/memory.md section 4, from the committed plateau data.

Usage: python benchmarks/experiments/memory_plateau_summary.py [RESULT_JSON] [OUT_MD]

Defaults: benchmarks/results/memory-plateau.json -> benchmarks/results/memory-plateau-summary.md.
Per family, memory value, method and width: the escape times of the three starts
(``> T`` still on a plateau at the end, ``no plateau``, ``diverged``), the level the
runs reached (``L_ref``), the free-rate bound ``L_m*`` and where it came from, how
many runs ended within 5% of ``L_m*``; two runs' rates equal to 1e-8 relative (the run ended on an ``(m-1)``-term sum)
against ``L_(m-1)*`` (warm starts and a 16-start scan, recomputed here for
m = 3); the runs of the plan still missing; per
(family, method, m) the fitted growth rate of the median escape with its 95%
bootstrap interval (delayed family: t0 >= 6, as in the figure).
"""

import json
import sys
from pathlib import Path

import numpy as np

from tnrnn.linear_rnn import best_exponential_sum
from tnrnn.linear_rnn.plateau_runs import escape_rate, family_kernel

NAMES = {"ode-log": "ODE flow", "gd-log": "GD (lr 0.1)", "adam-log": "Adam (lr 0.01)"}


def fmt_escape(r):
    if r["diverged"]:
        return "diverged"
    if r["censored"]:
        return f"> {r['ran_to']:.2g} (on a plateau)"
    if not r["plateau"]:
        return "no plateau"
    return f"{r['escape']:,.0f}"


def equal_rates(r):
    w = np.sort(np.asarray(r["final_rates"], float))
    return bool(not r["diverged"] and w.size > 1 and np.min(np.diff(w) / w[1:]) < 1e-8)


def lower_bound(cache, fam, v, m):
    """``L_(m-1)*`` for m = 3 (NaN otherwise): warm starts and a 16-start scan."""
    if m != 3:
        return float("nan")
    if (fam, v) not in cache:
        b = best_exponential_sum(family_kernel(fam, v), 2, l1=False, starts=4, scan=16)
        cache[(fam, v)] = b.l2_sq_error[1]
    return cache[(fam, v)]


def main(src, out):
    data = json.loads(Path(src).read_text())
    cfg = data["config"]
    recs = data["records"]
    have = {(r["family"], r["value"], r["method"], r["m"], r["seed"]) for r in recs}
    missing = [(f, v, meth, m, s) for f, vals in cfg["families"].items() for v in vals
               for meth, m in cfg["plan"] for s in cfg["seeds"]
               if (f, float(v), meth, m, s) not in have]
    ndiv = sum(r["diverged"] for r in recs)
    lines = ["# Plateau runs on the paper's targets (issue 21)", "",
             f"Source: `{src}` ({len(recs)} of {len(recs) + len(missing)} planned runs; "
             f"{ndiv} diverged). Escape: {cfg['escape']}. L_m*: {cfg['lstar']}.", "",
             "| family | v | method | m | escapes (seeds " + ", ".join(map(str, cfg["seeds"]))
             + ") | L_ref / norm | L_m* / norm | L_m* from | runs within 5% of L_m* | "
             "runs ending with two equal rates | L_(m-1)* / norm |",
             "|---|---:|---|---:|---|---:|---:|---|---:|---:|---:|"]
    lower = {}
    keys = sorted({(r["family"], r["value"], r["method"], r["m"]) for r in recs},
                  key=lambda k: (list(cfg["families"]).index(k[0]), k[1],
                                 [tuple(p) for p in cfg["plan"]].index((k[2], k[3]))))
    for fam, v, meth, m in keys:
        grp = sorted((r for r in recs if (r["family"], r["value"], r["method"], r["m"])
                      == (fam, v, meth, m)), key=lambda r: r["seed"])
        r0 = grp[0]
        n2 = r0["rho_l2_sq"]
        ref = [r["reference"] for r in grp if r["reference"] is not None]
        lines.append(
            f"| {fam} | {v:g} | {NAMES.get(meth, meth)} | {m} | "
            + ", ".join(fmt_escape(r) for r in grp)
            + f" | {min(ref) / n2:.4g} | {r0['lstar'] / n2:.4g} | "
            f"{data['lstar_fit'][r0['kernel']][str(m)]['from']} | "
            f"{sum(bool(r.get('at_lstar')) for r in grp)} of {len(grp)} | "
            f"{sum(equal_rates(r) for r in grp)} of {len(grp)} | "
            f"{lower_bound(lower, fam, v, m) / n2:.5g} |")
    lines += ["", "Fitted growth of the median escape time with the memory value v "
              "(censored runs count as +inf; values with a median of 0 or +inf left out):", ""]
    for fam in cfg["families"]:
        for meth, m in cfg["plan"]:
            fit = escape_rate(recs, fam, meth, m,
                              min_value=6.0 if fam == "delayed" else -np.inf)
            if fit:
                lines.append(f"- {fam}, {NAMES.get(meth, meth)}, m = {m}: e^({fit.rate:.2f} v), "
                             f"95% interval [{fit.low:.2f}, {fit.high:.2f}] over v = "
                             f"{', '.join(f'{x:g}' for x in fit.values)} "
                             f"({fit.boot_used} of {fit.boot_total} bootstrap draws)")
    lines += ["", f"Runs of the plan not yet made ({len(missing)}):", ""]
    groups = {}
    for f, v, meth, m, s in missing:
        groups.setdefault((f, meth, m), set()).add(float(v))
    for (f, meth, m), vs in groups.items():
        lines.append(f"- {f}, {NAMES.get(meth, meth)}, m = {m}: v = "
                     f"{', '.join(f'{x:g}' for x in sorted(vs))} (3 seeds each)")
    Path(out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0] if a else "benchmarks/results/memory-plateau.json",
         a[1] if len(a) > 1 else "benchmarks/results/memory-plateau-summary.md")
