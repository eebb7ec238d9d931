"""Figures of single dynamics analyses (``tnrnn dynamics lyapunov``,
``fixed-points``, ``orbit``, ``lipschitz``, ``region-map``, ``slice``) and the
helpers the experiment figures share. Public through
:mod:`tnrnn.render.dynamics_figures`.
"""

from __future__ import annotations

from ._pyplot import pyplot  # noqa: F401 (the examples use it)


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
