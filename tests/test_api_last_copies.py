"""The last repeated logic of issue 19, merged: a training run's result uses the
shared ``Record`` mixin, ``tnrnn._io.json_safe`` is the one JSON conversion (of
``result.json`` and of the command line), a run records the one machine
description, the smoothness paper's runs are ``tnrnn dynamics`` commands, and
``--m`` goes through the one comma-list parser.

The ground truth of every "unchanged" claim is the previous code itself,
copied here verbatim (``_old_*``): the new code must give the same bytes, the
same values and the same messages.
"""

import dataclasses
import json
import math
import os
import platform
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tnrnn._io import json_safe, machine_info
from tnrnn._results import Record
from tnrnn.cli import cli
from tnrnn.cli._app import _round_floats, _stringify, comma_list, json_text
from tnrnn.errors import SpecError, TooLargeError

DATA = Path(__file__).resolve().parent / "data" / "pinned"


# --------------------------------------------------------------------------
# the previous code, verbatim (the reference)
# --------------------------------------------------------------------------
def _old_run_default(obj):  # tnrnn/train/run.py before the merge
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _old_cli_default(obj):  # tnrnn/cli/_app.py before the merge
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _old_json_safe(obj):  # tnrnn/_io.py before the merge
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return _old_json_safe(obj.tolist())
    if isinstance(obj, dict):
        return {k: _old_json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_old_json_safe(v) for v in obj]
    return obj


def _old_json_text(data, big_int="number", *, indent=2, digits=None):
    data = _old_json_safe(data)
    if big_int == "string":
        data = _stringify(data)
    if digits is not None:
        data = _round_floats(data, digits)
    separators = (",", ":") if indent is None else None
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(data, indent=indent, separators=separators, default=_old_cli_default,
                          allow_nan=False)
    finally:
        sys.set_int_max_str_digits(old)


def _old_parse_ms(text, limit=256):  # tnrnn/cli/_memory.py before the merge
    parts = [x.strip() for x in str(text).split(",") if x.strip()]
    if any(len(x) > 12 for x in parts):
        raise TooLargeError(f"--m lists a width of more than 12 digits; at most {limit} "
                            f"exponentials", estimate=max(len(x) for x in parts), limit=12)
    ms = comma_list(text, "--m", kind=int, minimum=1, limit=limit)
    if max(ms) > limit:
        raise TooLargeError(f"--m {max(ms)} exceeds {limit} exponentials", estimate=max(ms),
                            limit=limit)
    return sorted(set(ms))


def _outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
        return (type(exc).__name__, str(exc), getattr(exc, "estimate", None),
                getattr(exc, "limit", None))


# --------------------------------------------------------------------------
# JSON: one conversion, the same bytes in both places
# --------------------------------------------------------------------------
_NONFINITE = [float("nan"), float("inf"), -float("inf"), np.float64("nan"), np.float64("inf"),
              np.float32("nan"), np.float32("inf"), np.float32("-inf"), np.float16("inf")]


def _run_records():
    """Values a run's result may hold (the old writer accepted them)."""
    return [
        {"loss": v, "n": np.int64(7), "x": np.float32(0.25)} for v in _NONFINITE
    ] + [
        {"a": {"b": [1, 2.5, (np.int32(3), np.float32(-1.5))], "c": None, "d": "s"},
         "e": (float("inf"), np.float32("nan")), "f": True, "g": np.float64(1e-300)},
        [np.uint8(255), np.longdouble(0.5), [[np.float32(1e30)]]],
    ]


@pytest.mark.parametrize("value", _run_records())
def test_result_json_bytes_are_the_old_writers(value):
    """``result.json`` went through ``json.dumps(default=_json_default)``: numpy
    integers as ints, numpy floats that are not Python floats as floats or,
    when not finite, null; Python floats (and float64) as they are."""
    old = json.dumps(value, default=_old_run_default)
    new = json.dumps(json_safe(value, infinity="null", floats="numpy"))
    assert new == old
    assert json.dumps(json_safe(value, infinity="null", floats="numpy"), indent=1) == \
        json.dumps(value, default=_old_run_default, indent=1)


