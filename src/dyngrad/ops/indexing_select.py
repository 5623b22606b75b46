"""index_select, index_add, index_fill, index_copy (whole slices along one dim picked by a
1-D index) and take/put (elements of the flattened tensor).

y = index_select(x, d, idx):  x̄ = index_add(zeros, d, idx, ȳ) (repeats accumulate).
y = index_add(x, d, idx, s, alpha):  x̄ = ȳ,  s̄ = alpha · index_select(ȳ, d, idx).
y = index_fill(x, d, idx, v):  x̄ = index_fill(ȳ, d, idx, 0),  v̄ = Σ ȳ over the filled slices.
y = index_copy(x, d, idx, s):  x̄ = index_fill(ȳ, d, idx, 0),  s̄ = index_select(ȳ, d, idx).
y = take(x, idx):  x̄ = put(zeros, idx, ȳ, accumulate=True).
y = put(x, idx, s):  x̄ = put(ȳ, idx, 0) (or ȳ when accumulating),  s̄ = take(ȳ, idx).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import _TYPE_NAMES, OWN, OpNode, register
from .indexing_gather import fmt_shape, index_array
from .indexing_saved import saved_index, watch

__all__ = ["index_select", "index_add", "index_fill", "index_copy", "take", "put"]


def _along(a: np.ndarray, dim: int) -> np.ndarray:
    """A view of ``a`` with ``dim`` first (0-d arrays as 1-element vectors)."""
    return a.reshape(1) if a.ndim == 0 else np.moveaxis(a, dim, 0)


def _vector(idx: np.ndarray) -> np.ndarray:
    return idx.reshape(-1)


def _first_out_of_range(idx: np.ndarray, low: int, size: int) -> int | None:
    if idx.size and (idx.min() < low or idx.max() >= size):
        flat = idx.reshape(-1)
        return int(flat[(flat < low) | (flat >= size)][0])
    return None


def _dim_size(t: Tensor, dim: int) -> int:
    return t._data.shape[dim] if t.ndim else 1


def check_select_index(shape: tuple[int, ...], dim: int, idx: np.ndarray) -> None:
    """torch's errors for index_select's index (also read by the backward formulas that
    select, so that they fail as torch's do): an empty dim, then out-of-range entries, worded
    by the kernel torch picks (dim 1 or an empty tensor: one wording, otherwise another)."""
    ndim = len(shape)
    size = shape[dim] if ndim else 1
    if ndim == 0 and idx.size != 1:
        raise RuntimeError(
            f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
        )
    if idx.size and ndim > 1 and size == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = _first_out_of_range(idx, 0, size)
    if bad is None:
        return
    if ndim > 1 and (dim == 1 or 0 in shape):
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    raise IndexError("index out of range in self")


def _select_checked(g: Tensor, dim: int, index: np.ndarray) -> Tensor:
    """index_select(g, dim, index) with index_select's own checks (for backward formulas)."""
    check_select_index(g._data.shape, dim, index)
    return IndexSelectBackward0.apply(g, dim=dim, index=index)


def _check_write_into_empty_dim(op: str, shape: tuple[int, ...], dim: int, n: int) -> None:
    """index_fill/index_copy writing n > 0 slices along a dim of size 0 whose slices hold
    elements: torch 2.13 fails there with an internal storage error (a RuntimeError), and
    so does dyngrad, with its own words. (Other indices into an empty tensor are not checked
    by torch: nothing is written.)"""
    if not shape or not n or shape[dim] != 0:
        return
    if math.prod(s for d, s in enumerate(shape) if d != dim):
        raise RuntimeError(
            f"{op}(): cannot write {n} slice(s) along dimension {dim}, which has size 0"
        )


# --- index_select ---------------------------------------------------------------------------


class IndexSelectBackward0(OpNode):
    """y = the slices of x along ``dim`` at ``index``;  x̄ = index_add(zeros, dim, index, ȳ);
    ẏ = index_select(ẋ, dim, index)."""

    linear = True  # forward mode: ẏ = the same slices of ẋ
    promote = OWN
    index = saved_index()

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> Any:
        self.shape, self.dim, self.index = a.shape, dim, index
        if a.ndim == 0:
            return a.copy()
        return np.take(a, index, axis=dim)

    def backward(self, g: Tensor) -> Tensor:
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype), False, None, 0)
        return IndexAddBackward0.apply(zeros, g, dim=self.dim, index=self.index, alpha=1)


