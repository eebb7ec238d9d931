"""Resumable runs of the smoothness paper's setups, and their analysis.

A *run* is one model (``"lstm"``, ``"lstm-stable"``, ``"exprnn"``), one seed
and one task (``"sine"``, ``"seqclass"``), trained with the authors' sizes
and schedule (:mod:`tnrnn.dynamics.paper_setups`) in a folder of its own::

    <root>/<task>/<model>-s<seed>/
        resume.pkl        parameters, Adam state, epoch, history (overwritten)
        history.csv       epoch, loss per sequence and step (and accuracy)
        orbits.npz        the authors' orbit diagram every ``orbit_every`` epochs
        ckpt_<epoch>.npz  parameters at the kept epochs (0, 10, 30, 100, 300, ...)
        analysis.json     spectra, sup ||Df||, bound, sharpness per kept checkpoint

Running :func:`train_runs` again continues every run from its ``resume.pkl``;
the runs advance in turns of ``chunk`` epochs, so that a stopped sweep has
all its runs at about the same epoch.

The folder layout and its readers live in ``_paper_store``, the analysis in
:mod:`~tnrnn.dynamics.paper_analysis` (its names are exported here too).

Run from the shell (``benchmarks/experiments/smoothness_paper.sh``)::

    tnrnn dynamics paper-train --root DIR --seconds 3600
    tnrnn dynamics paper-analyse --root DIR
"""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import SpecError
from . import paper_setups as ps
from ._paper_store import (KEEP, _const_inputs, _data, _flat, _load, _np_tree, _save_atomic,
                           _setup, _write_history, load_checkpoints, load_history, run_dir)
from .paper_analysis import DEPARTURES, PaperSummary, analyse_run, paper_summary

__all__ = ["KEEP", "DEPARTURES", "WHICH", "run_dir", "train_run", "train_runs", "orbit_outputs",
           "analyse_run", "analyse_runs", "load_history", "load_checkpoints", "paper_summary",
           "PaperSummary"]


def orbit_outputs(task: str, kind: str, params: dict, cfg: dict, seed: int) -> np.ndarray:
    """The authors' ``EvaluateOrbitDiagram``: from ``orbit_states`` random
    states (std ``orbit_std``; an LSTM's ``h`` and ``c`` both), drawn once per
    run from ``default_rng([seed, 2])``, under each constant input, run
    ``orbit_steps`` steps and keep the readout after ``orbit_burn``.

    Parameters
    ----------
    task : str
        ``'sine'`` or ``'seqclass'`` (which constant inputs).
    kind : str
        The model.
    params : dict
        ``{"cell", "readout"}``.
    cfg : dict
        The run's setup (``orbit_states``, ``orbit_std``, ``orbit_steps``,
        ``orbit_burn`` and the task's sizes).
    seed : int
        The run's seed.

    Returns
    -------
    numpy.ndarray
        ``(orbit_steps - orbit_burn, orbit_states, n_inputs, outputs)``.

    Examples
    --------
    >>> cfg = dict(ps.SINE, orbit_states=2, orbit_steps=6, orbit_burn=2, orbit_inputs=3)
    >>> orbit_outputs("sine", "lstm", ps.init_model("lstm", 1, 1, 4, seed=0), cfg, 0).shape
    (4, 2, 3, 1)
    """
    C = _const_inputs(task, cfg)
    n_u, n_s = C.shape[0], cfg["orbit_states"]
    H = params["readout"]["W_O"].shape[1]
    rng = np.random.default_rng([seed, 2])
    X = (cfg["orbit_std"] * rng.standard_normal((2 if kind != "exprnn" else 1, n_s, H)))
    X = np.repeat(X, n_u, axis=1).astype(np.float32)  # (.., n_s * n_u, H), state-major
    U = np.tile(C, (n_s, 1))[:, None, :].repeat(cfg["orbit_steps"], axis=1).astype(np.float32)
    s0 = (jnp.asarray(X[0]), jnp.asarray(X[1])) if kind != "exprnn" else jnp.asarray(X[0])
    y, _ = _orbit_fn(kind)(params, jnp.asarray(U), s0)
    y = np.asarray(y)[:, cfg["orbit_burn"]:, :]  # (n_s * n_u, kept, K)
    return np.moveaxis(y.reshape(n_s, n_u, y.shape[1], y.shape[2]), 2, 0)


_ORBIT = {}


def _orbit_fn(kind):
    if kind not in _ORBIT:
        _ORBIT[kind] = jax.jit(lambda p, U, s0: ps.forward(kind, p, U, s0))
    return _ORBIT[kind]


