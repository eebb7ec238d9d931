"""tnrnn.cells (being built)."""

__all__: list[str] = []
