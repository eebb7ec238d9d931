"""tnrnn train / tnrnn train report: a tiny sweep end to end, resumption, errors."""

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("jax")

from tnrnn.cli import cli  # noqa: E402

TINY = ["--task", "ses", "-T", "8", "--block", "2", "--alphabet", "3", "--hidden", "4",
        "--steps", "4", "--eval-every", "2", "--batch", "8", "--val-size", "16",
        "--test-size", "16", "--no-progress"]


def _run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_sweep_json_report_and_skip(tmp_path):
    out = tmp_path / "sw"
    res = _run(["train", *TINY, "--cell", "rac,tanh", "--depth", "2", "--out", str(out),
                "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {r["name"] for r in data["runs"]} == {"ses-T8-rac-L2-H4-s0", "ses-T8-tanh-L2-H4-s0"}
    assert all(r["baseline"]["chance_accuracy"] == pytest.approx(1 / 3) for r in data["runs"])
    assert len(data["summary"]) == 2
    # rerun: every run is finished, so nothing trains again and the results are the same
    again = json.loads(_run(["train", *TINY, "--cell", "rac,tanh", "--depth", "2", "--out",
                             str(out), "--json"]).output)
    assert [r["test"] for r in again["runs"]] == [r["test"] for r in data["runs"]]
    fig = tmp_path / "f.svg"
    csv = tmp_path / "t.csv"
    rep = _run(["train", "report", str(out), "--figure", str(fig), "--csv", str(csv)])
    assert rep.exit_code == 0, rep.output
    assert "largest size solved" in rep.output and fig.exists()
    assert csv.read_text().splitlines()[0].startswith("task,cell,depth,size")
    rj = json.loads(_run(["train", "report", str(out), "--no-figure", "--json"]).output)
    assert rj["runs"] == 2 and len(rj["largest_solved"]) == 2


def test_copying_json_has_exact_memoryless_loss(tmp_path):
    res = _run(["train", "--task", "copying", "--delay", "3", "--word-length", "2", "--alphabet",
                "3", "--cell", "gru", "--hidden", "4", "--steps", "2", "--eval-every", "2",
                "--batch", "4", "--val-size", "8", "--test-size", "8", "--no-progress",
                "--out", str(tmp_path / "c"), "--json"])
    base = json.loads(res.output)["runs"][0]["baseline"]
    import math
    assert base["memoryless_loss"] == 2 * math.log(3) / 7


def test_interrupted_sweep_keeps_finished_runs(tmp_path):
    out = tmp_path / "sw"
    assert _run(["train", *TINY, "--cell", "rac", "--out", str(out)]).exit_code == 0
    finished = (out / "ses-T8-rac-L1-H4-s0" / "result.json").read_text()
    # a second sweep in the same folder with more seeds runs only the new ones
    res = _run(["train", *TINY, "--cell", "rac", "--seeds", "0,1", "--out", str(out), "--json"])
    assert res.exit_code == 0
    assert (out / "ses-T8-rac-L1-H4-s0" / "result.json").read_text() == finished
    assert (out / "ses-T8-rac-L1-H4-s1" / "result.json").exists()


@pytest.mark.parametrize("args,match", [
    (["train", "--cell", "rac", "--hidden", "4", "-T", "8", "--out", "X"], "--task is required"),
    (["train", "--task", "ses", "--hidden", "4", "-T", "8"], "--out is required"),
    (["train", "--task", "ses", "--hidden", "4", "--out", "X"], "-T/--length is required for ses"),
    (["train", "--task", "pmnist", "--hidden", "4", "-T", "8", "--out", "X"],
     "pmnist has a fixed length"),
    (["train", "--task", "ses", "--hidden", "4", "-T", "8,x", "--out", "X"],
     "-T/--length must be integers separated by commas; got '8,x'"),
    (["train", "--task", "copying", "--hidden", "4", "--delay", "8", "--block", "3", "--out", "X"],
     "--block does not apply to the copying task"),
    (["train", "--task", "ses", "--cell", "transformer", "--hidden", "4", "-T", "8", "--out",
      "X"], "unknown cell kind 'transformer'"),
    (["train", "--task", "ses", "--params-budget", "5", "-T", "8", "--block", "2", "--out", "X"],
     "comes within 5% of the budget 5 parameters"),
    (["train", "--task", "ses", "--hidden", "4", "-T", "8", "--cell-option", "sigma",
      "--out", "X"], "--cell-option must be NAME=VALUE; got 'sigma'"),
    (["train", "--task", "ses", "--hidden", "4", "-T", "8", "--block", "2", "--cell", "lstm",
      "--cell-option", "sigma=0.1", "--out", "X"], r"cell 'lstm' has no option\(s\) \['sigma'\]"),
    (["train", "--task", "ses", "--hidden", "512", "-T", "4000", "--block", "3", "--cell",
      "lstm", "--out", "X"], "GiB \\(parameters, optimiser state, activations"),
    (["train", "--task", "ses", "--hidden", "4", "-T", "8", "--out", "/no/such/dir/x"],
     "does not exist"),
    (["train", "report", "/no/such/dir"], "is not a folder of training runs"),
])
def test_cli_errors_exit_2(args, match, tmp_path, monkeypatch):
    import re
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert re.search(match, res.output), res.output
    assert not (tmp_path / "X").exists()  # nothing created before the checks


def test_report_refuses_bad_figure_and_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(cli, ["train", "report", str(tmp_path / "empty"), "--no-figure"])
    assert res.exit_code == 2 and "holds no finished run" in res.output
    res = CliRunner().invoke(cli, ["train", "report", str(tmp_path / "empty"), "--figure",
                                   str(tmp_path / "f.txt")])
    assert res.exit_code == 2 and "allowed: .png, .svg, .pdf" in res.output
