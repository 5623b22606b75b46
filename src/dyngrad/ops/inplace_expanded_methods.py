"""``Tensor.index_put_`` and ``Tensor.index_fill_`` on an expanded tensor: torch's deprecated
write (a UserWarning, then the write lands in the shared memory; see ``inplace_expanded``).
Other tensors take the usual in-place path (``make_inplace``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import check_inplace, commit_inplace
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
    warn_expanded("index_put_")
    check_inplace(self)
    out = index_put(self, indices, values, accumulate)
    key = index_tensors_key(indices, self._data.shape)
    write = shared_writer(key.take, values._data, accumulate)
    return commit_inplace(self, out, overlap_ok=True, write=write)


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """In-place :func:`index_fill`."""
    if not is_expanded(self._data):
        return _index_fill_(self, dim, index, value)  # type: ignore[no-any-return]
    warn_expanded("index_fill_")
    check_inplace(self)
    out = index_fill(self, dim, index, value)
    filled = np.zeros(self._data.shape, bool)
    np.moveaxis(filled, _wrap_dim(dim, self.ndim), 0)[index._data.reshape(-1)] = True
    write = shared_writer(lambda at: at[filled], out._data[filled])
    return commit_inplace(self, out, overlap_ok=True, write=write)


Tensor.index_put_ = index_put_  # type: ignore[attr-defined]
Tensor.index_fill_ = index_fill_  # type: ignore[attr-defined]
