"""Every public callable has a complete numpydoc docstring.

A public callable is a function or class named in the ``__all__`` of a
public module (a dotted path with no component starting with ``_``, outside
``tnrnn.cli``), counted once however many modules export it, under the
package that defines it (its ``__module__`` cut to ``tnrnn.<package>``;
``tnrnn`` for the top-level modules). Parsed with
:class:`numpydoc.docscrape.FunctionDoc` / :class:`~numpydoc.docscrape.ClassDoc`,
its docstring must have

- a ``Parameters`` section naming exactly the signature's parameters
  (``self`` excluded; ``*args`` / ``**kwargs`` as such; for a class, its
  constructor's, dataclass and NamedTuple fields included), when there are any;
- a ``Returns`` (or ``Yields``) section, for functions not annotated ``-> None``;
- an ``Examples`` section with at least one ``>>>`` line (the examples run as
  doctests in the default suite).

Packages in :data:`CHECKED` are enforced; those in :data:`PENDING` are being
completed (their report is printed and the test is an expected failure until
they pass, when they move to ``CHECKED``).
"""
from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: Packages whose public callables are complete, enforced.
CHECKED = [
    "tnrnn",
    "tnrnn.bounds",
    "tnrnn.cells",
    "tnrnn.circuit",
    "tnrnn.compile",
    "tnrnn.contract",
    "tnrnn.network",
    "tnrnn.parallel",
    "tnrnn.partition",
    "tnrnn.rank",
    "tnrnn.errors",
    "tnrnn.render",
    "tnrnn.benchmark",
    "tnrnn.tasks",
    "tnrnn.train",
    "tnrnn.dynamics",
    "tnrnn.linear_rnn",
]

#: Packages being completed by their owners (moved to CHECKED when they pass).
PENDING: list[str] = []


def public_module_names() -> list[str]:
    """Dotted names of the public modules of tnrnn (outside tnrnn.cli)."""
    names = []
    for path in sorted((REPO / "tnrnn").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or parts[:2] == ["tnrnn", "cli"]:
            continue
        names.append(".".join(parts))
    return names


def owner_package(module: str) -> str | None:
    """``tnrnn.<package>`` of a defining module; ``tnrnn`` for top-level
    private modules; ``None`` outside tnrnn."""
    parts = module.split(".")
    if parts[0] != "tnrnn":
        return None
    if len(parts) == 1 or parts[1].startswith("_"):
        return "tnrnn"
    return ".".join(parts[:2])


@functools.lru_cache(maxsize=None)
def public_callables() -> tuple[dict, dict]:
    """``({package: [(qualified name, object), ...]}, {package: [import
    errors]})``, each object once."""
    found: dict[str, list] = {}
    errors: dict[str, list] = {}
    seen: set[int] = set()
    for name in public_module_names():
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # reported under the module's package
            errors.setdefault(owner_package(name), []).append(f"{name}: {exc!r}")
            continue
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr, None)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            pkg = owner_package(getattr(obj, "__module__", "") or "")
            if pkg is None:
                continue
            seen.add(id(obj))
            found.setdefault(pkg, []).append((f"{name}.{attr}", obj))
    return found, errors


def _signature_names(obj) -> list[str] | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):  # e.g. an exception class with no __init__ of its own
        return None
    names = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        if p.kind is p.VAR_POSITIONAL:
            names.append("*" + p.name)
        elif p.kind is p.VAR_KEYWORD:
            names.append("**" + p.name)
        else:
            names.append(p.name)
    return names


def _documented(doc) -> list[str]:
    names = []
    for param in doc["Parameters"]:
        for part in param.name.split(","):
            part = part.strip().replace("\\", "")
            if part:
                names.append(part)
    return names


def _has_example(doc) -> bool:
    return any(line.strip().startswith(">>>") for line in doc["Examples"])


def problems(obj) -> list[str]:
    """What the docstring of ``obj`` lacks (empty when complete)."""
    from numpydoc.docscrape import ClassDoc, FunctionDoc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if inspect.isclass(obj):
            doc = ClassDoc(obj, config={"show_class_members": False})
            if not doc["Parameters"] and obj.__init__.__doc__ and "__init__" in vars(obj):
                init_doc = FunctionDoc(obj.__init__)
                if init_doc["Parameters"]:
                    doc["Parameters"] = init_doc["Parameters"]
        else:
            doc = FunctionDoc(obj)
    out = []
    want = _signature_names(obj)
    got = _documented(doc)
    if want:
        if not got:
            out.append(f"no Parameters section (signature: {', '.join(want)})")
        else:
            missing = [n for n in want if n not in got]
            extra = [n for n in got if n not in want]
            if missing:
                out.append(f"Parameters lacks {', '.join(missing)}")
            if extra:
                out.append(f"Parameters documents {', '.join(extra)}, not in the signature")
    elif got and want is not None:
        out.append(f"Parameters documents {', '.join(got)} but the signature has none")
    if not inspect.isclass(obj):
        ret = inspect.signature(obj).return_annotation
        if ret not in (None, "None") and not (doc["Returns"] or doc["Yields"]):
            out.append("no Returns (or Yields) section")
    if not _has_example(doc):
        out.append("no Examples section with a >>> line")
    return out


def report(package: str) -> list[str]:
    found, errors = public_callables()
    lines = [f"{package}: cannot import {e}" for e in errors.get(package, [])]
    for name, obj in found.get(package, []):
        bad = problems(obj)
        if bad:
            lines.append(f"{name}: " + "; ".join(bad))
    return lines


@pytest.mark.parametrize("package", CHECKED + [
    pytest.param(p, marks=pytest.mark.xfail(reason="docstrings being completed", strict=False))
    for p in PENDING])
def test_public_callables_have_complete_docstrings(package):
    found, _ = public_callables()
    if package in CHECKED:
        assert found.get(package), f"no public callables found for {package}"
    lines = report(package)
    assert not lines, (f"{len(lines)} public callables of {package} have incomplete "
                       f"numpydoc docstrings:\n  " + "\n  ".join(lines))


def test_every_package_is_checked_or_pending():
    found, errors = public_callables()
    unknown = sorted((set(found) | set(errors)) - set(CHECKED) - set(PENDING))
    assert not unknown, f"packages neither in CHECKED nor in PENDING: {unknown}"
    assert not set(CHECKED) & set(PENDING)


def _sample_function(a, b=1, *args, key=None, **kwargs) -> int:
    """A sample.

    Parameters
    ----------
    a, b : int
        Numbers.
    *args
        More.
    key : str, optional
        A key.

    Returns
    -------
    int

    Examples
    --------
    >>> 1
    1
    """


def _sample_without() -> None:
    """Nothing to document but an example, which is missing."""


def test_the_checker_names_what_is_missing():
    assert problems(_sample_function) == ["Parameters lacks **kwargs"]
    assert problems(_sample_without) == ["no Examples section with a >>> line"]

    def undocumented(x, y):
        return x

    assert problems(undocumented) == ["no Parameters section (signature: x, y)",
                                      "no Returns (or Yields) section",
                                      "no Examples section with a >>> line"]
