"""Plain records returned by :mod:`tnrnn.bounds`: a labelled bound and cuts.

Values are exact Python integers (they outgrow 64 bits quickly); every
logarithm is base 2 and named so.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..errors import SpecError

__all__ = ["Bound", "Cut", "TreeCut", "KINDS", "STATUSES", "HOLDS_FOR", "INPUTS",
           "log2_int", "format_int", "EXACT_DIGITS"]

#: Allowed values of the labelled fields of :class:`Bound`.
KINDS = ("upper", "lower")
STATUSES = ("theorem", "derived", "empirical", "conjecture")
HOLDS_FOR = ("all weights", "almost all weights")
INPUTS = ("continuous", "one-hot", "both")


def log2_int(value: int) -> float:
    """``log2`` of a positive integer of any size (``math.log2`` handles big
    integers without overflow).

    Parameters
    ----------
    value : int
        Positive, of any size.

    Returns
    -------
    float

    Examples
    --------
    >>> log2_int(2 ** 5000)
    5000.0

    >>> log2_int(3 ** 700) == 700 * math.log2(3)
    True
    """
    return math.log2(value)


#: Integers with at most this many decimal digits are printed exactly by
#: :func:`format_int`; larger ones as ``2^<log2>``.
EXACT_DIGITS = 40


def format_int(value: int, *, commas: bool = False, max_digits: int = EXACT_DIGITS) -> str:
    """A readable rendering of a non-negative integer of any size.

    Exact (optionally with thousands separators) up to ``max_digits``
    decimal digits; beyond that ``2^x`` with ``x = log2(value)`` to one
    decimal, which never converts the integer to a decimal string (Python
    refuses that above 4,300 digits, and it takes quadratic time).

    Parameters
    ----------
    value : int
        Non-negative, of any size.
    commas : bool, default False
        Thousands separators in the exact rendering.
    max_digits : int, default EXACT_DIGITS
        Longest exact rendering, in decimal digits.

    Returns
    -------
    str

    Examples
    --------
    >>> format_int(12345), format_int(12345, commas=True)
    ('12345', '12,345')
    >>> format_int(3 ** 600)
    '2^951.0'
    >>> format_int(2 ** 100000)
    '2^100000.0'
    """
    value = int(value)
    if value < 10 ** max_digits:
        return f"{value:,}" if commas else str(value)
    return f"2^{math.log2(value):.1f}"


@dataclasses.dataclass(frozen=True)
class Bound:
    """One labelled bound on a separation rank.

    Parameters
    ----------
    name : str
        Stable identifier, e.g. ``"u-sym"``, ``"min-cut"``.
    kind : {"upper", "lower"}
    value : int
        The bound, exact.
    log2 : float
        ``log2(value)``, always computed from ``value``.
    status : {"theorem", "derived", "empirical", "conjecture"}
        As ``docs/theory.md`` labels the statement. Theorems are quoted "as stated
        in Levine et al." (their wording could not be checked against the
        papers); a conjecture is reported, never asserted.
    holds_for : {"all weights", "almost all weights"}
    inputs : {"continuous", "one-hot", "both"}
        Which separation rank it bounds: of the polynomial (continuous
        inputs), of the one-hot grid tensor, or both.
    formula : str
        Human-readable statement with the numbers substituted.
    certificate : object, optional
        Evidence that can be re-checked; for a min-cut bound the cut
        (:class:`Cut` or :class:`TreeCut`). Not part of :meth:`to_dict`.

    Examples
    --------
    >>> b = Bound("u-sym", "upper", 45, status="derived", holds_for="all weights",
    ...           inputs="both", formula="R*C(R+T/2-1, T/2)")
    >>> b.log2 == math.log2(45), sorted(b.to_dict())
    (True, ['formula', 'holds_for', 'inputs', 'kind', 'log2', 'name', 'status', 'value'])
    >>> Bound("x", "upper", 3, status="proved", holds_for="all weights",
    ...       inputs="both", formula="")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: status must be one of ('theorem', 'derived', 'empirical', 'conjecture'); got 'proved'
    """

    name: str
    kind: str
    value: int
    log2: float | None = None
    status: str = "derived"
    holds_for: str = "all weights"
    inputs: str = "both"
    formula: str = ""
    certificate: Any = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for field, allowed in (("kind", KINDS), ("status", STATUSES),
                               ("holds_for", HOLDS_FOR), ("inputs", INPUTS)):
            if getattr(self, field) not in allowed:
                raise SpecError(f"{field} must be one of {allowed}; "
                                f"got {getattr(self, field)!r}")
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"value of bound {self.name!r} must be an integer >= 1; "
                            f"got {value!r}")
        object.__setattr__(self, "value", int(value))
        object.__setattr__(self, "log2", log2_int(self.value))

    def to_dict(self) -> dict:
        """JSON-ready plain data (the certificate is left out)."""
        return {"name": self.name, "kind": self.kind, "value": self.value,
                "log2": self.log2, "status": self.status,
                "holds_for": self.holds_for, "inputs": self.inputs,
                "formula": self.formula}


@dataclasses.dataclass(frozen=True)
class Cut:
    """An edge cut of a built network separating the A-legs from the B-legs.

    Parameters
    ----------
    edges : tuple of (index, size)
        The cut edges, by index name (bonds and open input legs), sorted.
    a_nodes : frozenset of str
        Nodes on the A side: tensor names and ``"leg:<index>"`` leg nodes
        (as in :meth:`tnrnn.network.Network.to_networkx`).
    value : int
        Product of the cut sizes: the rank bound.
    log2 : float
        ``log2(value)``.
    method : str
        ``"networkx"`` (max-flow) or ``"tree-dp"`` (structured programme).

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.compile import compile_network
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.bounds import min_cut
    >>> cut = min_cut(compile_network(RAC(1, 3, 2, 4)), start_end(4))
    >>> cut.value, [size for _, size in cut.edges], cut.method
    (3, [3], 'networkx')
    """

    edges: tuple
    a_nodes: frozenset
    value: int
    log2: float
    method: str = "networkx"

    def to_dict(self) -> dict:
        """JSON-ready plain data."""
        return {"edges": [list(e) for e in self.edges], "value": self.value,
                "log2": self.log2, "method": self.method,
                "a_nodes": sorted(self.a_nodes)}


@dataclasses.dataclass(frozen=True)
class TreeCut:
    """Minimum cut of the duplicated RAC network, found without building it.

    Parameters
    ----------
    value : int
        Product of the cut sizes, ``R**cut_bonds * M**cut_legs``.
    log2 : float
    cut_bonds : int
        Cut bonds of size ``R`` (internal bonds), counted over all copies.
    cut_legs : int
        Cut open input legs of size ``M``, counted over all copies.
    sizes : dict
        ``{"L": .., "R": .., "M": .., "T": ..}``.
    form : str
        ``"cp"`` or ``"core"``.
    partition : dict
        The partition, as :meth:`tnrnn.partition.Partition.to_dict`.

    Examples
    --------
    >>> from tnrnn.bounds import tree_min_cut
    >>> cut = tree_min_cut(2, 3, 3, 8)
    >>> cut.value == 3 ** cut.cut_bonds * 3 ** cut.cut_legs, cut.cut_bonds, cut.sizes["T"]
    (True, 5, 8)
    """

    value: int
    log2: float
    cut_bonds: int
    cut_legs: int
    sizes: dict
    form: str
    partition: dict

    def to_dict(self) -> dict:
        """JSON-ready plain data."""
        return dataclasses.asdict(self)
