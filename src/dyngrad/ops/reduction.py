"""Reductions: sum, mean, prod, and sum_to_size (the engine's broadcast reduction).

A reduction's backward re-expands the gradient over the reduced dimensions:
for y = Σᵢ xᵢ, x̄ᵢ = ȳ. The other reduction families live beside this module:
reduction_minmax (max, min, amax, amin, argmax, argmin, median), reduction_stats (var, std,
var_mean, std_mean, logsumexp, all, any, count_nonzero), reduction_scan (cumsum, cumprod)
and reduction_norm (norm).

Forward mode: sum, mean, sum_to_size and cumsum are linear (their tangent is the op applied
to ẋ); the other rules contract the backward's local row with the tangent,
ẏ = Σ over the reduced dims of (∂y/∂x) · ẋ, so zeros, ties and degenerate cases follow the
same conventions as the gradients (or torch's forward formula where it differs: ties of a
NaN result, std of an empty input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register
from .elementwise import where
from .reduction_common import (
    check_grad_dtype,
    constant,
    expand_reduced,
    legacy_type_name,
    mask_tensor,
    normalize_dims,
    positions,
    reduced_count,
)
from .reduction_norm import norm, vector_norm
from .reduction_scan import cumprod_grad

__all__ = ["sum", "mean", "prod", "norm", "vector_norm", "sum_to_size", "normalize_dims",
           "expand_reduced"]  # fmt: skip

_ALL: Any = object()  # "no dim given" (prod's dim cannot be None)


def _accumulate_dtype(a: np.ndarray, dtype: Any) -> Any:
    """sum/prod result dtype: ``dtype`` if given, else int64 for bool/integers."""
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


class SumBackward0(OpNode):
    """y = Σ x (all elements);  x̄ = ȳ broadcast to x's shape.
    Forward mode: linear, ẏ = Σ ẋ."""

    promote = OWN
    linear = True

    def forward(self, a: np.ndarray, dtype: Any = None) -> Any:
        self.shape = a.shape
        return np.sum(a, dtype=_accumulate_dtype(a, dtype))

    def backward(self, g: Tensor) -> Tensor:
        return g.expand(self.shape)  # type: ignore[attr-defined,no-any-return]


class SumBackward1(OpNode):
    """y = Σ over ``dim`` of x;  x̄ = ȳ re-expanded over ``dim``.
    Forward mode: linear, ẏ = Σ over ``dim`` of ẋ."""

    promote = OWN
    linear = True

    def forward(
        self, a: np.ndarray, dims: tuple[int, ...], keepdim: bool, dtype: Any = None
    ) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return np.sum(a, axis=dims, keepdims=keepdim, dtype=_accumulate_dtype(a, dtype))

    def backward(self, g: Tensor) -> Tensor:
        return expand_reduced(g, self.shape, self.dims, self.keepdim)


@register
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum of all elements, or over ``dim`` (int or tuple); bool and integers sum to int64.

    >>> dyngrad.tensor([[1, 2], [3, 4]]).sum(0)
    tensor([4, 6])
    """
    dims = normalize_dims(dim, input.ndim, "sum")  # (torch checks the dim before the dtype)
    check_grad_dtype(input, dtype)
    if dims is None and dim is None:
        return SumBackward0.apply(input, dtype=dtype)  # type: ignore[no-any-return]
    if dims is None:  # dim=() sums everything, keeping the node torch uses
        dims = tuple(range(input.ndim))
    return SumBackward1.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)  # type: ignore[no-any-return]


