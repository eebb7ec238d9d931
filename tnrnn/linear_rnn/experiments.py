"""The memory experiments as data (JSON, resumable); figures are drawn by
:mod:`tnrnn.render.memory_figures` from these files.

- ``approx``: error against width for ten kernels: sinc grids (exact), free
  rates (upper bounds), L2, the L1 error of the L2-best coefficients (an upper
  bound) and the LP bracket of the best L1 error at the free rates.
- ``rates``: the approximation-rate scan over smoothness alpha, decay beta and
  width m (:func:`tnrnn.linear_rnn.smooth`), fitted exponents.
- ``width``: width needed against epsilon for polynomial memory, three omegas.
- ``plateau``: gradient flows from random asymmetric starts on the paper's
  targets (:mod:`tnrnn.linear_rnn.plateau_runs`).
- ``train``: trained linear and tanh RNNs with their floors
  (:mod:`tnrnn.linear_rnn.training`).

Every file carries its kind, version, config, the command that made it and
the machine (:mod:`tnrnn.linear_rnn._store`); a run appends records as they
finish, skips records already there, and refuses a file of another kind or
config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._store import resume_result, save_result
from .approx import cond_digits, l1_error, project, rate_grid
from .bestsum import best_exponential_sum
from .kernels import parse_kernel
from .l1lp import l1_bracket, l1_bracket_uniform

__all__ = ["APPROX_KERNELS", "approximation_experiment", "rates_experiment",
           "width_experiment", "ExponentFit", "fit_exponent", "EXPERIMENT_KINDS"]

APPROX_KERNELS = ["exponential:1", "exponential:0.1", "polynomial:0.1", "polynomial:0.2",
                  "polynomial:0.5", "polynomial:1", "polynomial:2", "delayed:1", "delayed:4",
                  "airy:6"]

EXPERIMENT_KINDS = {"approx": "memory-approx", "rates": "memory-rates", "width": "memory-width",
                    "plateau": "memory-plateau", "plateau-delayed": "memory-plateau",
                    "train": "memory-train"}


@dataclass(frozen=True)
class ExponentFit:
    """A fitted decay exponent ``p`` of ``err ~ C m^{-p}`` (see :func:`fit_exponent`).

    Parameters
    ----------
    exponent : float
        The least-squares slope ``p``.
    half_width : float
        Half-width of its 95% confidence interval (Student t quantile).
    points : int
        How many ``(m, err)`` pairs entered the fit.

    Examples
    --------
    >>> from tnrnn.linear_rnn.experiments import ExponentFit
    >>> f = ExponentFit(2.0, 0.1, 5)
    >>> f.to_dict(), f.to_pair()
    ({'exponent': 2.0, 'half_width': 0.1, 'points': 5}, [2.0, 0.1])
    """

    exponent: float
    half_width: float
    points: int

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return {"exponent": self.exponent, "half_width": self.half_width, "points": self.points}

    def to_pair(self) -> list:
        """``[exponent, half_width]``: how the ``rates`` experiment's files store a fit."""
        return [self.exponent, self.half_width]


def fit_exponent(m, err, m_min: int = 6) -> ExponentFit | None:
    """Least-squares slope ``p`` of ``ln err = c - p ln m`` over ``m >= m_min``.

    Parameters
    ----------
    m : sequence of int
        Widths.
    err : sequence of float or None
        Errors at those widths; ``None``, non-finite and non-positive errors
        are left out.
    m_min : int
        Smallest width that enters the fit.

    Returns
    -------
    ExponentFit or None
        The slope with the half-width of its 95% interval (t quantile); None if
        fewer than 3 points qualify.

    Examples
    --------
    >>> from tnrnn.linear_rnn.experiments import fit_exponent
    >>> f = fit_exponent([6, 8, 10, 12], [6.0 ** -3, 8.0 ** -3, 10.0 ** -3, 12.0 ** -3])
    >>> round(f.exponent, 12), round(f.half_width, 12), f.points
    (3.0, 0.0, 4)
    >>> fit_exponent([1, 2, 8], [1.0, 0.5, 0.1]) is None   # only one m >= 6
    True
    """
    from scipy.stats import t as student

    m = np.asarray(m, float)
    e = np.asarray([np.nan if v is None else v for v in err], float)
    ok = (m >= m_min) & np.isfinite(e) & (e > 0)
    if ok.sum() < 3:
        return None
    x, y = np.log(m[ok]), np.log(e[ok])
    A = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    n = len(x)
    resid = y - A @ coef
    s2 = float(resid @ resid) / max(n - 2, 1)
    se = np.sqrt(s2 / float(np.sum((x - x.mean()) ** 2)))
    return ExponentFit(float(-coef[0]), float(student.ppf(0.975, max(n - 2, 1)) * se), int(n))


