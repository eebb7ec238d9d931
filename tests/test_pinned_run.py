"""The training code's numbers are pinned: ``benchmarks/experiments/pinned_run.py``
rerun now must give the numbers it gave at the commit before the redesign
(``tests/data/pinned/``, written by that commit's code), and run folders that
commit wrote must still be recognised (finished) and resumed (unfinished).
"""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from pinned_helpers import copy_finished

pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "pinned"
#: relative tolerance of a float (the reference was written on this kind of CPU;
#: a change of evaluation order in XLA moves float32 results by a few ulp at most)
RTOL = 1e-6


def _script():
    spec = importlib.util.spec_from_file_location(
        "pinned_run", ROOT / "benchmarks" / "experiments" / "pinned_run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compare(ref, new, path="", diffs=None, stats=None):
    """Every difference between two JSON trees (floats within ``RTOL``); the
    largest absolute and relative float differences go to ``stats``."""
    diffs = [] if diffs is None else diffs
    stats = {"abs": 0.0, "rel": 0.0, "floats": 0} if stats is None else stats
    if isinstance(ref, dict) and isinstance(new, dict):
        for k in sorted(set(ref) | set(new)):
            if k == "sha256":  # bitwise identity is reported, not required (sums are compared)
                stats.setdefault("sha_differ", 0)
                stats["sha_differ"] += ref.get(k) != new.get(k)
                continue
            if k not in ref or k not in new:
                diffs.append(f"{path}.{k}: only in {'new' if k in new else 'reference'}")
                continue
            compare(ref[k], new[k], f"{path}.{k}", diffs, stats)
    elif isinstance(ref, list) and isinstance(new, list):
        if len(ref) != len(new):
            diffs.append(f"{path}: length {len(ref)} -> {len(new)}")
        for i, (a, b) in enumerate(zip(ref, new)):
            compare(a, b, f"{path}[{i}]", diffs, stats)
    elif isinstance(ref, float) and isinstance(new, (float, int)) and not isinstance(new, bool):
        stats["floats"] += 1
        d = abs(ref - new)
        rel = d / max(abs(ref), 1e-30) if d else 0.0
        stats["abs"] = max(stats["abs"], d)
        stats["rel"] = max(stats["rel"], rel)
        if d > RTOL * max(abs(ref), 1e-3):
            diffs.append(f"{path}: {ref!r} -> {new!r}")
    elif ref != new:
        diffs.append(f"{path}: {ref!r} -> {new!r}")
    return diffs, stats


def _check(part, tmp_path):
    out = tmp_path / f"{part}.json"
    _script().main([str(out), "--part", part])
    new = json.loads(out.read_text())
    ref = json.loads((DATA / f"{part}.json").read_text())
    diffs, stats = compare(ref, new)
    print(f"pinned {part}: {stats['floats']} floats, max abs diff {stats['abs']:.3g}, "
          f"max rel diff {stats['rel']:.3g}, digests differing bitwise "
          f"{stats.get('sha_differ', 0)}")
    assert not diffs, "\n".join(diffs[:40])
    return stats


def test_compare_finds_differences():
    assert compare({"a": [1.0, "x"]}, {"a": [1.0, "x"]})[0] == []
    assert compare({"a": 1.0}, {"a": 1.0 + 1e-3})[0] == [".a: 1.0 -> 1.001"]
    assert compare({"a": [1.0]}, {"a": [1.0, 2.0]})[0] == [".a: length 1 -> 2"]
    assert compare({"a": 1}, {"b": 1})[0] == [".a: only in reference", ".b: only in new"]


def test_pinned_quick(tmp_path):
    """Five runs (rac, scornn in both variants, exprnn, the paper protocol):
    metrics, results, weights and config.json as at the base commit."""
    _check("quick", tmp_path)


@pytest.mark.slow
def test_pinned_full(tmp_path):
    """Every cell kind at depth 1 and 2, both protocols, fit, a resumed run,
    train_lstm, the linear-RNN trainer and the tnrnn train sweep (serial and
    --workers 2)."""
    _check("full", tmp_path)


@pytest.mark.parametrize("kind", ["scornn", "rac"])
def test_finished_run_folders_of_the_old_code_are_recognised(kind, tmp_path):
    from tnrnn.train import run

    folder, given = copy_finished(kind, tmp_path)
    before = (folder / "result.json").read_text()
    r = run({**given, "out": str(folder)})  # finished: returned as stored, nothing trains
    assert r.to_dict() == json.loads(before)
    assert not (folder / "checkpoint.npz").exists()
    assert (folder / "result.json").read_text() == before


def test_unfinished_run_of_the_old_code_resumes_to_the_same_numbers(tmp_path):
    """A checkpoint written at step 4 by the old code, resumed to step 6 by this
    code, ends where the old code's uninterrupted 6-step run ended."""
    from tnrnn.train import run

    ref = json.loads((DATA / "resume_reference.json").read_text())
    folder = tmp_path / "run"
    folder.mkdir()
    for f in ("checkpoint.npz", "metrics.jsonl"):
        shutil.copy(DATA / "partial" / f, folder / f)
    r = run({**ref["config"], "steps": 6, "out": str(folder)})
    assert r.fit["resumed_from"] == 4
    mod = _script()
    params, _ = mod._load_weights(folder / "params.npz")
    got = {"test": r.test, "fit": mod._clean(r.fit), "params": mod._digest(params)}
    diffs, _ = compare({k: ref[k] for k in got}, got)
    assert not diffs, diffs


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q", "-s", "-m", "slow or not slow"]))
