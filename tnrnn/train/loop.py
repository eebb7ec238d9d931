"""The training loop: jitted optax steps, validation, the plateau schedule,
metrics as JSON lines, resumable checkpoints and a progress display (drawn by
the caller: this layer imports no terminal library).

Three tiers: :func:`make_step` builds the pure jitted step (no checks inside;
with :func:`make_loss` and :func:`evaluate_logits`, defined in ``_steps`` and
importable from here), :func:`fit` validates, loops (:func:`tnrnn.train.train_steps`)
and keeps the schedule, and :func:`tnrnn.train.run` builds everything from a
JSON-able config.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import SpecError, check_positive_int
from ._steps import _np_ce, evaluate_logits, make_loss, make_step
from .checkpoint import load_checkpoint, save_checkpoint
from .engine import LoopState, cross_entropy, train_steps
from .optim import get_learning_rate, make_optimizer, with_learning_rate
from .protocols import check_values, get_protocol, resolve_min_delta

__all__ = ["PROTOCOL", "FitResult", "fit", "make_loss", "make_step", "evaluate_logits",
           "cross_entropy"]

#: The default protocol's values (``tnrnn``; see :mod:`tnrnn.train.protocols` for
#: ``paper``, the depth paper's code value by value): every key can be
#: overridden in :func:`fit` and in a run config.
PROTOCOL = get_protocol("tnrnn")

_UNSET = object()


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns: the best parameters and a JSON-able summary.

    Parameters
    ----------
    params : tnrnn.cells.Model
        The parameters with the best validation loss (restored at the end).
    summary : dict
        ``steps`` done, ``stopped`` ("steps" or "plateau"), ``best_step``,
        ``best_val`` metrics, final ``lr``, ``train_time_s``, ``ms_per_step``,
        ``compile_time_s``, ``resumed_from``.
    history : list of dict
        The validation records (as written to the metrics file).

    Examples
    --------
    >>> r = FitResult(params=None, summary={"steps": 3}, history=[{"step": 3}])
    >>> r.to_dict()
    {'summary': {'steps': 3}, 'history': [{'step': 3}]}
    """

    params: object
    summary: dict
    history: list

    def to_dict(self) -> dict:
        """The JSON-able part: ``{"summary": ..., "history": ...}`` (the weights
        are not JSON; :func:`tnrnn.train.save_weights` stores them).

        Returns
        -------
        dict
        """
        return {"summary": self.summary, "history": self.history}


def _to_numpy_tree(tree):
    import jax

    return jax.tree.map(np.asarray, tree)


