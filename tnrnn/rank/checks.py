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
           "estimate_round", "check_round", "check_search", "ENGINES", "ROW_CHUNK"]

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

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : str or Partition
        As for :func:`~tnrnn.rank.separation_rank`.
    inputs : {"continuous", "one-hot"}
        How the halves are drawn.
    seed, output, max_samples : int
        As for :func:`~tnrnn.rank.separation_rank`.

    Returns
    -------
    tuple
        ``(spec, partition, inputs, seed, output, max_samples)``.

    Examples
    --------
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

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit (its input dimension).
    partition : Partition
        The split of the time steps.
    max_samples : int
        The cap per side.

    Returns
    -------
    tuple of int
        ``(M^|A|, M^|B|)``.

    Examples
    --------
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
#: Rows of the new part evaluated (and eliminated) per block beside the BLAS elimination
#: (:func:`tnrnn.rank.pipeline.bordered_search`).
ROW_CHUNK = 512
#: Blocks of :data:`ROW_CHUNK` rows alive at once beside the BLAS elimination:
#: three queued, one being evaluated, one being eliminated.
_BLOCKS_ALIVE = 5
#: Peak float64 bytes of one round of the BLAS engine, in units of ``8 n^2``
#: for an ``n x n`` matrix, measured with tracemalloc
#: (``benchmarks/bench_rank_memory.py``, ``tests/test_rank_engine.py``): a round whose factors are kept for
#: the next one (old and new ``L``, ``U``, the border ``W``, ``Z``, the Schur
#: complement and its factorization) peaked at 4.5-6.7, the last round (no
#: factors kept) at 2.7-4.9. The estimate takes 7 and 5.
_BLAS_KEEP, _BLAS_LAST = 7.0, 5.0
#: The engines :func:`estimate_round` knows.
ENGINES = ("flint", "blas")


def estimate_round(spec: Spec, partition: Partition, n_a: int, n_b: int, *,
                   engine: str = "flint", keep: bool = False) -> dict:
    """Estimated peak bytes and seconds of one sample matrix of ``n_a x
    n_b`` halves (evaluation and rank), before anything is allocated.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    n_a, n_b : int
        Halves on side A and side B (the matrix is ``n_a x n_b``).
    engine : {"flint", "blas"}
        How the rank is taken: ``"flint"`` (FLINT's or numpy's elimination of
        the whole matrix: the int64 sample matrix and its uint64 copy) or
        ``"blas"`` (the bordered float64 search of
        :func:`tnrnn.rank.pipeline.bordered_search`, with blocks of rows
        evaluated beside it).
    keep : bool
        ``engine="blas"`` only: whether this round keeps its factors for a
        next round (every round of a search but the last), which costs more.

    Returns
    -------
    dict
        ``bytes`` (peak bytes) and ``seconds``. Memory: the matrix as the
        engine holds it (``"flint"``: 16 bytes an entry; ``"blas"``: 7 or 5
        times 8 bytes an entry, the measured peak of its rounds rounded up,
        plus the blocks of rows in flight), the halves, the weights and the
        evaluation's tile buffers. Measured at n = 660 to 2,176
        (``benchmarks/results/rank-memory.md``), the BLAS estimate is
        1.5-2.3x the peak of the arrays the search allocates (tracemalloc)
        and 0.8-1.3x the growth of the resident set (which also holds the
        allocator's free lists and numba's and FLINT's own buffers: up to
        1.8x the arrays' peak). Time: see the calibration constants above
        (order of magnitude; the machine may be shared).

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> est = estimate_round(RAC(2, 3, 3, 8), start_end(8), 1000, 1000)
    >>> est["bytes"] > 16e6, est["seconds"] < 10
    (True, True)
    >>> blas = estimate_round(RAC(2, 3, 3, 8), start_end(8), 1000, 1000, engine="blas")
    >>> blas["bytes"] - est["bytes"] == 8 * (5 - 2) * 1000**2 + 8 * 1000 * 1000
    True
    """
    if engine not in ENGINES:
        raise SpecError(f"engine must be one of {', '.join(map(repr, ENGINES))}; "
                        f"got {engine!r}")
    R, M, L, T = spec.hidden, spec.input_dim, spec.depth, spec.length
    K = R * M if isinstance(spec, TTRNN) else R
    weights = 8 * 4 * L * R * (R + M) + 8 * 4 * R * K
    if engine == "blas":
        matrix = (8 * (_BLAS_KEEP if keep else _BLAS_LAST) * n_a * n_b
                  + 8 * min(_BLOCKS_ALIVE * ROW_CHUNK, n_a) * n_b)
    else:
        matrix = 16 * n_a * n_b
    halves = 8 * (n_a + n_b) * T * M * 3
    tile = 8 * 12 * L * R * 16384
    k = prefix_length(partition.A if 1 in partition.A else partition.B)
    pairs_steps = n_a * n_b * max(1, T - k) + (n_a + n_b) * T
    seconds = (pairs_steps * (_STEP_NS + _MAC_NS * L * R * K) * 1e-9
               + min(n_a, n_b) ** 2 * max(n_a, n_b) / _LU_RATE)
    return {"bytes": int(weights + matrix + halves + tile), "seconds": seconds}


