"""Benchmark: contraction cost of compiled networks, tnrnn's engines against
tensornetwork, cotengra, quimb and the step-by-step recurrence.

A thin wrapper over :func:`tnrnn.benchmark.run_benchmarks` (the same code
``tnrnn bench`` runs); see ``benchmarks/README.md`` for what is measured and
how to read the results.

Usage::

    .venv/bin/python benchmarks/bench_contract.py [--quick | --smoke] [--out DIR] [--figures DIR]

Writes ``DIR/contract{,-quick,-smoke}.{json,md}`` (default
``benchmarks/results``) and ``FIGDIR/bench_cost_vs_T{,-quick,-smoke}.{png,svg}``
(default ``figures``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tnrnn.benchmark import run_benchmarks  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the quick subset (< 3 min)")
    mode.add_argument("--smoke", action="store_true", help="a tiny subset (< 20 s)")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--figures", type=Path, default=HERE.parent / "figures")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    def progress(done, total, label):
        print(f"[{done:3d}/{total}] {time.perf_counter() - t0:7.1f} s  {label}", flush=True)

    res = run_benchmarks(args.out, quick=args.quick, smoke=args.smoke,
                         progress=progress, figure_dir=args.figures)
    summ = res["results"]["summary"]
    for kind, rk in summ["ratio_vs_best_other"].items():
        if rk["points"]:
            print(f"{kind}: tnrnn / best other engine: geometric mean {rk['geomean']:.2f}, "
                  f"range {rk['min']:.2f}..{rk['max']:.2f} "
                  f"({rk['points_at_or_below_1']}/{rk['points']} points <= 1)")
    for kind, fc in summ["flops_vs_cotengra"].items():
        if fc["points"]:
            print(f"{kind}: tnrnn path FLOPs / cotengra path FLOPs: "
                  f"{fc['min']:.3f}..{fc['max']:.3f}")
    print(f"wrote {res['json']}, {res['markdown']}, {res['figure']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
