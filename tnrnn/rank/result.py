"""The result of a certified rank search: :class:`RankResult`.

A :class:`RankResult` holds the rank of the final sample matrix mod ``p``,
what it proves (``certainty``: ``"upper-bound"``, ``"probabilistic"`` or
``"lower-bound"``, decided from the rank, the proven upper bound and the
failure bound), the
failure-probability bound of an ``= r`` claim, its certificate and timings,
and renders them: :meth:`RankResult.claim`, :meth:`RankResult.describe`,
:meth:`RankResult.to_dict`. :func:`~tnrnn.rank.separation.separation_rank`
makes it; :func:`~tnrnn.rank.certificate.check_certificate` rebuilds one
from a certificate.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.rank import separation_rank
>>> res = separation_rank(RAC(depth=1, hidden=3, input_dim=3, length=6))
>>> res.relation, res.certain, res.to_dict()["claim"]
('=', True, '= 3 (certain: equals the proven upper bound)')
"""

from __future__ import annotations

import dataclasses

from ..circuit import Spec
from ..partition import Partition
from .guarantee import DEFAULT_MAX_FAILURE, format_probability

__all__ = ["RankResult", "CERTAINTIES"]

CERTAINTIES = ("upper-bound", "probabilistic", "lower-bound")


@dataclasses.dataclass(frozen=True)
class RankResult:
    """A separation rank computed exactly modulo a prime, with what it proves.

    Parameters
    ----------
    rank : int
        Rank of the sample matrix mod ``prime``: certifies generic
        separation rank ``>= rank`` (see :mod:`tnrnn.rank.separation`).
    method : str
        ``"modp-flint"``, ``"modp-numpy"`` or ``"modp-blas"``: exact
        arithmetic mod ``prime``, then the named rank routine (``blas``: the
        bordered, overlapped search of :mod:`tnrnn.rank.pipeline`).
    inputs : str
        ``"continuous"`` or ``"one-hot"``.
    partition : Partition
    prime : int
    seed : int
        Fixes the weights (unless given), initial states and halves (see
        :func:`~tnrnn.rank.rounds.modp_params` and
        :func:`~tnrnn.rank.rounds.draw_halves`).
    samples : tuple of int
        ``(n_A, n_B)``, the shape of the final sample matrix.
    certificate : dict
        JSON-serialisable; :func:`tnrnn.rank.check_certificate` re-runs it.
    timings : dict
        Seconds: ``"evaluate"`` (circuit evaluation, all rounds and
        repetitions), ``"rank"`` (in the rank routine), ``"repetitions"``
        (evaluation and rank of the repetitions alone: the cost of the
        guarantee), ``"total"``.
    complete : bool
        ``True`` when ``rank < min(n_A, n_B)``, the one-hot grid was fully
        enumerated, or the rank reached the proven upper bound. ``False``
        when ``max_samples`` stopped the search at full rank.
    output : int
        Which output of the circuit.
    spec : RAC or TTRNN
    upper_bound : int
        The proven upper bound (:func:`~tnrnn.rank.separation.sample_cap`), valid for all weights.
    rounds : int
        Sample matrices whose rank was taken in the search (repetitions not
        counted).
    certainty : str
        What ``rank`` proves: ``"upper-bound"`` (``= rank``, certain: it
        equals the proven upper bound), ``"probabilistic"`` (``= rank`` with
        failure probability at most ``failure_probability``, below
        ``max_failure``) or ``"lower-bound"`` (``>= rank`` only).
    failure_probability : float or None
        Schwartz-Zippel bound on the probability that ``= rank`` is wrong
        (:mod:`tnrnn.rank.guarantee`): 0.0 when certain; ``None`` when no
        equality can be claimed (search stopped at full rank, or nothing
        random). For ``"lower-bound"`` results with a value, the bound was
        above ``max_failure``.
    max_failure : float
        The threshold asked for.
    repetitions : tuple of dict
        Independent repetitions run to reach ``max_failure``: ``prime``,
        ``seed``, ``n``, ``rank`` each.
    weights : str or None
        SHA-256 of given weights (:func:`tnrnn.rank.weights.weights_hash`),
        ``None`` for the seeded random weights.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.rank import separation_rank
    >>> res = separation_rank(RAC(2, 2, 2, 4))
    >>> res.rank == res.upper_bound == res.to_dict()["rank"], res.certainty, res.failure_probability
    (True, 'upper-bound', 0.0)
    """

    rank: int
    method: str
    inputs: str
    partition: Partition
    prime: int
    seed: int
    samples: tuple
    certificate: dict = dataclasses.field(repr=False, compare=False)
    timings: dict = dataclasses.field(repr=False, compare=False)
    complete: bool = True
    output: int = 0
    spec: Spec | None = None
    upper_bound: int | None = dataclasses.field(default=None, repr=False)
    rounds: int = dataclasses.field(default=1, repr=False, compare=False)
    certainty: str = "lower-bound"
    failure_probability: float | None = dataclasses.field(default=None, repr=False)
    max_failure: float = dataclasses.field(default=DEFAULT_MAX_FAILURE, repr=False)
    repetitions: tuple = dataclasses.field(default=(), repr=False, compare=False)
    weights: str | None = dataclasses.field(default=None, repr=False)

    exact = True

    @property
    def certain(self) -> bool:
        """``True`` when the claim (``=`` or ``>=``) holds with certainty:
        ``">= r"`` always does; ``"= r"`` only at the proven upper bound."""
        return self.certainty != "probabilistic"

    @property
    def relation(self) -> str:
        """``"="`` when the rank is claimed equal to the generic rank, else
        ``">="``."""
        return ">=" if self.certainty == "lower-bound" else "="

    @property
    def lower_bound_only(self) -> bool:
        """``True`` when only ``>= rank`` is claimed."""
        return self.certainty == "lower-bound"

    def claim(self, *, thousands: bool = False) -> str:
        """The claim as text: ``"= 3 (certain: equals the proven upper
        bound)"``, ``"= 759 (failure probability <= 3e-12)"`` or ``">= 597"``.

        >>> from tnrnn.circuit import RAC
        >>> from tnrnn.rank import separation_rank
        >>> separation_rank(RAC(1, 3, 3, 6)).claim()
        '= 3 (certain: equals the proven upper bound)'
        """
        r = f"{self.rank:,}" if thousands else str(self.rank)
        if self.certainty == "upper-bound":
            return f"= {r} (certain: equals the proven upper bound)"
        if self.certainty == "probabilistic":
            return (f"= {r} (failure probability <= "
                    f"{format_probability(self.failure_probability)})")
        return f">= {r}"

    def why_lower_bound(self) -> str:
        """Why only ``>= rank`` is claimed (empty for ``=`` claims)."""
        n_a, n_b = self.samples
        if self.certainty != "lower-bound":
            return ""
        if not self.complete:
            return (f"the {n_a} x {n_b} sample matrix has full rank: raise max_samples "
                    "to look further")
        if self.failure_probability is None:
            return ("nothing in this computation is random (given weights, one-hot "
                    "inputs): the rank mod p only bounds the rational rank from below")
        return (f"the failure-probability bound "
                f"{format_probability(self.failure_probability)} is above max_failure="
                f"{self.max_failure:g}: use a larger prime or a larger max_failure")

    def describe(self) -> str:
        """One sentence saying what was computed and what it certifies."""
        n_a, n_b = self.samples
        what = ("continuous separation rank" if self.inputs == "continuous"
                else "one-hot grid rank")
        whose = "the given weights" if self.weights else "generic weights"
        why = self.why_lower_bound()
        reps = (f", {len(self.repetitions)} independent repetition"
                f"{'s' if len(self.repetitions) != 1 else ''}" if self.repetitions else "")
        return (f"{what} ({self.partition.name}, {whose}) {self.claim(thousands=True)}"
                f"{' (' + why + ')' if why else ''}; exact mod p={self.prime}, "
                f"seed={self.seed}, {n_a} x {n_b} samples{reps}; certain: rank >= "
                f"{self.rank:,}")

    def to_dict(self) -> dict:
        """Plain-data view (JSON-serialisable)."""
        return {
            "rank": self.rank, "relation": self.relation, "claim": self.claim(),
            "certainty": self.certainty, "certain": self.certain,
            "failure_probability": self.failure_probability,
            "max_failure": self.max_failure,
            "method": self.method, "exact": True,
            "complete": self.complete, "inputs": self.inputs,
            "partition": self.partition.to_dict(), "prime": self.prime,
            "seed": self.seed, "output": self.output, "weights": self.weights,
            "samples": list(self.samples), "upper_bound": self.upper_bound,
            "rounds": self.rounds, "repetitions": [dict(r) for r in self.repetitions],
            "timings": dict(self.timings),
            "spec": None if self.spec is None else self.spec.to_dict(),
            "certificate": self.certificate,
        }


def _certainty(rank, cap, complete, eps, max_failure) -> str:
    """What ``rank`` proves: ``"upper-bound"`` when it equals the proven
    upper bound ``cap``; ``"probabilistic"`` when the search is complete and
    the failure bound ``eps`` is at most ``max_failure``; else
    ``"lower-bound"``."""
    if rank == cap:
        return "upper-bound"
    if complete and eps is not None and eps <= max_failure:
        return "probabilistic"
    return "lower-bound"
