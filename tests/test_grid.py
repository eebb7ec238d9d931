"""Tests of tnrnn.contract.grid: the one-hot grid by one contraction of the
open-leg view, checked entry by entry against the step-by-step evaluator on
every one-hot sequence; exact FLOPs against opt_einsum; the refined path;
matricization; every refusal."""

from __future__ import annotations

import itertools

import numpy as np
import opt_einsum
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, one_hot
from tnrnn.compile import compile_network
from tnrnn.contract import (
    contract_grid,
    default_grid_optimize,
    grid_matrix,
    grid_view,
    plan_grid,
    refine_path,
    tree_path,
)
from tnrnn.contract.pathutils import linear_to_ssa, simulate
from tnrnn.errors import PartitionError, SpecError, TooLargeError
from tnrnn.partition import odd_even


def all_sequences(T: int, M: int) -> np.ndarray:
    """Every sequence over ``range(M)`` of length ``T``, lexicographic (the
    row-major order of the grid's first ``T`` axes)."""
    return np.array(list(itertools.product(range(M), repeat=T)), dtype=int)


SPECS = [
    RAC(1, 3, 2, 5),
    RAC(1, 2, 3, 3),
    RAC(2, 2, 3, 3),
    RAC(2, 3, 2, 6),
    RAC(3, 2, 2, 4, outputs=2),
    TTRNN(2, 3, 4),
]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_grid_equals_the_recurrence_on_every_one_hot_sequence(spec, engine):
    net = compile_network(spec)
    p = init_params(spec, seed=3)
    A = contract_grid(net, spec, p, engine=engine)
    M, T = spec.input_dim, spec.length
    assert A.shape == (M,) * T + (spec.outputs,)
    assert A.dtype == np.float64
    ref = evaluate(spec, p, one_hot(all_sequences(T, M), M))
    np.testing.assert_allclose(A.reshape(M**T, -1), ref, rtol=1e-10,
                               atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("form", ["cp", "core"])
@pytest.mark.parametrize("optimize", ["auto", "tree", "greedy", "refine"])
def test_every_path_finder_gives_the_same_grid(form, optimize):
    spec = RAC(2, 2, 2, 5)
    net = compile_network(spec, form=form)
    p = init_params(spec, seed=0)
    ref = evaluate(spec, p, one_hot(all_sequences(5, 2), 2))
    A = contract_grid(net, spec, p, engine="numpy", optimize=optimize)
    np.testing.assert_allclose(A.reshape(32, 1), ref, rtol=1e-10)


def test_grid_plan_flops_equal_opt_einsum_on_the_same_path():
    """tnrnn's exact cost on the grid view against opt_einsum's own count
    (``PathInfo.opt_cost``), for fixed instances and a fixed path."""
    for spec in (RAC(1, 3, 2, 6), RAC(2, 2, 2, 5), RAC(3, 2, 2, 4)):
        net = compile_network(spec)
        plan = plan_grid(net, optimize="tree")
        v = grid_view(net)
        syms = {ix: opt_einsum.get_symbol(k) for k, ix in enumerate(
            dict.fromkeys(i for t in [*v.inputs, v.output] for i in t))}
        eq = ",".join("".join(syms[i] for i in t) for t in v.inputs) + "->" + \
            "".join(syms[i] for i in v.output)
        shapes = [tuple(v.size_dict[i] for i in t) for t in v.inputs]
        _, info = opt_einsum.contract_path(eq, *shapes, shapes=True,
                                           optimize=[tuple(s) for s in plan.cost.path])
        assert plan.cost.flops == int(info.opt_cost)
        assert plan.cost.max_intermediate == int(info.largest_intermediate)


def test_grid_flops_of_the_depth1_chain_in_closed_form():
    """**[derived]** Depth 1, form ``"core"`` (one core ``(R, M, R)`` per
    step, ``h0`` and ``W_O`` at the ends), path: the chain from ``h0``
    rightwards, each step ``E_t[s_1..s_t, r'] = sum_r E_{t-1}[s_<t, r]
    G[r, s_t, r']``, then ``W_O``. Step ``t`` (``t >= 2``) costs ``2 M^t
    R^2`` (all of ``s_1..s_t``, ``r`` and ``r'`` involved, ``r`` summed);
    ``t = 1`` costs ``2 M R^2`` as well; the read-out ``2 M^T R K``. The
    plan on this explicit path must price exactly that."""
    for R, M, T in [(2, 2, 4), (3, 2, 5), (2, 3, 3)]:
        net = compile_network(RAC(1, R, M, T), form="core")
        v = grid_view(net)
        kinds = [net.tensors[p].kind for _, p in v.sources]
        # Operands: find h0, the cores in time order, and W_O.
        h0 = next(k for k, p in enumerate(v.sources) if net.tensors[p[1]].kind == "h0")
        wo = next(k for k, p in enumerate(v.sources) if net.tensors[p[1]].kind == "W_O")
        cores = sorted((k for k, (_, p) in enumerate(v.sources)
                        if net.tensors[p].kind not in ("h0", "W_O")),
                       key=lambda k: net.tensors[v.sources[k][1]].unit[0])
        assert len(cores) == T, kinds
        order = [h0, *cores, wo]
        ssa, cur, new = [], order[0], len(v.inputs)
        for k in order[1:]:
            ssa.append((cur, k))
            cur, new = new, new + 1
        flops, _, _, _ = simulate(v.inputs, v.output, v.size_dict, ssa)
        want = sum(2 * M**t * R * R for t in range(1, T + 1)) + 2 * M**T * R
        assert flops == want, (R, M, T)


def test_refined_path_is_never_dearer_and_strictly_cheaper_on_a_deep_grid():
    for spec in (RAC(2, 4, 2, 8), RAC(3, 3, 2, 6)):
        v = grid_view(compile_network(spec))
        n = len(v.inputs)
        start = tree_path(v.inputs, v.output, v.size_dict)
        refined = refine_path(v.inputs, v.output, v.size_dict, start=start)

        def flops(path):
            return simulate(v.inputs, v.output, v.size_dict, linear_to_ssa(path, n))[0]

        assert flops(refined) < flops(start)
    # Depth 1: nothing to gain; the start is returned unchanged or cheaper.
    v = grid_view(compile_network(RAC(1, 3, 2, 6)))
    start = tree_path(v.inputs, v.output, v.size_dict)
    n = len(v.inputs)
    f = [simulate(v.inputs, v.output, v.size_dict, linear_to_ssa(p, n))[0]
         for p in (start, refine_path(v.inputs, v.output, v.size_dict, start=start))]
    assert f[1] <= f[0]


def test_default_plan_runs_the_fewest_flops_of_its_candidates():
    pytest.importorskip("cotengra")
    assert default_grid_optimize() == ("auto", "refine")
    for spec in (RAC(2, 4, 2, 8), RAC(3, 3, 2, 8)):
        net = compile_network(spec)
        plan = plan_grid(net)
        others = [plan_grid(net, optimize=name) for name in ("auto", "refine")]
        assert plan.executed_flops == min(p.executed_flops for p in others)
        assert plan.cost.optimize in ("auto", "refine")


def test_executed_flops_count_each_equal_step_once():
    """The plan runs fewer FLOPs than its path on a deep grid (duplicated
    copies contracted once), never more, and the same on a chain."""
    deep = plan_grid(compile_network(RAC(3, 2, 2, 6)), optimize="tree")
    assert deep.executed_flops < deep.cost.flops
    assert len(deep.steps) < len(deep.cost.path)
    chain = plan_grid(compile_network(RAC(1, 2, 2, 6)), optimize="tree")
    assert chain.executed_flops == chain.cost.flops


def test_plans_are_cached_per_network():
    net = compile_network(RAC(2, 2, 2, 4))
    assert plan_grid(net, optimize="tree") is plan_grid(net, optimize="tree")


def test_layout_puts_bonds_first_and_open_legs_in_time_order():
    """Every intermediate of a grid plan lists its open indices ``s_t`` in
    increasing ``t`` after its bonds; the last step writes the grid order."""
    net = compile_network(RAC(2, 2, 2, 5))
    v = grid_view(net)
    n = len(v.inputs)
    plan = plan_grid(net, optimize="tree")
    _, _, _, steps = simulate(v.inputs, v.output, v.size_dict,
                              linear_to_ssa(plan.cost.path, n), equations=True,
                              layout="output")
    terms = {k: tuple(t) for k, t in enumerate(v.inputs)}
    rank = {ix: k for k, ix in enumerate(v.output)}
    new = n
    for ids, eq in steps:
        ins, res = eq.split("->")
        letters = dict()
        for t_id, part in zip(ids, ins.split(",")):
            for ix, ch in zip(terms.pop(t_id), part):
                letters[ch] = ix
        result = tuple(letters[ch] for ch in res)
        keys = [rank.get(ix, -1) for ix in result]
        assert keys == sorted(keys), eq
        terms[new] = result
        new += 1
    assert terms[new - 1] == v.output


# ------------------------------------------------------------ matricization
def test_grid_matrix_rows_and_columns_follow_the_partition():
    spec = RAC(2, 2, 2, 4)
    net, p = compile_network(spec), init_params(spec, seed=2)
    A = contract_grid(net, spec, p, engine="numpy")
    part = odd_even(4)                       # A = {1, 3}, B = {2, 4}
    Y = grid_matrix(A, part)
    assert Y.shape == (4, 4)
    for a1, a3, b2, b4 in itertools.product(range(2), repeat=4):
        y = evaluate(spec, p, one_hot([[a1, b2, a3, b4]], 2))[0, 0]
        assert np.isclose(Y[2 * a1 + a3, 2 * b2 + b4], y, rtol=1e-12)


def test_grid_matrix_of_a_tt_rnn_has_rank_at_most_R():
    """**[theorem]** A TT-RNN's Start-End matricization factors through the
    hidden state at T/2, so its rank is at most R; with generic weights it
    is exactly min(R, M^{T/2}) -- checked here only as an upper bound plus
    a non-degeneracy floor (a float rank is approximate)."""
    spec = TTRNN(2, 2, 6)
    A = contract_grid(compile_network(spec), spec, init_params(spec, seed=0))
    s = np.linalg.svd(grid_matrix(A, "start-end"), compute_uv=False)
    assert s[2] <= 1e-12 * s[0]
    assert s[1] > 1e-6 * s[0]


def test_grid_matrix_refusals():
    A = np.zeros((2, 2, 2, 1))
    with pytest.raises(PartitionError, match="even length"):
        grid_matrix(A, "start-end")
    with pytest.raises(SpecError, match=r"output must be an integer in 0\.\.0; got 1"):
        grid_matrix(A, "A:1", output=1)
    with pytest.raises(SpecError, match="partition covers 4 time steps; the grid has T = 3"):
        grid_matrix(A, odd_even(4))
    with pytest.raises(SpecError, match=r"a grid has shape"):
        grid_matrix(np.zeros(3))


# ------------------------------------------------------------------ refusals
def test_too_large_grid_is_refused_before_any_path_search():
    spec = RAC(3, 2, 2, 30)
    net = compile_network(spec)
    with pytest.raises(TooLargeError, match=r"holds 1,073,741,824 entries") as exc:
        contract_grid(net, spec, init_params(spec))
    assert exc.value.estimate == 2**30
    assert exc.value.limit == 2**27
    with pytest.raises(TooLargeError, match="max_intermediate=100 entries"):
        plan_grid(compile_network(RAC(1, 2, 2, 7)), max_intermediate=100)


def test_bad_engine_params_and_mismatched_network():
    spec = RAC(1, 2, 2, 3)
    net, p = compile_network(spec), init_params(spec)
    with pytest.raises(SpecError, match="engine must be one of 'jax', 'numpy'; got 'torch'"):
        contract_grid(net, spec, p, engine="torch")
    with pytest.raises(SpecError, match="W_O"):
        contract_grid(net, spec, p._replace(W_O=np.ones((1, 5))))
    other = RAC(1, 2, 2, 4)
    with pytest.raises(SpecError):
        contract_grid(net, other, init_params(other))
    with pytest.raises(SpecError, match="net must be a Network"):
        contract_grid("net", spec, p)
    with pytest.raises(SpecError, match="unknown path finder 'fast'"):
        contract_grid(net, spec, p, optimize="fast")


@pytest.mark.parametrize("partition", ["start-end", "odd-even", "A:2,3"])
def test_grid_matrix_equals_the_sample_matrix_of_every_one_hot_half(partition):
    """The matricized grid is the float sample matrix of the approximate
    rank over all one-hot halves (rows and columns in the same order), which
    the rank code builds by evaluating every merged sequence."""
    from tnrnn.contract.approx import float_sample_matrix
    from tnrnn.partition import parse_partition
    from tnrnn.rank.sampling import one_hot_halves

    spec = RAC(2, 2, 3, 4)
    net, p = compile_network(spec), init_params(spec, seed=5)
    part = parse_partition(partition, 4)
    Y = float_sample_matrix(spec, p, part,
                            one_hot_halves(len(part.A), 3).astype(float),
                            one_hot_halves(len(part.B), 3).astype(float))
    np.testing.assert_allclose(grid_matrix(contract_grid(net, spec, p), part), Y,
                               rtol=1e-10, atol=1e-14 * np.abs(Y).max())
