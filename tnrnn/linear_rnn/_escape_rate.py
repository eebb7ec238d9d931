"""The growth rate of plateau escape times with memory (:func:`escape_rate`), with a
bootstrap interval; re-exported by :mod:`tnrnn.linear_rnn.plateau_runs`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EscapeRate", "escape_rate"]


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
