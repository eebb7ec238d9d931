"""The failure-probability guarantee of '= r' (tnrnn.rank.guarantee) and
the refusals of the rank search (issue 9).

Ground truths: sympy's total degree of the fully symbolic output (weights,
initial states and inputs as symbols); a Monte-Carlo frequency of rank
deficits with a tiny prime, which the Schwartz-Zippel bound must dominate.
"""
import numpy as np
import pytest
import sympy as sp

from tnrnn.circuit import RAC, TTRNN, RACParams, TTParams, evaluate
from tnrnn.errors import SpecError, TnrnnError, TooLargeError
from tnrnn.partition import start_end
from tnrnn.rank import (certified_sample_rank, format_probability, minimum_prime,
                        output_degree, plan_guarantee, repetition_bound,
                        search_failure_bound, separation_rank)


def _sym(name, shape):
    n = int(np.prod(shape))
    return np.array(sp.symbols(f"{name}0:{n}"), dtype=object).reshape(shape)


@pytest.mark.parametrize("L,R,M,T", [(1, 2, 2, 3), (2, 1, 2, 3), (3, 1, 2, 3), (2, 1, 1, 4)])
def test_output_degree_is_sympys_total_degree(L, R, M, T):
    spec = RAC(L, R, M, T)
    p = RACParams(W_H=tuple(_sym(f"h{l}_", (R, R)) for l in range(L)),
                  W_I=tuple(_sym(f"i{l}_", (R, M if l == 0 else R)) for l in range(L)),
                  W_O=_sym("o", (1, R)), h0=tuple(_sym(f"s{l}_", (R,)) for l in range(L)))
    y = sp.expand(evaluate(spec, p, _sym("x", (1, T, M)))[0, 0])
    assert sp.Poly(y).total_degree() == output_degree(spec)
    # inputs only (given weights): the degree in the x symbols
    xs = [s for s in y.free_symbols if s.name.startswith("x")]
    assert sp.Poly(y, *xs).total_degree() == output_degree(spec, weights=False, h0=False)


def test_output_degree_ttrnn():
    spec = TTRNN(2, 2, 3)
    p = TTParams(G=_sym("g", (2, 2, 2)), W_O=_sym("o", (1, 2)), h0=_sym("s", (2,)))
    y = sp.expand(evaluate(spec, p, _sym("x", (1, 3, 2)))[0, 0])
    assert sp.Poly(y).total_degree() == output_degree(spec)


def test_bounds_formulas():
    # the initial states are drawn non-zero, so the sets have p - 1 elements
    assert search_failure_bound(3, 101, [2, 4, 8, 16], 6) == pytest.approx(3 * (6 + 2 + 4) / 100)
    assert search_failure_bound(0, 100, [4], 4) == 0.0
    assert search_failure_bound(10**9, 101, [4], 4) == 1.0
    assert repetition_bound(7, 11, 1001) == pytest.approx(0.077)
    assert minimum_prime(3, 6, [2, 4, 8]) == 37   # p - 1 must exceed 3 * (6 + 2 + 4)
    assert format_probability(9.1e-9) == "1e-8" and format_probability(1e-7) == "1e-7"


def test_schwartz_zippel_bound_dominates_the_observed_failure_rate():
    """Depth 1, R = M = 3, T = 4: generic rank 3 (= the proven bound R). With
    p = 101 a rank deficit happens now and then; its frequency over 300
    independent seeds stays below the bound D * 3 / (p - 1). A sanity check
    only: the bound is about 15 times the observed rate; the degree D itself
    is checked against sympy above."""
    spec, part, p = RAC(1, 3, 3, 4), start_end(4), 101
    plan = plan_guarantee(spec, part, "continuous", p, 4096, given_weights=False, h0="random")
    assert plan["schedule"] == [3] and plan["rho_max"] == 3
    bound = plan["bound"]
    assert bound == pytest.approx(output_degree(spec) * 3 / (p - 1))
    fails = sum(certified_sample_rank(spec, part, "continuous", p, s, 0, "random", 3, 3,
                                      "flint")[0] < 3 for s in range(300))
    assert 0 < fails / 300 <= bound


def test_repetitions_reach_the_threshold_and_are_recorded():
    res = separation_rank(RAC(3, 2, 2, 6))
    assert res.rank == 52 and res.certainty == "probabilistic"
    # independent of the code: D = output_degree (checked against sympy above),
    # the search stops at the 56 x 56 matrix (upper bound 56), each repetition
    # ranks a 53 x 53 matrix: eps = D*56/(p-1) * prod D*53/(p_j-1)
    D = output_degree(res.spec)
    assert res.upper_bound == 56 and res.prime == 2**31 - 1
    eps = D * 56 / (2**31 - 2)
    for rep in res.repetitions:
        assert rep["n_A"] == rep["n_B"] == 53 and rep["rank"] <= 52
        eps *= D * 53 / (rep["prime"] - 1)
    assert res.failure_probability == pytest.approx(eps) and eps <= 1e-6
    primes = [res.prime] + [r["prime"] for r in res.repetitions]
    assert len(set(primes)) == len(primes)
    # no repetition needed with a loose threshold
    loose = separation_rank(RAC(3, 2, 2, 6), max_failure=0.5)
    assert loose.repetitions == () and loose.failure_probability == pytest.approx(D * 56 / (2**31 - 2))


def test_library_refusals_are_tnrnn_errors():
    with pytest.raises(TooLargeError, match=r"the weights of RAC.* need about .* GiB"):
        separation_rank(RAC(2, 1_000_000, 3, 4))
    assert issubclass(TooLargeError, TnrnnError) and issubclass(TooLargeError, MemoryError)
    with pytest.raises(SpecError, match="params for a RAC must be RACParams; got str"):
        separation_rank(RAC(1, 2, 2, 4), params="weights.npz")
    with pytest.raises(SpecError, match=r"max_samples must be an integer >= 1; got '5'"):
        separation_rank(RAC(1, 2, 2, 4), max_samples="5")
    with pytest.raises(SpecError, match=r"max_memory must be a positive number; got -1"):
        separation_rank(RAC(1, 2, 2, 4), max_memory=-1)
    with pytest.raises(SpecError, match=r"max_seconds must be a positive number; got 'x'"):
        separation_rank(RAC(1, 2, 2, 4), max_seconds="x")
    with pytest.raises(SpecError, match=r"max_failure must be a probability in \(0, 1\]; got 0"):
        separation_rank(RAC(1, 2, 2, 4), max_failure=0)
    with pytest.raises(SpecError, match=r"prime=101 is too small to certify a rank"):
        separation_rank(RAC(3, 3, 3, 6), prime=101)
    with pytest.raises(TooLargeError, match=r"the rank search may take up to about"):
        separation_rank(RAC(3, 3, 3, 10), max_samples=10**9, max_seconds=5)
