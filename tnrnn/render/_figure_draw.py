"""Drawing the paper figures (:mod:`tnrnn.render.figures`) from their data.

Each ``draw_*`` function takes the rows (or panels) computed by
:mod:`tnrnn.render.figure_data` and returns a matplotlib ``Figure`` on the
Agg canvas (no pyplot, no global state); nothing is computed here beyond
placing what is given, and nothing is written but by :func:`save`. matplotlib
is imported inside the functions, never when this module is imported.
"""

from __future__ import annotations

import math
import pathlib
from typing import Callable

from .figure_data import FIGURE_DPI, FIGURE_SIZES
from .output import render
from .dot import to_dot

FONT = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
         "legend.fontsize": 9, "xtick.labelsize": 9, "ytick.labelsize": 9,
         "figure.titlesize": 10, "svg.hashsalt": "tnrnn"}
# Okabe-Ito colours: distinguishable with colour-vision deficiency.
_COLOURS = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9")
_MARKERS = ("o", "s", "^", "D")
_GREY = "#555555"


def _new_figure(name: str, **kwargs):
    """A pyplot-free figure on the Agg canvas, constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=FIGURE_SIZES[name], dpi=FIGURE_DPI, layout="constrained",
                 **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save(fig, stem: pathlib.Path, before_svg: Callable | None = None) -> list:
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



def draw_rank_vs_length(rows: list, plan: dict):
    """Figure 1 from the rows of :func:`~tnrnn.render.figure_data.rank_vs_length_rows`:
    per depth (colour) the certified ranks (markers) and the bounds (lines)."""
    from matplotlib.lines import Line2D

    R, M, lengths = plan["R"], plan["M"], plan["lengths"]
    p = plan
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
    fig = _new_figure("rank_vs_length")
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
    return fig


def graphviz_image(net, partition, cut_edges, dot_path: pathlib.Path):
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


def draw_networks(rows: list, images: list, plan: dict):
    """Figure 2 from the rows of :func:`~tnrnn.render.figure_data.network_rows`
    and the two rendered network images; returns ``(fig, shown)`` where
    ``shown`` are the two image artists."""
    R, M, T = plan["R"], plan["M"], plan["T"]
    a, b = rows
    fig = _new_figure("networks")
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

    return fig, shown


def draw_continuous_vs_onehot(panels: list):
    """Figure 3 from the panels of
    :func:`~tnrnn.render.figure_data.continuous_vs_onehot_panels`."""
    from matplotlib.lines import Line2D

    fig = _new_figure("continuous_vs_onehot")
    axes = fig.subplots(1, len(panels))
    for k, (ax, pan) in enumerate(zip(axes, panels)):
        L, R, lengths = pan["depth"], pan["R"], pan["lengths"]
        cont, grid, usym, gcap = pan["continuous"], pan["one-hot"], pan["u_sym"], pan["grid_cap"]
        parted, meet = pan["parted"], pan["meet"]
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
        if parted:
            c0, g0 = cont[lengths.index(parted[0])], grid[lengths.index(parted[0])]
            ax.text(0.04, 0.97, f"T = {parted[0]}: continuous {c0},\ngrid {g0}",
                    transform=ax.transAxes, fontsize=9, va="top", ha="left")
        if meet:
            ax.text(0.97, 0.97, f"equal from\nT = {meet[0]} ({pan['meet_rank']})",
                    transform=ax.transAxes, fontsize=9, va="top", ha="right")
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
    return fig


def draw_mincut_gap(rows: list, plan: dict):
    """Figure 4 from the rows of :func:`~tnrnn.render.figure_data.mincut_gap_rows`."""
    from matplotlib.lines import Line2D

    p, lengths = plan, plan["lengths"]
    fig = _new_figure("mincut_gap")
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
    return fig
