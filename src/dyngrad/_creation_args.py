"""Argument handling shared by the tensor factories (``_creation``, ``_factories``,
``_random``): sizes, dtypes, value range checks and ``requires_grad``, each with torch's
exception class and wording."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from . import _dtype
from ._device import check_device
from ._tensor import Tensor

# torch's legacy scalar type names ("not implemented for 'Long'").
TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
}
# The C++ type torch names when a fill value does not fit (full, full_like).
C_TYPE_NAMES = {
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "uint8": "uint8_t",
    "bool": "bool",
}
_PYTHON_TYPES = {float: _dtype.float64, int: _dtype.int64, bool: _dtype.bool_}


def type_name(value: object) -> str:
    """How torch names the type of a bad argument: ``float``, ``Tensor``, ``numpy.ndarray``."""
    cls = type(value)
    if isinstance(value, Tensor):
        return "Tensor"
    module = cls.__module__.split(".")[0]
    return cls.__name__ if module == "builtins" else f"{module}.{cls.__name__}"


def resolve_dtype(dtype: Any, fname: str) -> _dtype.dtype | None:
    """``dtype=`` as torch takes it: a dtype, None, or the Python types float/int/bool."""
    if dtype is None or isinstance(dtype, _dtype.dtype):
        return dtype
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {type(dtype).__name__}")


def finish(arr: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    """Wrap a fresh array as a leaf; torch's error when an integer tensor would need grad."""
    check_device(device)
    t = Tensor._make(arr, False, None, 0)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._rg = True
    return t


def as_int(value: Any, fname: str, arg: str, position: int | None) -> int:
    """An integer argument (Python or NumPy int, or a 0-d integer tensor); not a bool."""
    where = f"argument '{arg}'" + (f" (position {position})" if position else "")
    if isinstance(value, (bool, np.bool_, float, np.floating)):
        raise TypeError(f"{fname}(): {where} must be int, not {type_name(value)}")
    if isinstance(value, Tensor) and (value.ndim or value.dtype.category != _dtype.INT):
        raise TypeError(f"{fname}(): {where} must be int, not Tensor")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{fname}(): {where} must be int, not {type_name(value)}") from None


def parse_size(fname: str, args: tuple[Any, ...], size: Any = None) -> tuple[int, ...]:
    """The shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size)`` or ``size=``."""
    if size is not None:
        if args:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        if not isinstance(size, (tuple, list)):
            raise TypeError(
                f"{fname}(): argument 'size' must be tuple of ints, not {type_name(size)}"
            )
        items: Any = size
    elif len(args) == 1 and isinstance(args[0], (tuple, list)):
        items = args[0]
    elif not args:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "size"')
    else:
        items = args
        if len(args) == 1:
            only = args[0]
            ok = isinstance(only, (int, np.integer)) and not isinstance(only, bool)
            ok = ok or (isinstance(only, Tensor) and only.ndim == 0 and only.dtype.category == 1)
            if not ok:
                raise TypeError(
                    f"{fname}(): argument 'size' (position 1) must be tuple of ints, not "
                    f"{type_name(only)}"
                )
    shape = []
    for i, s in enumerate(items):
        if type(s) is int:
            shape.append(s)
            continue
        try:
            if isinstance(s, (bool, float, np.floating)):
                raise TypeError
            shape.append(operator.index(s))
        except TypeError:
            raise TypeError(
                f"{fname}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                f'error "type must be tuple of ints,but got {type_name(s)}"'
            ) from None
    for s in shape:
        if s < 0:
            if fname == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: "
                f"[{', '.join(map(str, shape))}]"
            )
    return tuple(shape)


def number(value: Any, fname: str, arg: str, position: int) -> Any:
    """A Number argument as a Python scalar (a 0-d tensor counts, as in torch)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise TypeError(
                f"{fname}(): argument '{arg}' (position {position}) must be Number, not Tensor"
            )
        return value._data.item()
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if not isinstance(value, (bool, int, float)):
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {position}) must be Number, not "
            f"{type_name(value)}"
        )
    return value


def scalar_dtype(value: Any) -> _dtype.dtype:
    """The dtype a factory gives a Python scalar: bool, int64, or the default float dtype."""
    if isinstance(value, bool):
        return _dtype.bool_
    if isinstance(value, int):
        return _dtype.int64
    return _dtype.get_default_dtype()


def fits(value: Any, dtype: _dtype.dtype) -> bool:
    """Whether torch converts the scalar ``value`` to ``dtype`` without an overflow error.

    Integers must lie in the type's range (an unsigned type also takes ``-max..-1``, which
    wrap around); floats bound for an integer type must lie in its range (NaN never does);
    a finite float must not exceed a floating type's largest value.
    """
    if dtype is _dtype.bool_ or isinstance(value, bool):
        return True
    if dtype.is_floating_point:
        largest = float(np.finfo(dtype.np).max)
        if isinstance(value, int):
            return abs(value) <= largest
        return math.isinf(value) or math.isnan(value) or abs(value) <= largest
    low, high = int_limits(dtype.np)
    if isinstance(value, float):
        return not math.isnan(value) and low <= value <= high
    if low == 0:
        return -high <= value <= high
    return low <= value <= high


def int_limits(np_dtype: np.dtype) -> tuple[int, int]:
    """The smallest and largest value of an integer (or bool) NumPy dtype."""
    if np_dtype.kind == "b":
        return 0, 1
    info = np.iinfo(str(np_dtype))
    return int(info.min), int(info.max)


def check_python_int(value: int) -> None:
    """torch reads Python ints as 64-bit values (unsigned when positive)."""
    if value < -(2**63):
        raise OverflowError("can't convert negative int to unsigned")
    if value >= 2**64:
        raise OverflowError("int too big to convert")


def fill_array(shape: Any, value: Any, dtype: _dtype.dtype, like: np.ndarray | None) -> np.ndarray:
    """An array of ``shape`` (or laid out like ``like``) filled with the scalar ``value``."""
    if isinstance(value, int) and not isinstance(value, bool):
        check_python_int(value)
    if not fits(value, dtype):
        raise RuntimeError(
            f"value cannot be converted to type {C_TYPE_NAMES[dtype.name]} without overflow"
        )
    if dtype.category == _dtype.INT and isinstance(value, int):
        value = np.array(value, dtype=np.int64 if value < 2**63 else np.uint64).astype(dtype.np)
    elif dtype.category == _dtype.INT:
        value = int(value)  # truncation toward zero, as C does
    elif dtype.np == np.bool_:
        value = bool(value)  # (NumPy refuses ints beyond int64 for bool)
    if like is not None:
        return np.full_like(like, value, dtype=dtype.np)
    return np.full(shape, value, dtype=dtype.np)


def format_scalar(value: Any) -> str:
    """A number as torch's C++ code prints it in messages (``-1``, ``0.5``, ``inf``)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:g}"
    return str(value)


def check_generator(generator: Any, fname: str) -> None:
    from ._random import Generator

    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(
            f"{fname}(): argument 'generator' must be torch.Generator, not {type_name(generator)}"
        )


def broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast shape, with torch's error naming the first mismatched dimension."""
    ndim = max(len(a), len(b))
    out: list[int] = []
    for k in range(1, ndim + 1):  # from the last dimension, as torch reports
        da = a[-k] if k <= len(a) else 1
        db = b[-k] if k <= len(b) else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {ndim - k}"
            )
        out.append(max(da, db) if da != 0 and db != 0 else 0)
    return tuple(reversed(out))
