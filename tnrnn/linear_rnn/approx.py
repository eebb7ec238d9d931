"""Approximating a memory kernel by the kernel of a linear RNN (a sum of exponentials).

A continuous-time linear RNN ``dh/dt = W h + U x``, ``y = c^T h`` realises
``y_t = int_0^inf rho_hat(s) x_{t-s} ds`` with ``rho_hat(s) = c^T e^{W s} U``; with
``W = -diag(w)`` this is ``sum_i a_i e^{-w_i s}``. Two errors measure how well it
reproduces a target kernel ``rho`` (as stated in Li, Han, E, Li, arXiv 2009.07799):
the white-noise loss ``||rho - rho_hat||_2^2`` and the uniform functional error
``sup_t |H_t - H_hat_t| = ||rho - rho_hat||_1`` over inputs bounded by 1.

Routes of :func:`project` (fixed rates, best coefficients, squared L2 error):

``"exact"``
    The Gram matrix ``G_ij = 1/(w_i + w_j)`` is a Cauchy matrix. Its
    ``L D L^T`` factorisation has the explicit Schur recursion (generator
    ``g_i <- g_i (w_i - w_k)/(w_i + w_k)``, ``d_k = g_k^2/(2 w_k)``,
    ``L_ik = (g_i/g_k) 2 w_k/(w_i + w_k)``) in ``O(m^2)`` operations, run in
    mpmath with ``<rho, e^{-w t}>`` and ``||rho||^2`` in mpmath; the precision
    is raised until two runs 20 digits apart agree to 1e-16. Claimed and
    measured (``benchmarks/bench_memory.py``, against Gaussian elimination on
    the full Gram matrix in mpmath): equal to the reference in float64 (error
    and coefficients) for every kernel tested and every ``m`` up to 64.
``"qr"``
    float64: the exponentials sampled on a double-exponential quadrature grid
    (columns scaled to unit norm), Householder QR, the residual formed
    directly. Claimed: 1e-12 relative (error and coefficients) up to
    ``m = 16`` on the sinc grids of :func:`rate_grid` (measured: all five
    benchmark kernels to m = 16, three of them to m = 32); beyond, the error
    loses accuracy where it is small (4.8e-9 relative at m = 64 for
    ``(1+t)^-2``, whose error is 4e-19 there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from ._checks import finite_number, real_vector
from ._l1 import l1_by_sign_changes
from ._special import de_rule
from .kernels import Kernel, parse_kernel

__all__ = ["rnn_kernel", "rnn_kernel_discrete", "rate_grid", "Projection", "project",
           "PROJECT_ROUTES", "get_project_route", "L1Error", "l1_error", "exp_sum", "cond_digits"]


# ---------------------------------------------------------------- RNN -> kernel
def rnn_kernel(W, U, c, t) -> np.ndarray:
    """``rho_hat(t) = c^T e^{W t} U`` of the continuous-time linear RNN.

    Parameters
    ----------
    W : array_like, shape (d, d)
        The recurrent matrix (``d <= 500``).
    U : array_like, shape (d,) or (d, k)
        The input weights (``k`` inputs).
    c : array_like, shape (d,)
        The readout.
    t : array_like
        Times (at most 100,000).

    Returns
    -------
    numpy.ndarray
        Shape ``t.shape`` (or ``t.shape + (k,)``).

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import rnn_kernel
    >>> W = -np.diag([1.0, 3.0]); U = np.ones(2); c = np.array([2.0, -1.0])
    >>> np.allclose(rnn_kernel(W, U, c, [0.0, 0.5]), 2 * np.exp(-np.array([0, .5])) - np.exp(-3 * np.array([0, .5])))
    True
    """
    from scipy.linalg import expm

    W, U, c = (_real_array(n, v) for n, v in (("W", W), ("U", U), ("c", c)))
    d = _check_rnn(W, U, c)
    t = _real_array("t", t, max_size=100_000)
    if d > 500:
        raise TooLargeError(f"rnn_kernel: d = {d} > 500 states (one d x d matrix exponential "
                            f"per time)", estimate=d, limit=500)
    out = np.array([c @ expm(W * s) @ U for s in t.ravel()])
    return out.reshape(t.shape + U.shape[1:]) if d else out


def _real_array(name, v, max_size=1_000_000):
    size = getattr(v, "size", None) or (len(v) if hasattr(v, "__len__") else 1)
    if size > max_size:
        raise TooLargeError(f"{name} has {size} entries; at most {max_size}", estimate=size,
                            limit=max_size)
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be an array of real numbers; got {v!r:.60}") from None
    if arr.size > max_size:
        raise TooLargeError(f"{name} has {arr.size} entries; at most {max_size}",
                            estimate=arr.size, limit=max_size)
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} must hold finite numbers")
    return arr


def _check_rnn(W, U, c):
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise SpecError(f"W must be a square matrix; got shape {W.shape}")
    d = W.shape[0]
    if U.shape[:1] != (d,) or U.ndim > 2:
        raise SpecError(f"U must have shape ({d},) or ({d}, k) to match W; got {U.shape}")
    if c.shape != (d,):
        raise SpecError(f"c must have shape ({d},) to match W; got {c.shape}")
    return d


def rnn_kernel_discrete(A, B, c, n: int) -> np.ndarray:
    """``rho_j = c^T A^j B`` for ``j = 0..n-1``: the kernel of ``h_{k+1} = A h_k + B x_k``,
    ``y_k = c^T h_{k+1}``, i.e. ``y_k = sum_j rho_j x_{k-j}``.

    With ``A = I + dt W`` (or ``e^{W dt}``) and ``B = dt U``, ``rho_j / dt`` tends to
    ``rnn_kernel(W, U, c, j dt)`` as ``dt -> 0``.

    Parameters
    ----------
    A : array_like, shape (d, d)
        The recurrent matrix.
    B : array_like, shape (d,) or (d, k)
        The input weights.
    c : array_like, shape (d,)
        The readout.
    n : int
        Number of lags.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)`` (or ``(n, k)``).

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import rnn_kernel_discrete
    >>> rnn_kernel_discrete(np.diag([0.5]), np.ones(1), np.ones(1), 4).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    A, B, c = (_real_array(nm, v) for nm, v in (("A", A), ("B", B), ("c", c)))
    _check_rnn(A, B, c)
    n = check_positive_int("n", n)
    if n * max(1, B.size) > 50_000_000:
        raise TooLargeError(f"rnn_kernel_discrete: n = {n} steps x {B.size} is too large",
                            estimate=n * B.size, limit=50_000_000)
    out = np.empty((n,) + B.shape[1:])
    v = B.copy()
    for j in range(n):
        out[j] = c @ v
        v = A @ v
    return out


