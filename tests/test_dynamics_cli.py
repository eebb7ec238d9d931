"""tnrnn dynamics ...: JSON contracts against closed forms, figures, errors (exit 2)."""
import json
import math

import mpmath
import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("jax")

from tnrnn.cli import cli  # noqa: E402


def run(*args, ok=True):
    res = CliRunner().invoke(cli, ["dynamics", *args], catch_exceptions=False)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def run_json(*args):
    return json.loads(run(*args, "--json").stdout)


def fails(*args, match):
    res = run(*args, ok=False)
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and match in res.output, res.output
    assert "Traceback" not in res.output


def test_help_lists_every_command():
    top = run("--help").output
    for cmd in ("lyapunov", "fixed-points", "orbit", "lipschitz", "regions", "slice",
                "experiments", "figures"):
        assert cmd in top
        text = run(cmd, "--help").output
        assert "Example" in text


def test_lyapunov_logistic_ln2_and_table():
    d = run_json("lyapunov", "--preset", "logistic", "--param", "r=4", "--steps", "20000")
    assert abs(d["exponents"][0] - math.log(2)) < 2e-3
    out = run("lyapunov", "--preset", "tanh", "--param", "w=0.5", "--steps", "400").output
    assert "-0.693147" in out and "not chaotic" in out


def test_fixed_points_tanh_pitchfork():
    with mpmath.workdps(30):
        xs = float(mpmath.findroot(lambda x: x - mpmath.tanh(2 * x), 1.0))
    d = run_json("fixed-points", "--preset", "tanh", "--param", "w=2", "--starts", "16")
    pts = sorted(p["point"][0] for p in d["fixed_points"])
    assert np.allclose(pts, [-xs, 0.0, xs], atol=1e-12)
    stab = {round(p["point"][0], 6): p["stability"] for p in d["fixed_points"]}
    assert stab[0.0] == "unstable" and stab[round(xs, 6)] == "stable"
    assert sum(p["starts"] for p in d["fixed_points"]) + d["failed"] == 16


def test_orbit_flip_of_the_tanh_map():
    # tanh preset w = 0.5 scaled by s: w = 0.5 s; s = -4 gives w = -2, a period-2 orbit
    d = run_json("orbit", "--preset", "tanh", "--scale", "-4:1:3", "--steps", "6", "--burn",
                 "400", "--n-init", "3", "--init-std", "2")
    assert d["values_per_run"] == [2, 1, 1]
    with mpmath.workdps(30):
        xs = float(mpmath.findroot(lambda x: x - mpmath.tanh(2 * x), 1.0))
    assert abs(d["max"][0] - xs) < 1e-9 and abs(d["min"][0] + xs) < 1e-9


def test_lipschitz_cell_bound_and_region(tmp_path):
    d = run_json("lipschitz", "--cell", "tanh", "--hidden", "6", "--seed", "1",
                 "--steps", "100")
    b = d["bounds"][0]
    assert b["attained"] and d["empirical_sup_norm"] <= b["value"] * (1 + 1e-12)
    assert d["region_bound"] in ("contracting", "boundary", "expanding")
    fig = tmp_path / "lip.png"
    run("lipschitz", "--preset", "chaotic-lstm", "--steps", "50", "--figure", str(fig))
    assert fig.stat().st_size > 1000


def test_regions_small_grid_json_and_figure(tmp_path):
    fig = tmp_path / "r.png"
    d = run_json("regions", "--hidden", "4", "--grid", "3", "--steps", "100", "--burn", "20",
                 "--gain", "0.1:0.5", "-o", str(fig))
    lam = np.array(d["lyapunov_max"])
    assert lam.shape == (3, 3) and np.all(lam < 0)  # g <= 0.5: a contraction
    assert np.all(lam <= np.log(np.array(d["gain"]))[:, None] + 1e-9)  # lambda <= log L
    assert fig.stat().st_size > 1000


def test_slice_zero_at_one_and_figure(tmp_path):
    fig = tmp_path / "s.svg"
    d = run_json("slice", "--preset", "chaotic-lstm", "--scale", "0.9:1.1:5", "--horizon", "40",
                 "--loss-burn", "10", "--lyap-steps", "200", "--figure", str(fig))
    assert d["loss_at_1"] == 0.0 and 1.0 in d["s"]
    assert len(d["lyapunov_max"]) == len(d["s"]) == 5
    assert fig.exists()


