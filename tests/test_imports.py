"""`import tnrnn` stays light: no jax, graphviz or matplotlib."""
import subprocess
import sys

import pytest

HEAVY = ("jax", "graphviz", "matplotlib")


@pytest.mark.parametrize("module", ["tnrnn", "tnrnn.bounds", "tnrnn.rank", "tnrnn.render", "tnrnn.cli"])
def test_import_does_not_load_heavy_modules(module):
    code = (f"import sys, {module}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"import {module} loaded {out}"


def test_public_api_is_curated():
    import tnrnn
    assert "compile_network" in tnrnn.__all__
    assert all(hasattr(tnrnn, name) for name in tnrnn.__all__)
    assert tnrnn.__version__ != "0.0.0+unknown"
