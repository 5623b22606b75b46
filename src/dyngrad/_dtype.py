"""dtype objects with torch's names, the default dtype, and torch's type promotion.

A :class:`dtype` pairs torch's name (``dyngrad.float32``) with the NumPy dtype that stores it.
Promotion follows torch, not NumPy: operands are ranked in three groups (tensors with at least
one dimension, 0-d tensors, Python scalars); a lower group only decides the result when its
category (bool < integer < floating) is higher, and a Python float then gives the default
float dtype rather than float64.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool_",
    "get_default_dtype",
    "set_default_dtype",
    "from_numpy_dtype",
    "result_type",
]

BOOL, INT, FLOAT = 0, 1, 2  # promotion categories, ordered


class dtype:  # noqa: N801 - torch's name
    """A tensor element type: ``dyngrad.float32`` prints as ``torch.float32``."""

    __slots__ = ("name", "np", "category", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.is_floating_point = category == FLOAT
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self) -> bool:
        return False

    def to_real(self) -> dtype:
        return self

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self) -> str:
        return self.name


float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
uint8 = dtype("uint8", np.uint8, INT)
bool_ = dtype("bool", np.bool_, BOOL)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "short": int16,
    "int": int32,
    "long": int64,
}

_BY_NUMPY: dict[np.dtype, dtype] = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The dtype that stores ``np_dtype``; TypeError for NumPy types torch lacks."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
            "supported types are: float64, float32, float16, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


_default = [float32]  # Note: global, not per thread, as in torch


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64, as torch allows here)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    result_type_cached.cache_clear()


def _promote_same_group(a: dtype, b: dtype) -> dtype:
    """Promote two dtypes of one priority group: the higher category wins, else NumPy's rule."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return _BY_NUMPY[np.promote_types(a.np, b.np)]


def scalar_category(value: object) -> int:
    """The promotion category of a Python scalar."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return FLOAT


def _default_for(category: int) -> dtype:
    return (bool_, int64, get_default_dtype())[category]


@lru_cache(maxsize=1024)
def result_type_cached(
    dim_dtype: dtype | None, zero_dim_dtype: dtype | None, scalar_cat: int
) -> dtype:
    """Combine the three priority groups as torch does; ``scalar_cat`` is -1 for none."""
    result = dim_dtype
    if zero_dim_dtype is not None:
        if result is None or zero_dim_dtype.category > result.category:
            result = zero_dim_dtype
    if scalar_cat >= 0 and (result is None or scalar_cat > result.category):
        result = _default_for(scalar_cat)
    assert result is not None
    return result


def result_type(*operands: object) -> dtype:
    """torch.result_type over tensors and Python scalars."""
    dim_dtype: dtype | None = None
    zero_dtype: dtype | None = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):
            if op.ndim:  # type: ignore[attr-defined]
                dim_dtype = d if dim_dtype is None else _promote_same_group(dim_dtype, d)
            else:
                zero_dtype = d if zero_dtype is None else _promote_same_group(zero_dtype, d)
        elif op is not None:
            scalar_cat = max(scalar_cat, scalar_category(op))
    return result_type_cached(dim_dtype, zero_dtype, scalar_cat)


def can_cast(src: dtype, dst: dtype) -> bool:
    """torch.can_cast: no category downgrade (float -> int, int -> bool)."""
    return src.category <= dst.category
