"""The LSTM and GRU forms profiled by ``bench_train_step.py`` (issue 22, part 2):
:func:`variant_apply` builds a one-layer forward in one of them, :data:`VARIANTS`
names those the benchmark times against the registered cell."""

from __future__ import annotations


def _sig_tanh(x):
    import jax.numpy as jnp

    return 0.5 * jnp.tanh(0.5 * x) + 0.5


def _lstm_recur_variant(sigmoid):
    import jax.numpy as jnp

    def recur(params, state, u):
        h, c = state
        g = u + h @ params["W_hh"].T
        i, f, gg, o = jnp.split(g, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(gg)
        return (sigmoid(o) * jnp.tanh(c), c)

    return recur


def _hmat_nn():
    """``h @ W.T`` whose weight gradient ``g^T h`` is taken as a plain (NN) product
    of a materialised ``g^T`` (an optimisation barrier keeps XLA from folding
    the transpose back into a transposed-operand dot, which this CPU build runs
    at a third of the NN rate outside YNNPACK)."""
    import jax
    from jax import lax

    @jax.custom_vjp
    def hmat(h, W):
        return h @ W.T

    def fwd(h, W):
        return h @ W.T, (h, W)

    def bwd(res, g):
        h, W = res
        return g @ W, lax.optimization_barrier(g.T) @ h

    hmat.defvjp(fwd, bwd)
    return hmat


def _lstm_recur_nn():
    import jax
    import jax.numpy as jnp

    hmat = _hmat_nn()

    def recur(params, state, u):
        h, c = state
        g = u + hmat(h, params["W_hh"])
        i, f, gg, o = jnp.split(g, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
        return (jax.nn.sigmoid(o) * jnp.tanh(c), c)

    return recur


def _gru_recur_nn():
    import jax
    import jax.numpy as jnp

    hmat = _hmat_nn()

    def recur(params, h, u):
        gh = hmat(h, params["W_hh"]) + params["b_hh"]
        ur, uz, un = jnp.split(u, 3, axis=-1)
        hr, hz, hn = jnp.split(gh, 3, axis=-1)
        r = jax.nn.sigmoid(ur + hr)
        z = jax.nn.sigmoid(uz + hz)
        return (1.0 - z) * jnp.tanh(un + r * hn) + z * h

    return recur


def _lstm_recur_fused():
    """One ``tanh`` over the whole ``4H`` gate block: ``sigmoid(x) = (1 + tanh(x/2)) / 2``
    on the i, f, o blocks, ``tanh`` on g, by a scale vector (no slice before the
    transcendental, one elementwise pass forward and one backward)."""
    import jax.numpy as jnp

    def recur(params, state, u):
        h, c = state
        H = h.shape[-1]
        half = jnp.full((H,), 0.5, u.dtype)
        one = jnp.ones((H,), u.dtype)
        zero = jnp.zeros((H,), u.dtype)
        scale = jnp.concatenate([half, half, one, half])
        shift = jnp.concatenate([half, half, zero, half])
        a = jnp.tanh((u + h @ params["W_hh"].T) * scale) * scale + shift
        i, f, g, o = jnp.split(a, 4, axis=-1)
        c = f * c + i * g
        return (o * jnp.tanh(c), c)

    return recur


def _gru_recur_fused():
    """GRU with ``sigmoid(x) = (1 + tanh(x/2)) / 2`` on the r, z block in one pass."""
    import jax.numpy as jnp

    def recur(params, h, u):
        H = h.shape[-1]
        gh = h @ params["W_hh"].T + params["b_hh"]
        rz = 0.5 * jnp.tanh(0.5 * (u[..., :2 * H] + gh[..., :2 * H])) + 0.5
        r, z = rz[..., :H], rz[..., H:]
        n = jnp.tanh(u[..., 2 * H:] + r * gh[..., 2 * H:])
        return n + z * (h - n)

    return recur


def _gru_recur_variant(sigmoid):
    import jax.numpy as jnp

    def recur(params, h, u):
        gh = h @ params["W_hh"].T + params["b_hh"]
        ur, uz, un = jnp.split(u, 3, axis=-1)
        hr, hz, hn = jnp.split(gh, 3, axis=-1)
        r = sigmoid(ur + hr)
        z = sigmoid(uz + hz)
        n = jnp.tanh(un + r * hn)
        return (1.0 - z) * n + z * h

    return recur


def variant_apply(kind: str, *, hoist: bool = False, unroll: int = 1,
                  sigmoid: str = "jax") -> callable:
    """A one-layer forward ``apply(model, X)`` of ``kind`` in a profiled form.

    ``hoist``: the input projection of all T steps as one matmul before the
    scan (else inside the body, as :func:`tnrnn.cells.make_apply` does);
    ``unroll``: ``lax.scan``'s unroll; ``sigmoid`` picks the recurrence:
    ``"cell"`` (the registered cell's, with its projection), ``"nn-grad+proj"``
    (plain products with a custom VJP that takes the weight gradient as a
    plain product), and the forms before issue 22 with plain ``x @ W.T``
    products: ``"jax"`` (``jax.nn.sigmoid``), ``"tanh"`` (``(1 + tanh(x/2)) /
    2``), ``"fused"`` (one ``tanh`` over all gates).
    """
    import jax
    import jax.numpy as jnp

    from tnrnn.cells import get_cell

    cell = get_cell(kind)
    project = cell.project
    if sigmoid == "cell":
        recur = cell.recur
    elif sigmoid == "nn-grad+proj":
        recur = _lstm_recur_nn() if kind == "lstm" else _gru_recur_nn()
        hmat = _hmat_nn()
        bias = "b" if kind == "lstm" else "b_ih"
        project = lambda p, x: hmat(x, p["W_ih"]) + p[bias]  # noqa: E731
    else:  # the plain ``x @ W.T`` forms (before issue 22), projection included
        if sigmoid == "fused":
            recur = _lstm_recur_fused() if kind == "lstm" else _gru_recur_fused()
        else:
            sig = jax.nn.sigmoid if sigmoid == "jax" else _sig_tanh
            recur = (_lstm_recur_variant if kind == "lstm" else _gru_recur_variant)(sig)
        bias = "b" if kind == "lstm" else "b_ih"
        project = lambda p, x: x @ p["W_ih"].T + p[bias]  # noqa: E731

    def apply(params, X, key=None):
        X = jnp.asarray(X)
        p = params.layers[0]
        s0 = cell.initial_state(p, X.shape[0])
        seq = jnp.swapaxes(X, 0, 1)
        if hoist:
            U = project(p, seq)
            s, _ = jax.lax.scan(lambda s, u: (recur(p, s, u), None), s0, U, unroll=unroll)
        else:
            s, _ = jax.lax.scan(lambda s, x: (recur(p, s, project(p, x)), None), s0, seq,
                                unroll=unroll)
        r = params.readout
        return cell.output(s) @ r["W_O"].T + r["b_O"]

    return apply


#: the forms profiled for the LSTM and GRU: name -> variant_apply keywords
VARIANTS = {
    # before issue 22: plain x @ W.T everywhere (the weight gradients as transposed-operand
    # dots inside the scan), jax.nn.sigmoid, projection inside the scan
    "before": {"sigmoid": "jax"},
    # the registered cell now: x @ W.T through tnrnn.cells' custom-JVP product
    "after": {"sigmoid": "cell"},
    "before, sigmoid via tanh": {"sigmoid": "tanh"},
    "before, one tanh over all gates": {"sigmoid": "fused"},
    "after, custom VJP instead": {"sigmoid": "nn-grad+proj"},
    "after, projection hoisted": {"hoist": True, "sigmoid": "cell"},
    "after, unroll 4": {"unroll": 4, "sigmoid": "cell"},
}

