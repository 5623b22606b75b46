"""``Variable``: the wrapper of PyTorch before 0.4, kept so old tutorials run. Every tensor is
a Variable now: ``Variable(t, requires_grad=...)`` gives a new leaf sharing ``t``'s memory
(``t.detach()`` with ``requires_grad`` set), and ``isinstance(t, Variable)`` holds for any
tensor.

>>> import dyngrad as torch
>>> from dyngrad.autograd import Variable
>>> Variable(torch.ones(2), requires_grad=True)
tensor([1., 1.], requires_grad=True)
"""

from __future__ import annotations

import warnings
from typing import Any

from .._tensor import Tensor

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False)``: ``data.detach()`` with ``requires_grad`` set."""

    def __new__(  # type: ignore[misc]
        cls, data: Any = None, requires_grad: bool = False, volatile: bool = False
    ) -> Tensor:
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            from .._creation import tensor

            data = tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
