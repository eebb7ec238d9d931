"""Region-map statistics (lambda_max called against its standard error, counted
against sharpness) and the commands that write and draw them."""

import json

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from cli_helpers import invoke, one_error_line  # noqa: E402
from tnrnn.dynamics import lyapunov_spectrum, region_map  # noqa: E402
from tnrnn.dynamics.region_stats import classify_exponents, region_counts  # noqa: E402
from tnrnn.errors import SpecError  # noqa: E402


def test_classes_and_counts():
    lam = np.array([-0.2, -1e-5, 1e-5, 0.3, np.nan])
    err = np.array([0.01, 1e-4, 1e-4, 0.01, 0.01])
    assert classify_exponents(lam, err).tolist() == ["contracting", "boundary", "boundary",
                                                     "chaotic", "undefined"]
    assert classify_exponents(lam, err, z=0.0).tolist()[1:3] == ["contracting", "chaotic"]
    c = region_counts(lam, err, [1.0, 2e3, 5.0, 1e9, 1.0], threshold=1e3).to_dict()
    assert c["contracting"] == {"points": 1, "sharp": 0, "median_abs_sharpness": 1.0}
    assert (c["boundary"]["points"], c["boundary"]["sharp"]) == (2, 1)
    assert c["chaotic"]["sharp"] == 1 and c["undefined"]["points"] == 1


def test_bad_inputs_are_refused():
    with pytest.raises(SpecError, match="one shape"):
        classify_exponents([0.1, 0.2], [0.1])
    with pytest.raises(SpecError, match="stderr must be >= 0"):
        classify_exponents([0.1], [-0.1])
    with pytest.raises(SpecError, match="z must be >= 0"):
        classify_exponents([0.1], [0.1], z=-1)
    with pytest.raises(SpecError, match="sharp must have the shape"):
        region_counts([0.1], [0.1], [1.0, 2.0])
    with pytest.raises(SpecError, match="blocks must be"):
        region_map(lambda p: (lambda x: x), lambda a, b: a, [1.0], [1.0], 0.0, steps=10,
                   blocks=1)


def test_region_map_stderr_is_the_spectrum_s():
    """With blocks, region_map's exponent and error are lyapunov_spectrum's (k = 1)."""
    W = np.random.default_rng(0).standard_normal((4, 4)) / 2.0
    us = np.random.default_rng(1).standard_normal((600, 1))
    x0 = 0.1 * np.ones(4)

    def family(p):
        return lambda x, u: jax.numpy.tanh(p[0] * (W @ x) + p[1] * u[0])

    rm = region_map(family, lambda a, b: jax.numpy.stack([a, b]), [0.5, 2.5], [0.3],
                    x0, steps=500, burn=100, inputs=us, blocks=10)
    for i, g in enumerate([0.5, 2.5]):
        res = lyapunov_spectrum(lambda x, u, g=g: jax.numpy.tanh(g * (W @ x) + 0.3 * u[0]),
                                x0, steps=500, burn=100, inputs=us, k=1, blocks=10)
        np.testing.assert_allclose(rm.lyapunov[i, 0], res.exponents[0], atol=1e-12)
        np.testing.assert_allclose(rm.lyapunov_stderr[i, 0], res.stderr[0], atol=1e-12)


@pytest.mark.slow
def test_region_stats_command_writes_and_draws(tmp_path):
    res = invoke("dynamics", "experiments", "--only", "regions", "--quick", "--out", tmp_path)
    assert res.exit_code == 0, res.output
    res = invoke("dynamics", "region-stats", "--data", tmp_path, "--blocks", "4")
    assert res.exit_code == 0, res.output
    d = json.loads((tmp_path / "dynamics_regions_stats.json").read_text())
    n = sum(v["points"] for v in d["counts"]["z=2"]["|sharpness|>1000"].values())
    assert n == 9 and d["blocks"] == 4
    res = invoke("dynamics", "figures", "--data", tmp_path)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dynamics_regions_stats.png").exists()


def test_commands_refuse_bad_input(tmp_path):
    assert "no dynamics_regions.json" in one_error_line(
        invoke("dynamics", "region-stats", "--data", tmp_path))
    assert "--blocks must be" in one_error_line(
        invoke("dynamics", "region-stats", "--data", tmp_path, "--blocks", "1"))
    assert "no sine/ or seqclass/ runs" in one_error_line(
        invoke("dynamics", "paper-summary", "--root", tmp_path, "--out", tmp_path))
