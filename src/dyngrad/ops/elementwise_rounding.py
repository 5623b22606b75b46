"""Rounding (floor, ceil, round, trunc/fix, frac), one-sided clamps (clamp_min, clamp_max)
and nan_to_num.

Rounding keeps the dtype (integers pass through unchanged, bool is refused, as in torch) and
has a zero gradient. Each docstring states ``y = f(x)`` and ``x̄``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OpNode, promote_with, register
from .elementwise import where
from .elementwise_layout import torch_layout
from .elementwise_logical import isfinite
from .elementwise_scalars import checked_scalar, not_implemented_for, zeros_like_grad

__all__ = [
    "floor", "ceil", "round", "trunc", "fix", "frac", "clamp_min", "clamp_max", "nan_to_num",
]  # fmt: skip


def _rounded(a: np.ndarray, kernel: str, rounding: Any) -> np.ndarray:
    """``rounding(a)`` for floats; integers pass through; bool has no kernel in torch."""
    if a.dtype == np.bool_:
        raise not_implemented_for(kernel, a.dtype)
    if a.dtype.kind != "f":
        return a.copy(order="K")  # (an integer is its own rounding: torch's clone)
    return rounding(a)  # type: ignore[no-any-return]


class FloorBackward0(OpNode):
    """y = ⌊x⌋;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        return _rounded(a, "floor_vml_cpu", np.floor)

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(y)


class CeilBackward0(OpNode):
    """y = ⌈x⌉;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        return _rounded(a, "ceil_vml_cpu", np.ceil)

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(y)


class TruncBackward0(OpNode):
    """y = x rounded toward zero;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        return _rounded(a, "trunc_vml_cpu", np.trunc)

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(y)


class RoundBackward0(OpNode):
    """y = x rounded to the nearest integer, halves to even;  x̄ = 0."""

    def forward(self, a: Any) -> Any:
        return _rounded(a, "round_vml_cpu", np.round)

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(y)


class RoundBackward1(OpNode):
    """y = x rounded to ``decimals`` decimal places (halves to even);  x̄ = 0."""

    def forward(self, a: Any, decimals: int = 0) -> Any:
        if a.dtype.kind != "f":
            raise not_implemented_for("round_cpu" if decimals else "round_vml_cpu", a.dtype)
        if decimals > 0:
            scale = a.dtype.type(10.0**decimals)
            return np.round(a * scale) / scale
        if decimals < 0:
            scale = a.dtype.type(10.0**-decimals)
            return np.round(a / scale) * scale
        return np.round(a)

    def backward(self, g: Tensor) -> Tensor:
        return zeros_like_grad(g)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = 0."""
        return zeros_like_grad(y)


@register(inplace=True)
def floor(input: Tensor) -> Tensor:
    """Elementwise largest integer ≤ input (integers unchanged)."""
    return FloorBackward0.apply(input)


@register(inplace=True)
def ceil(input: Tensor) -> Tensor:
    """Elementwise smallest integer ≥ input (integers unchanged)."""
    return CeilBackward0.apply(input)


@register(inplace=True, aliases=("fix",))
def trunc(input: Tensor) -> Tensor:
    """Elementwise rounding toward zero (integers unchanged)."""
    return TruncBackward0.apply(input)


fix = trunc

_NO_DECIMALS: Any = "<no decimals>"  # not passed at all: torch picks RoundBackward0


@register(inplace=True)
def round(input: Tensor, *, decimals: Any = _NO_DECIMALS) -> Tensor:  # noqa: A001
    """Elementwise rounding to the nearest integer, or to ``decimals`` decimal places;
    halves go to the even neighbour."""
    if decimals is _NO_DECIMALS:
        return RoundBackward0.apply(input)
    return RoundBackward1.apply(input, decimals=int(decimals))


class FracBackward0(OpNode):
    """y = x − trunc(x) (sign of x);  x̄ = ȳ."""

    def forward(self, a: Any) -> Any:
        if a.dtype.kind != "f":
            raise not_implemented_for("frac_cpu", a.dtype)
        return a - np.trunc(a)

    def backward(self, g: Tensor) -> Tensor:
        return g

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ."""
        return dx


@register(inplace=True)
def frac(input: Tensor) -> Tensor:
    """Elementwise fractional part ``input - trunc(input)``."""
    return FracBackward0.apply(input)


# --- one-sided clamps ---------------------------------------------------------------------


