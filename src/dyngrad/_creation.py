"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty, arange, linspace,
eye, rand/randn/randint/normal and the ``*_like`` forms.

dtype inference is torch's: Python floats give the default dtype (float32), ints int64,
bools bool; NumPy arrays keep their dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _dtype
from ._random import Generator, rng_of
from ._tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "rand", "randn", "randint", "normal", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
]  # fmt: skip


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr, False, None, 0)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._rg = True
    return t


def _infer_category(data: Any, dim: int = 0, shape: list[int] | None = None) -> int:
    """Walk nested sequences: the highest scalar category, checking the lists are not ragged."""
    if isinstance(data, Tensor):
        return data.dtype.category
    if isinstance(data, np.ndarray):
        return _dtype.from_numpy_dtype(data.dtype).category
    if isinstance(data, (bool, np.bool_)):
        return _dtype.BOOL
    if isinstance(data, (int, np.integer)):
        return _dtype.INT
    if isinstance(data, (float, np.floating)):
        return _dtype.FLOAT
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        best = -1
        for item in data:
            best = max(best, _infer_category(item, dim + 1))
        return best
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _check_ragged(data: Any, dim: int = 0) -> tuple[int, ...]:
    if isinstance(data, (Tensor, np.ndarray)):
        return tuple(data.shape)
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        if not data:
            return (0,)
        first = _check_ragged(data[0], dim + 1)
        for item in data[1:]:
            inner = _check_ragged(item, dim + 1)
            if inner != first:
                if not first or not inner:
                    raise ValueError(f"expected sequence of length {len(first) and first[0]} "
                                     f"at dim {dim + 1} (got {len(inner) and inner[0]})")
                raise ValueError(f"expected sequence of length {first[0]} at dim {dim + 1} (got {inner[0]})")
        return (len(data), *first)
    return ()


def _to_nested(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_nested(x) for x in data]
    return data


