"""Training recurrent stacks on memory tasks with optax.

- :func:`run`: one training run as a plain function of a JSON-able config
  (what sweeps and Dask workers call); writes metrics, checkpoints, weights;
  returns a :class:`RunResult` (frozen, ``to_dict()`` is its ``result.json``).
- :func:`train_steps`: the one training loop (an update, a batch source and
  callbacks), with :func:`make_update` and the losses :func:`cross_entropy`
  and :func:`mean_squared_error`; every trainer of the package runs it.
- :func:`fit`: classifiers on memory tasks under a named protocol (:mod:`tnrnn.train.protocols`:
  ``"paper"``, the depth paper's code value by value, or ``"tnrnn"``, the
  earlier defaults), every part overridable; seeded; resumable ``.npz``
  checkpoints; metrics as JSON lines; a progress display passed in by the
  caller (``tnrnn train`` draws a bar with ETA).
- :func:`make_optimizer`: RMSProp / Adam / SGD after L-inf clipping.
- :func:`sweep_configs`, :func:`run_sweep`, :func:`collect`: sweeps over
  cells, depths, sizes and seeds, one folder per run, and their tables.

jax and optax load when a function needs them (this package's import is light).

Examples
--------
>>> from tnrnn.train import run
>>> r = run({"task": "copying", "size": 3, "task_options": {"word_length": 2, "alphabet": 3},
...          "cell": "lstm", "hidden": 8, "steps": 10, "eval_every": 10, "batch": 8,
...          "val_size": 16, "test_size": 16})
>>> r.task["baseline"]["memoryless_loss"] == 2 * __import__("math").log(3) / 7
True
"""

from .checkpoint import (load_checkpoint, load_params, load_weights, save_checkpoint,
                         save_params, save_weights)
from .engine import (LoopState, StepsResult, cross_entropy, make_update, mean_squared_error,
                     train_steps)
from .loop import PROTOCOL, FitResult, fit, make_step
from .optim import (OPTIMIZERS, clip_nonfinite, get_optimizer, make_optimizer,
                    optimizer_names)
from .protocols import PROTOCOLS, get_protocol, paper_min_delta, protocol_names
from .run import (DEFAULT_CONFIG, MAX_MEMORY_BYTES, RunResult, memory_estimate, resolve_config,
                  run, run_name)
from .sweep import (SOLVED_THRESHOLD, collect, depth_differences, largest_solved,
                    primary_metric, run_sweep, summarize, sweep_configs)

__all__ = [
    "run",
    "RunResult",
    "resolve_config",
    "run_name",
    "DEFAULT_CONFIG",
    "memory_estimate",
    "MAX_MEMORY_BYTES",
    "PROTOCOLS",
    "get_protocol",
    "protocol_names",
    "paper_min_delta",
    "sweep_configs",
    "run_sweep",
    "collect",
    "summarize",
    "depth_differences",
    "largest_solved",
    "primary_metric",
    "SOLVED_THRESHOLD",
    "fit",
    "FitResult",
    "PROTOCOL",
    "make_step",
    "train_steps",
    "make_update",
    "LoopState",
    "StepsResult",
    "cross_entropy",
    "mean_squared_error",
    "make_optimizer",
    "get_optimizer",
    "optimizer_names",
    "OPTIMIZERS",
    "clip_nonfinite",
    "save_checkpoint",
    "load_checkpoint",
    "save_weights",
    "load_weights",
    "save_params",
    "load_params",
]
