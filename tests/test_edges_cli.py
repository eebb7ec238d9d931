"""Issue 9: bad input anywhere on the command line exits 2 with one
``error: ...`` line, no "Usage:" block and no traceback, for click's own
usage errors (a bad number, an unknown option or command, a missing value)
as for tnrnn's."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tnrnn.cli import cli
from cli_helpers import one_error_line

COMMANDS = ["bounds", "compile", "draw", "grid", "rank", "table", "demo", "figures", "bench"]




@pytest.mark.parametrize("cmd", COMMANDS)
def test_unknown_option_on_every_command(cmd):
    line = one_error_line(CliRunner().invoke(cli, [cmd, "--no-such-option"]))
    assert f"{cmd}: No such option '--no-such-option'" in line
    assert f"see 'cli {cmd} --help'" in line


@pytest.mark.parametrize("args,message", [
    (["bounds", "-L", "two"], "Invalid value for '-L' / '--depth': 'two' is not a valid integer"),
    (["bounds", "-R", "3.5"], "'3.5' is not a valid integer"),
    (["bounds", "-T"], "Option '-T' requires an argument"),
    (["bounds", "--arch", "lstm"], "Invalid value for '--arch': 'lstm' is not one of"),
    (["bounds", "--inputs", "grid"], "'grid' is not one of 'continuous', 'one-hot'"),
    (["bounds", "extra"], "Got unexpected extra argument (extra)"),
    (["bounds", "--max-bits", "lots"], "'lots' is not a valid float"),
    (["grid", "--seed", "x"], "'x' is not a valid integer"),
    (["grid", "--max-entries", "1e9"], "'1e9' is not a valid integer"),
    (["compile", "--form", "mps"], "'mps' is not one of 'cp', 'core'"),
    (["draw"], "Missing option '-o' / '--output'"),
    (["draw", "-o", "a.svg", "--collapse", "maybe"], "'maybe' is not one of"),
    (["rank", "--seed", "1.5"], "'1.5' is not a valid integer"),
    (["table", "--depth", "1", "--nope"], "No such option '--nope'"),
    (["figures", "--seed", "abc"], "'abc' is not a valid integer"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["--no-such-option"], "No such option '--no-such-option'"),
])
def test_usage_errors_are_one_line(args, message):
    assert message in one_error_line(CliRunner().invoke(cli, args))


@pytest.mark.parametrize("args,message", [
    (["bounds", "-R", "0"], "hidden must be an integer >= 1; got 0"),
    (["bounds", "-L", "-1"], "depth must be an integer >= 1; got -1"),
    (["bounds", "-M", "0"], "input_dim must be an integer >= 1; got 0"),
    (["bounds", "-K", "0"], "outputs must be an integer >= 1; got 0"),
    (["bounds", "--partition", "A:"], "partition"),
    (["bounds", "--partition", "A:1,1"], "time steps of A must be distinct"),
    (["bounds", "--partition", "A:1,2,3,4,5,6"], "both sides of a partition must be non-empty"),
    (["bounds", "-T", "6", "--output", "-1"], "--output must be an output index in 0..0"),
    (["bounds", "--max-seconds", "0"], "--max-seconds must be a positive number; got 0"),
    (["bounds", "-T", "100000000000"], "--max-seconds 30"),
    (["compile", "--max-tensors", "0"], "max_tensors must be an integer >= 1; got 0"),
])
def test_tnrnn_errors_are_one_line(args, message):
    assert message in one_error_line(CliRunner().invoke(cli, args))


def test_real_console_script_prints_one_line():
    res = subprocess.run([sys.executable, "-m", "tnrnn.cli", "grid", "-L", "x"],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        "error: tnrnn grid: Invalid value for '-L' / '--depth': 'x' is not a valid "
        "integer; see 'tnrnn grid --help'"] or res.stderr.startswith("error: ")
    assert "Usage:" not in res.stderr


def test_help_and_version_still_work():
    assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["bounds", "--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["--version"]).exit_code == 0
    res = CliRunner().invoke(cli, [])
    assert "Usage:" in res.output and "error:" not in res.output  # bare `tnrnn`: the help
