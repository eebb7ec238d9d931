"""Optimisers (optax) behind one registry, with the depth paper's gradient clipping.

Every optimiser is ``inject_hyperparams``-wrapped so that the plateau
schedule can change its learning rate without recompiling, and is preceded
by :func:`clip_nonfinite` (L-inf clipping with non-finite entries zeroed).
"""

from __future__ import annotations

from typing import Callable

from ..errors import SpecError

__all__ = ["OPTIMIZERS", "optimizer_names", "get_optimizer", "make_optimizer", "clip_nonfinite",
           "get_learning_rate", "with_learning_rate", "set_learning_rate"]


def clip_nonfinite(limit: float):
    """A gradient transformation: each entry clipped to ``[-limit, limit]``
    (the L-inf clipping of TensorFlow's ``clip_by_value``), non-finite entries
    (NaN, +-inf) set to zero first.

    Parameters
    ----------
    limit : float

    Returns
    -------
    optax.GradientTransformation

    Examples
    --------
    >>> import numpy as np
    >>> tx = clip_nonfinite(10.0)
    >>> g, _ = tx.update({"w": np.array([np.nan, 20.0, -3.0, -np.inf])}, tx.init(None))
    >>> np.asarray(g["w"]).tolist()
    [0.0, 10.0, -3.0, 0.0]
    """
    import jax
    import jax.numpy as jnp
    import optax

    def update(updates, state, params=None):
        del params
        fix = lambda g: jnp.clip(jnp.where(jnp.isfinite(g), g, 0.0), -limit, limit)  # noqa: E731
        return jax.tree.map(fix, updates), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def _rmsprop(learning_rate, *, decay=0.9, eps=1e-10, initial_scale=1.0):
    import optax

    return optax.rmsprop(learning_rate, decay=decay, eps=eps, initial_scale=initial_scale,
                         eps_in_sqrt=True)


def _adam(learning_rate, *, b1=0.9, b2=0.999, eps=1e-8):
    import optax

    return optax.adam(learning_rate, b1=b1, b2=b2, eps=eps)


def _sgd(learning_rate, *, momentum=None):
    import optax

    return optax.sgd(learning_rate, momentum=momentum)


#: name -> factory(learning_rate, **options) of an optax transformation.
OPTIMIZERS: dict[str, Callable] = {"rmsprop": _rmsprop, "adam": _adam, "sgd": _sgd}


def optimizer_names() -> list[str]:
    """Registered optimiser names.

    Returns
    -------
    list of str

    Examples
    --------
    >>> optimizer_names()
    ['adam', 'rmsprop', 'sgd']
    """
    return sorted(OPTIMIZERS)


def get_optimizer(name: str) -> Callable:
    """The factory registered under ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    callable
        ``factory(learning_rate, **options)``.

    Examples
    --------
    >>> get_optimizer("lbfgs")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown optimizer 'lbfgs'; valid optimizers: adam, rmsprop, sgd
    """
    if name not in OPTIMIZERS:
        raise SpecError(f"unknown optimizer {name!r}; valid optimizers: "
                        f"{', '.join(optimizer_names())}")
    return OPTIMIZERS[name]


