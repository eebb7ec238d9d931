"""A nonlinear target with memory: the forced Lorenz-96 ring, observed after a delay.

The system (Lorenz 1996) on a ring of ``K`` variables, forced by the input
``x`` on variable 0::

    dz_k/dt = (z_{k+1} - z_{k-2}) z_{k-1} - z_k + F + x(t) [k = 0],   k mod K,

started at its equilibrium ``z_k = F`` (which it is without input, and which
is stable for ``F < 8/9``: the Jacobian there is ``F (S_{+1} - S_{-2}) - I``,
with eigenvalues ``F (e^{i theta} - e^{-2 i theta}) - 1`` whose real part is
at most ``9F/8 - 1``). The target functional is ``y_t = z_read(t - t0) - F``:
variable ``read`` (one hop from the forced one for ``read = K - 1``) seen
``t0`` time units late, so ``t0`` sets the memory as the shift does for the
delayed and Airy kernels. The quadratic coupling makes ``y`` a nonlinear
functional of ``x``: with white-noise input of intensity ``sigma^2`` its
linear part explains the fraction ``R^2 < 1`` of its variance (measured).

**What a linear RNN sees of it.** For inputs ``x_k = sigma xi_k/sqrt(dt)``
(``xi`` i.i.d. standard normal, as in :func:`tnrnn.linear_rnn.linear_functional_dataset`),
the best linear predictor of ``y_k`` from the past inputs has the weights
``E[y_k x_{k-j}] / E[x^2] = dt rho_L(j dt)`` with ``rho_L(j dt) =
E[y_k x_{k-j}] / sigma^2``, the first Wiener kernel (Lee-Schetzen
cross-correlation). Any linear model with discrete kernel ``dt rho_hat``
then has the mean squared error ``E (y - y_lin)^2 + sigma^2 dt sum_j (rho_L
- rho_hat)^2``: a floor no linear model can pass (the nonlinear part and the
mean of ``y``) plus ``sigma^2`` times the white-noise loss of
``rho_hat`` against ``rho_L`` (a Riemann sum of ``||rho_L - rho_hat||_2^2``).
So gradient descent of a linear RNN on this nonlinear target moves exactly
as on the kernel ``rho_L``, up to the constant and the factor; the
experiments run the flows on ``rho_L`` estimated by simulation
(:func:`lorenz96_wiener_kernel`, with its standard error) as a
:func:`tnrnn.linear_rnn.tabulated` kernel, shifted by ``t0``.

Integration: classical Runge-Kutta (RK4) with the input held over each step
``dt``, vectorised over the batch; checked against scipy's ``solve_ivp``
(DOP853) in the tests.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from ._checks import finite_number
from .kernels import Kernel, tabulated

__all__ = ["LORENZ96", "lorenz96_response", "WienerKernel", "lorenz96_wiener_kernel",
           "lorenz96_linear_response", "lorenz96_kernel"]

#: The settings of the Lorenz-96 target in the plateau experiments.
LORENZ96 = {"K": 8, "F": 0.5, "read": 7, "sigma": 2.0, "dt": 0.05, "n": 2000, "T": 1200,
            "burn": 400, "lags": 240, "seed": 0}


def _check_system(K, F, read, dt):
    K = check_positive_int("K", K, minimum=4)
    if K > 1000:
        raise TooLargeError(f"K = {K} > 1000 ring variables", estimate=K, limit=1000)
    F = finite_number("F", F, minimum=0.0)
    if F >= 8 / 9:
        raise SpecError(f"F must be below 8/9 (the equilibrium z = F is unstable above: no "
                        f"fading memory); got {F!r}")
    read = check_positive_int("read", read, minimum=0)
    if read >= K:
        raise SpecError(f"read must be a ring variable, 0..{K - 1}; got {read}")
    dt = finite_number("dt", dt, minimum=0.0, open_minimum=True, maximum=0.5)
    return K, F, read, dt


def _rhs(z, F, u):
    d = (np.roll(z, -1, -1) - np.roll(z, 2, -1)) * np.roll(z, 1, -1) - z + F
    d[..., 0] += u
    return d


def lorenz96_response(x, *, dt: float, K: int = 8, F: float = 0.5, read: int = 7,
                      max_entries: int = 50_000_000) -> np.ndarray:
    """``z_read(t_k) - F`` of the forced Lorenz-96 ring started at equilibrium (RK4).

    Parameters
    ----------
    x : array_like, shape (n, T) or (T,)
        Input on variable 0, held constant over each step.
    dt : float
        Step, in ``(0, 0.5]``.
    K : int
        Ring size (at least 4).
    F : float
        Forcing, in ``[0, 8/9)`` (stable equilibrium).
    read : int
        The observed variable.
    max_entries : int
        Refuse ``n * T * K`` beyond this.

    Returns
    -------
    numpy.ndarray
        ``y`` of the shape of ``x``: ``y[..., k]`` after step ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn.lorenz96 import lorenz96_response
    >>> lorenz96_response(np.zeros(5), dt=0.1).tolist()   # no input: stays at equilibrium
    [0.0, 0.0, 0.0, 0.0, 0.0]
    >>> y = lorenz96_response(np.ones(200), dt=0.05, F=0.0, read=0)   # F = 0: z_0' = -z_0 + 1
    >>> bool(abs(y[-1] - (1 - np.exp(-10.0))) < 1e-9)
    True
    """
    K, F, read, dt = _check_system(K, F, read, dt)
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise SpecError(f"x must have shape (n, T) or (T,) with T >= 1; got {x.shape}")
    if x.size * K > max_entries:
        raise TooLargeError(f"lorenz96_response: {x.size} inputs x {K} variables exceed "
                            f"max_entries={max_entries}", estimate=x.size * K,
                            limit=max_entries)
    if not np.all(np.isfinite(x)):
        raise SpecError("x must hold finite numbers")
    xb = np.atleast_2d(x)
    z = np.full((xb.shape[0], K), F)
    y = np.empty_like(xb)
    with np.errstate(over="ignore", invalid="ignore"):   # a blow-up is refused below
        for k in range(xb.shape[1]):
            u = xb[:, k]
            k1 = _rhs(z, F, u)
            k2 = _rhs(z + 0.5 * dt * k1, F, u)
            k3 = _rhs(z + 0.5 * dt * k2, F, u)
            k4 = _rhs(z + dt * k3, F, u)
            z = z + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            y[:, k] = z[:, read] - F
    if not np.all(np.isfinite(y)):
        raise SpecError("the Lorenz-96 state left the finite range (input too large for this "
                        "dt); lower sigma or dt")
    return y.reshape(x.shape)


@dataclass(frozen=True)
class WienerKernel:
    """The first Wiener kernel of the Lorenz-96 target (see :func:`lorenz96_wiener_kernel`).

    Parameters
    ----------
    times : numpy.ndarray
        Lags ``j dt``.
    values : numpy.ndarray
        ``rho_L(j dt) = E[y_k x_{k-j}] / sigma^2``.
    stderr : numpy.ndarray
        Standard errors of ``values`` (over the independent sequences).
    variance : float
        ``Var(y)``.
    mean : float
        ``E y`` (no linear model without a bias reaches it).
    linear_variance : float
        ``sigma^2 dt sum_j rho_L(j dt)^2``, the variance the linear part explains.
    settings : dict
        ``K, F, read, sigma, dt, n, T, burn, lags, seed``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn.lorenz96 import WienerKernel
    >>> w = WienerKernel(np.arange(3) * 0.1, np.ones(3), np.zeros(3), 1.0, 0.0, 0.8, {})
    >>> w.linear_fraction, w.to_dict()["values"]
    (0.8, [1.0, 1.0, 1.0])
    """

    times: np.ndarray
    values: np.ndarray
    stderr: np.ndarray
    variance: float
    mean: float
    linear_variance: float
    settings: dict

    @property
    def linear_fraction(self) -> float:
        """``R^2``: the share of ``Var(y)`` a linear functional of the input explains."""
        return self.linear_variance / self.variance

    def to_dict(self) -> dict:
        """JSON-able fields, with ``linear_fraction``."""
        return {"times": self.times.tolist(), "values": self.values.tolist(),
                "stderr": self.stderr.tolist(), "variance": self.variance, "mean": self.mean,
                "linear_variance": self.linear_variance,
                "linear_fraction": self.linear_fraction, "settings": dict(self.settings)}


def lorenz96_wiener_kernel(*, K: int = 8, F: float = 0.5, read: int = 7, sigma: float = 2.0,
                           dt: float = 0.05, n: int = 2000, T: int = 1200, burn: int = 400,
                           lags: int = 240, seed: int = 0) -> WienerKernel:
    """Estimate ``rho_L``, the first Wiener kernel of the Lorenz-96 target, by simulation.

    ``n`` input sequences ``x = sigma xi / sqrt(dt)`` of ``T`` steps; the
    cross-correlation ``sum_k y_k x_{k-j}`` over ``k >= burn`` (the state has
    forgotten its start) by :func:`scipy.signal.fftconvolve`, averaged over
    the sequences; the standard error from the spread of the per-sequence
    averages.

    Parameters
    ----------
    K : int
        Ring size.
    F : float
        Forcing, in ``[0, 8/9)``.
    read : int
        Observed variable.
    sigma : float
        Input intensity.
    dt : float
        Step.
    n : int
        Sequences (at least 2).
    T : int
        Steps per sequence.
    burn : int
        Steps left out at the start (at least ``lags``).
    lags : int
        Kernel length in steps.
    seed : int
        Seed of the inputs.

    Returns
    -------
    WienerKernel

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn.lorenz96 import lorenz96_wiener_kernel
    >>> w = lorenz96_wiener_kernel(F=0.0, read=0, n=100, T=80, burn=30, lags=30, dt=0.1)
    >>> # F = 0, read = 0 is linear: z_0' = -z_0 + x with x held over each step, so
    >>> # y_k = sum_j e^{-j dt} (1 - e^{-dt}) x_{k-j}: rho_L(j dt) = e^{-j dt} (1 - e^{-dt})/dt
    >>> exact = np.exp(-w.times) * -np.expm1(-0.1) / 0.1
    >>> bool(np.all(np.abs(w.values - exact) < 4 * w.stderr)), bool(0.8 < w.linear_fraction < 1.2)
    (True, True)
    """
    from scipy.signal import fftconvolve

    K, F, read, dt = _check_system(K, F, read, dt)
    sigma = finite_number("sigma", sigma, minimum=0.0, open_minimum=True, maximum=100.0)
    n = check_positive_int("n", n, minimum=2)
    T = check_positive_int("T", T, minimum=2)
    lags = check_positive_int("lags", lags)
    burn = check_positive_int("burn", burn, minimum=lags)
    seed = check_positive_int("seed", seed, minimum=0)
    if burn >= T:
        raise SpecError(f"burn must be below T; got burn={burn}, T={T}")
    rng = np.random.default_rng(seed)
    x = sigma * rng.standard_normal((n, T)) / math.sqrt(dt)
    y = lorenz96_response(x, dt=dt, K=K, F=F, read=read)
    ys = y[:, burn:]
    # S_j = sum_{k >= burn} y_k x_{k-j}: full convolution of y[burn:] with reversed x
    conv = fftconvolve(ys, x[:, ::-1], axes=-1)
    per_seq = conv[:, T - 1 - burn: T - 1 - burn + lags] / ys.shape[1] / sigma ** 2
    values = per_seq.mean(axis=0)
    stderr = per_seq.std(axis=0, ddof=1) / math.sqrt(n)
    settings = {"K": K, "F": F, "read": read, "sigma": sigma, "dt": dt, "n": n, "T": T,
                "burn": burn, "lags": lags, "seed": seed}
    return WienerKernel(dt * np.arange(lags), values, stderr, float(ys.var()),
                        float(ys.mean()), float(sigma ** 2 * dt * np.sum(values ** 2)), settings)


def lorenz96_linear_response(times, *, K: int = 8, F: float = 0.5, read: int = 7) -> np.ndarray:
    """The impulse response ``e_read^T e^{J t} e_0`` of the ring linearised at ``z = F``.

    ``J = F (S_{+1} - S_{-2}) - I``: the small-input limit of ``rho_L``.

    Parameters
    ----------
    times : array_like
        Times ``t >= 0``.
    K : int
        Ring size.
    F : float
        Forcing, in ``[0, 8/9)``.
    read : int
        Observed variable.

    Returns
    -------
    numpy.ndarray
        The response at ``times``.

    Examples
    --------
    >>> from tnrnn.linear_rnn.lorenz96 import lorenz96_linear_response
    >>> r = lorenz96_linear_response([0.0, 1.0], F=0.5, read=7)
    >>> float(r[0]), round(float(r[1]), 4)    # starts at 0 (one hop away), peaks near t = 1
    (0.0, 0.1806)
    """
    from scipy.linalg import expm

    K, F, read, _ = _check_system(K, F, read, 0.1)
    J = -np.eye(K)
    for k in range(K):
        J[k, (k + 1) % K] += F
        J[k, (k - 2) % K] -= F
    t = np.asarray(times, dtype=float)
    return np.array([expm(J * s)[read, 0] for s in t.ravel()]).reshape(t.shape)


@functools.lru_cache(maxsize=4)
def _default_kernel() -> WienerKernel:
    return lorenz96_wiener_kernel(**LORENZ96)


def lorenz96_kernel(t0: float = 0.0, *, estimate: WienerKernel | None = None) -> Kernel:
    """The kernel the plateau experiments run on: ``rho_L(t - t0)``, scaled to ``||.||_2 = 1``.

    Parameters
    ----------
    t0 : float
        Observation delay (a multiple of the estimate's ``dt``, at most 100).
    estimate : WienerKernel, optional
        Default: :func:`lorenz96_wiener_kernel` at :data:`LORENZ96` (computed
        once per process, a few seconds).

    Returns
    -------
    Kernel
        A :func:`tnrnn.linear_rnn.tabulated` kernel labelled ``lorenz96-t0=T0``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn.lorenz96 import WienerKernel, lorenz96_kernel
    >>> w = WienerKernel(np.arange(3) * 0.5, np.array([0.0, 2.0, 0.0]), np.zeros(3), 1.0, 0.0,
    ...                  1.0, {"dt": 0.5})
    >>> k = lorenz96_kernel(1.0, estimate=w)
    >>> k.spec, round(k.l2_norm(), 12), round(float(k.value(1.5)), 12)   # peak: 0.5 -> 1.5
    ('tabulated:lorenz96-t0=1', 1.0, 1.732050807569)
    """
    w = estimate if estimate is not None else _default_kernel()
    dt = float(w.settings.get("dt", w.times[1] - w.times[0]))
    t0 = finite_number("t0", t0, minimum=0.0, maximum=100.0)
    shift = round(t0 / dt)
    if abs(shift * dt - t0) > 1e-9 * max(1.0, t0):
        raise SpecError(f"t0 must be a multiple of dt = {dt:g}; got {t0!r}")
    vals = np.concatenate([np.zeros(shift), w.values, [0.0]])
    base = tabulated(vals, dt, "base")
    scale = 1.0 / base.l2_norm()
    return tabulated(vals * scale, dt, f"lorenz96-t0={t0:g}")
