"""Paper figures: certified separation ranks against the bounds, and the
networks behind them.

Each ``fig_*`` function computes its data from scratch (certified ranks by
exact arithmetic mod p, :func:`tnrnn.rank.separation_rank`; bounds from
:func:`tnrnn.bounds.all_bounds`), writes it as CSV, and draws it as a PNG and
an SVG of fixed size (:data:`FIGURE_SIZES` inches at :data:`FIGURE_DPI`).
:func:`make_figures` makes all of them and a ``README.md`` describing them.
The data half (plans, rows, CSV columns, :func:`rank_row`) is
:mod:`tnrnn.render.figure_data`, its names importable from here too; the
drawing (rows in, matplotlib ``Figure`` out) is ``tnrnn.render._figure_draw``.

matplotlib is imported inside the drawing functions (never when
``tnrnn.render`` is imported); figures are drawn on the Agg canvas without
pyplot, so no global backend or figure state is touched. The network panels
need the Graphviz ``dot`` binary.

Every certified rank is checked against every bound that applies to it: a
rank above an upper bound of status theorem/derived, or below a theorem
lower bound, is written to the CSV (``consistent`` = ``False``, with the
reason in ``violations``) and raised as a :class:`RuntimeWarning`; it is
never dropped.

Examples
--------
The PNG sizes in pixels, in the order the figures are made:

>>> {name: pixel_size(name) for name in FIGURES}  # doctest: +NORMALIZE_WHITESPACE
{'rank_vs_length': (1300, 960), 'networks': (1300, 1520),
 'continuous_vs_onehot': (1300, 880), 'mincut_gap': (1300, 880)}
"""

from __future__ import annotations

import pathlib

from ..errors import MissingDependencyError, SpecError
from . import _figure_draw as draw
# The data half (what each figure computes, its CSV columns and the rank rows
# checked against the bounds) lives in figure_data, the drawing in
# _figure_draw; the data names stay importable from here.
from .figure_data import (  # noqa: F401 (_check, _violations: tests use them here)
    BOUND_COLUMNS, FIGURE_DPI, FIGURE_SIZES, FIGURES, GAP_COLUMNS, NETWORK_COLUMNS, RANK_COLUMNS,
    Progress, _check, _plan, _steps, _Ticker, _violations, _write_csv,
    continuous_vs_onehot_panels, continuous_vs_onehot_rows, mincut_gap_rows, mincut_gap_summary,
    network_rows, network_summary, pixel_size, rank_row, rank_vs_length_rows,
    rank_vs_length_summary)

__all__ = ["make_figures", "bench_section", "fig_rank_vs_length", "fig_networks",
           "fig_continuous_vs_onehot", "fig_mincut_gap", "rank_row", "pixel_size",
           "FIGURES", "FIGURE_DPI", "FIGURE_SIZES", "RANK_COLUMNS", "BOUND_COLUMNS",
           "NETWORK_COLUMNS", "GAP_COLUMNS"]


# ------------------------------------------------ compute, write, draw, save
def _fig_rank_vs_length(out_dir, *, quick, seed, tick, cache) -> tuple:
    name = "rank_vs_length"
    plan = _plan(name, quick)
    rows = rank_vs_length_rows(plan, seed=seed, tick=tick, cache=cache)
    stem = out_dir / f"fig1_{name}"
    _write_csv(stem.with_suffix(".csv"), RANK_COLUMNS, rows)
    paths = draw.save(draw.draw_rank_vs_length(rows, plan), stem)
    paths += [stem.with_suffix(".csv")]
    tick("draw")
    return paths, rank_vs_length_summary(rows, plan)


def _fig_networks(out_dir, *, quick, seed, tick, cache) -> tuple:
    name = "networks"
    plan = _plan(name, quick)
    stem = out_dir / f"fig2_{name}"
    rows, nets = network_rows(plan, seed=seed, tick=tick, cache=cache)
    dots = [out_dir / f"fig2_{name}_{'mps' if row['depth'] == 1 else 'deep'}.dot"
            for row in rows]
    images = [draw.graphviz_image(net, part, edges, dot)
              for (net, part, edges), dot in zip(nets, dots)]
    _write_csv(stem.with_suffix(".csv"), NETWORK_COLUMNS, rows)
    fig, shown = draw.draw_networks(rows, images, plan)

    def vector_images():  # the SVG embeds the rasters at full resolution
        for im in shown:
            im.set_interpolation("none")

    paths = draw.save(fig, stem, before_svg=vector_images)
    paths += [stem.with_suffix(".csv")] + sorted(dots)
    tick("draw")
    return paths, network_summary(rows, plan)


