"""Exact, vectorised arithmetic modulo a prime ``p < 2**31`` in numpy.

Residues are ``int64`` arrays with entries in ``[0, p)``. The product of two
residues is below ``2**62`` and fits in ``int64``, but a sum of ``K`` such
products does not, so a matrix product is never taken on raw residues: the
state is split into 16-bit halves first (:func:`matmul_mod`). This is
the numerical core of ``tnrnn.rank``; :func:`evaluate_modp` uses it to run a
RAC (any depth) or a TT-RNN on a batch of sequences with every operation
reduced modulo ``p``.

Examples
--------
>>> import numpy as np
>>> p = 2_147_483_647
>>> S = np.array([[p - 1, p - 2]])
>>> W = np.array([[p - 3, 5], [7, p - 1]])
>>> matmul_mod(S, W, p)      # (-1)(-3) + (-2)(7) = -11, and (-1)(5) + (-2)(-1) = -3
array([[2147483636, 2147483644]])
"""

from __future__ import annotations

import numpy as np

from ..circuit import DEFAULT_PRIME, TTRNN, Params, Spec, check_inputs, validate_params
from ..errors import SpecError, check_positive_int
from ._engine import Circuit, Engine, SplitT

__all__ = ["check_prime", "is_prime", "matmul_mod", "mul_mod", "evaluate_modp",
           "params_to_residues", "TILE_PAIRS"]

#: Most circuit copies stepped together in one tile (cache-sized work buffers;
#: see ``Circuit.tile`` in ``_engine.py`` for the per-circuit size).
TILE_PAIRS = 16384


def is_prime(n: int) -> bool:
    """Deterministic primality test for ``n < 3.3e24`` (Miller-Rabin with the
    first 13 prime bases), which covers every prime ``tnrnn`` accepts.

    Parameters
    ----------
    n : int
        The number to test.

    Returns
    -------
    bool
        Whether ``n`` is prime.

    Examples
    --------
    >>> [n for n in range(20) if is_prime(n)]
    [2, 3, 5, 7, 11, 13, 17, 19]
    >>> is_prime(2_147_483_647), is_prime(2_147_483_649)
    (True, False)
    """
    n = int(n)
    if n < 2:
        return False
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for b in bases:
        if n % b == 0:
            return n == b
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def check_prime(prime: object) -> int:
    """Return ``prime`` as an ``int`` if it is a prime below ``2**31``.

    Parameters
    ----------
    prime : int
        The number to check.

    Returns
    -------
    int
        ``prime``.

    Examples
    --------
    >>> check_prime(101)
    101
    >>> check_prime(100)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: prime must be a prime number in [2, 2**31); got 100, which is not prime
    >>> check_prime(2**31 + 11)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: prime must be a prime number in [2, 2**31) so that a product of two residues fits in int64; got 2147483659
    """
    prime = check_positive_int("prime", prime, minimum=2)
    if prime >= 2**31:
        raise SpecError("prime must be a prime number in [2, 2**31) so that a product "
                        f"of two residues fits in int64; got {prime}")
    if not is_prime(prime):
        raise SpecError(f"prime must be a prime number in [2, 2**31); got {prime}, "
                        "which is not prime")
    return prime


def matmul_mod(S: np.ndarray, W: np.ndarray, p: int) -> np.ndarray:
    """``S @ W mod p`` for residue arrays, exactly, without overflow.

    Parameters
    ----------
    S : integer array of shape (n, K), entries in ``[0, p)``
    W : integer array of shape (K, J), entries in ``[0, p)``
    p : int
        A modulus ``2 <= p < 2**31``.

    Returns
    -------
    int64 array of shape (n, J), entries in ``[0, p)``.

    Notes
    -----
    **Why nothing overflows or rounds.** Split ``S = hi * 2**16 + lo`` with
    ``0 <= lo < 2**16`` and ``0 <= hi < 2**15`` (possible as ``S < p <
    2**31``) and let ``W' = W * 2**16 mod p``, so that
    ``S @ W = lo @ W + hi @ W' (mod p)``. Over a block of ``k <= 32`` inner
    indices every term is below ``2**16 * 2**31 = 2**47`` (``lo`` terms) or
    ``2**15 * 2**31 = 2**46`` (``hi`` terms), so every partial sum of the
    ``2k`` terms is a non-negative integer below
    ``32 * (2**47 + 2**46) < 2**53``. Such integers are exactly representable
    in float64, so one float64 BLAS product ``[lo | hi] @ [W; W']`` computes
    them *exactly*, whatever its summation order and whether or not it uses
    fused multiply-adds. The result is converted to 64-bit integers and
    reduced mod ``p``; longer sums add reduced blocks (``< p + 2**53``), far
    below ``2**63``. (Products of two residues, as in :func:`mul_mod`, are
    below ``2**62``.)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = 2_147_483_647
    >>> S, W = rng.integers(0, p, (3, 100)), rng.integers(0, p, (100, 2))
    >>> exact = (S.astype(object) @ W.astype(object)) % p
    >>> bool((matmul_mod(S, W, p) == exact).all())
    True
    """
    S = np.asarray(S, dtype=np.int64)
    W = np.asarray(W, dtype=np.int64)
    if S.ndim != 2 or W.ndim != 2 or S.shape[1] != W.shape[0]:
        raise SpecError(f"matmul_mod needs (n, K) @ (K, J) matrices; got shapes "
                        f"{S.shape} and {W.shape}")
    out = Engine(p).product(SplitT(W.T, p), np.ascontiguousarray(S.T, dtype=np.uint64))
    return out.T.astype(np.int64)


