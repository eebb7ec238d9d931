"""Contraction of compiled networks, cost model, and JAX evaluation.

``tnrnn.contract`` is the only package of tnrnn that imports JAX, and it does
so lazily: ``import tnrnn.contract`` (and ``tnrnn.contract.cost``) loads
numpy and opt_einsum only; JAX loads on the first call of the ``"jax"``
engine or of :func:`evaluate_jax`.

**Float64.** JAX is float32 unless x64 is enabled. Every JAX computation of
tnrnn.contract (array conversion, tracing and execution) runs inside
``jax.enable_x64(True)``, set in one place (``tnrnn.contract._jax._x64``):
results are float64 and agree with the numpy step-by-step evaluator to
float64 tolerance, and the caller's process-wide ``jax_enable_x64`` setting
is left untouched (as in :mod:`tnrnn.contract.approx`).

Contents
--------
* :func:`evaluate_jax` -- reference evaluation: ``jax.jit`` + ``lax.scan``.
* :func:`contract_network` -- contract a compiled network with input vectors
  on every input leg, batched; engines in :data:`ENGINES` (``"jax"``,
  ``"numpy"``, ``"tensornetwork"``), see :func:`get_engine`.
* :data:`PATH_FINDERS` / :func:`get_path_finder` -- ``"auto"``, ``"tree"``,
  ``"greedy"``, ``"optimal"``, ``"cotengra"``.
* :func:`contraction_cost` / :class:`Cost` -- exact FLOPs (opt_einsum's
  ``opt_cost`` convention), largest intermediate, memory written, path.
* :func:`plan_contraction` / :class:`Plan` -- the flat einsum program the
  ``"numpy"`` and ``"jax"`` engines run.

tensornetwork 0.4.6 with numpy 2.4 and jax 0.10.2 (tried here, 2026-11)
-------------------------------------------------------------------------
Works:

* ``Node``, ``CopyNode``, ``edge = a[i] ^ b[j]``, ``tn.contract(edge)``,
  ``split_node_full_svd``.
* ``contractors.auto``, ``greedy``, ``optimal``, ``branch``, and
  ``contract_path(path, nodes, output_edge_order)`` (what the
  ``"tensornetwork"`` engine uses), including networks with ``CopyNode``.
* ``contractors.bucket(nodes, contraction_order)``: works when called as
  documented (it takes the copy nodes to eliminate and returns the *set* of
  remaining nodes, not one node; the FAQ-style call ``bucket(nodes)`` fails
  with a ``TypeError``).
* ``ncon`` with the numpy and jax backends.
* The ``"jax"`` backend: nodes hold ``jax.Array``, float64 once x64 is on;
  ``jax.jit`` and ``jax.grad`` through ``contractors.auto``/``greedy``.
* ``FiniteMPS(tensors)``, ``FiniteMPS.random``, ``canonicalize``,
  ``check_canonical``, ``measure_local_operator`` (numpy and jax backends).

Broken or surprising:

* ``FiniteMPS.norm()`` does not exist as a method: attribute look-up falls
  through to the backend's ``norm(tensor)`` and fails with ``TypeError``.
* ``FiniteMPS.random(d, D)`` silently caps the bond dimensions it is given
  (``[2, 2, 2]`` sites with ``D = [3, 3]`` give bonds ``[1, 2, 2, 1]``).
* Everything is a Python object per node and per edge: building the network
  again for every sequence is the cost of the ``"tensornetwork"`` engine,
  hence its loop over the batch.

Examples
--------
>>> import numpy as np
>>> import tnrnn
>>> from tnrnn.contract import contract_network, contraction_cost
>>> spec = tnrnn.RAC(depth=2, hidden=2, input_dim=2, length=4)
>>> net = tnrnn.compile_network(spec)
>>> p, X = tnrnn.init_params(spec, seed=0), tnrnn.random_inputs(spec, 3, seed=1)
>>> bool(np.allclose(contract_network(net, spec, p, X, engine="numpy"),
...                  tnrnn.evaluate(spec, p, X)))
True
>>> contraction_cost(net, batch=3).optimize
'auto'
"""

from .cost import (
    DEFAULT_MAX_INTERMEDIATE,
    Cost,
    check_max_intermediate,
    contraction_cost,
    network_view,
    path_cost,
)
from .engines import (
    ENGINES,
    clear_caches,
    contract_network,
    evaluate_jax,
    get_engine,
)
from .paths import (
    MAX_OPTIMAL_OPERANDS,
    PATH_FINDERS,
    find_path,
    get_path_finder,
    is_tree_shaped,
    tree_path,
    validate_path,
)
from .plan import Plan, plan_contraction

__all__ = [
    "evaluate_jax",
    "contract_network",
    "ENGINES",
    "get_engine",
    "PATH_FINDERS",
    "MAX_OPTIMAL_OPERANDS",
    "get_path_finder",
    "find_path",
    "validate_path",
    "is_tree_shaped",
    "tree_path",
    "Cost",
    "contraction_cost",
    "path_cost",
    "network_view",
    "check_max_intermediate",
    "DEFAULT_MAX_INTERMEDIATE",
    "Plan",
    "plan_contraction",
    "clear_caches",
]
