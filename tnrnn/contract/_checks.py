"""Checks shared by the float contraction routes (contract_network,
contract_grid, prepare, evaluate_jax): they compute in floating point, so
they refuse what floating point cannot get right."""

from __future__ import annotations

import numpy as np

from ..circuit import validate_params
from ..errors import SpecError

__all__ = ["check_float_params", "check_float_inputs"]


def _arrays(params):
    for name in getattr(params, "_fields", ()):
        value = getattr(params, name)
        if isinstance(value, (list, tuple)):
            for i, a in enumerate(value):
                yield f"{name}[{i}]", a
        else:
            yield name, value


def check_float_params(spec, params, *, where: str) -> None:
    """:func:`~tnrnn.circuit.validate_params`, then refuse weights that are
    not floating point.

    Integer weights (those of :func:`tnrnn.circuit.init_params_modp`,
    residues up to ``p - 1``) would be multiplied in int64 or float64 and
    overflow (to wrapped integers, ``inf`` or ``nan``) long before the end of
    a deep circuit: the float routes cannot give their value. The exact
    routes can: :func:`tnrnn.circuit.evaluate` (exact on integers) and the
    rank engine (mod p).

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params, init_params_modp
    >>> spec = RAC(2, 2, 2, 4)
    >>> check_float_params(spec, init_params(spec), where="contract_network")
    >>> check_float_params(spec, init_params_modp(spec), where="contract_network")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: contract_network computes in floating point; params.W_H[0] has dtype int64 (integer weights, e.g. residues mod p from init_params_modp, overflow there): pass float weights (init_params), or evaluate integer weights exactly with tnrnn.evaluate or mod p with the rank engine
    """
    validate_params(spec, params)
    for name, a in _arrays(params):
        dtype = np.asarray(a).dtype
        if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating)):
            raise SpecError(
                f"{where} computes in floating point; params.{name} has dtype {dtype} "
                f"(integer weights, e.g. residues mod p from init_params_modp, overflow "
                f"there): pass float weights (init_params), or evaluate integer weights "
                f"exactly with tnrnn.evaluate or mod p with the rank engine")


def check_float_inputs(X, *, where: str) -> np.ndarray:
    """Refuse inputs that are not numbers (``object`` or string arrays, or
    non-finite values); integer inputs (one-hot) are fine.

    >>> check_float_inputs([[1.0, float("nan")]], where="contract_network")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: contract_network: the inputs X must be finite numbers; got nan or inf at 1 entries
    """
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:  # ragged lists
        raise SpecError(f"{where}: the inputs X must be an array of numbers; {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise SpecError(f"{where}: the inputs X must be numbers; got an array of dtype "
                        f"{arr.dtype}")
    if np.issubdtype(arr.dtype, np.inexact):
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        if bad:
            raise SpecError(f"{where}: the inputs X must be finite numbers; got nan or inf "
                            f"at {bad} entries")
    return arr
