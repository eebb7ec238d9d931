"""The import rules of the package, checked from the source (``ast``).

``pyproject.toml``'s import-linter contracts check the layers, the forbidden
third-party imports (no jax, optax, dask, distributed or plotting in the
exact core; no plotting or terminal UI below the presentation layer) and the
cycles between the sibling modules of a package. This file

- checks what import-linter cannot express: no private module or private
  name (a component or name starting with ``_``) imported from outside the
  package that owns it;
- re-checks the cycles between sibling modules from the source, with
  function-level imports included, and keeps its list of known cycles equal
  to the contract's ``ignore_imports``;
- proves that the contracts fail when broken: ``lint-imports`` on a copy of
  the package with ``import dask`` added to ``tnrnn.rank``, ``import
  matplotlib`` added to ``tnrnn.bounds`` and a cycle added to
  ``tnrnn.bounds``; and the ``ast`` checks on a small made-up package.

Known cases in packages outside the exact wing are listed below with their
reason; a case that is fixed makes the test warn until its entry is removed
(here and in ``pyproject.toml``).
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "tnrnn"

#: Import cycles between sibling modules known today, as the import (importer
#: -> imported) that breaks each one, with the reason it is still there. The
#: same imports are the ``ignore_imports`` of the acyclic contract in
#: ``pyproject.toml``. Remove an entry (both places) when its cycle is gone.
KNOWN_CYCLE_IMPORTS: dict = {}

#: Plotting or terminal-UI imports below the presentation layer known today
#: (the ``ignore_imports`` of the plotting contract in ``pyproject.toml``).
KNOWN_PRESENTATION_IMPORTS: dict = {}

#: Private modules or names imported across packages, known today, as
#: (importer, imported module, name or None) with the reason.
KNOWN_PRIVATE_IMPORTS: dict[tuple[str, str, str | None], str] = {
    ("tnrnn.cli._dynamics_common", "tnrnn.dynamics._core", None):
        "check_float, check_seed, refuse_if_over and step_cost are not public in "
        "tnrnn.dynamics; the CLI reaches them from this module only (owners: cli, dynamics)",
}


# --------------------------------------------------------------------------
# Reading the imports of a package from its source
# --------------------------------------------------------------------------

def module_table(src: Path, package: str = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is_package)}`` for every module of ``package``
    found under the folder ``src`` (which holds the package folder)."""
    table = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        table[".".join(parts)] = (path, is_pkg)
    return table


def imports_of(name: str, path: Path, is_pkg: bool, table) -> list[tuple[str, str | None, int]]:
    """Every import in the module (function-level ones included) as
    ``(imported module, imported name or None, line)``; ``from m import x``
    where ``m.x`` is a module counts as an import of the module ``m.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = name if is_pkg else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in table:
                    out.append((full, None, node.lineno))
                else:
                    out.append((base, alias.name, node.lineno))
    return out


def all_imports(table) -> list[tuple[str, str, str | None, int]]:
    """``(importer, imported module, name, line)`` for every module."""
    rows = []
    for name, (path, is_pkg) in table.items():
        rows.extend((name, mod, what, line) for mod, what, line in imports_of(name, path, is_pkg, table))
    return rows


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def private_import_violations(table) -> list[tuple[str, str, str | None, int, str]]:
    """Imports of a private module, or of a private name, from outside the
    package that owns it: ``(importer, module, name, line, owner)``.

    The owner of ``a.b._c.d`` is ``a.b``; the owner of the name ``_x`` of
    module ``a.b.m`` is the package ``a.b`` (of package ``a.b``: ``a.b``).
    Code inside the owner may use it."""
    out = []
    for importer, module, what, line in all_imports(table):
        if not _inside(module, PACKAGE) and module.split(".")[0] != PACKAGE:
            continue
        parts = module.split(".")
        owner = next((".".join(parts[:i]) for i in range(1, len(parts)) if _is_private(parts[i])),
                     None)
        if owner is not None and not _inside(importer, owner):
            out.append((importer, module, None, line, owner))
            continue
        if what is not None and _is_private(what):
            is_pkg = table.get(module, (None, False))[1]
            owner = module if is_pkg else module.rpartition(".")[0]
            if not _inside(importer, owner):
                out.append((importer, module, what, line, owner))
    return out


def sibling_edges(table, ignore=(), rows=None) -> dict[str, dict[tuple[str, str], list]]:
    """For every package, the imports between its children (a child stands
    for itself and everything inside it): ``{package: {(child, child):
    [(importer, imported), ...]}}``; imports in ``ignore`` are left out.
    ``rows`` are the imports of :func:`all_imports` (read when not given)."""
    ignore = set(ignore)
    packages = [n for n, (_, is_pkg) in table.items() if is_pkg]
    out: dict = {p: {} for p in packages}
    for importer, module, _what, _line in (all_imports(table) if rows is None else rows):
        if module not in table or (importer, module) in ignore:
            continue
        for pkg in packages:
            if not (importer.startswith(pkg + ".") and module.startswith(pkg + ".")):
                continue
            depth = pkg.count(".") + 1
            a = ".".join(importer.split(".")[:depth + 1])
            b = ".".join(module.split(".")[:depth + 1])
            if a != b:
                out[pkg].setdefault((a, b), []).append((importer, module))
    return out


def sibling_cycles(table, ignore=(), rows=None) -> list[tuple[str, list[str], list]]:
    """The cycles between sibling modules: ``(package, children in one
    strongly connected component, the imports between them)``."""
    found = []
    for pkg, edges in sorted(sibling_edges(table, ignore, rows).items()):
        graph: dict[str, set[str]] = {}
        for a, b in edges:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set())
        for comp in _strongly_connected(graph):
            if len(comp) > 1:
                inside = sorted(imp for (a, b), imps in edges.items()
                                if a in comp and b in comp for imp in imps)
                found.append((pkg, sorted(comp), sorted(set(inside))))
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm (iterative)."""
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                comps.append(comp)
    return comps


