"""Certification on executors: the task functions that :mod:`tnrnn.parallel`
runs for the rank commands, and a block evaluator for one big rank.

``tnrnn table`` runs one :func:`rank_row` per row of a sweep (longest first
by :func:`rank_row_cost`), and ``tnrnn rank --workers/--scheduler`` hands
:class:`RowBlocks` to :func:`tnrnn.rank.separation_rank` as its evaluator,
which runs :func:`sample_block` on the workers.

A Dask scheduler and spawned worker processes unpickle a task function by
its import path, so every function run on a worker lives here, importable
from an installed tnrnn (the same version on every node). Tasks take and
return plain data (dicts, ints, strings): specs do not travel as objects and
python-flint objects, which do not pickle, never leave the worker. This
module imports :mod:`tnrnn.parallel` only inside :meth:`RowBlocks.__call__`
(to run the blocks), and never dask: an executor is handed to it.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> row = rank_row(RAC(2, 2, 2, 8).to_dict(), "start-end", "continuous", 0, None)
>>> row["rank"], row["relation"]
(10, '=')
"""

from __future__ import annotations

__all__ = ["rank_row", "rank_row_cost", "rank_claim", "sample_block", "RowBlocks",
           "BLOCK_MIN_ENTRIES", "BLOCK_MAX_BYTES", "BLOCKS_PER_WORKER"]

#: Fewest entries of the sample matrix per block (about 15-70 ms of CPU at
#: 60-260 ns an entry): a block costs some milliseconds of pickling and
#: scheduling, and re-derives the column side (suffix transfer matrices).
BLOCK_MIN_ENTRIES = 2**18
#: Most bytes of one block's result (int64 rows x columns).
BLOCK_MAX_BYTES = 32 * 2**20
#: Blocks per worker thread in one call (load balance against stragglers).
BLOCKS_PER_WORKER = 4


def rank_claim(res) -> str:
    """The claim a :class:`~tnrnn.rank.RankResult` makes, as text (its
    ``claim()``, with thousands separators): ``"= r (...)"`` or ``">= r"``.

    Parameters
    ----------
    res : RankResult
        A result (or anything with ``rank`` and ``complete``).

    Returns
    -------
    str
        The claim.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.rank import separation_rank
    >>> rank_claim(separation_rank(RAC(2, 3, 3, 8)))
    '= 45 (certain: equals the proven upper bound)'
    """
    claim = getattr(res, "claim", None)
    if callable(claim):
        try:
            return str(claim(thousands=True))
        except TypeError:
            return str(claim())
    return (f"= {res.rank:,}" if res.complete else f">= {res.rank:,}")


def _relation(res) -> str:
    relation = getattr(res, "relation", None)
    if isinstance(relation, str):
        return relation
    return "=" if res.complete else ">="


def rank_row(spec: dict, partition, inputs: str, seed: int, max_samples: int | None,
             limits: dict | None = None) -> dict:
    """One certified rank of a sweep, as plain data.

    Parameters
    ----------
    spec : dict
        ``spec.to_dict()`` of a RAC or TT-RNN.
    partition, inputs, seed, max_samples
        As for :func:`tnrnn.separation_rank` (``max_samples=None``: its default).
    limits : dict, optional
        ``max_memory`` (bytes) and/or ``max_seconds`` for
        :func:`tnrnn.separation_rank`.

    Returns
    -------
    dict
        ``rank``, ``complete``, ``relation`` (``"="`` or ``">="``), ``claim``
        (text), ``samples``, ``prime``, ``method``, ``rounds``,
        ``evaluate_s``, ``rank_s``, ``total_s`` and the JSON ``certificate``;
        plus ``certainty`` and ``failure_probability`` when the rank result
        carries them.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import sample_cap
    >>> row = rank_row(RAC(2, 2, 2, 6).to_dict(), "start-end", "continuous", 0, None)
    >>> row["claim"], row["rank"] == row["certificate"]["rank"] == sample_cap(RAC(2, 2, 2, 6), start_end(6))
    ('= 8 (certain: equals the proven upper bound)', True)
    """
    from .certificate import spec_from_dict
    from .separation import separation_rank

    kwargs = {"seed": seed, "inputs": inputs, **(limits or {})}
    if max_samples is not None:
        kwargs["max_samples"] = max_samples
    res = separation_rank(spec_from_dict(spec), partition, **kwargs)
    out = {"rank": int(res.rank), "complete": bool(res.complete), "relation": _relation(res),
           "claim": rank_claim(res), "samples": [int(n) for n in res.samples],
           "prime": int(res.prime), "method": res.method, "rounds": int(res.rounds)}
    if hasattr(res, "certainty"):
        p = getattr(res, "failure_probability", None)
        out["certainty"] = str(res.certainty)
        out["failure_probability"] = None if p is None else float(p)
    out.update({"evaluate_s": res.timings.get("evaluate", 0.0),
                "rank_s": res.timings.get("rank", 0.0),
                "total_s": res.timings.get("total", 0.0),
                "certificate": res.certificate})
    return out


