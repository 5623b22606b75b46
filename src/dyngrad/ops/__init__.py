"""Every op: forward and backward side by side, one registration each (see _registry)."""

from . import elementwise, indexing, linalg, reduction, shape
from ._registry import FUNCTIONS

__all__ = ["FUNCTIONS", "elementwise", "indexing", "linalg", "reduction", "shape"]
