"""Seeded parameters (float Gaussian, or integers mod a prime), their
validation, and random inputs. Public through :mod:`tnrnn.circuit`.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError, check_positive_int
from ._specs import (DEFAULT_PRIME, TTRNN, Params, RACParams, Spec, TTParams, _check_spec,
                     _shapes)


def _rng(seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)`` for a non-negative integer seed (or a
    sequence of them), else SpecError naming the seed."""
    import numbers

    ok = (not isinstance(seed, bool) and isinstance(seed, numbers.Integral) and seed >= 0)
    if not ok and isinstance(seed, (list, tuple)):
        ok = bool(seed) and all(not isinstance(v, bool) and isinstance(v, numbers.Integral)
                                and v >= 0 for v in seed)
    if not ok:
        raise SpecError(f"seed must be a non-negative integer; got {seed!r}")
    return np.random.default_rng(seed)


def _resolve_h0(spec: Spec, h0, make) -> object:
    """Initial states: default all-ones; one vector (shared by every layer)
    or a sequence with one vector per layer."""
    R, L = spec.hidden, spec.depth
    if h0 is None:
        vecs = [make(np.ones(R, dtype=np.int64)) for _ in range(L)]
    else:
        arr = np.asarray(h0)
        if arr.ndim == 1:
            vecs = [make(arr) for _ in range(L)]
        elif arr.ndim == 2:
            vecs = [make(arr[l]) for l in range(arr.shape[0])]
        else:
            raise SpecError(
                f"h0 must be one vector of length {R} or {L} such vectors; "
                f"got an array of shape {arr.shape}")
    return vecs[0] if isinstance(spec, TTRNN) else tuple(vecs)


def init_params(spec: Spec, seed: int = 0, *, h0=None,
                dtype=np.float64) -> Params:
    """Seeded float parameters, Gaussian with variance ``1 / fan_in``.

    Parameters
    ----------
    spec : RAC or TTRNN
    seed : int
        Seed of ``numpy.random.default_rng``.
    h0 : array-like, optional
        Initial hidden state(s); default all-ones. Must be non-zero: a zero
        state makes the output identically zero.
    dtype : numpy dtype, default float64
        A floating dtype (float16/32/64); integer dtypes are refused, since
        rounding Gaussian weights to integers would make most of them zero
        (use :func:`init_params_modp` for exact integer weights).

    Returns
    -------
    RACParams or TTParams
        Validated against ``spec``.

    Raises
    ------
    SpecError
        For a non-float ``dtype`` or a seed numpy cannot use.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> p = init_params(RAC(2, 3, 4, 5), seed=0)
    >>> [w.shape for w in p.W_I]
    [(3, 4), (3, 3)]
    >>> p.h0[0]
    array([1., 1., 1.])
    >>> init_params(RAC(1, 2, 2, 2), dtype=np.int64)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: dtype must be a floating dtype (float16, float32, float64); got int64 (integer Gaussian weights would round to mostly zeros; use init_params_modp for exact integer weights)
    """
    spec = _check_spec(spec)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise SpecError(f"dtype must be a floating dtype (float16, float32, float64); "
                        f"got {dtype!r}") from None
    if not np.issubdtype(dt, np.floating):
        raise SpecError(f"dtype must be a floating dtype (float16, float32, float64); got "
                        f"{dt} (integer Gaussian weights would round to mostly zeros; use "
                        "init_params_modp for exact integer weights)")
    rng = _rng(seed)
    shapes = _shapes(spec)

    def gauss(shape, fan_in):
        return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(dtype)

    make = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
    if isinstance(spec, TTRNN):
        R, M = spec.hidden, spec.input_dim
        params = TTParams(G=gauss(shapes["G"], R * M),
                          W_O=gauss(shapes["W_O"], R),
                          h0=_resolve_h0(spec, h0, make))
    else:
        params = RACParams(
            W_H=tuple(gauss(s, s[1]) for s in shapes["W_H"]),
            W_I=tuple(gauss(s, s[1]) for s in shapes["W_I"]),
            W_O=gauss(shapes["W_O"], spec.hidden),
            h0=_resolve_h0(spec, h0, make),
        )
    validate_params(spec, params)
    return params


