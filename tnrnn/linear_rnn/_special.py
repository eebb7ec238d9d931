"""Special functions and quadrature rules the kernels need (float64, vectorised).

* :func:`scaled_expint` -- ``S_p(x) = e^x E_p(x) = int_0^inf e^{-x t} (1 + t)^{-p} dt``
  for real ``p > 0``, ``x >= 0`` (the Laplace transform of a polynomial kernel).
* :func:`de_rule` -- double-exponential (tanh-sinh / exp-sinh) nodes and weights
  on ``[0, inf)`` split at given break points.
* :func:`gauss_panels` -- composite Gauss-Legendre nodes on a list of panels.

Accuracy (checked in ``tests/test_linear_rnn_kernels.py`` against mpmath at 30
digits): ``scaled_expint`` relative error below 1e-13 on ``p`` in [0.05, 5],
``x`` in [1e-8, 1e4]; the double-exponential rule integrates ``e^{-w t}`` for
``w`` in [1e-6, 1e8] and ``(1+t)^{-q}``, ``q >= 1.1``, to relative 1e-14.

Why these are written here (issue 19 asks that hand-written numerics say why
no installed library serves; checked against scipy 1.17, numpy 2, mpmath 1.3):

* ``E_p`` of **real** order: ``scipy.special.expn`` takes an integer order only
  (``expn(1.5, 1.0)`` silently truncates the order to 1), and the route
  ``E_p(x) = x^{p-1} Gamma(1 - p, x)`` needs ``Gamma(a, x)`` for ``a < 0``,
  where ``scipy.special.gammaincc`` returns NaN (it is defined for ``a > 0``).
  ``mpmath.expint`` is exact but scalar and pure Python (1.3 s for 1,000
  values against 0.02 s here), too slow inside the projections and flows,
  which evaluate ``S_p`` at every rate of every step. No library offers the
  *scaled* ``e^x E_p(x)``, which is what overflows otherwise for large ``x``.
* A **reusable** quadrature rule on ``[0, inf)`` with break points: the QR
  projection and the free-rate optimiser sample thousands of exponentials
  ``e^{-w t}`` on the same nodes (a matrix), so they need the nodes and
  weights, not an integral. ``scipy.integrate.quad`` and
  ``scipy.integrate.tanhsinh`` are adaptive and return integrals of
  callables; scipy's fixed rules (``roots_legendre``, ``roots_laguerre``)
  cover a finite interval or the weight ``e^{-t}`` only, not algebraic decay
  ``(1 + t)^{-p}`` nor kinks at the delays; mpmath's tanh-sinh is
  arbitrary-precision and scalar. :func:`de_rule` is the textbook
  tanh-sinh/exp-sinh construction (Takahasi-Mori) returning its nodes.
* :func:`gauss_panels` is only the panel bookkeeping around numpy's
  ``leggauss`` (the library part), again because the caller needs the nodes.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["scaled_expint", "de_rule", "gauss_panels"]


def _gamma_upper_negative(a: float, x: np.ndarray) -> np.ndarray:
    """Gamma(a, x) for non-integer ``a < 1`` and ``0 < x <= 2``.

    From ``Gamma(a + k, x)`` with ``a + k`` in (0, 1) (scipy's regularised
    ``gammaincc`` times ``Gamma``) by the recurrence
    ``Gamma(s, x) = (Gamma(s + 1, x) - x^s e^{-x}) / s`` applied downwards.
    """
    from scipy.special import gamma, gammaincc

    k = max(0, math.ceil(-a)) if a < 0 else 0
    s = a + k
    if s == 0:  # pragma: no cover - callers send integer orders elsewhere
        raise ValueError("integer order")
    g = gammaincc(s, x) * gamma(s)
    for j in range(k, 0, -1):
        s = a + j - 1
        g = (g - x ** s * np.exp(-x)) / s
    return g


def _expint_near_integer(p: float, x: np.ndarray) -> np.ndarray:
    """``E_p(x)`` for ``x < 1`` and ``p = n - eps`` near an integer ``n >= 1``.

    ``E_p(x) = x^{p-1} Gamma(1-p) - sum_k (-x)^k / (k! (1 - p + k))``; the pole of
    ``Gamma(1-p)`` and the ``k = n-1`` term cancel. Their sum is
    ``(-1)^{n-1} x^{n-1} / (n-1)! * expm1(g) / eps`` with
    ``g = -eps ln x + ln Gamma(1 + eps) - sum_{l<n} ln(1 - eps/l)``, computed without
    cancellation.
    """
    from scipy.special import zeta

    n = int(round(p))
    eps = n - p
    # ln Gamma(1 + eps) = -gamma eps + sum_{k>=2} zeta(k) (-eps)^k / k, |eps| < 0.1
    lgam = -np.euler_gamma * eps + sum(zeta(k) * (-eps) ** k / k for k in range(2, 30))
    g = -eps * np.log(x) + lgam - sum(math.log1p(-eps / l) for l in range(1, n))
    sing = (-1) ** (n - 1) * x ** (n - 1) / math.factorial(n - 1) * np.expm1(g) / eps
    rest = np.zeros_like(x)
    term = np.ones_like(x)  # (-x)^k / k!
    for k in range(0, 60):
        if k != n - 1:
            rest = rest + term / (1.0 - p + k)
        term = term * (-x) / (k + 1)
    return sing - rest


def _cf_scaled_expint(p: float, x: np.ndarray, iters: int = 400) -> np.ndarray:
    """``e^x E_p(x)`` by the continued fraction (modified Lentz), for ``x >= 1``.

    ``E_p(x) = e^{-x} / (x + p - 1 p / (x + p + 2 - 2 (p + 1) / (x + p + 4 - ...)))``
    (Numerical Recipes 6.3; valid for real ``p > 0``).
    """
    tiny = 1e-300
    b = x + p
    c = np.full_like(x, 1.0 / tiny)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, iters + 1):
        an = -i * (p - 1.0 + i)
        b = b + 2.0
        d = 1.0 / (an * d + b)
        c = b + an / c
        delta = c * d
        h = h * delta
        if np.all(np.abs(delta - 1.0) < 1e-16):
            break
    return h


def scaled_expint(p: float, x) -> np.ndarray:
    """``S_p(x) = e^x E_p(x) = int_0^inf e^{-x t} (1 + t)^{-p} dt`` (float64).

    Parameters
    ----------
    p : float
        Order, ``p > 0`` (``p = 1 + omega`` for the kernel ``(1 + t)^{-(1 + omega)}``).
    x : array_like
        Arguments ``x >= 0``; ``x = 0`` gives ``1 / (p - 1)`` (``p > 1``) or ``inf``.

    Returns
    -------
    numpy.ndarray
        ``S_p(x)``, relative error below 1e-13 (see the module docstring).

    Notes
    -----
    ``E_p(x) = int_1^inf e^{-x u} u^{-p} du`` and the substitution ``u = 1 + t``
    give ``int_0^inf e^{-x t} (1 + t)^{-p} dt = e^x E_p(x)``. For ``x >= 1`` a
    continued fraction gives the scaled value directly (no overflow); for
    ``x < 1`` ``E_p(x) = x^{p-1} Gamma(1 - p, x)`` (scipy's ``expn`` for integer
    ``p``).

    Written here because no installed library has it: scipy's ``expn`` takes
    integer orders only, ``gammaincc`` is NaN for the negative ``a = 1 - p``
    needed here, and ``mpmath.expint`` is scalar and about 50 times slower per
    value (module docstring).

    Examples
    --------
    >>> from tnrnn.linear_rnn._special import scaled_expint
    >>> float(scaled_expint(2.0, 0.0))  # int_0^inf (1+t)^-2 dt
    1.0
    >>> abs(float(scaled_expint(1.5, 3.0)) - 0.2357361503461865) < 1e-15
    True
    """
    from scipy.special import expn

    x = np.asarray(x, dtype=float)
    shape = x.shape
    x = np.atleast_1d(x).ravel()
    out = np.empty_like(x)
    zero = x == 0
    big = x >= 1.0
    small = ~big & ~zero
    out[zero] = 1.0 / (p - 1.0) if p > 1 else np.inf
    if np.any(big):
        out[big] = _cf_scaled_expint(p, x[big])
    if np.any(small):
        xs = x[small]
        if float(p).is_integer():
            out[small] = np.exp(xs) * expn(int(p), xs)
        elif p > 0.5 and abs(p - round(p)) < 0.1:
            out[small] = np.exp(xs) * _expint_near_integer(p, xs)
        else:
            out[small] = np.exp(xs) * xs ** (p - 1.0) * _gamma_upper_negative(1.0 - p, xs)
    return out.reshape(shape)


def _tanh_sinh(a: float, b: float, h: float, umax: float = 3.2):
    u = np.arange(-umax, umax + h / 2, h)
    s = 0.5 * math.pi * np.sinh(u)
    x = np.tanh(s)
    wx = 0.5 * math.pi * np.cosh(u) / np.cosh(s) ** 2
    half = 0.5 * (b - a)
    # distance to the nearer end point computed without cancellation
    dist = half / (np.exp(2 * np.abs(s)) + 1.0) * 2.0
    nodes = np.where(x < 0, a + dist, b - dist)
    keep = (dist > 0) & (nodes > a) & (nodes < b)
    return nodes[keep], (half * h * wx)[keep]


def _exp_sinh(a: float, h: float, umin: float = -4.5, umax: float = 4.0):
    u = np.arange(umin, umax + h / 2, h)
    s = 0.5 * math.pi * np.sinh(u)
    e = np.exp(s)
    return a + e, h * e * 0.5 * math.pi * np.cosh(u)


def de_rule(breaks=(), h: float = 1.0 / 64) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a double-exponential rule on ``[0, inf)``.

    ``[0, inf)`` is cut at the sorted positive ``breaks``; every finite piece gets
    a tanh-sinh rule and the last, infinite one an exp-sinh rule
    ``t = b + exp(pi/2 sinh u)``, both trapezoidal in ``u`` with step ``h``.
    Integrands analytic inside each piece (kinks only at break points),
    decaying like ``e^{-w t}`` or algebraically, are integrated to near machine
    precision; nodes reach from ``1e-30`` to ``1e23`` beyond the last break.

    Written here because the callers need the nodes and weights themselves
    (to sample many exponentials on one grid): scipy's ``quad`` and
    ``tanhsinh`` return integrals of callables, its fixed rules do not cover
    ``[0, inf)`` with algebraic decay and break points (module docstring).

    Parameters
    ----------
    breaks : sequence of float
        Points where the integrands may have kinks or jumps (non-positive
        ones are ignored).
    h : float
        Step of the trapezoidal rule in ``u``.

    Returns
    -------
    t : numpy.ndarray
        Nodes in ``(0, inf)``.
    q : numpy.ndarray
        Positive weights.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn._special import de_rule
    >>> t, q = de_rule()
    >>> bool(abs(q @ np.exp(-2.0 * t) - 0.5) < 1e-15)
    True
    """
    cuts = [0.0] + sorted(float(b) for b in breaks if b > 0)
    nodes, weights = [], []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        n, w = _tanh_sinh(lo, hi, h)
        nodes.append(n)
        weights.append(w)
    n, w = _exp_sinh(cuts[-1], h)
    nodes.append(n)
    weights.append(w)
    t = np.concatenate(nodes)
    q = np.concatenate(weights)
    keep = q > 0
    return t[keep], q[keep]


def gauss_panels(edges, order: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on consecutive panels.

    The rule itself is numpy's ``leggauss``; this maps it onto the panels,
    because the callers need the nodes (scipy's ``fixed_quad`` integrates a
    callable on one interval).

    Parameters
    ----------
    edges : sequence of float
        Increasing panel edges.
    order : int
        Nodes per panel.

    Returns
    -------
    t : numpy.ndarray
        Nodes, panel by panel.
    q : numpy.ndarray
        Weights.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn._special import gauss_panels
    >>> t, q = gauss_panels([0.0, 1.0, 3.0], order=8)
    >>> round(float(q @ t**2), 12)  # int_0^3 t^2 dt
    9.0
    """
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.asarray(edges, dtype=float)
    lo, hi = edges[:-1, None], edges[1:, None]
    t = 0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)
    q = 0.5 * (hi - lo) * w[None, :]
    return t.ravel(), q.ravel()
