"""Diagrams: deterministic DOT text, and images rendered through Graphviz.

The DOT text of a few small networks is compared with stored files in
``tests/data/*.dot``. After an intended change to the drawings, look at the
new pictures (e.g. ``tnrnn.render.draw(net, "/tmp/x.png")``), then regenerate
the stored text with::

    TNRNN_UPDATE_DOT=1 .venv/bin/python -m pytest tests/test_render.py -k stored

and review the diff of ``tests/data/`` before committing it.

Tests that run the Graphviz ``dot`` binary are skipped when it is absent.
"""
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tnrnn.circuit import RAC, TTRNN
from tnrnn.compile import compile_network, unit_copies
from tnrnn.errors import OutputPathError, MissingDependencyError, PartitionError, SpecError
from tnrnn.network import Leg, Network, Tensor
from tnrnn.partition import start_end
from tnrnn.render import DEFAULT_MAX_NODES, FORMATS, draw, drawn_nodes, render, to_dot

DATA = pathlib.Path(__file__).parent / "data"
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' binary not installed")
SVG = "{http://www.w3.org/2000/svg}"


def _hand_built() -> Network:
    return Network(
        tensors=(Tensor("A", ("i", "j"), kind="M"), Tensor("B", ("j", "k", "m"), kind="M"),
                 Tensor("C", ("m",))),
        sizes={"i": 2, "j": 3, "k": 4, "m": 5},
        legs=(Leg("i", "input", 1, 0), Leg("k", "input", 2, 0)))


# Name -> (network, to_dot keyword arguments). Small on purpose: the stored
# text is meant to be read in a diff.
CASES = {
    "rac_d1_T4_start_end": (lambda: compile_network(RAC(1, 2, 3, 4)),
                            {"partition": "start-end", "highlight": {"h2.1#0"},
                             "caption": "min-cut bound 2"}),
    "ttrnn_T3": (lambda: compile_network(TTRNN(2, 3, 3)), {}),
    "rac_d2_T3_cp": (lambda: compile_network(RAC(2, 2, 2, 3)), {}),
    "rac_d2_T3_core": (lambda: compile_network(RAC(2, 2, 2, 3), form="core"),
                       {"partition": "A:1"}),
    "rac_d2_T4_collapsed": (lambda: compile_network(RAC(2, 3, 3, 4)),
                            {"collapse": True, "partition": "start-end",
                             "highlight": {"h2.2#0", "h2.1#0", "h2.1#1"},
                             "caption": "min-cut bound 3^3 = 27"}),
    "hand_built": (_hand_built, {"highlight": "j"}),
}


def _dot(name: str) -> str:
    make, kwargs = CASES[name]
    return to_dot(make(), **kwargs)


# ------------------------------------------------------------- stored text
@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_matches_stored_text(name):
    text = _dot(name)
    path = DATA / f"{name}.dot"
    if os.environ.get("TNRNN_UPDATE_DOT"):
        DATA.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: regenerate with TNRNN_UPDATE_DOT=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_is_deterministic(name):
    assert _dot(name) == _dot(name)


def test_dot_does_not_depend_on_hash_seed():
    code = ("from tnrnn.circuit import RAC; from tnrnn.compile import compile_network; "
            "from tnrnn.render import to_dot; import sys; sys.stdout.write(to_dot("
            "compile_network(RAC(3, 2, 2, 3)), partition='odd-even', "
            "highlight={'h1.1#0', 'h2.2#0', 'x1#2', 'y'}))")
    outs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, check=True, env=env).stdout)
    assert len(outs) == 1


