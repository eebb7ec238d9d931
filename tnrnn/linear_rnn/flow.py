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
steps). ``b`` is the kernel's closed form for exponential and delayed terms
and the double-exponential quadrature (relative error ~1e-14) for polynomial
and Airy terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import SpecError, TooLargeError, check_positive_int
from .kernels import Kernel, _Delayed, _Exp, parse_kernel

__all__ = ["white_noise_loss", "white_noise_grad", "FlowResult", "gradient_flow",
           "FLOW_METHODS", "get_flow_method", "Plateau", "plateau_times", "initial_point"]


def _check_aw(a, w):
    a = np.atleast_1d(np.asarray(a, float))
    w = np.atleast_1d(np.asarray(w, float))
    if a.shape != w.shape or a.ndim != 1:
        raise SpecError(f"a and w must be 1-d of the same length; got shapes {a.shape} and "
                        f"{w.shape}")
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise SpecError(f"rates w must be finite and > 0 (the loss is infinite otherwise); "
                        f"got {w.tolist()}")
    return a, w


def white_noise_loss(kernel, a, w) -> float:
    """``||rho - sum_i a_i e^{-w_i t}||_2^2`` in closed form.

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

    Examples
    --------
    >>> from tnrnn.linear_rnn import initial_point
    >>> a, w = initial_point(3, seed=0)
    >>> a.tolist(), bool(((w > 0.9) & (w < 1.1)).all())
    ([0.0, 0.0, 0.0], True)
    """
    m = check_positive_int("m", m)
    if not 0 <= spread < 1:
        raise SpecError(f"spread must be in [0, 1) so that the rates stay positive; got {spread!r}")
    rng = np.random.default_rng(seed)
    return np.zeros(m), center * (1.0 + spread * rng.uniform(-1.0, 1.0, m))


# ------------------------------------------------------------------ JAX loss
def _jax_b(kernel: Kernel):
    """A jnp function ``w -> (b(w), ||rho||^2)``: closed forms where jax can trace them."""
    import jax.numpy as jnp

    from .approx import _grid

    closed = [(c, a) for c, a in kernel.terms if isinstance(a, (_Exp, _Delayed))]
    other = [(c, a) for c, a in kernel.terms if not isinstance(a, (_Exp, _Delayed))]
    if other:
        t, q = _grid(Kernel(tuple(other)))
        qv = jnp.asarray(q * Kernel(tuple(other)).value(t))
        tj = jnp.asarray(t)

    def b(w):
        out = jnp.zeros_like(w)
        for c, a in closed:
            if isinstance(a, _Exp):
                out = out + c / (a.beta + w)
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
        w = jnp.exp(v) if param == "log" else v
        G = 1.0 / (w[:, None] + w[None, :])
        return rho_sq - 2 * a @ b(w) + a @ G @ a

    return loss


# ------------------------------------------------------------------ flows
@dataclass
class FlowResult:
    """A loss curve of a gradient method on the white-noise loss.

    ``times`` are step numbers (GD, Adam) or flow time ``tau`` (ODE);
    ``loss[k]`` the loss there; ``a``, ``w`` the final parameters. ``diverged``
    is True if a rate left ``(0, inf)`` or the loss became non-finite.
    """

    method: str
    times: np.ndarray
    loss: np.ndarray
    a: np.ndarray
    w: np.ndarray
    lr: float
    diverged: bool = False
    info: dict = field(default_factory=dict)

    def to_dict(self):
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


def _run_discrete(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade,
                  progress):
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        loss = _make_loss(kernel, param)
        vg = jax.value_and_grad(loss)
        if method == "adam":
            import optax

            opt = optax.adam(lr)
        else:
            import optax

            opt = optax.sgd(lr)
        v0 = np.log(w0) if param == "log" else w0
        theta = (jnp.asarray(a0), jnp.asarray(v0))
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

        times, losses = [np.array([0.0])], [np.array([float(loss(theta))])]
        done, diverged = 0, False
        while done < steps:
            theta, state, Ls = run_chunk(theta, state)
            Ls = np.asarray(Ls)
            # Ls[k] is the loss before step done+k+1, i.e. after step done+k
            after = np.append(Ls[1:], float(loss(theta)))
            keep = _record_index(done, chunk, per_decade)
            times.append(np.arange(done + 1, done + chunk + 1)[keep].astype(float))
            losses.append(after[keep])
            done += chunk
            w = np.asarray(theta[1])
            if param == "rate" and np.any(w <= 0) or not np.all(np.isfinite(after)):
                diverged = True
                break
            if progress is not None:
                progress(done, steps)
            if stop_below is not None and after[-1] < stop_below:
                break
        a, v = (np.asarray(x) for x in theta)
    w = np.exp(v) if param == "log" else v
    return FlowResult(method, np.concatenate(times), np.concatenate(losses), a, w, lr, diverged,
                      {"param": param, "steps": done})


def _run_ode(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade, progress):
    import diffrax
    import jax
    import jax.numpy as jnp

    T = float(steps) * lr
    with jax.enable_x64(True):
        loss = _make_loss(kernel, param)
        grad = jax.grad(loss)
        v0 = np.log(w0) if param == "log" else w0
        y0 = (jnp.asarray(a0), jnp.asarray(v0))
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
        ok = np.isfinite(Ls)
        a = np.asarray(ys[0])[ok][-1]
        v = np.asarray(ys[1])[ok][-1]
        info = {"param": param, "flow_time": T, "solver_steps": int(sol.stats["num_steps"]),
                "result": str(sol.result)}
    w = np.exp(v) if param == "log" else v
    diverged = bool(not ok.all()) or (param == "rate" and bool(np.any(w <= 0)))
    return FlowResult("ode", ts[ok], Ls[ok], a, w, lr, diverged, info)


