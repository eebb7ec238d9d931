"""Contraction of compiled networks, cost model, and JAX evaluation.

``tnrnn.contract`` is the only package of tnrnn that imports JAX, and it does
so lazily: ``import tnrnn.contract`` (and ``tnrnn.contract.cost``) loads
numpy and opt_einsum only; JAX loads on the first call of the ``"jax"``
engine or of :func:`evaluate_jax`.

**Float64.** JAX is float32 unless x64 is enabled. Every JAX computation of
tnrnn.contract (array conversion, tracing and execution) runs inside
``jax.enable_x64(True)``, set in one place (``tnrnn._jax.x64``):
results are float64 and agree with the numpy step-by-step evaluator to
float64 tolerance, and the caller's process-wide ``jax_enable_x64`` setting
is left untouched (as in :mod:`tnrnn.contract.approx`).

Contents
--------
* :func:`evaluate_jax` -- reference evaluation: ``jax.jit`` + ``lax.scan``.
* :func:`contract_network` -- contract a compiled network with input vectors
  on every input leg, batched; engines in :data:`ENGINES` (``"jax"``,
  ``"numpy"``, ``"tensornetwork"``), see :func:`get_engine`.
* :func:`prepare` -- both of them with the parameters checked and the
  weight arrays filled once (:class:`Prepared`, called per input batch).
* :func:`contract_grid` -- the outputs on every one-hot sequence at once
  (the grid tensor, open input legs), and :func:`grid_matrix`, its
  matricization by a partition of the time steps.
* :data:`PATH_FINDERS` / :func:`get_path_finder` -- ``"auto"``, ``"tree"``,
  ``"greedy"``, ``"optimal"``, ``"cotengra"``, ``"refine"``.
* :func:`contraction_cost` / :class:`Cost` -- exact FLOPs (opt_einsum's
  ``opt_cost`` convention), largest intermediate, memory written, path.
* :func:`plan_contraction` / :class:`Plan` -- the flat einsum program the
  ``"numpy"`` and ``"jax"`` engines run; equal sub-results of duplicated
  copies are computed once (``Plan.executed_flops``), and the JAX engine
  runs repeated blocks of steps under ``lax.scan``
  (:mod:`tnrnn.contract.reroll`).

Results follow the convention of both wings: frozen dataclasses with
``to_dict()`` (plain, JSON-ready data): :class:`Cost`, :class:`Plan`,
:class:`~tnrnn.contract.reroll.Run`, :class:`~tnrnn.contract.cost.View`,
:class:`~tnrnn.contract.compare.Runner` (its ``run`` function left out) and
:class:`~tnrnn.contract.approx.ApproxRankResult`.

tensornetwork 0.4.6 with numpy 2.4 and jax 0.10.2 (tried here, 2026-11)
-------------------------------------------------------------------------
Works:

* ``Node``, ``CopyNode``, ``edge = a[i] ^ b[j]``, ``tn.contract(edge)``,
  ``split_node_full_svd``; ``Network.to_tensornetwork`` of compiled networks.
* ``contractors.auto``, ``greedy``, ``optimal`` (0.07 s on a 22-node
  compiled depth-2 network, several seconds at 38 nodes) and
  ``contract_path(path, nodes, output_edge_order)``, which the
  ``"tensornetwork"`` engine uses, all with ``CopyNode`` in the network.
* ``contractors.bucket(nodes, contraction_order)`` when called as its
  signature says: it eliminates the given copy nodes and returns the *set*
  of remaining nodes (11 left of 38 on a depth-2 ``"cp"`` network); finish
  with ``greedy``. ``bucket(nodes)`` alone raises ``TypeError``.
* ``ncon`` with the numpy and jax backends.
* The ``"jax"`` backend (``to_tensornetwork(..., backend="jax")``): float64
  under ``jax.enable_x64(True)``; ``jax.jit`` and ``jax.grad`` through
  ``contractors.auto``/``greedy``.
* ``FiniteMPS(tensors)`` from compiled TT cores (boundary vectors absorbed),
  ``canonicalize=True``, ``check_canonical``, ``FiniteMPS.random``,
  ``measure_local_operator``, numpy and jax backends.

Broken or impractical:

* ``contractors.branch``: 0.01 s on an 8-node TT chain, but did not finish
  in 100 s on the 14-node depth-1 ``"cp"`` network (T = 3).
* ``FiniteMPS.norm()`` is no method: the name falls through to the
  backend's ``norm(tensor)`` and raises ``TypeError``.
* ``FiniteMPS.random(d, D)`` silently caps the bond dimensions it is given
  (sites ``[2, 2, 2]`` with ``D = [3, 3]`` give bonds ``[1, 2, 2, 1]``).
* Every node and edge is a Python object: the ``"tensornetwork"`` engine
  rebuilds the network for each sequence (a loop over the batch) and is
  about 20x slower than ``"numpy"`` (depth 2, T = 20, N = 8: 0.64 s
  against 0.036 s).

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
from .grid import (
    GRID_ENGINES,
    contract_grid,
    default_grid_optimize,
    grid_matrix,
    grid_view,
    plan_grid,
)
from .paths import (
    MAX_OPTIMAL_OPERANDS,
    PATH_FINDERS,
    find_path,
    get_path_finder,
    is_tree_shaped,
    refine_path,
    tree_path,
    validate_path,
)
from .plan import Plan, plan_contraction
from .prepared import PREPARED_ENGINES, Prepared, prepare

__all__ = [
    "evaluate_jax",
    "contract_network",
    "contract_grid",
    "prepare",
    "Prepared",
    "PREPARED_ENGINES",
    "grid_matrix",
    "grid_view",
    "plan_grid",
    "default_grid_optimize",
    "GRID_ENGINES",
    "ENGINES",
    "get_engine",
    "PATH_FINDERS",
    "MAX_OPTIMAL_OPERANDS",
    "get_path_finder",
    "find_path",
    "validate_path",
    "is_tree_shaped",
    "tree_path",
    "refine_path",
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
