"""Issue 9, grid and contraction at the edges: the float rank beside the exact
one, refusals before any work (seed, sizes, time, paths), --output k, and
float contraction routes refusing integer weights."""
import json
import time
from fractions import Fraction
from itertools import product

import numpy as np
import pytest

import tnrnn
from tnrnn.circuit import RAC, evaluate, init_params, init_params_modp, one_hot, random_inputs
from tnrnn.compile import compile_network
from tnrnn.errors import SpecError
from cli_helpers import invoke, one_error_line





def grid_json(*args):
    res = invoke("grid", "--engine", "numpy", "--no-progress", "--json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def exact_rank(rows):
    """Rank over Q by Gaussian elimination on Fractions (independent of tnrnn)."""
    m = [list(r) for r in rows]
    rank, col, n = 0, 0, len(m[0])
    while rank < len(m) and col < n:
        piv = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        m[rank], m[piv] = m[piv], m[rank]
        for i in range(rank + 1, len(m)):
            if m[i][col]:
                f = m[i][col] / m[rank][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank])]
        rank += 1
        col += 1
    return rank


def fraction_grid_matrix(spec, params, output=0):
    """Start-End grid matrix of the exact function of these float weights:
    every weight as the Fraction it is, the RAC recurrence step by step
    (h[t,l] = (W_H[l] h[t-1,l]) * (W_I[l] h[t,l-1]), y = W_O h[T,L])."""
    def frac(a):
        return np.vectorize(Fraction, otypes=[object])(np.asarray(a, dtype=float))

    WH = [frac(a) for a in params.W_H]
    WI = [frac(a) for a in params.W_I]
    h0 = [frac(a) for a in params.h0]
    WO = frac(params.W_O)
    M, T, L = spec.input_dim, spec.length, spec.depth

    def y(seq):
        h = list(h0)
        for s in seq:
            below = WI[0][:, s]  # W_I[1] e_s
            for l in range(L):
                if l:
                    below = WI[l].dot(h[l - 1])
                h[l] = WH[l].dot(h[l]) * below
        return WO.dot(h[L - 1])[output]

    half = list(product(range(M), repeat=T // 2))
    return [[y(a + b) for b in half] for a in half]


def test_exact_rank_beside_float_rank_matches_rational_arithmetic():
    spec = RAC(2, 3, 2, 6)
    d = grid_json("-L", 2, "-R", 3, "-M", 2, "-T", 6)
    truth = exact_rank(fraction_grid_matrix(spec, init_params(spec, seed=0)))
    assert d["exact_rank"]["rank"] == truth
    assert d["agree"] == (d["float_rank"]["rank"] == truth)


def test_readme_example_flags_the_float_rank():
    # depth 2, R = 4, M = 2, T = 12: a 64 x 64 matrix, so rank <= 64; the
    # exact route certifies 64, the float SVD reports 45.
    d = grid_json("-L", 2, "-R", 4, "-M", 2, "-T", 12)
    assert d["matrix_shape"] == [64, 64]
    assert d["exact_rank"]["rank"] == 64 and "certain" in d["exact_rank"]["claim"]
    assert d["float_rank"]["rank"] < 64 and d["agree"] is False
    res = invoke("grid", "--engine", "numpy", "--no-progress", "-L", 2, "-R", 4, "-M", 2,
                 "-T", 12)
    assert "disagrees with the exact rank" in res.stdout and "= 64" in res.stdout


def test_help_examples_state_the_exact_ranks():
    text = invoke("grid", "--help").stdout
    assert "float rank 45, exact rank = 64" in text and "float rank 4, exact rank = 32" in text
    d = grid_json("-L", 3, "-R", 2, "-M", 2, "-T", 10, "--partition", "odd-even")
    assert d["exact_rank"]["rank"] == 32 == 2 ** 5  # = the 32 x 32 matrix's size


def test_grid_output_k_matricizes_that_output():
    spec = RAC(2, 2, 2, 4, outputs=2)
    d = grid_json("-L", 2, "-R", 2, "-M", 2, "-T", 4, "-K", 2, "--output", 1)
    assert d["output"] == 1
    p = init_params(spec, seed=0)
    seqs = np.array(list(product(range(2), repeat=4)))
    Y = evaluate(spec, p, one_hot(seqs, 2))[:, 1].reshape(4, 4)
    s = np.linalg.svd(Y, compute_uv=False)
    np.testing.assert_allclose(d["singular_values"][:4], s, rtol=1e-8, atol=1e-300)
    line = one_error_line(invoke("grid", "-K", 2, "--output", 2))
    assert "--output must be an output index in 0..1 (-K 2); got 2" in line


@pytest.mark.parametrize("args,message", [
    (["--seed", -1], "--seed must be an integer >= 0; got -1"),
    (["-L", 2, "-R", 100000, "-M", 2, "-T", 4],
     "the random weights would hold 30,000,500,000 float64 entries (223.5 GiB); "
     "the limit is --max-entries 134,217,728"),
    (["-L", 3, "-R", 2, "-M", 2, "-T", 26], "the limit is --max-seconds 120"),
    (["--save", "/nonexistent/dir/A.npy"], "--save: cannot write '/nonexistent/dir/A.npy': "
                                           "the folder '/nonexistent/dir' does not exist"),
    (["--save", "A.png"], "--save: 'A.png' has the suffix '.png'; allowed: .npy"),
    (["--max-entries", 0], "--max-entries must be an integer >= 1; got 0"),
    (["--max-seconds", -3], "--max-seconds must be a positive number; got -3"),
    (["-L", "x"], "Invalid value for '-L' / '--depth': 'x' is not a valid integer"),
    (["--engine", "torch"], "Invalid value for '--engine'"),
    (["--partition", "A:0"], "time steps must be integers in 1..6"),
])
def test_grid_refuses_before_any_work(args, message):
    t0 = time.perf_counter()
    line = one_error_line(invoke("grid", *args))
    assert message in line
    assert time.perf_counter() - t0 < 30  # a hang guard: nothing was planned, contracted or allocated


def test_grid_estimate_of_the_long_run():
    line = one_error_line(invoke("grid", "-L", 3, "-R", 2, "-M", 2, "-T", 26))
    assert "float SVD of the 8,192 x 8,192 matrix" in line and "11,338 tensors" in line


# ---------------------------------------- float routes refuse integer weights
@pytest.fixture
def modp_case():
    spec = RAC(3, 3, 3, 6)
    return spec, compile_network(spec), init_params_modp(spec, seed=0)


def test_contract_network_refuses_integer_weights(modp_case):
    from tnrnn.contract import contract_network

    spec, net, p = modp_case
    X = random_inputs(spec, 2, seed=1)
    # before: inf/nan; the true values are exact integers of hundreds of digits
    with pytest.raises(SpecError, match=r"contract_network computes in floating point; "
                                        r"params.W_H\[0\] has dtype int64"):
        contract_network(net, spec, p, X, engine="numpy")


@pytest.mark.parametrize("route", ["contract_grid", "prepare", "evaluate_jax"])
def test_other_float_routes_refuse_integer_weights(modp_case, route):
    from tnrnn import contract

    spec, net, p = modp_case
    with pytest.raises(SpecError, match=rf"{route} computes in floating point"):
        if route == "evaluate_jax":
            contract.evaluate_jax(spec, p, random_inputs(spec, 1, seed=0))
        else:
            getattr(contract, route)(net, spec, p, engine="numpy")


def test_contract_network_refuses_inputs_that_are_not_numbers():
    from tnrnn.contract import contract_network

    spec = RAC(1, 2, 2, 3)
    net, p = compile_network(spec), init_params(spec)
    X = np.full((1, 3, 2), "a")
    with pytest.raises(SpecError, match=r"the inputs X must be numbers; got an array of dtype <U1"):
        contract_network(net, spec, p, X, engine="numpy")
    X = np.ones((1, 3, 2))
    X[0, 0, 0] = np.nan
    with pytest.raises(SpecError, match=r"must be finite numbers; got nan or inf at 1 entries"):
        contract_network(net, spec, p, X, engine="numpy")
    assert tnrnn.TnrnnError  # all of the above are TnrnnError subclasses
