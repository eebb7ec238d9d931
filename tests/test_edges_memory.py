"""Bad and unusual inputs to every `tnrnn memory` command and the public functions of
tnrnn.linear_rnn: each must give one clear line of a tnrnn error class (exit 2 on the
command line), refuse sizes before allocating, and never hang.

The inputs and the counts of wrong numbers / tracebacks / hangs / memory blow-ups
are kept in ``tests/data/edges_memory.json``; regenerate it with
``python tests/test_edges_memory.py`` (the test checks that it lists exactly the
inputs below and that every count is 0).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tnrnn.errors import SpecError, TnrnnError, TooLargeError

TABLE = Path(__file__).parent / "data" / "edges_memory.json"
K = "exponential:1+delayed:2"

# (id, args, class of the answer, text the message must contain)
CLI_CASES = [
    ("kernel-nan", ["approx", "--kernel", "exp:nan"], "finite number"),
    ("kernel-inf", ["approx", "--kernel", "exp:inf"], "finite number"),
    ("kernel-negative", ["approx", "--kernel", "exp:-1"], "finite number > 0"),
    ("kernel-scale-nan", ["approx", "--kernel", "nan*exp:1"], "must be a finite number"),
    ("kernel-scale-huge", ["approx", "--kernel", "1e400*exp:1"], "must be a finite number"),
    ("kernel-omega-0", ["approx", "--kernel", "poly:0"], "finite number > 0"),
    ("kernel-delay-huge", ["approx", "--kernel", "delayed:1e9"], "t0 <= 1e4"),
    ("kernel-smooth-float", ["approx", "--kernel", "smooth:1.5"], "integer in 0..12"),
    ("kernel-smooth-big", ["approx", "--kernel", "smooth:99"], "integer in 0..12"),
    ("kernel-airy-far", ["approx", "--kernel", "airy:5000"], "t0 must be <= 1000"),
    ("kernel-empty", ["flow", "--kernel", ""], "kernel must be text"),
    ("kernel-long", ["approx", "--kernel", "+".join(["exp:1"] * 100)], "too long"),
    ("approx-m-float", ["approx", "--kernel", "exp:1", "--m", "1e3"],
     "integers separated by commas"),
    ("approx-m-huge", ["approx", "--kernel", "exp:1", "--m", "99999999999999"], "more than 12"),
    ("approx-m-negative", ["approx", "--kernel", "exp:1", "--m", "-3"], "integers >= 1"),
    ("approx-free-41", ["approx", "--kernel", "exp:1", "--m", "41", "--rates", "free"],
     "at most 40"),
    ("approx-figure-proc", ["approx", "--kernel", "exp:1", "--figure", "/proc/x.png"],
     "cannot write"),
    ("flow-m-100000", ["flow", "--kernel", "exp:1", "--m", "100000"], "exceeds 2000"),
    ("flow-lr-nan", ["flow", "--kernel", "exp:1", "--lr", "nan"], "finite number > 0"),
    ("flow-lr-inf", ["flow", "--kernel", "exp:1", "--lr", "inf"], "finite number > 0"),
    ("flow-lr-0", ["flow", "--kernel", "exp:1", "--lr", "0"], "finite number > 0"),
    ("flow-steps-negative", ["flow", "--kernel", "exp:1", "--steps", "-5"], "integer >= 1"),
    ("flow-steps-float", ["flow", "--kernel", "exp:1", "--steps", "1e9"], "not a valid integer"),
    ("flow-seed-negative", ["flow", "--kernel", "exp:1", "--seed", "-1"], "integer >= 0"),
    ("flow-max-steps-0", ["flow", "--kernel", "exp:1", "--max-steps", "0"], "integer >= 1"),
    ("flow-param-bad", ["flow", "--kernel", "exp:1", "--param", "exp"], "exp"),
    ("dataset-dt-nan", ["dataset", "--kernel", "exp:1", "--dt", "nan", "--out", "d.npz"],
     "finite number > 0"),
    ("dataset-dt-negative", ["dataset", "--kernel", "exp:1", "--dt", "-0.1", "--out", "d.npz"],
     "finite number > 0"),
    ("dataset-n-0", ["dataset", "--kernel", "exp:1", "--n", "0", "--out", "d.npz"],
     "integer >= 1"),
    ("dataset-T-huge", ["dataset", "--kernel", "exp:1", "--T", "1000000000", "--out",
                        "d.npz"], "exceeds max_entries"),
    ("dataset-out-proc", ["dataset", "--kernel", "exp:1", "--out", "/proc/d.npz"],
     "cannot write"),
    ("experiment-other-kind", ["experiment", "rates", "--out", "other.json", "--quick"],
     "holds a 'memory-train' result, not 'memory-rates'"),
    ("experiment-corrupt", ["experiment", "width", "--out", "corrupt.json", "--quick"],
     "is not a valid JSON result file"),
    ("experiment-empty-file", ["experiment", "approx", "--out", "empty.json", "--quick"],
     "is not a valid JSON result file"),
    ("experiment-other-config", ["experiment", "train", "--out", "train.json", "--quick"],
     "was made with other settings"),
    ("experiment-folder", ["experiment", "approx", "--out", "adir", "--quick"],
     "is a directory"),
    ("figures-corrupt", ["figures", "--results", "bad", "--out", "figs"],
     "is not a valid JSON result file"),
]


def _api_cases():
    from tnrnn import linear_rnn as L
    from tnrnn.linear_rnn import _store
    from tnrnn.linear_rnn.flow import random_point
    from tnrnn.linear_rnn.l1lp import l1_bracket_uniform

    big = np.ones(10 ** 6)
    return [
        ("loss-a-nan", lambda: L.white_noise_loss(K, [np.nan], [1.0]), SpecError,
         "finite numbers"),
        ("loss-w-inf", lambda: L.white_noise_loss(K, [1.0], [np.inf]), SpecError,
         "finite numbers"),
        ("loss-w-zero", lambda: L.white_noise_loss(K, [1.0], [0.0]), SpecError, "> 0"),
        ("loss-a-text", lambda: L.white_noise_loss(K, "abc", [1.0]), SpecError,
         "list of numbers"),
        ("loss-huge-m", lambda: L.white_noise_loss(K, big, big), TooLargeError, "at most"),
        ("grad-ragged", lambda: L.white_noise_grad(K, [[1.0], [1.0, 2.0]], [1.0]), SpecError,
         "ragged"),
        ("flow-lr-nan", lambda: L.gradient_flow(K, [0.0], [1.0], lr=float("nan")), SpecError,
         "finite number"),
        ("flow-lr-bool", lambda: L.gradient_flow(K, [0.0], [1.0], lr=True), SpecError,
         "finite number"),
        ("flow-diverge-factor", lambda: L.gradient_flow(K, [0.0], [1.0], diverge_factor=0.5),
         SpecError, "diverge_factor"),
        ("flow-param", lambda: L.gradient_flow(K, [0.0], [1.0], param="softmax"), SpecError,
         "param must be one of"),
        ("flow-steps-huge", lambda: L.gradient_flow(K, [0.0], [1.0], steps=10 ** 12),
         TooLargeError, "max_steps"),
        ("project-inf-rate", lambda: L.project(K, [1e400]), SpecError, "finite numbers"),
        ("project-huge", lambda: L.project(K, list(range(1, 10 ** 6))), TooLargeError,
         "at most"),
        ("l1-bracket-nan", lambda: L.l1_bracket(K, [np.nan]), SpecError, "finite numbers"),
        ("l1-bracket-100", lambda: L.l1_bracket(K, np.arange(1.0, 101.0)), TooLargeError,
         "> 64"),
        ("l1-uniform-lam", lambda: l1_bracket_uniform(K, -1.0, 3), SpecError, "lam"),
        ("bestsum-41", lambda: L.best_exponential_sum(K, 41), TooLargeError, "at most 40"),
        ("rate-grid-huge", lambda: L.rate_grid(10 ** 9), TooLargeError, "10000"),
        ("rate-grid-lo-nan", lambda: L.rate_grid(3, "geometric", lo=float("nan")), SpecError,
         "finite number"),
        ("plateau-shapes", lambda: L.plateau_times([1.0, 2.0], [1.0]), SpecError,
         "same length"),
        ("plateau-hysteresis", lambda: L.plateau_times([1.0, 2.0], [1.0, 1.0], enter=0.1,
                                                       leave=0.5), SpecError, "leave < enter"),
        ("plateau-times-nan", lambda: L.plateau_times([1.0, np.nan], [1.0, 1.0]), SpecError,
         "finite"),
        ("start-seed", lambda: L.initial_point(3, seed=-1), SpecError, "integer >= 0"),
        ("start-huge", lambda: random_point(10 ** 7), TooLargeError, "exceeds"),
        ("dataset-huge", lambda: L.linear_functional_dataset(K, 10 ** 6, 10 ** 6),
         TooLargeError, "max_entries"),
        ("discrete-kernel-dt", lambda: L.discrete_kernel(K, 10, float("nan")), SpecError,
         "finite number"),
        ("smooth-float", lambda: L.smooth(1.5), SpecError, "integer"),
        ("parse-number", lambda: L.parse_kernel(123), SpecError, "kernel must be text"),
        ("rnn-kernel-nan", lambda: L.rnn_kernel([[np.nan]], [1.0], [1.0], [0.0]), SpecError,
         "finite"),
        ("exp-sum-huge", lambda: L.exp_sum(np.ones(10 ** 4), np.ones(10 ** 4),
                                           np.zeros(10 ** 5)), TooLargeError, "too large"),
        ("l1-error-points", lambda: L.l1_error(K, [1.0], [1.0], points=10 ** 9),
         TooLargeError, "too large"),
        ("store-not-json", lambda: _store.load_result(__file__, "memory-rates"), SpecError,
         "not a valid JSON"),
    ]


def _setup_files(folder: Path):
    from tnrnn.linear_rnn._store import new_result, save_result

    save_result(folder / "other.json", new_result("memory-train", {}))
    (folder / "corrupt.json").write_text("{not json")
    (folder / "empty.json").write_text("")
    save_result(folder / "train.json", new_result("memory-train", {"steps": 1}))
    (folder / "adir").mkdir()
    (folder / "bad").mkdir()
    (folder / "bad" / "memory-rates.json").write_text("[1, 2")


def run_cli_case(args, folder):
    import os

    from click.testing import CliRunner

    from tnrnn.cli import cli

    old = os.getcwd()
    os.chdir(folder)
    try:
        t = time.perf_counter()
        res = CliRunner().invoke(cli, ["memory", *args])
        return res, time.perf_counter() - t
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("edges")
    _setup_files(d)
    return d


@pytest.mark.parametrize("cid, args, match", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_refuses_with_one_line(cid, args, match, files):
    res, secs = run_cli_case(args, files)
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert match in lines[0]
    assert secs < 60


@pytest.mark.parametrize("case", _api_cases(), ids=[c[0] for c in _api_cases()])
def test_api_refuses(case):
    cid, fn, cls, match = case
    t = time.perf_counter()
    with pytest.raises(cls, match=match) as exc:
        fn()
    assert isinstance(exc.value, TnrnnError)
    assert "\n" not in str(exc.value)
    if isinstance(exc.value, TooLargeError):
        assert exc.value.estimate is not None and exc.value.limit is not None
    assert time.perf_counter() - t < 30


def test_valid_edges_give_right_numbers():
    """Valid but unusual inputs: answers checked against closed forms."""
    from tnrnn.linear_rnn import gradient_flow, white_noise_loss

    # a = 0: the loss is ||rho||^2 = 1/2 + 1/2 + 2 <e^-t, e^-(t-2) 1[t>2]>, and the cross
    # term is int_2^inf e^-t e^-(t-2) dt = e^2 e^-4 / 2, so ||rho||^2 = 1 + e^-2
    assert white_noise_loss(K, [0.0], [1.0]) == pytest.approx(1.0 + np.exp(-2.0), rel=1e-14)
    # lr = 100 on the rates: diverged, said so, last finite parameters returned
    r = gradient_flow(K, [0.0, 0.0, 0.0], [0.9, 1.0, 1.1], lr=100.0, steps=1000, chunk=100)
    assert r.diverged and r.info["diverged"]["reason"]
    assert np.all(np.isfinite(r.loss)) or not np.isfinite(r.loss[-1])
    assert np.all(r.w > 0)
    # log rates: the same step stays finite or is marked diverged, never a silent blow-up
    r = gradient_flow(K, [0.0, 0.0, 0.0], [0.9, 1.0, 1.1], lr=100.0, steps=1000, chunk=100,
                      param="log")
    assert r.diverged or r.loss[-1] <= 1e3 * 1.1


def test_table_is_current():
    table = json.loads(TABLE.read_text())
    ids = [c[0] for c in CLI_CASES] + [c[0] for c in _api_cases()]
    assert [c["id"] for c in table["cases"]] == ids
    assert len(ids) >= 40
    assert table["counts"] == {"wrong_numbers": 0, "tracebacks": 0, "hangs": 0,
                               "memory_blowups": 0, "clear_errors": len(ids)}


def _make_table():  # pragma: no cover - run by hand: python tests/test_edges_memory.py
    import tempfile
    import tracemalloc

    cases, counts = [], {"wrong_numbers": 0, "tracebacks": 0, "hangs": 0,
                         "memory_blowups": 0, "clear_errors": 0}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        _setup_files(d)
        for cid, args, match in CLI_CASES:
            tracemalloc.start()
            res, secs = run_cli_case(args, d)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            ok = (res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: ")
                  and match in lines[0])
            kind = ("clear_errors" if ok else "tracebacks" if "Traceback" in res.output
                    or res.exception and not isinstance(res.exception, SystemExit)
                    else "wrong_numbers")
            if secs > 60:
                kind = "hangs"
            if peak > 2 ** 30:
                kind = "memory_blowups"
            counts[kind] += 1
            cases.append({"id": cid, "input": "tnrnn memory " + " ".join(args),
                          "answer": lines[0] if lines else res.output[-200:], "class": kind,
                          "seconds": round(secs, 2), "peak_MiB": round(peak / 2 ** 20, 1)})
        for cid, fn, cls, match in _api_cases():
            tracemalloc.start()
            t = time.perf_counter()
            try:
                fn()
                kind, ans = "wrong_numbers", "returned a value"
            except TnrnnError as exc:
                ok = isinstance(exc, cls) and match in str(exc)
                kind, ans = ("clear_errors" if ok else "wrong_numbers"), \
                    f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # noqa: BLE001
                kind, ans = "tracebacks", f"{type(exc).__name__}: {exc}"
            secs = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            if secs > 60:
                kind = "hangs"
            if peak > 2 ** 30:
                kind = "memory_blowups"
            counts[kind] += 1
            cases.append({"id": cid, "input": "python API (see tests/test_edges_memory.py)",
                          "answer": ans[:300], "class": kind, "seconds": round(secs, 2),
                          "peak_MiB": round(peak / 2 ** 20, 1)})
    TABLE.write_text(json.dumps({
        "what": "bad inputs to tnrnn memory and tnrnn.linear_rnn (issue 18, memory part)",
        "command": "python tests/test_edges_memory.py", "counts": counts, "cases": cases},
        indent=1) + "\n")
    print(counts)


if __name__ == "__main__":  # pragma: no cover
    _make_table()
