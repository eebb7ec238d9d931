"""Step-by-step evaluation of a circuit: float, exact (Python integers or
Fractions) and modular; the RAC's TT core; input checks and one-hot inputs.
Public through :mod:`tnrnn.circuit`.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError, check_positive_int
from ._init import validate_params
from ._specs import TTRNN, Params, Spec, _check_spec


def rac_core(W_H: np.ndarray, W_I: np.ndarray) -> np.ndarray:
    """The TT core ``G[i, d, j] = W_H[j, i] * W_I[j, d]`` of one RAC layer.

    **[derived]** ``sum_{i,d} G[i,d,j] h[i] x[d] = (W_H @ h)[j] * (W_I @ x)[j]``.

    Parameters
    ----------
    W_H : (R, R) array
        Recurrent weights of the layer.
    W_I : (R, M) array
        Input weights of the layer.

    Returns
    -------
    array of shape (R, M, R)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> WH, WI = rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    >>> h, x = rng.normal(size=2), rng.normal(size=3)
    >>> G = rac_core(WH, WI)
    >>> bool(np.allclose(np.einsum('idj,i,d->j', G, h, x), (WH @ h) * (WI @ x)))
    True
    """
    return np.einsum("ji,jd->idj", W_H, W_I)


def check_inputs(spec: Spec, X) -> np.ndarray:
    """Return inputs as an array of shape ``(N, T, M)``; a single sequence
    ``(T, M)`` is promoted to a batch of one.

    Parameters
    ----------
    spec : RAC or TTRNN
        Gives ``T`` (``spec.length``) and ``M`` (``spec.input_dim``).
    X : array-like of shape (N, T, M) or (T, M)

    Returns
    -------
    array of shape (N, T, M)

    Raises
    ------
    SpecError
        For any other shape, naming the shape given.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> check_inputs(RAC(1, 2, 3, 4), np.zeros((4, 3))).shape
    (1, 4, 3)
    >>> check_inputs(RAC(1, 2, 3, 4), np.zeros((2, 5, 3)))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: inputs must have shape (N, 4, 3) (batch, length T, input_dim M); got shape (2, 5, 3)
    """
    X = np.asarray(X)
    if X.ndim == 2:
        X = X[None]
    want = (spec.length, spec.input_dim)
    if X.ndim != 3 or X.shape[1:] != want:
        raise SpecError(f"inputs must have shape (N, {want[0]}, {want[1]}) "
                        f"(batch, length T, input_dim M); got shape {X.shape}")
    return X


def evaluate(spec: Spec, params: Params, X, *, modulus: int | None = None
             ) -> np.ndarray:
    """Step-by-step evaluation of the circuit on a batch of sequences.

    Parameters
    ----------
    spec : RAC or TTRNN
    params : RACParams or TTParams
    X : array of shape (N, T, M) or (T, M)
        Input feature vectors ``f(x_t)``. When the inputs and every
        parameter are integers (any integer dtype, or ``object`` arrays of
        Python ints or Fractions), the evaluation is exact: it runs on Python
        integers (object arrays) and never overflows, so integer weights of
        :func:`init_params_modp` give the true (possibly hundreds of digits)
        value. Otherwise it runs in floating point.
    modulus : int, optional
        Reduce every intermediate modulo this number. Parameters and inputs
        (integers) are then converted to Python ints, so nothing overflows:
        slow, but exact; the ground truth for ``tnrnn.rank``.

    Returns
    -------
    array of shape (N, K)
        Float for float input; an object array of exact Python numbers for
        integer input or when ``modulus`` is given.

    Examples
    --------
    Depth 1, one step, all-ones state: ``y = W_O ((W_H 1) * (W_I x))``.

    >>> from tnrnn.circuit import RAC, RACParams
    >>> spec = RAC(1, 2, 2, 1)
    >>> p = RACParams(W_H=(np.eye(2),), W_I=(np.array([[1., 2], [3, 4]]),),
    ...               W_O=np.array([[1., 1]]), h0=(np.ones(2),))
    >>> evaluate(spec, p, np.array([[[1., 0]]]))
    array([[4.]])

    Integer weights and inputs are exact, however large the value:

    >>> q = RACParams(W_H=(np.full((2, 2), 2**40),), W_I=(np.full((2, 2), 2**40),),
    ...               W_O=np.array([[1, 1]]), h0=(np.ones(2, dtype=np.int64),))
    >>> evaluate(spec, q, np.array([[[2**40, 0]]]))[0, 0] == 2 * (2 * 2**40) * 2**80
    True
    """
    spec = _check_spec(spec)
    validate_params(spec, params)
    X = check_inputs(spec, X)
    if modulus is None and _all_exact(params, X):
        params = _as_object(params)
        X = np.asarray(X).astype(object)
    if modulus is not None:
        # Python ints (object arrays): sums of products never overflow.
        modulus = check_positive_int("modulus", modulus, minimum=2)
        params = _as_object(params)
        X = np.asarray(X).astype(object)
    red = (lambda a: a % modulus) if modulus else (lambda a: a)
    N, T = X.shape[0], spec.length
    if isinstance(spec, TTRNN):
        h = np.broadcast_to(params.h0, (N, spec.hidden))
        for t in range(T):
            h = red(np.einsum("ni,idj,nd->nj", h, params.G, X[:, t]))
        return red(h @ params.W_O.T)
    seq = [X[:, t] for t in range(T)]
    for l in range(spec.depth):
        h = np.broadcast_to(params.h0[l], (N, spec.hidden))
        out = []
        for t in range(T):
            h = red(red(h @ params.W_H[l].T) * red(seq[t] @ params.W_I[l].T))
            out.append(h)
        seq = out
    return red(seq[-1] @ params.W_O.T)


def _is_exact(a) -> bool:
    a = np.asarray(a)
    return a.dtype == object or (np.issubdtype(a.dtype, np.integer) and a.dtype != bool)


def _all_exact(params: Params, X) -> bool:
    arrays = [X]
    for f in params:
        arrays.extend(f if isinstance(f, tuple) else [f])
    return all(_is_exact(a) for a in arrays)


def _as_object(params: Params) -> Params:
    """The same parameters as object arrays of Python ints."""
    def obj(a):
        a = np.asarray(a)
        if a.dtype != object and not np.issubdtype(a.dtype, np.integer):
            raise SpecError(f"modular evaluation needs integer parameters; got dtype {a.dtype}")
        return a.astype(object)
    return type(params)(*[tuple(map(obj, f)) if isinstance(f, tuple) else obj(f)
                          for f in params])


def one_hot(symbols, input_dim: int, *, dtype=np.float64) -> np.ndarray:
    """One-hot encode integer symbols in ``[0, input_dim)``.

    Parameters
    ----------
    symbols : array-like of int
        Any shape, e.g. ``(N, T)``.
    input_dim : int
        The alphabet size ``M``.
    dtype : numpy dtype, default float64

    Returns
    -------
    array of shape ``symbols.shape + (input_dim,)``

    Raises
    ------
    SpecError
        For a symbol outside ``[0, input_dim)`` or a non-integer one.

    Examples
    --------
    >>> one_hot([[0, 2]], 3)
    array([[[1., 0., 0.],
            [0., 0., 1.]]])
    """
    input_dim = check_positive_int("input_dim", input_dim)
    s = np.asarray(symbols)
    if s.size and (not np.issubdtype(s.dtype, np.integer) or s.min() < 0
                   or s.max() >= input_dim):
        raise SpecError(f"symbols must be integers in [0, {input_dim}); got "
                        f"values from {s.min()} to {s.max()}")
    return np.eye(input_dim, dtype=dtype)[s]
