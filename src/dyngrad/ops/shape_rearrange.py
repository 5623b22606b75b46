"""Rearranging copies and slices: repeat/tile/repeat_interleave, flip, roll, narrow, select.

y = repeat(x, r);  x̄ = ȳ with each repetition summed onto the original position.
y = flip(x, dims);  x̄ = flip(ȳ, dims).   y = roll(x, s, dims);  x̄ = roll(ȳ, -s, dims).
narrow and select are basic indexing (views: SliceBackward0, SelectBackward0).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim, _wrap_size_dim
from ._registry import OWN, OpNode, register
from .reduction import sum as sum_
from .shape import _shape_str, _size_arg, expand, flatten, reshape, unsqueeze, wrap_dims
from .shape_convert import clone
from .shape_join import slice_dim

__all__ = [
    "repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "narrow", "select",
]  # fmt: skip


class RepeatBackward0(OpNode):
    """y = x tiled ``repeats`` times along each dim (x padded with leading size-1 dims);
    x̄ = ȳ viewed as (r₀, s₀, r₁, s₁, …) and summed over the r axes."""

    linear = True  # forward mode: ẏ = ẋ tiled the same way
    promote = OWN

    def forward(self, a: np.ndarray, repeats: tuple[int, ...]) -> Any:
        self.shape = a.shape
        self.repeats = repeats
        return np.asarray(np.tile(a, repeats), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        reps = self.repeats
        if not reps:
            return g
        padded = (1,) * (len(reps) - len(self.shape)) + tuple(self.shape)
        interleaved: list[int] = []
        for r, s in zip(reps, padded):
            interleaved += [r, s]
        summed = sum_(reshape(g, interleaved), dim=tuple(range(0, 2 * len(reps), 2)))
        return reshape(summed, self.shape)


@register(function=False)
def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile ``input`` ``sizes[i]`` times along dim i (``sizes`` may add leading dims)."""
    reps = _size_arg(sizes, "repeat", "repeats")
    if len(reps) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    padded = (1,) * (len(reps) - input.ndim) + tuple(input._data.shape)
    out_shape = tuple(r * s for r, s in zip(reps, padded))
    for n in out_shape:
        if n < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {n}: {_shape_str(out_shape)}"
            )
    return RepeatBackward0.apply(input, repeats=reps)


@register
def tile(input: Tensor, *dims: Any) -> Tensor:
    """``repeat`` where fewer ``dims`` than the tensor has dims are padded with ones."""
    reps = _size_arg(dims, "tile", "dims")
    reps = (1,) * (input.ndim - len(reps)) + reps
    return repeat(input, reps)


@register
def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Repeat each element (each slice along ``dim``; the flattened tensor when ``dim`` is
    None) ``repeats`` times, or ``repeats[i]`` times for element i.

    ``repeat_interleave(counts)`` alone gives the indices ``0, 0, …, 1, …`` repeated by counts.
    """
    if repeats is None:
        if input.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = _counts(input)
        positions = np.repeat(np.arange(len(counts), dtype=input._data.dtype), counts)
        return Tensor._make(positions, False, None, 0)
    x = flatten(input) if dim is None else input
    if isinstance(repeats, Tensor) and repeats.ndim > 1:  # (torch checks it before dim)
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    d = 0 if dim is None else _wrap_size_dim(dim, input.ndim)  # a 0-d input has no dim
    if isinstance(repeats, Tensor):
        counts = _counts(repeats)
        n = x._data.shape[d] if x.ndim else 1
        if counts.size == 1:
            counts = np.full(n, counts.reshape(()), dtype=np.int64)
        elif counts.size != n:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size({d}) = {n}"
            )
        index = Tensor._make(np.repeat(np.arange(n, dtype=np.int64), counts), False, None, 0)
        if output_size is not None and output_size != index.numel():
            raise RuntimeError("allocated size does not match required size")
        return x.index_select(d, index)  # type: ignore[attr-defined,no-any-return,union-attr]
    times = operator.index(repeats)
    if times < 0:
        raise RuntimeError("Repeats must be non-negative")
    # torch's composite: add a dim after d, expand it to `times`, copy, merge it into d
    wide = unsqueeze(x, d + 1)
    sizes = list(wide._data.shape)
    sizes[d + 1] = times
    return flatten(clone(expand(wide, sizes)), d, d + 1)


def _counts(repeats: Tensor) -> np.ndarray:
    """The repeat counts in a tensor, checked as torch checks them."""
    if repeats.dtype.name not in ("int64", "int32"):
        raise NotImplementedError(
            f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.name.capitalize()}'"
        )
    if repeats.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    counts = repeats._data.reshape(-1).astype(np.int64)
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts


class FlipBackward0(OpNode):
    """y = x reversed along ``dims``;  x̄ = ȳ reversed along ``dims``."""

    linear = True  # forward mode: ẏ = ẋ reversed the same way
    promote = OWN

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> Any:
        self.dims = dims
        flipped = np.flip(a, dims) if a.ndim else a
        return flipped.copy(order="K")  # a copy in the input's dim order, as torch

    def backward(self, g: Tensor) -> Tensor:
        return flip(g, self.dims)


@register
def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    wanted = _size_arg(dims, "flip", "dims")
    wrapped = wrap_dims(wanted, input.ndim)
    return FlipBackward0.apply(input, dims=wrapped if input.ndim else ())


@register
def fliplr(input: Tensor) -> Tensor:
    """Reverse the columns (dim 1)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@register
def flipud(input: Tensor) -> Tensor:
    """Reverse the rows (dim 0)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class RollBackward0(OpNode):
    """y = x shifted cyclically by ``shifts`` along ``dims`` (the flattened x when None);
    x̄ = ȳ shifted back."""

    linear = True  # forward mode: ẏ = ẋ shifted the same way
    promote = OWN

    def forward(self, a: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...] | None) -> Any:
        self.shifts, self.dims = shifts, dims
        if dims is None:
            return np.roll(a, shifts[0])
        return np.asarray(np.roll(a, shifts, axis=dims), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        return roll(g, tuple(-s for s in self.shifts), self.dims)


@register
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically along ``dims`` (over the flattened tensor when None)."""
    shift_t = (operator.index(shifts),) if not isinstance(shifts, (tuple, list)) else tuple(shifts)
    if not shift_t:
        raise RuntimeError("`shifts` required")
    if dims is None or (isinstance(dims, (tuple, list)) and not dims):  # () is torch's None
        if len(shift_t) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift_t)}, dims:0")
        return RollBackward0.apply(input, shifts=shift_t, dims=None)
    dim_t = (operator.index(dims),) if not isinstance(dims, (tuple, list)) else tuple(dims)
    if len(shift_t) != len(dim_t):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shift_t)}, dims:{len(dim_t)}"
        )
    if input._data.size == 0:  # (torch returns the empty tensor before looking at dims)
        return RollBackward0.apply(input, shifts=shift_t[:1], dims=None)
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim_t[0]} but tensor has no dimensions")
    return RollBackward0.apply(
        input, shifts=shift_t, dims=tuple(_wrap_dim(d, input.ndim) for d in dim_t)
    )


@register
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view of ``length`` elements from ``start`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = operator.index(start), operator.index(length)
    if length < 0:  # (torch checks this before the dim)
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_dim(input, d, start, start + length)


@register
def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The view at ``index`` along ``dim``, with that dim removed."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    i = operator.index(index)
    n = input._data.shape[d]
    if not -n <= i < n:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size "
            f"{_shape_str(tuple(input._data.shape))} at dimension {d}"
        )
    return input[(slice(None),) * d + (i,)]  # type: ignore[index]
