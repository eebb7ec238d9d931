"""Figures of the dynamics commands (``tnrnn dynamics ...``), from their results.

Every function takes the pyplot module (from :func:`pyplot`, which imports
matplotlib with the Agg backend only when called) and the command's result or
the experiment's JSON data, and returns the matplotlib figure; the caller
saves it. Nothing here computes dynamics: the numbers come from
:mod:`tnrnn.dynamics`.

:data:`EXPERIMENT_FIGURES` maps each experiment's data name
(``dynamics_<name>.json``) to the function that draws it.

Examples
--------
>>> wrap("a b c", width=3)
'a b\\nc'
>>> sorted(EXPERIMENT_FIGURES)
['chaotic_lstm', 'paper_seqclass', 'paper_sine', 'regions', 'regions_stats', 'seqclass', 'sine']
"""

from __future__ import annotations

from ._pyplot import pyplot

__all__ = ["pyplot", "wrap", "lyapunov_figure", "fixed_points_figure", "orbit_figure",
           "lipschitz_figure", "region_map_figure", "draw_region_panel", "slice_figure",
           "fig_chaotic", "fig_regions", "fig_training", "fig_region_stats", "fig_paper",
           "EXPERIMENT_FIGURES",
           "EXPERIMENT_KINDS", "read_experiment", "draw_experiment", "save_figure"]


def save_figure(fig, path) -> None:
    """Save ``fig`` (format from the suffix) through an atomic write: the
    file is rendered in memory, written to a temporary file in the target
    folder and renamed; a failed write raises
    :class:`~tnrnn.errors.OutputPathError` naming where the image was kept.
    SVGs carry no date, so the same data give the same file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
        The image file; its suffix (``.png``, ``.svg``, ``.pdf``) is the format.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> plt = pyplot()
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2], [3, 4])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_figure(fig, pathlib.Path(d) / "f.svg")
    ...     text = (pathlib.Path(d) / "f.svg").read_text()
    >>> text.startswith("<?xml") and "<dc:date>" not in text
    True
    >>> plt.close(fig)
    """
    import io
    from pathlib import Path

    from .._io import atomic_write_bytes

    fmt = Path(path).suffix.lower().lstrip(".") or "png"
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=130, metadata={"Date": None} if fmt == "svg" else None)
    atomic_write_bytes(path, buf.getvalue(), what="the figure")