def test_result_json_conversion_by_hand():
    v = {"a": np.float32("inf"), "b": float("inf"), "c": np.float32(0.5), "d": np.int16(-2),
         "e": (np.float64("nan"), np.float32("-inf"))}
    assert json.dumps(json_safe(v, infinity="null", floats="numpy")) == \
        '{"a": null, "b": Infinity, "c": 0.5, "d": -2, "e": [NaN, null]}'
    # arrays: values as their scalars (float32's converted, float64's as they are)
    arr = json_safe({"f32": np.array([np.inf, 1.5], np.float32),
                     "f64": np.array([np.inf, 1.5])}, infinity="null", floats="numpy")
    assert arr["f32"] == [None, 1.5] and arr["f64"][0] == math.inf


def _cli_values():
    return [
        {"x": v, "n": np.int64(3)} for v in _NONFINITE
    ] + [
        {"arr": np.array([[0.5, np.nan], [np.inf, -np.inf]]), "i": np.arange(3),
         "b": np.bool_(False)},
        {"t": (1, (2, np.int8(3)), [np.float32(0.125)]), "s": {3}, "fs": frozenset({"a"}),
         "nested": {"d": {"e": [{"f": np.float64(2.0)}]}}},
        {"big": 2 ** 70, "value": 2 ** 60, "log2": 60.0, "small": 5},
        [1 / 3, 2 / 3, np.float32(1 / 3)],
    ]


@pytest.mark.parametrize("value", _cli_values())
@pytest.mark.parametrize("mode", [dict(), dict(big_int="string"), dict(indent=None, digits=3),
                                  dict(indent=None)])
def test_json_text_bytes_are_the_old_writers(value, mode):
    assert json_text(value, **mode) == _old_json_text(value, **mode)


def test_json_text_by_hand():
    text = json_text({"r": (np.float32("nan"), np.inf, -np.inf), "s": {2}, "n": np.int64(3),
                      "a": np.array([0.5])}, indent=None)
    assert text == '{"r":[null,"inf","-inf"],"s":[2],"n":3,"a":[0.5]}'


def test_sets_are_converted_before_rounding_now():
    """The one difference: a set used to be listed only when written, after the
    rounding and the NaN conversion; its floats are now rounded like every other
    float, and a NaN in it is null instead of an error."""
    assert json_text({"s": {1 / 3}}, indent=None, digits=3) == '{"s":[0.333]}'
    assert json_text({"s": {float("nan")}}, indent=None) == '{"s":[null]}'
    with pytest.raises(ValueError):
        _old_json_text({"s": {float("nan")}}, indent=None)


def test_json_safe_refuses_unknown_options():
    with pytest.raises(SpecError, match="infinity must be 'string' or 'null'; got 'zero'"):
        json_safe(1.0, infinity="zero")
    with pytest.raises(SpecError, match="floats must be 'all' or 'numpy'; got 'python'"):
        json_safe(1.0, floats="python")


def test_the_old_json_defaults_are_gone():
    import tnrnn.cli._app as app
    import tnrnn.train.run as run_mod

    assert not hasattr(app, "_json_default") and not hasattr(run_mod, "_json_default")


# --------------------------------------------------------------------------
# RunResult on the Record mixin
# --------------------------------------------------------------------------
def test_run_result_is_a_record_without_its_own_copies():
    from tnrnn.train import RunResult

    assert issubclass(RunResult, Record)
    own = set(vars(RunResult))
    assert not own & {"to_dict", "__getitem__", "__eq__", "__contains__", "keys"}
    for kind in ("scornn", "rac"):
        text = (DATA / "finished" / kind / "result.json").read_text()
        r = RunResult.from_dict(json.loads(text))
        assert json.dumps(r.to_dict(), indent=1) + "\n" == text  # byte for byte
        with pytest.warns(DeprecationWarning, match=r"use result\.machine"):
            assert r["machine"] is r.machine
        with pytest.warns(DeprecationWarning, match=r"compare result\.to_dict\(\)"):
            assert r == json.loads(text)
        with pytest.warns(DeprecationWarning):
            assert "test" in r and "colour" not in r
        with pytest.raises(KeyError):
            r["colour"]
        with pytest.raises(TypeError):
            hash(r)
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.wall_s = 0.0


def test_other_records_keep_their_warning_wording():
    @dataclasses.dataclass(frozen=True, eq=False)
    class _Pair(Record):
        a: int
        b: float

    p = _Pair(1, 2.0)
    with pytest.warns(DeprecationWarning, match=r"use \.a \(or \.to_dict\(\)"):
        assert p["a"] == 1
    with pytest.warns(DeprecationWarning, match=r"comparing a _Pair with a dict"):
        assert p == {"a": 1, "b": 2.0}