# --------------------------------------------------------- what is drawn
def _statements(text: str) -> dict:
    """Node id -> attribute text, for the node statements of DOT text."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'  "([^"]+)" \[(.*)\];$', line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _pos(attr: str) -> tuple:
    x, y = re.search(r'pos="([-0-9.]+),([-0-9.]+)!"', attr).groups()
    return float(x), float(y)


def test_full_view_has_every_tensor_leg_and_bond():
    net = compile_network(RAC(2, 3, 2, 4))
    text = to_dot(net)
    nodes = _statements(text)
    assert {t.name for t in net.tensors} <= set(nodes)
    assert {f"leg:{leg.index}" for leg in net.legs} <= set(nodes)
    for b in net.bonds():
        a, c = net.tensors[b.left].name, net.tensors[b.right].name
        assert f'"{a}" -- "{c}" [label="{b.size}"];' in text
    assert 'label="x3#1"' in nodes["leg:x3#1"]
    assert "(2,1)#2" in nodes["tag:D2.1#2"]


def test_time_runs_left_to_right_and_deeper_layers_below():
    net = compile_network(RAC(3, 2, 2, 4))
    nodes = _statements(to_dot(net))
    for t in net.tensors:
        if t.kind != "copy":
            continue
        x, y = _pos(nodes[t.name])
        assert x == pytest.approx(1.5 * t.unit[0])
        # The unit's output feeds W_H of the next step (same row, to the
        # right) or W_I of the layer above (higher up), or W_O.
        out = t.indices[0]
        (parent,) = [n for n in net.tensors if out in n.indices and n is not t]
        px, py = _pos(nodes[parent.name])
        if parent.kind == "W_H":
            assert py == y and px > x
        elif parent.kind == "W_I":
            assert py > y and px == x
        else:
            assert parent.kind == "W_O" and px > x


@pytest.mark.parametrize("net", [compile_network(RAC(1, 3, 3, 6)),
                                 compile_network(TTRNN(3, 3, 6))])
def test_shallow_networks_draw_as_one_chain(net):
    text = to_dot(net)
    nodes = _statements(text)
    centres = {_pos(nodes[t.name])[1] for t in net.tensors
               if t.kind in ("copy", "core", "W_H", "h0", "W_O")}
    assert centres == {0.0}
    assert "matrix product state" in text
    assert "row:" not in text  # no per-row layer labels for a single chain


def test_partition_colours_leaves_and_draws_the_split():
    net = compile_network(RAC(2, 2, 2, 4))
    text = to_dot(net, partition="start-end")
    nodes = _statements(text)
    assert "#fdb863" in nodes["leg:x1#0"] and "#b2abd2" in nodes["leg:x4#0"]
    assert '"cut:top" -- "cut:bottom"' in text
    odd = to_dot(net, partition="odd-even")
    assert "cut:top" not in odd  # no single boundary to draw
    assert "#b2abd2" in _statements(odd)["leg:x2#0"]


def test_highlight_and_caption():
    net = compile_network(RAC(2, 3, 3, 4))
    text = to_dot(net, highlight=["h2.2#0", "x1#0"], caption="min-cut bound 3^5 = 243")
    assert '"H3.2#0" -- "D2.2#0" [color="#d62728"' in text
    assert '"I1.1#0" -- "leg:x1#0" [color="#d62728"' in text
    assert text.count('[color="#d62728"') == 2
    assert "<b>min-cut bound 3^5 = 243</b>" in text
    assert "highlighted (bold red): 2 edge(s)" in text


def test_caption_is_escaped_for_html():
    text = to_dot(compile_network(TTRNN(2, 2, 2)), caption="a < b & c")
    assert "a &lt; b &amp; c" in text


def test_copies_are_shaded_by_copy_number():
    net = compile_network(RAC(2, 2, 2, 3))
    nodes = _statements(to_dot(net))
    fill = {name: re.search(r'fillcolor="([^"]+)"', a).group(1)
            for name, a in nodes.items() if name.startswith("H")}
    # The same copy number gets the same shade; different copies differ.
    assert fill["H1.1#1"] == fill["H2.1#1"]
    assert len({fill["H1.1#0"], fill["H1.1#1"], fill["H1.1#2"]}) == 3


# ------------------------------------------------------------ collapsing
def test_collapsed_view_above_threshold():
    net = compile_network(RAC(3, 2, 2, 6))
    assert drawn_nodes(net) > DEFAULT_MAX_NODES
    text = to_dot(net)
    assert f"collapsed view ({drawn_nodes(net)} nodes &gt; max_nodes=" in text
    nodes = _statements(text)
    assert "D1.1#0" not in nodes
    for t in range(1, 7):
        for l in range(1, 4):
            n = unit_copies(6, 3, t, l)
            word = "copy" if n == 1 else "copies"
            assert f"({t},{l})\\n× {n} {word}" in nodes[f"U{t}.{l}"]
    # layers bottom to top, time left to right
    assert _pos(nodes["U1.2"])[1] > _pos(nodes["U1.1"])[1]
    assert _pos(nodes["U2.1"])[0] > _pos(nodes["U1.1"])[0]


def test_collapse_threshold_is_exclusive():
    net = compile_network(RAC(2, 2, 2, 4))
    n = drawn_nodes(net)
    assert "collapsed view" not in to_dot(net, max_nodes=n)
    assert "collapsed view" in to_dot(net, max_nodes=n - 1)
    assert "collapsed view" not in to_dot(net, collapse=False, max_nodes=1)
    assert "collapse=True" in to_dot(net, collapse=True)


def test_collapsed_edges_count_parallel_bonds_and_cuts():
    text = _dot("rac_d2_T4_collapsed")
    assert '"U2.1" -- "U3.1" [color="#d62728"' in text
    assert "3 ×2\\n2/2 cut" in text
    assert '"S1" -- "U1.1" [label="3 ×4"];' in text


def test_hand_built_network_gets_generic_layout():
    text = to_dot(_hand_built(), max_nodes=1)
    assert "layout=dot" in text and "rankdir=LR" in text
    assert "not collapsed" in text


# ----------------------------------------------------------------- errors
def test_to_dot_errors():
    net = compile_network(RAC(2, 2, 2, 4))
    with pytest.raises(SpecError, match="needs a tnrnn Network; got RAC"):
        to_dot(RAC(2, 2, 2, 4))
    with pytest.raises(SpecError, match=r"collapse must be one of \('auto', True, False\); got 'yes'"):
        to_dot(net, collapse="yes")
    with pytest.raises(SpecError, match="collapse must be one of"):
        to_dot(net, collapse=1)
    with pytest.raises(SpecError, match="max_nodes must be an integer >= 1; got 0"):
        to_dot(net, max_nodes=0)
    with pytest.raises(SpecError, match=r"not in the network: \['h9.9#0'\]"):
        to_dot(net, highlight={"h9.9#0"})
    with pytest.raises(SpecError, match="highlight must be an iterable of index names"):
        to_dot(net, highlight=5)
    with pytest.raises(PartitionError, match="covers 6 steps but the length is T=4"):
        to_dot(net, partition=start_end(6))
    with pytest.raises(PartitionError, match="partition must be one of"):
        to_dot(net, partition="halves")
    with pytest.raises(SpecError, match="collapsed view needs a network compiled"):
        to_dot(_hand_built(), collapse=True)
    no_time = Network((Tensor("A", ("y",)),), {"y": 2}, (Leg("y", "output", None),))
    with pytest.raises(SpecError, match="a partition needs a network whose input legs"):
        to_dot(no_time, partition="start-end")


def test_render_format_errors(tmp_path):
    with pytest.raises(SpecError, match=r"x.gif': the suffix '.gif' is not a format tnrnn "
                                        r"writes; allowed: .svg, .png, .pdf, .dot"):
        render("graph g {}", tmp_path / "x.gif")
    with pytest.raises(OutputPathError, match=r"has the suffix '.svg' but format is 'png': "
                                              r"they must agree"):
        render("graph g {}", tmp_path / "x.svg", format="png")
    assert not (tmp_path / "x.svg").exists()
    with pytest.raises(SpecError, match="format must be one of .*got 'jpeg'"):
        render("graph g {}", tmp_path / "x.png", format="jpeg")
    with pytest.raises(SpecError, match="cannot tell the format of"):
        render("graph g {}", tmp_path / "noext")
    with pytest.raises(SpecError, match="dot_text must be a str"):
        render(compile_network(TTRNN(2, 2, 2)), tmp_path / "x.svg")
    assert FORMATS == ("svg", "png", "pdf", "dot")


def test_missing_dot_binary(tmp_path, monkeypatch):
    import tnrnn.render.output as output

    monkeypatch.setattr(output.shutil, "which", lambda name: None)
    with pytest.raises(MissingDependencyError, match="apt-get install graphviz"):
        render("graph g {}", tmp_path / "x.svg")
    # DOT text itself needs no binary.
    p = draw(compile_network(TTRNN(2, 2, 2)), tmp_path / "x.dot")
    assert p.read_text().startswith("graph tnrnn {")


def test_dot_format_writes_text_and_loads_no_graphviz(tmp_path):
    code = ("import sys; from tnrnn.circuit import RAC; "
            "from tnrnn.compile import compile_network; from tnrnn.render import draw; "
            f"draw(compile_network(RAC(2, 2, 2, 3)), {str(tmp_path / 'a.txt')!r}, format='dot'); "
            "print('graphviz' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
    assert (tmp_path / "a.txt").read_text() == to_dot(compile_network(RAC(2, 2, 2, 3)))


# -------------------------------------------------------------- rendering
def _png_size(path: pathlib.Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@needs_dot
def test_svg_parses_and_names_nodes(tmp_path):
    net = compile_network(RAC(2, 2, 2, 3))
    p = draw(net, tmp_path / "d2.svg", partition="A:1", highlight={"h1.2#0"},
             caption="cut")
    assert p == tmp_path / "d2.svg"
    root = ET.parse(p).getroot()
    assert root.tag == f"{SVG}svg"
    titles = {e.text for e in root.iter(f"{SVG}title")}
    assert {t.name for t in net.tensors} <= titles
    assert "leg:x1#2" in titles and "leg:y" in titles
    assert "H2.2#0--D1.2#0" in titles  # edges are titled "a--b"
    texts = " ".join(e.text or "" for e in root.iter(f"{SVG}text"))
    assert "cut" in texts and "x1#2" in texts
    strokes = {e.get("stroke") for e in root.iter(f"{SVG}path")}
    assert "#d62728" in strokes


@needs_dot
def test_collapsed_svg(tmp_path):
    p = draw(compile_network(RAC(3, 2, 2, 6)), tmp_path / "big.svg")
    root = ET.parse(p).getroot()
    titles = {e.text for e in root.iter(f"{SVG}title")}
    assert {"U1.1", "U6.3", "S1", "X1", "O"} <= titles
    assert "D1.1#0" not in titles
    texts = " ".join(e.text or "" for e in root.iter(f"{SVG}text"))
    assert "collapsed view" in texts and "× 21 copies" in texts


@needs_dot
@pytest.mark.parametrize("name, low, high", [
    ("rac_d1_T4_start_end", (600, 150), (2000, 800)),
    ("rac_d2_T3_cp", (500, 500), (2000, 2000)),
    ("rac_d2_T4_collapsed", (600, 250), (2500, 1200)),
])
def test_png_has_plausible_size(tmp_path, name, low, high):
    p = render(_dot(name), tmp_path / f"{name}.png")
    w, h = _png_size(p)
    assert low[0] <= w <= high[0] and low[1] <= h <= high[1], (w, h)


@needs_dot
def test_pdf_and_explicit_format(tmp_path):
    p = render(_dot("ttrnn_T3"), tmp_path / "chain.out", format="pdf")
    assert p.read_bytes()[:5] == b"%PDF-"
    p = render(_dot("ttrnn_T3"), tmp_path / "chain.SVG")
    assert ET.parse(p).getroot().tag == f"{SVG}svg"
    with pytest.raises(OutputPathError, match=r"the folder '.*sub' does not exist"):
        render(_dot("ttrnn_T3"), tmp_path / "sub" / "chain.svg")
    assert not (tmp_path / "sub").exists()  # no folder the user did not ask for


@needs_dot
def test_bad_dot_text_is_reported(tmp_path):
    with pytest.raises(SpecError, match="Graphviz could not render the DOT text"):
        render("graph g { a -- }", tmp_path / "bad.svg")
