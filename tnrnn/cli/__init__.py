"""Command-line interface: a thin layer over the public API.

Every subcommand prints a readable table by default and plain JSON with
``--json``. Bad input prints ``error: ...`` (what was given, what is allowed)
and exits with status 2, without a traceback.

Commands live in ``_network`` (compile, draw, grid), ``_bounds`` (bounds),
``_rank`` (rank), ``_table`` (table), ``_demo`` (demo), ``_outputs``
(figures, bench), ``_train`` (train), ``_memory`` (memory) and ``_dynamics``
(the dynamics group: ``_dynamics_common`` holds the group and its shared
options, ``_dynamics_analyses`` and ``_dynamics_experiments`` the commands);
importing them registers them on :data:`cli`. ``_app`` holds the click
application and what every command shares: the one JSON writer
(``json_text``, ``emit_json``), the one comma-list parser (``comma_list``)
and the one progress bar (``_progress_bar``).
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