# --------------------------------------------------------------------------
# the machine record of a run
# --------------------------------------------------------------------------
OLD_MACHINE_KEYS = ["platform", "processor", "cpus", "jax", "device"]


def test_a_run_records_the_old_machine_keys_and_machine_info(tmp_path):
    jax = pytest.importorskip("jax")
    from tnrnn.train import run

    tiny = {"task": "ses", "size": 8, "task_options": {"block": 2, "alphabet": 3},
            "cell": "gru", "hidden": 4, "steps": 2, "eval_every": 2, "batch": 8,
            "val_size": 16, "test_size": 16, "out": str(tmp_path / "r")}
    r = run(tiny)
    m = json.loads((tmp_path / "r" / "result.json").read_text())["machine"]
    assert m == r.machine
    assert list(m)[:5] == OLD_MACHINE_KEYS
    # the old record's values, computed as the old code computed them
    assert m["platform"] == platform.platform()
    assert m["processor"] == (platform.processor() or None)
    assert m["cpus"] == os.cpu_count()
    assert m["jax"] == jax.__version__
    assert m["device"] == str(jax.devices()[0].device_kind)
    # then machine_info's keys, the same description every other record uses
    info = machine_info(packages=("jax", "numpy"),
                        devices=[d.platform for d in jax.devices()])
    assert set(m) == set(OLD_MACHINE_KEYS) | set(info)
    for key in ("cpu", "cores", "memory_bytes", "versions", "jax_devices", "gpu"):
        assert m[key] == info[key]
    assert m["versions"]["jax"] == jax.__version__


# --------------------------------------------------------------------------
# --m through the one comma-list parser
# --------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["1,2,2", " 3, 1", "0", ",", "1,x", "300", "256", "257",
                                  "9" * 13, "1," + "9" * 13, "9" * 12, "1,2.5", "-5", "1e3",
                                  ",".join(["1"] * 300), ",".join(["1"] * 256), "0,300",
                                  "x" * 13])
def test_parse_ms_is_unchanged(text):
    from tnrnn.cli._memory import _parse_ms

    assert _outcome(_parse_ms, text) == _outcome(_old_parse_ms, text)


def test_comma_list_maximum():
    with pytest.raises(TooLargeError, match=r"^--k 9 exceeds 5$"):
        comma_list("1,9", "--k", kind=int, maximum=5)
    with pytest.raises(TooLargeError, match="--k lists a value of more than 12 digits"):
        comma_list("1" * 13, "--k", kind=int, maximum=5)
    assert comma_list("5,1", "--k", kind=int, maximum=5) == [5, 1]


# --------------------------------------------------------------------------
# the smoothness paper's runs as tnrnn dynamics commands
# --------------------------------------------------------------------------
def _cli(*args):
    return CliRunner().invoke(cli, ["dynamics", *args], catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (["paper-train", "--root", "R", "--tasks", "copy"],
     "--tasks: unknown task(s) copy; valid: sine, seqclass"),
    (["paper-train", "--root", "R", "--models", "gru,lstm"],
     "--models: unknown model(s) gru; valid: lstm, lstm-stable, exprnn"),
    (["paper-train", "--root", "R", "--seeds", "0,x"],
     "--seeds must be integers separated by commas; got '0,x'"),
    (["paper-train", "--root", "R", "--seeds", "-1"], "--seeds must be integers >= 0"),
    (["paper-train", "--root", "R", "--chunk", "0"], "--chunk must be an integer >= 1; got 0"),
    (["paper-train", "--root", "R", "--seconds", "inf"], "--seconds must be a finite"),
    (["paper-train", "--root", "R", "--seconds", "-1"], "--seconds must be >= 0"),
    (["paper-train", "--root", "R", "--until", "0"], "--until must be an integer >= 1"),
    (["paper-train"], "Missing option '--root'"),
    (["paper-analyse", "--root", "R", "--which", "best"], "'best' is not one of"),
    (["paper-analyse", "--root", "R", "--tasks", "sine,copy"], "unknown task(s) copy"),
])
def test_paper_commands_refuse_bad_options(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _cli(*args)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "R").exists()  # refused before anything is written


