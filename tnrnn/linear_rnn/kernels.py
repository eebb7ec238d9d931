"""Memory kernels: small immutable objects with exact norms and Laplace transforms.

A linear, causal, time-homogeneous functional ``H_t(x) = int_0^inf rho(s) x_{t-s} ds``
is its kernel ``rho``; its memory is how slowly ``rho`` decays. Four families
and their sums and scalings:

============== ==================================== ============================================
name           rho(t)                               forms
============== ==================================== ============================================
exponential    ``e^{-beta t}``                      all closed forms
polynomial     ``(1 + t)^{-(1 + omega)}``           closed forms (``inner_exp`` via ``E_p``)
delayed        ``e^{-beta (t - t0)} 1[t > t0]``     all closed forms
airy           ``Ai(t - t0)``                       value, L2 closed (Airy functions); L1, tails
                                                    and ``inner_exp`` by Gauss-Legendre quadrature
smooth         ``(t-t0)_+^alpha e^{-beta (t-t0)}``  all closed forms (see :func:`smooth`)
============== ==================================== ============================================

Closed forms (``p = 1 + omega``, ``S_p(x) = e^x E_p(x)``, see
:func:`tnrnn.linear_rnn._special.scaled_expint`), each a one-line integral:

* exponential: ``||rho||_1 = 1/beta``, ``||rho||_2^2 = 1/(2 beta)``,
  ``<rho, e^{-w t}> = 1/(beta + w)``, tail ``int_T^inf rho = e^{-beta T}/beta``.
* polynomial: ``||rho||_1 = 1/omega``, ``||rho||_2^2 = int_1^inf u^{-2p} du =
  1/(1 + 2 omega)``, ``<rho, e^{-w t}> = S_p(w)`` (substitute ``u = 1 + t`` in
  ``E_p(w) = int_1^inf e^{-w u} u^{-p} du``), tail ``(1 + T)^{-omega}/omega``.
* delayed: ``||rho||_1 = 1/beta``, ``||rho||_2^2 = 1/(2 beta)``,
  ``<rho, e^{-w t}> = e^{-w t0}/(beta + w)``.
* airy: ``||rho||_2^2 = int_{-t0}^inf Ai^2 = t0 Ai(-t0)^2 + Ai'(-t0)^2`` (the
  antiderivative of ``Ai^2`` is ``x Ai(x)^2 - Ai'(x)^2``, by ``Ai'' = x Ai``);
  ``int_s^inf Ai`` by 20-point Gauss-Legendre on unit panels up to 40 (absolute
  error ~1e-16; scipy's ``itairy`` is only good to ~1e-7); ``||rho||_1`` sums
  ``|int Ai|`` between the zeros of ``Ai`` in ``(-t0, 0)`` (scipy's ``ai_zeros``).
  ``<rho, e^{-w t}>`` has no closed form here: composite 24-point
  Gauss-Legendre on ``[0, t0 + 25]`` (``Ai(25) < 1e-36``), geometric panels
  near 0; absolute error below 1e-15 for ``w`` in [0, 1e4] (tested at 30 digits).

Cross inner products of two families: ``<exp(b), k> = k.inner_exp(b)``;
``<poly(o1), poly(o2)> = 1/(1 + o1 + o2)``; ``<poly(o), delayed(t0, b)> =
(1 + t0)^{-o} S_{1+o}(b (1 + t0))``; ``<delayed(t1, b1), delayed(t2, b2)> =
e^{-b1 (t2 - t1)}/(b1 + b2)`` for ``t2 >= t1``; anything with an Airy kernel
by the double-exponential rule (relative error ~1e-14).

Examples
--------
>>> from tnrnn.linear_rnn import delayed, exponential, parse_kernel
>>> k = exponential(1.0) + delayed(2.0)
>>> k.spec
'exponential:1+delayed:2'
>>> round(k.l2_norm() ** 2, 12)  # 1/2 + 2 e^{-2}/2 + 1/2
1.135335283237
>>> parse_kernel("polynomial:0.5").l1_norm()
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._airy import _Airy
from ._l1 import l1_by_sign_changes
from ._tabulated import _Tabulated, check_table
from ._atoms import _Delayed, _Exp, _Poly, _Smooth, _atom_inner, _atom_inner_mp, _check_param, _fmt

__all__ = ["Kernel", "exponential", "polynomial", "delayed", "airy", "smooth", "tabulated",
           "parse_kernel", "KERNEL_FAMILIES"]

# ----------------------------------------------------------------------- Kernel
@dataclass(frozen=True)
class Kernel:
    """A memory kernel ``rho(t) = sum_k c_k rho_k(t)`` on ``t >= 0`` (immutable).

    Build one with :func:`exponential`, :func:`polynomial`, :func:`delayed`,
    :func:`airy` or :func:`parse_kernel`; combine with ``+``, ``-`` and scalar
    ``*``. All methods are vectorised over ``t`` or ``w``.

    Parameters
    ----------
    terms : tuple of (float, atom)
        Coefficients and basic kernels (the atoms of
        :mod:`tnrnn.linear_rnn._atoms` and :mod:`tnrnn.linear_rnn._airy`);
        built by the constructors, not by hand.

    Examples
    --------
    >>> from tnrnn.linear_rnn import exponential, polynomial
    >>> k = 2 * exponential(1.0) - polynomial(1.0)
    >>> k.spec, len(k.terms)
    ('2*exponential:1+-1*polynomial:1', 2)
    >>> float(k.value(0.0)), float(k.inner_exp(0.0))   # 2 - 1; int rho = 2/1 - 1/1
    (1.0, 1.0)
    """

    terms: tuple

    # algebra ---------------------------------------------------------------
    def __add__(self, other):
        if not isinstance(other, Kernel):
            return NotImplemented
        return Kernel(self.terms + other.terms)

    def __mul__(self, c):
        if isinstance(c, bool) or not isinstance(c, (int, float, np.floating, np.integer)):
            return NotImplemented
        return Kernel(tuple((float(c) * k, a) for k, a in self.terms))

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        if not isinstance(other, Kernel):
            return NotImplemented
        return self + (-other)

    # description -------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The string :func:`parse_kernel` reads back, e.g. ``'0.5*polynomial:1'``."""
        parts = [(a.spec if c == 1 else f"{_fmt(c)}*{a.spec}") for c, a in self.terms]
        return "+".join(parts)

    def __str__(self):
        return self.spec

    @property
    def breaks(self) -> tuple:
        """Times where ``rho`` is not analytic (or starts to oscillate)."""
        return tuple(sorted({b for _, a in self.terms for b in a.breaks}))

    @property
    def nonnegative(self) -> bool:
        """True if every term is a nonnegative kernel with a nonnegative coefficient."""
        return all(c >= 0 and a.nonnegative for c, a in self.terms)

    @property
    def closed_form_inner_exp(self) -> bool:
        """False if ``inner_exp`` uses quadrature (Airy terms)."""
        return not any(isinstance(a, _Airy) for _, a in self.terms)

    # values ------------------------------------------------------------------
    def value(self, t):
        """``rho(t)``.

        Examples
        --------
        >>> from tnrnn.linear_rnn import delayed
        >>> delayed(1.0).value([0.5, 1.0, 2.0]).tolist()
        [0.0, 0.0, 0.36787944117144233]
        """
        t = np.asarray(t, float)
        return sum(c * a.value(t) for c, a in self.terms)

    def inner_exp(self, w):
        """``int_0^inf rho(t) e^{-w t} dt`` (the Laplace transform), vectorised over ``w``.

        Examples
        --------
        >>> from tnrnn.linear_rnn import exponential
        >>> exponential(2.0).inner_exp([0.0, 1.0]).tolist()
        [0.5, 0.3333333333333333]
        """
        w = np.asarray(w, float)
        return sum(c * a.inner_exp(w) for c, a in self.terms)

    def inner_exp_dw(self, w):
        """``d/dw inner_exp(w) = -int_0^inf t rho(t) e^{-w t} dt``."""
        w = np.asarray(w, float)
        return sum(c * a.inner_exp_dw(w) for c, a in self.terms)

    def l2_norm(self) -> float:
        """``||rho||_2`` (closed form unless an Airy term meets another family)."""
        return math.sqrt(max(self.l2_sq(), 0.0))

    def l2_sq(self) -> float:
        """``||rho||_2^2 = sum_jk c_j c_k <rho_j, rho_k>``."""
        s = 0.0
        for i, (ci, ai) in enumerate(self.terms):
            for j, (cj, aj) in enumerate(self.terms):
                if j < i:
                    continue
                s += (1 if i == j else 2) * ci * cj * _atom_inner(ai, aj)
        return s

    def l1_norm(self) -> float:
        """``||rho||_1``: closed form for one family or a nonnegative sum.

        A sum with terms of both signs goes through
        :func:`tnrnn.linear_rnn.l1_error` with no exponentials (closed-form
        integrals between numerically located sign changes).
        """
        if len(self.terms) == 1:
            c, a = self.terms[0]
            return abs(c) * a.l1()
        if self.nonnegative:
            return float(sum(c * a.l1() for c, a in self.terms))
        return l1_by_sign_changes(self, np.zeros(0), np.zeros(0), 4000)[0]

    def tail(self, T):
        """``int_T^inf rho(t) dt`` in closed form."""
        return sum(c * a.tail(T) for c, a in self.terms)

    def integral(self, a, b):
        """``int_a^b rho(t) dt`` (``b`` may be ``inf``)."""
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        return self.tail(a) - np.where(np.isinf(b), 0.0, self.tail(np.where(np.isinf(b), 0, b)))

    # extended precision ------------------------------------------------------
    def inner_exp_mp(self, w, mp):
        """``inner_exp`` in mpmath at the working precision of ``mp`` (closed forms
        with ``mpmath.expint``; Airy terms by mpmath Gauss-Legendre panels)."""
        return mp.fsum(mp.mpf(c) * a.inner_exp_mp(w, mp) for c, a in self.terms)

    def l2_sq_mp(self, mp):
        """``||rho||_2^2`` in mpmath."""
        s = mp.mpf(0)
        for i, (ci, ai) in enumerate(self.terms):
            for j, (cj, aj) in enumerate(self.terms):
                if j < i:
                    continue
                s += (1 if i == j else 2) * mp.mpf(ci) * mp.mpf(cj) * _atom_inner_mp(ai, aj, mp)
        return s

    def value_mp(self, t, mp):
        return mp.fsum(mp.mpf(c) * a.value_mp(t, mp) for c, a in self.terms)


