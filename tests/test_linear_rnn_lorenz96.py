"""Issue 21: the Lorenz-96 target at a small size -- the integrator against scipy's
solve_ivp, the Wiener kernel against the linearised system and against a linear case
with a closed form, and the reduction of a linear model's loss to the white-noise loss
of the Wiener kernel, checked on simulated data."""
import math

import numpy as np
import pytest

from tnrnn.errors import SpecError, TooLargeError
from tnrnn.linear_rnn import causal_convolve
from tnrnn.linear_rnn.lorenz96 import (WienerKernel, lorenz96_kernel, lorenz96_linear_response,
                                       lorenz96_response, lorenz96_wiener_kernel)


def test_rk4_against_solve_ivp():
    from scipy.integrate import solve_ivp

    K, F, dt = 6, 0.6, 0.05
    rng = np.random.default_rng(1)
    x = 2.0 * rng.standard_normal(40)
    y = lorenz96_response(x, dt=dt, K=K, F=F, read=3)
    z = np.full(K, F)
    ref = []
    for u in x:   # the input is held over each step: one solve per step
        def rhs(t, s, u=u):
            d = (np.roll(s, -1) - np.roll(s, 2)) * np.roll(s, 1) - s + F
            d[0] += u
            return d
        z = solve_ivp(rhs, (0.0, dt), z, method="DOP853", rtol=1e-12, atol=1e-14).y[:, -1]
        ref.append(z[3] - F)
    assert np.abs(y - np.array(ref)).max() < 1e-6   # RK4 at dt = 0.05: O(dt^4) per unit time
    assert np.abs(np.array(ref)).max() > 0.01        # and the response is not trivially zero


def test_wiener_kernel_small_input_is_the_linearised_response():
    # at small sigma the system is linear around z = F: rho_L(j dt) = (1/dt) int_{j dt}^{(j+1) dt}
    # h(s) ds with h = e_read^T e^{J s} e_0 (the input is held over each step)
    sig, dt = 0.02, 0.1
    w = lorenz96_wiener_kernel(sigma=sig, dt=dt, n=300, T=160, burn=60, lags=60, seed=2)
    x, q = np.polynomial.legendre.leggauss(6)
    cells = np.array([lorenz96_linear_response(j * dt + 0.5 * dt * (x + 1)) @ (0.5 * q)
                      for j in range(60)])
    assert np.all(np.abs(w.values - cells) < 4 * w.stderr + 1e-3 * np.abs(cells).max())
    assert cells.max() > 0.1                         # a real bump, one hop away
    assert w.linear_fraction == pytest.approx(1.0, abs=0.05)


def test_wiener_kernel_of_the_nonlinear_target_and_its_linear_fraction():
    # at sigma = 2 the quadratic coupling matters: the linear part explains clearly less
    # than all of Var(y), and the kernel departs from the linearisation by many errors
    w = lorenz96_wiener_kernel(sigma=2.0, dt=0.05, n=300, T=500, burn=240, lags=240, seed=0)
    assert 0.8 < w.linear_fraction < 0.98
    lin = lorenz96_linear_response(w.times + 0.025)
    assert np.max(np.abs(w.values - lin) / (w.stderr + 1e-12)) > 10
    assert w.to_dict()["linear_fraction"] == w.linear_fraction


def test_a_linear_model_on_the_nonlinear_target_sees_only_the_wiener_kernel():
    # the mean squared error of any linear model is a floor plus sigma^2 dt sum (rho_L - rho)^2:
    # checked on fresh simulated data with the kernel estimated on other data
    sig, dt, lags = 1.5, 0.05, 200
    est = lorenz96_wiener_kernel(sigma=sig, dt=dt, n=600, T=600, burn=lags, lags=lags, seed=5)
    rng = np.random.default_rng(11)
    x = sig * rng.standard_normal((400, 800)) / math.sqrt(dt)
    y = lorenz96_response(x, dt=dt)[:, lags:]

    def mse(rho):
        pred = causal_convolve(x, dt * np.concatenate([rho, np.zeros(800 - lags)]))[:, lags:]
        return float(np.mean((y - pred) ** 2))

    zero, half, full = mse(np.zeros(lags)), mse(0.5 * est.values), mse(est.values)
    lin = est.linear_variance                        # sigma^2 dt sum rho_L^2
    assert zero - half == pytest.approx(0.75 * lin, rel=0.05)
    assert zero - full == pytest.approx(lin, rel=0.02)
    # what is left is the floor: the nonlinear part and the mean, a few per cent of E y^2
    assert 0.01 * zero < full < 0.2 * zero


def test_lorenz96_kernel_shift_and_scale():
    w = WienerKernel(np.arange(4) * 0.5, np.array([0.0, 1.0, 3.0, 0.5]), np.zeros(4), 1.0, 0.0,
                     1.0, {"dt": 0.5})
    k0, k2 = lorenz96_kernel(0.0, estimate=w), lorenz96_kernel(2.0, estimate=w)
    assert k0.l2_norm() == pytest.approx(1.0, rel=1e-14) == k2.l2_norm()
    t = np.linspace(0, 3, 31)
    assert np.allclose(k2.value(t + 2.0), k0.value(t)) and np.all(k2.value(t[t < 2]) == 0)
    # the shift multiplies the Laplace transform by e^{-w t0}
    assert float(k2.inner_exp(0.7)) == pytest.approx(math.exp(-1.4) * float(k0.inner_exp(0.7)),
                                                     rel=1e-12)
    with pytest.raises(SpecError, match="t0 must be a multiple of dt = 0.5"):
        lorenz96_kernel(0.3, estimate=w)


def test_lorenz96_bad_inputs():
    with pytest.raises(SpecError, match="F must be below 8/9"):
        lorenz96_response(np.zeros(3), dt=0.1, F=0.9)
    with pytest.raises(SpecError, match="read must be a ring variable, 0..7; got 8"):
        lorenz96_response(np.zeros(3), dt=0.1, read=8)
    with pytest.raises(SpecError, match="x must hold finite numbers"):
        lorenz96_response(np.array([0.0, np.nan]), dt=0.1)
    with pytest.raises(SpecError, match=r"x must have shape \(n, T\) or \(T,\)"):
        lorenz96_response(np.zeros((2, 2, 2)), dt=0.1)
    with pytest.raises(TooLargeError, match="exceed max_entries=100"):
        lorenz96_response(np.zeros((10, 10)), dt=0.1, max_entries=100)
    with pytest.raises(SpecError, match="the Lorenz-96 state left the finite range"):
        lorenz96_response(np.full(50, 1e150), dt=0.5)
    with pytest.raises(SpecError, match="burn must be below T"):
        lorenz96_wiener_kernel(n=2, T=50, burn=60, lags=10)


@pytest.mark.slow
def test_experiment_script_quick(tmp_path):
    # benchmarks/experiments/memory_lorenz96.py --quick: the kernel, one run, the summary
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[1] / "benchmarks" / "experiments" / "memory_lorenz96.py"
    subprocess.run([sys.executable, str(script), str(tmp_path), "--quick"], check=True,
                   capture_output=True, timeout=600)
    w = json.loads((tmp_path / "wiener.json").read_text())
    s = json.loads((tmp_path / "summary.json").read_text())
    assert 0.8 < w["linear_fraction"] < 0.98 and s["runs"] == 1 and sum(s["diverged"].values()) == 0
    row = s["rows"][0]
    assert row["final_loss"] < 1.0 and row["t0"] == 2.0   # it left the zero-model level
    for name in ("lorenz96_kernel", "lorenz96_plateau_escape", "lorenz96_plateau_curves"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
