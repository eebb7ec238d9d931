"""A tabulated kernel: piecewise linear between equally spaced samples, zero after the last.

``rho(t) = f_i + (f_{i+1} - f_i) u`` for ``t = (i + u) h``, ``0 <= u < 1``,
``i = 0..N-1``, and ``rho = 0`` for ``t >= N h``. Every quantity the kernels
need is a finite sum of one-segment integrals in closed form, with
``I_k(z) = int_0^1 u^k e^{-z u} du``:

* ``<rho, e^{-w t}> = h sum_i e^{-w t_i} (f_i I_0(w h) + d_i I_1(w h))``,
  ``d_i = f_{i+1} - f_i``;
* ``int t rho e^{-w t} = h sum_i e^{-w t_i} (t_i (f_i I_0 + d_i I_1) + h (f_i I_1 + d_i I_2))``;
* ``||rho||_2^2 = h sum_i (f_i^2 + f_i f_{i+1} + f_{i+1}^2) / 3``;
* ``||rho||_1``: ``h |f_i + f_{i+1}| / 2`` per segment, or
  ``h (f_i^2 + f_{i+1}^2) / (2 (|f_i| + |f_{i+1}|))`` where it changes sign.

``I_k`` is a power series for ``z < 1/2`` (20 terms, error below 1e-19) and
``I_0 = (1 - e^{-z})/z``, ``I_{k+1} = ((k + 1) I_k - e^{-z})/z`` above (the
recurrence loses at most a factor ``2 (k + 1)`` there).

Used for kernels known only by samples, such as the first Wiener kernel of
the Lorenz-96 target (:mod:`tnrnn.linear_rnn.lorenz96`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_SERIES_TERMS = 20


def ik(z, k: int, xp=np):
    """``I_k(z) = int_0^1 u^k e^{-z u} du`` for ``z >= 0`` (``k`` = 0, 1, 2), vectorised.

    ``xp`` is numpy or ``jax.numpy``.

    Examples
    --------
    >>> from tnrnn.linear_rnn._tabulated import ik
    >>> round(float(ik(0.0, 2)), 15), round(float(ik(2.0, 0)), 15)   # 1/3, (1 - e^-2)/2
    (0.333333333333333, 0.432332358381694)
    """
    z = xp.asarray(z, dtype=float)
    zs = xp.minimum(z, 0.5)
    series = xp.zeros_like(z)
    term = xp.ones_like(z)
    for n in range(_SERIES_TERMS):
        series = series + term / (n + k + 1)
        term = term * (-zs) / (n + 1)
    zb = xp.maximum(z, 0.5)
    e = xp.exp(-zb)
    big = -xp.expm1(-zb) / zb
    for j in range(k):
        big = ((j + 1) * big - e) / zb
    return xp.where(z < 0.5, series, big)


def _ik_mp(z, k, mp):
    if z < 0.5:
        return mp.fsum((-z) ** n / (mp.factorial(n) * (n + k + 1)) for n in range(60))
    e = mp.exp(-z)
    out = -mp.expm1(-z) / z
    for j in range(k):
        out = ((j + 1) * out - e) / z
    return out


@dataclass(frozen=True)
class _Tabulated:
    step: float
    values: tuple
    label: str

    @property
    def nonnegative(self):
        return min(self.values) >= 0

    @property
    def breaks(self):
        return (self.step * (len(self.values) - 1),)

    @property
    def spec(self):
        return f"tabulated:{self.label}"

    def _f(self):
        f = np.asarray(self.values, float)
        return f, np.diff(f), self.step * np.arange(len(f) - 1)

    def value(self, t):
        f = np.asarray(self.values, float)
        t = np.asarray(t, float)
        grid = self.step * np.arange(len(f))
        return np.where(t < grid[-1], np.interp(t, grid, f), 0.0)

    def value_mp(self, t, mp):
        x = t / mp.mpf(self.step)
        i = int(mp.floor(x))
        if i < 0 or i >= len(self.values) - 1:
            return mp.mpf(0)
        u = x - i
        return mp.mpf(self.values[i]) * (1 - u) + mp.mpf(self.values[i + 1]) * u

    def inner_exp(self, w):
        f, d, ti = self._f()
        w = np.asarray(w, float)
        z = w[..., None] * self.step
        e = np.exp(-w[..., None] * ti)
        return self.step * np.sum(e * (f[:-1] * ik(z, 0) + d * ik(z, 1)), axis=-1)

    def inner_exp_dw(self, w):
        f, d, ti = self._f()
        w = np.asarray(w, float)
        z = w[..., None] * self.step
        e = np.exp(-w[..., None] * ti)
        i0, i1, i2 = ik(z, 0), ik(z, 1), ik(z, 2)
        first = f[:-1] * i0 + d * i1
        return -self.step * np.sum(e * (ti * first + self.step * (f[:-1] * i1 + d * i2)),
                                   axis=-1)

    def inner_exp_mp(self, w, mp):
        h = mp.mpf(self.step)
        z = w * h
        i0, i1 = _ik_mp(z, 0, mp), _ik_mp(z, 1, mp)
        q = mp.exp(-z)
        acc, e = mp.mpf(0), mp.mpf(1)
        for a, b in zip(self.values[:-1], self.values[1:]):
            acc += e * (mp.mpf(a) * i0 + (mp.mpf(b) - mp.mpf(a)) * i1)
            e *= q
        return h * acc

    def l2sq(self):
        f = np.asarray(self.values, float)
        return float(self.step * np.sum(f[:-1] ** 2 + f[:-1] * f[1:] + f[1:] ** 2) / 3)

    def l2sq_mp(self, mp):
        v = [mp.mpf(x) for x in self.values]
        return mp.mpf(self.step) * mp.fsum(a * a + a * b + b * b for a, b in zip(v[:-1], v[1:])) / 3

    def l1(self):
        f = np.asarray(self.values, float)
        a, b = f[:-1], f[1:]
        same = a * b >= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            cross = (a * a + b * b) / (2 * (np.abs(a) + np.abs(b)))
        return float(self.step * np.sum(np.where(same, np.abs(a + b) / 2, cross)))

    def tail(self, T):
        f = np.asarray(self.values, float)
        h = self.step
        cum = np.concatenate([[0.0], np.cumsum(h * (f[:-1] + f[1:]) / 2)])
        T = np.asarray(T, float)
        x = np.clip(T / h, 0.0, len(f) - 1)
        i = np.minimum(np.floor(x).astype(int), len(f) - 2)
        u = x - i
        part = cum[i] + h * (f[i] * u + (f[i + 1] - f[i]) * u * u / 2)
        return cum[-1] - part


def check_table(values, step) -> tuple[tuple, float]:
    """Validated ``(values, step)`` of a tabulated kernel (helper of ``kernels.tabulated``)."""
    from ..errors import SpecError, TooLargeError

    try:
        f = np.asarray(values, dtype=float)
        h = float(step)
    except (TypeError, ValueError):
        raise SpecError(f"tabulated: values must be real numbers and step a number; got "
                        f"{values!r:.60}, {step!r}") from None
    if f.ndim != 1 or f.size < 2:
        raise SpecError(f"tabulated: values must be a 1-d sequence of at least 2 samples; "
                        f"got shape {f.shape}")
    if f.size > 100_000:
        raise TooLargeError(f"tabulated: {f.size} samples; at most 100000", estimate=f.size,
                            limit=100_000)
    if not np.all(np.isfinite(f)):
        raise SpecError("tabulated: values must be finite")
    if not (math.isfinite(h) and 1e-6 <= h <= 1e3):
        raise SpecError(f"tabulated: step must be a number in [1e-6, 1e3]; got {step!r}")
    return tuple(float(v) for v in f), h
