"""A stack of recurrent cells as one object: :class:`Model`.

A :class:`Model` is a JAX pytree (a frozen dataclass registered with
``jax.tree_util.register_dataclass``) whose leaves are the weights
(``layers``, a tuple of per-layer dicts, and ``readout``) and whose static
part is the cell kind and its options. Training, counting, masking,
checkpoints and the RAC bridge read the kind from it: nothing guesses a
kind from key names. Which leaves are frozen comes from the cell's
:attr:`Cell.frozen <tnrnn.cells.Cell>` alone.

For code written for the plain stack dicts (``{"layers": [...], "readout":
{...}}``), a model still reads like one for one release (``model["layers"]``,
``"layers" in model``, ``{**model}``, read-only), with a
:class:`DeprecationWarning`: use ``model.layers``, ``model.readout`` or
``model.to_dict()``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping

import numpy as np

from ..errors import SpecError
from ._cells import ALIASES, CELLS

try:
    import jax
except ImportError as exc:  # pragma: no cover - exercised only without jax
    from ..errors import MissingDependencyError

    raise MissingDependencyError(
        "tnrnn.cells needs jax; install it with pip install 'tnrnn[train]'") from exc

__all__ = ["Model", "as_model", "rac_params", "layer_options"]

#: The key of each kind's input matrix (its second axis is the input width).
_INPUT_KEY = {"rac": "W_I", "mi-rnn": "W_I", "tanh": "W_ih", "relu": "W_ih", "lstm": "W_ih",
              "gru": "W_ih", "scornn": "U", "exprnn": "U", "linear": "B"}


#: Parameter-count conventions: ``"free"`` counts the scalars training moves
#: (scoRNN's skew ``A`` as ``H (H - 1) / 2``); ``"paper"`` counts as the depth
#: paper's code does (its TensorFlow trainable variables: scoRNN's ``W`` as
#: ``H x H``, ``A`` not at all). The two differ only for scoRNN.
COUNTS = ("free", "paper")


def check_count(convention: str) -> str:
    if convention not in COUNTS:
        raise SpecError(f"count convention must be one of {', '.join(COUNTS)}; "
                        f"got {convention!r}")
    return convention


def layer_count(kind: str, layer: dict, convention: str = "free") -> int:
    """Trained scalars of one layer of ``kind``: the cell's frozen keys
    (:attr:`Cell.frozen`) excluded; a skew ``A`` (scoRNN, expRNN) counts its
    ``H (H - 1) / 2`` free entries; ``convention="paper"`` counts scoRNN's
    ``W`` as ``H x H`` and ``A`` not at all."""
    frozen = CELLS[kind].frozen
    paper = convention == "paper" and kind == "scornn"
    n = 0
    for key, value in layer.items():
        if key == "A" and kind in ("scornn", "exprnn"):
            if not paper:
                H = int(np.shape(value)[0])
                n += H * (H - 1) // 2
        elif key not in frozen or (paper and key == "W"):
            n += int(np.size(value))
    return n


def _canonical(kind) -> str:
    if not isinstance(kind, str):
        raise SpecError(f"cell kind must be a string; got {kind!r}")
    key = ALIASES.get(kind.lower(), kind.lower())
    if key not in CELLS:
        raise SpecError(f"unknown cell kind {kind!r}; valid kinds: {', '.join(sorted(CELLS))} "
                        f"(aliases: {', '.join(sorted(ALIASES))})")
    return key


def layer_options(kind: str, layer) -> dict:
    """The static cell options a stored layer dict records by its keys.

    The one place where a dict's keys say anything about its options: a
    weights file, or a stack dict, holds the weights only, and a scoRNN
    layer of variant ``"paper"`` is the one that carries its state bound
    ``s0`` (its initial state is drawn on every forward pass). Everything
    downstream reads the options (:attr:`Model.options`), not the keys.

    Parameters
    ----------
    kind : str
        The cell kind (a registry name or an alias).
    layer : dict
        One layer's weights.

    Returns
    -------
    dict
        ``{"variant": "paper"}`` for a scoRNN layer holding ``s0``; ``{}``
        otherwise.

    Examples
    --------
    >>> from tnrnn.cells import init_cell
    >>> layer_options("scornn", init_cell("scornn", input_dim=2, hidden=4, variant="paper"))
    {'variant': 'paper'}
    >>> layer_options("scornn", init_cell("scornn", input_dim=2, hidden=4))
    {}
    """
    kind = _canonical(kind)
    if kind == "scornn" and isinstance(layer, dict) and "s0" in layer:
        return {"variant": "paper"}
    return {}


def _check_variant(kind: str, layers, opts: dict) -> None:
    """A scoRNN's options and its layers agree: variant ``"paper"`` layers hold
    ``s0``, the others do not (a stored dict records the variant that way)."""
    if kind != "scornn":
        return
    paper = opts.get("variant") == "paper"
    for i, l in enumerate(layers):
        if ("s0" in l) != paper:
            raise SpecError(
                f"scoRNN layer {i} {'lacks' if paper else 'holds'} the state bound 's0' but the "
                f"options say variant {opts.get('variant', 'tnrnn')!r}: a layer of variant "
                "'paper' (and only such a layer) carries 's0'")


@dataclasses.dataclass(frozen=True, eq=False)
class Model(Mapping):
    """A depth-``L`` stack of one cell kind with a linear readout.

    Parameters
    ----------
    kind : str
        The registry name of the cells (static: part of the pytree's structure).
    layers : tuple of dict
        Per layer, the cell's weights (:mod:`tnrnn.cells` layouts).
    readout : dict
        ``W_O`` ``(K, H)`` and, except for a RAC, ``b_O`` ``(K,)``.
    options : tuple of (str, value) pairs
        The cell options the layers were drawn with (static), e.g.
        ``(("variant", "paper"),)`` for the paper's scoRNN: the forward pass
        runs the recurrence they name (:meth:`Cell.recurrence
        <tnrnn.cells.Cell>`).

    Notes
    -----
    Reading a model by key as if it were the stack dict (``model["layers"]``,
    ``"readout" in model``, ``{**model}``) is deprecated: it works for one
    release, with a :class:`DeprecationWarning`; use the attributes or
    :meth:`to_dict`.

    Examples
    --------
    >>> import jax
    >>> from tnrnn.cells import stack
    >>> m, apply = stack("scornn", depth=2, hidden=4, input_dim=3, outputs=2)
    >>> m
    Model(kind='scornn', depth=2, hidden=4, input_dim=3, outputs=2)
    >>> m.frozen
    (('D', 'W'), ('D', 'W'))
    >>> len(jax.tree.leaves(m)) == 2 * 5 + 2
    True
    >>> jax.tree.map(lambda a: a * 0, m).kind
    'scornn'
    """

    kind: str
    layers: tuple
    readout: dict
    options: tuple = ()

    # ------------------------------------------------------------ construction

    @classmethod
    def from_dict(cls, params, *, kind: str, options: dict | None = None) -> "Model":
        """A model from a stack dict ``{"layers": [...], "readout": {...}}``.

        Parameters
        ----------
        params : dict
            The weights, as :func:`tnrnn.cells.stack` used to return them (or
            as :func:`tnrnn.train.load_weights` reads them).
        kind : str
            Their cell kind (a registry name or an alias).
        options : dict, optional
            The cell options. Left out, they are the ones the layers record
            (:func:`layer_options`: a scoRNN whose layers hold the state bound
            ``s0`` is the paper's variant, as its weight files record it);
            options that contradict the layers are refused.

        Returns
        -------
        Model

        Examples
        --------
        >>> import numpy as np
        >>> d = {"layers": [{"A": np.eye(2), "B": np.ones((2, 1))}],
        ...      "readout": {"W_O": np.ones((1, 2)), "b_O": np.zeros(1)}}
        >>> Model.from_dict(d, kind="linear").count()
        9
        >>> Model.from_dict({"layers": []}, kind="linear")
        Traceback (most recent call last):
        ...
        tnrnn.errors.SpecError: params must be a stack's weights {'layers': [dict, ...], 'readout': {'W_O': ..., ...}}; got a dict with keys ['layers'] (layers: 0)
        """
        kind = _canonical(kind)
        if isinstance(params, Model):
            if params.kind != kind:
                raise SpecError(f"params is a {params.kind!r} model; kind={kind!r} was given")
            return params
        layers = params.get("layers") if isinstance(params, dict) else None
        readout = params.get("readout") if isinstance(params, dict) else None
        if not isinstance(layers, (list, tuple)) or not layers or \
                not all(isinstance(l, dict) for l in layers) or \
                not isinstance(readout, dict) or "W_O" not in readout:
            got = (f"a dict with keys {sorted(params)} (layers: "
                   f"{len(layers) if isinstance(layers, (list, tuple)) else 'none'})"
                   if isinstance(params, dict) else type(params).__name__)
            raise SpecError("params must be a stack's weights {'layers': [dict, ...], "
                            f"'readout': {{'W_O': ..., ...}}}}; got {got}")
        opts = {**layer_options(kind, layers[0]), **dict(options or {})}
        _check_variant(kind, layers, opts)
        return cls(kind=kind, layers=tuple(dict(l) for l in layers), readout=dict(readout),
                   options=tuple(sorted(opts.items())))

    def to_dict(self) -> dict:
        """The plain stack dict ``{"layers": [dict, ...], "readout": dict}`` (same arrays).

        Returns
        -------
        dict

        Examples
        --------
        >>> from tnrnn.cells import stack
        >>> m, _ = stack("gru", depth=2, hidden=3, input_dim=2, outputs=1)
        >>> d = m.to_dict()
        >>> type(d["layers"]).__name__, sorted(d["readout"])
        ('list', ['W_O', 'b_O'])
        """
        return {"layers": [dict(l) for l in self.layers], "readout": dict(self.readout)}

    def replace(self, **changes) -> "Model":
        """A copy with some fields replaced (``layers``, ``readout``, ...).

        Parameters
        ----------
        **changes
            New values of dataclass fields.

        Returns
        -------
        Model

        Examples
        --------
        >>> from tnrnn.cells import stack
        >>> m, _ = stack("tanh", depth=1, hidden=2, input_dim=1, outputs=1)
        >>> m.count(), m.replace(readout={"W_O": m.readout["W_O"]}).count()
        (11, 10)
        """
        if "layers" in changes:
            changes["layers"] = tuple(changes["layers"])
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------ what it is

    @property
    def cell(self):
        """The :class:`~tnrnn.cells.Cell` of this kind."""
        return CELLS[self.kind]

    @property
    def depth(self) -> int:
        """Number of layers."""
        return len(self.layers)

    @property
    def hidden(self) -> int:
        """Width of the top layer (the readout's input)."""
        return int(np.shape(self.readout["W_O"])[1])

    @property
    def outputs(self) -> int:
        """Width of the readout."""
        return int(np.shape(self.readout["W_O"])[0])

    @property
    def input_dim(self) -> int:
        """Width of the inputs of the first layer."""
        return int(np.shape(self.layers[0][_INPUT_KEY[self.kind]])[1])

    @property
    def cell_options(self) -> dict:
        """The cell options as a dict."""
        return dict(self.options)

    @property
    def needs_key(self) -> bool:
        """Whether the forward pass draws a random initial state (the paper's scoRNN)."""
        return self.kind == "scornn" and self.cell_options.get("variant") == "paper"

    @property
    def needs_outside_update(self) -> bool:
        """Whether training updates ``A`` outside ``jit`` (scoRNN, expRNN)."""
        return self.kind in ("scornn", "exprnn")

    @property
    def frozen(self) -> tuple:
        """Per layer, the keys training does not move by gradient (from
        :attr:`Cell.frozen <tnrnn.cells.Cell>`, the one source)."""
        fz = self.cell.frozen
        return tuple(tuple(k for k in sorted(l) if k in fz) for l in self.layers)

    def mask(self, *, through: tuple = ()) -> "Model":
        """A model of booleans: False on frozen leaves (``through``: frozen keys
        let through anyway, e.g. scoRNN's ``W``, whose gradient becomes ``A``'s).

        Parameters
        ----------
        through : tuple of str
            Frozen keys to mark True.

        Returns
        -------
        Model

        Examples
        --------
        >>> from tnrnn.cells import stack
        >>> m, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=1)
        >>> m.mask().layers[0]
        {'W_H': True, 'W_I': True, 'h0': False}
        """
        fz = set(self.cell.frozen) - set(through)
        return self.replace(layers=tuple({k: k not in fz for k in l} for l in self.layers),
                            readout={k: True for k in self.readout})

    def count(self, convention: str = "free") -> int:
        """Exact number of trained scalars (:func:`tnrnn.cells.count_params`).

        Parameters
        ----------
        convention : {"free", "paper"}
            ``"paper"`` counts scoRNN's ``W`` as ``H x H`` (the depth paper's code).

        Returns
        -------
        int

        Examples
        --------
        >>> from tnrnn.cells import stack
        >>> m, _ = stack("scornn", depth=1, hidden=4, input_dim=3, outputs=2)
        >>> m.count(), m.count("paper")
        (32, 42)
        """
        check_count(convention)
        return (sum(layer_count(self.kind, l, convention) for l in self.layers)
                + sum(int(np.size(v)) for v in self.readout.values()))

    @property
    def recurrence(self):
        """The recurrence of this model's cells under its options
        (:meth:`Cell.recurrence <tnrnn.cells.Cell>`)."""
        return self.cell.recurrence(self.options)

    # ------------------------------------------------ read-only mapping (deprecated)
    # Not the shared tnrnn._results.Record mixin, on purpose: a Model reads as the
    # old *stack dict* {"layers", "readout"} (not as a dict of its fields: kind and
    # options are not keys), its to_dict() gives layers as a list, it must stay a
    # collections.abc.Mapping ({**model} and isinstance checks of the old dicts), and
    # equality is identity (its leaves are arrays, and jax compares pytree nodes);
    # Record's field-based keys, copying to_dict() and value equality would each
    # change that. Tracing is unaffected either way (register_dataclass reads the
    # fields only), so only the semantics decide.

    def __getitem__(self, key):
        if key not in ("layers", "readout"):
            raise KeyError(key)
        warnings.warn(f"model[{key!r}] is deprecated: a Model is not a dict; use "
                      f"model.{key} (or model.to_dict() for the plain stack dict)",
                      DeprecationWarning, stacklevel=2)
        return self.layers if key == "layers" else self.readout

    def __iter__(self):
        return iter(("layers", "readout"))

    def __len__(self):
        return 2

    # identity, not Mapping's value comparison (arrays have no single truth value)
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self):
        try:
            dims = (f", depth={self.depth}, hidden={self.hidden}, input_dim={self.input_dim}, "
                    f"outputs={self.outputs}")
        except (KeyError, IndexError, TypeError, ValueError):  # leaves that are not arrays
            dims = ""
        opts = f", options={self.cell_options}" if self.options else ""
        return f"Model(kind={self.kind!r}{dims}{opts})"


jax.tree_util.register_dataclass(Model, data_fields=["layers", "readout"],
                                 meta_fields=["kind", "options"])


def as_model(params, kind: str | None = None) -> Model:
    """``params`` as a :class:`Model`: a model is returned as it is (its kind
    must equal ``kind`` if given); a stack dict needs ``kind``.

    Parameters
    ----------
    params : Model or dict
    kind : str, optional

    Returns
    -------
    Model

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> m, _ = stack("lstm", depth=1, hidden=2, input_dim=1, outputs=1)
    >>> as_model(m.to_dict(), "lstm").kind
    'lstm'
    >>> as_model(m.to_dict())
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: params is a plain dict of weights, which does not say its cell kind; pass kind= (one of exprnn, gru, linear, lstm, mi-rnn, rac, relu, scornn, tanh) or the tnrnn.cells.Model that tnrnn.cells.stack returns
    """
    if isinstance(params, Model):
        if kind is not None and _canonical(kind) != params.kind:
            raise SpecError(f"params is a {params.kind!r} model; kind={kind!r} was given")
        return params
    if kind is None:
        raise SpecError("params is a plain dict of weights, which does not say its cell kind; "
                        f"pass kind= (one of {', '.join(sorted(CELLS))}) or the "
                        "tnrnn.cells.Model that tnrnn.cells.stack returns")
    return Model.from_dict(params, kind=kind)


def rac_params(params, *, length: int | None = None, dtype="float32"):
    """The bridge between a trained RAC stack and the exact wing's circuit.

    A RAC :class:`Model` (or a RAC stack dict) gives ``(spec, RACParams)``:
    the circuit :class:`tnrnn.circuit.RAC` of sequence length ``length`` and
    float64 copies of the weights (floats widen exactly, so the circuit
    computes exactly what the network computes). A
    :class:`tnrnn.circuit.RACParams` gives the RAC :class:`Model` with those
    weights (in ``dtype``).

    Parameters
    ----------
    params : Model, dict or tnrnn.circuit.RACParams
    length : int
        The circuit's sequence length (needed for a model, unused otherwise).
    dtype : "float32" or "float64"
        The model's weights (from ``RACParams`` only).

    Returns
    -------
    (tnrnn.circuit.RAC, tnrnn.circuit.RACParams) or Model

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> m, _ = stack("rac", depth=2, hidden=3, input_dim=4, outputs=2)
    >>> spec, rp = rac_params(m, length=6)
    >>> spec
    RAC(depth=2, hidden=3, input_dim=4, length=6, outputs=2)
    >>> back = rac_params(rp)
    >>> back.kind, bool((back.layers[1]["W_H"] == m.layers[1]["W_H"]).all())
    ('rac', True)
    """
    from ..circuit import RAC, RACParams

    if isinstance(params, RACParams):
        f = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
        layers = [{"W_H": f(wh), "W_I": f(wi), "h0": f(h0)}
                  for wh, wi, h0 in zip(params.W_H, params.W_I, params.h0)]
        return Model(kind="rac", layers=tuple(layers), readout={"W_O": f(params.W_O)})
    if isinstance(params, dict) and not isinstance(params, Model):
        try:
            params = Model.from_dict(params, kind="rac")
        except SpecError:
            params = None
    if not isinstance(params, Model) or params.kind != "rac" or \
            any(set(l) != {"W_H", "W_I", "h0"} for l in params.layers) or \
            set(params.readout) != {"W_O"}:
        raise SpecError("params must be a RAC stack's weights (layers with W_H, W_I, h0 and a "
                        "readout with W_O only) or a tnrnn.circuit.RACParams")
    if length is None:
        raise SpecError("length (the circuit's sequence length) is required for a RAC model")
    f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731  (exact: floats widen exactly)
    W_O = f64(params.readout["W_O"])
    H, M = np.shape(params.layers[0]["W_I"])
    spec = RAC(depth=params.depth, hidden=int(H), input_dim=int(M), length=length,
               outputs=int(W_O.shape[0]))
    rp = RACParams(W_H=tuple(f64(l["W_H"]) for l in params.layers),
                   W_I=tuple(f64(l["W_I"]) for l in params.layers),
                   W_O=W_O, h0=tuple(f64(l["h0"]) for l in params.layers))
    return spec, rp
