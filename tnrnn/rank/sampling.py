"""Sample matrices ``Y[i, j] = y(a_i, b_j) mod p`` of a circuit output.

``a_i`` is an input "half" on the steps of side A of a partition, ``b_j``
one on side B; ``y(a, b)`` is the output with the two halves merged into one
sequence. ``rank(Y)`` bounds the separation rank (A, B) from below.

How the work is shared (``docs/theory.md`` section 3): let P be the side
that holds step 1 and ``{1..k}`` its longest run of leading steps. Every
P-half is run *once* through steps ``1..k`` (all layers), keeping the states
``h[k, 1..L]``; then every pair is run from its boundary through steps
``k+1..T`` only. For Start-End (``A = {1..T/2}``) that is the boundary-state
method, ``O(N_A N_B (T/2) L R^2)`` operations and no exponential tensor; for
other partitions it still saves the leading run. First-layer input
projections ``W_I[1] x_t`` depend on one half only and are computed per half.

For a prefix | suffix split of a RAC (Start-End among them) the first layer
costs nothing per pair: after step ``k`` it is linear in its boundary state,
``h[t, 1] = P_t(b) h[k, 1]`` with ``P_t = diag(W_I[1] x_t) W_H[1] P_{t-1}``
depending on the suffix half ``b`` only, so the input of layer 2,
``W_I[2] h[t, 1] = C_t(b) h[k, 1]``, is one matrix product per tile; at
depth 1 the whole matrix is ``Y = h[k, 1]^T (P_T^T w_O)``, a single product.

Halves are drawn deterministically from the seed (:func:`random_halves`), so
that a sample matrix is fixed by ``(seed, n_A, n_B)`` alone, however it was
grown.

Examples
--------
>>> from tnrnn.circuit import RAC, init_params_modp
>>> from tnrnn.partition import start_end
>>> spec = RAC(depth=1, hidden=2, input_dim=3, length=4)
>>> params = init_params_modp(spec, seed=0)
>>> XA = random_halves(0, "A", 0, 5, 2, 3)
>>> XB = random_halves(0, "B", 0, 6, 2, 3)
>>> sample_matrix(spec, params, start_end(4), XA, XB).shape
(5, 6)
"""

from __future__ import annotations

import itertools
import numbers
import threading
from contextlib import nullcontext

import numpy as np

from ..circuit import DEFAULT_PRIME, TTRNN, Params, Spec
from ..errors import SpecError, TooLargeError, check_positive_int
from ..partition import Partition
from ._engine import Circuit, Engine
from .modp import TILE_PAIRS, check_prime, matmul_mod, params_to_residues

__all__ = ["HALF_BLOCK", "SIDE_TAGS", "random_halves", "one_hot_halves",
           "merge_halves", "sample_matrix", "prefix_length"]

#: Halves are drawn in blocks of this many, each block from its own generator.
HALF_BLOCK = 64
#: Stream tags of the two sides in the seed sequence ``[seed, tag, block]``.
SIDE_TAGS = {"A": 1, "B": 2}


def random_halves(seed: int, side: str, start: int, stop: int, steps: int,
                  input_dim: int, prime: int = DEFAULT_PRIME) -> np.ndarray:
    """Halves ``start..stop-1`` of side ``side``, uniform in ``GF(prime)``.

    Half ``i`` is row ``i % HALF_BLOCK`` of the block
    ``numpy.random.default_rng([seed, SIDE_TAGS[side], i // HALF_BLOCK])
    .integers(0, prime, size=(HALF_BLOCK, steps, input_dim))``; it depends on
    nothing else, so the first ``n`` halves are the same for every ``stop >= n``.

    Parameters
    ----------
    seed : int
        The seed of the draw.
    side : {"A", "B"}
        Which side (each has its own stream).
    start, stop : int
        The halves ``start..stop-1``.
    steps : int
        Time steps on that side.
    input_dim : int
        Entries of each input.
    prime : int
        Entries are uniform in ``[0, prime)``.

    Returns
    -------
    int64 array of shape (stop - start, steps, input_dim)

    Examples
    --------
    >>> a = random_halves(7, "A", 0, 100, 3, 2)
    >>> b = random_halves(7, "A", 60, 70, 3, 2)
    >>> bool((a[60:70] == b).all()), a.shape
    (True, (100, 3, 2))
    """
    tag = SIDE_TAGS[side]
    if stop <= start:
        return np.zeros((0, steps, input_dim), dtype=np.int64)
    first, last = start // HALF_BLOCK, (stop - 1) // HALF_BLOCK
    blocks = [np.random.default_rng([seed, tag, b]).integers(
        0, prime, size=(HALF_BLOCK, steps, input_dim), dtype=np.int64)
        for b in range(first, last + 1)]
    allrows = np.concatenate(blocks, axis=0)
    off = first * HALF_BLOCK
    return allrows[start - off:stop - off]


