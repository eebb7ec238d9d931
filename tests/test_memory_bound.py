"""The free-rate bound L_m* (issue 21): never above a trained run's loss, and the loss of
its rates and coefficients recomputed independently (mpmath, closed forms derived here)."""

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from tnrnn.errors import SpecError
from tnrnn.linear_rnn import (best_exponential_sum, gradient_flow, polish_exponential_sum,
                              random_point, tabulated)
from tnrnn.linear_rnn.plateau_runs import family_kernel, rescore_plateaus

ROOT = Path(__file__).resolve().parents[1]
MAIN = ROOT / "benchmarks/results/memory-plateau.json"
LORENZ = ROOT / "benchmarks/results/experiments/memory-lorenz96"


def _delayed_mp(t0):
    """``rho = e^{-t} + e^{-(t - t0)} 1[t > t0]``: ``||rho||^2`` and ``<rho, e^{-w t}>`` in
    mpmath, integrated by hand: int e^{-2t} = 1/2, int_{t0} e^{-t} e^{-(t-t0)} = e^{-t0}/2,
    int_{t0} e^{-2(t-t0)} = 1/2, int_0 e^{-(1+w)t} = 1/(1+w), int_{t0} e^{-(t-t0)-wt} =
    e^{-w t0}/(1+w)."""
    t0 = mp.mpf(t0)
    rho2 = mp.mpf(1) / 2 + 2 * mp.exp(-t0) / 2 + mp.mpf(1) / 2
    return rho2, lambda w: 1 / (1 + w) + mp.exp(-w * t0) / (1 + w)


def _expsum_mp(v):
    """``rho = e^{-t} + e^{-t/v}``."""
    b = 1 / mp.mpf(v)
    return (mp.mpf(1) / 2 + 2 / (1 + b) + 1 / (2 * b),
            lambda w: 1 / (1 + w) + 1 / (b + w))


def _table_mp(values, step):
    """Piecewise-linear table: per segment, int (f0 + d s/h) e^{-w (a + s)} ds in closed form."""
    h = mp.mpf(step)
    f = [mp.mpf(x) for x in values]
    rho2 = mp.fsum(h / 3 * (f[i] ** 2 + f[i] * f[i + 1] + f[i + 1] ** 2)
                   for i in range(len(f) - 1))

    cache = {}

    def b(w):
        if w in cache:
            return cache[w]
        out = []
        for i in range(len(f) - 1):
            a, d = i * h, f[i + 1] - f[i]
            e0, e1 = mp.exp(-w * a), mp.exp(-w * (a + h))
            # int_0^h e^{-w(a+s)} ds = (e0 - e1)/w; int_0^h s e^{-w(a+s)} ds = (e0 - e1)/w^2 - h e1/w
            i0 = (e0 - e1) / w
            i1 = (e0 - e1) / w ** 2 - h * e1 / w
            out.append(f[i] * i0 + d / h * i1)
        cache[w] = mp.fsum(out)
        return cache[w]
    return rho2, b


def _loss_mp(rho2, b, coefs, rates):
    """``||rho - sum a_i e^{-w_i t}||^2`` in mpmath for the given (float64) a, w."""
    a = [mp.mpf(x) for x in coefs]
    w = [mp.mpf(x) for x in rates]
    return (rho2 - 2 * mp.fsum(ai * b(wi) for ai, wi in zip(a, w))
            + mp.fsum(a[i] * a[j] / (w[i] + w[j]) for i in range(len(a)) for j in range(len(a))))


def _projection_mp(rho2, b, rates):
    """min_a ||rho - sum a_i e^{-w_i t}||^2 by Gaussian elimination on the Gram matrix."""
    G = mp.matrix([[1 / (mp.mpf(x) + mp.mpf(y)) for y in rates] for x in rates])
    bv = mp.matrix([b(mp.mpf(x)) for x in rates])
    return rho2 - (bv.T * mp.lu_solve(G, bv))[0]


def test_polish_from_trained_rates_is_below_them_and_exact():
    """From the final rates of the committed ODE run (delayed t0 = 2, seed 1: loss 0.198,
    below the warm-start value 0.260), the polished value is below the best loss at those
    rates (Gaussian elimination in mpmath here) and is the loss of what it returns."""
    k = family_kernel("delayed", 2.0)
    rates = [0.7088465226072391, 1.8731815340660962, 1.136723111968235]
    with mp.workdps(50):
        rho2, b = _delayed_mp(2.0)
        at_rates = float(_projection_mp(rho2, b, rates))
        assert 0.19 < at_rates < 0.2
        p = polish_exponential_sum(k, rates, maxiter=100)
        assert p.l2_sq_error <= at_rates
        assert float(_loss_mp(rho2, b, p.coefs, p.rates)) == pytest.approx(p.l2_sq_error,
                                                                            abs=1e-9)


