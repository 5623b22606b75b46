"""Fused products: addmm, addmv and baddbmm compute ``beta·input + alpha·(product)``, with
``input`` broadcast to the product's shape. With beta = 0, ``input`` is ignored (even nan).

For Y = β·C + α·A·B:  C̄ = β·Ȳ,  Ā = α·Ȳ·Bᵀ,  B̄ = α·Aᵀ·Ȳ;  Ẏ = β·Ċ + α·(Ȧ·B + A·Ḃ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES, OpNode, register, tangent_sum
from .linalg import (
    _C_TYPE_NAMES,
    _check_bmm,
    _check_mv,
    _mm_check,
    _no_bool,
    bmm,
    column_major,
    mat1_grad,
    mat2_grad,
    mm,
    mv,
)

__all__ = ["addmm", "addmv", "baddbmm"]


def _scaled(g: Tensor, factor: Any) -> Tensor:
    return g if factor == 1 else g * factor


def _fused_jvp(node: Any, product: Any, tangents: tuple[Any, ...], primals: tuple[Any, ...],
               out: Tensor) -> Tensor:  # fmt: skip
    """Ẏ = β·Ċ + α·(Ȧ·B + A·Ḃ) for Y = β·C + α·product(A, B) (β = 0 ignores Ċ); zeros when
    only C has a tangent and β = 0 (the output still depends on dual inputs)."""
    dc, da, db = tangents
    _, a, b = primals
    prod = tangent_sum(None if da is None else product(da, b),
                       None if db is None else product(a, db))  # fmt: skip
    total = tangent_sum(
        None if dc is None or node.beta == 0 else _scaled(dc, node.beta),
        None if prod is None else _scaled(prod, node.alpha),
    )
    if total is None:
        from .._creation import zeros_like

        return zeros_like(out)  # type: ignore[no-any-return]
    return total  # type: ignore[no-any-return]


class AddmmBackward0(OpNode):
    """Y = β·C + α·A·B;  C̄ = β·Ȳ,  Ā = α·Ȳ·Bᵀ,  B̄ = α·Aᵀ·Ȳ (β = 0 ignores C, even nan)."""

    save = (1, 2)
    save_for = ((2,), (1,))  # each factor only for the other's gradient

    def forward(self, c: np.ndarray, a: np.ndarray, b: np.ndarray, beta: Any, alpha: Any) -> Any:
        self.beta, self.alpha = beta, alpha
        self.layout = (column_major(a), column_major(b))
        prod = a @ b
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod.astype(a.dtype, copy=False)
        if beta == 1 and prod.dtype == a.dtype == c.dtype:
            return np.add(prod, c, out=prod)  # prod is ours: no second temporary
        return (prod + (c if beta == 1 else c * beta)).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_c, need_a, need_b = self.needs_input_grad
        a_cols, b_cols = self.layout
        gc = _scaled(g, self.beta) if need_c else None
        ga = _scaled(mat1_grad(g, b, a_cols), self.alpha) if need_a else None
        gb = _scaled(mat2_grad(a, g, b_cols), self.alpha) if need_b else None
        return gc, ga, gb

    def jvp(self, *args: Any) -> Tensor:
        """Ẏ = β·Ċ + α·(Ȧ·B + A·Ḃ)."""
        return _fused_jvp(self, mm, args[:3], args[3:6], args[6])


@register(inplace=True)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta·input + alpha·(mat1 @ mat2)``; ``input`` broadcasts to the product's shape."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    _mm_check(mat1, mat2)
    if input.dtype is not mat2.dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_TYPE_NAMES[input.dtype.name]} "
            f"and {_TYPE_NAMES[mat2.dtype.name]}"
        )
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_TYPE_NAMES[mat1.dtype.name]} "
            f"and {_TYPE_NAMES[mat2.dtype.name]}"
        )
    _no_bool("addmm_impl_cpu_", mat1, mat2)
    shape = (mat1._data.shape[0], mat2._data.shape[1])
    bias_shape = input._data.shape
    if not (bias_shape == shape or bias_shape == shape[1:]):  # (the common cases pass as they are)
        input.expand(*shape)  # type: ignore[attr-defined]  # torch's broadcast check and message
    return AddmmBackward0.apply(input, mat1, mat2, beta=beta, alpha=alpha)


class AddmvBackward0(OpNode):
    """y = β·c + α·A·v;  c̄ = β·ȳ,  Ā = α·ȳ ⊗ v,  v̄ = α·Aᵀ·ȳ."""

    save = (1, 2)
    save_for = ((2,), (1,))  # each factor only for the other's gradient

    def forward(self, c: np.ndarray, a: np.ndarray, v: np.ndarray, beta: Any, alpha: Any) -> Any:
        self.beta, self.alpha = beta, alpha
        prod = a @ v
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod.astype(a.dtype)
        return (prod + (c if beta == 1 else c * beta)).astype(a.dtype)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, v = self.saved_tensors
        need_c, need_a, need_v = self.needs_input_grad
        gc = _scaled(g, self.beta) if need_c else None
        ga = _scaled(g.unsqueeze(1) * v, self.alpha) if need_a else None  # type: ignore[attr-defined]
        gv = _scaled(mv(a.t(), g), self.alpha) if need_v else None  # type: ignore[attr-defined]
        return gc, ga, gv

    def jvp(self, *args: Any) -> Tensor:
        """ẏ = β·ċ + α·(Ȧ·v + A·v̇)."""
        return _fused_jvp(self, mv, args[:3], args[3:6], args[6])


@register(inplace=True)
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta·input + alpha·(mat @ vec)``; ``input`` broadcasts to the product's shape."""
    if mat.ndim == 2 and vec.ndim == 1 and input.ndim <= 1:
        broadcast = input.ndim == 0 or input.shape[0] == 1
        as_vector = input.expand(mat.shape[0]) if broadcast else input  # type: ignore[attr-defined]
    else:
        as_vector = input
    if input.ndim == 0 and mat.ndim == 2 and vec.ndim == 1 and mat.shape[1] != vec.shape[0]:
        # (torch's size-mismatch message reads input.size(0))
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    _check_mv(as_vector, mat, vec)
    return AddmvBackward0.apply(input, mat, vec, beta=beta, alpha=alpha)


