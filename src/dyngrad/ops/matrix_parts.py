"""Parts of matrices: diagonals (diagonal, diag, diag_embed), the trace, and the triangles
(tril, triu).

Taking a diagonal and embedding one are each other's adjoint: for y = diagonal(x),
x̄ = ȳ placed on that diagonal of zeros; for y = diag_embed(x), x̄ = diagonal(ȳ).
Every op here is linear, so in forward mode the tangent is the op applied to the input's
tangent (ẏ = diagonal(ẋ), tr(ẋ), tril(ẋ) ...; a view's tangent is the same view).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register

__all__ = ["diagonal", "diag", "diag_embed", "trace", "tril", "triu"]


def diagonal_view(a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """A writeable view of the ``offset`` diagonal of (dim1, dim2), which becomes the last dim.

    ``offset > 0`` is above the main diagonal (a[..., i, i + offset]), as in torch and NumPy."""
    index = [slice(None)] * a.ndim
    if offset >= 0:
        index[dim2] = slice(offset, None)
    else:
        index[dim1] = slice(-offset, None)
    start = a[tuple(index)]
    length = max(0, min(start.shape[dim1], start.shape[dim2]))
    rest = [d for d in range(a.ndim) if d not in (dim1, dim2)]
    shape = [start.shape[d] for d in rest] + [length]
    strides = [start.strides[d] for d in rest] + [start.strides[dim1] + start.strides[dim2]]
    return as_strided(start, shape, strides)


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple[int, int]:
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class DiagonalBackward0(OpNode):
    """y = x[..., i, i + offset] over dims (dim1, dim2), a view;  x̄ = ȳ on that diagonal of 0s;
    ẏ = diagonal(ẋ)."""

    linear = True
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> Any:
        self.shape, self.offset, self.dim1, self.dim2 = a.shape, offset, dim1, dim2
        return diagonal_view(a, offset, dim1, dim2)

    def backward(self, g: Tensor) -> Tensor:
        return DiagonalBackwardBackward0.apply(  # type: ignore[no-any-return]
            g, shape=self.shape, offset=self.offset, dim1=self.dim1, dim2=self.dim2
        )


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - torch's name
    """torch.diag of a matrix: y = its ``diagonal``-th diagonal, copied;  x̄ = ȳ on that diagonal."""

    view = False

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> Any:
        self.shape, self.offset, self.dim1, self.dim2 = a.shape, offset, dim1, dim2
        return diagonal_view(a, offset, dim1, dim2).copy()


class DiagonalBackwardBackward0(OpNode):
    """y = zeros(shape) with x on the ``offset`` diagonal of (dim1, dim2) (diagonal's backward);
    x̄ = diagonal(ȳ);  ẏ = ẋ on that diagonal of zeros."""

    linear = True
    promote = OWN

    def forward(
        self, a: np.ndarray, shape: tuple[int, ...], offset: int, dim1: int, dim2: int
    ) -> Any:
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        out = np.zeros(shape, a.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = a
        return out

    def backward(self, g: Tensor) -> Tensor:
        return DiagonalBackward0.apply(g, offset=self.offset, dim1=self.dim1, dim2=self.dim2)  # type: ignore[no-any-return]


@register
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the (dim1, dim2) planes, as a view; it becomes the last dim."""
    d1, d2 = _diag_dims(input.ndim, dim1, dim2)
    return DiagonalBackward0.apply(input, offset=int(offset), dim1=d1, dim2=d2)  # type: ignore[no-any-return]


class DiagEmbedBackward0(OpNode):
    """y = zeros with x's last dim placed on the ``offset`` diagonal of (dim1, dim2);
    x̄ = diagonal(ȳ, offset, dim1, dim2);  ẏ = diag_embed(ẋ)."""

    linear = True
    promote = OWN

    def forward(self, a: np.ndarray, offset: int, dim1: int, dim2: int) -> Any:
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2
        size = (a.shape[-1] if a.ndim else 1) + abs(offset)
        shape = list(a.shape[:-1])
        for d in sorted((dim1, dim2)):
            shape.insert(d, size)
        out = np.zeros(shape, a.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = a
        return out

    def backward(self, g: Tensor) -> Tensor:
        return DiagonalBackward0.apply(g, offset=self.offset, dim1=self.dim1, dim2=self.dim2)  # type: ignore[no-any-return]


@register
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims dim1, dim2 of the result) with ``input``'s last dim on a diagonal."""
    d1, d2 = _diag_dims(input.ndim + 1, dim1, dim2)
    return DiagEmbedBackward0.apply(input, offset=int(offset), dim1=d1, dim2=d2)  # type: ignore[no-any-return]


@register
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """Vector -> square matrix with it on the ``diagonal``-th diagonal; matrix -> that diagonal."""
    if input.ndim == 1:
        return DiagEmbedBackward0.apply(input, offset=int(diagonal), dim1=0, dim2=1)  # type: ignore[no-any-return]
    if input.ndim == 2:
        return DiagonalBackward0_copy.apply(input, offset=int(diagonal), dim1=0, dim2=1)  # type: ignore[no-any-return]
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


class TraceBackward0(OpNode):
    """y = Σᵢ xᵢᵢ;  x̄ = ȳ · I (the identity of x's shape);  ẏ = tr(ẋ)."""

    linear = True
    promote = OWN

    def forward(self, a: np.ndarray) -> Any:
        self.shape = a.shape
        dtype = np.int64 if a.dtype.kind in "biu" else a.dtype
        return np.asarray(np.trace(a, dtype=dtype))

    def backward(self, g: Tensor) -> Tensor:
        # ȳ on the diagonal and exact zeros elsewhere (torch fills, so an inf/nan ȳ stays
        # on the diagonal: no 0 · nan off it)
        eye = Tensor._make(np.eye(*self.shape, dtype=np.bool_), False, None, 0)
        return g.expand(self.shape).masked_fill(~eye, 0.0)  # type: ignore[attr-defined,no-any-return]


@register
def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal (integers sum to int64)."""
    if input.dtype.name == "bool":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return TraceBackward0.apply(input)  # type: ignore[no-any-return]


def _triangle_mask(shape: tuple[int, ...], k: int, lower: bool) -> np.ndarray:
    rows, cols = shape[-2:]
    return np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)


class TrilBackward0(OpNode):
    """y = x with entries above the k-th diagonal zeroed (j - i > k);  x̄ = tril(ȳ, k);
    ẏ = tril(ẋ, k)."""

    linear = True
    promote = OWN

    def forward(self, a: np.ndarray, k: int) -> Any:
        self.k = k
        return np.where(_triangle_mask(a.shape, k, lower=True), a, np.zeros((), a.dtype))

    def backward(self, g: Tensor) -> Tensor:
        return TrilBackward0.apply(g, k=self.k)  # type: ignore[no-any-return]


class TriuBackward0(OpNode):
    """y = x with entries below the k-th diagonal zeroed (j - i < k);  x̄ = triu(ȳ, k);
    ẏ = triu(ẋ, k)."""

    linear = True
    promote = OWN

    def forward(self, a: np.ndarray, k: int) -> Any:
        self.k = k
        return np.where(_triangle_mask(a.shape, k, lower=False), a, np.zeros((), a.dtype))

    def backward(self, g: Tensor) -> Tensor:
        return TriuBackward0.apply(g, k=self.k)  # type: ignore[no-any-return]


def _check_triangle(op: str, input: Tensor) -> None:
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")


@register(inplace=True)
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below the ``diagonal``-th diagonal) of the last two dims."""
    _check_triangle("tril", input)
    return TrilBackward0.apply(input, k=int(diagonal))  # type: ignore[no-any-return]


@register(inplace=True)
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above the ``diagonal``-th diagonal) of the last two dims."""
    _check_triangle("triu", input)
    return TriuBackward0.apply(input, k=int(diagonal))  # type: ignore[no-any-return]
