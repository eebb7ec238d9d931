"""The training loop: jitted optax steps, validation, the plateau schedule,
metrics as JSON lines, resumable checkpoints and a progress bar.

Three tiers: :func:`make_step` builds the pure jitted step (no checks inside),
:func:`fit` validates, loops and keeps the schedule, and
:func:`tnrnn.train.run` builds everything from a JSON-able config.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import SpecError, check_positive_int
from .checkpoint import load_checkpoint, save_checkpoint
from .optim import get_learning_rate, make_optimizer, set_learning_rate

__all__ = ["PROTOCOL", "FitResult", "fit", "make_loss", "make_step", "evaluate_logits",
           "cross_entropy"]

#: The depth paper's protocol (Levine et al., arXiv 2003.10163, public code):
#: every key can be overridden in :func:`fit` and in a run config.
PROTOCOL = {
    "optimizer": "rmsprop",
    "lr": 1e-3,
    "decay": 0.9,
    "batch": 128,
    "clip": 10.0,
    "eval_every": 1000,
    "patience": 10,
    "lr_factor": 0.1,
    "max_plateaus": 2,
    "val_size": 1000,
}


@dataclasses.dataclass
class FitResult:
    """What :func:`fit` returns: the best parameters and a JSON-able summary.

    Attributes
    ----------
    params : pytree
        The parameters with the best validation loss (restored at the end).
    summary : dict
        ``steps`` done, ``stopped`` ("steps" or "plateau"), ``best_step``,
        ``best_val`` metrics, final ``lr``, ``train_time_s``, ``ms_per_step``,
        ``compile_time_s``, ``resumed_from``.
    history : list of dict
        The validation records (as written to the metrics file).
    """

    params: object
    summary: dict
    history: list


def cross_entropy(logits, y):
    """Mean softmax cross-entropy (natural log) of integer labels, numpy or jax.

    Examples
    --------
    >>> import numpy as np
    >>> abs(float(cross_entropy(np.zeros((2, 4)), np.array([0, 3]))) - float(np.log(4))) < 1e-6
    True
    """
    import jax.numpy as jnp

    logits = jnp.asarray(logits)
    lse = jax_logsumexp(logits)
    picked = jnp.take_along_axis(logits, jnp.asarray(y)[..., None], axis=-1)[..., 0]
    return jnp.mean(lse - picked)


def jax_logsumexp(logits):
    import jax

    return jax.nn.logsumexp(logits, axis=-1)


def make_loss(apply: Callable) -> Callable:
    """``loss(params, X, y)``: mean cross-entropy of ``apply(params, X)``
    (last-step labels ``(batch,)`` or every-step labels ``(batch, T)``)."""
    def loss(params, X, y):
        return cross_entropy(apply(params, X), y)
    return loss


def _mask_tree(tree, mask):
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda g, m: g if m else jnp.zeros_like(g), tree, mask)


def make_step(apply: Callable, optimizer, mask=None, *, fused: bool = True):
    """The jitted training step(s).

    ``fused=True``: ``step(params, opt_state, X, y) -> (params, opt_state, loss)``.
    ``fused=False`` (scoRNN, whose Cayley update runs in numpy between the two):
    ``(grads_fn, update_fn)`` with ``grads_fn(params, X, y) -> (loss, grads)`` and
    ``update_fn(params, opt_state, grads) -> (params, opt_state)``.
    Frozen entries (``mask`` False) get zero gradients.
    """
    import jax
    import optax

    loss = make_loss(apply)
    vg = jax.value_and_grad(loss)

    def grads_fn(params, X, y):
        value, grads = vg(params, X, y)
        return value, (grads if mask is None else _mask_tree(grads, mask))

    def update_fn(params, opt_state, grads):
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    if not fused:
        return jax.jit(grads_fn), jax.jit(update_fn)

    def step(params, opt_state, X, y):
        value, grads = grads_fn(params, X, y)
        params, opt_state = update_fn(params, opt_state, grads)
        return params, opt_state, value

    return jax.jit(step, donate_argnums=())


def evaluate_logits(apply_jit: Callable, params, X, *, chunk: int = 512) -> np.ndarray:
    """Logits of ``X`` in chunks (numpy)."""
    outs = [np.asarray(apply_jit(params, X[i:i + chunk])) for i in range(0, len(X), chunk)]
    return np.concatenate(outs, axis=0)


def _np_ce(logits, y) -> float:
    z = logits - logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=-1))
    picked = np.take_along_axis(z, np.asarray(y)[..., None], axis=-1)[..., 0]
    return float(np.mean(lse - picked))


def _to_numpy_tree(tree):
    import jax

    return jax.tree.map(np.asarray, tree)


def fit(params, apply: Callable, task, *, steps: int, kind: str | None = None,
        optimizer=None, lr: float | None = None, decay: float | None = None,
        batch: int | None = None, clip: float | None = None, eval_every: int | None = None,
        patience: int | None = None, lr_factor: float | None = None,
        max_plateaus: int | None = None, val_size: int | None = None, seed: int = 0,
        metrics_path=None, checkpoint_path=None, progress: bool = False,
        label: str = "train", callback: Callable | None = None) -> FitResult:
    """Train ``apply``'s parameters on ``task`` with the paper's protocol.

    Parameters
    ----------
    params : dict
        A stack's parameters (:func:`tnrnn.cells.stack`).
    apply : callable
        ``apply(params, X) -> logits``.
    task : tnrnn.tasks.Task
    steps : int
        Largest number of optimiser steps.
    kind : str, optional
        The cell kind; needed for scoRNN (Cayley update outside ``jit``) and
        for frozen entries (initial states).
    optimizer : str or optax transformation, optional
        Default ``"rmsprop"`` via :func:`tnrnn.train.make_optimizer` (with
        ``lr``, ``decay`` and ``clip``). A given optax transformation is used
        as it is; the plateau schedule then changes the learning rate only if
        the state carries ``hyperparams["learning_rate"]``.
    lr, decay, batch, clip, eval_every, patience, lr_factor, max_plateaus, val_size
        Override :data:`PROTOCOL`. Every ``eval_every`` steps the validation
        loss is measured; after ``patience`` evaluations without a new best,
        the learning rate is multiplied by ``lr_factor``; at the
        ``max_plateaus``-th plateau training stops. The best weights are
        restored at the end.
    seed : int
        Seeds the training batches (batch ``s`` depends on ``(seed, s)`` only)
        and the validation set.
    metrics_path : path, optional
        JSON-lines file, one record per validation.
    checkpoint_path : path, optional
        ``.npz`` written at every validation; if it exists, training resumes
        from it (same data, same result as an uninterrupted run).
    progress : bool
        A progress bar with ETA on stderr (rich).
    callback : callable, optional
        Called with each validation record.

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> from tnrnn.tasks import make_task
    >>> task = make_task("ses", 8, block=2, alphabet=3)
    >>> params, apply = stack("gru", depth=1, hidden=8, input_dim=task.input_dim, outputs=3)
    >>> res = fit(params, apply, task, steps=20, eval_every=10, batch=16, val_size=64)
    >>> res.summary["steps"], len(res.history)
    (20, 2)
    """
    import jax

    from ..cells import needs_outside_update, outside_grads, outside_refresh, trainable_mask

    cfg = dict(PROTOCOL)
    for key, value in dict(optimizer=optimizer, lr=lr, decay=decay, batch=batch, clip=clip,
                           eval_every=eval_every, patience=patience, lr_factor=lr_factor,
                           max_plateaus=max_plateaus, val_size=val_size).items():
        if value is not None:
            cfg[key] = value
    steps = check_positive_int("steps", steps)
    for key in ("batch", "eval_every", "patience", "max_plateaus", "val_size"):
        cfg[key] = check_positive_int(key, cfg[key])
    if not 0 < float(cfg["lr_factor"]) <= 1:
        raise SpecError(f"lr_factor must be in (0, 1]; got {cfg['lr_factor']!r}")
    seed = check_positive_int("seed", seed, minimum=0)

    if isinstance(cfg["optimizer"], str):
        opt = make_optimizer(cfg["optimizer"], lr=cfg["lr"], clip=cfg["clip"],
                             options={"decay": cfg["decay"]} if cfg["optimizer"] == "rmsprop"
                             else None)
    else:
        opt = cfg["optimizer"]
    outside = kind is not None and needs_outside_update(kind)
    mask = trainable_mask(params) if isinstance(params, dict) and "layers" in params else None
    params = _to_numpy_tree(params)
    opt_state = opt.init(params)
    apply_jit = jax.jit(apply)
    if outside:
        # scoRNN: W's gradient must reach outside_grads, which turns it into A's
        # (and zeroes W's and D's itself); masking it first would freeze A.
        gmask = None if mask is None else {
            "layers": [{k: v or k == "W" for k, v in m.items()} for m in mask["layers"]],
            "readout": mask["readout"]}
        grads_fn, update_fn = make_step(apply, opt, gmask, fused=False)
    else:
        step_fn = make_step(apply, opt, mask)

    Xv, yv = task.eval_set("validation", cfg["val_size"], seed=seed)
    state = {"step": 0, "best_loss": float("inf"), "best_step": 0, "bad": 0, "plateaus": 0,
             "stopped": None, "train_time_s": 0.0, "compile_time_s": None}
    best = params
    history: list = []
    resumed_from = None
    ckpt = Path(checkpoint_path) if checkpoint_path is not None else None
    if ckpt is not None and ckpt.exists():
        params, opt_state, best, state = load_checkpoint(ckpt, params, opt_state)
        resumed_from = state["step"]
    if metrics_path is not None:
        history = _sync_metrics(Path(metrics_path), state["step"])

    def has_lr(s):
        return hasattr(s, "hyperparams") and "learning_rate" in s.hyperparams

    bar = _Bar(progress, label, steps, state["step"])
    losses: list = []
    t_start = time.perf_counter()
    t_loop = 0.0
    try:
        while state["step"] < steps and state["stopped"] is None:
            s = state["step"]
            X, y = task.batch(cfg["batch"], seed=seed, index=s)
            t0 = time.perf_counter()
            if outside:
                loss, grads = grads_fn(params, X, y)
                grads = outside_grads(params, _to_numpy_tree(grads))
                params, opt_state = update_fn(params, opt_state, grads)
                params = outside_refresh(_to_numpy_tree(params))
            else:
                params, opt_state, loss = step_fn(params, opt_state, X, y)
            jax.block_until_ready(loss)  # honest per-step times
            losses.append(loss)
            if state["compile_time_s"] is None:
                state["compile_time_s"] = time.perf_counter() - t0
            else:
                t_loop += time.perf_counter() - t0
            state["step"] = s + 1
            bar.advance()
            if state["step"] % cfg["eval_every"] == 0 or state["step"] == steps:
                logits = evaluate_logits(apply_jit, params, Xv)
                val_loss = _np_ce(logits, yv)
                record = {"step": state["step"],
                          "train_loss": float(np.mean([float(v) for v in losses])),
                          "val_loss": val_loss, **{f"val_{k}": v for k, v in
                                                   task.metrics(logits, yv).items()},
                          "lr": float(get_learning_rate(opt_state)) if has_lr(opt_state)
                          else None}
                losses = []
                if np.isfinite(val_loss) and val_loss < state["best_loss"]:
                    state.update(best_loss=val_loss, best_step=state["step"], bad=0)
                    best = _to_numpy_tree(params)
                else:
                    state["bad"] += 1
                    if state["bad"] >= cfg["patience"]:
                        state["plateaus"] += 1
                        state["bad"] = 0
                        if state["plateaus"] >= cfg["max_plateaus"]:
                            state["stopped"] = "plateau"
                        elif has_lr(opt_state):
                            lr_now = float(get_learning_rate(opt_state))
                            opt_state = set_learning_rate(opt_state, lr_now * cfg["lr_factor"])
                record["elapsed_s"] = state["train_time_s"] + (time.perf_counter() - t_start)
                history.append(record)
                if ckpt is not None:
                    st = dict(state, train_time_s=record["elapsed_s"])
                    save_checkpoint(ckpt, _to_numpy_tree(params), _to_numpy_tree(opt_state),
                                    best, st)
                if metrics_path is not None:
                    with open(metrics_path, "a") as fh:
                        fh.write(json.dumps(record) + "\n")
                bar.note(record)
                if callback is not None:
                    callback(record)
    finally:
        bar.close()
    done_now = state["step"] - (resumed_from or 0)
    timed = max(done_now - 1, 1)
    summary = {
        "steps": state["step"],
        "stopped": state["stopped"] or "steps",
        "best_step": state["best_step"],
        "best_val_loss": state["best_loss"] if np.isfinite(state["best_loss"]) else None,
        "best_val": next((r for r in history if r["step"] == state["best_step"]), None),
        "plateaus": state["plateaus"],
        "lr": float(get_learning_rate(opt_state)) if has_lr(opt_state) else None,
        "train_time_s": state["train_time_s"] + (time.perf_counter() - t_start),
        "compile_time_s": state["compile_time_s"],
        "ms_per_step": 1000.0 * t_loop / timed if done_now > 1 else None,
        "resumed_from": resumed_from,
    }
    return FitResult(params=best, summary=summary, history=history)


def _sync_metrics(path: Path, step: int) -> list:
    """Keep the records up to the checkpoint's step (a crash may have left later ones)."""
    if not path.exists():
        return []
    keep = []
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            if rec.get("step", 0) <= step:
                keep.append(rec)
    path.write_text("".join(json.dumps(r) + "\n" for r in keep))
    return keep


class _Bar:
    """A rich progress bar with ETA on stderr (no-op when disabled)."""

    def __init__(self, enabled: bool, label: str, total: int, done: int):
        self.progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"),
                                 TimeRemainingColumn(), TextColumn("{task.fields[note]}"),
                                 console=Console(stderr=True), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(label, total=total, completed=done, note="")

    def advance(self):
        if self.progress is not None:
            self.progress.advance(self.task)

    def note(self, record):
        if self.progress is not None:
            acc = record.get("val_accuracy")
            self.progress.update(self.task, note=f"val loss {record['val_loss']:.4f}"
                                 + (f" acc {acc:.3f}" if acc is not None else ""))

    def close(self):
        if self.progress is not None:
            self.progress.stop()
