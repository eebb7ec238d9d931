"""Benchmark: training step time of tnrnn's stacked cells against hand-written
``lax.scan`` stacks with the same optax optimiser.

Per cell kind and depth (T = 80, width 64, batch 128, SES inputs of width 9,
3 outputs, the paper's RMSProp with clipping at 10):

* **tnrnn**: :func:`tnrnn.cells.stack` + :func:`tnrnn.train.make_step` (one
  jitted step: loss, gradient, frozen entries zeroed, optimiser update);
* **hand, layer-wise**: the same maths written directly with ``jnp`` (one
  ``lax.scan`` per layer, input projections of all steps as one matmul);
* **hand, fused**: the textbook form (one ``lax.scan`` over time, every layer
  inside its body, projections inside the step).

Both hand-written steps use the same optimiser object and the same loss; the
first step's loss of every implementation is checked equal (rel. 1e-5) before
anything is timed. First calls (compile) are timed apart. Steady state: the
three implementations are timed in interleaved rounds of one step each, the
order rotating every round (A, B, C, B, C, A, ...), so that the machine's
load hits all of them alike; the median ms per step and
the ratio tnrnn / hand are reported (ratios measured inside one process).

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_train.py [--quick] [--out DIR]
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

from tnrnn._io import machine_info, machine_line

HERE = Path(__file__).resolve().parent
T, WIDTH, BATCH, INPUT, OUTPUTS = 80, 64, 128, 9, 3
HAND_KINDS = ("tanh", "lstm", "gru", "rac")


# --------------------------------------------------------------- hand-written cells

def _hand_cell(kind):
    import jax
    import jax.numpy as jnp

    if kind == "tanh":
        proj = lambda p, x: x @ p["W_ih"].T + p["b"]  # noqa: E731
        rec = lambda p, h, u: jnp.tanh(u + h @ p["W_hh"].T)  # noqa: E731
        init = lambda p, B: jnp.zeros((B, p["W_hh"].shape[1]))  # noqa: E731
        out = lambda s: s  # noqa: E731
    elif kind == "lstm":
        def proj(p, x):
            return x @ p["W_ih"].T + p["b"]

        def rec(p, s, u):
            h, c = s
            z = u + h @ p["W_hh"].T
            H = h.shape[-1]
            i = jax.nn.sigmoid(z[:, :H])
            f = jax.nn.sigmoid(z[:, H:2 * H])
            g = jnp.tanh(z[:, 2 * H:3 * H])
            o = jax.nn.sigmoid(z[:, 3 * H:])
            c = f * c + i * g
            return (o * jnp.tanh(c), c)

        def init(p, B):
            z = jnp.zeros((B, p["W_hh"].shape[1]))
            return (z, z)
        out = lambda s: s[0]  # noqa: E731
    elif kind == "gru":
        proj = lambda p, x: x @ p["W_ih"].T + p["b_ih"]  # noqa: E731

        def rec(p, h, u):
            H = h.shape[-1]
            g = h @ p["W_hh"].T + p["b_hh"]
            r = jax.nn.sigmoid(u[:, :H] + g[:, :H])
            z = jax.nn.sigmoid(u[:, H:2 * H] + g[:, H:2 * H])
            n = jnp.tanh(u[:, 2 * H:] + r * g[:, 2 * H:])
            return (1 - z) * n + z * h
        init = lambda p, B: jnp.zeros((B, p["W_hh"].shape[1]))  # noqa: E731
        out = lambda s: s  # noqa: E731
    elif kind == "rac":
        proj = lambda p, x: x @ p["W_I"].T  # noqa: E731
        rec = lambda p, h, u: (h @ p["W_H"].T) * u  # noqa: E731
        init = lambda p, B: jnp.broadcast_to(p["h0"], (B, p["h0"].shape[0]))  # noqa: E731
        out = lambda s: s  # noqa: E731
    else:
        raise ValueError(kind)
    return proj, rec, init, out


def hand_apply_layerwise(kind):
    import jax
    import jax.numpy as jnp

    proj, rec, init, out = _hand_cell(kind)

    def apply(params, X):
        seq = jnp.swapaxes(X, 0, 1)
        B = X.shape[0]
        for p in params.layers:
            U = proj(p, seq)
            _, seq = jax.lax.scan(lambda s, u, p=p: (rec(p, s, u), out(rec(p, s, u))),
                                  init(p, B), U)
        r = params.readout
        y = seq[-1] @ r["W_O"].T
        return y + r["b_O"] if "b_O" in r else y

    return apply


def hand_apply_fused(kind):
    import jax
    import jax.numpy as jnp

    proj, rec, init, out = _hand_cell(kind)

    def apply(params, X):
        B = X.shape[0]
        layers = params.layers

        def body(states, x):
            new, inp = [], x
            for p, s in zip(layers, states):
                s = rec(p, s, proj(p, inp))
                new.append(s)
                inp = out(s)
            return tuple(new), None

        states, _ = jax.lax.scan(body, tuple(init(p, B) for p in layers),
                                 jnp.swapaxes(X, 0, 1))
        r = params.readout
        y = out(states[-1]) @ r["W_O"].T
        return y + r["b_O"] if "b_O" in r else y

    return apply


def hand_step(apply, optimizer, mask):
    """The textbook optax step around a hand-written apply."""
    import jax
    import jax.numpy as jnp
    import optax

    def loss(params, X, y):
        logits = apply(params, X)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(params, opt_state, X, y):
        value, grads = jax.value_and_grad(loss)(params, X, y)
        grads = jax.tree.map(lambda g, m: g if m else jnp.zeros_like(g), grads, mask)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    return step


# --------------------------------------------------------------- timing

def _time_steps(step, params, opt_state, X, y, n):
    import jax

    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        params, opt_state, loss = step(params, opt_state, X, y)
        jax.block_until_ready(loss)
        t.append(time.perf_counter() - t0)
    return t, params, opt_state


def bench_one(kind, depth, *, rounds, steps_per_round):
    import jax

    from tnrnn.cells import stack, trainable_mask
    from tnrnn.tasks import make_task
    from tnrnn.train import make_optimizer
    from tnrnn.train.loop import make_step

    task = make_task("ses", T, block=30, alphabet=8)
    X, y = task.batch(BATCH, seed=0, index=0)
    params, apply = stack(kind, depth=depth, hidden=WIDTH, input_dim=task.input_dim,
                          outputs=OUTPUTS, seed=0)
    if kind == "rac":  # every factor exactly 1: finite over 80 steps (all weights time alike)
        for i, l in enumerate(params.layers):
            l["W_H"] = np.eye(WIDTH, dtype=np.float32)
            l["W_I"] = (np.ones_like(l["W_I"]) if i == 0 else np.eye(WIDTH, dtype=np.float32))
    opt = make_optimizer()
    mask = trainable_mask(params)
    impls = {"tnrnn": make_step(apply, opt, mask)}
    if kind in HAND_KINDS:
        impls["hand-layerwise"] = hand_step(hand_apply_layerwise(kind), opt, mask)
        impls["hand-fused"] = hand_step(hand_apply_fused(kind), opt, mask)
    state = {}
    compile_s, first_loss = {}, {}
    for name, step in impls.items():
        st = opt.init(params)
        t0 = time.perf_counter()
        p, st, loss = step(params, st, X, y)
        jax.block_until_ready(loss)
        compile_s[name] = time.perf_counter() - t0
        first_loss[name] = float(loss)
        state[name] = (p, st)
    ref = first_loss["tnrnn"]
    for name, v in first_loss.items():
        if not abs(v - ref) <= 1e-5 * max(1.0, abs(ref)):
            raise AssertionError(f"{kind} depth {depth}: {name} loss {v} != tnrnn {ref}")
    times = {name: [] for name in impls}
    names = list(impls)
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:  # rotate the order
            step = impls[name]
            t, p, st = _time_steps(step, *state[name], X, y, steps_per_round)
            state[name] = (p, st)
            times[name].extend(t)
    ms = {name: 1000 * statistics.median(v) for name, v in times.items()}
    row = {"cell": kind, "depth": depth, "T": T, "width": WIDTH, "batch": BATCH,
           "ms_per_step": ms, "compile_s": compile_s, "first_loss": first_loss,
           "timed_steps": rounds * steps_per_round}
    if "hand-layerwise" in ms:
        row["ratio_vs_layerwise"] = ms["tnrnn"] / ms["hand-layerwise"]
        row["ratio_vs_fused"] = ms["tnrnn"] / ms["hand-fused"]
    return row


def bench_scornn(depth, *, steps):
    """scoRNN's step: jitted gradient, Cayley update in numpy, jitted optimiser update."""
    import jax

    from tnrnn.cells import outside_grads, outside_refresh, stack, trainable_mask
    from tnrnn.tasks import make_task
    from tnrnn.train import make_optimizer
    from tnrnn.train.loop import make_step

    task = make_task("ses", T, block=30, alphabet=8)
    X, y = task.batch(BATCH, seed=0, index=0)
    params, apply = stack("scornn", depth=depth, hidden=WIDTH, input_dim=task.input_dim,
                          outputs=OUTPUTS)
    opt = make_optimizer()
    st = opt.init(params)
    g_fn, u_fn = make_step(apply, opt, trainable_mask(params), fused=False)
    to_np = lambda t: jax.tree.map(np.asarray, t)  # noqa: E731
    t = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        loss, g = g_fn(params, X, y)
        g = to_np(g)  # waits for the gradient
        t1 = time.perf_counter()
        g = outside_grads(params, g)
        t2 = time.perf_counter()
        params, st = u_fn(params, st, g)
        params = to_np(params)
        t3 = time.perf_counter()
        params = outside_refresh(params)
        t4 = time.perf_counter()
        if i:
            t.append((t4 - t0, (t2 - t1) + (t4 - t3)))
    return {"cell": "scornn", "depth": depth, "T": T, "width": WIDTH, "batch": BATCH,
            "ms_per_step": {"tnrnn": 1000 * statistics.median(a for a, _ in t)},
            "cayley_numpy_ms": 1000 * statistics.median(b for _, b in t), "timed_steps": steps}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="depth 1 and 3, fewer steps")
    ap.add_argument("--out", default=str(HERE / "results"))
    args = ap.parse_args(argv)
    import jax

    depths = (1, 3) if args.quick else (1, 2, 3)
    # many short rounds, interleaved: load bursts of the shared machine hit every side
    rounds, per = (12, 1) if args.quick else (40, 1)
    kinds = ("tanh", "lstm", "gru", "rac", "mi-rnn", "linear")
    rows = []
    t_all = time.time()
    for kind in kinds:
        for depth in depths:
            if kind not in HAND_KINDS and depth == 2:
                continue
            row = bench_one(kind, depth, rounds=rounds, steps_per_round=per)
            rows.append(row)
            ratio = (f" ratio {row['ratio_vs_layerwise']:.3f} (layer-wise) "
                     f"{row['ratio_vs_fused']:.3f} (fused)" if "ratio_vs_fused" in row else "")
            print(f"{kind} L{depth}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in
                                                   row["ms_per_step"].items()) + ratio,
                  flush=True)
    for depth in depths:
        row = bench_scornn(depth, steps=rounds * per)
        rows.append(row)
        print(f"scornn L{depth}: {row['ms_per_step']['tnrnn']:.2f} ms "
              f"(numpy Cayley part {row['cayley_numpy_ms']:.2f} ms)", flush=True)
    out = Path(args.out)
    name = "train-quick" if args.quick else "train"
    info = machine_info(packages=("jax", "numpy"),
                        devices=sorted({d.platform for d in jax.devices()}))
    meta = {"machine": info, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "T": T, "width": WIDTH, "batch": BATCH, "input_dim": INPUT, "outputs": OUTPUTS,
            "optimizer": "tnrnn.train.make_optimizer() (RMSProp 1e-3, decay 0.9, clip 10)",
            "seconds": time.time() - t_all}
    (out / f"{name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    lines = [f"# Training step time (T = {T}, width {WIDTH}, batch {BATCH})", "",
             f"Machine: {machine_line(info)}; shared with other jobs: ratios (same process, "
             "interleaved rounds) are what count.", "",
             "| cell | depth | tnrnn ms/step | hand layer-wise ms | hand fused ms | "
             "tnrnn / layer-wise | tnrnn / fused | compile s (tnrnn / layer-wise / fused) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["cell"] == "scornn":
            lines.append(f"| scornn | {r['depth']} | {r['ms_per_step']['tnrnn']:.2f} "
                         f"(numpy Cayley {r['cayley_numpy_ms']:.2f}) | - | - | - | - | - |")
            continue
        ms, cs = r["ms_per_step"], r.get("compile_s", {})
        f = lambda d, k: f"{d[k]:.2f}" if k in d else "-"  # noqa: E731
        lines.append(f"| {r['cell']} | {r['depth']} | {f(ms, 'tnrnn')} | "
                     f"{f(ms, 'hand-layerwise')} | {f(ms, 'hand-fused')} | "
                     f"{r.get('ratio_vs_layerwise', float('nan')):.3f} | "
                     f"{r.get('ratio_vs_fused', float('nan')):.3f} | "
                     f"{f(cs, 'tnrnn')} / {f(cs, 'hand-layerwise')} / {f(cs, 'hand-fused')} |")
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    return rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