def _fig_continuous_vs_onehot(out_dir, *, quick, seed, tick, cache) -> tuple:
    name = "continuous_vs_onehot"
    plan = _plan(name, quick)
    rows = continuous_vs_onehot_rows(plan, seed=seed, tick=tick, cache=cache)
    stem = out_dir / f"fig3_{name}"
    _write_csv(stem.with_suffix(".csv"), RANK_COLUMNS, rows)
    panels = continuous_vs_onehot_panels(rows, plan)
    paths = draw.save(draw.draw_continuous_vs_onehot(panels), stem)
    paths += [stem.with_suffix(".csv")]
    tick("draw")
    return paths, "; ".join(pan["text"] for pan in panels)


def _fig_mincut_gap(out_dir, *, quick, seed, tick, cache) -> tuple:
    name = "mincut_gap"
    plan = _plan(name, quick)
    rows = mincut_gap_rows(plan, seed=seed, tick=tick, cache=cache)
    stem = out_dir / f"fig4_{name}"
    _write_csv(stem.with_suffix(".csv"), GAP_COLUMNS, rows)
    paths = draw.save(draw.draw_mincut_gap(rows, plan), stem)
    paths += [stem.with_suffix(".csv")]
    tick("draw")
    return paths, mincut_gap_summary(rows, plan)


# ---------------------------------------------------------------- public
_BUILDERS = {
    "rank_vs_length": _fig_rank_vs_length,
    "networks": _fig_networks,
    "continuous_vs_onehot": _fig_continuous_vs_onehot,
    "mincut_gap": _fig_mincut_gap,
}

_TITLES = {
    "rank_vs_length": "Separation rank against length, by depth",
    "networks": "The networks: MPS and duplicated deep network",
    "continuous_vs_onehot": "Continuous against one-hot (grid) rank",
    "mincut_gap": "Min-cut bound against U_sym",
}


