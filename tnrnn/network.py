"""A generic, immutable tensor-network graph.

A :class:`Network` is plain structure, no weights: tensors with named indices,
the size of every index, and the open legs labelled by (time step, copy).
Weights live apart (see :func:`tnrnn.compile.tensor_arrays`). The vocabulary
follows opt_einsum/cotengra: :meth:`Network.einsum_view` returns
``(inputs, output, size_dict)``.

An index shared by exactly two tensors is a *bond*; an index carried by one
tensor and listed in :attr:`Network.legs` is an *open leg*. Copy tensors
(3-leg deltas) are explicit tensors of kind ``"copy"``, so a compiled network
has no hyperedges; :meth:`Network.einsum_view` can fold them into hyperedges.

Examples
--------
>>> net = Network(
...     tensors=(Tensor("A", ("i", "j"), kind="M"), Tensor("B", ("j", "k"), kind="M")),
...     sizes={"i": 2, "j": 3, "k": 4},
...     legs=(Leg("i", "input", 1, 0), Leg("k", "input", 2, 0)))
>>> [(b.index, b.size) for b in net.bonds()]
[('j', 3)]
>>> net.einsum_view()
([('i', 'j'), ('j', 'k')], ('i', 'k'), {'i': 2, 'j': 3, 'k': 4})
"""

from __future__ import annotations

import dataclasses
import types
from collections import Counter, defaultdict
from typing import Iterable, Mapping, NamedTuple

from .errors import SpecError

__all__ = ["Tensor", "Leg", "Bond", "Network"]


@dataclasses.dataclass(frozen=True)
class Tensor:
    """One tensor of a network: a unique name, its indices in axis order, and
    labels saying where its values come from.

    Parameters
    ----------
    name : str
        Unique, stable identifier (used as the DOT node id too).
    indices : tuple of str
        Index names in the order of the tensor's axes.
    kind : str
        What the tensor is: ``"copy"``, ``"W_H"``, ``"W_I"``, ``"W_O"``,
        ``"h0"``, ``"core"``, or anything for user-built networks.
    param : tuple or None
        Key of the weight array it holds, e.g. ``("W_H", 0)``; ``None`` for
        copy tensors (their values are fixed).
    unit : (t, l) or None
        The circuit unit this tensor belongs to (1-based time and layer).
    copy : int or None
        Which duplicate of that unit (0-based).

    Examples
    --------
    >>> t = Tensor("W", ["i", "j"], kind="W_H", param=("W_H", 0), unit=(1, 1), copy=0)
    >>> t.indices, t.unit
    (('i', 'j'), (1, 1))
    >>> Tensor("X", ("i", "i"))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: tensor 'X' repeats an index: ('i', 'i')
    """

    name: str
    indices: tuple
    kind: str = "tensor"
    param: tuple | None = None
    unit: tuple | None = None
    copy: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "indices", tuple(self.indices))
        if len(set(self.indices)) != len(self.indices):
            raise SpecError(f"tensor {self.name!r} repeats an index: {self.indices}")


@dataclasses.dataclass(frozen=True)
class Leg:
    """An open leg: an index carried by one tensor, not contracted.

    Parameters
    ----------
    index : str
        The index name.
    role : {"input", "output"}
        Where an input vector attaches, or an output of the network.
    time : int or None
        For an input leg, the 1-based time step whose input vector attaches
        here; ``None`` for an output leg.
    copy : int, default 0
        Which duplicate of that input (0-based).

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(2, 2, 2, 2))
    >>> sorted((leg.time, leg.copy) for leg in net.input_legs())
    [(1, 0), (1, 1), (2, 0)]
    >>> [leg.role for leg in net.output_legs()]
    ['output']
    """

    index: str
    role: str
    time: int | None
    copy: int = 0


