"""The pieces of the smoothness paper's word-level language model, at any size.

The paper's third experiment (its ``word-language-model/``) trains an
800-unit LSTM (and expRNN) with 800-wide word embeddings on wikitext-2 and
draws orbit diagrams over training under constant inputs, each the
embedding of one word. This module has what that needs, for any
tnrnn.cells cell: an embedding in front of a stack (:func:`lm_init`,
:func:`lm_logits`), next-word training on the package's one loop that keeps checkpoints
(:func:`train_lm`), the cell driven by a word as a map
(:func:`embedding_map`), and orbit diagrams across the checkpoints
(:func:`lm_orbit_diagram`). Tested on tiny generated corpora; what the
paper's size takes is in ``docs/dynamics.md``.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from ._core import check_float, check_seed
from .._results import Record
from ..errors import SpecError, check_positive_int

__all__ = ["lm_init", "lm_logits", "lm_loss", "train_lm", "LMTraining", "embedding_map",
           "lm_orbit_diagram"]


@dataclasses.dataclass(frozen=True, eq=False)
class LMTraining(Record):
    """What :func:`train_lm` returns: the checkpoints and losses of one run.

    ``to_dict()`` gives the dict the previous version returned. Reading it by
    key (``res["losses"]``) still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    kind : str
        The cell kind.
    checkpoints : list of tuple
        ``(step, params)``; checkpoint 0 the initial weights.
    losses : list of float
        The batch loss of every step.
    vocab : int
    chance : float
        ``log(vocab)``, the loss of a uniform guess.

    Examples
    --------
    >>> r = LMTraining("lstm", [], [2.0, 1.5], 4, math.log(4))
    >>> r.losses[-1] < r.chance, sorted(r.to_dict())
    (False, ['chance', 'checkpoints', 'kind', 'losses', 'vocab'])
    """

    kind: str
    checkpoints: list
    losses: list
    vocab: int
    chance: float

    # the checkpoints hold numpy weights: two results are equal only when they are one
    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _materialise(kind: str, layer: dict) -> dict:
    """A layer as its recurrence reads it: expRNN's ``W = expm(skew A)`` in jax
    (traceable, so the gradient reaches ``A``)."""
    if kind == "exprnn":
        T = jnp.triu(jnp.asarray(layer["A"]), 1)
        return dict(layer, W=jax.scipy.linalg.expm(T - T.T))
    return layer


def _check_kind(kind):
    from ..cells import get_cell

    name = get_cell(kind).name
    if name == "scornn":
        raise SpecError("the language-model loop trains by autodiff inside jit; scornn's "
                        "Cayley update runs outside it (use tnrnn.train.fit for scornn)")
    return name


def lm_init(kind: str, *, vocab: int, embed: int, hidden: int, depth: int = 1,
            seed: int = 0) -> dict:
    """An embedding ``(vocab, embed)`` (N(0, 1), as ``nn.Embedding``) in front of
    a depth-``depth`` stack of ``kind`` cells with a ``vocab``-wide readout.

    Parameters
    ----------
    kind : str
        A tnrnn.cells cell kind (not ``'scornn'``, whose update runs outside jit).
    vocab : int
        Vocabulary size (>= 2).
    embed : int
        Embedding width (the cells' input dimension).
    hidden : int
        Units per layer.
    depth : int
        Layers.
    seed : int
        Seed of the cells' and the embedding's initialisation.

    Returns
    -------
    dict
        ``{"embedding": (vocab, embed), "layers": [...], "readout": {...}}``.

    Examples
    --------
    >>> p = lm_init("lstm", vocab=7, embed=3, hidden=4)
    >>> p["embedding"].shape, p["readout"]["W_O"].shape
    ((7, 3), (7, 4))
    """
    from ..cells import stack

    kind = _check_kind(kind)
    vocab = check_positive_int("vocab", vocab, minimum=2)
    embed = check_positive_int("embed", embed)
    seed = check_seed("seed", seed)
    params, _ = stack(kind, depth=depth, hidden=hidden, input_dim=embed, outputs=vocab,
                      seed=seed, every_step=True)
    E = np.random.default_rng([seed, 7]).standard_normal((vocab, embed)).astype(np.float32)
    return {"embedding": E, "layers": params.layers, "readout": params.readout}


def lm_logits(kind: str, params: dict, tokens):
    """Next-word logits ``(B, T, vocab)`` for integer ``tokens`` ``(B, T)``.

    Parameters
    ----------
    kind : str
        The cell kind of ``params``.
    params : dict
        From :func:`lm_init` (or a checkpoint of :func:`train_lm`).
    tokens : array_like
        ``(B, T)`` integer word ids.

    Returns
    -------
    jax.Array
        ``(B, T, vocab)``: the readout after each step.

    Examples
    --------
    >>> p = lm_init("tanh", vocab=5, embed=2, hidden=3)
    >>> lm_logits("tanh", p, [[0, 1, 2]]).shape
    (1, 3, 5)
    """
    from ..cells import make_apply

    apply = make_apply(kind, every_step=True)
    p = {"layers": [_materialise(kind, l) for l in params["layers"]],
         "readout": params["readout"]}
    return apply(p, jnp.asarray(params["embedding"])[jnp.asarray(tokens)])


def lm_loss(kind: str):
    """``loss(params, tokens)``: mean cross-entropy of ``tokens[:, 1:]`` given
    ``tokens[:, :-1]``.

    Parameters
    ----------
    kind : str
        The cell kind.

    Returns
    -------
    callable
        ``loss(params, tokens)`` -> scalar, JAX-traceable (``tokens`` ``(B, T + 1)``).

    Examples
    --------
    >>> import numpy as np
    >>> p = lm_init("tanh", vocab=4, embed=2, hidden=3)
    >>> p["readout"] = {k: 0 * np.asarray(v) for k, v in p["readout"].items()}
    >>> round(float(lm_loss("tanh")(p, np.array([[0, 1, 2]]))), 6)  # uniform: log 4
    1.386294
    """
    def loss(params, tokens):
        logits = lm_logits(kind, params, tokens[:, :-1])
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, tokens[:, 1:, None], axis=2))
    return loss


def train_lm(tokens, kind: str = "lstm", *, vocab: int, embed: int = 16, hidden: int = 16,
             steps: int = 200, seq_len: int = 35, batch: int = 8, lr: float = 1e-3,
             clip: float = 0.25, checkpoint_every: int = 50, seed: int = 0) -> LMTraining:
    """Train an embedded stack on a token stream; keep checkpoints.

    Windows of ``seq_len + 1`` tokens from random offsets
    (``default_rng(seed)``), Adam after clipping the global gradient norm at
    ``clip`` (the paper's optimiser and clip; it uses ``seq_len`` 70, batch
    100, dropout 0.5 and a plateau schedule, none of which matter at test
    size). The loop is :func:`tnrnn.train.train_steps`.

    Parameters
    ----------
    tokens : array_like
        1-D integer word ids in ``[0, vocab)``, at least ``seq_len + 2``.
    kind : str
        The cell kind.
    vocab, embed, hidden : int
        Vocabulary, embedding width, units.
    steps : int
        Optimiser steps.
    seq_len, batch : int
        Window length (plus one token, the last target) and windows per step.
    lr, clip : float
        Adam's learning rate and the global gradient-norm clip.
    checkpoint_every : int
        Keep the parameters every this many steps (and at the last).
    seed : int
        Seed of the initialisation and of the windows' offsets.

    Returns
    -------
    LMTraining
        ``kind``, ``checkpoints`` (``[(step, params), ...]``, checkpoint 0
        the initial weights), ``losses``, ``vocab``, ``chance`` (``log(vocab)``);
        ``to_dict()`` is the dict the previous version returned.

    Examples
    --------
    >>> train_lm([0, 1, 2], vocab=3, seq_len=4)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: the corpus has 3 tokens; it needs at least seq_len + 2 = 6
    """
    import optax

    kind = _check_kind(kind)
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
        raise SpecError(f"tokens must be a 1-D array of integer word ids; got dtype "
                        f"{tokens.dtype} and shape {tokens.shape}")
    vocab = check_positive_int("vocab", vocab, minimum=2)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab):
        raise SpecError(f"tokens must lie in [0, vocab = {vocab}); got {tokens.min()} .. "
                        f"{tokens.max()}")
    steps = check_positive_int("steps", steps)
    seq_len = check_positive_int("seq_len", seq_len)
    batch = check_positive_int("batch", batch)
    every = check_positive_int("checkpoint_every", checkpoint_every)
    lr = check_float("lr", lr, positive=True)
    clip = check_float("clip", clip, positive=True)
    if tokens.size < seq_len + 2:
        raise SpecError(f"the corpus has {tokens.size} tokens; it needs at least seq_len + 2 = "
                        f"{seq_len + 2}")
    from ..train import make_update, train_steps

    rng = np.random.default_rng(seed)
    params = jax.tree_util.tree_map(jnp.asarray, lm_init(kind, vocab=vocab, embed=embed,
                                                         hidden=hidden, seed=seed))
    opt = optax.chain(optax.clip_by_global_norm(clip), optax.adam(lr))
    update = make_update(lm_loss(kind), opt)

    def windows(s):  # drawn in step order from one generator
        off = rng.integers(0, tokens.size - seq_len - 1, size=batch)
        return (jnp.asarray(tokens[off[:, None] + np.arange(seq_len + 1)[None, :]]),)

    ckpts = [(0, jax.tree_util.tree_map(np.asarray, params))]
    losses = []

    def record(st):
        losses.append(float(st.loss))
        if st.step % every == 0 or st.step == steps:
            ckpts.append((st.step, jax.tree_util.tree_map(np.asarray, st.params)))

    train_steps(params, update, windows, steps=steps, opt_state=opt.init(params),
                callbacks=[record])
    return LMTraining(kind=kind, checkpoints=ckpts, losses=losses, vocab=vocab,
                      chance=math.log(vocab))


def embedding_map(kind: str, params: dict):
    """The stack driven by words: ``(f, x0)`` with ``f(x, w)`` one step of the
    cells from the flat state ``x`` under the input ``w @ embedding`` (``w``
    one-hot: a word; a constant ``w`` is the paper's constant input).

    Parameters
    ----------
    kind : str
        The cell kind.
    params : dict
        From :func:`lm_init` or a checkpoint of :func:`train_lm`.

    Returns
    -------
    f : callable
        ``f(x, w)`` with ``w`` of shape ``(vocab,)``.
    x0 : numpy.ndarray
        The stack's initial state, flat.

    Examples
    --------
    >>> import numpy as np
    >>> p = lm_init("tanh", vocab=5, embed=2, hidden=3, seed=1)
    >>> f, x0 = embedding_map("tanh", p)
    >>> f(x0, np.eye(5)[2]).shape
    (3,)
    """
    from .lipschitz import cell_map

    kind = _check_kind(kind)
    layers = [{k: np.asarray(v) for k, v in l.items()} for l in params["layers"]]
    if kind == "exprnn":
        from ..cells import exprnn_matrix

        layers = [dict(l, W=exprnn_matrix(l["A"]).astype(l["A"].dtype)) for l in layers]
    f, x0 = cell_map(kind, {"layers": layers})
    E = np.asarray(params["embedding"], dtype=np.float64)
    return (lambda x, w: f(x, jnp.asarray(w) @ E)), x0


def lm_orbit_diagram(kind: str, checkpoints, words, *, n_init: int = 5,
                     init_std: float = 100.0, steps: int = 400, burn: int = 1200,
                     seed: int = 0) -> np.ndarray:
    """Orbit diagrams of the top layer's output across checkpoints, each under
    the constant input of one word, vmapped over checkpoints, states and words
    (one compiled program).

    Parameters
    ----------
    kind : str
        The cell kind.
    checkpoints : list
        Parameter dicts, or ``(step, params)`` pairs as :func:`train_lm` keeps.
    words : array_like
        1-D word ids; each gives the constant one-hot input of a run.
    n_init : int
        Random initial states per checkpoint and word.
    init_std : float
        Their standard deviation.
    steps, burn : int
        Steps kept after ``burn`` discarded (the paper: 5 states, std 100,
        1,600 steps, no burn-in).
    seed : int
        Seed of the initial states.

    Returns
    -------
    numpy.ndarray
        ``(P, n_init, n_words, steps, H)``: the top layer's output.

    Examples
    --------
    >>> p = lm_init("tanh", vocab=4, embed=2, hidden=3)
    >>> lm_orbit_diagram("tanh", [p, p], [0, 3], n_init=2, steps=5, burn=10).shape
    (2, 2, 2, 5, 3)
    """
    from .orbit import orbit_diagram, stack_params

    kind = _check_kind(kind)
    params = [p for _, p in checkpoints] if isinstance(checkpoints[0], tuple) else checkpoints
    first = params[0]
    V = np.asarray(first["embedding"]).shape[0]
    words = np.asarray(words)
    if words.ndim != 1 or not np.issubdtype(words.dtype, np.integer) or \
            np.any((words < 0) | (words >= V)):
        raise SpecError(f"words must be a 1-D array of word ids in [0, {V}); got {words!r}")
    f0, x0 = embedding_map(kind, first)
    d = x0.shape[0]
    H = np.asarray(first["readout"]["W_O"]).shape[1]
    lstm = kind == "lstm"
    top = d - (2 * H if lstm else H)

    f_of_p, observe = _lm_family(kind, H, top)
    ps = stack_params([{"embedding": p["embedding"], "layers": p["layers"]} for p in params])
    return orbit_diagram(f_of_p, ps, u_values=np.eye(V)[words], n_init=n_init,
                         init_std=init_std, steps=steps, burn=burn, dim=d, seed=seed,
                         observe=observe)


#: ``(kind, H, top) -> (f_of_p, observe)``: one family per stack shape, so that
#: :func:`orbit_diagram` reuses its compiled program across calls.
_FAMILIES: dict = {}


def _lm_family(kind: str, H: int, top: int):
    """The stack driven by a word as a family of maps of the checkpoint
    ``p`` (``{"embedding", "layers"}``), and what it observes (the top layer's
    output): built once per ``(kind, H, top)``."""
    key = (kind, H, top)
    if key in _FAMILIES:
        return _FAMILIES[key]
    from ..cells import get_cell

    cell = get_cell(kind)
    lstm = kind == "lstm"

    def f_of_p(p):
        layers = [_materialise(kind, l) for l in p["layers"]]

        def f(x, w):
            u = w @ p["embedding"]
            new, pos = [], 0
            for l in layers:
                n = 2 * H if lstm else H
                s = (x[pos:pos + H], x[pos + H:pos + 2 * H]) if lstm else x[pos:pos + H]
                s = cell.step(l, s, u)
                new.extend(s if lstm else [s])
                u = cell.output(s)
                pos += n
            return jnp.concatenate(new)
        return f

    def observe(x):
        return x[top:top + H]

    _FAMILIES[key] = (f_of_p, observe)
    return f_of_p, observe
