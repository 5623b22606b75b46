"""``dyngrad.utils``: checkpointing (and, later, data loading)."""

from . import checkpoint

__all__ = ["checkpoint"]
