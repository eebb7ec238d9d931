"""Approximate separation ranks in floating point: JAX float64 + SVD.

The same kind of sample matrix as :func:`tnrnn.rank.separation_rank`,
``Y[i, j] = y(a_i ++ b_j)``, but with real Gaussian weights and inputs,
evaluated in float64 with JAX, and its rank read off the singular values with
a stated tolerance. Fast to write and handy for plots of the spectrum, but
**approximate**: for deep RACs (L >= 2) the singular values span many orders
of magnitude with no clean gap (docs/theory.md section 3), so the count depends on
the tolerance and can be wrong either way. Results say so: ``approximate``
is ``True`` and ``method`` is :data:`APPROX_METHOD`. For a certified value
use :func:`tnrnn.rank.separation_rank`.

JAX is imported on the first call (``MissingDependencyError`` if absent);
computations run inside ``jax.enable_x64(True)`` (:func:`tnrnn._jax.x64`), so they are float64
without changing the process-wide JAX settings.

Examples
--------
>>> from tnrnn.circuit import RAC
>>> res = approx_separation_rank(RAC(depth=1, hidden=3, input_dim=3, length=6))
>>> res.rank, res.approximate, res.method
(3, True, 'approximate-svd-float64-jax')
"""

from __future__ import annotations

import dataclasses
import numbers
import time

import numpy as np

from .._jax import x64
from ..circuit import TTRNN, init_params
from ..errors import MissingDependencyError, SpecError
from ..partition import Partition
from ..rank.sampling import HALF_BLOCK, SIDE_TAGS
from ..rank.separation import (DEFAULT_MAX_SAMPLES, check_rank_arguments,
                               first_sample_size, next_sample_size, one_hot_sizes,
                               sample_cap)

__all__ = ["APPROX_METHOD", "ApproxRankResult", "approx_separation_rank",
           "float_halves", "float_sample_matrix", "svd_rank"]

APPROX_METHOD = "approximate-svd-float64-jax"
#: Float64 entries of merged input sequences built per JAX call.
_CHUNK_ENTRIES = 1 << 21


@dataclasses.dataclass(frozen=True)
class ApproxRankResult:
    """A separation rank read off float64 singular values: **approximate**.

    Parameters
    ----------
    rank : int
        Number of singular values above ``tol``.
    method : str
        :data:`APPROX_METHOD`.
    approximate : bool
        Always ``True``: no certificate, no guarantee either way.
    inputs, partition, seed, output, spec
        As for :class:`tnrnn.rank.RankResult`.
    samples : tuple of int
        ``(n_A, n_B)``.
    tol : float
        The threshold used (absolute, on singular values).
    singular_values : tuple of float
        The whole spectrum of the final sample matrix, largest first.
    timings : dict
        Seconds: ``"evaluate"``, ``"svd"``, ``"total"``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.partition import start_end
    >>> res = ApproxRankResult(rank=2, method=APPROX_METHOD, inputs="continuous",
    ...                        partition=start_end(4), seed=0, samples=(3, 3), tol=1e-9,
    ...                        singular_values=(2.0, 0.5, 1e-14), timings={})
    >>> res.approximate, sum(s > res.tol for s in res.singular_values) == res.rank
    (True, True)
    """

    rank: int
    method: str
    inputs: str
    partition: Partition
    seed: int
    samples: tuple
    tol: float
    singular_values: tuple = dataclasses.field(repr=False)
    timings: dict = dataclasses.field(repr=False, compare=False)
    output: int = 0
    spec: object = None
    approximate: bool = True

    exact = False

    def describe(self) -> str:
        n_a, n_b = self.samples
        s = self.singular_values
        spread = (f"singular values from {s[0]:.3g} down to {s[-1]:.3g}" if s
                  else "no singular values")
        return (f"approximate {self.inputs} rank ({self.partition.name}) ~ {self.rank} "
                f"(float64 SVD, tol={self.tol:.3g}, {n_a} x {n_b} samples, {spread}); "
                f"not certified")

    def to_dict(self) -> dict:
        return {"rank": self.rank, "method": self.method, "approximate": True,
                "exact": False, "inputs": self.inputs,
                "partition": self.partition.to_dict(), "seed": self.seed,
                "output": self.output, "samples": list(self.samples), "tol": self.tol,
                "singular_values": list(self.singular_values),
                "timings": dict(self.timings),
                "spec": None if self.spec is None else self.spec.to_dict()}


