"""Products: dot, mv, mm, bmm and matmul (which dispatches to them as torch does).

For z = A·B:  Ā = z̄·Bᵀ,  B̄ = Aᵀ·z̄.  All products run on NumPy's BLAS-backed matmul.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES, OpNode, register
from .shape import SqueezeBackward4, clone

__all__ = ["dot", "mv", "mm", "bmm", "matmul"]


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{op} : expected both vectors to have same dtype, but found "
            f"{_TYPE_NAMES[a.dtype.name]} and {_TYPE_NAMES[b.dtype.name]}"
        )


class DotBackward0(OpNode):
    """z = Σ aᵢbᵢ;  ā = z̄·b,  b̄ = z̄·a."""

    save = (0, 1)

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        return np.dot(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


@register
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of one dtype."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors"
        )
    n, m = input._data.shape[0], tensor._data.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    _same_dtype("dot", input, tensor)
    return DotBackward0.apply(input, tensor)


class MvBackward0(OpNode):
    """z = A·v;  Ā = z̄ ⊗ v,  v̄ = Aᵀ·z̄."""

    save = (0, 1)

    def forward(self, a: np.ndarray, v: np.ndarray) -> Any:
        return a @ v

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, v = self.saved_tensors
        need_a, need_v = self.needs_input_grad
        ga = g.unsqueeze(1) * v if need_a else None  # type: ignore[attr-defined]
        gv = mv(a.t(), g) if need_v else None  # type: ignore[attr-defined]
        return ga, gv


@register
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}"
        )
    if input._data.shape[1] != vec._data.shape[0]:
        r, c = input._data.shape
        raise RuntimeError(
            f"size mismatch, got input ({r}), mat ({r}x{c}), vec ({vec._data.shape[0]})"
        )
    return MvBackward0.apply(input, vec)


class MmBackward0(OpNode):
    """Z = A·B;  Ā = Z̄·Bᵀ,  B̄ = Aᵀ·Z̄."""

    save = (0, 1)

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        return a @ b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (mm(g, b.t()) if need_a else None), (mm(a.t(), g) if need_b else None)  # type: ignore[attr-defined]


def _mm_check(a: Tensor, b: Tensor) -> None:
    if a._data.shape[-1] != b._data.shape[-2]:
        r1, c1 = a._data.shape[-2:]
        r2, c2 = b._data.shape[-2:]
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({r1}x{c1} and {r2}x{c2})")


@register
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_check(input, mat2)
    return MmBackward0.apply(input, mat2)


class BmmBackward0(OpNode):
    """Z[i] = A[i]·B[i];  Ā[i] = Z̄[i]·B[i]ᵀ,  B̄[i] = A[i]ᵀ·Z̄[i]."""

    save = (0, 1)

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        return np.matmul(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = bmm(g, b.transpose(1, 2)) if need_a else None  # type: ignore[attr-defined]
        gb = bmm(a.transpose(1, 2), g) if need_b else None  # type: ignore[attr-defined]
        return ga, gb


@register
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-D tensors with the same batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor")
    b, n, m = input._data.shape
    if mat2._data.shape[0] != b or mat2._data.shape[1] != m:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but got: "
            f"[{mat2._data.shape[0]}, {mat2._data.shape[1]}]."
        )
    return BmmBackward0.apply(input, mat2)


class UnsafeViewBackward0(OpNode):
    """y = x in a new shape (matmul's final reshape);  x̄ = ȳ reshaped back."""

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: Tensor) -> Tensor:
        return g.reshape(self.shape)  # type: ignore[attr-defined,no-any-return]


@register(dunders=("__matmul__",))
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules for 1-D, 2-D and batched (broadcast) operands."""
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError("matmul(): argument 'other' (position 2) must be Tensor")
    da, db = input.ndim, other.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        row = input.unsqueeze(0)  # type: ignore[attr-defined]
        _mm_check(row, other)
        return SqueezeBackward4.apply(mm(row, other), dims=(0,))  # type: ignore[no-any-return]
    if da == 2 and db == 2:
        return mm(input, other)
    if da == 2:  # torch computes (bᵀ·aᵀ)ᵀ here and copies it contiguous
        return clone(_batched_matmul(other.mT, input.t()).mT)  # type: ignore[attr-defined]
    return _batched_matmul(input, other)


def _batched_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dims, run one bmm, and view the result in the batch shape."""
    a2 = a.unsqueeze(0) if a.ndim == 1 else a  # type: ignore[attr-defined]
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b  # type: ignore[attr-defined]
    _mm_check(a2, b2)
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    n, k = a2.shape[-2:]
    m = b2.shape[-1]
    count = int(np.prod(batch))
    a3 = a2.expand(*batch, n, k).reshape(count, n, k)  # type: ignore[attr-defined]
    b3 = b2.expand(*batch, k, m).reshape(count, k, m)  # type: ignore[attr-defined]
    out_shape = list(batch) + [n, m]
    if a.ndim == 1:
        out_shape.pop(-2)
    if b.ndim == 1:
        out_shape.pop(-1)
    return UnsafeViewBackward0.apply(bmm(a3, b3), shape=tuple(out_shape))


Tensor.__rmatmul__ = lambda self, other: matmul(other, self)  # type: ignore[attr-defined]
