"""tnrnn dynamics: Lyapunov spectra, fixed points, orbit diagrams, Lipschitz regions, loss slices."""

from __future__ import annotations