def mul_mod(a: np.ndarray, b: np.ndarray, p: int, out: np.ndarray | None = None
            ) -> np.ndarray:
    """Elementwise ``a * b mod p`` for residues (broadcasting).

    Both factors are below ``p < 2**31``, so the product is below ``2**62``
    and fits in int64 before the reduction.

    Parameters
    ----------
    a, b : ndarray of int64
        Residues in ``[0, p)`` (broadcast against each other).
    p : int
        A prime below ``2**31``.
    out : ndarray, optional
        Where to write the result.

    Returns
    -------
    ndarray of int64
        ``a * b mod p``.

    Examples
    --------
    >>> mul_mod(np.array([2_147_483_646]), np.array([2_147_483_646]), 2_147_483_647)
    array([1])
    """
    out = np.multiply(a, b, out=out)
    return np.remainder(out, p, out=out)


def params_to_residues(spec: Spec, params: Params, p: int) -> Params:
    """The same parameters as int64 residues in ``[0, p)`` (integers only;
    negative entries map to their residues).

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Integer parameters.
    p : int
        The prime.

    Returns
    -------
    RACParams or TTParams
        The same structure, int64 residues.

    Examples
    --------
    >>> from tnrnn.circuit import TTRNN, init_params_modp
    >>> spec = TTRNN(2, 2, 3)
    >>> q = init_params_modp(spec, prime=101, seed=0)
    >>> int(params_to_residues(spec, q._replace(h0=np.array([-1, 1])), 101).h0[0])
    100
    """
    validate_params(spec, params)

    def conv(a):
        arr = np.asarray(a)
        if arr.dtype == object:
            return np.array([int(v) % p for v in arr.ravel()],
                            dtype=np.int64).reshape(arr.shape)
        if not np.issubdtype(arr.dtype, np.integer):
            raise SpecError(f"exact evaluation needs integer parameters; got dtype "
                            f"{arr.dtype} (use tnrnn.circuit.init_params_modp)")
        return np.mod(arr.astype(np.int64), p)

    if isinstance(spec, TTRNN):
        return type(params)(G=conv(params.G), W_O=conv(params.W_O), h0=conv(params.h0))
    return type(params)(W_H=tuple(conv(w) for w in params.W_H),
                        W_I=tuple(conv(w) for w in params.W_I),
                        W_O=conv(params.W_O), h0=tuple(conv(h) for h in params.h0))


def _inputs_to_residues(X: np.ndarray, p: int) -> np.ndarray:
    if X.dtype == object:
        return np.array([int(v) % p for v in X.ravel()], dtype=np.int64).reshape(X.shape)
    if not np.issubdtype(X.dtype, np.integer):
        raise SpecError(f"exact evaluation needs integer inputs; got dtype {X.dtype}")
    return np.mod(X.astype(np.int64), p)


def evaluate_modp(spec: Spec, params: Params, X, prime: int = DEFAULT_PRIME
                  ) -> np.ndarray:
    """Evaluate a batch of sequences exactly modulo ``prime`` (vectorised).

    The same circuit as :func:`tnrnn.circuit.evaluate` with ``modulus=prime``,
    computed in 64-bit numpy arrays (products split as in :func:`matmul_mod`)
    instead of Python integers.

    Parameters
    ----------
    spec : RAC or TTRNN
    params : RACParams or TTParams with integer entries (any integers; they
        are reduced modulo ``prime`` first)
    X : integer array of shape (N, T, M) or (T, M)
    prime : int
        A prime below ``2**31``; default :data:`tnrnn.circuit.DEFAULT_PRIME`.

    Returns
    -------
    int64 array of shape (N, K), entries in ``[0, prime)``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, evaluate, init_params_modp
    >>> spec = RAC(depth=3, hidden=3, input_dim=2, length=5, outputs=2)
    >>> params = init_params_modp(spec, seed=0)
    >>> X = np.random.default_rng(1).integers(0, 2**31 - 1, (4, 5, 2))
    >>> ref = evaluate(spec, params, X.astype(object), modulus=2**31 - 1)
    >>> bool((evaluate_modp(spec, params, X) == ref).all())
    True
    """
    p = check_prime(prime)
    params = params_to_residues(spec, params, p)
    X = _inputs_to_residues(check_inputs(spec, X), p)
    N, T = X.shape[0], spec.length
    circ = Circuit(params, p, isinstance(spec, TTRNN), None)
    eng = Engine(p)
    feeds = [circ.project(eng, X[:, t].T) for t in range(T)]
    Y = np.empty((N, spec.outputs), dtype=np.int64)
    c = circ.tile(TILE_PAIRS)
    for r0 in range(0, N, c):
        r1 = min(N, r0 + c)
        out = circ.run_tile(eng, [h[:, None, None] for h in circ.h0],
                            [f[:, r0:r1, None] for f in feeds], r1 - r0, 1)
        Y[r0:r1] = out.T
    return Y
