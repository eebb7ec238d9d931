"""Figures of the memory experiments, drawn from their JSON data (matplotlib, lazy).

``draw_all(results_dir, out_dir)`` draws whichever of these exist (each file is
checked by :func:`tnrnn.linear_rnn._store.load_result` first):

* ``memory_approx_l2.png`` / ``memory_approx_l1.png`` / ``memory_approx_cost.png``
  from ``memory-approx.json``;
* ``memory_rates.png`` from ``memory-rates.json`` (errors and fitted exponents
  against smoothness and decay);
* ``memory_width.png`` from ``memory-width.json`` (width against epsilon);
* ``memory_plateau_escape.png`` and ``memory_plateau_curves.png`` from
  ``memory-plateau.json``;
* ``memory_train_kernels.png`` / ``memory_train_loss.png`` from
  ``memory-train.json`` with the floors of ``memory-floors.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["draw_all", "draw_approx", "draw_rates", "draw_width", "draw_plateaus",
           "draw_training", "draw_flow", "draw_approx_rows"]


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
    """Error against width (L2, L1) and the cost of memory (smallest rate, conditioning).

    Parameters
    ----------
    data : dict
        A ``memory-approx`` result (:func:`tnrnn.linear_rnn.experiments.approximation_experiment`).
    out_dir : str or pathlib.Path
        Folder for ``memory_approx_{l2,l1,cost}.png`` (and ``.svg``).

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.experiments import approximation_experiment
    >>> from tnrnn.linear_rnn.figures import draw_approx
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> d = approximation_experiment(tmp / "a.json", ["exponential:1"], max_m=2, free_m=1)
    >>> [pathlib.Path(p).name for p in draw_approx(d, tmp)][::2]
    ['memory_approx_l2.png', 'memory_approx_l1.png', 'memory_approx_cost.png']
    """
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
    """The CLI's figure: errors of one kernel against m.

    Parameters
    ----------
    payload : dict
        ``kernel``, ``rates`` (the grid's name), ``rho_l1`` and ``rows`` with
        ``m``, ``relative_l2_error`` and optionally ``l1_error`` (the JSON of
        ``tnrnn memory approx``).
    path : str or pathlib.Path
        The figure file.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_approx_rows
    >>> rows = [{"m": 1, "relative_l2_error": 0.3, "l1_error": 0.2},
    ...         {"m": 2, "relative_l2_error": 0.1, "l1_error": 0.05}]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "rows.svg"
    >>> payload = {"kernel": "polynomial:1", "rates": "sinc", "rho_l1": 1.0, "rows": rows}
    >>> draw_approx_rows(payload, out) == [str(out)] and out.stat().st_size > 0
    True
    """
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


def draw_rates(data: dict, path) -> list[str]:
    """Relative best-L1 bracket against m (fixed rates j beta/2) and the fitted exponents.

    Parameters
    ----------
    data : dict
        A ``memory-rates`` result (:func:`tnrnn.linear_rnn.experiments.rates_experiment`).
    path : str or pathlib.Path
        The figure file.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_rates
    >>> rec = {"alpha": 1, "beta": 1.0, "rho_l1": 1.0, "fits": {"fixed_l2": [1.4, 0.1]},
    ...        "fixed": {"m": [1, 2, 3], "l1_lower": [0.5, 0.2, 0.1], "l1_upper": [0.6, 0.25, 0.1]}}
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "rates.svg"
    >>> draw_rates({"records": [rec]}, out) == [str(out)] and out.exists()
    True
    """
    plt = _plt()
    recs = data["records"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    cmap = plt.get_cmap("viridis")
    alphas = sorted({r["alpha"] for r in recs})
    betas = sorted({r["beta"] for r in recs})
    styles = {b: s for b, s in zip(betas, ["-", "--", ":", "-."])}
    for r in recs:
        f = r["fixed"]
        c = cmap(alphas.index(r["alpha"]) / max(1, len(alphas) - 1))
        m = np.array(f["m"])
        axes[0].fill_between(m, np.array(f["l1_lower"]) / r["rho_l1"],
                             np.array(f["l1_upper"]) / r["rho_l1"], color=c, alpha=0.4)
        axes[0].plot(m, np.array(f["l1_upper"]) / r["rho_l1"], styles[r["beta"]], color=c,
                     lw=1, label=f"alpha={r['alpha']}, beta={r['beta']:g}")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("m (rates j beta/2, j = 1..m)")
    axes[0].set_ylabel("best L1 error / ||rho||_1 (LP bracket)")
    axes[0].legend(fontsize=6, ncol=2)
    axes[0].grid(True, which="both", alpha=0.3)
    for key, mk, lab in (("fixed_l1_upper", "o", "fixed rates, best L1"),
                         ("fixed_l2", "s", "fixed rates, L2"),
                         ("free_l2", "^", "free rates, L2")):
        for b in betas:
            xs, ys, es = [], [], []
            for r in recs:
                if r["beta"] == b and r["fits"].get(key):
                    xs.append(r["alpha"] + 0.05 * betas.index(b))
                    ys.append(r["fits"][key][0])
                    es.append(r["fits"][key][1])
            axes[1].errorbar(xs, ys, yerr=es, fmt=mk, ms=4, capsize=2,
                             label=f"{lab}, beta={b:g}" if b == betas[0] else None,
                             color={"fixed_l1_upper": "C0", "fixed_l2": "C1",
                                    "free_l2": "C2"}[key])
    a = np.array(alphas, float)
    axes[1].plot(a, a, "k-", lw=0.8, label="theorem (as stated): alpha")
    axes[1].plot(a, a + 1, "C0:", lw=0.8, label="derived, best L1: alpha + 1")
    axes[1].plot(a, a + 0.5, "C1:", lw=0.8, label="derived, L2: alpha + 1/2")
    axes[1].set_xlabel("smoothness alpha")
    axes[1].set_ylabel("fitted exponent p (error ~ m^-p, m >= 6, 95% interval)")
    axes[1].legend(fontsize=6)
    axes[1].grid(True, alpha=0.3)
    fig.suptitle("Approximation rate against smoothness and decay: kernels "
                 "(t - 1)_+^alpha e^{-beta (t - 1)}", fontsize=10)
    return _save(fig, path)


def draw_width(data: dict, path) -> list[str]:
    """Width needed against 1/epsilon for polynomial memory.

    Parameters
    ----------
    data : dict
        A ``memory-width`` result (:func:`tnrnn.linear_rnn.experiments.width_experiment`).
    path : str or pathlib.Path
        The figure file.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_width
    >>> rec = {"omega": 1.0, "width_l2": [1, 3, None], "width_l1_upper": [2, 5, None]}
    >>> data = {"config": {"eps": [0.1, 0.01, 0.001]}, "records": [rec]}
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "width.svg"
    >>> draw_width(data, out) == [str(out)] and out.exists()
    True
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    eps = np.array(data["config"]["eps"], float)
    for i, r in enumerate(data["records"]):
        c = f"C{i}"
        for key, mk, ls in (("width_l2", "s", "-"), ("width_l1_upper", "o", "--")):
            wv = np.array([np.nan if v is None else v for v in r[key]], float)
            ax.plot(1 / eps, wv, mk + ls, color=c, ms=4, lw=1,
                    label=f"omega={r['omega']:g}, {'L2' if key == 'width_l2' else 'best L1 (upper)'}")
        ref = eps ** (-1 / r["omega"])
        ax.plot(1 / eps, ref * (1 / ref[0]), ":", color=c, lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 / epsilon (relative error)")
    ax.set_ylabel("smallest m reaching it (free rates)")
    ax.set_title("Width against accuracy, (1 + t)^-(1 + omega); dotted: eps^(-1/omega), "
                 "scaled to 1 at the first eps; missing: > max m", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    return _save(fig, path)


def draw_plateaus(data: dict, path) -> list[str]:
    """Escape time against memory for every family, method and width; diverged runs counted.

    Parameters
    ----------
    data : dict
        ``records`` of :func:`tnrnn.linear_rnn.plateau_runs.plateau_experiment`.
    path : str or pathlib.Path
        The figure file.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import math, pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_plateaus
    >>> recs = [{"family": "delayed", "method": "gd-log", "m": 3, "value": v, "seed": s,
    ...          "diverged": s == 2, "censored": False, "ran_to": 1e6,
    ...          "escape": None if s == 2 else math.exp(0.9 * v)}
    ...         for v in (6.0, 8.0, 10.0) for s in range(3)]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "escape.svg"
    >>> draw_plateaus({"records": recs}, out) == [str(out)] and out.exists()
    True
    """
    from .plateau_runs import escape_rate

    plt = _plt()
    recs = data["records"]
    fams = list(dict.fromkeys(r["family"] for r in recs))
    fig, axes = plt.subplots(1, len(fams), figsize=(5 * len(fams), 4.6), squeeze=False)
    combos = list(dict.fromkeys((r["method"], r["m"]) for r in recs))
    for ax, fam in zip(axes[0], fams):
        for j, (meth, m) in enumerate(combos):
            rs = [r for r in recs if r["family"] == fam and r["method"] == meth and r["m"] == m]
            if not rs:
                continue
            vals = sorted({r["value"] for r in rs})
            x = np.array(vals, float) + 0.08 * j
            for xi, v in zip(x, vals):
                grp = [r for r in rs if r["value"] == v]
                esc = [r["escape"] for r in grp if not r["diverged"] and r["escape"]]
                ax.plot([xi] * len(esc), esc, "o", color=f"C{j}", ms=3)
                cens = [r["ran_to"] for r in grp if not r["diverged"] and r["censored"]]
                ax.plot([xi] * len(cens), cens, "^", color=f"C{j}", ms=5, mfc="none")
                ndiv = sum(r["diverged"] for r in grp)
                if ndiv:
                    ax.annotate(f"{ndiv} diverged", (xi, 1.5), fontsize=6, color=f"C{j}")
            fit = escape_rate(rs, fam, meth, m, min_value=6.0 if fam == "delayed" else -np.inf)
            lab = f"{meth}, m={m}"
            if fit:
                lab += f": e^({fit.rate:.2f} v) [{fit.low:.2f}, {fit.high:.2f}]"
            ax.plot([], [], "o", color=f"C{j}", label=lab)
        ax.set_yscale("log")
        ax.set_xlabel({"delayed": "t0 (delay)", "airy": "shift t0 of Ai(t - t0)",
                       "expsum": "slow time scale v of e^-t + e^-t/v",
                       "lorenz96": "observation delay t0 of the Lorenz-96 target"}.get(fam, "v"))
        ax.set_ylabel("escape time (steps; ODE: tau / lr); ^ = still on a plateau at the end")
        ax.set_title(fam, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    fig.suptitle("Plateaus from random asymmetric starts (log rates); 0 = no plateau above "
                 "the best m-term loss", fontsize=9)
    return _save(fig, path)


def draw_plateau_curves(data: dict, path) -> list[str]:
    """Loss curves (seed 0, ODE flow, m = 3), loss / ||rho||^2, for every target."""
    plt = _plt()
    recs = [r for r in data["records"] if r["seed"] == 0 and r["method"] == "ode-log"
            and r["m"] == 3]
    fams = list(dict.fromkeys(r["family"] for r in recs))
    fig, axes = plt.subplots(1, max(1, len(fams)), figsize=(5 * max(1, len(fams)), 4.2),
                             squeeze=False)
    for ax, fam in zip(axes[0], fams):
        rs = [r for r in recs if r["family"] == fam]
        vals = sorted({r["value"] for r in rs})
        cmap = plt.get_cmap("viridis")
        for r in rs:
            c = cmap(vals.index(r["value"]) / max(1, len(vals) - 1))
            t = np.array(r["curve"]["t"])
            ok = t > 0
            ax.plot(t[ok], np.array(r["curve"]["loss"])[ok] / r["rho_l2_sq"], color=c, lw=1,
                    label=f"v = {r['value']:g}")
            ax.axhline(r["lstar"] / r["rho_l2_sq"], color=c, lw=0.5, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("flow time / lr")
        ax.set_ylabel("loss / ||rho||^2 (dotted: best 3-term loss)")
        ax.set_title(fam, fontsize=9)
        ax.legend(fontsize=6)
        ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path)


def draw_training(data: dict, out_dir, floors: dict | None = None) -> list[str]:
    """Learned kernels against their targets, and training curves with the floor at their width.

    Parameters
    ----------
    data : dict
        A ``memory-train`` result (records with ``kernel``, ``model``, ``seed``,
        ``kernel_t``, ``target``, ``learned``, ``curve`` and ``test_loss``).
    out_dir : str or pathlib.Path
        Folder for ``memory_train_kernels.png`` and ``memory_train_loss.png``.
    floors : dict, optional
        A ``memory-floors`` result: the best loss at each kernel's width, drawn
        as a line.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_training
    >>> rec = {"kernel": "exponential:1", "model": "diagonal", "seed": 0, "test_loss": 0.01,
    ...        "kernel_t": [0.0, 1.0], "target": [1.0, 0.37], "learned": [0.9, 0.4],
    ...        "curve": {"step": [1, 10], "loss": [0.5, 0.01]}}
    >>> floors = {"records": [{"kernel": "exponential:1", "floor_real": 1e-3, "hidden": 8}]}
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> [pathlib.Path(p).name for p in draw_training({"records": [rec]}, tmp, floors)][::2]
    ['memory_train_kernels.png', 'memory_train_loss.png']
    """
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
    fl = {r["kernel"]: r for r in (floors or {}).get("records", [])}
    for ax, k in zip(axes[0], kernels):
        for mi, mdl in enumerate(models):
            for r in data["records"]:
                if r["kernel"] == k and r["model"] == mdl:
                    ax.plot(r["curve"]["step"], r["curve"]["loss"], lw=0.8, color=f"C{mi}",
                            alpha=1.0 if r["seed"] == 0 else 0.5,
                            label=f"{mdl} seed {r['seed']} (test {r['test_loss']:.2g})")
        if k in fl:
            ax.axhline(max(fl[k]["floor_real"], 1e-16), color="k", lw=1.2,
                       label=f"floor at width {fl[k]['hidden']}: {fl[k]['floor_real']:.2g}")
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
    """A loss curve with its plateaus marked (the CLI's figure).

    Parameters
    ----------
    times : array_like
        Steps (or flow times); points at ``t <= 0`` are not drawn (log axis).
    loss : array_like
        The loss there.
    plateaus : sequence of Plateau
        Drawn as dotted levels up to their exits.
    path : str or pathlib.Path
        The figure file.
    title : str
        Figure title.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import plateau_times
    >>> from tnrnn.linear_rnn.figures import draw_flow
    >>> t = np.arange(1.0, 1001.0)
    >>> loss = np.where(t < 100, 1.0, 0.01)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "flow.svg"
    >>> draw_flow(t, loss, plateau_times(t, loss), out, "one plateau") == [str(out)]
    True
    """
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
    """Draw every figure whose data file exists in ``results_dir`` (each file checked).

    Parameters
    ----------
    results_dir : str or pathlib.Path
        Folder with the ``memory-*.json`` results (module docstring).
    out_dir : str or pathlib.Path
        Folder for the figures.

    Returns
    -------
    list of str
        The files written (a ``.png`` path also gets an ``.svg`` beside it).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from tnrnn.linear_rnn.figures import draw_all
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> draw_all(tmp, tmp)                       # no data, no figures
    []
    >>> _ = (tmp / "memory-width.json").write_text(json.dumps({"kind": "memory-rates",
    ...                                                         "records": []}))
    >>> # a file of another kind is refused
    >>> draw_all(tmp, tmp)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: ...memory-width.json' holds a 'memory-rates' result, not 'memory-width'; ...
    """
    from ._store import load_result

    results_dir, out_dir = Path(results_dir), Path(out_dir)
    paths = []

    def get(name, kind):
        f = results_dir / name
        return load_result(f, kind) if f.exists() else None

    d = get("memory-approx.json", "memory-approx")
    if d:
        paths += draw_approx(d, out_dir)
    d = get("memory-rates.json", "memory-rates")
    if d:
        paths += draw_rates(d, out_dir / "memory_rates.png")
    d = get("memory-width.json", "memory-width")
    if d:
        paths += draw_width(d, out_dir / "memory_width.png")
    d = get("memory-plateau.json", "memory-plateau")
    d2 = get("memory-plateau-delayed.json", "memory-plateau")
    if d or d2:
        both = {"records": (d or {"records": []})["records"]
                + (d2 or {"records": []})["records"]}
        paths += draw_plateaus(both, out_dir / "memory_plateau_escape.png")
        paths += draw_plateau_curves(both, out_dir / "memory_plateau_curves.png")
    d = get("memory-train.json", "memory-train")
    if d:
        paths += draw_training(d, out_dir, get("memory-floors.json", "memory-floors"))
    return paths
