"""Experiment 3: train linear (and tanh) RNNs on linear-functional data and read
their kernels back.

Models (all with one input, one output read at every step, zero initial state):

``diagonal``
    The continuous-time diagonal linear RNN discretised exactly:
    ``h_{k+1} = e^{-w dt} h_k + dt x_k``, ``y_k = c^T h_{k+1}``, trainable
    log-rates and ``c``; its discrete kernel is ``dt sum_i c_i e^{-w_i j dt}``.
    Started like the plateau experiment: ``c = 0``, rates ``1 + 0.1 U(-1, 1)``.
``linear`` / ``tanh``
    tnrnn.cells' ``linear`` (``h' = A h + B x``) and ``tanh`` (Elman) cells in
    a depth-1 stack with an every-step readout (:func:`tnrnn.cells.stack`); the
    kernel read back is ``W_O A^j B`` (for tanh: of the linearisation at 0,
    ``A = W_hh``, ``B = W_ih``, ``tanh'(0) = 1``) is recorded as a gap only: for
    tanh the kernel read back is the first-order Wiener kernel ``dt E[y_k x_{k-j}]``
    on the test inputs (the best linear fit on white noise), since the
    linearisation at 0 can be unstable while the saturating network is not.

The optimiser is :func:`tnrnn.train.make_optimizer` (Adam after L-inf
clipping); training runs the package's one loop, :func:`tnrnn.train.train_steps`,
on the mean squared error (:func:`tnrnn.train.mean_squared_error`). Batches are
fresh white-noise draws seeded by ``(seed, step)``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import SpecError, check_positive_int
from .approx import rnn_kernel_discrete
from .data import causal_convolve, discrete_kernel
from .kernels import parse_kernel

__all__ = ["TRAIN_MODELS", "train_linear_rnn", "training_experiment", "training_floors"]

TRAIN_MODELS = ("diagonal", "linear", "tanh")


def _diag_init(hidden, seed, dt):
    rng = np.random.default_rng(seed)
    w = 1.0 + 0.1 * rng.uniform(-1.0, 1.0, hidden)
    return {"log_w": np.log(w), "c": np.zeros(hidden)}


def _diag_apply(dt):
    import jax
    import jax.numpy as jnp

    def apply(p, X):  # X (B, T)
        lam = jnp.exp(-jnp.exp(p["log_w"]) * dt)

        def body(h, x):
            h = lam * h + dt * x[:, None]
            return h, h @ p["c"]

        h0 = jnp.zeros((X.shape[0], lam.shape[0]))
        _, ys = jax.lax.scan(body, h0, X.T)
        return ys.T

    return apply


def _wiener_kernel(X, Y, dt):
    """``dt * mean_{n, k >= j} Y[n, k] X[n, k - j]`` for each lag ``j``."""
    from scipy.signal import fftconvolve

    T = X.shape[1]
    # cross-correlation sum_k Y[k] X[k - j]: the convolution of Y with X reversed, from lag 0
    cc = fftconvolve(Y, X[:, ::-1], axes=-1)[:, T - 1:].sum(axis=0)
    return dt * cc / (X.shape[0] * (T - np.arange(T)))


def _diag_kernel(p, T, dt):
    w = np.exp(np.asarray(p["log_w"]))
    j = np.arange(T)
    return dt * np.exp(-np.multiply.outer(j * dt, w)) @ np.asarray(p["c"])


def train_linear_rnn(kernel, model: str = "diagonal", *, hidden: int = 8, T: int = 200,
                     dt: float = 0.1, batch: int = 32, steps: int = 3000, lr: float = 1e-2,
                     seed: int = 0, record_every: int = 10, test_size: int = 256) -> dict:
    """Train one model on ``kernel``'s linear-functional data; return a JSON-able record.

    The record holds the loss curve (``steps`` and training-batch ``loss`` every
    ``record_every`` steps), the final test loss on ``test_size`` fresh
    sequences, the learned discrete kernel against the target ``dt rho(j dt)``
    (both divided by ``dt``), and the timing. Float64 throughout
    (:func:`tnrnn._jax.x64`).

    Parameters
    ----------
    kernel : str or Kernel
        The memory kernel ``rho`` of the target functional (see
        :func:`~tnrnn.linear_rnn.parse_kernel`).
    model : {'diagonal', 'linear', 'tanh'}
        The model trained (module docstring).
    hidden, T : int
        Units, and steps per sequence.
    dt : float
        The time step.
    batch, steps : int
        Sequences per step, and optimiser steps.
    lr : float
        Adam's learning rate.
    seed : int
        Seed of the weights and of the white-noise batches ``(seed, step)``.
    record_every : int
        Steps between the points of the loss curve.
    test_size : int
        Fresh sequences of the test loss.

    Returns
    -------
    dict
        The settings, ``curve`` (``step``, ``loss``), ``test_loss``,
        ``target_l2_sq`` (the loss of the zero output), ``kernel_t``,
        ``target`` and ``learned`` (kernels divided by ``dt``),
        ``kernel_l2_sq_gap``, ``seconds``; the diagonal model adds its
        ``rates`` and ``c``, the dense ones their ``spectral_radius`` (tanh:
        ``linearised_kernel_gap`` too).

    Examples
    --------
    >>> train_linear_rnn("exponential:1", "gru")  # refused before any work
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown model 'gru'; valid: diagonal, linear, tanh

    Training compiles for a few seconds:

    >>> r = train_linear_rnn("exponential:1", "diagonal", hidden=2, T=50, steps=300,
    ...                      lr=0.05, record_every=100)  # doctest: +SKIP
    >>> r["test_loss"] < 0.01 * r["target_l2_sq"]  # doctest: +SKIP
    True
    """
    kernel = parse_kernel(kernel)
    if model not in TRAIN_MODELS:
        raise SpecError(f"unknown model {model!r}; valid: {', '.join(TRAIN_MODELS)}")
    hidden = check_positive_int("hidden", hidden)
    T = check_positive_int("T", T)
    batch = check_positive_int("batch", batch)
    steps = check_positive_int("steps", steps)
    record_every = check_positive_int("record_every", record_every)
    import jax

    from .._jax import x64
    from ..cells import stack
    from ..train import make_optimizer, make_update, mean_squared_error, train_steps

    wts = discrete_kernel(kernel, T, dt)
    t_start = time.perf_counter()
    with x64():
        if model == "diagonal":
            params = _diag_init(hidden, seed, dt)
            apply = _diag_apply(dt)
        else:
            params, apply3 = stack(model, depth=1, hidden=hidden, input_dim=1, outputs=1,
                                   seed=seed, every_step=True, dtype="float64")

            def apply(p, X, apply3=apply3):
                return apply3(p, X[:, :, None])[:, :, 0]

        opt = make_optimizer("adam", lr=lr, clip=10.0)

        def loss_fn(p, X, Y):
            return mean_squared_error(apply(p, X), Y)

        def draw(s, n):
            rng = np.random.default_rng([seed, s])
            X = rng.standard_normal((n, T)) / math.sqrt(dt)
            return X, causal_convolve(X, wts)

        curve_s, curve_l = [], []

        def record(st):  # the loss of steps 1, 1 + record_every, ... and of the last
            if (st.step - 1) % record_every == 0 or st.step == steps:
                curve_s.append(st.step)
                curve_l.append(float(st.loss))

        params = train_steps(params, make_update(loss_fn, opt), lambda s: draw(s + 1, batch),
                             steps=steps, opt_state=opt.init(params),
                             callbacks=[record]).params
        Xt, Yt = draw(0, test_size)
        test = float(loss_fn(params, Xt, Yt))
        Yhat = np.asarray(apply(params, Xt))
        params = jax.tree.map(np.asarray, params)
    if model == "diagonal":
        learned = _diag_kernel(params, T, dt)
        extra = {"rates": np.exp(params["log_w"]).tolist(), "c": params["c"].tolist()}
    else:
        lay = params["layers"][0]
        A, B = (lay["A"], lay["B"][:, 0]) if model == "linear" else (lay["W_hh"], lay["W_ih"][:, 0])
        lin = rnn_kernel_discrete(A, B, params["readout"]["W_O"][0], T)
        extra = {"spectral_radius": float(np.max(np.abs(np.linalg.eigvals(A))))}
        if model == "linear":
            learned = lin
        else:
            # first-order Wiener kernel: dt E[y_hat_k x_{k-j}] (the best linear fit on white
            # noise); the linearisation at 0 can be unstable while the tanh RNN is not
            learned = _wiener_kernel(Xt, Yhat, dt)
            with np.errstate(over="ignore", invalid="ignore"):
                extra["linearised_kernel_gap"] = float(np.sum((lin - wts) ** 2) / dt)
    # the best possible discrete loss with this many exponentials is not known here;
    # the kernel's own loss (model output 0) is the reference scale
    return {"kernel": kernel.spec, "model": model, "hidden": hidden, "T": T, "dt": dt,
            "batch": batch, "steps": steps, "lr": lr, "seed": seed,
            "target_l2_sq": float(np.sum(wts ** 2) / dt),
            "curve": {"step": curve_s, "loss": curve_l}, "test_loss": test,
            "kernel_t": (dt * np.arange(T)).tolist(), "target": (wts / dt).tolist(),
            "learned": (np.asarray(learned) / dt).tolist(),
            "kernel_l2_sq_gap": float(np.sum((learned - wts) ** 2) / dt),
            "seconds": time.perf_counter() - t_start, **extra}


def training_experiment(path, *, kernels=("exponential:1", "exponential:1+delayed:3",
                                          "polynomial:0.2"),
                        models=TRAIN_MODELS, seeds=(0, 1), steps: int = 3000, hidden: int = 8,
                        progress=None) -> dict:
    """Experiment 3: one record per (kernel, model, seed), appended to ``path`` (resumable).

    Short memory (``e^{-t}``), delayed memory (``e^{-t} + e^{-(t-3)} 1[t > 3]``) and
    polynomial memory (``(1+t)^{-1.2}``); ``T = 200`` steps of ``dt = 0.1``,
    batch 32, Adam (lr 1e-2), ``hidden`` units. Records already in ``path``
    (made with the same settings) are kept and not trained again.

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file (written after every record).
    kernels : sequence of str
        Kernel specs (:func:`~tnrnn.linear_rnn.parse_kernel`).
    models : sequence of str
        Models of :data:`TRAIN_MODELS`.
    seeds : sequence of int
        Seeds, one run each.
    steps, hidden : int
        Optimiser steps and units of every run.
    progress : callable, optional
        ``progress(done, total, message)`` after every run.

    Returns
    -------
    dict
        The result (``kind`` ``'memory-train'``, ``config``, ``records``: one
        :func:`train_linear_rnn` record per run).

    Examples
    --------
    >>> training_experiment("unused.json", models=("linear", "lstm"))  # before any work
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown model 'lstm'; valid: diagonal, linear, tanh
    """
    from ._store import resume_result, save_result

    specs = [parse_kernel(k).spec for k in kernels]
    for mdl in models:
        if mdl not in TRAIN_MODELS:
            raise SpecError(f"unknown model {mdl!r}; valid: {', '.join(TRAIN_MODELS)}")
    seeds = [check_positive_int("seed", s, minimum=0) for s in seeds]
    steps, hidden = check_positive_int("steps", steps), check_positive_int("hidden", hidden)

    cfg = {"kernels": list(kernels), "models": list(models), "seeds": list(seeds),
           "steps": steps, "hidden": hidden, "T": 200, "dt": 0.1, "batch": 32, "lr": 1e-2}
    data = resume_result(path, "memory-train", cfg)
    _save = save_result
    done = {(r["kernel"], r["model"], r["seed"]) for r in data["records"]}
    total = len(kernels) * len(models) * len(seeds)
    i = 0
    for k, spec in zip(kernels, specs):
        for mdl in models:
            for seed in seeds:
                i += 1
                if (spec, mdl, seed) in done:
                    continue
                rec = train_linear_rnn(k, mdl, hidden=hidden, steps=steps, seed=seed)
                data["records"].append(rec)
                _save(path, data)
                if progress is not None:
                    progress(i, total, f"{spec} {mdl} seed {seed}: test {rec['test_loss']:.4g}")
    return data


def training_floors(train_path, path, *, progress=None) -> dict:
    """The best loss a width-``hidden`` linear RNN can reach on each training target.

    The test loss of the training runs is the mean over steps ``k < T`` of
    ``E (y_k - y_hat_k)^2 = (1/dt) sum_{j <= k} (w_j - w_hat_j)^2`` (zero
    initial state), i.e. ``dt sum_j c_j (rho(j dt) - rho_hat(j dt))^2`` with
    ``c_j = (T - j)/T``. ``floor_real`` minimises that over sums of ``hidden``
    exponentials with real positive rates (:func:`best_exponential_sum` on that
    grid): an **upper bound** on the best loss of the diagonal model, hence
    also of the dense linear cell (whose kernels include those) and of the tanh
    cell (whose closure includes linear cells: ``tanh(eps x)/eps -> x``). A run
    is called *stalled* only when its loss is above ``floor_real`` (by 2%); below
    it, nothing is claimed. ``floor_continuous`` is the free-rate bound of the
    continuous white-noise loss, for reference.

    Parameters
    ----------
    train_path : str or pathlib.Path
        The result of :func:`training_experiment` (kind ``'memory-train'``).
    path : str or pathlib.Path
        The JSON result file of the floors (resumable: one record per
        ``(kernel, hidden, T, dt)`` of the training runs, written after each).
    progress : callable, optional
        ``progress(done, total, kernel)`` after every record.

    Returns
    -------
    dict
        The result (kind ``'memory-floors'``); each record holds ``kernel``,
        ``hidden``, ``T``, ``dt``, ``floor_real`` (and ``floor_real_by_m`` for
        ``1 .. hidden`` exponentials), ``floor_continuous`` and ``rates``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.errors import SpecError
    >>> from tnrnn.linear_rnn._store import new_result, save_result
    >>> with tempfile.TemporaryDirectory() as d:
    ...     train = save_result(pathlib.Path(d) / "train.json", new_result("memory-train", {}))
    ...     floors = training_floors(train, pathlib.Path(d) / "floors.json")
    ...     other = save_result(pathlib.Path(d) / "rates.json", new_result("memory-rates", {}))
    ...     try:  # another experiment's result is no training result
    ...         training_floors(other, pathlib.Path(d) / "floors.json")
    ...     except SpecError as exc:
    ...         print("holds a 'memory-rates' result, not 'memory-train'" in str(exc))
    True
    >>> floors["kind"], floors["records"]
    ('memory-floors', [])
    """
    from ._store import load_result, resume_result, save_result
    from .bestsum import best_exponential_sum

    train = load_result(train_path, "memory-train")
    cfg = {"train_file": str(train_path), "stall_margin": 0.02}
    data = resume_result(path, "memory-floors", cfg)
    done = {(r["kernel"], r["hidden"], r["T"], r["dt"]) for r in data["records"]}
    keys = sorted({(r["kernel"], r["hidden"], r["T"], r["dt"]) for r in train["records"]})
    for i, (spec, hidden, T, dt) in enumerate(keys):
        if (spec, hidden, T, dt) in done:
            continue
        j = np.arange(T)
        grid = (j * dt, dt * (T - j) / T)
        b = best_exponential_sum(spec, hidden, grid=grid, l1=False, starts=6)
        c = best_exponential_sum(spec, hidden, l1=False, starts=6)
        data["records"].append({"kernel": spec, "hidden": hidden, "T": T, "dt": dt,
                                "floor_real": b.l2_sq_error[-1],
                                "floor_real_by_m": b.l2_sq_error,
                                "floor_continuous": c.l2_sq_error[-1],
                                "rates": b.rates[-1]})
        save_result(path, data)
        if progress is not None:
            progress(i + 1, len(keys), spec)
    return data