def rank_row_cost(spec, partition, inputs: str, max_samples: int | None,
                  expected_rank: int | None = None, limits: dict | None = None) -> float:
    """Estimated seconds of :func:`rank_row`, checked against the limits
    before anything runs.

    The rounds the search will run are replayed from the schedule that
    :func:`tnrnn.separation_rank` fixes in advance
    (:func:`tnrnn.rank.sample_schedule`; one-hot: the full grid), stopping
    at the first size above ``expected_rank`` (default: the sample cap), and
    each round is priced by :func:`tnrnn.rank.estimate_round` (an order of
    magnitude; only ratios between rows matter for longest-first order).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    partition : str or Partition
        As for :func:`tnrnn.separation_rank`.
    inputs : {"continuous", "one-hot"}
        How the halves are drawn.
    max_samples : int or None
        The cap per side (``None``: the default).
    expected_rank : int, optional
        Where the replayed search stops.
    limits : dict, optional
        ``max_memory`` and/or ``max_seconds``.

    Returns
    -------
    float
        Estimated seconds.

    Raises
    ------
    TooLargeError
        When the whole search would exceed ``limits`` (``max_memory`` bytes,
        ``max_seconds``; the defaults of :func:`tnrnn.separation_rank`
        otherwise), as :func:`tnrnn.separation_rank` would refuse it: so a
        sweep is refused before its first row runs.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> big = rank_row_cost(RAC(3, 3, 3, 8), "start-end", "continuous", None)
    >>> small = rank_row_cost(RAC(3, 3, 3, 6), "start-end", "continuous", None)
    >>> big > 10 * small
    True
    """
    from ..circuit import DEFAULT_PRIME
    from ..partition import parse_partition
    from .pipeline import choose_engine
    from .separation import (DEFAULT_MAX_MEMORY, DEFAULT_MAX_SAMPLES, DEFAULT_MAX_SECONDS,
                             check_search, estimate_round, one_hot_sizes, sample_cap,
                             sample_schedule)

    limits = limits or {}
    max_samples = DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    part = parse_partition(partition, spec.length)
    if inputs == "one-hot":
        schedule = [one_hot_sizes(spec, part, max_samples)]
    else:
        schedule = [(n, n) for n in sample_schedule(sample_cap(spec, part, inputs),
                                                    max_samples)]
    # the engine separation_rank will take (its default rank_method "auto"),
    # so that the memory estimate is the one it checks
    memory = ("blas" if inputs == "continuous" and
              choose_engine(DEFAULT_PRIME, schedule[-1][0])["engine"] == "blas" else "flint")
    check_search(spec, part, schedule, limits.get("max_memory", DEFAULT_MAX_MEMORY),
                 limits.get("max_seconds", DEFAULT_MAX_SECONDS), engine=memory)
    cost = 0.0
    for n_a, n_b in schedule:
        cost += estimate_round(spec, part, n_a, n_b)["seconds"]
        if expected_rank is not None and expected_rank < min(n_a, n_b):
            break
    return cost


