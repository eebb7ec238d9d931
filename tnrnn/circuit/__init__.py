"""Immutable circuit specs (RAC, TT-RNN), their parameters, and a plain
step-by-step evaluator.

A *spec* says what circuit: its sizes. *Parameters* are separate plain data
(NamedTuples of numpy arrays, hence also JAX pytrees). This module imports
numpy only.

Notation (``docs/theory.md`` section 1): input dimension ``M``, hidden
width ``R``, depth ``L``, sequence length ``T``, outputs ``K``.

Recurrent Arithmetic Circuit (RAC), for ``l = 1..L`` and ``t = 1..T``::

    h[t, l] = (W_H[l] @ h[t-1, l]) * (W_I[l] @ h[t, l-1]),   h[t, 0] = x_t
    y       = W_O @ h[T, L]

Tensor-train RNN with a general core ``G`` of shape ``(R, M, R)``::

    h_t[j] = sum_{i, d} G[i, d, j] h_{t-1}[i] x_t[d],          y = W_O @ h_T

The RAC is the TT-RNN whose core is ``G[i, d, j] = W_H[j, i] W_I[j, d]``
(see :func:`rac_core`).

Examples
--------
>>> import numpy as np
>>> spec = RAC(depth=2, hidden=3, input_dim=2, length=4)
>>> params = init_params(spec, seed=0)
>>> X = random_inputs(spec, 5, seed=1)
>>> evaluate(spec, params, X).shape
(5, 1)
"""

from ._evaluate import check_inputs, evaluate, one_hot, rac_core
from ._files import load_params, save_params
from ._init import init_params, init_params_modp, random_inputs, validate_params
from ._specs import (DEFAULT_PRIME, RAC, TTRNN, Params, RACParams, Spec, TTParams,
                     param_names)

__all__ = [
    "RAC",
    "TTRNN",
    "Spec",
    "RACParams",
    "TTParams",
    "Params",
    "DEFAULT_PRIME",
    "init_params",
    "init_params_modp",
    "validate_params",
    "rac_core",
    "evaluate",
    "random_inputs",
    "one_hot",
    "check_inputs",
    "save_params",
    "load_params",
    "param_names",
]
