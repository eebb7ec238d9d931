"""Ready-made maps: the paper's chaotic 2-unit LSTM, the scalar tanh map, the
logistic map, and the Miller-Hardt LSTM projection.

LSTM parameters follow tnrnn.cells' layout (PyTorch's, gate order i, f, g, o):
``W_hh`` (4H, H), ``W_ih`` (4H, I), optional ``b`` (4H,). A flat LSTM state
is ``concatenate([h, c])`` (length 2H). :func:`lstm_map` and :func:`elman_map`
run tnrnn.cells' own step functions (``get_cell(kind).project`` and
``.recur``) on the flat state: one LSTM and one Elman cell in tnrnn.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp
import numpy as np

from ._core import check_finite_tree, check_float
from ..errors import SpecError

__all__ = ["Preset", "PRESETS", "get_preset", "chaotic_lstm", "tanh_map", "logistic_map",
           "lstm_map", "elman_map", "stabilize_lstm", "MILLER_HARDT"]


class Preset(NamedTuple):
    """A map with its parameters and initial state.

    Parameters
    ----------
    name : str
        The preset's name (a key of :data:`PRESETS`).
    f : callable
        The map: ``f(x)`` when ``driven`` is False, else ``f(x, u)``.
    x0 : numpy.ndarray
        A flat initial state (shape ``()`` for a scalar map).
    params : dict or None
        The weights or coefficients the map was built from.
    driven : bool
        Whether ``f`` takes an input.
    description : str
        One line saying what the map is.

    Examples
    --------
    >>> from tnrnn.dynamics import logistic_map
    >>> p = logistic_map(2.0)
    >>> p.name, p.driven, p.params, float(p.f(0.5))
    ('logistic', False, {'r': 2.0}, 0.5)
    """

    name: str
    f: Callable
    x0: np.ndarray
    params: dict | None
    driven: bool
    description: str


def _check_map_params(params, kind: str) -> None:
    """``W_hh`` present; the arrays given fit the layout of ``kind``; finite."""
    from ._weights import check_layer

    if not isinstance(params, dict) or "W_hh" not in params:
        raise SpecError(f"the {'LSTM' if kind == 'lstm' else 'Elman'} map needs a dict of "
                        "weights with 'W_hh'; got "
                        + (f"keys {sorted(params)}" if isinstance(params, dict)
                           else type(params).__name__))
    check_layer(kind, params, required=False)


def lstm_map(params: dict) -> Callable:
    """The LSTM as a map of the flat state ``[h, c]``: ``f(x, u)``.

    ``i, f, g, o = split(W_ih u + W_hh h + b)``, ``c' = sig(f) c + sig(i)
    tanh(g)``, ``h' = sig(o) tanh(c')``. ``u`` of shape ``(I,)``. The step
    is tnrnn.cells' ``"lstm"`` cell's (a missing ``W_ih`` or ``b`` is zero).

    Parameters
    ----------
    params : dict
        ``W_hh`` (4H, H), optionally ``W_ih`` (4H, I) and ``b`` (4H,), gate
        order i, f, g, o (tnrnn.cells' and PyTorch's layout).

    Returns
    -------
    callable
        ``f(x, u)`` with ``x`` of shape ``(2H,)``, JAX-traceable.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import lstm_map
    >>> p = {"W_hh": np.zeros((4, 1)), "W_ih": np.zeros((4, 1))}
    >>> # all gates 1/2: c' = c/2 + tanh(0)/2, h' = tanh(c')/2
    >>> [round(float(v), 6) for v in lstm_map(p)(np.array([0.0, 1.0]), np.zeros(1))]
    [0.231059, 0.5]
    """
    _check_map_params(params, "lstm")
    return _cell_map("lstm", params, lambda x, H: (x[:H], x[H:]),
                     lambda st: jnp.concatenate(st))


def _cell_map(kind: str, params: dict, split, join) -> Callable:
    """``f(x, u)`` running tnrnn.cells' step of ``kind`` on the flat state ``x``.

    The cell's projection ``W_ih u + b`` and recurrence are those of
    :func:`tnrnn.cells.get_cell`; a missing ``W_ih`` (no input) or ``b`` is
    zero (the input is then not read). ``split(x, H)`` makes the cell's state
    of the flat one, ``join(state)`` the flat state of the cell's. Arrays are
    converted when ``f`` runs, so the caller's float64 context holds.
    """
    from ..cells import get_cell

    cell = get_cell(kind)
    W_hh, W_ih, b = params["W_hh"], params.get("W_ih"), params.get("b")
    H = W_hh.shape[1]

    def f(x, u):
        bias = jnp.zeros(W_hh.shape[0]) if b is None else jnp.asarray(b)
        if W_ih is None:
            z = bias
        else:
            z = cell.project({"W_ih": jnp.asarray(W_ih), "b": bias}, jnp.atleast_1d(u))
        return join(cell.recur({"W_hh": jnp.asarray(W_hh)}, split(x, H), z))

    return f


def elman_map(params: dict, *, nonlinearity: str = "tanh") -> Callable:
    """Elman cell ``x' = tanh(W_hh x + W_ih u + b)`` as a map ``f(x, u)``.

    The step is tnrnn.cells' ``"tanh"`` (or ``"relu"``) cell's; a missing
    ``W_ih`` or ``b`` is zero.

    Parameters
    ----------
    params : dict
        ``W_hh`` (H, H), optionally ``W_ih`` (H, I) and ``b`` (H,).
    nonlinearity : str
        ``'tanh'`` or ``'relu'``.

    Returns
    -------
    callable
        ``f(x, u)`` with ``x`` of shape ``(H,)``, JAX-traceable.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import elman_map
    >>> f = elman_map({"W_hh": np.eye(2), "W_ih": np.ones((2, 1)), "b": np.zeros(2)})
    >>> [round(float(v), 6) for v in f(np.zeros(2), np.array([0.5]))]
    [0.462117, 0.462117]
    """
    if nonlinearity not in ("tanh", "relu"):
        raise SpecError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    _check_map_params(params, "tanh")
    return _cell_map(nonlinearity, params, lambda x, H: x, lambda h: h)


def chaotic_lstm() -> Preset:
    """The chaotic 2-unit LSTM of Ribeiro et al. (2020), exactly as in their code.

    No bias, zero input (``W_ih = 0``), ``h0 = c0 = 0.5``; recurrent rows in
    gate order i, f, g, o: ``W_hi = [[-1,-4],[-3,-2]]``, ``W_hf = [[-2,6],[0,-6]]``,
    ``W_hg = [[-1,-6],[6,-9]]``, ``W_ho = [[4,1],[-9,-7]]``. The map ``f(x)``
    acts on the flat state ``[h1, h2, c1, c2]``.

    Returns
    -------
    Preset
        ``'chaotic-lstm'``: ``f(x)`` (input held at zero), ``x0``, the weights.

    Examples
    --------
    >>> from tnrnn.dynamics import chaotic_lstm
    >>> p = chaotic_lstm()
    >>> p.x0, p.params["W_hh"].shape
    (array([0.5, 0.5, 0.5, 0.5]), (8, 2))
    """
    W_hh = np.array([[-1.0, -4.0], [-3.0, -2.0],    # W_hi
                     [-2.0, 6.0], [0.0, -6.0],      # W_hf
                     [-1.0, -6.0], [6.0, -9.0],     # W_hg
                     [4.0, 1.0], [-9.0, -7.0]])     # W_ho
    params = {"W_hh": W_hh, "W_ih": np.zeros((8, 1))}
    g = lstm_map(params)
    zero = np.zeros(1)
    return Preset("chaotic-lstm", lambda x: g(x, zero), np.full(4, 0.5), params, False,
                  "the chaotic 2-unit LSTM of Ribeiro et al. (AISTATS 2020), zero input, "
                  "state [h1, h2, c1, c2], h0 = c0 = 0.5")


def tanh_map(w: float = 0.5, b: float = 0.0) -> Preset:
    """The scalar map ``x -> tanh(w x + b)``.

    For ``b = 0``: one fixed point 0 for ``|w| < 1`` (exponent ``ln|w|``), a
    pitchfork at ``w = 1`` (fixed points ``+-x*`` with ``x* = tanh(w x*)``),
    a flip at ``w = -1`` (a period-2 orbit ``+-x*`` for ``w < -1``).

    Parameters
    ----------
    w : float
        The gain.
    b : float
        The bias.

    Returns
    -------
    Preset
        ``'tanh'``: the scalar map, ``x0 = 0.5``.

    Examples
    --------
    >>> from tnrnn.dynamics import tanh_map
    >>> float(tanh_map(2.0).f(0.0))
    0.0
    """
    w, b = check_float("w", w), check_float("b", b)
    return Preset("tanh", lambda x: jnp.tanh(w * x + b), np.array(0.5), {"w": w, "b": b}, False,
                  f"scalar map x -> tanh({w:g} x + {b:g})")


def logistic_map(r: float = 4.0) -> Preset:
    """The logistic map ``x -> r x (1 - x)`` (exponent ``ln 2`` at ``r = 4``).

    Parameters
    ----------
    r : float
        The growth rate (chaotic for most ``r`` in ``(3.57, 4]``).

    Returns
    -------
    Preset
        ``'logistic'``: the scalar map, ``x0 = 0.3``.

    Examples
    --------
    >>> from tnrnn.dynamics import logistic_map
    >>> float(logistic_map(4.0).f(0.5))
    1.0
    """
    r = check_float("r", r)
    return Preset("logistic", lambda x: r * x * (1.0 - x), np.array(0.3), {"r": r}, False,
                  f"logistic map x -> {r:g} x (1 - x)")


#: Registry of presets: name -> function(**options) -> Preset.
PRESETS: dict[str, Callable[..., Preset]] = {
    "chaotic-lstm": chaotic_lstm,
    "tanh": tanh_map,
    "logistic": logistic_map,
}


def get_preset(name: str, **options) -> Preset:
    """A preset by name (``'chaotic-lstm'``, ``'tanh'``, ``'logistic'``).

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    **options
        Passed to the preset's function (``w``, ``b`` for ``'tanh'``; ``r``
        for ``'logistic'``).

    Returns
    -------
    Preset

    Raises
    ------
    SpecError
        An unknown name or options the preset does not take.

    Examples
    --------
    >>> from tnrnn.dynamics import get_preset
    >>> float(get_preset("logistic", r=2.0).f(0.5))
    0.5
    >>> get_preset("henon")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown preset 'henon'; valid names: chaotic-lstm, logistic, tanh
    """
    if name not in PRESETS:
        raise SpecError(f"unknown preset {name!r}; valid names: {', '.join(sorted(PRESETS))}")
    try:
        return PRESETS[name](**options)
    except TypeError as exc:
        raise SpecError(f"preset {name!r}: bad options {sorted(options)}: {exc}") from None


#: The Miller-Hardt column l1 norms of the paper's code: recurrent i, f, g, o
#: blocks, and the forget gate's input block.
MILLER_HARDT = {"i": 0.395, "f": 0.155, "g": 0.099, "o": 0.395, "input_f": 0.25}


def _rescale_columns(block: np.ndarray, target: float) -> np.ndarray:
    s = np.abs(block).sum(axis=0)
    scale = np.divide(target, s, out=np.zeros_like(s), where=s > 0)
    return block * scale[None, :]


def stabilize_lstm(params: dict) -> dict:
    """The Miller-Hardt projection used in the code of Ribeiro et al. (2020).

    Every column of the recurrent blocks ``W_hi, W_hf, W_hg, W_ho`` is
    rescaled to l1 norm 0.395, 0.155, 0.099, 0.395, and every column of the
    forget gate's input block ``W_if`` to 0.25; other entries are kept.

    Parameters
    ----------
    params : dict
        LSTM weights with ``W_hh`` (4H, H) and optionally ``W_ih`` (4H, I).

    Returns
    -------
    dict
        A new dict (float64 arrays for the rescaled weights); the input is
        not changed.

    Notes
    -----
    As in the paper's code (``rnn_wrap.stabilize_lstm``), every column is
    rescaled (up or down) to exactly these norms, not only the ones above
    them; the sufficient stability conditions come from Miller and Hardt,
    "Stable recurrent models" (ICLR 2019), as stated there. One difference:
    an all-zero column stays zero here, where the original divides by zero
    (NaN). The map is idempotent.

    Examples
    --------
    >>> import numpy as np
    >>> from tnrnn.dynamics import stabilize_lstm
    >>> p = stabilize_lstm({"W_hh": np.arange(1.0, 5.0).reshape(4, 1)})
    >>> p["W_hh"].ravel().round(12).tolist()
    [0.395, 0.155, 0.099, 0.395]
    """
    if not isinstance(params, dict) or "W_hh" not in params:
        raise SpecError("stabilize_lstm needs a dict of LSTM weights with 'W_hh' (4H, H); got "
                        f"{type(params).__name__}"
                        + (f" with keys {sorted(params)}" if isinstance(params, dict) else ""))
    check_finite_tree("params", {k: params[k] for k in ("W_hh", "W_ih") if k in params})
    W_hh = np.asarray(params["W_hh"], dtype=np.float64)
    if W_hh.ndim != 2 or W_hh.shape[0] != 4 * W_hh.shape[1]:
        raise SpecError(f"W_hh must have shape (4H, H); got {W_hh.shape}")
    H = W_hh.shape[1]
    out = dict(params)
    blocks = [W_hh[j * H:(j + 1) * H] for j in range(4)]
    out["W_hh"] = np.concatenate([_rescale_columns(blk, MILLER_HARDT[key])
                                  for blk, key in zip(blocks, "ifgo")])
    if "W_ih" in params:
        W_ih = np.array(params["W_ih"], dtype=np.float64)
        if W_ih.ndim != 2 or W_ih.shape[0] != 4 * H:
            raise SpecError(f"W_ih must have shape (4H, I) = ({4 * H}, I); got {W_ih.shape}")
        W_ih[H:2 * H] = _rescale_columns(W_ih[H:2 * H], MILLER_HARDT["input_f"])
        out["W_ih"] = W_ih
    return out
