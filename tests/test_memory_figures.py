"""The memory figures show their data: each figure's artists (line data,
marker positions, shaded spans, levels, labels) are compared with the data
they draw and with values computed independently (closed forms of the L2
error of exponential sums against e^(-v t), the escape law of made-up
records, the plateau of a step curve), never with file sizes.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tnrnn.render import memory_figures as MF  # noqa: E402
from tnrnn.render._pyplot import pyplot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    pyplot().close("all")


def _xy(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def _l2_sq_error_exp(v, rates):
    """Best squared L2 error of sum_k a_k e^(-w_k t) against e^(-v t), by the
    normal equations in float64: G_ij = 1/(w_i + w_j), b_i = 1/(v + w_i),
    ||rho||^2 = 1/(2v)."""
    w = np.asarray(rates, float)
    G = 1.0 / (w[:, None] + w[None, :])
    b = 1.0 / (v + w)
    return 1.0 / (2 * v) - b @ np.linalg.solve(G, b)


def test_approx_figures_plot_the_relative_errors_of_the_experiment(tmp_path):
    from tnrnn.linear_rnn.experiments import approximation_experiment

    data = approximation_experiment(tmp_path / "a.json", ["exponential:2"], max_m=3, free_m=1)
    rec = data["records"][0]
    figs = MF.approx_figures(data)
    assert sorted(figs) == ["memory_approx_cost", "memory_approx_l1", "memory_approx_l2"]
    fixed, free = figs["memory_approx_l2"].axes[0].lines
    m, y = _xy(fixed)
    assert m.tolist() == [1, 2, 3]
    # independent: the normal equations for e^(-2t), ||rho||^2 = 1/4
    from tnrnn.linear_rnn import rate_grid

    want = [math.sqrt(max(_l2_sq_error_exp(2.0, rate_grid(k, "sinc")), 0.0) / 0.25)
            for k in (1, 2, 3)]
    assert rec["rho_l2_sq"] == pytest.approx(0.25, rel=1e-14)
    np.testing.assert_allclose(y, np.maximum(want, MF.FLOOR), rtol=1e-6, atol=1e-12)
    # free rates at m = 1: the best single rate is w = v = 2, error 0 (at most the floor)
    assert _xy(free)[0].tolist() == [1] and _xy(free)[1][0] < 1e-6
    assert rec["free"]["rates"][0][0] == pytest.approx(2.0, rel=1e-6)
    # the cost figure: smallest free rate and the sinc grid's conditioning
    left, right = figs["memory_approx_cost"].axes
    assert _xy(left.lines[0])[1].tolist() == rec["free"]["min_rate"]
    assert _xy(right.lines[-1])[1].tolist() == rec["fixed"]["log10_cond"]


def test_approx_l1_drops_values_float64_cannot_resolve():
    rec = {"kernel": "k", "rho_l2_sq": 1.0, "rho_l1": 2.0,
           "fixed": {"m": [1, 2], "l2_sq_error": [0.25, 0.01], "l1_error": [0.5, 1e-16],
                     "coefs_max": [1.0, 1.0], "min_rate": [1.0, 1.0], "log10_cond": [0, 0]}}
    fig = MF.approx_figures({"records": [rec]})["memory_approx_l1"]
    y = _xy(fig.axes[0].lines[0])[1]
    # m = 1: cancellation 3e-15 << 1% of 0.5, kept: 0.5 / rho_l1; m = 2: 1e-16 is below
    # the cancellation estimate 1e-14, dropped (NaN, not drawn)
    assert y[0] == 0.25 and math.isnan(y[1])
    l2 = _xy(MF.approx_figures({"records": [rec]})["memory_approx_l2"].axes[0].lines[0])[1]
    assert l2.tolist() == [0.5, 0.1]


def test_rates_figure_shades_the_bracket_and_places_the_fits():
    recs = [{"alpha": a, "beta": 1.0, "rho_l1": 4.0,
             "fits": {"fixed_l2": [a + 0.5, 0.1], "fixed_l1_upper": [a + 1.0, 0.2]},
             "fixed": {"m": [1, 2, 4], "l1_lower": [0.4, 0.2, 0.1], "l1_upper": [0.8, 0.4, 0.2]}}
            for a in (1, 2)]
    fig = MF.rates_figure({"records": recs})
    left, right = fig.axes
    assert _xy(left.lines[0])[1].tolist() == [0.2, 0.1, 0.05]
    # the shaded bracket spans [lower, upper] / rho_l1 at each m
    verts = left.collections[0].get_paths()[0].vertices
    for m, lo, hi in zip([1, 2, 4], [0.1, 0.05, 0.025], [0.2, 0.1, 0.05]):
        ys = sorted({round(v[1], 12) for v in verts if v[0] == m})
        assert ys[0] == pytest.approx(lo) and ys[-1] == pytest.approx(hi)
    # fitted exponents (error bars) at alpha, values as given; reference lines alpha, alpha + 1
    fits = [c for c in right.containers]
    got = {tuple(np.round(np.asarray(c.lines[0].get_ydata(), float), 9)) for c in fits
           if len(c.lines[0].get_xdata())}
    assert got == {(2.0, 3.0), (1.5, 2.5)}
    refs = {ln.get_label(): _xy(ln)[1].tolist() for ln in right.lines if ln.get_label()[0] != "_"}
    assert refs["theorem (as stated): alpha"] == [1.0, 2.0]
    assert refs["derived, best L1: alpha + 1"] == [2.0, 3.0]


def test_width_figure_plots_widths_and_the_reference_law():
    eps = [1e-1, 1e-2, 1e-3]
    rec = {"omega": 0.5, "width_l2": [2, 5, None], "width_l1_upper": [3, None, None]}
    fig = MF.width_figure({"config": {"eps": eps}, "records": [rec]})
    l2, l1, ref = fig.axes[0].lines
    x, y = _xy(l2)
    np.testing.assert_allclose(x, [10, 100, 1000])
    assert y[:2].tolist() == [2, 5] and math.isnan(y[2])
    assert _xy(l1)[1][0] == 3 and np.isnan(_xy(l1)[1][1:]).all()
    # eps^(-1/omega) = eps^-2, scaled to 1 at eps = 0.1: 1, 100, 10000
    np.testing.assert_allclose(_xy(ref)[1], [1.0, 100.0, 10000.0])


def _escape_records():
    recs = []
    for v in (6.0, 8.0, 10.0):
        for s in range(4):
            recs.append({"family": "delayed", "method": "gd-log", "m": 3, "value": v, "seed": s,
                         "diverged": s == 3, "censored": s == 2, "ran_to": 1e7,
                         "escape": None if s >= 2 else math.exp(0.9 * v)})
    return recs


def test_plateaus_figure_places_every_run_and_fits_the_law():
    recs = _escape_records()
    fig = MF.plateaus_figure({"records": recs})
    ax = fig.axes[0]
    assert ax.get_title() == "delayed"
    dots = [ln for ln in ax.lines if ln.get_marker() == "o" and len(ln.get_xdata())]
    tris = [ln for ln in ax.lines if ln.get_marker() == "^" and len(ln.get_xdata())]
    for v, d, t in zip((6.0, 8.0, 10.0), dots, tris):
        assert _xy(d)[0].tolist() == [v, v]
        np.testing.assert_allclose(_xy(d)[1], [math.exp(0.9 * v)] * 2)
        assert _xy(t) [0].tolist() == [v] and _xy(t)[1].tolist() == [1e7]
    assert [t.get_text() for t in ax.texts] == ["1 diverged"] * 3
    # the escape law e^(0.9 v) exactly: the fitted rate (legend) is 0.90
    label = ax.get_legend().get_texts()[0].get_text()
    assert label.startswith("gd-log, m=3: e^(0.90 v)")


def test_plateau_curves_draw_only_seed_0_ode_m3_over_the_norm():
    base = {"family": "airy", "method": "ode-log", "m": 3, "seed": 0, "value": 2.0,
            "rho_l2_sq": 4.0, "lstar": 1.0,
            "curve": {"t": [0.0, 2.0, 20.0], "loss": [4.0, 2.0, 1.0]}}
    others = [dict(base, seed=1), dict(base, method="gd-log"), dict(base, m=4)]
    fig = MF.plateau_curves_figure({"records": [base, *others]})
    curve, level = fig.axes[0].lines
    assert _xy(curve)[0].tolist() == [2.0, 20.0]            # t = 0 left out (log axis)
    assert _xy(curve)[1].tolist() == [0.5, 0.25]            # loss / ||rho||^2
    assert _xy(level)[1].tolist() == [0.25, 0.25]           # lstar / ||rho||^2


def test_training_figures_plot_kernels_curves_and_floor():
    recs = [{"kernel": "exponential:1", "model": mdl, "seed": s, "test_loss": 0.01,
             "kernel_t": [0.0, 1.0, 2.0], "target": [1.0, math.exp(-1), math.exp(-2)],
             "learned": [0.9 + 0.01 * s, 0.4, 0.1], "curve": {"step": [1, 10], "loss": [0.5, 0.01 + s]}}
            for mdl in ("diagonal", "dense") for s in (0, 1)]
    floors = {"records": [{"kernel": "exponential:1", "floor_real": 0.0, "hidden": 4}]}
    figs = MF.training_figures({"records": recs}, floors)
    kern = figs["memory_train_kernels"].axes[0].lines
    assert [_xy(ln)[1].tolist() for ln in kern] == [
        [1.0, math.exp(-1), math.exp(-2)], [0.9, 0.4, 0.1], [0.9, 0.4, 0.1]]
    loss = figs["memory_train_loss"].axes[0].lines
    assert [_xy(ln)[1].tolist() for ln in loss[:4]] == [[0.5, 0.01], [0.5, 1.01]] * 2
    assert _xy(loss[4])[1].tolist() == [1e-16, 1e-16]       # a floor of 0 drawn at 1e-16
    assert figs["memory_train_loss"].axes[0].get_yscale() == "log"


def test_flow_figure_marks_the_plateau_of_a_step_curve():
    from tnrnn.linear_rnn import plateau_times

    t = np.arange(0.0, 1001.0)
    loss = np.where(t < 300, 2.0, 0.001)
    pls = plateau_times(t, loss)
    # the step curve: a plateau at 2 left at t = 300, then the last one, never left
    assert [(p.level, p.exit) for p in pls] == [(2.0, 300.0), (0.001, None)]
    fig = MF.flow_figure(t, loss, pls, "step")
    ax = fig.axes[0]
    curve, exit_line = ax.lines                             # one exit: one vertical line
    np.testing.assert_array_equal(_xy(curve)[0], t[1:])     # t = 0 not drawn
    np.testing.assert_array_equal(_xy(curve)[1], loss[1:])
    assert _xy(exit_line)[0].tolist() == [300.0, 300.0]
    segs = [c.get_segments()[0] for c in ax.collections]
    np.testing.assert_allclose(segs[0], [[pls[0].start, 2.0], [300.0, 2.0]])
    np.testing.assert_allclose(segs[1], [[300.0, 0.001], [1000.0, 0.001]])  # to the end
    assert ax.get_title() == "step"


def test_draw_all_draws_the_width_experiment_from_its_file(tmp_path):
    from tnrnn.linear_rnn.experiments import width_experiment

    width_experiment(tmp_path / "memory-width.json", omegas=(1.0,), max_m=3, eps=(0.3, 0.1))
    data = json.loads((tmp_path / "memory-width.json").read_text())
    seen = []
    orig = MF._save

    def spy(fig, path):
        seen.append([_xy(ln)[1] for ln in fig.axes[0].lines])
        return orig(fig, path)

    out = tmp_path / "figs"
    out.mkdir()
    MF._save, saved = spy, MF._save
    try:
        paths = MF.draw_all(tmp_path, out)
    finally:
        MF._save = saved
    assert [p.rsplit("/", 1)[1] for p in paths] == ["memory_width.png", "memory_width.svg"]
    (lines,) = seen
    want = [np.nan if v is None else v for v in data["records"][0]["width_l2"]]
    np.testing.assert_array_equal(lines[0], want)
