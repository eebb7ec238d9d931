"""Figures of the dynamics experiments (``tnrnn dynamics experiments``),
each drawn from the experiment's JSON data. Public through
:mod:`tnrnn.render.dynamics_figures`.
"""

from __future__ import annotations

from ._dynamics_panels import draw_region_panel, wrap
from ._pyplot import pyplot  # noqa: F401 (the examples use it)


def fig_chaotic(plt, d):
    """The chaotic 2-unit LSTM: attractor, orbit diagram, loss and lambda_max
    along s * theta, loss on a plane (``dynamics_chaotic_lstm.json``).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    d : dict
        The experiment's JSON data (:func:`read_experiment`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> plt = pyplot()
    >>> d = {"attractor_h": [[0.1, 0.2], [0.3, -0.1], [0.0, 0.4]], "spectrum": [0.02, -0.5],
    ...      "slice": {"s": [0.5, 1.0], "loss": [0.1, 0.0], "lyapunov_max": [-0.1, 0.02]},
    ...      "plane": {"s1": [0.0, 1.0], "s2": [0.0, 1.0], "loss": [[1.0, 2.0], [3.0, 4.0]]}}
    >>> fig = fig_chaotic(plt, d)
    >>> fig.axes[0].lines[0].get_xdata().tolist(), fig.axes[2].lines[0].get_ydata().tolist()
    ([0.1, 0.3, 0.0], [-0.1, 0.02])
    >>> plt.close(fig)
    """
    import numpy as np

    fig = plt.figure(figsize=(11, 8.5))
    gs = fig.add_gridspec(3, 3)
    ax = fig.add_subplot(gs[:, 0])
    h = np.array(d["attractor_h"])
    ax.plot(h[:, 0], h[:, 1], ".", ms=0.6, rasterized=True)
    ax.set_xlabel("h1")
    ax.set_ylabel("h2")
    spec = ", ".join(f"{v:+.3f}" for v in d["spectrum"])
    ax.set_title(wrap(f"chaotic 2-unit LSTM attractor; Lyapunov spectrum {spec} nats/step", 45),
                 fontsize=8)
    sl = d["slice"]
    s = np.array(sl["s"])
    lam = np.array(sl["lyapunov_max"])
    if "orbit_h1" in d:
        a0 = fig.add_subplot(gs[0, 1])
        o = np.array(d["orbit_h1"])
        a0.plot(np.repeat(s, o.shape[1]), o.ravel(), ",k", alpha=0.5, rasterized=True)
        a0.set_ylabel("h1, steps %d-%d" % tuple(d["orbit_steps"]))
        a0.set_title("orbit diagram along theta(s) = s theta_chaotic", fontsize=8)
    a1 = fig.add_subplot(gs[1, 1])
    a1.plot(s, sl["loss"], lw=0.6)
    a1.set_ylabel("loss (MSE to s = 1)")
    a2 = fig.add_subplot(gs[2, 1], sharex=a1)
    a2.plot(s, lam, lw=0.6)
    a2.axhline(0, color="k", lw=0.5)
    a2.fill_between(s, np.nanmin(lam), np.nanmax(lam), where=lam > 0, color="r", alpha=0.12,
                    lw=0)
    a2.set_ylabel("lambda_max (nats/step)")
    a2.set_xlabel("s")
    pl = d["plane"]
    a3 = fig.add_subplot(gs[:, 2])
    L = np.array(pl["loss"]).T
    m = a3.pcolormesh(pl["s1"], pl["s2"], np.log10(L + 1e-6), shading="auto", rasterized=True,
                      cmap="viridis")
    fig.colorbar(m, ax=a3, label="log10 loss")
    a3.plot([0, 1], [0, 0], "r+")
    a3.set_xlabel("s1 (zero -> chaotic weights)")
    a3.set_ylabel("s2 (zero -> random weights)")
    a3.set_title("loss on the plane, each point once", fontsize=8)
    fig.tight_layout()
    return fig


