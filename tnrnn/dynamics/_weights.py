"""Checking a cell's weights before an analysis uses them.

A weight dict read from a file or built by hand may lack a key, hold
another cell's arrays, arrays of the wrong shapes, or NaN and infinity.
Every one of these is refused here with a message naming the key, the
shape found and the shape the cell needs, instead of surfacing later as a
JAX shape error, a ``KeyError`` or a NaN exponent.

Layouts are tnrnn.cells' (``H`` hidden width, ``I`` input width; in a stack
layer ``l`` reads layer ``l - 1``'s output, so its ``I`` is that layer's
``H``).
"""

from __future__ import annotations

import numpy as np

from ._core import check_finite_tree
from ..errors import SpecError

__all__ = ["LAYOUTS", "check_cell_params", "check_layer"]

#: Per cell kind: key -> (shape as multiples of H and I, required). ``("4H", "I")``
#: is ``(4 H, I)``; ``()`` a scalar.
LAYOUTS: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "rac": {"W_H": (("H", "H"), True), "W_I": (("H", "I"), True), "h0": (("H",), True)},
    "mi-rnn": {"W_H": (("H", "H"), True), "W_I": (("H", "I"), True), "h0": (("H",), True),
               "b": (("H",), False)},
    "tanh": {"W_ih": (("H", "I"), True), "W_hh": (("H", "H"), True), "b": (("H",), True)},
    "relu": {"W_ih": (("H", "I"), True), "W_hh": (("H", "H"), True), "b": (("H",), True)},
    "lstm": {"W_ih": (("4H", "I"), True), "W_hh": (("4H", "H"), True), "b": (("4H",), True)},
    "gru": {"W_ih": (("3H", "I"), True), "W_hh": (("3H", "H"), True), "b_ih": (("3H",), True),
            "b_hh": (("3H",), True)},
    "scornn": {"U": (("H", "I"), True), "W": (("H", "H"), True), "b": (("H",), True),
               "A": (("H", "H"), False), "D": (("H",), False), "s0": ((), False)},
    "linear": {"A": (("H", "H"), True), "B": (("H", "I"), True)},
    "exprnn": {"U": (("H", "I"), True), "W": (("H", "H"), True), "b": (("H",), True),
               "A": (("H", "H"), False)},
}

#: The key whose shape fixes H (its last axis for the square recurrent matrix).
_H_KEY = {"rac": "W_H", "mi-rnn": "W_H", "tanh": "W_hh", "relu": "W_hh", "lstm": "W_hh",
          "gru": "W_hh", "scornn": "W", "linear": "A", "exprnn": "W"}


def _dims(spec, H, I):
    out = []
    for s in spec:
        mult = int(s[:-1]) if len(s) > 1 else 1
        out.append(mult * (H if s[-1] == "H" else I))
    return tuple(out)


def check_layer(kind: str, layer, *, where: str = "params", input_dim: int | None = None,
                required: bool = True) -> tuple[int, int]:
    """Check one layer's weights against the layout of ``kind``; return ``(H, I)``.

    With ``required=False`` only the keys present are checked (bounds that
    read a few arrays). ``input_dim``, when given, is the ``I`` the layer
    must have (a stack's layer reads the previous layer's output).

    Examples
    --------
    >>> import numpy as np
    >>> check_layer("tanh", {"W_ih": np.ones((3, 2)), "W_hh": np.eye(3), "b": np.zeros(3)})
    (3, 2)
    >>> check_layer("lstm", {"W_ih": np.ones((3, 2)), "W_hh": np.eye(3), "b": np.zeros(3)})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: params: 'W_hh' has shape (3, 3); a lstm layer needs (4H, H) with H = 3, i.e. (12, 3)
    """
    if kind not in LAYOUTS:
        raise SpecError(f"no weight layout for cell {kind!r}; valid kinds: "
                        f"{', '.join(sorted(LAYOUTS))}")
    if not isinstance(layer, dict):
        raise SpecError(f"{where} must be a dict of weight arrays; got {type(layer).__name__}")
    layout = LAYOUTS[kind]
    if required:
        missing = [k for k, (_, req) in layout.items() if req and k not in layer]
        if missing:
            raise SpecError(f"{where}: a {kind} layer needs the keys "
                            f"{', '.join(k for k, (_, r) in layout.items() if r)}; "
                            f"missing {', '.join(missing)} (got keys {sorted(layer)}): "
                            "weights of another cell kind?")
    check_finite_tree(where, {k: v for k, v in layer.items() if k in layout})
    hk = _H_KEY[kind]
    if hk not in layer:
        return (0, 0)
    Wh = np.shape(layer[hk])
    if len(Wh) != 2 or Wh[1] < 1:
        raise SpecError(f"{where}: {hk!r} must be a matrix; got shape {Wh}")
    H = Wh[1]
    in_key = next((k for k, (spec, _) in layout.items() if len(spec) == 2 and spec[1] == "I"),
                  None)
    I = None
    if in_key is not None and in_key in layer:
        shp = np.shape(layer[in_key])
        if len(shp) != 2:
            raise SpecError(f"{where}: {in_key!r} must be a matrix; got shape {shp}")
        I = shp[1]
    if input_dim is not None and I is not None and I != input_dim:
        raise SpecError(f"{where}: {in_key!r} reads inputs of width {I}, but this layer's input "
                        f"is {input_dim} wide (the previous layer's hidden width)")
    for key in sorted(layout, key=lambda k: k != hk):  # the recurrent matrix first
        spec = layout[key][0]
        if key not in layer:
            continue
        want = _dims(spec, H, I if I is not None else 0)
        got = np.shape(layer[key])
        ok = len(got) == len(want) and all(
            g == w or (s[-1] == "I" and I is None) for g, w, s in zip(got, want, spec))
        if not ok:
            form = "(" + ", ".join(spec) + ("," if len(spec) == 1 else "") + ")"
            raise SpecError(f"{where}: {key!r} has shape {got}; a {kind} layer needs {form} "
                            f"with H = {H}, i.e. {want}")
    return H, (I if I is not None else 0)


def check_cell_params(kind: str, params) -> None:
    """Check a cell's weights (one layer, a stack ``{"layers": [...]}`` or a
    :class:`tnrnn.cells.Model`, whose kind must be ``kind``): every required
    key present, shapes consistent, no NaN or infinity."""
    model_kind = getattr(params, "kind", None)
    if isinstance(model_kind, str) and hasattr(params, "to_dict"):
        if model_kind != kind:
            raise SpecError(f"params is a {model_kind!r} model; the cell is {kind!r}")
        params = params.to_dict()
    if not isinstance(params, dict):
        raise SpecError(f"params must be a dict of weights; got {type(params).__name__}")
    if "layers" in params:
        layers = params["layers"]
        if not isinstance(layers, (list, tuple)) or not layers:
            raise SpecError("params['layers'] must be a non-empty list of layer dicts")
        prev = None
        for i, layer in enumerate(layers):
            H, _ = check_layer(kind, layer, where=f"params['layers'][{i}]", input_dim=prev)
            prev = H
    else:
        check_layer(kind, params)
