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

from __future__ import annotations

import dataclasses
from typing import NamedTuple, Union

import numpy as np

from .errors import SpecError, check_positive_int

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

    Attributes
    ----------
    W_H : tuple of (R, R) arrays
    W_I : tuple of arrays, (R, M) for the first layer and (R, R) above
    W_O : (K, R) array
    h0 : tuple of (R,) arrays, the initial hidden state of each layer
    """

    W_H: tuple
    W_I: tuple
    W_O: np.ndarray
    h0: tuple


class TTParams(NamedTuple):
    """Weights of a TT-RNN: core ``G`` (R, M, R), ``W_O`` (K, R), ``h0`` (R,)."""

    G: np.ndarray
    W_O: np.ndarray
    h0: np.ndarray


Params = Union[RACParams, TTParams]


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

    Raises
    ------
    SpecError
        For a non-float ``dtype`` or a seed numpy cannot use.

    Examples
    --------
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

    Examples
    --------
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

    Examples
    --------
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


def rac_core(W_H: np.ndarray, W_I: np.ndarray) -> np.ndarray:
    """The TT core ``G[i, d, j] = W_H[j, i] * W_I[j, d]`` of one RAC layer.

    **[derived]** ``sum_{i,d} G[i,d,j] h[i] x[d] = (W_H @ h)[j] * (W_I @ x)[j]``.

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
    ``(T, M)`` is promoted to a batch of one."""
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


def random_inputs(spec: Spec, n: int, seed: int = 0, *, dtype=np.float64
                  ) -> np.ndarray:
    """``n`` random Gaussian input sequences, shape ``(n, T, M)``."""
    n = check_positive_int("n", n)
    rng = _rng(seed)
    return rng.standard_normal((n, spec.length, spec.input_dim)).astype(dtype)


def one_hot(symbols, input_dim: int, *, dtype=np.float64) -> np.ndarray:
    """One-hot encode integer symbols in ``[0, input_dim)``.

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


# ------------------------------------------------------------- weight files
def param_names(spec: Spec) -> list:
    """Array names of a weight file (:func:`save_params`), in order.

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


def _named_arrays(spec: Spec, params: Params) -> dict:
    if isinstance(spec, TTRNN):
        return {"G": params.G, "W_O": params.W_O, "h0": params.h0}
    L = spec.depth
    out = {f"W_H{l + 1}": params.W_H[l] for l in range(L)}
    out.update({f"W_I{l + 1}": params.W_I[l] for l in range(L)})
    out["W_O"] = params.W_O
    out.update({f"h0_{l + 1}": params.h0[l] for l in range(L)})
    return out


def save_params(path, spec: Spec, params: Params):
    """Write parameters to a ``.npz`` file: arrays ``W_H1..W_HL``,
    ``W_I1..W_IL``, ``W_O``, ``h0_1..h0_L`` for a RAC; ``G``, ``W_O``, ``h0``
    for a TT-RNN (:func:`param_names`). Float and integer arrays are kept
    exactly; ``object`` arrays (Fractions) cannot be stored (no pickles) and
    are refused. The folder must exist (it is never created).

    Returns the path written.

    Examples
    --------
    >>> import tempfile, os
    >>> spec = RAC(2, 2, 3, 4)
    >>> p = init_params(spec, seed=1)
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> q = load_params(save_params(path, spec, p), spec)
    >>> all(np.array_equal(a, b) for a, b in zip(p.W_H, q.W_H))
    True
    """
    from .errors import check_output_path

    spec = _check_spec(spec)
    validate_params(spec, params)
    arrays = _named_arrays(spec, params)
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype == object or not (np.issubdtype(a.dtype, np.floating)
                                     or np.issubdtype(a.dtype, np.integer)):
            raise SpecError(f"save_params stores float or integer arrays; {name} has "
                            f"dtype {a.dtype} (convert Fractions to floats or integers)")
    target = check_output_path(path, option="path", suffixes=(".npz",))
    with open(target, "wb") as fh:
        np.savez(fh, **{k: np.asarray(v) for k, v in arrays.items()})
    return target


def load_params(path, spec: Spec) -> Params:
    """Read parameters written by :func:`save_params` (or by anyone using its
    layout) and check them against ``spec``.

    The ``h0`` arrays are optional (default all-ones); any other missing or
    unexpected array, or a wrong shape, raises :class:`SpecError` naming it.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> np.savez(path, G=np.ones((2, 2, 2)), W_O=np.ones((1, 2)))
    >>> load_params(path, TTRNN(2, 2, 3)).h0
    array([1., 1.])
    >>> load_params(path, RAC(1, 2, 2, 3))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: weights file ... lacks the arrays W_H1, W_I1 for RAC(depth=1, hidden=2, input_dim=2, length=3, outputs=1) (it has G, W_O)
    """
    import os

    spec = _check_spec(spec)
    if not os.path.isfile(path):
        raise SpecError(f"weights file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise SpecError(f"weights file {str(path)!r} is not a readable .npz file of "
                        f"numeric arrays: {exc}") from None
    names = param_names(spec)
    required = [n for n in names if not n.startswith("h0")]
    missing = [n for n in required if n not in arrays]
    if missing:
        raise SpecError(f"weights file {str(path)!r} lacks the arrays {', '.join(missing)} "
                        f"for {spec} (it has {', '.join(sorted(arrays)) or 'nothing'})")
    extra = sorted(set(arrays) - set(names))
    if extra:
        raise SpecError(f"weights file {str(path)!r} has arrays {', '.join(extra)} that "
                        f"{spec} does not use (expected {', '.join(names)})")
    for k, a in arrays.items():
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise SpecError(f"weights file array {k} must be float or integer; got dtype "
                            f"{a.dtype}")
    R = spec.hidden

    def h0(name):
        if name in arrays:
            return arrays[name]
        like = arrays["W_O"].dtype
        return np.ones(R, dtype=like)

    if isinstance(spec, TTRNN):
        params = TTParams(G=arrays["G"], W_O=arrays["W_O"], h0=h0("h0"))
    else:
        L = spec.depth
        params = RACParams(W_H=tuple(arrays[f"W_H{l}"] for l in range(1, L + 1)),
                           W_I=tuple(arrays[f"W_I{l}"] for l in range(1, L + 1)),
                           W_O=arrays["W_O"],
                           h0=tuple(h0(f"h0_{l}") for l in range(1, L + 1)))
    return validate_params(spec, params)
