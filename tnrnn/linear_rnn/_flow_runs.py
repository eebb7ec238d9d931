"""The JAX side of :func:`tnrnn.linear_rnn.gradient_flow`: the traced loss and the runners.

``_make_loss(kernel, param)`` is the white-noise loss of
:mod:`tnrnn.linear_rnn.flow` as a jnp function of ``(a, v)`` (``v`` the free
variable of the rates); ``_run_discrete`` (gradient descent, Adam: optax under
``lax.scan``, in chunks) and ``_run_ode`` (the gradient flow in diffrax) return
the fields of a :class:`tnrnn.linear_rnn.FlowResult` as a dict, with the
divergence rule of the flow module's docstring applied. jax, optax and diffrax
are imported inside the functions.
"""

from __future__ import annotations

import math

import numpy as np

from .._jax import x64
from ._atoms import _Delayed, _Exp, _Smooth
from ._tabulated import _Tabulated, ik
from .kernels import Kernel


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


def _jax_b(kernel: Kernel):
    """A jnp function ``w -> (b(w), ||rho||^2)``: closed forms where jax can trace them."""
    import jax.numpy as jnp

    from .approx import _grid

    kinds = (_Exp, _Delayed, _Smooth, _Tabulated)
    closed = [(c, a) for c, a in kernel.terms if isinstance(a, kinds)]
    other = [(c, a) for c, a in kernel.terms if not isinstance(a, kinds)]
    if other:
        t, q = _grid(Kernel(tuple(other)))
        qv = jnp.asarray(q * Kernel(tuple(other)).value(t))
        tj = jnp.asarray(t)

    def b(w):
        out = jnp.zeros_like(w)
        for c, a in closed:
            if isinstance(a, _Exp):
                out = out + c / (a.beta + w)
            elif isinstance(a, _Tabulated):
                f, d, ti = (jnp.asarray(x) for x in a._f())
                z = w[:, None] * a.step
                e = jnp.exp(-w[:, None] * ti[None, :])
                out = out + c * a.step * jnp.sum(
                    e * (f[:-1] * ik(z, 0, jnp) + d * ik(z, 1, jnp)), axis=-1)
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

    with x64():
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
    return dict(method=method, times=np.concatenate(times), loss=np.concatenate(losses), a=a,
                w=_from_free(v, param), lr=lr, diverged=why is not None, info=info)


def _run_ode(kernel, a0, w0, lr, steps, method, param, chunk, stop_below, per_decade, progress,
             limit):
    import diffrax
    import jax
    import jax.numpy as jnp

    T = float(steps) * lr
    with x64():
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
    return dict(method="ode", times=ts[good], loss=Ls[good], a=a, w=_from_free(v, param), lr=lr,
                diverged=why is not None, info=info)
