"""Colours, sizes and DOT text helpers shared by the diagram builders.

Everything here is plain and deterministic: colours come from fixed hues and
a copy-number ramp, numbers are printed with a fixed precision.

Examples
--------
>>> quote('D3.2#1')
'"D3.2#1"'
>>> attrs({"shape": "box", "label": 'W "H"'})
'[label="W \\\\"H\\\\"", shape=box]'
>>> layer_colour(1, 0, 1), layer_colour(1, 3, 4)
('#4b87c3', '#d9e6f2')
"""

from __future__ import annotations

import colorsys
import re

#: Hue (degrees) of each layer, cycled: blue, green, gold, purple, teal, pink.
LAYER_HUES = (210, 130, 42, 280, 180, 330)

#: Fill of input leaves on each side of a partition, and without one.
SIDE_FILL = {"A": "#fdb863", "B": "#b2abd2", None: "#ffffff"}
SIDE_NAME = {"A": "orange", "B": "lavender"}

HIGHLIGHT = "#d62728"
EDGE_LABEL = "#555555"
FONT = "Helvetica"

_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def layer_colour(layer: int, copy: int, copies: int) -> str:
    """Fill colour of copy ``copy`` (0-based) out of ``copies`` of a unit of
    ``layer``: the layer's hue, lighter for higher copy numbers."""
    hue = LAYER_HUES[(layer - 1) % len(LAYER_HUES)] / 360.0
    frac = copy / (copies - 1) if copies > 1 else 0.0
    light = 0.53 + 0.37 * frac
    r, g, b = colorsys.hls_to_rgb(hue, light, 0.5)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (r, g, b))


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html_escape(text: str) -> str:
    """Escape text for a DOT HTML-like label."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith("<") and text.endswith(">"):  # HTML-like label
        return text
    if _PLAIN_ID.fullmatch(text):
        return text
    return quote(text)


def attrs(mapping: dict) -> str:
    """``[key=value, ...]`` with keys sorted, or ``""`` when empty."""
    if not mapping:
        return ""
    return "[" + ", ".join(f"{k}={_value(v)}" for k, v in sorted(mapping.items())) + "]"


def pos(x: float, y: float) -> str:
    """A pinned neato position, in inches."""
    return f"{x:.2f},{y:.2f}!"
