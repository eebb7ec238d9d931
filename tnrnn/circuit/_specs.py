"""The circuit specs (:class:`RAC`, :class:`TTRNN`), their parameter
containers (:class:`RACParams`, :class:`TTParams`) and the shapes and names
of their parameters. Public through :mod:`tnrnn.circuit`.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import numpy as np

from ..errors import SpecError, check_positive_int

#: The largest prime below 2**31: products of two residues fit in int64.
DEFAULT_PRIME = 2_147_483_647


@dataclasses.dataclass(frozen=True)
class RAC:
    """A Recurrent Arithmetic Circuit of any depth (multiplicative
    integration, no activation).

    Parameters
    ----------
    depth : int
        Number of recurrent layers ``L >= 1``.
    hidden : int
        Hidden width ``R >= 1``.
    input_dim : int
        Input feature dimension ``M >= 1`` (one-hot alphabet size).
    length : int
        Sequence length ``T >= 1``.
    outputs : int, default 1
        Number of outputs ``K``; analyses work per output.

    Examples
    --------
    >>> RAC(2, 3, 3, 6)
    RAC(depth=2, hidden=3, input_dim=3, length=6, outputs=1)
    >>> RAC(2, 0, 3, 6)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: hidden must be an integer >= 1; got 0
    """

    depth: int
    hidden: int
    input_dim: int
    length: int
    outputs: int = 1

    kind = "rac"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = check_positive_int(field.name, getattr(self, field.name))
            object.__setattr__(self, field.name, value)

    def replace(self, **changes: int) -> "RAC":
        """Return a copy with some sizes changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain-data view, as used in JSON output."""
        return {"kind": self.kind, **dataclasses.asdict(self)}

    def layer_input_dim(self, layer: int) -> int:
        """Width of the input to layer ``layer`` (1-based): ``M`` or ``R``."""
        return self.input_dim if layer == 1 else self.hidden


@dataclasses.dataclass(frozen=True)
class TTRNN:
    """A tensor-train RNN with a general core ``G`` of shape ``(R, M, R)``.

    Always of depth 1. Its Start-End separation rank is at most ``R``.

    Parameters
    ----------
    hidden : int
        Hidden width (bond dimension) ``R >= 1``.
    input_dim : int
        Input feature dimension ``M >= 1``.
    length : int
        Sequence length ``T >= 1``.
    outputs : int, default 1
        Number of outputs ``K``.

    Examples
    --------
    >>> TTRNN(hidden=2, input_dim=3, length=4).depth
    1
    """

    hidden: int
    input_dim: int
    length: int
    outputs: int = 1

    kind = "ttrnn"
    depth = 1

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = check_positive_int(field.name, getattr(self, field.name))
            object.__setattr__(self, field.name, value)

    def replace(self, **changes: int) -> "TTRNN":
        """Return a copy with some sizes changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain-data view, as used in JSON output."""
        return {"kind": self.kind, "depth": 1, **dataclasses.asdict(self)}

    def layer_input_dim(self, layer: int) -> int:
        """Width of the input to the (only) layer: ``M``."""
        return self.input_dim


Spec = Union[RAC, TTRNN]


class RACParams(NamedTuple):
    """Weights of a RAC. Tuples are indexed by layer ``0..L-1`` (layer ``l``
    of the maths is index ``l - 1``).

    Parameters
    ----------
    W_H : tuple of (R, R) arrays
        Recurrent weights, one per layer.
    W_I : tuple of arrays
        Input weights: ``(R, M)`` for the first layer, ``(R, R)`` above.
    W_O : (K, R) array
        Readout.
    h0 : tuple of (R,) arrays
        The initial hidden state of each layer.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params, validate_params
    >>> p = init_params(RAC(2, 3, 4, 5), seed=0)
    >>> [w.shape for w in p.W_I], p.W_O.shape, len(p.h0)
    ([(3, 4), (3, 3)], (1, 3), 2)
    >>> validate_params(RAC(2, 3, 4, 5), p) is p
    True
    """

    W_H: tuple
    W_I: tuple
    W_O: np.ndarray
    h0: tuple


class TTParams(NamedTuple):
    """Weights of a TT-RNN.

    Parameters
    ----------
    G : (R, M, R) array
        The core: ``h_t[j] = sum_{i, d} G[i, d, j] h_{t-1}[i] x_t[d]``.
    W_O : (K, R) array
        Readout.
    h0 : (R,) array
        The initial hidden state.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, init_params
    >>> p = init_params(TTRNN(hidden=2, input_dim=3, length=4), seed=0)
    >>> p.G.shape, p.W_O.shape, p.h0.shape
    ((2, 3, 2), (1, 2), (2,))
    """

    G: np.ndarray
    W_O: np.ndarray
    h0: np.ndarray


Params = Union[RACParams, TTParams]


def _check_spec(spec: object) -> Spec:
    if not isinstance(spec, (RAC, TTRNN)):
        raise SpecError(f"spec must be a RAC or TTRNN; got {type(spec).__name__}")
    return spec


def _shapes(spec: Spec) -> dict:
    """Expected parameter shapes, by parameter name."""
    R, M, K = spec.hidden, spec.input_dim, spec.outputs
    if isinstance(spec, TTRNN):
        return {"G": (R, M, R), "W_O": (K, R), "h0": (R,)}
    L = spec.depth
    return {
        "W_H": [(R, R)] * L,
        "W_I": [(R, spec.layer_input_dim(l + 1)) for l in range(L)],
        "W_O": (K, R),
        "h0": [(R,)] * L,
    }


def param_names(spec: Spec) -> list:
    """Array names of a weight file (:func:`~tnrnn.circuit.save_params`), in order.

    Parameters
    ----------
    spec : RAC or TTRNN

    Returns
    -------
    list of str

    Examples
    --------
    >>> param_names(RAC(2, 3, 3, 4))
    ['W_H1', 'W_H2', 'W_I1', 'W_I2', 'W_O', 'h0_1', 'h0_2']
    >>> param_names(TTRNN(2, 2, 4))
    ['G', 'W_O', 'h0']
    """
    spec = _check_spec(spec)
    if isinstance(spec, TTRNN):
        return ["G", "W_O", "h0"]
    L = spec.depth
    return ([f"W_H{l}" for l in range(1, L + 1)] + [f"W_I{l}" for l in range(1, L + 1)]
            + ["W_O"] + [f"h0_{l}" for l in range(1, L + 1)])
