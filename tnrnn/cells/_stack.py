"""Stacks of recurrent cells under ``lax.scan``, parameter counts and budgets.

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
from ._cells import (ALIASES, CELLS, Cell, cayley, cayley_grad, exprnn_grad, exprnn_matrix,
                     random_state_bound)
from ._model import COUNTS, Model, as_model, check_count, layer_count

__all__ = [
    "get_cell",
    "cell_names",
    "init_cell",
    "stack",
    "make_apply",
    "count_params",
    "stack_param_count",
    "width_for_budget",
    "trainable_mask",
    "needs_outside_update",
    "outside_grads",
    "outside_refresh",
    "needs_key",
    "rescale_linf",
    "check_cell_options",
    "COUNTS",
]

_DTYPES = ("float32", "float64")


def cell_names() -> list[str]:
    """The registry names, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> cell_names()
    ['exprnn', 'gru', 'linear', 'lstm', 'mi-rnn', 'rac', 'relu', 'scornn', 'tanh']
    """
    return sorted(CELLS)


def get_cell(kind: str) -> Cell:
    """The :class:`~tnrnn.cells.Cell` registered under ``kind`` (or an alias).

    Parameters
    ----------
    kind : str
        A registry name or an alias (case-insensitive).

    Returns
    -------
    Cell

    Examples
    --------
    >>> get_cell("lstm").name
    'lstm'
    >>> get_cell("elman").name
    'tanh'
    >>> get_cell("transformer")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown cell kind 'transformer'; valid kinds: exprnn, gru, linear, lstm, mi-rnn, rac, relu, scornn, tanh (aliases: elman, mi, mirnn, scorenn)
    """
    if not isinstance(kind, str):
        raise SpecError(f"cell kind must be a string; got {kind!r}")
    key = ALIASES.get(kind.lower(), kind.lower())
    if key not in CELLS:
        raise SpecError(f"unknown cell kind {kind!r}; valid kinds: {', '.join(cell_names())} "
                        f"(aliases: {', '.join(sorted(ALIASES))})")
    return CELLS[key]


def _check_dtype(dtype) -> str:
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _DTYPES:
        raise SpecError(f"dtype must be one of {', '.join(_DTYPES)}; got {dtype!r}")
    return name


def check_cell_options(kind, options: dict, *, hidden: int | None = None) -> dict:
    """Check a cell's options before anything is built: known names, numbers
    finite (NaN or inf would start training from NaN weights and report the
    untrained network), and each option's range; return them.

    Parameters
    ----------
    kind : str or Cell
    options : dict
    hidden : int, optional
        The width, for options bounded by it (scoRNN's ``negative``).

    Returns
    -------
    dict
        ``options`` itself.

    Examples
    --------
    >>> check_cell_options("rac", {"sigma": 0.01})
    {'sigma': 0.01}
    >>> check_cell_options("scornn", {"negative": 9}, hidden=8)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: scornn option negative must be in [0, 8]; got 9
    """
    import math
    import numbers

    cell = kind if isinstance(kind, Cell) else get_cell(kind)
    bad = sorted(set(options) - set(cell.options))
    if bad:
        raise SpecError(f"cell {cell.name!r} has no option(s) {bad}; allowed: "
                        f"{sorted(cell.options) or 'none'}")
    for name, value in options.items():
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and \
                not math.isfinite(float(value)):
            raise SpecError(f"cell option {name} must be a finite number; got {value!r}")
    if "sigma" in options and not options["sigma"] >= 0:
        raise SpecError(f"cell option sigma must be >= 0; got {options['sigma']!r}")
    if "radius" in options and not options["radius"] > 0:
        raise SpecError(f"cell option radius must be > 0; got {options['radius']!r}")
    if cell.name == "scornn":
        variant = options.get("variant", "tnrnn")
        if variant not in ("tnrnn", "paper"):
            raise SpecError(f"scornn option variant must be 'tnrnn' or 'paper'; got {variant!r}")
        neg = options.get("negative")
        if neg is not None:
            if variant == "paper":
                raise SpecError("scornn option negative cannot be set with variant='paper' "
                                "(the paper's code fixes H - H//2 signs to -1)")
            if isinstance(neg, bool) or not isinstance(neg, numbers.Integral) or \
                    (hidden is not None and not 0 <= neg <= hidden) or neg < 0:
                raise SpecError(f"scornn option negative must be in [0, "
                                f"{hidden if hidden is not None else 'H'}]; got {neg!r}")
    if cell.name == "exprnn" and options.get("init", "henaff") not in ("henaff", "cayley"):
        raise SpecError(f"exprnn option init must be 'henaff' or 'cayley'; got "
                        f"{options['init']!r}")
    return options


def init_cell(kind: str, *, input_dim: int, hidden: int, seed: int = 0,
              dtype="float32", **options) -> dict:
    """Seeded parameters of one cell (a plain dict of numpy arrays).

    Parameters
    ----------
    kind : str
    input_dim, hidden : int
        Input width ``I`` and hidden width ``H``.
    seed : int
        Seed of the numpy generator.
    dtype : "float32" or "float64"
    **options
        Cell options (:attr:`Cell.options`).

    Returns
    -------
    dict of numpy arrays

    Examples
    --------
    >>> p = init_cell("lstm", input_dim=3, hidden=2)
    >>> {k: v.shape for k, v in p.items()}
    {'W_ih': (8, 3), 'W_hh': (8, 2), 'b': (8,)}
    """
    cell = get_cell(kind)
    input_dim = check_positive_int("input_dim", input_dim)
    hidden = check_positive_int("hidden", hidden)
    dtype = _check_dtype(dtype)
    rng = np.random.default_rng(check_positive_int("seed", seed, minimum=0))
    return cell.init(rng, input_dim, hidden, dtype, **check_cell_options(cell, options, hidden=hidden))


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
    dtype = _check_dtype(dtype)
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


def make_apply(kind, *, every_step: bool = False) -> Callable:
    """The forward function ``apply(params, X, key=None)`` of a stack of ``kind`` cells.

    ``kind`` is a registry name or a :class:`~tnrnn.cells.Model` (whose kind
    is used); ``params`` a model or a stack dict.

    Parameters
    ----------
    kind : str or Model
    every_step : bool
        Read out every step (``(batch, T, K)``) instead of the last (``(batch, K)``).

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

    def apply(params, X, key=None):
        X = jnp.asarray(X)
        layers = params["layers"]
        batch = X.shape[0]

        def body(states, x):
            new, inp = [], x
            for p, s in zip(layers, states):
                s = cell.recur(p, s, cell.project(p, inp))
                new.append(s)
                inp = cell.output(s)
            return tuple(new), (inp if every_step else None)

        s0 = []
        for l, p in enumerate(layers):
            bound = random_state_bound(p)
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
        r = params["readout"]
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


# ------------------------------------------------------------- counting


def count_params(params, *, kind: str | None = None, convention: str = "free") -> int:
    """Exact number of trained scalars of a stack or of one cell's weights.

    ``params`` is a :class:`~tnrnn.cells.Model`, or a stack dict or one
    layer's dict with its ``kind``. Frozen entries (:attr:`Cell.frozen`:
    initial states, derived matrices) are not counted; a skew matrix counts
    its ``H (H - 1) / 2`` free entries. With ``convention="paper"`` scoRNN's
    ``W`` counts ``H x H`` instead, as the depth paper's code counts it
    (:data:`COUNTS`).

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        Required with a dict.
    convention : {"free", "paper"}

    Returns
    -------
    int

    Examples
    --------
    >>> p = init_cell("lstm", input_dim=3, hidden=2)
    >>> count_params(p, kind="lstm") == 4 * 2 * (3 + 2 + 1)
    True
    >>> p, _ = stack("scornn", depth=1, hidden=4, input_dim=3, outputs=2)
    >>> count_params(p), count_params(p, convention="paper")
    (32, 42)
    """
    check_count(convention)
    if not isinstance(params, (dict, Model)):
        raise SpecError(f"params must be a Model or a stack's or a cell's dict; got "
                        f"{type(params).__name__}")
    if isinstance(params, dict) and "layers" not in params:  # one layer's weights
        if kind is None:
            as_model(params)  # the error: a dict does not say its kind
        return layer_count(get_cell(kind).name, params, convention)
    return as_model(params, kind).count(convention)


def stack_param_count(kind: str, *, depth: int, hidden: int, input_dim: int,
                      outputs: int, convention: str = "free") -> int:
    """Closed-form :func:`count_params` of :func:`stack` without drawing weights.

    Parameters
    ----------
    kind : str
    depth, hidden, input_dim, outputs : int
    convention : {"free", "paper"}

    Returns
    -------
    int

    Examples
    --------
    >>> p, _ = stack("scornn", depth=3, hidden=5, input_dim=4, outputs=2)
    >>> stack_param_count("scornn", depth=3, hidden=5, input_dim=4, outputs=2) == count_params(p)
    True
    >>> (stack_param_count("scornn", depth=3, hidden=5, input_dim=4, outputs=2, convention="paper")
    ...  == count_params(p, convention="paper"))
    True
    """
    cell = get_cell(kind)
    check_count(convention)
    n = cell.count(input_dim, hidden) + (depth - 1) * cell.count(hidden, hidden)
    if convention == "paper" and cell.name == "scornn":  # W as H x H, not A's H(H-1)/2
        n += depth * (hidden * hidden - hidden * (hidden - 1) // 2)
    return n + outputs * hidden + (0 if cell.name == "rac" else outputs)


def width_for_budget(kind: str, *, depth: int, budget: int, input_dim: int, outputs: int,
                     tolerance: float = 0.05, convention: str = "free") -> int:
    """The width whose stack has the parameter count closest to ``budget``.

    Raises :class:`~tnrnn.errors.SpecError` when no width comes within
    ``tolerance`` (relative) of the budget.

    Parameters
    ----------
    kind : str
    depth : int
    budget : int
        The parameter count aimed at.
    input_dim, outputs : int
    tolerance : float
        Largest relative distance from the budget.
    convention : {"free", "paper"}
        How parameters are counted (:func:`stack_param_count`).

    Returns
    -------
    int
        The width.

    Examples
    --------
    >>> H = width_for_budget("lstm", depth=2, budget=10_000, input_dim=10, outputs=10)
    >>> H, stack_param_count("lstm", depth=2, hidden=H, input_dim=10, outputs=10)
    (27, 10324)
    >>> width_for_budget("lstm", depth=3, budget=10, input_dim=10, outputs=10)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: no lstm width of depth 3 comes within 5% of the budget 10 parameters (the smallest, width 1, has 92); raise the budget
    """
    budget = check_positive_int("budget", budget)
    depth = check_positive_int("depth", depth)

    def n(h):
        return stack_param_count(kind, depth=depth, hidden=h, input_dim=input_dim,
                                 outputs=outputs, convention=convention)

    # n(h) increases with h: the largest h with n(h) <= budget by doubling then bisection
    # (a budget of 1e18 takes ~60 evaluations, not 1e9)
    lo, hi = 1, 2
    while n(hi) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if n(mid) <= budget else (lo, mid)
    h = lo
    best = min((h, h + 1), key=lambda w: abs(n(w) - budget))
    if abs(n(best) - budget) > tolerance * budget:
        raise SpecError(
            f"no {get_cell(kind).name} width of depth {depth} comes within "
            f"{tolerance:.0%} of the budget {budget} parameters (the smallest, width 1, "
            f"has {n(1)}); raise the budget")
    return best


def trainable_mask(params, *, kind: str | None = None):
    """A pytree of booleans like ``params``: False on frozen entries
    (:attr:`Cell.frozen` of the model's kind). A model gives a model of
    booleans, a stack dict (with ``kind``) a dict.

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        Required with a dict.

    Returns
    -------
    Model or dict

    Examples
    --------
    >>> p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
    >>> trainable_mask(p)["layers"][0]
    {'W_H': True, 'W_I': True, 'h0': False}
    >>> trainable_mask(p.to_dict(), kind="rac")["layers"]
    [{'W_H': True, 'W_I': True, 'h0': False}]
    """
    mask = as_model(params, kind).mask()
    return mask if isinstance(params, Model) else mask.to_dict()


# --------------------------------------------------- scoRNN and expRNN outside the jit


def _orthogonal(params, kind):
    """The model of ``params`` for the outside update: its own kind, or for a
    stack dict ``kind``, or else scoRNN if its layers hold signs ``D`` and
    expRNN if not (the two kinds these functions serve)."""
    if kind is None and not isinstance(params, Model):
        first = params["layers"][0] if isinstance(params, dict) and params.get("layers") else {}
        kind = "scornn" if "D" in first else "exprnn"
    m = as_model(params, kind)
    if not m.needs_outside_update:
        raise SpecError(f"the outside update is scoRNN's and expRNN's; got a {m.kind!r} stack")
    return m


def _like(template, layers, readout):
    """``layers`` and ``readout`` in the container type of ``template``."""
    if isinstance(template, Model):
        return template.replace(layers=tuple(layers), readout=readout)
    return {"layers": list(layers), "readout": readout}


def needs_outside_update(kind: str) -> bool:
    """Whether training must run :func:`outside_grads` / :func:`outside_refresh`
    (scoRNN: its Cayley update runs in numpy, outside the jitted step; expRNN:
    its matrix exponential likewise).

    Parameters
    ----------
    kind : str

    Returns
    -------
    bool

    Examples
    --------
    >>> needs_outside_update("scornn"), needs_outside_update("lstm")
    (True, False)
    """
    return get_cell(kind).name in ("scornn", "exprnn")


def outside_grads(params, grads, *, kind: str | None = None):
    """Turn the gradient in ``W`` into the gradient in ``A`` (scoRNN: Cayley;
    expRNN: the adjoint Frechet derivative of ``expm``), per layer.

    ``params`` is a scoRNN or expRNN :class:`~tnrnn.cells.Model` (or a stack
    dict, with ``kind``); ``grads`` has the same structure and is returned
    in its own container type, with ``W``'s (and ``D``'s) gradient zeroed.

    numpy, outside ``jit``: on CPU, jax's triangular solves inside ``jit``
    cost 20-40 ms at 64 x 64 against 0.06 ms in numpy. For expRNN at 200 x 200
    (measured on the 2-core CPU of these experiments, loaded): jax's ``expm``
    in ``jit`` 12 ms and its gradient 53 ms, scipy's ``expm`` 16 ms and
    ``expm_frechet`` 36 ms -- close; numpy here keeps one mechanism for both
    orthogonal cells in :func:`tnrnn.train.fit` (the dynamics wing's own sine
    trainer differentiates ``expm`` inside ``jit`` instead).

    Parameters
    ----------
    params : Model or dict
    grads : Model or dict
        ``dL/dparams``, same structure.
    kind : str, optional
        With a dict: ``"scornn"`` or ``"exprnn"`` (default: scoRNN if the
        layers hold signs ``D``).

    Returns
    -------
    Model or dict
        Like ``grads``.

    Examples
    --------
    >>> import jax
    >>> m, _ = stack("scornn", depth=1, hidden=2, input_dim=1, outputs=1, dtype="float64")
    >>> g = outside_grads(m, jax.tree.map(np.ones_like, m))
    >>> np.allclose(g.layers[0]["A"], cayley_grad(m.layers[0]["A"], m.layers[0]["D"],
    ...     m.layers[0]["W"], np.ones((2, 2)))), float(g.layers[0]["W"].sum())
    (True, 0.0)
    """
    m = _orthogonal(params, kind)
    layers = []
    for p, g in zip(m.layers, grads["layers"]):
        g = dict(g)
        if m.kind == "exprnn":
            gA = exprnn_grad(np.asarray(p["A"]), np.asarray(g["W"]))
        else:
            gA = cayley_grad(np.asarray(p["A"]), np.asarray(p["D"]), np.asarray(p["W"]),
                             np.asarray(g["W"]))
            g["D"] = np.zeros_like(np.asarray(g["D"]))
        g["A"] = gA.astype(np.asarray(g["W"]).dtype)
        g["W"] = np.zeros_like(np.asarray(g["W"]))
        layers.append(g)
    return _like(grads, layers, grads["readout"])


def outside_refresh(params, *, kind: str | None = None):
    """Recompute every scoRNN layer's ``W = cayley(A, D)`` after an update of ``A``
    (``A`` is re-skewed first: ``(A - A^T) / 2`` removes rounding drift), and
    every expRNN layer's ``W = expm(triu(A, 1) - triu(A, 1)^T)`` (``A`` kept).

    ``params`` is a scoRNN or expRNN :class:`~tnrnn.cells.Model` (or a stack
    dict, with ``kind``); the result has its container type.

    Parameters
    ----------
    params : Model or dict
    kind : str, optional
        As in :func:`outside_grads`.

    Returns
    -------
    Model or dict

    Examples
    --------
    >>> m, _ = stack("exprnn", depth=1, hidden=2, input_dim=1, outputs=1, dtype="float64")
    >>> moved = m.replace(layers=[dict(m.layers[0], A=m.layers[0]["A"] + 0.1)])
    >>> bool(np.allclose(outside_refresh(moved).layers[0]["W"],
    ...                  exprnn_matrix(moved.layers[0]["A"])))
    True
    """
    m = _orthogonal(params, kind)
    layers = []
    for p in m.layers:
        p = dict(p)
        dtype = np.asarray(p["W"]).dtype
        if m.kind == "exprnn":
            p["W"] = exprnn_matrix(np.asarray(p["A"])).astype(dtype)
        else:
            A = np.asarray(p["A"], dtype=np.float64)
            A = (A - A.T) / 2
            p["A"] = A.astype(dtype)
            p["W"] = cayley(A, np.asarray(p["D"])).astype(dtype)
        layers.append(p)
    return _like(params, layers, params["readout"])


def rescale_linf(grad, limit: float) -> np.ndarray:
    """A gradient rescaled to L-inf norm ``limit`` when above it, zeroed whole
    if any entry is not finite (the depth paper's code, for scoRNN's ``dL/dW``).

    Unlike entry-wise clipping, the direction is kept.

    Parameters
    ----------
    grad : array
    limit : float

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> rescale_linf(np.array([20.0, -5.0]), 10.0).tolist()
    [10.0, -2.5]
    >>> rescale_linf(np.array([3.0, -5.0]), 10.0).tolist()
    [3.0, -5.0]
    >>> rescale_linf(np.array([1.0, np.nan]), 10.0).tolist()
    [0.0, 0.0]
    """
    g = np.asarray(grad)
    if not np.all(np.isfinite(g)):
        return np.zeros_like(g)
    norm = float(np.max(np.abs(g))) if g.size else 0.0
    return g * (limit / norm) if norm > limit else g
