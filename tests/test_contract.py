"""Tests of tnrnn.contract: engines against the step-by-step evaluator, the
JAX evaluator, exact costs against closed forms and against opt_einsum, the
path finders, every refusal, and the import rule (no JAX on import)."""

from __future__ import annotations

import functools
import math
import subprocess
import sys

import numpy as np
import opt_einsum
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, one_hot, random_inputs
from tnrnn.compile import compile_network, tensor_arrays
from tnrnn.errors import MissingDependencyError, SpecError, TooLargeError
from tnrnn.network import Leg, Network, Tensor
from tnrnn.contract import (
    ENGINES,
    PATH_FINDERS,
    Cost,
    check_max_intermediate,
    clear_caches,
    contract_network,
    contraction_cost,
    evaluate_jax,
    find_path,
    get_engine,
    get_path_finder,
    is_tree_shaped,
    network_view,
    path_cost,
    plan_contraction,
    tree_path,
    validate_path,
)
from tnrnn.contract.paths import cotengra_path, greedy_path, optimal_path
from tnrnn.contract.pathutils import linear_to_ssa, ssa_to_linear
from tnrnn.contract.plan import run_plan


# ------------------------------------------------------------------ helpers
def assert_close(got, want):
    """Float64 agreement: relative to the largest entry of ``want``.

    Contractions reorder sums and products of ~T^L terms, so a few hundred
    ulps of the largest magnitude is the float64 tolerance used throughout.
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == np.float64
    scale = max(float(np.max(np.abs(want))), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * scale)


def oe_cost(view, path):
    """(opt_cost, largest_intermediate) from opt_einsum for the same path."""
    sym: dict = {}
    for t in view.inputs:
        for ix in t:
            sym.setdefault(ix, opt_einsum.get_symbol(len(sym)))
    eq = (",".join("".join(sym[i] for i in t) for t in view.inputs) + "->"
          + "".join(sym[i] for i in view.output))
    shapes = [tuple(view.size_dict[i] for i in t) for t in view.inputs]
    _, info = opt_einsum.contract_path(eq, *shapes, shapes=True, optimize=list(path))
    return int(info.opt_cost), int(info.largest_intermediate)


# Specs covering depths 1-3, several T, R, M, K, and the TT-RNN.
CASES = [
    (RAC(1, 2, 3, 4), "cp"),
    (RAC(1, 3, 2, 5, outputs=2), "core"),
    (RAC(2, 2, 2, 3), "cp"),
    (RAC(2, 3, 2, 4), "core"),
    (RAC(2, 2, 3, 5, outputs=2), "cp"),
    (RAC(3, 2, 2, 3), "cp"),
    (RAC(3, 2, 3, 4, outputs=2), "core"),
    (RAC(2, 1, 1, 2), "core"),
    (TTRNN(3, 2, 5), "core"),
    (TTRNN(2, 4, 3, outputs=3), "core"),
]
CASE_IDS = [f"{s.kind}-L{s.depth}-R{s.hidden}-M{s.input_dim}-T{s.length}-K{s.outputs}-{f}"
            for s, f in CASES]


# ------------------------------------------------------------------ engines
@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("spec", "form"), CASES, ids=CASE_IDS)
def test_engine_matches_step_by_step(engine, spec, form):
    net = compile_network(spec, form=form)
    params = init_params(spec, seed=spec.length)
    X = random_inputs(spec, 3, seed=spec.hidden)
    assert_close(contract_network(net, spec, params, X, engine=engine),
                 evaluate(spec, params, X))


@pytest.mark.parametrize("engine", ["numpy", "jax"])
def test_both_forms_agree_and_one_hot_inputs(engine):
    spec = RAC(2, 3, 3, 4)
    params = init_params(spec, seed=5)
    X = one_hot(np.random.default_rng(0).integers(0, 3, size=(6, 4)), 3)
    want = evaluate(spec, params, X)
    for form in ("cp", "core"):
        assert_close(contract_network(compile_network(spec, form=form), spec,
                                      params, X, engine=engine), want)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_single_sequence_is_promoted(engine):
    spec = RAC(2, 2, 2, 3)
    params, X = init_params(spec, seed=1), random_inputs(spec, 1, seed=2)[0]
    y = contract_network(compile_network(spec), spec, params, X, engine=engine)
    assert y.shape == (1, 1)
    assert_close(y, evaluate(spec, params, X))


@pytest.mark.parametrize("optimize", ["tree", "greedy", "optimal-small", "cotengra",
                                      "explicit", "callable"])
def test_every_path_finder_gives_the_same_values(optimize):
    spec = RAC(1, 2, 2, 3)
    net = compile_network(spec, form="core")  # 8 operands with the inputs
    params, X = init_params(spec, seed=3), random_inputs(spec, 4, seed=4)
    if optimize == "optimal-small":
        optimize = "optimal"
    elif optimize == "explicit":
        optimize = list(contraction_cost(net, batch=4, optimize="greedy").path)
    elif optimize == "callable":
        optimize = functools.partial(tree_path, root=0, lookahead=False)
    y = contract_network(net, spec, params, X, engine="numpy", optimize=optimize)
    assert_close(y, evaluate(spec, params, X))


def test_tensornetwork_engine_with_explicit_unfolded_path():
    spec = RAC(2, 2, 2, 3)
    net = compile_network(spec)
    params, X = init_params(spec, seed=0), random_inputs(spec, 2, seed=1)
    path = contraction_cost(net, fold_copies=False, optimize="greedy").path
    y = contract_network(net, spec, params, X, engine="tensornetwork", optimize=path)
    assert_close(y, evaluate(spec, params, X))


def test_jax_engine_reuses_plan_and_program():
    from tnrnn.contract import _jax

    spec = RAC(2, 2, 2, 3)
    net = compile_network(spec)
    params, X = init_params(spec, seed=0), random_inputs(spec, 4, seed=1)
    clear_caches()
    assert plan_contraction(net, batch=4) is plan_contraction(net, batch=4)
    contract_network(net, spec, params, X)
    n_programs = len(_jax._PROGRAMS)
    other = init_params(spec, seed=9)  # new weights: same program
    assert_close(contract_network(net, spec, other, X), evaluate(spec, other, X))
    assert len(_jax._PROGRAMS) == n_programs == 1
    clear_caches()
    assert len(_jax._PROGRAMS) == 0


def test_jax_leaves_the_process_x64_setting_alone():
    import jax

    before = jax.config.jax_enable_x64
    spec = TTRNN(2, 2, 3)
    evaluate_jax(spec, init_params(spec), random_inputs(spec, 2))
    assert jax.config.jax_enable_x64 == before


def test_one_float64_switch():
    """Every float64 context of tnrnn.contract (and of the linear-RNN flows)
    is tnrnn._jax.x64: no module sets jax.enable_x64 itself; the results of
    the approximate rank and the matmul rate, made under it, are float64
    with the process in float32."""
    import ast
    from pathlib import Path

    import jax

    import tnrnn
    from tnrnn.contract.approx import float_halves, float_sample_matrix, svd_rank
    from tnrnn.partition import start_end
    from tnrnn.rank import merge_halves

    root = Path(tnrnn.__file__).parent
    files = sorted((root / "contract").glob("*.py")) + [root / "linear_rnn" / "_flow_runs.py"]
    direct = [f"{f.name}:{node.lineno}" for f in files
              for node in ast.walk(ast.parse(f.read_text()))
              if isinstance(node, ast.Attribute) and node.attr == "enable_x64"]
    assert direct == []
    spec = RAC(2, 2, 2, 4)
    p = init_params(spec, seed=1)
    XA, XB = float_halves(0, "A", 0, 3, 2, 2), float_halves(0, "B", 0, 2, 2, 2)
    with jax.enable_x64(False):                 # the process in float32
        Y = float_sample_matrix(spec, p, start_end(4), XA, XB)
        rank, tol, s = svd_rank(Y)
        assert jax.config.jax_enable_x64 is False
    # float64 to the last digits: the numpy step-by-step evaluator is the truth
    full = merge_halves(start_end(4), XA[:, None], XB[None, :]).reshape(6, 4, 2)
    assert Y.dtype == s.dtype == np.float64
    np.testing.assert_allclose(Y.ravel(), evaluate(spec, p, full)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(Y, compute_uv=False), rtol=1e-12, atol=1e-13 * s[0])
    assert rank == int((s > tol).sum())


# ------------------------------------------------------------ evaluate_jax
@pytest.mark.parametrize("spec", [RAC(1, 3, 2, 6), RAC(2, 3, 3, 5, outputs=2),
                                  RAC(3, 2, 2, 7), RAC(4, 2, 3, 4),
                                  TTRNN(3, 2, 6, outputs=2)],
                         ids=lambda s: f"{s.kind}-L{s.depth}-T{s.length}")
def test_evaluate_jax_matches_evaluate(spec):
    params = init_params(spec, seed=7, h0=np.linspace(0.5, 1.5, spec.hidden))
    X = random_inputs(spec, 5, seed=8)
    y = evaluate_jax(spec, params, X)
    assert y.dtype == np.float64 and y.shape == (5, spec.outputs)
    assert_close(y, evaluate(spec, params, X))


def test_evaluate_jax_validates_before_jit():
    spec = RAC(2, 2, 2, 3)
    params = init_params(spec)
    with pytest.raises(SpecError, match=r"inputs must have shape \(N, 3, 2\)"):
        evaluate_jax(spec, params, np.zeros((2, 4, 2)))
    with pytest.raises(SpecError, match=r"W_O must have shape \(1, 2\)"):
        evaluate_jax(spec, params._replace(W_O=np.ones((1, 3))), np.zeros((1, 3, 2)))


# ---------------------------------------------------------- exact costs
def _plain(**kw):
    """The plain tree order: root at the read-out ``W_O`` (operand 0), each
    operand merged with its children's finished results only."""
    return functools.partial(tree_path, root=0, lookahead=False)