@pytest.mark.slow
def test_polished_bound_below_gradient_descent_and_exact():
    """GD (m = 3, log-rates, lr 0.1) on the delayed target t0 = 2 ends below the warm-start
    optimiser's value (the stall); polishing from its rates gives a value below GD's loss,
    and that value is the loss of the returned rates and coefficients, recomputed here."""
    k = family_kernel("delayed", 2.0)
    a0, w0 = random_point(3, 1)
    r = gradient_flow(k, a0, w0, method="gd", lr=0.1, steps=3000, param="log", chunk=3000)
    with mp.workdps(50):
        rho2, b = _delayed_mp(2.0)
        gd = float(_loss_mp(rho2, b, r.a, r.w))
        assert gd == pytest.approx(float(r.loss[-1]), rel=1e-9)
        warm = best_exponential_sum(k, 3, l1=False, starts=4, maxiter=200)
        assert warm.l2_sq_error[2] > gd + 0.01      # warm starts alone stall above GD
        p = polish_exponential_sum(k, r.w)
        assert p.l2_sq_error <= gd
        assert float(_loss_mp(rho2, b, p.coefs, p.rates)) == pytest.approx(p.l2_sq_error,
                                                                            abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("t0", [2.0, 4.0, 14.0])
def test_scanned_bound_below_gradient_descent(t0):
    """The scan alone (no run's rates) ends below every GD run of three seeds (1e5 steps)."""
    k = family_kernel("delayed", t0)
    b = best_exponential_sum(k, 3, l1=False, starts=4, scan=16)
    with mp.workdps(50):
        rho2, bb = _delayed_mp(t0)
        exact = float(_loss_mp(rho2, bb, b.coefs[2], b.rates[2]))
        assert exact == pytest.approx(b.l2_sq_error[2], abs=1e-9)
        for seed in range(3):
            a0, w0 = random_point(3, seed)
            r = gradient_flow(k, a0, w0, method="gd", lr=0.1, steps=100_000, param="log",
                              chunk=50_000)
            assert b.l2_sq_error[2] <= float(_loss_mp(rho2, bb, r.a, r.w))


def test_search_grid_resolves_a_table():
    """The search objective of a table is its exact L2 norm (Gauss panels between samples);
    the double-exponential grid alone missed the kinks."""
    from tnrnn.linear_rnn.bestsum import _objective, _search_grid

    rng = np.random.default_rng(3)
    vals = np.concatenate([np.zeros(40), rng.normal(size=120), [0.0]])
    k = tabulated(vals, 0.05, "noise")
    t, q = _search_grid(k)
    sq = np.sqrt(q)
    r0 = sq * k.value(t)
    with mp.workdps(30):
        rho2, b = _table_mp(vals, 0.05)
        assert float(r0 @ r0) == pytest.approx(float(rho2), rel=1e-12)
        w = np.array([0.3, 1.7])
        # ln f at the best coefficients against the same error from the closed forms
        best = _projection_mp(rho2, b, w)
        assert np.exp(_objective(np.log(w), t, sq, r0)[0]) == pytest.approx(float(best),
                                                                              rel=1e-10)


def test_bad_inits_and_ranges_refused():
    with pytest.raises(SpecError, match="distinct and positive"):
        best_exponential_sum("exponential:1", 2, inits=[[1.0, -1.0]])
    with pytest.raises(SpecError, match="rate_range"):
        best_exponential_sum("exponential:1", 2, scan=2, rate_range=(5.0, 1.0))
    with pytest.raises(SpecError, match="non-empty"):
        polish_exponential_sum("exponential:1", [])
    with pytest.raises(SpecError, match="distinct and positive"):
        polish_exponential_sum("exponential:1", [1.0, 1.0])


def test_rescore_uses_reached_level_and_keeps_diverged_runs_out():
    pl = [{"start": 1.0, "level": 1.0, "end_flat": 50.0, "exit": 60.0, "next_level": 0.5}]
    recs = [{"kernel": "k", "m": 3, "diverged": False, "final_loss": 0.5, "rho_l2_sq": 1.0,
             "ran_to": 100.0, "plateaus": pl},
            {"kernel": "k", "m": 3, "diverged": True, "final_loss": 1e-9, "rho_l2_sq": 1.0,
             "ran_to": 3.0, "plateaus": [], "escape": None}]
    out = rescore_plateaus({"records": recs, "lstar": {"k": {"3": 0.2}}})["records"]
    assert out[0]["reference"] == 0.5 and out[0]["escape"] == 60.0    # not the diverged 1e-9
    assert out[1]["escape"] is None and out[1]["reference"] is None
    assert out[0]["at_lstar"] is False and out[0]["lstar"] == 0.2


def _committed(path):
    if not path.exists():
        pytest.skip(f"{path.name} not committed")
    return json.loads(path.read_text())


def _check_records(data, mp_forms, dps=120, ms=None):
    """Every run at or above its L_m*; each L_m* the best loss at its stored rates
    (Gaussian elimination in mpmath on the closed forms of ``mp_forms``), and the loss of
    its stored (float64-rounded) coefficients at most 1e-4 ||rho||^2 above it (at m = 16 the
    coefficients reach 1e9 and more, and their rounding costs up to ~3e-6 ||rho||^2)."""
    n = 0
    for r in data["records"]:
        if r["diverged"]:
            continue
        lstar = data["lstar"][r["kernel"]][str(r["m"])]
        assert r["lstar"] == lstar
        assert lstar <= r["final_loss"] + 1e-12 * r["rho_l2_sq"], (r["kernel"], r["method"])
        n += 1
    checked = 0
    for spec, per_m in data["lstar_fit"].items():
        form = mp_forms(spec)
        if form is None:
            continue
        for m, fit in per_m.items():
            if ms is not None and int(m) not in ms:
                continue
            assert fit["value"] == data["lstar"][spec][m]
            with mp.workdps(dps):
                best = float(_projection_mp(*form, fit["rates"]))
                coef = float(_loss_mp(*form, fit["coefs"], fit["rates"]))
            scale = float(form[0])
            assert best == pytest.approx(fit["value"], rel=1e-8, abs=1e-14 * scale), (spec, m)
            # the float64 coefficients lose digits where they are huge (coalescing rates)
            assert best - 1e-14 * scale <= coef <= best + 1e-4 * scale, (spec, m)
            checked += 1
    return n, checked


def test_committed_plateau_bounds_below_every_run_and_exact():
    data = _committed(MAIN)

    def forms(spec):
        for fam, fn in (("delayed", _delayed_mp), ("expsum", _expsum_mp)):
            for v in data["config"]["families"].get(fam, []):
                if family_kernel(fam, v).spec == spec:
                    return fn(v)
        return None
    runs, fits = _check_records(data, forms)
    assert runs >= 90 and fits >= 16


def test_committed_lorenz96_bounds_below_every_run_and_exact():
    data = _committed(LORENZ / "plateau.json")
    w = json.loads((LORENZ / "wiener.json").read_text())
    dt = w["settings"]["dt"]

    def forms(spec):
        t0 = float(spec.split("t0=")[1])
        base = [0.0] * round(t0 / dt) + list(w["values"]) + [0.0]
        rho2, _ = _table_mp(base, dt)
        scale = 1 / mp.sqrt(rho2)
        return _table_mp([x * scale for x in base], dt)
    runs, fits = _check_records(data, forms, dps=45)
    assert runs >= 21 and fits == 7


@pytest.mark.slow
def test_committed_airy_bounds_against_adaptive_quadrature():
    """The Airy L_3* (extended-precision Gauss-Legendre rule of the exact projection) against
    mpmath's adaptive tanh-sinh quadrature of Ai(t - t0) e^{-w t}, independently (m = 3 only:
    about ten seconds a rate)."""
    data = _committed(MAIN)

    def forms(spec):
        if not spec.startswith("airy:"):
            return None
        t0 = mp.mpf(spec.split(":")[1])
        rho2 = t0 * mp.airyai(-t0) ** 2 + mp.airyai(-t0, derivative=1) ** 2
        pts = [0, t0, t0 + 10, t0 + 40, mp.inf] if t0 > 0 else [0, 10, 40, mp.inf]
        cache = {}

        def b(w):
            if w not in cache:
                cache[w] = mp.quad(lambda s: mp.airyai(s - t0) * mp.exp(-w * s), pts)
            return cache[w]
        return rho2, b
    _, fits = _check_records(data, forms, dps=40, ms=(3,))
    assert fits >= 2


def test_select_outside_the_plan_is_refused(tmp_path):
    from tnrnn.linear_rnn.plateau_runs import plateau_experiment

    with pytest.raises(SpecError, match="not in the plan"):
        plateau_experiment(tmp_path / "p.json", families={"delayed": (4.0,)},
                           plan=(("gd-log", 3),), select=[("delayed", 6.0, "gd-log", 3)])
    with pytest.raises(SpecError, match="each entry is"):
        plateau_experiment(tmp_path / "p.json", families={"delayed": (4.0,)},
                           plan=(("gd-log", 3),), select=["delayed"])
    assert not (tmp_path / "p.json").exists()
