"""Scans: cumsum and cumprod along one dim, and the exact product gradient that prod uses.

cumsum:  yₖ = Σ_{j≤k} xⱼ;   x̄ᵢ = Σ_{k≥i} ȳₖ (a reversed cumsum);   ẏ = cumsum(ẋ).
cumprod: yₖ = Π_{j≤k} xⱼ;   x̄ᵢ = Σ_{k≥i} ȳₖ Π_{j≤k, j≠i} xⱼ;   ẏₖ = Σ_{i≤k} ẋᵢ Π_{j≤k, j≠i} xⱼ.

Without zeros the cumprod gradient is (reversed cumsum of ȳ·y) / x and its tangent
y · cumsum(ẋ / x). Zeros are handled exactly, to every order of differentiation, by
:func:`cumprod_grad` and :func:`cumprod_jvp` (see there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register
from .elementwise import where
from .reduction_common import check_grad_dtype, mask_tensor, positions, single_dim

__all__ = ["cumsum", "cumprod", "cumprod_grad", "cumprod_jvp", "reverse_cumsum"]


def _scan_dtype(a: np.ndarray, dtype: Any) -> Any:
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


class CumsumBackward0(OpNode):
    """y = cumulative sum along ``dim`` (``reverse``: from the end);  x̄ = the cumsum of ȳ
    in the opposite direction.  Forward mode: linear, ẏ = the cumsum of ẋ."""

    promote = OWN
    linear = True

    def forward(
        self, a: np.ndarray, axis: int | None, dtype: Any = None, reverse: bool = False
    ) -> Any:
        self.axis, self.reverse = axis, reverse
        out_dtype = _scan_dtype(a, dtype)
        if axis is None:  # 0-d: the sum of one element is itself
            return a.astype(out_dtype)
        if reverse:
            return np.flip(np.cumsum(np.flip(a, axis), axis=axis, dtype=out_dtype), axis)
        return np.asarray(np.cumsum(a, axis=axis, dtype=out_dtype), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        return CumsumBackward0.apply(g, axis=self.axis, reverse=not self.reverse)  # type: ignore[no-any-return]


def reverse_cumsum(t: Tensor, axis: int | None) -> Tensor:
    """yᵢ = Σ_{k≥i} tₖ along ``axis`` (differentiable)."""
    return CumsumBackward0.apply(t, axis=axis, reverse=True)  # type: ignore[no-any-return]


@register(inplace=True)
def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``; bool and integers accumulate in int64.

    >>> dyngrad.tensor([1.0, 2.0, 4.0]).cumsum(0)
    tensor([1., 3., 7.])
    """
    axis = single_dim("cumsum", dim, input.ndim)  # (torch checks the dim before the dtype)
    if dtype is not None and dtype.name == "bool":
        raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
    check_grad_dtype(input, dtype)
    return CumsumBackward0.apply(input, axis=axis, dtype=dtype)  # type: ignore[no-any-return]


class CumprodBackward0(OpNode):
    """y = cumulative product along ``dim``;  x̄ᵢ = Σ_{k≥i} ȳₖ Π_{j≤k, j≠i} xⱼ
    (exact with zeros: see :func:`cumprod_grad`).
    Forward mode: ẏₖ = Σ_{i≤k} ẋᵢ Π_{j≤k, j≠i} xⱼ (exact with zeros: :func:`cumprod_jvp`)."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, axis: int | None, dtype: Any = None) -> Any:
        self.axis = axis
        out_dtype = _scan_dtype(a, dtype)
        if axis is None:
            return a.astype(out_dtype)
        return np.asarray(np.cumprod(a, axis=axis, dtype=out_dtype), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if self.axis is None:
            return g
        if not np.any(x._data == 0):
            return reverse_cumsum(g * self.saved_output, self.axis) / x  # type: ignore[operator]
        return cumprod_grad(x, g, self.axis)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏₖ = Σ_{i≤k} ẋᵢ Π_{j≤k, j≠i} xⱼ (y · cumsum(ẋ / x) without zeros)."""
        if x.dtype is not y.dtype:  # cumprod(x, dtype=...): the math runs in the output dtype
            x, dx = x.to(y.dtype), dx.to(y.dtype)  # type: ignore[attr-defined]
        if self.axis is None:
            return dx
        return cumprod_jvp(x, dx, self.axis)


def _cumprod(x: Tensor, axis: int) -> Tensor:
    return CumprodBackward0.apply(x, axis=axis)  # type: ignore[no-any-return]