FLOW_METHODS = {"gd": _run_discrete, "adam": _run_discrete, "ode": _run_ode}


def get_flow_method(name: str):
    """The flow called ``name``: ``gd``, ``adam`` or ``ode``.

    Examples
    --------
    >>> from tnrnn.linear_rnn import get_flow_method
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
                  max_steps: int = 100_000_000, progress=None) -> FlowResult:
    """Minimise the white-noise loss from ``(a0, w0)``.

    Parameters
    ----------
    kernel : Kernel or str
    a0, w0 : 1-d arrays (coefficients, rates ``> 0``)
    method : {"gd", "adam", "ode"}
        Plain gradient descent, Adam (optax), or the gradient flow
        ``d theta/d tau = -grad L`` by diffrax's Tsit5 with adaptive steps up to
        ``tau = steps * lr`` (comparable to ``steps`` GD steps of size ``lr``;
        ``chunk`` is then the solver's step budget).
    lr : float
        Step size (GD, Adam); for ``ode`` the time unit of the output.
    param : {"rate", "log"}
        Descend on the rates ``w`` themselves or on ``log w``.
    stop_below : float, optional
        Stop (at the end of a chunk) once the loss is below this.
    per_decade : int
        Recorded points per decade of steps past the first 1000 (all kept before).
    max_steps : int
        Refuse ``steps`` beyond this.

    Examples
    --------
    >>> from tnrnn.linear_rnn import gradient_flow
    >>> r = gradient_flow("exponential:2", [0.0], [1.0], lr=0.5, steps=3000, chunk=1000)
    >>> round(float(r.w[0]), 6), round(float(r.a[0]), 6)   # converges to w = v, a = 1
    (2.0, 1.0)
    """
    kernel = parse_kernel(kernel)
    a0, w0 = _check_aw(a0, w0)
    fn = get_flow_method(method)
    if param not in ("rate", "log"):
        raise SpecError(f"param must be 'rate' or 'log'; got {param!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise SpecError(f"lr must be a finite number > 0; got {lr!r}")
    steps = check_positive_int("steps", steps)
    chunk = check_positive_int("chunk", chunk)
    max_steps = check_positive_int("max_steps", max_steps)
    if steps > max_steps:
        raise TooLargeError(f"steps={steps} exceeds max_steps={max_steps}; raise max_steps",
                            estimate=steps, limit=max_steps)
    if method != "ode":
        chunk = min(chunk, steps)
        steps = chunk * math.ceil(steps / chunk)
    return fn(kernel, a0, w0, float(lr), steps, method, param, chunk, stop_below, per_decade,
              progress)


# ------------------------------------------------------------------ plateaus
@dataclass(frozen=True)
class Plateau:
    """A plateau of a loss curve: it starts at ``start`` at loss ``level`` and the loss
    stays within ``flat`` (relative) of it until at least ``start * min_span``;
    ``exit`` is the first time the loss is below ``level * (1 - drop)``, or
    None if it never is (the plateau lasts past the end of the curve)."""

    start: float
    level: float
    end_flat: float
    exit: float | None


def plateau_times(times, loss, *, flat: float = 0.01, min_span: float = 2.0,
                  drop: float = 0.1) -> list[Plateau]:
    """When the loss leaves each plateau.

    Scanning forward, a plateau starts at the first sample ``t_i > 0`` from which the
    loss stays above ``loss_i (1 - flat)`` up to a time ``>= min_span * t_i``; it is
    left at the first later time the loss falls below ``loss_i (1 - drop)``. The
    scan resumes there.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.linear_rnn import plateau_times
    >>> t = np.arange(1.0, 1001.0)
    >>> loss = np.where(t < 100, 1.0, 0.01)  # flat until 99, then a drop
    >>> [(p.start, p.exit) for p in plateau_times(t, loss)]  # the last one never ends
    [(1.0, 100.0), (100.0, None)]
    """
    t = np.asarray(times, float)
    L = np.asarray(loss, float)
    if t.shape != L.shape or t.ndim != 1:
        raise SpecError(f"times and loss must be 1-d of the same length; got {t.shape}, {L.shape}")
    if not (0 <= flat < drop < 1):
        raise SpecError(f"need 0 <= flat < drop < 1; got flat={flat!r}, drop={drop!r}")
    if not min_span > 1:
        raise SpecError(f"min_span must be > 1; got {min_span!r}")
    out = []
    n = len(t)
    i = 0
    # for each i: the first index after i where the loss falls below L_i (1 - flat)
    while i < n:
        if t[i] <= 0 or not np.isfinite(L[i]):
            i += 1
            continue
        below = np.nonzero(L[i + 1:] < L[i] * (1 - flat))[0]
        j = (i + below[0]) if below.size else n - 1   # last index still flat
        if t[j] >= min_span * t[i]:
            ex = np.nonzero(L[j + 1:] < L[i] * (1 - drop))[0]
            k = j + 1 + ex[0] if ex.size else None
            out.append(Plateau(float(t[i]), float(L[i]), float(t[j]),
                               None if k is None else float(t[k])))
            if k is None:
                break
            i = k
        else:
            i += 1
    return out
