"""Tests of tnrnn.bounds: closed forms, min-cuts, the tree programme, all_bounds.

Ground truth is independent of the code under test wherever possible:
hand-derived values (worked in comments), sympy expressions, degrees checked
by exact evaluation of the circuit, min-cuts checked by brute force over all
node bipartitions, and cut certificates checked edge by edge.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from check_values import CHECK_VALUES

from tnrnn.bounds import (
    Bound,
    Cut,
    all_bounds,
    boundary_degrees,
    conjecture_degree,
    conjectured_lower,
    depth1_generic,
    depth1_upper,
    depth2_empirical,
    depth2_lower,
    depth2_upper,
    explicit_tree_cut,
    grid_cap,
    input_degrees,
    is_start_end,
    min_cut,
    multiset,
    poly_cap,
    poly_cap_sides,
    prefix_length,
    symbolic_bounds,
    tightest,
    tree_min_cut,
    u_sym,
    validate_cut,
)
from tnrnn.circuit import RAC, TTRNN, RACParams, evaluate
from tnrnn.compile import compile_network
from tnrnn.errors import CertificateError, PartitionError, SpecError, TooLargeError
from tnrnn.network import Leg, Network, Tensor
from tnrnn.partition import Partition, explicit, odd_even, start_end

C = math.comb


# ---------------------------------------------------------------- helpers
def partitions_of(T, *, all_subsets=False):
    """A spread of partitions of 1..T (every split when all_subsets)."""
    if all_subsets:
        out = []
        for r in range(1, T):
            for A in itertools.combinations(range(1, T + 1), r):
                if 1 in A:  # a split and its swap are the same cut problem
                    out.append(explicit(A, T))
        return out
    out = [odd_even(T), explicit([1], T), explicit([T], T)]
    if T > 2:
        out.append(explicit([2, T], T))
    if T % 2 == 0:
        out.append(start_end(T))
    return out


def brute_force_min_cut(net: Network, partition: Partition) -> int:
    """Least product of cut sizes over every side assignment of the tensors
    (legs fixed by their time step; output legs dropped). Built from
    ``net.bonds()`` and ``net.legs`` directly, not from tnrnn.bounds."""
    n = net.num_tensors
    where = {}
    for pos, t in enumerate(net.tensors):
        for ix in t.indices:
            where.setdefault(ix, []).append(pos)
    edges = [(b.left, b.right, b.size) for b in net.bonds()]
    legs = [(where[leg.index][0], 0 if leg.time in partition.A else 1, net.sizes[leg.index])
            for leg in net.input_legs()]
    bits = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(np.int8)
    cost = np.zeros(2 ** n)
    for u, v, s in edges:
        cost += (bits[:, u] != bits[:, v]) * math.log2(s)
    for u, side, s in legs:
        cost += (bits[:, u] != side) * math.log2(s)
    best = None
    for row in np.flatnonzero(cost <= cost.min() + 1e-9):  # exact among near-ties
        b = bits[row]
        val = math.prod(s for u, v, s in edges if b[u] != b[v])
        val *= math.prod(s for u, side, s in legs if b[u] != side)
        best = val if best is None else min(best, val)
    return best


def random_network(rng, n_tensors, T):
    """A connected random network with cycles, parallel bonds and size-1 bonds."""
    indices = {p: [] for p in range(n_tensors)}
    sizes = {}
    count = itertools.count()

    def bond(u, v):
        ix = f"e{next(count)}"
        sizes[ix] = int(rng.integers(1, 7))
        indices[u].append(ix)
        indices[v].append(ix)

    for v in range(1, n_tensors):  # a random spanning tree
        bond(int(rng.integers(0, v)), v)
    for _ in range(int(rng.integers(0, n_tensors))):  # cycles / parallel bonds
        u, v = rng.choice(n_tensors, 2, replace=False)
        bond(int(u), int(v))
    legs = []
    for t in range(1, T + 1):  # every time step gets one or two legs
        for c in range(int(rng.integers(1, 3))):
            ix = f"x{t}#{c}"
            sizes[ix] = int(rng.integers(1, 6))
            indices[int(rng.integers(0, n_tensors))].append(ix)
            legs.append(Leg(ix, "input", t, c))
    tensors = [Tensor(f"N{p}", tuple(indices[p])) for p in range(n_tensors)]
    return Network(tuple(tensors), sizes, tuple(legs))


def int_params(spec, seed, h0=None):
    """Small random integer RAC weights as object arrays (exact arithmetic)."""
    rng = np.random.default_rng(seed)
    R, M, L = spec.hidden, spec.input_dim, spec.depth

    def draw(*shape):
        return rng.integers(-3, 4, size=shape).astype(object)

    if h0 is None:
        h0 = tuple(draw(R) + 5 for _ in range(L))  # entries 2..8: non-zero
    return RACParams(W_H=tuple(draw(R, R) for _ in range(L)),
                     W_I=tuple(draw(R, M if l == 0 else R) for l in range(L)),
                     W_O=draw(1, R), h0=h0)


# ------------------------------------------------------------ closed forms
def test_multiset_small_cases():
    # 3 variables, degree 2: xx xy xz yy yz zz
    assert multiset(3, 2) == 6
    # 2 variables, degree 4: x^4 .. y^4
    assert multiset(2, 4) == 5
    assert multiset(1, 100) == 1 and multiset(5, 0) == 1 and multiset(0, 0) == 1
    # huge degree, small n: C(10**12 + 2, 2)
    assert multiset(3, 10 ** 12) == (10 ** 12 + 2) * (10 ** 12 + 1) // 2


def test_depth1_forms():
    assert depth1_upper(3) == 3
    # T=6: M^(T/2) = 27 > R = 3
    assert depth1_generic(3, 3, 6) == 3
    # R = 10, M = 2, T = 6: 2^3 = 8 < 10
    assert depth1_generic(10, 2, 6) == 8


def test_depth2_forms_hand_values():
    # M = R = 3, T = 8: C(3+4-1, 4) = C(6,4) = 15 ; 3 * C(6,4) = 45
    assert depth2_lower(3, 3, 8) == 15
    assert depth2_upper(3, 8) == 45
    # M = R = 4, T = 8: C(7,4) = 35 ; 4 * 35 = 140
    assert depth2_lower(4, 4, 8) == 35 and depth2_upper(4, 8) == 140
    # M = R = 2, T = 8: 2 * C(5,4) = 10
    assert depth2_upper(2, 8) == 10
    # min(M, R) = 2 when R = 5, M = 2, T = 6: C(2+3-1, 3) = 4
    assert depth2_lower(5, 2, 6) == 4
    # the public check values of docs/theory.md: continuous 45, 140, 10, and 40 at T=4
    assert depth2_empirical(3, 3, 8) == 45
    assert depth2_empirical(4, 4, 8) == 140
    assert depth2_empirical(2, 2, 8) == 10
    assert depth2_empirical(4, 4, 4) == 40
    # T = 2: x_2 enters only through the R-vector W_I x_2, so the min-cut
    # (R) binds below R * C(R, 1) = R^2 (exact ranks mod p gave 2 and 3)
    assert depth2_empirical(2, 4, 2) == 2 and depth2_empirical(3, 5, 2) == 3


def test_boundary_degrees_hand_values():
    # L = 3, T = 8 (k = 4): D_3 = 1, D_2 = C(4,1) = 4, D_1 = C(5,2) = 10
    assert boundary_degrees(3, 8) == (10, 4, 1)
    # depth 2: D_1 = T/2, D_2 = 1
    assert boundary_degrees(2, 10) == (5, 1)
    # prefix k = 6 of T = 8, L = 3: T-k-1 = 1: C(3,2)=3, C(2,1)=2, 1
    assert boundary_degrees(3, 8, k=6) == (3, 2, 1)
    # U_sym(L=3, R=3, T=8) = C(12,10) * C(6,4) * C(3,1) = 66 * 15 * 3
    assert u_sym(3, 3, 8) == 2970
    assert u_sym(2, 3, 8) == depth2_upper(3, 8) == 45
    assert all(u_sym(1, R, T) == R for R in (1, 2, 5) for T in (2, 4, 8))


def _lattice_degree(L, T, k, j):
    """Degree in b_j = h[k, j] by the recursion d(t,l) = d(t-1,l) + d(t,l-1)."""
    d = {(k, l): int(l == j) for l in range(1, L + 1)}
    for t in range(k + 1, T + 1):
        for l in range(1, L + 1):
            d[t, l] = d[t - 1, l] + (d[t, l - 1] if l > 1 else 0)
    return d[T, L]


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("T", [2, 5, 8])
def test_boundary_degrees_match_recursion(L, T):
    for k in range(1, T):
        assert boundary_degrees(L, T, k) == tuple(
            _lattice_degree(L, T, k, j) for j in range(1, L + 1))


@pytest.mark.parametrize("L,T,k", [(2, 6, 3), (3, 6, 2), (3, 5, 4), (4, 6, 3)])
def test_boundary_degrees_by_exact_evaluation(L, T, k):
    """y is homogeneous of degree D_j in the boundary state b_j: scaling b_j by
    c scales y by c^D_j (exact integer evaluation of the suffix circuit with
    the boundary states as its initial states)."""
    R, M = 2, 2
    suffix = RAC(L, R, M, T - k)
    rng = np.random.default_rng(7)
    X = rng.integers(-3, 4, size=(1, T - k, M)).astype(object)
    b = tuple(rng.integers(1, 6, size=R).astype(object) for _ in range(L))
    p = int_params(suffix, seed=3, h0=b)
    y = evaluate(suffix, p, X)[0, 0]
    assert y != 0
    for j, D in enumerate(boundary_degrees(L, T, k)):
        for c in (2, 3):
            scaled = p._replace(h0=tuple(v * c if i == j else v for i, v in enumerate(b)))
            assert evaluate(suffix, scaled, X)[0, 0] == c ** D * y


@pytest.mark.parametrize("L,T", [(1, 4), (2, 5), (3, 4)])
def test_input_degrees_by_exact_evaluation(L, T):
    spec = RAC(L, 2, 2, T)
    p = int_params(spec, seed=11)
    X = np.random.default_rng(5).integers(1, 4, size=(1, T, 2)).astype(object)
    y = evaluate(spec, p, X)[0, 0]
    assert y != 0
    for t, n in enumerate(input_degrees(L, T)):
        X2 = X.copy()
        X2[0, t] = X2[0, t] * 2
        assert evaluate(spec, p, X2)[0, 0] == 2 ** n * y


def test_caps_hand_values():
    assert grid_cap(3, 8) == 81 and grid_cap(2, 8, "A:1") == 2
    # depth 2, M = 4, T = 4: n = (4, 3, 2, 1); Start C(7,4)*C(6,3) = 35*20,
    # End C(5,2)*C(4,1) = 10*4
    assert poly_cap_sides(2, 4, 4) == (700, 40)
    assert poly_cap(2, 4, 4) == 40
    # depth 1 is multilinear: M^min(|A|,|B|)
    assert poly_cap(1, 3, 6) == 27 and poly_cap(1, 3, 6, "A:2") == 3
    # depth 2, M = 3, T = 8, End side n = 4,3,2,1: 15*10*6*3
    assert poly_cap(2, 3, 8) == 2700


def test_conjecture_values():
    # D = C(T/2 + L - 2, L - 1): L = 3, T = 8 -> C(5, 2) = 10; C(3+10-1, 10) = 66
    assert conjecture_degree(3, 8) == 10
    assert conjectured_lower(3, 3, 3, 8) == 66
    # coincides with the depth-2 theorem at L = 2
    for R, M, T in itertools.product((1, 2, 3, 5), (1, 2, 4), (2, 4, 8)):
        assert conjectured_lower(2, R, M, T) == depth2_lower(R, M, T)
    # and exceeds the one-hot grid cap at L = 3, M = R = 4, T = 4 (20 > 16):
    # that is why it is labelled for continuous inputs only
    assert conjectured_lower(3, 4, 4, 4) == 20 > grid_cap(4, 4) == 16


def test_prefix_helpers():
    assert prefix_length(start_end(6)) == 3
    assert prefix_length(start_end(6).swapped()) == 3
    assert prefix_length(explicit([1, 2], 5)) == 2
    assert prefix_length(explicit([3, 4, 5], 5)) == 2
    assert prefix_length(odd_even(6)) is None
    assert prefix_length(explicit([1, 3], 4)) is None
    assert is_start_end(start_end(4).swapped()) and not is_start_end(explicit([1], 4))


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("R", [1, 2, 3])
@pytest.mark.parametrize("M", [1, 2, 4])
def test_symbolic_bounds_agree_with_integers(L, R, M):
    import sympy

    e = symbolic_bounds()
    Ts, Rs, Ms, Ls = sympy.symbols("T R M L")
    for T in (2, 4, 8):
        val = {name: int(expr.subs({Ts: T, Rs: R, Ms: M, Ls: L}).doit())
               for name, expr in e.items()}
        assert val["depth1-upper"] == depth1_upper(R)
        assert val["depth1-generic"] == depth1_generic(R, M, T)
        assert val["depth2-lower"] == depth2_lower(R, M, T)
        assert val["depth2-upper"] == depth2_upper(R, T)
        assert val["depthL-conjecture"] == conjectured_lower(L, R, M, T)
        assert val["u-sym"] == u_sym(L, R, T)
        assert val["grid-cap"] == grid_cap(M, T)
        assert val["poly-cap"] == poly_cap(L, M, T)


def test_symbolic_prefix_bounds():
    import sympy

    e = symbolic_bounds(prefix=True)
    T, R, M, L, k = sympy.symbols("T R M L k")
    for Lv, Rv, Tv, kv in [(3, 3, 8, 6), (2, 2, 7, 2), (4, 2, 6, 1)]:
        sub = {T: Tv, R: Rv, L: Lv, k: kv, M: 3}
        assert int(e["u-sym"].subs(sub).doit()) == u_sym(Lv, Rv, Tv, explicit(range(1, kv + 1), Tv))
        assert int(e["grid-cap"].subs(sub)) == grid_cap(3, Tv, explicit(range(1, kv + 1), Tv))


def test_closed_form_errors():
    with pytest.raises(PartitionError, match="even length T; got T=7"):
        depth2_lower(3, 3, 7)
    with pytest.raises(PartitionError, match="even length T; got T=5"):
        u_sym(2, 3, 5)
    with pytest.raises(PartitionError, match=r"U_sym needs a prefix partition .* got A=\[1, 3\]"):
        u_sym(2, 3, 4, "odd-even")
    with pytest.raises(PartitionError, match=r"1 <= k <= T-1 = 7; got k=0"):
        boundary_degrees(2, 8, k=0)
    with pytest.raises(SpecError, match="hidden R must be an integer >= 1; got 0"):
        depth2_upper(0, 8)
    with pytest.raises(SpecError, match="M >= R only; got M=2, R=3"):
        depth2_empirical(3, 2, 8)
    with pytest.raises(PartitionError, match="partition must be one of"):
        poly_cap(2, 3, 8, "middle")
    with pytest.raises(SpecError, match="length T must be an integer >= 2; got 1"):
        grid_cap(2, 1)


# ------------------------------------------------------------------ records
def test_bound_record_and_json():
    b = Bound("x", "upper", 2 ** 100 + 1, status="theorem", holds_for="all weights",
              inputs="both", formula="f")
    d = b.to_dict()
    assert list(d) == ["name", "kind", "value", "log2", "status", "holds_for",
                       "inputs", "formula"]
    assert json.loads(json.dumps(d))["value"] == 2 ** 100 + 1  # exact beyond 64 bits
    assert d["log2"] == pytest.approx(100.0)


@pytest.mark.parametrize("field,value,match", [
    ("kind", "middle", r"kind must be one of \('upper', 'lower'\); got 'middle'"),
    ("status", "proved", "status must be one of"),
    ("holds_for", "most weights", "holds_for must be one of"),
    ("inputs", "grid", r"inputs must be one of \('continuous', 'one-hot', 'both'\)"),
])
def test_bound_record_rejects_labels(field, value, match):
    kw = dict(name="x", kind="upper", value=3, status="derived",
              holds_for="all weights", inputs="both", formula="")
    kw[field] = value
    with pytest.raises(SpecError, match=match):
        Bound(**kw)


@pytest.mark.parametrize("value", [0, 2.0, True])
def test_bound_record_rejects_values(value):
    with pytest.raises(SpecError, match="must be an integer >= 1"):
        Bound("x", "upper", value)


# ------------------------------------------------------------------ min-cut
def test_min_cut_depth1_is_one_bond_or_legs():
    for R, M, T in [(3, 3, 6), (5, 2, 4), (4, 2, 4)]:
        net = compile_network(RAC(1, R, M, T))
        cut = min_cut(net, start_end(T))
        assert validate_cut(net, start_end(T), cut)
        assert cut.value == depth1_generic(R, M, T)  # min(R, M^(T/2))


def test_min_cut_depth2_bonds_vs_legs():
    # docs/theory.md: at depth 2 a cut through bonds costs R^(T/2+1) = 3^5 = 243 ...
    net = compile_network(RAC(2, 3, 3, 8))
    cut = min_cut(net, start_end(8))
    validate_cut(net, start_end(8), cut)
    assert cut.value == 3 ** 5
    # ... but with M = 2 < R cutting an input leg is cheaper: 3^4 * 2 = 162
    net = compile_network(RAC(2, 3, 2, 8))
    cut = min_cut(net, start_end(8))
    validate_cut(net, start_end(8), cut)
    assert cut.value == 162 < 3 ** 5
    assert sorted(s for _, s in cut.edges) == [2, 3, 3, 3, 3]
    assert any(ix.startswith("x") for ix, _ in cut.edges)


@pytest.mark.parametrize("spec,form", [
    (RAC(1, 2, 3, 3), "cp"), (RAC(1, 3, 2, 4), "core"), (RAC(2, 2, 2, 2), "core"),
    (RAC(2, 3, 2, 3), "core"), (RAC(3, 2, 3, 2), "core"), (TTRNN(2, 3, 4), "core"),
])
def test_min_cut_optimal_vs_brute_force_compiled(spec, form):
    net = compile_network(spec, form=form)
    for p in partitions_of(spec.length, all_subsets=True):
        cut = min_cut(net, p)
        validate_cut(net, p, cut)
        assert cut.value == brute_force_min_cut(net, p)
        if isinstance(spec, RAC):
            assert tree_min_cut(spec.depth, spec.hidden, spec.input_dim, spec.length,
                                p, form=form).value == cut.value


@pytest.mark.slow
@pytest.mark.parametrize("spec", [RAC(2, 2, 2, 2), RAC(2, 2, 3, 2), RAC(1, 2, 2, 5)])
def test_min_cut_optimal_vs_brute_force_cp(spec):
    net = compile_network(spec, form="cp")
    for p in partitions_of(spec.length, all_subsets=True):
        cut = min_cut(net, p)
        assert cut.value == brute_force_min_cut(net, p)
        assert explicit_tree_cut(net, p).value == cut.value


@pytest.mark.parametrize("seed", range(12))
def test_min_cut_optimal_vs_brute_force_random(seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(2, 5))
    net = random_network(rng, int(rng.integers(3, 11)), T)
    for p in partitions_of(T, all_subsets=True):
        cut = min_cut(net, p)
        validate_cut(net, p, cut)
        assert cut.value == brute_force_min_cut(net, p)
        assert cut.log2 == pytest.approx(math.log2(cut.value))


def test_min_cut_parallel_bonds_and_one_sided():
    # two bonds of sizes 2 and 3 between the A- and B-tensors: cut both = 6,
    # cheaper than the input legs (7 and 8)
    net = Network((Tensor("A", ("x1", "p", "q")), Tensor("B", ("p", "q", "x2"))),
                  {"x1": 7, "x2": 8, "p": 2, "q": 3},
                  (Leg("x1", "input", 1), Leg("x2", "input", 2)))
    cut = min_cut(net, explicit([1], 2))
    assert cut.value == 6 and cut.edges == (("p", 2), ("q", 3))
    assert cut.a_nodes == frozenset({"A", "leg:x1"})
    # a network whose legs are all on one side needs no cut
    one = Network((Tensor("A", ("x1",)),), {"x1": 3}, (Leg("x1", "input", 1),))
    cut = min_cut(one, explicit([1], 2))
    assert cut.value == 1 and cut.edges == ()
    validate_cut(one, explicit([1], 2), cut)


def test_min_cut_errors():
    net = compile_network(RAC(1, 2, 2, 4))
    with pytest.raises(SpecError, match="net must be a tnrnn Network; got dict"):
        min_cut({}, start_end(4))
    with pytest.raises(PartitionError, match="partition must be a Partition .* got str"):
        min_cut(net, "start-end")
    with pytest.raises(PartitionError, match=r"input legs at time steps \[3, 4\], outside"):
        min_cut(net, start_end(2))


def test_validate_cut_rejects_bad_certificates():
    net = compile_network(RAC(2, 3, 3, 4))
    p = start_end(4)
    good = min_cut(net, p)
    assert validate_cut(net, p, good)
    (ix, size), *rest = good.edges

    def with_(**kw):
        d = dict(edges=good.edges, a_nodes=good.a_nodes, value=good.value,
                 log2=good.log2, method="test")
        d.update(kw)
        return Cut(**d)

    with pytest.raises(CertificateError, match="cut must be a Cut; got tuple"):
        validate_cut(net, p, ())
    with pytest.raises(CertificateError, match=r"'nope' is not a bond or input leg"):
        validate_cut(net, p, with_(edges=(("nope", 3),) + good.edges))
    with pytest.raises(CertificateError, match="listed twice"):
        validate_cut(net, p, with_(edges=good.edges + ((ix, size),)))
    with pytest.raises(CertificateError, match=f"has size {size} in the network; the cut says 99"):
        validate_cut(net, p, with_(edges=((ix, 99),) + tuple(rest)))
    with pytest.raises(CertificateError, match="must be .index, size. pairs; got 'y'"):
        validate_cut(net, p, with_(edges=("y",)))
    with pytest.raises(CertificateError, match=f"multiply to {good.value}; the cut says value=1"):
        validate_cut(net, p, with_(value=1))
    with pytest.raises(CertificateError, match="cut.log2=0.5 but log2"):
        validate_cut(net, p, with_(log2=0.5))
    # dropping one edge: still consistent arithmetic, but no longer a cut
    value = math.prod(s for _, s in rest)
    with pytest.raises(CertificateError, match="does not separate the sides"):
        validate_cut(net, p, with_(edges=tuple(rest), value=value,
                                   log2=math.log2(value), a_nodes=frozenset()))
    with pytest.raises(CertificateError, match="a_nodes names nodes not in the network"):
        validate_cut(net, p, with_(a_nodes=good.a_nodes | {"ghost"}))
    with pytest.raises(CertificateError, match="must hold every A-leg and no B-leg"):
        validate_cut(net, p, with_(a_nodes=good.a_nodes | {"leg:x4#0"}))
    # a valid cut but a_nodes whose boundary is something else
    with pytest.raises(CertificateError, match="edges leaving a_nodes"):
        validate_cut(net, p, with_(a_nodes=good.a_nodes | {"O"} if "O" not in good.a_nodes
                                   else good.a_nodes - {"O"}))


# ------------------------------------------------------------ tree programme
def _grid(Ls, Rs, Ms, Ts):
    return list(itertools.product(Ls, Rs, Ms, Ts))


@pytest.mark.parametrize("L,R,M,T", _grid((1, 2, 3), (2, 3), (1, 2, 3), (2, 3, 4)))
def test_tree_min_cut_equals_networkx(L, R, M, T):
    for form in ("cp", "core"):
        net = compile_network(RAC(L, R, M, T), form=form)
        for p in partitions_of(T):
            expect = min_cut(net, p).value
            tc = tree_min_cut(L, R, M, T, p, form=form)
            assert tc.value == expect == R ** tc.cut_bonds * M ** tc.cut_legs
            cut = explicit_tree_cut(net, p)
            assert validate_cut(net, p, cut) and cut.value == expect
            assert cut.method == "tree-dp"


@pytest.mark.slow
@pytest.mark.parametrize("L,R,M,T", _grid((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 5), (5, 6, 7)))
def test_tree_min_cut_equals_networkx_large_grid(L, R, M, T):
    for form in ("cp", "core"):
        net = compile_network(RAC(L, R, M, T), form=form)
        for p in partitions_of(T):
            assert tree_min_cut(L, R, M, T, p, form=form).value == min_cut(net, p).value


def test_tree_min_cut_ttrnn_is_mps_cut():
    for R, M, T in [(2, 3, 5), (4, 2, 6), (3, 3, 4)]:
        net = compile_network(TTRNN(R, M, T))
        for p in partitions_of(T):
            assert tree_min_cut(1, R, M, T, p, form="core").value == min_cut(net, p).value
            validate_cut(net, p, explicit_tree_cut(net, p))


def test_tree_min_cut_depth2_shape():
    # M >= R: the cheapest cut runs through bonds, R^(T/2+1), no input leg cut
    for R, T in [(2, 4), (3, 8), (4, 10)]:
        tc = tree_min_cut(2, R, R + 1, T)
        assert tc.value == R ** (T // 2 + 1) and tc.cut_legs == 0
    # M < R: some input legs are cut and the value drops below R^(T/2+1)
    tc = tree_min_cut(2, 3, 2, 8)
    assert tc.value == 162 and tc.cut_legs == 1 and tc.cut_bonds == 4
    tc = tree_min_cut(2, 5, 2, 8)
    assert tc.cut_legs > 0 and tc.value < 5 ** 5


def test_tree_min_cut_cp_never_above_core():
    for L, R, M, T in _grid((1, 2, 3), (2, 3), (1, 2, 4), (4, 6)):
        for p in partitions_of(T):
            assert (tree_min_cut(L, R, M, T, p, form="cp").value
                    <= tree_min_cut(L, R, M, T, p, form="core").value)


def test_tree_min_cut_large_without_building():
    # 10^8-ish copies; the tree programme is O(T L)
    tc = tree_min_cut(4, 3, 3, 200)
    assert tc.value == 3 ** tc.cut_bonds * 3 ** tc.cut_legs
    assert tc.log2 > 64 and isinstance(tc.value, int)


def test_tree_min_cut_errors():
    with pytest.raises(SpecError, match=r"form must be one of \('cp', 'core'\); got 'mps'"):
        tree_min_cut(2, 3, 3, 8, form="mps")
    with pytest.raises(TooLargeError, match="about 2\\^.*max_log2=100 bits") as info:
        tree_min_cut(3, 3, 3, 40, max_log2=100)
    assert info.value.limit == 100 and info.value.estimate > 100
    with pytest.raises(PartitionError, match="covers 4 steps but the length is T=6"):
        tree_min_cut(2, 3, 3, 6, start_end(4))
    with pytest.raises(SpecError, match="depth L must be an integer >= 1; got 0"):
        tree_min_cut(0, 3, 3, 6)


def test_explicit_tree_cut_errors():
    plain = Network((Tensor("A", ("x1", "e")), Tensor("B", ("e", "x2"))),
                    {"x1": 2, "x2": 2, "e": 3},
                    (Leg("x1", "input", 1), Leg("x2", "input", 2)))
    with pytest.raises(SpecError, match="needs a network built by tnrnn.compile"):
        explicit_tree_cut(plain, explicit([1], 2))
    net = compile_network(RAC(2, 2, 2, 4))
    with pytest.raises(PartitionError, match="covers 6 steps but the network has length T=4"):
        explicit_tree_cut(net, start_end(6))


# --------------------------------------------------------- U_sym vs min-cut
@pytest.mark.parametrize("L,R,T", [(2, 3, 8), (2, 4, 12), (3, 3, 8), (3, 2, 10), (4, 3, 8)])
def test_u_sym_sharper_than_min_cut_when_deep(L, R, T):
    """docs/theory.md section 4: U_sym counts the symmetric powers of the duplicated
    bonds, the min-cut their full tensor powers; with M >= R (so cutting
    input legs does not help) U_sym is strictly smaller from depth 2 on."""
    M = R
    assert u_sym(L, R, T) < tree_min_cut(L, R, M, T).value
    # the gap grows with T
    assert (tree_min_cut(L, R, M, T + 4).log2 - math.log2(u_sym(L, R, T + 4))
            > tree_min_cut(L, R, M, T).log2 - math.log2(u_sym(L, R, T)))


def test_u_sym_equals_min_cut_at_depth1():
    for R, T in [(2, 4), (3, 8)]:
        assert u_sym(1, R, T) == tree_min_cut(1, R, R, T).value == R


# --------------------------------------------------------------- all_bounds


@pytest.mark.parametrize("L,R,M,T,inputs,value", CHECK_VALUES)
def test_check_values_within_bounds(L, R, M, T, inputs, value):
    bounds = all_bounds(RAC(L, R, M, T), inputs=inputs)
    for b in bounds:
        assert b.inputs in (inputs, "both")
        if b.kind == "upper":
            assert value <= b.value, b.name
        elif b.status != "conjecture":  # empirical ones are equalities here
            assert b.value <= value, b.name


def test_depth2_check_value_details():
    bs = {b.name: b for b in all_bounds(RAC(2, 3, 3, 8))}
    assert bs["depth2-lower"].value == 15 and bs["depth2-lower"].status == "theorem"
    assert bs["depth2-upper"].value == 45 and bs["depth2-upper"].status == "derived"
    assert bs["depth2-empirical"].status == "empirical"
    assert "as stated in Levine et al." in bs["depth2-lower"].formula
    assert bs["min-cut"].value == 243 and bs["min-cut"].certificate.cut_bonds == 5
    assert "as stated in Levine et al." in bs["min-cut"].formula
    assert tightest(bs.values(), "upper").value == 45


def _names(spec, partition="start-end", inputs="continuous"):
    return [b.name for b in all_bounds(spec, partition, inputs)]


def test_which_bounds_apply_to_which_partition():
    assert _names(RAC(1, 3, 3, 6)) == ["depth1-generic", "depth1-upper", "u-sym",
                                       "poly-cap", "min-cut"]
    assert _names(RAC(2, 3, 3, 8)) == ["depth2-lower", "depth2-empirical", "depth2-upper",
                                       "u-sym", "poly-cap", "min-cut"]
    # M < R: no empirical value; one-hot: no continuous-only bounds, grid cap added
    assert _names(RAC(2, 3, 2, 8)) == ["depth2-lower", "depth2-upper", "u-sym",
                                       "poly-cap", "min-cut"]
    assert _names(RAC(2, 3, 3, 8), inputs="one-hot") == ["depth2-upper", "u-sym",
                                                         "grid-cap", "poly-cap", "min-cut"]
    assert _names(RAC(3, 3, 3, 8)) == ["depthL-conjecture", "u-sym", "poly-cap", "min-cut"]
    assert _names(RAC(3, 3, 3, 8), inputs="one-hot") == ["u-sym", "grid-cap", "poly-cap",
                                                         "min-cut"]
    # swapped Start-End is Start-End
    assert _names(RAC(2, 3, 3, 8), start_end(8).swapped()) == _names(RAC(2, 3, 3, 8))
    # a prefix that is not Start-End: U_sym (at k), caps, min-cut; no Start-End forms
    bs = all_bounds(RAC(2, 3, 3, 8), "A:1,2,3,4,5,6")
    assert [b.name for b in bs] == ["u-sym", "poly-cap", "min-cut"]
    assert bs[0].value == u_sym(2, 3, 8, "A:1,2,3,4,5,6") == 3 * C(4, 2)
    # odd-even and odd T: only the partition-general bounds
    for spec, p in [(RAC(2, 3, 3, 8), "odd-even"), (RAC(3, 2, 2, 7), "A:1,2,3"),
                    (RAC(2, 2, 2, 5), "odd-even")]:
        names = _names(spec, p)
        assert names in (["poly-cap", "min-cut"], ["u-sym", "poly-cap", "min-cut"])
        assert ("u-sym" in names) == (prefix_length(
            Partition(*_sides(p, spec.length))) is not None)


def _sides(p, T):
    from tnrnn.partition import parse_partition
    q = parse_partition(p, T)
    return q.A, q.B


def test_ttrnn_bounds():
    bs = {b.name: b for b in all_bounds(TTRNN(3, 2, 6))}
    assert set(bs) == {"depth1-generic", "u-sym", "poly-cap", "min-cut"}
    assert bs["depth1-generic"].status == "derived"  # from the RAC theorem
    assert bs["depth1-generic"].value == bs["min-cut"].value == bs["u-sym"].value == 3
    assert all_bounds(TTRNN(4, 2, 6))[0].value == 4  # min(R, M^3) = min(4, 8)


@pytest.mark.parametrize("L,R,M,T", _grid((1, 2, 3, 4), (1, 2, 3), (1, 2, 4), (2, 4, 6)))
def test_lower_bounds_never_exceed_upper_bounds(L, R, M, T):
    """Proved lower bounds, the empirical value and the (unasserted)
    conjecture stay below every upper bound of the same input space; any
    violation would refute the weaker-status statement."""
    for inputs in ("continuous", "one-hot"):
        for p in ["start-end", "odd-even", "A:1"]:
            bs = all_bounds(RAC(L, R, M, T), p, inputs)
            lo = [b for b in bs if b.kind == "lower"]
            hi = [b for b in bs if b.kind == "upper"]
            assert hi
            for a in lo:
                for b in hi:
                    assert a.value <= b.value, (a.name, b.name)


def test_all_bounds_json_and_big_values():
    bs = all_bounds(RAC(3, 3, 3, 40))
    cut = next(b for b in bs if b.name == "min-cut")
    assert cut.value > 2 ** 64
    data = json.loads(json.dumps([b.to_dict() for b in bs]))
    assert next(d for d in data if d["name"] == "min-cut")["value"] == cut.value
    assert json.loads(json.dumps(cut.certificate.to_dict()))["value"] == cut.value
    for b in bs:
        assert b.log2 == pytest.approx(math.log2(b.value))


def test_all_bounds_errors():
    spec = RAC(2, 3, 3, 8)
    with pytest.raises(SpecError, match="spec must be a RAC or TTRNN; got str"):
        all_bounds("rac")
    with pytest.raises(SpecError, match=r"inputs must be one of \('continuous', 'one-hot'\); got 'grid'"):
        all_bounds(spec, inputs="grid")
    with pytest.raises(SpecError, match=r"form must be one of \('cp', 'core'\); got 'mps'"):
        all_bounds(spec, form="mps")
    with pytest.raises(SpecError, match="compiles only in form 'core'; got form='cp'"):
        all_bounds(TTRNN(2, 2, 4), form="cp")
    with pytest.raises(SpecError, match="partition must be a name .* got int"):
        all_bounds(spec, 3)
    with pytest.raises(PartitionError, match="even length T; got T=7"):
        all_bounds(RAC(2, 3, 3, 7))
    with pytest.raises(PartitionError, match="partition must be one of"):
        all_bounds(spec, "first-half")
    with pytest.raises(TooLargeError, match="max_log2=5 bits"):
        all_bounds(spec, max_log2=5)  # the min-cut is 243 ~ 2^7.9


def test_tightest():
    bs = all_bounds(RAC(2, 4, 4, 8))
    assert tightest(bs, "upper").value == 140
    assert tightest(bs, "lower").value == 35  # the theorem; empirical excluded
    assert tightest(bs, "lower", statuses=("empirical",)).value == 140
    assert tightest([], "upper") is None
    with pytest.raises(SpecError, match="kind must be 'upper' or 'lower'; got 'both'"):
        tightest(bs, "both")


def test_import_is_light():
    # sympy is imported only by symbolic_bounds; the layer rules (no
    # tnrnn.rank/contract/render/cli) are checked by import-linter
    code = ("import sys, tnrnn.bounds; "
            "print(sorted(m for m in ('jax', 'graphviz', 'matplotlib', 'sympy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