def fig_regions(plt, d):
    """The tanh RNN region maps: lambda_max, sup ||Df||, regions, loss
    sharpness over gain x input scale (``dynamics_regions.json``).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    d : dict
        The experiment's JSON data (:func:`read_experiment`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> plt = pyplot()
    >>> lam = [[-0.5, 0.1, 0.3], [-0.2, 0.2, 0.4]]
    >>> sup = [[0.5, 1.0, 1.5], [0.9, 1.1, 2.0]]
    >>> d = {"gain": [1.0, 2.0], "input_scale": [0.1, 0.2, 0.3], "lyapunov_max": lam,
    ...      "sup_norm": sup, "model": "tanh RNN",
    ...      "loss": {"gain": [1.0, 2.0], "input_scale": [0.1, 0.2, 0.3], "lyapunov_max": lam,
    ...               "sharpness": [[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]], "task": "a task"}}
    >>> fig = fig_regions(plt, d)
    >>> regions = np.asarray(fig.axes[2].collections[0].get_array()).reshape(2, 3)
    >>> regions.tolist()  # 0 contracting (sup < 0.98), 1 boundary, 2 expanding (sup > 1.02)
    [[0, 1, 2], [0, 2, 2]]
    >>> plt.close(fig)
    """
    import numpy as np

    g, s = np.array(d["gain"]), np.array(d["input_scale"])
    lam, sup = np.array(d["lyapunov_max"]), np.array(d["sup_norm"])
    lo = d["loss"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    draw_region_panel(axes[0, 0], s, g, lam, "largest Lyapunov exponent (0: black)")
    draw_region_panel(axes[0, 1], s, g, sup, "empirical sup ||Df|| along the orbit (1: black)",
                       center=1.0)
    axes[0, 1].contour(s, g, lam, levels=[0.0], colors="m", linewidths=1, linestyles="--")
    regions = np.where(sup < 0.98, 0, np.where(sup > 1.02, 2, 1))
    ax = axes[1, 0]
    ax.pcolormesh(s, g, regions, cmap=plt.get_cmap("coolwarm", 3), vmin=-0.5, vmax=2.5,
                  shading="auto", rasterized=True)
    ax.contour(s, g, lam, levels=[0.0], colors="k", linewidths=1.2)
    ax.axhline(1.0, color="gray", ls=":", lw=1)
    ax.set_title(wrap("regions by sup ||Df||: contracting (blue), boundary, expanding (red); "
                       "black: lambda_max = 0; dotted: bound g = 1", 60), fontsize=8)
    ax.set_xlabel("input scale s")
    ax.set_ylabel("recurrent gain g")
    ax = axes[1, 1]
    sh = np.array(lo["sharpness"])
    lsh = np.log10(np.abs(sh) + 1e-12)
    m = ax.pcolormesh(lo["input_scale"], lo["gain"], lsh, shading="auto", rasterized=True,
                      cmap="magma",
                      vmin=float(np.nanmin(lsh)), vmax=min(float(np.nanmax(lsh)), 6.0))
    plt.colorbar(m, ax=ax, label="log10 |top Hessian eigenvalue| (capped at 6)", extend="max")
    ax.contour(lo["input_scale"], lo["gain"], np.array(lo["lyapunov_max"]), levels=[0.0],
               colors="c", linewidths=1.2)
    ax.set_title(wrap(f"loss sharpness: {lo['task']}; cyan: lambda_max = 0", 60), fontsize=8)
    ax.set_xlabel("input scale s")
    ax.set_ylabel("recurrent gain g")
    fig.suptitle(wrap(d["model"], 100), fontsize=9)
    fig.tight_layout()
    return fig


def fig_training(plt, d):
    """Orbit diagrams, lambda_max, ||Df|| and sharpness along training
    (``dynamics_sine.json``, ``dynamics_seqclass.json``).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    d : dict
        The experiment's JSON data (:func:`read_experiment`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> plt = pyplot()
    >>> P, n_u = 2, 2
    >>> c = {"steps": [0, 10], "orbit_y": np.zeros((P, 1, n_u, 3, 1)).tolist(),
    ...      "u_values": [[0.1], [0.2]], "loss": [1.0, 0.5],
    ...      "lyapunov_max": [[-0.2, 0.1], [-0.3, -0.1]], "sup_norm": [[0.9, 1.1], [0.8, 1.2]],
    ...      "bound": [2.0, 3.0], "sharpness": [5.0, 7.0]}
    >>> d = {"checkpoints": c, "experiment": "sine-generator", "model": "LSTM", "task": "sine"}
    >>> fig = fig_training(plt, d)
    >>> lam = [ax for ax in fig.axes if ax.get_ylabel().startswith("lambda_max")][0]
    >>> lam.lines[0].get_ydata().tolist(), lam.lines[1].get_ydata().tolist()  # max, min over inputs
    ([0.1, -0.1], [-0.2, -0.3])
    >>> plt.close(fig)
    """
    import numpy as np

    c = d["checkpoints"]
    steps = np.array(c["steps"])
    y = np.array(c["orbit_y"])  # (P, n_init, n_u, kept, K)
    U = np.array(c["u_values"])
    P = len(steps)
    sine = d["experiment"] == "sine-generator"
    xs = U[:, 0] if sine else np.arange(U.shape[0])
    picks = sorted({0, P // 4, P // 2, P - 1})
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    slots = list(axes[0]) + [axes[1, 0]]
    for ax in slots[len(picks):]:
        ax.set_visible(False)
    for ax, i in zip(slots, picks):
        for j, w in enumerate(xs):
            v = y[i, :, j, :, 0].ravel()
            ax.plot(np.full(v.size, w), v, ".k", ms=1.5, alpha=0.5, rasterized=True)
        ax.set_title(f"orbit diagram, step {steps[i]} (loss {c['loss'][i]:.3g})", fontsize=8)
        ax.set_xlabel("constant input omega" if sine else "constant one-hot input (index)")
        ax.set_ylabel("output y" if sine else "first logit")
    ax = axes[1, 1]
    lam = np.array(c["lyapunov_max"])  # (P, n_u)
    ax.plot(steps, lam.max(axis=1), label="max over inputs")
    ax.plot(steps, lam.min(axis=1), label="min over inputs")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("training step")
    ax.set_ylabel("lambda_max (from the zero state)")
    ax.legend(fontsize=7)
    ax2 = ax.twinx()
    ax2.semilogy(steps, c["loss"], "g:", lw=1)
    ax2.set_ylabel("training loss (green)")
    ax = axes[1, 2]
    ax.plot(steps, np.array(c["sup_norm"]).max(axis=1), label="empirical sup ||Df||")
    ax.plot(steps, c["bound"], label="analytic bound")
    ax.axhline(1, color="k", lw=0.5)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.legend(fontsize=7, loc="upper left")
    ax3 = ax.twinx()
    ax3.semilogy(steps, np.abs(c["sharpness"]), "r:", lw=1)
    ax3.set_ylabel("loss sharpness (red)")
    fig.suptitle(wrap(f"{d['experiment']}: {d['model']}; {d['task']}", 130), fontsize=8)
    fig.tight_layout()
    return fig


_CLASS_COLOURS = {"contracting": "tab:blue", "boundary": "tab:gray", "chaotic": "tab:red",
                  "undefined": "k"}


def fig_region_stats(plt, d):
    """lambda_max (with its standard error) against |sharpness| on the loss grid,
    by class, and the counts (``dynamics_regions_stats.json``).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    d : dict
        The experiment's JSON data (:func:`read_experiment`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> counts = {"sharp>1e3": {"contracting": {"points": 2, "sharp": 0},
    ...                         "chaotic": {"points": 1, "sharp": 1}}}
    >>> d = {"lyapunov_max": [-0.5, -0.1, 0.2], "lyapunov_stderr": [0.01, 0.01, 0.02],
    ...      "sharpness": [10.0, 20.0, 5000.0], "model": "tanh RNN",
    ...      "classes": {"z=2": ["contracting", "contracting", "chaotic"]}, "counts": {"z=2": counts}}
    >>> fig = fig_region_stats(plt, d)
    >>> bars = fig.axes[1].patches
    >>> [int(b.get_height()) for b in bars]  # points per class, then those above 1e3
    [2, 1, 0, 1]
    >>> plt.close(fig)
    """
    import numpy as np

    lam = np.array(d["lyapunov_max"], dtype=float).ravel()
    err = np.array(d["lyapunov_stderr"], dtype=float).ravel()
    sh = np.abs(np.array(d["sharpness"], dtype=float)).ravel()
    key = "z=2" if "z=2" in d["classes"] else sorted(d["classes"])[-1]
    cls = np.array(d["classes"][key]).ravel()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    ax = axes[0]
    for c, col in _CLASS_COLOURS.items():
        m = cls == c
        if m.any():
            ax.errorbar(lam[m], sh[m], xerr=err[m], fmt="o", ms=3, color=col, lw=0.6,
                        label=f"{c} ({int(m.sum())})")
    ax.set_yscale("log")
    ax.set_xscale("symlog", linthresh=1e-4)
    ax.axhline(1e3, color="k", ls=":", lw=0.8)
    ax.axvline(0.0, color="k", lw=0.5)
    ax.set_xlabel("lambda_max (nats/step; symlog, linear within 1e-4) +- stderr")
    ax.set_ylabel("|top Hessian eigenvalue| of the loss")
    ax.legend(fontsize=7)
    ax.set_title(wrap(f"{len(lam)} grid points; class by lambda_max vs {key[2:]} standard "
                      "errors; dotted: |sharpness| = 1e3", 70), fontsize=8)
    ax = axes[1]
    counts = d["counts"][key]
    tkey = sorted(counts, key=lambda t: float(t.split(">")[1]))
    names = [c for c in ("contracting", "boundary", "chaotic") if c in counts[tkey[0]]]
    x = np.arange(len(names))
    tot = [counts[tkey[0]][c]["points"] for c in names]
    ax.bar(x - 0.27, tot, 0.27, color="lightgray", label="points")
    for i, t in enumerate(tkey):
        v = [counts[t][c]["sharp"] for c in names]
        ax.bar(x + 0.27 * i, v, 0.27, label=t)
        for xi, vi, ti in zip(x, v, tot):
            ax.text(xi + 0.27 * i, vi, f"{vi}/{ti}", ha="center", va="bottom", fontsize=6)
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels(names, fontsize=8)
    ax.legend(fontsize=7)
    ax.set_title("points per class, and those above the sharpness thresholds", fontsize=8)
    fig.suptitle(wrap(d["model"], 110), fontsize=8)
    fig.tight_layout()
    return fig


_MODEL_COLOURS = {"lstm": "tab:blue", "lstm-stable": "tab:green", "exprnn": "tab:purple"}


def fig_paper(plt, d):
    """The smoothness paper's runs (``dynamics_paper_<task>.json``): per model
    the loss over epochs, the orbit diagram across training under one input,
    the orbit diagram over the inputs at the last epoch, and lambda_max per
    input at the analysed checkpoints.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    d : dict
        The experiment's JSON data (:func:`read_experiment`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> run = {"model": "lstm", "seed": 0, "epoch": 2, "loss": [1.0, 0.5],
    ...        "orbit_over_training": [[[0.1, 0.2]], [[0.3, 0.4]]], "orbit_epochs": [1, 2],
    ...        "orbit_input": 0, "orbit_last": [[[0.1, 0.2]]],
    ...        "analysis": {"2": {"lyapunov": [[-0.1], [0.05]], "stderr": [[0.01], [0.01]]}}}
    >>> d = {"task": "sine", "inputs": [[0.1], [0.2]], "runs": [run], "experiment": "paper-sine"}
    >>> fig = fig_paper(plt, d)
    >>> [float(v) for v in fig.axes[0].lines[0].get_ydata()]  # the loss
    [1.0, 0.5]
    >>> [float(v) for v in fig.axes[3].lines[0].get_ydata()]  # lambda_max per input
    [-0.1, 0.05]
    >>> plt.close(fig)
    """
    import numpy as np

    models = [m for m in ("lstm", "lstm-stable", "exprnn") if any(r["model"] == m
                                                                   for r in d["runs"])]
    sine = d["task"] == "sine"
    inputs = np.array(d["inputs"], dtype=float)
    xin = inputs[:, 0] if sine else np.arange(len(inputs))
    fig, axes = plt.subplots(len(models), 4, figsize=(14, 3.0 * len(models)), squeeze=False)
    for row, m in zip(axes, models):
        runs = [r for r in d["runs"] if r["model"] == m]
        ax = row[0]
        for r in runs:
            ax.plot(np.arange(1, len(r["loss"]) + 1), r["loss"], lw=0.8,
                    label=f"seed {r['seed']} (epoch {r['epoch']})")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{m}\nloss" + (" per step" if sine else " per sequence"))
        ax.legend(fontsize=6)
        r = runs[0]
        ax = row[1]
        ot = np.array(r["orbit_over_training"], dtype=float)  # (E, keep, states[, K])
        ep = np.array(r["orbit_epochs"])
        vals = ot if sine else ot[..., 0]
        for i, e in enumerate(ep):
            v = vals[i].ravel()
            ax.plot(np.full(v.size, e), v, ".", ms=1.5, color=_MODEL_COLOURS[m], alpha=0.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel("output" if sine else "logit 0")
        lab = (f"omega = {xin[r['orbit_input']]:.3f}" if sine else f"symbol {r['orbit_input']}")
        ax.set_title(wrap(f"orbit diagram over training, seed {r['seed']}, {lab}", 45),
                     fontsize=8)
        ax = row[2]
        last = np.array(r["orbit_last"], dtype=float)  # (keep, states, inputs[, K])
        last = last if sine else last[..., 0]
        for j, xv in enumerate(xin):
            v = last[:, :, j].ravel()
            ax.plot(np.full(v.size, xv), v, ".", ms=1.5, color=_MODEL_COLOURS[m], alpha=0.6)
        ax.set_xlabel("constant input omega" if sine else "constant one-hot input")
        ax.set_title(f"orbit diagram at epoch {r['epoch']}, seed {r['seed']}", fontsize=8)
        ax = row[3]
        for r in runs:
            for e, a in sorted(r["analysis"].items(), key=lambda t: int(t[0])):
                lam = np.array(a["lyapunov"], dtype=float)[:, 0]
                err = np.array(a["stderr"], dtype=float)[:, 0]
                ax.errorbar(xin, lam, yerr=err, fmt="o-" if int(e) else "x:", ms=3, lw=0.6,
                            label=f"s{r['seed']} ep {e}")
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xlabel("constant input")
        ax.set_ylabel("lambda_max +- stderr")
        ax.legend(fontsize=5, ncol=2)
    fig.suptitle(wrap(f"{d['experiment']}: the authors' sizes; runs stopped at the epochs "
                      "shown, far before their schedule's end", 120), fontsize=9)
    fig.tight_layout()
    return fig
