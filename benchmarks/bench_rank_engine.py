"""Certification against one bare FLINT rank, side by side in one run (issue 22).

For each point (near rank 1,000; 2,844; 5,005) this script runs, each in a
fresh process and one right after the other:

* *bare FLINT*: FLINT's ``nmod_mat_lu`` on a random matrix of the final
  sample size mod ``p = 2^31 - 1`` (what the issue's target divides by);
* *bare BLAS*: :func:`tnrnn.rank.blas.rank_blas` on the same matrix;
* *certify auto*: :func:`tnrnn.rank.separation_rank` as ``tnrnn rank`` runs
  it (``rank_method="auto"``: the engine chosen by measurement, the search
  bordered and overlapped when it is the BLAS one);
* *certify flint*: the previous search (FLINT, every round ranked afresh,
  evaluation then rank);

and, at rank 5,005, the wall time of the command ``tnrnn rank -L 2 -R 5 -M 5
-T 20``. The load average is recorded beside every measurement: the machine
is a shared 2-core CPU, so only ratios measured side by side mean much.

Every measurement also records the CPU seconds of its process (user +
system, all threads): on a loaded machine the wall time of a two-thread
certification and of a one-thread FLINT rank scale differently, the CPU
time much less.

Usage: ``.venv/bin/python benchmarks/bench_rank_engine.py [--quick]
[--only L,R,M,T ...] [--out DIR]`` (``--quick``: the point near 1,000 only;
``--only 2,5,5,20``: that point only, written to
``rank-engine-only-2-5-5-20.{json,md}`` so the full table stays). Wall times
are printed as they are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

P = 2_147_483_647
POINTS = [(2, 5, 5, 12), (3, 3, 3, 8), (2, 5, 5, 20)]

_BARE = """
import json, sys, time, numpy as np
from tnrnn.rank.routines import rank_flint
from tnrnn.rank.blas import rank_blas
n, p, which = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
Y = np.random.default_rng(0).integers(0, p, (n, n))
f = rank_flint if which == "flint" else rank_blas
t = time.perf_counter(); r = f(Y, p); dt = time.perf_counter() - t
print(json.dumps({"rank": r, "seconds": dt}))
"""

_CERT = """
import json, sys, time
from tnrnn.circuit import RAC
from tnrnn.rank import separation_rank
L, R, M, T = map(int, sys.argv[1:5])
t = time.perf_counter()
res = separation_rank(RAC(L, R, M, T), rank_method=sys.argv[5], max_samples=16384)
dt = time.perf_counter() - t
print(json.dumps({"rank": res.rank, "claim": res.claim(), "n": res.samples[0],
                  "rounds": res.rounds, "repetitions": len(res.repetitions),
                  "method": res.method, "seconds": dt, "timings": res.timings}))
