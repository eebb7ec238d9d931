"""The three views of :func:`tnrnn.render.to_dot` (full, collapsed, generic)
and what they share: the drawing context, node and edge statements, the
legend and the partition line. DOT text only; no graphviz needed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable

from ..network import Network
from . import _layout
from ._style import (EDGE_LABEL, FONT, HIGHLIGHT, SIDE_FILL, SIDE_NAME, attrs,
                     html_escape, layer_colour, pos, quote)


def _header(layout: str) -> list:
    how = ("layout=neato, pinned positions" if layout == "neato"
           else "layout=dot")
    return ["graph tnrnn {",
            f"  // drawn by tnrnn.render.to_dot; render with: dot -Tsvg FILE.dot "
            f"({how})"]


# ------------------------------------------------------------------ shared
class _Context:
    def __init__(self, net, part, marked, caption, layout):
        self.net = net
        self.part = part
        self.marked = marked
        self.caption = caption
        self.layout = layout
        self.copies = Counter()  # (t, l) -> copies in the network
        for t in net.tensors:
            if t.unit is not None and t.copy is not None:
                self.copies[tuple(t.unit)] = max(self.copies[tuple(t.unit)], t.copy + 1)
        self.layer_max = Counter()  # layer -> most copies of any of its units
        for (ut, ul), n in self.copies.items():
            self.layer_max[ul] = max(self.layer_max[ul], n)
        self.input_copies = Counter(leg.time for leg in net.input_legs())
        self.owner = {}
        for p, t in enumerate(net.tensors):
            for ix in t.indices:
                self.owner.setdefault(ix, p)

    def side(self, t):
        if self.part is None or t is None:
            return None
        return self.part.side(t)

    def describe(self) -> str:
        spec = self.net.meta.get("spec")
        if isinstance(spec, dict) and spec.get("kind") in ("rac", "ttrnn"):
            name = "RAC" if spec["kind"] == "rac" else "TT-RNN"
            form = self.net.meta.get("form")
            head = (f"{name} depth {spec['depth']}, R={spec['hidden']}, "
                    f"M={spec['input_dim']}, T={spec['length']}"
                    + (f", K={spec['outputs']}" if spec.get("outputs", 1) != 1 else "")
                    + (f", form '{form}'" if form else ""))
        else:
            head = "tensor network"
        units = sum(1 for t in self.net.tensors
                    if t.unit is not None and t.unit[0] >= 1 and t.kind in ("copy", "core"))
        parts = [f"{self.net.num_tensors} tensors"]
        if units:
            parts.append(f"{units} unit copies")
        parts.append(f"{len(self.net.input_legs())} input leaves")
        return f"{head}: " + ", ".join(parts)

    def partition_line(self) -> str | None:
        if self.part is None:
            return None
        a = ",".join(map(str, self.part.A))
        b = ",".join(map(str, self.part.B))
        return (f"partition {self.part.name}: A = {{{a}}} ({SIDE_NAME['A']}), "
                f"B = {{{b}}} ({SIDE_NAME['B']})")

    def highlight_line(self, cut_edges: int) -> str | None:
        if not self.marked:
            return None
        return f"highlighted (bold red): {cut_edges} edge(s)"


_SPACING = 3


def _text_width(text: str) -> int:
    """Width in points of a legend cell holding ``text`` (12 pt font)."""
    return 7 * len(text) + 16


def _graph_attrs(layout: str, caption_lines: list, legend: list) -> list:
    """Graph-level statements; the caption (and a row of colour swatches,
    ``legend`` = ``[(text, colour or None), ...]``) as an HTML-like label."""
    rows = []
    for k, line in enumerate(caption_lines):
        text = html_escape(line)
        if k == 0:
            text = f"<b>{text}</b>"
        rows.append(f'<tr><td align="left">{text}</td></tr>')
    if legend:
        cells, width = [], _SPACING
        for text, colour in legend:
            w = _text_width(text)
            width += w + _SPACING
            fill = f' bgcolor="{colour}" border="1"' if colour else ""
            cells.append(f'<td{fill} fixedsize="true" width="{w}" height="22">'
                         f'{html_escape(text)}</td>')
        rows.append(f'<tr><td align="left"><table align="left" fixedsize="true" '
                    f'width="{width}" height="{22 + 2 * _SPACING + 4}" border="0" '
                    f'cellborder="0" cellspacing="{_SPACING}" cellpadding="2"><tr>'
                    + "".join(cells) + "</tr></table></td></tr>")
    label = ('<<table border="0" cellborder="0" cellspacing="1">'
             + "".join(rows) + "</table>>")
    graph = {"layout": layout, "splines": "line" if layout == "neato" else "true",
             "outputorder": "edgesfirst", "fontname": FONT, "fontsize": 12,
             "labelloc": "b", "labeljust": "l", "pad": 0.3, "label": label}
    return [
        f"  graph {attrs(graph)};",
        f"  node {attrs({'fontname': FONT, 'fontsize': 10})};",
        f"  edge {attrs({'fontname': FONT, 'fontsize': 8, 'fontcolor': EDGE_LABEL})};",
    ]


def _network_edges(net: Network, ctx) -> list:
    """DOT edge statements for every bond and open leg, in network order."""
    out = [_edge(net.tensors[b.left].name, net.tensors[b.right].name,
                 b.index, b.size, ctx.marked) for b in net.bonds()]
    out += [_edge(net.tensors[ctx.owner[leg.index]].name, "leg:" + leg.index,
                  leg.index, net.sizes[leg.index], ctx.marked) for leg in net.legs]
    return out


def _edge(a: str, b: str, index: str, size: int, marked: frozenset) -> str:
    ea = {"label": str(size)}
    if index in marked:
        ea.update({"color": HIGHLIGHT, "penwidth": 3.0, "fontcolor": HIGHLIGHT,
                   "fontsize": 10})
    return f"  {quote(a)} -- {quote(b)} {attrs(ea)};"


def _leg_label(ctx: _Context, leg) -> str:
    if leg.role != "input":
        return leg.index
    if max(ctx.input_copies.values(), default=1) == 1:
        return f"x{leg.time}"
    return f"x{leg.time}#{leg.copy}"


def _tensor_node(ctx: _Context, t) -> dict:
    """Node attributes of a tensor in the full view (no position)."""
    tag = None
    colour = "#ffffff"
    if t.unit is not None and t.copy is not None:
        ut, ul = t.unit
        tag = f"({ut},{ul})#{t.copy}" if ut >= 1 else f"layer {ul} #{t.copy}"
        colour = layer_colour(ul, t.copy, ctx.layer_max[ul])
    a = {"tooltip": t.name}
    if t.kind == "copy":
        a.update({"shape": "circle", "style": "filled", "fillcolor": "black",
                  "width": 0.13, "fixedsize": True, "label": ""})
    elif t.kind == "core":
        a.update({"shape": "box", "style": "filled,rounded", "fillcolor": colour,
                  "label": f"G\n{tag}" if tag else t.name, "fontsize": 9,
                  "margin": 0.04, "height": 0.4})
    elif t.kind in ("W_H", "W_I"):
        a.update({"shape": "box", "style": "filled", "fillcolor": colour,
                  "label": t.kind, "fontsize": 8, "width": 0.36, "height": 0.24,
                  "fixedsize": True})
    elif t.kind == "h0":
        a.update({"shape": "circle", "style": "filled", "fillcolor": colour,
                  "label": "h0", "fontsize": 8, "width": 0.3, "fixedsize": True})
    elif t.kind == "W_O":
        a.update({"shape": "box", "style": "filled", "fillcolor": "#dddddd",
                  "label": "W_O", "fontsize": 9, "width": 0.42, "height": 0.28,
                  "fixedsize": True})
    else:
        a.update({"shape": "box", "style": "filled", "fillcolor": colour,
                  "label": t.name, "fontsize": 9})
    return a


def _leg_node(ctx: _Context, leg) -> dict:
    if leg.role == "input":
        side = ctx.side(leg.time)
        return {"shape": "ellipse", "style": "filled", "fillcolor": SIDE_FILL[side],
                "label": _leg_label(ctx, leg), "fontsize": 8, "width": 0.3,
                "height": 0.2, "margin": 0.02, "tooltip": f"input leg {leg.index}"}
    return {"shape": "plaintext", "label": leg.index, "fontsize": 11,
            "width": 0.2, "height": 0.2, "tooltip": f"{leg.role} leg {leg.index}"}


def _legend(ctx: _Context, layers: Iterable[int], *, shades: bool) -> list:
    """Swatches: per layer its copy shades (at most 6 shown), then the sides."""
    items = []
    for l in layers:
        n = ctx.layer_max[l] or 1
        items.append((f"layer {l}:" if shades else f"layer {l}", None if shades
                      else layer_colour(l, 0, 1)))
        if not shades:
            continue
        ks = list(range(n)) if n <= 6 else [0, 1, 2, 3, None, n - 1]
        for k in ks:
            items.append(("..", None) if k is None else
                         (f"#{k}", layer_colour(l, k, n)))
    if ctx.part is not None:
        items += [("inputs:", None), ("x in A", SIDE_FILL["A"]),
                  ("x in B", SIDE_FILL["B"])]
    return items


def _partition_line(ctx: _Context, x_of, y_top: float, y_bottom: float) -> list:
    """A dashed vertical line between the two sides of a contiguous
    partition (one change of side along time); nothing otherwise.
    ``x_of(b)`` is where the line goes between steps ``b`` and ``b + 1``."""
    if ctx.part is None:
        return []
    T = ctx.part.length
    changes = [t for t in range(1, T) if ctx.part.side(t) != ctx.part.side(t + 1)]
    if len(changes) != 1:
        return []
    x = x_of(changes[0])
    out = []
    for name, y in (("cut:top", y_top), ("cut:bottom", y_bottom)):
        a = {"shape": "point", "width": 0.01, "style": "invis", "pos": pos(x, y)}
        out.append(f"  {quote(name)} {attrs(a)};")
    a = {"style": "dashed", "color": "#888888", "penwidth": 1.2}
    out.append(f"  {quote('cut:top')} -- {quote('cut:bottom')} {attrs(a)};")
    return out


# -------------------------------------------------------------- full view
def _full(ctx: _Context) -> str:
    net, lay = ctx.net, ctx.layout
    dx = _layout.DX
    deep = lay.depth > 1
    lines = _header("neato")
    caption = []
    if ctx.caption:
        caption.append(ctx.caption)
    caption.append(ctx.describe())
    cut = len(ctx.marked)
    kinds = {t.kind for t in net.tensors}
    if deep:
        caption.append("each row is one chain of a layer, time left to right; the rows "
                       "below a unit are the copy of the sub-network that feeds it")
        caption.append("fill: hue = layer, lighter = higher copy number k (unit copy "
                       "(t,l)#k); edge labels = bond dimension"
                       + ("; black dots = copy tensors" if "copy" in kinds else ""))
    else:
        caption.append("matrix product state, one site per time step; edge labels = "
                       "bond dimension"
                       + ("; black dots = copy tensors" if "copy" in kinds else ""))
    for line in (ctx.partition_line(), ctx.highlight_line(cut)):
        if line:
            caption.append(line)
    if deep:
        legend = _legend(ctx, range(1, lay.depth + 1), shades=True)
    else:
        legend = _legend(ctx, (), shades=True)
    lines += _graph_attrs("neato", caption, legend)

    # Time labels above the top row, and row labels on the left.
    top = max(y for _, y in lay.pos.values()) + 0.55
    for t in range(0, lay.length + 1):
        side = ctx.side(t) if t >= 1 else None
        ta = {"shape": "plaintext", "pos": pos(t * dx, top),
              "label": f"t={t}" if t >= 1 else "h0", "fontsize": 11}
        if side:
            ta.update({"label": f"t={t} ({side})", "fontcolor": "#000000",
                       "style": "filled", "fillcolor": SIDE_FILL[side],
                       "shape": "box", "color": SIDE_FILL[side]})
        lines.append(f"  {quote(f'time:{t}')} {attrs(ta)};")
    if deep:
        for k, row in enumerate(lay.rows):
            ra = {"shape": "plaintext", "pos": pos(-0.75 * dx, row.y),
                  "label": f"layer {row.layer}", "fontsize": 10,
                  "fontcolor": layer_colour(row.layer, 0, 1)}
            lines.append(f"  {quote(f'row:{k}')} {attrs(ra)};")
    bottom = min(y for _, y in list(lay.pos.values()) + list(lay.leg_pos.values()))
    lines += _partition_line(ctx, lambda b: b * dx + (0.36 if lay.has_left else 0.65) * dx,
                             top + 0.25, bottom - 0.3)

    for t in net.tensors:
        a = _tensor_node(ctx, t)
        a["pos"] = pos(*lay.pos[t.name])
        lines.append(f"  {quote(t.name)} {attrs(a)};")
        if t.kind == "copy" and t.unit is not None and t.copy is not None:
            x, y = lay.pos[t.name]
            ta = {"shape": "plaintext", "label": f"({t.unit[0]},{t.unit[1]})#{t.copy}",
                  "fontsize": 8, "width": 0.1, "height": 0.1, "margin": 0.0,
                  "pos": pos(x + 0.27, y - 0.14)}
            lines.append(f"  {quote('tag:' + t.name)} {attrs(ta)};")
    for leg in net.legs:
        a = _leg_node(ctx, leg)
        a["pos"] = pos(*lay.leg_pos[leg.index])
        lines.append(f"  {quote('leg:' + leg.index)} {attrs(a)};")
    lines += _network_edges(net, ctx)
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------- collapsed view
def _collapsed(ctx: _Context, reason: str) -> str:
    net, lay = ctx.net, ctx.layout
    T, L = lay.length, lay.depth
    dx, dy = 1.9, 1.3

    def group(p):
        t = net.tensors[p]
        if t.unit is None:
            return ("O",)
        ut, ul = t.unit
        return ("S", ul) if ut == 0 else ("U", ut, ul)

    def node_id(g):
        return {"O": "O", "S": "S{1}", "U": "U{1}.{2}", "X": "X{1}",
                "Y": "leg:{1}"}[g[0]].format(*g)

    # Bonds grouped by the pair of unit types they join.
    pairs: dict = defaultdict(lambda: [0, 0, set()])  # count, marked, sizes
    inside: dict = defaultdict(lambda: [0, 0])
    for b in net.bonds():
        ga, gb = group(b.left), group(b.right)
        if ga == gb:
            inside[ga][0] += 1
            inside[ga][1] += b.index in ctx.marked
            continue
        key = tuple(sorted((ga, gb), key=repr))
        pairs[key][0] += 1
        pairs[key][1] += b.index in ctx.marked
        pairs[key][2].add(b.size)
    for leg in net.legs:
        ga = group(ctx.owner[leg.index])
        gb = ("X", leg.time) if leg.role == "input" else ("Y", leg.index)
        key = (ga, gb)
        pairs[key][0] += 1
        pairs[key][1] += leg.index in ctx.marked
        pairs[key][2].add(net.sizes[leg.index])
    n_marked = sum(v[1] for v in pairs.values()) + sum(v[1] for v in inside.values())

    lines = _header("neato")
    caption = []
    if ctx.caption:
        caption.append(ctx.caption)
    caption.append(ctx.describe())
    caption.append(f"collapsed view ({reason}): one box per unit type (t,l), layers "
                   f"bottom to top; × n = its copies in the duplicated network, "
                   f"n = C(T-t+L-l, L-l)")
    caption.append("edge labels: bond dimension × number of parallel bonds")
    for line in (ctx.partition_line(),
                 f"highlighted (bold red): {n_marked} edge(s); 'k/n cut' = k of n "
                 f"parallel bonds" if ctx.marked else None):
        if line:
            caption.append(line)
    legend = _legend(ctx, range(1, L + 1), shades=False)
    lines += _graph_attrs("neato", caption, legend)

    top = L * dy + 0.8
    for t in range(1, T + 1):
        side = ctx.side(t)
        ta = {"shape": "plaintext", "pos": pos(t * dx, top), "label": f"t={t}",
              "fontsize": 11}
        if side:
            ta.update({"label": f"t={t} ({side})", "style": "filled", "shape": "box",
                       "fillcolor": SIDE_FILL[side], "color": SIDE_FILL[side]})
        lines.append(f"  {quote(f'time:{t}')} {attrs(ta)};")

    lines += _partition_line(ctx, lambda b: (b + 0.5) * dx, top + 0.25, -0.45)
    present = {group(p) for p in range(net.num_tensors)}
    nodes = sorted(present, key=lambda g: (g[0] != "S", g[0] == "O", g[1:]))
    for g in nodes:
        if g[0] == "U":
            n = ctx.copies[(g[1], g[2])]
        elif g[0] == "S":
            n = ctx.copies[(0, g[1])]
        else:
            n = 1
        cut_in = inside[g][1]
        if g[0] == "U":
            t, l = g[1], g[2]
            label = f"({t},{l})\n× {n} cop{'y' if n == 1 else 'ies'}"
            a = {"shape": "box", "style": "filled,rounded",
                 "fillcolor": layer_colour(l, 0, 1), "pos": pos(t * dx, l * dy),
                 "width": 1.05, "height": 0.55, "fontsize": 10}
        elif g[0] == "S":
            l = g[1]
            label = f"h0\n× {n}"
            a = {"shape": "circle", "style": "filled", "fillcolor": layer_colour(l, 0, 1),
                 "pos": pos(0.0, l * dy), "width": 0.55, "fixedsize": True, "fontsize": 9}
        else:
            label = "W_O"
            a = {"shape": "box", "style": "filled", "fillcolor": "#dddddd",
                 "pos": pos(T * dx + 0.8 * dx, L * dy), "fontsize": 10}
        if cut_in:
            label += f"\n{cut_in}/{inside[g][0]} inner cut"
            a.update({"color": HIGHLIGHT, "penwidth": 2.5})
        a["label"] = label
        a["tooltip"] = node_id(g)
        lines.append(f"  {quote(node_id(g))} {attrs(a)};")
    for t in sorted(ctx.input_copies):
        n = ctx.input_copies[t]
        a = {"shape": "ellipse", "style": "filled", "fillcolor": SIDE_FILL[ctx.side(t)],
             "label": f"x{t}\n× {n}", "fontsize": 9, "pos": pos(t * dx, 0.1),
             "width": 0.6, "height": 0.4, "tooltip": f"input x{t}, {n} copies"}
        lines.append(f"  {quote(node_id(('X', t)))} {attrs(a)};")
    for k, leg in enumerate(net.output_legs()):
        a = {"shape": "plaintext", "label": leg.index, "fontsize": 11,
             "pos": pos(T * dx + 1.5 * dx, L * dy - 0.4 * k)}
        lines.append(f"  {quote(node_id(('Y', leg.index)))} {attrs(a)};")

    def edge_order(item):
        (ga, gb), _ = item
        return (repr(ga), repr(gb))

    for (ga, gb), (count, cut, szs) in sorted(pairs.items(), key=edge_order):
        size = "/".join(str(s) for s in sorted(szs))
        label = f"{size}" if count == 1 else f"{size} ×{count}"
        ea = {"label": label}
        if cut:
            ea.update({"label": f"{label}\n{cut}/{count} cut", "color": HIGHLIGHT,
                       "penwidth": 3.0, "fontcolor": HIGHLIGHT, "fontsize": 10})
        lines.append(f"  {quote(node_id(ga))} -- {quote(node_id(gb))} {attrs(ea)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------- generic view
def _generic(ctx: _Context, note: str | None) -> str:
    net = ctx.net
    lines = _header("dot")
    caption = []
    if ctx.caption:
        caption.append(ctx.caption)
    caption.append(ctx.describe() + "; edge labels = bond dimension")
    for line in (note, ctx.partition_line(),
                 ctx.highlight_line(len(ctx.marked))):
        if line:
            caption.append(line)
    legend = _legend(ctx, (), shades=True)
    lines += _graph_attrs("dot", caption, legend)
    lines.append(f"  graph {attrs({'rankdir': 'LR'})};")
    for t in net.tensors:
        lines.append(f"  {quote(t.name)} {attrs(_tensor_node(ctx, t))};")
    for leg in net.legs:
        lines.append(f"  {quote('leg:' + leg.index)} {attrs(_leg_node(ctx, leg))};")
    lines += _network_edges(net, ctx)
    lines.append("}")
    return "\n".join(lines) + "\n"

