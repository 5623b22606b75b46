"""Rounded division and remainders: ``div(rounding_mode=...)``, ``floor_divide`` (``//``),
``remainder`` (``%``, the sign of the divisor, as in Python) and ``fmod`` (the sign of the
dividend, as in C).

Integers stay integers and division by an integer zero is torch's
``RuntimeError: ZeroDivisionError``; floats give inf/nan silently. ``floor_divide`` and a
remainder with a Python-number dividend have no derivative in torch: their node,
``NotImplemented``, raises when the backward reaches it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import FLOAT, OpNode, register, tangent_sum
from .elementwise import div
from .elementwise_layout import torch_layout
from .elementwise_scalars import not_implemented_for, zeros_like_grad

__all__ = ["divide_rounded", "floor_divide", "remainder", "fmod", "div_by_number"]

_ROUNDING_MODES = (None, "trunc", "floor")


def _check_integer_divisor(b: Any, a: Any = None) -> None:
    """torch refuses an integer division by zero (NumPy would give 0 with a warning), when
    there is something to divide (an empty tensor divides by nothing)."""
    if a is not None and (np.size(a) == 0 or np.size(b) == 0):
        return
    if np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def _result_kind(a: Any, b: Any, kernel: str) -> str:
    """The dtype kind both operands were promoted to; bool has no division kernels."""
    dt = a.dtype if isinstance(a, np.ndarray) else np.asarray(b).dtype
    if dt == np.bool_:
        raise not_implemented_for(kernel, dt)
    return str(dt.kind)


def _floor_quotient(a: Any, b: Any) -> Any:
    """⌊a / b⌋ in the operands' dtype (NumPy's floor_divide is Python's ``//``)."""
    if _result_kind(a, b, "div_floor_cpu") != "f":
        _check_integer_divisor(b, a)
    return np.floor_divide(a, b)


def _trunc_quotient(a: Any, b: Any) -> Any:
    """a / b rounded toward zero in the operands' dtype."""
    if _result_kind(a, b, "div_trunc_cpu") == "f":
        return np.trunc(np.true_divide(a, b))
    _check_integer_divisor(b, a)
    q = np.floor_divide(a, b)
    inexact = np.asarray(a - q * b) != 0
    q = np.asarray(q)
    return np.where(inexact & ((np.asarray(a) < 0) != (np.asarray(b) < 0)), q + 1, q).astype(
        q.dtype
    )


