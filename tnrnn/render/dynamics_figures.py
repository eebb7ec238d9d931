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

from ._dynamics_experiments import (fig_chaotic, fig_paper, fig_region_stats, fig_regions,
                                    fig_training)
from ._dynamics_panels import (draw_region_panel, fixed_points_figure, lipschitz_figure,
                               lyapunov_figure, orbit_figure, region_map_figure, slice_figure,
                               wrap)
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


#: Experiment data name (``dynamics_<name>.json``) -> the function drawing it.
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
