"""Pinned numbers of the training code: short, deterministic CPU runs whose
losses, accuracies, final weights and stored configs must not change when the
training code is restructured.

What it runs (seconds each, float32 unless said):

- ``tnrnn.train.run`` on every cell kind (rac, mi-rnn, tanh, relu, lstm, gru,
  scornn in both variants, exprnn, linear) at depth 1 and 2 on a small SES
  task, under the ``tnrnn`` protocol, each in a run folder (metrics,
  checkpoint, weights, ``config.json``);
- the ``paper`` protocol on scoRNN (its own variant) and an LSTM, and the
  copying task on a GRU and a tanh cell;
- ``tnrnn.train.fit`` directly, with a callback, and a resumed run (stopped
  half way, restarted from its checkpoint);
- ``tnrnn.dynamics.training.train_lstm`` (sine and sequence classification,
  a few steps);
- ``tnrnn.linear_rnn.training.train_linear_rnn`` (diagonal, linear, tanh);
- the command ``tnrnn train`` (a sweep, serial and with ``--workers 2``).

Usage::

    python benchmarks/experiments/pinned_run.py OUT.json [--part quick|full]

``quick`` (the default test's part) is a subset of five runs (about 15 s);
``full`` runs everything. The reference is ``tests/data/pinned/``;
``tests/test_pinned_run.py`` reruns the script and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

#: result keys that measure time or the machine, not the numbers
_TIMING = {"train_time_s", "compile_time_s", "ms_per_step", "wall_s", "machine", "elapsed_s",
           "seconds", "resumed_from"}

SES = {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3}}
TINY = {"steps": 6, "eval_every": 3, "batch": 8, "val_size": 16, "test_size": 16}
KINDS = [("rac", {}), ("mi-rnn", {}), ("tanh", {}), ("relu", {}), ("lstm", {}), ("gru", {}),
         ("scornn", {}), ("scornn", {"variant": "paper"}), ("exprnn", {}), ("linear", {})]


def _clean(obj):
    """``obj`` without timing keys, as JSON values."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if k not in _TIMING}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj


def _plain(result):
    """A result as its plain dict (``to_dict()`` of today's frozen results; the
    base commit's functions returned the dict itself)."""
    return result.to_dict() if hasattr(result, "to_dict") else result


