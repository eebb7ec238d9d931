"""White-noise loss, its gradient, gradient flows and plateaus; linear-functional data."""
import math

import mpmath as mp
import numpy as np
import pytest

from tnrnn.errors import SpecError, TooLargeError
from tnrnn.linear_rnn import (causal_convolve, delayed, discrete_kernel, exponential,
                              get_flow_method, gradient_flow, initial_point,
                              linear_functional_dataset, plateau_times, white_noise_grad,
                              white_noise_loss)


def _ex(z):
    """e^{-z}, 0 past z = 3000 (mpmath is slow on huge arguments)."""
    return mp.exp(-z) if z < 3000 else mp.mpf(0)


def _mp_loss(f, a, w, pts=(0,)):
    """||rho - sum a_i e^{-w_i t}||^2 by mpmath quadrature (in u = log(1 + t))."""
    with mp.workdps(30):
        r = lambda t: f(t) - mp.fsum(mp.mpf(ai) * _ex(mp.mpf(wi) * t) for ai, wi in zip(a, w))  # noqa: E731
        us = [mp.log1p(p) for p in pts]
        return float(mp.quad(lambda u: r(mp.expm1(u)) ** 2 * mp.exp(u) if u < 3000 else 0,
                             [*us, us[-1] + 5, mp.inf]))


def test_loss_against_quadrature():
    a, w = np.array([0.3, -0.2, 1.1]), np.array([0.5, 1.3, 4.0])
    f = lambda t: _ex(t) + (_ex(t - 2) if t > 2 else 0)  # noqa: E731
    k = exponential(1.0) + delayed(2.0)
    assert white_noise_loss(k, a, w) == pytest.approx(_mp_loss(f, a, w, (0, 2)), rel=1e-12)
    g = lambda t: (1 + t) ** mp.mpf(-1.5)  # noqa: E731
    assert white_noise_loss("polynomial:0.5", a, w) == pytest.approx(_mp_loss(g, a, w), rel=1e-12)


def test_m1_best_loss_closed_form():
    v = 1.7
    for w in (0.2, 1.7, 5.0):
        a = 2 * w / (v + w)
        assert white_noise_loss(f"exponential:{v}", [a], [w]) == pytest.approx(
            (v - w) ** 2 / (2 * v * (v + w) ** 2), abs=1e-15)
        _, ga, gw = white_noise_grad(f"exponential:{v}", [a], [w])
        assert abs(ga[0]) < 1e-14  # a is optimal for this w


