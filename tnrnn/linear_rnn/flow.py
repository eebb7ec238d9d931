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
from ._atoms import _Delayed, _Exp, _Smooth
from .kernels import Kernel, parse_kernel

__all__ = ["white_noise_loss", "white_noise_grad", "FlowResult", "gradient_flow",
           "FLOW_METHODS", "get_flow_method", "initial_point", "PARAMS", "MAX_M"]

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


def _to_free(w, param):
    if param == "log":
        return np.log(w)
    if param == "softplus":
        return w + np.log(-np.expm1(-w))      # inverse of ln(1 + e^v), stable for w > 0
    return w


def _from_free(v, param, xp=np):
    if param == "log":
        return xp.exp(v)
    if param == "softplus":
        return xp.logaddexp(0.0, v)
    return v


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


# ------------------------------------------------------------------ JAX loss
def _jax_b(kernel: Kernel):
    """A jnp function ``w -> (b(w), ||rho||^2)``: closed forms where jax can trace them."""
    import jax.numpy as jnp

    from .approx import _grid

    closed = [(c, a) for c, a in kernel.terms if isinstance(a, (_Exp, _Delayed, _Smooth))]
    other = [(c, a) for c, a in kernel.terms if not isinstance(a, (_Exp, _Delayed, _Smooth))]
    if other:
        t, q = _grid(Kernel(tuple(other)))
        qv = jnp.asarray(q * Kernel(tuple(other)).value(t))
        tj = jnp.asarray(t)

    def b(w):
        out = jnp.zeros_like(w)
        for c, a in closed:
            if isinstance(a, _Exp):
                out = out + c / (a.beta + w)
            elif isinstance(a, _Smooth):
                out = out + (c * math.factorial(a.k) * jnp.exp(-w * a.t0)
                             / (a.beta + w) ** (a.k + 1))
            else:
                out = out + c * jnp.exp(-w * a.t0) / (a.beta + w)
        if other:
            out = out + jnp.exp(-jnp.outer(w, tj)) @ qv
        return out

    return b


def _make_loss(kernel: Kernel, param: str):
    import jax.numpy as jnp

    b = _jax_b(kernel)
    rho_sq = kernel.l2_sq()

    def loss(theta):
        a, v = theta
        w = _from_free(v, param, jnp)
        G = 1.0 / (w[:, None] + w[None, :])
        return rho_sq - 2 * a @ b(w) + a @ G @ a

    return loss


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


def _record_index(n_done: int, chunk: int, per_decade: int) -> np.ndarray:
    """Which steps of a chunk to keep: every step below 1000, then ~per_decade per decade."""
    steps = np.arange(n_done + 1, n_done + chunk + 1)
    keep = steps <= 1000
    lg = np.floor(np.log10(steps) * per_decade)
    first = np.concatenate([[True], lg[1:] != lg[:-1]])
    return keep | first | (steps == n_done + chunk)


def _diverged(loss, w, param, limit):
    """The reason a stretch of a run diverged (None if it did not): first bad index and why."""
    loss = np.asarray(loss, float)
    bad = ~np.isfinite(loss)
    if bad.any():
        return int(np.argmax(bad)), "the loss left the finite range"
    big = loss > limit
    if big.any():
        return int(np.argmax(big)), f"the loss grew past the divergence limit {limit:.3g}"
    if param == "rate" and np.any(~np.isfinite(w) | (w <= 0)):
        return len(loss) - 1, "a rate left (0, inf) (the loss is singular at w = 0)"
    return None


