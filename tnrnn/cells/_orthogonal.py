"""The orthogonal cells, scoRNN and expRNN: the Cayley transform and the
matrix exponential that give their recurrent matrices, the gradients
through them (numpy, applied outside ``jit`` by :mod:`._outside`), modReLU,
and the cells' initialisations and recurrences (registered in
:data:`~tnrnn.cells.CELLS` by :mod:`._cells`)."""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ._cell_util import _no_options, _uniform, jax, jnp


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
    in the frozen entry ``s0``, so a stack of this variant needs a ``key``
    (:func:`~tnrnn.cells.make_apply`). Which recurrence runs comes from the
    model's static options (:meth:`Cell.recurrence <tnrnn.cells.Cell>`),
    never from the keys of a layer; a stored layer dict records the variant
    by its ``s0`` entry (:func:`~tnrnn.cells.layer_options` reads it).
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


def random_state_bound(params: dict, options=()):
    """The bound ``b`` of a layer whose initial state is drawn from U(-b, b)
    on every forward pass (scoRNN's paper variant, as the static ``options``
    say), else ``None``."""
    if dict(options or ()).get("variant") != "paper":
        return None
    if not isinstance(params, dict) or "s0" not in params:
        raise SpecError("a scoRNN layer of variant 'paper' needs its state bound 's0'; got keys "
                        f"{sorted(params) if isinstance(params, dict) else type(params).__name__}")
    return params["s0"]


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
    """scoRNN, variant ``"tnrnn"``: ``h' = modReLU(U x + W h, b)``."""
    if "s0" in params:  # a paper-variant layer given to this variant's step: refuse, never guess
        raise SpecError("this scoRNN layer holds 's0' (variant 'paper'), but the recurrence of "
                        "variant 'tnrnn' was asked for: use the model's recurrence "
                        "(Cell.recurrence(model.options), or step(..., options={'variant': "
                        "'paper'}))")
    return mod_relu(u + h @ params["W"].T, params["b"])


def _scornn_recur_paper(params, h, u):
    """scoRNN, variant ``"paper"``: the paper's code's row-vector
    ``matmul(state, W)``, ``h' = modReLU(U x + W^T h, b)``."""
    return mod_relu(u + h @ params["W"], params["b"])


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
