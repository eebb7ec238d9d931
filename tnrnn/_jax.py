"""The float64 switch of every JAX computation of tnrnn: :func:`x64`.

JAX computes in float32 unless x64 is enabled. tnrnn's JAX code (the
contraction engines, the approximate ranks, the dynamics, the linear-RNN
flows, training in float64) runs its whole body (array conversion, tracing,
execution) inside :func:`x64`, so results are float64 while the caller's
process-wide ``jax_enable_x64`` setting is left as it was.

A leaf module: it imports nothing of tnrnn, and JAX only when :func:`x64` is
called, so any layer that uses JAX may import it. The exact core (which
imports no JAX) must not: the import contracts in ``pyproject.toml`` check it.
"""

from __future__ import annotations

import contextlib

__all__ = ["x64"]


def x64(enabled: bool = True):
    """The float64 context of JAX computations: ``jax.enable_x64(True)``.

    Parameters
    ----------
    enabled : bool, optional
        ``False`` gives a context that changes nothing (the caller's setting
        holds), for code that computes in float64 only when asked, e.g.
        ``with x64(dtype == "float64"):``.

    Returns
    -------
    contextlib.AbstractContextManager
        Inside it, JAX arrays and traced programs default to float64; on
        leaving, the previous setting is back.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> before = jax.config.jax_enable_x64
    >>> with x64():
    ...     jnp.ones(2).dtype, jnp.asarray(0.1).item() == 0.1
    (dtype('float64'), True)
    >>> jax.config.jax_enable_x64 == before
    True
    >>> with x64(False):
    ...     jax.config.jax_enable_x64 == before
    True
    """
    if not enabled:
        return contextlib.nullcontext()
    import jax

    return jax.enable_x64(True)
