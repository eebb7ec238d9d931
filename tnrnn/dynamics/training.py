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
from ._checkpoints import analyse_checkpoints
from ._records import CheckpointAnalysis, TrainingExperiment
from ._core import check_float, check_seed, x64
from ._lstm_tasks import (LSTMTraining, _batch_loss, _check_task_data, _predict, _task_loss,
                          seqclass_data, sine_data)

__all__ = ["sine_data", "seqclass_data", "train_lstm", "LSTMTraining", "analyse_checkpoints",
           "CheckpointAnalysis", "sine_experiment", "seqclass_experiment", "TrainingExperiment"]


def train_lstm(task: str, U, Y, *, outputs: int, hidden: int = 16, steps: int = 3000,
               lr: float = 3e-3, clip: float = 0.25, batch: int | None = None,
               checkpoint_every: int = 100, milestones=(1000, 2000), gamma: float = 0.3,
               seed: int = 2, progress=None) -> LSTMTraining:
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
    LSTMTraining
        ``history`` (the batch loss of every step), ``checkpoints`` (a list of
        ``(step, params, full training loss)``, ``params`` a dict of numpy
        arrays ``{"cell": {...}, "readout": {"W_O", "b_O"}}``), and the
        settings (``task``, ``hidden``, ``outputs``, ``lr``, ``clip``,
        ``batch``, ``milestones``, ``gamma``, ``seed``); ``to_dict()`` is the
        dict the previous version returned.

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
    return LSTMTraining(task=task, history=history, checkpoints=ckpts, hidden=hidden,
                        outputs=outputs, lr=lr, clip=clip, batch=batch,
                        milestones=list(milestones), gamma=gamma, seed=seed)


def _meta(tr: LSTMTraining) -> dict:
    return {k: getattr(tr, k)
            for k in ("hidden", "lr", "clip", "batch", "milestones", "gamma", "seed")} | {
        "optimizer": "optax adam (multi-step schedule) after clip_by_global_norm",
        "history": tr.history}


def sine_experiment(*, hidden: int = 16, steps: int = 3000, checkpoint_every: int = 100,
                    seed: int = 2, quick: bool = False, progress=None) -> TrainingExperiment:
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
    TrainingExperiment
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
    return TrainingExperiment(
        experiment="sine-generator",
        model=f"LSTM ({tr.hidden} units, tnrnn.cells 'lstm') + linear readout",
        task=f"constant input omega in [pi/16, pi/8] ({len(freqs)} sequences of "
             f"{U.shape[1]} steps), target sin(omega (k + 1)), mean squared error",
        training=_meta(tr), final_train_accuracy=None, checkpoints=an,
        seconds=time.perf_counter() - t0)


def seqclass_experiment(*, hidden: int = 16, steps: int = 2000, checkpoint_every: int = 100,
                        seq_len: int = 200, n_sequences: int = 500, batch: int = 50,
                        seed: int = 2, quick: bool = False,
                        progress=None) -> TrainingExperiment:
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
    TrainingExperiment
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
    return TrainingExperiment(
        experiment="sequence-classification",
        model=f"LSTM ({tr.hidden} units, tnrnn.cells 'lstm') + linear readout",
        task=f"{n_sequences} one-hot sequences of length {seq_len}: 2 relevant symbols "
             "(positions 9-18 and 39-48) among 4 distractors, 4 classes, cross-entropy "
             "at the last step (chance: ln 4 = 1.386)",
        training=_meta(tr), final_train_accuracy=acc, checkpoints=an,
        seconds=time.perf_counter() - t0)


def _accuracy(tr: LSTMTraining, U, Y) -> float:
    predict = _predict(tr.hidden)
    p = tr.checkpoints[-1][1]
    with x64():
        logits = np.asarray(jax.jit(predict)(jax.tree_util.tree_map(jnp.asarray, p),
                                             jnp.asarray(U)))[:, -1, :]
    return float(np.mean(np.argmax(logits, axis=1) == Y))
