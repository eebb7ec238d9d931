"""Region-map statistics: classes of ``lambda_max`` called against its
standard error, counted against the loss sharpness.

A grid point is *chaotic* when ``lambda_max > z * stderr``, *contracting*
when ``lambda_max < -z * stderr``, and *boundary* otherwise (the exponent
cannot be told from 0 at ``z`` standard errors by batch means over the
steps run). :func:`region_counts` counts the points of each class whose
``|sharpness|`` exceeds a threshold: the numbers a claim such as "the
sharpness explodes only where lambda_max > 0" has to be read against.
"""

from __future__ import annotations

import time

import numpy as np

from ._core import _real_array, check_float
from ._records import ClassCount, RegionCounts, RegionStatsExperiment
from ..errors import SpecError

__all__ = ["CLASSES", "classify_exponents", "region_counts", "RegionCounts", "ClassCount",
           "region_stats_experiment", "RegionStatsExperiment"]

#: Classes of :func:`classify_exponents`, in order.
CLASSES = ("contracting", "boundary", "chaotic")


def classify_exponents(lam, stderr, *, z: float = 2.0) -> np.ndarray:
    """``'contracting'`` (``lam < -z err``), ``'chaotic'`` (``lam > z err``),
    ``'boundary'`` (otherwise) and ``'undefined'`` (NaN exponent or error).

    Parameters
    ----------
    lam : array_like
        Largest Lyapunov exponents.
    stderr : array_like
        Their standard errors (>= 0), same shape.
    z : float
        How many standard errors away from 0 an exponent must be.

    Returns
    -------
    numpy.ndarray
        Labels, the shape of ``lam``.

    Examples
    --------
    >>> classify_exponents([-0.1, 1e-4, 0.05, -1e-4], [0.01, 1e-4, 0.01, 1e-5]).tolist()
    ['contracting', 'boundary', 'chaotic', 'contracting']
    """
    z = check_float("z", z, minimum=0.0)
    lam = _real_array(lam, "lam", "Lyapunov exponents")
    err = _real_array(stderr, "stderr", "their standard errors")
    if lam.shape != err.shape:
        raise SpecError(f"lam and stderr must have one shape; got {lam.shape} and {err.shape}")
    if np.any(err < 0):
        raise SpecError("stderr must be >= 0")
    with np.errstate(invalid="ignore"):
        out = np.where(lam > z * err, CLASSES[2],
                       np.where(lam < -z * err, CLASSES[0], CLASSES[1])).astype("<U11")
    out[np.isnan(lam) | np.isnan(err)] = "undefined"
    return out


def region_counts(lam, stderr, sharp, *, z: float = 2.0,
                  threshold: float = 1e3) -> RegionCounts:
    """Per class: the number of points, how many have ``|sharpness| > threshold``,
    and the median ``|sharpness|``.

    Parameters
    ----------
    lam, stderr : array_like
        Largest Lyapunov exponents and their standard errors (one shape).
    sharp : array_like
        The loss sharpness at the same points.
    z : float
        Standard errors for :func:`classify_exponents`.
    threshold : float
        What counts as sharp (> 0).

    Returns
    -------
    RegionCounts
        A :class:`ClassCount` (``points``, ``sharp``, ``median_abs_sharpness``)
        for ``contracting``, ``boundary``, ``chaotic`` (and ``undefined``
        when some point is, else ``None``).

    Examples
    --------
    >>> c = region_counts([-0.1, 0.2, 0.0], [0.01, 0.01, 0.01], [5.0, 2e3, 1e4])
    >>> c.chaotic, c.boundary.sharp, c.undefined
    (ClassCount(points=1, sharp=1, median_abs_sharpness=2000.0), 1, None)
    """
    threshold = check_float("threshold", threshold, positive=True)
    cls = classify_exponents(lam, stderr, z=z).ravel()
    s = np.abs(_real_array(sharp, "sharp", "sharpness values")).ravel()
    if s.shape != cls.shape:
        raise SpecError(f"sharp must have the shape of lam; got {s.size} values for {cls.size}")
    out = {}
    for c in CLASSES + ("undefined",):
        m = cls == c
        if c == "undefined" and not m.any():
            continue
        out[c] = ClassCount(points=int(m.sum()), sharp=int(np.sum(s[m] > threshold)),
                            median_abs_sharpness=float(np.median(s[m])) if m.any() else None)
    return RegionCounts(**out)


