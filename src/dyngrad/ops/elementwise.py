"""Elementwise ops: arithmetic, unary math, comparisons, where, maximum/minimum, clamp.

Each op states its math in the docstring as ``y = f(x)`` and ``x̄ = ȳ · f'(x)`` (x̄ is the
gradient that flows to x, ȳ the one that arrives at y). Broadcasting is undone by the engine,
not here: a backward may return a gradient of the broadcast shape.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import COMPARE, FLOAT, OWN, OpNode, promote_with, register

__all__ = [
    "add", "sub", "rsub", "mul", "div", "true_divide", "neg", "reciprocal", "pow",
    "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sign",
    "maximum", "minimum", "clamp", "clip", "where",
    "eq", "ne", "lt", "le", "gt", "ge",
]  # fmt: skip


# --- arithmetic ---------------------------------------------------------------------------


class AddBackward0(OpNode):
    """z = a + α·b;  ā = z̄,  b̄ = α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        alpha = self.alpha
        return g, (g if alpha == 1 else g * alpha)


@register(dunders=("__add__", "__radd__"), inplace=True)
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """Elementwise ``input + alpha * other``, broadcasting."""
    return AddBackward0.apply(input, other, alpha=alpha)


class SubBackward0(OpNode):
    """z = a − α·b;  ā = z̄,  b̄ = −α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return g, -g if self.alpha == 1 else g * -self.alpha


@register(dunders=("__sub__",), inplace=True, aliases=("subtract",))
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """Elementwise ``input - alpha * other``, broadcasting."""
    return SubBackward0.apply(input, other, alpha=alpha)


class RsubBackward1(OpNode):
    """z = b − α·a (``2 - x``);  ā = −α·z̄."""

    def forward(self, a: Any, b: Any, alpha: Any = 1) -> Any:
        self.alpha = alpha
        return b - a if alpha == 1 else b - alpha * a

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return (-g if self.alpha == 1 else g * -self.alpha), None


@register(method=False)
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input`` (what ``2 - x`` computes)."""
    return RsubBackward1.apply(input, other, alpha=alpha)


Tensor.__rsub__ = lambda self, other: rsub(self, other)  # type: ignore[method-assign]


class MulBackward0(OpNode):
    """z = a · b;  ā = z̄ · b,  b̄ = z̄ · a."""

    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return a * b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


@register(dunders=("__mul__", "__rmul__"), inplace=True, aliases=("multiply",))
def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product, broadcasting."""
    return MulBackward0.apply(input, other)


class DivBackward0(OpNode):
    """z = a / b;  ā = z̄ / b,  b̄ = −z̄ · a / b²."""

    promote = FLOAT
    save = (0, 1)
    quiet = True

    def forward(self, a: Any, b: Any) -> Any:
        return a / b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (g / b if need_a else None), (-g * a / (b * b) if need_b else None)


@register(dunders=("__truediv__",), inplace=True, aliases=("divide", "true_divide"))
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """Elementwise true division (integers give the default float dtype)."""
    if rounding_mode is not None:
        raise NotImplementedError("div(rounding_mode=...) is not available yet")
    return DivBackward0.apply(input, other)


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


@register(dunders=("__neg__",), inplace=True, aliases=("negative",))
def neg(input: Tensor) -> Tensor:
    """Elementwise negation."""
    return NegBackward0.apply(input)


Tensor.__pos__ = lambda self: self  # type: ignore[attr-defined]


class ReciprocalBackward0(OpNode):
    """y = 1 / x;  x̄ = −ȳ · y²."""

    promote = FLOAT
    save_output = True
    quiet = True

    def forward(self, a: Any) -> Any:
        return 1.0 / a

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        return -g * (y * y)


@register(inplace=True)
def reciprocal(input: Tensor) -> Tensor:
    """Elementwise ``1 / input``."""
    return ReciprocalBackward0.apply(input)


Tensor.__rtruediv__ = lambda self, other: reciprocal(self) * other  # type: ignore[attr-defined]


class PowBackward0(OpNode):
    """y = xᵖ (scalar p);  x̄ = ȳ · p · xᵖ⁻¹ (zero when p = 0)."""

    save = (0,)
    quiet = True

    def forward(self, a: Any, p: Any) -> Any:
        self.p = p
        return a**p

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:
            return g * 0
        return g * p * x ** (p - 1)


class PowBackward1(OpNode):
    """y = aᵇ (tensors);  ā = ȳ · b · aᵇ⁻¹,  b̄ = ȳ · y · ln a (zero where a = 0 and b ≥ 0)."""

    save = (0, 1)
    save_output = True
    quiet = True

    def forward(self, a: Any, b: Any) -> Any:
        return a**b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            ga = where(b == 0, 0.0, g * b * a ** (b - 1))
        if need_b:
            y = self.saved_output
            gb = where((a == 0) & (b >= 0), 0.0, g * y * log(a))
        return ga, gb


class PowBackward2(OpNode):
    """y = sᵇ (scalar base s);  b̄ = ȳ · y · ln s (zero where s = 0 and b ≥ 0)."""

    save = (0,)
    save_output = True
    quiet = True

    def forward(self, b: Any, base: Any) -> Any:
        self.base = base
        return np.power(base, b)

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        s = self.base
        if s == 0:
            (b,) = self.saved_tensors
            return where(b >= 0, 0.0, g * y * float("-inf"))
        return g * y * math.log(s)


@register(dunders=("__pow__",), inplace=True)
def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """Elementwise power; tensor or scalar base and exponent."""
    if not isinstance(input, Tensor):
        return PowBackward2.apply(promote_with(exponent, input), base=input)
    if isinstance(exponent, Tensor):
        return PowBackward1.apply(input, exponent)
    return PowBackward0.apply(promote_with(input, exponent), p=exponent)


def _rpow(self: Tensor, other: Any) -> Any:
    if not isinstance(other, (int, float, bool, np.generic)):
        return NotImplemented
    return pow(other, self)


Tensor.__rpow__ = _rpow  # type: ignore[attr-defined]


# --- unary math ---------------------------------------------------------------------------


class ExpBackward0(OpNode):
    """y = eˣ;  x̄ = ȳ · y."""

    promote = FLOAT
    save_output = True
    quiet = True

    def forward(self, a: Any) -> Any:
        return np.exp(a)

    def backward(self, g: Tensor) -> Tensor:
        return g * self.saved_output


@register(inplace=True)
def exp(input: Tensor) -> Tensor:
    """Elementwise ``e ** input``."""
    return ExpBackward0.apply(input)


class LogBackward0(OpNode):
    """y = ln x;  x̄ = ȳ / x."""

    promote = FLOAT
    save = (0,)
    quiet = True

    def forward(self, a: Any) -> Any:
        return np.log(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / x


@register(inplace=True)
def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm (``log(0) = -inf``, negative gives nan, silently)."""
    return LogBackward0.apply(input)