def _one(atom) -> Kernel:
    return Kernel(((1.0, atom),))


def exponential(beta: float = 1.0) -> Kernel:
    """``rho(t) = e^{-beta t}`` (short memory), ``beta > 0``.

    Parameters
    ----------
    beta : float
        Decay rate, in ``[1e-8, 1e8]``.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn import exponential
    >>> exponential(0.5).l1_norm(), exponential(0.5).l2_norm() ** 2
    (2.0, 1.0)
    """
    b = _check_param("exponential", "beta", beta, positive=True)
    if not 1e-8 <= b <= 1e8:
        raise SpecError(f"exponential: beta must be in [1e-8, 1e8]; got {beta!r}")
    return _one(_Exp(b))


def polynomial(omega: float) -> Kernel:
    """``rho(t) = (1 + t)^{-(1 + omega)}`` (polynomial memory), ``omega > 0``.

    Parameters
    ----------
    omega : float
        Decay exponent beyond integrability, in ``[1e-3, 100]``.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn import polynomial
    >>> polynomial(1.0).l2_norm() ** 2  # 1 / (1 + 2 omega)
    0.3333333333333333
    """
    o = _check_param("polynomial", "omega", omega, positive=True)
    if not 1e-3 <= o <= 100:
        raise SpecError(f"polynomial: omega must be in [1e-3, 100]; got {omega!r}")
    return _one(_Poly(o))


