"""Named training protocols: every value of a protocol, in one place.

A protocol is a dict of run-config values (:data:`tnrnn.train.DEFAULT_CONFIG`
keys). :func:`protocol_config` fills a run config from a protocol; values the
caller gives explicitly win and are recorded under ``overrides``, so a run's
``config.json`` always says which protocol it followed and where it departed.

``"paper"`` is the depth paper's public training code (Levine, Sharir, Ziv,
Shashua; repository HUJI-Deep/Long-Term-Memory-of-Deep-RNNs, files
``common/RNN_wrapper.py``, ``common/scoRNN.py``,
``start_end_similarity/SES_utils.py``, ``copying_memory_task/copying_task_utils.py``),
value by value:

- scoRNN cells in the code's variant (``cell_options={"variant": "paper"}``:
  modReLU, ``D`` with ``H // 2`` signs +1 and the rest -1, ``U ~ U(-0.01,
  0.01)``, bias 0, Xavier readout with zero bias, an initial state drawn from
  U(-sqrt(3/H), sqrt(3/H)) on every forward pass);
- RMSProp (learning rate 1e-3, decay 0.9, TensorFlow 1's epsilon 1e-10 and
  accumulator start 1) on ``U``, ``b`` and the readout, unclipped;
- the recurrence trained through ``A`` by its own RMSProp at 1e-4, from
  ``dL/dW`` rescaled to L-inf norm 10 when above it (direction kept) and
  zeroed whole if any entry is not finite;
- validation every 1,000 iterations and at iteration 0; an improvement only
  when the loss drops by more than ``min_delta`` (1e-3 on SES, 1e-3 M/T on
  copying); after more than ``patience`` = 10 checks without one, both
  learning rates x 0.1; at the second such plateau, stop; the best weights
  restored; at most 50,000 iterations;
- fresh batches of 128 every step; validation and test sets of
  ``(5000 // 128) * 128 = 4,992`` and ``(10000 // 128) * 128 = 9,984``
  sequences (the code rounds both down to whole batches), drawn once and
  shared by every run of a task size (the code caches them in one file per
  task size);
- budgets counted as the code counts them (scoRNN's ``W`` as ``H x H``).

``"tnrnn"`` is the earlier default of this package (kept so that its runs
can be repeated): L-inf clipping of every gradient entry at 10, one RMSProp
for everything, no ``min_delta``, a plateau after ``patience`` checks,
validation from step ``eval_every`` on, seeded validation sets.

Examples
--------
>>> p = get_protocol("paper")
>>> p["lr_recurrent"], p["min_delta"], p["val_size"], p["steps"]
(0.0001, 'task', 4992, 50000)
>>> get_protocol("keras")
Traceback (most recent call last):
...
tnrnn.errors.SpecError: unknown protocol 'keras'; valid protocols: paper, tnrnn
"""

from __future__ import annotations

from ..errors import SpecError

__all__ = ["PROTOCOLS", "PROTOCOL_KEYS", "protocol_names", "get_protocol",
           "resolve_min_delta", "paper_min_delta", "check_values"]

#: The keys every protocol sets (the arguments of :func:`tnrnn.train.fit` it fills).
PROTOCOL_KEYS = ("optimizer", "lr", "decay", "batch", "clip", "lr_recurrent", "recurrent_clip",
                 "eval_every", "eval_at_start", "patience", "patience_rule", "min_delta",
                 "lr_factor", "max_plateaus", "val_size", "eval_seed")

_TNRNN = {
    "optimizer": "rmsprop",
    "lr": 1e-3,
    "decay": 0.9,
    "batch": 128,
    "clip": 10.0,
    "lr_recurrent": None,
    "recurrent_clip": None,
    "eval_every": 1000,
    "eval_at_start": False,
    "patience": 10,
    "patience_rule": "at-least",
    "min_delta": 0.0,
    "lr_factor": 0.1,
    "max_plateaus": 2,
    "val_size": 1000,
    "eval_seed": None,
}

