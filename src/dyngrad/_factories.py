"""Tensors of a given shape: zeros, ones, empty, full, arange, linspace, eye and the
non-random ``*_like`` forms (which keep the input's dtype and memory layout).

>>> dyngrad.full((2,), 7), dyngrad.arange(1, 2.5, 0.5)
(tensor([7, 7]), tensor([1.0000, 1.5000, 2.0000]))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _dtype
from ._creation_args import (
    TYPE_NAMES,
    as_int,
    fill_array,
    finish,
    format_scalar,
    number,
    parse_size,
    resolve_dtype,
    scalar_dtype,
    type_name,
)
from ._tensor import Tensor

__all__ = [
    "zeros", "ones", "empty", "full", "arange", "linspace", "eye", "zeros_like", "ones_like",
    "empty_like", "full_like",
]  # fmt: skip


def _float_or(dtype: _dtype.dtype | None) -> _dtype.dtype:
    return dtype if dtype is not None else _dtype.get_default_dtype()


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          **kwargs: Any) -> Tensor:  # fmt: skip
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    shape = parse_size("zeros", size, _size_kwarg("zeros", kwargs))
    dt = _float_or(resolve_dtype(dtype, "zeros"))
    return finish(np.zeros(shape, dt.np), requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
         **kwargs: Any) -> Tensor:  # fmt: skip
    """A tensor of ones of shape ``size``."""
    shape = parse_size("ones", size, _size_kwarg("ones", kwargs))
    dt = _float_or(resolve_dtype(dtype, "ones"))
    return finish(np.ones(shape, dt.np), requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          **kwargs: Any) -> Tensor:  # fmt: skip
    """A tensor of shape ``size`` whose values are unspecified (zeros here)."""
    shape = parse_size("empty", size, _size_kwarg("empty", kwargs))
    dt = _float_or(resolve_dtype(dtype, "empty"))
    return finish(np.zeros(shape, dt.np), requires_grad, device)


def _size_kwarg(fname: str, kwargs: dict[str, Any]) -> Any:
    size = kwargs.pop("size", None)
    kwargs.pop("out", None)
    kwargs.pop("layout", None)
    kwargs.pop("pin_memory", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False,
         device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """A tensor of shape ``size`` filled with ``fill_value``; the dtype follows the value
    (bool -> bool, int -> int64, float -> the default float dtype) unless given.

    >>> dyngrad.full((2,), True), dyngrad.full((2,), 2.5)
    (tensor([True, True]), tensor([2.5000, 2.5000]))
    """
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"full(): argument 'size' (position 1) must be tuple of ints, not {type_name(size)}"
        )
    shape = parse_size("full", (tuple(size),), _size_kwarg("full", kwargs))
    value = number(fill_value, "full", "fill_value", 2)
    dt = resolve_dtype(dtype, "full") or scalar_dtype(value)
    return finish(fill_array(shape, value, dt, None), requires_grad, device)


def arange(start: Any = None, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False, device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``:
    ``ceil((end - start) / step)`` of them. Integer arguments give int64, any float
    argument the default float dtype.

    >>> dyngrad.arange(5, 0, -1.5)
    tensor([5.0000, 3.5000, 2.0000, 0.5000])
    """
    _size_kwarg("arange", kwargs)
    if end is None:  # arange(end)
        if start is None:
            raise TypeError("arange() missing required argument 'end' (pos 1)")
        start, end = 0, number(start, "arange", "end", 1)
    elif start is None:  # arange(end=...)
        start = 0
    start = number(start, "arange", "start", 1)
    end = number(end, "arange", "end", 2)
    step = number(step, "arange", "step", 3)
    dt = resolve_dtype(dtype, "arange")
    if dt is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = _dtype.get_default_dtype() if is_float else _dtype.int64
    if dt is _dtype.bool_:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {format_scalar(start)} -> {format_scalar(end)}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dt.category == _dtype.INT:
        # Note: torch converts the bounds to the integer dtype first (truncating).
        start, end, int_step = int(start), int(end), int(step)
        if int_step == 0:
            raise ValueError("step must be nonzero")
        step = int_step
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.category == _dtype.INT:
        n = -((start - end) // step)  # exact ceil((end - start) / step)
        values = start + np.arange(n, dtype=np.int64) * step
    else:
        n = math.ceil((end - start) / step)
        values = float(start) + np.arange(n, dtype=np.float64) * float(step)
    with np.errstate(all="ignore"):
        return finish(values.astype(dt.np), requires_grad, device)


def linspace(start: Any, end: Any, steps: Any, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    The first half is counted up from ``start`` and the second half down from ``end``, so
    both ends are exact (torch's rule).

    >>> dyngrad.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    _size_kwarg("linspace", kwargs)
    for name, v in (("start", start), ("end", end)):
        if isinstance(v, Tensor) and v.ndim:
            raise RuntimeError(
                "linspace only supports 0-dimensional start and end tensors, but got "
                f"{name} with {v.ndim} dimension(s)."
            )
    start = number(start, "linspace", "start", 1)
    end = number(end, "linspace", "end", 2)
    steps = as_int(steps, "linspace", "steps", 3)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _float_or(resolve_dtype(dtype, "linspace"))
    if dt is _dtype.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if dt.category == _dtype.INT:  # torch converts the ends to the integer dtype first
        start = int(np.array(int(start), dtype=np.int64).astype(dt.np))
        end = int(np.array(int(end), dtype=np.int64).astype(dt.np))
    with np.errstate(all="ignore"):
        if steps == 1:
            values = np.array([start], dtype=np.float64)
        else:
            step = (end - start) / (steps - 1) if steps > 1 else 0.0
            i = np.arange(steps, dtype=np.float64)
            from_start = start + i * step
            from_end = end - (steps - 1 - i) * step
            values = np.where(i < steps // 2, from_start, from_end)
        return finish(values.astype(dt.np), requires_grad, device)


def eye(n: Any, m: Any = None, *, dtype: Any = None, requires_grad: bool = False,
        device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """The ``n`` x ``m`` identity matrix (``m = n`` by default)."""
    _size_kwarg("eye", kwargs)
    n = as_int(n, "eye", "n", 1)
    m = n if m is None else as_int(m, "eye", "m", 2)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _float_or(resolve_dtype(dtype, "eye"))
    return finish(np.eye(n, m, dtype=dt.np), requires_grad, device)


# --- *_like -----------------------------------------------------------------------------
def like_input(input: Any, fname: str, dtype: Any) -> tuple[np.ndarray, _dtype.dtype]:
    """The input's array and the result dtype (the input's unless ``dtype`` is given)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fname}(): argument 'input' (position 1) must be Tensor, not {type_name(input)}"
        )
    return input._data, resolve_dtype(dtype, fname) or input.dtype


def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """Zeros with ``input``'s shape, dtype and memory layout."""
    arr, dt = like_input(input, "zeros_like", dtype)
    return finish(np.zeros_like(arr, dtype=dt.np), requires_grad, device)


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
              device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """Ones with ``input``'s shape, dtype and memory layout."""
    arr, dt = like_input(input, "ones_like", dtype)
    return finish(np.ones_like(arr, dtype=dt.np), requires_grad, device)


def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """An unspecified-valued tensor (zeros here) with ``input``'s shape, dtype and layout."""
    arr, dt = like_input(input, "empty_like", dtype)
    return finish(np.zeros_like(arr, dtype=dt.np), requires_grad, device)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False, device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """``fill_value`` everywhere, with ``input``'s shape, dtype and layout."""
    arr, dt = like_input(input, "full_like", dtype)
    value = number(fill_value, "full_like", "fill_value", 2)
    return finish(fill_array(None, value, dt, arr), requires_grad, device)


def check_float_dtype(dt: _dtype.dtype, kernel: str) -> None:
    """Random floating-point kernels exist only for floating dtypes (torch's error)."""
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{TYPE_NAMES[dt.name]}'")
