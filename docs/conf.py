"""Sphinx configuration for the tnrnn documentation (``make docs``).

The site is MyST markdown (``docs/*.md``), the API reference generated from
the NumPy-style docstrings (autodoc + numpydoc, ``docs/api/*.rst``) and the
command-line reference (sphinx-click, ``docs/cli.md``). ``make docs`` builds
it with ``-W --keep-going``: every warning is an error.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import sys
from importlib.metadata import PackageNotFoundError, version as _version

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.domains.python import PythonDomain
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

# Build from this source tree even when tnrnn is not installed.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

project = "tnrnn"
author = "the tnrnn authors"
copyright = "the tnrnn authors (MIT licence)"
try:
    release = _version("tnrnn")
except PackageNotFoundError:  # pragma: no cover - source tree without metadata
    release = "0.0.0+unknown"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    # No sphinx.ext.viewcode: its highlighted copy of every module, each with
    # the theme's navigation, took about a quarter of the build time; the
    # source is in the repository.
    "numpydoc",
    "myst_parser",
    "sphinx_click",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# Keep "--flag" as typed: command examples must stay copy-pasteable.
smartquotes = False
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- MyST (the prose pages) -------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
# Markdown headings get anchors, so pages can link to "theory.md#5-bounds".
myst_heading_anchors = 3

# -- autodoc / numpydoc (the API pages) --------------------------------------
# API pages are reStructuredText (docs/api/*.rst): module docstrings with an
# "Examples" section are then plain sections, not explicit labels that clash
# from page to page. Every automodule states its options itself.
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_member_order = "bysource"
# Methods that override a standard-library method without a docstring of
# their own (concurrent.futures.Executor.submit, ...) would show the
# library's docstring, which is not reST; tnrnn documents its own methods.
autodoc_inherit_docstrings = False
# One listing of a class's members (autodoc's) is enough.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Docstring style is reviewed, not enforced here; reST errors still fail.
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False
# A reference that does not resolve renders as plain code text.
nitpicky = False

# -- HTML --------------------------------------------------------------------
html_theme = "furo"
html_title = f"tnrnn {release}"
html_show_sourcelink = False
html_static_path: list[str] = []


# -- two small extensions ------------------------------------------------------
class _PythonDomain(PythonDomain):
    """The Python domain, except that two re-exports of one class are no clash.

    autodoc gives a class documented under a public name (``tnrnn.Bound``)
    the ``:canonical:`` alias of where it is defined
    (``tnrnn.bounds._records.Bound``). When the class is re-exported by two
    documented packages (``tnrnn`` and ``tnrnn.bounds``), both register that
    alias, and the stock domain reports a duplicate object description. Two
    aliases of one object are not a conflict: the first is kept. Every other
    duplicate (two real descriptions of one name) is still reported.
    """

    def note_object(self, name, objtype, node_id, aliased=False, location=None):
        other = self.objects.get(name)
        if aliased and other is not None and other.aliased:
            return
        super().note_object(name, objtype, node_id, aliased=aliased, location=location)


class SubmodulesDirective(SphinxDirective):
    """``.. tnrnn-submodules:: tnrnn.bounds``: one section per public submodule.

    Each section shows the submodule's docstring (``automodule`` without
    members: the package page documents the public names once). Submodules
    are found at build time, so a module added to a package appears without
    editing the page; names starting with ``_`` are private and skipped.
    """

    required_arguments = 1
    has_content = False

    def run(self):
        package = importlib.import_module(self.arguments[0])
        names = sorted(m.name for m in pkgutil.iter_modules(getattr(package, "__path__", [])))
        lines: list[str] = ["Modules", "-------", ""]
        for name in names:
            if name.startswith("_"):
                continue
            full = f"{package.__name__}.{name}"
            title = f"``{full}``"
            lines += [title, "~" * len(title), "", f".. automodule:: {full}"]
            # Guard: should a package ever export a function named like one of
            # its public modules, the function keeps the name's target (no
            # module shadows a name today: tnrnn.cells' modules are private).
            module = importlib.import_module(full)
            if getattr(package, name, module) is not module:
                lines.append("   :no-index:")
            lines.append("")
        if len(lines) == 3:
            return []
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=self.get_source_info()[0]),
                                 container)
        return container.children


class OtherFiguresDirective(SphinxDirective):
    """``tnrnn-other-figures``: every ``figures/*.png`` the page does not show.

    The figures page describes the figures it knows by name; a figure that
    another command adds to ``figures/`` later still appears, under the
    title of the ``figures/README.md`` section whose text names its file
    (or under its file name).
    """

    has_content = False

    def run(self):
        root = os.path.abspath(os.path.join(self.env.srcdir, "..", "figures"))
        page_text = open(self.env.doc2path(self.env.docname),
                         encoding="utf-8").read()
        readme = os.path.join(root, "README.md")
        sections = _readme_sections(readme) if os.path.exists(readme) else []
        out = []
        names = sorted(f for f in os.listdir(root) if f.endswith(".png")) if os.path.isdir(root) else []
        for name in names:
            if name in page_text:
                continue
            title = next((t for t, body in sections if name in body or
                          name.rsplit(".", 1)[0] + "." in body), name)
            figure = nodes.figure()
            figure += nodes.image(uri=f"../figures/{name}", alt=title, width="100%")
            figure += nodes.caption(text=f"{title} ({name})")
            out.append(figure)
        if not out:
            out.append(nodes.paragraph(text="None at present."))
        return out


def _readme_sections(path):
    """``[(title, body), ...]`` of the ``##`` sections of a markdown file."""
    sections: list = []
    for line in open(path, encoding="utf-8"):
        if line.startswith("## "):
            sections.append([line[3:].strip(), ""])
        elif sections:
            sections[-1][1] += line
    return [tuple(s) for s in sections]


# -- command-line help is terminal text, not reST ------------------------------
_RST_SPECIAL = re.compile(r"([\\*`|_])")


def _literal(text: str) -> str:
    """``text`` with reST inline markup characters escaped: shown as typed."""
    return _RST_SPECIAL.sub(r"\\\1", text)


def _click_description(app, ctx, lines):
    """Show a command's help as ``tnrnn COMMAND --help`` does.

    Click help is written for the terminal, where ``dynamics_*.json`` or
    ``||f(x) - x||`` are plain characters; in reST they would start emphasis
    or a substitution. Escape them; keep sphinx-click's line blocks (``| ``,
    from click's no-rewrap marker) as line blocks.
    """
    for i, line in enumerate(lines):
        if line.startswith("| "):
            lines[i] = "| " + _literal(line[2:])
        else:
            lines[i] = _literal(line)


def _click_options(app, ctx, lines):
    """Escape the help text of each option, not the ``.. option::`` lines
    nor the ``:default:`` / ``:options:`` fields sphinx-click writes."""
    for i, line in enumerate(lines):
        if not line.startswith("    "):
            continue
        body = line[4:]
        if body.startswith((":default:", ":options:")):
            continue
        prefix = ""
        if body.startswith("**Required** "):
            prefix, body = "**Required** ", body[len("**Required** "):]
        if body.startswith("| "):
            prefix, body = prefix + "| ", body[2:]
        lines[i] = "    " + prefix + _literal(body)


def setup(app):
    app.add_domain(_PythonDomain, override=True)
    app.add_directive("tnrnn-submodules", SubmodulesDirective)
    app.add_directive("tnrnn-other-figures", OtherFiguresDirective)
    app.connect("sphinx-click-process-description", _click_description)
    app.connect("sphinx-click-process-options", _click_options)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
