"""tnrnn.parallel (being built)."""

__all__: list[str] = []
