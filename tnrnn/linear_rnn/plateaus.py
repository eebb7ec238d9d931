"""Plateaus of a loss curve and when the loss leaves them.

The rule measures a plateau against the two levels it joins, not against a
fixed threshold, so that it neither depends on rounding near a threshold
nor misses an exit whose next level sits just above one.

1. **A plateau** starts at the first sample ``t_i > 0`` from which the loss
   stays above ``L_i (1 - flat)`` up to a time ``>= min_span t_i``; its
   ``level`` is ``L_i``.
2. **The level it falls to** is that of the next plateau, found by the same
   rule among the samples after the loss first falls below
   ``level (1 - drop)``; if there is none, the lowest loss of the rest of
   the curve. A fall smaller than ``drop`` (relative) is not an exit: the
   plateau lasts past the end of the curve (``exit = None``).
3. **The exit** is the first time the loss is below
   ``level - enter (level - next)`` *and* stays below
   ``level - leave (level - next)`` until the next plateau starts
   (hysteresis: a loss that oscillates across the midpoint is not counted
   until it has left for good).

The defaults (``flat = 1%``, ``min_span = 2``, ``drop = 5%``, ``enter = 1/2``,
``leave = 1/4``) are recorded with every plateau experiment.

Examples
--------
>>> import numpy as np
>>> t = np.arange(1.0, 1001.0)
>>> loss = np.where(t < 100, 1.0, 0.01)  # flat until 99, then a drop
>>> [(p.start, p.level, p.exit) for p in plateau_times(t, loss)]  # the last one never ends
[(1.0, 1.0, 100.0), (100.0, 0.01, None)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._checks import finite_number

__all__ = ["Plateau", "plateau_times", "PLATEAU_RULE"]

PLATEAU_RULE = {"flat": 0.01, "min_span": 2.0, "drop": 0.05, "enter": 0.5, "leave": 0.25}


@dataclass(frozen=True)
class Plateau:
    """A plateau of a loss curve (see :func:`plateau_times`).

    Parameters
    ----------
    start : float
        Where the plateau starts.
    level : float
        Its loss level.
    end_flat : float
        Last time the loss is still within ``flat`` of the level.
    exit : float or None
        Where the curve leaves the plateau (None: not within the curve).
    next_level : float or None
        The level it falls to.

    Examples
    --------
    >>> from tnrnn.linear_rnn import Plateau
    >>> Plateau(10.0, 0.5, 900.0, 1000.0, 0.1).to_dict()["exit"]
    1000.0
    """

    start: float
    level: float
    end_flat: float
    exit: float | None
    next_level: float | None = None

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return {"start": self.start, "level": self.level, "end_flat": self.end_flat,
                "exit": self.exit, "next_level": self.next_level}


def _find_start(t, L, i, flat, min_span):
    """First index >= i that starts a plateau, and the last index still flat."""
    n = len(t)
    while i < n:
        if t[i] <= 0 or not np.isfinite(L[i]):
            i += 1
            continue
        below = np.nonzero(L[i + 1:] < L[i] * (1 - flat))[0]
        j = (i + below[0]) if below.size else n - 1
        if t[j] >= min_span * t[i]:
            return i, j
        i += 1
    return None


def plateau_times(times, loss, *, flat: float = 0.01, min_span: float = 2.0,
                  drop: float = 0.05, enter: float = 0.5, leave: float = 0.25) -> list[Plateau]:
    """The plateaus of a loss curve and their exits (rule in the module docstring).

    Parameters
    ----------
    times : array_like, shape (n,)
        Non-decreasing times.
    loss : array_like, shape (n,)
        The loss at those times.
    flat : float
        Relative band that counts as flat.
    min_span : float
        A plateau lasts at least until ``min_span`` times its start.
    drop : float
        Smallest relative fall that counts as leaving a plateau.
    enter : float
        The exit is the first time the loss is below ``level - enter (level - next)`` ...
    leave : float
        ... and stays below ``level - leave (level - next)`` until the next
        plateau (hysteresis); ``0 < leave < enter < 1``.

    Returns
    -------
    list of Plateau
        In time order.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1.0, 10001.0)
    >>> # a plateau at 0.5 that settles at 0.458 (a fixed threshold 0.9 x 0.5 = 0.45
    >>> # would never be reached); the exit is where the fall is half done
    >>> loss = np.where(t < 3000, 0.5, 0.458)
    >>> [(p.level, p.exit, p.next_level) for p in plateau_times(t, loss)][0]
    (0.5, 3000.0, 0.458)
    """
    t = np.asarray(times, dtype=float)
    L = np.asarray(loss, dtype=float)
    if t.shape != L.shape or t.ndim != 1:
        raise SpecError(f"times and loss must be 1-d of the same length; got {t.shape}, {L.shape}")
    if t.size and (not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0)):
        raise SpecError("times must be finite and non-decreasing")
    flat = finite_number("flat", flat, minimum=0.0)
    drop = finite_number("drop", drop)
    enter = finite_number("enter", enter)
    leave = finite_number("leave", leave)
    min_span = finite_number("min_span", min_span)
    if not (0 <= flat < drop < 1):
        raise SpecError(f"need 0 <= flat < drop < 1; got flat={flat!r}, drop={drop!r}")
    if not min_span > 1:
        raise SpecError(f"min_span must be > 1; got {min_span!r}")
    if not (0 < leave < enter < 1):
        raise SpecError(f"need 0 < leave < enter < 1; got leave={leave!r}, enter={enter!r}")
    out = []
    n = len(t)
    found = _find_start(t, L, 0, flat, min_span)
    while found is not None:
        i, j = found
        level = L[i]
        fell = np.nonzero(L[j + 1:] < level * (1 - drop))[0]
        if not fell.size:
            out.append(Plateau(float(t[i]), float(level), float(t[j]), None))
            break
        f = j + 1 + fell[0]
        nxt = _find_start(t, L, f, flat, min_span)
        stop = nxt[0] if nxt is not None else n - 1
        seg = L[f:] if nxt is None else L[f:stop + 1]
        target = float(np.nanmin(seg)) if nxt is None else float(L[nxt[0]])
        target = min(target, float(np.nanmin(L[f:stop + 1])))
        mid = level - enter * (level - target)
        up = level - leave * (level - target)
        ex = None
        for k in np.nonzero(L[j:stop + 1] <= mid)[0] + j:
            if np.all(L[k:stop + 1] < up):
                ex = k
                break
        if ex is None:   # oscillating to the end: the plateau has not been left for good
            out.append(Plateau(float(t[i]), float(level), float(t[j]), None, target))
            break
        out.append(Plateau(float(t[i]), float(level), float(t[j]), float(t[ex]), target))
        if nxt is None:
            break
        found = nxt
    return out
