"""Benchmark: one big certified rank with its sample matrix evaluated on workers.

``tnrnn rank ... --workers N | --scheduler ADDR`` cuts each sample matrix into
blocks of rows (:class:`tnrnn.rank.executor_tasks.RowBlocks`), evaluates each block
on a worker and takes the rank here. This measures, at points with rank
>= 1,000, in CPU time (the machine is shared and small: wall clock says
little):

* the serial evaluation: process time of this process inside each
  ``sample_matrix`` call of a plain ``separation_rank`` run;
* per block: rows, columns, the CPU time of the task in its worker
  (``thread_cpu_s``: the calling thread; ``cpu_s``: the whole worker
  process during the call);
* per run: the client's CPU time inside the evaluation calls (pickling,
  assembly; for Dask also the scheduler, which a ``LocalCluster`` runs in
  this process) and the CPU time of all worker processes during those calls
  (psutil, the process tree of this process);
* **task efficiency** = serial evaluation CPU / sum of the blocks' task CPU
  (what re-deriving the column side in every block costs), **total
  efficiency** = serial evaluation CPU / (client + workers during the
  evaluation), and the **overhead per block** = (client + workers - tasks) /
  blocks;
* the whole-rank speed-up predicted for W workers: the rank routine stays on
  the client, so ``(eval + rank) / (rank + eval / (W * total efficiency))``.

Every parallel run's result (``to_dict()`` without timings: rank, claim,
certificate) is checked equal to the serial one. The modes run in
interleaved rounds (each mode once per round), round 1 with cold workers
(first import of tnrnn and numba in each), later rounds warm.

Usage::

    .venv/bin/python benchmarks/bench_rank_parallel.py [--quick] [--rounds 2] [--out DIR]

Writes ``DIR/rank-parallel.json`` and ``DIR/rank-parallel.md`` (default
``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: (label, spec arguments (L, R, M, T), partition)
POINTS = [("L3 R3 M3 T8 start-end", (3, 3, 3, 8), "start-end"),
          ("L2 R3 M3 T8 odd-even", (2, 3, 3, 8), "odd-even")]
QUICK = [("L3 R3 M3 T6 start-end", (3, 3, 3, 6), "start-end")]


def _children_cpu() -> float:
    """User + system CPU seconds of every live descendant of this process."""
    import psutil

    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


class Metered:
    """An ``evaluate`` hook around ``inner`` that adds up the client's
    process time, the workers' CPU time and the wall time of every call."""

    def __init__(self, inner, workers: bool):
        self.inner, self.workers = inner, workers
        self.client_cpu = self.worker_cpu = self.wall = 0.0
        self.calls = 0

    def __call__(self, *args, **kwargs):
        w0 = _children_cpu() if self.workers else 0.0
        c0, t0 = time.process_time(), time.perf_counter()
        out = self.inner(*args, **kwargs)
        c1, t1 = time.process_time(), time.perf_counter()
        w1 = _children_cpu() if self.workers else 0.0
        self.client_cpu += c1 - c0
        self.worker_cpu += w1 - w0
        self.wall += t1 - t0
        self.calls += 1
        return out


def _plain(res) -> dict:
    d = res.to_dict()
    d.pop("timings")
    return d


def _run(spec, partition, evaluate, workers: bool) -> tuple:
    from tnrnn.rank import separation_rank

    meter = Metered(evaluate, workers)
    res = separation_rank(spec, partition, evaluate=meter)
    return res, meter


def _measure(label, spec, partition, modes, rounds) -> dict:
    from tnrnn.rank.executor_tasks import RowBlocks
    from tnrnn.rank import sample_matrix

    runs = []
    reference = None
    for rnd in range(1, rounds + 1):
        for name, executor, block_rows in modes:
            blocks = None
            if executor == "serial":
                hook = sample_matrix
            else:
                hook = blocks = RowBlocks(executor, block_rows=block_rows)
            res, meter = _run(spec, partition, hook, executor != "serial")
            plain = _plain(res)
            if reference is None:
                reference = plain
            same = plain == reference
            row = {"mode": name, "round": rnd, "rank": res.rank, "claim": res.claim(),
                   "samples": list(res.samples), "rounds": res.rounds,
                   "repetitions": len(res.repetitions), "identical_to_serial": same,
                   "total_s": res.timings["total"], "rank_s": res.timings["rank"],
                   "eval_wall_s": meter.wall, "eval_client_cpu_s": meter.client_cpu,
                   "eval_worker_cpu_s": meter.worker_cpu, "eval_calls": meter.calls}
            if blocks is not None:
                recs = blocks.records
                row.update({
                    "blocks": len(recs),
                    "block_rows": sorted({r["rows"] for r in recs})[-1],
                    "task_thread_cpu_s": sum(r["thread_cpu_s"] for r in recs),
                    "task_process_cpu_s": sum(r["cpu_s"] for r in recs),
                    "block_cpu_ms_median": 1e3 * statistics.median(r["thread_cpu_s"]
                                                                   for r in recs),
                    "block_cpu_ms_max": 1e3 * max(r["thread_cpu_s"] for r in recs),
                    "workers_used": len({r["worker"] for r in recs}),
                    "retried": sum(r["attempts"] > 1 for r in recs)})
            runs.append(row)
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                              for k, v in row.items()}), flush=True)
            if not same:
                raise SystemExit(f"{label} {name}: result differs from the serial run")
    return {"label": label, "spec": spec.to_dict(), "partition": partition, "runs": runs,
            "summary": _summarise(runs)}


