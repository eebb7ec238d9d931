"""Issue 18: the dynamic wing's bad-input battery.

Every public entry point of :mod:`tnrnn.dynamics` and every ``tnrnn dynamics``
subcommand gets NaN, infinity, negative, zero, huge, wrong-typed,
corrupt-file and unwritable-path inputs. A refusal must be a
:class:`~tnrnn.errors.TnrnnError` (API, checked with ``match=``) or exit status
2 with one ``error:`` line (CLI); a valid input must give the value of an
independent reference (closed forms: ``ln 2`` for the logistic map at
``r = 4``, ``ln |a|`` for ``x -> a x``, ``-inf`` for the zero map; numpy for
the rest), or say that the value is undefined.

The inputs tried and the outcome counts are kept in
``tests/data/edges_dynamics.json``; ``python tests/test_edges_dynamics.py``
reruns every case (the CLI cases in subprocesses, with a time limit and the
peak memory measured) and rewrites it; ``test_table_is_current`` checks that
the table lists exactly the cases below, with no wrong number, traceback,
hang or memory blow-up.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import invoke, one_error_line  # noqa: E402

from tnrnn import dynamics as D  # noqa: E402
from tnrnn.dynamics.experiments import scale_slice, tanh_region_map  # noqa: E402
from tnrnn.dynamics.systems import preset_system  # noqa: E402
from tnrnn.errors import SpecError, TnrnnError, TooLargeError  # noqa: E402

TABLE = Path(__file__).parent / "data" / "edges_dynamics.json"
NAN, INF = float("nan"), float("inf")
lin = lambda x: 0.5 * x  # noqa: E731
drv = lambda x, u: 0.5 * x + u  # noqa: E731
lstm_p = {"W_hh": np.zeros((8, 2)), "W_ih": np.zeros((8, 1)), "b": np.zeros(8)}
tanh_p = {"W_ih": np.ones((2, 1)), "W_hh": np.eye(2) * 0.5, "b": np.zeros(2)}


def nan_in(p, key):
    q = {k: np.array(v, dtype=float) for k, v in p.items()}
    q[key].flat[0] = np.nan
    return q


# ------------------------------------------------------------------ API refusals
# (id, call, exception class, message pattern)
API_BAD = [
    ("simulate steps=nan", lambda: D.simulate(lin, 1.0, steps=NAN), SpecError, "steps must be an integer"),
    ("simulate steps=True", lambda: D.simulate(lin, 1.0, steps=True), SpecError, "steps must be an integer"),
    ("simulate steps=-1", lambda: D.simulate(lin, 1.0, steps=-1), SpecError, "steps must be an integer >= 0"),
    ("simulate burn=-5", lambda: D.simulate(lin, 1.0, steps=1, burn=-5), SpecError, "burn must be"),
    ("simulate steps=1e15 (work)", lambda: D.simulate(lin, 1.0, steps=10 ** 15), TooLargeError, "max_work"),
    ("simulate steps=1e9 (memory)", lambda: D.simulate(lin, 1.0, steps=10 ** 9, max_work=1e30), TooLargeError, "max_bytes"),
    ("simulate x0=inf", lambda: D.simulate(lin, [INF], steps=1), SpecError, "x0 contains NaN or infinity"),
    ("simulate x0='abc'", lambda: D.simulate(lin, "abc", steps=1), SpecError, "x0 must be a real array"),
    ("simulate u=nan", lambda: D.simulate(drv, 1.0, steps=1, u=NAN), SpecError, "u contains NaN"),
    ("simulate inputs=inf", lambda: D.simulate(drv, 1.0, steps=1, inputs=[INF]), SpecError, "inputs contains NaN"),
    ("simulate max_work=nan", lambda: D.simulate(lin, 1.0, steps=1, max_work=NAN), SpecError, "max_work must be a finite"),
    ("simulate max_work=-1", lambda: D.simulate(lin, 1.0, steps=1, max_work=-1), SpecError, "max_work must be > 0"),
    ("simulate f=3", lambda: D.simulate(3, 1.0, steps=1), SpecError, "must be a callable"),
    ("sensitivity n=0", lambda: D.sensitivity(lin, 1.0, 0), SpecError, "n must be an integer >= 1"),
    ("sensitivity n=1e13", lambda: D.sensitivity(lin, 1.0, 10 ** 13), TooLargeError, "max_work"),
    ("lyapunov steps=-1", lambda: D.lyapunov_spectrum(lin, 1.0, steps=-1), SpecError, "steps must be an integer >= 1"),
    ("lyapunov steps=1.5", lambda: D.lyapunov_spectrum(lin, 1.0, steps=1.5), SpecError, "steps must be an integer"),
    ("lyapunov blocks=1", lambda: D.lyapunov_spectrum(lin, 1.0, steps=40, blocks=1), SpecError, "blocks must be an integer >= 2"),
    ("lyapunov k=0", lambda: D.lyapunov_spectrum(lin, [1.0, 2.0], steps=40, k=0), SpecError, "k must be an integer >= 1"),
    ("lyapunov k=5, d=2", lambda: D.lyapunov_spectrum(lin, [1.0, 2.0], steps=40, k=5), SpecError, "k must be between 1 and the state dimension 2"),
    ("lyapunov renorm_every=0", lambda: D.lyapunov_spectrum(lin, 1.0, steps=40, renorm_every=0), SpecError, "renorm_every must be"),
    ("lyapunov steps=1e12", lambda: D.lyapunov_spectrum(lin, 1.0, steps=10 ** 12), TooLargeError, "raise max_work"),
    ("lyapunov x0=nan", lambda: D.lyapunov_spectrum(lin, [NAN], steps=40), SpecError, "x0 contains NaN"),
    ("lyapunov max_work=inf", lambda: D.lyapunov_spectrum(lin, 1.0, steps=40, max_work=INF), SpecError, "max_work must be a finite"),
    ("fixed_points tol=nan", lambda: D.fixed_points(lin, [1.0], tol=NAN), SpecError, "tol must be a finite"),
    ("fixed_points tol=-1", lambda: D.fixed_points(lin, [1.0], tol=-1.0), SpecError, "tol must be > 0"),
    ("fixed_points dedupe=inf", lambda: D.fixed_points(lin, [1.0], dedupe=INF), SpecError, "dedupe must be a finite"),
    ("fixed_points lm_steps=-1", lambda: D.fixed_points(lin, [1.0], lm_steps=-1), SpecError, "lm_steps must be"),
    ("fixed_points starts=nan", lambda: D.fixed_points(lin, [[NAN]]), SpecError, "starts contains NaN"),
    ("fixed_points lm_steps=1e9", lambda: D.fixed_points(lin, np.zeros((10, 1)), lm_steps=10 ** 9), TooLargeError, "raise max_work"),
    ("fixed_points chunk=0", lambda: D.fixed_points(lin, [1.0], chunk=0), SpecError, "chunk must be"),
    ("fixed_points u='x'", lambda: D.fixed_points(drv, [1.0], u="x"), SpecError, "u must be a real array"),
    ("orbit init_std=nan", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, init_std=NAN), SpecError, "init_std must be a finite"),
    ("orbit init_std=1e300", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, init_std=1e300), SpecError, "init_std must be <="),
    ("orbit n_init=0", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, n_init=0), SpecError, "n_init must be"),
    ("orbit ps=nan", lambda: D.orbit_diagram(lambda p: lin, np.array([1.0, NAN]), dim=1), SpecError, "ps.* contains NaN"),
    ("orbit u_values=inf", lambda: D.orbit_diagram(lambda p: drv, np.ones(2), dim=1, u_values=[[INF]]), SpecError, "u_values contains NaN"),
    ("orbit seed=-1", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, seed=-1), SpecError, "seed must be an integer >= 0"),
    ("orbit seed=2**40", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, seed=2 ** 40), SpecError, "seed must be an integer in"),
    ("orbit steps=1e9", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, steps=10 ** 9), TooLargeError, "raise max_"),
    ("orbit observe=3", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=1, observe=3), SpecError, "observe must be a callable"),
    ("orbit dim=1e12", lambda: D.orbit_diagram(lambda p: lin, np.ones(2), dim=10 ** 12), TooLargeError, "max_bytes"),
    ("stack_params []", lambda: D.stack_params([]), SpecError, "checkpoints is empty"),
    ("lipschitz_bound input_radius=nan", lambda: D.lipschitz_bound("tanh", tanh_p, input_radius=NAN), SpecError, "input_radius must be a finite"),
    ("lipschitz_bound input_radius=-1", lambda: D.lipschitz_bound("tanh", tanh_p, input_radius=-1), SpecError, "input_radius must be >= 0"),
    ("lipschitz_bound W_hh=nan", lambda: D.lipschitz_bound("tanh", nan_in(tanh_p, "W_hh"), input_radius=1), SpecError, "W_hh.* contains NaN"),
    ("lipschitz_bound lstm W_hh (5, 2)", lambda: D.lipschitz_bound("lstm", {"W_hh": np.ones((5, 2))}), SpecError, "needs \\(4H, H\\)"),
    ("lipschitz_bound cell=transformer", lambda: D.lipschitz_bound("transformer", tanh_p), SpecError, "no Lipschitz bound"),
    ("lipschitz_bound onehot='yes'", lambda: D.lipschitz_bound("rac", {"W_H": np.eye(2), "W_I": np.ones((2, 1))}, onehot="yes"), SpecError, "onehot must be True or False"),
    ("jacobian_norms states=nan", lambda: D.jacobian_norms(lin, [[NAN]]), SpecError, "states contains NaN"),
    ("jacobian_norms max_work tiny", lambda: D.jacobian_norms(lin, np.ones((100, 3)), max_work=10), TooLargeError, "raise max_work"),
    ("region L='abc'", lambda: D.region("abc"), SpecError, "L must be a real array"),
    ("region tol=nan", lambda: D.region(0.5, tol=NAN), SpecError, "tol must be a finite"),
    ("region tol=-1", lambda: D.region(0.5, tol=-1), SpecError, "tol must be >= 0"),
    ("cell_map lstm with tanh weights", lambda: D.cell_map("lstm", tanh_p), SpecError, "needs \\(4H, H\\)"),
    ("cell_map gru missing keys", lambda: D.cell_map("gru", {"W_hh": np.ones((6, 2))}), SpecError, "missing W_ih, b_ih, b_hh"),
    ("cell_map W_ih=inf", lambda: D.cell_map("tanh", {**tanh_p, "W_ih": np.full((2, 1), INF)}), SpecError, "W_ih.* contains NaN or infinity"),
    ("cell_map params=list", lambda: D.cell_map("tanh", [tanh_p]), SpecError, "params must be a dict"),
    ("cell_map stack widths", lambda: D.cell_map("tanh", {"layers": [tanh_p, {"W_ih": np.ones((2, 3)), "W_hh": np.eye(2), "b": np.zeros(2)}]}), SpecError, "reads inputs of width 3"),
    ("cell_map W_hh strings", lambda: D.cell_map("tanh", {**tanh_p, "W_hh": np.array([["a", "b"], ["c", "d"]])}), SpecError, "must be a real array"),
    ("region_map a_values=nan", lambda: D.region_map(lambda p: lin, lambda a, b: a, [NAN], [1.0], 1.0, steps=10), SpecError, "finite numbers"),
    ("region_map steps=0", lambda: D.region_map(lambda p: lin, lambda a, b: a, [1.0], [1.0], 1.0, steps=0), SpecError, "steps must be an integer >= 1"),
    ("region_map hessian_iters=1e9", lambda: D.region_map(lambda p: lin, lambda a, b: a, [1.0], [1.0], 1.0, steps=10, hessian_iters=10 ** 9), SpecError, "hessian_iters must be <="),
    ("region_map max_work=nan", lambda: D.region_map(lambda p: lin, lambda a, b: a, [1.0], [1.0], 1.0, steps=10, max_work=NAN), SpecError, "max_work must be a finite"),
    ("region_map seed=-1", lambda: D.region_map(lambda p: lin, lambda a, b: a, [1.0], [1.0], 1.0, steps=10, seed=-1), SpecError, "seed must be"),
    ("region_map chunk=0", lambda: D.region_map(lambda p: lin, lambda a, b: a, [1.0], [1.0], 1.0, steps=10, chunk=0), SpecError, "chunk must be"),
    ("region_map bound returns 'x'", lambda: D.region_map(lambda p: (lambda x: p * x), lambda a, b: a, [0.5], [1.0], 1.0, steps=20, bound=lambda p: "x"), SpecError, "bound must return a number"),
    ("loss_slice s=nan", lambda: D.loss_slice(lambda t: t.sum(), np.zeros(1), np.ones(1), [NAN]), SpecError, "finite numbers"),
    ("loss_slice theta=inf", lambda: D.loss_slice(lambda t: t.sum(), np.zeros(1), np.array([INF]), [0.5]), SpecError, "theta1 contains NaN"),
    ("loss_slice_2d 1e9 points", lambda: D.loss_slice_2d(lambda t: t.sum(), np.zeros(1), np.ones(1), np.ones(1), np.zeros(40000), np.zeros(40000)), TooLargeError, "raise max_bytes"),
    ("sharpness iters=0", lambda: D.sharpness(lambda t: (t ** 2).sum(), np.ones(2), iters=0), SpecError, "iters must be an integer >= 1"),
    ("sharpness iters=1e7", lambda: D.sharpness(lambda t: (t ** 2).sum(), np.ones(2), iters=10 ** 7), SpecError, "iters must be <="),
    ("sharpness theta=nan", lambda: D.sharpness(lambda t: (t ** 2).sum(), np.array([NAN, 1.0])), SpecError, "theta contains NaN"),
    ("sharpness seed=-1", lambda: D.sharpness(lambda t: (t ** 2).sum(), np.ones(2), seed=-1), SpecError, "seed must be"),
    ("get_preset tanh w=nan", lambda: D.get_preset("tanh", w=NAN), SpecError, "w must be a finite real number"),
    ("get_preset logistic r=inf", lambda: D.get_preset("logistic", r=INF), SpecError, "r must be a finite real number"),
    ("tanh_map w='2'", lambda: D.tanh_map("2"), SpecError, "w must be a finite real number"),
    ("lstm_map {}", lambda: D.lstm_map({}), SpecError, "needs a dict of weights with 'W_hh'"),
    ("elman_map W_hh=nan", lambda: D.elman_map({"W_hh": np.array([[NAN]])}), SpecError, "W_hh.* contains NaN"),
    ("stabilize_lstm W_hh=nan", lambda: D.stabilize_lstm(nan_in(lstm_p, "W_hh")), SpecError, "W_hh.* contains NaN"),
    ("scale_slice n=0", lambda: scale_slice(preset_system("tanh"), 0.5, 1.0, 0), SpecError, "n must be an integer >= 1"),
    ("scale_slice a=nan", lambda: scale_slice(preset_system("tanh"), NAN, 1.0, 3), SpecError, "a must be a finite"),
    ("scale_slice burn >= horizon", lambda: scale_slice(preset_system("tanh"), 0.5, 1.0, 3, horizon=10, burn=10), SpecError, "burn must be in \\[0, horizon\\)"),
    ("scale_slice lyap_steps=-1", lambda: scale_slice(preset_system("tanh"), 0.5, 1.0, 3, lyap_steps=-1), SpecError, "lyap_steps must be an integer >= 0"),
    ("scale_slice n=1e9", lambda: scale_slice(preset_system("tanh"), 0.0, 2.0, 10 ** 9), TooLargeError, "raise max_work"),
    ("tanh_region_map hidden=1e5", lambda: tanh_region_map(hidden=100_000, gains=[1.0], scales=[1.0]), TooLargeError, "raise max_work"),
]


@pytest.mark.parametrize("case", API_BAD, ids=[c[0] for c in API_BAD])
def test_api_refuses(case):
    _, call, exc, match = case
    t0 = time.perf_counter()
    with pytest.raises(exc, match=match):
        call()
    assert time.perf_counter() - t0 < 60  # a hang guard: refusals come before any work


# ------------------------------------------------------------------ API values
def _lyap(f, x0, **kw):
    return D.lyapunov_spectrum(f, x0, **kw)


def _check_logistic():
    r = _lyap(D.logistic_map(4.0).f, 0.3, steps=10000, burn=100)
    return r.status == "ok" and abs(r.max - math.log(2.0)) < 3e-3


def _check_linear(a):
    r = _lyap(lambda x: a * x, 1.0, steps=200)
    return r.status == "ok" and abs(r.max - math.log(abs(a))) < 1e-12


def _check_zero_map():
    r = _lyap(lambda x: 0.0 * x, [1.0, 2.0], steps=100)
    return (r.status == "ok" and np.all(r.exponents == -np.inf) and np.all(r.stderr == 0.0)
            and not np.any(np.isnan(r.exponents)))


def _check_diverged():
    r = _lyap(lambda x: 2.0 * x, 1.0, steps=5000)  # overflows after ~1,024 steps
    b = _lyap(D.logistic_map(5.0).f, [[0.3], [0.5]], steps=200)  # escapes; 0.5 -> 1.25 -> ...
    return (r.status == "diverged" and np.isnan(r.max) and list(b.status) == ["diverged"] * 2)


def _check_region_zero_map():
    rm = D.region_map(lambda p: (lambda x: p * x), lambda a, b: a * b, [0.0, 0.5], [1.0], 1.0,
                      steps=100, norm_every=10)
    return (rm.lyapunov[0, 0] == -np.inf and abs(rm.lyapunov[1, 0] - math.log(0.5)) < 1e-12
            and list(rm.regions(by="lyapunov")[:, 0]) == ["contracting", "contracting"]
            and np.allclose(rm.sup_norm[:, 0], [0.0, 0.5], rtol=0, atol=1e-15))


def _check_region_undefined():
    return D.region(np.array([NAN, 0.5])).tolist() == ["undefined", "contracting"]


def _check_fixed_points():
    fp = D.fixed_points(lambda x: 0.5 * x + 1.0, np.linspace(-100, 100, 41)[:, None])
    return fp.points.tolist() == [[2.0]] and fp.counts.tolist() == [41]


def _check_orbit_period_two():
    import mpmath

    with mpmath.workdps(30):
        xs = float(mpmath.findroot(lambda x: x - mpmath.tanh(2 * x), 1.0))
    od = D.orbit_diagram(lambda w: (lambda x: jnp.tanh(w * x)), np.array([-2.0]), n_init=2,
                         init_std=1.0, dim=1, steps=2, burn=300, seed=1)
    return np.allclose(np.abs(od), xs, rtol=0, atol=1e-12)


def _check_jacobian_norm():
    A = np.array([[1.0, 2.0], [0.0, -3.0]])
    return abs(D.jacobian_norms(lambda x: jnp.asarray(A) @ x, [0.3, 0.1]) -
               np.linalg.norm(A, 2)) < 1e-12


def _check_sensitivity():
    return np.allclose(D.sensitivity(lin, 1.0, 5), 0.5 ** np.arange(6), rtol=0, atol=1e-16)


def _check_slice_undefined():
    r = scale_slice(preset_system("logistic", r=4.0), 0.5, 2.0, 4, horizon=30, burn=5,
                    lyap_steps=100, lyap_burn=10)
    lam = np.array(r.lyapunov_max)
    # s = 1.5, 2 (r = 6, 8) escape from x0 = 0.3; s = 0.5 (r = 2) is the fixed point 1/2
    return (r.lyapunov_undefined == 2 and np.all(np.isnan(lam[2:]))
            and lam[0] < 0 and r.loss_undefined == 2
            and math.isfinite(r.total_variation))


API_GOOD = [
    ("logistic r=4: lambda = ln 2", _check_logistic),
    ("x -> 0.5 x: lambda = ln 0.5", lambda: _check_linear(0.5)),
    ("x -> -1.5 x (200 steps): lambda = ln 1.5", lambda: _check_linear(-1.5)),
    ("zero map (d = 2): lambda = -inf, stderr 0", _check_zero_map),
    ("x -> 2 x, logistic r=5: diverged, NaN", _check_diverged),
    ("region_map of x -> p x at p = 0, 0.5", _check_region_zero_map),
    ("region(NaN) = 'undefined'", _check_region_undefined),
    ("fixed point of x/2 + 1 is 2", _check_fixed_points),
    ("orbit of tanh(-2 x): +-x*", _check_orbit_period_two),
    ("jacobian_norms of a linear map = ||A||_2", _check_jacobian_norm),
    ("sensitivity of x/2 = 2^-k", _check_sensitivity),
    ("scale_slice with escaping orbits: undefined counted", _check_slice_undefined),
]


@pytest.mark.parametrize("case", API_GOOD, ids=[c[0] for c in API_GOOD])
def test_api_values_against_references(case):
    assert case[1]()


# ------------------------------------------------------------------ CLI
def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def _files(tmp: Path) -> dict:
    """Corrupt and foreign files for the CLI cases (made once per test)."""
    from tnrnn.cells import init_cell
    from tnrnn.train import save_weights

    f = {}
    (tmp / "empty.npz").write_bytes(b"")
    f["empty"] = str(tmp / "empty.npz")
    good = tmp / "gru.npz"
    save_weights(good, init_cell("gru", input_dim=1, hidden=3, seed=0), cell="gru")
    f["gru"] = str(good)
    (tmp / "trunc.npz").write_bytes(good.read_bytes()[:200])
    f["truncated"] = str(tmp / "trunc.npz")
    (tmp / "text.npz").write_text("not a zip\n")
    f["text"] = str(tmp / "text.npz")
    f["missing"] = _npz(tmp / "missing.npz", W_hh=np.eye(3))
    lstm = init_cell("lstm", input_dim=1, hidden=3, seed=0)
    f["lstm_raw"] = _npz(tmp / "lstm_raw.npz", **lstm)
    t = init_cell("tanh", input_dim=1, hidden=3, seed=0)
    t["W_hh"][0, 0] = np.nan
    f["nan"] = _npz(tmp / "nan.npz", **t)
    np.save(tmp / "bare.npy", np.eye(2))
    f["bare"] = str(tmp / "bare.npy")
    (tmp / "folder.npz").mkdir()
    f["folder"] = str(tmp / "folder.npz")
    data = {}
    for name, text in {"trunc": '{"experiment": "region-map", "gain": [1',
                       "empty": "",
                       "foreign": '{"experiment": "sine-generator", "checkpoints": {}}',
                       "missing": '{"experiment": "region-map", "gain": [1.0]}',
                       "shape": json.dumps({"experiment": "region-map", "gain": [1.0, 2.0],
                                            "input_scale": [0.0], "lyapunov_max": "x",
                                            "sup_norm": 1, "loss": {}, "model": "m"})}.items():
        d = tmp / f"data_{name}"
        d.mkdir()
        (d / "dynamics_regions.json").write_text(text)
        data[name] = str(d)
    f["data"] = data
    return f


# (id, args with {placeholders} for the files, message pattern)
CLI_BAD = [
    ("lyapunov --steps -1", "lyapunov --preset tanh --steps -1", "--steps must be an integer >= 20"),
    ("lyapunov --steps 5", "lyapunov --preset tanh --steps 5", "--steps must be an integer >= 20"),
    ("lyapunov --steps abc", "lyapunov --preset tanh --steps abc", "'abc' is not a valid integer"),
    ("lyapunov --burn -1", "lyapunov --preset tanh --burn -1", "--burn must be an integer >= 0"),
    ("lyapunov -k 0", "lyapunov --preset tanh -k 0", "-k must be an integer >= 1"),
    ("lyapunov -k 9 (d = 1)", "lyapunov --preset tanh -k 9", "-k must be between 1 and the state dimension 1"),
    ("lyapunov --max-work nan", "lyapunov --preset tanh --max-work nan", "--max-work must be a finite"),
    ("lyapunov --max-work -1", "lyapunov --preset tanh --max-work -1", "--max-work must be > 0"),
    ("lyapunov --param w=nan", "lyapunov --preset tanh --param w=nan", "--param w: the value must be a finite number"),
    ("lyapunov --param w=inf", "lyapunov --preset tanh --param w=inf", "--param w: the value must be a finite number"),
    ("lyapunov --param r=", "lyapunov --preset logistic --param r=", "the value must be a number"),
    ("lyapunov --param q=1 (unknown)", "lyapunov --preset tanh --param q=1", "bad options"),
    ("lyapunov --input nan", "lyapunov --cell tanh --input nan", "--input must be finite numbers"),
    ("lyapunov --seed -1", "lyapunov --cell tanh --seed -1", "--seed must be an integer >= 0"),
    ("lyapunov --hidden 0", "lyapunov --cell tanh --hidden 0", "--hidden must be an integer >= 1"),
    ("lyapunov --hidden 100000", "lyapunov --cell lstm --hidden 100000", "use a smaller --hidden"),
    ("lyapunov --input-dim -3", "lyapunov --cell tanh --input-dim -3", "--input-dim must be an integer >= 1"),
    ("lyapunov --weights empty file", "lyapunov --cell tanh --weights {empty}", "the file is empty"),
    ("lyapunov --weights truncated zip", "lyapunov --cell gru --weights {truncated}", "not a readable .npz weights file"),
    ("lyapunov --weights text file", "lyapunov --cell gru --weights {text}", "not a readable .npz weights file"),
    ("lyapunov --weights bare .npy", "lyapunov --cell gru --weights {bare}", "holds one bare array"),
    ("lyapunov --weights folder", "lyapunov --cell gru --weights {folder}", "is a directory"),
    ("lyapunov --weights missing keys", "lyapunov --cell tanh --weights {missing}", "missing W_ih, b"),
    ("lyapunov --weights lstm as gru", "lyapunov --cell gru --weights {lstm_raw}", "missing b_ih, b_hh .*another cell kind"),
    ("lyapunov --weights lstm as tanh", "lyapunov --cell tanh --weights {lstm_raw}", "'W_hh' has shape \\(12, 3\\); a tanh layer needs \\(H, H\\)"),
    ("lyapunov --weights gru (meta) as tanh", "lyapunov --cell tanh --weights {gru}", "holds 'gru' weights"),
    ("lyapunov --weights with NaN", "lyapunov --cell tanh --weights {nan}", "contains NaN or infinity"),
    ("lyapunov --weights missing file", "lyapunov --cell tanh --weights /nonexistent.npz", "no such file"),
    ("lyapunov -o /proc/x.png", "lyapunov --preset tanh -o /proc/x.png", "no file can be created"),
    ("lyapunov -o /nonexistent/x.png", "lyapunov --preset tanh -o /nonexistent/x.png", "does not exist"),
    ("lyapunov -o x.txt", "lyapunov --preset tanh -o x.txt", "allowed: .png"),
    ("fixed-points --starts 0", "fixed-points --preset tanh --starts 0", "--starts must be an integer >= 1"),
    ("fixed-points --starts 1e7", "fixed-points --preset tanh --starts 10000000", "raise --max-work"),
    ("fixed-points --init-std nan", "fixed-points --preset tanh --init-std nan", "--init-std must be a finite"),
    ("fixed-points --init-std inf", "fixed-points --preset tanh --init-std inf", "--init-std must be a finite"),
    ("fixed-points --init-std 1e300", "fixed-points --preset tanh --init-std 1e300", "--init-std must be <="),
    ("fixed-points --tol nan", "fixed-points --preset tanh --tol nan", "--tol must be a finite"),
    ("fixed-points --tol -1", "fixed-points --preset tanh --tol -1", "--tol must be > 0"),
    ("fixed-points --max-work inf", "fixed-points --preset tanh --max-work inf", "--max-work must be a finite"),
    ("orbit --scale 0:2:1e9", "orbit --preset tanh --scale 0:2:1000000000", "raise --max-work"),
    ("orbit --scale nan:1:3", "orbit --preset tanh --scale nan:1:3", "with finite numbers"),
    ("orbit --scale 0:inf:3", "orbit --preset tanh --scale 0:inf:3", "with finite numbers"),
    ("orbit --scale 0:1:2.5", "orbit --preset tanh --scale 0:1:2.5", "COUNT an integer"),
    ("orbit --scale 0:1:1e400", "orbit --preset tanh --scale 0:1:1e400", "with finite numbers"),
    ("orbit --n-init 0", "orbit --preset tanh --n-init 0", "--n-init must be an integer >= 1"),
    ("orbit --init-std -1", "orbit --preset tanh --init-std -1", "--init-std must be > 0"),
    ("orbit --steps 0", "orbit --preset tanh --steps 0", "--steps must be an integer >= 1"),
    ("orbit --burn -1", "orbit --preset tanh --burn -1", "--burn must be an integer >= 0"),
    ("orbit --seed 2**36", "orbit --preset tanh --seed 68719476736", "--seed must be an integer in"),
    ("orbit --steps 1e8 (memory)", "orbit --preset tanh --steps 100000000 --max-work 1e20", "use fewer values of s"),
    ("lipschitz --steps 0", "lipschitz --preset tanh --steps 0", "--steps must be an integer >= 1"),
    ("lipschitz --input-radius nan", "lipschitz --cell tanh --input-radius nan", "--input-radius must be a finite"),
    ("lipschitz --input-radius -1", "lipschitz --cell tanh --input-radius -1", "--input-radius must be >= 0"),
    ("lipschitz --steps 1e12", "lipschitz --preset tanh --steps 1000000000000", "raise --max-work"),
    ("regions --grid 0", "regions --grid 0", "--grid must be an integer >= 1"),
    ("regions --grid 1e9", "regions --grid 1000000000", "raise --max-work"),
    ("regions --gain nan:1", "regions --gain nan:1", "with finite numbers"),
    ("regions --input-scale 0:inf", "regions --input-scale 0:inf", "with finite numbers"),
    ("regions --hidden -1", "regions --hidden -1", "--hidden must be an integer >= 1"),
    ("regions --hidden 1e5", "regions --hidden 100000 --grid 1", "raise --max-work"),
    ("regions --steps 0", "regions --steps 0", "--steps must be an integer >= 1"),
    ("regions --max-work nan", "regions --max-work nan", "--max-work must be a finite"),
    ("regions --seed -1", "regions --seed -1", "--seed must be an integer >= 0"),
    ("slice --lyap-steps -1", "slice --preset tanh --lyap-steps -1", "--lyap-steps must be an integer >= 0"),
    ("slice --scale 0:2:1e9", "slice --preset tanh --scale 0:2:1000000000", "raise --max-work"),
    ("slice --horizon 0", "slice --preset tanh --horizon 0", "--horizon must be an integer >= 1"),
    ("slice --loss-burn -1", "slice --preset tanh --loss-burn -1", "--loss-burn must be an integer >= 0"),
    ("slice --scale 1:nan:3", "slice --preset tanh --scale 1:nan:3", "with finite numbers"),
    ("slice --max-work 0", "slice --preset tanh --max-work 0", "--max-work must be > 0"),
    ("slice --input inf", "slice --cell tanh --input inf", "--input must be finite numbers"),
    ("experiments --only nope", "experiments --only nope", "unknown experiment"),
    ("experiments --out /proc", "experiments --only regions --quick --out /proc", "no file can be created"),
    ("experiments --out /nonexistent/x", "experiments --only regions --out /nonexistent/x", "does not exist"),
    ("experiments --seed -1", "experiments --only regions --seed -1", "--seed must be an integer >= 0"),
    ("experiments --seed 2**32", "experiments --only regions --seed 4294967296", "--seed must be an integer in"),
    ("figures: truncated JSON", "figures --data {data[trunc]}", "is not valid JSON"),
    ("figures: empty JSON", "figures --data {data[empty]}", "is empty"),
    ("figures: another experiment", "figures --data {data[foreign]}", "holds the 'sine-generator' experiment"),
    ("figures: missing keys", "figures --data {data[missing]}", "misses input_scale"),
    ("figures: wrong shapes", "figures --data {data[shape]}", "cannot draw it from these data"),
    ("figures --out /proc", "figures --data {data[shape]} --out /proc", "no file can be created"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return _files(tmp_path_factory.mktemp("edges_dynamics"))


@pytest.mark.parametrize("case", CLI_BAD, ids=[c[0] for c in CLI_BAD])
def test_cli_refuses_with_one_line(case, files, tmp_path, monkeypatch):
    _, args, match = case
    monkeypatch.chdir(tmp_path)  # nothing lands in the repository
    t0 = time.perf_counter()
    res = invoke("dynamics", *args.format(**files).split())
    line = one_error_line(res)
    assert __import__("re").search(match, line), line
    assert time.perf_counter() - t0 < 60  # a hang guard
    assert not list(tmp_path.iterdir())  # a refusal writes nothing


def _json(*args):
    res = invoke("dynamics", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # default settings: NaN/Infinity tokens would parse, so:


def _no_nan_tokens(text):
    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    return True


def _cli_lyap_zero():
    d = _json("lyapunov", "--preset", "tanh", "--param", "w=0", "--steps", "100")
    return d["exponents"] == ["-inf"] and d["stderr"] == [0.0] and d["status"] == "ok"


def _cli_lyap_contracting():  # the example: ln 0.25, not +12.5
    d = _json("lyapunov", "--preset", "tanh", "--param", "w=0.25", "--steps", "400")
    return abs(d["exponents"][0] - math.log(0.25)) < 1e-9


def _cli_lyap_diverged():
    res = invoke("dynamics", "lyapunov", "--preset", "logistic", "--param", "r=5", "--steps",
                 "100")
    d = _json("lyapunov", "--preset", "logistic", "--param", "r=5", "--steps", "100")
    return (d["status"] == "diverged" and d["exponents"] == [None] and d["sum"] is None
            and "undefined: the orbit left the domain" in res.stdout
            and "not chaotic" not in res.stdout)


def _cli_lyap_logistic():
    d = _json("lyapunov", "--preset", "logistic", "--param", "r=4", "--steps", "10000")
    return abs(d["exponents"][0] - math.log(2.0)) < 3e-3


def _cli_slice_scaled():
    d = _json("slice", "--preset", "tanh", "--scale", "0.5:0.5:1", "--horizon", "20",
              "--loss-burn", "5", "--lyap-steps", "200")
    return abs(d["lyapunov_max"][0] - math.log(0.25)) < 1e-9 and d["roughness_chaotic"] is None


def _cli_orbit_diverged():
    d = _json("orbit", "--preset", "logistic", "--scale", "1.5:2:2", "--steps", "3", "--burn",
              "20", "--n-init", "2", "--init-std", "0.1")
    return d["diverged_runs"] == [2, 2] and d["values_per_run"] == [None, None]


def _cli_fixed_points():
    import mpmath

    with mpmath.workdps(30):
        xs = float(mpmath.findroot(lambda x: x - mpmath.tanh(2 * x), 1.0))
    d = _json("fixed-points", "--preset", "tanh", "--param", "w=2", "--starts", "16")
    return np.allclose(sorted(p["point"][0] for p in d["fixed_points"]), [-xs, 0.0, xs],
                       rtol=0, atol=1e-12)


def _cli_lipschitz_diverged():
    d = _json("lipschitz", "--preset", "logistic", "--param", "r=5", "--steps", "100")
    return d["diverged"] and d["empirical_sup_norm"] is None and d["region_empirical"] == "undefined"


CLI_GOOD = [
    ("lyapunov zero map: -inf", _cli_lyap_zero),
    ("lyapunov tanh w=0.25: ln 0.25", _cli_lyap_contracting),
    ("lyapunov logistic r=5: undefined, diverged", _cli_lyap_diverged),
    ("lyapunov logistic r=4: ln 2", _cli_lyap_logistic),
    ("slice tanh at s=0.5: ln 0.25", _cli_slice_scaled),
    ("orbit logistic r=6, 8: every run diverged", _cli_orbit_diverged),
    ("fixed-points tanh w=2: 0, +-x*", _cli_fixed_points),
    ("lipschitz logistic r=5: undefined", _cli_lipschitz_diverged),
]


@pytest.mark.parametrize("case", CLI_GOOD, ids=[c[0] for c in CLI_GOOD])
def test_cli_values_against_references(case):
    assert case[1]()


def test_figures_written_atomically_and_refused_path_keeps_nothing(tmp_path):
    fig = tmp_path / "l.svg"
    res = invoke("dynamics", "lyapunov", "--preset", "tanh", "--steps", "100", "-o", fig)
    assert res.exit_code == 0 and fig.read_text().startswith("<?xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.svg"]  # no temporary left


def test_weights_of_a_saved_cell_still_load(files):
    d = _json("lyapunov", "--cell", "gru", "--weights", files["gru"], "--steps", "100")
    assert d["status"] == "ok" and len(d["exponents"]) == 3


# ------------------------------------------------------------------ --json examples as written
def _json_examples():
    """Every `tnrnn dynamics ... --json` line of docs/dynamics.md and of the --help texts."""
    import re

    from tnrnn.cli import cli

    docs = (Path(__file__).parents[1] / "docs" / "dynamics.md").read_text()
    lines = [ln.strip() for ln in docs.splitlines() if ln.strip().startswith("tnrnn dynamics")]
    group = cli.commands["dynamics"]
    for name, cmd in group.commands.items():
        lines += [ln.strip() for ln in (cmd.help or "").splitlines()
                  if ln.strip().startswith("tnrnn dynamics")]
    out = sorted({re.sub(r"\s+#.*", "", ln) for ln in lines if "--json" in ln.split()})
    return out


JSON_EXAMPLES = _json_examples()


@pytest.mark.parametrize("line", JSON_EXAMPLES)
def test_documented_json_examples_print_standard_json(line, tmp_path, monkeypatch):
    if "--grid 100" in line:
        pytest.skip("the 100 x 100 region map runs in the slow test below")
    monkeypatch.chdir(tmp_path)
    res = invoke(*line.split()[1:])
    assert res.exit_code == 0, res.output
    assert _no_nan_tokens(res.stdout)


@pytest.mark.slow
def test_documented_region_json_example(tmp_path, monkeypatch):
    lines = [ln for ln in JSON_EXAMPLES if "--grid 100" in ln]
    monkeypatch.chdir(tmp_path)
    for line in lines:
        res = invoke(*line.split()[1:])
        assert res.exit_code == 0, res.output
        assert _no_nan_tokens(res.stdout)


def test_there_are_json_examples():
    assert len(JSON_EXAMPLES) >= 5


# ------------------------------------------------------------------ hangs and memory, in a child
GUARDED = [
    "slice --preset tanh --scale 0:2:1000000000",
    "fixed-points --preset tanh --starts 10000000",
    "orbit --preset tanh --scale 0:2:1000000000",
    "regions --grid 1000000000",
    "lyapunov --cell lstm --hidden 100000",
]


def _run_child(args, timeout=120):
    """Run ``tnrnn dynamics ARGS`` in a child: (exit code, stderr, seconds, peak RSS MiB)."""
    import resource

    code = ("import resource, sys\n"
            "from tnrnn.cli import main\n"
            "try:\n    main(sys.argv[1:])\n"
            "finally:\n"
            "    sys.stderr.write('\\nPEAK %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    del resource
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", code, "dynamics", *args.split()],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "", time.perf_counter() - t0, None
    peak = [ln for ln in p.stderr.splitlines() if ln.startswith("PEAK ")]
    err = "\n".join(ln for ln in p.stderr.splitlines() if ln.strip() and not ln.startswith("PEAK "))
    return p.returncode, err, time.perf_counter() - t0, int(peak[-1].split()[1]) / 1024 if peak else None


@pytest.mark.parametrize("args", GUARDED)
def test_huge_sizes_refused_quickly_in_a_child(args):
    rc, err, seconds, peak = _run_child(args)
    assert rc == 2 and err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert seconds < 60 and peak is not None and peak < 2048


# ------------------------------------------------------------------ the table
def test_table_is_current():
    """The kept table lists exactly the cases of this file, none of them failing."""
    t = json.loads(TABLE.read_text())
    ids = sorted([c[0] for c in API_BAD] + [c[0] for c in API_GOOD] + [c[0] for c in CLI_BAD]
                 + [c[0] for c in CLI_GOOD] + ["child: " + a for a in GUARDED])
    assert sorted(r["id"] for r in t["cases"]) == ids, \
        "rerun `python tests/test_edges_dynamics.py` to refresh tests/data/edges_dynamics.json"
    assert t["counts"]["wrong_number"] == t["counts"]["traceback"] == 0
    assert t["counts"]["hang"] == t["counts"]["memory_blow_up"] == 0
    assert t["counts"]["bad_inputs"] >= 60


def _classify_api(call, exc, match):
    import re

    try:
        call()
    except exc as e:
        return "refused" if re.search(match, str(e)) else "refused, other message"
    except TnrnnError as e:
        return f"refused as {type(e).__name__} (expected {exc.__name__})"
    except Exception as e:  # noqa: BLE001 - the table counts these
        return f"traceback: {type(e).__name__}"
    return "wrong_number: no error"


def _write_table():  # pragma: no cover - run by hand: python tests/test_edges_dynamics.py
    import re
    import shutil
    import tempfile

    rows = []
    for cid, call, exc, match in API_BAD:
        t0 = time.perf_counter()
        out = _classify_api(call, exc, match)
        rows.append({"id": cid, "where": "api", "expect": f"{exc.__name__}: {match}",
                     "outcome": out, "seconds": round(time.perf_counter() - t0, 3)})
    for cid, check in API_GOOD:
        try:
            out = "value agrees" if check() else "wrong_number"
        except Exception as e:  # noqa: BLE001
            out = f"traceback: {type(e).__name__}"
        rows.append({"id": cid, "where": "api", "expect": "value of the reference",
                     "outcome": out})
    tmp = Path(tempfile.mkdtemp())
    files = _files(tmp)
    os.chdir(tmp)
    for cid, args, match in CLI_BAD:
        rc, err, seconds, peak = _run_child(args.format(**files))
        if rc is None:
            out = "hang"
        elif peak is not None and peak > 4096:
            out = "memory_blow_up"
        elif rc == 2 and err.startswith("error: ") and len(err.splitlines()) == 1:
            out = "refused" if re.search(match, err) else "refused, other message"
        elif "Traceback" in err or rc not in (0, 2):
            out = f"traceback (exit {rc})"
        else:
            out = f"wrong_number: exit {rc}"
        rows.append({"id": cid, "where": "cli", "args": "tnrnn dynamics " + args,
                     "expect": f"exit 2: {match}", "outcome": out, "seconds": round(seconds, 2),
                     "peak_rss_mib": None if peak is None else round(peak)})
    for cid, check in CLI_GOOD:
        try:
            out = "value agrees" if check() else "wrong_number"
        except Exception as e:  # noqa: BLE001
            out = f"traceback: {type(e).__name__}"
        rows.append({"id": cid, "where": "cli", "expect": "value of the reference",
                     "outcome": out})
    for args in GUARDED:
        rc, err, seconds, peak = _run_child(args)
        out = ("hang" if rc is None else "memory_blow_up" if peak and peak > 4096
               else "refused" if rc == 2 else f"exit {rc}")
        rows.append({"id": "child: " + args, "where": "cli (child process)",
                     "args": "tnrnn dynamics " + args, "expect": "exit 2 in seconds",
                     "outcome": out, "seconds": round(seconds, 2),
                     "peak_rss_mib": None if peak is None else round(peak)})
    shutil.rmtree(tmp, ignore_errors=True)
    count = lambda key: sum(1 for r in rows if r["outcome"].startswith(key))  # noqa: E731
    bad = sum(1 for r in rows if not r["expect"].startswith("value"))
    table = {"about": "issue 18: bad inputs to the dynamic wing (tnrnn.dynamics and `tnrnn "
                      "dynamics`) and valid inputs checked against independent references; "
                      "written by `python tests/test_edges_dynamics.py`",
             "machine": f"{os.uname().machine}, {os.cpu_count()} cores, python "
                        f"{sys.version.split()[0]}, jax {jax.__version__}",
             "counts": {"bad_inputs": bad, "valid_inputs": len(rows) - bad,
                        "refused_clearly": count("refused"), "value_agrees": count("value agrees"),
                        "wrong_number": count("wrong_number"), "traceback": count("traceback"),
                        "hang": count("hang"), "memory_blow_up": count("memory_blow_up"),
                        "other_message": sum(1 for r in rows if "other" in r["outcome"]
                                             or "expected" in r["outcome"])},
             "cases": rows}
    TABLE.write_text(json.dumps(table, indent=1) + "\n")
    print(json.dumps(table["counts"]))


if __name__ == "__main__":  # pragma: no cover
    _write_table()
