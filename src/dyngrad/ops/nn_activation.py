"""Fused activation functions of ``nn.functional``: one node each, named as torch names it.

Each forward works on NumPy arrays in a numerically safe form (no overflow for large |x|);
each backward is written with dyngrad ops, so gradients of gradients work. Floating inputs
only, like torch's kernels (``"elu_cpu" not implemented for 'Long'``), except ``hardtanh``,
which torch also runs on integers. Softmax and log-softmax are in ``nn_softmax.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OpNode, make_inplace, register
from .elementwise import where
from .elementwise_math import _erf_array
from .elementwise_scalars import not_implemented_for

__all__ = [
    "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "gelu", "silu", "silu_",
    "mish", "mish_", "softplus", "hardtanh", "hardtanh_", "logsigmoid", "prelu",
]  # fmt: skip

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_only(a: np.ndarray, kernel: str) -> None:
    if a.dtype.kind != "f":
        raise not_implemented_for(kernel, a.dtype)


def _sigmoid_array(a: np.ndarray) -> np.ndarray:
    """σ(a) without overflow warnings for large |a| (callers run with ``quiet``)."""
    return 1.0 / (1.0 + np.exp(-a))  # type: ignore[no-any-return]


class LeakyReluBackward0(OpNode):
    """y = x if x > 0 else s·x;  x̄ = ȳ if x > 0 else s·ȳ."""

    save = (0,)

    def forward(self, a: np.ndarray, negative_slope: float) -> Any:
        _float_only(a, "leaky_relu_cpu")
        self.negative_slope = negative_slope
        return np.where(a > 0, a, a * negative_slope)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return where(x > 0, g, g * self.negative_slope)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ if x > 0 else s·ẋ."""
        return where(x > 0, dx, dx * self.negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``max(0, x) + negative_slope · min(0, x)``."""
    return LeakyReluBackward0.apply(input, negative_slope=negative_slope)  # type: ignore[no-any-return]


class EluBackward0(OpNode):
    """y = λ·x if x > 0 else λ·α·(e^(βx) − 1);  x̄ = ȳ·λ if x > 0 else ȳ·λ·α·β·e^(βx).

    ELU has λ = β = 1; SELU uses the same node with torch's fixed α and λ. The exponential
    is taken of min(x, 0) so that large positive x cannot overflow the unused branch."""

    save = (0,)

    def forward(self, a: np.ndarray, alpha: float, scale: float, input_scale: float) -> Any:
        _float_only(a, "elu_cpu")
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        negative = alpha * np.expm1(np.minimum(a, 0) * input_scale)
        return np.where(a > 0, a, negative) * scale

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        slope = (x.clamp(max=0.0) * self.input_scale).exp() * (  # type: ignore[attr-defined]
            self.scale * self.alpha * self.input_scale
        )
        return where(x <= 0, g * slope, g * self.scale)  # (nan x: the λ branch, as torch)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·λ if x > 0 else ẋ·λ·α·β·e^(βx)."""
        return _elu_tangent(self, dx, x)


def _elu_tangent(node: Any, dx: Tensor, x: Tensor) -> Tensor:
    """ẋ·λ where x > 0, else ẋ·λ·α·β·e^(βx) (of ELU/SELU, in or out of place)."""
    slope = (x.clamp(max=0.0) * node.input_scale).exp() * (  # type: ignore[attr-defined]
        node.scale * node.alpha * node.input_scale
    )
    return where(x <= 0, dx * slope, dx * node.scale)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``x if x > 0 else alpha · (eˣ − 1)``."""
    return EluBackward0.apply(input, alpha=alpha, scale=1.0, input_scale=1.0)  # type: ignore[no-any-return]


def selu(input: Tensor) -> Tensor:
    """``scale · elu(x, alpha)`` with torch's fixed self-normalising constants."""
    return EluBackward0.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)  # type: ignore[no-any-return]


