"""The command-line interface: JSON contracts, help, errors (exit 2, no traceback)."""
import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tnrnn.cli import cli
from tnrnn.compile import input_copies


def run(*args, ok=True):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def run_json(*args):
    return json.loads(run(*args).stdout)


def test_help_for_every_command():
    top = run("--help").output
    for cmd in ("compile", "bounds", "rank", "table", "draw", "demo", "grid"):
        assert cmd in top
        text = run(cmd, "--help").output
        assert "Example" in text or cmd == "demo"
        assert "--help" in text


def test_compile_json_keys_and_counts():
    d = run_json("compile", "-L", "2", "-R", "3", "-M", "3", "-T", "6", "--json")
    for key in ("tensors", "bonds", "units", "input_leaves", "max_bond"):
        assert key in d
    assert d["units"] == math.comb(6 + 2, 2) - 1
    assert d["input_leaves"] == {str(t): input_copies(6, 2, t) for t in range(1, 7)}
    assert d["max_bond"] == 3
    c = d["contraction_cost"]
    # the plan runs fewer steps and FLOPs than the duplicated network's path
    assert c["executed_steps"] < c["path_steps"] and c["executed_flops"] < c["flops"]
    assert d["bonds"] == d["tensors"] - 1  # a tree
    assert d["contraction_cost"]["flops"] > 0


def test_compile_ttrnn_is_mps():
    d = run_json("compile", "--arch", "ttrnn", "-R", "2", "-M", "3", "-T", "5", "--json")
    assert d["kinds"] == {"W_O": 1, "core": 5, "h0": 1}
    assert d["input_leaves"] == {str(t): 1 for t in range(1, 6)}


def test_bounds_json_schema_matches_api():
    from tnrnn.bounds import all_bounds
    from tnrnn.circuit import RAC

    d = run_json("bounds", "-L", "2", "-R", "3", "-M", "3", "-T", "8", "--json")
    assert d["spec"]["depth"] == 2 and d["spec"]["length"] == 8
    assert d["partition"]["A"] == [1, 2, 3, 4] and d["partition"]["B"] == [5, 6, 7, 8]
    assert d["inputs"] == "continuous"
    api = {b.name: b.value for b in all_bounds(RAC(2, 3, 3, 8))}
    assert {b["name"]: b["value"] for b in d["bounds"]} == api
    for b in d["bounds"]:
        assert set(b) >= {"name", "kind", "value", "log2", "status", "holds_for"}
        assert b["kind"] in ("upper", "lower")
        assert isinstance(b["value"], int)
        assert b["log2"] == pytest.approx(math.log2(b["value"]), abs=1e-5)


def test_bounds_symbolic_and_partitions():
    d = run_json("bounds", "-L", "2", "-T", "8", "--symbolic", "--json")
    assert "R*binomial(R + T/2 - 1, T/2)" in d["symbolic"]["forms"].values()
    d = run_json("bounds", "-L", "2", "-T", "7", "--partition", "A:1,2,5", "--json")
    assert d["partition"]["A"] == [1, 2, 5]
    d = run_json("bounds", "-L", "2", "-T", "6", "--partition", "odd-even", "--json",
                 "--inputs", "one-hot")
    assert d["inputs"] == "one-hot"


def test_rank_json_and_certificate_round_trip(tmp_path):
    cert = tmp_path / "cert.json"
    d = run_json("rank", "-L", "2", "-R", "2", "-M", "2", "-T", "8", "--json",
                 "--save", str(cert), "--no-progress")
    assert d["rank"] == 10  # docs/theory.md section 5 check value
    assert d["method"].startswith("modp")
    assert d["certificate"]["rank"] == 10
    assert d["contradicted"] == []
    again = run_json("rank", "--check", str(cert), "--json")
    assert again["rank"] == 10 and again["checked"]


def test_rank_check_rejects_tampered_certificate(tmp_path):
    cert = tmp_path / "cert.json"
    run("rank", "-L", "2", "-R", "2", "-M", "2", "-T", "4", "--save", str(cert),
        "--no-progress")
    data = json.loads(cert.read_text())
    data["rank"] += 1
    cert.write_text(json.dumps(data))
    res = run("rank", "--check", str(cert), ok=False)
    assert res.exit_code == 2 and "error:" in res.stderr
    cert.write_text("not json")
    res = run("rank", "--check", str(cert), ok=False)
    assert res.exit_code == 2 and "cannot read certificate" in res.stderr


