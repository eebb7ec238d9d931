"""The white-noise loss of a diagonal linear RNN, its gradient flows and their plateaus.

For white-noise inputs the expected squared output error of the kernel
``rho_hat(t) = sum_i a_i e^{-w_i t}`` against a target ``rho`` is
``L(a, w) = ||rho - rho_hat||_2^2 = ||rho||^2 - 2 sum_i a_i b(w_i) +
sum_ij a_i a_j / (w_i + w_j)`` with ``b(w) = <rho, e^{-w t}>`` (as stated in Li,
Han, E, Li, arXiv 2009.07799; derived here from the Ito isometry). Its gradient:

* ``dL/da_i = -2 b(w_i) + 2 sum_j a_j / (w_i + w_j)``
* ``dL/dw_i = -2 a_i b'(w_i) - 2 a_i sum_j a_j / (w_i + w_j)^2``

Gradient descent (and Adam) run jitted under ``lax.scan`` in float64; the
gradient flow ``d theta / d tau = -grad L`` runs in diffrax (Tsit5, adaptive
steps). ``b`` is the kernel's closed form for exponential, delayed and smooth
terms and the double-exponential quadrature (relative error ~1e-14) for
polynomial and Airy terms.

Parameterisations of the rates (``param``): ``"rate"`` descends on ``w``
itself (a step or the flow can carry a rate through 0, where the loss is
singular: the run is then marked diverged); ``"log"`` on ``v = ln w`` and
``"softplus"`` on ``v`` with ``w = ln(1 + e^v)``, which keep every rate
positive, so the flow never reaches the singularity.

**Divergence.** A run is marked ``diverged`` (and stops) when the loss
leaves the finite range, a rate leaves ``(0, inf)``, or the loss exceeds
``diverge_factor`` (default 1e3) times ``max(L(start), ||rho||^2)``: the
white-noise loss of the zero model is ``||rho||^2``, so a minimiser that
climbs three orders of magnitude above both has left the problem. The reason
and the step are in ``info``; :func:`tnrnn.linear_rnn.plateau_times` is never
applied to a diverged run by the experiments and the CLI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from ._checks import finite_number, real_vector
from ._flow_runs import _run_discrete, _run_ode
from .kernels import parse_kernel

__all__ = ["white_noise_loss", "white_noise_grad", "FlowResult", "gradient_flow",
           "FLOW_METHODS", "get_flow_method", "initial_point", "random_point", "PARAMS", "MAX_M"]

MAX_M = 2000
"""Most exponentials a loss or flow accepts (the Gram matrix is ``m x m``)."""

PARAMS = ("rate", "log", "softplus")


def _check_aw(a, w, max_m: int = MAX_M):
    a = real_vector("a", a, max_len=max_m)
    w = real_vector("w", w, max_len=max_m)
    if a.shape != w.shape:
        raise SpecError(f"a and w must have the same length; got {a.size} and {w.size}")
    if np.any(w <= 0):
        raise SpecError(f"rates w must be finite and > 0 (the loss is infinite otherwise); "
                        f"got {w.tolist()}")
    return a, w


def white_noise_loss(kernel, a, w) -> float:
    """``||rho - sum_i a_i e^{-w_i t}||_2^2`` in closed form.

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    a : array_like, shape (m,)
        Coefficients.
    w : array_like, shape (m,)
        Rates, ``> 0``.

    Returns
    -------
    float

    Examples
    --------
    >>> from tnrnn.linear_rnn import white_noise_loss
    >>> v, w = 1.0, 3.0   # m = 1, rho = e^{-v t}, best a = 2w/(v+w)
    >>> a = 2 * w / (v + w)
    >>> round(white_noise_loss("exponential:1", [a], [w]), 15) == round((v - w)**2 / (2*v*(v + w)**2), 15)
    True
    """
    kernel = parse_kernel(kernel)
    a, w = _check_aw(a, w)
    G = 1.0 / np.add.outer(w, w)
    return float(kernel.l2_sq() - 2 * a @ kernel.inner_exp(w) + a @ G @ a)


def white_noise_grad(kernel, a, w) -> tuple[float, np.ndarray, np.ndarray]:
    """``(L, dL/da, dL/dw)`` in closed form (formulas in the module docstring).

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    a : array_like, shape (m,)
        Coefficients.
    w : array_like, shape (m,)
        Rates, ``> 0``.

    Returns
    -------
    L : float
        The loss.
    dL_da : numpy.ndarray, shape (m,)
        Its gradient in the coefficients.
    dL_dw : numpy.ndarray, shape (m,)
        Its gradient in the rates.

    Examples
    --------
    >>> from tnrnn.linear_rnn import white_noise_grad
    >>> L, ga, gw = white_noise_grad("exponential:1", [0.0], [1.0])
    >>> L, ga.tolist(), (gw + 0.0).tolist()   # at a = 0: L = 1/2, dL/da = -2/(1+1)
    (0.5, [-1.0], [0.0])
    """
    kernel = parse_kernel(kernel)
    a, w = _check_aw(a, w)
    G = 1.0 / np.add.outer(w, w)
    b = kernel.inner_exp(w)
    L = float(kernel.l2_sq() - 2 * a @ b + a @ G @ a)
    ga = -2 * b + 2 * G @ a
    gw = -2 * a * kernel.inner_exp_dw(w) - 2 * a * ((G ** 2) @ a)
    return L, ga, gw


def initial_point(m: int, seed: int = 0, spread: float = 0.1, center: float = 1.0):
    """The paper-style start: coefficients 0, rates ``center * (1 + spread U(-1, 1))``.

    Parameters
    ----------
    m : int
        Number of exponentials.
    seed : int
        Seed of the rates' draw.
    spread : float
        Relative spread of the rates, in ``[0, 1)``.
    center : float
        The rates' centre, ``> 0``.

    Returns
    -------
    a : numpy.ndarray, shape (m,)
        Zeros.
    w : numpy.ndarray, shape (m,)
        Positive rates.

    Examples
    --------
    >>> from tnrnn.linear_rnn import initial_point
    >>> a, w = initial_point(3, seed=0)
    >>> a.tolist(), bool(((w > 0.9) & (w < 1.1)).all())
    ([0.0, 0.0, 0.0], True)
    """
    m = check_positive_int("m", m)
    if m > MAX_M:
        raise TooLargeError(f"m={m} exceeds {MAX_M} exponentials", estimate=m, limit=MAX_M)
    seed = check_positive_int("seed", seed, minimum=0)
    center = finite_number("center", center, minimum=0.0, open_minimum=True, maximum=1e6)
    spread = finite_number("spread", spread)
    if not 0 <= spread < 1:
        raise SpecError(f"spread must be in [0, 1) so that the rates stay positive; got {spread!r}")
    rng = np.random.default_rng(seed)
    return np.zeros(m), center * (1.0 + spread * rng.uniform(-1.0, 1.0, m))


def random_point(m: int, seed: int = 0, *, a_scale: float = 0.1, log_spread: float = 0.5,
                 center: float = 1.0):
    """A random asymmetric start: ``a_i = a_scale N(0, 1)``, ``w_i = center e^{log_spread N(0, 1)}``.

    Unlike :func:`initial_point` no two coefficients are equal, so the flow
    does not start on the symmetric set where all rates move together.

    Parameters
    ----------
    m : int
        Number of exponentials.
    seed : int
        Seed of the draw.
    a_scale : float
        Standard deviation of the coefficients.
    log_spread : float
        Standard deviation of ``ln(w / center)``, in ``[0, 5]``.
    center : float
        The rates' geometric centre, ``> 0``.

    Returns
    -------
    a : numpy.ndarray, shape (m,)
        Coefficients.
    w : numpy.ndarray, shape (m,)
        Positive rates.

    Examples
    --------
    >>> from tnrnn.linear_rnn.flow import random_point
    >>> a, w = random_point(4, seed=1)
    >>> len(set(a.tolist())) == 4 and bool((w > 0).all())
    True
    """
    m = check_positive_int("m", m)
    if m > MAX_M:
        raise TooLargeError(f"m={m} exceeds {MAX_M} exponentials", estimate=m, limit=MAX_M)
    seed = check_positive_int("seed", seed, minimum=0)
    a_scale = finite_number("a_scale", a_scale, minimum=0.0)
    log_spread = finite_number("log_spread", log_spread, minimum=0.0, maximum=5.0)
    center = finite_number("center", center, minimum=0.0, open_minimum=True, maximum=1e6)
    rng = np.random.default_rng(seed)
    return a_scale * rng.standard_normal(m), center * np.exp(log_spread * rng.standard_normal(m))


# ------------------------------------------------------------------ flows
@dataclass(frozen=True)
class FlowResult:
    """A loss curve of a gradient method on the white-noise loss (see :func:`gradient_flow`).

    Parameters
    ----------
    method : str
        ``"gd"``, ``"adam"`` or ``"ode"``.
    times : numpy.ndarray
        Step numbers (GD, Adam) or flow time ``tau`` (ODE).
    loss : numpy.ndarray
        The loss at those times.
    a : numpy.ndarray
        Final coefficients (the last finite ones of a diverged run).
    w : numpy.ndarray
        Final rates (likewise).
    lr : float
        The step size (the ODE's time unit).
    diverged : bool
        True if a rate left ``(0, inf)``, the loss became non-finite or grew
        past the divergence limit (module docstring).
    info : dict
        ``info["diverged"]`` says which and when; ``info["stopped"]`` why a
        run stopped early.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import FlowResult
    >>> r = FlowResult("gd", np.array([1, 2]), np.array([0.5, 0.4]), np.zeros(1), np.ones(1), 0.1)
    >>> r.to_dict()["loss"], r.diverged
    ([0.5, 0.4], False)
    """

    method: str
    times: np.ndarray
    loss: np.ndarray
    a: np.ndarray
    w: np.ndarray
    lr: float
    diverged: bool = False
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-able fields (arrays as lists)."""
        return {"method": self.method, "times": self.times.tolist(),
                "loss": self.loss.tolist(), "a": self.a.tolist(), "w": self.w.tolist(),
                "lr": self.lr, "diverged": self.diverged, "info": self.info}


FLOW_METHODS = {"gd": _run_discrete, "adam": _run_discrete, "ode": _run_ode}


def get_flow_method(name: str):
    """The flow called ``name``: ``gd``, ``adam`` or ``ode``.

    Parameters
    ----------
    name : str
        A key of :data:`FLOW_METHODS`.

    Returns
    -------
    callable
        The runner :func:`gradient_flow` calls.

    Examples
    --------
    >>> from tnrnn.linear_rnn import get_flow_method
    >>> get_flow_method("gd") is get_flow_method("adam")   # one runner for both
    True
    >>> get_flow_method("sgd")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown flow method 'sgd'; valid: adam, gd, ode
    """
    try:
        return FLOW_METHODS[name]
    except (KeyError, TypeError):
        raise SpecError(f"unknown flow method {name!r}; valid: "
                        f"{', '.join(sorted(FLOW_METHODS))}") from None


def gradient_flow(kernel, a0, w0, *, method: str = "gd", lr: float = 0.01,
                  steps: int = 10000, param: str = "rate", chunk: int = 10000,
                  stop_below: float | None = None, per_decade: int = 200,
                  max_steps: int = 100_000_000, diverge_factor: float = 1e3,
                  max_m: int = MAX_M, progress=None) -> FlowResult:
    """Minimise the white-noise loss from ``(a0, w0)``.

    Parameters
    ----------
    kernel : Kernel or str
        The target ``rho``.
    a0 : array_like, shape (m,)
        Starting coefficients.
    w0 : array_like, shape (m,)
        Starting rates, ``> 0``.
    method : {"gd", "adam", "ode"}
        Plain gradient descent, Adam (optax), or the gradient flow
        ``d theta/d tau = -grad L`` by diffrax's Tsit5 with adaptive steps up to
        ``tau = steps * lr`` (comparable to ``steps`` GD steps of size ``lr``;
        ``chunk`` is then the solver's step budget).
    lr : float
        Step size (GD, Adam); for ``ode`` the time unit of the output.
    steps : int
        Steps (GD, Adam), or flow time ``steps * lr`` (ODE).
    param : {"rate", "log", "softplus"}
        Descend on the rates ``w``, on ``ln w``, or on ``v`` with
        ``w = ln(1 + e^v)`` (the last two keep the rates positive).
    chunk : int
        Steps per compiled ``lax.scan`` (GD, Adam); the solver's step budget (ODE).
    stop_below : float, optional
        Stop (at the end of a chunk) once the loss is below this.
    per_decade : int
        Recorded points per decade of steps past the first 1000 (all kept before).
    max_steps : int
        Refuse ``steps`` beyond this.
    diverge_factor : float
        Mark the run diverged once the loss exceeds this times
        ``max(L(start), ||rho||^2)`` (module docstring).
    max_m : int
        Refuse more exponentials than this.
    progress : callable, optional
        Called as ``progress(done, steps)`` after each chunk (GD, Adam).

    Returns
    -------
    FlowResult

    Examples
    --------
    >>> from tnrnn.linear_rnn import gradient_flow
    >>> r = gradient_flow("exponential:2", [0.0], [1.0], lr=0.5, steps=3000, chunk=1000)
    >>> round(float(r.w[0]), 6), round(float(r.a[0]), 6)   # converges to w = v, a = 1
    (2.0, 1.0)
    >>> r = gradient_flow("exponential:1", [0.0], [1.0], lr=100.0, steps=100, chunk=10)
    >>> r.diverged, r.info["diverged"]["reason"]
    (True, 'the loss grew past the divergence limit 500')
    """
    kernel = parse_kernel(kernel)
    max_m = check_positive_int("max_m", max_m)
    a0, w0 = _check_aw(a0, w0, max_m)
    fn = get_flow_method(method)
    if param not in PARAMS:
        raise SpecError(f"param must be one of {', '.join(PARAMS)}; got {param!r}")
    lr = finite_number("lr", lr, minimum=0.0, open_minimum=True)
    steps = check_positive_int("steps", steps)
    chunk = check_positive_int("chunk", chunk)
    max_steps = check_positive_int("max_steps", max_steps)
    per_decade = check_positive_int("per_decade", per_decade)
    if per_decade > 10000:
        raise SpecError(f"per_decade must be <= 10000; got {per_decade}")
    diverge_factor = finite_number("diverge_factor", diverge_factor, minimum=1.0,
                                   open_minimum=True)
    if stop_below is not None:
        stop_below = finite_number("stop_below", stop_below)
    if steps > max_steps:
        raise TooLargeError(f"steps={steps} exceeds max_steps={max_steps}; raise max_steps",
                            estimate=steps, limit=max_steps)
    if method == "ode":
        if chunk > 10_000_000:
            raise TooLargeError(f"chunk (the ODE solver's step budget) = {chunk} exceeds "
                                f"10,000,000", estimate=chunk, limit=10_000_000)
        points = per_decade * max(1.0, math.log10(steps)) + 2
        if points * (2 * a0.size + 1) > 50_000_000:
            raise TooLargeError(f"the ODE output of {points:.0f} points x {a0.size} rates is "
                                f"too large; lower per_decade", estimate=points,
                                limit=50_000_000 // (2 * a0.size + 1))
    else:
        chunk = min(chunk, steps, 1_000_000)
        steps = chunk * math.ceil(steps / chunk)
    L0 = white_noise_loss(kernel, a0, w0)
    if not math.isfinite(L0):
        raise SpecError(f"the loss at the start is not finite ({L0}); give finite a0 and w0")
    limit = diverge_factor * max(L0, kernel.l2_sq(), 1e-300)
    return FlowResult(**fn(kernel, a0, w0, lr, steps, method, param, chunk, stop_below,
                           per_decade, progress, limit))