class SqrtBackward0(OpNode):
    """y = √x;  x̄ = ȳ / (2y)."""

    promote = FLOAT
    save_output = True
    quiet = True

    def forward(self, a: Any) -> Any:
        return np.sqrt(a)

    def backward(self, g: Tensor) -> Tensor:
        return g / (2 * self.saved_output)


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
        y = self.saved_output
        return g * (1 - y * y)


@register(inplace=True)
def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return TanhBackward0.apply(input)


class SigmoidBackward0(OpNode):
    """y = 1 / (1 + e⁻ˣ);  x̄ = ȳ · y · (1 − y)."""

    promote = FLOAT
    save_output = True
    quiet = True

    def forward(self, a: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-a))

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        return g * (y * (1 - y))


@register(inplace=True)
def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic sigmoid."""
    return SigmoidBackward0.apply(input)


class ReluBackward0(OpNode):
    """y = max(x, 0);  x̄ = ȳ where y > 0, else 0."""

    save_output = True

    def forward(self, a: Any) -> Any:
        if a.dtype == np.bool_:
            raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
        return np.maximum(a, 0).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        return where(y > 0, g, 0.0)


@register(inplace=True)
def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(input, 0)``."""
    return ReluBackward0.apply(input)


class SignBackward0(OpNode):
    """y = sign x;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        return np.sign(a)

    def backward(self, g: Tensor) -> Tensor:
        return g * 0


@register(inplace=True)
def sign(input: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1."""
    return SignBackward0.apply(input)


class AbsBackward0(OpNode):
    """y = |x|;  x̄ = ȳ · sign x."""

    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.abs(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * sign(x)


@register(dunders=("__abs__",), inplace=True, aliases=("absolute",))
def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    """Elementwise absolute value."""
    return AbsBackward0.apply(input)


# --- maximum, minimum, clamp, where ---------------------------------------------------


def _require_tensor(op: str, other: Any, name: str = "other", position: int = 2) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be Tensor, "
            f"not {type(other).__name__}"
        )


