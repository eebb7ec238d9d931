"""Benchmark: what running tasks through tnrnn.parallel costs, in CPU time.

The machine this runs on is shared and small, so wall-clock speed-ups mean
little; every figure here is CPU time, which other sessions do not inflate
much. Three measurements:

1. **Per-task overhead**: ``K`` empty tasks (``spin(0)``) through
   :func:`tnrnn.parallel.iter_tasks` on each executor; the CPU time of this
   process (the client), of the Dask scheduler and of the worker processes
   (psutil), each divided by ``K``. Dask runs as ``dask scheduler`` and
   ``dask worker`` subprocesses on 127.0.0.1, as on a real cluster; it is
   measured as users get it (short tasks in batches) and with one task per
   submission, alternated on the same cluster (the batched / unbatched
   ratio is the figure to compare across runs on a loaded machine).
2. **CPU efficiency**: tasks of about 50 ms and 200 ms of pure-Python CPU
   (``spin``), each recording its own process time in the worker. Task
   efficiency = serial task CPU / parallel task CPU; total efficiency =
   serial CPU / (client + scheduler + worker CPU of the parallel run).
   The executors are measured in interleaved rounds (a batch on each in
   turn), so that the load of other sessions falls on each alike.
3. **The default `tnrnn table` sweep** (48 rows): per-row CPU time of the
   serial run, the same rows on 2 local processes and on Dask (results
   checked identical), and the speed-up predicted for 1-16 workers by
   replaying longest-first and product-order scheduling on the measured
   CPU times plus the measured per-task overheads.

Usage::

    .venv/bin/python benchmarks/bench_parallel.py [--quick] [--out DIR]

Writes ``DIR/parallel.json`` and ``DIR/parallel.md`` (default
``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _tree_cpu(roots) -> float:
    """User + system CPU seconds of the processes ``roots`` (psutil.Process)
    and all their live descendants."""
    import psutil

    total = 0.0
    for root in roots:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total


def _machine() -> dict:
    """The one machine description (:func:`tnrnn._io.machine_info`, with the
    versions of numpy, dask, distributed and python-flint), taken at the start."""
    from tnrnn._io import machine_info

    return machine_info(packages=("numpy", "dask", "distributed", "flint"))


def _measure(phase, fn, tasks, cost=None, executor=None) -> dict:
    """Run ``tasks`` on ``phase``'s executor (or ``executor``, on the same
    processes); the CPU seconds of the client (this process), of the phase's
    scheduler and of its workers, and each task's own CPU time."""
    from tnrnn.parallel import iter_tasks

    executor = phase.executor if executor is None else executor
    n0 = getattr(executor, "submissions", None)
    c0, (s0, k0), w0 = time.process_time(), phase.cpu(), time.perf_counter()
    results = list(iter_tasks(fn, tasks, executor=executor, cost=cost))
    c1, (s1, k1), w1 = time.process_time(), phase.cpu(), time.perf_counter()
    return {"client_cpu_s": c1 - c0, "scheduler_cpu_s": s1 - s0,
            "workers_cpu_s": max(0.0, k1 - k0),
            "wall_s": w1 - w0, "task_cpu_s": sum(r.cpu_s for r in results),
            "task_thread_cpu_s": sum(r.thread_cpu_s for r in results),
            "values": {r.key: r.value for r in results},
            "per_task": {r.key: r.cpu_s for r in results},
            "per_task_thread": {r.key: r.thread_cpu_s for r in results},
            "attempts": sum(r.attempts for r in results),
            "submissions": None if n0 is None else executor.submissions - n0}


def _counting(executor):
    """``executor`` with its ``submit`` calls counted in ``executor.submissions``
    (a batch of tasks is one submission)."""
    inner = executor.submit
    executor.submissions = 0

    def submit(*args, **kwargs):
        executor.submissions += 1
        return inner(*args, **kwargs)

    executor.submit = submit
    return executor