def _fit_pair(m, err):
    fit = fit_exponent(m, err)
    return None if fit is None else fit.to_pair()


def _progress(progress, i, n, label):
    if progress is not None:
        progress(i, n, label)


# ------------------------------------------------------------- approx
def approximation_experiment(path, kernels=None, *, max_m: int = 64, free_m: int = 12,
                             l1_every: int = 1, progress=None) -> dict:
    """Error against width for each kernel (one record per kernel).

    Fixed rates: the sinc grid of :func:`tnrnn.linear_rnn.rate_grid`, exact
    projection, the L1 error of the L2-best coefficients (an upper bound on
    the best L1 error). Free rates: :func:`tnrnn.linear_rnn.best_exponential_sum`
    and the LP bracket of the best L1 error at those rates.

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file (resumed if it exists with the same config).
    kernels : sequence of str, optional
        Kernel specs (default :data:`APPROX_KERNELS`).
    max_m : int
        Largest width on the fixed grid.
    free_m : int
        Largest width with free rates.
    l1_every : int
        Compute the fixed-grid L1 error at every ``l1_every``-th width.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each record.

    Returns
    -------
    dict
        The result file's content (kind, version, config, command, machine,
        ``records``), as saved to ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.experiments import approximation_experiment
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "approx.json"
    >>> d = approximation_experiment(out, ["exponential:1"], max_m=1, free_m=1)
    >>> r = d["records"][0]
    >>> r["rho_l1"], r["rho_l2_sq"], r["fixed"]["l2_sq_error"]   # the grid's one rate is 1
    (1.0, 0.5, [0.0])
    >>> approximation_experiment(out, ["exponential:1"], max_m=1, free_m=1) == d   # resumed
    True
    """
    kernels = list(kernels or APPROX_KERNELS)
    cfg = {"kernels": kernels, "max_m": max_m, "free_m": free_m, "l1_every": l1_every,
           "fixed": "sinc grid exp(pi (k-(m-1)/2)/sqrt(m)), exact projection",
           "free": "best_exponential_sum (variable projection, warm starts and rate splits)",
           "l1": "l1_error of the L2-best coefficients (upper bound); free rates also "
                 "l1_bracket (LP, HiGHS) of the best L1 error at those rates"}
    data = resume_result(path, "memory-approx", cfg)
    done = {r["kernel"] for r in data["records"]}
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
            f["log10_cond"].append(cond_digits(w))
            f["coefs_max"].append(float(np.abs(p.coefs).max()))
        rec["fixed"]["seconds"] = time.perf_counter() - t0
        if free_m:
            b = best_exponential_sum(k, free_m)
            rec["free"] = b.to_dict()
            rec["free"]["min_rate"] = [min(r) for r in b.rates]
            rec["free"]["log10_cond"] = [cond_digits(r) for r in b.rates]
            lo, hi = [], []
            for r in b.rates:
                try:
                    br = l1_bracket(k, r)
                    lo.append(br.lower)
                    hi.append(br.upper)
                except Exception as exc:  # noqa: BLE001 - recorded, never hidden
                    lo.append(None)
                    hi.append(None)
                    rec["free"].setdefault("l1_bracket_failures", []).append(str(exc))
            rec["free"]["l1_best_lower"], rec["free"]["l1_best_upper"] = lo, hi
        data["records"].append(rec)
        save_result(path, data)
        _progress(progress, i + 1, len(kernels), spec)
    return data