def _summarise(runs) -> dict:
    serial = [r for r in runs if r["mode"] == "serial"]
    ser_cpu = statistics.median(r["eval_client_cpu_s"] for r in serial)
    ser_eval = statistics.median(r["eval_wall_s"] for r in serial)
    ser_rank = statistics.median(r["rank_s"] for r in serial)
    out = {"serial": {"eval_cpu_s": ser_cpu, "eval_wall_s": ser_eval, "rank_s": ser_rank,
                      "eval_share": ser_eval / (ser_eval + ser_rank)}}
    for mode in sorted({r["mode"] for r in runs} - {"serial"}):
        for warm in (False, True):
            rs = [r for r in runs if r["mode"] == mode and (r["round"] > 1) == warm]
            if not rs:
                continue
            task = statistics.median(r["task_thread_cpu_s"] for r in rs)
            spent = statistics.median(r["eval_client_cpu_s"] + r["eval_worker_cpu_s"]
                                      for r in rs)
            client = statistics.median(r["eval_client_cpu_s"] for r in rs)
            blocks = rs[0]["blocks"]
            eff = ser_cpu / spent if spent else None
            out[f"{mode} ({'warm' if warm else 'cold'})"] = {
                "blocks": blocks, "block_rows": rs[0]["block_rows"],
                "block_cpu_ms_median": statistics.median(r["block_cpu_ms_median"] for r in rs),
                "task_efficiency": ser_cpu / task if task else None,
                "total_efficiency": eff,
                "client_cpu_ms_per_block": 1e3 * client / blocks,
                "overhead_ms_per_block": 1e3 * (spent - task) / blocks,
                "predicted_whole_rank_speedup": {
                    str(w): (ser_eval + ser_rank) / (ser_rank + ser_eval / (w * eff))
                    for w in (1, 2, 4, 8, 16)} if eff else None,
                "predicted_eval_speedup": {str(w): w * eff for w in (1, 2, 4, 8, 16)}
                if eff else None,
            }
    return out


def _machine() -> dict:
    import numpy

    from tnrnn.benchmark import cpu_model

    cpu = cpu_model()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "load_avg_start": os.getloadavg()}


def _markdown(data) -> str:
    lines = ["# One big rank: sample matrix in row blocks on workers", "",
             f"Machine: {data['machine']['cpu']}, {data['machine']['cores']} cores, shared "
             f"(load average at start {data['machine']['load_avg_start'][0]:.1f}). Seed 0, "
             "default prime. CPU times; every parallel result identical to serial "
             f"({data['all_identical']}).", ""]
    for point in data["points"]:
        s = point["summary"]
        ser = s["serial"]
        lines += [f"## {point['label']}: {point['runs'][0]['claim']}, final "
                  f"{point['runs'][0]['samples'][0]:,} x {point['runs'][0]['samples'][1]:,}",
                  "",
                  f"Serial: evaluation {ser['eval_cpu_s']:.2f} s CPU ({ser['eval_wall_s']:.2f} s "
                  f"wall), rank routine {ser['rank_s']:.2f} s wall; evaluation is "
                  f"{100 * ser['eval_share']:.0f} % of evaluation + rank.", "",
                  "| mode | blocks | rows/block | block CPU (median ms) | task eff. | total "
                  "eff. | client CPU / block (ms) | overhead / block (ms) | predicted "
                  "eval speed-up 2/4/8/16 | predicted whole-rank speed-up 2/4/8/16 |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for mode, m in s.items():
            if mode == "serial":
                continue
            pe = m["predicted_eval_speedup"] or {}
            pw = m["predicted_whole_rank_speedup"] or {}
            lines.append(
                f"| {mode} | {m['blocks']} | {m['block_rows']} | "
                f"{m['block_cpu_ms_median']:.0f} | {m['task_efficiency']:.2f} | "
                f"{m['total_efficiency']:.2f} | {m['client_cpu_ms_per_block']:.1f} | "
                f"{m['overhead_ms_per_block']:.1f} | "
                + "/".join(f"{pe[w]:.1f}" for w in ("2", "4", "8", "16")) + " | "
                + "/".join(f"{pw[w]:.2f}" for w in ("2", "4", "8", "16")) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one small point, one round")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    from distributed import LocalCluster

    from tnrnn.circuit import RAC
    from tnrnn.parallel import make_executor

    points = QUICK if args.quick else POINTS
    rounds = 1 if args.quick else args.rounds
    w = args.workers
    data = {"machine": _machine(), "workers": w, "rounds": rounds, "points": []}
    with make_executor(workers=w) as pool, \
            LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
            make_executor(scheduler=cluster.scheduler_address) as dask:
        modes = [("serial", "serial", None), (f"processes x{w}", pool, None),
                 (f"processes x{w}, 64-row blocks", pool, 64), (f"dask x{w}", dask, None)]
        for label, (L, R, M, T), partition in points:
            data["points"].append(_measure(label, RAC(L, R, M, T), partition, modes, rounds))
    data["all_identical"] = all(r["identical_to_serial"] for p in data["points"]
                                for r in p["runs"])
    data["machine"]["load_avg_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "rank-parallel-quick" if args.quick else "rank-parallel"
    (out / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n")
    (out / f"{stem}.md").write_text(_markdown(data))
    print(_markdown(data))


if __name__ == "__main__":
    main()
