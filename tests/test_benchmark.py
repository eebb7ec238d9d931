"""Tests of the contraction benchmarks (tnrnn.benchmark).

No wall-clock assertion here (habit 11): the smoke run checks the files it
writes and that every engine's result was compared with the recurrence;
exact FLOP counts are checked against closed forms worked out below by hand.
The quick suite runs under ``-m slow``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from tnrnn.benchmark import (
    ENGINES,
    Settings,
    benchmark_problem,
    log_abs_outputs,
    markdown_report,
    one_hot_sequences,
    recurrence_flops,
    run_benchmarks,
    settings_for,
    unit_order_flops,
    unit_order_path,
)
from tnrnn.circuit import RAC, evaluate, init_params
from tnrnn.compile import compile_network
from tnrnn.contract import network_view, path_cost
from tnrnn.errors import SpecError

from conftest import tolerance


# ------------------------------------------------------------ the smoke run
@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    seen = []
    res = run_benchmarks(out / "results", smoke=True, figure_dir=out / "figures",
                         progress=lambda d, t, label: seen.append((d, t, label)))
    return res, seen


def test_smoke_run_writes_json_markdown_and_figure(smoke):
    res, seen = smoke
    assert set(res) == {"json", "markdown", "figure", "results"}
    assert res["json"].name == "contract-smoke.json"
    assert res["markdown"].name == "contract-smoke.md"
    assert res["figure"].name == "bench_cost_vs_T-smoke.png"
    assert res["figure"].with_suffix(".svg").stat().st_size > 0
    data = json.loads(res["json"].read_text())
    assert data == json.loads(json.dumps(res["results"], default=list))
    assert data["benchmark"] == "contract" and data["mode"] == "smoke"
    for key in ("machine", "matmul", "settings", "engines", "workloads", "summary",
                "tolerance", "flop_convention", "elapsed_s", "created"):
        assert key in data
    m = data["machine"]
    for key in ("cpu", "cores", "memory_bytes", "platform", "versions", "gpu"):
        assert key in m
    assert m["gpu"].startswith("none")
    assert {"python", "numpy", "jax"} <= set(m["versions"])
    assert data["matmul"]["peak_gflops"] == max(
        r["gflops"] for e in ("numpy", "jax") for r in data["matmul"][e])
    assert {w["kind"] for w in data["workloads"]} == {"output", "grid"}
    # progress: one tick per point plus the matmul rate, counted up to total
    assert [d for d, _, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][0] == seen[-1][1]
    md = res["markdown"].read_text()
    assert "**GPU**: none" in md and "## Targets" in md
    assert "| T | tensors | tnrnn |" in md
    assert "(0." in md or "(1." in md or "(2." in md  # ratio cells


def test_smoke_run_checked_every_engine_against_the_recurrence(smoke):
    data = smoke[0]["results"]
    expected = set(settings_for("smoke").engines)
    for w in data["workloads"]:
        assert w["points"], w["stopped"]
        for p in w["points"]:
            ran = set(p["engines"])
            want = expected - ({"tnrnn-batch"} if w["kind"] == "output" else set())
            assert ran == want
            for name, rec in p["engines"].items():
                assert rec["status"] == "ok", (name, rec)
                assert rec["checked"] is True
                assert rec["checked_against"] == "recurrence-numpy"
                assert rec["max_rel_err"] <= 1e-9
                assert rec["repeat"] == settings_for("smoke").repeat
                assert rec["median_s"] > 0 and rec["first_s"] > 0
                assert isinstance(rec["flops"], int) and rec["flops"] > 0
            # closed forms recorded beside the measured paths
            spec_batch = p["batch"]
            assert p["flops"]["recurrence"] == recurrence_flops(
                RAC(w["depth"], w["hidden"], w["input_dim"], p["T"]), spec_batch)


def test_smoke_summary_has_the_target_ratios(smoke):
    summ = smoke[0]["results"]["summary"]
    assert summ["ratio_vs_best_other"]["output"]["points"] == 2
    assert summ["ratio_vs_best_other"]["grid"]["points"] == 1
    assert summ["flops_vs_cotengra"]["output"]["points"] == 2
    assert summ["flops_vs_cotengra"]["grid"]["points"] == 1
    for entry in summ["per_point"]:
        assert "ratio_vs_best_other" in entry and "flops_vs_cotengra" in entry
        assert set(entry["ratio"]) >= {"tnrnn-numpy", "cotengra", "recurrence-numpy"}
        others = [entry["ratio"][e] for e in ("tnrnn-numpy", "tensornetwork-jax", "cotengra")]
        assert entry["ratio_vs_best_other"] == pytest.approx(max(others))


# ------------------------------------------------------------- closed forms
def test_recurrence_flops_by_hand():
    """Per layer and step: ``h W_H^T`` 2NR^2, ``below W_I^T`` 2NRd, Hadamard
    NR; read-out 2NKR.

    RAC(1, R=2, M=3, T=4), N=5: step 2*4 + 2*2*3 + 2 = 22; 4*22 + 2*2 = 92;
    times 5 = 460.
    RAC(2, R=3, M=2, T=4), N=5: layer 1: 18 + 12 + 3 = 33; layer 2:
    18 + 18 + 3 = 39; 4 * 72 + 6 = 294; times 5 = 1470.
    RAC(3, R=2, M=2, T=3, K=2), N=1: every layer 8 + 8 + 2 = 18 per step,
    3 layers, 3 steps: 162; read-out 2 * 2 * 2 = 8.
    """
    assert recurrence_flops(RAC(1, 2, 3, 4), 5) == 460
    assert recurrence_flops(RAC(2, 3, 2, 4), 5) == 1470
    assert recurrence_flops(RAC(3, 2, 2, 3, outputs=2), 1) == 3 * 54 + 8


@pytest.mark.parametrize("spec, batch, flops", [
    # L=1, R=2, M=3, T=4, N=5: T(2NRM + NR) + (T-1) 2NR^2 + 2R^2 + 2NKR
    #   = 4 (60 + 10) + 3 * 40 + 8 + 20 = 428
    (RAC(1, 2, 3, 4), 5, 428),
    # L=2, R=3, M=2, T=4, N=5. Layer 1: n = C(5, 2) = 10 copies, s = C(4, 1)
    # = 4 at t = 1: 10 (60 + 15) + 6 * 90 + 4 * 18 = 1362. Layer 2: n =
    # C(4, 1) = 4, s = 1: 4 (90 + 15) + 3 * 90 + 18 = 708. Read-out 30.
    (RAC(2, 3, 2, 4), 5, 2100),
    # L=3, R=2, M=3, T=5, N=7. Layer 1: n = C(7, 3) = 35, s = C(6, 2) = 15:
    # 35 (84 + 14) + 20 * 56 + 15 * 8 = 4670. Layer 2: n = C(6, 2) = 15,
    # s = C(5, 1) = 5: 15 (56 + 14) + 10 * 56 + 5 * 8 = 1650. Layer 3:
    # n = 5, s = 1: 5 * 70 + 4 * 56 + 8 = 582. Read-out 2 * 7 * 2 = 28.
    (RAC(3, 2, 3, 5), 7, 6930),
    # N = 1, M = R = 4, L = 2, T = 9: layer 1: n = 45, s = 9:
    # 45 (32 + 4) + 36 * 32 + 9 * 32 = 3060; layer 2: n = 9, s = 1:
    # 9 * 36 + 8 * 32 + 32 = 612; read-out 8.
    (RAC(2, 4, 4, 9), 1, 3680),
])
def test_unit_order_flops_by_hand(spec, batch, flops):
    """The unit order (tnrnn.benchmark._costs docstring): per unit copy ``W_I`` with
    what is below (2NRd), ``W_H`` with the previous state (2NR^2, or 2R^2
    from h0), Hadamard (NR); n_l = C(T+L-l, L-l+1) copies of layer l, of
    which s_l = C(T-1+L-l, L-l) at t = 1; read-out 2NKR. Both the closed form
    and the exact cost of the path built on the network must equal the
    numbers worked out by hand above."""
    assert unit_order_flops(spec, batch) == flops
    net = compile_network(spec)
    v = network_view(net, batch=batch)
    assert path_cost(v.inputs, v.output, v.size_dict, unit_order_path(net)).flops == flops


def test_unit_order_path_computes_the_circuit():
    import opt_einsum

    from tnrnn.compile import tensor_arrays

    spec = RAC(3, 2, 2, 4)
    net = compile_network(spec)
    p = init_params(spec, seed=3)
    X = np.random.default_rng(4).standard_normal((6, 4, 2))
    v = network_view(net, batch=6)
    arrays = tensor_arrays(net, spec, p)
    ops = [arrays[w] if k == "tensor" else X[:, w - 1] for k, w in v.sources]
    names = {ix: opt_einsum.get_symbol(i) for i, ix in enumerate(v.size_dict)}
    eq = ",".join("".join(names[i] for i in t) for t in v.inputs) + "->" + \
        "".join(names[i] for i in v.output)
    y = opt_einsum.contract(eq, *ops, optimize=unit_order_path(net))
    np.testing.assert_allclose(y, evaluate(spec, p, X), **tolerance(np.float64))


@pytest.mark.parametrize("L, R, T, N", [(2, 3, 7, 5), (3, 4, 40, 11), (4, 2, 9, 1)])
def test_duplication_gap_in_closed_form(L, R, T, N):
    """With M = R every unit costs c = 2R^2 + 2R^2 + R per sequence, except
    the 2R^2 of ``W_H h0`` done once for the batch at t = 1. There are
    C(T+L, L) - 1 unit copies, C(T+L-1, L-1) of them at t = 1 (hockey-stick
    sum of s_l), so F_unit = N c (C(T+L, L) - 1) - C(T+L-1, L-1) (2NR^2 -
    2R^2) + 2NKR, against F_rec = N (T L c + 2KR): the gap tends to
    (C(T+L, L) - 1) / (T L), the copies per unit."""
    spec = RAC(L, R, R, T)
    c = 4 * R * R + R
    copies, first = math.comb(T + L, L) - 1, math.comb(T + L - 1, L - 1)
    assert unit_order_flops(spec, N) == N * c * copies - first * (2 * N * R * R - 2 * R * R) + 2 * N * R
    assert recurrence_flops(spec, N) == N * (T * L * c + 2 * R)


def test_duplication_gap_tends_to_the_copy_count():
    spec = RAC(3, 4, 4, 400)
    ratio = unit_order_flops(spec, 10**6) / recurrence_flops(spec, 10**6)
    assert abs(ratio / ((math.comb(403, 3) - 1) / 1200) - 1) < 0.005


def test_unit_order_refuses_the_core_form():
    net = compile_network(RAC(1, 2, 2, 3), form="core")
    with pytest.raises(SpecError, match="form 'cp'"):
        unit_order_path(net)


# ------------------------------------------------------------------- inputs
def test_one_hot_sequences_are_lexicographic():
    S = one_hot_sequences(3, 2)
    assert S.shape == (8, 3, 2)
    assert S[5].argmax(axis=1).tolist() == [1, 0, 1]
    assert (S.sum(axis=2) == 1).all()


@pytest.mark.parametrize("spec", [RAC(1, 8, 8, 2048), RAC(2, 8, 8, 128), RAC(3, 8, 8, 40)],
                         ids=lambda s: f"L{s.depth}-T{s.length}")
def test_benchmark_problem_keeps_values_in_float64_range(spec):
    params, X, delta = benchmark_problem(spec, "output", 64)
    logy = log_abs_outputs(spec, params, X)
    assert np.all(np.isfinite(logy)) and logy.max() - logy.min() < 40
    y = evaluate(spec, params, X)
    assert np.all(np.isfinite(y)) and np.all(np.abs(y) > 1e-280)
    # the log recurrence agrees with the plain one where both are finite
    np.testing.assert_allclose(np.log(np.abs(y).max(axis=1)), logy, rtol=1e-9, atol=1e-9)
    assert 0 < delta <= 0.5


def test_grid_problem_is_every_one_hot_sequence():
    spec = RAC(2, 3, 2, 4)
    params, X, _ = benchmark_problem(spec, "grid", 0)
    assert X.shape == (16, 4, 2)
    np.testing.assert_array_equal(X, one_hot_sequences(4, 2))


# ----------------------------------------------------------- refusals, API
def test_unknown_mode():
    with pytest.raises(SpecError, match="mode must be one of"):
        settings_for("huge")


def test_bad_settings_type(tmp_path):
    with pytest.raises(SpecError, match="settings must be a Settings"):
        run_benchmarks(tmp_path, smoke=True, settings={"repeat": 1}, figure_dir=None)


def test_limits_refuse_up_front_with_the_estimate(tmp_path):
    base = settings_for("smoke")
    s = dataclasses.replace(
        base, output=((2, 2, 2, 4, (3, 30)), (1, 2, 2, 4, (3, 5, 7))),
        grid=((1, 2, 2, None, (3, 40)),),
        engines=("tnrnn", "recurrence-numpy"), max_tensors=200, repeat=1,
        budget_s=1e-9, matmul_sizes=(64,), matmul_repeat=1)
    res = run_benchmarks(tmp_path, smoke=True, settings=s, figure_dir=None)
    assert res["figure"] is None
    size, time_, memory = res["results"]["workloads"]
    assert size["stopped"]["kind"] == "size" and size["stopped"]["T"] == 30
    assert size["stopped"]["estimate"] == 3 * (math.comb(32, 2) - 1) + math.comb(31, 1) + 1
    assert size["stopped"]["limit"] == 200 and size["largest_T"] == 3
    # every engine has a history after T=3; with a zero budget T=5 is refused
    assert time_["stopped"]["kind"] == "time" and time_["stopped"]["T"] == 5
    rec = time_["points"][-1]["engines"]["tnrnn"]
    assert rec["status"] == "refused" and rec["estimate_s"] > rec["budget_s"]
    assert time_["largest_T"] == 3
    assert memory["stopped"]["kind"] == "memory" and memory["stopped"]["T"] == 40
    md = res["markdown"].read_text()
    assert "stopped at T=30" in md and "stopped at T=40" in md and "refused (est." in md


def test_settings_modes_are_nested_in_size():
    smoke, quick, full = (settings_for(m) for m in ("smoke", "quick", "full"))
    assert isinstance(full, Settings)
    assert smoke.max_tensors < quick.max_tensors < full.max_tensors
    assert set(full.engines) == set(ENGINES)


def test_markdown_report_is_pure(smoke):
    data = smoke[0]["results"]
    assert markdown_report(data) == smoke[0]["markdown"].read_text()


def test_importing_the_benchmark_loads_no_jax_or_matplotlib():
    code = ("import sys, tnrnn.benchmark; "
            "print(sorted(m for m in ('jax', 'matplotlib', 'tensornetwork', "
            "'cotengra', 'quimb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------- quick suite
@pytest.mark.slow
def test_quick_suite(tmp_path):
    res = run_benchmarks(tmp_path, quick=True, figure_dir=tmp_path)
    data = res["results"]
    assert data["mode"] == "quick"
    for w in data["workloads"]:
        for p in w["points"]:
            for rec in p["engines"].values():
                assert rec["status"] in ("ok", "refused", "absent"), rec
                if rec["status"] == "ok":
                    assert rec["checked"] and rec["max_rel_err"] <= 1e-9
    assert data["summary"]["flops_vs_cotengra"]["output"]["within_1.5x"]


# ------------------------------------- the per-call changes to tnrnn.contract
def test_program_key_is_hashed_once_and_compares_by_program():
    from tnrnn.contract import plan_contraction

    net = compile_network(RAC(2, 2, 2, 4))
    plan = plan_contraction(net, batch=3)
    assert plan.program_key is plan.program_key
    other = plan_contraction(compile_network(RAC(2, 2, 2, 4)), batch=3)
    assert other is not plan and other.program_key == plan.program_key
    assert hash(other.program_key) == hash(plan.program)
    # the batch size is not part of the program (JAX specialises per shape)
    assert plan.program_key == plan_contraction(net, batch=4).program_key
    assert plan.program_key != plan_contraction(compile_network(RAC(2, 2, 2, 5)),
                                                batch=3).program_key
    assert plan.program_key != plan.program


@pytest.mark.parametrize("engine", ["jax", "numpy"])
def test_slot_arrays_give_the_same_result_as_every_array(engine):
    """contract_network builds only the arrays the plan reads; the engine fed
    with every tensor's array must give the very same numbers."""
    from tnrnn.compile import tensor_arrays
    from tnrnn.contract import contract_network, get_engine
    from tnrnn.contract.paths import greedy_path

    spec = RAC(3, 2, 3, 5, outputs=2)
    net, p = compile_network(spec), init_params(spec, seed=5)
    X = np.random.default_rng(6).standard_normal((4, 5, 3))
    full = get_engine(engine)(net, tensor_arrays(net, spec, p), X)
    np.testing.assert_array_equal(contract_network(net, spec, p, X, engine=engine), full)
    # a callable finder (not cached) takes the route with every array
    y = contract_network(net, spec, p, X, engine=engine, optimize=greedy_path)
    np.testing.assert_allclose(y, evaluate(spec, p, X), **tolerance(np.float64))