def _digest(tree) -> dict:
    """Sum, sum of squares and sha256 of every leaf of a nested dict/list of arrays."""
    leaves = []

    def walk(node, name):
        if isinstance(node, dict):
            for k in sorted(node):
                walk(node[k], f"{name}.{k}")
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f"{name}.{i}")
        else:
            leaves.append((name, np.asarray(node)))

    walk(tree, "")
    h = hashlib.sha256()
    for name, a in leaves:
        h.update(name.encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return {"sum": float(sum(float(np.sum(a, dtype=np.float64)) for _, a in leaves)),
            "sumsq": float(sum(float(np.sum(np.square(a, dtype=np.float64))) for _, a in leaves)),
            "leaves": len(leaves), "sha256": h.hexdigest()}


def _load_weights(path):
    import tnrnn.train as tt

    loader = getattr(tt, "load_weights", None) or tt.load_params
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        params, meta = loader(path)
    return (params.to_dict() if hasattr(params, "to_dict") else params), meta


def _run_folder(config: dict, folder: Path) -> dict:
    from tnrnn.train import run

    out = folder / "run"
    r = _plain(run({**config, "out": str(out)}))
    metrics = [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines() if l]
    params, meta = _load_weights(out / "params.npz")
    return {"result": _clean(r), "metrics": _clean(metrics),
            "config_json": json.loads((out / "config.json").read_text()),
            "params": _digest(params), "params_meta": meta,
            "files": sorted(p.name for p in out.iterdir())}


def runs_part(names: list | None, tmp: Path) -> dict:
    out = {}
    cases = []
    for kind, opts in KINDS:
        for depth in (1, 2):
            tag = kind + ("-paper-variant" if opts.get("variant") == "paper" else "")
            cases.append((f"tnrnn/{tag}/L{depth}",
                          {**SES, **TINY, "cell": kind, "depth": depth, "hidden": 4,
                           "cell_options": opts, "seed": depth}))
    for kind in ("scornn", "lstm"):
        for depth in (1, 2):
            cases.append((f"paper/{kind}/L{depth}",
                          {**SES, "protocol": "paper", "cell": kind, "depth": depth,
                           "hidden": 6, "steps": 5, "eval_every": 2, "batch": 8,
                           "val_size": 16, "test_size": 16}))
    for kind in ("gru", "tanh"):
        cases.append((f"copying/{kind}",
                      {"task": "copying", "size": 3,
                       "task_options": {"word_length": 2, "alphabet": 3}, "cell": kind,
                       "depth": 2, "hidden": 5, **TINY}))
    cases.append(("tnrnn/lstm/float64", {**SES, **TINY, "cell": "lstm", "depth": 1, "hidden": 3,
                                         "dtype": "float64"}))
    for name, cfg in cases:
        if names is not None and name not in names:
            continue
        d = tmp / name.replace("/", "_")
        d.mkdir()
        out[name] = _run_folder(cfg, d)
    return out


def fit_part(tmp: Path) -> dict:
    """fit called directly (a callback, the returned history), and a resumed run."""
    import tnrnn.cells as cells
    from tnrnn.tasks import make_task
    from tnrnn.train import fit, run

    task = make_task("ses", 8, block=2, alphabet=3)
    res = {}
    for kind in ("gru", "scornn"):
        params, apply = cells.stack(kind, depth=2, hidden=4, input_dim=task.input_dim,
                                    outputs=task.outputs, seed=3)
        seen = []
        r = fit(params, apply, task, kind=kind, steps=8, eval_every=4, batch=8, val_size=16,
                seed=5, callback=lambda rec, seen=seen: seen.append(rec["val_loss"]))
        p = r.params.to_dict() if hasattr(r.params, "to_dict") else r.params
        summary = r.summary if isinstance(r.summary, dict) else r.summary.to_dict()
        res[f"fit/{kind}"] = {"summary": _clean(summary), "history": _clean(r.history),
                              "callback": seen, "params": _digest(p)}
    # a run stopped at step 4 and resumed from its checkpoint to step 8
    cfg = {**SES, "cell": "lstm", "depth": 2, "hidden": 4, "eval_every": 2, "batch": 8,
           "val_size": 16, "test_size": 16, "seed": 1}
    a, b = tmp / "a", tmp / "b"
    run({**cfg, "steps": 8, "out": str(a)})
    part = _plain(run({**cfg, "steps": 4, "out": str(b)}))
    # the same folder with a larger cap: the stored config differs, so copy the
    # checkpoint and metrics into a fresh folder of the 8-step config
    c = tmp / "c"
    c.mkdir()
    for f in ("checkpoint.npz", "metrics.jsonl"):
        (c / f).write_bytes((b / f).read_bytes())
    full = _plain(run({**cfg, "steps": 8, "out": str(c)}))
    pa, _ = _load_weights(a / "params.npz")
    pc, _ = _load_weights(c / "params.npz")
    res["resume"] = {"uninterrupted": _clean(_plain(run({**cfg, "steps": 8, "out": str(a)}))["test"]),
                     "half": _clean(part["test"]), "resumed": _clean(full["test"]),
                     "resumed_from": full["fit"]["resumed_from"],
                     "params_uninterrupted": _digest(pa), "params_resumed": _digest(pc)}
    return res


def dynamics_part() -> dict:
    from tnrnn.dynamics.training import seqclass_data, sine_data, train_lstm

    out = {}
    U, Y, _ = sine_data(4, 30)
    tr = train_lstm("sine", U, Y, outputs=1, hidden=4, steps=12, checkpoint_every=4,
                    milestones=(6,), seed=2)
    U2, Y2 = seqclass_data(20, 60, seed=2)
    tr2 = train_lstm("seqclass", U2, Y2, outputs=4, hidden=4, steps=10, batch=8,
                     checkpoint_every=5, milestones=(5,), seed=2)
    for name, t in (("sine", _plain(tr)), ("seqclass", _plain(tr2))):
        out[name] = {"history": [float(v) for v in t["history"]],
                     "checkpoints": [{"step": int(s), "loss": float(l), "params": _digest(p)}
                                     for s, p, l in t["checkpoints"]],
                     "meta": _clean({k: v for k, v in t.items()
                                     if k not in ("history", "checkpoints")})}
    return out


def linear_part() -> dict:
    from tnrnn.linear_rnn.training import train_linear_rnn

    out = {}
    for model in ("diagonal", "linear", "tanh"):
        r = train_linear_rnn("exponential:1", model, hidden=3, T=20, steps=15, lr=0.05,
                             record_every=5, test_size=16, seed=1)
        out[model] = _clean(r)
    return out


def cli_part(tmp: Path, workers: bool) -> dict:
    from click.testing import CliRunner

    from tnrnn.cli import cli

    args = ["train", "--task", "ses", "-T", "8", "--block", "2", "--alphabet", "3",
            "--hidden", "4", "--steps", "4", "--eval-every", "2", "--batch", "8",
            "--val-size", "16", "--test-size", "16", "--no-progress", "--cell", "gru,scornn",
            "--depth", "1,2", "--json"]
    out = {}
    for mode in (["serial"] + (["workers"] if workers else [])):
        folder = tmp / f"cli-{mode}"
        extra = ["--workers", "2"] if mode == "workers" else []
        res = CliRunner().invoke(cli, [*args, "--out", str(folder), *extra],
                                 catch_exceptions=False)
        if res.exit_code != 0:
            raise RuntimeError(res.output)
        data = json.loads(res.stdout if hasattr(res, "stdout") else res.output)
        data.pop("out", None)
        configs = {p.name: json.loads((p / "config.json").read_text())
                   for p in sorted(folder.iterdir()) if (p / "config.json").exists()}
        out[mode] = {"json": _clean(data), "config_json": configs}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--part", choices=("quick", "full"), default="quick")
    args = ap.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    quick = ["tnrnn/rac/L2", "tnrnn/scornn/L2", "tnrnn/scornn-paper-variant/L1",
             "tnrnn/exprnn/L2", "paper/scornn/L2"]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        data = {"runs": runs_part(quick if args.part == "quick" else None, tmp)}
        if args.part == "full":
            data["fit"] = fit_part(tmp)
            data["dynamics_train_lstm"] = dynamics_part()
            data["linear_rnn"] = linear_part()
            data["cli"] = cli_part(tmp, workers=True)
    Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