@pytest.mark.parametrize("spec", ["exponential:1+delayed:2", "polynomial:0.3", "airy:2"])
def test_gradient_against_finite_differences(spec):
    a, w = np.array([0.4, -0.1, 0.9]), np.array([0.6, 1.5, 3.0])
    L, ga, gw = white_noise_grad(spec, a, w)
    h = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fa = (white_noise_loss(spec, a + e, w) - white_noise_loss(spec, a - e, w)) / (2 * h)
        fw = (white_noise_loss(spec, a, w + e) - white_noise_loss(spec, a, w - e)) / (2 * h)
        assert ga[i] == pytest.approx(fa, rel=1e-7, abs=1e-9)
        assert gw[i] == pytest.approx(fw, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("spec", ["exponential:1+delayed:2", "polynomial:0.3"])
def test_jax_loss_and_grad_match_closed_form(spec):
    jax = pytest.importorskip("jax")
    from tnrnn.linear_rnn._flow_runs import _make_loss
    from tnrnn.linear_rnn import parse_kernel

    a, w = np.array([0.4, -0.1, 0.9]), np.array([0.6, 1.5, 3.0])
    with jax.enable_x64(True):
        loss = _make_loss(parse_kernel(spec), "rate")
        val = float(loss((a, w)))
        ga, gw = (np.asarray(g) for g in jax.grad(loss)((a, w)))
    assert val == pytest.approx(white_noise_loss(spec, a, w), rel=1e-12)
    h = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fw = (white_noise_loss(spec, a, w + e) - white_noise_loss(spec, a, w - e)) / (2 * h)
        fa = (white_noise_loss(spec, a + e, w) - white_noise_loss(spec, a - e, w)) / (2 * h)
        assert gw[i] == pytest.approx(fw, rel=1e-6, abs=1e-9)
        assert ga[i] == pytest.approx(fa, rel=1e-6, abs=1e-9)


def test_loss_errors():
    with pytest.raises(SpecError, match=r"a and w must have the same length; got 2 and 1"):
        white_noise_loss("exponential:1", [1.0, 2.0], [1.0])
    with pytest.raises(SpecError, match=r"rates w must be finite and > 0"):
        white_noise_grad("exponential:1", [1.0], [0.0])


def test_gd_converges_to_target_rate():
    pytest.importorskip("jax")
    r = gradient_flow("exponential:2", [0.0], [1.0], lr=0.5, steps=4000, chunk=2000)
    assert r.w[0] == pytest.approx(2.0, abs=1e-6) and r.a[0] == pytest.approx(1.0, abs=1e-6)
    assert r.loss[-1] < 1e-12 and not r.diverged
    assert np.all(np.diff(r.times) > 0) and r.times[0] == 0
    # the recorded curve is the loss of the parameters after each recorded step
    r2 = gradient_flow("exponential:2", [0.0], [1.0], lr=0.5, steps=3, chunk=3)
    a, w = np.array([0.0]), np.array([1.0])
    for k in range(3):
        _, ga, gw = white_noise_grad("exponential:2", a, w)
        a, w = a - 0.5 * ga, w - 0.5 * gw
        assert r2.loss[k + 1] == pytest.approx(white_noise_loss("exponential:2", a, w), rel=1e-12)


def test_ode_flow_matches_small_step_gd():
    pytest.importorskip("diffrax")
    k = "exponential:1+delayed:1"
    a0, w0 = initial_point(2, seed=3)
    ode = gradient_flow(k, a0, w0, method="ode", lr=0.01, steps=2000)
    gd = gradient_flow(k, a0, w0, method="gd", lr=0.001, steps=20000, chunk=20000)
    # same flow time 20: GD with a 10x smaller step tracks the flow to O(lr)
    assert ode.loss[-1] == pytest.approx(gd.loss[-1], rel=1e-3)
    assert np.allclose(np.sort(ode.w), np.sort(gd.w), rtol=1e-2)


@pytest.mark.slow
def test_ode_flow_converges_m1():
    pytest.importorskip("diffrax")
    r = gradient_flow("exponential:2", [0.0], [1.0], method="ode", lr=0.5, steps=4000)
    assert r.w[0] == pytest.approx(2.0, abs=1e-6)


def test_adam_and_log_parametrisation():
    pytest.importorskip("optax")
    r = gradient_flow("exponential:3", [0.0], [1.0], method="adam", lr=0.05, steps=3000,
                      chunk=1000, param="log")
    assert r.w[0] == pytest.approx(3.0, rel=1e-3)


def test_gd_divergence_is_reported():
    pytest.importorskip("jax")
    # rho = 10 e^{-t}, a = 5, w = 1: dL/dw = 20a/(1+w)^2 - a^2/(2w^2) = 12.5, so w -> -11.5
    r = gradient_flow("10*exponential:1", [5.0], [1.0], lr=1.0, steps=10, chunk=5)
    assert r.diverged


def test_flow_errors():
    with pytest.raises(SpecError, match="unknown flow method 'sgd'; valid: adam, gd, ode"):
        get_flow_method("sgd")
    with pytest.raises(SpecError, match="param must be one of rate, log, softplus; got 'exp'"):
        gradient_flow("exponential:1", [0.0], [1.0], param="exp")
    with pytest.raises(SpecError, match="lr must be a finite number > 0; got -1"):
        gradient_flow("exponential:1", [0.0], [1.0], lr=-1)
    with pytest.raises(TooLargeError, match="steps=2000 exceeds max_steps=1000"):
        gradient_flow("exponential:1", [0.0], [1.0], steps=2000, max_steps=1000)
    with pytest.raises(SpecError, match=r"spread must be in \[0, 1\)"):
        initial_point(3, spread=1.5)


def test_plateau_times_on_known_curves():
    t = np.arange(1.0, 10001.0)
    # two plateaus: 1.0 until t = 99, 0.5 until t = 2999, then 0.01
    loss = np.where(t < 100, 1.0, np.where(t < 3000, 0.5, 0.01))
    pl = plateau_times(t, loss)
    assert [(p.start, p.level, p.exit) for p in pl] == [(1.0, 1.0, 100.0), (100.0, 0.5, 3000.0),
                                                        (3000.0, 0.01, None)]
    # an exponential decay has no plateau at flat = 1%: it loses 1% every 0.01 time units
    tt = np.linspace(0.01, 20, 2000)
    assert plateau_times(tt, np.exp(-tt)) == []
    # a plateau that outlasts the curve
    assert plateau_times(t, np.ones_like(t))[0].exit is None
    with pytest.raises(SpecError, match="need 0 <= flat < drop < 1"):
        plateau_times(t, loss, flat=0.2, drop=0.1)
    with pytest.raises(SpecError, match="min_span must be > 1"):
        plateau_times(t, loss, min_span=1.0)
    with pytest.raises(SpecError, match="times and loss must be 1-d of the same length"):
        plateau_times(t, loss[:-1])


def test_fft_convolution_equals_direct_sum():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 257))
    wts = rng.standard_normal(257)
    direct = np.array([[sum(wts[j] * x[n, k - j] for j in range(k + 1)) for k in range(257)]
                       for n in range(3)])
    assert np.allclose(causal_convolve(x, wts), direct, rtol=1e-12, atol=1e-12)
    assert np.allclose(causal_convolve(x, wts, "direct"), direct, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("T", [1, 2, 3, 64, 65, 300])
def test_scipy_convolution_matches_numpy_and_the_old_padded_fft(T):
    # issue 19: causal_convolve uses scipy.signal.fftconvolve; the numbers are the
    # same to rounding as np.convolve and as the hand-written power-of-two FFT it replaced
    rng = np.random.default_rng(T)
    x = rng.standard_normal((2, 3, T))
    wts = rng.standard_normal(T)
    got = causal_convolve(x, wts)
    assert got.shape == x.shape
    ref = np.array([[np.convolve(row, wts)[:T] for row in block] for block in x])
    L = 1 << (2 * T - 1).bit_length()
    old = np.fft.irfft(np.fft.rfft(x, L) * np.fft.rfft(wts, L), L)[..., :T]
    scale = np.abs(ref).max()
    assert np.abs(got - ref).max() <= 1e-13 * scale * max(1, np.log2(T))
    assert np.abs(got - old).max() <= 1e-13 * scale * max(1, np.log2(T))
    # a single sequence (1-d) gives the same row as the batch
    assert np.allclose(causal_convolve(x[0, 0], wts), got[0, 0], rtol=0, atol=1e-13 * scale)


def test_dataset():
    d = linear_functional_dataset("exponential:1+delayed:2", n=400, T=300, dt=0.05, seed=1)
    assert d.x.shape == d.y.shape == (400, 300)
    assert np.allclose(d.y, causal_convolve(d.x, d.weights, "direct"), atol=1e-10)
    assert np.allclose(d.weights, 0.05 * (np.exp(-0.05 * np.arange(300)) +
                                          np.where(np.arange(300) * 0.05 > 2,
                                                   np.exp(-(0.05 * np.arange(300) - 2)), 0)))
    # late outputs have variance dt sum rho_j^2 / dt^... ~ ||rho||^2 = 1 + e^{-2}
    var = d.y[:, -1].var()
    assert var == pytest.approx(np.sum(d.weights ** 2) / 0.05, rel=0.2)
    assert np.sum(d.weights ** 2) / 0.05 == pytest.approx(1 + math.exp(-2), rel=0.06)
    same = linear_functional_dataset("exponential:1+delayed:2", n=400, T=300, dt=0.05, seed=1)
    assert np.array_equal(same.x, d.x)
    with pytest.raises(TooLargeError, match="exceeds max_entries=1000"):
        linear_functional_dataset("exponential:1", n=100, T=100, max_entries=1000)
    with pytest.raises(SpecError, match="dt must be a finite number > 0; got 0"):
        discrete_kernel("exponential:1", 10, 0)
    with pytest.raises(SpecError, match=r"weights must have shape \(4,\)"):
        causal_convolve(np.ones(4), np.ones(3))
    with pytest.raises(SpecError, match="method must be 'fft' or 'direct'"):
        causal_convolve(np.ones(4), np.ones(4), "ola")
    with pytest.raises(SpecError, match="x must have at least one axis"):
        causal_convolve(3.0, np.ones(1))


def test_wiener_kernel_recovers_a_linear_filter():
    from tnrnn.linear_rnn.training import _wiener_kernel

    rng = np.random.default_rng(0)
    dt = 0.1
    X = rng.standard_normal((2000, 60)) / math.sqrt(dt)
    w = discrete_kernel("exponential:1", 60, dt)
    est = _wiener_kernel(X, causal_convolve(X, w), dt)
    assert np.allclose(est[:20], w[:20], atol=0.01)


def test_training_a_diagonal_rnn_learns_an_exponential_kernel():
    pytest.importorskip("optax")
    from tnrnn.linear_rnn.training import train_linear_rnn

    r = train_linear_rnn("exponential:1", "diagonal", hidden=1, T=50, steps=300, lr=0.05,
                         record_every=100, test_size=64)
    assert r["test_loss"] < 1e-3 * r["target_l2_sq"]
    assert r["rates"][0] == pytest.approx(1.0, rel=0.05)
    assert np.allclose(r["learned"], r["target"], atol=0.02)
    with pytest.raises(SpecError, match="unknown model 'gru'; valid: diagonal, linear, tanh"):
        train_linear_rnn("exponential:1", "gru")