def cumprod_grad(x: Tensor, g: Tensor, axis: int) -> Tensor:
    """x̄ᵢ = Σ_{k≥i} gₖ Π_{j≤k, j≠i} xⱼ along ``axis``, exact when x has zeros.

    Note: dividing by x fails at zeros, so zeros are peeled off one at a time. Pick a
    position z in each slice (its first zero; position 0 where there is none) and let x' be x
    with x_z replaced by 1. For every x (whatever the value at z):

        Π_{j≤k, j≠i} xⱼ = c_k · Π_{j≤k, j≠i} x'ⱼ   for i ≠ z,  c_k = x_z if k ≥ z else 1,
        Π_{j≤k, j≠z} xⱼ = cumprod(x')_k,

    so x̄ = where(i = z, reverse_cumsum(g·cumprod(x')), cumprod_grad(x', g·c)). x' has one
    zero less per slice; once none are left the division formula applies. Every step is an
    identity in x built from differentiable ops, so higher derivatives are exact too (torch
    agrees: its cumprod and prod pass gradgradcheck at zeros).
    """
    shape = tuple(x.shape)
    pos = positions(shape, axis)
    levels: list[tuple[Tensor, Tensor]] = []
    while np.any(x._data == 0):
        first_zero = np.argmax(x._data == 0, axis=axis, keepdims=True)
        at_z = mask_tensor(np.broadcast_to(pos == first_zero, shape))
        after_z = mask_tensor(np.broadcast_to(pos >= first_zero, shape))
        x_peeled = where(at_z, 1.0, x)
        x_z = where(at_z, x, 0.0).sum(axis, keepdim=True)  # type: ignore[attr-defined]
        grad_at_z = reverse_cumsum(g * _cumprod(x_peeled, axis), axis)  # type: ignore[operator]
        levels.append((at_z, grad_at_z))
        g = g * where(after_z, x_z, 1.0)
        x = x_peeled
    out = reverse_cumsum(g * _cumprod(x, axis), axis) / x  # type: ignore[operator]
    for at_z, grad_at_z in reversed(levels):
        out = where(at_z, grad_at_z, out)
    return out


def cumprod_jvp(x: Tensor, dx: Tensor, axis: int) -> Tensor:
    """ẏₖ = Σ_{i≤k} ẋᵢ Π_{j≤k, j≠i} xⱼ along ``axis``, exact when x has zeros.

    Note: as in :func:`cumprod_grad`, pick a position z per slice (its first zero, else 0)
    and let x' be x with x_z replaced by 1 and ẋ' be ẋ with ẋ_z replaced by 0. Then

        ẏ = c · J(x', ẋ') + [k ≥ z] · ẋ_z · cumprod(x')_k,   c_k = x_z if k ≥ z else 1,

    with J the same tangent for x'; once x has no zeros left, J(x, ẋ) = cumprod(x) ·
    cumsum(ẋ / x). Each step is an identity built from differentiable ops.
    """
    shape = tuple(x.shape)
    pos = positions(shape, axis)
    total: Tensor | None = None
    scale: Tensor | None = None
    while np.any(x._data == 0):
        first_zero = np.argmax(x._data == 0, axis=axis, keepdims=True)
        at_z = mask_tensor(np.broadcast_to(pos == first_zero, shape))
        after_z = mask_tensor(np.broadcast_to(pos >= first_zero, shape))
        x_peeled = where(at_z, 1.0, x)
        x_z = where(at_z, x, 0.0).sum(axis, keepdim=True)  # type: ignore[attr-defined]
        dx_z = where(at_z, dx, 0.0).sum(axis, keepdim=True)  # type: ignore[attr-defined]
        term = where(after_z, dx_z * _cumprod(x_peeled, axis), 0.0)
        term = term if scale is None else scale * term
        total = term if total is None else total + term
        c = where(after_z, x_z, 1.0)
        scale = c if scale is None else scale * c
        x, dx = x_peeled, where(at_z, 0.0, dx)
    rest = _cumprod(x, axis) * CumsumBackward0.apply(dx / x, axis=axis)  # type: ignore[operator]
    rest = rest if scale is None else scale * rest
    return rest if total is None else total + rest


@register(inplace=True)
def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim``; bool and integers accumulate in int64.

    >>> dyngrad.tensor([1.0, 2.0, 4.0]).cumprod(0)
    tensor([1., 2., 8.])
    """
    axis = single_dim("cumprod", dim, input.ndim)
    check_grad_dtype(input, dtype)
    return CumprodBackward0.apply(input, axis=axis, dtype=dtype)  # type: ignore[no-any-return]
