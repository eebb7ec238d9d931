"""Argument checks and size/time estimates of the rank search.

What :func:`~tnrnn.rank.separation.separation_rank` (and the approximate
search of :mod:`tnrnn.contract.approx`) validates before computing
anything: the arguments (:func:`check_rank_arguments`: a ``SpecError`` or
``PartitionError`` naming the argument, the value and what is allowed), the
one-hot grid size (:func:`one_hot_sizes`), and the estimated memory and time
of one sample matrix (:func:`estimate_round`, :func:`check_round`) and of a
whole search (:func:`check_search`); work above ``max_memory`` /
``max_seconds`` is refused up front with
:class:`~tnrnn.errors.TooLargeError` naming the estimate and the option that
raises the limit.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.partition import start_end
>>> estimate_round(RAC(2, 3, 3, 8), start_end(8), 100, 100)["bytes"] < DEFAULT_MAX_MEMORY
True
"""

from __future__ import annotations

import numbers

from ..circuit import RAC, TTRNN, Spec
from ..errors import SpecError, TooLargeError, check_positive_int
from ..partition import Partition, parse_partition
from .sampling import prefix_length

__all__ = ["INPUT_KINDS", "H0_KINDS", "DEFAULT_MAX_SAMPLES", "DEFAULT_MAX_MEMORY",
           "DEFAULT_MAX_SECONDS", "check_rank_arguments", "one_hot_sizes",
           "estimate_round", "check_round", "check_search"]

INPUT_KINDS = ("continuous", "one-hot")
H0_KINDS = ("random", "ones")
#: Default cap on the halves drawn (or enumerated) per side.
DEFAULT_MAX_SAMPLES = 4096


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


def _check_max_failure(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not (0 < float(value) <= 1):
        raise SpecError(f"max_failure must be a probability in (0, 1]; got {value!r}")
    return float(value)


def _check_limit(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise SpecError(f"{name} must be a positive number; got {value!r}")
    return float(value)


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
    >>> from tnrnn.rank.separation import sample_schedule
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
