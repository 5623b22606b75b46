"""nn.functional part (conv)."""

__all__: list[str] = []