def wrap(text: str, width: int = 70) -> str:
    """``text`` broken into lines of at most ``width`` characters (for titles).

    Parameters
    ----------
    text : str
    width : int, default 70
        Longest line, in characters.

    Returns
    -------
    str
        The lines joined by newlines.

    Examples
    --------
    >>> wrap("the largest Lyapunov exponent", width=12).splitlines()
    ['the largest', 'Lyapunov', 'exponent']
    """
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _trace_figure(plt, description, x, y, xlabel, ylabel, style="-", **kwargs):
    """One wide panel of ``y`` against ``x`` titled by the system's description."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, y, style, **kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(wrap(description), fontsize=8)
    return fig, ax


def lyapunov_figure(plt, res, description):
    """Running estimate of the largest exponent (``lyapunov_spectrum``'s result).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    res : LyapunovResult
        With ``steps`` (steps averaged) and ``running`` (the running estimate,
        sampled evenly over those steps).
    description : str
        The system, for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import types
    >>> import numpy as np
    >>> plt = pyplot()
    >>> res = types.SimpleNamespace(steps=100, running=np.array([0.5, 0.3, 0.2, 0.1]))
    >>> fig = lyapunov_figure(plt, res, "a test map")
    >>> line = fig.axes[0].lines[0]
    >>> line.get_xdata().tolist(), line.get_ydata().tolist()
    ([25.0, 50.0, 75.0, 100.0], [0.5, 0.3, 0.2, 0.1])
    >>> plt.close(fig)
    """
    import numpy as np

    x = res.steps / len(res.running) * np.arange(1, len(res.running) + 1)
    fig, ax = _trace_figure(plt, description, x, res.running, "steps averaged",
                            "running exponent (nats/step)")
    ax.axhline(0, color="k", lw=0.5)
    return fig


def fixed_points_figure(plt, rows):
    """Eigenvalues of Df at each fixed point (rows of ``fixed-points --json``)
    against the unit circle.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    rows : list of dict
        Rows of ``tnrnn dynamics fixed-points --json``: ``eigenvalues`` (pairs
        ``[re, im]``), ``stability`` and ``point``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> rows = [{"eigenvalues": [[0.5, 0.0], [-0.2, 0.1]], "stability": "stable", "point": [0.0]}]
    >>> fig = fixed_points_figure(plt, rows)
    >>> pts = fig.axes[0].lines[0]
    >>> pts.get_xdata().tolist(), pts.get_ydata().tolist(), pts.get_label()
    ([0.5, -0.2], [0.0, 0.1], 'stable 0')
    >>> plt.close(fig)
    """
    import numpy as np

    fig, ax = plt.subplots(figsize=(4.5, 4))
    for r in rows:
        ev = np.array(r["eigenvalues"])
        ax.plot(ev[:, 0], ev[:, 1], "o", ms=4, label=f"{r['stability']} {r['point'][0]:.3g}")
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), "k", lw=0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("Re eig Df")
    ax.set_ylabel("Im eig Df")
    ax.legend(fontsize=6)
    return fig


def orbit_figure(plt, s, first, description):
    """Orbit diagram: ``first[i]`` (runs x steps) of the first coordinate at each ``s[i]``.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    s : array of shape (S,)
        The scales ``s`` of the parameters.
    first : array of shape (S, runs, steps)
        The first state coordinate along each orbit.
    description : str
        The system, for the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> plt = pyplot()
    >>> first = np.arange(12.0).reshape(2, 2, 3)
    >>> fig = orbit_figure(plt, np.array([0.5, 1.0]), first, "a test map")
    >>> pts = fig.axes[0].lines[0]
    >>> pts.get_xdata().tolist() == [0.5] * 6 + [1.0] * 6, pts.get_ydata().tolist() == first.ravel().tolist()
    (True, True)
    >>> plt.close(fig)
    """
    import numpy as np

    fig, _ = _trace_figure(plt, description, np.repeat(s, first.shape[1] * first.shape[2]),
                           first.ravel(), "s (theta = s * theta0)", "first state coordinate",
                           ",k", alpha=0.5)
    return fig


def lipschitz_figure(plt, norms, bounds):
    """||Df|| along a trajectory, with the first analytic bound (dashed) and 1.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    norms : array-like
        ``||Df(x_k)||_2`` at each step.
    bounds : list of dict
        The analytic bounds (``value``); the first is drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> fig = lipschitz_figure(plt, [0.5, 2.0, 1.5], [{"value": 3.0}, {"value": 9.0}])
    >>> ax = fig.axes[0]
    >>> [[float(v) for v in line.get_ydata()] for line in ax.lines[:2]], len(ax.lines)
    ([[0.5, 2.0, 1.5], [3.0, 3.0]], 3)
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(norms, lw=0.6)
    for bd in bounds[:1]:
        ax.axhline(bd["value"], color="r", ls="--", label="analytic bound")
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set_xlabel("step")
    ax.set_ylabel("||Df(x_k)||_2")
    ax.set_yscale("log")
    return fig


def region_map_figure(plt, rm):
    """The largest exponent over gain x input scale (``tanh_region_map``'s result).

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    rm : RegionMap
        With ``b`` (input scales), ``a`` (gains) and ``lyapunov`` (the largest
        exponent, gains x scales).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import types
    >>> import numpy as np
    >>> plt = pyplot()
    >>> Z = np.array([[-1.0, 0.5, 1.0], [-0.5, 0.2, 2.0]])
    >>> rm = types.SimpleNamespace(b=np.array([0.1, 0.2, 0.3]), a=np.array([1.0, 2.0]), lyapunov=Z)
    >>> fig = region_map_figure(plt, rm)
    >>> np.array_equal(np.asarray(fig.axes[0].collections[0].get_array()).reshape(Z.shape), Z)
    True
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    draw_region_panel(ax, rm.b, rm.a, rm.lyapunov, "largest Lyapunov exponent")
    return fig


def draw_region_panel(ax, x, y, Z, title, *, cmap="RdBu_r", center=0.0,
                      contour=None) -> None:
    """One gain x input-scale map on ``ax``, diverging around ``center``, with
    the ``center`` contour (of ``contour`` at 0 when given) in black.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : array of shape (nx,)
        Input scales (horizontal).
    y : array of shape (ny,)
        Gains (vertical).
    Z : array of shape (ny, nx)
        The value drawn.
    title : str
    cmap : str, default "RdBu_r"
        A diverging colour map.
    center : float, default 0.0
        The value at the middle of the colour map, also the contour drawn.
    contour : array of shape (ny, nx), optional
        Draw its zero contour instead of ``Z``'s ``center`` contour.

    Examples
    --------
    >>> import numpy as np
    >>> plt = pyplot()
    >>> fig, ax = plt.subplots()
    >>> Z = np.array([[0.5, 1.5], [0.8, 2.0]])
    >>> draw_region_panel(ax, [0.1, 0.2], [1.0, 2.0], Z, "sup ||Df||", center=1.0)
    >>> mesh = ax.collections[0]
    >>> np.asarray(mesh.get_array()).reshape(2, 2).tolist(), mesh.norm.vcenter
    ([[0.5, 1.5], [0.8, 2.0]], 1.0)
    >>> plt.close(fig)
    """
    import numpy as np

    from matplotlib.colors import TwoSlopeNorm

    lo, hi = float(np.nanmin(Z)), float(np.nanmax(Z))
    lo, hi = min(lo, center - 1e-9), max(hi, center + 1e-9)
    m = ax.pcolormesh(x, y, Z, cmap=cmap, norm=TwoSlopeNorm(center, lo, hi), shading="auto",
                      rasterized=True)
    ax.figure.colorbar(m, ax=ax)
    ax.contour(x, y, Z if contour is None else contour, levels=[center if contour is None else 0.0],
               colors="k", linewidths=1)
    ax.set_xlabel("input scale s")
    ax.set_ylabel("recurrent gain g")
    ax.set_title(title, fontsize=9)


def slice_figure(plt, res):
    """Loss along s * theta (and lambda_max below it) from ``scale_slice``'s result.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    res : dict
        ``scale_slice``'s result: ``s``, ``loss``, ``lyapunov_max`` (may be
        empty: then one panel) and ``system``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> res = {"s": [0.5, 1.0, 1.5], "loss": [0.2, 0.0, 0.3], "lyapunov_max": [-0.1, 0.0, 0.2],
    ...        "system": "a test map"}
    >>> fig = slice_figure(plt, res)
    >>> [ax.lines[0].get_ydata().tolist() for ax in fig.axes]
    [[0.2, 0.0, 0.3], [-0.1, 0.0, 0.2]]
    >>> plt.close(fig)
    """
    import numpy as np

    s = np.array(res["s"])
    has_lam = bool(res["lyapunov_max"])
    fig, axes = plt.subplots(2 if has_lam else 1, 1, figsize=(6, 5 if has_lam else 3),
                             sharex=True, squeeze=False)
    ax = axes[0, 0]
    ax.plot(s, res["loss"], lw=0.7)
    ax.set_ylabel("loss (MSE to s = 1)")
    ax.set_title(wrap(res["system"]), fontsize=8)
    if has_lam:
        ax2 = axes[1, 0]
        lam = np.array(res["lyapunov_max"])
        ax2.plot(s, lam, lw=0.7)
        ax2.axhline(0, color="k", lw=0.5)
        ax2.fill_between(s, lam.min(), lam.max(), where=lam > 0, color="r", alpha=0.1)
        ax2.set_ylabel("lambda_max")
    axes[-1, 0].set_xlabel("s (theta = s * theta0)")
    return fig



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


#: Experiment data name (``dynamics_<name>.json``) -> the function drawing it.
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


EXPERIMENT_FIGURES = {"chaotic_lstm": fig_chaotic, "regions": fig_regions, "sine": fig_training,
                      "seqclass": fig_training, "regions_stats": fig_region_stats,
                      "paper_sine": fig_paper, "paper_seqclass": fig_paper}


#: Experiment data name -> the ``"experiment"`` field its JSON carries, and the
#: keys its figure reads (checked before drawing).
EXPERIMENT_KINDS = {
    "chaotic_lstm": ("chaotic-lstm", ("attractor_h", "spectrum", "slice", "plane")),
    "regions": ("region-map", ("gain", "input_scale", "lyapunov_max", "sup_norm", "loss",
                               "model")),
    "sine": ("sine-generator", ("checkpoints", "model", "task")),
    "seqclass": ("sequence-classification", ("checkpoints", "model", "task")),
    "regions_stats": ("region-map statistics", ("lyapunov_max", "lyapunov_stderr", "sharpness",
                                                "classes", "counts", "model")),
    "paper_sine": ("smoothness-paper-sine", ("runs", "inputs", "task")),
    "paper_seqclass": ("smoothness-paper-seqclass", ("runs", "inputs", "task")),
}


def _decode(obj):
    """JSON data back to numbers: null -> NaN, "inf"/"-inf" -> infinities
    (how the dynamics commands write undefined and infinite values)."""
    if obj is None:
        return float("nan")
    if obj == "inf":
        return float("inf")
    if obj == "-inf":
        return float("-inf")
    if isinstance(obj, dict):
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def read_experiment(path, name: str) -> dict:
    """Read ``dynamics_<name>.json`` and check that it is that experiment's data.

    Raises :class:`~tnrnn.errors.SpecError` naming the path for a file that
    cannot be read, is not JSON, holds another experiment or misses a key
    its figure needs.

    Parameters
    ----------
    path : str or os.PathLike
        The ``dynamics_<name>.json`` file.
    name : str
        A key of :data:`EXPERIMENT_KINDS`.

    Returns
    -------
    dict
        The data, with ``null`` read as NaN and ``"inf"``/``"-inf"`` as infinities.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +ELLIPSIS
    ...     p = pathlib.Path(d) / "dynamics_regions.json"
    ...     _ = p.write_text('{"experiment": "sine-generator"}')
    ...     read_experiment(p, "regions")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: ...dynamics_regions.json' holds the 'sine-generator' experiment, not 'region-map'
    """
    import json

    from ..errors import SpecError

    kind, keys = EXPERIMENT_KINDS[name]
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {str(path)!r}: {exc}") from None
    if not text.strip():
        raise SpecError(f"{str(path)!r} is empty; rerun `tnrnn dynamics experiments --only "
                        f"{kind if name != 'regions' else 'regions'}`")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SpecError(f"{str(path)!r} is not valid JSON ({exc}); it may be truncated: rerun "
                        "`tnrnn dynamics experiments`") from None
    if not isinstance(data, dict):
        raise SpecError(f"{str(path)!r} holds a JSON {type(data).__name__}, not an "
                        "experiment's data")
    if data.get("experiment") != kind:
        raise SpecError(f"{str(path)!r} holds the {data.get('experiment')!r} experiment, not "
                        f"{kind!r}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise SpecError(f"{str(path)!r} misses {', '.join(missing)}: not a complete {kind} "
                        "result")
    return _decode(data)


def draw_experiment(plt, name: str, data: dict, path=None):
    """Draw experiment ``name`` from its data; a SpecError naming ``path``
    when the data do not have the shapes the figure needs.

    Parameters
    ----------
    plt : module
        ``matplotlib.pyplot``, from :func:`pyplot`.
    name : str
        A key of :data:`EXPERIMENT_FIGURES`.
    data : dict
        From :func:`read_experiment`.
    path : str or os.PathLike, optional
        Where the data came from, for the message.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plt = pyplot()
    >>> draw_experiment(plt, "sine", {"experiment": "sine-generator"}, "dynamics_sine.json")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: 'dynamics_sine.json': cannot draw it from these data (KeyError: 'checkpoints'); rerun `tnrnn dynamics experiments`
    """
    from ..errors import SpecError

    try:
        return EXPERIMENT_FIGURES[name](plt, data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        plt.close("all")
        where = f"{str(path)!r}" if path is not None else f"the {name} data"
        raise SpecError(f"{where}: cannot draw it from these data ({type(exc).__name__}: "
                        f"{exc}); rerun `tnrnn dynamics experiments`") from None
