"""tnrnn.cells.Model: a stack is one pytree that says its kind; every consumer reads it."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from tnrnn.cells import (CELLS, Model, as_model, cayley, count_params, get_cell,  # noqa: E402
                         make_apply, rac_params, stack, stack_param_count, trainable_mask)
from tnrnn.errors import SpecError  # noqa: E402
from tnrnn.tasks import make_task  # noqa: E402
from tnrnn.train import fit, load_weights, save_weights  # noqa: E402

KINDS = [("rac", {}), ("mi-rnn", {}), ("tanh", {}), ("relu", {}), ("lstm", {}), ("gru", {}),
         ("scornn", {}), ("scornn", {"variant": "paper"}), ("exprnn", {}), ("linear", {})]


@pytest.mark.parametrize("kind,opts", KINDS)
def test_pytree_keeps_kind_options_and_leaf_order(kind, opts):
    m, apply = stack(kind, depth=2, hidden=4, input_dim=3, outputs=2, seed=1, options=opts)
    leaves, tdef = jax.tree.flatten(m)
    back = jax.tree.unflatten(tdef, leaves)
    assert back.kind == kind and back.cell_options == opts
    # the leaves come in the order of the plain dict's (checkpoints of the old code load)
    ref = jax.tree.leaves(m.to_dict())
    assert len(ref) == len(leaves) and all(a is b for a, b in zip(ref, leaves))
    # a jitted function of the model gets the static kind back
    X = np.random.default_rng(0).standard_normal((3, 5, 3)).astype(np.float32)
    key = jax.random.key(0) if m.needs_key else None
    y = jax.jit(lambda mm, x: make_apply(mm)(mm, x, key))(m, X)
    np.testing.assert_allclose(np.asarray(y), np.asarray(apply(m.to_dict(), X, key)),
                               rtol=1e-6)


@pytest.mark.parametrize("kind,opts", KINDS)
def test_frozen_leaves_come_from_cell_frozen(kind, opts):
    m, _ = stack(kind, depth=2, hidden=4, input_dim=3, outputs=2, options=opts)
    fz = set(get_cell(kind).frozen)
    for layer, frozen, mask in zip(m.layers, m.frozen, trainable_mask(m).layers):
        assert set(frozen) == fz & set(layer)
        assert {k for k, v in mask.items() if not v} == set(frozen)
    # the count leaves the frozen leaves out (a skew A counts H(H-1)/2), as the closed form
    assert count_params(m) == stack_param_count(kind, depth=2, hidden=4, input_dim=3,
                                                outputs=2)


def test_every_registered_kind_is_covered():
    assert sorted({k for k, _ in KINDS}) == sorted(CELLS)


def test_dict_edge_needs_the_kind_and_kinds_must_agree():
    m, _ = stack("scornn", depth=1, hidden=4, input_dim=3, outputs=2)
    with pytest.raises(SpecError, match=r"plain dict of weights.*pass kind="):
        as_model(m.to_dict())
    assert as_model(m.to_dict(), "scorenn").kind == "scornn"  # an alias
    with pytest.raises(SpecError, match=r"params is a 'scornn' model; kind='gru' was given"):
        as_model(m, "gru")
    with pytest.raises(SpecError, match=r"unknown cell kind 'foo'"):
        Model.from_dict(m.to_dict(), kind="foo")
    with pytest.raises(SpecError, match=r"params must be a stack's weights"):
        Model.from_dict({"layers": [{"W": 1}]}, kind="tanh")  # no readout
    # a dict read from a weights file of the paper's variant: its bound s0 says so
    p, _ = stack("scornn", depth=1, hidden=4, input_dim=3, outputs=2,
                 options={"variant": "paper"})
    assert Model.from_dict(p.to_dict(), kind="scornn").needs_key


def test_model_reads_like_the_old_dict():
    m, _ = stack("gru", depth=2, hidden=3, input_dim=2, outputs=1)
    assert "layers" in m and set(m) == {"layers", "readout"} and len(m) == 2
    d = {"embedding": np.zeros(1), **m}
    assert d["layers"] is m.layers and d["readout"] is m.readout
    with pytest.raises(KeyError):
        m["W_O"]
    # equality is identity (never an elementwise comparison of arrays), and a model hashes
    assert m == m and m != m.replace() and {m: 1}[m] == 1


@pytest.mark.parametrize("kind", ["scornn", "exprnn"])
def test_orthogonal_model_trains_A_without_kind(kind):
    """The silent case of issue 19: fit on a scoRNN stack without kind= left A
    and W untouched. A model says its kind, so A moves and W follows it."""
    task = make_task("ses", 8, block=2, alphabet=3)
    m, apply = stack(kind, depth=1, hidden=4, input_dim=task.input_dim, outputs=task.outputs,
                     seed=0)
    res = fit(m, apply, task, steps=6, eval_every=3, batch=8, val_size=16, lr=1e-2)
    got = res.params  # the best weights: those of step 3 or 6 (the first check is a best)
    assert got.kind == kind and res.summary["best_step"] in (3, 6)
    A0, A1 = m.layers[0]["A"], got.layers[0]["A"]
    assert np.max(np.abs(A1 - A0)) > 1e-5
    if kind == "scornn":
        np.testing.assert_allclose(got.layers[0]["W"], cayley(A1, got.layers[0]["D"]),
                                   atol=1e-5)
        np.testing.assert_array_equal(got.layers[0]["D"], m.layers[0]["D"])
    else:
        from tnrnn.cells import exprnn_matrix

        np.testing.assert_allclose(got.layers[0]["W"], exprnn_matrix(A1), atol=1e-5)
    # the same weights as a plain dict without a kind: a clear error, never frozen A
    with pytest.raises(SpecError, match=r"pass kind="):
        fit(m.to_dict(), apply, task, steps=2)


def test_scornn_one_step_moves_A_of_every_layer():
    task = make_task("ses", 8, block=2, alphabet=3)
    m, apply = stack("scornn", depth=2, hidden=4, input_dim=task.input_dim,
                     outputs=task.outputs, seed=2)
    seen = []
    r1 = fit(m, apply, task, steps=1, eval_every=1, batch=8, val_size=16, lr=1e-2,
             callback=seen.append)
    assert [r["step"] for r in seen] == [1]
    assert all(np.max(np.abs(a["A"] - b["A"])) > 1e-6
               for a, b in zip(r1.params.layers, m.layers))


def test_rac_bridge_both_ways_agrees_with_the_circuit():
    from tnrnn.circuit import evaluate, one_hot

    m, apply = stack("rac", depth=2, hidden=3, input_dim=4, outputs=2, seed=5,
                     dtype="float32")
    spec, rp = rac_params(m, length=5)
    seqs = np.random.default_rng(1).integers(0, 4, size=(7, 5))
    X = one_hot(seqs, 4)
    want = evaluate(spec, rp, X)  # the exact wing's evaluation, float64
    got = np.asarray(apply(m, X.astype(np.float32)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    back = rac_params(rp, dtype="float32")
    assert back.kind == "rac" and back.depth == 2
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(m)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(SpecError, match=r"RAC stack's weights"):
        rac_params(stack("gru", depth=1, hidden=2, input_dim=2, outputs=1)[0], length=3)
    with pytest.raises(SpecError, match=r"length .* is required"):
        rac_params(m)


@pytest.mark.parametrize("kind,opts", [("lstm", {}), ("scornn", {"variant": "paper"})])
def test_weights_file_round_trip(kind, opts, tmp_path):
    m, _ = stack(kind, depth=2, hidden=3, input_dim=2, outputs=2, options=opts)
    save_weights(tmp_path / "w.npz", m, task="ses")
    back, meta = load_weights(tmp_path / "w.npz")
    assert meta == {"cell": kind, "task": "ses"}
    assert back.kind == kind and back.cell_options == opts
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(m)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(SpecError, match=r"holds 'lstm' weights|holds 'scornn' weights"):
        load_weights(tmp_path / "w.npz", kind="gru")


def test_deprecated_names_warn_and_keep_their_contract(tmp_path):
    from tnrnn.train import load_params, save_params

    m, _ = stack("tanh", depth=1, hidden=2, input_dim=1, outputs=1)
    with pytest.warns(DeprecationWarning, match="save_weights"):
        save_params(tmp_path / "w.npz", m.to_dict(), cell="tanh")
    with pytest.warns(DeprecationWarning, match="load_weights"):
        p, meta = load_params(tmp_path / "w.npz")
    assert isinstance(p, dict) and meta == {"cell": "tanh"}