"""


def _cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(code_or_cmd, args=(), cli=False, label="") -> dict:
    load = os.getloadavg()
    c = _cpu_children()
    t = time.perf_counter()
    if cli:
        out = subprocess.run(code_or_cmd, capture_output=True, text=True, check=True)
        rec = {"seconds": time.perf_counter() - t, "stdout": out.stdout.strip()[-300:]}
    else:
        out = subprocess.run([sys.executable, "-c", code_or_cmd, *map(str, args)],
                             capture_output=True, text=True, check=True)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        rec["process_s"] = time.perf_counter() - t
    rec["cpu_s"] = _cpu_children() - c
    rec["load_before"] = [round(x, 2) for x in load]
    rec["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"  {label}: {rec['seconds']:.2f} s wall (process {rec.get('process_s', rec['seconds']):.2f}"
          f" s, {rec['cpu_s']:.2f} s CPU; load {load[0]:.1f})", flush=True)
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", action="append", default=[], metavar="L,R,M,T",
                    help="run only this point (repeatable), e.g. --only 2,5,5,20")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    a = ap.parse_args(argv)
    points = POINTS[:1] if a.quick else POINTS
    if a.only:
        try:
            points = [tuple(int(v) for v in o.split(",")) for o in a.only]
        except ValueError:
            ap.error(f"--only takes L,R,M,T (four integers); got {a.only}")
        if any(len(pt) != 4 or min(pt) < 1 for pt in points):
            ap.error(f"--only takes L,R,M,T (four positive integers); got {a.only}")
    rows = []
    for L, R, M, T in points:
        row = {"spec": [L, R, M, T]}
        print(f"L R M T = {L} {R} {M} {T}", flush=True)
        row["certify_auto"] = _run(_CERT, (L, R, M, T, "auto"), label="certify auto")
        n = row["certify_auto"]["n"]
        row["bare_flint"] = _run(_BARE, (n, P, "flint"), label=f"bare FLINT rank n={n}")
        row["bare_blas"] = _run(_BARE, (n, P, "blas"), label=f"bare BLAS rank n={n}")
        row["certify_flint"] = _run(_CERT, (L, R, M, T, "flint"), label="certify flint")
        if (L, R, M, T) == (2, 5, 5, 20):
            tnrnn = str(Path(sys.executable).with_name("tnrnn"))
            row["cli"] = _run([tnrnn, "rank", "-L", "2", "-R", "5", "-M", "5", "-T", "20"],
                              cli=True, label="tnrnn rank -L 2 -R 5 -M 5 -T 20")
            row["bare_flint_after_cli"] = _run(_BARE, (n, P, "flint"),
                                               label=f"bare FLINT rank n={n}")
        bare = row["bare_flint"]["seconds"]
        row["ratio_auto"] = row["certify_auto"]["seconds"] / bare
        row["ratio_flint"] = row["certify_flint"]["seconds"] / bare
        row["ratio_bare_blas"] = row["bare_blas"]["seconds"] / bare
        row["cpu_ratio_auto"] = row["certify_auto"]["cpu_s"] / row["bare_flint"]["cpu_s"]
        if "cli" in row:
            row["ratio_cli"] = row["cli"]["seconds"] / row["bare_flint_after_cli"]["seconds"]
        rows.append(row)
        print(json.dumps({k: round(v, 3) for k, v in row.items() if "ratio" in k}),
              row["certify_auto"]["claim"], flush=True)
    cmd = "python benchmarks/bench_rank_engine.py" + (" --quick" if a.quick else "")
    cmd += "".join(f" --only {o}" for o in a.only)
    meta = {"machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "prime": P, "command": cmd}
    out = Path(a.out)
    name = "rank-engine-quick" if a.quick else "rank-engine"
    if a.only:
        name = "rank-engine-only-" + "_".join("-".join(map(str, pt)) for pt in points)
    (out / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (out / f"{name}.md").write_text(_markdown(meta, rows))
    return 0


def _markdown(meta, rows) -> str:
    lines = [
        "# Certification against one bare FLINT rank (issue 22)", "",
        "Generated by `benchmarks/bench_rank_engine.py`. Every figure comes from a fresh "
        "process, the four of a point one right after the other; exact arithmetic mod "
        f"p = 2^31 - 1, seed 0. Machine: {meta['machine']}, {meta['cores']} cores, shared "
        "(a background training job at nice 10 and other sessions' tests): **only the ratios "
        "of one row mean much**; the load average (1 min) is given before each figure.", "",
        "*certify auto*: `separation_rank(..., rank_method='auto')`, what `tnrnn rank` "
        "runs (engine chosen by measurement; the BLAS engine's search is bordered and "
        "overlapped); *certify flint*: the previous search (FLINT, rounds ranked afresh, "
        "evaluation then rank); *bare*: one rank of a random matrix of the final size. "
        "Seconds are wall times inside the process (imports excluded); *CPU s* are the user "
        "+ system seconds of the whole process, all threads (imports included, and for "
        "the bare rank the drawing of its matrix).", "",
        "| L R M T | claim | final n | engine | certify auto s (load) | bare FLINT s (load) "
        "| **auto / bare FLINT** | CPU s: auto / bare FLINT (ratio) | certify flint s (load) "
        "| flint / bare FLINT | bare BLAS / bare FLINT |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ca, bf, cf = r["certify_auto"], r["bare_flint"], r["certify_flint"]
        lines.append(
            f"| {' '.join(map(str, r['spec']))} | {ca['claim']} | {ca['n']:,} | "
            f"{ca['method']} | {ca['seconds']:.1f} ({ca['load_before'][0]:.1f}) | "
            f"{bf['seconds']:.1f} ({bf['load_before'][0]:.1f}) | **{r['ratio_auto']:.2f}** | "
            f"{ca['cpu_s']:.1f} / {bf['cpu_s']:.1f} ({r['cpu_ratio_auto']:.2f}) | "
            f"{cf['seconds']:.1f} ({cf['load_before'][0]:.1f}) | {r['ratio_flint']:.2f} | "
            f"{r['ratio_bare_blas']:.2f} |")
    for r in rows:
        if "cli" in r:
            c, b = r["cli"], r["bare_flint_after_cli"]
            lines += ["", f"`tnrnn rank -L 2 -R 5 -M 5 -T 20`: {c['seconds']:.1f} s wall "
                          f"(load {c['load_before'][0]:.1f}); a bare FLINT rank of the same "
                          f"size right after: {b['seconds']:.1f} s (load "
                          f"{b['load_before'][0]:.1f}); ratio **{r['ratio_cli']:.2f}**."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
