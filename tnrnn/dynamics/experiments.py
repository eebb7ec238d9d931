"""The experiments of Ribeiro et al. (AISTATS 2020), reduced to a small CPU.

Each function computes data (frozen dataclasses whose ``to_dict()`` is JSON-able) from
explicit seeds; ``tnrnn dynamics experiments`` writes them under a folder and
``tnrnn dynamics figures`` draws them. Nothing here plots.

1. :func:`chaotic_lstm_experiment`: the 2-unit chaotic LSTM's attractor,
   ``lambda_max`` along ``theta(s) = s theta`` beside the paper's loss along
   the same path, and the 2-D loss slice done right.
2. :func:`tanh_region_map` / :func:`region_experiment`: a tanh RNN over
   recurrent gain x input scale: ``lambda_max``, ``L_x`` (bound and
   empirical) and the loss sharpness.
3. Training (sine generator): :mod:`tnrnn.dynamics.training`.
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from ._records import ChaoticLSTMExperiment, RegionExperiment, ScaleSlice
from ._core import (LOOP_COST, as_inputs, check_float, check_limit, check_nonneg_int,
                    check_seed, flat_map, refuse_if_over, step_cost, x64)
from .landscape import _chunked, loss_slice, loss_slice_2d
from .lyapunov import largest_lyapunov_core, lyapunov_spectrum
from .presets import chaotic_lstm
from .region_map import region_map
from .simulate import simulate
from .systems import System, scale_params
from ..errors import SpecError, check_positive_int

__all__ = ["scale_slice", "ScaleSlice", "scale_slice_sizes", "chaotic_lstm_experiment",
           "ChaoticLSTMExperiment", "tanh_rnn", "tanh_region_map", "region_experiment",
           "RegionExperiment"]


def _observe(system: System):
    """What the loss compares: h of an LSTM (first half of [h, c]), else the state."""
    if system.cell == "lstm" and "layers" not in system.params:
        H = system.dim // 2
        return lambda x: x[:H]
    return lambda x: x


def _lyap_along(system: System, s, u, steps, burn, *, chunk: int = 256, progress=None):
    """lambda_max at every s (vmapped in batches), from the system's initial state."""
    inp = as_inputs(None, None, None)
    uu = None if system.input_dim is None else (
        np.zeros(system.input_dim) if u is None else np.asarray(u, dtype=np.float64))

    def one(si):
        f = system.family(scale_params(system.params, si))
        fx = f if system.input_dim is None else (lambda x: f(x, uu))
        g = flat_map(fx, np.ndim(system.x0) == 0, False)
        return largest_lyapunov_core(g, jnp.atleast_1d(jnp.asarray(system.x0, jnp.float64)),
                                     None, burn, steps, inp)

    s = np.asarray(s, dtype=np.float64)
    with x64():
        return _chunked(jax.jit(jax.vmap(one)), [s], s.size, chunk, progress)


def _trajectory_loss(system: System, u, horizon, burn):
    """The paper's loss: ``theta -> mean ||obs x_k(theta) - obs x_k(theta_ref)||^2``
    over steps ``burn .. horizon - 1`` from the system's initial state
    (``x_k`` for ``k = 1 .. horizon``, as PyTorch's LSTM outputs)."""
    obs = _observe(system)
    uu = None if system.input_dim is None else (
        np.zeros(system.input_dim) if u is None else np.asarray(u, dtype=np.float64))
    x0 = np.atleast_1d(np.asarray(system.x0, dtype=np.float64))

    def run(theta):
        f = system.family(theta)
        step = f if system.input_dim is None else (lambda x: f(x, uu))
        scalar = np.ndim(system.x0) == 0

        def body(x, _):
            y = step(x[0]) if scalar else step(x)
            y = jnp.reshape(y, x.shape)
            return y, obs(y)

        _, ys = jax.lax.scan(body, jnp.asarray(x0), None, length=horizon)
        return ys[burn:]

    with x64():
        ref = np.asarray(jax.jit(run)(jax.tree_util.tree_map(
            lambda a: jnp.asarray(a, jnp.float64), system.params)))

    def loss(theta):
        return jnp.mean((run(theta) - ref) ** 2)

    return loss


