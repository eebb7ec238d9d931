"""Certified separation ranks by exact arithmetic over a prime field.

The primary method of ``docs/theory.md`` section 3: draw weights,
initial states and inputs uniformly from ``GF(p)``, evaluate the circuit
with every operation mod ``p`` (vectorised int64/uint64 numpy, no overflow
by construction), and take the rank mod ``p`` of a sample matrix
``Y[i, j] = y(a_i ++ b_j)``. A rank ``r`` mod ``p`` certifies rank ``>= r``
over the rationals for those integer weights, hence **generic rank >= r**;
each result carries a JSON certificate that :func:`check_certificate`
re-runs.

What a result proves: ``>= r`` always; ``= r`` with certainty when ``r``
equals the proven upper bound, else with a Schwartz-Zippel
failure-probability bound (:mod:`~tnrnn.rank.guarantee`). Given weights
(``params=``) are mapped exactly into ``GF(p)`` (:mod:`~tnrnn.rank.weights`).

Layers: :mod:`~tnrnn.rank.modp` (exact kernels, :func:`evaluate_modp`),
:mod:`~tnrnn.rank.sampling` (sample matrices), :mod:`~tnrnn.rank.routines`
(rank routines registry), :mod:`~tnrnn.rank.separation` (the public search,
with its argument checks and size estimates in :mod:`~tnrnn.rank.checks`,
one sample matrix and its rank in :mod:`~tnrnn.rank.rounds` and
:class:`RankResult` in :mod:`~tnrnn.rank.result`) and
:mod:`~tnrnn.rank.certificate`. This package imports numpy (and
python-flint when the ``"flint"`` routine runs), never jax.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.rank import separation_rank, check_certificate
>>> res = separation_rank(RAC(depth=2, hidden=3, input_dim=3, length=8))
>>> res.claim()
'= 45 (certain: equals the proven upper bound)'
>>> check_certificate(res.certificate).rank
45
"""

from .certificate import (CERTIFICATE_FORMAT, CERTIFICATE_VERSION, check_certificate,
                          make_certificate, spec_from_dict)
from .modp import (check_prime, evaluate_modp, is_prime, matmul_mod, mul_mod,
                   params_to_residues)
from .routines import (RANK_ROUTINES, flint_available, get_rank_routine, rank_flint,
                       rank_modp, rank_numpy, resolve_rank_routine)
from .sampling import merge_halves, one_hot_halves, random_halves, sample_matrix
from .guarantee import (DEFAULT_MAX_FAILURE, MAX_REPETITIONS, format_probability,
                        minimum_prime, output_degree, repetition_bound,
                        search_failure_bound)
from .separation import (CERTAINTIES, DEFAULT_MAX_MEMORY, DEFAULT_MAX_SAMPLES,
                         DEFAULT_MAX_SECONDS, H0_KINDS, INPUT_KINDS, RankResult,
                         certified_sample_rank, check_round, draw_halves, estimate_round,
                         modp_params, plan_guarantee, sample_cap, sample_schedule,
                         separation_rank)
from .weights import params_to_field, to_field, weights_hash

__all__ = [
    "separation_rank",
    "RankResult",
    "check_certificate",
    "make_certificate",
    "spec_from_dict",
    "CERTIFICATE_FORMAT",
    "CERTIFICATE_VERSION",
    "evaluate_modp",
    "matmul_mod",
    "mul_mod",
    "params_to_residues",
    "check_prime",
    "is_prime",
    "sample_matrix",
    "random_halves",
    "one_hot_halves",
    "merge_halves",
    "modp_params",
    "draw_halves",
    "sample_cap",
    "certified_sample_rank",
    "RANK_ROUTINES",
    "get_rank_routine",
    "resolve_rank_routine",
    "rank_modp",
    "rank_flint",
    "rank_numpy",
    "flint_available",
    "INPUT_KINDS",
    "H0_KINDS",
    "DEFAULT_MAX_SAMPLES",
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_SECONDS",
    "DEFAULT_MAX_FAILURE",
    "MAX_REPETITIONS",
    "CERTAINTIES",
    "output_degree",
    "search_failure_bound",
    "repetition_bound",
    "minimum_prime",
    "format_probability",
    "plan_guarantee",
    "sample_schedule",
    "estimate_round",
    "check_round",
    "to_field",
    "params_to_field",
    "weights_hash",
]
