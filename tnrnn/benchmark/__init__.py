"""Contraction-cost benchmarks: tnrnn's engines against other libraries and
against the step-by-step recurrence, on the same networks and inputs.

Presentation layer: it consumes :mod:`tnrnn.contract` (the only package that
imports JAX, tensornetwork, cotengra and quimb, see
:mod:`tnrnn.contract.compare`), :mod:`tnrnn.compile` and :mod:`tnrnn.circuit`,
and draws with matplotlib (imported only when the figure is drawn). The
command line calls :func:`run_benchmarks`; ``benchmarks/README.md`` says how
to read the results.

Workloads
---------
``output``
    One output value per sequence for a batch of ``N`` sequences: the
    compiled network (form ``"cp"``, copy tensors folded into hyperedges)
    with the input vectors ``X[:, t]`` on every copy of input leg ``t``. For
    depth 1, 2, 3, ``T`` grows until a limit refuses the next point.
``grid``
    The outputs on every one-hot sequence, the tensor ``A[s_1..s_T]`` whose
    Start-End matricization (rows ``s_1..s_{T/2}``, columns the rest) is the
    grid matrix of the rank analyses. Two sound routes, both exact: contract
    once with the copies of each input leg joined into one open index
    (``tnrnn`` and ``tnrnn-numpy``, by :func:`tnrnn.contract.contract_grid`;
    ``cotengra``, ``quimb``; :func:`tnrnn.contract.grid_view`), or evaluate
    all ``M^T`` one-hot sequences as one batch (``tnrnn-batch``,
    ``tensornetwork-jax``, the recurrences).

Engines (:data:`ENGINES`): ``tnrnn`` (the default route of
:func:`tnrnn.contract.contract_network` and
:func:`~tnrnn.contract.contract_grid`, prepared once by
:func:`tnrnn.contract.prepare`), ``tnrnn-numpy``, ``tnrnn-batch``,
``tensornetwork-jax``, ``cotengra``, ``quimb`` (when installed), and the
recurrences ``recurrence-jax`` (:func:`tnrnn.contract.evaluate_jax`) and
``recurrence-numpy`` (:func:`tnrnn.circuit.evaluate`), which never build the
duplicated network. Every engine's result is compared with
``recurrence-numpy`` before it is timed; a mismatch is recorded and the
engine is not timed.

The package: :mod:`._common` (engines, modes, settings), :mod:`._costs`
(closed forms ``F_rec`` and ``F_unit``, the unit order, the problems run),
:mod:`._measure` (machine, matmul rate, one point, a sweep), :mod:`._run`
(:func:`run_benchmarks`), :mod:`._report` (Markdown, figure).

Examples
--------
>>> from tnrnn.circuit import RAC
>>> recurrence_flops(RAC(1, 2, 3, 4), 5)
460
>>> unit_order_flops(RAC(1, 2, 3, 4), 5)
428
"""

from ._common import ENGINES, MODES, RATE_NOTE, Settings, settings_for
from ._costs import (benchmark_problem, log_abs_outputs, one_hot_sequences,
                     recurrence_flops, unit_order_flops, unit_order_path)
from ._measure import cpu_model, machine_info, matmul_rates
from ._report import markdown_report, plot_cost_vs_T
from ._run import run_benchmarks

__all__ = [
    "ENGINES",
    "MODES",
    "RATE_NOTE",
    "Settings",
    "settings_for",
    "run_benchmarks",
    "cpu_model",
    "machine_info",
    "matmul_rates",
    "recurrence_flops",
    "unit_order_flops",
    "unit_order_path",
    "benchmark_problem",
    "log_abs_outputs",
    "one_hot_sequences",
    "markdown_report",
    "plot_cost_vs_T",
]
