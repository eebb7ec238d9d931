"""Command-line interface: a thin layer over the public API.

Every subcommand prints a readable table by default and plain JSON with
``--json``. Bad input prints ``error: ...`` (what was given, what is allowed)
and exits with status 2, without a traceback.

Commands live in ``_network`` (compile, draw), ``_bounds`` (bounds),
``_rank`` (rank), ``_table`` (table), ``_demo`` (demo) and ``_outputs`` (figures, bench); importing them registers them
on :data:`cli`.
"""

from __future__ import annotations

import sys

from . import (_bounds, _demo, _dynamics, _memory, _network, _outputs, _rank,  # noqa: F401
               _table, _train)
from ._rank import _flag_contradictions  # noqa: F401  (tested directly)
from ._app import cli

__all__ = ["main", "cli"]


def main(argv=None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="tnrnn", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
