"""Paper figures: certified separation ranks against the bounds, and the
networks behind them.

Each ``fig_*`` function computes its data from scratch (certified ranks by
exact arithmetic mod p, :func:`tnrnn.rank.separation_rank`; bounds from
:func:`tnrnn.bounds.all_bounds`), writes it as CSV, and draws it as a PNG and
an SVG of fixed size (:data:`FIGURE_SIZES` inches at :data:`FIGURE_DPI`).
:func:`make_figures` makes all of them and a ``README.md`` describing them.
The data half (plans, CSV columns, :func:`rank_row`) is
:mod:`tnrnn.render.figure_data`; its names are importable from here too.

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

import math
import pathlib
from typing import Callable

from ..bounds import explicit_tree_cut, tree_min_cut, u_sym
from ..circuit import RAC
from ..compile import compile_network, estimate_size
from ..errors import MissingDependencyError, SpecError
from ..partition import start_end
from .dot import to_dot
# The data half (what each figure computes, its CSV columns and the rank rows
# checked against the bounds) lives in figure_data; its names stay importable
# from here.
from .figure_data import (  # noqa: F401 (_check, _violations: tests use them here)
    BOUND_COLUMNS, FIGURE_DPI, FIGURE_SIZES, FIGURES, GAP_COLUMNS, NETWORK_COLUMNS, RANK_COLUMNS,
    Progress, _check, _plan, _steps, _Ticker, _violations, _write_csv, pixel_size, rank_row)
from .output import render

__all__ = ["make_figures", "bench_section", "fig_rank_vs_length", "fig_networks",
           "fig_continuous_vs_onehot", "fig_mincut_gap", "rank_row", "pixel_size",
           "FIGURES", "FIGURE_DPI", "FIGURE_SIZES", "RANK_COLUMNS", "BOUND_COLUMNS",
           "NETWORK_COLUMNS", "GAP_COLUMNS"]

_FONT = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
         "legend.fontsize": 9, "xtick.labelsize": 9, "ytick.labelsize": 9,
         "figure.titlesize": 10, "svg.hashsalt": "tnrnn"}
# Okabe-Ito colours: distinguishable with colour-vision deficiency.
_COLOURS = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9")
_MARKERS = ("o", "s", "^", "D")
_GREY = "#555555"


# ------------------------------------------------------------- matplotlib
def _new_figure(name: str, **kwargs):
    """A pyplot-free figure on the Agg canvas, constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGURE_SIZES[name], dpi=FIGURE_DPI, layout="constrained",
                 **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, stem: pathlib.Path, before_svg: Callable | None = None) -> list:
    """Write ``stem.png`` and ``stem.svg`` at the fixed size (no tight bbox,
    so the pixel size is exactly :func:`pixel_size`)."""
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, dpi=FIGURE_DPI, metadata={"Software": None})
    if before_svg is not None:
        before_svg()
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return [png, svg]


def _even_ticks(ax, lengths) -> None:
    ax.set_xticks(lengths)
    ax.set_xlim(lengths[0] - 0.6, lengths[-1] + 0.6)


def _style_legend(ax, handles_labels, **kwargs):
    handles, labels = zip(*handles_labels)
    return ax.legend(handles, labels, **kwargs)


