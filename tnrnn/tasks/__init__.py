"""tnrnn.tasks (being built)."""

__all__: list[str] = []
