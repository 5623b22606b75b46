"""Order-based selection: sort, argsort, topk, kthvalue, searchsorted, bucketize.

Each selecting op returns the chosen values and their indices along ``dim``; the values'
gradient goes back to where they came from:  x̄ = scatter(zeros, dim, indices, ȳ).
NaN sorts above every number (last ascending, first descending), as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import _TYPE_NAMES, OWN, OpNode, register
from .indexing_gather import GatherBackward0, ScatterBackward0, fmt_shape
from .indexing_saved import saved_index, watch
from .indexing_topk_ties import tied_topk_indices
from .quickselect import tied_kth_indices
from .reduction_return_types import _ValuesIndices

__all__ = ["sort", "msort", "argsort", "topk", "kthvalue", "searchsorted", "bucketize"]


def _result_type(name: str) -> type[_ValuesIndices]:
    """torch.return_types.<name>: a (values, indices) named tuple (shared with reductions)."""
    from . import reduction_return_types

    cls = type(name, (_ValuesIndices,), {"__slots__": (), "__module__": "dyngrad.return_types"})
    setattr(reduction_return_types, name, cls)
    return cls


_SortResult = _result_type("sort")
_TopkResult = _result_type("topk")
_KthvalueResult = _result_type("kthvalue")


def sort_indices(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``; descending keeps equal elements in their original order."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    reversed_order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return a.shape[axis] - 1 - np.flip(reversed_order, axis)


def _scatter_back(g: Tensor, shape: tuple[int, ...], dim: int, indices: np.ndarray) -> Tensor:
    zeros = Tensor._make(np.zeros(shape, g._data.dtype), False, None, 0)
    return ScatterBackward0.apply(zeros, g, dim=dim, index=indices)


class _SelectAlongDim(OpNode):
    """(values, indices) picked along ``dim``;  x̄ = scatter(zeros, dim, indices, ȳ);
    ẏ = gather(ẋ, dim, indices)."""

    promote = OWN
    n_outputs = 2
    shape: tuple[int, ...]
    dim: int
    indices = saved_index()  # checked against in-place changes of the indices output

    def backward(self, g: Tensor, _g_indices: Any = None) -> Tensor:
        return _scatter_back(g, self.shape, self.dim, self.indices)

    def jvp(self, dx: Tensor, x: Tensor, outputs: tuple[Tensor, Tensor]) -> tuple[Any, None]:
        """ẏ = gather(ẋ, dim, indices): the tangents of the picked elements (the indices
        have none)."""
        values = GatherBackward0.apply(dx, dim=self.dim, index=self.indices)
        if values.ndim != outputs[0].ndim:  # kthvalue without keepdim
            values = values.squeeze(self.dim)  # type: ignore[attr-defined]
        return values, None


class SortBackward0(_SelectAlongDim):
    """(values, indices) = x sorted along ``dim``;  x̄ = scatter(zeros, dim, indices, ȳ)."""

    def forward(self, a: np.ndarray, dim: int, descending: bool) -> Any:
        self.shape, self.dim = a.shape, dim
        if a.ndim == 0:
            self.indices = np.zeros((), np.int64)
            return a.copy(), self.indices.copy()
        indices = sort_indices(a, dim, descending)
        values = np.empty_like(a)  # (torch's results keep the input's layout)
        values[...] = np.take_along_axis(a, indices, axis=dim)
        self.indices = np.empty_like(a, dtype=np.int64)
        self.indices[...] = indices
        return values, self.indices.copy(order="K")


class SortBackward1(SortBackward0):
    """sort(..., stable=...): the same values and gradient as SortBackward0."""


@register
def sort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool | None = None
) -> Any:
    """``return_types.sort(values, indices)``: ``input`` sorted along ``dim`` (stable).

    >>> dyngrad.sort(dyngrad.tensor([3., 1., 2.]))
    torch.return_types.sort(
    values=tensor([1., 2., 3.]),
    indices=tensor([1, 2, 0]))
    """
    dim = _wrap_dim(dim, input.ndim)
    node = SortBackward0 if stable is None else SortBackward1
    values, indices = node.apply(input, dim=dim, descending=bool(descending))
    watch(values, "indices", indices)
    return _SortResult((values, indices))


@register
def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim (the values of ``sort(input, 0)``)."""
    return sort(input, 0).values  # type: ignore[no-any-return]


@register
def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    dim = _wrap_dim(dim, input.ndim)
    a = input._data
    if a.ndim == 0:
        return Tensor._make(np.zeros((), np.int64), False, None, 0)
    indices = np.empty_like(a, dtype=np.int64)  # (torch's layout: the input's)
    indices[...] = sort_indices(a, dim, bool(descending))
    return Tensor._make(indices, False, None, 0)


class TopkBackward0(_SelectAlongDim):
    """(values, indices) = the k largest (or smallest) of x along ``dim``;
    x̄ = scatter(zeros, dim, indices, ȳ)."""

    def forward(self, a: np.ndarray, k: int, dim: int, largest: bool, sorted_: bool) -> Any:
        self.shape, self.dim = a.shape, dim
        if a.ndim == 0:
            self.indices = np.zeros((), np.int64)
            return a.copy(), self.indices.copy()
        order = sort_indices(a, dim, descending=largest)
        self.indices = np.take(order, np.arange(k), axis=dim).astype(np.int64)
        self.indices = tied_topk_indices(a, k, dim, largest, sorted_, self.indices)
        return np.take_along_axis(a, self.indices, axis=dim), self.indices.copy()


