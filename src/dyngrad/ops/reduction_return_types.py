"""Named tuples returned by reductions with a ``dim`` (``dyngrad.return_types``).

``x.max(1)`` returns ``return_types.max(values=..., indices=...)``: a tuple subclass, so it
unpacks (``v, i = x.max(1)``), indexes and compares like a tuple, with the fields also
readable by name, and prints as torch prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["max", "min", "median"]


class _ValuesIndices(tuple):  # type: ignore[type-arg]
    """Base of the ``(values, indices)`` result types; subclasses only set the name."""

    __slots__ = ()
    n_fields = 2
    n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, sequence: Iterable[Any]) -> _ValuesIndices:
        items = tuple(sequence)
        if len(items) != 2:
            raise TypeError(
                f"{cls.__module__}.{cls.__name__}() takes a 2-sequence ({len(items)}-sequence given)"
            )
        return tuple.__new__(cls, items)

    @property
    def values(self) -> Any:
        return self[0]

    @property
    def indices(self) -> Any:
        return self[1]

    def __repr__(self) -> str:
        return (
            f"torch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"
        )

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (tuple(self),))


class max(_ValuesIndices):  # noqa: N801, A001 - torch's name
    __slots__ = ()


class min(_ValuesIndices):  # noqa: N801, A001
    __slots__ = ()


class median(_ValuesIndices):  # noqa: N801
    __slots__ = ()
