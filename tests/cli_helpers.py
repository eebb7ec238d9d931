"""Helpers of the command-line tests: run a command, and read the one
``error: ...`` line that every refusal must print (exit status 2, no
traceback, no usage block)."""
from click.testing import CliRunner

from tnrnn.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_error_line(res):
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output and "Usage:" not in res.output
    return lines[0]