def region_stats_experiment(regions: dict, *, blocks: int = 20, zs=(1.0, 2.0),
                            thresholds=(1e3,), progress=None) -> RegionStatsExperiment:
    """Recompute ``lambda_max`` with its standard error on the loss grid of a
    committed region-map experiment (``figures/dynamics_regions.json``: the
    same tanh RNN, seed, inputs, steps and burn-in) and count the classes
    against its committed sharpness.

    The exponent is recomputed (tangent vector started at ``e_1``, as
    :func:`~tnrnn.dynamics.lyapunov_spectrum` starts it, against the
    committed map's ``1/sqrt(d)``); the largest difference from the
    committed values is reported as ``max_abs_diff_from_committed``.

    Parameters
    ----------
    regions : dict
        The committed region-map experiment (``hidden``, ``seed``,
        ``steps``, ``burn``, ``model`` and its ``loss`` grid with
        ``gain``, ``input_scale``, ``sharpness``, ``lyapunov_max``).
    blocks : int
        Blocks for the batch-means standard error.
    zs : sequence of float
        Thresholds in standard errors.
    thresholds : sequence of float
        What counts as sharp.
    progress : callable, optional
        ``progress(done, total)`` after each chunk of the map.

    Returns
    -------
    RegionStatsExperiment
        The recomputed exponents and errors, the classes and counts
        (:class:`RegionCounts`) per ``z`` and threshold, the committed sign
        counts; ``to_dict()`` is JSON-able.

    Examples
    --------
    >>> regions = {"hidden": 2, "seed": 0, "steps": 40, "burn": 0, "model": "tiny",
    ...            "loss": {"gain": [0.5], "input_scale": [0.0], "sharpness": [[1.0]],
    ...                     "lyapunov_max": [[-0.7]]}}
    >>> out = region_stats_experiment(regions, blocks=4)
    >>> out.classes["z=2"], out.counts["z=2"]["|sharpness|>1000"].contracting.points
    ([['contracting']], 1)
    """
    from .experiments import tanh_region_map

    t0 = time.perf_counter()
    L = regions["loss"]
    rm = tanh_region_map(hidden=regions["hidden"], gains=L["gain"], scales=L["input_scale"],
                         steps=regions["steps"], burn=regions["burn"], seed=regions["seed"],
                         blocks=blocks, progress=progress)
    lam, err = rm.lyapunov, rm.lyapunov_stderr
    sharp = np.asarray(L["sharpness"], dtype=np.float64)
    old = np.asarray(L["lyapunov_max"], dtype=np.float64)
    s = np.abs(sharp)
    counts = {f"z={z:g}": {f"|sharpness|>{t:g}": region_counts(lam, err, sharp, z=z, threshold=t)
                           for t in thresholds} for z in zs}
    naive = {"lambda_max<=0": int(np.sum(old <= 0)),
             "lambda_max<=0 and |sharpness|>1e3": int(np.sum((old <= 0) & (s > 1e3))),
             "lambda_max>0": int(np.sum(old > 0)),
             "lambda_max>0 and |sharpness|>1e3": int(np.sum((old > 0) & (s > 1e3))),
             "0<lambda_max<=3e-4": int(np.sum((old > 0) & (old <= 3e-4))),
             "max |sharpness| where lambda_max<=0": float(np.max(s[old <= 0]))}
    return RegionStatsExperiment(
        experiment="region-map statistics",
        source="figures/dynamics_regions.json (its 'loss' grid)",
        model=regions["model"], hidden=regions["hidden"], seed=regions["seed"],
        steps=regions["steps"], burn=regions["burn"], blocks=blocks,
        gain=L["gain"], input_scale=L["input_scale"],
        lyapunov_max=lam.tolist(), lyapunov_stderr=err.tolist(),
        sharpness=sharp.tolist(),
        max_abs_diff_from_committed=float(np.nanmax(np.abs(lam - old))),
        classes={f"z={z:g}": classify_exponents(lam, err, z=z).tolist() for z in zs},
        counts=counts, committed_sign_counts=naive,
        seconds=time.perf_counter() - t0)
