"""``dyngrad.utils``: checkpointing (and, later, data loading)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