def exp_sum(a, w, t) -> np.ndarray:
    """``sum_i a_i e^{-w_i t}`` (the kernel of a diagonal linear RNN).

    Parameters
    ----------
    a : array_like, shape (m,)
        Coefficients.
    w : array_like, shape (m,)
        Rates.
    t : array_like
        Times.

    Returns
    -------
    numpy.ndarray
        Shape ``t.shape``.

    Examples
    --------
    >>> from tnrnn.linear_rnn import exp_sum
    >>> float(exp_sum([1.0, 2.0], [1.0, 2.0], 0.0))
    3.0
    """
    a = real_vector("a", a, max_len=100_000, allow_empty=True)
    w = real_vector("w", w, max_len=100_000, allow_empty=True)
    if a.shape != w.shape:
        raise SpecError(f"a and w must have the same length; got {a.size} and {w.size}")
    t = _real_array("t", t, max_size=10_000_000)
    if t.size * w.size > 50_000_000:
        raise TooLargeError(f"exp_sum: {t.size} times x {w.size} rates is too large",
                            estimate=t.size * w.size, limit=50_000_000)
    return np.exp(-np.multiply.outer(t, w)) @ a


# ------------------------------------------------------------------ rate grids
def rate_grid(m: int, kind: str = "sinc", *, lo: float = 1e-2, hi: float = 1e2,
              scale: float = 1.0) -> np.ndarray:
    """Fixed rates for ``m`` exponentials.

    ``"geometric"``: ``m`` rates spread geometrically over ``[lo, hi]``.
    ``"sinc"``: ``scale * exp(h (k - (m-1)/2))``, ``h = pi / sqrt(m)`` -- the
    spacing of sinc quadrature of ``(1+t)^{-p} = Gamma(p)^{-1} int s^{p-1}
    e^{-s(1+t)} ds`` in ``log s``, which spreads the rates over ``e^{+-pi sqrt(m)/2}``.

    Parameters
    ----------
    m : int
        Number of rates (at most 10,000).
    kind : {"sinc", "geometric"}
        The spacing.
    lo : float
        Smallest rate (``"geometric"``).
    hi : float
        Largest rate (``"geometric"``).
    scale : float
        The middle rate (``"sinc"``).

    Returns
    -------
    numpy.ndarray
        ``m`` increasing positive rates.

    Examples
    --------
    >>> from tnrnn.linear_rnn import rate_grid
    >>> rate_grid(3, "geometric", lo=1.0, hi=100.0).tolist()
    [1.0, 10.0, 100.0]
    >>> rate_grid(1).tolist()
    [1.0]
    """
    m = check_positive_int("m", m)
    if m > 10_000:
        raise TooLargeError(f"rate_grid: m = {m} > 10000 rates", estimate=m, limit=10_000)
    lo = finite_number("lo", lo, minimum=0.0, open_minimum=True)
    hi = finite_number("hi", hi, minimum=0.0, open_minimum=True)
    scale = finite_number("scale", scale, minimum=0.0, open_minimum=True)
    if kind == "geometric":
        if not (0 < lo <= hi) or (m > 1 and lo == hi):
            raise SpecError(f"rate_grid: need 0 < lo < hi; got lo={lo!r}, hi={hi!r}")
        return np.geomspace(lo, hi, m) if m > 1 else np.array([math.sqrt(lo * hi)])
    if kind == "sinc":
        h = math.pi / math.sqrt(m)
        return scale * np.exp(h * (np.arange(m) - (m - 1) / 2))
    raise SpecError(f"rate_grid: unknown kind {kind!r}; valid: geometric, sinc")


