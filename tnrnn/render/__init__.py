"""Diagrams of tensor networks: deterministic DOT text first, images last.

:func:`to_dot` builds Graphviz DOT text from a network with no dependency
beyond tnrnn itself; :func:`render` writes it as SVG, PNG or PDF through
Graphviz (imported only then); :func:`draw` does both.

A compiled RAC is drawn like its circuit: time runs left to right, each row
is one chain of a layer, and the sub-network a unit repeats hangs below it,
its copies shaded by copy number. Large networks collapse to one box per unit
type ``(t, l)`` with its number of copies.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> from tnrnn.compile import compile_network
>>> net = compile_network(RAC(depth=2, hidden=3, input_dim=3, length=4))
>>> text = to_dot(net, partition="start-end")
>>> text.startswith("graph tnrnn {") and '"D4.2#0"' in text
True
"""

from .dot import COLLAPSE_OPTIONS, DEFAULT_MAX_NODES, drawn_nodes, to_dot
from .output import FORMATS, draw, render

__all__ = ["to_dot", "render", "draw", "drawn_nodes", "FORMATS",
           "DEFAULT_MAX_NODES", "COLLAPSE_OPTIONS"]
