"""Experiment 2 of Ribeiro et al. (2020), reduced: networks trained from
scratch, with the dynamics of every checkpoint.

Two tasks, as in the paper's code:

* **sine generator** (``sine_generator.py``): an LSTM with a linear readout
  gets a constant input ``omega`` (a frequency in ``[pi/16, pi/8]``) and must
  output ``sin(omega (k + 1))`` at step ``k``. An oscillation from a constant
  input needs a limit cycle: the network has to leave the contracting
  region, where the only attractors are fixed points.
* **sequence classification** (``sequence_classification.py``): one-hot
  sequences of length 200 over 2 relevant symbols and 4 distractors; a
  relevant symbol sits in positions 9-18 and another in 39-48; the class
  (4 of them) is the pair, read out at the last step: the network must hold
  two symbols for ~150 steps against distractors.

Training runs the package's one loop, :func:`tnrnn.train.train_steps`, with
the optax update of :func:`tnrnn.train.make_update` (Adam with a multi-step
schedule after gradient-norm clipping at the paper's 0.25) and the losses of
:mod:`tnrnn.train` (mean squared error, cross-entropy); a callback keeps the
checkpoints. The model is tnrnn.cells' ``"lstm"`` step function with a
linear readout at every step.

Every checkpoint is analysed: orbit diagrams of the readout under constant
inputs, ``lambda_max`` per input from the zero state, the LSTM Lipschitz
bound, the empirical ``sup ||Df||`` along the orbit, and the sharpness of
the training loss.
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

__all__ = ["sine_data", "seqclass_data", "train_lstm", "analyse_checkpoints",
           "sine_experiment", "seqclass_experiment"]


def sine_data(n_sequences: int = 20, seq_len: int = 200, min_freq: float = math.pi / 16,
              max_freq: float = math.pi / 8):
    """Inputs ``(n, T, 1)`` (the frequency, constant) and targets ``(n, T, 1)``
    ``sin(omega (k + 1))``, as the paper's ``data_generator``."""
    freqs = np.linspace(min_freq, max_freq, n_sequences)
    u = np.repeat(freqs[:, None, None], seq_len, axis=1)
    y = np.sin(np.cumsum(u, axis=1))
    return u, y, freqs


