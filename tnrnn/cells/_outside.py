"""scoRNN's and expRNN's orthogonal matrices, updated in numpy outside the
jitted step: the gradient in ``W`` turned into the gradient in ``A``, ``W``
recomputed from ``A``, and the paper's L-inf rescaling of ``dL/dW``."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import SpecError
from ._cells import cayley, cayley_grad, exprnn_grad, exprnn_matrix
from ._model import Model, as_model
from ._registry import get_cell

__all__ = ["needs_outside_update", "outside_grads", "outside_refresh", "rescale_linf"]


def _orthogonal(params, kind):
    """The model of ``params`` for the outside update: its own kind, or for a
    stack dict ``kind`` (deprecated without it: scoRNN if its layers hold
    signs ``D``, expRNN if not, with a warning)."""
    if kind is None and not isinstance(params, Model):
        first = params["layers"][0] if isinstance(params, dict) and params.get("layers") else {}
        kind = "scornn" if "D" in first else "exprnn"
        warnings.warn("a stack dict without kind= is deprecated here (its kind was guessed "
                      f"from its keys: {kind!r}); pass kind='scornn' or kind='exprnn', or the "
                      "tnrnn.cells.Model", DeprecationWarning, stacklevel=3)
    m = as_model(params, kind)
    if not m.needs_outside_update:
        raise SpecError(f"the outside update is scoRNN's and expRNN's; got a {m.kind!r} stack")
    return m


def _readout(tree):
    """The readout of a model or of a stack dict."""
    return tree.readout if isinstance(tree, Model) else tree["readout"]


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
        With a dict: ``"scornn"`` or ``"exprnn"`` (left out, deprecated: scoRNN
        if the layers hold signs ``D``, with a warning).

    Returns
    -------
    Model or dict
        Like ``grads``.

    Examples
    --------
    >>> import jax
    >>> from tnrnn.cells import stack
    >>> m, _ = stack("scornn", depth=1, hidden=2, input_dim=1, outputs=1, dtype="float64")
    >>> g = outside_grads(m, jax.tree.map(np.ones_like, m))
    >>> np.allclose(g.layers[0]["A"], cayley_grad(m.layers[0]["A"], m.layers[0]["D"],
    ...     m.layers[0]["W"], np.ones((2, 2)))), float(g.layers[0]["W"].sum())
    (True, 0.0)
    """
    m = _orthogonal(params, kind)
    layers = []
    for p, g in zip(m.layers, grads.layers if isinstance(grads, Model) else grads["layers"]):
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
    return _like(grads, layers, _readout(grads))


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
    >>> from tnrnn.cells import stack
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
    return _like(params, layers, _readout(params))


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
