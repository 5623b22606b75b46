"""Fused backward ops of tanh, sigmoid and relu, as torch has them (``tanh_backward``,
``sigmoid_backward``, ``threshold_backward``).

Each is the gradient formula of its activation as one op: one node and one pass of NumPy
instead of two or three dyngrad ops (``g * (1 - y * y)`` was three). They are ops like any
other, with their own backward (so ``create_graph=True`` and higher orders work) and forward
rule; torch names their nodes ``TanhBackwardBackward0`` and so on. Here ``g`` is the gradient
arriving at the activation's output and ``y`` that output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OpNode, tangent_sum
from .elementwise_scalars import zeros_like_grad
from .elementwise_select import where_select

__all__ = ["tanh_backward", "sigmoid_backward", "threshold_backward"]

_FLOAT64 = np.dtype(np.float64)


class TanhBackwardBackward0(OpNode):
    """z = g · (1 − y²) (tanh's backward);  ḡ = z̄ · (1 − y²),  ȳ = −2 · z̄ · g · y;
    ż = ġ · (1 − y²) − 2 · g · y · ẏ."""

    save = (0, 1)
    save_for = ((1,), (0, 1))  # g only for ȳ; y for both

    def forward(self, g: np.ndarray, y: np.ndarray) -> Any:
        # Note: rounded as torch's kernels round, bit for bit: float64 as (1 − y)(1 + y);
        # float32 (and float16, which runs in float32) with 1 − y² rounded once (a fused
        # multiply-add there), which float64 arithmetic gives exactly.
        if y.dtype == _FLOAT64:
            return g * ((1 - y) * (1 + y))
        return g * (1 - np.square(y, dtype=_FLOAT64)).astype(y.dtype)

    def backward(self, zbar: Tensor) -> tuple[Any, ...]:
        g, y = self.saved_tensors
        need_g, need_y = self.needs_input_grad
        return (
            tanh_backward(zbar, y) if need_g else None,
            -2 * zbar * g * y if need_y else None,
        )

    def jvp(self, dg: Any, dy: Any, g: Tensor, y: Tensor, z: Tensor) -> Any:
        """ż = ġ · (1 − y²) − 2 · g · y · ẏ."""
        return tangent_sum(
            None if dg is None else tanh_backward(dg, y), None if dy is None else -2 * g * y * dy
        )


def tanh_backward(g: Tensor, y: Tensor) -> Tensor:
    """``g · (1 − y²)``: the gradient through ``y = tanh(x)``."""
    return TanhBackwardBackward0.apply(g, y)  # type: ignore[no-any-return]


class SigmoidBackwardBackward0(OpNode):
    """z = g · (1 − y) · y (sigmoid's backward);  ḡ = z̄ · (1 − y) · y,
    ȳ = z̄ · g · (1 − 2y);  ż = ġ · (1 − y) · y + g · (1 − 2y) · ẏ."""

    save = (0, 1)
    save_for = ((1,), (0, 1))

    def forward(self, g: np.ndarray, y: np.ndarray) -> Any:
        return g * (1 - y) * y

    def backward(self, zbar: Tensor) -> tuple[Any, ...]:
        g, y = self.saved_tensors
        need_g, need_y = self.needs_input_grad
        return (
            sigmoid_backward(zbar, y) if need_g else None,
            zbar * g * (1 - 2 * y) if need_y else None,
        )

    def jvp(self, dg: Any, dy: Any, g: Tensor, y: Tensor, z: Tensor) -> Any:
        """ż = ġ · (1 − y) · y + g · (1 − 2y) · ẏ."""
        return tangent_sum(
            None if dg is None else sigmoid_backward(dg, y),
            None if dy is None else g * (1 - 2 * y) * dy,
        )


def sigmoid_backward(g: Tensor, y: Tensor) -> Tensor:
    """``g · (1 − y) · y``: the gradient through ``y = sigmoid(x)``."""
    return SigmoidBackwardBackward0.apply(g, y)  # type: ignore[no-any-return]


_ZERO: dict[np.dtype[Any], np.ndarray] = {}


def _zero(dtype: np.dtype[Any]) -> np.ndarray:
    """A read-only 0-d +0.0 of ``dtype`` (where_select's cheap branch)."""
    zero = _ZERO.get(dtype)
    if zero is None:
        zero = _ZERO[dtype] = np.zeros((), dtype)
        zero.flags.writeable = False
    return zero


class ThresholdBackwardBackward0(OpNode):
    """z = 0 where y ≤ t, else g (relu's backward with t = 0; nan in y passes g);
    ḡ = z̄ where y > t, else 0;  ȳ = 0;  ż = ġ where y > t, else 0."""

    save = (1,)
    save_for = ((0,),)  # y only for ḡ (ȳ is zero)

    def forward(self, g: np.ndarray, y: np.ndarray, threshold: float) -> Any:
        self.threshold = threshold
        return where_select(y <= threshold, _zero(g.dtype), g)

    def backward(self, zbar: Tensor) -> tuple[Any, ...]:
        (y,) = self.saved_tensors
        need_g, need_y = self.needs_input_grad
        return (
            threshold_backward(zbar, y, self.threshold) if need_g else None,
            zeros_like_grad(zbar) if need_y else None,
        )

    def jvp(self, dg: Any, dy: Any, g: Tensor, y: Tensor, z: Tensor) -> Any:
        """ż = ġ where y > t, else 0 (y's tangent does not move z)."""
        return None if dg is None else threshold_backward(dg, y, self.threshold)


def threshold_backward(g: Tensor, y: Tensor, threshold: float = 0.0) -> Tensor:
    """``g`` where ``y > threshold``, else 0: the gradient through relu (y its output)."""
    return ThresholdBackwardBackward0.apply(g, y, threshold=threshold)  # type: ignore[no-any-return]