# --------------------------------------------------------------------- project
@dataclass(frozen=True)
class Projection:
    """Best coefficients for fixed rates (the result of :func:`project`).

    Parameters
    ----------
    rates : numpy.ndarray
        The fixed rates ``w``.
    coefs : numpy.ndarray
        The best coefficients ``a``.
    l2_sq_error : float
        ``min_a ||rho - sum_i a_i e^{-w_i t}||_2^2``.
    rho_l2_sq : float
        ``||rho||_2^2``.
    route : str
        ``"exact"`` or ``"qr"``.
    dps : int or None
        mpmath decimal digits used (``"exact"`` route).

    Examples
    --------
    >>> from tnrnn.linear_rnn import project
    >>> p = project("exponential:1", [2.0])
    >>> round(p.relative_l2_error ** 2, 12)   # (1/18) / (1/2)
    0.111111111111
    >>> p.to_dict()["route"], p.to_dict()["rates"]
    ('exact', [2.0])
    """

    rates: np.ndarray
    coefs: np.ndarray
    l2_sq_error: float
    rho_l2_sq: float
    route: str
    dps: int | None = None

    @property
    def relative_l2_error(self) -> float:
        """``||rho - rho_hat||_2 / ||rho||_2``."""
        return math.sqrt(max(self.l2_sq_error, 0.0) / self.rho_l2_sq)

    def to_dict(self) -> dict:
        """JSON-able fields (arrays as lists)."""
        return {"rates": self.rates.tolist(), "coefs": self.coefs.tolist(),
                "l2_sq_error": self.l2_sq_error, "rho_l2_sq": self.rho_l2_sq,
                "route": self.route, "dps": self.dps}


