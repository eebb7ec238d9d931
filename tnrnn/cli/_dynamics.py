"""tnrnn dynamics: Lyapunov spectra, fixed points, orbit diagrams, Lipschitz
constants, region maps and loss slices of recurrent maps (tnrnn.dynamics).

The group and its shared helpers are in :mod:`._dynamics_common`; the
commands, one module per concern, register on import.
"""

from __future__ import annotations

from . import _dynamics_analyses, _dynamics_experiments  # noqa: F401
from ._dynamics_common import dynamics

__all__ = ["dynamics"]