# ------------------------------------------------------------- rates
def rates_experiment(path, *, alphas=(1, 2, 3), betas=(0.5, 1.0, 2.0), t0: float = 1.0,
                     max_m: int = 20, free_m: int = 10, progress=None) -> dict:
    """The approximation-rate scan on ``smooth:alpha:t0:beta`` (one record per kernel).

    Fixed rates ``j beta/2`` (``j = 1..m``, the theorem's construction): exact
    L2 projection and the LP bracket of the best L1 error
    (:func:`tnrnn.linear_rnn.l1lp.l1_bracket_uniform`). Free rates up to
    ``free_m``: :func:`best_exponential_sum` (L2, upper bound) and the LP
    bracket of the best L1 error at those rates. Fitted exponents by
    :func:`fit_exponent` over ``m >= 6``.

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file (resumed if it exists with the same config).
    alphas : sequence of int
        Smoothness values.
    betas : sequence of float
        Decay rates.
    t0 : float
        Where the kernels start.
    max_m : int
        Largest width with the fixed rates.
    free_m : int
        Largest width with free rates.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each record.

    Returns
    -------
    dict
        The result file's content (kind, version, config, command, machine,
        ``records``), as saved to ``path``.

    Examples
    --------
    >>> import math, pathlib, tempfile
    >>> from tnrnn.linear_rnn.experiments import rates_experiment
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "rates.json"
    >>> r = rates_experiment(out, alphas=(1,), betas=(2.0,), max_m=1, free_m=1)["records"][0]
    >>> r["kernel"], r["rho_l1"]            # 1!/beta^2
    ('smooth:1:1:2', 0.25)
    >>> # m = 1, rate 1: rho = 0 on [0, 1], where e^{-t} has more mass (1 - 1/e) than
    >>> # beyond (1/e), so the best L1 coefficient is 0 and the best error ||rho||_1
    >>> lo, up = r["fixed"]["l1_lower"][0], r["fixed"]["l1_upper"][0]
    >>> bool(lo <= up), round(lo / r["rho_l1"], 9), round(up / r["rho_l1"], 9)
    (True, 1.0, 1.0)
    """
    cfg = {"alphas": list(alphas), "betas": list(betas), "t0": t0, "max_m": max_m,
           "free_m": free_m, "fixed_rates": "j * beta / 2, j = 1..m",
           "fit": "least squares of ln error on ln m over m >= 6, 95% t interval"}
    data = resume_result(path, "memory-rates", cfg)
    done = {(r["alpha"], r["beta"]) for r in data["records"]}
    total = len(alphas) * len(betas)
    i = 0
    for al in alphas:
        for be in betas:
            i += 1
            if (al, be) in done:
                continue
            k = parse_kernel(f"smooth:{al}:{t0:g}:{be:g}")
            lam = be / 2
            rec = {"alpha": al, "beta": be, "kernel": k.spec, "rho_l2_sq": k.l2_sq(),
                   "rho_l1": k.l1_norm(), "fixed": {"m": [], "l2_sq_error": [],
                                                     "l1_lower": [], "l1_upper": []}}
            ts = time.perf_counter()
            for m in range(1, max_m + 1):
                p = project(k, lam * np.arange(1, m + 1))
                br = l1_bracket_uniform(k, lam, m)
                f = rec["fixed"]
                f["m"].append(m)
                f["l2_sq_error"].append(p.l2_sq_error)
                f["l1_lower"].append(br.lower)
                f["l1_upper"].append(br.upper)
            b = best_exponential_sum(k, free_m, l1=False, starts=4)
            fr = {"m": list(b.m), "l2_sq_error": list(b.l2_sq_error),
                  "rates": [list(r) for r in b.rates], "l1_lower": [], "l1_upper": []}
            for r in b.rates:
                br = l1_bracket(k, r)
                fr["l1_lower"].append(br.lower)
                fr["l1_upper"].append(br.upper)
            rec["free"] = fr
            rel2 = [np.sqrt(max(e, 0) / rec["rho_l2_sq"]) for e in rec["fixed"]["l2_sq_error"]]
            rel2f = [np.sqrt(max(e, 0) / rec["rho_l2_sq"]) for e in fr["l2_sq_error"]]
            rec["fits"] = {
                "fixed_l2": _fit_pair(rec["fixed"]["m"], rel2),
                "fixed_l1_upper": _fit_pair(rec["fixed"]["m"], rec["fixed"]["l1_upper"]),
                "fixed_l1_lower": _fit_pair(rec["fixed"]["m"], rec["fixed"]["l1_lower"]),
                "free_l2": _fit_pair(fr["m"], rel2f),
                "free_l1_upper": _fit_pair(fr["m"], fr["l1_upper"]),
                "predicted": {"theorem_l1": al, "fixed_l2": al + 0.5, "fixed_l1": al + 1}}
            rec["seconds"] = time.perf_counter() - ts
            data["records"].append(rec)
            save_result(path, data)
            _progress(progress, i, total, k.spec)
    return data