def _check_call(out_dir, quick, progress, seed) -> pathlib.Path:
    if progress is not None and not callable(progress):
        raise SpecError("progress must be None or a callable progress(done, total, "
                        f"label); got {type(progress).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"seed must be a non-negative integer; got {seed!r}")
    if not isinstance(quick, bool):
        raise SpecError(f"quick must be True or False; got {quick!r}")
    from ..errors import check_output_dir

    out = check_output_dir(out_dir, option="out_dir")
    out.mkdir(exist_ok=True)
    return out


def _one(name, out_dir, quick, progress, seed, *, cache=None, tick=None) -> tuple:
    out = _check_call(out_dir, quick, progress, seed)
    if tick is None:
        tick = _Ticker(progress, _steps(name, quick))
    try:
        from matplotlib import rc_context
    except ImportError:
        raise MissingDependencyError(
            "the figures need matplotlib: pip install matplotlib") from None
    with rc_context(draw.FONT):
        return _BUILDERS[name](out, quick=quick, seed=seed, tick=tick,
                               cache={} if cache is None else cache)


def fig_rank_vs_length(out_dir, *, quick: bool = False, progress: Progress | None = None,
                       seed: int = 0) -> list:
    """Figure 1: Start-End separation rank against the length ``T`` for depth
    1, 2 and 3 at ``R = M = 2``.

    Certified ranks (continuous inputs, exact mod p) are markers; lines are,
    per depth (colour), the theorem bounds (depth-1 value, depth-2 lower
    bound), the depth-``L`` conjecture (dashed), ``U_sym`` (dash-dot) and the
    min-cut bound (dotted), on a log scale. ``T`` runs to 20 (8 when
    ``quick``). Parameters as in :func:`make_figures`.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files (as in :func:`make_figures`).
    quick : bool
        Fewer and smaller points.
    progress : callable, optional
        ``progress(done, total, label)`` after each step.
    seed : int
        Seed of every rank computation.

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG and CSV written.

    Examples
    --------
    >>> fig_rank_vs_length("figures", seed=-1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: seed must be a non-negative integer; got -1
    """
    return _one("rank_vs_length", out_dir, quick, progress, seed)[0]


def fig_networks(out_dir, *, quick: bool = False, progress: Progress | None = None,
                 seed: int = 0) -> list:
    """Figure 2: the depth-1 RAC as an MPS above the depth-2 RAC as its
    duplicated network (``R = 2, M = 3, T = 4``, cores ``G``), each with a
    minimum Start-End cut in red.

    Drawn with :func:`tnrnn.render.to_dot` and Graphviz (needs ``dot``), then
    composed with matplotlib. Panels are stacked rather than side by side:
    the MPS is four times wider than tall, so stacking keeps its labels
    legible at a paper's text width. Parameters as in :func:`make_figures`
    (``quick`` changes nothing here).

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files (as in :func:`make_figures`).
    quick : bool
        Fewer and smaller points.
    progress : callable, optional
        ``progress(done, total, label)`` after each step.
    seed : int
        Seed of every rank computation.

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG, CSV and the two DOT sources.

    Examples
    --------
    >>> fig_networks("figures", quick="yes")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: quick must be True or False; got 'yes'
    """
    return _one("networks", out_dir, quick, progress, seed)[0]


def fig_continuous_vs_onehot(out_dir, *, quick: bool = False,
                             progress: Progress | None = None, seed: int = 0) -> list:
    """Figure 3: continuous against one-hot (grid) certified Start-End rank
    for depth 2 (``R = M = 4``) and depth 3 (``R = M = 2``) as ``T`` grows,
    with ``U_sym`` and the grid cap ``M^(T/2)``.

    The grid rank enumerates all ``M^(T/2)`` halves of each side, which
    limits ``T`` (10 and 22; 8 and 12 when ``quick``). Parameters as in
    :func:`make_figures`.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files (as in :func:`make_figures`).
    quick : bool
        Fewer and smaller points.
    progress : callable, optional
        ``progress(done, total, label)`` after each step.
    seed : int
        Seed of every rank computation.

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG and CSV written.

    Examples
    --------
    >>> fig_continuous_vs_onehot("figures", progress=print, seed=1.5)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: seed must be a non-negative integer; got 1.5
    """
    return _one("continuous_vs_onehot", out_dir, quick, progress, seed)[0]


def fig_mincut_gap(out_dir, *, quick: bool = False, progress: Progress | None = None,
                   seed: int = 0) -> list:
    """Figure 4: ``log2`` of the min-cut bound and of ``U_sym`` against ``T``
    (2..60; 2..20 when ``quick``) for depth 2 and 3, ``R = M = 2, 3, 4``,
    with certified ranks where ``U_sym`` is small. Parameters as in
    :func:`make_figures`.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files (as in :func:`make_figures`).
    quick : bool
        Fewer and smaller points.
    progress : callable, optional
        ``progress(done, total, label)`` after each step.
    seed : int
        Seed of every rank computation.

    Notes
    -----
    Both are upper bounds for all weights. At depth 2 the min-cut grows
    like ``R^(T/2+1)`` while ``U_sym = R C(R+T/2-1, T/2)`` is polynomial in
    ``T``; the gap ``log2(min-cut / U_sym)`` (CSV column ``gap_log2``) grows
    linearly in ``T`` at depth 2 and quadratically at depth 3.

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG and CSV written.

    Examples
    --------
    >>> fig_mincut_gap("/nonexistent/figures")
    Traceback (most recent call last):
    ...
    tnrnn.errors.OutputPathError: out_dir: cannot write into '/nonexistent/figures': its parent folder '/nonexistent' does not exist (tnrnn creates only the last folder of the path)
    """
    return _one("mincut_gap", out_dir, quick, progress, seed)[0]


def make_figures(out_dir, *, quick: bool = False, progress: Progress | None = None,
                 seed: int = 0) -> list:
    """Make every figure from scratch, and a ``README.md`` describing them.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder for the files: an existing folder, or a new one inside an
        existing folder (its parents are never created).
    quick : bool
        Fewer and smaller points (for tests; about ten seconds).
    progress : callable, optional
        ``progress(done, total, label)`` after each step, ``total`` fixed.
    seed : int
        Seed of every rank computation.

    Returns
    -------
    list of pathlib.Path
        Every file written: per figure a PNG, an SVG and a CSV (figure 2
        also its DOT sources), then ``README.md``.

    Raises
    ------
    SpecError
        For a bad argument.
    MissingDependencyError
        When matplotlib or Graphviz is missing.

    Examples
    --------
    >>> make_figures("figures", progress="bar")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: progress must be None or a callable progress(done, total, label); got str
    """
    out = _check_call(out_dir, quick, progress, seed)
    tick = _Ticker(progress, sum(_steps(n, quick) for n in FIGURES))
    cache: dict = {}
    paths, summaries = [], {}
    for name in FIGURES:
        files, summaries[name] = _one(name, out, quick, None, seed, cache=cache,
                                      tick=tick)
        paths += files
    paths.append(_readme(out, paths, summaries, list(cache.values()), quick, seed))
    return paths


def _readme(out: pathlib.Path, paths: list, summaries: dict, rows: list, quick: bool,
            seed: int) -> pathlib.Path:
    lines = ["# Figures", "",
             "Generated by `tnrnn.render.figures.make_figures("
             f"quick={quick}, seed={seed})`; do not edit by hand. Ranks are certified "
             "by exact arithmetic mod p (`tnrnn.rank.separation_rank`, continuous "
             "inputs unless said otherwise); bounds from `tnrnn.bounds.all_bounds`; "
             "Start-End partition throughout. Every certified rank is checked against "
             "every proved bound (CSV column `consistent`).", ""]
    bad = [r for r in rows if not r["consistent"]]
    lines += [f"All {len(rows)} certified ranks lie within every proved bound (below "
              "each theorem/derived upper bound, above each theorem lower bound)."
              if not bad else
              f"**{len(bad)} of {len(rows)} certified ranks contradict a proved bound:** "
              + "; ".join(f"depth {r['depth']}, R={r['R']}, M={r['M']}, T={r['T']}, "
                          f"{r['inputs']}: {r['violations']}" for r in bad), ""]
    for i, name in enumerate(FIGURES, 1):
        files = sorted(p.name for p in paths if p.name.startswith(f"fig{i}_"))
        lines += [f"## Figure {i}: {_TITLES[name]}", "",
                  f"Files: {', '.join(f'`{f}`' for f in files)}.", "",
                  f"Shows {summaries[name]}.", ""]
    lines += bench_section(out)
    path = out / "README.md"
    path.write_text("\n".join(lines))
    return path


def bench_section(out) -> list:
    """README lines for the benchmark plot when ``tnrnn bench`` has written
    it into ``out`` (it is made by the benchmark, not by
    :func:`make_figures`); no lines otherwise.

    Parameters
    ----------
    out : str or os.PathLike
        The figures folder.

    Returns
    -------
    list of str
        Markdown lines (empty when the plot is not there).

    Examples
    --------
    >>> bench_section("/nonexistent")
    []
    """
    out = pathlib.Path(out)
    files = sorted(p.name for p in out.glob("bench_cost_vs_T.*")
                   if p.suffix in (".png", ".svg"))
    if not files:
        return []
    return ["## Benchmark: contraction cost against T", "",
            f"Files: {', '.join(f'`{f}`' for f in files)}.", "",
            "Made by `tnrnn bench` (`tnrnn.benchmark.run_benchmarks`), not by "
            "`make_figures`: exact FLOPs (top; the duplicated network's whole path, "
            "the FLOPs tnrnn's plan runs with each duplicated sub-result once, "
            "cotengra's path, and the closed forms of the unit order and the "
            "recurrence) and median seconds per call of every engine (bottom) "
            "against T, for depth 1, 2, 3 of the one-output workload. Numbers in "
            "`benchmarks/results/contract.md`.", ""]
