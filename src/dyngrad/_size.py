"""``torch.Size``: the shape of a tensor, a tuple that prints as ``torch.Size([2, 3])``."""

from __future__ import annotations


class Size(tuple):  # type: ignore[type-arg]
    """A tensor shape: a tuple of ints."""

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, item):  # type: ignore[no-untyped-def, override]
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):  # type: ignore[no-untyped-def, override]
        return Size(tuple.__add__(self, tuple(other)))
