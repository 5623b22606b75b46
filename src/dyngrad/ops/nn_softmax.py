"""Softmax and log-softmax along one dim: fused, stable forwards (shifted by the max) whose
backwards are written with dyngrad ops, so they can be differentiated again.

``log_softmax`` is what ``cross_entropy`` is built on: computing it as ``x − max − log Σ
e^(x − max)`` keeps logits of ±1000 finite, where ``log(softmax(x))`` would give −inf.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import OpNode, register
from .elementwise_scalars import not_implemented_for
from .reduction_common import single_dim

__all__ = ["softmax", "log_softmax"]


def _shifted(a: np.ndarray, axis: int) -> np.ndarray:
    """``a − max(a)`` along ``axis``. An infinite max is kept, so a row holding +inf (or only
    −inf) gives NaN, as torch does."""
    return a - np.max(a, axis=axis, keepdims=True, initial=-np.inf)  # type: ignore[no-any-return]


class SoftmaxBackward0(OpNode):
    """y = e^(x − m) / Σ e^(x − m) along ``dim`` (m = max x);  x̄ = y ⊙ (ȳ − Σ ȳ ⊙ y)."""

    save_output = True

    def forward(self, a: np.ndarray, dim: int | None) -> Any:
        self.dim = dim
        if dim is None:  # 0-d input: one element, softmax e^(x−x)/e^(x−x): 1 (NaN for ±inf, NaN)
            return np.asarray((a - a) + 1)
        e = np.exp(_shifted(a, dim))
        # (torch's kernel works on a contiguous copy: its result is contiguous whatever x's layout)
        return np.ascontiguousarray(e / np.sum(e, axis=dim, keepdims=True))

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        if self.dim is None:  # one element: the same formula without the sum (0, or NaN)
            return y * (g - g * y)  # type: ignore[no-any-return]
        return y * (g - (g * y).sum(self.dim, keepdim=True))  # type: ignore[attr-defined,no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = y ⊙ (ẋ − Σ y ⊙ ẋ) along ``dim`` (0 for a 0-d input)."""
        if self.dim is None:
            return dx * 0.0
        return y * (dx - (dx * y).sum(self.dim, keepdim=True))  # type: ignore[attr-defined,no-any-return]


class LogSoftmaxBackward0(OpNode):
    """y = x − m − log Σ e^(x − m) along ``dim``;  x̄ = ȳ − e^y · Σ ȳ."""

    save_output = True

    def forward(self, a: np.ndarray, dim: int | None) -> Any:
        self.dim = dim
        if dim is None:  # x − x: 0 (NaN for ±inf, NaN)
            return np.asarray(a - a)
        shifted = _shifted(a, dim)
        total = np.sum(np.exp(shifted), axis=dim, keepdims=True)
        return np.ascontiguousarray(shifted - np.log(total))

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        if self.dim is None:  # one element: the same formula without the sum (0, or NaN)
            return g - y.exp() * g  # type: ignore[no-any-return]
        return g - y.exp() * g.sum(self.dim, keepdim=True)  # type: ignore[attr-defined,no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ − Σ e^y ⊙ ẋ along ``dim`` (0 for a 0-d input)."""
        if self.dim is None:
            return dx * 0.0
        return dx - (y.exp() * dx).sum(self.dim, keepdim=True)  # type: ignore[attr-defined,no-any-return]


def _prepare(op: str, input: Tensor, dim: Any, dtype: Any) -> tuple[Tensor, int | None]:
    axis = single_dim(op, dim, input.ndim)
    if dtype is not None:
        input = input.to(dtype)  # type: ignore[attr-defined]
    if input.dtype.np.kind != "f" and input._data.size:  # (no kernel runs on no elements)
        last = axis is None or axis == input.ndim - 1
        kernel = f"{op}_lastdim_kernel_impl" if last else f"{op}_kernel_impl"
        raise not_implemented_for(kernel, input.dtype.np)
    return input, axis


@register
def softmax(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """``exp(x) / Σ exp(x)`` along ``dim`` (computed after casting to ``dtype`` if given).

    >>> dyngrad.tensor([1000.0, 1000.0]).softmax(0)
    tensor([0.5000, 0.5000])
    """
    x, axis = _prepare("softmax", input, dim, dtype)
    if x.dtype.np.kind != "f":  # empty: torch returns it in its own dtype
        return x.clone()  # type: ignore[attr-defined,no-any-return]
    return SoftmaxBackward0.apply(x, dim=axis)  # type: ignore[no-any-return]


@register
def log_softmax(input: Tensor, dim: int, dtype: _dtype.dtype | None = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably.

    >>> dyngrad.tensor([1000.0, 0.0]).log_softmax(0)
    tensor([    0., -1000.])
    """
    x, axis = _prepare("log_softmax", input, dim, dtype)
    if x.dtype.np.kind != "f":  # empty: torch returns it in its own dtype
        return x.clone()  # type: ignore[attr-defined,no-any-return]
    return LogSoftmaxBackward0.apply(x, dim=axis)  # type: ignore[no-any-return]
