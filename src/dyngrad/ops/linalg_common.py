"""Shared pieces of the matrix decompositions: torch's input checks and error wording,
``LinAlgError``, the named-tuple result types (``torch.return_types.linalg_qr`` ...), and
small helpers for backward formulas on stacks of matrices.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES

__all__ = ["LinAlgError", "check_float", "check_square", "constant", "eye_like", "result_type"]


class LinAlgError(RuntimeError):
    """A matrix that the requested decomposition cannot handle (singular, not positive-definite).

    Like ``torch.linalg.LinAlgError``, a subclass of RuntimeError."""


def check_float(op: str, a: Tensor) -> None:
    if not a.dtype.is_floating_point:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_TYPE_NAMES[a.dtype.name]}"
        )


def check_matrix(op: str, a: Tensor) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")


def check_square(op: str, a: Tensor) -> None:
    """torch's checks for ops on (batches of) square float matrices, in torch's order."""
    check_matrix(op, a)
    rows, cols = a.shape[-2:]
    if rows != cols:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {rows} by {cols} matrices"
        )
    check_float(op, a)


def batch_prefix(shape: tuple[int, ...], flat_index: int) -> str:
    """torch names the failing matrix of a batch: ``(Batch element 1): ``."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def constant(a: np.ndarray) -> Tensor:
    """An array as a tensor outside the graph (a value the backward only reads)."""
    return Tensor._make(a, False, None, 0)


def eye_like(n: int, like: Tensor) -> Tensor:
    return constant(np.eye(n, dtype=like._data.dtype))


def result_type(name: str, fields: tuple[str, ...]) -> type:
    """A tuple subclass with named fields that prints as ``torch.return_types.<name>``."""

    def new(cls: type, sequence: Iterable[Any]) -> Any:
        items = tuple(sequence)
        if len(items) != len(fields):
            raise TypeError(
                f"torch.return_types.{name}() takes a {len(fields)}-sequence "
                f"({len(items)}-sequence given)"
            )
        return tuple.__new__(cls, items)

    def rep(self: tuple[Any, ...]) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def reduce(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return (type(self), (tuple(self),))

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__new__": new,
        "__repr__": rep,
        "__str__": rep,
        "__reduce__": reduce,
        "n_fields": len(fields),
        "n_sequence_fields": len(fields),
        "n_unnamed_fields": 0,
        "__module__": "dyngrad.return_types",
    }
    for i, f in enumerate(fields):
        namespace[f] = property(itemgetter(i))
    return type(name, (tuple,), namespace)


def sym(x: Tensor) -> Tensor:
    """(X + Xᵀ) / 2 over the last two dims."""
    return (x + x.mT) * 0.5  # type: ignore[attr-defined,no-any-return]


def off_diagonal_reciprocal(d: Tensor) -> Tensor:
    """1 / D with zeros on the diagonal (D's diagonal is 0 by construction)."""
    n = d.shape[-1]
    mask = constant(np.eye(n, dtype=bool))
    from .elementwise import where

    return 1.0 / where(mask, float("inf"), d)  # type: ignore[no-any-return]
