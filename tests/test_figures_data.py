"""The paper figures show their data: each drawing function's artists (line
data, marker positions, shaded spans, images, titles) are compared with the
values computed independently -- certified ranks from
:func:`tnrnn.rank.separation_rank`, bounds from their closed forms
(``docs/theory.md``) and :func:`tnrnn.bounds.tree_min_cut` -- on small plans.

No Graphviz needed: the network panels are given synthetic images.
"""
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tnrnn.bounds import tree_min_cut, u_sym  # noqa: E402
from tnrnn.circuit import RAC  # noqa: E402
from tnrnn.rank import separation_rank  # noqa: E402
from tnrnn.render import _figure_draw as D  # noqa: E402
from tnrnn.render import figure_data as FD  # noqa: E402


def _rank(L, R, M, T, inputs="continuous"):
    return separation_rank(RAC(L, R, M, T), inputs=inputs, seed=0).rank


def _markers(ax):
    return [ln for ln in ax.lines if ln.get_linestyle() in ("None", "none", "")]


def _curves(ax, style):
    return [ln for ln in ax.lines if ln.get_linestyle() == style]


def test_rank_vs_length_plots_the_certified_ranks_and_the_bounds():
    plan = {"R": 2, "M": 2, "depths": (1, 2, 3), "lengths": (2, 4, 6)}
    rows = FD.rank_vs_length_rows(plan)
    fig = D.draw_rank_vs_length(rows, plan)
    ax = fig.axes[0]
    markers = _markers(ax)
    assert len(markers) == 3
    for L, line in zip(plan["depths"], markers):
        assert list(line.get_xdata()) == list(plan["lengths"])
        assert list(line.get_ydata()) == [_rank(L, 2, 2, T) for T in plan["lengths"]]
    # depth 1: the rank is min(R, M^(T/2)) = 2 (theorem)
    assert list(markers[0].get_ydata()) == [min(2, 2 ** (T // 2)) for T in plan["lengths"]]
    # per depth: U_sym (dash-dot) and the min-cut bound (dotted), in depth order
    usym = _curves(ax, "-.")
    mincut = _curves(ax, ":")
    for L, a, b in zip(plan["depths"], usym, mincut):
        assert list(a.get_ydata()) == [u_sym(L, 2, T) for T in plan["lengths"]]
        assert list(b.get_ydata()) == [tree_min_cut(L, 2, 2, T).value for T in plan["lengths"]]
    # depth 2: U_sym = R C(R + T/2 - 1, T/2) (docs/theory.md)
    assert list(usym[1].get_ydata()) == [2 * math.comb(2 + T // 2 - 1, T // 2)
                                         for T in plan["lengths"]]
    assert ax.get_yscale() == "log"


def test_continuous_vs_onehot_plots_both_ranks_and_shades_where_they_part():
    plan = {"panels": ((2, 4, 4, (2, 4)), (2, 2, 2, (2, 4)))}
    rows = FD.continuous_vs_onehot_rows(plan)
    panels = FD.continuous_vs_onehot_panels(rows, plan)
    fig = D.draw_continuous_vs_onehot(panels)
    axes = [ax for ax in fig.axes if ax.lines]
    assert len(axes) == 2
    for ax, (L, R, M, lengths) in zip(axes, plan["panels"]):
        usym, gcap, cont, grid = ax.lines[:4]
        want_c = [_rank(L, R, M, T) for T in lengths]
        want_g = [_rank(L, R, M, T, "one-hot") for T in lengths]
        assert list(cont.get_ydata()) == want_c
        assert list(grid.get_ydata()) == want_g
        assert list(usym.get_ydata()) == [u_sym(L, R, T) for T in lengths]
        # one-hot inputs: M^(T/2) points per side, so the grid rank is at most that
        assert all(g <= M ** (T // 2) for g, T in zip(want_g, lengths))
        assert all(c >= g for c, g in zip(want_c, want_g))
        # one shaded span per length where the grid rank is below the continuous one
        parted = [T for T, c, g in zip(lengths, want_c, want_g) if g < c]
        spans = [p for p in ax.patches]
        assert len(spans) == len(parted)
        for p, T in zip(spans, parted):
            if hasattr(p, "get_width"):  # a Rectangle (matplotlib >= 3.9)
                x0, x1 = p.get_x(), p.get_x() + p.get_width()
            else:  # a Polygon
                x0, x1 = min(p.get_xy()[:, 0]), max(p.get_xy()[:, 0])
            assert (x0, x1) == (T - 1, T + 1)
    # docs/theory.md section 5: depth 2, R = M = 4, T = 4: continuous 40, grid 16
    assert list(axes[0].lines[2].get_ydata())[1] == 40
    assert list(axes[0].lines[3].get_ydata())[1] == 16


def test_mincut_gap_plots_log2_of_the_bounds():
    plan = {"depths": (2, 3), "widths": (2, 3), "lengths": (2, 4, 6), "rank_limit": 12}
    rows = FD.mincut_gap_rows(plan)
    fig = D.draw_mincut_gap(rows, plan)
    axes = [ax for ax in fig.axes if ax.lines]
    assert len(axes) == 2
    Ts = list(plan["lengths"])
    for ax, L in zip(axes, plan["depths"]):
        dotted, dashdot, markers = _curves(ax, ":"), _curves(ax, "-."), _markers(ax)
        assert len(dotted) == len(dashdot) == len(markers) == len(plan["widths"])
        for R, a, b, m in zip(plan["widths"], dotted, dashdot, markers):
            cut = [tree_min_cut(L, R, R, T).value for T in Ts]
            if L == 2:  # docs/theory.md: with M >= R the cut crosses T/2 + 1 bonds
                assert cut[1:] == [R ** (T // 2 + 1) for T in Ts[1:]]
            np.testing.assert_allclose(a.get_ydata(), [math.log2(c) for c in cut], atol=1e-6)
            np.testing.assert_allclose(b.get_ydata(), [math.log2(u_sym(L, R, T)) for T in Ts],
                                       atol=1e-6)
            ranked = [T for T in Ts if u_sym(L, R, T) <= plan["rank_limit"]]
            assert list(m.get_xdata()) == ranked
            np.testing.assert_allclose(m.get_ydata(),
                                       [math.log2(_rank(L, R, R, T)) for T in ranked])


def test_networks_shows_the_images_and_states_the_cut_and_rank():
    plan = {"R": 2, "M": 3, "T": 4, "form": "core"}
    rows, nets = FD.network_rows(plan)
    assert [r["min_cut"] for r in rows] == [tree_min_cut(L, 2, 3, 4).value for L in (1, 2)]
    assert [r["rank"] for r in rows] == [_rank(L, 2, 3, 4) for L in (1, 2)]
    rng = np.random.default_rng(0)
    images = [rng.random((20, 60, 3)), rng.random((40, 50, 3))]
    fig, shown = D.draw_networks(rows, images, plan)
    for im, img in zip(shown, images):
        np.testing.assert_array_equal(np.asarray(im.get_array()), img)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    a, b = rows
    assert f"min-cut = R = {a['min_cut']} = certified rank {a['rank']}" in titles[0]
    assert f"= {b['min_cut']})" in titles[1]
    assert f"$U_{{sym}}$ = {b['u_sym']} = certified rank {b['rank']}" in titles[1]
    # the two cut edges of panel b cross bonds whose sizes multiply to the min-cut
    assert 2 ** len(b["cut_edges"].split()) == b["min_cut"]
    assert len(nets) == 2 and nets[1][2] and all(e in b["cut_edges"] for e, _ in nets[1][2])
