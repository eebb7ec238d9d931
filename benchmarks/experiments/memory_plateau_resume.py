"""Issue 21: bring the plateau result files to the corrected free-rate bound, then resume them.

Usage: python benchmarks/experiments/memory_plateau_resume.py [STAGE ...]

Stages (default: all, in this order):

``upgrade``
    ``benchmarks/results/memory-plateau.json`` and
    ``benchmarks/results/experiments/memory-lorenz96/plateau.json`` written
    with the earlier config (escapes against ``1.05 L_m*``, ``L_m*`` from warm
    starts alone, which stalled) are rewritten with the config of
    :func:`tnrnn.linear_rnn.plateau_runs.plateau_config`: their records are
    kept as run (loss curves, plateaus and final rates are unchanged), ``L_m*``
    is recomputed (``LSTAR_SEARCH``, lowered by every run's polished final
    rates) and every escape is rescored against ``L_ref``. The delayed-family
    runs at m = 3 of ``memory-plateau-delayed.json`` (same methods, seeds,
    starts and rule; the earlier ``plateau-delayed`` experiment) join
    ``memory-plateau.json``, whose plan holds them, and that file is removed.
    The Lorenz-96 plan gains Adam and the ODE flow at m = 3.
``priority``
    the Airy shifts 2, 4, 6 at m = 3 (ODE flow and gradient descent) and the
    delayed family at m = 16 for t0 = 6, 10, 14;
``regd``
    gradient-descent runs of the earlier config that stopped on reaching its
    stopping level (``L_m* + 1% (||rho||^2 - L_m*)`` with the stalled ``L_m*``)
    at a loss above the stopping level of the corrected ``L_m*`` are run again
    (they would not have stopped); the others are kept;
``lorenz``
    the Lorenz-96 runs of the extended plan (Adam and the ODE flow at m = 3);
``rest``
    everything else of the plateau plan (the delayed runs at m = 16 first).

Every stage is resumable (a finished run is skipped) and saves after each run.
"""

import json
import sys
import time
from pathlib import Path

from memory_lorenz96 import LORENZ_FAMS, LORENZ_PLAN
from tnrnn.linear_rnn import load_result
from tnrnn.linear_rnn.plateau_runs import (PLATEAU_FAMILIES, PLATEAU_METHODS, PLATEAU_PLAN,
                                           family_kernel, free_rate_bound, lower_bound_by_run,
                                           plateau_config, plateau_experiment,
                                           rescore_plateaus)

RESULTS = Path("benchmarks/results")
MAIN = RESULTS / "memory-plateau.json"
DELAYED = RESULTS / "memory-plateau-delayed.json"
LORENZ = RESULTS / "experiments/memory-lorenz96/plateau.json"
SEEDS = (0, 1, 2)



def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def save(path, data):
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def upgrade(path, cfg, extra=()):
    """Rewrite ``path`` (and the records of ``extra`` files) under ``cfg``; returns True if
    anything changed."""
    old = load_result(path, "memory-plateau")
    new_cfg = json.loads(json.dumps(cfg))
    if old["config"] == new_cfg:
        return False
    if {k for k in new_cfg if old["config"].get(k) != new_cfg[k]} == {"escape"}:
        old["config"] = new_cfg         # only the wording of the escape rule: rescore
        save(path, rescore_plateaus(old))
        log(f"{path}: rescored under the escape rule {new_cfg['escape']!r}")
        return True
    data = {k: v for k, v in old.items() if k not in ("records", "lstar")}
    data["config"] = json.loads(json.dumps(cfg))
    data["upgraded_from"] = [{"file": str(path), "config": old["config"],
                              "command": old["command"], "machine": old["machine"]}]
    recs = list(old["records"])
    for f in extra:
        if not Path(f).exists():
            continue
        o = load_result(f, "memory-plateau")
        same = all(o["config"][k] == old["config"][k] for k in ("start", "rule", "seeds"))
        same = same and all(PLATEAU_METHODS[k] == v for k, v in o["config"]["methods"].items())
        if not same:
            raise SystemExit(f"{f}: other settings than {path}; not merged")
        data["upgraded_from"].append({"file": str(f), "config": o["config"],
                                      "command": o["command"], "machine": o["machine"]})
        keys = {(r["family"], r["value"], r["method"], r["m"], r["seed"]) for r in recs}
        for r in o["records"]:
            if (r["family"], r["value"], r["method"], r["m"], r["seed"]) not in keys:
                r["merged_from"] = str(f)
                recs.append(r)
    data["records"] = recs
    kernels = {}
    for r in recs:
        kernels.setdefault((r["family"], r["value"], r["m"]), []).append(r)
    for (fam, v, m), rs in kernels.items():
        k = family_kernel(fam, v)
        t = time.time()
        free_rate_bound(data, k, m)
        for r in rs:
            if not r["diverged"]:
                lower_bound_by_run(data, k, m, r)
        log(f"L_{m}* of {k.spec}: {data['lstar'][k.spec][str(m)]:.6g} "
            f"({data['lstar_fit'][k.spec][str(m)]['from']}; {time.time() - t:.0f} s)")
    save(path, rescore_plateaus(data))
    return True


