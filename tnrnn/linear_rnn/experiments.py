"""The paper's three experiments as data (JSON), resumable; figures are drawn by
:mod:`tnrnn.linear_rnn.figures` from these files.

1. :func:`approximation_experiment` -- error against width for several kernels:
   fixed (sinc) rate grids projected exactly, free rates (upper bounds), L2 and
   L1 errors, the smallest rate and the Gram matrix's conditioning.
2. :func:`plateau_experiment` -- time to leave the first plateau of gradient
   descent on ``e^{-t} + e^{-(t - t0)} 1[t > t0]`` against ``t0`` (and on
   ``(1 + t)^{-(1 + omega)}`` against ``omega``).
3. :func:`training_experiment` (in :mod:`tnrnn.linear_rnn.training`).

Every record carries the machine and seeds; a run appends records to its JSON
file as they finish and skips records already there.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from .approx import _cond_digits, best_exponential_sum, l1_error, project, rate_grid
from .flow import gradient_flow, initial_point
from .kernels import delayed, exponential, parse_kernel

__all__ = ["APPROX_KERNELS", "approximation_experiment", "plateau_experiment",
           "plateau_threshold", "machine"]

APPROX_KERNELS = ["exponential:1", "exponential:0.1", "polynomial:0.1", "polynomial:0.2",
                  "polynomial:0.5", "polynomial:1", "polynomial:2", "delayed:1", "delayed:4",
                  "airy:6"]


def machine() -> dict:
    """Where a result was computed."""
    return {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _load(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"machine": machine(), "records": []}


def _save(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


# ------------------------------------------------------------- experiment 1
def approximation_experiment(path, kernels=None, *, max_m: int = 64, free_m: int = 12,
                             l1_every: int = 1, progress=None) -> dict:
    """Error against width for each kernel (one record per kernel).

    Fixed rates: the sinc grid ``exp(pi (k - (m-1)/2) / sqrt(m))`` for
    ``m = 1..max_m``, exact projection: squared L2 error, L1 error of the same
    coefficients, smallest rate, ``log10`` of the Gram condition estimate.
    Free rates: :func:`best_exponential_sum` up to ``free_m`` (upper bounds).
    """
    path = Path(path)
    data = _load(path)
    done = {r["kernel"] for r in data["records"]}
    kernels = kernels or APPROX_KERNELS
    for i, spec in enumerate(kernels):
        if spec in done:
            continue
        k = parse_kernel(spec)
        rec = {"kernel": spec, "rho_l2_sq": k.l2_sq(), "rho_l1": k.l1_norm(),
               "fixed": {"grid": "sinc", "m": [], "l2_sq_error": [], "l1_error": [],
                         "min_rate": [], "log10_cond": [], "coefs_max": []}}
        t0 = time.perf_counter()
        for m in range(1, max_m + 1):
            w = rate_grid(m, "sinc")
            p = project(k, w)
            f = rec["fixed"]
            f["m"].append(m)
            f["l2_sq_error"].append(p.l2_sq_error)
            f["l1_error"].append(l1_error(k, p.coefs, w).value if m % l1_every == 0 or m == 1
                                 else None)
            f["min_rate"].append(float(w.min()))
            f["log10_cond"].append(_cond_digits(w))
            f["coefs_max"].append(float(np.abs(p.coefs).max()))
        rec["fixed"]["seconds"] = time.perf_counter() - t0
        if free_m:
            b = best_exponential_sum(k, free_m)
            rec["free"] = b.to_dict()
            rec["free"]["min_rate"] = [min(r) for r in b.rates]
            rec["free"]["log10_cond"] = [_cond_digits(r) for r in b.rates]
        data["records"].append(rec)
        _save(path, data)
        if progress is not None:
            progress(i + 1, len(kernels), spec)
    return data


# ------------------------------------------------------------- experiment 2
def plateau_threshold(kernel, m: int = 3, frac: float = 0.25) -> dict:
    """The plateau level and the exit threshold used by :func:`plateau_experiment`.

    The first plateau of these flows sits at the best one-exponential loss
    ``L1*`` (all rates merged into one); the flow has left it once the loss is
    below ``L1* - frac (L1* - Lm*)``, ``Lm*`` the best loss found with ``m``
    free rates (an upper bound on the optimum).
    """
    b = best_exponential_sum(kernel, m, l1=False)
    l1s, lms = b.l2_sq_error[0], b.l2_sq_error[-1]
    return {"L1*": l1s, f"L{m}*": lms, "threshold": l1s - frac * (l1s - lms), "frac": frac}


def _exit_time(times, loss, thr):
    idx = np.nonzero(np.asarray(loss) < thr)[0]
    return float(np.asarray(times)[idx[0]]) if idx.size else None


PLATEAU_METHODS = {
    "gd-rate": {"method": "gd", "param": "rate", "lr": 0.1},
    "gd-log": {"method": "gd", "param": "log", "lr": 0.1},
    "adam-log": {"method": "adam", "param": "log", "lr": 0.01},
    "adam-rate": {"method": "adam", "param": "rate", "lr": 0.01},
    "ode-log": {"method": "ode", "param": "log", "lr": 0.1},
    "ode-rate": {"method": "ode", "param": "rate", "lr": 0.1},
}


def plateau_experiment(path, *, family: str = "delayed",
                       values=(0.5, 1, 2, 3, 4, 5, 6, 7, 8, 10),
                       methods=("gd-rate", "ode-rate", "adam-rate"), seeds=(0, 1, 2),
                       m: int = 3, max_steps: int = 300_000, ode_max_steps: int = 200_000,
                       flat: float = 0.01, min_span: float = 2.0, drop: float = 0.1,
                       progress=None) -> dict:
    """Steps (or flow time / lr) to leave the plateaus, one record per run.

    ``family="delayed"``: target ``e^{-t} + e^{-(t - t0)} 1[t > t0]`` for ``t0`` in
    ``values``; ``family="polynomial"``: ``(1 + t)^{-(1 + omega)}``. Start: ``a = 0``,
    rates ``1 + 0.1 U(-1, 1)`` (seeded). Each run records every plateau that
    :func:`tnrnn.linear_rnn.plateau_times` finds on its loss curve (``flat``,
    ``min_span``, ``drop``), the first plateau's exit as ``exit`` (None: the
    plateau outlasted the run), and the first time the loss is below the
    threshold of :func:`plateau_threshold` as ``exit_L1``. GD and Adam stop
    once the loss is below ``L3* + 0.25 (L1* - L3*)`` or after ``max_steps``.
    """
    from .flow import plateau_times

    path = Path(path)
    data = _load(path)
    data.setdefault("protocol", {
        "m": m, "start": "a=0, w=1+0.1*U(-1,1) (seeded)",
        "methods": {k: PLATEAU_METHODS[k] for k in methods},
        "plateaus": f"plateau_times(flat={flat}, min_span={min_span}, drop={drop}); "
                    "exit = the first plateau's exit",
        "exit_L1": "first time loss < L1* - 0.25 (L1* - L3*)",
        "stop": "GD/Adam stop once loss < L3* + 0.25 (L1* - L3*)",
        "max_steps": max_steps, "ode": "diffrax Tsit5, rtol 1e-9, atol 1e-12, flow time "
                                       "max_steps * lr, times reported as tau / lr"})
    done = {(r["family"], r["value"], r["method"], r["seed"]) for r in data["records"]}
    thresholds = data.setdefault("thresholds", {})
    total = len(values) * len(methods) * len(seeds)
    count = 0
    for v in values:
        k = (exponential(1.0) + delayed(v)) if family == "delayed" else \
            parse_kernel(f"polynomial:{v}")
        key = k.spec
        if key not in thresholds:
            thresholds[key] = plateau_threshold(k, m)
            _save(path, data)
        th = thresholds[key]
        stop = th["L3*"] + 0.25 * (th["L1*"] - th["L3*"])
        for meth in methods:
            cfg = PLATEAU_METHODS[meth]
            for seed in seeds:
                count += 1
                if (family, v, meth, seed) in done:
                    continue
                a0, w0 = initial_point(m, seed=seed)
                t_start = time.perf_counter()
                if cfg["method"] == "ode":
                    r = gradient_flow(k, a0, w0, method="ode", lr=cfg["lr"], steps=max_steps,
                                      param=cfg["param"], chunk=ode_max_steps, per_decade=100)
                    times = r.times / cfg["lr"]
                else:
                    r = gradient_flow(k, a0, w0, method=cfg["method"], lr=cfg["lr"],
                                      steps=max_steps, param=cfg["param"], chunk=20000,
                                      stop_below=stop, per_decade=100)
                    times = r.times
                pls = plateau_times(times, r.loss, flat=flat, min_span=min_span, drop=drop)
                sel = np.unique(np.geomspace(1, len(times), min(600, len(times))).astype(int) - 1)
                data["records"].append({
                    "family": family, "value": v, "kernel": key, "method": meth, "seed": seed,
                    "exit": pls[0].exit if pls else None,
                    "plateaus": [{"start": p.start, "level": p.level, "end_flat": p.end_flat,
                                  "exit": p.exit} for p in pls],
                    "exit_L1": _exit_time(times, r.loss, th["threshold"]),
                    "ran_to": float(times[-1]), "final_loss": float(r.loss[-1]),
                    "diverged": r.diverged, "seconds": time.perf_counter() - t_start,
                    "final_rates": r.w.tolist(), "info": r.info,
                    "curve": {"t": times[sel].tolist(), "loss": r.loss[sel].tolist()}})
                _save(path, data)
                if progress is not None:
                    progress(count, total, f"{key} {meth} seed {seed}: plateaus "
                             f"{[(p.start, round(p.level, 4), p.exit) for p in pls]}")
    return data


def _main():  # pragma: no cover - the command line entry of the background runs
    import sys

    which = sys.argv[1]
    out = sys.argv[2]

    def pr(i, n, label=""):
        print(f"[{time.strftime('%H:%M:%S')}] {i}/{n} {label}", flush=True)

    if which == "approx":
        approximation_experiment(out, progress=pr)
    elif which == "plateau-delayed":
        plateau_experiment(out, progress=pr)
    elif which == "train":
        from .training import training_experiment

        training_experiment(out, progress=pr)
    elif which == "plateau-omega":
        plateau_experiment(out, family="polynomial", values=(0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
                           progress=pr)
    else:
        raise SystemExit(f"unknown experiment {which!r}")


if __name__ == "__main__":  # pragma: no cover
    _main()
