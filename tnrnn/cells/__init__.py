"""Recurrent cells as pure JAX step functions, and stacks of them.

Structure apart from weights: a cell kind is a name in a registry
(:func:`get_cell`), its weights a plain dict of arrays with fixed key names,
drawn from an explicit seed. Each :class:`Cell` has
``step(params, state, x) -> state``; ``x`` and the state may be one vector
or a batch (leading axis).

Parameter dicts (``I`` input width, ``H`` hidden width; PyTorch layouts)::

    rac     W_H (H, H), W_I (H, I), h0 (H,)        h' = (W_H h) * (W_I x)
    mi-rnn  W_H (H, H), W_I (H, I), b (H,), h0     h' = tanh((W_H h) * (W_I x) + b)
    tanh    W_ih (H, I), W_hh (H, H), b (H,)       h' = tanh(W_ih x + W_hh h + b)
    relu    same keys as tanh                       h' = relu(W_ih x + W_hh h + b)
    lstm    W_ih (4H, I), W_hh (4H, H), b (4H,)    gates in PyTorch order i, f, g, o;
            state (h, c); b is PyTorch's b_ih + b_hh
    gru     W_ih (3H, I), W_hh (3H, H), b_ih (3H,), b_hh (3H,)   order r, z, n:
            r = sig(W_ir x + b_ir + W_hr h + b_hr), z likewise,
            n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h
    scornn  U (H, I), A (H, H) skew, D (H,) of +1/-1, W (H, H), b (H,)
            h' = modReLU(U x + W h, b),  W = (I + A)^-1 (I - A) diag(D)
            variant "paper": h' = modReLU(U x + W^T h, b) (the paper's code's
            row-vector matmul(state, W)), plus s0 () the bound of a random
            initial state drawn on every forward pass; the recurrence comes
            from the model's options (Cell.recurrence), never from the keys
    exprnn  U (H, I), A (H, H) (its strict upper triangle), W (H, H), b (H,)
            h' = modReLU(U x + W^T h, b) (expRNN's row-vector h W),
            W = expm(triu(A, 1) - triu(A, 1)^T)
    linear  A (H, H), B (H, I)                      h' = A h + B x

``h0`` (RAC, MI-RNN initial states), ``D`` and ``W`` (scoRNN), ``W`` (expRNN) are *frozen*:
training does not move them by gradient; scoRNN's and expRNN's ``W`` is recomputed from
``A`` after every update, outside ``jit`` (:func:`outside_grads`,
:func:`outside_refresh`). The other cells start from the zero state.

A stack (:func:`stack`) is a :class:`Model`: a JAX pytree that carries its cell
kind and options (static) beside its weights, ``layers`` (one dict per layer)
and ``readout`` ``{"W_O": (K, H), "b_O": (K,)}``; everything that trains,
counts, masks or stores a stack reads the kind from it, and which entries are
frozen comes from :attr:`Cell.frozen` alone. ``model.to_dict()`` is the plain
dict ``{"layers": [...], "readout": {...}}``; :meth:`Model.from_dict` (or
:func:`as_model`) reads one back, given its kind. A RAC readout has no bias, so
a trained RAC stack is exactly the circuit ``tnrnn.circuit.RAC`` with ``W_I``,
``W_H``, ``W_O``, ``h0``: :func:`rac_params` converts both ways.

This package needs jax (the ``train`` extra); ``import tnrnn`` does not load it.

Examples
--------
>>> import numpy as np
>>> from tnrnn.cells import get_cell, init_cell
>>> lstm = get_cell("lstm")
>>> p = init_cell("lstm", input_dim=3, hidden=4, seed=0)
>>> h, c = lstm.step(p, lstm.initial_state(p, None), np.ones(3, np.float32))
>>> h.shape, c.shape
((4,), (4,))
"""

from ._cells import CELLS, Cell, cayley, cayley_grad, exprnn_grad, exprnn_matrix, mod_relu, skew
from ._count import count_params, stack_param_count, trainable_mask, width_for_budget
from ._model import COUNTS, Model, as_model, layer_options, rac_params
from ._outside import needs_outside_update, outside_grads, outside_refresh, rescale_linf
from ._registry import cell_names, check_cell_options, get_cell, init_cell
from ._stack import make_apply, needs_key, stack

__all__ = [
    "Model",
    "as_model",
    "rac_params",
    "layer_options",
    "Cell",
    "CELLS",
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
    "cayley",
    "cayley_grad",
    "mod_relu",
    "exprnn_matrix",
    "exprnn_grad",
    "skew",
]
