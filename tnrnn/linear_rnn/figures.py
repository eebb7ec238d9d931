"""Figures of the memory experiments, drawn from their JSON data (matplotlib, lazy).

``draw_all(results_dir, out_dir)`` draws whichever of these exist:

* ``memory_approx_l2.png`` / ``memory_approx_l1.png`` -- error against m, fixed
  sinc grids (exact) and free rates (upper bounds), from ``memory-approx.json``;
* ``memory_approx_cost.png`` -- smallest rate and Gram conditioning against m;
* ``memory_plateau_t0.png`` -- plateau exit against t0 (log scale), from
  ``memory-plateau-delayed.json``; ``memory_plateau_omega.png`` likewise;
* ``memory_plateau_curves.png`` -- the loss curves behind them;
* ``memory_train_kernels.png`` / ``memory_train_loss.png`` -- experiment 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["draw_all", "draw_approx", "draw_plateaus", "draw_training", "draw_flow",
           "draw_approx_rows", "exit_growth_rate"]


FLOOR = 1e-16


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path):
    path = Path(path)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    out = [str(path)]
    if path.suffix == ".png":
        fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
        out.append(str(path.with_suffix(".svg")))
    _plt().close(fig)
    return out


def draw_approx(data: dict, out_dir) -> list[str]:
    plt = _plt()
    out_dir = Path(out_dir)
    paths = []
    recs = data["records"]
    cmap = plt.get_cmap("tab10")
    for norm, key, ylabel in (("l2", "l2_sq_error", "relative L2 error ||rho - rho_hat||_2 / ||rho||_2"),
                              ("l1", "l1_error", "relative L1 error ||rho - rho_hat||_1 / ||rho||_1")):
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for i, r in enumerate(recs):
            f = r["fixed"]
            m = np.array(f["m"])
            y = np.array([np.nan if v is None else v for v in f[key]], float)
            if norm == "l2":
                y = np.sqrt(np.maximum(y, 0.0) / r["rho_l2_sq"])
            else:
                # drop L1 values that float64 cancellation cannot resolve to 1%
                cancel = 1e-15 * (2 * m + 1) * m * np.array(f["coefs_max"]) / np.array(f["min_rate"])
                y = np.where(cancel < 0.01 * y, y, np.nan) / r["rho_l1"]
            ax.plot(m, np.maximum(y, FLOOR), "-", color=cmap(i % 10), label=r["kernel"], lw=1.3)
            if "free" in r:
                fr = r["free"]
                fy = np.array([np.nan if v is None else v for v in fr[key]], float)
                if norm == "l2":
                    fy = np.sqrt(np.maximum(fy, 0.0) / r["rho_l2_sq"])
                else:
                    cancel = np.array([1e-15 * (2 * len(a) + 1) * np.sum(np.abs(a) / np.array(w))
                                       for a, w in zip(fr["coefs"], fr["rates"])])
                    fy = np.where(cancel < 0.01 * fy, fy, np.nan) / r["rho_l1"]
                ax.plot(fr["m"], np.maximum(fy, FLOOR), "o--", color=cmap(i % 10), ms=3, lw=0.8)
        ax.set_ylim(bottom=FLOOR / 3)
        ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("m (number of exponentials)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{norm.upper()} error against width: solid = fixed sinc rates (exact), "
                     f"dashed = free rates (upper bound); exact 0 drawn at {FLOOR:g}"
                     + ("; L1 values float64 cannot resolve to 1% omitted" if norm == "l1" else ""),
                     fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        paths += _save(fig, out_dir / f"memory_approx_{norm}.png")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for i, r in enumerate(recs):
        if "free" not in r:
            continue
        fr = r["free"]
        axes[0].plot(fr["m"], fr["min_rate"], "o-", ms=3, color=cmap(i % 10), label=r["kernel"])
        axes[1].plot(fr["m"], fr["log10_cond"], "o-", ms=3, color=cmap(i % 10))
    m = np.array(recs[0]["fixed"]["m"]) if recs else np.array([1])
    axes[1].plot(m, recs[0]["fixed"]["log10_cond"], "k:", label="sinc grid") if recs else None
    axes[0].set_yscale("log")
    axes[0].set_xlabel("m")
    axes[0].set_ylabel("smallest free rate found")
    axes[1].set_xlabel("m")
    axes[1].set_ylabel("log10 1/(smallest pivot) of the scaled Gram matrix")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("Where memory costs: the smallest rate and the conditioning of the best sums",
                 fontsize=10)
    paths += _save(fig, out_dir / "memory_approx_cost.png")
    return paths


def draw_approx_rows(payload: dict, path) -> list[str]:
    """The CLI's figure: errors of one kernel against m."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    rows = payload["rows"]
    m = [r["m"] for r in rows]
    ax.plot(m, [r["relative_l2_error"] for r in rows], "o-", label="relative L2")
    if rows and rows[0].get("l1_error") is not None:
        ax.plot(m, [r["l1_error"] / payload["rho_l1"] for r in rows], "s-", label="relative L1")
    ax.set_yscale("log")
    ax.set_xlabel("m")
    ax.set_title(f"{payload['kernel']} ({payload['rates']} rates)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _exit_summary(recs, method, key="exit"):
    vals = sorted({r["value"] for r in recs if r["method"] == method})
    med, lo, hi, none_at = [], [], [], []
    for v in vals:
        ex = [r[key] for r in recs if r["method"] == method and r["value"] == v]
        got = [e for e in ex if e is not None]
        if got:
            med.append(np.median(got))
            lo.append(min(got))
            hi.append(max(got))
        else:
            med.append(np.nan)
            lo.append(np.nan)
            hi.append(np.nan)
        none_at.append(len(ex) - len(got))
    return np.array(vals, float), np.array(med), np.array(lo), np.array(hi), none_at


def exit_growth_rate(x, med, last: int = 5):
    """Least-squares slope of ``ln(median exit)`` against ``x`` over the last ``last``
    points with an exit (None if fewer than 3)."""
    ok = np.isfinite(med)
    x, y = np.asarray(x)[ok][-last:], np.log(np.asarray(med)[ok][-last:])
    if len(x) < 3:
        return None
    return float(np.polyfit(x, y, 1)[0])


def draw_plateaus(data: dict, path, xlabel: str, key: str = "exit",
                  ylabel: str = "steps to leave the first plateau (median, min-max over starts)"
                  ) -> list[str]:
    plt = _plt()
    recs = data["records"]
    methods = sorted({r["method"] for r in recs})
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for j, meth in enumerate(methods):
        x, med, lo, hi, none_at = _exit_summary(recs, meth, key)
        rate = exit_growth_rate(x, med)
        lab = meth if rate is None else f"{meth}: ~ e^({rate:.2f} x) over the last 5 points"
        ax.errorbar(x + 0.03 * j * (x.max() - x.min() + 1) / 10, med,
                    yerr=[med - lo, hi - med], fmt="o-", capsize=3, label=lab, ms=4)
        for xi, n in zip(x, none_at):
            if n:
                ran = max(r["ran_to"] for r in recs if r["method"] == meth and r["value"] == xi)
                ax.annotate(f"{n} none <= {ran:.0e}", (xi, ran), fontsize=6, rotation=90,
                            va="top")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title("Against memory (m = 3, a = 0, rates near 1)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def draw_plateau_curves(data: dict, path, method: str = "gd-rate") -> list[str]:
    plt = _plt()
    recs = [r for r in data["records"] if r["method"] == method and r["seed"] == 0]
    fig, ax = plt.subplots(figsize=(7, 4.8))
    cmap = plt.get_cmap("viridis")
    vals = sorted({r["value"] for r in recs})
    for r in recs:
        c = cmap(vals.index(r["value"]) / max(1, len(vals) - 1))
        ax.plot(r["curve"]["t"], r["curve"]["loss"], color=c, lw=1, label=f"{r['kernel']}")
        if r["exit"] is not None:
            ax.axvline(r["exit"], color=c, lw=0.5, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("white-noise loss")
    ax.set_title(f"Loss curves ({method}, seed 0); dotted: first plateau's exit", fontsize=9)
    ax.legend(fontsize=6)
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path)


def draw_training(data: dict, out_dir) -> list[str]:
    plt = _plt()
    out_dir = Path(out_dir)
    recs = [r for r in data["records"] if r["seed"] == 0]
    kernels = list(dict.fromkeys(r["kernel"] for r in recs))
    models = list(dict.fromkeys(r["model"] for r in recs))
    fig, axes = plt.subplots(1, len(kernels), figsize=(4.5 * len(kernels), 4), squeeze=False)
    for ax, k in zip(axes[0], kernels):
        first = next(r for r in recs if r["kernel"] == k)
        ax.plot(first["kernel_t"], first["target"], "k-", lw=2, label="target rho")
        for mdl in models:
            r = next((r for r in recs if r["kernel"] == k and r["model"] == mdl), None)
            if r is not None:
                ax.plot(r["kernel_t"], r["learned"], "--", lw=1.2, label=f"learned ({mdl})")
        ax.set_title(k, fontsize=9)
        ax.set_xlabel("t")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    paths = _save(fig, out_dir / "memory_train_kernels.png")
    fig, axes = plt.subplots(1, len(kernels), figsize=(4.5 * len(kernels), 4), squeeze=False)
    for ax, k in zip(axes[0], kernels):
        for mdl in models:
            for r in data["records"]:
                if r["kernel"] == k and r["model"] == mdl:
                    ax.plot(r["curve"]["step"], r["curve"]["loss"], lw=0.8,
                            label=f"{mdl} seed {r['seed']}")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_title(k, fontsize=9)
        ax.set_xlabel("step")
        ax.set_ylabel("training MSE")
        ax.grid(which="both", alpha=0.3)
        ax.legend(fontsize=6)
    paths += _save(fig, out_dir / "memory_train_loss.png")
    return paths


def draw_flow(times, loss, plateaus, path, title="") -> list[str]:
    """A loss curve with its plateaus marked (the CLI's figure)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    t = np.asarray(times, float)
    ok = t > 0
    ax.plot(t[ok], np.asarray(loss)[ok], "-")
    for p in plateaus:
        ax.hlines(p.level, p.start, p.exit or t[-1], colors="r", linestyles=":")
        if p.exit:
            ax.axvline(p.exit, color="r", lw=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("white-noise loss")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path)


def draw_all(results_dir, out_dir) -> list[str]:
    """Draw every figure whose data file exists in ``results_dir``."""
    results_dir, out_dir = Path(results_dir), Path(out_dir)
    paths = []
    f = results_dir / "memory-approx.json"
    if f.exists():
        paths += draw_approx(json.loads(f.read_text()), out_dir)
    f = results_dir / "memory-plateau-delayed.json"
    if f.exists():
        d = json.loads(f.read_text())
        paths += draw_plateaus(d, out_dir / "memory_plateau_t0.png", "t0 (delay of the memory)")
        paths += draw_plateau_curves(d, out_dir / "memory_plateau_curves.png")
    f = results_dir / "memory-plateau-omega.json"
    if f.exists():
        paths += draw_plateaus(json.loads(f.read_text()), out_dir / "memory_plateau_omega.png",
                               "omega (kernel (1 + t)^-(1 + omega))", key="exit_L1",
                               ylabel="steps until loss < L1* - (L1* - L3*)/4 (no plateau "
                                      "is found here)")
    f = results_dir / "memory-train.json"
    if f.exists():
        paths += draw_training(json.loads(f.read_text()), out_dir)
    return paths