def _check_rates(rates, max_m: int = 100_000) -> np.ndarray:
    w = real_vector("rates", rates, max_len=max_m)
    if np.any(w <= 0):
        raise SpecError(f"rates must be finite and > 0; got {w.tolist()}")
    if np.unique(w).size != w.size:
        raise SpecError(f"rates must be distinct (the Gram matrix is singular otherwise); "
                        f"got {w.tolist()}")
    return w


def _cauchy_solve(w, b, rho_sq, mp):
    """Schur (LDL^T) solve of G a = b for G_ij = 1/(w_i + w_j); returns (a, err)."""
    m = len(w)
    g = [mp.mpf(1)] * m
    d = [None] * m
    L = [[mp.mpf(0)] * m for _ in range(m)]
    for k in range(m):
        d[k] = g[k] ** 2 / (2 * w[k])
        for i in range(k + 1, m):
            L[i][k] = (g[i] / g[k]) * (2 * w[k]) / (w[i] + w[k])
            g[i] = g[i] * (w[i] - w[k]) / (w[i] + w[k])
    z = [None] * m
    for i in range(m):
        z[i] = b[i] - mp.fsum(L[i][k] * z[k] for k in range(i))
    err = rho_sq - mp.fsum(z[k] ** 2 / d[k] for k in range(m))
    y = [z[k] / d[k] for k in range(m)]
    a = [None] * m
    for i in reversed(range(m)):
        a[i] = y[i] - mp.fsum(L[k][i] * a[k] for k in range(i + 1, m))
    return a, err


def _project_exact(kernel: Kernel, w: np.ndarray, dps: int | None = None):
    import mpmath

    digits = cond_digits(w)
    dps = dps or int(30 + digits)
    for _ in range(6):
        with mpmath.workdps(dps + 20):
            wm = [mpmath.mpf(float(x)) for x in w]
            b = [kernel.inner_exp_mp(x, mpmath.mp) for x in wm]
            rho_sq = kernel.l2_sq_mp(mpmath.mp)
            res = []
            for p in (dps, dps + 20):
                with mpmath.workdps(p):
                    res.append(_cauchy_solve([+x for x in wm], [+x for x in b], +rho_sq,
                                             mpmath.mp))
        (a1, e1), (a2, e2) = res
        scale = max(abs(e2), mpmath.mpf(10) ** (-dps))
        ok = abs(e1 - e2) <= 1e-16 * scale and all(
            abs(x - y) <= 1e-16 * max(abs(y), mpmath.mpf(10) ** (-dps)) for x, y in zip(a1, a2))
        if ok:
            return (np.array([float(x) for x in a2]), float(e2), float(rho_sq), dps + 20)
        dps = int(dps * 1.5)
    return (np.array([float(x) for x in a2]), float(e2), float(rho_sq), dps + 20)


