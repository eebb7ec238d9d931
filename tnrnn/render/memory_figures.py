"""Figures of the memory experiments (``tnrnn memory``), drawn from their data.

The ``*_figure(s)`` functions build matplotlib figures from an experiment's
JSON data or a command's payload (nothing is computed here: the numbers come
from :mod:`tnrnn.linear_rnn`); the ``draw_*`` functions build and save them,
a ``.png`` with an ``.svg`` beside it. matplotlib is imported only when a
figure is drawn.

:func:`draw_all` draws whichever of these exist in a results folder, each
file checked by :func:`tnrnn.linear_rnn.load_result` first:

* ``memory_approx_l2.png`` / ``memory_approx_l1.png`` / ``memory_approx_cost.png``
  from ``memory-approx.json``;
* ``memory_rates.png`` from ``memory-rates.json`` (errors and fitted exponents
  against smoothness and decay);
* ``memory_width.png`` from ``memory-width.json`` (width against epsilon);
* ``memory_plateau_escape.png`` and ``memory_plateau_curves.png`` from
  ``memory-plateau.json`` (and the records of an older
  ``memory-plateau-delayed.json`` not already in it); escapes are measured
  against ``L_ref`` and the dotted levels are the free-rate bound ``L_3*``
  (:mod:`tnrnn.linear_rnn.plateau_runs`);
* ``memory_train_kernels.png`` / ``memory_train_loss.png`` from
  ``memory-train.json`` with the floors of ``memory-floors.json``.

(Before issue 19 these lived in ``tnrnn.linear_rnn.figures``, below the
presentation layer.)

Examples
--------
>>> import pathlib, tempfile
>>> rows = [{"m": 1, "relative_l2_error": 0.3}, {"m": 2, "relative_l2_error": 0.1}]
>>> with tempfile.TemporaryDirectory() as d:
...     out = draw_approx_rows({"kernel": "exp:1", "rates": "sinc", "rho_l1": 1.0,
...                             "rows": rows}, pathlib.Path(d) / "rows.png")
...     [pathlib.Path(p).name for p in out]
['rows.png', 'rows.svg']
"""

from __future__ import annotations

from pathlib import Path

from ._memory_panels import (FLOOR, approx_figures, approx_rows_figure, flow_figure,
                             plateau_curves_figure, plateaus_figure, rates_figure,
                             training_figures, width_figure)
from ._pyplot import pyplot

__all__ = ["draw_all", "draw_approx", "draw_rates", "draw_width", "draw_plateaus",
           "draw_plateau_curves", "draw_training", "draw_flow", "draw_approx_rows",
           "approx_figures", "approx_rows_figure", "rates_figure", "width_figure",
           "plateaus_figure", "plateau_curves_figure", "training_figures", "flow_figure",
           "FLOOR"]


def _save(fig, path) -> list[str]:
    """Save ``fig`` to ``path`` (and an ``.svg`` beside a ``.png``), close it."""
    path = Path(path)
    try:
        fig.savefig(path, dpi=130, bbox_inches="tight")
        out = [str(path)]
        if path.suffix == ".png":
            fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
            out.append(str(path.with_suffix(".svg")))
    finally:
        pyplot().close(fig)
    return out


def draw_approx(data: dict, out_dir) -> list[str]:
    """Draw :func:`approx_figures` into ``out_dir``.

    Parameters
    ----------
    data : dict
        A ``memory-approx`` result
        (:func:`tnrnn.linear_rnn.experiments.approximation_experiment`).
    out_dir : str or pathlib.Path
        Folder for ``memory_approx_{l2,l1,cost}.png`` (and ``.svg``).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rec = {"kernel": "exponential:1", "rho_l2_sq": 0.5, "rho_l1": 1.0,
    ...        "fixed": {"m": [1, 2], "l2_sq_error": [0.02, 0.0], "l1_error": [0.3, 0.1],
    ...                  "coefs_max": [1.0, 1.0], "min_rate": [1.0, 0.5],
    ...                  "log10_cond": [0.0, 0.6]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [pathlib.Path(p).name for p in draw_approx({"records": [rec]}, d)][::2]
    ['memory_approx_l2.png', 'memory_approx_l1.png', 'memory_approx_cost.png']
    """
    paths = []
    for name, fig in approx_figures(data).items():
        paths += _save(fig, Path(out_dir) / f"{name}.png")
    return paths


def draw_approx_rows(payload: dict, path) -> list[str]:
    """Draw :func:`approx_rows_figure` (the figure of ``tnrnn memory approx``).

    Parameters
    ----------
    payload : dict
        The JSON of ``tnrnn memory approx`` (``kernel``, ``rates``,
        ``rho_l1``, ``rows``).
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rows = [{"m": 1, "relative_l2_error": 0.3, "l1_error": 0.2}]
    >>> payload = {"kernel": "polynomial:1", "rates": "sinc", "rho_l1": 1.0, "rows": rows}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "rows.svg"
    ...     draw_approx_rows(payload, out) == [str(out)], "polynomial:1" in out.read_text()
    (True, True)
    """
    return _save(approx_rows_figure(payload), path)


def draw_rates(data: dict, path) -> list[str]:
    """Draw :func:`rates_figure` (``memory-rates``).

    Parameters
    ----------
    data : dict
        A ``memory-rates`` result (:func:`tnrnn.linear_rnn.experiments.rates_experiment`).
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rec = {"alpha": 1, "beta": 1.0, "rho_l1": 1.0, "fits": {"fixed_l2": [1.4, 0.1]},
    ...        "fixed": {"m": [1, 2, 3], "l1_lower": [0.5, 0.2, 0.1], "l1_upper": [0.6, 0.25, 0.1]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [pathlib.Path(p).name for p in draw_rates({"records": [rec]}, pathlib.Path(d) / "r.png")]
    ['r.png', 'r.svg']
    """
    return _save(rates_figure(data), path)


