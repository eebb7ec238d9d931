"""The jitted step of a classifier: its cross-entropy loss, the optax step
(fused, or split around scoRNN's and expRNN's update outside ``jit``), and its
logits evaluated in chunks."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .engine import cross_entropy, make_update, mask_tree

__all__ = ["make_loss", "make_step", "evaluate_logits"]


def make_loss(apply: Callable, *, keyed: bool = False) -> Callable:
    """``loss(params, X, y, key=None)``: mean cross-entropy of ``apply(params, X)``
    (last-step labels ``(batch,)`` or every-step labels ``(batch, T)``);
    ``keyed`` passes ``key`` on to ``apply`` (random initial states).

    Parameters
    ----------
    apply : callable
        ``apply(params, X) -> logits`` (``apply(params, X, key)`` if ``keyed``).
    keyed : bool

    Returns
    -------
    callable

    Examples
    --------
    >>> import numpy as np
    >>> loss = make_loss(lambda p, X: X @ p)
    >>> round(float(loss(np.zeros((3, 4)), np.ones((2, 3)), np.array([0, 1]))), 6)
    1.386294
    """
    def loss(params, X, y, key=None):
        return cross_entropy(apply(params, X, key) if keyed else apply(params, X), y)
    return loss


def make_step(apply: Callable, optimizer, mask=None, *, fused: bool = True,
              keyed: bool = False):
    """The jitted training step(s) of a classifier ``apply`` (cross-entropy).

    ``fused=True``: ``step(params, opt_state, X, y, key=None) -> (params, opt_state, loss)``
    (:func:`tnrnn.train.make_update` of :func:`make_loss`).
    ``fused=False`` (scoRNN, whose Cayley update runs in numpy between the two):
    ``(grads_fn, update_fn)`` with ``grads_fn(params, X, y, key=None) -> (loss, grads)``
    and ``update_fn(params, opt_state, grads) -> (params, opt_state)``.
    Frozen entries (``mask`` False) get zero gradients; ``keyed`` passes the
    key to ``apply`` (stacks with random initial states).

    Parameters
    ----------
    apply : callable
    optimizer : optax.GradientTransformation
    mask : pytree of bool, optional
    fused : bool
    keyed : bool

    Returns
    -------
    callable or (callable, callable)

    Examples
    --------
    >>> import numpy as np, optax
    >>> from tnrnn.cells import stack
    >>> m, apply = stack("tanh", depth=1, hidden=3, input_dim=2, outputs=2)
    >>> step = make_step(apply, optax.sgd(0.1), m.mask())
    >>> X, y = np.ones((4, 5, 2), np.float32), np.array([0, 1, 0, 1])
    >>> m2, _, loss = step(m, optax.sgd(0.1).init(m), X, y)
    >>> m2.kind, bool(abs(float(loss) - float(make_loss(apply)(m, X, y))) < 1e-6)
    ('tanh', True)
    """
    import jax
    import optax

    loss = make_loss(apply, keyed=keyed)
    if fused:
        update = make_update(loss, optimizer, mask=mask)

        def step(params, opt_state, X, y, key=None):
            return update(params, opt_state, (X, y, key))

        return step
    vg = jax.value_and_grad(loss)

    def grads_fn(params, X, y, key=None):
        value, grads = vg(params, X, y, key)
        return value, (grads if mask is None else mask_tree(grads, mask))

    def update_fn(params, opt_state, grads):
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return jax.jit(grads_fn), jax.jit(update_fn)


def evaluate_logits(apply_jit: Callable, params, X, *, chunk: int = 512,
                    key=None) -> np.ndarray:
    """Logits of ``X`` in chunks (numpy); with ``key``, chunk ``i`` runs with
    ``fold_in(key, i)`` (stacks with random initial states).

    Parameters
    ----------
    apply_jit : callable
        ``apply_jit(params, X[, key]) -> logits``.
    params : pytree
    X : array ``(n, T, I)``
    chunk : int
        Sequences per call.
    key : jax random key, optional

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> evaluate_logits(lambda p, X: X.sum(axis=1) * p, 2.0, np.ones((5, 3, 1)), chunk=2).ravel()
    array([6., 6., 6., 6., 6.])
    """
    if key is None:
        outs = [np.asarray(apply_jit(params, X[i:i + chunk])) for i in range(0, len(X), chunk)]
    else:
        import jax

        outs = [np.asarray(apply_jit(params, X[i:i + chunk], jax.random.fold_in(key, i)))
                for i in range(0, len(X), chunk)]
    return np.concatenate(outs, axis=0)


def _np_ce(logits, y) -> float:
    z = logits - logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))
    picked = np.take_along_axis(z, np.asarray(y)[..., None], axis=-1)[..., 0]
    return float(np.mean(lse - picked))
