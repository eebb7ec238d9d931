"""How well `tnrnn train`'s cost estimate orders runs: estimate against the
measured time of short runs, all in one process, the grid visited in a
rotating order so that machine load spreads evenly.

Writes benchmarks/results/train_cost.json: per config the estimate
(tnrnn.cli._train.run_cost), ms per step (compile excluded), compile
seconds, and Spearman rank correlations.

    .venv/bin/python benchmarks/bench_train_cost.py [--steps 40] [--rounds 2]
"""
import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from tnrnn._io import machine_info


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/train_cost.json")
    a = ap.parse_args()
    from tnrnn.cli._train import run_cost
    from tnrnn.tasks import make_task
    from tnrnn.train import run

    grid = list(itertools.product(["tanh", "lstm", "gru"], [1, 3], [20, 80], [16, 64]))
    times = {g: [] for g in grid}
    comp = {g: [] for g in grid}
    for rnd in range(a.rounds):
        order = grid[rnd * 7 % len(grid):] + grid[:rnd * 7 % len(grid)]
        for cell, depth, T, H in order:
            cfg = {"task": "ses", "size": T, "task_options": {"block": 5, "alphabet": 8},
                   "cell": cell, "depth": depth, "hidden": H, "steps": a.steps,
                   "eval_every": 10 ** 6, "batch": 32, "val_size": 32, "test_size": 32,
                   "seed": rnd}
            r = run(cfg)
            times[(cell, depth, T, H)].append(r.fit["ms_per_step"])
            comp[(cell, depth, T, H)].append(r.fit["compile_time_s"])
            print(cell, depth, T, H, round(r.fit["ms_per_step"], 2), flush=True)
    rows = []
    for g in grid:
        cell, depth, T, H = g
        cfg = {"task": "ses", "size": T, "task_options": {"block": 5, "alphabet": 8},
               "cell": cell, "depth": depth, "hidden": H}
        from tnrnn.train.run import resolve_config
        c = resolve_config(cfg)
        length = make_task("ses", T, block=5, alphabet=8).length
        est = run_cost({**c, "steps": a.steps, "batch": 32, "eval_every": 10 ** 6,
                        "val_size": 32, "test_size": 32}, length) / a.steps
        rows.append({"cell": cell, "depth": depth, "T": T, "hidden": H, "params": c["params"],
                     "estimate_per_step": est, "ms_per_step": min(times[g]),
                     "compile_s": min(comp[g])})
    est = [r["estimate_per_step"] for r in rows]
    ms = [r["ms_per_step"] for r in rows]
    tdh = [r["T"] * r["depth"] * r["hidden"] for r in rows]
    td = [r["T"] * r["depth"] for r in rows]
    data = {"machine": machine_info(packages=("jax", "numpy")),
            "steps": a.steps, "rounds": a.rounds, "batch": 32, "rows": rows,
            "spearman": {"estimate_vs_ms_per_step": spearman(est, ms),
                         "T_depth_width_vs_ms_per_step": spearman(tdh, ms),
                         "T_depth_vs_ms_per_step": spearman(td, ms)},
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    Path(a.out).write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps(data["spearman"]))


if __name__ == "__main__":
    main()
