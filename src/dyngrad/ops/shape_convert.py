"""Copies and dtype conversions: clone, contiguous, to / type / float / long / ...

y = copy(x);  x̄ = ȳ.  A conversion to another dtype has the same backward; the engine casts
ȳ back to x's dtype. A conversion to an integer or bool dtype gives a tensor outside the graph,
as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device, _dtype
from .._tensor import Tensor
from ._registry import (
    _TYPE_NAMES,
    OWN,
    OpNode,
    check_inplace,
    check_no_partial_overlap,
    commit_inplace,
    register,
)
from .indexing import CopyBackwards
from .indexing_gather import broadcast_shapes

__all__ = ["clone", "contiguous", "to", "copy_", "memory_format", "contiguous_format",
           "preserve_format"]  # fmt: skip


class memory_format:  # noqa: N801 - torch's name
    """How a copy lays out its memory (``torch.contiguous_format``, ``torch.preserve_format``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "torch." + self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")


def is_dense(a: np.ndarray) -> bool:
    """The elements fill a block of memory without gaps or overlaps (any dim order)."""
    dims = sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n != 1)
    expected = a.itemsize
    for stride, n in dims:
        if stride != expected:
            return False
        expected *= n
    return True


class CloneBackward0(OpNode):
    """y = a copy of x;  x̄ = ȳ."""

    linear = True  # forward mode: ẏ = a copy of ẋ
    promote = OWN

    def forward(self, a: np.ndarray, contiguous: bool) -> Any:
        # Note: like torch's preserve_format, a dense input keeps its dim order (a transposed
        # matrix stays transposed); anything else is copied C-contiguous.
        if contiguous or not is_dense(a):
            return np.array(a, order="C", copy=True)
        return a.copy(order="K")

    def backward(self, g: Tensor) -> Tensor:
        return g


@register
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory that stays in the graph."""
    return CloneBackward0.apply(input, contiguous=memory_format is contiguous_format)


@register(function=False)
def contiguous(input: Tensor, memory_format: Any = contiguous_format) -> Tensor:
    """``input`` itself if its memory is C-ordered, else a C-ordered copy."""
    if input._data.flags.c_contiguous:
        return input
    return CloneBackward0.apply(input, contiguous=True)


@register(name="copy_", function=False)
def copy_(input: Tensor, other: Any, non_blocking: bool = False) -> Tensor:
    """``input``'s values replaced by ``other``'s (a tensor or a number), broadcast to
    ``input``'s shape and converted to its dtype (any conversion, as torch), in place.
    Recorded as ``CopyBackwards``: ``ī = 0``, ``ō = ȳ`` summed to ``other``'s shape.

    >>> y = dyngrad.zeros(2, 3)
    >>> y.copy_(dyngrad.tensor([1.5, 2.5, 3.5]))
    tensor([[1.5000, 2.5000, 3.5000],
            [1.5000, 2.5000, 3.5000]])
    """
    if not isinstance(other, (Tensor, bool, int, float)):
        raise TypeError(
            f"copy_(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}"
        )
    check_inplace(input, other)
    itself = False
    if isinstance(other, Tensor):
        dst, src = input._data, other._data
        if src.shape != dst.shape:
            _check_broadcast_into(dst.shape, src.shape)
        check_no_partial_overlap(input, other)
        itself = dst.__array_interface__ == src.__array_interface__
    # a copy of itself is allowed even into an expanded tensor (torch)
    return commit_inplace(input, CopyBackwards.apply(input, other), overlap_ok=itself)


def _check_broadcast_into(dst: tuple[int, ...], src: tuple[int, ...]) -> None:
    """torch's errors when ``src`` does not broadcast to exactly ``dst``'s shape."""
    shape = broadcast_shapes(dst, src)
    if shape != dst:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, dst))}] doesn't match the broadcast shape "
            f"[{', '.join(map(str, shape))}]"
        )


class ToCopyBackward0(OpNode):
    """y = x converted to another dtype;  x̄ = ȳ (the engine casts it back to x's dtype)."""

    linear = True  # forward mode: ẏ = ẋ converted to the same dtype
    promote = OWN

    def forward(self, a: np.ndarray, np_dtype: np.dtype) -> Any:
        return a.astype(np_dtype, order="K", copy=True)

    def backward(self, g: Tensor) -> Tensor:
        return g


_PYTHON_TYPES = {float: _dtype.float64, int: _dtype.int64, bool: _dtype.bool_}


@register(function=False)
def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Convert to a dtype: ``to(dtype)``, ``to(device, dtype)``, ``to(other)``, with
    ``copy=True`` to always copy. Without a change (and no copy) it is ``input`` itself.

    Positional flags follow torch's order: ``non_blocking`` then ``copy``.
    """
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    flags = []
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
        elif isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, type) and a in _PYTHON_TYPES:
            dtype = _PYTHON_TYPES[a]
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, int, _device.device)):
            device = a
        else:
            raise TypeError(
                f"to() received an invalid combination of arguments - got ({type(a).__name__})"
            )
    copy = copy or (len(flags) > 1 and flags[1])
    _device.check_device(device)
    if dtype is None or dtype is input.dtype:
        if not copy:
            return input
        dtype = input.dtype
    return ToCopyBackward0.apply(input, np_dtype=dtype.np)  # type: ignore[no-any-return]


@register(function=False)
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.to(other.dtype)``."""
    return to(input, other.dtype)


_LEGACY_TYPES = {f"torch.{_TYPE_NAMES[d.name]}Tensor": d for d in _dtype.ALL}


@register(name="type", function=False)
def type_(input: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """Without ``dtype``: the legacy type name (``'torch.FloatTensor'``); with one (a dtype or
    such a name): the tensor converted to it."""
    if dtype is None:
        return f"torch.{_TYPE_NAMES[input.dtype.name]}Tensor"
    if isinstance(dtype, str):
        if dtype not in _LEGACY_TYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _LEGACY_TYPES[dtype]
    return to(input, dtype)


def _converter(name: str, dt: _dtype.dtype) -> Any:
    def convert(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dt)

    convert.__name__ = name
    convert.__qualname__ = "Tensor." + name
    convert.__doc__ = f"``self.to(torch.{dt.name})``."
    return convert


for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                   ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool_)):  # fmt: skip
    setattr(Tensor, _name, _converter(_name, _dt))
Tensor.cpu = lambda self, memory_format=None: self  # type: ignore[attr-defined]
