"""Names shared by the modules of :mod:`tnrnn.benchmark`: the engines, the
modes and their settings, and accessors of a measured point."""

from __future__ import annotations

import dataclasses

from ..errors import SpecError

ENGINES = {
    "tnrnn": "tnrnn default, jitted JAX along the cached plan, prepared once "
             "(tnrnn.contract.prepare: parameters checked and weights filled once): "
             "contract_network's route (path 'auto') for outputs, contract_grid's "
             "(open-leg view, path 'auto' or 'refine') for the grid",
    "tnrnn-numpy": "the same prepared plans, eager numpy, opt_einsum per step",
    "tnrnn-batch": "grid only: the output workload's route (prepared, jitted) "
                   "over the batch of all M^T one-hot sequences",
    "tensornetwork-jax": "tensornetwork 0.4.6, jax backend, jit+vmap over the "
                         "batch, explicit copy tensors",
    "cotengra": "cotengra HyperOptimizer path (seeded, greedy trials) + "
                "ContractionTree.contract on numpy",
    "quimb": "quimb TensorNetwork.contract with the same cotengra tree",
    "recurrence-jax": "evaluate_jax: jit + lax.scan, no network built",
    "recurrence-numpy": "tnrnn.circuit.evaluate: numpy loop, no network built "
                        "(the reference)",
}
_RECURRENCES = ("recurrence-jax", "recurrence-numpy")
#: What ``gflops`` and ``fraction_of_peak`` mean (also in the JSON).
RATE_NOTE = ("gflops = the exact FLOPs of the engine's path / median seconds; "
             "fraction_of_peak = gflops / matmul.peak_gflops. Values above 1 "
             "(jitted JAX on deep networks) mean the compiled program does fewer "
             "operations than the path: XLA's common-subexpression elimination "
             "merges duplicated unit copies, which compute equal values.")
MODES = ("smoke", "quick", "full")


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures and its limits.

    ``output`` and ``grid`` hold ``(depth, hidden R, input_dim M, batch N or
    None, lengths)`` sweeps (``None``: ``N = M^T``, all one-hot sequences).
    ``budget_s`` caps the predicted seconds of one engine at one point (first
    call plus repeats, extrapolated from the previous points of the sweep);
    ``max_tensors`` and ``max_bytes`` refuse points before they are built.

    Parameters
    ----------
    mode : str
        The name the files carry (``"smoke"``, ``"quick"``, ``"full"``).
    output : tuple
        Sweeps of the one-output workload.
    grid : tuple
        Sweeps of the one-hot grid workload.
    engines : tuple of str
        Engines measured (keys of :data:`ENGINES`).
    repeat : int
        Timed calls after the first, per engine and point (the median is kept).
    budget_s : float
        Predicted seconds above which an engine is not run at a point.
    cotengra_repeats : int
        Greedy trials of cotengra's path search.
    cotengra_budget_s : float
        Predicted seconds above which cotengra's path search is not run.
    max_tensors : int
        Largest network built.
    max_bytes : int
        Largest batch of inputs.
    matmul_sizes : tuple of int
        Sizes of the reference matrix products.
    matmul_repeat : int
        Timed calls of each reference product.

    Examples
    --------
    >>> import dataclasses
    >>> s = dataclasses.replace(settings_for("smoke"), budget_s=1.0)
    >>> s.mode, s.budget_s, s.repeat
    ('smoke', 1.0, 2)
    """

    mode: str
    output: tuple
    grid: tuple
    engines: tuple
    repeat: int
    budget_s: float
    cotengra_repeats: int
    cotengra_budget_s: float
    max_tensors: int
    max_bytes: int
    matmul_sizes: tuple
    matmul_repeat: int


def settings_for(mode: str) -> Settings:
    """The settings of ``"smoke"`` (< 20 s), ``"quick"`` (< 3 min on 2
    cores) or ``"full"``.

    Parameters
    ----------
    mode : {"smoke", "quick", "full"}

    Returns
    -------
    Settings

    Examples
    --------
    >>> [settings_for(m).repeat for m in MODES]
    [2, 3, 7]
    >>> settings_for("huge")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: mode must be one of ('smoke', 'quick', 'full'); got 'huge'
    """
    base = ("tnrnn", "tnrnn-numpy", "tnrnn-batch", "tensornetwork-jax",
            "cotengra", "quimb", "recurrence-jax", "recurrence-numpy")
    if mode == "smoke":
        return Settings(mode, output=((1, 3, 2, 8, (4,)), (2, 2, 2, 8, (3,))),
                        grid=((2, 2, 2, None, (4,)),),
                        engines=tuple(e for e in base if e != "quimb"), repeat=2,
                        budget_s=5.0, cotengra_repeats=2, cotengra_budget_s=3.0,
                        max_tensors=2_000, max_bytes=2**28, matmul_sizes=(128,),
                        matmul_repeat=2)
    if mode == "quick":
        return Settings(mode,
                        output=((1, 8, 8, 256, (8, 32, 128, 512)),
                                (2, 8, 8, 256, (4, 8, 16, 32)),
                                (3, 8, 8, 256, (4, 8, 16, 24))),
                        grid=((1, 4, 2, None, (12,)), (2, 4, 2, None, (10,)),
                              (3, 3, 2, None, (8,))),
                        engines=tuple(e for e in base if e != "quimb"), repeat=3,
                        budget_s=6.0, cotengra_repeats=4, cotengra_budget_s=8.0,
                        max_tensors=5_000, max_bytes=2**30,
                        matmul_sizes=(512, 1024), matmul_repeat=3)
    if mode == "full":
        return Settings(mode,
                        output=((1, 8, 8, 256, (8, 16, 32, 64, 128, 256, 512, 1024,
                                                2048, 4096)),
                                (2, 8, 8, 256, (4, 8, 16, 32, 48, 64, 96, 128, 192,
                                                256)),
                                (3, 8, 8, 256, (4, 8, 12, 16, 20, 24, 32, 40, 48,
                                                64))),
                        grid=((1, 4, 2, None, (8, 12, 16, 20, 32)),
                              (2, 4, 2, None, (8, 12, 16, 32)),
                              (3, 3, 2, None, (8, 12, 16, 32))),
                        engines=base, repeat=7, budget_s=60.0, cotengra_repeats=32,
                        cotengra_budget_s=90.0, max_tensors=60_000,
                        max_bytes=2**32, matmul_sizes=(256, 512, 1024, 2048),
                        matmul_repeat=5)
    raise SpecError(f"mode must be one of {MODES}; got {mode!r}")


def _flops_of(row, engine):
    rec = row["engines"].get(engine, {})
    return rec.get("flops") if rec.get("status") in ("ok", "mismatch") else None


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


_CONTRACTION_PEERS = ("tnrnn-numpy", "tensornetwork-jax", "cotengra", "quimb")


def _steady(row, engine):
    rec = row["engines"].get(engine, {})
    return rec.get("median_s") if rec.get("status") == "ok" else None
