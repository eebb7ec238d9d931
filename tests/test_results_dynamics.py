"""The dynamic wing's results are frozen dataclasses whose ``to_dict()`` is the
dict the functions returned before (issue 19, item 4).

Each class is frozen; ``to_dict()`` equals an independent computation of the
old dict (step-by-step counts, exact ranks of matrices built here, closed
forms) or, for the experiments too slow to rerun here, round-trips the
committed JSON files the previous version wrote; reading by key warns.
"""

import dataclasses
import itertools
import json
import math
import pathlib
import warnings

import numpy as np
import pytest

from tnrnn._results import Record
from tnrnn.tasks import (CopyingDemand, CopyingMetrics, CopyingSymbols, SESDemand, TargetRank,
                         copying_demand, copying_memory, copying_metrics, copying_symbols,
                         make_task, ses_demand, ses_label_matrix, ses_rank_closed_form)

FIGURES = pathlib.Path(__file__).resolve().parent.parent / "figures"


def _frozen(obj):
    name = dataclasses.fields(obj)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, name, None)
    return True


def _warns_on_key(obj, key):
    with pytest.warns(DeprecationWarning, match=f"use .{key}"):
        value = obj[key]
    with pytest.warns(DeprecationWarning):
        assert key in obj
    return value


# ------------------------------------------------------------------ the mixin
@dataclasses.dataclass(frozen=True, eq=False)
class _Pair(Record):
    a: int
    b: object = None

    def _absent(self):
        return frozenset({"b"} if self.b is None else ())


def test_record_mixin_nested_absent_and_deprecated_mapping_use():
    inner = _Pair(1)
    outer = _Pair(2, [inner, {"x": inner}, (inner,)])
    assert inner.to_dict() == {"a": 1}  # an absent field is left out
    assert outer.to_dict() == {"a": 2, "b": [{"a": 1}, {"x": {"a": 1}}, ({"a": 1},)]}
    assert _frozen(outer)
    with pytest.raises(KeyError):
        inner["b"]  # absent: not readable by key either
    with pytest.warns(DeprecationWarning, match=r"result\['a'\] is deprecated: _Pair"):
        assert inner["a"] == 1
    with pytest.warns(DeprecationWarning):
        assert {**outer}["b"][0] == {"a": 1}  # ** still works, through keys()
    with pytest.warns(DeprecationWarning):
        assert inner == {"a": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert inner == _Pair(1) and inner != _Pair(3) and bool(inner)
        assert json.dumps(outer.to_dict())  # JSON-able without a default


# ------------------------------------------------------------------ tasks
@pytest.mark.parametrize("n", [2, 5])
def test_copying_symbols_are_the_generators_symbols(n):
    sym = copying_symbols(alphabet=n)
    assert isinstance(sym, CopyingSymbols) and _frozen(sym)
    S, y = copying_memory(20, delay=4, word_length=3, alphabet=n, seed=1, symbols=True)
    X, _ = copying_memory(20, delay=4, word_length=3, alphabet=n, seed=1)
    # independent: read the ids off generated data
    assert sym.to_dict() == {"letters": len(np.unique(S[:, :3])),
                             "blank": int(y[0, 0]), "marker": int(S[0, 2 * 3 + 4 - 3 - 1]),
                             "symbols": X.shape[2]}
    assert list(sym.to_dict()) == ["letters", "blank", "marker", "symbols"]
    assert _warns_on_key(sym, "marker") == sym.marker


def test_copying_metrics_step_by_step():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, (6, 9))
    pred = np.where(rng.random((6, 9)) < 0.6, y, (y + 1) % 4)
    m = copying_metrics(pred, y, word_length=3)
    assert isinstance(m, CopyingMetrics) and _frozen(m)
    right = [[int(pred[i, t] == y[i, t]) for t in range(9)] for i in range(6)]
    want = {"accuracy": sum(map(sum, right)) / 54,
            "blank_accuracy": sum(sum(r[:6]) for r in right) / 36,
            "data_accuracy": sum(sum(r[6:]) for r in right) / 18}
    assert m.to_dict() == pytest.approx(want, abs=1e-15)
    assert list(m.to_dict()) == list(want)
    # the task's metrics stay a plain dict (what the training loop logs)
    t = make_task("copying", delay=4, word_length=2, alphabet=3)
    _, yy = t.eval_set("validation", 4, seed=0)
    got = t.metrics(np.eye(t.outputs)[yy], yy)
    assert type(got) is dict and got == {"accuracy": 1.0, "blank_accuracy": 1.0,
                                          "data_accuracy": 1.0}
    assert _warns_on_key(m, "data_accuracy") == m.data_accuracy