# ------------------------------------------------------------- width
def width_experiment(path, *, omegas=(0.5, 1.0, 2.0), max_m: int = 14,
                     eps=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4), progress=None) -> dict:
    """Width needed for a relative error ``epsilon`` on ``(1 + t)^{-(1 + omega)}``.

    For each omega: free rates ``m = 1..max_m`` (L2, upper bound) and the LP
    bracket of the best L1 error at those rates; ``width`` = the smallest
    ``m`` whose relative error (L2; L1 upper bound; L1 lower bound) is <= eps
    (None: more than ``max_m`` needed).

    Parameters
    ----------
    path : str or pathlib.Path
        The JSON result file (resumed if it exists with the same config).
    omegas : sequence of float
        Decay exponents of the polynomial kernels.
    max_m : int
        Largest width.
    eps : sequence of float
        Target relative errors.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each record.

    Returns
    -------
    dict
        The result file's content (kind, version, config, command, machine,
        ``records``), as saved to ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tnrnn.linear_rnn.experiments import width_experiment
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "width.json"
    >>> r = width_experiment(out, omegas=(1.0,), max_m=2, eps=(0.5, 1e-9))["records"][0]
    >>> r["m"], r["width_l2"]   # one exponential is within 50 %; 1e-9 needs more than 2
    ([1, 2], [1, None])
    >>> bool(r["relative_l1_lower"][1] <= r["relative_l1_upper"][1])
    True
    """
    cfg = {"omegas": list(omegas), "max_m": max_m, "eps": list(eps),
           "law_stated": "width ~ eps^(-1/omega) (as stated in Li et al.; reconstructed)"}
    data = resume_result(path, "memory-width", cfg)
    done = {r["omega"] for r in data["records"]}
    for i, om in enumerate(omegas):
        if om in done:
            continue
        k = parse_kernel(f"polynomial:{om:g}")
        ts = time.perf_counter()
        b = best_exponential_sum(k, max_m, l1=False, starts=4)
        rel2 = [float(np.sqrt(max(e, 0) / k.l2_sq())) for e in b.l2_sq_error]
        lo, hi = [], []
        for r in b.rates:
            br = l1_bracket(k, r)
            lo.append(br.lower / br.rho_l1)
            hi.append(br.upper / br.rho_l1)

        def width(errs):
            return [next((m for m, e in zip(b.m, errs) if e <= x), None) for x in eps]

        data["records"].append({
            "omega": om, "kernel": k.spec, "m": list(b.m), "rates": [list(r) for r in b.rates],
            "relative_l2": rel2, "relative_l1_lower": lo, "relative_l1_upper": hi,
            "width_l2": width(rel2), "width_l1_upper": width(hi), "width_l1_lower": width(lo),
            "seconds": time.perf_counter() - ts})
        save_result(path, data)
        _progress(progress, i + 1, len(omegas), k.spec)
    return data


def run_experiment(name: str, out, *, quick: bool = False, progress=None) -> dict:
    """Run experiment ``name`` (a key of :data:`EXPERIMENT_KINDS`) into ``out``.

    Parameters
    ----------
    name : str
        ``approx``, ``rates``, ``width``, ``plateau``, ``plateau-delayed`` or ``train``.
    out : str or pathlib.Path
        The JSON result file.
    quick : bool
        A small configuration (smoke test).
    progress : callable, optional
        Passed on to the experiment.

    Returns
    -------
    dict
        The result file's content.

    Examples
    --------
    >>> from tnrnn.linear_rnn.experiments import run_experiment
    >>> run_experiment("nope", "x.json")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: unknown experiment 'nope'; valid: approx, rates, width, plateau, plateau-delayed, train
    """
    from ..errors import SpecError

    if name == "approx":
        kw = {"kernels": ["exponential:1", "polynomial:0.5"], "max_m": 8, "free_m": 3} \
            if quick else {}
        return approximation_experiment(out, progress=progress, **kw)
    if name == "rates":
        kw = {"alphas": (1,), "betas": (1.0,), "max_m": 8, "free_m": 4} if quick else {}
        return rates_experiment(out, progress=progress, **kw)
    if name == "width":
        kw = {"omegas": (1.0,), "max_m": 4, "eps": (1e-1, 1e-2)} if quick else {}
        return width_experiment(out, progress=progress, **kw)
    if name == "plateau":
        from .plateau_runs import plateau_experiment

        return plateau_experiment(out, progress=progress, quick=quick)
    if name == "plateau-delayed":
        from .plateau_runs import PLATEAU_FAMILIES, plateau_experiment

        return plateau_experiment(out, progress=progress, quick=quick,
                                  families={"delayed": PLATEAU_FAMILIES["delayed"]},
                                  plan=(("ode-log", 3), ("gd-log", 3)))
    if name == "train":
        from .training import training_experiment

        kw = {"kernels": ("exponential:1",), "models": ("diagonal",), "seeds": (0,),
              "steps": 200} if quick else {}
        return training_experiment(out, progress=progress, **kw)
    raise SpecError(f"unknown experiment {name!r}; valid: {', '.join(EXPERIMENT_KINDS)}")


if __name__ == "__main__":  # pragma: no cover - background runs: python -m ... NAME OUT
    import sys

    def _pr(i, n, label=""):
        print(f"[{time.strftime('%H:%M:%S')}] {i}/{n} {label}", flush=True)

    run_experiment(sys.argv[1], sys.argv[2], progress=_pr)
