"""Issue 9, bounds at the edges: huge integers stay exact, big tables stay
readable, sizes that would take too long are refused with the estimate, the
input cap with min(M, R), and --symbolic prints only what holds."""
import json
import math
import sys
import time

import pytest

from tnrnn.bounds import all_bounds, poly_cap
from tnrnn.circuit import RAC, TTRNN
from tnrnn.errors import SpecError, TooLargeError
from cli_helpers import invoke, one_error_line





def big_json(text):
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.loads(text)
    finally:
        sys.set_int_max_str_digits(old)


# ------------------------------------------------------------ huge integers
def multiset(n, k):  # independent of tnrnn: monomials of degree k in n variables
    return math.comb(n + k - 1, k)


@pytest.mark.parametrize("args", [["-L", 50, "-T", 8], ["-L", 2, "-T", 10000],
                                  ["-L", 5, "-R", 4, "-M", 4, "-T", 64]])
def test_bounds_above_the_4300_digit_limit_print(args):
    res = invoke("bounds", *args)
    assert res.exit_code == 0, res.output
    assert "2^" in res.stdout  # big values as 2^x, never a traceback


def test_bounds_json_keeps_huge_values_exact():
    # depth 2, R = M = 3, T = 10000: poly-cap is the End side's product of
    # C(3 + n - 1, n) over n = 1..5000 (n_t = T - t + 1), more than 4,300 digits.
    res = invoke("bounds", "-L", 2, "-T", 10000, "--json")
    assert res.exit_code == 0, res.output
    d = big_json(res.stdout)
    vals = {b["name"]: b["value"] for b in d["bounds"]}
    expected = math.prod(multiset(3, n) for n in range(1, 5001))
    assert vals["poly-cap"] == expected and expected.bit_length() > 4300 * 3.3
    assert vals["depth2-upper"] == 3 * multiset(3, 5000)
    # depth 50, T = 8: u-sym = prod_l C(R + D_l - 1, D_l), D_l = C(T/2 + L - l - 1, L - l)
    d = big_json(invoke("bounds", "-L", 50, "-T", 8, "--json").stdout)
    vals = {b["name"]: b["value"] for b in d["bounds"]}
    assert vals["u-sym"] == math.prod(multiset(3, math.comb(3 + 50 - l, 50 - l))
                                      for l in range(1, 51))


def test_format_int_never_converts_huge_integers():
    from tnrnn.bounds import format_int

    assert format_int(3 ** 600) == f"2^{600 * math.log2(3):.1f}"
    assert format_int(10 ** 39, commas=True).count(",") == 13
    assert format_int(7 ** 100000).startswith("2^")


def test_log2_multiset_matches_exact():
    from tnrnn.bounds._sizes import log2_multiset

    for n, k in [(3, 4), (5, 100), (1, 7), (40, 40), (2, 10 ** 6)]:
        assert log2_multiset(n, k) == pytest.approx(math.log2(multiset(n, k)), rel=1e-9)


def test_bounds_refused_above_the_bit_limit_with_the_option():
    t0 = time.perf_counter()
    line = one_error_line(invoke("bounds", "-L", 2, "-T", 100000))
    assert "2^1,36" in line and "--max-bits 1,048,576" in line
    assert time.perf_counter() - t0 < 60
    # the option moves the limit both ways (depth 1, T = 2000: poly-cap 3^1000)
    line = one_error_line(invoke("bounds", "-L", 1, "-T", 2000, "--max-bits", 1000))
    assert "poly-cap bound" in line and "2^1,585" in line and "--max-bits 1,000" in line
    res = invoke("bounds", "-L", 1, "-T", 2000, "--max-bits", 2000, "--json")
    assert res.exit_code == 0, res.output


def test_bounds_refused_when_the_min_cut_programme_is_too_long():
    t0 = time.perf_counter()
    line = one_error_line(invoke("bounds", "-L", 3, "-T", 10 ** 8))
    assert "--max-seconds 30" in line and "T*L = 300,000,000 units" in line
    with pytest.raises(TooLargeError, match=r"T\*L = 2,000,000,000 units.*max_seconds=30"):
        all_bounds(RAC(2, 3, 3, 10 ** 9))
    assert time.perf_counter() - t0 < 30


