"""The recurrent cells: parameter layouts, initialisations and step functions.

Every cell is split into an *input projection* ``u = project(params, x)``
(a matrix product that a stack applies to all time steps at once, outside the
scan) and a *recurrence* ``state = recur(params, state, u)``; the one-step map
of the maths is ``step(params, state, x) = recur(params, state, project(params, x))``.
Step functions are pure, work on a single state ``(H,)`` or a batch ``(B, H)``,
and use ``jax.numpy`` (numpy arrays go in, jax arrays come out).

Initialisations draw from ``numpy.random.default_rng(seed)``, so weights are
plain numpy arrays, reproducible without jax.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from ..errors import SpecError

try:  # the cells are JAX step functions; jax is the 'train' extra
    import jax
    import jax.numpy as jnp
except ImportError as exc:  # pragma: no cover - exercised only without jax
    from ..errors import MissingDependencyError

    raise MissingDependencyError(
        "tnrnn.cells needs jax; install it with pip install 'tnrnn[train]'") from exc


@dataclasses.dataclass(frozen=True)
class Cell:
    """One recurrent cell kind: how to draw, project, recur and read it.

    Parameters
    ----------
    name : str
        Registry name (``"lstm"``, ``"rac"``, ...).
    init : callable
        ``init(rng, input_dim, hidden, dtype, **options) -> dict`` of numpy arrays.
    project : callable
        ``project(params, x) -> u``, linear in ``x`` (shape ``(..., input_dim)``).
    recur : callable
        ``recur(params, state, u) -> state``.
    initial_state : callable
        ``initial_state(params, batch) -> state`` (``batch=None``: one state).
    output : callable
        ``output(state) -> h``, what the next layer and the readout read.
    frozen : tuple of str
        Keys of the parameter dict that training does not change by gradient
        (initial states, scoRNN's signs ``D`` and its derived ``W``).
    count : callable
        ``count(input_dim, hidden) -> int``, the exact number of trained scalars.
    options : tuple of str
        Keyword options that ``init`` accepts.
    description : str
        One line: the recurrence.
    layered : bool
        ``init`` takes ``layer`` (0-based position in a stack).

    Examples
    --------
    >>> c = CELLS["gru"]
    >>> p = c.init(np.random.default_rng(0), 2, 3, "float32")
    >>> c.step(p, c.initial_state(p, None), np.ones(2, np.float32)).shape, c.count(2, 3)
    ((3,), 63)
    """

    name: str
    init: Callable
    project: Callable
    recur: Callable
    initial_state: Callable
    output: Callable
    frozen: tuple
    count: Callable
    options: tuple = ()
    description: str = ""
    layered: bool = False

    def step(self, params: dict, state, x):
        """One time step: ``recur(params, state, project(params, x))``."""
        return self.recur(params, state, self.project(params, x))


# ---------------------------------------------------------------- helpers


def _uniform(rng, shape, bound, dtype):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _zeros_state(params, batch, hidden):
    shape = (hidden,) if batch is None else (batch, hidden)
    dtype = next(iter(params.values())).dtype
    return jnp.zeros(shape, dtype=dtype)


def _h0_state(params, batch):
    h0 = jnp.asarray(params["h0"])
    return h0 if batch is None else jnp.broadcast_to(h0, (batch, h0.shape[0]))


def _identity(state):
    return state


def _no_options(name, options, allowed):
    bad = sorted(set(options) - set(allowed))
    if bad:
        raise SpecError(f"cell {name!r} has no option(s) {bad}; "
                        f"allowed: {sorted(allowed) or 'none'}")


# ---------------------------------------------------------------- RAC and MI-RNN


def _rac_init(rng, input_dim, hidden, dtype, *, sigma=0.1, layer=0, **options):
    """Near-identity start: ``W_H = I + sigma N/sqrt(H)``; on the first layer
    ``W_I = 1 + sigma N`` (one-hot inputs give ``W_I x`` close to 1), above it
    ``W_I = I + sigma N/sqrt(H)`` (the state below passes through).

    ``W_H h`` is then close to ``h`` and every factor close to 1, so the
    state stays O(1) over long sequences; other scales make a product of
    many factors explode or vanish. ``layer`` (0-based) is set by
    :func:`~tnrnn.cells.stack`.
    """
    _no_options("rac", options, ())
    H, I = hidden, input_dim
    if layer > 0 and I == H:
        W_I = np.eye(H) + sigma * rng.standard_normal((H, I)) / np.sqrt(H)
    else:
        W_I = 1.0 + sigma * rng.standard_normal((H, I))
    return {
        "W_H": (np.eye(H) + sigma * rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype),
        "W_I": W_I.astype(dtype),
        "h0": np.ones(H, dtype=dtype),
    }


def _rac_project(params, x):
    return x @ params["W_I"].T


def _rac_recur(params, h, u):
    return (h @ params["W_H"].T) * u


def _mi_init(rng, input_dim, hidden, dtype, *, bias=True, **options):
    _no_options("mi-rnn", options, ())
    H, I = hidden, input_dim
    p = {
        "W_H": (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype),
        "W_I": rng.standard_normal((H, I)).astype(dtype),
        "h0": np.ones(H, dtype=dtype),
    }
    if bias:
        p["b"] = np.zeros(H, dtype=dtype)
    return p


def _mi_recur(params, h, u):
    z = (h @ params["W_H"].T) * u
    if "b" in params:
        z = z + params["b"]
    return jnp.tanh(z)


# ---------------------------------------------------------------- Elman, linear


def _elman_init(rng, input_dim, hidden, dtype, **options):
    _no_options("elman", options, ())
    k = 1.0 / np.sqrt(hidden)
    return {
        "W_ih": _uniform(rng, (hidden, input_dim), k, dtype),
        "W_hh": _uniform(rng, (hidden, hidden), k, dtype),
        "b": _uniform(rng, (hidden,), k, dtype),
    }


def _affine_project(params, x):
    return x @ params["W_ih"].T + params["b"]


def _tanh_recur(params, h, u):
    return jnp.tanh(u + h @ params["W_hh"].T)


def _relu_recur(params, h, u):
    return jax.nn.relu(u + h @ params["W_hh"].T)


def _linear_init(rng, input_dim, hidden, dtype, *, radius=0.9, **options):
    """``A`` orthogonal times ``radius`` (a stable start), ``B`` uniform."""
    _no_options("linear", options, ())
    Q, _ = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    return {"A": (radius * Q).astype(dtype),
            "B": _uniform(rng, (hidden, input_dim), 1.0 / np.sqrt(hidden), dtype)}


def _linear_project(params, x):
    return x @ params["B"].T


def _linear_recur(params, h, u):
    return h @ params["A"].T + u


# ---------------------------------------------------------------- LSTM, GRU


def _lstm_init(rng, input_dim, hidden, dtype, *, forget_bias=1.0, **options):
    """PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)); forget-gate bias ``forget_bias``."""
    _no_options("lstm", options, ())
    k = 1.0 / np.sqrt(hidden)
    b = _uniform(rng, (4 * hidden,), k, dtype)
    b[hidden:2 * hidden] = forget_bias
    return {"W_ih": _uniform(rng, (4 * hidden, input_dim), k, dtype),
            "W_hh": _uniform(rng, (4 * hidden, hidden), k, dtype),
            "b": b}


@jax.custom_jvp
def _matmul_t(x, W):
    """``x @ W.T`` (``x``: ``(..., K)``, ``W``: ``(N, K)``); value and derivatives
    unchanged, only the weight gradient's form: its tangent ``(dW @ x^T)^T``
    sits behind an optimisation barrier, so the transpose takes ``g^T x`` as a
    plain product of a materialised ``g^T`` -- left alone, XLA folds the
    transpose into a batch-axes contraction that its CPU backend runs outside
    YNNPACK at about a third of the rate (``benchmarks/bench_train_step.py``).
    A JVP rule, not a VJP: forward mode and higher orders keep working."""
    return x @ W.T


@_matmul_t.defjvp
def _matmul_t_jvp(primals, tangents):
    x, W = primals
    dx, dW = tangents
    x2 = x.reshape(-1, x.shape[-1])
    t = jax.lax.optimization_barrier(dW @ x2.T).T.reshape(x.shape[:-1] + (W.shape[0],))
    if dx.dtype != jax.dtypes.float0:  # an integer x has no tangent
        t = t + dx @ W.T
    return x @ W.T, t


def _lstm_project(params, x):
    return _matmul_t(x, params["W_ih"]) + params["b"]


def _lstm_recur(params, state, u):
    h, c = state
    g = u + _matmul_t(h, params["W_hh"])
    i, f, gg, o = jnp.split(g, 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (h, c)


def _lstm_state(params, batch):
    z = _zeros_state(params, batch, params["W_hh"].shape[1])
    return (z, z)


def _gru_init(rng, input_dim, hidden, dtype, **options):
    _no_options("gru", options, ())
    k = 1.0 / np.sqrt(hidden)
    return {"W_ih": _uniform(rng, (3 * hidden, input_dim), k, dtype),
            "W_hh": _uniform(rng, (3 * hidden, hidden), k, dtype),
            "b_ih": _uniform(rng, (3 * hidden,), k, dtype),
            "b_hh": _uniform(rng, (3 * hidden,), k, dtype)}


def _gru_project(params, x):
    return _matmul_t(x, params["W_ih"]) + params["b_ih"]


def _gru_recur(params, h, u):
    gh = _matmul_t(h, params["W_hh"]) + params["b_hh"]
    ur, uz, un = jnp.split(u, 3, axis=-1)
    hr, hz, hn = jnp.split(gh, 3, axis=-1)
    r = jax.nn.sigmoid(ur + hr)
    z = jax.nn.sigmoid(uz + hz)
    n = jnp.tanh(un + r * hn)
    return (1.0 - z) * n + z * h


# ---------------------------------------------------------------- scoRNN


def cayley(A, D):
    """scoRNN's recurrent matrix ``W = (I + A)^-1 (I - A) diag(D)`` (numpy).

    For skew-symmetric ``A`` and ``D`` a vector of +1/-1, ``W`` is orthogonal.

    Parameters
    ----------
    A : array (H, H)
        Skew-symmetric.
    D : array (H,)
        Signs +1 / -1.

    Returns
    -------
    numpy.ndarray (H, H), float64

    Examples
    --------
    >>> A = np.array([[0., 0.5], [-0.5, 0.]])
    >>> W = cayley(A, np.array([1., -1.]))
    >>> bool(np.allclose(W.T @ W, np.eye(2)))
    True
    """
    A = np.asarray(A, dtype=np.float64)
    eye = np.eye(A.shape[0])
    return (np.linalg.solve(eye + A, eye - A) * np.asarray(D, dtype=np.float64)[None, :])


def cayley_grad(A, D, W, grad_W):
    """Gradient of the loss with respect to the skew matrix ``A`` (numpy).

    Parameters
    ----------
    A : array (H, H)
        The skew matrix.
    D : array (H,)
        The signs.
    W : array (H, H)
        ``cayley(A, D)``.
    grad_W : array (H, H)
        ``dL/dW``.

    Returns
    -------
    numpy.ndarray (H, H)
        ``dL/dA``, skew-symmetric.

    Examples
    --------
    >>> A = np.array([[0., 0.3], [-0.3, 0.]]); D = np.array([1., -1.])
    >>> G = cayley_grad(A, D, cayley(A, D), np.eye(2))
    >>> bool(np.allclose(G, -G.T))
    True
    >>> E = np.array([[0., 1.], [-1., 0.]]) * 1e-6  # directional derivative of trace(W)
    >>> fd = (np.trace(cayley(A + E, D)) - np.trace(cayley(A - E, D))) / 2
    >>> bool(abs(fd - np.sum(G * E) / 2) < 1e-9)
    True

    Notes
    -----
    As stated in Helfrich, Willmott and Ye, "Orthogonal recurrent neural
    networks with scaled Cayley transform" (ICML 2018): with
    ``V = (I + A)^-T grad_W (D + W^T)`` the gradient is ``V^T - V``, which
    is skew-symmetric, so a gradient step keeps ``A`` skew. (The test suite
    checks it against finite differences of ``A -> cayley(A, D)``.)
    """
    A = np.asarray(A, dtype=np.float64)
    eye = np.eye(A.shape[0])
    V = np.linalg.solve((eye + A).T, np.asarray(grad_W, dtype=np.float64)
                        @ (np.diag(np.asarray(D, dtype=np.float64)) + np.asarray(W).T))
    return V.T - V


def _scornn_init(rng, input_dim, hidden, dtype, *, negative=None, variant="tnrnn",
                 **options):
    """scoRNN's weights, in one of two variants.

    ``variant="tnrnn"``: ``A`` from 2x2 rotation blocks with angles
    U(0, pi/2) (so that W's eigenvalues spread over the circle), ``D`` with
    ``negative`` entries -1 (default ``hidden // 4``), ``U`` Glorot-uniform,
    modReLU bias U(-0.01, 0.01), zero initial state, ``h' = modReLU(U x + W h)``.

    ``variant="paper"``: the depth paper's public code (its ``scoRNNCell``
    and ``RNN`` wrapper), value by value: the same rotation angles with the
    code's sign (``A[2k, 2k+1] = -a``), ``D`` with ``H // 2`` entries +1 then
    ``H - H // 2`` entries -1 (``negative`` must be left unset), ``U`` from
    U(-0.01, 0.01), bias 0, the row-vector recurrence ``h' = modReLU(x U^T + h W)``
    (TensorFlow's ``matmul(state, W)``), and an initial state drawn from
    U(-sqrt(3/H), sqrt(3/H)) anew on every forward pass. The bound is kept
    in the frozen entry ``s0`` (its presence marks the variant), so a stack
    of this variant needs a ``key`` (:func:`~tnrnn.cells.make_apply`).
    """
    _no_options("scornn", options, ())
    if variant not in ("tnrnn", "paper"):
        raise SpecError(f"scornn option variant must be 'tnrnn' or 'paper'; got {variant!r}")
    H = hidden
    if variant == "paper" and negative is not None:
        raise SpecError("scornn option negative cannot be set with variant='paper' (the "
                        f"paper's code fixes H - H//2 = {H - H // 2} signs to -1)")
    neg = (H - H // 2 if variant == "paper" else H // 4) if negative is None else int(negative)
    if not 0 <= neg <= H:
        raise SpecError(f"scornn option negative must be in [0, {H}]; got {negative}")
    A = np.zeros((H, H))
    theta = rng.uniform(0, np.pi / 2, size=H // 2)
    sign = -1.0 if variant == "paper" else 1.0
    for k, th in enumerate(theta):
        a = sign * np.sqrt((1 - np.cos(th)) / (1 + np.cos(th)))
        A[2 * k, 2 * k + 1] = a
        A[2 * k + 1, 2 * k] = -a
    D = np.concatenate([np.ones(H - neg), -np.ones(neg)])
    if variant == "paper":
        return {"U": _uniform(rng, (H, input_dim), 0.01, dtype),
                "A": A.astype(dtype), "D": D.astype(dtype),
                "W": cayley(A, D).astype(dtype),
                "b": np.zeros(H, dtype=dtype),
                "s0": np.asarray(np.sqrt(3.0 / H), dtype=dtype)}
    bound = np.sqrt(6.0 / (input_dim + H))
    return {"U": _uniform(rng, (H, input_dim), bound, dtype),
            "A": A.astype(dtype), "D": D.astype(dtype),
            "W": cayley(A, D).astype(dtype),
            "b": _uniform(rng, (H,), 0.01, dtype)}


def random_state_bound(params: dict):
    """The bound ``b`` of a layer whose initial state is drawn from U(-b, b)
    on every forward pass (scoRNN's paper variant), else ``None``."""
    return params.get("s0") if isinstance(params, dict) else None


def _scornn_project(params, x):
    return x @ params["U"].T


def mod_relu(z, b):
    """modReLU: ``sign(z) * relu(|z| + b)`` (real case).

    Parameters
    ----------
    z : array
    b : array, broadcast against ``z``

    Returns
    -------
    jax array

    Examples
    --------
    >>> np.asarray(mod_relu(np.array([-2.0, 0.5, 3.0]), -1.0)).tolist()
    [-1.0, 0.0, 2.0]
    """
    return jnp.sign(z) * jax.nn.relu(jnp.abs(z) + b)


def _scornn_recur(params, h, u):
    if "s0" in params:  # the paper's code: TensorFlow's row-vector matmul(state, W)
        return mod_relu(u + h @ params["W"], params["b"])
    return mod_relu(u + h @ params["W"].T, params["b"])


# ---------------------------------------------------------------- expRNN


def skew(A):
    """expRNN's skew-symmetric matrix of a free square ``A``:
    ``triu(A, 1) - triu(A, 1)^T`` (numpy; only the strict upper triangle is used).

    Parameters
    ----------
    A : array (H, H)

    Returns
    -------
    numpy.ndarray (H, H), float64

    Examples
    --------
    >>> skew(np.array([[5., 2.], [7., 5.]])).tolist()
    [[0.0, 2.0], [-2.0, 0.0]]
    """
    T = np.triu(np.asarray(A, dtype=np.float64), 1)
    return T - T.T


def exprnn_matrix(A):
    """expRNN's recurrent matrix ``W = expm(skew(A))`` (numpy, float64), orthogonal.

    Parameters
    ----------
    A : array (H, H)
        Only its strict upper triangle is read.

    Returns
    -------
    numpy.ndarray (H, H)

    Examples
    --------
    >>> W = exprnn_matrix(np.array([[0., np.pi / 2], [0., 0.]]))
    >>> np.round(W, 12).tolist()
    [[0.0, 1.0], [-1.0, 0.0]]
    """
    from scipy.linalg import expm

    return expm(skew(A))


def exprnn_grad(A, grad_W):
    """Gradient of the loss with respect to expRNN's free ``A`` given ``dL/dW``
    (numpy, float64).

    Parameters
    ----------
    A : array (H, H)
    grad_W : array (H, H)
        ``dL/dW`` at ``W = exprnn_matrix(A)``.

    Returns
    -------
    numpy.ndarray (H, H)
        ``dL/dA``, zero on and below the diagonal.

    Examples
    --------
    >>> A = np.array([[0., 0.4], [0., 0.]])
    >>> G = exprnn_grad(A, np.eye(2))   # L = trace(W) = 2 cos(0.4)
    >>> bool(abs(G[0, 1] + 2 * np.sin(0.4)) < 1e-12), float(G[1, 0])
    (True, 0.0)

    Notes
    -----
    With ``S = skew(A)`` and ``W = expm(S)``, the adjoint of the Frechet
    derivative of ``expm`` at ``S`` is the Frechet derivative at ``S^T``:
    ``dL/dS = L_expm(S^T, dL/dW)`` (``scipy.linalg.expm_frechet``); then
    ``dL/dA = triu(dL/dS - dL/dS^T, 1)``: the lower triangle of ``A`` gets
    no gradient, as in expRNN's ``A.triu(diagonal=1)``. (The test suite
    checks it against finite differences of ``A -> exprnn_matrix(A)``.)
    """
    from scipy.linalg import expm_frechet

    S = skew(A)
    _, G = expm_frechet(S.T, np.asarray(grad_W, dtype=np.float64), compute_expm=True)
    return np.triu(G - G.T, 1)


def _exprnn_init(rng, input_dim, hidden, dtype, *, init="henaff", **options):
    """expRNN's ``OrthogonalRNN`` as the smoothness paper's code builds it.

    ``U`` Kaiming-normal for relu (std ``sqrt(2 / I)``, no bias), ``A``
    block-diagonal with 2x2 blocks ``[[0, t], [-t, 0]]``, angles ``t`` from
    U(-pi, pi) (``init="henaff"``, expRNN's ``henaff_init_``, the paper
    code's default) or ``t = -sqrt((1 - cos s) / (1 + cos s))``, ``s`` from
    U(0, pi/2) (``init="cayley"``, ``cayley_init_``); ``W = expm(skew(A))``
    (derived, recomputed after every update); modReLU bias U(-0.01, 0.01);
    zero initial state; ``h' = modReLU(U x + h W, b)`` (expRNN's row-vector
    ``hidden.matmul(B)``).
    """
    _no_options("exprnn", options, ())
    if init not in ("henaff", "cayley"):
        raise SpecError(f"exprnn option init must be 'henaff' or 'cayley'; got {init!r}")
    H, I = hidden, input_dim
    U = rng.standard_normal((H, I)) * np.sqrt(2.0 / I)
    if init == "henaff":
        theta = rng.uniform(-np.pi, np.pi, size=H // 2)
    else:
        s = rng.uniform(0.0, np.pi / 2, size=H // 2)
        theta = -np.sqrt((1 - np.cos(s)) / (1 + np.cos(s)))
    A = np.zeros((H, H))
    A[2 * np.arange(H // 2), 2 * np.arange(H // 2) + 1] = theta
    A = A - A.T
    return {"U": U.astype(dtype), "A": A.astype(dtype),
            "W": exprnn_matrix(A).astype(dtype),
            "b": _uniform(rng, (H,), 0.01, dtype)}


def _exprnn_recur(params, h, u):
    return mod_relu(u + h @ params["W"], params["b"])


# ---------------------------------------------------------------- registry


def _mk(name, init, project, recur, state, output, frozen, count, options, description,
        layered=False):
    return Cell(name=name, init=init, project=project, recur=recur, initial_state=state,
                output=output, frozen=frozen, count=count, options=options,
                description=description, layered=layered)


def _elman_state(params, batch):
    return _zeros_state(params, batch, params["W_hh"].shape[1])


CELLS: dict[str, Cell] = {
    "rac": _mk("rac", _rac_init, _rac_project, _rac_recur, _h0_state, _identity, ("h0",),
               lambda I, H: H * H + H * I, ("sigma",),
               "Recurrent Arithmetic Circuit: h = (W_H h) * (W_I x)", layered=True),
    "mi-rnn": _mk("mi-rnn", _mi_init, _rac_project, _mi_recur, _h0_state, _identity, ("h0",),
                  lambda I, H: H * H + H * I + H, ("bias",),
                  "multiplicative integration: h = tanh((W_H h) * (W_I x) + b)"),
    "tanh": _mk("tanh", _elman_init, _affine_project, _tanh_recur, _elman_state, _identity, (),
                lambda I, H: H * I + H * H + H, (),
                "Elman: h = tanh(W_ih x + W_hh h + b)"),
    "relu": _mk("relu", _elman_init, _affine_project, _relu_recur, _elman_state, _identity, (),
                lambda I, H: H * I + H * H + H, (),
                "Elman: h = relu(W_ih x + W_hh h + b)"),
    "lstm": _mk("lstm", _lstm_init, _lstm_project, _lstm_recur, _lstm_state,
                lambda s: s[0], (), lambda I, H: 4 * H * (I + H + 1), ("forget_bias",),
                "LSTM, PyTorch gate order i, f, g, o; state (h, c)"),
    "gru": _mk("gru", _gru_init, _gru_project, _gru_recur, _elman_state, _identity, (),
               lambda I, H: 3 * H * (I + H + 2), (),
               "GRU, PyTorch gate order r, z, n"),
    "scornn": _mk("scornn", _scornn_init, _scornn_project, _scornn_recur,
                  lambda p, b: _zeros_state(p, b, p["U"].shape[0]), _identity, ("W", "D", "s0"),
                  lambda I, H: H * I + H * (H - 1) // 2 + H, ("negative", "variant"),
                  "scoRNN: h = modReLU(U x + W h), W = (I + A)^-1 (I - A) D"),
    "exprnn": _mk("exprnn", _exprnn_init, _scornn_project, _exprnn_recur,
                  lambda p, b: _zeros_state(p, b, p["U"].shape[0]), _identity, ("W",),
                  lambda I, H: H * I + H * (H - 1) // 2 + H, ("init",),
                  "expRNN: h = modReLU(U x + h W), W = expm(A - A^T), A strictly upper"),
    "linear": _mk("linear", _linear_init, _linear_project, _linear_recur,
                  lambda p, b: _zeros_state(p, b, p["A"].shape[0]), _identity, (),
                  lambda I, H: H * H + H * I, ("radius",),
                  "linear: h = A h + B x"),
}

#: Other accepted spellings of the registry names.
ALIASES = {"elman": "tanh", "mi": "mi-rnn", "mirnn": "mi-rnn", "scorenn": "scornn"}
