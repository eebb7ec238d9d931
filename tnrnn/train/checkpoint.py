"""Checkpoints and weights as ``.npz`` files (numpy only, atomic writes).

A checkpoint holds the leaves of ``(params, opt_state, best_params)`` in
``jax.tree`` order and a JSON record of the loop's state; it is read back
into trees of the same structure, built afresh from the same config.
Weights alone (:func:`save_weights`) are stored under dotted names
(``layers.0.W_hh``, ``readout.W_O``) so that other tools can read them, with a
JSON record naming the cell kind; :func:`load_weights` reads them back as a
:class:`tnrnn.cells.Model`. (``save_params`` / ``load_params`` are the old,
deprecated names: ``tnrnn.save_params`` is the exact wing's circuit weights,
another contract.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import SpecError

__all__ = ["save_checkpoint", "load_checkpoint", "save_weights", "load_weights",
           "save_params", "load_params", "flatten_params", "unflatten_params"]

_FORMAT = "tnrnn-checkpoint-1"


def _atomic_savez(path: Path, arrays: dict, what: str = "the checkpoint") -> None:
    from .._io import atomic_savez

    atomic_savez(Path(path), arrays, what=what)


def _open_npz(path: Path, what: str, way_out: str):
    """``np.load`` of a tnrnn ``.npz``, every way it can fail turned into one error."""
    import zipfile

    path = Path(path)
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SpecError(f"{what} {str(path)!r} does not exist") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        size = path.stat().st_size if path.exists() else 0
        reason = "it is empty" if size == 0 else f"it is not a readable .npz file ({exc})"
        raise SpecError(f"cannot read {what} {str(path)!r}: {reason}; {way_out}") from None


def _read_meta(z, path: Path, what: str, way_out: str) -> dict:
    try:
        return json.loads(str(z["__meta__"])) if "__meta__" in z.files else {}
    except (ValueError, KeyError, OSError) as exc:
        raise SpecError(f"cannot read {what} {str(path)!r}: its metadata is damaged ({exc}); "
                        f"{way_out}") from None


def save_checkpoint(path, params, opt_state, best, state: dict) -> None:
    """Write the training state (atomically: a crash leaves the old file).

    Parameters
    ----------
    path : path
    params, opt_state, best : pytrees
        Their leaves are stored in ``jax.tree`` order.
    state : dict
        The loop's JSON-able state.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = {"w": np.arange(3.0)}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "c.npz"
    ...     save_checkpoint(f, p, {"n": np.zeros(1)}, p, {"step": 7})
    ...     q, o, b, st = load_checkpoint(f, p, {"n": np.zeros(1)})
    >>> q["w"].tolist(), st
    ([0.0, 1.0, 2.0], {'step': 7})
    """
    import jax

    leaves = jax.tree.leaves((params, opt_state, best))
    arrays = {f"leaf_{i:05d}": np.asarray(v) for i, v in enumerate(leaves)}
    arrays["__meta__"] = np.array(json.dumps({"format": _FORMAT, "state": state,
                                              "leaves": len(leaves)}))
    _atomic_savez(Path(path), arrays)


def load_checkpoint(path, params, opt_state):
    """Read a checkpoint into trees shaped like ``(params, opt_state, params)``.

    Raises :class:`~tnrnn.errors.SpecError` if the file was written for
    another model (leaf count or shapes differ).

    Parameters
    ----------
    path : path
    params, opt_state : pytrees
        Trees of the structure to read into (built afresh from the config).

    Returns
    -------
    (params, opt_state, best, state)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "c.npz"
    ...     save_checkpoint(f, {"w": np.ones(2)}, {}, {"w": np.ones(2)}, {})
    ...     load_checkpoint(f, {"w": np.ones(3)}, {})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: checkpoint .../c.npz: array 0 has shape (2,), this model needs (3,): it was written by another config
    """
    import zipfile

    import jax

    path = Path(path)
    way_out = (f"delete it to train this run again from its start (the run's other files "
               f"stay), or delete the folder {str(path.parent)!r}")
    with _open_npz(path, "the checkpoint", way_out) as z:
        meta = _read_meta(z, path, "the checkpoint", way_out)
        if meta.get("format") != _FORMAT:
            raise SpecError(f"{path}: not a tnrnn checkpoint (format {meta.get('format')!r}); "
                            f"{way_out}")
        try:
            leaves = [z[f"leaf_{i:05d}"] for i in range(int(meta["leaves"]))]
            state = dict(meta["state"])
        except (KeyError, ValueError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise SpecError(f"cannot read the checkpoint {str(path)!r}: it is incomplete "
                            f"({exc}); {way_out}") from None
    ref, treedef = jax.tree.flatten((params, opt_state, params))
    if len(ref) != len(leaves):
        raise SpecError(f"checkpoint {path} holds {len(leaves)} arrays but this model and "
                        f"optimiser have {len(ref)}: it was written by another config; "
                        "delete it or use another output folder")
    for i, (a, b) in enumerate(zip(ref, leaves)):
        if np.shape(a) != np.shape(b):
            raise SpecError(f"checkpoint {path}: array {i} has shape {np.shape(b)}, this model "
                            f"needs {np.shape(a)}: it was written by another config")
    p, o, best = jax.tree.unflatten(treedef, leaves)
    return p, o, best, state


def flatten_params(params: dict, prefix: str = "") -> dict:
    """Nested dicts/lists of arrays -> ``{"layers.0.W_hh": array, ...}``.

    Parameters
    ----------
    params : mapping or sequence (a :class:`tnrnn.cells.Model` too)
    prefix : str
        Put before every name.

    Returns
    -------
    dict

    Examples
    --------
    >>> flatten_params({"layers": [{"W": np.ones(2)}], "readout": {"W_O": np.zeros(1)}})
    {'layers.0.W': array([1., 1.]), 'readout.W_O': array([0.])}
    """
    from collections.abc import Mapping

    out = {}
    if isinstance(params, Mapping) and not isinstance(params, dict) and \
            callable(getattr(params, "to_dict", None)):  # a tnrnn.cells.Model: its stack dict
        params = params.to_dict()
    items = params.items() if isinstance(params, Mapping) else enumerate(params)
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, (Mapping, list, tuple)):
            out.update(flatten_params(value, name + "."))
        else:
            out[name] = np.asarray(value)
    return out


def unflatten_params(flat: dict) -> dict:
    """Inverse of :func:`flatten_params` (numeric keys become list positions).

    Parameters
    ----------
    flat : dict
        Dotted names -> arrays.

    Returns
    -------
    dict

    Examples
    --------
    >>> p = unflatten_params({"layers.0.W": np.ones(2), "readout.W_O": np.zeros(1)})
    >>> sorted(p), len(p["layers"])
    (['layers', 'readout'], 1)
    """
    root: dict = {}
    for name, value in flat.items():
        parts = name.split(".")
        node = root
        for part, nxt in zip(parts[:-1], parts[1:]):
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        if node and all(k.isdigit() for k in node):
            return [listify(node[str(i)]) for i in range(len(node))]
        return {k: listify(v) for k, v in node.items()}

    return listify(root)


def save_weights(path, params, **meta) -> None:
    """Save a stack's weights under dotted names, with JSON ``meta``.

    Parameters
    ----------
    path : path
        The ``.npz`` file (written atomically).
    params : tnrnn.cells.Model or dict
        The weights; a model's kind is stored as ``meta["cell"]`` unless given.
    **meta
        JSON-able facts stored beside them (``cell``, ``depth``, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tnrnn.cells import stack
    >>> m, _ = stack("gru", depth=2, hidden=3, input_dim=2, outputs=1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_weights(pathlib.Path(d) / "w.npz", m)
    ...     back, meta = load_weights(pathlib.Path(d) / "w.npz")
    >>> back.kind, meta, bool((back.layers[1]["W_hh"] == m.layers[1]["W_hh"]).all())
    ('gru', {'cell': 'gru'}, True)
    """
    from collections.abc import Mapping

    kind = getattr(params, "kind", None)
    if isinstance(kind, str):
        meta = {"cell": kind, **meta}
    if not isinstance(params, Mapping):
        raise SpecError(f"params must be a tnrnn.cells.Model or a dict of weights; got "
                        f"{type(params).__name__}")
    arrays = flatten_params(params)
    arrays["__meta__"] = np.array(json.dumps(meta))
    _atomic_savez(Path(path), arrays, what="the weights")


def _read_weights(path) -> tuple[dict, dict]:
    import zipfile

    path = Path(path)
    way_out = "give a file written by tnrnn train (params.npz) or tnrnn.train.save_weights"
    with _open_npz(path, "the weights file", way_out) as z:
        meta = _read_meta(z, path, "the weights file", way_out)
        try:
            flat = {k: z[k] for k in z.files if k != "__meta__"}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise SpecError(f"cannot read the weights file {str(path)!r}: it is incomplete "
                            f"({exc}); {way_out}") from None
    if not flat:
        raise SpecError(f"the weights file {str(path)!r} holds no arrays; {way_out}")
    return unflatten_params(flat), meta


def load_weights(path, *, kind: str | None = None):
    """Read :func:`save_weights`'s file (or a run's ``params.npz``) as a model.

    A missing, empty, truncated or foreign file is a
    :class:`~tnrnn.errors.SpecError` naming the path, never a traceback.

    Parameters
    ----------
    path : path
    kind : str, optional
        The cell kind, if the file's metadata does not name it (it must
        agree when it does).

    Returns
    -------
    model : tnrnn.cells.Model
    meta : dict
        The stored metadata.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "w.npz"
    ...     _ = f.write_bytes(b"")
    ...     load_weights(f)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: cannot read the weights file '.../w.npz': it is empty; give a file written by tnrnn train (params.npz) or tnrnn.train.save_weights
    """
    from ..cells import Model, get_cell

    params, meta = _read_weights(path)
    saved = meta.get("cell") if isinstance(meta, dict) else None
    if kind is not None and saved is not None and get_cell(kind).name != get_cell(saved).name:
        raise SpecError(f"the weights file {str(path)!r} holds {saved!r} weights (its metadata "
                        f"says so); kind={kind!r} was given")
    kind = kind if kind is not None else saved
    if kind is None:
        raise SpecError(f"the weights file {str(path)!r} does not name its cell kind; pass "
                        "kind=")
    return Model.from_dict(params, kind=kind), meta


def save_params(path, params, **meta) -> None:
    """Deprecated name of :func:`save_weights` (``tnrnn.save_params`` is the
    exact wing's circuit weights, another contract).

    Parameters
    ----------
    path : path
    params : tnrnn.cells.Model or dict
    **meta
        As :func:`save_weights`.

    Examples
    --------
    >>> import warnings, tempfile, pathlib
    >>> from tnrnn.cells import init_cell
    >>> with tempfile.TemporaryDirectory() as d, warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     save_params(pathlib.Path(d) / "w.npz", {"layers": [init_cell("tanh", input_dim=1, hidden=2)]})
    ...     w[0].category.__name__
    'DeprecationWarning'
    """
    import warnings

    warnings.warn("tnrnn.train.save_params is deprecated; use tnrnn.train.save_weights",
                  DeprecationWarning, stacklevel=2)
    save_weights(path, params, **meta)


def load_params(path) -> tuple[dict, dict]:
    """Deprecated: :func:`load_weights` (which returns a model). Reads
    :func:`save_weights`'s file as ``(dict, meta)``.

    A missing, empty, truncated or foreign file is a
    :class:`~tnrnn.errors.SpecError` naming the path, never a traceback.

    Parameters
    ----------
    path : path

    Returns
    -------
    (dict, dict)
        The weights and the metadata.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     load_params("/no/such/w.npz")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: the weights file '/no/such/w.npz' does not exist
    """
    import warnings

    warnings.warn("tnrnn.train.load_params is deprecated; use tnrnn.train.load_weights (it "
                  "returns a tnrnn.cells.Model)", DeprecationWarning, stacklevel=2)
    return _read_weights(path)