class GeluBackward0(OpNode):
    """approximate='none': y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2));  x̄ = ȳ·(Φ(x) + x·φ(x)),
    φ(x) = e^(−x²/2)/√(2π).

    approximate='tanh': y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³);
    x̄ = ȳ·(½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²))."""

    save = (0,)

    def forward(self, a: np.ndarray, approximate: str) -> Any:
        _float_only(a, "GeluKernelImpl")
        self.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + _GELU_CUBIC * a * a * a)
            return 0.5 * a * (1.0 + np.tanh(inner))
        cdf = 0.5 * (1.0 + _erf_array(a * _SQRT_HALF).astype(a.dtype, copy=False))
        return a * cdf

    def _slope(self, x: Tensor) -> Tensor:
        """dy/dx = Φ(x) + x·φ(x), or the tanh form's derivative (see the class docstring)."""
        if self.approximate == "tanh":
            x_sq = x * x
            t = (_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x_sq * x)).tanh()  # type: ignore[attr-defined]
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x_sq)
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du  # type: ignore[no-any-return]
        cdf = 0.5 * (1.0 + (x * _SQRT_HALF).erf())  # type: ignore[attr-defined]
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI  # type: ignore[attr-defined]
        return cdf + x * pdf  # type: ignore[no-any-return]

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * self._slope(x)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·(Φ(x) + x·φ(x)), or ẋ times the tanh form's slope (see the class docstring)."""
        return dx * self._slope(x)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x·Φ(x)``, exact (``'none'``) or with the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return GeluBackward0.apply(input, approximate=approximate)  # type: ignore[no-any-return]


class SiluBackward0(OpNode):
    """y = x·σ(x);  x̄ = ȳ·σ(x)·(1 + x·(1 − σ(x)))."""

    save = (0,)

    def forward(self, a: np.ndarray) -> Any:
        _float_only(a, "silu_cpu")
        return a * _sigmoid_array(a)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        s = x.sigmoid()  # type: ignore[attr-defined]
        return g * s * (1.0 + x * (1.0 - s))

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·σ(x)·(1 + x·(1 − σ(x)))."""
        s = x.sigmoid()  # type: ignore[attr-defined]
        return dx * s * (1.0 + x * (1.0 - s))


def silu(input: Tensor) -> Tensor:
    """Sigmoid linear unit (swish) ``x · σ(x)``."""
    return SiluBackward0.apply(input)  # type: ignore[no-any-return]


class SoftplusBackward0(OpNode):
    """y = log(1 + e^(βx))/β, or x where βx > threshold;  x̄ = ȳ·σ(βx), or ȳ there."""

    save = (0,)

    def forward(self, a: np.ndarray, beta: float, threshold: float) -> Any:
        _float_only(a, "softplus_cpu")
        self.beta, self.threshold = beta, threshold
        scaled = a * beta
        return np.where(scaled > threshold, a, np.log1p(np.exp(scaled)) / beta)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        scaled = x * self.beta
        return where(scaled > self.threshold, g, g * scaled.sigmoid())  # type: ignore[attr-defined]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·σ(βx), or ẋ where βx > threshold."""
        scaled = x * self.beta
        return where(scaled > self.threshold, dx, dx * scaled.sigmoid())  # type: ignore[attr-defined]


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Smooth ReLU ``log(1 + e^(βx))/β``, linear where ``βx > threshold``."""
    return SoftplusBackward0.apply(input, beta=beta, threshold=threshold)  # type: ignore[no-any-return]


class MishBackward0(OpNode):
    """y = x·tanh(softplus(x));  x̄ = ȳ·(tanh(sp) + x·σ(x)·(1 − tanh²(sp)))."""

    save = (0,)

    def forward(self, a: np.ndarray) -> Any:
        _float_only(a, "mish_cpu")
        return a * np.tanh(np.logaddexp(0, a))

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        t = softplus(x).tanh()  # type: ignore[attr-defined]
        return g * (t + x * x.sigmoid() * (1.0 - t * t))  # type: ignore[attr-defined]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·(tanh(sp) + x·σ(x)·(1 − tanh²(sp))), sp = softplus(x)."""
        t = softplus(x).tanh()  # type: ignore[attr-defined]
        return dx * (t + x * x.sigmoid() * (1.0 - t * t))  # type: ignore[attr-defined]


def mish(input: Tensor) -> Tensor:
    """Self-regularised activation ``x · tanh(softplus(x))``."""
    return MishBackward0.apply(input)  # type: ignore[no-any-return]


