"""Experiment 2 of Ribeiro et al. (2020), reduced: a sine generator trained
from scratch, with the dynamics of every checkpoint.

An LSTM (tnrnn.cells' ``"lstm"``) with a linear readout gets a constant
input ``omega`` (a frequency in ``[pi/16, pi/8]``) and must output
``sin(omega (k + 1))`` at step ``k``, the paper's ``sine_generator.py``.
Generating an oscillation from a constant input needs a limit cycle: the
network has to leave the contracting region, where the only attractors are
fixed points. The training loop is a minimal optax loop (Adam after
gradient-norm clipping, full batch, the paper's clip 0.25): tnrnn.train's
``fit`` trains classifiers of ``tnrnn.tasks`` tasks and this is a
regression on a task of its own, so it is not used here.

Every checkpoint is analysed: orbit diagrams under the constant inputs,
``lambda_max`` per input, the Lipschitz bound and the empirical
``sup ||Df||`` along the orbit, and the sharpness of the training loss.
"""

from __future__ import annotations

import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from ._core import as_inputs, flat_map, x64
from .landscape import sharpness_core
from .lipschitz import cell_map, lipschitz_bound
from .lyapunov import largest_lyapunov_core
from .orbit import orbit_diagram, stack_params

__all__ = ["sine_data", "train_sine", "analyse_checkpoints", "sine_experiment"]


def sine_data(n_sequences: int = 20, seq_len: int = 200, min_freq: float = math.pi / 16,
              max_freq: float = math.pi / 8):
    """Inputs ``(n, T, 1)`` (the frequency, constant) and targets ``(n, T)``
    ``sin(omega (k + 1))``, as the paper's ``data_generator``."""
    freqs = np.linspace(min_freq, max_freq, n_sequences)
    u = np.repeat(freqs[:, None, None], seq_len, axis=1)
    y = np.sin(np.cumsum(u[..., 0], axis=1))
    return u, y, freqs


def _model(hidden):
    from ..cells import get_cell

    cell = get_cell("lstm")

    def predict(params, U):
        def run(us):
            def body(state, u):
                state = cell.step(params["cell"], state, u)
                return state, state[0]

            z = jnp.zeros(hidden, us.dtype)
            _, hs = jax.lax.scan(body, (z, z), us)
            return hs @ params["readout"]["W_O"][0] + params["readout"]["b_O"][0]

        return jax.vmap(run)(U)

    return predict


def train_sine(*, hidden: int = 16, steps: int = 3000, lr: float = 3e-3, clip: float = 0.25,
               n_sequences: int = 20, seq_len: int = 200, checkpoint_every: int = 100,
               milestones=(1000, 2000), gamma: float = 0.3, seed: int = 2,
               progress=None) -> dict:
    """Train the sine generator; return the loss history and the checkpoints
    (step 0 = the initial weights, then every ``checkpoint_every`` steps).

    Adam with learning rate ``lr``, multiplied by ``gamma`` at each of the
    ``milestones`` (the paper's multi-step schedule, shortened), after
    clipping the gradient norm to ``clip``; full batch, mean squared error.
    """
    import optax

    from ..cells import init_cell

    U, Y, freqs = sine_data(n_sequences, seq_len)
    rng = np.random.default_rng(seed)
    with x64():
        params = {"cell": {k: np.asarray(v, np.float64)
                           for k, v in init_cell("lstm", input_dim=1, hidden=hidden,
                                                 seed=seed).items()},
                  "readout": {"W_O": rng.uniform(-1, 1, (1, hidden)) / math.sqrt(hidden),
                              "b_O": np.zeros(1)}}
        params = jax.tree_util.tree_map(jnp.asarray, params)
        predict = _model(hidden)
        Uj, Yj = jnp.asarray(U), jnp.asarray(Y)

        def loss(p):
            return jnp.mean((predict(p, Uj) - Yj) ** 2)

        sched = optax.piecewise_constant_schedule(lr, {int(m): gamma for m in milestones})
        opt = optax.chain(optax.clip_by_global_norm(clip), optax.adam(sched))
        state = opt.init(params)

        @jax.jit
        def step(p, s):
            val, g = jax.value_and_grad(loss)(p)
            upd, s = opt.update(g, s, p)
            return optax.apply_updates(p, upd), s, val

        history, ckpts = [], [(0, jax.tree_util.tree_map(np.asarray, params), float(loss(params)))]
        for i in range(1, steps + 1):
            params, state, val = step(params, state)
            history.append(float(val))
            if i % checkpoint_every == 0:
                ckpts.append((i, jax.tree_util.tree_map(np.asarray, params), float(loss(params))))
                if progress is not None:
                    progress(i, steps)
    return {"history": history, "checkpoints": ckpts, "freqs": freqs.tolist(),
            "hidden": hidden, "lr": lr, "clip": clip, "milestones": list(milestones),
            "gamma": gamma, "n_sequences": n_sequences,
            "seq_len": seq_len, "seed": seed}