class BaddbmmBackward0(OpNode):
    """Y[i] = β·C[i] + α·A[i]·B[i];  C̄ = β·Ȳ,  Ā[i] = α·Ȳ[i]·B[i]ᵀ,  B̄[i] = α·A[i]ᵀ·Ȳ[i]."""

    save = (1, 2)
    save_for = ((2,), (1,))  # each factor only for the other's gradient

    def forward(self, c: np.ndarray, a: np.ndarray, b: np.ndarray, beta: Any, alpha: Any) -> Any:
        self.beta, self.alpha = beta, alpha
        prod = np.matmul(a, b)
        if alpha != 1:
            prod = prod * alpha
        if beta == 0:
            return prod.astype(a.dtype)
        return (prod + (c if beta == 1 else c * beta)).astype(a.dtype)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_c, need_a, need_b = self.needs_input_grad
        gc = _scaled(g, self.beta) if need_c else None
        ga = _scaled(bmm(g, b.transpose(1, 2)), self.alpha) if need_a else None  # type: ignore[attr-defined]
        gb = _scaled(bmm(a.transpose(1, 2), g), self.alpha) if need_b else None  # type: ignore[attr-defined]
        return gc, ga, gb

    def jvp(self, *args: Any) -> Tensor:
        """Ẏ[i] = β·Ċ[i] + α·(Ȧ[i]·B[i] + A[i]·Ḃ[i])."""
        return _fused_jvp(self, bmm, args[:3], args[3:6], args[6])


@register(inplace=True)
def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """``beta·input + alpha·bmm(batch1, batch2)``; ``input`` broadcasts to the product's shape.

    As in torch, the product's sizes are read (IndexError for a missing dim) and ``input``
    is expanded to them before the batches' ranks are checked."""
    sizes = (batch1.size(0), batch1.size(1), batch2.size(2))  # type: ignore[attr-defined]
    input.expand(*sizes)  # type: ignore[attr-defined]
    _check_bmm(batch1, batch2)
    if not input.dtype is batch1.dtype is batch2.dtype:
        raise RuntimeError(
            "Input dtypes must be the same, got: "
            f"input {_C_TYPE_NAMES[input.dtype.name]}, batch1: "
            f"{_C_TYPE_NAMES[batch1.dtype.name]}, batch2: {_C_TYPE_NAMES[batch2.dtype.name]}"
        )
    _no_bool("baddbmm", batch1, batch2)
    return BaddbmmBackward0.apply(input, batch1, batch2, beta=beta, alpha=alpha)
