"""Experiment 2 of Ribeiro et al. (2020), reduced: networks trained from
scratch, with the dynamics of every checkpoint.

Two tasks, as in the paper's code:

* **sine generator** (``sine_generator.py``): an LSTM with a linear readout
  gets a constant input ``omega`` (a frequency in ``[pi/16, pi/8]``) and must
  output ``sin(omega (k + 1))`` at step ``k``. An oscillation from a constant
  input needs a limit cycle: the network has to leave the contracting
  region, where the only attractors are fixed points.
* **sequence classification** (``sequence_classification.py``): one-hot
  sequences of length 200 over 2 relevant symbols and 4 distractors; a
  relevant symbol sits in positions 9-18 and another in 39-48; the class
  (4 of them) is the pair, read out at the last step: the network must hold
  two symbols for ~150 steps against distractors.

Training runs the package's one loop, :func:`tnrnn.train.train_steps`, with
the optax update of :func:`tnrnn.train.make_update` (Adam with a multi-step
schedule after gradient-norm clipping at the paper's 0.25) and the losses of
:mod:`tnrnn.train` (mean squared error, cross-entropy); a callback keeps the
checkpoints. The model is tnrnn.cells' ``"lstm"`` step function with a
linear readout at every step.

Every checkpoint is analysed: orbit diagrams of the readout under constant
inputs, ``lambda_max`` per input from the zero state, the LSTM Lipschitz
bound, the empirical ``sup ||Df||`` along the orbit, and the sharpness of
the training loss.
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import SpecError, check_positive_int
from ._core import as_inputs, check_float, check_seed, flat_map, x64
from .landscape import sharpness_core
from .lipschitz import cell_map, lipschitz_bound
from .lyapunov import largest_lyapunov_core
from .orbit import orbit_diagram, stack_params

__all__ = ["sine_data", "seqclass_data", "train_lstm", "analyse_checkpoints",
           "sine_experiment", "seqclass_experiment"]


def sine_data(n_sequences: int = 20, seq_len: int = 200, min_freq: float = math.pi / 16,
              max_freq: float = math.pi / 8):
    """Inputs ``(n, T, 1)`` (the frequency, constant) and targets ``(n, T, 1)``
    ``sin(omega (k + 1))``, as the paper's ``data_generator`` (float64).

    Parameters
    ----------
    n_sequences, seq_len : int
        Sequences (one frequency each) and their steps ``T``.
    min_freq, max_freq : float
        The frequencies ``omega``, evenly spaced between these.

    Returns
    -------
    u : numpy.ndarray
        ``(n, T, 1)``: ``omega`` at every step.
    y : numpy.ndarray
        ``(n, T, 1)``: ``sin(omega (k + 1))`` at step ``k``.
    freqs : numpy.ndarray
        ``(n,)``: the frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> u, y, freqs = sine_data(3, 5)
    >>> u.shape, y.shape, bool(np.all(u[:, :, 0] == freqs[:, None]))
    ((3, 5, 1), (3, 5, 1), True)
    >>> k = np.arange(5)
    >>> bool(np.allclose(y[:, :, 0], np.sin(np.outer(freqs, k + 1)), rtol=0, atol=1e-14))
    True
    """
    n_sequences = check_positive_int("n_sequences", n_sequences)
    seq_len = check_positive_int("seq_len", seq_len)
    min_freq, max_freq = check_float("min_freq", min_freq), check_float("max_freq", max_freq)
    freqs = np.linspace(min_freq, max_freq, n_sequences)
    u = np.repeat(freqs[:, None, None], seq_len, axis=1)
    y = np.sin(np.cumsum(u, axis=1))
    return u, y, freqs


def seqclass_data(n_sequences: int = 500, seq_len: int = 200, *, n_symbols: int = 2,
                  n_distractors: int = 4, starts=(9, 39), width: int = 10, seed: int = 2):
    """One-hot inputs ``(n, T, n_symbols + n_distractors)`` and classes ``(n,)``,
    as the paper's ``data_generator`` (``numpy.random.default_rng(seed)``).

    Every step holds a random distractor, except one position drawn in each
    window ``[s, s + width)`` (``s`` in ``starts``), which holds a relevant
    symbol; the class is the symbols read as digits in base ``n_symbols``
    (first window most significant).

    Parameters
    ----------
    n_sequences, seq_len : int
        Sequences and their steps ``T`` (the windows must fit in ``T``).
    n_symbols, n_distractors : int
        Relevant symbols (one-hot channels ``0 .. n_symbols - 1``), then
        distractors (the channels after them).
    starts : sequence of int
        Where each window begins (one relevant symbol per window).
    width : int
        The windows' width.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    u : numpy.ndarray
        ``(n, T, n_symbols + n_distractors)``, one-hot at every step (float64).
    y : numpy.ndarray
        ``(n,)`` int64 classes in ``[0, n_symbols ** len(starts))``.

    Examples
    --------
    >>> import numpy as np
    >>> u, y = seqclass_data(8, 60)
    >>> u.shape, bool(np.all(u.sum(axis=2) == 1))
    ((8, 60, 6), True)
    >>> # the class is read back from the relevant symbols of the two windows
    >>> sym = u[:, :, :2].argmax(axis=2)  # symbol where a relevant one sits
    >>> first = np.where(u[:, 9:19, :2].any(axis=2), sym[:, 9:19], 0).sum(axis=1)
    >>> second = np.where(u[:, 39:49, :2].any(axis=2), sym[:, 39:49], 0).sum(axis=1)
    >>> bool(np.all(y == 2 * first + second))
    True
    >>> seqclass_data(4, 40)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: seq_len 40 is too short for the windows starts=(9, 39), width=10: it must be at least 49
    """
    n_sequences = check_positive_int("n_sequences", n_sequences)
    seq_len = check_positive_int("seq_len", seq_len)
    n_symbols = check_positive_int("n_symbols", n_symbols)
    n_distractors = check_positive_int("n_distractors", n_distractors)
    width = check_positive_int("width", width)
    starts = tuple(check_positive_int("starts", s_, minimum=0) for s_ in starts)
    seed = check_seed("seed", seed)
    if not starts:
        raise SpecError("starts must list at least one window start; got ()")
    if max(starts) + width > seq_len:
        raise SpecError(f"seq_len {seq_len} is too short for the windows starts={starts}, "
                        f"width={width}: it must be at least {max(starts) + width}")
    rng = np.random.default_rng(seed)
    m = n_symbols + n_distractors
    u = np.zeros((n_sequences, seq_len, m))
    u[np.arange(n_sequences)[:, None], np.arange(seq_len)[None, :],
      n_symbols + rng.integers(n_distractors, size=(n_sequences, seq_len))] = 1.0
    y = np.zeros(n_sequences, dtype=np.int64)
    for i, s in enumerate(starts):
        pos = rng.integers(s, s + width, size=n_sequences)
        sym = rng.integers(n_symbols, size=n_sequences)
        u[np.arange(n_sequences), pos, :] = 0.0
        u[np.arange(n_sequences), pos, sym] = 1.0
        y = y + sym * n_symbols ** (len(starts) - i - 1)
    return u, y


def _predict(hidden):
    """``predict(params, U) -> (n, T, K)``: the readout at every step."""
    from ..cells import get_cell

    cell = get_cell("lstm")

    def predict(params, U):
        def run(us):
            def body(state, u):
                state = cell.step(params["cell"], state, u)
                return state, state[0]

            z = jnp.zeros(hidden, us.dtype)
            _, hs = jax.lax.scan(body, (z, z), us)
            return hs @ params["readout"]["W_O"].T + params["readout"]["b_O"]

        return jax.vmap(run)(U)

    return predict


def _batch_loss(task: str, hidden: int):
    """``loss(params, U, Y)``: mean squared error of every step (sine) or
    cross-entropy of the last step (sequence classification)."""
    from ..train import cross_entropy, mean_squared_error

    predict = _predict(hidden)
    if task == "sine":
        return lambda p, Ub, Yb: mean_squared_error(predict(p, Ub), Yb)
    return lambda p, Ub, Yb: cross_entropy(predict(p, Ub)[:, -1, :], Yb)


def _task_loss(task: str, hidden: int, U, Y):
    loss = _batch_loss(task, hidden)
    Uj, Yj = jnp.asarray(U), jnp.asarray(Y)
    return lambda p: loss(p, Uj, Yj)


def _check_task_data(task: str, U, Y, outputs):
    """``(U, Y)`` as numpy arrays that fit ``task`` (a :class:`SpecError` otherwise)."""
    if task not in ("sine", "seqclass"):
        raise SpecError(f"task must be 'sine' or 'seqclass'; got {task!r}")
    outputs = check_positive_int("outputs", outputs)
    U, Y = np.asarray(U), np.asarray(Y)
    if U.ndim != 3 or 0 in U.shape or not np.issubdtype(U.dtype, np.number):
        raise SpecError(f"U must be a numeric array (n, T, I) of inputs; got shape {U.shape}")
    n, T = U.shape[:2]
    if task == "sine" and Y.shape != (n, T, outputs):
        raise SpecError(f"Y must have shape (n, T, outputs) = {(n, T, outputs)} for task "
                        f"'sine'; got {Y.shape}")
    if task == "seqclass" and (Y.shape != (n,) or not np.issubdtype(Y.dtype, np.integer)
                               or Y.min() < 0 or Y.max() >= outputs):
        raise SpecError(f"Y must hold the {n} classes (integers in [0, {outputs})) for task "
                        f"'seqclass'; got shape {Y.shape}, dtype {Y.dtype}")
    if not (np.all(np.isfinite(U)) and np.all(np.isfinite(Y))):
        raise SpecError("U or Y contains NaN or infinity")
    return U, Y


def train_lstm(task: str, U, Y, *, outputs: int, hidden: int = 16, steps: int = 3000,
               lr: float = 3e-3, clip: float = 0.25, batch: int | None = None,
               checkpoint_every: int = 100, milestones=(1000, 2000), gamma: float = 0.3,
               seed: int = 2, progress=None) -> dict:
    """Train an LSTM + linear readout on ``(U, Y)``; keep checkpoints.

    Adam with learning rate ``lr``, multiplied by ``gamma`` at each of the
    ``milestones`` (the paper's multi-step schedule, shortened), after
    clipping the gradient norm to ``clip``; ``batch`` sequences per step
    drawn from ``default_rng(seed)`` (the whole set if None). Checkpoint 0
    is the initial weights, then every ``checkpoint_every`` steps. Float64
    throughout; the loop is :func:`tnrnn.train.train_steps`.

    Parameters
    ----------
    task : {'sine', 'seqclass'}
        ``'sine'``: mean squared error of the readout at every step
        (:func:`sine_data`); ``'seqclass'``: cross-entropy of the readout at
        the last step (:func:`seqclass_data`).
    U : numpy.ndarray
        Inputs ``(n, T, I)``.
    Y : numpy.ndarray
        Targets: ``(n, T, outputs)`` for ``'sine'``, classes ``(n,)`` in
        ``[0, outputs)`` for ``'seqclass'``.
    outputs, hidden, steps : int
        Width of the readout, LSTM units ``H``, optimiser steps.
    lr, clip : float
        Adam's learning rate; bound of the gradient's global norm.
    batch : int or None
        Sequences per step (``None``: all ``n``).
    checkpoint_every : int
        Steps between checkpoints.
    milestones, gamma : sequence of int, float
        The learning rate is multiplied by ``gamma`` at each milestone step.
    seed : int
        Seed of the weights (tnrnn.cells' ``"lstm"`` initialisation and the
        readout) and of the batches.
    progress : callable, optional
        ``progress(step, steps)`` at every checkpoint.

    Returns
    -------
    dict
        ``history`` (the batch loss of every step), ``checkpoints`` (a list of
        ``(step, params, full training loss)``, ``params`` a dict of numpy
        arrays ``{"cell": {...}, "readout": {"W_O", "b_O"}}``), and the
        settings (``task``, ``hidden``, ``outputs``, ``lr``, ``clip``,
        ``batch``, ``milestones``, ``gamma``, ``seed``).

    Examples
    --------
    Inputs are checked before any work (training compiles for seconds):

    >>> U, Y, _ = sine_data(4, 10)
    >>> train_lstm("sine", U, Y[:, :, 0], outputs=1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: Y must have shape (n, T, outputs) = (4, 10, 1) for task 'sine'; got (4, 10)
    >>> train_lstm("regression", U, Y, outputs=1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: task must be 'sine' or 'seqclass'; got 'regression'
    """
    U, Y = _check_task_data(task, U, Y, outputs)
    hidden = check_positive_int("hidden", hidden)
    steps = check_positive_int("steps", steps)
    checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
    lr, clip = check_float("lr", lr, positive=True), check_float("clip", clip, positive=True)
    gamma = check_float("gamma", gamma, positive=True)
    seed = check_seed("seed", seed)
    milestones = tuple(check_positive_int("milestones", k, minimum=0) for k in milestones)
    rng = np.random.default_rng(seed)
    m = U.shape[2]
    n = U.shape[0]
    if batch is not None:
        batch = check_positive_int("batch", batch)
        if batch > n:
            raise SpecError(f"batch must be at most the {n} sequences of U; got {batch}")
    import optax

    from ..cells import init_cell
    from ..train import make_update, train_steps

    with x64():
        params = {"cell": {k: np.asarray(v, np.float64)
                           for k, v in init_cell("lstm", input_dim=m, hidden=hidden,
                                                 seed=seed).items()},
                  "readout": {"W_O": rng.uniform(-1, 1, (outputs, hidden)) / math.sqrt(hidden),
                              "b_O": np.zeros(outputs)}}
        params = jax.tree_util.tree_map(jnp.asarray, params)
        full_jit = jax.jit(_task_loss(task, hidden, U, Y))
        sched = optax.piecewise_constant_schedule(lr, {int(k): gamma for k in milestones})
        opt = optax.chain(optax.clip_by_global_norm(clip), optax.adam(sched))
        update = make_update(_batch_loss(task, hidden), opt)

        def batches(s):  # drawn in step order from one generator, as the paper's loop
            idx = np.arange(n) if batch is None else rng.choice(n, size=batch, replace=False)
            return jnp.asarray(U[idx]), jnp.asarray(Y[idx])

        history = []
        ckpts = [(0, jax.tree_util.tree_map(np.asarray, params), float(full_jit(params)))]

        def record(st):
            history.append(float(st.loss))
            if st.step % checkpoint_every == 0:
                ckpts.append((st.step, jax.tree_util.tree_map(np.asarray, st.params),
                              float(full_jit(st.params))))
                if progress is not None:
                    progress(st.step, steps)

        train_steps(params, update, batches, steps=steps, opt_state=opt.init(params),
                    callbacks=[record])
    return {"task": task, "history": history, "checkpoints": ckpts, "hidden": hidden,
            "outputs": outputs, "lr": lr, "clip": clip, "batch": batch,
            "milestones": list(milestones), "gamma": gamma, "seed": seed}


def analyse_checkpoints(train: dict, U, Y, u_values, *, n_init: int = 4,
                        init_std: float = 100.0, orbit_steps: int = 100,
                        orbit_burn: int = 1500, lyap_steps: int = 2000, lyap_burn: int = 1000,
                        hessian_iters: int = 20, input_radius: float = 1.0,
                        seed: int = 0) -> dict:
    """Dynamics at every checkpoint of :func:`train_lstm`.

    Orbit diagrams of the readout under the constant inputs ``u_values``
    from ``n_init`` random states (std ``init_std``); ``lambda_max`` under
    each input from the zero state; the LSTM Lipschitz bound (inputs with
    ``||u||_inf <= input_radius``); the empirical sup ``||Df||`` over 300
    steps from the zero state; the sharpness and gradient norm of the full
    training loss. Each analysis is one compiled program for all checkpoints
    (their weights stacked, ``jax.vmap`` over checkpoints, inputs and starting
    states), not one per checkpoint.

    Parameters
    ----------
    train : dict
        The record of :func:`train_lstm` (``task``, ``hidden``,
        ``checkpoints``).
    U, Y : numpy.ndarray
        The training data, for the loss whose sharpness is taken.
    u_values : array_like
        Constant inputs ``(n_u, I)`` of the orbit diagrams and exponents.
    n_init, init_std : int, float
        Random starting states per orbit diagram, and their standard deviation.
    orbit_steps, orbit_burn : int
        Orbit steps kept, after ``orbit_burn`` discarded.
    lyap_steps, lyap_burn : int
        Steps of the ``lambda_max`` estimate, after ``lyap_burn`` discarded.
    hessian_iters : int
        Power-iteration steps of the sharpness.
    input_radius : float
        Bound of ``||u||_inf`` in the Lipschitz bound.
    seed : int
        Seed of the starting states; checkpoint ``i``'s power iteration
        starts from ``PRNGKey(seed + i)``.

    Returns
    -------
    dict
        Per checkpoint: ``steps``, ``loss``, ``orbit_y`` (the readout's orbit,
        shape ``orbit_shape`` = ``(P, n_init, n_u, orbit_steps, outputs)``),
        ``lyapunov_max`` and ``sup_norm`` (``(P, n_u)``), ``bound``,
        ``sharpness``, ``grad_norm``; and the settings.

    Examples
    --------
    The record and the inputs are checked before any work (the analysis
    compiles for seconds):

    >>> import numpy as np
    >>> U, Y, _ = sine_data(4, 10)
    >>> analyse_checkpoints({"task": "sine", "hidden": 2}, U, Y, [[0.2]])
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: train must be the record of train_lstm (keys task, hidden, checkpoints); got keys ['hidden', 'task']
    """
    if not isinstance(train, dict) or not {"task", "hidden", "checkpoints"} <= set(train):
        raise SpecError("train must be the record of train_lstm (keys task, hidden, "
                        "checkpoints); got "
                        + (f"keys {sorted(train)}" if isinstance(train, dict)
                           else type(train).__name__))
    if not train["checkpoints"]:
        raise SpecError("train has no checkpoints")
    outputs = np.shape(train["checkpoints"][0][1]["readout"]["W_O"])[0]
    U, Y = _check_task_data(train["task"], U, Y, outputs)
    u_arr = np.asarray(u_values, dtype=np.float64) if np.ndim(u_values) == 2 else None
    if u_arr is None or u_arr.shape[1] != U.shape[2] or u_arr.shape[0] == 0:
        raise SpecError(f"u_values must be constant inputs (n_u, I) with I = {U.shape[2]} "
                        f"(the width of U); got shape {np.shape(u_values)}")
    for name, v in (("n_init", n_init), ("orbit_steps", orbit_steps),
                    ("lyap_steps", lyap_steps), ("hessian_iters", hessian_iters)):
        check_positive_int(name, v)
    for name, v in (("orbit_burn", orbit_burn), ("lyap_burn", lyap_burn)):
        check_positive_int(name, v, minimum=0)
    check_float("init_std", init_std, minimum=0.0)
    check_float("input_radius", input_radius, minimum=0.0)
    check_seed("seed", seed)
    hidden = train["hidden"]
    steps_, params, losses = zip(*train["checkpoints"])
    u_values = np.asarray(u_values, dtype=np.float64)
    cells = stack_params([p["cell"] for p in params])
    od = orbit_diagram(lambda p: cell_map("lstm", p)[0], cells, u_values=u_values,
                       n_init=n_init, init_std=init_std, steps=orbit_steps, burn=orbit_burn,
                       dim=2 * hidden, seed=seed)  # (P, n_init, n_u, steps, 2H)
    y = np.stack([od[i, ..., :hidden] @ np.asarray(params[i]["readout"]["W_O"]).T
                  + np.asarray(params[i]["readout"]["b_O"]) for i in range(len(params))])
    inp = as_inputs(None, None, None)
    with x64():
        def per_ckpt_u(pc, w):
            f, _ = cell_map("lstm", pc)
            g = flat_map(lambda x: f(x, w), False, False)
            lam = largest_lyapunov_core(g, jnp.zeros(2 * hidden), None, lyap_burn, lyap_steps, inp)

            def body(carry, _):
                x, best = carry
                x = g(x, None)
                n = jnp.linalg.norm(jax.jacfwd(lambda s: g(s, None))(x), 2)
                return (x, jnp.maximum(best, n)), None

            (_, sup), _ = jax.lax.scan(body, (jnp.zeros(2 * hidden), 0.0), None, length=300)
            return lam, sup

        lam, sup = jax.jit(jax.vmap(jax.vmap(per_ckpt_u, in_axes=(None, 0)), in_axes=(0, None)))(
            jax.tree_util.tree_map(jnp.asarray, cells), jnp.asarray(u_values))
        from jax.flatten_util import ravel_pytree

        loss = _task_loss(train["task"], hidden, U, Y)
        # one program for every checkpoint: the flat weights stacked (P, n), one key each
        # (PRNGKey(seed + i), as one call per checkpoint would draw)
        flats = [ravel_pytree(jax.tree_util.tree_map(jnp.asarray, p)) for p in params]
        unravel = flats[0][1]
        keys = jnp.stack([jax.random.PRNGKey(seed + i) for i in range(len(params))])
        lam_h, gn = jax.jit(jax.vmap(lambda t, k: sharpness_core(
            lambda z: loss(unravel(z)), t, hessian_iters, k)))(
            jnp.stack([f for f, _ in flats]), keys)
        sharp = list(zip(np.asarray(lam_h).tolist(), np.asarray(gn).tolist()))
    bounds = [lipschitz_bound("lstm", p["cell"], input_radius=input_radius).value
              for p in params]
    return {"steps": list(steps_), "loss": list(losses), "u_values": u_values.tolist(),
            "orbit_y": y.tolist(), "orbit_shape": list(y.shape),
            "lyapunov_max": np.asarray(lam).tolist(), "sup_norm": np.asarray(sup).tolist(),
            "bound": bounds, "input_radius": input_radius,
            "sharpness": [s[0] for s in sharp], "grad_norm": [s[1] for s in sharp],
            "n_init": n_init, "init_std": init_std, "orbit_steps": orbit_steps,
            "orbit_burn": orbit_burn, "lyap_steps": lyap_steps, "lyap_burn": lyap_burn,
            "hessian_iters": hessian_iters}


def _meta(tr: dict) -> dict:
    return {k: tr[k] for k in ("hidden", "lr", "clip", "batch", "milestones", "gamma", "seed")} | {
        "optimizer": "optax adam (multi-step schedule) after clip_by_global_norm",
        "history": tr["history"]}


def sine_experiment(*, hidden: int = 16, steps: int = 3000, checkpoint_every: int = 100,
                    seed: int = 2, quick: bool = False, progress=None) -> dict:
    """Train the sine generator and analyse its checkpoints (experiment 2a).

    20 sequences of 200 steps (:func:`sine_data`), frequencies in
    ``[pi/16, pi/8]``; :func:`train_lstm` then :func:`analyse_checkpoints`
    under 10 constant frequencies.

    Parameters
    ----------
    hidden, steps, checkpoint_every : int
        LSTM units, training steps, steps between checkpoints.
    seed : int
        Seed of the weights.
    quick : bool
        A small run for tests (8 units, 60 steps, 6 sequences of 60 steps,
        short analyses); ``hidden``, ``steps`` and ``checkpoint_every`` are
        then ignored.
    progress : callable, optional
        ``progress(step, steps)`` at every checkpoint.

    Returns
    -------
    dict
        ``experiment``, ``model``, ``task`` (descriptions), ``training`` (the
        settings and loss history), ``checkpoints`` (the analysis) and
        ``seconds``.

    Examples
    --------
    >>> sine_experiment(hidden=0)  # checked before any work
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: hidden must be an integer >= 1; got 0
    """
    t0 = time.perf_counter()
    if quick:
        hidden, steps, checkpoint_every = 8, 60, 20
    hidden = check_positive_int("hidden", hidden)
    steps = check_positive_int("steps", steps)
    checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
    seed = check_seed("seed", seed)
    U, Y, freqs = sine_data(6 if quick else 20, 60 if quick else 200)
    tr = train_lstm("sine", U, Y, outputs=1, hidden=hidden, steps=steps,
                    checkpoint_every=checkpoint_every, seed=seed, progress=progress)
    omegas = np.linspace(math.pi / 16, math.pi / 8, 3 if quick else 10)
    an = analyse_checkpoints(tr, U, Y, omegas[:, None], n_init=2 if quick else 4,
                             orbit_steps=50 if quick else 100, orbit_burn=100 if quick else 1500,
                             lyap_steps=200 if quick else 2000, lyap_burn=100 if quick else 1000,
                             hessian_iters=5 if quick else 20, input_radius=math.pi / 8)
    return {"experiment": "sine-generator",
            "model": f"LSTM ({tr['hidden']} units, tnrnn.cells 'lstm') + linear readout",
            "task": f"constant input omega in [pi/16, pi/8] ({len(freqs)} sequences of "
                    f"{U.shape[1]} steps), target sin(omega (k + 1)), mean squared error",
            "training": _meta(tr), "checkpoints": an, "seconds": time.perf_counter() - t0}


def seqclass_experiment(*, hidden: int = 16, steps: int = 2000, checkpoint_every: int = 100,
                        seq_len: int = 200, n_sequences: int = 500, batch: int = 50,
                        seed: int = 2, quick: bool = False, progress=None) -> dict:
    """Train the sequence classifier and analyse its checkpoints (experiment 2b).

    :func:`seqclass_data` (4 classes, windows 9-18 and 39-48),
    :func:`train_lstm` with the learning rate cut by 0.3 at half the steps,
    then :func:`analyse_checkpoints` under each one-hot input.

    Parameters
    ----------
    hidden, steps, checkpoint_every : int
        LSTM units, training steps, steps between checkpoints.
    seq_len, n_sequences, batch : int
        Steps per sequence (at least 49, to hold the windows), training
        sequences, sequences per step (at most ``n_sequences``).
    seed : int
        Seed of the data and the weights.
    quick : bool
        A small run for tests (8 units, 40 steps, 40 sequences of 60 steps,
        batch 20); the sizes given are then ignored.
    progress : callable, optional
        ``progress(step, steps)`` at every checkpoint.

    Returns
    -------
    dict
        As :func:`sine_experiment`, with ``final_train_accuracy`` (of the
        last checkpoint, on the training set).

    Examples
    --------
    >>> seqclass_experiment(n_sequences=40, batch=50)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: batch must be at most n_sequences = 40; got 50
    """
    t0 = time.perf_counter()
    if quick:
        hidden, steps, checkpoint_every, seq_len, n_sequences, batch = 8, 40, 20, 60, 40, 20
    hidden = check_positive_int("hidden", hidden)
    steps = check_positive_int("steps", steps)
    checkpoint_every = check_positive_int("checkpoint_every", checkpoint_every)
    n_sequences = check_positive_int("n_sequences", n_sequences)
    batch = check_positive_int("batch", batch)
    if batch > n_sequences:
        raise SpecError(f"batch must be at most n_sequences = {n_sequences}; got {batch}")
    seed = check_seed("seed", seed)
    U, Y = seqclass_data(n_sequences, seq_len, seed=seed)
    tr = train_lstm("seqclass", U, Y, outputs=4, hidden=hidden, steps=steps, batch=batch,
                    checkpoint_every=checkpoint_every, milestones=(steps // 2,), gamma=0.3,
                    seed=seed, progress=progress)
    an = analyse_checkpoints(tr, U, Y, np.eye(U.shape[2]), n_init=2 if quick else 4,
                             orbit_steps=20 if quick else 50, orbit_burn=100 if quick else 400,
                             lyap_steps=200 if quick else 2000, lyap_burn=100 if quick else 1000,
                             hessian_iters=5 if quick else 20, input_radius=1.0)
    acc = _accuracy(tr, U, Y)
    return {"experiment": "sequence-classification",
            "model": f"LSTM ({tr['hidden']} units, tnrnn.cells 'lstm') + linear readout",
            "task": f"{n_sequences} one-hot sequences of length {seq_len}: 2 relevant symbols "
                    "(positions 9-18 and 39-48) among 4 distractors, 4 classes, cross-entropy "
                    "at the last step (chance: ln 4 = 1.386)",
            "training": _meta(tr), "final_train_accuracy": acc, "checkpoints": an,
            "seconds": time.perf_counter() - t0}


def _accuracy(tr, U, Y) -> float:
    predict = _predict(tr["hidden"])
    p = tr["checkpoints"][-1][1]
    with x64():
        logits = np.asarray(jax.jit(predict)(jax.tree_util.tree_map(jnp.asarray, p),
                                             jnp.asarray(U)))[:, -1, :]
    return float(np.mean(np.argmax(logits, axis=1) == Y))
