"""fixed_points (optimistix Levenberg-Marquardt + Newton) against fixed points
known in closed form or found independently (bisection, linear algebra)."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from tnrnn.dynamics import FixedPoints, fixed_points  # noqa: E402


def _bisect(h, lo, hi, iters=200):
    """A root of the scalar function h in [lo, hi] (h(lo), h(hi) of opposite signs)."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if np.sign(h(mid)) == np.sign(h(lo)):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# one w in the default run (each search compiles for its map; w = 1.5 also
# runs in tests/test_dynamics.py::test_tanh_map_pitchfork_branch); the others
# run with -m slow
@pytest.mark.parametrize("w", [pytest.param(1.5, marks=pytest.mark.slow), 2.0,
                               pytest.param(4.0, marks=pytest.mark.slow)])
def test_tanh_map_three_fixed_points_against_bisection(w):
    xs = _bisect(lambda x: np.tanh(w * x) - x, 1e-3, 1.0)
    starts = np.linspace(-3.0, 3.0, 25)[:, None]
    fp = fixed_points(lambda x: jnp.tanh(w * x), starts)
    np.testing.assert_allclose(fp.points.ravel(), [-xs, 0.0, xs], atol=1e-12)
    assert fp.stability == ["stable", "unstable", "stable"]
    # Df = w (1 - x^2) at the point
    np.testing.assert_allclose(fp.eigenvalues[:, 0].real, w * (1.0 - np.array([-xs, 0.0, xs]) ** 2),
                               atol=1e-10)
    assert fp.converged.all() and fp.n_failed == 0
    assert np.all(fp.start_residuals <= 1e-10) and np.all(fp.residuals <= 1e-10)
    assert fp.counts.sum() == len(starts)
    # every start is assigned to the point it ended next to
    for x0, a in zip(starts[:, 0], fp.assignment):
        assert a in (0, 1, 2)
    assert fp.assignment[0] == 0 and fp.assignment[-1] == 2 and fp.assignment[12] == 1


# r = 2.5 (the stabilities of r = 0.5 in the other order of the points) runs with -m slow
@pytest.mark.parametrize("r,stab", [
    pytest.param(2.5, ["unstable", "stable"], marks=pytest.mark.slow),
    (3.5, ["unstable", "unstable"]), (0.5, ["unstable", "stable"])])
def test_logistic_map_closed_forms(r, stab):
    # fixed points 0 and 1 - 1/r, with Df = r and 2 - r
    fp = fixed_points(lambda x: r * x * (1.0 - x), np.linspace(-1.5, 1.5, 13)[:, None])
    expected = sorted([0.0, 1.0 - 1.0 / r])
    np.testing.assert_allclose(fp.points.ravel(), expected, atol=1e-12)
    eig = {0.0: r, 1.0 - 1.0 / r: 2.0 - r}
    np.testing.assert_allclose(fp.eigenvalues[:, 0].real, [eig[p] for p in expected], atol=1e-10)
    assert fp.stability == stab


def test_scalar_state_gives_scalar_points():
    fp = fixed_points(lambda x: 2.5 * x * (1.0 - x), 0.9)
    assert fp.points.shape == (1,) and fp.points[0] == pytest.approx(0.6, abs=1e-12)


def test_linear_map_with_rotation():
    rng = np.random.default_rng(3)
    th = 0.7
    A = 0.8 * np.array([[np.cos(th), -np.sin(th), 0.0], [np.sin(th), np.cos(th), 0.0],
                        [0.0, 0.0, 0.0]])
    A[2, 2] = 1.3
    b = np.array([1.0, -2.0, 0.5])
    fp = fixed_points(lambda x: A @ x + b, rng.standard_normal((6, 3)) * 5)
    np.testing.assert_allclose(fp.points, [np.linalg.solve(np.eye(3) - A, b)], atol=1e-12)
    np.testing.assert_allclose(sorted(np.abs(fp.eigenvalues[0])), [0.8, 0.8, 1.3], atol=1e-12)
    assert fp.stability == ["unstable"] and fp.counts.tolist() == [6]


def test_driven_map_fixed_point_moves_with_the_input():
    f = lambda x, u: 0.5 * x + u  # noqa: E731 - one map (compiled once), three inputs
    for u in (0.0, 0.5, -1.0):
        fp = fixed_points(f, [[3.0]], u=[u])
        assert fp.points.ravel().tolist() == pytest.approx([2.0 * u], abs=1e-13)


def test_slow_point_is_reported_not_converged():
    # x -> x^2 + 1 has no real fixed point; ||f(x) - x|| has its minimum 3/4 at x = 1/2
    fp = fixed_points(lambda x: x * x + 1.0, [[-2.0], [0.0], [3.0]])
    assert fp.points.shape == (0, 1) and fp.n_failed == 3
    assert fp.converged.tolist() == [False, False, False]
    assert fp.assignment.tolist() == [-1, -1, -1]
    np.testing.assert_allclose(fp.start_residuals, 0.75, atol=1e-6)


def test_mixed_starts_converged_per_start():
    # sqrt is undefined below 0: starts there never reach a finite residual
    fp = fixed_points(lambda x: jnp.sqrt(x), [[-4.0], [2.0], [4.0]])
    assert fp.converged.tolist() == [False, True, True]
    assert np.isinf(fp.start_residuals[0])
    np.testing.assert_allclose(fp.points.ravel(), [1.0], atol=1e-12)  # and 0? sqrt' is inf there
    assert fp.assignment.tolist() == [-1, 0, 0]


def test_stationary_start_of_q_is_not_converged():
    # at x = 1/4, sqrt(x) - x has zero derivative: q'(x) = 0 with q > 0; the solver
    # cannot move, and the start is reported as not converged, with its residual
    fp = fixed_points(lambda x: jnp.sqrt(x), [[0.25]])
    assert fp.converged.tolist() == [False] and fp.n_failed == 1
    assert fp.start_residuals[0] == pytest.approx(0.25, abs=1e-12)


def test_start_on_a_fixed_point_stays():
    fp = fixed_points(lambda x: jnp.tanh(2.0 * x), [[0.0]])
    assert fp.points.ravel().tolist() == [0.0] and fp.stability == ["unstable"]


def test_step_limits_are_respected():
    # with no steps at all, only starts that already are fixed points converge
    fp = fixed_points(lambda x: 0.5 * x + 1.0, [[2.0], [5.0]], lm_steps=0, newton_steps=0)
    assert fp.converged.tolist() == [True, False]
    # Newton alone solves a linear equation in one step
    fp = fixed_points(lambda x: 0.5 * x + 1.0, [[5.0]], lm_steps=0, newton_steps=1)
    assert fp.converged.tolist() == [True]


def test_result_is_frozen_and_serialises():
    fp = fixed_points(lambda x: -0.5 * x, [[1.0]])
    with pytest.raises(Exception):
        fp.points = None
    d = fp.to_dict()
    import json

    back = json.loads(json.dumps(d))
    assert back["points"][0][0] == pytest.approx(0.0, abs=1e-15)
    assert back["stability"] == ["stable"]
    assert back["eigenvalues"] == [[[-0.5, 0.0]]] and back["converged"] == [True]
    assert isinstance(fp, FixedPoints)
