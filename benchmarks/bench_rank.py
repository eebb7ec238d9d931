"""Benchmark: certified (exact mod p) Start-End separation ranks against the
bare linear algebra.

Per point (depth 2 and 3, several R, M, T; ranks from ~600 to ~5,000+), in a
fresh process each (so that peak memory is the point's own):

* the whole :func:`tnrnn.rank.separation_rank` call with its default
  guarantee (``max_failure = 1e-6``; repetitions included): rank, claim,
  final sample size, rounds, repetitions, evaluation / rank routine / total
  seconds, peak resident memory;
* the seconds spent in the repetitions alone (evaluation and rank): what
  the failure-probability guarantee costs, beside the total without them;
* one *bare FLINT rank*: FLINT's LU (``nmod_mat_lu``) of a random matrix of
  the final size mod the same prime, called the way tnrnn calls it (on the
  numpy buffer), and python-flint's ``nmod_mat(list).rank()`` (with its list
  construction) for reference; and the bare rank mod a 61-bit prime (what a
  larger prime would cost in the rank routine; python-flint's
  ``nmod_mat.rank()``, the list built before the clock starts, since tnrnn's
  routines take primes below 2^31 only);
* the ratios total / bare FLINT, evaluation / rank routine, and the extra
  rank work of the search (sum of n_k^3 over rounds and repetitions, over
  the final n^3).

Usage::

    .venv/bin/python benchmarks/bench_rank.py [--quick] [--out DIR]
    .venv/bin/python benchmarks/bench_rank.py --five-minutes   # largest rank in 300 s
    .venv/bin/python benchmarks/bench_rank.py --startup        # CLI start-up

Wall-clock seconds depend on the machine and on whatever else runs on it
(the results committed here come from a 2-core machine shared with other
jobs); the ratios, measured inside one process, are what count. Rank values
are exact and deterministic (seed 0, prime 2**31 - 1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# (depth L, hidden R, input dim M, length T, quick?)
POINTS = [
    (3, 3, 3, 6, True),      # rank 759, below the bound: repetitions needed
    (2, 6, 6, 8, True),      # 756 = the bound
    (2, 8, 8, 6, False),     # 960
    (2, 5, 5, 12, False),    # 1050
    (3, 2, 2, 12, False),    # below the bound
    (2, 16, 16, 4, False),   # 2176
    (3, 3, 3, 8, False),     # 2844, below the bound 2970
    (2, 5, 5, 20, False),    # 5005 = the bound (the point)
]
MAX_SAMPLES = 16384


def machine() -> dict:
    from tnrnn.benchmark import cpu_model

    cpu = cpu_model()
    import flint
    import numpy as np

    return {"cpu": cpu, "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "python-flint": flint.__version__,
            "flint": getattr(flint, "__FLINT_VERSION__", None),
            "load_average": list(os.getloadavg()),
            "shared": "2-core machine shared with ~7 other jobs: wall-clock seconds are "
                      "noisy, ratios (same process) are what count"}


def _bare(n: int, p: int, repeat: int = 1) -> float:
    """Seconds of FLINT's LU rank (``nmod_mat_lu``) of a random ``n x n``
    matrix mod ``p``, best of ``repeat``.

    Below 2^31 the way tnrnn calls it: :func:`tnrnn.rank.routines.rank_flint`
    on the numpy buffer (``overwrite=True``: no copy). tnrnn's routines take
    primes below 2^31 only, so for a larger prime (the 61-bit column) it is
    python-flint's ``nmod_mat.rank()`` (a copy and the same LU), the matrix
    built before the clock starts; on this machine the two agree within the
    noise where both apply (n = 800 and 1,500, 31-bit prime).
    """
    import numpy as np

    from tnrnn.rank.routines import rank_flint

    best = None
    for k in range(repeat):
        A = np.random.default_rng(k).integers(0, p, (n, n), dtype=np.int64).astype(np.uint64)
        if p < 2**31:
            t0 = time.perf_counter()
            rank_flint(A, p, overwrite=True)
        else:
            import flint

            M = flint.nmod_mat(n, n, A.ravel().tolist(), p)
            del A
            t0 = time.perf_counter()
            M.rank()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def _bare_list(n: int, p: int) -> float:
    import flint
    import numpy as np

    A = np.random.default_rng(0).integers(0, p, (n, n), dtype=np.int64)
    t0 = time.perf_counter()
    flint.nmod_mat(n, n, A.ravel().tolist(), p).rank()
    return time.perf_counter() - t0


def point(L, R, M, T, with_list: bool) -> dict:
    """One point, measured in this process (run in a fresh one)."""
    import resource

    sys.path.insert(0, str(ROOT))
    from tnrnn.circuit import RAC
    from tnrnn.rank import separation_rank

    spec = RAC(L, R, M, T)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    res = separation_rank(spec, max_samples=MAX_SAMPLES, max_seconds=3600)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    nf = res.samples[0]
    p = res.prime
    bare = _bare(nf, p)
    rounds_n = [n for n in _schedule(res) if n <= nf]
    work = sum(n ** 3 for n in rounds_n) + sum(r["n_A"] ** 3 for r in res.repetitions)
    row = {
        "depth": L, "hidden": R, "input_dim": M, "length": T,
        "rank": res.rank, "claim": res.claim(), "certainty": res.certainty,
        "upper_bound": res.upper_bound, "final_size": nf, "rounds": res.rounds,
        "repetitions": len(res.repetitions),
        "evaluate_s": round(res.timings["evaluate"], 3),
        "rank_routine_s": round(res.timings["rank"], 3),
        "total_s": round(res.timings["total"], 3), "wall_s": round(wall, 3),
        "bare_flint_s": round(bare, 3),
        "ratio_total_to_bare": round(res.timings["total"] / bare, 3),
        "ratio_evaluate_to_rank": round(res.timings["evaluate"] / res.timings["rank"], 3),
        "extra_rank_work": round(work / nf ** 3 - 1, 3),
        "repetitions_s": round(res.timings["repetitions"], 3),
        "ratio_without_repetitions_to_bare": round(
            (res.timings["total"] - res.timings["repetitions"]) / bare, 3),
        "guarantee_cost": round(res.timings["repetitions"]
                                / (res.timings["total"] - res.timings["repetitions"]), 3),
        "peak_rss_mib": round((peak - base) / 1024, 1),
        "matrix_mib": round(8 * nf * nf / 2**20, 1),
        "bare_flint_61bit_s": round(_bare(nf, 2305843009213693951), 3),
    }
    row["peak_over_matrix"] = round((peak - base) / 1024 / (8 * nf * nf / 2**20), 2)
    if with_list:
        row["bare_python_flint_list_s"] = round(_bare_list(nf, p), 3)
    return row


def _schedule(res) -> list:
    from tnrnn.rank import plan_guarantee

    plan = plan_guarantee(res.spec, res.partition, res.inputs, res.prime, MAX_SAMPLES,
                          given_weights=False, h0="random")
    return plan["schedule"]


def markdown(rows, info) -> str:
    lines = [
        "# Certified Start-End separation ranks against the bare linear algebra",
        "",
        "Generated by `benchmarks/bench_rank.py`. Exact arithmetic mod p = 2^31 - 1, seed 0, "
        "continuous inputs, `max_samples` 16384, default guarantee (`max_failure` 1e-6, "
        "repetitions included in the times). Each point runs in a fresh process.",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, numpy "
        f"{info['numpy']}, python-flint {info['python-flint']} (FLINT {info['flint']}); load "
        f"average at start {info['load_average'][0]:.2f}. **{info['shared']}.**",
        "",
        "*bare FLINT*: FLINT's `nmod_mat_lu` on a random matrix of the final size, same "
        "prime; *ratio* = total / bare FLINT (*w/o reps*: without the repetitions); *extra "
        "work* = sum of n^3 over all rounds and repetitions / final n^3 - 1; *guarantee "
        "cost* = seconds in repetitions / seconds of the rest.",
        "",
        "| L | R | M | T | claim | final n | rounds | reps | evaluate s | rank routine s | "
        "total s | bare FLINT s | ratio | ratio w/o reps | eval / rank | extra work | "
        "guarantee cost | "
        "peak MiB (x matrix) | bare 61-bit prime s |",
        "|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['depth']} | {r['hidden']} | {r['input_dim']} | {r['length']} | "
            f"{r['claim']} | {r['final_size']:,} | {r['rounds']} | {r['repetitions']} | "
            f"{r['evaluate_s']:.2f} | {r['rank_routine_s']:.2f} | {r['total_s']:.2f} | "
            f"{r['bare_flint_s']:.2f} | {r['ratio_total_to_bare']:.2f} | "
            f"{r['ratio_without_repetitions_to_bare']:.2f} | "
            f"{r['ratio_evaluate_to_rank']:.2f} | {100 * r['extra_rank_work']:.0f} % | "
            f"{100 * r['guarantee_cost']:.0f} % | {r['peak_rss_mib']:.0f} "
            f"({r['peak_over_matrix']:.1f}) | {r['bare_flint_61bit_s']:.2f} |")
    extra = HERE / "results"
    five = extra / "rank-five-minutes.json"
    if five.is_file():
        d = json.loads(five.read_text())["largest_in_5_minutes"]
        if d:
            s = d["spec"]
            lines += ["", f"Largest rank certified within 5 minutes of wall time "
                      f"(`--five-minutes`, depth {s['depth']}, R = M = {s['hidden']}, "
                      f"T = {s['length']}): {d['claim']} in {d['wall_s']} s "
                      f"(evaluation {d['evaluate_s']} s, rank routine {d['rank_routine_s']} s), "
                      "on the shared machine."]
    start = extra / "rank-startup.json"
    if start.is_file():
        d = json.loads(start.read_text())
        r = d["ratio_to_import_numpy"]
        lines += ["", f"Start-up (`--startup`, medians of {d['repeat']}): `tnrnn rank -L 2 -R 2 "
                  f"-M 2 -T 4` takes {r['tnrnn rank (table)']}x (table) and "
                  f"{r['tnrnn rank --json']}x (`--json`) the wall time of "
                  f"`python -c \"import numpy\"` ({d['median_s']['import numpy']} s; load "
                  f"average {d['load_average'][0]:.1f})."]
    return "\n".join(lines) + "\n"


def five_minutes(out: Path) -> dict:
    """The largest rank certified within 300 s: depth 2, R = M = 5, growing T
    (rank = R * C(R + T/2 - 1, T/2), the bound), until a run passes 300 s."""
    sys.path.insert(0, str(ROOT))
    from tnrnn.circuit import RAC
    from tnrnn.rank import separation_rank

    best = None
    for T in (20, 22, 24):
        t0 = time.perf_counter()
        res = separation_rank(RAC(2, 5, 5, T), max_samples=20000, max_seconds=3600,
                              max_memory=16 * 2**30)
        wall = time.perf_counter() - t0
        print(f"T={T}: {res.claim()} in {wall:.1f} s", flush=True)
        row = {"spec": res.spec.to_dict(), "claim": res.claim(), "wall_s": round(wall, 1),
               "evaluate_s": round(res.timings["evaluate"], 1),
               "rank_routine_s": round(res.timings["rank"], 1)}
        if wall > 300:
            break
        best = row
    return {"largest_in_5_minutes": best, "shared_machine": True}


def startup(repeat: int = 7) -> dict:
    """Median wall seconds of ``python -c "import numpy"`` and of the CLI's
    ``tnrnn rank -L 2 -R 2 -M 2 -T 4`` (table and --json), interleaved."""
    import statistics

    exe = Path(sys.executable)
    tnrnn = exe.parent / "tnrnn"
    cmds = {"import numpy": [str(exe), "-c", "import numpy"],
            "tnrnn rank (table)": [str(tnrnn), "rank", "-L", "2", "-R", "2", "-M", "2",
                                   "-T", "4", "--no-progress"],
            "tnrnn rank --json": [str(tnrnn), "rank", "-L", "2", "-R", "2", "-M", "2",
                                  "-T", "4", "--json"]}
    times = {k: [] for k in cmds}
    for _ in range(repeat):
        for k, c in cmds.items():
            t0 = time.perf_counter()
            subprocess.run(c, check=True, capture_output=True)
            times[k].append(time.perf_counter() - t0)
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    base = med["import numpy"]
    return {"median_s": med, "ratio_to_import_numpy": {k: round(v / base, 2)
                                                      for k, v in med.items()},
            "repeat": repeat, "load_average": list(os.getloadavg())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the small points")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--point", nargs=4, type=int, help=argparse.SUPPRESS)
    ap.add_argument("--five-minutes", action="store_true")
    ap.add_argument("--startup", action="store_true",
                    help="CLI start-up against python -c 'import numpy'")
    args = ap.parse_args(argv)
    if args.startup:
        data = startup()
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "rank-startup.json").write_text(json.dumps(data, indent=2) + "\n")
        print(json.dumps(data))
        return 0
    if args.point:
        print(json.dumps(point(*args.point, with_list=True)))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    if args.five_minutes:
        data = five_minutes(args.out)
        (args.out / "rank-five-minutes.json").write_text(json.dumps(data, indent=2) + "\n")
        return 0
    info = machine()
    rows = []
    name = "rank-quick" if args.quick else "rank"
    for L, R, M, T, quick in POINTS:
        if args.quick and not quick:
            continue
        out = subprocess.run([sys.executable, __file__, "--point", str(L), str(R), str(M),
                              str(T)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
        data = {"benchmark": "rank", "machine": info, "prime": 2**31 - 1, "seed": 0,
                "inputs": "continuous", "partition": "start-end", "points": rows}
        (args.out / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
        (args.out / f"{name}.md").write_text(markdown(rows, info))
    print(f"wrote {args.out / (name + '.json')} and {args.out / (name + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
