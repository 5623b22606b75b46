"""Helpers the elementwise ops share: torch's checked conversion of Python-number parameters
(``clamp(x, 300)`` on uint8), its "not implemented for 'Bool'" errors, argument checks.

These are not ops: nothing here is registered or differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES

__all__ = [
    "checked_scalar",
    "legacy_name",
    "not_implemented_for",
    "require_tensor",
    "zeros_like_grad",
]

# The C++ type names torch's overflow messages use.
_C_TYPE_NAMES = {
    "uint8": "uint8_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "bool": "bool",
}


def legacy_name(np_dtype: np.dtype) -> str:
    """torch's legacy type name of a dtype: 'Float', 'Long', 'Bool' ..."""
    return _TYPE_NAMES[np.dtype(np_dtype).name]


def not_implemented_for(kernel: str, np_dtype: np.dtype) -> NotImplementedError:
    """torch's error for a kernel without a loop for this dtype."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{legacy_name(np_dtype)}'")


def require_tensor(op: str, value: Any, name: str = "other", position: int = 2) -> None:
    """torch's TypeError for an argument that must be a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be Tensor, "
            f"not {type(value).__name__}"
        )


def checked_scalar(value: Any, np_dtype: np.dtype) -> Any:
    """A Python-number op parameter converted to ``np_dtype`` as torch converts it, with its
    overflow check: integers must fit (unsigned types also take negatives down to −max,
    which wrap around), finite floats must be within range (inf and nan pass). Returns a
    Python number NumPy can combine with an ``np_dtype`` array without complaint."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        raise OverflowError("int too big to convert")
    dt = np.dtype(np_dtype)
    if dt.kind in "iu":
        if isinstance(value, float):
            return value  # the caller promoted the tensor; nothing to check
        info = np.iinfo(dt)
        low = -int(info.max) if dt.kind == "u" else int(info.min)
        if not low <= value <= int(info.max):
            raise _overflow(dt)
        return value % (int(info.max) + 1) if value < 0 and dt.kind == "u" else value
    if dt.kind == "f":
        limit = float(np.finfo(dt).max)
        if abs(value) > limit and abs(value) != float("inf"):
            raise _overflow(dt)
    return value


def _overflow(dt: np.dtype) -> RuntimeError:
    return RuntimeError(
        f"value cannot be converted to type {_C_TYPE_NAMES[dt.name]} without overflow"
    )


def zeros_like_grad(g: Tensor) -> Tensor:
    """The zero gradient of a piecewise-constant op (floor, sign, ...): zeros, not ``g * 0``,
    so inf/nan in ``g`` do not leak in, as in torch."""
    return Tensor._make(np.zeros_like(g._data), False, None, 0)