def train_run(task: str, kind: str, seed: int, root, *, epochs: int, orbit_every: int = 10,
              steps_cache: dict | None = None, config: dict | None = None, log=print) -> int:
    """Train one run up to epoch ``epochs`` (not beyond the authors' total),
    resuming from its folder; return the epoch reached.

    Every epoch walks the ``n_sequences`` in the authors' fixed order in
    batches of ``batch`` (their ``data_loader`` does not shuffle), at the
    learning rate :func:`~tnrnn.dynamics.paper_setups.epoch_lr`. ``config``
    overrides entries of the authors' setup (tests use small sizes; a
    resumed run keeps the configuration it started with).

    Parameters
    ----------
    task : str
        ``'sine'`` or ``'seqclass'``.
    kind : str
        The model (:data:`~tnrnn.dynamics.paper_setups.MODELS`).
    seed : int
        The run's seed.
    root : str or pathlib.Path
        The folder holding the runs (:func:`run_dir`).
    epochs : int
        Train up to this epoch.
    orbit_every : int
        The authors' orbit diagram every this many epochs.
    steps_cache : dict, optional
        Compiled training steps by ``(task, kind)``, shared across calls.
    config : dict, optional
        Entries overriding the authors' setup for a new run.
    log : callable
        Called with a line when the call ends.

    Returns
    -------
    int
        The epoch reached.

    Examples
    --------
    >>> train_run("copy", "lstm", 0, "runs", epochs=1)
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: task must be 'sine' or 'seqclass'; got 'copy'
    """
    cfg = dict(_setup(task), **(config or {}))
    d = run_dir(root, task, kind, seed)
    d.mkdir(parents=True, exist_ok=True)
    U, Y = _data(task, cfg)
    outputs = 1 if task == "sine" else cfg["n_symbols"] ** len(cfg["starts"])
    key = (task, kind)
    cache = steps_cache if steps_cache is not None else {}
    if key not in cache:
        cache[key] = ps.make_train_step(task, kind, cfg["clip"])
    step, init = cache[key]
    if (d / "resume.pkl").exists():
        st = _load(d)
        cfg = st["config"]
        U, Y = _data(task, cfg)
        params = jax.tree_util.tree_map(jnp.asarray, st["params"])
        opt_state = jax.tree_util.tree_map(jnp.asarray, st["opt_state"])
        epoch, history = st["epoch"], st["history"]
        if "orbits" in st:  # older resume files carried the orbits too
            orbits = st["orbits"]
        else:
            with np.load(d / "orbits.npz") as o:
                orbits = {"epochs": o["epochs"].tolist(), "y": list(o["y"])}
    else:
        params = jax.tree_util.tree_map(jnp.asarray, ps.init_model(
            kind, U.shape[2], outputs, cfg["hidden"], seed))
        opt_state, epoch, history = init(params), 0, []
        orbits = {"epochs": [0], "y": [orbit_outputs(task, kind, params, cfg, seed)]}
        np.savez_compressed(d / "ckpt_00000.npz", **_flat(params))
    epochs = min(int(epochs), cfg["epochs"])
    B, n = cfg["batch"], cfg["n_sequences"]
    Uj, Yj = jnp.asarray(U), jnp.asarray(Y)
    t0 = time.perf_counter()
    while epoch < epochs:
        lr = ps.epoch_lr(epoch, cfg["lr"], cfg["milestones"], cfg["gamma"])
        total, correct = 0.0, 0
        for i in range(0, n, B):
            params, opt_state, val = step(params, opt_state, Uj[i:i + B], Yj[i:i + B], lr)
            total += float(val)
        epoch += 1
        rec = {"epoch": epoch, "loss": total / (n * (cfg["seq_len"] if task == "sine" else 1)),
               "lr": lr}
        if task == "seqclass":
            logits, _ = _last_fn(kind)(params, Uj)
            correct = int(np.sum(np.argmax(np.asarray(logits), axis=1) == Y))
            rec["accuracy"] = correct / n
        history.append(rec)
        if not np.isfinite(rec["loss"]):
            log(f"{d.name}: loss not finite at epoch {epoch}; stopping this run")
            break
        if epoch % orbit_every == 0:
            orbits["epochs"].append(epoch)
            orbits["y"].append(orbit_outputs(task, kind, params, cfg, seed))
        if epoch in KEEP:
            np.savez_compressed(d / f"ckpt_{epoch:05d}.npz", **_flat(params))
    state = {"epoch": epoch, "params": _np_tree(params), "opt_state": _np_tree(opt_state),
             "history": history, "config": dict(cfg), "task": task,
             "model": kind, "seed": seed}
    _save_atomic(d / "resume.pkl", lambda p: pickle.dump(state, open(p, "wb")))
    _save_atomic(d / "orbits.npz", lambda p: np.savez_compressed(
        open(p, "wb"), epochs=np.array(orbits["epochs"]), y=np.stack(orbits["y"])))
    _write_history(d / "history.csv", history)
    log(f"{task} {kind} seed {seed}: epoch {epoch}, loss {history[-1]['loss']:.5g}"
        + (f", accuracy {history[-1]['accuracy']:.3f}" if task == "seqclass" else "")
        + f" ({time.perf_counter() - t0:.0f} s)" if history else "")
    return epoch


