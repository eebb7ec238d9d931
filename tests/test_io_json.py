"""The one JSON convention (tnrnn._io.json_safe): NaN null, infinities "inf"/"-inf",
numpy values as Python ones; the command line and the benchmarks use it."""

import json
import math

import numpy as np

from tnrnn._io import json_safe


def _expected(v):
    """The convention, value by value, written independently of json_safe."""
    if isinstance(v, float):
        return None if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else v)
    return v


def test_every_special_float_in_nested_containers():
    rng = np.random.default_rng(0)
    pool = [math.nan, math.inf, -math.inf, 0.0, -2.5, 1e30, 3, True, "x", None]
    flat = [pool[i] for i in rng.integers(0, len(pool), 40)]
    data = {"a": [tuple(flat[:10]), {"b": flat[10:20]}], "c": np.array(flat[20:30], dtype=object),
            "d": np.array([v for v in flat[30:] if isinstance(v, float)], dtype=np.float32)}
    before = repr(data)
    text = json.dumps(json_safe(data), allow_nan=False)   # standard JSON: never raises

    def refuse(token):
        raise AssertionError(token)

    back = json.loads(text, parse_constant=refuse)
    assert back["a"][0] == [_expected(v) for v in flat[:10]]
    assert back["a"][1]["b"] == [_expected(v) for v in flat[10:20]]
    assert back["c"] == [_expected(v) for v in flat[20:30]]
    assert back["d"] == [_expected(float(np.float32(v))) for v in flat[30:]
                         if isinstance(v, float)]
    assert repr(data) == before                          # the input is not modified


def test_numpy_scalars_become_python_values():
    out = json_safe([np.int8(-3), np.uint64(2**63), np.float16(0.5), np.bool_(False),
                     np.float64("nan"), np.float32("-inf")])
    assert out == [-3, 2**63, 0.5, False, None, "-inf"]
    assert [type(v) for v in out[:4]] == [int, int, float, bool]


def test_the_command_line_and_the_benchmarks_share_it():
    from tnrnn.benchmark import _run
    from tnrnn.cli import _app

    assert _app.json_safe is json_safe and _run.json_safe is json_safe
    assert not hasattr(_app, "_json_safe") and not hasattr(_run, "_json_safe")
    assert json.loads(_app.json_text({"x": (np.float64("nan"), np.inf)})) == {"x": [None, "inf"]}
