"""Stacks of recurrent cells under ``lax.scan``: their weights and forward pass.

A stack of depth ``L`` feeds each layer's hidden sequence to the next and
reads the top layer with a linear readout, at the last step or at every step.
The whole stack runs as one ``lax.scan`` over time whose body steps every
layer in turn (on this CPU that form trains 1.1-4x faster than one scan per
layer with the input projections of all steps hoisted into one matmul; see
``benchmarks/bench_train.py``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import SpecError, check_positive_int
from ._cells import random_state_bound
from ._model import Model, as_model, layer_options
from ._registry import check_cell_options, check_dtype, get_cell

__all__ = ["stack", "make_apply", "needs_key"]


def stack(kind: str, *, depth: int, hidden: int, input_dim: int, outputs: int,
          seed: int = 0, every_step: bool = False, dtype="float32",
          options: dict | None = None) -> tuple[Model, Callable]:
    """A depth-``L`` stack of one cell kind with a linear readout.

    Parameters
    ----------
    kind : str
        A registry name (:func:`cell_names`).
    depth, hidden, input_dim, outputs : int
        Layers ``L``, width ``H`` of every layer, input width, readout width.
    seed : int
        Seed of the numpy generator that draws every weight.
    every_step : bool
        Read out every step (``(batch, T, outputs)``) instead of the last one.
    dtype : "float32" or "float64"
        Weight dtype (float64 needs ``jax.enable_x64``).
    options : dict, optional
        Cell options (e.g. ``{"forget_bias": 0.0}`` for an LSTM).

    Returns
    -------
    model : Model
        The weights with their kind and options (:class:`~tnrnn.cells.Model`;
        ``model.to_dict()`` is ``{"layers": [dict, ...], "readout": {"W_O":
        (K, H), "b_O": (K,)}}``; a RAC's readout has no ``b_O``, so the stack
        stays a RAC).
    apply : callable
        ``apply(model, X)`` for ``X`` of shape ``(batch, T, input_dim)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.cells import count_params
    >>> model, apply = stack("gru", depth=2, hidden=4, input_dim=3, outputs=2)
    >>> apply(model, np.zeros((5, 7, 3), np.float32)).shape
    (5, 2)
    >>> model.kind, count_params(model)
    ('gru', 238)
    """
    cell = get_cell(kind)
    depth = check_positive_int("depth", depth)
    hidden = check_positive_int("hidden", hidden)
    input_dim = check_positive_int("input_dim", input_dim)
    outputs = check_positive_int("outputs", outputs)
    seed = check_positive_int("seed", seed, minimum=0)
    dtype = check_dtype(dtype)
    rng = np.random.default_rng(seed)
    options = check_cell_options(cell, dict(options or {}), hidden=hidden)
    layers = [cell.init(rng, input_dim if l == 0 else hidden, hidden, dtype, **options,
                        **({"layer": l} if cell.layered else {}))
              for l in range(depth)]
    if cell.name == "rac":
        readout = {"W_O": (rng.standard_normal((outputs, hidden)) / np.sqrt(hidden)).astype(dtype)}
    elif options.get("variant") == "paper":  # the paper's code: Xavier readout, zero bias
        k = np.sqrt(6.0 / (hidden + outputs))
        readout = {"W_O": rng.uniform(-k, k, (outputs, hidden)).astype(dtype),
                   "b_O": np.zeros(outputs, dtype=dtype)}
    else:
        k = 1.0 / np.sqrt(hidden)
        readout = {"W_O": rng.uniform(-k, k, (outputs, hidden)).astype(dtype),
                   "b_O": np.zeros(outputs, dtype=dtype)}
    model = Model(kind=cell.name, layers=tuple(layers), readout=readout,
                  options=tuple(sorted(options.items())))
    return model, make_apply(cell.name, every_step=every_step)


def _parts(params, cell, options):
    """``(layers, readout, options)`` of a model (its own options) or of a
    stack dict (``options``, else the ones its layers record)."""
    if isinstance(params, Model):
        if params.kind != cell.name:
            raise SpecError(f"params is a {params.kind!r} model; this forward pass is "
                            f"{cell.name!r}'s")
        return params.layers, params.readout, params.cell_options
    if not isinstance(params, dict) or "layers" not in params or "readout" not in params:
        raise SpecError("params must be a tnrnn.cells.Model or a stack dict {'layers': [...], "
                        f"'readout': {{...}}}}; got {type(params).__name__}")
    layers = params["layers"]
    if options is None:
        options = layer_options(cell.name, layers[0]) if layers else {}
    return layers, params["readout"], dict(options)


def make_apply(kind, *, every_step: bool = False, options: dict | None = None) -> Callable:
    """The forward function ``apply(params, X, key=None)`` of a stack of ``kind`` cells.

    ``kind`` is a registry name or a :class:`~tnrnn.cells.Model` (whose kind
    is used); ``params`` a model or a stack dict. The recurrence is the one
    the static cell options name (:meth:`Cell.recurrence
    <tnrnn.cells.Cell>`): a model's own options, or for a stack dict
    ``options`` (default: those of a model given as ``kind``, else the ones
    its layers record, :func:`layer_options`).

    Parameters
    ----------
    kind : str or Model
    every_step : bool
        Read out every step (``(batch, T, K)``) instead of the last (``(batch, K)``).
    options : dict, optional
        The cell options of stack dicts given to ``apply``.

    Returns
    -------
    callable
        ``apply(params, X, key=None)``.

    ``key`` (a ``jax.random`` key) is needed only by layers whose initial
    state is random (scoRNN's ``variant="paper"``, see :func:`needs_key`):
    layer ``l`` draws its state from ``fold_in(key, l)``. Other stacks
    ignore it.

    Examples
    --------
    >>> params, _ = stack("tanh", depth=1, hidden=2, input_dim=1, outputs=1)
    >>> make_apply("tanh", every_step=True)(params, np.ones((1, 4, 1), np.float32)).shape
    (1, 4, 1)
    """
    import jax
    import jax.numpy as jnp

    cell = get_cell(kind.kind if isinstance(kind, Model) else kind)
    if options is None and isinstance(kind, Model):
        options = kind.cell_options

    def apply(params, X, key=None):
        X = jnp.asarray(X)
        layers, r, opts = _parts(params, cell, options)
        recur = cell.recurrence(opts)
        batch = X.shape[0]

        def body(states, x):
            new, inp = [], x
            for p, s in zip(layers, states):
                s = recur(p, s, cell.project(p, inp))
                new.append(s)
                inp = cell.output(s)
            return tuple(new), (inp if every_step else None)

        s0 = []
        for l, p in enumerate(layers):
            bound = random_state_bound(p, opts)
            if bound is None:
                s0.append(cell.initial_state(p, batch))
                continue
            if key is None:
                raise SpecError("this stack draws a random initial state on every forward "
                                "pass (scoRNN variant 'paper'); pass key=jax.random.key(...)")
            H = p["W"].shape[0]
            s0.append(jax.random.uniform(jax.random.fold_in(key, l), (batch, H),
                                         dtype=p["W"].dtype, minval=-bound, maxval=bound))
        states, top = jax.lax.scan(body, tuple(s0), jnp.swapaxes(X, 0, 1))  # time-major
        if every_step:
            y = top @ r["W_O"].T
            if "b_O" in r:
                y = y + r["b_O"]
            return jnp.swapaxes(y, 0, 1)
        y = cell.output(states[-1]) @ r["W_O"].T
        return y + r["b_O"] if "b_O" in r else y

    return apply


def needs_key(params, *, kind: str | None = None) -> bool:
    """Whether :func:`make_apply`'s forward pass of ``params`` needs a ``key``
    (a :class:`~tnrnn.cells.Model`, or a stack dict with its ``kind``).

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        Required with a dict.

    Returns
    -------
    bool

    Examples
    --------
    >>> p, _ = stack("scornn", depth=2, hidden=4, input_dim=3, outputs=2)
    >>> needs_key(p)
    False
    >>> p, _ = stack("scornn", depth=2, hidden=4, input_dim=3, outputs=2,
    ...              options={"variant": "paper"})
    >>> needs_key(p), needs_key(p.to_dict(), kind="scornn")
    (True, True)
    """
    return as_model(params, kind).needs_key
