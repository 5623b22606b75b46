"""``torch.Size``: the shape of a tensor, a tuple that prints as ``torch.Size([2, 3])``.

>>> dyngrad.zeros(2, 3).shape
torch.Size([2, 3])
>>> dyngrad.Size([2, 3]) + (4,)
torch.Size([2, 3, 4])
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any, SupportsIndex

__all__ = ["Size", "size_from_shape"]


class Size(tuple):  # type: ignore[type-arg]
    """A tensor shape: a tuple of ints (anything with ``__index__`` is converted)."""

    __slots__ = ()

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        items = tuple(sizes)
        for i, s in enumerate(items):
            if type(s) is not int:
                return tuple.__new__(cls, _as_ints(items, i))
        return tuple.__new__(cls, items)

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def __getitem__(self, item):  # type: ignore[no-untyped-def, override]
        result = tuple.__getitem__(self, item)
        return tuple.__new__(Size, result) if isinstance(item, slice) else result

    def __add__(self, other: Any) -> Size:  # type: ignore[override]
        if not isinstance(other, tuple):
            raise TypeError(
                f"can only concatenate tuple (not {type(other).__name__}) to torch.Size"
            )
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n: SupportsIndex) -> Size:  # type: ignore[override]
        return tuple.__new__(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self) -> tuple[Any, ...]:
        return (Size, (tuple(self),))


def _as_ints(items: tuple[Any, ...], start: int) -> tuple[int, ...]:
    out = list(items[:start])
    for i in range(start, len(items)):
        s = items[i]
        try:
            if isinstance(s, float):
                raise TypeError
            out.append(operator.index(s))
        except (TypeError, RuntimeError):
            raise TypeError(
                f"torch.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
            ) from None
    return tuple(out)


def size_from_shape(shape: tuple[int, ...]) -> Size:
    """A Size from a NumPy shape (already Python ints: no checks)."""
    return tuple.__new__(Size, shape)