class MaximumBackward0(OpNode):
    """z = max(a, b);  ā = z̄ where a > b, z̄/2 where a = b;  b̄ likewise."""

    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return np.maximum(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        half = where(a == b, g / 2, g)
        return where(a < b, 0.0, half), where(a > b, 0.0, half)


@register
def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (gradient split evenly on ties)."""
    _require_tensor("maximum", other)
    return MaximumBackward0.apply(input, other)


class MinimumBackward0(OpNode):
    """z = min(a, b);  ā = z̄ where a < b, z̄/2 where a = b;  b̄ likewise."""

    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return np.minimum(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        half = where(a == b, g / 2, g)
        return where(a > b, 0.0, half), where(a < b, 0.0, half)


@register
def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (gradient split evenly on ties)."""
    _require_tensor("minimum", other)
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


class ClampBackward0(OpNode):
    """y = min(max(x, lo), hi) with tensor bounds;  x̄ = ȳ where lo ≤ x ≤ hi, lō = ȳ where
    lo wins (x < lo ≤ hi), hī = ȳ where hi wins (x > hi, or lo > hi)."""

    save = (0, 1, 2)

    def forward(self, a: Any, lo: Any, hi: Any) -> Any:
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, lo, hi = self.saved_tensors
        gx = where(_between(x, lo, hi), g, 0.0)
        glo = ghi = None
        if lo is not None:
            lo_wins = x < lo if hi is None else (x < lo) & (lo <= hi)
            glo = where(lo_wins, g, 0.0)
        if hi is not None:
            hi_wins = x > hi if lo is None else (x > hi) | (lo > hi)
            ghi = where(hi_wins, g, 0.0)
        return gx, glo, ghi


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
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return ClampBackward0.apply(input, min, max)
    return ClampBackward1.apply(promote_with(input, min, max), lo=min, hi=max)


clip = clamp


class WhereBackward0(OpNode):
    """z = a where c else b;  ā = z̄ where c else 0,  b̄ = z̄ where not c else 0."""

    promote = OWN
    save = (0,)

    def forward(self, c: Any, a: Any, b: Any) -> Any:
        if getattr(c, "dtype", None) != np.bool_:
            raise RuntimeError(
                "where expected condition to be a boolean tensor, but got a tensor with dtype "
                + _legacy_name(np.asarray(c).dtype)
            )
        return np.where(c, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        (c,) = self.saved_tensors
        need_c, need_a, need_b = self.needs_input_grad
        return None, (where(c, g, 0.0) if need_a else None), (where(c, 0.0, g) if need_b else None)


@register
def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Pick ``input`` where ``condition`` holds, else ``other``; one argument: nonzero indices."""
    from .. import _dtype

    if input is None and other is None:
        return condition.nonzero(as_tuple=True)  # type: ignore[attr-defined]
    dt = _dtype.result_type(input, other)
    if not isinstance(input, Tensor):
        input = Tensor._make(np.asarray(input, dtype=dt.np), False, None, 0)
    if not isinstance(other, Tensor):
        other = Tensor._make(np.asarray(other, dtype=dt.np), False, None, 0)
    out = WhereBackward0.apply(condition, input, other)
    if out._data.dtype != dt.np:
        out = out.to(dt)
    return out


def _legacy_name(np_dtype: np.dtype) -> str:
    from ._registry import _TYPE_NAMES

    return _TYPE_NAMES[np_dtype.name]


# --- comparisons ------------------------------------------------------------------------


def _comparison(name: str, ufunc: Any, dunder: str, aliases: tuple[str, ...]) -> Any:
    node = type(
        f"{name.capitalize()}Backward0",
        (OpNode,),
        {
            "promote": COMPARE,
            "differentiable": False,
            "forward": lambda self, a, b: ufunc(a, b),
            "__doc__": f"z = a {dunder} b (bool); not differentiable.",
        },
    )

    def compare(input: Any, other: Any) -> Tensor:
        return node.apply(input, other)  # type: ignore[no-any-return]

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Elementwise ``input {dunder} other`` as a bool tensor."
    register(compare, dunders=(f"__{name}__",), inplace=False, aliases=aliases)
    return compare


eq = _comparison("eq", np.equal, "==", ())
ne = _comparison("ne", np.not_equal, "!=", ("not_equal",))
lt = _comparison("lt", np.less, "<", ("less",))
le = _comparison("le", np.less_equal, "<=", ("less_equal",))
gt = _comparison("gt", np.greater, ">", ("greater",))
ge = _comparison("ge", np.greater_equal, ">=", ("greater_equal",))


# --- logical ops used by the backward formulas ------------------------------------------


class BitwiseAndBackward0(OpNode):
    """z = a & b (bool or integer); not differentiable."""

    differentiable = False

    def forward(self, a: Any, b: Any) -> Any:
        return a & b


@register(dunders=("__and__", "__rand__"), inplace=True)
def bitwise_and(input: Any, other: Any) -> Tensor:
    """Elementwise AND of bool or integer tensors."""
    return BitwiseAndBackward0.apply(input, other)


class BitwiseOrBackward0(OpNode):
    """z = a | b (bool or integer); not differentiable."""

    differentiable = False

    def forward(self, a: Any, b: Any) -> Any:
        return a | b


@register(dunders=("__or__", "__ror__"), inplace=True)
def bitwise_or(input: Any, other: Any) -> Tensor:
    """Elementwise OR of bool or integer tensors."""
    return BitwiseOrBackward0.apply(input, other)
