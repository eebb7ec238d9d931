"""The Airy kernel ``Ai(t - t0)``: values, tails and Laplace transforms by quadrature.

See :mod:`tnrnn.linear_rnn.kernels` for the accuracy of each form. The values
are scipy's ``airy`` and the zeros scipy's ``ai_zeros``; the integrals are
composite Gauss-Legendre here because scipy's ``itairy`` (the only library
integral of ``Ai``) is good to about 1e-7, and the Laplace transform
``int Ai(t - t0) e^{-w t} dt`` has no closed form in scipy or mpmath, and
the projections need one rule (nodes and weights) reused for every rate
``w``: adaptive ``mpmath.quad`` per rate would repeat the Airy evaluations
(it is the 30-digit reference in the tests). The extended-precision rule is
mpmath's own Gauss-Legendre nodes on the same kind of panels, cached per
shift and precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._special import gauss_panels

_AIRY_REACH = 25.0


def _fmt(x: float) -> str:
    return f"{x:g}"


def _ai_tail(s):
    """``int_s^inf Ai(u) du`` by composite 20-point Gauss-Legendre on unit panels up to
    ``u = 40`` (``Ai(40) < 1e-73``); absolute error ~1e-16 (scipy's ``itairy`` is
    only good to ~1e-7 and is not used)."""
    from scipy.special import airy

    s = np.atleast_1d(np.asarray(s, float))
    out = np.zeros_like(s)
    for i, lo in enumerate(s.ravel()):
        if lo >= 40.0:
            continue
        edges = np.append(np.arange(lo, 40.0, 1.0), 40.0)
        t, q = gauss_panels(edges, order=20)
        out.ravel()[i] = q @ airy(t)[0]
    return out


@dataclass(frozen=True)
class _Airy:
    t0: float
    nonnegative = False

    @property
    def breaks(self):
        return (self.t0,) if self.t0 > 0 else ()

    @property
    def spec(self):
        return f"airy:{_fmt(self.t0)}"

    def value(self, t):
        from scipy.special import airy

        s = np.asarray(t, float) - self.t0
        return np.where(s > 100.0, 0.0, airy(np.minimum(s, 100.0))[0])  # Ai(100) ~ 3e-292

    def value_mp(self, t, mp):
        return mp.airyai(t - self.t0)

    def _rule(self):
        edges = np.concatenate([[0.0], np.geomspace(1e-8, 1.0, 9),
                                np.arange(2.0, math.ceil(self.t0 + _AIRY_REACH) + 1.0)])
        t, q = gauss_panels(edges, order=24)
        return t, q * self.value(t)

    def inner_exp(self, w):
        t, qv = self._rule()
        w = np.asarray(w, float)
        return (np.exp(-np.multiply.outer(w, t)) @ qv).reshape(w.shape)

    def inner_exp_dw(self, w):
        t, qv = self._rule()
        w = np.asarray(w, float)
        return (-(np.exp(-np.multiply.outer(w, t)) * t) @ qv).reshape(w.shape)

    def inner_exp_mp(self, w, mp):
        nodes, qv = _airy_mp_rule(self.t0, mp.dps)
        return mp.fsum(q * mp.exp(-w * t) for t, q in zip(nodes, qv))

    def l1(self):
        from scipy.special import ai_zeros

        n = 1
        while True:
            zeros = ai_zeros(n)[0]
            if zeros[-1] < -self.t0 or n > 100000:
                break
            n *= 2
        cuts = np.concatenate([[-self.t0], np.sort(zeros[zeros > -self.t0])])
        tails = np.append(_ai_tail(cuts), 0.0)
        return float(np.sum(np.abs(tails[:-1] - tails[1:])))

    def l2sq(self):
        from scipy.special import airy

        ai, aip, _, _ = airy(-self.t0)
        return float(self.t0 * ai ** 2 + aip ** 2)

    def tail(self, T):
        T = np.asarray(T, float)
        return _ai_tail(T - self.t0).reshape(T.shape)


_AIRY_MP_CACHE: dict = {}


def _airy_mp_rule(t0: float, dps: int):
    """Gauss-Legendre (40 points a panel) nodes and ``weight * Ai(t - t0)`` in mpmath for
    ``int_0^inf Ai(t - t0) f(t) dt``: 13 geometric panels on [1e-12, 1], panels of
    length 4 up to ``t0 + 40`` (``Ai(40) < 1e-73``); cached per ``t0`` and
    precision (computed at a multiple of 40 digits, >= 80)."""
    import mpmath

    prec = max(80, 40 * math.ceil(dps / 40))
    key = (t0, prec)
    if key not in _AIRY_MP_CACHE:
        with mpmath.workdps(prec):
            x, wq = mpmath.mp.gauss_quadrature(40, "legendre")
            edges = [mpmath.mpf(0)] + [mpmath.mpf(10) ** k for k in range(-12, 1)]
            top = mpmath.mpf(t0) + 40
            e = mpmath.mpf(1)
            while e < top:
                e = min(e + 4, top)
                edges.append(e)
            nodes, qv = [], []
            for lo, hi in zip(edges[:-1], edges[1:]):
                half, mid = (hi - lo) / 2, (hi + lo) / 2
                for xi, wi in zip(x, wq):
                    t = mid + half * xi
                    nodes.append(t)
                    qv.append(half * wi * mpmath.airyai(t - t0))
        _AIRY_MP_CACHE[key] = (nodes, qv)
    return _AIRY_MP_CACHE[key]
