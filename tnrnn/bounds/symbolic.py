"""Closed forms of the bounds that hold for a given spec, partition and input
space, as sympy expressions, each checked against the exact value.

:func:`symbolic_bounds` lists the formulas for a kind of partition;
:func:`symbolic_for` keeps only those of the bounds that
:func:`tnrnn.bounds.all_bounds` returns for the case at hand (so no Start-End
formula is shown for another partition, no RAC formula for a TT-RNN, no
continuous-only formula for one-hot inputs) and says what each extra symbol
stands for.
"""

from __future__ import annotations

from ..circuit import RAC
from ..errors import SpecError
from . import closed_forms as cf

__all__ = ["symbolic_for", "VERIFY_MAX_LENGTH"]

#: Formulas are checked by substitution (``sympy`` ``doit``) up to this ``T``.
VERIFY_MAX_LENGTH = 64


def _forms(kind: str):
    """``(expressions, symbols)`` for ``kind`` in ``start-end``, ``prefix``
    (symbol ``k``: the length of the side that is a prefix ``{1..k}``) and
    ``other`` (symbol ``a = |A|``)."""
    import sympy

    T, R, M, L = sympy.symbols("T R M L")
    l, t, k, a = sympy.symbols("l t k a")
    C = sympy.binomial
    m = sympy.Min(M, R)
    n_t = C(T - t + L - 1, L - 1)

    def prod_caps(width, lo, hi):
        return sympy.Product(C(width + n_t - 1, width - 1), (t, lo, hi))

    if kind == "start-end":
        e = cf.symbolic_bounds()
        e["input-cap"] = prod_caps(m, T / 2 + 1, T)
        return e, {}
    if kind == "prefix":
        e = cf.symbolic_bounds(prefix=True)
        e["poly-cap"] = sympy.Min(prod_caps(M, 1, k), prod_caps(M, k + 1, T))
        e["input-cap"] = sympy.Min(prod_caps(m, 1, k), prod_caps(m, k + 1, T))
        return e, {"k": "length of the side that is a prefix {1..k}"}
    return {"grid-cap": M ** sympy.Min(a, T - a)}, {"a": "|A|, the size of side A"}


def symbolic_for(spec, partition, bounds) -> dict:
    """The closed forms of ``bounds`` (from :func:`all_bounds` for ``spec``
    and ``partition``) that have one, each equal to the bound's exact value
    after substitution.

    Parameters
    ----------
    spec : RAC or TTRNN
    partition : str or Partition
        As in :func:`tnrnn.partition.parse_partition`.
    bounds : list of Bound
        From :func:`all_bounds` for ``spec`` and ``partition``.

    Returns
    -------
    dict
        ``{"forms": {name: str}, "symbols": {symbol: meaning},
        "substitution": {symbol: int}, "verified": bool, "no_closed_form":
        [names]}``. ``verified`` is True when every form was checked by
        substitution (done for ``T <= VERIFY_MAX_LENGTH``); a form that does
        not reproduce its value is never returned.

    Examples
    --------
    A suffix side ``A = {3..6}`` is the swap of the prefix ``{1, 2}``, so
    ``k = 2``:

    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.bounds import all_bounds
    >>> from tnrnn.partition import parse_partition
    >>> spec, p = RAC(3, 2, 3, 6), parse_partition("A:3,4,5,6", 6)
    >>> s = symbolic_for(spec, p, all_bounds(spec, p))
    >>> s["substitution"]["k"], sorted(s["forms"]), s["verified"]
    (2, ['input-cap', 'poly-cap', 'u-sym'], True)
    >>> [b.value for b in all_bounds(spec, p) if b.name == "u-sym"]
    [110]
    """
    import sympy

    if not isinstance(spec, RAC) and getattr(spec, "kind", None) != "ttrnn":
        raise SpecError(f"spec must be a RAC or TTRNN; got {type(spec).__name__}")
    k = cf.prefix_length(partition)
    kind = "start-end" if cf.is_start_end(partition) else ("prefix" if k else "other")
    forms, symbols = _forms(kind)
    T, R, M, L, kk, a = sympy.symbols("T R M L k a")
    subs = {"T": spec.length, "R": spec.hidden, "M": spec.input_dim, "L": spec.depth}
    if kind == "prefix":
        subs["k"] = k
    if kind == "other":
        subs["a"] = len(partition.A)
    sym = {T: subs["T"], R: subs["R"], M: subs["M"], L: subs["L"]}
    sym.update({kk: subs.get("k", 0), a: subs.get("a", 0)})
    verify = spec.length <= VERIFY_MAX_LENGTH
    out, missing = {}, []
    for b in bounds:
        expr = forms.get(b.name)
        if expr is None:
            missing.append(b.name)
            continue
        if verify:
            got = sympy.simplify(sympy.sympify(expr).subs(sym).doit())
            if got != b.value:
                missing.append(b.name)
                continue
        out[b.name] = str(expr)
    return {"forms": out, "symbols": symbols, "substitution": subs,
            "verified": verify, "no_closed_form": missing}
