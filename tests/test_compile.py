"""The compiler: counts against the closed forms, structure, refusal."""
import math
from collections import Counter

import networkx as nx
import numpy as np
import opt_einsum as oe
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, random_inputs
from tnrnn.compile import (compile_network, estimate_size, input_copies,
                           tensor_arrays, unit_copies)
from tnrnn.errors import SpecError, TooLargeError

GRID = [(L, T) for L in (1, 2, 3, 4) for T in (1, 2, 3, 5, 8) if math.comb(T + L, L) < 2000]


def count_paths(T, L, t, l):
    """Independent count of monotone lattice paths from (t, l) to (T, L),
    by dynamic programming over the grid (steps: t+1 or l+1)."""
    ways = {(T, L): 1}
    for tt in range(T, 0, -1):
        for ll in range(L, 0, -1):
            if (tt, ll) != (T, L):
                ways[(tt, ll)] = ways.get((tt + 1, ll), 0) + ways.get((tt, ll + 1), 0)
    return ways[(t, l)]


@pytest.mark.parametrize("L,T", GRID)
@pytest.mark.parametrize("form", ["cp", "core"])
def test_duplicated_counts_match_formulas(L, T, form):
    spec = RAC(L, 2, 3, T)
    net = compile_network(spec, form=form)
    per_unit = Counter(t.unit for t in net.tensors if t.kind in ("copy", "core"))
    for t in range(1, T + 1):
        for l in range(1, L + 1):
            assert per_unit[(t, l)] == unit_copies(T, L, t, l) == count_paths(T, L, t, l)
    assert sum(per_unit.values()) == math.comb(T + L, L) - 1
    leaves = net.input_leaves()
    assert leaves == {t: input_copies(T, L, t) for t in range(1, T + 1)}
    assert sum(leaves.values()) == math.comb(T + L - 1, L)
    est = estimate_size(spec, form)
    assert est.tensors == net.num_tensors
    assert est.bonds == len(net.bonds())
    assert est.units == sum(per_unit.values())
    assert est.state_leaves == sum(1 for t in net.tensors if t.kind == "h0")
    assert est.entries == sum(math.prod(net.sizes[i] for i in t.indices) for t in net.tensors)


@pytest.mark.parametrize("L,T", [(1, 4), (2, 4), (3, 3)])
def test_network_is_a_tree(L, T):
    g = nx.Graph(compile_network(RAC(L, 2, 2, T)).to_networkx())
    assert nx.is_tree(g)


def test_shallow_rac_is_an_mps_chain():
    """Depth 1: one unit per time step; each core joins the previous site,
    its input leg and the next site (bond dimension R)."""
    net = compile_network(RAC(1, 3, 2, 5), form="core")
    cores = [t for t in net.tensors if t.kind == "core"]
    assert sorted(t.unit for t in cores) == [(t, 1) for t in range(1, 6)]
    assert all(net.sizes[c.indices[0]] == 3 and net.sizes[c.indices[1]] == 2
               and net.sizes[c.indices[2]] == 3 for c in cores)
    assert net.max_bond() == 3
    assert net.input_leaves() == {t: 1 for t in range(1, 6)}


def test_ttrnn_compiles_to_core_mps_only():
    net = compile_network(TTRNN(2, 3, 4))
    assert net.summary()["kinds"] == {"W_O": 1, "core": 4, "h0": 1}
    with pytest.raises(SpecError, match=r"compiles only in form 'core'; got form='cp'"):
        compile_network(TTRNN(2, 3, 4), form="cp")


def test_unknown_form_refused():
    with pytest.raises(SpecError, match=r"form must be one of \('cp', 'core'\); got 'mps'"):
        compile_network(RAC(1, 2, 2, 2), form="mps")


def test_too_large_refused_before_building_with_estimate():
    spec = RAC(4, 2, 2, 200)
    with pytest.raises(TooLargeError, match=r"would have [\d,]+ tensors .* the limit is max_tensors=200,000") as info:
        compile_network(spec)
    assert info.value.estimate == estimate_size(spec).tensors
    assert info.value.limit == 200_000


def test_max_tensors_validated():
    with pytest.raises(SpecError, match=r"max_tensors must be an integer >= 1; got 0"):
        compile_network(RAC(1, 2, 2, 2), max_tensors=0)


def _contract_numpy(net, arrays, x):
    """Plain opt_einsum contraction of the full network (copy tensors as
    explicit delta arrays) with one input sequence attached."""
    names = {}
    sym = lambda ix: names.setdefault(ix, len(names))  # noqa: E731
    args = []
    for t, a in zip(net.tensors, arrays):
        args += [a, [sym(i) for i in t.indices]]
    for leg in net.input_legs():
        args += [x[leg.time - 1], [sym(leg.index)]]
    return oe.contract(*args, [sym("y")])


@pytest.mark.parametrize("spec", [RAC(1, 3, 2, 4), RAC(2, 2, 3, 4), RAC(3, 2, 2, 3),
                                  RAC(2, 3, 2, 3, outputs=2), TTRNN(2, 3, 4)])
def test_compiled_network_computes_the_circuit(spec):
    p = init_params(spec, seed=3)
    X = random_inputs(spec, 2, seed=5)
    for form in (["core"] if isinstance(spec, TTRNN) else ["cp", "core"]):
        net = compile_network(spec, form=form)
        arrays = tensor_arrays(net, spec, p)
        for n in range(2):
            np.testing.assert_allclose(_contract_numpy(net, arrays, X[n]),
                                       evaluate(spec, p, X[n])[0], rtol=1e-10)


def test_tensor_arrays_refuses_other_spec():
    net = compile_network(RAC(1, 2, 2, 3))
    other = RAC(1, 2, 2, 4)
    with pytest.raises(SpecError, match=r"network was compiled from"):
        tensor_arrays(net, other, init_params(other))


def test_names_are_deterministic():
    a = compile_network(RAC(2, 2, 2, 4))
    b = compile_network(RAC(2, 2, 2, 4))
    assert [t.name for t in a.tensors] == [t.name for t in b.tensors]
    assert [leg.index for leg in a.legs] == [leg.index for leg in b.legs]