# ------------------------------------------------------- one big rank, in blocks
def sample_block(spec: dict, params, partition, XP, XQ, prime: int, output: int,
                 fused: bool, transpose: bool):
    """One block of a sample matrix, on a worker: plain data in, a plain
    array of residues out (python-flint objects never leave the worker):
    uint32, half the bytes of int64, since every prime is below ``2**31``.

    ``XP`` are halves of the side that holds step 1 (its leading run is what
    :func:`tnrnn.rank.sampling.sample_matrix` shares), ``XQ`` all halves of
    the other side; the block is ``sample_matrix(spec, params, partition,
    XA, XB)`` with ``XA, XB = XP, XQ`` (or ``XQ, XP`` when ``transpose``),
    returned with the ``XP`` rows first: shape ``(len(XP), len(XQ))``.
    ``fused`` is the evaluation path the whole matrix would take (the kernel
    is chosen by size, and a block is smaller); the entries do not depend
    on it.

    Parameters
    ----------
    spec : dict
        ``spec.to_dict()``.
    params : RACParams or TTParams
        Residues mod ``prime``.
    partition : Partition
        The split of the time steps.
    XP, XQ : ndarray of int64
        Halves of the side holding step 1 (this block's rows), and of the
        other side.
    prime : int
        The field.
    output : int
        The output row.
    fused : bool
        The evaluation path of the whole matrix.
    transpose : bool
        Whether side A is the ``XQ`` side.

    Returns
    -------
    ndarray of uint32, shape (len(XP), len(XQ))
        The block.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import modp_params, random_halves, sample_matrix
    >>> spec, part = RAC(2, 2, 2, 6), start_end(6)
    >>> params = modp_params(spec)
    >>> XA, XB = random_halves(0, "A", 0, 9, 3, 2), random_halves(0, "B", 0, 7, 3, 2)
    >>> Y = sample_matrix(spec, params, part, XA, XB)
    >>> block = sample_block(spec.to_dict(), params, part, XA[3:6], XB, 2**31 - 1, 0,
    ...                      False, False)
    >>> block.dtype, bool((block == Y[3:6]).all())
    (dtype('uint32'), True)
    """
    import numpy as np

    from .certificate import spec_from_dict
    from .sampling import sample_matrix

    s = spec_from_dict(spec)
    if transpose:
        Y = sample_matrix(s, params, partition, XQ, XP, prime=prime, output=output,
                          fused=fused).T
    else:
        Y = sample_matrix(s, params, partition, XP, XQ, prime=prime, output=output,
                          fused=fused)
    return np.ascontiguousarray(Y, dtype=np.uint32 if prime < 2**32 else np.int64)


