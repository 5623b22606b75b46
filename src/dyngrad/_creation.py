"""Tensors from data: ``tensor``, ``as_tensor``, ``from_numpy`` (and ``Tensor(...)``'s legacy
constructor). The shape factories live in ``_factories``, the random ones in ``_random``;
all are re-exported here.

dtype inference is torch's: Python floats give the default dtype (float32), ints int64,
bools bool; NumPy arrays and scalars and tensors inside lists keep their dtype, and the
element types of a list promote as dtypes do (``[np.float64(1.5), 2.5]`` is float64).

>>> dyngrad.tensor([[1, 2], [3, 4.5]])
tensor([[1.0000, 2.0000],
        [3.0000, 4.5000]])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _dtype
from ._creation_args import finish, int_limits, parse_size, resolve_dtype, type_name
from ._device import check_device
from ._factories import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from ._random import normal, rand, rand_like, randint, randint_like, randn, randn_like
from ._size import Size
from ._tensor import SCALAR_REQUIRES_GRAD_WARNING, Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "rand", "randn", "randint", "normal", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
]  # fmt: skip

COPY_CONSTRUCT_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than {}(sourceTensor)."
)
_PY_NUMBERS = frozenset((int, float, bool))
_MAX_DIMS = 64


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:  # fmt: skip
    """A new tensor (always a copy) from a number, nested lists/tuples, an array or a tensor.

    >>> dyngrad.tensor([1, 2]).dtype, dyngrad.tensor([1, 2.5]).dtype, dyngrad.tensor(True).dtype
    (torch.int64, torch.float32, torch.bool)
    """
    return new_tensor_from(data, dtype, device, requires_grad, "torch.tensor")


def new_tensor_from(data: Any, dtype: Any, device: Any, requires_grad: bool, caller: str
                    ) -> Tensor:  # fmt: skip
    """``tensor()``'s work; ``caller`` names the function in the copy-construct warning."""
    dtype = resolve_dtype(dtype, caller.rsplit(".", 1)[-1])
    kind = type(data)
    if (kind is float or kind is int or kind is bool) and dtype is None:  # fast path
        arr = _python_scalar(data)
    elif isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING.format(caller), UserWarning, stacklevel=3)
        arr = _cast(data._data, dtype, copy=True)
    elif isinstance(data, np.ndarray):
        _check_numpy(data)
        arr = _cast(data, dtype, copy=True)
    elif isinstance(data, np.generic) and not isinstance(data, (str, bytes)):
        _dtype.from_numpy_dtype(data.dtype)
        arr = _cast(np.asarray(data), dtype, copy=True)
    else:
        arr = _from_python(data, dtype)
    return finish(arr, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor``, but shares memory with a tensor or NumPy array when no conversion is
    needed (a tensor comes back as itself)."""
    dtype = resolve_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        check_device(device)
        if dtype is None or dtype is data.dtype:
            return data
        return data.to(dtype)  # type: ignore[attr-defined, no-any-return]
    if isinstance(data, np.ndarray):
        _check_numpy(data)
        return finish(_cast(data, dtype, copy=False), False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (writes to either show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type_name(ndarray)})")
    _check_numpy(ndarray)
    if not ndarray.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and PyTorch does not support non-writable "
            "tensors. This means writing to this tensor will result in undefined behavior. You "
            "may want to copy the array to protect its data or make it writable before "
            "converting it to a tensor. This type of warning will be suppressed for the rest "
            "of this program.",
            UserWarning,
            stacklevel=2,
        )
    return Tensor._make(ndarray, False, None, 0)


def legacy_tensor_data(args: tuple[Any, ...], device: Any) -> tuple[np.ndarray, Tensor | None]:
    """The array for ``Tensor(*args)`` and, for ``Tensor(tensor)``, the aliased tensor."""
    check_device(device)
    default = _dtype.get_default_dtype()
    if not args:
        return np.empty(0, default.np), None
    first = args[0]
    if len(args) == 1 and isinstance(first, Tensor):
        return first._data, first
    if len(args) == 1 and isinstance(first, np.ndarray):
        _check_numpy(first)
        return _cast(first, default, copy=False), None
    if len(args) == 1 and isinstance(first, (list, tuple)) and not isinstance(first, Size):
        return _from_python(first, default), None
    if isinstance(first, Size) or all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args
    ):
        return np.zeros(parse_size("Tensor", args), default.np), None
    raise TypeError(f"new(): data must be a sequence (got {type_name(first)})")


# --- NumPy input ------------------------------------------------------------------------
def _check_numpy(arr: np.ndarray) -> None:
    _dtype.from_numpy_dtype(arr.dtype)
    if any(s < 0 for s in arr.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around this "
            "by making a copy of your array  with array.copy().) "
        )


def _cast(arr: np.ndarray, dtype: _dtype.dtype | None, copy: bool) -> np.ndarray:
    """``arr`` as ``dtype`` with C's cast rules (wrap, truncate; no warnings), as torch does
    for arrays and tensors."""
    if dtype is None or arr.dtype == dtype.np:
        return arr.copy() if copy else arr
    with np.errstate(all="ignore"):  # NumPy's cast warnings are floating-point errors
        return arr.astype(dtype.np)


def _python_scalar(value: float | int | bool) -> np.ndarray:
    """A 0-d array of the dtype torch infers for a Python number."""
    if isinstance(value, bool):
        return np.array(value, dtype=np.bool_)
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return np.array(value, dtype=np.int64)
    with np.errstate(all="ignore"):
        return np.array(value, dtype=np.float64).astype(_dtype.get_default_dtype().np)


# --- nested Python sequences --------------------------------------------------------------
def _is_sequence(x: Any) -> bool:
    kind = type(x)
    if kind is list or kind is tuple:
        return True
    return isinstance(x, (list, tuple, range, np.ndarray)) or (
        isinstance(x, Sequence) and not isinstance(x, (str, bytes))
    )


def _from_python(data: Any, dtype: _dtype.dtype | None) -> np.ndarray:
    """Follow torch: reject strings, measure the shape along the first elements, infer the
    dtype from every element, check each sequence's length, then convert."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    sizes = _measure(data)
    if not _warned_array_list and isinstance(data, (list, tuple)):
        _warn_array_list(data)
    target = dtype if dtype is not None else _infer(data)
    if 0 in sizes:
        return np.zeros(sizes, target.np)
    state = _Walk(len(sizes), target)
    state.check(data, 0, sizes)
    nested = state.unwrap(data, 0) if state.saw_tensor else data
    return _convert(nested, target, sizes, state.saw_float)


_warned_array_list = False


def _warn_array_list(data: Sequence[Any]) -> None:
    """torch's once-per-process hint when a list holds NumPy arrays."""
    global _warned_array_list
    if any(isinstance(x, np.ndarray) for x in data):
        _warned_array_list = True
        warnings.warn(
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider "
            "converting the list to a single numpy.ndarray with numpy.array() before converting "
            "to a tensor.",
            UserWarning,
            stacklevel=5,
        )


def _measure(data: Any) -> tuple[int, ...]:
    sizes: list[int] = []
    x = data
    while True:
        if isinstance(x, (str, bytes)):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if isinstance(x, np.ndarray):
            if x.ndim == 0 and x is not data:
                raise TypeError("len() of unsized object")
            sizes.extend(x.shape)
            break
        if not _is_sequence(x):
            break
        n = len(x)
        sizes.append(n)
        if len(sizes) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if n == 0:
            break
        x = x[0]
    return tuple(sizes)


def _infer(data: Any) -> _dtype.dtype:
    """torch's dtype for ``data``: every element's dtype, promoted together."""
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        return _dtype.from_numpy_dtype(data.dtype)  # before float: np.float64 is a float
    if isinstance(data, bool):
        return _dtype.bool_
    if isinstance(data, int):
        return _dtype.int64
    if isinstance(data, float):
        return _dtype.get_default_dtype()
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if _is_sequence(data):
        if len(data) == 0:
            return _dtype.get_default_dtype()
        kinds = set(map(type, data))
        if kinds <= _PY_NUMBERS:  # fast path: a flat list of Python numbers
            if float in kinds:
                return _dtype.get_default_dtype()
            return _dtype.int64 if int in kinds else _dtype.bool_
        result = None
        for item in data:
            d = _infer(item)
            result = d if result is None else _dtype.promote_types(result, d)
        assert result is not None
        return result
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


class _Walk:
    """The length check over nested data (torch's rules for what may stand where)."""

    def __init__(self, ndim: int, target: _dtype.dtype) -> None:
        self.ndim = ndim
        self.target = target
        self.saw_tensor = False
        self.saw_float = False  # any floating value (decides how integers are checked)

    def check(self, x: Any, dim: int, sizes: tuple[int, ...]) -> None:
        if dim == self.ndim:
            self.check_leaf(x)
            return
        if isinstance(x, np.ndarray):
            if x.ndim == 0:
                raise TypeError("not a sequence")
            self.saw_float |= x.dtype.kind == "f"
            self.check_array_shape(x.shape, dim, sizes)
            return
        if isinstance(x, Tensor):
            self.saw_tensor = True
            self.check_tensor_kind(x)
            if x.ndim == 0:
                raise TypeError("not a sequence")
            self.check_array_shape(x.shape, dim, sizes)
            return
        if not _is_sequence(x) or isinstance(x, (str, bytes)):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(
                f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})"
            )
        if dim + 1 == self.ndim:
            kinds = set(map(type, x))
            if kinds <= _PY_NUMBERS:
                self.saw_float |= float in kinds
                return
        for item in x:
            self.check(item, dim + 1, sizes)

    def check_array_shape(self, shape: tuple[int, ...], dim: int, sizes: tuple[int, ...]) -> None:
        for k, n in enumerate(shape):
            if dim + k == self.ndim:  # an array where a number belongs
                raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
            if n != sizes[dim + k]:
                raise ValueError(
                    f"expected sequence of length {sizes[dim + k]} at dim {dim + k} (got {n})"
                )
        if dim + len(shape) < self.ndim:
            raise TypeError("not a sequence")

    def check_tensor_kind(self, x: Tensor) -> None:
        """torch reads tensor elements bound for an integer dtype through ``__index__``."""
        if x._data.dtype.kind == "f":
            self.saw_float = True
            if self.target.category == _dtype.INT:
                raise TypeError(
                    "only integer tensors of a single element can be converted to an index"
                )

    def check_leaf(self, x: Any) -> None:
        if isinstance(x, (bool, int, float, np.bool_, np.number)):
            self.saw_float |= isinstance(x, (float, np.floating))
            return
        integer = self.target.category != _dtype.FLOAT
        if isinstance(x, Tensor):
            self.saw_tensor = True
            self.check_tensor_kind(x)
            if x.numel() == 1:
                if x._rg and not integer:
                    warnings.warn(SCALAR_REQUIRES_GRAD_WARNING, UserWarning, stacklevel=5)
                return
            if integer:
                raise TypeError(
                    "only integer tensors of a single element can be converted to an index"
                )
            raise ValueError("only one element tensors can be converted to Python scalars")
        if isinstance(x, np.ndarray):
            if x.ndim == 0:
                self.saw_float |= x.dtype.kind == "f"
                return
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        if integer:
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        raise TypeError(f"must be real number, not {type(x).__name__}")

    def unwrap(self, x: Any, dim: int) -> Any:
        """The data with tensors replaced by arrays (numbers at the innermost level)."""
        if isinstance(x, Tensor):
            return x._data.reshape(()).item() if dim == self.ndim else x._data
        if dim < self.ndim and not isinstance(x, np.ndarray):
            return [self.unwrap(item, dim + 1) for item in x]
        return x