@register
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` along ``dim`` at the positions in the 1-D ``index``.

    >>> dyngrad.index_select(dyngrad.tensor([[1., 2.], [3., 4.]]), 0, dyngrad.tensor([1, 1]))
    tensor([[3., 4.],
            [3., 4.]])
    """
    dim = _wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index_array(
        index, "index_select", "index_select(): Expected dtype int32 or int64 for index"
    )
    check_select_index(input._data.shape, dim, idx)
    out = IndexSelectBackward0.apply(input, dim=dim, index=_vector(idx))
    watch(out, "index", index)
    return out


# --- index_add ------------------------------------------------------------------------------


class IndexAddBackward0(OpNode):
    """y = x with alpha·source added at ``index`` along ``dim`` (repeats accumulate);
    x̄ = ȳ,  s̄ = alpha · index_select(ȳ, dim, index);  ẏ = index_add(ẋ, dim, index, ṡ, alpha)."""

    linear = True  # forward mode: y is linear in (x, source)
    promote = OWN
    index = saved_index()
    save = (1,)  # as torch saves it: source, for its own gradient
    save_for = ((1,),)

    def forward(
        self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray, alpha: Any
    ) -> Any:
        self.dim, self.index, self.alpha = dim, index, alpha
        out = a.copy()
        if not a.size:  # (torch reads no index of an empty tensor)
            return out
        src = _along(src, dim) if alpha == 1 else _along(src, dim) * alpha
        np.add.at(_along(out, dim), index, src.astype(a.dtype, copy=False))
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        gsrc = None
        if self.needs_input_grad[1]:
            gsrc = _select_checked(g, self.dim, self.index)
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
        return g, gsrc


def _check_copy_slices(input: Tensor, source: Tensor, dim: int) -> None:
    """index_copy_'s own wording: same rank unless one is 0-d, and equal slices."""
    if input.ndim and source.ndim and input.ndim != source.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({source.ndim}), destination dimensionality "
            f"({input.ndim})"
        )
    dst = [s for d, s in enumerate(input.shape) if d != dim]
    src = [s for d, s in enumerate(source.shape) if d != dim]
    if dst != src:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, dst))} at dimension {dim} and source slice shape: "
            f"{' '.join(map(str, src))} at dimension 0."
        )


def _check_source(op: str, input: Tensor, source: Tensor, dim: int, n: int) -> None:
    """torch's checks of index_add_/index_copy_'s source: one slice per index, and the other
    dims equal to input's (index_copy_ also takes a 0-d source for one index)."""
    if op == "index_add_" and dim >= max(source.ndim, 1):
        raise RuntimeError(
            f"index_add_(): Indexing dim {dim} is out of bounds of the source tensor with dim "
            f"{source.ndim}"
        )
    if source.ndim == 0 and n != 1:
        if op == "index_add_":
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {n})"
        )
    if op == "index_copy_":
        _check_copy_slices(input, source, dim)
    size = source._data.shape[dim] if dim < source.ndim else 1
    if source.ndim and n != size:
        if op == "index_add_":
            raise RuntimeError(
                f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): "
                f"({size}), for dim: {dim}"
            )
        raise IndexError(
            f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({size})"
        )
    lenient = op == "index_copy_" and (source.ndim == 0 or input.ndim == 0)
    same = lenient or (
        source.ndim == input.ndim
        and all(d == dim or s == t for d, (s, t) in enumerate(zip(source.shape, input.shape)))
    )
    if not same:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {fmt_shape(input.shape)} source.shape = {fmt_shape(source.shape)}"
        )


@register(inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    dim = _wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    idx = _vector(
        index_array(
            index,
            "index_add_",
            f"index_add_(): Expected dtype int32/int64 for index but got: {_TYPE_NAMES[index.dtype.name]}",
        )
    )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_add_(): self ({_TYPE_NAMES[input.dtype.name]}) and source "
            f"({_TYPE_NAMES[source.dtype.name]}) must have the same scalar type"
        )
    _check_source("index_add_", input, source, dim, idx.size)
    size = _dim_size(input, dim)
    bad = _first_out_of_range(idx, 0, size)
    if bad is not None and (input.ndim <= 1 or input._data.size):  # (empty: nothing read)
        # torch's kernels: an int64 index, alpha 1 and the first or last dim of a tensor
        # with 2+ dims go through indexed accumulation, with its wording
        outer = dim in (0, input.ndim - 1)
        if index._data.dtype == np.int32 or input.ndim <= 1 or alpha != 1 or not outer:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    out = IndexAddBackward0.apply(input, source, dim=dim, index=idx, alpha=alpha)
    watch(out, "index", index, needed_for=(1,))  # (x̄ = ȳ reads no index)
    return out


# --- index_fill / index_copy ------------------------------------------------------------------


class IndexFillBackward0(OpNode):
    """y = x with the slices at ``index`` along ``dim`` set to a number;  x̄ = ȳ with zeros
    there;  ẏ = ẋ with zeros there."""

    promote = OWN
    index = saved_index()
    no_edge: tuple[int, ...] = (1,)  # the number (torch's node has one edge)

    def forward(self, a: np.ndarray, value: Any, dim: int, index: np.ndarray) -> Any:
        self.dim, self.index = dim, index
        out = a.copy(order="K")  # (torch's layout: a clone)
        if not a.size:  # (torch reads no index of an empty tensor)
            return out
        with np.errstate(all="ignore"):
            fill = np.asarray(value).astype(a.dtype)
        _along(out, dim)[index] = fill
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return IndexFillBackward0.apply(g, 0, dim=self.dim, index=self.index)

    def jvp(self, dx: Any, dv: Any, x: Tensor, v: Any, y: Tensor) -> Any:
        """ẏ = index_fill(ẋ, dim, index, 0) (the number has no tangent)."""
        return (
            None if dx is None else IndexFillBackward0.apply(dx, 0, dim=self.dim, index=self.index)
        )


class IndexFillBackward1(IndexFillBackward0):
    """y = x with the slices at ``index`` set to a 0-d tensor v;  x̄ = ȳ with zeros there,
    v̄ = Σ ȳ over the filled slices (each slice once, however often it is indexed);
    ẏ = index_fill(ẋ, dim, index, v̇)."""

    linear = True  # forward mode: y is linear in (x, v)
    no_edge = ()

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        gx = IndexFillBackward0.apply(g, 0, dim=self.dim, index=self.index) if need_x else None
        gv = None
        if need_v:
            check_select_index(g._data.shape, self.dim, self.index)
            filled = np.unique(self.index % max(_dim_size(g, self.dim), 1))
            gv = IndexSelectBackward0.apply(g, dim=self.dim, index=filled).sum()  # type: ignore[attr-defined]
        return gx, gv


@register(inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` filled with ``value``."""
    if isinstance(value, Tensor) and value.ndim:  # (torch checks the value first)
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    dim = _wrap_dim(dim, input.ndim)
    idx = index_array(
        index, "index_fill_", "index_fill_(): Expected dtype int64 for index.", True, IndexError
    )
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    _check_write_into_empty_dim("index_fill_", input._data.shape, dim, idx.size)
    size = _dim_size(input, dim)
    bad = _first_out_of_range(idx, -size, size)
    if bad is not None and input._data.size:  # torch checks nothing on an empty tensor
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    idx = _vector(idx)
    if isinstance(value, Tensor):
        out = IndexFillBackward1.apply(input, value, dim=dim, index=idx)
    else:
        out = IndexFillBackward0.apply(input, value, dim=dim, index=idx)
    watch(out, "index", index)
    return out


class IndexCopyBackward0(OpNode):
    """y = x with the slices at ``index`` along ``dim`` replaced by source's;
    x̄ = ȳ with zeros there,  s̄ = index_select(ȳ, dim, index) in s's shape;  ẏ = index_copy(ẋ, dim, index, ṡ)."""

    linear = True  # forward mode: y is linear in (x, source)
    promote = OWN
    index = saved_index()
    save = (1,)  # as torch saves it: source, for its own gradient
    save_for = ((1,),)

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> Any:
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = a.copy()
        if not a.size:  # (torch reads no index of an empty tensor)
            return out
        _along(out, dim)[index] = _along(src, dim)
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_src = self.needs_input_grad
        gx = IndexFillBackward0.apply(g, 0, dim=self.dim, index=self.index) if need_x else None
        gsrc = None
        if need_src:  # (a 0-d x and a 1-element source: the slice expands to the source)
            gsrc = _select_checked(g, self.dim, self.index)
            if tuple(gsrc.shape) != self.src_shape:  # (one element either way)
                gsrc = gsrc.reshape(self.src_shape)  # type: ignore[attr-defined]
        return gx, gsrc


