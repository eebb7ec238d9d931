"""Issue 21: smooth kernels, L1 brackets, the free-rate optimiser, plateau exits,
divergence, result files -- each against an independent reference."""
import dataclasses
import json
import math

import mpmath as mp
import numpy as np
import pytest

from tnrnn.errors import SpecError
from tnrnn.linear_rnn import (best_exponential_sum, gradient_flow, l1_bracket, l1_error,
                              parse_kernel, plateau_times, project, smooth)
from tnrnn.linear_rnn._store import load_result, new_result, resume_result, save_result
from tnrnn.linear_rnn.l1lp import l1_bracket_uniform
from tnrnn.linear_rnn.plateau_runs import escape_rate, escape_time


@pytest.mark.parametrize("alpha, t0, beta", [(1, 1.0, 0.5), (2, 1.0, 2.0), (3, 0.5, 1.0)])
def test_smooth_closed_forms_against_mpmath(alpha, t0, beta):
    k = smooth(alpha, t0, beta)
    with mp.workdps(30):
        f = lambda t: (t - t0) ** alpha * mp.exp(-beta * (t - t0)) if t > t0 else mp.mpf(0)  # noqa: E731
        pts = [t0, t0 + 5, mp.inf]
        assert k.l1_norm() == pytest.approx(float(mp.quad(f, pts)), rel=1e-13)
        assert k.l2_sq() == pytest.approx(float(mp.quad(lambda t: f(t) ** 2, pts)), rel=1e-13)
        for w in (0.0, 0.3, 7.0):
            ref = mp.quad(lambda t: f(t) * mp.exp(-w * t), pts)
            assert float(k.inner_exp(w)) == pytest.approx(float(ref), rel=1e-13)
        for T in (0.2, t0 + 1.3):
            ref = mp.quad(f, [max(T, t0), max(T, t0) + 5, mp.inf])
            assert float(k.tail(T)) == pytest.approx(float(ref), rel=1e-13)


def test_smooth_parsing_and_errors():
    assert parse_kernel("smooth:2:1:0.5").spec == "smooth:2:1:0.5"
    assert parse_kernel("smooth:0:2").l2_sq() == pytest.approx(parse_kernel("delayed:2").l2_sq())
    with pytest.raises(SpecError, match="smooth: alpha must be an integer in 0..12"):
        parse_kernel("smooth:x")
    with pytest.raises(SpecError, match="smooth takes 1 to 3 parameter"):
        parse_kernel("smooth:1:1:1:1")


def test_l1_bracket_closed_form():
    # min_a ||e^-t - a e^-2t||_1 = sqrt(2) - 1 (derivation in the l1_bracket docstring)
    b = l1_bracket("exponential:1", [2.0])
    assert b.lower <= math.sqrt(2) - 1 <= b.upper
    assert b.upper - b.lower < 1e-5


def test_l1_bracket_is_below_the_l1_of_the_l2_best_coefficients():
    k = parse_kernel("polynomial:1")
    w = np.geomspace(0.05, 20, 5)
    b = l1_bracket(k, w)
    l2best = l1_error(k, project(k, w).coefs, w).value
    assert b.lower <= b.upper <= l2best * (1 + 1e-9)


def test_uniform_and_generic_brackets_agree():
    k = parse_kernel("smooth:2:1:1")
    u = l1_bracket_uniform(k, 0.5, 4)
    g = l1_bracket(k, 0.5 * np.arange(1, 5))
    assert max(u.lower, g.lower) <= min(u.upper, g.upper) * (1 + 1e-6)


@pytest.mark.slow
def test_free_rate_optimiser_does_not_stall():
    # the earlier optimiser: 1.32e-5 at m = 10, 1.23e-5 at 11, 1.12e-5 at 12 (relative L2)
    b = best_exponential_sum("polynomial:1", 12, l1=False, starts=4)
    rel = np.sqrt(np.array(b.l2_sq_error) * 3.0)
    assert rel[11] < 0.5 * rel[9]
    assert np.all(np.diff(b.l2_sq_error) <= 0)


def test_grid_fit_m1_against_brute_force():
    # discrete weighted loss with one real rate: brute force over a fine rate grid
    T, dt = 50, 0.1
    j = np.arange(T)
    t, q = j * dt, dt * (T - j) / T
    k = parse_kernel("exponential:1+delayed:1")
    b = best_exponential_sum(k, 1, grid=(t, q), l1=False)
    rho = k.value(t)
    best = min(np.sum(q * (rho - (e := np.exp(-w * t)) * (np.sum(q * rho * e) / np.sum(q * e * e))) ** 2)
               for w in np.geomspace(0.01, 10, 20001))
    assert b.l2_sq_error[0] <= best * (1 + 1e-6)
    assert b.l2_sq_error[0] >= best * (1 - 1e-3)