def one_hot_halves(steps: int, input_dim: int, *, limit: int | None = None
                   ) -> np.ndarray:
    """All ``input_dim ** steps`` one-hot halves, in lexicographic order of
    their symbols (the first step varies slowest).

    Raises :class:`~tnrnn.errors.TooLargeError` when there would be more than
    ``limit`` halves.

    Parameters
    ----------
    steps : int
        Time steps of a half.
    input_dim : int
        Symbols (``M``).
    limit : int, optional
        The most halves allowed.

    Returns
    -------
    ndarray of int64, shape (input_dim ** steps, steps, input_dim)
        One-hot vectors.

    Examples
    --------
    >>> one_hot_halves(2, 2).argmax(axis=2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    count = input_dim ** steps
    if limit is not None and count > limit:
        raise TooLargeError(f"enumerating all one-hot halves needs {input_dim}^{steps} "
                            f"= {count:,} halves; the limit is {limit:,}",
                            estimate=count, limit=limit)
    symbols = np.array(list(itertools.product(range(input_dim), repeat=steps)),
                       dtype=np.int64).reshape(count, steps)
    return np.eye(input_dim, dtype=np.int64)[symbols]


def merge_halves(partition: Partition, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full sequences from one A-half and one B-half (or batches of equal
    length): shape (..., T, M).

    Parameters
    ----------
    partition : Partition
        Which steps each side holds.
    a, b : ndarray
        A-halves ``(..., |A|, M)`` and B-halves ``(..., |B|, M)``.

    Returns
    -------
    ndarray, shape (..., T, M)
        The sequences, steps in time order.

    Examples
    --------
    >>> from tnrnn.partition import odd_even
    >>> a = np.array([[[1], [3]]]); b = np.array([[[2], [4]]])
    >>> merge_halves(odd_even(4), a, b)[0, :, 0].tolist()
    [1, 2, 3, 4]
    """
    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    T, M = partition.length, a.shape[-1]
    out = np.zeros(shape + (T, M), dtype=np.result_type(a, b))
    out[..., [t - 1 for t in partition.A], :] = a
    out[..., [t - 1 for t in partition.B], :] = b
    return out


def prefix_length(steps: tuple) -> int:
    """The largest ``k`` with ``{1..k}`` contained in ``steps``.

    Parameters
    ----------
    steps : tuple of int
        Sorted time steps (1-based).

    Returns
    -------
    int
        ``k``, 0 when step 1 is missing.

    Examples
    --------
    >>> prefix_length((1, 2, 3, 5)), prefix_length((2, 3))
    (3, 0)
    """
    k, s = 0, set(steps)
    while k + 1 in s:
        k += 1
    return k