# -------------------------------------------------------------- figure 1
def _fig_rank_vs_length(out_dir, *, quick, seed, tick, cache) -> tuple:
    from matplotlib.lines import Line2D

    name = "rank_vs_length"
    p = _plan(name, quick)
    R, M, lengths = p["R"], p["M"], p["lengths"]
    rows = []
    for L in p["depths"]:
        for T in lengths:
            rows.append(rank_row(L, R, M, T, seed=seed, cache=cache))
            tick(f"depth {L}, T={T}")
    stem = out_dir / f"fig1_{name}"
    _write_csv(stem.with_suffix(".csv"), RANK_COLUMNS, rows)

    # Line style per bound type: (column, label, style).
    kinds = {
        "theorem": ("-", "theorem: depth-1 value min(R, $M^{T/2}$), depth-2 lower "
                          "bound"),
        "conjecture": ("--", "conjecture (lower bound), depth 3"),
        "u_sym": ("-.", "duplication-aware upper bound $U_{sym}$"),
        "min_cut": (":", "min-cut upper bound"),
    }
    theorem_col = {1: "depth1_generic", 2: "depth2_lower"}
    top = 2.0e4
    fig = _new_figure(name)
    ax = fig.add_subplot()
    off_scale = []
    for i, L in enumerate(p["depths"]):
        colour, marker = _COLOURS[i], _MARKERS[i]
        sub = [r for r in rows if r["depth"] == L]
        Ts = [r["T"] for r in sub]
        lines = [("u_sym", "u_sym"), ("min_cut", "min_cut")]
        if L in theorem_col:
            lines.append(("theorem", theorem_col[L]))
        else:
            lines.append(("conjecture", "depthL_conjecture"))
        for kind, col in lines:
            ys = [r[col] for r in sub]
            ax.plot(Ts, ys, kinds[kind][0], color=colour, lw=1.4, alpha=0.9, zorder=2)
            if max(ys) > top:
                off_scale.append((L, col, Ts[-1], ys[-1]))
        ax.plot(Ts, [r["rank"] for r in sub], marker, color=colour, ms=5.5,
                mec="black", mew=0.6, ls="none", zorder=3)
    ax.set_yscale("log", base=10)
    ax.set_ylim(1, top)
    _even_ticks(ax, lengths)
    ax.set_xlabel("sequence length T (time steps; Start = first T/2, End = last T/2)")
    ax.set_ylabel("Start-End separation rank (number of terms)")
    ax.set_title(f"Certified Start-End separation rank vs length, R = {R}, M = {M} "
                 f"(continuous inputs)")
    ax.grid(True, which="major", color="#dddddd", lw=0.6)
    handles = [(Line2D([], [], color=_COLOURS[i], marker=_MARKERS[i], mec="black",
                       mew=0.6, ls="none", ms=5.5), f"depth {L}: certified rank")
               for i, L in enumerate(p["depths"])]
    handles.append((Line2D([], [], ls="none"), ""))  # keeps the columns apart
    handles += [(Line2D([], [], color="black", ls=ls, lw=1.4), label)
                for ls, label in kinds.values()]
    _style_legend(fig, handles, loc="outside lower center", ncols=2, frameon=False,
                  columnspacing=1.5, handlelength=2.6)
    for L, col, T, y in off_scale:
        ax.text(lengths[len(lengths) // 2 - 1], top / 1.6,
                f"depth-{L} min-cut leaves the axis: $2^{{{math.log2(y):.0f}}}$ at "
                f"T = {T} (fig. 4)", ha="left", va="top", fontsize=9,
                color=_COLOURS[L - 1])
    if 1 in p["depths"]:
        ax.text(lengths[-1], R * 1.25, f"depth 1: theorem value = $U_{{sym}}$ = "
                f"min-cut = R = {R}", ha="right", va="bottom", fontsize=9,
                color=_COLOURS[0])
    paths = _save(fig, stem) + [stem.with_suffix(".csv")]
    tick("draw")
    by = {(r["depth"], r["T"]): r for r in rows}
    last = lengths[-1]
    r2, r3 = by[(2, last)], by[(3, last)]
    summary = (f"certified Start-End ranks for R = M = {R}, T = 2..{last}: depth 1 stays "
               f"at {by[(1, last)]['rank']}, depth 2 reaches {r2['rank']} "
               f"(U_sym {r2['u_sym']}, theorem lower bound {r2['depth2_lower']}), "
               f"depth 3 reaches {r3['rank']} (U_sym {r3['u_sym']}, conjecture "
               f"{r3['depthL_conjecture']}, min-cut 2^{math.log2(r3['min_cut']):.0f})")
    return paths, summary


# -------------------------------------------------------------- figure 2
def _graphviz_image(net, partition, cut_edges, dot_path: pathlib.Path):
    """Render ``net`` with the cut highlighted and without the long caption
    (the panel title and footnote of the composed figure replace it); keep
    the DOT text at ``dot_path``; return the image as an array."""
    import tempfile

    from matplotlib.image import imread

    text = to_dot(net, partition=partition, highlight=[e for e, _ in cut_edges])
    # Later graph attributes override earlier ones: drop the caption, raise
    # the raster resolution.
    text = text.rstrip().removesuffix("}") + '  graph [label="", dpi=300];\n}\n'
    render(text, dot_path, format="dot")
    with tempfile.TemporaryDirectory() as tmp:
        return _trim(imread(render(text, pathlib.Path(tmp) / "net.png")))


def _trim(img, pad: int = 12):
    """Crop the uniform white margins of a rendered RGB(A) image."""
    import numpy as np

    ink = (img[..., :3] < 0.97).any(axis=-1)
    if img.shape[-1] == 4:
        ink &= img[..., 3] > 0.03
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not rows.size:
        return img
    r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, img.shape[0])
    c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, img.shape[1])
    return img[r0:r1, c0:c1]