@pytest.mark.parametrize("T,n,block,classes", [(6, 2, None, 3), (8, 2, 2, 4)])
def test_ses_demand_ranks_of_matrices_built_here(T, n, block, classes):
    d = ses_demand(length=T, alphabet=n, block=block, classes=classes)
    assert isinstance(d, SESDemand) and _frozen(d) and _frozen(d.label)
    m = T // 2 if block is None else block
    offsets = T // 2 - m + 1
    want = {"task": "ses", "length": T, "block": m, "alphabet": n, "classes": classes,
            "offsets": offsets, "halves": n ** m, "prime": 2_147_483_647}
    for target in ["label", *range(classes)]:
        Y = ses_label_matrix(length=2 * m, alphabet=n, classes=classes, target=target)
        exact = ses_rank_closed_form(length=2 * m, alphabet=n, classes=classes, target=target)
        r = int(np.linalg.matrix_rank(Y.astype(float)))  # float SVD: small integer matrices
        assert r == exact
        key = "label" if target == "label" else f"class_{target}"
        want[key] = {"rank_modp": r, "rank_exact": exact, "zero_filled_rank": offsets * exact}
    assert d.to_dict() == want and list(d.to_dict()) == list(want)
    assert d.class_ranks[0] == TargetRank(**want["class_0"])
    assert _warns_on_key(d, "label") == want["label"]
    with pytest.warns(DeprecationWarning):
        assert d["class_1"] == want["class_1"]  # the flattened keys still read


def test_copying_demand_joint_rank_of_the_matrix_built_here():
    B, M, n = 3, 2, 3
    d = copying_demand(delay=B, word_length=M, alphabet=n)
    assert isinstance(d, CopyingDemand) and _frozen(d)
    words = list(itertools.product(range(n), repeat=M))
    J = np.array([[float(w[j] == c) for j in range(M) for c in range(n)] for w in words])
    per = max(int(np.linalg.matrix_rank(J[:, [k]])) for k in range(M * n))
    assert d.to_dict() == {"task": "copying", "delay": B, "word_length": M, "alphabet": n,
                           "length": 2 * M + B, "words": n ** M, "prime": 2_147_483_647,
                           "per_output_rank_max": per,
                           "joint_rank_modp": int(np.linalg.matrix_rank(J)),
                           "joint_rank_exact": M * (n - 1) + 1}
    assert _warns_on_key(d, "joint_rank_modp") == M * (n - 1) + 1


# ------------------------------------------------------------------ capacity
def test_capacity_use_ranks_against_the_evaluated_grid():
    pytest.importorskip("jax")
    from tnrnn.cells import stack
    from tnrnn.circuit import evaluate, one_hot
    from tnrnn.train.capacity import CapacityUse, capacity_use, rac_circuit

    p, _ = stack("rac", depth=1, hidden=2, input_dim=2, outputs=2, seed=3)
    cap = capacity_use(p, length=4)
    assert isinstance(cap, CapacityUse) and _frozen(cap)
    spec, rp = rac_circuit(p, length=4)
    halves = list(itertools.product(range(2), repeat=2))
    Y = evaluate(spec, rp, one_hot(np.array([a + b for a in halves for b in halves]), 2))
    d = cap.to_dict()
    assert list(d) == ["spec", "inputs", "trained", "generic", "bounds"]
    assert d["spec"] == spec.to_dict() and d["inputs"] == "one-hot"
    assert [t["rank"] for t in d["trained"]] == [
        int(np.linalg.matrix_rank(Y[:, k].reshape(4, 4))) for k in range(2)]
    assert d["bounds"]["grid-cap"] == 4 and json.dumps(d)
    assert _warns_on_key(cap, "trained") == cap.trained


# ------------------------------------------------------------------ dynamics
def test_region_counts_by_hand():
    pytest.importorskip("jax")
    from tnrnn.dynamics import ClassCount, RegionCounts, region_counts

    lam = [-0.2, -1e-5, 1e-5, 0.3, 0.5, float("nan")]
    err = [0.01, 1e-4, 1e-4, 0.01, 0.01, 0.01]
    sharp = [1.0, -2e3, 5.0, 1e9, 7.0, 3.0]

    def by_hand(lam, err, sharp, z=2.0, t=1e3):
        groups = {"contracting": [], "boundary": [], "chaotic": [], "undefined": []}
        for a, e, s in zip(lam, err, sharp):
            c = ("undefined" if math.isnan(a) else "chaotic" if a > z * e
                 else "contracting" if a < -z * e else "boundary")
            groups[c].append(abs(s))
        return {c: {"points": len(v), "sharp": sum(x > t for x in v),
                    "median_abs_sharpness": float(np.median(v)) if v else None}
                for c, v in groups.items() if v or c != "undefined"}

    c = region_counts(lam, err, sharp)
    assert isinstance(c, RegionCounts) and _frozen(c) and isinstance(c.chaotic, ClassCount)
    assert c.to_dict() == by_hand(lam, err, sharp) and "undefined" in c.to_dict()
    c5 = region_counts(lam[:5], err[:5], sharp[:5], threshold=4.0)
    assert c5.undefined is None and c5.to_dict() == by_hand(lam[:5], err[:5], sharp[:5], t=4.0)
    assert list(c5.to_dict()) == ["contracting", "boundary", "chaotic"]
    assert _warns_on_key(c, "chaotic") == by_hand(lam, err, sharp)["chaotic"]


