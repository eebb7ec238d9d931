"""Argument checks of tnrnn.linear_rnn: every number is checked where it enters.

Messages say what was given and what is allowed, as one line.

Examples
--------
>>> finite_number("lr", "0.1")
Traceback (most recent call last):
...
tnrnn.errors.SpecError: lr must be a finite number; got '0.1' (str)
>>> real_vector("w", [1.0, float("nan")], max_len=10)
Traceback (most recent call last):
...
tnrnn.errors.SpecError: w must hold finite numbers; got [1.0, nan]
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import SpecError, TooLargeError

__all__ = ["finite_number", "real_vector"]


def finite_number(name: str, value, *, minimum: float | None = None,
                  maximum: float | None = None, open_minimum: bool = False) -> float:
    """``value`` as a float if it is a real, finite number within the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(f"{name} must be a finite number; got {value!r} "
                        f"({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise SpecError(f"{name} must be a finite number; got {value!r}")
    if minimum is not None and (v <= minimum if open_minimum else v < minimum):
        rel = ">" if open_minimum else ">="
        raise SpecError(f"{name} must be a finite number {rel} {minimum:g}; got {value!r}")
    if maximum is not None and v > maximum:
        raise SpecError(f"{name} must be a finite number <= {maximum:g}; got {value!r}")
    return v


def _short(x: np.ndarray) -> str:
    lst = x.ravel().tolist()
    return str(lst) if len(lst) <= 8 else str(lst[:8])[:-1] + ", ...]"


def real_vector(name: str, value, *, max_len: int, allow_empty: bool = False) -> np.ndarray:
    """``value`` as a 1-d float64 array of finite numbers, of length <= ``max_len``.

    The length is checked before the array is built when ``value`` has one
    (a list of 10^8 numbers is refused without converting it).
    """
    n = getattr(value, "__len__", None)
    if n is not None and not isinstance(value, (str, bytes)):
        try:
            length = len(value)
        except TypeError:
            length = None
        if length is not None and length > max_len:
            raise TooLargeError(f"{name} has {length} entries; at most {max_len} are allowed",
                                estimate=length, limit=max_len)
    if isinstance(value, (str, bytes, dict, set)) or value is None:
        raise SpecError(f"{name} must be a list of numbers; got {value!r:.60}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        raise SpecError(f"{name} must be a 1-d list of numbers; got a ragged or mixed "
                        f"sequence") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer)
                                 or np.issubdtype(arr.dtype, np.floating)):
        raise SpecError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    arr = np.atleast_1d(arr.astype(float))
    if arr.ndim != 1:
        raise SpecError(f"{name} must be 1-d; got shape {arr.shape}")
    if arr.size > max_len:
        raise TooLargeError(f"{name} has {arr.size} entries; at most {max_len} are allowed",
                            estimate=arr.size, limit=max_len)
    if arr.size == 0 and not allow_empty:
        raise SpecError(f"{name} must be a non-empty 1-d list of numbers")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} must hold finite numbers; got {_short(arr)}")
    return arr