class _Phase:
    """One executor and the processes it owns (for CPU accounting).

    All executors stay up together and are measured in interleaved rounds,
    so that the load other sessions put on the shared machine falls on each
    alike. The Dask clusters run as ``dask scheduler`` / ``dask worker``
    subprocesses, so their CPU is told apart from this process's (which
    holds only a Dask client: about 0.2 % of a core while idle).
    """

    def __init__(self, name: str, workers: int):
        self.name, self.workers = name, workers
        self._procs = []

    def __enter__(self):
        import psutil

        from tnrnn.parallel import DaskExecutor, ProcessExecutor, SerialExecutor

        if self.name == "serial":
            self.executor = SerialExecutor()
            self._sched, self._workers = [], []
        elif self.name == "processes":
            before = {p.pid for p in psutil.Process().children(recursive=True)}
            self.executor = ProcessExecutor(self.workers)
            from tnrnn.parallel import run_tasks
            from tnrnn.parallel.probes import spin

            run_tasks(spin, {f"w{i}": (0,) for i in range(4 * self.workers)},
                      executor=self.executor)  # start the workers
            self._sched = []
            self._workers = [p for p in psutil.Process().children(recursive=True)
                             if p.pid not in before]
        else:
            self._procs, sched_file = start_dask_cluster(
                self.workers, profile=self.name != "dask-noprofile")
            self.executor = _counting(DaskExecutor(scheduler_file=sched_file, timeout=60))
            self.executor.client.wait_for_workers(self.workers, timeout=120)
            # the same client and cluster, every task in a submission of its own
            self.unbatched = _counting(DaskExecutor(client=self.executor.client,
                                                    batch_seconds=0))
            self._sched = [psutil.Process(self._procs[0].pid)]
            self._workers = [psutil.Process(self._procs[1].pid)]
        return self

    def cpu(self) -> tuple:
        """``(scheduler, workers)`` CPU seconds so far."""
        return _tree_cpu(self._sched), _tree_cpu(self._workers)

    def __exit__(self, *exc):
        if getattr(self, "unbatched", None) is not None:
            self.unbatched.shutdown()
        self.executor.shutdown()
        if self._procs:
            stop_dask_cluster(self._procs)


