"""Loop re-rolling: find the repeated blocks of a contraction program, so
that the JAX engine runs them with ``jax.lax.scan`` instead of unrolling
every step (no JAX here: this is a pure analysis of the program).

A contraction program (:class:`tnrnn.contract.plan.Plan`) of a recurrent
network is mostly the same few steps over and over: along the chain of a
depth-1 RAC, each time step adds the same three einsum steps on the same
weights and the next input vector. Traced unrolled, XLA compiles every
copy: about 5 ms per step (depth 1, ``R = M = 8``, ``T = 1024``: 3,073
steps, 14.6 s to compile). Re-rolled, it compiles one block.

A *run* is ``r`` consecutive blocks of ``p`` steps (block ``i`` is steps
``start + i p .. start + i p + p - 1``) in which every block does the same
thing as the one before, shifted: for each step of the block and each
operand, the operand is

* ``("int", q)``: the result of step ``q`` of the same block;
* ``("car", q)``: the result of step ``q`` of the previous block (for block
  0, an *initial* value computed before the run);
* ``("w", slot)``: a weight (equal in every block);
* ``("ext", id)``: a value computed before the run (equal in every block);
* ``("x", t0, d)``: the input of time step ``t0 + i d`` in block ``i``
  (``d = +1`` or ``-1``).

Operands of block 0 that are ``("car", q)`` in the later blocks are the
initial values, recorded per step and operand. Results of the run that
steps after it read are *exported* (stacked over blocks by the scan).

Examples
--------
A chain ``h_{t} = einsum(h_{t-1}, W)``: one step per block, carrying its
own result.

>>> sources = (("w", 0), ("w", 1))          # W, h0
>>> steps = tuple(((k + 1, 0), "a,ab->b") for k in range(6))   # h0, then results
>>> runs = find_runs(sources, steps, min_blocks=3)
>>> [(r.start, r.period, r.blocks) for r in runs]
[(0, 1, 6)]
>>> runs[0].operands
((('car', 0), ('w', 0)),)
>>> runs[0].initial, runs[0].exported, runs[0].last_only
({(0, 0): 1}, (), (0,))

Only the last block's result is read after the run (it is the output), so
the scan carries it instead of stacking every block's.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

__all__ = ["Run", "find_runs", "MAX_PERIOD", "MIN_BLOCKS"]

#: Longest block searched (steps).
MAX_PERIOD = 12
#: Fewest blocks worth a scan.
MIN_BLOCKS = 4


@dataclasses.dataclass(frozen=True)
class Run:
    """``blocks`` repetitions of a block of ``period`` steps from step
    ``start``.

    ``eqs[q]`` is the einsum string of block step ``q``; ``operands[q]`` its
    operand descriptors (see the module docstring); ``initial[(q, a)]`` the
    id read by operand ``a`` of step ``q`` of block 0 where later blocks
    carry; ``exported`` the block steps whose results are read after the
    run in some block before the last (stacked over blocks by the scan);
    ``last_only`` those read after the run in the last block only (carried
    by the scan).

    Parameters
    ----------
    start : int
        First step of the run.
    period : int
        Steps per block.
    blocks : int
        Blocks.
    eqs : tuple of str
        Einsum string of each block step.
    operands : tuple
        Operand descriptors of each block step.
    initial : dict
        ``(q, a) -> id`` read by block 0 where later blocks carry.
    exported : tuple of int
        Block steps read after the run from blocks before the last.
    last_only : tuple of int
        Block steps read after the run from the last block only.

    Examples
    --------
    >>> sources = (("w", 0), ("w", 1))
    >>> steps = tuple(((k + 1, 0), "a,ab->b") for k in range(5))
    >>> (run,) = find_runs(sources, steps, min_blocks=3)
    >>> isinstance(run, Run), run.stop, run.eqs
    (True, 5, ('a,ab->b',))
    >>> run.to_dict()["initial"], run.to_dict()["operands"]
    ([[0, 0, 1]], [[['car', 0], ['w', 0]]])
    """

    start: int
    period: int
    blocks: int
    eqs: tuple
    operands: tuple
    initial: dict
    exported: tuple
    last_only: tuple = ()

    @property
    def stop(self) -> int:
        """One past the last step of the run."""
        return self.start + self.period * self.blocks

    def to_dict(self) -> dict:
        """Plain data (JSON-ready): the fields with tuples as lists, and
        ``stop``.

        Returns
        -------
        dict
            ``start``, ``period``, ``blocks``, ``stop``, ``eqs``, ``operands``
            (``[[descriptor as a list, ...] per block step]``), ``initial`` as
            ``[step, operand, id]`` triples (JSON keys are strings, so the
            ``(step, operand)`` keys become the first two entries; sorted),
            ``exported`` and ``last_only``.

        Examples
        --------
        >>> import json
        >>> run = Run(start=2, period=1, blocks=5, eqs=("a,ab->b",),
        ...           operands=((("car", 0), ("x", 3, 1)),), initial={(0, 0): 7},
        ...           exported=(0,))
        >>> json.loads(json.dumps(run.to_dict()))
        {'start': 2, 'period': 1, 'blocks': 5, 'stop': 7, 'eqs': ['a,ab->b'], 'operands': [[['car', 0], ['x', 3, 1]]], 'initial': [[0, 0, 7]], 'exported': [0], 'last_only': []}
        """
        return {"start": self.start, "period": self.period, "blocks": self.blocks,
                "stop": self.stop, "eqs": list(self.eqs),
                "operands": [[list(d) for d in ops] for ops in self.operands],
                "initial": [[q, a, v] for (q, a), v in sorted(self.initial.items())],
                "exported": list(self.exported), "last_only": list(self.last_only)}


def _describe(v, i, q, base, p, sources, n):
    """Descriptor of operand id ``v`` read by step ``q`` of block ``i`` of a
    candidate run starting at result id ``base`` (``= n + start``)."""
    if v >= base:
        off = v - base - i * p
        if 0 <= off < q:
            return ("int", off)
        off += p
        if i >= 1 and 0 <= off < p:
            return ("car", off)
        return None                      # reaches further back: not a run
    if v < n:
        kind, where = sources[v]
        if kind == "w":
            return ("w", where)
        return ("xt", where)             # resolved into ("x", t0, d) below
    return ("ext", v)


def _block(steps, sources, n, start, p, i):
    """Descriptors of block ``i`` (``None`` if a step reads too far back)."""
    base = n + start
    out = []
    for q in range(p):
        ids, eq = steps[start + i * p + q]
        d = []
        for v in ids:
            x = _describe(v, i, q, base, p, sources, n)
            if x is None:
                return None
            d.append(x)
        out.append((eq, tuple(d)))
    return out


def _same(b0, b1, i, x_base, x_dir):
    """Whether block ``b1`` (index ``i >= 1``) repeats the pattern ``b0``
    (descriptors of block 1); fills ``x_base``/``x_dir`` from block 1."""
    for q, ((e0, d0), (e1, d1)) in enumerate(zip(b0, b1)):
        if e0 != e1 or len(d0) != len(d1):
            return False
        for a, (u, v) in enumerate(zip(d0, d1)):
            if u[0] == "xt" and v[0] == "xt":
                key = (q, a)
                if key not in x_dir:
                    return False
                if v[1] != x_base[key] + i * x_dir[key]:
                    return False
            elif u != v:
                return False
    return True


def _try(steps, sources, n, start, p, min_blocks):
    """The run of period ``p`` starting at ``start``, or ``None``."""
    K = len(steps)
    if start + p * min_blocks > K:
        return None
    b0 = _block(steps, sources, n, start, p, 0)
    b1 = _block(steps, sources, n, start, p, 1)
    if b0 is None or b1 is None:
        return None
    initial, x_base, x_dir = {}, {}, {}
    pattern = []
    for q, ((e0, d0), (e1, d1)) in enumerate(zip(b0, b1)):
        if e0 != e1 or len(d0) != len(d1):
            return None
        for a, (u, v) in enumerate(zip(d0, d1)):
            if v[0] == "car":
                if u[0] in ("int", "car"):
                    return None          # block 0 must read an earlier value
                initial[(q, a)] = steps[start + q][0][a]
            elif u[0] == "xt" and v[0] == "xt":
                d = v[1] - u[1]
                if d not in (1, -1):
                    return None
                x_base[(q, a)], x_dir[(q, a)] = u[1], d
            elif u != v:
                return None
        pattern.append((e1, d1))
    blocks = 2
    while start + (blocks + 1) * p <= K:
        b = _block(steps, sources, n, start, p, blocks)
        if b is None or not _same(pattern, b, blocks, x_base, x_dir):
            break
        blocks += 1
    if blocks < min_blocks:
        return None
    operands = []
    for q, (_, d) in enumerate(pattern):
        ops = []
        for a, v in enumerate(d):
            if v[0] == "xt":
                ops.append(("x", x_base[(q, a)], x_dir[(q, a)]))
            else:
                ops.append(v)
        operands.append(tuple(ops))
    return Run(start=start, period=p, blocks=blocks, eqs=tuple(e for e, _ in pattern),
               operands=tuple(operands), initial=initial, exported=())


def find_runs(sources, steps, *, max_period: int = MAX_PERIOD,
              min_blocks: int = MIN_BLOCKS) -> list:
    """The runs of a program, left to right, not overlapping: at each step
    the period covering the most steps is taken (ties to the shorter).

    A run whose carried values do not keep one shape from block to block
    (an initial state without the batch index, for instance) is still
    returned: the executor unrolls its first blocks until the shapes settle.

    Parameters
    ----------
    sources : sequence of tuple
        Per operand: ``("w", slot)`` or ``("x", t)``.
    steps : sequence
        ``(operand ids, einsum string)`` per step.
    max_period : int
        Longest block searched.
    min_blocks : int
        Fewest blocks worth a run.

    Returns
    -------
    list of Run
        Left to right.

    Examples
    --------
    >>> sources = (("w", 0), ("w", 1))                   # W, h0
    >>> steps = tuple(((k + 1, 0), "a,ab->b") for k in range(6))
    >>> [(r.start, r.period, r.blocks) for r in find_runs(sources, steps, min_blocks=3)]
    [(0, 1, 6)]
    >>> find_runs(sources, steps[:2], min_blocks=3)          # too short for a run
    []
    """
    n = len(sources)
    K = len(steps)
    readers = defaultdict(list)
    for j, (ids, _) in enumerate(steps):
        for v in ids:
            readers[v].append(j)
    runs, j = [], 0
    while j < K:
        best = None
        for p in range(1, max_period + 1):
            r = _try(steps, sources, n, j, p, min_blocks)
            if r is not None and (best is None or r.period * r.blocks
                                  > best.period * best.blocks):
                best = r
        if best is None:
            j += 1
            continue
        read_after: dict = defaultdict(set)
        for i in range(best.blocks):
            for q in range(best.period):
                v = n + best.start + i * best.period + q
                if any(k >= best.stop for k in readers[v]) or v == n + K - 1:
                    read_after[q].add(i)
        last = best.blocks - 1
        exported = tuple(sorted(q for q, blocks in read_after.items() if blocks != {last}))
        last_only = tuple(sorted(q for q, blocks in read_after.items() if blocks == {last}))
        runs.append(dataclasses.replace(best, exported=exported, last_only=last_only))
        j = best.stop
    return runs