@pytest.mark.parametrize("T", [1, 2, 5])
@pytest.mark.parametrize(("R", "M", "K"), [(1, 1, 1), (2, 3, 1), (3, 2, 2), (2, 7, 1)])
@pytest.mark.parametrize("N", [1, 4])
def test_flops_of_the_mps_chain_in_plain_tree_order(T, R, M, K, N):
    """Closed form **[derived]** for the TT-RNN chain (form ``"core"``) with
    the plain tree order rooted at ``W_O`` and a batch of ``N``.

    Site ``t`` merges three local operands: the core ``G (R, M, R)``, the
    carried state and the input vector ``(N, M)``. With the opt_einsum
    convention (a step over indices ``I`` costs ``prod |I|``, doubled when
    it sums an index):

    * ``t >= 2`` (state ``(N, R)``): core-state first ``2NMR^2 + 2NMR``;
      core-input first ``2NMR^2 + 2NR^2``; state-input first (an outer
      product over the shared batch index, nothing summed) ``NMR +
      2NMR^2``. Cheapest: ``a = 2NMR^2 + N min(MR, 2R^2)``.
    * ``t = 1`` (state ``h0 (R)``, no batch index): core-``h0`` first costs
      ``2MR^2 + 2NMR``; the other two orders cost as above, so
      ``c_1 = min(2MR^2 + 2NMR, a)``.
    * the read-out ``W_O (K, R)`` against the state: ``2NKR``.

    ``flops = c_1 + (T - 1) a + 2NKR``; the largest intermediate is
    ``N max(M, K) R``-bounded, checked here against opt_einsum.
    """
    net = compile_network(TTRNN(R, M, T, K))
    cost = contraction_cost(net, batch=N, optimize=_plain())
    a = 2 * N * M * R * R + N * min(M * R, 2 * R * R)
    c1 = min(2 * M * R * R + 2 * N * M * R, a)
    assert cost.flops == c1 + (T - 1) * a + 2 * N * K * R
    assert (cost.flops, cost.max_intermediate) == oe_cost(network_view(net, batch=N),
                                                          cost.path)


