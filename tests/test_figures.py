"""Paper figures (``tnrnn.render.figures``), made once in quick mode.

Checks the files (PNG size from its header, SVG as XML, CSV columns), the
certified ranks in the CSVs against the bounds recomputed independently by
``tnrnn.bounds.all_bounds``, and that matplotlib is only imported when a
figure is drawn.
"""
import csv
import pathlib
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tnrnn.bounds import all_bounds
from tnrnn.circuit import RAC
from tnrnn.errors import SpecError
from tnrnn.render import figures as F

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz 'dot' binary not installed")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLUMNS = {"rank_vs_length": F.RANK_COLUMNS, "networks": F.NETWORK_COLUMNS,
           "continuous_vs_onehot": F.RANK_COLUMNS, "mincut_gap": F.GAP_COLUMNS}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    calls = []
    paths = F.make_figures(out, quick=True, progress=lambda *a: calls.append(a))
    return out, paths, calls


def _stem(out: pathlib.Path, name: str) -> pathlib.Path:
    return out / f"fig{F.FIGURES.index(name) + 1}_{name}"


def _rows(out, name) -> list:
    with open(_stem(out, name).with_suffix(".csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def _png_size(path: pathlib.Path) -> tuple:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def test_every_file_is_written_and_returned(made):
    out, paths, _ = made
    for name in F.FIGURES:
        for suffix in (".png", ".svg", ".csv"):
            path = _stem(out, name).with_suffix(suffix)
            assert path in paths and path.stat().st_size > 0
    assert (out / "README.md") in paths
    assert all(p.exists() for p in paths)
    readme = (out / "README.md").read_text()
    assert all(f"fig{i}_{n}.png" in readme for i, n in enumerate(F.FIGURES, 1))


@pytest.mark.parametrize("name", F.FIGURES)
def test_png_has_the_fixed_pixel_size(made, name):
    out, _, _ = made
    path = _stem(out, name).with_suffix(".png")
    assert _png_size(path) == F.pixel_size(name)
    assert path.stat().st_size > 20_000  # drawn, not blank


@pytest.mark.parametrize("name", F.FIGURES)
def test_svg_parses_and_has_no_date(made, name):
    out, _, _ = made
    path = _stem(out, name).with_suffix(".svg")
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<dc:date>" not in path.read_text()


@pytest.mark.parametrize("name", F.FIGURES)
def test_csv_has_the_expected_columns(made, name):
    out, _, _ = made
    with open(_stem(out, name).with_suffix(".csv"), newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == COLUMNS[name]
    assert _rows(out, name)


def _ranked(out) -> list:
    """(figure, row, inputs) for every CSV row holding a certified rank."""
    found = []
    for name in F.FIGURES:
        for row in _rows(out, name):
            if row["rank"] != "":
                found.append((name, row, row.get("inputs", "continuous")))
    return found


def test_certified_ranks_respect_every_proved_bound(made):
    out, _, _ = made
    ranked = _ranked(out)
    assert len(ranked) > 40
    for name, row, inputs in ranked:
        spec = RAC(int(row["depth"]), int(row["R"]), int(row["M"]), int(row["T"]))
        rank = int(row["rank"])
        assert row["complete"] == "True", (name, row)
        checked = 0
        for b in all_bounds(spec, inputs=inputs):
            if b.kind == "upper" and b.status in ("theorem", "derived"):
                assert rank <= b.value, (name, row, b)
                checked += 1
            if b.kind == "lower" and b.status == "theorem":
                assert rank >= b.value, (name, row, b)
        assert checked >= 2
        assert row["consistent"] == "True"


@pytest.mark.parametrize("name", ["rank_vs_length", "continuous_vs_onehot"])
def test_bound_columns_equal_all_bounds(made, name):
    out, _, _ = made
    for row in _rows(out, name):
        spec = RAC(int(row["depth"]), int(row["R"]), int(row["M"]), int(row["T"]))
        want = {b.name.replace("-", "_"): str(b.value)
                for b in all_bounds(spec, inputs=row["inputs"])}
        got = {c: row[c] for c in F.BOUND_COLUMNS if row[c] != ""}
        assert got == want


def test_gap_columns_are_min_cut_over_u_sym(made):
    out, _, _ = made
    rows = _rows(out, "mincut_gap")
    for row in rows:
        cut, us = int(row["min_cut"]), int(row["u_sym"])
        assert float(row["gap_log2"]) == pytest.approx(
            float(row["log2_min_cut"]) - float(row["log2_u_sym"]), abs=1e-5)
        assert cut == int(row["R"]) ** (int(row["cut_bonds"]) + int(row["cut_legs"]))
        assert us >= 1
    # docs/theory.md: at depth 2 with M >= R the cheapest cut crosses T/2 + 1 bonds.
    d2 = [r for r in rows if r["depth"] == "2" and int(r["T"]) >= 4]
    assert all(int(r["min_cut"]) == int(r["R"]) ** (int(r["T"]) // 2 + 1) for r in d2)


def test_known_values_appear(made):
    """docs/theory.md section 5 check values."""
    out, _, _ = made
    fig1 = {(r["depth"], r["T"]): int(r["rank"]) for r in _rows(out, "rank_vs_length")}
    assert fig1["2", "8"] == 10 and fig1["1", "8"] == 2
    fig3 = {(r["depth"], r["R"], r["T"], r["inputs"]): int(r["rank"])
            for r in _rows(out, "continuous_vs_onehot")}
    assert fig3["2", "4", "4", "continuous"] == 40
    assert fig3["2", "4", "4", "one-hot"] == 16
    assert fig3["2", "4", "8", "one-hot"] == fig3["2", "4", "8", "continuous"] == 140
    nets = {r["panel"]: r for r in _rows(out, "networks")}
    assert (nets["a"]["min_cut"], nets["a"]["rank"]) == ("2", "2")
    assert (nets["b"]["min_cut"], nets["b"]["u_sym"], nets["b"]["rank"]) == ("8", "6", "6")


def test_network_panels_keep_their_dot_source(made):
    out, paths, _ = made
    dots = sorted(p for p in paths if p.suffix == ".dot")
    assert [p.name for p in dots] == ["fig2_networks_deep.dot", "fig2_networks_mps.dot"]
    assert all(p.read_text().startswith("graph tnrnn {") for p in dots)


def test_progress_counts_up_to_a_fixed_total(made):
    _, _, calls = made
    totals = {total for _, total, _ in calls}
    assert len(totals) == 1
    total = totals.pop()
    assert [done for done, _, _ in calls] == list(range(1, total + 1))
    assert all(isinstance(label, str) and label for *_, label in calls)


def test_one_figure_alone_is_reproducible(tmp_path, made):
    """The figure made alone has the same bytes as the one the whole set made."""
    out, _, _ = made
    a = F.fig_mincut_gap(tmp_path / "a", quick=True)
    assert [p.name for p in a] == ["fig4_mincut_gap.png", "fig4_mincut_gap.svg",
                                   "fig4_mincut_gap.csv"]
    for pa in a:
        if pa.suffix in (".csv", ".svg"):
            assert pa.read_bytes() == (out / pa.name).read_bytes(), pa.name


def test_a_contradiction_is_reported_not_hidden():
    bounds = all_bounds(RAC(2, 3, 3, 8))
    assert F._violations(bounds, 45) == []
    bad = F._violations(bounds, 46)
    assert any("u-sym = 45" in v for v in bad)
    assert any("theorem lower bound depth2-lower = 15" in v
               for v in F._violations(bounds, 14))
    with pytest.warns(RuntimeWarning, match="contradicts a bound"):
        F._check("test", bounds, 46)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(SpecError, match="progress must be None or a callable"):
        F.make_figures(tmp_path, progress="bar")
    with pytest.raises(SpecError, match="seed must be a non-negative integer; got -1"):
        F.fig_rank_vs_length(tmp_path, seed=-1)
    with pytest.raises(SpecError, match="quick must be True or False; got 'yes'"):
        F.fig_networks(tmp_path, quick="yes")
    with pytest.raises(SpecError, match="figure must be one of"):
        F.pixel_size("fig9")


@pytest.mark.parametrize("module", ["tnrnn.render", "tnrnn.render.figures"])
def test_importing_does_not_load_matplotlib(module):
    code = (f"import sys, {module}; "
            f"print([m for m in sys.modules if m.split('.')[0] == 'matplotlib'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
