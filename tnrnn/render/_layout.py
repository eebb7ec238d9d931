"""Positions for a compiled network drawn like its circuit.

The duplicated network of a RAC is a tree rooted at the output
(``docs/theory.md`` section 4). A unit copy ``(t, l)#k`` has a *time child* (a copy
of ``(t-1, l)``, or an initial-state leaf when ``t = 1``) and a *depth child*
(a copy of ``(t, l-1)``, or an input leg when ``l = 1``). Following time
children from any unit gives a *chain* of one layer, running left from ``t``
to the initial state; such a chain is drawn as one row, time left to right.

Rows are stacked top-down: a chain first, then, for each of its units from
left to right, the rows hanging below that unit's depth child. This order
keeps the drawing planar: the vertical bond from unit ``(t, l)`` down to its
depth child only passes rows hung from units left of ``t``, whose tensors
all sit in columns ``< t``. Deeper layers are always below the layer they
feed; for depth 1 there is one row, the MPS chain.

Within a unit, a tensor bonded to the time child sits half a column to the
left (``W_H`` in form "cp"), one bonded to the depth child or carrying the
input leg sits below (``W_I``), and the rest at the unit's point (the copy
tensor, or the fused core). Input legs end in a leaf below their tensor.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.compile import compile_network
>>> lay = circuit_layout(compile_network(RAC(2, 2, 2, 3)))
>>> [(r.layer, r.units) for r in lay.rows]
[(2, (1, 2, 3)), (1, (1,)), (1, (1, 2)), (1, (1, 2, 3))]
>>> lay.pos["D3.2#0"], lay.pos["H3.2#0"], lay.pos["I3.2#0"]
((4.5, 0.0), (3.75, 0.0), (4.5, -0.55))
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from ..network import Network

#: Column width, offsets and gaps, in inches.
DX = 1.5
LEFT = 0.5 * DX
BELOW = 0.55
LEAF = 0.55
ROW_GAP = 0.6
MIN_ROW = 1.0


class NoLayout(Exception):
    """The network is not a compiled unit tree; draw it generically."""


@dataclasses.dataclass(frozen=True)
class Row:
    """One drawn row: a chain of units of one layer, at height ``y``."""

    layer: int
    y: float
    units: tuple  # time steps, ascending


@dataclasses.dataclass
class Layout:
    """Positions (inches) of tensors (by name) and open legs (by index)."""

    pos: dict
    leg_pos: dict
    rows: list
    length: int
    depth: int
    has_left: bool
    output_tensor: str | None


def unit_groups(net: Network) -> tuple[dict, dict]:
    """Tensors grouped by unit copy: ``{(t, l, k): [positions]}``, and the
    group of every tensor position (``None`` for unlabelled tensors)."""
    groups: dict = defaultdict(list)
    group_of: dict = {}
    for p, t in enumerate(net.tensors):
        if t.unit is None:
            group_of[p] = None
            continue
        if t.copy is None or len(t.unit) != 2:
            raise NoLayout(f"tensor {t.name!r} has a unit but no copy number")
        key = (int(t.unit[0]), int(t.unit[1]), int(t.copy))
        groups[key].append(p)
        group_of[p] = key
    return dict(groups), group_of


def circuit_layout(net: Network) -> Layout:
    """Circuit-like positions for a network compiled from a RAC or TT-RNN.

    Raises :class:`NoLayout` when the tensors do not form a unit tree (a
    hand-built network); callers then fall back to a generic layout.
    """
    groups, group_of = unit_groups(net)
    if not groups:
        raise NoLayout("no tensor carries a unit label")
    where: dict = defaultdict(list)
    for p, t in enumerate(net.tensors):
        for ix in t.indices:
            where[ix].append(p)
    adj: dict = defaultdict(set)
    anchors_adj: dict = defaultdict(set)
    for b in net.bonds():
        ga, gb = group_of[b.left], group_of[b.right]
        if ga is not None and gb is not None and ga != gb:
            adj[ga].add(gb)
            adj[gb].add(ga)
        elif (ga is None) != (gb is None):
            anchors_adj[ga or gb].add(b.left if ga is None else b.right)
    roots = sorted(g for g in anchors_adj if g[1] >= 1 and g[0] >= 1)
    if len(roots) != 1:
        raise NoLayout(f"expected one unit bonded to the output, found {len(roots)}")
    root = roots[0]
    leg_owner = {leg.index: where[leg.index][0] for leg in net.legs}
    input_groups = defaultdict(list)
    for leg in net.input_legs():
        input_groups[group_of[leg_owner[leg.index]]].append(leg.index)

    # Parent/children by a walk from the root; the unit graph must be a tree.
    parent = {root: None}
    order = [root]
    for g in order:
        for h in sorted(adj[g]):
            if h == parent[g]:
                continue
            if h in parent:
                raise NoLayout("the unit graph has a cycle")
            parent[h] = g
            order.append(h)
    if len(parent) != len(groups):
        raise NoLayout("some unit copies are not connected to the output")

    time_child: dict = {}
    depth_child: dict = {}
    for g in order:
        t, l, _ = g
        for h in adj[g]:
            if h == parent[g]:
                continue
            if h[1] == l and h[0] == t - 1:
                time_child[g] = h
            elif h[0] == t and h[1] == l - 1 and t >= 1:
                depth_child[g] = h
            else:
                raise NoLayout(f"unit {g} has an unexpected neighbour {h}")

    T = max(g[0] for g in groups)
    L = max(g[1] for g in groups)
    pos: dict = {}
    leg_pos: dict = {}
    rows: list = []
    has_left = False

    def place_group(g, x, y) -> list:
        nonlocal has_left
        ys = [y]
        slots: dict = {}
        tc, dc = time_child.get(g), depth_child.get(g)
        for p in groups[g]:
            t = net.tensors[p]
            nbrs = {group_of[q] for ix in t.indices for q in where[ix] if q != p}
            left = tc is not None and tc in nbrs
            below = (dc is not None and dc in nbrs) or any(
                ix in leg_owner and leg_owner[ix] == p and ix in input_groups[g]
                for ix in t.indices)
            if g[0] == 0 or left == below:
                slot, xy = "centre", (x, y)
            elif left:
                slot, xy = "left", (x - LEFT, y)
                has_left = True
            else:
                slot, xy = "below", (x, y - BELOW)
            if slot in slots:
                raise NoLayout(f"two tensors of unit {g} compete for one place")
            slots[slot] = t.name
            pos[t.name] = xy
            ys.append(xy[1])
            for ix in t.indices:
                if ix in input_groups[g] and leg_owner[ix] == p:
                    leg_pos[ix] = (xy[0], xy[1] - LEAF)
                    ys.append(xy[1] - LEAF)
        return ys

    def place_chain(head, y) -> float:
        chain = []
        g = head
        while g is not None and g[0] >= 1:
            chain.append(g)
            g = time_child.get(g)
        chain.reverse()
        ys = []
        if g is not None:  # the initial-state leaf, column 0
            ys += place_group(g, 0.0, y)
        for u in chain:
            ys += place_group(u, u[0] * DX, y)
        rows.append(Row(layer=head[1], y=y, units=tuple(u[0] for u in chain)))
        nxt = min(min(ys) - ROW_GAP, y - MIN_ROW)
        for u in chain:
            if u in depth_child:
                nxt = place_chain(depth_child[u], nxt)
        return nxt

    place_chain(root, 0.0)
    placed = {g for g in groups if net.tensors[groups[g][0]].name in pos}
    if placed != set(groups):
        raise NoLayout("some unit copies are not on a chain")

    out_tensor = None
    x_out = T * DX + 0.6 * DX
    for p in sorted(anchors_adj[root]):
        out_tensor = net.tensors[p].name
    for p, t in enumerate(net.tensors):
        if group_of[p] is None:
            if t.name != out_tensor:
                raise NoLayout(f"tensor {t.name!r} has no unit label")
            pos[t.name] = (x_out, 0.0)
    for k, leg in enumerate(net.output_legs()):
        owner = net.tensors[leg_owner[leg.index]].name
        ox, oy = pos[owner]
        leg_pos[leg.index] = (ox + 0.55 * DX, oy - 0.4 * k)
    if len(leg_pos) != len(net.legs):
        raise NoLayout("some open legs have no place")
    return Layout(pos=pos, leg_pos=leg_pos, rows=rows, length=T, depth=L,
                  has_left=has_left, output_tensor=out_tensor)
