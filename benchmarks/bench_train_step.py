"""Benchmark: every cell's training step as a fraction of its arithmetic bound
(issue 22, part 2).

One process, single-threaded (XLA's CPU client with one intra-op thread,
Eigen's multi-threading off, ``OPENBLAS_NUM_THREADS=1``), so that the load of
other processes on the shared machine matters less; the load average at start
is recorded. For every cell kind at T = 80, width 64, batch 128, float32, one
layer, input width 9, 3 outputs, the paper's RMSProp with clipping
(:func:`tnrnn.train.make_optimizer`):

* **step ms**: :func:`tnrnn.train.loop.make_step` (forward, backward and the
  optax update in one jitted call), the median *process CPU time* of many
  calls (single-threaded, the time the step held a core: other processes'
  load stretches wall time, much less CPU time), the median wall time beside
  it; the implementations timed in interleaved rounds (order rotating);
* **FLOPs**: counted analytically (:func:`step_flops`: every matmul of the
  forward pass, the two of each in the backward pass -- one for the first
  layer's input projection, whose input needs no gradient -- and the
  elementwise work), and cross-checked against XLA's own count
  (``jax.jit(f).lower(...).compile().cost_analysis()``), which counts a
  ``while`` body once: the script reports XLA's count of the whole step, and
  of one scan body times T;
* **matmul rate**: (median CPU time, likewise) jitted float32 matmuls at the step's shapes -- the
  recurrent ``(128 x 64) @ (64 x G*64)`` as a chain of T dependent products in
  a ``lax.scan`` (what the step does), the same products batched over T (one
  call), and a large square matmul (the peak);
* **bound**: matmul FLOPs / the rate at the cell's shape (the better of the
  batched and the scanned product, each the better of a measurement before
  and one after the steps), plus elementwise
  FLOPs / the machine's elementwise rate (measured on a fused ``tanh``
  chain); the step's **fraction of the bound** is ``bound / step``.

Beside every step, the same step at width 4 (``FLOOR_WIDTH``), whose
arithmetic is negligible, measures the floor no FLOP count sees (T loop
iterations forward and backward, kernel launches, residual copies).

For the LSTM and GRU the script also times the forms tried in the profile
(:data:`VARIANTS`, built in ``_train_step_variants.py``): the input
projection hoisted out of the scan (one matmul for all T), ``sigmoid`` as
``(1 + tanh(x / 2)) / 2``, ``lax.scan``'s ``unroll``; every variant's first
loss is checked equal to the current form's to float32 rounding before
anything is timed.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train_step.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the helper module beside this script, however it is loaded
    sys.path.insert(0, str(HERE))

from _train_step_variants import VARIANTS, variant_apply  # noqa: E402

T, WIDTH, BATCH, INPUT, OUTPUTS = 80, 64, 128, 9, 3
FLOOR_WIDTH = 4  # the overhead floor: the same step at a width with negligible arithmetic
KINDS = ("rac", "mi-rnn", "tanh", "relu", "lstm", "gru", "scornn", "exprnn", "linear")

#: gates per cell: the recurrent matmul is (B x H) @ (H x G H)
GATES = {"lstm": 4, "gru": 3}

#: elementwise FLOPs per hidden unit and time step, forward (transcendentals
#: counted as one each, as XLA counts them apart) and backward: a hand count of
#: the recurrences in ``tnrnn/cells/_cells.py`` (see :func:`step_flops`)
ELEMENTWISE = {
    # (forward flops, forward transcendentals, backward flops) per unit and step
    "rac": (1, 0, 3),          # h = a * u;  grads: da = g u, du = g a, +accumulate
    "mi-rnn": (2, 1, 6),       # tanh(a * u + b)
    "tanh": (1, 1, 4),         # tanh(u + a)
    "relu": (2, 0, 3),         # max(u + a, 0)
    "linear": (1, 0, 1),       # a + u
    "scornn": (6, 0, 8),       # modReLU: sign(z) relu(|z| + b), z = u + a
    "exprnn": (6, 0, 8),
    # LSTM: g = u + a (4H), 3 sigmoid (4 each: neg, exp, add, div; exp a transcendental),
    # 2 tanh, c = f c + i g (3), h = o tanh(c) (1)
    "lstm": (4 + 3 * 3 + 3 + 1, 5, 30),
    # GRU: gh + b (3H), ur+hr, uz+hz (2), 2 sigmoids (3 each + exp), r*hn, un+.. (2),
    # tanh, (1-z) n + z h (4)
    "gru": (3 + 2 + 6 + 2 + 4, 3, 30),
}


def gates(kind: str) -> int:
    """Number of ``H``-wide gate blocks of ``kind``'s recurrent matmul."""
    return GATES.get(kind, 1)


