"""nn.functional part (norm)."""

__all__: list[str] = []