def scale_slice_sizes(n: int, d: int, *, horizon: int = 200, lyap_steps: int = 2000,
                      lyap_burn: int = 500) -> tuple[float, float]:
    """``(multiply-adds, bytes of results)`` that :func:`scale_slice` is charged.

    Parameters
    ----------
    n : int
        Points along the path.
    d : int
        State dimension.
    horizon : int
        Steps of the loss's trajectory.
    lyap_steps, lyap_burn : int
        Steps of the exponent (0 steps: no exponent).

    Returns
    -------
    tuple of float

    Examples
    --------
    >>> scale_slice_sizes(301, 4)
    (171059200.0, 30100.0)
    """
    per_point = horizon + (2.0 * (lyap_burn + lyap_steps) if lyap_steps else 0.0)
    return per_point * (n * step_cost(d) + -(-n // 256) * LOOP_COST), 100.0 * n


def scale_slice(system: System, a: float, b: float, n: int, *, horizon: int = 200,
                burn: int = 100, lyap_steps: int = 2000, lyap_burn: int = 500,
                u=None, chunk: int = 256, progress=None, max_work: float = 1e12,
                max_bytes: float = 2 ** 30) -> ScaleSlice:
    """The loss and ``lambda_max`` along ``theta(s) = s theta``, ``s`` in ``[a, b]``.

    The loss is the paper's (``chaotic_lstm.py``): mean squared difference of
    the outputs over steps ``burn .. horizon`` between ``s theta`` and
    ``theta``; it is 0 at ``s = 1`` exactly (:func:`loss_slice` reproduces its
    end points). ``roughness_*`` is the mean absolute loss increment between
    neighbouring values of ``s``, where ``lambda_max > 0`` and elsewhere.

    Undefined values are said as such, never folded into a verdict: the loss
    is NaN where the trajectory left the float range, ``lambda_max`` NaN
    where the orbit did (``-inf`` where the tangent collapsed); increments
    with an undefined end are left out of ``total_variation`` and the
    roughness, ``loss_undefined`` and ``lyapunov_undefined`` count them, and
    a roughness or fraction with no pair to average is ``None``.

    Sizes are checked before any work: about ``n (horizon + 2 (lyap_burn +
    lyap_steps)) (2 d^2 + 64)`` multiply-adds against ``max_work`` and
    ``100 n`` bytes of results against ``max_bytes``
    (:class:`~tnrnn.errors.TooLargeError`).

    Parameters
    ----------
    system : System
        The system (:mod:`~tnrnn.dynamics.systems`).
    a, b : float
        The path's ends: ``s`` in ``[a, b]`` (and ``s = 1`` added if inside).
    n : int
        Points along the path.
    horizon, burn : int
        The loss compares outputs over steps ``burn .. horizon``.
    lyap_steps, lyap_burn : int
        Steps of ``lambda_max`` at each point (0: none).
    u : array_like, optional
        The constant input (zeros by default).
    chunk : int
        Points per vmapped batch.
    progress : callable, optional
        ``progress(done, total)`` after each batch (loss, then exponents).
    max_work, max_bytes : float
        Limits checked before any work.

    Returns
    -------
    ScaleSlice
        ``s``, ``loss``, ``lyapunov_max``, ``loss_at_1``,
        ``total_variation``, roughness and fractions, counts of undefined values.

    Examples
    --------
    >>> from tnrnn.dynamics.systems import preset_system
    >>> r = scale_slice(preset_system("tanh", w=0.5), 0.5, 1.0, 2, horizon=20, burn=5,
    ...                 lyap_steps=100, lyap_burn=10)
    >>> r.s, r.loss_at_1, [round(v, 6) for v in r.lyapunov_max]
    ([0.5, 1.0], 0.0, [-1.386294, -0.693147])
    >>> r.fraction_chaotic, r.roughness_chaotic
    (0.0, None)
    """
    a = check_float("a", a)
    b = check_float("b", b)
    n = check_positive_int("n", n)
    horizon = check_positive_int("horizon", horizon)
    burn = check_nonneg_int("burn", burn)
    if burn >= horizon:
        raise SpecError(f"burn must be in [0, horizon) = [0, {horizon}); got {burn}")
    lyap_steps = check_nonneg_int("lyap_steps", lyap_steps)
    lyap_burn = check_nonneg_int("lyap_burn", lyap_burn)
    chunk = check_positive_int("chunk", chunk)
    if u is not None:
        u = as_inputs(u, None, None).value
    d = system.dim
    work, nbytes = scale_slice_sizes(n, d, horizon=horizon, lyap_steps=lyap_steps,
                                     lyap_burn=lyap_burn)
    refuse_if_over(work, check_limit("max_work", max_work),
                   f"loss slice of {n} points, horizon {horizon}, lambda_max over "
                   f"{lyap_burn} + {lyap_steps} steps, d = {d}: multiply-adds", "max_work",
                   "raise max_work or use fewer points or steps")
    refuse_if_over(nbytes, check_limit("max_bytes", max_bytes),
                   f"loss slice of {n} points: bytes of results", "max_bytes",
                   "use fewer points")
    s = np.linspace(a, b, n)
    s = np.union1d(s, [1.0]) if a <= 1.0 <= b else s
    total = s.size * (2 if lyap_steps else 1)
    loss = _trajectory_loss(system, u, horizon, burn)
    zero = jax.tree_util.tree_map(lambda x: np.zeros_like(np.asarray(x, np.float64)),
                                  system.params)
    vals = loss_slice(loss, zero, system.params, s, chunk=chunk,
                      progress=None if progress is None else (lambda k, _: progress(k, total)))
    lam = (_lyap_along(system, s, u, lyap_steps, lyap_burn, chunk=chunk,
                       progress=None if progress is None
                       else (lambda k, _: progress(s.size + k, total)))
           if lyap_steps else None)
    lf = np.isfinite(vals)
    pair_ok = lf[1:] & lf[:-1]
    dv = np.abs(np.diff(np.where(lf, vals, 0.0)))
    i1 = int(np.argmin(np.abs(s - 1.0)))
    out = {"system": system.description, "s": s.tolist(), "loss": vals.tolist(),
           "horizon": horizon, "burn": burn,
           "loss_at_1": float(vals[i1]) if lf[i1] else None,
           "total_variation": float(dv[pair_ok].sum()),
           "loss_undefined": int(np.sum(~lf)), "lyapunov_max": [],
           "lyap_steps": lyap_steps, "lyap_burn": lyap_burn}
    if lam is not None:
        defined = ~np.isnan(lam)
        out["lyapunov_max"] = lam.tolist()
        out["lyapunov_undefined"] = int(np.sum(~defined))
        both = pair_ok & defined[1:] & defined[:-1]
        chaotic = (lam[1:] > 0) | (lam[:-1] > 0)

        def mean(mask):
            return float(dv[mask].mean()) if mask.any() else None

        out["roughness_chaotic"] = mean(both & chaotic)
        out["roughness_regular"] = mean(both & ~chaotic)
        out["fraction_chaotic"] = float(np.mean(lam[defined] > 0)) if defined.any() else None
    return ScaleSlice(**out)


def chaotic_lstm_experiment(*, n_s: int = 1501, horizon: int = 200, burn: int = 100,
                            lyap_steps: int = 5000, attractor_steps: int = 5000,
                            grid_2d: int = 121, seed: int = 0) -> ChaoticLSTMExperiment:
    """Experiment 1: the chaotic 2-unit LSTM (Ribeiro et al. 2020, ``chaotic_lstm.py``).

    * the attractor: ``h`` over ``attractor_steps`` steps after 100 (zero input);
    * its Lyapunov spectrum (20,000 steps);
    * ``lambda_max`` and the loss along ``s theta``, ``s`` in ``[0.5, 2]``,
      and the orbit diagram along the same path (``h1`` at steps 101-150 from
      ``h0 = c0 = 0.5``, as the paper's "bifurcation diagram");
    * the loss on the plane through zero weights, the chaotic weights and
      uniform(0, 1) random weights (``s1`` in ``[0, 2]``, ``s2`` in
      ``[-0.5, 0.5]``), each point once.

    Parameters
    ----------
    n_s : int
        Points along ``s theta``.
    horizon, burn : int
        The loss's steps.
    lyap_steps : int
        Steps of ``lambda_max`` at each point.
    attractor_steps : int
        Steps of the attractor kept.
    grid_2d : int
        Points per axis of the plane.
    seed : int
        Seed of the random weights.

    Returns
    -------
    ChaoticLSTMExperiment
        Attractor, spectrum, slice, orbit diagram, plane, seconds.

    Examples
    --------
    >>> chaotic_lstm_experiment(grid_2d=1)  # the sizes are checked before any work
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: grid_2d must be an integer >= 2; got 1
    """
    from .systems import preset_system

    n_s = check_positive_int("n_s", n_s)
    horizon = check_positive_int("horizon", horizon)
    burn = check_nonneg_int("burn", burn)
    if burn >= horizon:
        raise SpecError(f"burn must be in [0, horizon) = [0, {horizon}); got {burn}")
    lyap_steps = check_nonneg_int("lyap_steps", lyap_steps)
    attractor_steps = check_positive_int("attractor_steps", attractor_steps)
    grid_2d = check_positive_int("grid_2d", grid_2d, minimum=2)
    seed = check_seed("seed", seed)
    t0 = time.perf_counter()
    p = chaotic_lstm()
    sysm = preset_system("chaotic-lstm")
    traj = simulate(p.f, p.x0, steps=attractor_steps, burn=100)
    spec = lyapunov_spectrum(p.f, p.x0, steps=20000, burn=500)
    sl = scale_slice(sysm, 0.5, 2.0, n_s, horizon=horizon, burn=burn, lyap_steps=lyap_steps)
    from .orbit import orbit_diagram

    od = orbit_diagram(lambda si: (lambda x: sysm.family(scale_params(sysm.params, si))(
        x, np.zeros(1))), np.asarray(sl.s), x0=p.x0[None, :], n_init=1, steps=50,
        burn=burn, observe=lambda x: x[:1])[:, 0, 0, :, 0]
    rng = np.random.default_rng(seed)
    rand = {"W_hh": rng.uniform(0, 1, (8, 2)), "W_ih": rng.uniform(0, 1, (8, 1))}
    zero = {"W_hh": np.zeros((8, 2)), "W_ih": np.zeros((8, 1))}
    loss = _trajectory_loss(sysm, None, horizon, burn)
    s1 = np.union1d(np.linspace(0, 2, grid_2d), [0.0, 1.0])
    s2 = np.union1d(np.linspace(-0.5, 0.5, grid_2d), [0.0])
    plane = loss_slice_2d(loss, zero, p.params, rand, s1, s2)
    return ChaoticLSTMExperiment(
        experiment="chaotic-lstm",
        source="Ribeiro, Tiels, Aguirre, Schon, AISTATS 2020; weights of their chaotic_lstm.py",
        attractor_h=traj[:, :2].tolist(),
        spectrum=spec.exponents.tolist(), spectrum_stderr=spec.stderr.tolist(),
        spectrum_steps=spec.steps,
        slice=sl,
        orbit_h1=od.tolist(), orbit_steps=[burn + 1, burn + 50],
        plane={"s1": s1.tolist(), "s2": s2.tolist(), "loss": plane.tolist(),
               "theta0": "zero weights", "theta1": "chaotic weights",
               "theta2": f"uniform(0, 1) weights, numpy default_rng({seed})"},
        seconds=time.perf_counter() - t0)


def tanh_rnn(hidden: int, seed: int = 0):
    """Random weights of the region-map RNN: ``W`` (H, H) Gaussian scaled to
    ``||W||_2 = 1`` and ``U`` (H, 1) standard normal, from ``default_rng(seed)``.

    Parameters
    ----------
    hidden : int
        Units ``H``.
    seed : int
        The seed.

    Returns
    -------
    tuple of numpy.ndarray
        ``(W, U)``.

    Examples
    --------
    >>> W, U = tanh_rnn(4)
    >>> W.shape, U.shape, round(float(np.linalg.norm(W, 2)), 12)
    ((4, 4), (4, 1), 1.0)
    """
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((hidden, hidden))
    W /= np.linalg.norm(W, 2)
    U = rng.standard_normal((hidden, 1))
    return W, U


def tanh_region_map(*, hidden: int = 32, gains, scales, steps: int = 2000, burn: int = 500,
                    seed: int = 0, norm_every: int = 0, max_work: float = 1e12, progress=None,
                    chunk: int = 500, blocks: int | None = None):
    """``lambda_max`` (and optionally the sup ``||Df||``) of
    ``x' = tanh(g W x + s U u)`` over ``gains x scales``, inputs ``u ~ N(0, 1)``
    i.i.d. (``default_rng(seed + 1)``), from ``x0 ~ N(0, 0.1^2)``
    (``default_rng(seed + 2)``; not 0, which is a fixed point of the
    autonomous map at ``s = 0``). The Lipschitz bound is ``g``
    (``||W||_2 = 1``). The work is estimated (and refused above
    ``max_work``) before the weights and inputs are drawn.

    Parameters
    ----------
    hidden : int
        Units.
    gains, scales : array_like
        The grid: recurrent gains ``g`` and input scales ``s``.
    steps, burn : int
        Steps averaged over and run first.
    seed : int
        Seed of weights, inputs and initial state.
    norm_every : int
        Also the sup ``||Df||`` at every this many steps (0: no).
    max_work : float
        Refuse larger runs (before any work).
    progress : callable, optional
        ``progress(done, total)`` after each chunk.
    chunk : int
        Grid points per vmapped batch.
    blocks : int, optional
        Also the exponent's standard error (:func:`~tnrnn.dynamics.region_map`).

    Returns
    -------
    RegionMap

    Examples
    --------
    >>> rm = tanh_region_map(hidden=3, gains=[0.2, 3.0], scales=[0.0], steps=200, burn=50)
    >>> bool(rm.lyapunov[0, 0] < 0), rm.bound.ravel().tolist()
    (True, [0.2, 3.0])
    """
    from .region_map import region_map_work

    hidden = check_positive_int("hidden", hidden)
    steps = check_positive_int("steps", steps)
    burn = check_nonneg_int("burn", burn)
    seed = check_seed("seed", seed)
    na, nb = np.size(gains), np.size(scales)
    work = region_map_work(na * nb, hidden, steps, burn, norm_every)
    refuse_if_over(max(work, (burn + steps + hidden) * hidden * 8.0),
                   check_limit("max_work", max_work),
                   f"region map of {na} x {nb} points, d = {hidden}, {burn} + {steps} steps: "
                   "multiply-adds", "max_work", "raise max_work or use fewer points or steps")
    W, U = tanh_rnn(hidden, seed)
    us = np.random.default_rng(seed + 1).standard_normal((burn + steps, 1))
    x0 = 0.1 * np.random.default_rng(seed + 2).standard_normal(hidden)

    def family(p):
        Wj, Uj = jnp.asarray(W), jnp.asarray(U)
        return lambda x, u: jnp.tanh(p[0] * (Wj @ x) + p[1] * (Uj @ u))

    return region_map(family, lambda a, b: jnp.stack([a, b]), gains, scales, x0,
                      steps=steps, burn=burn, inputs=us, norm_every=norm_every,
                      bound=lambda p: float(p[0]), progress=progress, max_work=max_work,
                      chunk=chunk, blocks=blocks)


def _recall_loss(W, U, us, T, delay, hidden):
    """Delayed recall with a fixed readout: the loss whose sharpness the region
    experiment maps, as a function of ``{"W_hh", "W_ih"}``."""
    C = np.ones(hidden) / math.sqrt(hidden)
    target = us[:T - delay, 0]

    def loss(p):
        def body(x, u):
            x = jnp.tanh(p["W_hh"] @ x + p["W_ih"] @ u)
            return x, jnp.dot(C, x)

        _, ys = jax.lax.scan(body, jnp.zeros(hidden), jnp.asarray(us[:T]))
        return jnp.mean((ys[delay:] - target) ** 2)

    return loss


def region_experiment(*, hidden: int = 32, grid: int = 60, steps: int = 2000, burn: int = 500,
                      loss_grid: int = 25, loss_T: int = 100, delay: int = 5,
                      hessian_iters: int = 20, gains=(0.2, 3.0), scales=(0.0, 3.0),
                      seed: int = 0, progress=None) -> RegionExperiment:
    """Experiment 3: the region map of a tanh RNN.

    On a ``grid x grid`` grid: ``lambda_max`` and the empirical sup
    ``||Df||`` along the driven orbit (every 50th state), the bound ``g``. On
    a coarser ``loss_grid x loss_grid`` grid: the sharpness (top Hessian
    eigenvalue by power iteration, w.r.t. all of ``W_hh`` and ``W_ih``) and
    the gradient norm of a delayed-recall loss (``y_k = C x_k`` should equal
    ``u_{k - delay}``, ``C`` fixed at ``1/sqrt(H)``) over ``loss_T`` steps.

    Parameters
    ----------
    hidden : int
        Units.
    grid : int
        Points per axis of the exponent's grid.
    steps, burn : int
        Steps of the exponent.
    loss_grid : int
        Points per axis of the sharpness grid.
    loss_T, delay : int
        The recall loss's length and delay.
    hessian_iters : int
        Power-iteration steps.
    gains, scales : tuple of float
        The ranges of ``g`` and ``s``.
    seed : int
        The seed.
    progress : callable, optional
        ``progress(done, total)`` after each chunk of the exponent's grid.

    Returns
    -------
    RegionExperiment
        The grids, exponents, norms, bounds and the loss grid.

    Examples
    --------
    >>> region_experiment(loss_T=5, delay=5)  # the sizes are checked before any work
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: delay must be in [0, loss_T) = [0, 5); got 5
    """
    hidden = check_positive_int("hidden", hidden)
    grid = check_positive_int("grid", grid, minimum=2)
    loss_grid = check_positive_int("loss_grid", loss_grid, minimum=2)
    steps = check_positive_int("steps", steps, minimum=50)
    burn = check_nonneg_int("burn", burn)
    loss_T = check_positive_int("loss_T", loss_T)
    delay = check_nonneg_int("delay", delay)
    if delay >= loss_T:
        raise SpecError(f"delay must be in [0, loss_T) = [0, {loss_T}); got {delay}")
    hessian_iters = check_positive_int("hessian_iters", hessian_iters)
    seed = check_seed("seed", seed)
    t0 = time.perf_counter()
    g = np.linspace(*gains, grid)
    s = np.linspace(*scales, grid)
    rm = tanh_region_map(hidden=hidden, gains=g, scales=s, steps=steps, burn=burn, seed=seed,
                         norm_every=50, progress=progress)
    W, U = tanh_rnn(hidden, seed)
    us = np.random.default_rng(seed + 1).standard_normal((burn + steps, 1))
    loss = _recall_loss(W, U, us, loss_T, delay, hidden)
    gl = np.linspace(*gains, loss_grid)
    sl = np.linspace(*scales, loss_grid)
    lm = region_map(lambda p: (lambda x: x), lambda a, b: {"W_hh": a * jnp.asarray(W),
                                                           "W_ih": b * jnp.asarray(U)},
                    gl, sl, np.zeros(1), steps=1, loss=loss, hessian_iters=hessian_iters,
                    chunk=125)
    lam_coarse = tanh_region_map(hidden=hidden, gains=gl, scales=sl, steps=steps, burn=burn,
                                 seed=seed).lyapunov
    return RegionExperiment(
        experiment="region-map",
        model="x' = tanh(g W x + s U u), ||W||_2 = 1, u ~ N(0, 1) i.i.d., x0 ~ N(0, 0.01 I)",
        hidden=hidden, seed=seed, steps=steps, burn=burn,
        gain=g.tolist(), input_scale=s.tolist(),
        lyapunov_max=rm.lyapunov.tolist(), sup_norm=rm.sup_norm.tolist(),
        bound=rm.bound.tolist(), map_seconds=rm.seconds,
        loss={"task": f"delayed recall (delay {delay}), fixed readout 1/sqrt(H), T = {loss_T}",
              "gain": gl.tolist(), "input_scale": sl.tolist(),
              "sharpness": lm.sharpness.tolist(), "grad_norm": lm.grad_norm.tolist(),
              "lyapunov_max": lam_coarse.tolist(), "hessian_iters": hessian_iters},
        seconds=time.perf_counter() - t0)
