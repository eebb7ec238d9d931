"""Size and time estimates for :func:`tnrnn.bounds.all_bounds`, made before
any exact integer is computed.

Bounds grow like ``M^(T/2)`` or faster, and an exact integer of ``b`` bits
takes time quadratic in ``b`` to print in decimal (Python refuses beyond
4,300 digits unless asked). The min-cut programme is ``O(T L)`` Python
big-integer steps. Both are estimated here from floats (``lgamma``), so that
a request that would take too long is refused with the estimate.
"""

from __future__ import annotations

import math

from ..errors import TooLargeError

__all__ = ["log2_multiset", "estimate_log2", "check_work", "human_seconds",
           "SECONDS_PER_CELL", "DEFAULT_MAX_SECONDS"]

#: Measured cost of one unit ``(t, l)`` of the min-cut tree programme (float
#: estimate pass, exact pass and traceback), in seconds, on a 2-core CPU.
SECONDS_PER_CELL = 3e-5

#: Default limit on the estimated time of :func:`tnrnn.bounds.all_bounds`.
DEFAULT_MAX_SECONDS = 30.0

_LN2 = math.log(2)
_BIG = 2.0 ** 900


def log2_multiset(n: int, k: int) -> float:
    """``log2 C(n + k - 1, k)`` for integers of any size, from ``lgamma``
    (``inf`` when both ``n`` and ``k`` are astronomically large).

    >>> round(log2_multiset(3, 4), 6) == round(math.log2(15), 6)
    True
    >>> log2_multiset(1, 10 ** 400), log2_multiset(5, 0)
    (0.0, 0.0)
    >>> round(log2_multiset(3, 2 ** 1000))
    1999
    """
    small, big = sorted((n - 1, k))
    if small <= 0:
        return 0.0
    if big < _BIG:
        return (math.lgamma(big + small + 1) - math.lgamma(big + 1)
                - math.lgamma(small + 1)) / _LN2
    if small < 2 ** 50:  # C(big + s, s) ~ big^s / s! for s << big
        return small * math.log2(big) - math.lgamma(small + 1) / _LN2
    return math.inf


def _log2_comb_int(n: int, k: int) -> float:
    """``log2 C(n, k)`` as a float; ``n`` may be huge."""
    return log2_multiset(n - k + 1, k)


def estimate_log2(L: int, R: int, M: int, T: int, partition, *, k, m: int) -> dict:
    """Float estimates of ``log2`` of the closed-form bounds that grow:
    ``{"poly-cap": .., "input-cap": .., "u-sym": .., "grid-cap": ..,
    "depthL-conjecture": ..}`` (the last only for an even ``T``).

    ``k`` is the prefix length (or ``None``), ``m`` the input width.

    >>> from tnrnn.partition import start_end
    >>> e = estimate_log2(2, 3, 3, 8, start_end(8), k=4, m=3)
    >>> round(2 ** e["u-sym"]), round(2 ** e["poly-cap"])
    (45, 2700)
    """
    A, B = partition.A, partition.B
    # n_t = C(T - t + L - 1, L - 1): log2 per step (exact ints would be slow).
    def log2_n(t):
        return _log2_comb_int(T - t + L - 1, L - 1)

    lns = {t: log2_n(t) for t in range(1, T + 1)} if L > 1 else None

    def cap(width):
        if width == 1:
            return 0.0
        if L == 1:  # n_t = 1: C(width, 1) per step
            return min(len(A), len(B)) * math.log2(width)
        memo: dict = {}
        sides = []
        for side in (A, B):
            total = 0.0
            for t in side:
                ln = lns[t]
                if ln not in memo:
                    n = 2.0 ** ln if ln < 1000 else math.inf
                    memo[ln] = (log2_multiset(width, round(n)) if n < _BIG
                                else (width - 1) * ln - math.lgamma(width) / _LN2)
                total += memo[ln]
            sides.append(total)
        return min(sides)

    out = {"poly-cap": cap(M), "input-cap": cap(m),
           "grid-cap": min(len(A), len(B)) * math.log2(M)}
    if k is not None:
        out["u-sym"] = sum(log2_multiset(R, math.comb(T - k - 1 + L - l, L - l))
                           for l in range(1, L + 1))
    if T % 2 == 0:
        out["depthL-conjecture"] = log2_multiset(min(M, R), math.comb(T // 2 + L - 2, L - 1))
    return out


def check_work(L: int, T: int, *, max_seconds: float, what: str) -> float:
    """Refuse (:class:`~tnrnn.errors.TooLargeError`) when the min-cut
    programme's ``T L`` steps are estimated above ``max_seconds``; return the
    estimate.

    Parameters
    ----------
    L : int
        Depth of the RAC.
    T : int
        Its length.
    max_seconds : float
        The limit on the estimate.
    what : str
        What is computed, for the message (``"the bounds"``).

    Returns
    -------
    float
        The estimated seconds, ``T * L * SECONDS_PER_CELL``.

    Examples
    --------
    >>> check_work(2, 100, max_seconds=30, what="x") == 200 * SECONDS_PER_CELL
    True
    >>> check_work(2, 100, max_seconds=30, what="x") < 1
    True
    >>> check_work(2, 10 ** 9, max_seconds=30, what="the bounds")
    Traceback (most recent call last):
    ...
    tnrnn.errors.TooLargeError: the bounds of a depth-2, T=1,000,000,000 circuit need the min-cut programme over T*L = 2,000,000,000 units, about 60,000 s (16.7 h); the limit is max_seconds=30
    """
    cells = T * L
    seconds = cells * SECONDS_PER_CELL
    if seconds > max_seconds:
        raise TooLargeError(
            f"{what} of a depth-{L}, T={T:,} circuit need the min-cut programme over "
            f"T*L = {cells:,} units, about {human_seconds(seconds)}; the limit is "
            f"max_seconds={max_seconds:g}", estimate=seconds, limit=max_seconds)
    return seconds


def human_seconds(s: float) -> str:
    """A duration in words: seconds, with minutes, hours or days beside
    them when it is long.

    Parameters
    ----------
    s : float
        Seconds, ``>= 0``.

    Returns
    -------
    str

    Examples
    --------
    >>> human_seconds(3.5), human_seconds(12), human_seconds(600)
    ('3.5 s', '12 s', '600 s (10.0 min)')
    >>> human_seconds(30000), human_seconds(3 * 86400)
    ('30,000 s (8.3 h)', '2.59e+05 s (3 days)')
    """
    if s < 120:
        return f"{s:.2g} s" if s < 10 else f"{s:,.0f} s"
    if s < 7200:
        return f"{s:,.0f} s ({s / 60:.1f} min)"
    if s < 2 * 86400:
        return f"{s:,.0f} s ({s / 3600:.1f} h)"
    return f"{s:,.3g} s ({s / 86400:,.3g} days)"


#: The name this helper had; kept for callers that have not moved to
#: :func:`human_seconds` yet.
_human_seconds = human_seconds