def step_flops(kind: str, *, T: int = T, hidden: int = WIDTH, batch: int = BATCH,
               input_dim: int = INPUT, outputs: int = OUTPUTS) -> dict:
    """Analytic FLOP count of one training step of a one-layer ``kind`` stack.

    Matmuls count 2 m k n. Forward: per step the recurrent ``(B x H) @ (H x
    G H)`` and the input projection ``(B x I) @ (I x G H)``; the readout once.
    Backward: two matmuls per forward matmul (gradient of the left operand and
    of the weight), except the first layer's input projection, whose input
    ``X`` needs no gradient (one matmul), and the first step's recurrent
    product, whose state is the initial one (counted anyway: XLA's scan
    computes it). Elementwise work from :data:`ELEMENTWISE` (per unit and
    step). The optimiser's update (a few FLOPs per parameter) is added as
    10 FLOPs per parameter.

    Returns a dict with ``matmul``, ``elementwise``, ``transcendentals``,
    ``update`` and ``total`` (FLOPs; transcendentals not in ``total``).
    """
    G = gates(kind)
    rec = 2 * batch * hidden * G * hidden * T
    proj = 2 * batch * input_dim * G * hidden * T
    readout = 2 * batch * hidden * outputs
    matmul = 3 * rec + 2 * proj + 3 * readout
    fwd, trans, bwd = ELEMENTWISE[kind]
    elementwise = (fwd + bwd) * batch * hidden * T
    params = G * hidden * (hidden + input_dim + 2) + outputs * (hidden + 1)
    update = 10 * params
    return {"matmul": matmul, "elementwise": elementwise,
            "transcendentals": 2 * trans * batch * hidden * T,  # forward + its derivative
            "update": update, "total": matmul + elementwise + update}


# --------------------------------------------------------------- measurements

def _cpu_ms(fn, n):
    """Median process CPU time of ``n`` calls (ms): single-threaded, the time the
    work held a core, which other processes' load does not stretch as it
    stretches wall time."""
    import jax

    jax.block_until_ready(fn())
    t = []
    for _ in range(n):
        c0 = time.process_time()
        jax.block_until_ready(fn())
        t.append(time.process_time() - c0)
    return 1000 * statistics.median(t)


def matmul_rates(G_list=(1, 3, 4), *, n_rep=30, big=1024):
    """Measured float32 matmul rates (GFLOP/s), jitted, single-threaded."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    out = {}
    for G in G_list:
        W = jnp.asarray(rng.standard_normal((WIDTH, G * WIDTH)).astype(np.float32) / 8)
        A = jnp.asarray(rng.standard_normal((T, BATCH, WIDTH)).astype(np.float32))
        batched = jax.jit(lambda A, W: A @ W)
        flops = 2 * T * BATCH * WIDTH * G * WIDTH
        ms = _cpu_ms(lambda: batched(A, W), n_rep)
        out[f"batched_G{G}"] = {"shape": f"({T} x {BATCH} x {WIDTH}) @ ({WIDTH} x {G * WIDTH})",
                                "ms": ms, "gflops": flops / ms / 1e6}
        # a chain of T dependent products (a scan), each (B x H) @ (H x G H), summed back to H
        Wb = W[:, :WIDTH]

        @jax.jit
        def chain(h, W=W, Wb=Wb):
            def body(h, _):
                z = h @ W
                return z[:, :WIDTH] * 0.5, None
            return jax.lax.scan(body, h, None, length=T)[0]

        h0 = A[0]
        ms = _cpu_ms(lambda: chain(h0), n_rep)
        out[f"scan_G{G}"] = {"shape": f"{T} dependent ({BATCH} x {WIDTH}) @ ({WIDTH} x "
                                      f"{G * WIDTH}) in a lax.scan", "ms": ms,
                             "gflops": flops / ms / 1e6}
    S = jnp.asarray(rng.standard_normal((big, big)).astype(np.float32))
    sq = jax.jit(lambda a: a @ a)
    ms = _cpu_ms(lambda: sq(S), max(5, n_rep // 3))
    out["square"] = {"shape": f"({big} x {big}) @ ({big} x {big})", "ms": ms,
                     "gflops": 2 * big ** 3 / ms / 1e6}
    # elementwise rate: a fused chain of tanh and multiply-adds over (T*B*H) values
    Z = jnp.asarray(rng.standard_normal((T, BATCH, WIDTH)).astype(np.float32))
    ew = jax.jit(lambda z: jnp.tanh(z) * 0.5 + z * 0.25)
    ms = _cpu_ms(lambda: ew(Z), n_rep)
    out["elementwise"] = {"shape": f"tanh(z) * a + z * b over {T * BATCH * WIDTH} values",
                          "ms": ms, "gflops": 4 * Z.size / ms / 1e6,
                          "gvalues_per_s": Z.size / ms / 1e6}
    return out


def xla_cost(fn, *args) -> dict:
    """XLA's cost analysis of ``jax.jit(fn)`` at ``args`` (flops, transcendentals)."""
    import jax

    ca = jax.jit(fn).lower(*args).compile().cost_analysis()
    if isinstance(ca, (list, tuple)):
        ca = ca[0] if ca else {}
    ca = ca or {}
    return {"flops": float(ca.get("flops", float("nan"))),
            "transcendentals": float(ca.get("transcendentals", float("nan"))),
            "bytes_accessed": float(ca.get("bytes accessed", float("nan")))}


