"""tnrnn memory: JSON contracts, help, figures, bad input (exit 2, clear message)."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from tnrnn.cli import cli


def run(*args, ok=True):
    res = CliRunner().invoke(cli, ["memory", *args], catch_exceptions=False)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def run_json(*args):
    return json.loads(run(*args, "--json").stdout)


def test_help():
    top = run("--help").output
    for cmd in ("approx", "flow", "dataset", "experiment", "figures"):
        assert cmd in top
        assert "Example" in run(cmd, "--help").output


def test_approx_json_matches_closed_form():
    # one rate w = 2 against e^{-t}: error (v-w)^2 / (2 v (v+w)^2) = 1/18
    d = json.loads(run("approx", "--kernel", "exponential:1", "--m", "1", "--json").stdout)
    assert d["rows"][0]["rates"] == [1.0] and abs(d["rows"][0]["l2_sq_error"]) < 1e-30
    d = run_json("approx", "--kernel", "polynomial:0.5", "--m", "1,2,4", "--norm", "l2,l1",
                 "--rates", "geometric")
    assert [r["m"] for r in d["rows"]] == [1, 2, 4]
    assert d["rho_l2_sq"] == pytest.approx(0.5) and d["rho_l1"] == pytest.approx(2.0)
    errs = [r["l2_sq_error"] for r in d["rows"]]
    assert errs[0] > errs[2] > 0  # geometric grids on [1e-2, 1e2] are not nested
    assert all(r["l1_error"] > 0 for r in d["rows"])
    r0 = d["rows"][0]
    assert r0["relative_l2_error"] == pytest.approx(math.sqrt(r0["l2_sq_error"] / 0.5))


def test_approx_free_and_table(tmp_path):
    d = run_json("approx", "--kernel", "exp:1+exp:5", "--m", "1,2", "--rates", "free",
                 "--norm", "l2")
    assert d["rows"][1]["l2_sq_error"] < 1e-20 and d["route"].startswith("free")
    fig = tmp_path / "a.png"
    out = run("approx", "--kernel", "delayed:1", "--m", "1,2", "--figure", str(fig)).output
    assert "delayed:1" in out and "log10 1/pivot" in out and fig.exists()


def test_flow_json_and_figure(tmp_path):
    fig = tmp_path / "f.png"
    d = run_json("flow", "--kernel", "exponential:2", "--m", "1", "--steps", "3000",
                 "--lr", "0.5", "--figure", str(fig))
    assert d["rates"][0] == pytest.approx(2.0, abs=1e-6) and d["final_loss"] < 1e-12
    assert fig.exists() and d["time_unit"] == "steps"
    assert len(d["curve"]["t"]) == len(d["curve"]["loss"])
    text = run("flow", "--kernel", "exp:1+delayed:4", "--m", "3", "--steps", "2000").output
    assert "plateau from" in text


def test_flow_lr_100_is_diverged_and_reports_no_plateau():
    d = run_json("flow", "--kernel", "exp:1+delayed:4", "--m", "3", "--lr", "100",
                 "--steps", "1000")
    assert d["diverged"] and d["plateaus"] == [] and d["divergence"]["reason"]
    text = run("flow", "--kernel", "exp:1+delayed:4", "--m", "3", "--lr", "100",
               "--steps", "1000").output
    assert "diverged" in text and "plateau from" not in text


def test_dataset(tmp_path):
    out = tmp_path / "d.npz"
    d = run_json("dataset", "--kernel", "delayed:1", "--n", "8", "--T", "50", "--out", str(out))
    z = np.load(out)
    assert z["x"].shape == (8, 50) and d["rho_l2_sq"] == pytest.approx(0.5)
    assert np.allclose(z["y"][:, 0], 0.0)  # delayed kernel: rho(0) = 0


def test_experiment_and_figures_quick(tmp_path):
    pytest.importorskip("matplotlib")
    p = tmp_path / "memory-plateau.json"
    res = CliRunner().invoke(cli, ["memory", "experiment", "plateau", "--out", str(p),
                                   "--quick"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    d = json.loads(p.read_text())
    assert d["kind"] == "memory-plateau" and d["version"] == 2 and "command" in d
    assert {r["value"] for r in d["records"]} == {4.0}
    assert all(not r["diverged"] for r in d["records"])
    figs = tmp_path / "figs"
    figs.mkdir()
    out = run("figures", "--results", str(tmp_path), "--out", str(figs)).output
    assert "memory_plateau_escape.png" in out and (figs / "memory_plateau_escape.png").exists()
    # a result file of another experiment is refused by path, never appended to
    res = CliRunner().invoke(cli, ["memory", "experiment", "approx", "--out", str(p), "--quick"])
    assert res.exit_code == 2 and "holds a 'memory-plateau' result, not 'memory-approx'" in \
        res.output and "give another --out" in res.output
    assert json.loads(p.read_text()) == d


@pytest.mark.parametrize("args, match", [
    (["approx", "--kernel", "gauss:1"], "unknown family 'gauss'"),
    (["approx", "--kernel", "exp:1", "--m", "1,x"],
     "--m must be integers separated by commas; got '1,x'"),
    (["approx", "--kernel", "exp:1", "--m", "0"], "--m must be integers >= 1; got '0'"),
    (["approx", "--kernel", "exp:1", "--m", ","], "--m must list at least one"),
    (["approx", "--kernel", "exp:1", "--m", ",".join(["1"] * 257)], "257 values; at most 256"),
    (["approx", "--kernel", "exp:1", "--norm", "l3"], "--norm: unknown norm(s) l3; valid: l2, l1"),
    (["approx", "--kernel", "exp:1", "--norm", " , "], "--norm must list at least one"),
    (["approx", "--kernel", "exp:1", "--m", "41", "--rates", "free"], "at most 40"),
    (["approx", "--kernel", "exp:1", "--m", "300"], "exceeds 256"),
    (["flow", "--kernel", "exp:1", "--m", "100000"], "exceeds 2000 exponentials"),
    (["approx", "--kernel", "exp:1", "--figure", "/nonexistent/x.png"], "does not exist"),
    (["approx", "--kernel", "exp:1", "--figure", "x.txt"], "allowed: .png, .svg, .pdf"),
    (["flow", "--kernel", "exp:1", "--steps", "10", "--max-steps", "5"],
     "--steps 10 exceeds --max-steps 5"),
    (["flow", "--kernel", "exp:1", "--m", "0"], "--m must be an integer >= 1; got 0"),
    (["flow", "--kernel", "exp:1", "--lr", "-1"], "lr must be a finite number > 0"),
    (["dataset", "--kernel", "exp:1", "--out", "/nonexistent/d.npz"], "does not exist"),
    (["dataset", "--kernel", "exp:1", "--out", "d.txt"], "allowed: .npz"),
    (["dataset", "--kernel", "exp:1", "--out", "d.npz", "--n", "100", "--T", "100",
      "--max-entries", "10"], "exceeds max_entries=10"),
    (["experiment", "approx", "--out", "/nonexistent/a.json"], "does not exist"),
    (["figures", "--results", ".", "--out", "/nonexistent/figs"], "does not exist"),
])
def test_bad_input_exits_2(args, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(*args, ok=False)
    assert res.exit_code == 2, res.output
    assert match in res.output
    assert "Traceback" not in res.output


def test_command_figures_show_the_json_numbers(tmp_path, monkeypatch):
    """The figure of `approx` and of `flow` draws the numbers the command prints."""
    pytest.importorskip("matplotlib")
    from tnrnn.render import memory_figures as MF

    drawn = []
    orig = MF._save

    def spy(fig, path):
        drawn.append([(list(map(float, ln.get_xdata())), list(map(float, ln.get_ydata())))
                      for ln in fig.axes[0].lines])
        return orig(fig, path)

    monkeypatch.setattr(MF, "_save", spy)
    fig = tmp_path / "a.svg"
    d = run_json("approx", "--kernel", "exponential:2", "--m", "1,3", "--rates", "geometric",
                 "--figure", str(fig))
    assert d["figure"] == str(fig) and fig.exists()
    (l2, l1), = drawn
    assert l2 == ([1.0, 3.0], [r["relative_l2_error"] for r in d["rows"]])
    assert l1[1] == [r["l1_error"] / d["rho_l1"] for r in d["rows"]]
    # m = 1, one rate w against e^(-2t): relative L2 error |2 - w| / (2 + w) (closed form)
    w = d["rows"][0]["rates"][0]
    assert l2[1][0] == pytest.approx(abs(2 - w) / (2 + w), rel=1e-9)
    fig = tmp_path / "f.svg"
    d = run_json("flow", "--kernel", "exponential:2", "--m", "1", "--steps", "300",
                 "--lr", "0.5", "--figure", str(fig))
    curve = drawn[1][0]
    t, loss = d["curve"]["t"], d["curve"]["loss"]
    assert curve == ([x for x in t if x > 0], [y for x, y in zip(t, loss) if x > 0])