def cond_digits(w) -> float:
    """``log10`` of ``1 / (smallest pivot)`` of the diagonally scaled Gram matrix
    ``2 sqrt(w_i w_j) / (w_i + w_j)`` (unit diagonal): a lower bound on its condition
    number, since ``cond(S) >= max_k (S^{-1})_kk``. The pivot of ``k`` eliminated
    last is ``1/(S^{-1})_kk = prod_{j != k} ((w_k - w_j)/(w_k + w_j))^2`` (the Schur
    recursion), accurate in float64 as a product of differences of the rates.

    Parameters
    ----------
    w : array_like
        The positive decay rates ``w_1, ..., w_m`` of the exponentials.

    Returns
    -------
    float
        ``log10`` of the bound (0 when it is below 1): the decimal digits lost
        to conditioning when solving with this Gram matrix.

    Examples
    --------
    >>> from tnrnn.linear_rnn.approx import cond_digits
    >>> round(cond_digits([1.0, 3.0]), 6)  # S = [[1, sqrt(3)/2], [sqrt(3)/2, 1]]: 1/(1 - 3/4)
    0.60206
    """
    w = np.sort(np.asarray(w, float))
    m = len(w)
    logd = np.zeros(m)
    for k in range(m):
        others = np.delete(w, k)
        logd[k] = 2 * np.sum(np.log(np.abs(others - w[k]) / (others + w[k])))
    return float(max(0.0, -logd.min() / math.log(10)))



_GRID_CACHE: dict = {}


def _grid(kernel: Kernel):
    key = kernel.breaks
    if key not in _GRID_CACHE:
        _GRID_CACHE[key] = de_rule(key)
    return _GRID_CACHE[key]


def _project_qr(kernel: Kernel, w: np.ndarray):
    t, q = _grid(kernel)
    sq = np.sqrt(q)
    A = sq[:, None] * np.exp(-np.multiply.outer(t, w)) * np.sqrt(2 * w)[None, :]
    r0 = sq * kernel.value(t)
    Q, R = np.linalg.qr(A)
    y = Q.T @ r0
    r = r0 - Q @ y
    y2 = Q.T @ r           # one step of re-orthogonalisation
    r = r - Q @ y2
    y = y + y2
    from scipy.linalg import solve_triangular

    a = solve_triangular(R, y) * np.sqrt(2 * w)
    return a, float(r @ r), float(kernel.l2_sq())


PROJECT_ROUTES = {"exact": _project_exact, "qr": _project_qr}


def get_project_route(name: str):
    """The projection route called ``name`` (``"exact"`` or ``"qr"``).

    Parameters
    ----------
    name : str
        A key of :data:`PROJECT_ROUTES`.

    Returns
    -------
    callable
        ``route(kernel, rates) -> (coefs, l2_sq_error, rho_l2_sq[, dps])``.

    Examples
    --------
    >>> from tnrnn.linear_rnn import get_project_route
    >>> get_project_route("qr").__name__
    '_project_qr'
    >>> get_project_route("lu")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown projection route 'lu'; valid: exact, qr
    """
    try:
        return PROJECT_ROUTES[name]
    except (KeyError, TypeError):
        raise SpecError(f"unknown projection route {name!r}; valid: "
                        f"{', '.join(sorted(PROJECT_ROUTES))}") from None


def project(kernel, rates, route: str = "exact", *, max_m: int = 256) -> Projection:
    """Best coefficients ``a`` for fixed rates and ``||rho - sum_i a_i e^{-w_i t}||_2^2``.

    Parameters
    ----------
    kernel : Kernel or str
    rates : sequence of distinct positive floats
    route : {"exact", "qr"}
        See the module docstring for the accuracy of each.
    max_m : int
        Refuse more rates than this (the exact route costs ``O(m^2)`` mpmath
        operations at ``30 + log10 cond`` digits).

    Returns
    -------
    Projection

    Notes
    -----
    ``min_a ||rho - sum a_i e_i||^2 = ||rho||^2 - b^T G^{-1} b`` with
    ``b_i = <rho, e^{-w_i t}>`` and ``G_ij = 1/(w_i + w_j)``; G's condition
    number is about 1e8 at m = 16 and 3e11 at m = 24 on spread-out rates, so
    the normal equations are never solved in float64.

    Examples
    --------
    >>> from tnrnn.linear_rnn import project
    >>> p = project("exponential:1", [0.5, 1.0, 2.0])
    >>> abs(p.l2_sq_error) < 1e-30, (p.coefs.round(12) + 0.0).tolist()
    (True, [0.0, 1.0, 0.0])
    >>> round(project("exponential:1", [2.0]).l2_sq_error, 15)  # (v-w)^2/(2v(v+w)^2)
    0.055555555555556
    """
    kernel = parse_kernel(kernel)
    fn = get_project_route(route)
    max_m = check_positive_int("max_m", max_m)
    w = _check_rates(rates, max(max_m, 1) * 4)
    if w.size > max_m:
        raise TooLargeError(f"project: {w.size} rates exceed max_m={max_m} (the exact route "
                            f"costs O(m^2) extended-precision steps); raise max_m",
                            estimate=w.size, limit=max_m)
    out = fn(kernel, w)
    dps = out[3] if len(out) > 3 else None
    return Projection(w, out[0], out[1], out[2], route, dps)


