"""Issue 9, files written for people: every output path is checked before
any work (no folder the user did not name is created), a suffix and a
format must agree, and a compiled network exports to other tools."""
import json
import os
import time

import numpy as np
import opt_einsum
import pytest

from tnrnn.circuit import RAC, TTRNN, evaluate, init_params, random_inputs
from tnrnn import compile as _compile
from tnrnn import errors as _errors
from tnrnn.compile import compile_network
from tnrnn.errors import OutputPathError, SpecError, TnrnnError, TooLargeError
from cli_helpers import invoke, one_error_line


def export_network(*args, **kwargs):
    return _compile.export_network(*args, **kwargs)


def check_output_dir(*args, **kwargs):
    return _errors.check_output_dir(*args, **kwargs)





@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -------------------------------------------------------------------- draw
def test_draw_never_creates_folders(in_tmp):
    line = one_error_line(invoke("draw", "-o", in_tmp / "d" / "a.svg"))
    assert "the folder" in line and "does not exist" in line
    assert not (in_tmp / "d").exists()


def test_draw_suffix_and_format_must_agree(in_tmp):
    line = one_error_line(invoke("draw", "-o", "a.svg", "--format", "png"))
    assert "-o/--output 'a.svg' has the suffix '.svg' but --format is 'png': they must agree" in line
    assert not (in_tmp / "a.svg").exists()
    res = invoke("draw", "-L", 1, "-T", 4, "-o", "a.dot", "--format", "dot")
    assert res.exit_code == 0 and (in_tmp / "a.dot").read_text().startswith("graph")


@pytest.mark.parametrize("args,message", [
    (["-o", "a.gif"], "the suffix '.gif' is not a format tnrnn writes"),
    (["-o", "a"], "cannot tell the format of 'a'"),
    (["-o", "."], "Invalid value for '-o' / '--output': File '.' is a directory"),
    (["-o", "a.svg", "-K", 2, "--output-index", 5], "--output-index must be an output index "
                                                     "in 0..1 (-K 2); got 5"),
    (["-o", "a.svg", "-L", 3, "-T", 60], "network would have"),
])
def test_draw_refusals(in_tmp, args, message):
    assert message in one_error_line(invoke("draw", *args))


def test_draw_output_index_in_caption(in_tmp):
    res = invoke("draw", "-L", 1, "-T", 4, "-K", 2, "--output-index", 1, "-o", "n.dot")
    assert res.exit_code == 0, res.output
    assert "output 1 of K=2" in (in_tmp / "n.dot").read_text()


