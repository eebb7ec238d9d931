"""The analysis of the smoothness paper's runs: per kept checkpoint, Lyapunov
spectra under the constant inputs, the largest ``||Df||`` along the orbit, the
analytic Lipschitz bound and the loss sharpness; and the summary of a task's
runs for the figures and the docs. The runs themselves:
:mod:`~tnrnn.dynamics.paper_runs`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ..errors import SpecError
from . import paper_setups as ps
from ._core import Inputs, flat_map, x64
from ._records import PaperSummary
from ._paper_store import (_const_inputs, _data, _load, _save_atomic, _setup,
                           load_checkpoints)
from .landscape import sharpness_core
from .lipschitz import cell_map, lipschitz_bound
from .lyapunov import _lyapunov_core_flags
from .region_map import _sup_norm_core

__all__ = ["analyse_run", "paper_summary", "PaperSummary", "DEPARTURES"]


def analyse_run(d, *, k: int = 2, lyap_burn: int = 1200, lyap_steps: int = 800,
                blocks: int = 8, norm_every: int = 100, hessian_iters: int = 10,
                epochs=None, log=print) -> dict:
    """Dynamics and smoothness at a run's kept checkpoints (and its latest).

    Per checkpoint and constant input: the ``k`` largest Lyapunov exponents
    with standard errors (from the zero state, ``lyap_burn`` + ``lyap_steps``
    steps, float64); the largest ``||Df||_2`` along that orbit (every
    ``norm_every``-th step of the kept part); the cell's analytic Lipschitz
    bound; and the sharpness (top Hessian eigenvalue by ``hessian_iters``
    power steps) and gradient norm of the per-epoch loss the authors log
    (summed loss / (sequences x steps)) restricted to the first batch.
    Results are added to ``analysis.json`` (checkpoints done are skipped).
    The result stays a plain dict: it is that file's contents, an open-ended
    record (a run with nothing new to analyse returns whatever the file held,
    possibly only ``{"checkpoints": {}}``), which a dataclass with fixed
    fields would not hold.
    One compiled program serves every checkpoint of the run (the weights
    are its arguments).

    Parameters
    ----------
    d : str or pathlib.Path
        The run's folder.
    k : int
        Lyapunov exponents per checkpoint and input.
    lyap_burn, lyap_steps : int
        Steps run first and steps averaged over.
    blocks : int
        Blocks of the batch-means standard error.
    norm_every : int
        ``||Df||`` at every this many kept steps.
    hessian_iters : int
        Power-iteration steps of the sharpness.
    epochs : set of int, optional
        Only these checkpoints (all by default).
    log : callable
        Called with one line per checkpoint analysed.

    Returns
    -------
    dict
        The contents of ``analysis.json``: the settings and
        ``"checkpoints": {epoch: {"lyapunov", "stderr", "sup_norm", "bound",
        "sharpness", "grad_norm", "seconds"}}``.

    Examples
    --------
    >>> analyse_run("no-such-run")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: no run in 'no-such-run' (no resume.pkl there)
    """
    d = Path(d)
    if not (d / "resume.pkl").exists():
        raise SpecError(f"no run in {str(d)!r} (no resume.pkl there)")
    st = _load(d)
    task, kind, cfg = st["task"], st["model"], st["config"]
    path = d / "analysis.json"
    done = json.loads(path.read_text()) if path.exists() else {"checkpoints": {}}
    C = _const_inputs(task, cfg)
    U, Y = _data(task, cfg)
    B = cfg["batch"]
    norm = B * (cfg["seq_len"] if task == "sine" else 1)
    loss = ps.loss_fn(task, kind)
    name = "exprnn" if kind == "exprnn" else "lstm"
    spectra = _spectra_program(name, k, lyap_burn, lyap_steps, blocks, norm_every)
    sharp = None  # compiled on the first checkpoint, reused for the others (same shapes)
    for epoch, params in load_checkpoints(d):
        if epochs is not None and epoch not in epochs:
            continue
        if str(epoch) in done["checkpoints"]:
            continue
        t0 = time.perf_counter()
        cp = {key: np.asarray(v, np.float64) for key, v in params["cell"].items()}
        if kind == "exprnn":
            from ..cells import exprnn_matrix
            cp["W"] = exprnn_matrix(cp["A"])
        _, x0 = cell_map(name, cp)  # checks the weights; the initial state
        exps, errs, sups = _spectra(spectra, cp, x0, C, lyap_steps, blocks)
        bound = lipschitz_bound(name, cp, input_radius=float(np.max(np.abs(C))),
                                onehot=task == "seqclass").value
        with x64():
            p64 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
            flat, unravel = ravel_pytree(p64)
            Ub, Yb = jnp.asarray(U[:B], jnp.float64), jnp.asarray(Y[:B])
            if sharp is None:
                sharp = jax.jit(lambda z, Ub, Yb, key, unravel=unravel: sharpness_core(
                    lambda t: loss(unravel(t), Ub, Yb) / norm, z, hessian_iters, key))
            lam_h, gn = sharp(flat, Ub, Yb, jax.random.PRNGKey(epoch))
        done["checkpoints"][str(epoch)] = {
            "lyapunov": exps, "stderr": errs, "sup_norm": sups, "bound": float(bound),
            "sharpness": float(lam_h), "grad_norm": float(gn),
            "seconds": time.perf_counter() - t0}
        log(f"{d.name} epoch {epoch}: lambda_max {max(e[0] for e in exps):+.4g}, "
            f"sup||Df|| {max(sups):.3g}, sharpness {float(lam_h):.3g} "
            f"({time.perf_counter() - t0:.0f} s)")
        done.update({"task": task, "model": kind, "seed": st["seed"], "k": k,
                     "lyap_burn": lyap_burn, "lyap_steps": lyap_steps, "blocks": blocks,
                     "norm_every": norm_every, "hessian_iters": hessian_iters,
                     "inputs": C.tolist(),
                     "sharpness_loss": "the first batch's summed loss / (batch x steps)"})
        _save_atomic(path, lambda p: Path(p).write_text(json.dumps(done, indent=1)))
    return done


def _spectra_program(name, k, burn, steps, blocks, norm_every):
    """The compiled analysis of one checkpoint, ``run(cell_params, x0, C)``: per
    constant input (vmapped) the block sums of the ``k`` largest Lyapunov
    exponents, their flags and the largest ``||Df||_2`` over every
    ``norm_every``-th of the first ``steps // 2`` kept steps. The weights are
    an argument, so one compilation serves every checkpoint of a run."""
    block_len = steps // blocks
    norm_every = max(1, min(norm_every, steps // 2))

    def run(cp, x, C):
        g = flat_map(cell_map(name, cp)[0], False, True)

        def per_u(uu):
            inp = Inputs("const", uu)
            sums, fl = _lyapunov_core_flags(g, x, None, None, burn, blocks, block_len, k, inp, 1)
            sup = _sup_norm_core(g, x, None, burn, steps // 2, norm_every, inp)
            return sums, fl, sup

        return jax.vmap(per_u)(C)

    return jax.jit(run)


def _spectra(run, cp, x0, C, steps, blocks):
    """The ``k`` largest Lyapunov exponents per constant input and their
    batch-means standard errors (as :func:`~tnrnn.dynamics.lyapunov_spectrum`
    computes them), and the largest ``||Df||_2`` along the orbit, from the
    program of :func:`_spectra_program`."""
    block_len = steps // blocks
    with x64():
        cpj = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), cp)
        sums, flags, sup = run(cpj, jnp.asarray(x0), jnp.asarray(C, jnp.float64))
        sums, flags, sup = np.asarray(sums), np.asarray(flags), np.asarray(sup)
    bad = ~np.all(flags, axis=1)
    sums = np.where(bad[:, None, None], np.nan, sums)
    exps = sums.sum(axis=1) / (block_len * blocks)
    with np.errstate(invalid="ignore"):
        err = (sums / block_len).std(axis=1, ddof=1) / np.sqrt(blocks)
    order = np.argsort(-exps, axis=1, kind="stable")
    return (np.take_along_axis(exps, order, 1).tolist(),
            np.take_along_axis(err, order, 1).tolist(), sup.tolist())



def paper_summary(root, task: str, *, orbit_keep: int = 100, orbit_input: int | None = None
                  ) -> PaperSummary:
    """The data of the committed runs of ``task`` under ``root``, for the figures
    and the docs: per run the epoch reached, the loss (and accuracy) per
    epoch, the authors' orbit diagram at the first and the last epoch (the
    last ``orbit_keep`` kept steps), the orbit diagram across training under
    one constant input (``orbit_input``: the middle one by default), and the
    analysis of the checkpoints.

    Parameters
    ----------
    root : str or pathlib.Path
        The folder holding the runs.
    task : str
        ``'sine'`` or ``'seqclass'``.
    orbit_keep : int
        Kept steps of each orbit diagram.
    orbit_input : int, optional
        Which constant input's diagram to follow over training.

    Returns
    -------
    PaperSummary
        The setup, the inputs, one entry per run, the departures from the
        authors' code (:data:`DEPARTURES`); ``to_dict()`` is JSON-able.

    Examples
    --------
    >>> paper_summary("no-such-root", "sine")
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: no sine runs under 'no-such-root' (no folder 'no-such-root/sine')
    """
    runs = []
    base = Path(root) / task
    if not base.is_dir():
        raise SpecError(f"no {task} runs under {str(root)!r} (no folder {str(base)!r})")
    for d in sorted(base.glob("*-s*")):
        if not (d / "resume.pkl").exists():
            continue
        st = _load(d)
        cfg = st["config"]
        o = np.load(d / "orbits.npz")
        y = o["y"][..., 0] if task == "sine" else o["y"]  # (n_epochs, kept, states, inputs[, K])
        j = y.shape[3] // 2 if orbit_input is None else int(orbit_input)
        an = json.loads((d / "analysis.json").read_text()) if (d / "analysis.json").exists() \
            else {"checkpoints": {}}
        runs.append({
            "model": st["model"], "seed": st["seed"], "epoch": int(st["epoch"]),
            "loss": [h["loss"] for h in st["history"]],
            "accuracy": [h.get("accuracy") for h in st["history"]] if task == "seqclass" else None,
            "orbit_epochs": o["epochs"].tolist(),
            "orbit_first": y[0, -orbit_keep:].tolist(), "orbit_last": y[-1, -orbit_keep:].tolist(),
            "orbit_input": j,
            "orbit_over_training": y[:, -orbit_keep:, :, j].tolist(),
            "analysis": an["checkpoints"]})
    if not runs:
        raise SpecError(f"no finished chunk of any {task} run under {str(base)!r}")
    cfg = dict(_setup(task))
    return PaperSummary(
        experiment=f"smoothness-paper-{task}", task=task,
        config={k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
        inputs=_const_inputs(task, cfg).tolist(), runs=runs, departures=DEPARTURES)


#: Departures from the authors' code, listed beside every result.
DEPARTURES = [
    "random numbers from numpy's default_rng(seed) (seeds 0, 1, 2 for the sine generator, "
    "2 for the classification), not torch's generator",
    "the runs stop where the time on a shared 2-core CPU ran out (epoch per run in 'epoch'), "
    "far before the authors' 10,000 epochs and before the first milestone (500)",
    "expRNN: the fetched expRNN's static 'exprnn' parametrisation and henaff init (the paper's "
    "code pins an older expRNN commit whose OrthogonalRNN takes K=100; K is inferred to "
    "matter only for 'dtriv'); gradient through expm by jax autodiff",
    "optax's clip_by_global_norm divides by the norm, torch's clip_grad_norm_ by norm + 1e-6",
    "Lyapunov exponents from the zero state (the authors report orbit diagrams only), the "
    "k = 2 largest, 1,200 + 800 steps in 8 blocks; sup ||Df|| at every 100th of 400 steps; "
    "sharpness of the first batch's loss (per sequence and step), 10 power steps",
]
