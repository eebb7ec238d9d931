"""Partitions of the time steps ``1..T`` into two non-empty sets (A, B).

The Start-End partition ``S = {1..T/2}, E = {T/2+1..T}`` (needs an even
``T``) is the default of every analysis; odd-even interleaves the steps; any
explicit split is allowed.

Examples
--------
>>> start_end(6)
Partition(A=(1, 2, 3), B=(4, 5, 6), name='start-end')
>>> parse_partition("A:1,2,5", 6)
Partition(A=(1, 2, 5), B=(3, 4, 6), name='A:1,2,5')
>>> start_end(5)
Traceback (most recent call last):
...
tnrnn.errors.PartitionError: the start-end partition needs an even length T; got T=5
"""

from __future__ import annotations

import dataclasses

from .errors import PartitionError, TooLargeError, check_positive_int

__all__ = ["Partition", "start_end", "odd_even", "explicit", "parse_partition",
           "PARTITION_NAMES"]

PARTITION_NAMES = ("start-end", "odd-even", "A:<steps>")


@dataclasses.dataclass(frozen=True)
class Partition:
    """Two disjoint, non-empty sets of 1-based time steps covering ``1..T``.

    Parameters
    ----------
    A, B : tuple of int
        The two sides (stored sorted); together exactly ``1..T``.
    name : str, default "explicit"
        A label (``"start-end"``, ``"odd-even"``, ``"A:1,2,5"``, ...).

    Raises
    ------
    PartitionError
        When a side is empty, the sides overlap or they miss a step.

    Examples
    --------
    >>> p = Partition((3, 1), (2, 4))
    >>> p.A, p.length, p.side(2), p.is_start_end
    ((1, 3), 4, 'B', False)
    >>> Partition((1, 2), (2, 3))
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the sides of a partition must be disjoint; [2] are in both
    """

    A: tuple
    B: tuple
    name: str = "explicit"

    def __post_init__(self) -> None:
        a, b = tuple(sorted(self.A)), tuple(sorted(self.B))
        object.__setattr__(self, "A", a)
        object.__setattr__(self, "B", b)
        if not a or not b:
            raise PartitionError(f"both sides of a partition must be non-empty; "
                                 f"got A={list(a)}, B={list(b)}")
        if set(a) & set(b):
            raise PartitionError(f"the sides of a partition must be disjoint; "
                                 f"{sorted(set(a) & set(b))} are in both")
        T = len(a) + len(b)
        if set(a) | set(b) != set(range(1, T + 1)):
            raise PartitionError(f"a partition must cover the time steps 1..{T} "
                                 f"exactly; got A={list(a)}, B={list(b)}")

    @property
    def length(self) -> int:
        """The sequence length ``T`` it partitions."""
        return len(self.A) + len(self.B)

    def side(self, t: int) -> str:
        """``"A"`` or ``"B"``: the side of time step ``t``."""
        return "A" if t in self.A else "B"

    def swapped(self) -> "Partition":
        return Partition(self.B, self.A, name=f"{self.name} (swapped)")

    @property
    def is_start_end(self) -> bool:
        T = self.length
        return T % 2 == 0 and self.A == tuple(range(1, T // 2 + 1))

    def to_dict(self) -> dict:
        return {"name": self.name, "A": list(self.A), "B": list(self.B)}


#: Longest sequence a partition is built for (it lists every step).
MAX_LENGTH = 10_000_000


def _check_length(T: int) -> int:
    """``T`` as an int in ``2..MAX_LENGTH``.

    >>> _check_length(10 ** 9)
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: a partition of T=1,000,000,000 time steps lists every step (about 36 GB here); the limit is T <= 10,000,000
    """
    T = check_positive_int("length", T, minimum=2)
    if T > MAX_LENGTH:
        raise TooLargeError(
            f"a partition of T={T:,} time steps lists every step (about "
            f"{T * 36 / 1e9:,.0f} GB here); the limit is T <= {MAX_LENGTH:,}",
            estimate=T, limit=MAX_LENGTH)
    return T


def start_end(T: int) -> Partition:
    """The Start-End partition: ``A = {1..T/2}``, ``B = {T/2+1..T}``.

    Parameters
    ----------
    T : int
        The sequence length; even, ``2 <= T <= MAX_LENGTH``.

    Returns
    -------
    Partition
        Named ``"start-end"``.

    Examples
    --------
    >>> p = start_end(6)
    >>> p.A, p.B, p.is_start_end
    ((1, 2, 3), (4, 5, 6), True)
    """
    T = _check_length(T)
    if T % 2:
        raise PartitionError(f"the start-end partition needs an even length T; got T={T}")
    return Partition(tuple(range(1, T // 2 + 1)), tuple(range(T // 2 + 1, T + 1)),
                     name="start-end")


def odd_even(T: int) -> Partition:
    """The odd-even partition: ``A`` the odd steps, ``B`` the even steps.

    Parameters
    ----------
    T : int
        The sequence length, ``2 <= T <= MAX_LENGTH``.

    Returns
    -------
    Partition
        Named ``"odd-even"``.

    Examples
    --------
    >>> p = odd_even(5)
    >>> p.A, p.B
    ((1, 3, 5), (2, 4))
    """
    T = _check_length(T)
    return Partition(tuple(range(1, T + 1, 2)), tuple(range(2, T + 1, 2)),
                     name="odd-even")


def explicit(A, T: int) -> Partition:
    """The partition with ``A`` as given and ``B`` the remaining steps of ``1..T``.

    Parameters
    ----------
    A : iterable of int
        Distinct time steps in ``1..T`` (not all of them).
    T : int
        The sequence length, ``2 <= T <= MAX_LENGTH``.

    Returns
    -------
    Partition
        Named ``"A:<sorted steps>"``.

    Examples
    --------
    >>> explicit([5, 1], 6)
    Partition(A=(1, 5), B=(2, 3, 4, 6), name='A:1,5')
    >>> explicit([0], 6)
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: time steps must be integers in 1..6; got [0]
    """
    T = _check_length(T)
    try:
        steps = [int(a) for a in A]
    except (TypeError, ValueError):
        raise PartitionError(f"time steps must be integers in 1..{T}; got {A!r}") from None
    bad = [a for a in steps if not 1 <= a <= T]
    if bad:
        raise PartitionError(f"time steps must be integers in 1..{T}; got {bad}")
    if len(set(steps)) != len(steps):
        raise PartitionError(f"time steps of A must be distinct; got {steps}")
    in_a = set(steps)
    B = tuple(t for t in range(1, T + 1) if t not in in_a)
    return Partition(tuple(steps), B, name="A:" + ",".join(map(str, sorted(steps))))


def parse_partition(text, T: int) -> Partition:
    """A partition from its name, or a :class:`Partition` checked against ``T``.

    Parameters
    ----------
    text : str, Partition or None
        ``"start-end"`` (also ``None``), ``"odd-even"``, ``"A:1,2,5"`` (the
        steps of side A), or a :class:`Partition` of length ``T``.
    T : int
        The sequence length.

    Returns
    -------
    Partition

    Examples
    --------
    >>> parse_partition(None, 4) == start_end(4), parse_partition("A:2", 3).B
    (True, (1, 3))
    >>> parse_partition(start_end(4), 6)
    Traceback (most recent call last):
    ...
    tnrnn.errors.PartitionError: the partition covers 4 steps but the length is T=6
    """
    if isinstance(text, Partition):
        if text.length != T:
            raise PartitionError(f"the partition covers {text.length} steps but the "
                                 f"length is T={T}")
        return text
    if text in (None, "start-end"):
        return start_end(T)
    if text == "odd-even":
        return odd_even(T)
    if isinstance(text, str) and text.startswith("A:"):
        parts = [p for p in text[2:].split(",") if p.strip()]
        try:
            steps = [int(p) for p in parts]
        except ValueError:
            raise PartitionError(f"partition {text!r}: steps must be integers, as "
                                 f"in 'A:1,2,5'") from None
        return explicit(steps, T)
    raise PartitionError(f"partition must be one of {', '.join(PARTITION_NAMES)}; "
                         f"got {text!r}")