def regd(path):
    """Drop and rerun the gradient-descent runs that stopped early by the old stopping level."""
    data = load_result(path, "memory-plateau")
    keep, again = [], []
    for r in data["records"]:
        meth = PLATEAU_METHODS[r["method"]]
        stop = r["lstar"] + 0.01 * (r["rho_l2_sq"] - r["lstar"])
        if (meth["method"] != "ode" and "stop_below" not in r
                and r["ran_to"] < meth["max_steps"] and r["final_loss"] > stop):
            again.append((r["family"], r["value"], r["method"], r["m"]))
            log(f"rerun {r['kernel']} {r['method']} m={r['m']} seed {r['seed']}: stopped at "
                f"{r['ran_to']:g} with loss {r['final_loss']:.4g} > new stopping level "
                f"{stop:.4g}")
        else:
            keep.append(r)
    if not again:
        return
    data["records"] = keep
    save(path, rescore_plateaus(data))
    fams = data["config"]["families"]
    plan = [tuple(p) for p in data["config"]["plan"]]
    plateau_experiment(path, families=fams, plan=plan, seeds=tuple(data["config"]["seeds"]),
                       select=list(dict.fromkeys(again)), progress=progress)


def progress(i, n, label=""):
    log(f"{i}/{n} {label}")


def main(stages):
    main_cfg = plateau_config(PLATEAU_FAMILIES, PLATEAU_PLAN, SEEDS)
    if "upgrade" in stages:
        if upgrade(MAIN, main_cfg, extra=(DELAYED,)) and DELAYED.exists():
            DELAYED.unlink()
        upgrade(LORENZ, plateau_config(LORENZ_FAMS, LORENZ_PLAN, SEEDS))
    if "priority" in stages:
        sel = [("airy", v, meth, 3) for v in (2.0, 4.0, 6.0) for meth in ("ode-log", "gd-log")]
        sel += [("delayed", v, "ode-log", 16) for v in (6.0, 10.0, 14.0)]
        plateau_experiment(MAIN, select=sel, progress=progress)
    if "regd" in stages:
        regd(MAIN)
        regd(LORENZ)
    if "lorenz" in stages:
        plateau_experiment(LORENZ, families=LORENZ_FAMS, plan=LORENZ_PLAN, seeds=SEEDS,
                           progress=progress,
                           select=[("lorenz96", v, meth, 3) for meth in ("adam-log-short",
                                                                         "ode-log")
                                   for v in LORENZ_FAMS["lorenz96"]])
    if "rest" in stages:           # the quick delayed m = 16 runs first, then the Airy ones
        plateau_experiment(MAIN, progress=progress,
                           select=[("delayed", v, "ode-log", 16)
                                   for v in PLATEAU_FAMILIES["delayed"]])
        plateau_experiment(MAIN, progress=progress)


if __name__ == "__main__":
    main(sys.argv[1:] or ("upgrade", "priority", "regd", "lorenz", "rest"))
