"""DOT text for tensor-network diagrams: deterministic, no graphviz needed.

:func:`to_dot` turns a :class:`~tnrnn.network.Network` into Graphviz DOT
text. Node ids are tensor names (open legs are ``"leg:<index>"``), the order
of statements follows the network, and positions are printed with a fixed
precision, so the same network always gives the same text, byte for byte.

Three views:

full
    every tensor and every open leg, placed like the circuit (time left to
    right, deeper layers below the layer they feed; see
    :mod:`tnrnn.render._layout`), positions pinned for Graphviz's ``neato``
    engine (``layout=neato`` is in the text, so plain ``dot -Tsvg`` works).
collapsed
    one box per unit type ``(t, l)`` on the ``T x L`` grid of the circuit,
    layers bottom to top, showing how many copies the duplicated network
    holds; chosen automatically above ``max_nodes`` drawn nodes.
generic
    for hand-built networks without unit labels: Graphviz ``dot`` layout,
    left to right.

Examples
--------
>>> from tnrnn.circuit import TTRNN
>>> from tnrnn.compile import compile_network
>>> text = to_dot(compile_network(TTRNN(hidden=2, input_dim=3, length=3)))
>>> text.splitlines()[0]
'graph tnrnn {'
>>> '"G3.1#0" -- "G2.1#0" [label="2"];' in text
True
>>> text == to_dot(compile_network(TTRNN(hidden=2, input_dim=3, length=3)))
True
"""

from __future__ import annotations

from typing import Iterable

from ..errors import SpecError, check_positive_int
from ..network import Network
from ..partition import Partition, parse_partition
from . import _layout
from ._dot_views import _collapsed, _Context, _full, _generic

__all__ = ["to_dot", "DEFAULT_MAX_NODES", "COLLAPSE_OPTIONS", "drawn_nodes"]

#: Above this many drawn nodes (tensors plus open legs), ``collapse="auto"``
#: draws the collapsed view.
DEFAULT_MAX_NODES = 250

COLLAPSE_OPTIONS = ("auto", True, False)


def drawn_nodes(net: Network) -> int:
    """Nodes of the full view: one per tensor and one per open leg.

    Parameters
    ----------
    net : Network

    Returns
    -------
    int
        ``net.num_tensors + len(net.legs)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> drawn_nodes(compile_network(RAC(1, 2, 2, 4)))
    19

    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(1, 2, 2, 3))
    >>> drawn_nodes(net) == net.num_tensors + len(net.legs)
    True
    >>> text = to_dot(net, collapse=False)  # a node per tensor and per open leg
    >>> ids = {line.split('"')[1] for line in text.splitlines()
    ...        if line.startswith('  "') and " -- " not in line}
    >>> names = [t.name for t in net.tensors] + ["leg:" + leg.index for leg in net.legs]
    >>> len(names) == drawn_nodes(net) and set(names) <= ids
    True
    """
    return net.num_tensors + len(net.legs)


