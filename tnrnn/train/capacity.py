"""Capacity against use: certified Start-End ranks of *trained* RAC weights.

A trained RAC stack (:func:`tnrnn.cells.stack` with ``kind="rac"``) is
exactly the circuit :class:`tnrnn.circuit.RAC` with the same weights
(:func:`rac_circuit`); its float weights are exact dyadic rationals, so
:func:`tnrnn.rank.separation_rank` with ``params=`` certifies the rank of
the function the trained network computes (in exact arithmetic). Beside it:
the generic rank of the same architecture (random weights) and the proven
bounds: how much of its capacity training used.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._results import Record

__all__ = ["rac_circuit", "capacity_use", "CapacityUse", "effective_ranks", "spectrum_ranks"]


@dataclasses.dataclass(frozen=True, eq=False)
class CapacityUse(Record):
    """What :func:`capacity_use` returns: the certified ranks of trained RAC
    weights beside the architecture's generic rank and bounds.

    ``to_dict()`` gives the dict the previous version returned (JSON-able);
    reading it by key (``r["trained"]``) still works for one release, with a
    :class:`DeprecationWarning` naming the attribute.

    Parameters
    ----------
    spec : dict
        The circuit (:meth:`tnrnn.circuit.RAC.to_dict`).
    inputs : str
        The input set of the ranks.
    trained : list of dict
        Per output: ``{"output", "rank", "claim"}``.
    generic : dict
        ``{"rank", "claim"}`` of the architecture (random weights).
    bounds : dict
        ``{name: value}`` of the proven bounds.

    Examples
    --------
    >>> r = CapacityUse({"depth": 1}, "one-hot", [{"output": 0, "rank": 2, "claim": "exact"}],
    ...                 {"rank": 2, "claim": "exact"}, {"grid-cap": 4})
    >>> r.trained[0]["rank"], list(r.to_dict())
    (2, ['spec', 'inputs', 'trained', 'generic', 'bounds'])
    """

    spec: dict
    inputs: str
    trained: list
    generic: dict
    bounds: dict


def rac_circuit(params, *, length: int):
    """``(spec, RACParams)`` of a RAC stack's weights (float64 copies):
    :func:`tnrnn.cells.rac_params`, the one bridge between the wings.

    Parameters
    ----------
    params : tnrnn.cells.Model or dict
        A RAC stack's weights.
    length : int
        The circuit's sequence length.

    Returns
    -------
    (tnrnn.circuit.RAC, tnrnn.circuit.RACParams)

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=2, hidden=3, input_dim=4, outputs=2)
    >>> spec, rp = rac_circuit(p, length=6)
    >>> spec
    RAC(depth=2, hidden=3, input_dim=4, length=6, outputs=2)
    """
    from ..cells import rac_params

    return rac_params(params, length=length)


def capacity_use(params: dict, *, length: int, inputs: str = "one-hot",
                 outputs=None, seed: int = 0) -> CapacityUse:
    """Certified rank of each output of trained RAC weights, the generic rank
    of the architecture and its bounds (JSON-able).

    Parameters
    ----------
    params : tnrnn.cells.Model or dict
        A RAC stack's weights.
    length : int
    inputs : str
        The input set of :func:`tnrnn.rank.separation_rank`.
    outputs : iterable of int, optional
        Which outputs (default: all).
    seed : int

    Returns
    -------
    CapacityUse
        ``spec``, ``inputs``, ``trained`` (``[{"output", "rank", "claim"}, ...]``),
        ``generic`` (``{"rank", "claim"}``) and ``bounds`` (``{name: value}``).

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
    >>> r = capacity_use(p, length=4)
    >>> r.trained[0]["rank"], r.generic["rank"], r.bounds["grid-cap"]
    (2, 2, 4)
    """
    from ..bounds import all_bounds
    from ..rank import separation_rank

    spec, rp = rac_circuit(params, length=length)
    outs = range(spec.outputs) if outputs is None else outputs
    trained = []
    for k in outs:
        r = separation_rank(spec, params=rp, inputs=inputs, output=k, seed=seed)
        trained.append({"output": int(k), "rank": int(r.rank), "claim": r.claim()})
    g = separation_rank(spec, inputs=inputs, seed=seed)
    bounds = {b.name: int(b.value) for b in all_bounds(spec, inputs=inputs)}
    return CapacityUse(spec=spec.to_dict(), inputs=inputs, trained=trained,
                       generic={"rank": int(g.rank), "claim": g.claim()}, bounds=bounds)


def spectrum_ranks(matrix, *, rel=(1e-2, 1e-4), energy: float = 0.99) -> dict:
    """Approximate (float SVD) ranks of a matrix: singular values above
    ``r * sigma_max`` for each ``r`` in ``rel``, and the fewest singular
    values holding ``energy`` of the squared Frobenius norm. Not certified.

    The result stays a plain dict: its keys are made from the arguments
    (``above_<r>`` for each ``r`` in ``rel``, ``energy_<energy>``), an
    open-ended record that a dataclass with fixed fields would not hold.

    Parameters
    ----------
    matrix : array
    rel : tuple of float
    energy : float

    Returns
    -------
    dict
        ``sigma_max``, ``above_<r>`` per ``r``, ``energy_<energy>``.

    Examples
    --------
    >>> spectrum_ranks(np.diag([1.0, 0.1, 1e-3, 0.0]))
    {'sigma_max': 1.0, 'above_1e-02': 2, 'above_1e-04': 3, 'energy_0.99': 1}
    """
    sv = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    out = {"sigma_max": float(sv[0]) if sv.size else 0.0}
    for r in rel:
        out[f"above_{r:.0e}"] = int((sv > r * sv[0]).sum()) if sv.size else 0
    cum = np.cumsum(sv ** 2)
    out[f"energy_{energy:g}"] = int(np.searchsorted(cum, energy * cum[-1]) + 1) if sv.size else 0
    return out


def effective_ranks(params: dict, *, length: int, rel=(1e-2, 1e-4),
                    max_sequences: int = 2_000_000) -> list:
    """:func:`spectrum_ranks` of each output's one-hot grid matrix of RAC
    weights, evaluated in float64 with :func:`tnrnn.evaluate` on every
    one-hot sequence (approximate, a complement to the certified rank).

    Parameters
    ----------
    params : tnrnn.cells.Model or dict
    length : int
    rel : tuple of float
    max_sequences : int
        Refuse larger grids (:class:`~tnrnn.errors.TooLargeError`).

    Returns
    -------
    list of dict

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
    >>> effective_ranks(p, length=4)[0]["above_1e-04"] <= 2
    True
    """
    import itertools

    from ..circuit import evaluate, one_hot
    from ..errors import TooLargeError

    spec, rp = rac_circuit(params, length=length)
    M, half = spec.input_dim, length // 2
    n = M ** length
    if n > max_sequences:
        raise TooLargeError(f"{M}**{length} = {n} one-hot sequences is above "
                            f"max_sequences={max_sequences}; lower T or raise max_sequences",
                            estimate=n, limit=max_sequences)
    halves = np.array(list(itertools.product(range(M), repeat=half)), dtype=np.int64)
    k = len(halves)
    seqs = np.concatenate([np.repeat(halves, k, axis=0), np.tile(halves, (k, 1))], axis=1)
    Y = np.concatenate([evaluate(spec, rp, one_hot(seqs[i:i + 65536], M))
                        for i in range(0, len(seqs), 65536)])
    return [{"output": j, **spectrum_ranks(Y[:, j].reshape(k, k), rel=rel)}
            for j in range(spec.outputs)]