def test_table_csv_and_json(tmp_path):
    csv_path, json_path = tmp_path / "t.csv", tmp_path / "t.json"
    run("table", "--depth", "1,2", "--hidden", "2", "--input-dim", "2", "--length", "2,4",
        "--csv", str(csv_path), "--json", str(json_path), "--no-progress")
    rows = json.loads(json_path.read_text())["rows"]
    assert len(rows) == 4
    assert csv_path.read_text().splitlines()[0].startswith("depth,hidden,input_dim,length")
    for r in rows:
        assert r["contradicted"] == ""
        if r["depth"] == 1:
            assert r["rank"] == min(2, 2 ** (r["length"] // 2))


def test_draw_writes_files(tmp_path):
    out = tmp_path / "net.dot"
    res = run("draw", "-L", "2", "-T", "4", "-o", str(out), "--cut")
    assert "min-cut bound" in res.output
    assert out.read_text().startswith("graph tnrnn {")


@pytest.mark.parametrize("args,message", [
    (["compile", "-R", "0"], "hidden must be an integer >= 1; got 0"),
    (["compile", "-T", "-3"], "length must be an integer >= 1; got -3"),
    (["compile", "--arch", "ttrnn", "-L", "2"], "a tensor-train RNN has depth 1"),
    (["compile", "-L", "4", "-T", "200"], "would have"),
    (["bounds", "-T", "7"], "start-end partition needs an even length T; got T=7"),
    (["bounds", "-T", "6", "--partition", "A:9"], "time steps must be integers in 1..6"),
    (["bounds", "-T", "6", "--partition", "middle"], "partition must be one of"),
    (["rank", "-T", "5"], "start-end partition needs an even length T; got T=5"),
    (["rank", "-T", "4", "--prime", "12"], "prime"),
    (["rank", "-L", "2", "-M", "9", "-T", "12", "--inputs", "one-hot", "--max-samples", "10"],
     "halves"),
    (["table", "--depth", "1,0"], "depth must be an integer >= 1; got 0"),
    (["draw", "-T", "4", "-o", "x.bmp"], "the suffix '.bmp' is not a format tnrnn writes"),
])
def test_bad_input_exits_2_with_clear_message(args, message):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr
    assert "Traceback" not in res.output


@pytest.mark.parametrize("args,message", [
    (["compile", "-L", "2.5"], "'2.5' is not a valid integer"),
    (["table", "--length", "4,x"], "--length must be integers separated by commas; got '4,x'"),
    (["bounds", "--inputs", "grid"], "'grid' is not one of"),
])
def test_click_usage_errors_exit_2(args, message):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2
    assert message in res.stderr


def test_console_script_exit_status():
    res = subprocess.run([sys.executable, "-m", "tnrnn.cli", "compile", "-R", "0"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.startswith("error: hidden must be an integer >= 1")
    assert "Traceback" not in res.stderr


def test_contradiction_flags():
    """A rank above an upper bound always contradicts it; below a lower bound
    only when the search was complete (the rank is then the instance's)."""
    from tnrnn.cli import _flag_contradictions

    bounds = [{"name": "up", "kind": "upper", "value": 10, "status": "derived"},
              {"name": "low", "kind": "lower", "value": 5, "status": "theorem"},
              {"name": "conj", "kind": "lower", "value": 8, "status": "conjecture"}]
    assert _flag_contradictions(11, bounds) == ["up"]
    assert _flag_contradictions(4, bounds) == ["low"]
    assert _flag_contradictions(4, bounds, complete=False) == []
    assert _flag_contradictions(7, bounds) == []


def test_grid_json_matches_the_api_and_saves_the_grid(tmp_path):
    import numpy as np

    from tnrnn.circuit import RAC, evaluate, init_params, one_hot

    out = tmp_path / "A.npy"
    d = run_json("grid", "-L", "2", "-R", "2", "-M", "2", "-T", "4", "--engine", "numpy",
                 "--seed", "3", "--save", str(out), "--json")
    assert d["shape"] == [2, 2, 2, 2, 1] and d["entries"] == 16
    assert d["matrix_shape"] == [4, 4]
    assert d["float_rank"]["approximate"] is True
    assert d["executed_flops"] <= d["path_flops"]
    A = np.load(out)
    spec = RAC(2, 2, 2, 4)
    y = evaluate(spec, init_params(spec, seed=3), one_hot([[0, 1, 1, 0]], 2))
    assert np.isclose(A[0, 1, 1, 0, 0], y[0, 0])
    # the float rank of a 4 x 4 matricization is the SVD count above tol
    assert d["float_rank"]["rank"] == sum(v > d["float_rank"]["tol"]
                                          for v in d["singular_values"])


@pytest.mark.parametrize("args, message", [
    (("-T", "7"), "start-end partition needs an even length"),
    (("-M", "2", "-T", "40"), "the one-hot grid M^T K would hold 1,099,511,627,776 "
                              "float64 entries (8.0 TiB); the limit is --max-entries"),
    (("--save", "A.txt"), "--save: 'A.txt' has the suffix '.txt'; allowed: .npy"),
])
def test_grid_refusals_exit_2(args, message):
    res = run("grid", *args, ok=False)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- the shared helpers
def _strict_loads(text):
    """json.loads that refuses NaN/Infinity tokens (not standard JSON)."""
    def bad(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=bad)


def test_one_json_writer_is_standard_json_with_exact_integers():
    import numpy as np

    from tnrnn.cli._app import PYTHON_INT_DIGITS, json_text

    data = {"nan": float("nan"), "inf": np.inf, "ninf": -np.float32("inf"),
            "arr": np.array([1.5, np.nan]), "n": np.int64(7), "t": (1, 2),
            "value": 2 ** 60, "log2": 60.0}
    back = _strict_loads(json_text(data))
    assert back["nan"] is None and back["inf"] == "inf" and back["ninf"] == "-inf"
    assert back["arr"] == [1.5, None] and back["n"] == 7 and back["t"] == [1, 2]
    assert back["value"] == 2 ** 60
    big = 3 ** 10_000  # 4,772 digits: above Python's default limit on int <-> text
    assert PYTHON_INT_DIGITS == sys.get_int_max_str_digits() < 4772
    text = json_text({"big": big})
    with pytest.raises(ValueError):  # a Python reader needs the limit lifted ...
        _strict_loads(text)
    as_strings = _strict_loads(json_text({"big": big, "value": 2 ** 60, "log2": 60.0}, "string"))
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        assert _strict_loads(text)["big"] == big  # ... and then reads it exactly
        assert int(as_strings["big"]) == big
    finally:
        sys.set_int_max_str_digits(old)
    assert abs(as_strings["big_log2"] - 10_000 * math.log2(3)) < 1e-6
    assert as_strings["value"] == str(2 ** 60) and "value_log2" not in as_strings
    compact = json_text({"x": [1 / 3, 2.0 / 3e-9], "y": float("nan")}, indent=None, digits=4)
    assert compact == '{"x":[0.3333,666700000.0],"y":null}'


def test_one_comma_list_parser():
    from tnrnn.cli._app import comma_list
    from tnrnn.errors import SpecError, TooLargeError

    assert comma_list(" 1, 2 ,,3 ", "--m", kind=int, minimum=1) == [1, 2, 3]
    assert comma_list("0.5,-1e-3", "--input", kind=float) == [0.5, -0.001]
    assert comma_list("a,b", "--only", choices=("a", "b", "c")) == ["a", "b"]
    for text, kwargs, message in [
            (",, ,", {}, "must list at least one"),
            ("1,2.5", {"kind": int}, "--m must be integers separated by commas; got '1,2.5'"),
            ("1,inf", {"kind": float}, "--m must be finite numbers; got '1,inf'"),
            ("0,1", {"kind": int, "minimum": 1}, "--m must be integers >= 1; got '0,1'"),
            ("a,z", {"choices": ("a", "b")}, "--m: unknown value(s) z; valid: a, b")]:
        with pytest.raises(SpecError) as info:
            comma_list(text, "--m", **kwargs)
        assert message in str(info.value)
    with pytest.raises(TooLargeError) as info:
        comma_list(",".join(["1"] * 5), "--m", kind=int, limit=4)
    assert info.value.estimate == 5 and info.value.limit == 4


def test_one_machine_description_imports_nothing_it_names():
    """tnrnn._io.machine_info (written by the benchmark and `tnrnn dynamics
    experiments`) reads versions from package metadata: the exact core may
    call it without importing JAX."""
    code = ("import sys, importlib.metadata as md, tnrnn._io as io\n"
            "info = io.machine_info(packages=('jax', 'numpy', 'no_such_module'), devices=['cpu'])\n"
            "assert 'jax' not in sys.modules, 'jax imported'\n"
            "assert info['versions']['jax'] == md.version('jax')\n"
            "assert info['versions']['no_such_module'] is None\n"
            "print(sorted(info))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == str(sorted(["cpu", "cores", "memory_bytes", "platform",
                                                    "versions", "jax_devices", "gpu",
                                                    "load_average"]))