def draw_width(data: dict, path) -> list[str]:
    """Draw :func:`width_figure` (``memory-width``).

    Parameters
    ----------
    data : dict
        A ``memory-width`` result (:func:`tnrnn.linear_rnn.experiments.width_experiment`).
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rec = {"omega": 1.0, "width_l2": [1, 3, None], "width_l1_upper": [2, 5, None]}
    >>> data = {"config": {"eps": [0.1, 0.01, 0.001]}, "records": [rec]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "width.svg"
    ...     draw_width(data, out) == [str(out)] and out.exists()
    True
    """
    return _save(width_figure(data), path)


def draw_plateaus(data: dict, path) -> list[str]:
    """Draw :func:`plateaus_figure` (escape time against memory).

    Parameters
    ----------
    data : dict
        ``records`` of :func:`tnrnn.linear_rnn.plateau_runs.plateau_experiment`.
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import math, pathlib, tempfile
    >>> recs = [{"family": "airy", "method": "ode-log", "m": 3, "value": v, "seed": 0,
    ...          "diverged": False, "censored": False, "ran_to": 1e6, "escape": math.exp(v)}
    ...         for v in (0.0, 2.0)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "escape.svg"
    ...     draw_plateaus({"records": recs}, out) == [str(out)] and out.exists()
    True
    """
    return _save(plateaus_figure(data), path)


def draw_plateau_curves(data: dict, path) -> list[str]:
    """Draw :func:`plateau_curves_figure` (loss curves of the ODE flows).

    Parameters
    ----------
    data : dict
        ``records`` of :func:`tnrnn.linear_rnn.plateau_runs.plateau_experiment`.
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rec = {"family": "delayed", "method": "ode-log", "m": 3, "seed": 0, "value": 4.0,
    ...        "rho_l2_sq": 2.0, "lstar": 0.5, "curve": {"t": [1.0, 10.0], "loss": [1.0, 0.5]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "curves.svg"
    ...     draw_plateau_curves({"records": [rec]}, out) == [str(out)]
    True
    """
    return _save(plateau_curves_figure(data), path)


def draw_training(data: dict, out_dir, floors: dict | None = None) -> list[str]:
    """Draw :func:`training_figures` into ``out_dir``.

    Parameters
    ----------
    data : dict
        A ``memory-train`` result.
    out_dir : str or pathlib.Path
        Folder for ``memory_train_kernels.png`` and ``memory_train_loss.png``
        (and their ``.svg``).
    floors : dict, optional
        A ``memory-floors`` result (the best loss at each kernel's width).

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> rec = {"kernel": "exponential:1", "model": "diagonal", "seed": 0, "test_loss": 0.01,
    ...        "kernel_t": [0.0, 1.0], "target": [1.0, 0.37], "learned": [0.9, 0.4],
    ...        "curve": {"step": [1, 10], "loss": [0.5, 0.01]}}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [pathlib.Path(p).name for p in draw_training({"records": [rec]}, d)][::2]
    ['memory_train_kernels.png', 'memory_train_loss.png']
    """
    paths = []
    for name, fig in training_figures(data, floors).items():
        paths += _save(fig, Path(out_dir) / f"{name}.png")
    return paths


def draw_flow(times, loss, plateaus, path, title: str = "") -> list[str]:
    """Draw :func:`flow_figure` (the figure of ``tnrnn memory flow``).

    Parameters
    ----------
    times : array_like
        Steps (or flow times); points at ``t <= 0`` are not drawn (log axis).
    loss : array_like
        The loss there.
    plateaus : sequence of tnrnn.linear_rnn.Plateau
        Drawn as dotted levels up to their exits.
    path : str or pathlib.Path
        The figure file (a ``.png`` also gets an ``.svg`` beside it).
    title : str, optional
        Figure title.

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import plateau_times
    >>> t = np.arange(1.0, 1001.0)
    >>> loss = np.where(t < 100, 1.0, 0.01)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "flow.svg"
    ...     draw_flow(t, loss, plateau_times(t, loss), out, "one plateau") == [str(out)]
    True
    """
    return _save(flow_figure(times, loss, plateaus, title), path)


def draw_all(results_dir, out_dir) -> list[str]:
    """Draw every figure whose data file exists in ``results_dir``, each file
    checked by :func:`tnrnn.linear_rnn.load_result` (kind, version) first.

    Parameters
    ----------
    results_dir : str or pathlib.Path
        Folder with the ``memory-*.json`` results (module docstring).
    out_dir : str or pathlib.Path
        Folder for the figures.

    Returns
    -------
    list of str
        The files written.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> draw_all(tmp, tmp)                       # no data, no figures
    []
    >>> _ = (tmp / "memory-width.json").write_text(json.dumps({"kind": "memory-rates",
    ...                                                         "records": []}))
    >>> draw_all(tmp, tmp)  # a file of another kind is refused  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: ...memory-width.json' holds a 'memory-rates' result, not 'memory-width'; ...
    """
    from ..linear_rnn import load_result

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
        recs = list((d or {"records": []})["records"])
        keys = {(r["family"], r["value"], r["method"], r["m"], r["seed"]) for r in recs}
        recs += [r for r in (d2 or {"records": []})["records"]
                 if (r["family"], r["value"], r["method"], r["m"], r["seed"]) not in keys]
        both = {"records": recs}
        paths += draw_plateaus(both, out_dir / "memory_plateau_escape.png")
        paths += draw_plateau_curves(both, out_dir / "memory_plateau_curves.png")
    d = get("memory-train.json", "memory-train")
    if d:
        paths += draw_training(d, out_dir, get("memory-floors.json", "memory-floors"))
    return paths
