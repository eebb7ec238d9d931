"""Tasks by name: what training needs to know about each memory task.

:func:`make_task` turns a name and JSON-able options into a :class:`Task`:
input and output widths, whether the loss reads every step, seeded training
batches (batch ``s`` is a pure function of ``(seed, s)``, so a resumed run
sees the same data), fixed validation and test sets, metrics and baselines.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from ..errors import SpecError, check_positive_int
from .memory import (copying_baseline, copying_memory, copying_metrics, ses_input_dim,
                     start_end_similarity)

__all__ = ["Task", "TASKS", "task_names", "make_task", "derive_seed"]


@dataclasses.dataclass(frozen=True)
class Task:
    """A memory task ready for training (built by :func:`make_task`).

    Parameters
    ----------
    name : str
        The task's name (a key of :data:`TASKS`).
    options : dict
        The resolved options (JSON-able), e.g. ``{"length": 40, "block": 5, ...}``.
    length : int
        Sequence length ``T``.
    input_dim : int
        Width of the inputs.
    outputs : int
        Number of output classes.
    every_step : bool
        True when the loss averages over every step (copying).
    batch : callable
        ``batch(size, *, seed, index) -> (X, y)``: training batch number ``index``.
    eval_set : callable
        ``eval_set(split, size, *, seed) -> (X, y)``, split "validation" or "test".
    metrics : callable
        ``metrics(logits, y) -> dict`` with at least ``"accuracy"``.
    baseline : dict
        ``chance_accuracy`` and, where exact, ``memoryless_loss``.

    Examples
    --------
    >>> t = make_task("ses", 8, block=3, alphabet=4)
    >>> X, y = t.batch(5, seed=0, index=0)
    >>> X.shape == (5, t.length, t.input_dim), bool((X == t.batch(5, seed=0, index=0)[0]).all())
    (True, True)
    >>> t.metrics(np.eye(t.outputs)[y], y)          # perfect logits
    {'accuracy': 1.0}
    >>> t.describe()["options"]
    {'length': 8, 'block': 3, 'alphabet': 4, 'classes': 3}
    """

    name: str
    options: dict
    length: int
    input_dim: int
    outputs: int
    every_step: bool
    batch: Callable
    eval_set: Callable
    metrics: Callable
    baseline: dict

    def describe(self) -> dict:
        """JSON-able summary (name, options, sizes, baseline)."""
        return {"name": self.name, "options": dict(self.options), "length": self.length,
                "input_dim": self.input_dim, "outputs": self.outputs,
                "every_step": self.every_step, "baseline": dict(self.baseline)}


def derive_seed(seed: int, *parts: int) -> int:
    """An independent 63-bit seed for ``(seed, *parts)`` (numpy SeedSequence).

    Parameters
    ----------
    seed : int
        The run's seed.
    *parts : int
        Stream indices (e.g. split, batch number).

    Returns
    -------
    int
        In ``[0, 2^63)``.

    Examples
    --------
    >>> derive_seed(0, 1, 2) == derive_seed(0, 1, 2) != derive_seed(0, 1, 3)
    True
    """
    words = np.random.SeedSequence([int(seed), *map(int, parts)]).generate_state(2, np.uint32)
    return int((int(words[0]) << 31) ^ int(words[1]))


_STREAMS = {"train": 0, "validation": 1, "test": 2}


def _check_split(split):
    if split not in ("validation", "test"):
        raise SpecError(f"split must be 'validation' or 'test'; got {split!r}")
    return _STREAMS[split]


def _accuracy(logits, y) -> dict:
    return {"accuracy": float((np.asarray(logits).argmax(-1) == np.asarray(y)).mean())}


def _ses(*, length: int, block: int = 30, alphabet: int = 32, classes: int = 3) -> Task:
    opts = {"length": length, "block": block, "alphabet": alphabet, "classes": classes}
    input_dim = ses_input_dim(length=length, block=block, alphabet=alphabet)
    start_end_similarity(1, **opts)  # validate now

    def batch(size, *, seed, index):
        return start_end_similarity(size, **opts, seed=derive_seed(seed, 0, index))

    def eval_set(split, size, *, seed):
        return start_end_similarity(size, **opts, seed=derive_seed(seed, _check_split(split)))

    return Task("ses", opts, length, input_dim, classes, False, batch, eval_set, _accuracy,
                {"chance_accuracy": 1.0 / classes, "memoryless_loss": math.log(classes)})


def _copying(*, delay: int, word_length: int = 30, alphabet: int = 32,
             marker: str = "before") -> Task:
    opts = {"delay": delay, "word_length": word_length, "alphabet": alphabet, "marker": marker}
    copying_memory(1, **opts)  # validate now
    base = copying_baseline(delay=delay, word_length=word_length, alphabet=alphabet)
    T = 2 * word_length + delay

    def batch(size, *, seed, index):
        return copying_memory(size, **opts, seed=derive_seed(seed, 0, index))

    def eval_set(split, size, *, seed):
        return copying_memory(size, **opts, seed=derive_seed(seed, _check_split(split)))

    def metrics(logits, y):
        return copying_metrics(np.asarray(logits).argmax(-1), y,
                               word_length=word_length).to_dict()

    # accuracy of the memoryless predictor: every blank right, 1/n of the letters
    chance = (T - word_length + word_length / alphabet) / T
    return Task("copying", opts, T, alphabet + 2, alphabet + 2, True, batch, eval_set, metrics,
                {"chance_accuracy": chance, "memoryless_loss": base,
                 "chance_data_accuracy": 1.0 / alphabet})


def _pmnist(*, validation: int = 500, test: int = 500, shuffle_seed: int = 0,
            permute: bool = True) -> Task:
    from .pmnist import pmnist_split

    opts = {"validation": validation, "test": test, "shuffle_seed": shuffle_seed,
            "permute": permute}
    cache: dict = {}

    def split_data(split):
        if split not in cache:
            cache[split] = pmnist_split(split, **opts)
        return cache[split]

    def batch(size, *, seed, index):
        X, y = split_data("train")
        idx = np.random.default_rng(derive_seed(seed, 0, index)).integers(0, len(y), size)
        return X[idx], y[idx]

    def eval_set(split, size, *, seed):
        _check_split(split)
        X, y = split_data(split)
        return X[:size], y[:size]

    return Task("pmnist", opts, 784, 1, 10, False, batch, eval_set, _accuracy,
                {"chance_accuracy": 0.1, "memoryless_loss": math.log(10)})


#: name -> (constructor, name of the option that ``size`` sets)
TASKS: dict[str, tuple[Callable, str | None]] = {
    "ses": (_ses, "length"),
    "copying": (_copying, "delay"),
    "pmnist": (_pmnist, None),
}


def task_names() -> list[str]:
    """Registered task names.

    Returns
    -------
    list of str
        Sorted.

    Examples
    --------
    >>> task_names()
    ['copying', 'pmnist', 'ses']
    """
    return sorted(TASKS)


def make_task(name: str, size: int | None = None, **options) -> Task:
    """Build a task from its name, its size and its options.

    ``size`` is the memory length a sweep varies: ``T`` for ``"ses"``, the
    delay ``B`` for ``"copying"`` (``T = 2 M + B``); ``"pmnist"`` has no size
    (``T = 784``).

    Parameters
    ----------
    name : str
        ``"ses"``, ``"copying"`` or ``"pmnist"``.
    size : int, optional
        The memory length (see above); required for ``"ses"`` and ``"copying"``
        unless given among the options.
    **options
        The task's options (those of :func:`tnrnn.tasks.memory.start_end_similarity`,
        :func:`tnrnn.tasks.memory.copying_memory` or :func:`tnrnn.tasks.pmnist.pmnist_split`
        that shape the data).

    Returns
    -------
    Task

    Examples
    --------
    >>> t = make_task("copying", 10, word_length=5, alphabet=8)
    >>> t.length, t.input_dim, t.every_step, round(t.baseline["memoryless_loss"], 4)
    (20, 10, True, 0.5199)
    >>> make_task("ses", 40, block=5, alphabet=8).input_dim
    9
    >>> make_task("parity", 10)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown task 'parity'; valid tasks: copying, pmnist, ses
    """
    if name not in TASKS:
        raise SpecError(f"unknown task {name!r}; valid tasks: {', '.join(task_names())}")
    make, size_name = TASKS[name]
    if size_name is not None:
        if size is not None:
            if size_name in options:
                raise SpecError(f"give the {name} task's {size_name} once (size={size} and "
                                f"{size_name}={options[size_name]})")
            options[size_name] = check_positive_int("size", size)
        elif size_name not in options:
            raise SpecError(f"the {name} task needs a size ({size_name}); got none")
    elif size is not None:
        raise SpecError(f"the {name} task has a fixed length (T = 784); got size={size}")
    try:
        return make(**options)
    except TypeError as exc:
        raise SpecError(f"bad options for task {name!r}: {exc}") from None
