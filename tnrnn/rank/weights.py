"""Given weights in a prime field: exact images of floats, integers and
fractions, and a hash that identifies them.

A float64 number is an exact dyadic rational ``m * 2**e`` (``m`` an integer
below ``2**53``), and 2 is invertible modulo an odd prime ``p``, so its
image ``m * (2**e mod p)`` in ``GF(p)`` is exact: evaluating a circuit mod
``p`` with these images gives the residue of the circuit's exact rational
value (a ring homomorphism from the rationals whose denominators are prime
to ``p``). Integers map to their residues and :class:`fractions.Fraction`
``a / b`` to ``a * b^{-1}`` (refused when ``p`` divides ``b``).

Examples
--------
>>> import numpy as np
>>> from fractions import Fraction
>>> to_field(np.array([0.5, -1.25, 3.0]), 7).tolist()   # 1/2 = 4, -5/4 = 4, 3
[4, 4, 3]
>>> to_field(np.array([Fraction(1, 2), Fraction(-5, 4), 3], dtype=object), 7).tolist()
[4, 4, 3]
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

from ..circuit import TTRNN, Params, Spec, validate_params
from ..errors import SpecError

__all__ = ["to_field", "params_to_field", "weights_hash", "param_arrays"]


def _float_to_field(a: np.ndarray, p: int, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        raise SpecError(f"{name} has non-finite entries (nan or inf); exact evaluation "
                        "needs finite weights")
    m, e = np.frexp(a)                        # a = m * 2**e, 0.5 <= |m| < 1
    mant = (m * 2.0**53).astype(np.int64)     # exact: 53-bit significand
    k = e.astype(np.int64) - 53               # a = mant * 2**k exactly
    out = np.mod(mant, p)
    for kk in np.unique(k):
        sel = k == kk
        out[sel] = out[sel] * pow(2, int(kk), p) % p
    return out


def _object_to_field(a: np.ndarray, p: int, name: str) -> np.ndarray:
    flat = []
    for v in a.ravel():
        if isinstance(v, bool) or not isinstance(v, (numbers.Rational, float, np.floating)):
            raise SpecError(f"{name} must hold numbers (int, float, Fraction); got "
                            f"{type(v).__name__} {v!r}")
        f = Fraction(v) if not isinstance(v, numbers.Integral) else Fraction(int(v))
        if f.denominator % p == 0:
            raise SpecError(f"{name} has the entry {f}, whose denominator is divisible "
                            f"by the prime {p}; choose another prime")
        flat.append(f.numerator * pow(f.denominator, -1, p) % p)
    return np.array(flat, dtype=np.int64).reshape(a.shape)


def to_field(a, p: int, name: str = "array") -> np.ndarray:
    """The exact image of a numeric array in ``GF(p)`` (int64 residues).

    Floats are dyadic rationals (module docstring); integers are reduced;
    object arrays may hold Python ints, floats and Fractions.

    Parameters
    ----------
    a : array_like
        Floats (finite), integers, or objects (ints, floats, Fractions).
    p : int
        The prime.
    name : str
        How errors name the array.

    Returns
    -------
    ndarray of int64
        Residues in ``[0, p)``.

    Examples
    --------
    >>> to_field(np.array([[2**-60]]), 2_147_483_647).item() == pow(2, -60, 2_147_483_647)
    True
    >>> to_field(np.array([np.nan]), 7)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: array has non-finite entries (nan or inf); exact evaluation needs finite weights
    """
    a = np.asarray(a)
    if a.dtype == object:
        return _object_to_field(a, p, name)
    if a.dtype == bool:
        raise SpecError(f"{name} must be numeric; got a boolean array")
    if np.issubdtype(a.dtype, np.integer):
        return np.mod(a.astype(object) if a.dtype == np.uint64 else a.astype(np.int64),
                      p).astype(np.int64)
    if np.issubdtype(a.dtype, np.floating):
        if p == 2:
            raise SpecError("float weights need an odd prime (2 must be invertible)")
        return _float_to_field(a, p, name)
    raise SpecError(f"{name} must be a real numeric array (float, int or Fraction); "
                    f"got dtype {a.dtype}")


def param_arrays(spec: Spec, params: Params) -> list:
    """``(name, array)`` pairs in the file layout of
    :func:`tnrnn.circuit.save_params` (``W_H1..``, ``W_I1..``, ``W_O``,
    ``h0_1..``; ``G``, ``W_O``, ``h0`` for a TT-RNN).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        The weights.

    Returns
    -------
    list of tuple
        ``(name, ndarray)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params
    >>> spec = RAC(2, 2, 2, 3)
    >>> [name for name, _ in param_arrays(spec, init_params(spec, seed=0))]
    ['W_H1', 'W_H2', 'W_I1', 'W_I2', 'W_O', 'h0_1', 'h0_2']
    """
    if isinstance(spec, TTRNN):
        return [("G", params.G), ("W_O", params.W_O), ("h0", params.h0)]
    L = spec.depth
    return ([(f"W_H{l + 1}", params.W_H[l]) for l in range(L)]
            + [(f"W_I{l + 1}", params.W_I[l]) for l in range(L)]
            + [("W_O", params.W_O)] + [(f"h0_{l + 1}", params.h0[l]) for l in range(L)])


def params_to_field(spec: Spec, params: Params, p: int) -> Params:
    """The parameters' exact images in ``GF(p)`` (same structure, int64).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        The weights (and initial states).
    p : int
        The prime.

    Returns
    -------
    RACParams or TTParams
        int64 residues.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params
    >>> spec = RAC(1, 2, 2, 3)
    >>> q = params_to_field(spec, init_params(spec, seed=0), 101)
    >>> q.W_H[0].dtype, int(q.h0[0][0])
    (dtype('int64'), 1)
    """
    validate_params(spec, params)
    conv = {name: to_field(a, p, name) for name, a in param_arrays(spec, params)}
    if isinstance(spec, TTRNN):
        return type(params)(G=conv["G"], W_O=conv["W_O"], h0=conv["h0"])
    L = spec.depth
    return type(params)(W_H=tuple(conv[f"W_H{l + 1}"] for l in range(L)),
                        W_I=tuple(conv[f"W_I{l + 1}"] for l in range(L)),
                        W_O=conv["W_O"], h0=tuple(conv[f"h0_{l + 1}"] for l in range(L)))


def _exact_strings(a) -> list:
    a = np.asarray(a)
    if a.dtype != object and np.issubdtype(a.dtype, np.floating):
        return [str(Fraction(float(v))) for v in a.ravel()]
    return [str(Fraction(v) if not isinstance(v, numbers.Integral) else Fraction(int(v)))
            for v in a.ravel()]


def weights_hash(spec: Spec, params: Params) -> str:
    """SHA-256 of the weights' exact rational values (names, shapes, values),
    so that the same weights hash alike whether given as floats, integers or
    Fractions.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        The weights.

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, init_params
    >>> spec = RAC(1, 2, 2, 3)
    >>> p = init_params(spec, seed=0)
    >>> q = p._replace(W_O=p.W_O.astype(object))
    >>> weights_hash(spec, p) == weights_hash(spec, q)
    True
    """
    import hashlib

    validate_params(spec, params)
    h = hashlib.sha256()
    for name, a in param_arrays(spec, params):
        to_field(a, 2_147_483_647, name)      # numeric and finite, or SpecError
        h.update(f"{name}{tuple(np.shape(a))}:".encode())
        h.update(",".join(_exact_strings(a)).encode())
        h.update(b";")
    return h.hexdigest()
