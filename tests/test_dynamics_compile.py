"""Compiled once: the analyses of tnrnn.dynamics reuse their compiled programs.

Each test counts how often the user's map is traced (a Python side effect
inside it runs only while JAX traces): after the first call, further calls
with the same map, shapes and static options must not trace it again, and
their numbers must still be those of a step-by-step evaluation.
"""

import gc
import weakref

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import tnrnn.dynamics as D  # noqa: E402


class Counted:
    """``x -> tanh(w x)`` (or ``tanh(w x + u)``) that counts its traces."""

    def __init__(self, w=1.5, driven=False):
        self.w, self.driven, self.traces = w, driven, 0

    def __call__(self, x, u=None):
        self.traces += 1
        return jnp.tanh(self.w * x + (u if self.driven else 0.0))


def _step_by_step(w, x0, steps, u=0.0):
    out = [x0]
    for _ in range(steps):
        out.append(np.tanh(w * out[-1] + u))
    return np.array(out)


def test_100_simulate_calls_compile_once():
    f = Counted()
    D.simulate(f, 0.3, steps=1000)
    first = f.traces
    assert first >= 1
    for i in range(100):
        x0 = 0.3 + 0.001 * i
        out = D.simulate(f, x0, steps=1000)
        if i % 33 == 0:
            np.testing.assert_allclose(out, _step_by_step(1.5, x0, 1000), rtol=0, atol=1e-14)
    assert f.traces == first  # no new trace, hence no new compilation


def test_new_shape_or_option_compiles_again_and_gives_its_own_numbers():
    f = Counted(0.9)
    D.simulate(f, 0.3, steps=10)
    n = f.traces
    D.simulate(f, 0.3, steps=20)  # a new static option
    assert f.traces > n
    n = f.traces
    out = D.simulate(f, [[0.3], [0.5]], steps=20)  # a new shape
    assert f.traces > n
    np.testing.assert_allclose(out[1], _step_by_step(0.9, 0.5, 20)[:, None], atol=1e-14)


def test_distinct_maps_do_not_share_a_program():
    a = D.simulate(lambda x: 0.5 * x, 1.0, steps=3)
    b = D.simulate(lambda x: 2.0 * x, 1.0, steps=3)
    assert a.tolist() == [1.0, 0.5, 0.25, 0.125] and b.tolist() == [1.0, 2.0, 4.0, 8.0]


def test_constant_input_is_an_argument_not_a_constant():
    f = Counted(1.2, driven=True)
    D.simulate(f, 0.1, steps=30, u=0.0)
    n = f.traces
    for u in (0.3, -0.7):
        out = D.simulate(f, 0.1, steps=30, u=u)
        np.testing.assert_allclose(out, _step_by_step(1.2, 0.1, 30, u), atol=1e-14)
    assert f.traces == n


def test_the_cache_does_not_keep_the_map_alive():
    f = Counted()
    D.simulate(f, 0.3, steps=5)
    D.lyapunov_spectrum(f, 0.3, steps=40)
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None


def test_every_analysis_is_compiled_once():
    f = Counted(0.8)
    g = Counted(1.3, driven=True)

    def loss(t):
        loss.traces += 1
        return jnp.sum(jnp.sin(t["a"]) ** 2)
    loss.traces = 0

    def family(p):
        family.traces += 1
        return lambda x: jnp.tanh(p * x)
    family.traces = 0

    def point(a, b):
        return a * b

    theta0, theta1 = {"a": np.zeros(3)}, {"a": np.ones(3)}
    calls = [
        (f, lambda i: D.sensitivity(f, 0.2 + i, 20)),
        (f, lambda i: D.lyapunov_spectrum(f, 0.2 + i, steps=200)),
        (f, lambda i: D.fixed_points(f, [[0.3 + i], [-0.4]])),
        (g, lambda i: D.jacobian_norms(g, [[0.1 + i], [0.2]], u=[0.3 + i])),
        (loss, lambda i: D.loss_slice(loss, theta0, theta1, [0.0, 0.5 + i, 1.0])),
        (loss, lambda i: D.loss_slice_2d(loss, theta0, theta1, theta0, [0.0, i], [0.5, 1.0])),
        (loss, lambda i: D.sharpness(loss, {"a": np.full(3, 0.1 + i)})),
        (family, lambda i: D.orbit_diagram(family, np.array([0.5, 2.0 + i]), n_init=2,
                                           dim=1, steps=3, burn=20, seed=1)),
        (family, lambda i: D.region_map(family, point, [0.5, 1.5 + i], [1.0],
                                        0.1, steps=50)),
    ]
    for counted, call in calls:
        call(0.0)
        n = counted.traces
        for i in (0.01, 0.02, 0.03):
            call(i)
        assert counted.traces == n, call


def test_cached_results_equal_closed_forms():
    # lambda of x -> w x is log|w| whatever the call; fixed point of x/2 + c is 2c
    f = lambda x: 0.25 * x  # noqa: E731
    for x0 in (1.0, -3.0):
        assert D.lyapunov_spectrum(f, x0, steps=100).max == pytest.approx(np.log(0.25), abs=1e-12)
    h = lambda x, u: 0.5 * x + u  # noqa: E731
    for c in (1.0, -2.5):
        fp = D.fixed_points(h, [[0.0], [9.0]], u=[c])
        assert fp.points.ravel().tolist() == pytest.approx([2.0 * c], abs=1e-12)


def test_programs_per_map_are_bounded(monkeypatch):
    from tnrnn.dynamics import _core

    monkeypatch.setattr(_core, "MAX_PROGRAMS_PER_MAP", 4)
    f = Counted(0.5)
    for steps in range(1, 9):
        D.simulate(f, 0.1, steps=steps)
    assert len(_core._PROGRAMS[f]) <= 4
    n = f.traces
    D.simulate(f, 0.1, steps=8)  # the most recent program is still there: no new trace
    assert f.traces == n
    D.simulate(f, 0.1, steps=1)  # the oldest was dropped: traced again, same numbers
    assert f.traces > n