def test_scale_slice_closed_form_exponents_and_the_keys_without_exponents():
    pytest.importorskip("jax")
    from tnrnn.dynamics.experiments import ScaleSlice, scale_slice
    from tnrnn.dynamics.systems import preset_system

    sysm = preset_system("tanh", w=0.5)
    r = scale_slice(sysm, 0.5, 1.0, 2, horizon=20, burn=5, lyap_steps=100, lyap_burn=10)
    assert isinstance(r, ScaleSlice) and _frozen(r)
    # x -> tanh(s w x) contracts to 0, where lambda = ln(s w) exactly
    assert r.lyapunov_max == pytest.approx([math.log(0.25), math.log(0.5)], abs=1e-9)
    d = r.to_dict()
    assert list(d) == ["system", "s", "loss", "horizon", "burn", "loss_at_1", "total_variation",
                       "loss_undefined", "lyapunov_max", "lyap_steps", "lyap_burn",
                       "lyapunov_undefined", "roughness_chaotic", "roughness_regular",
                       "fraction_chaotic"]
    assert d["fraction_chaotic"] == 0.0 and d["roughness_chaotic"] is None
    assert d["total_variation"] == pytest.approx(abs(r.loss[1] - r.loss[0]), abs=0)
    r0 = scale_slice(sysm, 0.5, 1.0, 2, horizon=20, burn=5, lyap_steps=0)
    assert list(r0.to_dict()) == list(d)[:11] and r0.to_dict()["lyapunov_max"] == []
    assert r0.loss == r.loss and r0.fraction_chaotic is None
    with pytest.raises(KeyError):
        r0["fraction_chaotic"]  # the old dict had no such key without exponents
    assert _warns_on_key(r, "loss_at_1") == 0.0


def _committed(name):
    path = FIGURES / name
    if not path.exists():
        pytest.skip(f"no committed {name}")
    d = json.loads(path.read_text())
    for k in ("machine", "quick"):
        d.pop(k, None)
    return d


def test_experiment_classes_hold_exactly_the_committed_files():
    """The committed experiment files were written from the previous dicts: a
    record built from one gives back the same keys, order and values."""
    pytest.importorskip("jax")
    from tnrnn.dynamics.experiments import RegionExperiment
    from tnrnn.dynamics.paper_analysis import PaperSummary
    from tnrnn.dynamics.region_stats import (ClassCount, RegionCounts,
                                             RegionStatsExperiment)
    from tnrnn.dynamics.training import CheckpointAnalysis, TrainingExperiment

    for name in ("dynamics_sine.json", "dynamics_seqclass.json"):
        d = _committed(name)
        r = TrainingExperiment(**{"final_train_accuracy": None, **d,
                                  "checkpoints": CheckpointAnalysis(**d["checkpoints"])})
        assert _frozen(r) and json.dumps(r.to_dict()) == json.dumps(d)
    d = _committed("dynamics_regions.json")
    assert json.dumps(RegionExperiment(**d).to_dict()) == json.dumps(d)
    d = _committed("dynamics_regions_stats.json")
    counts = {z: {t: RegionCounts(**{c: ClassCount(**v) for c, v in per.items()})
                  for t, per in by_t.items()} for z, by_t in d["counts"].items()}
    r = RegionStatsExperiment(**{**d, "counts": counts})
    assert json.dumps(r.to_dict()) == json.dumps(d)
    d = _committed("dynamics_paper_sine.json")
    assert json.dumps(PaperSummary(**d).to_dict()) == json.dumps(d)


def test_chaotic_lstm_experiment_nests_its_slice():
    pytest.importorskip("jax")
    from tnrnn.dynamics.experiments import ChaoticLSTMExperiment, ScaleSlice

    sl = ScaleSlice("lstm", [0.5, 1.0], [0.1, 0.0], 20, 5, 0.0, 0.1, 0, [0.2, -0.1], 10, 5,
                    0, 0.1, None, 0.5)
    r = ChaoticLSTMExperiment("chaotic-lstm", "src", [[0.0, 0.0]], [0.1], [0.01], 10, sl,
                              [[0.1]], [6, 55], {"s1": [0.0]}, 1.0)
    assert _frozen(r) and r.to_dict()["slice"] == sl.to_dict()
    with pytest.warns(DeprecationWarning):
        assert r["slice"]["fraction_chaotic"] == 0.5  # a nested record reads as its dict