def seqclass_data(n_sequences: int = 500, seq_len: int = 200, *, n_symbols: int = 2,
                  n_distractors: int = 4, starts=(9, 39), width: int = 10, seed: int = 2):
    """One-hot inputs ``(n, T, n_symbols + n_distractors)`` and classes ``(n,)``,
    as the paper's ``data_generator`` (``numpy.random.default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    m = n_symbols + n_distractors
    u = np.zeros((n_sequences, seq_len, m))
    u[np.arange(n_sequences)[:, None], np.arange(seq_len)[None, :],
      n_symbols + rng.integers(n_distractors, size=(n_sequences, seq_len))] = 1.0
    y = np.zeros(n_sequences, dtype=np.int64)
    for i, s in enumerate(starts):
        pos = rng.integers(s, s + width, size=n_sequences)
        sym = rng.integers(n_symbols, size=n_sequences)
        u[np.arange(n_sequences), pos, :] = 0.0
        u[np.arange(n_sequences), pos, sym] = 1.0
        y = y + sym * n_symbols ** (len(starts) - i - 1)
    return u, y


def _predict(hidden):
    """``predict(params, U) -> (n, T, K)``: the readout at every step."""
    from ..cells import get_cell

    cell = get_cell("lstm")

    def predict(params, U):
        def run(us):
            def body(state, u):
                state = cell.step(params["cell"], state, u)
                return state, state[0]

            z = jnp.zeros(hidden, us.dtype)
            _, hs = jax.lax.scan(body, (z, z), us)
            return hs @ params["readout"]["W_O"].T + params["readout"]["b_O"]

        return jax.vmap(run)(U)

    return predict


def _batch_loss(task: str, hidden: int):
    """``loss(params, U, Y)``: mean squared error of every step (sine) or
    cross-entropy of the last step (sequence classification)."""
    from ..train import cross_entropy, mean_squared_error

    predict = _predict(hidden)
    if task == "sine":
        return lambda p, Ub, Yb: mean_squared_error(predict(p, Ub), Yb)
    return lambda p, Ub, Yb: cross_entropy(predict(p, Ub)[:, -1, :], Yb)


def _task_loss(task: str, hidden: int, U, Y):
    loss = _batch_loss(task, hidden)
    Uj, Yj = jnp.asarray(U), jnp.asarray(Y)
    return lambda p: loss(p, Uj, Yj)


def train_lstm(task: str, U, Y, *, outputs: int, hidden: int = 16, steps: int = 3000,
               lr: float = 3e-3, clip: float = 0.25, batch: int | None = None,
               checkpoint_every: int = 100, milestones=(1000, 2000), gamma: float = 0.3,
               seed: int = 2, progress=None) -> dict:
    """Train an LSTM + linear readout on ``(U, Y)``; keep checkpoints.

    Adam with learning rate ``lr``, multiplied by ``gamma`` at each of the
    ``milestones`` (the paper's multi-step schedule, shortened), after
    clipping the gradient norm to ``clip``; ``batch`` sequences per step
    drawn from ``default_rng(seed)`` (the whole set if None). Checkpoint 0
    is the initial weights, then every ``checkpoint_every`` steps.
    """
    import optax

    from ..cells import init_cell
    from ..train import make_update, train_steps

    rng = np.random.default_rng(seed)
    m = U.shape[2]
    n = U.shape[0]
    with x64():
        params = {"cell": {k: np.asarray(v, np.float64)
                           for k, v in init_cell("lstm", input_dim=m, hidden=hidden,
                                                 seed=seed).items()},
                  "readout": {"W_O": rng.uniform(-1, 1, (outputs, hidden)) / math.sqrt(hidden),
                              "b_O": np.zeros(outputs)}}
        params = jax.tree_util.tree_map(jnp.asarray, params)
        full_jit = jax.jit(_task_loss(task, hidden, U, Y))
        sched = optax.piecewise_constant_schedule(lr, {int(k): gamma for k in milestones})
        opt = optax.chain(optax.clip_by_global_norm(clip), optax.adam(sched))
        update = make_update(_batch_loss(task, hidden), opt)

        def batches(s):  # drawn in step order from one generator, as the paper's loop
            idx = np.arange(n) if batch is None else rng.choice(n, size=batch, replace=False)
            return jnp.asarray(U[idx]), jnp.asarray(Y[idx])

        history = []
        ckpts = [(0, jax.tree_util.tree_map(np.asarray, params), float(full_jit(params)))]

        def record(st):
            history.append(float(st.loss))
            if st.step % checkpoint_every == 0:
                ckpts.append((st.step, jax.tree_util.tree_map(np.asarray, st.params),
                              float(full_jit(st.params))))
                if progress is not None:
                    progress(st.step, steps)

        train_steps(params, update, batches, steps=steps, opt_state=opt.init(params),
                    callbacks=[record])
    return {"task": task, "history": history, "checkpoints": ckpts, "hidden": hidden,
            "outputs": outputs, "lr": lr, "clip": clip, "batch": batch,
            "milestones": list(milestones), "gamma": gamma, "seed": seed}


def analyse_checkpoints(train: dict, U, Y, u_values, *, n_init: int = 4,
                        init_std: float = 100.0, orbit_steps: int = 100,
                        orbit_burn: int = 1500, lyap_steps: int = 2000, lyap_burn: int = 1000,
                        hessian_iters: int = 20, input_radius: float = 1.0,
                        seed: int = 0) -> dict:
    """Dynamics at every checkpoint of :func:`train_lstm`.

    Orbit diagrams of the readout under the constant inputs ``u_values``
    from ``n_init`` random states (std ``init_std``); ``lambda_max`` under
    each input from the zero state; the LSTM Lipschitz bound (inputs with
    ``||u||_inf <= input_radius``); the empirical sup ``||Df||`` over 300
    steps from the zero state; the sharpness and gradient norm of the full
    training loss.
    """
    hidden = train["hidden"]
    steps_, params, losses = zip(*train["checkpoints"])
    u_values = np.asarray(u_values, dtype=np.float64)
    cells = stack_params([p["cell"] for p in params])
    od = orbit_diagram(lambda p: cell_map("lstm", p)[0], cells, u_values=u_values,
                       n_init=n_init, init_std=init_std, steps=orbit_steps, burn=orbit_burn,
                       dim=2 * hidden, seed=seed)  # (P, n_init, n_u, steps, 2H)
    y = np.stack([od[i, ..., :hidden] @ np.asarray(params[i]["readout"]["W_O"]).T
                  + np.asarray(params[i]["readout"]["b_O"]) for i in range(len(params))])
    inp = as_inputs(None, None, None)
    with x64():
        def per_ckpt_u(pc, w):
            f, _ = cell_map("lstm", pc)
            g = flat_map(lambda x: f(x, w), False, False)
            lam = largest_lyapunov_core(g, jnp.zeros(2 * hidden), None, lyap_burn, lyap_steps, inp)

            def body(carry, _):
                x, best = carry
                x = g(x, None)
                n = jnp.linalg.norm(jax.jacfwd(lambda s: g(s, None))(x), 2)
                return (x, jnp.maximum(best, n)), None

            (_, sup), _ = jax.lax.scan(body, (jnp.zeros(2 * hidden), 0.0), None, length=300)
            return lam, sup

        lam, sup = jax.jit(jax.vmap(jax.vmap(per_ckpt_u, in_axes=(None, 0)), in_axes=(0, None)))(
            jax.tree_util.tree_map(jnp.asarray, cells), jnp.asarray(u_values))
        from jax.flatten_util import ravel_pytree

        loss = _task_loss(train["task"], hidden, U, Y)
        # one program for every checkpoint: the flat weights stacked (P, n), one key each
        # (PRNGKey(seed + i), as one call per checkpoint would draw)
        flats = [ravel_pytree(jax.tree_util.tree_map(jnp.asarray, p)) for p in params]
        unravel = flats[0][1]
        keys = jnp.stack([jax.random.PRNGKey(seed + i) for i in range(len(params))])
        lam_h, gn = jax.jit(jax.vmap(lambda t, k: sharpness_core(
            lambda z: loss(unravel(z)), t, hessian_iters, k)))(
            jnp.stack([f for f, _ in flats]), keys)
        sharp = list(zip(np.asarray(lam_h).tolist(), np.asarray(gn).tolist()))
    bounds = [lipschitz_bound("lstm", p["cell"], input_radius=input_radius).value
              for p in params]
    return {"steps": list(steps_), "loss": list(losses), "u_values": u_values.tolist(),
            "orbit_y": y.tolist(), "orbit_shape": list(y.shape),
            "lyapunov_max": np.asarray(lam).tolist(), "sup_norm": np.asarray(sup).tolist(),
            "bound": bounds, "input_radius": input_radius,
            "sharpness": [s[0] for s in sharp], "grad_norm": [s[1] for s in sharp],
            "n_init": n_init, "init_std": init_std, "orbit_steps": orbit_steps,
            "orbit_burn": orbit_burn, "lyap_steps": lyap_steps, "lyap_burn": lyap_burn,
            "hessian_iters": hessian_iters}


def _meta(tr: dict) -> dict:
    return {k: tr[k] for k in ("hidden", "lr", "clip", "batch", "milestones", "gamma", "seed")} | {
        "optimizer": "optax adam (multi-step schedule) after clip_by_global_norm",
        "history": tr["history"]}


def sine_experiment(*, hidden: int = 16, steps: int = 3000, checkpoint_every: int = 100,
                    seed: int = 2, quick: bool = False, progress=None) -> dict:
    """Train the sine generator and analyse its checkpoints (experiment 2a)."""
    t0 = time.perf_counter()
    if quick:
        hidden, steps, checkpoint_every = 8, 60, 20
    U, Y, freqs = sine_data(6 if quick else 20, 60 if quick else 200)
    tr = train_lstm("sine", U, Y, outputs=1, hidden=hidden, steps=steps,
                    checkpoint_every=checkpoint_every, seed=seed, progress=progress)
    omegas = np.linspace(math.pi / 16, math.pi / 8, 3 if quick else 10)
    an = analyse_checkpoints(tr, U, Y, omegas[:, None], n_init=2 if quick else 4,
                             orbit_steps=50 if quick else 100, orbit_burn=100 if quick else 1500,
                             lyap_steps=200 if quick else 2000, lyap_burn=100 if quick else 1000,
                             hessian_iters=5 if quick else 20, input_radius=math.pi / 8)
    return {"experiment": "sine-generator",
            "model": f"LSTM ({tr['hidden']} units, tnrnn.cells 'lstm') + linear readout",
            "task": f"constant input omega in [pi/16, pi/8] ({len(freqs)} sequences of "
                    f"{U.shape[1]} steps), target sin(omega (k + 1)), mean squared error",
            "training": _meta(tr), "checkpoints": an, "seconds": time.perf_counter() - t0}


def seqclass_experiment(*, hidden: int = 16, steps: int = 2000, checkpoint_every: int = 100,
                        seq_len: int = 200, n_sequences: int = 500, batch: int = 50,
                        seed: int = 2, quick: bool = False, progress=None) -> dict:
    """Train the sequence classifier and analyse its checkpoints (experiment 2b)."""
    t0 = time.perf_counter()
    if quick:
        hidden, steps, checkpoint_every, seq_len, n_sequences, batch = 8, 40, 20, 60, 40, 20
    U, Y = seqclass_data(n_sequences, seq_len, seed=seed)
    tr = train_lstm("seqclass", U, Y, outputs=4, hidden=hidden, steps=steps, batch=batch,
                    checkpoint_every=checkpoint_every, milestones=(steps // 2,), gamma=0.3,
                    seed=seed, progress=progress)
    an = analyse_checkpoints(tr, U, Y, np.eye(U.shape[2]), n_init=2 if quick else 4,
                             orbit_steps=20 if quick else 50, orbit_burn=100 if quick else 400,
                             lyap_steps=200 if quick else 2000, lyap_burn=100 if quick else 1000,
                             hessian_iters=5 if quick else 20, input_radius=1.0)
    acc = _accuracy(tr, U, Y)
    return {"experiment": "sequence-classification",
            "model": f"LSTM ({tr['hidden']} units, tnrnn.cells 'lstm') + linear readout",
            "task": f"{n_sequences} one-hot sequences of length {seq_len}: 2 relevant symbols "
                    "(positions 9-18 and 39-48) among 4 distractors, 4 classes, cross-entropy "
                    "at the last step (chance: ln 4 = 1.386)",
            "training": _meta(tr), "final_train_accuracy": acc, "checkpoints": an,
            "seconds": time.perf_counter() - t0}


def _accuracy(tr, U, Y) -> float:
    predict = _predict(tr["hidden"])
    p = tr["checkpoints"][-1][1]
    with x64():
        logits = np.asarray(jax.jit(predict)(jax.tree_util.tree_map(jnp.asarray, p),
                                             jnp.asarray(U)))[:, -1, :]
    return float(np.mean(np.argmax(logits, axis=1) == Y))
