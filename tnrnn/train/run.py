"""One training run as a plain function of a JSON-able config.

:func:`run` is what a sweep (or a Dask worker) calls once per combination:
``run(config) -> RunResult``, a frozen dataclass whose ``to_dict()`` is the
JSON-able record written to ``result.json``. With ``out`` set it writes
``config.json``, ``metrics.jsonl``, ``checkpoint.npz`` (resumed if present),
``params.npz`` (the best weights) and ``result.json`` (written last: a run
with a ``result.json`` is finished).
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from pathlib import Path
from typing import Callable

from .._io import atomic_write_text, json_safe, machine_info
from .._results import Record
from ..errors import SpecError, TooLargeError, check_positive_int
from .loop import PROTOCOL
from .protocols import PROTOCOL_KEYS, check_values, get_protocol, resolve_min_delta

__all__ = ["DEFAULT_CONFIG", "resolve_config", "run", "RunResult", "run_name", "memory_estimate",
           "finished_result", "MAX_MEMORY_BYTES"]

_RUN_DEFAULTS = {
    "protocol": "tnrnn",
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
    "optimizer_options": {},
    "out": None,
    "progress": False,
}

#: Every key a run config may hold, with its default (the ``tnrnn`` protocol's
#: values; ``protocol="paper"`` changes the protocol keys, ``steps``,
#: ``test_size`` and the scoRNN and copying options, see
#: :mod:`tnrnn.train.protocols`). ``hidden`` or ``budget`` (a parameter count;
#: the width then comes from :func:`tnrnn.cells.width_for_budget`) must be given.
DEFAULT_CONFIG = {**_RUN_DEFAULTS, **{k: PROTOCOL[k] for k in PROTOCOL_KEYS}}

#: Keys a resolved config adds (refused as input, except when equal: a stored
#: config can be passed back).
_DERIVED = ("params", "free_params", "name", "overrides", "count")

#: Largest estimated memory of one run (parameters, optimiser state,
#: activations kept for the backward pass, validation and test sets).
MAX_MEMORY_BYTES = 8 * 2**30


@dataclasses.dataclass(frozen=True, eq=False)
class RunResult(Record):
    """What :func:`run` returns: the record of one finished run.

    ``to_dict()`` is exactly what ``result.json`` holds (same keys, same
    order); :meth:`from_dict` reads such a record back (:func:`finished_result`
    returns one). Reading it by key (``result["test"]``) and comparing it with
    a dict still work for one release, with a :class:`DeprecationWarning`
    naming the attribute (the shared :class:`tnrnn._results.Record` mixin).

    Parameters
    ----------
    config : dict
        The resolved config as stored in ``config.json`` (without ``out`` and
        ``progress``).
    task : dict
        The task's sizes and baselines (:meth:`tnrnn.tasks.Task.describe`).
    fit : dict
        Steps, stop reason, timings (the summary of :func:`tnrnn.train.fit`
        without ``best_val``).
    val : dict
        Validation metrics of the restored best weights (``loss`` and the task's metrics).
    test : dict
        Test metrics of the restored best weights.
    wall_s : float
        Seconds of training and testing.
    machine : dict
        ``platform``, ``processor``, ``cpus``, ``jax`` (version) and ``device``
        (as every run has recorded them), then the keys of
        :func:`tnrnn._io.machine_info` (``cpu`` model, ``cores``,
        ``memory_bytes``, ``versions``, ``jax_devices``, ``gpu``,
        ``load_average``; records written before lack them).

    Examples
    --------
    >>> r = RunResult(config={"cell": "gru"}, task={}, fit={"steps": 3}, val={"loss": 0.5},
    ...               test={"accuracy": 0.75}, wall_s=1.0, machine={})
    >>> r.test["accuracy"], list(r.to_dict())
    (0.75, ['config', 'task', 'fit', 'val', 'test', 'wall_s', 'machine'])
    >>> RunResult.from_dict(r.to_dict()) == r
    True
    """

    config: dict
    task: dict
    fit: dict
    val: dict
    test: dict
    wall_s: float
    machine: dict

    _reader = "result"  # the warnings say ``use result.test``

    @classmethod
    def from_dict(cls, record) -> "RunResult":
        """A result from its record (a ``result.json`` read back).

        Parameters
        ----------
        record : dict
            With exactly the keys of :meth:`to_dict`.

        Returns
        -------
        RunResult

        Examples
        --------
        >>> RunResult.from_dict({"config": {}, "test": {}})
        Traceback (most recent call last):
        ...
        tnrnn.errors.SpecError: a run's result needs the keys config, task, fit, val, test, wall_s, machine; got config, test (missing fit, machine, task, val, wall_s)
        """
        names = [f.name for f in dataclasses.fields(cls)]
        if not isinstance(record, dict) or set(record) != set(names):
            got = (", ".join(record) if isinstance(record, dict)
                   else f"a {type(record).__name__}")
            missing = sorted(set(names) - set(record)) if isinstance(record, dict) else []
            extra = sorted(set(record) - set(names)) if isinstance(record, dict) else []
            why = "; ".join(part for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(extra)}" if extra else "") if part)
            raise SpecError(f"a run's result needs the keys {', '.join(names)}; got {got}"
                            + (f" ({why})" if why else ""))
        return cls(**{k: record[k] for k in names})


def _protocol_defaults(name: str) -> dict:
    proto = get_protocol(name)
    base = {**_RUN_DEFAULTS, **{k: proto[k] for k in PROTOCOL_KEYS}, "protocol": name}
    for key in ("steps", "test_size"):
        if key in proto:
            base[key] = proto[key]
    return base


def resolve_config(config: dict) -> dict:
    """Defaults filled in from the protocol, unknown keys refused, the width resolved.

    A value given for a protocol key that differs from the protocol's is kept
    and listed under ``overrides``. ``params`` is the parameter count in the
    protocol's convention (``paper``: scoRNN's ``W`` counted ``H x H``, as the
    paper's code counts), ``free_params`` the number of scalars training moves;
    ``min_delta`` is resolved to a number for the task.

    Parameters
    ----------
    config : dict
        Keys of :data:`DEFAULT_CONFIG` (a stored, resolved config is accepted too).

    Returns
    -------
    dict
        The resolved config (adds ``params``, ``free_params``, ``name``,
        ``overrides``, ``count``).

    Examples
    --------
    >>> c = resolve_config({"task": "ses", "size": 20, "task_options": {"block": 5, "alphabet": 8},
    ...                     "cell": "gru", "depth": 2, "budget": 2000})
    >>> c["hidden"], c["params"], c["protocol"]
    (13, 2070, 'tnrnn')
    >>> c = resolve_config({"protocol": "paper", "task": "ses", "size": 80, "cell": "scornn",
    ...                     "depth": 1, "hidden": 40})
    >>> c["params"], c["free_params"], c["cell_options"], c["min_delta"], c["steps"]
    (3083, 2263, {'variant': 'paper'}, 0.001, 50000)
    >>> resolve_config({"cell": "gru", "hidden": 4, "size": 20, "lr": 1e-3, "colour": "red"})
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown config key(s) ['colour']; allowed: batch, budget, cell, cell_options, clip, decay, depth, dtype, eval_at_start, eval_every, eval_seed, hidden, lr, lr_factor, lr_recurrent, max_plateaus, min_delta, optimizer, optimizer_options, out, patience, patience_rule, progress, protocol, recurrent_clip, seed, size, steps, task, task_options, test_size, val_size
    """
    from ..cells import check_cell_options, get_cell, stack_param_count, width_for_budget
    from ..tasks import make_task

    if not isinstance(config, dict):
        raise SpecError(f"config must be a dict; got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULT_CONFIG) - set(_DERIVED))
    if unknown:
        raise SpecError(f"unknown config key(s) {unknown}; allowed: "
                        f"{', '.join(sorted(DEFAULT_CONFIG))}")
    proto_name = config.get("protocol", "tnrnn")
    base = _protocol_defaults(proto_name)
    proto = get_protocol(proto_name)
    given = {k: v for k, v in config.items() if k not in _DERIVED}
    c = {**base, **given}
    for key in ("task_options", "cell_options"):
        if c[key] is not None and not isinstance(c[key], dict):
            raise SpecError(f"{key} must be a dict; got {c[key]!r}")
    cell = get_cell(c["cell"])
    c["cell"] = cell.name
    c["cell_options"] = {**proto.get("cell_options", {}).get(cell.name, {}),
                         **dict(c["cell_options"] or {})}
    c["task_options"] = {**proto.get("task_options", {}).get(c["task"], {}),
                         **dict(c["task_options"] or {})}
    bad = sorted(set(c["cell_options"]) - set(cell.options))
    if bad:
        raise SpecError(f"cell {cell.name!r} has no option(s) {bad}; allowed: "
                        f"{sorted(cell.options) or 'none'}")
    task = make_task(c["task"], c["size"], **c["task_options"])
    c["depth"] = check_positive_int("depth", c["depth"])
    c["steps"] = check_positive_int("steps", c["steps"])
    c["test_size"] = check_positive_int("test_size", c["test_size"])
    c["seed"] = check_positive_int("seed", c["seed"], minimum=0)
    check_values(c)
    if cell.name != "scornn":  # the recurrence's own optimiser and rescaling are scoRNN's
        for key in ("lr_recurrent", "recurrent_clip"):
            if given.get(key) is not None:
                raise SpecError(f"{key} applies to scoRNN stacks only; got cell {cell.name!r}")
            c[key] = None
    c["min_delta"] = resolve_min_delta(c["min_delta"], task)
    c["overrides"] = sorted(k for k in (*PROTOCOL_KEYS, "steps", "test_size")
                            if k in given and given[k] != base[k]
                            and not (k == "min_delta" and given[k] == c["min_delta"]))
    count = proto.get("count", "free")
    c["count"] = count
    if c["hidden"] is None and c["budget"] is None:
        raise SpecError("give one of hidden (a width) and budget (a parameter count); got neither")
    if c["budget"] is not None:
        width = width_for_budget(c["cell"], depth=c["depth"], budget=c["budget"],
                                 input_dim=task.input_dim, outputs=task.outputs,
                                 convention=count)
        if c["hidden"] is not None and c["hidden"] != width:
            raise SpecError(f"give one of hidden (a width) and budget (a parameter count); got "
                            f"hidden={c['hidden']!r} and budget={c['budget']!r}, whose width "
                            f"is {width}")
        c["hidden"] = width
    c["hidden"] = check_positive_int("hidden", c["hidden"])
    check_cell_options(cell, c["cell_options"], hidden=c["hidden"])
    sizes = dict(depth=c["depth"], hidden=c["hidden"], input_dim=task.input_dim,
                 outputs=task.outputs)
    c["params"] = stack_param_count(c["cell"], **sizes, convention=count)
    c["free_params"] = stack_param_count(c["cell"], **sizes)
    c["name"] = run_name(c)
    return c


def memory_estimate(config: dict, task) -> int:
    """Bytes one run needs, an upper estimate: parameters x 5 (weights, best
    weights, gradients, two optimiser slots), activations kept for the
    backward pass (batch x T x depth x (gate width + state) x 3: forward
    values, gate residuals, cotangents), and the one-hot validation and test
    sets.

    Parameters
    ----------
    config : dict
        A resolved config (:func:`resolve_config`).
    task : tnrnn.tasks.Task

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> from tnrnn.tasks import make_task
    >>> c = resolve_config({"task": "ses", "size": 80, "cell": "lstm", "hidden": 100000})
    >>> memory_estimate(c, make_task("ses", 80)) > 100 * 2**30
    True
    """
    gates = {"lstm": 5, "gru": 4}.get(config["cell"], 2)
    item = 8 if config["dtype"] == "float64" else 4
    params = 5 * item * config["free_params"]
    if config["cell"] in ("scornn", "exprnn"):  # A and W (and D) beside the free entries
        params += 3 * item * config["depth"] * config["hidden"] ** 2
    acts = 3 * item * config["batch"] * task.length * config["depth"] * (gates + 1) * \
        config["hidden"]
    data = 4 * (config["val_size"] + config["test_size"]) * task.length * task.input_dim
    return params + acts + data


def run_name(config: dict) -> str:
    """A folder name for one run: ``ses-T40-lstm-L2-H14-s0``.

    Parameters
    ----------
    config : dict
        With ``task``, ``size``, ``cell``, ``depth``, ``hidden``, ``seed``.

    Returns
    -------
    str

    Examples
    --------
    >>> run_name({"task": "copying", "size": 10, "cell": "gru", "depth": 1, "hidden": 8,
    ...           "seed": 2})
    'copying-T10-gru-L1-H8-s2'
    """
    size = "" if config.get("size") is None else f"-T{config['size']}"
    return (f"{config['task']}{size}-{config['cell']}-L{config['depth']}-"
            f"H{config['hidden']}-s{config['seed']}")


def run(config: dict, *, progress: Callable | None = None) -> RunResult:
    """Train one model from a JSON-able config; return its result.

    Parameters
    ----------
    config : dict
        Keys of :data:`DEFAULT_CONFIG` (others refused). ``out`` (a folder,
        created if its parent exists) makes the run write its files and
        resume from its checkpoint; a folder holding a ``result.json`` is a
        finished run, returned as it is. The key ``progress`` is kept for
        compatibility: it draws nothing by itself (the training loop imports
        no terminal library); pass ``progress=`` instead.
    progress : callable, optional
        A progress display for the run, as :func:`tnrnn.train.fit` takes it
        (``tnrnn train`` passes a bar with ETA). Not part of the config: it
        is not stored and does not travel to sweep workers.

    Returns
    -------
    RunResult
        ``config`` (resolved), ``task`` (sizes and baselines), ``fit``
        (steps, stop reason, timings), ``val`` and ``test`` metrics of the
        restored best weights, ``wall_s``, ``machine``; ``to_dict()`` is the
        record written to ``result.json``.

    Examples
    --------
    >>> r = run({"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
    ...          "cell": "gru", "hidden": 8, "steps": 10, "eval_every": 5, "batch": 16,
    ...          "val_size": 32, "test_size": 32})
    >>> r.fit["steps"], sorted(r.test)
    (10, ['accuracy', 'loss'])
    """
    from ..cells import stack
    from ..tasks import derive_seed, make_task
    from .checkpoint import save_weights
    from .loop import _np_ce, evaluate_logits, fit

    c = resolve_config(config)
    if c["progress"] and progress is None:
        warnings.warn("the config key 'progress' no longer draws a bar (the training loop "
                      "imports no terminal library): pass run(config, progress=...) with a "
                      "display, as tnrnn train does", DeprecationWarning, stacklevel=2)
    task = make_task(c["task"], c["size"], **c["task_options"])
    need = memory_estimate(c, task)
    if need > MAX_MEMORY_BYTES:
        raise TooLargeError(
            f"run {c['name']} would need about {need / 2**30:.1f} GiB (parameters, optimiser "
            f"state, activations of batch {c['batch']} x T {task.length} x depth {c['depth']} x "
            f"width {c['hidden']}, {c['val_size']:,} + {c['test_size']:,} evaluation "
            f"sequences); the limit is {MAX_MEMORY_BYTES / 2**30:g} GiB: lower the width, the "
            "batch or the evaluation sets", estimate=need, limit=MAX_MEMORY_BYTES)
    stored = json.loads(json.dumps({k: v for k, v in c.items() if k not in ("progress", "out")}))
    out = None
    if c["out"] is not None:
        out = Path(c["out"])
        if out.exists() and not out.is_dir():
            raise SpecError(f"out: {str(out)!r} exists and is not a folder")
        if not out.parent.is_dir():
            raise SpecError(f"out: the folder {str(out.parent)!r} does not exist")
        old = finished_result(c)
        if old is not None:
            return old
        out.mkdir(exist_ok=True)
        cfg_file = out / "config.json"
        if cfg_file.exists():
            old = _upgrade(_read_json(cfg_file, "config"), stored)
            if old != stored:
                raise SpecError(f"out: {str(out)!r} holds a run with another config "
                                f"(differs in {_config_diff(old, stored)}); use another "
                                "folder, or delete that folder to train this config there")
        else:
            atomic_write_text(cfg_file, json.dumps(stored, indent=1, sort_keys=True) + "\n",
                              what="the run's config")

    import jax

    from .._jax import x64

    with x64(c["dtype"] == "float64"):
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
        res = fit(params, apply, task, steps=c["steps"], kind=c["cell"], protocol=c["protocol"],
                  optimizer=optimizer, lr=c["lr"], decay=c["decay"], batch=c["batch"],
                  clip=c["clip"], lr_recurrent=c["lr_recurrent"],
                  recurrent_clip=c["recurrent_clip"], eval_every=c["eval_every"],
                  eval_at_start=c["eval_at_start"], patience=c["patience"],
                  patience_rule=c["patience_rule"], min_delta=c["min_delta"],
                  lr_factor=c["lr_factor"], max_plateaus=c["max_plateaus"],
                  val_size=c["val_size"], eval_seed=c["eval_seed"], seed=c["seed"],
                  metrics_path=None if out is None else out / "metrics.jsonl",
                  checkpoint_path=None if out is None else out / "checkpoint.npz",
                  progress=progress, label=c["name"])
        data_seed = c["seed"] if c["eval_seed"] is None else c["eval_seed"]
        Xt, yt = task.eval_set("test", c["test_size"], seed=data_seed)
        key = None
        if res.params.needs_key:
            key = jax.random.key(derive_seed(c["seed"], 5) % 2**31)
        logits = evaluate_logits(jax.jit(apply), res.params, Xt, key=key)
    test = {"loss": _np_ce(logits, yt), **task.metrics(logits, yt)}
    best = res.summary.get("best_val") or {}
    val = {"loss": best.get("val_loss")}
    val.update({k[4:]: v for k, v in best.items() if k.startswith("val_") and k != "val_loss"})
    result = {
        "config": stored,
        "task": task.describe(),
        "fit": {k: v for k, v in res.summary.items() if k != "best_val"},
        "val": val,
        "test": test,
        "wall_s": time.perf_counter() - t0,
        "machine": _machine(),
    }
    # numpy numbers as Python ones, a non-finite numpy float as null (summaries skip None)
    result = RunResult.from_dict(json.loads(json.dumps(
        json_safe(result, infinity="null", floats="numpy"))))
    if out is not None:
        save_weights(out / "params.npz", res.params, cell=c["cell"], depth=c["depth"],
                    hidden=c["hidden"], task=c["task"], size=c["size"])
        atomic_write_text(out / "result.json", json.dumps(result.to_dict(), indent=1) + "\n",
                          what="the run's result")
    return result


def finished_result(config: dict):
    """The result of a finished run of ``config`` (resolved, with ``out``), or
    ``None`` if its folder holds no ``result.json``.

    A finished run of another config in that folder is a
    :class:`~tnrnn.errors.SpecError` naming the keys that differ: a rerun
    with another learning rate, say, must never report the old run as its own.

    Parameters
    ----------
    config : dict
        A resolved config with ``out``.

    Returns
    -------
    RunResult or None

    Examples
    --------
    >>> finished_result({"out": None}) is None
    True
    """
    if config.get("out") is None:
        return None
    done = Path(config["out"]) / "result.json"
    if not done.exists():
        return None
    stored = json.loads(json.dumps({k: v for k, v in config.items()
                                    if k not in ("progress", "out")}))
    old = _read_json(done, "result")
    if not isinstance(old, dict) or _upgrade(old.get("config"), stored) != stored:
        diff = _config_diff(_upgrade(old.get("config"), stored) if isinstance(old, dict)
                            else None, stored)
        raise SpecError(f"out: {str(done.parent)!r} holds a finished run with another config "
                        f"(differs in {diff}); use another folder, or delete that folder to "
                        "train this config there")
    try:
        return RunResult.from_dict(old)
    except SpecError as exc:
        raise SpecError(f"cannot read the run's result {str(done)!r}: {exc}; delete the folder "
                        f"{str(done.parent)!r} to train this run again from scratch") from None


#: Keys that configs written before protocols were named lack, with the value
#: their runs had (the ``tnrnn`` protocol's); derived keys they lack are not compared.
_LEGACY = {"protocol": "tnrnn", "lr_recurrent": None, "recurrent_clip": None,
           "eval_at_start": False, "patience_rule": "at-least", "min_delta": 0.0,
           "eval_seed": None, "count": "free"}


def _upgrade(old, new: dict):
    """An older stored config in today's form, so that the same command still
    recognises its finished runs."""
    if not isinstance(old, dict) or "protocol" in old:
        return old
    up = {**_LEGACY, **old}
    for key in ("overrides", "free_params"):
        if key in new:
            up[key] = new[key]
    return up


def _read_json(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = "it is empty" if Path(path).exists() and Path(path).stat().st_size == 0 \
            else f"it is not valid JSON ({exc})"
        raise SpecError(f"cannot read the run's {what} {str(path)!r}: {reason}; delete the "
                        f"folder {str(Path(path).parent)!r} to train this run again from "
                        "scratch") from None


def _config_diff(old, new: dict) -> list:
    if not isinstance(old, dict):
        return ["(unreadable)"]
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _machine() -> dict:
    """The machine of a run's ``result.json``: the keys it has always had
    (``platform``, ``processor``, ``cpus``, ``jax``, ``device``: readers of old
    and new records find them), then the one machine description
    (:func:`tnrnn._io.machine_info`: ``cpu`` model, ``cores``, ``memory_bytes``,
    ``versions``, ``jax_devices``, ``gpu``, ``load_average``)."""
    import platform

    import jax

    devices = jax.devices()
    info = machine_info(packages=("jax", "numpy"), devices=[d.platform for d in devices])
    return {"platform": info["platform"], "processor": platform.processor() or None,
            "cpus": info["cores"], "jax": jax.__version__,
            "device": str(devices[0].device_kind),
            **{k: v for k, v in info.items() if k != "platform"}}
