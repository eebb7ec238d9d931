"""Issue 21, part 3: plateaus on the nonlinear Lorenz-96 target.

Usage: python benchmarks/experiments/memory_lorenz96.py [OUT_FOLDER] [--quick | --report]

OUT_FOLDER defaults to benchmarks/results/experiments/memory-lorenz96. Writes

- ``wiener.json``: the first Wiener kernel ``rho_L`` of the target at the
  settings ``tnrnn.linear_rnn.lorenz96.LORENZ96`` (forced ring of 8, F = 0.5,
  variable 7 observed, white-noise input of intensity sigma = 2, dt = 0.05,
  2,000 sequences of 1,200 steps), its standard errors, the linear fraction
  R^2 and the linearised impulse response beside it;
- ``plateau.json``: on log-rates, m = 3, random asymmetric starts, seeds 0-2,
  gradient descent (lr 0.1) and Adam (lr 0.01), both at most 2e5 steps, and
  the ODE flow (time / lr 0.1), on ``rho_L`` observed t0 = 0, 2, 4, 6, 8, 10,
  12 time units late (tnrnn.linear_rnn.plateau_runs, family ``lorenz96``;
  resumable: a rerun skips finished runs);
- ``summary.json`` / ``summary.md``: per method and t0 the first exit from the
  zero-model level (the memory plateau), the escape time of the plateau rule,
  the final loss, the reached level ``L_ref`` and the free-rate bound ``L3*``,
  divergences per method, the runs below ``L3*`` (none, by construction:
  ``L3*`` is lowered by every run's polished rates), and per method the
  fitted growth rate of the first exit with its bootstrap interval;
- figures ``lorenz96_kernel.png``, ``lorenz96_plateau_escape.png``,
  ``lorenz96_plateau_curves.png`` (each with an .svg).

``--quick`` runs one t0 and one seed at 2,000 steps into the given folder
(a smoke test; seconds). ``--report`` only redraws the summary and figures
from the folder's ``wiener.json`` and ``plateau.json``.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

from tnrnn.render.memory_figures import draw_plateaus
from tnrnn.linear_rnn.lorenz96 import (LORENZ96, lorenz96_linear_response,
                                       lorenz96_wiener_kernel)
from tnrnn.linear_rnn.plateau_runs import PLATEAU_METHODS, escape_rate, plateau_experiment

T0S = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0)
LORENZ_FAMS = {"lorenz96": T0S}
# gradient descent (lr 0.1), Adam (lr 0.01), both at most 2e5 steps, and the ODE flow
LORENZ_PLAN = (("gd-log-short", 3), ("adam-log-short", 3), ("ode-log", 3))


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    plt = _plt()
    fig.savefig(path, dpi=130, bbox_inches="tight")
    fig.savefig(Path(path).with_suffix(".svg"), bbox_inches="tight")
    plt.close(fig)


def draw_curves(data, path):
    """Every run's loss curve (loss / ||rho||^2), one panel per method, one colour per t0;
    dotted: the free-rate bound L3*; diverged runs dotted and counted in the title."""
    plt = _plt()
    recs = data["records"]
    vals = sorted({r["value"] for r in recs})
    meths = [m for m in METHOD_NAMES if any(r["method"] == m for r in recs)]
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(1, len(meths), figsize=(5.2 * len(meths), 4.5), sharey=True,
                             squeeze=False)
    for ax, meth in zip(axes[0], meths):
        rs = [r for r in recs if r["method"] == meth]
        for r in rs:
            c = cmap(vals.index(r["value"]) / max(1, len(vals) - 1))
            t = np.array(r["curve"]["t"])
            ok = t > 0
            ax.plot(t[ok], np.array(r["curve"]["loss"])[ok] / r["rho_l2_sq"], color=c, lw=0.9,
                    label=f"t0 = {r['value']:g}" if r["seed"] == 0 else None,
                    ls="-" if not r["diverged"] else ":")
            ax.axhline(r["lstar"] / r["rho_l2_sq"], color=c, lw=0.5, ls=":")
        ndiv = sum(r["diverged"] for r in rs)
        ax.set_xscale("log")
        ax.set_xlabel("step (ODE flow: flow time / lr 0.1)")
        ax.set_title(f"{METHOD_NAMES[meth]}: {len(rs)} runs, {ndiv} diverged", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("loss / ||rho_L||^2 (dotted: free-rate bound L3*)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Linear RNN (m = 3, log-rates) on the Lorenz-96 target observed t0 late: "
                 "three random starts per t0", fontsize=9)
    _save(fig, path)


def draw_kernel(w, lin, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    t = np.asarray(w["times"])
    v, se = np.asarray(w["values"]), np.asarray(w["stderr"])
    ax.fill_between(t, v - 2 * se, v + 2 * se, color="C0", alpha=0.3, lw=0)
    ax.plot(t, v, "C0-", lw=1.2, label=f"first Wiener kernel rho_L (sigma = "
            f"{w['settings']['sigma']:g}; band: 2 standard errors)")
    ax.plot(t, lin, "k--", lw=1, label="linearised ring (small-input limit)")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("lag t")
    ax.set_title(f"Lorenz-96 target: z_{w['settings']['read']} of a ring of "
                 f"{w['settings']['K']} forced on z_0, F = {w['settings']['F']:g}; linear "
                 f"fraction R^2 = {w['linear_fraction']:.3f}", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    _save(fig, path)


def first_exit(rec):
    """Exit of the first plateau at the zero-model level (loss within 5% of ||rho||^2 = 1)."""
    for p in rec["plateaus"]:
        if p["level"] >= 0.95 * rec["rho_l2_sq"]:
            return p["exit"], p["exit"] is None
    return 0.0, False


METHOD_NAMES = {"gd-log-short": "GD (lr 0.1)", "adam-log-short": "Adam (lr 0.01)",
                "ode-log": "ODE flow", "gd-log-quick": "GD (quick)"}


def summarise(data):
    rows = []
    recs = data["records"]
    for r in sorted(recs, key=lambda r: (r["method"], r["value"], r["seed"])):
        ex, cens = (None, None) if r["diverged"] else first_exit(r)
        rows.append({"method": r["method"], "t0": r["value"], "seed": r["seed"],
                     "diverged": r["diverged"], "diverged_why": r["info"].get("diverged"),
                     "first_exit": ex, "first_exit_censored": cens, "escape": r["escape"],
                     "escape_censored": r["censored"], "ran_to": r["ran_to"],
                     "final_loss": r["final_loss"], "lstar": r["lstar"],
                     "reference": r.get("reference"), "at_lstar": r.get("at_lstar"),
                     "plateau_levels": [round(p["level"], 4) for p in r["plateaus"]]})
    fits, below = {}, []
    for meth in sorted({x["method"] for x in rows}):
        fe = [dict(family="lorenz96", method=meth, m=3, value=x["t0"], seed=x["seed"],
                   diverged=x["diverged"], escape=None if x["first_exit_censored"]
                   else x["first_exit"]) for x in rows if x["method"] == meth]
        fit = escape_rate(fe, "lorenz96", meth, 3)
        fits[meth] = fit.to_dict() if fit else None
    for x in rows:
        if not x["diverged"] and x["final_loss"] < x["lstar"]:
            below.append((x["method"], x["t0"], x["seed"]))
    return {"rows": rows, "runs": len(rows),
            "diverged": {m: sum(x["diverged"] for x in rows if x["method"] == m)
                         for m in fits},
            "runs_per_method": {m: sum(x["method"] == m for x in rows) for m in fits},
            "first_exit_rate": fits, "runs_below_lstar": below,
            "lstar": {r["kernel"]: r["lstar"] for r in recs}}


def write_md(summary, w, path):
    lines = ["# Lorenz-96 plateaus (m = 3, log-rates: GD lr 0.1 and Adam lr 0.01 at most 2e5 "
             "steps, the ODE flow)", "",
             f"Linear fraction R^2 = {w['linear_fraction']:.3f}; E y = {w['mean']:.4f}; "
             f"largest standard error of rho_L {max(w['stderr']):.1e} "
             f"(peak {max(w['values']):.3f}).", "",
             "Diverged runs: " + ", ".join(
                 f"{METHOD_NAMES.get(m, m)} {summary['diverged'][m]} of "
                 f"{summary['runs_per_method'][m]}" for m in summary["diverged"]) + ".", "",
             f"Runs ending below the free-rate bound L3*: {len(summary['runs_below_lstar'])} "
             "(the bound is lowered by every run's polished final rates).", "",
             "L_ref: the lowest loss any run reached at that t0; escape: exit of the last "
             "plateau above 1.05 L_ref.", "",
             "| method | t0 | seed | first exit (zero-model plateau) | escape (plateau rule) | "
             "final loss | L_ref | L3* (free rates) | plateau levels |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for x in summary["rows"]:
        fe = "diverged" if x["diverged"] else (
            f"> {x['ran_to']:.0f} (on it)" if x["first_exit_censored"] else f"{x['first_exit']:g}")
        es = "diverged" if x["diverged"] else (
            f"> {x['ran_to']:.0f} (on a plateau)" if x["escape_censored"] else f"{x['escape']:g}")
        ref = "-" if x["reference"] is None else f"{x['reference']:.4f}"
        lines.append(f"| {METHOD_NAMES.get(x['method'], x['method'])} | {x['t0']:g} | "
                     f"{x['seed']} | {fe} | {es} | {x['final_loss']:.4f} | {ref} | "
                     f"{x['lstar']:.4f} | {x['plateau_levels']} |")
    lines.append("")
    for meth, f in summary["first_exit_rate"].items():
        lines.append(f"First exit against t0, {METHOD_NAMES.get(meth, meth)}: " + (
            f"median grows like e^({f['rate']:.2f} t0), 95% bootstrap interval "
            f"[{f['low']:.2f}, {f['high']:.2f}] over t0 = {f['values']}" if f else
            "fewer than 3 values with a finite median") + ".")
    Path(path).write_text("\n".join(lines) + "\n")


def report(out):
    out = Path(out)
    w = json.loads((out / "wiener.json").read_text())
    data = json.loads((out / "plateau.json").read_text())
    finish(out, w, data)


def finish(out, w, data):
    summary = summarise(data)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    write_md(summary, w, out / "summary.md")
    draw_kernel(w, w["linearised_midstep"], out / "lorenz96_kernel.png")
    draw_plateaus(data, out / "lorenz96_plateau_escape.png")
    draw_curves(data, out / "lorenz96_plateau_curves.png")
    print((out / "summary.md").read_text())


def main(out, quick=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = time.time()
    w = lorenz96_wiener_kernel(**LORENZ96).to_dict()
    lin = lorenz96_linear_response(np.asarray(w["times"]) + 0.5 * LORENZ96["dt"]).tolist()
    w["linearised_midstep"] = lin
    w["seconds"] = time.time() - t
    (out / "wiener.json").write_text(json.dumps(w) + "\n")
    print(f"Wiener kernel: R^2 = {w['linear_fraction']:.3f} ({w['seconds']:.1f} s)", flush=True)
    if quick:
        PLATEAU_METHODS["gd-log-quick"] = dict(PLATEAU_METHODS["gd-log-short"], max_steps=2000)
        fams, plan, seeds = {"lorenz96": (2.0,)}, (("gd-log-quick", 3),), (0,)
    else:
        fams, plan, seeds = LORENZ_FAMS, LORENZ_PLAN, (0, 1, 2)

    def pr(i, n, label=""):
        print(f"[{time.strftime('%H:%M:%S')}] {i}/{n} {label}", flush=True)

    data = plateau_experiment(out / "plateau.json", families=fams, plan=plan, seeds=seeds,
                              progress=pr)
    finish(out, w, data)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a not in ("--quick", "--report")]
    folder = args[0] if args else "benchmarks/results/experiments/memory-lorenz96"
    if "--report" in sys.argv:
        report(folder)
    else:
        main(folder, quick="--quick" in sys.argv)
