"""Certified separation ranks: :func:`separation_rank` and :class:`RankResult`.

The method (``docs/theory.md`` section 3): draw the weights, initial
states and inputs of a circuit from ``GF(p)``, evaluate the sample matrix
``Y[i, j] = y(a_i ++ b_j) mod p`` exactly (:mod:`tnrnn.rank.sampling`) and
take its rank mod ``p`` (:mod:`tnrnn.rank.routines`).

What a result certifies
-----------------------
The weights are integers (or given weights mapped exactly into ``GF(p)``)
and ``Y`` holds the values of ``y`` reduced mod ``p``. A rank ``r`` mod
``p`` means an ``r x r`` minor of ``Y`` is non-zero mod ``p``, hence non-zero
over the rationals: for *these weights* the separation rank is at least
``r``, and so is the generic one. ``>= r`` is the claim made with certainty.
``= r`` is claimed in two cases only: ``r`` equals the proven upper bound
(:func:`sample_cap`; certain), or the search found a rank-deficient sample
matrix and the Schwartz-Zippel bound on a wrong ``= r``
(:mod:`tnrnn.rank.guarantee`), after independent repetitions if needed, is
at most ``max_failure``. :meth:`RankResult.claim` says which.

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
>>> res.rank, res.certainty, res.samples
(10, 'upper-bound', (10, 10))
>>> res = separation_rank(RAC(depth=3, hidden=2, input_dim=2, length=6))
>>> res.claim(), res.samples, len(res.repetitions)
('= 52 (failure probability <= 5e-11)', (56, 56), 1)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from typing import Callable

import numpy as np

from ..circuit import (DEFAULT_PRIME, RAC, TTRNN, Params, Spec, init_params_modp,
                       validate_params)
from ..compile import input_copies
from ..errors import SpecError, TooLargeError, check_positive_int
from ..partition import Partition, parse_partition
from .certificate import make_certificate
from .guarantee import (DEFAULT_MAX_FAILURE, MAX_REPETITIONS, format_probability,
                        minimum_prime, output_degree, repetition_bound,
                        search_failure_bound)
from .modp import check_prime, is_prime
from .routines import get_rank_routine, rank_flint, resolve_rank_routine
from .sampling import one_hot_halves, prefix_length, random_halves, sample_matrix
from .weights import params_to_field, weights_hash

__all__ = ["RankResult", "separation_rank", "INPUT_KINDS", "H0_KINDS", "CERTAINTIES",
           "DEFAULT_MAX_SAMPLES", "DEFAULT_MAX_MEMORY", "DEFAULT_MAX_SECONDS",
           "INITIAL_SAMPLES", "sample_cap", "sample_schedule", "modp_params",
           "draw_halves", "certified_sample_rank", "check_rank_arguments",
           "first_sample_size", "next_sample_size", "one_hot_sizes", "estimate_round",
           "check_round", "check_search", "plan_guarantee", "previous_prime", "next_prime",
           "repetition_seed"]

INPUT_KINDS = ("continuous", "one-hot")
H0_KINDS = ("random", "ones")
#: Default cap on the halves drawn (or enumerated) per side.
DEFAULT_MAX_SAMPLES = 4096
#: Halves per side in the first round of the adaptive search.
INITIAL_SAMPLES = 64
#: When the known upper bound + 1 is at most this, start there directly.
_DIRECT_START = 512
#: Caps up to this are tried at once by :func:`sample_schedule`.
_DIRECT_CAP = 1024
#: Stream tag of the initial states in the seed sequence ``[seed, 3]``.
_H0_TAG = 3


CERTAINTIES = ("upper-bound", "probabilistic", "lower-bound")


@dataclasses.dataclass(frozen=True)
class RankResult:
    """A separation rank computed exactly modulo a prime, with what it proves.

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
        Fixes the weights (unless given), initial states and halves (see
        :func:`modp_params` and :func:`draw_halves`).
    samples : tuple of int
        ``(n_A, n_B)``, the shape of the final sample matrix.
    certificate : dict
        JSON-serialisable; :func:`tnrnn.rank.check_certificate` re-runs it.
    timings : dict
        Seconds: ``"evaluate"`` (circuit evaluation, all rounds and
        repetitions), ``"rank"`` (in the rank routine), ``"repetitions"``
        (evaluation and rank of the repetitions alone: the cost of the
        guarantee), ``"total"``.
    complete : bool
        ``True`` when ``rank < min(n_A, n_B)``, the one-hot grid was fully
        enumerated, or the rank reached the proven upper bound. ``False``
        when ``max_samples`` stopped the search at full rank.
    output : int
        Which output of the circuit.
    spec : RAC or TTRNN
    upper_bound : int
        The proven upper bound (:func:`sample_cap`), valid for all weights.
    rounds : int
        Sample matrices whose rank was taken in the search (repetitions not
        counted).
    certainty : str
        What ``rank`` proves: ``"upper-bound"`` (``= rank``, certain: it
        equals the proven upper bound), ``"probabilistic"`` (``= rank`` with
        failure probability at most ``failure_probability``, below
        ``max_failure``) or ``"lower-bound"`` (``>= rank`` only).
    failure_probability : float or None
        Schwartz-Zippel bound on the probability that ``= rank`` is wrong
        (:mod:`tnrnn.rank.guarantee`): 0.0 when certain; ``None`` when no
        equality can be claimed (search stopped at full rank, or nothing
        random). For ``"lower-bound"`` results with a value, the bound was
        above ``max_failure``.
    max_failure : float
        The threshold asked for.
    repetitions : tuple of dict
        Independent repetitions run to reach ``max_failure``: ``prime``,
        ``seed``, ``n``, ``rank`` each.
    weights : str or None
        SHA-256 of given weights (:func:`tnrnn.rank.weights.weights_hash`),
        ``None`` for the seeded random weights.
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
    certainty: str = "lower-bound"
    failure_probability: float | None = dataclasses.field(default=None, repr=False)
    max_failure: float = dataclasses.field(default=DEFAULT_MAX_FAILURE, repr=False)
    repetitions: tuple = dataclasses.field(default=(), repr=False, compare=False)
    weights: str | None = dataclasses.field(default=None, repr=False)

    exact = True

    @property
    def certain(self) -> bool:
        """``True`` when the claim (``=`` or ``>=``) holds with certainty:
        ``">= r"`` always does; ``"= r"`` only at the proven upper bound."""
        return self.certainty != "probabilistic"

    @property
    def relation(self) -> str:
        """``"="`` when the rank is claimed equal to the generic rank, else
        ``">="``."""
        return ">=" if self.certainty == "lower-bound" else "="

    @property
    def lower_bound_only(self) -> bool:
        """``True`` when only ``>= rank`` is claimed."""
        return self.certainty == "lower-bound"

    def claim(self, *, thousands: bool = False) -> str:
        """The claim as text: ``"= 3 (certain: equals the proven upper
        bound)"``, ``"= 759 (failure probability <= 3e-12)"`` or ``">= 597"``.

        >>> from tnrnn.circuit import RAC
        >>> separation_rank(RAC(1, 3, 3, 6)).claim()
        '= 3 (certain: equals the proven upper bound)'
        """
        r = f"{self.rank:,}" if thousands else str(self.rank)
        if self.certainty == "upper-bound":
            return f"= {r} (certain: equals the proven upper bound)"
        if self.certainty == "probabilistic":
            return (f"= {r} (failure probability <= "
                    f"{format_probability(self.failure_probability)})")
        return f">= {r}"

    def why_lower_bound(self) -> str:
        """Why only ``>= rank`` is claimed (empty for ``=`` claims)."""
        n_a, n_b = self.samples
        if self.certainty != "lower-bound":
            return ""
        if not self.complete:
            return (f"the {n_a} x {n_b} sample matrix has full rank: raise max_samples "
                    "to look further")
        if self.failure_probability is None:
            return ("nothing in this computation is random (given weights, one-hot "
                    "inputs): the rank mod p only bounds the rational rank from below")
        return (f"the failure-probability bound "
                f"{format_probability(self.failure_probability)} is above max_failure="
                f"{self.max_failure:g}: use a larger prime or a larger max_failure")

    def describe(self) -> str:
        """One sentence saying what was computed and what it certifies."""
        n_a, n_b = self.samples
        what = ("continuous separation rank" if self.inputs == "continuous"
                else "one-hot grid rank")
        whose = "the given weights" if self.weights else "generic weights"
        why = self.why_lower_bound()
        reps = (f", {len(self.repetitions)} independent repetition"
                f"{'s' if len(self.repetitions) != 1 else ''}" if self.repetitions else "")
        return (f"{what} ({self.partition.name}, {whose}) {self.claim(thousands=True)}"
                f"{' (' + why + ')' if why else ''}; exact mod p={self.prime}, "
                f"seed={self.seed}, {n_a} x {n_b} samples{reps}; certain: rank >= "
                f"{self.rank:,}")

    def to_dict(self) -> dict:
        """Plain-data view (JSON-serialisable)."""
        return {
            "rank": self.rank, "relation": self.relation, "claim": self.claim(),
            "certainty": self.certainty, "certain": self.certain,
            "failure_probability": self.failure_probability,
            "max_failure": self.max_failure,
            "method": self.method, "exact": True,
            "complete": self.complete, "inputs": self.inputs,
            "partition": self.partition.to_dict(), "prime": self.prime,
            "seed": self.seed, "output": self.output, "weights": self.weights,
            "samples": list(self.samples), "upper_bound": self.upper_bound,
            "rounds": self.rounds, "repetitions": [dict(r) for r in self.repetitions],
            "timings": dict(self.timings),
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
    # y is homogeneous of degree n_t = C(T-t+L-1, L-1) in x_t: for fixed
    # inputs on the other side it lies in the span of the monomials of those
    # degrees, C(m + n_t - 1, n_t) of them per step, where m = min(M, R) for
    # a RAC (x_t enters only through the R-vector W_I[1] x_t) and M otherwise.
    m = min(M, spec.hidden) if isinstance(spec, RAC) else M
    poly = math.prod(math.comb(m + input_copies(T, L, t) - 1, input_copies(T, L, t))
                     for t in steps)
    if inputs == "one-hot":
        return min(M ** len(steps), poly)
    return poly


def sample_cap(spec: Spec, partition: Partition, inputs: str = "continuous") -> int:
    """An upper bound on the separation rank, valid for all weights: the
    search never needs more than this many halves per side, and a rank equal
    to it is exact with certainty.

    The least of:

    * per side, the number of monomials ``y`` can use in that side's inputs:
      ``prod_t C(m + n_t - 1, n_t)`` with ``n_t = C(T-t+L-1, L-1)`` the degree
      of ``y`` in ``x_t`` and ``m = min(M, R)`` for a RAC (``x_t`` enters
      only through the ``R``-vector ``W_I[1] x_t``, so ``y`` is a polynomial
      of that degree in ``R`` variables), ``m = M`` for a TT-RNN; for one-hot
      inputs also ``M^|side|`` **[derived]**;
    * when one side is exactly the leading steps ``1..k`` (a prefix | suffix
      split such as Start-End): all its influence flows
      through the boundary states ``h[k, l]``, in which ``y`` is homogeneous
      of degree ``D_l = C(T-k+L-l-1, L-l)``, so the rank is at most
      ``U_sym = prod_l C(R + D_l - 1, D_l)`` (``R`` at depth 1) **[derived]**
      (``docs/theory.md``).

    Examples
    --------
    >>> from tnrnn.partition import start_end, odd_even
    >>> sample_cap(RAC(2, 4, 4, 16), start_end(16))      # 4 * C(11, 8)
    660
    >>> sample_cap(RAC(2, 4, 4, 4), start_end(4), "one-hot")
    16
    >>> sample_cap(RAC(2, 4, 5, 5), odd_even(5))         # min(M, R) = 4 per step
    350
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


def sample_schedule(cap: int, max_samples: int) -> list:
    """The sizes ``n_1 < n_2 < ...`` the continuous search may try, fixed in
    advance: ``cap`` at once when it is at most 1,024 (one round settles it),
    else 64, 128, ... doubling, jumping to ``cap`` once the next doubling
    would pass half of it; never above ``max_samples``. The search stops at
    the first size whose matrix is rank-deficient; a full-rank ``cap x cap``
    matrix proves ``= cap`` outright.

    >>> sample_schedule(140, 4096)
    [140]
    >>> sample_schedule(5005, 4096)
    [64, 128, 256, 512, 1024, 2048, 4096]
    >>> sample_schedule(2971, 10**6)
    [64, 128, 256, 512, 1024, 2971]
    """
    top = min(cap, max_samples)
    if top <= _DIRECT_CAP:
        return [top]
    sizes = [min(INITIAL_SAMPLES, top)]
    while sizes[-1] < top:
        sizes.append(next_sample_size(sizes[-1], cap, max_samples))
    return sizes


# ------------------------------------------------------------ size estimates
#: Default memory limit of one rank computation (bytes): 8 GiB.
DEFAULT_MAX_MEMORY = 8 * 2**30
#: Default time limit (estimated seconds) of one rank computation.
DEFAULT_MAX_SECONDS = 1800.0
#: Calibration of the estimates on a 2-core x86 machine (single thread):
#: FLINT LU of an n x n matrix mod a 31-bit prime ~ n^3 / _LU_RATE seconds;
#: one circuit step of one pair ~ (_STEP_NS + _MAC_NS * L R^2) nanoseconds.
_LU_RATE = 6e9
_STEP_NS = 40.0
_MAC_NS = 0.6


def estimate_round(spec: Spec, partition: Partition, n_a: int, n_b: int) -> dict:
    """Estimated peak bytes and seconds of one sample matrix of ``n_a x
    n_b`` halves (evaluation and rank), before anything is allocated.

    Memory: the int64 sample matrix and its uint64 copy for the LU, the
    halves, the weights and the tile buffers. Time: see the calibration
    constants above (order of magnitude; the machine may be shared).

    >>> from tnrnn.partition import start_end
    >>> est = estimate_round(RAC(2, 3, 3, 8), start_end(8), 1000, 1000)
    >>> est["bytes"] > 16e6, est["seconds"] < 10
    (True, True)
    """
    R, M, L, T = spec.hidden, spec.input_dim, spec.depth, spec.length
    K = R * M if isinstance(spec, TTRNN) else R
    weights = 8 * 4 * L * R * (R + M) + 8 * 4 * R * K
    matrix = 16 * n_a * n_b
    halves = 8 * (n_a + n_b) * T * M * 3
    tile = 8 * 12 * L * R * 16384
    k = prefix_length(partition.A if 1 in partition.A else partition.B)
    pairs_steps = n_a * n_b * max(1, T - k) + (n_a + n_b) * T
    seconds = (pairs_steps * (_STEP_NS + _MAC_NS * L * R * K) * 1e-9
               + min(n_a, n_b) ** 2 * max(n_a, n_b) / _LU_RATE)
    return {"bytes": weights + matrix + halves + tile, "seconds": seconds}


def _gib(b: float) -> str:
    return f"{b / 2**30:,.2f} GiB" if b >= 2**28 else f"{b / 2**20:,.1f} MiB"


def check_round(spec, partition, n_a, n_b, max_memory, max_seconds, known=None) -> dict:
    """Refuse a sample matrix whose estimate exceeds the limits
    (:class:`~tnrnn.errors.TooLargeError` naming the estimate and the option
    that raises the limit); return the estimate otherwise.

    >>> from tnrnn.partition import start_end
    >>> check_round(RAC(2, 3, 3, 8), start_end(8), 10**6, 10**6, 8 * 2**30, 1800)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: a 1,000,000 x 1,000,000 sample matrix needs about 14,902.24 GiB of memory (estimate); the limit is max_memory=8.00 GiB (raise it with --max-memory GIB / max_memory=bytes, or lower --max-samples)
    """
    est = estimate_round(spec, partition, n_a, n_b)
    found = ("" if known is None else
             f"; so far the rank is certainly >= {known:,}")
    if est["bytes"] > max_memory:
        raise TooLargeError(
            f"a {n_a:,} x {n_b:,} sample matrix needs about {_gib(est['bytes'])} of "
            f"memory (estimate); the limit is max_memory={_gib(max_memory)} (raise it "
            f"with --max-memory GIB / max_memory=bytes, or lower --max-samples){found}",
            estimate=est["bytes"], limit=max_memory)
    if est["seconds"] > max_seconds:
        raise TooLargeError(
            f"a {n_a:,} x {n_b:,} sample matrix takes about {est['seconds']:,.0f} s "
            f"(estimate on a 2-core machine); the limit is max_seconds={max_seconds:,.0f} "
            f"(raise it with --max-seconds / max_seconds=, or lower --max-samples){found}",
            estimate=est["seconds"], limit=max_seconds)
    return est


def check_search(spec, partition, schedule, max_memory, max_seconds) -> dict:
    """Refuse a whole search up front when its worst case (every round of
    ``schedule``, a list of ``(n_A, n_B)``, plus one repetition at the
    largest size) is estimated above ``max_seconds``, or its largest matrix
    above ``max_memory``; return ``{"bytes", "seconds"}`` otherwise.

    >>> from tnrnn.partition import start_end
    >>> check_search(RAC(3, 3, 3, 10), start_end(10),
    ...              [(n, n) for n in sample_schedule(8568, 10**9)], 8 * 2**30, 5)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the rank search may take up to about 270 s (estimate on a 2-core machine: 8 rounds up to a 8,568 x 8,568 sample matrix, and one repetition); the limit is max_seconds=5 (raise it with --max-seconds / max_seconds=, or lower --max-samples)
    """
    ests = [estimate_round(spec, partition, a, b) for a, b in schedule]
    worst = {"bytes": max(e["bytes"] for e in ests),
             "seconds": sum(e["seconds"] for e in ests) + ests[-1]["seconds"]}
    n_a, n_b = schedule[-1]
    if worst["bytes"] > max_memory:
        raise TooLargeError(
            f"the rank search may need a {n_a:,} x {n_b:,} sample matrix, about "
            f"{_gib(worst['bytes'])} of memory (estimate); the limit is max_memory="
            f"{_gib(max_memory)} (raise it with --max-memory GIB / max_memory=bytes, or "
            "lower --max-samples)", estimate=worst["bytes"], limit=max_memory)
    if worst["seconds"] > max_seconds:
        raise TooLargeError(
            f"the rank search may take up to about {worst['seconds']:,.0f} s (estimate on "
            f"a 2-core machine: {len(schedule)} round{'s' if len(schedule) > 1 else ''} up "
            f"to a {n_a:,} x {n_b:,} sample matrix, and one repetition); the limit is "
            f"max_seconds={max_seconds:,.0f} (raise it with --max-seconds / max_seconds=, "
            "or lower --max-samples)", estimate=worst["seconds"], limit=max_seconds)
    return worst


# ------------------------------------------------------------------ the core
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
    :func:`separation_rank`)."""
    t0 = time.perf_counter()
    weights = _weights_for(spec, params, prime, seed, h0)
    XA = draw_halves(spec, partition, inputs, "A", 0, n_A, prime, seed)
    XB = draw_halves(spec, partition, inputs, "B", 0, n_B, prime, seed)
    Y = (evaluate or sample_matrix)(spec, weights, partition, XA, XB, prime=prime,
                                    output=output)
    t1 = time.perf_counter()
    r = _rank_of(routine, Y, prime)
    return r, t1 - t0, time.perf_counter() - t1


def next_sample_size(n: int, cap_plus: int, max_samples: int) -> int:
    """The next sample count of a doubling search: double ``n``, but jump
    straight to ``cap_plus`` once doubling again would pass it; never above
    ``max_samples``.

    >>> [next_sample_size(n, 661, 4096) for n in (64, 128, 256)]
    [128, 256, 661]
    """
    nxt = 2 * n
    if 2 * nxt >= cap_plus:
        nxt = cap_plus
    return min(nxt, cap_plus, max_samples)


def previous_prime(p: int) -> int:
    """The largest prime below ``p`` (the primes of repetitions).

    >>> previous_prime(2_147_483_647)
    2147483629
    """
    q = p - 1
    while q >= 2 and not is_prime(q):
        q -= 1
    return q


def next_prime(n: int) -> int:
    """The least prime above ``n``.

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

    >>> repetition_seed(0, 1)
    4294967296
    """
    return seed + j * 2**32


def _check_max_failure(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not (0 < float(value) <= 1):
        raise SpecError(f"max_failure must be a probability in (0, 1]; got {value!r}")
    return float(value)


def _check_limit(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise SpecError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def plan_guarantee(spec: Spec, partition: Partition, inputs: str, prime: int,
                   max_samples: int, *, given_weights: bool, h0: str,
                   cap: int | None = None) -> dict:
    """The degree, schedule and failure bound of a search, before it runs:
    ``degree``, ``schedule`` (continuous) or ``sizes`` (one-hot), ``rho_max``
    and ``bound`` (:func:`~tnrnn.rank.guarantee.search_failure_bound`, or
    None when nothing is random)."""
    if cap is None:
        cap = sample_cap(spec, partition, inputs)
    continuous = inputs == "continuous"
    degree = output_degree(spec, weights=not given_weights,
                           h0=(not given_weights and h0 == "random"), inputs=continuous)
    if continuous:
        schedule = sample_schedule(cap, max_samples)
        rho_max = min(cap, schedule[-1])
    else:
        M = spec.input_dim
        sizes = (M ** len(partition.A), M ** len(partition.B))
        schedule = [min(sizes)]
        rho_max = min(cap, *sizes)
    bound = None if degree == 0 else search_failure_bound(degree, prime, schedule, rho_max)
    return {"degree": degree, "schedule": schedule, "rho_max": rho_max, "bound": bound,
            "cap": cap}


def _certainty(rank, cap, complete, eps, max_failure) -> str:
    if rank == cap:
        return "upper-bound"
    if complete and eps is not None and eps <= max_failure:
        return "probabilistic"
    return "lower-bound"


def separation_rank(spec: Spec, partition="start-end", *, params: Params | None = None,
                    inputs: str = "continuous", prime: int = DEFAULT_PRIME, seed: int = 0,
                    output: int = 0, max_samples: int = DEFAULT_MAX_SAMPLES,
                    h0: str = "random", max_failure: float = DEFAULT_MAX_FAILURE,
                    max_memory: float = DEFAULT_MAX_MEMORY,
                    max_seconds: float = DEFAULT_MAX_SECONDS, rank_method: str = "auto",
                    progress: Callable | None = None,
                    evaluate: Callable | None = None) -> RankResult:
    """Separation rank of a circuit output, computed exactly mod a prime,
    with what it proves.

    Parameters
    ----------
    spec : RAC or TTRNN
    partition : str or Partition, default "start-end"
        ``"start-end"``, ``"odd-even"``, ``"A:1,2,5"`` or a
        :class:`~tnrnn.partition.Partition` of ``1..T``.
    params : RACParams or TTParams, optional
        Your own weights (trained ones, say): float64 (exact dyadic
        rationals), integer or :class:`fractions.Fraction` arrays, including
        the initial states. Their exact images in ``GF(prime)`` are used, so
        the result is the separation rank of *that* function; only the
        inputs are random. Default: seeded random weights (generic rank).
    inputs : {"continuous", "one-hot"}
        Continuous: separation rank of the polynomial, by sampling. One-hot:
        grid rank, by enumerating every one-hot half.
    prime : int
        A prime below ``2**31``; default :data:`tnrnn.circuit.DEFAULT_PRIME`.
        Refused (``SpecError``, naming the minimum) when it is too small for
        any ``= r`` claim.
    seed : int
        Fixes the random weights, initial states and halves
        (:func:`modp_params`, :func:`draw_halves`).
    output : int
        Which output (row of ``W_O``).
    max_samples : int
        Most halves per side. Continuous: the search stops there (``>= r``
        only). One-hot: a side with more halves is refused.
    h0 : {"random", "ones"}
        Initial states (random weights only): random non-zero or all-ones.
    max_failure : float, default 1e-6
        ``= r`` is claimed only when its failure-probability bound is at most
        this (independent repetitions are run to get there, at most
        :data:`~tnrnn.rank.guarantee.MAX_REPETITIONS`) or when ``r`` equals
        the proven upper bound; otherwise ``>= r``.
    max_memory, max_seconds : float
        Limits (bytes, estimated seconds) for each sample matrix; a matrix
        estimated above them is refused before it is allocated
        (``TooLargeError`` with the estimate).
    rank_method : {"auto", "flint", "numpy"}
        Rank routine (:func:`tnrnn.rank.get_rank_routine`).
    progress : callable, optional
        ``progress(stage, done, total)`` with ``stage`` ``"evaluate"``
        (entries of the sample matrix filled in this round) or ``"rank"``.
    evaluate : callable, optional
        Computes the sample matrices instead of
        :func:`~tnrnn.rank.sampling.sample_matrix`, with its signature
        ``evaluate(spec, params, partition, XA, XB, *, prime, output,
        progress=None)`` and its result (int64 residues): e.g.
        ``tnrnn._sweep_tasks.RowBlocks(executor)``, which evaluates row
        blocks on the workers of a process pool or Dask cluster. The rank
        itself is always taken here. A hook that returns what
        ``sample_matrix`` returns gives the same result and certificate.

    Returns
    -------
    RankResult
        ``rank``, ``certainty``, ``failure_probability`` and ``claim()``.

    Raises
    ------
    SpecError, PartitionError
        For an argument that is not allowed; nothing is computed.
    TooLargeError
        A sample matrix above ``max_memory`` / ``max_seconds``, or one-hot
        inputs with more than ``max_samples`` halves on a side.

    Notes
    -----
    ``>= r`` is certain: a non-zero ``r x r`` minor mod ``p`` is a non-zero
    rational. ``= r`` carries the Schwartz-Zippel bound of
    :mod:`tnrnn.rank.guarantee` (proof there and in ``docs/ranks.md``).

    Examples
    --------
    Depth 2, M = R = 4, T = 4 has continuous rank 40 but one-hot grid rank 16.

    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(depth=2, hidden=4, input_dim=4, length=4)
    >>> separation_rank(spec).claim(), separation_rank(spec, inputs="one-hot").rank
    ('= 40 (certain: equals the proven upper bound)', 16)
    >>> separation_rank(RAC(3, 3, 3, 6), prime=101)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: prime=101 is too small to certify a rank: the Schwartz-Zippel bound D * (rho_max + ...) / p with degree D=251 and rho_max=840 stays above 1 below 210,840; use a prime >= 210,853 (the default is 2147483647)
    """
    t_start = time.perf_counter()
    spec, part, inputs, seed, output, max_samples = check_rank_arguments(
        spec, partition, inputs=inputs, seed=seed, output=output, max_samples=max_samples)
    prime = check_prime(prime)
    h0 = _check_choice("h0", h0, H0_KINDS)
    max_failure = _check_max_failure(max_failure)
    max_memory = _check_limit("max_memory", max_memory)
    max_seconds = _check_limit("max_seconds", max_seconds)
    routine_name = resolve_rank_routine(rank_method)
    progress = _check_progress(progress)
    if evaluate is not None and not callable(evaluate):
        raise SpecError("evaluate must be None or a callable evaluate(spec, params, "
                        "partition, XA, XB, *, prime, output, progress) returning the sample "
                        f"matrix; got {type(evaluate).__name__}")
    # Weights first: their size is checked before anything is drawn.
    R, M, L = spec.hidden, spec.input_dim, spec.depth
    wbytes = 8 * 4 * L * R * (R + M) * (M if isinstance(spec, TTRNN) else 1)
    if wbytes > max_memory:
        raise TooLargeError(f"the weights of {spec} need about {_gib(wbytes)} "
                            f"(estimate); the limit is max_memory={_gib(max_memory)} "
                            "(raise it with --max-memory GIB / max_memory=bytes)",
                            estimate=wbytes, limit=max_memory)
    whash = None
    if params is not None:
        validate_params(spec, params)
        whash = weights_hash(spec, params)
    cap = sample_cap(spec, part, inputs)
    if inputs == "one-hot":
        one_hot_sizes(spec, part, max_samples)
    plan = plan_guarantee(spec, part, inputs, prime, max_samples,
                          given_weights=params is not None, h0=h0, cap=cap)
    if plan["bound"] is not None and plan["bound"] >= 1 and prime < DEFAULT_PRIME:
        need = minimum_prime(plan["degree"], plan["rho_max"], plan["schedule"])
        raise SpecError(
            f"prime={prime} is too small to certify a rank: the Schwartz-Zippel bound "
            f"D * (rho_max + ...) / p with degree D={plan['degree']} and "
            f"rho_max={plan['rho_max']} stays above 1 below {need:,}; use a prime >= "
            f"{next_prime(need):,} (the default is {DEFAULT_PRIME})")

    def report(stage, done, total):
        if progress is not None:
            progress(stage, done, total)

    if inputs == "one-hot":
        schedule = [(M ** len(part.A), M ** len(part.B))]
    else:
        schedule = [(n, n) for n in plan["schedule"]]
    check_search(spec, part, schedule, max_memory, max_seconds)
    samples = _GrowingSamples(spec, part, inputs, prime, seed, output,
                              _weights_for(spec, params, prime, seed, h0), report,
                              evaluate or sample_matrix)
    t_eval = t_rank = 0.0
    rounds = 0
    r = 0
    for n_a, n_b in schedule:
        check_round(spec, part, n_a, n_b, max_memory, max_seconds,
                    known=r if rounds else None)
        t0 = time.perf_counter()
        Y = samples.grow(n_a, n_b)
        t1 = time.perf_counter()
        report("rank", 0, 1)
        if routine_name == "flint" and (n_a, n_b) == schedule[-1]:
            # the last possible round: no later round needs Y, so FLINT's LU runs
            # in place on it (entries in [0, p) read the same as uint64)
            r = rank_flint(Y.view(np.uint64), prime, overwrite=True)
        else:
            r = _rank_of(routine_name, Y, prime)
        t2 = time.perf_counter()
        report("rank", 1, 1)
        t_eval += t1 - t0
        t_rank += t2 - t1
        rounds += 1
        if inputs == "one-hot" or r < min(n_a, n_b) or r == cap:
            break
    del samples, Y
    complete = inputs == "one-hot" or r < min(n_a, n_b) or r == cap
    eps = plan["bound"]
    reps = []
    t_reps = 0.0
    disproved = False
    if complete and r < cap and eps is not None and max_failure < eps < 1:
        n_rep = (n_a, n_b) if inputs == "one-hot" else (r + 1, r + 1)
        p_j = prime
        for j in range(1, MAX_REPETITIONS + 1):
            p_j = previous_prime(p_j)
            s_j = repetition_seed(seed, j)
            check_round(spec, part, *n_rep, max_memory, max_seconds, known=r)
            r_j, te, tr = certified_sample_rank(spec, part, inputs, p_j, s_j, output, h0,
                                                n_rep[0], n_rep[1], routine_name, params,
                                                evaluate)
            t_eval += te
            t_rank += tr
            t_reps += te + tr
            reps.append({"prime": p_j, "seed": s_j, "n_A": n_rep[0], "n_B": n_rep[1],
                         "rank": r_j})
            if r_j > r:        # ``= r`` disproved: r_j is a larger certain lower bound
                r, eps, disproved = r_j, None, True
                break
            eps *= repetition_bound(plan["degree"], r + 1, p_j)
            if eps <= max_failure:
                break
    if disproved:
        complete = r == cap
    certainty = _certainty(r, cap, complete, eps, max_failure)
    fp = 0.0 if certainty == "upper-bound" else (eps if complete else None)
    cert = make_certificate(spec, part, inputs=inputs, prime=prime, seed=seed,
                            output=output, h0=h0, n_A=n_a, n_B=n_b, rank=r,
                            routine=routine_name, complete=complete,
                            max_samples=max_samples, max_failure=max_failure,
                            certainty=certainty, failure_probability=fp,
                            repetitions=reps, weights=whash, upper_bound=cap,
                            degree=plan["degree"])
    return RankResult(
        rank=r, method=f"modp-{routine_name}", inputs=inputs, partition=part,
        prime=prime, seed=seed, samples=(n_a, n_b), certificate=cert,
        timings={"evaluate": t_eval, "rank": t_rank, "repetitions": t_reps,
                 "total": time.perf_counter() - t_start},
        complete=complete, output=output, spec=spec, upper_bound=cap, rounds=rounds,
        certainty=certainty, failure_probability=fp, max_failure=max_failure,
        repetitions=tuple(reps), weights=whash)
