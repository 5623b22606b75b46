"""Logical and bitwise ops, float classification (isnan, isinf, isfinite), closeness tests
(isclose, and allclose / equal, which return Python bools) and ``positive`` (``+x``).

None of these is differentiable: they return bool or integer tensors (``positive`` returns
its input itself, as torch does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import COMPARE, OWN, OpNode, register
from .elementwise_layout import torch_layout
from .elementwise_scalars import legacy_name, not_implemented_for, require_tensor

__all__ = [
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not", "bitwise_xor",
    "isnan", "isinf", "isfinite", "isclose", "allclose", "equal", "positive",
]  # fmt: skip


def _logical(name: str, ufunc: Any, symbol: str) -> Any:
    node: type[OpNode] = type(
        f"Logical{name.capitalize()}Backward0",
        (OpNode,),
        {
            "promote": COMPARE,
            "differentiable": False,
            "forward": lambda self, a, b: torch_layout(ufunc(a, b), a, b),
            "__doc__": f"z = bool(a) {symbol} bool(b); not differentiable.",
        },
    )

    def logical(input: Tensor, other: Tensor) -> Tensor:
        require_tensor(f"logical_{name}", other)
        return node.apply(input, other)  # type: ignore[no-any-return]

    logical.__name__ = logical.__qualname__ = f"logical_{name}"
    logical.__doc__ = (
        f"Elementwise ``input {symbol} other`` on truth values (nonzero is True), as bool."
    )
    register(logical, inplace=True, inplace_checked=False)  # (torch lets logical_and_ through)
    return logical


logical_and = _logical("and", np.logical_and, "and")
logical_or = _logical("or", np.logical_or, "or")
logical_xor = _logical("xor", np.logical_xor, "xor")


class LogicalNotBackward0(OpNode):
    """y = not bool(x); not differentiable."""

    promote = OWN
    differentiable = False

    def forward(self, a: Any) -> Any:
        return np.logical_not(a)


@register(inplace=True, inplace_checked=False)
def logical_not(input: Tensor) -> Tensor:
    """Elementwise logical negation (nonzero is True), as bool."""
    return LogicalNotBackward0.apply(input)


class BitwiseNotBackward0(OpNode):
    """y = ~x (bool: not x); not differentiable."""

    differentiable = False

    def forward(self, a: Any) -> Any:
        if a.dtype.kind == "f":
            raise not_implemented_for("bitwise_not_cpu", a.dtype)
        return np.invert(a)


@register(inplace=True)
def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise bitwise NOT of a bool or integer tensor."""
    return BitwiseNotBackward0.apply(input)


def _invert(self: Tensor) -> Tensor:
    if self.is_floating_point():
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


setattr(Tensor, "__invert__", _invert)  # noqa: B010 - replaces the operator


class BitwiseXorBackward0(OpNode):
    """z = a ^ b (bool or integer); not differentiable."""

    differentiable = False

    def forward(self, a: Any, b: Any) -> Any:
        dt = a.dtype if isinstance(a, np.ndarray) else np.asarray(b).dtype
        if dt.kind == "f":
            raise not_implemented_for("bitwise_xor_cpu", dt)
        return torch_layout(a ^ b, a, b)


@register(dunders=("__xor__", "__rxor__"), inplace=True)
def bitwise_xor(input: Any, other: Any) -> Tensor:
    """Elementwise XOR of bool or integer tensors."""
    return BitwiseXorBackward0.apply(input, other)


# --- classification ------------------------------------------------------------------------


def _classify(name: str, ufunc: Any, integers: bool, doc: str) -> Any:
    def classify(input: Tensor) -> Tensor:
        a = input._data
        # (np.asarray: a ufunc of a 0-d array returns a NumPy scalar, not an array)
        out = np.asarray(ufunc(a)) if a.dtype.kind == "f" else np.full_like(a, integers, bool)
        return Tensor._make(out, False, None, 0)

    classify.__name__ = classify.__qualname__ = name
    classify.__doc__ = doc
    register(classify)
    return classify


isnan = _classify("isnan", np.isnan, False, "Elementwise ``input != input``, as bool.")
isinf = _classify("isinf", np.isinf, False, "Elementwise test for ±inf, as bool.")
isfinite = _classify(
    "isfinite", np.isfinite, True, "Elementwise test for neither inf nor nan, as bool."
)


# --- closeness -----------------------------------------------------------------------------


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are close;
    nan is close to nan only with ``equal_nan``). Both tensors must share a dtype."""
    require_tensor("isclose", other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{legacy_name(input._data.dtype)} did not match "
                           f"{legacy_name(other._data.dtype)}")  # fmt: skip
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    a, b = input._data, other._data
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        from ._registry import _translate_value_error

        raise _translate_value_error(ValueError("broadcast"), [a, b]) from None
    with np.errstate(all="ignore"):
        same = a == b
        if a.dtype.kind != "f":
            a, b = a.astype(np.float64), b.astype(np.float64)
        close = same | (np.abs(a - b) <= atol + rtol * np.abs(b))
        if a.dtype.kind == "f":
            close &= np.isfinite(a) & np.isfinite(b) | same
            if equal_nan:
                close |= np.isnan(a) & np.isnan(b)
    return Tensor._make(torch_layout(np.asarray(close), input._data, other._data), False, None, 0)


register(isclose)


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """``isclose(...).all()`` as a Python bool."""
    require_tensor("allclose", other)
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


register(allclose)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and equal elements (after promotion;
    nan is never equal), as a Python bool."""
    require_tensor("equal", other)
    a, b = input._data, other._data
    if a.shape != b.shape:
        return False
    dt = _dtype.result_type(input, other).np
    return bool(np.array_equal(a.astype(dt, copy=False), b.astype(dt, copy=False)))


register(equal)


def positive(input: Tensor) -> Tensor:
    """``+input``: the input itself (refused for bool, as in torch)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


register(positive, dunders=("__pos__",))