def fit(params, apply: Callable, task, *, steps: int | None = None, kind: str | None = None,
        protocol: str = "tnrnn", optimizer=None, lr: float | None = None,
        decay: float | None = None, batch: int | None = None, clip=_UNSET,
        lr_recurrent=_UNSET, recurrent_clip=_UNSET, eval_every: int | None = None,
        eval_at_start: bool | None = None, patience: int | None = None,
        patience_rule: str | None = None, min_delta=None, lr_factor: float | None = None,
        max_plateaus: int | None = None, val_size: int | None = None, eval_seed=_UNSET,
        seed: int = 0, metrics_path=None, checkpoint_path=None, progress=None,
        label: str = "train", callback: Callable | None = None,
        on_step: Callable | None = None) -> FitResult:
    """Train ``apply``'s parameters on ``task`` under a named protocol.

    Parameters
    ----------
    params : tnrnn.cells.Model or dict
        A stack's parameters: the :class:`~tnrnn.cells.Model` that
        :func:`tnrnn.cells.stack` returns (it says its cell kind), or a plain
        stack dict together with ``kind``.
    apply : callable
        ``apply(params, X) -> logits`` (``apply(params, X, key)`` for stacks
        with random initial states, :func:`tnrnn.cells.needs_key`).
    task : tnrnn.tasks.Task
    steps : int, optional
        Largest number of optimiser steps (the cap). Default: the protocol's
        (``paper``: 50,000); the ``tnrnn`` protocol has none, so it is required there.
    kind : str, optional
        The cell kind: required with a plain dict (refused without it: a
        scoRNN's recurrence trains through ``A`` by a Cayley update outside
        ``jit``, which a dict cannot ask for); with a model it must be the
        model's own.
    protocol : {"tnrnn", "paper"}
        The named protocol (:mod:`tnrnn.train.protocols`) whose values fill
        every argument left unset.
    optimizer : str or optax transformation, optional
        Default ``"rmsprop"`` via :func:`tnrnn.train.make_optimizer` (with
        ``lr``, ``decay`` and ``clip``). A given optax transformation is used
        as it is; the plateau schedule then changes the learning rate only if
        the state carries ``hyperparams["learning_rate"]``.
    lr, decay, batch : optional
        Learning rate, RMSProp decay and batch size.
    clip : float or None, optional
        L-inf clipping of every gradient entry of the main optimiser (``None``:
        unclipped, the ``paper`` protocol).
    lr_recurrent : float or None, optional
        scoRNN only: learning rate of a separate RMSProp on the skew matrices
        ``A`` (``paper``: 1e-4); ``None`` trains ``A`` with the main optimiser.
    recurrent_clip : float or None, optional
        scoRNN only: ``dL/dW`` rescaled to this L-inf norm when above it
        (direction kept) and zeroed whole if any entry is not finite, before
        the Cayley transform (:func:`tnrnn.cells.rescale_linf`).
    eval_every, eval_at_start, patience, patience_rule, min_delta, lr_factor, max_plateaus
        The plateau schedule: the validation loss is measured every
        ``eval_every`` steps (and at step 0 with ``eval_at_start``); it
        improves when it falls by more than ``min_delta`` (a number, or
        ``"task"``: :func:`tnrnn.train.protocols.paper_min_delta`); after
        ``patience`` checks without improvement (``patience_rule="at-least"``)
        or more than ``patience`` (``"more-than"``, the paper's code), every
        learning rate is multiplied by ``lr_factor``; at the
        ``max_plateaus``-th plateau training stops. The best weights are
        restored at the end.
    val_size : int, optional
        Validation sequences.
    eval_seed : int or None, optional
        Seed of the validation set (``None``: ``seed``; the ``paper``
        protocol shares one set across runs, as its code does).
    seed : int
        Seeds the training batches (batch ``s`` depends on ``(seed, s)`` only),
        the random initial states and, unless ``eval_seed`` is set, the
        validation set.
    metrics_path : path, optional
        JSON-lines file, one record per validation.
    checkpoint_path : path, optional
        ``.npz`` written at every validation; if it exists, training resumes
        from it (same data, same result as an uninterrupted run).
    progress : callable, optional
        A progress display (this loop draws nothing itself: the presentation
        layer does; ``tnrnn train`` passes a bar with ETA):
        ``progress(label, total, done)`` is called once at the start and
        returns an object whose ``advance()`` is called after every step,
        ``note(record)`` after every validation (the record written to the
        metrics file) and ``close()`` at the end, also when training fails.
        ``None`` or ``False``: no display. ``True`` (the previous version's
        rich bar) is deprecated: it warns and draws nothing.
    label : str
        The display's label.
    callback : callable, optional
        Called with each validation record.
    on_step : callable, optional
        Called after every step (and its validation, if any) with the loop's
        :class:`tnrnn.train.LoopState`; setting ``state.stopped`` to a reason
        ends training there (the reason is ``summary["stopped"]``).

    Returns
    -------
    FitResult
        ``summary["stopped"]`` is ``"plateau"`` (the schedule's rule),
        ``"steps"`` (the cap) or ``"diverged"`` (a non-finite training loss:
        training stops there and the best finite weights are kept).

    Examples
    --------
    >>> from tnrnn.cells import stack
    >>> from tnrnn.tasks import make_task
    >>> task = make_task("ses", 8, block=2, alphabet=3)
    >>> params, apply = stack("gru", depth=1, hidden=8, input_dim=task.input_dim, outputs=3)
    >>> res = fit(params, apply, task, steps=20, eval_every=10, batch=16, val_size=64)
    >>> res.summary["steps"], len(res.history)
    (20, 2)
    >>> res.params.kind
    'gru'
    >>> fit(params.to_dict(), apply, task, steps=2)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: params is a plain dict of weights, which does not say its cell kind; pass kind= (one of exprnn, gru, linear, lstm, mi-rnn, rac, relu, scornn, tanh) or the tnrnn.cells.Model that tnrnn.cells.stack returns
    """
    import jax

    from ..cells import as_model, outside_grads, outside_refresh, rescale_linf

    cfg = get_protocol(protocol)
    given = dict(optimizer=optimizer, lr=lr, decay=decay, batch=batch, eval_every=eval_every,
                 eval_at_start=eval_at_start, patience=patience, patience_rule=patience_rule,
                 min_delta=min_delta, lr_factor=lr_factor, max_plateaus=max_plateaus,
                 val_size=val_size, steps=steps)
    cfg.update({k: v for k, v in given.items() if v is not None})
    cfg.update({k: v for k, v in dict(clip=clip, lr_recurrent=lr_recurrent,
                                      recurrent_clip=recurrent_clip,
                                      eval_seed=eval_seed).items() if v is not _UNSET})
    if cfg.get("steps") is None:
        raise SpecError(f"steps (the cap) is required under the {protocol!r} protocol")
    steps = check_positive_int("steps", cfg["steps"])
    check_values(cfg)
    md = resolve_min_delta(cfg["min_delta"], task)
    seed = check_positive_int("seed", seed, minimum=0)
    data_seed = seed if cfg["eval_seed"] is None else check_positive_int(
        "eval_seed", cfg["eval_seed"], minimum=0)

    model = as_model(params, kind)  # the one conversion: the kind travels with the weights
    kind = model.kind
    outside = model.needs_outside_update
    if not outside and (cfg["lr_recurrent"] is not None or cfg["recurrent_clip"] is not None) \
            and (lr_recurrent is not _UNSET or recurrent_clip is not _UNSET):
        raise SpecError("lr_recurrent and recurrent_clip apply to scoRNN stacks only; "
                        f"got kind={kind!r}")
    keyed = model.needs_key

    if isinstance(cfg["optimizer"], str):
        opt = make_optimizer(cfg["optimizer"], lr=cfg["lr"], clip=cfg["clip"],
                             options={"decay": cfg["decay"]} if cfg["optimizer"] == "rmsprop"
                             else None)
    else:
        opt = cfg["optimizer"]
    rec_opt = None
    if outside and cfg["lr_recurrent"] is not None:
        rec_opt = make_optimizer("rmsprop", lr=cfg["lr_recurrent"], clip=None,
                                 options={"decay": 0.9})
    mask = model.mask()
    params = _to_numpy_tree(model)
    opt_state = {"main": opt.init(params)}
    if rec_opt is not None:
        opt_state["recurrent"] = rec_opt.init([l["A"] for l in params.layers])
        rec_update = jax.jit(lambda a, st, g: _apply_opt(rec_opt, a, st, g))
    apply_jit = jax.jit(apply)
    if outside:
        # scoRNN: W's gradient must reach outside_grads, which turns it into A's
        # (and zeroes W's and D's itself); masking it first would freeze A.
        gmask = model.mask(through=("W",))
        grads_fn, update_fn = make_step(apply, opt, gmask, fused=False, keyed=keyed)
    else:
        step_fn = make_step(apply, opt, mask, keyed=keyed)

    train_key = jax.random.key(_derive(seed, 3)) if keyed else None
    val_key = jax.random.key(_derive(seed, 4)) if keyed else None
    Xv, yv = task.eval_set("validation", cfg["val_size"], seed=data_seed)
    state = {"step": 0, "best_loss": float("inf"), "best_step": 0, "bad": 0, "plateaus": 0,
             "stopped": None, "train_time_s": 0.0, "compile_time_s": None, "evaluated": -1}
    best = params
    history: list = []
    resumed_from = None
    ckpt = Path(checkpoint_path) if checkpoint_path is not None else None
    if ckpt is not None and ckpt.exists():
        params, opt_state, best, loaded = load_checkpoint(ckpt, params, opt_state)
        state.update(loaded)
        resumed_from = state["step"]
    if metrics_path is not None:
        history = _sync_metrics(Path(metrics_path), state["step"])

    def has_lr(s):
        return hasattr(s, "hyperparams") and "learning_rate" in s.hyperparams

    def validate(losses, params):
        nonlocal best
        key = None if val_key is None else jax.random.fold_in(val_key, state["step"])
        logits = evaluate_logits(apply_jit, params, Xv, key=key)
        val_loss = _np_ce(logits, yv)
        record = {"step": state["step"],
                  "train_loss": float(np.mean([float(v) for v in losses])) if losses else None,
                  "val_loss": val_loss if np.isfinite(val_loss) else None,
                  **{f"val_{k}": v for k, v in task.metrics(logits, yv).items()},
                  "lr": float(get_learning_rate(opt_state["main"]))
                  if has_lr(opt_state["main"]) else None}
        if rec_opt is not None:
            record["lr_recurrent"] = float(get_learning_rate(opt_state["recurrent"]))
        if np.isfinite(val_loss) and state["best_loss"] - val_loss > md:
            state.update(best_loss=val_loss, best_step=state["step"], bad=0)
            best = _to_numpy_tree(params)
        else:
            state["bad"] += 1
            over = (state["bad"] > cfg["patience"] if cfg["patience_rule"] == "more-than"
                    else state["bad"] >= cfg["patience"])
            if over:
                state["plateaus"] += 1
                state["bad"] = 0
                record["plateau"] = state["plateaus"]
                if state["plateaus"] >= cfg["max_plateaus"]:
                    state["stopped"] = "plateau"
                else:
                    for name, st in opt_state.items():
                        if has_lr(st):
                            opt_state[name] = with_learning_rate(
                                st, float(get_learning_rate(st)) * cfg["lr_factor"])
        state["evaluated"] = state["step"]
        record["elapsed_s"] = state["train_time_s"] + (time.perf_counter() - t_start)
        history.append(record)
        if ckpt is not None:
            st = dict(state, train_time_s=record["elapsed_s"])
            save_checkpoint(ckpt, _to_numpy_tree(params), _to_numpy_tree(opt_state), best, st)
        if metrics_path is not None:
            _append_metrics(Path(metrics_path), record, state["step"])
        bar.note(record)
        if callback is not None:
            callback(record)

    def update(params, opt_state, batch):
        """One step; ``opt_state`` is the dict of optimiser states, changed in place
        (the plateau schedule replaces its learning rates between steps)."""
        X, y, k = batch
        if not outside:
            params, opt_state["main"], loss = step_fn(params, opt_state["main"], X, y, k)
            return params, opt_state, loss
        loss, grads = grads_fn(params, X, y, k)
        grads = _to_numpy_tree(grads)
        if cfg["recurrent_clip"] is not None:
            grads = grads.replace(layers=[dict(g, W=rescale_linf(g["W"], cfg["recurrent_clip"]))
                                          for g in grads.layers])
        grads = outside_grads(params, grads)
        if rec_opt is not None:
            g_rec = [g["A"] for g in grads.layers]
            grads = grads.replace(layers=[dict(g, A=np.zeros_like(g["A"])) for g in grads.layers])
            new_a, opt_state["recurrent"] = rec_update(
                [l["A"] for l in params.layers], opt_state["recurrent"], g_rec)
        params, opt_state["main"] = update_fn(params, opt_state["main"], grads)
        if rec_opt is not None:
            params = params.replace(layers=[dict(l, A=a) for l, a in zip(params.layers, new_a)])
        return outside_refresh(_to_numpy_tree(params)), opt_state, loss

    def batches(s):
        X, y = task.batch(cfg["batch"], seed=seed, index=s)
        return X, y, (None if train_key is None else jax.random.fold_in(train_key, s))

    losses: list = []

    def after_step(st):
        losses.append(st.loss)
        state["step"] = st.step
        if state["compile_time_s"] is None:
            state["compile_time_s"] = st.compile_time_s
        bar.advance()
        if not np.isfinite(float(st.loss)):
            state["stopped"] = "diverged"
            validate(losses, st.params)
            state["stopped"] = st.stopped = "diverged"
        elif st.step % cfg["eval_every"] == 0 or st.step == steps:
            validate(losses, st.params)
            losses.clear()
            st.stopped = state["stopped"]

    bar = _open_display(progress, label, steps, state["step"])
    t_start = time.perf_counter()
    timed_before = state["compile_time_s"] is not None  # a resumed run: its first step counts
    try:
        if cfg["eval_at_start"] and state["step"] == 0 and state["evaluated"] < 0:
            validate([], params)
        r = train_steps(params, update, batches, steps=steps, opt_state=opt_state,
                        start=state["step"],
                        callbacks=[after_step] + ([on_step] if on_step is not None else []),
                        state=LoopState(step=state["step"], params=params, opt_state=opt_state,
                                        stopped=state["stopped"]))
    finally:
        bar.close()
    params, opt_state = r.params, r.opt_state
    if state["stopped"] is None and r.stopped is not None:  # stopped by on_step
        state["stopped"] = r.stopped
    t_loop = r.loop_time_s + ((r.compile_time_s or 0.0) if timed_before else 0.0)
    done_now = state["step"] - (resumed_from or 0)
    timed = max(done_now - 1, 1)
    main_state = opt_state["main"]
    summary = {
        "protocol": protocol,
        "steps": state["step"],
        "stopped": state["stopped"] or "steps",
        "best_step": state["best_step"],
        "best_val_loss": state["best_loss"] if np.isfinite(state["best_loss"]) else None,
        "best_val": next((r for r in history if r["step"] == state["best_step"]), None),
        "plateaus": state["plateaus"],
        "min_delta": md,
        "lr": float(get_learning_rate(main_state)) if has_lr(main_state) else None,
        "lr_recurrent": (float(get_learning_rate(opt_state["recurrent"]))
                         if rec_opt is not None else None),
        "train_time_s": state["train_time_s"] + (time.perf_counter() - t_start),
        "compile_time_s": state["compile_time_s"],
        "ms_per_step": 1000.0 * t_loop / timed if done_now > 1 else None,
        "resumed_from": resumed_from,
    }
    return FitResult(params=best, summary=summary, history=history)