def _setup(kind, X, y, width=WIDTH):
    from tnrnn.cells import stack
    from tnrnn.train import make_optimizer

    model, apply = stack(kind, depth=1, hidden=width, input_dim=X.shape[2], outputs=OUTPUTS,
                         seed=0)
    if kind == "rac":  # every factor exactly 1: finite over 80 steps
        l = model.layers[0]
        model = model.replace(layers=[dict(l, W_H=np.eye(width, dtype=np.float32),
                                           W_I=np.ones_like(l["W_I"]))])
    return model, apply, make_optimizer()


def xla_step_costs(kind, X, y):
    """XLA's count of the whole jitted step and of one scan body (forward+backward
    of one recurrence step with its projection) times T."""
    import jax
    import jax.numpy as jnp

    from tnrnn.cells import get_cell
    from tnrnn.train.loop import make_loss

    model, apply, opt = _setup(kind, X, y)
    loss = make_loss(apply)
    whole = xla_cost(lambda m, X, y: jax.value_and_grad(loss)(m, X, y, None), model, X, y)
    cell = get_cell(kind)
    p = model.layers[0]
    s0 = cell.initial_state(p, X.shape[0])
    x0 = jnp.asarray(X[:, 0])

    def one(p, s, x):  # one step's forward and its vector-Jacobian product
        out, vjp = jax.vjp(lambda p, s: cell.recur(p, s, cell.project(p, x)), p, s)
        return vjp(out)

    body = xla_cost(one, p, s0, x0)
    return {"whole_step": whole, "body": body,
            "body_times_T_flops": body["flops"] * X.shape[1],
            "body_times_T_transcendentals": body["transcendentals"] * X.shape[1]}


def time_cells(kinds, X, y, *, rounds, per_round):
    """Median ms of tnrnn's jitted training step per kind, interleaved rounds."""
    import jax

    from tnrnn.train.loop import make_step

    # scoRNN's and expRNN's W is refreshed in numpy between steps (outside the jit); the
    # jitted part -- forward, backward, optimiser -- is the step timed here.
    # "kind@4": the same step at width FLOOR_WIDTH, whose arithmetic is negligible: the
    # floor of per-step costs (loop iterations, kernel launches, copies) that no FLOP
    # count sees
    steps, state = {}, {}
    for kind in kinds:
        for name, width in ((kind, WIDTH), (f"{kind}@{FLOOR_WIDTH}", FLOOR_WIDTH)):
            model, apply, opt = _setup(kind, X, y, width)
            steps[name] = make_step(apply, opt, model.mask())
            state[name] = (model, opt.init(model))
            p, s, loss = steps[name](*state[name], X, y)
            jax.block_until_ready(loss)
    return _interleave(steps, state, X, y, rounds=rounds, per_round=per_round)


def _interleave(steps, state, X, y, *, rounds, per_round):
    import jax

    names = list(steps)
    times = {n: [] for n in names}
    for i in range(rounds):
        for n in names[i % len(names):] + names[:i % len(names)]:
            # the same parameters every call: steady-state cost, no drift of values
            for _ in range(per_round):
                t0, c0 = time.perf_counter(), time.process_time()
                out = steps[n](*state[n], X, y)
                jax.block_until_ready(out[2])
                times[n].append((time.perf_counter() - t0, time.process_time() - c0))
    return {n: {"cpu": 1000 * statistics.median(c for _, c in v),
                "median": 1000 * statistics.median(w for w, _ in v),
                "min": 1000 * min(w for w, _ in v)} for n, v in times.items()}


