"""Comparisons (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` and their named forms), their
in-place forms (``x.lt_(y)`` writes 0/1 in ``x``'s dtype), and bitwise AND/OR (``&``, ``|``),
which the backward formulas of other ops use for masks.

Out of place these give bool tensors and record nothing. In place on a tensor that requires
grad, torch records a node (``LtBackward0`` for a number, ``LtBackward1`` for a tensor) whose
gradient is zero, cutting the history the tensor had; so does dyngrad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ._registry import COMPARE, OWN, OpNode, check_inplace, commit_inplace, register
from .elementwise_layout import torch_layout
from .elementwise_scalars import not_implemented_for, zeros_like_grad

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or"]


class _InplaceComparison(OpNode):
    """x ← (x ⋈ b) in x's dtype;  x̄ = 0,  b̄ = 0 (piecewise constant)."""

    promote = OWN

    def forward(self, a: Any, b: Any, compare: Any = None) -> Any:
        return np.asarray(compare(a, b)).astype(a.dtype)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        zero = zeros_like_grad(g)
        return (zero if need_a else None), (zero if need_b else None)

    def jvp(self, *tangents_primals_output: Any) -> Tensor:
        """ẋ ← 0."""
        return zeros_like_grad(tangents_primals_output[-1])


def _comparison(name: str, ufunc: Any, symbol: str, aliases: tuple[str, ...]) -> Any:
    title = name.capitalize()
    node: type[OpNode] = type(
        f"_{title}Comparison",
        (OpNode,),
        {
            "promote": COMPARE,
            "differentiable": False,
            "forward": lambda self, a, b: torch_layout(ufunc(a, b), a, b),
            "__doc__": f"z = a {symbol} b (bool); not differentiable.",
        },
    )
    doc = f"x ← (x {symbol} b) in x's dtype;  x̄ = 0, b̄ = 0 (b a {{}})."
    by_number: type[OpNode] = type(
        f"{title}Backward0", (_InplaceComparison,), {"__doc__": doc.format("number")}
    )
    by_tensor: type[OpNode] = type(
        f"{title}Backward1", (_InplaceComparison,), {"__doc__": doc.format("tensor")}
    )

    def compare(input: Any, other: Any) -> Tensor:
        return node.apply(input, other)  # type: ignore[no-any-return]

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Elementwise ``input {symbol} other`` as a bool tensor."
    register(compare, dunders=(f"__{name}__",), aliases=aliases)

    def compare_(self: Tensor, other: Any) -> Tensor:
        check_inplace(self, other)
        records = self._rg or (isinstance(other, Tensor) and other._rg)
        if (records and grad_mode.state.grad_enabled) or self._fw is not None:
            kind = by_tensor if isinstance(other, Tensor) else by_number
            return commit_inplace(self, kind.apply(self, other, compare=ufunc))
        return commit_inplace(self, compare(self, other))

    compare_.__name__ = compare_.__qualname__ = name + "_"
    compare_.__doc__ = f"In-place ``self {symbol} other``, written as 0/1 in self's dtype."
    for n in (name, *aliases):
        setattr(Tensor, n + "_", compare_)
    return compare


eq = _comparison("eq", np.equal, "==", ())
ne = _comparison("ne", np.not_equal, "!=", ("not_equal",))
lt = _comparison("lt", np.less, "<", ("less",))
le = _comparison("le", np.less_equal, "<=", ("less_equal",))
gt = _comparison("gt", np.greater, ">", ("greater",))
ge = _comparison("ge", np.greater_equal, ">=", ("greater_equal",))


# --- bitwise AND / OR ---------------------------------------------------------------------


def _check_bitwise(kernel: str, a: Any, b: Any) -> None:
    """Bitwise ops exist for bool and integer dtypes only (operands share the result dtype)."""
    dt = a.dtype if isinstance(a, np.ndarray) else np.asarray(b).dtype
    if dt.kind == "f":
        raise not_implemented_for(kernel, dt)


class BitwiseAndBackward0(OpNode):
    """z = a & b (bool or integer); not differentiable."""

    differentiable = False

    def forward(self, a: Any, b: Any) -> Any:
        _check_bitwise("bitwise_and_cpu", a, b)
        return torch_layout(a & b, a, b)


@register(dunders=("__and__", "__rand__"), inplace=True)
def bitwise_and(input: Any, other: Any) -> Tensor:
    """Elementwise AND of bool or integer tensors."""
    return BitwiseAndBackward0.apply(input, other)


class BitwiseOrBackward0(OpNode):
    """z = a | b (bool or integer); not differentiable."""

    differentiable = False

    def forward(self, a: Any, b: Any) -> Any:
        _check_bitwise("bitwise_or_cpu", a, b)
        return torch_layout(a | b, a, b)


@register(dunders=("__or__", "__ror__"), inplace=True)
def bitwise_or(input: Any, other: Any) -> Tensor:
    """Elementwise OR of bool or integer tensors."""
    return BitwiseOrBackward0.apply(input, other)