_LAST = {}


def _last_fn(kind):
    if kind not in _LAST:
        _LAST[kind] = jax.jit(lambda p, U: ps.forward(kind, p, U, every_step=False))
    return _LAST[kind]


def train_runs(root, *, tasks=("sine",), models=ps.MODELS, seeds=(0, 1, 2), chunk: int = 10,
               seconds: float = 3600.0, until: int | None = None, log=print) -> dict:
    """Advance every run in turns of ``chunk`` epochs until ``seconds`` have
    passed (checked between chunks) or every run reached ``until`` (the
    authors' total by default).

    The result stays a plain dict: its keys are the runs asked for
    (``"<task>/<model>-s<seed>"``), a mapping that varies per call rather
    than a record with fixed fields.

    Parameters
    ----------
    root : str or pathlib.Path
        The folder holding the runs.
    tasks, models, seeds : sequence
        The runs: every combination.
    chunk : int
        Epochs per turn (five times as many for ``'seqclass'``).
    seconds : float
        Time allowed (a turn under way is finished).
    until : int, optional
        Stop each run at this epoch.
    log : callable
        Called with a line per turn.

    Returns
    -------
    dict
        ``{"<task>/<model>-s<seed>": epoch reached}``.

    Examples
    --------
    >>> import tempfile
    >>> train_runs(tempfile.mkdtemp(), seeds=(0,), seconds=0.0)
    {'sine/lstm-s0': 0, 'sine/lstm-stable-s0': 0, 'sine/exprnn-s0': 0}
    """
    t_end = time.monotonic() + seconds
    cache: dict = {}
    reached: dict = {}
    runs = [(t, k, s) for t in tasks for k in models for s in seeds]
    for t, k, s in runs:
        d = run_dir(root, t, k, s)
        reached[(t, k, s)] = _load(d)["epoch"] if (d / "resume.pkl").exists() else 0
    while time.monotonic() < t_end:
        todo = [r for r in runs if reached[r] < min(until or 10 ** 9, _setup(r[0])["epochs"])]
        if not todo:
            break
        r = min(todo, key=lambda r: (reached[r], runs.index(r)))
        c = chunk if r[0] == "sine" else 5 * chunk
        reached[r] = train_run(*r, root, epochs=reached[r] + c, steps_cache=cache, log=log)
    return {f"{t}/{k}-s{s}": e for (t, k, s), e in reached.items()}


#: Which kept checkpoints :func:`analyse_runs` analyses.
WHICH = ("all", "last", "first")


def analyse_runs(root, *, tasks=("sine", "seqclass"), which: str = "all", log=print) -> dict:
    """:func:`analyse_run` on every run of ``tasks`` under ``root`` (the folders
    ``<root>/<task>/<model>-s<seed>`` holding a ``resume.pkl``), at the
    analyser's default settings.

    The result stays a plain dict keyed by the runs found (a mapping that
    varies per folder, as :func:`train_runs` returns).

    Parameters
    ----------
    root : str or pathlib.Path
        The folder holding the runs.
    tasks : sequence of str
        ``'sine'`` and/or ``'seqclass'``.
    which : {"all", "last", "first"}
        Every kept checkpoint, only each run's latest, or only its first
        (epoch 0). Checkpoints already in a run's ``analysis.json`` are skipped.
    log : callable
        Called with one line per checkpoint analysed.

    Returns
    -------
    dict
        ``{"<task>/<model>-s<seed>": [epochs asked for]}`` in folder order
        (empty when ``root`` holds no runs).

    Examples
    --------
    >>> import tempfile
    >>> analyse_runs(tempfile.mkdtemp(), which="last")
    {}
    >>> analyse_runs("runs", which="best")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: which must be one of all, last, first; got 'best'
    """
    if which not in WHICH:
        raise SpecError(f"which must be one of {', '.join(WHICH)}; got {which!r}")
    for task in tasks:
        _setup(task)  # a task that is not the paper's is refused before any work
    done = {}
    for task in tasks:
        for d in sorted((Path(root) / task).glob("*-s*")):
            if not (d / "resume.pkl").exists():
                continue
            ck = [e for e, _ in load_checkpoints(d)]
            epochs = {"last": {ck[-1]}, "first": {ck[0]}, "all": None}[which]
            analyse_run(d, epochs=epochs, log=log)
            done[f"{task}/{d.name}"] = sorted(epochs) if epochs is not None else ck
    return done


if __name__ == "__main__":  # pragma: no cover - the replaced shell entry point
    import sys

    print("error: python -m tnrnn.dynamics.paper_runs was replaced by the commands "
          "'tnrnn dynamics paper-train' and 'tnrnn dynamics paper-analyse' (same options; "
          "see their --help)", file=sys.stderr)
    sys.exit(2)
