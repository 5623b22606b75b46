"""Joining and splitting: cat/stack and friends, split/chunk/tensor_split/unbind, atleast_nd.

y = cat(x₀, x₁, …) along dim;  x̄ᵢ = the slice of ȳ where xᵢ landed.
(y₀, y₁, …) = split(x);  x̄ = cat(ȳ₀, ȳ₁, …) (outputs that got no gradient count as zeros).
The pieces of split/chunk/unbind are views of the input; cat and stack copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register
from .indexing import take_key
from .indexing_key import parse_index

__all__ = [
    "cat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
    "atleast_1d", "atleast_2d", "atleast_3d", "unbind", "split", "split_with_sizes", "chunk",
    "tensor_split",
]  # fmt: skip


def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    """A list or tuple of tensors, with torch's TypeErrors for anything else."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}"
            )
    return list(tensors)


def _is_legacy_empty(a: np.ndarray) -> bool:
    """torch's cat skips 1-D empty tensors whatever the other inputs' shapes."""
    return a.shape == (0,)


class CatBackward0(OpNode):
    """y = the xᵢ joined along ``dim``;  x̄ᵢ = ȳ narrowed to xᵢ's part."""

    linear = True  # forward mode: ẏ = the ẋᵢ joined the same way

    def forward(self, *arrays: np.ndarray, dim: int) -> Any:
        self.dim = dim
        self.sizes = tuple(None if _is_legacy_empty(a) else a.shape[dim] for a in arrays)
        kept = [a for a in arrays if not _is_legacy_empty(a)]
        if not kept:
            return np.empty((0,), arrays[0].dtype)
        return np.asarray(np.concatenate(kept, axis=dim), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        grads: list[Any] = []
        offset = 0
        for size, need in zip(self.sizes, self.needs_input_grad):
            if size is None:
                grads.append(
                    Tensor._make(np.zeros((0,), g._data.dtype), False, None, 0) if need else None
                )
                continue
            grads.append(g.narrow(self.dim, offset, size) if need else None)  # type: ignore[attr-defined]
            offset += size
        return tuple(grads)


@register(method=False, aliases=("concat",))
def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim (1-D empty tensors are skipped, as in torch)."""
    xs = _tensor_list(tensors, "cat")
    if not xs:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(xs):
        if x.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = next((x for x in xs if not _is_legacy_empty(x._data)), None)
    if ref is None:
        return CatBackward0.apply(*xs, dim=0)
    d = _wrap_dim(dim, ref.ndim)
    for i, x in enumerate(xs):
        if _is_legacy_empty(x._data):
            continue
        if x.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim}"
            )
        for k, (a, b) in enumerate(zip(ref._data.shape, x._data.shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                    f"got size {b} for tensor number {i} in the list."
                )
    return CatBackward0.apply(*xs, dim=d)


@register(method=False)
def concatenate(tensors: Any, axis: int = 0) -> Tensor:
    """``cat`` with NumPy's argument name."""
    return cat(tensors, axis)


class StackBackward0(OpNode):
    """y = the xᵢ stacked along a new ``dim``;  x̄ᵢ = ȳ[..., i, ...] (unbound along ``dim``)."""

    linear = True  # forward mode: ẏ = the ẋᵢ stacked the same way

    def forward(self, *arrays: np.ndarray, dim: int) -> Any:
        self.dim = dim
        return np.asarray(np.stack(arrays, axis=dim), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return unbind(g, self.dim)


@register(method=False)
def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    xs = _tensor_list(tensors, "stack")
    if not xs:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = xs[0].shape
    d = _wrap_dim(dim, len(shape) + 1)  # torch checks the dim before the sizes
    for i, x in enumerate(xs):
        if x.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(x.shape)} at entry {i}"
            )
    return StackBackward0.apply(*xs, dim=d)


def _nonempty(tensors: Any, op: str) -> list[Tensor]:
    xs = _tensor_list(tensors, op)
    if not xs:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return xs


@register(method=False)
def hstack(tensors: Any) -> Tensor:
    """cat along dim 1 (dim 0 for 1-D inputs), after ``atleast_1d``."""
    xs = [_at_least_1d(x) for x in _nonempty(tensors, "hstack")]
    return cat(xs, 0 if xs[0].ndim == 1 else 1)


@register(method=False, aliases=("row_stack",))
def vstack(tensors: Any) -> Tensor:
    """cat along dim 0, after ``atleast_2d``."""
    return cat([_at_least_2d(x) for x in _nonempty(tensors, "vstack")], 0)


@register(method=False)
def dstack(tensors: Any) -> Tensor:
    """cat along dim 2, after ``atleast_3d``."""
    return cat([_at_least_3d(x) for x in _nonempty(tensors, "dstack")], 2)


@register(method=False)
def column_stack(tensors: Any) -> Tensor:
    """cat along dim 1, with 0-D and 1-D inputs made into columns."""
    xs = _nonempty(tensors, "column_stack")
    return cat([x.reshape(x.numel(), 1) if x.ndim <= 1 else x for x in xs], 1)  # type: ignore[attr-defined]


def _at_least_1d(x: Tensor) -> Tensor:
    return x.reshape(1) if x.ndim == 0 else x  # type: ignore[attr-defined,no-any-return]


def _at_least_2d(x: Tensor) -> Tensor:
    if x.ndim == 0:
        return x.reshape(1, 1)  # type: ignore[attr-defined,no-any-return]
    return x.unsqueeze(0) if x.ndim == 1 else x  # type: ignore[attr-defined,no-any-return]