def test_figure_flag_and_its_hidden_old_name(tmp_path):
    """--figure is the documented flag; -o/--output, its old name, still
    draws the same figure and is not shown in --help."""
    for cmd in ("lyapunov", "fixed-points", "orbit", "lipschitz", "regions", "slice"):
        text = run(cmd, "--help").output
        assert "--figure" in text and "--output" not in text and "-o," not in text, cmd
    args = ("lyapunov", "--preset", "tanh", "--param", "w=0.5", "--steps", "400")
    new, old, both = (tmp_path / f"{n}.png" for n in ("new", "old", "both"))
    d_new = json.loads(run(*args, "--json", "--figure", str(new)).stdout)
    d_old = json.loads(run(*args, "--json", "-o", str(old)).stdout)
    d_long = json.loads(run(*args, "--json", "--output", str(old)).stdout)
    assert d_new == d_old == d_long
    assert d_new["exponents"][0] == pytest.approx(math.log(0.5), abs=1e-9)  # tanh'(0) w = 0.5
    assert new.stat().st_size > 1000 and old.stat().st_size > 1000
    run(*args, "--figure", str(both), "-o", str(both))  # the same file twice: fine
    assert both.stat().st_size > 1000
    fails(*args, "--figure", str(new), "-o", str(old), match="give --figure only")


def test_cell_weights_file(tmp_path):
    from tnrnn.cells import init_cell
    from tnrnn.train import save_weights

    p = init_cell("gru", input_dim=2, hidden=3, seed=0)
    path = tmp_path / "w.npz"
    save_weights(path, p, cell="gru")
    d = run_json("lyapunov", "--cell", "gru", "--weights", str(path), "--steps", "200",
                 "--input", "0.5,-0.5")
    assert len(d["exponents"]) == 3 and d["exponents"][0] < 0


@pytest.mark.slow
def test_experiments_and_figures_quick(tmp_path):
    res = run("experiments", "--only", "regions", "--quick", "--out", str(tmp_path))
    assert "dynamics_regions.json" in res.output
    data = json.loads((tmp_path / "dynamics_regions.json").read_text())
    assert np.array(data["lyapunov_max"]).shape == (6, 6) and data["quick"] is True
    run("figures", "--data", str(tmp_path))
    assert (tmp_path / "dynamics_regions.png").exists()


def test_errors_exit_2():
    fails("lyapunov", match="give exactly one of --preset NAME or --cell KIND")
    fails("lyapunov", "--preset", "tanh", "--cell", "lstm", match="exactly one")
    fails("lyapunov", "--preset", "henon", match="unknown preset 'henon'")
    fails("lyapunov", "--preset", "tanh", "--param", "w", match="--param must be NAME=VALUE")
    fails("lyapunov", "--preset", "tanh", "--param", "w=x", match="the value must be a number")
    fails("lyapunov", "--preset", "tanh", "--weights", "x.npz", match="--weights goes with --cell")
    fails("lyapunov", "--cell", "tanh", "--param", "w=1", match="--param goes with --preset")
    fails("lyapunov", "--cell", "foo", match="foo")
    fails("lyapunov", "--cell", "tanh", "--weights", "/nonexistent.npz", match="cannot read")
    fails("lyapunov", "--preset", "tanh", "--input", "1", match="takes no input")
    fails("lyapunov", "--cell", "tanh", "--input", "1,2", match="--input must have 1 numbers")
    fails("lyapunov", "--cell", "tanh", "--input", "a", match="numbers separated by commas")
    fails("lyapunov", "--preset", "tanh", "--figure", "/nonexistent/dir/x.png",
          match="--figure: cannot write")
    fails("lyapunov", "--preset", "tanh", "--figure", "x.txt", match="allowed: .png")
    fails("lyapunov", "--preset", "tanh", "-o", "x.txt", match="allowed: .png")
    fails("lyapunov", "--cell", "lstm", "--hidden", "64", "--steps", "100000",
          match="raise --max-work")
    fails("fixed-points", "--preset", "tanh", "--starts", "0", match="--starts must be")
    fails("fixed-points", "--preset", "tanh", "--init-std", "0", match="--init-std must be > 0")
    fails("orbit", "--preset", "tanh", "--scale", "1:2", match="START:STOP:COUNT")
    fails("regions", "--gain", "1:2:3", match="START:STOP")
    fails("regions", "--grid", "0", match="--grid must be")
    fails("regions", "--grid", "400", "--steps", "10000", match="raise --max-work")
    fails("slice", "--preset", "tanh", "--horizon", "10", "--loss-burn", "20",
          match="--loss-burn must be in [0, --horizon)")
    fails("experiments", "--only", "nope", match="unknown experiment")
    fails("experiments", "--out", "/nonexistent/dir", match="does not exist")
    fails("figures", "--data", "/tmp/definitely-no-dynamics-here", match="no dynamics_*.json")
