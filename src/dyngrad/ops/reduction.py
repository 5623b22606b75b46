"""Reductions: sum, mean, norm, and sum_to_size (the engine's broadcast reduction).

A reduction's backward re-expands the gradient over the reduced dimensions:
for y = Σᵢ xᵢ, x̄ᵢ = ȳ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register
from .elementwise import where

__all__ = ["sum", "mean", "norm", "sum_to_size"]


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, an int or a sequence) as sorted non-negative dims; None means all."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    dims = tuple(_wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else None


def expand_reduced(g: Tensor, shape: tuple[int, ...], dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """Broadcast a reduction's gradient back to the input shape."""
    if dims is not None and not keepdim and g.ndim != len(shape):
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(kept)  # type: ignore[attr-defined]
    return g.expand(shape)  # type: ignore[attr-defined,no-any-return]


def _sum_dtype(a: np.ndarray, dtype: Any) -> Any:
    if dtype is not None:
        return dtype.np
    return np.int64 if a.dtype.kind in "biu" else a.dtype


class SumBackward0(OpNode):
    """y = Σ x (all elements);  x̄ = ȳ broadcast to x's shape."""

    promote = OWN

    def forward(self, a: np.ndarray, dtype: Any = None) -> Any:
        self.shape = a.shape
        return np.sum(a, dtype=_sum_dtype(a, dtype))

    def backward(self, g: Tensor) -> Tensor:
        return g.expand(self.shape)  # type: ignore[attr-defined,no-any-return]


class SumBackward1(OpNode):
    """y = Σ over ``dim`` of x;  x̄ = ȳ re-expanded over ``dim``."""

    promote = OWN

    def forward(self, a: np.ndarray, dims: tuple[int, ...], keepdim: bool, dtype: Any = None) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return np.sum(a, axis=dims, keepdims=keepdim, dtype=_sum_dtype(a, dtype))

    def backward(self, g: Tensor) -> Tensor:
        return expand_reduced(g, self.shape, self.dims, self.keepdim)


@register
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum of all elements, or over ``dim`` (int or tuple); bool and integers sum to int64."""
    dims = normalize_dims(dim, input.ndim)
    if dims is None and dim is None:
        return SumBackward0.apply(input, dtype=dtype)
    if dims is None:  # dim=() sums everything, keeping the node torch uses
        dims = tuple(range(input.ndim))
    return SumBackward1.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


class MeanBackward0(OpNode):
    """y = (1/n) Σ x;  x̄ = ȳ / n everywhere."""

    promote = OWN
    quiet = True  # the mean of nothing is nan, silently

    def forward(self, a: np.ndarray, dtype: Any = None) -> Any:
        self.shape = a.shape
        out_dtype = dtype.np if dtype is not None else a.dtype
        return (np.sum(a, dtype=out_dtype) / max(a.size, 0)).astype(out_dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        n = max(int(np.prod(self.shape)), 0)
        return g.expand(self.shape) / n  # type: ignore[attr-defined,no-any-return]


class MeanBackward1(OpNode):
    """y = mean over ``dim``;  x̄ = ȳ / n re-expanded, n the number of reduced elements."""

    promote = OWN
    quiet = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...], keepdim: bool, dtype: Any = None) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        out_dtype = dtype.np if dtype is not None else a.dtype
        n = int(np.prod([a.shape[d] for d in dims]))
        total = np.sum(a, axis=dims, keepdims=keepdim, dtype=out_dtype)
        return (total / n).astype(out_dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        n = int(np.prod([self.shape[d] for d in self.dims]))
        return expand_reduced(g, self.shape, self.dims, self.keepdim) / n


@register
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean of all elements, or over ``dim``; floating dtypes only."""
    out_dtype = dtype if dtype is not None else input.dtype
    if not out_dtype.is_floating_point:
        from ._registry import _TYPE_NAMES

        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_TYPE_NAMES[out_dtype.name]}"
        )
    dims = normalize_dims(dim, input.ndim)
    if dims is None and dim is None:
        return MeanBackward0.apply(input, dtype=dtype)
    if dims is None:
        dims = tuple(range(input.ndim))
    return MeanBackward1.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


class LinalgVectorNormBackward0(OpNode):
    """y = (Σ |x|ᵖ)^(1/p);  x̄ = ȳ · x · |x|ᵖ⁻² / yᵖ⁻¹ (p = 2: ȳ · x / y, zero where y = 0);
    p = ∞: ȳ shared among the entries where |x| = y."""

    promote = OWN
    save = (0,)
    save_output = True
    quiet = True

    def forward(self, a: np.ndarray, p: float, dims: Any, keepdim: bool) -> Any:
        self.p, self.dims, self.keepdim, self.shape = p, dims, keepdim, a.shape
        axis = dims if dims is not None else None
        absx = np.abs(a)
        if p == 2:
            out = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
        elif p == 1:
            out = np.sum(absx, axis=axis, keepdims=keepdim)
        elif p == float("inf"):
            out = np.max(absx, axis=axis, keepdims=keepdim, initial=0)
        elif p == float("-inf"):
            out = np.min(absx, axis=axis, keepdims=keepdim)
        elif p == 0:
            out = np.sum(a != 0, axis=axis, keepdims=keepdim)
        else:
            out = np.sum(absx**p, axis=axis, keepdims=keepdim) ** (1.0 / p)
        return np.asarray(out).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        y = self.saved_output
        p, dims, keepdim, shape = self.p, self.dims, self.keepdim, self.shape
        y_full = expand_reduced(y, shape, dims, keepdim)
        g_full = expand_reduced(g, shape, dims, keepdim)
        if p == 2:
            return g_full * x / where(y_full == 0, float("inf"), y_full)  # type: ignore[attr-defined,no-any-return]
        if p == 1:
            return g_full * x.sign()  # type: ignore[attr-defined,no-any-return]
        if p == 0:
            return g_full * 0
        if p in (float("inf"), float("-inf")):
            hit = (x.abs() == y_full).to(x.dtype)  # type: ignore[attr-defined]
            count = expand_reduced(hit.sum(dims, keepdim=keepdim) if dims else hit.sum(), shape, dims, keepdim)  # type: ignore[attr-defined]
            return g_full * x.sign() * hit / count  # type: ignore[attr-defined,no-any-return]
        ax = x.abs()  # type: ignore[attr-defined]
        scale = ax ** (p - 2) / where(y_full == 0, float("inf"), y_full) ** (p - 1)  # type: ignore[attr-defined]
        return g_full * x * scale  # type: ignore[no-any-return]


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The p-norm of ``x`` over ``dim`` (all elements when None), as torch.linalg.vector_norm."""
    if not x.is_floating_point():
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            + _legacy(x)
        )
    if dtype is not None:
        x = x.to(dtype)  # type: ignore[attr-defined]
    dims = normalize_dims(dim, x.ndim)
    return LinalgVectorNormBackward0.apply(x, p=float(ord), dims=dims, keepdim=keepdim)


def _legacy(x: Tensor) -> str:
    from ._registry import _TYPE_NAMES

    return _TYPE_NAMES[x.dtype.name]


@register
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The vector p-norm (``'fro'`` = 2) of all elements, or over ``dim``."""
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise NotImplementedError(f"norm(p={p!r}) is not available yet")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


class SumToSizeBackward0(OpNode):
    """y = x summed over the dims broadcasting added to ``size``;  x̄ = ȳ expanded back."""

    promote = OWN

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
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size {{{', '.join(map(str, input.shape))}}}.")
    return SumToSizeBackward0.apply(input, size=size)


def _expandable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))