def sample_matrix(spec: Spec, params: Params, partition: Partition, XA, XB, *,
                  prime: int = DEFAULT_PRIME, output: int = 0, progress=None,
                  workers: int = 1, fused: bool | None = None) -> np.ndarray:
    """``Y[i, j] = y_output(XA[i] on the A-steps, XB[j] on the B-steps) mod prime``.

    Parameters
    ----------
    spec : RAC or TTRNN
    params : integer parameters (reduced modulo ``prime``)
    partition : Partition
        ``partition.length`` must equal ``spec.length``.
    XA : integer array of shape ``(N_A, |A|, M)``
        A-halves: inputs of the A-steps, in increasing step order.
    XB : integer array of shape ``(N_B, |B|, M)``
    prime : int
    output : int
        Which output (row of ``W_O``).
    progress : callable, optional
        Called as ``progress("evaluate", done, total)`` (entries of ``Y``
        filled so far) after each tile.
    fused : bool or None, default None
        For a prefix | suffix split of a RAC of depth >= 2: ``True`` uses the
        compiled kernel of :mod:`tnrnn.rank._fused` (numba), ``False`` the
        numpy engine, ``None`` the kernel from ``FUSED_MIN_WORK`` on (pairs x
        suffix steps x (L - 1) x R^2) when numba imports. The result does not depend on it.
    workers : int, default 1
        Threads filling tiles of ``Y`` (numpy and BLAS release the GIL, but
        the kernels are memory-bound: on a 2-core machine a second thread
        gained nothing). The result does not depend on it.

    Returns
    -------
    int64 array (N_A, N_B), entries in ``[0, prime)``.

    Notes
    -----
    Cost: ``N_P`` prefix runs of ``k`` steps plus ``N_A N_B`` runs of
    ``T - k`` steps, each step ``O(L R^2)`` (``O(R^2 M)`` for a TT-RNN). Pairs
    are processed in tiles of at most ``TILE_PAIRS`` copies (fewer for wide
    circuits), so the work buffers stay cache-sized whatever ``N_A`` and
    ``N_B`` are.

    Examples
    --------
    It agrees with evaluating the merged sequences one by one:

    >>> from tnrnn.circuit import RAC, init_params_modp
    >>> from tnrnn.partition import odd_even
    >>> from tnrnn.rank import evaluate_modp
    >>> spec, part = RAC(2, 2, 2, 5), odd_even(5)
    >>> params = init_params_modp(spec, seed=1)
    >>> XA, XB = random_halves(1, "A", 0, 3, 3, 2), random_halves(1, "B", 0, 4, 2, 2)
    >>> Y = sample_matrix(spec, params, part, XA, XB)
    >>> full = merge_halves(part, XA[:, None], XB[None, :]).reshape(12, 5, 2)
    >>> bool((Y.ravel() == evaluate_modp(spec, params, full)[:, 0]).all())
    True
    """
    p = check_prime(prime)
    workers = check_positive_int("workers", workers)
    if partition.length != spec.length:
        raise SpecError(f"the partition covers {partition.length} steps but the spec "
                        f"has length T={spec.length}")
    if isinstance(output, bool) or not isinstance(output, numbers.Integral) \
            or not 0 <= int(output) < spec.outputs:
        raise SpecError(f"output must be an integer in [0, {spec.outputs}); got {output!r}")
    params = params_to_residues(spec, params, p)
    M = spec.input_dim
    XA = np.mod(np.asarray(XA, dtype=np.int64), p)
    XB = np.mod(np.asarray(XB, dtype=np.int64), p)
    for name, X, steps in (("XA", XA, partition.A), ("XB", XB, partition.B)):
        if X.ndim != 3 or X.shape[1:] != (len(steps), M):
            raise SpecError(f"{name} must have shape (N, {len(steps)}, {M}); got {X.shape}")
    transpose = 1 not in partition.A
    if transpose:
        P_steps, Q_steps, XP, XQ = partition.B, partition.A, XB, XA
    else:
        P_steps, Q_steps, XP, XQ = partition.A, partition.B, XA, XB
    NP, NQ = XP.shape[0], XQ.shape[0]
    Y = np.zeros((NP, NQ), dtype=np.int64)
    if NP and NQ:
        _fill(Y, Circuit(params, p, isinstance(spec, TTRNN), int(output)),
              P_steps, Q_steps, XP, XQ, spec.length, progress, workers, fused)
    return Y.T if transpose else Y


