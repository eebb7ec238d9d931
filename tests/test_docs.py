"""The documentation builds, says what it should, and refers to nothing
outside the repository.

The build is the one ``make docs`` runs (Sphinx, ``-W --keep-going``: any
warning is an error), into a temporary folder. It needs the ``docs`` extra;
without it these tests are skipped.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# The sections module docstrings cite as "docs/theory.md section N".
THEORY_SECTIONS = {
    1: "Recurrent arithmetic circuits",
    2: "Separation rank",
    3: "Exact ranks and certificates",
    4: "Tensor networks",
    5: "Bounds",
    6: "Related analyses",
}


def _text_files(*paths):
    for path in paths:
        path = ROOT / path
        if path.is_file():
            yield path
            continue
        for p in sorted(path.rglob("*")):
            if (p.is_file() and "_build" not in p.parts and "__pycache__" not in p.parts
                    and p.suffix not in (".png", ".pyc", ".npy", ".npz")):
                yield p


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("sphinx", "numpydoc", "myst_parser", "sphinx_click", "furo"):
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("docs")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"the documentation does not build without warnings "
        f"(exit {proc.returncode}):\n{proc.stderr[-6000:]}")
    return out / "html"


def _page(site: Path, name: str) -> str:
    """The built page's HTML, whitespace collapsed."""
    path = site / name
    assert path.is_file(), f"{name} was not built"
    return re.sub(r"\s+", " ", _read(path))


def _text(site: Path, name: str) -> str:
    """The built page's text: tags removed, entities decoded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", _page(site, name))))


def test_site_builds_with_expected_pages(site):
    for name in ("index.html", "install.html", "theory.html", "cli.html", "figures.html",
                 "api/index.html", "api/tnrnn.html", "api/bounds.html", "api/rank.html",
                 "genindex.html", "py-modindex.html"):
        assert (site / name).is_file(), name


def test_theory_page_has_its_numbered_sections_and_statuses(site):
    text = _text(site, "theory.html")
    for number, title in THEORY_SECTIONS.items():
        assert f"{number}. {title}" in text, (number, title)
    for word in ("theorem", "derived", "empirical", "conjecture", "Schwartz-Zippel",
                 "min(M, R)", "as stated in", "failure_probability"):
        assert word in text, word


def test_api_pages_are_generated_from_docstrings(site):
    # Object descriptions carry the full dotted name as their HTML id.
    assert 'id="tnrnn.bounds.all_bounds"' in _page(site, "api/bounds.html")
    assert 'id="tnrnn.rank.separation_rank"' in _page(site, "api/rank.html")
    top = _page(site, "api/tnrnn.html")
    assert 'id="tnrnn.RAC"' in top and 'id="tnrnn.compile_network"' in top
    # a submodule's docstring appears on its package's page
    assert 'id="module-tnrnn.bounds.closed_forms"' in _page(site, "api/bounds.html")


def test_cli_reference_lists_every_command(site):
    from tnrnn.cli import cli

    text = _text(site, "cli.html")
    for name in cli.commands:
        assert f"tnrnn {name} [OPTIONS]" in text, name
    assert "--partition" in text  # options are typed as-is (no smart dashes)


def test_figures_page_shows_every_committed_figure(site):
    pngs = sorted(p.name for p in (ROOT / "figures").glob("*.png"))
    assert pngs
    page = _page(site, "figures.html")
    for name in pngs:
        assert (site / "_images" / name).is_file(), name
        assert f"_images/{name}" in page, name


def test_no_file_refers_outside_the_repository():
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in _text_files("README.md", "tnrnn", "docs")
           for i, line in enumerate(_read(p).splitlines(), 1)
           if "../shared" in line or "/work/shared" in line]
    assert not bad, f"references outside the repository: {bad}"


def test_docstrings_cite_existing_theory_sections_and_pages():
    theory = _read(DOCS / "theory.md")
    headings = set(re.findall(r"^## (\d+)\. ", theory, flags=re.M))
    assert headings == {str(n) for n in THEORY_SECTIONS}
    for number, title in THEORY_SECTIONS.items():
        assert re.search(rf"^## {number}\. {title}", theory, flags=re.M), title
    cited = []
    for p in _text_files("README.md", "tnrnn", "docs"):
        text = _read(p)
        for m in re.finditer(r"docs/theory\.md(?:``)?,? sections? (\d+)(?:-(\d+))?", text):
            cited += [(p, int(n)) for n in m.groups() if n]
        for m in re.finditer(r"docs/([\w/-]+\.md)", text):
            assert (DOCS / m.group(1)).is_file(), f"{p.relative_to(ROOT)} cites docs/{m.group(1)}"
    assert cited, "no docstring cites a section of docs/theory.md"
    for p, n in cited:
        assert 1 <= n <= len(THEORY_SECTIONS), f"{p.relative_to(ROOT)} cites section {n}"