def start_dask_cluster(workers: int, profile: bool = True):
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` as
    subprocesses on 127.0.0.1 (the commands docs/parallel.md gives), joined
    through a scheduler file; returns ``(processes, scheduler_file)``.
    ``profile=False`` turns off the workers' statistical profiler (a thread
    sampling every task's stack every 10 ms)."""
    import subprocess
    import tempfile

    dask = str(Path(sys.executable).with_name("dask"))
    folder = tempfile.mkdtemp(prefix="tnrnn-bench-")
    sched_file = os.path.join(folder, "scheduler.json")
    env = dict(os.environ)
    if not profile:
        env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    sched = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                              sched_file], **common)
    work = subprocess.Popen([dask, "worker", "--scheduler-file", sched_file, "--nworkers",
                             str(workers), "--nthreads", "1", "--host", "127.0.0.1",
                             "--dashboard-address", "127.0.0.1:0"], **common)
    return [sched, work], sched_file


def stop_dask_cluster(procs) -> None:
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(timeout=30)
        except Exception:  # noqa: BLE001
            p.kill()


def overhead(phase, k: int, idle_s: float = 3.0, executor=None) -> dict:
    from tnrnn.parallel.probes import spin

    ex = phase.executor if executor is None else executor
    _measure(phase, spin, {f"w{i}": (0,) for i in range(4 * ex.capacity())}, executor=ex)
    load = os.getloadavg()
    m = _measure(phase, spin, {f"t{i}": (0, i) for i in range(k)}, executor=ex)
    assert m["values"] == {f"t{i}": i for i in range(k)}
    # background CPU (heartbeats, profilers) that runs whether tasks run or not
    c0, (s0, k0) = time.process_time(), phase.cpu()
    time.sleep(idle_s)
    c1, (s1, k1) = time.process_time(), phase.cpu()
    idle = {"client": (c1 - c0) / idle_s, "scheduler": (s1 - s0) / idle_s,
            "workers": (k1 - k0) / idle_s}
    per = lambda cpu: 1e3 * cpu / k  # noqa: E731
    net = lambda cpu, who: 1e3 * max(0.0, cpu - idle[who] * m["wall_s"]) / k  # noqa: E731
    return {"tasks": k, "submissions": m["submissions"], "loadavg_before": load,
            "client_ms_per_task": per(m["client_cpu_s"]),
            "scheduler_ms_per_task": per(m["scheduler_cpu_s"]),
            "workers_ms_per_task": per(m["workers_cpu_s"]),
            "client_net_ms_per_task": net(m["client_cpu_s"], "client"),
            "scheduler_net_ms_per_task": net(m["scheduler_cpu_s"], "scheduler"),
            "workers_net_ms_per_task": net(m["workers_cpu_s"], "workers"),
            "idle_cpu_per_s": idle, "wall_ms_per_task": 1e3 * m["wall_s"] / k}


def overheads(phases: dict, k: int, rounds: int = 2) -> dict:
    """Per executor, the per-task overhead of ``k`` empty tasks; on Dask
    also with one task per submission (``<name>, unbatched``: the same
    cluster and client), the two alternated in ``rounds`` rounds so that the
    load of other sessions falls on both alike. Each row averages its
    rounds; ``rounds_detail`` keeps them."""
    runs: dict = {}
    for r in range(rounds):
        for name, phase in phases.items():
            modes = [(name, None)]
            if getattr(phase, "unbatched", None) is not None:
                pair = [(f"{name}, unbatched", phase.unbatched), (name, None)]
                modes = pair if r % 2 == 0 else pair[::-1]
            for label, ex in modes:
                o = overhead(phase, k, executor=ex)
                print(label, json.dumps(o), flush=True)
                runs.setdefault(label, []).append(o)
    out = {}
    for label, rs in runs.items():
        row = {key: statistics.mean(o[key] for o in rs) for key in rs[0]
               if key.endswith("_per_task")}
        row.update(tasks=k, rounds=len(rs), submissions=rs[0]["submissions"],
                   rounds_detail=rs)
        out[label] = row
    return out


def spin_rate() -> float:
    from tnrnn.parallel.probes import spin

    t0 = time.process_time()
    spin(1_000_000)
    return (time.process_time() - t0) / 1_000_000


def efficiency(phases: dict, sizes_ms, n_tasks: int, rounds: int, per_step: float) -> dict:
    """Per size, ``rounds`` rounds; in each, a batch of ``n_tasks`` on every
    executor in turn. Per executor: all task CPU times, and the CPU totals."""
    from tnrnn.parallel.probes import lcg_closed_form, spin

    out = {f"{ms} ms": {name: {"cpu": [], "thread": [], "total": 0.0, "tasks": 0}
                        for name in phases} for ms in sizes_ms}
    for r in range(rounds):
        for ms in sizes_ms:
            steps = int(ms / 1e3 / per_step)
            tasks = {f"r{r}t{i}": (steps, 1000 * r + i) for i in range(n_tasks)}
            truth = {k: lcg_closed_form(*a) for k, a in tasks.items()}
            for name, phase in phases.items():
                m = _measure(phase, spin, tasks)
                assert m["values"] == truth, f"{name}: results differ from the closed form"
                acc = out[f"{ms} ms"][name]
                acc["cpu"] += list(m["per_task"].values())
                acc["thread"] += list(m["per_task_thread"].values())
                acc["total"] += m["client_cpu_s"] + m["scheduler_cpu_s"] + m["workers_cpu_s"]
                acc["tasks"] += n_tasks
    for ms in sizes_ms:
        for name, acc in out[f"{ms} ms"].items():
            acc["steps"] = int(ms / 1e3 / per_step)
            acc["median_s"] = statistics.median(acc["cpu"])
            acc["thread_median_s"] = statistics.median(acc["thread"])
            acc["task_cpu_s"] = sum(acc["cpu"])
            acc["total_cpu_s"] = acc["total"]
    return out


def _default_sweep():
    from tnrnn.circuit import RAC
    from tnrnn.rank.executor_tasks import rank_row_cost

    specs = [RAC(*c) for c in itertools.product((1, 2, 3), (2, 3), (2, 3), (2, 4, 6, 8))]
    tasks = {f"L={s.depth} R={s.hidden} M={s.input_dim} T={s.length}":
             (s.to_dict(), "start-end", "continuous", 0, None) for s in specs}
    cost = {k: rank_row_cost(s, "start-end", "continuous", None)
            for k, s in zip(tasks, specs)}
    return tasks, cost


def _strip(value: dict) -> dict:
    return {k: v for k, v in value.items() if not k.endswith("_s")}


def _makespan(cpu: list, workers: int, overhead_s: float) -> float:
    """List scheduling: each task goes to the worker free first, in the given
    order; every task costs its CPU plus the per-task overhead."""
    free = [0.0] * workers
    for c in cpu:
        t = heapq.heappop(free)
        heapq.heappush(free, t + c + overhead_s)
    return max(free)


def sweep_runs(phases: dict, repeats: int) -> dict:
    """The default sweep ``repeats`` times on every executor in turn; per
    row the least CPU time seen on each."""
    from tnrnn.rank.executor_tasks import rank_row

    tasks, cost = _default_sweep()
    runs = {name: [] for name in phases}
    for _ in range(repeats):
        for name, phase in phases.items():
            runs[name].append(_measure(phase, rank_row, tasks, cost))
    out = {}
    for name, ms in runs.items():
        values = {k: _strip(v) for k, v in ms[0]["values"].items()}
        for m in ms[1:]:
            assert {k: _strip(v) for k, v in m["values"].items()} == values
        out[name] = {
            "values": values,
            "per_row": {k: min(m["per_task"][k] for m in ms) for k in tasks},
            "per_row_thread": {k: min(m["per_task_thread"][k] for m in ms) for k in tasks},
            "client_cpu_s": min(m["client_cpu_s"] for m in ms),
            "scheduler_cpu_s": min(m["scheduler_cpu_s"] for m in ms),
            "workers_cpu_s": min(m["workers_cpu_s"] for m in ms)}
    return out


def summarise(phases: dict) -> dict:
    """Efficiencies against the serial executor, and the predicted speed-ups."""
    serial = phases["serial"]
    eff = {}
    for size, s in serial["efficiency"].items():
        eff[size] = {}
        for name, ph in phases.items():
            m = ph["efficiency"][size]
            eff[size][name] = {
                "tasks": m["tasks"], "mean_task_cpu_ms": 1e3 * m["task_cpu_s"] / m["tasks"],
                "median_task_cpu_ms": 1e3 * m["median_s"],
                "median_task_thread_cpu_ms": 1e3 * m["thread_median_s"],
                "task_efficiency": s["median_s"] / m["median_s"],
                "task_thread_efficiency": s["thread_median_s"] / m["thread_median_s"],
                "total_cpu_s": m["total_cpu_s"],
                "total_efficiency": s["total_cpu_s"] / m["total_cpu_s"]}
    tasks, cost = _default_sweep()
    per_row = serial["sweep"]["per_row"]
    for name, ph in phases.items():
        assert ph["sweep"]["values"] == serial["sweep"]["values"], \
            f"{name}: rows differ from the serial run"
    total = sum(per_row.values())
    longest = max(per_row, key=per_row.get)
    longest_first = [per_row[k] for k in sorted(tasks, key=lambda k: -cost[k])]
    in_order = [per_row[k] for k in tasks]
    predicted = {}
    for name in ("processes", "dask"):  # the defaults users get
        # a row long enough to matter goes alone (not in a batch): its overhead
        # is a submission's of its own
        o = phases[name]["overhead_unbatched"] or phases[name]["overhead"]
        ov = (o["client_ms_per_task"] + o["scheduler_ms_per_task"]
              + o["workers_ms_per_task"]) / 1e3
        predicted[name] = {
            str(w): {"longest_first": total / _makespan(longest_first, w, ov),
                     "product_order": total / _makespan(in_order, w, ov)}
            for w in (1, 2, 4, 8, 16)}
    runs = {}
    for name, ph in phases.items():
        sw = ph["sweep"]
        task_cpu = sum(sw["per_row"].values())
        thread_cpu = sum(sw["per_row_thread"].values())
        serial_thread = sum(serial["sweep"]["per_row_thread"].values())
        runs[name] = {"task_cpu_s": task_cpu, "task_thread_cpu_s": thread_cpu,
                      "task_thread_efficiency": serial_thread / thread_cpu,
                      "client_cpu_s": sw["client_cpu_s"],
                      "scheduler_cpu_s": sw["scheduler_cpu_s"],
                      "workers_cpu_s": sw["workers_cpu_s"],
                      "task_efficiency": total / task_cpu, "identical_to_serial": True}
    return {
        "efficiency": eff,
        "sweep": {
            "rows": len(tasks), "serial_task_cpu_s": total,
            "longest_row": longest, "longest_row_cpu_s": per_row[longest],
            "longest_row_share": per_row[longest] / total,
            "cost_order_top5": sorted(tasks, key=lambda k: -cost[k])[:5],
            "cpu_order_top5": sorted(per_row, key=lambda k: -per_row[k])[:5],
            "runs": runs, "predicted_speedup": predicted, "per_row_cpu_s": per_row}}


def _markdown(data: dict) -> str:
    m, st = data["machine"], data["settings"]
    lines = [
        "# tnrnn.parallel: overhead and CPU efficiency",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, shared with other sessions (load "
        f"average at start {', '.join(f'{x:.1f}' for x in m['load_average'])}, "
        f"at end {', '.join(f'{x:.1f}' for x in m['loadavg_at_end'])}); "
        f"{m['platform']}; Python {m['versions']['python']}, numpy "
        f"{m['versions']['numpy']}, dask/distributed {m['versions']['distributed']}. "
        f"`processes`: {st['workers']} spawned worker processes. `dask`: `dask scheduler` "
        f"and `dask worker --nworkers {st['workers']} --nthreads 1` started as separate "
        "processes on 127.0.0.1, joined through a scheduler file (defaults); "
        "`dask-noprofile`: the same with the workers' profiler off "
        "(`DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`). Every figure is CPU "
        f"time, not wall clock. Command: `{st['command']}`.",
        "",
        f"## Per-task overhead ({data['overhead']['serial']['tasks']} empty tasks)",
        "",
        "Load average (1, 5, 15 min) before these runs "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg_before_overhead'])}, after "
        f"{', '.join(f'{x:.1f}' for x in m['loadavg_after_overhead'])}. On Dask, short "
        "tasks go in batches (the default, `batch_seconds=0.1`); the `unbatched` rows are "
        "the same cluster and client with every task in a submission of its own "
        "(`batch_seconds=0`), the two alternated in "
        f"{data['overhead']['dask']['rounds']} rounds and averaged.",
        "",
        "| executor | submissions | client CPU / task | scheduler CPU / task | "
        "worker CPU / task | client + scheduler | client + scheduler, net of idle | "
        "target (client + scheduler) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    targets = {"processes": "<= 0.2 ms", "dask": "<= 1 ms", "dask-noprofile": "<= 1 ms"}
    for name, r in data["overhead"].items():
        both = r["client_ms_per_task"] + r["scheduler_ms_per_task"]
        net = r["client_net_ms_per_task"] + r["scheduler_net_ms_per_task"]
        subs = "-" if r.get("submissions") is None else f"{r['submissions']:,}"
        lines.append(f"| {name} | {subs} | {r['client_ms_per_task']:.3f} ms | "
                     f"{r['scheduler_ms_per_task']:.3f} ms | {r['workers_ms_per_task']:.3f} ms"
                     f" | {both:.3f} ms | {net:.3f} ms | {targets.get(name, '-')} |")
    ratios = []
    for name in ("dask", "dask-noprofile"):
        b, u = data["overhead"].get(name), data["overhead"].get(f"{name}, unbatched")
        if b and u:
            ratio = ((b["client_ms_per_task"] + b["scheduler_ms_per_task"])
                     / (u["client_ms_per_task"] + u["scheduler_ms_per_task"]))
            ratios.append(f"{ratio:.3f} ({name})")
    if ratios:
        lines += ["", "Client + scheduler CPU per task, batched / unbatched, in this run: "
                  + ", ".join(ratios) + "."]
    lines += ["", "'Net of idle' subtracts the CPU the same processes burn per second with no "
              "task at all (heartbeats, profilers), measured for 3 s just after, times the "
              "run's wall time.", "",
              f"## CPU efficiency ({st['efficiency_tasks']} pure-Python tasks per size and "
              f"executor, in {st['efficiency_rounds']} interleaved rounds; each task times "
              "its own CPU)", "",
              "| task size | executor | median task CPU (process) | task efficiency (process) "
              "| task efficiency (thread) | total efficiency |",
              "|---|---|---|---|---|---|"]
    for size, rows in data["efficiency"].items():
        for name, r in rows.items():
            lines.append(f"| {size} | {name} | {r['median_task_cpu_ms']:.1f} ms | "
                         f"{100 * r['task_efficiency']:.1f} % | "
                         f"{100 * r['task_thread_efficiency']:.1f} % | "
                         f"{100 * r['total_efficiency']:.1f} % |")
    lines += ["", "Task efficiency: serial median task CPU / median task CPU on the executor; "
              "'process' counts the worker process's CPU during the task (what the target "
              "is about; it includes whatever other threads the worker runs meanwhile: a "
              "Dask worker's event loop and profiler), 'thread' only the thread that ran the "
              "task. Total efficiency: serial CPU / (client + scheduler + workers CPU) over "
              "the whole run. Target: >= 90 % for tasks of 50 ms or more. Every result "
              "equals the closed form.", ""]
    s = data["sweep"]
    lines += [
        "## The default `tnrnn table` sweep",
        "",
        f"{s['rows']} rows, {s['serial_task_cpu_s']:.2f} s of task CPU serially (least of "
        f"{st['sweep_repeats']} interleaved runs per row and executor); the row {s['longest_row']} alone takes "
        f"{s['longest_row_cpu_s']:.2f} s ({100 * s['longest_row_share']:.0f} %). The rows "
        "of every executor are identical to the serial run (timings aside). Most "
        f"expensive rows by the cost estimate: {', '.join(s['cost_order_top5'])}; by "
        f"measured CPU: {', '.join(s['cpu_order_top5'])}.",
        "",
        "| executor | task CPU (process) | task CPU (thread) | client CPU | scheduler CPU "
        "| worker CPU | task efficiency (process) | task efficiency (thread) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in s["runs"].items():
        lines.append(f"| {name} | {r['task_cpu_s']:.2f} s | {r['task_thread_cpu_s']:.2f} s | "
                     f"{r['client_cpu_s']:.2f} s | {r['scheduler_cpu_s']:.2f} s | "
                     f"{r['workers_cpu_s']:.2f} s | {100 * r['task_efficiency']:.1f} % | "
                     f"{100 * r['task_thread_efficiency']:.1f} % |")
    lines += ["", "Predicted speed-up (list scheduling of the serial per-row CPU times, each "
              "row plus the measured per-task overhead of client, scheduler and worker):", "",
              "| workers | processes, longest first | processes, product order | Dask, "
              "longest first | Dask, product order |", "|---|---|---|---|---|"]
    for w in s["predicted_speedup"]["processes"]:
        p, d = s["predicted_speedup"]["processes"][w], s["predicted_speedup"]["dask"][w]
        lines.append(f"| {w} | {p['longest_first']:.2f}x | {p['product_order']:.2f}x | "
                     f"{d['longest_first']:.2f}x | {d['product_order']:.2f}x |")
    lines += ["", f"No number of workers beats total / longest row = "
              f"{1 / s['longest_row_share']:.2f}x on this sweep: one certification dominates. "
              "Evaluating that row's sample matrix in row blocks on the workers is the way "
              "past it (not implemented).", ""]
    return "\n".join(lines)


NAMES = ("serial", "processes", "dask", "dask-noprofile")


def main(argv=None) -> None:
    import contextlib

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer tasks (a few minutes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    k, n_eff, rounds, repeats = (200, 2, 2, 1) if args.quick else (2000, 4, 5, 2)
    data = {"machine": _machine(),
            "settings": {"workers": args.workers, "quick": args.quick, "overhead_tasks": k,
                         "efficiency_tasks": n_eff * rounds, "efficiency_rounds": rounds,
                         "sizes_ms": [50, 200], "sweep_repeats": repeats,
                         "command": "python benchmarks/bench_parallel.py"
                                    + (" --quick" if args.quick else "")}}
    per_step = spin_rate()
    data["settings"]["seconds_per_spin_step"] = per_step
    with contextlib.ExitStack() as stack:
        phases = {name: stack.enter_context(_Phase(name, args.workers)) for name in NAMES}
        data["machine"]["loadavg_before_overhead"] = os.getloadavg()
        data["overhead"] = overheads(phases, k)
        data["machine"]["loadavg_after_overhead"] = os.getloadavg()
        eff = efficiency(phases, data["settings"]["sizes_ms"], n_eff, rounds, per_step)
        print("efficiency done", flush=True)
        sweeps = sweep_runs(phases, repeats)
    summary = {name: {"overhead": data["overhead"][name],
                      "overhead_unbatched": data["overhead"].get(f"{name}, unbatched"),
                      "efficiency": {size: eff[size][name] for size in eff},
                      "sweep": sweeps[name]} for name in NAMES}
    data.update(summarise(summary))
    data["machine"]["loadavg_at_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "parallel-quick" if args.quick else "parallel"
    (out / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n")
    (out / f"{stem}.md").write_text(_markdown(data))
    print(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")


if __name__ == "__main__":
    main()
