"""Powers: ``pow`` / ``**`` with tensor or Python-number base and exponent.

Integer powers follow torch rather than NumPy: ``0 ** 0 = 1``, overflow wraps around,
negative exponents give 0 except for the bases 1 and −1, and a Python-number negative
exponent on an integer tensor is torch's error. Float powers give nan silently for a
negative base with a fractional exponent.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OpNode, promote_with, register, tangent_sum
from .elementwise import log, where
from .elementwise_compare import bitwise_or
from .elementwise_layout import torch_layout
from .elementwise_scalars import checked_scalar, not_implemented_for

__all__ = ["pow"]


class PowBackward0(OpNode):
    """y = xᵖ (scalar p);  x̄ = ȳ · p · xᵖ⁻¹ (zero when p = 0)."""

    save = (0,)

    def forward(self, a: Any, p: Any) -> Any:
        self.p = p
        if a.dtype.kind == "f" and p in (0.5, -0.5):  # torch's sqrt / rsqrt: (-0.0)⁻⁰ᐧ⁵ = −inf
            root = np.sqrt(a)
            return root if p == 0.5 else 1 / root
        return a**p

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:
            return g * 0
        return g * p * x ** (p - 1)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ · p · xᵖ⁻¹ (zero when p = 0)."""
        p = self.p
        if p == 0:
            return dx * 0
        return dx * p * x ** (p - 1)


class PowBackward1(OpNode):
    """y = aᵇ (tensors);  ā = ȳ · b · aᵇ⁻¹,  b̄ = ȳ · y · ln a (zero where a = 0 and b ≥ 0)."""

    save = (0, 1)
    save_output = True

    def forward(self, a: Any, b: Any) -> Any:
        if a.dtype == np.bool_:
            raise not_implemented_for("pow", a.dtype)
        if a.dtype.kind in "iu":
            return torch_layout(_integer_power(a, b), a, b)
        return torch_layout(a**b, a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        y = self.saved_output  # (read whatever is needed: torch checks it for in-place changes)
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            ga = where(b == 0, 0.0, g * b * a ** (b - 1))
        if need_b:
            gb = where((a == 0) & (b >= 0), 0.0, g * y * log(a))
        return ga, gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, y: Tensor) -> Any:
        """ẏ = ȧ · b · aᵇ⁻¹ + ḃ · y · ln a (the terms zero where their backward is)."""
        ta = tb = None
        if da is not None:
            ta = where(b == 0, 0.0, da * b * a ** (b - 1))
        if db is not None:
            tb = where((a == 0) & (b >= 0), 0.0, db * y * log(a))
        return tangent_sum(ta, tb)


class PowBackward2(OpNode):
    """y = sᵇ (scalar base s);  b̄ = ȳ · y · ln s (zero where s = 0 and b ≥ 0)."""

    save = (0,)
    save_output = True

    def forward(self, b: Any, base: Any) -> Any:
        self.base = base
        # Note: contiguous whatever b's layout, as torch's result (its scalar base is a
        # wrapped 0-d tensor the output layout is computed from).
        if b.dtype.kind in "iu":
            return np.asarray(_integer_power(np.asarray(base, dtype=b.dtype), b), order="C")
        return np.asarray(np.power(base, b), order="C")

    def backward(self, g: Tensor) -> Tensor:
        y = self.saved_output
        (b,) = self.saved_tensors  # read even when unused: torch checks its version here too
        s = self.base
        if s == 0:
            return where(b >= 0, 0.0, g * y * float("-inf"))
        return g * y * math.log(s)

    def jvp(self, db: Tensor, b: Tensor, y: Tensor) -> Tensor:
        """ẏ = ḃ · y · ln s."""
        s = self.base
        if s == 0:
            return where(b >= 0, 0.0, db * y * float("-inf"))
        return db * y * math.log(s)


@register(dunders=("__pow__",), inplace=True)
def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """Elementwise power; tensor or scalar base and exponent. Integer results follow torch:
    ``0 ** 0 = 1``, overflow wraps, and negative exponents give 0 except for bases ±1
    (a Python-number negative exponent on an integer tensor is an error)."""
    if not isinstance(input, Tensor):
        exponent = promote_with(exponent, input)
        kind = exponent._data.dtype.kind
        if kind == "b":
            raise not_implemented_for("pow", exponent._data.dtype)
        base = input
        if kind in "iu" and isinstance(base, int):
            base = _wrap_integer(base, exponent._data.dtype)
        return PowBackward2.apply(exponent, base=base)
    if isinstance(exponent, Tensor):
        return PowBackward1.apply(input, exponent)
    t = promote_with(input, exponent)
    kind = t._data.dtype.kind
    if kind == "b":  # bool ** bool: x ** True = x, x ** False = True
        return t.clone() if exponent else bitwise_or(t, True)  # type: ignore[attr-defined]
    if kind in "iu" and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return PowBackward0.apply(t, p=checked_scalar(exponent, t._data.dtype))


def _wrap_integer(value: int, np_dtype: np.dtype) -> int:
    """``value`` wrapped into ``np_dtype``'s range (two's complement)."""
    info = np.iinfo(np_dtype)
    span = int(info.max) - int(info.min) + 1
    return (value - int(info.min)) % span + int(info.min)


def _integer_power(a: Any, b: Any) -> Any:
    """aᵇ on integer arrays with torch's values for negative exponents: 1 for base 1, ±1 by
    parity for base −1, 0 for every other base (NumPy refuses negative integer powers)."""
    negative = b < 0
    if not np.any(negative):
        return np.power(a, b)
    out = np.power(a, np.where(negative, 0, b))
    parity = np.where(b % 2 == 0, 1, -1)
    special = np.where(a == 1, 1, np.where(a == -1, parity, 0))
    return np.where(negative, special, out).astype(out.dtype)


def _rpow(self: Tensor, other: Any) -> Any:
    if not isinstance(other, (int, float, bool, np.generic)):
        return NotImplemented
    return pow(other, self)


Tensor.__rpow__ = _rpow  # type: ignore[attr-defined, method-assign]
