"""Start-End Similarity and Copying Memory: seeded numpy generators.

Both return one-hot inputs ``X`` of shape ``(batch, T, symbols)`` (float32)
and integer labels: one per sequence for Start-End Similarity (the model
reads the last step), one per step for Copying Memory.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._results import Record
from ..errors import SpecError, check_positive_int

__all__ = [
    "start_end_similarity",
    "ses_input_dim",
    "ses_label",
    "copying_memory",
    "copying_baseline",
    "copying_symbols",
    "copying_metrics",
    "CopyingSymbols",
    "CopyingMetrics",
    "MARKERS",
]


@dataclasses.dataclass(frozen=True, eq=False)
class CopyingSymbols(Record):
    """What :func:`copying_symbols` returns: the symbol ids of the copying task.

    ``to_dict()`` gives the dict the previous version returned; reading it by
    key (``sym["marker"]``) still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    letters : int
        ``n``: the letters are ``0 .. n - 1``.
    blank : int
        The blank's id, ``n``.
    marker : int
        The recall marker's id, ``n + 1``.
    symbols : int
        Number of symbols, ``n + 2``.

    Examples
    --------
    >>> s = CopyingSymbols(letters=4, blank=4, marker=5, symbols=6)
    >>> s.marker, s.to_dict()
    (5, {'letters': 4, 'blank': 4, 'marker': 5, 'symbols': 6})
    """

    letters: int
    blank: int
    marker: int
    symbols: int


@dataclasses.dataclass(frozen=True, eq=False)
class CopyingMetrics(Record):
    """What :func:`copying_metrics` returns: accuracies of copying predictions.

    ``to_dict()`` gives the dict the previous version returned (what
    :attr:`Task.metrics <tnrnn.tasks.Task>` of the copying task returns);
    reading it by key still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    accuracy : float
        Over all steps.
    blank_accuracy : float
        Over the blank steps (all but the last ``M``).
    data_accuracy : float
        Over the last ``M`` steps (the word).

    Examples
    --------
    >>> m = CopyingMetrics(accuracy=0.5, blank_accuracy=1.0, data_accuracy=0.0)
    >>> m.data_accuracy, list(m.to_dict())
    (0.0, ['accuracy', 'blank_accuracy', 'data_accuracy'])
    """

    accuracy: float
    blank_accuracy: float
    data_accuracy: float


def _round_half_up(x):
    return np.floor(np.asarray(x, dtype=np.float64) + 0.5).astype(np.int64)


def _check_seed(seed) -> int:
    return check_positive_int("seed", seed, minimum=0)


def _ses_sizes(length, block, alphabet, classes):
    length = check_positive_int("length", length, minimum=2)
    block = check_positive_int("block", block)
    alphabet = check_positive_int("alphabet", alphabet, minimum=2)
    classes = check_positive_int("classes", classes, minimum=2)
    if length % 2:
        raise SpecError(f"length must be even (the copy sits T/2 after the block); got {length}")
    if block > length // 2:
        raise SpecError(f"block must be at most length / 2 = {length // 2}; got block={block}")
    if classes - 1 > block:
        raise SpecError(f"classes must be at most block + 1 = {block + 1} (the label "
                        f"round((classes - 1) * matches / block) takes at most block + 1 "
                        f"values); got classes={classes} with block={block}")
    return length, block, alphabet, classes


def ses_input_dim(*, length: int, block: int = 30, alphabet: int = 32) -> int:
    """Width of the one-hot inputs: ``alphabet``, plus one pad symbol when
    ``block < length / 2``.

    Parameters
    ----------
    length : int
        Sequence length ``T`` (even).
    block : int
        Block length ``m <= T / 2``.
    alphabet : int
        Alphabet size ``n``.

    Returns
    -------
    int

    Examples
    --------
    >>> ses_input_dim(length=60, block=30), ses_input_dim(length=80, block=30)
    (32, 33)
    """
    length, block, alphabet, _ = _ses_sizes(length, block, alphabet, 2)
    return alphabet + (1 if block < length // 2 else 0)


def ses_label(matches, *, block: int, classes: int = 3):
    """The label ``round(C * matches / m)`` with ``C = classes - 1`` (halves round up).

    Parameters
    ----------
    matches : array_like of int
        Positions of the copy that repeat the first block.
    block : int
        Block length ``m``.
    classes : int
        ``C + 1`` classes.

    Returns
    -------
    numpy.ndarray of int64
        Labels in ``0..C``, the shape of ``matches``.

    Examples
    --------
    >>> ses_label([0, 7, 8, 15, 23, 30], block=30).tolist()
    [0, 0, 1, 1, 2, 2]
    """
    C = classes - 1
    return _round_half_up(C * np.asarray(matches) / block)


def start_end_similarity(batch: int, *, length: int, block: int = 30, alphabet: int = 32,
                         classes: int = 3, seed: int = 0, symbols: bool = False):
    """Start-End Similarity: is the end of the sequence a copy of its start?

    Parameters
    ----------
    batch : int
        Number of sequences.
    length : int
        Sequence length ``T`` (even).
    block : int, default 30
        Block length ``m <= T / 2``.
    alphabet : int, default 32
        Alphabet size ``n``; symbol ``n`` is the pad when ``m < T / 2``.
    classes : int, default 3
        ``C + 1`` classes.
    seed : int
        Seed of ``numpy.random.default_rng``.
    symbols : bool
        Return integer symbols ``(batch, T)`` instead of one-hot vectors.

    Returns
    -------
    X : float32 array (batch, T, ses_input_dim) (or int64 (batch, T) with ``symbols``)
    y : int64 array (batch,)

    Notes
    -----
    A block of ``m`` uniform symbols starts at a uniform offset ``o`` in
    ``[0, T/2 - m]``; its partial copy starts at ``o + T/2``. With
    ``k ~ U{0..C}``, ``round(k m / C)`` positions of the copy (a uniform
    subset) repeat the first block and every other position gets a different
    uniform symbol. The label is ``round(C * matches / m)`` (equal to ``k``
    when ``m > C``); every other position holds the pad. Task of Levine,
    Sharir, Ziv and Shashua (arXiv 1710.09431), as described in its public code.

    Examples
    --------
    >>> S, y = start_end_similarity(2, length=8, block=3, alphabet=4, seed=1, symbols=True)
    >>> S.shape, y.shape
    ((2, 8), (2,))
    >>> X, y2 = start_end_similarity(2, length=8, block=3, alphabet=4, seed=1)
    >>> X.shape, bool((y == y2).all())
    ((2, 8, 5), True)
    """
    batch = check_positive_int("batch", batch)
    T, m, n, classes = _ses_sizes(length, block, alphabet, classes)
    rng = np.random.default_rng(_check_seed(seed))
    C = classes - 1
    half = T // 2
    pad = n
    S = np.full((batch, T), pad, dtype=np.int64)
    offsets = rng.integers(0, half - m + 1, size=batch)
    first = rng.integers(0, n, size=(batch, m))
    k = rng.integers(0, C + 1, size=batch)
    copies = _round_half_up(k * m / C)
    # a uniform subset of `copies` positions: the first `copies` of a random order
    order = np.argsort(rng.random((batch, m)), axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(m)[None, :].repeat(batch, 0), axis=1)
    copied = rank < copies[:, None]
    # a different symbol: first + U{1..n-1} mod n
    other = (first + rng.integers(1, n, size=(batch, m))) % n
    second = np.where(copied, first, other)
    idx = offsets[:, None] + np.arange(m)[None, :]
    rows = np.arange(batch)[:, None]
    S[rows, idx] = first
    S[rows, idx + half] = second
    y = ses_label(copied.sum(axis=1), block=m, classes=classes)
    if symbols:
        return S, y
    width = n + (1 if m < half else 0)
    return np.eye(width, dtype=np.float32)[S], y


# ---------------------------------------------------------------- copying


def _copy_sizes(delay, word_length, alphabet):
    delay = check_positive_int("delay", delay)
    word_length = check_positive_int("word_length", word_length)
    alphabet = check_positive_int("alphabet", alphabet, minimum=2)
    return delay, word_length, alphabet


def copying_symbols(*, alphabet: int = 32) -> CopyingSymbols:
    """Symbol ids of the copying task: letters ``0..n-1``, blank ``n``, marker ``n + 1``.

    Parameters
    ----------
    alphabet : int
        ``n`` letters (at least 2).

    Returns
    -------
    CopyingSymbols
        ``letters``, ``blank``, ``marker`` and the number of ``symbols``.

    Examples
    --------
    >>> copying_symbols(alphabet=8)
    CopyingSymbols(letters=8, blank=8, marker=9, symbols=10)
    """
    alphabet = check_positive_int("alphabet", alphabet, minimum=2)
    return CopyingSymbols(letters=alphabet, blank=alphabet, marker=alphabet + 1,
                          symbols=alphabet + 2)


#: Where the recall marker sits: ``"before"`` the first recall step (index
#: ``T - M - 1``), or ``"at-recall"``, on it (index ``T - M``: the depth paper's
#: code, ``x[:, T - M] = START_RECALL``).
MARKERS = ("before", "at-recall")


def copying_memory(batch: int, *, delay: int, word_length: int = 30, alphabet: int = 32,
                   seed: int = 0, symbols: bool = False, marker: str = "before"):
    """Copying Memory: read a word, wait, write it back after the marker.

    Parameters
    ----------
    batch : int
        Number of sequences.
    delay : int
        ``B``, the number of blanks between the word and the recall marker
        (counting the marker's step); ``T = 2 M + B``.
    word_length : int, default 30
        ``M``.
    alphabet : int, default 32
        ``n`` letters; blank is ``n``, the marker ``n + 1`` (``n + 2`` symbols).
    seed : int
        Seed of ``numpy.random.default_rng``.
    symbols : bool
        Return integer symbols instead of one-hot vectors.
    marker : "before" or "at-recall"
        The marker at index ``T - M - 1`` (the step before the first recall
        output) or at ``T - M`` (the first recall step itself, as in the depth
        paper's code), see :data:`MARKERS`.

    Returns
    -------
    X : float32 array (batch, T, n + 2)
    y : int64 array (batch, T), the symbol to output at each step

    Notes
    -----
    Inputs: the word at steps ``1..M``, blanks after it, and the marker at
    step ``T - M`` (1-based; index ``T - M - 1``). Targets: blank at the first
    ``T - M`` steps, the word at the last ``M``. A memoryless model that
    outputs blank, then a uniform letter, has the loss
    ``M ln n / T`` (:func:`copying_baseline`).

    Examples
    --------
    >>> S, y = copying_memory(1, delay=3, word_length=2, alphabet=4, seed=0, symbols=True)
    >>> S.shape[1], int(S[0, 7 - 2 - 1]), y[0, :5].tolist()
    (7, 5, [4, 4, 4, 4, 4])
    >>> bool((y[0, -2:] == S[0, :2]).all())
    True
    """
    batch = check_positive_int("batch", batch)
    B, M, n = _copy_sizes(delay, word_length, alphabet)
    if marker not in MARKERS:
        raise SpecError(f"marker must be one of {', '.join(MARKERS)}; got {marker!r}")
    rng = np.random.default_rng(_check_seed(seed))
    T = 2 * M + B
    word = rng.integers(0, n, size=(batch, M))
    S = np.full((batch, T), n, dtype=np.int64)
    S[:, :M] = word
    S[:, T - M - (1 if marker == "before" else 0)] = n + 1
    y = np.full((batch, T), n, dtype=np.int64)
    y[:, T - M:] = word
    if symbols:
        return S, y
    return np.eye(n + 2, dtype=np.float32)[S], y


def copying_baseline(*, delay: int, word_length: int = 30, alphabet: int = 32) -> float:
    """The memoryless cross-entropy ``M ln n / (B + 2 M)`` (natural log).

    Parameters
    ----------
    delay : int
        ``B``, the blanks between the word and the recall marker.
    word_length : int
        ``M``.
    alphabet : int
        ``n`` letters.

    Returns
    -------
    float

    Notes
    -----
    A model that cannot remember outputs, at each of the ``T = B + 2 M``
    steps, the distribution of the target given the step: blank with
    probability 1 for ``T - M`` steps (loss 0), uniform over ``n`` letters
    for the last ``M`` (loss ``ln n`` each). The mean over steps is
    ``M ln n / T``; no memoryless predictor does better, since each target
    letter is independent of everything the model sees at that step.

    Examples
    --------
    >>> round(copying_baseline(delay=100, word_length=10, alphabet=8), 6)
    0.173287
    """
    B, M, n = _copy_sizes(delay, word_length, alphabet)
    return M * math.log(n) / (B + 2 * M)


def copying_metrics(pred, y, *, word_length: int) -> CopyingMetrics:
    """Accuracy over all steps, over the blank steps, and over the word steps.

    Parameters
    ----------
    pred : array_like of int, shape (batch, T)
        Predicted symbols.
    y : array_like of int, shape (batch, T)
        Target symbols (:func:`copying_memory`).
    word_length : int
        ``M``: the last ``M`` steps are the word, the others blank.

    Returns
    -------
    CopyingMetrics
        ``accuracy``, ``blank_accuracy`` and ``data_accuracy`` (floats in [0, 1]).

    Examples
    --------
    >>> y = np.array([[4, 4, 4, 1, 2]]); pred = np.array([[4, 4, 3, 1, 0]])
    >>> copying_metrics(pred, y, word_length=2).to_dict()
    {'accuracy': 0.6, 'blank_accuracy': 0.6666666666666666, 'data_accuracy': 0.5}
    """
    pred, y = np.asarray(pred), np.asarray(y)
    M = word_length
    ok = pred == y
    return CopyingMetrics(accuracy=float(ok.mean()), blank_accuracy=float(ok[:, :-M].mean()),
                          data_accuracy=float(ok[:, -M:].mean()))
