"""A system to analyse: a preset or a cell with weights, as one object that
the command line and the experiments share.

A :class:`System` holds a family ``params -> map`` and the parameters, so
that paths through parameter space (``s * theta``) and checkpoints reuse the
same code as a single map.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import numpy as np

from ..errors import SpecError
from ._core import as_inputs
from .lipschitz import cell_map
from .presets import get_preset, lstm_map

__all__ = ["System", "preset_system", "cell_system", "scale_params"]

#: Parameter keys that a scaling of the weights leaves alone (initial states, signs).
_FIXED_KEYS = ("h0", "D")


class System(NamedTuple):
    """A family of maps with its parameters: ``family(params) -> f``.

    Parameters
    ----------
    name : str
        A short name.
    family : callable
        ``family(params) -> f``; ``f(x)`` if ``input_dim`` is None, else
        ``f(x, u)``. JAX-traceable in ``params``.
    params : dict
        The parameters of the system itself.
    x0 : numpy.ndarray
        The initial state, flat.
    input_dim : int or None
        The input's width (None: autonomous).
    cell : str or None
        The tnrnn.cells kind, for a cell (its Lipschitz bound applies).
    description : str
        One line.

    Examples
    --------
    >>> from tnrnn.dynamics.systems import preset_system
    >>> s = preset_system("logistic", r=2.0)
    >>> s.name, s.dim, float(s.map(params={"r": 4.0})(0.5))
    ('logistic', 1, 1.0)
    """

    name: str
    family: Callable
    params: dict
    x0: np.ndarray
    input_dim: int | None
    cell: str | None
    description: str

    def map(self, u=None, params=None) -> Callable:
        """The map ``f(x)`` at ``params`` (default: the system's), with the
        constant input ``u`` (default zeros) for driven systems.

        Parameters
        ----------
        u : array_like, optional
            The constant input, shape ``(input_dim,)``.
        params : dict, optional
            Parameters instead of the system's.

        Returns
        -------
        callable
            ``f(x)``.

        Examples
        --------
        >>> from tnrnn.dynamics.systems import preset_system
        >>> float(preset_system("tanh", w=2.0).map()(0.0))
        0.0
        """
        f = self.family(self.params if params is None else params)
        if self.input_dim is None:
            return f
        uu = np.zeros(self.input_dim) if u is None else as_inputs(u, None, None).value
        if uu.shape != (self.input_dim,):
            raise SpecError(f"the input must have shape ({self.input_dim},); got {uu.shape}")
        return lambda x: f(x, uu)

    @property
    def dim(self) -> int:
        return int(np.asarray(self.x0).size)


def scale_params(params, s):
    """``s * params`` on every weight array (not on initial states ``h0`` or
    scoRNN's signs ``D``); works under ``jax.vmap`` with a traced ``s``.

    Parameters
    ----------
    params : pytree
        The weights.
    s : float or jax.Array
        The scale.

    Returns
    -------
    pytree
        The scaled weights (same structure).

    Examples
    --------
    >>> import numpy as np
    >>> out = scale_params({"W": np.ones(2), "h0": np.ones(2)}, 3.0)
    >>> out["W"].tolist(), out["h0"].tolist()
    ([3.0, 3.0], [1.0, 1.0])
    """
    def scale(path, a):
        key = getattr(path[-1], "key", None) if path else None
        return a if key in _FIXED_KEYS else s * a
    return jax.tree_util.tree_map_with_path(scale, params)


def preset_system(name: str, **options) -> System:
    """A preset as a :class:`System` (``'chaotic-lstm'``, ``'tanh'``, ``'logistic'``).

    Parameters
    ----------
    name : str
        The preset (:func:`~tnrnn.dynamics.get_preset`).
    **options
        Its options.

    Returns
    -------
    System

    Examples
    --------
    >>> from tnrnn.dynamics.systems import preset_system
    >>> s = preset_system("tanh", w=2.0)
    >>> s.dim, s.input_dim, float(s.map()(0.0))
    (1, None, 0.0)
    """
    import jax.numpy as jnp

    p = get_preset(name, **options)
    if name == "chaotic-lstm":
        return System(name, lambda q: lstm_map(q), p.params, p.x0, 1, "lstm", p.description)
    if name == "tanh":
        return System(name, lambda q: (lambda x: jnp.tanh(q["w"] * x + q["b"])), p.params,
                      p.x0, None, None, p.description)
    return System(name, lambda q: (lambda x: q["r"] * x * (1.0 - x)), p.params, p.x0, None,
                  None, p.description)


def cell_system(kind: str, params: dict) -> System:
    """A tnrnn.cells cell (or stack) with its weights as a :class:`System`.

    Parameters
    ----------
    kind : str
        The cell kind.
    params : dict or tnrnn.cells.Model
        One layer's weights or a stack's (the readout is dropped).

    Returns
    -------
    System
        Driven (``input_dim`` the width of the first layer's input weights).

    Examples
    --------
    >>> import numpy as np
    >>> s = cell_system("tanh", {"W_ih": np.ones((2, 1)), "W_hh": np.eye(2), "b": np.zeros(2)})
    >>> s.dim, s.input_dim, s.cell
    (2, 1, 'tanh')
    """
    from ..cells import Model

    if isinstance(params, Model):
        params = params.to_dict()
    f0, x0 = cell_map(kind, params)
    layers = params["layers"] if "layers" in params else [params]
    first = layers[0]
    key = {"rac": "W_I", "mi-rnn": "W_I", "scornn": "U", "linear": "B"}.get(kind, "W_ih")
    if key not in first:
        raise SpecError(f"{kind} weights need {key!r} (the input weights); got keys "
                        f"{sorted(first)}")
    input_dim = int(np.shape(first[key])[1])
    sub = {k: v for k, v in params.items() if k != "readout"}
    return System(f"{kind} cell", lambda q: cell_map(kind, q)[0], sub, x0, input_dim, kind,
                  f"{kind} cell, {len(layers)} layer(s), state dimension {x0.size}")
