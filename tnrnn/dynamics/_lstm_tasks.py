"""The two tasks of :mod:`tnrnn.dynamics.training` and the model they train:
the data generators (sine generator, sequence classification), the LSTM with
a linear readout at every step, its losses, and the check of a task's data."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._results import Record
from ..errors import SpecError, check_positive_int
from ._core import check_float, check_seed


@dataclasses.dataclass(frozen=True, eq=False)
class LSTMTraining(Record):
    """What :func:`tnrnn.dynamics.training.train_lstm` returns: the loss
    history, the checkpoints and the settings of one training run.

    ``to_dict()`` gives the dict the previous version returned (the same
    keys and values). Reading it by key (``tr["history"]``) still works for
    one release, with a :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    task : str
        ``'sine'`` or ``'seqclass'``.
    history : list of float
        The batch loss of every step.
    checkpoints : list of tuple
        ``(step, params, full training loss)``; ``params`` a dict of numpy
        arrays ``{"cell": {...}, "readout": {"W_O", "b_O"}}``.
    hidden, outputs : int
        LSTM units and the readout's width.
    lr, clip : float
        Adam's learning rate; bound of the gradient's global norm.
    batch : int or None
        Sequences per step (``None``: all).
    milestones : list of int
        Steps at which the learning rate was multiplied by ``gamma``.
    gamma : float
    seed : int

    Examples
    --------
    >>> tr = LSTMTraining("sine", [0.5, 0.25], [], 4, 1, 3e-3, 0.25, None, [10], 0.3, 2)
    >>> tr.history[-1], tr.to_dict()["milestones"], sorted(tr.to_dict())[:3]
    (0.25, [10], ['batch', 'checkpoints', 'clip'])
    """

    task: str
    history: list
    checkpoints: list
    hidden: int
    outputs: int
    lr: float
    clip: float
    batch: int | None
    milestones: list
    gamma: float
    seed: int

    # the checkpoints hold numpy weights: two results are equal only when they are one
    __eq__ = object.__eq__
    __hash__ = object.__hash__


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
