"""The smoothness paper's own setups, value by value from its public code.

Ribeiro, Tiels, Aguirre, Schoen, "Beyond exploding and vanishing gradients:
analysing RNN training using attractors and smoothness" (AISTATS 2020);
code: antonior92/attractors-and-smoothness-RNN (PyTorch). This module holds
the models (LSTM, the stabilised LSTM of Miller and Hardt, expRNN), their
initialisations as PyTorch draws them (from numpy's generator instead of
torch's), the data of the sine generator and of the sequence
classification, the losses (sums, as ``reduction="sum"``) and one jitted
training step: Adam after clipping the gradient norm over all parameters,
the learning rate of the epoch passed in (PyTorch's ``MultiStepLR`` is
stepped per epoch), and the Miller-Hardt projection after every step for the
stabilised LSTM.

:mod:`tnrnn.dynamics.paper_runs` runs them resumably and analyses the
checkpoints.

Departures from the authors' code (stated beside every result):

* random numbers from ``numpy.random.default_rng(seed)``, not torch's
  generator, so no run repeats a run of theirs draw for draw;
* PyTorch's ``clip_grad_norm_`` divides by ``norm + 1e-6``, optax's
  ``clip_by_global_norm`` by ``norm`` (a relative difference of 1e-6 / norm);
* expRNN: the paper's code calls an older expRNN
  (``OrthogonalRNN(input_size, hidden_size, K=100, init, 'exprnn')``, a
  submodule commit not in the fetched expRNN history); here the fetched
  expRNN's static ``exprnn`` parametrisation (base = I, ``B = expm(triu(A,
  1) - triu(A, 1)^T)``; ``K`` inferred to matter only for ``dtriv``), its
  ``henaff_init_`` and modReLU, trained by the same Adam as the rest;
  the gradient through ``expm`` is jax's autodiff inside ``jit`` where the
  old expRNN used its "parametrization trick" (the same gradient).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import SpecError

__all__ = ["MODELS", "SINE", "SEQCLASS", "MILLER_HARDT_SCALES", "init_model", "stabilize",
           "paper_stabilize_numpy", "sine_data", "seqclass_data", "forward", "make_train_step",
           "epoch_lr", "cell_params"]

#: The three models of the paper's contrast.
MODELS = ("lstm", "lstm-stable", "exprnn")

#: ``sine-generator/train.py`` defaults (epochs, seq_len, batch_size, n_sequences, lr,
#: clip_value, min/max_freq, gamma, milestones; orbit: n_sequences_orbit, seq_len_orbit,
#: burnout_orbit, std_orbit; hidden_size; ``generate_const_input``: 10 frequencies).
SINE = {"epochs": 10000, "seq_len": 400, "batch": 10, "n_sequences": 100, "lr": 1e-3,
        "clip": 0.25, "min_freq": math.pi / 16, "max_freq": math.pi / 8, "gamma": 0.1,
        "milestones": (500, 1000, 2000, 8000, 15000, 25000), "hidden": 200,
        "orbit_states": 4, "orbit_steps": 1600, "orbit_burn": 1200, "orbit_std": 100.0,
        "orbit_inputs": 10, "seed": 2}

#: ``sequence-classification/train.py`` defaults (hidden_size from ``MyRNN``); orbit:
#: n_sequences_orbit 10, seq_len_orbit 800, burnout_orbit 400, std_orbit 100, the
#: constant inputs ``eye(6)``.
SEQCLASS = {"epochs": 10000, "seq_len": 200, "batch": 100, "n_sequences": 1000, "lr": 1e-3,
            "clip": 0.25, "gamma": 0.25, "milestones": (500, 1000, 2000), "hidden": 50,
            "n_symbols": 2, "n_distractors": 4, "starts": (9, 39), "width": 10,
            "orbit_states": 10, "orbit_steps": 800, "orbit_burn": 400, "orbit_std": 100.0,
            "seed": 2}

#: ``rnn_wrap.stabilize_lstm``: l1 norm of every column of W_hi, W_hf, W_hg, W_ho, and of W_if.
MILLER_HARDT_SCALES = (0.395, 0.155, 0.099, 0.395, 0.25)


def _check_kind(kind):
    if kind not in MODELS:
        raise SpecError(f"model must be one of {', '.join(MODELS)}; got {kind!r}")
    return kind


def init_model(kind: str, input_dim: int, outputs: int, hidden: int, seed: int) -> dict:
    """Weights as PyTorch draws them for the paper's ``MyRNN`` (numpy generator).

    LSTM (and the stabilised one, which the authors' code first projects
    after the first step): every weight and both biases U(-k, k),
    ``k = 1/sqrt(H)`` (``b`` is ``b_ih + b_hh``, two draws); expRNN: the cell
    ``"exprnn"`` of tnrnn.cells (Kaiming-normal ``U``, henaff ``A``, modReLU
    bias U(-0.01, 0.01)) without its derived ``W``; readout ``nn.Linear``:
    ``W_O`` and ``b_O`` U(-k, k). float32, as the authors train.

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    input_dim, outputs, hidden : int
        Input width, readout width, units.
    seed : int
        Seed of the draws.

    Returns
    -------
    dict
        ``{"cell": {...}, "readout": {"W_O", "b_O"}}``, float32 arrays.

    Examples
    --------
    >>> p = init_model("exprnn", 1, 1, 4, seed=0)
    >>> sorted(p["cell"]), p["readout"]["W_O"].shape
    (['A', 'U', 'b'], (1, 4))
    """
    from ..cells import init_cell

    _check_kind(kind)
    rng = np.random.default_rng(seed)
    k = 1.0 / math.sqrt(hidden)
    if kind == "exprnn":
        cell = init_cell("exprnn", input_dim=input_dim, hidden=hidden, seed=seed)
        cell = {key: cell[key] for key in ("U", "A", "b")}
    else:
        u = lambda *shape: rng.uniform(-k, k, shape).astype(np.float32)  # noqa: E731
        cell = {"W_ih": u(4 * hidden, input_dim), "W_hh": u(4 * hidden, hidden)}
        cell["b"] = u(4 * hidden) + u(4 * hidden)
    rng2 = np.random.default_rng([seed, 1])
    return {"cell": {key: np.asarray(v, np.float32) for key, v in cell.items()},
            "readout": {"W_O": rng2.uniform(-k, k, (outputs, hidden)).astype(np.float32),
                        "b_O": rng2.uniform(-k, k, (outputs,)).astype(np.float32)}}


def _colscale(W, scale):
    return W * (scale / jnp.sum(jnp.abs(W), axis=0))


def stabilize(cell: dict) -> dict:
    """The authors' ``stabilize_lstm`` on an LSTM cell (jax; jittable).

    Every column of each gate block of ``W_hh`` (PyTorch's ``(4H, H)``
    layout, gates i, f, g, o) rescaled to l1 norm 0.395, 0.155, 0.099, 0.395
    (``torch.sum(torch.abs(wi), 0)`` sums over the rows, i.e. per column),
    and every column of the forget gate's ``W_ih`` block to 0.25. As in
    their code every column is set to that norm, up or down (a zero column
    gives NaN there and here).

    Parameters
    ----------
    cell : dict
        LSTM weights ``W_hh`` (4H, H), ``W_ih`` (4H, I), ``b``.

    Returns
    -------
    dict
        A new dict with the projected ``W_hh`` and ``W_ih`` (jax arrays).

    Examples
    --------
    >>> import numpy as np
    >>> p = stabilize({"W_hh": np.array([[1.0], [-2.0], [3.0], [4.0]]),
    ...                "W_ih": np.ones((4, 1)), "b": np.zeros(4)})
    >>> [round(float(v), 3) for v in np.asarray(p["W_hh"]).ravel()]
    [0.395, -0.155, 0.099, 0.395]
    >>> [round(float(v), 3) for v in np.asarray(p["W_ih"]).ravel()]
    [1.0, 0.25, 1.0, 1.0]
    """
    W_hh, W_ih = jnp.asarray(cell["W_hh"]), jnp.asarray(cell["W_ih"])
    H = W_hh.shape[1]
    blocks = [_colscale(W_hh[j * H:(j + 1) * H], s)
              for j, s in enumerate(MILLER_HARDT_SCALES[:4])]
    W_ih = W_ih.at[H:2 * H].set(_colscale(W_ih[H:2 * H], MILLER_HARDT_SCALES[4]))
    return dict(cell, W_hh=jnp.concatenate(blocks), W_ih=W_ih)


def paper_stabilize_numpy(W_hh, W_ih):
    """A line-by-line numpy transcription of the authors' ``stabilize_lstm``
    (``chunk(4, 0)``, ``x * s / torch.sum(torch.abs(x), 0)``), for tests.

    Parameters
    ----------
    W_hh, W_ih : array_like
        ``(4H, H)`` and ``(4H, I)``.

    Returns
    -------
    tuple of numpy.ndarray
        The projected ``W_hh`` and ``W_ih``, float64.

    Examples
    --------
    >>> W_hh, W_ih = paper_stabilize_numpy(np.arange(1.0, 9.0).reshape(8, 1), np.ones((8, 1)))
    >>> W_hh.shape, round(float(np.abs(W_hh[2:4]).sum()), 12), float(np.abs(W_ih[2:4]).sum())
    ((8, 1), 0.155, 0.25)
    """
    wi, wf, wz, wo = np.split(np.asarray(W_hh, np.float64), 4, axis=0)
    new_hh = np.concatenate([wi * 0.395 / np.sum(np.abs(wi), 0),
                             wf * 0.155 / np.sum(np.abs(wf), 0),
                             wz * 0.099 / np.sum(np.abs(wz), 0),
                             wo * 0.395 / np.sum(np.abs(wo), 0)], 0)
    ui, uf, uz, uo = np.split(np.asarray(W_ih, np.float64), 4, axis=0)
    new_ih = np.concatenate([ui, uf * 0.25 / np.sum(np.abs(uf), 0), uz, uo], 0)
    return new_hh, new_ih


def sine_data(n_sequences: int = 100, seq_len: int = 400, min_freq: float = math.pi / 16,
              max_freq: float = math.pi / 8):
    """``sine_generator.data_generator``, batch-major: inputs ``(n, T, 1)`` the
    constant frequency, targets ``sin(cumsum(u))``, float32, and the frequencies.

    Parameters
    ----------
    n_sequences, seq_len : int
        Sequences and their length.
    min_freq, max_freq : float
        The frequencies, evenly spaced between these.

    Returns
    -------
    tuple
        ``(u, y, freqs)``: ``(n, T, 1)`` inputs, ``(n, T, 1)`` targets,
        ``(n,)`` frequencies.

    Examples
    --------
    >>> u, y, f = sine_data(3, 5)
    >>> u.shape, bool(np.allclose(y[0, :, 0], np.sin(np.pi / 16 * np.arange(1, 6))))
    ((3, 5, 1), True)
    """
    freqs = np.linspace(min_freq, max_freq, n_sequences)
    u = np.repeat(freqs[:, None, None], seq_len, axis=1)
    y = np.sin(np.cumsum(u, axis=1))
    return u.astype(np.float32), y.astype(np.float32), freqs


def seqclass_data(n_sequences: int = 1000, seq_len: int = 200, *, n_symbols: int = 2,
                  n_distractors: int = 4, starts=(9, 39), width: int = 10, seed: int = 2):
    """``sequence_classification.data_generator`` draw for draw
    (``numpy.random.RandomState(seed)``, the same loop order), batch-major:
    one-hot inputs ``(n, T, n_symbols + n_distractors)`` float32 and classes.

    A relevant symbol sits at a position drawn from ``randint(s, s + width)``
    (positions 9-18 and 39-48 with the defaults); the class is the pair.

    Parameters
    ----------
    n_sequences, seq_len : int
        Sequences and their length.
    n_symbols, n_distractors : int
        Relevant symbols and distractors (the one-hot width is their sum).
    starts : sequence of int
        Where each relevant symbol's window begins.
    width : int
        The windows' width.
    seed : int
        Seed of ``numpy.random.RandomState``.

    Returns
    -------
    tuple
        ``(u, y)``: ``(n, T, n_symbols + n_distractors)`` float32 inputs and
        ``(n,)`` int64 classes in ``[0, n_symbols ** len(starts))``.

    Examples
    --------
    >>> u, y = seqclass_data(4, 60)
    >>> u.shape, bool(np.all(u.sum(axis=2) == 1)), set(y.tolist()) <= {0, 1, 2, 3}
    ((4, 60, 6), True, True)
    """
    rng = np.random.RandomState(seed)
    m = n_symbols + n_distractors
    u = np.zeros((seq_len, n_sequences, m))
    y = np.zeros(n_sequences, dtype=np.int64)
    for b in range(n_sequences):
        for t in range(seq_len):
            u[t, b, n_symbols + rng.randint(n_distractors)] = 1
        for i, s in enumerate(starts):
            pos = rng.randint(s, s + width)
            sym = rng.randint(n_symbols)
            y[b] = y[b] + sym * n_symbols ** (len(starts) - i - 1)
            u[pos, b, sym] = 1
            u[pos, b, n_symbols:] = 0
    return np.ascontiguousarray(np.swapaxes(u, 0, 1)).astype(np.float32), y


def cell_params(kind: str, cell: dict) -> dict:
    """A trained cell's weights in tnrnn.cells' layout (expRNN: ``W`` added,
    computed in jax, traceable).

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    cell : dict
        The cell's trained weights.

    Returns
    -------
    dict
        ``cell``, with ``W = expm(triu(A, 1) - triu(A, 1)^T)`` for expRNN.

    Examples
    --------
    >>> cell = {"W_hh": np.eye(4, 1), "W_ih": np.ones((4, 1)), "b": np.zeros(4)}
    >>> cell_params("lstm", cell) is cell  # an LSTM's weights are read as they are
    True
    """
    if kind == "exprnn":
        T = jnp.triu(jnp.asarray(cell["A"]), 1)
        return dict(cell, W=jax.scipy.linalg.expm(T - T.T))
    return cell


def _cell_name(kind):
    return "exprnn" if kind == "exprnn" else "lstm"


def forward(kind: str, params: dict, U, state0=None, *, every_step: bool = True):
    """Readout at every step (or at the last) from ``state0``, and the last state.

    Parameters
    ----------
    kind : str
        One of :data:`MODELS`.
    params : dict
        ``{"cell", "readout"}`` as :func:`init_model` makes them.
    U : array_like
        ``(B, T, I)`` inputs.
    state0 : array or tuple, optional
        The initial state (zero by default; an LSTM's is ``(h, c)``).
    every_step : bool
        Readout at every step (``(B, T, K)``) or at the last only (``(B, K)``).

    Returns
    -------
    tuple
        The readout and the last state.

    Examples
    --------
    >>> p = init_model("lstm", 1, 2, 3, seed=0)
    >>> y, (h, c) = forward("lstm", p, np.zeros((4, 5, 1), np.float32))
    >>> y.shape, h.shape
    ((4, 5, 2), (4, 3))
    """
    from ..cells import get_cell

    cell = get_cell(_cell_name(kind))
    p = cell_params(kind, params["cell"])
    U = jnp.asarray(U)
    if state0 is None:
        z = jnp.zeros((U.shape[0], params["readout"]["W_O"].shape[1]), U.dtype)
        state0 = (z, z) if kind != "exprnn" else z
    proj = cell.project(p, U)

    def body(s, u):
        s = cell.recur(p, s, u)
        return s, (cell.output(s) if every_step else None)

    last, hs = jax.lax.scan(body, state0, jnp.swapaxes(proj, 0, 1))
    r = params["readout"]
    if every_step:
        return jnp.swapaxes(hs @ r["W_O"].T + r["b_O"], 0, 1), last
    return cell.output(last) @ r["W_O"].T + r["b_O"], last


def loss_fn(task: str, kind: str):
    """The authors' summed loss of one batch: squared error summed over steps
    and sequences (sine), cross-entropy at the last step summed (classes)."""
    if task == "sine":
        def loss(params, U, Y):
            y, _ = forward(kind, params, U)
            return jnp.sum((y - Y) ** 2)
    elif task == "seqclass":
        def loss(params, U, Y):
            logits, _ = forward(kind, params, U, every_step=False)
            logp = jax.nn.log_softmax(logits)
            return -jnp.sum(jnp.take_along_axis(logp, Y[:, None], axis=1))
    else:
        raise SpecError(f"task must be 'sine' or 'seqclass'; got {task!r}")
    return loss


def epoch_lr(epoch: int, lr: float, milestones, gamma: float) -> float:
    """PyTorch ``MultiStepLR`` stepped once per epoch: the learning rate of
    epoch ``epoch`` (0-based) is ``lr gamma^(number of milestones <= epoch)``.

    Parameters
    ----------
    epoch : int
        The epoch, from 0.
    lr : float
        The initial learning rate.
    milestones : sequence of int
        Epochs at which the rate is multiplied by ``gamma``.
    gamma : float
        The factor.

    Returns
    -------
    float

    Examples
    --------
    >>> [f"{epoch_lr(e, 1e-3, (500, 1000), 0.1):.0e}" for e in (499, 500, 1000)]
    ['1e-03', '1e-04', '1e-05']
    """
    return float(lr * gamma ** sum(1 for m in milestones if m <= epoch))


def make_train_step(task: str, kind: str, clip: float):
    """``step(params, opt_state, U, Y, lr) -> (params, opt_state, loss)``, jitted,
    and the optimiser's ``init``: clip the global gradient norm at ``clip``
    (over every trained array), Adam (betas 0.9, 0.999, eps 1e-8, as
    ``torch.optim.Adam``) at the learning rate ``lr`` given per call, then,
    for ``"lstm-stable"``, the Miller-Hardt projection (:func:`stabilize`).

    Parameters
    ----------
    task : str
        ``'sine'`` or ``'seqclass'`` (the loss, :func:`loss_fn`).
    kind : str
        One of :data:`MODELS`.
    clip : float
        The global gradient-norm clip.

    Returns
    -------
    tuple
        ``(step, init)``: the jitted step and ``init(params) -> opt_state``.

    Examples
    --------
    >>> step, init = make_train_step("sine", "lstm", 0.25)
    >>> p = init_model("lstm", 1, 1, 3, seed=0)
    >>> callable(step), len(jax.tree_util.tree_leaves(init(p)))  # Adam: count, mu, nu
    (True, 11)
    >>> make_train_step("copy", "lstm", 0.25)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: task must be 'sine' or 'seqclass'; got 'copy'
    """
    import optax

    _check_kind(kind)
    opt = optax.chain(optax.clip_by_global_norm(clip), optax.scale_by_adam())
    loss = loss_fn(task, kind)

    @jax.jit
    def step(params, opt_state, U, Y, lr):
        val, g = jax.value_and_grad(loss)(params, U, Y)
        upd, opt_state = opt.update(g, opt_state, params)
        params = jax.tree_util.tree_map(lambda p, u: p - lr * u, params, upd)
        if kind == "lstm-stable":
            params = dict(params, cell=stabilize(params["cell"]))
        return params, opt_state, val

    return step, opt.init