def _fill(Y, circ, P_steps, Q_steps, XP, XQ, T, progress, workers, fused=None) -> None:
    """Fill ``Y`` (N_P x N_Q) tile by tile; see the module docstring."""
    NP, NQ = Y.shape
    eng = Engine(circ.p)
    p_pos = {t: i for i, t in enumerate(P_steps)}
    q_pos = {t: i for i, t in enumerate(Q_steps)}
    k = prefix_length(P_steps)
    FP = {t: circ.project(eng, XP[:, i].T) for t, i in p_pos.items()}
    FQ = {t: circ.project(eng, XQ[:, i].T) for t, i in q_pos.items()}
    # 1. Each P-half once through its leading steps 1..k: boundary states.
    c = circ.tile(TILE_PAIRS)
    bounds = [np.empty((circ.R, NP), dtype=np.uint64) for _ in range(circ.L)]
    for r0 in range(0, NP, c):
        r1 = min(NP, r0 + c)
        states = circ.run_tile(eng, [h[:, None, None] for h in circ.h0],
                               [FP[t][:, r0:r1, None] for t in range(1, k + 1)],
                               r1 - r0, 1, want="states")
        for b, s in zip(bounds, states):
            b[:, r0:r1] = s
    # 2. Every pair from its boundary through steps k+1..T.
    later = range(k + 1, T + 1)
    linear = not circ.tt and k == len(P_steps)
    if linear:
        # Prefix | suffix split: layer 1 after step k is linear in its
        # boundary state, h[t, 1] = P_t(suffix half) @ h[k, 1].
        transfers = circ.layer1_transfer(eng, [FQ[t] for t in later])
        if circ.L == 1:
            V = eng.product(circ.wo, transfers[-1].reshape(circ.R, -1))
            Y[:] = matmul_mod(bounds[0].T.astype(np.int64),
                              V.reshape(circ.R, NQ).astype(np.int64), circ.p)
            if progress is not None:
                progress("evaluate", NP * NQ, NP * NQ)
            return
        if _use_fused(circ, NP, NQ, fused, len(transfers)):
            _fill_fused(Y, circ, eng, bounds, transfers, progress)
            return
        feeds2 = circ.layer2_feeds(eng, transfers)
        del transfers
        b1 = bounds[0].T
        b1s = np.concatenate([b1 & np.uint64(0xFFFF), b1 >> np.uint64(16)],
                             axis=1).astype(np.float64)
    tile = circ.tile(TILE_PAIRS)
    q = min(NQ, tile)
    c = max(1, tile // q)
    tiles = [(r0, min(NP, r0 + c), q0, min(NQ, q0 + q))
             for r0 in range(0, NP, c) for q0 in range(0, NQ, q)]
    local = threading.local()

    def work(box):
        r0, r1, q0, q1 = box
        e = getattr(local, "engine", None)
        if e is None:
            e = local.engine = Engine(circ.p)
        if linear:
            out = circ.run_tile_linear(
                e, b1s[r0:r1], [b[:, r0:r1, None] for b in bounds[1:]],
                [C2[..., q0:q1] for C2 in feeds2], r1 - r0, q1 - q0)
        else:
            feeds = [FP[t][:, r0:r1, None] if t in p_pos else FQ[t][:, None, q0:q1]
                     for t in later]
            out = circ.run_tile(e, [b[:, r0:r1, None] for b in bounds], feeds,
                                r1 - r0, q1 - q0)
        Y[r0:r1, q0:q1] = out.reshape(r1 - r0, q1 - q0)
        return (r1 - r0) * (q1 - q0)

    workers = _workers(workers, len(tiles))
    done, total = 0, NP * NQ
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        for n in (pool.map(work, tiles) if pool else map(work, tiles)):
            done += n
            if progress is not None:
                progress("evaluate", done, total)


#: Work (pairs x suffix steps x (L - 1) x R^2) from which the fused kernel
#: (numba) fills a prefix | suffix matrix: below it the numpy engine takes a
#: few seconds at most, less than importing numba and loading the compiled
#: kernel (about 1.5 s; the first compilation, cached afterwards, ~5 s).
FUSED_MIN_WORK = 1 << 28


def _use_fused(circ, NP, NQ, fused, steps: int = 1) -> bool:
    if fused is False or circ.tt or circ.L < 2:
        return False
    if fused is None and NP * NQ * steps * (circ.L - 1) * circ.R ** 2 < FUSED_MIN_WORK:
        return False              # small: numba is not even imported
    from . import _fused

    return circ.p >= _fused.MIN_PRIME and _fused.available()


def _fill_fused(Y, circ, eng, bounds, transfers, progress) -> None:
    """The prefix | suffix matrix by :func:`tnrnn.rank._fused.linear_rows`."""
    from ._fused import linear_rows

    R, L = circ.R, circ.L
    NP, NQ = Y.shape
    C = np.stack([eng.product(circ.WI[1], P.reshape(R, -1)).reshape(R, R, NQ)
                  for P in transfers])
    del transfers
    uint = lambda W: np.ascontiguousarray(W.cat[:, :W.K], dtype=np.uint64)  # noqa: E731
    WH = np.stack([uint(circ.WH[l]) for l in range(1, L)])
    WI = np.stack([uint(circ.WI[l]) for l in range(1, L)])
    wo = uint(circ.wo)[0]
    b1 = np.ascontiguousarray(bounds[0].T)
    init = np.ascontiguousarray(np.stack(bounds[1:]))
    out = Y.view(np.uint64)        # residues in [0, p) read the same either way
    step = max(1, (1 << 16) // max(1, NQ))
    for r0 in range(0, NP, step):
        r1 = min(NP, r0 + step)
        linear_rows(b1[r0:r1], np.ascontiguousarray(init[:, :, r0:r1]), C, WH, WI, wo,
                    circ.p, out[r0:r1])
        if progress is not None:
            progress("evaluate", r1 * NQ, NP * NQ)


def _workers(workers: int, ntiles: int) -> int:
    return max(1, min(workers, ntiles))
