"""Where the smoothness paper's runs live: one folder per run, its files, and
reading them back (shared by :mod:`~tnrnn.dynamics.paper_runs`, which trains
the runs, and :mod:`~tnrnn.dynamics.paper_analysis`, which analyses them)."""

from __future__ import annotations

import csv
import os
import pickle
from pathlib import Path

import jax
import numpy as np

from ..errors import SpecError
from . import paper_setups as ps

#: Epochs whose parameters are kept (besides the latest, in ``resume.pkl``).
KEEP = (0, 10, 30, 100, 300, 1000, 3000, 10000)


def run_dir(root, task: str, kind: str, seed: int) -> Path:
    """The folder of one run: ``<root>/<task>/<model>-s<seed>``.

    Parameters
    ----------
    root : str or pathlib.Path
        The folder holding every run.
    task : str
        ``'sine'`` or ``'seqclass'``.
    kind : str
        The model (``'lstm'``, ``'lstm-stable'``, ``'exprnn'``).
    seed : int
        The run's seed.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> run_dir("runs", "sine", "lstm", 2).as_posix()
    'runs/sine/lstm-s2'
    """
    return Path(root) / task / f"{kind}-s{seed}"


def _setup(task):
    if task == "sine":
        return ps.SINE
    if task == "seqclass":
        return ps.SEQCLASS
    raise SpecError(f"task must be 'sine' or 'seqclass'; got {task!r}")


def _data(task, cfg):
    if task == "sine":
        U, Y, _ = ps.sine_data(cfg["n_sequences"], cfg["seq_len"], cfg["min_freq"],
                               cfg["max_freq"])
        return U, Y
    return ps.seqclass_data(cfg["n_sequences"], cfg["seq_len"], n_symbols=cfg["n_symbols"],
                            n_distractors=cfg["n_distractors"], starts=cfg["starts"],
                            width=cfg["width"], seed=cfg["seed"])


def _const_inputs(task, cfg):
    if task == "sine":
        return np.linspace(np.pi / 16, np.pi / 8, cfg["orbit_inputs"])[:, None]
    return np.eye(cfg["n_symbols"] + cfg["n_distractors"])


def _np_tree(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def _save_atomic(path: Path, write):
    tmp = path.with_suffix(path.suffix + ".tmp")
    write(tmp)
    os.replace(tmp, path)



def _load(d: Path):
    with open(d / "resume.pkl", "rb") as fh:
        return pickle.load(fh)



def _flat(params):
    return {f"{grp}.{k}": np.asarray(v) for grp, sub in params.items() for k, v in sub.items()}


def _unflat(npz):
    out: dict = {}
    for name in npz.files:
        grp, k = name.split(".", 1)
        out.setdefault(grp, {})[k] = np.asarray(npz[name])
    return out


def _write_history(path, history):
    if not history:
        return
    keys = list(history[0])
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(history)


def load_history(d) -> list[dict]:
    """The rows of a run's ``history.csv`` (numbers as floats).

    Parameters
    ----------
    d : str or pathlib.Path
        The run's folder.

    Returns
    -------
    list of dict
        One row per epoch: ``epoch``, ``loss``, ``lr`` (and ``accuracy``).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _write_history(d / "history.csv", [{"epoch": 1, "loss": 0.5, "lr": 1e-3}])
    >>> load_history(d)
    [{'epoch': 1.0, 'loss': 0.5, 'lr': 0.001}]
    """
    with open(Path(d) / "history.csv") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def load_checkpoints(d) -> list[tuple[int, dict]]:
    """The kept checkpoints of a run and its latest state, by epoch.

    Parameters
    ----------
    d : str or pathlib.Path
        The run's folder (``ckpt_<epoch>.npz`` files and ``resume.pkl``).

    Returns
    -------
    list of tuple
        ``[(epoch, params), ...]`` sorted by epoch, ``params`` as
        ``{"cell": {...}, "readout": {...}}``.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> np.savez(d / "ckpt_00010.npz", **_flat({"cell": {"W": np.eye(2)}, "readout": {}}))
    >>> [(e, sorted(p["cell"])) for e, p in load_checkpoints(d)]
    [(10, ['W'])]
    """
    d = Path(d)
    out = {int(p.stem.split("_")[1]): _unflat(np.load(p)) for p in sorted(d.glob("ckpt_*.npz"))}
    if (d / "resume.pkl").exists():
        st = _load(d)
        out[int(st["epoch"])] = st["params"]
    return sorted(out.items())


