"""``xlogy``: x · log y with 0 where x = 0 (unless y is nan), for tensor or Python-number
operands, and its in-place form ``Tensor.xlogy_``.

Integer and bool operands give the default float dtype, as in torch. A Python-number
operand is torch's wrapped scalar: converted to the result dtype before the math (so
``xlogy(float32_tensor, 1e300)`` sees inf), whatever integer dtype the tensor has. torch
names one node per overload: ``XlogyBackward0`` (two tensors), ``XlogyBackward1`` (a number
``self``) and ``XlogyBackward2`` (a number ``other``); two numbers are a TypeError.

    >>> dyngrad.xlogy(dyngrad.tensor([0.0, 1.0, 2.0]), 2.0)
    tensor([0.0000, 0.6931, 1.3863])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import OWN, OpNode, register, tangent_sum
from .elementwise import where
from .elementwise_layout import torch_layout

__all__ = ["xlogy"]

_NUMBERS = (bool, int, float, np.bool_, np.integer, np.floating)
_SIGNATURES = (
    " * (Tensor input, Tensor other, *, Tensor out = None)\n"
    " * (Number self, Tensor other, *, Tensor out = None)\n"
    " * (Tensor input, Number other, *, Tensor out = None)\n"
)


def _xlogy_values(x: Any, y: Any) -> np.ndarray:
    """x · log y on float arrays of one dtype (a number: a 0-d array), 0 where x = 0, nan
    where y is nan.

    Note: in the operands' own dtype, float16 too (log y rounded to float16, then the
    product), as torch's CPU kernel computes it: float32 math rounded once differs in the
    last bit (2.5 · log 2: torch 1.733, float32 math 1.732)."""
    product = np.where(x == 0, np.zeros((), x.dtype), x * np.log(y))
    return np.where(np.isnan(y), y, product)  # type: ignore[no-any-return]


def _in_result_dtype(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays cast to torch's result dtype of them (integer/bool: the default float)."""
    dt = _dtype.result_type(*arrays)
    target = dt.np if dt.is_floating_point else _dtype.get_default_dtype().np
    return [a if a.dtype == target else a.astype(target) for a in arrays]


class XlogyBackward0(OpNode):
    """z = x · log y (0 where x = 0 unless y is nan);
    x̄ = xlogy(z̄, y), 0 where x = 0 and y ≤ 0 (a zero z̄ gives 0 even where log y is nan);
    ȳ = z̄ · x / y."""

    promote = OWN  # (see _xlogy_values: float16 math stays float16)
    save = (0, 1)

    def forward(self, x: np.ndarray, y: np.ndarray) -> Any:
        a, b = _in_result_dtype(x, y)
        return torch_layout(_xlogy_values(a, b), x, y)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, y = self.saved_tensors
        need_x, need_y = self.needs_input_grad
        gx = _masked_xlogy(g, y, (x == 0) & (y <= 0)) if need_x else None
        gy = g * x / y if need_y else None
        return gx, gy

    def jvp(self, dx: Any, dy: Any, x: Tensor, y: Tensor, z: Tensor) -> Any:
        """ż = xlogy(ẋ, y) (0 where x = 0 and y ≤ 0) + ẏ · x / y."""
        from_x = None if dx is None else _masked_xlogy(dx, y, (x == 0) & (y <= 0))
        from_y = None if dy is None else dy * x / y
        return tangent_sum(from_x, from_y)


class XlogyBackward1(OpNode):
    """z = s · log y for a number s (0 where s = 0 unless y is nan);  ȳ = z̄ · s / y."""

    promote = OWN  # ``xlogy`` casts y to the result dtype
    save = (0,)

    def forward(self, y: np.ndarray, number: float) -> Any:
        self.number = number
        return torch_layout(_xlogy_values(np.asarray(number, y.dtype), y), number, y)

    def backward(self, g: Tensor) -> Tensor:
        (y,) = self.saved_tensors
        return g * self.number / y

    def jvp(self, dy: Tensor, y: Tensor, z: Tensor) -> Tensor:
        """ż = ẏ · s / y."""
        return dy * self.number / y


