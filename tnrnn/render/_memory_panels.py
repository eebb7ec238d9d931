"""The memory experiments' figures, built from their data (no files written).

Each function takes an experiment's JSON data (or a command's payload) and
returns the matplotlib figure(s); :mod:`tnrnn.render.memory_figures` saves
them. Nothing here computes: the numbers come from :mod:`tnrnn.linear_rnn`
(the fitted escape rates from :func:`tnrnn.linear_rnn.plateau_runs.escape_rate`).
"""

from __future__ import annotations

import numpy as np

from ._pyplot import pyplot

#: Errors below this are drawn at it (an exact 0 on a log axis).
FLOOR = 1e-16


def _floats(values) -> np.ndarray:
    """JSON numbers to floats, ``null`` to NaN."""
    return np.array([np.nan if v is None else v for v in values], float)


def _l1_resolved(values, cancellation) -> np.ndarray:
    """``values`` with NaN where the float64 cancellation estimate is not below 1% of
    the value (an L1 error float64 cannot resolve to 1%)."""
    values = np.asarray(values, float)
    return np.where(np.asarray(cancellation, float) < 0.01 * values, values, np.nan)


def approx_figures(data: dict) -> dict:
    """Error against width (L2, L1) and the cost of memory (smallest rate,
    conditioning) of a ``memory-approx`` result.

    Parameters
    ----------
    data : dict
        A ``memory-approx`` result
        (:func:`tnrnn.linear_rnn.experiments.approximation_experiment`).

    Returns
    -------
    dict
        ``{"memory_approx_l2": figure, "memory_approx_l1": figure,
        "memory_approx_cost": figure}``: one solid line per kernel (fixed
        sinc rates, relative error floored at :data:`FLOOR`), dashed with
        markers for the free rates; the cost figure has the smallest free
        rate and ``log10 1/pivot`` against m.

    Examples
    --------
    >>> rec = {"kernel": "exponential:1", "rho_l2_sq": 0.5, "rho_l1": 1.0,
    ...        "fixed": {"m": [1, 2], "l2_sq_error": [0.02, 0.0], "l1_error": [0.3, 0.1],
    ...                  "coefs_max": [1.0, 1.0], "min_rate": [1.0, 0.5],
    ...                  "log10_cond": [0.0, 0.6]}}
    >>> figs = approx_figures({"records": [rec]})
    >>> figs["memory_approx_l2"].axes[0].lines[0].get_ydata().tolist()  # sqrt(0.02 / 0.5), 0
    [0.2, 1e-16]
    >>> for f in figs.values(): pyplot().close(f)
    """
    plt = pyplot()
    figs = {}
    recs = data["records"]
    cmap = plt.get_cmap("tab10")
    for norm, key, ylabel in (("l2", "l2_sq_error", "relative L2 error ||rho - rho_hat||_2 / ||rho||_2"),
                              ("l1", "l1_error", "relative L1 error ||rho - rho_hat||_1 / ||rho||_1")):
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for i, r in enumerate(recs):
            f = r["fixed"]
            m = np.array(f["m"])
            y = _floats(f[key])
            if norm == "l2":
                y = np.sqrt(np.maximum(y, 0.0) / r["rho_l2_sq"])
            else:
                # drop L1 values that float64 cancellation cannot resolve to 1%
                cancel = 1e-15 * (2 * m + 1) * m * np.array(f["coefs_max"]) / np.array(f["min_rate"])
                y = _l1_resolved(y, cancel) / r["rho_l1"]
            ax.plot(m, np.maximum(y, FLOOR), "-", color=cmap(i % 10), label=r["kernel"], lw=1.3)
            if "free" in r:
                fr = r["free"]
                fy = _floats(fr[key])
                if norm == "l2":
                    fy = np.sqrt(np.maximum(fy, 0.0) / r["rho_l2_sq"])
                else:
                    cancel = np.array([1e-15 * (2 * len(a) + 1) * np.sum(np.abs(a) / np.array(w))
                                       for a, w in zip(fr["coefs"], fr["rates"])])
                    fy = _l1_resolved(fy, cancel) / r["rho_l1"]
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
        figs[f"memory_approx_{norm}"] = fig
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for i, r in enumerate(recs):
        if "free" not in r:
            continue
        fr = r["free"]
        axes[0].plot(fr["m"], fr["min_rate"], "o-", ms=3, color=cmap(i % 10), label=r["kernel"])
        axes[1].plot(fr["m"], fr["log10_cond"], "o-", ms=3, color=cmap(i % 10))
    if recs:
        axes[1].plot(np.array(recs[0]["fixed"]["m"]), recs[0]["fixed"]["log10_cond"], "k:",
                     label="sinc grid")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("m")
    axes[0].set_ylabel("smallest free rate found")
    axes[1].set_xlabel("m")
    axes[1].set_ylabel("log10 1/(smallest pivot) of the scaled Gram matrix")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("Where memory costs: the smallest rate and the conditioning of the best sums",
                 fontsize=10)
    figs["memory_approx_cost"] = fig
    return figs