def test_plateau_rule_hysteresis_and_settling():
    t = np.arange(1.0, 20001.0)
    loss = np.full_like(t, 0.5)
    osc = (t >= 3000) & (t < 6000)
    loss[osc] = np.where(np.arange(osc.sum()) % 2 == 0, 0.47, 0.49)   # crosses 0.479 back and forth
    loss[t >= 6000] = 0.458
    p = plateau_times(t, loss)[0]
    # fall from 0.5 to 0.458: midpoint 0.479, hysteresis line 0.4895; 0.49 is above it, so
    # the exit is the first time below 0.479 after which the loss stays below 0.4895
    assert p.level == 0.5 and p.next_level == 0.458 and p.exit == 6000.0
    # a curve that settles 5% or less below its plateau has not left it
    assert plateau_times(t, np.where(t < 3000, 0.5, 0.48))[0].exit is None


def test_escape_time_and_rate():
    from tnrnn.linear_rnn import Plateau

    pls = [Plateau(1.0, 0.5, 10.0, 100.0, 0.2), Plateau(100.0, 0.2, 300.0, None)]
    assert escape_time(pls, 0.2, 1.0, 1e4).to_dict() == {"escape": 100.0, "plateau": True,
                                                          "censored": False}
    pls = [Plateau(1.0, 0.5, 10.0, None)]
    e = escape_time(pls, 0.2, 1.0, 1e4)
    assert e.censored and e.escape is None and e.to_dict()["ran_to"] == 1e4
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.escape = 1.0
    recs = [{"family": "f", "method": "m", "m": 3, "value": v, "seed": s, "diverged": False,
             "escape": math.exp(0.9 * v)} for v in (1, 2, 3, 4) for s in range(3)]
    r = escape_rate(recs, "f", "m", 3)
    assert r.rate == pytest.approx(0.9) and r.low <= 0.9 <= r.high
    assert r.to_dict()["values"] == [1, 2, 3, 4] and r.boot_total == 2000
    # a diverged run never counts: with every run at v = 4 diverged, three values remain
    recs4 = [dict(x, diverged=x["value"] == 4) for x in recs]
    assert escape_rate(recs4, "f", "m", 3).values == (1, 2, 3)


def test_divergence_is_said_for_every_method():
    pytest.importorskip("jax")
    k = "exponential:1+delayed:4"
    a0, w0 = [0.0] * 3, [0.9, 1.0, 1.1]
    r = gradient_flow(k, a0, w0, lr=100.0, steps=1000, chunk=100)
    assert r.diverged and r.info["diverged"]["step"] == 1
    assert "divergence limit" in r.info["diverged"]["reason"]   # 1.0 -> 4.7e4 in one step
    # a blow-up of the loss by a factor > 1e3 counts even when everything stays finite
    r = gradient_flow("10*exponential:1", [5.0], [1.0], lr=1.0, steps=10, chunk=5,
                      param="log", diverge_factor=1.5)
    assert r.diverged or r.loss.max() <= 1.5 * 50
    r = gradient_flow(k, a0, w0, method="adam", lr=1e6, steps=200, chunk=50)
    assert r.diverged


def test_softplus_parameterisation_converges():
    pytest.importorskip("jax")
    r = gradient_flow("exponential:2", [0.0], [1.0], lr=0.5, steps=4000, chunk=1000,
                      param="softplus")
    assert r.w[0] == pytest.approx(2.0, rel=1e-6) and not r.diverged


def test_result_files_are_checked(tmp_path):
    p = tmp_path / "r.json"
    save_result(p, new_result("memory-rates", {"m": 3}))
    assert load_result(p, "memory-rates", {"m": 3})["records"] == []
    with pytest.raises(SpecError, match="was made with other settings \\(differing: m\\)"):
        resume_result(p, "memory-rates", {"m": 4})
    d = json.loads(p.read_text())
    d["version"] = 1
    p.write_text(json.dumps(d))
    with pytest.raises(SpecError, match="result version 1; this tnrnn reads version 2"):
        load_result(p, "memory-rates")
    p.write_text(json.dumps({"records": "x"}))
    with pytest.raises(SpecError, match="not a tnrnn memory result"):
        load_result(p, "memory-rates")
