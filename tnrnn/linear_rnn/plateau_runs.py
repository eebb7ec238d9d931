"""Plateau experiment: gradient flows on the paper's targets from random asymmetric starts.

Targets (the memory parameter ``v`` in brackets):

- ``expsum``: ``e^{-t} + e^{-t/v}``: exponential memory, no delay (``v`` the
  slow time scale);
- ``airy``: ``Ai(t - v)``: the shifted Airy kernel of the paper's reference code
  (which uses ``Ai(t - 6)``); the shift sets the memory;
- ``delayed``: ``e^{-t} + e^{-(t - v)} 1[t > v]``: memory at lag ``v``;
- ``lorenz96`` (not in the default plan): the first Wiener kernel of the
  forced Lorenz-96 ring observed ``v`` time units late, scaled to unit L2
  norm (:func:`tnrnn.linear_rnn.lorenz96.lorenz96_kernel`): what gradient
  descent of a linear RNN sees of that nonlinear target.

Starts: :func:`tnrnn.linear_rnn.flow.random_point` (``a ~ 0.1 N(0, 1)``,
``w ~ e^{0.5 N(0, 1)}``, seeded): no two coefficients equal, so no symmetric
start. Rates are ``e^v`` (``param="log"``), so no flow reaches ``w = 0``.
Every run is kept; diverged runs are counted and never given a plateau.

The **escape time** of a run is the exit (rule of
:mod:`tnrnn.linear_rnn.plateaus`) of its last plateau above the best
``m``-term loss ``L_m*`` (free rates, :func:`best_exponential_sum`; a plateau
within 5% of ``L_m*`` is convergence, not a stall); ``None`` with
``censored = True`` when such a plateau outlasts the run, ``0`` with
``plateau = False`` when the curve has none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._store import resume_result, save_result
from .bestsum import best_exponential_sum
from .flow import gradient_flow, random_point
from .kernels import parse_kernel
from .plateaus import PLATEAU_RULE, plateau_times

__all__ = ["PLATEAU_FAMILIES", "PLATEAU_METHODS", "plateau_experiment", "family_kernel",
           "Escape", "escape_time", "EscapeRate", "escape_rate"]

PLATEAU_FAMILIES = {"expsum": (2.0, 4.0, 8.0, 16.0), "airy": (0.0, 2.0, 4.0, 6.0),
                    "delayed": (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0)}

PLATEAU_METHODS = {
    "gd-log": {"method": "gd", "param": "log", "lr": 0.1, "max_steps": 1_000_000},
    "adam-log": {"method": "adam", "param": "log", "lr": 0.01, "max_steps": 1_000_000},
    "gd-log-short": {"method": "gd", "param": "log", "lr": 0.1, "max_steps": 200_000},
    "ode-log": {"method": "ode", "param": "log", "lr": 0.1, "max_steps": 100_000_000,
                "solver_steps": 100_000},
}

# (method, m) pairs run for every target value
PLATEAU_PLAN = (("ode-log", 3), ("gd-log", 3), ("ode-log", 16))


def family_kernel(family: str, v: float):
    """The target of ``family`` at memory ``v`` (see the module docstring).

    Parameters
    ----------
    family : str
        ``expsum``, ``airy``, ``delayed`` or ``lorenz96``.
    v : float
        The memory parameter (slow time scale, shift or delay).

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import family_kernel
    >>> k = family_kernel("delayed", 4.0)
    >>> k.spec, round(k.l2_sq(), 12)   # 1/2 + 2 e^{-4}/2 + 1/2
    ('exponential:1+delayed:4', 1.018315638889)
    >>> family_kernel("expsum", 2.0).spec
    'exponential:1+exponential:0.5'
    """
    if family == "expsum":
        return parse_kernel(f"exponential:1+exponential:{1.0 / v:.12g}")
    if family == "airy":
        return parse_kernel(f"airy:{v:g}")
    if family == "delayed":
        return parse_kernel(f"exponential:1+delayed:{v:g}")
    if family == "lorenz96":
        from .lorenz96 import lorenz96_kernel

        return lorenz96_kernel(v)
    from ..errors import SpecError

    raise SpecError(f"unknown plateau family {family!r}; valid: "
                    f"{', '.join([*PLATEAU_FAMILIES, 'lorenz96'])}")


@dataclass(frozen=True)
class Escape:
    """The escape time of one run (module docstring).

    Parameters
    ----------
    escape : float or None
        Exit of the last plateau above ``1.05 L_m*``; 0 without such a plateau;
        None when it outlasts the run (censored).
    plateau : bool
        Whether the run has a plateau above ``1.05 L_m*``.
    censored : bool
        Whether that plateau was still going at the end of the run.
    ran_to : float or None
        The run's last time, kept for a censored run (None otherwise).

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import Escape
    >>> Escape(None, True, True, 1e6).to_dict()
    {'escape': None, 'plateau': True, 'censored': True, 'ran_to': 1000000.0}
    >>> Escape(0.0, False, False).to_dict()
    {'escape': 0.0, 'plateau': False, 'censored': False}
    """

    escape: float | None
    plateau: bool
    censored: bool
    ran_to: float | None = None

    def to_dict(self) -> dict:
        """The fields as a dict (``ran_to`` only for a censored run, as the records store it)."""
        d = {"escape": self.escape, "plateau": self.plateau, "censored": self.censored}
        if self.censored:
            d["ran_to"] = self.ran_to
        return d


def escape_time(plateaus, lstar: float, scale: float, ran_to: float) -> Escape:
    """The escape time of a run from its plateaus (module docstring).

    Parameters
    ----------
    plateaus : sequence of Plateau
        The run's plateaus (:func:`tnrnn.linear_rnn.plateau_times`).
    lstar : float
        ``L_m*``, the best ``m``-term loss; plateaus at or below ``1.05 L_m*``
        are convergence, not stalls.
    scale : float
        The loss scale (``||rho||_2^2``); levels within ``1e-9 scale`` above
        ``1.05 L_m*`` count as converged.
    ran_to : float
        The run's last time (reported for a censored run).

    Returns
    -------
    Escape

    Examples
    --------
    >>> from tnrnn.linear_rnn import Plateau
    >>> from tnrnn.linear_rnn.plateau_runs import escape_time
    >>> stall = Plateau(start=10.0, level=0.5, end_flat=400.0, exit=500.0, next_level=0.1)
    >>> done = Plateau(start=600.0, level=0.1, end_flat=1e4, exit=None)   # at L_m*: converged
    >>> escape_time([stall, done], lstar=0.1, scale=1.0, ran_to=1e4).escape
    500.0
    >>> stuck = Plateau(start=600.0, level=0.4, end_flat=1e4, exit=None)  # above L_m* at the end
    >>> escape_time([stall, stuck], 0.1, 1.0, 1e4).to_dict()
    {'escape': None, 'plateau': True, 'censored': True, 'ran_to': 10000.0}
    """
    above = [p for p in plateaus if p.level > lstar * 1.05 + 1e-9 * scale]
    if not above:
        return Escape(0.0, False, False)
    if any(p.exit is None for p in above):
        return Escape(None, True, True, ran_to)
    return Escape(max(p.exit for p in above), True, False)


def plateau_experiment(path, *, families=None, plan=None, seeds=(0, 1, 2),
                       quick: bool = False, progress=None) -> dict:
    """Run every (family, value, method, m, seed) of the plan; one record each (resumable).

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file (resumed if it exists with the same config).
    families : dict, optional
        Family name to memory values (default :data:`PLATEAU_FAMILIES`).
    plan : sequence of (str, int), optional
        ``(method, m)`` pairs run for every value (default ``PLATEAU_PLAN``);
        methods are keys of :data:`PLATEAU_METHODS`.
    seeds : sequence of int
        Seeds of the random starts.
    quick : bool
        One small run (smoke test).
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each run.

    Returns
    -------
    dict
        The result file's content; each record holds the run's settings, its
        divergence, plateaus, escape time and a thinned loss curve.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.plateau_runs import plateau_experiment
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "plateau.json"
    >>> plateau_experiment(out, families={"gauss": (1.0,)})   # refused before any run
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown plateau family 'gauss'; valid: expsum, airy, delayed, lorenz96
    """
    fams = dict(families or PLATEAU_FAMILIES)
    if plan is None:
        plan = PLATEAU_PLAN
    if quick:
        fams = {"delayed": (4.0,)}
        plan = (("gd-log", 3),)
        seeds = (0,)
    cfg = {"families": {k: list(v) for k, v in fams.items()},
           "plan": [list(p) for p in plan], "seeds": list(seeds),
           "methods": {k: PLATEAU_METHODS[k] for k in {p[0] for p in plan}},
           "start": "random_point(m, seed): a = 0.1 N(0,1), w = exp(0.5 N(0,1))",
           "rule": PLATEAU_RULE, "quick": quick,
           "escape": "exit of the last plateau above 1.05 L_m* (L_m*: best_exponential_sum)"}
    if "lorenz96" in fams:
        from .lorenz96 import LORENZ96

        cfg["lorenz96"] = dict(LORENZ96)
    data = resume_result(path, "memory-plateau", cfg)
    done = {(r["family"], r["value"], r["method"], r["m"], r["seed"]) for r in data["records"]}
    lstars = data.setdefault("lstar", {})
    total = sum(len(v) for v in fams.values()) * len(plan) * len(seeds)
    count = 0
    for fam, values in fams.items():
        for v in values:
            k = family_kernel(fam, v)
            if k.spec not in lstars:
                mmax = max(m for _, m in plan)
                b = best_exponential_sum(k, mmax, l1=False, starts=4)
                lstars[k.spec] = {str(m): b.l2_sq_error[m - 1] for m in sorted({m for _, m in plan})}
                save_result(path, data)
            for meth, m in plan:
                cfg_m = PLATEAU_METHODS[meth]
                lstar = lstars[k.spec][str(m)]
                for seed in seeds:
                    count += 1
                    if (fam, v, meth, m, seed) in done:
                        continue
                    a0, w0 = random_point(m, seed)
                    ts = time.perf_counter()
                    rho2 = k.l2_sq()
                    if cfg_m["method"] == "ode":
                        r = gradient_flow(k, a0, w0, method="ode", lr=cfg_m["lr"],
                                          steps=cfg_m["max_steps"], param=cfg_m["param"],
                                          chunk=cfg_m["solver_steps"], per_decade=60,
                                          max_steps=cfg_m["max_steps"])
                        times = r.times / cfg_m["lr"]
                    else:
                        stop = lstar + 0.01 * (rho2 - lstar)
                        r = gradient_flow(k, a0, w0, method=cfg_m["method"], lr=cfg_m["lr"],
                                          steps=cfg_m["max_steps"], param=cfg_m["param"],
                                          chunk=50_000, stop_below=stop, per_decade=60,
                                          max_steps=cfg_m["max_steps"])
                        times = r.times
                    rec = {"family": fam, "value": v, "kernel": k.spec, "method": meth,
                           "m": m, "seed": seed, "diverged": r.diverged,
                           "ran_to": float(times[-1]), "final_loss": float(r.loss[-1]),
                           "initial_loss": float(r.loss[0]), "lstar": lstar, "rho_l2_sq": rho2,
                           "final_rates": r.w.tolist(), "info": r.info,
                           "seconds": time.perf_counter() - ts}
                    if r.diverged:
                        rec.update({"plateaus": [], "escape": None, "plateau": None,
                                    "censored": None})
                    else:
                        pls = plateau_times(times, r.loss, **PLATEAU_RULE)
                        rec["plateaus"] = [p.to_dict() for p in pls]
                        rec.update(escape_time(pls, lstar, rho2, float(times[-1])).to_dict())
                    sel = np.unique(np.geomspace(1, len(times), min(400, len(times)))
                                    .astype(int) - 1)
                    rec["curve"] = {"t": times[sel].tolist(), "loss": r.loss[sel].tolist()}
                    data["records"].append(rec)
                    save_result(path, data)
                    if progress is not None:
                        progress(count, total, f"{k.spec} {meth} m={m} seed {seed}: escape "
                                 f"{rec['escape']} diverged {r.diverged}")
    return data


@dataclass(frozen=True)
class EscapeRate:
    """A fitted growth rate of the escape time with memory (see :func:`escape_rate`).

    Parameters
    ----------
    rate : float
        Slope of ``ln(median escape)`` against the memory value ``v``.
    low, high : float
        95% bootstrap interval (NaN if no bootstrap draw qualified).
    values : tuple of float
        The memory values that entered the fit.
    boot_used, boot_total : int
        Bootstrap draws kept and drawn.

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import EscapeRate
    >>> EscapeRate(0.9, 0.8, 1.0, (6.0, 8.0, 10.0), 2000, 2000).to_dict()["values"]
    [6.0, 8.0, 10.0]
    """

    rate: float
    low: float
    high: float
    values: tuple
    boot_used: int
    boot_total: int

    def to_dict(self) -> dict:
        """The fields as a dict (``values`` as a list)."""
        return {"rate": self.rate, "low": self.low, "high": self.high,
                "values": list(self.values), "boot_used": self.boot_used,
                "boot_total": self.boot_total}


def escape_rate(records, family: str, method: str, m: int, *, n_boot: int = 2000,
                seed: int = 0, min_value: float = -np.inf) -> EscapeRate | None:
    """Fit ``ln(median escape) = c + rate * v`` over the memory values ``v``, with a 95%
    bootstrap interval (seeds resampled within each value).

    Per value the median is taken over the runs that did not diverge, a run still on
    a plateau at its end counting as ``+inf``; a value enters the fit when that median
    is finite and positive (0 means no plateau) and ``v >= min_value``. Diverged runs
    are never counted as escapes. Bootstrap draws whose median is 0 or infinite at some
    value are left out (``boot_used`` of ``boot_total`` say how many remained).

    Parameters
    ----------
    records : sequence of dict
        Run records of :func:`plateau_experiment` (keys ``family``, ``method``,
        ``m``, ``value``, ``seed``, ``diverged``, ``escape``).
    family, method : str
        Which target family and method to fit.
    m : int
        Which width.
    n_boot : int
        Bootstrap draws.
    seed : int
        Seed of the bootstrap.
    min_value : float
        Smallest memory value that enters the fit.

    Returns
    -------
    EscapeRate or None
        None if fewer than 3 values qualify.

    Examples
    --------
    >>> import math
    >>> from tnrnn.linear_rnn.plateau_runs import escape_rate
    >>> recs = [{"family": "delayed", "method": "gd-log", "m": 3, "value": v, "seed": s,
    ...          "diverged": False, "escape": math.exp(0.5 * v + 0.01 * s)}
    ...         for v in (2, 4, 6) for s in range(3)]
    >>> r = escape_rate(recs, "delayed", "gd-log", 3)
    >>> round(r.rate, 6), r.values
    (0.5, (2, 4, 6))
    """
    rng = np.random.default_rng(seed)
    by_v = {}
    for r in records:
        if r["family"] == family and r["method"] == method and r["m"] == m \
                and not r["diverged"] and r["value"] >= min_value:
            by_v.setdefault(r["value"], []).append(r)
    xs, groups = [], []
    for v in sorted(by_v):
        g = np.array([np.inf if r["escape"] is None else r["escape"] for r in by_v[v]], float)
        med = np.median(g)
        if np.isfinite(med) and med > 0:
            xs.append(v)
            groups.append(g)
    if len(xs) < 3:
        return None
    x = np.array(xs, float)

    def fit(meds):
        return np.polyfit(x, np.log(meds), 1)[0]

    rate = float(fit([np.median(g) for g in groups]))
    boots = []
    for _ in range(n_boot):
        meds = [np.median(rng.choice(g, size=len(g))) for g in groups]
        if all(np.isfinite(mm) and mm > 0 for mm in meds):
            boots.append(fit(meds))
    lo, hi = np.percentile(boots, [2.5, 97.5]) if boots else (np.nan, np.nan)
    return EscapeRate(rate, float(lo), float(hi), tuple(xs), len(boots), n_boot)