def _fig_networks(out_dir, *, quick, seed, tick, cache) -> tuple:
    name = "networks"
    p = _plan(name, quick)
    R, M, T, form = p["R"], p["M"], p["T"], p["form"]
    stem = out_dir / f"fig2_{name}"
    part = start_end(T)
    rows, images, dots = [], [], []
    for panel, L in (("a", 1), ("b", 2)):
        spec = RAC(L, R, M, T)
        net = compile_network(spec, form=form)
        cut = explicit_tree_cut(net, part)
        est = estimate_size(spec, form)
        rr = rank_row(L, R, M, T, seed=seed, cache=cache)
        dots.append(out_dir / f"fig2_{name}_{'mps' if L == 1 else 'deep'}.dot")
        images.append(_graphviz_image(net, part, cut.edges, dots[-1]))
        rows.append({"panel": panel, "depth": L, "R": R, "M": M, "T": T, "form": form,
                     "tensors": est.tensors, "unit_copies": est.units,
                     "input_leaves": est.input_leaves, "min_cut": cut.value,
                     "cut_edges": " ".join(e for e, _ in cut.edges),
                     "u_sym": u_sym(L, R, T), "rank": rr["rank"],
                     "complete": rr["complete"], "consistent": rr["consistent"]})
        tick(f"network depth {L}")
    _write_csv(stem.with_suffix(".csv"), NETWORK_COLUMNS, rows)
    a, b = rows
    fig = _new_figure(name)
    grid = fig.add_gridspec(2, 1, height_ratios=[i.shape[0] / i.shape[1] for i in images])
    n_cut = len(b["cut_edges"].split())
    titles = [
        f"(a) depth 1, R = {R}, M = {M}, T = {T}: the shallow RAC is an MPS; the "
        f"Start-End cut\ncrosses one bond: min-cut = R = {a['min_cut']} = certified "
        f"rank {a['rank']}",
        f"(b) depth 2, same sizes: the duplicated (tree) network, {b['unit_copies']} unit "
        f"copies, {b['input_leaves']} input\nleaves. The min-cut crosses {n_cut} bonds "
        f"({R}$^{n_cut}$ = {b['min_cut']}), two of them copies of the same state\n"
        f"h[2,1], so the rank is at most $U_{{sym}}$ = {b['u_sym']} = certified rank "
        f"{b['rank']}",
    ]
    shown = []
    for k, (img, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(grid[k])
        shown.append(ax.imshow(img, interpolation="antialiased"))
        ax.set_axis_off()
        ax.set_title(title, loc="left", fontsize=9)
    fig.suptitle("Tensor networks of RACs, Start-End partition; red: a minimum cut",
                 fontsize=10)
    fig.text(0.01, 0.005, "Cores $G_{idj} = (W_H)_{ji} (W_I)_{jd}$; edge labels = bond "
             "dimensions; dashed line = the partition;\ninputs: orange = Start "
             "(t <= T/2), lavender = End; fill hue = layer, lighter = higher\ncopy "
             "number #k of unit (t,l).", fontsize=9, va="bottom", ha="left")
    fig.get_layout_engine().set(h_pad=0.04, rect=(0, 0.06, 1, 0.94))

    def vector_images():  # the SVG embeds the rasters at full resolution
        for im in shown:
            im.set_interpolation("none")

    paths = _save(fig, stem, before_svg=vector_images)
    paths += [stem.with_suffix(".csv")] + sorted(dots)
    tick("draw")
    summary = (f"the depth-1 RAC (R = {R}, M = {M}, T = {T}) as an MPS whose Start-End "
               f"min-cut is one bond ({a['min_cut']}), above the depth-2 RAC as its "
               f"duplicated network ({b['tensors']} tensors) whose min-cut crosses "
               f"{len(b['cut_edges'].split())} bonds ({b['min_cut']}) while the "
               f"certified rank is U_sym = {b['rank']}")
    return paths, summary


# -------------------------------------------------------------- figure 3
def _fig_continuous_vs_onehot(out_dir, *, quick, seed, tick, cache) -> tuple:
    from matplotlib.lines import Line2D

    name = "continuous_vs_onehot"
    p = _plan(name, quick)
    rows = []
    for L, R, M, lengths in p["panels"]:
        for T in lengths:
            for inputs in ("continuous", "one-hot"):
                rows.append(rank_row(L, R, M, T, inputs, seed=seed, cache=cache))
                tick(f"depth {L}, T={T}, {inputs}")
    stem = out_dir / f"fig3_{name}"
    _write_csv(stem.with_suffix(".csv"), RANK_COLUMNS, rows)

    fig = _new_figure(name)
    axes = fig.subplots(1, len(p["panels"]))
    parts = []
    for k, (ax, (L, R, M, lengths)) in enumerate(zip(axes, p["panels"])):
        get = {(r["T"], r["inputs"]): r for r in rows
               if (r["depth"], r["R"], r["M"]) == (L, R, M)}
        cont = [get[T, "continuous"]["rank"] for T in lengths]
        grid = [get[T, "one-hot"]["rank"] for T in lengths]
        usym = [get[T, "continuous"]["u_sym"] for T in lengths]
        gcap = [get[T, "one-hot"]["grid_cap"] for T in lengths]
        parted = [T for T, c, g in zip(lengths, cont, grid) if g < c]
        for T in parted:
            ax.axvspan(T - 1, T + 1, color="#f2f2f2", zorder=0, lw=0)
        ax.plot(lengths, usym, "-.", color=_GREY, lw=1.2)
        ax.plot(lengths, gcap, ":", color=_GREY, lw=1.4)
        ax.plot(lengths, cont, "-o", color=_COLOURS[0], ms=5, mec="black", mew=0.5)
        ax.plot(lengths, grid, "--s", color=_COLOURS[2], ms=5, mfc="white", mew=1.2)
        ax.set_yscale("log")
        _even_ticks(ax, lengths)
        if len(lengths) > 6:
            ax.set_xticks(lengths[::2])
        ax.set_xlabel("sequence length T (time steps)")
        ax.set_title(f"({'ab'[k]}) depth {L}, R = M = {R}", fontsize=9)
        ax.grid(True, color="#dddddd", lw=0.6)
        ax.set_ylim(1, max(usym) * 40)
        meet = [T for T in lengths if T > max(parted, default=2)
                and get[T, "one-hot"]["rank"] == get[T, "continuous"]["rank"]]
        text = f"depth {L}, R = M = {R}: "
        if parted:
            c0, g0 = cont[lengths.index(parted[0])], grid[lengths.index(parted[0])]
            ax.text(0.04, 0.97, f"T = {parted[0]}: continuous {c0},\ngrid {g0}",
                    transform=ax.transAxes, fontsize=9, va="top", ha="left")
            text += (f"grid rank {g0} < continuous {c0} at T = {parted[0]}, apart for "
                     f"T = {', '.join(map(str, parted))}")
        else:
            text += "the two ranks agree at every T shown"
        if meet:
            v = get[meet[0], "continuous"]["rank"]
            ax.text(0.97, 0.97, f"equal from\nT = {meet[0]} ({v})",
                    transform=ax.transAxes, fontsize=9, va="top", ha="right")
            text += f", equal from T = {meet[0]} ({v})"
        parts.append(text)
    axes[0].set_ylabel("Start-End separation rank (number of terms)")
    handles = [
        (Line2D([], [], color=_COLOURS[0], marker="o", mec="black", mew=0.5),
         "continuous inputs: certified rank"),
        (Line2D([], [], color=_COLOURS[2], ls="--", marker="s", mfc="white", mew=1.2),
         "one-hot inputs: certified grid rank"),
        (Line2D([], [], color=_GREY, ls="-."), "$U_{sym}$ (upper bound, both)"),
        (Line2D([], [], color=_GREY, ls=":"), "grid cap $M^{T/2}$ (one-hot only)"),
    ]
    _style_legend(fig, handles, loc="outside lower center", ncols=2, frameon=False,
                  columnspacing=1.5)
    fig.suptitle("Continuous vs one-hot (grid) Start-End separation rank of deep RACs\n"
                 "(certified, exact mod p; shaded: grid rank < continuous rank)")
    paths = _save(fig, stem) + [stem.with_suffix(".csv")]
    tick("draw")
    return paths, "; ".join(parts)


# -------------------------------------------------------------- figure 4
def _fig_mincut_gap(out_dir, *, quick, seed, tick, cache) -> tuple:
    from matplotlib.lines import Line2D

    name = "mincut_gap"
    p = _plan(name, quick)
    lengths = p["lengths"]
    rows = []
    for L in p["depths"]:
        for R in p["widths"]:
            for T in lengths:
                cut = tree_min_cut(L, R, R, T)
                us = u_sym(L, R, T)
                row = {"depth": L, "R": R, "M": R, "T": T, "min_cut": cut.value,
                       "u_sym": us, "log2_min_cut": round(cut.log2, 6),
                       "log2_u_sym": round(math.log2(us), 6),
                       "gap_log2": round(cut.log2 - math.log2(us), 6),
                       "cut_bonds": cut.cut_bonds, "cut_legs": cut.cut_legs,
                       "rank": "", "complete": "", "consistent": ""}
                if us <= p["rank_limit"]:
                    rr = rank_row(L, R, R, T, seed=seed, cache=cache)
                    row.update(rank=rr["rank"], complete=rr["complete"],
                               consistent=rr["consistent"])
                rows.append(row)
            tick(f"depth {L}, R={R}")
    stem = out_dir / f"fig4_{name}"
    _write_csv(stem.with_suffix(".csv"), GAP_COLUMNS, rows)

    fig = _new_figure(name)
    axes = fig.subplots(1, len(p["depths"]), sharey=False)
    for k, (ax, L) in enumerate(zip(axes, p["depths"])):
        for i, R in enumerate(p["widths"]):
            sub = [r for r in rows if r["depth"] == L and r["R"] == R]
            Ts = [r["T"] for r in sub]
            ax.plot(Ts, [r["log2_min_cut"] for r in sub], ":", color=_COLOURS[i], lw=1.8)
            ax.plot(Ts, [r["log2_u_sym"] for r in sub], "-.", color=_COLOURS[i], lw=1.4)
            ranked = [r for r in sub if r["rank"] != ""]
            ax.plot([r["T"] for r in ranked], [math.log2(r["rank"]) for r in ranked],
                    _MARKERS[i], color=_COLOURS[i], ms=4, mec="black", mew=0.4, ls="none")
        last = [r for r in rows if r["depth"] == L and r["T"] == lengths[-1]]
        big = max(last, key=lambda r: r["R"])
        ax.annotate("", xy=(lengths[-1], big["log2_u_sym"]),
                    xytext=(lengths[-1], big["log2_min_cut"]),
                    arrowprops={"arrowstyle": "<->", "color": _GREY, "lw": 0.9})
        ax.text(0.97, 0.04, f"arrow: gap at T = {lengths[-1]}, R = M = {big['R']}:\n"
                f"min-cut / $U_{{sym}}$ = $2^{{{big['gap_log2']:.0f}}}$", ha="right",
                va="bottom", fontsize=9, transform=ax.transAxes)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T (time steps)")
        ax.set_title(f"({'ab'[k]}) depth {L}", fontsize=9)
        ax.set_xlim(0, lengths[-1] + 2)
        ax.grid(True, color="#dddddd", lw=0.6)
    axes[0].set_ylabel("log$_2$ of the Start-End bound (bits, log scale)")
    handles = [(Line2D([], [], color="black", ls=":", lw=1.8), "min-cut bound"),
               (Line2D([], [], color="black", ls="-.", lw=1.4), "$U_{sym}$"),
               (Line2D([], [], ls="none"), "markers: certified rank")]
    handles += [(Line2D([], [], color=_COLOURS[i], lw=2.5, marker=_MARKERS[i], ms=5,
                        mec="black", mew=0.4), f"R = M = {R}")
                for i, R in enumerate(p["widths"])]
    _style_legend(fig, handles, loc="outside lower center", ncols=3, frameon=False,
                  columnspacing=1.5, handlelength=2.2)
    fig.suptitle("Min-cut bound vs duplication-aware bound $U_{sym}$ as T grows "
                 "(both upper bounds, all weights)")
    paths = _save(fig, stem) + [stem.with_suffix(".csv")]
    tick("draw")
    bits = {(r["depth"], r["R"]): r for r in rows if r["T"] == lengths[-1]}
    summary = "; ".join(
        f"depth {L}, R = M = {R}, T = {lengths[-1]}: min-cut "
        f"2^{bits[L, R]['log2_min_cut']:.0f} vs U_sym 2^{bits[L, R]['log2_u_sym']:.1f} "
        f"(gap {bits[L, R]['gap_log2']:.0f} bits)"
        for L in p["depths"] for R in (p["widths"][0], p["widths"][-1]))
    return paths, summary


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
    with rc_context(_FONT):
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

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG and CSV written.
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

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG, CSV and the two DOT sources.
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

    Returns
    -------
    list of pathlib.Path
        The PNG, SVG and CSV written.
    """
    return _one("continuous_vs_onehot", out_dir, quick, progress, seed)[0]


def fig_mincut_gap(out_dir, *, quick: bool = False, progress: Progress | None = None,
                   seed: int = 0) -> list:
    """Figure 4: ``log2`` of the min-cut bound and of ``U_sym`` against ``T``
    (2..60; 2..20 when ``quick``) for depth 2 and 3, ``R = M = 2, 3, 4``,
    with certified ranks where ``U_sym`` is small. Parameters as in
    :func:`make_figures`.

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
