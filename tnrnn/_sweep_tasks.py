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
>>> row["rank"], row["relation"]
(10, '=')
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
    """
    from .rank import separation_rank, spec_from_dict

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
    from .partition import parse_partition
    from .rank import (DEFAULT_MAX_MEMORY, DEFAULT_MAX_SAMPLES, DEFAULT_MAX_SECONDS,
                       estimate_round, sample_cap, sample_schedule)
    from .rank.separation import check_search, one_hot_sizes

    limits = limits or {}
    max_samples = DEFAULT_MAX_SAMPLES if max_samples is None else max_samples
    part = parse_partition(partition, spec.length)
    if inputs == "one-hot":
        schedule = [one_hot_sizes(spec, part, max_samples)]
    else:
        schedule = [(n, n) for n in sample_schedule(sample_cap(spec, part, inputs),
                                                    max_samples)]
    check_search(spec, part, schedule, limits.get("max_memory", DEFAULT_MAX_MEMORY),
                 limits.get("max_seconds", DEFAULT_MAX_SECONDS))
    cost = 0.0
    for n_a, n_b in schedule:
        cost += estimate_round(spec, part, n_a, n_b)["seconds"]
        if expected_rank is not None and expected_rank < min(n_a, n_b):
            break
    return cost
