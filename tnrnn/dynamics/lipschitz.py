"""Lipschitz constants of recurrent maps: analytic bounds per cell kind, the
empirical Jacobian norms along visited states, and the three regions.

``L_x = sup ||df/dx||_2`` over states and inputs (spectral norm throughout).
If ``L_x < 1`` the map is a contraction: trajectories from any two states
approach each other at least like ``L_x^k`` (fading memory, one fixed point
under constant input by Banach's theorem).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ._core import (_real_array, as_inputs, as_states, cached, check_float, check_limit,
                    check_map, fields_dict, flat_map, probe, refuse_if_over, step_cost, x64)
from ._weights import check_cell_params, check_layer
from ..errors import SpecError

__all__ = ["LipschitzBound", "lipschitz_bound", "jacobian_norms", "region", "REGIONS",
           "cell_map", "BOUNDS"]

#: Region labels, from the Lipschitz constant L: L < 1 - tol, |L - 1| <= tol, L > 1 + tol.
REGIONS = ("contracting", "boundary", "expanding")


@dataclasses.dataclass(frozen=True)
class LipschitzBound:
    """An upper bound on ``sup ||df/dx||_2`` and the set it holds over.

    Parameters
    ----------
    value : float
        The bound.
    cell : str
        The cell kind it was derived for.
    domain : str
        The states and inputs it covers.
    attained : bool
        Whether the bound is the exact supremum over that domain (a closed
        form attained at some state).
    note : str
        How it was derived.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import lipschitz_bound
    >>> b = lipschitz_bound("linear", {"A": np.diag([0.5, 2.0]), "B": np.ones((2, 1))})
    >>> b.to_dict()["value"], b.attained
    (2.0, True)
    """

    value: float
    cell: str
    domain: str
    attained: bool
    note: str

    def to_dict(self) -> dict:
        """The bound as a dict with the five fields.

        Returns
        -------
        dict
            ``value``, ``cell``, ``domain``, ``attained``, ``note``.

        Examples
        --------
        >>> from tnrnn.dynamics import LipschitzBound
        >>> sorted(LipschitzBound(1.0, "tanh", "all", True, "").to_dict())
        ['attained', 'cell', 'domain', 'note', 'value']
        """
        return fields_dict(self)


def _norm2(W) -> float:
    W = np.asarray(W, dtype=np.float64)
    return float(np.linalg.norm(W, 2)) if W.size else 0.0


def _get(params, key, cell):
    if key not in params:
        raise SpecError(f"{cell} parameters need {key!r}; got keys {sorted(params)}")
    return np.asarray(params[key], dtype=np.float64)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _bound_elman(params, input_radius, cell):
    W = _get(params, "W_hh", cell)
    if cell == "relu":
        return LipschitzBound(_norm2(W), cell, "all states and inputs", False,
                              "relu' in {0, 1}: ||W_hh||_2, attained where every pre-activation "
                              "is positive")
    return LipschitzBound(_norm2(W), cell, "all states and inputs", True,
                          "tanh' <= 1 with equality at 0: ||W_hh||_2, attained at zero "
                          "pre-activation")


def _bound_linear(params, input_radius, cell):
    return LipschitzBound(_norm2(_get(params, "A", cell)), cell, "all states and inputs", True,
                          "constant Jacobian A: ||A||_2 exactly")


def _bound_scornn(params, input_radius, cell):
    return LipschitzBound(_norm2(_get(params, "W", cell)), cell, "all states and inputs", False,
                          "modReLU' in {0, 1}: ||W||_2 (1 for an orthogonal W)")


def _bound_exprnn(params, input_radius, cell):
    return LipschitzBound(_norm2(_get(params, "W", cell)), cell, "all states and inputs", False,
                          "Df = diag(modReLU') W^T with modReLU' in {0, 1}: ||W||_2, which is 1 "
                          "for W = expm(skew A); attained where every |pre-activation| + b > 0")


def _input_sup(W_in, input_radius, onehot):
    """max_j |(W_in u)_j| over ||u||_inf <= input_radius (or over one-hot u)."""
    if onehot:
        return float(np.max(np.abs(W_in))) if W_in.size else 0.0
    return float(input_radius * np.max(np.abs(W_in).sum(axis=1))) if W_in.size else 0.0


def _bound_rac(params, input_radius, cell, onehot=False):
    W_H, W_I = _get(params, "W_H", cell), _get(params, "W_I", cell)
    m = _input_sup(W_I, input_radius, onehot)
    dom = "one-hot inputs" if onehot else f"inputs with ||u||_inf <= {input_radius:g}"
    if cell == "rac":
        return LipschitzBound(m * _norm2(W_H), cell, f"all states; {dom}", False,
                              "Df = diag(W_I u) W_H: ||W_H||_2 max|W_I u|; it grows with the "
                              "input's magnitude (and, in a stack, with the state's: the next "
                              "layer multiplies by W_H h), so it holds only over the stated ball")
    return LipschitzBound(m * _norm2(W_H), cell, f"all states; {dom}", False,
                          "Df = diag(tanh') diag(W_I u) W_H, tanh' <= 1: ||W_H||_2 max|W_I u|; "
                          "grows with the input's magnitude")


def _bound_lstm(params, input_radius, cell, onehot=False):
    W_hh = _get(params, "W_hh", cell)
    H = W_hh.shape[1]
    W_ih = np.asarray(params.get("W_ih", np.zeros((4 * H, 0))), dtype=np.float64)
    b = np.asarray(params.get("b", np.zeros(4 * H)), dtype=np.float64)
    Wi, Wf, Wg, Wo = (W_hh[j * H:(j + 1) * H] for j in range(4))
    # forget gate over |h| <= 1 and the input ball: f <= f_max < 1
    pre_f = (np.abs(Wf).sum(axis=1) + np.abs(b[H:2 * H])
             + np.array([_input_sup(W_ih[H + j:H + j + 1], input_radius, onehot)
                         for j in range(H)]))
    f_max = float(np.max(_sig(pre_f)))
    C = 1.0 / (1.0 - f_max) if f_max < 1.0 else np.inf
    a_i, a_f, a_g, a_o = (_norm2(W) for W in (Wi, Wf, Wg, Wo))
    dc_dh = C * a_f / 4.0 + a_i / 4.0 + a_g
    blocks = np.array([[a_o / 4.0 + dc_dh, f_max], [dc_dh, f_max]])
    value = float(np.linalg.norm(blocks, 2))
    dom = "one-hot inputs" if onehot else f"inputs with ||u||_inf <= {input_radius:g}"
    return LipschitzBound(value, cell, f"|h| <= 1, |c| <= {C:.6g} (an invariant set); {dom}",
                          False,
                          f"f <= f_max = {f_max:.6g} makes |c| <= 1/(1 - f_max) invariant; block "
                          "bounds ||dc'/dh|| <= |c|max ||W_hf||/4 + ||W_hi||/4 + ||W_hg||, "
                          "||dc'/dc||, ||dh'/dc|| <= f_max, ||dh'/dh|| <= ||W_ho||/4 + "
                          "||dc'/dh||; the 2-norm of the 2x2 matrix of block norms")


def _bound_gru(params, input_radius, cell, onehot=False):
    W_hh = _get(params, "W_hh", cell)
    H = W_hh.shape[1]
    W_ih = np.asarray(params.get("W_ih", np.zeros((3 * H, 0))), dtype=np.float64)
    b_ih = np.asarray(params.get("b_ih", np.zeros(3 * H)), dtype=np.float64)
    b_hh = np.asarray(params.get("b_hh", np.zeros(3 * H)), dtype=np.float64)
    Wr, Wz, Wn = (W_hh[j * H:(j + 1) * H] for j in range(3))
    c = b_ih[H:2 * H] + b_hh[H:2 * H]
    rad = np.abs(Wz).sum(axis=1) + np.array(
        [_input_sup(W_ih[H + j:H + j + 1], input_radius, onehot) for j in range(H)])
    z_max, z_min = float(np.max(_sig(c + rad))), float(np.min(_sig(c - rad)))
    hn_max = float(np.max(np.abs(Wn).sum(axis=1) + np.abs(b_hh[2 * H:])))
    k = _norm2(Wn) + hn_max * _norm2(Wr) / 4.0
    value = z_max + (1.0 - z_min) * k + _norm2(Wz) / 2.0
    dom = "one-hot inputs" if onehot else f"inputs with ||u||_inf <= {input_radius:g}"
    return LipschitzBound(float(value), cell, f"|h| <= 1 (invariant); {dom}", False,
                          "Df = diag(z) + diag((h - n) sig'(z)) W_hz + diag((1 - z) tanh'(n)) "
                          "(diag(r) W_hn + diag((W_hn h + b_hn) sig'(r)) W_hr), |h - n| <= 2, "
                          "sig' <= 1/4")


#: Analytic bounds by cell kind: name -> function(params, input_radius, cell[, onehot]).
BOUNDS = {
    "tanh": _bound_elman,
    "relu": _bound_elman,
    "linear": _bound_linear,
    "scornn": _bound_scornn,
    "exprnn": _bound_exprnn,
    "rac": _bound_rac,
    "mi-rnn": _bound_rac,
    "lstm": _bound_lstm,
    "gru": _bound_gru,
}


def _cell_name(cell) -> str:
    from ..cells import get_cell  # the cell registry resolves aliases, one table for both

    name = getattr(cell, "name", cell)
    if not isinstance(name, str):
        raise SpecError(f"cell must be a cell name or a tnrnn.cells.Cell; got {type(cell).__name__}")
    try:
        name = get_cell(name).name
    except SpecError:  # not a registered cell: said below, against the bounds' names
        name = name.lower()
    if name not in BOUNDS:
        raise SpecError(f"no Lipschitz bound for cell {name!r}; valid names: "
                        f"{', '.join(sorted(BOUNDS))}")
    return name


def lipschitz_bound(cell, params: dict, *, input_radius: float = 1.0,
                    onehot: bool = False) -> LipschitzBound:
    """An analytic upper bound on ``L_x = sup ||df/dx||_2`` for one cell.

    Parameters
    ----------
    cell : str or tnrnn.cells.Cell
        ``'tanh'`` (Elman), ``'relu'``, ``'linear'``, ``'scornn'``, ``'exprnn'``, ``'rac'``,
        ``'mi-rnn'``, ``'lstm'``, ``'gru'``.
    params : dict
        The cell's weights in tnrnn.cells' layout (one layer).
    input_radius : float
        Inputs range over ``||u||_inf <= input_radius`` where the bound
        depends on them (gates, RAC, MI-RNN).
    onehot : bool
        Inputs are one-hot vectors (tighter for RAC, MI-RNN and gates).

    Returns
    -------
    LipschitzBound
        The value, the set of states and inputs it covers, whether it is
        attained, and the derivation.

    Notes
    -----
    Elman ``tanh(W_hh x + W_ih u + b)``: ``Df = diag(1 - x'^2) W_hh``, so
    ``L_x = ||W_hh||_2``, attained at zero pre-activation. Sigmoid gates
    contribute ``sig' <= 1/4``. LSTM and GRU bounds hold on invariant
    boxes (``|h| <= 1``; LSTM: ``|c| <= 1/(1 - f_max)``), where the block
    norms are bounded one by one. RAC and MI-RNN bounds grow with the
    input's magnitude (and in a stack with the state's), so they hold only
    over the stated ball. None of these is the paper's constant; they are
    derived here.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import lipschitz_bound
    >>> b = lipschitz_bound("tanh", {"W_hh": np.diag([0.5, -2.0])})
    >>> b.value, b.attained
    (2.0, True)
    """
    name = _cell_name(cell)
    if not isinstance(params, dict):
        raise SpecError(f"params must be a dict of weights; got {type(params).__name__}")
    if "layers" in params:
        raise SpecError("lipschitz_bound takes one layer's weights; for a stack give "
                        "params['layers'][l] (or use jacobian_norms on the stacked map)")
    input_radius = check_float("input_radius", input_radius, minimum=0.0)
    if not isinstance(onehot, (bool, np.bool_)):
        raise SpecError(f"onehot must be True or False; got {onehot!r}")
    check_layer(name, params, required=False)
    fn = BOUNDS[name]
    if name in ("rac", "mi-rnn", "lstm", "gru"):
        return fn(params, input_radius, name, onehot=onehot)
    return fn(params, input_radius, name)


def jacobian_norms(f, states, *, u=None, inputs=None, max_work: float = 1e12) -> np.ndarray:
    """``||Df(x)||_2`` at each given state (``f(x)`` or ``f(x, u)``).

    Parameters
    ----------
    f : callable
        A JAX-traceable map.
    states : array_like
        ``(n, d)`` states (e.g. from :func:`simulate`), or one state.
    u : array_like, optional
        A constant input.
    inputs : array_like, optional
        One input per state, ``(n, ...)``: ``||D_x f(x_i, u_i)||``.
    max_work : float
        Refuse (:class:`~tnrnn.errors.TooLargeError`, before any work) runs
        estimated above this many multiply-adds, ``n (10 d^3 + d (2 d^2 + 64))``.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` spectral norms (a float for one state); their maximum is the
        empirical Lipschitz constant along the visited states, never above
        an analytic bound that covers them.

    Examples
    --------
    >>> import numpy as np
    >>> import jax.numpy as jnp
    >>> from tnrnn.dynamics import jacobian_norms
    >>> W = np.array([[0.0, 2.0], [0.5, 0.0]])
    >>> jacobian_norms(lambda x: jnp.tanh(W @ x), [[0.0, 0.0]])
    array([2.])
    """
    check_map(f)
    st = as_states(states, name="states")
    n, d = st.batch.shape
    refuse_if_over(n * (10.0 * d ** 3 + d * step_cost(d)), check_limit("max_work", max_work),
                   f"Jacobian norms at {n} states, d = {d}: multiply-adds", "max_work",
                   "raise max_work or give fewer states")
    inp = as_inputs(u, inputs, st.batch.shape[0] if inputs is not None else None)
    with x64():
        X = st.batch
        g = flat_map(f, st.scalar, inp.driven)
        if inp.kind == "seq":
            U = inp.value
            probe(g, X[0], U[0], f=f, key=(st.scalar, True))
            run = cached(f, ("jacobian_norms", st.scalar, "seq"),
                         lambda fw: _norms_program(fw, st.scalar, "seq"))
        else:
            U = None if inp.kind == "none" else inp.value
            probe(g, X[0], U, f=f, key=(st.scalar, inp.driven))
            run = cached(f, ("jacobian_norms", st.scalar, inp.kind),
                         lambda fw: _norms_program(fw, st.scalar, inp.kind))
        out = np.asarray(run(X, U))
    return float(out[0]) if st.single else out


def _norms_program(f, scalar: bool, kind: str):
    """The compiled :func:`jacobian_norms` for one map: ``run(X, U)``, vmapped
    over the states (and over ``U`` for one input per state)."""
    g = flat_map(f, scalar, kind != "none")

    def norm(x, uu):
        return jnp.linalg.norm(jax.jacfwd(lambda s: g(s, uu))(x), 2)

    return jax.jit(jax.vmap(norm, in_axes=(0, 0 if kind == "seq" else None)))


def region(L, *, tol: float = 0.02):
    """Classify Lipschitz constants: ``'contracting'`` (L < 1 - tol),
    ``'boundary'`` (``|L - 1| <= tol``) or ``'expanding'`` (L > 1 + tol).

    With ``L`` replaced by ``exp(lambda_max)`` the same labels classify
    Lyapunov exponents.

    Parameters
    ----------
    L : float or array_like
        Lipschitz constants (NaN: undefined).
    tol : float
        Half-width of the ``'boundary'`` band around 1 (>= 0).

    Returns
    -------
    str or numpy.ndarray
        A label for a number, an array of labels (same shape) for an array;
        NaN is labelled ``'undefined'``.

    Examples
    --------
    >>> from tnrnn.dynamics import region
    >>> region(0.5), region(1.01), region([2.0, 0.9])
    ('contracting', 'boundary', array(['expanding', 'contracting'], dtype='<U11'))
    """
    tol = check_float("tol", tol, minimum=0.0)
    arr = _real_array(L, "L", "Lipschitz constants")
    out = np.where(arr < 1.0 - tol, REGIONS[0], np.where(arr > 1.0 + tol, REGIONS[2], REGIONS[1]))
    out = np.where(np.isnan(arr), "undefined", out)
    return str(out) if out.ndim == 0 else out


def cell_map(cell, params: dict):
    """A tnrnn.cells cell (or a stack of them) as a map of flat states.

    Parameters
    ----------
    cell : str or tnrnn.cells.Cell
        The cell kind (a name or alias of the cell registry).
    params : dict or tnrnn.cells.Model
        One layer's weights, or a stack's ``{"layers": [...], ...}`` (the
        readout, if any, is not part of the map), or a model (whose options
        choose the recurrence; a dict's are the ones its layers record,
        :func:`tnrnn.cells.layer_options`).

    Returns
    -------
    f : callable
        ``f(x, u)`` with ``x`` the cell's state flattened (LSTM: ``[h, c]``;
        a stack: the layers' states one after the other, layer ``l`` reading
        layer ``l - 1``'s new output).
    x0 : numpy.ndarray or None
        The cell's own initial state, flat (``None`` when called on traced
        weights that hold the initial state, as a RAC's ``h0`` under
        ``jax.vmap``).

    Notes
    -----
    Weights are used in float64,    and ``f`` called on concrete arrays computes in float64 whatever the
    process-wide ``jax_enable_x64`` setting (it runs inside
    ``jax.enable_x64``); traced by the caller's own ``jax.jit``, it computes
    in the dtype of the traced state, float32 unless x64 is enabled there.

    The weights are checked first: every key the cell needs, consistent
    shapes (a stack's layer reads the previous layer's width), no NaN or
    infinity (:class:`~tnrnn.errors.SpecError` otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import cell_map
    >>> f, x0 = cell_map("tanh", {"W_ih": np.ones((1, 1)), "W_hh": np.eye(1), "b": np.zeros(1)})
    >>> y = f(x0, np.ones(1))
    >>> y.dtype, round(float(y[0]), 6), round(float(np.tanh(1.0)), 6)
    (dtype('float64'), 0.761594, 0.761594)
    >>> cell_map("lstm", {"W_ih": np.ones((1, 1)), "W_hh": np.eye(1), "b": np.zeros(1)})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: params: 'W_hh' has shape (1, 1); a lstm layer needs (4H, H) with H = 1, i.e. (4, 1)
    """
    from jax.flatten_util import ravel_pytree

    from ..cells import Model, get_cell, layer_options

    kind = getattr(cell, "name", cell)
    if not isinstance(kind, str):
        raise SpecError(f"cell must be a cell name or a tnrnn.cells.Cell; got {type(cell).__name__}")
    c = get_cell(kind)
    check_cell_params(c.name, params)
    if isinstance(params, Model):  # its options say which recurrence runs
        layers, options = list(params.layers), params.cell_options
    else:  # a dict: the options its layers record (a paper-variant scoRNN holds s0)
        layers = params["layers"] if "layers" in params else [params]
        options = layer_options(c.name, layers[0])

    def f64(tree):
        def conv(a):
            if isinstance(a, jax.core.Tracer):  # inside vmap/jit over parameters
                return a
            a = np.asarray(a)
            return a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
        return jax.tree_util.tree_map(conv, tree)

    layers = [f64(p) for p in layers]
    with x64(), jax.ensure_compile_time_eval():
        states = [c.initial_state(p, None) for p in layers]
        flat0, unravel = ravel_pytree(states)
        try:
            x0 = np.asarray(flat0, dtype=np.float64)
        except jax.errors.TracerArrayConversionError:  # initial state from traced weights
            x0 = None

    def step(x, u):
        sts = unravel(x)
        below = jnp.atleast_1d(u)
        new = []
        for p, s in zip(layers, sts):
            s = c.step(p, s, below, options)
            new.append(s)
            below = c.output(s)
        return ravel_pytree(new)[0]

    def f(x, u):
        traced = any(isinstance(a, jax.core.Tracer) for a in jax.tree_util.tree_leaves((x, u)))
        if traced:  # inside the caller's trace: its dtype
            return step(x, u)
        with x64():
            return step(jnp.asarray(x, jnp.float64), jnp.asarray(u, jnp.float64))

    return f, x0
