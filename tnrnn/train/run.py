"""One training run as a plain function of a JSON-able config.

:func:`run` is what a sweep (or a Dask worker) calls once per combination:
``run(config) -> dict``, both JSON-able. With ``out`` set it writes
``config.json``, ``metrics.jsonl``, ``checkpoint.npz`` (resumed if present),
``params.npz`` (the best weights) and ``result.json`` (written last: a run
with a ``result.json`` is finished).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from ..errors import SpecError, check_positive_int
from .loop import PROTOCOL

__all__ = ["DEFAULT_CONFIG", "resolve_config", "run", "run_name"]

#: Every key a run config may hold, with its default. ``hidden`` or
#: ``budget`` (a parameter count; the width then comes from
#: :func:`tnrnn.cells.width_for_budget`) must be given.
DEFAULT_CONFIG = {
    "task": "ses",
    "size": None,
    "task_options": {},
    "cell": "lstm",
    "depth": 1,
    "hidden": None,
    "budget": None,
    "cell_options": {},
    "steps": 1000,
    "test_size": 1000,
    "seed": 0,
    "dtype": "float32",
    **PROTOCOL,
    "optimizer_options": {},
    "out": None,
    "progress": False,
}


def resolve_config(config: dict) -> dict:
    """Defaults filled in, unknown keys refused, the width resolved.

    Examples
    --------
    >>> c = resolve_config({"task": "ses", "size": 20, "task_options": {"block": 5, "alphabet": 8},
    ...                     "cell": "gru", "depth": 2, "budget": 2000})
    >>> c["hidden"], c["params"]
    (13, 2070)
    >>> resolve_config({"cell": "gru", "hidden": 4, "size": 20, "lr": 1e-3, "colour": "red"})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown config key(s) ['colour']; allowed: batch, budget, cell, cell_options, clip, decay, depth, dtype, eval_every, hidden, lr, lr_factor, max_plateaus, optimizer, optimizer_options, out, patience, progress, seed, size, steps, task, task_options, test_size, val_size
    """
    from ..cells import get_cell, stack_param_count, width_for_budget
    from ..tasks import make_task

    if not isinstance(config, dict):
        raise SpecError(f"config must be a dict; got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULT_CONFIG) - {"params", "name"})
    if unknown:
        raise SpecError(f"unknown config key(s) {unknown}; allowed: "
                        f"{', '.join(sorted(DEFAULT_CONFIG))}")
    c = {**DEFAULT_CONFIG, **config}
    c["task_options"] = dict(c["task_options"] or {})
    c["cell_options"] = dict(c["cell_options"] or {})
    cell = get_cell(c["cell"])
    c["cell"] = cell.name
    bad = sorted(set(c["cell_options"]) - set(cell.options))
    if bad:
        raise SpecError(f"cell {cell.name!r} has no option(s) {bad}; allowed: "
                        f"{sorted(cell.options) or 'none'}")
    task = make_task(c["task"], c["size"], **c["task_options"])
    c["depth"] = check_positive_int("depth", c["depth"])
    if c["hidden"] is None and c["budget"] is None:
        raise SpecError("give one of hidden (a width) and budget (a parameter count); got neither")
    if c["budget"] is not None:
        width = width_for_budget(c["cell"], depth=c["depth"], budget=c["budget"],
                                 input_dim=task.input_dim, outputs=task.outputs)
        if c["hidden"] is not None and c["hidden"] != width:
            raise SpecError(f"give one of hidden (a width) and budget (a parameter count); got "
                            f"hidden={c['hidden']!r} and budget={c['budget']!r}, whose width "
                            f"is {width}")
        c["hidden"] = width
    c["hidden"] = check_positive_int("hidden", c["hidden"])
    c["params"] = stack_param_count(c["cell"], depth=c["depth"], hidden=c["hidden"],
                                    input_dim=task.input_dim, outputs=task.outputs)
    c["name"] = run_name(c)
    return c


def run_name(config: dict) -> str:
    """A folder name for one run: ``ses-T40-lstm-L2-H14-s0``.

    Examples
    --------
    >>> run_name({"task": "copying", "size": 10, "cell": "gru", "depth": 1, "hidden": 8,
    ...           "seed": 2})
    'copying-T10-gru-L1-H8-s2'
    """
    size = "" if config.get("size") is None else f"-T{config['size']}"
    return (f"{config['task']}{size}-{config['cell']}-L{config['depth']}-"
            f"H{config['hidden']}-s{config['seed']}")


def run(config: dict) -> dict:
    """Train one model from a JSON-able config; return a JSON-able result.

    Parameters
    ----------
    config : dict
        Keys of :data:`DEFAULT_CONFIG` (others refused). ``out`` (a folder,
        created if its parent exists) makes the run write its files and
        resume from its checkpoint; a folder holding a ``result.json`` is a
        finished run, returned as it is.

    Returns
    -------
    dict
        ``config`` (resolved), ``task`` (sizes and baselines), ``fit``
        (steps, stop reason, timings), ``val`` and ``test`` metrics of the
        restored best weights, ``machine``.

    Examples
    --------
    >>> r = run({"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
    ...          "cell": "gru", "hidden": 8, "steps": 10, "eval_every": 5, "batch": 16,
    ...          "val_size": 32, "test_size": 32})
    >>> r["fit"]["steps"], sorted(r["test"])
    (10, ['accuracy', 'loss'])
    """
    from ..cells import stack
    from ..tasks import make_task
    from .checkpoint import save_params
    from .loop import _np_ce, evaluate_logits, fit

    c = resolve_config(config)
    out = None
    if c["out"] is not None:
        out = Path(c["out"])
        if out.exists() and not out.is_dir():
            raise SpecError(f"out: {str(out)!r} exists and is not a folder")
        if not out.parent.is_dir():
            raise SpecError(f"out: the folder {str(out.parent)!r} does not exist")
        done = out / "result.json"
        if done.exists():
            return json.loads(done.read_text())
        out.mkdir(exist_ok=True)
        cfg_file = out / "config.json"
        stored = {k: v for k, v in c.items() if k not in ("progress", "out")}
        if cfg_file.exists():
            old = json.loads(cfg_file.read_text())
            if old != json.loads(json.dumps(stored)):
                diff = sorted(k for k in set(old) | set(stored) if old.get(k) != stored.get(k))
                raise SpecError(f"out: {str(out)!r} holds a run with another config "
                                f"(differs in {diff}); use another folder")
        else:
            cfg_file.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")

    import jax

    task = make_task(c["task"], c["size"], **c["task_options"])
    ctx = jax.enable_x64(True) if c["dtype"] == "float64" else _null()
    with ctx:
        params, apply = stack(c["cell"], depth=c["depth"], hidden=c["hidden"],
                              input_dim=task.input_dim, outputs=task.outputs, seed=c["seed"],
                              every_step=task.every_step, dtype=c["dtype"],
                              options=c["cell_options"])
        optimizer = c["optimizer"]
        if c["optimizer_options"]:
            from .optim import make_optimizer

            opts = dict(c["optimizer_options"])
            if optimizer == "rmsprop":
                opts.setdefault("decay", c["decay"])
            optimizer = make_optimizer(optimizer, lr=c["lr"], clip=c["clip"], options=opts)
        t0 = time.perf_counter()
        res = fit(params, apply, task, steps=c["steps"], kind=c["cell"], optimizer=optimizer,
                  lr=c["lr"], decay=c["decay"], batch=c["batch"], clip=c["clip"],
                  eval_every=c["eval_every"], patience=c["patience"],
                  lr_factor=c["lr_factor"], max_plateaus=c["max_plateaus"],
                  val_size=c["val_size"], seed=c["seed"],
                  metrics_path=None if out is None else out / "metrics.jsonl",
                  checkpoint_path=None if out is None else out / "checkpoint.npz",
                  progress=bool(c["progress"]), label=c["name"])
        Xt, yt = task.eval_set("test", c["test_size"], seed=c["seed"])
        logits = evaluate_logits(jax.jit(apply), res.params, Xt)
    test = {"loss": _np_ce(logits, yt), **task.metrics(logits, yt)}
    best = res.summary.get("best_val") or {}
    val = {"loss": best.get("val_loss")}
    val.update({k[4:]: v for k, v in best.items() if k.startswith("val_") and k != "val_loss"})
    result = {
        "config": {k: v for k, v in c.items() if k not in ("progress", "out")},
        "task": task.describe(),
        "fit": {k: v for k, v in res.summary.items() if k != "best_val"},
        "val": val,
        "test": test,
        "wall_s": time.perf_counter() - t0,
        "machine": _machine(),
    }
    result = json.loads(json.dumps(result, default=_json_default))
    if out is not None:
        save_params(out / "params.npz", res.params, cell=c["cell"], depth=c["depth"],
                    hidden=c["hidden"], task=c["task"], size=c["size"])
        (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _machine() -> dict:
    import os
    import platform

    import jax

    return {"platform": platform.platform(), "processor": platform.processor() or None,
            "cpus": os.cpu_count(), "jax": jax.__version__,
            "device": str(jax.devices()[0].device_kind)}