@register(inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` taken from ``source``."""
    dim = _wrap_dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got 2)")
    if source.ndim == 0 and index.numel() != 1:  # (torch checks the ranks before the dtypes)
        _check_source("index_copy_", input, source, dim, index.numel())
    if input.ndim and source.ndim and input.ndim != source.ndim:
        _check_copy_slices(input, source, dim)
    idx = _vector(
        index_array(
            index,
            "index_copy_",
            f"index_copy_(): Expected a long tensor for index, but got {_TYPE_NAMES[index.dtype.name]}",
            True,
        )
    )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            f"index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_TYPE_NAMES[input.dtype.name]} and (source) {_TYPE_NAMES[source.dtype.name]}"
        )
    _check_source("index_copy_", input, source, dim, idx.size)
    _check_write_into_empty_dim("index_copy_", input._data.shape, dim, idx.size)
    size = _dim_size(input, dim)
    bad = _first_out_of_range(idx, 0, size)
    if bad is not None and input._data.size:  # torch checks nothing on an empty tensor
        raise IndexError(
            f"index_copy_(): index {bad} is out of bounds for dimension {dim} with size {size}"
        )
    out = IndexCopyBackward0.apply(input, source, dim=dim, index=idx)
    watch(out, "index", index)
    return out


# --- take / put -------------------------------------------------------------------------------


def _flat_index(input: Tensor, index: Tensor, op: str) -> np.ndarray:
    idx = index_array(
        index,
        op,
        f"{op}(): Expected a long tensor for index, but got {_TYPE_NAMES[index.dtype.name]}",
        True,
    )
    n = input._data.size
    if n == 0 and idx.size:
        raise IndexError(f"{op}(): tried to take from an empty tensor")
    bad = _first_out_of_range(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return idx


class TakeBackward0(OpNode):
    """y = x.flatten()[index];  x̄ = put(zeros, index, ȳ, accumulate=True);  ẏ = take(ẋ, index)."""

    linear = True  # forward mode: ẏ = the same elements of ẋ
    promote = OWN
    index = saved_index()
    save = (0,)  # as torch saves it: self, for its own gradient
    save_for = ((0,),)

    def forward(self, a: np.ndarray, index: np.ndarray) -> Any:
        self.shape, self.index = a.shape, index
        return np.asarray(a.reshape(-1)[index], order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype), False, None, 0)
        return PutBackward0.apply(zeros, g, index=self.index, accumulate=True)


@register
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of ``input`` (as if flattened) at ``index``, in ``index``'s shape.

    >>> dyngrad.take(dyngrad.tensor([[1., 2.], [3., 4.]]), dyngrad.tensor([3, 0]))
    tensor([4., 1.])
    """
    out = TakeBackward0.apply(input, index=_flat_index(input, index, "take"))
    watch(out, "index", index)
    return out


class PutBackward0(OpNode):
    """y = x with source written (or added) at flat positions ``index``;
    x̄ = ȳ with zeros there (or ȳ when accumulating),  s̄ = take(ȳ, index);
    ẏ = put(ẋ, index, ṡ, accumulate)."""

    linear = True  # forward mode: y is linear in (x, source)
    promote = OWN
    index = saved_index()
    save = (1,)  # as torch saves it: source, for its own gradient
    save_for = ((1,),)

    def forward(self, a: np.ndarray, src: np.ndarray, index: np.ndarray, accumulate: bool) -> Any:
        self.index, self.accumulate, self.src_shape = index, accumulate, np.shape(src)
        out = a.copy()
        flat = out.reshape(-1)  # a view: ``out`` is contiguous
        values = np.asarray(src).reshape(-1)
        if accumulate:
            np.add.at(flat, index.reshape(-1), values)
        else:
            flat[index.reshape(-1)] = values
        if not a.flags.c_contiguous:  # torch clones first: the result keeps x's layout
            kept = np.empty_like(a)
            kept[...] = out
            return kept
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_src = self.needs_input_grad
        gx = gsrc = None
        if need_x:
            gx = (
                g
                if self.accumulate
                else PutBackward0.apply(
                    g, np.zeros(self.index.size, g._data.dtype), index=self.index, accumulate=False
                )
            )
        if need_src:
            gsrc = TakeBackward0.apply(g, index=self.index).reshape(self.src_shape)  # type: ignore[attr-defined]
        return gx, gsrc


@register(inplace=True)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source``'s elements written (or added) at the flat
    positions ``index``."""
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_TYPE_NAMES[input.dtype.name]} and source.dtype = {_TYPE_NAMES[source.dtype.name]}"
        )
    if source._data.size != index._data.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {index._data.size}"
        )
    idx = _flat_index(input, index, "put_")
    out = PutBackward0.apply(input, source, index=idx, accumulate=accumulate)
    watch(out, "index", index)
    return out