# --------------------------------------------------------------------------
# The rules on the package itself
# --------------------------------------------------------------------------

@pytest.fixture
def table():
    return module_table(REPO)


def test_module_table_reads_the_package(table):
    assert "tnrnn.rank.routines" in table and table["tnrnn.rank"][1] is True
    assert "tnrnn.bounds.treecut" in table and table["tnrnn.bounds.treecut"][1] is False


def test_no_private_imports_across_packages(table):
    found = private_import_violations(table)
    new = [v for v in found if v[:3] not in KNOWN_PRIVATE_IMPORTS]
    msg = "\n".join(f"  {imp} (line {line}) imports {mod}{'.' + name if name else ''}, "
                    f"private to {owner}" for imp, mod, name, line, owner in new)
    assert not new, ("private modules or names imported from outside the package that owns "
                     "them (use a public name or the package-level API):\n" + msg)
    stale = set(KNOWN_PRIVATE_IMPORTS) - {v[:3] for v in found}
    if stale:
        warnings.warn(f"known private imports no longer present; remove them from "
                      f"KNOWN_PRIVATE_IMPORTS: {sorted(stale)}")


def test_no_import_cycles_between_sibling_modules(table):
    rows = all_imports(table)
    cycles = sibling_cycles(table, ignore=KNOWN_CYCLE_IMPORTS, rows=rows)
    msg = "\n".join(f"  in {pkg}: {' <-> '.join(c.rpartition('.')[2] for c in comp)} via "
                    + ", ".join(f"{a} -> {b}" for a, b in imps) for pkg, comp, imps in cycles)
    assert not cycles, "import cycles between the sibling modules of a package:\n" + msg
    # each known cycle is still a cycle (else its entry is stale)
    for edge in KNOWN_CYCLE_IMPORTS:
        without = sibling_cycles(table, ignore=set(KNOWN_CYCLE_IMPORTS) - {edge}, rows=rows)
        if not any(edge in imps for _, _, imps in without):
            warnings.warn(f"the known cycle import {edge[0]} -> {edge[1]} no longer closes a "
                          f"cycle; remove it from KNOWN_CYCLE_IMPORTS and pyproject.toml")