@register
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """``return_types.topk(values, indices)``: the ``k`` largest (``largest=False``: smallest)
    elements along ``dim``, in order (also when ``sorted=False``, except in rows holding a
    tie: there torch's indices and order, ``indexing_topk_ties``).

    >>> dyngrad.topk(dyngrad.tensor([3., 1., 2.]), 2)
    torch.return_types.topk(
    values=tensor([3., 2.]),
    indices=tensor([0, 2]))
    """
    dim = _wrap_dim(dim, input.ndim)
    size = input._data.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    values, indices = TopkBackward0.apply(
        input, k=int(k), dim=dim, largest=bool(largest), sorted_=bool(sorted)
    )
    watch(values, "indices", indices)
    return _TopkResult((values, indices))


class KthvalueBackward0(_SelectAlongDim):
    """(values, indices) = the k-th smallest of x along ``dim``;  x̄ = ȳ at that index, 0
    elsewhere."""

    def forward(self, a: np.ndarray, k: int, dim: int, keepdim: bool) -> Any:
        self.shape, self.dim = a.shape, dim
        if a.ndim == 0:
            self.indices = np.zeros((), np.int64)
            return a.copy(), self.indices.copy()
        order = sort_indices(a, dim, descending=False)
        self.indices = np.take(order, [k - 1], axis=dim).astype(np.int64)
        self.indices = tied_kth_indices(a, k, dim, self.indices)  # (torch's index among ties)
        values = np.take_along_axis(a, self.indices, axis=dim)
        if keepdim:
            return values, self.indices.copy()
        return np.squeeze(values, dim), np.squeeze(self.indices, dim).copy()

    def backward(self, g: Tensor, _g_indices: Any = None) -> Tensor:
        if g.ndim != self.indices.ndim:
            g = g.unsqueeze(self.dim)  # type: ignore[attr-defined]
        return _scatter_back(g, self.shape, self.dim, self.indices)


@register
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """``return_types.kthvalue(values, indices)``: the k-th smallest element along ``dim``."""
    dim = _wrap_dim(dim, input.ndim)
    size = input._data.shape[dim] if input.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {dim} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    values, indices = KthvalueBackward0.apply(input, k=int(k), dim=dim, keepdim=bool(keepdim))
    watch(values, "indices", indices)
    return _KthvalueResult((values, indices))


# --- searchsorted / bucketize ---------------------------------------------------------------


def _values_array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _search(
    seq: np.ndarray, vals: np.ndarray, side: str, sorter: np.ndarray | None, out_int32: bool
) -> Tensor:
    """Binary search of each value in its row of ``seq``, step for step as torch's (so that
    an unsorted or NaN-holding ``seq`` gives torch's answer too): ``lo`` moves past ``mid``
    unless seq[mid] >= v ('left') or seq[mid] > v ('right')."""
    n = seq.shape[-1]
    n_rows = int(np.prod(seq.shape[:-1], dtype=np.int64))
    rows_seq = seq.reshape(n_rows, n)
    rows_val = vals.reshape(n_rows, vals.shape[-1]) if seq.ndim > 1 else vals.reshape(1, -1)
    rows_sorter = None if sorter is None else sorter.reshape(n_rows, n)
    lo = np.zeros(rows_val.shape, np.int64)
    hi = np.full(rows_val.shape, n, np.int64)
    with np.errstate(invalid="ignore"):
        while n and (active := lo < hi).any():
            mid = lo + (hi - lo) // 2
            at = np.minimum(mid, n - 1)
            if rows_sorter is not None:
                at = np.take_along_axis(rows_sorter, at, axis=1)
            probe = np.take_along_axis(rows_seq, at, axis=1)
            stop = probe > rows_val if side == "right" else probe >= rows_val
            lo = np.where(active & ~stop, mid + 1, lo)
            hi = np.where(active & stop, mid, hi)
    dtype = np.int32 if out_int32 else np.int64
    return Tensor._make(lo.reshape(vals.shape).astype(dtype), False, None, 0)


def _check_sorter_shape(seq: np.ndarray, sorter: np.ndarray) -> None:
    """torch's first check of ``sorter``: the boundaries' own shape."""
    if sorter.shape != seq.shape:
        raise RuntimeError(
            "torch.searchsorted(): boundary and sorter must have the same size, but got "
            f"boundary tensor {fmt_shape(seq.shape)}and got sorter tensor {fmt_shape(sorter.shape)}"
        )


def _sorter_array(sorter: np.ndarray, n: int) -> np.ndarray:
    """``sorter`` checked as torch checks it: int64, every entry a position in its row."""
    if sorter.dtype != np.int64:
        raise RuntimeError(
            "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
            f"{_TYPE_NAMES[sorter.dtype.name]}"
        )
    if sorter.size and (sorter.min() < 0 or sorter.max() >= n):
        raise RuntimeError("torch.searchsorted(): sorter index out of range")
    return sorter


@register(method=False)
def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """For each value, the index where it would be inserted into the sorted last dim of
    ``sorted_sequence`` (``right``/``side='right'``: after equal elements).

    >>> dyngrad.searchsorted(dyngrad.tensor([1., 2., 3.]), dyngrad.tensor([2.5, 0.]))
    tensor([2, 0])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        _check_sorter_shape(seq, sorter._data)
    if not isinstance(input, Tensor) and seq.ndim != 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
            "dim(0) numel(1)"
        )
    if seq.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension"
        )
    vals = _values_array(input)
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {fmt_shape(seq.shape)} and input value tensor {fmt_shape(vals.shape)}"
        )
    order = None if sorter is None else _sorter_array(sorter._data, seq.shape[-1])
    return _search(seq, vals, "right" if right else "left", order, out_int32)


@register(method=False)
def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value: the index i with boundaries[i-1] < x <= boundaries[i]
    (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return _search(
        boundaries._data, _values_array(input), "right" if right else "left", None, out_int32
    )