def approx_rows_figure(payload: dict):
    """The figure of ``tnrnn memory approx``: errors of one kernel against m.

    Parameters
    ----------
    payload : dict
        ``kernel``, ``rates`` (the grid's name), ``rho_l1`` and ``rows`` with
        ``m``, ``relative_l2_error`` and optionally ``l1_error`` (the JSON of
        ``tnrnn memory approx``).

    Returns
    -------
    matplotlib.figure.Figure
        The relative L2 error (circles) and, when the rows have it, the
        relative L1 error ``l1_error / rho_l1`` (squares) against m, log scale.

    Examples
    --------
    >>> rows = [{"m": 1, "relative_l2_error": 0.3, "l1_error": 0.2},
    ...         {"m": 2, "relative_l2_error": 0.1, "l1_error": 0.05}]
    >>> fig = approx_rows_figure({"kernel": "polynomial:1", "rates": "sinc", "rho_l1": 2.0,
    ...                           "rows": rows})
    >>> [ln.get_ydata().tolist() for ln in fig.axes[0].lines]
    [[0.3, 0.1], [0.1, 0.025]]
    >>> pyplot().close(fig)
    """
    plt = pyplot()
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
    return fig


def rates_figure(data: dict):
    """Relative best-L1 bracket against m (fixed rates j beta/2) and the fitted
    exponents against smoothness, of a ``memory-rates`` result.

    Parameters
    ----------
    data : dict
        A ``memory-rates`` result (:func:`tnrnn.linear_rnn.experiments.rates_experiment`).

    Returns
    -------
    matplotlib.figure.Figure
        Left: per record, the bracket ``[l1_lower, l1_upper] / rho_l1``
        shaded and its upper end as a line; right: the fitted exponents with
        their intervals, and the lines alpha, alpha + 1 and alpha + 1/2.

    Examples
    --------
    >>> rec = {"alpha": 1, "beta": 1.0, "rho_l1": 2.0, "fits": {"fixed_l2": [1.4, 0.1]},
    ...        "fixed": {"m": [1, 2, 3], "l1_lower": [0.5, 0.2, 0.1], "l1_upper": [0.6, 0.3, 0.1]}}
    >>> fig = rates_figure({"records": [rec]})
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [0.3, 0.15, 0.05]
    >>> pyplot().close(fig)
    """
    plt = pyplot()
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
    return fig