@pytest.mark.parametrize("T", [2, 3, 6])
@pytest.mark.parametrize(("R", "M", "K"), [(1, 1, 1), (2, 3, 1), (3, 2, 2)])
@pytest.mark.parametrize("N", [1, 2, 5])
def test_flops_of_the_cp_chain_in_plain_tree_order(T, R, M, K, N):
    """Closed form **[derived]** for the depth-1 RAC in form ``"cp"``
    (copy tensors folded: unit ``t`` is ``W_H (R, R)`` and ``W_I (R, M)``
    sharing the hyperedge ``j_t`` with the unit above), plain tree order
    rooted at ``W_O``, batch ``N``, ``T >= 2``:

    * each ``W_I`` absorbs its input vector: ``2NMR`` (``T`` of them);
    * ``W_H`` of unit 1 absorbs ``h0``: ``2R^2``;
    * ``W_H`` of unit 2 meets ``A = (R)`` (unit 1's ``W_H`` side, no batch)
      and ``B = (N, R)`` (unit 1's ``W_I`` side): ``A B`` first then ``W_H``
      costs ``NR + 2NR^2``; ``W_H A`` first (``j_1`` still on ``B``, so
      nothing summed) then ``B`` costs ``R^2 + 2NR^2``; so
      ``2NR^2 + min(NR, R^2)``;
    * ``W_H`` of units ``3..T``: both sides carry the batch index, and the
      Hadamard product first wins: ``NR + 2NR^2`` each;
    * ``W_O`` meets the two sides of unit ``T``: ``NR + 2NKR``.
    """
    net = compile_network(RAC(1, R, M, T, K), form="cp")
    cost = contraction_cost(net, batch=N, optimize=_plain())
    want = (T * 2 * N * M * R + 2 * R * R + 2 * N * R * R + min(N * R, R * R)
            + (T - 2) * (2 * N * R * R + N * R) + N * R + 2 * N * K * R)
    assert cost.flops == want
    assert (cost.flops, cost.max_intermediate) == oe_cost(network_view(net, batch=N),
                                                          cost.path)


