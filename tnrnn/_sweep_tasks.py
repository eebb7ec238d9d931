"""Task functions of the sweeps that :mod:`tnrnn.parallel` runs.

A Dask scheduler and spawned worker processes unpickle a task function by
its import path, so every function run on a worker lives here, importable
from an installed tnrnn (the same version on every node). Tasks take and
return plain data (dicts, ints, strings): specs do not travel as objects and
python-flint objects, which do not pickle, never leave the worker.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> row = rank_row(RAC(2, 2, 2, 8).to_dict(), "start-end", "continuous", 0, None)
>>> row["rank"], row["complete"], row["samples"]
(10, True, [11, 11])
"""

from __future__ import annotations

__all__ = ["rank_row", "rank_row_cost", "rank_claim"]


def rank_claim(res) -> str:
    """The claim a :class:`~tnrnn.rank.RankResult` makes, as text (its
    ``claim()``, with thousands separators): ``"= r (...)"`` or ``">= r"``."""
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


def rank_row(spec: dict, partition, inputs: str, seed: int, max_samples: int | None) -> dict:
    """One certified rank of a sweep, as plain data.

    Parameters
    ----------
    spec : dict
        ``spec.to_dict()`` of a RAC or TT-RNN.
    partition, inputs, seed, max_samples
        As for :func:`tnrnn.separation_rank` (``max_samples=None``: its default).

    Returns
    -------
    dict
        ``rank``, ``complete``, ``relation`` (``"="`` or ``">="``), ``claim``
        (text), ``samples``, ``prime``, ``method``, ``rounds``,
        ``evaluate_s``, ``rank_s``, ``total_s`` and the JSON ``certificate``;
        plus ``certainty`` and ``failure_probability`` when the rank result
        carries them.
    """
    from .rank import separation_rank, spec_from_dict

    kwargs = {"seed": seed, "inputs": inputs}
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
                  expected_rank: int | None = None) -> float:
    """Estimated cost of :func:`rank_row`, for longest-first scheduling.

    Replays the sample sizes of the adaptive search (continuous inputs: from
    :func:`tnrnn.rank.separation.first_sample_size`, doubling until the
    rank, assumed to be ``expected_rank`` (default: the sample cap), falls
    below the sample count; one-hot: one full grid) and adds, per round,
    ``n^3`` for the elimination and ``n^2 * L * T * R^2`` for the
    evaluation. The unit is arbitrary: only ratios between tasks matter.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> big = rank_row_cost(RAC(3, 3, 3, 8), "start-end", "continuous", None)
    >>> small = rank_row_cost(RAC(3, 3, 3, 6), "start-end", "continuous", None)
    >>> big > 20 * small
    True
    """
    from .partition import parse_partition
    from .rank import DEFAULT_MAX_SAMPLES, sample_cap
    from .rank.separation import first_sample_size, next_sample_size, one_hot_sizes

    max_samples = DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    part = parse_partition(partition, spec.length)
    per_entry = spec.depth * spec.length * spec.hidden ** 2
    if inputs == "one-hot":
        n_a, n_b = one_hot_sizes(spec, part, max_samples)
        return float(n_a * n_b * (min(n_a, n_b) + per_entry))
    cap = sample_cap(spec, part, inputs)
    rank = cap if expected_rank is None else min(expected_rank, cap)
    n = first_sample_size(cap, max_samples)
    cost = 0.0
    while True:
        cost += float(n) ** 3 + float(n) ** 2 * per_entry
        if rank < n or n >= min(cap + 1, max_samples):
            return cost
        n = next_sample_size(n, cap + 1, max_samples)