class DivBackward2(OpNode):
    """z = a / b rounded as ``mode`` says. With no rounding: ā = z̄ / b, b̄ = −z̄ · a / b².
    Rounded ('trunc', 'floor'): piecewise constant, ā = b̄ = 0."""

    save = (0, 1)
    save_for = ((1,), (0, 1))

    def forward(self, a: Any, b: Any, mode: str | None = None) -> Any:
        self.mode = mode
        if mode == "trunc":
            return torch_layout(_trunc_quotient(a, b), a, b)
        if mode == "floor":
            return torch_layout(_floor_quotient(a, b), a, b)
        return torch_layout(np.true_divide(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        a, b = self.saved_tensors  # read even when rounded: torch checks their versions too
        if self.mode is not None:
            zero = zeros_like_grad(g)
            return (zero if need_a else None), (zero if need_b else None)
        # Note: (a / b) / b, as torch: b * b would overflow (float32 |b| > 1.8e19) or lose
        # precision where the quotient itself is fine
        return (g / b if need_a else None), (-g * (a / b) / b if need_b else None)

    def jvp(self, da: Any, db: Any, a: Any, b: Any, z: Tensor) -> Any:
        """Without rounding ż = ȧ / b − ḃ · a / b²; rounded ż = 0."""
        if self.mode is not None:
            return zeros_like_grad(z)
        return tangent_sum(
            None if da is None else da / b, None if db is None else -db * a / (b * b)
        )


def divide_rounded(input: Any, other: Any, rounding_mode: str | None) -> Tensor:
    """``div(input, other, rounding_mode=...)``: the ``DivBackward2`` form of division."""
    if rounding_mode not in _ROUNDING_MODES:
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    if rounding_mode is None:
        input, other = _as_true_division_operands(input, other)
    return DivBackward2.apply(input, other, mode=rounding_mode)


def _as_true_division_operands(input: Any, other: Any) -> tuple[Any, Any]:
    """Integer/bool operands as the default float dtype, which true division gives them
    (such tensors carry no graph, so the cast adds no node)."""
    if _dtype.result_type(input, other).is_floating_point:
        return input, other
    default = _dtype.get_default_dtype().np

    def as_float(x: Any) -> Any:
        if isinstance(x, Tensor):
            return Tensor._make(x._data.astype(default), False, None, 0)
        return float(x)

    return as_float(input), as_float(other)


class NotImplementedGrad(OpNode):
    """Forward of an op torch gives no derivative (``x // y``, ``2 % x``); the backward
    raises torch's error. torch names this node ``NotImplemented``."""

    def forward(self, a: Any, b: Any, compute: Any = None, aten: str = "") -> Any:
        self.aten = aten
        return torch_layout(compute(a, b), a, b)

    def backward(self, g: Tensor) -> Any:
        raise RuntimeError(f"derivative for aten::{self.aten} is not implemented")

    def jvp(self, *tangents_primals_output: Any) -> Any:
        """No forward derivative in torch either."""
        raise NotImplementedError(
            f"Trying to use forward AD with aten::{self.aten} that does not support it."
        )


NotImplementedGrad.__name__ = NotImplementedGrad.__qualname__ = "NotImplemented"


@register(dunders=("__floordiv__",), rdunders=("__rfloordiv__",), inplace=True)
def floor_divide(input: Any, other: Any) -> Tensor:
    """Elementwise ``⌊input / other⌋`` (Python's ``//``), in the promoted dtype. Not
    differentiable in torch: backward through it raises."""
    return NotImplementedGrad.apply(input, other, compute=_floor_quotient, aten="floor_divide")


def _remainder(a: Any, b: Any) -> Any:
    if _result_kind(a, b, "remainder_cpu") != "f":
        _check_integer_divisor(b, a)
    return np.remainder(a, b)


def _fmod(a: Any, b: Any) -> Any:
    if _result_kind(a, b, "fmod_cpu") != "f":
        _check_integer_divisor(b, a)
    return np.fmod(a, b)


class RemainderBackward0(OpNode):
    """z = a − s·⌊a/s⌋ (scalar divisor s, result has the sign of s);  ā = z̄."""

    def forward(self, a: Any, s: Any) -> Any:
        return _remainder(a, s)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return g, None

    def jvp(self, da: Tensor, ds: Any, a: Tensor, s: Any, z: Tensor) -> Tensor:
        """ż = ȧ."""
        return da


class RemainderBackward1(OpNode):
    """z = a − b·⌊a/b⌋;  ā = z̄,  b̄ = −z̄ · ⌊a/b⌋."""

    save = (0, 1)
    save_for = ((1,), (1,))  # only b̄ reads a and b

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(_remainder(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        gb = -g * div(a, b, rounding_mode="floor") if need_b else None
        return (g if need_a else None), gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """ż = ȧ − ḃ · ⌊a/b⌋."""
        return tangent_sum(da, None if db is None else -db * div(a, b, rounding_mode="floor"))


@register(dunders=("__mod__",), rdunders=("__rmod__",), inplace=True)
def remainder(input: Any, other: Any) -> Tensor:
    """Elementwise remainder with the sign of the divisor (Python's ``%``)."""
    if not isinstance(input, Tensor):  # a Python-number dividend: no derivative in torch
        return NotImplementedGrad.apply(input, other, compute=_remainder, aten="remainder")
    if isinstance(other, Tensor):
        return RemainderBackward1.apply(input, other)
    return RemainderBackward0.apply(input, other)


class FmodBackward0(OpNode):
    """z = a − s·trunc(a/s) (scalar divisor s, result has the sign of a);  ā = z̄."""

    def forward(self, a: Any, s: Any) -> Any:
        return _fmod(a, s)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return g, None

    def jvp(self, da: Tensor, ds: Any, a: Tensor, s: Any, z: Tensor) -> Tensor:
        """ż = ȧ."""
        return da


class FmodBackward1(OpNode):
    """z = a − b·trunc(a/b);  ā = z̄,  b̄ = −z̄ · trunc(a/b)."""

    save = (0, 1)
    save_for = ((1,), (1,))  # only b̄ reads a and b

    def forward(self, a: Any, b: Any) -> Any:
        return torch_layout(_fmod(a, b), a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        gb = -g * div(a, b, rounding_mode="trunc") if need_b else None
        return (g if need_a else None), gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """ż = ȧ − ḃ · trunc(a/b)."""
        return tangent_sum(da, None if db is None else -db * div(a, b, rounding_mode="trunc"))


@register(inplace=True)
def fmod(input: Tensor, other: Any) -> Tensor:
    """Elementwise C-style remainder: the sign of the dividend (``fmod(-7, 2) = -1``)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"fmod() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of: "
            "(Tensor input, Tensor other) or (Tensor input, Number other)"
        )
    if isinstance(other, Tensor):
        return FmodBackward1.apply(input, other)
    return FmodBackward0.apply(input, other)


class DivBackward1(OpNode):
    """z = a / s, s a Python number (torch's ``div.Scalar``: the node its C++ composites
    record, e.g. cross_entropy's mean over class probabilities);  ā = z̄ / s;  ż = ȧ / s."""

    promote = FLOAT
    linear = True  # forward mode: ż = ȧ / s

    def forward(self, a: np.ndarray, divisor: float) -> Any:
        self.divisor = divisor
        return a / divisor

    def backward(self, g: Tensor) -> Tensor:
        return g / self.divisor


def div_by_number(input: Tensor, divisor: float) -> Tensor:
    """``input / divisor`` recorded as torch's composites record it (``DivBackward1``); for
    library code written after torch's C++ (user code's ``x / 2`` is ``DivBackward0``)."""
    return DivBackward1.apply(input, divisor=divisor)  # type: ignore[no-any-return]
