"""The dynamics of every checkpoint of :func:`tnrnn.dynamics.training.train_lstm`
(orbit diagrams, ``lambda_max``, Lipschitz bound, sup ``||Df||``, sharpness),
each analysis compiled once for all checkpoints."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import SpecError, check_positive_int
from ._core import as_inputs, check_float, check_seed, flat_map, x64
from ._lstm_tasks import LSTMTraining, _check_task_data, _task_loss
from ._records import CheckpointAnalysis
from .landscape import sharpness_core
from .lipschitz import cell_map, lipschitz_bound
from .lyapunov import largest_lyapunov_core
from .orbit import orbit_diagram, stack_params


def analyse_checkpoints(train, U, Y, u_values, *, n_init: int = 4,
                        init_std: float = 100.0, orbit_steps: int = 100,
                        orbit_burn: int = 1500, lyap_steps: int = 2000, lyap_burn: int = 1000,
                        hessian_iters: int = 20, input_radius: float = 1.0,
                        seed: int = 0) -> CheckpointAnalysis:
    """Dynamics at every checkpoint of :func:`train_lstm`.

    Orbit diagrams of the readout under the constant inputs ``u_values``
    from ``n_init`` random states (std ``init_std``); ``lambda_max`` under
    each input from the zero state; the LSTM Lipschitz bound (inputs with
    ``||u||_inf <= input_radius``); the empirical sup ``||Df||`` over 300
    steps from the zero state; the sharpness and gradient norm of the full
    training loss. Each analysis is one compiled program for all checkpoints
    (their weights stacked, ``jax.vmap`` over checkpoints, inputs and starting
    states), not one per checkpoint.

    Parameters
    ----------
    train : LSTMTraining or dict
        The result of :func:`train_lstm` (or a dict with its ``task``,
        ``hidden`` and ``checkpoints``).
    U, Y : numpy.ndarray
        The training data, for the loss whose sharpness is taken.
    u_values : array_like
        Constant inputs ``(n_u, I)`` of the orbit diagrams and exponents.
    n_init, init_std : int, float
        Random starting states per orbit diagram, and their standard deviation.
    orbit_steps, orbit_burn : int
        Orbit steps kept, after ``orbit_burn`` discarded.
    lyap_steps, lyap_burn : int
        Steps of the ``lambda_max`` estimate, after ``lyap_burn`` discarded.
    hessian_iters : int
        Power-iteration steps of the sharpness.
    input_radius : float
        Bound of ``||u||_inf`` in the Lipschitz bound.
    seed : int
        Seed of the starting states; checkpoint ``i``'s power iteration
        starts from ``PRNGKey(seed + i)``.

    Returns
    -------
    CheckpointAnalysis
        Per checkpoint: ``steps``, ``loss``, ``orbit_y`` (the readout's orbit,
        shape ``orbit_shape`` = ``(P, n_init, n_u, orbit_steps, outputs)``),
        ``lyapunov_max`` and ``sup_norm`` (``(P, n_u)``), ``bound``,
        ``sharpness``, ``grad_norm``; and the settings.

    Examples
    --------
    The record and the inputs are checked before any work (the analysis
    compiles for seconds):

    >>> from tnrnn.dynamics.training import sine_data
    >>> U, Y, _ = sine_data(4, 10)
    >>> analyse_checkpoints({"task": "sine", "hidden": 2}, U, Y, [[0.2]])
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: train must be the record of train_lstm (keys task, hidden, checkpoints); got keys ['hidden', 'task']
    """
    if isinstance(train, LSTMTraining):
        train = train.to_dict()
    if not isinstance(train, dict) or not {"task", "hidden", "checkpoints"} <= set(train):
        raise SpecError("train must be the record of train_lstm (keys task, hidden, "
                        "checkpoints); got "
                        + (f"keys {sorted(train)}" if isinstance(train, dict)
                           else type(train).__name__))
    if not train["checkpoints"]:
        raise SpecError("train has no checkpoints")
    outputs = np.shape(train["checkpoints"][0][1]["readout"]["W_O"])[0]
    U, Y = _check_task_data(train["task"], U, Y, outputs)
    u_arr = np.asarray(u_values, dtype=np.float64) if np.ndim(u_values) == 2 else None
    if u_arr is None or u_arr.shape[1] != U.shape[2] or u_arr.shape[0] == 0:
        raise SpecError(f"u_values must be constant inputs (n_u, I) with I = {U.shape[2]} "
                        f"(the width of U); got shape {np.shape(u_values)}")
    for name, v in (("n_init", n_init), ("orbit_steps", orbit_steps),
                    ("lyap_steps", lyap_steps), ("hessian_iters", hessian_iters)):
        check_positive_int(name, v)
    for name, v in (("orbit_burn", orbit_burn), ("lyap_burn", lyap_burn)):
        check_positive_int(name, v, minimum=0)
    check_float("init_std", init_std, minimum=0.0)
    check_float("input_radius", input_radius, minimum=0.0)
    check_seed("seed", seed)
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
    return CheckpointAnalysis(
        steps=list(steps_), loss=list(losses), u_values=u_values.tolist(),
        orbit_y=y.tolist(), orbit_shape=list(y.shape),
        lyapunov_max=np.asarray(lam).tolist(), sup_norm=np.asarray(sup).tolist(),
        bound=bounds, input_radius=input_radius,
        sharpness=[s[0] for s in sharp], grad_norm=[s[1] for s in sharp],
        n_init=n_init, init_std=init_std, orbit_steps=orbit_steps,
        orbit_burn=orbit_burn, lyap_steps=lyap_steps, lyap_burn=lyap_burn,
        hessian_iters=hessian_iters)
