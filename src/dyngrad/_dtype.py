"""dtype objects with torch's names, the default dtype, and torch's type promotion.

A :class:`dtype` pairs torch's name (``dyngrad.float32``) with the NumPy dtype that stores it.
Promotion follows torch, not NumPy: operands are ranked in three groups (tensors with at least
one dimension, 0-d tensors, Python scalars); a lower group only decides the result when its
category (bool < integer < floating) is higher, and a Python float then gives the default
float dtype rather than float64.

>>> dyngrad.result_type(dyngrad.tensor([1, 2]), 2.5)
torch.float32
>>> dyngrad.promote_types(dyngrad.uint8, dyngrad.int8)
torch.int16
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

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
    "public_result_type",
    "promote_types",
    "can_cast",
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
        # Note: pickled as a reference to the module-level object, so unpickling gives back
        # the very same dtype (``is`` comparisons keep working).
        return "bool_" if self.name == "bool" else self.name


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

_SUPPORTED_NAMES = "float64, float32, float16, int64, int32, int16, int8, uint8, and bool"


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The dtype that stores ``np_dtype``; TypeError for NumPy types torch lacks."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        np_dtype = np.dtype(np_dtype)
        if np_dtype.byteorder not in "=|" and np_dtype.newbyteorder("=") in _BY_NUMPY:
            raise ValueError(
                "given numpy array has byte order different from the native byte order. "
                "Conversion between byte orders is currently not supported."
            ) from None
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. The only "
            f"supported types are: {_SUPPORTED_NAMES}."
        ) from None


_default = [float32]  # Note: global, not per thread, as in torch


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64; torch also takes float16)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    result_type_cached.cache_clear()


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both convert to without a category loss.

    The higher category (bool < integer < floating) wins outright (``int64`` with ``float16``
    gives ``float16``); within a category the wider type wins, and ``uint8`` with a signed
    integer type needs the next wider signed type (``uint8`` + ``int8`` = ``int16``).
    """
    for position, (arg, value) in enumerate((("type1", type1), ("type2", type2)), 1):
        if not isinstance(value, dtype):
            raise TypeError(
                f"promote_types(): argument '{arg}' (position {position}) must be "
                f"torch.dtype, not {type(value).__name__}"
            )
    return _promote_same_group(type1, type2)


def _promote_same_group(a: dtype, b: dtype) -> dtype:
    """Promote two dtypes of one priority group: the higher category wins, else NumPy's rule."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    # Note: within one category NumPy's promotion table is torch's (uint8 + int8 -> int16).
    return _BY_NUMPY[np.promote_types(a.np, b.np)]


def scalar_category(value: object) -> int:
    """The promotion category of a Python (or NumPy) scalar; NumPy scalars are weak too.

    Note: torch reads a NumPy bool as a floating-point number here (``result_type`` of an
    int64 tensor and ``np.bool_(True)`` is float32), so only Python's bool is BOOL.
    """
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, np.integer)):
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
    if zero_dim_dtype is not None and (result is None or zero_dim_dtype.category > result.category):
        result = zero_dim_dtype
    if scalar_cat >= 0 and (result is None or scalar_cat > result.category):
        result = _default_for(scalar_cat)
    assert result is not None
    return result


def result_type(*operands: object) -> dtype:
    """torch's result type over any number of tensors, arrays and Python/NumPy scalars."""
    dim_dtype: dtype | None = None
    zero_dtype: dtype | None = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(op, np.ndarray):
            d = _BY_NUMPY.get(op.dtype)
        if isinstance(d, dtype):
            if op.ndim:  # type: ignore[attr-defined]
                dim_dtype = d if dim_dtype is None else _promote_same_group(dim_dtype, d)
            else:
                zero_dtype = d if zero_dtype is None else _promote_same_group(zero_dtype, d)
        elif op is not None:
            scalar_cat = max(scalar_cat, scalar_category(op))
    return result_type_cached(dim_dtype, zero_dtype, scalar_cat)


_NUMBER = (bool, int, float, np.bool_, np.integer, np.floating)


def public_result_type(tensor: Any, other: Any) -> dtype:
    """torch.result_type(tensor, other): the dtype an arithmetic op on the two would give.

    Either argument may be a tensor or a number (Python or NumPy scalar; both weak).

    >>> dyngrad.result_type(dyngrad.tensor([1], dtype=dyngrad.int8), 1000)
    torch.int8
    """
    for value in (tensor, other):
        if not (isinstance(getattr(value, "dtype", None), dtype) or isinstance(value, _NUMBER)):
            got = ", ".join(_arg_kind(v) for v in (tensor, other))
            raise TypeError(
                f"result_type() received an invalid combination of arguments - got ({got}), "
                "but expected one of:\n * (Tensor tensor, Tensor other)\n"
                " * (Number scalar, Tensor tensor)\n * (Tensor tensor, Number other)\n"
                " * (Number scalar1, Number scalar2)\n"
            )
    return result_type(tensor, other)


def _arg_kind(value: object) -> str:
    return "Tensor" if isinstance(getattr(value, "dtype", None), dtype) else type(value).__name__


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: allowed unless the cast lowers the category (float -> int, int -> bool).

    >>> dyngrad.can_cast(dyngrad.float64, dyngrad.float16), dyngrad.can_cast(dyngrad.float32, dyngrad.int32)
    (True, False)
    """
    for position, (arg, value) in enumerate((("from_", from_), ("to", to)), 1):
        if not isinstance(value, dtype):
            raise TypeError(
                f"can_cast(): argument '{arg}' (position {position}) must be torch.dtype, "
                f"not {type(value).__name__}"
            )
    return from_.category <= to.category
