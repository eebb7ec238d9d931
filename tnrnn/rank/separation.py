"""Certified separation ranks: :func:`separation_rank` and :class:`RankResult`.

The method (``docs/theory.md`` section 3): draw the weights, initial
states and inputs of a circuit from ``GF(p)``, evaluate the sample matrix
``Y[i, j] = y(a_i ++ b_j) mod p`` exactly (:mod:`tnrnn.rank.sampling`) and
take its rank mod ``p`` (:mod:`tnrnn.rank.routines`).

What a result certifies
-----------------------
The weights are integers and ``Y`` holds the integer values of ``y`` reduced
mod ``p``. A rank ``r`` mod ``p`` means an ``r x r`` minor of ``Y`` is non-zero
mod ``p``, hence non-zero over the integers: for *these integer weights* the
separation rank (over the rationals) is at least ``r``. The separation rank
at one weight setting never exceeds the generic one, so **the generic
separation rank is at least r** as well. This holds whatever ``N`` was; it
is the only claim made with certainty. When, in addition, ``r < min(N_A,
N_B)`` (``complete``), ``r`` is the instance's rank with high probability
(Schwartz-Zippel: every sample is uniform in ``GF(p)``, and a rank deficit
needs a non-zero polynomial of bounded degree to vanish), hence the generic
rank with high probability; if the sample cap is reached first, ``r`` is
reported as a lower bound only.

Inputs (``inputs=``):

``"continuous"``
    halves uniform in ``GF(p)^(|side| x M)``: the separation rank of ``y`` as
    a polynomial in the input vectors. ``N`` grows until the rank falls
    strictly below ``min(N_A, N_B)``.
``"one-hot"``
    every one of the ``M^|A|`` and ``M^|B|`` one-hot halves: the rank of the
    matricized grid tensor (grid rank). Refused with
    :class:`~tnrnn.errors.TooLargeError` when a side has more than
    ``max_samples`` halves.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> res = separation_rank(RAC(depth=2, hidden=2, input_dim=2, length=8))
>>> res.rank, res.complete, res.samples
(10, True, (11, 11))
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from typing import Callable

import numpy as np

from ..circuit import DEFAULT_PRIME, RAC, TTRNN, Params, Spec, init_params_modp
from ..compile import input_copies
from ..errors import SpecError, TooLargeError, check_positive_int
from ..partition import Partition, parse_partition
from .certificate import make_certificate
from .modp import check_prime
from .routines import get_rank_routine, resolve_rank_routine
from .sampling import one_hot_halves, prefix_length, random_halves, sample_matrix

__all__ = ["RankResult", "separation_rank", "INPUT_KINDS", "H0_KINDS",
           "DEFAULT_MAX_SAMPLES", "INITIAL_SAMPLES", "sample_cap", "modp_params",
           "draw_halves", "certified_sample_rank", "check_rank_arguments",
           "first_sample_size", "next_sample_size", "one_hot_sizes"]

INPUT_KINDS = ("continuous", "one-hot")
H0_KINDS = ("random", "ones")
#: Default cap on the halves drawn (or enumerated) per side.
DEFAULT_MAX_SAMPLES = 4096
#: Halves per side in the first round of the adaptive search.
INITIAL_SAMPLES = 64
#: When the known upper bound + 1 is at most this, start there directly.
_DIRECT_START = 512
#: Stream tag of the initial states in the seed sequence ``[seed, 3]``.
_H0_TAG = 3


@dataclasses.dataclass(frozen=True)
class RankResult:
    """A separation rank computed exactly modulo a prime.

    Attributes
    ----------
    rank : int
        Rank of the sample matrix mod ``prime``: certifies generic
        separation rank ``>= rank`` (see the module docstring).
    method : str
        ``"modp-flint"`` or ``"modp-numpy"``: exact arithmetic mod ``prime``,
        then the named rank routine.
    inputs : str
        ``"continuous"`` or ``"one-hot"``.
    partition : Partition
    prime : int
    seed : int
        Fixes the weights, initial states and halves (see
        :func:`modp_params` and :func:`draw_halves`).
    samples : tuple of int
        ``(n_A, n_B)``, the shape of the final sample matrix.
    certificate : dict
        JSON-serialisable; :func:`tnrnn.rank.check_certificate` re-runs it.
    timings : dict
        Seconds: ``"evaluate"`` (circuit evaluation, all rounds), ``"rank"``
        (in the rank routine, all rounds), ``"total"``.
    complete : bool
        ``True`` when ``rank < min(n_A, n_B)`` or the one-hot grid was fully
        enumerated: then ``rank`` is the instance's rank (with high
        probability for continuous inputs). ``False`` when ``max_samples``
        stopped the search: ``rank`` is then only a lower bound.
    output : int
        Which output of the circuit.
    spec : RAC or TTRNN
    upper_bound : int
        The closed-form upper bound that capped the sample size
        (:func:`sample_cap`), valid for all weights.
    rounds : int
        Sample matrices whose rank was taken.
    """

    rank: int
    method: str
    inputs: str
    partition: Partition
    prime: int
    seed: int
    samples: tuple
    certificate: dict = dataclasses.field(repr=False, compare=False)
    timings: dict = dataclasses.field(repr=False, compare=False)
    complete: bool = True
    output: int = 0
    spec: Spec | None = None
    upper_bound: int | None = dataclasses.field(default=None, repr=False)
    rounds: int = dataclasses.field(default=1, repr=False, compare=False)

    exact = True

    @property
    def lower_bound_only(self) -> bool:
        """``True`` when the sample cap was reached (``not complete``)."""
        return not self.complete

    def describe(self) -> str:
        """One sentence saying what was computed and what it certifies."""
        n_a, n_b = self.samples
        what = ("continuous separation rank" if self.inputs == "continuous"
                else "one-hot grid rank")
        head = (f"{what} ({self.partition.name}) = {self.rank}" if self.complete
                else f"{what} ({self.partition.name}) >= {self.rank} (lower bound "
                     f"only: the {n_a} x {n_b} sample matrix has full rank)")
        return (f"{head}; exact mod p={self.prime}, seed={self.seed}, "
                f"{n_a} x {n_b} samples; certifies generic rank >= {self.rank}")

    def to_dict(self) -> dict:
        """Plain-data view (JSON-serialisable)."""
        return {
            "rank": self.rank, "method": self.method, "exact": True,
            "complete": self.complete, "inputs": self.inputs,
            "partition": self.partition.to_dict(), "prime": self.prime,
            "seed": self.seed, "output": self.output,
            "samples": list(self.samples), "upper_bound": self.upper_bound,
            "rounds": self.rounds, "timings": dict(self.timings),
            "spec": None if self.spec is None else self.spec.to_dict(),
            "certificate": self.certificate,
        }


# ------------------------------------------------------------------ validation
def _check_spec(spec) -> Spec:
    if not isinstance(spec, (RAC, TTRNN)):
        raise SpecError(f"spec must be a tnrnn RAC or TTRNN; got {type(spec).__name__}")
    return spec


def _check_choice(name: str, value, allowed: tuple) -> str:
    if value not in allowed:
        raise SpecError(f"{name} must be one of {', '.join(map(repr, allowed))}; "
                        f"got {value!r}")
    return value


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise SpecError(f"seed must be a non-negative integer; got {seed!r}")
    return int(seed)


def _check_output(spec: Spec, output) -> int:
    if (isinstance(output, bool) or not isinstance(output, numbers.Integral)
            or not 0 <= output < spec.outputs):
        raise SpecError(f"output must be an integer in [0, {spec.outputs}) (the spec "
                        f"has K={spec.outputs} outputs); got {output!r}")
    return int(output)


def _check_progress(progress):
    if progress is not None and not callable(progress):
        raise SpecError("progress must be None or a callable progress(stage, done, "
                        f"total); got {type(progress).__name__}")
    return progress


def check_rank_arguments(spec, partition, *, inputs, seed, output, max_samples
                         ) -> tuple:
    """Validate the arguments shared by the exact and the approximate rank
    searches; return them normalised as ``(spec, partition, inputs, seed,
    output, max_samples)``. Raises SpecError / PartitionError naming the
    argument, what was given and what is allowed.

    >>> check_rank_arguments(RAC(1, 2, 2, 4), "odd-even", inputs="one-hot", seed=0,
    ...                      output=0, max_samples=10)[1]
    Partition(A=(1, 3), B=(2, 4), name='odd-even')
    """
    spec = _check_spec(spec)
    part = parse_partition(partition, spec.length)
    inputs = _check_choice("inputs", inputs, INPUT_KINDS)
    seed = _check_seed(seed)
    output = _check_output(spec, output)
    max_samples = check_positive_int("max_samples", max_samples)
    return spec, part, inputs, seed, output, max_samples


def one_hot_sizes(spec: Spec, partition: Partition, max_samples: int) -> tuple:
    """``(M^|A|, M^|B|)``, the one-hot halves per side, or
    :class:`~tnrnn.errors.TooLargeError` when a side has more than
    ``max_samples``.

    >>> from tnrnn.partition import start_end
    >>> one_hot_sizes(RAC(2, 4, 4, 16), start_end(16), 4096)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the one-hot (grid) rank enumerates every half: side A has M^8 = 4^8 = 65,536 halves (65,536 x 65,536 matrix); the limit is max_samples=4,096 per side
    """
    M = spec.input_dim
    sizes = (M ** len(partition.A), M ** len(partition.B))
    if max(sizes) > max_samples:
        side = "A" if sizes[0] >= sizes[1] else "B"
        steps = len(partition.A if side == "A" else partition.B)
        raise TooLargeError(
            f"the one-hot (grid) rank enumerates every half: side {side} has "
            f"M^{steps} = {M}^{steps} = {max(sizes):,} halves "
            f"({sizes[0]:,} x {sizes[1]:,} matrix); the limit is "
            f"max_samples={max_samples:,} per side", estimate=max(sizes),
            limit=max_samples)
    return sizes


def first_sample_size(cap: int, max_samples: int) -> int:
    """Halves per side in the first round: ``cap + 1`` when that is at most
    512 (one round then settles it), else 64; never above ``max_samples``.

    >>> first_sample_size(140, 4096), first_sample_size(660, 4096)
    (141, 64)
    """
    first = cap + 1 if cap + 1 <= _DIRECT_START else INITIAL_SAMPLES
    return min(first, cap + 1, max_samples)


# ---------------------------------------------------------------- ingredients
def modp_params(spec: Spec, prime: int = DEFAULT_PRIME, seed: int = 0,
                h0: str = "random") -> Params:
    """The weights a rank computation uses, derived from ``seed``.

    Weights: :func:`tnrnn.circuit.init_params_modp` ``(spec, prime, seed)``,
    i.e. ``numpy.random.default_rng(seed)`` drawing uniform integers in
    ``[0, prime)`` for ``W_H`` (every layer), then ``W_I`` (every layer), then
    ``W_O`` (for a TT-RNN: ``G`` then ``W_O``). Initial states: ``h0="random"`` draws them
    from ``numpy.random.default_rng([seed, 3]).integers(1, prime, (L, R))``
    (non-zero entries); ``h0="ones"`` uses all-ones.

    Examples
    --------
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
    """
    steps = len(partition.A if side == "A" else partition.B)
    if inputs == "one-hot":
        return one_hot_halves(steps, spec.input_dim)[start:stop]
    return random_halves(seed, side, start, stop, steps, spec.input_dim, prime)


def _side_cap(spec: Spec, steps: tuple, inputs: str) -> int:
    M, T, L = spec.input_dim, spec.length, spec.depth
    if inputs == "one-hot":
        return M ** len(steps)
    # y is homogeneous of degree n_t = C(T-t+L-1, L-1) in x_t: for fixed
    # inputs on the other side it lies in the span of the monomials of those
    # degrees, C(M + n_t - 1, n_t) of them per step.
    return math.prod(math.comb(M + input_copies(T, L, t) - 1, input_copies(T, L, t))
                     for t in steps)


def sample_cap(spec: Spec, partition: Partition, inputs: str = "continuous") -> int:
    """An upper bound on the separation rank, valid for all weights, used to
    stop sampling early (``N = bound + 1`` halves per side always suffice).

    The least of:

    * per side, the number of monomials ``y`` can use in that side's inputs:
      ``prod_t C(M + n_t - 1, n_t)`` with ``n_t = C(T-t+L-1, L-1)`` the degree
      of ``y`` in ``x_t`` (``M^|side|`` for one-hot inputs) **[derived]**;
    * when one side is exactly the leading steps ``1..k`` (a prefix | suffix
      split such as Start-End): all its influence flows
      through the boundary states ``h[k, l]``, in which ``y`` is homogeneous
      of degree ``D_l = C(T-k+L-l-1, L-l)``, so the rank is at most
      ``U_sym = prod_l C(R + D_l - 1, D_l)`` (``R`` at depth 1) **[derived]**,
      THEORY.md section 4.

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> sample_cap(RAC(2, 4, 4, 16), start_end(16))      # 4 * C(11, 8)
    660
    >>> sample_cap(RAC(2, 4, 4, 4), start_end(4), "one-hot")
    16
    """
    cap = min(_side_cap(spec, partition.A, inputs), _side_cap(spec, partition.B, inputs))
    lead = partition.A if 1 in partition.A else partition.B
    k = prefix_length(lead)
    if k < len(lead):  # not a prefix | suffix split: no boundary-state bound
        return cap
    T, L, R = spec.length, spec.depth, spec.hidden
    u_sym = 1
    for l in range(1, L + 1):
        D = math.comb(T - k + L - l - 1, L - l)
        u_sym *= math.comb(R + D - 1, D)
    return min(cap, u_sym)


# ------------------------------------------------------------------ the core
class _GrowingSamples:
    """The sample matrix of one search, grown in place: only the new rows and
    columns are evaluated when ``n_A, n_B`` grow (halves are prefix-stable)."""

    def __init__(self, spec, part, inputs, prime, seed, output, params, report):
        self.spec, self.part, self.inputs = spec, part, inputs
        self.prime, self.seed, self.output, self.params = prime, seed, output, params
        self.report = report
        M = spec.input_dim
        self.XA = np.zeros((0, len(part.A), M), dtype=np.int64)
        self.XB = np.zeros((0, len(part.B), M), dtype=np.int64)
        self.Y = np.zeros((0, 0), dtype=np.int64)

    def _block(self, XA, XB, offset: int, total: int) -> np.ndarray:
        def progress(stage, done, _total):
            self.report(stage, offset + done, total)

        return sample_matrix(self.spec, self.params, self.part, XA, XB, prime=self.prime,
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


def certified_sample_rank(spec: Spec, partition: Partition, inputs: str, prime: int,
                          seed: int, output: int, h0: str, n_A: int, n_B: int,
                          routine: str) -> tuple[int, float, float]:
    """Rank mod ``prime`` of the ``n_A x n_B`` sample matrix fixed by the
    arguments (no search, no validation): ``(rank, evaluate_s, rank_s)``.
    This is what a certificate re-runs."""
    t0 = time.perf_counter()
    params = modp_params(spec, prime, seed, h0)
    XA = draw_halves(spec, partition, inputs, "A", 0, n_A, prime, seed)
    XB = draw_halves(spec, partition, inputs, "B", 0, n_B, prime, seed)
    Y = sample_matrix(spec, params, partition, XA, XB, prime=prime, output=output)
    t1 = time.perf_counter()
    r = get_rank_routine(routine)(Y, prime)
    return r, t1 - t0, time.perf_counter() - t1


def next_sample_size(n: int, cap_plus: int, max_samples: int) -> int:
    """The next sample count of the adaptive search: double ``n``, but jump
    straight to ``cap_plus`` (upper bound + 1) once doubling again would
    pass it; never above ``max_samples``.

    >>> [next_sample_size(n, 661, 4096) for n in (64, 128, 256)]
    [128, 256, 661]
    """
    nxt = 2 * n
    if 2 * nxt >= cap_plus:
        nxt = cap_plus
    return min(nxt, cap_plus, max_samples)


def separation_rank(spec: Spec, partition="start-end", *, inputs: str = "continuous",
                    prime: int = DEFAULT_PRIME, seed: int = 0, output: int = 0,
                    max_samples: int = DEFAULT_MAX_SAMPLES, h0: str = "random",
                    rank_method: str = "auto",
                    progress: Callable | None = None) -> RankResult:
    """Separation rank of a circuit output, computed exactly mod a prime.

    Parameters
    ----------
    spec : RAC or TTRNN
    partition : str or Partition, default "start-end"
        ``"start-end"``, ``"odd-even"``, ``"A:1,2,5"`` or a
        :class:`~tnrnn.partition.Partition` of ``1..T``.
    inputs : {"continuous", "one-hot"}
        Continuous: separation rank of the polynomial, by sampling (``N``
        grows until the rank is strictly below ``min(N_A, N_B)``). One-hot:
        grid rank, by enumerating every one-hot half.
    prime : int
        A prime below ``2**31``; default :data:`tnrnn.circuit.DEFAULT_PRIME`.
    seed : int
        Fixes the weights, initial states and halves (:func:`modp_params`,
        :func:`draw_halves`).
    output : int
        Which output (row of ``W_O``).
    max_samples : int
        Most halves per side. Continuous: the search stops there and the
        result says the rank is only a lower bound. One-hot: a side with
        more halves is refused (``TooLargeError``).
    h0 : {"random", "ones"}
        Initial states random non-zero in ``GF(p)`` (default) or all-ones.
    rank_method : {"auto", "flint", "numpy"}
        Rank routine (:func:`tnrnn.rank.get_rank_routine`).
    progress : callable, optional
        ``progress(stage, done, total)`` with ``stage`` ``"evaluate"``
        (entries of the sample matrix filled in this round) or ``"rank"``
        (``done`` of ``total`` = 0/1 before/after the routine), for a CLI
        progress bar.

    Returns
    -------
    RankResult

    Raises
    ------
    SpecError, PartitionError
        For an argument that is not allowed (the message says what was given
        and what is allowed); nothing is computed.
    TooLargeError
        One-hot inputs with more than ``max_samples`` halves on a side.

    Notes
    -----
    A rank ``r`` mod ``p`` certifies rank ``>= r`` over the rationals for the
    integer weights used, hence **generic rank >= r** (module docstring). The
    result is exact and reproducible: ``check_certificate(res.certificate)``
    recomputes it.

    Examples
    --------
    THEORY.md section 5: depth 2, M = R = 4, T = 4 has continuous rank 40 but
    one-hot grid rank 16.

    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(depth=2, hidden=4, input_dim=4, length=4)
    >>> separation_rank(spec).rank, separation_rank(spec, inputs="one-hot").rank
    (40, 16)
    >>> separation_rank(spec, inputs="discrete")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: inputs must be one of 'continuous', 'one-hot'; got 'discrete'
    """
    t_start = time.perf_counter()
    spec, part, inputs, seed, output, max_samples = check_rank_arguments(
        spec, partition, inputs=inputs, seed=seed, output=output, max_samples=max_samples)
    prime = check_prime(prime)
    h0 = _check_choice("h0", h0, H0_KINDS)
    routine_name = resolve_rank_routine(rank_method)
    routine = get_rank_routine(routine_name)
    progress = _check_progress(progress)
    cap = sample_cap(spec, part, inputs)

    def report(stage, done, total):
        if progress is not None:
            progress(stage, done, total)

    if inputs == "one-hot":
        sizes = one_hot_sizes(spec, part, max_samples)
        schedule = [sizes]
    else:
        n = first_sample_size(cap, max_samples)
        schedule = None

    samples = _GrowingSamples(spec, part, inputs, prime, seed, output,
                              modp_params(spec, prime, seed, h0), report)
    t_eval = t_rank = 0.0
    rounds = 0
    while True:
        n_a, n_b = schedule[0] if schedule else (n, n)
        t0 = time.perf_counter()
        Y = samples.grow(n_a, n_b)
        t1 = time.perf_counter()
        report("rank", 0, 1)
        r = int(routine(Y, prime))
        t2 = time.perf_counter()
        report("rank", 1, 1)
        t_eval += t1 - t0
        t_rank += t2 - t1
        rounds += 1
        if schedule or r < min(n_a, n_b):
            complete = True
            break
        if n >= min(cap + 1, max_samples):
            complete = False           # full rank at the cap: a lower bound only
            break
        n = next_sample_size(n, cap + 1, max_samples)

    cert = make_certificate(spec, part, inputs=inputs, prime=prime, seed=seed,
                            output=output, h0=h0, n_A=n_a, n_B=n_b, rank=r,
                            routine=routine_name, complete=complete)
    return RankResult(
        rank=r, method=f"modp-{routine_name}", inputs=inputs, partition=part,
        prime=prime, seed=seed, samples=(n_a, n_b), certificate=cert,
        timings={"evaluate": t_eval, "rank": t_rank,
                 "total": time.perf_counter() - t_start},
        complete=complete, output=output, spec=spec, upper_bound=cap, rounds=rounds)