def delayed(t0: float, beta: float = 1.0) -> Kernel:
    """``rho(t) = e^{-beta (t - t0)}`` for ``t > t0``, 0 before (memory at lag ``t0``).

    Parameters
    ----------
    t0 : float
        The delay, in ``[0, 1e4]``.
    beta : float
        Decay rate after the delay, in ``[1e-8, 1e8]``.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn import delayed
    >>> float(delayed(3.0).inner_exp(0.0)), delayed(3.0).l1_norm()
    (1.0, 1.0)
    """
    t = _check_param("delayed", "t0", t0, positive=False)
    b = _check_param("delayed", "beta", beta, positive=True)
    if t > 1e4 or not 1e-8 <= b <= 1e8:
        raise SpecError(f"delayed: need t0 <= 1e4 and beta in [1e-8, 1e8]; got t0={t0!r}, "
                        f"beta={beta!r}")
    return _one(_Delayed(t, b))


def airy(t0: float) -> Kernel:
    """``rho(t) = Ai(t - t0)`` (oscillating memory up to lag ``t0``), ``t0 >= 0``.

    Parameters
    ----------
    t0 : float
        The shift, in ``[0, 1000]``.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn import airy
    >>> round(airy(0.0).l1_norm(), 15)  # int_0^inf Ai = 1/3
    0.333333333333333
    """
    t0 = _check_param("airy", "t0", t0, positive=False)
    if t0 > 1000:
        raise SpecError(f"airy: t0 must be <= 1000 (quadrature panels grow with t0); got {t0!r}")
    return _one(_Airy(t0))