class HardtanhBackward0(OpNode):
    """y = clamp(x, lo, hi);  x̄ = ȳ where lo < x < hi, else 0."""

    save = (0,)

    def forward(self, a: np.ndarray, min_val: float, max_val: float) -> Any:
        if a.dtype.kind == "b":
            raise RuntimeError("Bool inputs not supported for hardtanh")
        self.min_val, self.max_val = min_val, max_val
        return np.clip(a, min_val, max_val).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        inside = (x > self.min_val).logical_and(x < self.max_val)  # type: ignore[attr-defined]
        return where(inside, g, 0.0)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ where lo < x < hi, else 0."""
        inside = (x > self.min_val).logical_and(x < self.max_val)  # type: ignore[attr-defined]
        return where(inside, dx, 0.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``clamp(x, min_val, max_val)`` with a zero gradient outside (and at) the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return HardtanhBackward0.apply(input, min_val=min_val, max_val=max_val)  # type: ignore[no-any-return]


class LogSigmoidBackward0(OpNode):
    """y = log σ(x) = min(x, 0) − log(1 + e^(−|x|));  x̄ = ȳ·σ(−x)."""

    save = (0,)

    def forward(self, a: np.ndarray) -> Any:
        _float_only(a, "log_sigmoid_cpu")
        a = np.asarray(a, order="C")  # (torch's result is contiguous whatever x's layout)
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * (-x).sigmoid()  # type: ignore[attr-defined]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·σ(−x)."""
        return dx * (-x).sigmoid()  # type: ignore[attr-defined]


def logsigmoid(input: Tensor) -> Tensor:
    """``log(1 / (1 + e⁻ˣ))``, finite for large negative x."""
    return LogSigmoidBackward0.apply(input)  # type: ignore[no-any-return]


class PreluKernelBackward0(OpNode):
    """y = x if x > 0 else w·x, w broadcast along the channel dim 1 (one shared w for a
    1-element weight);  x̄ = ȳ if x > 0 else w·ȳ;  w̄ = Σ over all but the channel dim of ȳ·x·[x ≤ 0]."""

    save = (0, 1)

    def forward(self, a: np.ndarray, w: np.ndarray) -> Any:
        _float_only(a, "prelu_cpu")
        self.channel_shape = _channel_shape(a.ndim, w.size)
        return np.where(a > 0, a, a * w.reshape(self.channel_shape))

    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        x, w = self.saved_tensors
        w_b = w.reshape(self.channel_shape)  # type: ignore[attr-defined]
        positive = x > 0
        gx = where(positive, g, g * w_b)
        gw = where(positive, 0.0, g * x)
        if w.numel() == 1:  # type: ignore[attr-defined]
            gw = gw.sum().reshape(w.shape)  # type: ignore[attr-defined]
        else:
            axes = [d for d in range(x.ndim) if d != 1]  # type: ignore[attr-defined]
            gw = gw.sum(axes).reshape(w.shape)  # type: ignore[attr-defined]
        return gx, gw

    def jvp(self, dx: Any, dw: Any, x: Tensor, w: Tensor, y: Tensor) -> Any:
        """ẏ = ẋ where x ≥ 0, else w·ẋ + ẇ·x (torch's forward formula takes x = 0 with
        the positive side; its backward with the negative one)."""
        w_b = w.reshape(self.channel_shape)  # type: ignore[attr-defined]
        non_negative = x >= 0
        tangent = None if dx is None else where(non_negative, dx, dx * w_b)
        if dw is not None:
            from_w = where(non_negative, 0.0, dw.reshape(self.channel_shape) * x)
            tangent = from_w if tangent is None else tangent + from_w
        return tangent


def _channel_shape(ndim: int, n_weights: int) -> tuple[int, ...]:
    if n_weights == 1 or ndim == 0:
        return (1,) * ndim
    shape = [1] * ndim
    shape[1] = n_weights
    return tuple(shape)