class XlogyBackward2(OpNode):
    """z = x · log s for a number s (0 where x = 0 unless s is nan);
    x̄ = xlogy(z̄, s), 0 where x = 0 unless s > 0 (torch zeroes them for s = nan too)."""

    promote = OWN  # ``xlogy`` casts x to the result dtype
    save = (0,)

    def forward(self, x: np.ndarray, number: float) -> Any:
        self.number = number
        return torch_layout(_xlogy_values(x, np.asarray(number, x.dtype)), x, number)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return self._gradient(g, x)

    def jvp(self, dx: Tensor, x: Tensor, z: Tensor) -> Tensor:
        """ż = xlogy(ẋ, s), 0 where x = 0 unless s > 0."""
        return self._gradient(dx, x)

    def _gradient(self, g: Tensor, x: Tensor) -> Tensor:
        s = self.number
        # Note: ``not s > 0`` rather than ``s <= 0``: torch's mask holds for s = nan here
        # (unlike the tensor case, where y = nan keeps xlogy(z̄, nan) = nan at x = 0).
        return _masked_xlogy(g, s, (x == 0) if not s > 0 else None)


def _masked_xlogy(g: Tensor, y: Any, mask: Tensor | None) -> Tensor:
    """xlogy(g, y) (a node of its own, so higher derivatives follow), 0 where ``mask``."""
    out = xlogy(g, y)
    return out if mask is None else where(mask, 0.0, out)


@register(inplace=True)
def xlogy(input: Tensor | float, other: Tensor | float) -> Tensor:
    """Elementwise ``input * log(other)``, 0 where ``input`` is 0 (nan where ``other`` is
    nan); either operand may be a Python number, not both. Integer and bool operands give
    the default float dtype."""
    if isinstance(input, Tensor):
        if isinstance(other, Tensor):
            return XlogyBackward0.apply(input, other)  # type: ignore[no-any-return]
        if isinstance(other, _NUMBERS):
            t, number = _with_number(input, other)
            return XlogyBackward2.apply(t, number=number)  # type: ignore[no-any-return]
    elif isinstance(other, Tensor) and isinstance(input, _NUMBERS):
        t, number = _with_number(other, input)
        return XlogyBackward1.apply(t, number=number)  # type: ignore[no-any-return]
    _check_complex(input, other)
    got = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in (input, other))
    raise TypeError(
        f"xlogy() received an invalid combination of arguments - got ({got}), but expected one "
        f"of:\n{_SIGNATURES}"
    )


def _with_number(t: Tensor, number: Any) -> tuple[Tensor, float]:
    """``t`` in the result dtype of ``t`` and ``number`` (integer/bool results: the default
    float dtype), and ``number`` converted to that dtype, as torch converts a wrapped scalar
    (beyond the dtype's range: ±inf; integers outside [−2⁶³, 2⁶⁴): torch's OverflowError)."""
    if isinstance(number, np.generic):
        number = number.item()
    if isinstance(number, int) and not -(2**63) <= number < 2**64:
        # (torch's wording: below -2⁶³ it tries the unsigned conversion last)
        raise OverflowError(
            "int too big to convert" if number > 0 else "can't convert negative int to unsigned"
        )
    if t.dtype is _dtype.bool_ and type(number) is int and number >= 2**63:  # (a uint64 scalar)
        raise RuntimeError(
            "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
            "Bool and UInt64"
        )
    dt = _dtype.result_type(t, number)
    if not dt.is_floating_point:
        dt = _dtype.get_default_dtype()
    if t.dtype is not dt:
        # Note: only integer/bool tensors change dtype here (a Python number never raises a
        # float tensor's dtype), and those carry no graph, so the cast records nothing.
        t = Tensor._make(t._data.astype(dt.np), False, None, 0)
    with np.errstate(over="ignore"):
        value = float(dt.np.type(float(number)))
    return t, value


def _check_complex(input: Any, other: Any) -> None:
    """torch's error for a complex Python number with a tensor (dyngrad has no complex
    dtypes, torch has no complex xlogy kernel)."""
    for number, t in ((other, input), (input, other)):
        if isinstance(number, complex) and isinstance(t, Tensor):
            name = {"float16": "ComplexHalf", "float64": "ComplexDouble"}.get(
                t.dtype.name, "ComplexFloat"
            )
            raise NotImplementedError(f"\"xlogy_cpu\" not implemented for '{name}'")
