"""Linear-functional data: white-noise inputs and the outputs of a kernel.

``x_k = xi_k / sqrt(dt)`` with ``xi_k`` i.i.d. standard normal (white noise
sampled at step ``dt``) and ``y_k = sum_{j=0}^{k} dt rho(j dt) x_{k-j}`` (a
left Riemann sum of ``int_0^t rho(s) x_{t-s} ds``; inputs before time 0 are 0),
so that ``E y_k^2 -> dt sum_j rho(j dt)^2 ~ ||rho||_2^2`` and the mean squared
error of a model with discrete kernel ``rho_hat_j`` on such data is
``(1/dt) sum_j (dt rho(j dt) - rho_hat_j)^2``, a Riemann sum of the white-noise
loss ``||rho - rho_hat/dt||_2^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from .kernels import parse_kernel

__all__ = ["LinearFunctionalData", "linear_functional_dataset", "discrete_kernel",
           "causal_convolve"]


@dataclass(frozen=True)
class LinearFunctionalData:
    """White-noise inputs and a kernel's outputs (see :func:`linear_functional_dataset`).

    Parameters
    ----------
    x : numpy.ndarray, shape (n, T)
        Inputs.
    y : numpy.ndarray, shape (n, T)
        Outputs ``y = causal_convolve(x, weights)``.
    weights : numpy.ndarray, shape (T,)
        The discrete kernel ``dt rho(j dt)``.
    kernel : str
        The kernel's spec.
    dt : float
        Time step.
    seed : int
        Seed of the inputs.

    Examples
    --------
    >>> from tnrnn.linear_rnn import causal_convolve, linear_functional_dataset
    >>> d = linear_functional_dataset("delayed:0.2", n=3, T=8, dt=0.1, seed=2)
    >>> bool(abs(causal_convolve(d.x, d.weights, "direct") - d.y).max() < 1e-12)
    True
    >>> d.weights[:4].round(6).tolist()   # zero up to the delay 0.2 (rho(0.2) = 0: t > t0)
    [0.0, 0.0, 0.0, 0.090484]
    """

    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    kernel: str
    dt: float
    seed: int

    def to_dict(self) -> dict:
        """JSON-able fields (arrays as nested lists)."""
        return {"x": self.x.tolist(), "y": self.y.tolist(), "weights": self.weights.tolist(),
                "kernel": self.kernel, "dt": self.dt, "seed": self.seed}


def discrete_kernel(kernel, T: int, dt: float) -> np.ndarray:
    """``dt rho(j dt)`` for ``j = 0..T-1``.

    Parameters
    ----------
    kernel : Kernel or str
        The kernel ``rho``.
    T : int
        Number of lags.
    dt : float
        Time step, ``> 0``.

    Returns
    -------
    numpy.ndarray, shape (T,)

    Examples
    --------
    >>> from tnrnn.linear_rnn import discrete_kernel
    >>> discrete_kernel("exponential:1", 3, 0.5).round(6).tolist()
    [0.5, 0.303265, 0.18394]
    """
    kernel = parse_kernel(kernel)
    T = check_positive_int("T", T)
    if not (isinstance(dt, (int, float)) and np.isfinite(dt) and dt > 0):
        raise SpecError(f"dt must be a finite number > 0; got {dt!r}")
    return dt * kernel.value(dt * np.arange(T))


def causal_convolve(x, weights, method: str = "fft") -> np.ndarray:
    """``y_k = sum_{j=0}^{k} weights_j x_{k-j}`` along the last axis.

    ``method="fft"`` is :func:`scipy.signal.fftconvolve` (the full linear
    convolution, padded by scipy, no wrap-around) cut to the first ``T``
    entries; ``"direct"`` is the O(T^2) sum.

    Parameters
    ----------
    x : array_like, shape (..., T)
        Input sequences along the last axis.
    weights : array_like, shape (T,)
        The discrete kernel ``weights_j``, ``j = 0..T-1``.
    method : {"fft", "direct"}
        FFT convolution (O(T log T)) or the direct sum.

    Returns
    -------
    numpy.ndarray, shape (..., T)
        The causal convolution, same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import causal_convolve
    >>> causal_convolve(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.5, 0.25])).round(12).tolist()
    [1.0, 2.5, 4.25]
    """
    x = np.asarray(x, float)
    w = np.asarray(weights, float)
    if x.ndim == 0:
        raise SpecError(f"x must have at least one axis (time last); got a scalar {x!r}")
    T = x.shape[-1]
    if w.shape != (T,):
        raise SpecError(f"weights must have shape ({T},) to match x; got {w.shape}")
    if method == "direct":
        y = np.zeros_like(x)
        for j in range(T):
            y[..., j:] += w[j] * x[..., :T - j]
        return y
    if method != "fft":
        raise SpecError(f"method must be 'fft' or 'direct'; got {method!r}")
    from scipy.signal import fftconvolve

    return fftconvolve(x, w.reshape((1,) * (x.ndim - 1) + (T,)), axes=-1)[..., :T]


def linear_functional_dataset(kernel, n: int, T: int, dt: float = 0.1, seed: int = 0,
                              *, max_entries: int = 50_000_000) -> LinearFunctionalData:
    """``n`` white-noise input sequences of length ``T`` and their outputs under ``kernel``.

    Parameters
    ----------
    kernel : Kernel or str
        The kernel ``rho``.
    n : int
        Number of sequences.
    T : int
        Length of each.
    dt : float
        Time step; the sequences span ``T dt`` time units.
    seed : int
        Seed of the inputs.
    max_entries : int
        Refuse ``n * T`` beyond this (memory: 16 bytes an entry for x and y).

    Returns
    -------
    LinearFunctionalData

    Examples
    --------
    >>> from tnrnn.linear_rnn import linear_functional_dataset
    >>> d = linear_functional_dataset("exponential:1", n=2, T=5, dt=0.1, seed=0)
    >>> d.x.shape, d.y.shape, round(float(d.y[0, 0] / d.x[0, 0]), 12)
    ((2, 5), (2, 5), 0.1)
    """
    kernel = parse_kernel(kernel)
    n = check_positive_int("n", n)
    T = check_positive_int("T", T)
    seed = check_positive_int("seed", seed, minimum=0)
    if n * T > max_entries:
        raise TooLargeError(f"dataset of n*T = {n * T} entries (~{16 * n * T / 2**20:.0f} MiB) "
                            f"exceeds max_entries={max_entries}; raise max_entries",
                            estimate=n * T, limit=max_entries)
    w = discrete_kernel(kernel, T, dt)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, T)) / np.sqrt(dt)
    y = causal_convolve(x, w)
    return LinearFunctionalData(x, y, w, kernel.spec, float(dt), seed)