def _apply_opt(opt, params, state, grads):
    import optax

    updates, state = opt.update(grads, state, params)
    return optax.apply_updates(params, updates), state


def _derive(seed: int, stream: int) -> int:
    from ..tasks import derive_seed

    return derive_seed(seed, stream) % (2**31)


def _sync_metrics(path: Path, step: int) -> list:
    """Keep the records up to the checkpoint's step (a crash may have left later
    ones, or half a line at the end, which is dropped); a damaged line before
    the end is an error naming the file and the line."""
    if not path.exists():
        return []
    lines = [l for l in path.read_text(errors="replace").splitlines() if l.strip()]
    keep = []
    for i, line in enumerate(lines):
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or not isinstance(rec.get("step", 0), int):
                raise ValueError("not a metrics record")
        except ValueError as exc:
            if i == len(lines) - 1:  # the half-written last record of a killed run
                break
            raise SpecError(f"the metrics file {str(path)!r} is damaged at line {i + 1} "
                            f"({exc}); delete the run's folder {str(path.parent)!r} to "
                            "train it again") from None
        if rec.get("step", 0) <= step:
            keep.append(rec)
    from .._io import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in keep),
                      what="the metrics", rescue=False)
    return keep


def _append_metrics(path: Path, record: dict, step: int) -> None:
    from ..errors import OutputPathError

    try:
        with open(path, "a") as fh:
            fh.write(json.dumps(record) + "\n")
    except OSError as exc:
        raise OutputPathError(
            f"cannot append to the metrics file {str(path)!r} ({exc.strerror}); training "
            f"stopped at step {step}, whose checkpoint is saved: make room and rerun the "
            "same command to resume") from None


class _NoDisplay:
    """The display of a run without one: every call does nothing."""

    def advance(self):
        pass

    def note(self, record):
        pass

    def close(self):
        pass


def _open_display(progress, label: str, total: int, done: int):
    """The display ``progress(label, total, done)`` opens (see :func:`fit`), or
    one that draws nothing."""
    if progress is None or progress is False:
        return _NoDisplay()
    if progress is True:
        import warnings

        warnings.warn("fit(progress=True) no longer draws a bar (the training loop imports no "
                      "terminal library): pass a display, progress(label, total, done) -> "
                      "an object with advance(), note(record), close()",
                      DeprecationWarning, stacklevel=3)
        return _NoDisplay()
    if not callable(progress):
        raise SpecError("progress must be None or a callable progress(label, total, done) "
                        f"returning a display; got {type(progress).__name__}")
    bar = progress(label, total, done)
    missing = [m for m in ("advance", "note", "close") if not callable(getattr(bar, m, None))]
    if missing:
        raise SpecError(f"progress(label, total, done) must return an object with advance(), "
                        f"note(record) and close(); got a {type(bar).__name__} without "
                        f"{', '.join(m + '()' for m in missing)}")
    return bar
