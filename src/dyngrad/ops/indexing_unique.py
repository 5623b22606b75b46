"""unique and unique_consecutive: the distinct elements (or slices along ``dim``), with the
inverse indices and counts on request.

torch records a node on the values but has no derivative for them: backward raises
NotImplementedError, and so does it here; so does forward mode (torch's "Trying to use forward
AD with _unique2 ...").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd import forward_ad
from ._registry import OWN, OpNode, register

__all__ = ["unique", "unique_consecutive"]


class _UniqueNode(OpNode):
    """(values, inverse, counts); the values have no derivative (as in torch)."""

    promote = OWN
    n_outputs = 3
    derivative_name = ""

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError(
            f"the derivative for '{self.derivative_name}' is not implemented."
        )

    def jvp(self, *tangents_primals_output: Any) -> Any:
        """No forward derivative either: torch's error, naming its op (``_unique2``)."""
        raise forward_ad.not_implemented(self.derivative_name)


def _unique_flat(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values, inverse, counts = np.unique(
        a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
    )
    return values, inverse.reshape(a.shape).astype(np.int64), counts.astype(np.int64)


def _check_zero_sized(a: np.ndarray, dim: int) -> None:
    """torch's unique over slices refuses zero-size dims other than ``dim``."""
    if a.shape.count(0) > 1:
        raise RuntimeError(
            "Number of zero sized dimensions is more than one, so unique cannot be applied "
        )
    if a.size == 0 and a.shape[dim] != 0:
        raise RuntimeError(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
        )


def _unique_along(a: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _check_zero_sized(a, dim)
    if a.shape[dim] == 0:
        empty = np.zeros(0, np.int64)
        return a.copy(), empty, empty.copy()
    values, inverse, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
    return values, inverse.reshape(-1).astype(np.int64), counts.astype(np.int64)


class Unique2Backward0(_UniqueNode):
    """unique over all elements (sorted)."""

    derivative_name = "_unique2"

    def forward(self, a: np.ndarray) -> Any:
        return _unique_flat(a)


class UniqueDimBackward0(_UniqueNode):
    """unique over the slices along ``dim`` (sorted lexicographically)."""

    derivative_name = "unique_dim"

    def forward(self, a: np.ndarray, dim: int) -> Any:
        return _unique_along(a, dim)


def _consecutive(
    a: np.ndarray, dim: int | None, dim_given: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the first of each run of equal elements (slices along ``dim``)."""
    if dim is None:
        values, inverse, counts = _consecutive(a.reshape(-1), 0, dim_given=False)
        return values, inverse.reshape(a.shape), counts
    if dim_given:
        _check_zero_sized(a, dim)
    moved = np.moveaxis(a, dim, 0)
    n = moved.shape[0]
    if n == 0:
        empty = np.zeros(0, np.int64)
        return a.copy(), empty, empty.copy()
    changed = moved[1:] != moved[:-1]
    if changed.ndim > 1:
        changed = changed.reshape(n - 1, changed[0].size if n > 1 else 0).any(axis=1)
    starts = np.concatenate(([True], changed))
    first = np.flatnonzero(starts)
    values = np.moveaxis(moved[first], 0, dim)
    inverse = (np.cumsum(starts) - 1).astype(np.int64)
    counts = np.diff(np.append(first, n)).astype(np.int64)
    return values, inverse, counts


class UniqueConsecutiveBackward0(_UniqueNode):
    """unique_consecutive: the first of each run of equal elements (or slices)."""

    derivative_name = "unique_consecutive"

    def forward(self, a: np.ndarray, dim: int | None) -> Any:
        return _consecutive(a, dim)


def _pick(outs: tuple[Tensor, ...], return_inverse: bool, return_counts: bool) -> Any:
    values, inverse, counts = outs
    if not (return_inverse or return_counts):
        return values
    result = [values]
    if return_inverse:
        result.append(inverse)
    if return_counts:
        result.append(counts)
    return tuple(result)


def _dim(input: Tensor, dim: int) -> int:
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, input.ndim)


@register
def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``input`` in ascending order (or, with ``dim``, the distinct
    slices); optionally the index of each input element in the result, and the counts.

    >>> dyngrad.unique(dyngrad.tensor([3, 1, 3]), return_counts=True)
    (tensor([1, 3]), tensor([1, 2]))
    """
    if dim is None:
        outs = Unique2Backward0.apply(input)
    else:
        outs = UniqueDimBackward0.apply(input, dim=_dim(input, dim))
    return _pick(outs, return_inverse, return_counts)


@register
def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """Collapse each run of consecutive equal elements (or slices along ``dim``) to one."""
    wrapped = None if dim is None else _dim(input, dim)
    outs = UniqueConsecutiveBackward0.apply(input, dim=wrapped)
    return _pick(outs, return_inverse, return_counts)