_PAPER = {
    "optimizer": "rmsprop",
    "lr": 1e-3,
    "decay": 0.9,
    "batch": 128,
    "clip": None,
    "lr_recurrent": 1e-4,
    "recurrent_clip": 10.0,
    "eval_every": 1000,
    "eval_at_start": True,
    "patience": 10,
    "patience_rule": "more-than",
    "min_delta": "task",
    "lr_factor": 0.1,
    "max_plateaus": 2,
    "val_size": (5000 // 128) * 128,
    "test_size": (10000 // 128) * 128,
    "steps": 50000,
    "eval_seed": 0,
    "cell_options": {"scornn": {"variant": "paper"}},
    "task_options": {"copying": {"marker": "at-recall"}},
    "count": "paper",
}

#: name -> protocol values (``cell_options`` is per cell kind).
PROTOCOLS: dict[str, dict] = {"tnrnn": _TNRNN, "paper": _PAPER}


def protocol_names() -> list[str]:
    """The registered protocol names.

    Returns
    -------
    list of str

    Examples
    --------
    >>> protocol_names()
    ['paper', 'tnrnn']
    """
    return sorted(PROTOCOLS)


def get_protocol(name: str) -> dict:
    """A copy of the protocol registered under ``name``.

    Parameters
    ----------
    name : {"tnrnn", "paper"}

    Returns
    -------
    dict

    Examples
    --------
    >>> get_protocol("tnrnn")["clip"], get_protocol("paper")["clip"]
    (10.0, None)
    """
    if not isinstance(name, str) or name not in PROTOCOLS:
        raise SpecError(f"unknown protocol {name!r}; valid protocols: "
                        f"{', '.join(protocol_names())}")
    import copy

    return copy.deepcopy(PROTOCOLS[name])


def paper_min_delta(task) -> float:
    """The paper's code's ``min_delta`` for a task: 1e-3 on SES (and pMNIST),
    ``1e-3 M / T`` on copying (``early_stop_TH`` in its copying code).

    Parameters
    ----------
    task : tnrnn.tasks.Task

    Returns
    -------
    float

    Examples
    --------
    >>> from tnrnn.tasks import make_task
    >>> paper_min_delta(make_task("copying", 100, word_length=30)) == 1e-3 * 30 / 160
    True
    """
    if task.name == "copying":
        return 1e-3 * task.options["word_length"] / task.length
    return 1e-3


def resolve_min_delta(value, task) -> float:
    """``value`` as a number: ``"task"`` means :func:`paper_min_delta`.

    Parameters
    ----------
    value : float or "task"
    task : tnrnn.tasks.Task

    Returns
    -------
    float

    Examples
    --------
    >>> from tnrnn.tasks import make_task
    >>> resolve_min_delta("task", make_task("ses", 80)), resolve_min_delta(0.5, None)
    (0.001, 0.5)
    """
    if value == "task":
        return paper_min_delta(task)
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0:
        raise SpecError(f"min_delta must be a finite number >= 0 or 'task'; got {value!r}")
    return float(value)


def _number(name, value, *, low=0.0, low_open=True, high=None, high_open=False,
            allow_none=False):
    import math

    if value is None and allow_none:
        return None
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and math.isfinite(value)
          and (value > low if low_open else value >= low)
          and (high is None or (value < high if high_open else value <= high)))
    if not ok:
        lo = f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f" and {'<' if high_open else '<='} {high:g}"
        none = " (or None)" if allow_none else ""
        raise SpecError(f"{name} must be a finite number {lo}{hi}{none}; got {value!r}")
    return value


def check_values(cfg: dict) -> dict:
    """Check the protocol keys of a config (types, finiteness, ranges); return it.

    Parameters
    ----------
    cfg : dict
        Holds every key of :data:`PROTOCOL_KEYS`.

    Returns
    -------
    dict
        ``cfg`` (integers checked in place).

    Examples
    --------
    >>> check_values(dict(get_protocol("paper"), lr=float("inf")))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: lr must be a finite number > 0; got inf
    >>> check_values(dict(get_protocol("tnrnn"), patience_rule="sometimes"))
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: patience_rule must be 'at-least' or 'more-than'; got 'sometimes'
    """
    from ..errors import check_positive_int

    if isinstance(cfg.get("optimizer"), str):
        from .optim import get_optimizer

        get_optimizer(cfg["optimizer"])
    if isinstance(cfg.get("optimizer"), str) or cfg.get("optimizer") is None:
        _number("lr", cfg["lr"])
        _number("decay", cfg["decay"], high=1.0, high_open=True)
    _number("clip", cfg["clip"], allow_none=True)
    _number("lr_recurrent", cfg["lr_recurrent"], allow_none=True)
    _number("recurrent_clip", cfg["recurrent_clip"], allow_none=True)
    _number("lr_factor", cfg["lr_factor"], high=1.0)
    for key in ("batch", "eval_every", "patience", "max_plateaus", "val_size"):
        cfg[key] = check_positive_int(key, cfg[key])
    if cfg["eval_seed"] is not None:
        check_positive_int("eval_seed", cfg["eval_seed"], minimum=0)
    if not isinstance(cfg["eval_at_start"], bool):
        raise SpecError(f"eval_at_start must be True or False; got {cfg['eval_at_start']!r}")
    if cfg["patience_rule"] not in ("at-least", "more-than"):
        raise SpecError(f"patience_rule must be 'at-least' or 'more-than'; "
                        f"got {cfg['patience_rule']!r}")
    if cfg["min_delta"] != "task":
        _number("min_delta", cfg["min_delta"], low_open=False)
    return cfg
