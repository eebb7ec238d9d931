"""Min-cut rank bound on any built network (networkx max-flow), and a
checker for cut certificates.

**[thm, Levine et al. 1704.01552]** For any partition of a network's open
legs into (A, B), the rank of the matricization is at most the product of
the bond dimensions on any edge cut separating the A-legs from the B-legs,
for all weights; the minimum cut gives the best such bound.

Conventions (``docs/theory.md`` section 4): every copy of input
``x_t`` is on the side of ``t``; output legs are dropped (the analysis is per
output, i.e. with the output index fixed). Cutting an open input leg of size
``M`` is allowed and costs ``M``.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.compile import compile_network
>>> from tnrnn.partition import start_end
>>> net = compile_network(RAC(depth=1, hidden=3, input_dim=2, length=4))
>>> cut = min_cut(net, start_end(4))
>>> cut.value, len(cut.edges)
(3, 1)
>>> validate_cut(net, start_end(4), cut)
True
"""

from __future__ import annotations

import math

from ..errors import CertificateError, PartitionError, SpecError
from ..network import Network
from ..partition import Partition
from ._records import Cut, log2_int

__all__ = ["min_cut", "validate_cut", "analysis_graph", "CAPACITY_SCALE"]

#: Integer capacity of an edge of size ``s`` is ``round(log2(s) * CAPACITY_SCALE)``.
CAPACITY_SCALE = 2 ** 32

_SOURCE = ("__source__",)  # tuples never collide with the string node names
_SINK = ("__sink__",)


def _check(net: Network, partition: Partition) -> Partition:
    if not isinstance(net, Network):
        raise SpecError(
            f"net must be a tnrnn Network; got {type(net).__name__}")
    if not isinstance(partition, Partition):
        raise PartitionError(f"partition must be a Partition (see tnrnn.partition); "
                             f"got {type(partition).__name__}")
    times = sorted({leg.time for leg in net.input_legs()})
    bad = [t for t in times if not 1 <= t <= partition.length]
    if bad:
        raise PartitionError(f"the network has input legs at time steps {bad}, outside "
                             f"the partition's 1..{partition.length}")
    return partition


def analysis_graph(net: Network, partition: Partition):
    """The ``networkx.MultiGraph`` a cut is taken in, with the A and B leg
    nodes.

    :meth:`Network.to_networkx` with output legs removed. Returns
    ``(graph, a_legs, b_legs)``, the latter two sets of ``"leg:<index>"``
    nodes.

    Parameters
    ----------
    net : Network
        Built by :func:`tnrnn.compile.compile_network` (or any network whose
        input legs carry their time step).
    partition : Partition
        The sides of the time steps.

    Returns
    -------
    tuple
        ``(graph, a_legs, b_legs)``: a ``networkx.MultiGraph`` and two sets of
        ``"leg:<index>"`` nodes.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.partition import start_end
    >>> net = compile_network(RAC(1, 2, 2, 4))
    >>> g, a, b = analysis_graph(net, start_end(4))
    >>> sorted(a), sorted(b)
    (['leg:x1#0', 'leg:x2#0'], ['leg:x3#0', 'leg:x4#0'])
    >>> g.number_of_nodes() == net.num_tensors + len(net.input_legs())
    True
    """
    g = net.to_networkx()
    a_legs, b_legs = set(), set()
    for node, data in list(g.nodes(data=True)):
        if data.get("kind") != "leg":
            continue
        if data["role"] != "input":
            g.remove_node(node)
        elif data["time"] in partition.A:
            a_legs.add(node)
        else:
            b_legs.add(node)
    return g, a_legs, b_legs


def _capacity(size: int) -> int:
    return round(math.log2(size) * CAPACITY_SCALE)


def _cut_from_side(g, a_side: set, method: str) -> Cut:
    edges = []
    for u, v, data in g.edges(data=True):
        if (u in a_side) != (v in a_side):
            edges.append((data["index"], data["size"]))
    edges.sort()
    value = math.prod(s for _, s in edges)
    return Cut(tuple(edges), frozenset(a_side), value, log2_int(value), method)


