"""Dynamics of recurrent networks: Lyapunov spectra, fixed points, orbit
diagrams, Lipschitz regions, loss landscapes.

Every analysis takes a JAX-traceable map, ``f(x)`` or ``f(x, u)``, so the
same routine serves tnrnn's cells (:func:`cell_map`), the presets (the
chaotic 2-unit LSTM of Ribeiro et al., the scalar tanh map, the logistic map)
and any dynamical system a user brings. Computations run in float64 inside
``jax.enable_x64`` contexts; no global JAX setting is changed.

Each analysis compiles once per map, shapes and static options and reuses
the program on later calls (kept in a cache keyed weakly by the map, so it
goes with the map); results are frozen dataclasses with ``to_dict()``.

This package needs jax (the ``train`` extra); ``import tnrnn`` does not load it.

Contents
--------
* :func:`simulate`, :func:`sensitivity` -- trajectories; ``||dx_n/dx_0||``.
* :func:`lyapunov_spectrum` -- QR (Benettin) method, autodiff Jacobians,
  batch-means error.
* :func:`fixed_points` -- minimise ``||f(x) - x||^2/2`` (optimistix
  Levenberg-Marquardt, then Newton), de-duplicate, stability, convergence per
  start.
* :func:`orbit_diagram`, :func:`stack_params` -- steady states along a
  parameter path or across checkpoints.
* :func:`lipschitz_bound`, :func:`jacobian_norms`, :func:`region`,
  :func:`cell_map` -- Lipschitz constants and the three regions.
* :func:`region_map` -- exponent, Jacobian norm, bound, sharpness on a grid.
* :func:`loss_slice`, :func:`loss_slice_2d`, :func:`sharpness` -- loss
  landscapes.
* :func:`classify_exponents`, :func:`region_counts` -- ``lambda_max`` called
  against its standard error, counted against sharpness.
* :func:`lm_init`, :func:`train_lm`, :func:`embedding_map`,
  :func:`lm_orbit_diagram` -- the word-level language model's pieces.
* :mod:`~tnrnn.dynamics.paper_setups`, :mod:`~tnrnn.dynamics.paper_runs` --
  the smoothness paper's own setups (LSTM, stabilised LSTM, expRNN) and
  their resumable runs.
* :func:`stabilize_lstm`, :func:`get_preset` (:data:`PRESETS`),
  :func:`chaotic_lstm`, :func:`tanh_map`, :func:`logistic_map`,
  :func:`lstm_map`, :func:`elman_map`.

Examples
--------
>>> import numpy as np
>>> from tnrnn.dynamics import lyapunov_spectrum, logistic_map
>>> p = logistic_map(4.0)
>>> res = lyapunov_spectrum(p.f, p.x0, steps=20000, burn=100)
>>> bool(abs(res.max - np.log(2)) < 2e-3)
True
"""

from .fixed_points import FixedPoints, fixed_points
from .landscape import loss_slice, loss_slice_2d, sharpness
from .lipschitz import (BOUNDS, REGIONS, LipschitzBound, cell_map, jacobian_norms,
                        lipschitz_bound, region)
from .lyapunov import LyapunovResult, lyapunov_spectrum
from .orbit import orbit_diagram, stack_params
from .presets import (MILLER_HARDT, PRESETS, Preset, chaotic_lstm, elman_map, get_preset,
                      logistic_map, lstm_map, stabilize_lstm, tanh_map)
from .language import LMTraining, embedding_map, lm_init, lm_orbit_diagram, train_lm
from .region_map import RegionMap, region_map, region_map_work
from .region_stats import ClassCount, RegionCounts, classify_exponents, region_counts
from .simulate import sensitivity, simulate

__all__ = [
    "simulate", "sensitivity",
    "LyapunovResult", "lyapunov_spectrum",
    "FixedPoints", "fixed_points",
    "orbit_diagram", "stack_params",
    "LipschitzBound", "lipschitz_bound", "jacobian_norms", "region", "REGIONS", "BOUNDS",
    "cell_map",
    "RegionMap", "region_map", "region_map_work", "classify_exponents", "region_counts",
    "RegionCounts", "ClassCount",
    "lm_init", "train_lm", "LMTraining", "embedding_map", "lm_orbit_diagram",
    "loss_slice", "loss_slice_2d", "sharpness",
    "Preset", "PRESETS", "get_preset", "chaotic_lstm", "tanh_map", "logistic_map",
    "lstm_map", "elman_map", "stabilize_lstm", "MILLER_HARDT",
]
