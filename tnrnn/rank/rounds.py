"""One round of the rank search: a sample matrix and its rank mod ``p``.

The sample matrix of a search is fixed by ``(spec, partition, inputs,
prime, seed, output, h0, n_A, n_B)`` and the weights: :func:`modp_params`
derives the weights and initial states from ``seed``, :func:`draw_halves`
the halves (prefix-stable, so a search grows its matrix in place instead of
redrawing it), and :func:`certified_sample_rank` evaluates one matrix and
takes its rank; it is what a certificate re-runs. Independent repetitions
use the primes below ``prime`` (:func:`previous_prime`) and the seeds
:func:`repetition_seed`.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.partition import start_end
>>> rank, _, _ = certified_sample_rank(RAC(1, 3, 3, 6), start_end(6), "continuous",
...                                    2_147_483_647, 0, 0, "random", 5, 5, "numpy")
>>> rank      # depth 1: at most R = 3, and a 5 x 5 matrix shows all of it
3
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..circuit import DEFAULT_PRIME, TTRNN, Params, Spec, init_params_modp
from ..partition import Partition
from .checks import H0_KINDS, _check_choice
from .modp import is_prime
from .routines import get_rank_routine, rank_flint
from .sampling import one_hot_halves, random_halves, sample_matrix
from .weights import params_to_field

__all__ = ["modp_params", "draw_halves", "certified_sample_rank", "previous_prime",
           "next_prime", "repetition_seed"]

#: Stream tag of the initial states in the seed sequence ``[seed, 3]``.
_H0_TAG = 3


def modp_params(spec: Spec, prime: int = DEFAULT_PRIME, seed: int = 0,
                h0: str = "random") -> Params:
    """The weights a rank computation uses, derived from ``seed``.

    Weights: :func:`tnrnn.circuit.init_params_modp` ``(spec, prime, seed)``,
    i.e. ``numpy.random.default_rng(seed)`` drawing uniform integers in
    ``[0, prime)`` for ``W_H`` (every layer), then ``W_I`` (every layer), then
    ``W_O`` (for a TT-RNN: ``G`` then ``W_O``). Initial states: ``h0="random"`` draws them
    from ``numpy.random.default_rng([seed, 3]).integers(1, prime, (L, R))``
    (non-zero entries); ``h0="ones"`` uses all-ones.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    prime : int
        The field.
    seed : int
        The seed of the weights and initial states.
    h0 : {"random", "ones"}
        Initial states.

    Returns
    -------
    RACParams or TTParams
        int64 residues.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> p = modp_params(RAC(2, 2, 2, 4), prime=101, seed=5)
    >>> bool((p.W_H[0] == init_params_modp(RAC(2, 2, 2, 4), 101, 5).W_H[0]).all())
    True
    >>> [h.shape for h in p.h0], bool(all((h > 0).all() for h in p.h0))
    ([(2,), (2,)], True)
    """
    _check_choice("h0", h0, H0_KINDS)
    if h0 == "ones":
        return init_params_modp(spec, prime, seed)
    L, R = spec.depth, spec.hidden
    vecs = np.random.default_rng([seed, _H0_TAG]).integers(1, prime, size=(L, R),
                                                           dtype=np.int64)
    return init_params_modp(spec, prime, seed, h0=vecs[0] if isinstance(spec, TTRNN) else vecs)


def draw_halves(spec: Spec, partition: Partition, inputs: str, side: str,
                start: int, stop: int, prime: int, seed: int) -> np.ndarray:
    """Halves ``start..stop-1`` of side ``"A"`` or ``"B"``.

    Continuous: :func:`tnrnn.rank.sampling.random_halves` (seeded per block
    of 64 from ``[seed, 1 or 2, block]``). One-hot: row ``i`` of
    :func:`tnrnn.rank.sampling.one_hot_halves` (lexicographic order).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit (its input dimension).
    partition : Partition
        Which steps each side holds.
    inputs : {"continuous", "one-hot"}
        How halves are drawn.
    side : {"A", "B"}
        Which side.
    start, stop : int
        The halves ``start..stop-1``.
    prime, seed : int
        The field and the seed.

    Returns
    -------
    ndarray of int64, shape (stop - start, steps, input_dim)
        The halves.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import random_halves
    >>> X = draw_halves(RAC(2, 2, 3, 6), start_end(6), "continuous", "B", 0, 5, 101, 7)
    >>> X.shape, bool((X == random_halves(7, "B", 0, 5, 3, 3, 101)).all())
    ((5, 3, 3), True)
    >>> draw_halves(RAC(2, 2, 2, 4), start_end(4), "one-hot", "A", 1, 3, 101, 0).argmax(2).tolist()
    [[0, 1], [1, 0]]
    """
    steps = len(partition.A if side == "A" else partition.B)
    if inputs == "one-hot":
        return one_hot_halves(steps, spec.input_dim)[start:stop]
    return random_halves(seed, side, start, stop, steps, spec.input_dim, prime)


class _GrowingSamples:
    """The sample matrix of one search, grown in place: only the new rows and
    columns are evaluated when ``n_A, n_B`` grow (halves are prefix-stable)."""

    def __init__(self, spec, part, inputs, prime, seed, output, params, report,
                 evaluate=sample_matrix):
        self.spec, self.part, self.inputs = spec, part, inputs
        self.evaluate = evaluate
        self.prime, self.seed, self.output, self.params = prime, seed, output, params
        self.report = report
        M = spec.input_dim
        self.XA = np.zeros((0, len(part.A), M), dtype=np.int64)
        self.XB = np.zeros((0, len(part.B), M), dtype=np.int64)
        self.Y = np.zeros((0, 0), dtype=np.int64)

    def _block(self, XA, XB, offset: int, total: int) -> np.ndarray:
        def progress(stage, done, _total):
            self.report(stage, offset + done, total)

        return self.evaluate(self.spec, self.params, self.part, XA, XB, prime=self.prime,
                             output=self.output, progress=progress)

    def grow(self, n_a: int, n_b: int) -> np.ndarray:
        old_a, old_b = self.Y.shape
        draw = lambda side, a, b: draw_halves(  # noqa: E731
            self.spec, self.part, self.inputs, side, a, b, self.prime, self.seed)
        self.XA = np.concatenate([self.XA, draw("A", old_a, n_a)])
        self.XB = np.concatenate([self.XB, draw("B", old_b, n_b)])
        Y = np.empty((n_a, n_b), dtype=np.int64)
        Y[:old_a, :old_b] = self.Y
        total = n_a * n_b - old_a * old_b
        if n_a > old_a:
            Y[old_a:, :] = self._block(self.XA[old_a:], self.XB, 0, total)
        if n_b > old_b and old_a:
            Y[:old_a, old_b:] = self._block(self.XA[:old_a], self.XB[old_b:],
                                            (n_a - old_a) * n_b, total)
        self.Y = Y
        return Y


def _weights_for(spec, params, prime, seed, h0):
    """Residues of the weights used with ``prime``: the given ones (exact
    images) or the seeded random ones."""
    if params is None:
        return modp_params(spec, prime, seed, h0)
    return params_to_field(spec, params, prime)


def _rank_of(routine_name: str, Y: np.ndarray, prime: int) -> int:
    if routine_name == "flint":
        return rank_flint(np.ascontiguousarray(Y, dtype=np.uint64), prime, overwrite=True)
    return int(get_rank_routine(routine_name)(Y, prime))


def certified_sample_rank(spec: Spec, partition: Partition, inputs: str, prime: int,
                          seed: int, output: int, h0: str, n_A: int, n_B: int,
                          routine: str, params: Params | None = None,
                          evaluate: Callable | None = None) -> tuple[int, float, float]:
    """Rank mod ``prime`` of the ``n_A x n_B`` sample matrix fixed by the
    arguments (no search, no validation): ``(rank, evaluate_s, rank_s)``.
    This is what a certificate re-runs. ``params``: given weights (their
    exact images mod ``prime`` are used) instead of the seeded ones.
    ``evaluate``: replaces :func:`~tnrnn.rank.sampling.sample_matrix` (see
    :func:`~tnrnn.rank.separation.separation_rank`).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    inputs : {"continuous", "one-hot"}
        How the halves are drawn.
    prime, seed, output : int
        The field, the seed, the output row.
    h0 : {"random", "ones"}
        The initial states.
    n_A, n_B : int
        The shape of the sample matrix.
    routine : str
        The rank routine (:func:`get_rank_routine`).
    params : RACParams or TTParams, optional
        Given weights.
    evaluate : callable, optional
        Replaces :func:`~tnrnn.rank.sampling.sample_matrix`.

    Returns
    -------
    tuple
        ``(rank, evaluate_s, rank_s)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> r, _, _ = certified_sample_rank(RAC(2, 2, 2, 6), start_end(6), "continuous", 101, 0,
    ...                                 0, "random", 12, 12, "numpy")
    >>> from tnrnn.rank import sample_cap
    >>> r == sample_cap(RAC(2, 2, 2, 6), start_end(6)) == 8     # the proven upper bound
    True
    """
    t0 = time.perf_counter()
    weights = _weights_for(spec, params, prime, seed, h0)
    XA = draw_halves(spec, partition, inputs, "A", 0, n_A, prime, seed)
    XB = draw_halves(spec, partition, inputs, "B", 0, n_B, prime, seed)
    Y = (evaluate or sample_matrix)(spec, weights, partition, XA, XB, prime=prime,
                                    output=output)
    t1 = time.perf_counter()
    r = _rank_of(routine, Y, prime)
    return r, t1 - t0, time.perf_counter() - t1


def previous_prime(p: int) -> int:
    """The largest prime below ``p`` (the primes of repetitions).

    Parameters
    ----------
    p : int
        An integer above 2.

    Returns
    -------
    int
        The largest prime below ``p``.

    Examples
    --------
    >>> previous_prime(2_147_483_647)
    2147483629
    """
    q = p - 1
    while q >= 2 and not is_prime(q):
        q -= 1
    return q


def next_prime(n: int) -> int:
    """The least prime above ``n``.

    Parameters
    ----------
    n : int
        An integer.

    Returns
    -------
    int
        The least prime above ``n``.

    Examples
    --------
    >>> next_prime(100)
    101
    """
    q = n + 1
    while not is_prime(q):
        q += 1
    return q


def repetition_seed(seed: int, j: int) -> int:
    """Seed of repetition ``j >= 1``: ``seed + j * 2**32`` (an independent
    numpy seed sequence).

    Parameters
    ----------
    seed : int
        The search's seed.
    j : int
        The repetition, from 1.

    Returns
    -------
    int
        The seed of repetition ``j``.

    Examples
    --------
    >>> repetition_seed(0, 1)
    4294967296
    """
    return seed + j * 2**32