class ClampMinBackward0(OpNode):
    """y = max(x, m) with a number m;  x̄ = ȳ where x ≥ m, else 0."""

    save = (0,)

    def forward(self, a: Any, bound: Any = None) -> Any:
        self.bound = bound
        return np.maximum(a, bound).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return where(x >= self.bound, g, 0.0)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ where x ≥ m, else 0."""
        return where(x >= self.bound, dx, 0.0)


class ClampMinBackward1(OpNode):
    """y = max(x, m) with a tensor m;  x̄ = ȳ where x ≥ m,  m̄ = ȳ where x < m (neither
    where either is nan)."""

    save = (0, 1)

    def forward(self, a: Any, m: Any) -> Any:
        return torch_layout(np.maximum(a, m), a, m)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, m = self.saved_tensors
        return where(x >= m, g, 0.0), where(x < m, g, 0.0)

    def jvp(self, dx: Any, dm: Any, x: Tensor, m: Tensor, y: Tensor) -> Any:
        """ẏ = ẋ where x ≥ m, else ṁ (also where either is nan, as torch)."""
        return where(x >= m, 0.0 if dx is None else dx, 0.0 if dm is None else dm)


class ClampMaxBackward0(OpNode):
    """y = min(x, M) with a number M;  x̄ = ȳ where x ≤ M, else 0."""

    save = (0,)

    def forward(self, a: Any, bound: Any = None) -> Any:
        self.bound = bound
        return np.minimum(a, bound).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return where(x <= self.bound, g, 0.0)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ where x ≤ M, else 0."""
        return where(x <= self.bound, dx, 0.0)


class ClampMaxBackward1(OpNode):
    """y = min(x, M) with a tensor M;  x̄ = ȳ where x ≤ M,  M̄ = ȳ where x > M (neither
    where either is nan)."""

    save = (0, 1)

    def forward(self, a: Any, m: Any) -> Any:
        return torch_layout(np.minimum(a, m), a, m)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, m = self.saved_tensors
        return where(x <= m, g, 0.0), where(x > m, g, 0.0)

    def jvp(self, dx: Any, dm: Any, x: Tensor, m: Tensor, y: Tensor) -> Any:
        """ẏ = ẋ where x ≤ M, else Ṁ (also where either is nan, as torch)."""
        return where(x <= m, 0.0 if dx is None else dx, 0.0 if dm is None else dm)


def _one_sided(name: str, input: Tensor, bound: Any, by_number: Any, by_tensor: Any) -> Tensor:
    if isinstance(bound, Tensor):
        return by_tensor.apply(input, bound)  # type: ignore[no-any-return]
    if not isinstance(bound, (int, float, np.generic)):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, "
            f"{type(bound).__name__}), but expected one of: (Tensor input, Tensor {name[6:]}) "
            f"or (Tensor input, Number {name[6:]})"
        )
    t = promote_with(input, bound)
    dt = t._data.dtype
    if dt == np.bool_:
        raise not_implemented_for(f"{name}_scalar_cpu", dt)
    return by_number.apply(t, bound=checked_scalar(bound, dt))  # type: ignore[no-any-return]


@register(inplace=True)
def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002 - torch's name
    """Elementwise ``max(input, min)``; ``min`` a number or a tensor."""
    return _one_sided("clamp_min", input, min, ClampMinBackward0, ClampMinBackward1)


@register(inplace=True)
def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002 - torch's name
    """Elementwise ``min(input, max)``; ``max`` a number or a tensor."""
    return _one_sided("clamp_max", input, max, ClampMaxBackward0, ClampMaxBackward1)


# --- nan_to_num -----------------------------------------------------------------------------


class NanToNumBackward0(OpNode):
    """y = x where finite, else the replacement for nan / +inf / −inf;  x̄ = ȳ where x is
    finite, else 0."""

    save = (0,)

    def forward(self, a: Any, nan: Any = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
        if a.dtype.kind != "f":
            return a.copy()
        info = np.finfo(a.dtype)
        big = info.max if posinf is None else np.asarray(posinf).astype(a.dtype)
        small = info.min if neginf is None else np.asarray(neginf).astype(a.dtype)
        fill = np.asarray(0.0 if nan is None else nan).astype(a.dtype)
        out = np.where(np.isnan(a), fill, a)
        out = np.where(a == np.inf, big, out)
        return np.where(a == -np.inf, small, out).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return g * isfinite(x)  # (as torch: an infinite ȳ where x is not finite gives NaN)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · [x finite] (nan where ẋ is infinite, as torch)."""
        return dx * isfinite(x)


@register(inplace=True)
def nan_to_num(
    input: Tensor, nan: float | None = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """Replace nan, +inf and −inf by ``nan`` (0), ``posinf`` and ``neginf`` (the dtype's
    largest and smallest finite values by default). Integer tensors come back unchanged."""
    return NanToNumBackward0.apply(input, nan=nan, posinf=posinf, neginf=neginf)