def time_variants(kind, X, y, *, rounds, per_round, variants=None):
    """Median ms per variant form of ``kind`` (LSTM, GRU) and their first losses."""
    import jax

    from tnrnn.train.loop import make_step

    variants = variants or VARIANTS
    model, apply, opt = _setup(kind, X, y)
    steps, state, loss0 = {"tnrnn (stack)": make_step(apply, opt, model.mask())}, {}, {}
    for name, kw in variants.items():
        steps[name] = make_step(variant_apply(kind, **kw), opt, model.mask())
    for name, step in steps.items():
        state[name] = (model, opt.init(model))
        _, _, loss = step(*state[name], X, y)
        loss0[name] = float(loss)
    ref = loss0["tnrnn (stack)"]
    for name, v in loss0.items():
        if not abs(v - ref) <= 1e-5 * max(1.0, abs(ref)):
            raise AssertionError(f"{kind} {name}: first loss {v} != tnrnn's {ref}")
    jax.block_until_ready(ref)
    return _interleave(steps, state, X, y, rounds=rounds, per_round=per_round), loss0


# --------------------------------------------------------------- main

def _data():
    from tnrnn.tasks import make_task

    task = make_task("ses", T, block=30, alphabet=8)
    X, y = task.batch(BATCH, seed=0, index=0)
    return np.asarray(X, np.float32), np.asarray(y)


def run(*, rounds=20, per_round=2, kinds=KINDS, variant_kinds=("lstm", "gru"), rate_reps=30):
    """All measurements of one run; returns the result dict."""
    import jax

    from tnrnn._io import machine_info

    load0 = os.getloadavg()
    t_all = time.time()
    X, y = _data()
    first = matmul_rates(n_rep=rate_reps)
    ms = time_cells(kinds, X, y, rounds=rounds, per_round=per_round)
    variants = {k: time_variants(k, X, y, rounds=rounds, per_round=per_round)
                for k in variant_kinds}
    # the rates once more after the steps: the faster of the two (load differs over time)
    rates = {k: max(v, matmul_rates(n_rep=rate_reps)[k], key=lambda r: r["gflops"])
             for k, v in first.items()} if rate_reps > 2 else first
    ew_rate = rates["elementwise"]["gflops"]
    rows = []
    for kind in kinds:
        f = step_flops(kind, input_dim=X.shape[2])
        xla = xla_step_costs(kind, X, y)
        G = gates(kind)
        # the machine's rate at the step's shape: the better of the batched product and
        # the chain of T dependent products (a scan, as in the step)
        mm_rate = max(rates[f"batched_G{G}"]["gflops"], rates[f"scan_G{G}"]["gflops"])
        bound_ms = (f["matmul"] / mm_rate + (f["elementwise"] + f["update"]) / ew_rate) / 1e6
        best, med = ms[kind]["cpu"], ms[kind]["median"]
        row = {"cell": kind, "ms": best, "ms_wall_median": med,
               "ms_wall_min": ms[kind]["min"], "flops": f,
               "gflop": f["total"] / 1e9, "gflops_per_s": f["total"] / best / 1e6,
               "matmul_rate_gflops": mm_rate, "elementwise_rate_gflops": ew_rate,
               "bound_ms": bound_ms, "fraction_of_bound": bound_ms / best,
               "step_over_bound": best / bound_ms,
               "floor_ms": ms[f"{kind}@{FLOOR_WIDTH}"]["cpu"],
               "step_over_bound_plus_floor": best / (bound_ms + ms[f"{kind}@{FLOOR_WIDTH}"]["cpu"]),
               "xla": xla}
        if kind in variants:
            vms, loss0 = variants[kind]
            row["variants_ms"] = {k: v["cpu"] for k, v in vms.items()}
            row["variants_ms_wall_median"] = {k: v["median"] for k, v in vms.items()}
            row["variants_over_bound"] = {k: v["cpu"] / bound_ms for k, v in vms.items()}
            row["variants_first_loss"] = loss0
        rows.append(row)
    info = machine_info(packages=("jax", "numpy"),
                        devices=sorted({d.platform for d in jax.devices()}))
    return {"meta": {"machine": info,
                     "load_average_at_start": load0, "load_average_at_end": os.getloadavg(),
                     "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
                     "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                     "T": T, "width": WIDTH, "batch": BATCH, "input_dim": int(X.shape[2]),
                     "outputs": OUTPUTS, "dtype": "float32", "depth": 1,
                     "rounds": rounds, "per_round": per_round,
                     "seconds": time.time() - t_all,
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())},
            "rates": rates, "rows": rows}