class Bond(NamedTuple):
    """A contracted index joining two tensors (by position in the network).

    Parameters
    ----------
    index : str
        The index name.
    size : int
        Its dimension.
    left, right : int
        Positions in :attr:`Network.tensors` of the two tensors it joins
        (``left < right``).

    Examples
    --------
    >>> net = Network((Tensor("A", ("i", "j")), Tensor("B", ("j",))), {"i": 2, "j": 3},
    ...               (Leg("i", "output", None),))
    >>> net.bonds()
    [Bond(index='j', size=3, left=0, right=1)]
    """

    index: str
    size: int
    left: int
    right: int


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """An immutable tensor network.

    Parameters
    ----------
    tensors : sequence of Tensor
    sizes : mapping index -> int
    legs : sequence of Leg
        The open legs. Every index must appear on exactly two tensors (a
        bond) or on one tensor and in ``legs``.
    meta : mapping, optional
        Free-form plain data (the spec it was compiled from, the form).

    Raises
    ------
    SpecError
        When an index is on more than two tensors, or on one and not a leg,
        or a size is missing.

    Examples
    --------
    >>> net = Network((Tensor("A", ("i", "j")), Tensor("B", ("j", "k"))),
    ...               {"i": 2, "j": 3, "k": 2},
    ...               (Leg("i", "input", 1), Leg("k", "output", None)))
    >>> net.num_tensors, net.max_bond(), net.input_leaves()
    (2, 3, {1: 1})
    """

    tensors: tuple
    sizes: Mapping[str, int]
    legs: tuple
    meta: Mapping = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tensors", tuple(self.tensors))
        object.__setattr__(self, "legs", tuple(self.legs))
        object.__setattr__(self, "sizes", types.MappingProxyType(dict(self.sizes)))
        object.__setattr__(self, "meta", types.MappingProxyType(dict(self.meta)))
        self._validate()

    # ---------------------------------------------------------------- checks
    def _validate(self) -> None:
        names = Counter(t.name for t in self.tensors)
        dup = [n for n, c in names.items() if c > 1]
        if dup:
            raise SpecError(f"tensor names must be unique; repeated: {dup[:5]}")
        where = self._where()
        leg_idx = Counter(leg.index for leg in self.legs)
        for ix, owners in where.items():
            if ix not in self.sizes:
                raise SpecError(f"index {ix!r} has no size in sizes")
            size = self.sizes[ix]
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise SpecError(f"size of index {ix!r} must be an integer >= 1; got {size!r}")
            n_open = leg_idx.get(ix, 0)
            if len(owners) + n_open != 2 or n_open > 1:
                raise SpecError(
                    f"index {ix!r} must join two tensors or be one tensor's open "
                    f"leg; it is on {len(owners)} tensor(s) and listed "
                    f"{n_open} time(s) as open")
        missing = [leg.index for leg in self.legs if leg.index not in where]
        if missing:
            raise SpecError(f"open legs not carried by any tensor: {missing[:5]}")

    def _where(self) -> dict:
        where: dict = defaultdict(list)
        for pos, t in enumerate(self.tensors):
            for ix in t.indices:
                where[ix].append(pos)
        return where

    # ------------------------------------------------------------- structure
    @property
    def num_tensors(self) -> int:
        return len(self.tensors)

    def bonds(self) -> list[Bond]:
        """Contracted indices, each joining two tensors, in a stable order."""
        out = []
        for ix, owners in self._where().items():
            if len(owners) == 2:
                out.append(Bond(ix, self.sizes[ix], owners[0], owners[1]))
        return out

    def input_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.role == "input"]

    def output_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.role == "output"]

    def input_leaves(self) -> dict[int, int]:
        """Time step -> number of copies of that input in the network."""
        counts = Counter(leg.time for leg in self.input_legs())
        return {t: counts[t] for t in sorted(counts)}

    def max_bond(self) -> int:
        """Largest bond dimension (1 for a network with no bonds)."""
        return max((b.size for b in self.bonds()), default=1)

    def tensor(self, name: str) -> Tensor:
        """The tensor with this name."""
        for t in self.tensors:
            if t.name == name:
                return t
        raise SpecError(f"no tensor named {name!r} in this network")

    # ------------------------------------------------------------------ views
    def einsum_view(self, *, fold_copies: bool = False
                    ) -> tuple[list[tuple], tuple, dict]:
        """The opt_einsum/cotengra triple ``(inputs, output, size_dict)``.

        One entry of ``inputs`` per tensor, in network order; ``output`` is
        the open legs in :attr:`legs` order.

        With ``fold_copies=True``, every copy tensor is dropped and all of its
        indices are renamed to one shared index (a hyperedge): the einsum is
        unchanged because a copy tensor is the delta ``[i == j == k]``. The
        returned ``inputs`` then skip the copy tensors; use
        :meth:`folded_tensor_positions` for the matching tensor positions.
        """
        if not fold_copies:
            inputs = [t.indices for t in self.tensors]
            output = tuple(leg.index for leg in self.legs)
            return inputs, output, dict(self.sizes)
        rename = self._copy_renaming()
        inputs = [tuple(rename.get(i, i) for i in t.indices)
                  for t in self.tensors if t.kind != "copy"]
        output = tuple(rename.get(leg.index, leg.index) for leg in self.legs)
        if len(set(output)) != len(output):
            raise SpecError("folding copy tensors would merge two open legs; "
                            "use fold_copies=False for this network")
        sizes = {rename.get(i, i): s for i, s in self.sizes.items()}
        return inputs, output, sizes

    def folded_tensor_positions(self) -> list[int]:
        """Positions of the tensors kept by ``einsum_view(fold_copies=True)``."""
        return [p for p, t in enumerate(self.tensors) if t.kind != "copy"]

    def _copy_renaming(self) -> dict:
        parent: dict = {}

        def find(i):
            while parent.get(i, i) != i:
                parent[i] = parent.get(parent[i], parent[i])
                i = parent[i]
            return i

        for t in self.tensors:
            if t.kind == "copy":
                sizes = {self.sizes[i] for i in t.indices}
                if len(sizes) != 1:
                    raise SpecError(f"copy tensor {t.name!r} has legs of different "
                                    f"sizes {sorted(sizes)}")
                root = find(t.indices[0])
                for i in t.indices[1:]:
                    r = find(i)
                    if r != root:
                        parent[r] = root
        return {i: find(i) for i in self.sizes if find(i) != i}

    def to_networkx(self):
        """An undirected ``networkx.MultiGraph`` of the network.

        Nodes are tensor names (attribute ``kind``) plus one node per open
        leg, named ``"leg:<index>"`` (attributes ``role``, ``time``,
        ``copy``). Every edge carries ``index`` and ``size`` attributes and is
        keyed by its index name.

        Examples
        --------
        >>> net = Network((Tensor("A", ("i", "j")), Tensor("B", ("j",))),
        ...               {"i": 2, "j": 3}, (Leg("i", "input", 1),))
        >>> g = net.to_networkx()
        >>> sorted(g.nodes), g.edges["A", "B", "j"]["size"]
        (['A', 'B', 'leg:i'], 3)
        """
        import networkx as nx

        g = nx.MultiGraph()
        for t in self.tensors:
            g.add_node(t.name, kind=t.kind, unit=t.unit, copy=t.copy)
        for b in self.bonds():
            g.add_edge(self.tensors[b.left].name, self.tensors[b.right].name,
                       key=b.index, index=b.index, size=b.size)
        where = self._where()
        for leg in self.legs:
            node = f"leg:{leg.index}"
            g.add_node(node, kind="leg", role=leg.role, time=leg.time, copy=leg.copy)
            owner = self.tensors[where[leg.index][0]].name
            g.add_edge(owner, node, key=leg.index, index=leg.index,
                       size=self.sizes[leg.index])
        return g

    def to_tensornetwork(self, arrays: Iterable, *, backend: str = "numpy"):
        """Build ``tensornetwork`` Nodes with ``arrays`` attached (one per tensor,
        in network order) and connect every bond.

        Returns ``(nodes, open_edges)`` where ``open_edges`` follow
        :attr:`legs`. Copy tensors become ``tensornetwork.CopyNode``.
        Needs the optional ``tensornetwork`` package.
        """
        from .errors import MissingDependencyError

        try:
            import tensornetwork as tn
        except ImportError as exc:  # pragma: no cover - depends on install
            raise MissingDependencyError(
                "to_tensornetwork needs the tensornetwork package: "
                "pip install tensornetwork==0.4.6") from exc
        arrays = list(arrays)
        if len(arrays) != len(self.tensors):
            raise SpecError(f"need one array per tensor ({len(self.tensors)}); "
                            f"got {len(arrays)}")
        nodes = []
        for t, a in zip(self.tensors, arrays):
            if t.kind == "copy":
                node = tn.CopyNode(len(t.indices), self.sizes[t.indices[0]],
                                   name=t.name, backend=backend,
                                   dtype=getattr(a, "dtype", None))
            else:
                node = tn.Node(a, name=t.name, backend=backend)
            nodes.append(node)
        for b in self.bonds():
            left, right = self.tensors[b.left], self.tensors[b.right]
            nodes[b.left][left.indices.index(b.index)] ^ \
                nodes[b.right][right.indices.index(b.index)]
        where = self._where()
        open_edges = []
        for leg in self.legs:
            pos = where[leg.index][0]
            open_edges.append(nodes[pos][self.tensors[pos].indices.index(leg.index)])
        return nodes, open_edges

    def summary(self) -> dict:
        """Plain-data description: counts, largest bond, input leaves."""
        return {
            "tensors": self.num_tensors,
            "bonds": len(self.bonds()),
            "open_legs": len(self.legs),
            "input_leaves": self.input_leaves(),
            "max_bond": self.max_bond(),
            "kinds": dict(sorted(Counter(t.kind for t in self.tensors).items())),
        }
