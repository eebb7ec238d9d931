"""tnrnn.dynamics.training: the checkpoint analysis, compiled once for all
checkpoints (vmap over stacked weights and inputs), against the per-checkpoint
public functions (sharpness, lyapunov_spectrum, jacobian_norms); the inputs are
checked before any work."""

import math

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from tnrnn.dynamics import cell_map, jacobian_norms, sharpness, simulate  # noqa: E402
from tnrnn.dynamics.training import (_task_loss, analyse_checkpoints, seqclass_data,  # noqa: E402
                                     seqclass_experiment, sine_data, train_lstm)
from tnrnn._jax import x64  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402


@pytest.mark.slow  # about 35 s of compiling on a 2-core machine
def test_analysis_of_every_checkpoint_equals_one_call_per_checkpoint():
    U, Y, _ = sine_data(3, 12)
    tr = train_lstm("sine", U, Y, outputs=1, hidden=2, steps=4, checkpoint_every=2, seed=3)
    assert [c[0] for c in tr["checkpoints"]] == [0, 2, 4] and len(tr["history"]) == 4
    w = np.array([[math.pi / 16], [math.pi / 8]])
    an = analyse_checkpoints(tr, U, Y, w, n_init=2, orbit_steps=5, orbit_burn=10,
                             lyap_steps=60, lyap_burn=20, hessian_iters=4, seed=1)
    assert np.shape(an["lyapunov_max"]) == (3, 2) and an["orbit_shape"] == [3, 2, 2, 5, 1]
    with x64():  # the training data in float64, as the analysis has it
        loss = _task_loss("sine", 2, U, Y)
    for i, (_, p, full_loss) in enumerate(tr["checkpoints"]):
        assert an["loss"][i] == full_loss
        # the power iteration of checkpoint i starts from PRNGKey(seed + i), as sharpness(seed=)
        assert an["sharpness"][i] == pytest.approx(
            sharpness(loss, p, iters=4, seed=1 + i), rel=1e-9, abs=1e-12)
        f, _ = cell_map("lstm", p["cell"])
        for j, u in enumerate(w):
            xs = simulate(f, np.zeros(4), steps=300, u=u)
            # lambda_max by hand: the tangent vector ones/2 carried through the burn, then
            # its log growth over 60 steps (one Jacobian per step)
            with x64():
                J = np.asarray(jax.vmap(jax.jacfwd(lambda x: f(x, u)))(jnp.asarray(xs[:80])))
            q, acc = np.full(4, 0.5), 0.0
            for k in range(80):
                q = J[k] @ q
                acc += np.log(np.linalg.norm(q)) if k >= 20 else 0.0
                q = q / np.linalg.norm(q)
            assert an["lyapunov_max"][i][j] == pytest.approx(acc / 60, abs=1e-10)
            xs = xs[1:]
            sup = np.max(jacobian_norms(f, xs, u=u))
            assert an["sup_norm"][i][j] == pytest.approx(sup, rel=1e-9)


@pytest.mark.parametrize("call,match", [
    (lambda U, Y: train_lstm("sine", U, Y, outputs=1, hidden=0), r"hidden must be an integer >= 1"),
    (lambda U, Y: train_lstm("sine", U, Y, outputs=1, batch=5), r"batch must be at most the 4"),
    (lambda U, Y: train_lstm("seqclass", U, Y, outputs=4), r"Y must hold the 4 classes"),
    (lambda U, Y: train_lstm("sine", U * np.nan, Y, outputs=1), r"NaN or infinity"),
    (lambda U, Y: analyse_checkpoints([], U, Y, [[0.1]]), r"train must be the record"),
    (lambda U, Y: seqclass_data(3, 60, starts=(9, 55)), r"seq_len 60 is too short .* at least 65"),
    (lambda U, Y: seqclass_experiment(batch=0), r"batch must be an integer >= 1"),
])
def test_bad_input_is_refused_before_any_work(call, match):
    U, Y, _ = sine_data(4, 10)
    with pytest.raises(SpecError, match=match):
        call(U, Y)


def test_analysis_refuses_inputs_of_another_width():
    U, Y, _ = sine_data(2, 6)
    tr = {"task": "sine", "hidden": 2,
          "checkpoints": [(0, {"readout": {"W_O": np.zeros((1, 2))}}, 0.0)]}
    with pytest.raises(SpecError, match=r"u_values must be constant inputs \(n_u, I\) with I = 1"):
        analyse_checkpoints(tr, U, Y, np.eye(2))
