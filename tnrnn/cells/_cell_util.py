"""Pieces shared by the cell modules: the jax import guard (jax is the
'train' extra) and the small helpers every cell's ``init`` and
``initial_state`` use (uniform draws, zero states, the option check)."""

from __future__ import annotations

from ..errors import SpecError

#: ``jax`` and ``jax.numpy`` are imported here, behind the guard, for the other cell modules.
__all__ = ["jax", "jnp", "_uniform", "_zeros_state", "_no_options"]

try:  # the cells are JAX step functions; jax is the 'train' extra
    import jax
    import jax.numpy as jnp
except ImportError as exc:  # pragma: no cover - exercised only without jax
    from ..errors import MissingDependencyError

    raise MissingDependencyError(
        "tnrnn.cells needs jax; install it with pip install 'tnrnn[train]'") from exc


def _uniform(rng, shape, bound, dtype):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _zeros_state(params, batch, hidden):
    shape = (hidden,) if batch is None else (batch, hidden)
    dtype = next(iter(params.values())).dtype
    return jnp.zeros(shape, dtype=dtype)


def _no_options(name, options, allowed):
    bad = sorted(set(options) - set(allowed))
    if bad:
        raise SpecError(f"cell {name!r} has no option(s) {bad}; "
                        f"allowed: {sorted(allowed) or 'none'}")