def _run_discrete(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade,
                  progress, limit):
    import jax
    import jax.numpy as jnp
    import optax

    with jax.enable_x64(True):
        loss = _make_loss(kernel, param)
        vg = jax.value_and_grad(loss)
        opt = optax.adam(lr) if method == "adam" else optax.sgd(lr)
        theta = (jnp.asarray(a0), jnp.asarray(_to_free(w0, param)))
        state = opt.init(theta)

        def body(carry, _):
            th, st = carry
            L, g = vg(th)
            up, st = opt.update(g, st, th)
            return (optax.apply_updates(th, up), st), L

        @jax.jit
        def run_chunk(th, st):
            (th, st), Ls = jax.lax.scan(body, (th, st), None, length=chunk)
            return th, st, Ls

        L0 = float(loss(theta))
        times, losses = [np.array([0.0])], [np.array([L0])]
        done, why = 0, None
        last_good = tuple(np.asarray(x) for x in theta)
        while done < steps:
            theta, state, Ls = run_chunk(theta, state)
            Ls = np.asarray(Ls)
            # Ls[k] is the loss before step done+k+1, i.e. after step done+k
            after = np.append(Ls[1:], float(loss(theta)))
            step_no = np.arange(done + 1, done + chunk + 1)
            w_now = _from_free(np.asarray(theta[1]), param)
            bad = _diverged(after, w_now, param, limit)
            keep = _record_index(done, chunk, per_decade)
            if bad is not None:
                k, reason = bad
                keep[k:] = False
                keep[k] = True
                why = {"reason": reason, "step": int(step_no[k])}
                times.append(step_no[keep].astype(float))
                losses.append(after[keep])
                done += k + 1
                break
            times.append(step_no[keep].astype(float))
            losses.append(after[keep])
            last_good = tuple(np.asarray(x) for x in theta)
            done += chunk
            if progress is not None:
                progress(done, steps)
            if stop_below is not None and after[-1] < stop_below:
                break
        a, v = last_good
    info = {"param": param, "steps": done, "divergence_limit": limit}
    if why:
        info["diverged"] = why
    return FlowResult(method, np.concatenate(times), np.concatenate(losses), a,
                      _from_free(v, param), lr, why is not None, info)


def _run_ode(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade, progress,
             limit):
    import diffrax
    import jax
    import jax.numpy as jnp

    T = float(steps) * lr
    with jax.enable_x64(True):
        loss = _make_loss(kernel, param)
        grad = jax.grad(loss)
        y0 = (jnp.asarray(a0), jnp.asarray(_to_free(w0, param)))
        term = diffrax.ODETerm(lambda tau, y, args: jax.tree.map(lambda g: -g, grad(y)))
        n_dec = max(1.0, math.log10(T / lr))
        ts = np.unique(np.concatenate([[0.0], lr * np.geomspace(1.0, T / lr,
                                                                int(per_decade * n_dec) + 1)]))
        sol = diffrax.diffeqsolve(term, diffrax.Tsit5(), t0=0.0, t1=T, dt0=lr, y0=y0,
                                  saveat=diffrax.SaveAt(ts=jnp.asarray(ts)),
                                  stepsize_controller=diffrax.PIDController(rtol=1e-9,
                                                                            atol=1e-12),
                                  max_steps=int(chunk), throw=False)
        ys = sol.ys
        Ls = np.asarray(jax.vmap(loss)(ys))
        A, V = np.asarray(ys[0]), np.asarray(ys[1])
        ok = np.all(np.isfinite(A), axis=1) & np.all(np.isfinite(V), axis=1)
        W = _from_free(np.where(np.isfinite(V), V, 1.0), param)
        # diffrax fills the times after a failure with inf: those are the unreached part
        reached = ok.copy()
        info = {"param": param, "flow_time": T, "solver_steps": int(sol.stats["num_steps"]),
                "result": str(sol.result), "divergence_limit": limit}
        why = None
        for k in range(len(ts)):
            if not reached[k]:
                break
            bad = _diverged(Ls[k:k + 1], W[k], param, limit)
            if bad is not None:
                why = {"reason": bad[1], "flow_time": float(ts[k])}
                reached[k + 1:] = False
                break
        n = int(np.argmin(reached)) if not reached.all() else len(ts)
        if why is None and n < len(ts):
            info["stopped"] = (f"the solver stopped at flow time {ts[n - 1]:.4g} of {T:.4g} "
                               f"({info['result']}); raise the step budget")
        good = np.arange(len(ts)) < n
        if why is not None:
            good[n - 1] = True
            info["diverged"] = why
        last = np.nonzero(good & np.isfinite(Ls))[0][-1]
        a, v = A[last], V[last]
    return FlowResult("ode", ts[good], Ls[good], a, _from_free(v, param), lr, why is not None,
                      info)


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
    return fn(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade,
              progress, limit)