# ------------------------------------------------------------------ JAX parts
def _jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        raise MissingDependencyError(
            "approx_separation_rank needs jax (pip install 'tnrnn[jax]'); the exact "
            "tnrnn.rank.separation_rank does not") from exc
    return jax, jnp


_FORWARD: dict = {}


def _forward(tt: bool):
    """Jitted ``(params, X) -> y`` for one output row ``w`` (float64)."""
    if tt in _FORWARD:
        return _FORWARD[tt]
    jax, jnp = _jax()

    if tt:
        def fwd(G, w, h0, X):
            h = jnp.broadcast_to(h0, (X.shape[0], h0.shape[0]))

            def step(h, x):
                return jnp.einsum("ni,idj,nd->nj", h, G, x), None

            h, _ = jax.lax.scan(step, h, jnp.swapaxes(X, 0, 1))
            return h @ w
    else:
        def fwd(W_H, W_I, w, h0, X):
            carry0 = tuple(jnp.broadcast_to(h, (X.shape[0], h.shape[0])) for h in h0)

            def step(carry, x):
                below, new = x, []
                for l in range(len(W_H)):
                    below = (carry[l] @ W_H[l].T) * (below @ W_I[l].T)
                    new.append(below)
                return tuple(new), None

            carry, _ = jax.lax.scan(step, carry0, jnp.swapaxes(X, 0, 1))
            return carry[-1] @ w

    _FORWARD[tt] = jax.jit(fwd)
    return _FORWARD[tt]


def float_halves(seed: int, side: str, start: int, stop: int, steps: int,
                 input_dim: int) -> np.ndarray:
    """Standard-normal halves ``start..stop-1`` of side ``side``: half ``i``
    is row ``i % 64`` of ``default_rng([seed, 1 or 2, i // 64])
    .standard_normal((64, steps, input_dim))`` (so prefixes are stable).

    Parameters
    ----------
    seed : int
        The seed.
    side : {"A", "B"}
        Which side.
    start, stop : int
        The halves ``start..stop-1``.
    steps : int
        Time steps on that side.
    input_dim : int
        Entries of each input.

    Returns
    -------
    ndarray of float64, shape (stop - start, steps, input_dim)
        The halves.

    Examples
    --------
    >>> float_halves(0, "A", 0, 3, 2, 2).shape
    (3, 2, 2)
    >>> a = float_halves(3, "B", 0, 100, 2, 2)
    >>> bool((float_halves(3, "B", 70, 90, 2, 2) == a[70:90]).all())
    True
    """
    tag = SIDE_TAGS[side]
    if stop <= start:
        return np.zeros((0, steps, input_dim))
    first, last = start // HALF_BLOCK, (stop - 1) // HALF_BLOCK
    rows = np.concatenate([np.random.default_rng([seed, tag, b]).standard_normal(
        (HALF_BLOCK, steps, input_dim)) for b in range(first, last + 1)])
    off = first * HALF_BLOCK
    return rows[start - off:stop - off]


