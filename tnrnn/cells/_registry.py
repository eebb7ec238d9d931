"""The cell registry: names and aliases, option checks and one cell's seeded weights."""

from __future__ import annotations

import numpy as np

from ..errors import SpecError, check_positive_int
from ._cells import ALIASES, CELLS, Cell

__all__ = ["get_cell", "cell_names", "init_cell", "check_cell_options"]

_DTYPES = ("float32", "float64")


def cell_names() -> list[str]:
    """The registry names, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> cell_names()
    ['exprnn', 'gru', 'linear', 'lstm', 'mi-rnn', 'rac', 'relu', 'scornn', 'tanh']
    """
    return sorted(CELLS)


def get_cell(kind: str) -> Cell:
    """The :class:`~tnrnn.cells.Cell` registered under ``kind`` (or an alias).

    Parameters
    ----------
    kind : str
        A registry name or an alias (case-insensitive).

    Returns
    -------
    Cell

    Examples
    --------
    >>> get_cell("lstm").name
    'lstm'
    >>> get_cell("elman").name
    'tanh'
    >>> get_cell("transformer")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown cell kind 'transformer'; valid kinds: exprnn, gru, linear, lstm, mi-rnn, rac, relu, scornn, tanh (aliases: elman, mi, mirnn, scorenn)
    """
    if not isinstance(kind, str):
        raise SpecError(f"cell kind must be a string; got {kind!r}")
    key = ALIASES.get(kind.lower(), kind.lower())
    if key not in CELLS:
        raise SpecError(f"unknown cell kind {kind!r}; valid kinds: {', '.join(cell_names())} "
                        f"(aliases: {', '.join(sorted(ALIASES))})")
    return CELLS[key]


def check_dtype(dtype) -> str:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise SpecError(f"dtype must be one of {', '.join(_DTYPES)}; got {dtype!r}")
    return name


def check_cell_options(kind, options: dict, *, hidden: int | None = None) -> dict:
    """Check a cell's options before anything is built: known names, numbers
    finite (NaN or inf would start training from NaN weights and report the
    untrained network), and each option's range; return them.

    Parameters
    ----------
    kind : str or Cell
    options : dict
    hidden : int, optional
        The width, for options bounded by it (scoRNN's ``negative``).

    Returns
    -------
    dict
        ``options`` itself.

    Examples
    --------
    >>> check_cell_options("rac", {"sigma": 0.01})
    {'sigma': 0.01}
    >>> check_cell_options("scornn", {"negative": 9}, hidden=8)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: scornn option negative must be in [0, 8]; got 9
    """
    import math
    import numbers

    cell = kind if isinstance(kind, Cell) else get_cell(kind)
    bad = sorted(set(options) - set(cell.options))
    if bad:
        raise SpecError(f"cell {cell.name!r} has no option(s) {bad}; allowed: "
                        f"{sorted(cell.options) or 'none'}")
    for name, value in options.items():
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and \
                not math.isfinite(float(value)):
            raise SpecError(f"cell option {name} must be a finite number; got {value!r}")
    if "sigma" in options and not options["sigma"] >= 0:
        raise SpecError(f"cell option sigma must be >= 0; got {options['sigma']!r}")
    if "radius" in options and not options["radius"] > 0:
        raise SpecError(f"cell option radius must be > 0; got {options['radius']!r}")
    if cell.name == "scornn":
        variant = options.get("variant", "tnrnn")
        if variant not in ("tnrnn", "paper"):
            raise SpecError(f"scornn option variant must be 'tnrnn' or 'paper'; got {variant!r}")
        neg = options.get("negative")
        if neg is not None:
            if variant == "paper":
                raise SpecError("scornn option negative cannot be set with variant='paper' "
                                "(the paper's code fixes H - H//2 signs to -1)")
            if isinstance(neg, bool) or not isinstance(neg, numbers.Integral) or \
                    (hidden is not None and not 0 <= neg <= hidden) or neg < 0:
                raise SpecError(f"scornn option negative must be in [0, "
                                f"{hidden if hidden is not None else 'H'}]; got {neg!r}")
    if cell.name == "exprnn" and options.get("init", "henaff") not in ("henaff", "cayley"):
        raise SpecError(f"exprnn option init must be 'henaff' or 'cayley'; got "
                        f"{options['init']!r}")
    return options


def init_cell(kind: str, *, input_dim: int, hidden: int, seed: int = 0,
              dtype="float32", **options) -> dict:
    """Seeded parameters of one cell (a plain dict of numpy arrays).

    Parameters
    ----------
    kind : str
    input_dim, hidden : int
        Input width ``I`` and hidden width ``H``.
    seed : int
        Seed of the numpy generator.
    dtype : "float32" or "float64"
    **options
        Cell options (:attr:`Cell.options`).

    Returns
    -------
    dict of numpy arrays

    Examples
    --------
    >>> p = init_cell("lstm", input_dim=3, hidden=2)
    >>> {k: v.shape for k, v in p.items()}
    {'W_ih': (8, 3), 'W_hh': (8, 2), 'b': (8,)}
    """
    cell = get_cell(kind)
    input_dim = check_positive_int("input_dim", input_dim)
    hidden = check_positive_int("hidden", hidden)
    dtype = check_dtype(dtype)
    rng = np.random.default_rng(check_positive_int("seed", seed, minimum=0))
    return cell.init(rng, input_dim, hidden, dtype, **check_cell_options(cell, options, hidden=hidden))
