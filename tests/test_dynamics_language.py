"""The word-level language model's pieces on a tiny corpus generated here:
an embedding in front of any cell, training with checkpoints, the cell driven
by a word as a map, orbit diagrams across the checkpoints."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("optax")

from tnrnn.dynamics.language import (embedding_map, lm_init, lm_logits,  # noqa: E402
                                     lm_orbit_diagram, train_lm)
from tnrnn.errors import SpecError  # noqa: E402


def _corpus(n=600, seed=0):
    """A tiny language: sentences 'the <noun> <verb> .' over 8 words."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        out += [0, 1 + rng.integers(3), 4 + rng.integers(3), 7]
    return np.array(out[:n])


# the default run keeps the cells with paths of their own (the LSTM's pair of
# states, expRNN's expm inside the loss); a plain cell (GRU) runs with -m slow
@pytest.mark.parametrize("kind", ["lstm", "exprnn", pytest.param("gru", marks=pytest.mark.slow)])
def test_training_lowers_the_loss_and_orbits_cover_checkpoints(kind):
    toks = _corpus()
    res = train_lm(toks, kind, vocab=8, embed=4, hidden=6, steps=60, seq_len=12, batch=8,
                   lr=1e-2, checkpoint_every=30, seed=0)
    assert [s for s, _ in res.checkpoints] == [0, 30, 60]
    assert np.mean(res.losses[-10:]) < np.mean(res.losses[:5]) < res.chance + 1.0
    od = lm_orbit_diagram(kind, res.checkpoints, [0, 7], n_init=2, init_std=10.0,
                          steps=20, burn=30)
    assert od.shape == (3, 2, 2, 20, 6) and np.all(np.isfinite(od))


def test_embedding_map_is_the_cell_fed_the_embedding_row():
    p = lm_init("lstm", vocab=5, embed=3, hidden=4, seed=2)
    f, x0 = embedding_map("lstm", p)
    x = np.random.default_rng(0).standard_normal(8)
    with jax.enable_x64(True):
        from tnrnn.dynamics import cell_map

        g, _ = cell_map("lstm", p["layers"][0])
        np.testing.assert_allclose(np.asarray(f(x, np.eye(5)[3])),
                                   np.asarray(g(x, p["embedding"][3])), atol=1e-12)
    logits = lm_logits("lstm", p, np.array([[0, 1, 2]]))
    assert logits.shape == (1, 3, 5)


def test_bad_inputs_are_refused():
    with pytest.raises(SpecError, match="tokens must lie in"):
        train_lm(np.array([0, 1, 9] * 20), vocab=5, steps=1, seq_len=4)
    with pytest.raises(SpecError, match="at least seq_len"):
        train_lm(np.array([0, 1]), vocab=5, steps=1, seq_len=4)
    with pytest.raises(SpecError, match="scornn's Cayley update"):
        lm_init("scornn", vocab=5, embed=2, hidden=4)
    p = lm_init("tanh", vocab=5, embed=2, hidden=3)
    with pytest.raises(SpecError, match="words must be"):
        lm_orbit_diagram("tanh", [p], [7])