class RowBlocks:
    """A sample-matrix evaluator for :func:`tnrnn.separation_rank`
    (``evaluate=RowBlocks(executor)``): each matrix is cut into blocks of
    rows, each block evaluated by :func:`sample_block` on a worker of
    ``executor``, and the blocks put together here.

    The blocks run along the side that holds step 1 (rows of ``Y`` for
    Start-End), so each worker runs only its own halves through the shared
    leading steps; the other side's halves travel with every block. The
    entries are those of :func:`tnrnn.rank.sampling.sample_matrix` (exact
    residues, whatever ran them), so the rank, the claim and the certificate
    equal the serial run's; only the timings differ.

    Parameters
    ----------
    executor : optional
        From :func:`tnrnn.parallel.make_executor` (a process pool or a Dask
        cluster), or any :class:`concurrent.futures.Executor`; ``None`` runs
        the blocks here, one after the other.
    block_rows : int, optional
        Rows per block. Default: the rows split into
        :data:`BLOCKS_PER_WORKER` blocks per worker thread, at least
        :data:`BLOCK_MIN_ENTRIES` entries (so a small matrix is one block)
        and at most :data:`BLOCK_MAX_BYTES` of result per block.
    retries : int
        Reruns of a block whose worker died (:func:`tnrnn.parallel.iter_tasks`).

    Attributes
    ----------
    records : list of dict
        One per block evaluated: ``rows``, ``cols``, ``cpu_s`` (process
        time in the worker), ``thread_cpu_s``, ``wall_s``, ``worker``,
        ``attempts``; and per call ``calls`` (wall seconds of each call, as
        the client saw it).

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.rank import separation_rank
    >>> spec = RAC(depth=3, hidden=2, input_dim=2, length=6)
    >>> blocks = RowBlocks(None, block_rows=10)
    >>> res = separation_rank(spec, evaluate=blocks)
    >>> res.claim() == separation_rank(spec).claim(), len(blocks.records) > 5
    (True, True)
    """

    def __init__(self, executor=None, *, block_rows: int | None = None, retries: int = 2):
        from ..errors import SpecError, check_positive_int

        if block_rows is not None:
            block_rows = check_positive_int("block_rows", block_rows)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise SpecError(f"retries must be an integer >= 0; got {retries!r}")
        self.executor, self.block_rows, self.retries = executor, block_rows, retries
        self.records: list = []
        self.calls: list = []

    def _capacity(self) -> int:
        ex = self.executor
        if ex is None:
            return 1
        cap = getattr(ex, "capacity", None)
        n = cap() if callable(cap) else getattr(ex, "_max_workers", 1)
        return max(1, int(n or 1))

    def rows_per_block(self, n_rows: int, n_cols: int) -> int:
        """Rows of each block of an ``n_rows x n_cols`` matrix (see ``block_rows``)."""
        if self.block_rows is not None:
            return self.block_rows
        cols = max(1, n_cols)
        per = -(-n_rows // (BLOCKS_PER_WORKER * self._capacity()))
        least = -(-BLOCK_MIN_ENTRIES // cols)
        most = max(1, BLOCK_MAX_BYTES // (8 * cols))
        return max(1, min(max(per, least), most, max(1, n_rows)))

    def __call__(self, spec, params, partition, XA, XB, *, prime, output=0, progress=None):
        import time

        import numpy as np

        from ..parallel.runner import iter_tasks
        from .sampling import FUSED_MIN_WORK, prefix_length

        t0 = time.perf_counter()
        transpose = 1 not in partition.A
        XP, XQ = (XB, XA) if transpose else (XA, XB)
        XP, XQ = np.asarray(XP, dtype=np.int64), np.asarray(XQ, dtype=np.int64)
        NP, NQ = len(XP), len(XQ)
        lead = partition.B if transpose else partition.A
        k = prefix_length(lead)
        fused = bool(k == len(lead) and spec.depth >= 2 and
                     NP * NQ * (spec.length - k) * (spec.depth - 1) * spec.hidden ** 2
                     >= FUSED_MIN_WORK)
        Y = np.empty((NP, NQ), dtype=np.int64)
        if NP and NQ:
            rows = self.rows_per_block(NP, NQ)
            bounds = [(r0, min(NP, r0 + rows)) for r0 in range(0, NP, rows)]
            sd = spec.to_dict()
            tasks = {f"{r0}:{r1}": (sd, params, partition, XP[r0:r1], XQ, int(prime),
                                    int(output), fused, transpose) for r0, r1 in bounds}
            done = 0
            for res in iter_tasks(sample_block, tasks, executor=self.executor,
                                  cost={k_: r1 - r0 for k_, (r0, r1) in
                                        zip(tasks, bounds)}, retries=self.retries):
                r0, r1 = map(int, res.key.split(":"))
                Y[r0:r1] = res.value
                done += (r1 - r0) * NQ
                self.records.append({"rows": r1 - r0, "cols": NQ, "cpu_s": res.cpu_s,
                                     "thread_cpu_s": res.thread_cpu_s, "wall_s": res.wall_s,
                                     "worker": res.worker, "attempts": res.attempts})
                if progress is not None:
                    progress("evaluate", done, NP * NQ)
        self.calls.append(time.perf_counter() - t0)
        return Y.T if transpose else Y