# ------------------------------------------------------------ figures, bench
def test_check_output_dir(tmp_path):
    assert check_output_dir(tmp_path, option="--out") == tmp_path
    assert check_output_dir(tmp_path / "new", option="--out") == tmp_path / "new"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(OutputPathError, match=r"--out: cannot write into '.*a/b': its parent "
                                              r"folder '.*a' does not exist"):
        check_output_dir(tmp_path / "a" / "b", option="--out")
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputPathError, match=r"--out: '.*f' is a file, not a folder"):
        check_output_dir(tmp_path / "f", option="--out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_output_dir_permission(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(OutputPathError, match="permission denied"):
        check_output_dir(ro / "x", option="--out")


@pytest.mark.parametrize("cmd,args,message", [
    ("figures", ["--out", "{tmp}/no/figs"], "--out: cannot write into"),
    ("figures", ["--seed", -1], "--seed must be an integer >= 0; got -1"),
    ("bench", ["--smoke", "--out", "{tmp}/no/res"], "--out: cannot write into"),
    ("bench", ["--smoke", "--out", "{tmp}", "--figure-dir", "{tmp}/no/f"],
     "--figure-dir: cannot write into"),
])
def test_figures_and_bench_check_folders_first(tmp_path, cmd, args, message):
    t0 = time.perf_counter()
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    assert message in one_error_line(invoke(cmd, *args))
    assert time.perf_counter() - t0 < 30  # a hang guard: refused before any figure or measurement
    assert not (tmp_path / "no").exists()


def test_library_writers_create_no_parents(tmp_path):
    from tnrnn.benchmark import run_benchmarks
    from tnrnn.render import make_figures

    with pytest.raises(OutputPathError, match="out_dir: cannot write into"):
        make_figures(tmp_path / "a" / "b")
    with pytest.raises(OutputPathError, match="out_dir: cannot write into"):
        run_benchmarks(tmp_path / "a" / "b", smoke=True)
    assert not (tmp_path / "a").exists()


# ------------------------------------------------------------------ export
@pytest.mark.parametrize("spec,output", [(RAC(2, 2, 3, 4), None), (RAC(3, 2, 2, 3, outputs=2), 1),
                                         (RAC(1, 3, 2, 5, outputs=3), None),
                                         (TTRNN(2, 3, 4), None)])
def test_export_contracts_to_evaluate(tmp_path, spec, output):
    params = init_params(spec, seed=4)
    X = random_inputs(spec, 3, seed=5)
    for form in (("cp", "core") if spec.kind == "rac" else ("core",)):
        j, z = export_network(compile_network(spec, form=form), spec, params,
                              tmp_path / f"n{form}", output=output)
        meta, arrays = json.loads(j.read_text()), np.load(z)
        assert meta["format"] == "tnrnn-einsum/1" and meta["form"] == form
        for x, want in zip(X, evaluate(spec, params, X)):  # step-by-step ground truth
            ops = [arrays[o["array"]] if o["kind"] != "input" else x[o["time"] - 1]
                   for o in meta["operands"]]
            for o, a in zip(meta["operands"], ops):
                assert list(np.shape(a)) == o["shape"]
            got = opt_einsum.contract(meta["einsum"], *ops)
            np.testing.assert_allclose(got, want if output is None else want[output],
                                       rtol=1e-10)


def test_compile_export_cli(in_tmp):
    spec = RAC(2, 3, 3, 4, outputs=2)
    res = invoke("compile", "-L", 2, "-T", 4, "-K", 2, "--export", "net", "--output", 1,
                 "--seed", 7, "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["export"] == {"json": "net.json", "npz": "net.npz", "seed": 7, "output": 1}
    meta, arrays = json.loads((in_tmp / "net.json").read_text()), np.load(in_tmp / "net.npz")
    X = random_inputs(spec, 1, seed=0)[0]
    ops = [arrays[o["array"]] if o["kind"] != "input" else X[o["time"] - 1]
           for o in meta["operands"]]
    want = evaluate(spec, init_params(spec, seed=7), X[None])[0, 1]
    assert np.isclose(opt_einsum.contract(meta["einsum"], *ops), want, rtol=1e-10)


@pytest.mark.parametrize("args,message", [
    (["--export", "/nonexistent/n"], "--export: cannot write '/nonexistent/n.json'"),
    (["--output", 0], "--output picks the output that --export writes"),
    (["-K", 2, "--output", 2, "--export", "n"], "--output must be an output index in 0..1"),
    (["-R", 1000, "--export", "n"], "the limit is --max-entries 134,217,728"),
    (["--seed", -4, "--export", "n"], "--seed must be an integer >= 0; got -4"),
])
def test_compile_export_refusals(in_tmp, args, message):
    assert message in one_error_line(invoke("compile", *args))
    assert not list(in_tmp.iterdir())


def test_export_library_refusals(tmp_path):
    spec = RAC(2, 2, 2, 3)
    net, p = compile_network(spec), init_params(spec)
    with pytest.raises(SpecError, match=r"output must be an integer in 0..0 \(K = 1\); got 1"):
        export_network(net, spec, p, tmp_path / "x", output=1)
    with pytest.raises(TooLargeError, match=r"would hold \d+ entries .* max_entries=10"):
        export_network(net, spec, p, tmp_path / "x", max_entries=10)
    with pytest.raises(OutputPathError, match="prefix: cannot write"):
        export_network(net, spec, p, tmp_path / "no" / "x")
    with pytest.raises(SpecError, match="net must be a Network; got str"):
        export_network("net", spec, p, tmp_path / "x")


# ------------------------------------------------- library: wrong types
@pytest.mark.parametrize("call,message", [
    (lambda: compile_network("RAC"), r"spec must be a RAC or TTRNN .*got str"),
    (lambda: compile_network(None), r"spec must be a RAC or TTRNN .*got NoneType"),
    (lambda: compile_network(RAC(2, 2, 2, 3), max_tensors="5"),
     r"max_tensors must be an integer >= 1; got '5'"),
    (lambda: compile_network(RAC(2, 2, 2, 3), form=["cp"]), r"form must be one of"),
    (lambda: compile_network(RAC(3, 2, 2, 10 ** 6)), r"network would have"),
])
def test_compile_network_bad_input_raises_tnrnn_errors(call, message):
    with pytest.raises(TnrnnError, match=message):
        call()


def test_library_bounds_bad_input_raises_tnrnn_errors():
    from tnrnn.bounds import all_bounds, tree_min_cut, u_sym

    for call, message in [
        (lambda: all_bounds("spec"), r"spec must be a RAC or TTRNN; got str"),
        (lambda: all_bounds(RAC(2, 2, 2, 4), partition=3), r"partition must be a name"),
        (lambda: all_bounds(RAC(2, 2, 2, 4), inputs=None), r"inputs must be one of"),
        (lambda: tree_min_cut("2", 3, 3, 8), r"depth L must be an integer >= 1; got '2'"),
        (lambda: u_sym(2, 3.0, 8), r"hidden R must be an integer >= 1; got 3.0"),
        (lambda: all_bounds(RAC(3, 3, 3, 10 ** 8)), r"T\*L = 300,000,000 units"),
    ]:
        with pytest.raises(TnrnnError, match=message):
            call()


@pytest.mark.parametrize("args", [
    ["table", "--depth", "1", "--hidden", "2", "--input-dim", "2", "--length", "2", "--json", "--nope"],
    ["table", "--depth", "1", "--hidden", "2", "--input-dim", "2", "--length", "2", "--csv", "-x.csv"],
    ["grid", "-L", "1", "-R", "2", "-M", "2", "-T", "2", "--save", "--json"],
])
def test_an_option_is_never_taken_for_a_file_name(in_tmp, args):
    """``--json --nope`` once wrote a file named '--nope' after the whole sweep."""
    line = one_error_line(invoke(*args))
    assert "looks like an option" in line
    assert list(in_tmp.iterdir()) == []


def test_a_file_named_with_a_dash_is_written_when_given_as_a_path(in_tmp):
    res = invoke("table", "--depth", "1", "--hidden", "2", "--input-dim", "2", "--length", "2",
                 "--no-progress", "--json", "./-rows.json")
    assert res.exit_code == 0, res.output
    assert json.loads((in_tmp / "-rows.json").read_text())
