"""Issue 9: library calls in the exact wing, contraction and rendering raise
TnrnnError subclasses (never TypeError, ValueError from numpy, MemoryError or a
hang) on bad input: strings where numbers belong, negative, zero, huge,
NaN, booleans, lists, dicts, None."""
import time

import numpy as np
import pytest

from tnrnn import bounds as B
from tnrnn import compile as C
from tnrnn import contract as K
from tnrnn import partition as P
from tnrnn.circuit import RAC, init_params
from tnrnn.errors import TnrnnError
from tnrnn.render import draw, to_dot

spec = RAC(2, 2, 2, 4)
net = C.compile_network(spec)
p = init_params(spec)
BAD = ["3", 3.0, None, -1, 0, [1], {"a":1}, np.int64(-2), float("nan"), 10**30, True]
CALLS = {
    "all_bounds(spec=x)": lambda x: B.all_bounds(x),
    "all_bounds(partition=x)": lambda x: B.all_bounds(spec, x),
    "all_bounds(inputs=x)": lambda x: B.all_bounds(spec, inputs=x),
    "all_bounds(form=x)": lambda x: B.all_bounds(spec, form=x),
    "all_bounds(max_log2=x)": lambda x: B.all_bounds(spec, max_log2=x),
    "tree_min_cut(L=x)": lambda x: B.tree_min_cut(x,2,2,4),
    "tree_min_cut(T=x)": lambda x: B.tree_min_cut(2,2,2,x),
    "tree_min_cut(form=x)": lambda x: B.tree_min_cut(2,2,2,4, form=x),
    "min_cut(net=x)": lambda x: B.min_cut(x, P.start_end(4)),
    "min_cut(part=x)": lambda x: B.min_cut(net, x),
    "u_sym(R=x)": lambda x: B.u_sym(2,x,4),
    "poly_cap(M=x)": lambda x: B.poly_cap(2,x,4),
    "input_cap(R=x)": lambda x: B.input_cap(2,x,2,4),
    "grid_cap(T=x)": lambda x: B.grid_cap(2,x),
    "multiset(x)": lambda x: B.multiset(x,2),
    "boundary_degrees(k=x)": lambda x: B.boundary_degrees(2,4,x),
    "tightest(kind=x)": lambda x: B.tightest(B.all_bounds(spec), x),
    "compile(spec=x)": lambda x: C.compile_network(x),
    "compile(form=x)": lambda x: C.compile_network(spec, form=x),
    "compile(max_tensors=x)": lambda x: C.compile_network(spec, max_tensors=x),
    "estimate_size(x)": lambda x: C.estimate_size(x),
    "tensor_arrays(params=x)": lambda x: C.tensor_arrays(net, spec, x),
    "unit_copies(x)": lambda x: C.unit_copies(x,2,1,1),
    "start_end(x)": lambda x: P.start_end(x),
    "odd_even(x)": lambda x: P.odd_even(x),
    "explicit(A=x)": lambda x: P.explicit(x, 4),
    "parse_partition(x)": lambda x: P.parse_partition(x, 4),
    "parse_partition(T=x)": lambda x: P.parse_partition("start-end", x),
    "contract_network(X=x)": lambda x: K.contract_network(net, spec, p, x, engine="numpy"),
    "contract_network(params=x)": lambda x: K.contract_network(net, spec, x, np.ones((1,4,2)), engine="numpy"),
    "contract_network(engine=x)": lambda x: K.contract_network(net, spec, p, np.ones((1,4,2)), engine=x),
    "contract_network(optimize=x)": lambda x: K.contract_network(net, spec, p, np.ones((1,4,2)), engine="numpy", optimize=x),
    "contract_network(max_intermediate=x)": lambda x: K.contract_network(net, spec, p, np.ones((1,4,2)), engine="numpy", max_intermediate=x),
    "contract_grid(optimize=x)": lambda x: K.contract_grid(net, spec, p, engine="numpy", optimize=x),
    "grid_matrix(partition=x)": lambda x: K.grid_matrix(np.ones((2,2,2,2,1)), x),
    "grid_matrix(output=x)": lambda x: K.grid_matrix(np.ones((2,2,2,2,1)), "start-end", output=x),
    "plan_contraction(batch=x)": lambda x: K.plan_contraction(net, batch=x),
    "to_dot(net=x)": lambda x: to_dot(x),
    "to_dot(partition=x)": lambda x: to_dot(net, partition=x),
    "to_dot(collapse=x)": lambda x: to_dot(net, collapse=x),
    "to_dot(max_nodes=x)": lambda x: to_dot(net, max_nodes=x),
    "to_dot(highlight=x)": lambda x: to_dot(net, highlight=x),
    "draw(path=x)": lambda x: draw(net, x),
    "symbolic_for(spec=x)": lambda x: B.symbolic_for(x, P.start_end(4), []),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_bad_input_raises_tnrnn_error(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # draw(net, "3") must not write into the repository
    t0 = time.perf_counter()
    for x in BAD:
        try:
            CALLS[name](x)
        except TnrnnError:
            pass
    assert time.perf_counter() - t0 < 60  # nothing hangs on a huge value


def test_messages_name_the_argument_and_value():
    from tnrnn.compile import input_copies, unit_copies
    from tnrnn.render.output import check_image_path

    with pytest.raises(TnrnnError, match=r"n must be an integer >= 0; got '3' \(str\)"):
        B.multiset("3", 2)
    with pytest.raises(TnrnnError, match=r"unit \(t, l\) must have 1 <= t <= T = 4, "
                                         r"1 <= l <= L = 2; got \(5, 1\)"):
        unit_copies(4, 2, 5, 1)
    with pytest.raises(TnrnnError, match=r"time step t must be in 1..T = 4; got 9"):
        input_copies(4, 2, 9)
    with pytest.raises(TnrnnError, match=r"batch must be an integer >= 1; got \[1\] \(list\)"):
        K.plan_contraction(net, batch=[1])
    with pytest.raises(TnrnnError, match=r"path must be a file name \(str or os.PathLike\); "
                                         r"got float 3.0"):
        check_image_path(3.0)
    with pytest.raises(TnrnnError, match=r"the min-cut of a depth-1000000000000000000000000"):
        B.tree_min_cut(10 ** 24, 2, 2, 4)


# Values that no size can be: each must be refused, not merely "not crash".
REFUSED = [
    ("multiset(None, 2)", lambda: B.multiset(None, 2)),
    ("multiset('3', 2)", lambda: B.multiset("3", 2)),
    ("start_end(-1)", lambda: P.start_end(-1)),
    ("start_end(3)", lambda: P.start_end(3)),  # Start-End needs an even T
    ("odd_even(0)", lambda: P.odd_even(0)),
    ("u_sym(2, nan, 4)", lambda: B.u_sym(2, float("nan"), 4)),
    ("poly_cap(2, True, 4)", lambda: B.poly_cap(2, True, 4)),
    ("tree_min_cut(2, 2, 2, -4)", lambda: B.tree_min_cut(2, 2, 2, -4)),
    ("compile_network('RAC')", lambda: C.compile_network("RAC")),
    ("estimate_size(None)", lambda: C.estimate_size(None)),
    ("grid_matrix(output=5)", lambda: K.grid_matrix(np.ones((2, 2, 2, 2, 1)), "start-end",
                                                   output=5)),
]


@pytest.mark.parametrize("name,call", REFUSED, ids=[n for n, _ in REFUSED])
def test_impossible_values_are_refused(name, call):
    with pytest.raises(TnrnnError):
        call()
