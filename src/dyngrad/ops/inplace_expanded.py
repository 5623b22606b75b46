"""Deprecated writes into an expanded tensor (elements sharing memory, ``x.expand(3, 4)``).

torch 2.13 refuses most in-place ops there ("more than one element of the written-to tensor
refers to a single memory location"), but ``index_put_`` (so advanced-index setitem),
``masked_fill_`` and ``index_fill_`` only warn that this is deprecated and then write element
by element into the shared memory: where several written elements share one location, the
last write (in index order) is what stays. These helpers do the same: ``write_shared`` maps
each element of the target to its place in the memory owner and writes there.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._registry import INTERNAL_OVERLAP_MESSAGE, memory_owner
from .view_inplace import positions

__all__ = ["is_expanded", "warn_expanded", "write_shared", "shared_writer"]

_EXAMPLES = {"index_put_": "tensor[indices] = tensor"}


def is_expanded(data: np.ndarray) -> bool:
    """Some dim repeats the same memory (stride 0, size > 1). An empty array holds nothing
    to share (NumPy gives it stride 0 everywhere)."""
    return data.size > 0 and any(st == 0 and n > 1 for n, st in zip(data.shape, data.strides))


def warn_expanded(op: str, stacklevel: int = 3) -> None:
    """torch's deprecation warning for ``op`` on an expanded tensor (``stacklevel``: the
    frame of the user's call, counted from here)."""
    warnings.warn(
        f"Use of {op} on expanded tensors is deprecated. Please clone() the tensor before "
        "performing this operation. This also applies to advanced indexing e.g. "
        f"{_EXAMPLES.get(op, 'tensor[mask] = scalar')}",
        UserWarning,
        stacklevel=stacklevel,
    )


def write_shared(
    data: np.ndarray,
    select: Callable[[np.ndarray], np.ndarray],
    values: Any,
    accumulate: bool = False,
) -> None:
    """Write ``values`` (or add them, ``accumulate``) into the memory of the elements of
    ``data`` that ``select`` picks (``select`` maps an array of ``data``'s shape to the picked
    elements, in write order). Repeated locations: the last value wins, or all are added."""
    root = memory_owner(data)
    if not root.flags.writeable:
        raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)
    picked = np.asarray(select(positions(root, data)))
    at = picked.ravel()
    vals = np.broadcast_to(np.asarray(values, dtype=data.dtype), picked.shape).ravel()
    flat = root.reshape(-1)  # a view of a contiguous owner, else a copy written back below
    if accumulate:
        np.add.at(flat, at, vals)
    else:
        flat[at] = vals
    if not np.shares_memory(flat, root):
        root[...] = flat.reshape(root.shape)


def shared_writer(
    select: Callable[[np.ndarray], np.ndarray], values: Any, accumulate: bool = False
) -> Callable[[np.ndarray], None]:
    """``write_shared`` as the ``write`` callback of ``commit_inplace``."""

    def write(data: np.ndarray) -> None:
        write_shared(data, select, values, accumulate)

    return write