def width_figure(data: dict):
    """Width needed against 1/epsilon for polynomial memory (``memory-width``).

    Parameters
    ----------
    data : dict
        A ``memory-width`` result (:func:`tnrnn.linear_rnn.experiments.width_experiment`).

    Returns
    -------
    matplotlib.figure.Figure
        Per record: ``width_l2`` (squares, solid) and ``width_l1_upper``
        (circles, dashed) against ``1/eps`` (``null``: beyond max m, not
        drawn), and the reference ``eps^(-1/omega)`` scaled to 1 at the first
        eps (dotted).

    Examples
    --------
    >>> rec = {"omega": 1.0, "width_l2": [1, 3, None], "width_l1_upper": [2, 5, None]}
    >>> fig = width_figure({"config": {"eps": [0.5, 0.25, 0.125]}, "records": [rec]})
    >>> [ln.get_ydata().tolist() for ln in fig.axes[0].lines]
    [[1.0, 3.0, nan], [2.0, 5.0, nan], [1.0, 2.0, 4.0]]
    >>> pyplot().close(fig)
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    eps = np.array(data["config"]["eps"], float)
    for i, r in enumerate(data["records"]):
        c = f"C{i}"
        for key, mk, ls in (("width_l2", "s", "-"), ("width_l1_upper", "o", "--")):
            ax.plot(1 / eps, _floats(r[key]), mk + ls, color=c, ms=4, lw=1,
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
    return fig


def plateaus_figure(data: dict):
    """Escape time against memory for every family, method and width, diverged
    runs counted (``memory-plateau`` records).

    Parameters
    ----------
    data : dict
        ``records`` of :func:`tnrnn.linear_rnn.plateau_runs.plateau_experiment`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per family: per (method, m) and memory value v, the escape
        times of the runs that escaped (dots at ``v + 0.08 j`` for the j-th
        (method, m)), the runs still on a plateau at their end (open
        triangles at ``ran_to``), the count of diverged runs, and the fitted
        rate of :func:`tnrnn.linear_rnn.plateau_runs.escape_rate` in the
        legend.

    Examples
    --------
    >>> import math
    >>> recs = [{"family": "delayed", "method": "gd-log", "m": 3, "value": v, "seed": s,
    ...          "diverged": s == 2, "censored": False, "ran_to": 1e6,
    ...          "escape": None if s == 2 else math.exp(0.9 * v)}
    ...         for v in (6.0, 8.0, 10.0) for s in range(3)]
    >>> fig = plateaus_figure({"records": recs})
    >>> dots = fig.axes[0].lines[0]
    >>> dots.get_xdata().tolist(), [round(math.log(y), 9) for y in dots.get_ydata()]
    ([6.0, 6.0], [5.4, 5.4])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['1 diverged', '1 diverged', '1 diverged']
    >>> pyplot().close(fig)
    """
    from ..linear_rnn.plateau_runs import escape_rate

    plt = pyplot()
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
                 "1.05 L_ref, the lowest loss the runs reached at that target and m",
                 fontsize=9)
    return fig


def plateau_curves_figure(data: dict):
    """Loss curves of the ODE flows at seed 0 and m = 3, loss / ||rho||^2, one
    panel per family (``memory-plateau`` records).

    Parameters
    ----------
    data : dict
        ``records`` of :func:`tnrnn.linear_rnn.plateau_runs.plateau_experiment`
        (those with ``seed`` 0, ``method`` ``'ode-log'`` and ``m`` 3 are drawn).

    Returns
    -------
    matplotlib.figure.Figure
        Per drawn record, ``curve["loss"] / rho_l2_sq`` against ``curve["t"]``
        (points at ``t <= 0`` left out: log axis) and the free-rate bound L_3*
        ``lstar / rho_l2_sq`` as a dotted level.

    Examples
    --------
    >>> import numpy as np
    >>> rec = {"family": "delayed", "method": "ode-log", "m": 3, "seed": 0, "value": 4.0,
    ...        "rho_l2_sq": 2.0, "lstar": 0.5,
    ...        "curve": {"t": [0.0, 1.0, 10.0], "loss": [2.0, 1.0, 0.5]}}
    >>> fig = plateau_curves_figure({"records": [rec]})
    >>> curve, level = fig.axes[0].lines
    >>> [np.asarray(ln.get_xdata()).tolist() for ln in (curve, level)][0]
    [1.0, 10.0]
    >>> [np.asarray(ln.get_ydata()).tolist() for ln in (curve, level)]
    [[0.5, 0.25], [0.25, 0.25]]
    >>> pyplot().close(fig)
    """
    plt = pyplot()
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
        ax.set_ylabel("loss / ||rho||^2 (dotted: free-rate bound L_3*)")
        ax.set_title(fam, fontsize=9)
        ax.legend(fontsize=6)
        ax.grid(True, which="both", alpha=0.3)
    return fig


def training_figures(data: dict, floors: dict | None = None) -> dict:
    """Learned kernels against their targets, and training curves with the
    floor at their width (``memory-train``).

    Parameters
    ----------
    data : dict
        A ``memory-train`` result (records with ``kernel``, ``model``, ``seed``,
        ``kernel_t``, ``target``, ``learned``, ``curve`` and ``test_loss``).
    floors : dict, optional
        A ``memory-floors`` result: the best loss at each kernel's width,
        drawn as a level (floored at 1e-16).

    Returns
    -------
    dict
        ``{"memory_train_kernels": figure, "memory_train_loss": figure}``:
        per kernel, the target (black) and each model's learned kernel at
        seed 0 (dashed); the loss curves of every seed, and the floor.

    Examples
    --------
    >>> rec = {"kernel": "exponential:1", "model": "diagonal", "seed": 0, "test_loss": 0.01,
    ...        "kernel_t": [0.0, 1.0], "target": [1.0, 0.37], "learned": [0.9, 0.4],
    ...        "curve": {"step": [1, 10], "loss": [0.5, 0.01]}}
    >>> floors = {"records": [{"kernel": "exponential:1", "floor_real": 1e-3, "hidden": 8}]}
    >>> figs = training_figures({"records": [rec]}, floors)
    >>> [list(map(float, ln.get_ydata())) for ln in figs["memory_train_kernels"].axes[0].lines]
    [[1.0, 0.37], [0.9, 0.4]]
    >>> [list(map(float, ln.get_ydata())) for ln in figs["memory_train_loss"].axes[0].lines]
    [[0.5, 0.01], [0.001, 0.001]]
    >>> for f in figs.values(): pyplot().close(f)
    """
    plt = pyplot()
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
    figs = {"memory_train_kernels": fig}
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
    figs["memory_train_loss"] = fig
    return figs


def flow_figure(times, loss, plateaus, title: str = ""):
    """A loss curve with its plateaus marked (the figure of ``tnrnn memory flow``).

    Parameters
    ----------
    times : array_like
        Steps (or flow times); points at ``t <= 0`` are not drawn (log axis).
    loss : array_like
        The loss there.
    plateaus : sequence of tnrnn.linear_rnn.Plateau
        Each drawn as a dotted level from its start to its exit (or the last
        time), and a vertical line at its exit.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The curve (first line), then per plateau its exit line.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import plateau_times
    >>> t = np.arange(1.0, 1001.0)
    >>> loss = np.where(t < 100, 1.0, 0.01)
    >>> pls = plateau_times(t, loss)
    >>> fig = flow_figure(t, loss, pls, "one plateau")
    >>> curve, exit_line = fig.axes[0].lines
    >>> bool(np.array_equal(curve.get_ydata(), loss)), list(exit_line.get_xdata()) == [pls[0].exit] * 2
    (True, True)
    >>> pyplot().close(fig)
    """
    plt = pyplot()
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
    return fig
