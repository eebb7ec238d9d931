"""The rank and demo commands at the edges (issue 9): every rank states what
it proves, small primes are refused, certificates are re-derived, sizes are
refused up front, output paths are checked before work; --weights end to end
(issue 10)."""
import json
import time

import numpy as np
import pytest
from click.testing import CliRunner

from tnrnn.circuit import RAC, init_params, save_params
from tnrnn.cli import cli


def run(*args, ok=True):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def run_json(*args):
    return json.loads(run(*args, "--json").output)


def error_line(res, code=2):
    assert res.exit_code == code, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    return lines[0]


# ------------------------------------------------ wrong numbers: small primes
@pytest.mark.parametrize("prime", [2, 3, 5, 7, 11, 31, 101])
def test_small_primes_are_refused_with_the_minimum(prime):
    line = error_line(run("rank", "-L", 3, "-R", 3, "-M", 3, "-T", 6, "--prime", prime,
                          ok=False))
    assert f"prime={prime} is too small to certify a rank" in line
    assert "use a prime >= 210,853" in line


def test_default_prime_states_its_failure_probability():
    d = run_json("rank", "-L", 3, "-R", 3, "-M", 3, "-T", 6)
    assert d["rank"] == 759 and d["relation"] == "="
    assert d["certainty"] == "probabilistic" and 0 < d["failure_probability"] <= 1e-6
    assert d["claim"].startswith("= 759 (failure probability <= ")
    assert d["certificate"]["failure_probability"] == d["failure_probability"]
    assert len(d["repetitions"]) >= 1


def test_equal_to_proven_upper_bound_is_certain():
    d = run_json("rank", "-L", 1, "-R", 3, "-M", 3, "-T", 6)
    assert d["claim"] == "= 3 (certain: equals the proven upper bound)"
    assert d["certain"] and d["failure_probability"] == 0.0


def test_unreachable_threshold_prints_a_lower_bound():
    res = run("rank", "-L", 3, "-R", 2, "-M", 2, "-T", 6, "--max-failure", "1e-300",
              "--no-progress")
    assert ">= 52 (the failure-probability bound" in res.output
    assert "is above max_failure=1e-300" in res.output
    d = run_json("rank", "-L", 3, "-R", 2, "-M", 2, "-T", 6, "--max-failure", "1e-300")
    assert d["relation"] == ">=" and d["failure_probability"] > 1e-300


@pytest.mark.parametrize("value", ["0", "2", "nan", "-1"])
def test_max_failure_must_be_a_probability(value):
    line = error_line(run("rank", "-L", 1, "--max-failure", value, ok=False))
    assert "max_failure must be a probability in (0, 1]" in line


# -------------------------------------------------------- certificates
def test_certificate_partition_name_is_checked(tmp_path):
    cert = tmp_path / "c.json"
    run("rank", "-L", 2, "-R", 2, "-M", 2, "-T", 6, "--partition", "odd-even", "--save",
        cert, "--no-progress")
    data = json.loads(cert.read_text())
    data["partition"]["name"] = "start-end"
    cert.write_text(json.dumps(data))
    line = error_line(run("rank", "--check", cert, ok=False))
    assert "certificate partition name 'start-end' does not match its sides A=[1, 3, 5]" in line


@pytest.mark.parametrize("edit,match", [
    (lambda d: d.update(n_A=20000, n_B=20000), "is not a size of the search schedule"),
    (lambda d: d.update(n_A=10**7, n_B=10**7), "is not a size of the search schedule"),
    (lambda d: d["spec"].update(hidden=10**6), "need"),
    (lambda d: d.update(failure_probability=1e-30), "states failure_probability"),
    (lambda d: d.update(certainty="upper-bound"), "claims certainty 'upper-bound'"),
])
def test_absurd_or_edited_certificates_are_refused_fast(tmp_path, edit, match):
    cert = tmp_path / "c.json"
    run("rank", "-L", 3, "-R", 2, "-M", 2, "-T", 6, "--save", cert, "--no-progress")
    data = json.loads(cert.read_text())
    edit(data)
    cert.write_text(json.dumps(data))
    t0 = time.perf_counter()
    line = error_line(run("rank", "--check", cert, ok=False))
    assert time.perf_counter() - t0 < 30
    assert match in line


def test_huge_spec_in_certificate_is_refused_before_allocation(tmp_path):
    cert = tmp_path / "c.json"
    run("rank", "-L", 2, "-R", 2, "-M", 2, "-T", 4, "--save", cert, "--no-progress")
    data = json.loads(cert.read_text())
    data["spec"]["hidden"] = 10**6
    data["upper_bound"] = None
    data["max_samples"] = 4096
    cert.write_text(json.dumps(data))
    line = error_line(run("rank", "--check", cert, ok=False))
    assert "GiB" in line or "not a size of the search schedule" in line


