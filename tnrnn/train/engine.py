"""The one training loop: an update, a batch source and callbacks.

:func:`train_steps` is the loop every trainer of the package runs:
:func:`tnrnn.train.fit` (classification on memory tasks, with validation,
the plateau schedule and checkpoints as callbacks), the dynamics wing's
:func:`tnrnn.dynamics.training.train_lstm` and the linear-RNN wing's
:func:`tnrnn.linear_rnn.training.train_linear_rnn`. :func:`make_update`
builds the jitted optax update of a loss, and :func:`cross_entropy` and
:func:`mean_squared_error` are the package's one copy of its losses.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Iterable

__all__ = ["train_steps", "make_update", "mask_tree", "LoopState", "StepsResult",
           "cross_entropy", "mean_squared_error"]


def cross_entropy(logits, y):
    """Mean softmax cross-entropy (natural log) of integer labels, numpy or jax.

    Parameters
    ----------
    logits : array ``(..., K)``
    y : integer array ``(...)``

    Returns
    -------
    jax scalar

    Examples
    --------
    >>> import numpy as np
    >>> abs(float(cross_entropy(np.zeros((2, 4)), np.array([0, 3]))) - float(np.log(4))) < 1e-6
    True
    """
    import jax
    import jax.numpy as jnp

    logits = jnp.asarray(logits)
    lse = jax.nn.logsumexp(logits, axis=-1)
    picked = jnp.take_along_axis(logits, jnp.asarray(y)[..., None], axis=-1)[..., 0]
    return jnp.mean(lse - picked)


def mean_squared_error(prediction, target):
    """Mean of the squared differences, numpy or jax.

    Parameters
    ----------
    prediction, target : arrays of one shape

    Returns
    -------
    jax scalar

    Examples
    --------
    >>> import numpy as np
    >>> float(mean_squared_error(np.array([1.0, 2.0]), np.array([1.0, 0.0])))
    2.0
    """
    import jax.numpy as jnp

    return jnp.mean((jnp.asarray(prediction) - jnp.asarray(target)) ** 2)


def mask_tree(tree, mask):
    """``tree`` with the leaves whose ``mask`` entry is False set to zero.

    Parameters
    ----------
    tree, mask : pytrees of one structure (``mask``: booleans)

    Returns
    -------
    pytree

    Examples
    --------
    >>> import numpy as np
    >>> out = mask_tree({"a": np.ones(2), "b": np.ones(1)}, {"a": True, "b": False})
    >>> np.asarray(out["b"]).tolist()
    [0.0]
    """
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda g, m: g if m else jnp.zeros_like(g), tree, mask)


def make_update(loss: Callable, optimizer, *, mask=None) -> Callable:
    """The jitted step ``update(params, opt_state, batch) -> (params, opt_state, loss)``.

    ``loss(params, *batch)`` is differentiated; gradients of leaves whose
    ``mask`` entry is False are zeroed; ``optimizer`` (optax) updates.

    Parameters
    ----------
    loss : callable
        ``loss(params, *batch) -> scalar``.
    optimizer : optax.GradientTransformation
    mask : pytree of bool, optional
        Like ``params``: False on frozen leaves.

    Returns
    -------
    callable

    Examples
    --------
    >>> import numpy as np, optax
    >>> upd = make_update(lambda p, x: ((p["w"] - x) ** 2).sum(), optax.sgd(0.25))
    >>> p = {"w": np.zeros(2)}
    >>> p, s, l = upd(p, optax.sgd(0.25).init(p), (np.ones(2),))
    >>> np.asarray(p["w"]).tolist(), float(l)
    ([0.5, 0.5], 2.0)
    """
    import jax
    import optax

    vg = jax.value_and_grad(loss)

    def update(params, opt_state, batch):
        value, grads = vg(params, *batch)
        if mask is not None:
            grads = mask_tree(grads, mask)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    return jax.jit(update)


@dataclasses.dataclass
class LoopState:
    """The state :func:`train_steps` hands to its callbacks after each step.

    A callback may replace ``params`` or ``opt_state`` (e.g. a learning-rate
    schedule) or set ``stopped`` to a reason, which ends the loop.

    Parameters
    ----------
    step : int
        Steps done.
    params, opt_state : pytrees
    loss : jax scalar or None
        The last step's training loss.
    stopped : str or None
    compile_time_s : float or None
        Seconds of the first step of this call (compilation included).
    loop_time_s : float
        Seconds of the other steps (update and ``block_until_ready``).

    Examples
    --------
    >>> LoopState(step=3, params=None, opt_state=None).stopped is None
    True
    """

    step: int
    params: object
    opt_state: object
    loss: object = None
    stopped: str | None = None
    compile_time_s: float | None = None
    loop_time_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class StepsResult:
    """What :func:`train_steps` returns.

    Parameters
    ----------
    params, opt_state : pytrees
        After the last step.
    step : int
        Steps done (counting ``start``).
    stopped : str or None
        The reason a callback gave, or None (the cap).
    compile_time_s : float or None
    loop_time_s : float

    Examples
    --------
    >>> StepsResult(None, None, 5, None, 0.1, 0.2).to_dict()["step"]
    5
    """

    params: object
    opt_state: object
    step: int
    stopped: str | None
    compile_time_s: float | None
    loop_time_s: float

    def to_dict(self) -> dict:
        """The JSON-able part (steps, stop reason, timings).

        Returns
        -------
        dict
        """
        return {"step": self.step, "stopped": self.stopped,
                "compile_time_s": self.compile_time_s, "loop_time_s": self.loop_time_s}


def train_steps(params, update: Callable, batches: Callable, *, steps: int, opt_state=None,
                start: int = 0, callbacks: Iterable[Callable] = (),
                state: LoopState | None = None) -> StepsResult:
    """Run ``update`` on ``batches(s)`` for ``s = start, ..., steps - 1``.

    After each step every ``callback(state)`` is called with the
    :class:`LoopState` (in order); one that sets ``state.stopped`` ends the
    loop after the callbacks of that step. Each step is waited for
    (``block_until_ready``), so the timings are honest.

    Parameters
    ----------
    params : pytree
    update : callable
        ``update(params, opt_state, batch) -> (params, opt_state, loss)``
        (:func:`make_update`, or any step, e.g. one with work outside ``jit``).
    batches : callable
        ``batches(s) -> batch`` for step ``s`` (0-based).
    steps : int
        The cap: the loop stops when ``steps`` steps are done.
    opt_state : pytree, optional
    start : int
        Steps already done (a resumed run).
    callbacks : iterable of callable
    state : LoopState, optional
        A state to run on (the caller keeps a reference to it; ``params``,
        ``opt_state`` and ``start`` are then ignored).

    Returns
    -------
    StepsResult

    Examples
    --------
    >>> import numpy as np, optax
    >>> opt = optax.sgd(0.5)
    >>> upd = make_update(lambda p, x: ((p - x) ** 2).sum(), opt)
    >>> seen = []
    >>> r = train_steps(np.zeros(1), upd, lambda s: (np.ones(1),), steps=3,
    ...                 opt_state=opt.init(np.zeros(1)),
    ...                 callbacks=[lambda st: seen.append(float(st.loss))])
    >>> r.step, seen, np.asarray(r.params).tolist()
    (3, [1.0, 0.0, 0.0], [1.0])
    """
    import jax

    if state is None:
        state = LoopState(step=start, params=params, opt_state=opt_state)
    callbacks = list(callbacks)
    first = True
    while state.step < steps and state.stopped is None:
        batch = batches(state.step)
        t0 = time.perf_counter()
        state.params, state.opt_state, state.loss = update(state.params, state.opt_state,
                                                           batch)
        jax.block_until_ready(state.loss)
        if first:
            state.compile_time_s = time.perf_counter() - t0
            first = False
        else:
            state.loop_time_s += time.perf_counter() - t0
        state.step += 1
        for cb in callbacks:
            cb(state)
    return StepsResult(params=state.params, opt_state=state.opt_state, step=state.step,
                       stopped=state.stopped, compile_time_s=state.compile_time_s,
                       loop_time_s=state.loop_time_s)
