"""More unary math (exp2, expm1, log2, log10, log1p, rsqrt, square, inverse trigonometric and
hyperbolic functions, erf) and the binary atan2, hypot and lerp.

Integer and bool inputs give the default float dtype, as in torch (``square`` keeps integers:
it is ``pow(x, 2)``). Each docstring states ``y = f(x)`` and ``x̄ = ȳ · f'(x)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import FLOAT, OpNode, register, tangent_sum
from .elementwise import exp, sqrt, where
from .elementwise_layout import torch_layout
from .elementwise_pow import pow
from .elementwise_scalars import checked_scalar, not_implemented_for, require_tensor

__all__ = [
    "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "square",
    "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "erf",
    "atan2", "arctan2", "hypot", "lerp",
]  # fmt: skip

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Exp2Backward0(OpNode):
    """y = 2ˣ;  x̄ = ȳ · y · ln 2."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return np.exp2(a)

    def backward(self, g: Tensor) -> Tensor:
        return g * (self.saved_output * _LN2)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · y · ln 2."""
        return dx * (y * _LN2)


@register(inplace=True)
def exp2(input: Tensor) -> Tensor:
    """Elementwise ``2 ** input``."""
    return Exp2Backward0.apply(input)


class Expm1Backward0(OpNode):
    """y = eˣ − 1 (accurate near 0);  x̄ = ȳ · (y + 1)."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return np.expm1(a)

    def backward(self, g: Tensor) -> Tensor:
        return g * (self.saved_output + 1)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · (y + 1)."""
        return dx * (y + 1)


@register(inplace=True)
def expm1(input: Tensor) -> Tensor:
    """Elementwise ``exp(input) - 1``, accurate for small inputs."""
    return Expm1Backward0.apply(input)


class Log2Backward0(OpNode):
    """y = log₂ x;  x̄ = ȳ / (x · ln 2)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.log2(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / (x * _LN2)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / (x · ln 2)."""
        return dx / (x * _LN2)


@register(inplace=True)
def log2(input: Tensor) -> Tensor:
    """Elementwise base-2 logarithm."""
    return Log2Backward0.apply(input)


class Log10Backward0(OpNode):
    """y = log₁₀ x;  x̄ = ȳ / (x · ln 10)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.log10(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / (x * _LN10)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / (x · ln 10)."""
        return dx / (x * _LN10)


@register(inplace=True)
def log10(input: Tensor) -> Tensor:
    """Elementwise base-10 logarithm."""
    return Log10Backward0.apply(input)


class Log1PBackward0(OpNode):
    """y = ln(1 + x) (accurate near 0);  x̄ = ȳ / (1 + x)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.log1p(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / (x + 1)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / (1 + x)."""
        return dx / (x + 1)


@register(inplace=True)
def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + input)``, accurate for small inputs."""
    return Log1PBackward0.apply(input)


class RsqrtBackward0(OpNode):
    """y = 1 / √x;  x̄ = −ȳ · y³ / 2."""

    promote = FLOAT
    save_output = True

    def forward(self, a: Any) -> Any:
        return 1.0 / np.sqrt(a)

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        return g * (y * y * y) * -0.5

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = −ẋ · y³ / 2."""
        return dx * (y * y * y) * -0.5


@register(inplace=True)
def rsqrt(input: Tensor) -> Tensor:
    """Elementwise ``1 / sqrt(input)`` (``rsqrt(0) = inf``)."""
    return RsqrtBackward0.apply(input)


@register(inplace=True)
def square(input: Tensor) -> Tensor:
    """Elementwise ``input ** 2`` (torch computes it as ``pow``: node ``PowBackward0``,
    integers stay integers, bool gives int64)."""
    return pow(input, 2)


# --- inverse trigonometric and hyperbolic ------------------------------------------------


class AsinBackward0(OpNode):
    """y = arcsin x;  x̄ = ȳ / √(1 − x²)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.arcsin(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / sqrt(1 - x * x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / √(1 − x²)."""
        return dx / sqrt(1 - x * x)


@register(inplace=True, aliases=("arcsin",))
def asin(input: Tensor) -> Tensor:
    """Elementwise arcsine (nan outside [-1, 1])."""
    return AsinBackward0.apply(input)


arcsin = asin


class AcosBackward0(OpNode):
    """y = arccos x;  x̄ = −ȳ / √(1 − x²)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.arccos(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return -g / sqrt(1 - x * x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = −ẋ / √(1 − x²)."""
        return -dx / sqrt(1 - x * x)


@register(inplace=True, aliases=("arccos",))
def acos(input: Tensor) -> Tensor:
    """Elementwise arccosine (nan outside [-1, 1])."""
    return AcosBackward0.apply(input)


arccos = acos


class AtanBackward0(OpNode):
    """y = arctan x;  x̄ = ȳ / (1 + x²)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.arctan(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g / (x * x + 1)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ / (1 + x²)."""
        return dx / (x * x + 1)


@register(inplace=True, aliases=("arctan",))
def atan(input: Tensor) -> Tensor:
    """Elementwise arctangent."""
    return AtanBackward0.apply(input)


arctan = atan


class SinhBackward0(OpNode):
    """y = sinh x;  x̄ = ȳ · cosh x."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.sinh(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * cosh(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · cosh x."""
        return dx * cosh(x)


@register(inplace=True)
def sinh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic sine."""
    return SinhBackward0.apply(input)


class CoshBackward0(OpNode):
    """y = cosh x;  x̄ = ȳ · sinh x."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return np.cosh(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * sinh(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · sinh x."""
        return dx * sinh(x)


@register(inplace=True)
def cosh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return CoshBackward0.apply(input)


def _erf_array(a: np.ndarray) -> np.ndarray:
    """erf on an array, correctly rounded (``math.erf`` element by element).

    Note: NumPy has no erf. ``math.erf`` through ``map`` costs about 85 ns per element
    (measured: as fast as a piecewise Chebyshev fit evaluated with NumPy masks, and exact).
    """
    flat = np.fromiter(map(math.erf, a.ravel().tolist()), np.float64, count=a.size)
    out = np.empty_like(a)  # (torch's layout: the input's)
    out[...] = flat.reshape(a.shape)
    return out


class ErfBackward0(OpNode):
    """y = erf x = (2/√π) ∫₀ˣ e^(−t²) dt;  x̄ = ȳ · (2/√π) · e^(−x²)."""

    promote = FLOAT
    save = (0,)

    def forward(self, a: Any) -> Any:
        return _erf_array(np.asarray(a))

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · (2/√π) · e^(−x²)."""
        return dx * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


@register(inplace=True)
def erf(input: Tensor) -> Tensor:
    """Elementwise error function."""
    return ErfBackward0.apply(input)


# --- binary ----------------------------------------------------------------------------


class Atan2Backward0(OpNode):
    """z = atan2(a, b), the angle of the point (b, a);  ā = z̄ · b / (a² + b²),
    b̄ = −z̄ · a / (a² + b²); both 0 at the origin."""

    promote = FLOAT
    save = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(np.arctan2(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        r2 = a * a + b * b
        scale = where(r2 == 0, 0.0, g / r2)
        return (scale * b if need_a else None), (-scale * a if need_b else None)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Tensor:
        """ż = (ȧ · b − ḃ · a) / (a² + b²) (nan at the origin, as torch)."""
        numerator = tangent_sum(None if da is None else da * b, None if db is None else -db * a)
        return numerator / (a * a + b * b)


@register(inplace=True, aliases=("arctan2",))
def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise angle of the point (other, input), in (-π, π]."""
    require_tensor("atan2", other)
    return Atan2Backward0.apply(input, other)


arctan2 = atan2


class HypotBackward0(OpNode):
    """z = √(a² + b²);  ā = z̄ · a / z,  b̄ = z̄ · b / z (nan at the origin, as in torch)."""

    save = (0, 1)
    save_for = ((0,), (1,))
    save_output = True

    def forward(self, a: Any, b: Any) -> Any:
        dt = a.dtype if isinstance(a, np.ndarray) else np.asarray(b).dtype
        if dt.kind != "f":
            raise not_implemented_for("hypot_cpu", dt)
        return torch_layout(np.hypot(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        z = self.saved_output
        return ((g * a) / z if need_a else None), ((g * b) / z if need_b else None)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """ż = (ȧ · a + ḃ · b) / z."""
        return tangent_sum(None if da is None else da * a, None if db is None else db * b) / z


@register(inplace=True)
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``sqrt(input**2 + other**2)`` without overflow."""
    require_tensor("hypot", other)
    return HypotBackward0.apply(input, other)


def _lerp(a: Any, b: Any, w: Any) -> Any:
    """a + w·(b − a), from whichever end is nearer, as torch computes it."""
    diff = b - a
    return np.where(np.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))


class LerpBackward0(OpNode):
    """z = a + w·(b − a) with a number w;  ā = z̄ · (1 − w),  b̄ = z̄ · w."""

    def forward(self, a: Any, b: Any, weight: Any = 0.5) -> Any:
        self.weight = weight
        return torch_layout(_lerp(a, b, weight), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        w = self.weight
        need_a, need_b = self.needs_input_grad
        return (g * (1 - w) if need_a else None), (g * w if need_b else None)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """ż = ȧ · (1 − w) + ḃ · w."""
        w = self.weight
        return tangent_sum(None if da is None else da * (1 - w), None if db is None else db * w)


class LerpBackward1(OpNode):
    """z = a + w·(b − a) with a tensor w;  ā = z̄ · (1 − w),  b̄ = z̄ · w,  w̄ = z̄ · (b − a)."""

    save = (0, 1, 2)
    save_for = ((2,), (2,), (0, 1, 2))  # (torch saves the weight for its own gradient too)

    def forward(self, a: Any, b: Any, w: Any) -> Any:
        return torch_layout(_lerp(a, b, w), a, b, w)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b, w = self.saved_tensors
        need_a, need_b, need_w = self.needs_input_grad
        return (
            g * (1 - w) if need_a else None,
            g * w if need_b else None,
            g * (b - a) if need_w else None,
        )

    def jvp(self, da: Any, db: Any, dw: Any, a: Tensor, b: Tensor, w: Tensor, z: Tensor) -> Any:
        """ż = ȧ · (1 − w) + ḃ · w + ẇ · (b − a)."""
        return tangent_sum(
            None if da is None else da * (1 - w),
            None if db is None else db * w,
            None if dw is None else dw * (b - a),
        )


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}  # fmt: skip


def _check_lerp_dtype(input: Tensor, other: Tensor, name: str) -> None:
    if other.dtype is not input.dtype:
        raise RuntimeError(
            f"expected dtype {_C_NAMES[input.dtype.name]} for `{name}` but got dtype "
            f"{_C_NAMES[other.dtype.name]}"
        )


@register(inplace=True)
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or a
    tensor (``end`` and a non-0-d ``weight`` must have ``input``'s dtype)."""
    require_tensor("lerp", end, "end")
    _check_lerp_dtype(input, end, "end")
    if isinstance(weight, Tensor):
        if weight.ndim:
            _check_lerp_dtype(input, weight, "weight")
        dt = _dtype.result_type(input, end, weight)
        if not dt.is_floating_point:
            raise not_implemented_for("lerp_kernel_tensor", dt.np)
        return LerpBackward1.apply(input, end, weight)
    if not input.is_floating_point():
        raise not_implemented_for("lerp_kernel_scalar", input._data.dtype)
    return LerpBackward0.apply(input, end, weight=checked_scalar(weight, input._data.dtype))