@register
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope per channel (``weight`` has 1 or C elements)."""
    if weight.dtype != input.dtype:
        names = {"float32": "Float", "float64": "Double", "int64": "Long", "float16": "Half"}
        raise RuntimeError(
            "prelu: Type promoting not supported. Got "
            f"{names.get(input.dtype.name, input.dtype.name)} and "
            f"{names.get(weight.dtype.name, weight.dtype.name)}"
        )
    n = weight.numel()
    if n != 1 and input.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if weight.ndim > 1:  # (even with a single element)
        raise RuntimeError(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}"
        )
    if n != 1:
        channels = input.shape[1] if input.ndim > 1 else 1
        if n != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}."
            )
    return PreluKernelBackward0.apply(input, weight)  # type: ignore[no-any-return]


# --- in-place variants -------------------------------------------------------------------
# torch's in-place leaky_relu_ and elu_ record nodes that keep the output instead of the
# (overwritten) input: LeakyReluBackward1 and EluBackward1. Their backward reads the sign of
# x from y, which only works for a non-negative slope; torch refuses the rest, at backward.

_NEGATIVE_SLOPE_MESSAGE = (
    "In-place {name} backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead.{extra}"
)


class LeakyReluBackward1(OpNode):
    """In place: y = x if x > 0 else s·x (s ≥ 0);  x̄ = ȳ if y > 0 else s·ȳ."""

    save_output = True

    def forward(self, a: np.ndarray, negative_slope: float) -> Any:
        _float_only(a, "leaky_relu_cpu")
        self.negative_slope = negative_slope
        return np.where(a > 0, a, a * negative_slope)

    def _refuse_negative_slope(self) -> None:
        """torch's error: the gradient of an in-place leaky_relu with a negative slope."""
        if self.negative_slope < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_MESSAGE.format(
                name="leakyReLu",
                extra=" File an issue at https://github.com/pytorch/pytorch if you do require "
                "supporting in-place leakRelu backward calculation with negative slope",
            ))  # fmt: skip

    def backward(self, g: Tensor) -> Tensor:
        self._refuse_negative_slope()
        y = self.saved_output
        return where(y > 0, g, g * self.negative_slope)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ if x > 0 else s·ẋ (s ≥ 0; torch refuses a negative s here too)."""
        self._refuse_negative_slope()
        return where(x > 0, dx, dx * self.negative_slope)


class EluBackward1(OpNode):
    """In place: y = λ·x if x > 0 else λ·α·(e^(βx) − 1) (α ≥ 0);
    x̄ = ȳ·λ if y > 0 else ȳ·β·(y + λ·α)  (= ȳ·λ·α·β·e^(βx))."""

    alpha: float
    scale: float
    input_scale: float

    save_output = True
    quiet = True

    def forward(self, a: np.ndarray, alpha: float, scale: float, input_scale: float) -> Any:
        return EluBackward0.forward(self, a, alpha, scale, input_scale)  # type: ignore[arg-type]

    def backward(self, g: Tensor) -> Tensor:
        if self.alpha < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_MESSAGE.format(name="elu", extra=""))
        y = self.saved_output
        negative = g * ((y + self.scale * self.alpha) * self.input_scale)
        return where(y > 0, g * self.scale, negative)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ·λ if x > 0 else ẋ·λ·α·β·e^(βx) (α ≥ 0; torch refuses a negative α here too)."""
        if self.alpha < 0:
            raise RuntimeError(_NEGATIVE_SLOPE_MESSAGE.format(name="elu", extra=""))
        return _elu_tangent(self, dx, x)


def _leaky_relu_in_place(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return LeakyReluBackward1.apply(input, negative_slope=negative_slope)  # type: ignore[no-any-return]


def _elu_in_place(input: Tensor, alpha: float = 1.0) -> Tensor:
    return EluBackward1.apply(input, alpha=alpha, scale=1.0, input_scale=1.0)  # type: ignore[no-any-return]


def _selu_in_place(input: Tensor) -> Tensor:
    return EluBackward1.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)  # type: ignore[no-any-return]


def _inplace(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    return make_inplace(fn)


leaky_relu_ = _inplace(_leaky_relu_in_place)
elu_ = _inplace(_elu_in_place)
selu_ = _inplace(_selu_in_place)
silu_ = _inplace(silu)
mish_ = _inplace(mish)
hardtanh_ = _inplace(hardtanh)