def _contracts():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_contract_config_says_what_it_means():
    contracts = {c["name"]: c for c in _contracts()}
    core = next(c for name, c in contracts.items() if name.startswith("The exact core"))
    assert core["type"] == "forbidden"
    assert {"jax", "optax", "dask", "distributed", "matplotlib", "graphviz"} <= set(
        core["forbidden_modules"])
    assert {"tnrnn.rank", "tnrnn.bounds", "tnrnn.circuit", "tnrnn.network", "tnrnn.compile",
            "tnrnn.partition", "tnrnn.errors"} <= set(core["source_modules"])
    assert not core.get("ignore_imports")
    ui = next(c for name, c in contracts.items() if name.startswith("Plotting and terminal UI"))
    presentation = {"tnrnn.cli", "tnrnn.render", "tnrnn.benchmark"}
    below = {n.split(".")[1] for n in module_table(REPO) if n.count(".") >= 1}
    below = {f"tnrnn.{b}" for b in below} - presentation
    assert below <= set(ui["source_modules"]), below - set(ui["source_modules"])
    assert {"matplotlib", "graphviz", "rich", "click"} <= set(ui["forbidden_modules"])
    listed = {tuple(s.replace(" ", "").split("->")) for s in ui.get("ignore_imports", [])}
    assert listed == set(KNOWN_PRESENTATION_IMPORTS), sorted(listed ^ set(KNOWN_PRESENTATION_IMPORTS))
    acyclic = next(c for c in _contracts() if c["type"] == "acyclic_siblings")
    assert acyclic["ancestors"] == ["tnrnn"]
    listed = {tuple(s.replace(" ", "").split("->")) for s in acyclic.get("ignore_imports", [])}
    assert listed == set(KNOWN_CYCLE_IMPORTS), (
        "the acyclic contract's ignore_imports and KNOWN_CYCLE_IMPORTS differ: "
        f"{sorted(listed ^ set(KNOWN_CYCLE_IMPORTS))}")


def test_lint_imports_fails_when_the_rules_are_broken(tmp_path):
    """A copy of the package with three breaches: each contract named fails."""
    lint = Path(sys.executable).parent / "lint-imports"
    if not lint.exists():
        pytest.skip("lint-imports is not installed")
    shutil.copytree(REPO / PACKAGE, tmp_path / PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")

    def run():
        return subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True,
                              text=True, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                              timeout=120)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with open(tmp_path / PACKAGE / "rank" / "checks.py", "a", encoding="utf-8") as fh:
        fh.write("\nimport dask  # breach\n")
    with open(tmp_path / PACKAGE / "bounds" / "symbolic.py", "a", encoding="utf-8") as fh:
        fh.write("\n\ndef _draw():\n    import matplotlib  # breach\n")
    with open(tmp_path / PACKAGE / "bounds" / "_records.py", "a", encoding="utf-8") as fh:
        fh.write("\n\ndef _cycle():\n    from . import collect  # breach\n")
    broken = run()
    out = " ".join((broken.stdout + broken.stderr).split())
    assert broken.returncode != 0, out
    assert "tnrnn.rank is not allowed to import dask" in out
    assert "tnrnn.bounds is not allowed to import matplotlib" in out
    assert "No cycles are allowed in tnrnn.bounds" in out
    for name in ("The exact core and the tasks import no jax, optax, dask or plotting BROKEN",
                 "No import cycles between the sibling modules of a package BROKEN"):
        assert name in out, name
    assert "presentation layer (cli, render, benchmark) BROKEN" in out


# --------------------------------------------------------------------------
# The ast checks catch what they are meant to catch (a made-up package)
# --------------------------------------------------------------------------

def _make_package(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / PACKAGE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_ast_checks_find_private_imports_and_cycles(tmp_path):
    _make_package(tmp_path, {
        "__init__.py": "",
        "_io.py": "def probe(): pass\n",
        "a/__init__.py": "from ._impl import helper\n",
        "a/_impl.py": "def helper(): pass\n_secret = 1\n",
        "a/public.py": "from ._impl import _secret\nfrom .. import _io\n",  # inside owners
        "b/__init__.py": "",
        "b/x.py": ("from ..a._impl import helper\n"            # private module across packages
                   "def f():\n    from tnrnn.a.public import _hidden\n"  # private name, function-level
                   "    from . import y\n"),
        "b/y.py": "from .x import f\n",                       # cycle x <-> y
        "b/z.py": "from .y import f\n",
    })
    table = module_table(tmp_path)
    found = {(imp, mod, name) for imp, mod, name, _line, _owner in private_import_violations(table)}
    assert found == {("tnrnn.b.x", "tnrnn.a._impl", None),
                     ("tnrnn.b.x", "tnrnn.a.public", "_hidden")}
    cycles = sibling_cycles(table)
    assert [(pkg, comp) for pkg, comp, _ in cycles] == [("tnrnn.b", ["tnrnn.b.x", "tnrnn.b.y"])]
    assert cycles[0][2] == [("tnrnn.b.x", "tnrnn.b.y"), ("tnrnn.b.y", "tnrnn.b.x")]
    assert sibling_cycles(table, ignore={("tnrnn.b.x", "tnrnn.b.y")}) == []