def init_params_modp(spec: Spec, prime: int = DEFAULT_PRIME, seed: int = 0,
                     *, h0=None) -> Params:
    """Seeded integer parameters drawn uniformly from ``GF(prime)``.

    Arrays are ``int64`` with entries in ``[0, prime)``; the initial states
    default to all-ones. Used by the exact rank methods (``tnrnn.rank``).

    Parameters
    ----------
    spec : RAC or TTRNN
    prime : int, default DEFAULT_PRIME
        A modulus ``2 <= prime < 2**31`` (so that products fit in int64).
    seed : int
        Seed of ``numpy.random.default_rng``.
    h0 : array-like, optional
        Initial hidden state(s), reduced mod ``prime``; default all-ones.

    Returns
    -------
    RACParams or TTParams
        ``int64`` arrays with entries in ``[0, prime)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> p = init_params_modp(RAC(1, 2, 2, 4), prime=101, seed=3)
    >>> int(p.W_H[0].max()) < 101, p.W_H[0].dtype
    (True, dtype('int64'))
    """
    spec = _check_spec(spec)
    prime = check_positive_int("prime", prime, minimum=2)
    if prime >= 2**31:
        raise SpecError(f"prime must be below 2**31 so that products fit in "
                        f"int64; got {prime}")
    rng = _rng(seed)
    shapes = _shapes(spec)

    def draw(shape):
        return rng.integers(0, prime, size=shape, dtype=np.int64)

    make = lambda a: np.mod(np.asarray(a, dtype=np.int64), prime)  # noqa: E731
    if isinstance(spec, TTRNN):
        params = TTParams(G=draw(shapes["G"]), W_O=draw(shapes["W_O"]),
                          h0=_resolve_h0(spec, h0, make))
    else:
        params = RACParams(
            W_H=tuple(draw(s) for s in shapes["W_H"]),
            W_I=tuple(draw(s) for s in shapes["W_I"]),
            W_O=draw(shapes["W_O"]),
            h0=_resolve_h0(spec, h0, make),
        )
    validate_params(spec, params)
    return params


def validate_params(spec: Spec, params: Params) -> Params:
    """Check that ``params`` has the shapes ``spec`` needs; return it.

    Raises :class:`~tnrnn.errors.SpecError` naming the offending array, the
    shape given and the shape expected.

    Parameters
    ----------
    spec : RAC or TTRNN
    params : RACParams or TTParams

    Returns
    -------
    RACParams or TTParams
        ``params`` itself.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> spec = RAC(1, 2, 3, 4)
    >>> p = init_params(spec)
    >>> validate_params(spec, p._replace(W_O=np.ones((1, 5))))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: W_O must have shape (1, 2); got shape (1, 5)
    """
    spec = _check_spec(spec)
    expected_type = TTParams if isinstance(spec, TTRNN) else RACParams
    if not isinstance(params, expected_type):
        raise SpecError(f"params for a {type(spec).__name__} must be "
                        f"{expected_type.__name__}; got {type(params).__name__}")
    for name, shape in _shapes(spec).items():
        value = getattr(params, name)
        if isinstance(shape, list):
            if not isinstance(value, (tuple, list)) or len(value) != len(shape):
                got = len(value) if isinstance(value, (tuple, list)) else type(value).__name__
                raise SpecError(f"{name} must be a tuple of {len(shape)} arrays "
                                f"(one per layer); got {got}")
            items = [(f"{name}[{l}]", v, s) for l, (v, s) in enumerate(zip(value, shape))]
        else:
            items = [(name, value, shape)]
        for label, v, s in items:
            got = tuple(np.shape(v))
            if got != s:
                raise SpecError(f"{label} must have shape {s}; got shape {got}")
    h0s = [params.h0] if isinstance(spec, TTRNN) else list(params.h0)
    for l, v in enumerate(h0s):
        if not np.any(np.asarray(v) != 0):
            raise SpecError(f"h0 of layer {l + 1} is all zeros, which makes the "
                            "output identically zero; give a non-zero initial state")
    return params


def random_inputs(spec: Spec, n: int, seed: int = 0, *, dtype=np.float64
                  ) -> np.ndarray:
    """``n`` random Gaussian input sequences, shape ``(n, T, M)``.

    Parameters
    ----------
    spec : RAC or TTRNN
    n : int
        Number of sequences, ``>= 1``.
    seed : int
        Seed of ``numpy.random.default_rng``.
    dtype : numpy dtype, default float64

    Returns
    -------
    array of shape (n, T, M)

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> X = random_inputs(RAC(1, 2, 3, 4), 5, seed=1)
    >>> X.shape, bool((X == random_inputs(RAC(1, 2, 3, 4), 5, seed=1)).all())
    ((5, 4, 3), True)
    """
    n = check_positive_int("n", n)
    rng = _rng(seed)
    return rng.standard_normal((n, spec.length, spec.input_dim)).astype(dtype)