def _gib(b: float) -> str:
    return f"{b / 2**30:,.2f} GiB" if b >= 2**28 else f"{b / 2**20:,.1f} MiB"


def check_round(spec, partition, n_a, n_b, max_memory, max_seconds, known=None, *,
                engine: str = "flint", keep: bool = False) -> dict:
    """Refuse a sample matrix whose estimate exceeds the limits
    (:class:`~tnrnn.errors.TooLargeError` naming the estimate and the option
    that raises the limit); return the estimate otherwise.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    n_a, n_b : int
        The sample matrix's shape.
    max_memory : float
        Bytes allowed.
    max_seconds : float
        Seconds allowed.
    known : int, optional
        The rank known so far (named in the error).
    engine : {"flint", "blas"}
        As for :func:`estimate_round`.
    keep : bool
        As for :func:`estimate_round`.

    Returns
    -------
    dict
        The estimate, ``{"bytes", "seconds"}``.

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> check_round(RAC(2, 3, 3, 8), start_end(8), 10**6, 10**6, 8 * 2**30, 1800)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: a 1,000,000 x 1,000,000 sample matrix needs about 14,902.24 GiB of memory (estimate); the limit is max_memory=8.00 GiB (raise it with --max-memory GIB / max_memory=bytes, or lower --max-samples)
    """
    est = estimate_round(spec, partition, n_a, n_b, engine=engine, keep=keep)
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


def check_search(spec, partition, schedule, max_memory, max_seconds, *,
                 engine: str = "flint") -> dict:
    """Refuse a whole search up front when its worst case (every round of
    ``schedule``, a list of ``(n_A, n_B)``, plus one repetition at the
    largest size) is estimated above ``max_seconds``, or its largest matrix
    above ``max_memory``; return ``{"bytes", "seconds"}`` otherwise.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : Partition
        The split of the time steps.
    schedule : list of tuple
        ``(n_A, n_B)`` of every round.
    max_memory : float
        Bytes allowed.
    max_seconds : float
        Seconds allowed.
    engine : {"flint", "blas"}
        As for :func:`estimate_round` (every round but the last keeps its
        factors under ``"blas"``).

    Returns
    -------
    dict
        ``{"bytes", "seconds"}`` of the worst case.

    Examples
    --------
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank.separation import sample_schedule
    >>> check_search(RAC(3, 3, 3, 10), start_end(10),
    ...              [(n, n) for n in sample_schedule(8568, 10**9)], 8 * 2**30, 5)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the rank search may take up to about 270 s (estimate on a 2-core machine: 8 rounds up to a 8,568 x 8,568 sample matrix, and one repetition); the limit is max_seconds=5 (raise it with --max-seconds / max_seconds=, or lower --max-samples)
    """
    ests = [estimate_round(spec, partition, a, b, engine=engine, keep=i < len(schedule) - 1)
            for i, (a, b) in enumerate(schedule)]
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