def min_cut(net: Network, partition: Partition) -> Cut:
    """A minimum edge cut separating the A-legs from the B-legs of ``net``.

    Parameters
    ----------
    net : Network
        Any network; input legs carry their time step.
    partition : Partition
        Sides of the time steps; every copy of ``x_t`` goes to the side of
        ``t``. Output legs are dropped.

    Returns
    -------
    Cut
        The cut edges (index, size), the nodes on the A side, the exact
        value (product of the cut sizes) and its ``log2``.

    Notes
    -----
    Max-flow/min-cut (networkx, preflow-push) on an undirected graph with
    integer capacities ``round(log2(size) * 2**32)``, parallel bonds summed,
    plus a super-source joined to every A-leg node and a super-sink to every
    B-leg node with a finite capacity larger than all edges together (never
    infinite: an infinite path makes networkx raise). The returned edges
    always form a cut, so their product is always a valid bound; it is the
    exact minimum product unless two cuts' ``log2`` values differ by less than
    the rounding (``~ #edges * 2**-33``), which distinct products of small
    sizes never do. :func:`tnrnn.bounds.tree_min_cut` minimises exact
    products on compiled RAC networks.

    Examples
    --------
    A 3-site chain ``x1 - G1 = G2 - G3 - x3`` with a cheap input leg:
    cutting the leg (size 2) beats the bond (size 5).

    >>> from tnrnn.network import Network, Tensor, Leg
    >>> from tnrnn.partition import explicit
    >>> net = Network((Tensor("G1", ("x1", "a")), Tensor("G2", ("a", "b", "x2")),
    ...                Tensor("G3", ("b", "x3"))),
    ...               {"x1": 2, "a": 5, "b": 5, "x2": 4, "x3": 4},
    ...               (Leg("x1", "input", 1), Leg("x2", "input", 2),
    ...                Leg("x3", "input", 3)))
    >>> min_cut(net, explicit([1], 3)).edges
    (('x1', 2),)
    """
    import networkx as nx

    partition = _check(net, partition)
    g, a_legs, b_legs = analysis_graph(net, partition)
    if not a_legs or not b_legs:
        return _cut_from_side(g, set(g) if a_legs else set(), "networkx")
    h = nx.Graph()
    h.add_nodes_from(g)
    total = 0
    for u, v, data in g.edges(data=True):
        if u == v:
            continue
        cap = _capacity(data["size"])
        total += cap
        if h.has_edge(u, v):
            h[u][v]["capacity"] += cap
        else:
            h.add_edge(u, v, capacity=cap)
    big = total + 1
    for node in a_legs:
        h.add_edge(_SOURCE, node, capacity=big)
    for node in b_legs:
        h.add_edge(node, _SINK, capacity=big)
    _, (s_side, _) = nx.minimum_cut(h, _SOURCE, _SINK)
    return _cut_from_side(g, set(s_side) - {_SOURCE}, "networkx")


def validate_cut(net: Network, partition: Partition, cut: Cut) -> bool:
    """Check a cut certificate; return ``True`` or raise
    :class:`~tnrnn.errors.CertificateError` saying what is wrong.

    Checks that every cut edge is a bond or input leg of ``net`` with the
    stated size, listed once; that the sizes multiply to ``cut.value`` (and
    ``cut.log2`` matches); that removing the edges leaves no path from any
    A-leg to any B-leg; and, when ``cut.a_nodes`` is given, that it holds
    every A-leg and no B-leg and that exactly the cut edges leave it.

    Parameters
    ----------
    net : Network
        Built by :func:`tnrnn.compile.compile_network` (or any network whose
        input legs carry their time step).
    partition : Partition
        The sides of the time steps.
    cut : Cut
        The certificate.

    Returns
    -------
    bool
        ``True`` (otherwise it raises).

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.bounds import Cut
    >>> net = compile_network(RAC(1, 3, 3, 4))
    >>> validate_cut(net, start_end(4), Cut((), frozenset(), 1, 0.0))
    Traceback (most recent call last):
    ...
    tnrnn.errors.CertificateError: the cut does not separate the sides: leg:x1#0 (A) is still connected to leg:x3#0 (B)
    """
    import networkx as nx

    partition = _check(net, partition)
    if not isinstance(cut, Cut):
        raise CertificateError(f"cut must be a Cut; got {type(cut).__name__}")
    g, a_legs, b_legs = analysis_graph(net, partition)
    by_index = {data["index"]: (u, v, data["size"]) for u, v, data in g.edges(data=True)}
    seen = set()
    for item in cut.edges:
        try:
            index, size = item
        except (TypeError, ValueError):
            raise CertificateError(f"cut edges must be (index, size) pairs; got {item!r}") from None
        if index not in by_index:
            raise CertificateError(f"cut edge {index!r} is not a bond or input leg of "
                                   f"the network")
        if index in seen:
            raise CertificateError(f"cut edge {index!r} is listed twice")
        seen.add(index)
        if size != by_index[index][2]:
            raise CertificateError(f"cut edge {index!r} has size {by_index[index][2]} in "
                                   f"the network; the cut says {size}")
    value = math.prod(by_index[i][2] for i in seen)
    if value != cut.value:
        raise CertificateError(f"the cut sizes multiply to {value}; the cut says "
                               f"value={cut.value}")
    if not math.isclose(cut.log2, log2_int(value), rel_tol=1e-12, abs_tol=1e-12):
        raise CertificateError(f"cut.log2={cut.log2} but log2(value)={log2_int(value)}")
    rest = g.copy()
    for index in seen:
        u, v, _ = by_index[index]
        rest.remove_edge(u, v, key=index)
    for comp in nx.connected_components(rest):
        a_in, b_in = comp & a_legs, comp & b_legs
        if a_in and b_in:
            raise CertificateError(
                f"the cut does not separate the sides: {min(a_in)} (A) is still "
                f"connected to {min(b_in)} (B)")
    if cut.a_nodes:
        unknown = sorted(str(n) for n in cut.a_nodes if n not in g)
        if unknown:
            raise CertificateError(f"a_nodes names nodes not in the network: {unknown[:5]}")
        if not a_legs <= cut.a_nodes or b_legs & cut.a_nodes:
            raise CertificateError("a_nodes must hold every A-leg and no B-leg")
        crossing = {data["index"] for u, v, data in g.edges(data=True)
                    if (u in cut.a_nodes) != (v in cut.a_nodes)}
        if crossing != seen:
            raise CertificateError(
                f"the edges leaving a_nodes ({sorted(crossing)[:5]}...) are not the "
                f"cut edges ({sorted(seen)[:5]}...)")
    return True