# ------------------------------------------------------ sizes and paths
def test_huge_width_is_refused_with_the_estimate():
    line = error_line(run("rank", "-R", 1000000, "-T", 4, ok=False))
    assert "GiB (estimate); the limit is max_memory=8.00 GiB" in line
    assert "--max-memory" in line


def test_long_search_is_refused_up_front_with_the_option():
    t0 = time.perf_counter()
    line = error_line(run("rank", "-L", 2, "-R", 200, "-M", 3, "-T", 8, ok=False))
    assert time.perf_counter() - t0 < 30
    assert "the rank search may take up to about" in line and "--max-seconds" in line
    line = error_line(run("rank", "--max-samples", 1000000000, "-L", 3, "-R", 3, "-M", 3,
                          "-T", 10, "--max-seconds", 5, ok=False))
    assert "8,568 x 8,568 sample matrix" in line


def test_save_path_checked_before_computing(monkeypatch):
    import tnrnn.rank

    def never(*args, **kwargs):
        raise AssertionError("the rank ran before the --save path was checked")

    monkeypatch.setattr(tnrnn.rank, "separation_rank", never)
    line = error_line(run("rank", "-L", 3, "-R", 3, "-M", 3, "-T", 8, "--save",
                          "/nonexistent/dir/c.json", ok=False))
    assert "--save: cannot write '/nonexistent/dir/c.json'" in line


def test_output_of_a_multi_output_circuit():
    a = run_json("rank", "-L", 2, "-R", 2, "-M", 2, "-T", 4, "-K", 2, "--output", 1)
    assert a["output"] == 1 and a["certificate"]["output"] == 1
    line = error_line(run("rank", "-L", 2, "-K", 2, "--output", 2, ok=False))
    assert "output must be an integer in [0, 2) (the spec has K=2 outputs); got 2" in line


def test_negative_seed_is_refused():
    line = error_line(run("rank", "-L", 1, "--seed", -1, ok=False))
    assert "seed must be a non-negative integer; got -1" in line


# -------------------------------------------------------------- --weights
def test_weights_end_to_end(tmp_path):
    spec = RAC(1, 4, 3, 8)
    p = init_params(spec, seed=2)
    a, b = np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.25, 1.0, -1.0, 2.0])
    w = save_params(tmp_path / "w.npz", spec, p._replace(W_H=(np.outer(a, b),)))
    cert = tmp_path / "c.json"
    d = run_json("rank", "-L", 1, "-R", 4, "-M", 3, "-T", 8, "--weights", w, "--save", cert)
    assert d["rank"] == 1 and d["relation"] == "=" and d["weights"]
    again = run_json("rank", "--check", cert, "--weights", w)
    assert again["rank"] == 1 and again["checked"]
    line = error_line(run("rank", "--check", cert, ok=False))
    assert "made with given weights" in line
    line = error_line(run("rank", "-L", 2, "-R", 4, "-M", 3, "-T", 8, "--weights", w,
                          ok=False))
    assert "lacks the arrays W_H2, W_I2" in line


# ------------------------------------------------------------------- demo
@pytest.mark.parametrize("depth,match", [
    (0, "--max-depth must be an integer >= 1; got 0"),
    (10, "--max-depth must be an integer in 1..6; got 10"),
])
def test_demo_refuses_depths(depth, match, tmp_path):
    line = error_line(run("demo", "--max-depth", depth, "--out", tmp_path / "o", ok=False))
    assert match in line


def test_demo_out_checked_before_work():
    t0 = time.perf_counter()
    line = error_line(run("demo", "--out", "/nonexistent/dir/o", ok=False))
    assert time.perf_counter() - t0 < 30
    assert "--out: cannot create '/nonexistent/dir/o'" in line


def test_demo_conclusion_follows_the_numbers(tmp_path):
    res = run("demo", "-M", 1, "-R", 1, "-T", 2, "--no-progress", "--out", tmp_path / "o")
    assert "multiplies" not in res.output and "expresses more" not in res.output
    assert "adds nothing over depth 1 here (both 1)" in res.output
    res = run("demo", "-M", 2, "-R", 2, "-T", 4, "--max-depth", 2, "--no-progress",
              "--out", tmp_path / "o2")
    assert "depth 2 expresses more than depth 1" in res.output
    assert "= 2 (certain: equals the proven upper bound)" in res.output


def test_demo_lower_bound_is_not_called_exact(tmp_path):
    res = run("demo", "-T", 20, "--max-depth", 3, "--max-samples", 64, "--no-progress",
              "--out", tmp_path / "o")
    assert ">= 64" in res.output and "not settled" not in res.output.split("answer:")[0]
    assert "certain lower bounds only" in res.output
    assert "every rank is exact" not in res.output