# -------------------------------------------------------------------- L1 error
@dataclass(frozen=True)
class L1Error:
    """``||rho - sum_i a_i e^{-w_i t}||_1`` with an error estimate (see :func:`l1_error`).

    Parameters
    ----------
    value : float
        The L1 norm.
    bound : float
        Estimated absolute error: the exponentials' tail beyond ``horizon``,
        float64 cancellation (``1e-15 (pieces) sum |a_i|/w_i``: large when nearly
        equal rates carry huge opposite coefficients) and rounding.
    horizon : float
        Time past which every exponential is below ``1e-17`` of its coefficient.
    sign_changes : int
        Sign changes of the difference located.

    Examples
    --------
    >>> from tnrnn.linear_rnn import l1_error
    >>> e = l1_error("exponential:1+-2*exponential:2", [], [])   # sign change at ln 2
    >>> round(e.value, 12), e.sign_changes, e.bound < 1e-12
    (0.5, 1, True)
    """

    value: float
    bound: float
    horizon: float
    sign_changes: int

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return {"value": self.value, "bound": self.bound, "horizon": self.horizon,
                "sign_changes": self.sign_changes}


def l1_error(kernel, coefs, rates, *, points: int = 4000) -> L1Error:
    """``||rho - sum_i a_i e^{-w_i t}||_1`` by closed-form integrals between sign changes.

    The difference ``r(t)`` is sampled on ``points`` log-spaced times up to a
    horizon ``T`` past which every exponential is below ``1e-17`` of its
    coefficient; each sign change is located by Brent's method and ``int |r|``
    is the sum of ``|int r|`` over the pieces, with ``int rho`` and ``int
    e^{-w t}`` in closed form (``rho``'s tail beyond ``T`` included exactly).
    Two sign changes closer than the sampling step can be missed (they would
    contribute twice the integral of ``|r|`` between them, which is tiny there).

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    coefs : array_like, shape (m,)
        Coefficients ``a`` (may be empty).
    rates : array_like, shape (m,)
        Distinct positive rates ``w``.
    points : int
        Sampling points for locating sign changes (at least 16).

    Returns
    -------
    L1Error

    Examples
    --------
    >>> from tnrnn.linear_rnn import l1_error
    >>> round(l1_error("polynomial:0.5", [], []).value, 12)  # ||rho||_1 = 1/omega
    2.0
    >>> round(l1_error("exponential:1", [2.0], [1.0]).value, 12)  # |1 - 2| * 1
    1.0
    """
    kernel = parse_kernel(kernel)
    a = real_vector("coefs", coefs, max_len=4096, allow_empty=True)
    w = real_vector("rates", rates, max_len=4096, allow_empty=True)
    if a.shape != w.shape:
        raise SpecError(f"coefs and rates must have the same length; got {a.size} and {w.size}")
    if w.size:
        _check_rates(w)
    points = check_positive_int("points", points, minimum=16)
    if points * max(1, w.size) > 50_000_000:
        raise TooLargeError(f"l1_error: {points} points x {w.size} rates is too large",
                            estimate=points * w.size, limit=50_000_000)
    return L1Error(*l1_by_sign_changes(kernel, a, w, points))
