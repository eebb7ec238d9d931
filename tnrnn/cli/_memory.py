"""tnrnn memory: the curse of memory in linear RNNs (kernels, approximation, plateaus)."""

from __future__ import annotations