def make_optimizer(name: str = "rmsprop", *, lr: float = 1e-3, clip: float | None = 10.0,
                   options: dict | None = None):
    """An optax transformation: :func:`clip_nonfinite` then the named optimiser.

    The default is the ``tnrnn`` protocol's optimiser: RMSProp, learning rate
    1e-3, decay 0.9, entries clipped at 10 (the ``paper`` protocol passes
    ``clip=None``: the paper's code clips only scoRNN's ``dL/dW``, see
    :mod:`tnrnn.train.protocols`). RMSProp's ``eps = 1e-10`` (inside the
    square root) and ``initial_scale = 1`` follow TensorFlow 1's
    ``RMSPropOptimizer``, which the paper's code used.

    Parameters
    ----------
    name : {"rmsprop", "adam", "sgd"}
    lr : float
        The learning rate (changeable later: ``inject_hyperparams``).
    clip : float or None
        L-inf clipping of every gradient entry (None: none).
    options : dict, optional
        The optimiser's options (``decay``, ``eps``, ``b1``, ``momentum``, ...).

    Returns
    -------
    optax.GradientTransformation

    Examples
    --------
    >>> tx = make_optimizer("rmsprop", lr=1e-3)
    >>> state = tx.init({"w": __import__("numpy").zeros(2)})
    >>> round(float(get_learning_rate(state)), 9)
    0.001
    """
    import optax

    factory = get_optimizer(name)
    options = dict(options or {})
    import math

    def finite_positive(v):
        return (not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
                and v > 0)

    if not finite_positive(lr):
        raise SpecError(f"lr must be a positive number (finite); got {lr!r}")
    if clip is not None and not finite_positive(clip):
        raise SpecError(f"clip must be a positive number (finite) or None; got {clip!r}")

    def build(learning_rate):
        try:
            inner = factory(learning_rate, **options)
        except TypeError as exc:
            raise SpecError(f"bad options for optimizer {name!r}: {exc}") from None
        return inner if clip is None else optax.chain(clip_nonfinite(float(clip)), inner)

    build(lr)  # validate the options before anything is traced
    return optax.inject_hyperparams(build)(learning_rate=float(lr))


def get_learning_rate(opt_state) -> float:
    """The current learning rate of a :func:`make_optimizer` state.

    Parameters
    ----------
    opt_state : optax state of ``inject_hyperparams``

    Returns
    -------
    jax scalar

    Examples
    --------
    >>> import numpy as np
    >>> float(get_learning_rate(make_optimizer("adam", lr=0.5).init({"w": np.zeros(1)})))
    0.5
    """
    return opt_state.hyperparams["learning_rate"]


def with_learning_rate(opt_state, value: float):
    """A copy of a :func:`make_optimizer` state whose learning rate is ``value``
    (optax's ``inject_hyperparams`` state with its hyperparameter replaced; the
    given state is left as it is).

    The plateau schedule of :func:`tnrnn.train.fit` uses it. optax's own
    ``optax.contrib.reduce_on_plateau`` is not used: it scales the updates
    (not the learning rate seen by RMSProp's state), counts patience on every
    update rather than on validations, has no "more than patience" rule and
    would add leaves to the optimiser state, so runs and checkpoints of the
    depth-paper sweep would no longer be reproduced or resumed.

    Parameters
    ----------
    opt_state : optax state of ``inject_hyperparams``
    value : float

    Returns
    -------
    optax state

    Examples
    --------
    >>> import numpy as np
    >>> tx = make_optimizer("rmsprop", lr=1e-3)
    >>> state = tx.init({"w": np.zeros(2)})
    >>> new = with_learning_rate(state, 1e-4)
    >>> round(float(get_learning_rate(new)), 9), round(float(get_learning_rate(state)), 9)
    (0.0001, 0.001)
    """
    import jax.numpy as jnp

    hp = opt_state.hyperparams
    lr = jnp.asarray(value, dtype=jnp.asarray(hp["learning_rate"]).dtype)
    return opt_state._replace(hyperparams={**hp, "learning_rate": lr})


def set_learning_rate(opt_state, value: float):
    """Deprecated: :func:`with_learning_rate` (this name changed the state in place;
    it now returns a new state, as :func:`with_learning_rate`).

    Parameters
    ----------
    opt_state : optax state
    value : float

    Returns
    -------
    optax state

    Examples
    --------
    >>> import warnings, numpy as np
    >>> state = make_optimizer("sgd", lr=0.5).init({"w": np.zeros(1)})
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     float(get_learning_rate(set_learning_rate(state, 0.25)))
    0.25
    """
    import warnings

    warnings.warn("tnrnn.train.optim.set_learning_rate is deprecated; use with_learning_rate "
                  "(it returns a new state)", DeprecationWarning, stacklevel=2)
    return with_learning_rate(opt_state, value)
