"""tnrnn.linear_rnn (being built)."""

__all__: list[str] = []