def _convert(nested: Any, target: _dtype.dtype, sizes: tuple[int, ...], saw_float: bool
             ) -> np.ndarray:  # fmt: skip
    """Nested numbers -> an array of ``target``, with torch's range checks for integers:
    Python ints are 64-bit (``ValueError`` beyond), and values that do not fit an integer
    dtype raise (``RuntimeError``)."""
    with np.errstate(all="ignore"):
        if target.category == _dtype.FLOAT:
            return np.array(nested, dtype=np.float64).astype(target.np).reshape(sizes)
        if target is _dtype.bool_:
            return np.array(nested, dtype=object if not saw_float else None).astype(np.bool_)
        if saw_float:
            wide = np.array(nested, dtype=np.float64)
        else:
            try:
                wide = np.array(nested, dtype=np.int64)
            except OverflowError:
                raise ValueError("Overflow when unpacking long long") from None
        if wide.size:
            _check_integer_range(wide, target)
        return wide.astype(target.np).reshape(sizes)


def _check_integer_range(wide: np.ndarray, target: _dtype.dtype) -> None:
    low, high = int_limits(target.np)
    if wide.dtype.kind == "f":
        bad = np.isnan(wide) | (wide < low) | (wide > high)
    elif low == 0:  # unsigned: negative values down to -max wrap around
        bad = (wide < -high) | (wide > high)
    else:
        bad = (wide < low) | (wide > high)
    if bad.any():
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
