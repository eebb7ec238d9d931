"""The best L1 error for fixed rates, bracketed by linear programming (scipy's HiGHS).

``E_1(w) = min_a ||rho - sum_i a_i e^{-w_i t}||_1`` is the uniform functional
error of the best linear RNN with rates ``w`` (the error of the approximation
theorems). It is a convex but non-smooth problem in ``a``; here it is
bracketed, not estimated:

**Lower bound (certified discretisation).** Cut ``[0, inf)`` into cells
``[e_j, e_{j+1})`` (the last one ``[e_N, inf)``). For every ``a``, by the
triangle inequality,
``||rho - rho_hat||_1 = sum_j int_cell |r| >= sum_j |int_cell r|
= sum_j |c_j - (M a)_j|`` with ``c_j = int_cell rho`` (closed form: the
kernel's tails) and ``M_ji = int_cell e^{-w_i t}`` (closed form, with
``expm1``). So the minimum over ``a`` of the right-hand side, a linear
program, is a lower bound on ``E_1(w)`` whatever the cells; finer cells only
make it tighter. (Up to the LP solver's tolerance: the reported bound is the
smaller of HiGHS's optimum and the discrete objective at its solution, less
their difference.)

**Upper bound.** The L1 error of the LP's own coefficients, computed by
:func:`tnrnn.linear_rnn.l1_error` (closed-form integrals between the sign
changes), plus that function's error estimate.

Cells are doubled until the bracket is within ``rtol`` (relative) or
``max_cells`` is reached; what was reached is reported either way.

:func:`l1_bracket_uniform` does the same for the rates ``j lambda``
(``j = 1..m``) of the approximation theorem's construction, in the
well-conditioned basis ``u T_k(2u - 1)``, ``u = e^{-lambda t}`` (Chebyshev
polynomials; the span is that of the exponentials ``e^{-j lambda t}``,
whose own basis is as ill-conditioned as monomials).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from ._checks import finite_number
from .approx import _check_rates, l1_error
from .kernels import parse_kernel

__all__ = ["L1Bracket", "l1_bracket", "l1_bracket_uniform"]


@dataclass(frozen=True)
class L1Bracket:
    """``lower <= min_a ||rho - sum_i a_i e^{-w_i t}||_1 <= upper``.

    Parameters
    ----------
    lower : float
        Certified lower bound on the best L1 error.
    upper : float
        The L1 error of ``coefs`` (an upper bound).
    coefs : numpy.ndarray
        The LP's coefficients (exponential basis; for
        :func:`l1_bracket_uniform` the Chebyshev coefficients of ``p``).
    rates : numpy.ndarray
        The fixed rates.
    cells : int
        Cells of the last LP.
    rho_l1 : float
        ``||rho||_1``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import L1Bracket
    >>> b = L1Bracket(0.4, 0.5, np.ones(1), np.ones(1), 100, 2.0)
    >>> b.relative, b.to_dict()["rates"]
    ((0.2, 0.25), [1.0])
    """

    lower: float
    upper: float
    coefs: np.ndarray
    rates: np.ndarray
    cells: int
    rho_l1: float

    @property
    def relative(self) -> tuple[float, float]:
        """``(lower, upper) / ||rho||_1``."""
        return self.lower / self.rho_l1, self.upper / self.rho_l1

    def to_dict(self) -> dict:
        """JSON-able fields (arrays as lists)."""
        return {"lower": self.lower, "upper": self.upper, "cells": self.cells,
                "rho_l1": self.rho_l1, "coefs": self.coefs.tolist(),
                "rates": self.rates.tolist()}


def _solve_lp(M, c):
    """``min_x sum |c - M x|`` by HiGHS; returns (x, lower bound on the optimum).

    The LP runs in an orthonormal basis of the columns of ``M`` (QR of the
    column-scaled matrix): the same span, so the same optimum, without the
    near-dependence of close exponentials that makes the simplex fail.
    """
    from scipy import sparse
    from scipy.linalg import solve_triangular
    from scipy.optimize import linprog

    N, m = M.shape
    scale = np.max(np.abs(M), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Q, R = np.linalg.qr(M / scale)
    cs = max(float(np.max(np.abs(c))), 1e-300)
    eye = sparse.identity(N, format="csr")
    A = sparse.vstack([sparse.hstack([sparse.csr_matrix(Q), -eye]),
                       sparse.hstack([sparse.csr_matrix(-Q), -eye])], format="csr")
    b = np.concatenate([c, -c]) / cs
    obj = np.concatenate([np.zeros(m), np.ones(N)])
    bounds = [(None, None)] * m + [(0, None)] * N
    res = None
    for tol in (1e-10, 1e-8, 1e-7):
        res = linprog(obj, A_ub=A, b_ub=b, bounds=bounds, method="highs",
                      options={"primal_feasibility_tolerance": tol,
                               "dual_feasibility_tolerance": tol})
        if res.status == 0 and res.x is not None:
            break
    if res.status != 0 or res.x is None:
        raise SpecError(f"the L1 linear program failed: {res.message}")
    y = res.x[:m] * cs
    with np.errstate(all="ignore"):
        x = solve_triangular(R, y) / scale
    disc = float(np.sum(np.abs(c - Q @ y)))
    fun = float(res.fun) * cs
    lower = min(fun, disc) - abs(disc - fun)
    return x, max(lower, 0.0)


def l1_bracket(kernel, rates, *, cells: int = 1000, max_cells: int = 4000,
               rtol: float = 1e-3) -> L1Bracket:
    """Bracket the best L1 error with fixed ``rates`` (module docstring).

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    rates : sequence of float
        Distinct positive rates (at most 64).
    cells : int
        First number of log-spaced cells.
    max_cells : int
        Largest number of cells (refinement doubles until then).
    rtol : float
        Stop refining once ``upper - lower <= rtol * upper``.

    Returns
    -------
    L1Bracket

    Examples
    --------
    >>> from tnrnn.linear_rnn import l1_bracket
    >>> b = l1_bracket("exponential:1", [0.5, 1.0, 3.0])   # exact: a = (0, 1, 0), error 0
    >>> b.lower <= 1e-9 and b.upper < 1e-9
    True
    >>> # min_a ||e^-t - a e^-2t||_1 = sqrt(2) - 1 (at a = sqrt(2): the sign change
    >>> # t* must split int e^{-2t} in halves, e^{-2 t*} = 1/2, and a = e^{t*})
    >>> b = l1_bracket("exponential:1", [2.0])
    >>> bool(b.lower <= 2 ** 0.5 - 1 <= b.upper), round(b.upper, 5)
    (True, 0.41422)
    """
    kernel = parse_kernel(kernel)
    w = _check_rates(rates, max_m=256)
    if w.size > 64:
        raise TooLargeError(f"l1_bracket: {w.size} rates > 64", estimate=w.size, limit=64)
    cells = check_positive_int("cells", cells, minimum=16)
    max_cells = check_positive_int("max_cells", max_cells, minimum=16)
    if max_cells > 200_000:
        raise TooLargeError(f"l1_bracket: max_cells={max_cells} > 200000",
                            estimate=max_cells, limit=200_000)
    rtol = finite_number("rtol", rtol, minimum=0.0, open_minimum=True)
    rho_l1 = kernel.l1_norm()
    brk = np.array(kernel.breaks, float)
    lo = 1e-4 / w.max()
    hi = max(60.0 / w.min(), 20.0 * (1.0 + (brk.max() if brk.size else 0.0)))
    n = cells
    while True:
        e = np.unique(np.concatenate([[0.0], np.geomspace(lo, hi, n), brk]))
        c = kernel.integral(e, np.append(e[1:], np.inf))
        de = np.append(np.diff(e), np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            M = (np.exp(-np.multiply.outer(e, w))
                 * np.where(np.isinf(de)[:, None], 1.0, -np.expm1(-np.multiply.outer(de, w)))
                 / w)
        x, lower = _solve_lp(M, np.asarray(c, float))
        err = l1_error(kernel, x, w)
        upper = err.value + err.bound
        if upper - lower <= rtol * max(upper, 1e-300) or 2 * n > max_cells:
            return L1Bracket(lower, upper, x, w, len(e), rho_l1)
        n *= 2


# --------------------------------------------------- rates j * lambda (Chebyshev)
def _cheb_int(m):
    """Antiderivatives (in x) of T_0..T_{m-1}, as Chebyshev series."""
    from numpy.polynomial import chebyshev as C

    return [C.chebint(np.eye(m)[k]) for k in range(m)]


def l1_bracket_uniform(kernel, lam: float, m: int, *, cells: int = 2000,
                       max_cells: int = 32000, rtol: float = 1e-3) -> L1Bracket:
    """Bracket the best L1 error with the rates ``lambda, 2 lambda, ..., m lambda``.

    With ``u = e^{-lambda t}`` the sums are ``u p(u)``, ``p`` of degree
    ``m - 1``, and ``||rho - u p||_1 = (1/lambda) int_0^1 |g - p| du`` with
    ``g(u) = rho(t(u))/u``. Cells in ``u`` (Chebyshev-spaced, refined
    geometrically around the kernel's breaks); the lower bound as in
    :func:`l1_bracket`; the upper bound integrates ``|g - p|`` exactly between
    the sign changes (located by Brent's method; ``int g`` from the kernel's
    tails, ``int p`` from the Chebyshev antiderivatives).

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    lam : float
        The rate step ``lambda > 0``.
    m : int
        Number of rates (at most 200).
    cells : int
        First number of Chebyshev-spaced cells in ``u``.
    max_cells : int
        Largest number of cells.
    rtol : float
        Stop refining once ``upper - lower <= rtol * upper``.

    Returns
    -------
    L1Bracket
        ``coefs`` are the Chebyshev coefficients of ``p`` (in ``2u - 1``).

    Examples
    --------
    >>> from tnrnn.linear_rnn.l1lp import l1_bracket_uniform
    >>> b = l1_bracket_uniform("exponential:2", 1.0, 3)   # e^{-2t} is the second rate
    >>> b.upper < 1e-9
    True
    """
    from numpy.polynomial import chebyshev as C
    from scipy.optimize import brentq

    kernel = parse_kernel(kernel)
    lam = finite_number("lam", lam, minimum=0.0, open_minimum=True)
    m = check_positive_int("m", m)
    if m > 200:
        raise TooLargeError(f"l1_bracket_uniform: m={m} > 200", estimate=m, limit=200)
    cells = check_positive_int("cells", cells, minimum=16)
    max_cells = check_positive_int("max_cells", max_cells, minimum=16)
    if max_cells > 200_000:
        raise TooLargeError(f"max_cells={max_cells} > 200000", estimate=max_cells,
                            limit=200_000)
    rtol = finite_number("rtol", rtol, minimum=0.0, open_minimum=True)
    rho_l1 = kernel.l1_norm()
    ub = np.exp(-lam * np.array(kernel.breaks, float))
    ints = _cheb_int(m)

    def t_of(u):
        with np.errstate(divide="ignore"):
            return np.where(u > 0, -np.log(np.maximum(u, 1e-300)) / lam, np.inf)

    def G(ua, ub_):   # int_{ua}^{ub} g du = lam int_{t(ub)}^{t(ua)} rho dt
        return lam * np.asarray(kernel.integral(t_of(ub_), t_of(ua)), float)

    def P(ua, ub_):   # int_{ua}^{ub} T_k(2u - 1) du, one column per k
        xa, xb = 2 * ua - 1, 2 * ub_ - 1
        return 0.5 * np.stack([C.chebval(xb, I) - C.chebval(xa, I) for I in ints], axis=-1)

    def g(u):
        u = np.asarray(u, float)
        with np.errstate(all="ignore"):
            return np.where(u > 0, kernel.value(t_of(u)) / np.maximum(u, 1e-300), 0.0)

    n = cells
    while True:
        base = 0.5 * (1 - np.cos(np.pi * np.arange(n + 1) / n))
        near = [u0 + s * np.geomspace(1e-9, 0.2, 80) for u0 in ub for s in (-1, 1)]
        e = np.unique(np.clip(np.concatenate([base, ub, *near]), 0.0, 1.0))
        Gc = G(e[:-1], e[1:])
        Pc = P(e[:-1], e[1:])
        x, lower = _solve_lp(Pc, Gc)
        # upper: exact integral of |g - p| between sign changes
        mids = 0.5 * (e[:-1] + e[1:])
        pts = np.unique(np.concatenate([e, mids]))
        r = g(pts) - C.chebval(2 * pts - 1, x)
        cuts = [0.0]
        for i in np.nonzero(np.sign(r[:-1]) * np.sign(r[1:]) < 0)[0]:
            lo_, hi_ = pts[i], pts[i + 1]
            if any(lo_ < b <= hi_ for b in ub):
                cuts.append(float(max(b for b in ub if lo_ < b <= hi_)))
                continue
            try:
                cuts.append(brentq(lambda u: float(g(u) - C.chebval(2 * u - 1, x)), lo_, hi_,
                                   xtol=1e-15))
            except ValueError:
                cuts.append(0.5 * (lo_ + hi_))
        cuts = np.array(sorted(set(cuts + [1.0])))
        pieces = G(cuts[:-1], cuts[1:]) - P(cuts[:-1], cuts[1:]) @ x
        upper = float(np.sum(np.abs(pieces))) / lam
        upper += 1e-15 * (len(cuts) + 1) * (rho_l1 + float(np.sum(np.abs(x))) / lam)
        lower = lower / lam
        if upper - lower <= rtol * max(upper, 1e-300) or 2 * n > max_cells:
            return L1Bracket(lower, upper, x, lam * np.arange(1, m + 1), len(e), rho_l1)
        n *= 2