def markdown(data) -> str:
    """The results table for people."""
    from tnrnn._io import machine_line

    m = data["meta"]
    r = data["rates"]
    lines = [f"# Training step against its arithmetic bound (T = {m['T']}, width {m['width']}, "
             f"batch {m['batch']}, float32, one layer)", "",
             f"{m['date']}; {machine_line(m['machine'])}, {m['machine']['platform']}; "
             f"single-threaded (XLA_FLAGS `{m['XLA_FLAGS']}`, "
             f"OPENBLAS_NUM_THREADS={m['OPENBLAS_NUM_THREADS']}); load average at start "
             f"{', '.join(f'{v:.2f}' for v in m['load_average_at_start'])} (end "
             f"{', '.join(f'{v:.2f}' for v in m['load_average_at_end'])}). One run: only ratios "
             "inside it count.", "",
             "## Measured rates (float32, one thread, median CPU time)", "",
             "| what | shape | CPU ms | GFLOP/s |", "|---|---|---|---|"]
    for k, v in r.items():
        lines.append(f"| {k} | {v['shape']} | {v['ms']:.3f} | {v['gflops']:.1f} |")
    lines += ["", "## Every cell's step", "",
              "bound = matmul FLOPs / the matmul rate at its gate width (the better of batched "
              "and scanned) + "
              "(elementwise + update FLOPs) / the elementwise rate; fraction = bound / step.", "",
              "Step ms: median process CPU time of the interleaved calls (single-threaded: "
              "the time the step held a core); the median wall time in brackets.", "",
              f"floor: the same step at width {FLOOR_WIDTH} (negligible arithmetic: per-step "
              "loop, launch and copy costs).", "",
              "| cell | step CPU ms (wall) | GFLOP (matmul / total) | GFLOP/s | bound ms | "
              "fraction of bound | step / bound | floor ms | step / (bound + floor) | "
              "XLA GFLOP whole step / body x T |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for row in data["rows"]:
        f, x = row["flops"], row["xla"]
        lines.append(f"| {row['cell']} | {row['ms']:.2f} ({row['ms_wall_median']:.2f}) | "
                     f"{f['matmul'] / 1e9:.3f} / "
                     f"{row['gflop']:.3f} | {row['gflops_per_s']:.1f} | {row['bound_ms']:.2f} | "
                     f"{row['fraction_of_bound']:.2f} | {row['step_over_bound']:.2f}x | "
                     f"{row['floor_ms']:.2f} | {row['step_over_bound_plus_floor']:.2f}x | "
                     f"{x['whole_step']['flops'] / 1e9:.3f} / {x['body_times_T_flops'] / 1e9:.3f} |")
    lines += ["", "## LSTM and GRU: the forms profiled (same run, interleaved)", "",
              "| cell | form | step CPU ms (wall) | step / bound | first loss |",
              "|---|---|---|---|---|"]
    for row in data["rows"]:
        for k, v in row.get("variants_ms", {}).items():
            med = row["variants_ms_wall_median"][k]
            lines.append(f"| {row['cell']} | {k} | {v:.2f} ({med:.2f}) | "
                         f"{row['variants_over_bound'][k]:.2f}x | "
                         f"{row['variants_first_loss'][k]:.7f} |")
    return "\n".join(lines) + "\n"


def single_thread():
    """XLA on one thread (must run before jax is imported: :func:`main` calls it first)."""
    if "jax" in sys.modules:
        raise RuntimeError("single_thread() must run before jax is imported")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false"
                               " intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv=None):
    single_thread()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--name", default="train-step")
    args = ap.parse_args(argv)
    rounds = args.rounds or (4 if args.quick else 20)
    data = run(rounds=rounds, per_round=2 if not args.quick else 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tnrnn._io import json_safe

    (out / f"{args.name}.json").write_text(json.dumps(json_safe(data), indent=1) + "\n")
    (out / f"{args.name}.md").write_text(markdown(data))
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
