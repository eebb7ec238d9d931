"""The growth rounds of the continuous search, bordered and overlapped.

The search of :func:`tnrnn.rank.separation_rank` evaluates sample matrices
of the sizes ``n_1 < n_2 < ...`` of its schedule and stops at the first
rank-deficient one. Every earlier matrix is non-singular, and each is the
leading block of the next (halves are prefix-stable). So instead of ranking
each matrix from scratch (8-19 % extra work on a doubling schedule), the LU
factors of ``Y_{n_k}`` are *bordered* to those of ``Y_{n_{k+1}}``
(:class:`tnrnn.rank.bordered.Bordered`): the work of all rounds together is one
LU of the final matrix.

And the evaluation runs *beside* the elimination: a helper thread evaluates
the blocks of the next rows (the new columns ``B`` of the old rows, then the
new rows in chunks) while this thread eliminates the blocks already there
(the triangular solve with ``B``, the Schur rows of each chunk, then the LU
of the Schur complement), and goes on with the next round's blocks
speculatively while that LU runs (discarded when the round turns out to be
the last). The work is shared: when this thread is behind (a block is
already queued), the helper also computes the Schur rows of the chunk it
has just evaluated (``Z = C U^{-1}``, ``S = D - Z W``, the larger part of a
round's elimination), so only the triangular solve with ``B`` and the LU of
the Schur complement are left to this thread; and when this thread waits
for a block, it evaluates the next block of its round itself (the
evaluation, not the elimination, is the longer part at depth 2). The
evaluation kernels
(numba's ``nogil`` kernel, numpy, BLAS)
and the elimination (BLAS, FLINT through ctypes) release the GIL, so on two
cores both run at once. The elimination thread's BLAS runs on one thread
while the helper evaluates (:func:`blas_threads`).

The result is the rank of the same matrices, so results and certificates
are those of the plain search (the tests compare them).

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.partition import start_end
>>> from tnrnn.rank.rounds import modp_params
>>> spec = RAC(2, 3, 3, 8)
>>> w = modp_params(spec, 2_147_483_647, 0, "random")
>>> out = bordered_search(spec, start_end(8), 2_147_483_647, 0, 0, w, [16, 32, 64], 45)
>>> out["rank"], out["samples"], out["rounds"]
(45, 64, 3)
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Callable

import numpy as np

from ..circuit import RAC
from .blas import blas_threads
from .bordered import Bordered
from .checks import ROW_CHUNK
from .rounds import draw_halves
from .sampling import sample_matrix

__all__ = ["bordered_search", "repetition_rank", "blas_threads", "choose_engine",
           "ROW_CHUNK", "BLAS_FROM"]

#: Blocks the helper thread may evaluate beyond the one the eliminating
#: thread needs next (with the one being eliminated and the one each thread
#: evaluates: :data:`tnrnn.rank.checks._BLOCKS_ALIVE` at most).
_AHEAD = 3

#: Searches whose largest matrix reaches this size use the BLAS engine under
#: ``"auto"``: measured side by side (``benchmarks/results/rank-engine.md``,
#: fresh processes, same machine and load), one BLAS rank takes 0.42-0.73 of
#: one FLINT rank at 2,970-5,005 (mod 2**31 - 1) and 1.6 of it at 1,050;
#: FLINT is faster below about 700.
BLAS_FROM = 2048


def choose_engine(prime: int, size: int, method: str = "auto") -> dict:
    """The elimination engine of a continuous search whose largest matrix
    is ``size x size``, chosen by measurement.

    ``method="blas"`` takes the BLAS engine; ``"auto"`` takes it from
    :data:`BLAS_FROM` on, where every side-by-side measurement of the two
    engines on this machine had it ahead, and FLINT (numpy without
    python-flint) below. A timing made at run time was tried first and
    dropped: on the shared machine a 768-square calibration took 1-3 s and
    chose FLINT where the full-size measurement had BLAS at 0.42x. Both
    engines return the same rank; the choice changes only the time.

    Returns ``{"engine", "seconds"}`` (``seconds``: time spent choosing, 0).

    Parameters
    ----------
    prime : int
        The field.
    size : int
        The largest matrix of the search.
    method : {"auto", "blas", "flint", "numpy"}
        The rank method asked for.

    Returns
    -------
    dict
        ``{"engine", "seconds"}``.

    Examples
    --------
    >>> choose_engine(2_147_483_647, 500)["engine"] in ("flint", "numpy")
    True
    >>> choose_engine(2_147_483_647, 5005)["engine"]
    'blas'
    """
    from .routines import flint_available

    if method == "blas" or size >= BLAS_FROM:
        return {"engine": "blas", "seconds": 0.0}
    return {"engine": "flint" if flint_available() else "numpy", "seconds": 0.0}


def _fused_for(spec, part, n: int):
    """``fused=`` for the blocks of a search up to ``n x n``: what
    :func:`~tnrnn.rank.sampling.sample_matrix` would choose for the whole
    matrix (``None`` when it would not use the compiled kernel), so that
    cutting it into row chunks does not drop it below the kernel's threshold
    (a chunk of 512 rows at depth 3 would: 4x slower evaluation)."""
    from .sampling import FUSED_MIN_WORK, prefix_length

    if not isinstance(spec, RAC) or spec.depth < 2:
        return None
    lead = part.A if 1 in part.A else part.B
    k = prefix_length(lead)
    if k < len(lead):
        return None
    work = n * n * (spec.length - k) * (spec.depth - 1) * spec.hidden ** 2
    return True if work >= FUSED_MIN_WORK else None


def _blocks(schedule, chunk):
    """``(round, kind, rows, cols)`` of every block the search may need, in
    order: per round from ``a`` to ``n``, ``B = Y[:a, a:n]`` (when ``a > 0``)
    then ``Y[i0:i1, :n]`` for chunks of the new rows."""
    a = 0
    for k, n in enumerate(schedule):
        if a:
            yield k, "B", (0, a), (a, n)
        for i0 in range(a, n, chunk):
            yield k, "rows", (i0, min(n, i0 + chunk)), (0, n)
        a = n


def bordered_search(spec, part, prime: int, seed: int, output: int, weights,
                    schedule, cap: int, *, evaluate: Callable | None = None,
                    report: Callable | None = None, chunk: int = ROW_CHUNK,
                    overlap: bool = True, help_evaluate: bool | None = None) -> dict:
    """The continuous search over ``schedule`` by bordering, with evaluation
    beside elimination.

    Returns a dict: ``rank``, ``samples`` (the ``n`` of the last round),
    ``rounds``, ``evaluate_s`` (seconds the helper spent evaluating the
    blocks used), ``rank_s`` (seconds this thread spent eliminating),
    ``wait_s`` (seconds it waited for blocks), ``wasted_s`` (speculative
    evaluation discarded), ``helper_schur_s`` (seconds the helper spent on
    Schur rows), ``main_evaluate_s`` (seconds this thread spent evaluating
    blocks it would otherwise have waited for) and ``wall_s``. The two threads overlap, so
    ``evaluate_s + rank_s`` may exceed ``wall_s``. Stops at the first round whose matrix is rank-deficient or
    whose rank is ``cap``, as the plain search does.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    part : Partition
        The split of the time steps.
    prime, seed, output : int
        The field, the seed of the halves, the output row.
    weights : RACParams or TTParams
        Residues mod ``prime``.
    schedule : list of int
        The sizes of the rounds.
    cap : int
        The proven upper bound (a round reaching it ends the search).
    evaluate : callable, optional
        Replaces :func:`~tnrnn.rank.sampling.sample_matrix`.
    report : callable, optional
        ``report(stage, done, total)``.
    chunk : int
        Rows per evaluated block.
    overlap : bool
        Evaluate in a helper thread beside the elimination.
    help_evaluate : bool, optional
        Whether this thread, while it waits for a block, evaluates the next
        block of its round itself; default: only with the built-in
        evaluation (an ``evaluate`` hook, e.g. one that sends blocks to an
        executor, is then called from one thread only, as before).

    Returns
    -------
    dict
        As above.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import modp_params, separation_rank
    >>> spec, p = RAC(2, 3, 3, 8), 2_147_483_647
    >>> out = bordered_search(spec, start_end(8), p, 0, 0, modp_params(spec, p, 0),
    ...                       [16, 32, 46], 45)
    >>> out["rank"], out["rounds"], out["rank"] == separation_rank(spec).rank
    (45, 3, True)
    """
    N = schedule[-1]
    if help_evaluate is None:
        help_evaluate = evaluate is None
    if evaluate is None:
        evaluate = functools.partial(sample_matrix, fused=_fused_for(spec, part, N))
    XA = draw_halves(spec, part, "continuous", "A", 0, N, prime, seed)
    XB = draw_halves(spec, part, "continuous", "B", 0, N, prime, seed)
    plan = list(_blocks(schedule, chunk))
    stop = threading.Event()
    t_eval = {"used": 0.0, "all": 0.0, "schur": 0.0, "main": 0.0}
    # (round, schur function of that round): published by this thread once the
    # round's W is known; the helper then computes the Schur rows of the
    # chunks it evaluates while this thread is behind (a block is waiting).
    current: list = [None]
    # Blocks are claimed in plan order by either thread: the helper runs at
    # most _AHEAD blocks ahead of the one this thread needs next; this thread,
    # while it waits, evaluates the next unclaimed block of its own round.
    cond = threading.Condition()
    st = {"claim": 0, "taken": 0, "error": None}
    results: dict = {}

    def claim(round_=None):
        i = st["claim"]
        if i >= len(plan) or (round_ is not None and plan[i][0] != round_):
            return None
        st["claim"] = i + 1
        return i

    def evaluate_block(blk):
        """The sample block ``blk`` evaluated, and the seconds it took."""
        _, _, (r0, r1), (c0, c1) = blk
        t0 = time.perf_counter()
        Y = evaluate(spec, weights, part, XA[r0:r1], XB[c0:c1], prime=prime, output=output)
        dt = time.perf_counter() - t0
        t_eval["all"] += dt
        return Y, dt

    def produce():
        try:
            while True:
                with cond:
                    while not stop.is_set() and st["claim"] - st["taken"] > _AHEAD:
                        cond.wait(0.1)
                    i = None if stop.is_set() else claim()
                if i is None:
                    return
                blk = plan[i]
                Y, dt = evaluate_block(blk)
                item, pub = (Y, dt, False), current[0]
                with cond:
                    behind = bool(results)
                if blk[1] == "rows" and pub is not None and pub[0] == blk[0] and behind:
                    t0 = time.perf_counter()
                    item = (pub[1](Y), dt, True)
                    t_eval["schur"] += time.perf_counter() - t0
                with cond:
                    results[i] = item
                    cond.notify_all()
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            with cond:
                st["error"] = exc
                cond.notify_all()

    def take():
        j = take.i
        take.i += 1
        if not overlap:
            Y, dt = evaluate_block(plan[j])
            t_eval["used"] += dt
            return plan[j], Y, False
        t0 = time.perf_counter()
        helped = 0.0
        while True:
            with cond:
                if st["error"] is not None:
                    raise st["error"]
                if j in results:
                    item = results.pop(j)
                    st["taken"] = j + 1
                    cond.notify_all()
                    break
                i = claim(plan[j][0]) if help_evaluate else None
                if i is None:
                    cond.wait(0.1)
                    continue
            t1 = time.perf_counter()
            Y, dt = evaluate_block(plan[i])
            helped += time.perf_counter() - t1
            with cond:
                results[i] = (Y, dt, False)
        waits["s"] += time.perf_counter() - t0 - helped
        t_eval["main"] += helped
        t_eval["used"] += item[1]
        return plan[j], item[0], item[2]

    take.i = 0
    waits = {"s": 0.0}
    start = time.perf_counter()
    bord = Bordered(prime)
    rank = rounds = 0
    n = 0
    worker = None
    if overlap:
        worker = threading.Thread(target=produce, daemon=True, name="tnrnn-evaluate")
        worker.start()
    try:
        with blas_threads(1):
            for k, n in enumerate(schedule):
                a = bord.n
                total = n * n - a * a
                done = 0
                W = np.zeros((0, n - a))
                if a:
                    _, B, _ = take()
                    W = bord.start(B)
                    done += B.size
                    if report:
                        report("evaluate", done, total)
                schur = bord.schur_function(W)
                current[0] = (k, schur)
                S_parts, Z_parts = [], []
                for _ in range(a, n, chunk):
                    _, rows, ready = take()
                    s, z = rows if ready else schur(rows)
                    S_parts.append(s)
                    Z_parts.append(z)
                    done += s.shape[0] * n
                    if report:
                        report("evaluate", done, total)
                current[0] = None
                S = np.concatenate(S_parts)
                Z = np.concatenate(Z_parts)
                del S_parts, Z_parts
                if report:
                    report("rank", 0, 1)
                last = k == len(schedule) - 1
                rank = bord.finish(W, S, Z, keep=not last)
                if report:
                    report("rank", 1, 1)
                rounds += 1
                if rank < n or rank == cap:
                    break
    finally:
        stop.set()
        if worker is not None:
            with cond:
                cond.notify_all()
            worker.join()
    wall = time.perf_counter() - start
    return {"rank": rank, "samples": n, "rounds": rounds, "evaluate_s": t_eval["used"],
            "wasted_s": t_eval["all"] - t_eval["used"],
            "rank_s": wall - (waits["s"] + t_eval["main"] if overlap else t_eval["used"]),
            "helper_schur_s": t_eval["schur"], "main_evaluate_s": t_eval["main"],
            "wait_s": waits["s"], "wall_s": wall}


def repetition_rank(spec, part, prime: int, seed: int, output: int, weights, size: int, *,
                    evaluate: Callable | None = None,
                    schedule=None) -> tuple[int, float, float]:
    """Rank of the ``size x size`` sample matrix of a repetition, as
    :func:`tnrnn.rank.rounds.certified_sample_rank` computes it, but
    overlapped: its leading blocks (the sizes of ``schedule`` below
    ``size``; default ``size // 2``) are factored while the rest is
    evaluated, then bordered. If a leading block is singular (possible
    only when the generic rank is below its size or by a rare draw), the
    whole matrix is ranked again plainly. Returns ``(rank, evaluate_s,
    rank_s)``.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    part : Partition
        The split of the time steps.
    prime, seed, output : int
        The repetition's field and seed, the output row.
    weights : RACParams or TTParams
        Residues mod ``prime``.
    size : int
        The sample size.
    evaluate : callable, optional
        Replaces :func:`~tnrnn.rank.sampling.sample_matrix`.
    schedule : list of int, optional
        Sizes of the leading blocks to factor first (those below ``size``
        are used): the search's own schedule keeps both threads busy.

    Returns
    -------
    tuple
        ``(rank, evaluate_s, rank_s)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import certified_sample_rank, modp_params
    >>> spec, p = RAC(3, 2, 2, 6), 2_147_483_629
    >>> r, _, _ = repetition_rank(spec, start_end(6), p, 1, 0, modp_params(spec, p, 1), 40)
    >>> r == certified_sample_rank(spec, start_end(6), "continuous", p, 1, 0, "random",
    ...                            40, 40, "numpy")[0]
    True
    """
    from .rounds import _rank_of

    if schedule is None:
        schedule = [size // 2] if size // 2 >= 1 else []
    schedule = sorted({int(m) for m in schedule if 1 <= m < size}) + [size]
    out = bordered_search(spec, part, prime, seed, output, weights, schedule, size + 1,
                          evaluate=evaluate)
    if out["samples"] == size:
        return out["rank"], out["evaluate_s"], out["rank_s"]
    # the leading block was singular: rank the whole matrix
    t0 = time.perf_counter()
    XA = draw_halves(spec, part, "continuous", "A", 0, size, prime, seed)
    XB = draw_halves(spec, part, "continuous", "B", 0, size, prime, seed)
    Y = (evaluate or sample_matrix)(spec, weights, part, XA, XB, prime=prime, output=output)
    t1 = time.perf_counter()
    with blas_threads(1):
        r = _rank_of("blas", Y, prime)
    return r, out["evaluate_s"] + t1 - t0, out["rank_s"] + time.perf_counter() - t1
