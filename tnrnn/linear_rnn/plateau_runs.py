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

Two levels per target and width ``m``:

- ``L_m*``, the **free-rate bound**: the smallest exact error of ``m`` free
  rates found by :func:`best_exponential_sum` (warm starts up to ``m``;
  for ``m <= 4`` also 16 random starts), lowered by
  :func:`polish_exponential_sum` from the final rates of every run that did
  not diverge, so it is never above any run's final loss (each record keeps
  its rates and coefficients under ``lstar_fit``, checkable in closed form).
  On the delayed, Lorenz-96 and Airy targets it is reached as rates coalesce
  (``t^k e^{-w t}`` terms, coefficients growing without bound), which no run
  approaches in its time;
- ``L_ref``, the **reached level**: the lowest loss the runs (any method)
  reached at that target and ``m`` (their final losses and recorded curves;
  a loss that rises again after its lowest point, as gradient descent's does
  at lr 0.1 once small rates appear, counts at its lowest).

The **escape time** of a run is the exit (rule of
:mod:`tnrnn.linear_rnn.plateaus`) of its last plateau above ``1.05 L_ref``
(a plateau within 5% of ``L_ref`` is where the runs end, not a stall);
``None`` with ``censored = True`` when such a plateau outlasts the run, ``0``
with ``plateau = False`` when the curve has none. Each record also says
whether the run ended within 5% of ``L_m*`` (``at_lstar``). (Version 2 of the
records measured escapes against ``1.05 L_m*`` with ``L_m*`` from warm starts
alone, which stalled: gradient descent ended below it on the delayed targets
at t0 = 2, 4 and on Lorenz-96 at t0 = 6-10.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._store import resume_result, save_result
from .bestsum import best_exponential_sum, polish_exponential_sum
from .flow import gradient_flow, random_point
from .kernels import parse_kernel
from ._escape_rate import EscapeRate, escape_rate
from .plateaus import PLATEAU_RULE, Plateau, plateau_times

__all__ = ["PLATEAU_FAMILIES", "PLATEAU_METHODS", "plateau_experiment", "family_kernel",
           "Escape", "escape_time", "EscapeRate", "escape_rate", "free_rate_bound",
           "rescore_plateaus", "plateau_config", "lower_bound_by_run", "LSTAR_SEARCH", "ESCAPE_RULE"]

LSTAR_SEARCH = ("best_exponential_sum(starts=4) up to m; for m <= 4 also "
                "scan=16 random starts over rates 1e-3..1e2 (seed 0); then "
                "polish_exponential_sum from the final rates of every run that did not diverge")
ESCAPE_RULE = ("exit of the last plateau above 1.05 L_ref (L_ref: the lowest loss the runs "
               "reached at that target and m; L_m*: the free-rate bound, LSTAR_SEARCH)")

PLATEAU_FAMILIES = {"expsum": (2.0, 4.0, 8.0, 16.0), "airy": (0.0, 2.0, 4.0, 6.0),
                    "delayed": (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0)}

PLATEAU_METHODS = {
    "gd-log": {"method": "gd", "param": "log", "lr": 0.1, "max_steps": 1_000_000},
    "adam-log": {"method": "adam", "param": "log", "lr": 0.01, "max_steps": 1_000_000},
    "gd-log-short": {"method": "gd", "param": "log", "lr": 0.1, "max_steps": 200_000},
    "adam-log-short": {"method": "adam", "param": "log", "lr": 0.01, "max_steps": 200_000},
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
        The reference level (``L_ref`` in the experiment, module docstring);
        plateaus at or below ``1.05 lstar`` are where the run ends, not stalls.
    scale : float
        The loss scale (``||rho||_2^2``); levels within ``1e-9 scale`` above
        ``1.05 lstar`` count as converged.
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
                       quick: bool = False, progress=None, select=None) -> dict:
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
    select : sequence of (str, float, str, int), optional
        Run only these ``(family, value, method, m)`` now, in this order (the
        file and its config stay those of the whole plan; a later call runs
        the rest). Default: the whole plan in order.

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
    for fam in fams:
        if fam not in PLATEAU_FAMILIES and fam != "lorenz96":
            family_kernel(fam, 0.0)       # raises the SpecError naming the families
    data = resume_result(path, "memory-plateau", plateau_config(fams, plan, seeds, quick))
    order = _plan_order(fams, plan, select)
    total = sum(len(v) for v in fams.values()) * len(plan) * len(seeds)
    count = len(data["records"])
    for fam, v, meth, m in order:
        k = family_kernel(fam, v)
        if str(m) not in data.setdefault("lstar", {}).get(k.spec, {}):
            free_rate_bound(data, k, m)
            save_result(path, data)
        for seed in seeds:
            if any((r["family"], r["value"], r["method"], r["m"], r["seed"])
                   == (fam, v, meth, m, seed) for r in data["records"]):
                continue
            rec = _one_run(k, fam, v, meth, m, seed, data["lstar"][k.spec][str(m)])
            data["records"].append(rec)
            if not rec["diverged"]:
                lower_bound_by_run(data, k, m, rec)
            rescore_plateaus(data)
            save_result(path, data)
            count += 1
            if progress is not None:
                progress(count, total, f"{k.spec} {meth} m={m} seed {seed}: escape "
                         f"{rec['escape']} diverged {rec['diverged']}")
    return data


def plateau_config(fams, plan, seeds, quick=False) -> dict:
    """The config a plateau result file records (and is resumed against).

    Parameters
    ----------
    fams : dict
        Family name to memory values.
    plan : sequence of (str, int)
        ``(method, m)`` pairs.
    seeds : sequence of int
        Seeds of the random starts.
    quick : bool
        The smoke-test flag.

    Returns
    -------
    dict

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import plateau_config
    >>> c = plateau_config({"delayed": (4.0,)}, (("gd-log", 3),), (0,))
    >>> c["families"], c["methods"]["gd-log"]["lr"], c["lstar"][:20]
    ({'delayed': [4.0]}, 0.1, 'best_exponential_sum')
    """
    cfg = {"families": {k: list(v) for k, v in fams.items()},
           "plan": [list(p) for p in plan], "seeds": list(seeds),
           "methods": {k: PLATEAU_METHODS[k] for k in {p[0] for p in plan}},
           "start": "random_point(m, seed): a = 0.1 N(0,1), w = exp(0.5 N(0,1))",
           "rule": PLATEAU_RULE, "quick": quick, "escape": ESCAPE_RULE,
           "lstar": LSTAR_SEARCH}
    if "lorenz96" in fams:
        from .lorenz96 import LORENZ96

        cfg["lorenz96"] = dict(LORENZ96)
    return cfg


def _plan_order(fams, plan, select):
    full = [(f, float(v), meth, m) for f, vals in fams.items() for v in vals for meth, m in plan]
    if select is None:
        return full
    from ..errors import SpecError

    keys = set(full)
    out = []
    for item in select:
        try:
            f, v, meth, m = item
            key = (f, float(v), meth, int(m))
        except (TypeError, ValueError):
            raise SpecError(f"select: each entry is (family, value, method, m); got "
                            f"{item!r:.60}") from None
        if key not in keys:
            raise SpecError(f"select: {key!r} is not in the plan")
        out.append(key)
    return out


def _one_run(k, fam, v, meth, m, seed, lstar):
    cfg_m = PLATEAU_METHODS[meth]
    a0, w0 = random_point(m, seed)
    ts = time.perf_counter()
    rho2 = k.l2_sq()
    if cfg_m["method"] == "ode":
        r = gradient_flow(k, a0, w0, method="ode", lr=cfg_m["lr"], steps=cfg_m["max_steps"],
                          param=cfg_m["param"], chunk=cfg_m["solver_steps"], per_decade=60,
                          max_steps=cfg_m["max_steps"])
        times = r.times / cfg_m["lr"]
        stop = None
    else:
        stop = lstar + 0.01 * (rho2 - lstar)
        r = gradient_flow(k, a0, w0, method=cfg_m["method"], lr=cfg_m["lr"],
                          steps=cfg_m["max_steps"], param=cfg_m["param"], chunk=50_000,
                          stop_below=stop, per_decade=60, max_steps=cfg_m["max_steps"])
        times = r.times
    rec = {"family": fam, "value": v, "kernel": k.spec, "method": meth, "m": m, "seed": seed,
           "diverged": r.diverged, "ran_to": float(times[-1]), "final_loss": float(r.loss[-1]),
           "initial_loss": float(r.loss[0]), "lstar": lstar, "rho_l2_sq": rho2,
           "stop_below": stop, "final_rates": r.w.tolist(), "final_coefs": r.a.tolist(),
           "info": r.info, "seconds": time.perf_counter() - ts}
    if r.diverged:
        rec.update({"plateaus": [], "escape": None, "plateau": None, "censored": None})
    else:
        rec["plateaus"] = [p.to_dict() for p in plateau_times(times, r.loss, **PLATEAU_RULE)]
    sel = np.unique(np.geomspace(1, len(times), min(400, len(times))).astype(int) - 1)
    rec["curve"] = {"t": times[sel].tolist(), "loss": r.loss[sel].tolist()}
    return rec


def free_rate_bound(data: dict, kernel, m: int) -> float:
    """Compute ``L_m*`` of ``kernel`` into ``data["lstar"]`` and its rates and coefficients
    into ``data["lstar_fit"]`` (search :data:`LSTAR_SEARCH`, before the runs' rates).

    Parameters
    ----------
    data : dict
        A plateau result (``lstar`` and ``lstar_fit`` are added or extended).
    kernel : Kernel
        The target.
    m : int
        The width.

    Returns
    -------
    float
        ``L_m*``.

    Examples
    --------
    >>> from tnrnn.linear_rnn import white_noise_loss
    >>> from tnrnn.linear_rnn.plateau_runs import family_kernel, free_rate_bound
    >>> k = family_kernel("expsum", 2.0)            # two exponentials: exact at m = 2
    >>> data = {}
    >>> free_rate_bound(data, k, 2) < 1e-20
    True
    >>> fit = data["lstar_fit"][k.spec]["2"]
    >>> bool(abs(white_noise_loss(k, fit["coefs"], fit["rates"])) < 1e-12)
    True
    """
    chain = best_exponential_sum(kernel, m, l1=False, starts=4)
    cands = [(chain.l2_sq_error[m - 1], chain.rates[m - 1], chain.coefs[m - 1], "warm starts")]
    if m <= 4:
        sc = best_exponential_sum(kernel, m, l1=False, starts=4, scan=16)
        cands.append((sc.l2_sq_error[m - 1], sc.rates[m - 1], sc.coefs[m - 1], "scan"))
    val, rates, coefs, how = min(cands, key=lambda c: c[0])
    data.setdefault("lstar", {}).setdefault(kernel.spec, {})[str(m)] = float(val)
    data.setdefault("lstar_fit", {}).setdefault(kernel.spec, {})[str(m)] = {
        "value": float(val), "rates": list(rates), "coefs": list(coefs), "from": how}
    return float(val)


def lower_bound_by_run(data: dict, k, m: int, rec: dict) -> None:
    """Polish from a run's final rates (:func:`polish_exponential_sum`) and lower ``L_m*``
    in ``data`` if that is better; the record gets ``polished_loss``.

    Parameters
    ----------
    data : dict
        A plateau result with ``lstar`` and ``lstar_fit`` for ``k`` at ``m``.
    k : Kernel
        The run's target.
    m : int
        Its width.
    rec : dict
        The run's record (``final_rates``, ``method``, ``seed``).

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import family_kernel, lower_bound_by_run
    >>> k = family_kernel("expsum", 2.0)
    >>> data = {"lstar": {k.spec: {"2": 1.0}}, "lstar_fit": {k.spec: {}}}
    >>> rec = {"final_rates": [0.4, 1.2], "method": "gd-log", "seed": 0}
    >>> lower_bound_by_run(data, k, 2, rec)
    >>> data["lstar"][k.spec]["2"] < 1e-20, data["lstar_fit"][k.spec]["2"]["from"]
    (True, 'polished from gd-log seed 0')
    """
    w = np.asarray(rec["final_rates"], float)
    if w.size != m or np.any(~np.isfinite(w)) or np.any(w <= 0) or np.unique(w).size < m:
        return
    p = polish_exponential_sum(k, w)
    rec["polished_loss"] = float(p.l2_sq_error)
    key = str(m)
    if p.l2_sq_error < data["lstar"][k.spec][key]:
        data["lstar"][k.spec][key] = float(p.l2_sq_error)
        data["lstar_fit"][k.spec][key] = {
            "value": float(p.l2_sq_error), "rates": p.rates.tolist(), "coefs": p.coefs.tolist(),
            "from": f"polished from {rec['method']} seed {rec['seed']}"}


def rescore_plateaus(data: dict) -> dict:
    """Set every record's ``lstar``, ``reference`` (``L_ref``), ``at_lstar`` and escape time
    from its stored plateaus (module docstring); diverged runs keep no escape.

    Parameters
    ----------
    data : dict
        A plateau result with ``records`` and ``lstar``.

    Returns
    -------
    dict
        ``data``, changed in place.

    Examples
    --------
    >>> from tnrnn.linear_rnn.plateau_runs import rescore_plateaus
    >>> pl = [{"start": 1.0, "level": 1.0, "end_flat": 50.0, "exit": 60.0, "next_level": 0.4},
    ...       {"start": 80.0, "level": 0.4, "end_flat": 1e3, "exit": None, "next_level": None}]
    >>> recs = [{"kernel": "k", "m": 3, "diverged": False, "final_loss": f, "rho_l2_sq": 1.0,
    ...          "ran_to": 1e3, "plateaus": pl[:n]} for f, n in ((0.4, 2), (0.2, 1))]
    >>> out = rescore_plateaus({"records": recs, "lstar": {"k": {"3": 0.1}}})["records"]
    >>> [(r["reference"], r["escape"], r["censored"], r["at_lstar"]) for r in out]
    [(0.2, None, True, False), (0.2, 60.0, False, False)]
    """
    ref = {}
    for r in data["records"]:
        if not r["diverged"]:
            key = (r["kernel"], r["m"])
            low = min([r["final_loss"], *r.get("curve", {}).get("loss", [])])
            ref[key] = min(ref.get(key, np.inf), low)
    for r in data["records"]:
        lstar = data["lstar"][r["kernel"]][str(r["m"])]
        r["lstar"] = lstar
        if r["diverged"]:
            r.update({"reference": None, "at_lstar": None})
            continue
        level = ref[(r["kernel"], r["m"])]
        pls = [Plateau(**p) for p in r["plateaus"]]
        r.update(escape_time(pls, level, r["rho_l2_sq"], r["ran_to"]).to_dict())
        r["reference"] = level
        r["at_lstar"] = bool(r["final_loss"] <= 1.05 * lstar + 1e-9 * r["rho_l2_sq"])
    return data