def smooth(alpha: int, t0: float = 1.0, beta: float = 1.0) -> Kernel:
    """``rho(t) = (t - t0)_+^alpha e^{-beta (t - t0)}``: smoothness ``alpha``, decay ``beta``.

    A family whose two parameters are the two of the approximation-rate
    theorem (as stated in Li, Han, E, Li, arXiv 2009.07799: a rate like
    ``C(alpha) gamma / (beta m^alpha)`` for kernels with ``alpha`` derivatives
    decaying like ``e^{-beta t}``); ``alpha = 0`` is :func:`delayed`.

    Parameters
    ----------
    alpha : int
        Smoothness, an integer in ``0..12`` (text such as ``"2"`` is read).
    t0 : float
        Where the kernel starts, in ``[0, 1e4]``.
    beta : float
        Decay rate, in ``[1e-4, 1e4]``.

    Returns
    -------
    Kernel

    Notes
    -----
    *Smoothness.* ``rho`` is ``C^{alpha-1}`` with ``rho^{(alpha-1)}``
    Lipschitz, and ``rho^{(alpha)}`` jumps by ``alpha!`` at ``t0`` (every
    lower derivative of ``s^alpha`` vanishes at ``s = 0``): smoothness exactly
    ``alpha`` in the Jackson sense, no more.

    *Decay.* ``e^{beta' t} rho^{(j)}(t) -> 0`` for every ``j`` and every
    ``beta' < beta``, not for ``beta' = beta`` (``rho e^{beta t}`` grows like
    ``t^alpha``).

    *What the rate predicts for fixed rates* ``w_j = j lambda``
    (``j = 1..m``, the theorem's construction): with ``u = e^{-lambda t}``,
    ``sum_j a_j e^{-j lambda t} = u p(u)``, ``p`` a polynomial of degree
    ``m - 1``, and ``rho = u g(u)``, so ``||rho - u p||_1 = (1/lambda)
    int_0^1 |g - p| du`` and ``||rho - u p||_2^2 = (1/lambda) int_0^1 u (g - p)^2
    du``. Near ``u0 = e^{-lambda t0}``, ``g(u) ~ ((u0 - u)/(lambda u0))^alpha_+``:
    an interior singularity of order ``alpha``, whose best polynomial error is
    of order ``m^{-alpha}`` uniformly, ``m^{-alpha-1/2}`` in L2 and
    ``m^{-alpha-1}`` in L1 (Bernstein's ``|x|^alpha`` law; the error lives in a
    window of width ``1/m`` around ``u0``). With ``lambda = beta/2``,
    ``g = u (ln(u0/u)/lambda)^alpha`` near ``u = 0``: an endpoint singularity
    ``u ln^alpha(1/u)`` whose polynomial error decays only like ``m^{-2}`` up to
    powers of ``ln m`` (endpoint singularities ``u^a`` cost ``m^{-2a}``), so the
    interior exponent ``alpha + 1`` can be seen only while it is below about 2
    plus the logarithms' effect; the measured exponents
    (``benchmarks/results/memory-rates.json``) agree for ``alpha = 1, 2`` and
    saturate near 2 for ``alpha = 3``. Free rates can only do better.

    *Closed forms* (``s = t - t0``): ``||rho||_1 = alpha!/beta^{alpha+1}``,
    ``||rho||_2^2 = (2 alpha)!/(2 beta)^{2 alpha + 1}``, ``<rho, e^{-w t}> =
    e^{-w t0} alpha!/(beta + w)^{alpha+1}`` (Gamma integrals), tail
    ``int_T^inf rho = ||rho||_1 e^{-x} sum_{j<=alpha} x^j/j!``, ``x = beta (T - t0)_+``.

    Examples
    --------
    >>> from tnrnn.linear_rnn import smooth
    >>> k = smooth(2, 1.0, 0.5)
    >>> k.spec, k.l1_norm()    # 2!/0.5^3
    ('smooth:2:1:0.5', 16.0)
    >>> float(k.inner_exp(0.0)) == k.l1_norm()
    True
    """
    if isinstance(alpha, bool):
        raise SpecError(f"smooth: alpha must be an integer in 0..12; got {alpha!r}")
    try:
        a = int(alpha) if isinstance(alpha, str) else alpha
    except ValueError:
        raise SpecError(f"smooth: alpha must be an integer in 0..12; got {alpha!r}") from None
    import numbers

    if not isinstance(a, numbers.Integral) or not 0 <= a <= 12:
        raise SpecError(f"smooth: alpha must be an integer in 0..12; got {alpha!r}")
    t0 = _check_param("smooth", "t0", t0, positive=False)
    beta = _check_param("smooth", "beta", beta, positive=True)
    if t0 > 1e4 or beta > 1e4 or beta < 1e-4:
        raise SpecError(f"smooth: need t0 <= 1e4 and 1e-4 <= beta <= 1e4; got t0={t0!r}, "
                        f"beta={beta!r}")
    return _one(_Smooth(int(a), t0, beta))