def test_results_json_follows_the_shared_convention(tmp_path, monkeypatch):
    """NaN is written as null and the infinities as "inf"/"-inf" (standard JSON, as
    every tnrnn writer does), numpy scalars as numbers; the file is written
    atomically (no temporary file left beside it)."""
    from tnrnn.benchmark import _run

    def fake_sweep(kind, cfg, settings, peak, tick):
        return {"kind": kind, "depth": np.int64(2), "points": [], "stopped": "faked",
                "ratio": (np.float64("nan"), float("inf"), -np.inf)}

    monkeypatch.setattr(_run, "_sweep", fake_sweep)
    monkeypatch.setattr(_run, "matmul_rates",
                        lambda *a: {"peak_gflops": np.float32(2.5), "numpy": [], "jax": []})
    monkeypatch.setattr(_run, "markdown_report", lambda results: "# report\n")
    res = run_benchmarks(tmp_path, smoke=True, figure_dir=None)
    text = res["json"].read_text()

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    data = json.loads(text, parse_constant=refuse)
    for w in data["workloads"]:
        assert w["ratio"] == [None, "inf", "-inf"] and w["depth"] == 2
    assert data["matmul"]["peak_gflops"] == 2.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contract-smoke.json",
                                                         "contract-smoke.md"]
    assert res["markdown"].read_text() == "# report\n"
