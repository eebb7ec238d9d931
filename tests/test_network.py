"""The generic network graph."""
import numpy as np
import pytest

from tnrnn.circuit import RAC, init_params
from tnrnn.compile import compile_network, tensor_arrays
from tnrnn.errors import SpecError
from tnrnn.network import Leg, Network, Tensor


def small():
    return Network((Tensor("A", ("i", "j")), Tensor("B", ("j", "k"))),
                   {"i": 2, "j": 3, "k": 4},
                   (Leg("i", "input", 1), Leg("k", "input", 2)))


def test_bonds_and_views():
    net = small()
    assert net.bonds()[0].index == "j"
    assert net.max_bond() == 3
    assert net.input_leaves() == {1: 1, 2: 1}
    inputs, output, sizes = net.einsum_view()
    assert inputs == [("i", "j"), ("j", "k")] and output == ("i", "k")


def test_network_is_immutable():
    net = small()
    with pytest.raises(TypeError):
        net.sizes["i"] = 5
    with pytest.raises(AttributeError):
        net.tensors = ()


def test_dangling_index_refused():
    with pytest.raises(SpecError, match=r"index 'k' must join two tensors or be one tensor's open leg"):
        Network((Tensor("A", ("i", "j")), Tensor("B", ("j", "k"))),
                {"i": 2, "j": 3, "k": 4}, (Leg("i", "input", 1),))


def test_bad_size_refused():
    with pytest.raises(SpecError, match=r"size of index 'i' must be an integer >= 1; got 0"):
        Network((Tensor("A", ("i",)),), {"i": 0}, (Leg("i", "input", 1),))


def test_missing_size_refused():
    with pytest.raises(SpecError, match=r"index 'i' has no size"):
        Network((Tensor("A", ("i",)),), {}, (Leg("i", "input", 1),))


def test_repeated_names_and_indices_refused():
    with pytest.raises(SpecError, match=r"tensor names must be unique"):
        Network((Tensor("A", ("i",)), Tensor("A", ("i",))), {"i": 2}, ())
    with pytest.raises(SpecError, match=r"tensor 'A' repeats an index"):
        Tensor("A", ("i", "i"))


def test_open_leg_without_tensor_refused():
    with pytest.raises(SpecError, match=r"open legs not carried by any tensor"):
        Network((Tensor("A", ("i", "j")), Tensor("B", ("j", "i"))), {"i": 2, "j": 2},
                (Leg("z", "input", 1),))


def test_fold_copies_gives_hyperedges():
    net = compile_network(RAC(1, 2, 2, 2), form="cp")
    inputs, output, sizes = net.einsum_view(fold_copies=True)
    assert len(inputs) == net.num_tensors - 2  # two copy tensors dropped
    counts = {}
    for ix in inputs:
        for i in ix:
            counts[i] = counts.get(i, 0) + 1
    assert max(counts.values()) == 3  # W_H, W_I and the consumer share the index


def test_tensornetwork_interop_contracts_to_the_same_value():
    tn = pytest.importorskip("tensornetwork")
    import opt_einsum as oe
    spec = RAC(2, 2, 2, 3)
    net = compile_network(spec)
    arrays = tensor_arrays(net, spec, init_params(spec, seed=1))
    nodes, open_edges = net.to_tensornetwork(arrays)
    x = np.array([0.3, -1.2])
    for e in open_edges[:-1]:
        xn = tn.Node(x)
        xn[0] ^ e
        nodes.append(xn)
    res = tn.contractors.greedy(nodes, output_edge_order=[open_edges[-1]])
    names = {}
    args = []
    for t, a in zip(net.tensors, arrays):
        args += [a, [names.setdefault(i, len(names)) for i in t.indices]]
    for leg in net.input_legs():
        args += [x, [names[leg.index]]]
    np.testing.assert_allclose(res.tensor, oe.contract(*args, [names["y"]]), rtol=1e-10)


def test_to_tensornetwork_needs_one_array_per_tensor():
    pytest.importorskip("tensornetwork")
    with pytest.raises(SpecError, match=r"need one array per tensor \(2\); got 1"):
        small().to_tensornetwork([np.ones((2, 3))])