def _at_least_3d(x: Tensor) -> Tensor:
    if x.ndim == 0:
        return x.reshape(1, 1, 1)  # type: ignore[attr-defined,no-any-return]
    if x.ndim == 1:
        return x.unsqueeze(0).unsqueeze(-1)  # type: ignore[attr-defined,no-any-return]
    return x.unsqueeze(-1) if x.ndim == 2 else x  # type: ignore[attr-defined,no-any-return]


def _each(fn: Any, tensors: tuple[Any, ...]) -> Any:
    """One tensor in, one out; several (or one list), a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    seq = tensors[0] if len(tensors) == 1 else tensors
    return tuple(fn(x) for x in seq)


@register(method=False)
def atleast_1d(*tensors: Any) -> Any:
    """0-D tensors become shape (1,); others are returned as they are."""
    return _each(_at_least_1d, tensors)


@register(method=False)
def atleast_2d(*tensors: Any) -> Any:
    """Tensors with fewer than 2 dims get leading size-1 dims."""
    return _each(_at_least_2d, tensors)


@register(method=False)
def atleast_3d(*tensors: Any) -> Any:
    """Tensors with fewer than 3 dims get size-1 dims (a matrix becomes (n, m, 1))."""
    return _each(_at_least_3d, tensors)


# --- splitting ------------------------------------------------------------------------------


class UnbindBackward0(OpNode):
    """(y₀, y₁, …) = slices of x along ``dim``;  x̄ = the ȳᵢ stacked along ``dim``."""

    linear = True  # forward mode: ẏᵢ = the slices of ẋ
    promote = OWN
    view = True
    n_outputs = 2  # marks it multi-output; the real count is set per call

    def forward(self, a: np.ndarray, dim: int) -> Any:
        self.dim = dim
        lead = (slice(None),) * dim
        return tuple(a[lead + (i, ...)] for i in range(a.shape[dim]))

    def backward(self, *grads: Tensor) -> Tensor:
        return stack(grads, self.dim)


def _dim_of(input: Tensor, dim: Any) -> int:
    """Wrap ``dim``; 0-D tensors have none (torch's IndexError)."""
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, input.ndim)


@register
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``, as a tuple of views."""
    return tuple(UnbindBackward0.apply(input, dim=_dim_of(input, dim)))


class SplitBackward0(OpNode):
    """(y₀, y₁, …) = consecutive slices of x along ``dim``;  x̄ = cat(ȳ₀, ȳ₁, …)."""

    linear = True  # forward mode: ẏᵢ = the same slices of ẋ
    promote = OWN
    view = True
    n_outputs = 2  # multi-output; the real count is set per call

    def forward(self, a: np.ndarray, sizes: tuple[int, ...], dim: int) -> Any:
        self.dim = dim
        lead = (slice(None),) * dim
        out = []
        offset = 0
        for s in sizes:
            out.append(a[lead + (slice(offset, offset + s),)])
            offset += s
        return tuple(out)

    def backward(self, *grads: Tensor) -> Tensor:
        return cat(list(grads), self.dim)


class SplitWithSizesBackward0(SplitBackward0):
    """split with a list of sizes."""


@register
def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Consecutive views of the given sizes along ``dim`` (they must add up to its size)."""
    if input.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, input.ndim)
    sizes = tuple(int(s) for s in split_sizes)
    if any(s < 0 for s in sizes):
        raise RuntimeError(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            f"split_sizes={list(sizes)}"
        )
    n = input._data.shape[d]
    if sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
            f"dimension {d}), but got split_sizes={list(sizes)}"
        )
    return tuple(SplitWithSizesBackward0.apply(input, sizes=sizes, dim=d))


@register
def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``split_size`` elements along ``dim`` (the last may be smaller), or of the
    sizes in a list."""
    if not isinstance(split_size_or_sections, int):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor.ndim)
    size = split_size_or_sections
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    n = tensor._data.shape[d]
    if size == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )
    count = max(-(-n // size), 1) if size else 1
    sizes = tuple(min(size, n - i * size) for i in range(count))
    return tuple(SplitBackward0.apply(tensor, sizes=sizes, dim=d))


@register
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of equal size (the last may be smaller) along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input.ndim)
    n = input._data.shape[d]
    if n == 0:
        return split_with_sizes(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


def slice_dim(input: Tensor, dim: int, start: int | None, stop: int | None) -> Tensor:
    """``input[..., start:stop]`` along ``dim`` recorded as ``SliceBackward0`` even when it
    covers the whole dim (torch's narrow and tensor_split call its slice op directly)."""
    key = parse_index((slice(None),) * dim + (slice(start, stop),), input._data.shape)
    key.kind = "slice"
    return take_key(input, key)


@register
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``sections`` nearly equal slices (the first ``n % sections`` one longer), or the
    slices between the given indices, along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = _wrap_dim(dim, input.ndim)
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {spec.ndim} dims"
            )
        if spec.dtype.name != "int64":
            from ._registry import _TYPE_NAMES

            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                f"{_TYPE_NAMES[spec.dtype.name]}"
            )
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    n = input._data.shape[d]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        small, extra = divmod(n, spec)
        bounds: list[tuple[int | None, int | None]] = []
        start = 0
        for i in range(spec):
            stop = start + small + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        cuts: list[int | None] = [0, *(int(i) for i in spec), None]
        bounds = list(zip(cuts[:-1], cuts[1:]))
    return tuple(slice_dim(input, d, a, b) for a, b in bounds)
