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

This module holds the search itself: the proven upper bound
(:func:`sample_cap`), the growth schedule (:func:`sample_schedule`,
:func:`first_sample_size`, :func:`next_sample_size`), the failure bound
planned before it runs (:func:`plan_guarantee`) and :func:`separation_rank`.
Its parts live in :mod:`tnrnn.rank.checks` (argument checks, size and time
estimates), :mod:`tnrnn.rank.rounds` (one sample matrix and its rank; the
primes and seeds of repetitions) and :mod:`tnrnn.rank.result`
(:class:`~tnrnn.rank.result.RankResult`); every name is importable from here
too.

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

import time
from typing import Callable

import numpy as np

from ..circuit import DEFAULT_PRIME, TTRNN, Params, Spec, validate_params
from ..errors import SpecError, TooLargeError
from .certificate import make_certificate
from .checks import (DEFAULT_MAX_MEMORY, DEFAULT_MAX_SAMPLES, DEFAULT_MAX_SECONDS,
                     H0_KINDS, INPUT_KINDS, _check_choice, _check_limit,
                     _check_max_failure, _check_progress, _gib, check_rank_arguments,
                     check_round, check_search, estimate_round, one_hot_sizes)
from .guarantee import DEFAULT_MAX_FAILURE, MAX_REPETITIONS, minimum_prime, repetition_bound
from .modp import check_prime
from .result import CERTAINTIES, RankResult, _certainty
from .rounds import (_GrowingSamples, _rank_of, _weights_for, certified_sample_rank,
                     draw_halves, modp_params, next_prime, previous_prime,
                     repetition_seed)
from .pipeline import bordered_search, choose_engine, repetition_rank
from .routines import rank_flint, resolve_rank_routine
from .sampling import sample_matrix
from .schedule import (INITIAL_SAMPLES, first_sample_size, next_sample_size, plan_guarantee,
                       sample_cap, sample_schedule)
from .weights import weights_hash

__all__ = ["RankResult", "separation_rank", "INPUT_KINDS", "H0_KINDS", "CERTAINTIES",
           "DEFAULT_MAX_SAMPLES", "DEFAULT_MAX_MEMORY", "DEFAULT_MAX_SECONDS",
           "INITIAL_SAMPLES", "sample_cap", "sample_schedule", "modp_params",
           "draw_halves", "certified_sample_rank", "check_rank_arguments",
           "first_sample_size", "next_sample_size", "one_hot_sizes", "estimate_round",
           "check_round", "check_search", "plan_guarantee", "previous_prime", "next_prime",
           "repetition_seed"]

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
    rank_method : {"auto", "flint", "numpy", "blas"}
        Rank routine (:func:`tnrnn.rank.get_rank_routine`). ``"blas"`` (and
        ``"auto"`` when :func:`~tnrnn.rank.pipeline.choose_engine` measures it
        faster) runs the continuous search by bordering each round's LU
        factors, with the evaluation of the next rows beside the elimination
        (:mod:`tnrnn.rank.pipeline`); the ranks, and so the results and
        certificates, are those of any other routine.
    progress : callable, optional
        ``progress(stage, done, total)`` with ``stage`` ``"evaluate"``
        (entries of the sample matrix filled in this round) or ``"rank"``.
    evaluate : callable, optional
        Computes the sample matrices instead of
        :func:`~tnrnn.rank.sampling.sample_matrix`, with its signature
        ``evaluate(spec, params, partition, XA, XB, *, prime, output,
        progress=None)`` and its result (int64 residues): e.g.
        ``tnrnn.rank.executor_tasks.RowBlocks(executor)``, which evaluates row
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
    tnrnn.errors.SpecError: prime=101 is too small to certify a rank: the Schwartz-Zippel bound D * (rho_max + ...) / (p - 1) with degree D=251 and rho_max=840 stays above 1 below 210,841; use a prime >= 210,853 (the default is 2147483647)
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
            f"D * (rho_max + ...) / (p - 1) with degree D={plan['degree']} and "
            f"rho_max={plan['rho_max']} stays above 1 below {need:,}; use a prime >= "
            f"{next_prime(need):,} (the default is {DEFAULT_PRIME})")

    def report(stage, done, total):
        if progress is not None:
            progress(stage, done, total)

    if inputs == "one-hot":
        schedule = [(M ** len(part.A), M ** len(part.B))]
    else:
        schedule = [(n, n) for n in plan["schedule"]]
    engine = None
    if inputs == "continuous" and rank_method in ("auto", "blas"):
        engine = choose_engine(prime, schedule[-1][0], rank_method)
        if engine["engine"] == "blas":
            routine_name = "blas"
    bordered = routine_name == "blas" and inputs == "continuous"
    memory = "blas" if bordered else "flint"  # how the estimates count the matrix
    check_search(spec, part, schedule, max_memory, max_seconds, engine=memory)
    t_eval = t_rank = 0.0
    rounds = 0
    r = 0
    if bordered:
        for i, (n_a, n_b) in enumerate(schedule):
            check_round(spec, part, n_a, n_b, max_memory, max_seconds, known=None,
                        engine=memory, keep=i < len(schedule) - 1)
        out = bordered_search(spec, part, prime, seed, output,
                              _weights_for(spec, params, prime, seed, h0),
                              [n for n, _ in schedule], cap, evaluate=evaluate,
                              report=report)
        r, rounds = out["rank"], out["rounds"]
        n_a = n_b = out["samples"]
        t_eval, t_rank = out["evaluate_s"], out["rank_s"]
        schedule = []
    else:
        samples = _GrowingSamples(spec, part, inputs, prime, seed, output,
                                  _weights_for(spec, params, prime, seed, h0), report,
                                  evaluate or sample_matrix)
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
    if schedule:
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
            check_round(spec, part, *n_rep, max_memory, max_seconds, known=r, engine=memory)
            if bordered:
                r_j, te, tr = repetition_rank(spec, part, p_j, s_j, output,
                                              _weights_for(spec, params, p_j, s_j, h0),
                                              n_rep[0], evaluate=evaluate,
                                              schedule=plan["schedule"])
            else:
                r_j, te, tr = certified_sample_rank(spec, part, inputs, p_j, s_j, output,
                                                    h0, n_rep[0], n_rep[1], routine_name,
                                                    params, evaluate)
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
                 "total": time.perf_counter() - t_start,
                 **({"calibration": engine["seconds"]}
                    if engine and engine["seconds"] else {})},
        complete=complete, output=output, spec=spec, upper_bound=cap, rounds=rounds,
        certainty=certainty, failure_probability=fp, max_failure=max_failure,
        repetitions=tuple(reps), weights=whash)