def float_sample_matrix(spec, params, partition: Partition, XA, XB, *,
                        output: int = 0) -> np.ndarray:
    """``Y[i, j] = y_output(XA[i] ++ XB[j])`` in float64, evaluated with JAX.

    Parameters
    ----------
    spec : RAC or TTRNN
        The circuit.
    params : RACParams or TTParams
        Float weights.
    partition : Partition
        The split of the time steps.
    XA, XB : ndarray of float64
        Halves of side A ``(n_A, |A|, M)`` and B ``(n_B, |B|, M)``.
    output : int
        The output.

    Returns
    -------
    ndarray of float64, shape (n_A, n_B)
        ``Y``.

    Examples
    --------
    >>> from tnrnn.circuit import RAC, evaluate, init_params
    >>> from tnrnn.partition import start_end
    >>> from tnrnn.rank import merge_halves
    >>> spec = RAC(2, 2, 2, 4)
    >>> p = init_params(spec, seed=0)
    >>> XA, XB = float_halves(0, "A", 0, 3, 2, 2), float_halves(0, "B", 0, 2, 2, 2)
    >>> Y = float_sample_matrix(spec, p, start_end(4), XA, XB)
    >>> full = merge_halves(start_end(4), XA[:, None], XB[None, :]).reshape(6, 4, 2)
    >>> bool(np.allclose(Y.ravel(), evaluate(spec, p, full)[:, 0], rtol=1e-12))
    True
    """
    jax, jnp = _jax()
    XA, XB = np.asarray(XA, dtype=np.float64), np.asarray(XB, dtype=np.float64)
    NA, NB = XA.shape[0], XB.shape[0]
    T, M = spec.length, spec.input_dim
    ia = np.array(partition.A) - 1
    ib = np.array(partition.B) - 1
    tt = isinstance(spec, TTRNN)
    fwd = _forward(tt)
    c = max(1, min(NA, _CHUNK_ENTRIES // max(1, NB * T * M)))
    Y = np.empty((NA, NB))
    with x64():
        f64 = lambda a: jnp.asarray(np.asarray(a, dtype=np.float64))  # noqa: E731
        w = f64(params.W_O[output])
        if tt:
            args = (f64(params.G), w, f64(params.h0))
        else:
            args = (tuple(f64(a) for a in params.W_H), tuple(f64(a) for a in params.W_I),
                    w, tuple(f64(h) for h in params.h0))
        for r0 in range(0, NA, c):
            rows = XA[r0:r0 + c]
            if rows.shape[0] < c:  # pad: one compiled shape per call
                rows = np.concatenate([rows, np.zeros((c - rows.shape[0],) + rows.shape[1:])])
            X = np.empty((c, NB, T, M))
            X[:, :, ia] = rows[:, None]
            X[:, :, ib] = XB[None]
            y = np.asarray(fwd(*args, f64(X.reshape(c * NB, T, M)))).reshape(c, NB)
            n = min(c, NA - r0)
            Y[r0:r0 + n] = y[:n]
    return Y


def svd_rank(Y, tol: float | None = None) -> tuple[int, float, np.ndarray]:
    """Numerical rank of ``Y`` from its JAX float64 singular values:
    ``(rank, tol_used, singular_values)``.

    Default ``tol = s_max * max(shape) * eps`` (``eps`` = float64 machine
    epsilon, about 2.2e-16), the convention of ``numpy.linalg.matrix_rank``.

    Parameters
    ----------
    Y : array_like
        A 2-D float matrix.
    tol : float, optional
        Singular values above it count.

    Returns
    -------
    tuple
        ``(rank, tol_used, singular_values)``.

    Examples
    --------
    >>> svd_rank(np.array([[1.0, 2.0], [2.0, 4.0]]))[0]
    1
    """
    jax, jnp = _jax()
    Y = np.asarray(Y, dtype=np.float64)
    if Y.size == 0:
        return 0, 0.0 if tol is None else float(tol), np.zeros(0)
    with x64():
        s = np.asarray(jnp.linalg.svd(jnp.asarray(Y), compute_uv=False))
    if tol is None:
        tol = float(s[0]) * max(Y.shape) * float(np.finfo(np.float64).eps)
    return int((s > tol).sum()), float(tol), s


def _check_tol(tol):
    if tol is None:
        return None
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0 \
            or not np.isfinite(tol):
        raise SpecError(f"tol must be None or a finite real number >= 0; got {tol!r}")
    return float(tol)


def approx_separation_rank(spec, partition="start-end", *, inputs: str = "continuous",
                           seed: int = 0, output: int = 0, tol: float | None = None,
                           max_samples: int = DEFAULT_MAX_SAMPLES) -> ApproxRankResult:
    """Approximate separation rank: float64 sample matrix (JAX) and SVD.

    Parameters
    ----------
    spec : RAC or TTRNN
    partition : str or Partition, default "start-end"
    inputs : {"continuous", "one-hot"}
        Continuous: standard-normal halves (:func:`float_halves`), ``N``
        grown as in :func:`tnrnn.rank.separation_rank` until the numerical
        rank is below ``min(N_A, N_B)``. One-hot: every one-hot half, i.e.
        the one-hot grid matricized by the partition
        (:func:`tnrnn.contract.grid.contract_grid`).
    seed : int
        Weights :func:`tnrnn.circuit.init_params` ``(spec, seed)`` (Gaussian,
        variance ``1/fan_in``, all-ones initial states) and the halves.
    output : int
    tol : float, optional
        Absolute threshold on the singular values; default
        ``s_max * max(N_A, N_B) * eps`` (:func:`svd_rank`).
    max_samples : int
        Most halves per side (one-hot: refuse beyond it).

    Returns
    -------
    ApproxRankResult
        Always labelled approximate.

    Raises
    ------
    SpecError, PartitionError, TooLargeError
        As :func:`tnrnn.rank.separation_rank`, for the same arguments.

    Examples
    --------
    >>> from tnrnn.circuit import RAC
    >>> from tnrnn.rank import separation_rank
    >>> spec = RAC(depth=1, hidden=3, input_dim=3, length=6)   # a clean spectral gap
    >>> approx_separation_rank(spec).rank == separation_rank(spec).rank == 3
    True
    """
    t_start = time.perf_counter()
    spec, part, inputs, seed, output, max_samples = check_rank_arguments(
        spec, partition, inputs=inputs, seed=seed, output=output, max_samples=max_samples)
    tol = _check_tol(tol)
    _jax()
    M = spec.input_dim
    params = init_params(spec, seed)
    cap = sample_cap(spec, part, inputs)
    if inputs == "one-hot":
        one_hot_sizes(spec, part, max_samples)
        # Every one-hot half on each side: the matricized one-hot grid, by
        # one contraction of the open-leg view (contract_grid), which shares
        # prefixes and suffixes between sequences, instead of evaluating the
        # M^T sequences one by one.
        from ..compile import compile_network
        from .grid import contract_grid, grid_matrix

        t0 = time.perf_counter()
        A = contract_grid(compile_network(spec), spec, params)
        Y = grid_matrix(A, part, output=output)
        t1 = time.perf_counter()
        r, tol_used, s = svd_rank(Y, tol)
        t_eval, t_svd = t1 - t0, time.perf_counter() - t1
    else:
        n = first_sample_size(cap, max_samples)
        t_eval = t_svd = 0.0
        while True:
            t0 = time.perf_counter()
            XA = float_halves(seed, "A", 0, n, len(part.A), M)
            XB = float_halves(seed, "B", 0, n, len(part.B), M)
            Y = float_sample_matrix(spec, params, part, XA, XB, output=output)
            t1 = time.perf_counter()
            r, tol_used, s = svd_rank(Y, tol)
            t_eval += t1 - t0
            t_svd += time.perf_counter() - t1
            if r < n or n >= min(cap + 1, max_samples):
                break
            n = next_sample_size(n, cap + 1, max_samples)
    return ApproxRankResult(
        rank=r, method=APPROX_METHOD, inputs=inputs, partition=part, seed=seed,
        samples=Y.shape, tol=tol_used, singular_values=tuple(float(v) for v in s),
        timings={"evaluate": t_eval, "svd": t_svd, "total": time.perf_counter() - t_start},
        output=output, spec=spec)
