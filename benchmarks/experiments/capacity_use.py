"""Experiment 2 (capacity against use) and experiment 3 (demand) of the depth issue.

Usage: python capacity_use.py RUNS_FOLDER [RUNS_FOLDER ...] OUT.json

For every finished RAC run under RUNS_FOLDER (tnrnn train ... --cell rac), the
Start-End rank on the one-hot grid of each trained output is certified mod p
from the saved float weights (exact dyadic rationals) with
tnrnn.rank.separation_rank(params=...), beside the generic rank of the same
architecture (random weights), the proven bounds, and the rank of the task's
own label function (tnrnn.tasks.ses_demand, exact). Writes OUT.json and a
Markdown table next to it (same name, .md).
"""

import json
import platform
import sys
import time
from pathlib import Path

from tnrnn.tasks import copying_demand, ses_demand, ses_label_matrix
from tnrnn.train import collect, load_weights
from tnrnn.train.capacity import capacity_use, effective_ranks, spectrum_ranks


def main(folders, out):
    runs = [(folder, r) for folder in folders for r in collect(folder)
            if r["config"]["cell"] == "rac"]
    rows, demands = [], {}
    t0 = time.time()
    for folder, r in runs:
        c = r["config"]
        T = r["task"]["length"]
        model, _ = load_weights(Path(folder) / r["run"] / "params.npz")
        cap = capacity_use(model, length=T, inputs="one-hot")
        eff = effective_ranks(model, length=T)
        key = f"T{T}-n{c['task_options']['alphabet']}"
        if key not in demands:
            n = c["task_options"]["alphabet"]
            demands[key] = ses_demand(length=T, alphabet=n,
                                      block=c["task_options"]["block"]).to_dict()
            demands[key]["label_spectrum"] = spectrum_ranks(
                ses_label_matrix(length=T, alphabet=n))
        rows.append({"run": r["run"], "folder": Path(folder).name, "demand_key": key, "T": T,
                     "depth": c["depth"], "hidden": c["hidden"], "lr": c["lr"],
                     "steps": r["fit"]["steps"], "best_step": r["fit"]["best_step"],
                     "seed": c["seed"], "params": c["params"],
                     "test_accuracy": r["test"]["accuracy"], "test_loss": r["test"]["loss"],
                     "trained_ranks": [t["rank"] for t in cap.trained],
                     "trained_claims": [t["claim"] for t in cap.trained],
                     "generic_rank": cap.generic["rank"],
                     "generic_claim": cap.generic["claim"], "bounds": cap.bounds,
                     "effective": eff,
                     "demand_label_rank": demands[key]["label"]["rank_exact"],
                     "demand_class_ranks": [demands[key][f"class_{k}"]["rank_exact"]
                                            for k in range(3)]})
        print(f"{r['run']}: acc {r['test']['accuracy']:.3f} trained ranks "
              f"{rows[-1]['trained_ranks']} generic {cap.generic['rank']} "
              f"grid cap {cap.bounds.get('grid-cap')} effective "
              f"{[(e['above_1e-02'], e['energy_0.99']) for e in eff]}", flush=True)
    copying = [copying_demand(delay=B, word_length=M, alphabet=n, max_halves=40_000).to_dict()
               for B, M, n in [(10, 5, 8), (20, 5, 8), (40, 5, 8)]]
    data = {"experiment": "capacity against use (2) and demand (3)",
            "inputs": "one-hot grid, Start-End partition",
            "machine": {"platform": platform.platform(), "python": platform.python_version()},
            "seconds": time.time() - t0, "runs": rows, "ses_demand": demands,
            "copying_demand": copying}
    Path(out).write_text(json.dumps(data, indent=1) + "\n")
    lines = ["| T | depth | width | params | lr | seed | steps (best) | test acc | "
             "trained ranks (per output) | generic rank | grid cap | demand (label; classes) | "
             "trained: sv > 1e-2 max (per output) | trained: 99% energy | "
             "label: sv > 1e-2 max; 99% energy |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in sorted(rows, key=lambda x: (x["T"], x["depth"], x["lr"], x["seed"])):
        lines.append(f"| {x['T']} | {x['depth']} | {x['hidden']} | {x['params']} | "
                     f"{x['lr']:g} | {x['seed']} | {x['steps']} ({x['best_step']}) | "
                     f"{x['test_accuracy']:.3f} | {', '.join(map(str, x['trained_ranks']))} | "
                     f"{x['generic_rank']} | {x['bounds'].get('grid-cap')} | "
                     f"{x['demand_label_rank']}; "
                     f"{', '.join(map(str, x['demand_class_ranks']))} | "
                     f"{', '.join(str(e['above_1e-02']) for e in x['effective'])} | "
                     f"{', '.join(str(e['energy_0.99']) for e in x['effective'])} | "
                     f"{demands[x['demand_key']]['label_spectrum']['above_1e-02']}; "
                     f"{demands[x['demand_key']]['label_spectrum']['energy_0.99']} |")
    Path(out).with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: python capacity_use.py RUNS_FOLDER [RUNS_FOLDER ...] OUT.json")
    main(sys.argv[1:-1], sys.argv[-1])