def tensor(data: Any, *, dtype: _dtype.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # fmt: skip
    """A new tensor (a copy) from a scalar, nested lists or tuples, an array or a tensor."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
    elif isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        arr = data.copy()
    else:
        _check_ragged(data)
        category = _infer_category(data)
        default = (_dtype.bool_, _dtype.int64, _dtype.get_default_dtype())[max(category, 0)]
        if category < 0:  # empty list
            default = _dtype.get_default_dtype()
        arr = np.array(_to_nested(data), dtype=(dtype or default).np)
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor``, but shares memory with a NumPy array or tensor when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else data.to(dtype)  # type: ignore[attr-defined,no-any-return]
    if isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        arr = data if dtype is None else data.astype(dtype.np, copy=False)
        return Tensor._make(arr, False, None, 0)
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray, False, None, 0)


def _shape(size: tuple[Any, ...], kw_size: Any = None) -> tuple[int, ...]:
    if kw_size is not None:
        size = (kw_size,)
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    for s in shape:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, shape))}]"
            )
    return shape


def _float(dtype: _dtype.dtype | None) -> np.dtype:
    return (dtype or _dtype.get_default_dtype()).np


def zeros(*size: Any, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
          device: Any = None, **kw: Any) -> Tensor:  # fmt: skip
    """A tensor of zeros of shape ``size``."""
    return _finish(np.zeros(_shape(size, kw.get("size")), _float(dtype)), requires_grad)


def ones(*size: Any, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
         device: Any = None, **kw: Any) -> Tensor:  # fmt: skip
    """A tensor of ones of shape ``size``."""
    return _finish(np.ones(_shape(size, kw.get("size")), _float(dtype)), requires_grad)


def empty(*size: Any, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
          device: Any = None, **kw: Any) -> Tensor:  # fmt: skip
    """A tensor of shape ``size`` with unspecified values (zeros here)."""
    return _finish(np.zeros(_shape(size, kw.get("size")), _float(dtype)), requires_grad)


def full(size: Any, fill_value: Any, *, dtype: _dtype.dtype | None = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:  # fmt: skip
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype inferred from it)."""
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = _dtype.result_type(fill_value)
    return _finish(np.full(_shape((size,)), fill_value, dtype.np), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: _dtype.dtype | None = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:  # fmt: skip
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``.

    Integer arguments give int64, any float argument the default float dtype.
    """
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = values
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = max(math.ceil((end - start) / step), 0)
    arr = (start + np.arange(n, dtype=np.float64) * step) if dtype.is_floating_point else (
        np.arange(start, start + n * step, step)[:n]
    )
    return _finish(np.asarray(arr).astype(dtype.np), requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: _dtype.dtype | None = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:  # fmt: skip
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # torch fills from both ends so the last value is exactly ``end``
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, start + i * step, end - (steps - 1 - i) * step)
    return _finish(arr.astype(dtype.np), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: _dtype.dtype | None = None,
        requires_grad: bool = False, device: Any = None) -> Tensor:  # fmt: skip
    """The ``n`` x ``m`` identity matrix."""
    return _finish(np.eye(n, m if m is not None else n, dtype=_float(dtype)), requires_grad)


def rand(*size: Any, generator: Generator | None = None, dtype: _dtype.dtype | None = None,
         requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:  # fmt: skip
    """Uniform samples in [0, 1)."""
    shape = _shape(size, kw.get("size"))
    return _finish(rng_of(generator).random(shape).astype(_float(dtype)), requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: _dtype.dtype | None = None,
          requires_grad: bool = False, device: Any = None, **kw: Any) -> Tensor:  # fmt: skip
    """Standard normal samples."""
    shape = _shape(size, kw.get("size"))
    return _finish(rng_of(generator).standard_normal(shape).astype(_float(dtype)), requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
            dtype: _dtype.dtype | None = None, requires_grad: bool = False,
            device: Any = None) -> Tensor:  # fmt: skip
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` starts at 0)."""
    if size is None:
        low, high, size = 0, low, high
    arr = rng_of(generator).integers(low, high, size=_shape((size,)))
    return _finish(arr.astype((dtype or _dtype.int64).np), requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, requires_grad: bool = False,
           dtype: _dtype.dtype | None = None) -> Tensor:  # fmt: skip
    """Normal samples with the given mean and std (scalars with ``size``, or tensors)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _shape((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    out_dtype = dtype.np if dtype else (
        mean._data.dtype if isinstance(mean, Tensor) else
        std._data.dtype if isinstance(std, Tensor) else _float(None)
    )
    arr = m + s * rng_of(generator).standard_normal(shape)
    return _finish(np.asarray(arr).astype(out_dtype), requires_grad)


def _like(t: Tensor, dtype: _dtype.dtype | None) -> tuple[tuple[int, ...], np.dtype]:
    return t._data.shape, (dtype.np if dtype is not None else t._data.dtype)


def zeros_like(input: Tensor, *, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
               **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad)


def ones_like(input: Tensor, *, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
              **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt), requires_grad)


def empty_like(input: Tensor, *, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
               **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: _dtype.dtype | None = None,
              requires_grad: bool = False, **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def rand_like(input: Tensor, *, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
              generator: Generator | None = None, **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(rng_of(generator).random(shape).astype(dt), requires_grad)


def randn_like(input: Tensor, *, dtype: _dtype.dtype | None = None, requires_grad: bool = False,
               generator: Generator | None = None, **_: Any) -> Tensor:  # fmt: skip
    shape, dt = _like(input, dtype)
    return _finish(rng_of(generator).standard_normal(shape).astype(dt), requires_grad)


def randint_like(input: Tensor, low: int, high: Any = None, *,
                 dtype: _dtype.dtype | None = None, **_: Any) -> Tensor:  # fmt: skip
    if high is None:
        low, high = 0, low
    shape, dt = _like(input, dtype)
    return _finish(rng_of(None).integers(low, high, size=shape).astype(dt), False)