def to_dot(net: Network, *, partition=None, highlight: Iterable[str] = (),
           caption: str | None = None, collapse="auto",
           max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """Deterministic Graphviz DOT text drawing ``net``.

    Parameters
    ----------
    net : Network
        Usually from :func:`tnrnn.compile.compile_network`; any network
        works (without unit labels it gets a generic layout).
    partition : Partition or str, optional
        A partition of the time steps (or a name accepted by
        :func:`tnrnn.partition.parse_partition`, e.g. ``"start-end"``).
        Input leaves and time labels are coloured by side; a contiguous
        split also gets a dashed line between the sides.
    highlight : iterable of str
        Index names (bonds or open legs, e.g. the edges of a min-cut) to draw
        in bold red. A single string is one index name.
    caption : str, optional
        First line of the caption under the diagram (e.g. the bound the
        highlighted cut certifies).
    collapse : {"auto", True, False}
        ``True`` draws one box per unit type ``(t, l)``; ``"auto"`` does so
        when the full view would have more than ``max_nodes`` nodes.
    max_nodes : int
        Threshold for ``collapse="auto"``.

    Returns
    -------
    str
        DOT text ending in a newline. Node ids are tensor names; open legs
        are ``"leg:<index>"``; the collapsed view's boxes are ``"U<t>.<l>"``,
        its state boxes ``"S<l>"``, input boxes ``"X<t>"``.

    Raises
    ------
    SpecError
        ``net`` is not a Network, ``collapse`` or ``max_nodes`` is invalid,
        ``highlight`` names an index the network lacks, or the collapsed
        view is asked for a network without unit labels.
    PartitionError
        ``partition`` does not fit the network's time steps.

    Notes
    -----
    Colours: each layer has a hue; the ``k``-th copy of a unit ``(t, l)``
    (tensor names ending ``t.l#k``) is shaded lighter as ``k`` grows, so the
    repeated sub-networks of a deep RAC (``docs/theory.md`` section 4) show up as
    rows of the same hue fading out. Copy tensors (deltas) are black dots.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> net = compile_network(RAC(2, 3, 3, 4))
    >>> text = to_dot(net, partition="start-end", highlight={"h2.2#0"},
    ...               caption="min-cut bound 3")
    >>> '"leg:x1#0"' in text and "min-cut bound 3" in text
    True
    >>> "collapsed view" in to_dot(net, max_nodes=10)
    True
    >>> to_dot(net, highlight={"nope"})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: highlight names indices that are not in the network: ['nope']
    """
    if not isinstance(net, Network):
        raise SpecError(f"to_dot needs a tnrnn Network; got {type(net).__name__}")
    if not (collapse is True or collapse is False
            or (isinstance(collapse, str) and collapse == "auto")):
        raise SpecError(f"collapse must be one of {COLLAPSE_OPTIONS}; got {collapse!r}")
    max_nodes = check_positive_int("max_nodes", max_nodes)
    marked = _check_highlight(net, highlight)
    part = _check_partition(net, partition)
    n_nodes = drawn_nodes(net)
    want_collapsed = collapse is True or (collapse == "auto" and n_nodes > max_nodes)
    try:
        layout = _layout.circuit_layout(net)
    except _layout.NoLayout as exc:
        if collapse is True:
            raise SpecError(f"the collapsed view needs a network compiled from a "
                            f"circuit (tensors labelled with units); {exc}") from None
        layout = None
    ctx = _Context(net, part, marked, caption, layout)
    if layout is not None and want_collapsed:
        reason = (f"{n_nodes} nodes > max_nodes={max_nodes}" if collapse == "auto"
                  else "collapse=True")
        return _collapsed(ctx, reason)
    if layout is None:
        note = (f"not collapsed: {n_nodes} nodes > max_nodes={max_nodes}, but the "
                f"tensors carry no unit labels" if want_collapsed else None)
        return _generic(ctx, note)
    return _full(ctx)


# ---------------------------------------------------------------- checking
def _check_highlight(net: Network, highlight) -> frozenset:
    if isinstance(highlight, str):
        highlight = (highlight,)
    try:
        marked = frozenset(highlight)
    except TypeError:
        raise SpecError(f"highlight must be an iterable of index names; got "
                        f"{highlight!r}") from None
    unknown = sorted(str(i) for i in marked if i not in net.sizes)
    if unknown:
        raise SpecError(f"highlight names indices that are not in the network: "
                        f"{unknown[:5]}")
    return marked


def _length(net: Network) -> int | None:
    spec = net.meta.get("spec")
    if isinstance(spec, dict) and "length" in spec:
        return int(spec["length"])
    times = [leg.time for leg in net.input_legs() if leg.time is not None]
    return max(times) if times else None


def _check_partition(net: Network, partition) -> Partition | None:
    if partition is None:
        return None
    T = _length(net)
    if T is None:
        raise SpecError("a partition needs a network whose input legs carry time steps")
    return parse_partition(partition, T)