def analyse_checkpoints(train: dict, *, n_inputs: int = 10, n_init: int = 4,
                        init_std: float = 100.0, orbit_steps: int = 400, orbit_burn: int = 1200,
                        lyap_steps: int = 2000, lyap_burn: int = 1000, hessian_iters: int = 20,
                        seed: int = 0) -> dict:
    """Dynamics at every checkpoint of :func:`train_sine`.

    Orbit diagrams of the readout ``y`` under ``n_inputs`` constant inputs
    in ``[pi/16, pi/8]`` from ``n_init`` random states (std ``init_std``),
    ``lambda_max`` per input from the zero state, the LSTM Lipschitz bound
    (inputs up to ``pi/8``), the empirical sup ``||Df||`` along the orbit
    from the zero state, and the sharpness of the training loss.
    """
    hidden = train["hidden"]
    steps_, params, losses = zip(*train["checkpoints"])
    omegas = np.linspace(math.pi / 16, math.pi / 8, n_inputs)
    cells = stack_params([p["cell"] for p in params])
    od = orbit_diagram(lambda p: cell_map("lstm", p)[0], cells, u_values=omegas[:, None],
                       n_init=n_init, init_std=init_std, steps=orbit_steps, burn=orbit_burn,
                       dim=2 * hidden, seed=seed)  # (P, n_init, n_u, steps, 2H)
    y = np.stack([od[i, ..., :hidden] @ params[i]["readout"]["W_O"][0]
                  + params[i]["readout"]["b_O"][0] for i in range(len(params))])
    inp = as_inputs(None, None, None)
    U, Y, _ = sine_data(train["n_sequences"], train["seq_len"])
    predict = _model(hidden)
    with x64():
        def per_ckpt_u(pc, w):
            f, _ = cell_map("lstm", pc)
            g = flat_map(lambda x: f(x, jnp.atleast_1d(w)), False, False)
            lam = largest_lyapunov_core(g, jnp.zeros(2 * hidden), None, lyap_burn, lyap_steps, inp)

            def body(carry, _):
                x, best = carry
                x = g(x, None)
                n = jnp.linalg.norm(jax.jacfwd(lambda s: g(s, None))(x), 2)
                return (x, jnp.maximum(best, n)), None

            (_, sup), _ = jax.lax.scan(body, (jnp.zeros(2 * hidden), 0.0), None, length=300)
            return lam, sup

        lam, sup = jax.jit(jax.vmap(jax.vmap(per_ckpt_u, in_axes=(None, 0)), in_axes=(0, None)))(
            jax.tree_util.tree_map(jnp.asarray, cells), jnp.asarray(omegas))
        from jax.flatten_util import ravel_pytree

        Uj, Yj = jnp.asarray(U), jnp.asarray(Y)
        sharp = []
        for i, p in enumerate(params):
            flat, unravel = ravel_pytree(jax.tree_util.tree_map(jnp.asarray, p))
            lam_h, gn = jax.jit(lambda t: sharpness_core(
                lambda z: jnp.mean((predict(unravel(z), Uj) - Yj) ** 2), t, hessian_iters,
                jax.random.PRNGKey(seed + i)))(flat)
            sharp.append((float(lam_h), float(gn)))
    bounds = [lipschitz_bound("lstm", p["cell"], input_radius=math.pi / 8).value for p in params]
    return {"steps": list(steps_), "loss": list(losses), "omegas": omegas.tolist(),
            "orbit_y": y.tolist(), "orbit_shape": list(y.shape),
            "lyapunov_max": np.asarray(lam).tolist(), "sup_norm": np.asarray(sup).tolist(),
            "bound": bounds, "sharpness": [s[0] for s in sharp],
            "grad_norm": [s[1] for s in sharp], "n_init": n_init, "init_std": init_std,
            "orbit_steps": orbit_steps, "orbit_burn": orbit_burn, "lyap_steps": lyap_steps,
            "lyap_burn": lyap_burn, "hessian_iters": hessian_iters}


def sine_experiment(*, hidden: int = 16, steps: int = 3000, checkpoint_every: int = 100,
                    seed: int = 2, quick: bool = False, progress=None) -> dict:
    """Train the sine generator and analyse its checkpoints (experiment 2)."""
    t0 = time.perf_counter()
    if quick:
        hidden, steps, checkpoint_every = 8, 60, 20
    tr = train_sine(hidden=hidden, steps=steps, checkpoint_every=checkpoint_every, seed=seed,
                    seq_len=60 if quick else 200, n_sequences=6 if quick else 20,
                    progress=progress)
    an = analyse_checkpoints(tr, n_inputs=3 if quick else 10, n_init=2 if quick else 4,
                             orbit_steps=50 if quick else 100, orbit_burn=100 if quick else 1500,
                             lyap_steps=200 if quick else 2000, lyap_burn=100 if quick else 1000,
                             hessian_iters=5 if quick else 20)
    return {"experiment": "sine-generator",
            "model": f"LSTM ({tr['hidden']} units, tnrnn.cells 'lstm') + linear readout",
            "training": {k: tr[k] for k in ("hidden", "lr", "clip", "milestones", "gamma",
                                            "n_sequences", "seq_len", "seed", "freqs")} | {
                "optimizer": "optax adam after clip_by_global_norm, full batch",
                "history": tr["history"]},
            "checkpoints": an, "seconds": time.perf_counter() - t0}
