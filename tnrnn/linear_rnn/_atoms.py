"""The basic kernels (atoms) of :class:`tnrnn.linear_rnn.Kernel` and their inner products.

Each atom is a frozen dataclass with ``value``, ``inner_exp`` (Laplace
transform), ``inner_exp_dw``, ``l1``, ``tail`` and their mpmath versions; the
closed forms are derived in :mod:`tnrnn.linear_rnn.kernels`. The Airy atom
lives in :mod:`tnrnn.linear_rnn._airy`, the tabulated one in
:mod:`tnrnn.linear_rnn._tabulated`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._airy import _Airy
from ._special import de_rule, scaled_expint
from ._tabulated import _Tabulated

def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_param(family: str, name: str, value, *, positive: bool) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{family}: {name} must be a number; got {value!r}") from None
    if not math.isfinite(v) or (v <= 0 if positive else v < 0):
        allowed = "> 0" if positive else ">= 0"
        raise SpecError(f"{family}: {name} must be a finite number {allowed}; got {value!r}")
    return v


# ------------------------------------------------------------------------ atoms
@dataclass(frozen=True)
class _Exp:
    beta: float
    nonnegative = True
    breaks: tuple = ()

    @property
    def spec(self):
        return f"exponential:{_fmt(self.beta)}"

    def value(self, t):
        return np.exp(-self.beta * t)

    def value_mp(self, t, mp):
        return mp.exp(-mp.mpf(self.beta) * t)

    def inner_exp(self, w):
        return 1.0 / (self.beta + w)

    def inner_exp_dw(self, w):
        return -1.0 / (self.beta + w) ** 2

    def inner_exp_mp(self, w, mp):
        return 1 / (mp.mpf(self.beta) + w)

    def l1(self):
        return 1.0 / self.beta

    def tail(self, T):
        return np.exp(-self.beta * np.asarray(T, float)) / self.beta


@dataclass(frozen=True)
class _Poly:
    omega: float
    nonnegative = True
    breaks: tuple = ()

    @property
    def spec(self):
        return f"polynomial:{_fmt(self.omega)}"

    def value(self, t):
        return (1.0 + t) ** (-(1.0 + self.omega))

    def value_mp(self, t, mp):
        return (1 + t) ** (-(1 + mp.mpf(self.omega)))

    def inner_exp(self, w):
        return scaled_expint(1.0 + self.omega, w)

    def inner_exp_dw(self, w):
        # d/dw e^w E_p(w) = e^w E_p(w) - e^w E_{p-1}(w)  (E_p' = -E_{p-1})
        return scaled_expint(1.0 + self.omega, w) - scaled_expint(self.omega, w)

    def inner_exp_mp(self, w, mp):
        return mp.exp(w) * mp.expint(1 + mp.mpf(self.omega), w)

    def l1(self):
        return 1.0 / self.omega

    def tail(self, T):
        return (1.0 + np.asarray(T, float)) ** (-self.omega) / self.omega


@dataclass(frozen=True)
class _Delayed:
    t0: float
    beta: float = 1.0
    nonnegative = True

    @property
    def breaks(self):
        return (self.t0,) if self.t0 > 0 else ()

    @property
    def spec(self):
        return f"delayed:{_fmt(self.t0)}" + ("" if self.beta == 1 else f":{_fmt(self.beta)}")

    def value(self, t):
        t = np.asarray(t, float)
        return np.where(t > self.t0, np.exp(-self.beta * np.maximum(t - self.t0, 0.0)), 0.0)

    def value_mp(self, t, mp):
        return mp.exp(-mp.mpf(self.beta) * (t - self.t0)) if t > self.t0 else mp.mpf(0)

    def inner_exp(self, w):
        return np.exp(-w * self.t0) / (self.beta + w)

    def inner_exp_dw(self, w):
        return -np.exp(-w * self.t0) * (self.t0 / (self.beta + w) + 1.0 / (self.beta + w) ** 2)

    def inner_exp_mp(self, w, mp):
        return mp.exp(-w * mp.mpf(self.t0)) / (mp.mpf(self.beta) + w)

    def l1(self):
        return 1.0 / self.beta

    def tail(self, T):
        T = np.asarray(T, float)
        return np.exp(-self.beta * np.maximum(T - self.t0, 0.0)) / self.beta


@dataclass(frozen=True)
class _Smooth:
    k: int
    t0: float
    beta: float = 1.0
    nonnegative = True

    @property
    def breaks(self):
        return (self.t0,) if self.t0 > 0 else ()

    @property
    def spec(self):
        return f"smooth:{self.k}:{_fmt(self.t0)}" + ("" if self.beta == 1 else f":{_fmt(self.beta)}")

    def value(self, t):
        s = np.maximum(np.asarray(t, float) - self.t0, 0.0)
        return np.where(s > 0, s ** self.k * np.exp(-self.beta * s), 0.0)

    def value_mp(self, t, mp):
        s = t - self.t0
        return s ** self.k * mp.exp(-mp.mpf(self.beta) * s) if s > 0 else mp.mpf(0)

    def inner_exp(self, w):
        w = np.asarray(w, float)
        return np.exp(-w * self.t0) * math.factorial(self.k) / (self.beta + w) ** (self.k + 1)

    def inner_exp_dw(self, w):
        w = np.asarray(w, float)
        f = math.factorial(self.k)
        return -np.exp(-w * self.t0) * f * (self.t0 / (self.beta + w) ** (self.k + 1)
                                            + (self.k + 1) / (self.beta + w) ** (self.k + 2))

    def inner_exp_mp(self, w, mp):
        return (mp.exp(-w * mp.mpf(self.t0)) * mp.factorial(self.k)
                / (mp.mpf(self.beta) + w) ** (self.k + 1))

    def l1(self):
        return math.factorial(self.k) / self.beta ** (self.k + 1)

    def l2sq(self):
        return math.factorial(2 * self.k) / (2 * self.beta) ** (2 * self.k + 1)

    def tail(self, T):
        x = self.beta * np.maximum(np.asarray(T, float) - self.t0, 0.0)
        poly = sum(x ** j / math.factorial(j) for j in range(self.k + 1))
        return self.l1() * np.exp(-x) * poly


def _de_inner(a, b) -> float:
    t, q = de_rule(sorted(set(a.breaks) | set(b.breaks)))
    return float(q @ (a.value(t) * b.value(t)))


def _atom_inner(a, b) -> float:
    """<a, b> in L2(0, inf): closed forms where they exist (module docstring)."""
    if isinstance(b, _Exp):
        a, b = b, a
    if isinstance(a, _Exp):
        return float(b.inner_exp(a.beta))
    if isinstance(a, _Poly) and isinstance(b, _Poly):
        return 1.0 / (1.0 + a.omega + b.omega)
    if isinstance(a, _Delayed) and isinstance(b, _Poly):
        a, b = b, a
    if isinstance(a, _Poly) and isinstance(b, _Delayed):
        x = b.beta * (1.0 + b.t0)
        return float((1.0 + b.t0) ** (-a.omega) * scaled_expint(1.0 + a.omega, x))
    if isinstance(a, _Delayed) and isinstance(b, _Delayed):
        if b.t0 < a.t0:
            a, b = b, a
        return math.exp(-a.beta * (b.t0 - a.t0)) / (a.beta + b.beta)
    if isinstance(a, (_Airy, _Smooth, _Tabulated)) and a == b:
        return a.l2sq()
    return _de_inner(a, b)


def _atom_inner_mp(a, b, mp):
    if isinstance(b, _Exp):
        a, b = b, a
    if isinstance(a, _Exp):
        return b.inner_exp_mp(mp.mpf(a.beta), mp)
    if isinstance(a, _Poly) and isinstance(b, _Poly):
        return 1 / (1 + mp.mpf(a.omega) + mp.mpf(b.omega))
    if isinstance(a, _Delayed) and isinstance(b, _Poly):
        a, b = b, a
    if isinstance(a, _Poly) and isinstance(b, _Delayed):
        s = 1 + mp.mpf(b.t0)
        x = mp.mpf(b.beta) * s
        return s ** (-mp.mpf(a.omega)) * mp.exp(x) * mp.expint(1 + mp.mpf(a.omega), x)
    if isinstance(a, _Delayed) and isinstance(b, _Delayed):
        if b.t0 < a.t0:
            a, b = b, a
        return mp.exp(-mp.mpf(a.beta) * (mp.mpf(b.t0) - a.t0)) / (mp.mpf(a.beta) + b.beta)
    if isinstance(a, _Tabulated) and a == b:
        return a.l2sq_mp(mp)
    if isinstance(a, _Smooth) and a == b:
        return mp.factorial(2 * a.k) / (2 * mp.mpf(a.beta)) ** (2 * a.k + 1)
    if isinstance(a, _Airy) and a == b:   # t0 Ai(-t0)^2 + Ai'(-t0)^2 (module docstring)
        x = -mp.mpf(a.t0)
        return -x * mp.airyai(x) ** 2 + mp.airyai(x, derivative=1) ** 2
    pts = sorted({0.0, *a.breaks, *b.breaks})
    return mp.quad(lambda t: a.value_mp(t, mp) * b.value_mp(t, mp),
                   [*pts, pts[-1] + 10, mp.inf])
