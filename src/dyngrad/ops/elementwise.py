"""Elementwise ops: arithmetic, unary math, comparisons, where, maximum/minimum, clamp.

Each op states its math in the docstring as ``y = f(x)`` and ``x̄ = ȳ · f'(x)`` (x̄ is the
gradient that flows to x, ȳ the one that arrives at y). Broadcasting is undone by the engine,
not here: a backward may return a gradient of the broadcast shape.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import FLOAT, OWN, OpNode, promote_with, register, tangent_sum
from .elementwise_compare import bitwise_and, bitwise_or, eq, ge, gt, le, lt, ne
from .elementwise_grad import sigmoid_backward, tanh_backward, threshold_backward
from .elementwise_layout import torch_layout
from .elementwise_scalars import (
    checked_scalar,
    legacy_name,
    not_implemented_for,
    require_tensor,
    zeros_like_grad,
)
from .elementwise_select import where_select

__all__ = [
    "add", "sub", "rsub", "mul", "div", "true_divide", "neg", "reciprocal", "pow",
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sign", "sgn",
    "maximum", "minimum", "clamp", "clip", "where",
    "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
]  # fmt: skip


# --- arithmetic ---------------------------------------------------------------------------


class AddBackward0(OpNode):
    """z = a + α·b;  ā = z̄,  b̄ = α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        return torch_layout(a + b if alpha == 1 else a + alpha * b, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        alpha = self.alpha
        return g, (g if alpha == 1 else g * alpha)

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """ż = ȧ + α·ḃ."""
        alpha = self.alpha
        return tangent_sum(da, None if db is None else db if alpha == 1 else db * alpha)


@register(dunders=("__add__", "__radd__"), inplace=True)
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """Elementwise ``input + alpha * other``, broadcasting."""
    if alpha.__class__ is not int or alpha != 1:
        alpha = _checked_alpha(alpha, input, other)
    return AddBackward0.apply(input, other, alpha=alpha)


def _checked_alpha(alpha: Any, input: Any, other: Any) -> Any:
    """``alpha`` as torch accepts it for the result dtype of ``input`` and ``other``."""
    dt = _dtype.result_type(input, other)
    if isinstance(alpha, float) and dt.category != _dtype.FLOAT:
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    if dt.category == _dtype.BOOL:
        return bool(alpha)
    if isinstance(alpha, bool):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    return checked_scalar(alpha, dt.np)


def _is_bool(x: Any) -> bool:
    return x.__class__ is bool or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def _check_bool_subtraction(input: Any, other: Any) -> None:
    """torch refuses ``-`` with any bool operand (tensor or Python bool)."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if a or b:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


class SubBackward0(OpNode):
    """z = a − α·b;  ā = z̄,  b̄ = −α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        return torch_layout(a - b if alpha == 1 else a - alpha * b, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return g, -g if self.alpha == 1 else g * -self.alpha

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """ż = ȧ − α·ḃ."""
        alpha = self.alpha
        return tangent_sum(da, None if db is None else -db if alpha == 1 else db * -alpha)


@register(dunders=("__sub__",), inplace=True, aliases=("subtract",))
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """Elementwise ``input - alpha * other``, broadcasting."""
    _check_bool_subtraction(input, other)
    if alpha.__class__ is not int or alpha != 1:
        alpha = _checked_alpha(alpha, input, other)
    return SubBackward0.apply(input, other, alpha=alpha)


class RsubBackward0(OpNode):
    """z = b − α·a with a tensor b (``torch.rsub(x, y)``);  ā = −α·z̄,  b̄ = z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        # (torch's layout follows ``b`` first: it computes ``b - α·a``)
        return torch_layout(b - a if alpha == 1 else b - alpha * a, b, a)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return (-g if self.alpha == 1 else g * -self.alpha), g

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """ż = ḃ − α·ȧ."""
        alpha = self.alpha
        return tangent_sum(db, None if da is None else -da if alpha == 1 else da * -alpha)


class RsubBackward1(OpNode):
    """z = b − α·a with a number b (``2 - x``);  ā = −α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        return b - a if alpha == 1 else b - alpha * a

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return (-g if self.alpha == 1 else g * -self.alpha), None

    def jvp(self, da: Tensor, db: Any, a: Any, b: Any, z: Tensor) -> Tensor:
        """ż = −α·ȧ."""
        return -da if self.alpha == 1 else da * -self.alpha


@register(method=False)
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (what ``2 - x`` computes)."""
    _check_bool_subtraction(input, other)
    if alpha.__class__ is not int or alpha != 1:
        alpha = _checked_alpha(alpha, input, other)
    node = RsubBackward0 if isinstance(other, Tensor) else RsubBackward1
    return node.apply(input, other, alpha=alpha)


Tensor.__rsub__ = lambda self, other: rsub(self, other)  # type: ignore[attr-defined, method-assign]


class MulBackward0(OpNode):
    """z = a · b;  ā = z̄ · b,  b̄ = z̄ · a."""

    save = (0, 1)
    save_for = ((1,), (0,))  # a is needed only for b̄, b only for ā

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(a * b, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """ż = ȧ · b + a · ḃ."""
        return tangent_sum(None if da is None else da * b, None if db is None else a * db)


@register(dunders=("__mul__", "__rmul__"), inplace=True, aliases=("multiply",))
def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product, broadcasting."""
    return MulBackward0.apply(input, other)


class DivBackward0(OpNode):
    """z = a / b;  ā = z̄ / b,  b̄ = −z̄ · (a / b) / b."""

    promote = FLOAT
    save = (0, 1)
    save_for = ((1,), (0, 1))

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(a / b, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        # Note: (a / b) / b, as torch: b * b would overflow (float32 |b| > 1.8e19) or lose
        # precision where the quotient itself is fine
        return (g / b if need_a else None), (-g * (a / b) / b if need_b else None)

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """ż = ȧ / b − ḃ · a / b²."""
        return tangent_sum(
            None if da is None else da / b, None if db is None else -db * a / (b * b)
        )


_NO_ROUNDING_MODE: Any = "<no rounding_mode>"  # not passed at all (None selects DivBackward2)


@register(dunders=("__truediv__",), inplace=True, aliases=("divide", "true_divide"))
def div(input: Any, other: Any, *, rounding_mode: Any = _NO_ROUNDING_MODE) -> Tensor:
    """Elementwise division: true division (integers give the default float dtype), or with
    ``rounding_mode='trunc'``/``'floor'`` the quotient rounded toward zero / down, in the
    promoted dtype (integers stay integers).

    Note: as in torch, passing ``rounding_mode`` at all (even ``None``) selects the
    ``DivBackward2`` node.
    """
    if rounding_mode is _NO_ROUNDING_MODE:
        return DivBackward0.apply(input, other)
    from .elementwise_division import divide_rounded

    return divide_rounded(input, other, rounding_mode)


true_divide = div


class NegBackward0(OpNode):
    """y = −x;  x̄ = −ȳ."""

    def forward(self, a: Any) -> Any:
        if a.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -a

    def backward(self, g: Tensor) -> Tensor:
        return -g

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = −ẋ."""
        return -dx


@register(dunders=("__neg__",), inplace=True, aliases=("negative",))
def neg(input: Tensor) -> Tensor:
    """Elementwise negation."""
    return NegBackward0.apply(input)


class ReciprocalBackward0(OpNode):
    """y = 1 / x;  x̄ = −ȳ · y²."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return 1.0 / a

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        return -g * (y * y)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = −ẋ · y²."""
        return -dx * (y * y)


@register(inplace=True)
def reciprocal(input: Tensor) -> Tensor:
    """Elementwise ``1 / input``."""
    return ReciprocalBackward0.apply(input)


Tensor.__rtruediv__ = lambda self, other: reciprocal(self) * other  # type: ignore[attr-defined, method-assign]


# --- unary math ---------------------------------------------------------------------------


class ExpBackward0(OpNode):
    """y = eˣ;  x̄ = ȳ · y."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return np.exp(a)

    def backward(self, g: Tensor) -> Tensor:
        return g * self.saved_output

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · y."""
        return dx * y


@register(inplace=True)
def exp(input: Tensor) -> Tensor:
    """Elementwise ``e ** input``."""
    return ExpBackward0.apply(input)


class LogBackward0(OpNode):
    """y = ln x;  x̄ = ȳ / x."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.log(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / x

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / x."""
        return dx / x


@register(inplace=True)
def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm (``log(0) = -inf``, negative gives nan, silently)."""
    return LogBackward0.apply(input)


class SqrtBackward0(OpNode):
    """y = √x;  x̄ = ȳ / (2y)."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return np.sqrt(a)

    def backward(self, g: Tensor) -> Tensor:
        return g / (2 * self.saved_output)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / (2y)."""
        return dx / (2 * y)


@register(inplace=True)
def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return SqrtBackward0.apply(input)


class SinBackward0(OpNode):
    """y = sin x;  x̄ = ȳ · cos x."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.sin(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * cos(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · cos x."""
        return dx * cos(x)


@register(inplace=True)
def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return SinBackward0.apply(input)


class CosBackward0(OpNode):
    """y = cos x;  x̄ = −ȳ · sin x."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.cos(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * -sin(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = −ẋ · sin x."""
        return dx * -sin(x)


@register(inplace=True)
def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return CosBackward0.apply(input)


class TanhBackward0(OpNode):
    """y = tanh x;  x̄ = ȳ · (1 − y²)."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return np.tanh(a)

    def backward(self, g: Tensor) -> Tensor:
        return tanh_backward(g, self.saved_output)  # one fused op (elementwise_grad.py)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · (1 − y²)."""
        return tanh_backward(dx, y)


@register(inplace=True)
def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return TanhBackward0.apply(input)


class SigmoidBackward0(OpNode):
    """y = 1 / (1 + e⁻ˣ);  x̄ = ȳ · y · (1 − y)."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-a))

    def backward(self, g: Tensor) -> Tensor:
        return sigmoid_backward(g, self.saved_output)  # one fused op (elementwise_grad.py)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · (1 − y) · y."""
        return sigmoid_backward(dx, y)


@register(inplace=True)
def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic sigmoid."""
    return SigmoidBackward0.apply(input)


class ReluBackward0(OpNode):
    """y = max(x, 0);  x̄ = 0 where y ≤ 0, else ȳ (so nan passes ȳ, as in torch)."""

    save_output = True

    def forward(self, a: Any) -> Any:
        if a.dtype == np.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        return np.maximum(a, 0).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        return threshold_backward(g, self.saved_output, 0)  # one fused op (elementwise_grad.py)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0 where y ≤ 0, else ẋ."""
        return threshold_backward(dx, y, 0)


@register(inplace=True)
def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(input, 0)``."""
    return ReluBackward0.apply(input)


class SignBackward0(OpNode):
    """y = sign x;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        if a.dtype == np.bool_:
            return a.copy()
        out = np.sign(a)
        if a.dtype.kind == "f":  # torch: sign(nan) = 0
            out = np.where(np.isnan(out), a.dtype.type(0), out)
        return out

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(dx)


@register(inplace=True)
def sign(input: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1."""
    return SignBackward0.apply(input)


class SgnBackward0(SignBackward0):
    """y = sgn x (the sign, for real tensors);  x̄ = 0."""

    save = (0,)  # (read by torch's formula for complex x only; saved, and checked, all the same)
    save_output = True


@register(inplace=True)
def sgn(input: Tensor) -> Tensor:
    """Elementwise sign; for real tensors the same as :func:`sign` (``x / |x|`` for complex)."""
    return SgnBackward0.apply(input)


class AbsBackward0(OpNode):
    """y = |x|;  x̄ = ȳ · sign x."""

    save = (0,)

    def forward(self, a: Any) -> Any:
        if a.dtype == np.bool_:
            raise not_implemented_for("abs_cpu", a.dtype)
        return np.abs(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * sign(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · sign x."""
        return dx * sign(x)


@register(dunders=("__abs__",), inplace=True, aliases=("absolute",))
def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    """Elementwise absolute value."""
    return AbsBackward0.apply(input)


# --- maximum, minimum, clamp, where ---------------------------------------------------


class MaximumBackward0(OpNode):
    """z = max(a, b);  ā = z̄ where a > b, z̄/2 where a = b;  b̄ likewise."""

    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(np.maximum(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        half = where(a == b, g / 2, g)
        return where(a < b, 0.0, half), where(a > b, 0.0, half)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Tensor:
        """ż = (ȧ + ḃ)/2 where a = b, ȧ where a > b, else ḃ (also at nan, as torch)."""
        ta, tb = _or_zero(da), _or_zero(db)
        return where(a == b, (ta + tb) / 2, where(a > b, ta, tb))


@register
def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (gradient split evenly on ties)."""
    require_tensor("maximum", other)
    return MaximumBackward0.apply(input, other)


class MinimumBackward0(OpNode):
    """z = min(a, b);  ā = z̄ where a < b, z̄/2 where a = b;  b̄ likewise."""

    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(np.minimum(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        half = where(a == b, g / 2, g)
        return where(a > b, 0.0, half), where(a < b, 0.0, half)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Tensor:
        """ż = (ȧ + ḃ)/2 where a = b, ȧ where a < b, else ḃ (also at nan, as torch)."""
        ta, tb = _or_zero(da), _or_zero(db)
        return where(a == b, (ta + tb) / 2, where(a < b, ta, tb))


@register
def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (gradient split evenly on ties)."""
    require_tensor("minimum", other)
    return MinimumBackward0.apply(input, other)


class ClampBackward1(OpNode):
    """y = min(max(x, lo), hi) with scalar bounds;  x̄ = ȳ where lo ≤ x ≤ hi, else 0."""

    save = (0,)

    def forward(self, a: Any, lo: Any = None, hi: Any = None) -> Any:
        self.lo, self.hi = lo, hi
        if lo is not None and hi is not None and lo > hi:
            return np.full_like(a, hi)
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        inside = _between(x, self.lo, self.hi)
        return where(inside, g, 0.0)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ where lo ≤ x ≤ hi, else 0."""
        return where(_between(x, self.lo, self.hi), dx, 0.0)


class ClampBackward0(OpNode):
    """y = min(max(x, lo), hi) with tensor bounds;  x̄ = ȳ where lo ≤ x ≤ hi, lō = ȳ where
    lo wins (x < lo < hi), hī = ȳ where hi wins (x > hi, or lo > hi)."""

    save = (0, 1, 2)

    def forward(self, a: Any, lo: Any, hi: Any) -> Any:
        if a.dtype == np.bool_:
            raise not_implemented_for("clamp_cpu", a.dtype)
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        if lo is None or hi is None:
            return torch_layout(out, a, hi if lo is None else lo)
        return torch_layout(out, a, lo, hi)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, lo, hi = self.saved_tensors
        gx = where(_between(x, lo, hi), g, 0.0)
        glo = ghi = None
        if lo is not None:
            # (as torch: lo == hi gives neither bound a gradient when x is outside)
            lo_wins = x < lo if hi is None else (x < lo) & (lo < hi)
            glo = where(lo_wins, g, 0.0)
        if hi is not None:
            hi_wins = x > hi if lo is None else (x > hi) | (lo > hi)
            ghi = where(hi_wins, g, 0.0)
        return gx, glo, ghi

    def jvp(self, dx: Any, dlo: Any, dhi: Any, x: Tensor, lo: Any, hi: Any, y: Tensor) -> Any:
        """ẏ = lȯ where lo wins, ḣi where hi wins, else ẋ. As torch decides ties and nan: with
        one bound the bound's tangent unless x is strictly inside; with both, ḣi where lo > hi,
        lȯ where x < lo, ḣi where x > hi, else ẋ."""
        tx, tlo, thi = _or_zero(dx), _or_zero(dlo), _or_zero(dhi)
        if hi is None:
            return where(x > lo, tx, tlo)
        if lo is None:
            return where(x < hi, tx, thi)
        return where(lo > hi, thi, where(x < lo, tlo, where(x > hi, thi, tx)))


def _or_zero(tangent: Any) -> Any:
    """A missing tangent as the number 0 (for ``where`` in jvp rules)."""
    return 0.0 if tangent is None else tangent


def _between(x: Tensor, lo: Any, hi: Any) -> Tensor:
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


@register(inplace=True, aliases=("clip",))
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Elementwise ``min(max(input, min), max)``; bounds are scalars or tensors."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min_is_tensor, max_is_tensor = isinstance(min, Tensor), isinstance(max, Tensor)
    if min_is_tensor != max_is_tensor and min is not None and max is not None:
        # a tensor bound with a number bound: torch takes a 0-d tensor as a number
        if min_is_tensor and min.ndim == 0 and not min._rg:
            min, min_is_tensor = min.item(), False
        elif max_is_tensor and max.ndim == 0 and not max._rg:
            max, max_is_tensor = max.item(), False
    if min_is_tensor or max_is_tensor:
        if (min is not None and not min_is_tensor) or (max is not None and not max_is_tensor):
            raise TypeError(
                "clamp() received an invalid combination of arguments - expected one of: "
                "(Tensor min = None, Tensor max = None) or (Number min = None, Number max = None)"
            )
        return ClampBackward0.apply(input, min, max)
    t = promote_with(input, min, max)
    dt = t._data.dtype
    if dt == np.bool_:
        raise not_implemented_for("clamp_scalar_cpu", dt)
    lo, hi = checked_scalar(min, dt), checked_scalar(max, dt)
    return ClampBackward1.apply(t, lo=lo, hi=hi)


clip = clamp


class WhereBackward0(OpNode):
    """z = a where c else b;  ā = z̄ where c else 0,  b̄ = z̄ where not c else 0."""

    promote = OWN
    save = (0,)
    no_edge = (0,)  # the condition (torch's node has edges for the two branches only)

    def forward(self, c: Any, a: Any, b: Any, dtype: np.dtype) -> Any:
        if getattr(c, "dtype", None) != np.bool_:
            raise RuntimeError(
                "where expected condition to be a boolean tensor, but got a tensor with dtype "
                + legacy_name(np.asarray(c).dtype)
            )
        # Note: the branches are cast to the result dtype here, as torch's kernel does: a
        # float64 0-d branch beside a float32 one gives WhereBackward0 (no ToCopyBackward0).
        if a.dtype != dtype:
            a = a.astype(dtype)
        if b.dtype != dtype:
            b = b.astype(dtype)
        return torch_layout(where_select(c, a, b), c, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        (c,) = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (where(c, g, 0.0) if need_a else None), (where(c, 0.0, g) if need_b else None)

    def jvp(self, dc: Any, da: Any, db: Any, c: Tensor, a: Any, b: Any, z: Tensor) -> Tensor:
        """ż = ȧ where c else ḃ."""
        return where(c, _or_zero(da), _or_zero(db))


@register(method=False)
def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Pick ``input`` where ``condition`` holds, else ``other``; one argument: nonzero indices."""
    _check_where_args(condition, input, other)
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)  # type: ignore[attr-defined]
    dt = _dtype.result_type(input, other)
    if not isinstance(input, Tensor):
        input = _where_scalar(input, dt.np)
    if not isinstance(other, Tensor):
        other = _where_scalar(other, dt.np)
    return WhereBackward0.apply(condition, input, other, dtype=dt.np)


def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    """``x.where(condition, y)``: x where condition holds, else y (torch's argument order)."""
    return where(condition, self, other)  # type: ignore[no-any-return]


_where_method.__name__ = _where_method.__qualname__ = "where"
Tensor.where = _where_method  # type: ignore[attr-defined]


def _check_where_args(condition: Any, input: Any, other: Any) -> None:
    """torch's TypeError for arguments of the wrong kind: the condition must be a tensor, the
    branches tensors or numbers."""
    args = (condition,) if input is None and other is None else (condition, input, other)
    ok = isinstance(condition, Tensor) and all(
        isinstance(a, (Tensor, bool, int, float)) for a in args[1:]
    )
    if not ok:
        got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args)
        raise TypeError(
            f"where() received an invalid combination of arguments - got ({got}), but expected "
            "one of:\n * (Tensor condition)\n * (Tensor condition, Tensor input, Tensor other)\n"
            " * (Tensor condition, Number self, Tensor other)\n"
            " * (Tensor condition, Tensor input, Number other)\n"
            " * (Tensor condition, Number self, Number other)"
        )


_ZEROS: dict[np.dtype, np.ndarray] = {}  # read-only 0-d zeros: where(mask, 0.0, g) is common


def _where_scalar(value: Any, np_dtype: np.dtype) -> Tensor:
    """A Python-number branch of ``where`` as a 0-d tensor, range-checked as torch does
    (except for float16, where torch lets it become ±inf)."""
    if value.__class__ in (float, int) and value == 0 and math.copysign(1.0, value) > 0:
        zero = _ZEROS.get(np_dtype)
        if zero is None:
            zero = _ZEROS[np_dtype] = np.zeros((), np_dtype)
            zero.flags.writeable = False
        return Tensor._make(zero, False, None, 0)
    checked_scalar(value, np.dtype(np.float64) if np_dtype == np.float16 else np_dtype)
    if np_dtype.kind in "iu":
        value = checked_scalar(value, np_dtype)
    with np.errstate(over="ignore"):
        return Tensor._make(np.asarray(value).astype(np_dtype), False, None, 0)


# Note: pow lives in elementwise_pow (it needs where and log from here); re-exported so that
# ``from dyngrad.ops.elementwise import pow`` keeps working.
from .elementwise_pow import pow  # noqa: E402
