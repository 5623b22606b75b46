"""Indexing: ``x[idx]`` and ``x[idx] = v``, plus fill_/zero_.

y = x[idx];  x̄ = zeros with ȳ added at idx (repeated indices accumulate).
x[idx] = v is index_put on a copy written back in place:  x̄ = ȳ with zeros at idx,
v̄ = ȳ[idx] (summed to v's shape by the engine).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, check_inplace, commit_inplace, register

__all__ = ["index_put"]


def _np_index(idx: Any) -> Any:
    """A Python/tensor index as a NumPy index (tensors become arrays)."""
    if isinstance(idx, tuple):
        return tuple(_np_index(i) for i in idx)
    if isinstance(idx, Tensor):
        if idx._data.dtype.kind == "f":
            raise IndexError(
                "tensors used as indices must be long, int, byte or bool tensors"
            )
        return idx._data
    if isinstance(idx, list):
        arr = np.asarray([_np_index(i) for i in idx])
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    return idx


def _is_basic(idx: Any) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice, np.integer)) for p in parts)


def _node_for(idx: Any) -> type[OpNode]:
    """The node torch would show last for this index."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    if not _is_basic(idx):
        return IndexBackward0
    last: type[OpNode] = AliasBackward0
    for p in parts:
        if isinstance(p, (int, np.integer)):
            last = SelectBackward0
        elif isinstance(p, slice) and p != slice(None):
            last = SliceBackward0
        elif p is None:
            last = UnsqueezeBackward1
    return last


class _GetItem(OpNode):
    """y = x[idx];  x̄ = ȳ scattered (added) into zeros of x's shape at idx."""

    promote = OWN

    def forward(self, a: np.ndarray, idx: Any) -> Any:
        self.shape, self.idx = a.shape, idx
        try:
            return a[idx]
        except IndexError as exc:
            raise _index_error(exc, a.shape, idx) from None

    def backward(self, g: Tensor) -> Tensor:
        return IndexPutBackward0.apply(_zeros(self.shape, g), g, idx=self.idx, accumulate=True)


class SelectBackward0(_GetItem):
    view = True


class SliceBackward0(_GetItem):
    view = True


class UnsqueezeBackward1(_GetItem):
    view = True


class AliasBackward0(_GetItem):
    view = True


class IndexBackward0(_GetItem):
    pass


def _zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    return Tensor._make(np.zeros(shape, like._data.dtype), False, None, 0)


def _index_error(exc: IndexError, shape: tuple[int, ...], idx: Any) -> IndexError:
    msg = str(exc)
    if "out of bounds" in msg:
        parts = idx if isinstance(idx, tuple) else (idx,)
        dim = 0
        for p in parts:
            if isinstance(p, (int, np.integer)):
                size = shape[dim] if dim < len(shape) else 0
                if not -size <= p < size:
                    return IndexError(
                        f"index {p} is out of bounds for dimension {dim} with size {size}"
                    )
            if p is not None:
                dim += 1
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg)


def getitem(self: Tensor, idx: Any) -> Tensor:
    """``self[idx]``: basic indexing gives a view, advanced indexing a copy."""
    np_idx = _np_index(idx)
    return _node_for(np_idx).apply(self, idx=np_idx)


Tensor.__getitem__ = getitem  # type: ignore[attr-defined]


class IndexPutBackward0(OpNode):
    """y = x with v written (or added, when accumulating) at idx;
    x̄ = ȳ (zeroed at idx unless accumulating),  v̄ = ȳ[idx]."""

    def forward(self, a: np.ndarray, v: Any, idx: Any, accumulate: bool) -> Any:
        self.idx, self.accumulate = idx, accumulate
        out = a.copy()
        if accumulate:
            np.add.at(out, idx, v)
        else:
            try:
                out[idx] = v
            except ValueError as exc:
                raise RuntimeError(str(exc)) from None
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        gx = gv = None
        if need_x:
            gx = g if self.accumulate else IndexPutBackward0.apply(g, 0.0, idx=self.idx, accumulate=False)
        if need_v:
            gv = g[self.idx]
        return gx, gv


@register(method=False)
def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put (or added) at ``indices``."""
    np_idx = _np_index(tuple(indices) if isinstance(indices, list) else indices)
    return IndexPutBackward0.apply(input, values, idx=np_idx, accumulate=accumulate)


def setitem(self: Tensor, idx: Any, value: Any) -> None:
    """``self[idx] = value``, recorded as index_put written back in place."""
    check_inplace(self)
    np_idx = _np_index(idx)
    if isinstance(value, Tensor) and value.dtype is not self.dtype:
        value = value.to(self.dtype)  # type: ignore[attr-defined]
    commit_inplace(self, IndexPutBackward0.apply(self, value, idx=np_idx, accumulate=False))


Tensor.__setitem__ = setitem  # type: ignore[attr-defined]


class FillBackward0(OpNode):
    """y = c everywhere (x's shape);  x̄ = 0."""

    promote = OWN

    def forward(self, a: np.ndarray, value: Any) -> Any:
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, g: Tensor) -> Tensor:
        return g * 0


class ZeroBackward0(FillBackward0):
    """y = 0 everywhere;  x̄ = 0."""


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value``, in place."""
    check_inplace(self)
    if isinstance(value, Tensor):
        value = value.item()
    return commit_inplace(self, FillBackward0.apply(self, value))


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    check_inplace(self)
    if not self._rg and self._data.flags.writeable:  # x.grad.zero_(): no graph to rebase
        self._data[...] = 0
        self._bump_version()
        return self
    return commit_inplace(self, ZeroBackward0.apply(self, 0))


Tensor.fill_ = fill_  # type: ignore[attr-defined]
Tensor.zero_ = zero_  # type: ignore[attr-defined]
