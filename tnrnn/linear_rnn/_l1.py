"""The L1 norm of ``rho - sum_i a_i e^{-w_i t}`` by closed-form integrals between sign changes.

The computation behind :func:`tnrnn.linear_rnn.l1_error` and
:meth:`tnrnn.linear_rnn.Kernel.l1_norm` (for sums with terms of both signs).
It reads the kernel through its methods (``value``, ``integral``, ``breaks``,
``nonnegative``, ``l1_norm``) and imports neither :mod:`.kernels` nor
:mod:`.approx`, so that both can use it without an import cycle.
"""

from __future__ import annotations

import math

import numpy as np


def l1_by_sign_changes(kernel, a: np.ndarray, w: np.ndarray, points: int):
    """``(value, bound, horizon, sign_changes)`` of ``||rho - sum_i a_i e^{-w_i t}||_1``.

    ``a`` and ``w`` are checked float arrays of the same length (``w > 0``,
    distinct); see :func:`tnrnn.linear_rnn.l1_error` for the method and the
    bound.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import exponential
    >>> from tnrnn.linear_rnn._l1 import l1_by_sign_changes
    >>> v, bound, T, n = l1_by_sign_changes(exponential(1.0), np.array([2.0]), np.array([1.0]), 100)
    >>> round(v, 12), n    # |1 - 2| * int e^{-t} = 1, no sign change
    (1.0, 0)
    """
    from scipy.optimize import brentq

    brk = list(kernel.breaks)
    scale_lo = 1e-6 / max(1.0, float(w.max()) if w.size else 1.0)
    if w.size:
        T = float(np.max((np.log(np.maximum(np.abs(a), 1e-300) / w) + 17 * math.log(10)) / w))
    else:
        T = 0.0
    T = max(T, 50.0, 10 * max(brk, default=0.0))
    grid = np.unique(np.concatenate([[0.0], np.geomspace(scale_lo, T, points), brk,
                                     np.nextafter(np.array(brk), np.inf)]))

    def r(t):
        return kernel.value(t) - np.exp(-np.multiply.outer(t, w)) @ a

    vals = r(grid)
    roots = []
    # the grid holds every break b and nextafter(b): an interval (lo, hi] holds a break only
    # as hi = b, where rho may jump (delayed) or be continuous (smooth); a sign change
    # between b and nextafter(b) is the jump itself
    for i in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
        lo, hi = grid[i], grid[i + 1]
        if any(lo == b for b in brk) and hi == np.nextafter(lo, np.inf):
            roots.append(lo)
            continue
        try:
            roots.append(brentq(r, lo, hi, xtol=1e-300, rtol=1e-15))
        except ValueError:  # the sign change is at rounding level: r ~ 0 on [lo, hi]
            roots.append(0.5 * (lo + hi))
    cuts = np.array([0.0, *roots, np.inf])

    def integral(x0, x1):
        ex = (np.exp(-w * x0) - (0.0 if np.isinf(x1) else np.exp(-w * x1))) / w
        return float(kernel.integral(x0, x1)) - float(a @ ex) if w.size else \
            float(kernel.integral(x0, x1))

    total = sum(abs(integral(x0, x1)) for x0, x1 in zip(cuts[:-1], cuts[1:]))
    tail_hat = float(np.sum(np.abs(a) * np.exp(-w * T) / w)) if w.size else 0.0
    # float64 cancellation: each piece's integral of the exponentials is a sum of terms
    # up to sum |a_i| / w_i in size (huge when rates nearly coincide)
    # (each of the len(roots) + 1 pieces sums m + 1 terms of that size, rounded at 2.2e-16;
    # doubled for the sign changes located in that noise)
    cancel = (4.4e-16 * (len(roots) + 1) * (w.size + 1)
              * (float(np.sum(np.abs(a) / w)) if w.size else 0.0))
    bound = 2 * tail_hat + cancel + 1e-15 * (kernel.l1_norm() if kernel.nonnegative else
                                             total) * (len(roots) + 1)
    return float(total), float(bound), T, len(roots)
