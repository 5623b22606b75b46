"""``Tensor.index_put_`` and ``Tensor.index_fill_`` on an expanded tensor: torch's deprecated
write (a UserWarning, then the write lands in the shared memory; see ``inplace_expanded``).
Other tensors take the usual in-place path (``make_inplace``).

The in-place indexing methods also refuse a view first, as torch does (a view of a leaf that
requires grad, a view made in no_grad mode, ...), before reading their indices: torch checks
that before any argument of the op, dyngrad's ``commit_inplace`` only once the op has run.
Those that copy a source tensor in (scatter_, index_copy_, index_put_, ...) refuse a source
sharing any memory with ``self``, even all of it (``x.scatter_(0, i, x)``), as torch does;
index_fill_ reads its 0-d value first, so a value viewing ``self`` is fine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.views import check_view_inplace
from ._registry import PARTIAL_OVERLAP_MESSAGE, check_inplace, commit_inplace
from ._registry import _byte_range as byte_range
from ._registry import is_non_overlapping_and_dense as is_dense
from .indexing import index_put
from .indexing_key import index_tensors_key
from .indexing_select import index_fill
from .inplace_expanded import is_expanded, shared_writer, warn_expanded

__all__: list[str] = []

_index_put_ = Tensor.index_put_  # type: ignore[attr-defined]
_index_fill_ = Tensor.index_fill_  # type: ignore[attr-defined]


def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place :func:`index_put`."""
    if not is_expanded(self._data):
        return _index_put_(self, indices, values, accumulate)  # type: ignore[no-any-return]
    warn_expanded("index_put_", stacklevel=4)
    check_inplace(self)
    out = index_put(self, indices, values, accumulate)
    key = index_tensors_key(indices, self._data.shape)
    write = shared_writer(key.take, values._data, accumulate)
    return commit_inplace(self, out, overlap_ok=True, write=write)


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """In-place :func:`index_fill`."""
    if not is_expanded(self._data):  # (no overlap check: the value is read as a number first)
        check_inplace(self)
        return commit_inplace(self, index_fill(self, dim, index, value))
    warn_expanded("index_fill_", stacklevel=4)
    check_inplace(self)
    out = index_fill(self, dim, index, value)
    filled = np.zeros(self._data.shape, bool)
    np.moveaxis(filled, _wrap_dim(dim, self.ndim), 0)[index._data.reshape(-1)] = True
    write = shared_writer(lambda at: at[filled], out._data[filled])
    return commit_inplace(self, out, overlap_ok=True, write=write)


Tensor.index_put_ = index_put_  # type: ignore[attr-defined]
Tensor.index_fill_ = index_fill_  # type: ignore[attr-defined]


def check_no_overlap(t: Tensor, other: Tensor) -> None:
    """torch's refusal to copy ``other`` into ``t`` when they share memory at all: the same
    tensor (even empty), or dense layouts whose memory ranges meet (others are too hard to
    tell, and allowed, as in torch)."""
    a, b = t._data, other._data
    same = (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.strides == b.strides
    )
    if a is b or same:
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)
    if not a.size or not b.size or not np.may_share_memory(a, b):
        return
    if not (is_dense(a) and is_dense(b)):
        return
    (a_lo, a_hi), (b_lo, b_hi) = byte_range(a), byte_range(b)
    if a_lo < b_hi and b_lo < a_hi:
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)


def _check_index_put_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """torch's argument errors of ``Tensor.index_put_`` (before even the leaf check): the
    indices must be a tuple (or list) of tensors, the values a tensor."""
    indices = _source(args, kwargs, 0, "indices")
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put_(): argument 'indices' (position 1) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    for k, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {k} in argument 0, but got {type(t).__name__}"
            )
    values = _source(args, kwargs, 1, "values")
    if not isinstance(values, Tensor):
        raise TypeError(
            "index_put_(): argument 'values' (position 2) must be Tensor, not "
            f"{type(values).__name__}"
        )


def _check_index_count(self: Tensor, indices: tuple[Tensor, ...] | list[Tensor]) -> None:
    """index_put_ counts its index tensors against ``self``'s dims before the overlap."""
    if len(indices) > self.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {self.ndim} (got {len(indices)})"
        )


def _source(args: tuple[Any, ...], kwargs: dict[str, Any], at: int, name: str) -> Any:
    return args[at] if len(args) > at else kwargs.get(name)


def _op_refuses_first(self: Tensor, name: str, args: tuple[Any, ...], src: Tensor) -> bool:
    """Some ops check their index (dtype, rank) and its count against the source before
    the overlap: then the op runs and raises its own error."""
    at = {"index_add_": 1, "put_": 0, "scatter_": 1, "scatter_add_": 1, "scatter_reduce_": 1}
    if name not in at:
        return False
    index = args[at[name]] if len(args) > at[name] else None
    if not isinstance(index, Tensor):
        return True
    allowed = ("int64",) if name == "put_" else ("int64", "int32")
    if index._data.dtype.name not in allowed:
        return not (name.startswith("scatter") and index._data.size == 0)
    if name.startswith("scatter"):
        return bool(index._data.size) and max(index.ndim, 1) != max(self.ndim, 1)
    if name == "put_":
        return src._data.size != index._data.size
    dim = args[0]
    if not src.ndim or not isinstance(dim, int) or not -src.ndim <= dim < src.ndim:
        return True
    return src._data.shape[dim] != index._data.size


# method name -> (position of the source among the arguments, its keyword)
_SOURCES = {
    "index_put_": (1, "values"),
    "index_add_": (2, "source"),
    "index_copy_": (2, "source"),
    "scatter_": (2, "src"),
    "scatter_add_": (2, "src"),
    "scatter_reduce_": (2, "src"),
    "put_": (1, "source"),
}


def _views_refused_first(method: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``method`` (an in-place indexing method) with torch's refusals of a view checked
    before anything else, when the write would record a graph (grad mode on, the view or a
    tensor argument requires grad); then a source sharing memory with ``self``."""
    name = method.__name__
    source_at = _SOURCES.get(name)

    def checked(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if name == "index_put_":
            _check_index_put_arguments(args, kwargs)
        if self._view is not None and grad_mode.state.grad_enabled:
            if self._rg or any(isinstance(a, Tensor) and a._rg for a in args):
                check_view_inplace(self)
        if source_at is not None:
            src = _source(args, kwargs, *source_at)
            if isinstance(src, Tensor):
                check_inplace(self)  # (the leaf error comes first)
                if name == "index_put_":
                    _check_index_count(self, _source(args, kwargs, 0, "indices"))
                if not _op_refuses_first(self, name, args, src):
                    check_no_overlap(self, src)
        return method(self, *args, **kwargs)

    checked.__name__, checked.__qualname__ = method.__name__, method.__qualname__
    checked.__doc__ = method.__doc__
    return checked


for _name in (
    "index_put_",
    "index_fill_",
    "index_add_",
    "index_copy_",
    "scatter_",
    "scatter_add_",
    "scatter_reduce_",
    "masked_fill_",
    "masked_scatter_",
    "put_",
):
    setattr(Tensor, _name, _views_refused_first(getattr(Tensor, _name)))