def test_all_bounds_bad_limits():
    with pytest.raises(SpecError, match=r"max_log2 must be a positive number; got 'x'"):
        all_bounds(RAC(2, 3, 3, 8), max_log2="x")
    with pytest.raises(SpecError, match=r"max_seconds must be a positive number; got -1"):
        all_bounds(RAC(2, 3, 3, 8), max_seconds=-1)
    line = one_error_line(invoke("bounds", "--max-bits", -5))
    assert "--max-bits must be a positive number; got -5" in line


# ------------------------------------------------------ input cap min(M, R)
def test_input_cap_gives_the_certified_rank_350():
    # depth 2, R = 4, M = 5, T = 5, odd-even: side B = {2, 4}, n_t = 6 - t
    # gives C(4+4-1, 4) * C(4+2-1, 2) = 35 * 10 = 350 (with M: 70 * 15 = 1050).
    spec = RAC(2, 4, 5, 5)
    bs = {b.name: b for b in all_bounds(spec, "odd-even")}
    assert bs["input-cap"].value == 350 == multiset(4, 4) * multiset(4, 2)
    assert bs["poly-cap"].value == 1050
    assert bs["input-cap"].status == "derived" and bs["input-cap"].kind == "upper"
    from tnrnn import separation_rank

    assert separation_rank(spec, "odd-even").rank == 350  # exact mod p: rank >= 350


@pytest.mark.parametrize("L,R,M,T,part", [(1, 2, 4, 4, "start-end"), (2, 2, 3, 4, "odd-even"),
                                          (2, 2, 4, 6, "start-end"), (3, 2, 3, 4, "A:1,4")])
def test_input_cap_is_never_below_a_certified_rank(L, R, M, T, part):
    from tnrnn import separation_rank
    from tnrnn.bounds import input_cap

    cap = input_cap(L, R, M, T, part)
    assert cap < poly_cap(L, M, T, part) or M <= R
    assert separation_rank(RAC(L, R, M, T), part).rank <= cap


def test_input_cap_only_listed_when_sharper():
    names = [b.name for b in all_bounds(RAC(2, 3, 3, 8))]
    assert "input-cap" not in names  # M <= R: it equals poly-cap
    tt = {b.name: b.value for b in all_bounds(TTRNN(2, 5, 6), "odd-even")}
    assert tt["input-cap"] == 4 ** 3  # min(M, R^2) = 4 per step, 3 steps a side


# ------------------------------------------------------------ --symbolic
def _sym(*args):
    res = invoke("bounds", *args, "--symbolic", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _evaluate(form, subs):
    import sympy

    expr = sympy.sympify(form, locals={"C": sympy.binomial})
    return int(expr.subs({sympy.Symbol(k): v for k, v in subs.items()}).doit())


def test_symbolic_suffix_partition_uses_the_prefix_side_length():
    d = _sym("-L", 3, "-R", 2, "-M", 3, "-T", 6, "--partition", "A:3,4,5,6")
    s = d["symbolic"]
    assert s["substitution"]["k"] == 2  # the prefix side is B = {1, 2}
    vals = {b["name"]: b["value"] for b in d["bounds"]}
    assert vals["u-sym"] == 110
    assert _evaluate(s["forms"]["u-sym"], s["substitution"]) == 110


@pytest.mark.parametrize("args,absent", [
    (["-L", 2, "-T", 8, "--partition", "odd-even"],
     {"u-sym", "depth2-lower", "depth2-upper", "poly-cap"}),
    (["--arch", "ttrnn", "-T", 6], {"depth2-lower", "depth2-upper", "depth1-upper"}),
    (["-L", 2, "-T", 8, "--inputs", "one-hot"], {"depth2-lower", "depthL-conjecture"}),
    (["-L", 3, "-T", 8, "--inputs", "one-hot"], {"depthL-conjecture", "depth2-upper"}),
])
def test_symbolic_prints_only_what_holds(args, absent):
    d = _sym(*args)
    forms = d["symbolic"]["forms"]
    assert not absent & set(forms)
    vals = {b["name"]: b["value"] for b in d["bounds"]}
    assert set(forms) <= set(vals)
    for name, form in forms.items():  # every printed form reproduces its value
        assert _evaluate(form, d["symbolic"]["substitution"]) == vals[name]


def test_symbolic_text_names_the_substitution():
    res = invoke("bounds", "-L", 3, "-R", 2, "-M", 3, "-T", 6, "--partition", "A:3,4,5,6",
                 "--symbolic")
    assert "k = 2 (length of the side that is a prefix {1..k})" in res.stdout
    assert "prefix partitions: k = |A|" not in res.stdout
