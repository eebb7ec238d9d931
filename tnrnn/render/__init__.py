"""Diagrams of tensor networks: deterministic DOT text first, images last.

:func:`to_dot` builds Graphviz DOT text from a network with no dependency
beyond tnrnn itself; :func:`render` writes it as SVG, PNG or PDF through
Graphviz (imported only then); :func:`draw` does both. :func:`make_figures`
draws the paper figures with matplotlib (imported only then).

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
from .figures import (FIGURE_SIZES, FIGURES, fig_continuous_vs_onehot, fig_mincut_gap,
                      fig_networks, fig_rank_vs_length, make_figures)
from .output import FORMATS, draw, render

__all__ = ["to_dot", "render", "draw", "drawn_nodes", "FORMATS",
           "DEFAULT_MAX_NODES", "COLLAPSE_OPTIONS", "make_figures", "fig_rank_vs_length",
           "fig_networks", "fig_continuous_vs_onehot", "fig_mincut_gap", "FIGURES",
           "FIGURE_SIZES"]