def test_path_cost_by_hand():
    """``(2 x 3) @ (3,)``: one step over ``{i, j}`` summing ``j``: ``2*2*3``;
    then ``(2,) * (2,) -> ()``: ``2*2``. Intermediates of 2 and 1 entries."""
    c = path_cost([("i", "j"), ("j",), ("i",)], (), {"i": 2, "j": 3}, [(0, 1), (0, 1)])
    assert (c.flops, c.max_intermediate, c.memory_written) == (12 + 4, 2, 3)
    assert c.log2_max_intermediate == 1.0 and c.path == ((0, 1), (0, 1))
    d = c.to_dict()
    assert d["log10_flops"] == math.log10(16) and d["path"] == [[0, 1], [0, 1]]
    # An outer product sums nothing: prod of sizes, no factor 2.
    assert path_cost([("i",), ("j",)], ("i", "j"), {"i": 2, "j": 3}, [(0, 1)]).flops == 6


@pytest.mark.parametrize(("spec", "form"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("fold", [True, False])
def test_cost_model_equals_opt_einsum(spec, form, fold):
    net = compile_network(spec, form=form)
    for optimize in ("auto", "greedy"):
        cost = contraction_cost(net, batch=3, optimize=optimize, fold_copies=fold)
        view = network_view(net, batch=3, fold_copies=fold)
        assert (cost.flops, cost.max_intermediate) == oe_cost(view, cost.path)
        assert cost.num_operands == len(view.inputs)
        assert isinstance(cost.flops, int) and isinstance(cost.memory_written, int)


def test_bare_network_cost():
    """Without input vectors the result is the full tensor over all open
    legs: for the TT chain with T = 2, M = 2, K = 1 it has 2 * 2 * 1 entries."""
    net = compile_network(TTRNN(2, 2, 2))
    cost = contraction_cost(net, attach_inputs=False)
    assert cost.max_intermediate >= 4 and cost.num_operands == 4
    assert (cost.flops, cost.max_intermediate) == oe_cost(
        network_view(net, attach_inputs=False), cost.path)


# ------------------------------------------------------------- path finders
def _compiled_cases():
    for L in (1, 2, 3):
        for T in (2, 3, 5):
            for R, M in ((2, 2), (3, 2), (2, 4)):
                yield RAC(L, R, M, T), "cp"
                yield RAC(L, R, M, T), "core"


def test_auto_is_never_worse_than_tree_or_greedy_on_compiled_networks():
    for spec, form in _compiled_cases():
        net = compile_network(spec, form=form)
        for N in (1, 5, 64):
            auto = contraction_cost(net, batch=N).flops
            assert auto <= contraction_cost(net, batch=N, optimize="tree").flops
            assert auto <= contraction_cost(net, batch=N, optimize="greedy").flops


def test_tree_beats_greedy_by_far_on_large_batches():
    """Greedy carries open input legs and builds huge intermediates."""
    net = compile_network(RAC(2, 3, 2, 10), form="core")
    tree = contraction_cost(net, batch=64, optimize="tree")
    greedy = contraction_cost(net, batch=64, optimize="greedy")
    assert 10 * tree.flops < greedy.flops
    assert 100 * tree.max_intermediate < greedy.max_intermediate
    assert tree.max_intermediate == 64 * 3 * 3  # batch x R x M: one site


def test_lookahead_and_root_search_never_cost_more_than_the_plain_order():
    for spec, form in _compiled_cases():
        net = compile_network(spec, form=form)
        for N in (1, 5):
            best = contraction_cost(net, batch=N, optimize="tree").flops
            assert best <= contraction_cost(net, batch=N, optimize=_plain()).flops


def exhaustive_flops(view) -> int:
    """Least FLOPs over *all* pairwise contraction trees (outer products
    included), by dynamic programming over subsets of operands: the tensor a
    subset contracts to is fixed (its indices shared with the rest or the
    output), so ``best(S) = min over splits S = A + B of best(A) + best(B) +
    step(A, B)``. Independent of the code under test."""
    n = len(view.inputs)
    sets = [frozenset(t) for t in view.inputs]
    out = frozenset(view.output)
    full = (1 << n) - 1

    def indices(mask):
        return frozenset().union(*(sets[k] for k in range(n) if mask >> k & 1))

    def result(mask):
        rest = indices(full & ~mask) | out
        return indices(mask) & rest

    best = {1 << k: 0 for k in range(n)}
    for mask in sorted(range(1, full + 1), key=lambda m: bin(m).count("1")):
        if mask in best:
            continue
        low = mask & -mask
        options = []
        sub = (mask - 1) & mask
        while sub:
            if sub & low:  # each split once: A holds the lowest operand
                a, b = sub, mask & ~sub
                involved = result(a) | result(b)
                summed = len(result(mask)) < len(involved)
                step = math.prod(view.size_dict[i] for i in involved) * (2 if summed else 1)
                options.append(best[a] + best[b] + step)
            sub = (sub - 1) & mask
        best[mask] = min(options)
    return best[full]


@pytest.mark.parametrize("spec", [RAC(1, 2, 3, 3), RAC(1, 2, 2, 4), RAC(1, 3, 3, 4),
                                  TTRNN(2, 3, 4, outputs=2)],
                         ids=lambda s: f"{s.kind}-R{s.hidden}-M{s.input_dim}-T{s.length}")
# the default run checks the batch extremes (N = 1 and 100) against the
# exhaustive search; N = 3 and 16 run with -m slow
@pytest.mark.parametrize("N", [1, pytest.param(3, marks=pytest.mark.slow),
                               pytest.param(16, marks=pytest.mark.slow), 100])
def test_default_is_optimal_on_short_chains_with_m_at_least_r(spec, N):
    net = compile_network(spec, form="core")
    view = network_view(net, batch=N)
    assert len(view.inputs) <= 10
    assert contraction_cost(net, batch=N).flops == exhaustive_flops(view)


@pytest.mark.parametrize(("spec", "form"), [(RAC(1, 2, 2, 2), "cp"),
                                            (RAC(1, 3, 2, 4), "core")])
@pytest.mark.parametrize("N", [1, 16, 100])
def test_exhaustive_optimum_bounds_the_default_from_below(spec, form, N):
    """On very short sequences with a large batch the optimum contracts the
    weights first into a tensor over the few input legs (exponential in T),
    which the tree order never does; the default stays within a factor 2."""
    net = compile_network(spec, form=form)
    optimum = exhaustive_flops(network_view(net, batch=N))
    auto = contraction_cost(net, batch=N).flops
    assert optimum <= auto < 2 * optimum
    if N == 1:
        assert auto == optimum


def test_tree_path_on_hyperedges_and_forests():
    # Two components: a matrix-vector pair and a lone vector.
    inputs = [("i", "j"), ("j",), ("k",)]
    path = tree_path(inputs, ("i", "k"), {"i": 2, "j": 3, "k": 4})
    assert path_cost(inputs, ("i", "k"), {"i": 2, "j": 3, "k": 4}, path).flops == 12 + 8
    # A hyperedge over three operands is fine.
    assert is_tree_shaped([("h", "a"), ("h", "b"), ("h",)], ())
    assert len(tree_path([("h", "a"), ("h", "b"), ("h",)], ("a", "b"),
                         {"h": 2, "a": 2, "b": 2})) == 2
    assert tree_path([("i",)], ("i",), {"i": 2}) == []


def test_auto_on_a_cycle_uses_opt_einsum():
    inputs = [("i", "j"), ("j", "k"), ("k", "i")]
    assert not is_tree_shaped(inputs, ())
    path, label = find_path(inputs, (), {"i": 2, "j": 2, "k": 2}, "auto")
    assert label == "auto" and len(path) == 2


def test_cotengra_is_seeded_and_deterministic():
    view = network_view(compile_network(RAC(2, 2, 2, 4)), batch=3)
    p1 = cotengra_path(view.inputs, view.output, view.size_dict, max_repeats=4)
    p2 = cotengra_path(view.inputs, view.output, view.size_dict, max_repeats=4)
    assert p1 == p2
    validate_path(p1, len(view.inputs))


def test_path_conversions_agree_with_opt_einsum():
    rng = np.random.default_rng(0)
    for n in (2, 5, 17, 40):
        alive, ssa, new = list(range(n)), [], n
        while len(alive) > 1:
            a, b = sorted(rng.choice(len(alive), size=2, replace=False))
            ssa.append((alive[a], alive[b]))
            alive = [x for k, x in enumerate(alive) if k not in (a, b)] + [new]
            new += 1
        linear = ssa_to_linear(ssa, n)
        assert linear == [tuple(s) for s in opt_einsum.paths.ssa_to_linear(ssa)]
        assert linear_to_ssa(linear, n) == ssa


def test_registries_list_their_names():
    assert set(PATH_FINDERS) == {"auto", "tree", "greedy", "optimal", "cotengra", "refine"}
    assert get_path_finder("greedy") is greedy_path
    assert set(ENGINES) == {"jax", "numpy", "tensornetwork"}


# ------------------------------------------------------------------ refusals
def test_unknown_engine():
    with pytest.raises(SpecError, match=r"unknown engine 'torch'; valid names: "
                       r"'jax', 'numpy', 'tensornetwork'"):
        get_engine("torch")


def test_unknown_path_finder():
    with pytest.raises(SpecError, match=r"unknown path finder 'best'; valid names: "
                       r"'auto', 'tree', 'greedy', 'optimal', 'cotengra'"):
        get_path_finder("best")
    spec = RAC(1, 2, 2, 2)
    with pytest.raises(SpecError, match="unknown path finder 'fast'"):
        contract_network(compile_network(spec), spec, init_params(spec),
                         random_inputs(spec, 1), engine="numpy", optimize="fast")


def test_optimal_refuses_large_networks():
    view = network_view(compile_network(RAC(2, 2, 2, 4)), batch=2)
    with pytest.raises(TooLargeError, match=r"refused above 10 operands; this "
                       r"network has \d+") as info:
        optimal_path(view.inputs, view.output, view.size_dict)
    assert info.value.limit == 10 and info.value.estimate == len(view.inputs)


@pytest.mark.parametrize(("path", "message"), [
    ([(0, 1), ()], r"path step 1 is empty"),
    ([(1, 1)], r"path step 0 \(1, 1\) repeats a position"),
    ([(0, 3)], r"path step 0 \(0, 3\) names a position outside 0\.\.2"),
    ([(0, 1)], r"it leaves 2"),
    ([None], r"a path is a sequence of tuples of operand positions"),
])
def test_validate_path_refusals(path, message):
    with pytest.raises(SpecError, match=message):
        validate_path(path, 3)


def test_tree_finder_refusals():
    with pytest.raises(SpecError, match="needs a tree-shaped network"):
        tree_path([("i", "j"), ("j", "k"), ("k", "i")], (), {"i": 2, "j": 2, "k": 2})
    with pytest.raises(SpecError, match=r"root must be an operand position in 0\.\.1; got 5"):
        tree_path([("i",), ("i",)], (), {"i": 2}, root=5)


def test_missing_cotengra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cotengra", None)
    with pytest.raises(MissingDependencyError, match="needs cotengra"):
        cotengra_path([("i",), ("i",)], (), {"i": 2})


def test_missing_tensornetwork(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensornetwork", None)
    spec = RAC(1, 2, 2, 2)
    with pytest.raises(MissingDependencyError, match="needs tensornetwork"):
        contract_network(compile_network(spec), spec, init_params(spec),
                         random_inputs(spec, 1), engine="tensornetwork")


def test_contraction_refused_above_max_intermediate():
    spec = RAC(2, 3, 2, 4)
    net = compile_network(spec)
    need = contraction_cost(net, batch=50).max_intermediate
    with pytest.raises(TooLargeError, match=rf"would hold {need:,} entries .*"
                       r"the limit is max_intermediate=100 entries") as info:
        contract_network(net, spec, init_params(spec), random_inputs(spec, 50),
                         max_intermediate=100)
    assert (info.value.estimate, info.value.limit) == (need, 100)
    c = contraction_cost(net, batch=50)
    assert check_max_intermediate(c, need) is c
    with pytest.raises(TooLargeError, match="the limit is max_intermediate=1 entries"):
        check_max_intermediate(c, 1)


def test_contract_network_argument_refusals():
    spec = RAC(1, 2, 2, 3)
    net, params, X = compile_network(spec), init_params(spec), random_inputs(spec, 2)
    with pytest.raises(SpecError, match="net must be a Network; got dict"):
        contract_network({}, spec, params, X)
    with pytest.raises(SpecError, match="max_intermediate must be an integer >= 1; got 0"):
        contract_network(net, spec, params, X, max_intermediate=0)
    with pytest.raises(SpecError, match=r"inputs must have shape \(N, 3, 2\)"):
        contract_network(net, spec, params, X[:, :2])
    other = RAC(1, 2, 2, 4)
    with pytest.raises(SpecError, match="network was compiled from"):
        contract_network(compile_network(other), spec, params, X)


def test_views_need_input_legs_with_time_steps():
    lonely = Network((Tensor("A", ("y",)),), {"y": 2}, (Leg("y", "output", None),))
    with pytest.raises(SpecError, match="has no input legs"):
        network_view(lonely)
    assert network_view(lonely, attach_inputs=False).inputs == [("y",)]
    no_time = Network((Tensor("A", ("i", "y")),), {"i": 2, "y": 2},
                      (Leg("i", "input", None), Leg("y", "output", None)))
    with pytest.raises(SpecError, match="input legs must carry a 1-based time step"):
        plan_contraction(no_time, batch=1)
    with pytest.raises(SpecError, match="batch must be an integer >= 1"):
        network_view(no_time, batch=0)


@pytest.mark.parametrize("library", ["numpy", "jax"])
def test_steps_over_more_than_52_indices(library):
    """A step touching 62 indices needs letters beyond a-zA-Z: the plan's
    equations use ``opt_einsum.get_symbol``; ``jax.numpy.einsum`` accepts
    them, and the numpy engine runs such a step as transposes and a batched
    ``matmul`` (``numpy.einsum`` has 52 letters only)."""
    bonds = [f"b{k}" for k in range(60)]
    net = Network((Tensor("A", ("i", *bonds)), Tensor("B", (*bonds, "y"))),
                  {"i": 2, "y": 3, **{b: 1 for b in bonds}},
                  (Leg("i", "input", 1), Leg("y", "output", None)))
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2,) + (1,) * 60), rng.standard_normal((1,) * 60 + (3,))
    X = rng.standard_normal((4, 1, 2))
    plan = plan_contraction(net, batch=4, optimize=[(1, 2), (0, 1)])
    assert max(len(set(eq.replace(",", "").replace("->", ""))) for _, eq in plan.steps) > 52
    weights = [A, B]
    if library == "numpy":
        from tnrnn.contract.engines import _numpy_einsum

        y = run_plan(plan.program, weights, X, _numpy_einsum)
    else:
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(True):
            y = np.asarray(run_plan(plan.program, [jnp.asarray(w) for w in weights],
                                    jnp.asarray(X), jnp.einsum))
    assert_close(y, X[:, 0] @ A.reshape(2, 1) @ B.reshape(1, 3))


@pytest.mark.parametrize("eq", ["ab,bc->ac", "nab,nbc->nca", "abd,bce->ca",
                                "ab,cd->dacb", "nab,na->nb", "ab,ab->"])
def test_pairwise_matmul_step_matches_einsum(eq):
    from tnrnn.contract.engines import _pairwise

    rng = np.random.default_rng(1)
    dims = dict(zip("abcden", (2, 3, 4, 5, 2, 3)))
    ta, tb = eq.split("->")[0].split(",")
    A = rng.standard_normal([dims[i] for i in ta])
    B = rng.standard_normal([dims[i] for i in tb])
    assert_close(np.asarray(_pairwise(eq, A, B), dtype=np.float64), np.einsum(eq, A, B))


def test_batch_index_name_avoids_collisions():
    net = Network((Tensor("A", ("_batch", "y")),), {"_batch": 2, "y": 3},
                  (Leg("_batch", "input", 1), Leg("y", "output", None)))
    view = network_view(net, batch=4)
    assert view.output == ("_batch_", "y") and view.size_dict["_batch_"] == 4


# ------------------------------------------------------------ import rule
def test_importing_tnrnn_and_the_cost_model_does_not_load_jax():
    code = ("import sys, tnrnn, tnrnn.contract, tnrnn.contract.cost; "
            "from tnrnn.contract import contraction_cost; "
            "from tnrnn.compile import compile_network; "
            "contraction_cost(compile_network(tnrnn.RAC(2, 2, 2, 4)), batch=8); "
            "bad = [m for m in ('jax', 'tensornetwork', 'cotengra') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_cost_dataclass_is_frozen():
    c = contraction_cost(compile_network(TTRNN(2, 2, 2)))
    assert isinstance(c, Cost)
    with pytest.raises(AttributeError):
        c.flops = 0  # type: ignore[misc]


# ------------------------------------------------- equal sub-results merged
@pytest.mark.parametrize("spec", [RAC(2, 3, 2, 6), RAC(3, 2, 3, 5), TTRNN(2, 2, 5)], ids=repr)
def test_merged_plan_equals_the_unmerged_program_and_runs_each_step_once(spec):
    """The plan with equal sub-results merged gives bit-for-bit the result
    of every step of the path run one by one (same operations, fewer of
    them), and keeps no two steps with the same string and operands."""
    from tnrnn.contract.pathutils import simulate

    net = compile_network(spec)
    p, X = init_params(spec, seed=4), random_inputs(spec, 5, seed=5)
    plan = plan_contraction(net, batch=5)
    view = network_view(net, batch=5)
    _, _, _, steps = simulate(view.inputs, view.output, view.size_dict,
                              linear_to_ssa(plan.cost.path, len(view.inputs)),
                              equations=True)
    arrays = tensor_arrays(net, spec, p)
    weights = [arrays[k] for k in plan.slot_tensors]
    merged = run_plan(plan.program, weights, X, opt_einsum.contract)
    full = run_plan((plan.sources, tuple(steps)), weights, X, opt_einsum.contract)
    np.testing.assert_array_equal(merged, full)
    assert len({(ids, eq) for ids, eq in plan.steps}) == len(plan.steps)
    assert plan.executed_flops <= plan.cost.flops
    if spec.depth > 1 and not isinstance(spec, TTRNN):
        assert len(plan.steps) < len(steps)


def test_merging_closes_the_duplication_gap_at_depth_2():
    """Depth 2, R = M = 8, T = 16, N = 256: the duplicated network's path
    costs 4.2x the recurrence (closed form F_rec of tnrnn.benchmark), but
    with each duplicated sub-result computed once the plan runs no more
    FLOPs than the recurrence."""
    from tnrnn.benchmark import recurrence_flops

    spec = RAC(2, 8, 8, 16)
    plan = plan_contraction(compile_network(spec), batch=256)
    rec = recurrence_flops(spec, 256)
    assert plan.cost.flops > 4 * rec
    assert plan.executed_flops <= rec


def test_results_to_dict_rebuild_and_are_json():
    """Plan, View and Runner follow the result convention (frozen dataclasses
    with to_dict): the JSON of a plan runs to the step-by-step evaluator's
    numbers; a view's JSON rebuilds the view; fields cannot be reassigned."""
    import dataclasses
    import json

    from tnrnn.contract import Plan
    from tnrnn.contract.plan import build_plan, run_plan
    from tnrnn.contract.compare import Runner, cotengra_runner
    from tnrnn.contract.cost import Cost, View

    spec = RAC(2, 2, 3, 5)
    net, p, X = compile_network(spec), init_params(spec, seed=4), random_inputs(spec, 3, seed=5)
    plan = plan_contraction(net, batch=3)
    d = json.loads(json.dumps(plan.to_dict(), allow_nan=False))
    program = (tuple(tuple(s) for s in d["sources"]),
               tuple((tuple(ids), eq) for ids, eq in d["steps"]))
    assert program == plan.program and tuple(d["slot_tensors"]) == plan.slot_tensors
    arrays = tensor_arrays(net, spec, p)
    y = run_plan(program, [arrays[k] for k in d["slot_tensors"]], X, opt_einsum.contract)
    np.testing.assert_allclose(y, evaluate(spec, p, X), rtol=1e-12)
    c = d["cost"]
    assert Cost(**{k: c[k] for k in ("flops", "max_intermediate", "memory_written",
                                      "optimize", "num_operands")},
                path=tuple(tuple(s) for s in c["path"])) == plan.cost
    assert d["executed_flops"] == plan.executed_flops

    view = network_view(net, batch=3)
    v = json.loads(json.dumps(view.to_dict()))
    again = View([tuple(ix) for ix in v["inputs"]], tuple(v["output"]), v["size_dict"],
                 tuple(tuple(s) for s in v["sources"]), v["batch_index"])
    assert again == view and build_plan(net, again, "auto").program == \
        build_plan(net, view, "auto").program

    r = cotengra_runner(net, spec, p, optimize="auto")
    assert isinstance(r, Runner) and set(r.to_dict()) == {"cost", "path_s", "view", "route"}
    assert json.loads(json.dumps(r.to_dict()))["cost"]["flops"] == r.cost.flops
    for obj, field in ((plan, "steps"), (view, "inputs"), (r, "route")):
        assert dataclasses.is_dataclass(obj) and not isinstance(obj, tuple)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, field, None)
    assert isinstance(plan, Plan)
