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

from ._cell_util import _no_options, _uniform, _zeros_state, jax, jnp
from ._orthogonal import (_exprnn_init, _exprnn_recur, _scornn_init, _scornn_project,
                          _scornn_recur, _scornn_recur_paper, cayley, cayley_grad, exprnn_grad,
                          exprnn_matrix, mod_relu, random_state_bound, skew)

__all__ = ["Cell", "CELLS", "ALIASES", "cayley", "cayley_grad", "exprnn_grad", "exprnn_matrix",
           "mod_relu", "random_state_bound", "skew"]


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
    variants : tuple of (str, callable)
        Other recurrences, chosen by the static option ``variant``
        (:meth:`recurrence`): scoRNN's ``("paper", ...)``.

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
    variants: tuple = ()

    def recurrence(self, options=()) -> Callable:
        """The recurrence for the static cell ``options`` (a dict or the
        ``(name, value)`` pairs of :attr:`Model.options <tnrnn.cells.Model>`):
        :attr:`recur`, or the one of :attr:`variants` that the option
        ``variant`` names."""
        variant = dict(options or ()).get("variant")
        return next((fn for name, fn in self.variants if name == variant), self.recur)

    def step(self, params: dict, state, x, options=()):
        """One time step: ``recurrence(options)(params, state, project(params, x))``."""
        return self.recurrence(options)(params, state, self.project(params, x))


# ---------------------------------------------------------------- helpers


def _h0_state(params, batch):
    h0 = jnp.asarray(params["h0"])
    return h0 if batch is None else jnp.broadcast_to(h0, (batch, h0.shape[0]))


def _identity(state):
    return state


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


# ---------------------------------------------------------------- registry


def _mk(name, init, project, recur, state, output, frozen, count, options, description,
        layered=False, variants=()):
    return Cell(name=name, init=init, project=project, recur=recur, initial_state=state,
                output=output, frozen=frozen, count=count, options=options,
                description=description, layered=layered, variants=variants)


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
                  "scoRNN: h = modReLU(U x + W h), W = (I + A)^-1 (I - A) D",
                  variants=(("paper", _scornn_recur_paper),)),
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