class MeanBackward0(OpNode):
    """y = (1/n) Σ x;  x̄ = ȳ / n everywhere.
    Forward mode: linear, ẏ = (1/n) Σ ẋ."""

    promote = OWN
    linear = True

    def forward(self, a: np.ndarray, dtype: Any = None) -> Any:
        self.shape = a.shape
        out_dtype = dtype.np if dtype is not None else a.dtype
        return (np.sum(a, dtype=out_dtype) / a.size).astype(out_dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        return g.expand(self.shape) / reduced_count(self.shape, None)  # type: ignore[attr-defined,no-any-return]


class MeanBackward1(OpNode):
    """y = mean over ``dim``;  x̄ = ȳ / n re-expanded, n the number of reduced elements.
    Forward mode: linear, ẏ = the mean of ẋ over ``dim``."""

    promote = OWN
    linear = True

    def forward(
        self, a: np.ndarray, dims: tuple[int, ...], keepdim: bool, dtype: Any = None
    ) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        out_dtype = dtype.np if dtype is not None else a.dtype
        total = np.sum(a, axis=dims, keepdims=keepdim, dtype=out_dtype)
        return np.asarray(total / reduced_count(a.shape, dims)).astype(out_dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        n = reduced_count(self.shape, self.dims)
        return expand_reduced(g, self.shape, self.dims, self.keepdim) / n  # type: ignore[operator,return-value]


@register
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean of all elements, or over ``dim``; floating dtypes only.

    >>> dyngrad.tensor([[1.0, 2.0], [3.0, 5.0]]).mean(1)
    tensor([1.5000, 4.0000])
    """
    out_dtype = dtype if dtype is not None else input.dtype
    if not out_dtype.is_floating_point:
        which = "Optional" if dtype is not None else "Input"
        raise RuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {legacy_type_name(out_dtype.np)}"
        )
    dims = normalize_dims(dim, input.ndim, "mean")
    if dims is None and dim is None:
        return MeanBackward0.apply(input, dtype=dtype)  # type: ignore[no-any-return]
    if dims is None:
        dims = tuple(range(input.ndim))
    return MeanBackward1.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)  # type: ignore[no-any-return]


def _prod_grad(x: Tensor, y_full: Tensor, g_full: Tensor, axis: int) -> Tensor:
    """x̄ᵢ = ȳ Π_{j≠i} xⱼ along ``axis``: ȳ·y/x without zeros, else exactly via cumprod."""
    if not np.any(x._data == 0):
        return g_full * y_full / x  # type: ignore[operator]
    shape = tuple(x.shape)
    at_last = mask_tensor(np.broadcast_to(positions(shape, axis) == shape[axis] - 1, shape))
    return cumprod_grad(x, where(at_last, g_full, 0.0), axis)


class ProdBackward0(OpNode):
    """y = Π x (all elements);  x̄ᵢ = ȳ Π_{j≠i} xⱼ (= ȳ·y/xᵢ without zeros; exact with zeros).
    Forward mode: ẏ = Σᵢ ẋᵢ Π_{j≠i} xⱼ."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, dtype: Any = None) -> Any:
        self.shape = a.shape
        return np.prod(a, dtype=_accumulate_dtype(a, dtype))

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if x.ndim == 0:
            return g
        flat = x.reshape(-1)  # type: ignore[attr-defined]
        n = flat.shape[0]
        grad = _prod_grad(flat, self.saved_output.expand(n), g.expand(n), 0)  # type: ignore[attr-defined]
        return grad.reshape(self.shape)  # type: ignore[attr-defined,no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σᵢ ẋᵢ Π_{j≠i} xⱼ (the backward's row for ȳ = 1, exact with zeros)."""
        x, dx = _as_output_dtype(x, dx, y)
        if x.ndim == 0:
            return dx
        flat = x.reshape(-1)  # type: ignore[attr-defined]
        n = flat.shape[0]
        row = _prod_grad(flat, y.expand(n), _ones_like(flat), 0)  # type: ignore[attr-defined]
        return (row * dx.reshape(-1)).sum()  # type: ignore[attr-defined,no-any-return]


class ProdBackward1(OpNode):
    """y = Π over ``dim``;  x̄ᵢ = ȳ Π_{j≠i} xⱼ along ``dim`` (exact with zeros).
    Forward mode: ẏ = Σᵢ ẋᵢ Π_{j≠i} xⱼ along ``dim``."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, axis: int | None, keepdim: bool, dtype: Any = None) -> Any:
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        out_dtype = _accumulate_dtype(a, dtype)
        if axis is None:  # 0-d
            return a.astype(out_dtype)
        return np.prod(a, axis=axis, keepdims=keepdim, dtype=out_dtype)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        axis = self.axis
        if axis is None:
            return g
        dims = (axis,)
        y_full = expand_reduced(self.saved_output, self.shape, dims, self.keepdim)
        g_full = expand_reduced(g, self.shape, dims, self.keepdim)
        return _prod_grad(x, y_full, g_full, axis)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σᵢ ẋᵢ Π_{j≠i} xⱼ along ``dim`` (the backward's row for ȳ = 1)."""
        x, dx = _as_output_dtype(x, dx, y)
        axis = self.axis
        if axis is None:
            return dx
        y_full = expand_reduced(y, self.shape, (axis,), self.keepdim)
        row = _prod_grad(x, y_full, _ones_like(x), axis)
        return (row * dx).sum(axis, keepdim=self.keepdim)  # type: ignore[attr-defined,no-any-return]


def _as_output_dtype(x: Tensor, dx: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """The input and its tangent in the output's dtype (``prod(x, dtype=torch.float64)``)."""
    if x.dtype is y.dtype:
        return x, dx
    return x.to(y.dtype), dx.to(y.dtype)  # type: ignore[attr-defined]


def _ones_like(x: Tensor) -> Tensor:
    return constant(np.ones(x._data.shape, x._data.dtype))


@register
def prod(input: Tensor, dim: Any = _ALL, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product of all elements, or over one ``dim``; bool and integers multiply in int64.

    >>> dyngrad.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
    tensor([ 2., 12.])
    """
    if dim is _ALL:
        check_grad_dtype(input, dtype)
        return ProdBackward0.apply(input, dtype=dtype)  # type: ignore[no-any-return]
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(
            f"prod() received an invalid combination of arguments - got ({type(dim).__name__}), "
            "but expected one of: (*, torch.dtype dtype = None) or "
            "(int dim, bool keepdim = False, *, torch.dtype dtype = None)"
        )
    dims = normalize_dims(dim, input.ndim, "prod")
    check_grad_dtype(input, dtype)
    axis = dims[0] if dims else None
    return ProdBackward1.apply(input, axis=axis, keepdim=keepdim, dtype=dtype)  # type: ignore[no-any-return]


class SumToSizeBackward0(OpNode):
    """y = x summed over the dims broadcasting added to ``size``;  x̄ = ȳ expanded back.
    Forward mode: linear, ẏ = ẋ summed the same way."""

    promote = OWN
    linear = True

    def forward(self, a: np.ndarray, size: tuple[int, ...]) -> Any:
        self.shape = a.shape
        lead = a.ndim - len(size)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(size) if s == 1 and a.shape[lead + i] != 1
        )
        out = np.sum(a, axis=axes, keepdims=True) if axes else a
        return out.reshape(size)

    def backward(self, g: Tensor) -> Tensor:
        return g.expand(self.shape)  # type: ignore[attr-defined,no-any-return]


@register(function=False)
def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum ``input`` down to ``size`` (the shape it was broadcast from)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if tuple(input.shape) == size:
        return input
    if not _expandable(size, tuple(input.shape)):
        raise RuntimeError(
            f"size {{{', '.join(map(str, size))}}} is not expandable to size {{{', '.join(map(str, input.shape))}}}."
        )
    return SumToSizeBackward0.apply(input, size=size)


def _expandable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))
