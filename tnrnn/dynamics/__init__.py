"""tnrnn.dynamics (being built)."""

__all__: list[str] = []