def tabulated(values, step: float, label: str = "table") -> Kernel:
    """A kernel known by samples: piecewise linear between ``values[i]`` at ``t = i step``,
    zero from the last sample on.

    Every closed form of the other families has an exact counterpart here
    (sums of one-segment integrals; derivations in
    :mod:`tnrnn.linear_rnn._tabulated`), so projections, L1 brackets and
    gradient flows treat a table like any other kernel. Its ``spec`` is
    ``"tabulated:LABEL"``, a name only: :func:`parse_kernel` cannot read the
    samples back.

    Parameters
    ----------
    values : sequence of float
        Samples ``rho(i step)``, ``i = 0..N`` (2 to 100,000 of them).
    step : float
        Spacing, in ``[1e-6, 1e3]``.
    label : str
        Name used in ``spec``.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn import tabulated
    >>> k = tabulated([1.0, 1.0, 0.0], 0.5, "box")     # 1 on [0, 0.5], then down to 0 at 1
    >>> k.spec, k.l1_norm(), round(k.l2_norm() ** 2, 12)   # 0.5 + 0.25; 0.5 + 0.5/3
    ('tabulated:box', 0.75, 0.666666666667)
    >>> round(float(k.inner_exp(0.0)), 12), float(k.value(0.75))
    (0.75, 0.5)
    """
    vals, h = check_table(values, step)
    if not isinstance(label, str) or not label or len(label) > 200:
        raise SpecError(f"tabulated: label must be a non-empty string of at most 200 "
                        f"characters; got {label!r:.60}")
    return _one(_Tabulated(h, vals, label))


KERNEL_FAMILIES = {"exponential": exponential, "exp": exponential,
                   "polynomial": polynomial, "poly": polynomial,
                   "delayed": delayed, "airy": airy, "smooth": smooth}


def parse_kernel(text: str) -> Kernel:
    """Read a kernel from text: ``family:param[:param]`` terms joined by ``+``,
    each optionally scaled as ``c*family:param``.

    Families: ``exponential:BETA`` (alias ``exp``), ``polynomial:OMEGA``
    (alias ``poly``), ``delayed:T0[:BETA]``, ``airy:T0``,
    ``smooth:ALPHA[:T0[:BETA]]``.

    Parameters
    ----------
    text : str or Kernel
        The kernel's text (at most 2000 characters, 65 terms); a
        :class:`Kernel` is returned as it is.

    Returns
    -------
    Kernel
        Its :attr:`Kernel.spec` reads back to the same kernel.

    Examples
    --------
    >>> from tnrnn.linear_rnn import parse_kernel
    >>> parse_kernel("exp:1+0.5*delayed:2").spec
    'exponential:1+0.5*delayed:2'
    >>> parse_kernel("gauss:1")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: kernel 'gauss:1': unknown family 'gauss'; valid: airy, delayed, exp, exponential, poly, polynomial, smooth
    """
    if isinstance(text, Kernel):
        return text
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"kernel must be text like 'polynomial:0.5'; got {text!r}")
    if len(text) > 2000 or text.count("+") > 64:
        raise SpecError(f"kernel text is too long ({len(text)} characters, "
                        f"{text.count('+') + 1} terms); at most 2000 and 65")
    total = None
    for part in text.replace(" ", "").split("+"):
        coef = 1.0
        if "*" in part:
            c, part = part.split("*", 1)
            try:
                coef = float(c)
            except ValueError:
                raise SpecError(f"kernel {text!r}: scale {c!r} is not a number") from None
            if not math.isfinite(coef) or abs(coef) > 1e100:
                raise SpecError(f"kernel {text!r}: scale {c!r} must be a finite number "
                                f"of size <= 1e100")
        name, *params = part.split(":")
        if name not in KERNEL_FAMILIES:
            valid = ", ".join(sorted(KERNEL_FAMILIES))
            raise SpecError(f"kernel {text!r}: unknown family {name!r}; valid: {valid}")
        nmin, nmax = {"delayed": (1, 2), "smooth": (1, 3)}.get(name, (1, 1))
        if not nmin <= len(params) <= nmax:
            want = str(nmax) if nmin == nmax else f"{nmin} or {nmax}" if nmax == nmin + 1 \
                else f"{nmin} to {nmax}"
            raise SpecError(f"kernel {text!r}: {name} takes {want} "
                            f"parameter(s) after ':'; got {len(params)}")
        k = KERNEL_FAMILIES[name](*params)
        k = k * coef if coef != 1 else k
        total = k if total is None else total + k
    return total