def test_paper_train_refuses_a_root_that_cannot_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    res = _cli("paper-train", "--root", str(tmp_path / "file"))
    assert res.exit_code == 2 and "is a file" in res.output
    res = _cli("paper-train", "--root", str(tmp_path / "no" / "such"))
    assert res.exit_code == 2 and "does not exist" in res.output
    res = _cli("paper-analyse", "--root", str(tmp_path))
    assert res.exit_code == 2 and "no runs in" in res.output


SMALL = dict(hidden=5, n_sequences=8, seq_len=20, orbit_steps=30, orbit_burn=20,
             orbit_inputs=2, epochs=40)


@pytest.mark.slow
def test_paper_train_resumes_a_run_as_one_continuous_run(tmp_path):
    """A run trained to epoch 2, then continued by ``paper-train`` to epoch 4,
    has the history of the same run trained to epoch 4 in one call (the
    resume.pkl carries parameters, Adam state and the schedule's epoch)."""
    pytest.importorskip("optax")
    from tnrnn.dynamics import paper_runs as pr

    quiet = lambda m: None  # noqa: E731
    assert pr.train_run("sine", "lstm", 0, tmp_path / "a", epochs=2, config=SMALL,
                        log=quiet) == 2
    assert pr.train_run("sine", "lstm", 0, tmp_path / "b", epochs=4, config=SMALL,
                        log=quiet) == 4
    # --seconds 0: the command finds the run and its resume.pkl, trains nothing
    before = (tmp_path / "a" / "sine" / "lstm-s0" / "resume.pkl").read_bytes()
    res = _cli("paper-train", "--root", str(tmp_path / "a"), "--models", "lstm", "--seeds",
               "0", "--seconds", "0")
    assert res.exit_code == 0 and json.loads(res.stdout) == {"sine/lstm-s0": 2}
    assert (tmp_path / "a" / "sine" / "lstm-s0" / "resume.pkl").read_bytes() == before
    res = _cli("paper-train", "--root", str(tmp_path / "a"), "--models", "lstm", "--seeds",
               "0", "--chunk", "1", "--until", "4", "--seconds", "600")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"sine/lstm-s0": 4}
    got = pr.load_history(pr.run_dir(tmp_path / "a", "sine", "lstm", 0))
    want = pr.load_history(pr.run_dir(tmp_path / "b", "sine", "lstm", 0))
    assert [h["epoch"] for h in got] == [1, 2, 3, 4]
    np.testing.assert_allclose([h["loss"] for h in got], [h["loss"] for h in want],
                               rtol=1e-6)
    assert [h["lr"] for h in got] == [h["lr"] for h in want]


@pytest.mark.slow
def test_paper_analyse_adds_the_last_checkpoint_once(tmp_path):
    pytest.importorskip("optax")
    from tnrnn.dynamics import paper_runs as pr

    pr.train_run("sine", "lstm", 1, tmp_path, epochs=1, config=SMALL, log=lambda m: None)
    res = _cli("paper-analyse", "--root", str(tmp_path), "--tasks", "sine", "--which", "last")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"sine/lstm-s1": [1]}
    path = pr.run_dir(tmp_path, "sine", "lstm", 1) / "analysis.json"
    first = path.read_text()
    assert list(json.loads(first)["checkpoints"]) == ["1"]
    assert "lstm-s1 epoch 1: lambda_max" in res.stderr
    # again: the checkpoint is there, nothing is recomputed
    res = _cli("paper-analyse", "--root", str(tmp_path), "--tasks", "sine", "--which", "last")
    assert res.exit_code == 0 and path.read_text() == first and "lambda_max" not in res.stderr


def test_paper_train_defaults_are_the_papers_models():
    pytest.importorskip("jax")
    from tnrnn.dynamics import paper_setups as ps

    opt = {o.name: o for o in cli.commands["dynamics"].commands["paper-train"].params}
    assert opt["models"].default.split(",") == list(ps.MODELS)


def test_the_old_module_entry_point_names_the_new_commands():
    res = subprocess.run([sys.executable, "-m", "tnrnn.dynamics.paper_runs", "train",
                          "--root", "x"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "JAX_PLATFORMS": "cpu"})
    assert res.returncode == 2
    assert "tnrnn dynamics paper-train" in res.stderr and "paper-analyse" in res.stderr


def test_no_warning_reading_attributes():
    from tnrnn.train import RunResult

    r = RunResult({}, {}, {"steps": 1}, {}, {}, 0.5, {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert r.fit["steps"] == 1 and r.to_dict()["wall_s"] == 0.5
